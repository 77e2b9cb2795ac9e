"""Padding an image: what a convolution sees beyond the edges.

Four ways to invent the missing pixels, as in ``torch.nn.Conv2d(padding_mode=...)``.
For the row ``1 2 3 4`` padded by 2 on each side:

============  =======================  ================================================
mode          padded row               rule
============  =======================  ================================================
zeros         ``0 0 | 1 2 3 4 | 0 0``  a constant (``value``, default 0)
reflect       ``3 2 | 1 2 3 4 | 3 2``  mirror, without repeating the edge pixel
replicate     ``1 1 | 1 2 3 4 | 4 4``  repeat the edge pixel
circular      ``3 4 | 1 2 3 4 | 1 2``  wrap around, as if the image tiled the plane
============  =======================  ================================================
"""

import numpy as np

from lib._validation import as_array, check_choice, check_ndim
from lib.shapes import padding_sides

#: The padding modes, and the name NumPy's ``np.pad`` gives each ("constant" is
#: ``torch.nn.functional.pad``'s name for "zeros").
PADDING_MODES = {
    "zeros": "constant",
    "constant": "constant",
    "reflect": "reflect",
    "replicate": "edge",
    "circular": "wrap",
}


def pad2d(input, padding, mode="zeros", value=0):
    """Pad the last two dimensions (height and width) of an image or a batch of images.

    Parameters
    ----------
    input : array_like
        Shape (H, W), (C, H, W) or (N, C, H, W).
    padding : int, (int, int) or ((int, int), (int, int))
        ``p`` on every side, ``(pad_h, pad_w)``, or ``((top, bottom), (left, right))``.
    mode : {"zeros", "reflect", "replicate", "circular"}, optional
        How to fill the border (see the module's table). ``"constant"`` is a synonym of
        ``"zeros"``. Default ``"zeros"``.
    value : number, optional
        The constant of ``"zeros"`` mode. Default 0.

    Returns
    -------
    numpy.ndarray
        A new array of ``input``'s dtype, of shape (..., top + H + bottom, left + W + right).

    Raises
    ------
    TypeError
        If ``input`` is not numeric, or ``padding`` has none of the forms above.
    ValueError
        If ``input`` has the wrong number of dimensions, a padding is negative, ``mode``
        is unknown, ``value`` is given with a mode other than "zeros", ``reflect`` padding
        is not smaller than the input on that side, ``circular`` padding is larger than
        the input, or a mode other than "zeros" is asked of an empty image. These are
        PyTorch's rules.

    Examples
    --------
    >>> row = np.array([[1, 2, 3, 4]])
    >>> for mode in ("zeros", "reflect", "replicate", "circular"):
    ...     print(f"{mode:9}", pad2d(row, ((0, 0), (2, 2)), mode=mode)[0])
    zeros     [0 0 1 2 3 4 0 0]
    reflect   [3 2 1 2 3 4 3 2]
    replicate [1 1 1 2 3 4 4 4]
    circular  [3 4 1 2 3 4 1 2]
    >>> pad2d(np.ones((2, 3, 4, 5)), (1, 2)).shape
    (2, 3, 6, 9)
    >>> pad2d(row, ((0, 0), (4, 0)), mode="reflect")
    Traceback (most recent call last):
    ...
    ValueError: mode='reflect' needs padding < input size on that side; got padding 4 for width 4
    """
    input = as_array(input, "input", allow_bool=True)
    check_ndim(input, "input", {2: "(H, W)", 3: "(C, H, W)", 4: "(N, C, H, W)"})
    if isinstance(padding, str):
        raise TypeError(
            f"pad2d takes padding as numbers, got {padding!r}; "
            "'valid', 'same' and 'full' are conv2d's padding strings"
        )
    sides = padding_sides(padding)
    check_choice(mode, "mode", tuple(PADDING_MODES))
    numpy_mode = PADDING_MODES[mode]
    value = _checked_value(value, input.dtype)
    if numpy_mode == "constant":
        options = {"constant_values": value}
    else:
        if value != 0:
            raise ValueError(f"value is the constant of mode='zeros'; mode={mode!r} takes none")
        options = {}
        check_padding_fits(sides, input.shape[-2:], mode)
    leading = [(0, 0)] * (input.ndim - 2)
    padded = np.pad(input, leading + list(sides), mode=numpy_mode, **options)
    # np.pad keeps a Fortran-ordered input Fortran-ordered; the fast convolution paths read
    # rows as contiguous memory, so the result is always C-ordered.
    return np.ascontiguousarray(padded)


