"""lib.invariance: the shift, the relative change and the edge features, against torch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.convolution import conv2d
from lib.invariance import (
    EDGE_KERNELS,
    aliasing_error,
    blur_subsample,
    edge_features,
    equivariance_error,
    high_frequency_share,
    relative_change,
    shift,
    shift_change,
    stacked_features,
    stacked_shift_change,
)
from lib.kernels import binomial


def torch_features(images, pooling, kernel_size=2):
    x = torch.from_numpy(np.asarray(images, np.float64)[:, None])
    maps = F.relu(F.conv2d(x, torch.from_numpy(EDGE_KERNELS.copy()), padding=1))
    if pooling == "max":
        maps = F.max_pool2d(maps, kernel_size)
    elif pooling == "avg":
        maps = F.avg_pool2d(maps, kernel_size)
    elif pooling == "global":
        maps = F.adaptive_avg_pool2d(maps, 1)[..., 0, 0]
    return maps.numpy()


@pytest.mark.parametrize("pooling", ["none", "max", "avg", "global"])
@pytest.mark.parametrize("kernel_size", [2, 3])
def test_edge_features_match_torch(pooling, kernel_size):
    rng = np.random.default_rng(kernel_size)
    images = rng.random((3, 11, 9))
    ours = edge_features(images, pooling, kernel_size)
    expected = torch_features(images, pooling, kernel_size)
    assert ours.shape == expected.shape
    np.testing.assert_allclose(ours, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("dy", "dx"), [(0, 0), (1, 0), (0, 2), (-2, 1), (3, -3)])
def test_shift_is_a_roll_with_zeros_where_the_image_wrapped(dy, dx):
    rng = np.random.default_rng(0)
    images = rng.integers(1, 9, size=(2, 6, 7))
    rolled = np.roll(images, (dy, dx), axis=(-2, -1))
    rows, cols = np.indices(images.shape[-2:])
    wrapped = (rows - dy < 0) | (rows - dy >= 6) | (cols - dx < 0) | (cols - dx >= 7)
    rolled[:, wrapped] = 0
    moved = shift(images, dy, dx)
    assert moved.dtype == images.dtype
    np.testing.assert_array_equal(moved, rolled)
    np.testing.assert_array_equal(
        moved, torch.roll(torch.from_numpy(images), (dy, dx), (-2, -1)).numpy() * ~wrapped
    )


def test_convolution_is_equivariant_and_global_pooling_invariant():
    rng = np.random.default_rng(1)
    images = np.pad(rng.random((4, 8, 8)), ((0, 0), (4, 4), (4, 4)))  # a zero frame
    for dx in (1, 2, 3):
        moved = shift(images, dx=dx)
        np.testing.assert_allclose(edge_features(moved), shift(edge_features(images), dx=dx))
        np.testing.assert_allclose(
            edge_features(moved, "global"), edge_features(images, "global"), atol=1e-12
        )


def test_max_pooling_is_equivariant_on_its_own_grid():
    """A shift by the pooling stride moves the pooled map by exactly one cell."""
    rng = np.random.default_rng(2)
    images = np.zeros((3, 16, 16))
    images[:, 4:12, 4:10] = rng.random((3, 8, 6))
    pooled = edge_features(images, "max")
    np.testing.assert_allclose(edge_features(shift(images, dx=2), "max"), shift(pooled, dx=1))
    np.testing.assert_allclose(
        edge_features(shift(images, dy=4), "avg"), shift(edge_features(images, "avg"), dy=2)
    )


def test_relative_change_values():
    reference = np.array([[[3.0, 4.0]], [[1.0, 0.0]]])
    np.testing.assert_allclose(relative_change(reference, reference), [0.0, 0.0])
    np.testing.assert_allclose(relative_change(reference, 2 * reference), [1.0, 1.0])
    np.testing.assert_allclose(relative_change(reference, np.zeros_like(reference)), [1.0, 1.0])


def test_shift_change_on_digits_is_zero_at_zero_and_moves_nothing_off():
    from lib.datasets import load_mnist_sample

    images, _ = load_mnist_sample("test")
    changes = shift_change(images[:50] / 255, (0, 1, 2, 3), "none")
    assert changes.shape == (4, 50)
    np.testing.assert_array_equal(changes[0], 0.0)
    assert np.all(np.diff(changes.mean(axis=1)) > 0)  # larger shifts change more
    # Global average pooling is invariant on every digit: nothing falls off the frame.
    assert np.allclose(shift_change(images / 255, (1, 3), "global"), 0.0, atol=1e-12)
    down = shift_change(images[:50] / 255, (0, 2), "max", axis="y")
    assert down.shape == (2, 50) and np.all(down[1] > 0)


def test_bad_input_is_refused_by_name():
    with pytest.raises(ValueError, match="shift"):
        shift(np.zeros((3, 3)), dx=3)
    with pytest.raises(ValueError, match="images"):
        shift(np.zeros(3), dx=1)
    with pytest.raises(TypeError, match="dx"):
        shift(np.zeros((3, 3)), dx=1.5)
    with pytest.raises(ValueError, match="same shape"):
        relative_change(np.ones((2, 3)), np.ones((2, 4)))
    with pytest.raises(ValueError, match="all zeros"):
        relative_change(np.zeros((1, 3)), np.ones((1, 3)))
    with pytest.raises(ValueError, match="pooling"):
        edge_features(np.zeros((1, 5, 5)), "median")
    with pytest.raises(ValueError, match="grey"):
        edge_features(np.zeros((1, 3, 5, 5)))
    with pytest.raises(ValueError, match="odd"):
        edge_features(np.zeros((1, 5, 5)), weight=np.ones((2, 1, 2, 2)))
    with pytest.raises(ValueError, match="axis"):
        shift_change(np.ones((1, 5, 5)), (1,), axis="z")
    with pytest.raises(ValueError, match="at least one"):
        shift_change(np.ones((1, 5, 5)), ())
    with pytest.raises(ValueError, match="all zeros"):
        shift_change(np.zeros((1, 5, 5)), (1,))


def torch_blur_pool(maps, stride):
    """Zhang's BlurPool in torch: a depthwise [1, 2, 1] x [1, 2, 1] / 16 blur, strided."""
    x = torch.from_numpy(np.asarray(maps, np.float64))
    kernel = torch.tensor([1.0, 2.0, 1.0], dtype=torch.float64)
    weight = (torch.outer(kernel, kernel) / 16).expand(x.shape[1], 1, 3, 3)
    return F.conv2d(x, weight, stride=stride, padding=1, groups=x.shape[1]).numpy()


