"""lib.convolution, checked against PyTorch (conv2d) and SciPy (the 2-D functions)."""

import subprocess
import sys
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.signal
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import lib.convolution
from lib import conv2d, convolve2d
from lib.convolution import CONV_PADDING_MODES, _auto_method

FAST_METHODS = ["im2col", "fft", "auto"]
SEED_IMAGE = np.arange(1, 26).reshape(5, 5)
SEED_KERNEL = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]])


# --- the oracle ---------------------------------------------------------------------------


def torch_conv2d(x, w, b, stride, padding, dilation, groups, padding_mode):
    """PyTorch's answer, in float64, through torch's own padding argument where it has one
    (``nn.Conv2d`` for padding modes), else through ``F.pad`` then no padding."""
    tx, tw = torch.from_numpy(x).double(), torch.from_numpy(w).double()
    tb = None if b is None else torch.from_numpy(b).double()
    per_side = isinstance(padding, tuple) and isinstance(padding[0], tuple)
    if per_side or padding == "full":
        (top, bottom), (left, right) = padding if per_side else _full(w.shape[2:], dilation)
        mode = "constant" if padding_mode == "zeros" else padding_mode
        tx = F.pad(tx, (left, right, top, bottom), mode=mode)
        return F.conv2d(tx, tw, tb, stride, 0, dilation, groups).numpy()
    layer = torch.nn.Conv2d(
        x.shape[1], len(w), w.shape[2:], stride, padding, dilation, groups, b is not None,
        padding_mode, dtype=torch.float64,
    )  # fmt: skip
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "same" with an odd total padding
        layer.weight.copy_(tw)
        if tb is not None:
            layer.bias.copy_(tb)
        return layer(tx).numpy()


def _full(kernel_size, dilation):
    dilation = (dilation, dilation) if isinstance(dilation, int) else dilation
    return tuple((d * (k - 1),) * 2 for k, d in zip(kernel_size, dilation, strict=True))


def _pair(value):
    return (value, value) if isinstance(value, int) else value


@st.composite
def conv_case(draw, small=False):
    """Random arguments for conv2d that torch accepts, and arrays to go with them."""
    most = 2 if small else 3
    groups = draw(st.integers(1, most))
    channels_per_group = draw(st.integers(1, most))
    outputs_per_group = draw(st.integers(1, most))
    kernel_size = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    dilation = draw(st.sampled_from([1, 2, (1, 2), (3, 1)]))
    form = draw(st.sampled_from(["int", "pair", "valid", "same", "full", "sides"]))
    stride = 1 if form == "same" else draw(st.sampled_from([1, 2, 3, (1, 2), (2, 1)]))
    numbers = st.integers(0, 3)
    padding = {
        "int": draw(numbers),
        "pair": (draw(numbers), draw(numbers)),
        "valid": "valid",
        "same": "same",
        "full": "full",
        "sides": ((draw(numbers), draw(numbers)), (draw(numbers), draw(numbers))),
    }[form]
    padding_mode = draw(st.sampled_from(CONV_PADDING_MODES))
    sides = lib.shapes.padding_sides(padding, kernel_size, stride, dilation)
    sizes = []
    for k, d, side in zip(kernel_size, _pair(dilation), sides, strict=True):
        least = max(1, d * (k - 1) + 1 - sum(side))  # the kernel must fit
        if padding_mode != "zeros":  # torch's limits on reflect and circular padding
            least = max(least, max(side) + (padding_mode == "reflect"))
        sizes.append(draw(st.integers(least, least + (3 if small else 6))))
    batch = draw(st.integers(1, 2 if small else 3))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((batch, groups * channels_per_group, *sizes)).astype(dtype)
    w = rng.standard_normal((groups * outputs_per_group, channels_per_group, *kernel_size)).astype(
        dtype
    )
    b = rng.standard_normal(len(w)).astype(dtype) if draw(st.booleans()) else None
    return (
        x,
        w,
        b,
        {
            "stride": stride,
            "padding": padding,
            "dilation": dilation,
            "groups": groups,
            "padding_mode": padding_mode,
        },
    )


