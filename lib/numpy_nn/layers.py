"""Layers with a forward and a backward pass, in NumPy.

Every layer has the same small interface:

- ``forward(x)`` computes the output and keeps what the backward pass needs;
- ``backward(grad_y)`` takes the gradient of the loss with respect to that output,
  returns the gradient with respect to ``x`` and fills ``layer.grads``, which has the
  keys of ``layer.params`` (``"weight"``, ``"bias"``; empty for a layer without any).

The backward passes of convolution and pooling are :mod:`lib.gradients`' functions (the
gradient of a convolution is a convolution); the rest are a line or two of calculus
each. Arrays are float32 by default, like PyTorch's.
"""

import numpy as np

from lib._validation import as_array, as_int
from lib.convolution import conv2d
from lib.gradients import (
    avg_pool2d_grad,
    conv2d_grad_bias,
    conv2d_grad_input,
    conv2d_grad_weight,
    max_pool2d_grad,
)
from lib.lenet5_design import TANH_AMPLITUDE, TANH_SLOPE
from lib.pooling import avg_pool2d, max_pool2d

#: The dtype of every parameter and activation.
DTYPE = np.float32


def uniform_fan_in(shape, fan_in, rng):
    """The paper's initialisation: uniform in +-2.4 / fan-in (as :mod:`lib.models`).

    Parameters
    ----------
    shape : tuple of int
    fan_in : int or array_like
        The inputs each unit reads; an array broadcasts against ``shape`` (one fan-in
        per output map, as in C3).
    rng : numpy.random.Generator

    Examples
    --------
    >>> w = uniform_fan_in((6, 1, 5, 5), 25, np.random.default_rng(0))
    >>> w.dtype, bool(np.abs(w).max() <= 2.4 / 25)
    (dtype('float32'), True)
    """
    bound = 2.4 / np.asarray(fan_in, dtype=np.float64)
    return (rng.uniform(-1.0, 1.0, size=shape) * bound).astype(DTYPE)


def _rng(rng):
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    if isinstance(rng, np.random.Generator):
        return rng
    raise TypeError(f"rng must be None, an int seed or a numpy.random.Generator, got {rng!r}")


def _checked_input(x, ndim, layer, layout):
    """``x`` as a float32 array with ``ndim`` dimensions, or an error naming ``x``."""
    x = as_array(x, "x")
    if x.ndim != ndim:
        raise ValueError(f"x of {layer} must have shape {layout}; got shape {x.shape}")
    return x.astype(DTYPE, copy=False)


class Layer:
    """What every layer shares: the checks around its own ``_forward`` and ``_backward``.

    ``forward(x)`` computes the output (``layer(x)`` too) and remembers its shape;
    ``backward(grad_y)`` checks that ``grad_y`` has that shape, makes it float32 and
    hands it to the layer's ``_backward``. Each layer defines only the two underscored
    methods: the calculus.

    Examples
    --------
    >>> relu = ReLU()
    >>> relu(np.array([[-1.0, 2.0]]))
    array([[0., 2.]], dtype=float32)
    >>> relu.backward(np.ones((2, 2)))
    Traceback (most recent call last):
    ...
    ValueError: grad_y must have the shape of ReLU's last output, (1, 2); got (2, 2)
    """

    def __init__(self):
        self.params = {}
        self.grads = {}
        self._y_shape = None
        self._input_grad = True

    def __call__(self, x):
        return self.forward(x)

    def forward(self, x):
        """The layer's output for ``x``; keeps what :meth:`backward` needs."""
        y = self._forward(x)
        self._y_shape = y.shape
        return y

    def backward(self, grad_y, input_grad=True):
        """The gradient with respect to the last ``x``, given that with respect to the
        output; fills :attr:`grads`.

        With ``input_grad=False`` a layer may skip the input's gradient and return None:
        training never needs the gradient with respect to the images themselves (PyTorch
        skips it too: they do not require a gradient). A convolution then saves a
        transposed convolution.
        """
        name = type(self).__name__
        if self._y_shape is None:
            raise RuntimeError(f"{name}.backward needs a forward pass first")
        grad_y = as_array(grad_y, "grad_y")
        if grad_y.shape != self._y_shape:
            raise ValueError(
                f"grad_y must have the shape of {name}'s last output, {self._y_shape}; "
                f"got {grad_y.shape}"
            )
        self._input_grad = bool(input_grad)
        grad_x = self._backward(grad_y.astype(DTYPE, copy=False))
        return grad_x if self._input_grad else None

    def _forward(self, x):  # pragma: no cover - every layer defines it
        raise NotImplementedError

    def _backward(self, grad_y):  # pragma: no cover - every layer defines it
        raise NotImplementedError

    def __repr__(self):
        shapes = ", ".join(f"{k}={v.shape}" for k, v in self.params.items())
        return f"{type(self).__name__}({shapes})"


