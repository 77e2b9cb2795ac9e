"""Make a class of synthetic submissions of a chapter, to try the grader before a real one.

Usage::

    python tools/sample_class.py chapters/01_convolution.ipynb OUT_FOLDER [--students 30]

Each submission is the chapter's student version with some of its answer cells filled in
from the instructor's solutions, as a real class would hand it in: the first student
answers everything, the second nothing, and the others a varying part (student ``i``
answers exercise ``j`` unless ``(i + j) % 3 == 0``). Its file name says which exercises
it answered, so that a grading run can be checked by eye against ``grades.csv``. (A
score can be lower: an answer that calls another exercise's function fails while that
one is still a stub, as it would for a real student.)

``make grade SUBMISSIONS=OUT_FOLDER CHAPTER=1`` then grades them; timing that run is how
the book measures the grader (see the instructors' page).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))

from student_version import is_solution_cell, student_version  # noqa: E402


def answered_source(source: str) -> str:
    """An instructor's answer cell as a student would write it: the markers removed.

    Examples
    --------
    >>> cell = "def f():\\n    ### BEGIN SOLUTION\\n    return 1\\n    ### END SOLUTION"
    >>> print(answered_source(cell))
    def f():
        return 1
    """
    lines = [line for line in source.split("\n") if "BEGIN SOLUTION" not in line]
    return "\n".join(line for line in lines if "END SOLUTION" not in line)


def which_answered(student: int, n_exercises: int) -> list[bool]:
    """Which exercises student number ``student`` answers (see the module's docstring).

    Examples
    --------
    >>> which_answered(0, 4), which_answered(1, 4), which_answered(2, 4)
    ([True, True, True, True], [False, False, False, False], [True, False, True, True])
    """
    if student == 0:
        return [True] * n_exercises
    if student == 1:
        return [False] * n_exercises
    return [(student + j) % 3 != 0 for j in range(n_exercises)]


def make_class(chapter: Path, out: Path, students: int = 30) -> list[Path]:
    """Write ``students`` submissions of ``chapter`` into ``out``; return their paths."""
    if students < 1:
        raise ValueError(f"students must be at least 1; got {students}")
    instructor = nbformat.read(chapter, as_version=4)
    answers = {
        cell.metadata.nbgrader.grade_id: answered_source(cell.source)
        for cell in instructor.cells
        if is_solution_cell(cell)
    }
    blank = student_version(instructor)
    grade_ids = list(answers)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for student in range(students):
        answered = which_answered(student, len(grade_ids))
        nb = nbformat.reads(nbformat.writes(blank), as_version=4)
        for cell in nb.cells:
            if is_solution_cell(cell):
                index = grade_ids.index(cell.metadata.nbgrader.grade_id)
                if answered[index]:
                    cell.source = answers[grade_ids[index]]
        count = sum(answered)
        path = out / f"student{student:02d}-answered-{count}-of-{len(grade_ids)}.ipynb"
        nbformat.write(nb, path)
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("chapter", type=Path, help="an instructor's chapter notebook")
    parser.add_argument("out", type=Path, help="the folder to write the submissions into")
    parser.add_argument("--students", type=int, default=30, help="default %(default)s")
    args = parser.parse_args(argv)
    paths = make_class(args.chapter, args.out, args.students)
    print(f"wrote {len(paths)} submissions of {args.chapter.name} into {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
