"""lib.layers (counts and connection tables) and lib.feature_maps, checked against PyTorch."""

import os
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from lib import conv2d  # noqa: E402
from lib.feature_maps import show_filters, show_maps, show_table  # noqa: E402
from lib.layers import (  # noqa: E402
    LayerCost,
    break_even_batch,
    connection_mask,
    conv2d_cost,
    expand_groups,
    group_table,
    merge_convolutions,
    torch_cost,
)
from lib.models import MaskedConv2d, c3_connections  # noqa: E402
from lib.training_loop import QUICK_RUN_ENV_VAR  # noqa: E402


def random_layers(count, seed=0):
    """Random Conv2d configurations: (input_shape, out_channels, kernel, stride, padding,
    dilation, groups, bias), each one whose kernel fits its padded input."""
    rng = np.random.default_rng(seed)
    layers = []
    while len(layers) < count:
        groups = int(rng.choice([1, 1, 2, 3]))
        channels = groups * int(rng.integers(1, 4))
        out_channels = groups * int(rng.integers(1, 4))
        height, width = (int(n) for n in rng.integers(1, 14, size=2))
        kernel = tuple(int(n) for n in rng.integers(1, 6, size=2))
        stride = tuple(int(n) for n in rng.integers(1, 4, size=2))
        padding = tuple(int(n) for n in rng.integers(0, 3, size=2))
        dilation = tuple(int(n) for n in rng.integers(1, 3, size=2))
        spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True)]
        if spans[0] > height + 2 * padding[0] or spans[1] > width + 2 * padding[1]:
            continue
        bias = bool(rng.integers(2))
        layers.append(
            (
                (channels, height, width),
                out_channels,
                kernel,
                stride,
                padding,
                dilation,
                groups,
                bias,
            )
        )
    return layers


@pytest.mark.parametrize("layer", random_layers(60), ids=lambda layer: str(layer))
def test_counts_and_shapes_agree_with_torch(layer):
    shape, out_channels, kernel, stride, padding, dilation, groups, bias = layer
    cost = conv2d_cost(shape, out_channels, kernel, stride, padding, dilation, groups, bias)
    module = nn.Conv2d(shape[0], out_channels, kernel, stride, padding, dilation, groups, bias)
    assert torch_cost(module, shape) == (cost.parameters, cost.multiply_adds)
    with torch.no_grad():
        out = module(torch.zeros(1, *shape))
    assert tuple(out.shape[1:]) == cost.output_shape
    assert cost.weights == module.weight.numel()
    assert cost.biases == (out_channels if bias else 0)


def test_quick_run_counts_what_the_counter_counts(monkeypatch):
    """The quick run's count (torch's conv_flop_count on the shapes, no dispatch mode) is
    the FlopCounterMode's count, on every random layer, C3's masked layer and torch's
    non-zero padding modes (which take the mode's path)."""
    modules = []
    for shape, out_channels, kernel, stride, padding, dilation, groups, bias in random_layers(60):
        conv = nn.Conv2d(shape[0], out_channels, kernel, stride, padding, dilation, groups, bias)
        modules.append((conv, shape))
    modules.append((MaskedConv2d(c3_connections(), 5), (6, 14, 14)))
    modules.append((nn.Conv2d(3, 4, 3, padding=1, padding_mode="reflect"), (3, 8, 9)))
    full = [torch_cost(module, shape) for module, shape in modules]
    monkeypatch.setenv(QUICK_RUN_ENV_VAR, "2")
    assert [torch_cost(module, shape) for module, shape in modules] == full


def test_quick_run_count_does_not_load_dynamo():
    """What makes the quick path worth having: FlopCounterMode's first use imports
    torch._dynamo (over a second); the quick path must not, while a real run does."""
    code = (
        "import sys, torch\n"
        "from lib.layers import torch_cost\n"
        "from lib.models import MaskedConv2d, c3_connections\n"
        "print(torch_cost(torch.nn.Conv2d(1, 6, 5), (1, 32, 32)),"
        " torch_cost(MaskedConv2d(c3_connections(), 5), (6, 14, 14)),"
        " 'torch._dynamo' in sys.modules)\n"
    )
    root = Path(__file__).resolve().parents[1]
    results = {}
    for quick in ("2", ""):
        env = {**os.environ, QUICK_RUN_ENV_VAR: quick}
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        results[quick] = done.stdout.strip()
    assert results["2"] == "(156, 117600) (1516, 240000) False"
    assert results[""] == "(156, 117600) (1516, 240000) True"


