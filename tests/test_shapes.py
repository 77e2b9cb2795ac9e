"""lib.shapes: the output-size formula and padding arguments, checked against PyTorch."""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from lib import conv2d, output_size
from lib.shapes import padding_sides


def test_lenet5_sizes():
    assert output_size(32, 5) == 28  # C1
    assert output_size(28, 2, stride=2) == 14  # S2
    assert output_size(14, 5) == 10  # C3
    assert output_size(10, 2, stride=2) == 5  # S4
    assert output_size(5, 5) == 1  # C5


def test_formula_with_dilation():
    # floor((n + 2p - d(k - 1) - 1) / s) + 1
    assert output_size(10, 3, stride=2, padding=1, dilation=2) == (10 + 2 - 4 - 1) // 2 + 1
    assert output_size(7, 3, dilation=3) == 1


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(1, 20),
    kernel_size=st.integers(1, 6),
    stride=st.integers(1, 4),
    padding=st.integers(0, 3),
    dilation=st.integers(1, 3),
)
def test_output_size_matches_torch_conv(n, kernel_size, stride, padding, dilation):
    span = dilation * (kernel_size - 1) + 1
    if n + 2 * padding < span:
        with pytest.raises(ValueError, match="kernel_size"):
            output_size(n, kernel_size, stride, padding, dilation)
        return
    x = torch.zeros(1, 1, n, 1)
    w = torch.zeros(1, 1, kernel_size, 1)
    expected = F.conv2d(x, w, stride=stride, padding=(padding, 0), dilation=dilation).shape[2]
    assert output_size(n, kernel_size, stride, padding, dilation) == expected


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(1, 20),
    kernel_size=st.integers(1, 5),
    stride=st.integers(1, 4),
    padding=st.integers(0, 2),
    dilation=st.integers(1, 2),
    ceil_mode=st.booleans(),
)
def test_output_size_matches_torch_pooling(n, kernel_size, stride, padding, dilation, ceil_mode):
    span = dilation * (kernel_size - 1) + 1
    if padding > kernel_size // 2 or n + 2 * padding < span:
        return  # torch refuses these pools
    x = torch.zeros(1, 1, n, 1)
    pool = F.max_pool2d(
        x, (kernel_size, 1), (stride, 1), (padding, 0), (dilation, 1), ceil_mode=ceil_mode
    )
    got = output_size(n, kernel_size, stride, padding, dilation, ceil_mode=ceil_mode)
    assert got == pool.shape[2]


def test_ceil_mode_drops_a_window_that_would_start_in_the_right_padding():
    # n=5, k=2, s=2, p=1: ceil((5 + 2 - 2) / 2) + 1 = 4 windows would start at 0, 2, 4, 6;
    # the one at 6 starts in the right padding (the input ends at 1 + 5 = 6), so 3 remain.
    assert output_size(5, 2, stride=2, padding=1, ceil_mode=True) == 3
    assert output_size(5, 2, stride=2, padding=1) == 3
    assert output_size(6, 3, stride=2, ceil_mode=True) == 3
    assert output_size(6, 3, stride=2) == 2


def test_asymmetric_padding_pair():
    assert output_size(6, 4, padding=(1, 2)) == 6  # "same" for an even kernel
    assert output_size(6, 4, padding=(1, 2)) == output_size(6, 4, padding=0) + 3


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"n": 0, "kernel_size": 1}, ValueError, "n must be >= 1"),
        ({"n": 5, "kernel_size": 0}, ValueError, "kernel_size must be >= 1"),
        ({"n": 5, "kernel_size": 3, "stride": 0}, ValueError, "stride must be >= 1"),
        ({"n": 5, "kernel_size": 3, "dilation": 0}, ValueError, "dilation must be >= 1"),
        ({"n": 5, "kernel_size": 3, "padding": -1}, ValueError, "padding must be >= 0"),
        ({"n": 5, "kernel_size": 7}, ValueError, "kernel_size 7 .* larger than the padded"),
        ({"n": 5, "kernel_size": 3, "dilation": 3}, ValueError, "kernel_size 3 .*span 7"),
        ({"n": 5.0, "kernel_size": 3}, TypeError, "n must be an int"),
        ({"n": 5, "kernel_size": 3, "stride": 1.5}, TypeError, "stride must be an int"),
        ({"n": 5, "kernel_size": True}, TypeError, "kernel_size must be an int"),
        ({"n": 5, "kernel_size": 3, "padding": "same"}, TypeError, "padding must be"),
        ({"n": 5, "kernel_size": 3, "ceil_mode": 1}, TypeError, "ceil_mode"),
    ],
)
def test_output_size_refuses(kwargs, error, name):
    with pytest.raises(error, match=name):
        output_size(**kwargs)


