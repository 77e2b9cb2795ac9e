"""lib.pooling_plots: the pooling-window figure, its animation and its widget."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lib.animation import animation_html  # noqa: E402
from lib.pooling_plots import (  # noqa: E402
    pooling_window_animation,
    pooling_window_figure,
    pooling_window_widget,
)

X5 = np.arange(1, 26).reshape(5, 5)


def titles(fig):
    return [ax.get_title() for ax in fig.axes]


def test_figure_titles_give_the_max_and_the_mean_with_its_divisor():
    fig = pooling_window_figure(X5, 2, 2, 2, ceil_mode=True)
    assert titles(fig)[1:] == ["max pooling\nmax = 25", "average pooling\nmean = 25 / 1 = 25.00"]
    plt.close(fig)
    # Padding counted in the divisor, or not: a corner window holds one pixel.
    fig = pooling_window_figure(np.ones((4, 4), int), 2, 0, 0, padding=1)
    assert titles(fig)[2] == "average pooling\nmean = 1 / 4 = 0.25"
    plt.close(fig)
    fig = pooling_window_figure(np.ones((4, 4), int), 2, 0, 0, padding=1, count_include_pad=False)
    assert titles(fig)[2] == "average pooling\nmean = 1 / 1 = 1.00"
    plt.close(fig)


def test_figure_draws_into_a_given_figure_and_refuses_bad_positions():
    fig = plt.figure()
    assert pooling_window_figure(X5, 3, 1, 1, stride=2, fig=fig) is fig
    plt.close(fig)
    with pytest.raises(ValueError, match="output position"):
        pooling_window_figure(X5, 2, 2, 0)
    with pytest.raises(ValueError, match="image"):
        pooling_window_figure(np.ones((1, 5, 5)), 2, 0, 0)
    with pytest.raises(ValueError, match="padding"):
        pooling_window_figure(X5, 2, 0, 0, padding=2)


def test_animation_has_one_frame_per_output_and_plays_offline():
    html = animation_html(pooling_window_animation(X5, 2, ceil_mode=True), alt="window").data
    assert html.count("data:image/png;base64") == 9
    assert "https://" not in html


def test_widget_builds_and_survives_bad_settings(capsys):
    widget = pooling_window_widget(X5)
    controls, _ = widget.children
    padding = controls.children[0].children[2]
    position = controls.children[1].children[2]
    assert position.max == 3  # 2x2 windows, stride 2, on 5x5: 2 x 2 outputs
    padding.value = 2  # more than half of the 2x2 window: the rule is printed instead
    assert "padding must be at most half" in capsys.readouterr().out
    padding.value = 1
    assert position.max == 8
    plt.close("all")
