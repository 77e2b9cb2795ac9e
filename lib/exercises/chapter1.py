"""Checkers for chapter 1, "The convolution formula".

In the chapter::

    from lib.exercises import chapter1 as ex

    ex.corner_value.check(corner_value)            # a number worked out by hand
    ex.output_shape.check(output_shape)            # a shape predicted by hand
    ex.cross_correlate2d.check(cross_correlate2d)  # functions to implement
    ex.convolve2d_true.check(convolve2d_true)
    ex.correlate_same.check(correlate_same)
    ex.sobel_magnitude.check(sobel_magnitude)

Each exercise also has ``hint()`` (one more hint per call) and ``solution()``. The
references are :func:`lib.conv2d` and :func:`lib.convolve2d`, which are tested against
PyTorch and SciPy; ``solution()`` shows a readable loop version instead.

Examples
--------
>>> result = corner_value.check(27)
corner_value: correct.
>>> result = cross_correlate2d.check(lambda image, kernel: convolve2d(image, kernel))
cross_correlate2d: incorrect. Kernel flipped: your function computes true convolution,
    which turns the kernel by 180 degrees. Cross-correlation slides the kernel as it is:
    out[y, x] = sum over i, j of image[y + i, x + j] * kernel[i, j]. (Seen on the
    chapter's 5x5 ramp and 3x3 edge kernel.) ex.cross_correlate2d.hint() gives a hint.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from lib.convolution import _result_dtype, conv2d, convolve2d
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
from lib.exercises.data import CORNER_IMAGE, CORNER_KERNEL, SHAPE_IMAGE, SHAPE_KERNEL
from lib.kernels import SOBEL_X, SOBEL_Y

# The exercises' data (CORNER_IMAGE, ...) live in lib.exercises.data, which the grader
# offers to answer cells as ``ex.CORNER_IMAGE`` too, while it hides this module.

# The chapter's worked example: I(y, x) = 5y + x + 1, rising 5 per row and 1 per column
# (the kernel cancels the rise from row to row, which it does not see), and a vertical-edge
# kernel.
_RAMP = np.arange(1, 26).reshape(5, 5)
_EDGE = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]])


# --- cases ----------------------------------------------------------------------------------


def _kind(array):
    if array.dtype == np.uint8:
        return "uint8"
    return "integer" if array.dtype.kind in "iu" else "float"


def _describe(image, kernel=None):
    text = f"a {image.shape[0]}x{image.shape[1]} {_kind(image)} image"
    if kernel is not None:
        kind = f" {_kind(kernel)}" if _kind(kernel) != _kind(image) else ""
        text += f" and a {kernel.shape[0]}x{kernel.shape[1]}{kind} kernel"
    return text


def _photo_cases(rng, hidden):
    """A photograph's pixels (uint8, 0 to 255) with a float blur kernel, with an integer
    edge kernel and with a uint8 crop of the photograph as the kernel (template
    matching): an output in the image's dtype truncates the first and wraps the negative
    values of the second (-5 becomes 251); in the third, np.result_type(image, kernel)
    is uint8 itself, so products and sums wrap (200 * 3 gives 88). (No int8 case: int8
    products wrap too, before any sum, and ``_wraps`` would recognise both outputs, but
    the photograph is uint8 and the uint8 crop already shows the mistake.)"""
    blur, edge = np.full((3, 3), 1 / 9), np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]])
    if hidden:  # kernels of the same kinds: positive floats, integers of both signs
        blur = rng.uniform(0.05, 0.3, size=(3, 3)).round(3)
        edge = _kernel(rng, (3, 3), integer=True)
        edge[0, 0], edge[-1, -1] = -abs(edge[0, 0]) - 1, abs(edge[-1, -1]) + 1
    cases = []
    for shape, kernel in [((6, 7), blur), ((5, 6), edge)]:
        image = rng.integers(0, 256, size=shape).astype(np.uint8)
        cases.append(Case((image, kernel), _describe(image, kernel)))
    image = rng.integers(0, 256, size=(6, 6)).astype(np.uint8)
    y, x = (int(n) for n in rng.integers(0, 4, size=2))  # a 3x3 crop of it, a copy
    crop = image[y : y + 3, x : x + 3].copy()
    cases.append(Case((image, crop), "a 6x6 uint8 image and a 3x3 crop of it as the kernel"))
    return cases


def _image(rng, shape, integer):
    if integer:
        return rng.integers(0, 10, size=shape)
    return rng.normal(size=shape).round(3)


def _kernel(rng, shape, integer):
    """A random kernel that differs from its flips and its transpose, so that each of
    those mistakes changes the result."""
    for _ in range(100):
        kernel = rng.integers(-3, 4, size=shape) if integer else rng.normal(size=shape).round(3)
        variants = []
        if kernel.size > 1:
            variants.append(kernel[::-1, ::-1])
        if shape[0] > 1:
            variants.append(kernel[::-1])
        if shape[1] > 1:
            variants.append(kernel[:, ::-1])
        if shape[0] == shape[1] > 1:
            variants.append(kernel.T)
        if kernel.any() and not any(np.array_equal(kernel, v) for v in variants):
            return kernel
    return kernel


def _case(rng, image_shape, kernel_shape, integer):
    image, kernel = _image(rng, image_shape, integer), _kernel(rng, kernel_shape, integer)
    return Case((image, kernel), _describe(image, kernel))


def _random_shapes(rng, count, odd_kernel=False):
    """``count`` random (image shape, kernel shape, integer) triples, kernels that fit."""
    shapes = []
    for _ in range(count):
        height, width = (int(n) for n in rng.integers(1, 13, size=2))
        if odd_kernel:
            kh = int(rng.choice(range(1, height + 1, 2)))
            kw = int(rng.choice(range(1, width + 1, 2)))
        else:
            kh, kw = int(rng.integers(1, height + 1)), int(rng.integers(1, width + 1))
        shapes.append(((height, width), (kh, kw), bool(rng.integers(2))))
    return shapes


def _valid_cases(rng, hidden):
    """Cases of a valid 2-D correlation or convolution: the chapter's example, a 1x1
    kernel, a kernel as large as the image, non-square shapes, integers and floats."""
    shapes = [
        ((4, 6), (2, 3), True),
        ((5, 5), (1, 1), True),
        ((3, 4), (3, 4), True),
        ((6, 5), (3, 3), False),
        ((1, 7), (1, 3), False),
        ((6, 4), (3, 1), True),
    ]
    cases = [] if hidden else [Case((_RAMP, _EDGE), "the chapter's 5x5 ramp and 3x3 edge kernel")]
    if hidden:
        shapes += [((9, 11), (4, 2), True), ((12, 7), (5, 5), False)]
        shapes += _random_shapes(rng, 6)
    return cases + [_case(rng, *shape) for shape in shapes] + _photo_cases(rng, hidden)


def _same_cases(rng, hidden):
    """Cases of a 'same' correlation: odd kernels, no larger than the image."""
    shapes = [
        ((4, 7), (3, 5), True),
        ((6, 6), (1, 1), False),
        ((3, 3), (3, 3), True),
        ((7, 4), (5, 3), True),
        ((1, 6), (1, 3), False),
    ]
    cases = [] if hidden else [Case((_RAMP, _EDGE), "the chapter's 5x5 ramp and 3x3 edge kernel")]
    if hidden:
        shapes += [((8, 10), (5, 3), False), ((11, 9), (7, 7), True)]
        shapes += _random_shapes(rng, 6, odd_kernel=True)
    return cases + [_case(rng, *shape) for shape in shapes] + _photo_cases(rng, hidden)


def _sobel_cases(rng, hidden):
    """Images for Sobel: an edge, a ramp, random ones, the smallest (3x3) and thin ones."""
    column, height, slopes = 3, 9, (1, 2)
    if hidden:  # the same kinds of image, not the same images
        column, height = int(rng.integers(1, 6)), int(rng.integers(1, 20))
        slopes = tuple(int(n) for n in rng.integers(-3, 4, size=2))
    step = np.zeros((5, 6), dtype=np.int64)
    step[:, column:] = height
    ramp = np.add.outer(slopes[0] * np.arange(6), slopes[1] * np.arange(6))
    cases = [
        Case((step,), "a 5x6 image of a vertical edge"),
        Case((ramp,), "a 6x6 diagonal ramp"),
    ]
    shapes = [((5, 5), True), ((6, 7), False), ((3, 3), True), ((3, 8), False)]
    if hidden:
        for _ in range(6):
            height, width = (int(n) for n in rng.integers(3, 13, size=2))
            shapes.append(((height, width), bool(rng.integers(2))))
    for shape, integer in shapes:
        image = _image(rng, shape, integer)
        cases.append(Case((image,), _describe(image)))
    return cases


# --- mistakes shared by the functions -------------------------------------------------------


def _shape_problem(rule):
    """A problem function that adds ``rule`` (how the output size follows) to a wrong
    shape."""

    def problem(output, expected, args):
        text = array_problem(output, expected)
        if text and text.startswith("the output has shape"):
            text += f" ({rule})"
        return text

    return problem


def _short(reference):
    """The output one row and/or one column short of the right one: a loop that stops
    one window early."""

    def test(output, *args):
        right = reference(*args)
        if not isinstance(output, np.ndarray) or output.ndim != 2:
            return False
        rows, cols = output.shape
        if (rows, cols) == right.shape or rows > right.shape[0] or cols > right.shape[1]:
            return False
        if right.shape[0] - rows > 1 or right.shape[1] - cols > 1:
            return False
        return bool(np.allclose(output, right[:rows, :cols]))

    return test


def _long(reference):
    """The output with one extra row and/or column."""

    def test(output, *args):
        right = reference(*args)
        if not isinstance(output, np.ndarray) or output.ndim != 2:
            return False
        extra = np.subtract(output.shape, right.shape)
        if not (extra.min() >= 0 and extra.max() == 1):
            return False
        return bool(np.allclose(output[: right.shape[0], : right.shape[1]], right))

    return test


def _in_image_dtype(output, image, kernel):
    """The output made in the image's dtype (np.zeros(..., dtype=image.dtype)), where the
    right one has another: a uint8 photograph's results truncated, or wrapped."""
    if _result_dtype(image, kernel) == image.dtype:
        raise ValueError("the image's dtype is the right one here")
    return isinstance(output, np.ndarray) and output.dtype == image.dtype


