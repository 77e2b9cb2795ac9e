"""Models: layers in a sequence, and the 1998 LeNet-5 built from them.

The forward pass runs the layers in order; the backward pass runs their backward passes
in the reverse order, each handing the gradient with respect to its input to the layer
before it: the chain rule, one layer at a time.
"""

import numpy as np

from lib._validation import as_array
from lib.lenet5_design import c3_connections, digit_prototypes
from lib.numpy_nn.layers import (
    Conv2d,
    EuclideanRBF,
    Flatten,
    Layer,
    Linear,
    ScaledTanh,
    Subsampling,
)
from lib.numpy_nn.losses import cross_entropy, lenet5_loss


class Sequential:
    """Layers applied one after the other.

    Its loss is :func:`cross_entropy` of the last layer's scores and its prediction the
    largest score; :class:`LeNet5` changes both.

    Parameters
    ----------
    *layers : Layer
    names : sequence of str, optional
        One name per layer, for :meth:`named_parameters` (``"c1.weight"``). Default:
        the layers' positions, ``"0"``, ``"1"``, ...

    Examples
    --------
    >>> from lib.numpy_nn import ReLU
    >>> model = Sequential(Linear(4, 8, rng=0), ReLU(), Linear(8, 3, rng=1))
    >>> scores = model.forward(np.ones((5, 4)))
    >>> loss, grad = model.loss(scores, np.array([0, 1, 2, 0, 1]))
    >>> model.backward(grad).shape
    (5, 4)
    >>> [(name, param.shape) for name, param, grad in model.named_parameters()]
    [('0.weight', (8, 4)), ('0.bias', (8,)), ('2.weight', (3, 8)), ('2.bias', (3,))]
    """

    def __init__(self, *layers, names=None):
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(
                    f"layers[{i}] must be a numpy_nn layer, got a {type(layer).__name__}"
                )
        names = [str(i) for i in range(len(layers))] if names is None else list(names)
        if len(names) != len(layers) or len(set(names)) != len(names):
            raise ValueError(f"names must be {len(layers)} distinct names, one per layer")
        self.layers = list(layers)
        self.names = names

    def __call__(self, x):
        return self.forward(x)

    def forward(self, x):
        """Run every layer in order; each keeps what its backward pass needs."""
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_output, input_grad=True):
        """Run every backward pass in reverse order; return the input's gradient.

        With ``input_grad=False`` the first layer may skip the input's gradient, which
        training does not need, and None is returned.
        """
        grad = as_array(grad_output, "grad_output")
        for layer in reversed(self.layers[1:]):
            grad = layer.backward(grad)
        return self.layers[0].backward(grad, input_grad=input_grad)

    def named_parameters(self):
        """``(name, parameter, gradient)`` for every parameter; the gradient is None
        before the first backward pass."""
        return [
            (f"{name}.{key}", param, layer.grads.get(key))
            for name, layer in zip(self.names, self.layers, strict=True)
            for key, param in layer.params.items()
        ]

    def num_trainable(self):
        """Trainable parameters, not counting the weights a connection table removes."""
        total = 0
        for layer in self.layers:
            for key, param in layer.params.items():
                mask = getattr(layer, "mask", None)
                total += int(mask.sum()) if key == "weight" and mask is not None else param.size
        return total

    def loss(self, outputs, labels):
        """Cross-entropy: ``(loss, grad_outputs)``."""
        return cross_entropy(outputs, labels)

    @staticmethod
    def predict(outputs):
        """The class of the largest score."""
        return np.asarray(outputs).argmax(axis=1)

    def __getitem__(self, name):
        """The layer called ``name``."""
        if name not in self.names:
            raise KeyError(f"name: no layer {name!r}; the layers are {self.names}")
        return self.layers[self.names.index(name)]

    def __repr__(self):
        lines = [
            f"  {name}: {layer!r}" for name, layer in zip(self.names, self.layers, strict=True)
        ]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"


