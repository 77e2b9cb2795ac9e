"""Pooling against PyTorch, the oracle: values, indices, ties, NaN, dtypes and bad input."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import event, given, settings
from hypothesis import strategies as st

from lib import avg_pool2d, max_pool2d
from lib.pooling import avg_pool2d_divisors

settings.register_profile("lib-pooling", max_examples=200, deadline=None)


def _pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def _sees_only_padding(size, kernel, stride, padding, dilation, out):
    """True if some window along one axis covers padding only (possible with dilation)."""
    starts = np.arange(out)[:, None] * stride - padding
    cells = starts + np.arange(kernel) * dilation
    return not ((cells >= 0) & (cells < size)).any(axis=1).all()


@st.composite
def pool_cases(draw, with_dilation=True):
    """A random pooling problem: input shape, kernel, stride, padding, dilation, ceil mode."""
    ndim = draw(st.sampled_from([2, 3, 4]))
    height, width = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    lead = {
        2: (),
        3: (draw(st.integers(1, 3)),),
        4: (draw(st.integers(1, 2)), draw(st.integers(1, 3))),
    }
    kernel = draw(st.one_of(st.integers(1, 4), st.tuples(st.integers(1, 4), st.integers(1, 4))))
    stride = draw(
        st.one_of(st.none(), st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3)))
    )
    kh, kw = _pair(kernel)
    # Padding up to half the kernel: torch's limit.
    padding = draw(
        st.one_of(
            st.integers(0, min(kh, kw) // 2),
            st.tuples(st.integers(0, kh // 2), st.integers(0, kw // 2)),
        )
    )
    dilation = 1
    if with_dilation:
        dilation = draw(
            st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3)))
        )
    return {
        "shape": lead[ndim] + (height, width),
        "kernel_size": kernel,
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "ceil_mode": draw(st.booleans()),
        "seed": draw(st.integers(0, 2**32 - 1)),
    }


def _random_input(shape, seed, dtype):
    """Small integers, so that windows often hold ties."""
    values = np.random.default_rng(seed).integers(-3, 4, size=shape)
    return values.astype(dtype)


def _torch_pool(function, x, **kwargs):
    """Torch has no (H, W) form: pool a one-channel (1, H, W) map instead."""
    tensor = torch.from_numpy(x)
    if x.ndim == 2:
        result = function(tensor[None], **kwargs)
        return tuple(r[0] for r in result) if isinstance(result, tuple) else result[0]
    return function(tensor, **kwargs)


def _degenerate(case):
    """Whether a window sees only padding (the one place where lib refuses what torch allows)."""
    height, width = case["shape"][-2:]
    kernel, padding, dilation = (
        _pair(case["kernel_size"]),
        _pair(case["padding"]),
        _pair(case["dilation"]),
    )
    stride = kernel if case["stride"] is None else _pair(case["stride"])
    out = _torch_pool(
        F.max_pool2d,
        np.zeros(case["shape"]),
        **{k: case[k] for k in ("kernel_size", "stride", "padding", "dilation", "ceil_mode")},
    ).shape[-2:]
    return any(
        _sees_only_padding(*args)
        for args in zip((height, width), kernel, stride, padding, dilation, out, strict=True)
    )


@settings(settings.get_profile("lib-pooling"))
@given(
    case=pool_cases(), dtype=st.sampled_from([np.float32, np.float64, np.int64]), nan=st.booleans()
)
def test_max_pool2d_matches_torch(case, dtype, nan):
    x = _random_input(case["shape"], case["seed"], dtype)
    if nan and dtype != np.int64:
        x[x == 2] = np.nan  # NaN wins in torch: check values and indices follow it
    kwargs = {k: case[k] for k in ("kernel_size", "stride", "padding", "dilation", "ceil_mode")}
    try:
        expected, expected_indices = _torch_pool(F.max_pool2d, x, return_indices=True, **kwargs)
    except RuntimeError:
        event("torch refuses")
        with pytest.raises(ValueError):
            max_pool2d(x, return_indices=True, **kwargs)
        return
    if _degenerate(case):
        event("a window sees padding only")
        with pytest.raises(ValueError, match="dilation"):
            max_pool2d(x, **kwargs)
        return
    result, indices = max_pool2d(x, return_indices=True, **kwargs)
    assert result.dtype == x.dtype
    assert indices.dtype == np.int64
    np.testing.assert_array_equal(result, expected.numpy())
    np.testing.assert_array_equal(indices, expected_indices.numpy())
    np.testing.assert_array_equal(max_pool2d(x, **kwargs), result)


@settings(settings.get_profile("lib-pooling"))
@given(
    case=pool_cases(with_dilation=False),
    dtype=st.sampled_from([np.float32, np.float64]),
    count_include_pad=st.booleans(),
    divisor_override=st.sampled_from([None, None, 1, 3, -2]),
)
def test_avg_pool2d_matches_torch(case, dtype, count_include_pad, divisor_override):
    x = _random_input(case["shape"], case["seed"], dtype)
    kwargs = {k: case[k] for k in ("kernel_size", "stride", "padding", "ceil_mode")}
    kwargs.update(count_include_pad=count_include_pad, divisor_override=divisor_override)
    try:
        expected = _torch_pool(F.avg_pool2d, x, **kwargs)
    except RuntimeError:
        event("torch refuses")
        with pytest.raises(ValueError):
            avg_pool2d(x, **kwargs)
        return
    result = avg_pool2d(x, **kwargs)
    assert result.dtype == x.dtype
    np.testing.assert_allclose(result, expected.numpy(), rtol=1e-6, atol=1e-6)


@settings(settings.get_profile("lib-pooling"))
@given(case=pool_cases(with_dilation=False), count_include_pad=st.booleans())
def test_avg_pool2d_divisors_are_torchs(case, count_include_pad):
    """torch's divisor, read back from a map of ones: its window sums over its means."""
    size = case["shape"][-2:]
    kwargs = {k: case[k] for k in ("kernel_size", "stride", "padding", "ceil_mode")}
    ones = np.ones((1, *size))
    try:
        means = F.avg_pool2d(torch.from_numpy(ones), count_include_pad=count_include_pad, **kwargs)
    except RuntimeError:
        event("torch refuses")
        with pytest.raises(ValueError):
            avg_pool2d_divisors(size, count_include_pad=count_include_pad, **kwargs)
        return
    sums = F.avg_pool2d(torch.from_numpy(ones), divisor_override=1, **kwargs)
    divisors = avg_pool2d_divisors(size, count_include_pad=count_include_pad, **kwargs)
    assert divisors.dtype == np.int64
    np.testing.assert_allclose(divisors, (sums / means)[0].numpy(), rtol=1e-12)