#: The rule the exercises ask for, in the words of the diagnoses.
_DTYPE_RULE = (
    "Compute integers in int64 (convert the integer arrays, not float ones, with "
    "image.astype(np.int64) and kernel.astype(np.int64)), and floats in "
    "np.result_type(image, kernel)."
)

IMAGE_DTYPE = Mistake(
    "output in the image's dtype",
    "an output made with dtype=image.dtype cannot hold the results: with a uint8 image, "
    "a float kernel's results are cut to whole numbers and negative ones wrap around "
    f"(-5 becomes 251). {_DTYPE_RULE}",
    test=_in_image_dtype,
)


#: The two arrays a one-sided conversion may convert (see :func:`_one_converted`).
_WHICH = ("image", "kernel")


def _one_converted(image, kernel, which):
    """``image`` and ``kernel`` with the one that ``which`` names ("image" or "kernel")
    converted to int64, floats included, and the other as it is: what
    ``image = image.astype(np.int64)`` (as the chapter does to its uint8 photograph) or
    ``kernel = kernel.astype(np.int64)`` gives when it does not look at the array's kind.

    Examples
    --------
    >>> _one_converted(np.array([[1.5]]), np.array([[0.5]]), "image")
    (array([[1]]), array([[0.5]]))
    """
    if which == "image":
        return image.astype(np.int64), kernel
    return image, kernel.astype(np.int64)


