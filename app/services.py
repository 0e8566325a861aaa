"""The one place app/ calls core. Everything returned is a plain dict/list/str (JSON-ready).

Results are cached by (model name, config JSON, input shape): the key is the *validated* config, so
two URLs that spell the same model differently share one analysis. Bad input never raises out of
here; it comes back as ``{"error": {"field": ..., "message": ...}}`` for the UI to place.
"""
from __future__ import annotations

import contextlib
import gc
import io
import json
import logging
import math
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import weakref
from pathlib import Path

import numpy as np
import streamlit as st
from PIL import Image, ImageOps, UnidentifiedImageError

import core
from core import budget as core_budget
from core import memory
from core.analysis import analyze
from core.analysis.channels import channel_growth
from core.analysis.graph import block_paths, build_graph
from core.attribution import attribute, attribution_strength, predict
from core.attribution import check_budget as check_attribution_budget
from core.checkpoints import SUFFIXES as CHECKPOINT_SUFFIXES
from core.checkpoints import Checkpoint, load_checkpoint
from core.connectivity import STRONG, connection_strength
from core.connectivity import paper_observations as _paper_observations
from core.data import (
    CIFAR_CLASSES,
    FASHION_CLASSES,
    PACKAGED_FASHION_MNIST,
    fashion_mnist_test,
    fit_images,
    load_digits,
)
from core.export import export
from core.registry import config_from_dict, default_input, preset_of
from core.render import WORDS, to_dot
from core.train import TrainSettings, train

# Everything imported so far (torch, streamlit, core: ~300k objects) lives as long as the server. Moving
# it out of the garbage collector's reach makes every later collection cheaper: ~40 ms of a densenet121
# analysis was collector time. This module is imported once per server process.
gc.collect()
gc.freeze()
# An analysis builds and traces a model: tens of thousands of objects, most alive until it ends. At
# Python's default threshold (a young collection every 700 allocations) a densenet121 analysis made 24
# young collections, and every fifth analysis a full one: ~20 ms of collector time per analysis on
# average, and a full collection stalls the server 60–100 ms. Every 10,000 allocations: ~5 ms, and full
# collections rare (docs/benchmarks.md).
gc.set_threshold(10_000, 10, 10)

# Every result cache is bounded in entries and in age, so a long-running classroom server cannot
# grow without limit (issue 6); an hour keeps a lesson's models warm.
CACHE_TTL_S = 3600


def _setting(name: str, default: int) -> int:
    """A whole-number setting from the environment (the deployer's), else the default."""
    value = os.environ.get(name, "")
    return int(value) if value.isdecimal() else default


@st.cache_data(show_spinner=False, ttl=CACHE_TTL_S)
def catalog() -> dict:
    """Families (title, field schema) and presets (family, source, description, default input)."""
    families = {name: {"title": fam.title, "fields": [s.to_dict() for s in fam.config_cls.fields()]}
                for name, fam in core.FAMILIES.items()}
    presets = {name: {"family": p.family, "source": p.source, "description": p.description,
                      "config": core.get_config(name).to_dict(),
                      "input_shape": list(core.default_input(name))}
               for name, p in core.PRESETS.items()}
    return {"families": families, "presets": presets}


def _error(exc: core.ConfigError) -> dict:
    return {"error": exc.to_dict()}


@st.cache_data(show_spinner=False, max_entries=512, ttl=CACHE_TTL_S)
def resolve(model: str, values_json: str) -> dict:
    """Validate a preset/family name plus widget values: the full config and its preset, or an error."""
    try:
        config = core.get_config(model, **json.loads(values_json))
    except core.ConfigError as exc:
        return _error(exc)
    return {"family": config.family, "config": config.to_dict(), "config_json": config.to_json(),
            "preset": preset_of(config), "input_shape": list(config.default_input())}


@st.cache_resource(show_spinner=False, max_entries=64)
def _analysis(family: str, config_json: str, input_shape: tuple, batch: int):
    """The core Analysis (holds the trace the graph views need); shared read-only, never mutated."""
    return analyze(config_from_dict(family, json.loads(config_json)), input_shape, batch)


