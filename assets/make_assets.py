"""Reproduce the shipped checkpoints: `make assets` (CPU, a few minutes on 2 cores).

- densenet_fig5_digits.safetensors: the network of the DenseNet paper's Fig. 5 (plain DenseNet,
  3 dense blocks of 12 layers, k = 12, θ = 1: densenet40_k12) adapted to the embedded digits
  (1 channel, 8×8, 10 classes).
- densenet_bc_digits.safetensors: DenseNet-BC (L = 100, k = 12: densenet_bc100_k12) on digits.
- vovnet_osa_digits.safetensors: the Fig. 5 network with VoVNet's one-shot aggregation in its blocks
  (aggregation=osa), trained the same way: its heatmap beside the dense one's.

`python assets/make_assets.py [FILE ...]` remakes only the files named.
"""
from __future__ import annotations

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from core.train import TrainSettings, train  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
SHIPPED = {  # file: (preset, epochs, config changes)
    "densenet_fig5_digits.safetensors": ("densenet40_k12", 10, {}),
    "densenet_bc_digits.safetensors": ("densenet_bc100_k12", 10, {}),
    "vovnet_osa_digits.safetensors": ("densenet40_k12", 10, {"aggregation": "osa"}),
}


def main() -> None:
    for filename, (preset, epochs, changes) in SHIPPED.items():
        if sys.argv[1:] and filename not in sys.argv[1:]:
            continue
        out = HERE / filename
        def report(event, label=filename):
            if event["kind"] == "epoch":
                print(f"{label}: epoch {event['epoch']} test accuracy {event['test_accuracy']:.4f}",
                      flush=True)

        result = train(preset, TrainSettings(dataset="digits", epochs=epochs, seed=0), out=str(out),
                       on_progress=report, in_channels=1, **changes)
        print(f"{filename}: {result.test_accuracy:.4f} test accuracy, "
              f"{out.stat().st_size / 2**20:.1f} MB")


if __name__ == "__main__":
    main()
