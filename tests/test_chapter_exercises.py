"""Every chapter's exercises, as an instructor uses them: the notebook's answer cells match
the checkers in lib, the student version is sound, and the grader gives the instructor's
own solutions full marks.

This file also holds the generic tests every checker must pass, once for every exercise of
every chapter: well formed, models pass public and hidden cases, hidden cases differ from
public ones, stubs and ``...`` are not attempted, solutions print what passes. What is
particular to one chapter's checkers (each classic mistake named, answers in other forms)
is tested in ``test_exercises*.py``.
"""

import ast
import csv
import doctest
import functools
import importlib
import re
import shutil
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
from exercise_checks import stub, verdict  # tests/ is on the path

from lib import conv2d
from lib.exercises import STATUSES, chapter_exercises
from lib.kernels import SOBEL_X, SOBEL_Y

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import grade  # noqa: E402
import student_version  # noqa: E402

CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
WITH_EXERCISES = [p for p in CHAPTERS if not p.name.startswith("00")]
NUMBERS = [int(p.name[:2]) for p in WITH_EXERCISES]

#: (chapter number, exercise) of every exercise of every chapter, ids like "ch2-unread_pixels".
EXERCISES = [(n, e) for n in NUMBERS for e in chapter_exercises(n)]
FUNCTIONS = [(n, e) for n, e in EXERCISES if e.kind == "function"]
VALUES = [(n, e) for n, e in EXERCISES if e.kind == "value"]


def ids(pairs):
    return [f"ch{n}-{e.name}" for n, e in pairs]


@functools.cache
def read(path):
    """The notebook at ``path``, read once: the tests only read it (student_version makes a
    new notebook)."""
    return nbformat.read(path, as_version=4)


def answer_cells(nb):
    return [c for c in nb.cells if student_version.is_solution_cell(c)]


@pytest.fixture(scope="module", params=WITH_EXERCISES, ids=lambda p: p.stem)
def chapter(request):
    return request.param


def test_every_chapter_has_at_least_six_exercises(chapter):
    text = "\n".join(c.source for c in read(chapter).cells if c.cell_type == "markdown")
    labels = re.findall(r"^:::+\{exercise\}.*\n:label: (\S+)", text, flags=re.M)
    assert len(labels) >= 6, f"{chapter.name} has {len(labels)} exercises"
    assert len(set(labels)) == len(labels), "exercise labels are unique"


def test_answer_cells_and_checkers_match(chapter):
    """Each checker of lib has one answer cell, labelled with its grade_id, and one check
    cell; each answer cell has a checker; they come in the same order."""
    nb = read(chapter)
    exercises = chapter_exercises(chapter.stem)
    grade_ids = [c.metadata.nbgrader.grade_id for c in answer_cells(nb)]
    assert grade_ids == [e.label for e in exercises]
    sources = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    for exercise in exercises:
        assert f"ex.{exercise.name}.check({exercise.name})" in sources, exercise.name


def test_answer_cells_do_not_use_the_hidden_checkers(chapter):
    """The grader hides lib.exercises from a submission: an answer cell that reads
    ``ex.<anything>`` would fail under grading while passing in the notebook."""
    for cell in answer_cells(read(chapter)):
        names = {
            node.value.id
            for node in ast.walk(ast.parse(cell.source))
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
        }
        assert "ex" not in names, cell.metadata.nbgrader.grade_id


def test_student_version_has_no_solution_and_keeps_every_check(chapter):
    student = student_version.student_version(read(chapter))
    text = "\n".join(c.source for c in student.cells)
    assert "SOLUTION" not in text and "{solution" not in text
    assert all(c.get("outputs", []) == [] for c in student.cells if c.cell_type == "code")
    for exercise in chapter_exercises(chapter.stem):
        assert f"ex.{exercise.name}.check({exercise.name})" in text


def test_the_grader_gives_the_instructors_solutions_full_marks(chapter, tmp_path):
    """The instructor's notebook, graded as a submission (without the top-to-bottom run,
    which nbval covers), scores every point: the solutions pass the hidden cases in the
    sandbox, with only the notebook's imports."""
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    shutil.copy(chapter, submissions / "instructor.ipynb")
    out = tmp_path / "graded"
    assert (
        grade.main([str(submissions), "--chapter", chapter.stem, "--out", str(out), "--no-run"])
        == 0
    )
    (row,) = list(csv.DictReader((out / "grades.csv").open()))
    verdicts = {e.name: row[e.name] for e in chapter_exercises(chapter.stem)}
    assert set(verdicts.values()) == {"correct"}, verdicts
    assert float(row["score"]) == float(row["max_score"])


