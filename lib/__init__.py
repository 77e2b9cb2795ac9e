"""The tested library behind *Convolution, from Formula to LeNet-5*.

Chapters import from here (``from lib import conv2d``) and never redefine what it
holds. Names, argument names and the (N, C, H, W) layout follow
``torch.nn.functional``, so a reader can move to PyTorch without relearning.
"""

from lib.convolution import conv2d, convolve2d, correlate2d_loops, im2col
from lib.datasets import load_mnist, load_mnist_sample, to_lenet5_input
from lib.gradients import (
    avg_pool2d_grad,
    conv2d_grad_bias,
    conv2d_grad_input,
    conv2d_grad_weight,
    max_pool2d_grad,
)
from lib.layers import conv2d_cost, merge_convolutions, torch_cost
from lib.models import LeNet5, LeNet5Modern, parameter_table, shape_table
from lib.notebook import setup_notebook
from lib.padding import pad2d
from lib.pooling import avg_pool2d, max_pool2d
from lib.shapes import (
    output_size,
    receptive_field,
    same_padding,
    transposed_output_size,
    unread_positions,
)
from lib.training import evaluate, hold_out, train

__all__ = ["setup_notebook", "output_size", "pad2d", "conv2d", "convolve2d"]
__all__ += ["max_pool2d", "avg_pool2d"]
__all__ += [
    "conv2d_grad_input",
    "conv2d_grad_weight",
    "conv2d_grad_bias",
    "max_pool2d_grad",
    "avg_pool2d_grad",
]
__all__ += ["load_mnist", "load_mnist_sample", "to_lenet5_input"]
__all__ += ["LeNet5", "LeNet5Modern", "parameter_table", "shape_table", "train", "evaluate"]
__all__ += ["hold_out"]
__all__ += ["same_padding", "unread_positions", "transposed_output_size", "receptive_field"]
__all__ += ["conv2d_cost", "torch_cost", "merge_convolutions", "correlate2d_loops", "im2col"]
