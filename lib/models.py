"""LeNet-5 as the 1998 paper describes it, the modern variant, and their tables.

:class:`LeNet5` is the network of LeCun, Bottou, Bengio and Haffner, "Gradient-based
learning applied to document recognition", Proc. IEEE 86(11), 2278-2324, 1998:

======  ===============  ==========================================  ==========
layer   output           what it computes                            parameters
======  ===============  ==========================================  ==========
input   1 @ 32x32        the 28x28 digit centred, -0.1 .. 1.175
C1      6 @ 28x28        5x5 convolution, squashed                   156
S2      6 @ 14x14        2x2 sums x coefficient + bias, squashed     12
C3      16 @ 10x10       5x5 convolution, partial table (60 links)   1,516
S4      16 @ 5x5         2x2 sums x coefficient + bias, squashed     32
C5      120 @ 1x1        5x5 convolution over all 16 maps            48,120
F6      84               full, squashed                              10,164
output  10               Euclidean RBF, fixed +-1 prototypes         0
total                                                                60,000
======  ===============  ==========================================  ==========

The squashing function is f(a) = 1.7159 tanh(2a/3) (:class:`ScaledTanh`), the weights
start uniform in +-2.4 / fan-in as in the paper, and the loss is the paper's
(:func:`lenet5_loss`). Two details the paper leaves out are filled in here and say so:
the RBF prototypes (:data:`DIGIT_BITMAPS`, drawn for this book) and the loss's constant j
(:data:`LOSS_J`). :class:`LeNet5Modern` starts from what the text this book grew from
calls LeNet-5 (a ReLU and 2x2 max pooling after C1; "What is the mathematical formula of
the convolution operation on a 2D image?", EITCA Academy, 2024), completed by this book:
ReLU, max pooling, a full C3, a linear output and cross-entropy. It is **not** the 1998
network (chapter 5 says how tutorials differ).

:func:`parameter_table` counts trainable parameters layer by layer, and
:func:`shape_table` computes each layer's output shape with :func:`lib.output_size`,
then checks it against a real forward pass.
"""

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from lib.lenet5_design import (  # noqa: F401  (lib.models has always offered them)
    C3_TABLE,
    DIGIT_BITMAPS,
    LOSS_J,
    TANH_AMPLITUDE,
    TANH_SLOPE,
    c3_connections,
    digit_prototypes,
)
from lib.shapes import output_size


def _uniform_fan_in_(tensor, fan_in):
    """The paper's initialisation: uniform in +-2.4 / fan-in (appendix A), which keeps
    the weighted sums in the range where the squashing function has its largest slope."""
    bound = 2.4 / fan_in
    with torch.no_grad():
        return tensor.uniform_(-bound, bound)


class ScaledTanh(nn.Module):
    """The paper's squashing function, f(a) = 1.7159 tanh(2a/3).

    Examples
    --------
    >>> f = ScaledTanh()
    >>> [round(v, 4) for v in f(torch.tensor([-1.0, 0.0, 1.0])).tolist()]
    [-1.0, 0.0, 1.0]
    """

    def forward(self, input):
        return TANH_AMPLITUDE * torch.tanh(TANH_SLOPE * input)


class Subsampling(nn.Module):
    """LeNet-5's trainable subsampling (S2, S4): the sum of each non-overlapping
    ``kernel_size`` x ``kernel_size`` window, times a trainable coefficient, plus a
    trainable bias, one of each per map. (The squashing function comes after, in the
    network.) Two parameters per map. As the paper notes, the coefficient and the bias
    set the unit's mode: with a small coefficient it is quasi-linear and merely blurs;
    with a large one it acts as a noisy OR or a noisy AND of its window, depending on
    the bias.

    Parameters
    ----------
    channels : int
        Number of maps.
    kernel_size : int, optional
        Window size and stride. Default 2.

    Examples
    --------
    >>> s2 = Subsampling(6)
    >>> s2(torch.zeros(1, 6, 28, 28)).shape, sum(p.numel() for p in s2.parameters())
    (torch.Size([1, 6, 14, 14]), 12)
    """

    def __init__(self, channels, kernel_size=2):
        super().__init__()
        self.kernel_size = kernel_size
        self.weight = nn.Parameter(torch.empty(channels))
        self.bias = nn.Parameter(torch.empty(channels))
        fan_in = kernel_size * kernel_size
        _uniform_fan_in_(self.weight, fan_in)
        _uniform_fan_in_(self.bias, fan_in)

    def forward(self, input):
        k = self.kernel_size
        window_sums = F.avg_pool2d(input, k) * (k * k)
        return window_sums * self.weight[:, None, None] + self.bias[:, None, None]


