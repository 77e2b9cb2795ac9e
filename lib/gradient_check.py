"""Checking a gradient by finite differences: nudge each input, watch the loss.

A backward pass is a formula derived by hand, and a formula can be wrong. The check needs
no formula at all: move one entry ``x[k]`` by ``+eps`` and by ``-eps``, and

    dL/dx[k] ~ (L(x + eps e_k) - L(x - eps e_k)) / (2 eps),

the *central* difference, whose error falls as ``eps**2`` (a one-sided difference's falls
only as ``eps``). It costs two evaluations of the loss per entry, far too many to train
with, and just right to test the backward pass that training uses.

Examples
--------
>>> numerical_gradient(lambda x: float(np.sum(x**3)), np.array([1.0, -2.0]))
array([ 3., 12.])
"""

import numpy as np

from lib._validation import as_array

__all__ = ["numerical_gradient", "relative_difference", "check_conv2d_gradients"]


def numerical_gradient(loss, x, eps=1e-6):
    """The gradient of ``loss`` at ``x`` by central differences, entry by entry.

    Parameters
    ----------
    loss : callable
        ``loss(x)`` returns a number; it is called ``2 * x.size`` times, each time with
        one entry of a float64 copy of ``x`` moved.
    x : array_like
        Where to take the gradient; not changed.
    eps : float, optional
        The step, ``> 0``. In float64, 1e-6 balances the method's error (of order
        ``eps**2``) against rounding (of order ``1e-16 / eps``).

    Returns
    -------
    numpy.ndarray
        ``x``'s shape, float64.

    Raises
    ------
    ValueError
        If ``eps`` is not a positive number.

    Examples
    --------
    >>> x = np.array([[1.0, 2.0]])
    >>> numerical_gradient(lambda v: float((v**2).sum()), x).round(6)
    array([[2., 4.]])
    >>> x
    array([[1., 2.]])
    """
    if isinstance(eps, bool) or not isinstance(eps, int | float) or not eps > 0:
        raise ValueError(f"eps must be a number > 0; got {eps!r}")
    x = as_array(x, "x").astype(np.float64)  # a copy, moved in place below
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + eps
        plus = loss(x)
        x[index] = saved - eps
        minus = loss(x)
        x[index] = saved  # put it back before moving the next entry
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def relative_difference(a, b):
    """``max |a - b| / max |b|``: how far ``a`` is from ``b``, on ``b``'s scale.

    Relative to the largest entry, not entry by entry, so that entries near zero (whose
    rounding is large relative to themselves) do not dominate.

    Parameters
    ----------
    a, b : array_like
        Of the same shape; ``b`` is the reference.

    Returns
    -------
    float
        0.0 when both are all zeros.

    Raises
    ------
    ValueError
        If the shapes differ.

    Examples
    --------
    >>> relative_difference([1.0, 2.5], [1.0, 2.0])
    0.25
    """
    a, b = as_array(a, "a").astype(float), as_array(b, "b").astype(float)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape; got {a.shape} and {b.shape}")
    scale = float(np.abs(b).max()) if b.size else 0.0
    difference = float(np.abs(a - b).max()) if a.size else 0.0
    if scale == 0.0:
        return difference
    return difference / scale


def check_conv2d_gradients(input_shape, weight_shape, stride=1, padding=0, seed=0):
    """How far lib's three convolution gradients are from finite differences and autograd.

    One random float64 convolution ``conv2d(x, w, b, stride, padding)`` and the loss
    ``L = sum(conv2d(...) * G)`` with a random ``G``, whose output gradient is ``G``
    itself. lib's :func:`~lib.conv2d_grad_input`, :func:`~lib.conv2d_grad_weight` and
    :func:`~lib.conv2d_grad_bias` are compared with :func:`numerical_gradient` of ``L``
    and with ``torch.autograd`` on the same numbers.

    Parameters
    ----------
    input_shape : tuple of int
        ``(N, C, H, W)``.
    weight_shape : tuple of int
        ``(O, C, kH, kW)``.
    stride, padding
        As :func:`lib.conv2d` takes them.
    seed : int, optional
        Seeds ``x``, ``w``, ``b`` and ``G``.

    Returns
    -------
    dict
        ``{"input": (vs finite differences, vs autograd), "weight": ..., "bias": ...}``,
        each a :func:`relative_difference`.

    Examples
    --------
    >>> found = check_conv2d_gradients((1, 2, 5, 5), (3, 2, 3, 3), stride=2, padding=1)
    >>> {name: (fd < 1e-6, auto < 1e-12) for name, (fd, auto) in found.items()}
    {'input': (True, True), 'weight': (True, True), 'bias': (True, True)}
    """
    import torch
    import torch.nn.functional as F

    from lib.convolution import conv2d
    from lib.gradients import conv2d_grad_bias, conv2d_grad_input, conv2d_grad_weight

    rng = np.random.default_rng(seed)
    x, w = rng.normal(size=input_shape), rng.normal(size=weight_shape)
    b = rng.normal(size=weight_shape[0])
    g = rng.normal(size=conv2d(x, w, b, stride=stride, padding=padding).shape)

    def loss(x=x, w=w, b=b):
        return float(np.sum(conv2d(x, w, b, stride=stride, padding=padding) * g))

    ours = {
        "input": conv2d_grad_input(g, w, x.shape, stride=stride, padding=padding),
        "weight": conv2d_grad_weight(x, g, w.shape, stride=stride, padding=padding),
        "bias": conv2d_grad_bias(g),
    }
    numerical = {
        "input": numerical_gradient(lambda v: loss(x=v), x),
        "weight": numerical_gradient(lambda v: loss(w=v), w),
        "bias": numerical_gradient(lambda v: loss(b=v), b),
    }
    tensors = {
        name: torch.tensor(a, requires_grad=True) for name, a in zip(ours, (x, w, b), strict=True)
    }
    out = F.conv2d(*tensors.values(), stride=stride, padding=padding)
    (out * torch.tensor(g)).sum().backward()
    return {
        name: (
            relative_difference(ours[name], numerical[name]),
            relative_difference(ours[name], tensors[name].grad.numpy()),
        )
        for name in ours
    }
