"""The checkers of chapter 6 (learning the kernels): the references agree with torch's
autograd and optimiser, classic mistakes are named.

The generic checks of every exercise (well formed, models pass, stubs not attempted, hidden
cases) are in ``test_chapter_exercises.py``.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from exercise_checks import verdict  # tests/ is on the path

import lib.exercises.chapter6 as ex
from lib import conv2d, conv2d_grad_weight
from lib.exercises import chapter_exercises
from lib.models import ScaledTanh, Subsampling


def test_exercises_are_in_the_chapters_order():
    assert [e.name for e in chapter_exercises(6)] == [
        "conv_weight_grad",
        "tanh_backward",
        "numerical_grad_kernel",
        "transposed_conv",
        "sgd_step",
        "subsampling_backward",
    ]


# --- the references agree with torch -----------------------------------------------------------


def _autograd(function, *tensors):
    """Gradients of sum(function(...) * g) with respect to each tensor, g random."""
    tensors = [torch.tensor(t, requires_grad=True) for t in tensors]
    out = function(*tensors)
    g = torch.tensor(np.random.default_rng(5).normal(size=tuple(out.shape)))
    (out * g).sum().backward()
    return g.numpy(), [t.grad.numpy() for t in tensors]


@pytest.mark.parametrize("seed", range(5))
def test_weight_grad_reference_is_autograds(seed):
    rng = np.random.default_rng(seed)
    image, kernel = rng.normal(size=(7, 6)), rng.normal(size=(3, 2))
    g, (_, grad_kernel) = _autograd(
        lambda x, w: F.conv2d(x[None, None], w[None, None])[0, 0], image, kernel
    )
    assert np.allclose(ex._weight_grad(image, g), grad_kernel)
    assert np.allclose(ex._weight_grad_model(image, g), grad_kernel)


def test_tanh_backward_reference_is_autograds():
    a = np.linspace(-5, 5, 21)
    g, (grad,) = _autograd(lambda t: ScaledTanh()(t), a)
    assert np.allclose(ex._tanh_backward(a, g), grad)
    assert np.allclose(ex._tanh_backward_model(a, g), grad)
    # f'(0) = 1.7159 * 2/3, as the hint says
    assert round(float(ex._tanh_backward(np.zeros(1), np.ones(1))[0]), 4) == 1.1439


@pytest.mark.parametrize("seed", range(3))
def test_numerical_gradient_reference_is_autograds(seed):
    rng = np.random.default_rng(seed)
    image, kernel, target = rng.normal(size=(6, 5)), rng.normal(size=(2, 3)), None
    target = rng.normal(size=(5, 3))
    w = torch.tensor(kernel, requires_grad=True)
    out = F.conv2d(torch.tensor(image)[None, None], w[None, None])[0, 0]
    (0.5 * (torch.tanh(out - torch.tensor(target)) ** 2).sum()).backward()
    exact = w.grad.numpy()
    assert np.allclose(ex._exact(image, kernel, target, 1e-3), exact, rtol=1e-12, atol=1e-14)
    for answer in (ex._numerical_model, ex._central):  # both approach it as eps shrinks
        assert np.allclose(answer(image, kernel, target, 1e-5), exact, rtol=1e-6, atol=1e-8)
    # ... and at the checker's eps they differ from it: the loss is not quadratic
    assert not np.allclose(ex._central(image, kernel, target, 1e-2), exact, rtol=1e-9, atol=0)


@pytest.mark.parametrize("stride", [1, 2, 3])
def test_transposed_reference_is_torchs(stride):
    rng = np.random.default_rng(stride)
    x, kernel = rng.normal(size=(3, 4)), rng.normal(size=(2, 3))
    expected = F.conv_transpose2d(
        torch.tensor(x)[None, None], torch.tensor(kernel)[None, None], stride=stride
    )[0, 0].numpy()
    assert np.allclose(ex._transposed(x, kernel, stride), expected)
    assert np.allclose(ex._transposed_model(x, kernel, stride), expected)


@pytest.mark.parametrize("momentum", [0.0, 0.5, 0.9])
def test_sgd_reference_is_torch_optim_sgd(momentum):
    rng = np.random.default_rng(0)
    weight = torch.nn.Parameter(torch.tensor(rng.normal(size=(3, 4))))
    optimiser = torch.optim.SGD([weight], lr=0.1, momentum=momentum)
    ours = weight.detach().numpy().copy()
    velocity = np.zeros_like(ours)
    for _ in range(3):  # torch's first step sets the velocity to the gradient: 0 * 0 + g
        grad = rng.normal(size=ours.shape)
        weight.grad = torch.tensor(grad)
        optimiser.step()
        ours, velocity = ex._sgd(ours, grad, velocity, 0.1, momentum)
        model, _ = ex._sgd_model(ours, grad, velocity, 0.1, momentum)
        assert np.allclose(ours, weight.detach().numpy())
    assert np.allclose(ex._sgd_model(ours, grad, velocity, 0.1, momentum)[0], model)


def test_subsampling_backward_reference_is_autograds():
    rng = np.random.default_rng(0)
    layer = Subsampling(3).double()
    x = torch.tensor(rng.normal(size=(2, 3, 6, 4)), requires_grad=True)
    out = layer(x)
    g = rng.normal(size=tuple(out.shape))
    (out * torch.tensor(g)).sum().backward()
    coefficient = layer.weight.detach().numpy()
    assert np.allclose(ex._subsampling(g, coefficient), x.grad.numpy())
    assert np.allclose(ex._subsampling_model(g, coefficient), x.grad.numpy())


def test_the_chapters_transposed_example():
    out = ex._transposed(np.array([[1.0, 10.0]]), np.array([[1.0, 2.0, 3.0]]), 2)
    assert out.tolist() == [[1.0, 2.0, 13.0, 20.0, 30.0]]


# --- the classic mistakes are named -----------------------------------------------------------


def _numerical_forward(x, k, t, e):
    base = 0.5 * np.sum(np.tanh(conv2d(x, k) - t) ** 2)
    grad = np.zeros(k.shape)
    for index in np.ndindex(k.shape):
        moved = k.copy()
        moved[index] += e
        grad[index] = (0.5 * np.sum(np.tanh(conv2d(x, moved) - t) ** 2) - base) / e
    return grad


def _numerical_in_place(x, k, t, e):
    """Moves the caller's kernel and does not put it back."""
    grad = np.zeros(k.shape)
    for index in np.ndindex(k.shape):
        k[index] += e
        plus = 0.5 * np.sum(np.tanh(conv2d(x, k) - t) ** 2)
        k[index] -= 2 * e
        minus = 0.5 * np.sum(np.tanh(conv2d(x, k) - t) ** 2)
        grad[index] = (plus - minus) / (2 * e)
    return grad