class MaskedConv2d(nn.Conv2d):
    """A convolution in which output map ``j`` reads input map ``i`` only where
    ``connections[j, i]`` is true: C3's partial connection table.

    It holds a full weight of shape (out, in, k, k) and multiplies it by a fixed 0/1 mask
    in every forward pass. The masked weights start at zero and get zero gradients, so an
    optimiser without weight decay leaves them at zero; either way they never reach the
    output, and they are not counted as parameters (:meth:`num_trainable`).

    Parameters
    ----------
    connections : array_like of bool, shape (out_channels, in_channels)
    kernel_size : int

    Examples
    --------
    >>> c3 = MaskedConv2d(c3_connections(), 5)
    >>> c3(torch.zeros(1, 6, 14, 14)).shape, c3.num_trainable()
    (torch.Size([1, 16, 10, 10]), 1516)
    """

    def __init__(self, connections, kernel_size):
        connections = torch.as_tensor(np.asarray(connections, dtype=bool))
        out_channels, in_channels = connections.shape
        super().__init__(in_channels, out_channels, kernel_size)
        mask = connections[:, :, None, None].expand_as(self.weight).to(self.weight.dtype)
        self.register_buffer("mask", mask.clone())
        # The paper's fan-in is that of the connected inputs only: 75, 100 or 150.
        fan_in = connections.sum(dim=1) * kernel_size * kernel_size
        with torch.no_grad():
            for j, n in enumerate(fan_in.tolist()):
                _uniform_fan_in_(self.weight[j], n)
                _uniform_fan_in_(self.bias[j : j + 1], n)
            self.weight.mul_(self.mask)

    def forward(self, input):
        return F.conv2d(input, self.weight * self.mask, self.bias)

    def num_trainable(self):
        """Weights that exist in the network (the mask's ones), plus the biases."""
        return int(self.mask.sum().item()) + self.bias.numel()


class EuclideanRBF(nn.Module):
    """The output layer of LeNet-5: one Euclidean radial basis function unit per class,
    y_i = sum_j (x_j - w_ij)^2, the squared distance from the input to a fixed prototype.

    The prototypes are a buffer, not a parameter: the paper chose them by hand and kept
    them fixed. The smallest output is the predicted class.

    Parameters
    ----------
    prototypes : array_like, shape (classes, features)

    Examples
    --------
    >>> rbf = EuclideanRBF(digit_prototypes())
    >>> rbf(torch.as_tensor(digit_prototypes()[3:4])).argmin(dim=1).tolist()
    [3]
    """

    def __init__(self, prototypes):
        super().__init__()
        self.register_buffer("prototypes", torch.as_tensor(prototypes, dtype=torch.float32))

    def forward(self, input):
        return ((input[:, None, :] - self.prototypes[None]) ** 2).sum(dim=2)


def lenet5_loss(distances, labels, j=LOSS_J):
    """The paper's loss for the RBF outputs, its equation (9):

    E = mean over patterns of  y_D + log(exp(-j) + sum_i exp(-y_i))

    where y_D is the distance of the correct class. The first term pulls the F6 code
    towards the correct prototype; the second, a "maximum a posteriori" term, pushes the
    other classes' distances up, like the denominator of a softmax over -y_i with an extra
    "rubbish" class of fixed score -j. E is never negative, and it stops pulling y_D down
    once y_D is well below j and well below every other distance. With ``j=None`` it is
    the simpler criterion of equation (8), the mean of y_D alone.

    Parameters
    ----------
    distances : torch.Tensor, shape (N, 10)
        The RBF outputs.
    labels : torch.Tensor of int64, shape (N,)
    j : float or None, optional
        The positive constant of the MAP term. Default :data:`LOSS_J`.

    Returns
    -------
    torch.Tensor
        A scalar.

    Examples
    --------
    >>> distances = torch.tensor([[0.0, 50.0], [50.0, 0.0]])
    >>> round(lenet5_loss(distances, torch.tensor([0, 1])).item(), 4)
    0.0
    >>> round(lenet5_loss(distances, torch.tensor([1, 1]), j=None).item(), 4)
    25.0
    """
    correct = distances.gather(1, labels[:, None]).squeeze(1)
    if j is None:
        return correct.mean()
    rubbish = torch.full_like(correct, -float(j))[:, None]
    competition = torch.logsumexp(torch.cat([-distances, rubbish], dim=1), dim=1)
    return (correct + competition).mean()


