"""The checker behind every exercise: ``check()``, ``hint()`` and ``solution()``.

An exercise is either a function to implement (:class:`FunctionExercise`) or a value to
work out by hand (:class:`ValueExercise`). Checking an answer has two steps, kept apart on
purpose:

1. **run**: call the student's function on each case and record what came back, a value
   or an exception (:meth:`Outcome.of`);
2. **judge**: compare each outcome with the reference, and name the classic mistake that
   explains all of them (:meth:`Exercise.judge`). Judging only reads data.

In a notebook, ``check(answer)`` does both on the public cases and prints one verdict.
The grader (``tools/grade.py``) runs step 1 in a sandboxed process on *hidden* cases, made
from a seed drawn at grading time, and step 2 in its own process, which never runs a
student's code: a submission can change what its function returns, and nothing else.

A verdict never shows the expected array, only what is wrong with the student's one.

Examples
--------
A value exercise, checked three times:

>>> seven = ValueExercise(
...     "seven", "ex-seven", answer=7,
...     mistakes={6: ("off by one", "count both ends.")},
...     hints=["Count on your fingers."], explanation="Seven.",
... )
>>> result = seven.check(...)
seven: not attempted (replace the ... with your answer).
>>> result = seven.check(6)
seven: incorrect. Off by one: count both ends.
>>> result.status, result.score
('incorrect', 0.0)
>>> seven.check(7).score
seven: correct.
1.0
"""

import dataclasses
import inspect
import re
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

CORRECT = "correct"
INCORRECT = "incorrect"
ERROR = "error"
NOT_ATTEMPTED = "not attempted"
#: Every status a verdict can have.
STATUSES = (CORRECT, INCORRECT, ERROR, NOT_ATTEMPTED)

#: The seed of the public cases: the ones ``check()`` runs in a notebook. The grader's
#: hidden cases come from a seed drawn when it starts, which is stored nowhere.
PUBLIC_SEED = 20260101

#: Verdicts are wrapped to this width, so that they read well in a notebook and a file.
WIDTH = 88


@dataclass(frozen=True)
class Case:
    """One input of a function exercise.

    Parameters
    ----------
    args : tuple
        The positional arguments of one call.
    description : str
        How a verdict names the case, e.g. ``"a 4x6 integer image and a 2x3 kernel"``.
    """

    args: tuple
    description: str


@dataclass(frozen=True)
class Outcome:
    """What one call of a student's function gave: a value or an exception.

    Parameters
    ----------
    value : object
        What the call returned (None when it raised).
    raised : str or None
        ``"TypeName: message"`` when the call raised, else None.
    not_implemented : bool
        True when it raised ``NotImplementedError``: the stub is still there.
    mutated : bool
        True when the call changed one of its input arrays.
    not_callable : str or None
        For a function exercise whose answer is not a function: its type, as
        :func:`type_name` says it ("an int"). The run stops there.
    """

    value: object = None
    raised: str | None = None
    not_implemented: bool = False
    mutated: bool = False
    not_callable: str | None = None

    @classmethod
    def of(cls, function, args):
        """Call ``function`` on copies of ``args`` and record what happened.

        Any exception is caught, so that a student's bug never stops a notebook; the
        copies keep the case intact for the reference, whatever the function does.

        Examples
        --------
        >>> Outcome.of(lambda a: a.sum(), (np.ones(3),)).value
        np.float64(3.0)
        >>> Outcome.of(lambda a: 1 / 0, (np.ones(3),)).raised
        'ZeroDivisionError: division by zero'

        A function that is written but calls a stub is not "not attempted":

        >>> def stub(a):
        ...     raise NotImplementedError()
        >>> def total(a):
        ...     return stub(a).sum()
        >>> Outcome.of(total, (np.ones(3),)).raised
        'NotImplementedError in stub, which it calls and which is still a stub'
        """
        copies = tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args)
        try:
            value = integer_scalar(function(*copies))
        except NotImplementedError as error:
            callee = stub_called(function, error)
            if callee:
                return cls(raised=f"NotImplementedError in {callee}, {CALLS_A_STUB}")
            return cls(raised="NotImplementedError", not_implemented=True)
        except Exception as error:  # a student's bug, reported by name, never re-raised
            return cls(raised=describe_exception(error))
        mutated = any(
            isinstance(a, np.ndarray) and (a.shape != c.shape or not np.array_equal(a, c))
            for a, c in zip(args, copies, strict=True)
        )
        return cls(value=value, mutated=mutated)


