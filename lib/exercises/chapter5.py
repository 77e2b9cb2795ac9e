"""Checkers for chapter 5, "LeNet-5".

In the chapter::

    from lib.exercises import chapter5 as ex

    ex.shapes_36.check(shapes_36)                      # a shape table by hand
    ex.conv_parameters.check(conv_parameters)          # parameter counts
    ex.sparse_parameters.check(sparse_parameters)      # C3's parameters, from its table
    ex.small_c3_shapes.check(small_c3_shapes)          # change a layer, predict the shapes
    ex.squash.check(squash)                            # the paper's activation
    ex.rbf_distances.check(rbf_distances)              # the RBF output layer

Each exercise also has ``hint()`` (one more hint per call) and ``solution()``. The
references are lib's: :func:`lib.output_size`, :func:`lib.lenet5_design.c3_connections` and
the layers of :mod:`lib.models`, which the tests check against PyTorch.

Examples
--------
>>> result = conv_parameters.check(lambda i, o, k: o * (i * k * k + 1))
conv_parameters: correct (7 of 7 cases).
>>> result = conv_parameters.check(lambda i, o, k: o * i * k * k)
conv_parameters: incorrect. Biases forgotten: each output map has one bias, added after
    the sum over its window: out_maps * (in_maps * k * k + 1). (Seen on C1: 1 input map, 6
    output maps, 5x5 kernels.) ex.conv_parameters.hint() gives a hint.
"""

import numpy as np

from lib.exercises.checker import (
    Case,
    FunctionExercise,
    Mistake,
    ValueExercise,
    make_progress,
    show,
    type_name,
)
from lib.exercises.data import SHAPES_INPUT
from lib.lenet5_design import TANH_AMPLITUDE, TANH_SLOPE, c3_connections, digit_prototypes
from lib.shapes import output_size

# --- shapes_36 ------------------------------------------------------------------------------


def _lenet5_shapes(n, conv=lambda n: output_size(n, 5), pool=lambda n: output_size(n, 2, 2)):
    """(C1, S2, C3, S4, C5) output shapes of LeNet-5 for an n x n input."""
    c1 = conv(n)
    s2 = pool(c1)
    c3 = conv(s2)
    s4 = pool(c3)
    c5 = conv(s4)
    return ((6, c1, c1), (6, s2, s2), (16, c3, c3), (16, s4, s4), (120, c5, c5))


def _shape_list(count, what):
    """A normaliser: ``count`` shapes, each a tuple of whole numbers."""

    def normalise(value):
        if isinstance(value, np.ndarray):
            value = value.tolist()
        if not isinstance(value, tuple | list) or len(value) != count:
            raise ValueError(f"Answer {what}; got {show(value)}.")
        shapes = []
        for shape in value:
            if isinstance(shape, np.ndarray):
                shape = shape.tolist()
            if isinstance(shape, int | np.integer) and not isinstance(shape, bool):
                shapes.append(int(shape))
                continue
            if not isinstance(shape, tuple | list) or not all(
                isinstance(n, int | np.integer) and not isinstance(n, bool) for n in shape
            ):
                raise ValueError(f"Each shape is a tuple of whole numbers; got {show(shape)}.")
            shapes.append(tuple(int(n) for n in shape))
        return tuple(shapes)

    return normalise


_SHAPES_ANSWER = _lenet5_shapes(SHAPES_INPUT)
_NO_PLUS_ONE = _lenet5_shapes(SHAPES_INPUT, conv=lambda n: n - 5)
_POOL_AS_CONV = _lenet5_shapes(SHAPES_INPUT, pool=lambda n: n - 1)

