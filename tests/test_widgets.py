"""The notebook widgets of chapters 1 to 4: each slider change redraws what it should.

Every widget keeps one figure and updates it in place (:mod:`lib.figure_view`). These
tests record what the figure shows at each redraw (its titles and visible numbers) and
check it against the still figure that the book draws for the same setting, which the
website and the PDF show: the widget and the book show the same picture. How long a
redraw takes is measured by ``make bench`` (``tools/bench_widgets.py``), not here.
"""

import matplotlib

matplotlib.use("Agg")

import io  # noqa: E402

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

import lib.figure_view  # noqa: E402
from lib.arithmetic_plots import arithmetic_figure, output_grid_widget  # noqa: E402
from lib.feature_maps import channel_sum_figure, channel_sum_widget  # noqa: E402
from lib.plotting import sliding_window_figure, sliding_window_widget  # noqa: E402
from lib.pooling_plots import pooling_window_figure, pooling_window_widget  # noqa: E402

IMAGE = np.arange(1, 26).reshape(5, 5)
KERNEL = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]])
SMALL = np.arange(3 * 4 * 4).reshape(3, 4, 4) % 5
SMALL_FILTER = np.array([[[1, 0], [0, -1]], [[0, 1], [1, 0]], [[-1, 1], [0, 0]]])
DEMO = np.array(
    [[1, 3, 2, 1, 0], [4, 2, 0, 1, 3], [5, 1, 7, 8, 2], [0, 6, 3, 2, 4], [1, 1, 2, 9, 0]]
)


def shown(fig):
    """What a figure shows, panel by panel: its title, its visible texts, where its
    patches are (the window's outlines among them)."""
    return [
        (
            ax.get_title(),
            [t.get_text() for t in ax.texts if t.get_visible()],
            sorted(tuple(np.round(p.get_xy(), 2)) for p in ax.patches if hasattr(p, "get_xy")),
        )
        for ax in fig.axes
    ] + [fig._suptitle.get_text() if fig._suptitle else None]


def whole_drawing(view):
    """The pixels of ``view``'s figure drawn whole, as a still figure is, with nothing
    kept from an earlier drawing."""
    moving = view._moving
    for artist in moving:
        artist.set_animated(False)
    try:
        view.figure.canvas.draw()
        return np.asarray(view.figure.canvas.buffer_rgba()).copy()
    finally:
        for artist in moving:
            artist.set_animated(True)


@pytest.fixture
def redraws(monkeypatch):
    """Every redraw of a widget: what its figure showed, and the PNG it sent. Each PNG
    must hold exactly the pixels of the figure drawn whole: only what moves is drawn
    again, over a kept picture of the rest, and that must make no difference."""
    seen = []
    update = lib.figure_view.FigureView.update

    def recording(self):
        update(self)
        sent = np.asarray(Image.open(io.BytesIO(bytes(self.widget.value))))
        assert np.array_equal(sent, whole_drawing(self)), "the sent PNG is not the figure"
        seen.append((shown(self.figure), self.widget.value))

    monkeypatch.setattr(lib.figure_view.FigureView, "update", recording)
    yield seen
    plt.close("all")


def controls(widget):
    """The widget's controls by description."""
    found = {}

    def walk(w):
        if isinstance(w, widgets.ValueWidget) and getattr(w, "description", ""):
            found[w.description] = w
        for child in getattr(w, "children", ()):
            walk(child)

    walk(widget)
    return found


def images(widget):
    found = []

    def walk(w):
        if isinstance(w, widgets.Image):
            found.append(w)
        for child in getattr(w, "children", ()):
            walk(child)

    walk(widget)
    return found


def still(function, *args, **kwargs):
    fig = function(*args, **kwargs)
    picture = shown(fig)
    plt.close(fig)
    return picture