def _analysis_or_error(family, config_json, input_shape, batch):
    try:
        return _analysis(family, config_json, tuple(input_shape), batch), None
    except core.ConfigError as exc:
        return None, _error(exc)


@st.cache_data(show_spinner=False, max_entries=128, ttl=CACHE_TTL_S)
def summary(family: str, config_json: str, input_shape: tuple, batch: int = 1) -> dict:
    """core's summary JSON (params, MACs, FLOPs, depth, per-layer rows) plus the expandable blocks."""
    analysis, error = _analysis_or_error(family, config_json, input_shape, batch)
    if error:
        return error
    return {**analysis.to_dict(), "blocks": block_paths(analysis.trace)}


@st.cache_data(show_spinner=False, max_entries=128, ttl=CACHE_TTL_S)
def channels(family: str, config_json: str, input_shape: tuple) -> dict:
    analysis, error = _analysis_or_error(family, config_json, input_shape, 1)
    return error or channel_growth(analysis.trace)


PROJECTOR_FONT_PT = 15  # graph labels that read from the back of a classroom
GRAPH_WORDS = tuple(WORDS)  # the words inside node labels, which the page translates


@st.cache_data(show_spinner=False, max_entries=128, ttl=CACHE_TTL_S)
def graph(family: str, config_json: str, input_shape: tuple, expand: str | None, title: str,
          words: tuple[tuple[str, str], ...]) -> dict:
    """The graph IR at block level (one block optionally expanded) and its DOT text, titled `title`
    (the page's model name: a preset, or a preset with a * when changed), its labels in `words`
    ((word, translation) for each of GRAPH_WORDS)."""
    analysis, error = _analysis_or_error(family, config_json, input_shape, 1)
    if error:
        return error
    ir = build_graph(analysis.trace, "block", expand=expand)
    return {"nodes": len(ir["nodes"]), "edges": len(ir["edges"]), "ir": ir,
            "dot": to_dot(ir, title=title, fontsize=PROJECTOR_FONT_PT, words=dict(words))}


def svg_available() -> bool:
    """Server-side SVG needs Graphviz's `dot` binary, which not every host has."""
    return shutil.which("dot") is not None


# Graphviz's layout time grows steeply with edges: densenet201's 48-layer block took 21 s, densenet264's
# 64-layer block over 400 s, and six such links kept both cores busy. A layout gets a deadline (the
# process is killed at it), and only a few run at once; the others are told to try again.
DOT_TIMEOUT_S = 10
MAX_CONCURRENT_LAYOUTS = 2
BROWSER_LAYOUT_EDGES = 150  # a busy server lets the reader's browser lay out graphs up to this size
_layouts = threading.BoundedSemaphore(MAX_CONCURRENT_LAYOUTS)


class LayoutRefused(RuntimeError):
    """Graphviz did not lay the graph out: past its deadline, or too many layouts already running."""


@st.cache_data(show_spinner=False, max_entries=128, ttl=CACHE_TTL_S)
def dot_to_svg(dot: str) -> str:
    """The SVG document `dot` lays out (from its <svg> element on: it is shown inline and downloaded).
    Raises LayoutRefused (not cached) past DOT_TIMEOUT_S or while MAX_CONCURRENT_LAYOUTS run."""
    if not _layouts.acquire(timeout=1.0):
        raise LayoutRefused("busy")
    try:
        done = subprocess.run(["dot", "-Tsvg"], input=dot.encode(), capture_output=True,
                              timeout=DOT_TIMEOUT_S, check=True)
    except subprocess.TimeoutExpired:  # subprocess.run has killed dot by now
        raise LayoutRefused("timeout") from None
    except (subprocess.CalledProcessError, OSError) as exc:
        raise LayoutRefused("failed") from exc
    finally:
        _layouts.release()
    svg = done.stdout.decode("utf-8")
    return svg[svg.index("<svg"):]


