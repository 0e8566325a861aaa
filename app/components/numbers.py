"""Numbers for people: exact with separators, or short with the unit spelled out."""
from __future__ import annotations

from .i18n import language, t


def exact(n: int) -> str:
    return f"{n:,}"


def spelled(n: float) -> str:
    """2834161664 -> '2.83 billion' (en) or '2.83十亿' (zh)."""
    for key, size in (("unit.trillion", 1e12), ("unit.billion", 1e9), ("unit.million", 1e6),
                      ("unit.thousand", 1e3)):
        if abs(n) >= size:
            sep = "" if language() == "zh" else " "
            return f"{n / size:.2f}{sep}{t(key)}"
    return f"{n:,.0f}"


def shape(dims) -> str:
    return "×".join(str(d) for d in dims)
