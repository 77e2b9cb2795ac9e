"""lib.datasets: the MNIST loader, its checksums and downloads, the packaged sample.

Tests marked "real" read the original files from the folder that CONVBOOK_DATA names
(CI sets it to the shared data folder) and are skipped when it is absent. The others
build small IDX files of their own, so the checks, the download path and the error
messages are tested everywhere, with no network (mirrors are file:// URLs or fakes).
"""

import gzip
import hashlib
import importlib.util
import os
import shutil
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from lib import datasets
from lib.datasets import (
    MNIST_FILES,
    MNIST_MD5,
    load_mnist,
    load_mnist_sample,
    normalize_lenet5,
    pad_to_32,
    parse_idx,
    to_lenet5_input,
)

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "lib" / "data" / "mnist_sample.npz"
ALL_FILES = [name for pair in MNIST_FILES.values() for name in pair]

# From /work/shared/data/mnist/README.md (the MNIST page gives the same counts).
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


def real_data_dir():
    folder = os.environ.get("CONVBOOK_DATA")
    if not folder or not all((Path(folder) / "mnist" / name).is_file() for name in ALL_FILES):
        pytest.skip(
            "needs the original MNIST files: set CONVBOOK_DATA to a folder holding mnist/ "
            f"with {', '.join(ALL_FILES)} (CI sets it to ../shared/data)"
        )
    return Path(folder)


# --- small fake MNIST files, with their checksums patched in ------------------------------


def idx_bytes(array, magic_ndim=None):
    header = bytes([0, 0, 8, magic_ndim or array.ndim])
    header += b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


@pytest.fixture
def fake_mnist(tmp_path, monkeypatch):
    """A folder ``source/mnist`` with four small valid IDX .gz files (20 train, 10 test
    digits), registered as the originals: MNIST_MD5 and MNIST_SIZES are patched."""
    rng = np.random.default_rng(0)
    folder = tmp_path / "source" / "mnist"
    folder.mkdir(parents=True)
    arrays = {}
    for split, n in (("train", 20), ("test", 10)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = np.arange(n) % 10
        arrays[split] = (images, labels)
        for name, array in zip(MNIST_FILES[split], (images, labels), strict=True):
            data = gzip.compress(idx_bytes(array), mtime=0)
            (folder / name).write_bytes(data)
            monkeypatch.setitem(MNIST_MD5, name, hashlib.md5(data).hexdigest())
        monkeypatch.setitem(datasets.MNIST_SIZES, split, n)
    return folder.parent, arrays


def test_loads_fake_files(fake_mnist):
    source, arrays = fake_mnist
    images, labels = load_mnist("test", data_dir=source, download=False)
    assert images.dtype == np.uint8 and labels.dtype == np.int64
    np.testing.assert_array_equal(images, arrays["test"][0])
    np.testing.assert_array_equal(labels, arrays["test"][1])


def test_data_dir_comes_from_the_environment(fake_mnist, monkeypatch):
    source, arrays = fake_mnist
    monkeypatch.setenv("CONVBOOK_DATA", str(source))
    images, _ = load_mnist("train", download=False)
    np.testing.assert_array_equal(images, arrays["train"][0])


def test_default_data_dir_is_a_user_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("CONVBOOK_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert datasets.default_data_dir() == tmp_path / "convbook"
    monkeypatch.setenv("CONVBOOK_DATA", "~/somewhere")
    assert datasets.default_data_dir() == Path.home() / "somewhere"


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # truncated
        lambda data: data[:100] + bytes([data[100] ^ 0x01]) + data[101:],  # one bit flipped
        lambda data: data + b"\0",  # one byte too many
    ],
    ids=["truncated", "flipped-byte", "extra-byte"],
)
def test_damaged_file_is_refused_by_its_checksum(fake_mnist, damage):
    source, _ = fake_mnist
    path = source / "mnist" / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(ValueError, match=r"t10k-images-idx3-ubyte\.gz has MD5 .* damaged"):
        load_mnist("test", data_dir=source, download=False)
    assert path.is_file()  # a file the user put there is never deleted


def test_valid_gzip_of_wrong_contents_is_refused_by_the_parser(fake_mnist, monkeypatch):
    """Even with a matching checksum (patched here), the magic number and sizes are
    checked: the parser is a second line of defence."""
    source, _ = fake_mnist
    path = source / "mnist" / "t10k-labels-idx1-ubyte.gz"
    forged = gzip.compress(idx_bytes(np.zeros((10, 28, 28))), mtime=0)  # images, not labels
    path.write_bytes(forged)
    monkeypatch.setitem(MNIST_MD5, path.name, hashlib.md5(forged).hexdigest())
    with pytest.raises(ValueError, match="must have IDX magic 0x00000801, got 0x00000803"):
        load_mnist("test", data_dir=source, download=False)


