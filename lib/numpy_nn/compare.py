"""The two engines in lockstep: a torch LeNet-5 and its NumPy copy, step by step.

Both start from the same weights, see the same batches and follow the same schedule, so
every difference between them is float32 rounding: sums taken in another order. Adam
divides each gradient by its own running size, so a rounding difference in a tiny
gradient can become a difference of a whole step: the two runs agree closely at first,
then drift apart, while learning equally well.
"""

import copy
import math

import numpy as np

from lib.numpy_nn.model import LeNet5
from lib.numpy_nn.optimizers import Adam
from lib.numpy_nn.training import _checked_data, cosine_lr


def lockstep(torch_model, images, labels, batches, lr=1e-3):
    """Train a copy of ``torch_model`` with torch and a NumPy copy with
    :mod:`lib.numpy_nn`, one batch at a time, and record how far apart they are.

    The torch side is :func:`lib.training.train`'s step (AdamW with weight decay 0, the
    half-cosine schedule over all of ``batches``); the NumPy side is
    :func:`lib.numpy_nn.train`'s. ``torch_model`` itself is not changed.

    Parameters
    ----------
    torch_model : lib.models.LeNet5
    images : array_like, shape (N, 1, 32, 32)
    labels : array_like of int, shape (N,)
    batches : list of index arrays
        The steps' batches, in order (e.g. one epoch of
        :func:`lib.training.shuffled_batches`).
    lr : float, optional
        Initial learning rate. Default 1e-3.

    Returns
    -------
    dict
        Lists with one entry per step: ``"torch_loss"``, ``"numpy_loss"`` (each the
        batch's loss before the step) and ``"weight_difference"``, the largest absolute
        difference between the two models' weights after the step.

    Examples
    --------
    >>> import torch
    >>> from lib.models import LeNet5 as TorchLeNet5
    >>> from lib.training import shuffled_batches
    >>> _ = torch.manual_seed(0)
    >>> x = np.random.default_rng(0).normal(size=(8, 1, 32, 32)).astype(np.float32)
    >>> y = np.arange(8)
    >>> steps = lockstep(TorchLeNet5(), x, y, shuffled_batches(8, 4, 1)[0])
    >>> [abs(a - b) < 1e-3 for a, b in zip(steps["torch_loss"], steps["numpy_loss"])]
    [True, True]
    """
    import torch  # the torch side only

    images, labels = _checked_data(images, labels)
    theirs = copy.deepcopy(torch_model)
    ours = LeNet5.from_torch(theirs)
    torch_optimizer = torch.optim.AdamW(theirs.parameters(), lr=lr, weight_decay=0.0)
    optimizer = Adam(ours, lr=lr)
    parameters = dict(theirs.named_parameters())
    record = {"torch_loss": [], "numpy_loss": [], "weight_difference": []}
    for step, batch in enumerate(batches):
        rate = cosine_lr(lr, step, len(batches))
        x, y = images[batch], labels[batch]
        loss = theirs.loss(theirs(torch.from_numpy(x)), torch.from_numpy(y))
        torch_optimizer.param_groups[0]["lr"] = rate
        torch_optimizer.zero_grad()
        loss.backward()
        torch_optimizer.step()
        numpy_loss, grad = ours.loss(ours.forward(x), y)
        ours.backward(grad, input_grad=False)
        optimizer.lr = rate
        optimizer.step()
        difference = max(
            float(np.abs(param - parameters[name].detach().numpy()).max())
            for name, param, _ in ours.named_parameters()
        )
        record["torch_loss"].append(loss.item())
        record["numpy_loss"].append(numpy_loss)
        record["weight_difference"].append(difference)
    if not math.isfinite(sum(record["numpy_loss"])):  # pragma: no cover - a diverged run
        raise FloatingPointError("the NumPy run diverged: lower lr")
    return record
