"""The general questions: how many agreements or agencies on a date, and what changed.

Every answer names its unit and the snapshot it came from. The snapshot in force on a day D is
the latest sheet published on or before D (later editions of the same day win), so "as of D"
means "what ICE's list said at the end of day D" as far as the pinned sheets show.

Every function takes ``source``: "curated" (data/processed/, the default), "archive" (the archive
panel) or a processed folder's path. It is an argument, not a module switch, so two callers in
one process (a test, a notebook, the CLI run in-process) cannot change each other's answers.
"""

from __future__ import annotations

import datetime as dt
import os
from functools import lru_cache
from pathlib import Path

import pandas as pd

from ..core import paths
from ..core.errors import StaleOutputError, UsageError
from .measures import Panel, size

from .asof import BY_CHOICES, KINDS, STALE_AFTER_DAYS, UNITS, parse_date, snapshot_info, to_json  # noqa: F401 (re-exported)
from .asof import refuse_after_newest as refuse


def _built(base) -> tuple[int, int] | None:
    """Which build ``base`` holds: its snapshots table's inode and mtime. Every build replaces the
    table (atomic rename or folder exchange), so a rebuild - by add-sheet in this process, say -
    is a new cache key and nobody has to clear the cache."""
    try:
        st = os.stat(Path(base) / "snapshots.parquet")
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns


