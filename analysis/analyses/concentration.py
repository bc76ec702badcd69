"""Where the agreements are: state shares, the top five, Florida's share, states with none."""

from __future__ import annotations

import pandas as pd

from . import concentration_stats
from ..factcheck.results import Result


def florida_share_series(unit: str = "agreements", *, source) -> pd.DataFrame:
    """Florida's share, the top five's share, the HHI and the states with any, on every participating
    sheet of the panel: the engine's share (every row of the sheet, territories included, in the
    denominator) and its per-sheet table by state, from engine.series (one producer); ``source``: a
    panel, or a project (its default panel)."""
    from ..engine import reader, series
    from ..engine.measures import Measure

    panel = reader.open_panel(source)
    fl = series.series(Measure(unit=unit, state=("FL",), statistic="share"), panel)
    tables = series.series(Measure(unit=unit, statistic="breakdown", by="state"), panel)
    states = series.series(Measure(unit=unit, statistic="n_states"), panel)
    out = fl[["snapshot_id", "published", "edition", "edition_order"]].copy()
    counts = [pd.Series(t, dtype="int64") for t in tables["table"]]
    out["total"] = [int(c.sum()) for c in counts]
    out["florida_share"] = [float(v) for v in fl["value"]]
    both = [concentration_stats.top_k_share_and_hhi(c, 5) for c in counts]
    out["top5_share"] = [top5 for top5, _ in both]
    out["hhi"] = [hhi for _, hhi in both]
    out["n_states"] = states["value"].astype(int).tolist()
    return out


def compute(project, *, panel=None, output_dir=None, evidence: bool = True, **dates) -> list[Result]:
    """The engine's value for each concentration claim (dates: the registry's, or ``<article>_date`` what-ifs)."""
    from ..factcheck import claims

    return claims.measured_results(project, "concentration", dates=dates, panel=panel, output_dir=output_dir,
                                   evidence=evidence)  # fmt: skip
