"""Checkers for chapter 2, "Padding, stride and dilation".

In the chapter::

    from lib.exercises import chapter2 as ex

    ex.predicted_sizes.check(predicted_sizes)        # sizes predicted by hand
    ex.lenet_padding.check(lenet_padding)            # a padding found by hand
    ex.conv_output_size.check(conv_output_size)      # functions to implement
    ex.tf_same_padding.check(tf_same_padding)
    ex.blog_convention.check(blog_convention)        # a convention bug, spotted
    ex.unread_pixels.check(unread_pixels)

Each exercise also has ``hint()`` (one more hint per call) and ``solution()``. The
references are :func:`lib.output_size`, :func:`lib.shapes.same_padding` and
:func:`lib.shapes.unread_positions`, which are tested against PyTorch.

Examples
--------
>>> result = lenet_padding.check(4)
lenet_padding: incorrect. Padding counted in total: 4 is the padding of both sides
    together; PyTorch's padding argument counts one side, so the answer is half of it.
>>> def rounded_up(n, kernel_size, stride=1, padding=0, dilation=1):
...     return -(-(n + 2 * padding - dilation * (kernel_size - 1) - 1) // stride) + 1
>>> result = conv_output_size.check(rounded_up)
conv_output_size: incorrect. Ceil instead of floor: a window must fit entirely, so the
    division rounds down; a last, partial window does not count (unless ceil_mode is
    asked, as some pooling layers allow). (Seen on n = 10, k = 3, s = 3.)
    ex.conv_output_size.hint() gives a hint.
"""

import numbers

import numpy as np

from lib.exercises.checker import (
    Case,
    FunctionExercise,
    Mistake,
    ValueExercise,
    make_progress,
    show,
    type_name,
)
from lib.exercises.data import BLOG_K, BLOG_N, BLOG_P, BLOG_S, PREDICT_LAYERS
from lib.shapes import output_size, same_padding, unread_positions


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_)


def _ints(count, what):
    """A normaliser: an answer of ``count`` whole numbers, as a tuple."""

    def normalise(value):
        if isinstance(value, np.ndarray):
            value = value.tolist()
        if _is_int(value):
            raise ValueError(f"Answer {count} numbers, {what}, not one number.")
        if not isinstance(value, tuple | list) or len(value) != count:
            raise ValueError(f"Answer a tuple of {count} numbers, {what}; got {show(value)}.")
        if not all(_is_int(v) for v in value):
            raise ValueError("Answer whole numbers (an output size or a padding counts positions).")
        return tuple(int(v) for v in value)

    return normalise


def _layer_text(n, k, s=1, p=0, d=1):
    text = f"n = {n}, k = {k}"
    text += f", s = {s}" if s != 1 else ""
    text += f", p = {p}" if p else ""
    text += f", d = {d}" if d != 1 else ""
    return text


# --- predicted_sizes -----------------------------------------------------------------------


def _sizes(rule):
    return tuple(rule(*layer) for layer in PREDICT_LAYERS)


def _floor_rule(n, k, s, p, d):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


_PREDICTED = _sizes(output_size)

