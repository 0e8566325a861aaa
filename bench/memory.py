"""Training-step memory on CUDA: measured peak vs our estimate for the torchvision-equivalent and
d2l presets (batch 64, fp32, SGD), and plain vs memory-efficient DenseNet against torchvision's
implementation in the same run (where torchvision imports).   Usage: python bench/memory.py
[--section FILE] (writes the markdown section there instead of docs/benchmarks.md)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

import core  # noqa: E402
from bench.report import publish  # noqa: E402
from core.memory import MIB, estimate, measure_cuda  # noqa: E402

BATCH = 64


def preset_rows(names):
    rows = []
    for name in names:
        m = measure_cuda(name, BATCH)
        e = estimate(name, BATCH)
        rows.append(f"| {name} | {'×'.join(map(str, m.input_shape))} | {m.peak / MIB:,.0f} | "
                    f"{e.peak / MIB:,.0f} | {(e.peak - m.peak) / m.peak:+.1%} | "
                    f"{m.examples_per_second:,.0f} |")
        print(rows[-1], flush=True)
    return rows


def densenet_rows():
    variants = [("ours, plain", dict()), ("ours, memory_efficient", dict(memory_efficient=True))]
    results = []
    for label, overrides in variants:
        results.append((label, measure_cuda("densenet121", BATCH, steps=10, **overrides)))
    try:
        import torchvision
        for label, eff in (("torchvision, plain", False), ("torchvision, memory_efficient", True)):
            model = torchvision.models.densenet121(memory_efficient=eff)
            results.append((label, measure_cuda("densenet121", BATCH, steps=10, model=model)))
    except ImportError:
        print("torchvision not importable: its rows are left out", flush=True)
    plain = results[0][1]
    rows = []
    for label, r in results:
        rows.append(f"| {label} | {r.peak / MIB:,.0f} | {plain.peak / r.peak:.2f}× | "
                    f"{r.step_seconds * 1e3:.1f} | {r.step_seconds / plain.step_seconds:.2f}× | "
                    f"{r.examples_per_second:,.0f} |")
        print(rows[-1], flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--section", help="write the markdown here instead of docs/benchmarks.md")
    args = parser.parse_args()
    torch.backends.cudnn.benchmark = True
    device = torch.cuda.get_device_name()
    names = [n for n in core.list_presets() if core.PRESETS[n].source in ("torchvision", "d2l")]
    preset_table = preset_rows(names)
    dense_table = densenet_rows()
    markdown = "\n".join([
        "## Training memory on CUDA (`python bench/memory.py`)", "",
        f"{device}, torch {torch.__version__}, fp32, batch {BATCH}, SGD with momentum. *Measured*: "
        "peak `torch.cuda.max_memory_allocated` over a steady-state training step (forward, backward, "
        "optimizer step). *Estimate*: parameters + gradients + optimizer state + the tensors autograd "
        "saves, counted on the meta device without a GPU (`core.memory.estimate`).", "",
        "| preset | input | measured peak (MiB) | estimate (MiB) | error | examples/s |",
        "|---|---|---:|---:|---:|---:|", *preset_table, "",
        "### Memory-efficient DenseNet (densenet121, 3×224², batch 64, fp32)", "",
        "| implementation | peak (MiB) | memory saved | step (ms) | step time | examples/s |",
        "|---|---:|---:|---:|---:|---:|", *dense_table])
    publish("memory", markdown, args.section)


if __name__ == "__main__":
    main()
