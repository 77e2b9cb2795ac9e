"""Convolution-arithmetic figures: where the windows of a convolution go (chapter 2).

In the spirit of Dumoulin and Visin's convolution-arithmetic figures: the input (blue),
its padding (white cells with grey edges), the window's taps (orange) and the output
(green), with the output-size formula in the title. One function, :func:`arithmetic_figure`, draws a
frame; the website's animation (:func:`arithmetic_animation`) and the notebook's widget
(:func:`output_grid_widget`) both call it, so the two show the same picture.
:func:`window_positions_figure` draws one row per window position, with the input
pixels that no window reads crossed out.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation
from matplotlib.patches import Rectangle

from lib._validation import as_pair
from lib.plotting import HIGHLIGHT, outline
from lib.shapes import output_size, unread_positions

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
    before, after = as_pair(padding, "padding", minimum=0, meaning="(before, after)")
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
    size = output_size(
        n,
        kernel_size,
        stride,
        as_pair(padding, "padding", minimum=0, meaning="(before, after)"),
        dilation,
    )
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
    before, after = as_pair(padding, "padding", minimum=0, meaning="(before, after)")
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
    :func:`arithmetic_animation` and :func:`arithmetic_figure`. Every change (on a
    slider's release) draws :func:`arithmetic_figure` again into the same figure, shown
    as an image (:class:`lib.figure_view.FigureView`). A setting whose kernel does not fit
    prints the reason instead of a figure.

    Parameters
    ----------
    n, kernel_size, padding, stride, dilation : int, optional
        The sliders' starting values.

    Returns
    -------
    ipywidgets.Widget
    """
    import ipywidgets as widgets  # only needed in a running notebook

    from lib.figure_view import FigureView

    view = FigureView((4.4, 2.5))

    def draw(n, kernel_size, padding, stride, dilation, mark_unread):
        try:
            arithmetic_figure(
                n,
                kernel_size,
                padding=padding,
                stride=stride,
                dilation=dilation,
                mark_unread=mark_unread,
                fig=view.figure,
            )
        except ValueError as error:
            view.hide()
            print(f"No output: {error}")
            return
        view.update()

    controls = widgets.interactive(
        draw,
        n=widgets.IntSlider(n, 1, 10, description="size n", continuous_update=False),
        kernel_size=widgets.IntSlider(
            kernel_size, 1, 6, description="kernel k", continuous_update=False
        ),
        padding=widgets.IntSlider(padding, 0, 4, description="padding p", continuous_update=False),
        stride=widgets.IntSlider(stride, 1, 4, description="stride s", continuous_update=False),
        dilation=widgets.IntSlider(
            dilation, 1, 3, description="dilation d", continuous_update=False
        ),
        mark_unread=widgets.Checkbox(False, description="cross out unread pixels"),
    )
    controls.children += (view.widget,)
    return controls