def test_wrong_count_is_refused(fake_mnist, monkeypatch):
    source, _ = fake_mnist
    monkeypatch.setitem(datasets.MNIST_SIZES, "test", 11)
    with pytest.raises(ValueError, match="must hold 11 images of 28x28"):
        load_mnist("test", data_dir=source, download=False)


def test_parse_idx_checks_magic_and_sizes():
    good = idx_bytes(np.arange(6).reshape(2, 3))
    np.testing.assert_array_equal(parse_idx(good), np.arange(6).reshape(2, 3))
    with pytest.raises(ValueError, match="IDX magic number"):
        parse_idx(b"\x00\x00\x0d\x02" + good[4:])  # 0x0d: floats, not unsigned bytes
    with pytest.raises(ValueError, match="IDX magic number"):
        parse_idx(b"\x12\x34" + good[2:])
    with pytest.raises(ValueError, match="IDX magic number"):
        parse_idx(b"")
    with pytest.raises(ValueError, match="12-byte header, got 10 bytes"):
        parse_idx(good[:10])
    with pytest.raises(ValueError, match="must hold 6 bytes .* got 7"):
        parse_idx(good + b"\0")


def test_bad_split_names_the_rule():
    with pytest.raises(ValueError, match="split must be one of 'train', 'test'; got 'valid'"):
        load_mnist("valid")
    with pytest.raises(ValueError, match="split must be one of"):
        load_mnist_sample("validation")


# --- downloads, with mirrors that are local folders or fakes -------------------------------


def test_download_from_a_mirror_into_the_data_folder(fake_mnist, tmp_path, monkeypatch):
    source, arrays = fake_mnist
    monkeypatch.setattr(datasets, "MNIST_MIRRORS", ((source / "mnist").as_uri() + "/",))
    cache = tmp_path / "cache"
    images, labels = load_mnist("train", data_dir=cache)
    np.testing.assert_array_equal(images, arrays["train"][0])
    assert sorted(p.name for p in (cache / "mnist").iterdir()) == sorted(MNIST_FILES["train"])


def test_bad_download_is_not_kept_and_the_next_mirror_is_tried(fake_mnist, tmp_path, monkeypatch):
    source, arrays = fake_mnist
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    for name in ALL_FILES:
        (corrupt / name).write_bytes(b"not the original file")
    mirrors = (corrupt.as_uri() + "/", (source / "mnist").as_uri() + "/")
    monkeypatch.setattr(datasets, "MNIST_MIRRORS", mirrors)
    images, _ = load_mnist("test", data_dir=tmp_path / "cache")
    np.testing.assert_array_equal(images, arrays["test"][0])


def test_only_bad_downloads_fail_and_leave_nothing(fake_mnist, tmp_path, monkeypatch):
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    for name in ALL_FILES:
        (corrupt / name).write_bytes(b"not the original file")
    monkeypatch.setattr(datasets, "MNIST_MIRRORS", (corrupt.as_uri() + "/",))
    cache = tmp_path / "cache"
    with pytest.raises(FileNotFoundError, match="downloaded file has MD5 .* expected"):
        load_mnist("test", data_dir=cache)
    assert list((cache / "mnist").iterdir()) == []  # neither the file nor a .part