@dataclass(frozen=True)
class Result:
    """A verdict: what ``check()`` prints, and what the grader scores.

    Parameters
    ----------
    exercise : str
        The exercise's name.
    status : str
        One of :data:`STATUSES`.
    message : str
        The verdict in words, without the exercise's name.
    points : float
        What the exercise is worth; ``score`` is ``points`` when correct, else 0.
    advice : str
        What to do next, after the verdict (" ex.x.hint() gives a hint."). It is not
        part of the diagnosis: the notebook's ``check()`` says it according to the
        hints already seen.
    """

    exercise: str
    status: str
    message: str
    points: float = 1.0
    advice: str = ""

    @property
    def score(self):
        """``points`` for a correct answer, 0 otherwise."""
        return float(self.points) if self.status == CORRECT else 0.0

    def __str__(self):
        return wrap(f"{self.exercise}: {self.message}{self.advice}")

    def _ipython_display_(self):
        """Show nothing: ``check()`` has printed the verdict already."""


@dataclass(frozen=True)
class Mistake:
    """A classic mistake, recognised by the output it gives.

    Parameters
    ----------
    name : str
        Its name, e.g. ``"kernel flipped"``; a verdict starts with it.
    explanation : str
        What went wrong and how to fix it, in a sentence or two.
    gives : callable, optional
        ``gives(*args)`` returns the output that a function with this mistake returns on
        the case ``args``, or raises when the mistake cannot happen on that case.
    test : callable, optional
        Instead of ``gives``: ``test(output, *args)`` says whether ``output`` shows the
        mistake, for mistakes that do not fix the output (an extra row of anything).
    """

    name: str
    explanation: str
    gives: Callable | None = None
    test: Callable | None = None

    def explains(self, output, args):
        """True when ``output`` shows this mistake on ``args``; None when the mistake
        cannot happen on ``args`` (so the case says nothing either way)."""
        try:
            if self.test is not None:
                return bool(self.test(output, *args))
            mistaken = self.gives(*args)
        except Exception:  # the mistake cannot happen on this case
            return None
        return same_values(output, mistaken)


CALLS_A_STUB = "which it calls and which is still a stub"


def stub_called(function, error):
    """The name of another function that raised ``error``, a NotImplementedError, or None.

    A student's ``convolve2d_true`` that calls their unfinished ``cross_correlate2d`` raises
    the stub's NotImplementedError: that answer was attempted, and the verdict says which
    function to finish first. The raising frame is the innermost one of the traceback.
    """
    name = getattr(function, "__name__", None)
    tb = error.__traceback__
    if name is None or tb is None:
        return None
    while tb.tb_next is not None:
        tb = tb.tb_next
    raiser = tb.tb_frame.f_code.co_name
    if raiser == name or raiser == "<lambda>" or raiser.startswith("<"):
        return None
    return raiser


def wrap(text):
    """Wrap a verdict to :data:`WIDTH` columns, continuation lines indented."""
    return textwrap.fill(text, WIDTH, subsequent_indent="    ", break_on_hyphens=False)


def describe_exception(error):
    """``"TypeName: message"``, short and free of memory addresses.

    Examples
    --------
    >>> describe_exception(ValueError("bad"))
    'ValueError: bad'
    """
    try:
        message = str(error)
    except Exception:  # a hostile __str__
        message = ""
    message = re.sub(r"0x[0-9a-fA-F]+", "0x...", message.strip().splitlines()[0] if message else "")
    if len(message) > 200:
        message = message[:197] + "..."
    name = type(error).__name__
    return f"{name}: {message}" if message else name