@lru_cache(maxsize=4)
def _load(processed: str, built: tuple[int, int] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    base = Path(processed)
    agreements_path, snapshots_path = base / "agreements.parquet", base / "snapshots.parquet"
    if not agreements_path.exists() or not snapshots_path.is_file():  # the archive's is a folder of parts
        archive = base.name == "archive"
        raise StaleOutputError(f"processed tables not found; run `python -m analysis build{' --archive' if archive else ''}`",
                               path="data/processed" + ("/archive" if archive else ""))  # fmt: skip
    from ..core.atomic import read_consistent

    # both tables from the same build, even if one is swapped in between the two reads
    agreements, snapshots = read_consistent(base, lambda: (pd.read_parquet(agreements_path), pd.read_parquet(snapshots_path)))
    snapshots["published"] = pd.to_datetime(snapshots["published"]).dt.date
    return agreements, snapshots


SOURCES = ("curated", "archive")


Source = str | Path | Panel


def processed_dir(source: Source = "curated") -> Path:
    """Where ``source`` lives: "curated" is data/processed/, "archive" is data/processed/archive/
    (built by ``build --archive``: every archived sheet, day by day); a path is taken as is, and a
    measures.Panel answers from its own folder."""
    if isinstance(source, Panel):
        return source.folder
    if isinstance(source, Path):
        return source
    if source not in SOURCES:
        raise UsageError(f"source must be curated or archive, not {source!r}")
    return paths.PROCESSED_DIR / "archive" if source == "archive" else paths.PROCESSED_DIR


def tables(source: Source = "curated") -> tuple[pd.DataFrame, pd.DataFrame]:
    """The agreements and snapshots tables of ``source`` (cached per process, keyed by path and build)."""
    base = processed_dir(source)
    return _load(str(base), _built(base))


def snapshots(kind: str | None = "participating", *, source: Source = "curated") -> pd.DataFrame:
    """The snapshots of ``kind`` (every kind when None) in the order they were published."""
    _, snaps = tables(source)
    snaps = snaps if kind is None else snaps[snaps["kind"] == kind]
    return snaps.sort_values(["published", "edition_order"], ignore_index=True)


def snapshot_in_force(as_of: str | dt.date, kind: str = "participating", *, source: Source = "curated") -> pd.Series:
    """The latest snapshot published on or before ``as_of``; refuses earlier dates."""
    if kind not in KINDS:
        raise UsageError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    day = parse_date(as_of)
    snaps = snapshots(kind, source=source)
    eligible = snaps[snaps["published"] <= day]
    if eligible.empty:
        first = snaps["published"].min()
        raise UsageError(f"{day} is before the first {kind} snapshot ({first}); no data for that date")
    return eligible.iloc[-1]


def newest(kind: str | None = None, *, source: Source = "curated") -> pd.Series | None:
    """The newest snapshot of ``kind`` (of any kind when None); None when there is none."""
    snaps = snapshots(kind, source=source)
    return None if snaps.empty else snaps.iloc[-1]


def refuse_after_newest(day: str | dt.date, kind: str | None = None, *, source: Source = "curated") -> None:
    """A command's date after the newest sheet has no data yet: refused (see asof.refuse_after_newest)."""
    refuse(parse_date(day), kind, newest(kind, source=source))


def rows_of(snapshot_id: str, *, source: Source = "curated") -> pd.DataFrame:
    agreements, _ = tables(source)
    return agreements[agreements["snapshot_id"] == snapshot_id]


def count(
    as_of: str | dt.date,
    *,
    kind: str = "participating",
    unit: str = "agreements",
    by: str | None = None,
    source: Source = "curated",
) -> dict:
    """Counts on the snapshot in force on ``as_of`` as a JSON-ready dict (shape in the README)."""
    if unit not in UNITS:
        raise UsageError(f"unit must be one of {', '.join(UNITS)}, not {unit!r}")
    if by is not None and by not in BY_CHOICES:
        raise UsageError(f"--by must be one of {', '.join(BY_CHOICES)}, not {by!r}")
    day = parse_date(as_of)
    snap = snapshot_in_force(day, kind, source=source)
    frame = rows_of(snap["snapshot_id"], source=source)
    total = size(frame, unit)
    states = int(frame.loc[frame["is_state"], "state"].nunique())
    result = {
        "as_of": day.isoformat(),
        "snapshot": snapshot_info(snap, day),
        "kind": kind,
        "unit": unit,
        "total": int(total),
        "states": states,
        "territories": sorted(frame.loc[~frame["is_state"], "state"].unique().tolist()),
        "groups": [],
    }
    if by:
        keys = BY_CHOICES[by]
        work = frame.assign(model=frame["model"].fillna("unstated"))
        sizes = {key: size(group, unit) for key, group in work.groupby(keys, sort=True)}  # the engine's count
        names = frame.drop_duplicates("state").set_index("state")["state_name"]
        groups = []
        for key, n in sizes.items():
            key = key if isinstance(key, tuple) else (key,)
            group = dict(zip(keys, key))
            if "state" in group:
                group["state_name"] = names[group["state"]]
            group["count"] = int(n)
            group["share"] = round(n / total, 6) if total else 0.0
            groups.append(group)
        groups.sort(key=lambda g: (-g["count"], g.get("state", ""), g.get("model", "")))
        result["groups"] = groups
    return result


def counts_by_snapshot(kind: str = "participating", by: str | None = None, *, source: Source = "curated") -> pd.DataFrame:
    """Agreements and agencies for every snapshot (optionally by state or model): the time series."""
    agreements, _ = tables(source)
    snaps = snapshots(kind, source=source)
    frame = agreements[agreements["kind"] == kind]
    keys = ["snapshot_id"] + (BY_CHOICES[by] if by else [])
    out = frame.assign(model=frame["model"].fillna("unstated")).groupby(keys).agg(
        agreements=("row", "size"), agencies=("agency_id", "nunique")
    )
    out = out.reset_index().merge(snaps[["snapshot_id", "published", "edition", "edition_order"]], on="snapshot_id")
    return out.sort_values(["published", "edition_order"] + keys[1:], ignore_index=True)


def diff(date_from: str | dt.date, date_to: str | dt.date, *, kind: str = "participating", state: str | None = None,
         source: Source = "curated") -> dict:
    """Agencies and agreements added and removed between the snapshots in force on two dates."""
    d1, d2 = parse_date(date_from), parse_date(date_to)
    if d2 < d1:
        raise UsageError(f"--to ({d2}) is before --from ({d1})")
    if state is not None:
        from ..clean.normalize import state_arg

        state = state_arg(state)
    refuse_after_newest(d2, kind, source=source)
    s1, s2 = snapshot_in_force(d1, kind, source=source), snapshot_in_force(d2, kind, source=source)
    a, b = rows_of(s1["snapshot_id"], source=source), rows_of(s2["snapshot_id"], source=source)
    if state:
        a, b = a[a["state"] == state], b[b["state"] == state]

    def listing(frame: pd.DataFrame, ids: set, key: str) -> list[dict]:
        chosen = frame[frame[key].isin(ids)].drop_duplicates(key).sort_values(["state", "agency_name", key])
        cols = ["state", "agency_name", "agency", "agency_id"] + (["model", "signed", "agreement_id"] if key == "agreement_id" else [])
        records = []
        for row in chosen[cols].itertuples(index=False):
            rec = dict(zip(cols, row))
            rec["as_printed"] = rec.pop("agency")
            if "signed" in rec:
                rec["signed"] = None if pd.isna(rec["signed"]) else pd.Timestamp(rec["signed"]).date().isoformat()
                rec["model"] = None if pd.isna(rec["model"]) else rec["model"]
            records.append(rec)
        return records

    ag_a, ag_b = set(a["agency_id"]), set(b["agency_id"])
    ar_a, ar_b = set(a["agreement_id"]), set(b["agreement_id"])
    return {
        "kind": kind,
        "state": state,
        "from": {"as_of": d1.isoformat(), "snapshot": snapshot_info(s1, d1), "agreements": len(a), "agencies": len(ag_a)},
        "to": {"as_of": d2.isoformat(), "snapshot": snapshot_info(s2, d2), "agreements": len(b), "agencies": len(ag_b)},
        "agencies_added": listing(b, ag_b - ag_a, "agency_id"),
        "agencies_removed": listing(a, ag_a - ag_b, "agency_id"),
        "agreements_added": listing(b, ar_b - ar_a, "agreement_id"),
        "agreements_removed": listing(a, ar_a - ar_b, "agreement_id"),
    }
