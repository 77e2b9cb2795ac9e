"""The checkers of chapter 5 (LeNet-5): model solutions pass, classic mistakes are named,
stubs are not attempted, hidden cases differ from public ones."""

import doctest

import numpy as np
import pytest
import torch

import lib.exercises.chapter5 as ex
from lib.exercises import chapter_exercises
from lib.models import LeNet5, LeNet5Modern, c3_connections, digit_prototypes, parameter_table
from lib.numpy_forward import scaled_tanh
from lib.shapes import output_size

FUNCTIONS = [e for e in ex.EXERCISES if e.kind == "function"]
VALUES = [e for e in ex.EXERCISES if e.kind == "value"]


def verdict(exercise, answer, capsys):
    result = exercise.check(answer)
    assert capsys.readouterr().out == str(result) + "\n"
    return result


def stub(*args):
    raise NotImplementedError()


def test_the_module_doctests():
    failures, _ = doctest.testmod(ex, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert failures == 0


def test_exercises_are_well_formed_and_in_order():
    assert [e.name for e in chapter_exercises(5)] == [
        "shapes_36",
        "conv_parameters",
        "c3_table",
        "small_c3_shapes",
        "squash",
        "rbf_distances",
    ]
    labels = [e.label for e in ex.EXERCISES]
    assert len(set(labels)) == len(labels)
    assert all(label.startswith("ch5-ex-") for label in labels)
    assert all(2 <= len(e.hints) <= 4 for e in ex.EXERCISES)


@pytest.mark.parametrize("exercise", FUNCTIONS, ids=lambda e: e.name)
def test_solution_prints_a_model_that_passes(exercise, capsys):
    exercise.solution()
    source = capsys.readouterr().out.split("\n\n", 1)[1]
    assert source.startswith(f"def {exercise.name}(")
    namespace = {"np": np}
    exec(source, namespace)
    assert verdict(exercise, namespace[exercise.name], capsys).status == "correct"


@pytest.mark.parametrize("exercise", VALUES, ids=lambda e: e.name)
def test_value_solutions_print_the_answer(exercise, capsys):
    exercise.solution()
    assert f"{exercise.name} = {exercise.answer!r}" in capsys.readouterr().out
    assert verdict(exercise, exercise.answer, capsys).status == "correct"


@pytest.mark.parametrize("exercise", FUNCTIONS, ids=lambda e: e.name)
def test_models_pass_hidden_cases_of_many_seeds(exercise):
    for seed in range(25):
        cases = exercise.cases(seed=(seed, 5))
        outcomes = exercise.outcomes(exercise.model, cases)
        assert exercise.judge(cases, outcomes).status == "correct", seed


@pytest.mark.parametrize("exercise", FUNCTIONS, ids=lambda e: e.name)
def test_a_stub_is_not_attempted(exercise, capsys):
    result = verdict(exercise, stub, capsys)
    assert result.status == "not attempted" and result.score == 0


@pytest.mark.parametrize("exercise", VALUES, ids=lambda e: e.name)
def test_an_ellipsis_is_not_attempted(exercise, capsys):
    assert verdict(exercise, ..., capsys).status == "not attempted"


@pytest.mark.parametrize(
    "exercise", [e for e in FUNCTIONS if e.name != "c3_table"], ids=lambda e: e.name
)
def test_hidden_cases_differ_from_public_ones_and_vary_with_the_seed(exercise):
    def key(case):
        return tuple(np.asarray(a).tobytes() for a in case.args)

    public = {key(c) for c in exercise.cases()}
    hidden = exercise.cases(seed=(1, 2))
    assert len(hidden) >= len(public)
    assert not any(key(c) in public for c in hidden)
    assert [key(c) for c in hidden] == [key(c) for c in exercise.cases(seed=(1, 2))]
    assert [key(c) for c in hidden] != [key(c) for c in exercise.cases(seed=(3, 2))]


# --- the references agree with lib and with torch --------------------------------------------


def test_references_agree_with_the_models():
    shapes = ex._lenet5_shapes(32)
    assert shapes[-1] == (120, 1, 1)
    params = {row["layer"]: row["parameters"] for row in parameter_table(LeNet5())}
    assert ex._conv_parameters_model(1, 6, 5) == params["C1"]
    assert ex._conv_parameters_model(16, 120, 5) == params["C5"]
    modern = {row["layer"]: row["parameters"] for row in parameter_table(LeNet5Modern())}
    assert ex._conv_parameters_model(6, 16, 5) == modern["C3"]
    assert np.array_equal(ex._c3_table_model(), c3_connections())
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
        (ex.c3_table, lambda: c3_connections().T, "Rows and columns swapped"),
        (ex.c3_table, ex._without_wrap, "No wrap-around"),
        (ex.c3_table, ex._12_to_14_contiguous, "Maps 12-14 contiguous"),
        (ex.squash, np.tanh, "Plain tanh"),
        (ex.squash, lambda a: np.tanh(2 * np.asarray(a) / 3), "Amplitude missing"),
        (ex.squash, lambda a: 1.7159 * np.tanh(a), "Slope missing"),
        (ex.squash, lambda a: 1.7159 * np.tanh(1.5 * np.asarray(a)), "Slope upside down"),
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
        (ex.shapes_36, (6, 32, 32), "Answer five shapes"),
        (ex.shapes_36, [[6, 32, 32]] * 5, "is not the answer"),
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


def test_c3_table_accepts_zeros_and_ones(capsys):
    assert verdict(ex.c3_table, lambda: ex._c3_table_model().astype(int), capsys).status == (
        "correct"
    )
