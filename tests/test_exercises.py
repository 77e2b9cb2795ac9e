"""The checker machinery of lib.exercises, chapter 1's checkers, and the student version of
the notebooks.

The generic checks of every exercise (well formed, models pass, stubs not attempted, hidden
cases) are in ``test_chapter_exercises.py``.
"""

import doctest
import importlib
import inspect
import sys
from pathlib import Path

import exercise_notebooks  # tests/ is on the path
import nbformat
import numpy as np
import pytest
from exercise_checks import verdict

from lib import conv2d, convolve2d
from lib.exercises import chapter1 as ex
from lib.exercises import chapter_exercises
from lib.exercises.checker import Case, FunctionExercise, Mistake, Outcome, ValueExercise
from lib.kernels import SOBEL_X

ROOT = Path(__file__).resolve().parent.parent


sys.path.insert(0, str(ROOT / "tools"))
student_version = importlib.import_module("student_version")


@pytest.mark.parametrize("name", ["student_version", "grade_runner", "grade", "student_downloads"])
def test_the_tools_docstring_examples(name):
    """tools/ is outside pytest's doctest paths: run their examples here."""
    failures, _ = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert failures == 0


# --- the machinery ---------------------------------------------------------------------------


def test_chapter_exercises_refuses_unknown_chapters():
    with pytest.raises(ValueError, match="no exercises"):
        chapter_exercises(99)
    with pytest.raises(ValueError, match="start with its number"):
        chapter_exercises("convolution")


def test_hints_come_one_level_at_a_time_then_say_none_are_left(capsys):
    exercise = FunctionExercise(
        "f",
        "ex-f",
        reference=abs,
        model=abs,
        make_cases=lambda rng, hidden: [Case((np.array([-1.0, 2.0]),), "two numbers")],
        hints=["first", "second"],
    )
    wrong = lambda x: x  # noqa: E731
    assert exercise.verdict(wrong).advice == " ex.f.hint() gives a hint."
    exercise.hint()
    exercise.hint()
    exercise.hint()
    assert capsys.readouterr().out.splitlines() == [
        "Hint 1 of 2: first",
        "Hint 2 of 2: second",
        "No more hints (2 in all): hint(n) shows hint n again, solution() a solution.",
    ]
    # After the last hint, a wrong answer's verdict no longer offers one more.
    result = exercise.verdict(wrong)
    assert result.advice == " ex.f.hint(n) shows hint n again, ex.f.solution() a solution."
    assert "hint() gives" not in str(result)
    exercise.hint(1)
    assert capsys.readouterr().out == "Hint 1 of 2: first\n"
    for bad in (0, 3, "1", True):
        with pytest.raises(ValueError, match="n must be a hint's number, 1 to 2"):
            exercise.hint(bad)


def test_hint_n_counts_as_seen():
    exercise = ValueExercise("v", "ex-v", answer=1, hints=["a", "b"])
    exercise.hint(2)
    assert exercise.verdict(2).advice.startswith(" ex.v.hint(n) shows hint n again")


def test_check_output_is_deterministic(capsys):
    wrong = lambda image, kernel: convolve2d(image, kernel)  # noqa: E731
    first = verdict(ex.cross_correlate2d, wrong, capsys)
    second = verdict(ex.cross_correlate2d, wrong, capsys)
    assert str(first) == str(second)
    assert "0x" not in str(first)


def test_an_exception_is_reported_by_name_without_a_traceback(capsys):
    def broken(image, kernel):
        return image[100]

    result = verdict(ex.cross_correlate2d, broken, capsys)
    assert result.status == "error"
    assert "IndexError: index 100 is out of bounds" in str(result)
    assert "Traceback" not in str(result)


def test_check_wants_the_function_itself(capsys):
    result = verdict(
        ex.cross_correlate2d, ex.cross_correlate2d.model(np.ones((2, 2)), np.ones((1, 1))), capsys
    )
    assert result.status == "error" and "got a ndarray" in str(result)


