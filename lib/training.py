"""Training and evaluating the LeNet-5 models: mini-batches, a schedule, distortions.

:func:`train` is a plain mini-batch loop: shuffle, forward, the model's own loss
(``model.loss``), backward, one optimiser step, with the learning rate following a cosine
from its initial value down to zero. The paper trained differently (20 passes of
stochastic diagonal Levenberg-Marquardt, one pattern at a time, with a hand-set
decreasing step size); Adam on mini-batches reaches the same error in fewer passes on a
CPU.

Runs are deterministic: shuffling and distortions draw from torch's global generator, so
``torch.manual_seed(s)`` with ``torch.set_num_threads(1)`` gives the same run every time.
(With more threads, sums may be split differently and differ in their last bits.)

Progress bars (``tqdm.auto``) appear in a terminal or a notebook when ``progress=True``,
for a reader who runs a chapter. They stay away wherever a notebook runs unattended, so
that a stored chapter holds no bars and nbval compares nothing that changes from run to
run: under pytest (nbval's kernels inherit its ``PYTEST_CURRENT_TEST``), and wherever the
environment variable ``CONVBOOK_PROGRESS`` is ``0`` (set it for ``make execute``).

A *quick run* (the environment variable ``CONVBOOK_QUICK_RUN`` set to a number ``n``)
trains every epoch on its first ``n`` mini-batches only, and renders only the first ``n``
frames of each animation (:func:`lib.animation.animation_html`). The grader sets it when
it runs a submitted notebook top to bottom to see which cells raise: every cell still runs
its code, in seconds instead of minutes, and no score depends on what it learns or draws
(the grader's feedback says so). Nothing else ever sets it.
"""

import math
import time

import numpy as np
import torch
import torch.nn.functional as F

from lib.datasets import BACKGROUND

# Shared with lib.numpy_nn, in a module without torch; imported here under their old names.
from lib.training_loop import (  # noqa: F401
    PROGRESS_ENV_VAR,
    QUICK_RUN_ENV_VAR,
    Evaluation,
    _progress_bar,
    _show_progress,
    checked_batches,
    quick_run_steps,
    shuffled_batches,
)

#: The book's default distortions: the paper's kinds (translation, scaling, squeezing,
#: horizontal shearing), with ranges of our choosing (the paper gives none).
DISTORTIONS = {"shift": 2.0, "scale": 0.1, "squeeze": 0.1, "shear": 0.15}


def scaled_distortions(factor, distortions=None):
    """Every range of ``distortions`` (default :data:`DISTORTIONS`) times ``factor``.

    The settings check (:mod:`lib.settings_selection`) tries narrower and wider ranges
    than the book's by scaling all four together.

    Examples
    --------
    >>> scaled_distortions(0.5)
    {'shift': 1.0, 'scale': 0.05, 'squeeze': 0.05, 'shear': 0.075}
    >>> scaled_distortions(0)
    Traceback (most recent call last):
    ...
    ValueError: factor must be positive and finite, got 0
    """
    if isinstance(factor, bool) or not isinstance(factor, (int, float)):
        raise TypeError(f"factor must be a number, got {type(factor).__name__}")
    if not 0 < factor < float("inf"):
        raise ValueError(f"factor must be positive and finite, got {factor}")
    return {key: value * factor for key, value in (distortions or DISTORTIONS).items()}