@st.cache_data(show_spinner=False, max_entries=32, ttl=CACHE_TTL_S)
def export_text(family: str, config_json: str, input_shape: tuple, fmt: str) -> str:
    """'code' or 'json' export of a config."""
    config = config_from_dict(family, json.loads(config_json))
    return export(config, fmt, tuple(input_shape))


@st.cache_data(show_spinner=False, max_entries=8, ttl=CACHE_TTL_S)
def export_onnx(family: str, config_json: str, input_shape: tuple) -> bytes:
    """ONNX bytes; this allocates the real model, so the UI asks for it on demand only."""
    config = config_from_dict(family, json.loads(config_json))
    return export(config, "onnx", tuple(input_shape))


# ---- checkpoints: Connections, Attributions, Train -----------------------------------------------
# A checkpoint is named by its path plus a stamp (size, mtime): the cache key changes when the file
# does (the Train page rewrites its checkpoint every epoch). Only plain data is cached across
# sessions; every model is built per call, so no hooked or trained module is ever shared.
ASSETS = Path(__file__).resolve().parents[1] / "assets"
# Checkpoints do not record their input size; a dataset's native side is what the trainer used.
NATIVE_SIDE = {"digits": 8, "fashion-mnist": 28, "cifar10": 32}
CLASS_NAMES = {"fashion-mnist": list(FASHION_CLASSES), "cifar10": list(CIFAR_CLASSES)}
MAX_IMAGE_PIXELS = 4096 * 4096
logger = logging.getLogger(__name__)


def shipped_checkpoints() -> dict[str, str]:
    """{file stem: path} of the checkpoints in assets/."""
    return {p.stem: str(p) for p in sorted(ASSETS.glob("*.safetensors"))}


def stamp(path: str) -> str:
    """What identifies a file's contents for the caches: its size and modification time."""
    info = Path(path).stat()
    return f"{info.st_size}:{info.st_mtime_ns}"


@st.cache_resource(show_spinner=False, max_entries=4)
def _shipped_checkpoint(path: str, file_stamp: str) -> Checkpoint:
    """Shipped checkpoints are immutable: their weights are read once per server, read-only."""
    return load_checkpoint(path)


def _checkpoint(path: str, file_stamp: str) -> Checkpoint:
    if path in shipped_checkpoints().values():
        return _shipped_checkpoint(path, file_stamp)
    return load_checkpoint(path)


def _input_shape(checkpoint: Checkpoint) -> list[int]:
    config = checkpoint.config
    kind = checkpoint.metadata.get("dataset", "").partition(":")[0]
    if "input_size" not in config.field_names() and kind in NATIVE_SIDE:
        return [config.in_channels, NATIVE_SIDE[kind], NATIVE_SIDE[kind]]
    return list(default_input(config))


@st.cache_data(show_spinner=False, max_entries=64, ttl=CACHE_TTL_S)
def checkpoint_info(path: str, file_stamp: str) -> dict:
    """What the pages show about a checkpoint: its metadata, family and input shape, or an error."""
    try:
        checkpoint = _checkpoint(path, file_stamp)
    except core.ConfigError as exc:
        return _error(exc)
    meta = checkpoint.metadata
    dataset = meta.get("dataset", "?").partition(":")[0]  # older files named a folder: never shown
    classes = CLASS_NAMES.get(dataset, [str(i) for i in range(checkpoint.config.num_classes)])
    return {"name": Path(path).name, "arch": meta.get("arch") or checkpoint.family,
            "family": checkpoint.family, "dataset": dataset,
            "epochs": meta.get("epochs", "?"),
            "test_accuracy": float(meta["test_accuracy"]) if "test_accuracy" in meta else None,
            "input_shape": _input_shape(checkpoint), "classes": classes}


@st.cache_data(show_spinner=False, max_entries=64, ttl=CACHE_TTL_S)
def heatmap(path: str, file_stamp: str, normalize: str) -> dict:
    """Weight-based connection strength (paper Fig. 5), or an error (e.g. not a DenseNet)."""
    try:
        checkpoint = _checkpoint(path, file_stamp)
        return connection_strength(checkpoint.state_dict, normalize, checkpoint.metadata)
    except core.ConfigError as exc:
        return _error(exc)


