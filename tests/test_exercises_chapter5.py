"""The checkers of chapter 5 (LeNet-5): the references agree with lib and torch, classic
mistakes are named.

The generic checks of every exercise (well formed, models pass, stubs not attempted, hidden
cases) are in ``test_chapter_exercises.py``.
"""

import numpy as np
import pytest
import torch
from exercise_checks import verdict  # tests/ is on the path

import lib.exercises.chapter5 as ex
from lib.exercises import chapter_exercises
from lib.models import LeNet5, LeNet5Modern, c3_connections, digit_prototypes, parameter_table
from lib.numpy_forward import scaled_tanh
from lib.shapes import output_size


def test_exercises_are_in_the_chapters_order():
    assert [e.name for e in chapter_exercises(5)] == [
        "shapes_36",
        "conv_parameters",
        "sparse_parameters",
        "small_c3_shapes",
        "squash",
        "rbf_distances",
    ]


# --- the references agree with lib and with torch --------------------------------------------


def test_references_agree_with_the_models():
    shapes = ex._lenet5_shapes(32)
    assert shapes[-1] == (120, 1, 1)
    params = {row["layer"]: row["parameters"] for row in parameter_table(LeNet5())}
    assert ex._conv_parameters_model(1, 6, 5) == params["C1"]
    assert ex._conv_parameters_model(16, 120, 5) == params["C5"]
    modern = {row["layer"]: row["parameters"] for row in parameter_table(LeNet5Modern())}
    assert ex._conv_parameters_model(6, 16, 5) == modern["C3"]
    # C3's own count: the paper's 1,516 parameters.
    assert ex._sparse_parameters_model(c3_connections(), 5) == params["C3"] == 1516
    full = np.ones((16, 6), dtype=bool)
    assert ex._sparse_parameters_model(full, 5) == ex._conv_parameters_model(6, 16, 5)
    x = np.linspace(-5, 5, 11)
    assert np.allclose(ex._scaled_tanh_model(x), scaled_tanh(x))


def test_shapes_36_agrees_with_a_forward_pass():
    model = LeNet5()
    with torch.no_grad():
        x = torch.zeros(1, 1, 36, 36)
        shapes = []
        for layer in (model.c1, model.s2, model.c3, model.s4, model.c5):
            x = layer(x)
            shapes.append(tuple(x.shape[1:]))
    assert tuple(shapes) == ex.shapes_36.answer


def test_small_c3_shapes_agrees_with_torch():
    model = LeNet5Modern()
    model.c3 = torch.nn.Conv2d(6, 16, 3)
    x = torch.zeros(1, 1, 32, 32)
    with torch.no_grad():
        c3 = model.c3(model.s2(torch.relu(model.c1(x))))
        s4 = model.s4(c3)
        c5 = model.c5(s4)
    got = (tuple(c3.shape[1:]), tuple(s4.shape[1:]), tuple(c5.shape[1:]), c5[0].numel())
    assert got == ex.small_c3_shapes.answer
    assert output_size(14, 3) == 12


def test_rbf_reference_is_the_models_output_layer():
    from lib.models import EuclideanRBF

    rbf = EuclideanRBF(digit_prototypes())
    f6 = np.random.default_rng(0).normal(size=(4, 84)).astype(np.float32)
    expected = rbf(torch.tensor(f6)).numpy()
    assert np.allclose(ex._rbf(f6.astype(float), digit_prototypes().astype(float)), expected)


# --- the classic mistakes are named -----------------------------------------------------------