def test_verdicts_never_show_the_expected_array(capsys):
    def off(image, kernel):
        return conv2d(image, kernel) + 1

    text = str(verdict(ex.cross_correlate2d, off, capsys))
    expected = conv2d(*ex.cross_correlate2d.cases()[0].args)
    assert str(expected[0, 0]) not in text.split("the first at")[0]
    assert "entries are wrong, the first at [0, 0]" in text


def test_a_function_that_changes_its_input_is_told(capsys):
    def in_place(image, kernel):
        out = conv2d(image, kernel)
        image[...] = 0
        return out

    assert "changed its input" in str(verdict(ex.cross_correlate2d, in_place, capsys))


def test_check_on_hidden_cases(capsys):
    result = ex.cross_correlate2d.check(ex.cross_correlate2d.model, seed=12345)
    assert (
        result.message == f"correct ({len(ex.cross_correlate2d.cases(12345))} of "
        f"{len(ex.cross_correlate2d.cases(12345))} cases)."
    )
    assert len(ex.cross_correlate2d.cases(12345)) > len(ex.cross_correlate2d.cases())
    capsys.readouterr()


def test_outcome_and_judge_are_separate_steps():
    cases = ex.cross_correlate2d.cases(seed=5)
    outcomes = [Outcome(value=conv2d(*case.args)) for case in cases]
    assert ex.cross_correlate2d.judge(cases, outcomes).status == "correct"
    outcomes[-1] = Outcome(raised="TimeoutError: too slow")
    result = ex.cross_correlate2d.judge(cases, outcomes)
    assert result.status == "error" and "TimeoutError: too slow" in result.message


def test_a_mistake_must_explain_every_case():
    """A mistake is named only when it explains all the outputs, not just one."""
    exercise = FunctionExercise(
        "double",
        "ex-double",
        reference=lambda x: 2 * x,
        model=lambda x: 2 * x,
        make_cases=lambda rng, hidden: [
            Case((np.array([0]),), "zero"),
            Case((np.array([3]),), "three"),
        ],
        mistakes=[Mistake("squared", "you squared it.", gives=lambda x: x**2)],
        hints=["Add it to itself."],
    )
    squares = exercise.judge(
        exercise.cases(), [Outcome(value=np.array([0])), Outcome(value=np.array([9]))]
    )
    assert squares.message.startswith("incorrect. Squared")
    other = exercise.judge(
        exercise.cases(), [Outcome(value=np.array([0])), Outcome(value=np.array([7]))]
    )
    assert "Squared" not in other.message and "On three" in other.message


# --- chapter 1: every named mistake is recognised ------------------------------------------------


def sobel_with(kx, ky, combine=np.hypot, padding=0):
    def sobel(image):
        image = np.asarray(image, dtype=float)
        return combine(conv2d(image, kx, padding=padding), conv2d(image, ky, padding=padding))

    return sobel


SX = SOBEL_X.astype(float)
PREWITT = np.array([[-1.0, 0, 1], [-1, 0, 1], [-1, 0, 1]])


def pad_then_correlate(sides, mode="constant"):
    def same(image, kernel):
        kh, kw = kernel.shape
        return conv2d(np.pad(image, sides(kh, kw), mode=mode), kernel)

    return same


def grown(image, kernel):
    right = conv2d(image, kernel)
    out = np.zeros((right.shape[0] + 1, right.shape[1] + 1), dtype=right.dtype)
    out[:-1, :-1] = right
    return out


def products_wrapped(prepare):
    """A loop with an int64 output whose products are taken in the inputs' type:
    ``np.sum(window * kernel)``, where a uint8 window times a uint8 kernel wraps."""

    def answer(image, kernel):
        image, kernel = prepare(image, kernel)
        kh, kw = kernel.shape
        rows, cols = image.shape[0] - kh + 1, image.shape[1] - kw + 1
        dtype = np.result_type(image, kernel)
        out = np.zeros((rows, cols), np.int64 if dtype.kind in "iu" else dtype)
        for y in range(rows):
            for x in range(cols):
                out[y, x] = np.sum(image[y : y + kh, x : x + kw] * kernel)
        return out

    return answer


