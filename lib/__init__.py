"""The tested library behind *Convolution, from Formula to LeNet-5*.

Chapters import from here (``from lib import conv2d``) and never redefine what it
holds. Names, argument names and the (N, C, H, W) layout follow
``torch.nn.functional``, so a reader can move to PyTorch without relearning.

The names below are imported when first used, not when ``lib`` is: ``from lib import
conv2d`` loads NumPy and SciPy only, and torch waits until a name that needs it (a
model, training) is asked for. That keeps a process that needs only the convolution,
such as each sandboxed process of the grader, from spending seconds importing torch.

Examples
--------
>>> import lib
>>> lib.conv2d is lib.convolution.conv2d
True
>>> lib.no_such_name
Traceback (most recent call last):
...
AttributeError: module 'lib' has no attribute 'no_such_name'
"""

import importlib

# Each public name, and the module of lib that defines it.
_HOMES = {
    "setup_notebook": "notebook",
    "output_size": "shapes",
    "same_padding": "shapes",
    "unread_positions": "shapes",
    "transposed_output_size": "shapes",
    "receptive_field": "shapes",
    "pad2d": "padding",
    "conv2d": "convolution",
    "convolve2d": "convolution",
    "correlate2d_loops": "convolution",
    "im2col": "convolution",
    "max_pool2d": "pooling",
    "avg_pool2d": "pooling",
    "conv2d_grad_input": "gradients",
    "conv2d_grad_weight": "gradients",
    "conv2d_grad_bias": "gradients",
    "max_pool2d_grad": "gradients",
    "avg_pool2d_grad": "gradients",
    "load_mnist": "datasets",
    "load_mnist_sample": "datasets",
    "to_lenet5_input": "datasets",
    "LeNet5": "models",
    "LeNet5Modern": "models",
    "parameter_table": "models",
    "shape_table": "models",
    "train": "training",
    "evaluate": "training",
    "hold_out": "training",
    "conv2d_cost": "layers",
    "torch_cost": "layers",
    "merge_convolutions": "layers",
}

__all__ = list(_HOMES)


def __getattr__(name):
    """Import the module that defines ``name`` on first use (PEP 562)."""
    if name in _HOMES:
        value = getattr(importlib.import_module(f"lib.{_HOMES[name]}"), name)
        globals()[name] = value  # later uses skip this function
        return value
    raise AttributeError(f"module 'lib' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_HOMES))
