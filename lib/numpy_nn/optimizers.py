"""Optimisers: they read each parameter's gradient and change the parameter in place.

Both follow PyTorch's update rules (``torch.optim.SGD`` without dampening or Nesterov,
``torch.optim.Adam`` without weight decay): the same formulas, though not the same float
operations (torch's Adam rounds its moment updates once, as fused multiply-adds, has a
square root of its own and multiplies before it divides in its last step), so the same
gradients give steps equal up to float32 rounding, not bit for bit
(``lib.engine_comparison.optimiser_differences`` measures it).
``optimizer.lr`` may be changed between steps: that is a schedule.
"""

import numbers

import numpy as np


def _checked_lr(value, name="lr"):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
        raise ValueError(f"{name} must be a number >= 0, got {value!r}")
    return float(value)


class Optimizer:
    """What both optimisers share: the model, the learning rate and per-parameter state.

    Parameters
    ----------
    model : object with ``named_parameters()``
        Returning ``(name, parameter, gradient)`` triples, as :class:`Sequential` does.
    lr : float
    """

    def __init__(self, model, lr):
        if not hasattr(model, "named_parameters"):
            raise TypeError(
                f"model must have named_parameters() (a numpy_nn Sequential or LeNet5), "
                f"got a {type(model).__name__}"
            )
        self.model = model
        self.lr = _checked_lr(lr)
        self.state = {}

    @property
    def lr(self):
        """The learning rate of the next step; set it to follow a schedule."""
        return self._lr

    @lr.setter
    def lr(self, value):
        self._lr = _checked_lr(value)

    def step(self):
        """Update every parameter from its gradient (call after ``model.backward``)."""
        for name, param, grad in self.model.named_parameters():
            if grad is None:
                raise RuntimeError(f"parameter {name} has no gradient: run backward first")
            self._update(name, param, grad.astype(param.dtype, copy=False))

    def _update(self, name, param, grad):  # pragma: no cover - each optimiser defines it
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, as ``torch.optim.SGD``:

    v <- momentum v + g  (v = g at the first step);  p <- p - lr v.

    Parameters
    ----------
    model : Sequential or LeNet5
    lr : float
    momentum : float, optional
        In [0, 1). Default 0.

    Examples
    --------
    >>> from lib.numpy_nn import Linear, Sequential
    >>> model = Sequential(Linear(2, 1, rng=0))
    >>> model.layers[0].params["weight"][:] = 1.0
    >>> model.layers[0].grads = {"weight": np.full((1, 2), 0.5), "bias": np.zeros(1)}
    >>> SGD(model, lr=0.1).step()
    >>> model.layers[0].params["weight"]
    array([[0.95, 0.95]], dtype=float32)
    """

    def __init__(self, model, lr, momentum=0.0):
        super().__init__(model, lr)
        momentum = _checked_lr(momentum, "momentum")
        if momentum >= 1:
            raise ValueError(f"momentum must be below 1, got {momentum}")
        self.momentum = momentum

    def _update(self, name, param, grad):
        if self.momentum:
            velocity = self.state.get(name)
            if velocity is None:
                velocity = self.state[name] = grad.copy()
            else:
                velocity *= param.dtype.type(self.momentum)
                velocity += grad
            grad = velocity
        param -= param.dtype.type(self.lr) * grad


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015), as ``torch.optim.Adam``:

    m <- m + (1 - b1)(g - m);  v <- b2 v + (1 - b2) g^2;
    p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).

    Each parameter typically moves by about ``lr`` per step, whatever its gradient's
    scale; Kingma and Ba (2015, section 2.1) bound the move by
    ``lr * (1 - b1) / sqrt(1 - b2)``, about ``3.2 * lr`` for the default betas, when
    ``1 - b1 > sqrt(1 - b2)``, and by ``lr`` otherwise.

    Parameters
    ----------
    model : Sequential or LeNet5
    lr : float, optional
        Default 1e-3.
    betas : (float, float), optional
        Default (0.9, 0.999).
    eps : float, optional
        Default 1e-8.

    Examples
    --------
    >>> from lib.numpy_nn import Linear, Sequential
    >>> model = Sequential(Linear(2, 1, rng=0))
    >>> model.layers[0].params["weight"][:] = 1.0
    >>> model.layers[0].grads = {"weight": np.array([[0.5, -3.0]]), "bias": np.zeros(1)}
    >>> Adam(model, lr=0.1).step()  # the first step moves each weight by lr
    >>> model.layers[0].params["weight"].round(4)
    array([[0.9, 1.1]], dtype=float32)
    """

    def __init__(self, model, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(model, lr)
        if not (isinstance(betas, tuple | list) and len(betas) == 2):
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        if not all(isinstance(b, numbers.Real) and 0 <= b < 1 for b in betas):
            raise ValueError(f"betas must each lie in [0, 1), got {betas!r}")
        self.betas = (float(betas[0]), float(betas[1]))
        self.eps = _checked_lr(eps, "eps")

    def _update(self, name, param, grad):
        if name not in self.state:
            self.state[name] = {"t": 0, "m": np.zeros_like(param), "v": np.zeros_like(param)}
        state = self.state[name]
        beta1, beta2 = self.betas
        f = param.dtype.type
        state["t"] += 1
        m, v, t = state["m"], state["v"], state["t"]
        m += f(1 - beta1) * (grad - m)  # torch's lerp
        v *= f(beta2)
        v += f(1 - beta2) * grad * grad
        step_size = self.lr / (1 - beta1**t)
        denominator = np.sqrt(v) / f((1 - beta2**t) ** 0.5) + f(self.eps)
        param -= f(step_size) * (m / denominator)
