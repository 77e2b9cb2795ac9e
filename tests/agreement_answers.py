# ruff: noqa: E501  (answer cells are quoted whole, one line as a student writes it)
"""Answers to every checked exercise, as students write them: right ones in many forms, and
the wrong ones students really write. ``test_agreement.py`` runs each through the
notebook's ``check()`` and through the grader.

``ANSWERS[chapter][exercise name]`` is a list of ``(label, answer cell, status, words)``:
the answer cell is the source a student would write (it may use the chapter notebook's
imports, and ``ex.NAME`` data); ``status`` is the verdict it must get, and ``words`` a
piece of its diagnosis, on the public cases and on hidden ones alike.
"""

OK, BAD, ERR, NOT = "correct", "incorrect", "error", "not attempted"

# --- chapter 1 -----------------------------------------------------------------------------

_LOOPS = """
def {name}(image, kernel):
    {prepare}
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1), dtype={dtype})
    for y in range({rows}):
        for x in range(out.shape[1]):
            out[y, x] = np.sum(image[y : y + kh, x : x + kw] * kernel)
    return out
"""


#: The dtype rule the exercises ask for: integers in int64 (a uint8 photograph and a uint8
#: crop of it as the kernel would wrap around), floats as NumPy mixes them.
_WIDEN = (
    "image, kernel = (a.astype(np.int64) if a.dtype.kind in 'iu' else a for a in (image, kernel))"
)


def _loops(
    name, prepare="", dtype="np.result_type(image, kernel)", rows="out.shape[0]", widen=True
):
    prepare = "\n    ".join(line for line in (_WIDEN if widen else "", prepare) if line) or "pass"
    return _LOOPS.format(name=name, prepare=prepare, dtype=dtype, rows=rows)


_FLOAT32 = """
from numpy.lib.stride_tricks import sliding_window_view

def {name}(image, kernel):
    {prepare}
    dtype = np.result_type(image, kernel)
    dtype = np.dtype(np.int64) if dtype.kind in "iu" else dtype
    windows = sliding_window_view(image.astype(np.float32), kernel.shape)
    out = np.einsum("yxij,ij->yx", windows, kernel.astype(np.float32))
    return out if dtype.kind == "f" else np.rint(out).astype(dtype)
"""

_SAME = """
def correlate_same(image, kernel):
    {prepare}
    kh, kw = kernel.shape
    padded = np.pad(image, {pad}{mode})
    out = np.zeros(image.shape, dtype={dtype})
    for y in range(image.shape[0]):
        for x in range(image.shape[1]):
            out[y, x] = np.sum(padded[y : y + kh, x : x + kw] * kernel)
    return out
"""


def _same(
    pad="((kh // 2, kh // 2), (kw // 2, kw // 2))", mode="", dtype=None, widen=True, prepare=None
):
    return _SAME.format(
        pad=pad,
        mode=mode,
        dtype=dtype or "np.result_type(image, kernel)",
        prepare=prepare or (_WIDEN if widen else "pass"),
    )


#: Every input converted to int64, the float ones too (a misreading of the rule).
_ALL_INT64 = "image, kernel = image.astype(np.int64), kernel.astype(np.int64)"
#: One input converted to int64 whatever its kind, as the chapter converts its uint8
#: photograph (photo = ....astype(np.int64)): a float image or kernel loses its fractions.
_IMAGE_INT64 = "image = image.astype(np.int64)"
_KERNEL_INT64 = "kernel = kernel.astype(np.int64)"


_SOBEL = """
def sobel_magnitude(image):
    image = np.asarray(image, dtype=float)
    gx, gy = conv2d(image, {kx}), conv2d(image, {ky})
    return {combine}
"""


def _sobel(combine="np.sqrt(gx**2 + gy**2)", kx="SOBEL_X", ky="SOBEL_Y"):
    return _SOBEL.format(combine=combine, kx=kx, ky=ky)


