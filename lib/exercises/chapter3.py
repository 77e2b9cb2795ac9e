"""Checkers for chapter 3, "Channels, filters and feature maps".

In the chapter::

    from lib.exercises import chapter3 as ex

    ex.weight_shape.check(weight_shape)                 # a shape, worked out by hand
    ex.layer_parameters.check(layer_parameters)         # counts, worked out by hand
    ex.layer_multiply_adds.check(layer_multiply_adds)
    ex.conv2d_multichannel.check(conv2d_multichannel)   # functions to implement
    ex.pointwise_conv.check(pointwise_conv)
    ex.c3_table.check(c3_table)

Each exercise also has ``hint()`` (one more hint per call) and ``solution()``. The
references are :func:`lib.conv2d` (tested against PyTorch), :func:`lib.layers.conv2d_cost`
and :func:`lib.lenet5_design.c3_connections`.

Examples
--------
>>> result = weight_shape.check((6, 16, 5, 5))
weight_shape: incorrect. Filters and input channels swapped: the layout is (O, C, kH, kW),
    not (C, O, kH, kW): the first axis counts the filters (output channels), the second
    the input channels each filter reads, as in torch.nn.Conv2d's weight.
>>> result = conv2d_multichannel.check(lambda x, w, b: conv2d(x, w))
conv2d_multichannel: incorrect. Bias forgotten: add bias[o] to every value of output map o,
    once, after summing over the input channels. (Seen on a 3x7x6 input, 2 filters of 3x3x3.)
    ex.conv2d_multichannel.hint() gives a hint.
"""

import numpy as np

from lib.convolution import conv2d, convolve2d
from lib.exercises.checker import (
    Case,
    FunctionExercise,
    Mistake,
    ValueExercise,
    array_problem,
    make_progress,
    show,
    type_name,
)
from lib.exercises.data import MULTIPLY_ADDS_LAYER, PARAMETERS_LAYER, WEIGHT_LAYER
from lib.layers import conv2d_cost
from lib.lenet5_design import c3_connections

# --- the by-hand exercises --------------------------------------------------------------------


def _shape(value):
    if isinstance(value, np.ndarray) or hasattr(value, "tolist"):
        value = value.tolist() if not isinstance(value, tuple) else value
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        raise ValueError("Answer a shape, a tuple of sizes like (2, 3, 4, 4), not one number.")
    if not isinstance(value, tuple | list):
        raise ValueError(f"Answer a shape, a tuple of sizes like (2, 3, 4, 4); got {show(value)}.")
    if not all(isinstance(n, int | np.integer) and not isinstance(n, bool) for n in value):
        raise ValueError("Answer a tuple of whole numbers, like (2, 3, 4, 4).")
    return tuple(int(n) for n in value)


def _count(value):
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"Answer one number, not {type_name(value)}.")
    if float(value) != round(float(value)):
        raise ValueError(f"{value} is not a whole number: a count is a whole number.")
    return int(round(float(value)))


_O, _C, _K = (WEIGHT_LAYER[k] for k in ("out_channels", "in_channels", "kernel_size"))

weight_shape = ValueExercise(
    "weight_shape",
    "ch3-ex-weight-shape",
    answer=(_O, _C, _K, _K),
    normalise=_shape,
    mistakes={
        (_C, _O, _K, _K): (
            "filters and input channels swapped",
            "the layout is (O, C, kH, kW), not (C, O, kH, kW): the first axis counts the "
            "filters (output channels), the second the input channels each filter reads, as "
            "in torch.nn.Conv2d's weight.",
        ),
        (_K, _K, _C, _O): (
            "kernel axes first",
            "TensorFlow stores kernels as (kH, kW, C, O); PyTorch and lib put the channels "
            "first: (O, C, kH, kW).",
        ),
        (_O, _K, _K, _C): (
            "channels last",
            "each filter is stored channel by channel, (C, kH, kW), not pixel by pixel.",
        ),
        (_O, _K, _K): (
            "input channels forgotten",
            "each filter reads all the input maps, so it holds one kernel per input map: "
            "a stack (C, kH, kW).",
        ),
        (_O * _C, _K, _K): (
            "filters and channels merged",
            "there are that many kernels, but the weight keeps them in two axes: filters, "
            "then the input channels of each filter.",
        ),
    },
    hints=[
        "A filter reads every input map, so it is a stack of kernels, one per input map.",
        "PyTorch and lib store a weight as (output channels, input channels, kH, kW).",
    ],
    explanation=(
        f"Each of the {_O} filters holds one {_K}x{_K} kernel for each of the {_C} input "
        "maps,\nand the weight is stored as (O, C, kH, kW), as torch.nn.Conv2d stores it.\n\n"
        f"weight_shape = {(_O, _C, _K, _K)}"
    ),
)

