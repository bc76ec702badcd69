"""Counts for every snapshot, precomputed at build time, so `query` answers without pandas.

A command-line query on the archive would otherwise spend a second importing pandas and
reading 337k rows to print one number. ``build`` writes counts.sqlite beside the tables (every
snapshot x unit x grouping, computed with the same rules as query.count, which a test checks),
and the CLI answers from it in well under 0.3 s. Only the writing side (snapshot_rows) imports
pandas and numpy; it counts on integer codes and writes the JSON from pieces, not with groupby and
json.dumps, which took ~1 s of every archive build.
sqlite (standard library) gives an indexed lookup of the sheet in force without reading the rest;
the file is written to a temp name and renamed, like every output.
"""

from __future__ import annotations

import datetime as dt
import json
import numbers
from pathlib import Path

from ..core import atomic
from ..core.table_spec import UNITS  # noqa: F401 (the units a cached count is in)

FILE = "counts.sqlite"  # one row per snapshot: its metadata and every count, as JSON
CACHED = ("state", "model")  # groupings kept in the cache besides the totals
SNAPSHOT_FIELDS = ("snapshot_id", "file", "kind", "published", "edition", "edition_order", "source_note", "also_live_on",
                   "rows_duplicate")  # fmt: skip
_COMPACT = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode  # json.dumps(..., same options), less overhead


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
    dropped = meta["rows_duplicate"]  # exact duplicate rows dropped (asof.duplicate_note); "" or NaN when not kept
    meta["rows_duplicate"] = int(dropped) if isinstance(dropped, numbers.Real) and dropped == dropped else 0
    return meta


def snapshot_rows(agreements, snapshots) -> tuple[dict, list[tuple]]:
    """(state code -> name, one sqlite row per snapshot): the rows an append adds for new sheets.

    Each text column is factorized once and counted with numpy on the codes; the rows are
    byte for byte those of groupby(sort=True) and json.dumps(sort_keys=True): the same numbers,
    groups and key order (factorize(sort=True) sorts as groupby does), which
    tests/test_counts_cache.py checks against that version. Row order does not matter.
    """
    import numpy as np

    sid, sids = _codes(agreements["snapshot_id"])
    agency, agencies = _codes(agreements["agency_id"])
    state, state_keys = _codes(agreements["state"], sort=True)
    model, model_keys = _model_codes(agreements["model"])
    is_state = agreements["is_state"].to_numpy(dtype=bool)
    n, ns, nm = len(sids) + 1, len(state_keys) + 1, len(model_keys) + 1
    by_state = sid * ns + state  # flat snapshot x state codes
    per_sid, per_state, per_model = _agencies(sid, n, agency, len(agencies) + 1, state, ns, model, nm)
    state_lists = _json_lists(np.bincount(by_state, minlength=n * ns), per_state, n, state_keys)
    model_lists = _json_lists(np.bincount(sid * nm + model, minlength=n * nm), per_model, n, model_keys)
    counts = list(map(_counts_json, per_sid[1:].tolist(), model_lists["agencies"], state_lists["agencies"],
                      np.bincount(sid, minlength=n)[1:].tolist(), model_lists["agreements"], state_lists["agreements"]))  # fmt: skip
    states = (np.bincount(by_state[is_state], minlength=n * ns).reshape(n, ns)[1:, 1:] > 0).sum(axis=1).tolist()
    snap, code = np.nonzero(np.bincount(by_state[~is_state], minlength=n * ns).reshape(n, ns)[1:, 1:])
    territories: dict[int, list] = {}
    for s, name in zip(snap.tolist(), np.asarray(state_keys, dtype=object)[code].tolist()):
        territories.setdefault(s, []).append(name)
    index = {s: i for i, s in enumerate(sids.tolist())}
    rows = []
    for meta in _metas(snapshots):
        i = index.get(meta["snapshot_id"])
        if i is None:  # a snapshot without agreement rows
            rest = {"meta": meta, "states": 0, "territories": []}
            data = '{"counts":' + _counts_json(0, "[]", "[]", 0, "[]", "[]") + "," + _COMPACT(rest)[1:]
        else:
            rest = {"meta": meta, "states": states[i], "territories": sorted(territories.get(i, []))}
            data = '{"counts":' + counts[i] + "," + _COMPACT(rest)[1:]  # = _COMPACT(data): "counts" sorts first
        rows.append((meta["snapshot_id"], meta["kind"], meta["published"], meta["edition_order"], data))
    return _state_names(agreements, state, state_keys), rows


