"""The book's exercises: a checker for each implementable exercise, chapter by chapter.

In a chapter notebook::

    from lib.exercises import chapter1 as ex

    ex.cross_correlate2d.check(cross_correlate2d)  # prints a verdict
    ex.cross_correlate2d.check(cross_correlate2d, seed=1)  # on more inputs
    ex.cross_correlate2d.hint()                     # one more hint each call
    ex.cross_correlate2d.hint(2)                    # hint 2 again
    ex.cross_correlate2d.solution()                 # a model solution
    ex.progress()                                   # the whole chapter, checked again

Each ``chapterN`` module holds its exercises and lists them, in the chapter's order, in
``EXERCISES``; :mod:`lib.exercises.checker` is the machinery they share, and
:mod:`lib.exercises.data` the data the exercises name (``ex.CORNER_IMAGE``), which the
grader also offers to the answers it runs. The grader
(``tools/grade.py``) finds a chapter's exercises with :func:`chapter_exercises`.
"""

import importlib
import re

from lib.exercises.checker import (
    STATUSES,
    Case,
    Exercise,
    FunctionExercise,
    Mistake,
    Outcome,
    Result,
    ValueExercise,
)

__all__ = [
    "STATUSES",
    "Case",
    "Exercise",
    "FunctionExercise",
    "Mistake",
    "Outcome",
    "Result",
    "ValueExercise",
    "chapter_exercises",
]


def chapter_exercises(chapter):
    """The exercises of a chapter, in the chapter's order.

    Parameters
    ----------
    chapter : int or str
        The chapter's number, or a name that starts with it: ``1``, ``"01"``,
        ``"01_convolution"`` and ``"chapters/01_convolution.ipynb"`` all name chapter 1.

    Returns
    -------
    tuple of Exercise

    Raises
    ------
    ValueError
        If ``chapter`` names no chapter, or a chapter that has no exercises yet.

    Examples
    --------
    >>> [e.name for e in chapter_exercises("01_convolution")][:3]
    ['corner_value', 'output_shape', 'cross_correlate2d']
    """
    match = re.match(r"0*(\d+)", str(chapter).rsplit("/", 1)[-1])
    if not match:
        raise ValueError(f"chapter must start with its number, like 1 or '01_...'; got {chapter!r}")
    number = int(match.group(1))
    try:
        module = importlib.import_module(f"lib.exercises.chapter{number}")
    except ModuleNotFoundError:
        raise ValueError(f"chapter {number} has no exercises in lib.exercises") from None
    return tuple(module.EXERCISES)
