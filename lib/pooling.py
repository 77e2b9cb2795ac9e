"""Max and average pooling, as ``torch.nn.functional.max_pool2d`` and ``avg_pool2d``.

Pooling slides a window over each channel of each image on its own and keeps one number
per window: the largest (max pooling) or the mean (average pooling)::

    max:  out[..., y, x] = max_{i, j} in[..., y*s + i*d, x*s + j*d]
    avg:  out[..., y, x] = sum_{i, j} in[..., y*s + i, x*s + j] / divisor

``in`` is the padded input, ``s`` the stride (by default the window's size, so that
windows tile the image) and ``d`` the dilation. The rules below are PyTorch's, checked
against it by the tests:

- padding is at most half the window, ``padding <= kernel_size // 2``; dilation does not
  raise that limit;
- max pooling pads with ``-inf`` (the smallest integer for integer images), so padding
  never wins; ties go to the first maximum in row-major order, and a NaN beats every
  number (the last NaN of a window is the one reported);
- ``ceil_mode`` keeps a last, partial window if it starts inside the input or the left
  padding; the part of it that hangs past the padded input counts for nothing, not even
  in the divisor of average pooling.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from lib._validation import as_array, as_int, as_pair, check_ndim
from lib.padding import pad2d
from lib.shapes import output_size

#: The layouts pooling accepts: one map, one image's channels, or a batch.
LAYOUTS = {2: "(H, W)", 3: "(C, H, W)", 4: "(N, C, H, W)"}


def max_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,
    return_indices=False,
):
    """Keep the largest value of each window, as ``torch.nn.functional.max_pool2d`` does.

    Parameters
    ----------
    input : array_like
        One map (H, W), one image (C, H, W) or a batch (N, C, H, W) of real numbers.
    kernel_size : int or (int, int)
        The window's height and width, ``>= 1``.
    stride : int or (int, int), optional
        Step between windows. Default None: ``kernel_size``, windows that tile the image.
    padding : int or (int, int), optional
        ``-inf`` added on each side, at most ``kernel_size // 2``. Default 0.
    dilation : int or (int, int), optional
        Spacing between the window's cells, ``>= 1``. Default 1.
    ceil_mode : bool, optional
        Round the number of windows up, keeping a last, partial window. Default False.
    return_indices : bool, optional
        Also return where each maximum sits. Default False.

    Returns
    -------
    numpy.ndarray
        The pooled maps, shape (..., Ho, Wo), of ``input``'s dtype.
    numpy.ndarray of int64, only if ``return_indices``
        For each output, the flat index ``row * W + column`` of its maximum in its
        (H, W) input map, as PyTorch gives it.

    Raises
    ------
    TypeError
        If ``input`` does not hold real numbers, or an argument has the wrong type.
    ValueError
        If ``input`` has the wrong number of dimensions or is empty; ``kernel_size``,
        ``stride`` or ``dilation`` is below 1; ``padding`` is negative or more than half
        the window; the window is larger than the padded input; or a dilated window
        covers padding only (PyTorch returns ``-inf`` there, with an index outside the
        map).

    Examples
    --------
    A 4x4 map, pooled by 2x2 windows with stride 2: each quarter keeps its largest value.

    >>> x = np.array([[1, 3, 2, 1],
    ...               [4, 2, 0, 1],
    ...               [5, 1, 7, 8],
    ...               [0, 6, 3, 2]])
    >>> max_pool2d(x, 2)
    array([[4, 2],
           [6, 8]])
    >>> values, indices = max_pool2d(x, 2, return_indices=True)
    >>> indices  # 4 sits at row 1, column 0: 1 * 4 + 0
    array([[ 4,  2],
           [13, 11]])

    LeNet-5's subsampling halves its six 28x28 feature maps:

    >>> max_pool2d(np.zeros((1, 6, 28, 28)), kernel_size=2).shape
    (1, 6, 14, 14)
    """
    return_indices = _as_bool(return_indices, "return_indices")
    input = _checked_input(input)
    kernel, stride, padding, dilation, out_size = _geometry(
        input.shape[-2:], kernel_size, stride, padding, dilation, ceil_mode
    )
    sides = _sides(input.shape[-2:], kernel, stride, padding, dilation, out_size)

    # Where each window's cells sit in the input map: the flat index row * W + column,
    # -1 in the padding. The same window view of this index map gives, for each window,
    # the index of each of its cells.
    height, width = input.shape[-2:]
    plane = np.arange(height * width, dtype=np.int64).reshape(height, width)
    cells = _windows(pad2d(plane, sides, value=-1), kernel, stride, dilation, out_size)
    cells = cells.reshape(*out_size, -1)  # (Ho, Wo, kH * kW), in row-major order
    inside = cells >= 0
    if not inside.any(axis=-1).all():
        raise ValueError(
            f"dilation={dilation} with padding={padding} makes a window that covers padding "
            f"only, no pixel of the {height}x{width} input; use less padding or dilation"
        )

    lowest = -np.inf if input.dtype.kind == "f" else np.iinfo(input.dtype).min
    windows = _windows(_padded(input, sides, lowest), kernel, stride, dilation, out_size)
    values = _reduce_cells(np.maximum, windows)  # windows.max(axis=(-2, -1)), faster
    if not return_indices:
        return values

    # Each output's index: that of the first cell, in row-major order, that holds the
    # maximum (torch's rule for ties). Visiting the cells last to first, each match
    # overwrites the one before, so the first match is what stays. Padding is left out, so
    # that an input of -inf (which ties with the padding) points at its first pixel, as in
    # torch.
    cells, inside = cells.reshape(*out_size, *kernel), inside.reshape(*out_size, *kernel)
    indices = np.zeros(values.shape, np.int64)
    taps = [(i, j) for i in range(kernel[0]) for j in range(kernel[1])]
    padded = not inside.all()
    for i, j in reversed(taps):
        matches = windows[..., i, j] == values
        if padded:
            matches &= inside[:, :, i, j]
        indices = np.where(matches, cells[:, :, i, j], indices)
    if input.dtype.kind == "f" and np.isnan(values).any():
        # torch lets every NaN replace the maximum so far: the last NaN is the one reported.
        for i, j in taps:
            np.copyto(indices, cells[:, :, i, j], where=np.isnan(windows[..., i, j]))
    return values, indices


def avg_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """Average each window, as ``torch.nn.functional.avg_pool2d`` does.

    Parameters
    ----------
    input : array_like
        One map (H, W), one image (C, H, W) or a batch (N, C, H, W) of real numbers.
    kernel_size : int or (int, int)
        The window's height and width, ``>= 1``.
    stride : int or (int, int), optional
        Step between windows. Default None: ``kernel_size``, windows that tile the image.
    padding : int or (int, int), optional
        Zeros added on each side, at most ``kernel_size // 2``. Default 0.
    ceil_mode : bool, optional
        Round the number of windows up, keeping a last, partial window. Default False.
    count_include_pad : bool, optional
        Count the padding's zeros in the divisor. The cells that ``ceil_mode`` adds past
        the padded input are never counted. Default True.
    divisor_override : int, optional
        Divide every window's sum by this nonzero number instead. Default None.

    Returns
    -------
    numpy.ndarray
        The averages, shape (..., Ho, Wo): float, of ``input``'s dtype if it is a float,
        else float64.

    Raises
    ------
    TypeError
        If ``input`` does not hold real numbers, or an argument has the wrong type.
    ValueError
        If ``input`` has the wrong number of dimensions or is empty; ``kernel_size`` or
        ``stride`` is below 1; ``padding`` is negative or more than half the window; the
        window is larger than the padded input; or ``divisor_override`` is 0.

    Examples
    --------
    >>> x = np.array([[1, 3, 2, 1],
    ...               [4, 2, 0, 1],
    ...               [5, 1, 7, 8],
    ...               [0, 6, 3, 2]])
    >>> avg_pool2d(x, 2)
    array([[2.5, 1. ],
           [3. , 5. ]])

    With padding, the zeros count in the divisor unless ``count_include_pad=False``:

    >>> avg_pool2d(np.ones((2, 2)), 2, stride=1, padding=1)
    array([[0.25, 0.5 , 0.25],
           [0.5 , 1.  , 0.5 ],
           [0.25, 0.5 , 0.25]])
    >>> avg_pool2d(np.ones((2, 2)), 2, stride=1, padding=1, count_include_pad=False)
    array([[1., 1., 1.],
           [1., 1., 1.],
           [1., 1., 1.]])
    """
    input = _checked_input(input)
    size = input.shape[-2:]
    kernel, stride, sides, out_size, divisor = _average_plan(
        size, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
    )
    dtype = _float_dtype(input.dtype)
    compute = np.promote_types(dtype, np.float32)  # float16 sums badly: add in float32
    padded = _padded(input.astype(compute, copy=False), sides, 0)
    sums = _reduce_cells(np.add, _windows(padded, kernel, stride, (1, 1), out_size))
    return (sums / divisor).astype(dtype, copy=False)


def avg_pool2d_divisors(
    size, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True
):
    """What :func:`avg_pool2d` divides each window's sum by, for an input of ``size``.

    Parameters
    ----------
    size : int or (int, int)
        The input's height and width (H, W).
    kernel_size, stride, padding, ceil_mode, count_include_pad
        As for :func:`avg_pool2d`.

    Returns
    -------
    numpy.ndarray
        The divisors, integers of shape (Ho, Wo): each window's cells in the input, plus
        its cells in the padding if ``count_include_pad``; never the cells that hang past
        the padded input, which only ``ceil_mode`` creates.

    Raises
    ------
    ValueError
        If an argument breaks a rule of :func:`avg_pool2d` (the message names it).

    Examples
    --------
    A 5 x 5 map, 2 x 2 windows, stride 2 and ceil mode: the last row and column of
    windows hang past the map and count only their cells inside it.

    >>> avg_pool2d_divisors(5, 2, ceil_mode=True)
    array([[4, 4, 2],
           [4, 4, 2],
           [2, 2, 1]])

    With padding 1 that does not count, a 3 x 3 window at a corner of a 5 x 5 map holds 4
    of its cells, one along an edge 6, and one inside 9:

    >>> avg_pool2d_divisors((5, 5), 3, stride=1, padding=1, count_include_pad=False)
    array([[4, 6, 6, 6, 4],
           [6, 9, 9, 9, 6],
           [6, 9, 9, 9, 6],
           [6, 9, 9, 9, 6],
           [4, 6, 6, 6, 4]])
    """
    size = as_pair(size, "size", minimum=1)
    plan = _average_plan(size, kernel_size, stride, padding, ceil_mode, count_include_pad, None)
    return np.rint(plan[4]).astype(np.int64)


def _float_dtype(dtype):
    """The dtype pooling averages and gradients are computed in: a float stays, else float64."""
    return np.dtype(dtype) if np.dtype(dtype).kind == "f" else np.dtype(np.float64)


def _average_plan(
    size, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
):
    """Check average pooling's arguments for an input of ``size`` (H, W); plan the pooling.

    Returns
    -------
    kernel, stride : (int, int)
    sides : ((int, int), (int, int))
        The padding ``((top, bottom), (left, right))``, ceil mode's overhang included.
    out_size : (int, int)
    divisor : int or numpy.ndarray
        What each window's sum is divided by: ``divisor_override``, or an array (Ho, Wo).
        A window counts its cells in the input, plus those in the padding if
        ``count_include_pad``; never the cells past the padded input, which only
        ``ceil_mode`` creates. Counting is summing a map of ones over the same windows.
    """
    count_include_pad = _as_bool(count_include_pad, "count_include_pad")
    if divisor_override is not None and as_int(divisor_override, "divisor_override") == 0:
        raise ValueError("divisor_override must not be 0")
    kernel, stride, padding, dilation, out_size = _geometry(
        size, kernel_size, stride, padding, 1, ceil_mode
    )
    sides = _sides(size, kernel, stride, padding, dilation, out_size)
    if divisor_override is not None:
        return kernel, stride, sides, out_size, divisor_override
    # A map of ones where cells count, zeros elsewhere, summed over the same windows.
    (height, width), (pad_h, pad_w) = size, padding
    if count_include_pad:
        counted, padding = np.ones((height + 2 * pad_h, width + 2 * pad_w)), (0, 0)
    else:
        counted = np.ones((height, width))
    count_sides = _sides(counted.shape, kernel, stride, padding, dilation, out_size)
    counts = _windows(pad2d(counted, count_sides), kernel, stride, dilation, out_size)
    return kernel, stride, sides, out_size, counts.sum(axis=(-2, -1))


def _windows(padded, kernel, stride, dilation, out_size):
    """Every pooling window of ``padded`` (..., H, W), as a view (..., Ho, Wo, kH, kW).

    A view shares ``padded``'s memory: no window is copied. NumPy then reduces all the
    windows at once in compiled code (one ``max`` or ``sum`` call), where a Python loop
    over output pixels would be hundreds of times slower.
    """
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True))
    view = sliding_window_view(padded, span, axis=(-2, -1))  # every placement, stride 1
    (sy, sx), (dy, dx), (out_h, out_w) = stride, dilation, out_size
    return view[..., : (out_h - 1) * sy + 1 : sy, : (out_w - 1) * sx + 1 : sx, ::dy, ::dx]


def _padded(input, sides, value):
    """``input`` padded with ``value`` (:func:`pad2d`); ``input`` itself when there is no
    padding, which saves a copy (the windows are read-only views)."""
    if not any(pad for side in sides for pad in side):
        return input
    return pad2d(input, sides, value=value)


def _reduce_cells(ufunc, windows):
    """Reduce each window (the last two axes of ``windows``) with ``ufunc``, cell by cell.

    ``_reduce_cells(np.maximum, windows)`` is ``windows.max(axis=(-2, -1))``, and with
    ``np.add`` it is ``windows.sum(axis=(-2, -1))``, adding the cells in row-major order;
    several times faster: NumPy reduces the few cells of each of many windows slowly, but
    runs one operation over every window's cell (i, j) at once at memory speed.
    """
    result = windows[..., 0, 0].copy()
    for i in range(windows.shape[-2]):
        for j in range(windows.shape[-1]):
            if i or j:
                ufunc(result, windows[..., i, j], out=result)
    return result


def _sides(size, kernel, stride, padding, dilation, out_size):
    """Padding ``((top, bottom), (left, right))``, with the extra cells ``ceil_mode`` needs.

    A ceil-mode window may hang past the padded input on the bottom or the right; padding
    those cells too lets every window be a full view.
    """
    sides = []
    for n, k, s, p, d, out in zip(size, kernel, stride, padding, dilation, out_size, strict=True):
        overhang = max(0, (out - 1) * s + d * (k - 1) + 1 - (n + 2 * p))
        sides.append((p, p + overhang))
    return tuple(sides)


def _checked_input(input):
    """``input`` as an array of real numbers (H, W), (C, H, W) or (N, C, H, W), not empty."""
    input = as_array(input, "input")
    check_ndim(input, "input", LAYOUTS)
    if min(input.shape[-2:]) < 1:
        raise ValueError(f"input's height and width must be at least 1, got shape {input.shape}")
    return input


def _geometry(size, kernel_size, stride, padding, dilation, ceil_mode):
    """Check a pooling's arguments for an input ``size`` (H, W); return pairs and (Ho, Wo)."""
    kernel = as_pair(kernel_size, "kernel_size", minimum=1)
    stride = kernel if stride is None else as_pair(stride, "stride", minimum=1)
    padding = as_pair(padding, "padding", minimum=0)
    dilation = as_pair(dilation, "dilation", minimum=1)
    if any(p > k // 2 for p, k in zip(padding, kernel, strict=True)):
        raise ValueError(
            f"padding must be at most half of kernel_size (padding <= kernel_size // 2, "
            f"PyTorch's rule, whatever the dilation); got padding={padding} for "
            f"kernel_size={kernel}"
        )
    out_size = tuple(
        output_size(n, k, s, p, d, ceil_mode)
        for n, k, s, p, d in zip(size, kernel, stride, padding, dilation, strict=True)
    )
    return kernel, stride, padding, dilation, out_size


def _as_bool(value, name):
    """``value``, checked to be True or False (a flag given as 1 or "yes" is a mistake)."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)
