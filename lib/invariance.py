"""How much feature maps change when the image moves: the measurement of chapter 4.

Two words, often confused:

- a map ``f`` is **shift-equivariant** when shifting the input shifts the output by the
  same amount, ``f(shift(x)) = shift(f(x))``; a convolution is (away from the borders);
- it is **shift-invariant** when shifting the input does not change the output at all,
  ``f(shift(x)) = f(x)``; global average pooling is (while nothing falls off the image).

Pooling with a small window sits in between, and this module measures where. The
**relative change** of a feature map under a shift is::

    change(x, s) = || f(shift(x, s)) - f(x) || / || f(x) ||

with ``|| . ||`` the L2 norm over all of one image's maps: 0 means "no change at all"; two
maps of equal norm that do not overlap anywhere give sqrt(2). It measures how much the
maps differ *at the same positions*, so it also grows when maps that are exactly
equivariant move: thin maps overlap less after a move than wide ones. :func:`shift_change`
computes it for every digit of a set and every shift, for the features of
:func:`edge_features`: four edge detectors (Sobel's kernels, both signs) followed by a
ReLU, then no pooling, max or average pooling (with any stride, 1 included: a max
*filter*, which subsamples nothing and stays exactly equivariant), or global average
pooling. A max filter with stride 1 lowers the change as much as stride-2 pooling does: the
drop comes from the window widening the maps, not from the subsampling.

Subsampling does something else: with stride ``s``, a shift by a multiple of ``s`` moves
the output by whole cells, but any other shift cannot be represented on the coarser grid,
and the output changes in a way no shift of it reproduces (aliasing; Zhang, *Making
convolutional networks shift-invariant again*, ICML 2019; Azulay and Weiss, *Why do deep
convolutional networks generalize so poorly to small image transformations?*, JMLR 2019).
:func:`equivariance_error` measures how far the output is from its nearest whole-cell
shift; it is not 0 even without aliasing, since a shift by a fraction of a cell is no
whole-cell move. :func:`aliasing_error` isolates the aliasing: it compares the output with
the fractional move interpolated between whole cells (for a one-pixel shift and stride
2, the half-cell move ``0.5 * (f(x) + shift(f(x), 1))``), or measures the change of each
map's L2 norm, which does not depend on where the map is. ``blur=True`` blurs before
subsampling (:func:`blur_subsample`, Zhang's counter-measure).

In a quick run (``CONVBOOK_QUICK_RUN``, which only the grader's run step sets; see
:mod:`lib.training`), :func:`shift_change`, :func:`equivariance_error` and
:func:`aliasing_error` measure only the first few images
(:func:`lib.training_loop.quick_run_count`): that run only shows that each cell runs,
and chapter 4's tables over 1,000 digits would cost it over ten seconds per student.

Examples
--------
A bright dot, moved one pixel to the right: its edge maps move with it (equivariance),
and so they change; their global average does not.

>>> dot = np.zeros((1, 9, 9))
>>> dot[0, 4, 4] = 1.0
>>> moved = shift(dot, dx=1)
>>> change = relative_change(edge_features(dot), edge_features(moved))
>>> float(change[0].round(3))
1.155
>>> float(relative_change(edge_features(dot, "global"), edge_features(moved, "global"))[0])
0.0
>>> bool(np.allclose(edge_features(moved), shift(edge_features(dot), dx=1)))
True
"""

import numpy as np

from lib._validation import as_array, as_int, check_choice, check_ndim
from lib.convolution import conv2d
from lib.kernels import SOBEL_X, SOBEL_Y
from lib.pooling import avg_pool2d, max_pool2d
from lib.training_loop import quick_run_count

__all__ = [
    "EDGE_KERNELS",
    "POOLINGS",
    "shift",
    "relative_change",
    "edge_features",
    "shift_change",
    "stacked_features",
    "stacked_shift_change",
    "high_frequency_share",
    "BLUR_KERNEL",
    "blur_subsample",
    "equivariance_error",
    "aliasing_error",
]

#: The feature extractor's four 3x3 kernels, shape (4, 1, 3, 3): Sobel's x kernel (dark
#: to bright from left to right), its negative (bright to dark), Sobel's y kernel and its
#: negative. After a ReLU, each map keeps the edges of one direction.
EDGE_KERNELS = np.stack([SOBEL_X, -SOBEL_X, SOBEL_Y, -SOBEL_Y]).astype(np.float64)[:, None]
EDGE_KERNELS.flags.writeable = False

#: What :func:`edge_features` does after the ReLU: nothing (or only a subsampling), max
#: pooling, average pooling, or the mean of each whole map (global average pooling).
POOLINGS = ("none", "max", "avg", "global")


