"""lib.models: LeNet-5 as published (parameters, C3's table, RBF outputs, loss) and the
modern variant; the parameter and shape tables."""

import numpy as np
import pytest
import torch
from torch import nn

import lib.models
from lib.models import (
    EuclideanRBF,
    LeNet5,
    LeNet5Modern,
    ScaledTanh,
    Subsampling,
    c3_connections,
    connection_table,
    digit_prototypes,
    lenet5_loss,
    parameter_table,
    shape_table,
    traced_shapes,
)

#: BOOK.md's table, which is the paper's.
PAPER_PARAMETERS = {
    "C1": 156,
    "S2": 12,
    "C3": 1516,
    "S4": 32,
    "C5": 48120,
    "F6": 10164,
    "output": 0,
    "total": 60000,
}

#: The paper's section II-B: connections of each layer ("C1 ... has 156 trainable parameters,
#: and 122,304 connections", ...; F6 "has 10,164 trainable parameters") and the total, "340,908
#: connections, but only 60,000 trainable free parameters". The paper gives no count for
#: the output layer; the total leaves 840 for it, 10 units x 84 inputs.
PAPER_CONNECTIONS = {
    "C1": 122304, "S2": 5880, "C3": 151600, "S4": 2000, "C5": 48120, "F6": 10164,
    "output": 840, "total": 340908,
}  # fmt: skip

#: The paper's Table I, column by column: the S2 maps each C3 map reads.
PAPER_C3 = [
    {0, 1, 2}, {1, 2, 3}, {2, 3, 4}, {3, 4, 5}, {4, 5, 0}, {5, 0, 1},
    {0, 1, 2, 3}, {1, 2, 3, 4}, {2, 3, 4, 5}, {3, 4, 5, 0}, {4, 5, 0, 1}, {5, 0, 1, 2},
    {0, 1, 3, 4}, {1, 2, 4, 5}, {0, 2, 3, 5},
    {0, 1, 2, 3, 4, 5},
]  # fmt: skip


@pytest.fixture
def model():
    torch.manual_seed(0)
    return LeNet5()


def test_parameters_per_layer_are_the_papers(model):
    table = {row["layer"]: row["parameters"] for row in parameter_table(model)}
    assert table == PAPER_PARAMETERS


def test_modern_parameters():
    table = {row["layer"]: row["parameters"] for row in parameter_table(LeNet5Modern())}
    assert table == {
        "C1": 156, "S2": 0, "C3": 2416, "S4": 0, "C5": 48120, "F6": 10164, "output": 850,
        "total": 61706,
    }  # fmt: skip


def test_c3_table_is_the_papers():
    table = c3_connections()
    assert table.shape == (16, 6) and table.dtype == bool
    assert int(table.sum()) == 60
    assert [set(np.flatnonzero(row).tolist()) for row in table] == PAPER_C3
    assert table.sum(axis=0).tolist() == [10] * 6  # every S2 map feeds 10 C3 maps


def test_c3_mask_holds_after_optimiser_steps(model):
    mask = model.c3.mask.bool()
    assert torch.all(model.c3.weight[~mask] == 0)
    for optimizer in (
        torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
        torch.optim.AdamW(model.parameters(), lr=0.01, weight_decay=0.1),
    ):
        for _ in range(2):
            x = torch.randn(8, 1, 32, 32)
            loss = model.loss(model(x), torch.arange(8))
            optimizer.zero_grad()
            loss.backward()
            assert torch.all(model.c3.weight.grad[~mask] == 0)
            optimizer.step()
        assert torch.all(model.c3.weight[~mask] == 0)
        assert torch.any(model.c3.weight[mask] != 0)


def test_masked_weights_do_not_reach_the_output(model):
    x = torch.randn(4, 1, 32, 32)
    before = model(x)
    with torch.no_grad():
        model.c3.weight[~model.c3.mask.bool()] = 123.0
    torch.testing.assert_close(model(x), before)


