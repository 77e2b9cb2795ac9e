"""Backward passes: the gradients of convolution and pooling, as plain functions.

Given ``grad_output``, the gradient of a loss with respect to a layer's output, each
function returns the gradient with respect to one of the layer's inputs, the numbers
``torch.autograd`` computes. The lesson they teach: **the gradient of a convolution is a
convolution.**

- With respect to the input: a *full* correlation (:func:`lib.conv2d`) of ``grad_output``
  with the *flipped* kernel, that is, a true convolution with the kernel: the transposed
  convolution (:func:`conv2d_grad_input`).
- With respect to the weight: a cross-correlation of the input with ``grad_output``
  (:func:`conv2d_grad_weight`).
- With respect to the bias: a sum (:func:`conv2d_grad_bias`).

Pooling's gradients follow: max pooling routes each output's gradient to the pixel that
won (:func:`max_pool2d_grad`); average pooling, a convolution with a ``k`` x ``k`` kernel
whose entries are ``1/k**2`` (a kernel of ones, then a division), spreads it over the
window, a transposed convolution again (:func:`avg_pool2d_grad`).

The convolution's gradients are computed, by default, in the matrix form of im2col
(:mod:`lib._backward_im2col`), several times faster; ``method="convolution"`` computes them
as the convolutions above, with :func:`lib.conv2d`. Both give the same numbers, up to
rounding.
"""

import numbers

import numpy as np

from lib._backward_im2col import grad_input_im2col, grad_weight_im2col
from lib._validation import as_array, as_int, as_pair, check_choice
from lib.convolution import _checked_output_size, _result_dtype, conv2d
from lib.pooling import LAYOUTS, _average_plan, _checked_input, _float_dtype, max_pool2d
from lib.shapes import padding_sides

#: The values of the ``method`` argument of the convolution's gradients.
GRAD_METHODS = ("im2col", "convolution")


