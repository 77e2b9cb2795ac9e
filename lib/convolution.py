"""The 2D convolution of deep learning (a cross-correlation), and true convolution.

``conv2d`` computes what ``torch.nn.functional.conv2d`` computes::

    out[n, o, y, x] = b[o] + sum_c sum_i sum_j in[n, c, y*s + i*d, x*s + j*d] * w[o, c, i, j]

for image ``n``, output channel ``o`` and output position ``(y, x)``, summing over the
input channels ``c`` and the kernel's taps ``(i, j)``, with stride ``s`` and dilation ``d``
(``in`` is the padded input). The kernel is not flipped: this is a cross-correlation,
which deep learning calls convolution. ``convolve2d`` flips the kernel: the convolution of
mathematics and signal processing.

The same numbers can be computed in several ways, chosen by ``method``:

- ``"loops"``: the formula, one Python loop per index. Slow; written to be read.
- ``"im2col"``: copy every window into one column of a matrix, then one matrix multiply,
  which NumPy hands to an optimised BLAS library.
- ``"fft"``: correlate by multiplying spectra (the convolution theorem). Its cost hardly
  depends on the kernel's size, so it wins for large kernels.
- ``"auto"``: whichever of im2col and fft a simple cost estimate says is faster.
"""

import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from lib._validation import as_array, as_int, as_pair, check_choice, check_ndim
from lib.padding import check_padding_fits, pad2d, source_index
from lib.shapes import _output_size, padding_sides

#: The values of conv2d's ``method`` argument.
METHODS = ("auto", "loops", "im2col", "fft")

#: The values of conv2d's ``padding_mode`` argument, as in ``torch.nn.Conv2d``.
CONV_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")

#: The most extra memory (bytes) conv2d works with at once, beyond its input and output:
#: it works through the batch a few images at a time, and through a very large image a
#: strip of rows at a time, so that no input is too large.
MAX_WORKING_MEMORY = 512 * 2**20

#: The size (bytes) of the pieces that im2col works in: small enough that its column
#: matrix stays in the processor's cache between being written and being multiplied.
IM2COL_PIECE = 8 * 2**20


