"""lib.model_plots: the architecture figure is drawn from the model it is given."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from lib.model_plots import MAX_DRAWN, architecture_figure  # noqa: E402
from lib.models import LeNet5, LeNet5Modern  # noqa: E402


def _texts(fig):
    return [t.get_text() for t in fig.axes[0].texts]


def test_lenet5_is_drawn_with_its_own_layers_and_sizes():
    fig = architecture_figure(LeNet5())
    texts = _texts(fig)
    for label in ["input\n1@32x32", "C1\n6@28x28", "S2\n6@14x14", "C3\n16@10x10",
                  "S4\n16@5x5", "C5\n120@1x1", "F6\n84", "output\n10"]:  # fmt: skip
        assert label in texts
    assert "convolutions\n(partial table)" in texts and "Gaussian\nconnections" in texts
    squares = [p for p in fig.axes[0].patches if isinstance(p, Rectangle)]
    # input 1, C1 6, S2 6, C3 and S4 MAX_DRAWN each, then C5, F6 and output as columns
    assert len(squares) == 1 + 6 + 6 + 2 * MAX_DRAWN + 3
    plt.close(fig)


def test_the_modern_variant_is_drawn_as_what_it_is():
    fig = architecture_figure(LeNet5Modern())
    texts = _texts(fig)
    assert texts.count("max pooling") == 2
    assert not any("partial" in t or "Gaussian" in t or t == "subsampling" for t in texts)
    plt.close(fig)


def test_other_models_are_refused():
    from torch import nn

    with pytest.raises(TypeError, match="layer_names"):
        architecture_figure(nn.Linear(2, 2))


def test_feature_maps_figure_draws_every_layer_of_a_real_forward_pass():
    import numpy as np

    from lib.model_plots import feature_maps_figure
    from lib.models import digit_prototypes
    from lib.numpy_forward import lenet5_forward_numpy

    x = np.zeros((1, 1, 32, 32), dtype=np.float32)
    distances, maps = lenet5_forward_numpy(LeNet5(), x, return_maps=True)
    fig = feature_maps_figure(x[0, 0], maps, distances, digit_prototypes())
    # input, 6 C1, 6 S2, 16 C3, 16 S4, C5, F6, prototype, bars
    assert len(fig.axes) == 1 + 6 + 6 + 16 + 16 + 3 + 1
    predicted = int(distances[0].argmin())
    assert fig.axes[-2].get_title(loc="left") == f"prototype {predicted}"
    plt.close(fig)