predicted_sizes = ValueExercise(
    "predicted_sizes",
    "ch2-ex-predicted-sizes",
    answer=_PREDICTED,
    normalise=_ints(4, "one output size per layer"),
    mistakes={
        _sizes(lambda n, k, s, p, d: -(-(n + 2 * p - d * (k - 1) - 1) // s) + 1): (
            "ceil instead of floor",
            "a window must fit entirely inside the padded input, so the division rounds "
            "down: a last, partial window does not count.",
        ),
        _sizes(lambda n, k, s, p, d: (n + 2 * p - d * (k - 1) - 1) // s): (
            "the + 1 is missing",
            "(n + 2p - span) / s counts the steps between windows; the first window adds one.",
        ),
        _sizes(lambda n, k, s, p, d: (n + 2 * p - k) // s + 1): (
            "dilation ignored",
            "a kernel of k taps with dilation d spans d(k - 1) + 1 input positions.",
        ),
        _sizes(lambda n, k, s, p, d: (n + 2 * p - (d + 1) * (k - 1) - 1) // s + 1): (
            "dilation counted as gaps",
            "in PyTorch's convention d = 1 is an ordinary kernel and d = 2 leaves one gap "
            "between taps; d is the spacing, not the number of gaps.",
        ),
        _sizes(lambda n, k, s, p, d: (n + 2 * p - (d + (d > 1)) * (k - 1) - 1) // s + 1): (
            "dilation counted as gaps",
            "d = 2 leaves one gap between taps, so a 3-tap kernel spans 2 * (3 - 1) + 1 = 5 "
            "positions, not 7: d is the spacing, not the number of gaps.",
        ),
    },
    hints=[
        "out = floor((n + 2p - d(k - 1) - 1) / s) + 1, with p counted per side.",
        "Work out the span d(k - 1) + 1 first, then the room n + 2p - span, then divide by "
        "s and round down, then add 1.",
        "The third layer: (10 - 3) / 3 = 2.33, rounded down to 2, plus 1. The fourth: the "
        "dilated kernel spans 2 * 2 + 1 = 5 positions.",
    ],
    explanation=(
        "out = floor((n + 2p - d(k - 1) - 1) / s) + 1 for each layer:\n"
        "  n = 32, k = 5:              (32 - 5) / 1 + 1 = 28\n"
        "  n = 28, k = 3, s = 2, p = 1: floor((28 + 2 - 3) / 2) + 1 = 13 + 1 = 14\n"
        "  n = 10, k = 3, s = 3:        floor((10 - 3) / 3) + 1 = 2 + 1 = 3"
        " (the last pixel is never read)\n"
        "  n = 9, k = 3, d = 2:         span 5, (9 - 5) / 1 + 1 = 5\n\n"
        f"predicted_sizes = {_PREDICTED!r}"
    ),
)


# --- lenet_padding -------------------------------------------------------------------------


def _padding(value):
    """A padding as nn.Conv2d takes it: an int, a pair (rows, columns) of the same value
    (the image is square), or "same" and "valid", which PyTorch turns into numbers."""
    if isinstance(value, str):
        if value in ("same", "valid"):
            return (5 - 1) // 2 if value == "same" else 0  # a 5x5 kernel, stride 1
        raise ValueError(f"Answer a number of pixels per side, or 'same'; got {show(value)}.")
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, tuple | list) and len(value) == 2:
        rows, columns = (_padding(v) for v in value)
        if rows != columns:
            raise ValueError(
                f"The image is square: the rows and the columns need the same padding; "
                f"got {show(value)}."
            )
        return rows
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not _is_int(value):
        raise ValueError(f"Answer one whole number of pixels per side, not {show(value)}.")
    return int(value)


lenet_padding = ValueExercise(
    "lenet_padding",
    "ch2-ex-lenet-padding",
    answer=2,
    normalise=_padding,
    mistakes={
        4: (
            "padding counted in total",
            "4 is the padding of both sides together; PyTorch's padding argument counts one "
            "side, so the answer is half of it.",
        ),
        0: ("no padding", "without padding a 5x5 kernel shrinks 28 to 24."),
        5: ("the kernel's size", "the padding that keeps the size is (k - 1) / 2 per side."),
        3: (
            "padding one too many",
            "with p = 3, 28 + 6 - 5 + 1 = 30: the output grows. (k - 1) / 2 per side keeps "
            "the size.",
        ),
        1: (
            "padding one too few",
            "with p = 1, 28 + 2 - 5 + 1 = 26. (k - 1) / 2 per side keeps the size.",
        ),
    },
    hints=[
        "You want 28 + 2p - 5 + 1 = 28.",
        "Solve for p: 2p = 5 - 1.",
        "p counts one side, as PyTorch's padding argument does.",
    ],
    explanation=(
        "28 + 2p - 5 + 1 = 28 gives 2p = 4: two rows of zeros above and below, two "
        "columns left and right. This is what LeNet-5's 32x32 input does to a 28x28 digit.\n"
        "(padding=(2, 2) and padding='same' say the same to nn.Conv2d.)\n\n"
        "lenet_padding = 2"
    ),
)


# --- conv_output_size ----------------------------------------------------------------------


def _conv_output_size_model(n, kernel_size, stride=1, padding=0, dilation=1):
    span = dilation * (kernel_size - 1) + 1  # input positions the kernel covers
    room = n + 2 * padding - span  # how far the window can move past its first place
    return room // stride + 1  # floor: a last, partial window does not count


def _reference_size(n, kernel_size, stride=1, padding=0, dilation=1):
    return output_size(n, kernel_size, stride, padding, dilation)