class Conv2d(Layer):
    """A convolution layer (cross-correlation, as in PyTorch), optionally masked.

    ``connections[o, c]`` false means output map ``o`` does not read input map ``c``
    (LeNet-5's C3, the paper's Table I): those weights are kept at zero, get zero
    gradients and do not count in the fan-in of the initialisation.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int
        Square kernels.
    stride, padding : int, optional
        As :func:`lib.conv2d` takes them. Default 1 and 0.
    connections : array_like of bool, shape (out_channels, in_channels), optional
        Default None: every output map reads every input map.
    rng : None, int or numpy.random.Generator, optional
        For the initialisation, uniform in +-2.4 / fan-in (the paper's).

    Examples
    --------
    >>> conv = Conv2d(1, 2, 3, rng=0)
    >>> y = conv(np.ones((4, 1, 5, 5)))
    >>> y.shape, conv.backward(np.ones_like(y)).shape, conv.grads["weight"].shape
    ((4, 2, 3, 3), (4, 1, 5, 5), (2, 1, 3, 3))
    >>> conv.grads["bias"]  # each bias reaches 4 images x 9 positions
    array([36., 36.], dtype=float32)
    """

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        connections=None,
        rng=None,
    ):
        super().__init__()
        in_channels = as_int(in_channels, "in_channels", minimum=1)
        out_channels = as_int(out_channels, "out_channels", minimum=1)
        k = as_int(kernel_size, "kernel_size", minimum=1)
        self.stride = as_int(stride, "stride", minimum=1)
        self.padding = as_int(padding, "padding", minimum=0)
        self.mask = None
        fan_in = np.full((out_channels, 1, 1, 1), in_channels * k * k)
        if connections is not None:
            table = np.asarray(connections)
            if table.shape != (out_channels, in_channels) or table.dtype.kind not in "bi":
                raise ValueError(
                    f"connections must be a boolean array of shape (out_channels, "
                    f"in_channels) = {(out_channels, in_channels)}; got {table.dtype} "
                    f"of shape {table.shape}"
                )
            table = table.astype(bool)
            if not table.any(axis=1).all():
                raise ValueError("connections: every output map must read at least one input map")
            self.mask = np.broadcast_to(table[:, :, None, None], (out_channels, in_channels, k, k))
            self.mask = self.mask.astype(DTYPE)
            fan_in = table.sum(axis=1)[:, None, None, None] * k * k
        rng = _rng(rng)
        weight = uniform_fan_in((out_channels, in_channels, k, k), fan_in, rng)
        bias = uniform_fan_in(out_channels, fan_in.ravel(), rng)
        if self.mask is not None:
            weight *= self.mask
        self.params = {"weight": weight, "bias": bias}
        self._x = None

    def _forward(self, x):
        x = _checked_input(x, 4, "Conv2d", "(N, C, H, W)")
        weight = self.params["weight"]
        if x.shape[1] != weight.shape[1]:
            has, reads = x.shape[1], weight.shape[1]
            raise ValueError(f"x has {has} channels, the layer reads {reads}")
        if self.mask is not None:
            weight = weight * self.mask
        self._x = x
        conv = {"stride": self.stride, "padding": self.padding}
        return conv2d(x, weight, self.params["bias"], **conv)

    def _backward(self, grad_y):
        weight = self.params["weight"]
        if self.mask is not None:
            weight = weight * self.mask
        conv = {"stride": self.stride, "padding": self.padding}
        grad_weight = conv2d_grad_weight(self._x, grad_y, weight.shape, **conv)
        if self.mask is not None:
            grad_weight = grad_weight * self.mask  # absent links learn nothing
        self.grads = {"weight": grad_weight, "bias": conv2d_grad_bias(grad_y)}
        if not self._input_grad:
            return None
        return conv2d_grad_input(grad_y, weight, self._x.shape, **conv)