def check_against_torch(x, w, b, kwargs, method):
    got = conv2d(x, w, b, method=method, **kwargs)
    expected = torch_conv2d(x, w, b, **kwargs)
    assert got.shape == expected.shape
    assert got.dtype == x.dtype
    # Rounding: float32 carries about 7 digits; the FFT spreads its rounding over the
    # whole image, so the tolerance scales with the largest output.
    scale = max(1.0, np.abs(expected).max())
    tolerance = (2e-5 if x.dtype == np.float32 else 1e-12) * scale
    np.testing.assert_allclose(got, expected, rtol=0, atol=tolerance)


# --- against torch --------------------------------------------------------------------------


@pytest.mark.parametrize("method", FAST_METHODS)
@settings(max_examples=150, deadline=None)
@given(case=conv_case())
def test_fast_methods_match_torch(method, case):
    x, w, b, kwargs = case
    check_against_torch(x, w, b, kwargs, method)


@settings(max_examples=60, deadline=None)
@given(case=conv_case(small=True))
def test_loops_match_torch(case):
    x, w, b, kwargs = case
    check_against_torch(x, w, b, kwargs, "loops")


@pytest.mark.parametrize("method", ["loops", *FAST_METHODS])
def test_lenet_shapes(method):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 1, 32, 32), dtype=np.float32)
    w = rng.standard_normal((6, 1, 5, 5), dtype=np.float32)
    b = rng.standard_normal(6, dtype=np.float32)
    kwargs = {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, "padding_mode": "zeros"}
    if method == "loops":  # Python does every multiply-add: keep it small
        x, w, b = x[:1, :, :12, :12], w[:2], b[:2]
    check_against_torch(x, w, b, kwargs, method)


@pytest.mark.parametrize("method", FAST_METHODS)
def test_depthwise_and_large_kernel(method):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 4, 40, 37))
    w = rng.standard_normal((8, 1, 13, 11))
    kwargs = {"stride": 1, "padding": 3, "dilation": 1, "groups": 4, "padding_mode": "reflect"}
    check_against_torch(x, w, None, kwargs, method)


# --- the seed example ---------------------------------------------------------------------


@pytest.mark.parametrize("method", ["loops", "im2col", "auto"])
def test_seed_example_is_exact(method):
    out = conv2d(SEED_IMAGE, SEED_KERNEL, method=method)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, np.full((3, 3), -6))
    padded = conv2d(SEED_IMAGE, SEED_KERNEL, padding=1, method=method)
    assert padded.shape == (5, 5)
    assert padded[0, 0] == -9  # the kernel's centre on the top-left pixel
    assert padded[1, 1] == -6  # the centre on the pixel of value 7: the seed's -6


def test_seed_example_true_convolution():
    out = convolve2d(SEED_IMAGE, SEED_KERNEL)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, np.full((3, 3), 6))


def test_seed_example_with_fft_in_floats():
    out = conv2d(SEED_IMAGE.astype(float), SEED_KERNEL.astype(float), method="fft")
    np.testing.assert_allclose(out, -6.0, atol=1e-12)


# --- dtypes and ranks ---------------------------------------------------------------------


@pytest.mark.parametrize("method", ["loops", "im2col", "auto"])
def test_integers_are_exact_beyond_float64(method):
    """Sums of 64-bit integers that float64 would round come out exact."""
    big = 2**53 + 1  # float64 cannot represent it
    x = np.full((4, 4), big, dtype=np.int64)
    w = np.ones((2, 2), dtype=np.int64)
    out = conv2d(x, w, method=method)
    assert out.dtype == np.int64
    assert out.tolist() == [[4 * big] * 3] * 3


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    dtypes=st.sampled_from(
        [(np.int64, np.int64), (np.uint8, np.int64), (np.int8, np.int8), (np.int32, np.int16)]
    ),
    stride=st.integers(1, 2),
    padding=st.sampled_from([0, 1, "full", ((0, 2), (1, 0))]),
)
def test_integers_match_torch_exactly(seed, dtypes, stride, padding):
    rng = np.random.default_rng(seed)
    x = rng.integers(0 if dtypes[0] == np.uint8 else -100, 100, (2, 3, 7, 6)).astype(dtypes[0])
    w = rng.integers(-100, 100, (4, 3, 3, 2)).astype(dtypes[1])
    b = rng.integers(-100, 100, 4)
    kwargs = {"stride": stride, "padding": padding, "dilation": 1, "groups": 1}
    # float64 holds these sums exactly, so torch's float64 answer is exact too.
    expected = torch_conv2d(
        x.astype(float), w.astype(float), b.astype(float), **kwargs, padding_mode="zeros"
    )
    got = conv2d(x, w, b, **kwargs)
    signed = np.dtype(dtypes[0]).kind == "i" or np.dtype(dtypes[1]).kind == "i"
    assert got.dtype == (np.int64 if signed else np.uint64)
    np.testing.assert_array_equal(got, expected.astype(np.int64))