def conv2d_grad_input(
    grad_output,
    weight,
    input_shape,
    stride=1,
    padding=0,
    dilation=1,
    groups=1,
    method="im2col",
):
    """Gradient of :func:`lib.conv2d` with respect to its input: a transposed convolution.

    Each input pixel ``x`` took part in every output whose window covered it, multiplied
    by the kernel tap that landed on it, so its gradient sums ``grad_output`` times those
    taps. Seen from the pixel, the windows that cover it pass over it in reverse order:
    the sum is a **full correlation of grad_output with the flipped kernel** (full: every
    overlap; a correlation, as :func:`lib.conv2d` computes, so with the flip it is a true
    convolution with the kernel), with input and output channels swapped. That is what
    ``torch.nn.functional.conv_transpose2d`` computes.

    A stride ``s`` means the outputs sat ``s`` pixels apart: ``grad_output`` is spread out
    with ``s - 1`` zeros between its entries first. Pixels that no window reached (the
    last rows and columns a stride can skip) get zero gradient.

    Parameters
    ----------
    grad_output : array_like
        Gradient of the loss with respect to the convolution's output, of the output's
        shape (N, O, Ho, Wo), (O, Ho, Wo) or (Ho, Wo).
    weight : array_like
        The convolution's weight (O, C / groups, kH, kW), or (kH, kW) for an (H, W) input.
    input_shape : tuple of int
        The shape of the convolution's input: (N, C, H, W), (C, H, W) or (H, W).
    stride, padding, dilation, groups
        The convolution's, as :func:`lib.conv2d` takes them (zeros padding).
    method : {"im2col", "convolution"}, optional
        "convolution": the transposed convolution above, computed by :func:`lib.conv2d`;
        "im2col": the same numbers as matrix products, faster (see the module's
        docstring), in pieces that keep to :func:`lib.conv2d`'s working-memory bound
        (the transposed convolution first makes a spread-out copy of ``grad_output``).
        Default "im2col".

    Returns
    -------
    numpy.ndarray
        Gradient with respect to the input, of shape ``input_shape``; of the dtype
        :func:`lib.conv2d` gives for ``grad_output`` and ``weight``.

    Raises
    ------
    TypeError
        If an array does not hold real numbers, or an argument has the wrong type.
    ValueError
        If the shapes, ``groups``, ``stride``, ``padding`` or ``dilation`` break
        :func:`lib.conv2d`'s rules, or ``grad_output`` does not have the output's shape.

    Examples
    --------
    One 3x3 output of a 2x2 kernel on a 4x4 image: each pixel's gradient counts the
    windows that covered it, weighted by the tap that landed on it.

    >>> weight = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> conv2d_grad_input(np.ones((3, 3)), weight, (4, 4))
    array([[ 1.,  3.,  3.,  2.],
           [ 4., 10., 10.,  6.],
           [ 4., 10., 10.,  6.],
           [ 3.,  7.,  7.,  4.]])

    With stride 3 across a 6-pixel-wide input, columns 2 and 5 were in no window:

    >>> conv2d_grad_input(np.ones((1, 2)), weight, (2, 6), stride=(1, 3))
    array([[1., 2., 0., 1., 2., 0.],
           [3., 4., 0., 3., 4., 0.]])

    The transposed convolution gives the same numbers:

    >>> conv2d_grad_input(np.ones((1, 2)), weight, (2, 6), stride=(1, 3), method="convolution")
    array([[1., 2., 0., 1., 2., 0.],
           [3., 4., 0., 3., 4., 0.]])
    """
    weight = as_array(weight, "weight")
    check_choice(method, "method", GRAD_METHODS)
    names = ("input_shape", "weight.shape")
    conv = _checked_conv(
        input_shape, weight.shape, grad_output, stride, padding, dilation, groups, names
    )
    shape, (out_channels, per_group, kh, kw), grad_output, stride, dilation, groups, sides = conv
    batch, channels, height, width = shape
    if method == "im2col":
        dtype = _result_dtype(grad_output, weight, None)
        compute = np.dtype(np.float32) if dtype == np.float16 else dtype  # as conv2d does
        weight = weight.reshape(out_channels, per_group, kh, kw)
        grad_input = grad_input_im2col(
            grad_output, weight, shape, stride, sides, dilation, groups, compute
        )
        return grad_input.astype(dtype, copy=False).reshape(input_shape)
    (top, bottom), (left, right) = sides
    (sy, sx), (dy, dx) = stride, dilation

    # Spread grad_output back to where the windows started: every stride-th position of a
    # map as tall as the padded input minus the dilated kernel's span. The positions left
    # at zero are those a stride skipped, and the last rows no window reached.
    size = (height + top + bottom - dy * (kh - 1), width + left + right - dx * (kw - 1))
    spread = np.zeros((batch, out_channels, *size), grad_output.dtype)
    spread[..., ::sy, ::sx] = grad_output
    # Each input channel receives from the output channels of its group: swap the two
    # within each group, and flip the kernel.
    weight = weight.reshape(groups, out_channels // groups, per_group, kh, kw).swapaxes(1, 2)
    flipped = weight.reshape(channels, out_channels // groups, kh, kw)[..., ::-1, ::-1]
    grad_padded = conv2d(spread, flipped, padding="full", dilation=dilation, groups=groups)
    # That is the gradient of the padded input; the padding's share is dropped.
    grad_input = grad_padded[..., top : top + height, left : left + width]
    return grad_input.reshape(input_shape)


def conv2d_grad_weight(
    input,
    grad_output,
    weight_shape,
    stride=1,
    padding=0,
    dilation=1,
    groups=1,
    method="im2col",
):
    """Gradient of :func:`lib.conv2d` with respect to its weight: a cross-correlation.

    Tap ``(i, j)`` of kernel ``(o, c)`` multiplied the pixel ``(y*s + i*d, x*s + j*d)`` of
    channel ``c`` to make output ``(o, y, x)``, so its gradient is::

        grad_w[o, c, i, j] = sum_{n, y, x} grad_out[n, o, y, x] * in[n, c, y*s + i*d, x*s + j*d]

    a **cross-correlation of the (padded) input with grad_output**, which plays the
    kernel: its taps sit ``stride`` apart (its dilation) and it moves ``dilation`` at a time
    (its stride). The sum runs over the batch, which therefore plays the channels.

    Parameters
    ----------
    input : array_like
        The convolution's input (N, C, H, W), (C, H, W) or (H, W).
    grad_output : array_like
        Gradient of the loss with respect to the convolution's output (its shape).
    weight_shape : tuple of int
        The weight's shape, (O, C / groups, kH, kW), or (kH, kW) for an (H, W) input.
    stride, padding, dilation, groups
        The convolution's, as :func:`lib.conv2d` takes them (zeros padding).
    method : {"im2col", "convolution"}, optional
        "convolution": the cross-correlation above, computed by :func:`lib.conv2d`;
        "im2col": the same numbers as one matrix product, faster (see the module's
        docstring), in pieces that keep to :func:`lib.conv2d`'s working-memory bound
        (the correlation first makes reordered copies of ``input`` and ``grad_output``).
        Default "im2col".

    Returns
    -------
    numpy.ndarray
        Gradient with respect to the weight, of shape ``weight_shape``; of the dtype
        :func:`lib.conv2d` gives for ``input`` and ``grad_output``.

    Raises
    ------
    TypeError
        If an array does not hold real numbers, or an argument has the wrong type.
    ValueError
        If the shapes, ``groups``, ``stride``, ``padding`` or ``dilation`` break
        :func:`lib.conv2d`'s rules, or ``grad_output`` does not have the output's shape.

    Examples
    --------
    With a gradient of ones, each tap's gradient sums the pixels it met:

    >>> image = np.arange(16.0).reshape(4, 4)
    >>> conv2d_grad_weight(image, np.ones((3, 3)), (2, 2))
    array([[45., 54.],
           [81., 90.]])
    >>> conv2d_grad_weight(image, np.ones((3, 3)), (2, 2), method="convolution")
    array([[45., 54.],
           [81., 90.]])
    """
    input = as_array(input, "input")
    check_choice(method, "method", GRAD_METHODS)
    names = ("input.shape", "weight_shape")
    conv = _checked_conv(
        input.shape, weight_shape, grad_output, stride, padding, dilation, groups, names
    )
    shape, (out_channels, per_group, kh, kw), grad_output, stride, dilation, groups, sides = conv
    batch, channels, height, width = shape
    if method == "im2col":
        dtype = _result_dtype(input, grad_output, None)
        compute = np.dtype(np.float32) if dtype == np.float16 else dtype  # as conv2d does
        grad_weight = grad_weight_im2col(
            input.reshape(shape),
            grad_output,
            (out_channels, per_group, kh, kw),
            stride,
            sides,
            dilation,
            groups,
            compute,
        )
        return grad_weight.astype(dtype, copy=False).reshape(weight_shape)

    # Batch and channels trade places, within each group: image n's channel c of group g
    # becomes channel (g, n) of "image" c, and grad_output's map (n, o) kernel o's channel n.
    images = input.reshape(batch, groups, per_group, height, width).transpose(2, 1, 0, 3, 4)
    images = images.reshape(per_group, groups * batch, height, width)
    kernels = grad_output.transpose(1, 0, 2, 3)
    taps = conv2d(images, kernels, padding=sides, stride=dilation, dilation=stride, groups=groups)
    # The correlation may run past the kernel's last tap, where the last rows and columns
    # that no window reached would sit; those are not taps.
    grad_weight = taps[..., :kh, :kw].transpose(1, 0, 2, 3)
    return grad_weight.reshape(weight_shape)


def conv2d_grad_bias(grad_output):
    """Gradient of :func:`lib.conv2d` with respect to its bias: a sum.

    The bias ``b[o]`` is added to every position of output channel ``o``, for every
    image, so its gradient sums ``grad_output`` over the batch and the positions.

    Parameters
    ----------
    grad_output : array_like
        Gradient of the loss with respect to the convolution's output: (N, O, Ho, Wo),
        (O, Ho, Wo), or (Ho, Wo) for a single-channel convolution.

    Returns
    -------
    numpy.ndarray
        Shape (O,); a single number (0-d) for an (Ho, Wo) ``grad_output``.

    Raises
    ------
    TypeError
        If ``grad_output`` does not hold real numbers.
    ValueError
        If ``grad_output`` does not have 2, 3 or 4 dimensions.

    Examples
    --------
    >>> conv2d_grad_bias(np.ones((2, 3, 4, 4)))
    array([32., 32., 32.])
    """
    grad_output = as_array(grad_output, "grad_output")
    axes = {2: (0, 1), 3: (1, 2), 4: (0, 2, 3)}
    if grad_output.ndim not in axes:
        raise ValueError(
            "grad_output must have the shape of conv2d's output, (N, O, Ho, Wo), (O, Ho, Wo) "
            f"or (Ho, Wo); got shape {grad_output.shape}"
        )
    return grad_output.sum(axis=axes[grad_output.ndim])


def max_pool2d_grad(
    grad_output, input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False
):
    """Gradient of :func:`lib.max_pool2d` with respect to its input: routed to the maxima.

    Only the winner of each window affected the output, so each output's gradient goes
    to the one pixel that won, and nowhere else. Among tied pixels the winner is the
    one :func:`lib.max_pool2d` reports (the first in row-major order, as in PyTorch). A
    pixel that wins several overlapping windows collects the sum of their gradients.

    Parameters
    ----------
    grad_output : array_like
        Gradient of the loss with respect to the pooling's output (its shape).
    input : array_like
        The pooling's input, (N, C, H, W), (C, H, W) or (H, W).
    kernel_size, stride, padding, dilation, ceil_mode
        The pooling's, as :func:`lib.max_pool2d` takes them.

    Returns
    -------
    numpy.ndarray
        Gradient with respect to the input, of ``input``'s shape; float, of
        ``grad_output``'s dtype if it is a float, else float64.

    Raises
    ------
    TypeError, ValueError
        As :func:`lib.max_pool2d`; ValueError also if ``grad_output`` does not have the
        output's shape.

    Examples
    --------
    >>> x = np.array([[1, 3, 2, 1],
    ...               [4, 2, 0, 1],
    ...               [5, 1, 7, 8],
    ...               [0, 6, 3, 2]])
    >>> max_pool2d_grad(np.array([[10.0, 20.0], [30.0, 40.0]]), x, 2)
    array([[ 0.,  0., 20.,  0.],
           [10.,  0.,  0.,  0.],
           [ 0.,  0.,  0., 40.],
           [ 0., 30.,  0.,  0.]])
    """
    input = _checked_input(input)
    _, indices = max_pool2d(
        input, kernel_size, stride, padding, dilation, ceil_mode, return_indices=True
    )
    grad_output = _checked_grad_output(grad_output, indices.shape, "max_pool2d")
    # Number the pixels of all the (H, W) maps one after the other: map m's pixel p is
    # m * H * W + p, so that one flat index says where each output's gradient goes.
    height, width = input.shape[-2:]
    maps = int(np.prod(input.shape[:-2]))
    offsets = np.arange(maps).reshape(*input.shape[:-2], 1, 1) * (height * width)
    targets = (indices + offsets).ravel()
    dtype = _float_dtype(grad_output.dtype)
    if _windows_overlap(kernel_size, stride, dilation):
        # Overlapping windows may pick the same pixel: each pick adds its share (a plain
        # grad[targets] = ... would keep only one of them), which bincount sums.
        sums = np.bincount(targets, weights=grad_output.ravel(), minlength=maps * height * width)
        grad = sums.astype(dtype, copy=False)
    else:
        grad = np.zeros(maps * height * width, dtype)
        grad[targets] = grad_output.ravel()
    return grad.reshape(input.shape)


def _windows_overlap(kernel_size, stride, dilation):
    """Whether two pooling windows can share a cell: a stride shorter than the window's span."""
    kernel = as_pair(kernel_size, "kernel_size", minimum=1)
    stride = kernel if stride is None else as_pair(stride, "stride", minimum=1)
    dilation = as_pair(dilation, "dilation", minimum=1)
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True)]
    return any(s < span for s, span in zip(stride, spans, strict=True))