@st.cache_data(show_spinner=False, max_entries=64, ttl=CACHE_TTL_S)
def paper_observations(path: str, file_stamp: str) -> dict:
    """Which of the paper's four §5 observations hold for this checkpoint's weights."""
    result = heatmap(path, file_stamp, "target")
    if "error" in result:
        return result
    return {"observations": _paper_observations(result), "strong": STRONG}


@st.cache_resource(show_spinner=False)
def _digits():
    """The embedded digits set, read once per server (read-only tensors)."""
    return load_digits()


@st.cache_resource(show_spinner=False)
def _fashion_test():
    """Fashion-MNIST's 10,000 test images and labels, read once per server (not the training set)."""
    return fashion_mnist_test(PACKAGED_FASHION_MNIST)


def gallery_source(dataset: str) -> str:
    """The test set a gallery for a checkpoint trained on `dataset` shows: its own where the server
    has it (Fashion-MNIST from the Debian package), else the embedded digits."""
    return "fashion-mnist" if dataset == "fashion-mnist" and PACKAGED_FASHION_MNIST.is_dir() else "digits"


@st.cache_data(show_spinner=False, max_entries=16, ttl=CACHE_TTL_S)
def gallery(dataset: str, side: int, channels: int, per_class: int = 1) -> dict:
    """The first `per_class` test images of each class of gallery_source(dataset), at a checkpoint's
    input size (numpy): only the images shown are resized, after their bytes are checked against
    the job budget."""
    source = gallery_source(dataset)
    test_x, test_y = _fashion_test() if source == "fashion-mnist" else (_digits().test_x, _digits().test_y)
    labels = test_y.tolist()
    picks = [i for c in range(max(labels) + 1)
             for i in [j for j, y in enumerate(labels) if y == c][:per_class]]
    try:
        core_budget.check(f"{len(picks)} test images at {channels}×{side}×{side}",
                          len(picks) * channels * side * side * 4, "use a checkpoint trained at a smaller "
                                                                  "input size")
    except core.ConfigError as exc:
        return _error(exc)
    return {"images": fit_images(test_x[picks], side, channels).numpy(),
            "labels": [labels[i] for i in picks], "dataset": source}


def _tensor(images: np.ndarray):
    # app/ never imports torch: a tensor like the dataset's (float32, CPU) made from the pixels.
    return _digits().test_x.new_tensor(images)


@st.cache_data(show_spinner=False, max_entries=16, ttl=CACHE_TTL_S)
def attribution_heatmap(path: str, file_stamp: str, images: np.ndarray) -> dict:
    """Attribution-based connection strength over these images (columns are shares summing to 1)."""
    try:
        checkpoint = _checkpoint(path, file_stamp)
        check_attribution_budget(checkpoint.config, len(images), images.shape[1:], None)
        model = checkpoint.model()  # a fresh model: captum hooks it
        return attribution_strength(model, _tensor(images))
    except core.ConfigError as exc:
        return _error(exc)


@st.cache_data(show_spinner=False, max_entries=32, ttl=CACHE_TTL_S)
def attributions(path: str, file_stamp: str, method: str, images: np.ndarray) -> dict:
    """Per image: an (H, W) attribution map for the predicted class, the class and its probability."""
    try:
        checkpoint = _checkpoint(path, file_stamp)
        check_attribution_budget(checkpoint.config, len(images), images.shape[1:], method)
        model = checkpoint.model()
        x = _tensor(images)
        labels, confidences = predict(model, x)
        maps = attribute(model, x, method)
    except core.ConfigError as exc:
        return _error(exc)
    return {"maps": maps.numpy(), "labels": labels.tolist(), "confidences": confidences.tolist()}


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
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError) as exc:
        raise ImageError(f"not an image this server can read (PNG, JPEG, BMP, GIF or WebP): {exc}") from None
    pixels = np.asarray(image, dtype=np.float32) / 255.0
    pixels = pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)
    inverted = bool(pixels.mean() > 0.5)
    return (1.0 - pixels if inverted else pixels), {**original, "inverted": inverted}