_pc, _po, _pk = (PARAMETERS_LAYER[k] for k in ("in_channels", "out_channels", "kernel_size"))
_p_weights = _po * _pc * _pk * _pk

layer_parameters = ValueExercise(
    "layer_parameters",
    "ch3-ex-layer-parameters",
    answer=_p_weights + _po,
    normalise=_count,
    mistakes={
        _p_weights: (
            "bias forgotten",
            "that counts the weights; each filter also has one trainable bias.",
        ),
        _po * _pk * _pk + _po: (
            "input channels forgotten",
            f"each filter holds one {_pk}x{_pk} kernel per input channel, not one kernel.",
        ),
        _po * _pk * _pk: (
            "input channels and bias forgotten",
            f"each filter holds one {_pk}x{_pk} kernel per input channel, and one bias.",
        ),
        _p_weights + _po * _pc: (
            "one bias per kernel",
            "the bias is added once to each output map, after the sum over the input "
            "channels: one per filter, not one per (filter, channel) pair.",
        ),
        _p_weights + 1: (
            "one bias for the layer",
            "each filter (output map) has its own bias.",
        ),
    },
    hints=[
        "Count the weights, (O, C, kH, kW), then the biases, (O,).",
        f"Weights: {_po} x {_pc} x {_pk} x {_pk}. Biases: one per filter.",
    ],
    explanation=(
        f"Weights: {_po} x {_pc} x {_pk} x {_pk} = {_p_weights}; biases: {_po}.\n"
        f"Total: {_p_weights} + {_po} = {_p_weights + _po} (check: "
        f"sum(p.numel() for p in torch.nn.Conv2d({_pc}, {_po}, {_pk}).parameters())).\n\n"
        f"layer_parameters = {_p_weights + _po}"
    ),
)

_m = conv2d_cost(**MULTIPLY_ADDS_LAYER, padding=1)
_mo, _mh, _mw = _m.output_shape
_mc = MULTIPLY_ADDS_LAYER["input_shape"][0]
_mk = MULTIPLY_ADDS_LAYER["kernel_size"]
_m_valid = conv2d_cost(**MULTIPLY_ADDS_LAYER)
# The products with real pixels only (not with the padding's zeros): each output position
# counts the kernel taps that lie on the image.
_m_real = int(
    conv2d(np.ones(MULTIPLY_ADDS_LAYER["input_shape"][1:]), np.ones((_mk, _mk)), padding=1).sum()
    * _mc
    * _mo
)

layer_multiply_adds = ValueExercise(
    "layer_multiply_adds",
    "ch3-ex-layer-multiply-adds",
    answer=_m.multiply_adds,
    normalise=_count,
    mistakes={
        _m.multiply_adds // _mo: (
            "one output map only",
            "that is the cost of one filter's map; the layer computes all of them.",
        ),
        _m_valid.multiply_adds: (
            "padding forgotten",
            f"with padding 1 a 3x3 kernel keeps the size: the maps are {_mh}x{_mw}.",
        ),
        _m.connections: (
            "bias counted",
            "adding the bias is an addition, not a multiply-add (counting it gives what "
            "LeNet-5's paper calls connections).",
        ),
        2 * _m.multiply_adds: (
            "counted operations, not multiply-adds",
            "a multiply-add is one multiplication and one addition together; you counted "
            "each separately (that is the FLOP count).",
        ),
        _mo * _mh * _mw * _mk * _mk: (
            "input channels forgotten",
            f"each output value sums over all {_mc} input channels: C x kH x kW products.",
        ),
        _m_real: (
            "padding products left out",
            "you counted only the products with real pixels. The count of a layer, as a "
            "library computes it, has C x kH x kW multiply-adds at every output position, "
            "the products with the padding's zeros included.",
        ),
        _m.parameters: ("parameters, not multiply-adds", "each weight is used at every position."),
        _m.weights: ("weights, not multiply-adds", "each weight is used at every position."),
        _mo * _mh * _mw: (
            "output values, not multiply-adds",
            f"each output value needs {_mc} x {_mk} x {_mk} multiply-adds.",
        ),
    },
    hints=[
        "First the output's shape: with padding 1, a 3x3 kernel keeps the height and width. "
        "Every output position counts all the kernel's products, padding zeros included.",
        "Each output value is a sum of C x kH x kW products.",
        f"Output values: {_mo} x {_mh} x {_mw}; products per value: {_mc} x {_mk} x {_mk}.",
    ],
    explanation=(
        f"The output is {_mo} maps of {_mh}x{_mw} (padding 1 keeps the size of a 3x3 "
        f"kernel's input),\nthat is {_mo * _mh * _mw} values, each a sum of "
        f"{_mc} x {_mk} x {_mk} = {_mc * _mk * _mk} products:\n"
        f"{_mo * _mh * _mw} x {_mc * _mk * _mk} = {_m.multiply_adds} multiply-adds. The bias "
        "adds are not multiply-adds.\n\n"
        f"layer_multiply_adds = {_m.multiply_adds}"
    ),
)