CHAPTER1 = {
    "corner_value": [
        ("27", "corner_value = 27", OK, "correct."),
        ("numpy int", "corner_value = np.int64(27)", OK, "correct."),
        ("float 27.0", "corner_value = 27.0", OK, "correct."),
        ("0-d array", "corner_value = np.array(27)", OK, "correct."),
        (
            "computed from ex's data",
            "corner_value = int(np.sum(ex.CORNER_IMAGE[:2, :2] * ex.CORNER_KERNEL))",
            OK,
            "correct.",
        ),
        (
            "conv2d of ex's data",
            "corner_value = conv2d(ex.CORNER_IMAGE, ex.CORNER_KERNEL)[0, 0]",
            OK,
            "correct.",
        ),
        ("kernel flipped", "corner_value = 8", BAD, "Kernel flipped"),
        ("kernel left out", "corner_value = 15", BAD, "Kernel left out"),
        ("not whole", "corner_value = 27.5", BAD, "not a whole number"),
        ("a string", "corner_value = '27'", BAD, "Answer one number, not a str"),
        ("0-d tensor", "corner_value = torch.tensor(27)", OK, "correct."),
        (
            "tensor sum of ex's data",
            "corner_value = (torch.from_numpy(ex.CORNER_IMAGE[:2, :2]) * torch.from_numpy(ex.CORNER_KERNEL)).sum()",
            OK,
            "correct.",
        ),
        ("0-d int32 array", "corner_value = np.array(27, dtype=np.int32)", OK, "correct."),
        ("float tensor 27.5", "corner_value = torch.tensor(27.5)", BAD, "not a Tensor"),
        ("a bool", "corner_value = True", BAD, "not a bool"),
        ("1-d tensor", "corner_value = torch.tensor([27])", BAD, "not a Tensor"),
        ("0-d tensor, unnamed", "corner_value = torch.tensor(26)", BAD, "26 is not the answer"),
        ("0-d tensor, kernel flipped", "corner_value = torch.tensor(8)", BAD, "Kernel flipped"),
        ("unnamed", "corner_value = 26", BAD, "26 is not the answer"),
        ("stub", "corner_value = ...", NOT, "not attempted"),
    ],
    "output_shape": [
        ("tuple", "output_shape = (5, 4)", OK, "correct."),
        ("list", "output_shape = [5, 4]", OK, "correct."),
        ("array", "output_shape = np.array([5, 4])", OK, "correct."),
        ("numpy ints", "output_shape = (np.int64(5), np.int64(4))", OK, "correct."),
        ("torch.Size", "output_shape = torch.Size([5, 4])", OK, "correct."),
        (
            "a computed shape, from ex's data",
            "output_shape = conv2d(np.zeros(ex.SHAPE_IMAGE), np.zeros(ex.SHAPE_KERNEL)).shape",
            OK,
            "correct.",
        ),
        ("swapped", "output_shape = (4, 5)", BAD, "Rows and columns swapped"),
        ("off by one", "output_shape = (4, 3)", BAD, "Off by one"),
        ("full size", "output_shape = (9, 6)", BAD, "Full size"),
        ("one number", "output_shape = 20", BAD, "not one number"),
        ("floats", "output_shape = (5.0, 4.0)", BAD, "pair of whole numbers"),
        ("one entry wrong", "output_shape = (5, 5)", BAD, "entry 2 of (5, 5) wrong"),
        ("a tensor", "output_shape = torch.tensor([5, 4])", BAD, "got a Tensor"),
    ],
    "cross_correlate2d": [
        ("loops, int64 for integers", _loops("cross_correlate2d"), OK, "correct ("),
        (
            "loops, the dtype of image * kernel (uint8 for uint8)",
            _loops("cross_correlate2d", widen=False),
            BAD,
            "Small integers wrap around",
        ),
        (
            "int64 output, products in uint8",
            _loops(
                "cross_correlate2d", dtype="np.result_type(image, kernel, np.int64)", widen=False
            ),
            BAD,
            "Small integers wrap around",
        ),
        (
            "loops, columns outside",
            """
def cross_correlate2d(image, kernel):
    image, kernel = np.asarray(image), np.asarray(kernel)
    if image.dtype.kind in "iu" and kernel.dtype.kind in "iu":
        image, kernel = image.astype(np.int64), kernel.astype(np.int64)
    kh, kw = kernel.shape
    out = np.empty((image.shape[0] - kh + 1, image.shape[1] - kw + 1),
                   dtype=np.result_type(image, kernel))
    for x in range(out.shape[1]):
        for y in range(out.shape[0]):
            total = 0
            for i in range(kh):
                for j in range(kw):
                    total = total + image[y + i, x + j] * kernel[i, j]
            out[y, x] = total
    return out
""",
            OK,
            "correct (",
        ),
        (
            "einsum, sliding_window_view",
            """
from numpy.lib.stride_tricks import sliding_window_view

def cross_correlate2d(image, kernel):
    image, kernel = (a.astype(np.int64) if a.dtype.kind in "iu" else a for a in (image, kernel))
    return np.einsum("yxij,ij->yx", sliding_window_view(image, kernel.shape), kernel)
""",
            OK,
            "correct (",
        ),
        (
            "einsum in the inputs' dtype",
            """
from numpy.lib.stride_tricks import sliding_window_view

def cross_correlate2d(image, kernel):
    return np.einsum("yxij,ij->yx", sliding_window_view(image, kernel.shape), kernel)
""",
            BAD,
            "Small integers wrap around",
        ),
        (
            "float32 arithmetic",
            _FLOAT32.format(name="cross_correlate2d", prepare="pass"),
            OK,
            "correct (",
        ),
        (
            "SciPy",
            """
import scipy.signal

def cross_correlate2d(image, kernel):
    dtype = np.result_type(image, kernel, np.int64)  # int64, or float64 for floats
    return scipy.signal.correlate2d(image.astype(dtype), kernel.astype(dtype), mode="valid")
""",
            OK,
            "correct (",
        ),
        (
            "torch, float64",
            """
def cross_correlate2d(image, kernel):
    dtype = np.result_type(image, kernel)
    x = torch.from_numpy(image.astype(np.float64))[None, None]
    w = torch.from_numpy(kernel.astype(np.float64))[None, None]
    out = F.conv2d(x, w)[0, 0].numpy()
    return out if dtype.kind == "f" else np.rint(out).astype(np.int64)
""",
            OK,
            "correct (",
        ),
        (
            "lib's conv2d",
            "def cross_correlate2d(image, kernel):\n    return conv2d(image, kernel)",
            OK,
            "correct (",
        ),
        (
            "image's dtype",
            _loops("cross_correlate2d", dtype="image.dtype", widen=False),
            BAD,
            "Output in the image's dtype",
        ),
        (
            "int64 first, then the image's dtype",
            _loops("cross_correlate2d", dtype="image.dtype"),
            BAD,
            "Float results stored as integers",
        ),
        (
            "every input in int64, floats too",
            _loops("cross_correlate2d", prepare=_ALL_INT64, widen=False),
            BAD,
            "Float results stored as integers",
        ),
        (
            "only the image in int64, floats too",
            _loops("cross_correlate2d", prepare=_IMAGE_INT64, widen=False),
            BAD,
            "Float image converted to int64",
        ),
        (
            "only the kernel in int64, floats too",
            _loops("cross_correlate2d", prepare=_KERNEL_INT64, widen=False),
            BAD,
            "Float kernel converted to int64",
        ),
        (
            "only the image in int64, then the image's dtype",
            _loops("cross_correlate2d", prepare=_IMAGE_INT64, dtype="image.dtype", widen=False),
            BAD,
            "Float results stored as integers",
        ),
        (
            "floats for integers",
            _loops("cross_correlate2d", dtype="float"),
            BAD,
            "the dtype is float64: integer inputs give integers",
        ),
        (
            "kernel flipped",
            _loops("cross_correlate2d", prepare="kernel = kernel[::-1, ::-1]"),
            BAD,
            "Kernel flipped:",
        ),
        (
            "kernel upside down",
            _loops("cross_correlate2d", prepare="kernel = kernel[::-1]"),
            BAD,
            "Kernel flipped upside down",
        ),
        (
            "one window short",
            """
def cross_correlate2d(image, kernel):
    image, kernel = (a.astype(np.int64) if a.dtype.kind in "iu" else a for a in (image, kernel))
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh, image.shape[1] - kw), dtype=np.result_type(image, kernel))
    for y in range(out.shape[0]):
        for x in range(out.shape[1]):
            out[y, x] = np.sum(image[y : y + kh, x : x + kw] * kernel)
    return out
""",
            BAD,
            "One window short",
        ),
        (
            "no return",
            "def cross_correlate2d(image, kernel):\n    conv2d(image, kernel)",
            BAD,
            "it returned None",
        ),
        (
            "a list",
            "def cross_correlate2d(image, kernel):\n    return conv2d(image, kernel).tolist()",
            BAD,
            "it returned a list, not a NumPy array",
        ),
        (
            "a tensor",
            "def cross_correlate2d(image, kernel):\n    return torch.from_numpy(conv2d(image, kernel))",
            BAD,
            "it returned a Tensor",
        ),
        (
            "changes its input",
            "def cross_correlate2d(image, kernel):\n    image[0, 0] = 99\n    return conv2d(image, kernel)",
            BAD,
            "It changed its input",
        ),
        (
            "raises",
            "def cross_correlate2d(image, kernel):\n    raise ValueError('no')",
            ERR,
            "it raised ValueError: no",
        ),
        ("not a function", "cross_correlate2d = 5", ERR, "must be a function"),
        (
            "stub",
            "def cross_correlate2d(image, kernel):\n    raise NotImplementedError()",
            NOT,
            "not attempted",
        ),
    ],
    "convolve2d_true": [
        (
            "loops on the turned kernel",
            _loops("convolve2d_true", prepare="kernel = kernel[::-1, ::-1]"),
            OK,
            "correct (",
        ),
        (
            "float32 arithmetic",
            _FLOAT32.format(name="convolve2d_true", prepare="kernel = kernel[::-1, ::-1]"),
            OK,
            "correct (",
        ),
        (
            "SciPy",
            """
import scipy.signal

def convolve2d_true(image, kernel):
    dtype = np.result_type(image, kernel, np.int64)  # int64, or float64 for floats
    return scipy.signal.convolve2d(image.astype(dtype), kernel.astype(dtype), mode="valid")
""",
            OK,
            "correct (",
        ),
        (
            "lib's convolve2d",
            "def convolve2d_true(image, kernel):\n    return convolve2d(image, kernel)",
            OK,
            "correct (",
        ),
        (
            "the dtype of image * kernel (uint8 for uint8)",
            _loops("convolve2d_true", prepare="kernel = kernel[::-1, ::-1]", widen=False),
            BAD,
            "Small integers wrap around",
        ),
        ("kernel not flipped", _loops("convolve2d_true"), BAD, "Kernel not flipped"),
        (
            "rows only",
            _loops("convolve2d_true", prepare="kernel = kernel[::-1]"),
            BAD,
            "Kernel flipped upside down only",
        ),
        (
            "image's dtype",
            _loops(
                "convolve2d_true",
                prepare="kernel = kernel[::-1, ::-1]",
                dtype="image.dtype",
                widen=False,
            ),
            BAD,
            "Output in the image's dtype",
        ),
        (
            "int64 first, then the image's dtype",
            _loops("convolve2d_true", prepare="kernel = kernel[::-1, ::-1]", dtype="image.dtype"),
            BAD,
            "Float results stored as integers",
        ),
        (
            "every input in int64, floats too",
            _loops(
                "convolve2d_true",
                prepare=_ALL_INT64 + "\n    kernel = kernel[::-1, ::-1]",
                widen=False,
            ),
            BAD,
            "Float results stored as integers",
        ),
        (
            "only the image in int64, floats too",
            _loops(
                "convolve2d_true",
                prepare=_IMAGE_INT64 + "\n    kernel = kernel[::-1, ::-1]",
                widen=False,
            ),
            BAD,
            "Float image converted to int64",
        ),
        (
            "only the kernel in int64, floats too",
            _loops(
                "convolve2d_true",
                prepare=_KERNEL_INT64 + "\n    kernel = kernel[::-1, ::-1]",
                widen=False,
            ),
            BAD,
            "Float kernel converted to int64",
        ),
        (
            "floats for integers",
            _loops("convolve2d_true", prepare="kernel = kernel[::-1, ::-1]", dtype="float"),
            BAD,
            "integer inputs give integers",
        ),
    ],
    "correlate_same": [
        ("np.pad and loops", _same(), OK, "correct ("),
        (
            "conv2d with padding='same'",
            "def correlate_same(image, kernel):\n    return conv2d(image, kernel, padding='same')",
            OK,
            "correct (",
        ),
        (
            "SciPy",
            """
import scipy.signal

def correlate_same(image, kernel):
    dtype = np.result_type(image, kernel, np.int64)  # int64, or float64 for floats
    return scipy.signal.correlate2d(image.astype(dtype), kernel.astype(dtype), mode="same")
""",
            OK,
            "correct (",
        ),
        (
            "no padding",
            "def correlate_same(image, kernel):\n    return conv2d(image, kernel)",
            BAD,
            "No padding",
        ),
        (
            "top and left only",
            _same(pad="((kh - 1, 0), (kw - 1, 0))"),
            BAD,
            "Padding on the top and left only",
        ),
        ("reflect padding", _same(mode=", mode='reflect'"), BAD, "Reflect padding"),
        (
            "the dtype of image * kernel (uint8 for uint8)",
            _same(widen=False),
            BAD,
            "Small integers wrap around",
        ),
        (
            "image's dtype",
            _same(dtype="image.dtype", widen=False),
            BAD,
            "Output in the image's dtype",
        ),
        (
            "int64 first, then the image's dtype",
            _same(dtype="image.dtype"),
            BAD,
            "Float results stored as integers",
        ),
        (
            "every input in int64, floats too",
            _same(prepare=_ALL_INT64),
            BAD,
            "Float results stored as integers",
        ),
        (
            "only the image in int64, floats too",
            _same(prepare=_IMAGE_INT64),
            BAD,
            "Float image converted to int64",
        ),
        (
            "only the kernel in int64, floats too",
            _same(prepare=_KERNEL_INT64),
            BAD,
            "Float kernel converted to int64",
        ),
        ("floats for integers", _same(dtype="float"), BAD, "integer inputs give integers"),
    ],
    "sobel_magnitude": [
        ("lib.kernels' Sobel", _sobel(), OK, "correct ("),
        (
            "ex.SOBEL_X, the exercise's data",
            _sobel(kx="ex.SOBEL_X", ky="ex.SOBEL_Y"),
            OK,
            "correct (",
        ),
        ("np.hypot", _sobel(combine="np.hypot(gx, gy)"), OK, "correct ("),
        (
            "float32 loops",
            """
def sobel_magnitude(image):
    image = np.asarray(image, dtype=np.float32)
    kx = SOBEL_X.astype(np.float32)
    h, w = image.shape
    out = np.zeros((h - 2, w - 2), dtype=np.float32)
    for y in range(h - 2):
        for x in range(w - 2):
            window = image[y : y + 3, x : x + 3]
            out[y, x] = np.sqrt(np.sum(window * kx) ** 2 + np.sum(window * kx.T) ** 2)
    return out
""",
            OK,
            "correct (",
        ),
        ("gx only", _sobel(combine="np.abs(gx)"), BAD, "Only one direction, x"),
        ("no square root", _sobel(combine="gx**2 + gy**2"), BAD, "Square root missing"),
        ("|gx| + |gy|", _sobel(combine="np.abs(gx) + np.abs(gy)"), BAD, "Absolute values added"),
        ("same kernel twice", _sobel(ky="SOBEL_X"), BAD, "The same kernel twice"),
    ],
}

