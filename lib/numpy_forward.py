"""LeNet-5's forward pass in NumPy, with the book's own convolution and pooling.

A trained torch model is only its weights and the order in which layers use them. This
module reads the weights of a :class:`lib.models.LeNet5` or :class:`lib.models.LeNet5Modern`
and runs the same network with :func:`lib.conv2d`, :func:`lib.avg_pool2d` and
:func:`lib.max_pool2d` in float64: if the book's functions are right, the predictions are
the ones torch makes. Each layer is a line or two, in the order of the paper's figure:

=====  =============================================  ==========================================
layer  LeNet5 (1998)                                  LeNet5Modern
=====  =============================================  ==========================================
C1     f(conv2d(x, W, b))                             relu(conv2d(x, W, b))
S2     f(4 avg_pool2d(x, 2) * coefficient + bias)     max_pool2d(x, 2)
C3     f(conv2d) of each map's own S2 maps (Table I)  relu(conv2d(x, W, b)), all 6 maps
S4     as S2                                          max_pool2d(x, 2)
C5     f(conv2d(x, W, b)), flattened                  relu(conv2d(x, W, b)), flattened
F6     f(x W^T + b)                                   relu(x W^T + b)
out    squared distance to each prototype             x W^T + b
=====  =============================================  ==========================================

f is the scaled tanh, f(a) = 1.7159 tanh(2a/3).
"""

import numpy as np
import torch

from lib._validation import as_array
from lib.convolution import conv2d
from lib.models import TANH_AMPLITUDE, TANH_SLOPE, LeNet5, LeNet5Modern
from lib.pooling import avg_pool2d, max_pool2d

#: The layers whose outputs ``return_maps=True`` returns, in order.
LAYERS = ("C1", "S2", "C3", "S4", "C5", "F6", "output")


def scaled_tanh(a):
    """The paper's squashing function, f(a) = 1.7159 tanh(2a/3), in NumPy.

    Examples
    --------
    >>> scaled_tanh(np.array([-1.0, 0.0, 1.0])).round(4)
    array([-1.,  0.,  1.])
    """
    return TANH_AMPLITUDE * np.tanh(TANH_SLOPE * np.asarray(a))


def relu(a):
    """max(a, 0), element by element.

    Examples
    --------
    >>> relu(np.array([-2.0, 0.0, 3.0]))
    array([0., 0., 3.])
    """
    return np.maximum(a, 0.0)


def _numpy(tensor):
    return tensor.detach().cpu().to(torch.float64).numpy()


def subsample(x, coefficient, bias, kernel_size=2):
    """LeNet-5's trainable subsampling (before the squashing): each non-overlapping
    window's sum, times the map's coefficient, plus the map's bias.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, C, H, W)
    coefficient, bias : numpy.ndarray, shape (C,)
    kernel_size : int, optional
        Window size and stride. Default 2.

    Returns
    -------
    numpy.ndarray, shape (N, C, H // kernel_size, W // kernel_size)

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> subsample(x, np.array([0.5]), np.array([1.0]))[0, 0]
    array([[ 6., 10.],
           [22., 26.]])
    """
    window_sums = avg_pool2d(x, kernel_size) * (kernel_size * kernel_size)
    return window_sums * coefficient[:, None, None] + bias[:, None, None]


def partial_conv2d(x, weight, bias, connections):
    """A convolution in which output map ``j`` reads only the input maps
    ``connections[j]`` (C3 of LeNet-5): one :func:`lib.conv2d` per output map.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, C, H, W)
    weight : numpy.ndarray, shape (O, C, kH, kW)
        Weights of unconnected pairs are ignored.
    bias : numpy.ndarray, shape (O,)
    connections : array_like of bool, shape (O, C)

    Returns
    -------
    numpy.ndarray, shape (N, O, H - kH + 1, W - kW + 1)

    Examples
    --------
    >>> x = np.ones((1, 2, 3, 3))
    >>> w = np.ones((2, 2, 3, 3))
    >>> table = np.array([[True, False], [True, True]])
    >>> partial_conv2d(x, w, np.zeros(2), table)[0, :, 0, 0]  # 9 ones, then 18
    array([ 9., 18.])
    """
    connections = np.asarray(connections, dtype=bool)
    maps = []
    for j, reads in enumerate(connections):
        maps.append(conv2d(x[:, reads], weight[j : j + 1, reads], bias[j : j + 1]))
    return np.concatenate(maps, axis=1)


