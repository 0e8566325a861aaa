"""Train any preset or config on a dataset and write the contract checkpoint after every epoch.

Deterministic for a seed on CPU. Precision "auto" trains and evaluates under bf16 autocast on CUDA and
on CPUs with native bf16 instructions (core.precision), fp32 elsewhere; CUDA also uses channels_last.
Stopping (Ctrl-C, the app's Stop button) ends after the current batch; the checkpoint on disk is then
the last completed epoch's, written atomically, with the optimizer's and the schedule's state beside
it (core.resume), so `--resume` goes on from there to the same weights an unbroken run reaches.
Under `torchrun --nproc_per_node=N` it trains with
DistributedDataParallel (gloo on CPU, NCCL on CUDA): each process takes every N-th batch of the same
shuffled order, and process 0 reports and writes the checkpoint.
"""
from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from . import budget, precision, resume
from .analysis.trace import MAX_BATCH
from .checkpoints import load_checkpoint, save_checkpoint
from .data import Dataset, default_dataset, fit_images, load_dataset
from .errors import ConfigError
from .memory import step_bytes
from .registry import build_model, resolve
from .schema import ArchConfig


@dataclass
class TrainSettings:
    dataset: str = field(default_factory=default_dataset)  # Fashion-MNIST where installed, else digits
    train_size: int | None = None  # the first N of a stratified shuffle of the training set; None: all
    epochs: int = 10
    batch_size: int = 64
    optimizer: str = "sgd"        # "sgd" or "adamw"
    lr: float | None = None       # default 0.1 for SGD, 1e-3 for AdamW
    momentum: float = 0.9         # SGD only (Nesterov when > 0); d2l's train_ch6 uses 0
    schedule: str = "cosine"      # "cosine" decay to 0 over the run, or "constant"
    weight_decay: float = 1e-4
    seed: int = 0
    input_size: int | None = None  # default: the dataset's native size if the model accepts it
    device: str = "auto"
    precision: str = "auto"        # "auto" (bf16 where the hardware has it: core.precision), fp32, bf16
    compile: str = ""              # torch.compile mode ("default", "reduce-overhead", ...); "": eager
    progress_every: int = 10       # batches between progress events (each one syncs the GPU)

    def check(self) -> None:
        rules = [("epochs", 1 <= self.epochs <= 1000, "an integer in [1, 1000]"),
                 ("train_size", self.train_size is None or 10 <= self.train_size <= 10**7,
                  "an integer ≥ 10 (or nothing: the whole training set)"),
                 ("batch_size", 1 <= self.batch_size <= MAX_BATCH, f"an integer in [1, {MAX_BATCH}]"),
                 ("optimizer", self.optimizer in ("sgd", "adamw"), "sgd or adamw"),
                 ("momentum", 0 <= self.momentum < 1, "a number in [0, 1)"),
                 ("schedule", self.schedule in ("cosine", "constant"), "cosine or constant"),
                 ("lr", self.lr is None or 0 < self.lr <= 10, "a number in (0, 10]"),
                 ("precision", self.precision in precision.PRECISIONS, "auto, fp32 or bf16"),
                 ("device", self.device in ("auto", "cpu", "cuda"), "auto, cpu or cuda")]
        for name, ok, rule in rules:
            if not ok:
                raise ConfigError(f"train.{name}", f"train.{name} = {getattr(self, name)}: use {rule}")
        if self.device == "cuda" and not torch.cuda.is_available():
            raise ConfigError("train.device", "train.device = cuda but no CUDA GPU is present; use "
                                              "auto or cpu")

    @property
    def on_cuda(self) -> bool:
        """Whether the run trains on the GPU: `auto` takes one where there is one."""
        return self.device in ("auto", "cuda") and torch.cuda.is_available()


@dataclass
class TrainResult:
    config: ArchConfig
    history: list[dict] = field(default_factory=list)
    stopped: bool = False
    out: str | None = None
    precision: str = "fp32"
    precision_reason: str = ""

    @property
    def test_accuracy(self) -> float:
        return self.history[-1]["test_accuracy"] if self.history else 0.0


