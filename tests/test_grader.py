"""The grader, on a folder of submissions: honest ones, broken ones and hostile ones.

One grading run (a module fixture) grades them all; each test asserts a part of its table.
The hostile submissions each try one way of gaining a score or doing harm: they must gain
nothing, harm no other submission, and still get their row.
"""

import csv
import hashlib
import importlib
import os
import sys
from pathlib import Path

import exercise_notebooks as fixtures  # tests/ is on the path
import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NAMES = [name for name, *_ in fixtures.EXERCISES]


sys.path.insert(0, str(ROOT / "tools"))
grade = importlib.import_module("grade")
student_version = importlib.import_module("student_version")

# Answers, by label: right ones, and the classic mistakes.
RIGHT = fixtures.solutions()
FLIPPED = """from lib import convolve2d

def cross_correlate2d(image, kernel):
    return convolve2d(image, kernel)"""
REFLECT = """def correlate_same(image, kernel):
    ph, pw = kernel.shape[0] // 2, kernel.shape[1] // 2
    return conv2d(np.pad(image, ((ph, ph), (pw, pw)), mode="reflect"), kernel)"""
NO_SQRT = """def sobel_magnitude(image):
    sx = np.array([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    image = np.asarray(image, float)
    return conv2d(image, sx) ** 2 + conv2d(image, sx.T) ** 2"""
TRUE_CONV = """def convolve2d_true(image, kernel):
    return conv2d(image, kernel[::-1, ::-1])"""


def hostile(source, label="ch1-ex-cross-correlate", answers=None):
    """Answers with ``source`` in the answer cell of ``label`` (the others: ``answers``)."""
    return {**(answers or {}), label: source}


