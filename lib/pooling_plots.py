"""Figures of chapter 4: the pooling window, as a still, an animation and a widget.

One function draws the picture (:func:`pooling_window_figure`); the website's animation
(:func:`pooling_window_animation`) and the notebook's widget (:func:`pooling_window_widget`)
both call it, so that they show the same thing: the window on the (padded) input, its
maximum marked, and the outputs of max pooling and of average pooling filled in up to
the window's position.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation
from matplotlib.patches import Rectangle

from lib._validation import as_array, as_int
from lib.plotting import PADDING_FILL, outline, show_grid
from lib.pooling import avg_pool2d, avg_pool2d_divisors, max_pool2d

__all__ = ["pooling_window_figure", "pooling_window_animation", "pooling_window_widget"]

#: Outline of the pixel that wins the max (Okabe-Ito blue), beside the window's orange.
WINNER = "#0072B2"


def _plan(image, kernel_size, stride, padding, ceil_mode, count_include_pad):
    """Both poolings of ``image``, the window geometry and the drawn grid's extent."""
    image = as_array(image, "image")
    if image.ndim != 2:
        raise ValueError(f"image must be one map (H, W), got shape {image.shape}")
    k = as_int(kernel_size, "kernel_size", minimum=1)
    s = k if stride is None else as_int(stride, "stride", minimum=1)
    p = as_int(padding, "padding", minimum=0)
    maxed, indices = max_pool2d(image, k, s, p, ceil_mode=ceil_mode, return_indices=True)
    averaged = avg_pool2d(image, k, s, p, ceil_mode=ceil_mode, count_include_pad=count_include_pad)
    rows, cols = maxed.shape
    # The drawn grid: the padded input, and the cells a ceil-mode window hangs past it.
    height = max(image.shape[0] + 2 * p, (rows - 1) * s + k)
    width = max(image.shape[1] + 2 * p, (cols - 1) * s + k)
    return image, k, s, p, maxed, indices, averaged, (height, width)


def pooling_window_figure(
    image,
    kernel_size,
    y,
    x,
    *,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    fig=None,
):
    """The pooling window at output (``y``, ``x``), and both poolings' outputs.

    Three panels: the input, its padding shaded grey (``-inf`` for max pooling, 0 for
    average pooling) and the cells a ceil-mode window hangs past it hatched (they count
    for nothing), with the
    window outlined in orange and the pixel that wins the max in blue; the output of max
    pooling and that of average pooling, filled in up to (``y``, ``x``) in reading order.

    Parameters
    ----------
    image : array_like
        A small 2D map, shown with its numbers.
    kernel_size : int
        The window's side.
    y, x : int
        The output position, 0-based.
    stride, padding, ceil_mode, count_include_pad : optional
        As in :func:`lib.max_pool2d` and :func:`lib.avg_pool2d`.
    fig : matplotlib.figure.Figure, optional
        A figure to draw into (it is cleared); a new one by default.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``image`` is not 2D, the pooling's arguments break its rules, or (``y``,
        ``x``) is not an output position.

    Examples
    --------
    >>> x = np.array([[1, 3, 2, 1], [4, 2, 0, 1], [5, 1, 7, 8], [0, 6, 3, 2]])
    >>> fig = pooling_window_figure(x, 2, 1, 0)
    >>> for ax in fig.axes:
    ...     print(ax.get_title())
    input, window of output (1, 0)
    max pooling
    max = 6
    average pooling
    mean = 12 / 4 = 3.00
    >>> plt.close(fig)
    """
    image, k, s, p, maxed, indices, averaged, (height, width) = _plan(
        image, kernel_size, stride, padding, ceil_mode, count_include_pad
    )
    rows, cols = maxed.shape
    y, x = as_int(y, "y"), as_int(x, "x")
    if not (0 <= y < rows and 0 <= x < cols):
        raise ValueError(
            f"(y, x) must be an output position in [0, {rows}) x [0, {cols}), got ({y}, {x})"
        )
    in_h, in_w = image.shape
    # The input placed in the drawn grid; padding and overhang cells are left blank.
    grid = np.zeros((height, width), dtype=image.dtype)
    grid[p : p + in_h, p : p + in_w] = image
    blank = np.ones((height, width), bool)
    blank[p : p + in_h, p : p + in_w] = False

    if fig is None:
        fig = plt.figure(figsize=(8.4, 3.0))
    fig.clear()
    axes = fig.subplots(1, 3, gridspec_kw={"width_ratios": [width, cols, cols]})
    show_grid(axes[0], grid, mask=blank, signed=False, title=f"input, window of output ({y}, {x})")
    for py in range(height):
        for px in range(width):
            if not blank[py, px]:
                continue
            padded = py < in_h + 2 * p and px < in_w + 2 * p
            axes[0].add_patch(
                Rectangle(
                    (px - 0.5, py - 0.5),
                    1,
                    1,
                    fc=PADDING_FILL if padded else "white",
                    ec="#555555" if padded else "#AAAAAA",
                    hatch=None if padded else "///",
                    lw=0.8,
                    zorder=0.5 if padded else 2,
                )
            )
            if padded:
                axes[0].text(px, py, "pad", ha="center", va="center", fontsize=7, color="#555555")
    top, left = y * s, x * s
    outline(axes[0], top, left, k, k)
    win_y, win_x = divmod(int(indices[y, x]), in_w)
    outline(axes[0], win_y + p, win_x + p, 1, 1, color=WINNER, linewidth=2.5)

    done = np.arange(rows * cols).reshape(rows, cols) > y * cols + x
    show_grid(axes[1], maxed, mask=done, signed=False, title=f"max pooling\nmax = {maxed[y, x]}")
    outline(axes[1], y, x, 1, 1)
    window = grid[top : top + k, left : left + k]
    counted = ~blank[top : top + k, left : left + k]
    total = window[counted].sum()
    divisors = avg_pool2d_divisors(image.shape, k, s, p, ceil_mode, count_include_pad)
    divisor = divisors[y, x]
    title = f"average pooling\nmean = {total} / {int(divisor)} = {averaged[y, x]:.2f}"
    show_grid(axes[2], averaged, mask=done, signed=False, fmt="{:.2f}", title=title)
    outline(axes[2], y, x, 1, 1)
    fig.tight_layout()
    return fig