# --- chapter 2 -----------------------------------------------------------------------------

_SIZE = "def conv_output_size(n, kernel_size, stride=1, padding=0, dilation=1):\n    return {}"

CHAPTER2 = {
    "predicted_sizes": [
        ("tuple", "predicted_sizes = (28, 14, 3, 5)", OK, "correct."),
        ("list", "predicted_sizes = [28, 14, 3, 5]", OK, "correct."),
        ("array", "predicted_sizes = np.array([28, 14, 3, 5])", OK, "correct."),
        (
            "computed from ex's data",
            "predicted_sizes = tuple(output_size(*layer) for layer in ex.PREDICT_LAYERS)",
            OK,
            "correct.",
        ),
        ("ceil", "predicted_sizes = (28, 15, 4, 5)", BAD, "Ceil instead of floor"),
        ("one wrong", "predicted_sizes = (28, 14, 4, 5)", BAD, "entry 3 of (28, 14, 4, 5) wrong"),
        ("three numbers", "predicted_sizes = (28, 14, 3)", BAD, "Answer a tuple of 4 numbers"),
        ("floats", "predicted_sizes = (28.0, 14, 3, 5)", BAD, "Answer whole numbers"),
    ],
    "lenet_padding": [
        ("2", "lenet_padding = 2", OK, "correct."),
        ("'same'", "lenet_padding = 'same'", OK, "correct."),
        ("(2, 2)", "lenet_padding = (2, 2)", OK, "correct."),
        ("numpy int", "lenet_padding = np.int64(2)", OK, "correct."),
        ("2.0", "lenet_padding = 2.0", OK, "correct."),
        ("0-d array", "lenet_padding = np.array(2)", OK, "correct."),
        ("0-d tensor", "lenet_padding = torch.tensor(2)", OK, "correct."),
        (
            "0-d tensor, in total",
            "lenet_padding = torch.tensor(4)",
            BAD,
            "Padding counted in total",
        ),
        ("float 2.5", "lenet_padding = 2.5", BAD, "not 2.5"),
        ("float tensor", "lenet_padding = torch.tensor(2.5)", BAD, "not a Tensor"),
        ("a bool", "lenet_padding = True", BAD, "not True"),
        ("a string", "lenet_padding = '2'", BAD, "got '2'"),
        ("in total", "lenet_padding = 4", BAD, "Padding counted in total"),
        ("'valid'", "lenet_padding = 'valid'", BAD, "No padding"),
        ("(2, 3)", "lenet_padding = (2, 3)", BAD, "the same padding"),
        ("unnamed", "lenet_padding = 7", BAD, "7 is not the answer"),
    ],
    "conv_output_size": [
        (
            "the formula",
            _SIZE.format("(n + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1"),
            OK,
            "correct (",
        ),
        (
            "math.floor",
            "import math\n\n"
            + _SIZE.format(
                "math.floor((n + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1"
            ),
            OK,
            "correct (",
        ),
        (
            "numpy int",
            _SIZE.format(
                "np.int64((n + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1)"
            ),
            OK,
            "correct (",
        ),
        (
            "lib's output_size",
            _SIZE.format("output_size(n, kernel_size, stride, padding, dilation)"),
            OK,
            "correct (",
        ),
        (
            "0-d array",
            _SIZE.format(
                "np.array((n + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1)"
            ),
            OK,
            "correct (",
        ),
        (
            "0-d tensor",
            _SIZE.format(
                "torch.tensor((n + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1)"
            ),
            OK,
            "correct (",
        ),
        (
            "float tensor",
            _SIZE.format(
                "torch.tensor((n + 2 * padding - dilation * (kernel_size - 1) - 1) / stride + 1)"
            ),
            BAD,
            "not an int",
        ),
        (
            "not rounded",
            _SIZE.format("(n + 2 * padding - dilation * (kernel_size - 1) - 1) / stride + 1"),
            BAD,
            "Division not rounded",
        ),
        (
            "ceil",
            _SIZE.format("-(-(n + 2 * padding - dilation * (kernel_size - 1) - 1) // stride) + 1"),
            BAD,
            "Ceil instead of floor",
        ),
        (
            "stride forgotten",
            _SIZE.format("n + 2 * padding - dilation * (kernel_size - 1)"),
            BAD,
            "Stride ignored",
        ),
        (
            "padding forgotten",
            _SIZE.format("(n - dilation * (kernel_size - 1) - 1) // stride + 1"),
            BAD,
            "Padding ignored",
        ),
        (
            "padding counted once",
            _SIZE.format("(n + padding - dilation * (kernel_size - 1) - 1) // stride + 1"),
            BAD,
            "Padding counted once",
        ),
        (
            "+ 1 missing",
            _SIZE.format("(n + 2 * padding - dilation * (kernel_size - 1) - 1) // stride"),
            BAD,
            "The + 1 is missing",
        ),
        (
            "a float",
            _SIZE.format(
                "float((n + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1)"
            ),
            BAD,
            "return an int",
        ),
    ],
    "tf_same_padding": [
        (
            "the model",
            """
def tf_same_padding(n, kernel_size, stride):
    out = -(-n // stride)
    total = max((out - 1) * stride + kernel_size - n, 0)
    return (total // 2, total - total // 2)
""",
            OK,
            "correct (",
        ),
        (
            "math.ceil, a list",
            """
import math

def tf_same_padding(n, kernel_size, stride):
    total = max((math.ceil(n / stride) - 1) * stride + kernel_size - n, 0)
    return [total // 2, total - total // 2]
""",
            OK,
            "correct (",
        ),
        (
            "an array",
            """
def tf_same_padding(n, kernel_size, stride):
    total = max((-(-n // stride) - 1) * stride + kernel_size - n, 0)
    return np.array([total // 2, total - total // 2])
""",
            OK,
            "correct (",
        ),
        (
            "extra at the start",
            """
def tf_same_padding(n, kernel_size, stride):
    total = max((-(-n // stride) - 1) * stride + kernel_size - n, 0)
    return (total - total // 2, total // 2)
""",
            BAD,
            "Extra pixel at the start",
        ),
        (
            "stride-1 rule",
            "def tf_same_padding(n, kernel_size, stride):\n    t = kernel_size - 1\n    return (t // 2, t - t // 2)",
            BAD,
            "Stride-1 rule for every stride",
        ),
        (
            "negative padding",
            """
def tf_same_padding(n, kernel_size, stride):
    total = (-(-n // stride) - 1) * stride + kernel_size - n
    return (total // 2, total - total // 2)
""",
            BAD,
            "Negative padding",
        ),
    ],
    "blog_convention": [
        ("tuple", "blog_convention = (1, 5)", OK, "correct."),
        ("list", "blog_convention = [1, 5]", OK, "correct."),
        (
            "computed from ex's data",
            "blog_convention = (ex.BLOG_P // 2, output_size(ex.BLOG_N, ex.BLOG_K, ex.BLOG_S, ex.BLOG_P))",
            OK,
            "correct.",
        ),
        ("the blog's numbers", "blog_convention = (2, 4)", BAD, "The blog's numbers"),
        ("the blog's size", "blog_convention = (1, 4)", BAD, "The blog's size"),
        ("per side", "blog_convention = (2, 5)", BAD, "Padding per side"),
        ("one wrong", "blog_convention = (3, 5)", BAD, "entry 1 of (3, 5) wrong"),
    ],
    "unread_pixels": [
        (
            "lib",
            "def unread_pixels(n, kernel_size, stride):\n    return unread_positions(n, kernel_size, stride)",
            OK,
            "correct (",
        ),
        (
            "a list of ints",
            """
def unread_pixels(n, kernel_size, stride):
    read = set()
    for w in range((n - kernel_size) // stride + 1):
        read.update(range(w * stride, w * stride + kernel_size))
    return [p for p in range(n) if p not in read]
""",
            OK,
            "correct (",
        ),
        (
            "a tuple of numpy ints",
            "def unread_pixels(n, kernel_size, stride):\n    return tuple(unread_positions(n, kernel_size, stride))",
            OK,
            "correct (",
        ),
        (
            "non-integers",
            "def unread_pixels(n, kernel_size, stride):\n    return [p + 0.9 for p in unread_positions(n, kernel_size, stride)]",
            BAD,
            "some positions are wrong",
        ),
        (
            "floats",
            "def unread_pixels(n, kernel_size, stride):\n    return unread_positions(n, kernel_size, stride).astype(float)",
            BAD,
            "they are floats (dtype float64)",
        ),
        (
            "decreasing",
            "def unread_pixels(n, kernel_size, stride):\n    return unread_positions(n, kernel_size, stride)[::-1]",
            BAD,
            "not in increasing order",
        ),
        (
            "strings",
            "def unread_pixels(n, kernel_size, stride):\n    return [str(p) for p in unread_positions(n, kernel_size, stride)]",
            BAD,
            "flat list of positions",
        ),
        (
            "tail only",
            """
def unread_pixels(n, kernel_size, stride):
    last = ((n - kernel_size) // stride) * stride + kernel_size
    return np.arange(last, n)
""",
            BAD,
            "The tail only",
        ),
        (
            "the read ones",
            "def unread_pixels(n, kernel_size, stride):\n    return np.setdiff1d(np.arange(n), unread_positions(n, kernel_size, stride))",
            BAD,
            "The read pixels",
        ),
    ],
}