def random_distortions(images, shift=2.0, scale=0.1, squeeze=0.1, shear=0.15):
    """Random planar affine distortions of a batch, like the paper's distorted training set.

    Each image gets its own random translation (up to ``shift`` pixels each way), scaling
    (by 1 +- ``scale``), squeezing (width times q and height divided by q, q in 1 +-
    ``squeeze``) and horizontal shear (x moves by ``shear`` times y), resampled bilinearly;
    uncovered pixels get the background level -0.1.

    Parameters
    ----------
    images : torch.Tensor, shape (N, 1, H, W)
        Normalised images (background -0.1).
    shift, scale, squeeze, shear : float, optional
        The ranges; 0 turns a distortion off.

    Returns
    -------
    torch.Tensor, shape (N, 1, H, W)

    Examples
    --------
    >>> x = torch.full((2, 1, 32, 32), -0.1)
    >>> y = random_distortions(x)
    >>> y.shape, bool(torch.allclose(y, x))
    (torch.Size([2, 1, 32, 32]), True)
    >>> z = random_distortions(x + 1, shift=0, scale=0, squeeze=0, shear=0)
    >>> bool(torch.allclose(z, x + 1))
    True
    """
    n, _, height, width = images.shape

    def uniform(bound):
        return (torch.rand(n) * 2 - 1) * bound

    zoom = 1 + uniform(scale)
    squash = 1 + uniform(squeeze)
    # affine_grid maps output coordinates (in -1..1) to input ones: theta holds the
    # inverse map, which, for random parameters, is just as random.
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = zoom * squash
    theta[:, 0, 1] = uniform(shear)
    theta[:, 1, 1] = zoom / squash
    theta[:, 0, 2] = uniform(shift) * 2 / width  # pixels to the -1..1 coordinates
    theta[:, 1, 2] = uniform(shift) * 2 / height
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    # Resample the ink above the background, so that the zeros grid_sample pads with
    # are background.
    ink = F.grid_sample(images - BACKGROUND, grid, align_corners=False)
    return ink + BACKGROUND


def _as_inputs(images, labels):
    images = torch.as_tensor(images, dtype=torch.float32)
    labels = torch.as_tensor(labels, dtype=torch.int64)
    if images.ndim != 4 or images.shape[1] != 1:
        raise ValueError(
            f"images must have shape (N, 1, H, W) (use lib.datasets.to_lenet5_input), "
            f"got {tuple(images.shape)}"
        )
    if labels.shape != images.shape[:1]:
        raise ValueError(
            f"labels must have shape (N,) with N = {images.shape[0]} as images, "
            f"got {tuple(labels.shape)}"
        )
    return images, labels


def evaluate(model, images, labels, batch_size=1000):
    """Classify ``images`` and compare with ``labels``.

    Parameters
    ----------
    model : LeNet5 or LeNet5Modern
    images : array_like, shape (N, 1, 32, 32)
    labels : array_like of int, shape (N,)
    batch_size : int, optional
        Digits per forward pass (only memory depends on it). Default 1000.

    Returns
    -------
    Evaluation
        ``accuracy``, ``error`` (fractions), mean ``loss`` and ``predictions``.

    Raises
    ------
    ValueError
        If ``images`` or ``labels`` have the wrong shape.

    Examples
    --------
    >>> from lib.models import LeNet5
    >>> _ = torch.manual_seed(0)
    >>> result = evaluate(LeNet5(), torch.zeros(4, 1, 32, 32), [0, 1, 2, 3])
    >>> result.predictions.shape, 0 <= result.accuracy <= 1
    ((4,), True)
    """
    images, labels = _as_inputs(images, labels)
    was_training = model.training
    model.eval()
    predictions, total_loss = [], 0.0
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            outputs = model(images[start : start + batch_size])
            batch_labels = labels[start : start + batch_size]
            total_loss += model.loss(outputs, batch_labels).item() * len(batch_labels)
            predictions.append(model.predict(outputs))
    model.train(was_training)
    predictions = torch.cat(predictions)
    accuracy = (predictions == labels).double().mean().item()
    return Evaluation(accuracy, 1.0 - accuracy, total_loss / len(labels), predictions.numpy())


