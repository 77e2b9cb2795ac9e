"""Is a layer shift-equivariant? The test of chapter 1, with its controls.

A layer ``f`` is shift-equivariant when shifting its input shifts its output by the same
amount: ``f(shift(x)) = shift(f(x))``. A convolution with stride 1 is, because it uses the
same kernel at every place (weight sharing). Two controls show that the test can fail:

- a **locally connected** layer (:func:`locally_connected2d`) slides the same windows but
  holds its own kernel for every output position, so a pattern moved to another place
  meets other weights;
- a convolution with **stride** ``s`` moves its output by ``d / s`` cells for a shift of
  ``d`` pixels: a whole number of cells only when ``s`` divides ``d``. For any other shift
  the output is read at other pixels, and no whole-cell move of it reproduces that
  (chapter 4 measures what this does to feature maps: aliasing).

:func:`equivariance_gap` runs the test on any layer that maps an image (H, W) to a map.

Examples
--------
>>> from lib.convolution import conv2d
>>> image = np.arange(64).reshape(8, 8) % 7
>>> kernel = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]])
>>> int(equivariance_gap(lambda x: conv2d(x, kernel), image, dy=1, dx=2))
0
>>> weights = np.stack([kernel] * 36).reshape(6, 6, 3, 3)  # the same kernel everywhere
>>> bool(np.array_equal(locally_connected2d(image, weights), conv2d(image, kernel)))
True
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from lib._validation import as_array, as_int, check_ndim
from lib.invariance import shift

__all__ = ["locally_connected2d", "equivariance_gap"]


def locally_connected2d(input, weight):
    """Valid cross-correlation with its own kernel at every output position.

    ``out[y, x] = sum_i sum_j input[y + i, x + j] * weight[y, x, i, j]``: the windows of a
    convolution with stride 1, without weight sharing. With the same kernel at every
    position it is :func:`lib.conv2d`.

    Parameters
    ----------
    input : array_like
        An image (H, W).
    weight : array_like
        One kernel per output position, (H - kH + 1, W - kW + 1, kH, kW).

    Returns
    -------
    numpy.ndarray
        (H - kH + 1, W - kW + 1), of the dtype of ``input * weight``.

    Raises
    ------
    ValueError
        If ``input`` is not 2-D, ``weight`` not 4-D, or their shapes do not fit.

    Examples
    --------
    >>> image = np.arange(16).reshape(4, 4)
    >>> weight = np.zeros((3, 3, 2, 2), dtype=int)
    >>> weight[..., 0, 0] = 1  # every position reads the top-left pixel of its window
    >>> weight[2, 2] = [[0, 0], [0, 1]]  # except the last, which reads the bottom-right
    >>> locally_connected2d(image, weight)
    array([[ 0,  1,  2],
           [ 4,  5,  6],
           [ 8,  9, 15]])
    """
    input = as_array(input, "input")
    weight = as_array(weight, "weight")
    check_ndim(input, "input", {2: "(H, W)"})
    check_ndim(weight, "weight", {4: "(H - kH + 1, W - kW + 1, kH, kW)"})
    kernel = weight.shape[2:]
    windows_shape = (input.shape[0] - kernel[0] + 1, input.shape[1] - kernel[1] + 1)
    if min(kernel) < 1 or windows_shape != weight.shape[:2]:
        raise ValueError(
            f"weight must have shape (H - kH + 1, W - kW + 1, kH, kW) = "
            f"{windows_shape + kernel} for an input of shape {input.shape}, "
            f"got {weight.shape}"
        )
    windows = sliding_window_view(input, kernel)
    return np.einsum("yxij,yxij->yx", windows, weight)


def equivariance_gap(layer, image, dy=0, dx=0, stride=1):
    """How far ``layer(shift(image))`` is from the layer's output moved by whole cells.

    The image is shifted ``dy`` pixels down and ``dx`` right (zeros come in;
    :func:`lib.invariance.shift`). A layer with stride ``stride`` should then move its
    output by ``dy / stride`` and ``dx / stride`` cells. Where ``stride`` does not divide a
    shift, both neighbouring whole-cell moves are tried. The comparison leaves out the
    output's first rows and columns, which read the zeros that came in.

    Parameters
    ----------
    layer : callable
        Maps an image (H, W) to an output (H', W'), with windows that start every
        ``stride`` pixels from the top-left corner (valid convolution, no padding).
    image : array_like
        The image, (H, W).
    dy, dx : int, optional
        The shift, in pixels, at least 0. Default 0.
    stride : int, optional
        The layer's stride. Default 1.

    Returns
    -------
    float
        The largest absolute difference, for the best whole-cell move: 0 when the layer
        is equivariant to this shift.

    Raises
    ------
    ValueError
        If ``image`` is not 2-D, a shift is negative, or ``stride`` is below 1.

    Examples
    --------
    With stride 2, a 2-pixel shift moves the output by one cell; a 1-pixel shift moves it
    by no whole number of cells:

    >>> from lib.convolution import conv2d
    >>> image = np.arange(64).reshape(8, 8) ** 2 % 11
    >>> strided = lambda x: conv2d(x, np.ones((2, 2), dtype=int), stride=2)
    >>> float(equivariance_gap(strided, image, dx=2, stride=2))
    0.0
    >>> float(equivariance_gap(strided, image, dx=1, stride=2)) > 0
    True
    """
    image = as_array(image, "image")
    check_ndim(image, "image", {2: "(H, W)"})
    dy, dx = as_int(dy, "dy", minimum=0), as_int(dx, "dx", minimum=0)
    stride = as_int(stride, "stride", minimum=1)
    out = np.asarray(layer(image))
    moved = np.asarray(layer(shift(image, dy=dy, dx=dx)))
    # Output rows from `top` on, and columns from `left` on, read only moved pixels.
    top, left = -(-dy // stride), -(-dx // stride)
    rows, cols = moved.shape[0] - top, moved.shape[1] - left
    gaps = []
    for cy in sorted({dy // stride, top}):
        for cx in sorted({dx // stride, left}):
            expected = out[top - cy : top - cy + rows, left - cx : left - cx + cols]
            difference = moved[top:, left:].astype(np.float64) - expected
            gaps.append(float(np.abs(difference).max()))
    return min(gaps)
