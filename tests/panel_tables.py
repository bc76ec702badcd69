"""Every table of a built archive panel, in a form two builds can be compared by (tests only)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd

from analysis.store import panel


def read_all(base: Path) -> dict:
    """Tables of an archive panel folder (a project's data/processed/archive/, ``Project.archive``):
    agreements in their canonical row order (an append adds parts, so the folder's order is by
    part), the rest as written."""
    base = Path(base)
    agreements = pd.read_parquet(base / "agreements.parquet")
    agreements = agreements.sort_values(["kind", "published", "snapshot_id", "row"], ignore_index=True)
    con = sqlite3.connect(base / "counts.sqlite")
    try:
        counts = con.execute("SELECT * FROM snapshots ORDER BY snapshot_id").fetchall()  # an append adds rows at the end
    finally:
        con.close()
    return {
        "agreements": agreements,
        "snapshots": pd.read_parquet(base / "snapshots.parquet"),
        "history": pd.read_parquet(base / "history.parquet"),
        "corrections": (base / "corrections.csv").read_text(),
        "qa": (base / "qa.csv").read_text(),
        "counts": counts,
        # What the ids depend on; which part holds which agency depends on how the rows came in, and
        # the placements cached per (state, county, agency_name, type) keep an agency's former names.
        "context": {k: v for k, v in panel.read_context(base).items() if k not in ("parts", "places")},
    }


def differences(a: dict, b: dict) -> list[str]:
    """Names of the tables that differ (empty when the two panels are the same)."""
    out = []
    for name in a:
        x, y = a[name], b[name]
        same = x.equals(y) if isinstance(x, pd.DataFrame) else x == y
        if not same:
            out.append(name)
    return out
