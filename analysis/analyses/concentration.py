"""Where the agreements are: state shares, the top five, Florida's share, states with none."""

from __future__ import annotations

import pandas as pd

from ..engine import query
from . import concentration_stats
from ..factcheck.results import Result


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
                     "top5_share": concentration_stats.top_k_share(counts, 5), "hhi": concentration_stats.hhi(counts),
                     "n_states": int((counts > 0).sum())})  # fmt: skip
    return pd.DataFrame(rows)


def compute(*, panel=None, output_dir=None, evidence: bool = True, **dates) -> list[Result]:
    """The engine's value for each concentration claim (dates: the registry's, or ``<article>_date`` what-ifs)."""
    from ..factcheck import claims

    return claims.measured_results("concentration", dates=dates, panel=panel, output_dir=output_dir, evidence=evidence)