def _size_cases(rng, hidden):
    """Cases: LeNet-5's C1 and S2, exact and inexact divisions, padding, dilation, a 1x1
    kernel and a kernel as large as the padded input."""
    layers = [
        (32, 5, 1, 0, 1),
        (28, 2, 2, 0, 1),
        (10, 3, 3, 0, 1),
        (28, 3, 2, 1, 1),
        (9, 3, 1, 0, 2),
        (7, 3, 2, 1, 3),
        (5, 1, 1, 0, 1),
        (3, 5, 1, 1, 1),
        (12, 4, 3, 2, 2),
    ]
    if hidden:
        layers = layers[2:]
        while len(layers) < 20:
            n, k, s, p, d = (int(v) for v in rng.integers([1, 1, 1, 0, 1], [40, 7, 5, 4, 4]))
            if n + 2 * p >= d * (k - 1) + 1:
                layers.append((n, k, s, p, d))
    return [Case(layer, _layer_text(*layer)) for layer in layers]


def _number_problem(output, expected, args):
    if isinstance(output, float | np.floating) and not float(output).is_integer():
        return (
            f"it returned {float(output)!r}, not a whole number: round the division down "
            "(// in Python)"
        )
    if not _is_int(output) and not isinstance(output, float | np.floating):
        return f"it returned {type_name(output)}, not an int"
    if output != expected:
        return "the output size is wrong"
    if not _is_int(output):
        return f"the value is right, but it is {type_name(output)}: return an int (use //)"
    return None


def _size_mistake(name, explanation, rule):
    def test(output, *args):
        return _is_int(output) and int(output) == rule(*args)

    return Mistake(name, explanation, test=test)


def _args(n, kernel_size, stride=1, padding=0, dilation=1):
    return n, kernel_size, stride, padding, dilation