def type_name(value):
    """The name of ``value``'s type with its article, as a verdict says it.

    Examples
    --------
    >>> type_name(3), type_name([])
    ('an int', 'a list')
    """
    name = type(value).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def integer_scalar(value, depth=0):
    """``value`` with every 0-d integer tensor or array in it as the Python int it holds.

    A student who asks for an integer may get one from NumPy or torch:
    ``torch.tensor(27)`` and ``np.array(27)`` are 27 as much as ``np.int64(27)`` is. The
    notebook's check and the grader's child both read an answer through this function,
    so that the two judge the same value. Anything else comes back as it is: a float
    (27.5), a bool, a string, a tensor of more than one number, which the exercises
    refuse where an integer is asked. Lists and tuples are read into (not their
    subclasses, such as ``torch.Size``, whose items are ints already).

    Examples
    --------
    >>> import torch
    >>> integer_scalar(torch.tensor(27)), integer_scalar(np.array(27))
    (27, 27)
    >>> integer_scalar([torch.tensor(6), 28])
    [6, 28]
    >>> integer_scalar(torch.tensor(27.5)), integer_scalar(np.array(True))
    (tensor(27.5000), array(True))
    """
    try:
        if type(value) in (list, tuple) and depth < 4 and len(value) <= 10_000:
            return type(value)(integer_scalar(v, depth + 1) for v in value)
        if isinstance(value, np.ndarray):
            if value.ndim == 0 and value.dtype.kind in "iu":
                return int(value)
            return value
        torch = sys.modules.get("torch")  # an answer can only be a tensor if torch is loaded
        if torch is not None and isinstance(value, torch.Tensor) and value.dim() == 0:
            if not (value.is_floating_point() or value.is_complex() or value.dtype == torch.bool):
                return int(value.item())
    except Exception:  # an odd object whose own methods fail: judged as it is
        pass
    return value


#: The relative tolerance of a float answer, by its precision: float64 to 1e-6, float32
#: to 1e-5 (about 80 of its rounding steps, what a sum of a few hundred float32 products
#: can lose), and float16 to 1e-2. A classic mistake changes results far more than that.
RTOL = {8: 1e-6, 4: 1e-5, 2: 1e-2}


def tolerance(output):
    """The relative tolerance that ``output``'s float precision allows (see :data:`RTOL`).

    Examples
    --------
    >>> tolerance(np.zeros(2)), tolerance(np.zeros(2, dtype=np.float32))
    (1e-06, 1e-05)
    """
    dtype = np.asarray(output).dtype
    return RTOL.get(dtype.itemsize, 1e-6) if dtype.kind == "f" else 1e-6


def close(output, expected):
    """Which entries of ``output`` equal those of ``expected`` (same shape), elementwise.

    Integers compare exactly; otherwise to :func:`tolerance`, relative to each entry and
    to the largest entry of ``expected`` (a sum of products that cancels to nearly 0 keeps
    the rounding of its terms).

    Examples
    --------
    >>> close(np.array([1, 2]), np.array([1, 3])).tolist()
    [True, False]
    >>> exact = np.array([1.0, 1000.0])
    >>> close((exact * (1 + 3e-6)).astype(np.float32), exact).tolist()
    [True, True]
    >>> close(exact * (1 + 3e-6), exact).tolist()
    [False, False]
    """
    output, expected = np.asarray(output), np.asarray(expected)
    if output.dtype.kind in "biu" and expected.dtype.kind in "biu":
        return output == expected
    rtol = tolerance(output)
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    with np.errstate(all="ignore"):
        atol = rtol * scale if output.dtype.kind == "f" and rtol > 1e-6 else 1e-9 * max(scale, 1)
        return np.isclose(output, expected, rtol=rtol, atol=atol)


def show(value, depth=0):
    """``value`` as a verdict quotes it: plain data as Python writes it, anything else by
    its type ("a Tensor"), so that the grader, which sees only a submission's data, quotes
    it in the same words.

    Examples
    --------
    >>> show((16, [6.0, "5"])), show(object())
    ("(16, [6.0, '5'])", 'an object')
    """
    if isinstance(value, list | tuple) and depth < 4:
        items = ", ".join(show(v, depth + 1) for v in value)
        if isinstance(value, list):
            return f"[{items}]"
        return f"({items}{',' if len(value) == 1 else ''})"
    if value is None or type(value) in (bool, int, float) or isinstance(value, np.generic):
        return repr(value)
    if type(value) is str:
        return repr(value if len(value) <= 40 else value[:37] + "...")
    if isinstance(value, np.ndarray) and value.size <= 16:
        return repr(value)
    return type_name(value)