def conv2d(
    input,
    weight,
    bias=None,
    stride=1,
    padding=0,
    dilation=1,
    groups=1,
    padding_mode="zeros",
    method="auto",
):
    """Cross-correlate images with kernels, as ``torch.nn.functional.conv2d`` does.

    Parameters
    ----------
    input : array_like
        One image (H, W), one image with channels (C, H, W), or a batch (N, C, H, W).
    weight : array_like
        One kernel (kH, kW) for an (H, W) input; else (O, C / groups, kH, kW): ``O``
        output channels, each a stack of kernels, one per input channel of its group.
    bias : array_like, optional
        Shape (O,), one number added to each output channel (a single number for an
        (H, W) input). Default None: no bias.
    stride : int or (int, int), optional
        Step between windows, ``>= 1``. Default 1.
    padding : int, (int, int), ((int, int), (int, int)) or str, optional
        ``p`` on all sides, ``(pad_h, pad_w)``, ``((top, bottom), (left, right))``,
        ``"valid"`` (none), ``"same"`` (output as large as the input; stride 1 only) or
        ``"full"`` (every overlap; not a PyTorch option). See
        :func:`lib.shapes.padding_sides`. Default 0.
    dilation : int or (int, int), optional
        Spacing between the kernel's taps, ``>= 1``. Default 1.
    groups : int, optional
        Split the channels into this many groups, each convolved with its own kernels
        (``groups = C`` is a depthwise convolution). Default 1.
    padding_mode : {"zeros", "reflect", "replicate", "circular"}, optional
        How to fill the padding, as in ``torch.nn.Conv2d``. Default "zeros".
    method : {"auto", "loops", "im2col", "fft"}, optional
        How to compute (see the module's docstring); all give the same numbers, up to
        rounding. "fft" refuses integer input, which it could not compute exactly.
        Default "auto".

    Returns
    -------
    numpy.ndarray
        (Ho, Wo), (O, Ho, Wo) or (N, O, Ho, Wo), matching ``input``, with
        ``Ho = floor((H + top + bottom - dilation * (kH - 1) - 1) / stride) + 1`` and
        likewise ``Wo``. The dtype is NumPy's ``result_type`` of the arguments, except
        that integers are summed, exactly, in 64 bits (as ``numpy.sum`` does), and
        float16 is computed in float32 and rounded back.

    Raises
    ------
    TypeError
        If an array holds something other than real numbers, or an argument has the
        wrong type; also for ``method="fft"`` with integer input.
    ValueError
        If an array has the wrong number of dimensions; the channels of ``input``,
        ``weight`` and ``bias`` or ``groups`` do not match; ``stride`` or ``dilation``
        is below 1; ``padding`` is negative or an unknown string; ``padding_mode`` or
        ``method`` is unknown; the padding is too wide for ``padding_mode``; or the
        (dilated) kernel is larger than the padded input.

    Examples
    --------
    The book's first example: a 5x5 ramp and a vertical-edge kernel.

    >>> image = np.arange(1, 26).reshape(5, 5)
    >>> kernel = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]])
    >>> conv2d(image, kernel)
    array([[-6, -6, -6],
           [-6, -6, -6],
           [-6, -6, -6]])

    With one pixel of zero padding, the kernel's centre visits every pixel, the
    top-left one included:

    >>> conv2d(image, kernel, padding=1)
    array([[ -9,  -4,  -4,  -4,  13],
           [-21,  -6,  -6,  -6,  27],
           [-36,  -6,  -6,  -6,  42],
           [-51,  -6,  -6,  -6,  57],
           [-39,  -4,  -4,  -4,  43]])

    A batch of images with channels, and the methods agreeing:

    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((2, 3, 8, 8))
    >>> w = rng.standard_normal((4, 3, 3, 3))
    >>> conv2d(x, w, stride=2, padding="valid").shape
    (2, 4, 3, 3)
    >>> reference = conv2d(x, w, method="loops")
    >>> all(np.allclose(conv2d(x, w, method=m), reference) for m in ("im2col", "fft"))
    True
    >>> conv2d(x, w[:, :2])
    Traceback (most recent call last):
    ...
    ValueError: input must have weight.shape[1] * groups = 2 * 1 = 2 channels; got 3
    """
    groups = as_int(groups, "groups", minimum=1)
    batch, weight, bias, rank = _checked_arrays(input, weight, bias, groups)
    stride = as_pair(stride, "stride", minimum=1)
    dilation = as_pair(dilation, "dilation", minimum=1)
    check_choice(padding_mode, "padding_mode", CONV_PADDING_MODES)
    check_choice(method, "method", METHODS)
    kernel_size = weight.shape[2:]
    sides = padding_sides(padding, kernel_size, stride, dilation)
    check_padding_fits(sides, batch.shape[2:], padding_mode, name="padding_mode")
    out_size = _checked_output_size(batch.shape[2:], kernel_size, stride, sides, dilation)

    dtype = _result_dtype(batch, weight, bias)
    compute = np.dtype(np.float32) if dtype == np.float16 else dtype  # float16 sums badly
    weight = weight.astype(compute, copy=False)
    bias = None if bias is None else bias.astype(compute)
    if method == "auto":
        method = _auto_method(batch.shape, weight.shape, stride, out_size, sides, compute)
    if method == "fft" and compute.kind != "f":
        raise TypeError(
            f"method='fft' computes in floating point and would round integers ({dtype}); "
            "use method='im2col' or 'loops', or pass floats"
        )
    run = {"loops": _conv2d_loops, "im2col": _conv2d_im2col, "fft": _conv2d_fft}[method]

    out = np.empty((len(batch), len(weight), *out_size), dtype)
    images, rows = _piece_size(method, batch.shape, weight.shape, stride, out_size, sides, compute)
    span = (kernel_size[0] - 1) * dilation[0] + 1  # padded input rows under one output row
    padding = (sides, padding_mode, compute)
    for strip, piece in _pieces(batch, out, images, rows, span, stride[0], padding):
        run(strip, weight, bias, stride, dilation, groups, piece)
    return out.reshape(out.shape[4 - rank :])


