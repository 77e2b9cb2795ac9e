"""Figures of chapter 4: the pooling window, as a still, an animation and a widget.

One class draws the picture (:class:`PoolingWindow`); the still figure
(:func:`pooling_window_figure`, which the website's animation
:func:`pooling_window_animation` calls per frame) and the notebook's widget
(:func:`pooling_window_widget`) both draw through it, so that they show the same thing:
the window on the (padded) input, its maximum marked, and the outputs of max pooling and
of average pooling filled in up to the window's position.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation
from matplotlib.patches import Rectangle

from lib._validation import as_array, as_int
from lib.plotting import PADDING_FILL, NumberGrid, outline, show_grid
from lib.pooling import avg_pool2d, avg_pool2d_divisors, max_pool2d

__all__ = [
    "PoolingWindow",
    "pooling_window_animation",
    "pooling_window_figure",
    "pooling_window_widget",
]

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
    panels = PoolingWindow(
        image,
        kernel_size,
        stride=stride,
        padding=padding,
        ceil_mode=ceil_mode,
        count_include_pad=count_include_pad,
    )
    y, x = panels.check_position(y, x)
    if fig is None:
        fig = plt.figure(figsize=(8.4, 3.0))
    panels.build(fig)
    panels.show(y, x)
    fig.tight_layout()
    return fig


class PoolingWindow:
    """:func:`pooling_window_figure`'s panels for one setting of the pooling, built
    once, shown at any output position.

    The widget keeps one per setting and calls :meth:`show` when only the position
    changes, which updates the window, the winner, the outputs filled in so far and the
    titles, and builds nothing.

    Parameters
    ----------
    image, kernel_size, stride, padding, ceil_mode, count_include_pad
        As for :func:`pooling_window_figure`.

    Raises
    ------
    ValueError
        If ``image`` is not 2D, or the pooling's arguments break its rules.
    """

    def __init__(
        self, image, kernel_size, *, stride=None, padding=0, ceil_mode=False, count_include_pad=True
    ):
        plan = _plan(image, kernel_size, stride, padding, ceil_mode, count_include_pad)
        self.image, self.k, self.s, self.p, self.maxed, self.indices, self.averaged = plan[:7]
        self.height, self.width = plan[7]
        self.divisors = avg_pool2d_divisors(
            self.image.shape, self.k, self.s, self.p, ceil_mode, count_include_pad
        )
        in_h, in_w = self.image.shape
        p = self.p
        # The input placed in the drawn grid; padding and overhang cells are left blank.
        self.grid = np.zeros((self.height, self.width), dtype=self.image.dtype)
        self.grid[p : p + in_h, p : p + in_w] = self.image
        self.blank = np.ones((self.height, self.width), bool)
        self.blank[p : p + in_h, p : p + in_w] = False

    def check_position(self, y, x):
        """(``y``, ``x``) as ints; raises ValueError if it is not an output position."""
        rows, cols = self.maxed.shape
        y, x = as_int(y, "y"), as_int(x, "x")
        if not (0 <= y < rows and 0 <= x < cols):
            raise ValueError(
                f"(y, x) must be an output position in [0, {rows}) x [0, {cols}), got ({y}, {x})"
            )
        return y, x

    def build(self, fig):
        """Clear ``fig`` and draw what stays: the input, its padding, the grids."""
        rows, cols = self.maxed.shape
        in_h, in_w = self.image.shape
        p, k = self.p, self.k
        fig.clear()
        self.axes = axes = fig.subplots(
            1, 3, gridspec_kw={"width_ratios": [self.width, cols, cols]}
        )
        show_grid(axes[0], self.grid, mask=self.blank, signed=False)
        for py in range(self.height):
            for px in range(self.width):
                if not self.blank[py, px]:
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
                    axes[0].text(
                        px, py, "pad", ha="center", va="center", fontsize=7, color="#555555"
                    )
        self.window = outline(axes[0], 0, 0, k, k)
        self.winner = outline(axes[0], 0, 0, 1, 1, color=WINNER, linewidth=2.5)
        self.max_grid = NumberGrid(axes[1], (rows, cols))
        self.max_cell = outline(axes[1], 0, 0, 1, 1)
        self.mean_grid = NumberGrid(axes[2], (rows, cols))
        self.mean_cell = outline(axes[2], 0, 0, 1, 1)

    def moving(self):
        """What :meth:`show` changes: ``(axes, artists)``, as
        :meth:`lib.figure_view.FigureView.moving` takes them."""
        artists = [self.window, self.winner, self.max_cell, self.mean_cell]
        artists += [*self.max_grid.texts, *self.mean_grid.texts]
        artists += [ax.title for ax in self.axes]
        return [], artists

    def show(self, y, x):
        """Draw output position (``y``, ``x``) into the built panels."""
        y, x = self.check_position(y, x)
        rows, cols = self.maxed.shape
        k, axes = self.k, self.axes
        axes[0].set_title(f"input, window of output ({y}, {x})", fontsize=10)
        top, left = y * self.s, x * self.s
        self.window.set_xy((left - 0.5, top - 0.5))
        win_y, win_x = divmod(int(self.indices[y, x]), self.image.shape[1])
        self.winner.set_xy((win_x + self.p - 0.5, win_y + self.p - 0.5))

        done = np.arange(rows * cols).reshape(rows, cols) > y * cols + x
        self.max_grid.set(self.maxed, mask=done, signed=False)
        axes[1].set_title(f"max pooling\nmax = {self.maxed[y, x]}", fontsize=10)
        self.max_cell.set_xy((x - 0.5, y - 0.5))
        window = self.grid[top : top + k, left : left + k]
        counted = ~self.blank[top : top + k, left : left + k]
        total = window[counted].sum()
        divisor = self.divisors[y, x]
        mean = self.averaged[y, x]
        self.mean_grid.set(self.averaged, mask=done, signed=False, fmt="{:.2f}")
        axes[2].set_title(
            f"average pooling\nmean = {total} / {int(divisor)} = {mean:.2f}", fontsize=10
        )
        self.mean_cell.set_xy((x - 0.5, y - 0.5))


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
    # Built once and updated in place, as the widget is (see :class:`PoolingWindow`).
    panels = PoolingWindow(
        image,
        kernel_size,
        stride=stride,
        padding=padding,
        ceil_mode=ceil_mode,
        count_include_pad=count_include_pad,
    )
    rows, cols = panels.maxed.shape
    fig = plt.figure(figsize=(8.4, 3.0), dpi=60)
    panels.build(fig)
    panels.show(0, 0)
    fig.tight_layout()

    def draw(frame):
        y, x = divmod(frame, cols)
        panels.show(y, x)
        return fig.axes

    animation = FuncAnimation(fig, draw, frames=rows * cols, interval=interval)
    plt.close(fig)
    return animation


def pooling_window_widget(image):
    """Controls for the window's size, stride, padding and ceil mode, and its position.

    For readers running the notebook; the website shows
    :func:`pooling_window_animation` instead, because a slider does nothing there. The
    figure is drawn once per change, when a slider is released, and shown as an image
    (:class:`lib.figure_view.FigureView`): a change of the position only updates the
    figure's panels (:meth:`PoolingWindow.show`), a change of the pooling builds them
    for the new setting.
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

    from lib.figure_view import FigureView

    image = as_array(image, "image")
    kernel = widgets.IntSlider(2, 1, 4, description="kernel_size", continuous_update=False)
    stride = widgets.IntSlider(2, 1, 4, description="stride", continuous_update=False)
    padding = widgets.IntSlider(0, 0, 2, description="padding", continuous_update=False)
    ceil = widgets.Checkbox(False, description="ceil_mode")
    include = widgets.Checkbox(True, description="count_include_pad")
    position = widgets.IntSlider(0, 0, 0, description="output cell", continuous_update=False)
    out = widgets.Output()
    view = FigureView((8.4, 3.0))
    built = {}  # the setting whose panels the figure holds, and the panels
    adjusting = []  # non-empty while redraw moves the position slider's bounds

    def redraw(*_):
        if adjusting:  # the position clamped by a new maximum: this redraw draws it
            return
        setting = (kernel.value, stride.value, padding.value, ceil.value, include.value)
        if built.get("setting") != setting:
            out.clear_output()
            try:
                panels = PoolingWindow(
                    image,
                    kernel.value,
                    stride=stride.value,
                    padding=padding.value,
                    ceil_mode=ceil.value,
                    count_include_pad=include.value,
                )
            except ValueError as error:
                built.clear()
                view.hide()
                with out:
                    print(error)
                return
            adjusting.append(True)
            try:
                position.max = panels.maxed.size - 1
            finally:
                adjusting.clear()
            view.rebuilt()
            panels.build(view.figure)
            built.update(setting=setting, panels=panels, layout=False)
        panels = built["panels"]
        y, x = divmod(min(position.value, panels.maxed.size - 1), panels.maxed.shape[1])
        panels.show(y, x)
        if not built["layout"]:  # once per setting: the layout of its first titles
            view.figure.tight_layout()
            axes, artists = panels.moving()
            view.moving(axes=axes, artists=artists)
            built["layout"] = True
        view.update()

    for control in (kernel, stride, padding, ceil, include, position):
        control.observe(redraw, names="value")
    redraw()
    controls = widgets.VBox(
        [widgets.HBox([kernel, stride, padding]), widgets.HBox([ceil, include, position])]
    )
    return widgets.VBox([controls, out, view.widget])