@pytest.mark.parametrize(
    ("input_dtype", "weight_dtype", "expected"),
    [
        (np.float32, np.float32, np.float32),
        (np.float64, np.float64, np.float64),
        (np.float32, np.float64, np.float64),
        (np.float16, np.float16, np.float16),
        (np.uint8, np.float32, np.float32),
        (np.int64, np.float32, np.float64),
        (np.uint8, np.uint8, np.uint64),
        (np.int8, np.uint8, np.int64),
    ],
)
@pytest.mark.parametrize("method", ["loops", "im2col", "fft", "auto"])
def test_dtype_follows_numpy(input_dtype, weight_dtype, expected, method):
    x = np.ones((1, 2, 5, 5), dtype=input_dtype)
    w = np.ones((3, 2, 3, 3), dtype=weight_dtype)
    if method == "fft" and np.dtype(expected).kind != "f":
        with pytest.raises(TypeError, match="method='fft' computes in floating point"):
            conv2d(x, w, method=method)
        return
    out = conv2d(x, w, method=method)
    assert out.dtype == expected
    np.testing.assert_array_equal(out, np.full((1, 3, 3, 3), 18))


def test_bias_dtype_takes_part():
    x = np.ones((1, 1, 3, 3), dtype=np.float32)
    w = np.ones((1, 1, 2, 2), dtype=np.float32)
    assert conv2d(x, w, np.zeros(1, dtype=np.float64)).dtype == np.float64


@pytest.mark.parametrize("method", ["loops", "im2col", "fft"])
def test_rank_is_kept(method):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 6, 7))
    w = rng.standard_normal((2, 3, 3, 3))
    b = rng.standard_normal(2)
    batched = conv2d(x[None], w, b, padding=1, method=method)
    unbatched = conv2d(x, w, b, padding=1, method=method)
    assert unbatched.shape == (2, 6, 7)
    np.testing.assert_allclose(unbatched, batched[0], rtol=1e-12, atol=1e-12)
    plain = conv2d(x[0], w[0, 0], b[:1], method=method)
    assert plain.shape == (4, 5)
    np.testing.assert_allclose(plain, conv2d(x[None, :1], w[:1, :1], b[:1])[0, 0], atol=1e-12)
    np.testing.assert_allclose(conv2d(x[0], w[0, 0], 0.5), conv2d(x[0], w[0, 0]) + 0.5)


def test_accepts_lists_and_tensors():
    expected = conv2d(SEED_IMAGE, SEED_KERNEL)
    np.testing.assert_array_equal(conv2d(SEED_IMAGE.tolist(), SEED_KERNEL.tolist()), expected)
    np.testing.assert_array_equal(
        conv2d(torch.from_numpy(SEED_IMAGE), torch.from_numpy(SEED_KERNEL)), expected
    )


@pytest.mark.parametrize("method", ["im2col", "fft", "auto"])
@pytest.mark.parametrize("padding_mode", ["zeros", "reflect"])
def test_memory_order_does_not_matter(method, padding_mode):
    # A Fortran-ordered or non-contiguous input once gave wrong numbers with padding:
    # the fast paths read rows as contiguous memory.
    x = np.arange(2 * 2 * 5 * 6, dtype=np.float64).reshape(2, 2, 5, 6)
    w = np.linspace(-1, 1, 3 * 2 * 2 * 3).reshape(3, 2, 2, 3)
    expected = conv2d(x, w, padding=1, padding_mode=padding_mode, method="loops")
    transposed_memory = np.ascontiguousarray(x.transpose(0, 1, 3, 2)).transpose(0, 1, 3, 2)
    every_other = np.repeat(x, 2, axis=3)[:, :, :, ::2]
    for layout in (np.asfortranarray(x), transposed_memory, every_other):
        got = conv2d(layout, w, padding=1, padding_mode=padding_mode, method=method)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-9)


