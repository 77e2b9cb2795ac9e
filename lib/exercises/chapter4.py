"""Checkers for chapter 4, "Pooling".

In the chapter::

    from lib.exercises import chapter4 as ex

    ex.max_by_hand.check(max_by_hand)                      # pooled by hand
    ex.ceil_sizes.check(ceil_sizes)                        # output sizes, ceil mode
    ex.max_pool_with_indices.check(max_pool_with_indices)  # functions to implement
    ex.max_pool_backward.check(max_pool_backward)
    ex.avg_pool_backward.check(avg_pool_backward)
    ex.avg_pool_exclude_pad.check(avg_pool_exclude_pad)

Each exercise also has ``hint()`` (one more hint per call) and ``solution()``. The
references are :func:`lib.max_pool2d`, :func:`lib.max_pool2d_grad`,
:func:`lib.avg_pool2d_grad` and :func:`lib.avg_pool2d`, which are tested against PyTorch;
``solution()`` shows a readable loop version instead.

Examples
--------
>>> result = max_by_hand.check([[6, 8], [9, 7]])
max_by_hand: correct.
>>> result = max_pool_with_indices.check(_last_tie)  # a function with that mistake
max_pool_with_indices: incorrect. Ties go to the last maximum: when several pixels of a
    window share the maximum, PyTorch (and lib) report the first in row-major order
    (top row first, left to right); keep the first, e.g. with np.argmax, or compare with
    > rather than >=. (Seen on the chapter's 4x4 map with ties, 2x2 windows, stride 2.)
    ex.max_pool_with_indices.hint() gives a hint.
"""

import numpy as np

from lib.exercises.checker import (
    Case,
    FunctionExercise,
    Mistake,
    ValueExercise,
    array_problem,
    make_progress,
    same_values,
    show,
    type_name,
)
from lib.exercises.data import CEIL_CASES, HAND_MAP
from lib.gradients import avg_pool2d_grad, max_pool2d_grad
from lib.pooling import avg_pool2d, max_pool2d
from lib.shapes import output_size

# A small map with ties in its windows, shown in the chapter's exercise verdicts.
_TIES = np.array([[3, 3, 1, 2], [1, 0, 2, 2], [4, 1, 5, 0], [0, 4, 0, 5]])


def _is_number(value):
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )


def _leaves(value):
    """The entries of a nested list or tuple, whatever its depth."""
    for item in value:
        if isinstance(item, list | tuple):
            yield from _leaves(item)
        else:
            yield item


def _int_grid(value, shape, what):
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, list | tuple) or not all(_is_number(v) for v in _leaves(value)):
        raise ValueError(
            f"Answer {what}, a nested list of numbers like [[1, 2], [3, 4]]; got {show(value)}."
        )
    try:
        array = np.array(value, dtype=float)
    except (TypeError, ValueError):  # rows of different lengths
        raise ValueError(f"Answer {what}, a nested list like [[1, 2], [3, 4]].") from None
    if array.shape != shape:
        raise ValueError(f"Answer {what} of shape {shape}; yours has shape {array.shape}.")
    return tuple(tuple(float(v) for v in row) for row in array)


def _as_tuple(array):
    return tuple(tuple(float(v) for v in row) for row in np.asarray(array))


# --- max_by_hand -----------------------------------------------------------------------------

