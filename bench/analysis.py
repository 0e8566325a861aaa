"""Full analysis (config → params, shapes, FLOPs, per-layer rows, graph, channel growth) against the
baseline students would otherwise use: build the torchvision-equivalent module on CPU and run
`torchinfo.summary` on it, measured in the same run.   Usage: python bench/analysis.py [--repeat N]
"""
from __future__ import annotations

import argparse
import datetime
import gc
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
import torchinfo  # noqa: E402

import core  # noqa: E402
from bench.report import machine, write_section  # noqa: E402
from core.analysis import analyze  # noqa: E402
from core.analysis.channels import channel_growth  # noqa: E402
from core.analysis.graph import build_graph  # noqa: E402

MODELS = ("densenet121", "resnet152", "vgg19", "densenet264")
SHAPE = (3, 224, 224)


def ours(name):
    a = analyze(name, SHAPE)
    a.to_dict()  # rows and totals
    build_graph(a.trace, "block")
    channel_growth(a.trace)
    return a


def baseline(name):
    model = core.build_model(name)
    torchinfo.summary(model, (1, *SHAPE), verbose=0)


def median_time(fn, name, repeat):
    times = []
    for _ in range(repeat):
        # A full collection (~95 ms in this process) falls due every few analyses of a large model,
        # in whichever run tips the count: collected before each run instead of in a random one.
        gc.collect()
        start = time.perf_counter()
        fn(name)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(2)
    load_before = os.getloadavg()[0]
    rows = []
    for name in MODELS:
        ours(name), baseline(name)  # warm-up: imports, allocator, oneDNN primitives
        t_ours = median_time(ours, name, args.repeat)
        t_base = median_time(baseline, name, args.repeat)
        depth = ours(name).depth
        rows.append((name, depth, t_ours, t_base))
        print(f"{name:12s} depth {depth:4d}  ours {t_ours * 1e3:7.1f} ms  baseline {t_base * 1e3:7.1f} ms"
              f"  ratio {t_ours / t_base:5.2f}  ours per layer {t_ours / depth * 1e3:5.2f} ms", flush=True)
    table = ["| model | depth | ours (ms) | build + torchinfo.summary (ms) | ratio | ours per layer (ms) |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, depth, t_ours, t_base in rows:
        table.append(f"| {name} | {depth} | {t_ours * 1e3:.1f} | {t_base * 1e3:.1f} | "
                     f"{t_ours / t_base:.2f} | {t_ours / depth * 1e3:.2f} |")
    write_section("analysis", "\n".join([
        "## Analysis engine (`python bench/analysis.py`)", "",
        f"{datetime.date.today()} · median of {args.repeat} runs at 3×224², batch 1, on {machine()} "
        f"(load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after). *Ours*: config → "
        "params, shapes, FLOPs, per-layer rows, block graph and channel growth, on the meta device with "
        "shape rules (nothing allocated). *Baseline*: build the same module on CPU (real weights) and "
        "run `torchinfo.summary` (a real forward pass with hooks). Each run starts after a full garbage "
        "collection, so that one owed by earlier runs does not land in a random run (a densenet264 "
        "analysis leaves one due every second run). Target: ratio ≤ 0.1 for densenet121 and time per "
        "layer roughly constant (linear in depth).", "", *table]))


if __name__ == "__main__":
    main()
