"""Random planar distortions of a batch of digits, in NumPy and SciPy.

The same distortions as :func:`lib.training.random_distortions` (the paper's kinds:
translation, scaling, squeezing, horizontal shearing), drawn from a NumPy generator and
resampled bilinearly with :func:`scipy.ndimage.map_coordinates`, so that the NumPy
engine trains without torch.
"""

import numpy as np
from scipy import ndimage

from lib._validation import as_array
from lib.datasets import BACKGROUND


def affine_resample(images, theta):
    """Resample each image at an affine map of its own pixel grid, as torch's
    ``grid_sample(images, affine_grid(theta), align_corners=False)`` does (bilinear,
    zeros outside).

    Parameters
    ----------
    images : numpy.ndarray, shape (N, 1, H, W)
    theta : numpy.ndarray, shape (N, 2, 3)
        For each image, the map from an output position to the input position it reads,
        in coordinates that run from -1 to 1 across the image (torch's convention).

    Returns
    -------
    numpy.ndarray of float32, shape (N, 1, H, W)

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> identity = np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    >>> bool(np.allclose(affine_resample(x, identity), x))
    True
    """
    n, _, height, width = images.shape
    # The centres of the output pixels, in -1 .. 1 (align_corners=False).
    xs = (2 * np.arange(width) + 1) / width - 1
    ys = (2 * np.arange(height) + 1) / height - 1
    gx, gy = np.meshgrid(xs, ys)  # (H, W) each
    source_x = theta[:, 0, 0, None, None] * gx + theta[:, 0, 1, None, None] * gy
    source_x += theta[:, 0, 2, None, None]
    source_y = theta[:, 1, 0, None, None] * gx + theta[:, 1, 1, None, None] * gy
    source_y += theta[:, 1, 2, None, None]
    # Back to pixel indices of the input.
    columns = ((source_x + 1) * width - 1) / 2
    rows = ((source_y + 1) * height - 1) / 2
    index = np.broadcast_to(np.arange(n, dtype=np.float64)[:, None, None], rows.shape)
    coordinates = np.stack([index, rows, columns])
    # An integer image index: the interpolation mixes pixels of one image only.
    resampled = ndimage.map_coordinates(
        images[:, 0].astype(np.float64), coordinates, order=1, mode="grid-constant", cval=0.0
    )
    return resampled[:, None].astype(np.float32)


def random_distortions(images, shift=2.0, scale=0.1, squeeze=0.1, shear=0.15, rng=None):
    """Random planar affine distortions of a batch, as :func:`lib.training.random_distortions`.

    Each image gets its own random translation (up to ``shift`` pixels each way),
    scaling (1 +- ``scale``), squeezing (width times q, height divided by q, q in
    1 +- ``squeeze``) and horizontal shear; uncovered pixels get the background -0.1.

    Parameters
    ----------
    images : array_like, shape (N, 1, H, W)
    shift, scale, squeeze, shear : float, optional
        The ranges; 0 turns a distortion off.
    rng : None, int or numpy.random.Generator, optional

    Returns
    -------
    numpy.ndarray of float32, shape (N, 1, H, W)

    Examples
    --------
    >>> x = np.full((2, 1, 32, 32), -0.1, np.float32)
    >>> bool(np.allclose(random_distortions(x, rng=0), x))
    True
    >>> z = np.random.default_rng(0).normal(size=(2, 1, 32, 32))
    >>> y = random_distortions(z, shift=0, scale=0, squeeze=0, shear=0)
    >>> bool(np.allclose(y, z, atol=1e-6))
    True
    """
    images = as_array(images, "images")
    if images.ndim != 4 or images.shape[1] != 1:
        raise ValueError(f"images must have shape (N, 1, H, W), got shape {images.shape}")
    rng = np.random.default_rng(rng)
    n, _, height, width = images.shape

    def uniform(bound):
        return rng.uniform(-1.0, 1.0, size=n) * bound

    zoom, squash = 1 + uniform(scale), 1 + uniform(squeeze)
    theta = np.zeros((n, 2, 3))
    theta[:, 0, 0] = zoom * squash
    theta[:, 0, 1] = uniform(shear)
    theta[:, 1, 1] = zoom / squash
    theta[:, 0, 2] = uniform(shift) * 2 / width
    theta[:, 1, 2] = uniform(shift) * 2 / height
    # Resample the ink above the background, so that the zeros outside are background.
    return affine_resample(images - BACKGROUND, theta) + np.float32(BACKGROUND)