def shift(images, dy=0, dx=0):
    """Move images ``dy`` pixels down and ``dx`` pixels right, filling with zeros.

    What moves past the border is lost (no wrapping around), as when a digit moves on
    a page.

    Parameters
    ----------
    images : array_like
        Images or maps, shape (..., H, W).
    dy, dx : int, optional
        Pixels down (negative: up) and right (negative: left). Default 0.

    Returns
    -------
    numpy.ndarray
        The shifted images, of ``images``'s shape and dtype.

    Raises
    ------
    TypeError
        If ``dy`` or ``dx`` is not an int.
    ValueError
        If ``images`` has fewer than 2 dimensions, or a shift is as large as the image.

    Examples
    --------
    >>> shift(np.arange(1, 10).reshape(3, 3), dx=1)
    array([[0, 1, 2],
           [0, 4, 5],
           [0, 7, 8]])
    >>> shift(np.arange(1, 10).reshape(3, 3), dy=-1)
    array([[4, 5, 6],
           [7, 8, 9],
           [0, 0, 0]])
    """
    images = as_array(images, "images")
    if images.ndim < 2:
        raise ValueError(f"images must have shape (..., H, W), got shape {images.shape}")
    dy, dx = as_int(dy, "dy"), as_int(dx, "dx")
    height, width = images.shape[-2:]
    if abs(dy) >= height or abs(dx) >= width:
        raise ValueError(
            f"the shift (dy={dy}, dx={dx}) must be smaller than the image, {height}x{width}"
        )
    out = np.zeros_like(images)
    source_rows = slice(max(0, -dy), height - max(0, dy))
    target_rows = slice(max(0, dy), height - max(0, -dy))
    source_cols = slice(max(0, -dx), width - max(0, dx))
    target_cols = slice(max(0, dx), width - max(0, -dx))
    out[..., target_rows, target_cols] = images[..., source_rows, source_cols]
    return out


def relative_change(reference, changed):
    """The relative L2 change of each item: ``||changed - reference|| / ||reference||``.

    Parameters
    ----------
    reference, changed : array_like
        Arrays of the same shape (N, ...): N items (one image's maps each).

    Returns
    -------
    numpy.ndarray of float64, shape (N,)
        One number per item; 0 when nothing changed.

    Raises
    ------
    ValueError
        If the shapes differ, the arrays have no item axis, or an item of ``reference``
        is all zeros (its change has no scale).

    Examples
    --------
    >>> relative_change(np.array([[3.0, 4.0], [1.0, 0.0]]), np.array([[3.0, 4.0], [0.0, 1.0]]))
    array([0.    , 1.4142])
    """
    reference = as_array(reference, "reference").astype(np.float64)
    changed = as_array(changed, "changed").astype(np.float64)
    if reference.shape != changed.shape:
        raise ValueError(
            f"reference and changed must have the same shape, got {reference.shape} "
            f"and {changed.shape}"
        )
    if reference.ndim < 1 or reference.shape[0] < 1:
        raise ValueError(f"reference must have an item axis (N, ...), got shape {reference.shape}")
    axes = tuple(range(1, reference.ndim))
    scale = np.sqrt((reference**2).sum(axis=axes))
    if not np.all(scale > 0):
        raise ValueError(
            f"item {int(np.argmin(scale))} of reference is all zeros: a relative change "
            "needs a nonzero reference"
        )
    return np.sqrt(((changed - reference) ** 2).sum(axis=axes)) / scale


#: The blur of :func:`blur_subsample`: the binomial filter [1, 2, 1] x [1, 2, 1] / 16, a
#: cheap low-pass filter (Zhang 2019's "Tri-3" filter), shape (3, 3).
BLUR_KERNEL = np.outer([1.0, 2.0, 1.0], [1.0, 2.0, 1.0]) / 16
BLUR_KERNEL.flags.writeable = False


def blur_subsample(maps, stride=2):
    """Blur each map with :data:`BLUR_KERNEL`, then keep every ``stride``-th pixel.

    Each channel is blurred on its own (zero padding of 1, so the size is kept before the
    subsampling): a depthwise convolution with stride ``stride``, what Zhang (2019) calls
    BlurPool. Removing the fine detail first means that the pixels the subsampling skips
    differ less from the ones it keeps, so a one-pixel shift changes the output less.

    Parameters
    ----------
    maps : array_like
        Maps, (N, C, H, W).
    stride : int, optional
        Keep one pixel in ``stride`` along each axis. Default 2.

    Returns
    -------
    numpy.ndarray of float64
        (N, C, ceil(H / stride), ceil(W / stride)).

    Raises
    ------
    ValueError
        If ``maps`` is not (N, C, H, W) or ``stride`` is not a positive int.

    Examples
    --------
    Stripes one pixel wide: plain subsampling keeps the bright ones, or, after a one-pixel
    shift, only the dark ones; blurred first, both give the same grey (away from the
    first column, where the zero padding darkens the blur).

    >>> stripes = np.tile([1.0, 0.0], 4)[None, None, None].repeat(8, axis=2)
    >>> stripes[0, 0, 2, ::2], shift(stripes, dx=1)[0, 0, 2, ::2]
    (array([1., 1., 1., 1.]), array([0., 0., 0., 0.]))
    >>> blur_subsample(stripes)[0, 0, 1, 1:], blur_subsample(shift(stripes, dx=1))[0, 0, 1, 1:]
    (array([0.5, 0.5, 0.5]), array([0.5, 0.5, 0.5]))
    """
    maps = as_array(maps, "maps").astype(np.float64)
    check_ndim(maps, "maps", {4: "(N, C, H, W)"})
    stride = as_int(stride, "stride", minimum=1)
    channels = maps.shape[1]
    weight = np.broadcast_to(BLUR_KERNEL, (channels, 1, 3, 3))
    return conv2d(maps, weight, stride=stride, padding=1, groups=channels)


