"""The checkers of chapter 3: the answers agree with lib and torch, classic mistakes are named.

The generic checks of every exercise (well formed, models pass, stubs not attempted, hidden
cases) are in ``test_chapter_exercises.py``.
"""

import numpy as np
import pytest
import torch
from exercise_checks import verdict  # tests/ is on the path

import lib.exercises.chapter3 as ex
from lib import conv2d
from lib.convolution import convolve2d
from lib.layers import conv2d_cost
from lib.models import c3_connections


def test_the_value_answers_agree_with_lib_and_torch():
    layer = ex.WEIGHT_LAYER
    module = torch.nn.Conv2d(layer["in_channels"], layer["out_channels"], layer["kernel_size"])
    assert tuple(module.weight.shape) == ex.weight_shape.answer
    layer = ex.PARAMETERS_LAYER
    module = torch.nn.Conv2d(layer["in_channels"], layer["out_channels"], layer["kernel_size"])
    assert sum(p.numel() for p in module.parameters()) == ex.layer_parameters.answer == 12832
    cost = conv2d_cost(**ex.MULTIPLY_ADDS_LAYER, padding=1)
    assert ex.layer_multiply_adds.answer == cost.multiply_adds == 8 * 32 * 32 * 27


@pytest.mark.parametrize(
    ("exercise", "answer", "words"),
    [
        (ex.weight_shape, [16, 6, 5, 5], "correct."),
        (ex.weight_shape, torch.Size([16, 6, 5, 5]), "correct."),
        (ex.weight_shape, 2400, "not one number"),
        (ex.weight_shape, (16.0, 6, 5, 5), "whole numbers"),
        (ex.weight_shape, (16, 6, 5), "has 3 entries, the answer 4"),
        (ex.weight_shape, (16, 6, 3, 5), "entry 3 of"),
        (ex.layer_parameters, 12832.0, "correct."),
        (ex.layer_parameters, np.int64(12832), "correct."),
        (ex.layer_parameters, "12832", "not a str"),
        (ex.layer_parameters, 12832.5, "not a whole number"),
        (ex.layer_multiply_adds, 1, "is not the answer"),
    ],
)
def test_value_answers_in_other_forms(exercise, answer, words, capsys):
    assert words in verdict(exercise, answer, capsys).message


# --- every named mistake of the function exercises ----------------------------------------------


def per_channel(x, w, correlate=conv2d):
    """(O, C, Ho, Wo): each channel correlated with its kernel, not summed."""
    return np.stack(
        [np.stack([correlate(x[c], w[o, c]) for c in range(len(x))]) for o in range(len(w))]
    )


def pointwise_reshaped(x, w, b):
    n, c, h, width = x.shape
    return (x.reshape(n, h * width, c) @ w[:, :, 0, 0].T + b).reshape(n, -1, h, width)


def pointwise_batch_mixed(x, w, b):
    n, c, h, width = x.shape
    return (w[:, :, 0, 0] @ x.reshape(c, -1) + b[:, None]).reshape(n, -1, h, width)


def no_wraparound():
    table = c3_connections().copy()
    table[4, 0] = table[5, :2] = False
    table[9, 0] = table[10, :2] = table[11, :3] = False
    return table


MISTAKES = {
    "conv2d_multichannel": [
        (lambda x, w, b: conv2d(x, w), "Bias forgotten"),
        (lambda x, w, b: per_channel(x, w).sum(1) + len(x) * b[:, None, None], "once per input"),
        (lambda x, w, b: per_channel(x, w) + b[:, None, None, None], "Input channels not summed"),
        (
            lambda x, w, b: np.stack([conv2d(x.sum(0), k.sum(0)) for k in w]) + b[:, None, None],
            "Channels summed in the wrong place",
        ),
        (lambda x, w, b: conv2d(x, w, b).transpose(1, 2, 0), "Channels last"),
        (lambda x, w, b: conv2d(x[-1:], w[:, -1:], b), "One input channel only"),
        (lambda x, w, b: conv2d(x[:1], w[:, :1], b), "One input channel only"),
        (
            lambda x, w, b: per_channel(x, w, convolve2d).sum(1) + b[:, None, None],
            "Kernel flipped",
        ),
        (lambda x, w, b: None, "returned None"),
    ],
    "pointwise_conv": [
        (pointwise_reshaped, "Reshaped instead of transposed"),
        (pointwise_batch_mixed, "Batch and channels mixed"),
        (lambda x, w, b: conv2d(x, w), "Bias forgotten"),
        (lambda x, w, b: conv2d(x, w, b).transpose(0, 2, 3, 1), "Channels last"),
        (lambda x, w, b: conv2d(x, w, b)[0], "shape"),
    ],
    "c3_table": [
        (lambda: c3_connections().T, "Table transposed"),
        (no_wraparound, "No wrap-around"),
        (lambda: c3_connections()[:15], "shape (15, 6)"),
        (lambda: ~c3_connections(), "entries are wrong"),
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
    cases = exercise.cases(seed=(11, 3))  # the same diagnosis on the grader's hidden cases
    assert diagnosis in exercise.judge(cases, exercise.outcomes(wrong, cases)).message


def test_verdicts_never_show_the_expected_values(capsys):
    def off(x, w, b):
        return conv2d(x, w, b) + 0.5

    text = " ".join(str(verdict(ex.conv2d_multichannel, off, capsys)).split())
    expected = conv2d(*ex.conv2d_multichannel.cases()[0].args)
    assert f"{expected.flat[0]:.3f}" not in text
    assert "entries are wrong" in text
