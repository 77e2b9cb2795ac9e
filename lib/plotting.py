"""Figures of the book: number grids, feature maps, and the sliding window.

The chapters draw with these functions so that every figure has the same style and the
same honest colour scale: a signed map (one that can be negative) is drawn with a
diverging colour map centred on zero, so that white means zero and the eye can tell the
sign; an unsigned map uses the sequential map. Both maps are readable by colour-blind
readers.

The sliding-window figure is drawn by one function, :func:`sliding_window_figure`, which
the notebook widget (:func:`sliding_window_widget`) and the website's animation
(:func:`sliding_window_animation`) both call, so that the two show the same picture.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation
from matplotlib.patches import Rectangle

from lib._validation import as_pair
from lib.convolution import conv2d
from lib.notebook import DIVERGING_CMAP
from lib.padding import pad2d
from lib.shapes import output_size, unread_positions

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


def show_image(ax, image, *, signed=None, title=None, colorbar=True, cmap="gray"):
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

    Returns
    -------
    matplotlib.image.AxesImage
        The drawn image.
    """
    image = np.asarray(image)
    if image.ndim == 3:
        drawn = ax.imshow(image)
        colorbar = False
    else:
        if signed is None:
            signed = bool(np.min(image) < 0)
        if signed:
            low, high = symmetric_limits(image)
            drawn = ax.imshow(image, cmap=DIVERGING_CMAP, vmin=low, vmax=high)
        else:
            drawn = ax.imshow(image, cmap=cmap)
    if colorbar:
        ax.figure.colorbar(drawn, ax=ax, fraction=0.046, pad=0.04)
    if title:
        ax.set_title(title)
    ax.set_axis_off()
    return drawn


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
    """
    array = np.asarray(array)
    if fmt is None:
        fmt = "{:d}" if np.issubdtype(array.dtype, np.integer) else "{:.2f}"
    if signed is None:
        signed = bool(np.min(array) < 0)
    blank = np.zeros(array.shape, bool) if mask is None else np.asarray(mask, bool)
    shown = np.ma.masked_array(array.astype(float), blank)
    if signed:
        low, high = symmetric_limits(array)
        ax.imshow(shown, cmap=DIVERGING_CMAP, vmin=2 * low, vmax=2 * high)  # pale colours
    else:
        ax.imshow(np.zeros(array.shape), cmap="gray", vmin=-1, vmax=0)  # all white
    rows, cols = array.shape
    for y in range(rows):
        for x in range(cols):
            if not blank[y, x]:
                ax.text(x, y, fmt.format(array[y, x]), ha="center", va="center", fontsize=fontsize)
    # Cell borders: a grid on minor ticks placed between the cells, with no tick labels.
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xticks(np.arange(-0.5, cols, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, rows, 1), minor=True)
    ax.grid(which="minor", color="#555555", linewidth=0.8)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    if title:
        ax.set_title(title, fontsize=fontsize + 1)


def outline(ax, top, left, height, width, *, color=HIGHLIGHT, linewidth=3):
    """Outline the block of grid cells whose top-left cell is (``top``, ``left``)."""
    ax.add_patch(
        Rectangle(
            (left - 0.5, top - 0.5), width, height, fill=False, ec=color, lw=linewidth, zorder=3
        )
    )


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
    output = conv2d(image, kernel, padding=padding, stride=stride, dilation=dilation)
    rows, cols = output.shape
    if not (0 <= y < rows and 0 <= x < cols):
        raise ValueError(
            f"(y, x) must be an output position in [0, {rows}) x [0, {cols}), got ({y}, {x})"
        )
    padded = pad2d(image, padding)
    k_h, k_w = kernel.shape
    # The input pixels the window reads: rows y*s, y*s + d, ..., and likewise columns.
    window_rows = y * stride + dilation * np.arange(k_h)
    window_cols = x * stride + dilation * np.arange(k_w)
    window = padded[np.ix_(window_rows, window_cols)]
    products = window * kernel

    if fig is None:
        fig = plt.figure(figsize=(9.6, 2.9))
    fig.clear()
    axes = fig.subplots(1, 4, gridspec_kw={"width_ratios": [padded.shape[1], k_w, k_w, cols]})
    show_grid(axes[0], padded, title="input" + (" (padded)" if padding else ""), signed=False)
    if padding:
        for py in range(padded.shape[0]):
            for px in range(padded.shape[1]):
                inside = padding <= py < padded.shape[0] - padding and (
                    padding <= px < padded.shape[1] - padding
                )
                if not inside:
                    axes[0].add_patch(
                        Rectangle((px - 0.5, py - 0.5), 1, 1, color=PADDING_FILL, zorder=0.5)
                    )
    for wy in window_rows:
        for wx in window_cols:
            outline(axes[0], wy, wx, 1, 1, linewidth=2)
    show_grid(axes[1], kernel, title="kernel K")
    show_grid(axes[2], products, title=f"products, sum = {products.sum()}")
    done = np.arange(rows * cols).reshape(rows, cols) > y * cols + x
    show_grid(axes[3], output, title=f"output O({y}, {x})", mask=done)
    outline(axes[3], y, x, 1, 1)
    fig.tight_layout()
    return fig


def sliding_window_animation(image, kernel, *, padding=0, stride=1, dilation=1, interval=700):
    """An animation of the window sliding over every output position, in reading order.

    For the website, where no kernel runs: show it with ``HTML(anim.to_jshtml())``, which
    embeds every frame in the page, so it plays offline.

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

    def draw(frame):
        y, x = divmod(frame, n_cols)
        sliding_window_figure(
            image, kernel, y, x, padding=padding, stride=stride, dilation=dilation, fig=fig
        )
        return fig.axes

    animation = FuncAnimation(fig, draw, frames=n_rows * n_cols, interval=interval)
    plt.close(fig)
    return animation


