"""Every chapter's exercises, as an instructor uses them: the notebook's answer cells match
the checkers in lib, the student version is sound, and the grader gives the instructor's
own solutions full marks.

The checkers' own behaviour (every classic mistake named, hints, hidden cases) is tested
per chapter in ``test_exercises*.py``; this file tests the joins between the notebooks,
``lib.exercises`` and the tools.
"""

import ast
import csv
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from lib.exercises import chapter_exercises

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import grade  # noqa: E402
import student_version  # noqa: E402

CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
WITH_EXERCISES = [p for p in CHAPTERS if not p.name.startswith("00")]


def read(path):
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