def test_lenet5_counts_are_the_papers():
    c1 = conv2d_cost((1, 32, 32), 6, 5)
    c3 = conv2d_cost((6, 14, 14), 16, 5, connections=c3_connections())
    c5 = conv2d_cost((16, 5, 5), 120, 5)
    assert (c1.parameters, c1.connections) == (156, 122_304)
    assert (c3.parameters, c3.connections) == (1_516, 151_600)
    assert c5.parameters == c5.connections == 48_120
    assert torch_cost(MaskedConv2d(c3_connections(), 5), (6, 14, 14)) == (1516, 240_000)


def test_string_padding_and_the_cost_dataclass():
    cost = conv2d_cost((3, 7, 9), 4, (3, 4), padding="same")
    assert cost.output_shape == (4, 7, 9)
    assert conv2d_cost((3, 7, 9), 4, 3, padding="full").output_shape == (4, 9, 11)
    assert isinstance(cost, LayerCost) and cost.parameters == 4 * 3 * 12 + 4
    assert cost.multiply_adds == 4 * 3 * 12 * 7 * 9


@pytest.mark.parametrize(("channels", "outputs", "groups"), [(6, 16, 1), (6, 16, 2), (6, 6, 6)])
def test_a_group_table_as_connections_counts_like_groups(channels, outputs, groups):
    table = group_table(channels, outputs, groups)
    assert table.shape == (outputs, channels) and table.dtype == bool
    assert table.sum() == outputs * channels // groups
    by_table = conv2d_cost((channels, 9, 9), outputs, 3, connections=table)
    by_groups = conv2d_cost((channels, 9, 9), outputs, 3, groups=groups)
    assert by_table == by_groups


@pytest.mark.parametrize(("channels", "outputs", "groups"), [(4, 6, 2), (3, 3, 3), (6, 4, 2)])
def test_expanded_groups_compute_torchs_grouped_convolution(channels, outputs, groups):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, channels, 7, 6))
    w = rng.standard_normal((outputs, channels // groups, 3, 2))
    full = expand_groups(w, groups)
    expected = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), groups=groups).numpy()
    assert np.allclose(conv2d(x, full), expected)
    assert np.array_equal(full.any(axis=(2, 3)), group_table(channels, outputs, groups))


def test_a_masked_weight_computes_c3():
    torch.manual_seed(0)
    layer = MaskedConv2d(c3_connections(), 5).double()
    x = np.random.default_rng(2).standard_normal((3, 6, 14, 14))
    weight = layer.weight.detach().numpy() * connection_mask(c3_connections(), 5)
    with torch.no_grad():
        expected = layer(torch.from_numpy(x)).numpy()
    assert np.allclose(conv2d(x, weight, layer.bias.detach().numpy()), expected)


def test_connection_mask_shapes():
    mask = connection_mask(np.eye(3), (2, 4))
    assert mask.shape == (3, 3, 2, 4) and mask.dtype == np.float64
    assert mask.flags.writeable
    assert np.array_equal(mask[:, :, 1, 3], np.eye(3))


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: conv2d_cost((3, 8), 4, 3), TypeError, "input_shape must be a triple"),
        (lambda: conv2d_cost((3, 8, 0), 4, 3), ValueError, "input_shape must be >= 1"),
        (lambda: conv2d_cost((3, 8, 8), 0, 3), ValueError, "out_channels must be >= 1"),
        (lambda: conv2d_cost((3, 8, 8), 4, 9), ValueError, "larger than the padded input"),
        (lambda: conv2d_cost((3, 8, 8), 4, 3, stride=0), ValueError, "stride must be >= 1"),
        (lambda: conv2d_cost((3, 8, 8), 4, 3, bias=1), TypeError, "bias must be True or False"),
        (lambda: conv2d_cost((4, 8, 8), 4, 3, groups=3), ValueError, "groups=3 must divide"),
        (
            lambda: conv2d_cost((6, 8, 8), 16, 3, connections=c3_connections().T),
            ValueError,
            "connections must have shape",
        ),
        (
            lambda: conv2d_cost((6, 8, 8), 16, 3, groups=2, connections=c3_connections()),
            ValueError,
            "connections needs groups=1",
        ),
        (lambda: group_table(4, 6, 0), ValueError, "groups must be >= 1"),
        (lambda: group_table(4.0, 6), TypeError, "in_channels must be an int"),
        (lambda: connection_mask(np.ones(3), 3), ValueError, "connections must have 2"),
        (lambda: connection_mask([["a"]], 3), TypeError, "connections must hold real"),
        (lambda: connection_mask([[0.5]], 3), ValueError, "only True/False"),
        (lambda: expand_groups(np.ones((3, 1, 2, 2)), 2), ValueError, "groups=2 must divide"),
        (lambda: expand_groups(np.ones((3, 2, 2)), 1), ValueError, "weight must have 4"),
        (lambda: torch_cost("conv", (1, 4, 4)), TypeError, "module must be a torch.nn.Module"),
        (lambda: torch_cost(nn.Conv2d(1, 1, 3), (4, 4)), TypeError, "input_shape must be"),
    ],
)
def test_bad_input_names_the_argument(call, error, words):
    with pytest.raises(error, match=words):
        call()