def test_numpy_integers_are_accepted():
    assert output_size(np.int64(32), np.int32(5)) == 28


@pytest.mark.parametrize(
    ("padding", "expected"),
    [
        (0, ((0, 0), (0, 0))),
        (2, ((2, 2), (2, 2))),
        ((1, 3), ((1, 1), (3, 3))),
        ([1, 3], ((1, 1), (3, 3))),
        (((0, 1), (2, 3)), ((0, 1), (2, 3))),
        ([[0, 1], [2, 3]], ((0, 1), (2, 3))),
        ("valid", ((0, 0), (0, 0))),
    ],
)
def test_padding_sides_forms(padding, expected):
    assert padding_sides(padding, kernel_size=3) == expected


@pytest.mark.parametrize("kernel_size", [(1, 1), (2, 3), (4, 5), (3, 6)])
@pytest.mark.parametrize("dilation", [1, 2, (1, 3)])
def test_same_padding_matches_torch(kernel_size, dilation):
    """torch's "same" output equals its own input padded by our sides, then "valid"."""
    (top, bottom), (left, right) = padding_sides("same", kernel_size, 1, dilation)
    x = torch.randn(1, 1, 9, 10, dtype=torch.float64)
    w = torch.randn(1, 1, *kernel_size, dtype=torch.float64)
    with warnings.catch_warnings():  # torch warns that an odd total needs a padded copy
        warnings.simplefilter("ignore", UserWarning)
        expected = F.conv2d(x, w, padding="same", dilation=dilation)
    got = F.conv2d(F.pad(x, (left, right, top, bottom)), w, dilation=dilation)
    assert got.shape == x.shape
    torch.testing.assert_close(got, expected)


def test_full_padding():
    assert padding_sides("full", (3, 4), dilation=(1, 2)) == ((2, 2), (6, 6))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"padding": -1}, ValueError, "padding must be >= 0"),
        ({"padding": (1, -2)}, ValueError, "padding must be >= 0"),
        ({"padding": ((0, 1), (-1, 0))}, ValueError, "padding must be >= 0"),
        ({"padding": "half"}, ValueError, "padding must be one of 'valid', 'same', 'full'"),
        ({"padding": "same", "kernel_size": 3, "stride": 2}, ValueError, "padding='same'.*stride"),
        ({"padding": "same"}, TypeError, "padding='same' needs the kernel_size"),
        ({"padding": (1, 2, 3, 4)}, TypeError, "padding.*flat 4-tuple"),
        ({"padding": (1, 2, 3)}, TypeError, "padding must be an int"),
        ({"padding": 1.5}, TypeError, "padding must be an int"),
        ({"padding": None}, TypeError, "padding must be an int"),
        ({"padding": ((1, 2), 3)}, TypeError, "padding must be an int"),
    ],
)
def test_padding_sides_refuses(kwargs, error, match):
    with pytest.raises(error, match=match):
        padding_sides(**kwargs)


# --- "same" padding in two frameworks' rules, unread pixels, the transposed size ----------

from lib.shapes import same_padding, transposed_output_size, unread_positions  # noqa: E402


