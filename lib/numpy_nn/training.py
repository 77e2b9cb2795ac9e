"""Training and evaluating a NumPy model: the loop of :func:`lib.training.train`,
without torch.

Each step: take a batch, ``forward``, the model's loss and its gradient, ``backward``,
one optimiser step; the learning rate follows the same half cosine from ``lr`` to 0 as
:func:`lib.training.train`. Given the same initial weights (:meth:`LeNet5.from_torch`)
and the same batches (:func:`lib.training.shuffled_batches`), the two engines take the
same steps, equal within float32 rounding at first.
"""

import math
import numbers
import time

import numpy as np

from lib._validation import as_array
from lib.numpy_nn.optimizers import SGD, Adam, Optimizer
from lib.training_loop import (
    Evaluation,
    _progress_bar,
    _show_progress,
    checked_batches,
    quick_run_steps,
    shuffled_batches,
)

#: The optimisers :func:`train` knows by name, and how it makes them.
OPTIMIZERS = {
    "adam": lambda model, lr: Adam(model, lr=lr),
    "sgd": lambda model, lr: SGD(model, lr=lr, momentum=0.9),
}


def _checked_data(images, labels):
    images = as_array(images, "images").astype(np.float32, copy=False)
    labels = as_array(labels, "labels")
    if images.ndim != 4:
        raise ValueError(
            f"images must have shape (N, C, H, W) (use lib.datasets.to_lenet5_input), "
            f"got shape {images.shape}"
        )
    if labels.dtype.kind not in "iu" or labels.shape != images.shape[:1]:
        raise ValueError(
            f"labels must be integers of shape (N,) with N = {len(images)} as images, "
            f"got {labels.dtype} of shape {labels.shape}"
        )
    return images, labels.astype(np.int64, copy=False)


def cosine_lr(lr, step, total_steps):
    """The learning rate of step ``step`` (from 0) of a half-cosine schedule to 0.

    Examples
    --------
    >>> [round(cosine_lr(1.0, step, 4), 3) for step in range(4)]
    [1.0, 0.854, 0.5, 0.146]
    """
    return lr * 0.5 * (1 + math.cos(math.pi * step / total_steps))


def evaluate(model, images, labels, batch_size=1000):
    """Classify ``images`` with a NumPy model and compare with ``labels``.

    Parameters
    ----------
    model : Sequential or LeNet5
    images : array_like, shape (N, C, H, W)
    labels : array_like of int, shape (N,)
    batch_size : int, optional
        Digits per forward pass (only memory depends on it). Default 1000.

    Returns
    -------
    lib.training.Evaluation
        ``accuracy``, ``error``, mean ``loss`` and ``predictions``, as for torch models.

    Examples
    --------
    >>> from lib.numpy_nn import LeNet5
    >>> result = evaluate(LeNet5(), np.zeros((4, 1, 32, 32)), [0, 1, 2, 3])
    >>> result.predictions.shape, 0 <= result.accuracy <= 1
    ((4,), True)
    """
    images, labels = _checked_data(images, labels)
    predictions, total_loss = [], 0.0
    for start in range(0, len(images), batch_size):
        outputs = model.forward(images[start : start + batch_size])
        batch_labels = labels[start : start + batch_size]
        total_loss += model.loss(outputs, batch_labels)[0] * len(batch_labels)
        predictions.append(model.predict(outputs))
    predictions = np.concatenate(predictions)
    accuracy = float((predictions == labels).mean())
    return Evaluation(accuracy, 1.0 - accuracy, total_loss / len(labels), predictions)


