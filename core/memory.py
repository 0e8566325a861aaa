"""Training-step memory: an exact estimate without a GPU, real measurement on CUDA, live sampling,
an allocation timeline, and the largest batch that fits.

Estimate: the forward pass runs on the meta device under `saved_tensors_hooks`, so autograd itself
reports every tensor it keeps for backward; distinct storages are summed (an in-place ReLU's output
and the BN output it overwrote are one storage). Nothing is allocated.
"""
from __future__ import annotations

import collections
import gc
import os
import threading
import time
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from . import budget
from .errors import ConfigError
from .registry import build_model, default_input, resolve

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}
OPTIMIZER_SLOTS = {"sgd": 1, "adamw": 2}  # SGD with momentum keeps 1 buffer per parameter, AdamW 2
MIB = 2**20


@dataclass
class MemoryReport:
    """Bytes per phase of one training step. `kind` says whether it was measured or estimated."""
    kind: str                      # "estimate" | "measured"
    device: str
    dtype: str
    batch: int
    input_shape: tuple
    parameters: int
    gradients: int
    optimizer_state: int
    activations: int               # saved for backward (forward peak above the model)
    workspace: int = 0             # transient beyond the above (measured only)
    peak: int = 0
    step_seconds: float | None = None
    examples_per_second: float | None = None
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        d = dict(self.__dict__)
        d["input_shape"] = list(self.input_shape)
        d.update({f"{k}_mib": round(v / MIB, 1) for k, v in self.__dict__.items()
                  if k in ("parameters", "gradients", "optimizer_state", "activations", "workspace",
                           "peak")})
        return d


class SavedTensors:
    """Counts the distinct non-parameter storages autograd saves while `hooks()` is active.

    `for_backward=False` (nothing will run backward, as in the estimate) keeps no tensor in the graph:
    a pack hook that returns the tensor itself ties a saved output to its own grad_fn, a cycle through
    C++ that Python's collector cannot see (densenet121 leaked 1.35 MB per estimate that way). The
    storages are held here instead, until this counter goes, so no address is reused and counted twice.
    """

    def __init__(self, model: torch.nn.Module, for_backward: bool):
        self._params = {p.untyped_storage()._cdata for p in model.parameters()}
        self._bytes: dict[int, int] = {}
        self._kept: list = []
        self._for_backward = for_backward

    def _pack(self, tensor):
        storage = tensor.untyped_storage()
        if storage._cdata not in self._params and storage._cdata not in self._bytes:
            self._bytes[storage._cdata] = storage.nbytes()
            self._kept.append(storage)
        return tensor if self._for_backward else None

    def hooks(self):
        return torch.autograd.graph.saved_tensors_hooks(self._pack, lambda tensor: tensor)

    def add(self, tensor) -> None:
        """Count a tensor that is alive anyway (the model's output) unless it is already counted."""
        self._pack(tensor)

    @property
    def total(self) -> int:
        return sum(self._bytes.values())


def _autocast(dtype: str):
    # CPU autocast: on the meta device there is none, so a bf16 estimate traces on fake CPU tensors.
    return torch.autocast("cpu", dtype=DTYPES[dtype], enabled=dtype != "fp32")


def _no_allocation(dtype: str):
    """Where an estimate builds and runs its model without allocating: the meta device for fp32, fake
    CPU tensors for bf16 (autocast, which decides which saved tensors are bf16, needs a CPU device)."""
    if dtype == "fp32":
        return torch.device("meta")
    from torch._subclasses.fake_tensor import FakeTensorMode
    return FakeTensorMode()


def estimate(name_or_config, batch: int = 64, input_shape=None, dtype: str = "fp32",
             optimizer: str = "sgd", training: bool = True, **overrides) -> MemoryReport:
    """Parameters, gradients and optimizer state (fp32 master weights, also under bf16 autocast: 1
    buffer per parameter for SGD with momentum, 2 for AdamW) plus the tensors autograd saves in one
    forward pass at this dtype, in training mode or (`training` False: an attribution's pass through a
    trained network) in eval mode. Nothing is allocated."""
    config = resolve(name_or_config, **overrides)
    _check(batch, dtype, optimizer)
    input_shape = tuple(input_shape or default_input(name_or_config, **overrides))
    from .analysis import analyze
    analyze(config, input_shape)  # same validation and error messages as everywhere else
    with _no_allocation(dtype):
        model = build_model(config).train(training)
        saved = SavedTensors(model, for_backward=False)
        with saved.hooks(), _autocast(dtype):
            try:
                saved.add(model(torch.empty(batch, *input_shape)))
            except ValueError as exc:  # BatchNorm in training mode over one value per channel
                raise ConfigError("batch", f"batch = {batch} at input {'×'.join(map(str, input_shape))}: "
                                           f"{exc}; training needs a larger batch or input") from None
        activations = saved.total
        n_params = sum(p.numel() for p in model.parameters())
    del model, saved
    param_bytes = n_params * 4
    slots = OPTIMIZER_SLOTS[optimizer]
    report = MemoryReport("estimate", "any", dtype, batch, input_shape, param_bytes, param_bytes,
                          param_bytes * slots, activations)
    report.peak = param_bytes * (2 + slots) + activations
    return report