def test_nan_propagates():
    x = np.ones((5, 5))
    x[2, 2] = np.nan
    out = conv2d(x, np.ones((3, 3)))
    assert np.isnan(out).all()  # every 3x3 window of a 5x5 image covers its centre
    assert np.isnan(conv2d(x, np.ones((3, 3)), method="loops")).all()


def test_empty_batch():
    out = conv2d(np.zeros((0, 2, 5, 5)), np.zeros((3, 2, 3, 3)))
    assert out.shape == (0, 3, 3, 3)


# --- pieces and the choice of method --------------------------------------------------------


@pytest.mark.parametrize("method", ["loops", "im2col", "fft", "auto"])
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"stride": (2, 3), "padding": ((1, 0), (2, 1)), "dilation": (1, 2)},
        {"padding": "same", "padding_mode": "reflect", "dilation": 2},
        {"stride": 2, "padding": 2, "padding_mode": "circular", "groups": 2},
    ],
)
def test_pieces_give_the_same_answer(monkeypatch, method, kwargs):
    """Working a few images or rows at a time changes nothing but the memory used."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 4, 11, 9))
    w = rng.standard_normal((6, 4 // kwargs.get("groups", 1), 3, 2))
    b = rng.standard_normal(6)
    whole = conv2d(x, w, b, method=method, **kwargs)
    for budget in (1, 2000, 20000):  # 1 byte: one image and one output row at a time
        monkeypatch.setattr(lib.convolution, "MAX_WORKING_MEMORY", budget)
        monkeypatch.setattr(lib.convolution, "IM2COL_PIECE", budget)
        pieces = conv2d(x, w, b, method=method, **kwargs)
        np.testing.assert_allclose(pieces, whole, rtol=0, atol=1e-12)


def test_piece_sizes_respect_the_budget():
    size = lib.convolution._piece_size
    f32 = np.dtype(np.float32)
    assert (
        size("im2col", (256, 1, 32, 32), (6, 1, 5, 5), (1, 1), (28, 28), ((0, 0),) * 2, f32)[1]
        == 28
    )
    # One 4096x4096 image with a 15x15 kernel: im2col's columns alone would take 3.7 GiB.
    images, rows = size(
        "im2col", (1, 1, 4096, 4096), (1, 1, 15, 15), (1, 1), (4082, 4082), ((0, 0),) * 2, f32
    )
    assert images == 1 and rows * 4096 * (225 + 1 + 1) * 4 <= lib.convolution.IM2COL_PIECE


def test_auto_prefers_fft_for_large_kernels_and_never_for_integers():
    none = ((0, 0), (0, 0))
    f32 = np.dtype(np.float32)
    big = ((1, 1, 1024, 1024), (1, 1, 15, 15), (1, 1), (1010, 1010), none)
    assert _auto_method(*big, f32) == "fft"
    assert _auto_method(*big, np.dtype(np.int64)) == "im2col"
    small = ((256, 1, 32, 32), (6, 1, 5, 5), (1, 1), (28, 28), none)
    assert _auto_method(*small, f32) == "im2col"
    resnet = ((8, 64, 58, 58), (64, 64, 3, 3), (1, 1), (56, 56), none)
    assert _auto_method(*resnet, f32) == "im2col"


@settings(max_examples=200, deadline=None)
@given(
    batch=st.integers(1, 64),
    channels=st.integers(1, 64),
    out_channels=st.integers(1, 64),
    size=st.tuples(st.integers(1, 300), st.integers(1, 300)),
    kernel=st.tuples(st.integers(1, 31), st.integers(1, 31)),
    padding=st.tuples(st.integers(0, 8), st.integers(0, 8)),
    stride=st.sampled_from([(1, 1), (2, 2), (1, 3)]),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_auto_decides_the_same_without_the_bound(
    batch, channels, out_channels, size, kernel, padding, stride, dtype
):
    """The lower bound that spares importing scipy.fft never changes the choice."""
    sides = tuple((p, p) for p in padding)
    padded = [n + 2 * p for n, p in zip(size, padding, strict=True)]
    assume(all(k <= n for k, n in zip(kernel, padded, strict=True)))
    out = tuple((n - k) // s + 1 for n, k, s in zip(padded, kernel, stride, strict=True))
    args = ((batch, channels, *size), (out_channels, channels, *kernel), stride, out, sides)
    dtype = np.dtype(dtype)
    assert _auto_method(*args, dtype) == _auto_method(*args, dtype, use_bound=False)


def test_small_convolutions_do_not_import_scipy_fft():
    """What the bound is for: lib and a small convolution, no scipy.fft (0.2 s)."""
    code = (
        "import sys, numpy as np\n"
        "from lib import conv2d\n"
        "conv2d(np.ones((1, 3, 16, 16)), np.ones((4, 3, 3, 3)))\n"
        "print('scipy.fft' in sys.modules)\n"
    )
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_auto_is_exact_for_integers_with_large_kernels():
    rng = np.random.default_rng(4)
    x = rng.integers(-1000, 1000, (40, 40))
    w = rng.integers(-1000, 1000, (21, 21))
    expected = conv2d(x, w, method="loops")
    np.testing.assert_array_equal(conv2d(x, w), expected)


# --- the 2-D functions against SciPy --------------------------------------------------------


@st.composite
def image_and_kernel(draw):
    height, width = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    kh, kw = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    integers = draw(st.booleans())
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if integers:
        return rng.integers(-9, 10, (height, width)), rng.integers(-9, 10, (kh, kw))
    return rng.standard_normal((height, width)), rng.standard_normal((kh, kw))


def _compare(got, expected):
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(arrays=image_and_kernel(), mode=st.sampled_from(["valid", "same", "full"]))
def test_convolve2d_matches_scipy(arrays, mode):
    image, kernel = arrays
    if mode == "valid" and (kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]):
        with pytest.raises(ValueError, match="kernel .* larger than input"):
            convolve2d(image, kernel, mode)
        return
    _compare(convolve2d(image, kernel, mode), scipy.signal.convolve2d(image, kernel, mode))


@settings(max_examples=100, deadline=None)
@given(arrays=image_and_kernel(), mode=st.sampled_from(["valid", "same", "full"]))
def test_conv2d_matches_scipy_correlate2d(arrays, mode):
    """SciPy's correlate2d is conv2d; its "same" puts an even kernel's extra padding at the
    bottom and right, as torch's does."""
    image, kernel = arrays
    if mode == "valid" and (kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]):
        return  # SciPy swaps the arrays; conv2d refuses
    expected = scipy.signal.correlate2d(image, kernel, mode)
    _compare(conv2d(image, kernel, padding=mode), expected)