def hold_out(images, labels, count, seed=0):
    """Split off ``count`` training digits as a validation set, chosen at random.

    Every choice made while watching a run (the epochs, the learning rate, the
    distortions, when to stop) must be made on digits the final error is not measured
    on, or the test error is no longer an estimate for new digits. So the training
    digits are split: ``train`` fits the model on the first part, its ``validation``
    argument watches the second, and the test digits are evaluated once, at the end.

    Parameters
    ----------
    images : array_like, shape (N, ...)
    labels : array_like, shape (N,)
    count : int
        Digits to hold out, ``1 <= count < N``.
    seed : int, optional
        Seed of the NumPy generator that picks them (not torch's: the split does not
        change the training's random draws). Default 0.

    Returns
    -------
    ((train_images, train_labels), (held_images, held_labels))
        Two disjoint parts of the inputs, of the inputs' types, each in the original order.

    Raises
    ------
    ValueError
        If the lengths differ or ``count`` is out of range.

    Examples
    --------
    >>> x, y = np.arange(10) * 10, np.arange(10)
    >>> (x_fit, y_fit), (x_held, y_held) = hold_out(x, y, 3)
    >>> y_held.tolist(), len(y_fit)
    ([5, 6, 9], 7)
    >>> bool(np.array_equal(x_held, y_held * 10))
    True
    """
    if len(images) != len(labels):
        raise ValueError(f"images and labels differ in length: {len(images)} and {len(labels)}")
    if isinstance(count, bool) or not isinstance(count, int | np.integer):
        raise TypeError(f"count must be an int, got {count!r}")
    if not 1 <= count < len(labels):
        raise ValueError(f"count must be at least 1 and below {len(labels)}, got {count}")
    held = np.zeros(len(labels), dtype=bool)
    held[np.random.default_rng(seed).choice(len(labels), size=int(count), replace=False)] = True
    fit, held = np.flatnonzero(~held), np.flatnonzero(held)
    return (images[fit], labels[fit]), (images[held], labels[held])


