"""Checkpoints (the engine's workers read them; app/workers/checkpoints.py), uploaded images, and each
session's folder for its uploads and trained checkpoints. A checkpoint is named by its path plus a
stamp (size, mtime): the cache keys change when the file does (the Train page rewrites its checkpoint
every epoch)."""
from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import shutil
import socket
import tempfile
import weakref
from pathlib import Path

import numpy as np
import streamlit as st
from PIL import Image, ImageOps
from streamlit.runtime.scriptrunner import get_script_run_ctx

from app import engine, settings

from . import session_watch
from .analysis import catalog
from .caching import cached, shared

logger = logging.getLogger(__name__)
ASSETS = Path(__file__).resolve().parents[2] / "assets"
MAX_IMAGE_PIXELS = 4096 * 4096


# The networks shipped in assets/ (assets/make_assets.py), each trained on Fashion-MNIST and on digits.
SHIPPED_NETWORKS = ("densenet_fig5", "densenet_bc", "vovnet_osa")


@shared(max_entries=1)
def fashion_mnist_installed() -> bool:
    """Whether the workers have the book's Fashion-MNIST (Debian's dataset-fashion-mnist)."""
    return engine.query("checkpoints.fashion_mnist_installed")


def shipped_checkpoints() -> dict[str, str]:
    """{network: path} of the shipped checkpoints the pages offer: each network's Fashion-MNIST file
    where the workers have that dataset (so its test images can be shown), else its digits file."""
    order = ("fashion", "digits") if fashion_mnist_installed() else ("digits",)
    found = {}
    for network in SHIPPED_NETWORKS:
        path = next((p for p in (ASSETS / f"{network}_{data}.safetensors" for data in order)
                     if p.exists()), None)
        if path:
            found[network] = str(path)
    return found


def shipped_network(stem: str) -> str:
    """The network a shipped file's stem names (links made before the Fashion-MNIST checkpoints
    named the file: `densenet_fig5_digits`)."""
    return re.sub(r"_(digits|fashion)$", "", stem)


def stamp(path: str) -> str:
    """What identifies a file's contents for the caches: its size and modification time."""
    info = Path(path).stat()
    return f"{info.st_size}:{info.st_mtime_ns}"


@cached(max_entries=64)
def checkpoint_info(path: str, file_stamp: str) -> dict:
    """What the pages show about a checkpoint: its metadata, family and input shape, or an error."""
    return engine.query("checkpoints.info", path, file_stamp)


@cached(max_entries=64)
def heatmap(path: str, file_stamp: str, normalize: str) -> dict:
    """Weight-based connection strength (paper Fig. 5), or an error (e.g. not a DenseNet)."""
    return engine.query("checkpoints.heatmap", path, file_stamp, normalize)


@cached(max_entries=64)
def paper_observations(path: str, file_stamp: str) -> dict:
    """Which of the paper's four §5 observations hold for this checkpoint's weights."""
    return engine.query("checkpoints.paper_observations", path, file_stamp)


@cached(max_entries=16)
def gallery(dataset: str, side: int, channels: int, per_class: int = 1, width: int | None = None) -> dict:
    """The first `per_class` test images of each class of the checkpoint's test set (Fashion-MNIST
    where the workers have it, else the embedded digits) at its input size (side × side, or side ×
    width)."""
    return engine.query("checkpoints.gallery", dataset, side, channels, per_class, width)


@cached(max_entries=16)
def attribution_heatmap(path: str, file_stamp: str, images: np.ndarray) -> dict:
    """Attribution-based connection strength over these images (columns are shares summing to 1)."""
    return engine.query("checkpoints.attribution_heatmap", path, file_stamp, images)


@cached(max_entries=32)
def attributions(path: str, file_stamp: str, method: str, images: np.ndarray) -> dict:
    """Per image: an (H, W) attribution map for the predicted class, the class and its probability."""
    return engine.query("checkpoints.attributions", path, file_stamp, method, images)


