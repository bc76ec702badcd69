"""QA invariants checked after every build (in the spirit of deportationdata/ice-287g).

Each check yields rows of ``check, scope, value, expected, status``. A ``fail`` stops the
build; a ``warn`` records something a reader should know (a duplicated row ICE printed, a
blank support type) without changing any count.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import table_spec

COLUMNS = table_spec.QA.names


def _row(check: str, scope: str, value, expected, ok: bool, *, warn_only: bool = False) -> dict:
    status = "pass" if ok else ("warn" if warn_only else "fail")
    return {"check": check, "scope": scope, "value": str(value), "expected": str(expected), "status": status}


def run_checks(agreements: pd.DataFrame, snapshots: pd.DataFrame, corrections: pd.DataFrame) -> pd.DataFrame:
    rows = snapshot_checks(agreements, snapshots) + global_checks(set(agreements["state"].unique()), snapshots)
    rows += geography_checks(agreements, snapshots)
    return pd.DataFrame(rows, columns=COLUMNS)


def geography_checks(agreements: pd.DataFrame, snapshots: pd.DataFrame) -> list[dict]:
    """Every row has a geo level (none dropped or left blank), and the newest participating sheet
    (snapshots' county_coverage) is placed in counties at least at geography.COVERAGE_FLOOR. An
    append checks its new rows; the built ones passed when they were built."""
    from .geography import COVERAGE_FLOOR, COVERAGE_MIN_ROWS, GEO_LEVELS, newest_coverage

    blank = int((~agreements["geo_level"].isin(GEO_LEVELS)).sum())
    rows = [_row("every agreement row has a geo level", "all", blank, 0, blank == 0)]
    newest = newest_coverage(snapshots)
    if newest is not None:
        sid, share = newest
        n = int(snapshots.loc[snapshots["snapshot_id"].eq(sid), "rows"].iloc[0])
        rows.append(_row("county coverage of the newest participating sheet (share of its agreement rows)", "all",
                         f"{sid}: {share:.4f} of {n} rows", f">= {COVERAGE_FLOOR}", share >= COVERAGE_FLOOR,
                         warn_only=n < COVERAGE_MIN_ROWS))  # fmt: skip
    return rows


def snapshot_checks(agreements: pd.DataFrame, snapshots: pd.DataFrame) -> list[dict]:
    """The checks of each sheet on its own (an archive append runs them on the new sheets only)."""
    rows: list[dict] = []
    # Per-snapshot figures as plain dicts: the loop below runs once per sheet (1,128 in the archive).
    # Counted on integer codes of snapshot_id (rows without one are left out, as groupby does).
    snap_codes, sids = agreements["snapshot_id"].factorize()
    has_sid = snap_codes >= 0

    def per_snapshot(mask) -> dict:
        """snapshot_id -> number of its rows where ``mask`` holds."""
        counted = snap_codes[has_sid & np.asarray(mask, dtype=bool)]
        return dict(zip(sids.tolist(), np.bincount(counted, minlength=len(sids)).tolist()))

    counts = per_snapshot(True)
    agencies = dict(zip(sids.tolist(), _distinct_per_snapshot(snap_codes, len(sids), agreements["agency_id"]).tolist()))
    model_sum = per_snapshot(agreements["model"].fillna("unstated").notna().to_numpy())  # groupby size, then summed
    dupes = per_snapshot(agreements["is_duplicate"].to_numpy(dtype=bool))
    blank_model = per_snapshot(agreements["model"].isna().to_numpy())
    after = per_snapshot((agreements["signed"] > agreements["published"]).to_numpy(dtype=bool))

    for snap in snapshots.itertuples():
        sid = snap.snapshot_id
        n = int(counts.get(sid, 0))
        if snap.rows_registry >= 0:  # the registry counts rows as printed: exact duplicates dropped are added back
            read = n + int(getattr(snap, "rows_duplicate", 0))
            rows.append(_row("rows read = registry rows", sid, read, snap.rows_registry, read == snap.rows_registry))
        if snap.layout_registry:
            rows.append(_row("layout = registry layout", sid, snap.layout, snap.layout_registry, snap.layout == snap.layout_registry))
        rows.append(_row("kind by content = registry kind", sid, snap.kind, snap.kind_registry, snap.kind == snap.kind_registry))
        by_model = int(model_sum.get(sid, 0))
        rows.append(_row("rows by model add up to total", sid, by_model, n, by_model == n))
        a = int(agencies.get(sid, 0))
        rows.append(_row("agencies <= agreements", sid, a, f"<= {n}", a <= n))
        rows.append(_row("signed on or before publication", sid, int(after.get(sid, 0)), 0, int(after.get(sid, 0)) == 0))
        d = int(dupes.get(sid, 0))
        rows.append(_row("agreement ids unique (duplicate rows kept, flagged)", sid, d, 0, d == 0, warn_only=True))
        b = int(blank_model.get(sid, 0))
        rows.append(_row("support type stated", sid, b, 0, b == 0, warn_only=True))
    return rows


def _distinct_per_snapshot(sid: np.ndarray, n_snapshots: int, values: pd.Series, rows=None) -> np.ndarray:
    """Number of distinct non-missing ``values`` on each snapshot's rows (groupby nunique), by
    snapshot code (sid: snapshot_id factorized, -1 where missing); ``rows``: a mask of rows to count."""
    codes, uniques = values.factorize()
    keep = (sid >= 0) & (codes >= 0) if rows is None else rows & (sid >= 0) & (codes >= 0)
    width = max(len(uniques), 1)
    pairs = np.sort(sid[keep].astype("int64") * width + codes[keep])
    first = np.ones(len(pairs), dtype=bool)
    first[1:] = pairs[1:] != pairs[:-1]
    return np.bincount(pairs[first] // width, minlength=n_snapshots)


def global_checks(states: set[str], snapshots: pd.DataFrame) -> list[dict]:
    """The checks across sheets: every state code seen, and the snapshot keys."""
    rows: list[dict] = []
    known_states = set(__import__("us").states.mapping("abbr", "name"))
    unknown = sorted(states - known_states)
    rows.append(_row("no state outside the known list", "all", ",".join(unknown) or "none", "none", not unknown))
    twins = int(snapshots.duplicated(["kind", "published", "edition_order"]).sum())
    rows.append(_row("one snapshot per kind, date and edition", "all", twins, 0, twins == 0))
    return rows


def raise_on_failure(qa_table: pd.DataFrame, where: str) -> None:
    """A failed invariant stops the build before any data table is replaced."""
    failed = qa_table.loc[qa_table["status"].eq("fail")]
    if failed.empty:
        return
    from ..core.errors import QAError

    first = failed.iloc[0]
    raise QAError(
        f"{len(failed)} QA check(s) failed, first: {first['check']} on {first['scope']} "
        f"(value {first['value']}, expected {first['expected']}); see {where}; outputs not replaced"
    )