conv_output_size = FunctionExercise(
    "conv_output_size",
    "ch2-ex-conv-output-size",
    reference=_reference_size,
    model=_conv_output_size_model,
    make_cases=_size_cases,
    problem=_number_problem,
    mistakes=[
        Mistake(
            "division not rounded",
            "/ gives a fraction when the stride does not divide n + 2p - span evenly, and "
            "a float even when it does; a window must fit entirely, so round down with //.",
            test=lambda output, n, k, s, p, d: (
                isinstance(output, float | np.floating)
                and bool(np.isclose(output, (n + 2 * p - d * (k - 1) - 1) / s + 1))
            ),
        ),
        _size_mistake(
            "ceil instead of floor",
            "a window must fit entirely, so the division rounds down; a last, partial "
            "window does not count (unless ceil_mode is asked, as some pooling layers "
            "allow).",
            lambda n, k, s, p, d: -(-(n + 2 * p - d * (k - 1) - 1) // s) + 1,
        ),
        _size_mistake(
            "the + 1 is missing",
            "(n + 2p - span) // s counts the steps between windows; the first window adds one.",
            lambda n, k, s, p, d: (n + 2 * p - d * (k - 1) - 1) // s,
        ),
        _size_mistake(
            "padding counted once",
            "padding zeros go on each side: the padded input has n + 2 * padding positions.",
            lambda n, k, s, p, d: (n + p - d * (k - 1) - 1) // s + 1,
        ),
        _size_mistake(
            "dilation ignored",
            "with dilation d, the kernel's k taps span d * (k - 1) + 1 input positions.",
            lambda n, k, s, p, d: (n + 2 * p - k) // s + 1,
        ),
        _size_mistake(
            "dilation counted as gaps",
            "dilation=1 is an ordinary kernel (PyTorch's convention): the span is "
            "d * (k - 1) + 1, not (d + 1) * (k - 1) + 1.",
            lambda n, k, s, p, d: (n + 2 * p - (d + 1) * (k - 1) - 1) // s + 1,
        ),
        _size_mistake(
            "stride ignored",
            "the room n + 2p - span counts positions; with stride s the window jumps s of "
            "them at a time, so divide it by the stride (rounding down) before adding 1.",
            lambda n, k, s, p, d: n + 2 * p - d * (k - 1) - 1 + 1,
        ),
        _size_mistake(
            "padding ignored",
            "padding adds positions on each side: the padded input has n + 2 * padding of them.",
            lambda n, k, s, p, d: (n - d * (k - 1) - 1) // s + 1,
        ),
        _size_mistake(
            "stride applied to the + 1",
            "divide the room n + 2p - span by the stride, then add 1 for the first window; "
            "(room + 1) // s divides the first window too.",
            lambda n, k, s, p, d: (n + 2 * p - d * (k - 1)) // s,
        ),
    ],
    hints=[
        "Count the places where the window's first tap can go: 0, s, 2s, ... as long as "
        "the whole window fits inside the padded input.",
        "The padded input has n + 2 * padding positions; the dilated kernel covers "
        "dilation * (kernel_size - 1) + 1 of them.",
        "The window can move n + 2 * padding - span positions past its first place; every "
        "stride positions is one more window. Round that division down, then count the "
        "first window too.",
    ],
)


# --- tf_same_padding -----------------------------------------------------------------------


def _tf_same_padding_model(n, kernel_size, stride):
    outputs = -(-n // stride)  # ceil(n / stride): what "same" promises
    needed = (outputs - 1) * stride + kernel_size  # input positions those windows cover
    total = max(needed - n, 0)  # never negative: extra input is simply not read
    before = total // 2
    return (before, total - before)  # the odd pixel goes after: bottom or right


def _tf_reference(n, kernel_size, stride):
    return same_padding(n, kernel_size, stride, convention="tensorflow")


def _tf_cases(rng, hidden):
    """Cases: stride 1 with odd and even kernels, stride 2 on odd and even sizes, a total
    that would be negative, a kernel larger than the stride and one smaller."""
    triples = [
        (5, 3, 1),
        (6, 4, 1),
        (7, 3, 2),
        (8, 3, 2),
        (8, 4, 2),
        (8, 1, 2),
        (10, 5, 3),
        (11, 2, 3),
    ]
    if hidden:
        triples = triples[1:]
        while len(triples) < 20:
            triples.append(tuple(int(v) for v in rng.integers([1, 1, 1], [30, 8, 5])))
    return [Case(t, f"n = {t[0]}, k = {t[1]}, s = {t[2]}") for t in triples]


def _pair_problem(output, expected, args):
    if isinstance(output, np.ndarray):
        output = output.tolist()
    if not isinstance(output, tuple | list) or len(output) != 2:
        return f"it returned {type_name(output)}, not a pair (before, after)"
    if not all(_is_int(v) for v in output):
        return "the padding must be two whole numbers (before, after)"
    if tuple(output) != tuple(expected):
        total = sum(output)
        if total != sum(expected):
            return f"the total padding {total} is wrong"
        return "the total is right but it is split wrongly"
    return None


def _pair_mistake(name, explanation, rule):
    def test(output, *args):
        if isinstance(output, np.ndarray):
            output = output.tolist()
        return (
            isinstance(output, tuple | list)
            and len(output) == 2
            and all(_is_int(v) for v in output)
            and tuple(int(v) for v in output) == rule(*args)
        )

    return Mistake(name, explanation, test=test)


def _split(total, first="before"):
    small, large = total // 2, total - total // 2
    return (small, large) if first == "before" else (large, small)


def _tf_total(n, k, s, outputs=None):
    outputs = -(-n // s) if outputs is None else outputs
    return (outputs - 1) * s + k - n


tf_same_padding = FunctionExercise(
    "tf_same_padding",
    "ch2-ex-tf-same-padding",
    reference=_tf_reference,
    model=_tf_same_padding_model,
    make_cases=_tf_cases,
    problem=_pair_problem,
    mistakes=[
        _pair_mistake(
            "extra pixel at the start",
            "when the total is odd, TensorFlow (like PyTorch) puts the extra pixel after "
            "the input, at the bottom or the right: before = total // 2.",
            lambda n, k, s: _split(max(_tf_total(n, k, s), 0), first="after"),
        ),
        _pair_mistake(
            "stride-1 rule for every stride",
            "k - 1 in total keeps the size only for stride 1; with stride s, 'same' means "
            "ceil(n / s) outputs, whose windows need (ceil(n / s) - 1) * s + k positions.",
            lambda n, k, s: _split(k - 1),
        ),
        _pair_mistake(
            "negative padding",
            "when the windows need fewer positions than n, the total is 0, not negative: "
            "take max(total, 0).",
            lambda n, k, s: (_tf_total(n, k, s) // 2, _tf_total(n, k, s) - _tf_total(n, k, s) // 2),
        ),
        _pair_mistake(
            "floor of n / s",
            "'same' promises ceil(n / s) outputs, not floor(n / s).",
            lambda n, k, s: _split(max(_tf_total(n, k, s, n // s), 0)),
        ),
        _pair_mistake(
            "n windows instead of ceil(n / s)",
            "with stride s the output has ceil(n / s) positions, so the windows need "
            "(ceil(n / s) - 1) * s + k input positions.",
            lambda n, k, s: _split(max(_tf_total(n, k, s, n), 0)),
        ),
    ],
    hints=[
        "'Same' with stride s promises ceil(n / s) outputs; in Python, -(-n // s).",
        "Those windows start at 0, s, ..., (out - 1) * s and the last one ends k - 1 "
        "further: they need (out - 1) * s + k input positions. The total padding is what "
        "is missing, and never negative.",
        "Split the total with before = total // 2 and after = total - before.",
    ],
)


# --- blog_convention -----------------------------------------------------------------------

_PER_SIDE = BLOG_P // 2
_TORCH_SIZE = output_size(BLOG_N, BLOG_K, BLOG_S, BLOG_P)

blog_convention = ValueExercise(
    "blog_convention",
    "ch2-ex-blog-convention",
    answer=(_PER_SIDE, _TORCH_SIZE),
    normalise=_ints(2, "(padding per side, torch's output size)"),
    mistakes={
        (BLOG_P, (BLOG_N - BLOG_K + BLOG_P) // BLOG_S + 1): (
            "the blog's numbers",
            "the blog's p counts both sides, and its 4 is the size for padding 1 per side. "
            "Translate p to PyTorch's convention, then apply PyTorch's formula to padding=2.",
        ),
        (_PER_SIDE, (BLOG_N - BLOG_K + BLOG_P) // BLOG_S + 1): (
            "the blog's size",
            f"the padding is right, but {BLOG_P} is what you gave to nn.Conv2d, and PyTorch "
            f"reads it per side: the padded input has {BLOG_N} + 2 * {BLOG_P} positions.",
        ),
        (BLOG_P, _TORCH_SIZE): (
            "padding per side",
            "the size is right, but the blog's p is the total of both sides: per side it "
            "is half of that.",
        ),
    },
    hints=[
        f"The blog's formula (n - k + p) / s + 1 gives 4 with n = {BLOG_N}, k = {BLOG_K}, "
        f"s = {BLOG_S} and p = {BLOG_P}. In PyTorch's formula p appears as 2p.",
        "So the blog's p is the total of both sides. Per side, it is half.",
        f"nn.Conv2d(..., padding={BLOG_P}) puts {BLOG_P} on each side: "
        f"floor(({BLOG_N} + 2 * {BLOG_P} - {BLOG_K}) / {BLOG_S}) + 1.",
    ],
    explanation=(
        f"The blog's (n - k + p) / s + 1 = ({BLOG_N} - {BLOG_K} + {BLOG_P}) / {BLOG_S} + 1 "
        f"= 4 counts p = {BLOG_P} for both sides together: {_PER_SIDE} per side.\n"
        f"PyTorch reads padding={BLOG_P} per side: floor(({BLOG_N} + {2 * BLOG_P} - "
        f"{BLOG_K}) / {BLOG_S}) + 1 = {_TORCH_SIZE}.\n\n"
        f"blog_convention = {(_PER_SIDE, _TORCH_SIZE)!r}"
    ),
)


# --- unread_pixels -------------------------------------------------------------------------


def _unread_pixels_model(n, kernel_size, stride):
    read = np.zeros(n, dtype=bool)
    windows = (n - kernel_size) // stride + 1  # the output size, valid padding
    for w in range(windows):
        start = w * stride
        read[start : start + kernel_size] = True  # the k pixels of window w
    return np.flatnonzero(~read)  # the positions left False


def _unread_reference(n, kernel_size, stride):
    return unread_positions(n, kernel_size, stride)


def _unread_cases(rng, hidden):
    """Cases: gaps and a tail, gaps only, a tail only, every pixel read, a 1-tap kernel."""
    triples = [(7, 2, 3), (9, 2, 3), (8, 3, 2), (10, 3, 3), (6, 3, 1), (10, 1, 4), (5, 5, 2)]
    if hidden:
        triples = triples[1:]
        while len(triples) < 20:
            n, k, s = (int(v) for v in rng.integers([1, 1, 1], [25, 6, 7]))
            if k <= n:
                triples.append((n, k, s))
    return [Case(t, f"n = {t[0]}, k = {t[1]}, s = {t[2]}") for t in triples]


def _as_positions(output):
    """A list or tuple of positions as an array, its dtype kept (an empty one is int)."""
    if isinstance(output, list | tuple):
        try:
            output = np.asarray(output) if len(output) else np.zeros(0, np.int64)
        except (TypeError, ValueError):  # ragged: not a list of positions
            return None
    return output


def _positions_problem(output, expected, args):
    if not isinstance(output, np.ndarray | list | tuple):
        return f"it returned {type_name(output)}, not an array of positions"
    output = _as_positions(output)
    if output is None or output.ndim != 1 or output.dtype.kind not in "biuf":
        return "it returned something other than a flat list of positions (whole numbers)"
    if output.shape != expected.shape:
        return f"it lists {output.size} positions, not {expected.size}"
    if not output.size:
        return None
    if output.dtype.kind != "f" and np.array_equal(output, expected):
        return None if output.dtype.kind in "iu" else "the positions are booleans, not numbers"
    if np.array_equal(np.sort(output), expected):
        if output.dtype.kind == "f":
            return (
                f"the positions are right, but they are floats (dtype {output.dtype}): a "
                "position is a whole number, so return integers"
            )
        return "the positions are right but not in increasing order"
    return "some positions are wrong"


def _positions_mistake(name, explanation, rule):
    def test(output, *args):
        output = _as_positions(output)
        if not isinstance(output, np.ndarray) or output.dtype.kind not in "iu":
            return False
        expected = rule(*args)
        return output.shape == expected.shape and np.array_equal(output, expected)

    return Mistake(name, explanation, test=test)


def _tail_only(n, k, s):
    last = ((n - k) // s) * s + k  # one past the last window's end
    return np.arange(last, n)


def _gaps_only(n, k, s):
    return np.setdiff1d(_unread_reference(n, k, s), _tail_only(n, k, s))


def _ceil_windows(n, k, s):
    read = np.zeros(n, dtype=bool)
    for w in range(-(-(n - k) // s) + 1):
        read[w * s : w * s + k] = True
    return np.flatnonzero(~read)


def _read_ones(n, k, s):
    return np.setdiff1d(np.arange(n), _unread_reference(n, k, s))


def _last_window_dropped(n, k, s):
    read = np.zeros(n, dtype=bool)
    for w in range((n - k) // s):
        read[w * s : w * s + k] = True
    return np.flatnonzero(~read)


unread_pixels = FunctionExercise(
    "unread_pixels",
    "ch2-ex-unread-pixels",
    reference=_unread_reference,
    model=_unread_pixels_model,
    make_cases=_unread_cases,
    problem=_positions_problem,
    mistakes=[
        _positions_mistake(
            "the tail only",
            "you found the pixels after the last window, which the floor drops, but not the "
            "ones a stride larger than the kernel jumps over between windows.",
            _tail_only,
        ),
        _positions_mistake(
            "the gaps only",
            "you found the pixels between windows, but not the ones after the last window: "
            "the floor of the output-size formula drops them.",
            _gaps_only,
        ),
        _positions_mistake(
            "one window too many",
            "a last window that would run past the input does not exist (the formula rounds "
            "down), so the pixels it would read stay unread.",
            _ceil_windows,
        ),
        _positions_mistake(
            "one window too few",
            "there are (n - k) // s + 1 windows: range((n - k) // s) misses the last one.",
            _last_window_dropped,
        ),
        _positions_mistake(
            "the read pixels",
            "you listed the pixels that some window reads; the exercise asks for the others.",
            _read_ones,
        ),
    ],
    hints=[
        "Window w reads pixels w * s to w * s + k - 1; there are (n - k) // s + 1 windows.",
        "Mark every pixel that some window reads in a boolean array of length n, then list "
        "the positions left unmarked.",
        "np.flatnonzero(~read) lists the positions where read is False, in increasing order.",
    ],
)

#: Every exercise of the chapter, in the order of the chapter. The grader reads this.
EXERCISES = (
    predicted_sizes,
    lenet_padding,
    conv_output_size,
    tf_same_padding,
    blog_convention,
    unread_pixels,
)

#: ``ex.progress()``: every exercise of the chapter checked again, one line each.
progress = make_progress(EXERCISES, 2)