def step_bytes(config, batch: int, input_shape, optimizer: str | None = "sgd",
               dtype: str = "fp32") -> int:
    """Bytes of one forward and backward pass at this batch (with the optimizer's state when one
    steps) in fp32 or under bf16 autocast, from the meta-device estimate: what a real step is
    checked against (core.budget) before it allocates."""
    report = estimate(config, batch=batch, input_shape=tuple(input_shape),
                      optimizer=optimizer or "sgd", dtype=dtype, training=optimizer is not None)
    state = 0 if optimizer else report.optimizer_state  # no step: no optimizer state to allocate
    inputs = batch * 4 * int(input_shape[0]) * int(input_shape[1]) * int(input_shape[2])
    return report.peak - state + inputs


def _check(batch, dtype, optimizer):
    if not isinstance(batch, int) or not 1 <= batch <= 65536:
        raise ConfigError("batch", f"batch = {batch}: must be an integer in [1, 65536]")
    if dtype not in DTYPES:
        raise ConfigError("dtype", f"dtype = {dtype}: use one of {', '.join(DTYPES)}")
    if optimizer not in OPTIMIZER_SLOTS:
        raise ConfigError("optimizer", f"optimizer = {optimizer}: use one of "
                                       f"{', '.join(OPTIMIZER_SLOTS)}")


def _optimizer(model, kind):
    if kind == "sgd":
        return torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return torch.optim.AdamW(model.parameters(), lr=1e-3)


def measure_cuda(name_or_config, batch: int = 64, input_shape=None, dtype: str = "fp32",
                 optimizer: str = "sgd", steps: int = 5, channels_last: bool = False,
                 model: torch.nn.Module | None = None, **overrides) -> MemoryReport:
    """Real training steps on CUDA with the peak allocated bytes of each phase (a given `model` is
    moved to the GPU and trained in place; by default a fresh one is built from the config)."""
    if not torch.cuda.is_available():
        raise ConfigError("device", "no CUDA GPU is present: use the estimate (device cpu)")
    config = resolve(name_or_config, **overrides)
    _check(batch, dtype, optimizer)
    input_shape = tuple(input_shape or default_input(name_or_config, **overrides))
    dev = torch.device("cuda")
    gc.collect()
    torch.cuda.empty_cache()
    base = torch.cuda.memory_allocated()
    model = (model or build_model(config)).to(dev).train()
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    params = torch.cuda.memory_allocated() - base
    opt = _optimizer(model, optimizer)
    x = torch.randn(batch, *input_shape, device=dev)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, config.num_classes, (batch,), device=dev)
    inputs = torch.cuda.memory_allocated() - base - params
    autocast = torch.autocast("cuda", dtype=DTYPES[dtype], enabled=dtype != "fp32")

    def step(record, model=model, opt=opt, x=x, y=y):
        opt.zero_grad()  # the usual loop: gradients are freed (set to None) between steps
        before = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        with autocast:
            loss = F.cross_entropy(model(x), y)
        after_forward = torch.cuda.memory_allocated()
        loss.backward()
        opt.step()
        if record is not None:
            record.update(activations=after_forward - before,
                          peak=torch.cuda.max_memory_allocated() - base)

    try:
        step(None)  # creates gradients and optimizer state
        torch.cuda.synchronize()
        grads = sum(p.grad.numel() * p.grad.element_size() for p in model.parameters())
        state = torch.cuda.memory_allocated() - base - params - inputs - grads
        phases: dict = {}
        step(phases)
        torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(steps):
            step(None)
        torch.cuda.synchronize()
        seconds = (time.perf_counter() - start) / steps
    finally:  # free everything this step allocated, also after an OutOfMemoryError
        del opt, x, y, step
        gc.collect()
        torch.cuda.empty_cache()
    workspace = max(0, phases["peak"] - params - inputs - grads - state - phases["activations"])
    return MemoryReport("measured", torch.cuda.get_device_name(), dtype, batch, input_shape, params,
                        grads, state, phases["activations"], workspace, phases["peak"], seconds,
                        batch / seconds, {"inputs": inputs})


