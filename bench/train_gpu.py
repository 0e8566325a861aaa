"""Training throughput on CUDA for the book's d2l DenseNet (d2l_densenet, 1×96², batch 256): the book's
training loop (fp32, batches copied from the host each step, like d2l.train_ch6) against our trainer
(`core.train.train`: data held on the GPU, bf16 autocast, channels_last, optionally torch.compile),
in the same process, on the embedded digits resized to 96².   Usage: python bench/train_gpu.py
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import core  # noqa: E402
from bench.report import publish  # noqa: E402
from core.data import load_digits  # noqa: E402
from core.train import TrainSettings, train  # noqa: E402

BATCH, SIDE = 256, 96
GRAPHED = (("prototype: whole step (forward, backward, SGD) as one CUDA graph", ""),
           ("prototype: the same with torch.compile'd kernels inside the graph", "default"),
           ("prototype: the same with max-autotune kernels (Triton convolutions; minutes of tuning)",
            "max-autotune-no-cudagraphs"))


def seed_loop(epochs: int) -> float:
    """d2l.train_ch6's inner loop: SGD lr 0.1, fp32, host batches moved to the GPU every step."""
    data = load_digits().resized(SIDE)
    model = core.build_model("d2l_densenet").cuda()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    seen, start = 0, None
    for epoch in range(epochs + 1):  # epoch 0 warms up cuDNN
        if epoch == 1:
            torch.cuda.synchronize()
            start = time.perf_counter()
        for i in range(0, len(data.train_x), BATCH):
            x, y = data.train_x[i:i + BATCH].cuda(), data.train_y[i:i + BATCH].cuda()
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if epoch:
                seen += len(x)
    torch.cuda.synchronize()
    return seen / (time.perf_counter() - start)


def ours(epochs: int, compile_mode: str) -> tuple[float, float]:
    settings = TrainSettings(epochs=epochs, batch_size=BATCH, input_size=SIDE, compile=compile_mode,
                             progress_every=10**9)
    result = train("d2l_densenet", settings)
    steady = result.history[len(result.history) // 2:]  # after compilation and warm-up
    return (sum(h["examples_per_second"] for h in steady) / len(steady), result.test_accuracy)


def graphed(epochs: int, compile_mode: str = "") -> tuple[float, float]:
    """Prototype: the trainer's step (bf16, channels_last, fused Nesterov SGD, cosine schedule) captured
    whole — forward, backward, optimizer — as one CUDA graph and replayed per batch, so the CPU launches
    one graph instead of hundreds of kernels. The learning rate is a device tensor the schedule fills."""
    data = load_digits().resized(SIDE)
    x_all = data.train_x.cuda().contiguous(memory_format=torch.channels_last)
    y_all = data.train_y.cuda()
    torch.manual_seed(0)
    model = core.build_model("d2l_densenet").cuda().to(memory_format=torch.channels_last).train()
    lr = torch.tensor(0.1, device="cuda")
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=1e-4,
                          fused=True)
    steps = len(x_all) // BATCH  # one batch shape: the graph's tensors are static
    total = epochs * steps
    static_x, static_y = x_all[:BATCH].clone(), y_all[:BATCH].clone()
    # Inductor's fused kernels (no CUDA graphs of its own: the whole step is captured below).
    forward = torch.compile(model, mode=compile_mode) if compile_mode else model

    def step():
        # The autocast weight cache must stay off while a graph is captured (torch.cuda.graph docs).
        with torch.autocast("cuda", dtype=torch.bfloat16, cache_enabled=False):
            loss = F.cross_entropy(forward(static_x), static_y)
        loss.backward()
        opt.step()
        return loss

    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):  # warm-up (cuDNN algorithm choice, optimizer state) off the graph
        for _ in range(3):  # compiles here when asked
            opt.zero_grad(set_to_none=True)
            step()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    # Gradients start as None, so backward allocates them in the graph's pool and writes them once
    # (no zeroing, no accumulate kernels); every replay rewrites the same addresses.
    opt.zero_grad(set_to_none=True)
    with torch.cuda.graph(graph):
        static_loss = step()
    seen, start, done = 0, None, 0
    for epoch in range(epochs + 1):  # epoch 0 is not timed
        if epoch == 1:
            torch.cuda.synchronize()
            start = time.perf_counter()
        order = torch.randperm(len(x_all), device="cuda")
        for i in range(steps):
            idx = order[i * BATCH:(i + 1) * BATCH]
            static_x.copy_(x_all[idx])
            static_y.copy_(y_all[idx])
            lr.fill_(0.1 * 0.5 * (1 + math.cos(math.pi * min(done, total) / total)))
            graph.replay()
            done += epoch > 0
            seen += BATCH if epoch else 0
    torch.cuda.synchronize()
    speed = seen / (time.perf_counter() - start)
    model.eval()
    with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16):
        test_x = data.test_x.cuda().contiguous(memory_format=torch.channels_last)
        accuracy = (model(test_x).argmax(1) == data.test_y.cuda()).float().mean().item()
    del static_loss
    return speed, accuracy


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--section", help="write the markdown here instead of docs/benchmarks.md")
    parser.add_argument("--graph-only", action="store_true", help="seed loop and the CUDA-graph prototype")
    args = parser.parse_args()
    torch.backends.cudnn.benchmark = True
    base = seed_loop(args.epochs)
    print(f"seed loop fp32: {base:,.0f} ex/s", flush=True)
    if args.graph_only:
        for label, mode in GRAPHED:
            speed, accuracy = graphed(args.epochs, mode)
            print(f"{label}: {speed:,.0f} ex/s ({speed / base:.2f}×), test accuracy {accuracy:.3f}",
                  flush=True)
        return
    rows = [f"| seed loop (fp32, host batches) | {base:,.0f} | 1.00× | |"]
    for label, mode in (("ours: GPU-resident data, bf16, channels_last, fused SGD", ""),
                        ("ours + torch.compile", "default"),
                        ("ours + torch.compile(mode='max-autotune-no-cudagraphs')",
                         "max-autotune-no-cudagraphs"),
                        ("ours + torch.compile(mode='reduce-overhead')", "reduce-overhead")):
        speed, accuracy = ours(args.epochs, mode)
        rows.append(f"| {label} | {speed:,.0f} | {speed / base:.2f}× | {accuracy:.3f} |")
        print(rows[-1], flush=True)
    for label, mode in GRAPHED:
        speed, accuracy = graphed(args.epochs, mode)
        rows.append(f"| {label} | {speed:,.0f} | {speed / base:.2f}× | {accuracy:.3f} |")
        print(rows[-1], flush=True)
    markdown = "\n".join([
        "## Training throughput on CUDA (`python bench/train_gpu.py`)", "",
        f"{torch.cuda.get_device_name()}, torch {torch.__version__}: the book's DenseNet (`d2l_densenet`), "
        f"1×{SIDE}², batch {BATCH}, digits resized to {SIDE}² ({args.epochs} epochs; steady-state "
        "epochs averaged, evaluation excluded). Target: ≥ 75,000 examples/s.", "",
        "| loop | examples/s | vs seed | test accuracy |", "|---|---:|---:|---:|", *rows])
    publish("train_gpu", markdown, args.section)


if __name__ == "__main__":
    main()
