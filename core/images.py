"""Pictures in and out of the command line: an image file as a model's input, and a feature map as a
greyscale PNG. (The app decodes uploads in its web process, which holds no torch: see
app/services/checkpoints.py.)"""
from __future__ import annotations

import pathlib

import numpy as np
import torch
from PIL import Image, ImageOps

from .data import fit_images, images_from_pixels
from .errors import ConfigError

MAX_PIXELS = 4096 * 4096  # read from the header, before decoding: a small PNG can expand to GBs
MIN_SIDE_OUT = 128  # maps are written at least this many pixels wide (nearest neighbour): a 7×7 map
# is a speck in an image viewer


def read_image(path, channels: int, side: int) -> tuple[torch.Tensor, dict]:
    """An image file as one input (1, channels, side, side) in [0, 1], resized as the dataset's images
    are (bilinear); a light-background picture (a drawing on paper, a product photo) is inverted, as
    the book's datasets are light on dark. Returns it and what was done to it."""
    path = pathlib.Path(path)
    try:
        with Image.open(path) as image:
            if image.width * image.height > MAX_PIXELS:
                raise ConfigError("image", f"{path.name} is {image.width}×{image.height} pixels; "
                                           f"the limit is {MAX_PIXELS:,}: save it smaller")
            size = f"{image.width}×{image.height}"
            image = ImageOps.exif_transpose(image).convert("L" if channels == 1 else "RGB")
            pixels = np.asarray(image, dtype=np.float32) / 255.0
    except (OSError, ValueError, EOFError) as exc:
        raise ConfigError("image", f"{path}: not an image this command can read ({exc}); give a PNG, "
                                   "JPEG, BMP, GIF or WebP file") from None
    pixels = pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)
    inverted = bool(pixels.mean() > 0.5)
    x = fit_images(images_from_pixels((1.0 - pixels if inverted else pixels)[None]), side, channels)
    return x, {"size": size, "inverted": inverted}


def write_map(path, values: np.ndarray, low: float, high: float) -> None:
    """A 2-D map as an 8-bit greyscale PNG: `low` is black and `high` white (a scale shared by the
    maps written beside it), enlarged by a whole factor to at least MIN_SIDE_OUT pixels."""
    span = high - low
    scaled = np.zeros_like(values) if span <= 0 else (values - low) / span
    grey = (np.clip(scaled, 0, 1) * 255).round().astype(np.uint8)
    factor = max(1, -(-MIN_SIDE_OUT // max(grey.shape)))
    Image.fromarray(grey.repeat(factor, 0).repeat(factor, 1), mode="L").save(path)
