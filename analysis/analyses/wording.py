"""Numbers in sentences: one rounding rule for an estimate and its interval."""

from __future__ import annotations

import math

import numpy as np


def decimals(*values: float) -> int:
    """Decimals for printing a group of related numbers (an estimate and its interval) alike:
    chosen from the largest magnitude so the group reads "0.10 (0.09 to 0.11)", not
    "0.10 (0.0915 to 0.11)"; small numbers keep two significant digits."""
    finite = [abs(v) for v in values if v is not None and np.isfinite(v)]
    m = max(finite, default=0.0)
    if m >= 100:
        return 0
    if m >= 1:
        return 1
    if m >= 0.1 or m == 0:
        return 2
    return int(math.ceil(-math.log10(m))) + 1


def fmt(x: float, places: int | None = None) -> str:
    """A number rounded for a sentence (see ``decimals``), thousands separated."""
    if x is None or not np.isfinite(x):
        return "nan"
    d = decimals(x) if places is None else places
    return f"{x:,.{d}f}"
