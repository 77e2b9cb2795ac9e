"""lib.equivariance: the locally connected layer against torch, and the equivariance test."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.convolution import conv2d
from lib.equivariance import equivariance_gap, locally_connected2d


@settings(max_examples=25, deadline=None)
@given(
    height=st.integers(3, 9),
    width=st.integers(3, 9),
    kh=st.integers(1, 3),
    kw=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_locally_connected_matches_torch_unfold(height, width, kh, kw, seed):
    rng = np.random.default_rng(seed)
    image = rng.standard_normal((height, width))
    ho, wo = height - kh + 1, width - kw + 1
    weight = rng.standard_normal((ho, wo, kh, kw))
    # torch: the windows as columns (F.unfold), each multiplied by its own kernel.
    columns = F.unfold(torch.from_numpy(image)[None, None], (kh, kw))[0]  # (kh*kw, ho*wo)
    kernels = torch.from_numpy(weight).reshape(ho * wo, kh * kw).T
    expected = (columns * kernels).sum(0).reshape(ho, wo).numpy()
    np.testing.assert_allclose(locally_connected2d(image, weight), expected, atol=1e-12)


def test_locally_connected_with_one_kernel_is_conv2d():
    rng = np.random.default_rng(1)
    image = rng.integers(-9, 10, size=(7, 6))
    kernel = rng.integers(-3, 4, size=(3, 2))
    weight = np.broadcast_to(kernel, (5, 5, 3, 2))
    assert np.array_equal(locally_connected2d(image, weight), conv2d(image, kernel))


def test_locally_connected_refuses_weights_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"weight must have shape .*\(3, 3, 2, 2\)"):
        locally_connected2d(np.zeros((4, 4)), np.zeros((2, 2, 2, 2)))
    with pytest.raises(ValueError, match="input"):
        locally_connected2d(np.zeros(4), np.zeros((1, 1, 2, 2)))


@pytest.mark.parametrize(("dy", "dx"), [(0, 1), (2, 0), (3, 5)])
def test_convolution_passes_and_its_controls_fail(dy, dx):
    rng = np.random.default_rng(dy * 10 + dx)
    image = rng.integers(0, 256, size=(16, 16))
    kernel = rng.integers(-2, 3, size=(3, 3))
    assert equivariance_gap(lambda x: conv2d(x, kernel), image, dy, dx) == 0
    unshared = rng.integers(-2, 3, size=(14, 14, 3, 3))
    assert equivariance_gap(lambda x: locally_connected2d(x, unshared), image, dy, dx) > 0


@pytest.mark.parametrize("stride", [2, 3])
def test_a_strided_convolution_is_equivariant_only_to_multiples_of_its_stride(stride):
    rng = np.random.default_rng(stride)
    image = rng.integers(0, 256, size=(20, 20))
    kernel = rng.integers(-2, 3, size=(3, 3))

    def layer(x):
        return conv2d(x, kernel, stride=stride)

    for d in range(1, 2 * stride + 1):
        gap = equivariance_gap(layer, image, dx=d, stride=stride)
        assert (gap == 0) == (d % stride == 0), d
        gap = equivariance_gap(layer, image, dy=d, stride=stride)
        assert (gap == 0) == (d % stride == 0), d


def test_equivariance_gap_refuses_a_negative_shift():
    with pytest.raises(ValueError, match="dx"):
        equivariance_gap(lambda x: x, np.zeros((4, 4)), dx=-1)
