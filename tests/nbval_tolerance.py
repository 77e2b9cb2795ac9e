"""Compare a training run's printed numbers within a stated tolerance, beside nbval.

nbval compares a re-run cell's text with the stored text exactly. That is right for nearly
every output of the book: the engine's numbers, shapes, counts and worked examples are the
same on every machine. A training run is not: thousands of float32 sums, added in another
order by another processor's vector instructions, change the last bits of the weights,
and after a few epochs the printed losses and accuracies (see ``make test-portability``).
Such a cell is still verified, never skipped: it carries a tolerance in its metadata,

.. code-block:: json

    {"convbook": {"tolerance": {"percent": 1.0, "scientific": 2.0, "count": 10}}}

and this plugin lets a number of the fresh run stand for the stored one when it is within
that tolerance. Everything else in the cell's text, every word, every other number, and the
number of outputs, is still compared exactly by nbval. The kinds of number:

``percent``
    a number written just before ``%`` (an accuracy): within that many percentage points;
``scientific``
    a number in scientific notation such as ``8.2e-03`` (a loss): within that factor, up or
    down, and of the same sign;
``count``
    an integer just before `` of `` (``19 of 1000 wrong``): within that many.

A kind the cell does not name is compared exactly. The chapter states each tolerance beside
its cell in the words of :func:`describe` (a test checks that it does), and a number outside
its tolerance fails the cell with nbval's diff and a line that names the number.
"""

from __future__ import annotations

import re

from nbval.plugin import IPyNbCell

#: Where a cell keeps its tolerance: ``cell.metadata[METADATA_KEY]["tolerance"]``.
METADATA_KEY = "convbook"

#: The kinds of number a tolerance can name, each with the pattern that finds it.
KINDS = {
    "percent": re.compile(r"-?\d+(?:\.\d+)?(?= ?%)"),
    "scientific": re.compile(r"-?\d+(?:\.\d+)?e[-+]\d+"),
    "count": re.compile(r"\b\d+(?= of )"),
}

_ANY_NUMBER = re.compile("|".join(f"(?P<{kind}>{p.pattern})" for kind, p in KINDS.items()))


def cell_tolerance(cell) -> dict[str, float]:
    """The tolerance a notebook cell declares, checked; empty when it declares none.

    Parameters
    ----------
    cell : dict
        A notebook cell (``nbformat`` node or plain dict).

    Returns
    -------
    dict
        Kind of number (a key of :data:`KINDS`) to its tolerance.

    Raises
    ------
    ValueError
        If the tolerance names an unknown kind or a value that is not a positive number.

    Examples
    --------
    >>> cell_tolerance({"metadata": {"convbook": {"tolerance": {"percent": 1.0}}}})
    {'percent': 1.0}
    >>> cell_tolerance({"metadata": {}})
    {}
    >>> cell_tolerance({"metadata": {"convbook": {"tolerance": {"percentage": 1}}}})
    Traceback (most recent call last):
    ...
    ValueError: tolerance kind 'percentage' is not one of ['percent', 'scientific', 'count']
    """
    tolerance = dict(cell.get("metadata", {}).get(METADATA_KEY, {}).get("tolerance", {}))
    for kind, value in tolerance.items():
        if kind not in KINDS:
            raise ValueError(f"tolerance kind {kind!r} is not one of {list(KINDS)}")
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ValueError(f"tolerance {kind!r} must be a positive number, got {value!r}")
        if kind == "scientific" and value < 1:
            raise ValueError(f"tolerance 'scientific' is a factor of at least 1, got {value!r}")
    return tolerance


def describe(tolerance: dict[str, float]) -> str:
    """The words a chapter uses beside a cell to state its tolerance.

    Parameters
    ----------
    tolerance : dict
        As returned by :func:`cell_tolerance`.

    Returns
    -------
    str
        One phrase per kind, in the order of :data:`KINDS`.

    Examples
    --------
    >>> describe({"count": 10, "percent": 1.0, "scientific": 2.0})
    'accuracies within 1 percentage point, losses within a factor of 2, counts within 10'
    """
    words = {
        "percent": lambda v: f"accuracies within {v:g} percentage point" + "s" * (v != 1),
        "scientific": lambda v: f"losses within a factor of {v:g}",
        "count": lambda v: f"counts within {v:g}",
    }
    return ", ".join(words[kind](tolerance[kind]) for kind in KINDS if kind in tolerance)