def _floats_as_integers(prepare):
    """The mistake of an integer output where the right one is float: the integer inputs
    converted to int64 first, then the output made with dtype=image.dtype (int64 by then),
    which cuts a float kernel's results to whole numbers; or every input converted to
    int64, floats included, which cuts the float kernel or image itself. Both outputs are
    recognised, and so is the first with one float array converted along the way (see
    :func:`_float_converted`): its advice mends both. ``prepare`` as for :func:`_wraps`."""

    def test(output, image, kernel):
        exact = conv2d(*prepare(image, kernel))
        if exact.dtype.kind != "f":
            raise ValueError("the right output holds integers here")
        if array_problem(output, exact) is None:
            raise ValueError("the output is right on this case")
        if not isinstance(output, np.ndarray) or output.dtype.kind not in "iu":
            return False
        if output.shape != exact.shape:
            return False
        as_int64 = conv2d(*prepare(image.astype(np.int64), kernel.astype(np.int64)))
        one_sided = [conv2d(*prepare(*_one_converted(image, kernel, w))) for w in _WHICH]
        # Cut to whole numbers: each within 1 of the exact result. A sum that is a whole
        # number (126) may come out as 125.99999 in another order of additions, and be cut
        # to 125: hence the small margin above 1.
        cut = [
            np.all(np.abs(output - result) <= 1 + 1e-9 * np.maximum(1, np.abs(result)))
            for result in (exact, *one_sided)
        ]
        return bool(any(cut)) or same_values(output, as_int64)

    return Mistake(
        "float results stored as integers",
        "your output holds integers where the results have fractions (a float kernel "
        "or image): they were cut to whole numbers. Convert only the integer arrays to "
        "int64, and make the output in np.result_type of the converted arrays, which is "
        "float64 when the kernel or the image is float.",
        test=test,
    )