def _counts_json(agencies: int, agencies_by_model: str, agencies_by_state: str, agreements: int,
                 agreements_by_model: str, agreements_by_state: str) -> str:  # fmt: skip
    """_COMPACT of a snapshot's counts {unit: {"": total, grouping: [[key, n], ...]}} (UNITS x
    CACHED), given each list in JSON already; the keys in the order sort_keys puts them."""
    return (f'{{"agencies":{{"":{agencies},"model":{agencies_by_model},"state":{agencies_by_state}}},'
            f'"agreements":{{"":{agreements},"model":{agreements_by_model},"state":{agreements_by_state}}}}}')


def _metas(snapshots) -> list[dict]:
    """Every snapshot's stored metadata, in the cache's row order (read column by column: itertuples is slow)."""
    ordered = snapshots.sort_values(["kind", "published", "edition_order", "snapshot_id"])
    fields = [f for f in SNAPSHOT_FIELDS if f in ordered.columns]
    return [meta_of(dict(zip(fields, values))) for values in zip(*(ordered[f].tolist() for f in fields))]


# Codes below are shifted by one: 0 is a missing value, which groupby leaves out of every group.


def _codes(values, sort: bool = False):
    """(codes + 1, the distinct values)."""
    import pandas as pd

    codes, uniques = pd.factorize(values, sort=sort)
    return codes + 1, uniques


def _model_codes(model):
    """_codes of the model column, sorted, a missing model counted as "unstated" (as fillna did)."""
    import pandas as pd

    codes, uniques = pd.factorize(model)  # missing -> -1, which takes the label appended last
    order, labels = pd.factorize(pd.array([*uniques.tolist(), "unstated"], dtype=model.dtype), sort=True)
    return order[codes] + 1, labels