# --- chapter 3 -----------------------------------------------------------------------------

_MULTI = """
def conv2d_multichannel(input, weight, bias):
    maps = []
    for o in range(weight.shape[0]):
        {body}
    return np.stack(maps)
"""

_POINT = "def pointwise_conv(input, weight, bias):\n    return {}"

CHAPTER3 = {
    "weight_shape": [
        ("tuple", "weight_shape = (16, 6, 5, 5)", OK, "correct."),
        ("list", "weight_shape = [16, 6, 5, 5]", OK, "correct."),
        ("torch.Size", "weight_shape = torch.Size([16, 6, 5, 5])", OK, "correct."),
        ("nn.Conv2d's weight", "weight_shape = nn.Conv2d(6, 16, 5).weight.shape", OK, "correct."),
        ("array", "weight_shape = np.array([16, 6, 5, 5])", OK, "correct."),
        (
            "from ex's data",
            "layer = ex.WEIGHT_LAYER\nweight_shape = (layer['out_channels'], layer['in_channels'], 5, 5)",
            OK,
            "correct.",
        ),
        ("swapped", "weight_shape = (6, 16, 5, 5)", BAD, "Filters and input channels swapped"),
        ("channels forgotten", "weight_shape = (16, 5, 5)", BAD, "Input channels forgotten"),
        ("three sizes", "weight_shape = (16, 6, 25)", BAD, "has 3 entries, the answer 4"),
        ("one wrong", "weight_shape = (16, 6, 3, 5)", BAD, "entry 3 of (16, 6, 3, 5) wrong"),
        ("one number", "weight_shape = 2400", BAD, "not one number"),
    ],
    "layer_parameters": [
        ("12832", "layer_parameters = 12832", OK, "correct."),
        ("numpy int", "layer_parameters = np.int64(12832)", OK, "correct."),
        ("12832.0", "layer_parameters = 12832.0", OK, "correct."),
        ("0-d array", "layer_parameters = np.array(12832)", OK, "correct."),
        ("0-d tensor", "layer_parameters = torch.tensor(12832)", OK, "correct."),
        (
            "a tensor sum over torch's parameters",
            "layer_parameters = sum(torch.tensor(p.numel()) for p in nn.Conv2d(16, 32, 5).parameters())",
            OK,
            "correct.",
        ),
        (
            "0-d tensor, bias forgotten",
            "layer_parameters = torch.tensor(12800)",
            BAD,
            "Bias forgotten",
        ),
        ("float tensor", "layer_parameters = torch.tensor(12832.5)", BAD, "not a Tensor"),
        ("a bool", "layer_parameters = True", BAD, "not a bool"),
        (
            "counted by torch",
            "layer_parameters = sum(p.numel() for p in nn.Conv2d(16, 32, 5).parameters())",
            OK,
            "correct.",
        ),
        ("bias forgotten", "layer_parameters = 12800", BAD, "Bias forgotten"),
        ("one bias per kernel", "layer_parameters = 12800 + 512", BAD, "One bias per kernel"),
        ("not whole", "layer_parameters = 12832.5", BAD, "not a whole number"),
        ("a string", "layer_parameters = '12832'", BAD, "not a str"),
    ],
    "layer_multiply_adds": [
        ("221184", "layer_multiply_adds = 221184", OK, "correct."),
        ("the product", "layer_multiply_adds = 8 * 32 * 32 * 3 * 3 * 3", OK, "correct."),
        ("0-d array", "layer_multiply_adds = np.array(221184)", OK, "correct."),
        ("0-d tensor", "layer_multiply_adds = torch.tensor(221184)", OK, "correct."),
        (
            "0-d tensor, operations",
            "layer_multiply_adds = torch.tensor(2 * 221184)",
            BAD,
            "Counted operations",
        ),
        ("not whole", "layer_multiply_adds = 221184.5", BAD, "not a whole number"),
        ("float tensor", "layer_multiply_adds = torch.tensor(221184.0)", BAD, "not a Tensor"),
        ("a string", "layer_multiply_adds = '221184'", BAD, "not a str"),
        (
            "conv2d_cost of ex's data",
            "layer_multiply_adds = conv2d_cost(**ex.MULTIPLY_ADDS_LAYER, padding=1).multiply_adds",
            OK,
            "correct.",
        ),
        ("real pixels only", "layer_multiply_adds = 212064", BAD, "Padding products left out"),
        ("padding forgotten", "layer_multiply_adds = 8 * 30 * 30 * 27", BAD, "Padding forgotten"),
        ("one map", "layer_multiply_adds = 32 * 32 * 27", BAD, "One output map only"),
        ("operations", "layer_multiply_adds = 2 * 221184", BAD, "Counted operations"),
        ("unnamed", "layer_multiply_adds = 1", BAD, "1 is not the answer"),
    ],
    "conv2d_multichannel": [
        (
            "loops over filters and channels",
            _MULTI.format(
                body="maps.append(sum(conv2d(input[c], weight[o, c]) for c in range(input.shape[0])) + bias[o])"
            ),
            OK,
            "correct (",
        ),
        (
            "einsum on windows",
            """
from numpy.lib.stride_tricks import sliding_window_view

def conv2d_multichannel(input, weight, bias):
    windows = sliding_window_view(input, weight.shape[2:], axis=(1, 2))
    return np.einsum("cyxij,ocij->oyx", windows, weight) + bias[:, None, None]
""",
            OK,
            "correct (",
        ),
        (
            "float32 einsum",
            """
from numpy.lib.stride_tricks import sliding_window_view

def conv2d_multichannel(input, weight, bias):
    windows = sliding_window_view(input.astype(np.float32), weight.shape[2:], axis=(1, 2))
    out = np.einsum("cyxij,ocij->oyx", windows, weight.astype(np.float32))
    return out + bias.astype(np.float32)[:, None, None]
""",
            OK,
            "correct (",
        ),
        (
            "torch",
            """
def conv2d_multichannel(input, weight, bias):
    out = torch.nn.functional.conv2d(
        torch.from_numpy(input)[None], torch.from_numpy(weight), torch.from_numpy(bias)
    )
    return out[0].numpy()
""",
            OK,
            "correct (",
        ),
        (
            "bias forgotten",
            _MULTI.format(
                body="maps.append(sum(conv2d(input[c], weight[o, c]) for c in range(input.shape[0])))"
            ),
            BAD,
            "Bias forgotten",
        ),
        (
            "bias per channel",
            _MULTI.format(
                body="maps.append(sum(conv2d(input[c], weight[o, c]) + bias[o] for c in range(input.shape[0])))"
            ),
            BAD,
            "Bias added once per input channel",
        ),
        (
            "total = instead of +=",
            """
def conv2d_multichannel(input, weight, bias):
    maps = []
    for o in range(weight.shape[0]):
        for c in range(input.shape[0]):
            total = conv2d(input[c], weight[o, c])
        maps.append(total + bias[o])
    return np.stack(maps)
""",
            BAD,
            "One input channel only",
        ),
        (
            "channels last",
            "def conv2d_multichannel(input, weight, bias):\n    return np.moveaxis(conv2d(input, weight, bias), 0, -1)",
            BAD,
            "Channels last",
        ),
    ],
    "pointwise_conv": [
        (
            "matrix product",
            """
def pointwise_conv(input, weight, bias):
    n, c, h, w = input.shape
    pixels = input.transpose(1, 0, 2, 3).reshape(c, -1)
    out = weight[:, :, 0, 0] @ pixels + bias[:, None]
    return out.reshape(-1, n, h, w).transpose(1, 0, 2, 3)
""",
            OK,
            "correct (",
        ),
        (
            "einsum",
            _POINT.format(
                'np.einsum("oc,nchw->nohw", weight[:, :, 0, 0], input) + bias[None, :, None, None]'
            ),
            OK,
            "correct (",
        ),
        (
            "float32 einsum",
            _POINT.format(
                'np.einsum("oc,nchw->nohw", weight[:, :, 0, 0].astype(np.float32), input.astype(np.float32)) + bias.astype(np.float32)[None, :, None, None]'
            ),
            OK,
            "correct (",
        ),
        (
            "torch",
            _POINT.format(
                "torch.nn.functional.conv2d(torch.from_numpy(input), torch.from_numpy(weight), torch.from_numpy(bias)).numpy()"
            ),
            OK,
            "correct (",
        ),
        (
            "bias forgotten",
            _POINT.format('np.einsum("oc,nchw->nohw", weight[:, :, 0, 0], input)'),
            BAD,
            "Bias forgotten",
        ),
        (
            "reshaped, not transposed",
            """
def pointwise_conv(input, weight, bias):
    n, c, h, w = input.shape
    return (input.reshape(n, h * w, c) @ weight[:, :, 0, 0].T + bias).reshape(n, -1, h, w)
""",
            BAD,
            "Reshaped instead of transposed",
        ),
        (
            "channels last",
            _POINT.format('np.einsum("oc,nchw->nhwo", weight[:, :, 0, 0], input) + bias'),
            BAD,
            "Channels last",
        ),
    ],
    "c3_table": [
        (
            "loops modulo 6",
            """
def c3_table():
    table = np.zeros((16, 6), dtype=bool)
    for j in range(6):
        for d in range(3):
            table[j, (j + d) % 6] = True
        for d in range(4):
            table[6 + j, (j + d) % 6] = True
    for j, maps in enumerate([(0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5)]):
        table[12 + j, list(maps)] = True
    table[15] = True
    return table
""",
            OK,
            "correct (",
        ),
        ("lib's table", "def c3_table():\n    return c3_connections()", OK, "correct ("),
        (
            "ints 0 and 1",
            "def c3_table():\n    return c3_connections().astype(int)",
            BAD,
            "the dtype is int64: the table must hold booleans",
        ),
        (
            "floats 0.0 and 1.0",
            "def c3_table():\n    return c3_connections().astype(float)",
            BAD,
            "the dtype is float64: the table must hold booleans",
        ),
        ("transposed", "def c3_table():\n    return c3_connections().T", BAD, "Table transposed"),
        (
            "no wrap-around",
            """
def c3_table():
    table = np.zeros((16, 6), dtype=bool)
    for j in range(6):
        table[j, j : j + 3] = True
        table[6 + j, j : j + 4] = True
    table[12:] = c3_connections()[12:]
    return table
""",
            BAD,
            "No wrap-around",
        ),
        ("inverted", "def c3_table():\n    return ~c3_connections()", BAD, "entries are wrong"),
        (
            "a list",
            "def c3_table():\n    return c3_connections().tolist()",
            BAD,
            "it returned a list",
        ),
    ],
}