def _checked_value(value, dtype):
    """The fill value, refused if ``dtype`` cannot hold it exactly (1.5 in an int image)."""
    value = as_array(value, "value", allow_bool=True)
    if value.ndim != 0:
        raise TypeError(f"value must be a single number, got shape {value.shape}")
    if value.astype(dtype) != value:
        raise ValueError(f"value {value.item()!r} cannot be stored exactly in input's {dtype}")
    return value


def check_padding_fits(sides, size, mode, name="mode"):
    """Check PyTorch's limits on how far ``mode`` can invent pixels beyond an image.

    Parameters
    ----------
    sides : ((int, int), (int, int))
        ``((top, bottom), (left, right))``, as :func:`lib.shapes.padding_sides` returns.
    size : (int, int)
        The image's height and width.
    mode : str
        A padding mode; "zeros" and "constant" have no limit.
    name : str, optional
        The mode argument's name, for the error message. Default ``"mode"``.

    Raises
    ------
    ValueError
        If ``reflect`` padding is not smaller than the image on that side, ``circular``
        padding is larger than the image (it would wrap around more than once), or the
        image is empty along a dimension that the mode must pad.

    Examples
    --------
    >>> check_padding_fits(((2, 2), (3, 3)), (3, 3), "reflect")
    Traceback (most recent call last):
    ...
    ValueError: mode='reflect' needs padding < input size on that side; got padding 3 for width 3
    """
    if PADDING_MODES.get(mode) == "constant":
        return
    for (before, after), length, dim in zip(sides, size, ("height", "width"), strict=True):
        pad = max(before, after)
        if length == 0 and pad > 0:
            raise ValueError(f"{name}={mode!r} cannot pad an input of {dim} 0")
        if mode == "reflect" and pad >= length:
            raise ValueError(
                f"{name}={mode!r} needs padding < input size on that side; got padding {pad} "
                f"for {dim} {length}"
            )
        if mode == "circular" and pad > length:
            raise ValueError(
                f"{name}={mode!r} needs padding <= input size on that side, to wrap around at "
                f"most once; got padding {pad} for {dim} {length}"
            )


def source_index(positions, size, mode):
    """Where each position of a padded axis takes its value from, in the unpadded axis.

    Parameters
    ----------
    positions : numpy.ndarray of int
        Positions along one axis of the padded image, numbered from the unpadded image's
        first pixel (so the padding before it has negative positions).
    size : int
        The unpadded image's length along that axis.
    mode : str
        A padding mode. For "zeros", positions outside are clipped to the edge: their
        values are overwritten with the constant anyway.

    Returns
    -------
    numpy.ndarray of int
        Indices in ``0 .. size - 1``.

    Examples
    --------
    >>> positions = np.arange(-2, 6)  # 2 of padding on each side of 4 pixels
    >>> for mode in ("reflect", "replicate", "circular"):
    ...     print(f"{mode:9}", source_index(positions, 4, mode))
    reflect   [2 1 0 1 2 3 2 1]
    replicate [0 0 0 1 2 3 3 3]
    circular  [2 3 0 1 2 3 0 1]
    """
    if mode == "reflect":  # mirror at the first and last pixels (PyTorch: padding < size)
        positions = np.abs(positions)
        return np.where(positions >= size, 2 * (size - 1) - positions, positions)
    if mode == "circular":
        return positions % size
    return np.clip(positions, 0, size - 1)
