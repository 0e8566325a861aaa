"""Numbers for people: exact with separators, or short with the unit spelled out."""
from __future__ import annotations

from .i18n import language, t


def exact(n: int) -> str:
    return f"{n:,}"


# Chinese counts large numbers in 万 (10^4) and 亿 (10^8), not in thousands and millions.
_UNITS = {"en": ((1e12, "unit.trillion"), (1e9, "unit.billion"), (1e6, "unit.million"),
                 (1e3, "unit.thousand")),
          "zh": ((1e12, "unit.trillion"), (1e8, "unit.yi"), (1e4, "unit.wan"))}


def spelled(n: float) -> str:
    """2834161664 -> '2.83 billion' (en) or '28.34 亿' (zh)."""
    for size, key in _UNITS[language()]:
        if abs(n) >= size:
            return f"{n / size:.2f} {t(key)}"
    return f"{n:,.0f}"


def shape(dims) -> str:
    return "×".join(str(d) for d in dims)
