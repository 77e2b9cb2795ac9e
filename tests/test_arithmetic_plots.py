"""The convolution-arithmetic figures of lib.arithmetic_plots (chapter 2): what they draw."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from lib.arithmetic_plots import (  # noqa: E402
    HIGHLIGHT,
    arithmetic_animation,
    arithmetic_figure,
    output_grid_widget,
    window_positions_figure,
)
from lib.shapes import output_size, unread_positions  # noqa: E402


def orange_cells(ax):
    """Lower-left corners of the filled orange (window tap) cells."""
    orange = matplotlib.colors.to_rgba(HIGHLIGHT)
    return sorted(
        (round(p.get_x() + 0.5), round(p.get_y() + 0.5))
        for p in ax.patches
        if isinstance(p, Rectangle) and p.get_fill() and p.get_facecolor()[:3] == orange[:3]
    )


@pytest.mark.parametrize(
    ("n", "k", "padding", "stride", "dilation", "position"),
    [
        (5, 3, 0, 1, 1, (1, 2)),
        (5, 3, 1, 2, 1, (2, 1)),
        (7, 3, 0, 1, 2, (2, 0)),
        (4, 2, (0, 1), 1, 1, (3, 3)),
    ],
)
def test_arithmetic_figure_draws_the_taps_of_the_window(n, k, padding, stride, dilation, position):
    fig = arithmetic_figure(
        n, k, padding=padding, stride=stride, dilation=dilation, position=position
    )
    y, x = position
    taps = dilation * np.arange(k)
    expected = sorted((int(x * stride + j), int(y * stride + i)) for i in taps for j in taps)
    assert orange_cells(fig.axes[0]) == expected
    before, after = (padding, padding) if isinstance(padding, int) else padding
    size = output_size(n, k, stride, (before, after), dilation)
    assert fig.axes[1].get_title() == f"output {size} x {size}"
    assert fig._suptitle.get_text().endswith(f"= {size}")
    plt.close(fig)


def test_arithmetic_figure_refuses_a_position_outside_the_output():
    with pytest.raises(ValueError, match=r"position must be an output position in \[0, 3\)"):
        arithmetic_figure(5, 3, position=(3, 0))
    with pytest.raises(ValueError, match="kernel_size 7"):
        arithmetic_figure(5, 7)
    plt.close("all")


def test_mark_unread_crosses_exactly_the_unread_pixels():
    fig = arithmetic_figure(8, 2, stride=3, mark_unread=True)
    unread = set(unread_positions(8, 2, stride=3).tolist())
    crossed = 2 * sum(1 for i in range(8) for j in range(8) if i in unread or j in unread)
    assert len(fig.axes[0].lines) == crossed  # two strokes per cross
    plt.close(fig)


def test_arithmetic_animation_has_one_frame_per_output_position():
    animation = arithmetic_animation(5, 3, padding=1, stride=2)
    assert len(list(animation.new_frame_seq())) == 9
    animation._draw_was_started = True  # no warning about an animation never shown


@pytest.mark.parametrize(
    ("n", "k", "stride", "padding", "dilation"),
    [(7, 3, 2, 0, 1), (8, 3, 2, 0, 1), (7, 2, 3, 0, 1), (9, 3, 1, 0, 2), (5, 3, 2, 1, 1)],
)
def test_window_positions_figure(n, k, stride, padding, dilation):
    ax = window_positions_figure(n, k, stride=stride, padding=padding, dilation=dilation)
    windows = output_size(n, k, stride, padding, dilation)
    unread = unread_positions(n, k, stride, padding, dilation)
    assert len(orange_cells(ax)) == windows * k
    assert len(ax.lines) == 2 * len(unread)
    assert f"{windows} window" in ax.get_title()
    plt.close(ax.figure)


def test_output_grid_widget_builds_and_explains_a_kernel_that_does_not_fit(capsys):
    widget = output_grid_widget(n=3, kernel_size=3)
    assert [child.description for child in widget.children[:5]] == [
        "size n",
        "kernel k",
        "padding p",
        "stride s",
        "dilation d",
    ]
    widget.children[1].value = 6  # a 6-tap kernel on 3 pixels without padding
    assert "No output: kernel_size 6" in capsys.readouterr().out
    plt.close("all")