# --- chapter 4 -----------------------------------------------------------------------------

_BACK = """
def max_pool_backward(grad_output, x, kernel_size, stride):
    grad = np.zeros(x.shape)
    for y in range(grad_output.shape[0]):
        for c in range(grad_output.shape[1]):
            window = x[y * stride : y * stride + kernel_size, c * stride : c * stride + kernel_size]
            {body}
    return grad
"""

_AVG_BACK = """
def avg_pool_backward(grad_output, input_shape, kernel_size, stride):
    grad = np.zeros(input_shape)
    for y in range(grad_output.shape[0]):
        for c in range(grad_output.shape[1]):
            grad[y * stride : y * stride + kernel_size, c * stride : c * stride + kernel_size] {op} grad_output[y, c] / {divisor}
    return grad
"""

_INDICES = "def max_pool_with_indices(x, kernel_size, stride):\n    values, indices = max_pool2d(x, kernel_size, stride, return_indices=True)\n    return {}"

_EXCLUDE = "def avg_pool_exclude_pad(x, kernel_size, stride, padding):\n    return {}"

CHAPTER4 = {
    "max_by_hand": [
        ("nested list", "max_by_hand = [[6, 8], [9, 7]]", OK, "correct."),
        ("array", "max_by_hand = np.array([[6, 8], [9, 7]])", OK, "correct."),
        ("tuples of floats", "max_by_hand = ((6.0, 8.0), (9.0, 7.0))", OK, "correct."),
        ("lib on ex's data", "max_by_hand = max_pool2d(ex.HAND_MAP, 2)", OK, "correct."),
        ("strings", "max_by_hand = [['6', '8'], ['9', '7']]", BAD, "a nested list of numbers"),
        ("average", "max_by_hand = avg_pool2d(ex.HAND_MAP, 2)", BAD, "Average instead of max"),
        ("transposed", "max_by_hand = [[6, 9], [8, 7]]", BAD, "Rows and columns swapped"),
        ("flat", "max_by_hand = [6, 8, 9, 7]", BAD, "shape (2, 2)"),
        ("a tensor", "max_by_hand = torch.tensor([[6, 8], [9, 7]])", BAD, "got a Tensor"),
    ],
    "ceil_sizes": [
        ("tuple", "ceil_sizes = (4, 4, 3)", OK, "correct."),
        ("list", "ceil_sizes = [4, 4, 3]", OK, "correct."),
        (
            "lib on ex's data",
            "ceil_sizes = [output_size(n, k, s, p, ceil_mode=True) for n, k, s, p in ex.CEIL_CASES]",
            OK,
            "correct.",
        ),
        ("floor", "ceil_sizes = (3, 3, 3)", BAD, "Floor instead of ceil"),
        ("rule forgotten", "ceil_sizes = (4, 4, 4)", BAD, "Rule for the last window forgotten"),
        ("one wrong", "ceil_sizes = (4, 5, 3)", BAD, "entry 2 of (4, 5, 3) wrong"),
        ("two sizes", "ceil_sizes = (4, 4)", BAD, "Answer 3 sizes"),
    ],
    "max_pool_with_indices": [
        ("lib", _INDICES.format("values, indices"), OK, "correct ("),
        ("a list pair", _INDICES.format("[values, indices]"), OK, "correct ("),
        (
            "windows and argmax",
            """
from numpy.lib.stride_tricks import sliding_window_view

def max_pool_with_indices(x, kernel_size, stride):
    k, s = kernel_size, stride
    windows = sliding_window_view(x, (k, k))[::s, ::s]
    flat = windows.reshape(*windows.shape[:2], k * k)
    first = flat.argmax(axis=-1)
    i, j = np.divmod(first, k)
    rows = np.arange(windows.shape[0])[:, None] * s + i
    cols = np.arange(windows.shape[1])[None, :] * s + j
    return flat.max(axis=-1), rows * x.shape[1] + cols
""",
            OK,
            "correct (",
        ),
        (
            "torch",
            """
def max_pool_with_indices(x, kernel_size, stride):
    t = torch.from_numpy(x.astype(np.float64))[None, None]
    values, indices = F.max_pool2d(t, kernel_size, stride, return_indices=True)
    return values[0, 0].numpy().astype(x.dtype), indices[0, 0].numpy()
""",
            OK,
            "correct (",
        ),
        ("swapped", _INDICES.format("indices, values"), BAD, "Values and indices swapped"),
        (
            "float values",
            _INDICES.format("values.astype(float), indices"),
            BAD,
            "their dtype is float64",
        ),
        (
            "float indices",
            _INDICES.format("values, indices.astype(float)"),
            BAD,
            "the indices have dtype float64",
        ),
        (
            "indices in the window",
            """
def max_pool_with_indices(x, kernel_size, stride):
    values, indices = max_pool2d(x, kernel_size, stride, return_indices=True)
    rows, cols = np.divmod(indices, x.shape[1])
    top = np.arange(values.shape[0])[:, None] * stride
    left = np.arange(values.shape[1])[None, :] * stride
    return values, (rows - top) * kernel_size + (cols - left)
""",
            BAD,
            "Indices inside the window",
        ),
        (
            "stride ignored",
            "def max_pool_with_indices(x, kernel_size, stride):\n    return max_pool2d(x, kernel_size, 1, return_indices=True)",
            BAD,
            "Stride ignored",
        ),
    ],
    "max_pool_backward": [
        (
            "first maximum, +=",
            _BACK.format(
                body="i, j = divmod(int(np.argmax(window)), kernel_size)\n            grad[y * stride + i, c * stride + j] += grad_output[y, c]"
            ),
            OK,
            "correct (",
        ),
        (
            "lib",
            "def max_pool_backward(grad_output, x, kernel_size, stride):\n    return max_pool2d_grad(grad_output, x, kernel_size, stride)",
            OK,
            "correct (",
        ),
        (
            "torch autograd",
            """
def max_pool_backward(grad_output, x, kernel_size, stride):
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    out = F.max_pool2d(t[None, None], kernel_size, stride)[0, 0]
    out.backward(torch.from_numpy(grad_output))
    return t.grad.numpy()
""",
            OK,
            "correct (",
        ),
        (
            "= instead of +=",
            _BACK.format(
                body="i, j = divmod(int(np.argmax(window)), kernel_size)\n            grad[y * stride + i, c * stride + j] = grad_output[y, c]"
            ),
            BAD,
            "= instead of +=",
        ),
        (
            "every tie",
            _BACK.format(
                body="grad[y * stride : y * stride + kernel_size, c * stride : c * stride + kernel_size] += (window == window.max()) * grad_output[y, c]"
            ),
            BAD,
            "Gradient to every tied maximum",
        ),
        (
            "spread like average",
            _BACK.format(
                body="grad[y * stride : y * stride + kernel_size, c * stride : c * stride + kernel_size] += grad_output[y, c] / kernel_size**2"
            ),
            BAD,
            "Gradient spread like average pooling",
        ),
    ],
    "avg_pool_backward": [
        ("loops, +=", _AVG_BACK.format(op="+=", divisor="kernel_size**2"), OK, "correct ("),
        (
            "lib",
            "def avg_pool_backward(grad_output, input_shape, kernel_size, stride):\n    return avg_pool2d_grad(grad_output, input_shape, kernel_size, stride)",
            OK,
            "correct (",
        ),
        (
            "torch autograd",
            """
def avg_pool_backward(grad_output, input_shape, kernel_size, stride):
    t = torch.zeros(input_shape, dtype=torch.float64, requires_grad=True)
    F.avg_pool2d(t[None, None], kernel_size, stride)[0, 0].backward(torch.from_numpy(grad_output))
    return t.grad.numpy()
""",
            OK,
            "correct (",
        ),
        (
            "not divided",
            _AVG_BACK.format(op="+=", divisor="1"),
            BAD,
            "Not divided by the window's size",
        ),
        (
            "divided by k",
            _AVG_BACK.format(op="+=", divisor="kernel_size"),
            BAD,
            "Divided by k, not k * k",
        ),
        (
            "= instead of +=",
            _AVG_BACK.format(op="=", divisor="kernel_size**2"),
            BAD,
            "= instead of +=",
        ),
    ],
    "avg_pool_exclude_pad": [
        (
            "lib",
            _EXCLUDE.format("avg_pool2d(x, kernel_size, stride, padding, count_include_pad=False)"),
            OK,
            "correct (",
        ),
        (
            "padded map of ones",
            """
def avg_pool_exclude_pad(x, kernel_size, stride, padding):
    sums = avg_pool2d(x.astype(float), kernel_size, stride, padding, divisor_override=1)
    counts = avg_pool2d(np.ones(x.shape), kernel_size, stride, padding, divisor_override=1)
    return sums / counts
""",
            OK,
            "correct (",
        ),
        (
            "torch",
            _EXCLUDE.format(
                "F.avg_pool2d(torch.from_numpy(x.astype(np.float64))[None, None], kernel_size, stride, padding, count_include_pad=False)[0, 0].numpy()"
            ),
            OK,
            "correct (",
        ),
        (
            "zeros counted",
            _EXCLUDE.format("avg_pool2d(x, kernel_size, stride, padding)"),
            BAD,
            "Padding zeros counted",
        ),
        # Without its padding, a 1x8 map holds no 3x3 window: lib says so, and so do both.
        (
            "padding ignored",
            _EXCLUDE.format("avg_pool2d(x, kernel_size, stride, 0)"),
            ERR,
            "is larger than the padded input, n + 2 * padding = 1 + 2 * 0 = 1",
        ),
        (
            "nonzero counted",
            """
def avg_pool_exclude_pad(x, kernel_size, stride, padding):
    sums = avg_pool2d(x.astype(float), kernel_size, stride, padding, divisor_override=1)
    counts = avg_pool2d((x != 0).astype(float), kernel_size, stride, padding, divisor_override=1)
    return sums / np.maximum(counts, 1)
""",
            BAD,
            "The map's own zeros not counted",
        ),
    ],
}

