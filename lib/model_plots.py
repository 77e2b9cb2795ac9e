"""LeNet-5 drawn from a model, in the manner of the paper's Fig. 2.

:func:`architecture_figure` reads the layers and their output shapes from
:func:`lib.models.shape_table` (which checks them against a forward pass), so the figure
shows the model it is given, not a picture copied from the paper: stacks of squares for
the feature maps, drawn to scale, and columns of units for the vectors.
"""

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, Rectangle

from lib.models import EuclideanRBF, LeNet5, MaskedConv2d, Subsampling, _layers, shape_table

#: Okabe-Ito colours: convolutions, subsamplings (or poolings), full layers, output.
COLOURS = {"conv": "#56B4E9", "pool": "#E69F00", "full": "#009E73", "output": "#CC79A7"}

#: At most this many maps of a stack are drawn; the label gives the real number.
MAX_DRAWN = 6


def _connection_name(module):
    """What the paper's Fig. 2 writes under the arrow into a layer."""
    if isinstance(module, MaskedConv2d):
        return "convolutions\n(partial table)"
    if isinstance(module, Subsampling):
        return "subsampling"
    if isinstance(module, EuclideanRBF):
        return "Gaussian\nconnections"
    kind = type(module).__name__
    if kind == "Conv2d":
        return "convolutions"
    if kind in ("MaxPool2d", "AvgPool2d"):
        return "max pooling" if kind == "MaxPool2d" else "average pooling"
    return "full\nconnection"


def _kind(module, shape):
    if isinstance(module, EuclideanRBF) or type(module).__name__ == "Linear" and shape[0] <= 10:
        return "output"
    if len(shape) == 1 or shape[1:] == (1, 1):
        return "full" if type(module).__name__ == "Linear" else "conv"
    return "pool" if isinstance(module, Subsampling) or "Pool" in type(module).__name__ else "conv"


def architecture_figure(model=None, scale=0.09):
    """Draw a LeNet-5 layer by layer: maps to scale, with their counts and sizes.

    Parameters
    ----------
    model : LeNet5 or LeNet5Modern, optional
        Default: a :class:`lib.models.LeNet5`.
    scale : float, optional
        Figure units per pixel of a map. Default 0.09.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = architecture_figure()
    >>> [t.get_text() for t in fig.axes[0].texts][:3]
    ['input\\n1@32x32', 'C1\\n6@28x28', 'convolutions']
    >>> plt.close(fig)
    """
    model = LeNet5() if model is None else model
    rows = shape_table(model)
    modules = dict(_layers(model))
    fig, ax = plt.subplots(figsize=(9.6, 3.4))
    x, gap, step = 0.0, 1.0, 0.12
    previous_right = None
    for row in rows:
        shape = row["output"]
        label = row["layer"]
        module = modules.get("output" if label == "output" else label.lower())
        if len(shape) == 3 and shape[1] > 1:  # maps: a stack of squares to scale
            maps, size = shape[0], shape[1]
            side = size * scale
            drawn = min(maps, MAX_DRAWN)
            colour = "#BBBBBB" if module is None else COLOURS[_kind(module, shape)]
            for k in range(drawn):
                offset = k * step
                ax.add_patch(
                    Rectangle((x + offset, -side / 2 - offset), side, side,
                              facecolor=colour, edgecolor="black", linewidth=0.6)
                )  # fmt: skip
            width = side + (drawn - 1) * step
            text = f"{label}\n{maps}@{size}x{size}"
        else:  # a vector: a column of units, its height growing with the count
            units = shape[0]
            height = min(3.0, 0.35 + units * 0.02)
            width = 0.22
            ax.add_patch(
                Rectangle((x, -height / 2), width, height,
                          facecolor=COLOURS[_kind(module, shape)], edgecolor="black",
                          linewidth=0.6)
            )  # fmt: skip
            text = f"{label}\n" + (f"{units}@1x1" if len(shape) == 3 else str(units))
        ax.text(x + width / 2, 1.75, text, ha="center", va="bottom", fontsize=8)
        if previous_right is not None:
            ax.add_patch(
                FancyArrowPatch((previous_right + 0.05, -1.75), (x - 0.05, -1.75),
                                arrowstyle="->", mutation_scale=10, linewidth=0.8)
            )  # fmt: skip
            ax.text((previous_right + x) / 2, -1.9, _connection_name(module),
                    ha="center", va="top", fontsize=7)  # fmt: skip
        previous_right = x + width
        x += width + (gap if len(shape) == 3 and shape[1] > 1 else 1.3 * gap)
    ax.set_xlim(-0.2, previous_right + 0.5)
    ax.set_ylim(-2.6, 2.4)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.tight_layout()
    return fig