def convolve2d(input, kernel, mode="valid"):
    """True 2D convolution (the kernel flipped), as ``scipy.signal.convolve2d`` computes it.

    In mode "full", ``out[y, x] = sum_i sum_j input[y - i, x - j] * kernel[i, j]``, summed
    over the ``i, j`` for which ``input[y - i, x - j]`` exists: the kernel is turned by 180
    degrees before it slides, unlike in :func:`conv2d`. Mode "valid" keeps the positions
    where the whole kernel lies on the image, ``full[kH - 1 : H, kW - 1 : W]``, so that
    ``valid[y, x] = full[y + kH - 1, x + kW - 1]
    = sum_i sum_j input[y + i, x + j] * kernel[kH - 1 - i, kW - 1 - j]``.

    Parameters
    ----------
    input : array_like
        An image (H, W).
    kernel : array_like
        A kernel (kH, kW).
    mode : {"valid", "same", "full"}, optional
        "valid": only where the kernel lies inside the image; "same": the size of
        ``input``, centred like SciPy's; "full": every overlap. Default "valid".

    Returns
    -------
    numpy.ndarray
        The convolution, of the dtype :func:`conv2d` gives.

    Raises
    ------
    TypeError
        If ``input`` or ``kernel`` is not numeric.
    ValueError
        If either is not 2-D or is empty, ``mode`` is unknown, or ``mode="valid"`` and
        the kernel is larger than the image (SciPy would swap the two; this refuses).

    Examples
    --------
    On the book's ramp, flipping the kernel flips the sign:

    >>> image = np.arange(1, 26).reshape(5, 5)
    >>> kernel = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]])
    >>> convolve2d(image, kernel)
    array([[6, 6, 6],
           [6, 6, 6],
           [6, 6, 6]])
    >>> convolve2d(image, kernel, mode="full").shape
    (7, 7)

    Valid output (0, 0) is the full output at (kH - 1, kW - 1):

    >>> small = np.array([[1, 2], [3, 4]])
    >>> int(convolve2d(image, small)[0, 0]), int(convolve2d(image, small, mode="full")[1, 1])
    (29, 29)
    """
    input = as_array(input, "input")
    kernel = as_array(kernel, "kernel")
    check_ndim(input, "input", {2: "(H, W)"})
    check_ndim(kernel, "kernel", {2: "(kH, kW)"})
    check_choice(mode, "mode", ("valid", "same", "full"))
    if input.size == 0 or kernel.size == 0:
        name, array = ("input", input) if input.size == 0 else ("kernel", kernel)
        raise ValueError(f"{name} must not be empty, got shape {array.shape}")
    (height, width), (kh, kw) = input.shape, kernel.shape
    if mode == "valid" and (kh > height or kw > width):
        raise ValueError(
            f"kernel ({kh}x{kw}) is larger than input ({height}x{width}): mode='valid' has "
            "no output; use mode='same' or 'full'"
        )
    if mode == "same":
        # SciPy centres "same" on the full output; with the kernel flipped, that puts the
        # extra row and column of an even kernel at the top and the left, the mirror image
        # of PyTorch's "same".
        padding = ((kh // 2, (kh - 1) // 2), (kw // 2, (kw - 1) // 2))
    else:
        padding = mode
    return conv2d(input, kernel[::-1, ::-1], padding=padding)


def correlate2d_loops(image, kernel):
    """The formula of chapter 1, for one image and one kernel, with one loop per index.

    ``out[y, x] = sum_i sum_j image[y + i, x + j] * kernel[i, j]``: two loops over the
    output positions, two for the double sum. No padding, stride, channels or batch: the
    general routine behind :func:`conv2d`'s ``method="loops"`` adds those.

    Parameters
    ----------
    image : array_like
        An image (H, W).
    kernel : array_like
        A kernel (kH, kW), no larger than the image.

    Returns
    -------
    numpy.ndarray
        The valid cross-correlation, (H - kH + 1, W - kW + 1), of the dtype of
        ``image * kernel``, except that integers are multiplied and summed in 64 bits
        (int64, or uint64 when both are unsigned), as in :func:`conv2d`: exact, where a
        uint8 result would wrap around.

    Raises
    ------
    TypeError
        If ``image`` or ``kernel`` is not numeric.
    ValueError
        If either is not 2-D, or the kernel is larger than the image.

    Examples
    --------
    >>> image = np.arange(1, 26).reshape(5, 5)
    >>> kernel = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]])
    >>> correlate2d_loops(image, kernel)
    array([[-6, -6, -6],
           [-6, -6, -6],
           [-6, -6, -6]])

    Small integers are widened first: 100 * 100 nine times is 90000, which int8 cannot
    hold.

    >>> correlate2d_loops(np.full((3, 3), 100, np.int8), np.full((3, 3), 100, np.int8))
    array([[90000]])
    """
    image = as_array(image, "image")
    kernel = as_array(kernel, "kernel")
    check_ndim(image, "image", {2: "(H, W)"})
    check_ndim(kernel, "kernel", {2: "(kH, kW)"})
    (height, width), (k_h, k_w) = image.shape, kernel.shape
    if k_h > height or k_w > width or k_h == 0 or k_w == 0:
        rule = "must be non-empty and fit in image"
        raise ValueError(f"kernel ({k_h}x{k_w}) {rule} ({height}x{width})")
    # Integers are multiplied and summed in 64 bits: in a small type such as the uint8
    # of a photograph, a product or a sum out of range would wrap (200 * 3 gives 88).
    dtype = _result_dtype(image, kernel)
    image, kernel = image.astype(dtype, copy=False), kernel.astype(dtype, copy=False)
    out = np.zeros((height - k_h + 1, width - k_w + 1), dtype=dtype)
    for y in range(out.shape[0]):  # output row
        for x in range(out.shape[1]):  # output column
            for i in range(k_h):  # the first sum: kernel rows
                for j in range(k_w):  # the second sum: kernel columns
                    out[y, x] += image[y + i, x + j] * kernel[i, j]
    return out


def im2col(input, kernel_size, stride=1, dilation=1):
    """Every window of a batch, unrolled into the columns of a matrix, as ``F.unfold`` does.

    Column ``p`` holds the window of output position ``p`` (in reading order), one row per
    (channel, kernel row, kernel column). A convolution is then one matrix product:
    ``weight.reshape(O, -1) @ im2col(...)`` gives every output at once. Padding is left to
    the caller (:func:`lib.pad2d`).

    Parameters
    ----------
    input : array_like
        A batch (N, C, H, W).
    kernel_size, stride, dilation : int or (int, int)
        As in :func:`conv2d`; stride and dilation default to 1.

    Returns
    -------
    numpy.ndarray
        Shape (N, C * kH * kW, Ho * Wo), the dtype of ``input``.

    Raises
    ------
    TypeError
        If ``input`` is not numeric or an argument is not an int or pair of ints.
    ValueError
        If ``input`` is not 4-D, a size is below 1, or the (dilated) kernel is larger
        than the input.

    Examples
    --------
    The book's 5x5 example has nine 3x3 windows; the first column is the top-left one:

    >>> image = np.arange(1, 26).reshape(1, 1, 5, 5)
    >>> columns = im2col(image, 3)
    >>> columns.shape
    (1, 9, 9)
    >>> columns[0, :, 0]
    array([ 1,  2,  3,  6,  7,  8, 11, 12, 13])
    >>> kernel = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]])
    >>> (kernel.reshape(1, -1) @ columns[0]).reshape(3, 3)
    array([[-6, -6, -6],
           [-6, -6, -6],
           [-6, -6, -6]])
    """
    input = as_array(input, "input")
    check_ndim(input, "input", {4: "(N, C, H, W)"})
    (k_h, k_w) = as_pair(kernel_size, "kernel_size", minimum=1)
    (s_y, s_x) = as_pair(stride, "stride", minimum=1)
    (d_y, d_x) = as_pair(dilation, "dilation", minimum=1)
    batch, channels, height, width = input.shape
    out_h, out_w = _checked_output_size(
        (height, width), (k_h, k_w), (s_y, s_x), ((0, 0), (0, 0)), (d_y, d_x)
    )
    columns = np.empty((batch, channels, k_h, k_w, out_h, out_w), dtype=input.dtype)
    for i in range(k_h):
        for j in range(k_w):
            # Tap (i, j) of every window: a strided slice of the input.
            rows = slice(i * d_y, i * d_y + s_y * (out_h - 1) + 1, s_y)
            cols = slice(j * d_x, j * d_x + s_x * (out_w - 1) + 1, s_x)
            columns[:, :, i, j] = input[:, :, rows, cols]
    return columns.reshape(batch, channels * k_h * k_w, out_h * out_w)


# --- the three methods ----------------------------------------------------------------
# Each receives the padded input (N, C, H, W), already in the dtype to compute in, the
# weight (O, C / groups, kH, kW), the bias (O,) or None, stride, dilation and groups, and
# writes its result into ``out`` (N, O, Ho, Wo).


def _conv2d_loops(image, weight, bias, stride, dilation, groups, out):
    """The formula, one loop per index: every multiply-add is visible, and slow.

    ``out[n, o, y, x] = b[o] + sum_c sum_i sum_j in[n, c, Y, X] w[o, c, i, j]``, with
    ``Y = y*s + i*d`` and ``X = x*s + j*d``, where ``c`` counts the input channels of
    output channel ``o``'s group.
    """
    batch, out_channels, out_height, out_width = out.shape
    _, channels_per_group, kernel_height, kernel_width = weight.shape
    outputs_per_group = out_channels // groups
    (sy, sx), (dy, dx) = stride, dilation
    for n in range(batch):
        for o in range(out_channels):
            # the first input channel of o's group
            first = (o // outputs_per_group) * channels_per_group
            for y in range(out_height):
                for x in range(out_width):
                    total = 0 if bias is None else bias[o]
                    for c in range(channels_per_group):
                        for i in range(kernel_height):
                            for j in range(kernel_width):
                                row, column = y * sy + i * dy, x * sx + j * dx
                                pixel = image[n, first + c, row, column]
                                total += pixel * weight[o, c, i, j]
                    out[n, o, y, x] = total


def _conv2d_im2col(image, weight, bias, stride, dilation, groups, out):
    """Windows unrolled into the columns of a matrix, then a matrix multiply per image and group.

    Fast because all the multiply-adds happen in one call to BLAS's matrix multiply,
    which keeps the processor's vector units busy; the price is the memory of the
    columns, each pixel copied once per kernel tap.
    """
    batch, out_channels, out_height, out_width = out.shape
    _, channels_per_group, kernel_height, kernel_width = weight.shape
    windows, row_length = _windows(image, weight.shape[2:], stride, dilation, out.shape[2:])
    # Reshaping the strided view copies it: this copy is the im2col matrix, with one row
    # per (channel, i, j) and one column per output position, for each image and group.
    columns = windows.reshape(batch, groups, channels_per_group * kernel_height * kernel_width, -1)
    kernels = weight.reshape(groups, out_channels // groups, -1)
    products = np.empty(
        (batch, groups, out_channels // groups, out_height * row_length), image.dtype
    )
    np.matmul(kernels, columns, out=products[..., : columns.shape[-1]])
    products = products.reshape(batch, out_channels, out_height, row_length)
    _store(out, products[..., :out_width], bias)


def _windows(image, kernel_size, stride, dilation, out_size):
    """Every window of ``image``, as a read-only view (N, C, kH, kW, positions...).

    Returns the view and the number of positions per output row (``Wo``, or the image's
    width when the view runs on past each row's last window; see below).
    """
    (kernel_height, kernel_width), (sy, sx), (dy, dx) = kernel_size, stride, dilation
    out_height, out_width = out_size
    step_n, step_c, step_y, step_x = image.strides
    if (sy, sx) == (1, 1) and step_y == image.shape[3] * step_x:
        # Stride 1, and each row of the image follows the one before in memory: the
        # window at (y, x + 1) starts one element after the one at (y, x), and letting the
        # positions run on past each row's end makes every row of the column matrix one
        # contiguous run of the image, so the copy runs at memcpy speed. The width - Wo
        # positions past a row's last window are wasted work, cropped afterwards.
        row_length = image.shape[3]
        positions, steps = ((out_height - 1) * row_length + out_width,), (step_x,)
    else:
        row_length = out_width
        positions, steps = (out_height, out_width), (sy * step_y, sx * step_x)
    windows = as_strided(
        image,
        shape=(*image.shape[:2], kernel_height, kernel_width, *positions),
        strides=(step_n, step_c, dy * step_y, dx * step_x, *steps),
        writeable=False,
    )
    return windows, row_length


def _conv2d_fft(image, weight, bias, stride, dilation, groups, out):
    """Correlation as a product of spectra: ``corr(x, w) = irfft2(rfft2(x) * conj(rfft2(w)))``.

    Fast for large kernels: the transforms cost about ``H W log(H W)`` per channel,
    whatever the kernel's size, where the direct sum costs ``H W kH kW``. The product is
    a circular correlation; it equals the ordinary one at the positions where the kernel
    does not wrap around the image's edge, the only ones kept. A stride keeps every
    ``stride``-th of the stride-1 results.
    """
    import scipy.fft  # here, not at the top: most convolutions never take the FFT

    batch, out_channels, out_height, out_width = out.shape
    _, channels_per_group, kernel_height, kernel_width = weight.shape
    (sy, sx), (dy, dx) = stride, dilation
    # The dilated kernel: the taps spread ``dilation`` apart, zeros between them.
    span = ((kernel_height - 1) * dy + 1, (kernel_width - 1) * dx + 1)
    kernel = np.zeros((out_channels, channels_per_group, *span), image.dtype)
    kernel[:, :, ::dy, ::dx] = weight
    size = [scipy.fft.next_fast_len(length, real=True) for length in image.shape[2:]]
    image_spectrum = scipy.fft.rfft2(image, s=size)
    kernel_spectrum = scipy.fft.rfft2(kernel, s=size).conj()
    # Sum over the input channels of each group, frequency by frequency.
    spectrum = np.einsum(
        "ngcyx,gocyx->ngoyx",
        image_spectrum.reshape(batch, groups, channels_per_group, *image_spectrum.shape[2:]),
        kernel_spectrum.reshape(groups, out_channels // groups, *kernel_spectrum.shape[1:]),
    )
    result = scipy.fft.irfft2(spectrum.reshape(batch, out_channels, *spectrum.shape[3:]), s=size)
    kept = result[..., : (out_height - 1) * sy + 1 : sy, : (out_width - 1) * sx + 1 : sx]
    _store(out, kept, bias)


def _store(out, result, bias):
    """Copy ``result`` into ``out``, then add the bias, if any.

    Two passes, because a copy and an in-place add over contiguous rows are faster than
    one add from a strided view.
    """
    np.copyto(out, result)
    if bias is not None:
        out += bias[:, None, None]


# --- checks, choices and pieces ---------------------------------------------------------


def _checked_arrays(input, weight, bias, groups):
    """Check the arrays; return them as (N, C, H, W), (O, C/g, kH, kW), (O,) and input's rank."""
    input = as_array(input, "input")
    weight = as_array(weight, "weight")
    check_ndim(input, "input", {2: "(H, W)", 3: "(C, H, W)", 4: "(N, C, H, W)"})
    rank = input.ndim
    if rank == 2:
        check_ndim(weight, "weight", {2: "(kH, kW) for an (H, W) input"})
        if groups != 1:
            raise ValueError(f"groups must be 1 for a single-channel (H, W) input, got {groups}")
        input, weight = input[None, None], weight[None, None]
    else:
        check_ndim(weight, "weight", {4: "(O, C / groups, kH, kW)"})
        input = input if rank == 4 else input[None]
    _, channels, height, width = input.shape
    out_channels, channels_per_group, kernel_height, kernel_width = weight.shape
    if height < 1 or width < 1:
        raise ValueError(f"input's height and width must be at least 1, got shape {input.shape}")
    if weight.size == 0:
        raise ValueError(f"weight must not be empty, got shape {weight.shape}")
    if out_channels % groups:
        raise ValueError(
            f"weight has {out_channels} output channels (weight.shape[0]), which groups={groups} "
            "does not divide"
        )
    if channels_per_group * groups != channels:
        raise ValueError(
            f"input must have weight.shape[1] * groups = {channels_per_group} * {groups} = "
            f"{channels_per_group * groups} channels; got {channels}"
        )
    if bias is not None:
        bias = as_array(bias, "bias")
        if rank == 2 and bias.ndim == 0:
            bias = bias[None]
        if bias.shape != (out_channels,):
            raise ValueError(
                f"bias must have shape ({out_channels},), one number per output channel; "
                f"got shape {bias.shape}"
            )
    return input, weight, bias, rank


def _checked_output_size(size, kernel_size, stride, sides, dilation):
    """(Ho, Wo), or a ValueError if the dilated kernel is larger than the padded input."""
    out_size = tuple(
        _output_size(n, k, s, before, after, d, ceil_mode=False)
        for n, k, s, (before, after), d in zip(
            size, kernel_size, stride, sides, dilation, strict=True
        )
    )
    if min(out_size) < 1:
        padded = "x".join(str(n + sum(side)) for n, side in zip(size, sides, strict=True))
        span = "x".join(str(d * (k - 1) + 1) for k, d in zip(kernel_size, dilation, strict=True))
        kernel = "x".join(map(str, kernel_size))
        raise ValueError(
            f"weight's kernel ({kernel}, spanning {span} with dilation {dilation}) is larger "
            f"than the padded input ({padded}); the kernel must fit in input plus padding"
        )
    return out_size


def _result_dtype(*arrays):
    """NumPy's result type of ``arrays`` (None ones skipped), with integers widened to 64
    bits so that sums are exact.

    ``np.result_type`` alone is not safe: for two uint8 arrays it is uint8, whose
    products and sums wrap around modulo 256.

    Examples
    --------
    >>> _result_dtype(np.zeros(1, np.uint8), np.zeros(1, np.uint8))
    dtype('uint64')
    >>> _result_dtype(np.zeros(1, np.uint8), np.zeros(1, np.int8), None)  # no bias
    dtype('int64')
    >>> _result_dtype(np.zeros(1, np.uint8), np.zeros(1))
    dtype('float64')
    """
    dtype = np.result_type(*(array for array in arrays if array is not None))
    if dtype.kind in "iu":
        return np.dtype(np.int64 if dtype.kind == "i" else np.uint64)
    return dtype


def _auto_method(shape, weight_shape, stride, out_size, sides, dtype, *, use_bound=True):
    """The method "auto" picks: "im2col", unless the FFT is estimated to be faster.

    The estimates are nanoseconds on one core, with costs per operation fitted to timings
    of both methods on 36 shapes (on the 2-core x86 machine this book was developed on):

    - im2col: 0.0225 per multiply-add of its matrix product, 0.15 per element of its
      column matrix and 0.6 per output;
    - FFT: 0.145 per ``F log2 F`` of each transform of ``F`` points (one per image and
      input channel, per image and output channel, per kernel), 2.4 per complex
      multiply-add of the spectra, 3.2 per point of the stride-1 result.

    Integers never take the FFT, which would round them, and neither do kernels whose
    spectra would not fit in :data:`MAX_WORKING_MEMORY`.
    """
    batch, channels, height, width = shape
    out_channels, channels_per_group, kernel_height, kernel_width = weight_shape
    padded = [n + sum(side) for n, side in zip((height, width), sides, strict=True)]
    spectra = out_channels * channels_per_group * math.prod(padded) * dtype.itemsize
    if dtype.kind != "f" or spectra > MAX_WORKING_MEMORY:
        return "im2col"
    positions = out_size[0] * (padded[1] if stride == (1, 1) else out_size[1])
    taps = kernel_height * kernel_width
    im2col = (
        0.0225 * batch * out_channels * channels_per_group * taps * positions
        + 0.15 * batch * channels * taps * positions
        + 0.6 * batch * out_channels * math.prod(out_size)
    )
    transforms = batch * (channels + out_channels) + out_channels * channels_per_group

    def fft(points):
        return (
            0.145 * transforms * points * math.log2(points)
            + 2.4 * batch * out_channels * channels_per_group * points / 2
            + 3.2 * batch * out_channels * points
        )

    # The transforms' sizes are padded up to fast lengths, next_fast_len(n) >= n, and the
    # estimate grows with the points: when even the unpadded sizes lose, the FFT loses,
    # and scipy.fft (a fifth of a second to import) is not needed.
    if use_bound and fft(math.prod(padded)) >= im2col:
        return "im2col"
    import scipy.fft

    points = math.prod(scipy.fft.next_fast_len(n, real=True) for n in padded)
    return "fft" if fft(points) < im2col else "im2col"


def _piece_size(method, shape, weight_shape, stride, out_size, sides, dtype):
    """How many images, and of those how many output rows, to compute at once.

    Pieces keep the working memory (the padded input and each method's own arrays) under
    :data:`IM2COL_PIECE` for im2col, and under :data:`MAX_WORKING_MEMORY` for the others.
    """
    channels, width = shape[1], shape[3]
    out_channels, channels_per_group, kernel_height, kernel_width = weight_shape
    padded_width = width + sum(sides[1])
    # Bytes per output row of one image, roughly: the ``stride`` padded input rows it
    # reads, then im2col's columns and products, or the FFT's spectra (complex numbers
    # for half the width: as many bytes as the real rows) of the image, of the kernels
    # and of the result, and the stride-1 result it keeps every stride-th row of.
    row = channels * padded_width * stride[0]
    if method == "im2col":
        row += (channels * kernel_height * kernel_width + out_channels) * padded_width
    elif method == "fft":
        spectra = 2 * channels + 3 * out_channels + out_channels * channels_per_group
        row += spectra * padded_width * stride[0]
    row *= dtype.itemsize
    budget = min(IM2COL_PIECE if method == "im2col" else MAX_WORKING_MEMORY, MAX_WORKING_MEMORY)
    batch, out_height = shape[0], out_size[0]
    if row * out_height <= budget:
        return _even_split(batch, budget // (row * out_height)), out_height
    return 1, _even_split(out_height, budget // row)


def _even_split(total, most):
    """The size of the fewest equal pieces, of at most ``most`` each, that cover ``total``."""
    pieces = -(-total // max(1, most))
    return max(1, -(-total // max(1, pieces)))


def _pieces(batch, out, images, rows, span, stride, padding):
    """Yield the pieces of ``out``, each with the strip of the padded input it needs.

    ``images`` images at a time and, of those, ``rows`` output rows at a time; output row
    ``y`` reads padded input rows ``y * stride`` to ``y * stride + span - 1``. When each
    image is cut into several strips, the images are padded once and the strips cut out
    of them, unless the padded images would not fit in :data:`MAX_WORKING_MEMORY`: then
    each strip is padded on its own. ``padding`` is (sides, padding_mode, dtype to compute in).
    """
    sides, padding_mode, dtype = padding
    out_height = out.shape[2]
    padded_shape = [n + sum(side) for n, side in zip(batch.shape[2:], sides, strict=True)]
    for n in range(0, len(batch), images):
        chunk, chunk_sides = batch[n : n + images], sides
        padded_bytes = chunk.shape[0] * chunk.shape[1] * math.prod(padded_shape) * dtype.itemsize
        if rows < out_height and padded_bytes <= MAX_WORKING_MEMORY:
            chunk = _padded_rows(chunk, 0, padded_shape[0], sides, padding_mode, dtype)
            chunk_sides = ((0, 0), (0, 0))
        for y in range(0, out_height, rows):
            last = min(out_height, y + rows) - 1  # the piece's last output row
            start, stop = y * stride, last * stride + span
            strip = _padded_rows(chunk, start, stop, chunk_sides, padding_mode, dtype)
            yield strip, out[n : n + images, :, y : last + 1]


def _padded_rows(images, start, stop, sides, padding_mode, dtype):
    """Rows ``start`` to ``stop - 1`` of the padded images, in ``dtype``.

    Whole images are padded by :func:`pad2d`. A strip of rows of a large image is
    gathered row by row (:func:`lib.padding.source_index` says which row each padding row
    copies), so that the whole padded image is never made. Rows with no padding are a
    view of ``images``, copied only to change the dtype or to make rows contiguous.
    """
    (top, bottom), (left, right) = sides
    height = images.shape[2]
    rows = np.arange(start, stop) - top  # the image's own row numbers; outside it: padding
    if rows[0] >= 0 and rows[-1] < height:  # no padding rows: a slice
        images, sides = images[:, :, rows[0] : rows[-1] + 1], ((0, 0), (left, right))
    elif len(rows) < top + height + bottom:  # a strip
        images = images.take(source_index(rows, height, padding_mode), axis=2)
        if padding_mode == "zeros":
            images[:, :, (rows < 0) | (rows >= height)] = 0
        sides = ((0, 0), (left, right))
    images = images.astype(dtype, copy=False)
    if any(pad for side in sides for pad in side):
        return pad2d(images, sides, mode=padding_mode)
    if images.strides[2:] != (images.shape[3] * images.itemsize, images.itemsize):
        return np.ascontiguousarray(images)
    return images