# --- chapter 5 -----------------------------------------------------------------------------

_SHAPES = "((6, 32, 32), (6, 16, 16), (16, 12, 12), (16, 6, 6), (120, 2, 2))"
_PARAMS = "def conv_parameters(in_maps, out_maps, kernel_size):\n    return {}"
_SQUASH = "def squash(a):\n    a = np.asarray(a, dtype=float)\n    return {}"
_RBF = "def rbf_distances(f6, prototypes):\n    return {}"
_D2 = "((f6[:, None, :] - prototypes[None]) ** 2).sum(axis=2)"

CHAPTER5 = {
    "shapes_36": [
        ("tuples", f"shapes_36 = {_SHAPES}", OK, "correct."),
        (
            "lists",
            "shapes_36 = [[6, 32, 32], [6, 16, 16], [16, 12, 12], [16, 6, 6], [120, 2, 2]]",
            OK,
            "correct.",
        ),
        (
            "torch.Size of a forward pass",
            """
x = torch.zeros(1, 1, 36, 36)
shapes_36 = []
for layer in [nn.Conv2d(1, 6, 5), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5), nn.AvgPool2d(2), nn.Conv2d(16, 120, 5)]:
    x = layer(x)
    shapes_36.append(x.shape[1:])
""",
            OK,
            "correct.",
        ),
        (
            "no + 1",
            "shapes_36 = ((6, 31, 31), (6, 15, 15), (16, 10, 10), (16, 5, 5), (120, 0, 0))",
            BAD,
            "One row short",
        ),
        (
            "maps missing",
            "shapes_36 = ((32, 32), (16, 16), (12, 12), (6, 6), (2, 2))",
            BAD,
            "Maps missing",
        ),
        ("sizes only", "shapes_36 = (32, 16, 12, 6, 2)", BAD, "Maps missing"),
        ("one shape", "shapes_36 = (6, 32, 32)", BAD, "Answer five shapes"),
        ("repeated", "shapes_36 = [[6, 32, 32]] * 5", BAD, "entries 2, 3, 4, 5 of"),
    ],
    "conv_parameters": [
        (
            "the formula",
            _PARAMS.format("out_maps * (in_maps * kernel_size * kernel_size + 1)"),
            OK,
            "correct (",
        ),
        (
            "torch counts",
            _PARAMS.format(
                "sum(p.numel() for p in nn.Conv2d(in_maps, out_maps, kernel_size).parameters())"
            ),
            OK,
            "correct (",
        ),
        (
            "numpy int",
            _PARAMS.format("np.int64(out_maps) * (in_maps * kernel_size**2 + 1)"),
            OK,
            "correct (",
        ),
        (
            "0-d tensor",
            _PARAMS.format("torch.tensor(out_maps) * (in_maps * kernel_size**2 + 1)"),
            OK,
            "correct (",
        ),
        (
            "biases forgotten",
            _PARAMS.format("out_maps * in_maps * kernel_size * kernel_size"),
            BAD,
            "Biases forgotten",
        ),
        (
            "bias per input map",
            _PARAMS.format("out_maps * in_maps * (kernel_size * kernel_size + 1)"),
            BAD,
            "A bias per input map",
        ),
        (
            "k weights",
            _PARAMS.format("out_maps * (in_maps * kernel_size + 1)"),
            BAD,
            "Kernel counted as k weights",
        ),
        (
            "a string",
            _PARAMS.format("str(out_maps * (in_maps * kernel_size**2 + 1))"),
            BAD,
            "it returned a str",
        ),
    ],
    "sparse_parameters": [
        (
            "sum of the table",
            "def sparse_parameters(table, kernel_size):\n    return int(table.sum()) * kernel_size**2 + len(table)",
            OK,
            "correct (",
        ),
        (
            "row by row",
            """
def sparse_parameters(table, kernel_size):
    total = 0
    for row in table:
        total += int(np.count_nonzero(row)) * kernel_size * kernel_size + 1
    return total
""",
            OK,
            "correct (",
        ),
        (
            "a numpy int",
            "def sparse_parameters(table, kernel_size):\n    return np.sum(table) * kernel_size**2 + table.shape[0]",
            OK,
            "correct (",
        ),
        (
            "torch's count of a masked layer",
            """
def sparse_parameters(table, kernel_size):
    rows, columns = table.shape
    weight = torch.zeros(rows, columns, kernel_size, kernel_size)
    return int(weight[torch.from_numpy(np.asarray(table, dtype=bool))].numel()) + rows
""",
            OK,
            "correct (",
        ),
        (
            "biases forgotten",
            "def sparse_parameters(table, kernel_size):\n    return int(table.sum()) * kernel_size**2",
            BAD,
            "Biases forgotten",
        ),
        (
            "bias per connection",
            "def sparse_parameters(table, kernel_size):\n    return int(table.sum()) * (kernel_size**2 + 1)",
            BAD,
            "A bias per connection",
        ),
        (
            "table not used",
            "def sparse_parameters(table, kernel_size):\n    rows, columns = table.shape\n    return rows * (columns * kernel_size**2 + 1)",
            BAD,
            "Table not used",
        ),
        (
            "a bias per input map",
            "def sparse_parameters(table, kernel_size):\n    return int(table.sum()) * kernel_size**2 + table.shape[1]",
            BAD,
            "A bias per input map",
        ),
        (
            "a float",
            "def sparse_parameters(table, kernel_size):\n    return table.sum() * kernel_size**2 + len(table) + 0.5",
            BAD,
            "which is not the count",
        ),
    ],
    "small_c3_shapes": [
        (
            "tuples",
            "small_c3_shapes = ((16, 12, 12), (16, 6, 6), (120, 2, 2), 480)",
            OK,
            "correct.",
        ),
        ("lists", "small_c3_shapes = [[16, 12, 12], [16, 6, 6], [120, 2, 2], 480]", OK, "correct."),
        (
            "torch.Size and a numpy int",
            "small_c3_shapes = (torch.Size([16, 12, 12]), torch.Size([16, 6, 6]), torch.Size([120, 2, 2]), np.int64(480))",
            OK,
            "correct.",
        ),
        (
            "C5 1x1",
            "small_c3_shapes = ((16, 12, 12), (16, 6, 6), (120, 2, 2), 120)",
            BAD,
            "C5 taken as 1x1",
        ),
        (
            "kernel unchanged",
            "small_c3_shapes = ((16, 10, 10), (16, 5, 5), (120, 1, 1), 120)",
            BAD,
            "The kernel was not changed",
        ),
        (
            "a string",
            "small_c3_shapes = ((16, 12, 12), (16, 6, 6), (120, 2, 2), '480')",
            BAD,
            "whole numbers",
        ),
    ],
    "squash": [
        ("numpy", _SQUASH.format("1.7159 * np.tanh(2 * a / 3)"), OK, "correct ("),
        (
            "float32",
            "def squash(a):\n    a = np.asarray(a, dtype=np.float32)\n    return np.float32(1.7159) * np.tanh(np.float32(2 / 3) * a)",
            OK,
            "correct (",
        ),
        (
            "torch",
            "def squash(a):\n    return (1.7159 * torch.tanh(torch.as_tensor(a) * 2 / 3)).numpy()",
            OK,
            "correct (",
        ),
        ("lib's", "def squash(a):\n    return scaled_tanh(a)", OK, "correct ("),
        ("plain tanh", _SQUASH.format("np.tanh(a)"), BAD, "Plain tanh"),
        ("amplitude missing", _SQUASH.format("np.tanh(2 * a / 3)"), BAD, "Amplitude missing"),
        (
            "slope upside down",
            _SQUASH.format("1.7159 * np.tanh(3 * a / 2)"),
            BAD,
            "Slope upside down",
        ),
        ("slope 0.6667", _SQUASH.format("1.7159 * np.tanh(0.6667 * a)"), BAD, "Slope rounded"),
        (
            "amplitude 1.716",
            _SQUASH.format("1.716 * np.tanh(2 * a / 3)"),
            BAD,
            "Amplitude rounded",
        ),
        ("ReLU", _SQUASH.format("np.maximum(a, 0)"), BAD, "Modern activation"),
    ],
    "rbf_distances": [
        ("broadcasting", _RBF.format(_D2), OK, "correct ("),
        (
            "loops",
            """
def rbf_distances(f6, prototypes):
    out = np.zeros((len(f6), len(prototypes)))
    for n in range(len(f6)):
        for i in range(len(prototypes)):
            out[n, i] = np.sum((f6[n] - prototypes[i]) ** 2)
    return out
""",
            OK,
            "correct (",
        ),
        (
            "SciPy",
            "from scipy.spatial.distance import cdist\n\n"
            + _RBF.format('cdist(f6, prototypes, "sqeuclidean")'),
            OK,
            "correct (",
        ),
        (
            "float32",
            _RBF.format(
                _D2.replace("f6[:, None, :]", "f6.astype(np.float32)[:, None, :]").replace(
                    "prototypes[None]", "prototypes.astype(np.float32)[None]"
                )
            ),
            OK,
            "correct (",
        ),
        ("square root", _RBF.format(f"np.sqrt({_D2})"), BAD, "Square root taken"),
        ("transposed", _RBF.format(f"{_D2}.T"), BAD, "Rows and columns swapped"),
        ("dot product", _RBF.format("f6 @ prototypes.T"), BAD, "Dot product"),
        ("mean", _RBF.format(f"{_D2} / f6.shape[1]"), BAD, "Mean instead of sum"),
    ],
}