@pytest.mark.parametrize("stride", [1, 2, 3])
def test_blur_subsample_matches_torch(stride):
    maps = np.random.default_rng(stride).random((2, 3, 9, 8))
    ours = blur_subsample(maps, stride)
    np.testing.assert_allclose(ours, torch_blur_pool(maps, stride), rtol=1e-12, atol=1e-14)
    assert ours.shape[-2:] == (-(-9 // stride), -(-8 // stride))


@pytest.mark.parametrize("pooling", ["max", "avg", "none"])
@pytest.mark.parametrize(("kernel_size", "stride"), [(2, 1), (3, 1), (2, 2), (3, 2)])
def test_strided_and_blurred_features_match_torch(pooling, kernel_size, stride):
    images = np.random.default_rng(7).random((3, 11, 10))
    maps = torch.from_numpy(torch_features(images, "none"))
    if pooling == "max":
        dense = F.max_pool2d(maps, kernel_size, stride=1)
        strided = F.max_pool2d(maps, kernel_size, stride=stride)
    elif pooling == "avg":
        dense = F.avg_pool2d(maps, kernel_size, stride=1)
        strided = F.avg_pool2d(maps, kernel_size, stride=stride)
    else:
        dense, strided = maps, maps[..., ::stride, ::stride]
    np.testing.assert_allclose(
        edge_features(images, pooling, kernel_size, stride=stride), strided.numpy(), atol=1e-12
    )
    np.testing.assert_allclose(
        edge_features(images, pooling, kernel_size, stride=stride, blur=True),
        torch_blur_pool(dense.numpy(), stride),
        atol=1e-12,
    )


def test_a_max_filter_is_equivariant_and_stride_2_only_for_even_shifts():
    images = np.zeros((3, 16, 16))
    images[:, 4:12, 4:10] = np.random.default_rng(3).random((3, 8, 6))
    np.testing.assert_allclose(equivariance_error(images, (1, 2, 3), "max", stride=1), 0)
    errors = equivariance_error(images, (1, 2, 3, 4), "max")
    np.testing.assert_allclose(errors[[1, 3]], 0, atol=1e-12)
    assert np.all(errors[[0, 2]] > 0.1)
    # The same maps as stride-1 pooling at every second position: the drop of the change
    # under a shift is the window's doing, not the subsampling's.
    filtered = edge_features(images, "max", stride=1)
    np.testing.assert_array_equal(edge_features(images, "max"), filtered[..., ::2, ::2])


def test_blur_lowers_the_aliasing_of_stripes():
    stripes = np.zeros((1, 12, 12))
    stripes[:, :, ::2] = 1.0
    stripes = stripes[:, None]
    plain = relative_change(stripes[..., ::2, ::2], shift(stripes, dx=1)[..., ::2, ::2])
    blurred = blur_subsample(stripes)[..., 1:-1, 1:-1]
    moved = blur_subsample(shift(stripes, dx=1))[..., 1:-1, 1:-1]
    assert plain[0] == pytest.approx(1.0)
    np.testing.assert_allclose(relative_change(blurred, moved), 0, atol=1e-12)


def test_equivariance_error_refuses_global_pooling():
    with pytest.raises(ValueError, match="pooling"):
        equivariance_error(np.ones((1, 4, 4)), (1,), "global")


def test_aliasing_error_is_zero_without_subsampling_and_for_smooth_maps():
    images = np.zeros((3, 16, 16))
    images[:, 4:12, 4:10] = np.random.default_rng(3).random((3, 8, 6))
    for measure in ("interpolation", "norm"):
        errors = aliasing_error(images, (0, 1, 2, 3), "max", stride=1, measure=measure)
        np.testing.assert_allclose(errors, 0, atol=1e-12)
        # Even shifts move stride-2 pooling by whole cells: no aliasing there either.
        errors = aliasing_error(images, (0, 1, 2, 3, 4), "max", measure=measure)
        np.testing.assert_allclose(errors[[0, 2, 4]], 0, atol=1e-12)
        assert np.all(errors[[1, 3]] > 0)
    # A smooth blob, its own map (1x1 identity kernel), subsampled: a 1-px shift is no
    # whole-cell move, but close to the half-cell interpolation, and keeps the norm.
    rows, cols = np.mgrid[:16, :16]
    blob = np.exp(-((rows - 8) ** 2 + (cols - 8) ** 2) / 8)[None]
    identity = {"pooling": "none", "stride": 2, "weight": np.ones((1, 1, 1, 1))}
    assert aliasing_error(blob, (1,), **identity)[0, 0] < 0.15
    assert aliasing_error(blob, (1,), measure="norm", **identity)[0, 0] < 1e-3


def test_aliasing_error_sees_the_stripes_and_refuses_bad_input():
    stripes = np.zeros((1, 8, 8))
    stripes[0, :, ::2] = 1.0
    identity = {"pooling": "none", "stride": 2, "weight": np.ones((1, 1, 1, 1))}
    assert aliasing_error(stripes, (1,), measure="norm", **identity)[0, 0] == pytest.approx(1.0)
    assert aliasing_error(stripes, (1,), **identity)[0, 0] > 0.5
    with pytest.raises(ValueError, match="measure"):
        aliasing_error(stripes, (1,), measure="phase")
    with pytest.raises(ValueError, match="pooling"):
        aliasing_error(stripes, (1,), "global")


def test_binomial_is_pascals_row_and_blurs_stripes_to_grey():
    assert np.array_equal(binomial(5)[2] * 256, [6, 24, 36, 24, 6])
    stripes = np.tile([1.0, 0.0], 6)[None].repeat(12, axis=0)
    blurred = conv2d(stripes, binomial(5))
    np.testing.assert_allclose(blurred, 0.5)
    with pytest.raises(ValueError, match="size"):
        binomial(0)


def test_the_margin_moves_digits_on_the_pooling_grid_and_is_checked():
    rng = np.random.default_rng(0)
    images = rng.random((3, 6, 6)) * (rng.random((3, 6, 6)) > 0.6)
    # A blank border as wide as the window minus one, as a digit has: the 2x2 filter's
    # widened maps then stay inside its output.
    images = np.pad(images, ((0, 0), (1, 1), (1, 1)))
    # The stride-1 filter is equivariant: the frame's width does not matter.
    a = shift_change(images, (0, 1), "max", stride=1, margin=2)
    b = shift_change(images, (0, 1), "max", stride=1, margin=3)
    np.testing.assert_allclose(a, b, atol=1e-12)
    with pytest.raises(ValueError, match="margin must be at least"):
        shift_change(images, (0, 3), "max", margin=3)


def test_aliasing_error_with_a_margin_equals_the_run_with_those_shifts():
    rng = np.random.default_rng(1)
    images = np.pad(rng.random((2, 6, 6)), ((0, 0), (1, 1), (1, 1)))
    full = aliasing_error(images, (0, 1, 2, 3))
    part = aliasing_error(images, (1, 2), margin=4)
    np.testing.assert_array_equal(part, full[1:3])


def torch_stacked(images, pooling, layers, kernel_size, stride, dilate):
    maps = torch.from_numpy(torch_features(images, "none"))
    for layer in range(layers):
        if dilate:
            maps = F.max_pool2d(maps, kernel_size, stride=1, dilation=stride**layer)
        elif pooling == "max":
            maps = F.max_pool2d(maps, kernel_size, stride=stride)
        else:
            maps = F.avg_pool2d(maps, kernel_size, stride=stride)
    return maps.numpy()


@pytest.mark.parametrize(
    ("pooling", "layers", "kernel_size", "stride", "dilate"),
    [
        ("max", 2, 2, 2, False),
        ("max", 2, 2, 1, False),
        ("max", 2, 2, 2, True),
        ("max", 3, 3, 2, True),
        ("avg", 2, 2, 2, False),
        ("avg", 3, 2, 1, False),
        ("max", 1, 3, 2, False),
    ],
)
def test_stacked_features_match_torch(pooling, layers, kernel_size, stride, dilate):
    images = np.random.default_rng(layers * kernel_size).random((2, 21, 19))
    ours = stacked_features(
        images, pooling, layers=layers, kernel_size=kernel_size, stride=stride, dilate=dilate
    )
    expected = torch_stacked(images, pooling, layers, kernel_size, stride, dilate)
    assert ours.shape == expected.shape
    np.testing.assert_allclose(ours, expected, rtol=1e-10, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    layers=st.integers(1, 3),
    kernel_size=st.integers(2, 3),
    height=st.integers(0, 12),
    width=st.integers(0, 12),
    seed=st.integers(0, 2**16),
)
def test_stacked_max_poolings_are_one_wider_window(layers, kernel_size, height, width, seed):
    """L max poolings of k x k: with stride k, one k^L pooling with stride k^L; with
    stride 1, one (L(k - 1) + 1) filter; dilated, one k^L filter."""
    side = kernel_size**layers
    images = np.random.default_rng(seed).random((2, side + height, side + width))
    options = {"layers": layers, "kernel_size": kernel_size}
    np.testing.assert_array_equal(
        stacked_features(images, **options), edge_features(images, "max", kernel_size=side)
    )
    np.testing.assert_array_equal(
        stacked_features(images, stride=1, **options),
        edge_features(images, "max", kernel_size=layers * (kernel_size - 1) + 1, stride=1),
    )
    np.testing.assert_array_equal(
        stacked_features(images, dilate=True, **options),
        edge_features(images, "max", kernel_size=side, stride=1),
    )


def test_stacked_subsampling_lowers_the_change_of_digits():
    """Across two layers the stride does lower the change: the second window covers
    4 x 4 input pixels instead of 3 x 3 (chapter 4 prints this on 1,000 digits)."""
    from lib.datasets import load_mnist_sample

    images = load_mnist_sample("test")[0][:200] / 255
    for pooling in ("max", "avg"):
        strided = stacked_shift_change(images, (0, 1), pooling)
        filtered = stacked_shift_change(images, (0, 1), pooling, stride=1)
        np.testing.assert_array_equal(strided[0], 0.0)
        assert strided[1].mean() < filtered[1].mean() - 0.05
    dilated = stacked_shift_change(images, (0, 1), dilate=True)
    np.testing.assert_allclose(
        dilated, shift_change(images, (0, 1), "max", kernel_size=4, stride=1)
    )


def test_stacked_features_refuse_bad_input_by_name():
    with pytest.raises(ValueError, match="pooling"):
        stacked_features(np.ones((1, 8, 8)), "none")
    with pytest.raises(ValueError, match="layers"):
        stacked_features(np.ones((1, 8, 8)), layers=0)
    with pytest.raises(ValueError, match="dilat"):
        stacked_features(np.ones((1, 8, 8)), "avg", dilate=True)
    with pytest.raises(TypeError, match="dilate"):
        stacked_features(np.ones((1, 8, 8)), dilate="yes")
    with pytest.raises(ValueError, match="axis"):
        stacked_shift_change(np.ones((1, 8, 8)), (1,), axis="z")


@pytest.mark.parametrize("stride", [2, 3])
def test_high_frequency_share_of_two_cosines_and_against_torch(stride):
    """A cosine below the new Nyquist frequency and one above: the share is the
    energy of the second, b^2 / (a^2 + b^2), whatever the phase; torch.fft agrees."""
    n = 24
    x = np.arange(n)
    low, high = 1 / n, 1 / (2 * stride) + 2 / n  # cycles per pixel
    a, b = 2.0, 0.5
    row = a * np.cos(2 * np.pi * low * x) + b * np.cos(2 * np.pi * high * x + 1.0)
    maps = np.stack([np.tile(row, (n, 1)), np.tile(row, (n, 1)).T])[None]
    np.testing.assert_allclose(high_frequency_share(maps, stride), [b**2 / (a**2 + b**2)])
    rng = np.random.default_rng(stride)
    maps = rng.random((3, 2, 11, 10))
    energy = torch.fft.fft2(torch.from_numpy(maps)).abs().numpy() ** 2
    fy = np.abs(torch.fft.fftfreq(11).numpy())[:, None]
    fx = np.abs(torch.fft.fftfreq(10).numpy())[None, :]
    mask = (fy > 1 / (2 * stride)) | (fx > 1 / (2 * stride))
    expected = (energy * mask).sum(axis=(1, 2, 3)) / energy.sum(axis=(1, 2, 3))
    np.testing.assert_allclose(high_frequency_share(maps, stride), expected, rtol=1e-12)
    # A circular shift moves the map, not its spectrum's magnitude.
    np.testing.assert_allclose(
        high_frequency_share(np.roll(maps, 3, axis=-1), stride), expected, rtol=1e-12
    )


@settings(max_examples=60, deadline=None)
@given(
    height=st.integers(1, 13),
    width=st.integers(1, 13),
    stride=st.integers(2, 5),
    seed=st.integers(0, 2**32 - 1),
)
def test_high_frequency_share_against_torch_full_transform(height, width, stride, seed):
    """The share, computed from the real-input half-spectrum with mirrored columns
    weighted twice, is torch's full 2-D transform's share, for odd and even sizes."""
    maps = np.random.default_rng(seed).random((2, 3, height, width)) + 0.01
    energy = torch.fft.fft2(torch.from_numpy(maps)).abs().numpy() ** 2
    fy = np.abs(torch.fft.fftfreq(height).numpy())[:, None]
    fx = np.abs(torch.fft.fftfreq(width).numpy())[None, :]
    mask = (fy > 1 / (2 * stride)) | (fx > 1 / (2 * stride))
    expected = (energy * mask).sum(axis=(1, 2, 3)) / energy.sum(axis=(1, 2, 3))
    np.testing.assert_allclose(high_frequency_share(maps, stride), expected, rtol=1e-10, atol=1e-15)


def test_blur_lowers_the_high_frequency_share_and_bad_input_is_refused():
    from lib.datasets import load_mnist_sample

    images = np.pad(load_mnist_sample("test")[0][:100] / 255, ((0, 0), (4, 4), (4, 4)))
    plain = high_frequency_share(edge_features(images, "max", stride=1))
    blurred = high_frequency_share(edge_features(images, "max", stride=1, blur=True))
    assert np.all(blurred < plain)
    with pytest.raises(ValueError, match="stride"):
        high_frequency_share(np.ones((1, 1, 4, 4)), stride=1)
    with pytest.raises(ValueError, match="maps"):
        high_frequency_share(np.ones((4, 4)))
    with pytest.raises(ValueError, match="all zeros"):
        high_frequency_share(np.zeros((1, 1, 4, 4)))


def test_a_quick_run_measures_the_first_images_only(monkeypatch):
    """The grader's run step (CONVBOOK_QUICK_RUN=2): the three measurements over a set of
    images take its first 2, with the values they have in a full run."""
    rng = np.random.default_rng(7)
    images = rng.random((5, 10, 10))
    measures = [
        lambda x: shift_change(x, (0, 1), "max"),
        lambda x: equivariance_error(x, (1, 2), "max"),
        lambda x: aliasing_error(x, (1,), "avg", measure="norm"),
    ]
    full = [measure(images) for measure in measures]
    monkeypatch.setenv("CONVBOOK_QUICK_RUN", "2")
    for measure, expected in zip(measures, full, strict=True):
        quick = measure(images)
        assert quick.shape == (expected.shape[0], 2)
        np.testing.assert_array_equal(quick, expected[:, :2])
    assert edge_features(images).shape[0] == 5  # a computation on a batch: every image


def torch_stacked_between(images, stride, dilate, between):
    """Two 2x2 max poolings with conv2d + ReLU between them, in PyTorch."""
    maps = torch.from_numpy(torch_features(images, "none"))
    weight = torch.from_numpy(between)
    maps = F.max_pool2d(maps, 2, stride=1 if dilate else stride)
    dilation = stride if dilate else 1
    maps = F.relu(F.conv2d(maps, weight, padding=dilation, dilation=dilation))
    if dilate:
        return F.max_pool2d(maps, 2, stride=1, dilation=stride).numpy()
    return F.max_pool2d(maps, 2, stride=stride).numpy()


@pytest.mark.parametrize(("stride", "dilate"), [(2, False), (1, False), (2, True)])
def test_stacked_features_with_a_convolution_between_match_torch(stride, dilate):
    rng = np.random.default_rng(stride + dilate)
    images = rng.random((2, 17, 18))
    between = rng.standard_normal((4, 4, 3, 3))
    ours = stacked_features(images, stride=stride, dilate=dilate, between=between)
    expected = torch_stacked_between(images, stride, dilate, between)
    assert ours.shape == expected.shape
    np.testing.assert_allclose(ours, expected, rtol=1e-10, atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**16), size=st.integers(4, 10))
def test_dilated_stack_with_a_convolution_between_is_the_strided_one_unsubsampled(seed, size):
    """On images framed by zeros, the dilated pair (convolution dilated too) read every
    4th position is the subsampled pair: same reach, no subsampling."""
    rng = np.random.default_rng(seed)
    images = np.pad(rng.random((2, size, size)), 6)[2:-2]
    between = rng.standard_normal((4, 4, 3, 3))
    strided = stacked_features(images, between=between)
    dilated = stacked_features(images, dilate=True, between=between)[..., ::4, ::4]
    rows, cols = strided.shape[-2:]
    np.testing.assert_allclose(dilated[..., :rows, :cols], strided, rtol=1e-10, atol=1e-12)


def test_a_dilated_average_pair_is_one_4x4_average_filter():
    """The control chapter 4 prints for average pooling: a 2x2 average filter, then one
    dilated by 2 (a depthwise PyTorch convolution, as average pooling has no dilation),
    is exactly one 4x4 average filter; the stride-1 pair is the binomial blur."""
    images = np.random.default_rng(3).random((2, 15, 16))
    maps = torch.from_numpy(torch_features(images, "none"))
    first = F.avg_pool2d(maps, 2, stride=1)
    box = torch.full((4, 1, 2, 2), 0.25, dtype=torch.float64)
    dilated = F.conv2d(first, box, dilation=2, groups=4).numpy()
    np.testing.assert_allclose(
        dilated, edge_features(images, "avg", kernel_size=4, stride=1), rtol=1e-12
    )
    paired = stacked_features(images, "avg", stride=1)
    blurred = blur_subsample(edge_features(images), stride=1)[..., 1:-1, 1:-1]
    np.testing.assert_allclose(paired, blurred, rtol=1e-12)
    plain = edge_features(images, "avg", kernel_size=3, stride=1)
    assert not np.allclose(paired, plain)


def test_stacked_features_refuse_a_bad_convolution_between_by_name():
    with pytest.raises(ValueError, match="between"):
        stacked_features(np.ones((1, 8, 8)), between=np.ones((4, 4, 2, 2)))
    with pytest.raises(ValueError, match="between"):
        stacked_features(np.ones((1, 8, 8)), between=np.ones((3, 4, 3, 3)))
    with pytest.raises(ValueError, match="between"):
        stacked_features(np.ones((1, 8, 8)), between=np.ones((4, 4, 3)))