class LeNet5(Sequential):
    """The 1998 LeNet-5 in NumPy: :class:`lib.models.LeNet5`'s layers, shapes and
    initialisation (uniform in +-2.4 / fan-in), with forward and backward passes.

    C1, S2, C3 (the paper's partial table), S4, C5, F6, each followed by the scaled
    tanh, then the Euclidean RBF output with the book's fixed prototypes. Its loss is
    :func:`lenet5_loss` (equation 9) and its prediction the nearest prototype.

    Parameters
    ----------
    seed : int, optional
        Seed of the NumPy generator for the initial weights. Default 0. (To start from
        the same weights as a torch model, use :meth:`from_torch`.)

    Examples
    --------
    >>> model = LeNet5()
    >>> sum(p.size for _, p, _ in model.named_parameters())  # C3's 900 absent weights too
    60900
    >>> model.num_trainable()
    60000
    >>> distances = model.forward(np.zeros((2, 1, 32, 32), np.float32))
    >>> loss, grad = model.loss(distances, np.array([3, 7]))
    >>> model.backward(grad).shape, model["c1"].grads["weight"].shape
    ((2, 1, 32, 32), (6, 1, 5, 5))
    """

    #: The layers' names: torch's for those with parameters (``"c3.weight"``), and each
    #: squashing function named after the layer it follows.
    names = ("c1", "c1_tanh", "s2", "s2_tanh", "c3", "c3_tanh", "s4", "s4_tanh")
    names += ("c5", "c5_tanh", "flatten", "f6", "f6_tanh", "output")

    def __init__(self, seed=0):
        rng = np.random.default_rng(seed)
        layers = [
            Conv2d(1, 6, 5, rng=rng),
            ScaledTanh(),
            Subsampling(6, rng=rng),
            ScaledTanh(),
            Conv2d(6, 16, 5, connections=c3_connections(), rng=rng),
            ScaledTanh(),
            Subsampling(16, rng=rng),
            ScaledTanh(),
            Conv2d(16, 120, 5, rng=rng),
            ScaledTanh(),
            Flatten(),
            Linear(120, 84, rng=rng),
            ScaledTanh(),
            EuclideanRBF(digit_prototypes()),
        ]
        super().__init__(*layers, names=type(self).names)

    def loss(self, outputs, labels):
        """The paper's equation (9): ``(loss, grad_outputs)``."""
        return lenet5_loss(outputs, labels)

    @staticmethod
    def predict(outputs):
        """The class of the nearest prototype."""
        return np.asarray(outputs).argmin(axis=1)

    def state_dict(self):
        """Copies of the parameters by torch's names (``"c3.weight"``), and the prototypes."""
        state = {name: param.copy() for name, param, _ in self.named_parameters()}
        state["output.prototypes"] = self["output"].prototypes.copy()
        return state

    @classmethod
    def from_torch(cls, torch_model):
        """A NumPy LeNet-5 with the weights of a :class:`lib.models.LeNet5`.

        Parameters
        ----------
        torch_model : lib.models.LeNet5

        Returns
        -------
        LeNet5

        Raises
        ------
        TypeError
            If ``torch_model`` is not a :class:`lib.models.LeNet5`.

        Examples
        --------
        >>> import torch
        >>> from lib import models
        >>> _ = torch.manual_seed(0)
        >>> theirs = models.LeNet5()
        >>> ours = LeNet5.from_torch(theirs)
        >>> x = np.random.default_rng(0).normal(size=(3, 1, 32, 32)).astype(np.float32)
        >>> expected = theirs(torch.from_numpy(x)).detach().numpy()
        >>> bool(np.allclose(ours.forward(x), expected, rtol=1e-5, atol=1e-4))
        True
        """
        from lib.models import LeNet5 as TorchLeNet5  # torch is needed only here

        if not isinstance(torch_model, TorchLeNet5):
            raise TypeError(
                f"torch_model must be a lib.models.LeNet5, got a {type(torch_model).__name__}"
            )
        model = cls()
        state = {k: v.detach().cpu().numpy() for k, v in torch_model.state_dict().items()}
        for name, param, _ in model.named_parameters():
            param[...] = state[name]
        model["output"].prototypes[...] = state["output.prototypes"]
        return model
