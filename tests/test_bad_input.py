"""Bad input to conv2d and convolve2d: an exception that names the argument and the rule.

Never a wrong answer, and never a NumPy error from deep inside.
"""

import numpy as np
import pytest

from lib import conv2d, convolve2d

X = np.ones((2, 4, 8, 8))  # (N, C, H, W)
W = np.ones((6, 4, 3, 3))  # (O, C, kH, kW)


@pytest.mark.parametrize(
    ("arguments", "error", "match"),
    [
        # the kernel must fit in the padded input
        ({"weight": np.ones((6, 4, 9, 3))}, ValueError, r"weight's kernel \(9x3.* padded input"),
        ({"dilation": 4}, ValueError, r"weight's kernel \(3x3, spanning 9x9 with dilation"),
        ({"weight": np.ones((6, 4, 9, 9)), "padding": "same"}, None, None),  # fits: no error
        # stride, dilation, padding
        ({"stride": 0}, ValueError, "stride must be >= 1, got 0"),
        ({"stride": (1, -1)}, ValueError, "stride must be >= 1, got -1"),
        ({"stride": 1.5}, TypeError, "stride must be an int or a pair"),
        ({"stride": (1, 2, 3)}, TypeError, "stride must be an int or a pair"),
        ({"dilation": 0}, ValueError, "dilation must be >= 1"),
        ({"dilation": "2"}, TypeError, "dilation must be an int or a pair"),
        ({"padding": -1}, ValueError, "padding must be >= 0, got -1"),
        ({"padding": ((0, 0), (-1, 0))}, ValueError, "padding must be >= 0"),
        ({"padding": "half"}, ValueError, "padding must be one of 'valid', 'same', 'full'"),
        ({"padding": "same", "stride": 2}, ValueError, "padding='same' needs stride 1"),
        ({"padding": (1, 1, 1, 1)}, TypeError, "padding .*flat 4-tuple"),
        ({"padding": 0.5}, TypeError, "padding must be an int"),
        # channels and groups
        ({"weight": np.ones((6, 3, 3, 3))}, ValueError, r"input must have weight.shape\[1\] \*"),
        ({"groups": 3}, ValueError, r"input must have weight.shape\[1\] \* groups = 4 \* 3 = 12"),
        ({"groups": 4, "weight": np.ones((6, 1, 3, 3))}, ValueError, "weight has 6 .*groups=4"),
        (
            {"groups": 2, "weight": np.ones((6, 4, 3, 3))},
            ValueError,
            r"weight.shape\[1\] \* groups",
        ),
        ({"groups": 0}, ValueError, "groups must be >= 1"),
        ({"groups": 1.0}, TypeError, "groups must be an int"),
        # ranks
        ({"input": np.ones((8, 8))}, ValueError, r"weight must have 2 dimensions, \(kH, kW\)"),
        ({"input": np.ones(8)}, ValueError, "input must have 2, 3 or 4 dimensions"),
        ({"input": np.ones((1, 2, 4, 8, 8))}, ValueError, "input must have 2, 3 or 4 dimensions"),
        ({"weight": np.ones((4, 3, 3))}, ValueError, r"weight must have 4 dimensions, \(O, C"),
        ({"weight": np.ones((6, 4, 0, 3))}, ValueError, "weight must not be empty"),
        ({"input": np.ones((2, 4, 0, 8))}, ValueError, "input's height and width must be"),
        # bias
        ({"bias": np.ones(5)}, ValueError, r"bias must have shape \(6,\).*got shape \(5,\)"),
        ({"bias": np.ones((6, 1))}, ValueError, r"bias must have shape \(6,\)"),
        ({"bias": 1.0}, ValueError, r"bias must have shape \(6,\)"),
        ({"bias": ["a"] * 6}, TypeError, "bias must hold real numbers"),
        # not numbers
        ({"input": np.full((2, 4, 8, 8), "a")}, TypeError, "input must hold real numbers"),
        ({"input": np.ones((2, 4, 8, 8), dtype=object)}, TypeError, "input must hold real"),
        ({"input": np.ones((2, 4, 8, 8), dtype=bool)}, TypeError, "input must hold real"),
        ({"input": np.ones((2, 4, 8, 8), dtype=complex)}, TypeError, "input must hold real"),
        ({"input": [[1, 2], [3]]}, TypeError, "input must be an array of numbers"),
        ({"weight": "kernel"}, TypeError, "weight must hold real numbers"),
        ({"weight": None}, TypeError, "weight must hold real numbers"),
        # unknown choices
        ({"method": "winograd"}, ValueError, "method must be one of 'auto', 'loops'"),
        ({"padding_mode": "mirror"}, ValueError, "padding_mode must be one of 'zeros'"),
        ({"padding_mode": "constant"}, ValueError, "padding_mode must be one of"),
        ({"method": "fft", "input": X.astype(int), "weight": W.astype(int)}, TypeError, "'fft'"),
        # padding too wide for its mode
        ({"padding": 8, "padding_mode": "reflect"}, ValueError, "padding_mode='reflect'.*< input"),
        ({"padding": 9, "padding_mode": "circular"}, ValueError, "padding_mode='circular'"),
        ({"padding": 8, "padding_mode": "circular"}, None, None),  # wraps exactly once: fine
        ({"padding": 20, "padding_mode": "replicate"}, None, None),  # no limit
    ],
)
def test_conv2d_refuses(arguments, error, match):
    arguments = {"input": X, "weight": W, **arguments}
    if error is None:
        conv2d(**arguments)
        return
    with pytest.raises(error, match=match):
        conv2d(**arguments)


def test_groups_for_a_plain_image():
    with pytest.raises(ValueError, match="groups must be 1 for a single-channel"):
        conv2d(np.ones((5, 5)), np.ones((3, 3)), groups=2)


def test_nan_is_not_an_error():
    x = np.full((1, 1, 4, 4), np.nan)
    assert np.isnan(conv2d(x, np.ones((1, 1, 2, 2)))).all()


@pytest.mark.parametrize(
    ("arguments", "error", "match"),
    [
        ({"kernel": np.ones((6, 3))}, ValueError, r"kernel \(6x3\) is larger than input \(5x5\)"),
        ({"kernel": np.ones((3, 3, 1))}, ValueError, "kernel must have 2 dimensions"),
        ({"input": np.ones((1, 5, 5))}, ValueError, "input must have 2 dimensions"),
        ({"kernel": np.ones((0, 3))}, ValueError, "kernel must not be empty"),
        ({"input": np.ones((0, 5))}, ValueError, "input must not be empty"),
        ({"mode": "circular"}, ValueError, "mode must be one of 'valid', 'same', 'full'"),
        ({"kernel": np.full((3, 3), "x")}, TypeError, "kernel must hold real numbers"),
        ({"input": [[1, 2], [3]]}, TypeError, "input must be an array of numbers"),
    ],
)
def test_convolve2d_refuses(arguments, error, match):
    arguments = {"input": np.ones((5, 5)), "kernel": np.ones((3, 3)), **arguments}
    with pytest.raises(error, match=match):
        convolve2d(**arguments)