def train(
    model,
    images,
    labels,
    epochs,
    batch_size=32,
    lr=1e-3,
    weight_decay=0.0,
    distortions=None,
    validation=None,
    progress=True,
    batches=None,
):
    """Train ``model`` on ``images`` with Adam, mini-batches and a cosine schedule.

    Every epoch visits the digits in a new random order. The learning rate falls from
    ``lr`` to 0 along a half cosine over all the steps of the run. The model must have
    ``loss(outputs, labels)`` and ``predict(outputs)``, as LeNet5 and LeNet5Modern do.

    Parameters
    ----------
    model : torch.nn.Module
    images : array_like, shape (N, 1, 32, 32)
        Inputs as :func:`lib.datasets.to_lenet5_input` prepares them.
    labels : array_like of int, shape (N,)
    epochs : int
        Passes over the training set, >= 1.
    batch_size : int, optional
        Digits per step. Default 32.
    lr : float, optional
        Initial learning rate of Adam. Default 1e-3.
    weight_decay : float, optional
        Decoupled weight decay (AdamW). Default 0.
    distortions : dict or None, optional
        Keyword arguments of :func:`random_distortions` (e.g. :data:`DISTORTIONS`): each
        batch is freshly distorted, so no digit is seen twice the same way. Default None.
    validation : (images, labels) or None, optional
        Evaluated after every epoch: digits held out of the training set
        (:func:`hold_out`), never the test digits, if anything is to be chosen by
        watching it. Default None.
    progress : bool, optional
        Show tqdm bars in a terminal or a notebook that a person runs (never under
        pytest or nbval, nor with ``CONVBOOK_PROGRESS=0``). Default True.
    batches : list or None, optional
        A fixed batch order, one list of index arrays per epoch
        (:func:`shuffled_batches`), instead of shuffling with torch's generator: the
        NumPy engine (:func:`lib.numpy_nn.train`) can then see the same batches. The
        schedule runs over all its steps. Default None.

    Returns
    -------
    dict
        Lists with one entry per epoch: ``"loss"`` (mean training loss),
        ``"accuracy"`` (training accuracy during the epoch), ``"seconds"``, and
        ``"val_accuracy"``, ``"val_loss"`` when ``validation`` is given, and
        ``"val_wrong"``: the indices of the validation digits wrong after each epoch,
        so that two epochs (or two runs) can be compared digit by digit, a paired
        comparison (:func:`lib.reproduce.mcnemar_p`).

    Raises
    ------
    ValueError
        If ``epochs`` or ``batch_size`` is below 1, or the arrays have the wrong shape.

    Examples
    --------
    >>> from lib.models import LeNet5
    >>> _ = torch.manual_seed(0)
    >>> x, y = torch.randn(64, 1, 32, 32), torch.arange(64) % 10
    >>> history = train(LeNet5(), x, y, epochs=2, progress=False)
    >>> sorted(history), len(history["loss"])
    (['accuracy', 'loss', 'seconds'], 2)
    """
    images, labels = _as_inputs(images, labels)
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    if batches is not None:
        batches = checked_batches(batches, epochs, len(images))
        total_steps = sum(len(steps) for steps in batches)
    else:
        total_steps = epochs * math.ceil(len(images) / batch_size)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: 0.5 * (1 + math.cos(math.pi * step / total_steps))
    )
    show = _show_progress(progress)
    history = {"loss": [], "accuracy": [], "seconds": []}
    if validation is not None:
        history.update(val_loss=[], val_accuracy=[], val_wrong=[])

    quick = quick_run_steps()
    model.train()
    for epoch in range(epochs):
        start = time.perf_counter()
        if batches is None:
            order = torch.randperm(len(images))
            steps = [
                order[first : first + batch_size] for first in range(0, len(images), batch_size)
            ]
        else:
            steps = [torch.from_numpy(batch) for batch in batches[epoch]]
        if quick is not None:
            steps = steps[:quick]
        bar = _progress_bar(len(steps), f"epoch {epoch + 1}/{epochs}", show)
        total_loss, correct, seen = 0.0, 0, 0
        for batch in steps:
            inputs, targets = images[batch], labels[batch]
            if distortions:
                inputs = random_distortions(inputs, **distortions)
            outputs = model(inputs)
            loss = model.loss(outputs, targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total_loss += loss.item() * len(batch)
            correct += (model.predict(outputs) == targets).sum().item()
            seen += len(batch)
            if bar is not None:
                bar.update()
                bar.set_postfix(loss=f"{loss.item():.4f}", refresh=False)
        history["loss"].append(total_loss / seen)
        history["accuracy"].append(correct / seen)
        if validation is not None:
            result = evaluate(model, *validation)
            history["val_loss"].append(result.loss)
            history["val_accuracy"].append(result.accuracy)
            wrong = result.predictions != np.asarray(validation[1])
            history["val_wrong"].append(np.flatnonzero(wrong).tolist())
            model.train()
        history["seconds"].append(time.perf_counter() - start)
        if bar is not None:
            summary = {"loss": f"{history['loss'][-1]:.4f}"}
            summary["accuracy"] = f"{history['accuracy'][-1]:.4f}"
            if validation is not None:
                summary["val_accuracy"] = f"{history['val_accuracy'][-1]:.4f}"
            bar.set_postfix(summary)
            bar.close()
    return history


def confusion_matrix(labels, predictions, classes=10):
    """Count how often each true class (row) was predicted as each class (column).

    Parameters
    ----------
    labels, predictions : array_like of int, shape (N,)
        True and predicted classes, each in ``0 .. classes - 1``.
    classes : int, optional
        Number of classes. Default 10.

    Returns
    -------
    numpy.ndarray of int64, shape (classes, classes)
        ``[t, p]`` is the number of digits of class ``t`` predicted as ``p``; the
        diagonal holds the correct ones.

    Raises
    ------
    ValueError
        If the two arrays differ in shape or hold a class outside ``0 .. classes - 1``.

    Examples
    --------
    >>> confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2], classes=3)
    array([[1, 0, 0],
           [0, 1, 1],
           [0, 0, 1]])
    """
    labels = np.asarray(labels)
    predictions = np.asarray(predictions)
    if labels.shape != predictions.shape or labels.ndim != 1:
        raise ValueError(
            f"labels and predictions must have the same shape (N,), got {labels.shape} "
            f"and {predictions.shape}"
        )
    for name, values in (("labels", labels), ("predictions", predictions)):
        if values.size and (
            values.dtype.kind not in "iu" or values.min() < 0 or values.max() >= classes
        ):
            raise ValueError(f"{name} must be integers from 0 to {classes - 1}")
    counts = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(counts, (labels, predictions), 1)
    return counts