def test_c3_map_reads_only_its_inputs(model):
    """Changing S2 map 5 changes only the C3 maps that the table connects to it."""
    x = torch.randn(1, 6, 14, 14)
    y = x.clone()
    y[:, 5] += 1.0
    changed = (model.c3(x) - model.c3(y)).abs().sum(dim=(0, 2, 3)) > 0
    assert changed.tolist() == [5 in inputs for inputs in PAPER_C3]


def test_initialisation_is_the_papers(model):
    """Uniform in +-2.4 / fan-in; C3's fan-in counts only connected maps."""
    for layer, fan_in in ((model.c1, 25), (model.c5, 400), (model.f6, 120), (model.s2, 4)):
        assert layer.weight.abs().max() <= 2.4 / fan_in
        assert layer.bias.abs().max() <= 2.4 / fan_in
    for layer, fan_in in ((model.c1, 25), (model.c5, 400), (model.f6, 120)):
        assert layer.weight.abs().max() > 0.9 * 2.4 / fan_in  # uniform: near the bound
    for j, inputs in enumerate(PAPER_C3):
        assert model.c3.weight[j].abs().max() <= 2.4 / (25 * len(inputs))


def test_scaled_tanh():
    f = ScaledTanh()
    a = torch.linspace(-3, 3, 13)
    torch.testing.assert_close(f(a), 1.7159 * torch.tanh(2 * a / 3))
    torch.testing.assert_close(
        f(torch.tensor([1.0, -1.0])), torch.tensor([1.0, -1.0]), atol=1e-4, rtol=0
    )


def test_subsampling_is_a_scaled_window_sum():
    s = Subsampling(2)
    with torch.no_grad():
        s.weight[:] = torch.tensor([0.5, -2.0])
        s.bias[:] = torch.tensor([1.0, 0.0])
    x = torch.arange(2 * 4 * 4, dtype=torch.float32).reshape(1, 2, 4, 4)
    out = s(x)
    assert out.shape == (1, 2, 2, 2)
    assert out[0, 0, 0, 0].item() == 0.5 * (0 + 1 + 4 + 5) + 1.0
    assert out[0, 1, 1, 1].item() == -2.0 * (26 + 27 + 30 + 31)


def test_rbf_outputs_are_squared_distances_to_fixed_prototypes():
    prototypes = digit_prototypes()
    assert prototypes.shape == (10, 84)
    assert set(np.unique(prototypes).tolist()) == {-1.0, 1.0}
    differing = (prototypes[:, None] != prototypes[None]).sum(axis=2)
    assert differing[~np.eye(10, dtype=bool)].min() >= 12  # no two codes are close

    rbf = EuclideanRBF(prototypes)
    assert list(rbf.parameters()) == []  # a buffer: fixed, and saved with the model
    x = torch.randn(3, 84)
    expected = ((x[:, None] - torch.as_tensor(prototypes)) ** 2).sum(dim=2)
    torch.testing.assert_close(rbf(x), expected)
    assert rbf(torch.as_tensor(prototypes)).argmin(dim=1).tolist() == list(range(10))


def test_loss_is_the_papers_equation_9():
    torch.manual_seed(0)
    y = torch.rand(5, 10) * 50
    labels = torch.tensor([0, 3, 9, 2, 2])
    j = 7.0
    by_hand = torch.stack(
        [
            y[p, labels[p]] + torch.log(torch.exp(torch.tensor(-j)) + torch.exp(-y[p]).sum())
            for p in range(5)
        ]
    ).mean()
    torch.testing.assert_close(lenet5_loss(y, labels, j=j), by_hand)
    torch.testing.assert_close(lenet5_loss(y, labels, j=None), y[range(5), labels].mean())
    assert lenet5_loss(y, labels) >= 0


