"""lib.padding.pad2d, checked against torch.nn.functional.pad."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from lib import pad2d
from lib.padding import source_index

TORCH_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate"}
TORCH_MODES["circular"] = "circular"


@st.composite
def padding_case(draw):
    mode = draw(st.sampled_from(list(TORCH_MODES)))
    form = draw(st.sampled_from(["sides", "int", "pair"]))
    if form == "int":
        padding = draw(st.integers(0, 4))
        sides = [[padding] * 2] * 2
    elif form == "pair":
        padding = (draw(st.integers(0, 4)), draw(st.integers(0, 4)))
        sides = [[padding[0]] * 2, [padding[1]] * 2]
    else:
        sides = [[draw(st.integers(0, 4)) for _ in range(2)] for _ in range(2)]
        padding = tuple(tuple(side) for side in sides)
    # Each mode's limit (PyTorch's): reflect needs padding < size, circular <= size.
    least = {"reflect": 1, "circular": 0}.get(mode)
    height, width = (
        draw(st.integers(1 if least is None else max(1, max(side) + least), 7)) for side in sides
    )
    shape = draw(st.sampled_from([(height, width), (2, height, width), (2, 3, height, width)]))
    return shape, padding, sides, mode


def torch_pad(x, sides, mode, value=0.0):
    """torch's padding of (H, W), (C, H, W) or (N, C, H, W), via a 4-D tensor."""
    (top, bottom), (left, right) = sides
    t = torch.from_numpy(x).reshape(-1, 1, *x.shape[-2:])
    options = {"value": value} if mode == "zeros" else {}
    padded = F.pad(t, (left, right, top, bottom), mode=TORCH_MODES[mode], **options)
    return padded.reshape(*x.shape[:-2], *padded.shape[-2:]).numpy()


@settings(max_examples=150, deadline=None)
@given(case=padding_case(), seed=st.integers(0, 2**16))
def test_pad2d_matches_torch(case, seed):
    shape, padding, sides, mode = case
    x = np.random.default_rng(seed).standard_normal(shape)
    got = pad2d(x, padding, mode=mode)
    np.testing.assert_array_equal(got, torch_pad(x, sides, mode))
    assert got.dtype == x.dtype


def test_modes_on_a_row():
    row = np.array([[1, 2, 3, 4]])
    sides = ((0, 0), (2, 2))
    assert pad2d(row, sides).tolist() == [[0, 0, 1, 2, 3, 4, 0, 0]]
    assert pad2d(row, sides, mode="reflect").tolist() == [[3, 2, 1, 2, 3, 4, 3, 2]]
    assert pad2d(row, sides, mode="replicate").tolist() == [[1, 1, 1, 2, 3, 4, 4, 4]]
    assert pad2d(row, sides, mode="circular").tolist() == [[3, 4, 1, 2, 3, 4, 1, 2]]


def test_constant_value_and_synonym():
    x = np.ones((2, 2), dtype=np.float32)
    got = pad2d(x, 1, mode="constant", value=-1.5)
    assert got.dtype == np.float32
    assert got[0, 0] == -1.5 and got[1, 1] == 1
    np.testing.assert_array_equal(pad2d(x, 1, value=-1.5), got)


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int64, np.float16, np.float32, bool])
def test_dtype_is_kept(dtype):
    x = np.ones((3, 3), dtype=dtype)
    for mode in TORCH_MODES:
        assert pad2d(x, 1, mode=mode).dtype == dtype


def test_circular_padding_may_equal_the_size():
    x = np.arange(3.0).reshape(1, 3)
    assert pad2d(x, ((0, 0), (3, 3)), mode="circular").tolist() == [[0, 1, 2] * 3]


def test_result_is_a_new_array():
    x = np.zeros((2, 2))
    padded = pad2d(x, 0)
    padded[0, 0] = 1
    assert x[0, 0] == 0


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((np.ones((3, 3)), -1), {}, ValueError, "padding must be >= 0"),
        ((np.ones((3, 3)), ((0, 0), (0, -2))), {}, ValueError, "padding must be >= 0"),
        ((np.ones((3, 3)), 3), {"mode": "reflect"}, ValueError, "reflect.*padding < input"),
        ((np.ones((3, 5)), ((0, 0), (5, 0))), {"mode": "reflect"}, ValueError, "width 5"),
        ((np.ones((3, 3)), 4), {"mode": "circular"}, ValueError, "circular.*padding <= input"),
        ((np.ones((3, 3)), 1), {"mode": "mirror"}, ValueError, "mode must be one of"),
        ((np.ones((3, 3)), 1), {"mode": "reflect", "value": 2}, ValueError, "value"),
        ((np.ones((3, 3), int), 1), {"value": 0.5}, ValueError, "value 0.5"),
        ((np.ones((3, 3)), 1), {"value": [1, 2]}, TypeError, "value must be a single"),
        ((np.ones((3, 3)), "same"), {}, TypeError, "padding as numbers"),
        ((np.ones((3, 3)), (1, 2, 3, 4)), {}, TypeError, "padding.*flat 4-tuple"),
        ((np.ones((3, 3)), 1.0), {}, TypeError, "padding must be an int"),
        ((np.ones(3), 1), {}, ValueError, "input must have 2, 3 or 4 dimensions"),
        ((np.ones((1, 1, 1, 3, 3)), 1), {}, ValueError, "input must have 2, 3 or 4"),
        ((np.array([["a"]]), 1), {}, TypeError, "input must hold real numbers"),
        ((np.zeros((0, 3)), 1), {"mode": "replicate"}, ValueError, "height 0"),
    ],
)
def test_pad2d_refuses(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        pad2d(*args, **kwargs)


@settings(max_examples=60, deadline=None)
@given(
    size=st.integers(1, 6),
    before=st.integers(0, 6),
    after=st.integers(0, 6),
    mode=st.sampled_from(["reflect", "replicate", "circular"]),
)
def test_source_index_agrees_with_pad2d(size, before, after, mode):
    """The rule conv2d uses to pad a strip of rows is pad2d's rule."""
    limit = size - 1 if mode == "reflect" else size if mode == "circular" else None
    if limit is not None and max(before, after) > limit:
        return
    row = np.arange(size).reshape(1, size) * 10
    expected = pad2d(row, ((0, 0), (before, after)), mode=mode)[0]
    index = source_index(np.arange(-before, size + after), size, mode)
    np.testing.assert_array_equal(row[0, index], expected)
