"""Dataset loaders on small IDX / CIFAR files written by the test, and their error messages."""
import gzip
import struct

import numpy as np
import pytest

import core
from core.data import load_dataset, load_digits


def write_idx(path, array, images, compress):
    header = struct.pack(">I", 2051 if images else 2049) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(np.uint8).tobytes()
    if compress:
        path = path.with_name(path.name + ".gz")
        data = gzip.compress(data)
    path.write_bytes(data)


@pytest.mark.parametrize("compress", [False, True])
def test_fashion_mnist_idx(tmp_path, compress):
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 12), ("t10k", 5)):
        write_idx(tmp_path / f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28)), True,
                  compress)
        write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte", rng.integers(0, 10, n), False, compress)
    data = load_dataset(f"fashion-mnist:{tmp_path}")
    assert data.train_x.shape == (12, 1, 28, 28) and data.test_y.shape == (5,)
    assert 0 <= data.train_x.min() and data.train_x.max() <= 1
    assert data.classes[0] == "T-shirt/top"


def test_fashion_mnist_errors_name_the_file(tmp_path):
    with pytest.raises(core.ConfigError, match="train-images-idx3-ubyte"):
        load_dataset(f"fashion-mnist:{tmp_path}")
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x01" + b"\x00" * 20)
    with pytest.raises(core.ConfigError, match="is not an IDX image file"):
        load_dataset(f"fashion-mnist:{tmp_path}")
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((3, 28, 28)), True, False)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(core.ConfigError, match="truncated"):
        load_dataset(f"fashion-mnist:{tmp_path}")


def test_cifar10_binary(tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    for name, n in [(f"data_batch_{i}.bin", 4) for i in range(1, 6)] + [("test_batch.bin", 3)]:
        records = np.concatenate([rng.integers(0, 10, (n, 1)), rng.integers(0, 256, (n, 3072))], 1)
        (folder / name).write_bytes(records.astype(np.uint8).tobytes())
    data = load_dataset(f"cifar10:{tmp_path}")
    assert data.train_x.shape == (20, 3, 32, 32) and data.test_x.shape == (3, 3, 32, 32)
    (folder / "test_batch.bin").write_bytes(b"\x01" * 100)
    with pytest.raises(core.ConfigError, match="test_batch.bin is not a CIFAR-10 binary batch"):
        load_dataset(f"cifar10:{tmp_path}")


@pytest.mark.parametrize("spec, message", [("mnist", "unknown dataset"), ("cifar10", "needs a folder"),
                                           ("cifar10:/nonexistent/x", "does not exist")])
def test_bad_specs(spec, message):
    with pytest.raises(core.ConfigError, match=message):
        load_dataset(spec)


def test_digits_is_embedded_and_fixed():
    a, b = load_digits(), load_digits()
    assert a.train_x.shape == (1437, 1, 8, 8) and a.test_x.shape == (360, 1, 8, 8)
    assert (a.test_y == b.test_y).all() and set(a.test_y.tolist()) == set(range(10))
    assert a.resized(32, 3).train_x.shape == (1437, 3, 32, 32)


def test_without_the_debian_package_digits_is_the_default_and_fashion_mnist_says_how_to_get_it(
        tmp_path, monkeypatch):
    from core import data
    from core.train import TrainSettings
    monkeypatch.setattr(data, "PACKAGED_FASHION_MNIST", tmp_path / "absent")
    assert data.default_dataset() == "digits" and TrainSettings().dataset == "digits"
    with pytest.raises(core.ConfigError) as missing:
        load_dataset("fashion-mnist")
    assert missing.value.code == "dataset.not_installed" and "dataset-fashion-mnist" in missing.value.message


@pytest.mark.skipif(not core.data.PACKAGED_FASHION_MNIST.is_dir(),
                    reason="Debian's dataset-fashion-mnist is not installed (make test installs it)")
def test_the_packaged_fashion_mnist_is_the_default_and_subsets_keep_the_classes_balanced():
    from core.train import TrainSettings
    assert core.data.default_dataset() == "fashion-mnist" and TrainSettings().dataset == "fashion-mnist"
    full = load_dataset("fashion-mnist")
    assert full.train_x.shape == (60000, 1, 28, 28) and full.test_x.shape == (10000, 1, 28, 28)
    small = full.subset(5000, seed=0)
    assert len(small.train_y) == 5000 and np.bincount(small.train_y.numpy()).tolist() == [500] * 10
    assert small.test_x is full.test_x  # accuracy is always on the whole test set
    assert small.train_y.tolist() == full.subset(5000, seed=0).train_y.tolist()  # the same sample
    assert len(set(small.train_y[:20].tolist())) > 1  # shuffled, not sorted by class