def pooling_window_animation(
    image,
    kernel_size,
    *,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    interval=900,
):
    """The pooling window visiting every output position, in reading order.

    Show it with :func:`lib.animation.animation_html`, which embeds every frame in the
    page, so that it plays on the website with no kernel and offline.

    Parameters
    ----------
    image, kernel_size, stride, padding, ceil_mode, count_include_pad
        As for :func:`pooling_window_figure`.
    interval : int, optional
        Milliseconds between frames.

    Returns
    -------
    matplotlib.animation.FuncAnimation
        One frame per output position (its figure is closed, so that the notebook does
        not also show it as a still).

    Examples
    --------
    >>> from lib.animation import animation_html
    >>> anim = pooling_window_animation(np.arange(16).reshape(4, 4), 2)
    >>> html = animation_html(anim, alt="A 2x2 window visiting four places.").data
    >>> html.count("data:image/png;base64")  # one frame per output position
    4
    """
    _, _, _, _, maxed, *_ = _plan(image, kernel_size, stride, padding, ceil_mode, count_include_pad)
    rows, cols = maxed.shape
    fig = plt.figure(figsize=(8.4, 3.0), dpi=60)

    def draw(frame):
        y, x = divmod(frame, cols)
        pooling_window_figure(
            image,
            kernel_size,
            y,
            x,
            stride=stride,
            padding=padding,
            ceil_mode=ceil_mode,
            count_include_pad=count_include_pad,
            fig=fig,
        )
        return fig.axes

    animation = FuncAnimation(fig, draw, frames=rows * cols, interval=interval)
    plt.close(fig)
    return animation


def pooling_window_widget(image):
    """Controls for the window's size, stride, padding and ceil mode, and its position.

    For readers running the notebook; the website shows
    :func:`pooling_window_animation` instead, because a slider does nothing there. The
    figure is drawn once per change, when a slider is released (a redraw takes about
    0.2 s, too long to follow a drag).
    Settings that break a pooling rule (padding more than half the window, a window
    larger than the input) print the rule instead of a figure.

    Parameters
    ----------
    image : array_like
        A small 2D map.

    Returns
    -------
    ipywidgets.Widget
    """
    import ipywidgets as widgets  # only needed in a running notebook

    image = as_array(image, "image")
    kernel = widgets.IntSlider(2, 1, 4, description="kernel_size", continuous_update=False)
    stride = widgets.IntSlider(2, 1, 4, description="stride", continuous_update=False)
    padding = widgets.IntSlider(0, 0, 2, description="padding", continuous_update=False)
    ceil = widgets.Checkbox(False, description="ceil_mode")
    include = widgets.Checkbox(True, description="count_include_pad")
    position = widgets.IntSlider(0, 0, 0, description="output cell", continuous_update=False)
    out = widgets.Output()
    adjusting = []  # non-empty while redraw moves the position slider's bounds

    def redraw(*_):
        if adjusting:  # the position clamped by a new maximum: this redraw draws it
            return
        args = (kernel.value, stride.value, padding.value, ceil.value, include.value)
        with out:
            out.clear_output(wait=True)
            try:
                maxed = _plan(image, *args)[4]
            except ValueError as error:
                print(error)
                return
            adjusting.append(True)
            try:
                position.max = maxed.size - 1
            finally:
                adjusting.clear()
            y, x = divmod(min(position.value, maxed.size - 1), maxed.shape[1])
            pooling_window_figure(
                image,
                kernel.value,
                y,
                x,
                stride=stride.value,
                padding=padding.value,
                ceil_mode=ceil.value,
                count_include_pad=include.value,
            )
            plt.show()

    for control in (kernel, stride, padding, ceil, include, position):
        control.observe(redraw, names="value")
    redraw()
    controls = widgets.VBox(
        [widgets.HBox([kernel, stride, padding]), widgets.HBox([ceil, include, position])]
    )
    return widgets.VBox([controls, out])