max_by_hand = ValueExercise(
    "max_by_hand",
    "ch4-ex-max-by-hand",
    answer=_as_tuple(max_pool2d(HAND_MAP, 2)),
    normalise=lambda value: _int_grid(value, (2, 2), "the 2x2 pooled map"),
    mistakes={
        _as_tuple(avg_pool2d(HAND_MAP, 2)): (
            "average instead of max",
            "those are the windows' means; max pooling keeps each window's largest value.",
        ),
        _as_tuple(-max_pool2d(-HAND_MAP, 2)): (
            "min instead of max",
            "those are the windows' smallest values; max pooling keeps the largest.",
        ),
        _as_tuple(max_pool2d(HAND_MAP, 2).T): (
            "rows and columns swapped",
            "output (0, 1) is the window of rows 0-1 and columns 2-3: the top-right one.",
        ),
        _as_tuple(avg_pool2d(HAND_MAP, 2) * 4): (
            "sum instead of max",
            "those are the windows' sums (what LeNet-5's subsampling starts from); max "
            "pooling keeps each window's largest value.",
        ),
    },
    hints=[
        "With kernel_size 2 and stride 2 the four windows tile the 4x4 map: top-left, "
        "top-right, bottom-left, bottom-right.",
        "The top-left window holds 1, 6, 5, 3: its output is the largest of them.",
        "Answer [[top-left, top-right], [bottom-left, bottom-right]].",
    ],
    explanation=(
        "The windows are rows 0-1 / 2-3 and columns 0-1 / 2-3:\n"
        "top-left [1, 6, 5, 3] -> 6, top-right [2, 8, 8, 0] -> 8 (a tie), bottom-left\n"
        "[9, 0, 4, 9] -> 9 (a tie), bottom-right [7, 7, 1, 2] -> 7 (a tie). Three windows\n"
        "hold a tied maximum: the value is the same whichever pixel wins.\n\n"
        "max_by_hand = [[6, 8], [9, 7]]"
    ),
)


# --- ceil_sizes ------------------------------------------------------------------------------


def _sizes(value):
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, tuple | list) or len(value) != len(CEIL_CASES):
        raise ValueError(f"Answer {len(CEIL_CASES)} sizes, one per pooling, like (1, 2, 3).")
    if not all(isinstance(n, int | np.integer) and not isinstance(n, bool) for n in value):
        raise ValueError("Answer whole numbers, like (1, 2, 3).")
    return tuple(int(n) for n in value)