def test_sliding_window_widget_shows_the_still_figure_at_each_position(redraws):
    widget = sliding_window_widget(IMAGE, KERNEL)
    sliders = controls(widget)
    assert len(redraws) == 1 and redraws[0][0] == still(sliding_window_figure, IMAGE, KERNEL, 0, 0)
    sliders["row y"].value = 2
    sliders["column x"].value = 1
    assert len(redraws) == 3
    assert redraws[-1][0] == still(sliding_window_figure, IMAGE, KERNEL, 2, 1)
    assert "output O(2, 1)" in [title for title, *_ in redraws[-1][0][:-1]]
    assert redraws[-1][1] != redraws[0][1]  # another picture was sent
    assert images(widget)[0].value == redraws[-1][1]


def test_sliding_window_widget_with_padding_and_stride(redraws):
    widget = sliding_window_widget(IMAGE, KERNEL, padding=1, stride=2)
    controls(widget)["column x"].value = 2
    assert redraws[-1][0] == still(sliding_window_figure, IMAGE, KERNEL, 0, 2, padding=1, stride=2)


def test_channel_sum_widget_shows_the_still_figure_at_each_position(redraws):
    names = ["red", "green", "blue"]
    widget = channel_sum_widget(SMALL, SMALL_FILTER, 1, names=names)
    sliders = controls(widget)
    sliders["column x"].value = 2
    sliders["row y"].value = 1
    assert redraws[-1][0] == still(channel_sum_figure, SMALL, SMALL_FILTER, 1, 1, 2, names=names)
    assert redraws[-1][0][-2][0].endswith(f"= {redraws[-1][0][-2][1][-1]}")  # its last value
    assert redraws[-1][1] != redraws[0][1]


def test_pooling_widget_shows_the_still_figure_for_each_position_and_setting(redraws):
    widget = pooling_window_widget(DEMO)
    sliders = controls(widget)
    sliders["output cell"].value = 3
    assert redraws[-1][0] == still(pooling_window_figure, DEMO, 2, 1, 1)
    sliders["ceil_mode"].value = True  # 3 x 3 outputs: the figure is built again
    sliders["padding"].value = 1
    sliders["output cell"].value = 5
    assert redraws[-1][0] == still(pooling_window_figure, DEMO, 2, 1, 2, padding=1, ceil_mode=True)
    sliders["count_include_pad"].value = False
    assert redraws[-1][0] == still(
        pooling_window_figure, DEMO, 2, 1, 2, padding=1, ceil_mode=True, count_include_pad=False
    )


def test_pooling_widget_hides_the_figure_while_a_rule_is_broken(redraws, capsys):
    widget = pooling_window_widget(DEMO)
    sliders = controls(widget)
    sliders["padding"].value = 2  # more than half of the 2x2 window
    assert "padding must be at most half" in capsys.readouterr().out
    assert images(widget)[0].layout.display == "none"
    count = len(redraws)
    sliders["padding"].value = 1
    assert len(redraws) == count + 1 and images(widget)[0].layout.display is None
    assert redraws[-1][0] == still(pooling_window_figure, DEMO, 2, 0, 0, padding=1)


def test_output_grid_widget_shows_the_still_figure_for_each_setting(redraws, capsys):
    widget = output_grid_widget()
    sliders = controls(widget)
    sliders["padding p"].value = 1
    sliders["stride s"].value = 2
    sliders["cross out unread pixels"].value = True
    picture = still(arithmetic_figure, 5, 3, padding=1, stride=2, mark_unread=True)
    assert redraws[-1][0] == picture
    assert redraws[-1][0][-1] == "floor((5 + 1 + 1 - 3) / 2) + 1 = 3"
    sliders["kernel k"].value = 6
    sliders["padding p"].value = 0
    assert "No output" in capsys.readouterr().out
    assert images(widget)[0].layout.display == "none"


def test_sliding_window_widget_with_an_unsigned_output(redraws):
    """A non-negative output is drawn white: only its numbers move, over a kept picture."""
    kernel = np.ones((2, 2), dtype=int)
    widget = sliding_window_widget(IMAGE, kernel, stride=2)
    controls(widget)["row y"].value = 1
    assert redraws[-1][0] == still(sliding_window_figure, IMAGE, kernel, 1, 0, stride=2)
