"""A small neural-network library in NumPy: layers with forward and backward passes.

It trains the 1998 LeNet-5 with nothing but :mod:`lib`'s convolution and pooling and
their gradients (:mod:`lib.gradients`). Each piece is short enough to read:

- :mod:`~lib.numpy_nn.layers`: ``Conv2d`` (with C3's connection table), ``Subsampling``,
  ``MaxPool2d``, ``AvgPool2d``, ``ScaledTanh``, ``ReLU``, ``Flatten``, ``Linear``,
  ``EuclideanRBF``; ``forward(x)``, ``backward(grad_y)``, ``params`` and ``grads``;
- :mod:`~lib.numpy_nn.losses`: ``lenet5_loss`` (the paper's equation 9) and
  ``cross_entropy``, each returning the loss and its gradient;
- :mod:`~lib.numpy_nn.optimizers`: ``SGD`` (with momentum) and ``Adam``, PyTorch's rules;
- :mod:`~lib.numpy_nn.model`: ``Sequential`` and ``LeNet5`` (with ``from_torch``);
- :mod:`~lib.numpy_nn.training`: ``train``, ``evaluate`` and ``shuffled_batches``;
- :mod:`~lib.numpy_nn.compare`: ``lockstep``, a torch LeNet-5 and its NumPy copy trained
  side by side, step by step.

Examples
--------
One training step of LeNet-5 on two blank digits:

>>> from lib import numpy_nn as nnp
>>> model = nnp.LeNet5(seed=0)
>>> optimizer = nnp.Adam(model, lr=1e-3)
>>> distances = model.forward(np.zeros((2, 1, 32, 32), np.float32))
>>> loss, grad = model.loss(distances, np.array([1, 7]))
>>> _ = model.backward(grad)
>>> optimizer.step()
>>> distances.shape, loss > 0
((2, 10), True)
"""

import numpy as np  # noqa: F401  (the doctests use it)

from lib.numpy_nn.compare import lockstep
from lib.numpy_nn.layers import (
    AvgPool2d,
    Conv2d,
    EuclideanRBF,
    Flatten,
    Layer,
    Linear,
    MaxPool2d,
    ReLU,
    ScaledTanh,
    Subsampling,
)
from lib.numpy_nn.losses import cross_entropy, lenet5_loss
from lib.numpy_nn.model import LeNet5, Sequential
from lib.numpy_nn.optimizers import SGD, Adam, Optimizer
from lib.numpy_nn.training import evaluate, train
from lib.training_loop import shuffled_batches

__all__ = ["Layer", "Conv2d", "Subsampling", "MaxPool2d", "AvgPool2d", "ScaledTanh", "ReLU"]
__all__ += ["Flatten", "Linear", "EuclideanRBF", "Sequential", "LeNet5"]
__all__ += ["lenet5_loss", "cross_entropy", "Optimizer", "SGD", "Adam"]
__all__ += ["train", "evaluate", "shuffled_batches", "lockstep"]
