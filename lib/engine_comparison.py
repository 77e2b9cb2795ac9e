"""Two engines in lockstep: the torch LeNet-5 and its NumPy copy, step by step.

:func:`lockstep` starts :class:`lib.numpy_nn.LeNet5` from the weights of a
:class:`lib.models.LeNet5`, feeds both the same batches with the same optimiser (Adam,
PyTorch's rule in each), and after every step measures how far apart their weights are.
Both compute the same formulas, but not the same float operations in the same order:
torch's convolutions and matrix products sum in another order than ``lib.conv2d``'s
im2col and NumPy's BLAS, and even the two Adams, given the same gradients, round
differently (:func:`optimiser_differences`: torch fuses a multiply and an add into one
rounding in its moment updates, its float32 square root is not always correctly rounded,
and its last step multiplies before it divides). So the first steps agree to float32
rounding, about ``1e-7`` of a weight, and the difference may then grow, because
training can amplify small differences: a weight a little different makes the next
gradient a little different, and so on, step after step. The control: the same run in
float64, whose rounding is ``1e-16``, stays far closer.

Examples
--------
>>> import torch
>>> from lib.models import LeNet5
>>> _ = torch.manual_seed(0)
>>> x = np.random.default_rng(0).normal(size=(8, 1, 32, 32)).astype(np.float32)
>>> y = np.arange(8) % 10
>>> run = lockstep(LeNet5(), x, y, [np.arange(4), np.arange(4, 8)], lr=1e-3)
>>> len(run["difference"]), bool(abs(run["numpy_loss"][0] - run["torch_loss"][0]) < 1e-3)
(2, True)
"""

import contextlib
import copy

import numpy as np

from lib._validation import check_choice

__all__ = ["lockstep", "first_step_above", "gradient_differences", "optimiser_differences"]


@contextlib.contextmanager
def _numpy_dtype(dtype):
    """Make :mod:`lib.numpy_nn` compute in ``dtype`` (it computes in ``layers.DTYPE``)."""
    from lib.numpy_nn import layers

    saved = layers.DTYPE
    layers.DTYPE = dtype
    try:
        yield
    finally:
        layers.DTYPE = saved


def lockstep(torch_model, images, labels, batches, lr=1e-3, dtype="float32"):
    """Train ``torch_model`` and a NumPy copy of it on the same batches, side by side.

    Neither model passed in is changed: both engines train copies.

    Parameters
    ----------
    torch_model : lib.models.LeNet5
        The starting weights of both.
    images : array_like, shape (N, 1, 32, 32)
    labels : array_like of int, shape (N,)
    batches : sequence of index arrays
        One per step, in order (e.g. the first epoch of
        :func:`lib.training.shuffled_batches`).
    lr : float, optional
        Adam's step size, constant. Default 1e-3.
    dtype : {"float32", "float64"}, optional
        What both engines compute in. Default "float32", as they train.

    Returns
    -------
    dict
        One entry per step, each a list: ``"torch_loss"`` and ``"numpy_loss"`` (the
        batch's loss before the step), and ``"difference"``: after the step, the
        largest :func:`lib.gradient_check.relative_difference` between a NumPy parameter
        and torch's, over all parameters.
    """
    import torch

    from lib import numpy_nn as nnp
    from lib.gradient_check import relative_difference

    check_choice(dtype, "dtype", ("float32", "float64"))
    np_dtype = np.dtype(dtype).type
    theirs = copy.deepcopy(torch_model).to(getattr(torch, dtype))
    images = np.asarray(images, dtype=np_dtype)
    labels = np.asarray(labels)
    with _numpy_dtype(np_dtype):
        ours = _numpy_copy(torch_model, np_dtype)
        optimiser = nnp.Adam(ours, lr=lr)
        torch_optimiser = torch.optim.Adam(theirs.parameters(), lr=lr)
        run = {"torch_loss": [], "numpy_loss": [], "difference": []}
        for batch in batches:
            x, y = images[batch], labels[batch]
            loss, grad = ours.loss(ours.forward(x), y)
            ours.backward(grad)
            optimiser.step()
            torch_optimiser.zero_grad()
            outputs = theirs(torch.from_numpy(x))
            torch_loss = theirs.loss(outputs, torch.from_numpy(y))
            torch_loss.backward()
            torch_optimiser.step()
            state = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
            run["numpy_loss"].append(float(loss))
            run["torch_loss"].append(torch_loss.item())
            run["difference"].append(
                max(relative_difference(p, state[name]) for name, p, _ in ours.named_parameters())
            )
    return run


def first_step_above(differences, threshold):
    """The first step (counted from 1) whose difference exceeds ``threshold``, or None.

    Examples
    --------
    >>> first_step_above([1e-7, 1e-5, 1e-3], 1e-4)
    3
    >>> first_step_above([1e-7], 1e-4) is None
    True
    """
    above = np.flatnonzero(np.asarray(differences) > threshold)
    return int(above[0]) + 1 if above.size else None


