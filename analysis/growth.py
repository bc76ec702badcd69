"""Growth of the 287(g) list: counts at the dates the articles name, and percent increases.

Articles mix units: "135 police departments and sheriff's offices" is a count of agencies,
but the 135 ICE listed on the eve of the inauguration are rows of the sheet, i.e. agreements
(an agency with two models has two rows). Both are computed so the reader can see which one
a printed number matches.
"""

from __future__ import annotations

from . import query, sensitivity
from .results import Result


def counts_at(as_of: str, kind: str = "participating") -> dict:
    """Agreements, agencies and states on the snapshot in force on ``as_of``."""
    agreements = query.count(as_of, kind=kind, unit="agreements")
    agencies = query.count(as_of, kind=kind, unit="agencies")
    return {
        "agreements": agreements["total"],
        "agencies": agencies["total"],
        "states": agreements["states"],
        "snapshot": agreements["snapshot"]["file"],
        "published": agreements["snapshot"]["published"],
    }


def pct_increase(before: float, after: float) -> float:
    if before <= 0:
        raise ValueError("percent increase needs a positive starting value")
    return 100.0 * (after - before) / before


def _key(date: str) -> str:
    return date.replace("-", "_")


def compute(*, inauguration: str, breitbart_date: str, voz_date: str) -> list[Result]:
    """Counts at the inauguration and on each article's date, in both units, and the increases."""
    start = counts_at(inauguration)
    res = []
    for unit in ("agreements", "agencies"):
        res.append(Result(f"{unit}_at_inauguration", start[unit], unit, inauguration, start["snapshot"]))
    for date in (breitbart_date, voz_date):
        now = counts_at(date)
        around = sensitivity.values(date, counts_at)
        for unit in ("agreements", "agencies"):
            sens = [{**s, "value": s["value"][unit]} for s in around]
            res.append(Result(f"{unit}_{_key(date)}", now[unit], unit, date, now["snapshot"], {"sensitivity": sens}))
        pct_sens = [{**s, "value": round(pct_increase(start["agreements"], s["value"]["agreements"]), 4)} for s in around]
        res.append(Result(f"pct_increase_agreements_{_key(date)}", pct_increase(start["agreements"], now["agreements"]),
                          "percent", date, f"{start['snapshot']} -> {now['snapshot']}",
                          {"from": start["agreements"], "to": now["agreements"],
                           "agencies_pct": round(pct_increase(start["agencies"], now["agencies"]), 4),
                           "sensitivity": pct_sens}))  # fmt: skip
    return res
