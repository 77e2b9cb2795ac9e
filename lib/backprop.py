"""Backpropagation through a :mod:`lib.numpy_nn` model, layer by layer, with every shape.

The chain rule, one layer at a time: the forward pass runs the layers in order, each
keeping its input; the backward pass hands the gradient with respect to each layer's
output to that layer, which returns the gradient with respect to its input (the next
one down's output gradient) and fills the gradients of its parameters. Every gradient has
the shape of what it is the gradient of. :func:`gradient_table` runs one batch through
a model this way and records the shapes.

Examples
--------
>>> from lib import numpy_nn as nnp
>>> model = nnp.Sequential(nnp.Linear(4, 3, rng=0), nnp.ReLU(), names=["fc", "relu"])
>>> rows = gradient_table(model, np.ones((2, 4)), np.array([0, 1]))
>>> [(r["layer"], r["output"], r["grad_input"]) for r in rows]
[('fc', (2, 3), (2, 4)), ('relu', (2, 3), (2, 3))]
>>> rows[0]["grads"]
{'weight': (3, 4), 'bias': (3,)}
"""

import numpy as np

__all__ = ["gradient_table"]


def gradient_table(model, images, labels):
    """One forward and one backward pass of ``model``, layer by layer, and every shape.

    Parameters
    ----------
    model : lib.numpy_nn.Sequential
        E.g. :class:`lib.numpy_nn.LeNet5`; its ``loss`` gives the first gradient.
    images : array_like
        A batch of inputs.
    labels : array_like of int
        Their labels.

    Returns
    -------
    list of dict
        One per layer, in the forward order: ``"layer"`` (its name), ``"kind"`` (its
        class), ``"input"`` and ``"output"`` (shapes), ``"grad_output"`` (the shape of
        the gradient it receives), ``"grad_input"`` (of the gradient it hands back) and
        ``"grads"`` (parameter name to its gradient's shape).
    """
    x = np.asarray(images)
    rows = []
    for name, layer in zip(model.names, model.layers, strict=True):
        row = {"layer": name, "kind": type(layer).__name__, "input": x.shape}
        x = layer.forward(x)
        row["output"] = x.shape
        rows.append(row)
    loss, grad = model.loss(x, labels)
    for row, layer in zip(reversed(rows), reversed(model.layers), strict=True):
        row["grad_output"] = grad.shape
        grad = layer.backward(grad)  # the chain rule: dL/d(input) from dL/d(output)
        row["grad_input"] = grad.shape
        row["grads"] = {key: value.shape for key, value in layer.grads.items()}
    return rows
