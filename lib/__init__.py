"""The tested library behind *Convolution, from Formula to LeNet-5*.

Chapters import from here (``from lib import conv2d``) and never redefine what it
holds. Names, argument names and the (N, C, H, W) layout follow
``torch.nn.functional``, so a reader can move to PyTorch without relearning.
"""

from lib.notebook import setup_notebook

__all__ = ["setup_notebook"]
