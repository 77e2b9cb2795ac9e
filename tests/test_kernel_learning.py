"""lib.kernel_learning and lib.transposed: chapter 6's kernel learned by gradient descent,
and the transposed convolution by zero insertion and as a matrix, against torch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from lib import conv2d, conv2d_grad_input, transposed_output_size
from lib.kernel_learning import (
    condition_numbers,
    kernel_loss,
    learn_kernel,
    loss_hessian,
    step_limit,
)
from lib.kernels import VERTICAL_EDGE
from lib.transposed import conv2d_matrix, conv_transpose2d, insert_zeros


def _photo():
    from skimage import data

    image = data.camera()[::8, ::8].astype(float) / 255
    return image - image.mean()


def test_the_edge_kernel_is_recovered_from_a_photograph():
    image = _photo()
    target = conv2d(image, VERTICAL_EDGE.astype(float))
    history = learn_kernel(image, target, 3, lr=2.0, steps=400)
    assert np.all(np.diff(history.losses) <= 0)  # a small enough step: the loss never rises
    assert np.abs(history.kernels[-1] - VERTICAL_EDGE).max() < 0.05
    assert history.kernels.shape == (401, 3, 3) and history.losses.shape == (401,)


def test_the_step_limit_separates_convergence_from_divergence():
    image = _photo()
    target = conv2d(image, VERTICAL_EDGE.astype(float))
    limit, eigenvalues = step_limit(image, 3)
    assert np.all(eigenvalues > 0) and eigenvalues.shape == (9,)
    below = learn_kernel(image, target, 3, lr=0.95 * limit, steps=300)
    above = learn_kernel(image, target, 3, lr=1.05 * limit, steps=300)
    assert below.losses[-1] < below.losses[0]
    assert above.losses[-1] > 1e3 * above.losses[0]


def test_the_hessian_is_autograds_and_centring_not_rescaling_conditions_it():
    image = _photo()
    target = conv2d(image, VERTICAL_EDGE.astype(float))
    hessian = loss_hessian(image, 3)
    x = torch.tensor(image)
    y = torch.tensor(target)

    def loss(k):
        return 0.5 * ((F.conv2d(x[None, None], k.view(1, 1, 3, 3)) - y) ** 2).mean()

    autograd = torch.autograd.functional.hessian(loss, torch.zeros(9, dtype=torch.float64))
    assert np.allclose(hessian, autograd.numpy(), rtol=1e-10, atol=1e-14)
    kappa, scaled = condition_numbers(hessian)
    assert abs(scaled - kappa) < 0.01 * kappa  # a flat diagonal: rescaling does not help
    uncentred, _ = condition_numbers(loss_hessian(image + 0.5, 3))
    assert uncentred > 2 * kappa  # adding a mean makes it worse
    assert condition_numbers(np.diag([4.0, 1.0])) == (4.0, 1.0)
    with pytest.raises(ValueError, match="hessian must be square"):
        condition_numbers(np.ones((2, 3)))


def test_kernel_loss_gradient_is_autograds():
    rng = np.random.default_rng(0)
    image, target, kernel = (
        rng.normal(size=(9, 8)),
        rng.normal(size=(7, 5)),
        rng.normal(size=(3, 4)),
    )
    loss, grad = kernel_loss(image, target, kernel)
    w = torch.tensor(kernel, requires_grad=True)
    out = F.conv2d(torch.tensor(image)[None, None], w[None, None])[0, 0]
    expected = 0.5 * ((out - torch.tensor(target)) ** 2).mean()
    expected.backward()
    assert np.isclose(loss, expected.item())
    assert np.allclose(grad, w.grad.numpy())


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: learn_kernel(np.ones((4, 4)), np.ones((3, 3)), 2, lr=0, steps=1), "lr must be"),
        (lambda: learn_kernel(np.ones((4, 4)), np.ones((3, 3)), 2, lr=0.1, steps=-1), "steps"),
        (lambda: kernel_loss(np.ones((4, 4)), np.ones((2, 2)), np.ones((2, 2))), "target must"),
        (lambda: kernel_loss(np.ones((1, 4, 4)), np.ones((3, 3)), np.ones((2, 2))), "image must"),
        (lambda: conv2d_matrix((3,), np.ones((2, 2))), "input_shape must"),
        (lambda: insert_zeros(np.ones((2, 2)), 0), "stride"),
        (lambda: conv_transpose2d(np.ones((2, 2)), np.ones(3)), "kernel must"),
    ],
)
def test_bad_input_is_named(call, words):
    with pytest.raises((ValueError, TypeError), match=words):
        call()


@settings(max_examples=30, deadline=None)
@given(
    h=st.integers(1, 5),
    w=st.integers(1, 5),
    kh=st.integers(1, 4),
    kw=st.integers(1, 4),
    stride=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_conv_transpose2d_is_torchs_and_the_input_gradient(h, w, kh, kw, stride, seed):
    rng = np.random.default_rng(seed)
    x, kernel = rng.normal(size=(h, w)), rng.normal(size=(kh, kw))
    ours = conv_transpose2d(x, kernel, stride)
    theirs = F.conv_transpose2d(
        torch.tensor(x)[None, None], torch.tensor(kernel)[None, None], stride=stride
    )[0, 0].numpy()
    assert np.allclose(ours, theirs)
    assert ours.shape == (
        transposed_output_size(h, kh, stride),
        transposed_output_size(w, kw, stride),
    )
    # It is the gradient of the convolution with respect to its input.
    assert np.allclose(ours, conv2d_grad_input(x, kernel, ours.shape, stride=stride))


@settings(max_examples=20, deadline=None)
@given(
    h=st.integers(1, 5),
    k=st.integers(1, 4),
    stride=st.integers(1, 3),
    padding=st.integers(0, 3),
    seed=st.integers(0, 2**16),
)
def test_conv_transpose2d_padding_crops_as_torchs(h, k, stride, padding, seed):
    size = (h - 1) * stride + k
    if 2 * padding >= size:
        with pytest.raises(ValueError, match="padding must leave some output"):
            conv_transpose2d(np.ones((h, h)), np.ones((k, k)), stride, padding)
        return
    rng = np.random.default_rng(seed)
    x, kernel = rng.normal(size=(h, h)), rng.normal(size=(k, k))
    ours = conv_transpose2d(x, kernel, stride, padding)
    theirs = F.conv_transpose2d(
        torch.tensor(x)[None, None], torch.tensor(kernel)[None, None], stride=stride,
        padding=padding,
    )[0, 0].numpy()  # fmt: skip
    assert np.allclose(ours, theirs)
    assert ours.shape == (transposed_output_size(h, k, stride, padding),) * 2
    # The input gradient of the padded convolution, on the unpadded input's grid.
    assert np.allclose(ours, conv2d_grad_input(x, kernel, ours.shape, stride, padding))


@settings(max_examples=20, deadline=None)
@given(
    h=st.integers(3, 6),
    w=st.integers(3, 6),
    k=st.integers(1, 3),
    stride=st.integers(1, 2),
    padding=st.integers(0, 1),
    seed=st.integers(0, 2**16),
)
def test_the_matrix_is_the_convolution_and_its_transpose_the_gradient(
    h, w, k, stride, padding, seed
):
    rng = np.random.default_rng(seed)
    x, kernel = rng.normal(size=(h, w)), rng.normal(size=(k, k))
    matrix = conv2d_matrix((h, w), kernel, stride=stride, padding=padding)
    out = conv2d(x, kernel, stride=stride, padding=padding)
    assert matrix.shape == (out.size, x.size)
    assert np.allclose(matrix @ x.ravel(), out.ravel())
    g = rng.normal(size=out.shape)
    expected = conv2d_grad_input(g, kernel, (h, w), stride=stride, padding=padding)
    assert np.allclose((matrix.T @ g.ravel()).reshape(h, w), expected)


def test_numerical_gradient_does_not_move_its_input_and_checks_eps():
    from lib.gradient_check import numerical_gradient

    x = np.array([1.0, 2.0])
    assert np.allclose(numerical_gradient(lambda v: float(np.sum(np.sin(v))), x), np.cos(x))
    assert x.tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match="eps must be"):
        numerical_gradient(np.sum, x, eps=0)


@pytest.mark.parametrize(("stride", "padding"), [(1, 0), (2, 1), (3, "same"), ((2, 1), (0, 2))])
def test_lib_conv2d_gradients_pass_both_checks(stride, padding):
    from lib.gradient_check import check_conv2d_gradients

    if padding == "same":
        stride = 1
    found = check_conv2d_gradients((2, 2, 6, 7), (3, 2, 3, 3), stride=stride, padding=padding)
    for name, (finite, autograd) in found.items():
        assert finite < 1e-6 and autograd < 1e-12, name


def test_the_check_catches_a_wrong_gradient(monkeypatch):
    import lib.gradients
    from lib.gradient_check import check_conv2d_gradients

    real = lib.gradients.conv2d_grad_weight
    monkeypatch.setattr(lib.gradients, "conv2d_grad_weight", lambda *a, **k: 1.01 * real(*a, **k))
    found = check_conv2d_gradients((1, 1, 5, 5), (1, 1, 3, 3))
    assert found["weight"][0] > 1e-3 and found["weight"][1] > 1e-3
    assert found["input"][1] < 1e-12
