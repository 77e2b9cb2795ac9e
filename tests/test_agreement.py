"""The notebook's ``check()`` and the grader give every answer the same verdict.

For every checked exercise of every chapter, the answers of ``agreement_answers.py``
(right ones in many forms, and the wrong ones students write) go two ways, the notebook's
check cell and the grader's child and judge (``agreement_runs.py`` says how), on the
public cases and on hidden ones. Each answer must get the same status and the same
diagnosis both ways, and the status (with a piece of the diagnosis) that a teacher
expects. ``make agreement-table`` prints the same runs as a table.
"""

import pytest
from agreement_answers import ANSWERS  # tests/ is on the path
from agreement_runs import answers, grade, judge_chapter, prelude

from lib.exercises import chapter_exercises


@pytest.fixture(scope="module", params=sorted(ANSWERS), ids=lambda n: f"ch{n}")
def chapter(request, tmp_path_factory):
    number = request.param
    return number, judge_chapter(number, tmp_path_factory.mktemp(f"ch{number}"))


def test_check_and_grader_agree_and_are_right(chapter):
    number, judged = chapter
    problems = [row.problem() for row in judged if row.problem()]
    assert not problems, "\n".join(problems)
    assert not any(row.false_positive or row.false_negative for row in judged)


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