# Sessions' folders live under one folder per server process, so that a server killed before its
# sessions ended (their folders never removed) is cleaned up by the next one: at start-up, the folders
# of processes that no longer run go, and so does one under this process's own id (an earlier
# process's, in a container whose servers all start with the same id).
UPLOADS_ROOT = Path(tempfile.gettempdir()) / f"cnn-explorer-{os.getpid()}"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_folders_of_stopped_servers() -> None:
    for folder in Path(tempfile.gettempdir()).glob("cnn-explorer-*"):
        pid = folder.name.removeprefix("cnn-explorer-")
        if pid.isdecimal() and (int(pid) == os.getpid() or not _running(int(pid))):
            shutil.rmtree(folder, ignore_errors=True)


remove_folders_of_stopped_servers()


class SessionFolder:
    """A temporary folder owned by one browser session, removed when the session's state is freed."""

    def __init__(self):
        UPLOADS_ROOT.mkdir(exist_ok=True)
        self.path = Path(tempfile.mkdtemp(prefix="session-", dir=UPLOADS_ROOT))
        weakref.finalize(self, shutil.rmtree, self.path, True)


def _session() -> SessionFolder:
    """This session's folder object: it lives exactly as long as the session's state."""
    return st.session_state.setdefault("_services.folder", SessionFolder())


def session_folder() -> Path:
    return _session().path


# What all sessions' files (uploads and trained checkpoints) may take in the temporary folder together;
# the Kubernetes example's /tmp volume is sized from it. Past it an upload is refused, not the disk filled.
UPLOAD_BUDGET_MIB = _setting("CNN_EXPLORER_UPLOAD_BUDGET_MIB", 1024)


class UploadRefused(ValueError):
    def __init__(self, used_mib: float, budget_mib: int):
        super().__init__(used_mib, budget_mib)
        self.used_mib, self.budget_mib = used_mib, budget_mib


def _bytes_under(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) if folder.is_dir() else 0


def save_upload(name: str, data: bytes, replaces: str | None = None) -> str:
    """Write an uploaded checkpoint into this session's folder (core then loads it, never unpickling),
    in place of the session's previous upload `replaces`. The file keeps the user's name, made safe, so
    core's messages name it; the suffix decides the format. UploadRefused past UPLOAD_BUDGET_MIB."""
    folder = session_folder()
    # A session keeps its latest upload only; a refused one leaves the previous in place.
    previous = Path(replaces) if replaces and Path(replaces).parent == folder else None
    used = _bytes_under(UPLOADS_ROOT) - (previous.stat().st_size if previous and previous.exists() else 0)
    if used + len(data) > UPLOAD_BUDGET_MIB * 2**20:
        raise UploadRefused(used / 2**20, UPLOAD_BUDGET_MIB)
    if previous:
        previous.unlink(missing_ok=True)
    suffix = Path(name).suffix.lower()
    if suffix not in CHECKPOINT_SUFFIXES:
        suffix = ".unsupported"  # core answers with the list of accepted types
    stem = re.sub(r"[^\w.-]", "_", Path(name).stem)[:80] or "upload"
    path = folder / f"{stem}{suffix}"
    path.write_bytes(data)
    return str(path)


# ---- turns on the GPU -----------------------------------------------------------------------------
class GpuTurns:
    """Who may use the GPU now. Training runs share it; a memory job (measurement, timeline, largest
    batch) needs it alone, because CUDA's peak statistics belong to the whole process: a job waits for
    the runs in progress to end, and no run starts while a job waits or measures. Jobs go one by one."""

    def __init__(self):
        self._changed = threading.Condition()
        self._sharing = 0      # training runs on the GPU
        self._alone = False    # a job holds the GPU, or waits for the runs to end

    @contextlib.contextmanager
    def shared(self):
        with self._changed:
            self._changed.wait_for(lambda: not self._alone)
            self._sharing += 1
        try:
            yield
        finally:
            with self._changed:
                self._sharing -= 1
                self._changed.notify_all()

    @contextlib.contextmanager
    def alone(self):
        with self._changed:
            self._changed.wait_for(lambda: not self._alone)
            self._alone = True  # from here on, new runs wait
            self._changed.wait_for(lambda: self._sharing == 0)
        try:
            yield
        finally:
            with self._changed:
                self._alone = False
                self._changed.notify_all()


