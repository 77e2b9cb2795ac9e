"""Every backward pass against torch.autograd, in float64 with a tight tolerance."""

import tracemalloc

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from test_pooling import _degenerate, _random_input, pool_cases

import lib.convolution
from lib import (
    avg_pool2d_grad,
    conv2d_grad_bias,
    conv2d_grad_input,
    conv2d_grad_weight,
    max_pool2d_grad,
)
from lib.gradients import GRAD_METHODS

TIGHT = {"rtol": 1e-10, "atol": 1e-10}
settings.register_profile("lib-gradients", max_examples=200, deadline=None)


@st.composite
def conv_cases(draw):
    """A random convolution: batch or not, groups, kernel, stride, every padding form, dilation."""
    groups = draw(st.integers(1, 3))
    in_per_group, out_per_group = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    batch = draw(st.sampled_from([(), (1,), (2,)]))
    height, width = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    small = st.integers(0, 2)
    padding = draw(
        st.one_of(
            small,
            st.tuples(small, small),
            st.sampled_from(["valid", "same"]),
            st.tuples(st.tuples(small, small), st.tuples(small, small)),
        )
    )
    stride = draw(st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    if padding == "same":
        stride = 1  # torch allows "same" only without stride
    dilation = draw(st.one_of(st.integers(1, 2), st.tuples(st.integers(1, 2), st.integers(1, 2))))
    return {
        "input_shape": batch + (groups * in_per_group, height, width),
        "weight_shape": (groups * out_per_group, in_per_group) + kernel,
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "groups": groups,
        "seed": draw(st.integers(0, 2**32 - 1)),
        "dtype": draw(st.sampled_from([np.float64, np.float64, np.float32])),
    }


def _torch_conv(x, weight, bias, padding, **kwargs):
    """Torch's conv2d, with per-side padding ((top, bottom), (left, right)) done by F.pad."""
    if isinstance(padding, tuple) and isinstance(padding[0], tuple):
        (top, bottom), (left, right) = padding
        return F.conv2d(F.pad(x, (left, right, top, bottom)), weight, bias, padding=0, **kwargs)
    return F.conv2d(x, weight, bias, padding=padding, **kwargs)


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")  # torch's, harmless
@settings(settings.get_profile("lib-gradients"))
@given(case=conv_cases())
@example(  # a 1x1 image, one per group: the reshaped input is a Fortran-ordered view
    case={
        "input_shape": (4, 1, 1),
        "weight_shape": (2, 2, 2, 1),
        "stride": 1,
        "padding": 1,
        "dilation": 1,
        "groups": 2,
        "seed": 0,
        "dtype": np.float64,
    }
)
def test_conv2d_gradients_match_autograd(case):
    """Both methods, in float64 (tightly) and float32 (to float32's rounding)."""
    rng = np.random.default_rng(case["seed"])
    x = torch.tensor(rng.standard_normal(case["input_shape"]), requires_grad=True)
    weight = torch.tensor(rng.standard_normal(case["weight_shape"]), requires_grad=True)
    bias = torch.tensor(rng.standard_normal(case["weight_shape"][0]), requires_grad=True)
    geometry = {k: case[k] for k in ("stride", "padding", "dilation", "groups")}
    try:
        out = _torch_conv(x, weight, bias, **geometry)
    except RuntimeError:
        assume(False)  # an output size below 1: the forward pass refuses, nothing to check
    grad_output = rng.standard_normal(out.shape)
    out.backward(torch.from_numpy(grad_output))

    dtype = case["dtype"]
    x_, weight_, grad_output_ = (
        a.astype(dtype) for a in (x.detach().numpy(), weight.detach().numpy(), grad_output)
    )
    for method in GRAD_METHODS:
        grad_input = conv2d_grad_input(
            grad_output_, weight_, case["input_shape"], **geometry, method=method
        )
        grad_weight = conv2d_grad_weight(
            x_, grad_output_, case["weight_shape"], **geometry, method=method
        )
        assert grad_input.dtype == grad_weight.dtype == dtype
        _close(grad_input, x.grad.numpy())
        _close(grad_weight, weight.grad.numpy())
    _close(conv2d_grad_bias(grad_output_), bias.grad.numpy())


def _close(got, expected):
    """Equal within float64's rounding, or float32's (relative to the largest value)."""
    if got.dtype == np.float64:
        np.testing.assert_allclose(got, expected, **TIGHT)
    else:
        scale = max(1.0, np.abs(expected).max())
        np.testing.assert_allclose(got, expected, rtol=0, atol=2e-5 * scale)


def test_conv2d_gradients_of_a_single_map_match_the_batched_form():
    rng = np.random.default_rng(0)
    x, weight, grad_output = (rng.standard_normal(shape) for shape in ((6, 7), (3, 2), (3, 3)))
    geometry = {"stride": (2, 3), "padding": ((1, 0), (2, 1)), "dilation": (1, 2)}
    as4 = {"input_shape": (1, 1, 6, 7), "weight_shape": (1, 1, 3, 2)}
    batched = conv2d_grad_input(
        grad_output[None, None], weight[None, None], as4["input_shape"], **geometry
    )
    np.testing.assert_allclose(
        conv2d_grad_input(grad_output, weight, x.shape, **geometry), batched[0, 0]
    )
    batched = conv2d_grad_weight(
        x[None, None], grad_output[None, None], as4["weight_shape"], **geometry
    )
    np.testing.assert_allclose(
        conv2d_grad_weight(x, grad_output, weight.shape, **geometry), batched[0, 0]
    )
    assert conv2d_grad_bias(grad_output) == pytest.approx(grad_output.sum())


@pytest.mark.parametrize("function", ["grad_input", "grad_weight"])
@pytest.mark.parametrize("stride", [1, 2])
def test_working_memory_of_the_gradients_stays_within_the_budget(monkeypatch, function, stride):
    """As conv2d's (test_convolution.py): a large image is worked through in strips of rows."""
    rng = np.random.default_rng(8)
    x = rng.standard_normal((1, 2, 500, 500))  # 3.8 MiB
    weight = rng.standard_normal((2, 2, 5, 5))
    geometry = {"stride": stride, "padding": 4}
    out_size = (500 + 8 - 5) // stride + 1
    grad_output = rng.standard_normal((1, 2, out_size, out_size))

    def gradient(method="im2col"):
        if function == "grad_input":
            return conv2d_grad_input(grad_output, weight, x.shape, **geometry, method=method)
        return conv2d_grad_weight(x, grad_output, weight.shape, **geometry, method=method)

    expected = gradient("convolution")
    budget = 2**20
    monkeypatch.setattr(lib.convolution, "MAX_WORKING_MEMORY", budget)
    monkeypatch.setattr(lib.convolution, "IM2COL_PIECE", budget // 4)
    tracemalloc.start()
    try:
        got = gradient()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak - got.nbytes < 2 * budget
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-9)


def test_conv2d_grad_input_is_zero_where_no_window_reached():
    # Input 6 wide, kernel 2, stride 3: the windows cover columns 0-1 and 3-4; column 2 and
    # column 5 take part in no product, so their gradient is exactly 0.
    weight = np.ones((1, 1, 2, 2))
    grad = conv2d_grad_input(np.ones((1, 1, 2, 2)), weight, (1, 1, 6, 6), stride=3)
    np.testing.assert_array_equal(grad[0, 0, 0], [1, 1, 0, 1, 1, 0])
    np.testing.assert_array_equal(grad[0, 0, :, 5], 0)


@settings(settings.get_profile("lib-gradients"))
@given(case=pool_cases(), integers=st.booleans())
def test_max_pool2d_grad_matches_autograd_ties_included(case, integers):
    x = _random_input(case["shape"], case["seed"], np.float64)  # small integers: many ties
    kwargs = {k: case[k] for k in ("kernel_size", "stride", "padding", "dilation", "ceil_mode")}
    tensor = torch.tensor(x[None] if x.ndim == 2 else x, requires_grad=True)
    try:
        out = F.max_pool2d(tensor, **kwargs)
    except RuntimeError:
        assume(False)
    assume(not _degenerate(case))
    grad_output = np.random.default_rng(case["seed"] + 1).standard_normal(out.shape)
    out.backward(torch.from_numpy(grad_output))
    expected = tensor.grad.numpy()
    if x.ndim == 2:
        grad_output, expected = grad_output[0], expected[0]
    # An integer image routes the gradient as its float copy does (autograd needs floats).
    image = x.astype(np.int64) if integers else x
    np.testing.assert_allclose(max_pool2d_grad(grad_output, image, **kwargs), expected, **TIGHT)


@settings(settings.get_profile("lib-gradients"))
@given(
    case=pool_cases(with_dilation=False),
    count_include_pad=st.booleans(),
    divisor_override=st.sampled_from([None, None, 1, 3, -2]),
)
def test_avg_pool2d_grad_matches_autograd(case, count_include_pad, divisor_override):
    x = _random_input(case["shape"], case["seed"], np.float64)
    kwargs = {k: case[k] for k in ("kernel_size", "stride", "padding", "ceil_mode")}
    kwargs.update(count_include_pad=count_include_pad, divisor_override=divisor_override)
    tensor = torch.tensor(x[None] if x.ndim == 2 else x, requires_grad=True)
    try:
        out = F.avg_pool2d(tensor, **kwargs)
    except RuntimeError:
        assume(False)
    grad_output = np.random.default_rng(case["seed"] + 1).standard_normal(out.shape)
    out.backward(torch.from_numpy(grad_output))
    expected = tensor.grad.numpy()
    if x.ndim == 2:
        grad_output, expected = grad_output[0], expected[0]
    np.testing.assert_allclose(avg_pool2d_grad(grad_output, x.shape, **kwargs), expected, **TIGHT)


def test_max_pool2d_grad_routes_everything_to_the_maximum():
    x = np.array([[1.0, 2.0], [4.0, 3.0]])
    np.testing.assert_array_equal(max_pool2d_grad(np.array([[5.0]]), x, 2), [[0, 0], [5, 0]])


def test_max_pool2d_grad_of_a_tie_goes_to_the_first_maximum():
    x = np.ones((1, 2, 2))
    np.testing.assert_array_equal(max_pool2d_grad(np.ones((1, 1, 1)), x, 2), [[[1, 0], [0, 0]]])


def _conv_call(function, **changes):
    """Call one conv gradient with a valid set-up, some arguments replaced by bad ones."""
    x, weight, grad_output = np.zeros((2, 4, 5, 5)), np.zeros((6, 2, 3, 3)), np.zeros((2, 6, 3, 3))
    if function is conv2d_grad_input:
        kwargs = {"grad_output": grad_output, "weight": weight, "input_shape": x.shape, "groups": 2}
    else:
        kwargs = {"input": x, "grad_output": grad_output, "weight_shape": weight.shape, "groups": 2}
    kwargs.update(changes)
    return function(**kwargs)


@pytest.mark.parametrize("function", [conv2d_grad_input, conv2d_grad_weight])
@pytest.mark.parametrize(
    ("changes", "error", "name"),
    [
        ({"grad_output": np.zeros((2, 6, 3, 4))}, ValueError, "grad_output"),
        ({"grad_output": np.zeros((2, 5, 3, 3))}, ValueError, "grad_output"),
        ({"grad_output": np.zeros((6, 3, 3))}, ValueError, "grad_output"),
        ({"grad_output": np.zeros((2, 6, 3, 3), dtype=bool)}, TypeError, "grad_output"),
        ({"stride": 0}, ValueError, "stride"),
        ({"padding": -1}, ValueError, "padding"),
        ({"padding": "mirror"}, ValueError, "padding"),
        ({"dilation": 0}, ValueError, "dilation"),
        ({"groups": 4}, ValueError, "groups"),
        ({"groups": 0}, ValueError, "groups"),
        ({"stride": 2, "padding": "same"}, ValueError, "same"),
        ({"method": "fft"}, ValueError, "method"),
    ],
)
def test_conv_gradients_reject_bad_arguments(function, changes, error, name):
    with pytest.raises(error, match=name):
        _conv_call(function, **changes)


@pytest.mark.parametrize(
    "input_shape", [(5,), (2, 4, 5, 5, 1), (2, 3, 5, 5), (2, 4, 0, 5), (2, 4, 5.0, 5), "2x4x5x5"]
)
def test_conv2d_grad_input_rejects_a_bad_input_shape(input_shape):
    with pytest.raises((ValueError, TypeError), match="input_shape"):
        _conv_call(conv2d_grad_input, input_shape=input_shape)


@pytest.mark.parametrize("weight", [np.zeros((6, 2, 3)), np.zeros((6, 2, 3, 3), dtype=object)])
def test_conv2d_grad_input_rejects_a_bad_weight(weight):
    with pytest.raises((ValueError, TypeError), match="weight"):
        _conv_call(conv2d_grad_input, weight=weight)


@pytest.mark.parametrize("weight_shape", [(6, 2, 3), (6, 3, 3, 3), (5, 2, 3, 3), (6, 2, 0, 3)])
def test_conv2d_grad_weight_rejects_a_bad_weight_shape(weight_shape):
    with pytest.raises(ValueError, match="weight_shape"):
        _conv_call(conv2d_grad_weight, weight_shape=weight_shape)


def test_conv2d_grad_weight_rejects_a_bad_input():
    with pytest.raises(ValueError, match="input"):
        _conv_call(conv2d_grad_weight, input=np.zeros((4, 5, 5, 1, 1)))


@pytest.mark.parametrize("grad_output", [np.zeros(3), np.zeros((1, 1, 1, 3, 3)), np.array(["a"])])
def test_conv2d_grad_bias_rejects_a_bad_grad_output(grad_output):
    with pytest.raises((ValueError, TypeError), match="grad_output"):
        conv2d_grad_bias(grad_output)


def test_pooling_gradients_reject_bad_arguments():
    x = np.zeros((1, 4, 4))
    with pytest.raises(ValueError, match="grad_output"):
        max_pool2d_grad(np.zeros((1, 3, 2)), x, 2)
    with pytest.raises(ValueError, match="grad_output"):
        avg_pool2d_grad(np.zeros((2, 2)), x.shape, 2)
    with pytest.raises(ValueError, match="padding"):
        max_pool2d_grad(np.zeros((1, 2, 2)), x, 2, padding=2)
    with pytest.raises((ValueError, TypeError), match="input_shape"):
        avg_pool2d_grad(np.zeros((1, 2, 2)), (4,), 2)
    with pytest.raises((ValueError, TypeError), match="input_shape"):
        avg_pool2d_grad(np.zeros((1, 2, 2)), (1, 4, -4), 2)
    with pytest.raises(ValueError, match="divisor_override"):
        avg_pool2d_grad(np.zeros((1, 2, 2)), x.shape, 2, divisor_override=0)
