"""MNIST: the original files, a small packaged sample, and LeNet-5's input format.

MNIST (Yann LeCun, Corinna Cortes and Christopher J. C. Burges; CC BY-SA 3.0) is 60,000
training and 10,000 test digits, 28x28 grey levels, in four gzipped IDX files. This module

- reads the four original files from one data folder and checks each one's MD5 against
  the published sum *before* parsing it, so a truncated or damaged file is refused, never
  half-read (:func:`load_mnist`);
- downloads missing files into that folder from a mirror of the originals, keeping a file
  only when its checksum is right;
- loads a 6,000-digit sample that ships with ``lib``, so the chapters run with no network
  and no data folder (:func:`load_mnist_sample`);
- turns digits into the input LeNet-5 was trained on: 32x32, the 28x28 digit centred,
  background -0.1 and foreground 1.175 (:func:`pad_to_32`, :func:`normalize_lenet5`,
  :func:`to_lenet5_input`).

The data folder is the one setting: the environment variable ``CONVBOOK_DATA`` names a
folder that holds ``mnist/`` (the layout of the project's shared data folder); when it is
unset, the folder is a user cache, ``~/.cache/convbook`` (or ``$XDG_CACHE_HOME/convbook``).
"""

import gzip
import hashlib
import os
import urllib.request
from importlib import resources
from pathlib import Path

import numpy as np

from lib._validation import as_array, check_choice

#: The environment variable naming the data folder, a folder that holds ``mnist/``.
DATA_ENV_VAR = "CONVBOOK_DATA"

#: The two files of each split: (images, labels).
MNIST_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

#: The published MD5 sums of the original gzipped files (the ones torchvision checks).
MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}

#: Mirrors of the original files, tried in order. The first is the one torchvision uses;
#: the last is the original site, which now often refuses scripted downloads.
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)

#: Number of digits and image size of each split.
MNIST_SIZES = {"train": 60_000, "test": 10_000}
IMAGE_SIZE = 28

#: IDX magic numbers: two zero bytes, the element type (0x08: unsigned byte) and the
#: number of dimensions.
IDX_IMAGES_MAGIC = 0x00000803
IDX_LABELS_MAGIC = 0x00000801

#: LeNet-5's grey levels: background (white paper) and foreground (ink), from the paper.
BACKGROUND = -0.1
FOREGROUND = 1.175

_SPLITS = ("train", "test")
_SAMPLE_FILE = "mnist_sample.npz"
_DOWNLOAD_TIMEOUT = 60  # seconds per file


def default_data_dir():
    """The data folder: ``$CONVBOOK_DATA``, or the user cache when it is unset.

    Returns
    -------
    pathlib.Path
        A folder that holds (or will hold) ``mnist/``. It need not exist yet.

    Examples
    --------
    >>> import os
    >>> saved = os.environ.pop("CONVBOOK_DATA", None)  # restored below
    >>> os.environ["CONVBOOK_DATA"] = "/srv/data"
    >>> default_data_dir().as_posix()
    '/srv/data'
    >>> del os.environ["CONVBOOK_DATA"]
    >>> default_data_dir().name
    'convbook'
    >>> if saved is not None:
    ...     os.environ["CONVBOOK_DATA"] = saved
    """
    configured = os.environ.get(DATA_ENV_VAR)
    if configured:
        return Path(configured).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "convbook"


