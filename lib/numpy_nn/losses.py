"""Losses that return their gradient too: ``loss, grad = f(outputs, labels)``.

The gradient is that of the *mean* loss over the batch, with respect to the outputs: the
first ``grad_y`` of the backward pass.
"""

import numpy as np

from lib._validation import as_array
from lib.lenet5_design import LOSS_J


def _checked(outputs, labels, name):
    outputs = as_array(outputs, name)
    labels = as_array(labels, "labels")
    if outputs.ndim != 2:
        raise ValueError(f"{name} must have shape (N, classes); got shape {outputs.shape}")
    if labels.dtype.kind not in "iu" or labels.shape != outputs.shape[:1]:
        raise ValueError(
            f"labels must be integers of shape (N,) = {outputs.shape[:1]}; "
            f"got {labels.dtype} of shape {labels.shape}"
        )
    if labels.size and (labels.min() < 0 or labels.max() >= outputs.shape[1]):
        raise ValueError(f"labels must lie in 0 .. {outputs.shape[1] - 1}")
    return outputs, labels


def _softmax(scores):
    """Softmax along axis 1, with the largest score subtracted first (no overflow)."""
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def lenet5_loss(distances, labels, j=LOSS_J):
    """The paper's loss for the RBF outputs (equation 9), and its gradient.

    E = mean over patterns of  y_D + log(exp(-j) + sum_i exp(-y_i)),

    the same number as :func:`lib.models.lenet5_loss`. Its gradient with respect to
    y_i is ([i = D] - p_i) / N, where p_i = exp(-y_i) / (exp(-j) + sum_k exp(-y_k)) is a
    softmax of the negated distances beside a "rubbish" class of score -j. With
    ``j=None`` it is equation (8), the mean of y_D alone.

    Parameters
    ----------
    distances : array_like, shape (N, classes)
    labels : array_like of int, shape (N,)
    j : float or None, optional
        Default :data:`lib.models.LOSS_J`.

    Returns
    -------
    loss : float
    grad_distances : numpy.ndarray, shape (N, classes), of the distances' float dtype

    Examples
    --------
    >>> loss, grad = lenet5_loss(np.array([[0.0, 50.0], [50.0, 0.0]]), np.array([0, 1]))
    >>> round(loss, 4), grad.round(3).tolist()
    (0.0, [[0.0, 0.0], [0.0, 0.0]])
    >>> loss, grad = lenet5_loss(np.array([[3.0, 3.0]]), np.array([1]), j=None)
    >>> loss, grad.tolist()
    (3.0, [[0.0, 1.0]])
    """
    distances, labels = _checked(distances, labels, "distances")
    dtype = distances.dtype if distances.dtype.kind == "f" else np.float64
    y = distances.astype(np.float64)  # the sums of exponentials in double: no drift
    n = len(y)
    grad = np.zeros_like(y)
    grad[np.arange(n), labels] = 1.0
    correct = y[np.arange(n), labels]
    if j is None:
        return float(correct.mean()), (grad / n).astype(dtype)
    scores = np.concatenate([-y, np.full((n, 1), -float(j))], axis=1)
    top = scores.max(axis=1, keepdims=True)
    log_z = top[:, 0] + np.log(np.exp(scores - top).sum(axis=1))
    grad -= _softmax(scores)[:, :-1]
    return float((correct + log_z).mean()), (grad / n).astype(dtype)


def cross_entropy(logits, labels):
    """Cross-entropy of the softmax of ``logits``, and its gradient (softmax - one-hot) / N.

    Parameters
    ----------
    logits : array_like, shape (N, classes)
    labels : array_like of int, shape (N,)

    Returns
    -------
    loss : float
    grad_logits : numpy.ndarray, shape (N, classes)

    Examples
    --------
    >>> loss, grad = cross_entropy(np.zeros((1, 4)), np.array([2]))
    >>> round(loss, 4), grad.tolist()  # log 4
    (1.3863, [[0.25, 0.25, -0.75, 0.25]])
    """
    logits, labels = _checked(logits, labels, "logits")
    dtype = logits.dtype if logits.dtype.kind == "f" else np.float64
    z = logits.astype(np.float64)
    n = len(z)
    top = z.max(axis=1, keepdims=True)
    log_z = top[:, 0] + np.log(np.exp(z - top).sum(axis=1))
    loss = float((log_z - z[np.arange(n), labels]).mean())
    grad = _softmax(z)
    grad[np.arange(n), labels] -= 1.0
    return loss, (grad / n).astype(dtype)