class Subsampling(Layer):
    """LeNet-5's trainable subsampling (S2, S4): each non-overlapping window's sum, times
    a coefficient, plus a bias, one of each per map (the squashing comes after).

    The windows do not overlap, so their sums add ``k * k`` strided grids: the pixels
    ``(i, j)`` of every window form the grid ``x[..., i::k, j::k]``. (It is ``k * k``
    times :func:`lib.avg_pool2d` with stride ``k``, in a tenth of its time.) Rows and
    columns beyond the last whole window are dropped, as pooling drops them.

    Backward: each pixel's share of a window sum is 1, so ``x``'s gradient is
    ``grad_y`` times the coefficient, copied into every one of those grids (zero for
    dropped pixels); the coefficient's gradient sums ``grad_y`` times the window sums,
    the bias's sums ``grad_y``.

    Parameters
    ----------
    channels : int
    kernel_size : int, optional
        Window size and stride. Default 2.
    rng : None, int or numpy.random.Generator, optional
        Initialisation uniform in +-2.4 / (kernel_size ** 2).

    Examples
    --------
    >>> s2 = Subsampling(1, rng=0)
    >>> s2.params["weight"][:], s2.params["bias"][:] = 0.5, 1.0
    >>> s2(np.arange(16.0).reshape(1, 1, 4, 4))[0, 0]
    array([[ 6., 10.],
           [22., 26.]], dtype=float32)
    >>> s2.backward(np.ones((1, 1, 2, 2)))[0, 0, 0]
    array([0.5, 0.5, 0.5, 0.5], dtype=float32)
    """

    def __init__(self, channels, kernel_size=2, rng=None):
        super().__init__()
        channels = as_int(channels, "channels", minimum=1)
        self.kernel_size = as_int(kernel_size, "kernel_size", minimum=1)
        rng = _rng(rng)
        fan_in = self.kernel_size**2
        self.params = {
            "weight": uniform_fan_in(channels, fan_in, rng),
            "bias": uniform_fan_in(channels, fan_in, rng),
        }
        self._cache = None

    def _forward(self, x):
        x = _checked_input(x, 4, "Subsampling", "(N, C, H, W)")
        n, channels, height, width = x.shape
        if channels != len(self.params["weight"]):
            raise ValueError(
                f"x has {channels} channels, the layer has {len(self.params['weight'])}"
            )
        k = self.kernel_size
        if height < k or width < k:
            raise ValueError(f"x's maps ({height}x{width}) must be at least kernel_size = {k}")
        rows, cols = height // k, width // k
        sums = sum(x[:, :, i : rows * k : k, j : cols * k : k] for i in range(k) for j in range(k))
        self._cache = (x.shape, sums)
        return sums * self.params["weight"][:, None, None] + self.params["bias"][:, None, None]

    def _backward(self, grad_y):
        shape, sums = self._cache
        k = self.kernel_size
        self.grads = {
            "weight": (grad_y * sums).sum(axis=(0, 2, 3)),
            "bias": grad_y.sum(axis=(0, 2, 3)),
        }
        grad_sums = grad_y * self.params["weight"][:, None, None]
        rows, cols = grad_sums.shape[2:]
        grad_x = np.zeros(shape, grad_sums.dtype)
        for i in range(k):
            for j in range(k):
                grad_x[:, :, i : rows * k : k, j : cols * k : k] = grad_sums
        return grad_x