def load_mnist(split="train", data_dir=None, download=True):
    """Load one split of the original MNIST files.

    Each file's MD5 is checked against :data:`MNIST_MD5` before it is parsed, so a
    truncated or damaged file is refused whole. Missing files are downloaded (when
    ``download`` is true) from :data:`MNIST_MIRRORS` into ``<data_dir>/mnist/``, and kept
    only when their checksum is right.

    Parameters
    ----------
    split : {"train", "test"}, optional
        ``"train"``: 60,000 digits; ``"test"``: 10,000 digits. Default ``"train"``.
    data_dir : str or pathlib.Path, optional
        A folder that holds ``mnist/``. Default :func:`default_data_dir`: the environment
        variable ``CONVBOOK_DATA``, else ``~/.cache/convbook``.
    download : bool, optional
        Download missing files. Default True.

    Returns
    -------
    images : numpy.ndarray of uint8, shape (N, 28, 28)
        Grey levels, 0 (background) to 255 (ink).
    labels : numpy.ndarray of int64, shape (N,)
        The digits, 0 to 9.

    Raises
    ------
    ValueError
        If ``split`` is not ``"train"`` or ``"test"``, if a file's checksum is wrong, or if
        its contents are not a valid IDX file of the expected shape.
    FileNotFoundError
        If a file is missing and could not be downloaded; the message says what to set
        or fetch.

    Examples
    --------
    >>> images, labels = load_mnist("test")  # doctest: +SKIP
    >>> images.shape, images.dtype, labels[:5]  # doctest: +SKIP
    ((10000, 28, 28), dtype('uint8'), array([7, 2, 1, 0, 4]))
    """
    check_choice(split, "split", _SPLITS)
    folder = Path(data_dir if data_dir is not None else default_data_dir()) / "mnist"
    images_file, labels_file = MNIST_FILES[split]
    images = _read_idx_file(_find_or_fetch(folder, images_file, download), IDX_IMAGES_MAGIC)
    labels = _read_idx_file(_find_or_fetch(folder, labels_file, download), IDX_LABELS_MAGIC)

    expected = (MNIST_SIZES[split], IMAGE_SIZE, IMAGE_SIZE)
    if images.shape != expected or labels.shape != expected[:1]:
        raise ValueError(
            f"MNIST {split} files must hold {expected[0]} images of 28x28 and as many "
            f"labels; got images {images.shape} and labels {labels.shape}"
        )
    if labels.max() > 9:
        raise ValueError(f"MNIST labels must be digits 0-9; {labels_file} holds {labels.max()}")
    return images, labels.astype(np.int64)


def parse_idx(raw, name="data"):
    """Parse the bytes of an (uncompressed) IDX file of unsigned bytes.

    The IDX format: a 4-byte magic number (two zero bytes, the element type 0x08 for
    unsigned bytes, the number of dimensions), one big-endian 32-bit size per dimension,
    then the elements in C order.

    Parameters
    ----------
    raw : bytes
        The file's contents.
    name : str, optional
        What the bytes are, for error messages.

    Returns
    -------
    numpy.ndarray of uint8
        The array, with the shape the header gives.

    Raises
    ------
    ValueError
        If the magic number is not that of an unsigned-byte IDX file, or the number of
        bytes after the header is not the product of the sizes.

    Examples
    --------
    >>> header = bytes([0, 0, 8, 2]) + (2).to_bytes(4, "big") + (3).to_bytes(4, "big")
    >>> parse_idx(header + bytes(range(6)))
    array([[0, 1, 2],
           [3, 4, 5]], dtype=uint8)
    >>> parse_idx(header + bytes(5))
    Traceback (most recent call last):
    ...
    ValueError: data must hold 6 bytes after its 12-byte header (shape (2, 3)), got 5
    """
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08 or raw[3] == 0:
        raise ValueError(
            f"{name} must start with an IDX magic number 0x000008NN (unsigned bytes, NN "
            f"dimensions), got 0x{raw[:4].hex() or 'nothing'}"
        )
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{name} must hold a {header}-byte header, got {len(raw)} bytes")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    count = int(np.prod(shape))
    if len(raw) - header != count:
        raise ValueError(
            f"{name} must hold {count} bytes after its {header}-byte header "
            f"(shape {shape}), got {len(raw) - header}"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape).copy()