# --- chapter 6 -----------------------------------------------------------------------------

_WGRAD = """
def conv_weight_grad(image, grad_output):
    image, g = np.asarray(image, dtype=float), np.asarray(grad_output, dtype=float)
    kh, kw = image.shape[0] - g.shape[0] + 1, image.shape[1] - g.shape[1] + 1
    grad = np.zeros((kh, kw))
    for i in range(kh):
        for j in range(kw):
            grad[i, j] = np.sum(g * image[i : i + g.shape[0], j : j + g.shape[1]])
    return {result}
"""
_TANH = "def tanh_backward(a, grad_output):\n    t = np.tanh(2 * np.asarray(a, dtype=float) / 3)\n    return {}"
_NUMERICAL = """
def numerical_grad_kernel(image, kernel, target, eps):
    def loss(k):
        return {loss}
    grad = np.zeros(kernel.shape)
    for index in np.ndindex(kernel.shape):
        plus, minus = kernel.astype(float), kernel.astype(float)
        plus[index] += eps
        minus[index] -= eps
        grad[index] = {difference}
    return grad
"""
_HALF_SUM = "0.5 * np.sum(np.tanh(conv2d(image, k) - target) ** 2)"
_CENTRAL = "(loss(plus) - loss(minus)) / (2 * eps)"
_TRANSPOSED = """
def transposed_conv(x, kernel, stride):
    x, kernel = np.asarray(x, dtype=float), np.asarray(kernel, dtype=float)
    spread = np.zeros({size})
    spread[::stride, ::stride] = x
    return conv2d(spread, {kernel}, padding="full")
"""
_SPREAD = "((x.shape[0] - 1) * stride + 1, (x.shape[1] - 1) * stride + 1)"
_SGD = "def sgd_step(weight, grad, velocity, lr, momentum):\n    {}"
_SUB = "def subsampling_backward(grad_output, coefficient):\n    c = np.asarray(coefficient)[None, :, None, None]\n    return {}"

