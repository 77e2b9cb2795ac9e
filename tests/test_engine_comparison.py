"""lib.engine_comparison and lib.backprop: the NumPy LeNet-5 beside torch's, and the shapes
of backpropagation (chapter 6)."""

import numpy as np
import pytest
import torch

from lib import load_mnist_sample, to_lenet5_input
from lib import numpy_nn as nnp
from lib.backprop import gradient_table
from lib.engine_comparison import (
    first_step_above,
    gradient_differences,
    lockstep,
    optimiser_differences,
)
from lib.models import LeNet5
from lib.numpy_nn import layers


@pytest.fixture(scope="module")
def digits():
    images, labels = load_mnist_sample("train")
    return to_lenet5_input(images[:64]), labels[:64]


def _model():
    torch.manual_seed(0)
    return LeNet5()


def test_gradients_equal_autograds_in_float64_and_to_rounding_in_float32(digits):
    x, y = digits
    exact = gradient_differences(_model(), x[:16], y[:16], dtype="float64")
    rounded = gradient_differences(_model(), x[:16], y[:16], dtype="float32")
    assert len(exact) == 13 and max(exact.values()) < 1e-10
    assert max(rounded.values()) < 1e-4
    assert layers.DTYPE is np.float32  # the switch to float64 is undone


def test_a_wrong_backward_pass_is_seen(digits, monkeypatch):
    x, y = digits
    real = nnp.ScaledTanh._backward
    monkeypatch.setattr(nnp.ScaledTanh, "_backward", lambda self, g: 1.01 * real(self, g))
    found = gradient_differences(_model(), x[:8], y[:8])
    assert found["c1.weight"] > 1e-3 and found["loss"] < 1e-12


def test_lockstep_float32_within_rounding_float64_far_closer(digits):
    x, y = digits
    batches = [np.arange(i, i + 16) for i in range(0, 64, 16)]
    model = _model()
    before = model.c1.weight.detach().clone()
    f32 = lockstep(model, x, y, batches, lr=2e-3)
    f64 = lockstep(model, x, y, batches, lr=2e-3, dtype="float64")
    assert torch.equal(model.c1.weight, before)  # the caller's model is not trained
    # Adam divides each gradient by its own size: rounding in a near-zero gradient can
    # take a step of its own, so float32 agrees to 1e-3 here, not to 1e-7.
    assert max(f32["difference"]) < 1e-2 and max(f64["difference"]) < 1e-11
    assert all(a > 1e3 * b for a, b in zip(f32["difference"], f64["difference"], strict=True))
    assert np.allclose(f32["numpy_loss"], f32["torch_loss"], rtol=1e-5)
    assert layers.DTYPE is np.float32
    with pytest.raises(ValueError, match="dtype must be one of"):
        lockstep(model, x, y, batches, dtype="float16")


def test_optimisers_alone_differ_by_rounding_only():
    """The same gradients into both Adams: many entries differ in their last bit, none
    by more than float32 rounding; and the caller's model is not changed."""
    model = _model()
    before = model.c1.weight.detach().clone()
    found = optimiser_differences(model, steps=3)
    assert torch.equal(model.c1.weight, before)
    assert found["entries"] == sum(p.numel() for p in model.parameters())
    assert all(n > 1_000 for n in found["differing"])
    assert all(0 < d < 1e-6 for d in found["difference"])


def test_first_step_above():
    assert first_step_above([0.1, 0.3, 0.2], 0.25) == 2
    assert first_step_above([], 1.0) is None


def test_gradient_table_of_lenet5(digits):
    x, y = digits
    rows = gradient_table(nnp.LeNet5.from_torch(_model()), x[:2], y[:2])
    assert [r["layer"] for r in rows] == list(nnp.LeNet5.names)
    for row in rows:
        assert row["grad_output"] == row["output"] and row["grad_input"] == row["input"]
    by_name = {r["layer"]: r for r in rows}
    assert by_name["c1"]["grads"] == {"weight": (6, 1, 5, 5), "bias": (6,)}
    assert by_name["c5"]["output"] == (2, 120, 1, 1)
    assert by_name["output"]["output"] == (2, 10) and by_name["output"]["grads"] == {}
