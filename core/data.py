"""Datasets: Fashion-MNIST, the book's (IDX files: Debian's package `dataset-fashion-mnist`, the default
where installed, or a folder), scikit-learn's embedded digits (the fallback) and CIFAR-10 (binary) from
a folder. Nothing is ever downloaded.

A dataset is held as uint8-free float tensors in [0, 1], shape (N, C, H, W), at its native size;
`resized()` gives it at a model's input size.
"""
from __future__ import annotations

import gzip
import pathlib
import struct
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .errors import ConfigError

FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot")
CIFAR_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
                 "truck")
DATASETS_HELP = "use fashion-mnist, digits, fashion-mnist:DIR or cifar10:DIR"
# Where Debian's dataset-fashion-mnist puts the four IDX files (gzipped).
PACKAGED_FASHION_MNIST = pathlib.Path("/usr/share/datasets/fashion-mnist")


def default_dataset() -> str:
    """The book's Fashion-MNIST where its Debian package is installed, else the embedded digits."""
    return "fashion-mnist" if PACKAGED_FASHION_MNIST.is_dir() else "digits"


@dataclass
class Dataset:
    name: str
    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    classes: tuple[str, ...]

    @property
    def channels(self) -> int:
        return self.train_x.shape[1]

    @property
    def size(self) -> int:
        return self.train_x.shape[2]

    def subset(self, train_size: int | None, seed: int = 0) -> Dataset:
        """The first `train_size` training images of a fixed shuffle (the same for a seed), each class
        kept in proportion; the test set whole, so accuracies stay comparable across sizes."""
        if not train_size or train_size >= len(self.train_y):
            return self
        order = torch.randperm(len(self.train_y), generator=torch.Generator().manual_seed(seed))
        # A stable sort by class of the shuffled order, then every k-th: a stratified pick.
        by_class = order[torch.sort(self.train_y[order], stable=True).indices]
        picked = by_class[torch.linspace(0, len(by_class) - 1, train_size).round().long()]
        picked = picked[torch.randperm(len(picked), generator=torch.Generator().manual_seed(seed))]
        return Dataset(self.name, self.train_x[picked], self.train_y[picked], self.test_x, self.test_y,
                       self.classes)

    def resized(self, side: int, channels: int | None = None) -> Dataset:
        """The whole dataset at a model's input size (for small sets held on a GPU, as the GPU
        benchmark does; the trainer and the app resize per batch with fit_images)."""
        return Dataset(self.name, fit_images(self.train_x, side, channels), self.train_y,
                       fit_images(self.test_x, side, channels), self.test_y, self.classes)



def images_from_pixels(pixels: np.ndarray) -> torch.Tensor:
    """Images (N, C, H, W) as the dataset's tensors are (float32, CPU), from plain pixel arrays (what
    the app's web process hands its workers)."""
    return torch.from_numpy(np.ascontiguousarray(pixels, np.float32))


def fit_images(x: torch.Tensor, side: int | tuple[int, int], channels: int | None = None) -> torch.Tensor:
    """Images (N, C, H, W) at a model's input size (bilinear; `side` is H = W, or (H, W)), channels
    repeated/averaged to match. Applied per batch, and only to the images used: the whole set at 1024²
    would take ~22 GB."""
    size = (side, side) if isinstance(side, int) else tuple(side)
    if tuple(x.shape[2:]) != size:
        x = F.interpolate(x, size=size, mode="bilinear", align_corners=False)
    if channels and channels != x.shape[1]:
        x = x.mean(1, keepdim=True).repeat(1, channels, 1, 1)
    return x.contiguous()


def load_dataset(spec: str) -> Dataset:
    kind, _, folder = spec.partition(":")
    if kind == "digits" and not folder:
        return load_digits()
    if kind == "fashion-mnist" and not folder:
        if not PACKAGED_FASHION_MNIST.is_dir():
            raise ConfigError("dataset", f"Fashion-MNIST is not installed here: install the Debian package "
                                         f"dataset-fashion-mnist (it puts the files in "
                                         f"{PACKAGED_FASHION_MNIST}), name its folder as "
                                         f"fashion-mnist:DIR, or use digits", code="dataset.not_installed")
        return load_fashion_mnist(PACKAGED_FASHION_MNIST)
    if kind in ("fashion-mnist", "cifar10"):
        if not folder:
            raise ConfigError("dataset", f"dataset '{spec}' needs a folder: write {kind}:DIR")
        path = pathlib.Path(folder).expanduser()
        if not path.is_dir():
            raise ConfigError("dataset", f"dataset folder {path} does not exist; {DATASETS_HELP}")
        return load_fashion_mnist(path) if kind == "fashion-mnist" else load_cifar10(path)
    raise ConfigError("dataset", f"unknown dataset '{spec}': {DATASETS_HELP}")