def sliding_window_widget(image, kernel, *, padding=0, stride=1, dilation=1):
    """Sliders for the output position, redrawing :func:`sliding_window_figure`.

    For readers running the notebook; the website shows
    :func:`sliding_window_animation` instead, because a slider does nothing there.

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

    image, kernel = np.asarray(image), np.asarray(kernel)
    n_rows = output_size(image.shape[0], kernel.shape[0], stride, padding, dilation)
    n_cols = output_size(image.shape[1], kernel.shape[1], stride, padding, dilation)

    def draw(y, x):
        sliding_window_figure(
            image, kernel, y, x, padding=padding, stride=stride, dilation=dilation
        )
        plt.show()

    return widgets.interactive(
        draw,
        y=widgets.IntSlider(0, 0, n_rows - 1, description="row y"),
        x=widgets.IntSlider(0, 0, n_cols - 1, description="column x"),
    )


# --- Convolution arithmetic: where the windows go (chapter 2) --------------------------------

#: Fill of the input's pixels, of the output's cells, and of an output cell already computed,
#: in the convolution-arithmetic figures (Okabe-Ito sky blue and bluish green, pale).
INPUT_FILL = "#BFE3F5"
OUTPUT_FILL = "#BFEBDD"
OUTPUT_DONE = "#66C2A5"


def _cells(ax, rows, cols, fill, *, edge="#555555", linestyle="-", offset=(0, 0)):
    """Draw a block of ``rows`` x ``cols`` unit cells with top-left cell at ``offset``."""
    top, left = offset
    for y in range(rows):
        for x in range(cols):
            ax.add_patch(
                Rectangle(
                    (left + x - 0.5, top + y - 0.5), 1, 1, fc=fill, ec=edge, lw=0.8, ls=linestyle
                )
            )


def _grid_axes(ax, rows, cols, title):
    ax.set_xlim(-0.6, cols - 0.4)
    ax.set_ylim(rows - 0.4, -0.6)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(title, fontsize=11)


def arithmetic_figure(
    n,
    kernel_size,
    *,
    padding=0,
    stride=1,
    dilation=1,
    position=(0, 0),
    mark_unread=False,
    fig=None,
):
    """Where one window of a convolution lies, and the output grid it fills.

    In the style of Dumoulin and Visin's convolution-arithmetic figures: on the left the
    ``n`` x ``n`` input (blue) inside its padding (white cells), with the taps of the
    window of output ``position`` in orange; on the right the output grid (green), filled
    up to ``position`` in reading order, with ``position`` outlined. The title gives the
    output-size formula with its numbers (for a dilated kernel, ``- d * (k - 1) - 1`` for ``- k``).

    Parameters
    ----------
    n : int
        The input's height and width.
    kernel_size : int
        The kernel's height and width.
    padding : int or (int, int), optional
        Zeros on each side, or ``(before, after)``: above and left, below and right, as
        "same" padding does for an even kernel. Default 0.
    stride, dilation : int, optional
        As in :func:`lib.conv2d`. Default 1.
    position : (int, int), optional
        The output position ``(y, x)`` whose window is drawn. Default (0, 0).
    mark_unread : bool, optional
        Cross out the input pixels that no window reads (see
        :func:`lib.shapes.unread_positions`). Default False.
    fig : matplotlib.figure.Figure, optional
        A figure to draw into (it is cleared); a new one by default.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If the kernel does not fit (as :func:`lib.output_size`), or ``position`` is not an
        output position.

    Examples
    --------
    >>> fig = arithmetic_figure(5, 3, padding=1, stride=2, position=(1, 2))
    >>> [ax.get_title() for ax in fig.axes]
    ['input 5 x 5, padding 1', 'output 3 x 3']
    >>> fig._suptitle.get_text()  # the output-size formula: n + pads - k, over s, plus 1
    'floor((5 + 1 + 1 - 3) / 2) + 1 = 3'
    """
    before, after = as_pair(padding, "padding", minimum=0)
    size = output_size(n, kernel_size, stride, (before, after), dilation)
    y, x = position
    if not (0 <= y < size and 0 <= x < size):
        raise ValueError(
            f"position must be an output position in [0, {size}) x [0, {size}), got {position}"
        )
    total = before + n + after
    if fig is None:
        fig = plt.figure(figsize=(4.4, 2.5))
    fig.clear()
    axes = fig.subplots(1, 2)  # both show a total x total area, so cells match in size
    # Input and padding, in padded coordinates: input pixel (i, j) is cell (before + i, ...).
    inside = np.zeros((total, total), bool)
    inside[before : before + n, before : before + n] = True
    for py in range(total):
        for px in range(total):
            if inside[py, px]:
                _cells(axes[0], 1, 1, INPUT_FILL, offset=(py, px))
            else:
                _cells(axes[0], 1, 1, "white", edge="#AAAAAA", offset=(py, px))
    if mark_unread:
        unread = unread_positions(n, kernel_size, stride, (before, after), dilation)
        for i in range(n):
            for j in range(n):
                if i in unread or j in unread:
                    axes[0].plot(
                        [before + j - 0.35, before + j + 0.35],
                        [before + i - 0.35, before + i + 0.35],
                        color="#D55E00",
                        lw=1.5,
                    )
                    axes[0].plot(
                        [before + j - 0.35, before + j + 0.35],
                        [before + i + 0.35, before + i - 0.35],
                        color="#D55E00",
                        lw=1.5,
                    )
    taps = dilation * np.arange(kernel_size)
    for ty in y * stride + taps:
        for tx in x * stride + taps:
            axes[0].add_patch(
                Rectangle(
                    (tx - 0.5, ty - 0.5), 1, 1, fc=HIGHLIGHT, ec="#555555", lw=0.8, alpha=0.85
                )
            )
    span = dilation * (kernel_size - 1) + 1
    outline(axes[0], y * stride, x * stride, span, span, linewidth=2)
    name = (
        f"input {n} x {n}"
        + (f", padding {before}" if before == after and before else "")
        + (f", padding ({before}, {after})" if before != after else "")
    )
    _grid_axes(axes[0], total, total, name)
    done = np.arange(size * size).reshape(size, size) <= y * size + x
    shift = (total - size) / 2  # the output grid, centred in its panel
    for oy in range(size):
        for ox in range(size):
            fill = OUTPUT_DONE if done[oy, ox] else OUTPUT_FILL
            _cells(axes[1], 1, 1, fill, offset=(oy + shift, ox + shift))
    outline(axes[1], y + shift, x + shift, 1, 1)
    _grid_axes(axes[1], max(total, size), max(total, size), f"output {size} x {size}")
    pad_text = f" + {before} + {after}" if before or after else ""
    dilated = f"{dilation} * ({kernel_size} - 1) - 1" if dilation > 1 else f"{kernel_size}"
    fig.suptitle(f"floor(({n}{pad_text} - {dilated}) / {stride}) + 1 = {size}", fontsize=12)
    fig.tight_layout()
    return fig


class _FigureDpiAnimation(FuncAnimation):
    """A FuncAnimation whose frames are saved at its figure's dpi, not at
    ``savefig.dpi``: ``to_jshtml`` saves without a dpi, so small frames stay small."""

    def save(self, *args, dpi=None, **kwargs):
        return super().save(*args, dpi=dpi or self._fig.dpi, **kwargs)


def arithmetic_animation(
    n, kernel_size, *, padding=0, stride=1, dilation=1, mark_unread=False, interval=600, dpi=72
):
    """:func:`arithmetic_figure` at every output position, in reading order.

    For the website: show it with :func:`lib.animation.animation_html`, which embeds every
    frame, so that it plays with no kernel and offline. Keep ``n`` small: one frame per
    output position.

    Parameters
    ----------
    n, kernel_size, padding, stride, dilation, mark_unread
        As for :func:`arithmetic_figure`.
    interval : int, optional
        Milliseconds between frames. Default 600.
    dpi : int, optional
        Resolution of the frames; low keeps the page small. Default 72.

    Returns
    -------
    matplotlib.animation.FuncAnimation

    Examples
    --------
    >>> from lib.animation import animation_html
    >>> html = animation_html(arithmetic_animation(4, 3), alt="A 3 x 3 window, 4 places.").data
    >>> html.count("frames[3] = ")  # a 2 x 2 output: frames 0 to 3
    1
    """
    size = output_size(n, kernel_size, stride, as_pair(padding, "padding", minimum=0), dilation)
    fig = plt.figure(figsize=(4.4, 2.5), dpi=dpi)
    options = {"padding": padding, "stride": stride, "dilation": dilation}

    def draw(frame):
        position = divmod(frame, size)
        arithmetic_figure(
            n, kernel_size, position=position, mark_unread=mark_unread, fig=fig, **options
        )
        return fig.axes

    animation = _FigureDpiAnimation(fig, draw, frames=size * size, interval=interval)
    plt.close(fig)
    return animation


def window_positions_figure(n, kernel_size, *, stride=1, padding=0, dilation=1, ax=None):
    """The windows of one dimension, one per row, under the input they read.

    The top row is the input (blue, padding dashed); each row below is one window, its
    taps in orange. Input pixels that no window reads are crossed out in vermilion: the
    ones a stride larger than the kernel jumps over, the ones after the last window that
    the floor of the formula drops, the ones a dilation skips.

    Parameters
    ----------
    n, kernel_size, stride, padding, dilation
        As for :func:`lib.output_size`; ``padding`` may be ``(before, after)``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure by default.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> ax = window_positions_figure(7, 2, stride=3)
    >>> ax.get_title()
    'n = 7, k = 2, s = 3: 2 windows, 3 pixels never read'
    """
    before, after = as_pair(padding, "padding", minimum=0)
    size = output_size(n, kernel_size, stride, (before, after), dilation)
    unread = unread_positions(n, kernel_size, stride, (before, after), dilation)
    if ax is None:
        _, ax = plt.subplots(figsize=(0.4 * (n + before + after) + 0.6, 0.4 * (size + 1) + 0.6))
    for i in range(-before, n + after):
        inside = 0 <= i < n
        ax.add_patch(
            Rectangle(
                (i - 0.5, -0.5),
                1,
                1,
                fc=INPUT_FILL if inside else "white",
                ec="#555555" if inside else "#999999",
                ls="-" if inside else "--",
                lw=0.8,
            )
        )
        if inside:
            ax.text(i, 0, str(i), ha="center", va="center", fontsize=8)
        if i in unread:
            ax.plot([i - 0.35, i + 0.35], [-0.35, 0.35], color="#D55E00", lw=1.5)
            ax.plot([i - 0.35, i + 0.35], [0.35, -0.35], color="#D55E00", lw=1.5)
    for w in range(size):
        for tap in w * stride - before + dilation * np.arange(kernel_size):
            ax.add_patch(Rectangle((tap - 0.5, w + 0.7), 1, 1, fc=HIGHLIGHT, ec="#555555", lw=0.8))
    ax.set_xlim(-before - 0.6, n + after - 0.4)
    ax.set_ylim(size + 0.8, -0.6)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([0] + [w + 1.2 for w in range(size)])
    ax.set_yticklabels(["input"] + [f"window {w}" for w in range(size)], fontsize=8)
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    parts = [f"n = {n}", f"k = {kernel_size}"]
    parts += [f"s = {stride}"] if stride != 1 else []
    parts += [f"p = {padding}"] if before or after else []
    parts += [f"d = {dilation}"] if dilation != 1 else []
    unread_text = {0: "every pixel read", 1: "1 pixel never read"}.get(
        len(unread), f"{len(unread)} pixels never read"
    )
    ax.set_title(
        f"{', '.join(parts)}: {size} window{'s' if size != 1 else ''}, {unread_text}", fontsize=9
    )
    return ax


def output_grid_widget(n=5, kernel_size=3, padding=0, stride=1, dilation=1):
    """Sliders for size, kernel, padding, stride and dilation, redrawing the output grid.

    For readers running the notebook; its static twins on the website are
    :func:`arithmetic_animation` and :func:`arithmetic_figure`. A setting whose kernel does
    not fit prints the reason instead of a figure.

    Parameters
    ----------
    n, kernel_size, padding, stride, dilation : int, optional
        The sliders' starting values.

    Returns
    -------
    ipywidgets.Widget
    """
    import ipywidgets as widgets  # only needed in a running notebook

    def draw(n, kernel_size, padding, stride, dilation, mark_unread):
        try:
            arithmetic_figure(
                n,
                kernel_size,
                padding=padding,
                stride=stride,
                dilation=dilation,
                mark_unread=mark_unread,
            )
        except ValueError as error:
            print(f"No output: {error}")
            return
        plt.show()

    return widgets.interactive(
        draw,
        n=widgets.IntSlider(n, 1, 10, description="size n"),
        kernel_size=widgets.IntSlider(kernel_size, 1, 6, description="kernel k"),
        padding=widgets.IntSlider(padding, 0, 4, description="padding p"),
        stride=widgets.IntSlider(stride, 1, 4, description="stride s"),
        dilation=widgets.IntSlider(dilation, 1, 3, description="dilation d"),
        mark_unread=widgets.Checkbox(False, description="cross out unread pixels"),
    )