# --- lib.feature_maps ----------------------------------------------------------------------


def test_show_filters_and_maps_draw_one_panel_per_kernel_and_map():
    weight = np.arange(2 * 3 * 3 * 3, dtype=float).reshape(2, 3, 3, 3) - 20
    fig = show_filters(weight, row_names=["a", "b"], column_names=["r", "g", "b"])
    panels = [ax for ax in fig.axes if ax.get_images()]
    assert len(panels) == 6 and len(fig.axes) == 7  # six kernels and one colour bar
    limits = {ax.get_images()[0].get_clim() for ax in panels[:6]}
    assert limits == {(-33.0, 33.0)}  # one scale, centred on zero
    plt.close(fig)
    fig = show_filters(weight, per_row=True)
    limits = [ax.get_images()[0].get_clim() for ax in fig.axes[:6] if ax.get_images()]
    assert limits[0] == (-20.0, 20.0) and limits[3] == (-33.0, 33.0)
    plt.close(fig)
    fig = show_maps(np.zeros((5, 4, 4)), ["m"] * 5, columns=2)
    assert sum(1 for ax in fig.axes if ax.get_title() == "m") == 5
    plt.close(fig)


def test_show_table_and_bad_figure_input():
    fig, ax = plt.subplots()
    show_table(ax, c3_connections(), title="C3")
    assert ax.get_title() == "C3\n60 links"
    plt.close(fig)
    with pytest.raises(ValueError, match="weight must have 4"):
        show_filters(np.ones((3, 3)))
    with pytest.raises(ValueError, match="maps must have 3"):
        show_maps(np.ones((3, 3)))


def test_random_layers_cover_the_arguments():
    layers = random_layers(60)
    for index in range(3, 7):  # stride, padding, dilation, groups all vary
        assert len({layer[index] for layer in layers}) > 1
    assert {layer[-1] for layer in layers} == {True, False}  # with and without bias


def test_channel_sum_figure_adds_the_channels_and_the_bias():
    from lib.feature_maps import channel_sum_figure

    image = np.arange(3 * 4 * 4).reshape(3, 4, 4) % 5
    kernels = np.array([[[1, -1]], [[2, 0]], [[0, -3]]])  # three 1x2 kernels
    fig = channel_sum_figure(image, kernels, bias=-2, y=2, x=1)
    expected = conv2d(image, kernels[None], np.array([-2]))[0, 2, 1]
    assert fig.axes[-1].get_title().endswith(f"(-2) = {expected}")
    plt.close(fig)
    with pytest.raises(ValueError, match="one kernel per input channel, 3; got 2"):
        channel_sum_figure(image, kernels[:2])
    with pytest.raises(ValueError, match=r"\(y, x\) must be an output position"):
        channel_sum_figure(image, kernels, y=4)
    with pytest.raises(ValueError, match="weight must have 3 dimensions"):
        channel_sum_figure(image, kernels[None])


def test_channel_sum_widget_has_a_slider_per_axis():
    from lib.feature_maps import channel_sum_widget

    widget = channel_sum_widget(np.zeros((2, 5, 4)), np.ones((2, 3, 2)))
    sliders = {child.description: child.max for child in widget.children[:2]}
    assert sliders == {"row y": 2, "column x": 2}
    plt.close("all")


def test_channel_sum_animation_has_a_frame_per_output_position_and_checks_shapes():
    from lib.animation import animation_html
    from lib.feature_maps import channel_sum_animation

    animation = channel_sum_animation(np.zeros((2, 5, 4)), np.ones((2, 3, 2)))
    html = animation_html(animation, alt="A 3 x 3 output, position by position.").data
    assert html.count("frames[8] = ") == 1 and "frames[9] = " not in html  # 3 x 3 positions
    with pytest.raises(ValueError, match="one kernel per input channel"):
        channel_sum_animation(np.zeros((2, 5, 4)), np.ones((3, 3, 2)))
    with pytest.raises(ValueError, match="input must have 3 dimensions"):
        channel_sum_animation(np.zeros((5, 4)), np.ones((3, 2)))
    plt.close("all")


