"""The fast paths of :mod:`lib.gradients`: the convolution's gradients as matrix products.

:mod:`lib.gradients` derives each gradient as a convolution and computes it with
:func:`lib.conv2d`, which is how the book explains them (``method="convolution"``). These
functions compute the same numbers from im2col's column matrix, as deep-learning
frameworks do (``method="im2col"``, the default):

- the forward pass is ``out = W @ columns``, with ``W`` the weight as an (O, C kH kW)
  matrix; so the weight's gradient is ``grad_out @ columns.T``: **one** matrix product
  whose inner dimension runs over every image and position of the batch;
- the columns' gradient is ``W.T @ grad_out``; each column is a window of the input, so
  the input's gradient adds each column back where its window came from (col2im).

Both work through the batch a few images, and through a large image a strip of output rows,
at a time, under the same working-memory budget as :func:`lib.conv2d`
(:func:`lib.convolution._piece_size`).
"""

import numpy as np

from lib.convolution import _piece_size, _pieces, _windows


def grad_weight_im2col(input, grad_output, weight_shape, stride, sides, dilation, groups, dtype):
    """The weight's gradient, ``grad_out @ columns.T``, summed over pieces of the batch.

    ``input`` is (N, C, H, W), ``grad_output`` (N, O, Ho, Wo), ``weight_shape`` (O, C / groups,
    kH, kW), ``sides`` the padding ((top, bottom), (left, right)); ``dtype`` is the one to
    compute in. Returns (O, C / groups, kH, kW).
    """
    out_channels, per_group, kernel_height, kernel_width = weight_shape
    out_size = grad_output.shape[2:]
    images, rows = _piece_size("im2col", input.shape, weight_shape, stride, out_size, sides, dtype)
    span = (kernel_height - 1) * dilation[0] + 1
    taps = per_group * kernel_height * kernel_width
    # Transposed, (taps, O / groups) per group: BLAS multiplies faster in this orientation
    # when the output channels are few (LeNet's 6 or 16) and the taps many.
    grad_weight = np.zeros((groups, taps, out_channels // groups), dtype)
    padding = (sides, "zeros", dtype)
    for strip, piece in _pieces(input, grad_output, images, rows, span, stride[0], padding):
        windows, row_length = _windows(strip, weight_shape[2:], stride, dilation, piece.shape[2:])
        # Channels and taps first, then images and positions: one (taps, images * positions)
        # matrix per group, so that a single product sums over the whole piece. The copy
        # reads each window row as one contiguous run (see _windows).
        columns = np.ascontiguousarray(np.moveaxis(windows, 0, 3))
        columns = columns.reshape(groups, taps, -1)
        grads = _as_rows(piece, row_length, windows.shape[4:], dtype)
        grads = grads.reshape(groups, out_channels // groups, -1)
        grad_weight += columns @ grads.transpose(0, 2, 1)
    return grad_weight.transpose(0, 2, 1).reshape(weight_shape)


def _as_rows(grad_output, row_length, positions, dtype):
    """``grad_output`` (n, O, rows, Wo) as (O, n, positions), matching _windows' positions.

    Where the windows run on past each row's last output (``row_length`` > Wo), those
    positions are no outputs: their gradient is zero, so they add nothing.
    """
    count, out_channels, rows, out_width = grad_output.shape
    by_channel = grad_output.transpose(1, 0, 2, 3)
    if row_length == out_width:
        return np.ascontiguousarray(by_channel, dtype).reshape(out_channels, count, -1)
    padded = np.zeros((out_channels, count, rows, row_length), dtype)
    padded[..., :out_width] = by_channel
    return padded.reshape(out_channels, count, -1)[..., : positions[0]]


def grad_input_im2col(grad_output, weight, input_shape, stride, sides, dilation, groups, dtype):
    """The input's gradient: the columns' gradient ``W.T @ grad_out``, added back (col2im).

    ``grad_output`` is (N, O, Ho, Wo), ``weight`` (O, C / groups, kH, kW), ``input_shape``
    (N, C, H, W); ``dtype`` is the one to compute in. Returns the gradient of the padded
    input, cropped to the input (a view).
    """
    batch, channels, height, width = input_shape
    out_channels, per_group, kernel_height, kernel_width = weight.shape
    _, _, out_height, out_width = grad_output.shape
    (top, bottom), (left, right) = sides
    (sy, sx), (dy, dx) = stride, dilation
    padded_height, padded_width = height + top + bottom, width + left + right
    images, rows = _piece_size(
        "im2col", input_shape, weight.shape, stride, (out_height, out_width), sides, dtype
    )
    per_output = out_channels // groups
    # W.T per group, its rows in the order (i, j, c): tap (i, j)'s rows are one block.
    kernels = weight.astype(dtype, copy=False).reshape(groups, per_output, per_group, -1)
    kernels = np.ascontiguousarray(kernels.transpose(0, 3, 2, 1)).reshape(groups, -1, per_output)
    # With stride 1, the window at (y, x + 1) starts one pixel after the one at (y, x): with
    # the positions running on to the padded width (zero gradient past each row's last
    # output), each tap's share lands on one contiguous run of each padded map. The maps
    # get one spare row for the run past the last output row.
    # (Not worth it when the padded width is much more than the outputs per row.)
    run_on = (sy, sx) == (1, 1) and padded_width <= 2 * out_width
    row_length = padded_width if run_on else out_width
    maps = np.zeros((batch, groups, per_group, (padded_height + 1) * padded_width), dtype)
    grid = maps[..., : padded_height * padded_width].reshape(*maps.shape[:3], padded_height, -1)
    for n in range(0, batch, images):
        for y in range(0, out_height, rows):
            piece = grad_output[n : n + images, :, y : y + rows]
            count, piece_rows = len(piece), piece.shape[2]
            # Images and positions side by side, so that one product serves the piece.
            by_group = piece.reshape(count, groups, per_output, piece_rows, out_width)
            grads = np.zeros((groups, per_output, count, piece_rows, row_length), dtype)
            grads[..., :out_width] = by_group.transpose(1, 2, 0, 3, 4)
            columns = kernels @ grads.reshape(groups, per_output, -1)
            columns = columns.reshape(groups, kernel_height, kernel_width, per_group, count, -1)
            columns = columns.transpose(4, 0, 3, 1, 2, 5)  # (count, G, C / G, kH, kW, positions)
            # col2im: tap (i, j) of the window at output (y, x) sat on padded pixel
            # (y * sy + i * dy, x * sx + j * dx); windows overlap, so the taps add up.
            for i in range(kernel_height):
                for j in range(kernel_width):
                    share = columns[:, :, :, i, j]  # (count, G, C / G, positions)
                    if run_on:
                        start = (y + i * dy) * padded_width + j * dx
                        maps[n : n + count, ..., start : start + share.shape[-1]] += share
                    else:
                        first = y * sy + i * dy
                        rows_hit = slice(first, first + sy * (piece_rows - 1) + 1, sy)
                        cols_hit = slice(j * dx, j * dx + sx * (out_width - 1) + 1, sx)
                        share = share.reshape(*share.shape[:3], piece_rows, out_width)
                        grid[n : n + count, ..., rows_hit, cols_hit] += share
    grid = grid.reshape(batch, channels, padded_height, padded_width)
    return grid[..., top : top + height, left : left + width]