def gradient_differences(torch_model, images, labels, dtype="float64"):
    """How far the NumPy LeNet-5's gradients are from autograd's, parameter by parameter.

    Both engines start from ``torch_model``'s weights, run one forward pass of the batch,
    the paper's loss (equation 9) and one backward pass.

    Parameters
    ----------
    torch_model : lib.models.LeNet5
    images : array_like, shape (N, 1, 32, 32)
    labels : array_like of int, shape (N,)
    dtype : {"float32", "float64"}, optional
        What both compute in. Default "float64", where rounding hides nothing.

    Returns
    -------
    dict
        Parameter name (torch's, ``"c3.weight"``) to the
        :func:`lib.gradient_check.relative_difference` of the NumPy gradient from
        autograd's; ``"loss"`` to that of the two losses.

    Examples
    --------
    >>> import torch
    >>> from lib.models import LeNet5
    >>> _ = torch.manual_seed(0)
    >>> x = np.random.default_rng(0).normal(size=(3, 1, 32, 32))
    >>> found = gradient_differences(LeNet5(), x, np.array([1, 2, 3]))
    >>> len(found), max(found.values()) < 1e-10
    (13, True)
    """
    import torch

    from lib.gradient_check import relative_difference

    check_choice(dtype, "dtype", ("float32", "float64"))
    np_dtype = np.dtype(dtype).type
    theirs = copy.deepcopy(torch_model).to(getattr(torch, dtype))
    x, y = np.asarray(images, dtype=np_dtype), np.asarray(labels)
    with _numpy_dtype(np_dtype):
        ours = _numpy_copy(torch_model, np_dtype)
        loss, grad = ours.loss(ours.forward(x), y)
        ours.backward(grad)
    torch_loss = theirs.loss(theirs(torch.from_numpy(x)), torch.from_numpy(y))
    torch_loss.backward()
    grads = {name: p.grad.numpy() for name, p in theirs.named_parameters()}
    found = {name: relative_difference(g, grads[name]) for name, _, g in ours.named_parameters()}
    found["loss"] = relative_difference([loss], [torch_loss.item()])
    return found


def optimiser_differences(torch_model, steps=5, lr=2e-3, seed=0):
    """The optimisers alone: the same float32 gradients into ``nnp.Adam`` and torch's Adam.

    A control for :func:`lockstep`: no convolution, no matrix product, no sum over a
    batch, only Adam's element-wise arithmetic. Both start from ``torch_model``'s weights
    and, at every step, receive the *same* gradient arrays (normal, standard deviation
    0.01, from ``seed``), except for C3's absent links: the 36 kernels that its connection
    mask removes (900 entries, zeros in torch's ``c3.weight``) get a zero gradient, as in
    training, so they stay zero in both. Any difference between their weights then comes
    from the same formula done with other float32 operations. Measured one at a time
    (``tests/test_engine_comparison.py``), torch's ``_single_tensor_adam`` differs from
    ``nnp.Adam`` in three: its moment updates (``lerp_``, ``addcmul_``) fuse a multiply
    and an add into one rounding where NumPy rounds twice (with PyTorch's AVX2 or AVX-512
    kernels); its float32 square root is not always the correctly rounded one (NumPy's
    is; how often depends on the machine); and its last step is ``p + ((-s) * m) / d``
    (``addcdiv_``) where ``nnp.Adam`` computes ``p - s * (m / d)``. The bias corrections
    are not one: given the same square root, both denominators are equal.

    Parameters
    ----------
    torch_model : lib.models.LeNet5
        The starting weights of both; not changed.
    steps : int, optional
        Default 5.
    lr : float, optional
        Adam's step size. Default 0.002, the chapter's.
    seed : int, optional
        Of the gradients. Default 0.

    Returns
    -------
    dict
        ``"entries"``: the number of parameter entries (C3's absent links included);
        per step, lists:
        ``"differing"``, how many entries are not bit-for-bit equal, and
        ``"difference"``, the largest :func:`lib.gradient_check.relative_difference`
        over all parameters.

    Examples
    --------
    >>> import torch
    >>> from lib.models import LeNet5
    >>> _ = torch.manual_seed(0)
    >>> found = optimiser_differences(LeNet5(), steps=2)
    >>> len(found["differing"]), found["entries"] > 60_000
    (2, True)
    >>> 0 < found["difference"][0] < 1e-5
    True
    """
    import torch

    from lib import numpy_nn as nnp
    from lib.gradient_check import relative_difference

    rng = np.random.default_rng(seed)
    theirs = copy.deepcopy(torch_model).float()
    ours = _numpy_copy(torch_model, np.float32)
    optimiser = nnp.Adam(ours, lr=lr)
    torch_optimiser = torch.optim.Adam(theirs.parameters(), lr=lr)
    torch_params = dict(theirs.named_parameters())
    layers = dict(zip(ours.names, ours.layers, strict=True))
    found = {"entries": sum(p.size for _, p, _ in ours.named_parameters())}
    found["differing"], found["difference"] = [], []
    for _ in range(steps):
        for name, param, _ in ours.named_parameters():
            grad = (0.01 * rng.normal(size=param.shape)).astype(np.float32)
            layer, key = name.rsplit(".", 1)
            mask = getattr(layers[layer], "mask", None)
            if key == "weight" and mask is not None:
                grad = grad * mask.astype(np.float32)  # absent links: no gradient, as in training
            layers[layer].grads[key] = grad
            torch_params[name].grad = torch.from_numpy(grad.copy())
        optimiser.step()
        torch_optimiser.step()
        differing, largest = 0, 0.0
        for name, param, _ in ours.named_parameters():
            other = torch_params[name].detach().numpy()
            differing += int(np.count_nonzero(param != other))
            largest = max(largest, relative_difference(param, other))
        found["differing"].append(differing)
        found["difference"].append(largest)
    return found


def _numpy_copy(torch_model, np_dtype):
    """A :class:`lib.numpy_nn.LeNet5` with ``torch_model``'s weights, in ``np_dtype``."""
    from lib import numpy_nn as nnp

    ours = nnp.LeNet5.from_torch(torch_model)
    for layer in ours.layers:
        for key in layer.params:
            layer.params[key] = layer.params[key].astype(np_dtype)
        if getattr(layer, "mask", None) is not None:
            layer.mask = layer.mask.astype(np_dtype)
    return ours
