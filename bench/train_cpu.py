"""CPU training figures: examples/s of one training step in fp32 against precision "auto" (bf16
autocast where the CPU has native bf16 instructions), with channels_last and torch.compile measured
beside them; whether bf16 costs accuracy (the Train page's default run in fp32 and in bf16); and the
time of a densenet121-sized connection-strength heatmap.

Usage: python bench/train_cpu.py [--rounds 2] [--skip-accuracy]
Each configuration is timed in rounds that alternate fp32 and auto (best of the rounds), in one process,
at 1×28×28 (Fashion-MNIST's size), batch 64, SGD with Nesterov momentum, as core.train steps.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import core  # noqa: E402
from bench.report import machine, publish  # noqa: E402
from core import precision  # noqa: E402
from core.analysis import analyze  # noqa: E402
from core.connectivity import connection_strength  # noqa: E402
from core.train import TrainSettings, train  # noqa: E402

MODELS = {"densenet40_k12": {}, "d2l_resnet18": {}, "d2l_lenet_bn": {}}
SHAPE, BATCH, WARMUP, STEPS = (1, 28, 28), 64, 3, 8
CPU = torch.device("cpu")


def step_rate(name: str, dtype: str, channels_last: bool = False,
              compiled: bool = False) -> tuple[float, float]:
    """(examples/s over STEPS steps after WARMUP, seconds of the warm-up: compilation included)."""
    torch.manual_seed(0)
    model = core.build_model(name, in_channels=1, num_classes=10, **MODELS[name])
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    step_model = torch.compile(model) if compiled else model
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
    x, y = torch.rand(BATCH, *SHAPE), torch.randint(0, 10, (BATCH,))
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    times = []
    for _ in range(WARMUP + STEPS):
        start = time.perf_counter()
        with precision.autocast(dtype, CPU):
            loss = F.cross_entropy(step_model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - start)
    return BATCH / statistics.median(times[WARMUP:]), sum(times[:WARMUP])


def throughput(rounds: int) -> list[str]:
    rows = []
    for name in MODELS:
        config = core.get_config(name, in_channels=1, num_classes=10, **MODELS[name])
        flops = analyze(config, SHAPE).trace.flops
        auto, why = precision.choose("auto", CPU, flops_per_example=flops)
        print(f"{name}: precision auto is {why}", flush=True)
        variants = [("fp32", dict(dtype="fp32")), ("bf16", dict(dtype="bf16")),
                    ("bf16 + channels_last", dict(dtype="bf16", channels_last=True))]
        if name == "densenet40_k12":
            variants.append(("bf16 + torch.compile", dict(dtype="bf16", compiled=True)))
        rates: dict[str, float] = {}
        warmups: dict[str, float] = {}
        for _ in range(rounds):  # alternate: drift in the machine's speed hits every variant alike
            for label, kwargs in variants:
                rate, warmup = step_rate(name, **kwargs)
                print(f"{name} {label}: {rate:.1f} examples/s (warm-up {warmup:.1f} s)", flush=True)
                rates[label] = max(rate, rates.get(label, 0))  # the best round
                warmups[label] = max(warmup, warmups.get(label, 0))  # the first: compilation
        for label, rate in rates.items():
            picked = " ← auto" if label == auto else ""
            rows.append(f"| {name} ({flops / 1e6:,.2f} MFLOPs) | {label}{picked} | {rate:,.1f} | "
                        f"{rate / rates['fp32']:.2f}× | {warmups[label]:.1f} |")
    return rows


def accuracy() -> list[str]:
    """The Train page's default run (densenet40_k12 with blocks 2,2,2 on 5,000 Fashion-MNIST images,
    3 epochs) in fp32 and in bf16: test accuracy on the 10,000 test images."""
    rows = []
    for dtype in ("fp32", "bf16"):
        start = time.perf_counter()
        settings = TrainSettings(dataset="fashion-mnist", train_size=5000, epochs=3, precision=dtype)
        result = train("densenet40_k12", settings, block_config=(2, 2, 2), in_channels=1)
        seconds = time.perf_counter() - start
        accuracies = " / ".join(f"{h['test_accuracy']:.4f}" for h in result.history)
        rows.append(f"| {dtype} | {accuracies} | {result.history[-1]['examples_per_second']:,.0f} | "
                    f"{seconds:.0f} |")
        print(rows[-1], flush=True)
    return rows


def heatmap_ms() -> float:
    state = core.build_model("densenet121").state_dict()
    times = []
    for _ in range(5):
        start = time.perf_counter()
        connection_strength(state, "target")
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument("--section", help="write the markdown here instead of docs/benchmarks.md")
    args = parser.parse_args()
    torch.set_num_threads(2)
    feature = precision.cpu_bf16_feature() or "no native bf16 instructions"
    rows = throughput(args.rounds)
    lines = ["## Training on CPU (`python bench/train_cpu.py`)", "",
             f"{machine()}; this CPU's bf16 capability: **{feature}** (from /proc/cpuinfo). One training "
             f"step (forward, backward, SGD with Nesterov momentum) at batch {BATCH}, 1×28×28, median of "
             f"{STEPS} steps after {WARMUP} warm-up steps, best of {args.rounds} rounds that alternate the "
             "variants in one process; warm-up: the longest of the rounds' (torch.compile's compilation "
             f"is in the first). ← auto: what precision \"auto\" picks for the model (bf16 on this CPU "
             f"unless the model has under {precision.BF16_MIN_MFLOPS} MFLOPs an image).", "",
             "| model (forward FLOPs of one image) | precision | examples/s | vs fp32 | warm-up s |",
             "|---|---|---:|---:|---:|", *rows]
    if not args.skip_accuracy:
        lines += ["", "bf16 and accuracy: the Train page's default run (densenet40_k12 with dense blocks "
                      "2,2,2, 5,000 Fashion-MNIST training images, 3 epochs, cosine schedule, seed 0), "
                      "test accuracy on all 10,000 test images after each epoch:", "",
                  "| precision | test accuracy after epochs 1 / 2 / 3 | examples/s (epoch 3) | seconds |",
                  "|---|---|---:|---:|", *accuracy()]
    ms = heatmap_ms()
    print(f"densenet121 heatmap: {ms:.1f} ms", flush=True)
    lines += ["", f"Connection-strength heatmap of a densenet121 state_dict (58 layers, 4 blocks, normalised "
                  f"per target): **{ms:.0f} ms** (median of 5)."]
    publish("train_cpu", "\n".join(lines), args.section)


if __name__ == "__main__":
    main()
