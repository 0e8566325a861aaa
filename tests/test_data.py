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