class LeNet5(nn.Module):
    """LeNet-5 as published in 1998: scaled tanh, trainable subsampling, C3's partial
    table, Euclidean RBF outputs with fixed prototypes; 60,000 trainable parameters.

    Input: (N, 1, 32, 32), digits prepared by :func:`lib.datasets.to_lenet5_input`.
    Output: (N, 10) squared distances to the digit prototypes; the smallest wins
    (:meth:`predict`), and :meth:`loss` is :func:`lenet5_loss`.

    Departures from the paper, both forced by missing details: the RBF prototypes are
    bitmaps drawn for this book (:data:`DIGIT_BITMAPS`), and the MAP loss's constant j
    is chosen here (:data:`LOSS_J`; ``loss_j`` sets another, as the settings check of
    :mod:`lib.settings_selection` does).

    Examples
    --------
    >>> model = LeNet5()
    >>> # torch's count includes C3's 900 masked weights (96 links x 25, only 60 exist)
    >>> sum(p.numel() for p in model.parameters())
    60900
    >>> parameter_table(model)[-1]
    {'layer': 'total', 'parameters': 60000}
    >>> model(torch.zeros(2, 1, 32, 32)).shape
    torch.Size([2, 10])
    """

    #: The layers in order, by attribute name.
    layer_names = ("c1", "s2", "c3", "s4", "c5", "f6", "output")

    def __init__(self, loss_j=LOSS_J):
        super().__init__()
        if isinstance(loss_j, bool) or not isinstance(loss_j, (int, float)):
            raise TypeError(f"loss_j must be a number, got {type(loss_j).__name__}")
        if not 0 < loss_j < float("inf"):
            raise ValueError(f"loss_j must be positive and finite, got {loss_j}")
        self.loss_j = float(loss_j)
        self.c1 = nn.Conv2d(1, 6, 5)
        self.s2 = Subsampling(6)
        self.c3 = MaskedConv2d(c3_connections(), 5)
        self.s4 = Subsampling(16)
        self.c5 = nn.Conv2d(16, 120, 5)
        self.f6 = nn.Linear(120, 84)
        self.output = EuclideanRBF(digit_prototypes())
        self.squash = ScaledTanh()
        for layer, fan_in in ((self.c1, 25), (self.c5, 400), (self.f6, 120)):
            _uniform_fan_in_(layer.weight, fan_in)
            _uniform_fan_in_(layer.bias, fan_in)

    def forward(self, input):
        x = self.squash(self.c1(input))
        x = self.squash(self.s2(x))
        x = self.squash(self.c3(x))
        x = self.squash(self.s4(x))
        x = self.squash(self.c5(x)).flatten(1)
        x = self.squash(self.f6(x))
        return self.output(x)

    @staticmethod
    def predict(outputs):
        """The class of the nearest prototype."""
        return outputs.argmin(dim=1)

    def loss(self, outputs, labels):
        """:func:`lenet5_loss` with this model's j (the book's :data:`LOSS_J` unless
        ``loss_j`` said otherwise)."""
        return lenet5_loss(outputs, labels, j=self.loss_j)


class LeNet5Modern(nn.Module):
    """The modern variant, **not** the 1998 network: ReLU instead of the scaled tanh,
    2x2 max pooling instead of trainable subsampling, a full C3 (every map reads all 6),
    a linear 10-way output read through a softmax, and cross-entropy. The layer sizes are
    LeNet-5's; 61,706 trainable parameters.

    Examples
    --------
    >>> model = LeNet5Modern()
    >>> parameter_table(model)[-1]
    {'layer': 'total', 'parameters': 61706}
    >>> model(torch.zeros(2, 1, 32, 32)).shape
    torch.Size([2, 10])
    """

    layer_names = ("c1", "s2", "c3", "s4", "c5", "f6", "output")

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5)
        self.s2 = nn.MaxPool2d(2)
        self.c3 = nn.Conv2d(6, 16, 5)
        self.s4 = nn.MaxPool2d(2)
        self.c5 = nn.Conv2d(16, 120, 5)
        self.f6 = nn.Linear(120, 84)
        self.output = nn.Linear(84, 10)

    def forward(self, input):
        x = self.s2(F.relu(self.c1(input)))
        x = self.s4(F.relu(self.c3(x)))
        x = F.relu(self.c5(x)).flatten(1)
        x = F.relu(self.f6(x))
        return self.output(x)

    @staticmethod
    def predict(outputs):
        """The class of the largest score."""
        return outputs.argmax(dim=1)

    @staticmethod
    def loss(outputs, labels):
        """Cross-entropy of the softmax of the scores."""
        return F.cross_entropy(outputs, labels)


