"""The notebook's ``check()`` and the grader give every answer the same verdict.

For every checked exercise of every chapter, the answers of ``agreement_answers.py``
(right ones in many forms, and the wrong ones students write) go two ways:

- **the notebook**: the answer cell runs after the chapter notebook's imports, and the
  exercise's checker judges the answer, as the check cell does;
- **the grader**: the grader's own child, ``tools/grade_runner.py`` in ``check`` mode, runs
  the same imports and answer cell in a fresh process, with the chapters' checkers
  blocked as in grading, and sends back what the answer returns on each case; the
  grader's judge (:meth:`grade.Grader.judge`) gives the verdict.

Both ways run on the same cases, twice: the public ones and hidden ones from a seed. Each
answer must get the same status and the same diagnosis both ways, and the status (with a
piece of the diagnosis) that a teacher expects. Only the sandbox's limits are left out
here; ``test_grader.py`` grades whole submissions through it.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from agreement_answers import ANSWERS  # tests/ is on the path

from lib.exercises import chapter_exercises

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import grade  # noqa: E402
from grade_runner import encode  # noqa: E402

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


def grader_verdicts(chapter, tmp_path):
    """``{(name, label, which): Result}``: the grader's verdicts, from one runner process
    that checks every answer of the chapter, each on both sets of cases."""
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
        cwd=tmp_path,
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


@pytest.fixture(scope="module", params=sorted(ANSWERS), ids=lambda n: f"ch{n}")
def chapter(request, tmp_path_factory):
    number = request.param
    return number, grader_verdicts(number, tmp_path_factory.mktemp(f"ch{number}"))


def test_check_and_grader_agree_and_are_right(chapter):
    number, graded = chapter
    problems = []
    for exercise, label, source, status, words in answers(number):
        for which in CASES:
            mine = notebook_verdict(number, exercise, source, which)
            theirs = graded[exercise.name, label, which]
            where = f"ch{number} {exercise.name} [{label}] on the {which} cases"
            if (mine.status, mine.message) != (theirs.status, theirs.message):
                problems.append(
                    f"{where}: check() says {mine.status}: {mine.message!r}; the grader says "
                    f"{theirs.status}: {theirs.message!r}"
                )
            elif mine.status != status or words not in mine.message:
                problems.append(
                    f"{where}: expected {status} with {words!r}; both say {mine.status}: "
                    f"{mine.message!r}"
                )
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("number", sorted(ANSWERS), ids=lambda n: f"ch{n}")
def test_the_imports_the_check_step_keeps_are_enough_for_each_answer(number):
    """The check step runs only the imports the answer cells read (grade.imports_needed,
    which cuts ``from lib import conv2d, setup_notebook`` down to ``conv2d``): each answer
    of the table, alone after only its own needed imports, gets the verdict it gets after
    all the notebook's imports (on the public cases)."""
    full, problems = prelude(number), []
    for exercise, label, source, status, words in answers(number):
        namespace = {"__name__": "__main__"}
        exec("\n".join(grade.imports_needed(full, [source])), namespace)
        exec(compile(source, f"<answer cell of {exercise.name}>", "exec"), namespace)
        verdict = exercise.verdict(namespace[exercise.name], seed=None)
        if verdict.status != status or words not in verdict.message:
            problems.append(
                f"ch{number} {exercise.name} [{label}]: expected {status} with {words!r}; "
                f"after its needed imports only: {verdict.status}: {verdict.message!r}"
            )
    assert not problems, "\n".join(problems)


def test_every_exercise_has_right_answers_in_several_forms_and_wrong_ones():
    """The table covers every checked exercise with at least two forms of a right answer
    and three wrong answers."""
    for number in ANSWERS:
        for exercise, items in ((e, ANSWERS[number][e.name]) for e in chapter_exercises(number)):
            right = [a for a in items if a[2] == "correct"]
            wrong = [a for a in items if a[2] != "correct"]
            assert len(right) >= 2 and len(wrong) >= 3, (number, exercise.name)