def train(
    model,
    images,
    labels,
    epochs,
    batch_size=32,
    lr=1e-3,
    optimizer="adam",
    validation=None,
    seed=0,
    batches=None,
    progress=True,
    distortions=None,
):
    """Train a NumPy model with mini-batches and a cosine schedule, as
    :func:`lib.training.train` trains a torch one.

    Parameters
    ----------
    model : Sequential or LeNet5
        With ``loss(outputs, labels) -> (loss, grad)`` and ``predict(outputs)``.
    images : array_like, shape (N, C, H, W)
    labels : array_like of int, shape (N,)
    epochs : int
        Passes over the training set, >= 1.
    batch_size : int, optional
        Digits per step. Default 32.
    lr : float, optional
        Initial learning rate. Default 1e-3.
    optimizer : {"adam", "sgd"} or Optimizer, optional
        ``"adam"``: :class:`Adam`; ``"sgd"``: :class:`SGD` with momentum 0.9; or an
        optimiser already made for ``model`` (its ``lr`` is then set by the schedule,
        starting from ``lr``). Default ``"adam"``.
    validation : (images, labels) or None, optional
        Evaluated after every epoch: held-out training digits, never the test digits.
    seed : int, optional
        Seed of the batch order, :func:`lib.training.shuffled_batches` (and of the
        distortions). Default 0.
    batches : list or None, optional
        A fixed batch order, one list of index arrays per epoch, e.g. the one a torch
        run used; overrides ``seed``'s. Default None.
    progress : bool, optional
        tqdm bars where a person watches, as :func:`lib.training.train`. Default True.
        Like it, a quick run (``CONVBOOK_QUICK_RUN``, set by the grader) trains only
        the first few batches of each epoch.
    distortions : dict or None, optional
        Keyword arguments of :func:`lib.numpy_nn.distortions.random_distortions`
        (e.g. :data:`lib.training.DISTORTIONS`): each batch is freshly distorted.

    Returns
    -------
    dict
        Lists with one entry per epoch: ``"loss"``, ``"accuracy"`` (during the epoch),
        ``"seconds"``, and ``"val_loss"``, ``"val_accuracy"`` with ``validation``.

    Raises
    ------
    ValueError
        If ``epochs``, ``batch_size``, ``optimizer`` or ``batches`` are not valid, or
        the arrays have the wrong shape.

    Examples
    --------
    >>> from lib.numpy_nn import LeNet5
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(size=(64, 1, 32, 32)), np.arange(64) % 10
    >>> history = train(LeNet5(), x, y, epochs=2, progress=False)
    >>> sorted(history), len(history["loss"])
    (['accuracy', 'loss', 'seconds'], 2)
    """
    images, labels = _checked_data(images, labels)
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    if isinstance(optimizer, str):
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)}, got {optimizer!r}")
        optimizer = OPTIMIZERS[optimizer](model, lr)
    elif not isinstance(optimizer, Optimizer):
        raise ValueError(f"optimizer must be a name or a numpy_nn optimizer, got {optimizer!r}")
    elif optimizer.model is not model:
        raise ValueError("optimizer must have been made for model (it updates another model)")
    if batches is None:
        batches = shuffled_batches(len(images), batch_size, epochs, seed)
    batches = checked_batches(batches, epochs, len(images))
    distort = None
    if distortions:
        from lib.numpy_nn.distortions import random_distortions

        draws = np.random.default_rng([seed, 1])  # not the batch order's generator

        def distort(x):
            return random_distortions(x, rng=draws, **distortions)

    total_steps = sum(len(steps) for steps in batches)
    show = _show_progress(progress)
    history = {"loss": [], "accuracy": [], "seconds": []}
    if validation is not None:
        history.update(val_loss=[], val_accuracy=[])
    step = 0
    quick = quick_run_steps()  # the grader's quick run: a few batches per epoch
    for epoch, steps in enumerate(batches):
        start = time.perf_counter()
        steps = steps if quick is None else steps[:quick]
        bar = _progress_bar(len(steps), f"epoch {epoch + 1}/{epochs}", show)
        total_loss, correct, seen = 0.0, 0, 0
        for batch in steps:
            inputs, targets = images[batch], labels[batch]
            if distort is not None:
                inputs = distort(inputs)
            optimizer.lr = cosine_lr(lr, step, total_steps)
            outputs = model.forward(inputs)
            loss, grad = model.loss(outputs, targets)
            model.backward(grad, input_grad=False)  # no pixel is trained
            optimizer.step()
            step += 1
            total_loss += loss * len(batch)
            correct += int((model.predict(outputs) == targets).sum())
            seen += len(batch)
            if bar is not None:
                bar.update()
                bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
        history["loss"].append(total_loss / seen)
        history["accuracy"].append(correct / seen)
        if validation is not None:
            result = evaluate(model, *validation)
            history["val_loss"].append(result.loss)
            history["val_accuracy"].append(result.accuracy)
        history["seconds"].append(time.perf_counter() - start)
        if bar is not None:
            summary = {"loss": f"{history['loss'][-1]:.4f}"}
            summary["accuracy"] = f"{history['accuracy'][-1]:.4f}"
            if validation is not None:
                summary["val_accuracy"] = f"{history['val_accuracy'][-1]:.4f}"
            bar.set_postfix(summary)
            bar.close()
    return history