@pytest.mark.parametrize("n", [1, 5, 6, 9])
@pytest.mark.parametrize("kernel_size", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("dilation", [1, 2])
def test_same_padding_torch_matches_torch(n, kernel_size, dilation):
    before, after = same_padding(n, kernel_size, dilation=dilation)
    assert ((before, after),) * 2 == padding_sides("same", kernel_size, 1, dilation)
    x = torch.randn(1, 1, n, 1, dtype=torch.float64)
    w = torch.randn(1, 1, kernel_size, 1, dtype=torch.float64)
    with warnings.catch_warnings():  # torch warns that an odd total needs a padded copy
        warnings.simplefilter("ignore", UserWarning)
        expected = F.conv2d(x, w, padding="same", dilation=dilation)
    got = F.conv2d(F.pad(x, (0, 0, before, after)), w, dilation=dilation)
    torch.testing.assert_close(got, expected)


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(1, 30),
    kernel_size=st.integers(1, 6),
    stride=st.integers(1, 4),
    dilation=st.integers(1, 3),
)
def test_same_padding_tensorflow_gives_ceil_n_over_s(n, kernel_size, stride, dilation):
    """TensorFlow's documented rule: out = ceil(n / s), the extra pixel at the end."""
    if stride > 1 and dilation > 1:  # tf.nn.convolution and Keras refuse it: see below
        with pytest.raises(ValueError, match="refuse stride > 1 together with dilation > 1"):
            same_padding(n, kernel_size, stride, dilation, convention="tensorflow")
        return
    before, after = same_padding(n, kernel_size, stride, dilation, convention="tensorflow")
    assert 0 <= after - before <= 1
    assert output_size(n, kernel_size, stride, (before, after), dilation) == -(-n // stride)
    if stride == 1:
        assert (before, after) == same_padding(n, kernel_size, 1, dilation)
    # torch computes the same output from the same padding
    x = torch.randn(1, 1, n, 1, dtype=torch.float64)
    w = torch.randn(1, 1, kernel_size, 1, dtype=torch.float64)
    padded = F.pad(x, (0, 0, before, after))
    assert F.conv2d(padded, w, stride=stride, dilation=dilation).shape[2] == -(-n // stride)


def test_same_padding_refuses():
    with pytest.raises(ValueError, match="convention='torch' .* stride 1"):
        same_padding(8, 3, stride=2)
    with pytest.raises(ValueError, match="convention must be one of"):
        same_padding(8, 3, convention="keras")
    with pytest.raises(TypeError, match="kernel_size must be an int"):
        same_padding(8, 3.0)


def test_same_padding_tensorflow_refuses_a_stride_with_a_dilation():
    """As tf.nn.convolution and Keras' Conv2D do ("output striding is not supported for
    atrous convolutions"); the message names those two, not TensorFlow as a whole. Either
    alone is accepted."""
    message = (
        r"convention='tensorflow' follows tf\.nn\.convolution and Keras' Conv2D, which "
        r"refuse stride > 1 together with dilation > 1; got stride 2 and dilation 2"
    )
    with pytest.raises(ValueError, match=message):
        same_padding(8, 3, stride=2, dilation=2, convention="tensorflow")
    assert same_padding(8, 3, stride=2, convention="tensorflow") == (0, 1)
    assert same_padding(8, 3, dilation=2, convention="tensorflow") == (2, 2)


def test_pair_errors_name_the_pair_each_function_reads():
    """output_size and unread_positions read a pair as (before, after), conv2d as
    (pad_h, pad_w): each error message says its own meaning."""
    for call in (
        lambda: output_size(7, 3, padding=(1,)),
        lambda: unread_positions(7, 3, padding=(1, 2, 3)),
        lambda: padding_sides(((1, 2, 3), (0, 0))),
    ):
        with pytest.raises(TypeError, match=r"pair of ints \(before, after\)"):
            call()
    with pytest.raises(TypeError, match=r"\(height, width\)"):
        conv2d(np.zeros((5, 5)), np.zeros((3, 3)), stride=(1, 2, 3))


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(1, 20),
    kernel_size=st.integers(1, 5),
    stride=st.integers(1, 5),
    padding=st.integers(0, 2),
    dilation=st.integers(1, 3),
)
def test_unread_positions_are_where_torch_gradient_is_zero(
    n, kernel_size, stride, padding, dilation
):
    """A pixel no window reads gets no gradient from the output's sum: torch is the oracle."""
    if n + 2 * padding < dilation * (kernel_size - 1) + 1:
        return
    x = torch.zeros(1, 1, n, 1, dtype=torch.float64, requires_grad=True)
    w = torch.ones(1, 1, kernel_size, 1, dtype=torch.float64)
    F.conv2d(x, w, stride=stride, padding=(padding, 0), dilation=dilation).sum().backward()
    expected = np.flatnonzero(x.grad[0, 0, :, 0].numpy() == 0)
    got = unread_positions(n, kernel_size, stride, padding, dilation)
    np.testing.assert_array_equal(got, expected)


def test_unread_positions_with_uneven_padding():
    # padding (0, 1): windows [0, 1], [3, 4], [6, 7 = padding]: only 2 and 5 unread
    np.testing.assert_array_equal(unread_positions(7, 2, stride=3, padding=(0, 1)), [2, 5])


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(1, 12),
    kernel_size=st.integers(1, 5),
    stride=st.integers(1, 4),
    padding=st.integers(0, 3),
    output_padding=st.integers(0, 3),
    dilation=st.integers(1, 3),
)
def test_transposed_output_size_matches_torch(
    n, kernel_size, stride, padding, output_padding, dilation
):
    size = (n - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1
    if output_padding >= max(stride, dilation) or size < 1:
        with pytest.raises(ValueError, match="output_padding|padding"):
            transposed_output_size(n, kernel_size, stride, padding, output_padding, dilation)
        return
    layer = torch.nn.ConvTranspose1d(
        1, 1, kernel_size, stride, padding, output_padding, dilation=dilation
    )
    with torch.no_grad():
        expected = layer(torch.zeros(1, 1, n)).shape[-1]
    assert transposed_output_size(n, kernel_size, stride, padding, output_padding, dilation) == (
        expected
    )


@pytest.mark.parametrize("n", range(1, 16))
@pytest.mark.parametrize(("kernel_size", "stride", "padding"), [(3, 2, 1), (4, 2, 1), (5, 3, 2)])
def test_transposed_size_is_the_mirror_of_the_convolution(n, kernel_size, stride, padding):
    """Every input size m that the convolution maps to n is reached by one output_padding."""
    targets = [
        m
        for m in range(1, 4 * n + 8)
        if m + 2 * padding >= kernel_size and output_size(m, kernel_size, stride, padding) == n
    ]
    back = [
        transposed_output_size(n, kernel_size, stride, padding, extra)
        for extra in range(stride)
        if (n - 1) * stride - 2 * padding + kernel_size + extra >= 1
    ]
    assert targets == [m for m in back if m in targets]
    assert len(targets) <= stride


from lib.shapes import receptive_field  # noqa: E402


@settings(max_examples=100, deadline=None)
@given(
    layers=st.lists(
        st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(1, 3)), min_size=1, max_size=3
    )
)
def test_receptive_field_matches_torch_gradient(layers):
    """The input positions that reach one output, found by back-propagating from it."""
    kernels, strides, dilations = (list(v) for v in zip(*layers, strict=True))
    field = receptive_field(kernels, strides, dilations)
    n = field + 40
    x = torch.zeros(1, 1, n, dtype=torch.float64, requires_grad=True)
    y = x
    for k, s, d in layers:
        y = F.conv1d(y, torch.ones(1, 1, k, dtype=torch.float64), stride=s, dilation=d)
    y[0, 0, 0].backward()
    reached = np.flatnonzero(x.grad[0, 0].numpy() != 0)
    assert reached[0] == 0 and reached[-1] + 1 == field


def test_receptive_field_refuses():
    with pytest.raises(ValueError, match="strides must have one value per layer"):
        receptive_field([3, 3], strides=[1, 2, 3])
    with pytest.raises(ValueError, match="dilations must be >= 1"):
        receptive_field([3], dilations=0)
    with pytest.raises(TypeError, match="kernel_sizes must be a list"):
        receptive_field(3)
