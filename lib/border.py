"""How well each padding mode guesses the pixels beyond an edge: chapter 2's measurement.

A crop of a larger image has real neighbours, so the right answer of a filter near the
crop's edges is known: the filter computed on the crop with its neighbours. Filtering the
crop alone, with "same" padding, invents the neighbours instead, each padding mode in its
own way (:mod:`lib.padding`). :func:`border_errors` measures, for several crops, how far
each mode's result is from the right one on the band along the edges where the kernel
reaches outside the crop (the interior is exact in every mode).

Examples
--------
A smooth ramp: replicate and reflect guess its edges better than zeros do.

>>> rows, cols = np.mgrid[:20, :20]
>>> ramp = (rows + 2 * cols).astype(float)
>>> errors = border_errors(ramp, np.ones((3, 3)) / 9, 8, [(5, 5)], ["zeros", "replicate"])
>>> errors.round(2)
array([[9.31, 0.52]])
"""

import numpy as np

from lib._validation import as_array, as_int, check_ndim
from lib.convolution import conv2d

__all__ = ["border_errors"]


def border_errors(
    image, kernel, size, corners, modes=("zeros", "reflect", "replicate", "circular")
):
    """The mean absolute error of "same" filtering on the edge band of crops, per mode.

    For each crop ``image[top : top + size, left : left + size]`` and each padding mode,
    the crop is filtered with ``kernel`` (cross-correlation, padding ``k // 2`` on every
    side in that mode) and compared with the same filter computed with the crop's real
    neighbours, on the band of ``k // 2`` pixels along the crop's four edges.

    Parameters
    ----------
    image : array_like
        The whole image, (H, W).
    kernel : array_like
        A square kernel of odd size ``k``, (k, k).
    size : int
        The crops' side, more than ``2 * (k // 2)`` so that the crop has an interior.
    corners : array_like of int
        The crops' top-left corners, (M, 2) as ``(top, left)``, each at least ``k // 2``
        pixels from the image's edges, with the crop ending as far from them.
    modes : sequence of str, optional
        Padding modes of :func:`lib.pad2d`. Default the four of PyTorch.

    Returns
    -------
    numpy.ndarray of float64, shape (M, len(modes))
        The mean absolute error on each crop's edge band, for each mode.

    Raises
    ------
    ValueError
        If ``image`` is not 2-D, ``kernel`` is not square with an odd side, ``size`` is
        too small, or a crop's neighbours reach outside the image.

    Examples
    --------
    On a flat grey image every mode but zeros guesses right:

    >>> grey = np.full((10, 10), 5.0)
    >>> border_errors(grey, np.ones((3, 3)) / 9, 4, [(1, 1), (3, 5)]).round(2)
    array([[2.04, 0.  , 0.  , 0.  ],
           [2.04, 0.  , 0.  , 0.  ]])
    """
    image = as_array(image, "image").astype(np.float64)
    check_ndim(image, "image", {2: "(H, W)"})
    kernel = as_array(kernel, "kernel")
    check_ndim(kernel, "kernel", {2: "(k, k)"})
    if kernel.shape[0] != kernel.shape[1] or kernel.shape[0] % 2 == 0:
        raise ValueError(f"kernel must be square with an odd side, got shape {kernel.shape}")
    reach = kernel.shape[0] // 2
    size = as_int(size, "size", minimum=2 * reach + 1)
    corners = np.asarray(corners)
    if corners.ndim != 2 or corners.shape[1] != 2 or corners.dtype.kind not in "iu":
        raise ValueError(f"corners must be (M, 2) integers (top, left), got {corners!r}")
    band = np.ones((size, size), dtype=bool)
    band[reach:-reach, reach:-reach] = False
    errors = np.empty((len(corners), len(modes)))
    for row, (top, left) in enumerate(corners.tolist()):
        if (
            min(top, left) < reach
            or top + size + reach > image.shape[0]
            or left + size + reach > image.shape[1]
        ):
            raise ValueError(
                f"crop at (top, left) = ({top}, {left}) of size {size}: its neighbours, "
                f"{reach} pixels on each side, must lie inside the image {image.shape}"
            )
        context = image[top - reach : top + size + reach, left - reach : left + size + reach]
        truth = conv2d(context, kernel)  # valid: every window reads real pixels
        crop = context[reach:-reach, reach:-reach]
        for column, mode in enumerate(modes):
            guessed = conv2d(crop, kernel, padding=reach, padding_mode=mode)
            errors[row, column] = np.abs(guessed - truth)[band].mean()
    return errors