@pytest.mark.parametrize("seed", range(4))
def test_merge_convolutions_matches_two_torch_layers(seed):
    rng = np.random.default_rng(seed)
    c, m, o = rng.integers(1, 4, size=3)
    k1, k2 = rng.integers(1, 4, size=(2, 2))
    x = torch.from_numpy(rng.standard_normal((2, c, 11, 12)))
    w1, b1 = torch.from_numpy(rng.standard_normal((m, c, *k1))), torch.randn(m).double()
    w2, b2 = torch.from_numpy(rng.standard_normal((o, m, *k2))), torch.randn(o).double()
    two_layers = F.conv2d(F.conv2d(x, w1, b1), w2, b2)
    w, b = merge_convolutions(w1.numpy(), w2.numpy(), b1.numpy(), b2.numpy())
    one_layer = F.conv2d(x, torch.from_numpy(w), torch.from_numpy(b))
    torch.testing.assert_close(one_layer, two_layers)
    # With a ReLU between the layers, the merge no longer holds.
    with_relu = F.conv2d(F.relu(F.conv2d(x, w1, b1)), w2, b2)
    assert not torch.allclose(one_layer, with_relu)


def test_merge_convolutions_sums_int8_weights_exactly():
    """int8 weights and biases: NumPy's result type is int8, which would wrap; the merge
    is computed in int64 and agrees with two torch layers in int64."""
    rng = np.random.default_rng(5)
    w1 = rng.integers(-128, 128, size=(3, 2, 3, 3)).astype(np.int8)
    w2 = rng.integers(-128, 128, size=(2, 3, 2, 2)).astype(np.int8)
    b1, b2 = np.array([100, -100, 90], np.int8), np.array([-120, 110], np.int8)
    w, b = merge_convolutions(w1, w2, b1, b2)
    assert w.dtype == b.dtype == np.int64
    x = torch.from_numpy(rng.integers(-5, 6, size=(1, 2, 8, 8)))
    wide = [torch.from_numpy(a.astype(np.int64)) for a in (w1, b1, w2, b2)]
    two_layers = F.conv2d(F.conv2d(x, wide[0], wide[1]), wide[2], wide[3])
    one_layer = F.conv2d(x, torch.from_numpy(w), torch.from_numpy(b))
    assert torch.equal(one_layer, two_layers)
    assert np.abs(w).max() > 127  # int8 could not have held the merged weights


@pytest.mark.parametrize("with_biases", [False, True])
def test_merge_convolutions_sums_uint8_weights_in_int64(with_biases):
    """Two uint8 weights (a photograph's crops, say): convolve2d gives uint64, the default
    biases are int64, and NumPy mixes the two into float64. Every array is converted to
    int64 first, and the merge agrees with two torch layers in int64, with the reviewer's
    200 * 3 weights (600 in each merged tap: 200 * 3 would wrap in uint8) and random ones."""
    rng = np.random.default_rng(7)
    pairs = [
        (np.full((1, 1, 3, 3), 200, np.uint8), np.full((1, 1, 3, 3), 3, np.uint8)),
        (
            rng.integers(0, 256, size=(3, 2, 3, 3)).astype(np.uint8),
            rng.integers(0, 256, size=(2, 3, 2, 2)).astype(np.uint8),
        ),
    ]
    for w1, w2 in pairs:
        b1 = rng.integers(-50, 50, size=w1.shape[0]) if with_biases else None
        b2 = rng.integers(-50, 50, size=w2.shape[0]) if with_biases else None
        w, b = merge_convolutions(w1, w2, b1, b2)
        assert w.dtype == b.dtype == np.int64
        x = torch.from_numpy(rng.integers(0, 256, size=(1, w1.shape[1], 8, 8)))
        wide = [
            None if a is None else torch.from_numpy(a.astype(np.int64)) for a in (w1, b1, w2, b2)
        ]
        two_layers = F.conv2d(F.conv2d(x, wide[0], wide[1]), wide[2], wide[3])
        one_layer = F.conv2d(x, torch.from_numpy(w), torch.from_numpy(b))
        assert torch.equal(one_layer, two_layers)
    assert w.max() > 255  # uint8 could not have held the merged weights


def test_merge_convolutions_checks_the_channels():
    with pytest.raises(ValueError, match="weight2 must read the 4 channels"):
        merge_convolutions(np.zeros((4, 1, 3, 3)), np.zeros((2, 3, 3, 3)))


def test_break_even_batch_balances_the_two_memories():
    parameters, activations = 1_000, 30
    batch = break_even_batch(parameters, activations, parameter_copies=3, activation_copies=2)
    assert batch * 2 * activations == pytest.approx(3 * parameters)
    assert break_even_batch(parameters, activations) == pytest.approx(parameters / activations)


@pytest.mark.parametrize("name", ["parameters", "activations", "parameter_copies"])
def test_break_even_batch_refuses_counts_below_one(name):
    arguments = {"parameters": 10, "activations": 5, "parameter_copies": 1}
    arguments[name] = 0
    with pytest.raises(ValueError, match=name):
        break_even_batch(**arguments)
