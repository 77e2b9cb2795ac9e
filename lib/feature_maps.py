"""Figures of chapter 3: filters, feature maps and connection tables.

A convolutional layer's weight (O, C, kH, kW) is a grid of small kernels, one row per
filter and one column per input channel; its output is a stack of feature maps, one per
filter. These functions draw both with the book's colour rules (:mod:`lib.plotting`):
signed values with a diverging map centred on zero, so that white is zero.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation

from lib._validation import as_array, check_ndim
from lib.convolution import conv2d
from lib.notebook import DIVERGING_CMAP
from lib.plotting import NumberGrid, outline, show_grid, show_image, symmetric_limits

__all__ = [
    "ChannelSum",
    "channel_sum_animation",
    "channel_sum_figure",
    "channel_sum_widget",
    "show_filters",
    "show_maps",
    "show_table",
]


def show_filters(weight, *, row_names=None, column_names=None, size=1.1, per_row=False):
    """Draw a weight (O, C, kH, kW) as a grid of kernels: one row per filter, one column
    per input channel, on a colour scale centred on zero.

    Parameters
    ----------
    weight : array_like, shape (O, C, kH, kW)
    row_names, column_names : sequence of str, optional
        Labels of the filters and of the input channels.
    size : float, optional
        Inches per kernel.
    per_row : bool, optional
        Give each filter its own colour scale and colour bar, so that a filter with
        small weights is not washed out by one with large weights. Default False: one
        scale for all, with one colour bar.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``weight`` is not 4-D.

    Examples
    --------
    >>> fig = show_filters(np.ones((2, 3, 3, 3)), column_names=["R", "G", "B"])
    >>> len(fig.axes)
    7
    >>> plt.close(fig)
    >>> fig = show_filters(np.ones((2, 3, 3, 3)), per_row=True)
    >>> len(fig.axes)
    8
    >>> plt.close(fig)
    """
    weight = as_array(weight, "weight")
    check_ndim(weight, "weight", {4: "(O, C, kH, kW)"})
    rows, cols = weight.shape[:2]
    low, high = symmetric_limits(weight)
    fig, axes = plt.subplots(
        rows, cols, figsize=(size * cols + 1.6 + 0.4 * per_row, size * rows + 0.3), squeeze=False
    )
    for o in range(rows):
        if per_row:
            low, high = symmetric_limits(weight[o])
        for c in range(cols):
            ax = axes[o, c]
            drawn = ax.imshow(weight[o, c], cmap=DIVERGING_CMAP, vmin=low, vmax=high)
            ax.set_xticks([])
            ax.set_yticks([])
            if column_names is not None and o == 0:
                ax.set_title(column_names[c], fontsize=9)
            if row_names is not None and c == 0:
                ax.set_ylabel(row_names[o], rotation=0, ha="right", va="center", fontsize=9)
        if per_row:
            bar = fig.colorbar(drawn, ax=list(axes[o]), fraction=0.05, pad=0.04)
            bar.ax.tick_params(labelsize=7)
    if not per_row:
        fig.colorbar(drawn, ax=axes, fraction=0.05, pad=0.04)
    return fig


def show_maps(maps, titles=None, *, columns=3, size=2.6, signed=None):
    """Draw feature maps (O, H, W) side by side, each with its own colour bar.

    Parameters
    ----------
    maps : array_like, shape (O, H, W)
    titles : sequence of str, optional
    columns : int, optional
        Panels per row.
    size : float, optional
        Inches per panel.
    signed : bool, optional
        As in :func:`lib.plotting.show_image`: default, per map, whether it has a
        negative value.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = show_maps(np.zeros((4, 5, 5)), columns=3)
    >>> len([ax for ax in fig.axes if ax.get_images()])
    4
    >>> plt.close(fig)
    """
    maps = as_array(maps, "maps")
    check_ndim(maps, "maps", {3: "(O, H, W)"})
    count = len(maps)
    rows = -(-count // columns)
    fig, axes = plt.subplots(
        rows, columns, figsize=(size * columns * 1.15, size * rows), squeeze=False
    )
    for k, ax in enumerate(axes.ravel()):
        if k < count:
            title = titles[k] if titles is not None else f"map {k}"
            show_image(ax, maps[k], signed=signed, title=title)
        else:
            ax.set_axis_off()
    fig.tight_layout()
    return fig


def show_table(ax, table, *, title=None):
    """Draw a connection table (O, C): a dark cell where output channel ``o`` (row)
    reads input channel ``c`` (column).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    table : array_like of bool, shape (O, C)
    title : str, optional

    Examples
    --------
    >>> fig, ax = plt.subplots()
    >>> show_table(ax, np.eye(3, dtype=bool), title="depthwise")
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('input channel c', 'output channel o')
    >>> plt.close(fig)
    """
    table = np.asarray(as_array(table, "table", allow_bool=True), dtype=bool)
    check_ndim(table, "table", {2: "(O, C)"})
    rows, cols = table.shape
    ax.imshow(table, cmap="gray_r", vmin=0, vmax=1.4)
    ax.set_xticks(range(cols))
    ax.set_yticks(range(0, rows, 1 if rows <= 8 else 3))
    ax.set_xticks(np.arange(-0.5, cols, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, rows, 1), minor=True)
    ax.grid(which="minor", color="#999999", linewidth=0.6)
    ax.tick_params(which="minor", length=0)
    ax.tick_params(labelsize=8)
    ax.set_xlabel("input channel c")
    ax.set_ylabel("output channel o")
    if title:
        ax.set_title(f"{title}\n{int(table.sum())} links", fontsize=10)


def channel_sum_figure(input, weight, bias=0, y=0, x=0, *, names=None, fig=None):
    """One filter at one output position, channel by channel: the sum over channels.

    One row per input channel: the channel with the window of output (``y``, ``x``)
    outlined, that channel's kernel, and their products with their sum. A last panel
    adds the channels' sums and the bias into the output value, shown in the output map.

    Parameters
    ----------
    input : array_like, shape (C, H, W)
        A small input, shown with its numbers.
    weight : array_like, shape (C, kH, kW)
        One filter: a kernel per input channel.
    bias : number, optional
        The filter's bias. Default 0.
    y, x : int, optional
        The output position, 0-based. Default (0, 0).
    names : sequence of str, optional
        The channels' names. Default "channel 0", "channel 1", ...
    fig : matplotlib.figure.Figure, optional
        A figure to draw into (it is cleared); a new one by default.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If the shapes do not fit together, or (``y``, ``x``) is not an output position.

    Examples
    --------
    >>> image = np.arange(2 * 3 * 3).reshape(2, 3, 3)
    >>> fig = channel_sum_figure(image, np.ones((2, 2, 2), dtype=int), bias=1, y=1, x=0)
    >>> fig.axes[-1].get_title()
    'output: 20 + 56 + 1 = 77'
    >>> plt.close(fig)
    """
    panels = ChannelSum(input, weight, bias, names=names)  # checks the shapes
    panels.check_position(y, x)
    if fig is None:
        fig = plt.figure(figsize=panels.figsize)
    panels.build(fig)
    panels.show(y, x)
    fig.tight_layout()
    return fig


class ChannelSum:
    """:func:`channel_sum_figure`'s panels, built once, shown at any output position.

    The widget keeps one and calls :meth:`show` on every slider change, which updates
    the panels that depend on the position (the windows, the products and their sums,
    the output filled in so far) and builds nothing.

    Parameters
    ----------
    input, weight, bias, names
        As for :func:`channel_sum_figure`.

    Raises
    ------
    ValueError
        If the shapes do not fit together.
    """

    def __init__(self, input, weight, bias=0, *, names=None):
        input = as_array(input, "input")
        weight = as_array(weight, "weight")
        check_ndim(input, "input", {3: "(C, H, W)"})
        check_ndim(weight, "weight", {3: "(C, kH, kW): one filter"})
        if len(weight) != len(input):
            raise ValueError(
                f"weight must have one kernel per input channel, {len(input)}; got {len(weight)}"
            )
        self.input, self.weight, self.bias = input, weight, bias
        self.output = conv2d(input, weight[None], np.atleast_1d(bias))[0]
        channels = len(input)
        self.names = names or [f"channel {c}" for c in range(channels)]
        self.figsize = (9.6, 1.9 * channels + 0.2)

    def check_position(self, y, x):
        """Raise ValueError if (``y``, ``x``) is not an output position."""
        rows, cols = self.output.shape
        if not (0 <= y < rows and 0 <= x < cols):
            raise ValueError(
                f"(y, x) must be an output position in [0, {rows}) x [0, {cols}), got ({y}, {x})"
            )

    def build(self, fig):
        """Clear ``fig`` and draw what stays: the channels, the kernels, the grids."""
        input, weight = self.input, self.weight
        channels = len(input)
        kh, kw = weight.shape[1:]
        rows, cols = self.output.shape
        fig.clear()
        grid = fig.add_gridspec(channels, 4, width_ratios=[input.shape[2], kw, kw, cols])
        self.windows, self.products, self.product_axes = [], [], []
        for c in range(channels):
            ax = fig.add_subplot(grid[c, 0])
            show_grid(ax, input[c], title=self.names[c], signed=False)
            self.windows.append(outline(ax, 0, 0, kh, kw))
            show_grid(fig.add_subplot(grid[c, 1]), weight[c], title=f"kernel for {self.names[c]}")
            ax = fig.add_subplot(grid[c, 2])
            self.products.append(NumberGrid(ax, (kh, kw)))
            self.product_axes.append(ax)
        self.output_ax = fig.add_subplot(grid[:, 3])
        self.done = NumberGrid(self.output_ax, (rows, cols))
        self.current = outline(self.output_ax, 0, 0, 1, 1)

    def moving(self):
        """What :meth:`show` changes: ``(axes, artists)``, as
        :meth:`lib.figure_view.FigureView.moving` takes them."""
        artists = [*self.windows, *self.done.texts, self.current, self.output_ax.title]
        return self.product_axes, artists

    def show(self, y, x):
        """Draw output position (``y``, ``x``) into the built panels."""
        self.check_position(y, x)
        kh, kw = self.weight.shape[1:]
        rows, cols = self.output.shape
        sums = []
        for c in range(len(self.input)):
            window = self.input[c, y : y + kh, x : x + kw]
            products = window * self.weight[c]
            sums.append(products.sum())
            self.windows[c].set_xy((x - 0.5, y - 0.5))
            self.products[c].set(products)
            self.product_axes[c].set_title(f"products, sum = {sums[-1]}", fontsize=10)
        done = np.arange(rows * cols).reshape(rows, cols) > y * cols + x
        self.done.set(self.output, mask=done, signed=False)
        self.current.set_xy((x - 0.5, y - 0.5))
        terms = " + ".join(f"({s})" if s < 0 else str(s) for s in [*sums, self.bias])
        self.output_ax.set_title(f"output: {terms} = {self.output[y, x]}", fontsize=10)


def channel_sum_widget(input, weight, bias=0, *, names=None):
    """Sliders for the output position, redrawing :func:`channel_sum_figure`.

    For readers running the notebook; the website shows :func:`channel_sum_animation`
    instead, because a slider does nothing there. The figure is built once
    (:class:`ChannelSum`) and updated in place on each change, when a slider is
    released, and shown as an image (:class:`lib.figure_view.FigureView`).

    Parameters
    ----------
    input, weight, bias, names
        As for :func:`channel_sum_figure`.

    Returns
    -------
    ipywidgets.Widget
        The sliders and the figure they redraw.
    """
    import ipywidgets as widgets  # only needed in a running notebook

    from lib.figure_view import FigureView

    panels = ChannelSum(input, weight, bias, names=names)  # checks the shapes
    view = FigureView(panels.figsize)
    panels.build(view.figure)
    panels.show(0, 0)
    view.figure.tight_layout()
    axes, artists = panels.moving()
    view.moving(axes=axes, artists=artists)
    rows, cols = panels.output.shape

    def draw(y, x):
        panels.show(y, x)
        view.update()

    controls = widgets.interactive(
        draw,
        y=widgets.IntSlider(0, 0, rows - 1, description="row y", continuous_update=False),
        x=widgets.IntSlider(0, 0, cols - 1, description="column x", continuous_update=False),
    )
    controls.children += (view.widget,)
    return controls


def channel_sum_animation(input, weight, bias=0, *, names=None, interval=900):
    """:func:`channel_sum_figure` at every output position, in reading order.

    For the website, where no kernel runs: show it with :func:`lib.animation.animation_html`,
    which embeds every frame, so that it plays offline. Keep the input small: one frame
    per output position.

    Parameters
    ----------
    input, weight, bias, names
        As for :func:`channel_sum_figure`.
    interval : int, optional
        Milliseconds between frames. Default 900.

    Returns
    -------
    matplotlib.animation.FuncAnimation
        The animation (its figure is closed, so that it is not also shown as a still).

    Raises
    ------
    ValueError
        As :func:`channel_sum_figure`, if the shapes do not fit together.

    Examples
    --------
    >>> from lib.animation import animation_html
    >>> image = np.arange(2 * 3 * 3).reshape(2, 3, 3)
    >>> anim = channel_sum_animation(image, np.ones((2, 2, 2), dtype=int), bias=1)
    >>> html = animation_html(anim, alt="One filter at each of 4 positions.").data
    >>> html.count("frames[3] = "), html.count("frames[4] = ")  # a 2 x 2 output
    (1, 0)
    """
    input, weight, rows, cols = _one_filter_positions(input, weight)
    # Built once and updated in place, as the widget is: each frame only moves the
    # windows and fills in the numbers, instead of drawing ten panels again.
    panels = ChannelSum(input, weight, bias, names=names)  # checks the shapes
    fig = plt.figure(figsize=panels.figsize)
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


def _one_filter_positions(input, weight):
    """``input`` (C, H, W) and one filter ``weight`` (C, kH, kW) as arrays, with the
    number of output rows and columns of their valid correlation."""
    input, weight = as_array(input, "input"), as_array(weight, "weight")
    check_ndim(input, "input", {3: "(C, H, W)"})
    check_ndim(weight, "weight", {3: "(C, kH, kW): one filter"})
    rows = input.shape[1] - weight.shape[1] + 1
    cols = input.shape[2] - weight.shape[2] + 1
    return input, weight, rows, cols
