"""Memory traffic and a roofline: why a network with few FLOPs can still be slow.

Per layer of an analysis (one forward pass, batch 1 rows scaled by the batch): the bytes it reads (its
inputs and its weights) and writes (its output) at the chosen dtype, its arithmetic intensity
(FLOPs per byte), and the time the roofline model predicts on a named GPU:

    time = max(FLOPs / peak FLOP/s, bytes / memory bandwidth)

with the tensor-core peak for convolutions and linear layers and the vector peak for the rest. This
is "MAC" in the sense of VoVNet and ShuffleNet V2 (memory access cost: bytes moved), not multiply-
accumulates. A training step is taken as three forward passes (the backward pass computes the
gradients of the inputs and of the weights: twice the forward's work and traffic).

Limits, stated with every figure: each layer's tensors go to and from memory once (no cache reuse
between layers, no fusion: a real BN+ReLU after a convolution may be fused and move less); the peaks
are the data sheets' and are never reached (cuDNN reaches some fraction); kernel launch gaps, the
optimizer step and data loading are not modelled. The prediction is a lower bound on the time.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

DTYPE_BYTES = {"fp32": 4, "bf16": 2}
TENSOR_OPS = {"Conv2d", "Linear"}
VIEW_OPS = {"Flatten", "getitem"}  # a view moves no bytes
TRAINING_PASSES = 3


@dataclass(frozen=True)
class Gpu:
    name: str
    tensor_flops: dict   # dtype -> peak FLOP/s of convolutions and matrix products
    vector_flops: dict   # dtype -> peak FLOP/s of everything else
    bandwidth: float     # bytes/s
    source: str

    @property
    def ridge(self) -> dict:
        """Arithmetic intensity (FLOPs/byte) above which a tensor-core layer is compute-bound."""
        return {dtype: peak / self.bandwidth for dtype, peak in self.tensor_flops.items()}


GPUS = {
    # fp32 convolutions run as TF32 on tensor cores (PyTorch's default for cuDNN convolutions).
    "h100": Gpu("NVIDIA H100 SXM5 80 GB", tensor_flops={"fp32": 494.7e12, "bf16": 989.4e12},
                vector_flops={"fp32": 66.9e12, "bf16": 133.8e12}, bandwidth=3.35e12,
                source="NVIDIA H100 Tensor Core GPU data sheet, SXM5 column: TF32 tensor 989 TFLOPS and "
                       "BF16 tensor 1,979 TFLOPS with sparsity (half without: 494.7, 989.4), FP32 67 "
                       "TFLOPS, HBM3 3.35 TB/s"),
    # NVIDIA's laptop data sheet gives cores, clocks and memory but no tensor-core TFLOPS: the CUDA-core
    # peak is 3,072 cores × 2 FLOPs × 2.37 GHz; bf16 runs at the fp32 rate on those cores.
    "rtx4060_laptop": Gpu("NVIDIA GeForce RTX 4060 Laptop GPU",
                          tensor_flops={"fp32": 14.6e12, "bf16": 14.6e12},
                          vector_flops={"fp32": 14.6e12, "bf16": 14.6e12}, bandwidth=256e9,
                          source="NVIDIA GeForce RTX 4060 Laptop GPU specifications: 3,072 CUDA cores, boost "
                                 "clock up to 2,370 MHz, 8 GB GDDR6 on 128 bits at 16 Gbps (256 GB/s)"),
}


def _numel(shape) -> int:
    return math.prod(shape[1:])  # per example: the rows are traced at batch 1


def layer_traffic(row: dict, dtype: str = "fp32") -> dict:
    """Bytes read and written by one layer row of an analysis (per example), and its FLOPs."""
    size = DTYPE_BYTES[dtype]
    if row["type"] in VIEW_OPS:
        read = written = 0
    else:
        read = (sum(_numel(s) for s in row["input_shapes"]) + row["params"]) * size
        written = _numel(row["output_shape"]) * size
    return {"name": row["name"], "type": row["type"], "flops": 2 * row["macs"], "read": read,
            "written": written}


def roofline(layers: list[dict], gpu: str = "h100", dtype: str = "fp32", batch: int = 64) -> dict:
    """Per layer and in total, for a forward pass of `batch` examples: FLOPs, bytes moved, intensity and
    the predicted time (each layer's row says whether memory or compute bounds it); the predicted
    training throughput (examples/s) and the share of the time spent in memory-bound layers."""
    device = GPUS[gpu]
    rows, total = [], {"flops": 0, "bytes": 0, "seconds": 0.0, "memory_bound_seconds": 0.0}
    for layer in layers:
        t = layer_traffic(layer, dtype)
        # Weights are read once per batch, activations once per example.
        params_bytes = layer["params"] * DTYPE_BYTES[dtype] if t["read"] else 0
        moved = (t["read"] - params_bytes + t["written"]) * batch + params_bytes
        flops = t["flops"] * batch
        peak = (device.tensor_flops if layer["type"] in TENSOR_OPS else device.vector_flops)[dtype]
        compute_s, memory_s = flops / peak, moved / device.bandwidth
        seconds = max(compute_s, memory_s)
        rows.append({"name": t["name"], "type": t["type"], "flops": flops, "bytes": moved,
                     "intensity": flops / moved if moved else None, "seconds": seconds,
                     "bound": "memory" if memory_s >= compute_s else "compute"})
        total["flops"] += flops
        total["bytes"] += moved
        total["seconds"] += seconds
        total["memory_bound_seconds"] += seconds if memory_s >= compute_s else 0.0
    step = TRAINING_PASSES * total["seconds"]
    return {"gpu": gpu, "gpu_name": device.name, "dtype": dtype, "batch": batch, "layers": rows,
            "flops": total["flops"], "bytes": total["bytes"],
            "intensity": total["flops"] / total["bytes"] if total["bytes"] else None,
            "forward_seconds": total["seconds"], "training_step_seconds": step,
            "training_examples_per_second": batch / step if step else None,
            "memory_bound_share": total["memory_bound_seconds"] / total["seconds"] if total["seconds"]
            else None,
            "ridge": device.ridge[dtype], "source": device.source}


_ROW = re.compile(r"^\| (\w+) \| (\d+)×(\d+)×(\d+) \|.*\| ([\d,]+) \|$")


def measured_examples_per_second(benchmarks_md: str, section: str = "memory") -> dict[str, dict]:
    """{preset: {"input_shape", "examples_per_second"}} from a section of docs/benchmarks.md written by
    bench/memory.py (the H100 training rows: fp32, batch 64, SGD with momentum)."""
    start = benchmarks_md.find(f"<!-- bench:{section} -->")
    end = benchmarks_md.find(f"<!-- /bench:{section} -->", start)
    rows = {}
    for line in benchmarks_md[start:end].splitlines() if start >= 0 else []:
        if match := _ROW.match(line.strip()):
            name, c, h, w, speed = match.groups()
            rows.setdefault(name, {"input_shape": (int(c), int(h), int(w)),
                                   "examples_per_second": int(speed.replace(",", ""))})
    return rows