def _float_converted(prepare, which):
    """The mistake of converting a float ``which`` ("image" or "kernel") to int64 and
    leaving the other array as it is: ``image = image.astype(np.int64)``, as the chapter
    does to its uint8 photograph, applied to a float image, or the same for the kernel.
    The float array's values are cut to whole numbers before any product, and the output,
    in np.result_type of the arrays, keeps float64 where the other array is float, so no
    integer mistake shows it. (A float kernel of fractions, a blur's 1/9, becomes zeros,
    and with a uint8 image the output is int64 zeros.) Recognised by the output's values,
    whatever its dtype: equal to the right result computed on the converted arrays.
    Where the conversion changes nothing (an integer array, or a float one of whole
    numbers), a wrong output is another mistake: the right values in the wrong dtype, for
    one. ``prepare`` as for :func:`_wraps`.

    Examples
    --------
    >>> image, kernel = np.array([[1.5, 2.5]]), np.array([[2.0]])
    >>> mistake = _float_converted(lambda i, k: (i, k), "image")
    >>> mistake.explains(np.array([[2.0, 4.0]]), (image, kernel))
    True
    >>> mistake.explains(np.array([[3.0, 5.0]]), (image, kernel)) is None  # right
    True
    >>> mistake.explains(np.array([[5.0]]), (np.array([[2]]), kernel))  # nothing cut
    False
    """

    def test(output, image, kernel):
        exact = conv2d(*prepare(image, kernel))
        if array_problem(output, exact) is None:
            raise ValueError("the output is right on this case")
        converted = conv2d(*prepare(*_one_converted(image, kernel, which)))
        if same_values(converted, exact):
            # Nothing to cut (an integer array, or whole numbers): a wrong output here,
            # such as the right values in float64, is another mistake.
            return False
        return same_values(output, converted)

    cut = {
        "image": "its pixels to whole numbers (2.7 becomes 2, -1.7 becomes -1)",
        "kernel": "its weights to whole numbers (-1.7 becomes -1, a blur's 1/9 becomes 0)",
    }[which]
    return Mistake(
        f"float {which} converted to int64",
        f"your {which}.astype(np.int64) also converts a float {which}, which cuts {cut} "
        "before any product. "
        "Convert only the integer arrays to int64 (those whose dtype.kind is 'i' or 'u') "
        "and leave float ones as they are; np.result_type of the converted arrays is then "
        "float64 when the kernel or the image is float.",
        test=test,
    )


def _dtype_mistakes(prepare):
    """The mistakes of dtype that every loop exercise names, in the order they are tried
    (after :data:`IMAGE_DTYPE`): small integers that wrap, float results cut to integers,
    then a float image or kernel converted to int64. ``prepare`` as for :func:`_wraps`."""
    return [
        _wraps(prepare),
        _floats_as_integers(prepare),
        *(_float_converted(prepare, which) for which in _WHICH),
    ]


def _wraps(prepare):
    """The mistake of computing in a small integer type: ``np.result_type`` of a uint8
    image and a uint8 kernel (a crop of the photograph) is uint8, and so is that of two
    int8 arrays. Products wrap (200 * 3 gives 88) whether the sum is then kept in that
    type (the result modulo 256) or in int64 (the sum of wrapped products): both outputs
    are recognised. ``prepare(image, kernel)`` gives the image and kernel whose valid
    cross-correlation the exercise asks for (padded, or the kernel turned)."""

    def test(output, image, kernel):
        small = np.result_type(image, kernel)
        padded, turned = prepare(image, kernel)
        exact = conv2d(padded, turned)
        if small.kind not in "iu" or small.itemsize == 8:
            if array_problem(output, exact) is None:
                raise ValueError("no small integers here, and the output is right")
            return False  # wrong where nothing can wrap: another mistake
        windows = sliding_window_view(padded, turned.shape)
        products = (windows * turned).sum(axis=(-2, -1), dtype=np.int64)  # each wrapped
        return same_values(output, exact.astype(small)) or same_values(output, products)

    return Mistake(
        "small integers wrap around",
        "with a uint8 image and a uint8 kernel (a crop of the photograph, as in template "
        "matching), np.result_type(image, kernel) is uint8 itself, and so is "
        "image * kernel: every product and sum above 255 wraps around (200 * 3 gives 88); "
        f"int8 wraps likewise. {_DTYPE_RULE}",
        test=test,
    )


def _size_mistakes(reference, rule):
    return [
        Mistake(
            "one window short",
            f"your output misses a row or a column: {rule}; range(H - kH) stops one "
            "window early, range(H - kH + 1) does not.",
            test=_short(reference),
        ),
        Mistake(
            "one window too many",
            f"your output has an extra row or column: {rule}.",
            test=_long(reference),
        ),
        Mistake(
            "rows and columns swapped",
            "your output is the transpose of the right one. The first index is the row "
            "(y, down the image), the second the column (x, across).",
            lambda *args: reference(*args).T,
        ),
    ]


# --- corner_value ---------------------------------------------------------------------------


def _number(value):
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"Answer one number, not {type_name(value)}.")
    if not np.isfinite(float(value)):
        raise ValueError(f"{value} is not a finite number: the corner is a sum of products.")
    if float(value) != round(float(value)):
        raise ValueError(f"{value} is not a whole number, and the image and kernel hold integers.")
    return int(round(float(value)))


