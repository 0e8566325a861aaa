"""The number format a training run computes in, and why.

"auto" means bf16 autocast where the hardware multiplies bf16 natively: CUDA GPUs, and CPUs whose
/proc/cpuinfo names `amx_bf16` (Intel's matrix units) or `avx512_bf16` (bf16 dot products, e.g. AMD
Zen 4), for a model whose products are large enough to pay for autocast's casts. Measured with
`python bench/train_cpu.py` on an avx512_bf16 CPU (docs/benchmarks.md): densenet40_k12 at 28×28
(405 MFLOPs an image) trains 1.7× faster in bf16, the Train page's default (17 MFLOPs) 1.3×, at the
same test accuracy; d2l_lenet_bn (0.56 MFLOPs) 0.7×, so a CPU model under BF16_MIN_MFLOPS stays fp32.
Elsewhere bf16 is emulated and slower than fp32, so "auto" stays fp32. Weights, gradients and the
optimizer stay fp32 under autocast; only the matrix products and convolutions run in bf16.
"""
from __future__ import annotations

import functools
import pathlib

import torch

PRECISIONS = ("auto", "fp32", "bf16")
CPU_BF16_FLAGS = ("amx_bf16", "avx512_bf16")  # best first
BF16_MIN_MFLOPS = 5  # forward MFLOPs of one image below which autocast costs a CPU more than it saves


def bf16_feature(cpuinfo: str) -> str | None:
    """The native bf16 instruction set named in the first `flags` line of /proc/cpuinfo's text."""
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags = set(line.partition(":")[2].split())
            return next((flag for flag in CPU_BF16_FLAGS if flag in flags), None)
    return None


@functools.cache
def cpu_bf16_feature() -> str | None:
    """This machine's native bf16 instruction set, or None."""
    try:
        return bf16_feature(pathlib.Path("/proc/cpuinfo").read_text())
    except OSError:  # not Linux: no way to tell, so no claim
        return None


def choose(precision: str, device: torch.device, feature: str | None = None,
           flops_per_example: int | None = None) -> tuple[str, str]:
    """("bf16" or "fp32", the reason in words) for a requested precision on a device (`feature`:
    the CPU's bf16 instruction set, by default this machine's; `flops_per_example`: the model's
    forward FLOPs of one image, when known)."""
    if precision != "auto":
        return precision, f"{precision} as requested"
    if device.type == "cuda":
        return "bf16", "auto: bf16 autocast on a CUDA GPU"
    feature = feature or cpu_bf16_feature()
    if feature and flops_per_example is not None and flops_per_example < BF16_MIN_MFLOPS * 1e6:
        return "fp32", (f"auto: fp32, the model is too small for bf16 to pay on a CPU "
                        f"({flops_per_example / 1e6:.2f} MFLOPs an image, under {BF16_MIN_MFLOPS})")
    if feature:
        return "bf16", f"auto: bf16 autocast, the CPU has {feature}"
    return "fp32", "auto: fp32, the CPU has no native bf16 instructions (amx_bf16, avx512_bf16)"


def autocast(precision: str, device: torch.device):
    """The autocast context of a chosen precision ("bf16" or "fp32") on a device."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16")