def test_loss_pulls_the_correct_distance_down_and_the_others_up():
    y = torch.tensor([[5.0, 6.0, 40.0]], requires_grad=True)
    lenet5_loss(y, torch.tensor([0]), j=10.0).backward()
    assert y.grad[0, 0] > 0 and y.grad[0, 1] < 0  # gradient descent lowers y_0, raises y_1
    assert abs(y.grad[0, 2]) < 1e-6  # a far class no longer matters


@pytest.mark.parametrize("model_class", [LeNet5, LeNet5Modern])
def test_shape_table_equals_a_forward_pass(model_class):
    model = model_class()
    rows = shape_table(model)
    assert [row["layer"] for row in rows] == ["input", "C1", "S2", "C3", "S4", "C5", "F6", "output"]
    assert [row["output"] for row in rows] == [
        (1, 32, 32), (6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5), (120, 1, 1), (84,), (10,),
    ]  # fmt: skip
    traced = traced_shapes(model)
    assert {row["layer"]: row["output"] for row in rows[1:]} == traced


def test_shape_table_catches_a_wrong_formula(monkeypatch):
    off_by_one = lambda n, k, *args, **kwargs: n - k  # noqa: E731
    monkeypatch.setattr(lib.models, "output_size", off_by_one)
    with pytest.raises(RuntimeError, match="layer C1: the formula gives"):
        shape_table(LeNet5())
    assert shape_table(LeNet5(), check=False)[1]["output"] == (6, 27, 27)


def test_tables_refuse_other_models():
    with pytest.raises(TypeError, match="model must list its layers in a layer_names"):
        parameter_table(nn.Linear(2, 2))


def test_hooks_are_removed(model):
    traced_shapes(model)
    assert all(not module._forward_hooks for module in model.modules())


def test_predictions():
    assert LeNet5.predict(torch.tensor([[3.0, 1.0, 2.0]])).tolist() == [1]  # nearest
    assert LeNet5Modern.predict(torch.tensor([[3.0, 1.0, 2.0]])).tolist() == [0]  # largest


def test_connections_per_layer_are_the_papers(model):
    rows = connection_table(model)
    assert {row["layer"]: row["connections"] for row in rows} == PAPER_CONNECTIONS
    assert {row["layer"]: row["parameters"] for row in rows} == PAPER_PARAMETERS


def _links(layer, input_shape):
    """Connections counted without the formula: the nonzero entries of the layer's
    Jacobian (one per input a unit reads; random weights are nonzero) plus one bias per
    unit that has one."""
    torch.manual_seed(0)
    x = torch.randn(1, *input_shape)
    jacobian = torch.autograd.functional.jacobian(layer, x, vectorize=True)
    units = jacobian.shape[1 : jacobian.dim() - len(input_shape) - 1]
    biased = int(np.prod(units)) if getattr(layer, "bias", None) is not None else 0
    return int((jacobian != 0).sum()) + biased


@pytest.mark.parametrize(
    ("layer", "input_shape"),
    [
        ("c1", (1, 32, 32)),
        ("s2", (6, 28, 28)),
        ("c3", (6, 14, 14)),
        ("s4", (16, 10, 10)),
        ("c5", (16, 5, 5)),
        ("f6", (120,)),
        ("output", (84,)),
    ],
)
@pytest.mark.parametrize("model_class", [LeNet5, LeNet5Modern])
@pytest.mark.slow  # C1's Jacobian has 4,704 x 1,024 entries: seconds each, more under load
def test_connections_are_the_jacobians_links(model_class, layer, input_shape):
    model = model_class()
    if isinstance(getattr(model, layer), nn.MaxPool2d):
        pytest.skip("a max's Jacobian reads only the window's arg-max, not its 4 inputs")
    counted = {row["layer"]: row["connections"] for row in connection_table(model)}
    label = "output" if layer == "output" else layer.upper()
    assert counted[label] == _links(getattr(model, layer), input_shape)
