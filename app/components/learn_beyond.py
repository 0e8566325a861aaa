"""Learn questions beyond the chapter (d2l-en 8.6 and 8.8; VoVNet, Lee et al. 2019): grouped convolutions,
RegNet's design rules, one-shot aggregation against dense connections, memory-bound against
compute-bound. Each is asked of the model on screen; its answer is computed from its config, its
channel growth or core's roofline, never written in."""
from __future__ import annotations

from .i18n import t
from .numbers import exact


def grouped(config: dict) -> dict | None:
    """A bottleneck's 3×3 in groups: 1/groups of the weights of an ungrouped one (ResNeXt)."""
    if config.get("block") != "bottleneck":
        return None
    inner = int(config["width"] * config["width_per_group"] / 64) * config["groups"]
    # an ungrouped model is asked about ResNeXt's 32 groups, or as many as divide its width
    groups = config["groups"] if config["groups"] > 1 else next(
        (g for g in (32, 16, 8, 4, 2) if inner % g == 0), None)
    if groups is None:
        return None
    full = inner * inner * 9
    return dict(question=t("q.grouped", inner=inner, groups=groups),
                answer=t("a.grouped", grouped=exact(full // groups), full=exact(full), groups=groups),
                why=t("why.grouped", per=inner // groups))


def regnet_rules(config: dict) -> dict:
    widths, depths = config["widths"], config["depths"]
    growing = all(a <= b for a, b in zip(widths, widths[1:]))
    return dict(question=t("q.regnet"),
                answer=t("a.regnet", widths=" → ".join(map(str, widths)), depths=" → ".join(map(str, depths)),
                         trend=t("a.regnet_grows" if growing else "a.regnet_not"), g=config["group_width"],
                         b=f"{config['bottleneck_ratio']:g}"),
                why=t("why.regnet"))


def one_shot(block: dict) -> dict:
    """Connections into the layers of one block: L(L+1)/2 dense, L one-shot."""
    n = len(block["layer_inputs"])
    return dict(question=t("q.osa", block=block["name"], n=n),
                answer=t("a.osa", osa=n, dense=n * (n + 1) // 2),
                why=t("why.osa", n=n, outputs=n + 1))


def bound(speed: dict) -> dict | None:
    if "error" in speed:
        return None
    memory = speed["memory_bound_share"] >= 0.5
    return dict(question=t("q.bound", gpu=speed["gpu_name"], batch=speed["batch"]),
                answer=t("a.bound_memory" if memory else "a.bound_compute",
                         share=speed["memory_bound_share"]),
                why=t("why.bound", intensity=speed["intensity"], ridge=speed["ridge"]))


def questions(family: str, config: dict, growth: dict, speed: dict) -> list[dict]:
    found = [grouped(config) if family == "resnet" else None,
             regnet_rules(config) if family == "regnet" else None,
             one_shot(growth["dense_blocks"][0]) if growth["dense_blocks"] else None,
             bound(speed)]
    return [q for q in found if q]