def initial_sum_spread(layer, input_shape, samples=2000):
    """Standard deviation of a fresh layer's weighted sums (bias left out) on random inputs.

    The inputs are ``samples`` draws of standard normal values (variance 1) of shape
    ``input_shape``; uses torch's random generator (seed it for a repeatable value).

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> layer = nn.Linear(400, 10)
    >>> _ = _uniform_fan_in_(layer.weight, 400)
    >>> round(initial_sum_spread(layer, (400,)), 2)  # 2.4 / sqrt(3 * 400) = 0.069
    0.07
    """
    x = torch.randn(samples, *input_shape)
    with torch.no_grad():
        sums = layer(x) - layer.bias.view(-1, *[1] * (x.dim() - 2))
    return sums.std().item()


def _layer_label(name):
    return name if name == "output" else name.upper()


def _layers(model):
    names = getattr(model, "layer_names", None)
    if names is None:
        raise TypeError(
            f"model must list its layers in a layer_names attribute, as LeNet5 and "
            f"LeNet5Modern do; got a {type(model).__name__}"
        )
    return [(name, getattr(model, name)) for name in names]


def count_trainable(module):
    """Trainable parameters of one layer, not counting weights that a mask removes.

    Examples
    --------
    >>> count_trainable(nn.Conv2d(1, 6, 5)), count_trainable(MaskedConv2d(c3_connections(), 5))
    (156, 1516)
    """
    if hasattr(module, "num_trainable"):
        return module.num_trainable()
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def parameter_table(model):
    """Trainable parameters per layer, counted from the model's torch parameters.

    Parameters
    ----------
    model : LeNet5 or LeNet5Modern

    Returns
    -------
    list of dict
        One ``{"layer": ..., "parameters": ...}`` per layer, then a ``"total"`` row.

    Raises
    ------
    TypeError
        If ``model`` has no ``layer_names``.

    Examples
    --------
    >>> [row["parameters"] for row in parameter_table(LeNet5())]
    [156, 12, 1516, 32, 48120, 10164, 0, 60000]
    """
    rows = [
        {"layer": _layer_label(name), "parameters": count_trainable(module)}
        for name, module in _layers(model)
    ]
    rows.append({"layer": "total", "parameters": sum(row["parameters"] for row in rows)})
    return rows


def _connections(module, output):
    """Connections of one layer whose output has shape ``output``: every (input, unit)
    link plus one per bias, counted once per unit that uses it (as the paper counts)."""
    units = int(np.prod(output))
    if isinstance(module, nn.Conv2d):
        # At each output position, the units of all maps together read every tap of
        # every kernel (only the table's kernels, for C3) and one bias each.
        taps = int(module.mask.sum().item()) if isinstance(module, MaskedConv2d) else None
        taps = module.weight.numel() if taps is None else taps
        biases = module.out_channels if module.bias is not None else 0
        return output[1] * output[2] * (taps + biases)
    if isinstance(module, Subsampling):
        return units * (module.kernel_size**2 + 1)  # the window's values and the bias
    if isinstance(module, nn.MaxPool2d | nn.AvgPool2d):
        k = module.kernel_size
        return units * (k * k if isinstance(k, int) else k[0] * k[1])  # no bias
    if isinstance(module, nn.Linear):
        return module.out_features * (module.in_features + (module.bias is not None))
    if isinstance(module, EuclideanRBF):
        return int(module.prototypes.numel())  # each unit reads all of F6, no bias
    raise TypeError(f"connection_table does not know the layer type {type(module).__name__}")


