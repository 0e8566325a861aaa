"""Why a DenseNet needs fewer parameters than a ResNet of similar depth, said with the numbers of the
models being compared: a convolution's parameters grow with its input × output channels, and a dense
layer writes only k new channels (reusing the earlier ones by concatenation), where a ResNet's layers
write 64–2048."""
from __future__ import annotations

import statistics

from .i18n import t
from .numbers import spelled


def conv_widths(summary: dict) -> list[int]:
    """Output channels of every convolution, in order."""
    return [row["output_shape"][1] for row in summary["layers"] if row["type"] == "Conv2d"]


def wide_share(summary: dict, wide: int = 512) -> float:
    """The share of the parameters held by convolutions that write ≥ `wide` channels."""
    held = sum(row["params"] for row in summary["layers"]
               if row["type"] == "Conv2d" and row["output_shape"][1] >= wide)
    return held / summary["total_params"]


def lines(models: list[dict]) -> list[str]:
    """One line per compared DenseNet or ResNet and the reason, or nothing when the comparison does
    not hold both families."""
    families = {m["summary"]["family"] for m in models}
    if not {"densenet", "resnet"} <= families:
        return []
    out = []
    for m in models:
        s = m["summary"]
        if s["family"] not in ("densenet", "resnet"):
            continue
        widths = conv_widths(s)
        values = dict(name=m["name"], depth=s["depth"], params=spelled(s["total_params"]), low=min(widths),
                      high=max(widths), median=round(statistics.median(widths)), share=wide_share(s))
        if s["family"] == "densenet":
            out.append(t("compare.why_densenet", k=s["config"]["growth_rate"], **values))
        else:
            out.append(t("compare.why_resnet", **values))
    return [*out, t("compare.why")]
