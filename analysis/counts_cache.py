"""Counts for every snapshot, precomputed at build time, so `query` answers without pandas.

A command-line query on the archive would otherwise spend a second importing pandas and
reading 337k rows to print one number. ``build`` writes counts.sqlite beside the tables (every
snapshot x unit x grouping, computed with the same rules as query.count, which a test checks),
and the CLI answers from it in well under 0.3 s. Nothing here imports pandas except write().
sqlite (standard library) gives an indexed lookup of the sheet in force without reading the rest;
the file is written to a temp name and renamed, like every output.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from . import atomic

FILE = "counts.sqlite"  # one row per snapshot: its metadata and every count, as JSON
UNITS = ("agreements", "agencies")
CACHED = ("state", "model")  # groupings kept in the cache besides the totals
SNAPSHOT_FIELDS = ("snapshot_id", "file", "kind", "published", "edition", "edition_order", "source_note", "also_live_on")


def _pairs(work, keys: list[str], unit: str) -> dict[str, list]:
    """snapshot_id -> [[key value, count], ...] for one unit and one grouping (state or model)."""
    grouped = work.groupby(["snapshot_id", *keys], sort=True, observed=True)
    sizes = grouped.size() if unit == "agreements" else grouped["agency_id"].nunique()
    out: dict[str, list] = {}
    for (sid, key), n in zip(sizes.index.tolist(), sizes.tolist()):
        out.setdefault(sid, []).append([key, n])
    return out


def write(agreements, snapshots, out_dir: Path) -> Path:
    """Aggregate every snapshot at once (one groupby per unit and grouping) into counts.sqlite.

    Totals and counts by state and by model are cached; the rarer state x model breakdown is
    answered from the tables (query.count), which gives the same numbers, only slower.
    """
    names, rows = snapshot_rows(agreements, snapshots)
    return write_rows(Path(out_dir) / FILE, [names_row(names), *rows])


def names_row(names: dict) -> tuple:
    return ("", "names", "", 0, json.dumps(names, sort_keys=True))


def meta_of(s) -> dict:
    """A snapshot's metadata as stored (s: a row of the snapshots table, as a namedtuple)."""
    meta = {f: getattr(s, f, "") for f in SNAPSHOT_FIELDS}
    meta["published"] = str(meta["published"])[:10]
    meta["also_live_on"] = meta["also_live_on"] if isinstance(meta["also_live_on"], str) else ""
    meta["edition_order"] = int(meta["edition_order"])
    return meta


def snapshot_rows(agreements, snapshots) -> tuple[dict, list[tuple]]:
    """(state code -> name, one sqlite row per snapshot): the rows an append adds for new sheets."""
    work = agreements[["snapshot_id", "state", "state_name", "is_state", "model", "agency_id"]].copy()
    work["model"] = work["model"].fillna("unstated")
    pairs = work[["state", "state_name"]].drop_duplicates()
    names = dict(zip(pairs["state"].tolist(), pairs["state_name"].tolist()))
    states = work[work["is_state"]].groupby("snapshot_id")["state"].nunique().to_dict()
    territories = {sid: sorted(f.unique().tolist()) for sid, f in work[~work["is_state"]].groupby("snapshot_id")["state"]}
    totals = {"agreements": work.groupby("snapshot_id").size().to_dict(),
              "agencies": work.groupby("snapshot_id")["agency_id"].nunique().to_dict()}  # fmt: skip
    tables = {(u, g): _pairs(work, [g], u) for u in UNITS for g in CACHED}
    rows = []
    for s in snapshots.sort_values(["kind", "published", "edition_order", "snapshot_id"]).itertuples(index=False):
        meta = meta_of(s)
        sid = s.snapshot_id
        counts = {u: {"": int(totals[u].get(sid, 0)), **{g: tables[(u, g)].get(sid, []) for g in CACHED}} for u in UNITS}
        data = {"meta": meta, "states": int(states.get(sid, 0)), "territories": territories.get(sid, []), "counts": counts}
        rows.append((sid, meta["kind"], meta["published"], meta["edition_order"], json.dumps(data, sort_keys=True, separators=(",", ":"))))
    return names, rows


def write_rows(path: Path, rows: list[tuple]) -> Path:
    """A new counts.sqlite holding ``rows`` (written to a temp name, then renamed)."""
    import sqlite3

    with atomic.atomic_path(path) as tmp:
        con = sqlite3.connect(tmp)
        con.execute("CREATE TABLE snapshots (snapshot_id TEXT PRIMARY KEY, kind TEXT, published TEXT, "
                    "edition_order INTEGER, data TEXT)")  # fmt: skip
        con.execute("CREATE INDEX by_day ON snapshots (kind, published, edition_order)")
        con.executemany("INSERT INTO snapshots VALUES (?, ?, ?, ?, ?)", rows)
        con.commit()
        con.close()
    return path


def _names(path: str) -> dict:
    import sqlite3

    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return json.loads(con.execute("SELECT data FROM snapshots WHERE kind = 'names'").fetchone()[0])
    finally:
        con.close()


def in_force(path: Path, day: dt.date, kind: str) -> dict | None:
    """The latest snapshot of ``kind`` published on or before ``day`` (later editions win)."""
    import sqlite3

    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = con.execute("SELECT data FROM snapshots WHERE kind = ? AND published <= ? "
                          "ORDER BY published DESC, edition_order DESC, snapshot_id DESC LIMIT 1",
                          (kind, day.isoformat())).fetchone()  # fmt: skip
    finally:
        con.close()
    return json.loads(row[0]) if row else None


def count(path: Path, day: dt.date, kind: str, unit: str, by: str | None, info) -> dict | None:
    """query.count's answer from the cache; None when there is no cache or the date is before the first sheet."""
    if not Path(path).is_file() or (by is not None and by not in CACHED):
        return None
    snap = in_force(path, day, kind)
    if snap is None:
        return None
    counts = snap["counts"][unit]
    total = counts[""]
    groups = []
    if by:
        names = _names(str(path)) if by == "state" else {}
        for key, n in counts[by]:
            group = {by: key, "state_name": names.get(key)} if by == "state" else {by: key}
            groups.append({**group, "count": n, "share": round(n / total, 6) if total else 0.0})
        groups.sort(key=lambda g: (-g["count"], g.get("state", ""), g.get("model", "")))
    meta = dict(snap["meta"], published=dt.date.fromisoformat(snap["meta"]["published"]))
    return {"as_of": day.isoformat(), "snapshot": info(meta, day), "kind": kind, "unit": unit, "total": total,
            "states": snap["states"], "territories": snap["territories"], "groups": groups}  # fmt: skip