def connection_table(model):
    """Connections and trainable parameters per layer: weight sharing, in numbers.

    A connection is one link from an input (or a bias) to one unit, counted as the paper
    counts them (section II-B): C1's 4,704 units each read 25 pixels and a bias, so C1
    has 4,704 x 26 = 122,304 connections, but its 156 parameters are shared by all of
    them. The paper's total, 340,908, is the sum of this table for :class:`LeNet5` (the
    paper gives no count for the output layer; 10 x 84 = 840 makes up its total).

    Parameters
    ----------
    model : LeNet5 or LeNet5Modern

    Returns
    -------
    list of dict
        ``{"layer": ..., "connections": ..., "parameters": ...}`` per layer, then a
        ``"total"`` row.

    Raises
    ------
    TypeError
        If ``model`` has no ``layer_names``, or a layer is of a type it does not know.

    Examples
    --------
    >>> for row in connection_table(LeNet5()):
    ...     print(f"{row['layer']:>6} {row['connections']:>8,} {row['parameters']:>7,}")
        C1  122,304     156
        S2    5,880      12
        C3  151,600   1,516
        S4    2,000      32
        C5   48,120  48,120
        F6   10,164  10,164
    output      840       0
     total  340,908  60,000
    """
    shapes = {row["layer"]: row["output"] for row in shape_table(model, check=False)}
    rows = [
        {
            "layer": _layer_label(name),
            "connections": _connections(module, shapes[_layer_label(name)]),
            "parameters": count_trainable(module),
        }
        for name, module in _layers(model)
    ]
    rows.append(
        {
            "layer": "total",
            "connections": sum(row["connections"] for row in rows),
            "parameters": sum(row["parameters"] for row in rows),
        }
    )
    return rows


def _layer_output_shape(module, shape):
    """The output shape of one layer for an input of ``shape``, by the output-size
    formula; (C, H, W) for maps, (F,) for vectors."""
    if isinstance(module, nn.Conv2d):
        _, h, w = shape
        k, s, p, d = module.kernel_size, module.stride, module.padding, module.dilation
        return (
            module.out_channels,
            output_size(h, k[0], s[0], p[0], d[0]),
            output_size(w, k[1], s[1], p[1], d[1]),
        )
    if isinstance(module, Subsampling):
        c, h, w = shape
        k = module.kernel_size
        return (c, output_size(h, k, stride=k), output_size(w, k, stride=k))
    if isinstance(module, nn.MaxPool2d | nn.AvgPool2d):
        c, h, w = shape
        k, s, p = module.kernel_size, module.stride, module.padding
        d = getattr(module, "dilation", 1)
        return (c, *(output_size(n, k, s, p, d, module.ceil_mode) for n in (h, w)))
    if isinstance(module, nn.Linear):
        return (module.out_features,)
    if isinstance(module, EuclideanRBF):
        return (module.prototypes.shape[0],)
    raise TypeError(f"shape_table does not know the layer type {type(module).__name__}")


def traced_shapes(model, input_size=32):
    """Each layer's output shape in a real forward pass, recorded by forward hooks.

    Returns
    -------
    dict
        Layer label -> output shape without the batch dimension.

    Examples
    --------
    >>> traced_shapes(LeNet5())["C3"]
    (16, 10, 10)
    """
    shapes = {}

    def recorder(label):
        def record(_module, _input, output):  # returns None: the output is left alone
            shapes[label] = tuple(output.shape[1:])

        return record

    hooks = [
        module.register_forward_hook(recorder(_layer_label(name)))
        for name, module in _layers(model)
    ]
    try:
        with torch.no_grad():
            model(torch.zeros(1, 1, input_size, input_size))
    finally:
        for hook in hooks:
            hook.remove()
    return shapes


def shape_table(model, input_size=32, check=True):
    """Each layer's output shape, computed with :func:`lib.output_size`.

    Parameters
    ----------
    model : LeNet5 or LeNet5Modern
    input_size : int, optional
        Height and width of the one-channel input. Default 32.
    check : bool, optional
        Also run a forward pass and check every shape against it. Default True.

    Returns
    -------
    list of dict
        ``{"layer": ..., "output": shape}``, from the input to the output layer. A shape
        is (maps, height, width) or (features,); C5's (120, 1, 1) is flattened for F6.

    Raises
    ------
    RuntimeError
        If ``check`` is true and a computed shape differs from the forward pass's.

    Examples
    --------
    >>> for row in shape_table(LeNet5()):
    ...     print(f"{row['layer']:>6} {row['output']}")
     input (1, 32, 32)
        C1 (6, 28, 28)
        S2 (6, 14, 14)
        C3 (16, 10, 10)
        S4 (16, 5, 5)
        C5 (120, 1, 1)
        F6 (84,)
    output (10,)
    """
    shape = (1, input_size, input_size)
    rows = [{"layer": "input", "output": shape}]
    for name, module in _layers(model):
        shape = _layer_output_shape(module, shape)
        rows.append({"layer": _layer_label(name), "output": shape})
    if check:
        traced = traced_shapes(model, input_size)
        for row in rows[1:]:
            if traced.get(row["layer"]) != row["output"]:
                raise RuntimeError(
                    f"layer {row['layer']}: the formula gives {row['output']}, the forward "
                    f"pass {traced.get(row['layer'])}"
                )
    return rows