def prepare(config: ArchConfig, data: Dataset, input_size: int | None) -> tuple[ArchConfig, int, int]:
    """Fit the classifier to the dataset's classes; the side the data is resized to (per batch), and
    the forward FLOPs of one image at that side."""
    if config.num_classes != len(data.classes):
        config = config.replace(num_classes=len(data.classes))
    sized = "input_size" in config.field_names() and getattr(config, "adaptive_pool", 0) == 0
    side = input_size or (config.input_size if sized else data.size)
    if sized and side != config.input_size:
        config = config.replace(input_size=side)
    from .analysis import analyze  # a clear error if the model cannot take this input
    return config, side, analyze(config, (config.in_channels, side, side)).trace.flops


def evaluate(model, x, y, device, batch_size=512, side: int | None = None,
             channels: int | None = None, dtype: str = "fp32") -> float:
    """Test accuracy in the run's precision; images resized to `side` and `channels` (when given)
    batch by batch."""
    model.eval()
    correct = 0
    with torch.no_grad(), precision.autocast(dtype, device):
        for i in range(0, len(x), batch_size):
            xb = _to(fit_images(x[i:i + batch_size], side, channels) if side else x[i:i + batch_size],
                     device)
            correct += (model(xb).argmax(1).cpu() == y[i:i + batch_size]).sum().item()
    return correct / len(x)


def _to(x, device):
    x = x.to(device, non_blocking=True)
    return x.contiguous(memory_format=torch.channels_last) if device.type == "cuda" else x