def test_no_network_and_no_files_says_what_to_do(tmp_path, monkeypatch):
    def offline(url, timeout):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(datasets, "_urlopen", offline)
    monkeypatch.delenv("CONVBOOK_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    with pytest.raises(FileNotFoundError) as caught:
        load_mnist("train")
    message = str(caught.value)
    assert "CONVBOOK_DATA" in message and "no network" in message
    assert str(tmp_path / "convbook" / "mnist") in message
    for name in ALL_FILES:
        assert name in message
    for mirror in datasets.MNIST_MIRRORS:
        assert mirror + "train-images-idx3-ubyte.gz" in message  # each URL that was tried


def test_download_false_does_not_touch_the_network(tmp_path, monkeypatch):
    def fail(url, timeout):
        raise AssertionError("the network must not be used")

    monkeypatch.setattr(datasets, "_urlopen", fail)
    with pytest.raises(FileNotFoundError, match="(?s)download=False.*CONVBOOK_DATA"):
        load_mnist("test", data_dir=tmp_path, download=False)


# --- the real files ------------------------------------------------------------------------


def test_real_test_set():
    images, labels = load_mnist("test", data_dir=real_data_dir(), download=False)
    assert images.shape == (10_000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10_000,) and labels.dtype == np.int64
    assert np.bincount(labels).tolist() == TEST_COUNTS
    assert labels[:5].tolist() == [7, 2, 1, 0, 4]
    assert images.min() == 0 and images.max() == 255


def test_real_training_set():
    images, labels = load_mnist("train", data_dir=real_data_dir(), download=False)
    assert images.shape == (60_000, 28, 28)
    assert np.bincount(labels).tolist() == TRAIN_COUNTS
    assert round(float(images.mean()), 3) == 33.318


def test_damaged_copies_of_the_real_files(tmp_path):
    original = real_data_dir() / "mnist"
    copy = tmp_path / "mnist"
    copy.mkdir()
    for name in MNIST_FILES["test"]:
        shutil.copyfile(original / name, copy / name)
    load_mnist("test", data_dir=tmp_path, download=False)  # the intact copy loads

    path = copy / "t10k-images-idx3-ubyte.gz"
    intact = path.read_bytes()
    # The magic number sits in the compressed stream: rewrite it and gzip again.
    wrong_magic = bytearray(gzip.decompress(intact))
    wrong_magic[3] = 0x01
    for damaged in (intact[:-1000], intact[:5000] + b"\xff" + intact[5001:]):
        path.write_bytes(damaged)
        with pytest.raises(ValueError, match="has MD5"):
            load_mnist("test", data_dir=tmp_path, download=False)
    path.write_bytes(gzip.compress(bytes(wrong_magic)))
    with pytest.raises(ValueError, match="has MD5"):
        load_mnist("test", data_dir=tmp_path, download=False)
    with pytest.raises(ValueError, match="must hold 10000 bytes after its 8-byte header"):
        parse_idx(bytes(wrong_magic), name="t10k")  # 1 dimension of 10,000: sizes disagree


# --- the packaged sample -------------------------------------------------------------------


@pytest.mark.parametrize(("split", "per_class"), [("train", 500), ("test", 100)])
def test_sample_shapes_and_balance(split, per_class):
    images, labels, indices = load_mnist_sample(split, return_indices=True)
    n = 10 * per_class
    assert images.shape == (n, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (n,) and labels.dtype == np.int64
    assert np.bincount(labels, minlength=10).tolist() == [per_class] * 10
    assert np.all(np.diff(indices) > 0)  # distinct, in the original order
    assert indices.max() < datasets.MNIST_SIZES[split]
    assert images.max() > 200 and images[:, :3].max() <= 255  # grey levels, not floats


def test_sample_is_small_and_credited():
    assert SAMPLE.stat().st_size < 2_000_000
    licence = (ROOT / "lib" / "data" / "MNIST_SAMPLE_LICENSE.md").read_text()
    for words in ("Yann LeCun", "Corinna Cortes", "Burges", "CC BY-SA 3.0", "1998"):
        assert words in licence


@pytest.mark.parametrize("split", ["train", "test"])
def test_sample_digits_are_genuine(split):
    images, labels = load_mnist(split, data_dir=real_data_dir(), download=False)
    sample_images, sample_labels, indices = load_mnist_sample(split, return_indices=True)
    np.testing.assert_array_equal(sample_images, images[indices])
    np.testing.assert_array_equal(sample_labels, labels[indices])


def test_sample_tool_redraws_the_same_sample():
    data_dir = real_data_dir()
    spec = importlib.util.spec_from_file_location("tool", ROOT / "tools" / "make_mnist_sample.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    redrawn = tool.make_sample(data_dir)
    with np.load(SAMPLE) as packaged:
        assert sorted(packaged.files) == sorted(redrawn)
        for name, array in redrawn.items():
            np.testing.assert_array_equal(packaged[name], array, err_msg=name)


# --- LeNet-5's input format ----------------------------------------------------------------


def test_pad_to_32_centres_the_digit():
    images = np.arange(2 * 28 * 28, dtype=np.uint16).reshape(2, 28, 28)
    padded = pad_to_32(images)
    assert padded.shape == (2, 32, 32) and padded.dtype == np.uint16
    np.testing.assert_array_equal(padded[:, 2:30, 2:30], images)
    assert padded.sum() == images.sum()  # the border is zeros
    assert pad_to_32(images[0]).shape == (32, 32)
    with pytest.raises(ValueError, match="images must end in two dimensions of 28x28"):
        pad_to_32(np.zeros((2, 32, 32)))


def test_normalisation_is_the_papers():
    levels = normalize_lenet5(np.array([0, 255], dtype=np.uint8))
    np.testing.assert_allclose(levels, [-0.1, 1.175], rtol=1e-6)
    x = to_lenet5_input(load_mnist_sample("train")[0])
    assert x.shape == (5000, 1, 32, 32) and x.dtype == np.float32
    assert abs(float(x.mean())) < 0.05  # "roughly 0", as the paper says
    assert 0.08 < float(x.var()) < 0.2  # but not "roughly 1": see normalize_lenet5
    np.testing.assert_allclose(x[:, :, :2], -0.1)  # the padding is background
    with pytest.raises(ValueError, match=r"images must have shape \(N, 28, 28\)"):
        to_lenet5_input(np.zeros((28, 28)))