class MaxPool2d(Layer):
    """Max pooling; backward routes each gradient to its window's maximum
    (:func:`lib.max_pool2d_grad`).

    Parameters
    ----------
    kernel_size : int
    stride : int, optional
        Default: ``kernel_size``.

    Examples
    --------
    >>> pool = MaxPool2d(2)
    >>> pool(np.array([[[[1.0, 3.0], [4.0, 2.0]]]]))
    array([[[[4.]]]], dtype=float32)
    >>> pool.backward(np.ones((1, 1, 1, 1)))[0, 0]
    array([[0., 0.],
           [1., 0.]], dtype=float32)
    """

    def __init__(self, kernel_size, stride=None):
        super().__init__()
        self.kernel_size = as_int(kernel_size, "kernel_size", minimum=1)
        self.stride = self.kernel_size if stride is None else as_int(stride, "stride", 1)
        self._x = None

    def _forward(self, x):
        self._x = _checked_input(x, 4, "MaxPool2d", "(N, C, H, W)")
        return max_pool2d(self._x, self.kernel_size, self.stride)

    def _backward(self, grad_y):
        return max_pool2d_grad(grad_y, self._x, self.kernel_size, self.stride)


class AvgPool2d(Layer):
    """Average pooling; backward spreads each gradient evenly over its window
    (:func:`lib.avg_pool2d_grad`).

    Parameters
    ----------
    kernel_size : int
    stride : int, optional
        Default: ``kernel_size``.

    Examples
    --------
    >>> pool = AvgPool2d(2)
    >>> pool(np.array([[[[1.0, 3.0], [4.0, 2.0]]]]))
    array([[[[2.5]]]], dtype=float32)
    >>> pool.backward(np.ones((1, 1, 1, 1)))[0, 0]
    array([[0.25, 0.25],
           [0.25, 0.25]], dtype=float32)
    """

    def __init__(self, kernel_size, stride=None):
        super().__init__()
        self.kernel_size = as_int(kernel_size, "kernel_size", minimum=1)
        self.stride = self.kernel_size if stride is None else as_int(stride, "stride", 1)
        self._shape = None

    def _forward(self, x):
        x = _checked_input(x, 4, "AvgPool2d", "(N, C, H, W)")
        self._shape = x.shape
        return avg_pool2d(x, self.kernel_size, self.stride)

    def _backward(self, grad_y):
        return avg_pool2d_grad(grad_y, self._shape, self.kernel_size, self.stride)


class ScaledTanh(Layer):
    """The paper's squashing function f(a) = 1.7159 tanh(2a/3).

    Backward: f'(a) = 1.7159 (2/3) (1 - tanh(2a/3)^2), from the tanh it kept.

    Examples
    --------
    >>> f = ScaledTanh()
    >>> f(np.array([-1.0, 0.0, 1.0])).round(4)
    array([-1.,  0.,  1.], dtype=float32)
    >>> f.backward(np.ones(3)).round(4)  # the slope: 1.1439 at 0
    array([0.7554, 1.1439, 0.7554], dtype=float32)
    """

    def __init__(self):
        super().__init__()
        self._tanh = None

    def _forward(self, x):
        x = as_array(x, "x").astype(DTYPE, copy=False)
        self._tanh = np.tanh(DTYPE(TANH_SLOPE) * x)
        return DTYPE(TANH_AMPLITUDE) * self._tanh

    def _backward(self, grad_y):
        slope = DTYPE(TANH_AMPLITUDE * TANH_SLOPE)
        return grad_y * (slope * (1 - self._tanh * self._tanh))


class ReLU(Layer):
    """max(x, 0); backward passes the gradient where x was positive.

    Examples
    --------
    >>> relu = ReLU()
    >>> relu(np.array([-1.0, 2.0])), relu.backward(np.array([5.0, 5.0]))
    (array([0., 2.], dtype=float32), array([0., 5.], dtype=float32))
    """

    def __init__(self):
        super().__init__()
        self._positive = None

    def _forward(self, x):
        x = as_array(x, "x").astype(DTYPE, copy=False)
        self._positive = x > 0
        return np.where(self._positive, x, DTYPE(0))

    def _backward(self, grad_y):
        return np.where(self._positive, grad_y, DTYPE(0)).astype(DTYPE, copy=False)