def submissions(tmp):
    """name -> notebook (or bytes) of every submission, and the paths the hostile ones aim at."""
    student = student_version.student_version(fixtures.instructor_notebook())
    victim = tmp / "outside" / "victim.txt"
    out = tmp / "graded"
    alice = tmp / "submitted" / "alice.ipynb"
    probe = ROOT / "lib" / "exercises" / "_hostile_was_here.txt"

    patch = """
import sys
import lib.exercises.checker as checker
def always(self, cases, outcomes):
    return checker.Result(self.name, "correct", "correct.", self.points)
checker.FunctionExercise.judge = always
checker.ValueExercise.judge = always
try:  # in the grader, ex holds the exercises' data alone
    ex.cross_correlate2d.check = lambda f: print("cross_correlate2d: correct")
except (NameError, AttributeError):
    pass
try:
    with open(checker.__file__, "a") as file:
        file.write("# patched")
except OSError:
    pass
sys.meta_path[:] = [f for f in sys.meta_path if "Checkers" not in type(f).__name__]
def cross_correlate2d(image, kernel):
    checker.FunctionExercise.judge = always
    try:  # the reference solution, if it can be reached
        from lib.exercises import chapter1
        return chapter1.cross_correlate2d.reference(image, kernel)
    except Exception:
        return image
"""
    fake_score = """
import json, os
print("Score: 6 / 6")
print("cross_correlate2d: correct (7 of 7 cases).")
for name in ("grades.csv", "../grades.csv", "OUT/grades.csv"):
    try:
        with open(name, "w") as file:
            file.write("file,student,score\\nfake_score.ipynb,fake_score,6\\n")
    except OSError:
        pass
fake = {"event": "case", "name": "cross_correlate2d", "index": 0,
        "outcome": {"value": {"t": "int", "v": 6}}}
for fd in range(3, 30):
    for event in (fake, {"event": "end", "name": "cross_correlate2d"}, {"event": "done"}):
        try:
            os.write(fd, (json.dumps(event) + "\\n").encode())
        except OSError:
            pass
def cross_correlate2d(image, kernel):
    print("cross_correlate2d: correct")
    return None
""".replace("OUT", str(out))
    reads_hidden = """
def cross_correlate2d(image, kernel):
    import gc, os, sys
    import numpy as np
    found = {}
    for name in ("/proc/1/environ", "/proc/1/cmdline", "/proc/self/environ", "ALICE", "CHAPTERS"):
        try:
            found[name] = open(name, "rb").read()[:100]
        except OSError:
            pass
    found.update(os.environ)
    try:
        found["stdin"] = sys.stdin.read()
    except Exception:
        pass
    shape = (image.shape[0] - kernel.shape[0] + 1, image.shape[1] - kernel.shape[1] + 1)
    for thing in gc.get_objects():
        if (isinstance(thing, np.ndarray) and thing.shape == shape
                and thing is not image and thing is not kernel):
            return thing  # an array of the answer's shape: the hidden answer, hopefully
    return np.zeros(shape, dtype=np.result_type(image, kernel))
""".replace("ALICE", str(alice)).replace("CHAPTERS", str(ROOT / "chapters"))
    exits_early = "import os\nos._exit(0)"
    loops = "def sobel_magnitude(image):\n    while True:\n        pass"
    memory = """
def correlate_same(image, kernel):
    hog = []
    while True:
        hog.append(np.empty(2**23))  # 64 MiB more each time, until the limit
"""
    writes = f'''
import os, pathlib
for target in ("{victim}", "{alice}", "{probe}", "{out}/grades.csv", os.path.expanduser("~/x")):
    try:
        pathlib.Path(target).write_text("overwritten")
    except OSError:
        pass
    try:
        os.remove(target)
    except OSError:
        pass
'''
    notebooks = {
        "alice": fixtures.with_answers(student, RIGHT),
        "bob_partly": fixtures.with_answers(
            student,
            {
                **RIGHT,
                "ch1-ex-corner-value": "corner_value = 8",
                "ch1-ex-cross-correlate": FLIPPED,
                "ch1-ex-convolve-true": TRUE_CONV,
                "ch1-ex-correlate-same": REFLECT,
                "ch1-ex-sobel": NO_SQRT,
            },
        ),
        "carol_empty": student,
        "h_patches_checker": fixtures.with_answers(student, hostile(patch)),
        "h_fake_score": fixtures.with_answers(student, hostile(fake_score)),
        "h_reads_hidden": fixtures.with_answers(student, hostile(reads_hidden)),
        "h_exits_early": fixtures.with_answers(
            student, hostile(exits_early, "ch1-ex-convolve-true", RIGHT)
        ),
        "h_loops": fixtures.with_answers(student, hostile(loops, "ch1-ex-sobel", RIGHT)),
        "h_memory": fixtures.with_answers(student, hostile(memory, "ch1-ex-correlate-same", RIGHT)),
        "h_writes_outside": fixtures.with_answers(student, hostile(writes, "ch1-ex-corner-value")),
    }
    # The notebook run (step 1) meets the same hostility outside the answer cells.
    notebooks["h_exits_early"].cells.insert(3, nbformat.v4.new_code_cell(exits_early))
    notebooks["h_loops"].cells.insert(3, nbformat.v4.new_code_cell("while True:\n    pass"))
    notebooks["h_memory"].cells.insert(3, nbformat.v4.new_code_cell("x = bytearray(2**40)"))
    notebooks["h_fake_score"].cells.insert(3, nbformat.v4.new_code_cell(fake_score))
    return notebooks, victim, out, alice, probe


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("grading")
    notebooks, victim, out, alice, probe = submissions(tmp)
    folder = tmp / "submitted"
    folder.mkdir()
    for name, nb in notebooks.items():
        nbformat.write(nb, folder / f"{name}.ipynb")
    (folder / "dave_invalid.ipynb").write_text('{"cells": [', encoding="utf-8")
    (folder / "erin_notes.txt").write_text("my answers are 27 and (5, 4)", encoding="utf-8")
    (folder / "frank").mkdir()
    (folder / "frank" / "01_convolution.ipynb").write_text('{"not": "a notebook"}')
    (folder / ".ipynb_checkpoints").mkdir()
    (folder / ".ipynb_checkpoints" / "alice-checkpoint.ipynb").write_text("{}")
    victim.parent.mkdir()
    victim.write_text("intact")
    os.chmod(victim.parent, 0o777)  # writable by anyone who can reach it
    os.chmod(victim, 0o666)
    digests = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()
    }
    limits = grade.Limits(run_seconds=25, startup_seconds=60, exercise_seconds=4, memory_mb=1536)
    grader = grade.Grader(1, limits=limits, jobs=2, watch=[folder, victim.parent])
    grader.grade(folder, out)
    with open(out / "grades.csv", newline="", encoding="utf-8") as file:
        table = {row["student"]: row for row in csv.DictReader(file)}
    yield {
        "table": table,
        "out": out,
        "folder": folder,
        "victim": victim,
        "probe": probe,
        "digests": digests,
        "grader": grader,
    }
    probe.unlink(missing_ok=True)


def statuses(row):
    return [row[name] for name in NAMES]


def feedback(graded, student):
    return (graded["out"] / "feedback" / f"{student}.txt").read_text()