# --- conv2d_multichannel ----------------------------------------------------------------------


def _multichannel_case(rng, channels, filters, size, kernel):
    x = rng.normal(size=(channels, *size)).round(3)
    w = rng.normal(size=(filters, channels, *kernel)).round(3)
    b = rng.normal(size=filters).round(3)
    text = (
        f"a {channels}x{size[0]}x{size[1]} input, {filters} filter{'s' if filters > 1 else ''} "
        f"of {channels}x{kernel[0]}x{kernel[1]}"
    )
    return Case((x, w, b), text)


def _multichannel_cases(rng, hidden):
    """Inputs (C, H, W), weights (O, C, kH, kW), biases (O,): several channels and
    filters, one of each, 1x1 and full-size kernels, non-square shapes."""
    shapes = [
        (3, 2, (7, 6), (3, 3)),
        (2, 4, (5, 8), (2, 3)),
        (1, 3, (6, 6), (3, 3)),
        (4, 1, (4, 5), (1, 1)),
        (3, 3, (4, 4), (4, 4)),
    ]
    if hidden:
        shapes = [(2, 3, (6, 7), (3, 2)), (3, 2, (8, 5), (5, 3)), (1, 2, (5, 5), (2, 2))]
        for _ in range(5):
            channels, filters = (int(n) for n in rng.integers(1, 5, size=2))
            size = tuple(int(n) for n in rng.integers(2, 10, size=2))
            kernel = tuple(int(rng.integers(1, n + 1)) for n in size)
            shapes.append((channels, filters, size, kernel))
    return [_multichannel_case(rng, *shape) for shape in shapes]


def _conv2d_multichannel_model(input, weight, bias):
    input, weight, bias = np.asarray(input), np.asarray(weight), np.asarray(bias)
    filters, channels = weight.shape[:2]
    maps = []
    for o in range(filters):
        # One filter: the 2D correlations of every input channel with its own kernel,
        # added up, then the filter's one bias.
        total = sum(conv2d(input[c], weight[o, c]) for c in range(channels))
        maps.append(total + bias[o])
    return np.stack(maps)


def _multichannel(input, weight, bias):
    return conv2d(input, weight, bias)


def _not_summed(output, input, weight, bias):
    """An (O, C, Ho, Wo) stack of the per-channel maps: the sum over channels missing."""
    filters, channels = weight.shape[:2]
    return (
        isinstance(output, np.ndarray)
        and output.ndim == 4
        and output.shape[:2] == (filters, channels)
    )


def _one_channel_only(output, input, weight, bias):
    """The map of one input channel alone, plus the bias: a loop that overwrites its
    total (``total = ...`` instead of ``total += ...``) keeps the last channel only."""
    if not isinstance(output, np.ndarray) or output.ndim != 3:
        return False
    for c in range(len(input)):
        alone = conv2d(input[c][None], weight[:, c : c + 1], bias)
        if output.shape == alone.shape and np.allclose(output, alone):
            return True
    return False


