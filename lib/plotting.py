"""Figures of the book: number grids, feature maps, and the sliding window.

The chapters draw with these functions so that every figure has the same style and the
same honest colour scale: a signed map (one that can be negative) is drawn with a
diverging colour map centred on zero, so that white means zero and the eye can tell the
sign; an unsigned map uses the sequential map. Both maps are readable by colour-blind
readers.

The sliding-window figure is drawn by one class, :class:`SlidingWindow`: the still
figure (:func:`sliding_window_figure`, which the website's animation
:func:`sliding_window_animation` calls per frame) and the notebook widget
(:func:`sliding_window_widget`, which builds it once and moves it) both draw through it, so
that they show the same picture.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation
from matplotlib.collections import LineCollection
from matplotlib.patches import Rectangle

from lib.convolution import conv2d
from lib.notebook import DIVERGING_CMAP
from lib.padding import pad2d
from lib.shapes import output_size

#: Colour of the window outline and of the output cell being computed (Okabe-Ito orange).
HIGHLIGHT = "#E69F00"
#: Fill of the cells that padding adds around an input.
PADDING_FILL = "#DDDDDD"


def symmetric_limits(array):
    """The colour limits ``(-m, m)`` that centre a diverging map on zero.

    Parameters
    ----------
    array : array_like
        The values to be shown.

    Returns
    -------
    tuple of float
        ``(-m, m)`` with ``m`` the largest absolute value, or ``(-1, 1)`` for an all-zero
        array (so that zero still maps to the middle of the colour map).

    Examples
    --------
    >>> symmetric_limits([[-3, 1], [2, 0]])
    (-3.0, 3.0)
    >>> symmetric_limits([0, 0])
    (-1.0, 1.0)
    """
    largest = float(np.max(np.abs(array))) if np.size(array) else 0.0
    largest = largest or 1.0
    return (-largest, largest)


def show_image(
    ax, image, *, signed=None, title=None, colorbar=True, cmap="gray", clip_percentile=None
):
    """Show a photograph or a feature map on ``ax``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    image : array_like
        A 2D array (or an (H, W, 3) colour image, shown as it is).
    signed : bool, optional
        Draw with the diverging map centred on zero. Default: when ``image`` has a
        negative value.
    title : str, optional
        The panel's title.
    colorbar : bool, optional
        Add a colour bar, so that the reader can read values off the colours.
    cmap : str, optional
        The colour map of an unsigned image: grey levels by default, as for a photograph;
        :data:`lib.notebook.SEQUENTIAL_CMAP` for a heat map.
    clip_percentile : float, optional
        Of a signed map: end the colour scale at this percentile of the absolute values
        (say 99) instead of at the largest one, so that a few strong edges do not wash out
        all the others. The colour bar's arrows then say that some values lie beyond it.

    Returns
    -------
    matplotlib.image.AxesImage
        The drawn image.

    Raises
    ------
    ValueError
        If ``clip_percentile`` is not a number in (0, 100].

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> edges = np.array([[-100.0, -1.0], [1.0, 2.0]])
    >>> show_image(ax, edges).get_clim()
    (-100.0, 100.0)
    >>> show_image(ax, edges, clip_percentile=50).get_clim()
    (-1.5, 1.5)
    >>> plt.close(fig)
    """
    if clip_percentile is not None and not (
        isinstance(clip_percentile, int | float) and 0 < clip_percentile <= 100
    ):
        raise ValueError(f"clip_percentile must be a number in (0, 100]; got {clip_percentile!r}")
    image = np.asarray(image)
    extend = "neither"
    if image.ndim == 3:
        drawn = ax.imshow(image)
        colorbar = False
    else:
        if signed is None:
            signed = bool(np.min(image) < 0)
        if signed:
            low, high = symmetric_limits(image)
            if clip_percentile is not None:
                high = float(np.percentile(np.abs(image), clip_percentile)) or high
                low = -high
                extend = "both" if np.max(np.abs(image)) > high else "neither"
            drawn = ax.imshow(image, cmap=DIVERGING_CMAP, vmin=low, vmax=high)
        else:
            drawn = ax.imshow(image, cmap=cmap)
    if colorbar:
        ax.figure.colorbar(drawn, ax=ax, fraction=0.046, pad=0.04, extend=extend)
    if title:
        ax.set_title(title)
    ax.set_axis_off()
    return drawn


class NumberGrid:
    """A small matrix drawn as a grid of cells with their numbers, redrawn in place.

    The grid's cells, borders and one text per cell are made once; :meth:`set` writes
    a matrix into them (numbers, colours, blank cells), so that a widget can show
    another matrix of the same shape without building the axes again.
    :func:`show_grid` is one :class:`NumberGrid` set once.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    shape : (int, int)
        The matrix's rows and columns.
    title : str, optional
        The panel's title.
    fontsize : float, optional
        Size of the numbers (the title is one point larger).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> grid = NumberGrid(ax, (1, 2)).set([[1, -2]])
    >>> [t.get_text() for t in ax.texts]
    ['1', '-2']
    >>> _ = grid.set([[3, 4]], mask=[[False, True]])
    >>> [t.get_text() for t in ax.texts if t.get_visible()]
    ['3']
    >>> plt.close(fig)
    """

    def __init__(self, ax, shape, *, title=None, fontsize=9):
        rows, cols = shape
        self.ax, self.shape = ax, (rows, cols)
        self.image = ax.imshow(np.zeros(shape), cmap="gray", vmin=-1, vmax=0)
        self.texts = [
            ax.text(x, y, "", ha="center", va="center", fontsize=fontsize)
            for y in range(rows)
            for x in range(cols)
        ]
        # Cell borders: one collection of lines between the cells, where a grid would
        # be, pixel for pixel the same as a grid on minor ticks, which draws 40 % slower
        # (an axis's ticks are artists of their own).
        ax.set_xticks([])
        ax.set_yticks([])
        ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
        borders = [[(x, -0.5), (x, rows - 0.5)] for x in np.arange(-0.5, cols, 1)]
        borders += [[(-0.5, y), (cols - 0.5, y)] for y in np.arange(-0.5, rows, 1)]
        ax.add_collection(
            LineCollection(
                borders, colors="#555555", linewidths=0.8, capstyle="projecting", zorder=1.5
            ),
            autolim=False,
        )
        if title:
            ax.set_title(title, fontsize=fontsize + 1)

    def set(self, array, *, signed=None, mask=None, fmt=None):
        """Show ``array`` (of the grid's shape); returns the grid.

        Parameters
        ----------
        array : array_like
            The matrix.
        signed : bool, optional
            Colour the cells with the diverging map centred on zero. Default: when
            ``array`` has a negative value. Unsigned grids are drawn white, so the
            numbers carry them.
        mask : array_like of bool, optional
            Cells to leave blank (True = blank): for an output that is not computed yet.
        fmt : str, optional
            Format of the numbers, e.g. ``"{:.1f}"``. Default: integers as integers,
            other values with two decimals.
        """
        array = np.asarray(array)
        if array.shape != self.shape:
            raise ValueError(f"array must have the grid's shape {self.shape}, got {array.shape}")
        if fmt is None:
            fmt = "{:d}" if np.issubdtype(array.dtype, np.integer) else "{:.2f}"
        if signed is None:
            signed = bool(np.min(array) < 0)
        blank = np.zeros(array.shape, bool) if mask is None else np.asarray(mask, bool)
        if signed:
            low, high = symmetric_limits(array)
            self.image.set_cmap(DIVERGING_CMAP)
            self.image.set_data(np.ma.masked_array(array.astype(float), blank))
            self.image.set_clim(2 * low, 2 * high)  # pale colours
        else:
            self.image.set_cmap("gray")
            self.image.set_data(np.zeros(array.shape))  # all white
            self.image.set_clim(-1, 0)
        for text, value, hidden in zip(self.texts, array.flat, blank.flat, strict=True):
            text.set_visible(not hidden)
            text.set_text("" if hidden else fmt.format(value))
        return self


def show_grid(ax, array, *, title=None, signed=None, mask=None, fmt=None, fontsize=9):
    """Draw a small matrix as a grid of cells, each with its number written in it.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    array : array_like
        A small 2D array.
    title : str, optional
        The panel's title.
    signed : bool, optional
        Colour the cells with the diverging map centred on zero. Default: when ``array``
        has a negative value. Unsigned grids are drawn white, so the numbers carry them.
    mask : array_like of bool, optional
        Cells to leave blank (True = blank): for an output that is not computed yet.
    fmt : str, optional
        Format of the numbers, e.g. ``"{:.1f}"``. Default: integers as integers, other
        values with two decimals.
    fontsize : float, optional
        Size of the numbers.

    Returns
    -------
    NumberGrid
        The grid, which :meth:`NumberGrid.set` can fill again.
    """
    grid = NumberGrid(ax, np.shape(array), title=title, fontsize=fontsize)
    return grid.set(array, signed=signed, mask=mask, fmt=fmt)


def outline(ax, top, left, height, width, *, color=HIGHLIGHT, linewidth=3):
    """Outline the block of grid cells whose top-left cell is (``top``, ``left``).

    Returns the outline (a Rectangle): ``set_xy((left - 0.5, top - 0.5))`` moves it.
    """
    return ax.add_patch(
        Rectangle(
            (left - 0.5, top - 0.5), width, height, fill=False, ec=color, lw=linewidth, zorder=3
        )
    )


class SlidingWindow:
    """:func:`sliding_window_figure`'s panels, built once, shown at any output position.

    The widget keeps one and calls :meth:`show` on every slider change, which updates
    the panels that depend on the position (the window's outlines, the products and
    their sum, the output filled in so far) and builds nothing.

    Parameters
    ----------
    image, kernel, padding, stride, dilation, fig
        As for :func:`sliding_window_figure` (``fig`` is required).
    """

    def __init__(self, image, kernel, *, padding=0, stride=1, dilation=1, fig):
        image, kernel = np.asarray(image), np.asarray(kernel)
        self.kernel, self.stride, self.dilation = kernel, stride, dilation
        self.output = conv2d(image, kernel, padding=padding, stride=stride, dilation=dilation)
        self.padded = pad2d(image, padding)
        rows, cols = self.output.shape
        k_h, k_w = kernel.shape
        fig.clear()
        axes = fig.subplots(
            1, 4, gridspec_kw={"width_ratios": [self.padded.shape[1], k_w, k_w, cols]}
        )
        self.axes = axes
        show_grid(
            axes[0], self.padded, title="input" + (" (padded)" if padding else ""), signed=False
        )
        if padding:
            height, width = self.padded.shape
            for py in range(height):
                for px in range(width):
                    inside = padding <= py < height - padding and padding <= px < width - padding
                    if not inside:
                        axes[0].add_patch(
                            Rectangle((px - 0.5, py - 0.5), 1, 1, color=PADDING_FILL, zorder=0.5)
                        )
        self.taps = [outline(axes[0], 0, 0, 1, 1, linewidth=2) for _ in range(k_h * k_w)]
        show_grid(axes[1], kernel, title="kernel K")
        self.products = NumberGrid(axes[2], (k_h, k_w))
        self.done = NumberGrid(axes[3], (rows, cols))
        self.current = outline(axes[3], 0, 0, 1, 1)

    def moving(self):
        """What :meth:`show` changes: ``(axes, artists)``, as
        :meth:`lib.figure_view.FigureView.moving` takes them."""
        if np.min(self.output) < 0:  # the output's cells are coloured as they fill in
            return [self.axes[2], self.axes[3]], self.taps
        artists = [*self.taps, *self.done.texts, self.current, self.axes[3].title]
        return [self.axes[2]], artists

    def show(self, y, x):
        """Draw output position (``y``, ``x``); raises ValueError if it is not one."""
        rows, cols = self.output.shape
        if not (0 <= y < rows and 0 <= x < cols):
            raise ValueError(
                f"(y, x) must be an output position in [0, {rows}) x [0, {cols}), got ({y}, {x})"
            )
        k_h, k_w = self.kernel.shape
        # The input pixels the window reads: rows y*s, y*s + d, ..., and likewise columns.
        window_rows = y * self.stride + self.dilation * np.arange(k_h)
        window_cols = x * self.stride + self.dilation * np.arange(k_w)
        window = self.padded[np.ix_(window_rows, window_cols)]
        products = window * self.kernel
        taps = [(wy, wx) for wy in window_rows for wx in window_cols]
        for patch, (wy, wx) in zip(self.taps, taps, strict=True):
            patch.set_xy((wx - 0.5, wy - 0.5))
        self.products.set(products)
        self.axes[2].set_title(f"products, sum = {products.sum()}", fontsize=10)
        done = np.arange(rows * cols).reshape(rows, cols) > y * cols + x
        self.done.set(self.output, mask=done)
        self.axes[3].set_title(f"output O({y}, {x})", fontsize=10)
        self.current.set_xy((x - 0.5, y - 0.5))


def sliding_window_figure(image, kernel, y, x, *, padding=0, stride=1, dilation=1, fig=None):
    """The formula at one output position: window, kernel, products, sum, output.

    Four panels: the (padded) input with the window of output (``y``, ``x``) outlined; the
    kernel; the products of the window's pixels with the kernel's weights, and their sum;
    the output map filled in up to (``y``, ``x``) in reading order.

    Parameters
    ----------
    image : array_like
        A small 2D input, shown with its numbers.
    kernel : array_like
        A small 2D kernel.
    y, x : int
        The output position, 0-based.
    padding, stride, dilation : int, optional
        As in :func:`lib.conv2d` (zero padding).
    fig : matplotlib.figure.Figure, optional
        A figure to draw into (it is cleared); a new one by default.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.

    Raises
    ------
    ValueError
        If (``y``, ``x``) is not a position of the output.
    """
    image, kernel = np.asarray(image), np.asarray(kernel)
    rows = output_size(image.shape[0], kernel.shape[0], stride, padding, dilation)
    cols = output_size(image.shape[1], kernel.shape[1], stride, padding, dilation)
    if not (0 <= y < rows and 0 <= x < cols):
        raise ValueError(
            f"(y, x) must be an output position in [0, {rows}) x [0, {cols}), got ({y}, {x})"
        )
    if fig is None:
        fig = plt.figure(figsize=(9.6, 2.9))
    panels = SlidingWindow(
        image, kernel, padding=padding, stride=stride, dilation=dilation, fig=fig
    )
    panels.show(y, x)
    fig.tight_layout()
    return fig


def sliding_window_animation(image, kernel, *, padding=0, stride=1, dilation=1, interval=700):
    """An animation of the window sliding over every output position, in reading order.

    For the website, where no kernel runs: show it with :func:`lib.animation.animation_html`,
    which embeds every frame in the page, so it plays offline (matplotlib's own
    ``to_jshtml`` would fetch its icons from a CDN).

    Parameters
    ----------
    image, kernel : array_like
        Small 2D arrays, as for :func:`sliding_window_figure`.
    padding, stride, dilation : int, optional
        As in :func:`lib.conv2d`.
    interval : int, optional
        Milliseconds between frames.

    Returns
    -------
    matplotlib.animation.FuncAnimation
        The animation (its figure is closed, so that it is not also shown as a still).
    """
    image, kernel = np.asarray(image), np.asarray(kernel)
    n_rows = output_size(image.shape[0], kernel.shape[0], stride, padding, dilation)
    n_cols = output_size(image.shape[1], kernel.shape[1], stride, padding, dilation)
    fig = plt.figure(figsize=(9.6, 2.9), dpi=72)
    # Built once and updated in place, as the widget is (see :class:`SlidingWindow`).
    panels = SlidingWindow(
        image, kernel, padding=padding, stride=stride, dilation=dilation, fig=fig
    )
    panels.show(0, 0)
    fig.tight_layout()

    def draw(frame):
        y, x = divmod(frame, n_cols)
        panels.show(y, x)
        return fig.axes

    animation = FuncAnimation(fig, draw, frames=n_rows * n_cols, interval=interval)
    plt.close(fig)
    return animation


def sliding_window_widget(image, kernel, *, padding=0, stride=1, dilation=1):
    """Sliders for the output position, redrawing :func:`sliding_window_figure`.

    For readers running the notebook; the website shows
    :func:`sliding_window_animation` instead, because a slider does nothing there. The
    figure is built once (:class:`SlidingWindow`) and updated in place on each change,
    when a slider is released, and shown as an image (:class:`lib.figure_view.FigureView`).

    Parameters
    ----------
    image, kernel : array_like
        Small 2D arrays, as for :func:`sliding_window_figure`.
    padding, stride, dilation : int, optional
        As in :func:`lib.conv2d`.

    Returns
    -------
    ipywidgets.Widget
        The sliders and the figure they redraw.
    """
    import ipywidgets as widgets  # only needed in a running notebook

    from lib.figure_view import FigureView

    image, kernel = np.asarray(image), np.asarray(kernel)
    view = FigureView((9.6, 2.9))
    panels = SlidingWindow(
        image, kernel, padding=padding, stride=stride, dilation=dilation, fig=view.figure
    )
    panels.show(0, 0)
    view.figure.tight_layout()
    axes, artists = panels.moving()
    view.moving(axes=axes, artists=artists)
    n_rows, n_cols = panels.output.shape

    def draw(y, x):
        panels.show(y, x)
        view.update()

    controls = widgets.interactive(
        draw,
        y=widgets.IntSlider(0, 0, n_rows - 1, description="row y", continuous_update=False),
        x=widgets.IntSlider(0, 0, n_cols - 1, description="column x", continuous_update=False),
    )
    controls.children += (view.widget,)
    return controls