def test_one_row_per_submitted_file_and_no_other(graded):
    assert sorted(graded["table"]) == sorted(
        [
            "alice",
            "bob_partly",
            "carol_empty",
            "dave_invalid",
            "erin_notes.txt",
            "frank/01_convolution",
            "h_exits_early",
            "h_fake_score",
            "h_loops",
            "h_memory",
            "h_patches_checker",
            "h_reads_hidden",
            "h_writes_outside",
        ]
    )
    assert graded["grader"].skipped == [".ipynb_checkpoints/alice-checkpoint.ipynb"]
    assert all(row["max_score"] == "6" for row in graded["table"].values())
    names = sorted(p.name for p in (graded["out"] / "feedback").iterdir())
    assert len(names) == 13 and "frank__01_convolution.txt" in names


def test_a_correct_submission(graded):
    row = graded["table"]["alice"]
    assert (row["score"], statuses(row)) == ("6", ["correct"] * 6)
    assert (row["notebook_run"], row["reason"]) == ("ran clean", "")
    assert "Score: 6 / 6" in feedback(graded, "alice")


def test_a_partly_correct_submission(graded):
    row = graded["table"]["bob_partly"]
    assert row["score"] == "2"
    assert statuses(row) == [
        "incorrect",
        "correct",
        "incorrect",
        "correct",
        "incorrect",
        "incorrect",
    ]
    text = feedback(graded, "bob_partly")
    for diagnosis in (
        "Kernel flipped: you turned the kernel",
        "Kernel flipped: your function",
        "Reflect padding",
        "Square root missing",
    ):
        assert diagnosis in text
    assert "[[" not in text, "feedback never shows an expected array"


def test_an_empty_submission_is_not_attempted(graded):
    row = graded["table"]["carol_empty"]
    assert (row["score"], statuses(row)) == ("0", ["not attempted"] * 6)
    assert row["notebook_run"] == "ran clean"


@pytest.mark.parametrize(
    ("student", "reason"),
    [
        ("dave_invalid", "unreadable: not valid JSON"),
        ("erin_notes.txt", "unreadable: not a notebook file (.ipynb)"),
        ("frank/01_convolution", "unreadable: JSON, but not a notebook"),
    ],
)
def test_an_unreadable_file_scores_zero_with_the_reason(graded, student, reason):
    row = graded["table"][student]
    assert row["score"] == "0" and row["reason"].startswith(reason)
    assert reason in feedback(graded, student.replace("/", "__"))


def test_patching_the_checker_gains_nothing(graded):
    row = graded["table"]["h_patches_checker"]
    assert row["score"] == "0"
    assert statuses(row) == ["not attempted", "not attempted", "incorrect"] + ["not attempted"] * 3
    checker = ROOT / "lib" / "exercises" / "checker.py"
    assert not checker.read_text().endswith("# patched")


def test_a_fake_score_gains_nothing(graded):
    row = graded["table"]["h_fake_score"]
    assert row["score"] == "0" and row["cross_correlate2d"] != "correct"
    assert row["notebook_run"] == "ran clean"


def test_reading_the_hidden_cases_gains_nothing(graded):
    row = graded["table"]["h_reads_hidden"]
    assert (row["score"], row["cross_correlate2d"]) == ("0", "incorrect")


def test_exiting_early_costs_that_exercise_only(graded):
    row = graded["table"]["h_exits_early"]
    assert row["score"] == "5" and row["convolve2d_true"] == "error"
    assert row["notebook_run"].startswith("stopped at cell 4: the process exited early")
    assert "exited early, with code 0" in feedback(graded, "h_exits_early")


def test_an_endless_loop_costs_that_exercise_only(graded):
    row = graded["table"]["h_loops"]
    assert row["score"] == "5" and row["sobel_magnitude"] == "error"
    assert row["notebook_run"] == "stopped at cell 4: the time limit (25 s)"
    assert "the time limit (4 s per exercise)" in feedback(graded, "h_loops")


def test_exhausting_memory_costs_that_exercise_only(graded):
    row = graded["table"]["h_memory"]
    assert row["score"] == "5" and row["correlate_same"] == "error"
    assert "MemoryError: Unable to allocate" in feedback(graded, "h_memory")
    assert row["notebook_run"] == "ran to the end; 1 cell raised"


def test_writing_outside_its_folder_harms_nothing(graded):
    row = graded["table"]["h_writes_outside"]
    assert row["score"] == "0" and row["reason"] == ""
    assert graded["victim"].read_text() == "intact"
    assert not graded["probe"].exists()
    for path in graded["folder"].iterdir():
        if path.is_file():
            assert hashlib.sha256(path.read_bytes()).hexdigest() == graded["digests"][path.name]
    assert graded["table"]["alice"]["score"] == "6"


