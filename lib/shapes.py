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

import numpy as np

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
        as "same" padding does for an even kernel. Default 0. This function counts one
        dimension, so its pair is *not* :func:`lib.conv2d`'s ``(pad_h, pad_w)``: for a
        2D padding, call it once per dimension with that dimension's padding.
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

    Symmetric padding ``(k - 1) / 2`` keeps the size only for stride 1 and odd kernels; an
    even kernel keeps it with uneven padding, ``(before, after)``:

    >>> output_size(28, 3, padding=1), output_size(28, 3, stride=2, padding=1)
    (28, 14)
    >>> output_size(28, 4, padding=(1, 2))
    28
    >>> output_size(5, 2, stride=2), output_size(5, 2, stride=2, ceil_mode=True)
    (2, 3)
    >>> output_size(3, 5)
    Traceback (most recent call last):
    ...
    ValueError: kernel_size 5 (dilated span 5) is larger than the padded input,
    n + 2 * padding = 3 + 2 * 0 = 3
    >>> output_size(3, 5, padding=(0, 1))
    Traceback (most recent call last):
    ...
    ValueError: kernel_size 5 (dilated span 5) is larger than the padded input,
    n + before + after = 3 + 0 + 1 = 4
    """
    n = as_int(n, "n", minimum=1)
    kernel_size = as_int(kernel_size, "kernel_size", minimum=1)
    stride = as_int(stride, "stride", minimum=1)
    dilation = as_int(dilation, "dilation", minimum=1)
    before, after = as_pair(padding, "padding", minimum=0, meaning="(before, after)")
    if not isinstance(ceil_mode, bool):
        raise TypeError(f"ceil_mode must be True or False, got {ceil_mode!r}")
    size = _output_size(n, kernel_size, stride, before, after, dilation, ceil_mode)
    if size < 1:
        span = dilation * (kernel_size - 1) + 1
        total = n + before + after
        if before == after:  # the padding counts twice, once per side
            padded = f"n + 2 * padding = {n} + 2 * {before} = {total}"
        else:
            padded = f"n + before + after = {n} + {before} + {after} = {total}"
        raise ValueError(
            f"kernel_size {kernel_size} (dilated span {span}) is larger than the padded "
            f"input, {padded}"
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
            return tuple(
                as_pair(tuple(side), "padding", minimum=0, meaning="(before, after)")
                for side in padding
            )
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


def same_padding(n, kernel_size, stride=1, dilation=1, *, convention="torch"):
    """The padding ``(before, after)`` of a "same" convolution, in one framework's rule.

    "Same" asks for ``ceil(n / stride)`` outputs: as many as the input for stride 1. The
    total padding that buys them is split with the extra position, when the total is odd,
    **after** the input (at the bottom or the right), which is what PyTorch and
    TensorFlow/Keras both do. They differ on strides: PyTorch refuses ``padding="same"``
    with a stride above 1, while TensorFlow pads
    ``max((ceil(n / s) - 1) * s + d * (k - 1) + 1 - n, 0)`` in total, which depends on ``n``.
    Two of TensorFlow's front ends refuse a stride above 1 together with a dilation above 1:
    ``tf.nn.convolution`` ("output striding is not supported for atrous convolutions", its
    documentation) and Keras' ``Conv2D`` ("Specifying any stride value != 1 is
    incompatible with specifying any dilation_rate value != 1"). The "tensorflow"
    convention follows them and refuses the pair; what lower-level ops such as
    ``tf.nn.conv2d`` do with it is not checked here.

    Parameters
    ----------
    n : int
        Size of the input along this dimension, ``>= 1``.
    kernel_size, stride, dilation : int
        As for :func:`output_size`.
    convention : {"torch", "tensorflow"}, optional
        Whose rule. Default ``"torch"``.

    Returns
    -------
    (int, int)
        ``(before, after)``, for one dimension. :func:`lib.conv2d` and
        :func:`lib.pad2d` read a pair as ``(pad_h, pad_w)``, one number per dimension: give
        them ``((before, after), (before, after))`` (top and bottom, left and right).

    Raises
    ------
    TypeError
        If an argument is not an int.
    ValueError
        If an argument is below 1, ``convention`` is unknown, the convention is
        "torch" and ``stride`` is above 1, or it is "tensorflow" and both ``stride`` and
        ``dilation`` are above 1 (as ``tf.nn.convolution`` and Keras' ``Conv2D`` refuse).

    Examples
    --------
    >>> same_padding(6, 3), same_padding(6, 4)
    ((1, 1), (1, 2))
    >>> same_padding(7, 3, stride=2, convention="tensorflow")
    (1, 1)
    >>> same_padding(8, 3, stride=2, convention="tensorflow")
    (0, 1)
    >>> output_size(8, 3, stride=2, padding=(0, 1))  # ceil(8 / 2)
    4
    >>> same_padding(8, 3, stride=2)
    Traceback (most recent call last):
    ...
    ValueError: convention='torch' allows padding='same' only with stride 1, got stride 2
    >>> same_padding(8, 3, stride=2, dilation=2, convention="tensorflow")
    Traceback (most recent call last):
    ...
    ValueError: convention='tensorflow' follows tf.nn.convolution and Keras' Conv2D, which
    refuse stride > 1 together with dilation > 1; got stride 2 and dilation 2
    """
    n = as_int(n, "n", minimum=1)
    kernel_size = as_int(kernel_size, "kernel_size", minimum=1)
    stride = as_int(stride, "stride", minimum=1)
    dilation = as_int(dilation, "dilation", minimum=1)
    check_choice(convention, "convention", ("torch", "tensorflow"))
    if convention == "torch" and stride != 1:
        raise ValueError(
            f"convention='torch' allows padding='same' only with stride 1, got stride {stride}"
        )
    if convention == "tensorflow" and stride > 1 and dilation > 1:
        raise ValueError(
            "convention='tensorflow' follows tf.nn.convolution and Keras' Conv2D, which "
            "refuse stride > 1 together with dilation > 1; "
            f"got stride {stride} and dilation {dilation}"
        )
    span = dilation * (kernel_size - 1) + 1
    outputs = -(-n // stride)  # ceil(n / stride)
    total = max((outputs - 1) * stride + span - n, 0)
    return (total // 2, total - total // 2)


def unread_positions(n, kernel_size, stride=1, padding=0, dilation=1):
    """The input positions that no window reads, along one dimension.

    A window reads the taps ``start + d * i`` for ``i = 0 .. k - 1``. A stride larger than
    the dilated kernel's span jumps over pixels between windows; a division that is not
    exact (the floor of the output-size formula) leaves pixels after the last window; a
    dilation skips pixels inside each window. Those pixels do not affect the output at all.

    Parameters
    ----------
    n, kernel_size, stride, padding, dilation
        As for :func:`output_size`; ``padding`` may be a pair ``(before, after)``.

    Returns
    -------
    numpy.ndarray of int
        The unread positions, in ``0 .. n - 1``, in increasing order (empty when every
        pixel is read).

    Raises
    ------
    TypeError, ValueError
        As :func:`output_size`.

    Examples
    --------
    >>> unread_positions(7, 2, stride=3)  # windows [0, 1], [3, 4]; the floor drops 5 and 6
    array([2, 5, 6])
    >>> unread_positions(7, 3, stride=2)
    array([], dtype=int64)
    >>> unread_positions(7, 3, dilation=3)  # one window: taps 0, 3, 6
    array([1, 2, 4, 5])
    """
    size = output_size(n, kernel_size, stride, padding, dilation)
    before, _ = as_pair(padding, "padding", minimum=0, meaning="(before, after)")
    starts = np.arange(size) * stride - before
    taps = (starts[:, None] + dilation * np.arange(kernel_size)[None, :]).ravel()
    read = np.zeros(n, dtype=bool)
    read[taps[(taps >= 0) & (taps < n)]] = True
    return np.flatnonzero(~read)


def transposed_output_size(n, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    """Size of a transposed convolution's output along one dimension.

    The transposed convolution runs the convolution's arithmetic backwards: it maps an
    input of ``n`` positions to the size that a convolution with the same ``kernel_size``,
    ``stride``, ``padding`` and ``dilation`` maps back to ``n``::

        out = (n - 1) * s - 2p + d(k - 1) + output_padding + 1

    as in ``torch.nn.ConvTranspose2d``. Because the convolution's formula has a floor,
    up to ``s`` input sizes give the same convolution output; ``output_padding``
    (``0 .. s - 1``, and below ``s`` or ``d``) chooses which one the transpose returns.

    Parameters
    ----------
    n : int
        Size of the transposed convolution's input, ``>= 1``.
    kernel_size, stride, padding, dilation : int
        As for :func:`output_size` (``padding`` the same on both sides).
    output_padding : int, optional
        Positions added on one side of the output. Must be smaller than ``stride`` or
        ``dilation``, as in PyTorch. Default 0.

    Returns
    -------
    int
        The output size, ``>= 1``.

    Raises
    ------
    TypeError
        If an argument is not an int.
    ValueError
        If ``n``, ``kernel_size``, ``stride`` or ``dilation`` is below 1, ``padding`` or
        ``output_padding`` is negative, ``output_padding`` is not below ``stride`` or
        ``dilation``, or the output would be empty.

    Examples
    --------
    A stride-2 convolution maps 13 and 14 alike to 7; the transpose gives either back:

    >>> output_size(13, 3, stride=2, padding=1), output_size(14, 3, stride=2, padding=1)
    (7, 7)
    >>> transposed_output_size(7, 3, stride=2, padding=1)
    13
    >>> transposed_output_size(7, 3, stride=2, padding=1, output_padding=1)
    14
    >>> transposed_output_size(7, 3, stride=2, padding=1, output_padding=2)
    Traceback (most recent call last):
    ...
    ValueError: output_padding 2 must be smaller than stride 2 or dilation 1
    """
    n = as_int(n, "n", minimum=1)
    kernel_size = as_int(kernel_size, "kernel_size", minimum=1)
    stride = as_int(stride, "stride", minimum=1)
    padding = as_int(padding, "padding", minimum=0)
    output_padding = as_int(output_padding, "output_padding", minimum=0)
    dilation = as_int(dilation, "dilation", minimum=1)
    if output_padding >= max(stride, dilation):
        raise ValueError(
            f"output_padding {output_padding} must be smaller than stride {stride} or "
            f"dilation {dilation}"
        )
    size = (n - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1
    if size < 1:
        raise ValueError(
            f"padding {padding} on each side leaves no output: (n - 1) * stride + "
            f"dilation * (kernel_size - 1) + output_padding + 1 - 2 * padding = {size}"
        )
    return size


def receptive_field(kernel_sizes, strides=1, dilations=1):
    """How many input positions one output of a stack of layers sees, along one dimension.

    Each layer widens the field by its dilated kernel's reach, ``d(k - 1)``, measured in
    the steps of its own input, which are the product of the strides below it::

        r = 1 + sum over layers i of d_i * (k_i - 1) * s_1 * ... * s_(i-1)

    Parameters
    ----------
    kernel_sizes : sequence of int
        The kernel size of each layer, from the input up.
    strides, dilations : int or sequence of int, optional
        One per layer, or one for all. Default 1.

    Returns
    -------
    int
        The receptive field, ``>= 1``.

    Raises
    ------
    TypeError
        If a value is not an int, or ``kernel_sizes`` is not a sequence.
    ValueError
        If a value is below 1, or the sequences differ in length.

    Examples
    --------
    Three 3-tap layers see 7 positions; dilations 1, 2 and 4 buy 15 with the same
    number of weights:

    >>> receptive_field([3, 3, 3]), receptive_field([3, 3, 3], dilations=[1, 2, 4])
    (7, 15)

    LeNet-5's C1, S2 and C3: a C3 unit sees 14 x 14 pixels of the input.

    >>> receptive_field([5, 2, 5], strides=[1, 2, 1])
    14
    """
    if not isinstance(kernel_sizes, tuple | list):
        raise TypeError(f"kernel_sizes must be a list of ints, got {kernel_sizes!r}")
    layers = len(kernel_sizes)
    values = {}
    for name, value in (
        ("kernel_sizes", kernel_sizes),
        ("strides", strides),
        ("dilations", dilations),
    ):
        value = list(value) if isinstance(value, tuple | list) else [value] * layers
        if len(value) != layers:
            raise ValueError(f"{name} must have one value per layer ({layers}), got {len(value)}")
        values[name] = [as_int(v, name, minimum=1) for v in value]
    field, jump = 1, 1
    for k, s, d in zip(values["kernel_sizes"], values["strides"], values["dilations"], strict=True):
        field += d * (k - 1) * jump
        jump *= s
    return field