class Flatten(Layer):
    """(N, C, H, W) to (N, C * H * W); backward reshapes back.

    Examples
    --------
    >>> flat = Flatten()
    >>> flat(np.zeros((2, 120, 1, 1))).shape, flat.backward(np.zeros((2, 120))).shape
    ((2, 120), (2, 120, 1, 1))
    """

    def __init__(self):
        super().__init__()
        self._shape = None

    def _forward(self, x):
        x = as_array(x, "x").astype(DTYPE, copy=False)
        if x.ndim < 2:
            raise ValueError(f"x of Flatten must have a batch axis and more; got shape {x.shape}")
        self._shape = x.shape
        return x.reshape(len(x), -1)

    def _backward(self, grad_y):
        return grad_y.reshape(self._shape)


class Linear(Layer):
    """A fully connected layer, y = x W^T + b, with W of shape (out, in) as in PyTorch.

    Backward: grad_x = grad_y W, grad_W = grad_y^T x, grad_b = the sum of grad_y.

    Parameters
    ----------
    in_features, out_features : int
    rng : None, int or numpy.random.Generator, optional
        Initialisation uniform in +-2.4 / in_features (the paper's).

    Examples
    --------
    >>> fc = Linear(3, 2, rng=0)
    >>> fc(np.ones((5, 3))).shape, fc.backward(np.ones((5, 2))).shape
    ((5, 2), (5, 3))
    >>> fc.grads["weight"]
    array([[5., 5., 5.],
           [5., 5., 5.]], dtype=float32)
    """

    def __init__(self, in_features, out_features, rng=None):
        super().__init__()
        in_features = as_int(in_features, "in_features", minimum=1)
        out_features = as_int(out_features, "out_features", minimum=1)
        rng = _rng(rng)
        self.params = {
            "weight": uniform_fan_in((out_features, in_features), in_features, rng),
            "bias": uniform_fan_in(out_features, in_features, rng),
        }
        self._x = None

    def _forward(self, x):
        x = _checked_input(x, 2, "Linear", "(N, in_features)")
        if x.shape[1] != self.params["weight"].shape[1]:
            raise ValueError(
                f"x has {x.shape[1]} features, the layer reads {self.params['weight'].shape[1]}"
            )
        self._x = x
        return x @ self.params["weight"].T + self.params["bias"]

    def _backward(self, grad_y):
        self.grads = {"weight": grad_y.T @ self._x, "bias": grad_y.sum(axis=0)}
        return grad_y @ self.params["weight"]


class EuclideanRBF(Layer):
    """LeNet-5's output: y_i = sum_j (x_j - w_ij)^2, the squared distance from the input
    to each fixed prototype. No trainable parameters (the paper kept them fixed).

    Backward: dy_i/dx = 2 (x - w_i), so grad_x = 2 (sum_i grad_y_i) x - 2 grad_y W.

    Parameters
    ----------
    prototypes : array_like, shape (classes, features)

    Examples
    --------
    >>> rbf = EuclideanRBF([[1.0, 1.0], [-1.0, -1.0]])
    >>> rbf(np.array([[1.0, 0.0]]))
    array([[1., 5.]], dtype=float32)
    >>> rbf.backward(np.array([[1.0, 0.0]]))
    array([[ 0., -2.]], dtype=float32)
    """

    def __init__(self, prototypes):
        super().__init__()
        prototypes = as_array(prototypes, "prototypes")
        if prototypes.ndim != 2:
            raise ValueError(
                f"prototypes must have shape (classes, features); got shape {prototypes.shape}"
            )
        self.prototypes = prototypes.astype(DTYPE)
        self._x = None

    def _forward(self, x):
        x = _checked_input(x, 2, "EuclideanRBF", "(N, features)")
        if x.shape[1] != self.prototypes.shape[1]:
            raise ValueError(
                f"x has {x.shape[1]} features, the prototypes {self.prototypes.shape[1]}"
            )
        self._x = x
        differences = x[:, None, :] - self.prototypes[None]
        return (differences * differences).sum(axis=2)

    def _backward(self, grad_y):
        total = grad_y.sum(axis=1, keepdims=True)
        return DTYPE(2) * (total * self._x - grad_y @ self.prototypes)