def same_values(output, expected):
    """True when ``output`` is an array of ``expected``'s shape with equal values.

    Integers compare exactly, floats as :func:`close` says; dtypes may differ.

    Examples
    --------
    >>> same_values(np.array([1.0, 2.0]), np.array([1, 2]))
    True
    >>> same_values([1, 2], np.array([1, 2]))
    False
    """
    if not isinstance(output, np.ndarray) or output.shape != np.shape(expected):
        return False
    if output.dtype.kind not in "biuf":
        return False
    return bool(np.all(close(output, expected)))


def array_problem(output, expected):
    """What is wrong with ``output`` as an answer equal to array ``expected``, or None.

    Never shows an expected value: it names a shape, a dtype or where values differ.

    Examples
    --------
    >>> expected = np.array([[1, 2], [3, 4]])
    >>> array_problem(expected.copy(), expected) is None
    True
    >>> array_problem(None, expected)
    'it returned None (is a return statement missing?)'
    >>> array_problem(np.zeros((2, 3), dtype=int), expected)
    'the output has shape (2, 3), not (2, 2)'
    >>> array_problem(np.array([[1, 2], [3, 5]]), expected)
    '1 of 4 entries are wrong, the first at [1, 1]'
    >>> array_problem(expected.astype(float), expected)
    'the values are right, but the dtype is float64: integer inputs give integers'
    """
    if output is None:
        return "it returned None (is a return statement missing?)"
    if not isinstance(output, np.ndarray):
        return f"it returned {type_name(output)}, not a NumPy array"
    if output.dtype.kind not in "biuf":
        return f"it returned an array of dtype {output.dtype}, not of numbers"
    if output.shape != expected.shape:
        return f"the output has shape {output.shape}, not {expected.shape}"
    if not same_values(output, expected):
        wrong = ~close(output, expected)
        first = [int(i) for i in np.argwhere(wrong)[0]] if wrong.any() else []
        return f"{int(wrong.sum())} of {wrong.size} entries are wrong, the first at {first}"
    if expected.dtype.kind in "iu" and output.dtype.kind not in "iu":
        return (
            f"the values are right, but the dtype is {output.dtype}: integer inputs give integers"
        )
    if expected.dtype.kind == "f" and output.dtype.kind != "f":
        return f"the values are right, but the dtype is {output.dtype}: expected floats"
    return None