def edge_features(images, pooling="none", kernel_size=2, weight=None, *, stride=None, blur=False):
    """Edge maps of images: convolution, ReLU, then a pooling.

    ``relu(conv2d(images, weight, padding=1))``, then the pooling: ``"none"`` (with a
    ``stride`` above 1: keep one pixel in ``stride``, plain subsampling); ``"max"`` or
    ``"avg"``, ``kernel_size`` windows with stride ``stride``; or ``"global"``, the mean
    of each map (global average pooling). With ``blur=True``, the pooling runs with stride
    1 and :func:`blur_subsample` does the subsampling (Zhang 2019's MaxBlurPool for
    ``"max"``).

    Parameters
    ----------
    images : array_like
        Grey images, (N, H, W) or (N, 1, H, W).
    pooling : {"none", "max", "avg", "global"}, optional
        Default ``"none"``.
    kernel_size : int, optional
        The pooling window of ``"max"`` and ``"avg"``. Default 2.
    weight : array_like, optional
        The kernels, (O, 1, kH, kW) with kH and kW odd (so that padding keeps the size).
        Default :data:`EDGE_KERNELS`.
    stride : int, optional
        The pooling's stride. Default None: ``kernel_size`` for ``"max"`` and ``"avg"``,
        1 for ``"none"``. Ignored by ``"global"``.
    blur : bool, optional
        Blur before subsampling. Default False.

    Returns
    -------
    numpy.ndarray of float64
        (N, O, H', W'), or (N, O) for ``"global"``.

    Raises
    ------
    ValueError
        If ``images`` or ``weight`` has the wrong shape, or ``pooling`` is unknown.

    Examples
    --------
    >>> edge_features(np.zeros((2, 8, 8))).shape, edge_features(np.zeros((2, 8, 8)), "max").shape
    ((2, 4, 8, 8), (2, 4, 4, 4))
    >>> edge_features(np.zeros((2, 8, 8)), "max", stride=1).shape  # a 2x2 max filter
    (2, 4, 7, 7)
    >>> edge_features(np.zeros((2, 8, 8)), "max", blur=True).shape  # max, blur, subsample
    (2, 4, 4, 4)
    >>> edge_features(np.zeros((2, 1, 8, 8)), "global").shape
    (2, 4)
    """
    check_choice(pooling, "pooling", POOLINGS)
    kernel_size = as_int(kernel_size, "kernel_size", minimum=1)
    if stride is None:
        stride = 1 if pooling == "none" else kernel_size
    stride = as_int(stride, "stride", minimum=1)
    if not isinstance(blur, (bool, np.bool_)):
        raise TypeError(f"blur must be True or False, got {blur!r}")
    images = as_array(images, "images").astype(np.float64)
    check_ndim(images, "images", {3: "(N, H, W)", 4: "(N, 1, H, W)"})
    if images.ndim == 3:
        images = images[:, None]
    if images.shape[1] != 1:
        raise ValueError(f"images must be grey, (N, 1, H, W); got shape {images.shape}")
    weight = EDGE_KERNELS if weight is None else as_array(weight, "weight").astype(np.float64)
    check_ndim(weight, "weight", {4: "(O, 1, kH, kW)"})
    if weight.shape[1] != 1 or weight.shape[2] % 2 == 0 or weight.shape[3] % 2 == 0:
        raise ValueError(
            f"weight must have shape (O, 1, kH, kW) with kH and kW odd, got {weight.shape}"
        )
    padding = (weight.shape[2] // 2, weight.shape[3] // 2)
    maps = np.maximum(conv2d(images, weight, padding=padding), 0.0)
    if pooling == "global":
        return maps.mean(axis=(-2, -1))
    pool = {"max": max_pool2d, "avg": avg_pool2d}.get(pooling)
    if blur:
        pooled = maps if pool is None else pool(maps, kernel_size, stride=1)
        return blur_subsample(pooled, stride)
    if pool is None:
        return maps[..., ::stride, ::stride]
    return pool(maps, kernel_size, stride=stride)


def _framed(images, shifts, margin=None):
    """Images framed by zeros wide enough that no ink or edge falls off; the shifts.
    In a quick run, only the first few images (see the module's text)."""
    images = as_array(images, "images")
    check_ndim(images, "images", {3: "(N, H, W)"})
    images = images[: quick_run_count(len(images))].astype(np.float64)
    shifts = [as_int(s, "shifts") for s in np.atleast_1d(shifts).tolist()]
    if not shifts:
        raise ValueError("shifts must hold at least one shift")
    # The frame: the largest shift, plus the reach of the 3x3 kernels, so that the edge
    # responses just outside the ink stay inside the maps too.
    least = max(abs(s) for s in shifts) + EDGE_KERNELS.shape[-1] // 2
    if margin is None:
        margin = least
    margin = as_int(margin, "margin")
    if margin < least:
        raise ValueError(
            f"margin must be at least the largest shift plus 1 ({least}), so that no ink "
            f"falls off the frame; got margin={margin}"
        )
    return np.pad(images, ((0, 0), (margin, margin), (margin, margin))), shifts


def _moved(images, s, axis):
    return shift(images, dx=s) if axis == "x" else shift(images, dy=s)


def shift_change(
    images,
    shifts=(0, 1, 2, 3),
    pooling="none",
    *,
    axis="x",
    kernel_size=2,
    stride=None,
    blur=False,
    margin=None,
):
    """The relative change of each image's edge features when it moves by each shift.

    Each image is first framed by a border of zeros as wide as the largest shift plus
    one pixel (the reach of the 3x3 kernels), so that neither ink nor its edges fall off
    when it moves: the input moves exactly, and whatever changes is the features' doing.
    Then, for each shift ``s`` and each image ``x``::

        relative_change(edge_features(x), edge_features(shift(x, s)))

    Parameters
    ----------
    images : array_like
        Grey images, (N, H, W).
    shifts : sequence of int, optional
        Pixels to move by (right for ``axis="x"``, down for ``"y"``). Default 0 to 3.
    pooling : {"none", "max", "avg", "global"}, optional
        As for :func:`edge_features`. Default ``"none"``.
    axis : {"x", "y"}, optional
        The direction of the shift. Default ``"x"``.
    kernel_size, stride, blur : optional
        As for :func:`edge_features`: the pooling window (default 2), its stride (default
        the window, or 1 with no pooling) and whether to blur before subsampling.
    margin : int, optional
        The frame's width in pixels. Default None: the largest shift plus 1, the least
        that keeps every edge inside. A wider frame moves the digits against a pooling
        grid: with stride 2, an odd and an even margin put them at two of its four
        phases (a margin moves them along both axes). The frame counts no room for the
        pooling window: a stride-1 filter's change does not depend on the margin when the
        images have a blank border of ``kernel_size - 1`` pixels, as MNIST's digits have.

    Returns
    -------
    numpy.ndarray of float64, shape (len(shifts), N)
        The relative change of each image's features, for each shift (in a quick run,
        of the first few images only: see the module's text).

    Raises
    ------
    ValueError
        If ``images`` is not (N, H, W), ``shifts`` is empty, ``axis`` or ``pooling`` is
        unknown, ``margin`` is below the largest shift plus 1, or an image has no edge at
        all (its features are all zero).

    Examples
    --------
    A 3x3 square moved by 0, 1 and 2 pixels, with 2x2 max pooling, and with a 2x2 max
    filter (stride 1, no subsampling): a 2-pixel move changes the maps more than a
    1-pixel one, with or without the subsampling.

    >>> square = np.zeros((1, 8, 8))
    >>> square[0, 2:5, 2:5] = 1.0
    >>> shift_change(square, (0, 1, 2), "max").round(3)
    array([[0.   ],
           [0.698],
           [1.025]])
    >>> shift_change(square, (0, 1, 2), "max", stride=1).round(3)
    array([[0.   ],
           [0.67 ],
           [1.025]])

    The stride-2 pooling's change depends on where the square sits on the pooling grid
    (the margin's parity); the filter's does not, as it is equivariant:

    >>> [float(shift_change(square, (0, 1), "max", margin=m)[1, 0].round(3)) for m in (2, 3)]
    [0.641, 0.698]
    >>> [float(shift_change(square, (0, 1), "max", stride=1, margin=m)[1, 0].round(3))
    ...  for m in (2, 3)]
    [0.67, 0.67]
    """
    check_choice(axis, "axis", ("x", "y"))
    framed, shifts = _framed(images, shifts, margin)
    options = {"kernel_size": kernel_size, "stride": stride, "blur": blur}
    reference = edge_features(framed, pooling, **options)
    changes = []
    for s in shifts:
        moved = edge_features(_moved(framed, s, axis), pooling, **options)
        changes.append(relative_change(reference, moved))
    return np.stack(changes)


def equivariance_error(
    images, shifts=(0, 1, 2, 3), pooling="max", *, axis="x", kernel_size=2, stride=None, blur=False
):
    """How far a shift's features are from the nearest whole-cell shift of the features.

    A map whose output is ``stride`` times coarser than its input can only move by whole
    cells: by ``s / stride`` cells for a shift ``s``, when ``stride`` divides ``s``. For
    each image ``x`` (framed as in :func:`shift_change`) and shift ``s``, this is::

        min over c in {floor(s / stride), ceil(s / stride)} of
            relative_change(shift(f(x), c), f(shift(x, s)))

    with ``f`` the features of :func:`edge_features`: 0 when the features of the shifted
    image are the features moved by whole cells, which is what an equivariant map would
    give. A shift that is not a multiple of the stride gives more than 0: the subsampling
    reads other pixels, and the output changes in a way no shift of it reproduces
    (aliasing).

    Parameters
    ----------
    images, shifts, pooling, axis, kernel_size, stride, blur
        As for :func:`shift_change`; ``pooling`` defaults to ``"max"``, and ``"global"``
        is refused (its output has no grid).

    Returns
    -------
    numpy.ndarray of float64, shape (len(shifts), N)
        The error of each image, for each shift (in a quick run, of the first few images
        only: see the module's text).

    Raises
    ------
    ValueError
        As :func:`shift_change`, and for ``pooling="global"``.

    Examples
    --------
    Stride 1 is equivariant, stride 2 only for even shifts:

    >>> square = np.zeros((1, 8, 8))
    >>> square[0, 2:5, 2:5] = 1.0
    >>> equivariance_error(square, (1, 2), "max", stride=1).round(3)
    array([[0.],
           [0.]])
    >>> equivariance_error(square, (1, 2), "max").round(3)
    array([[0.641],
           [0.   ]])
    """
    check_choice(pooling, "pooling", ("none", "max", "avg"))
    check_choice(axis, "axis", ("x", "y"))
    framed, shifts = _framed(images, shifts)
    if stride is None:
        stride = 1 if pooling == "none" else kernel_size
    stride = as_int(stride, "stride", minimum=1)
    options = {"kernel_size": kernel_size, "stride": stride, "blur": blur}
    reference = edge_features(framed, pooling, **options)
    errors = []
    for s in shifts:
        moved = edge_features(_moved(framed, s, axis), pooling, **options)
        cells = {s // stride, -(-s // stride)}
        errors.append(
            np.min(
                [relative_change(_moved(reference, c, axis), moved) for c in sorted(cells)],
                axis=0,
            )
        )
    return np.stack(errors)


def _map_norms(maps):
    """The L2 norm of each map, (N, C, H, W) -> (N, C)."""
    return np.sqrt((maps**2).sum(axis=(-2, -1)))


def aliasing_error(
    images,
    shifts=(0, 1, 2, 3),
    pooling="max",
    *,
    measure="interpolation",
    axis="x",
    kernel_size=2,
    stride=None,
    blur=False,
    weight=None,
    margin=None,
):
    """How much of a shift's effect on subsampled features is aliasing.

    With stride ``t``, a shift by ``s`` pixels should move the output by ``s / t`` cells,
    a fraction of a cell when ``t`` does not divide ``s``: no whole-cell move of the
    output reproduces that, even for smooth maps with no aliasing at all, so comparing
    with the nearest whole-cell move (:func:`equivariance_error`) mixes the two. Two
    measures that do not (``f`` the features of :func:`edge_features`, each image ``x``
    framed as in :func:`shift_change`):

    - ``measure="interpolation"``: the relative change between ``f(shift(x, s))`` and
      the fractional move of ``f(x)`` interpolated linearly between its two nearest
      whole-cell moves, ``(1 - w) * shift(f(x), c) + w * shift(f(x), c + 1)`` with
      ``c = floor(s / t)`` and ``w = s / t - c``. For a one-pixel shift and stride 2:
      ``0.5 * (f(x) + shift(f(x), 1))``, the half-cell move. Without aliasing, the odd
      samples are determined by the even ones (band-limited, sinc interpolation); the
      halfway average is its crude linear version, exact only for maps linear along the
      shift, so this measure has a floor above 0 even for smooth maps that do not alias
      (0.102 for the blob below). It is exactly 0 when ``t`` divides ``s``.
    - ``measure="norm"``: the relative change of the vector of each map's L2 norm,
      ``|| n(f(shift(x, s))) - n(f(x)) || / || n(f(x)) ||`` with ``n`` the norm of each
      map. A norm does not depend on where a map is, so this is 0 at stride 1 (nothing
      falls off the frame) and about 0 for band-limited maps at any stride: only what
      the subsampling adds or drops counts.

    Parameters
    ----------
    images, shifts, pooling, axis, kernel_size, stride, blur
        As for :func:`shift_change`; ``pooling`` defaults to ``"max"``, and ``"global"``
        is refused (its output has no grid).
    measure : {"interpolation", "norm"}, optional
        Default ``"interpolation"``.
    weight : array_like, optional
        The kernels, as for :func:`edge_features`. Default :data:`EDGE_KERNELS`.
    margin : int, optional
        The frame's width, as for :func:`shift_change`. Default the largest shift plus 1.

    Returns
    -------
    numpy.ndarray of float64, shape (len(shifts), N)
        The error of each image, for each shift (in a quick run, of the first few images
        only: see the module's text).

    Raises
    ------
    ValueError
        As :func:`shift_change`, for ``pooling="global"`` or an unknown ``measure``.

    Examples
    --------
    A smooth blob, its own feature map (a 1x1 identity kernel), subsampled with no
    window: a one-pixel shift is no whole-cell move, but is close to the half-cell
    interpolation, and keeps the map's norm.

    >>> rows, cols = np.mgrid[:16, :16]
    >>> blob = np.exp(-((rows - 8) ** 2 + (cols - 8) ** 2) / 8)[None]
    >>> features = dict(pooling="none", stride=2, weight=np.ones((1, 1, 1, 1)))
    >>> float(aliasing_error(blob, (1,), **features)[0, 0].round(3))
    0.102
    >>> float(aliasing_error(blob, (1,), measure="norm", **features)[0, 0].round(3))
    0.0

    Stripes one pixel wide are the worst case: the kept pixels are all bright, then all
    dark, and the norm of the map changes completely.

    >>> stripes = np.zeros((1, 8, 8))
    >>> stripes[0, :, ::2] = 1.0
    >>> aliasing_error(stripes, (0, 1), measure="norm", **features).round(3)
    array([[0.],
           [1.]])
    """
    check_choice(pooling, "pooling", ("none", "max", "avg"))
    check_choice(axis, "axis", ("x", "y"))
    check_choice(measure, "measure", ("interpolation", "norm"))
    framed, shifts = _framed(images, shifts, margin)
    if stride is None:
        stride = 1 if pooling == "none" else kernel_size
    stride = as_int(stride, "stride", minimum=1)
    options = {"kernel_size": kernel_size, "stride": stride, "blur": blur, "weight": weight}
    reference = edge_features(framed, pooling, **options)
    scale = np.sqrt((reference**2).sum(axis=(1, 2, 3)))
    if np.any(scale == 0):
        raise ValueError("every image must have features that are not all zero")
    errors = []
    for s in shifts:
        moved = edge_features(_moved(framed, s, axis), pooling, **options)
        if measure == "norm":
            errors.append(relative_change(_map_norms(reference), _map_norms(moved)))
            continue
        cell, rest = divmod(s, stride)
        w = rest / stride
        expected = (1 - w) * _moved(reference, cell, axis)
        if rest:
            expected = expected + w * _moved(reference, cell + 1, axis)
        errors.append(np.sqrt(((moved - expected) ** 2).sum(axis=(1, 2, 3))) / scale)
    return np.stack(errors)


def stacked_features(
    images, pooling="max", *, layers=2, kernel_size=2, stride=None, dilate=False, between=None
):
    """Edge maps pooled by several poolings in a row, all with the same window and stride.

    ``edge_features(images)`` (no pooling), then ``layers`` max or average poolings of
    ``kernel_size`` windows with stride ``stride``, one after the other, as in a network
    whose layers each pool. A window of a later pooling covers more input pixels when the
    poolings before it subsample: it spans ``lib.shapes.receptive_field`` of the stack.
    Two 2x2 max poolings with stride 2 are exactly one 4x4 max pooling with stride 4; with
    stride 1, exactly one 3x3 max filter.

    ``dilate=True`` separates that reach from the subsampling: every pooling runs with
    stride 1, and each one's window is dilated by the product of the strides before it,
    so that it reads the input pixels it would read after the subsamplings, at every
    position; nothing is subsampled (two 2x2 max windows, the second dilated by 2, are
    one 4x4 max filter). Max pooling only: PyTorch's average pooling has no dilation;
    but a 2x2 average filter followed by one dilated by 2 is exactly one 4x4 average
    filter, ``edge_features(images, "avg", kernel_size=4, stride=1)``, which serves as
    that control. With stride 1 the average pair is no plain 3x3 average either: it is
    the centre-weighted filter [1, 2, 1] x [1, 2, 1] / 16, :data:`BLUR_KERNEL`.

    ``between`` puts a convolution and a ReLU between consecutive poolings, as in
    LeNet-5, where a convolution sits between S2 and S4: ``relu(conv2d(maps, between,
    padding))`` with the padding that keeps the size. With ``dilate=True`` the
    convolution is dilated by the product of the strides before it too, so that it reads
    what it would read after the subsamplings.

    Parameters
    ----------
    images : array_like
        Grey images, (N, H, W) or (N, 1, H, W).
    pooling : {"max", "avg"}, optional
        Default ``"max"``.
    layers : int, optional
        How many poolings, ``>= 1``. Default 2.
    kernel_size : int, optional
        Each pooling's window. Default 2.
    stride : int, optional
        Each pooling's stride. Default None: ``kernel_size``.
    dilate : bool, optional
        Dilate instead of subsampling, as above. Default False.
    between : array_like, optional
        The kernels of the convolution between two poolings, (4, 4, kH, kW) with kH and
        kW odd (four edge maps in, four maps out). Default None: nothing between.

    Returns
    -------
    numpy.ndarray of float64
        (N, 4, H', W').

    Raises
    ------
    ValueError
        If ``images`` or ``between`` has the wrong shape, ``pooling`` is not ``"max"``
        or ``"avg"``, or ``dilate`` is asked for average pooling.

    Examples
    --------
    >>> images = np.random.default_rng(0).random((2, 12, 12))
    >>> twice = stacked_features(images)
    >>> twice.shape, bool(np.array_equal(twice, edge_features(images, "max", kernel_size=4)))
    ((2, 4, 3, 3), True)
    >>> filtered = edge_features(images, "max", kernel_size=3, stride=1)
    >>> bool(np.array_equal(stacked_features(images, stride=1), filtered))
    True
    >>> filtered = edge_features(images, "max", kernel_size=4, stride=1)
    >>> bool(np.array_equal(stacked_features(images, dilate=True), filtered))
    True

    The stride-1 average pair is the binomial blur (inside the border, where the blur's
    zero padding does not reach):

    >>> blurred = blur_subsample(edge_features(images), stride=1)[..., 1:-1, 1:-1]
    >>> bool(np.allclose(stacked_features(images, "avg", stride=1), blurred))
    True

    A convolution between: the identity kernel changes nothing (the maps are already
    non-negative, so the ReLU keeps them).

    >>> identity = np.zeros((4, 4, 3, 3))
    >>> identity[range(4), range(4), 1, 1] = 1.0
    >>> bool(np.allclose(stacked_features(images, between=identity), twice))
    True
    """
    check_choice(pooling, "pooling", ("max", "avg"))
    layers = as_int(layers, "layers", minimum=1)
    kernel_size = as_int(kernel_size, "kernel_size", minimum=1)
    stride = as_int(kernel_size if stride is None else stride, "stride", minimum=1)
    if not isinstance(dilate, (bool, np.bool_)):
        raise TypeError(f"dilate must be True or False, got {dilate!r}")
    if dilate and pooling != "max":
        raise ValueError("dilate=True needs pooling='max': average pooling has no dilation")
    channels = EDGE_KERNELS.shape[0]
    if between is not None:
        between = as_array(between, "between").astype(np.float64)
        check_ndim(between, "between", {4: "(C, C, kH, kW)"})
        if (
            between.shape[:2] != (channels, channels)
            or between.shape[2] % 2 == 0
            or between.shape[3] % 2 == 0
        ):
            raise ValueError(
                f"between must have shape ({channels}, {channels}, kH, kW) with kH and kW "
                f"odd (the {channels} edge maps in and out), got {between.shape}"
            )
    maps = edge_features(images)
    for layer in range(layers):
        if between is not None and layer > 0:
            # Dilated like the pooling that follows: the product of the strides before it.
            dilation = stride**layer if dilate else 1
            padding = (between.shape[2] // 2 * dilation, between.shape[3] // 2 * dilation)
            maps = np.maximum(conv2d(maps, between, padding=padding, dilation=dilation), 0.0)
        if dilate:
            maps = max_pool2d(maps, kernel_size, stride=1, dilation=stride**layer)
        elif pooling == "max":
            maps = max_pool2d(maps, kernel_size, stride=stride)
        else:
            maps = avg_pool2d(maps, kernel_size, stride=stride)
    return maps


def stacked_shift_change(
    images,
    shifts=(0, 1, 2, 3),
    pooling="max",
    *,
    layers=2,
    kernel_size=2,
    stride=None,
    dilate=False,
    axis="x",
    margin=None,
    between=None,
):
    """The relative change of :func:`stacked_features` when the images move.

    :func:`shift_change` for several poolings in a row: each image is framed as there,
    then, for each shift ``s``,
    ``relative_change(stacked_features(x), stacked_features(shift(x, s)))``. In one layer
    a stride adds nothing to a window's tolerance (:func:`shift_change` with ``stride=1``
    is the control); across layers it does, since a later window then covers more input
    pixels. ``stride=1`` and ``dilate=True`` are the two controls: the same windows with
    no subsampling, and the same reach with no subsampling.

    Parameters
    ----------
    images, shifts, axis, margin
        As for :func:`shift_change`.
    pooling, layers, kernel_size, stride, dilate, between
        As for :func:`stacked_features`.

    Returns
    -------
    numpy.ndarray of float64, shape (len(shifts), N)
        The relative change of each image's features, for each shift.

    Raises
    ------
    ValueError
        As :func:`shift_change` and :func:`stacked_features`.

    Examples
    --------
    A 3x3 square moved by one pixel, after two 2x2 max poolings: with stride 2, the
    change of one 4x4 max pooling with stride 4; with stride 1, of one 3x3 max filter;
    dilated, of one 4x4 max filter. For one square, the strided change depends on where
    the square sits on the pooling grid (see :func:`shift_change`); chapter 4 averages
    over a thousand digits.

    >>> square = np.zeros((1, 8, 8))
    >>> square[0, 2:5, 2:5] = 1.0
    >>> [float(stacked_shift_change(square, (0, 1), **options)[1, 0].round(3))
    ...  for options in ({}, {"stride": 1}, {"dilate": True})]
    [0.626, 0.582, 0.521]
    >>> [float(shift_change(square, (0, 1), "max", kernel_size=k, stride=s)[1, 0].round(3))
    ...  for k, s in ((4, 4), (3, 1), (4, 1))]
    [0.626, 0.582, 0.521]
    """
    check_choice(axis, "axis", ("x", "y"))
    framed, shifts = _framed(images, shifts, margin)
    options = {
        "pooling": pooling,
        "layers": layers,
        "kernel_size": kernel_size,
        "stride": stride,
        "dilate": dilate,
        "between": between,
    }
    reference = stacked_features(framed, **options)
    changes = []
    for s in shifts:
        moved = stacked_features(_moved(framed, s, axis), **options)
        changes.append(relative_change(reference, moved))
    return np.stack(changes)


def high_frequency_share(maps, stride=2):
    """The share of each item's energy at frequencies that subsampling by ``stride`` folds.

    Keeping one pixel in ``stride`` can represent frequencies up to ``1 / (2 * stride)``
    cycles per pixel (the new Nyquist frequency); what lies above, along either axis, is
    folded onto lower frequencies (aliasing). This is the share of each item's energy
    (summed over its maps) above that frequency along rows or columns, from the 2-D
    discrete Fourier transform of each map (no padding, so that the energies add up to
    the map's, by Parseval's theorem). It is a direct measure of how much a map is
    exposed to aliasing before it is subsampled, where :func:`aliasing_error` measures
    symptoms after.

    Parameters
    ----------
    maps : array_like
        Maps before the subsampling, (N, C, H, W).
    stride : int, optional
        The subsampling's stride, ``>= 2``. Default 2.

    Returns
    -------
    numpy.ndarray of float64, shape (N,)
        Between 0 and 1: 0 when nothing would be folded.

    Raises
    ------
    ValueError
        If ``maps`` is not (N, C, H, W), ``stride`` is below 2, or an item is all zeros.

    Examples
    --------
    Stripes one pixel wide hold half their energy at the highest frequency (the other
    half is their mean); a wide, smooth blob holds next to none above a quarter cycle
    per pixel.

    >>> stripes = np.zeros((1, 1, 8, 8))
    >>> stripes[..., ::2] = 1.0
    >>> high_frequency_share(stripes)
    array([0.5])
    >>> rows, cols = np.mgrid[:32, :32]
    >>> blob = np.exp(-((rows - 16) ** 2 + (cols - 16) ** 2) / 32)[None, None]
    >>> bool(high_frequency_share(blob)[0] < 1e-6)
    True
    """
    maps = as_array(maps, "maps").astype(np.float64)
    check_ndim(maps, "maps", {4: "(N, C, H, W)"})
    stride = as_int(stride, "stride", minimum=2)
    # The real-input transform holds the columns of frequency 0 to 1/2 only, about half
    # the work of the full one: a column's mirror image (frequency -f, the same energy)
    # is counted by weighting it twice. Column 0 has no mirror, nor has the column at
    # exactly 1/2 (an even width's last one).
    width = maps.shape[-1]
    weight = np.full(width // 2 + 1, 2.0)
    weight[0] = 1.0
    if width % 2 == 0:
        weight[-1] = 1.0
    spectrum = np.fft.rfft2(maps)
    energy = (spectrum.real**2 + spectrum.imag**2) * weight
    nyquist = 1 / (2 * stride)
    above_rows = np.abs(np.fft.fftfreq(maps.shape[-2]))[:, None] > nyquist
    above_cols = np.fft.rfftfreq(width)[None, :] > nyquist
    total = energy.sum(axis=(1, 2, 3))
    if not np.all(total > 0):
        raise ValueError(
            f"item {int(np.argmin(total))} of maps is all zeros: a share needs some energy"
        )
    return (energy * (above_rows | above_cols)).sum(axis=(1, 2, 3)) / total