shapes_36 = ValueExercise(
    "shapes_36",
    "ch5-ex-shape-table",
    answer=_SHAPES_ANSWER,
    normalise=_shape_list(5, "five shapes (maps, height, width): C1, S2, C3, S4 and C5"),
    mistakes={
        _NO_PLUS_ONE: (
            "one row short",
            "a valid 5x5 convolution of n pixels gives n - 5 + 1 outputs, not n - 5: the "
            "window's first position counts too.",
        ),
        _POOL_AS_CONV: (
            "pooling with stride 1",
            "S2 and S4 move their 2x2 window by 2, so they halve the size: floor((n - 2) / 2) + 1.",
        ),
        tuple(shape[1:] for shape in _SHAPES_ANSWER): (
            "maps missing",
            "each shape has three numbers: the number of maps first (6, 6, 16, 16, 120), "
            "then the height and the width.",
        ),
        tuple(shape[1] for shape in _SHAPES_ANSWER): (
            "maps missing",
            "each shape has three numbers, not one: the number of maps first (6, 6, 16, 16, "
            "120), then the height and the width.",
        ),
    },
    hints=[
        "Use the output-size formula floor((n + 2p - k) / s) + 1 layer by layer, with no "
        "padding: the convolutions have k = 5, s = 1, the subsamplings k = 2, s = 2.",
        "C1: 36 - 5 + 1 = 32. S2 halves it. Continue from there.",
        "The maps do not depend on the input size: 6, 6, 16, 16, 120.",
    ],
    explanation=(
        "Convolutions (k = 5, s = 1): n -> n - 4. Subsamplings (k = 2, s = 2): n -> n / 2.\n"
        "C1: 36 - 4 = 32; S2: 16; C3: 12; S4: 6; C5: 6 - 4 = 2. C5 is no longer 1x1.\n\n"
        "shapes_36 = ((6, 32, 32), (6, 16, 16), (16, 12, 12), (16, 6, 6), (120, 2, 2))"
    ),
)


# --- conv_parameters ------------------------------------------------------------------------


def _conv_parameters_model(in_maps, out_maps, kernel_size):
    """Trainable parameters of a convolution in which every output map reads every
    input map through a kernel_size x kernel_size kernel, plus one bias per output map."""
    weights_per_output_map = in_maps * kernel_size * kernel_size
    return out_maps * (weights_per_output_map + 1)


def _whole_number_problem(output, expected, args):
    if output is None:
        return "it returned None (is a return statement missing?)"
    if isinstance(output, np.ndarray) and output.size == 1:
        output = output.item()
    if isinstance(output, bool) or not isinstance(output, int | np.integer | float | np.floating):
        return f"it returned {type_name(output)}, not a number"
    if output != expected:
        return f"it returned {output}, which is not the count"
    return None


def _gives_number(wrong):
    """A mistake's test: the output is the number that ``wrong(*args)`` computes."""

    def test(output, *args):
        if isinstance(output, np.ndarray) and output.size == 1:
            output = output.item()
        if isinstance(output, bool) or not isinstance(output, int | np.integer | float):
            return False
        if wrong(*args) == _conv_parameters_model(*args):
            raise ValueError("this case cannot show the mistake")
        return output == wrong(*args)

    return test


def _conv_parameters_cases(rng, hidden):
    cases = [
        Case((1, 6, 5), "C1: 1 input map, 6 output maps, 5x5 kernels"),
        Case((16, 120, 5), "C5: 16 input maps, 120 output maps, 5x5 kernels"),
        Case((6, 16, 5), "a full C3: 6 input maps, 16 output maps, 5x5 kernels"),
        Case((3, 8, 1), "a 1x1 convolution from 3 maps to 8"),
        Case((1, 1, 3), "one 3x3 kernel"),
        Case((64, 32, 3), "64 maps to 32 with 3x3 kernels"),
        Case((2, 5, 7), "2 maps to 5 with 7x7 kernels"),
    ]
    if hidden:
        cases = [Case((1, 1, 1), "one 1x1 kernel")]
        for _ in range(9):
            in_maps, out_maps = (int(n) for n in rng.integers(1, 200, size=2))
            k = int(rng.integers(1, 12))
            cases.append(Case((in_maps, out_maps, k), f"{in_maps} maps to {out_maps}, {k}x{k}"))
    return cases


conv_parameters = FunctionExercise(
    "conv_parameters",
    "ch5-ex-conv-parameters",
    reference=_conv_parameters_model,
    model=_conv_parameters_model,
    make_cases=_conv_parameters_cases,
    problem=_whole_number_problem,
    mistakes=[
        Mistake(
            "biases forgotten",
            "each output map has one bias, added after the sum over its window: "
            "out_maps * (in_maps * k * k + 1).",
            test=_gives_number(lambda i, o, k: o * i * k * k),
        ),
        Mistake(
            "a bias per input map",
            "an output map sums over all its input maps and then adds one bias, not one "
            "per input map.",
            test=_gives_number(lambda i, o, k: o * i * (k * k + 1)),
        ),
        Mistake(
            "kernel counted as k weights",
            "a k x k kernel holds k * k weights.",
            test=_gives_number(lambda i, o, k: o * (i * k + 1)),
        ),
        Mistake(
            "one bias in all",
            "each output map has its own bias: out_maps of them.",
            test=_gives_number(lambda i, o, k: o * i * k * k + 1),
        ),
        Mistake(
            "a kernel per output map only",
            "each output map has one k x k kernel per input map it reads.",
            test=_gives_number(lambda i, o, k: o * (k * k + 1)),
        ),
    ],
    hints=[
        "Count one output map first: how many weights connect it to its inputs, and how "
        "many biases does it have?",
        "One output map reads in_maps maps, each through its own k x k kernel, and adds one bias.",
        "C1 has 6 * (1 * 5 * 5 + 1) = 156 parameters.",
    ],
)