def _t(a):
    return np.tanh(2 * np.asarray(a) / 3)


def _trailing_zeros(x, k, s):
    """Spreads x with s - 1 zeros after every entry, the last one too (np.kron)."""
    spread = np.kron(x, np.pad(np.ones((1, 1)), ((0, s - 1), (0, s - 1))))
    return conv2d(spread, k[::-1, ::-1], padding="full")


def _sgd_dampened(w, g, v, lr, m):
    velocity = m * v + (1 - m) * g  # the moving-average form, torch's dampening = momentum
    return w - lr * velocity, velocity


def _sgd_other_convention(w, g, v, lr, m):
    v = m * v + lr * g
    return w - v, v


#: Mistakes that, written with lib's conv2d, raise on some hidden cases.
RAISES_ON_HIDDEN = {"Valid instead of full"}


@pytest.mark.parametrize(
    ("exercise", "wrong", "name"),
    [
        (ex.conv_weight_grad, lambda x, g: ex._weight_grad(x, g)[::-1, ::-1], "Kernel flipped"),
        (ex.conv_weight_grad, lambda x, g: np.zeros_like(x), "The input's gradient"),
        (ex.conv_weight_grad, lambda x, g: ex._weight_grad(x, g) / g.size, "Mean instead of sum"),
        (
            ex.conv_weight_grad,
            lambda x, g: ex._weight_grad(x, np.ones_like(g)),
            "Grad_output not used",
        ),
        (ex.tanh_backward, lambda a, g: 1.7159 * 2 / 3 * (1 - _t(a) ** 2), "Grad_output not used"),
        (ex.tanh_backward, lambda a, g: g * 1.7159 * (1 - _t(a) ** 2), "Inner slope forgotten"),
        (ex.tanh_backward, lambda a, g: g * 2 / 3 * (1 - _t(a) ** 2), "Amplitude forgotten"),
        (ex.tanh_backward, lambda a, g: g * (1 - np.tanh(a) ** 2), "Plain tanh's derivative"),
        (
            ex.tanh_backward,
            lambda a, g: g * 1.7159 * 2 / 3 * (1 - (1.7159 * _t(a)) ** 2),
            "The output squared",
        ),
        (ex.tanh_backward, lambda a, g: g * 1.7159 * 2 / 3 * (1 - _t(a)), "Square missing"),
        (ex.numerical_grad_kernel, _numerical_forward, "One-sided difference"),
        (
            ex.numerical_grad_kernel,
            lambda x, k, t, e: 2 * ex._numerical_model(x, k, t, e),
            "Twice the gradient",
        ),
        (
            ex.numerical_grad_kernel,
            lambda x, k, t, e: ex._numerical_model(x, k, t, e) / t.size,
            "Loss averaged",
        ),
        (ex.numerical_grad_kernel, ex._exact, "The exact gradient"),
        (
            ex.numerical_grad_kernel,
            lambda x, k, t, e: conv2d_grad_weight(x, conv2d(x, k) - t, k.shape),
            "Tanh forgotten",
        ),
        (
            ex.transposed_conv,
            lambda x, k, s: conv2d(ex.insert_zeros(x, s), k, padding="full"),
            "Kernel not flipped",
        ),
        (ex.transposed_conv, lambda x, k, s: ex._transposed(x, k, 1), "Stride ignored"),
        (ex.transposed_conv, _trailing_zeros, "Zeros after the last entry"),
        (
            ex.transposed_conv,
            lambda x, k, s: ex._transposed(x, k, s + 1),
            "S zeros instead of s - 1",
        ),
        (
            ex.transposed_conv,
            lambda x, k, s: conv2d(ex.insert_zeros(x, s), k[::-1, ::-1]),
            "Valid instead of full",
        ),
        (ex.sgd_step, lambda w, g, v, lr, m: (w + lr * (m * v + g), m * v + g), "Gradient ascent"),
        (ex.sgd_step, lambda w, g, v, lr, m: (w - lr * g, g), "Momentum ignored"),
        (ex.sgd_step, lambda w, g, v, lr, m: (w - lr * v, m * v + g), "Old velocity used"),
        (ex.sgd_step, _sgd_other_convention, "Learning rate in the velocity"),
        (ex.sgd_step, lambda w, g, v, lr, m: (w - lr * (m * v + g), v), "Velocity not updated"),
        (ex.sgd_step, _sgd_dampened, "Dampened velocity"),
        (
            ex.subsampling_backward,
            lambda g, c: ex._subsampling(g, c) / 4,
            "Average pooling's gradient",
        ),
        (
            ex.subsampling_backward,
            lambda g, c: g.repeat(2, axis=2).repeat(2, axis=3),
            "Coefficient forgotten",
        ),
        (ex.subsampling_backward, ex._one_pixel, "Routed to one pixel"),
        (ex.subsampling_backward, lambda g, c: ex._subsampling(g, 1 / c), "Coefficient divided"),
    ],
)
def test_each_classic_mistake_is_named(exercise, wrong, name, capsys):
    result = verdict(exercise, wrong, capsys)
    assert result.status == "incorrect"
    assert result.message.startswith(f"incorrect. {name}:"), result.message
    # the hidden cases name it too
    cases = exercise.cases(seed=(11, 6))
    hidden = exercise.judge(cases, exercise.outcomes(wrong, cases))
    if name in RAISES_ON_HIDDEN:
        # lib's conv2d refuses a kernel larger than the map, which some hidden cases
        # have: the verdict is an error that says so.
        assert hidden.status == "error" and "larger than the padded input" in hidden.message
        return
    assert hidden.message.startswith(f"incorrect. {name}:"), hidden.message


def test_a_numerical_gradient_at_another_eps_is_wrong(capsys):
    result = verdict(
        ex.numerical_grad_kernel, lambda x, k, t, e: ex._central(x, k, t, 10 * e), capsys
    )
    assert result.status == "incorrect"


def test_a_numerical_gradient_that_moves_the_kernel_is_told(capsys):
    result = verdict(ex.numerical_grad_kernel, _numerical_in_place, capsys)
    assert result.status == "incorrect" and "changed its input" in result.message


def test_sgd_step_wrong_shapes_and_types_are_told(capsys):
    message = verdict(ex.sgd_step, lambda w, g, v, lr, m: w - lr * g, capsys).message
    assert "not a pair (new weight, new velocity)" in message
    message = verdict(ex.sgd_step, lambda w, g, v, lr, m: (w, m * v + g), capsys).message
    assert message.startswith("incorrect. On ") and "the new weight:" in message
    assert verdict(
        ex.sgd_step, lambda w, g, v, lr, m: [*ex._sgd(w, g, v, lr, m)], capsys
    ).status == ("correct")


def test_weight_grad_accepts_a_correlation_with_lib():
    assert ex.conv_weight_grad.verdict(lambda x, g: conv2d(x, g)).status == "correct"