class Exercise:
    """What every exercise has: a name, a label, hints, a solution and a verdict.

    Parameters
    ----------
    name : str
        The name of the answer in the notebook (a function or a variable); the
        verdicts start with it.
    label : str
        The exercise's label in the book, which is also the nbgrader ``grade_id`` of the
        cell that holds the answer, e.g. ``"ch1-ex-cross-correlate"``.
    hints : sequence of str
        From a gentle nudge to nearly the answer; ``hint()`` gives one more per call.
    points : float, optional
        What a correct answer scores. Default 1.
    """

    #: "function" or "value": what the answer cell defines.
    kind = ""

    def __init__(self, name, label, *, hints, points=1.0):
        self.name = name
        self.label = label
        self.hints = tuple(hints)
        self.points = float(points)
        self._hints_given = 0

    def __repr__(self):
        return f"<{type(self).__name__} {self.name} ({self.label})>"

    def hint(self, n=None):
        """Print the next hint, or hint ``n`` again; after the last, say none are left.

        Parameters
        ----------
        n : int, optional
            The hint to show (1 for the first), whether or not it was seen before.
            Without it, the next one.

        Examples
        --------
        >>> seven = ValueExercise("seven", "ex-seven", answer=7, hints=["Two.", "One."])
        >>> seven.hint()
        Hint 1 of 2: Two.
        >>> seven.hint(); seven.hint()
        Hint 2 of 2: One.
        No more hints (2 in all): hint(n) shows hint n again, solution() a solution.
        >>> seven.hint(1)
        Hint 1 of 2: Two.
        >>> seven.hint(3)
        Traceback (most recent call last):
        ...
        ValueError: n must be a hint's number, 1 to 2; got 3
        """
        total = len(self.hints)
        if n is not None:
            if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 1 <= n <= total:
                raise ValueError(f"n must be a hint's number, 1 to {total}; got {n!r}")
            self._hints_given = max(self._hints_given, int(n))
            print(wrap(f"Hint {int(n)} of {total}: {self.hints[int(n) - 1]}"))
        elif self._hints_given < total:
            self._hints_given += 1
            print(wrap(f"Hint {self._hints_given} of {total}: {self.hints[self._hints_given - 1]}"))
        else:
            print(
                f"No more hints ({total} in all): "
                "hint(n) shows hint n again, solution() a solution."
            )

    def solution(self):
        """Print a solution."""
        raise NotImplementedError

    def cases(self, seed=None):
        """The cases an answer is judged on: public ones, or hidden ones from ``seed``."""
        raise NotImplementedError

    def outcomes(self, answer, cases):
        """Step 1, run: what ``answer`` gives on each case, as :class:`Outcome` objects."""
        raise NotImplementedError

    def judge(self, cases, outcomes):
        """Step 2, judge: the :class:`Result` of these outcomes on these cases."""
        raise NotImplementedError

    def verdict(self, answer, *, seed=None):
        """The :class:`Result` of ``answer``, as :meth:`check` gives it, without printing.

        Examples
        --------
        >>> ValueExercise("seven", "ex-seven", answer=7, hints=[]).verdict(7).status
        'correct'
        """
        cases = self.cases(seed)
        result = self.judge(cases, self.outcomes(answer, cases))
        if result.advice and self.hints and self._hints_given >= len(self.hints):
            result = dataclasses.replace(result, advice=self._advice(seen_all=True))
        return result

    def check(self, answer, *, seed=None):
        """Check ``answer`` on the public cases, print the verdict and return it.

        Parameters
        ----------
        answer : function or value
            The student's function, or the value worked out by hand.
        seed : int or sequence of int, optional
            Check on more cases, made at random from this seed, instead of the public
            ones: ``check(f, seed=1)``, ``check(f, seed=2)``, ... each try new inputs of
            the kinds the grader uses. (The grader does not call ``check``: it runs and
            judges in separate processes, on cases from a seed of its own; see the
            module's docstring.)

        Returns
        -------
        Result
            The verdict: ``status``, ``score`` and ``message``. A notebook does not echo
            it (the verdict is printed once); ``print(result)`` shows it again.
        """
        result = self.verdict(answer, seed=seed)
        print(result)
        return result

    def _result(self, status, message, advise=False):
        return Result(self.name, status, message, self.points, self._advice() if advise else "")

    def _advice(self, seen_all=False):
        """What a wrong answer's verdict advises: a hint, or after the last one, to see
        them again or the solution."""
        if not self.hints:
            return ""
        if seen_all:
            return (
                f" ex.{self.name}.hint(n) shows hint n again, ex.{self.name}.solution() a solution."
            )
        return f" ex.{self.name}.hint() gives a hint."


def make_progress(exercises, chapter):
    """A chapter's ``progress()``: every exercise's verdict, checked again, in one list.

    Parameters
    ----------
    exercises : sequence of Exercise
        The chapter's exercises, in its order.
    chapter : int
        The chapter's number, for the heading.

    Returns
    -------
    callable
        ``progress(namespace=None)`` checks each answer found in ``namespace`` (by
        default, the caller's: the notebook's variables) on the public cases, prints one
        line per exercise and returns the list of :class:`Result`.
    """

    def progress(namespace=None):
        """Check again every exercise of the chapter, and print where you stand.

        Each answer is taken from the notebook's variables (or ``namespace``) and
        checked on the public cases, as its check cell does; an answer not defined yet
        is "not attempted". Run it before handing the notebook in.

        Returns
        -------
        list of Result
        """
        if namespace is None:
            namespace = sys._getframe(1).f_globals
        results = []
        for exercise in exercises:
            if exercise.name in namespace:
                result = exercise.verdict(namespace[exercise.name])
            else:
                result = Result(
                    exercise.name,
                    NOT_ATTEMPTED,
                    "not attempted (not defined: run its answer cell).",
                    exercise.points,
                )
            results.append(result)
        score = sum(r.score for r in results)
        total = sum(e.points for e in exercises)
        print(f"Chapter {chapter}: {score:g} of {total:g} points.")
        for result in results:
            print(wrap(f"  {result.exercise}: {result.message}"))
        return results

    return progress