def measure_cpu(name_or_config, batch: int = 8, input_shape=None, dtype: str = "fp32",
                optimizer: str = "sgd", **overrides) -> MemoryReport:
    """One real training step on this CPU (allocated, so keep it small): the bytes autograd saves in
    the forward pass, then backward and an optimizer step, whose gradients and state are counted as
    they are."""
    config = resolve(name_or_config, **overrides)
    _check(batch, dtype, optimizer)
    input_shape = tuple(input_shape or default_input(name_or_config, **overrides))
    budget.check(f"a CPU training step of {config.family} at batch {batch}, input "
                 f"{'×'.join(map(str, input_shape))}",
                 step_bytes(config, batch, input_shape, optimizer), "use a smaller input or batch")
    model = build_model(config).train()
    opt = _optimizer(model, optimizer)
    x = torch.randn(batch, *input_shape)
    y = torch.randint(0, config.num_classes, (batch,))
    start = time.perf_counter()
    saved = SavedTensors(model, for_backward=True)
    with saved.hooks(), _autocast(dtype):
        out = model(x)
        saved.add(out)
    activations = saved.total
    F.cross_entropy(out.float(), y).backward()
    opt.step()
    seconds = time.perf_counter() - start
    params = sum(p.numel() * p.element_size() for p in model.parameters())
    grads = sum(p.grad.numel() * p.grad.element_size() for p in model.parameters() if p.grad is not None)
    state = sum(v.numel() * v.element_size() for per_param in opt.state.values()
                for v in per_param.values() if torch.is_tensor(v))
    return MemoryReport("measured", "cpu", dtype, batch, input_shape, params, grads, state,
                        activations, 0, params + grads + state + activations, seconds, batch / seconds,
                        {"parameter_tensors": len(list(model.parameters()))})


def max_batch_size(name_or_config, input_shape=None, dtype: str = "fp32", optimizer: str = "sgd",
                   limit: int = 8192, **overrides) -> dict:
    """Largest batch whose training step fits on this GPU (bisection; every OOM is recovered)."""
    if not torch.cuda.is_available():
        raise ConfigError("device", "no CUDA GPU is present: the max batch finder needs one")
    gc.collect()
    torch.cuda.empty_cache()
    baseline = torch.cuda.memory_allocated()
    tried: list[tuple[int, bool]] = []

    def fits(batch):
        try:
            measure_cuda(name_or_config, batch, input_shape, dtype, optimizer, steps=1, **overrides)
            ok = True
        except torch.cuda.OutOfMemoryError:
            ok = False
        gc.collect()
        torch.cuda.empty_cache()
        tried.append((batch, ok))
        return ok

    low, high = 0, 2  # batch 1 cannot train BatchNorm (one value per channel): start at 2
    while high <= limit and fits(high):
        low, high = high, high * 2
    high = min(high, limit + 1)
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if fits(mid) else (low, mid)
    return {"max_batch": low, "tried": tried, "baseline_restored":
            torch.cuda.memory_allocated() == baseline}


def process_rss() -> int | None:
    """Resident memory of this process in bytes (Linux /proc), or None where it cannot be read."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


class MemorySampler:
    """Samples memory about once a second in a thread while work runs (the live view).

    Every sample has `t` (seconds since start) and `rss` (this process: on a CPU the only memory
    there is; on a GPU server the host side). With CUDA it adds the caching allocator's `allocated`
    and `reserved` bytes and, where nvidia-ml-py is installed, NVML's `device_used` (every process on
    the GPU). Only the newest `keep` samples are kept, so a long run cannot grow without bound.
    """

    def __init__(self, interval: float = 1.0, keep: int = 3600):
        self.interval = interval
        self._samples: collections.deque[dict] = collections.deque(maxlen=keep)
        self._lock = threading.Lock()  # the page reads while this thread appends
        self.cuda = torch.cuda.is_available()
        self._start = time.perf_counter()  # reset on entry: `t` counts from when the work starts
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="memory-sampler", daemon=True)
        self._nvml = self._nvml_handle() if self.cuda else None

    @staticmethod
    def _nvml_handle():
        try:
            import pynvml
            pynvml.nvmlInit()
            return pynvml.nvmlDeviceGetHandleByIndex(torch.cuda.current_device())
        except Exception:  # NVML is optional (not installed, no driver access): torch's figures remain
            return None

    def sample(self) -> dict:
        s = {"t": round(time.perf_counter() - self._start, 3), "rss": process_rss()}
        if self.cuda:
            s.update(allocated=torch.cuda.memory_allocated(), reserved=torch.cuda.memory_reserved())
        if self._nvml is not None:
            import pynvml
            s["device_used"] = pynvml.nvmlDeviceGetMemoryInfo(self._nvml).used
        return s

    def _record(self) -> None:
        sample = self.sample()
        with self._lock:
            self._samples.append(sample)

    @property
    def samples(self) -> list[dict]:
        with self._lock:
            return list(self._samples)

    def _run(self):
        while True:
            self._record()
            if self._stop.wait(self.interval):
                return

    def __enter__(self):
        self._start = time.perf_counter()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._record()  # the state the work left behind


def timeline(fn, max_entries: int = 200_000) -> list[dict]:
    """Allocated bytes after every allocation event while fn() runs, from the CUDA caching
    allocator's history (torch.cuda.memory._record_memory_history)."""
    torch.cuda.memory._record_memory_history(max_entries=max_entries)
    try:
        fn()
        snapshot = torch.cuda.memory._snapshot()
    finally:
        torch.cuda.memory._record_memory_history(enabled=None)
    points, allocated = [], 0
    for event in (snapshot.get("device_traces") or [[]])[0]:
        if event["action"] == "alloc":
            allocated += event["size"]
        elif event["action"] == "free_completed":
            allocated -= event["size"]
        else:
            continue
        points.append({"event": len(points), "allocated": allocated})
    return points
