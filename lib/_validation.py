"""Argument checks shared by lib's functions.

Every check raises a ``TypeError`` (wrong kind of value) or a ``ValueError`` (right kind,
wrong value) whose message names the argument and the rule it broke, so that bad input
never reaches NumPy and comes back as a broadcasting error from deep inside.
"""

import numbers

import numpy as np


def as_array(value, name, *, allow_bool=False):
    """Return ``value`` as a NumPy array of real numbers.

    Parameters
    ----------
    value : array_like
        An array, a nested list of numbers, a torch tensor on the CPU, ...
    name : str
        The argument's name, for the error message.
    allow_bool : bool, optional
        Accept a boolean array too (a mask). Default False.

    Returns
    -------
    numpy.ndarray
        ``value`` itself when it is already a suitable array, else a new array.

    Raises
    ------
    TypeError
        If ``value`` is ragged, or holds strings, objects, complex numbers or booleans.

    Examples
    --------
    >>> as_array([[1, 2], [3, 4]], "input").dtype
    dtype('int64')
    >>> as_array([["a", "b"]], "input")
    Traceback (most recent call last):
    ...
    TypeError: input must hold real numbers (integers or floats), got dtype <U1
    """
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:  # a ragged nested list, for one
        raise TypeError(f"{name} must be an array of numbers, but it is not one: {error}") from None
    kinds = "iuf" + ("b" if allow_bool else "")
    if array.dtype.kind not in kinds:
        raise TypeError(
            f"{name} must hold real numbers (integers or floats), got dtype {array.dtype}"
        )
    return array


def as_int(value, name, minimum=None):
    """Return ``value`` as a Python int, checking that it is an integer ``>= minimum``.

    ``True`` and ``False`` are refused: in an argument like ``stride`` they are a mistake.

    Examples
    --------
    >>> as_int(3, "stride", minimum=1)
    3
    >>> as_int(0, "stride", minimum=1)
    Traceback (most recent call last):
    ...
    ValueError: stride must be >= 1, got 0
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def as_pair(value, name, minimum=None, *, meaning="(height, width)"):
    """Return ``value`` as a pair of ints, each ``>= minimum``.

    An int stands for the same value in both places, as in ``torch.nn.functional``.
    ``meaning`` says what the two numbers are, for the error message: ``(height, width)``
    for a kernel size, a stride or ``conv2d``'s padding, but ``(before, after)`` for the
    padding of one dimension (:func:`lib.shapes.output_size`), which a student must not
    be told the opposite of.

    Examples
    --------
    >>> as_pair(2, "stride")
    (2, 2)
    >>> as_pair((1, 3), "dilation", minimum=1)
    (1, 3)
    >>> as_pair((1, 2, 3), "stride")
    Traceback (most recent call last):
    ...
    TypeError: stride must be an int or a pair of ints (height, width), got (1, 2, 3)
    >>> as_pair((1,), "padding", meaning="(before, after)")
    Traceback (most recent call last):
    ...
    TypeError: padding must be an int or a pair of ints (before, after), got (1,)
    """
    if isinstance(value, tuple | list) and len(value) == 2:
        return (as_int(value[0], name, minimum), as_int(value[1], name, minimum))
    if isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_):
        value = as_int(value, name, minimum)
        return (value, value)
    raise TypeError(f"{name} must be an int or a pair of ints {meaning}, got {value!r}")


def check_choice(value, name, choices):
    """Check that ``value`` is one of ``choices``; return it.

    Examples
    --------
    >>> check_choice("zeros", "mode", ("zeros", "reflect"))
    'zeros'
    >>> check_choice("mirror", "mode", ("zeros", "reflect"))
    Traceback (most recent call last):
    ...
    ValueError: mode must be one of 'zeros', 'reflect'; got 'mirror'
    """
    if not isinstance(value, str) or value not in choices:
        listed = ", ".join(repr(choice) for choice in choices)
        raise ValueError(f"{name} must be one of {listed}; got {value!r}")
    return value


def check_ndim(array, name, layouts):
    """Check that ``array`` has one of the numbers of dimensions that ``layouts`` names.

    Parameters
    ----------
    array : numpy.ndarray
    name : str
        The argument's name, for the error message.
    layouts : dict
        Allowed numbers of dimensions and their layout, e.g. ``{4: "(N, C, H, W)"}``.

    Examples
    --------
    >>> check_ndim(np.zeros((5, 5)), "input", {3: "(C, H, W)", 4: "(N, C, H, W)"})
    Traceback (most recent call last):
    ...
    ValueError: input must have 3 or 4 dimensions, (C, H, W) or (N, C, H, W); got shape (5, 5)
    """
    if array.ndim not in layouts:
        counts = _either(str(ndim) for ndim in layouts)
        shapes = _either(layouts.values())
        raise ValueError(
            f"{name} must have {counts} dimensions, {shapes}; got shape {tuple(array.shape)}"
        )


def _either(words):
    """``"a, b or c"``."""
    words = list(words)
    return " or ".join([", ".join(words[:-1]), words[-1]] if len(words) > 1 else words)