class FunctionExercise(Exercise):
    """An exercise whose answer is a function, judged against a reference on many cases.

    Parameters
    ----------
    name, label, hints, points
        As for :class:`Exercise`.
    reference : callable
        Computes the right output of a case; it is what the answers are judged against.
    model : callable
        A readable solution that ``solution()`` prints (it must agree with ``reference``).
    make_cases : callable
        ``make_cases(rng, hidden)`` returns a list of :class:`Case`; ``rng`` is a seeded
        ``numpy.random.Generator`` and ``hidden`` asks for the grader's larger set.
    mistakes : sequence of Mistake, optional
        The classic mistakes, in the order they are tried.
    problem : callable, optional
        ``problem(output, expected, args)`` returns what is wrong with one output, or
        None; default :func:`array_problem` on ``output`` and ``expected``.
    """

    kind = "function"

    def __init__(
        self, name, label, *, reference, model, make_cases, mistakes=(), problem=None, **kwargs
    ):
        super().__init__(name, label, **kwargs)
        self.reference = reference
        self.model = model
        self.make_cases = make_cases
        self.mistakes = tuple(mistakes)
        self.problem = problem or (lambda output, expected, args: array_problem(output, expected))

    def cases(self, seed=None):
        """The public cases (``seed=None``), or the hidden ones made from ``seed``."""
        hidden = seed is not None
        rng = np.random.default_rng(PUBLIC_SEED if seed is None else seed)
        return list(self.make_cases(rng, hidden))

    def outcomes(self, answer, cases):
        if not callable(answer):  # the run stops: judge() says what it got
            return [Outcome(not_callable=type_name(answer))]
        results = []
        for case in cases:
            results.append(Outcome.of(answer, case.args))
            if results[-1].not_implemented:  # the stub: the other cases would say the same
                break
        return results

    def judge(self, cases, outcomes):
        """Judge ``outcomes`` (one per case, or fewer when the stub stopped the run).

        The verdict is "not attempted" when the function still raises
        ``NotImplementedError``; "error" when it raised anything else; "correct" when
        every output is right; else "incorrect", naming the first mistake in
        ``self.mistakes`` that explains every output, or the first wrong output.
        """
        if outcomes and outcomes[0].not_callable:
            return self._result(
                ERROR,
                f"error. {self.name} must be a function, as in def {self.name}(...), and "
                f"check() takes the function itself, as in ex.{self.name}.check({self.name}); "
                f"it got {outcomes[0].not_callable}.",
            )
        if any(o.not_implemented for o in outcomes):
            return self._result(
                NOT_ATTEMPTED, "not attempted (it still raises NotImplementedError)."
            )
        for case, outcome in zip(cases, outcomes, strict=False):
            if outcome.raised is not None:
                return self._result(
                    ERROR, f"error. On {case.description}, it raised {outcome.raised}."
                )
        if len(outcomes) < len(cases):
            return self._result(ERROR, "error. It was not run on every case.")
        problems = []
        for case, outcome in zip(cases, outcomes, strict=True):
            expected = self.reference(*case.args)
            try:
                problems.append(self.problem(outcome.value, expected, case.args))
            except Exception as error:  # an output that cannot even be compared
                problems.append(f"its output could not be compared ({describe_exception(error)})")
        mutated = [c for c, o in zip(cases, outcomes, strict=True) if o.mutated]
        if mutated:
            return self._result(
                INCORRECT,
                f"incorrect. It changed its input on {mutated[0].description}: "
                "work on a copy, or write the result into a new array.",
            )
        if not any(problems):
            return self._result(CORRECT, f"correct ({len(cases)} of {len(cases)} cases).")
        failing = [i for i, p in enumerate(problems) if p]
        for mistake in self.mistakes:
            verdicts = [
                mistake.explains(o.value, c.args) for c, o in zip(cases, outcomes, strict=True)
            ]
            if all(v is not False for v in verdicts) and any(verdicts[i] for i in failing):
                seen = cases[next(i for i in failing if verdicts[i])].description
                return self._result(
                    INCORRECT,
                    f"incorrect. {mistake.name.capitalize()}: {mistake.explanation} "
                    f"(Seen on {seen}.)",
                    advise=True,
                )
        first = failing[0]
        return self._result(
            INCORRECT,
            f"incorrect. On {cases[first].description}, {problems[first]}.",
            advise=True,
        )

    def solution(self):
        """Print the model solution's source code."""
        source = textwrap.dedent(inspect.getsource(self.model))
        # The model carries its own name; show it under the exercise's.
        source = re.sub(r"^def \w+", f"def {self.name}", source, count=1)
        print(f"One solution (there are others):\n\n{source.rstrip()}")