def _ceil_without_rule(n, k, s, p):
    return -(-(n + 2 * p - k) // s) + 1


ceil_sizes = ValueExercise(
    "ceil_sizes",
    "ch4-ex-ceil-sizes",
    answer=tuple(output_size(n, k, s, p, ceil_mode=True) for n, k, s, p in CEIL_CASES),
    normalise=_sizes,
    mistakes={
        tuple(output_size(n, k, s, p) for n, k, s, p in CEIL_CASES): (
            "floor instead of ceil",
            "those are the sizes without ceil_mode. With ceil_mode=True the division rounds "
            "up, keeping a last, partial window.",
        ),
        tuple(_ceil_without_rule(*case) for case in CEIL_CASES): (
            "rule for the last window forgotten",
            "rounding up is right, but a last window that would start in the right padding "
            "alone is dropped: it must start inside the input or the left padding.",
        ),
        tuple(-(-(n + p - k) // s) + 1 for n, k, s, p in CEIL_CASES): (
            "padding counted in total",
            "padding counts one side: the padded input has n + 2p positions.",
        ),
    },
    hints=[
        "Start from (n + 2p - k) / s + 1, and round the division up instead of down.",
        "Then check where the last window starts: (out - 1) * s, counting positions from "
        "the first cell of the left padding. PyTorch drops it if that is at or past n + p, "
        "the start of the right padding.",
        "The third pooling: (8 + 2 - 3) / 3 = 7 / 3 rounds up to 3, so 4 windows; the 4th "
        "would start at 3 * 3 = 9 = n + p, in the right padding.",
    ],
    explanation=(
        "With ceil_mode, out = ceil((n + 2p - k) / s) + 1, minus one if the last window\n"
        "would start at or past n + p (in the right padding alone), counting positions from\n"
        "the first cell of the left padding:\n"
        "n=7, k=2, s=2, p=0: ceil(5 / 2) + 1 = 4; the 4th window starts at 6 < 7: kept.\n"
        "n=7, k=4, s=2, p=1: ceil(5 / 2) + 1 = 4; the 4th window starts at 6 < 8: kept.\n"
        "n=8, k=3, s=3, p=1: ceil(7 / 3) + 1 = 4; the 4th window starts at 9 = 9: dropped, 3.\n"
        "Without ceil_mode the sizes are 3, 3 and 3: the first two differ.\n\n"
        "ceil_sizes = (4, 4, 3)"
    ),
)


# --- cases shared by the functions -----------------------------------------------------------


def _map(rng, shape, ties):
    """A map; with ``ties``, few distinct values, so that windows hold tied maxima."""
    if ties:
        return rng.integers(0, 4, size=shape)
    return rng.normal(size=shape).round(3)


def _geometries(rng, hidden):
    """(map shape, kernel_size, stride, ties) of the function exercises' cases."""
    shapes = [
        ((6, 6), 2, 2, True),
        ((5, 7), 2, 2, False),
        ((7, 7), 3, 2, True),  # overlapping windows
        ((5, 6), 3, 1, True),
        ((4, 9), 2, 3, False),  # windows with gaps between them
        ((3, 3), 3, 3, True),  # one window
        ((1, 8), 1, 2, False),
    ]
    if hidden:
        shapes += [((8, 5), 3, 2, True), ((9, 9), 2, 1, True)]
        for _ in range(6):
            height, width = (int(n) for n in rng.integers(2, 11, size=2))
            k = int(rng.integers(1, min(height, width, 4) + 1))
            shapes.append(((height, width), k, int(rng.integers(1, 4)), bool(rng.integers(2))))
    return shapes


def _describe(x, k, s):
    kind = "integer" if x.dtype.kind in "iu" else "float"
    return f"a {x.shape[0]}x{x.shape[1]} {kind} map, {k}x{k} windows, stride {s}"


def _forward_cases(rng, hidden):
    cases = (
        []
        if hidden
        else [Case((_TIES, 2, 2), "the chapter's 4x4 map with ties, 2x2 windows, stride 2")]
    )
    for shape, k, s, ties in _geometries(rng, hidden):
        x = _map(rng, shape, ties)
        cases.append(Case((x, k, s), _describe(x, k, s)))
    return cases


def _grad_cases(rng, hidden):
    cases = []
    for case in _forward_cases(rng, hidden):
        x, k, s = case.args
        out = (output_size(x.shape[0], k, s), output_size(x.shape[1], k, s))
        grad = rng.integers(1, 10, size=out).astype(float)
        cases.append(Case((grad, x, k, s), case.description + ", integer gradients"))
    return cases


# --- max_pool_with_indices -------------------------------------------------------------------


def _max_with_indices(x, kernel_size, stride):
    return max_pool2d(x, kernel_size, stride, return_indices=True)


def _max_pool_with_indices_model(x, kernel_size, stride):
    x = np.asarray(x)
    height, width = x.shape
    out_h = (height - kernel_size) // stride + 1  # windows that fit entirely: floor
    out_w = (width - kernel_size) // stride + 1
    values = np.zeros((out_h, out_w), dtype=x.dtype)
    indices = np.zeros((out_h, out_w), dtype=np.int64)
    for y in range(out_h):
        for x_out in range(out_w):
            top, left = y * stride, x_out * stride
            window = x[top : top + kernel_size, left : left + kernel_size]
            i, j = divmod(int(np.argmax(window)), kernel_size)  # the first maximum
            values[y, x_out] = window[i, j]
            indices[y, x_out] = (top + i) * width + (left + j)  # flat index in the map
    return values, indices


def _pair_problem(output, expected, args):
    if not isinstance(output, tuple | list) or len(output) != 2:
        return (
            f"it returned {type_name(output)}, not a pair (values, indices)"
            if not isinstance(output, tuple | list)
            else f"it returned {len(output)} things, not a pair (values, indices)"
        )
    values, indices = output
    problem = array_problem(values, expected[0])
    if problem and problem.startswith("the values are right, but the dtype is"):
        dtype = np.asarray(values).dtype
        return f"the values are right, but their dtype is {dtype}: they keep x's dtype"
    if problem:
        return "the values are wrong: " + problem
    if isinstance(indices, np.ndarray) and indices.dtype.kind not in "iu":
        return (
            f"the values are right, but the indices have dtype {indices.dtype}: indices "
            "are integers"
        )
    problem = array_problem(indices, expected[1])
    if problem:
        return "the values are right but the indices are wrong: " + problem
    return None


def _swapped(output, x, k, s):
    """(indices, values): the pair in the wrong order."""
    if not isinstance(output, tuple | list) or len(output) != 2:
        return False
    values, indices = _max_with_indices(x, k, s)
    return same_values(np.asarray(output[0]), indices) and same_values(
        np.asarray(output[1]), values
    )


def _pair_test(gives):
    """A Mistake test: ``output`` is the pair that ``gives(*args)`` returns."""

    def test(output, *args):
        if not isinstance(output, tuple | list) or len(output) != 2:
            return False
        mistaken = gives(*args)
        return same_values(np.asarray(output[0]), mistaken[0]) and same_values(
            np.asarray(output[1]), mistaken[1]
        )

    return test


def _last_tie(x, k, s):
    """Max pooling whose ties go to the last maximum in row-major order."""
    values = max_pool2d(x, k, s)
    indices = np.zeros(values.shape, dtype=np.int64)
    for y in range(values.shape[0]):
        for c in range(values.shape[1]):
            window = x[y * s : y * s + k, c * s : c * s + k].ravel()
            i, j = divmod(k * k - 1 - int(np.argmax(window[::-1])), k)
            indices[y, c] = (y * s + i) * x.shape[1] + c * s + j
    return values, indices


def _window_indices(x, k, s):
    values, indices = max_pool2d(x, k, s, return_indices=True)
    rows, cols = np.divmod(indices, x.shape[1])
    top = np.arange(values.shape[0])[:, None] * s
    left = np.arange(values.shape[1])[None, :] * s
    return values, (rows - top) * k + (cols - left)


def _column_major(x, k, s):
    values, indices = max_pool2d(x, k, s, return_indices=True)
    rows, cols = np.divmod(indices, x.shape[1])
    return values, cols * x.shape[0] + rows


def _row_col_pairs(output, x, k, s):
    """Indices given as (row, column) pairs: an extra axis of length 2."""
    if not isinstance(output, tuple | list) or len(output) != 2:
        return False
    indices = np.asarray(output[1])
    rows, cols = np.divmod(max_pool2d(x, k, s, return_indices=True)[1], x.shape[1])
    return indices.shape == (*rows.shape, 2) and (
        np.array_equal(indices, np.stack([rows, cols], -1))
    )


def _stride_one(x, k, s):
    if s == 1:
        raise ValueError("stride 1 already")
    return max_pool2d(x, k, 1, return_indices=True)


def _ceil(x, k, s):
    floor = max_pool2d(x, k, s, return_indices=True)
    ceil = max_pool2d(x, k, s, ceil_mode=True, return_indices=True)
    if ceil[0].shape == floor[0].shape:
        raise ValueError("ceil mode changes nothing here")
    return ceil


max_pool_with_indices = FunctionExercise(
    "max_pool_with_indices",
    "ch4-ex-max-indices",
    reference=_max_with_indices,
    model=_max_pool_with_indices_model,
    make_cases=_forward_cases,
    problem=_pair_problem,
    mistakes=[
        Mistake(
            "values and indices swapped",
            "return the pair in the order (values, indices), as "
            "torch.nn.functional.max_pool2d(..., return_indices=True) does.",
            test=_swapped,
        ),
        Mistake(
            "ties go to the last maximum",
            "when several pixels of a window share the maximum, PyTorch (and lib) report "
            "the first in row-major order (top row first, left to right); keep the first, "
            "e.g. with np.argmax, or compare with > rather than >=.",
            test=_pair_test(_last_tie),
        ),
        Mistake(
            "indices inside the window",
            "your indices count within each window (0 to k * k - 1). PyTorch's index is the "
            "maximum's place in the whole map: row * W + column.",
            test=_pair_test(_window_indices),
        ),
        Mistake(
            "indices counted column by column",
            "your index is column * H + row. PyTorch flattens row by row: row * W + column.",
            test=_pair_test(_column_major),
        ),
        Mistake(
            "indices as (row, column) pairs",
            "return one flat index per output, row * W + column, as PyTorch does; "
            "np.ravel_multi_index or divmod convert between the two.",
            test=_row_col_pairs,
        ),
        Mistake(
            "stride ignored",
            "your windows move one pixel at a time; they must move by stride: window (y, c) "
            "starts at row y * stride and column c * stride.",
            test=_pair_test(_stride_one),
        ),
        Mistake(
            "ceil instead of floor",
            "your output keeps a last, partial window. Without ceil_mode the number of "
            "windows is floor((H - k) / stride) + 1: only windows that fit entirely.",
            test=_pair_test(_ceil),
        ),
    ],
    hints=[
        "The output has floor((H - k) / stride) + 1 rows, and likewise columns; values "
        "keep x's dtype. Output (y, c) is the max of the window "
        "x[y * stride : y * stride + k, c * stride : c * stride + k] (c, not x: x is the map).",
        "np.argmax(window) gives the first maximum's position in the flattened window; "
        "divmod(that, k) turns it into (i, j) inside the window.",
        "The index PyTorch reports is the maximum's place in the whole map: "
        "(y * stride + i) * W + (c * stride + j). Return (values, indices).",
    ],
)


# --- max_pool_backward -----------------------------------------------------------------------


def _max_backward(grad_output, x, kernel_size, stride):
    return max_pool2d_grad(grad_output, x, kernel_size, stride)


def _max_pool_backward_model(grad_output, x, kernel_size, stride):
    x = np.asarray(x)
    grad_input = np.zeros(x.shape, dtype=float)
    out_h, out_w = np.shape(grad_output)
    for y in range(out_h):
        for x_out in range(out_w):
            top, left = y * stride, x_out * stride
            window = x[top : top + kernel_size, left : left + kernel_size]
            i, j = divmod(int(np.argmax(window)), kernel_size)  # the first maximum wins
            # += and not =: a pixel that wins several overlapping windows collects them all.
            grad_input[top + i, left + j] += grad_output[y, x_out]
    return grad_input


def _assigned(grad_output, x, k, s):
    """Gradients written with = instead of +=: the last window a pixel wins overwrites."""
    _, indices = max_pool2d(x, k, s, return_indices=True)
    grad = np.zeros(x.size)
    grad[indices.ravel()] = grad_output.ravel()  # NumPy keeps the last write
    if np.allclose(grad.reshape(x.shape), _max_backward(grad_output, x, k, s)):
        raise ValueError("no pixel wins two windows here")
    return grad.reshape(x.shape)


def _to_every_tie(grad_output, x, k, s):
    values = max_pool2d(x, k, s)
    grad = np.zeros(x.shape)
    for y in range(values.shape[0]):
        for c in range(values.shape[1]):
            window = x[y * s : y * s + k, c * s : c * s + k]
            grad[y * s : y * s + k, c * s : c * s + k] += (window == values[y, c]) * grad_output[
                y, c
            ]
    return grad


def _split_between_ties(grad_output, x, k, s):
    values = max_pool2d(x, k, s)
    grad = np.zeros(x.shape)
    for y in range(values.shape[0]):
        for c in range(values.shape[1]):
            window = x[y * s : y * s + k, c * s : c * s + k]
            tied = window == values[y, c]
            grad[y * s : y * s + k, c * s : c * s + k] += tied * grad_output[y, c] / tied.sum()
    return grad


def _last_tie_grad(grad_output, x, k, s):
    _, indices = _last_tie(x, k, s)
    grad = np.zeros(x.size)
    np.add.at(grad, indices.ravel(), grad_output.ravel())
    return grad.reshape(x.shape)


def _spread(grad_output, x, k, s):
    return avg_pool2d_grad(grad_output, x.shape, k, s)


def _not_spread(grad_output, x, k, s):
    return avg_pool2d_grad(grad_output, x.shape, k, s) * k * k


max_pool_backward = FunctionExercise(
    "max_pool_backward",
    "ch4-ex-max-backward",
    reference=_max_backward,
    model=_max_pool_backward_model,
    make_cases=_grad_cases,
    mistakes=[
        Mistake(
            "gradient spread like average pooling",
            "you shared each output's gradient over its whole window. Only the pixel that "
            "won the max affected the output: it gets all of the gradient, the others none.",
            _spread,
        ),
        Mistake(
            "gradient copied to the whole window",
            "every pixel of the window got the output's whole gradient. Only the pixel "
            "that won the max gets it.",
            _not_spread,
        ),
        Mistake(
            "gradient to every tied maximum",
            "when a window's maximum is tied, only the pixel that max pooling reports (the "
            "first in row-major order) gets the gradient; you gave it to all of them, "
            "which counts it several times.",
            _to_every_tie,
        ),
        Mistake(
            "gradient split between tied maxima",
            "splitting the gradient between tied pixels is a subgradient too, but it is "
            "not what PyTorch (or lib) computes: the first maximum in row-major order "
            "gets all of it.",
            _split_between_ties,
        ),
        Mistake(
            "ties go to the last maximum",
            "among tied pixels, the first in row-major order wins (np.argmax's choice), "
            "not the last.",
            _last_tie_grad,
        ),
        Mistake(
            "= instead of +=",
            "when windows overlap, one pixel can win several of them, and its gradient is "
            "the sum of theirs; writing with = keeps only the last.",
            _assigned,
        ),
    ],
    hints=[
        "The gradient has the input's shape and starts at zero. Each output (y, c) sends "
        "its gradient grad_output[y, c] to one pixel of its window.",
        "That pixel is the window's first maximum: np.argmax of the window, as in the "
        "previous exercise.",
        "Windows overlap when stride < kernel_size: add with +=, so that a pixel that "
        "wins two windows gets both gradients.",
    ],
)


# --- avg_pool_backward -----------------------------------------------------------------------


def _avg_backward(grad_output, input_shape, kernel_size, stride):
    return avg_pool2d_grad(grad_output, input_shape, kernel_size, stride)


def _avg_pool_backward_model(grad_output, input_shape, kernel_size, stride):
    grad_input = np.zeros(input_shape, dtype=float)
    out_h, out_w = np.shape(grad_output)
    for y in range(out_h):
        for c in range(out_w):
            top, left = y * stride, c * stride
            # Each of the k * k pixels weighs 1 / (k * k) in the mean: it gets that share.
            share = grad_output[y, c] / (kernel_size * kernel_size)
            grad_input[top : top + kernel_size, left : left + kernel_size] += share
    return grad_input


def _avg_cases(rng, hidden):
    """The max-pooling gradient's cases, with the input's shape in place of the input."""
    cases = []
    for case in _grad_cases(rng, hidden):
        grad, x, k, s = case.args
        description = f"a {x.shape[0]}x{x.shape[1]} input, {k}x{k} windows, stride {s}"
        cases.append(Case((grad, x.shape, k, s), description))
    return cases


def _one_pixel(output, grad_output, input_shape, k, s):
    """Each window's gradient sent to one pixel: at most one nonzero per output."""
    if k == 1:
        raise ValueError("a 1x1 window is one pixel")
    return (
        isinstance(output, np.ndarray)
        and output.shape == tuple(input_shape)
        and np.count_nonzero(output) <= grad_output.size
        and np.isclose(output.sum(), grad_output.sum())
    )


def _avg_assigned(grad_output, input_shape, k, s):
    if s >= k:
        raise ValueError("windows do not overlap")
    grad = np.zeros(input_shape)
    for y in range(grad_output.shape[0]):
        for x in range(grad_output.shape[1]):
            grad[y * s : y * s + k, x * s : x * s + k] = grad_output[y, x] / (k * k)
    return grad


avg_pool_backward = FunctionExercise(
    "avg_pool_backward",
    "ch4-ex-avg-backward",
    reference=_avg_backward,
    model=_avg_pool_backward_model,
    make_cases=_avg_cases,
    mistakes=[
        Mistake(
            "not divided by the window's size",
            "each pixel weighs 1 / (k * k) in its window's mean, so it gets that share of "
            "the gradient: divide by k * k.",
            lambda g, shape, k, s: avg_pool2d_grad(g, shape, k, s) * k * k,
        ),
        Mistake(
            "divided by k, not k * k",
            "a k x k window holds k * k pixels: divide by k * k.",
            lambda g, shape, k, s: avg_pool2d_grad(g, shape, k, s) * k,
        ),
        Mistake(
            "gradient to one pixel",
            "you sent each window's gradient to a single pixel, as max pooling does. Every "
            "pixel of the window took part in the mean: share it among all of them.",
            test=_one_pixel,
        ),
        Mistake(
            "= instead of +=",
            "when windows overlap, a pixel sits in several of them and collects a share "
            "from each; writing with = keeps only the last.",
            _avg_assigned,
        ),
    ],
    hints=[
        "The gradient has shape input_shape and starts at zero; pixels outside every "
        "window keep 0.",
        "Output (y, c) is the mean of k * k pixels, so each of them gets "
        "grad_output[y, c] / (k * k).",
        "Add that share to grad_input[y * stride : y * stride + k, c * stride : c * stride + k] "
        "with +=, because windows can overlap.",
    ],
)


# --- avg_pool_exclude_pad ---------------------------------------------------------------------


def _avg_exclude_pad(x, kernel_size, stride, padding):
    return avg_pool2d(x, kernel_size, stride, padding, count_include_pad=False)


def _avg_pool_exclude_pad_model(x, kernel_size, stride, padding):
    x = np.asarray(x, dtype=float)
    padded = np.pad(x, padding)  # zeros around the map
    inside = np.pad(np.ones_like(x), padding)  # 1 on the map, 0 on the padding
    out_h = (x.shape[0] + 2 * padding - kernel_size) // stride + 1
    out_w = (x.shape[1] + 2 * padding - kernel_size) // stride + 1
    out = np.zeros((out_h, out_w))
    for y in range(out_h):
        for c in range(out_w):
            rows = slice(y * stride, y * stride + kernel_size)
            cols = slice(c * stride, c * stride + kernel_size)
            # The zeros add nothing to the sum; the divisor counts the map's cells only.
            out[y, c] = padded[rows, cols].sum() / inside[rows, cols].sum()
    return out


def _exclude_pad_cases(rng, hidden):
    """Maps with zeros of their own (integers) and without (floats), padding 0 to k // 2."""
    geometries = [
        ((6, 6), 3, 2, 1, True),
        ((5, 7), 2, 1, 1, False),
        ((7, 5), 4, 3, 2, True),
        ((3, 3), 3, 3, 1, False),  # one window, 4 of its 9 cells in the map
        ((4, 9), 2, 3, 0, True),  # no padding: nothing to exclude
        ((1, 8), 3, 1, 1, True),  # one row: every window hangs over the padding
    ]
    cases = []
    if hidden:
        geometries = geometries[4:]
        for _ in range(8):
            k = int(rng.integers(1, 5))
            p, s = int(rng.integers(0, k // 2 + 1)), int(rng.integers(1, 4))
            low = max(1, k - 2 * p)  # the padded map must hold one window
            height, width = (int(n) for n in rng.integers(low, 11, size=2))
            geometries.append(((height, width), k, s, p, bool(rng.integers(2))))
    else:
        x5 = np.arange(1, 26).reshape(5, 5)
        ones = "the chapter's 4x4 map of ones, 2x2 windows, stride 2, padding 1"
        cases.append(Case((np.ones((4, 4)), 2, 2, 1), ones))
        cases.append(Case((x5, 3, 1, 1), "the 5x5 map 1 to 25, 3x3 windows, stride 1, padding 1"))
    for shape, k, s, p, ties in geometries:
        x = _map(rng, shape, ties)
        cases.append(Case((x, k, s, p), _describe(x, k, s) + f", padding {p}"))
    return cases


def _zeros_counted(x, k, s, p):
    if p == 0:
        raise ValueError("no padding to count")
    return avg_pool2d(x, k, s, p)


def _padding_ignored(x, k, s, p):
    if p == 0:
        raise ValueError("no padding to ignore")
    return avg_pool2d(x, k, s, 0)


def _exclude_pad_stride_one(x, k, s, p):
    if s == 1:
        raise ValueError("stride 1 already")
    return avg_pool2d(x, k, 1, p, count_include_pad=False)


def _nonzero_counted(x, k, s, p):
    """Each sum divided by the window's nonzero cells: the map's own zeros drop out too."""
    sums = avg_pool2d(x, k, s, p, divisor_override=1)
    counts = avg_pool2d((np.asarray(x) != 0).astype(float), k, s, p, divisor_override=1)
    if np.any(counts == 0):
        raise ValueError("a window of zeros only: a division by zero")
    return sums / counts


avg_pool_exclude_pad = FunctionExercise(
    "avg_pool_exclude_pad",
    "ch4-ex-avg-exclude-pad",
    reference=_avg_exclude_pad,
    model=_avg_pool_exclude_pad_model,
    make_cases=_exclude_pad_cases,
    mistakes=[
        Mistake(
            "padding zeros counted",
            "you divided every window by k * k, which is count_include_pad=True. Here the "
            "padding cells do not count: divide by the number of the window's cells that "
            "lie in the map.",
            _zeros_counted,
        ),
        Mistake(
            "padding ignored",
            "your output has the size of a pooling without padding. Pad the map with "
            "`padding` zeros on every side first: the first window then starts `padding` "
            "cells above and to the left of the map.",
            _padding_ignored,
        ),
        Mistake(
            "stride ignored",
            "your windows move one pixel at a time; window (y, c) starts at row y * stride "
            "and column c * stride of the padded map.",
            _exclude_pad_stride_one,
        ),
        Mistake(
            "the map's own zeros not counted",
            "you counted the nonzero cells of each window, so a zero of the map itself left "
            "the divisor too. Count the cells that lie in the map, whatever their values: "
            "pad a map of ones the same way and sum it over the window.",
            _nonzero_counted,
        ),
    ],
    hints=[
        "Pad x with zeros, padding on every side (np.pad(x, padding)). Pad a map of ones "
        "the same way: it is 1 where a cell lies in the map and 0 on the padding.",
        "The output has (H + 2 * padding - k) // stride + 1 rows, and likewise columns. "
        "Output (y, c) reads rows y * stride to y * stride + k - 1 of the padded map, and "
        "columns c * stride to c * stride + k - 1.",
        "Divide the window's sum in the padded map by its sum in the padded map of ones. "
        "Return floats, even for an integer map.",
    ],
)


#: Every exercise of the chapter, in the order of the chapter. The grader reads this.
EXERCISES = (
    max_by_hand,
    ceil_sizes,
    max_pool_with_indices,
    max_pool_backward,
    avg_pool_backward,
    avg_pool_exclude_pad,
)

#: ``ex.progress()``: every exercise of the chapter checked again, one line each.
progress = make_progress(EXERCISES, 4)
