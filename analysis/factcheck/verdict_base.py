"""What every verdict rule shares: the four verdict words, the Verdict record, exact numbers
(to_fraction, so boundaries hold to the last digit) and how values, names and tables are read and
shown. verdicts.py holds the rules' documentation and the numeric rules; verdict_names.py the rules on
names, ranks and tables; both build on this module.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from analysis.core.errors import UsageError

SUPPORTED = "supported"
PARTLY = "partly supported"
NOT_SUPPORTED = "not supported"
NOT_CHECKABLE = "not checkable"
VERDICTS = (SUPPORTED, PARTLY, NOT_SUPPORTED, NOT_CHECKABLE)
NO_VALUE_NOTE = "no reproduced value"

_ORDER = {SUPPORTED: 0, PARTLY: 1, NOT_SUPPORTED: 2, NOT_CHECKABLE: 3}


@dataclass(frozen=True)
class Verdict:
    """One verdict word and a one-line note saying how it was reached."""

    verdict: str
    note: str

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {self.verdict!r}; expected one of {VERDICTS}")

    def to_dict(self) -> dict[str, str]:
        return {"verdict": self.verdict, "note": self.note}


# --------------------------------------------------------------------------------------------
# small helpers


def _is_missing(value: Any) -> bool:
    if type(value) is float:  # the common cases first: a table of thousands of rates is checked value by value
        return math.isnan(value)
    if type(value) is int:
        return False
    if value is None:
        return True
    if type(value).__name__ in {"NAType", "NaTType"}:  # pandas.NA / pandas.NaT without importing pandas
        return True
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, numbers.Integral, Fraction)):
        try:
            return math.isnan(float(value))
        except (TypeError, ValueError):
            return False
    if isinstance(value, (Mapping, list, tuple, set, frozenset)) and len(value) == 0:
        return True
    return False


#: a number as text that to_fraction makes exact: a decimal (at most 18 digits each side of the point,
#: an exponent of at most two digits) or an exact fraction "a/b"; anything longer is refused before
#: Fraction sees it ("1e999999999" took minutes to become exact)
NUMBER_TEXT = (r"^\s*[+-]?([0-9]{1,18}(\.[0-9]{0,18})?|\.[0-9]{1,18})([eE][+-]?[0-9]{1,2})?\s*$"
               r"|^\s*[+-]?[0-9]{1,18}\s*/\s*[0-9]{1,18}\s*$")  # fmt: skip
_NUMBER_TEXT = re.compile(NUMBER_TEXT)
MAX_NUMBER_TEXT = 80


def to_fraction(value: Any, what: str = "value") -> Fraction:
    """An exact Fraction for an int, float (via its shortest repr), Decimal, Fraction or "a/b" string;
    text and Decimals beyond NUMBER_TEXT's bounds are refused."""
    if type(value) is float and math.isfinite(value):  # a table of thousands of rates: skip the ABC checks
        return Fraction(Decimal(repr(value)))  # the shortest repr's exact value, as Fraction(repr(value)) reads it
    if type(value) is int:
        return Fraction(value)
    if isinstance(value, bool):
        raise UsageError(f"{what} must be a number, not a boolean")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, numbers.Integral):
        return Fraction(int(value))
    if isinstance(value, Decimal):
        if not value.is_finite() or abs(value.adjusted()) > 99:
            raise UsageError(f"{what} must be finite, with an exponent of at most two digits, got {value}")
        return Fraction(value)
    if isinstance(value, numbers.Real):
        f = float(value)
        if not math.isfinite(f):
            raise UsageError(f"{what} must be finite, got {f}")
        return Fraction(repr(f))
    if isinstance(value, str):
        try:
            if len(value) <= MAX_NUMBER_TEXT and _NUMBER_TEXT.match(value):
                return Fraction(value.strip())
        except (ValueError, ZeroDivisionError):
            pass
        shown = value if len(value) <= 60 else value[:57] + "..."
        raise UsageError(f"{what} must be a number or a fraction like '1/3' (at most 18 digits each side, an exponent "
                         f"of at most two digits), got {shown!r}")  # fmt: skip
    raise UsageError(f"{what} must be a number, got {type(value).__name__}")


def _fmt(q: Fraction) -> str:
    if q.denominator == 1:
        return f"{q.numerator:,}"
    return format(float(q), ",.6g")


def _pct(q: Fraction) -> str:
    return f"{float(q) * 100:.4g}%"


def _rel(diff: Fraction, claimed: Fraction) -> Fraction:
    return diff / abs(claimed) if claimed != 0 else diff


def _norm(name: str) -> str:
    return " ".join(str(name).split()).casefold()


def _names(value: Any, what: str) -> list[str]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise UsageError(f"{what} must be a list of names, got {type(value).__name__}")
    out = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise UsageError(f"{what} must hold non-empty strings, got {item!r}")
        out.append(item)
    return out


def _table(value: Any, what: str) -> dict[str, tuple[str, Fraction]]:
    """name -> count table, keyed by normalised name -> (display name, exact value)."""
    if not isinstance(value, Mapping):
        raise UsageError(f"{what} must be a table name -> number, got {type(value).__name__}")
    out: dict[str, tuple[str, Fraction]] = {}
    for key, val in value.items():
        k = _norm(key)
        if type(val) is float and math.isfinite(val):  # to_fraction's float case, inline: a county table has thousands
            q = Fraction(Decimal(repr(val)))
        else:
            q = Fraction(0) if _is_missing(val) else to_fraction(val, f"{what}[{key!r}]")
        if k in out:  # the same name twice (spelling variants): add up
            out[k] = (out[k][0], out[k][1] + q)
        else:
            out[k] = (str(key), q)
    return out


def _join(items: Iterable[str]) -> str:
    items = list(items)
    return ", ".join(items) if items else "none"


# --------------------------------------------------------------------------------------------
# validation of comparison tables (used by the claim registry at load time, and by evaluate)


def _v(verdict: str, note: str) -> Verdict:
    return Verdict(verdict, " ".join(note.split()))