def _agencies(sid, n: int, agency, na: int, state, ns: int, model, nm: int) -> tuple:
    """Distinct agencies per snapshot, per snapshot x state and per snapshot x model (flat:
    sid * ns + state, sid * nm + model), from one sort of the (snapshot, agency, state, model)
    codes (np.unique is far slower)."""
    import numpy as np

    key = sid.astype(np.int32 if n * na * ns * nm < 2**31 else np.int64)  # narrower sorts faster
    for codes, size in ((agency, na), (state, ns), (model, nm)):
        key *= size
        key += codes
    key.sort()
    quads = _unique_sorted(key)
    if not agency.all():
        quads = quads[quads // (nm * ns) % na > 0]  # an agency, not a missing value
    with_state = _unique_sorted(quads // nm)  # (snapshot, agency, state), sorted
    pairs = _unique_sorted(with_state // ns)  # (snapshot, agency)
    with_model = quads // (nm * ns) * nm + quads % nm  # (snapshot, agency, model)
    if len(with_state) != len(pairs):  # sorted already unless an agency has two states in a snapshot
        with_model.sort()
    with_model = _unique_sorted(with_model)
    return (np.bincount(pairs // na, minlength=n),
            np.bincount(with_state // (ns * na) * ns + with_state % ns, minlength=n * ns),
            np.bincount(with_model // (nm * na) * nm + with_model % nm, minlength=n * nm))  # fmt: skip


def _unique_sorted(codes):
    """The distinct values of a sorted array."""
    import numpy as np

    first = np.empty(len(codes), dtype=bool)
    first[:1] = True
    np.not_equal(codes[1:], codes[:-1], out=first[1:])
    return codes[first]


def _json_lists(rows, agencies, n: int, labels) -> dict[str, list[str]]:
    """unit -> per snapshot, its [[key, count], ...] in JSON, for the groups with rows (rows,
    agencies: flat snapshot x key counts, keys in ``labels`` order)."""
    import numpy as np

    rows, agencies = (c.reshape(n, len(labels) + 1)[1:, 1:] for c in (rows, agencies))
    i, j = np.nonzero(rows)  # row-major: by snapshot, then key
    bounds = np.searchsorted(i, np.arange(n)).tolist()
    keys = np.asarray([json.dumps(k) for k in labels.tolist()], dtype=object)[j].tolist()
    out = {}
    for unit, values in (("agreements", rows[i, j]), ("agencies", agencies[i, j])):
        items = [f"[{k},{v}]" for k, v in zip(keys, values.tolist())]
        out[unit] = ["[" + ",".join(items[a:b]) + "]" for a, b in zip(bounds, bounds[1:])]
    return out


def _state_names(agreements, state, state_keys) -> dict:
    """state code -> state name: each state's one name (drop_duplicates, as before, when some state has two)."""
    import numpy as np

    name, name_keys = _codes(agreements["state_name"])
    ns, nn = len(state_keys) + 1, len(name_keys) + 1
    seen = np.bincount(state * nn + name, minlength=ns * nn).reshape(ns, nn) > 0
    if len(state_keys) and not seen[0].any() and not seen[:, 0].any() and (seen.sum(axis=1)[1:] == 1).all():
        return dict(zip(state_keys.tolist(), np.asarray(name_keys, dtype=object)[seen[1:, 1:].argmax(axis=1)].tolist()))
    pairs = agreements[["state", "state_name"]].drop_duplicates()
    return dict(zip(pairs["state"].tolist(), pairs["state_name"].tolist()))


def write_rows(path: Path, rows: list[tuple]) -> Path:
    """A new counts.sqlite holding ``rows`` (written to a temp name, then renamed)."""
    import sqlite3

    with atomic.atomic_path(path) as tmp:
        con = sqlite3.connect(tmp)
        # A temp file that is renamed into place once whole: sqlite's own journal and syncs add nothing.
        con.execute("PRAGMA journal_mode = OFF")
        con.execute("PRAGMA synchronous = OFF")
        con.execute("CREATE TABLE snapshots (snapshot_id TEXT PRIMARY KEY, kind TEXT, published TEXT, "
                    "edition_order INTEGER, data TEXT)")  # fmt: skip
        con.execute("CREATE INDEX by_day ON snapshots (kind, published, edition_order)")
        con.executemany("INSERT INTO snapshots VALUES (?, ?, ?, ?, ?)", rows)
        con.commit()
        con.close()
    return path


def _sheets(con, kind: str) -> list[tuple[str, str]]:
    """One kind's (snapshot_id, published) in publication order, later same-day editions last."""
    return con.execute("SELECT snapshot_id, published FROM snapshots WHERE kind = ? "
                       "ORDER BY published, edition_order, snapshot_id", (kind,)).fetchall()  # fmt: skip


def _data(con, snapshot_id: str) -> dict:
    return json.loads(con.execute("SELECT data FROM snapshots WHERE snapshot_id = ?", (snapshot_id,)).fetchone()[0])


def count(path: Path, day: dt.date, kind: str, unit: str, by: str | None, info, in_force) -> dict | None:
    """query.count's answer from the cache; None when there is no cache or it lacks the grouping.

    The cache stores counts, not a rule: ``in_force(published, day, kind=..., newest=...)`` is the
    engine's one rule for the sheet in force (asof.in_force_position), passed in like ``info`` (the
    engine's snapshot record), and refuses a date before the first sheet or after the newest.
    """
    import sqlite3

    if not Path(path).is_file() or (by is not None and by not in CACHED):
        return None
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        listed = _sheets(con, kind)
        if not listed:
            return None
        newest = _data(con, listed[-1][0])["meta"]
        newest["published"] = dt.date.fromisoformat(newest["published"])
        i = in_force([dt.date.fromisoformat(p) for _, p in listed], day, kind=kind, newest=newest)
        snap = _data(con, listed[i][0])
        names = json.loads(con.execute("SELECT data FROM snapshots WHERE kind = 'names'").fetchone()[0]) if by == "state" else {}
    finally:
        con.close()
    counts = snap["counts"][unit]
    total = counts[""]
    groups = []
    if by:
        for key, n in counts[by]:
            group = {by: key, "state_name": names.get(key)} if by == "state" else {by: key}
            groups.append({**group, "count": n, "share": round(n / total, 6) if total else 0.0})
        groups.sort(key=lambda g: (-g["count"], g.get("state", ""), g.get("model", "")))
    meta = dict(snap["meta"], published=dt.date.fromisoformat(snap["meta"]["published"]))
    return {"as_of": day.isoformat(), "snapshot": info(meta, day), "kind": kind, "unit": unit, "total": total,
            "states": snap["states"], "territories": snap["territories"], "groups": groups}  # fmt: skip


def every(path: Path, kind: str) -> list[dict]:
    """Every snapshot of ``kind`` in publication order, each {"meta", "counts", ...} as stored: the
    counts over time (by state and model, in both units) without reading a row of the tables."""
    import sqlite3

    if not Path(path).is_file():
        return []
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = con.execute("SELECT data FROM snapshots WHERE kind = ? ORDER BY published, edition_order, snapshot_id",
                           (kind,)).fetchall()  # fmt: skip
    finally:
        con.close()
    return [json.loads(r[0]) for r in rows]