# --- sparse_parameters ----------------------------------------------------------------------


def _sparse_parameters_model(table, kernel_size):
    """Trainable parameters of a convolution whose connections follow ``table``: one
    kernel_size x kernel_size kernel per true entry, and one bias per output map (row)."""
    table = np.asarray(table, dtype=bool)
    kernels = int(table.sum())  # one kernel per connection [output map j, input map i]
    return kernels * kernel_size * kernel_size + table.shape[0]


def _table_case(table, k, text):
    return Case((table, k), f"{text}, {k}x{k} kernels")


def _sparse_cases(rng, hidden):
    """C3's own table, a full one, and random tables; every output map reads one map or
    more."""
    cases = []
    if not hidden:
        cases = [
            _table_case(c3_connections(), 5, "C3's table"),
            _table_case(np.ones((16, 6), dtype=bool), 5, "a full table of 16 x 6"),
            _table_case(c3_connections(), 3, "C3's table"),
            _table_case(np.eye(4, dtype=bool), 1, "a 4 x 4 table, each map reading one"),
        ]
    shapes = [(3, 5, 2), (8, 3, 7), (1, 6, 3)]
    if hidden:
        shapes = [tuple(int(n) for n in rng.integers([1, 1, 1], [25, 10, 8])) for _ in range(8)]
    for rows, columns, k in shapes:
        table = rng.random((rows, columns)) < 0.5
        table[np.arange(rows), rng.integers(0, columns, size=rows)] = True
        cases.append(_table_case(table, k, f"a random {rows} x {columns} table"))
    return cases


def _count_mistake(name, explanation, wrong):
    """A mistake whose count is ``wrong(table, k)``: named when the output is that count."""

    def test(output, table, k):
        if isinstance(output, np.ndarray) and output.size == 1:
            output = output.item()
        if isinstance(output, bool) or not isinstance(output, int | np.integer | float):
            return False
        if wrong(table, k) == _sparse_parameters_model(table, k):
            raise ValueError("this case cannot show the mistake")
        return output == wrong(table, k)

    return Mistake(name, explanation, test=test)


sparse_parameters = FunctionExercise(
    "sparse_parameters",
    "ch5-ex-sparse-parameters",
    reference=_sparse_parameters_model,
    model=_sparse_parameters_model,
    make_cases=_sparse_cases,
    problem=_whole_number_problem,
    mistakes=[
        _count_mistake(
            "biases forgotten",
            "each output map has one bias, whatever the number of maps it reads.",
            lambda t, k: int(np.sum(t)) * k * k,
        ),
        _count_mistake(
            "a bias per connection",
            "a bias belongs to an output map, added once after the sum over the maps it "
            "reads: one per row of the table, not one per true entry.",
            lambda t, k: int(np.sum(t)) * (k * k + 1),
        ),
        _count_mistake(
            "table not used",
            "that is the count of a full connection, every output map reading every input "
            "map. Count one kernel per true entry of the table.",
            lambda t, k: t.shape[0] * (t.shape[1] * k * k + 1),
        ),
        _count_mistake(
            "kernel counted as k weights",
            "a k x k kernel holds k * k weights.",
            lambda t, k: int(np.sum(t)) * k + t.shape[0],
        ),
        _count_mistake(
            "one bias in all",
            "each output map has its own bias: one per row of the table.",
            lambda t, k: int(np.sum(t)) * k * k + 1,
        ),
        _count_mistake(
            "a bias per input map",
            "the biases belong to the output maps, the rows of the table, not to its columns.",
            lambda t, k: int(np.sum(t)) * k * k + t.shape[1],
        ),
    ],
    hints=[
        "Each true entry [j, i] of the table is one kernel: output map j reads input map i "
        "through its own kernel_size x kernel_size weights.",
        "Count the kernels with table.sum(); each output map, one row of the table, adds one bias.",
        "C3: 60 kernels of 25 weights, and 16 biases.",
    ],
)


# --- small_c3_shapes ------------------------------------------------------------------------


def _small_c3_answer():
    c3 = output_size(14, 3)
    s4 = output_size(c3, 2, 2)
    c5 = output_size(s4, 5)
    return ((16, c3, c3), (16, s4, s4), (120, c5, c5), 120 * c5 * c5)


