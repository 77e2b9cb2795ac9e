"""Redraw the MNIST sample that ships with lib: lib/data/mnist_sample.npz.

    CONVBOOK_DATA=/path/to/data python tools/make_mnist_sample.py

It reads the four original MNIST files with ``lib.datasets.load_mnist`` (checksums
verified) and draws, with NumPy's ``default_rng(SEED)``, 500 training digits of each class
from the 60,000 of the training set and 100 test digits of each class from the 10,000 of
the test set, without replacement. The digits keep their original order, and their
indices in the original files are stored beside them.

The output is the same, byte for byte, on every run: same seed, same arrays, and a zip
archive whose entries carry a fixed date instead of the time of writing.
"""

import argparse
import zipfile
from pathlib import Path

import numpy as np

from lib.datasets import load_mnist

#: The seed of the draw (the year of the LeNet-5 paper).
SEED = 1998
#: Digits drawn per class in each split.
PER_CLASS = {"train": 500, "test": 100}
OUTPUT = Path(__file__).resolve().parent.parent / "lib" / "data" / "mnist_sample.npz"


def draw(labels, per_class, rng):
    """Indices of ``per_class`` digits of each class, sorted (the original order)."""
    chosen = [
        rng.choice(np.flatnonzero(labels == digit), size=per_class, replace=False)
        for digit in range(10)
    ]
    return np.sort(np.concatenate(chosen)).astype(np.int64)


def make_sample(data_dir=None):
    """The sample's arrays, by name."""
    rng = np.random.default_rng(SEED)
    arrays = {}
    for split in ("train", "test"):  # this order: the draw of "test" follows "train"'s
        images, labels = load_mnist(split, data_dir=data_dir, download=False)
        indices = draw(labels, PER_CLASS[split], rng)
        arrays[f"{split}_images"] = images[indices]
        arrays[f"{split}_labels"] = labels[indices].astype(np.uint8)  # np.load gives int64 back
        arrays[f"{split}_indices"] = indices.astype(np.uint16)  # < 65,536: half the bytes
    return arrays


def write_npz(path, arrays):
    """``np.savez_compressed``, but reproducible: every entry dated 1980-01-01."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, array in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w") as entry:
                np.lib.format.write_array(entry, np.ascontiguousarray(array))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="folder holding mnist/ (default: $CONVBOOK_DATA)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    arrays = make_sample(args.data_dir)
    write_npz(args.output, arrays)
    print(f"wrote {args.output} ({args.output.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
