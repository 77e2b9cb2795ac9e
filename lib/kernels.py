"""Named kernels that the chapters and their exercises use.

They live here, in ``lib`` proper, rather than in the exercise checkers, because an answer
cell is graded with only the notebook's imports and the checkers hidden from it.

Examples
--------
>>> from lib.kernels import SOBEL_X, SOBEL_Y
>>> SOBEL_X
array([[-1,  0,  1],
       [-2,  0,  2],
       [-1,  0,  1]])
>>> bool((SOBEL_Y == SOBEL_X.T).all())
True
"""

import numpy as np

__all__ = ["SOBEL_X", "SOBEL_Y", "VERTICAL_EDGE", "SHARPEN", "LAPLACIAN", "box", "binomial"]


def _frozen(rows):
    array = np.array(rows)
    array.flags.writeable = False  # a shared constant: an in-place edit would leak
    return array


#: Sobel's kernel for the change along x (from left to right, across the columns).
SOBEL_X = _frozen([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
#: Sobel's kernel for the change along y (from top to bottom, across the rows).
SOBEL_Y = _frozen(SOBEL_X.T)
#: The vertical-edge kernel of the book's first worked example.
VERTICAL_EDGE = _frozen([[1, 0, -1], [1, 0, -1], [1, 0, -1]])
#: A sharpening kernel: the pixel, plus its difference from its four neighbours.
SHARPEN = _frozen([[0, -1, 0], [-1, 5, -1], [0, -1, 0]])
#: The discrete Laplacian, the sum of the second differences along x and y.
LAPLACIAN = _frozen([[0, 1, 0], [1, -4, 1], [0, 1, 0]])


def box(size):
    """A ``size`` x ``size`` kernel of ones: the sum of the window (a blur once divided).

    Parameters
    ----------
    size : int
        The kernel's side, at least 1.

    Returns
    -------
    numpy.ndarray of int64

    Raises
    ------
    ValueError
        If ``size`` is not a positive integer.

    Examples
    --------
    >>> box(2)
    array([[1, 1],
           [1, 1]])
    """
    if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 1:
        raise ValueError(f"size must be a positive integer; got {size!r}")
    return np.ones((size, size), dtype=np.int64)


def binomial(size):
    """A ``size`` x ``size`` binomial blur: Pascal's row, outer product, summing to 1.

    The row of ``size`` is the binomial coefficients of ``size - 1`` (``[1, 2, 1]`` for 3),
    close to a Gaussian of standard deviation ``sqrt(size - 1) / 2``. It is a low-pass
    filter: its response to the finest pattern, stripes one pixel wide, is 0 for every
    ``size`` above 1, and a larger size removes more of the detail finer than a few pixels
    (Zhang 2019 blurs with these before subsampling; chapter 4 uses a large one to make
    maps smooth enough that subsampling them hardly aliases).

    Parameters
    ----------
    size : int
        The kernel's side, at least 1.

    Returns
    -------
    numpy.ndarray of float64, shape (size, size)

    Raises
    ------
    ValueError
        If ``size`` is not a positive integer.

    Examples
    --------
    >>> binomial(3) * 16
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    >>> float(binomial(9).sum())
    1.0
    """
    if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 1:
        raise ValueError(f"size must be a positive integer; got {size!r}")
    row = np.ones(1)
    for _ in range(size - 1):
        row = np.convolve(row, [1.0, 1.0])  # the next row of Pascal's triangle
    return np.outer(row, row) / row.sum() ** 2
