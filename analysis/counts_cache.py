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


def write(agreements, snapshots, out_dir: Path) -> Path:
    """Aggregate every snapshot at once (snapshot_rows) into counts.sqlite.

    Totals and counts by state and by model are cached; the rarer state x model breakdown is
    answered from the tables (query.count), which gives the same numbers, only slower.
    """
    names, rows = snapshot_rows(agreements, snapshots)
    return write_rows(Path(out_dir) / FILE, [names_row(names), *rows])


def names_row(names: dict) -> tuple:
    return ("", "names", "", 0, json.dumps(names, sort_keys=True))


def meta_of(values: dict) -> dict:
    """A snapshot's metadata as stored (values: field -> value from the snapshots table; absent fields are "")."""
    meta = {f: values.get(f, "") for f in SNAPSHOT_FIELDS}
    meta["published"] = str(meta["published"])[:10]
    meta["also_live_on"] = meta["also_live_on"] if isinstance(meta["also_live_on"], str) else ""
    meta["edition_order"] = int(meta["edition_order"])
    return meta


def snapshot_rows(agreements, snapshots) -> tuple[dict, list[tuple]]:
    """(state code -> name, one sqlite row per snapshot): the rows an append adds for new sheets.

    Each text column is factorized once and counted with numpy on the integer codes (groupby on
    the arrow-backed columns took ~1 s on the archive). The numbers, the groups and their order
    (keys ascending, as factorize(sort=True) and so groupby(sort=True) sort them) are groupby's.
    """
    import numpy as np
    import pandas as pd

    sid, sids = pd.factorize(agreements["snapshot_id"])
    agency, agencies = pd.factorize(agreements["agency_id"])
    state, state_keys = pd.factorize(agreements["state"], sort=True)
    model, model_keys = _model_codes(agreements["model"])
    is_state = agreements["is_state"].to_numpy(dtype=bool)
    # Codes shifted by one: 0 is a missing value, which groupby leaves out (row 0 / column 0 dropped).
    n, ks, km = len(sids) + 1, len(state_keys) + 1, len(model_keys) + 1
    sid1, agency1 = sid + 1, agency + 1
    by_state, by_model = sid1 * ks + state + 1, sid1 * km + model + 1
    totals = [c[1:].tolist() for c in _by_group(sid1, n, agency1, len(agencies))]
    tables = {"state": _lists(*(c.reshape(n, ks)[1:, 1:] for c in _by_group(by_state, n * ks, agency1, len(agencies))), state_keys),
              "model": _lists(*(c.reshape(n, km)[1:, 1:] for c in _by_group(by_model, n * km, agency1, len(agencies))), model_keys)}  # fmt: skip
    states = (np.bincount(by_state[is_state], minlength=n * ks).reshape(n, ks)[1:, 1:] > 0).sum(axis=1).tolist()
    i, j = np.nonzero(np.bincount(by_state[~is_state], minlength=n * ks).reshape(n, ks)[1:, 1:])
    territories: dict[int, list] = {}
    for a, b in zip(i.tolist(), np.asarray(state_keys, dtype=object)[j].tolist()):
        territories.setdefault(a, []).append(b)
    index = {s: i for i, s in enumerate(sids.tolist())}
    rows = []
    for meta in _metas(snapshots):
        i = index.get(meta["snapshot_id"])
        if i is None:  # a snapshot without agreement rows
            counts = {u: {"": 0, **{g: [] for g in CACHED}} for u in UNITS}
            data = {"meta": meta, "states": 0, "territories": [], "counts": counts}
        else:
            counts = {u: {"": totals[k][i], **{g: tables[g][u][i] for g in CACHED}} for k, u in enumerate(UNITS)}
            data = {"meta": meta, "states": states[i], "territories": sorted(territories.get(i, [])), "counts": counts}
        rows.append((meta["snapshot_id"], meta["kind"], meta["published"], meta["edition_order"],
                     json.dumps(data, sort_keys=True, separators=(",", ":"))))  # fmt: skip
    return _state_names(agreements, state, state_keys), rows


def _metas(snapshots) -> list[dict]:
    """Every snapshot's stored metadata, in the cache's row order (read column by column: itertuples is slow)."""
    ordered = snapshots.sort_values(["kind", "published", "edition_order", "snapshot_id"])
    fields = [f for f in SNAPSHOT_FIELDS if f in ordered.columns]
    return [meta_of(dict(zip(fields, values))) for values in zip(*(ordered[f].tolist() for f in fields))]


def _model_codes(model):
    """Codes and sorted labels of the model column, a missing model counted as "unstated"."""
    import pandas as pd

    codes, uniques = pd.factorize(model)  # missing -> -1, which takes the label appended last
    order, labels = pd.factorize(pd.array([*uniques.tolist(), "unstated"], dtype=model.dtype), sort=True)
    return order[codes], labels


def _by_group(group, size: int, agency1, n_agencies: int) -> tuple:
    """(rows, distinct agencies) per group code < size; agency1: agency codes + 1 (0, missing, not counted)."""
    import numpy as np

    pairs = np.sort(group * (n_agencies + 1) + agency1)  # sorted, then unique: np.unique is far slower here
    pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]] if len(pairs) else pairs
    pairs = pairs[pairs % (n_agencies + 1) > 0]
    return np.bincount(group, minlength=size), np.bincount(pairs // (n_agencies + 1), minlength=size)


def _lists(rows, agencies, labels) -> dict[str, list[list]]:
    """unit -> per snapshot code, [(key, count), ...] for its groups with rows (rows, agencies:
    snapshot x key matrices, keys in ``labels`` order); json writes the tuples as lists."""
    import numpy as np

    i, j = np.nonzero(rows)  # row-major: by snapshot, then key
    bounds = np.searchsorted(i, np.arange(rows.shape[0] + 1)).tolist()
    keys = np.asarray(labels, dtype=object)[j].tolist()
    out = {}
    for unit, values in (("agreements", rows[i, j]), ("agencies", agencies[i, j])):
        pairs = list(zip(keys, values.tolist()))
        out[unit] = [pairs[a:b] for a, b in zip(bounds, bounds[1:])]
    return out


def _state_names(agreements, state, state_keys) -> dict:
    """state code -> state name: each state's one name (drop_duplicates, as before, when some state has two)."""
    import numpy as np
    import pandas as pd

    name, name_keys = pd.factorize(agreements["state_name"])
    k, nn = len(state_keys), len(name_keys)
    if k and nn and (state >= 0).all() and (name >= 0).all():
        seen = np.bincount(state * nn + name, minlength=k * nn).reshape(k, nn) > 0
        if (seen.sum(axis=1) == 1).all():
            return dict(zip(state_keys.tolist(), np.asarray(name_keys, dtype=object)[seen.argmax(axis=1)].tolist()))
    pairs = agreements[["state", "state_name"]].drop_duplicates()
    return dict(zip(pairs["state"].tolist(), pairs["state_name"].tolist()))


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