@cached(max_entries=32)
def feature_maps(path: str, file_stamp: str, image: np.ndarray, layer: str | None = None) -> dict:
    """One image through the checkpoint's network: per stage (or at one `layer`) its shape, value range
    and top channels' maps; the predicted class and its probability; the layers one may ask for."""
    return engine.query("checkpoints.feature_maps", path, file_stamp, image, layer)


@cached(max_entries=32)
def effective_field(path: str, file_stamp: str, image: np.ndarray, point: str) -> dict:
    """|∂ one output of `point` / ∂ input| for this image, beside its theoretical field."""
    return engine.query("checkpoints.effective_field", path, file_stamp, image, point)


class ImageError(ValueError):
    """An uploaded image the model cannot take; the message is for the user."""


def decode_image(data: bytes, channels: int, side: int) -> tuple[np.ndarray, dict]:
    """An uploaded image as the model's input (C, side, side) in [0, 1], and what was done to it.

    Light-background images (a digit written on paper) are inverted: the digits set is light on dark.
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            # The size is in the header: checked before decoding (a 0.5 MB PNG of 13000×13000 decodes
            # to 595 MB).
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise ImageError(f"{image.width}×{image.height} pixels is too large; the limit is "
                                 f"{MAX_IMAGE_PIXELS:,} pixels")
            image.load()
            original = {"size": f"{image.width}×{image.height}", "mode": image.mode}
            image = ImageOps.exif_transpose(image).convert("L" if channels == 1 else "RGB")
            image = image.resize((side, side), Image.Resampling.LANCZOS)
    except ImageError:
        raise
    except Exception as exc:  # noqa: BLE001 -- whatever PIL refuses (OSError, ValueError for a text
        # chunk that decompresses past its limit, EOFError, ...) is a file this server cannot read
        logger.info("an uploaded image was refused: %s: %s", exc.__class__.__name__, exc)
        raise ImageError("not an image this server can read: upload a PNG, JPEG, BMP, GIF or WebP "
                         "picture") from None
    pixels = np.asarray(image, dtype=np.float32) / 255.0
    pixels = pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)
    inverted = bool(pixels.mean() > 0.5)
    return (1.0 - pixels if inverted else pixels), {**original, "inverted": inverted}


# Sessions' folders live under one folder per server process, so that a server killed before its
# sessions ended (their folders never removed) is cleaned up by the next one: at start-up, the folders
# of this host's processes that no longer run go, and so does one under this process's own id (an
# earlier process's, in a container whose servers all start with the same id). Workers read and write
# these folders by path: on a cluster, TMPDIR is one volume that the replicas and the workers share
# (docs/deploy.md), and the host's name keeps the replicas' folders apart.
HOST = re.sub(r"[^\w.]", "_", socket.gethostname())
UPLOADS_ROOT = Path(tempfile.gettempdir()) / f"cnn-explorer-{HOST}-{os.getpid()}"
FOLDER = "_services.folder"  # this session's SessionFolder, in its state


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_folders_of_stopped_servers() -> None:
    for folder in Path(tempfile.gettempdir()).glob(f"cnn-explorer-{HOST}-*"):
        pid = folder.name.removeprefix(f"cnn-explorer-{HOST}-")
        if pid.isdecimal() and (int(pid) == os.getpid() or not _running(int(pid))):
            shutil.rmtree(folder, ignore_errors=True)


remove_folders_of_stopped_servers()


class SessionFolder:
    """A temporary folder owned by one browser session, removed when the session's state is freed or
    once the session has had no browser for a while (session_watch: Streamlit keeps a closed tab's
    session for a reconnect and frees it only lazily)."""

    def __init__(self, session_id: str | None):
        UPLOADS_ROOT.mkdir(exist_ok=True)
        self.session_id = session_id
        self.path = Path(tempfile.mkdtemp(prefix="session-", dir=UPLOADS_ROOT))
        weakref.finalize(self, shutil.rmtree, self.path, True)
        self._watch()

    def _watch(self) -> None:
        if self.session_id is not None:
            session_watch.add_folder(self.session_id, self.path)

    def reopen(self) -> None:
        """Make the folder again after the watch removed it (its browser came back later than
        UNWATCHED_S, within Streamlit's time for a reconnect); what was in it is gone."""
        if not self.path.is_dir():
            self.path.mkdir(parents=True, exist_ok=True)
            self._watch()


def session() -> SessionFolder:
    """This session's folder object: it lives exactly as long as the session's state."""
    folder = st.session_state.get(FOLDER)
    if folder is None:
        ctx = get_script_run_ctx()
        folder = st.session_state[FOLDER] = SessionFolder(ctx.session_id if ctx else None)
    folder.reopen()
    return folder


def session_folder() -> Path:
    return session().path


# What all sessions' files (uploads and trained checkpoints) may take in the temporary folder together;
# the Kubernetes example's /tmp volume is sized from it. Past it an upload is refused, not the disk filled.
UPLOAD_BUDGET_MIB = settings.value("CNN_EXPLORER_UPLOAD_BUDGET_MIB")


# What one user's sessions (one client address, or the user the deployer's proxy names) may keep:
# five tabs of one student each holding a 180 MB file took 900 of the class's 1,024 MiB.
UPLOAD_PER_USER_MIB = settings.value("CNN_EXPLORER_UPLOAD_PER_USER_MIB")
_OWNER = ".owner"  # in a session folder: a digest of its user, for the per-user share


class UploadRefused(ValueError):
    """An upload past the space left: `scope` "server" (all sessions') or "user" (this user's)."""

    def __init__(self, used_mib: float, budget_mib: int, scope: str = "server"):
        self.scope = scope
        super().__init__(used_mib, budget_mib)
        self.used_mib, self.budget_mib = used_mib, budget_mib


def _bytes_under(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) if folder.is_dir() else 0


def _owner_digest(user: str) -> str:
    return hashlib.sha256(str(user).encode()).hexdigest()[:16]


def _bytes_of_user(user: str) -> int:
    digest = _owner_digest(user)
    folders = [f.parent for f in UPLOADS_ROOT.glob(f"*/{_OWNER}") if f.read_text() == digest]
    return sum(_bytes_under(folder) for folder in folders)


def save_upload(name: str, data: bytes, user: str = "local") -> str:
    """Write an uploaded checkpoint into a folder of its own in this session's folder (core then loads
    it, never unpickling); the caller removes the session's previous upload once this one is accepted,
    or this one if core refuses it (remove_upload). The file keeps the user's name, made safe, so core's
    messages name it; the suffix decides the format. UploadRefused past UPLOAD_BUDGET_MIB for all
    sessions or UPLOAD_PER_USER_MIB for this user's."""
    folder = session_folder()
    used = _bytes_under(UPLOADS_ROOT)
    if used + len(data) > UPLOAD_BUDGET_MIB * 2**20:
        raise UploadRefused(used / 2**20, UPLOAD_BUDGET_MIB)
    (folder / _OWNER).write_text(_owner_digest(user))
    mine = _bytes_of_user(user)
    if mine + len(data) > UPLOAD_PER_USER_MIB * 2**20:
        raise UploadRefused(mine / 2**20, UPLOAD_PER_USER_MIB, "user")
    suffix = Path(name).suffix.lower()
    if suffix not in catalog()["checkpoint_suffixes"]:
        suffix = ".unsupported"  # core answers with the list of accepted types
    stem = re.sub(r"[^\w.-]", "_", Path(name).stem)[:80] or "upload"
    path = Path(tempfile.mkdtemp(prefix="upload-", dir=folder)) / f"{stem}{suffix}"
    path.write_bytes(data)
    return str(path)


def remove_upload(path: str | None) -> None:
    """Remove an upload that save_upload wrote (its own folder with it)."""
    if path and Path(path).parent.name.startswith("upload-"):
        shutil.rmtree(Path(path).parent, ignore_errors=True)
