"""Where the agreements are: state shares, the top five, Florida's share, states with none."""

from __future__ import annotations

import pandas as pd

from . import query, stats
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


def compute(*, axios_date: str, catn_date: str, unit: str = "agreements") -> list[Result]:
    res = []
    for label, as_of in (("axios", axios_date), ("catn", catn_date)):
        for u in ("agreements", "agencies"):
            counts, result = state_counts(as_of, u)
            snap = result["snapshot"]["file"]
            res.append(Result(f"top5_states_{label}_{u}", stats.top_k(counts, 5), "states", as_of, snap,
                              {"counts": counts.sort_values(ascending=False).head(8).to_dict(),
                               "ties_at_5th": stats.top_k_ties(counts, 5),
                               "top5_share": stats.top_k_share(counts, 5)}))  # fmt: skip
    for u in ("agreements", "agencies"):
        full = query.count(catn_date, unit=u, by="state")
        fl = next((g for g in full["groups"] if g["state"] == "FL"), {"count": 0})
        res.append(Result(f"florida_share_catn_{u}", fl["count"] / full["total"], "share", catn_date,
                          full["snapshot"]["file"], {"florida": fl["count"], "total": full["total"]}))  # fmt: skip
    counts, result = state_counts(catn_date, "agreements")
    res.append(Result("agreements_in_ca_il_catn", {s: int(counts.get(s, 0)) for s in ("CA", "IL")}, "agreements",
                      catn_date, result["snapshot"]["file"]))  # fmt: skip
    return res
