"""LeNet-5's fixed design, in NumPy: the squashing function's constants, C3's
connection table, the RBF prototypes and the loss's constant j.

:mod:`lib.models` (PyTorch) and :mod:`lib.numpy_nn` (NumPy) build the same network from
these; they live here, without torch, so that the NumPy engine does not load it.
"""

import numpy as np

#: f(a) = A tanh(S a): A = 1.7159 and S = 2/3 make f(1) = 1 and f(-1) = -1, where the
#: second derivative is largest, and keep the gain near 1 around 0 (paper, appendix A).
TANH_AMPLITUDE = 1.7159
TANH_SLOPE = 2.0 / 3.0

#: The paper's Table I: which S2 maps (rows) each C3 map (columns) reads. Maps 0-5 read
#: 3 contiguous S2 maps, 6-11 read 4 contiguous ones, 12-14 read 4 non-contiguous ones
#: and 15 reads all 6 ("contiguous" wraps around: map 4 reads 4, 5 and 0).
C3_TABLE = """
    X . . . X X X . . X X X X . X X
    X X . . . X X X . . X X X X . X
    X X X . . . X X X . . X . X X X
    . X X X . . X X X X . . X . X X
    . . X X X . . X X X X . X X . X
    . . . X X X . . X X X X . X X X
"""

#: The RBF prototypes: a stylised 7x12 bitmap of each digit, +1 for ink and -1 for
#: background, as in the paper's Fig. 3. The paper's own bitmaps (an ASCII font) are not
#: given as data; these were drawn for this book in the same spirit, so that similar
#: digits (8 and 6, 0 and 8) get similar codes. Any two differ in at least 12 of 84 bits.
DIGIT_BITMAPS = """
....... ....... ....... ....... ....... ....... ....... ....... ....... .......
..###.. ...#... ..###.. ####### ....#.. ####### ...##.. ####### ..###.. ..###..
.#...#. ..##... .#...#. .....#. ...##.. #...... ..#.... ......# .#...#. .#...#.
#.....# .#.#... #.....# ....#.. ..#.#.. #...... .#..... .....#. #.....# #.....#
#.....# ...#... ......# ...#... .#..#.. #.###.. #...... .....#. .#...#. #.....#
#.....# ...#... .....#. ..###.. #...#.. ##...#. #.###.. ....#.. ..###.. .#...##
#.....# ...#... ....#.. .....#. ####### ......# ##...#. ....#.. .#...#. ..###.#
#.....# ...#... ...#... ......# ....#.. ......# #.....# ...#... #.....# ......#
#.....# ...#... ..#.... ......# ....#.. ......# #.....# ...#... #.....# .....#.
.#...#. ...#... .#..... #....#. ....#.. #....#. .#...#. ..#.... .#...#. ....#..
..###.. .#####. ####### .####.. ....#.. .####.. ..###.. ..#.... ..###.. ..##...
....... ....... ....... ....... ....... ....... ....... ....... ....... .......
"""


def c3_connections():
    """C3's connection table as a boolean array: ``[j, i]`` is true when C3 map ``j``
    reads S2 map ``i``.

    Returns
    -------
    numpy.ndarray of bool, shape (16, 6)

    Examples
    --------
    >>> table = c3_connections()
    >>> int(table.sum()), table.sum(axis=1).tolist()
    (60, [3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 6])
    >>> np.flatnonzero(table[14]).tolist()  # a non-contiguous one
    [0, 2, 3, 5]
    """
    rows = [line.split() for line in C3_TABLE.strip().splitlines()]
    return np.array([[mark == "X" for mark in row] for row in rows]).T


def digit_prototypes():
    """The 10 fixed RBF prototypes, one 84-vector of +-1 per digit (a 7x12 bitmap).

    Returns
    -------
    numpy.ndarray of float32, shape (10, 84)

    Examples
    --------
    >>> prototypes = digit_prototypes()
    >>> prototypes.shape, sorted(set(prototypes.ravel().tolist()))
    ((10, 84), [-1.0, 1.0])
    >>> print("\\n".join("".join("#" if v > 0 else "." for v in row)
    ...                 for row in prototypes[7].reshape(12, 7)[1:5]))
    #######
    ......#
    .....#.
    .....#.
    """
    rows = [line.split() for line in DIGIT_BITMAPS.strip().splitlines()]  # 12 rows x 10 digits
    bitmaps = np.array([[[c == "#" for c in row[d]] for row in rows] for d in range(10)])
    return np.where(bitmaps, 1.0, -1.0).astype(np.float32).reshape(10, 84)


#: The constant j of the paper's MAP loss (equation 9). The paper does not give its value;
#: this one is the book's choice (see lenet5_loss). A correct code whose 84 units each
#: miss their target by 0.35 is at distance 84 x 0.35^2 = 10.3.
LOSS_J = 10.0


def paper_init_sum_spread(fan_in, correlated, samples=20000, seed=0):
    """Standard deviation of an initial weighted sum, with the paper's +-2.4 / F weights.

    Each of ``samples`` draws takes fresh weights w_j ~ U(-2.4/F, 2.4/F) and inputs x_j of
    variance 1: independent (``correlated=False``) or all the same value
    (``correlated=True``), and returns the spread of sum_j w_j x_j. With independent,
    zero-mean weights the variance is sum_j E[w_j^2] E[x_j^2] = 2.4^2 / (3F) whatever the
    inputs' correlation, so both give about 2.4 / sqrt(3F): the paper's argument that the
    spread grows like F for correlated inputs (appendix A) needs weights that are aligned
    with the inputs, as they may become after training, not freshly drawn ones.

    Examples
    --------
    >>> formula = 2.4 / np.sqrt(3 * 25)
    >>> [round(float(paper_init_sum_spread(25, c) / formula), 1) for c in (False, True)]
    [1.0, 1.0]
    """
    rng = np.random.default_rng(seed)
    bound = 2.4 / fan_in
    weights = rng.uniform(-bound, bound, size=(samples, fan_in))
    if correlated:
        inputs = np.repeat(rng.standard_normal((samples, 1)), fan_in, axis=1)
    else:
        inputs = rng.standard_normal((samples, fan_in))
    return float((weights * inputs).sum(axis=1).std())