conv2d_multichannel = FunctionExercise(
    "conv2d_multichannel",
    "ch3-ex-conv2d-multichannel",
    reference=_multichannel,
    model=_conv2d_multichannel_model,
    make_cases=_multichannel_cases,
    mistakes=[
        Mistake(
            "bias forgotten",
            "add bias[o] to every value of output map o, once, after summing over the input "
            "channels.",
            lambda x, w, b: conv2d(x, w),
        ),
        Mistake(
            "bias added once per input channel",
            "the bias belongs to the filter: add it once, after the sum over the channels, "
            "not to each channel's map.",
            lambda x, w, b: conv2d(x, w) + len(x) * b[:, None, None],
        ),
        Mistake(
            "input channels not summed",
            "you kept one map per (filter, input channel). A filter adds up the maps of all "
            "the input channels into one output map.",
            test=_not_summed,
        ),
        Mistake(
            "one input channel only",
            "your map is that of a single input channel (and the bias): did a loop write "
            "total = ... where it should add, total += ...? Every input channel contributes.",
            test=_one_channel_only,
        ),
        Mistake(
            "channels summed in the wrong place",
            "you added up the input channels (or the kernels) before correlating. Correlate "
            "each input channel with its own kernel, then add the results.",
            lambda x, w, b: (
                np.stack([conv2d(x.sum(0), w[o].sum(0)) for o in range(len(w))]) + b[:, None, None]
            ),
        ),
        Mistake(
            "channels last",
            "your output is (Ho, Wo, O). lib and PyTorch put the channels first: (O, Ho, Wo).",
            lambda x, w, b: np.moveaxis(conv2d(x, w, b), 0, -1),
        ),
        Mistake(
            "kernel flipped",
            "you used true convolution. conv2d (and a convolutional layer) correlates: the "
            "kernels are not turned.",
            lambda x, w, b: (
                np.stack(
                    [sum(convolve2d(x[c], w[o, c]) for c in range(len(x))) for o in range(len(w))]
                )
                + b[:, None, None]
            ),
        ),
    ],
    hints=[
        "Output map o is the sum over the input channels c of the 2D correlation of "
        "input[c] with weight[o, c], plus bias[o].",
        "conv2d(input[c], weight[o, c]) is one 2D correlation (an (H, W) image and a "
        "(kH, kW) kernel).",
        "Loop over the filters o; for each, add up the channels' correlations, add "
        "bias[o], and collect the maps with np.stack.",
    ],
)


# --- pointwise_conv ---------------------------------------------------------------------------


def _pointwise_case(rng, batch, channels, filters, size):
    x = rng.normal(size=(batch, channels, *size)).round(3)
    w = rng.normal(size=(filters, channels, 1, 1)).round(3)
    b = rng.normal(size=filters).round(3)
    text = (
        f"a batch of {batch} input{'s' if batch > 1 else ''} {channels}x{size[0]}x{size[1]} "
        f"and {filters} filters 1x1"
    )
    return Case((x, w, b), text)


def _pointwise_cases(rng, hidden):
    shapes = [(2, 3, 4, (5, 6)), (3, 2, 5, (4, 4)), (1, 4, 2, (3, 7)), (2, 1, 3, (2, 2))]
    if hidden:
        shapes = [(3, 3, 2, (6, 5)), (2, 5, 3, (3, 4))]
        for _ in range(5):
            batch, channels, filters = (int(n) for n in rng.integers(1, 6, size=3))
            shapes.append((batch, channels, filters, tuple(int(n) for n in rng.integers(1, 9, 2))))
    return [_pointwise_case(rng, *shape) for shape in shapes]


def _pointwise_conv_model(input, weight, bias):
    input, weight, bias = np.asarray(input), np.asarray(weight), np.asarray(bias)
    n, c, h, w = input.shape
    matrix = weight[:, :, 0, 0]  # (O, C): one row per filter
    pixels = input.transpose(1, 0, 2, 3).reshape(c, n * h * w)  # one column per pixel
    out = matrix @ pixels + bias[:, None]  # (O, N * H * W)
    return out.reshape(-1, n, h, w).transpose(1, 0, 2, 3)


def _pointwise(input, weight, bias):
    return conv2d(input, weight, bias)


def _reshaped_not_transposed(x, w, b):
    n, c, h, width = x.shape
    return (x.reshape(n, h * width, c) @ w[:, :, 0, 0].T + b).reshape(n, -1, h, width)


def _batch_mixed(x, w, b):
    n, c, h, width = x.shape
    if n == 1:
        raise ValueError("one image: nothing to mix")
    return (w[:, :, 0, 0] @ x.reshape(c, -1) + b[:, None]).reshape(n, -1, h, width)