def test_convolve2d_flips_the_kernel():
    rng = np.random.default_rng(7)
    image, kernel = rng.standard_normal((6, 7)), rng.standard_normal((3, 2))
    np.testing.assert_allclose(convolve2d(image, kernel), conv2d(image, kernel[::-1, ::-1]))
    assert convolve2d(image, kernel, "same").shape == image.shape
    assert convolve2d(image, kernel, "full").shape == (8, 8)


@pytest.mark.parametrize("method", ["im2col", "fft"])
@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "circular"])
def test_working_memory_stays_within_the_budget(monkeypatch, method, padding_mode):
    """An image whose padded copy exceeds the budget is worked through in strips of rows."""
    x = np.random.default_rng(8).standard_normal((1, 2, 500, 500))  # 3.8 MiB
    w = np.ones((2, 2, 5, 5))
    expected = conv2d(x, w, padding=4, padding_mode=padding_mode, method=method)
    budget = 2**20
    monkeypatch.setattr(lib.convolution, "MAX_WORKING_MEMORY", budget)
    monkeypatch.setattr(lib.convolution, "IM2COL_PIECE", budget // 4)
    tracemalloc.start()
    try:
        out = conv2d(x, w, padding=4, padding_mode=padding_mode, method=method)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak - out.nbytes < 2 * budget
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-12)


