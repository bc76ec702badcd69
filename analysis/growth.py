"""Growth of the 287(g) list: counts at the dates the articles name, and percent increases.

Articles mix units: "135 police departments and sheriff's offices" is a count of agencies,
but the 135 ICE listed on the eve of the inauguration are rows of the sheet, i.e. agreements
(an agency with two models has two rows). Both are computed so the reader can see which one
a printed number matches.
"""

from __future__ import annotations

from . import query
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


def neighbours(as_of: str, kind: str = "participating") -> list[dict]:
    """The snapshots just before and after a date: how sensitive an undated claim is."""
    snaps = query.snapshots(kind)
    day = query.parse_date(as_of)
    before = snaps[snaps["published"] <= day].tail(1)
    after = snaps[snaps["published"] > day].head(1)
    out = []
    for label, frame in (("in force", before), ("next", after)):
        for snap in frame.itertuples():
            c = counts_at(snap.published.isoformat(), kind)
            out.append({"which": label, "published": snap.published.isoformat(), "edition": snap.edition,
                        "agreements": c["agreements"], "agencies": c["agencies"], "states": c["states"]})  # fmt: skip
    return out


def compute(*, inauguration: str, breitbart_date: str, voz_date: str) -> list[Result]:
    start = counts_at(inauguration)
    bb = counts_at(breitbart_date)
    voz = counts_at(voz_date)
    res = []
    for unit in ("agreements", "agencies"):
        res.append(Result(f"{unit}_at_inauguration", start[unit], unit, inauguration, start["snapshot"]))
        res.append(Result(f"{unit}_breitbart_today", bb[unit], unit, breitbart_date, bb["snapshot"]))
        res.append(Result(f"{unit}_voz", voz[unit], unit, voz_date, voz["snapshot"],
                          {"sensitivity": neighbours(voz_date)}))  # fmt: skip
        res.append(Result(f"pct_increase_breitbart_{unit}", pct_increase(start[unit], bb[unit]), "percent",
                          breitbart_date, f"{start['snapshot']} -> {bb['snapshot']}",
                          {"from": start[unit], "to": bb[unit]}))  # fmt: skip
        res.append(Result(f"pct_increase_voz_{unit}", pct_increase(start[unit], voz[unit]), "percent", voz_date,
                          f"{start['snapshot']} -> {voz['snapshot']}", {"from": start[unit], "to": voz[unit]}))  # fmt: skip
    res.append(Result("states_voz", voz["states"], "states", voz_date, voz["snapshot"],
                      {"note": "50 states + DC with at least one agreement; territories not counted",
                       "sensitivity": neighbours(voz_date)}))  # fmt: skip
    return res