GPU = GpuTurns()


# ---- training in a background thread (one per session) --------------------------------------------
# Runs beyond this many wait their turn: a class pressing Start at once would otherwise share the
# server's few cores so thinly that every run (and every page) crawls.
MAX_CONCURRENT_TRAINING = 2
_training_slots = threading.BoundedSemaphore(MAX_CONCURRENT_TRAINING)


# What one run may take, and how many may queue: a run nobody watches (its session ended) stops, and
# so does one past its time budget, keeping its last completed epoch's checkpoint.
TRAIN_SECONDS = _setting("CNN_EXPLORER_TRAIN_SECONDS", 900)
MAX_QUEUED_TRAINING = _setting("CNN_EXPLORER_TRAIN_QUEUE", 8)         # running and waiting, all users
MAX_TRAINING_PER_USER = _setting("CNN_EXPLORER_TRAIN_PER_USER", 2)    # running and waiting, one user


class TrainingRefused(Exception):
    """A run the limits do not allow now: `reason` is "queue" or "user", `limit` the number."""

    def __init__(self, reason: str, limit: int):
        super().__init__(reason, limit)
        self.reason, self.limit = reason, limit


class TrainingRun:
    """One session's training run: the trainer's thread appends progress, the page polls it. It holds
    its session only weakly (`owner`, an object of the session's state): once the session's state is
    freed, the run stops after its current batch."""

    def __init__(self, model: str, changes: dict, settings: dict, out: str, owner=None,
                 user: str = "", seconds: float | None = None):
        self.model, self.changes, self.settings, self.out = model, changes, settings, out
        self.user = user
        self.batches: list[dict] = []   # {"epoch", "step", "steps", "loss"} every few batches
        self.epochs: list[dict] = []    # core's per-epoch records
        self.error: str | None = None
        self.stopped = False
        self.ended_by: str | None = None  # "stop", "session" or "time" when the run stopped early
        self.done = False
        self.waiting = True  # for a training slot
        self.seconds = TRAIN_SECONDS if seconds is None else seconds
        self.memory = memory.MemorySampler()  # samples while the run trains (the live memory view)
        self._owner = weakref.ref(owner) if owner is not None else (lambda: True)
        self._stop = threading.Event()
        self._deadline = math.inf
        self._thread = threading.Thread(target=self._run, name="train", daemon=True)
        self._thread.start()

    def _progress(self, event: dict) -> None:
        (self.epochs if event["kind"] == "epoch" else self.batches).append(event)

    def _should_stop(self) -> bool:
        if self._stop.is_set():
            self.ended_by = "stop"
        elif self._owner() is None:
            self.ended_by = "session"
        elif time.monotonic() > self._deadline:
            self.ended_by = "time"
        return self.ended_by is not None

    def _run(self) -> None:
        while not _training_slots.acquire(timeout=0.5):
            if self._should_stop():  # stopped, or its session ended, while still waiting for a slot
                self.stopped = self.done = True
                return
        try:
            settings = TrainSettings(**self.settings)
            with GPU.shared() if settings.on_cuda else contextlib.nullcontext():
                self.waiting = False
                self._deadline = time.monotonic() + self.seconds
                with self.memory:
                    result = train(self.model, settings, out=self.out,
                                   on_progress=self._progress, should_stop=self._should_stop,
                                   **self.changes)
            self.stopped = result.stopped
        except core.ConfigError as exc:
            self.error = exc.message
        except Exception as exc:  # the page keeps working; the traceback goes to the server log
            logger.exception("training run failed")
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            _training_slots.release()
            self.done = True

    def stop(self) -> None:
        self._stop.set()

    @property
    def checkpoint(self) -> str | None:
        """The last completed epoch's checkpoint, once one exists."""
        return self.out if Path(self.out).exists() else None


