"""Output sizes and padding: the arithmetic of where a window can go.

One dimension of a convolution or a pooling layer has an input of ``n`` positions, a
kernel of ``k`` taps spaced ``d`` apart (the dilation), a stride ``s`` and ``p`` zeros of
padding on each side. The kernel spans ``d(k - 1) + 1`` positions, so it fits in
``n + 2p - d(k - 1) - 1`` more places after the first, one every ``s``::

    out = floor((n + 2p - d(k - 1) - 1) / s) + 1

This is PyTorch's convention (and that of Dumoulin and Visin's *guide to convolution
arithmetic*): ``p`` counts the padding of **one** side, and ``d = 1`` is an ordinary
kernel. Other texts count both sides in ``p`` or call an ordinary kernel "dilation 0".
"""

from lib._validation import as_int, as_pair, check_choice


def _output_size(n, kernel_size, stride, before, after, dilation, ceil_mode):
    """The formula, with no checks: the output size, which may be below 1."""
    span = dilation * (kernel_size - 1) + 1  # positions the dilated kernel covers
    room = n + before + after - span  # how far the window can slide past its first place
    if ceil_mode:
        size = -(-room // stride) + 1
        # PyTorch's rule for pooling: the last window must start inside the input or the
        # left padding, never in the right padding alone.
        if (size - 1) * stride >= n + before:
            size -= 1
        return size
    return room // stride + 1


def output_size(n, kernel_size, stride=1, padding=0, dilation=1, ceil_mode=False):
    """Size of a convolution's or a pooling's output along one dimension.

    ``floor((n + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1``, as in
    ``torch.nn.Conv2d`` and ``torch.nn.MaxPool2d``.

    Parameters
    ----------
    n : int
        Size of the input along this dimension, ``>= 1``.
    kernel_size : int
        Number of taps of the kernel (or pooling window) along this dimension.
    stride : int, optional
        Step between consecutive windows. Default 1.
    padding : int or (int, int), optional
        Positions added on each side; a pair ``(before, after)`` pads the sides unequally,
        as "same" padding does for an even kernel. Default 0.
    dilation : int, optional
        Spacing between the kernel's taps; 1 is an ordinary kernel. Default 1.
    ceil_mode : bool, optional
        Round the division up instead of down, keeping a last, partial window, with
        PyTorch's rule that a window must start inside the input or the left padding.
        Default False.

    Returns
    -------
    int
        The number of windows, ``>= 1``.

    Raises
    ------
    TypeError
        If an argument is not an int (``padding``: not an int or a pair of ints).
    ValueError
        If ``n``, ``kernel_size``, ``stride`` or ``dilation`` is below 1, ``padding`` is
        negative, or the (dilated) kernel is larger than the padded input.

    Examples
    --------
    LeNet-5's first convolution and first subsampling:

    >>> output_size(32, 5)
    28
    >>> output_size(28, 2, stride=2)
    14

    "Same" padding keeps the size only for stride 1 and odd kernels:

    >>> output_size(28, 3, padding=1), output_size(28, 3, stride=2, padding=1)
    (28, 14)
    >>> output_size(5, 2, stride=2), output_size(5, 2, stride=2, ceil_mode=True)
    (2, 3)
    >>> output_size(3, 5)
    Traceback (most recent call last):
    ...
    ValueError: kernel_size 5 (dilated span 5) is larger than the padded input, n + padding = 3
    """
    n = as_int(n, "n", minimum=1)
    kernel_size = as_int(kernel_size, "kernel_size", minimum=1)
    stride = as_int(stride, "stride", minimum=1)
    dilation = as_int(dilation, "dilation", minimum=1)
    before, after = as_pair(padding, "padding", minimum=0)
    if not isinstance(ceil_mode, bool):
        raise TypeError(f"ceil_mode must be True or False, got {ceil_mode!r}")
    size = _output_size(n, kernel_size, stride, before, after, dilation, ceil_mode)
    if size < 1:
        span = dilation * (kernel_size - 1) + 1
        raise ValueError(
            f"kernel_size {kernel_size} (dilated span {span}) is larger than the padded input, "
            f"n + padding = {n + before + after}"
        )
    return size


def padding_sides(padding, kernel_size=None, stride=1, dilation=1):
    """Resolve a ``padding`` argument into explicit sides ``((top, bottom), (left, right))``.

    Parameters
    ----------
    padding : int, (int, int), ((int, int), (int, int)) or str
        - an int ``p``: ``p`` on all four sides;
        - a pair ``(pad_h, pad_w)``: ``pad_h`` above and below, ``pad_w`` left and right;
        - per side, ``((top, bottom), (left, right))``;
        - ``"valid"``: no padding;
        - ``"same"``: an output as large as the input (stride 1 only, as in PyTorch); the
          total ``dilation * (kernel_size - 1)`` is split with the extra position, for an
          even kernel, at the bottom and the right, as PyTorch does;
        - ``"full"``: every position where the kernel overlaps the input at all,
          ``dilation * (kernel_size - 1)`` on each side (not a PyTorch option).
    kernel_size : int or (int, int), optional
        Needed by "same" and "full".
    stride, dilation : int or (int, int), optional
        The convolution's stride and dilation. Default 1.

    Returns
    -------
    ((int, int), (int, int))
        ``((top, bottom), (left, right))``.

    Raises
    ------
    TypeError
        If ``padding`` has none of the forms above (torch's flat 4-tuple for ``F.pad`` is
        refused, since its order differs).
    ValueError
        If a padding is negative, the string is unknown, or "same" is asked with a stride
        above 1.

    Examples
    --------
    >>> padding_sides(1)
    ((1, 1), (1, 1))
    >>> padding_sides((2, 0))
    ((2, 2), (0, 0))
    >>> padding_sides("same", kernel_size=4)
    ((1, 2), (1, 2))
    >>> padding_sides("full", kernel_size=3)
    ((2, 2), (2, 2))
    >>> padding_sides("same", kernel_size=3, stride=2)
    Traceback (most recent call last):
    ...
    ValueError: padding='same' needs stride 1, as in PyTorch; got stride (2, 2)
    """
    if isinstance(padding, str):
        check_choice(padding, "padding", ("valid", "same", "full"))
        if padding == "valid":
            return ((0, 0), (0, 0))
        if kernel_size is None:
            raise TypeError(f"padding={padding!r} needs the kernel_size")
        kernel_size = as_pair(kernel_size, "kernel_size", minimum=1)
        dilation = as_pair(dilation, "dilation", minimum=1)
        totals = [d * (k - 1) for k, d in zip(kernel_size, dilation, strict=True)]
        if padding == "full":
            return tuple((total, total) for total in totals)
        stride = as_pair(stride, "stride", minimum=1)
        if stride != (1, 1):
            raise ValueError(f"padding='same' needs stride 1, as in PyTorch; got stride {stride}")
        return tuple((total // 2, total - total // 2) for total in totals)
    if isinstance(padding, tuple | list) and len(padding) == 2:
        if all(isinstance(side, tuple | list) for side in padding):
            return tuple(as_pair(tuple(side), "padding", minimum=0) for side in padding)
        pad_h, pad_w = as_pair(padding, "padding", minimum=0)
        return ((pad_h, pad_h), (pad_w, pad_w))
    if isinstance(padding, tuple | list) and len(padding) == 4:
        raise TypeError(
            "padding must be an int, a pair (pad_h, pad_w) or ((top, bottom), (left, right)); "
            "a flat 4-tuple is refused because torch's F.pad reads it as "
            f"(left, right, top, bottom), got {padding!r}"
        )
    pad = as_int(padding, "padding", minimum=0)
    return ((pad, pad), (pad, pad))