def one_converted(which, prepare=lambda i, k: (i, k), same=False):
    """A loop that converts only ``which`` ("image" or "kernel") to int64, whatever its
    kind (as the chapter converts its uint8 photograph), then follows the rule:
    ``prepare`` turns the kernel for true convolution, ``same`` pads for 'same'."""

    def answer(image, kernel):
        if which == "image":
            image = image.astype(np.int64)
        else:
            kernel = kernel.astype(np.int64)
        image, kernel = prepare(image, kernel)
        if same:
            image = np.pad(image, ((kernel.shape[0] // 2,) * 2, (kernel.shape[1] // 2,) * 2))
        return conv2d(image, kernel)  # np.result_type: float64 when either is float

    return answer


LOOP_EXERCISES = {
    "cross_correlate2d": {},
    "convolve2d_true": {"prepare": lambda i, k: (i, k[::-1, ::-1])},
    "correlate_same": {"same": True},
}


@pytest.mark.parametrize("which", ["image", "kernel"])
@pytest.mark.parametrize("name", sorted(LOOP_EXERCISES))
def test_a_float_array_converted_to_int64_alone_is_named(name, which, capsys):
    """Converting one array to int64 without looking at its kind cuts a float image's or
    kernel's fractions, while the output stays float64: named by which array, on the
    public cases (seen on a float image) and on every hidden set tried; and the mistake
    never explains a right output, nor what the other conversion gives."""
    exercise, answer = getattr(ex, name), one_converted(which, **LOOP_EXERCISES[name])
    words = f"Float {which} converted to int64: your {which}.astype(np.int64)"
    result = verdict(exercise, answer, capsys)
    assert result.status == "incorrect" and words in result.message
    assert "float image" in result.message.split("(Seen on")[1]
    other = "kernel" if which == "image" else "image"
    mistake = next(m for m in exercise.mistakes if m.name == f"float {which} converted to int64")
    for seed in (None, 1, 2, 3, 4, 5, 6, 7, (11, 3)):
        cases = exercise.cases(seed)
        assert words in exercise.judge(cases, exercise.outcomes(answer, cases)).message
        for case in cases:
            assert mistake.explains(exercise.reference(*case.args), case.args) is None
        others = one_converted(other, **LOOP_EXERCISES[name])
        explained = [mistake.explains(others(*c.args), c.args) for c in cases]
        assert not all(v is not False for v in explained)


def test_one_array_converted_then_stored_in_its_dtype_is_told_to_keep_floats(capsys):
    """``image = image.astype(np.int64)`` and then dtype=image.dtype: a float image's
    fractions cut, and a float kernel's results stored as integers. "Float results stored
    as integers" names it, whose advice (convert only the integer arrays) mends both."""

    def answer(image, kernel):
        image = image.astype(np.int64)
        return conv2d(image, kernel).astype(image.dtype)

    result = verdict(ex.cross_correlate2d, answer, capsys)
    assert "Float results stored as integers" in result.message
    assert "Convert only the integer arrays" in result.message


def test_the_public_cases_hold_a_uint8_crop_as_the_kernel():
    """Template matching with a crop of the photograph: the case where NumPy's result type
    of image and kernel is uint8 itself, and the dtype rule of the exercises matters."""
    for exercise in (ex.cross_correlate2d, ex.convolve2d_true, ex.correlate_same):
        for seed in (None, 4):
            crops = [
                c for c in exercise.cases(seed) if c.args[0].dtype == c.args[1].dtype == np.uint8
            ]
            assert len(crops) == 1 and "crop" in crops[0].description
            image, kernel = crops[0].args
            right = exercise.reference(image, kernel)
            assert not np.array_equal(right.astype(np.uint8), right)  # uint8 would wrap


def test_the_models_follow_the_int64_rule(capsys):
    for exercise in (ex.cross_correlate2d, ex.convolve2d_true, ex.correlate_same):
        for seed in (None, 9):
            assert exercise.check(exercise.model, seed=seed).status == "correct"
        capsys.readouterr()
        assert "np.int64" in inspect.getsource(exercise.model)


MISTAKES = {
    "cross_correlate2d": [
        (lambda i, k: convolve2d(i, k), "Kernel flipped"),
        (lambda i, k: conv2d(i, k[::-1]), "Kernel flipped upside down"),
        (lambda i, k: conv2d(i, k[:, ::-1]), "Kernel flipped left to right"),
        (lambda i, k: conv2d(i, k).T, "Rows and columns swapped"),
        (lambda i, k: conv2d(i, k)[:-1, :-1], "One window short"),
        (lambda i, k: conv2d(i, k)[:, :-1], "One window short"),
        (grown, "One window too many"),
        (lambda i, k: conv2d(i, k).astype(float), "dtype is float64"),
        (lambda i, k: conv2d(i, k).astype(np.result_type(i, k)), "Small integers wrap around"),
        (products_wrapped(lambda i, k: (i, k)), "Small integers wrap around"),
        (lambda i, k: None, "returned None"),
        (lambda i, k: conv2d(i, k).tolist(), "returned a list, not a NumPy array"),
    ],
    "convolve2d_true": [
        (lambda i, k: conv2d(i, k), "Kernel not flipped"),
        (lambda i, k: conv2d(i, k[::-1]), "Kernel flipped upside down only"),
        (lambda i, k: conv2d(i, k[:, ::-1]), "Kernel flipped left to right only"),
        (lambda i, k: convolve2d(i, k).T, "Rows and columns swapped"),
        (lambda i, k: convolve2d(i, k)[:-1, :-1], "One window short"),
        (lambda i, k: convolve2d(i, k).astype(np.result_type(i, k)), "Small integers wrap"),
        (products_wrapped(lambda i, k: (i, k[::-1, ::-1])), "Small integers wrap around"),
    ],
    "correlate_same": [
        (lambda i, k: conv2d(i, k), "No padding"),
        (
            pad_then_correlate(lambda kh, kw: ((kh // 2 + 1,) * 2, (kw // 2 + 1,) * 2)),
            "Padding one too many",
        ),
        (
            pad_then_correlate(lambda kh, kw: ((kh - 1, 0), (kw - 1, 0))),
            "Padding on the top and left only",
        ),
        (
            pad_then_correlate(lambda kh, kw: ((0, kh - 1), (0, kw - 1))),
            "Padding on the bottom and right only",
        ),
        (
            pad_then_correlate(lambda kh, kw: ((kh // 2,) * 2, (kw // 2,) * 2), "reflect"),
            "Reflect padding",
        ),
        (
            pad_then_correlate(lambda kh, kw: ((kh // 2,) * 2, (kw // 2,) * 2), "edge"),
            "Replicate padding",
        ),
        (lambda i, k: convolve2d(i, k, mode="same"), "Kernel flipped"),
        (
            lambda i, k: conv2d(i, k, padding="same").astype(np.result_type(i, k)),
            "Small integers wrap around",
        ),
        (
            products_wrapped(
                lambda i, k: (np.pad(i, ((k.shape[0] // 2,) * 2, (k.shape[1] // 2,) * 2)), k)
            ),
            "Small integers wrap around",
        ),
    ],
    "sobel_magnitude": [
        (sobel_with(SX, SX.T, lambda gx, gy: gx), "Only one direction, x"),
        (sobel_with(SX, SX.T, lambda gx, gy: np.abs(gy)), "Only one direction, y"),
        (sobel_with(SX, SX.T, lambda gx, gy: gx**2 + gy**2), "Square root missing"),
        (sobel_with(SX, SX.T, lambda gx, gy: abs(gx) + abs(gy)), "Absolute values added"),
        (sobel_with(SX, SX), "The same kernel twice"),
        (sobel_with(SX.T, SX.T), "The same kernel twice"),
        (sobel_with(PREWITT, PREWITT.T), "Prewitt's kernels"),
        (sobel_with(SX, SX.T, padding=1), "'same' output"),
        (lambda image: sobel_with(SX, SX.T)(image).T, "Rows and columns swapped"),
        (lambda image: np.round(sobel_with(SX, SX.T)(image)).astype(int), "dtype is int64"),
    ],
}


@pytest.mark.parametrize(
    ("name", "wrong", "diagnosis"),
    [(name, wrong, d) for name, pairs in MISTAKES.items() for wrong, d in pairs],
    ids=[f"{name}-{d}" for name, pairs in MISTAKES.items() for _, d in pairs],
)
def test_each_classic_mistake_is_named(name, wrong, diagnosis, capsys):
    exercise = getattr(ex, name)
    result = verdict(exercise, wrong, capsys)
    assert result.status == "incorrect" and result.score == 0
    assert diagnosis in result.message
    # The same diagnosis on hidden cases, as the grader sees them.
    cases = exercise.cases(seed=(11, 3))
    assert diagnosis in exercise.judge(cases, exercise.outcomes(wrong, cases)).message


@pytest.mark.parametrize(
    ("answer", "status", "words"),
    [
        (27, "correct", "correct."),
        (np.int64(27), "correct", "correct."),
        (27.0, "correct", "correct."),
        (..., "not attempted", "replace the ..."),
        (None, "not attempted", "replace the ..."),
        (8, "incorrect", "Kernel flipped"),
        (20, "incorrect", "Kernel transposed"),
        (32, "incorrect", "one column to the right"),
        (24, "incorrect", "one row down"),
        (15, "incorrect", "Kernel left out"),
        (-27, "incorrect", "Sign"),
        (26, "incorrect", "26 is not the answer"),
        (27.5, "incorrect", "not a whole number"),
        ("27", "incorrect", "not a str"),
        ([27, 1], "incorrect", "not a list"),
    ],
)
def test_corner_value(answer, status, words, capsys):
    result = verdict(ex.corner_value, answer, capsys)
    assert result.status == status and words in result.message


def test_corner_value_matches_the_constants_and_its_mistakes_are_distinct():
    window = ex.CORNER_IMAGE[:2, :2]
    assert ex.corner_value.answer == int((window * ex.CORNER_KERNEL).sum()) == 27
    assert int((window * ex.CORNER_KERNEL[::-1, ::-1]).sum()) == 8
    assert ex.corner_value.answer not in ex.corner_value.mistakes


@pytest.mark.parametrize(
    ("answer", "status", "words"),
    [
        ((5, 4), "correct", "correct."),
        ([5, 4], "correct", "correct."),
        (np.array([5, 4]), "correct", "correct."),
        (..., "not attempted", "replace the ..."),
        ((4, 3), "incorrect", "Off by one"),
        ((4, 5), "incorrect", "Rows and columns swapped"),
        ((6, 3), "incorrect", "Kernel's axes swapped"),
        ((9, 6), "incorrect", "Full size"),
        ((7, 5), "incorrect", "Same size"),
        (20, "incorrect", "not one number"),
        ((5.0, 4.0), "incorrect", "whole numbers"),
        ((5, 4, 1), "incorrect", "like (3, 3)"),
    ],
)
def test_output_shape(answer, status, words, capsys):
    result = verdict(ex.output_shape, answer, capsys)
    assert result.status == status and words in result.message


def test_output_shape_agrees_with_lib():
    image, kernel = np.zeros(ex.SHAPE_IMAGE), np.zeros(ex.SHAPE_KERNEL)
    assert conv2d(image, kernel).shape == ex.output_shape.answer


def test_a_value_exercise_without_mistakes():
    exercise = ValueExercise("n", "ex-n", answer=3, hints=[])
    assert exercise.judge(exercise.cases(), [Outcome(value=4)]).message == (
        "incorrect: 4 is not the answer."
    )


# --- the student version ---------------------------------------------------------------------


def test_remove_directives_keeps_everything_else():
    text = (
        "Intro.\n\n````{solution} ex-1\n:class: dropdown\n```python\nx = 1\n```\n````\n"
        "Middle.\n:::{exercise} Title\n:label: ex-2\nDo it.\n:::\n::::{solution} ex-2\n"
        ":::{note}\nnested\n:::\n::::\nEnd."
    )
    kept, found = student_version.remove_directives(text)
    assert kept == "Intro.\n\nMiddle.\n:::{exercise} Title\n:label: ex-2\nDo it.\n:::\nEnd."
    assert found == [("solution", "ex-1"), ("solution", "ex-2")]


def test_student_version_of_the_fixture(tmp_path):
    source = tmp_path / "01_mini.ipynb"
    nbformat.write(exercise_notebooks.instructor_notebook(), source)
    before = source.read_text()
    target = student_version.write_student_version(source, tmp_path / "student")
    assert source.read_text() == before, "the instructor's notebook is left as it was"
    nb = nbformat.read(target, as_version=4)
    text = "\n".join(cell.source for cell in nb.cells)
    assert "SOLUTION" not in text and "{solution" not in text
    assert "np.result_type" not in text and "= 27" not in text and "(5, 4)" not in text
    assert "corner_value = ...  # YOUR ANSWER HERE" in text
    assert text.count("raise NotImplementedError()") == 4
    assert all(cell.get("outputs", []) == [] for cell in nb.cells if cell.cell_type == "code")
    answers = [c for c in nb.cells if student_version.is_solution_cell(c)]
    assert [c.metadata.nbgrader.grade_id for c in answers] == [
        e[1] for e in exercise_notebooks.EXERCISES
    ]
    assert all(c.metadata.deletable is False for c in answers)
    checks = [c for c in nb.cells if c.cell_type == "code" and ".check(" in c.source]
    assert len(checks) == 6 and all(c.metadata.editable is False for c in checks)
    assert "Some text, then a worked example." in text and "Gone." not in text


def test_student_version_runs_clean_and_every_check_says_not_attempted(tmp_path):
    source = tmp_path / "01_mini.ipynb"
    nbformat.write(exercise_notebooks.instructor_notebook(), source)
    target = student_version.write_student_version(source, tmp_path / "student")
    assert student_version.run_problems(target) == []


def test_student_version_drops_the_whole_gated_solution_but_the_answer_cell():
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    answer = code(
        "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION",
        metadata=exercise_notebooks.nbgrader("ex-f", solution=True),
    )
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        md("Before.\n\n```{solution-start} ex-f\n:class: dropdown\n```"),
        md("Why it works."),
        answer,
        code("print(f())"),
        md("```{solution-end}\n```\nAfter."),
        code("secret = 1", metadata={"tags": ["instructor-only"]}),
    ]
    student = student_version.student_version(nb)
    sources = [c.source for c in student.cells if "student-note" not in c.metadata.get("tags", [])]
    assert sources == [
        "Before.",
        "def f():\n    # YOUR CODE HERE\n    raise NotImplementedError()",
        "After.",
    ]


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        (["```{solution-start} a\n```", "```{solution-start} b\n```"], "inside the open"),
        (["```{solution-end}\n```"], "without start"),
        (["```{solution-start} a\n```"], "has no solution-end"),
    ],
)
def test_student_version_refuses_broken_gates(cells, message):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(c) for c in cells]
    with pytest.raises(student_version.StudentVersionError, match=message):
        student_version.student_version(nb)


def test_student_version_refuses_an_answer_cell_without_markers():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "x = 1", metadata=exercise_notebooks.nbgrader("ex-x", solution=True)
        )
    ]
    with pytest.raises(student_version.StudentVersionError, match="without"):
        student_version.student_version(nb)


def test_top_level_stubs():
    stub_of = student_version.top_level_stub
    assert stub_of("### BEGIN SOLUTION\na = 1\nb: int = 2\n### END SOLUTION") == (
        "a = ...  # YOUR ANSWER HERE\nb = ...  # YOUR ANSWER HERE"
    )
    assert stub_of("### BEGIN SOLUTION\ndef g(x, y=2):\n    return x\n### END SOLUTION") == (
        "def g(x, y=2):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    )
    with pytest.raises(student_version.StudentVersionError, match="must assign"):
        stub_of("### BEGIN SOLUTION\nprint(1)\n### END SOLUTION")


CHAPTERS_WITH_ANSWERS = [
    path
    for path in sorted((ROOT / "chapters").glob("[0-9]*.ipynb"))
    if any(student_version.is_solution_cell(c) for c in nbformat.read(path, as_version=4).cells)
]


@pytest.mark.parametrize("path", CHAPTERS_WITH_ANSWERS, ids=lambda p: p.name)
def test_student_version_of_each_chapter_runs_clean(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    exercises = {e.label: e for e in chapter_exercises(path.name)}
    labels = [c.metadata.nbgrader.grade_id for c in nb.cells if student_version.is_solution_cell(c)]
    assert set(labels) == set(exercises), (
        "every exercise of lib has its answer cell, and only those"
    )
    target = student_version.write_student_version(path, tmp_path)
    assert student_version.run_problems(target) == []


def test_progress_checks_every_exercise_of_the_chapter_again(capsys):
    namespace = {
        "corner_value": 27,
        "output_shape": (4, 5),
        "cross_correlate2d": lambda image, kernel: conv2d(image, kernel),
        "convolve2d_true": 7,
    }
    results = ex.progress(namespace)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Chapter 1: 2 of 6 points."
    assert [r.status for r in results] == [
        "correct",
        "incorrect",
        "correct",
        "error",
        "not attempted",
        "not attempted",
    ]
    assert out[1] == "  corner_value: correct."
    assert "Rows and columns swapped" in out[2] and "must be a function" in "\n".join(out)
    assert "not defined: run its answer cell" in out[-1]
    # Without a namespace, the caller's global variables: a notebook's.
    notebook = {"ex": ex, "corner_value": 27}
    exec("results = ex.progress()", notebook)
    assert [r.status for r in notebook["results"]][:2] == ["correct", "not attempted"]
    capsys.readouterr()


def test_the_exercises_data_are_the_same_in_the_notebook_and_in_the_grader():
    """``ex.NAME`` data come from lib.exercises.data, which the grader's stand-in for the
    checkers offers under the same names."""
    import grade_runner

    from lib.exercises import data

    for chapter, names in data.PUBLIC.items():
        module = importlib.import_module(f"lib.exercises.chapter{chapter}")
        stand_in = type(sys)("stand_in")
        stand_in.__name__ = f"lib.exercises.chapter{chapter}"
        grade_runner._DataLoader(chapter).exec_module(stand_in)
        for name in names:
            assert np.array_equal(getattr(stand_in, name), getattr(module, name)), name
        exercise = chapter_exercises(chapter)[0].name
        with pytest.raises(AttributeError, match="not available while a submission is graded"):
            getattr(stand_in, exercise)


CHAPTER_NOTEBOOKS = sorted((ROOT / "chapters").glob("[0-9]*.ipynb"))


@pytest.mark.parametrize("chapter", CHAPTER_NOTEBOOKS, ids=lambda p: p.stem)
def test_the_published_student_version_is_current(chapter):
    """chapters/student/ is what the website's buttons hand out: the chapter as it is,
    solutions out. `make execute NB=<chapter>` rewrites it; this fails when it was not."""
    published = ROOT / "chapters" / "student" / chapter.name
    assert published.is_file(), f"{published} is missing: run make execute NB={chapter}"
    fresh = student_version.student_version(nbformat.read(chapter, 4))
    stored = nbformat.read(published, 4)

    def cells(nb):
        return [(c.cell_type, c.source, c.get("id")) for c in nb.cells]

    assert cells(stored) == cells(fresh), (
        f"{published} is older than {chapter.name}: run make execute NB={chapter}"
    )
    # Stored executed, as every notebook of the book: nothing left unchecked or blank.
    unexecuted = [
        i for i, c in enumerate(stored.cells) if c.cell_type == "code" and not c.execution_count
    ]
    assert unexecuted == [], f"{published}: code cells never executed: {unexecuted}"


def test_every_published_student_version_has_its_chapter():
    published = {p.name for p in (ROOT / "chapters" / "student").glob("*.ipynb")}
    assert published == {p.name for p in CHAPTER_NOTEBOOKS}