_SMALL_ANSWER = _small_c3_answer()

small_c3_shapes = ValueExercise(
    "small_c3_shapes",
    "ch5-ex-small-c3",
    answer=_SMALL_ANSWER,
    normalise=_shape_list(4, "three shapes (C3, S4, C5) and one number (F6's inputs)"),
    mistakes={
        (*_SMALL_ANSWER[:3], 120): (
            "C5 taken as 1x1",
            "C5's maps are now larger than 1x1, and F6 reads every value of every map: "
            "the flattened C5 has 120 x height x width values.",
        ),
        ((16, 11, 11), (16, 5, 5), (120, 0, 0), 0): (
            "one row short",
            "a valid 3x3 convolution of 14 pixels gives 14 - 3 + 1 = 12 outputs.",
        ),
        ((16, 10, 10), (16, 5, 5), (120, 1, 1), 120): (
            "the kernel was not changed",
            "those are the shapes of the 5x5 C3. With 3x3 kernels, C3 gives 14 - 3 + 1.",
        ),
    },
    hints=[
        "S2 still gives 6 maps of 14x14. C3's output is 14 - 3 + 1 on each side.",
        "S4 halves C3's size; C5 (5x5 kernels) is then 6 - 5 + 1 = 2 on each side.",
        "F6 is a fully connected layer: it reads every value of C5's output, flattened.",
    ],
    explanation=(
        "C3 (3x3): 14 - 3 + 1 = 12, so (16, 12, 12); S4: (16, 6, 6); C5 (5x5):\n"
        "6 - 5 + 1 = 2, so (120, 2, 2); flattened, F6 reads 120 * 2 * 2 = 480 values,\n"
        "and its weight matrix must grow from 84 x 120 to 84 x 480.\n\n"
        "small_c3_shapes = ((16, 12, 12), (16, 6, 6), (120, 2, 2), 480)"
    ),
)


# --- squash ---------------------------------------------------------------------------------


def _scaled_tanh_model(a):
    """LeNet-5's squashing function, f(a) = 1.7159 tanh(2a/3), element by element."""
    a = np.asarray(a, dtype=float)
    return 1.7159 * np.tanh(2 * a / 3)


def _scaled_tanh(a):
    return TANH_AMPLITUDE * np.tanh(TANH_SLOPE * np.asarray(a, dtype=float))


def _activation_cases(rng, hidden):
    if hidden:
        return [
            Case((rng.uniform(-1.5, 1.5, size=5),), "5 points in -1.5..1.5"),
            Case((rng.normal(size=(2, 3, 5)) * 3,), "a 2x3x5 array"),
            Case((rng.uniform(-4, 4, size=7),), "7 points in -4..4"),
            Case((rng.uniform(-40, 40, size=(2, 2)),), "large inputs"),
            Case((rng.normal(size=(4, 1)),), "a 4x1 array"),
        ]
    return [
        Case((np.array([-1.0, 0.0, 1.0]),), "the points -1, 0 and 1"),
        Case((np.linspace(-6, 6, 13),), "13 points from -6 to 6"),
        Case((rng.normal(size=(3, 4)) * 2,), "a 3x4 array"),
        Case((np.array([[-30.0, 30.0]]),), "large inputs, -30 and 30"),
    ]


squash = FunctionExercise(
    "squash",
    "ch5-ex-squash",
    reference=_scaled_tanh,
    model=_scaled_tanh_model,
    make_cases=_activation_cases,
    mistakes=[
        Mistake(
            "plain tanh",
            "the paper scales both the input (by 2/3) and the output (by 1.7159).",
            gives=lambda a: np.tanh(a),
        ),
        Mistake(
            "amplitude missing",
            "the output is multiplied by A = 1.7159, so that f(1) = 1 and f(-1) = -1.",
            gives=lambda a: np.tanh(2 * a / 3),
        ),
        Mistake(
            "amplitude rounded",
            "A is 1.7159, chosen so that f(1) = 1 to four decimals; 1.716 gives f(1) = 1.0001.",
            gives=lambda a: 1.716 * np.tanh(2 * np.asarray(a, dtype=float) / 3),
        ),
        Mistake(
            "slope missing",
            "the input is multiplied by S = 2/3 before the tanh.",
            gives=lambda a: 1.7159 * np.tanh(a),
        ),
        Mistake(
            "slope upside down",
            "S is 2/3, not 3/2: f(a) = 1.7159 tanh(2a/3).",
            gives=lambda a: 1.7159 * np.tanh(3 * a / 2),
        ),
        Mistake(
            "slope rounded",
            "S is 2/3 exactly (write 2 / 3): 0.6667 passes the four-decimal test f(1) = 1, "
            "but it is not the paper's function.",
            gives=lambda a: 1.7159 * np.tanh(0.6667 * np.asarray(a, dtype=float)),
        ),
        Mistake(
            "modern activation",
            "that is the ReLU of the modern variant; the 1998 network squashes with a scaled tanh.",
            gives=lambda a: np.maximum(a, 0),
        ),
    ],
    hints=[
        "f(a) = A tanh(S a) with A = 1.7159 and S = 2/3; np.tanh works element by element.",
        "Check: f(1) should be 1.0000 and f(-1) should be -1.0000 (to 4 decimals).",
    ],
)