class ValueExercise(Exercise):
    """An exercise whose answer is a value worked out by hand: a number, a shape, ...

    Parameters
    ----------
    name, label, hints, points
        As for :class:`Exercise`; ``name`` is the variable that holds the answer.
    answer : object
        The right answer.
    mistakes : dict, optional
        Wrong answers that a classic mistake gives, each mapped to ``(name,
        explanation)``.
    normalise : callable, optional
        Turns an answer into a comparable value, or raises ``ValueError`` whose message
        says what kind of answer is expected. Default: the answer as it is.
    explanation : str, optional
        The worked solution that ``solution()`` prints.
    """

    kind = "value"

    def __init__(
        self, name, label, *, answer, mistakes=None, normalise=None, explanation="", **kwargs
    ):
        super().__init__(name, label, **kwargs)
        self.answer = answer
        self.mistakes = dict(mistakes or {})
        self.normalise = normalise or (lambda value: value)
        self.explanation = explanation

    def cases(self, seed=None):
        """The one "case" of a value exercise: the answer itself (hidden or not)."""
        return [Case((), "your answer")]

    def outcomes(self, answer, cases):
        return [Outcome(value=integer_scalar(answer))]

    def judge(self, cases, outcomes):
        """Judge the answer: not attempted (``...`` or None), correct, or incorrect."""
        value = outcomes[0].value if outcomes else None
        if value is None or value is Ellipsis:
            return self._result(NOT_ATTEMPTED, "not attempted (replace the ... with your answer).")
        try:
            value = self.normalise(value)
        except (TypeError, ValueError) as error:
            return self._result(INCORRECT, f"incorrect. {error}")
        if value == self.answer:
            return self._result(CORRECT, "correct.")
        for wrong, (name, explanation) in self.mistakes.items():
            if value == wrong:
                return self._result(INCORRECT, f"incorrect. {name.capitalize()}: {explanation}")
        return self._result(INCORRECT, f"incorrect: {self._which_wrong(value)}.", advise=True)

    def _which_wrong(self, value):
        """What is wrong with an unnamed wrong answer: for a tuple, which of its entries
        (never what they should be); else that it is not the answer."""
        if isinstance(value, tuple) and isinstance(self.answer, tuple):
            if len(value) != len(self.answer):
                return f"{value!r} has {len(value)} entries, the answer {len(self.answer)}"
            pairs = enumerate(zip(value, self.answer, strict=True), start=1)
            wrong = [str(i) for i, (given, right) in pairs if given != right]
            which = "entry " + wrong[0] if len(wrong) == 1 else "entries " + ", ".join(wrong)
            return f"{which} of {value!r} wrong"
        return f"{value!r} is not the answer"

    def solution(self):
        """Print the worked solution."""
        print(self.explanation or f"The answer is {self.answer!r}.")