def avg_pool2d_grad(
    grad_output,
    input_shape,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """Gradient of :func:`lib.avg_pool2d` with respect to its input: a transposed convolution.

    Each output is a window's sum divided by its divisor: a convolution of each map with
    a kernel of ones, then a division. So each output's gradient, divided by the same
    divisor, is shared equally by the pixels of its window: the transposed convolution of
    :func:`conv2d_grad_input` with a kernel of ones. Padding's share is dropped.

    Parameters
    ----------
    grad_output : array_like
        Gradient of the loss with respect to the pooling's output (its shape).
    input_shape : tuple of int
        The pooling's input shape, (N, C, H, W), (C, H, W) or (H, W).
    kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
        The pooling's, as :func:`lib.avg_pool2d` takes them.

    Returns
    -------
    numpy.ndarray
        Gradient with respect to the input, of shape ``input_shape``; float, of
        ``grad_output``'s dtype if it is a float, else float64.

    Raises
    ------
    TypeError, ValueError
        As :func:`lib.avg_pool2d`; ValueError also if ``input_shape`` is not a shape or
        ``grad_output`` does not have the output's shape.

    Examples
    --------
    >>> avg_pool2d_grad(np.array([[4.0, 8.0]]), (2, 4), 2)
    array([[1., 1., 2., 2.],
           [1., 1., 2., 2.]])
    """
    input_shape = _checked_shape(input_shape, "input_shape", LAYOUTS)
    size = input_shape[-2:]
    kernel, stride, sides, out_size, divisor = _average_plan(
        size, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
    )
    grad_output = _checked_grad_output(grad_output, input_shape[:-2] + out_size, "avg_pool2d")
    shares = grad_output / divisor
    # The transposed convolution with a kernel of ones: every cell (i, j) of every window
    # receives its window's share. The cells (i, j) of all windows form one strided slice
    # of the padded map, so each cell is one addition over all the windows at once. Last
    # cell first: then each pixel adds the shares of the windows over it in reading order,
    # as torch does, which rounds the same.
    (top, bottom), (left, right) = sides
    height, width = size
    padded = np.zeros((*input_shape[:-2], height + top + bottom, width + left + right))
    padded = padded.astype(shares.dtype, copy=False)
    (sy, sx), (out_h, out_w) = stride, out_size
    for i in reversed(range(kernel[0])):
        for j in reversed(range(kernel[1])):
            padded[..., i : i + sy * (out_h - 1) + 1 : sy, j : j + sx * (out_w - 1) + 1 : sx] += (
                shares
            )
    # The padding's share is dropped.
    grad = padded[..., top : top + height, left : left + width]
    return grad.astype(_float_dtype(grad_output.dtype), copy=False)


# --- checks ----------------------------------------------------------------------------


def _checked_conv(input_shape, weight_shape, grad_output, stride, padding, dilation, groups, names):
    """Check a convolution's set-up and ``grad_output``; return them in (N, C, H, W) form.

    ``names`` are what the messages call ``input_shape`` and ``weight_shape``: a function
    given the weight itself calls its shape ``weight.shape``.

    Returns the input shape (N, C, H, W), the weight shape (O, C / groups, kH, kW),
    ``grad_output`` as an (N, O, Ho, Wo) array, stride and dilation as pairs, groups, and
    the padding as ``((top, bottom), (left, right))``.
    """
    input_name, weight_name = names
    input_shape = _checked_shape(input_shape, input_name, LAYOUTS)
    rank = len(input_shape)
    weight_layouts = {2: "(kH, kW), for an (H, W) input"}
    if rank > 2:
        weight_layouts = {4: "(O, C / groups, kH, kW)"}
    weight_shape = _checked_shape(weight_shape, weight_name, weight_layouts)
    groups = as_int(groups, "groups", minimum=1)
    if rank == 2 and groups != 1:
        raise ValueError(f"groups must be 1 for a single-channel (H, W) input, got {groups}")
    # An (H, W) input is one image of one channel; a (C, H, W) input, a batch of one.
    batch, channels, height, width = (1,) * (4 - rank) + input_shape
    out_channels, per_group, kh, kw = (1,) * (4 - len(weight_shape)) + weight_shape
    if out_channels % groups:
        raise ValueError(
            f"weight has {out_channels} output channels ({weight_name}[0]), which "
            f"groups={groups} does not divide"
        )
    if per_group * groups != channels:
        raise ValueError(
            f"{input_name} must have {weight_name}[1] * groups = {per_group} * {groups} = "
            f"{per_group * groups} channels; got {channels}"
        )
    stride = as_pair(stride, "stride", minimum=1)
    dilation = as_pair(dilation, "dilation", minimum=1)
    sides = padding_sides(padding, (kh, kw), stride, dilation)
    out_size = _checked_output_size((height, width), (kh, kw), stride, sides, dilation)
    output_shape = (batch, out_channels, *out_size)
    grad_output = _checked_grad_output(grad_output, output_shape[4 - rank :], "conv2d")
    grad_output = grad_output.reshape(output_shape)
    return (
        (batch, channels, height, width),
        (out_channels, per_group, kh, kw),
        grad_output,
        stride,
        dilation,
        groups,
        sides,
    )


def _checked_shape(shape, name, layouts):
    """``shape`` as a tuple of ints ``>= 1``, with as many entries as one of ``layouts``.

    ``name`` is the argument's name, for the message.
    """
    if not isinstance(shape, tuple | list) or not all(
        isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in shape
    ):
        raise TypeError(f"{name} must be a tuple of ints, got {shape!r}")
    shape = tuple(int(n) for n in shape)
    if len(shape) not in layouts or min(shape) < 1:
        counts = " or ".join(str(ndim) for ndim in layouts)
        raise ValueError(
            f"{name} must be {counts} sizes >= 1, {' or '.join(layouts.values())}; got {shape}"
        )
    return shape


def _checked_grad_output(grad_output, shape, layer):
    """``grad_output`` as an array, checked to have ``shape``, the shape of the layer's output."""
    grad_output = as_array(grad_output, "grad_output")
    if grad_output.shape != tuple(shape):
        raise ValueError(
            f"grad_output must have the shape of {layer}'s output, {tuple(shape)}; "
            f"got {grad_output.shape}"
        )
    return grad_output