# --- rbf_distances --------------------------------------------------------------------------


def _rbf_distances_model(f6, prototypes):
    """Squared Euclidean distance from each F6 vector (row of f6) to each prototype."""
    f6, prototypes = np.asarray(f6, dtype=float), np.asarray(prototypes, dtype=float)
    out = np.zeros((f6.shape[0], prototypes.shape[0]))
    for n in range(f6.shape[0]):
        for i in range(prototypes.shape[0]):
            out[n, i] = np.sum((f6[n] - prototypes[i]) ** 2)
    return out


def _rbf(f6, prototypes):
    return ((f6[:, None, :] - prototypes[None]) ** 2).sum(axis=2)


def _rbf_cases(rng, hidden):
    protos = digit_prototypes().astype(float)
    if hidden:
        pair = sorted(int(d) for d in rng.choice(10, size=2, replace=False))
        return [
            Case((rng.normal(size=(7, 84)), protos), "7 random vectors and the prototypes"),
            Case((protos[pair] * 0.9, protos), f"codes near the prototypes of {pair}"),
            Case((rng.normal(size=(2, 3)), rng.normal(size=(5, 3))), "2 vectors, 5 of 3"),
            Case((rng.normal(size=(4, 1)), rng.normal(size=(3, 1))), "4 vectors, 3 of 1"),
            Case((rng.normal(size=(6, 5)), rng.normal(size=(2, 5))), "6 vectors, 2 of 5"),
        ]
    return [
        Case(
            (np.tanh(rng.normal(size=(5, 84))) * 1.7, protos),
            "5 F6 vectors and the 10 digit prototypes",
        ),
        Case((protos[[3, 8]], protos), "two prototypes themselves (digits 3 and 8)"),
        Case((rng.normal(size=(3, 4)), rng.normal(size=(2, 4))), "3 vectors, 2 prototypes of 4"),
        Case((rng.normal(size=(1, 6)), rng.normal(size=(4, 6))), "1 vector, 4 prototypes of 6"),
    ]


rbf_distances = FunctionExercise(
    "rbf_distances",
    "ch5-ex-rbf-distances",
    reference=_rbf,
    model=_rbf_distances_model,
    make_cases=_rbf_cases,
    mistakes=[
        Mistake(
            "square root taken",
            "each RBF unit outputs the squared distance, sum_j (x_j - w_ij)^2, with no "
            "square root.",
            gives=lambda f6, p: np.sqrt(_rbf(f6, p)),
        ),
        Mistake(
            "rows and columns swapped",
            "the output has one row per F6 vector and one column per prototype: (N, 10).",
            gives=lambda f6, p: _rbf(f6, p).T,
        ),
        Mistake(
            "dot product",
            "that is the similarity x . w_i, the output of a linear layer without bias; the "
            "RBF unit measures the squared distance sum_j (x_j - w_ij)^2.",
            gives=lambda f6, p: f6 @ p.T,
        ),
        Mistake(
            "mean instead of sum",
            "the distance adds the squared differences over all features; it does not "
            "average them.",
            gives=lambda f6, p: _rbf(f6, p) / f6.shape[1],
        ),
    ],
    hints=[
        "Output [n, i] is the sum over j of (f6[n, j] - prototypes[i, j]) ** 2.",
        "Two loops (n, i) and np.sum do it; or broadcast f6[:, None, :] - prototypes[None].",
    ],
)

#: Every exercise of the chapter that has a checker, in the order of the chapter. The
#: grader reads this.
EXERCISES = (
    shapes_36,
    conv_parameters,
    sparse_parameters,
    small_c3_shapes,
    squash,
    rbf_distances,
)

#: ``ex.progress()``: every exercise of the chapter checked again, one line each.
progress = make_progress(EXERCISES, 5)