CHAPTER6 = {
    "conv_weight_grad": [
        ("loops", _WGRAD.format(result="grad"), OK, "correct ("),
        (
            "lib's correlation",
            "def conv_weight_grad(image, grad_output):\n    return conv2d(np.asarray(image, dtype=float), np.asarray(grad_output, dtype=float))",
            OK,
            "correct (",
        ),
        (
            "torch's autograd",
            """
def conv_weight_grad(image, grad_output):
    x = torch.tensor(image, dtype=torch.float64)[None, None]
    g = torch.tensor(grad_output, dtype=torch.float64)
    shape = (image.shape[0] - g.shape[0] + 1, image.shape[1] - g.shape[1] + 1)
    w = torch.zeros(1, 1, *shape, dtype=torch.float64, requires_grad=True)
    (F.conv2d(x, w)[0, 0] * g).sum().backward()
    return w.grad[0, 0].numpy()
""",
            OK,
            "correct (",
        ),
        ("flipped", _WGRAD.format(result="grad[::-1, ::-1]"), BAD, "Kernel flipped"),
        ("mean", _WGRAD.format(result="grad / g.size"), BAD, "Mean instead of sum"),
        (
            "input's gradient",
            "def conv_weight_grad(image, grad_output):\n    return conv2d_grad_input(grad_output, np.ones((image.shape[0] - grad_output.shape[0] + 1, image.shape[1] - grad_output.shape[1] + 1)), image.shape)",
            BAD,
            "The input's gradient",
        ),
        (
            "no grad_output",
            "def conv_weight_grad(image, grad_output):\n    return conv2d(np.asarray(image, dtype=float), np.ones(grad_output.shape))",
            BAD,
            "Grad_output not used",
        ),
    ],
    "tanh_backward": [
        ("formula", _TANH.format("grad_output * 1.7159 * (2 / 3) * (1 - t**2)"), OK, "correct ("),
        (
            "cosh",
            "def tanh_backward(a, grad_output):\n    return grad_output * 1.7159 * 2 / 3 / np.cosh(2 * np.asarray(a) / 3) ** 2",
            OK,
            "correct (",
        ),
        (
            "autograd",
            """
def tanh_backward(a, grad_output):
    t = torch.tensor(np.asarray(a, dtype=float), requires_grad=True)
    (1.7159 * torch.tanh(2 * t / 3) * torch.tensor(np.asarray(grad_output, dtype=float))).sum().backward()
    return t.grad.numpy()
""",
            OK,
            "correct (",
        ),
        (
            "no grad_output",
            _TANH.format("1.7159 * (2 / 3) * (1 - t**2)"),
            BAD,
            "Grad_output not used",
        ),
        ("no 2/3", _TANH.format("grad_output * 1.7159 * (1 - t**2)"), BAD, "Inner slope forgotten"),
        (
            "f squared",
            _TANH.format("grad_output * 1.7159 * (2 / 3) * (1 - (1.7159 * t) ** 2)"),
            BAD,
            "The output squared",
        ),
        (
            "no square",
            _TANH.format("grad_output * 1.7159 * (2 / 3) * (1 - t)"),
            BAD,
            "Square missing",
        ),
    ],
    "numerical_grad_kernel": [
        ("copies", _NUMERICAL.format(loss=_HALF_SUM, difference=_CENTRAL), OK, "correct ("),
        (
            "one-hot steps",
            """
def numerical_grad_kernel(image, kernel, target, eps):
    def loss(k):
        return 0.5 * np.sum(np.tanh(conv2d(image, k) - target) ** 2)

    grad = np.zeros(kernel.shape)
    for index in np.ndindex(kernel.shape):
        step = np.zeros(kernel.shape)
        step[index] = eps
        grad[index] = (loss(kernel + step) - loss(kernel - step)) / (2 * eps)
    return grad
""",
            OK,
            "correct (",
        ),
        (
            "the exact gradient",
            "def numerical_grad_kernel(image, kernel, target, eps):\n    t = np.tanh(conv2d(image, kernel) - target)\n    return conv2d_grad_weight(image, t * (1 - t**2), kernel.shape)",
            BAD,
            "The exact gradient",
        ),
        (
            "one-sided",
            _NUMERICAL.format(loss=_HALF_SUM, difference="(loss(plus) - loss(kernel)) / eps"),
            BAD,
            "One-sided difference",
        ),
        (
            "divided by eps",
            _NUMERICAL.format(loss=_HALF_SUM, difference="(loss(plus) - loss(minus)) / eps"),
            BAD,
            "Twice the gradient",
        ),
        (
            "mean loss",
            _NUMERICAL.format(loss=_HALF_SUM.replace("np.sum", "np.mean"), difference=_CENTRAL),
            BAD,
            "Loss averaged",
        ),
        (
            "moves the kernel",
            """
def numerical_grad_kernel(image, kernel, target, eps):
    grad = np.zeros(kernel.shape)
    for index in np.ndindex(kernel.shape):
        kernel[index] += eps
        plus = 0.5 * np.sum(np.tanh(conv2d(image, kernel) - target) ** 2)
        kernel[index] -= 2 * eps
        minus = 0.5 * np.sum(np.tanh(conv2d(image, kernel) - target) ** 2)
        grad[index] = (plus - minus) / (2 * eps)
    return grad
""",
            BAD,
            "changed its input",
        ),
    ],
    "transposed_conv": [
        (
            "zeros, then conv2d",
            _TRANSPOSED.format(size=_SPREAD, kernel="kernel[::-1, ::-1]"),
            OK,
            "correct (",
        ),
        (
            "torch",
            "def transposed_conv(x, kernel, stride):\n    return F.conv_transpose2d(torch.tensor(x)[None, None], torch.tensor(kernel)[None, None], stride=stride)[0, 0].numpy()",
            OK,
            "correct (",
        ),
        (
            "lib's input gradient",
            """
def transposed_conv(x, kernel, stride):
    shape = tuple((n - 1) * stride + k for n, k in zip(x.shape, kernel.shape))
    return conv2d_grad_input(x, kernel, shape, stride=stride)
""",
            OK,
            "correct (",
        ),
        ("no flip", _TRANSPOSED.format(size=_SPREAD, kernel="kernel"), BAD, "Kernel not flipped"),
        (
            "trailing zeros",
            _TRANSPOSED.format(
                size="(x.shape[0] * stride, x.shape[1] * stride)", kernel="kernel[::-1, ::-1]"
            ),
            BAD,
            "Zeros after the last entry",
        ),
        (
            "stride ignored",
            "def transposed_conv(x, kernel, stride):\n    return conv2d(np.asarray(x, dtype=float), np.asarray(kernel, dtype=float)[::-1, ::-1], padding='full')",
            BAD,
            "Stride ignored",
        ),
    ],
    "sgd_step": [
        (
            "two lines",
            _SGD.format(
                "velocity = momentum * velocity + grad\n    return weight - lr * velocity, velocity"
            ),
            OK,
            "correct (",
        ),
        (
            "a list",
            _SGD.format("v = momentum * velocity + grad\n    return [weight - lr * v, v]"),
            OK,
            "correct (",
        ),
        (
            "torch.optim.SGD",
            """
def sgd_step(weight, grad, velocity, lr, momentum):
    w = torch.nn.Parameter(torch.tensor(weight))
    optimiser = torch.optim.SGD([w], lr=lr, momentum=momentum)
    w.grad = torch.tensor(momentum * velocity + grad)  # torch's first step: velocity = grad
    optimiser.step()
    return w.detach().numpy(), momentum * velocity + grad
""",
            OK,
            "correct (",
        ),
        (
            "plus",
            _SGD.format(
                "velocity = momentum * velocity + grad\n    return weight + lr * velocity, velocity"
            ),
            BAD,
            "Gradient ascent",
        ),
        ("no momentum", _SGD.format("return weight - lr * grad, grad"), BAD, "Momentum ignored"),
        (
            "dampened",
            _SGD.format(
                "v = momentum * velocity + (1 - momentum) * grad\n    return weight - lr * v, v"
            ),
            BAD,
            "Dampened velocity",
        ),
        (
            "old velocity",
            _SGD.format("return weight - lr * velocity, momentum * velocity + grad"),
            BAD,
            "Old velocity used",
        ),
        (
            "in place",
            _SGD.format(
                "velocity *= momentum\n    velocity += grad\n    weight -= lr * velocity\n    return weight, velocity"
            ),
            BAD,
            "changed its input",
        ),
        (
            "weight only",
            _SGD.format("return weight - lr * (momentum * velocity + grad)"),
            BAD,
            "not a pair",
        ),
    ],
    "subsampling_backward": [
        (
            "repeat",
            _SUB.format("(grad_output * c).repeat(2, axis=2).repeat(2, axis=3)"),
            OK,
            "correct (",
        ),
        ("kron", _SUB.format("np.kron(grad_output * c, np.ones((1, 1, 2, 2)))"), OK, "correct ("),
        (
            "autograd",
            """
def subsampling_backward(grad_output, coefficient):
    n, c, h, w = grad_output.shape
    x = torch.zeros(n, c, 2 * h, 2 * w, dtype=torch.float64, requires_grad=True)
    weight = torch.tensor(coefficient)[None, :, None, None]
    y = F.avg_pool2d(x, 2) * 4 * weight
    (y * torch.tensor(grad_output)).sum().backward()
    return x.grad.numpy()
""",
            OK,
            "correct (",
        ),
        (
            "a quarter",
            _SUB.format("(grad_output * c / 4).repeat(2, axis=2).repeat(2, axis=3)"),
            BAD,
            "Average pooling's gradient",
        ),
        (
            "no coefficient",
            _SUB.format("grad_output.repeat(2, axis=2).repeat(2, axis=3)"),
            BAD,
            "Coefficient forgotten",
        ),
        (
            "max pooling's routing",
            """
def subsampling_backward(grad_output, coefficient):
    n, c, h, w = grad_output.shape
    out = np.zeros((n, c, 2 * h, 2 * w))
    out[:, :, ::2, ::2] = grad_output * np.asarray(coefficient)[None, :, None, None]
    return out
""",
            BAD,
            "Routed to one pixel",
        ),
    ],
}

ANSWERS = {1: CHAPTER1, 2: CHAPTER2, 3: CHAPTER3, 4: CHAPTER4, 5: CHAPTER5, 6: CHAPTER6}