def lenet5_forward_numpy(model, images, return_maps=False):
    """Run a trained LeNet-5 on ``images`` with NumPy and the book's own layers.

    Parameters
    ----------
    model : LeNet5 or LeNet5Modern
        A torch model whose weights are read (as float64); it is not changed.
    images : array_like, shape (N, 1, 32, 32)
        Inputs as :func:`lib.datasets.to_lenet5_input` prepares them.
    return_maps : bool, optional
        Also return every layer's output. Default False.

    Returns
    -------
    outputs : numpy.ndarray of float64, shape (N, 10)
        What the model's forward pass returns: RBF distances (LeNet5; the smallest wins)
        or scores (LeNet5Modern; the largest wins). :func:`predict_numpy` picks the class.
    maps : dict
        Only with ``return_maps``: layer name (:data:`LAYERS`) -> that layer's output,
        after its activation.

    Raises
    ------
    TypeError
        If ``model`` is neither a LeNet5 nor a LeNet5Modern.
    ValueError
        If ``images`` is not of shape (N, 1, 32, 32).

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> model = LeNet5()
    >>> x = np.random.default_rng(0).normal(size=(3, 1, 32, 32))
    >>> ours = lenet5_forward_numpy(model, x)
    >>> theirs = model(torch.tensor(x, dtype=torch.float32)).detach().numpy()
    >>> ours.shape, bool(np.allclose(ours, theirs, atol=1e-4))
    ((3, 10), True)
    """
    if not isinstance(model, LeNet5 | LeNet5Modern):
        raise TypeError(
            f"model must be a lib.models.LeNet5 or LeNet5Modern, got {type(model).__name__}"
        )
    x = as_array(images, "images").astype(np.float64)
    if x.ndim != 4 or x.shape[1:] != (1, 32, 32):
        raise ValueError(
            f"images must have shape (N, 1, 32, 32) (use lib.datasets.to_lenet5_input), "
            f"got {tuple(x.shape)}"
        )
    p = {name: _numpy(value) for name, value in model.state_dict().items()}
    maps = {}
    if isinstance(model, LeNet5):
        f = scaled_tanh
        maps["C1"] = f(conv2d(x, p["c1.weight"], p["c1.bias"]))
        maps["S2"] = f(subsample(maps["C1"], p["s2.weight"], p["s2.bias"]))
        table = p["c3.mask"][:, :, 0, 0] > 0
        maps["C3"] = f(partial_conv2d(maps["S2"], p["c3.weight"], p["c3.bias"], table))
        maps["S4"] = f(subsample(maps["C3"], p["s4.weight"], p["s4.bias"]))
        maps["C5"] = f(conv2d(maps["S4"], p["c5.weight"], p["c5.bias"]))
        maps["F6"] = f(maps["C5"].reshape(len(x), -1) @ p["f6.weight"].T + p["f6.bias"])
        differences = maps["F6"][:, None, :] - p["output.prototypes"][None]
        maps["output"] = (differences**2).sum(axis=2)
    else:
        maps["C1"] = relu(conv2d(x, p["c1.weight"], p["c1.bias"]))
        maps["S2"] = max_pool2d(maps["C1"], 2)
        maps["C3"] = relu(conv2d(maps["S2"], p["c3.weight"], p["c3.bias"]))
        maps["S4"] = max_pool2d(maps["C3"], 2)
        maps["C5"] = relu(conv2d(maps["S4"], p["c5.weight"], p["c5.bias"]))
        maps["F6"] = relu(maps["C5"].reshape(len(x), -1) @ p["f6.weight"].T + p["f6.bias"])
        maps["output"] = maps["F6"] @ p["output.weight"].T + p["output.bias"]
    return (maps["output"], maps) if return_maps else maps["output"]


def predict_numpy(model, images):
    """The classes that :func:`lenet5_forward_numpy` predicts: the nearest prototype
    (LeNet5) or the largest score (LeNet5Modern).

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> predict_numpy(LeNet5Modern(), np.zeros((2, 1, 32, 32))).shape
    (2,)
    """
    outputs = lenet5_forward_numpy(model, images)
    return outputs.argmin(axis=1) if isinstance(model, LeNet5) else outputs.argmax(axis=1)
