"""The data of the book's exercises: the inputs that the exercise texts name.

A chapter's checker module offers them to the notebook (``ex.CORNER_IMAGE``), and they
live here, apart from the checkers, so that the grader can offer the very same ones to an
answer cell while it hides the checkers (which hold the reference solutions): an answer
that uses ``ex.CORNER_IMAGE`` gets the same verdict in the notebook and in the grade.

:data:`PUBLIC` lists, chapter by chapter, the names that both offer.

Examples
--------
>>> CORNER_IMAGE.shape, CORNER_KERNEL.shape
((4, 4), (2, 2))
>>> sorted(public(4))
['CEIL_CASES', 'HAND_MAP']
"""

import numpy as np

from lib.kernels import SOBEL_X, SOBEL_Y  # noqa: F401 (chapter 1 offers them as ex.SOBEL_X)

# --- chapter 1 ------------------------------------------------------------------------------

#: The image and kernel of the by-hand exercise ``corner_value``.
CORNER_IMAGE = np.array([[1, 0, 2, 0], [7, 7, 7, 6], [5, 2, 5, 1], [0, 6, 7, 6]])
CORNER_KERNEL = np.array([[-1, 2], [3, 1]])

#: The (rows, columns) of the image and of the kernel of the exercise ``output_shape``.
SHAPE_IMAGE = (7, 5)
SHAPE_KERNEL = (3, 2)

# --- chapter 2 ------------------------------------------------------------------------------

#: The four layers of ``predicted_sizes``: (n, kernel_size, stride, padding, dilation).
PREDICT_LAYERS = (
    (32, 5, 1, 0, 1),
    (28, 3, 2, 1, 1),
    (10, 3, 3, 0, 1),
    (9, 3, 1, 0, 2),
)

#: The blog's numbers in ``blog_convention``: input, kernel, stride and its "p".
BLOG_N, BLOG_K, BLOG_S, BLOG_P = 7, 3, 2, 2

# --- chapter 3 ------------------------------------------------------------------------------

#: weight_shape: the layer from S2's 6 maps to 16 maps with 5x5 kernels, fully connected.
WEIGHT_LAYER = {"in_channels": 6, "out_channels": 16, "kernel_size": 5}

#: layer_parameters: torch.nn.Conv2d(16, 32, 5), a layer that the chapter does not count.
PARAMETERS_LAYER = {"in_channels": 16, "out_channels": 32, "kernel_size": 5}

#: layer_multiply_adds: 8 filters of 3x3 on a 3x32x32 image, padding 1, stride 1.
MULTIPLY_ADDS_LAYER = {"input_shape": (3, 32, 32), "out_channels": 8, "kernel_size": 3}

# --- chapter 4 ------------------------------------------------------------------------------

#: The 4x4 map of ``max_by_hand``, pooled by 2x2 windows with stride 2.
HAND_MAP = np.array([[1, 6, 2, 8], [5, 3, 8, 0], [9, 0, 7, 7], [4, 9, 1, 2]])

#: The three poolings of ``ceil_sizes``: (n, kernel_size, stride, padding), ceil_mode=True.
CEIL_CASES = ((7, 2, 2, 0), (7, 4, 2, 1), (8, 3, 3, 1))

# --- chapter 5 ------------------------------------------------------------------------------

#: The input size of the exercise ``shapes_36``.
SHAPES_INPUT = 36

#: The names of each chapter's exercise data, as its checker module offers them.
PUBLIC = {
    1: ("CORNER_IMAGE", "CORNER_KERNEL", "SHAPE_IMAGE", "SHAPE_KERNEL", "SOBEL_X", "SOBEL_Y"),
    2: ("PREDICT_LAYERS", "BLOG_N", "BLOG_K", "BLOG_S", "BLOG_P"),
    3: ("WEIGHT_LAYER", "PARAMETERS_LAYER", "MULTIPLY_ADDS_LAYER"),
    4: ("HAND_MAP", "CEIL_CASES"),
    5: ("SHAPES_INPUT",),
}


def public(chapter):
    """The exercise data of ``chapter``: ``{name: value}``, copies that a caller may change.

    Parameters
    ----------
    chapter : int
        The chapter's number.

    Raises
    ------
    ValueError
        If the chapter has no exercise data.
    """
    if chapter not in PUBLIC:
        raise ValueError(f"chapter must be one of {sorted(PUBLIC)}; got {chapter!r}")
    values = {name: globals()[name] for name in PUBLIC[chapter]}
    return {name: v.copy() if isinstance(v, np.ndarray | dict) else v for name, v in values.items()}