@pytest.mark.parametrize(
    ("exercise", "wrong", "name"),
    [
        (ex.conv_parameters, lambda i, o, k: o * i * k * k, "Biases forgotten"),
        (ex.conv_parameters, lambda i, o, k: o * i * (k * k + 1), "A bias per input map"),
        (ex.conv_parameters, lambda i, o, k: o * (i * k + 1), "Kernel counted as k weights"),
        (ex.conv_parameters, lambda i, o, k: o * i * k * k + 1, "One bias in all"),
        (ex.conv_parameters, lambda i, o, k: o * (k * k + 1), "A kernel per output map only"),
        (ex.sparse_parameters, lambda t, k: int(t.sum()) * k * k, "Biases forgotten"),
        (ex.sparse_parameters, lambda t, k: int(t.sum()) * (k * k + 1), "A bias per connection"),
        (ex.sparse_parameters, lambda t, k: len(t) * (t.shape[1] * k * k + 1), "Table not used"),
        (
            ex.sparse_parameters,
            lambda t, k: int(t.sum()) * k + len(t),
            "Kernel counted as k weights",
        ),
        (ex.sparse_parameters, lambda t, k: int(t.sum()) * k * k + 1, "One bias in all"),
        (
            ex.sparse_parameters,
            lambda t, k: int(t.sum()) * k * k + t.shape[1],
            "A bias per input map",
        ),
        (ex.squash, np.tanh, "Plain tanh"),
        (ex.squash, lambda a: np.tanh(2 * np.asarray(a) / 3), "Amplitude missing"),
        (ex.squash, lambda a: 1.7159 * np.tanh(a), "Slope missing"),
        (ex.squash, lambda a: 1.7159 * np.tanh(1.5 * np.asarray(a)), "Slope upside down"),
        (ex.squash, lambda a: 1.7159 * np.tanh(0.6667 * np.asarray(a)), "Slope rounded"),
        (ex.squash, lambda a: 1.716 * np.tanh(2 * np.asarray(a) / 3), "Amplitude rounded"),
        (ex.squash, lambda a: np.maximum(a, 0), "Modern activation"),
        (ex.rbf_distances, lambda f, p: np.sqrt(ex._rbf(f, p)), "Square root taken"),
        (ex.rbf_distances, lambda f, p: ex._rbf(f, p).T, "Rows and columns swapped"),
        (ex.rbf_distances, lambda f, p: f @ p.T, "Dot product"),
        (ex.rbf_distances, lambda f, p: ex._rbf(f, p) / f.shape[1], "Mean instead of sum"),
    ],
)
def test_each_classic_mistake_is_named(exercise, wrong, name, capsys):
    result = verdict(exercise, wrong, capsys)
    assert result.status == "incorrect"
    assert result.message.startswith(f"incorrect. {name}:"), result.message
    # the hidden cases name it too
    cases = exercise.cases(seed=(11, 5))
    hidden = exercise.judge(cases, exercise.outcomes(wrong, cases))
    assert hidden.message.startswith(f"incorrect. {name}:"), hidden.message


@pytest.mark.parametrize(
    ("exercise", "answer", "words"),
    [
        (ex.shapes_36, ((6, 31, 31), (6, 15, 15), (16, 10, 10), (16, 5, 5), (120, 0, 0)),
         "One row short"),
        (ex.shapes_36, ((6, 32, 32), (6, 31, 31), (16, 27, 27), (16, 26, 26), (120, 22, 22)),
         "Pooling with stride 1"),
        (ex.shapes_36, ((32, 32), (16, 16), (12, 12), (6, 6), (2, 2)), "Maps missing"),
        (ex.shapes_36, (32, 16, 12, 6, 2), "Maps missing"),
        (ex.shapes_36, (6, 32, 32), "Answer five shapes"),
        (ex.shapes_36, [[6, 32, 32]] * 5, "entries 2, 3, 4, 5 of"),
        (ex.small_c3_shapes, ((16, 12, 12), (16, 6, 6), (120, 2, 2), 120), "C5 taken as 1x1"),
        (ex.small_c3_shapes, ((16, 11, 11), (16, 5, 5), (120, 0, 0), 0), "One row short"),
        (ex.small_c3_shapes, ((16, 10, 10), (16, 5, 5), (120, 1, 1), 120),
         "The kernel was not changed"),
        (ex.small_c3_shapes, ((16, 12, 12), (16, 6, 6), (120, 2, 2), "480"), "whole numbers"),
    ],
)  # fmt: skip
def test_value_mistakes(exercise, answer, words, capsys):
    result = verdict(exercise, answer, capsys)
    assert result.status == "incorrect" and words in result.message, result.message


def test_value_answers_accept_lists_and_arrays(capsys):
    answer = [list(shape) for shape in ex.shapes_36.answer]
    assert verdict(ex.shapes_36, answer, capsys).status == "correct"
    small = [np.array(s) if isinstance(s, tuple) else s for s in ex.small_c3_shapes.answer]
    assert verdict(ex.small_c3_shapes, small, capsys).status == "correct"


def test_conv_parameters_wrong_types_are_told(capsys):
    assert "returned None" in verdict(ex.conv_parameters, lambda i, o, k: None, capsys).message
    assert "not a number" in verdict(ex.conv_parameters, lambda i, o, k: "156", capsys).message
    assert verdict(
        ex.conv_parameters, lambda i, o, k: float(o * (i * k * k + 1)), capsys
    ).status == ("correct")


def test_sparse_parameters_is_its_own_exercise_not_chapter_3s():
    """Chapter 3 builds C3's table; chapter 5 counts what it saves, under its own label."""
    from lib.exercises import chapter3

    assert ex.sparse_parameters.label == "ch5-ex-sparse-parameters"
    assert not hasattr(ex, "c3_table") and hasattr(chapter3, "c3_table")