corner_value = ValueExercise(
    "corner_value",
    "ch1-ex-corner-value",
    answer=int(np.sum(CORNER_IMAGE[:2, :2] * CORNER_KERNEL)),
    normalise=_number,
    mistakes={
        8: (
            "kernel flipped",
            "you turned the kernel by 180 degrees, as true convolution does. "
            "Cross-correlation multiplies each pixel by the kernel entry that lies on it.",
        ),
        10: (
            "kernel flipped upside down",
            "you paired the window's top row with the kernel's bottom row.",
        ),
        30: (
            "kernel flipped left to right",
            "you paired the window's left column with the kernel's right column.",
        ),
        20: ("kernel transposed", "you paired image[i, j] with kernel[j, i]."),
        32: (
            "wrong window",
            "you used the window one column to the right. Output (0, 0) "
            "covers rows 0-1 and columns 0-1 of the image.",
        ),
        24: (
            "wrong window",
            "you used the window one row down. Output (0, 0) covers rows "
            "0-1 and columns 0-1 of the image.",
        ),
        18: (
            "wrong window",
            "you used the window that starts at (1, 1). Output (0, 0) "
            "covers rows 0-1 and columns 0-1 of the image.",
        ),
        15: (
            "kernel left out",
            "that is the sum of the window's pixels. Multiply each "
            "pixel by the kernel entry on it, then add the products.",
        ),
        -27: ("sign", "the sum has the right size but the wrong sign."),
    },
    hints=[
        "Output (0, 0) covers the top-left 2x2 window of the image: rows 0-1, columns 0-1.",
        "Lay the kernel on that window as it is, without flipping it, and multiply each "
        "pixel by the kernel entry on top of it.",
        "Add the four products: 1 * (-1) + 0 * 2 + 7 * 3 + 7 * 1.",
    ],
    explanation=(
        "The window of output (0, 0) is the image's top-left 2x2 block, [[1, 0], [7, 7]].\n"
        "Cross-correlation multiplies it entry by entry with the kernel [[-1, 2], [3, 1]]\n"
        "and adds: 1 * (-1) + 0 * 2 + 7 * 3 + 7 * 1 = -1 + 0 + 21 + 7 = 27.\n\n"
        "corner_value = 27"
    ),
)


# --- output_shape ---------------------------------------------------------------------------


def _shape(value):
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        raise ValueError("Answer a pair (rows, columns), not one number.")
    if not isinstance(value, tuple | list) or len(value) != 2:
        raise ValueError(f"Answer a pair (rows, columns), like (3, 3); got {show(value)}.")
    if not all(isinstance(n, int | np.integer) and not isinstance(n, bool) for n in value):
        raise ValueError("Answer a pair of whole numbers (rows, columns).")
    return tuple(int(n) for n in value)


_H, _W = SHAPE_IMAGE
_KH, _KW = SHAPE_KERNEL

output_shape = ValueExercise(
    "output_shape",
    "ch1-ex-output-shape",
    answer=(_H - _KH + 1, _W - _KW + 1),
    normalise=_shape,
    mistakes={
        (_H - _KH, _W - _KW): (
            "off by one",
            "H - kH counts the steps the kernel can move down, not the places it can sit: "
            "the first place is one more.",
        ),
        (_W - _KW + 1, _H - _KH + 1): (
            "rows and columns swapped",
            "a shape is (rows, columns): the first number counts the rows.",
        ),
        (_H - _KW + 1, _W - _KH + 1): (
            "kernel's axes swapped",
            f"the kernel has {_KH} rows and {_KW} columns: subtract the kernel's rows from "
            "the image's rows, and its columns from the image's columns.",
        ),
        (_W - _KH + 1, _H - _KW + 1): (
            "image's axes swapped",
            f"the image has {_H} rows and {_W} columns.",
        ),
        (_H + _KH - 1, _W + _KW - 1): (
            "full size",
            "H + kH - 1 is the size of the 'full' output, where the kernel may hang over the "
            "edges; the valid output keeps the kernel inside the image.",
        ),
        (_H, _W): (
            "same size",
            "the output is as large as the input only with 'same' padding; the valid "
            "output has none.",
        ),
    },
    hints=[
        "Count the places where the kernel fits entirely inside the image, along each axis.",
        "Along one axis, a kernel of k taps fits at positions 0, 1, ..., n - k: that is "
        "n - k + 1 places.",
        f"Rows: {_H} - {_KH} + 1. Columns: {_W} - {_KW} + 1. Answer (rows, columns).",
    ],
    explanation=(
        f"The kernel fits at rows 0 to {_H - _KH} and at columns 0 to {_W - _KW}:\n"
        f"{_H} - {_KH} + 1 = {_H - _KH + 1} rows and {_W} - {_KW} + 1 = {_W - _KW + 1} "
        "columns.\n\n"
        f"output_shape = ({_H - _KH + 1}, {_W - _KW + 1})"
    ),
)


# --- cross_correlate2d ----------------------------------------------------------------------


def _cross_correlate2d_model(image, kernel):
    image, kernel = np.asarray(image), np.asarray(kernel)
    # Integers in int64: in uint8 (a photograph's pixels, and a crop of them as the
    # kernel) a product or a sum above 255 would wrap around. Floats as NumPy mixes them.
    dtype = np.result_type(image, kernel)
    if dtype.kind in "iu":
        dtype = np.dtype(np.int64)
    image, kernel = image.astype(dtype), kernel.astype(dtype)
    height, width = image.shape
    kh, kw = kernel.shape
    # One output entry per place where the kernel fits inside the image.
    out = np.zeros((height - kh + 1, width - kw + 1), dtype=dtype)
    for y in range(out.shape[0]):
        for x in range(out.shape[1]):
            window = image[y : y + kh, x : x + kw]
            out[y, x] = np.sum(window * kernel)  # the kernel as it is: no flip
    return out