def feature_maps_figure(image, maps, distances, prototypes, limit=1.7159):
    """Every layer's output for one digit, as returned by
    :func:`lib.numpy_forward.lenet5_forward_numpy` with ``return_maps=True``.

    Draws the input, C1 and S2 (6 maps each), C3 and S4 (16 each), C5's 120 values as a
    10 x 12 grid, F6's 84 as a 7 x 12 bitmap beside the prototype of the predicted digit,
    and the ten output distances as bars. All maps share one colour scale, +-``limit``
    (the squashing function's range).

    Parameters
    ----------
    image : array, shape (32, 32)
    maps : dict
        Layer name -> array with a batch axis of 1 (``"C1"`` ... ``"F6"``).
    distances : array, shape (1, 10)
        The RBF outputs; the smallest is the prediction.
    prototypes : array, shape (10, 84)

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> maps = {"C1": np.zeros((1, 6, 28, 28)), "S2": np.zeros((1, 6, 14, 14)),
    ...         "C3": np.zeros((1, 16, 10, 10)), "S4": np.zeros((1, 16, 5, 5)),
    ...         "C5": np.zeros((1, 120, 1, 1)), "F6": np.zeros((1, 84))}
    >>> fig = feature_maps_figure(np.zeros((32, 32)), maps, np.arange(10.0)[None],
    ...                           np.ones((10, 84)))
    >>> len(fig.axes), fig.axes[-2].get_title(loc="left")
    (49, 'prototype 0')
    >>> plt.close(fig)
    """
    fig = plt.figure(figsize=(8, 8.4))
    grid = fig.add_gridspec(7, 16, hspace=0.6)

    def show(cell, values, title=None):
        ax = fig.add_subplot(cell)
        ax.imshow(values, cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_xticks([])
        ax.set_yticks([])
        if title:
            ax.set_title(title, fontsize=8, loc="left")

    show(grid[0, 0:3], image, "input")
    for k in range(6):
        show(grid[0, 4 + 2 * k : 6 + 2 * k], maps["C1"][0, k], "C1" if k == 0 else None)
        show(grid[1, 4 + 2 * k : 6 + 2 * k], maps["S2"][0, k], "S2" if k == 0 else None)
    for k in range(16):
        show(grid[2, k], maps["C3"][0, k], "C3" if k == 0 else None)
        show(grid[3, k], maps["S4"][0, k], "S4" if k == 0 else None)
    show(grid[4:6, 0:4], maps["C5"][0, :, 0, 0].reshape(10, 12), "C5 (120)")
    show(grid[4:6, 5:8], maps["F6"][0].reshape(12, 7), "F6 (84)")
    predicted = int(distances[0].argmin())
    show(grid[4:6, 9:12], prototypes[predicted].reshape(12, 7), f"prototype {predicted}")
    ax = fig.add_subplot(grid[6, 1:15])
    ax.bar(range(10), distances[0], color="#0072B2")
    ax.set(xticks=range(10), xlabel="digit", ylabel="distance")
    ax.set_title("output: distance to each prototype (smallest wins)", fontsize=8, loc="left")
    return fig