def test_max_pool_ties_go_to_the_first_maximum_in_row_major_order():
    x = np.ones((1, 4, 4))
    values, indices = max_pool2d(x, 2, return_indices=True)
    expected = F.max_pool2d(torch.from_numpy(x), 2, return_indices=True)[1].numpy()
    np.testing.assert_array_equal(indices, [[[0, 2], [8, 10]]])
    np.testing.assert_array_equal(indices, expected)
    # Overlapping windows and a tie between a row-later and a column-later maximum.
    x = np.array([[[1.0, 3.0, 0.0], [3.0, 1.0, 3.0], [0.0, 3.0, 3.0]]])
    indices = max_pool2d(x, 2, stride=1, return_indices=True)[1]
    expected = F.max_pool2d(torch.from_numpy(x), 2, stride=1, return_indices=True)[1].numpy()
    np.testing.assert_array_equal(indices, [[[1, 1], [3, 5]]])
    np.testing.assert_array_equal(indices, expected)


def test_max_pool_of_minus_infinity_points_at_the_first_input_pixel_not_the_padding():
    x = np.full((1, 3, 3), -np.inf)
    indices = max_pool2d(x, 3, stride=2, padding=1, return_indices=True)[1]
    expected = F.max_pool2d(torch.from_numpy(x), 3, 2, 1, return_indices=True)[1].numpy()
    np.testing.assert_array_equal(indices, expected)
    np.testing.assert_array_equal(indices, [[[0, 1], [3, 4]]])


def test_max_pool_nan_wins_and_the_last_nan_is_reported_like_torch():
    x = np.array([[[np.nan, 3.0, np.nan], [3.0, np.nan, 1.0], [0.0, 0.0, 0.0]]])
    values, indices = max_pool2d(x, 3, return_indices=True)
    assert np.isnan(values).all()
    assert indices.item() == 4
    assert F.max_pool2d(torch.from_numpy(x), 3, return_indices=True)[1].item() == 4


def test_integer_input_stays_integer_for_max_and_becomes_float_for_average():
    x = np.arange(-8, 8, dtype=np.int32).reshape(4, 4)
    assert max_pool2d(x, 2, padding=1).dtype == np.int32
    np.testing.assert_array_equal(max_pool2d(x, 2, padding=1), [[-8, -6, -5], [0, 2, 3], [4, 6, 7]])
    result = avg_pool2d(x, 2)
    assert result.dtype == np.float64
    np.testing.assert_allclose(result, [[-5.5, -3.5], [2.5, 4.5]])