def _correlate(image, kernel):
    return conv2d(image, kernel)


_VALID_RULE = "a valid output has H - kH + 1 rows and W - kW + 1 columns"

cross_correlate2d = FunctionExercise(
    "cross_correlate2d",
    "ch1-ex-cross-correlate",
    reference=_correlate,
    model=_cross_correlate2d_model,
    make_cases=_valid_cases,
    problem=_shape_problem(_VALID_RULE),
    mistakes=[
        IMAGE_DTYPE,
        *_dtype_mistakes(lambda image, kernel: (image, kernel)),
        Mistake(
            "kernel flipped",
            "your function computes true convolution, which turns the kernel by 180 "
            "degrees. Cross-correlation slides the kernel as it is: out[y, x] = sum over "
            "i, j of image[y + i, x + j] * kernel[i, j].",
            lambda image, kernel: convolve2d(image, kernel),
        ),
        Mistake(
            "kernel flipped upside down",
            "you read the kernel's rows in reverse order: use kernel[i, j], not "
            "kernel[kH - 1 - i, j].",
            lambda image, kernel: conv2d(image, kernel[::-1]),
        ),
        Mistake(
            "kernel flipped left to right",
            "you read the kernel's columns in reverse order: use kernel[i, j], not "
            "kernel[i, kW - 1 - j].",
            lambda image, kernel: conv2d(image, kernel[:, ::-1]),
        ),
        Mistake(
            "kernel transposed",
            "you paired image[y + i, x + j] with kernel[j, i]; use kernel[i, j].",
            lambda image, kernel: conv2d(image, kernel.T),
        ),
        *_size_mistakes(_correlate, _VALID_RULE),
    ],
    hints=[
        "The output has H - kH + 1 rows and W - kW + 1 columns: one entry for each place "
        "where the kernel fits inside the image.",
        "Loop over the output's positions (y, x). Each entry is the sum of "
        "image[y:y + kH, x:x + kW] * kernel.",
        "Convert each integer input to int64 first, and only those (a.astype(np.int64) "
        "where a.dtype.kind is 'i' or 'u'; a float image or kernel would lose its "
        "fractions): in uint8, a photograph's type, products and sums above 255 wrap "
        "around. Floats stay floats: "
        "create the output with np.zeros((H - kH + 1, W - kW + 1), "
        "dtype=np.result_type(image, kernel)) after the conversion. Do not flip the kernel.",
    ],
)


# --- convolve2d_true ------------------------------------------------------------------------


def _convolve2d_true_model(image, kernel):
    image = np.asarray(image)
    kernel = np.asarray(kernel)[::-1, ::-1]  # turned by 180 degrees: rows and columns
    dtype = np.result_type(image, kernel)
    if dtype.kind in "iu":  # integers in int64, where uint8 would wrap around
        dtype = np.dtype(np.int64)
    image, kernel = image.astype(dtype), kernel.astype(dtype)
    height, width = image.shape
    kh, kw = kernel.shape
    out = np.zeros((height - kh + 1, width - kw + 1), dtype=dtype)
    for y in range(out.shape[0]):
        for x in range(out.shape[1]):
            out[y, x] = np.sum(image[y : y + kh, x : x + kw] * kernel)
    return out


def _convolve(image, kernel):
    return convolve2d(image, kernel)


convolve2d_true = FunctionExercise(
    "convolve2d_true",
    "ch1-ex-convolve-true",
    reference=_convolve,
    model=_convolve2d_true_model,
    make_cases=_valid_cases,
    problem=_shape_problem(_VALID_RULE),
    mistakes=[
        IMAGE_DTYPE,
        *_dtype_mistakes(lambda image, kernel: (image, kernel[::-1, ::-1])),
        Mistake(
            "kernel not flipped",
            "this is cross-correlation. True convolution turns the kernel by 180 degrees "
            "first: kernel[::-1, ::-1].",
            lambda image, kernel: conv2d(image, kernel),
        ),
        Mistake(
            "kernel flipped upside down only",
            "you reversed the kernel's rows but not its columns; a turn by 180 degrees "
            "reverses both: kernel[::-1, ::-1].",
            lambda image, kernel: conv2d(image, kernel[::-1]),
        ),
        Mistake(
            "kernel flipped left to right only",
            "you reversed the kernel's columns but not its rows; a turn by 180 degrees "
            "reverses both: kernel[::-1, ::-1].",
            lambda image, kernel: conv2d(image, kernel[:, ::-1]),
        ),
        Mistake(
            "kernel transposed, not flipped",
            "kernel.T mirrors the kernel across its diagonal; true convolution turns it by "
            "180 degrees: kernel[::-1, ::-1].",
            lambda image, kernel: conv2d(image, kernel.T),
        ),
        *_size_mistakes(_convolve, _VALID_RULE),
    ],
    hints=[
        "True convolution is cross-correlation with the kernel turned by 180 degrees.",
        "kernel[::-1, ::-1] turns a kernel by 180 degrees: it reverses its rows and its columns.",
        "Turn the kernel, then compute the valid cross-correlation as in the previous "
        "exercise, integers in int64 and floats in np.result_type(image, kernel). If you "
        "call your cross_correlate2d, keep its cell above this one.",
    ],
)