_runs: list[TrainingRun] = []  # runs not yet done, all sessions
_runs_lock = threading.Lock()


# The datasets a user may train on, by the name the page shows; the server reads only these (a free
# path answered with what it found under /etc). The deployer names them in CNN_EXPLORER_DATASETS as
# "name=spec,..." (spec as core takes it: fashion-mnist, digits, fashion-mnist:DIR, cifar10:DIR).


def allowed_datasets() -> dict[str, str]:
    """{name: core's dataset spec}, the first the default: the deployer's list, else the book's
    Fashion-MNIST where its Debian package is installed (the full 60,000 images; Train offers smaller
    training sets) and the embedded digits."""
    configured = os.environ.get("CNN_EXPLORER_DATASETS", "").strip()
    if configured:
        pairs = [item.partition("=") for item in configured.split(",") if item.strip()]
        return {name.strip(): spec.strip() or name.strip() for name, _, spec in pairs}
    found = {"fashion-mnist": "fashion-mnist"} if PACKAGED_FASHION_MNIST.is_dir() else {}
    return {**found, "digits": "digits"}


def user_id() -> str:
    """Who this session's user is, for the per-user training limit: the header the deployer's
    authenticating proxy sets (CNN_EXPLORER_USER_HEADER, e.g. X-Auth-Request-User; a client could
    forge any header the proxy does not set), else the client's address."""
    header = os.environ.get("CNN_EXPLORER_USER_HEADER", "")
    return (header and st.context.headers.get(header)) or st.context.ip_address or "local"


def start_training(model: str, changes: dict, settings: dict, user: str) -> TrainingRun:
    """A run on the dataset the page named (`settings["dataset"]` is a name of allowed_datasets()),
    owned by this session; TrainingRefused past the queue's or the user's limit."""
    datasets = allowed_datasets()
    settings = {**settings, "dataset": datasets.get(settings["dataset"], next(iter(datasets.values())))}
    owner = _session()
    with _runs_lock:
        _runs[:] = [run for run in _runs if not run.done]
        if len(_runs) >= MAX_QUEUED_TRAINING:
            raise TrainingRefused("queue", MAX_QUEUED_TRAINING)
        if sum(run.user == user for run in _runs) >= MAX_TRAINING_PER_USER:
            raise TrainingRefused("user", MAX_TRAINING_PER_USER)
        out = owner.path / f"trained-{time.time_ns()}.safetensors"
        run = TrainingRun(model, changes, settings, str(out), owner=owner, user=user)
        _runs.append(run)
    return run


# ---- memory --------------------------------------------------------------------------------------
def device_info() -> dict:
    """The GPU this server has: {"cuda": False} without one, else its name and memory."""
    cuda = memory.torch.cuda  # through core: app/ never imports torch itself
    if not cuda.is_available():
        return {"cuda": False}
    props = cuda.get_device_properties(0)
    return {"cuda": True, "name": props.name, "total_mib": props.total_memory / 2**20}


def _guarded(measure, *args, **kwargs) -> dict:
    """A measurement's result, or its failure as a message: on a GPU, torch raises RuntimeError
    (OutOfMemoryError is one) and ValueError (BatchNorm at batch 1); the server keeps serving."""
    try:
        result = measure(*args, **kwargs)
    except core.ConfigError as exc:
        return _error(exc)
    except (RuntimeError, ValueError) as exc:  # torch's first two sentences say what happened
        return {"error": {"field": "batch", "message": ". ".join(str(exc).splitlines()[0].split(". ")[:2])}}
    return result if isinstance(result, dict) else result.to_dict()


def _memory(measure, model: str, changes_json: str, **kwargs) -> dict:
    return _guarded(measure, model, **kwargs, **json.loads(changes_json))


