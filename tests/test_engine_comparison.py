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


def test_absent_links_stay_zero_in_the_optimiser_control(monkeypatch):
    """C3's 900 absent-link entries get no gradient in the control, as in training: both
    optimisers keep them at zero (without the mask they would move)."""
    model = _model()
    absent = model.c3.weight.detach().numpy() == 0
    assert absent.sum() == 900
    steps = []
    real = nnp.Adam.step

    def watched(self):
        real(self)
        steps.append(self.model.layers[self.model.names.index("c3")].params["weight"].copy())

    monkeypatch.setattr(nnp.Adam, "step", watched)
    found = optimiser_differences(model, steps=2)
    assert found["entries"] == 60_900 and len(steps) == 2
    assert all(np.all(w[absent] == 0) for w in steps)


def _one_rounding(a, b, c):
    """a + b * c rounded once to float32 (float32 products are exact in float64)."""
    wide = a.astype(np.float64) + b.astype(np.float64) * c.astype(np.float64)
    return wide.astype(np.float32)


def test_the_three_roundings_in_which_the_two_adams_differ():
    """What the chapter says makes nnp.Adam and torch's Adam part, measured one cause at a
    time on 60,000 entries, step 2 of torch's own Adam: (1) torch's moment updates round
    once (a fused multiply-add) where NumPy rounds twice; (2) the square root: NumPy's is
    correctly rounded, torch's may be one unit in the last place off (how often depends on
    the machine, so only the bound is asserted); (3) given torch's moments and denominator,
    torch's last step is p + ((-s) m) / d, not nnp's p - s (m / d). And the bias corrections
    are no cause: with torch's square root the two denominators are equal."""
    f = np.float32
    lr, b1, b2, eps = 2e-3, 0.9, 0.999, 1e-8
    rng = np.random.default_rng(0)
    p0 = rng.uniform(-0.1, 0.1, size=60_000).astype(f)
    grads = [(0.01 * rng.normal(size=p0.size)).astype(f) for _ in range(2)]
    param = torch.tensor(p0.copy())
    adam = torch.optim.Adam([param], lr=lr)
    states = []
    for g in grads:
        param.grad = torch.from_numpy(g.copy())
        before = param.detach().numpy().copy()
        adam.step()
        state = adam.state[param]
        states.append((before, state["exp_avg"].numpy().copy(), state["exp_avg_sq"].numpy().copy()))
    (_, m1, v1), (p1, m2, v2) = states  # p1: the weights after step 1
    g, t = grads[1], 2
    # (1) The moments of step 2, from torch's moments of step 1.
    two_m = m1 + f(1 - b1) * (g - m1)  # nnp.Adam's update
    two_v = v1 * f(b2) + f(1 - b2) * g * g
    if torch.backends.cpu.get_cpu_capability() in ("AVX2", "AVX512"):
        assert np.array_equal(m2, _one_rounding(m1, np.full_like(g, 1 - b1), g - m1))
        assert np.array_equal(v2, _one_rounding(v1 * f(b2), f(1 - b2) * g, g))
        assert np.count_nonzero(two_m != m2) > 1_000 and np.count_nonzero(two_v != v2) > 0
    # (2) The square root.
    exact = np.sqrt(v2.astype(np.float64)).astype(f)  # correctly rounded
    assert np.array_equal(np.sqrt(v2), exact)
    theirs = torch.from_numpy(v2).sqrt().numpy()
    assert np.abs(theirs.view(np.int32) - exact.view(np.int32)).max() <= 1
    # Not the bias corrections: with torch's square root, nnp's denominator is torch's.
    correction = (1 - b2**t) ** 0.5
    torch_denominator = (torch.from_numpy(v2).sqrt() / correction).add_(eps).numpy()
    assert np.array_equal(theirs / f(correction) + f(eps), torch_denominator)
    # (3) The last step, from torch's moments and denominator.
    s = f(lr / (1 - b1**t))
    p2 = param.detach().numpy()
    assert np.array_equal(p1 + ((-s) * m2) / torch_denominator, p2)
    assert np.count_nonzero(p1 - s * (m2 / torch_denominator) != p2) > 100


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
