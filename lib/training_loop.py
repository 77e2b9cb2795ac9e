"""What both training engines share, without torch: the batch order, the quick run,
progress bars and the record of an evaluation.

:func:`lib.training.train` (PyTorch) and :func:`lib.numpy_nn.train` (NumPy) both use
these, so that a NumPy run can replay a torch run's batches and both behave alike under
pytest, nbval, ``make execute`` and the grader. Nothing here imports torch: the NumPy
engine (and a grader's sandboxed process) does not pay for loading it.
"""

import os
import sys
from dataclasses import dataclass, field

import numpy as np

#: The environment variable that turns progress bars off when it is ``"0"``.
PROGRESS_ENV_VAR = "CONVBOOK_PROGRESS"

#: The environment variable of a quick run: mini-batches per epoch (see the module's text).
QUICK_RUN_ENV_VAR = "CONVBOOK_QUICK_RUN"


def quick_run_steps():
    """The mini-batches per epoch of a quick run, or None for a real one.

    Examples
    --------
    >>> import os
    >>> os.environ.pop(QUICK_RUN_ENV_VAR, None) and None
    >>> quick_run_steps() is None
    True
    >>> os.environ[QUICK_RUN_ENV_VAR] = "2"
    >>> quick_run_steps()
    2
    >>> os.environ[QUICK_RUN_ENV_VAR] = "many"
    >>> quick_run_steps()
    Traceback (most recent call last):
    ...
    ValueError: CONVBOOK_QUICK_RUN must be a whole number of steps >= 1, got 'many'
    >>> del os.environ[QUICK_RUN_ENV_VAR]
    """
    value = os.environ.get(QUICK_RUN_ENV_VAR, "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{QUICK_RUN_ENV_VAR} must be a whole number of steps >= 1, got {value!r}")
    return int(value)


def quick_run_count(count):
    """How many of ``count`` items a measurement over a data set takes: all of them, or
    in a quick run (:func:`quick_run_steps`) as many as its steps.

    A quick run only shows that each cell runs (the grader's run step), so a measurement
    that repeats one computation over a thousand digits does it over a few.

    Examples
    --------
    >>> import os
    >>> quick_run_count(1000)
    1000
    >>> os.environ[QUICK_RUN_ENV_VAR] = "2"
    >>> quick_run_count(1000), quick_run_count(1)
    (2, 1)
    >>> del os.environ[QUICK_RUN_ENV_VAR]
    """
    steps = quick_run_steps()
    return count if steps is None else min(count, steps)


@dataclass
class Evaluation:
    """What :func:`lib.training.evaluate` and :func:`lib.numpy_nn.evaluate` return."""

    accuracy: float  #: fraction of digits classified correctly
    error: float  #: 1 - accuracy
    loss: float  #: the model's mean loss
    predictions: np.ndarray = field(repr=False)  #: the predicted class of each digit


def _show_progress(progress):
    """Bars only when asked for and someone can see them: a terminal or a notebook that
    a person runs, not one that pytest (nbval) or ``make execute`` runs."""
    if not progress:
        return False
    if os.environ.get(PROGRESS_ENV_VAR) == "0" or "PYTEST_CURRENT_TEST" in os.environ:
        return False
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is not None and hasattr(shell, "kernel"):  # a Jupyter kernel: a notebook
        return True
    return sys.stderr is not None and sys.stderr.isatty()


def _progress_bar(total, description, show):
    if not show:
        return None
    from tqdm.auto import tqdm  # imported here: only runs with a visible bar need it

    # leave=True: each epoch keeps its line, with the epoch's figures at its end
    return tqdm(total=total, desc=description, unit="batch", leave=True)


def shuffled_batches(count, batch_size, epochs, seed=0):
    """A fixed mini-batch order: every epoch a new random permutation, cut into batches.

    :func:`train` (torch) and :func:`lib.numpy_nn.train` (NumPy) both take it as their
    ``batches`` argument, so the two engines can be fed the same digits in the same
    order, step by step. It draws from its own NumPy generator, not torch's.
    :func:`lib.numpy_nn.train` with ``seed=s`` and no ``batches`` uses exactly
    ``shuffled_batches(len(images), batch_size, epochs, seed=s)``.

    Parameters
    ----------
    count : int
        Digits in the training set, >= 1.
    batch_size : int
        Digits per batch, >= 1 (the last batch of an epoch may be smaller).
    epochs : int
        Epochs, >= 1.
    seed : int, optional
        Seed of the NumPy generator. Default 0.

    Returns
    -------
    list of list of numpy.ndarray
        ``batches[epoch][step]``: the indices of the digits of that step.

    Examples
    --------
    >>> batches = shuffled_batches(5, 2, epochs=2, seed=0)
    >>> [len(epoch) for epoch in batches], [len(b) for b in batches[0]]
    ([3, 3], [2, 2, 1])
    >>> sorted(np.concatenate(batches[1]).tolist())
    [0, 1, 2, 3, 4]
    """
    for name, value in (("count", count), ("batch_size", batch_size), ("epochs", epochs)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    rng = np.random.default_rng(seed)
    starts = range(0, count, batch_size)
    batches = []
    for _ in range(epochs):
        order = rng.permutation(count)
        batches.append([order[start : start + batch_size] for start in starts])
    return batches


def checked_batches(batches, epochs, count):
    """Check a ``batches`` argument of :func:`train`: ``epochs`` lists of index arrays,
    each index in ``0 .. count - 1``. Returns it as lists of int64 arrays."""
    if not isinstance(batches, list | tuple) or len(batches) != epochs:
        raise ValueError(
            f"batches must hold one list of index arrays per epoch ({epochs}), "
            f"as lib.training.shuffled_batches returns"
        )
    checked = []
    for epoch, steps in enumerate(batches):
        arrays = [np.asarray(batch) for batch in steps]
        for step, batch in enumerate(arrays):
            if batch.ndim != 1 or batch.dtype.kind not in "iu" or len(batch) == 0:
                raise ValueError(f"batches[{epoch}][{step}] must be a non-empty 1-D index array")
            if batch.min() < 0 or batch.max() >= count:
                raise ValueError(f"batches[{epoch}][{step}] holds indices outside 0 .. {count - 1}")
        if not arrays:
            raise ValueError(f"batches[{epoch}] holds no batch")
        checked.append([batch.astype(np.int64) for batch in arrays])
    return checked
