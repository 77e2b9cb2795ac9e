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


def test_a_quick_run_renders_only_the_first_frames(monkeypatch):
    """The grader's run step (CONVBOOK_QUICK_RUN=2) draws 2 of the 9 frames, once each,
    and encodes none."""
    monkeypatch.setenv("CONVBOOK_QUICK_RUN", "2")
    anim = pooling_window_animation(X5, 2, ceil_mode=True)
    drawn = []
    draw = anim._func
    anim._func = lambda frame, *args: drawn.append(frame) or draw(frame, *args)
    html = animation_html(anim, alt="window").data
    assert drawn == [0, 1]
    assert "Quick run: 2 frames drawn" in html and "data:image/png" not in html


def test_widget_builds_and_survives_bad_settings(capsys):
    widget = pooling_window_widget(X5)
    controls, _, _ = widget.children
    padding = controls.children[0].children[2]
    position = controls.children[1].children[2]
    assert position.max == 3  # 2x2 windows, stride 2, on 5x5: 2 x 2 outputs
    padding.value = 2  # more than half of the 2x2 window: the rule is printed instead
    assert "padding must be at most half" in capsys.readouterr().out
    padding.value = 1
    assert position.max == 8
    plt.close("all")


def test_widget_draws_once_when_a_change_lowers_the_position_maximum(monkeypatch):
    """Moving the stride or the kernel can lower the "output cell" maximum, which clamps
    the position: that is one change, and one figure, not two."""
    import lib.figure_view

    drawn = []
    update = lib.figure_view.FigureView.update
    monkeypatch.setattr(
        lib.figure_view.FigureView, "update", lambda self: drawn.append(1) or update(self)
    )
    widget = pooling_window_widget(X5)
    controls, _, _ = widget.children
    kernel, stride, _ = controls.children[0].children
    position = controls.children[1].children[2]
    stride.value = 1  # 4 x 4 outputs
    position.value = position.max = 15
    drawn.clear()
    stride.value = 2  # 2 x 2 outputs: the position falls to 3
    assert position.max == 3 and position.value == 3
    assert len(drawn) == 1
    drawn.clear()
    kernel.value = 4  # one window: the position falls to 0
    assert position.value == 0 and len(drawn) == 1
    plt.close("all")


def test_every_slider_of_lib_redraws_on_release():
    """A redraw takes 0.05 to 0.12 s of CPU (make bench): following every movement of a
    drag would still lag on a busy machine."""
    import ipywidgets as widgets

    from lib.arithmetic_plots import output_grid_widget
    from lib.feature_maps import channel_sum_widget
    from lib.plotting import sliding_window_widget

    built = [
        pooling_window_widget(X5),
        output_grid_widget(),
        channel_sum_widget(np.ones((2, 5, 5)), np.ones((2, 3, 3))),
        sliding_window_widget(np.ones((5, 5)), np.ones((3, 3))),
    ]
    sliders = []

    def walk(widget):
        if isinstance(widget, widgets.IntSlider):
            sliders.append(widget)
        for child in getattr(widget, "children", ()):
            walk(child)

    for widget in built:
        walk(widget)
    assert len(sliders) >= 10
    assert all(s.continuous_update is False for s in sliders)
    plt.close("all")