def train(name_or_config, settings: TrainSettings | None = None, out: str | None = None,
          on_progress: Callable[[dict], None] | None = None,
          should_stop: Callable[[], bool] | None = None, resume_from: str | None = None,
          **overrides) -> TrainResult:
    """Train and write `out` after each epoch. `resume_from` (a checkpoint that `train` wrote) goes on
    after its last completed epoch with its recipe, weights, optimizer and schedule; only
    `settings.epochs` (the run's total) and the device are taken from `settings`."""
    settings = settings or TrainSettings()
    saved = _resume_state(resume_from, settings) if resume_from else None
    if saved:
        settings = TrainSettings(**{**vars(settings), **saved.recipe})
        out = out or resume_from
    settings.check()
    config = resolve(name_or_config, **overrides)
    data = load_dataset(settings.dataset).subset(settings.train_size, settings.seed)
    config, side, flops = prepare(config, data, settings.input_size)
    device = torch.device("cuda" if settings.on_cuda else "cpu")
    dtype, why = precision.choose(settings.precision, device, flops_per_example=flops)
    shape = (config.in_channels, side, side)
    if device.type == "cpu":  # the server's own memory: refused before the model is allocated
        budget.check(f"training {config.family} at batch {settings.batch_size}, input "
                     f"{'×'.join(map(str, shape))}",
                     step_bytes(config, settings.batch_size, shape, settings.optimizer, dtype),
                     "use a smaller input_size or batch_size")
    rank, world = _init_distributed(device)
    if device.type == "cuda" and world > 1:
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
    torch.manual_seed(settings.seed)  # the same initial weights in every process
    model = build_model(config).to(device)
    if saved:
        model.load_state_dict(_resumed_weights(resume_from, config))
    if device.type == "cuda":
        model = model.to(memory_format=torch.channels_last)
        # Small datasets live on the GPU: no host-to-device copy per batch.
        data.train_x, data.train_y = _to(data.train_x, device), data.train_y.to(device)
    compiled = bool(settings.compile)
    step_model = model
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel
        step_model = DistributedDataParallel(model, device_ids=[device.index] if device.index is not None
                                             else None)
    step_model = torch.compile(step_model, mode=settings.compile) if compiled else step_model
    if rank != 0:  # one process reports and writes the checkpoint
        out, on_progress = None, None
    lr = settings.lr or (0.1 if settings.optimizer == "sgd" else 1e-3)
    if settings.optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=settings.momentum,
                              nesterov=settings.momentum > 0,
                              weight_decay=settings.weight_decay, fused=device.type == "cuda")
    else:
        opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=settings.weight_decay,
                                fused=device.type == "cuda")
    # A compiled model sees one batch shape only (no recompilation, CUDA graphs stay valid).
    global_batch = settings.batch_size * world
    steps_per_epoch = (len(data.train_x) // global_batch if compiled else
                       math.ceil(len(data.train_x) / global_batch))
    total = settings.epochs * steps_per_epoch  # a resumed run with more epochs stretches its cosine
    cosine = settings.schedule == "cosine"
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: 0.5 * (1 + math.cos(math.pi * s / total)) if cosine else 1.0)
    generator = torch.Generator().manual_seed(settings.seed)
    result = TrainResult(config, out=out, precision=dtype, precision_reason=why)
    if saved:
        opt.load_state_dict(saved.optimizer)
        sched.load_state_dict(saved.schedule)
        generator.set_state(saved.batch_order)
        torch.set_rng_state(saved.cpu_rng)
        result.history = list(saved.history)
    if on_progress:
        on_progress(dict(kind="start", precision=dtype, reason=why,
                         first_epoch=len(result.history) + 1, epochs=settings.epochs))
    for epoch in range(len(result.history) + 1, settings.epochs + 1):
        model.train()
        start = time.perf_counter()
        # Running sums stay on the device: reading them every batch would stall the GPU.
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), device=device, dtype=torch.long)
        seen = 0
        order = torch.randperm(len(data.train_x), generator=generator).to(device)
        for step in range(steps_per_epoch):
            if should_stop and should_stop():
                result.stopped = True
                return result
            first = step * global_batch + rank * settings.batch_size
            idx = order[first:first + settings.batch_size]
            if len(idx) == 0:  # the last global batch did not reach this process
                idx = order[-1:]
            xb = _to(fit_images(data.train_x[idx], side, config.in_channels), device)
            yb = data.train_y[idx].to(device)
            if compiled and device.type == "cuda":
                torch.compiler.cudagraph_mark_step_begin()  # a new iteration for CUDA graphs
            with precision.autocast(dtype, device):
                logits = step_model(xb)
                loss = F.cross_entropy(logits, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.detach() * len(idx)
            correct += (logits.argmax(1) == yb).sum()
            seen += len(idx)
            if on_progress and ((step + 1) % settings.progress_every == 0
                                or step + 1 == steps_per_epoch):
                on_progress(dict(kind="batch", epoch=epoch, step=step + 1, steps=steps_per_epoch,
                                 loss=loss.item(),
                                 examples_per_second=seen / (time.perf_counter() - start)))
        totals = torch.stack([loss_sum, correct.to(loss_sum.dtype),
                              torch.tensor(float(seen), device=device)])
        if world > 1:
            torch.distributed.all_reduce(totals)
        loss_total, correct_total, seen = totals.tolist()
        record = dict(epoch=epoch, train_loss=loss_total / seen, train_accuracy=correct_total / seen)
        record["train_seconds"] = time.perf_counter() - start
        record["examples_per_second"] = seen / record["train_seconds"]
        record["test_accuracy"] = evaluate(model, data.test_x, data.test_y, device, side=side,
                                           channels=config.in_channels, dtype=dtype)
        record["seconds"] = time.perf_counter() - start
        result.history.append(record)
        if out:
            save_checkpoint(out, model, config, data.name, epoch, record["test_accuracy"],
                            input_shape=shape, extra={"precision": dtype, "precision_reason": why})
            resume.save(out, resume.TrainingState(
                epoch, {k: getattr(settings, k) for k in resume.RECIPE}, result.history,
                opt.state_dict(), sched.state_dict(), generator.get_state(), torch.get_rng_state()))
        if on_progress:
            on_progress(dict(kind="epoch", **record))
    if world > 1:
        torch.distributed.destroy_process_group()
    return result


def _resume_state(checkpoint: str, settings: TrainSettings) -> resume.TrainingState:
    saved = resume.load(checkpoint)
    if settings.epochs <= saved.epoch:
        raise ConfigError("train.epochs", f"train.epochs = {settings.epochs}: {checkpoint} has "
                                          f"{saved.epoch} epochs already; give the run's new total, "
                                          f"more than {saved.epoch}")
    return saved


def _resumed_weights(checkpoint: str, config: ArchConfig) -> dict[str, torch.Tensor]:
    stored = load_checkpoint(checkpoint)
    if stored.config != config:
        raise ConfigError("resume", f"{checkpoint} holds {stored.config.family} "
                                    f"{stored.config.to_json()}; resume it with the same model and "
                                    "--set values it was trained with")
    return stored.state_dict


def _init_distributed(device: torch.device) -> tuple[int, int]:
    """(rank, world size): 0, 1 unless launched by torchrun with several processes."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1
    import torch.distributed as dist
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return dist.get_rank(), world