# --- correlate_same -------------------------------------------------------------------------


def _correlate_same_model(image, kernel):
    image, kernel = np.asarray(image), np.asarray(kernel)
    dtype = np.result_type(image, kernel)
    if dtype.kind in "iu":  # integers in int64, where uint8 would wrap around
        dtype = np.dtype(np.int64)
    image, kernel = image.astype(dtype), kernel.astype(dtype)
    kh, kw = kernel.shape
    ph, pw = (kh - 1) // 2, (kw - 1) // 2  # an odd kernel: the same on both sides
    padded = np.pad(image, ((ph, ph), (pw, pw)))  # zeros, np.pad's default
    height, width = image.shape
    out = np.zeros((height, width), dtype=dtype)
    for y in range(height):
        for x in range(width):
            out[y, x] = np.sum(padded[y : y + kh, x : x + kw] * kernel)
    return out


def _correlate_same(image, kernel):
    return conv2d(image, kernel, padding="same")


def _padded(sides, mode="zeros"):
    """The correlation of an image padded by ``sides(kh, kw)``, or raises when the
    padding is impossible (negative, or too large to reflect)."""

    def gives(image, kernel):
        kh, kw = kernel.shape
        return conv2d(image, kernel, padding=sides(kh, kw), padding_mode=mode)

    return gives


_SAME_RULE = "'same' output has the input's shape"