def file_md5(path):
    """The MD5 sum of a file, as 32 hexadecimal digits."""
    digest = hashlib.md5()  # a checksum against damage, not a security measure
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_idx_file(path, magic):
    """Check a gzipped IDX file's MD5, then parse it and check its magic number."""
    actual = file_md5(path)
    if actual != MNIST_MD5[path.name]:
        raise ValueError(
            f"{path} has MD5 {actual}, but the original file's is {MNIST_MD5[path.name]}: "
            f"it is damaged or not the original. Delete it and load again to download it, "
            f"or copy the original there."
        )
    with gzip.open(path, "rb") as file:
        raw = file.read()
    array = parse_idx(raw, name=path.name)
    found = int.from_bytes(raw[:4], "big")
    if found != magic:
        raise ValueError(f"{path.name} must have IDX magic 0x{magic:08x}, got 0x{found:08x}")
    return array


def _find_or_fetch(folder, filename, download):
    """The path of ``folder/filename``, downloading it first when it is missing."""
    path = folder / filename
    if path.is_file():
        return path
    failures = []
    if download:
        for mirror in MNIST_MIRRORS:
            try:
                _download(mirror + filename, path)
                return path
            except (OSError, ValueError) as error:  # URLError and HTTPError are OSErrors
                failures.append(f"  {mirror + filename}: {error}")
    raise FileNotFoundError(_missing_message(folder, filename, download, failures))


