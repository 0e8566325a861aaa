"""The book's own numbers, reproduced: the chapter's recipes trained exactly as d2l's `train_ch6` does
(Xavier-uniform init of every Conv2d and Linear weight, plain SGD at a constant learning rate, batch
256, cross-entropy, images in [0, 1] at the recipe's size) on the full Fashion-MNIST (60,000 training,
10,000 test images from Debian's dataset-fashion-mnist), with our presets as the networks. Prints our
figures beside the book's published ones and writes the `d2l-recipes` section of docs/benchmarks.md.

    .venv/bin/python bench/d2l_recipes.py [--only d2l_lenet] [--no-write]

On a CPU only the LeNets run (a few minutes each); the others are listed as GPU only unless a GPU is
there.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import core  # noqa: E402
from bench.report import machine, write_section  # noqa: E402
from core.data import fit_images, load_dataset  # noqa: E402

# (preset, changes), learning rate, epochs, input side, the book's (loss, train acc, test acc), its source.
# The book's §6.6 LeNet pads its first convolution by 2 (61,706 parameters); ours never pads (44,426).
RECIPES = [
    (("lenet", {"batch_norm": False}), 0.9, 10, 28, (0.469, 0.823, 0.779),
     "d2l-zh §6.6 lenet.md, PyTorch output (its LeNet pads conv1 by 2: 61,706 parameters, ours 44,426)"),
    (("d2l_lenet_bn", {}), 1.0, 10, 28, (0.249, 0.907, 0.843),
     "d2l-zh §7.5 batch-norm notebook, output of its Paddle tab (the PyTorch page prints none)"),
    (("d2l_densenet", {}), 0.1, 10, 96, (0.140, 0.948, 0.885),
     "d2l-zh §7.7 densenet notebook, PyTorch output"),
]


def init_weights(module: torch.nn.Module) -> None:
    if type(module) in (torch.nn.Linear, torch.nn.Conv2d):
        torch.nn.init.xavier_uniform_(module.weight)


def train_ch6(preset: str, changes: dict, lr: float, epochs: int, side: int, device: torch.device) -> dict:
    data = load_dataset("fashion-mnist")
    torch.manual_seed(0)
    config = core.get_config(preset, in_channels=1, num_classes=10, **changes)
    model = core.build_model(config).to(device)
    model.apply(init_weights)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(0)
    seen_total, seconds = 0, 0.0
    for _ in range(epochs):
        model.train()
        loss_sum = correct = seen = 0.0
        start = time.perf_counter()
        for idx in torch.randperm(len(data.train_y), generator=generator).split(256):
            x = fit_images(data.train_x[idx], side).to(device)
            y = data.train_y[idx].to(device)
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(idx)
            correct += (logits.argmax(1) == y).sum().item()
            seen += len(idx)
        seconds += time.perf_counter() - start
        seen_total += seen
    model.eval()
    hits = 0
    with torch.no_grad():
        for x, y in zip(data.test_x.split(512), data.test_y.split(512), strict=True):
            hits += (model(fit_images(x, side).to(device)).argmax(1).cpu() == y).sum().item()
    return dict(loss=loss_sum / seen, train_acc=correct / seen, test_acc=hits / len(data.test_y),
                speed=seen_total / seconds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", help="one preset of the table")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    rows = ["| recipe (preset, lr, epochs, input) | ours: loss / train acc / test acc | book: loss / train "
            "acc / test acc | images/s | book's figure from |", "| --- | --- | --- | ---: | --- |"]
    for (preset, changes), lr, epochs, side, book, source in RECIPES:
        if args.only and preset != args.only:
            continue
        named = preset + "".join(f", {k}={v}" for k, v in changes.items())
        recipe = f"{named}, lr {lr}, {epochs} epochs, 1×{side}×{side}"
        published = " / ".join(f"{v:.3f}" for v in book)
        if device.type == "cpu" and side > 28:
            rows.append(f"| {recipe} | GPU only | {published} | – | {source} |")
            continue
        ours = train_ch6(preset, changes, lr, epochs, side, device)
        print(preset, ours, flush=True)
        figures = f"{ours['loss']:.3f} / {ours['train_acc']:.3f} / {ours['test_acc']:.3f}"
        rows.append(f"| {recipe} | {figures} | {published} | {ours['speed']:,.0f} | {source} |")
    text = "\n".join([
        "## The book's recipes on Fashion-MNIST", "",
        f"`bench/d2l_recipes.py` on {machine()}, device {device.type}: d2l's `train_ch6` recipe "
        "(Xavier-uniform init, plain SGD at a constant rate, batch 256) on all 60,000 training images, "
        "accuracy on the 10,000 test images; loss and train accuracy are the last epoch's means, as the "
        "book prints them. "
        "One seed: the book's figures are single runs too, so a few points either way are noise.",
        "", *rows])
    print(text)
    if not args.no_write and not args.only:
        write_section("d2l-recipes", text)


if __name__ == "__main__":
    main()