def test_a_sample_class_is_graded_by_what_each_student_answered(tmp_path):
    """tools/sample_class.py's students answer a known part of chapter 1; the grader's
    table must give each exactly that many points, on its own row."""
    import sample_class

    chapter = WITH_EXERCISES[0]
    paths = sample_class.make_class(chapter, tmp_path / "class", students=4)
    out = tmp_path / "graded"
    assert (
        grade.main([str(tmp_path / "class"), "--chapter", "1", "--out", str(out), "--no-run"]) == 0
    )
    rows = {row["file"]: row for row in csv.DictReader((out / "grades.csv").open())}
    assert sorted(rows) == sorted(p.name for p in paths)
    for name, row in rows.items():
        answered = int(re.search(r"answered-(\d+)-of", name).group(1))
        assert float(row["score"]) == answered, (name, row)


# --- the generic checks, for every exercise of every chapter ---------------------------------


@pytest.mark.parametrize("number", NUMBERS, ids=lambda n: f"ch{n}")
def test_the_exercise_modules_doctests(number):
    module = importlib.import_module(f"lib.exercises.chapter{number}")
    failures, tried = doctest.testmod(
        module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    assert failures == 0 and tried > 0


#: Chapters with fewer than six checked exercises: chapter 4 has seven exercises (see
#: test_every_chapter_has_at_least_six_exercises), two of them discussions with no checker.
FEWER_CHECKERS = {4: 5}


@pytest.mark.parametrize("chapter", WITH_EXERCISES, ids=lambda p: p.stem)
def test_every_exercise_is_well_formed(chapter):
    number = int(chapter.name[:2])
    module = importlib.import_module(f"lib.exercises.chapter{number}")
    exercises = chapter_exercises(number)
    assert exercises == tuple(module.EXERCISES) == chapter_exercises(chapter.stem)
    assert len(exercises) >= FEWER_CHECKERS.get(number, 6)
    names, labels = [e.name for e in exercises], [e.label for e in exercises]
    assert len(set(names)) == len(names) and len(set(labels)) == len(labels)
    for exercise in exercises:
        assert re.fullmatch(rf"ch{number}-ex-[a-z0-9]+(-[a-z0-9]+)*", exercise.label)
        assert 2 <= len(exercise.hints) <= 4, exercise.name
        assert exercise.kind in ("function", "value")
        assert getattr(module, exercise.name) is exercise


#: What a chapter's printed solutions may use besides NumPy: chapter 1's notebook imports
#: Sobel's kernels from lib.kernels, which its Sobel exercise names, and chapters 3 and 6
#: import lib's conv2d, which the multichannel and finite-difference solutions call.
SOLUTION_NAMES = {
    1: {"SOBEL_X": SOBEL_X, "SOBEL_Y": SOBEL_Y},
    3: {"conv2d": conv2d},
    6: {"conv2d": conv2d},
}


@pytest.mark.parametrize(("number", "exercise"), FUNCTIONS, ids=ids(FUNCTIONS))
def test_solution_prints_a_model_that_passes(number, exercise, capsys):
    """The printed solution runs with NumPy alone (but for SOLUTION_NAMES)."""
    exercise.solution()
    source = capsys.readouterr().out.split("\n\n", 1)[1]
    assert source.startswith(f"def {exercise.name}(")
    namespace = {"np": np, **SOLUTION_NAMES.get(number, {})}
    exec(source, namespace)
    assert verdict(exercise, namespace[exercise.name], capsys).status == "correct"


@pytest.mark.parametrize(("number", "exercise"), FUNCTIONS, ids=ids(FUNCTIONS))
def test_models_pass_public_and_hidden_cases_of_many_seeds(number, exercise, capsys):
    assert verdict(exercise, exercise.model, capsys).status == "correct"
    for seed in range(40):
        cases = exercise.cases(seed=(seed, number))
        result = exercise.judge(cases, exercise.outcomes(exercise.model, cases))
        assert result.status == "correct", (seed, result.message)


#: (hidden cases, hidden arrays) of seed (1, 2) that are also public, where some are.
#: Chapter 2's arguments are small ints (sizes, kernels, strides) drawn from few values,
#: so whole cases repeat. Chapter 4's backward passes draw some 1x1 gradients, one of
#: which comes out as a public one (for average pooling with the same input shape,
#: kernel and stride: a whole public case). Chapter 5's RBF layer is given the fixed
#: digit prototypes in some cases, public and hidden.
REPEATS = {
    "ch2-conv_output_size": (7, 0),
    "ch2-tf_same_padding": (7, 0),
    "ch2-unread_pixels": (6, 0),
    "ch4-max_pool_backward": (0, 1),
    "ch4-avg_pool_backward": (1, 1),
    "ch5-rbf_distances": (0, 2),
}


def key(value):
    """What a case's argument is, to compare arguments across cases."""
    value = np.asarray(value)
    return value.dtype.str, value.shape, value.tobytes()


@pytest.mark.parametrize(("number", "exercise"), FUNCTIONS, ids=ids(FUNCTIONS))
def test_hidden_cases_differ_from_public_ones_and_vary_with_the_seed(number, exercise):
    public = exercise.cases()
    hidden = exercise.cases(seed=(1, 2))
    again = exercise.cases(seed=(1, 2))
    other = exercise.cases(seed=(3, 2))

    def keys(cases):
        return [tuple(key(a) for a in case.args) for case in cases]

    # The same seed, the same cases.
    assert keys(hidden) == keys(again)
    assert [c.description for c in hidden] == [c.description for c in again]
    if all(case.args == () for case in public):
        # A function of no arguments (the C3 table of chapters 3 and 5) has one case,
        # the same public or hidden: there is nothing to vary.
        assert keys(public) == keys(hidden) == keys(other) == [()]
        return
    assert len(hidden) > len(public)
    name = f"ch{number}-{exercise.name}"
    # No hidden case is a public one, and no hidden array is one of the public arrays,
    # but for the repeats listed in REPEATS, which are counted exactly.
    cases, arrays = REPEATS.get(name, (0, 0))
    assert sum(k in set(keys(public)) for k in keys(hidden)) == cases
    public_arrays = {key(a) for c in public for a in c.args if isinstance(a, np.ndarray)}
    hidden_arrays = [key(a) for c in hidden for a in c.args if isinstance(a, np.ndarray)]
    assert sum(k in public_arrays for k in hidden_arrays) == arrays
    # Another seed, other cases, down to the first argument.
    assert any(key(c.args[0]) != key(d.args[0]) for c, d in zip(hidden, other, strict=False))


@pytest.mark.parametrize(("number", "exercise"), FUNCTIONS, ids=ids(FUNCTIONS))
def test_a_stub_is_not_attempted(number, exercise, capsys):
    result = verdict(exercise, stub, capsys)
    assert result.status == "not attempted" and result.score == 0
    assert result.status in STATUSES
    assert str(result) == f"{exercise.name}: not attempted (it still raises NotImplementedError)."


@pytest.mark.parametrize(("number", "exercise"), VALUES, ids=ids(VALUES))
def test_value_exercises(number, exercise, capsys):
    """``...`` is not attempted, the answer is correct, solution() prints it, and each
    classic mistake is a wrong answer, named."""
    result = verdict(exercise, ..., capsys)
    assert result.status == "not attempted" and result.score == 0
    assert result.status in STATUSES
    assert verdict(exercise, exercise.answer, capsys).status == "correct"
    # solution() ends with the answer as an assignment, which the checker takes. It is
    # the answer's repr but for chapter 4's max_by_hand, printed as a list of ints.
    exercise.solution()
    printed = capsys.readouterr().out.rstrip("\n").rsplit("\n", 1)[-1]
    assert printed.startswith(f"{exercise.name} = ")
    value = ast.literal_eval(printed.removeprefix(f"{exercise.name} = "))
    if f"ch{number}-{exercise.name}" != "ch4-max_by_hand":
        assert printed == f"{exercise.name} = {exercise.answer!r}"
    assert verdict(exercise, value, capsys).status == "correct"
    assert exercise.answer not in exercise.mistakes
    for wrong, (name, _) in exercise.mistakes.items():
        result = verdict(exercise, wrong, capsys)
        assert result.status == "incorrect" and name.capitalize() in result.message, name