def _download(url, path):
    """Download ``url`` to ``path``; keep it only if its MD5 is the published one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    try:
        with _urlopen(url, timeout=_DOWNLOAD_TIMEOUT) as response, open(partial, "wb") as out:
            for block in iter(lambda: response.read(1 << 20), b""):
                out.write(block)
        actual = file_md5(partial)
        if actual != MNIST_MD5[path.name]:
            raise ValueError(f"downloaded file has MD5 {actual}, expected {MNIST_MD5[path.name]}")
        os.replace(partial, path)  # atomic: the folder never holds a half-written file
    finally:
        partial.unlink(missing_ok=True)


def _urlopen(url, timeout):
    """``urllib.request.urlopen``; a seam that the tests replace with a fake opener."""
    return urllib.request.urlopen(url, timeout=timeout)


def _missing_message(folder, filename, download, failures):
    names = ", ".join(name for pair in MNIST_FILES.values() for name in pair)
    how = "and downloading it failed:\n" + "\n".join(failures) if download else "and download=False"
    return (
        f"MNIST file {filename} is not in {folder}, {how}\n"
        f"Either set the environment variable {DATA_ENV_VAR} to a folder that holds "
        f"mnist/ with the four original files ({names}), or download them from one of "
        f"{', '.join(MNIST_MIRRORS)} into {folder}/. "
        f"Their MD5 sums are in lib.datasets.MNIST_MD5."
    )


def load_mnist_sample(split="train", return_indices=False):
    """Load the MNIST sample that ships with ``lib``: no network, no data folder.

    5,000 training digits (500 of each class) drawn from the 60,000 of the original
    training set, and 1,000 test digits (100 of each class) from the 10,000 of the
    original test set, with a fixed seed; ``tools/make_mnist_sample.py`` redraws it.
    The digits keep the order they have in the original files. Licence and credit:
    ``lib/data/MNIST_SAMPLE_LICENSE.md``.

    Parameters
    ----------
    split : {"train", "test"}, optional
        Default ``"train"``.
    return_indices : bool, optional
        Also return each digit's index in the original file. Default False.

    Returns
    -------
    images : numpy.ndarray of uint8, shape (N, 28, 28)
    labels : numpy.ndarray of int64, shape (N,)
    indices : numpy.ndarray of int64, shape (N,)
        Only when ``return_indices`` is true.

    Raises
    ------
    ValueError
        If ``split`` is not ``"train"`` or ``"test"``.

    Examples
    --------
    >>> images, labels = load_mnist_sample("test")
    >>> images.shape, images.dtype, labels.dtype
    ((1000, 28, 28), dtype('uint8'), dtype('int64'))
    >>> np.bincount(labels)
    array([100, 100, 100, 100, 100, 100, 100, 100, 100, 100])
    """
    check_choice(split, "split", _SPLITS)
    with resources.files("lib").joinpath("data", _SAMPLE_FILE).open("rb") as file:
        with np.load(file) as sample:
            images = sample[f"{split}_images"]
            labels = sample[f"{split}_labels"].astype(np.int64)
            indices = sample[f"{split}_indices"].astype(np.int64)
    return (images, labels, indices) if return_indices else (images, labels)


def pad_to_32(images):
    """Centre 28x28 digits in 32x32 images, as LeNet-5's input: 2 pixels of background
    on every side.

    The paper's reason: the input is larger than any digit (at most 20x20, centred in the
    28x28 field) so that distinctive features near the edge, such as stroke end points or
    corners, can still appear in the centre of the receptive field of the highest-level
    feature detectors. Those are C3's units (chapter 2): their 14x14 fields start every 2
    pixels, so their centres cover the 20x20 centre of the 32x32 input, rows and columns
    6 to 25, where the padded digit lies. (C5's units see the whole input, one centre.)

    Parameters
    ----------
    images : array_like, shape (..., 28, 28)
        Digits with background 0, as MNIST stores them.

    Returns
    -------
    numpy.ndarray, shape (..., 32, 32)
        The same dtype, padded with zeros (background).

    Raises
    ------
    ValueError
        If the last two dimensions are not 28x28.

    Examples
    --------
    >>> padded = pad_to_32(np.ones((3, 28, 28), dtype=np.uint8))
    >>> padded.shape, padded[0, 2:30, 2:30].min(), padded[0, :2].max()
    ((3, 32, 32), np.uint8(1), np.uint8(0))
    """
    images = as_array(images, "images")
    if images.ndim < 2 or images.shape[-2:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise ValueError(
            f"images must end in two dimensions of 28x28, got shape {tuple(images.shape)}"
        )
    border = [(0, 0)] * (images.ndim - 2) + [(2, 2), (2, 2)]
    return np.pad(images, border)


def normalize_lenet5(images):
    """Map grey levels 0..255 linearly to LeNet-5's -0.1 (background) .. 1.175 (ink).

    The paper chose these levels "so that the mean input is roughly 0, and the variance
    roughly 1", which it says speeds up learning. On MNIST padded to 32x32 the mean is
    indeed about 0.03, but the variance is about 0.12, not 1: with most pixels at -0.1,
    no two levels can give both (for a two-level image with mean 0 the variance is
    0.1 x 1.175 = 0.1175).

    Parameters
    ----------
    images : array_like
        Grey levels from 0 to 255 (any shape).

    Returns
    -------
    numpy.ndarray of float32
        ``-0.1 + 1.275 * images / 255``.

    Examples
    --------
    >>> normalize_lenet5(np.array([0, 255], dtype=np.uint8))
    array([-0.1  ,  1.175], dtype=float32)
    """
    images = as_array(images, "images")
    scaled = images.astype(np.float32) / np.float32(255)
    return np.float32(BACKGROUND) + np.float32(FOREGROUND - BACKGROUND) * scaled


def to_lenet5_input(images):
    """Digits as LeNet-5 reads them: padded to 32x32, normalised, with a channel axis.

    Parameters
    ----------
    images : array_like, shape (N, 28, 28)
        Grey levels 0..255.

    Returns
    -------
    numpy.ndarray of float32, shape (N, 1, 32, 32)

    Raises
    ------
    ValueError
        If ``images`` is not of shape (N, 28, 28).

    Examples
    --------
    >>> images, _ = load_mnist_sample("test")
    >>> x = to_lenet5_input(images)
    >>> x.shape, x.dtype, round(float(x.min()), 4), round(float(x.max()), 4)
    ((1000, 1, 32, 32), dtype('float32'), -0.1, 1.175)
    """
    images = as_array(images, "images")
    if images.ndim != 3:
        raise ValueError(f"images must have shape (N, 28, 28), got {tuple(images.shape)}")
    return normalize_lenet5(pad_to_32(images))[:, None]