def _within(kind: str, ran: str, stored: str, tolerance: float) -> bool:
    a, b = float(ran), float(stored)
    if kind == "scientific":
        if a == b:
            return True
        if a * b <= 0:  # a sign change, or a zero against a non-zero
            return False
        return max(a / b, b / a) <= tolerance
    return abs(a - b) <= tolerance + 1e-9


def reconcile(ran: str, stored: str, tolerance: dict[str, float]) -> tuple[str, list[str]]:
    """Put the stored numbers into the fresh text where they are within tolerance.

    Parameters
    ----------
    ran, stored : str
        The text a cell printed now, and the text stored in the notebook.
    tolerance : dict
        As returned by :func:`cell_tolerance`.

    Returns
    -------
    text : str
        ``ran`` with each number that is within tolerance of the stored number at the same
        place replaced by the stored one; equal to ``stored`` when every difference is
        within tolerance. The text is returned unchanged when the two do not have the same
        numbers of the same kinds in the same order (nbval's diff then shows why).
    problems : list of str
        One line for each number outside its tolerance.

    Examples
    --------
    >>> tolerance = {"percent": 1.0, "scientific": 2.0}
    >>> reconcile("10  9.7e-03  97.7 %", "10  8.2e-03  97.3 %", tolerance)
    ('10  8.2e-03  97.3 %', [])
    >>> reconcile("10  8.2e-03  95.0 %", "10  8.2e-03  97.3 %", tolerance)[1]
    ['95.0 % against the stored 97.3 %: outside the tolerance of 1 percentage point']
    >>> reconcile("11  8.2e-03  97.3 %", "10  8.2e-03  97.3 %", tolerance)[0]
    '11  8.2e-03  97.3 %'
    """
    ran_numbers = list(_ANY_NUMBER.finditer(ran))
    stored_numbers = list(_ANY_NUMBER.finditer(stored))
    if [m.lastgroup for m in ran_numbers] != [m.lastgroup for m in stored_numbers]:
        return ran, []
    pieces, problems, end = [], [], 0
    for new, old in zip(ran_numbers, stored_numbers, strict=True):
        kind, value = new.lastgroup, new.group()
        pieces.append(ran[end : new.start()])
        if kind in tolerance and _within(kind, value, old.group(), tolerance[kind]):
            value = old.group()
        elif kind in tolerance:
            unit = " %" if kind == "percent" else ""
            problems.append(
                f"{new.group()}{unit} against the stored {old.group()}{unit}: outside the "
                f"tolerance of {describe({kind: tolerance[kind]}).split(' within ')[1]}"
            )
        pieces.append(value)
        end = new.end()
    pieces.append(ran[end:])
    return "".join(pieces), problems


def _reconcile_outputs(outputs, stored_outputs, tolerance):
    """Apply :func:`reconcile` to each text of ``outputs`` against the stored output."""
    problems = []
    for output, stored in zip(outputs, stored_outputs, strict=False):
        if output.get("output_type") == "stream" and stored.get("output_type") == "stream":
            output["text"], found = reconcile(output["text"], stored["text"], tolerance)
            problems += found
        elif "text/plain" in output.get("data", {}) and "text/plain" in stored.get("data", {}):
            data, stored_data = output["data"], stored["data"]
            data["text/plain"], found = reconcile(
                data["text/plain"], stored_data["text/plain"], tolerance
            )
            problems += found
    return problems


def compare_outputs(self, test, ref, skip_compare=None):
    """nbval's comparison, after the numbers within the cell's tolerance are reconciled."""
    tolerance = cell_tolerance(self.cell)
    problems = _reconcile_outputs(test, ref, tolerance) if tolerance else []
    same = _compare_exactly(self, test, ref, skip_compare)
    if not same and problems:
        self.comparison_traceback.append(
            f"Numbers outside this cell's stated tolerance ({describe(tolerance)}):"
        )
        self.comparison_traceback.extend(f"  {line}" for line in problems)
    return same


# nbval's own comparison, kept once: pytest may import this file under two names (as the
# plugin, and for its doctests), and the second import must not wrap the first.
_compare_exactly = getattr(IPyNbCell, "_convbook_compare_exactly", IPyNbCell.compare_outputs)
IPyNbCell._convbook_compare_exactly = _compare_exactly
IPyNbCell.compare_outputs = compare_outputs