def _pad_half(image, kernel):
    """The zero-padded image and the kernel whose valid cross-correlation is 'same'."""
    return np.pad(image, ((kernel.shape[0] // 2,) * 2, (kernel.shape[1] // 2,) * 2)), kernel


correlate_same = FunctionExercise(
    "correlate_same",
    "ch1-ex-correlate-same",
    reference=_correlate_same,
    model=_correlate_same_model,
    make_cases=_same_cases,
    problem=_shape_problem(_SAME_RULE),
    mistakes=[
        IMAGE_DTYPE,
        *_dtype_mistakes(_pad_half),
        Mistake(
            "no padding",
            "this is the valid output. Pad (kH - 1) / 2 rows of zeros above and below, and "
            "(kW - 1) / 2 columns left and right, first.",
            lambda image, kernel: conv2d(image, kernel),
        ),
        Mistake(
            "padding one too many",
            "your output is 2 larger than the input in each direction: with an odd kernel, "
            "p = (k - 1) / 2 zeros on each side keep the size.",
            _padded(lambda kh, kw: (kh // 2 + 1, kw // 2 + 1)),
        ),
        Mistake(
            "padding one too few",
            "your output is 2 smaller than the input in each direction: with an odd kernel, "
            "p = (k - 1) / 2 zeros on each side keep the size.",
            _padded(lambda kh, kw: (kh // 2 - 1, kw // 2 - 1)),
        ),
        Mistake(
            "full padding",
            "k - 1 zeros on each side give the 'full' output; 'same' needs (k - 1) / 2.",
            _padded(lambda kh, kw: (kh - 1, kw - 1)),
        ),
        Mistake(
            "padding on the top and left only",
            "the size is right but the result is shifted: you put all k - 1 zeros above and "
            "on the left. Put (k - 1) / 2 on each side.",
            _padded(lambda kh, kw: ((kh - 1, 0), (kw - 1, 0))),
        ),
        Mistake(
            "padding on the bottom and right only",
            "the size is right but the result is shifted: you put all k - 1 zeros below and "
            "on the right. Put (k - 1) / 2 on each side.",
            _padded(lambda kh, kw: ((0, kh - 1), (0, kw - 1))),
        ),
        Mistake(
            "reflect padding",
            "you padded by reflecting the image (np.pad's mode='reflect'). Zero padding "
            "fills the border with zeros: np.pad's default, mode='constant'.",
            _padded(lambda kh, kw: (kh // 2, kw // 2), mode="reflect"),
        ),
        Mistake(
            "replicate padding",
            "you padded by repeating the edge pixels (np.pad's mode='edge'). Zero padding "
            "fills the border with zeros: np.pad's default, mode='constant'.",
            _padded(lambda kh, kw: (kh // 2, kw // 2), mode="replicate"),
        ),
        Mistake(
            "kernel flipped",
            "your function computes true convolution, which turns the kernel by 180 "
            "degrees; cross-correlation uses it as it is.",
            lambda image, kernel: convolve2d(image, kernel, mode="same"),
        ),
        Mistake(
            "rows and columns swapped",
            "your output is the transpose of the right one. The first index is the row "
            "(y, down the image), the second the column (x, across).",
            lambda image, kernel: _correlate_same(image, kernel).T,
        ),
    ],
    hints=[
        "With an odd kernel, (k - 1) / 2 zeros on each side keep the output as large as the input.",
        "np.pad(image, ((ph, ph), (pw, pw))) pads with zeros: its default mode is "
        "'constant', with the value 0.",
        "Pad with ph = (kH - 1) // 2 and pw = (kW - 1) // 2, then compute the valid "
        "cross-correlation of the padded image: integers in int64, floats in "
        "np.result_type(image, kernel).",
    ],
)


# --- sobel_magnitude ------------------------------------------------------------------------


def _sobel_magnitude_model(image):
    image = np.asarray(image, dtype=float)
    height, width = image.shape
    gx = np.zeros((height - 2, width - 2))
    gy = np.zeros((height - 2, width - 2))
    for y in range(height - 2):
        for x in range(width - 2):
            window = image[y : y + 3, x : x + 3]
            gx[y, x] = np.sum(window * SOBEL_X)  # the change along x
            gy[y, x] = np.sum(window * SOBEL_Y)  # the change along y
    return np.sqrt(gx**2 + gy**2)


def _gradients(image, kx=SOBEL_X, ky=SOBEL_Y):
    image = np.asarray(image, dtype=float)
    return conv2d(image, kx.astype(float)), conv2d(image, ky.astype(float))


def _sobel_magnitude(image):
    gx, gy = _gradients(image)
    return np.sqrt(gx**2 + gy**2)


def _abs_equals(which):
    def test(output, image):
        return isinstance(output, np.ndarray) and any(
            output.shape == g.shape and np.allclose(np.abs(output), np.abs(g))
            for g in which(*_gradients(image))
        )

    return test


_PREWITT_X = np.array([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]])

sobel_magnitude = FunctionExercise(
    "sobel_magnitude",
    "ch1-ex-sobel",
    reference=_sobel_magnitude,
    model=_sobel_magnitude_model,
    make_cases=_sobel_cases,
    problem=_shape_problem("the valid output of a 3x3 kernel has H - 2 rows and W - 2 columns"),
    mistakes=[
        Mistake(
            "only one direction, x",
            "you return gx alone, the change along x. The magnitude combines both "
            "directions: sqrt(gx**2 + gy**2), with gy from the transposed kernel.",
            test=_abs_equals(lambda gx, gy: [gx]),
        ),
        Mistake(
            "only one direction, y",
            "you return gy alone, the change along y. The magnitude combines both "
            "directions: sqrt(gx**2 + gy**2), with gx from the x kernel.",
            test=_abs_equals(lambda gx, gy: [gy]),
        ),
        Mistake(
            "square root missing",
            "gx**2 + gy**2 is the squared magnitude; take its square root.",
            lambda image: _sobel_magnitude(image) ** 2,
        ),
        Mistake(
            "absolute values added",
            "|gx| + |gy| is a cheaper stand-in for the magnitude; this exercise asks for "
            "sqrt(gx**2 + gy**2).",
            lambda image: np.abs(_gradients(image)[0]) + np.abs(_gradients(image)[1]),
        ),
        Mistake(
            "the same kernel twice",
            "your two gradients come from the same kernel: the y kernel is the transpose "
            "of the x kernel (SOBEL_X.T).",
            test=_abs_equals(lambda gx, gy: [np.sqrt(2) * gx, np.sqrt(2) * gy]),
        ),
        Mistake(
            "Prewitt's kernels",
            "your kernels have 1, 1, 1 where Sobel's have 1, 2, 1: the centre row (or "
            "column) weighs 2.",
            lambda image: np.hypot(*_gradients(image, _PREWITT_X, _PREWITT_X.T)),
        ),
        Mistake(
            "'same' output",
            "your output has the image's size, as with padding. The valid cross-"
            "correlation with a 3x3 kernel is 2 smaller in each direction.",
            test=lambda output, image: (
                isinstance(output, np.ndarray) and output.shape == np.shape(image)
            ),
        ),
        Mistake(
            "rows and columns swapped",
            "your output is the transpose of the right one. The first index is the row "
            "(y, down the image), the second the column (x, across).",
            lambda image: _sobel_magnitude(image).T,
        ),
    ],
    hints=[
        "Sobel's x kernel is [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]; the y kernel is its transpose.",
        "gx is the valid cross-correlation of the image with the x kernel, gy with the y "
        "kernel; both have shape (H - 2, W - 2).",
        "The magnitude is np.sqrt(gx**2 + gy**2), computed in floats.",
    ],
)

#: Every exercise of the chapter, in the order of the chapter. The grader reads this.
EXERCISES = (
    corner_value,
    output_shape,
    cross_correlate2d,
    convolve2d_true,
    correlate_same,
    sobel_magnitude,
)

#: ``ex.progress()``: every exercise of the chapter checked again, one line each.
progress = make_progress(EXERCISES, 1)