# --- the chapter-1 helpers: the formula's loops and im2col ------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_correlate2d_loops_matches_torch(seed):
    rng = np.random.default_rng(seed)
    image = rng.integers(-9, 10, size=tuple(rng.integers(3, 9, size=2)))
    kernel = rng.integers(-3, 4, size=tuple(rng.integers(1, 4, size=2)))
    expected = F.conv2d(torch.from_numpy(image)[None, None], torch.from_numpy(kernel)[None, None])
    ours = lib.convolution.correlate2d_loops(image, kernel)
    assert ours.dtype == np.int64
    np.testing.assert_array_equal(ours, expected[0, 0].numpy())


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.uint16])
def test_correlate2d_loops_sums_small_integers_exactly(dtype):
    """A uint8 photograph with a uint8 crop of it as the kernel (template matching), and
    the other small integer types: ``np.result_type`` of the two is the small type itself,
    whose products and sums wrap around; the loops widen to 64 bits first. The oracle is
    torch in int64, on the same values."""
    info = np.iinfo(dtype)
    rng = np.random.default_rng(int(info.bits) + (info.min < 0))
    image = rng.integers(info.min, int(info.max) + 1, size=(9, 8)).astype(dtype)
    kernel = image[2:5, 3:7].copy()  # a crop: the same small type
    expected = F.conv2d(
        torch.from_numpy(image.astype(np.int64))[None, None],
        torch.from_numpy(kernel.astype(np.int64))[None, None],
    )[0, 0].numpy()
    ours = lib.convolution.correlate2d_loops(image, kernel)
    assert ours.dtype == (np.int64 if info.min < 0 else np.uint64)
    np.testing.assert_array_equal(ours, expected)
    # NumPy's own rule would have wrapped on these values: the test can fail.
    assert not np.array_equal(expected.astype(np.result_type(image, kernel)), expected)
    np.testing.assert_array_equal(conv2d(image, kernel), ours)


def test_correlate2d_loops_the_reviewers_cases():
    """The camera man's crop as a template (argmax (0, 5), 57352) and 100 * 100 in int8."""
    import skimage.data

    camera = skimage.data.camera()
    image, template = camera[200:212, 200:212], camera[203:208, 203:208]
    scores = lib.convolution.correlate2d_loops(image, template)
    expected = F.conv2d(
        torch.from_numpy(image.astype(np.float64))[None, None],
        torch.from_numpy(template.astype(np.float64))[None, None],
    )[0, 0].numpy()
    np.testing.assert_array_equal(scores, expected)
    assert np.unravel_index(scores.argmax(), scores.shape) == (0, 5) and scores.max() == 57352
    hundreds = np.full((3, 3), 100, np.int8)
    assert lib.convolution.correlate2d_loops(hundreds, hundreds).tolist() == [[90000]]


def test_correlate2d_loops_refuses_a_kernel_larger_than_the_image():
    with pytest.raises(ValueError, match="fit in image"):
        lib.convolution.correlate2d_loops(np.zeros((2, 2)), np.zeros((3, 3)))


@pytest.mark.parametrize(
    "kernel_size, stride, dilation", [(3, 1, 1), ((2, 3), 2, 1), (3, (1, 2), 2), (1, 2, 1)]
)
def test_im2col_matches_torch_unfold(kernel_size, stride, dilation):
    x = np.random.default_rng(1).standard_normal((2, 3, 9, 10))
    expected = F.unfold(torch.from_numpy(x), kernel_size, dilation=dilation, stride=stride)
    ours = lib.convolution.im2col(x, kernel_size, stride=stride, dilation=dilation)
    np.testing.assert_array_equal(ours, expected.numpy())


def test_im2col_refuses_a_kernel_larger_than_the_input():
    with pytest.raises(ValueError, match="larger"):
        lib.convolution.im2col(np.zeros((1, 1, 2, 2)), 3)
