"""lib.border: the edge-band errors of padding modes, against torch's padding and conv2d."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lib.border import border_errors

TORCH_MODES = {
    "zeros": "constant",
    "reflect": "reflect",
    "replicate": "replicate",
    "circular": "circular",
}


def torch_errors(image, kernel, size, corners, modes):
    reach = kernel.shape[0] // 2
    weight = torch.from_numpy(kernel)[None, None]
    band = np.ones((size, size), dtype=bool)
    band[reach:-reach, reach:-reach] = False
    rows = []
    for top, left in corners:
        context = torch.from_numpy(
            image[top - reach : top + size + reach, left - reach : left + size + reach]
        )[None, None]
        truth = F.conv2d(context, weight)[0, 0].numpy()
        crop = context[..., reach:-reach, reach:-reach]
        row = []
        for mode in modes:
            padded = F.pad(crop, (reach,) * 4, mode=TORCH_MODES[mode])
            guessed = F.conv2d(padded, weight)[0, 0].numpy()
            row.append(np.abs(guessed - truth)[band].mean())
        rows.append(row)
    return np.array(rows)


@pytest.mark.parametrize("k", [3, 5])
def test_border_errors_match_torch(k):
    rng = np.random.default_rng(k)
    image = rng.random((30, 30)) * 255
    kernel = rng.random((k, k))
    corners = rng.integers(k // 2, 30 - 12 - k // 2 + 1, size=(4, 2))
    modes = list(TORCH_MODES)
    np.testing.assert_allclose(
        border_errors(image, kernel, 12, corners, modes),
        torch_errors(image, kernel, 12, corners.tolist(), modes),
        rtol=1e-10,
    )


def test_border_errors_refuse_crops_without_neighbours_and_even_kernels():
    image = np.zeros((20, 20))
    with pytest.raises(ValueError, match="neighbours"):
        border_errors(image, np.ones((3, 3)), 8, [(0, 4)])
    with pytest.raises(ValueError, match="neighbours"):
        border_errors(image, np.ones((3, 3)), 8, [(4, 12)])
    with pytest.raises(ValueError, match="odd"):
        border_errors(image, np.ones((2, 2)), 8, [(4, 4)])
    with pytest.raises(ValueError, match="corners"):
        border_errors(image, np.ones((3, 3)), 8, [4, 4])