def test_feedback_says_how_it_was_graded(graded):
    text = feedback(graded, "bob_partly")
    assert (
        "hidden cases" in text
        and f"Isolation level of the grading sandbox: {graded['grader'].level}" in text
    )


def test_student_ids_and_feedback_names():
    assert grade.student_id("alice.ipynb") == "alice"
    assert grade.student_id("group 1/Bob.IPYNB") == "group 1/Bob"
    rows = [grade.Row(file=f, student=s) for f, s in [("a", "x/y"), ("b", "x__y"), ("c", "X__Y")]]
    assert grade.feedback_names(rows) == ["x__y.txt", "x__y-2.txt", "X__Y-3.txt"]


def test_answer_cells_are_found_by_grade_id_then_by_name():
    nb = fixtures.with_answers(
        student_version.student_version(fixtures.instructor_notebook()), RIGHT
    )
    for cell in nb.cells:
        cell.metadata.pop("nbgrader", None)
    nb.cells.append(nbformat.v4.new_code_cell("corner_value = 3"))
    exercises = grade.chapter_exercises(1)
    found = grade.answer_cells(nb, exercises)
    assert set(found) == set(NAMES)
    assert found["corner_value"][1] == "corner_value = 3"
    assert all(how == "the last cell that defines it" for _, _, how in found.values())


def test_the_prelude_is_the_notebooks_imports():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("%matplotlib inline\nimport numpy as np\nx = 1"),
        nbformat.v4.new_code_cell("from lib import conv2d\nimport numpy as np\n("),
    ]
    assert grade.imports_of(nb) == ["import numpy as np"]


def test_the_grader_refuses_an_output_folder_inside_the_submissions(tmp_path):
    grader = grade.Grader(1, isolation="limits")
    with pytest.raises(ValueError, match="inside"):
        grader.grade(tmp_path, tmp_path / "graded")


@pytest.mark.parametrize("level", ["userns", "limits"])
def test_the_weaker_isolation_levels(tmp_path, level):
    """Without root (userns) or without namespaces (limits), grading still works and an
    endless loop still costs one exercise; only the limits level lets a submission write
    outside its folder, and the grader then says so in the table."""
    if level == "userns" and grade.detect_isolation("auto") == "limits":
        pytest.skip("no user namespaces here")
    student = student_version.student_version(fixtures.instructor_notebook())
    folder, victim = tmp_path / "submitted", tmp_path / "outside" / "victim.txt"
    folder.mkdir()
    victim.parent.mkdir()
    victim.write_text("intact")
    writes = f'from pathlib import Path\nPath("{victim}").write_text("overwritten")'
    nbformat.write(fixtures.with_answers(student, RIGHT), folder / "alice.ipynb")
    answers = hostile(
        writes,
        "ch1-ex-corner-value",
        hostile(
            "def sobel_magnitude(image):\n    while True:\n        pass", "ch1-ex-sobel", RIGHT
        ),
    )
    nbformat.write(fixtures.with_answers(student, answers), folder / "mallory.ipynb")
    limits = grade.Limits(startup_seconds=60, exercise_seconds=4)
    grader = grade.Grader(
        1, limits=limits, isolation=level, run_notebook=False, watch=[folder, victim.parent]
    )
    assert grader.level == level
    rows = {row.student: row for row in grader.grade(folder, tmp_path / "graded")}
    assert sum(r.score for r in rows["alice"].results) == 6
    mallory = {r.exercise: r.status for r in rows["mallory"].results}
    assert mallory["sobel_magnitude"] == mallory["corner_value"] == "error"
    assert list(mallory.values()).count("correct") == 4
    if level == "limits":
        assert victim.read_text() == "overwritten"
        assert "files outside its folder changed" in rows["mallory"].reason
        assert str(victim) in rows["mallory"].reason
    else:
        assert victim.read_text() == "intact" and rows["mallory"].reason == ""


def test_an_answer_that_calls_an_unfinished_stub_is_an_error_that_names_it():
    """Written, but built on another exercise's stub: not "not attempted", and the
    feedback says which function to finish first (in the sandbox's runner too)."""
    import numpy as np

    runner = importlib.import_module("grade_runner")

    def cross_correlate2d(image, kernel):
        raise NotImplementedError()

    def convolve2d_true(image, kernel):
        return cross_correlate2d(image, kernel[::-1, ::-1])

    args = (np.ones((3, 3)), np.ones((2, 2)))
    assert runner.call(cross_correlate2d, args) == {
        "raised": "NotImplementedError",
        "not_implemented": True,
    }
    outcome = runner.call(convolve2d_true, args)
    assert outcome == {
        "raised": "NotImplementedError in cross_correlate2d, which it calls and which is "
        "still a stub"
    }
