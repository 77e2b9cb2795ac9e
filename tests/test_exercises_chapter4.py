"""The checkers of chapter 4, "Pooling": the answers agree with lib, named mistakes are named.

The generic checks of every exercise (well formed, models pass, stubs not attempted, hidden
cases) are in ``test_chapter_exercises.py``.
"""

import numpy as np
import pytest
from exercise_checks import verdict  # tests/ is on the path

import lib.exercises.chapter4 as ex
from lib import avg_pool2d, avg_pool2d_grad, max_pool2d, max_pool2d_grad


def test_value_answers():
    assert ex.max_by_hand.answer == ((6.0, 8.0), (9.0, 7.0))
    assert ex.ceil_sizes.answer == (4, 4, 3)
    assert len(set(ex.ceil_sizes.mistakes)) == len(ex.ceil_sizes.mistakes)


def test_value_answers_in_other_forms(capsys):
    assert verdict(ex.max_by_hand, np.array([[6, 8], [9, 7]]), capsys).status == "correct"
    assert "shape (2, 2)" in str(verdict(ex.max_by_hand, [6, 8, 9, 7], capsys))
    assert verdict(ex.ceil_sizes, [4, 4, 3], capsys).status == "correct"
    assert "3 sizes" in str(verdict(ex.ceil_sizes, 4, capsys))


# --- every named mistake is recognised by name -------------------------------------------------


def loops(body):
    """A max pooling with indices whose window rule is ``body(window, k) -> (i, j)``."""

    def pool(x, k, s):
        h, w = x.shape
        oh, ow = (h - k) // s + 1, (w - k) // s + 1
        values, indices = np.zeros((oh, ow), x.dtype), np.zeros((oh, ow), np.int64)
        for y in range(oh):
            for c in range(ow):
                window = x[y * s : y * s + k, c * s : c * s + k]
                i, j = body(window, k)
                values[y, c] = window[i, j]
                indices[y, c] = (y * s + i) * w + c * s + j
        return values, indices

    return pool


def last_max(window, k):
    flat = window.ravel()
    return divmod(k * k - 1 - int(np.argmax(flat[::-1])), k)


def window_index(x, k, s):
    values, indices = max_pool2d(x, k, s, return_indices=True)
    rows, cols = np.divmod(indices, x.shape[1])
    return values, (rows - np.arange(values.shape[0])[:, None] * s) * k + (
        cols - np.arange(values.shape[1]) * s
    )


def column_major(x, k, s):
    values, indices = max_pool2d(x, k, s, return_indices=True)
    rows, cols = np.divmod(indices, x.shape[1])
    return values, cols * x.shape[0] + rows


def pairs(x, k, s):
    values, indices = max_pool2d(x, k, s, return_indices=True)
    return values, np.stack(np.divmod(indices, x.shape[1]), -1)


@pytest.mark.parametrize(
    ("answer", "name"),
    [
        (loops(last_max), "Ties go to the last maximum"),
        (window_index, "Indices inside the window"),
        (column_major, "Indices counted column by column"),
        (pairs, "Indices as (row, column) pairs"),
        (lambda x, k, s: max_pool2d(x, k, 1, return_indices=True), "Stride ignored"),
        (
            lambda x, k, s: max_pool2d(x, k, s, ceil_mode=True, return_indices=True),
            "Ceil instead of floor",
        ),
    ],
)
def test_max_pool_with_indices_mistakes(answer, name, capsys):
    result = verdict(ex.max_pool_with_indices, answer, capsys)
    assert result.status == "incorrect" and name in result.message, result.message


def test_max_pool_with_indices_other_answers(capsys):
    values_only = lambda x, k, s: max_pool2d(x, k, s)  # noqa: E731
    assert "not a pair" in str(verdict(ex.max_pool_with_indices, values_only, capsys))
    float_indices = lambda x, k, s: (  # noqa: E731
        max_pool2d(x, k, s),
        max_pool2d(x, k, s, return_indices=True)[1].astype(float),
    )
    assert "dtype float64" in str(verdict(ex.max_pool_with_indices, float_indices, capsys))


def backward(route):
    """A max-pooling backward pass that sends each window's gradient by ``route``."""

    def grad(g, x, k, s):
        out = np.zeros(x.shape)
        for y in range(g.shape[0]):
            for c in range(g.shape[1]):
                window = x[y * s : y * s + k, c * s : c * s + k]
                out[y * s : y * s + k, c * s : c * s + k] += route(window, g[y, c], k)
        return out

    return grad


def one_hot(i, j, k, value):
    share = np.zeros((k, k))
    share[i, j] = value
    return share


