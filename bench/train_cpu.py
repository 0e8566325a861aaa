"""CPU figures of the checkpoints issue: time for the app's default training (DenseNet-40 shape
with blocks 4,4,4, k = 12, on the embedded digits) to reach 95 % test accuracy, against the seed's
training recipe (d2l.train_ch6: plain SGD, lr 0.1) on the same model in the same run; and the time
of a densenet121-sized connection-strength heatmap.   Usage: python bench/train_cpu.py
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

import core  # noqa: E402
from bench.report import machine, publish  # noqa: E402
from core.connectivity import connection_strength  # noqa: E402
from core.train import TrainSettings, train  # noqa: E402

DIGITS = dict(dataset="digits")  # the embedded set: seconds an epoch (the default is Fashion-MNIST)

APP_DEFAULT = dict(name="densenet40_k12", block_config=(4, 4, 4))
TARGET = 0.95


def time_to_target(settings: TrainSettings) -> tuple[float | None, int, float]:
    """Seconds until the first epoch whose test accuracy reaches TARGET (None if never)."""
    start = time.perf_counter()
    reached: list[float] = []

    def progress(event):
        if event["kind"] == "epoch" and event["test_accuracy"] >= TARGET and not reached:
            reached.append(time.perf_counter() - start)

    result = train(APP_DEFAULT["name"], settings, on_progress=progress,
                   should_stop=lambda: bool(reached), block_config=APP_DEFAULT["block_config"])
    return (reached[0] if reached else None), len(result.history), result.history[-1]["test_accuracy"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-epochs", type=int, default=30)
    parser.add_argument("--section", help="write the markdown here instead of docs/benchmarks.md")
    args = parser.parse_args()
    torch.set_num_threads(2)
    runs = [("ours (app default: SGD momentum 0.9, nesterov, lr 0.1 cosine, batch 64)",
             TrainSettings(**DIGITS, epochs=args.max_epochs, seed=0)),
            ("seed recipe (d2l.train_ch6: plain SGD, lr 0.1, batch 256)",
             TrainSettings(**DIGITS, epochs=args.max_epochs, seed=0, batch_size=256, lr=0.1, momentum=0.0,
                           schedule="constant", weight_decay=0.0))]
    rows = []
    for label, settings in runs:
        seconds, epochs, accuracy = time_to_target(settings)
        shown = f"{seconds:.1f}" if seconds is not None else f"not reached in {epochs} epochs"
        rows.append(f"| {label} | {shown} | {epochs} | {accuracy:.3f} |")
        print(rows[-1], flush=True)
    state = core.build_model("densenet121").state_dict()
    times = []
    for _ in range(5):
        start = time.perf_counter()
        connection_strength(state, "target")
        times.append(time.perf_counter() - start)
    heatmap = statistics.median(times)
    print(f"densenet121 heatmap: {heatmap * 1e3:.1f} ms", flush=True)
    publish("train_cpu", "\n".join([
        "## Training and heatmap on CPU (`python bench/train_cpu.py`)", "",
        f"{machine()}. Time from the start of training (data loading included) to the first epoch "
        f"with ≥ {TARGET:.0%} test accuracy on digits (360 test images), DenseNet-40 shape with dense "
        "blocks (4, 4, 4), k = 12, plain layers, 8×8 inputs. Target of the issue: ≤ 60 s.", "",
        "| recipe | seconds to 95 % | epochs run | test accuracy |", "|---|---:|---:|---:|", *rows, "",
        f"Connection-strength heatmap of a densenet121 state_dict (58 layers, 4 blocks, "
        f"normalised per target): **{heatmap * 1e3:.0f} ms** (median of 5; target ≤ 1 s)."]),
        args.section)


if __name__ == "__main__":
    main()
