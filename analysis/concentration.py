"""Where the agreements are: state shares, the top five, Florida's share, states with none."""

from __future__ import annotations

import pandas as pd

from . import query, sensitivity, stats
from .results import Result


def state_counts(as_of: str, unit: str = "agreements") -> tuple[pd.Series, dict]:
    """Counts by state (50 states + DC only) on the snapshot in force, and that snapshot."""
    result = query.count(as_of, unit=unit, by="state")
    groups = [g for g in result["groups"] if g["state"] not in result["territories"]]
    counts = pd.Series({g["state"]: g["count"] for g in groups}, dtype="int64").sort_index()
    return counts, result


def florida_share_series(unit: str = "agreements") -> pd.DataFrame:
    """Florida's and the top five's share on every participating snapshot (territories included
    in the denominator: they are agreements in ICE's national total)."""
    series = query.counts_by_snapshot("participating", by="state")
    rows = []
    for (sid, published), frame in series.groupby(["snapshot_id", "published"], sort=False):
        counts = frame.set_index("state")[unit]
        rows.append({"snapshot_id": sid, "published": published, "total": int(counts.sum()),
                     "florida_share": float(counts.get("FL", 0) / counts.sum()),
                     "top5_share": stats.top_k_share(counts, 5), "hhi": stats.hhi(counts),
                     "n_states": int((counts > 0).sum())})  # fmt: skip
    return pd.DataFrame(rows)


def by_state_names(as_of: str, unit: str) -> tuple[dict[str, int], dict]:
    """State name -> count (50 states + DC; territories listed separately in the detail)."""
    counts, result = state_counts(as_of, unit)
    names = {g["state"]: g["state_name"] for g in result["groups"]}
    return {names[s]: int(n) for s, n in counts.items()}, result


def compute(*, axios_date: str, catn_date: str, voz_date: str) -> list[Result]:
    res = []
    for date in (axios_date, catn_date):
        for unit in ("agreements", "agencies"):
            table, result = by_state_names(date, unit)
            counts, _ = state_counts(date, unit)
            res.append(Result(f"{unit}_by_state_{date.replace('-', '_')}", table, unit, date,
                              result["snapshot"]["file"],
                              {"top5": stats.top_k(counts, 5), "ties_at_5th": stats.top_k_ties(counts, 5),
                               "top5_share": stats.top_k_share(counts, 5), "total_incl_territories": result["total"],
                               "territories": result["territories"],
                               "sensitivity": sensitivity.values(date, lambda d, u=unit: by_state_names(d, u)[0])}))  # fmt: skip
    voz = query.count(voz_date)
    res.append(Result(f"states_with_agreements_{voz_date.replace('-', '_')}", voz["states"], "states", voz_date,
                      voz["snapshot"]["file"], {"territories": voz["territories"],
                      "sensitivity": sensitivity.values(voz_date, lambda d: query.count(d)["states"])}))  # fmt: skip
    return res