def assigned(g, x, k, s):
    out = np.zeros(x.shape)
    for y in range(g.shape[0]):
        for c in range(g.shape[1]):
            window = x[y * s : y * s + k, c * s : c * s + k]
            i, j = divmod(int(np.argmax(window)), k)
            out[y * s + i, c * s + j] = g[y, c]
    return out


@pytest.mark.parametrize(
    ("answer", "name"),
    [
        (
            lambda g, x, k, s: avg_pool2d_grad(g, x.shape, k, s),
            "Gradient spread like average pooling",
        ),
        (backward(lambda w, v, k: np.full((k, k), v)), "Gradient copied to the whole window"),
        (backward(lambda w, v, k: (w == w.max()) * v), "Gradient to every tied maximum"),
        (
            backward(lambda w, v, k: (w == w.max()) * v / (w == w.max()).sum()),
            "Gradient split between tied maxima",
        ),
        (backward(lambda w, v, k: one_hot(*last_max(w, k), k, v)), "Ties go to the last maximum"),
        (assigned, "= instead of +="),
    ],
)
def test_max_pool_backward_mistakes(answer, name, capsys):
    result = verdict(ex.max_pool_backward, answer, capsys)
    assert result.status == "incorrect" and name in result.message, result.message


def avg_assigned(g, shape, k, s):
    out = np.zeros(shape)
    for y in range(g.shape[0]):
        for c in range(g.shape[1]):
            out[y * s : y * s + k, c * s : c * s + k] = g[y, c] / (k * k)
    return out


@pytest.mark.parametrize(
    ("answer", "name"),
    [
        (lambda g, shape, k, s: avg_pool2d_grad(g, shape, k, s) * k * k, "Not divided"),
        (lambda g, shape, k, s: avg_pool2d_grad(g, shape, k, s) * k, "Divided by k, not k * k"),
        (
            lambda g, shape, k, s: max_pool2d_grad(g, np.ones(shape), k, s),
            "Gradient to one pixel",
        ),
        (avg_assigned, "= instead of +="),
    ],
)
def test_avg_pool_backward_mistakes(answer, name, capsys):
    result = verdict(ex.avg_pool_backward, answer, capsys)
    assert result.status == "incorrect" and name in result.message, result.message


def nonzero_counted(x, k, s, p):
    """A student's version that divides by np.count_nonzero of each padded window."""
    padded = np.pad(np.asarray(x, dtype=float), p)
    out = avg_pool2d(padded, k, s) * k * k
    counts = avg_pool2d((padded != 0).astype(float), k, s) * k * k
    with np.errstate(all="ignore"):
        return out / counts  # NaN where a window holds zeros only


def loop_without_padding(x, k, s, p):
    """A student's loop that never pads: its windows start at the map's first row (on a
    map smaller than the window it returns None, and the other cases name the mistake)."""
    return avg_pool2d(x, k, s, 0, count_include_pad=False) if min(np.shape(x)) >= k else None


@pytest.mark.parametrize(
    ("answer", "name"),
    [
        (lambda x, k, s, p: avg_pool2d(x, k, s, p), "Padding zeros counted"),
        (lambda x, k, s, p: avg_pool2d(x, k, 1, p, count_include_pad=False), "Stride ignored"),
        (nonzero_counted, "The map's own zeros not counted"),
        (loop_without_padding, "Padding ignored"),
    ],
)
def test_avg_pool_exclude_pad_mistakes(answer, name, capsys):
    result = verdict(ex.avg_pool_exclude_pad, answer, capsys)
    assert result.status == "incorrect" and name in result.message, result.message


def test_references_are_lib_and_agree_with_the_models():
    x = ex._TIES
    values, indices = ex.max_pool_with_indices.model(x, 2, 2)
    np.testing.assert_array_equal(values, max_pool2d(x, 2))
    np.testing.assert_array_equal(indices, max_pool2d(x, 2, return_indices=True)[1])
    g = np.arange(1.0, 5.0).reshape(2, 2)
    np.testing.assert_allclose(avg_pool2d(np.ones((4, 4)), 2), np.ones((2, 2)))
    np.testing.assert_allclose(
        ex.avg_pool_backward.model(g, (4, 4), 2, 2), avg_pool2d_grad(g, (4, 4), 2)
    )
    x5 = np.arange(1, 26).reshape(5, 5)
    np.testing.assert_allclose(
        ex.avg_pool_exclude_pad.model(x5, 3, 1, 1),
        avg_pool2d(x5, 3, stride=1, padding=1, count_include_pad=False),
    )