pointwise_conv = FunctionExercise(
    "pointwise_conv",
    "ch3-ex-pointwise-conv",
    reference=_pointwise,
    model=_pointwise_conv_model,
    make_cases=_pointwise_cases,
    mistakes=[
        Mistake(
            "reshaped instead of transposed",
            "x.reshape(N, H * W, C) does not move the channels last: it cuts the (C, H, W) "
            "numbers into rows of C in memory order, mixing pixels and channels. Move the "
            "axis with transpose (or np.moveaxis) first, then reshape.",
            _reshaped_not_transposed,
        ),
        Mistake(
            "batch and channels mixed",
            "x.reshape(C, -1) on an (N, C, H, W) batch does not put the channels first: "
            "transpose the batch to (C, N, H, W) before the reshape, and back after.",
            _batch_mixed,
        ),
        Mistake(
            "bias forgotten",
            "add bias[o] to output channel o (to every pixel of it).",
            lambda x, w, b: conv2d(x, w),
        ),
        Mistake(
            "channels last",
            "your output is (N, H, W, O); lib and PyTorch want (N, O, H, W).",
            lambda x, w, b: np.moveaxis(conv2d(x, w, b), 1, -1),
        ),
    ],
    hints=[
        "A 1x1 convolution applies the same matrix weight[:, :, 0, 0], of shape (O, C), to "
        "the C channel values of every pixel.",
        "Make a matrix with one column per pixel: move the channel axis to the front with "
        "input.transpose(1, 0, 2, 3), then reshape it to (C, N * H * W).",
        "Multiply, add bias[:, None], then reshape to (O, N, H, W) and transpose back to "
        "(N, O, H, W).",
    ],
)


# --- c3_table ---------------------------------------------------------------------------------


def _c3_table_model():
    table = np.zeros((16, 6), dtype=bool)  # [j, i]: C3 map j reads S2 map i
    for j in range(6):
        for i in range(j, j + 3):  # 3 contiguous maps, wrapping around after map 5
            table[j, i % 6] = True
    for j in range(6):
        for i in range(j, j + 4):  # 4 contiguous maps
            table[6 + j, i % 6] = True
    for j, maps in enumerate([(0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5)]):
        table[12 + j, list(maps)] = True  # 4 non-contiguous maps
    table[15] = True  # all 6
    return table


def _c3_reference():
    return c3_connections()


def _no_wraparound():
    table = np.zeros((16, 6), dtype=bool)
    for j in range(6):
        table[j, j : j + 3] = True
        table[6 + j, j : j + 4] = True
    table[12:] = c3_connections()[12:]
    return table


def _c3_table_problem(output, expected, args):
    """array_problem, and then the dtype: a connection table holds booleans.

    A table of 0 and 1 (integers or floats) has the right values, but used as an index,
    ``x[:, table[j]]``, it does not mask, so it is refused by name.

    >>> _c3_table_problem(c3_connections().astype(int), c3_connections(), ()) is not None
    True
    >>> _c3_table_problem(c3_connections(), c3_connections(), ()) is None
    True
    """
    problem = array_problem(output, expected)
    if problem is None and output.dtype != np.bool_:
        return (
            f"the values are right, but the dtype is {output.dtype}: the table must hold "
            "booleans (dtype bool). Used as an index, x[:, table[j]], a table of 0 and 1 "
            "does not mask: integers pick channels 0 and 1, floats raise an IndexError. "
            "Make it with np.zeros((16, 6), dtype=bool), or convert it with "
            "table.astype(bool)"
        )
    return problem


c3_table = FunctionExercise(
    "c3_table",
    "ch3-ex-c3-table",
    reference=_c3_reference,
    model=_c3_table_model,
    make_cases=lambda rng, hidden: [Case((), "the call c3_table()")],
    problem=_c3_table_problem,
    mistakes=[
        Mistake(
            "table transposed",
            "your table is (6, 16), the way the paper prints it. The book's table is indexed "
            "[C3 map, S2 map], shape (16, 6), like the weight's first two axes.",
            lambda: c3_connections().T,
        ),
        Mistake(
            "no wrap-around",
            "contiguous maps wrap around after map 5: C3 map 4 reads S2 maps 4, 5 and 0. "
            "Use the index i % 6.",
            _no_wraparound,
        ),
    ],
    hints=[
        "Start from np.zeros((16, 6), dtype=bool) and set table[j, i] = True when C3 map j "
        "reads S2 map i.",
        "For j in 0..5, C3 map j reads S2 maps j, j + 1 and j + 2, each taken modulo 6; "
        "C3 map 6 + j reads j, ..., j + 3, modulo 6.",
        "Maps 12, 13 and 14 read (0, 1, 3, 4), (1, 2, 4, 5) and (0, 2, 3, 5); map 15 "
        "reads all six. Check: the table has 60 true entries.",
    ],
)

#: Every exercise of the chapter, in the order of the chapter. The grader reads this.
EXERCISES = (
    weight_shape,
    layer_parameters,
    layer_multiply_adds,
    conv2d_multichannel,
    pointwise_conv,
    c3_table,
)

#: ``ex.progress()``: every exercise of the chapter checked again, one line each.
progress = make_progress(EXERCISES, 3)