def test_avg_pool_ceil_mode_does_not_count_cells_beyond_the_padded_input():
    # The last window covers input row 5, padding row 6 and row 7, which exists only in ceil
    # mode: torch divides by 2 rows there, not 3.
    x = np.ones((1, 6, 6))
    result = avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True)
    assert result.shape == (1, 4, 4)
    assert result[0, 3, 3] == pytest.approx(0.25)
    np.testing.assert_allclose(
        result, F.avg_pool2d(torch.from_numpy(x), 3, 2, 1, ceil_mode=True).numpy()
    )


def test_lenet_subsampling_halves_28_to_14():
    maps = np.random.default_rng(0).standard_normal((2, 6, 28, 28))
    assert max_pool2d(maps, 2).shape == (2, 6, 14, 14)
    assert avg_pool2d(maps, 2).shape == (2, 6, 14, 14)


def test_pooling_accepts_lists():
    np.testing.assert_array_equal(max_pool2d([[1, 2], [3, 4]], 2), [[4]])


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"kernel_size": 0}, ValueError, "kernel_size"),
        ({"kernel_size": (2, -1)}, ValueError, "kernel_size"),
        ({"kernel_size": (2, 2, 2)}, TypeError, "kernel_size"),
        ({"kernel_size": 2.0}, TypeError, "kernel_size"),
        ({"kernel_size": 2, "stride": 0}, ValueError, "stride"),
        ({"kernel_size": 2, "padding": -1}, ValueError, "padding"),
        ({"kernel_size": 3, "padding": 2}, ValueError, "padding"),
        ({"kernel_size": 3, "padding": 2, "dilation": 2}, ValueError, "padding"),
        ({"kernel_size": 2, "dilation": 0}, ValueError, "dilation"),
        ({"kernel_size": 6}, ValueError, "kernel_size"),
        ({"kernel_size": 2, "dilation": 5}, ValueError, "kernel_size"),
        ({"kernel_size": 2, "ceil_mode": "yes"}, TypeError, "ceil_mode"),
        ({"kernel_size": 2, "return_indices": 1}, TypeError, "return_indices"),
    ],
)
def test_max_pool2d_rejects_bad_arguments(kwargs, error, name):
    with pytest.raises(error, match=name):
        max_pool2d(np.zeros((1, 5, 5)), **kwargs)


def test_max_pool2d_refuses_a_window_that_sees_only_padding():
    # One pixel wide, padded by 1, windows of 2 cells 2 apart: the first window's cells sit
    # at columns -1 and 1, both padding. torch returns -inf there, with an index outside
    # the map.
    x = np.ones((1, 3, 1))
    kwargs = {"kernel_size": (1, 2), "stride": 1, "padding": (0, 1), "dilation": 2}
    values, indices = F.max_pool2d(torch.from_numpy(x), return_indices=True, **kwargs)
    assert values.isinf().all() and indices.max() >= x.size
    with pytest.raises(ValueError, match="dilation"):
        max_pool2d(x, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"kernel_size": 0}, ValueError, "kernel_size"),
        ({"kernel_size": 2, "stride": (1, 0)}, ValueError, "stride"),
        ({"kernel_size": 2, "padding": 2}, ValueError, "padding"),
        ({"kernel_size": 6}, ValueError, "kernel_size"),
        ({"kernel_size": 2, "divisor_override": 0}, ValueError, "divisor_override"),
        ({"kernel_size": 2, "divisor_override": 2.5}, TypeError, "divisor_override"),
        ({"kernel_size": 2, "count_include_pad": None}, TypeError, "count_include_pad"),
    ],
)
def test_avg_pool2d_rejects_bad_arguments(kwargs, error, name):
    with pytest.raises(error, match=name):
        avg_pool2d(np.zeros((1, 5, 5)), **kwargs)


@pytest.mark.parametrize("pool", [max_pool2d, avg_pool2d])
@pytest.mark.parametrize(
    ("x", "error"),
    [
        (np.zeros(5), ValueError),
        (np.zeros((1, 1, 1, 5, 5)), ValueError),
        (np.array([["a", "b"], ["c", "d"]]), TypeError),
        (np.ones((2, 2), dtype=bool), TypeError),
        (np.ones((2, 2), dtype=complex), TypeError),
    ],
)
def test_pooling_rejects_bad_input(pool, x, error):
    with pytest.raises(error, match="input"):
        pool(x, 2)


@pytest.mark.parametrize(
    "size, kernel_size, kwargs, error, name",
    [
        ((0, 3), 2, {}, ValueError, "size"),
        ((3, 3, 3), 2, {}, TypeError, "size"),
        ((3, 3), 0, {}, ValueError, "kernel_size"),
        ((3, 3), 2, {"padding": 2}, ValueError, "padding"),
    ],
)
def test_avg_pool2d_divisors_rejects_bad_arguments(size, kernel_size, kwargs, error, name):
    with pytest.raises(error, match=name):
        avg_pool2d_divisors(size, kernel_size, **kwargs)
