"""The checkers of chapter 2: the answers agree with lib, mistakes are named.

The generic checks of every exercise (well formed, models pass, stubs not attempted, hidden
cases) are in ``test_chapter_exercises.py``.
"""

import numpy as np
import pytest
from exercise_checks import verdict  # tests/ is on the path

from lib import output_size
from lib.exercises import chapter2 as ex
from lib.shapes import same_padding, unread_positions


def test_the_answers_agree_with_lib():
    assert ex.predicted_sizes.answer == tuple(output_size(*layer) for layer in ex.PREDICT_LAYERS)
    assert ex.predicted_sizes.answer == (28, 14, 3, 5)
    assert output_size(28, 5, padding=ex.lenet_padding.answer) == 28
    per_side, size = ex.blog_convention.answer
    assert 2 * per_side == ex.BLOG_P and (ex.BLOG_N - ex.BLOG_K + ex.BLOG_P) // ex.BLOG_S + 1 == 4
    assert size == output_size(ex.BLOG_N, ex.BLOG_K, ex.BLOG_S, ex.BLOG_P) == 5


@pytest.mark.parametrize(
    ("exercise", "answer", "words"),
    [
        (ex.predicted_sizes, (28, 14, 4, 5), "entry 3 of"),
        (ex.predicted_sizes, (27, 14, 4, 5), "entries 1, 3 of"),
        (ex.predicted_sizes, (28, 14, 3), "tuple of 4 numbers"),
        (ex.predicted_sizes, 28, "not one number"),
        (ex.predicted_sizes, (28.0, 14, 3, 5), "whole numbers"),
        (ex.predicted_sizes, np.array([28, 14, 3, 5]), "correct."),
        (ex.lenet_padding, 2.0, "correct."),
        (ex.lenet_padding, 2.5, "whole number"),
        (ex.lenet_padding, 7, "7 is not the answer"),
        (ex.blog_convention, (1, 4), "The blog's size"),
        (ex.blog_convention, [1, 5], "correct."),
        (ex.blog_convention, (3, 5), "entry 1 of"),
    ],
)
def test_value_verdicts(exercise, answer, words, capsys):
    assert words in str(verdict(exercise, answer, capsys))


# --- every named mistake of the functions is recognised ----------------------------------------


def size_rule(rule):
    def size(n, kernel_size, stride=1, padding=0, dilation=1):
        return rule(n, kernel_size, stride, padding, dilation)

    return size


def tf_rule(outputs=lambda n, s: -(-n // s), clamp=True, after_first=True, total=None):
    def padding(n, kernel_size, stride):
        t = (
            (outputs(n, stride) - 1) * stride + kernel_size - n
            if total is None
            else total(n, kernel_size, stride)
        )
        t = max(t, 0) if clamp else t
        small, large = t // 2, t - t // 2
        return (small, large) if after_first else (large, small)

    return padding


def unread_rule(windows=lambda n, k, s: (n - k) // s + 1, keep=None):
    def unread(n, kernel_size, stride):
        read = np.zeros(n, dtype=bool)
        for w in range(windows(n, kernel_size, stride)):
            read[w * stride : w * stride + kernel_size] = True
        found = np.flatnonzero(~read)
        return found if keep is None else keep(found, n, kernel_size, stride)

    return unread


def tail(n, k, s):
    return np.arange(((n - k) // s) * s + k, n)


MISTAKES = {
    "conv_output_size": [
        (size_rule(lambda n, k, s, p, d: -(-(n + 2 * p - d * (k - 1) - 1) // s) + 1), "Ceil"),
        (size_rule(lambda n, k, s, p, d: (n + 2 * p - d * (k - 1) - 1) // s), "+ 1 is missing"),
        (size_rule(lambda n, k, s, p, d: (n + p - d * (k - 1) - 1) // s + 1), "counted once"),
        (size_rule(lambda n, k, s, p, d: (n + 2 * p - k) // s + 1), "Dilation ignored"),
        (
            size_rule(lambda n, k, s, p, d: (n + 2 * p - (d + 1) * (k - 1) - 1) // s + 1),
            "Dilation counted as gaps",
        ),
        (size_rule(lambda n, k, s, p, d: (n + 2 * p - d * (k - 1)) // s), "Stride applied"),
        (size_rule(lambda n, k, s, p, d: (n + 2 * p - d * (k - 1) - 1) / s + 1), "Division not"),
        (size_rule(lambda n, k, s, p, d: float(output_size(n, k, s, p, d))), "return an int"),
        (size_rule(lambda n, k, s, p, d: str(output_size(n, k, s, p, d))), "not an int"),
    ],
    "tf_same_padding": [
        (tf_rule(after_first=False), "Extra pixel at the start"),
        (tf_rule(total=lambda n, k, s: k - 1), "Stride-1 rule for every stride"),
        (tf_rule(clamp=False), "Negative padding"),
        (tf_rule(outputs=lambda n, s: n // s), "Floor of n / s"),
        (tf_rule(outputs=lambda n, s: n), "N windows instead"),
        (lambda n, k, s: same_padding(n, k, s, convention="tensorflow")[0], "not a pair"),
    ],
    "unread_pixels": [
        (unread_rule(keep=lambda found, n, k, s: tail(n, k, s)), "The tail only"),
        (
            unread_rule(keep=lambda found, n, k, s: np.setdiff1d(found, tail(n, k, s))),
            "The gaps only",
        ),
        (unread_rule(windows=lambda n, k, s: -(-(n - k) // s) + 1), "One window too many"),
        (unread_rule(windows=lambda n, k, s: (n - k) // s), "One window too few"),
        (
            lambda n, k, s: np.setdiff1d(np.arange(n), unread_positions(n, k, s)),
            "The read pixels",
        ),
        (lambda n, k, s: unread_positions(n, k, s)[::-1], "not in increasing order"),
        (lambda n, k, s: None, "not an array of positions"),
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
    cases = exercise.cases(seed=(11, 3))
    assert diagnosis in exercise.judge(cases, exercise.outcomes(wrong, cases)).message


def test_unread_pixels_accepts_a_list():
    def as_list(n, k, s):
        return unread_positions(n, k, s).tolist()

    cases = ex.unread_pixels.cases()
    assert ex.unread_pixels.judge(cases, ex.unread_pixels.outcomes(as_list, cases)).status == (
        "correct"
    )
