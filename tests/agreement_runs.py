"""Run the agreement answers both ways: the notebook's ``check()`` and the grader.

Shared by ``test_agreement.py``, which requires every answer to get the same verdict both
ways (and the expected one), and ``tools/agreement_table.py`` (``make agreement-table``),
which prints the exercise-by-exercise table of issue 19.

For every checked exercise of every chapter, the answers of ``agreement_answers.py``
(right ones in many forms, and the wrong ones students write) go two ways:

- **the notebook**: the answer cell runs after the chapter notebook's imports, and the
  exercise's checker judges the answer, as the check cell does;
- **the grader**: the grader's own child, ``tools/grade_runner.py`` in ``check`` mode, runs
  the same imports and answer cell in a fresh process, with the chapters' checkers
  blocked as in grading, and sends back what the answer returns on each case; the
  grader's judge (:meth:`grade.Grader.judge`) gives the verdict.

Both ways run on the same cases, twice: the public ones and hidden ones from a seed. Only
the sandbox's limits are left out here; ``test_grader.py`` grades whole submissions
through it.
"""

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
for _folder in (ROOT / "tests", ROOT / "tools"):
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))

import grade  # noqa: E402
from agreement_answers import ANSWERS  # noqa: E402
from grade_runner import encode  # noqa: E402

from lib.exercises import chapter_exercises  # noqa: E402

#: The hidden cases' seed (the grader draws its own; any seed must do).
SEED = (20261206, 19)
CASES = ("public", "hidden")


def notebook_path(chapter):
    return next((ROOT / "chapters").glob(f"{chapter:02d}_*.ipynb"))


def prelude(chapter):
    """The chapter notebook's import statements: what the grader runs before the answers."""
    return grade.imports_of(nbformat.read(notebook_path(chapter), as_version=4))


def cases(exercise, which):
    return exercise.cases(None if which == "public" else SEED)


def answers(chapter):
    """``(exercise, label, source, status, words)`` of every answer of the chapter."""
    exercises = {e.name: e for e in chapter_exercises(chapter)}
    assert set(ANSWERS[chapter]) == set(exercises), "every checked exercise has answers"
    return [
        (exercises[name], *answer) for name, items in ANSWERS[chapter].items() for answer in items
    ]


def grader_verdicts(chapter, workdir):
    """``{(name, label, which): Result}``: the grader's verdicts, from one runner process
    (in ``workdir``) that checks every answer of the chapter, each on both sets of cases."""
    grader = grade.Grader(chapter, isolation="unsandboxed")  # it only judges here
    entries, keys = [], []
    for exercise, label, source, *_ in answers(chapter):
        for which in CASES:
            encoded = [[encode(a) for a in case.args] for case in cases(exercise, which)]
            entries.append(
                {
                    "name": exercise.name,
                    "kind": exercise.kind,
                    "cell": source,
                    "cases": encoded,
                    "evaluate": True,
                }
            )
            keys.append((exercise, label, which))
    request = {"prelude": prelude(chapter), "exercises": entries}
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "grade_runner.py"), "check"],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        cwd=workdir,
        env={**os.environ, "MPLBACKEND": "Agg"},
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert events[0]["event"] == "ready"
    records, record = [], None
    for event in events[1:]:
        kind = event["event"]
        if kind == "begin":
            record = grade.CheckRecord()
        elif kind == "case":
            assert event["index"] == len(record.outcomes)
            record.outcomes.append(event["outcome"])
        elif kind == "cell_error":
            record.cell_error = event["error"]
        elif kind == "missing":
            record.missing = True
        elif kind == "end":
            record.done = True
            records.append(record)
    assert len(records) == len(keys)
    verdicts = {}
    for (exercise, label, which), record in zip(keys, records, strict=True):
        grader.cases[exercise.name] = cases(exercise, which)
        verdicts[exercise.name, label, which] = grader.judge(exercise, record, has_cell=True)
    return verdicts


def notebook_verdict(chapter, exercise, source, which):
    """The verdict of the notebook's check cell, after the imports and the answer cell."""
    namespace = {"__name__": "__main__"}
    exec("\n".join(prelude(chapter)), namespace)
    exec(compile(source, f"<answer cell of {exercise.name}>", "exec"), namespace)
    return exercise.verdict(namespace[exercise.name], seed=None if which == "public" else SEED)


@dataclass
class Judged:
    """One answer on one set of cases, judged both ways."""

    chapter: int
    exercise: str
    label: str
    expected: str  # the status a teacher expects
    words: str  # a piece of the diagnosis a teacher expects
    which: str  # "public" or "hidden"
    check: object  # the notebook's Result
    grader: object  # the grader's Result

    @property
    def agree(self):
        """check() and the grader give the same status and the same diagnosis."""
        return (self.check.status, self.check.message) == (self.grader.status, self.grader.message)

    @property
    def as_expected(self):
        """Both give the expected status, with the expected words in the diagnosis."""
        return all(
            r.status == self.expected and self.words in r.message for r in (self.check, self.grader)
        )

    @property
    def false_positive(self):
        """A wrong answer (or a stub) that either way calls correct."""
        return self.expected != "correct" and "correct" in (self.check.status, self.grader.status)

    @property
    def false_negative(self):
        """A right answer that either way does not call correct."""
        return self.expected == "correct" and not (
            self.check.status == self.grader.status == "correct"
        )

    def problem(self):
        """What is wrong with this row, or None."""
        where = f"ch{self.chapter} {self.exercise} [{self.label}] on the {self.which} cases"
        if not self.agree:
            return (
                f"{where}: check() says {self.check.status}: {self.check.message!r}; the grader "
                f"says {self.grader.status}: {self.grader.message!r}"
            )
        if not self.as_expected:
            return (
                f"{where}: expected {self.expected} with {self.words!r}; both say "
                f"{self.check.status}: {self.check.message!r}"
            )
        return None


def judge_chapter(chapter, workdir):
    """Every answer of ``chapter`` on both sets of cases, judged both ways: a list of
    :class:`Judged`, in the order of ``agreement_answers.py``."""
    graded = grader_verdicts(chapter, workdir)
    return [
        Judged(
            chapter,
            exercise.name,
            label,
            status,
            words,
            which,
            notebook_verdict(chapter, exercise, source, which),
            graded[exercise.name, label, which],
        )
        for exercise, label, source, status, words in answers(chapter)
        for which in CASES
    ]
