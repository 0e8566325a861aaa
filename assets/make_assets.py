"""Reproduce the shipped checkpoints: `make assets`.

Three networks, each on Fashion-MNIST (the book's dataset, 1×28×28, all 60,000 training images, the
10,000 test images for accuracy) and on scikit-learn's embedded 8×8 digits (the fallback where
Debian's dataset-fashion-mnist is not installed):
- densenet_fig5_*: the network of the DenseNet paper's Fig. 5 (plain DenseNet, 3 dense blocks of
  12 layers, k = 12, θ = 1: densenet40_k12).
- densenet_bc_*: DenseNet-BC (L = 100, k = 12: densenet_bc100_k12).
- vovnet_osa_*: the Fig. 5 network with VoVNet's one-shot aggregation in its blocks (aggregation=osa):
  its heatmap beside the dense one's.

Recipe (core.train's defaults): SGD with Nesterov momentum 0.9, lr 0.1 decayed by a cosine to 0 over
the run, weight decay 1e-4, batch 64, seed 0, precision auto (bf16 autocast on a CPU with native bf16
instructions). Fashion-MNIST runs take 3 epochs (DenseNet-BC 2), digits runs 10; the time each took
is in docs/benchmarks.md. Each
epoch writes its checkpoint and training state, and a run that finds the state of an unfinished run
of its file goes on from there, so `make assets` can be stopped and started again.

`python assets/make_assets.py [FILE ...]` remakes only the files named.
"""
from __future__ import annotations

import os
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from core import resume  # noqa: E402
from core.train import TrainSettings, train  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
NETWORKS = {  # stem: (preset, config changes, Fashion-MNIST epochs)
    "densenet_fig5": ("densenet40_k12", {}, 3),
    "vovnet_osa": ("densenet40_k12", {"aggregation": "osa"}, 3),
    # 48 bottleneck layers: the slowest per image on a CPU; 2 epochs fit a session beside the others.
    "densenet_bc": ("densenet_bc100_k12", {}, 2),
}
DIGITS_EPOCHS = 10
SHIPPED = {**{f"{stem}_digits.safetensors": (preset, changes, "digits", DIGITS_EPOCHS)
              for stem, (preset, changes, _) in NETWORKS.items()},
           **{f"{stem}_fashion.safetensors": (preset, changes, "fashion-mnist", epochs)
              for stem, (preset, changes, epochs) in NETWORKS.items()}}
# This is the maintainer's machine, not a shared server: DenseNet-BC's step needs ~830 MiB in bf16.
os.environ.setdefault("CNN_EXPLORER_JOB_BUDGET_MIB", "4096")


def main() -> None:
    for filename, (preset, changes, dataset, epochs) in SHIPPED.items():
        if sys.argv[1:] and filename not in sys.argv[1:]:
            continue
        out = HERE / filename
        unfinished = resume.state_path(out).exists()
        start = time.perf_counter()

        def report(event, label=filename):
            if event["kind"] == "start":
                print(f"{label}: {event['reason']}; epochs {event['first_epoch']}–{event['epochs']}",
                      flush=True)
            if event["kind"] == "epoch":
                print(f"{label}: epoch {event['epoch']} test accuracy {event['test_accuracy']:.4f}, "
                      f"{event['examples_per_second']:.0f} examples/s, {event['seconds']:.0f} s",
                      flush=True)

        result = train(preset, TrainSettings(dataset=dataset, epochs=epochs, seed=0), out=str(out),
                       on_progress=report, resume_from=str(out) if unfinished else None,
                       in_channels=1, **changes)
        resume.state_path(out).unlink()  # finished: the state is for going on, not for shipping
        print(f"{filename}: {result.test_accuracy:.4f} test accuracy, "
              f"{out.stat().st_size / 2**20:.1f} MB, {time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