@st.cache_data(show_spinner=False, max_entries=128, ttl=CACHE_TTL_S)
def memory_estimate(model: str, changes_json: str, batch: int, input_shape: tuple, dtype: str,
                    optimizer: str) -> dict:
    """Training-step memory estimated on the meta device (nothing allocated)."""
    return _memory(memory.estimate, model, changes_json, batch=batch, input_shape=input_shape, dtype=dtype,
                   optimizer=optimizer)


@st.cache_data(show_spinner=False, max_entries=32, ttl=CACHE_TTL_S)
def memory_cpu(model: str, changes_json: str, batch: int, input_shape: tuple, dtype: str,
               optimizer: str) -> dict:
    """One real training step on this CPU (allocates: keep the batch small)."""
    return _memory(memory.measure_cpu, model, changes_json, batch=batch, input_shape=input_shape,
                   dtype=dtype, optimizer=optimizer)


def memory_cuda(model: str, changes_json: str, batch: int, input_shape: tuple, dtype: str,
                optimizer: str) -> dict:
    """Real training steps on the GPU (never cached: a measurement of this moment's device)."""
    return _memory(memory.measure_cuda, model, changes_json, batch=batch, input_shape=input_shape,
                   dtype=dtype, optimizer=optimizer)


def memory_timeline(model: str, changes_json: str, batch: int, input_shape: tuple, dtype: str,
                    optimizer: str, max_points: int = 2000) -> dict:
    """Allocated bytes after every CUDA allocator event during one measurement, thinned to
    `max_points` (a plot of 100,000 points says no more and freezes the browser)."""
    def one_measurement():
        memory.measure_cuda(model, batch, input_shape, dtype, optimizer, steps=1, **json.loads(changes_json))

    if not device_info()["cuda"]:  # core's timeline assumes CUDA (torch raises AttributeError)
        return {"error": {"field": "device", "message": "no CUDA GPU is present: the timeline needs one"}}
    result = _guarded(lambda: {"points": memory.timeline(one_measurement)})
    if "points" in result:
        result["points"] = result["points"][::max(1, len(result["points"]) // max_points)]
    return result


def max_batch(model: str, changes_json: str, input_shape: tuple, dtype: str, optimizer: str) -> dict:
    """Largest batch whose training step fits on the GPU (bisection; every OOM recovered)."""
    return _guarded(memory.max_batch_size, model, input_shape, dtype, optimizer, **json.loads(changes_json))


MEMORY_ACTIONS = {"measure": memory_cuda, "timeline": memory_timeline, "max_batch": max_batch}


class MemoryJob:
    """One GPU memory action of a session (measurement, timeline, largest batch) in a background thread,
    sampled live; the page polls it. `settings` are the page's inputs it ran with."""

    def __init__(self, action: str, settings: dict):
        self.action, self.settings = action, settings
        self.result: dict | None = None
        self.done = False
        self.waiting = True  # for another session's job to finish
        self.memory = memory.MemorySampler()
        threading.Thread(target=self._run, name=f"memory-{action}", daemon=True).start()

    def _run(self) -> None:
        measure = MEMORY_ACTIONS[self.action]
        try:
            with GPU.alone():
                self.waiting = False
                with self.memory:
                    self.result = measure(**self.settings)  # guarded: failures come back as messages
        except Exception as exc:  # the page keeps working; the traceback goes to the server log
            logger.exception("memory job failed")
            self.result = {"error": {"field": "device", "message": f"{type(exc).__name__}: {exc}"}}
        finally:
            self.done = True


def benchmark_section(name: str) -> str:
    """A section of docs/benchmarks.md, shown as a cited reference: from its `## ` heading to its
    `<!-- /bench:NAME -->` end marker (the scripts that write the file own the markers)."""
    text = (ASSETS.parent / "docs" / "benchmarks.md").read_text()
    before, end, _ = text.partition(f"<!-- /bench:{name} -->")
    return before[before.rfind("\n## ") + 1:].strip() if end else ""
