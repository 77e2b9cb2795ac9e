"""The transposed convolution, two ways: by inserting zeros, and as a matrix's transpose.

Chapter 6 shows that the gradient of a convolution with respect to its input is a
*transposed convolution* (:func:`lib.conv2d_grad_input`). This module makes that word
concrete for one single-channel map:

- a convolution is linear in its input, so it is a matrix: :func:`conv2d_matrix` builds
  it, column by column, and ``conv2d_matrix(...).T`` applied to an output gradient is the
  input gradient;
- the same product computed without the matrix: spread the map out with ``stride - 1``
  zeros between its entries (:func:`insert_zeros`), then take the *full* correlation with
  the flipped kernel (:func:`conv_transpose2d`), which is what
  ``torch.nn.functional.conv_transpose2d`` computes for ``padding=0``.

Examples
--------
>>> kernel = np.array([[1.0, 2.0], [3.0, 4.0]])
>>> matrix = conv2d_matrix((3, 3), kernel)
>>> matrix.shape
(4, 9)
>>> grad = np.arange(4.0).reshape(2, 2)
>>> bool(np.allclose((matrix.T @ grad.ravel()).reshape(3, 3), conv_transpose2d(grad, kernel)))
True
"""

import numpy as np

from lib._validation import as_array, as_int, check_ndim
from lib.convolution import conv2d

__all__ = ["conv2d_matrix", "insert_zeros", "conv_transpose2d"]


def conv2d_matrix(input_shape, kernel, stride=1, padding=0):
    """The matrix of the single-channel convolution ``conv2d(x, kernel, stride, padding)``.

    A convolution is linear in its input: ``conv2d(x).ravel() == M @ x.ravel()`` for one
    matrix ``M`` with a row per output pixel and a column per input pixel. Column ``i`` is
    what the convolution makes of the image that is 1 at pixel ``i`` and 0 elsewhere, and
    that is how it is built here: one convolution per pixel, slow and plain.

    Parameters
    ----------
    input_shape : tuple of int
        ``(H, W)``, the input map's shape.
    kernel : array_like
        ``(kH, kW)``.
    stride, padding
        As :func:`lib.conv2d` takes them.

    Returns
    -------
    numpy.ndarray
        Shape ``(Ho * Wo, H * W)``, float64.

    Raises
    ------
    TypeError, ValueError
        If ``input_shape`` is not two sizes ``>= 1``, ``kernel`` is not 2-D, or the
        convolution itself is invalid (as :func:`lib.conv2d` says).

    Examples
    --------
    A 1x2 kernel on a 1x3 row: each row of the matrix is the kernel, shifted by one.

    >>> conv2d_matrix((1, 3), np.array([[1.0, -1.0]]))
    array([[ 1., -1.,  0.],
           [ 0.,  1., -1.]])
    """
    if not isinstance(input_shape, tuple | list) or len(input_shape) != 2:
        raise ValueError(f"input_shape must be two sizes (H, W); got {input_shape!r}")
    height, width = (as_int(n, "input_shape", minimum=1) for n in input_shape)
    kernel = as_array(kernel, "kernel").astype(float)
    check_ndim(kernel, "kernel", {2: "(kH, kW)"})
    columns = []
    for pixel in range(height * width):
        unit = np.zeros(height * width)
        unit[pixel] = 1.0
        out = conv2d(unit.reshape(height, width), kernel, stride=stride, padding=padding)
        columns.append(out.ravel())
    return np.stack(columns, axis=1)


def insert_zeros(x, stride):
    """``x`` spread out with ``stride - 1`` zeros between neighbouring entries.

    The first step of a transposed convolution with stride ``s``: the outputs of a
    stride-``s`` convolution sat ``s`` pixels apart on its input, so their gradients are
    put back ``s`` apart.

    Parameters
    ----------
    x : array_like
        ``(H, W)``.
    stride : int
        ``>= 1``; 1 returns a copy of ``x``.

    Returns
    -------
    numpy.ndarray
        Shape ``((H - 1) * s + 1, (W - 1) * s + 1)``, ``x``'s dtype.

    Raises
    ------
    TypeError, ValueError
        If ``x`` is not a 2-D array of numbers or ``stride`` is not an int ``>= 1``.

    Examples
    --------
    >>> insert_zeros(np.array([[1, 2], [3, 4]]), 2)
    array([[1, 0, 2],
           [0, 0, 0],
           [3, 0, 4]])
    """
    x = as_array(x, "x")
    check_ndim(x, "x", {2: "(H, W)"})
    stride = as_int(stride, "stride", minimum=1)
    height, width = x.shape
    spread = np.zeros(((height - 1) * stride + 1, (width - 1) * stride + 1), x.dtype)
    spread[::stride, ::stride] = x
    return spread


def conv_transpose2d(x, kernel, stride=1, padding=0):
    """Transposed convolution of one map, by zero insertion and a full correlation.

    Three steps, each a line: insert ``stride - 1`` zeros between the entries of ``x``;
    pad by ``k - 1`` on every side (the *full* correlation, every overlap); correlate with
    the kernel flipped in both directions. Each entry of ``x`` thereby stamps a copy of
    the kernel, scaled by it, onto the output, ``stride`` pixels from its neighbour's.

    Parameters
    ----------
    x : array_like
        ``(H, W)``: for a gradient, the gradient of a loss with respect to a
        convolution's output.
    kernel : array_like
        ``(kH, kW)``: the convolution's kernel.
    stride : int, optional
        The convolution's stride. Default 1.
    padding : int, optional
        The convolution's padding ``p``, on every side. Default 0. Going back, the
        padded border is not part of the input: ``p`` rows and columns are cropped from
        every side, as if the full correlation were padded by ``k - 1 - p`` instead of
        ``k - 1`` (Dumoulin and Visin's ``p' = k - p - 1``); PyTorch's
        ``conv_transpose2d(..., padding=p)`` means the same.

    Returns
    -------
    numpy.ndarray
        Shape ``((H - 1) * s - 2 p + kH, (W - 1) * s - 2 p + kW)``: chapter 2's
        :func:`lib.transposed_output_size`.

    Raises
    ------
    TypeError, ValueError
        If ``x`` or ``kernel`` is not a 2-D array of numbers, ``stride`` is not an
        int ``>= 1``, or ``padding`` not an int ``>= 0`` that leaves some output.

    Examples
    --------
    Each entry stamps the kernel, two pixels from the last:

    >>> conv_transpose2d(np.array([[1.0, 10.0]]), np.array([[1.0, 2.0, 3.0]]), stride=2)
    array([[ 1.,  2., 13., 20., 30.]])

    With the convolution's padding, the border is cropped:

    >>> conv_transpose2d(np.ones((2, 2)), np.ones((3, 3)), padding=1)
    array([[4., 4.],
           [4., 4.]])
    """
    kernel = as_array(kernel, "kernel")
    check_ndim(kernel, "kernel", {2: "(kH, kW)"})
    padding = as_int(padding, "padding", minimum=0)
    spread = insert_zeros(x, stride)
    full = conv2d(spread, kernel[::-1, ::-1], padding="full")
    if 2 * padding >= min(full.shape):
        raise ValueError(
            f"padding must leave some output: 2 * padding < {min(full.shape)}, got {padding}"
        )
    return full[padding : full.shape[0] - padding, padding : full.shape[1] - padding]