def load_digits() -> Dataset:
    """scikit-learn's 1,797 8×8 digits, split 80/20 stratified with a fixed seed."""
    from sklearn.datasets import load_digits as sk_digits
    from sklearn.model_selection import train_test_split
    digits = sk_digits()
    x = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0
    y = torch.tensor(digits.target, dtype=torch.long)
    train_idx, test_idx = train_test_split(np.arange(len(y)), test_size=0.2, random_state=0,
                                           stratify=digits.target)
    return Dataset("digits", x[train_idx], y[train_idx], x[test_idx], y[test_idx],
                   tuple(str(i) for i in range(10)))


# ---- Fashion-MNIST (IDX) ------------------------------------------------------------------------
_IDX_FILES = {"train_x": "train-images-idx3-ubyte", "train_y": "train-labels-idx1-ubyte",
              "test_x": "t10k-images-idx3-ubyte", "test_y": "t10k-labels-idx1-ubyte"}
_IDX_LAYOUT = ("expected the four IDX files " + ", ".join(_IDX_FILES.values()) +
               " (optionally .gz) in the folder")


def _read_maybe_gz(folder: pathlib.Path, stem: str) -> tuple[pathlib.Path, bytes]:
    for path in (folder / stem, folder / f"{stem}.gz"):
        if path.exists():
            try:
                data = path.read_bytes()
                return path, gzip.decompress(data) if path.suffix == ".gz" else data
            except (OSError, EOFError, gzip.BadGzipFile) as exc:
                raise ConfigError("dataset", f"cannot read {path}: {exc}; {_IDX_LAYOUT}") from None
    raise ConfigError("dataset", f"missing {folder / stem} (or .gz); {_IDX_LAYOUT}")


def _parse_idx(path: pathlib.Path, data: bytes, images: bool) -> np.ndarray:
    magic, dims = (2051, 3) if images else (2049, 1)
    header = 4 + 4 * dims
    if len(data) < header or struct.unpack(">I", data[:4])[0] != magic:
        raise ConfigError("dataset", f"{path} is not an IDX {'image' if images else 'label'} file "
                                     f"(magic number {magic} expected); {_IDX_LAYOUT}")
    shape = struct.unpack(f">{dims}I", data[4:header])
    if len(data) != header + int(np.prod(shape)):
        raise ConfigError("dataset", f"{path} is truncated: header says {shape}, file has "
                                     f"{len(data) - header} bytes of data")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def _fashion_split(folder: pathlib.Path, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    """One split's images (N, 1, 28, 28) in [0, 1] and labels, checked against each other."""
    images = _parse_idx(*_read_maybe_gz(folder, _IDX_FILES[f"{split}_x"]), images=True)
    labels = _parse_idx(*_read_maybe_gz(folder, _IDX_FILES[f"{split}_y"]), images=False)
    if len(images) != len(labels):
        raise ConfigError("dataset", f"{split} images and labels differ in count in {folder}")
    return (torch.tensor(images, dtype=torch.float32).unsqueeze(1) / 255.0,
            torch.tensor(labels, dtype=torch.long))


def load_fashion_mnist(folder: pathlib.Path) -> Dataset:
    return Dataset("fashion-mnist", *_fashion_split(folder, "train"), *_fashion_split(folder, "test"),
                   FASHION_CLASSES)


def fashion_mnist_test(folder: pathlib.Path = PACKAGED_FASHION_MNIST) -> tuple[torch.Tensor, torch.Tensor]:
    """The 10,000 test images and labels alone (31 MB as floats, not the 219 MB of both splits): what
    a gallery of test images needs."""
    return _fashion_split(folder, "test")


# ---- CIFAR-10 (binary version) -------------------------------------------------------------------
_CIFAR_RECORD = 1 + 3 * 32 * 32
_CIFAR_LAYOUT = ("expected data_batch_1.bin … data_batch_5.bin and test_batch.bin (the binary "
                 "version) in the folder or in its cifar-10-batches-bin/ subfolder")


def _read_cifar(path: pathlib.Path) -> tuple[torch.Tensor, torch.Tensor]:
    if not path.exists():
        raise ConfigError("dataset", f"missing {path}; {_CIFAR_LAYOUT}")
    data = path.read_bytes()
    if not data or len(data) % _CIFAR_RECORD:
        raise ConfigError("dataset", f"{path} is not a CIFAR-10 binary batch: {len(data)} bytes is "
                                     f"not a multiple of {_CIFAR_RECORD}; {_CIFAR_LAYOUT}")
    records = np.frombuffer(data, dtype=np.uint8).reshape(-1, _CIFAR_RECORD)
    if records[:, 0].max() > 9:
        raise ConfigError("dataset", f"{path} has labels above 9; {_CIFAR_LAYOUT}")
    x = torch.tensor(records[:, 1:].reshape(-1, 3, 32, 32), dtype=torch.float32) / 255.0
    return x, torch.tensor(records[:, 0], dtype=torch.long)


def load_cifar10(folder: pathlib.Path) -> Dataset:
    if (folder / "cifar-10-batches-bin").is_dir():
        folder = folder / "cifar-10-batches-bin"
    parts = [_read_cifar(folder / f"data_batch_{i}.bin") for i in range(1, 6)]
    test_x, test_y = _read_cifar(folder / "test_batch.bin")
    return Dataset("cifar10", torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts]),
                   test_x, test_y, CIFAR_CLASSES)
