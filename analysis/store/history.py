"""How long each agreement and agency was listed: spells, removals and re-signings.

A *spell* is a run of consecutive snapshots (of one kind, in publication order) that list an
id. An agreement listed on every sheet has one spell; one that drops off a sheet and comes back
has two, and the gap is reported as a removal followed by a re-listing.

Status of a spell:
- ``active``: it is on the last snapshot of its kind.
- ``removed``: the removal window runs from ``last_seen`` (the last sheet that listed it) to
  ``removed_by`` (the first sheet that did not); ICE does not say when inside the window.
- ``re-signed`` / ``signed date changed`` (participating agreements only): the same agency and
  model appear under a different signed date no later than the sheet where this spell ends,
  and after it began. That is one agreement renewed (later date) or re-dated by ICE (earlier
  or missing date), so it is linked (``replaced_by`` / ``replaces``) and not counted as a
  removal plus an addition. When several candidates qualify, the one that appears first wins.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import table_spec

COLUMNS = table_spec.HISTORY.names


def _spells(listed: pd.DataFrame, key: str) -> pd.DataFrame:
    """listed: one row per (key, snapshot index) -> one row per spell with first/last index."""
    listed = listed.drop_duplicates([key, "idx"]).sort_values([key, "idx"], ignore_index=True)
    new_id = listed[key].ne(listed[key].shift())
    new_spell = new_id | listed["idx"].ne(listed["idx"].shift() + 1)
    listed["spell_no"] = new_spell.cumsum()
    spells = listed.groupby("spell_no", sort=False).agg(
        id=(key, "first"), first_idx=("idx", "min"), last_idx=("idx", "max"), n_snapshots=("idx", "size")
    )
    spells["spell"] = spells.groupby("id").cumcount() + 1
    return spells.reset_index(drop=True)


def build(agreements: pd.DataFrame, snapshots: pd.DataFrame) -> pd.DataFrame:
    """The history table over every snapshot of each kind (see the module docstring).

    Works on integer codes of the ids and snapshots (one factorize per column), which gives the
    spells _spells finds on the rows themselves, in the same order; the ids must be non-null, as
    schemas.AGREEMENTS requires.
    """
    frames = []
    snapshot_codes, snapshot_ids = agreements["snapshot_id"].array.factorize()
    kept = ~agreements["is_duplicate"].to_numpy(dtype=bool)
    keys = {key: _ranked_codes(agreements[key]) for key in ("agreement_id", "agency_id")}
    for kind, snaps in snapshots.sort_values(["published", "edition_order", "snapshot_id"]).groupby("kind", sort=True):
        snaps = snaps.reset_index(drop=True)
        rows = np.flatnonzero(agreements["kind"].eq(kind).to_numpy(dtype=bool) & kept)
        idx = pd.Index(snaps["snapshot_id"]).get_indexer(snapshot_ids)[snapshot_codes[rows]]
        if (idx < 0).any():
            raise ValueError(f"history: {kind} agreement rows on a snapshot missing from the snapshots table")
        for unit, key in (("agreement", "agreement_id"), ("agency", "agency_id")):
            codes, uniques, rank = keys[key]
            spells, first_row = _coded_spells(codes[rows], rank, idx, len(snaps))
            spells.insert(0, "id", pd.Series(uniques.take(spells.pop("code").to_numpy())))
            attrs = rows[first_row]  # each id's first row, as rows.drop_duplicates(key) keeps it

            def attr(col: str) -> pd.Series:
                return pd.Series(agreements[col].array.take(attrs))

            spells["agency_id"] = attr("agency_id") if unit == "agreement" else spells["id"]
            spells["state"] = attr("state")
            spells["model"] = attr("model") if unit == "agreement" else pd.NA
            spells["signed"] = attr("signed") if unit == "agreement" else pd.NaT
            frames.append(_describe(spells, snaps, unit, kind))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
    out = _link_resignings(out)
    return out[COLUMNS].sort_values(["unit", "kind", "id", "spell"], ignore_index=True)


def _ranked_codes(values: pd.Series) -> tuple[np.ndarray, object, np.ndarray]:
    """(codes, uniques, rank): rank[code] orders the distinct values as sort_values does (by text)."""
    codes, uniques = values.array.factorize()
    if (codes < 0).any():
        raise ValueError(f"history: {values.name} is missing on some rows")
    order = np.argsort(np.asarray(uniques, dtype=object), kind="stable")
    rank = np.empty(len(order), dtype="int64")
    rank[order] = np.arange(len(order))
    return codes, uniques, rank


def _coded_spells(codes: np.ndarray, rank: np.ndarray, idx: np.ndarray, n_snaps: int) -> tuple[pd.DataFrame, np.ndarray]:
    """_spells on codes: one row per spell (code, first_idx, last_idx, n_snapshots, spell) ordered
    by id text and first snapshot, and for each spell the position of its id's first row."""
    order = np.argsort(rank)  # rank -> code
    listed = np.sort(rank[codes] * max(n_snaps, 1) + idx.astype("int64"))
    listed = listed[np.append(True, listed[1:] != listed[:-1])] if len(listed) else listed  # distinct (id, idx)
    id_rank, at = listed // max(n_snaps, 1), listed % max(n_snaps, 1)
    start = np.ones(len(listed), dtype=bool)
    start[1:] = (id_rank[1:] != id_rank[:-1]) | (at[1:] != at[:-1] + 1)
    first = np.flatnonzero(start)
    last = np.append(first[1:], len(listed)).astype("int64")[: len(first)] - 1
    new_id = np.ones(len(first), dtype=bool)
    new_id[1:] = id_rank[first][1:] != id_rank[first][:-1]
    spell_start = np.maximum.accumulate(np.where(new_id, np.arange(len(first)), 0)) if len(first) else first
    spell_codes = order[id_rank[first]]
    seen, first_row = np.unique(codes, return_index=True)
    spells = pd.DataFrame({
        "code": spell_codes, "first_idx": at[first].astype("int64"), "last_idx": at[last].astype("int64"),
        "n_snapshots": (last - first + 1).astype("int64"),
        "spell": (np.arange(len(first)) - spell_start + 1).astype("int64"),
    })  # fmt: skip
    return spells, first_row[np.searchsorted(seen, spell_codes)]


def _describe(spells: pd.DataFrame, snaps: pd.DataFrame, unit: str, kind: str) -> pd.DataFrame:
    last = len(snaps) - 1
    sid, published = snaps["snapshot_id"].to_numpy(), pd.to_datetime(snaps["published"]).to_numpy()
    active = spells["last_idx"].eq(last).to_numpy()
    nxt = np.minimum(spells["last_idx"].to_numpy() + 1, last)
    spells["unit"], spells["kind"] = unit, kind
    spells["first_snapshot"], spells["first_seen"] = sid[spells["first_idx"]], published[spells["first_idx"]]
    spells["last_snapshot"], spells["last_seen"] = sid[spells["last_idx"]], published[spells["last_idx"]]
    spells["status"] = np.where(active, "active", "removed")
    spells["removed_by_snapshot"] = np.where(active, None, sid[nxt])
    spells["removed_by"] = pd.Series(np.where(active, np.datetime64("NaT"), published[nxt])).astype("datetime64[ms]")
    spells["window_days"] = (spells["removed_by"] - pd.to_datetime(spells["last_seen"])).dt.days.astype("Int64")
    spells["replaced_by"], spells["replaces"] = None, None
    return spells


def _link_resignings(hist: pd.DataFrame) -> pd.DataFrame:
    """Link a removed participating agreement to the same agency+model under a new signed date
    (hist has first_idx / last_idx: each spell's snapshot positions, see link_resignings)."""
    from .columns import objects

    col = {c: objects(hist[c]).copy() for c in ("unit", "kind", "status", "id", "agency_id", "model", "replaced_by", "replaces")}
    col |= {"signed": hist["signed"].to_numpy(), "first_idx": hist["first_idx"].to_numpy(dtype="int64"),
            "last_idx": hist["last_idx"].to_numpy(dtype="int64")}  # fmt: skip
    if not link_resignings(col):
        return hist
    dtypes = hist.dtypes
    return hist.assign(**{c: pd.array(col[c], dtype=dtypes[c]) for c in ("status", "replaced_by", "replaces")})


def link_resignings(col: dict[str, np.ndarray]) -> int:
    """Set status / replaced_by / replaces in ``col`` (numpy columns of the history table, plus
    first_idx / last_idx) for the re-signings; returns how many were linked.

    The rule, as a merge would list the candidates: every removed spell (in table order) with
    each spell of the same agency and model (in table order) that has another id and starts
    after it began and no later than the sheet after its last; ordered by (first_idx of the new
    spell, its id) keeping ties in that order, each removed spell takes its first candidate,
    then each new spell keeps its first predecessor. Plain loops over a few thousand spells:
    pandas' merge and sorts cost more than the work.
    """
    from collections import defaultdict

    unit, kind, status, ids, agency, model = (col[c] for c in ("unit", "kind", "status", "id", "agency_id", "model"))
    first_idx, last_idx = col["first_idx"], col["last_idx"]
    agr = np.flatnonzero((unit == "agreement") & (kind == "participating")).tolist()

    def key(r: int) -> tuple:
        return agency[r], model[r] if isinstance(model[r], str) else None  # merge matches missing with missing

    started = defaultdict(list)
    for r in agr:
        started[key(r)].append(r)
    pairs = [(first_idx[s], ids[s], old, s) for old in agr if status[old] == "removed" for s in started[key(old)]
             if ids[s] != ids[old] and first_idx[old] < first_idx[s] <= last_idx[old] + 1]  # fmt: skip
    pairs.sort(key=lambda p: (p[0], p[1]))  # stable, as sort_values on two columns
    first_candidate: dict[int, int] = {}
    for p in pairs:
        first_candidate.setdefault(p[2], p[3])
    linked: dict[int, int] = {}  # new spell -> its predecessor
    for _, _, old, new in pairs:
        if first_candidate[old] == new:
            linked.setdefault(new, old)
    signed = col["signed"]
    for new, old in linked.items():
        later = not (np.isnat(signed[new]) or np.isnat(signed[old])) and signed[new] > signed[old]
        status[old] = "re-signed" if later else "signed date changed"
        col["replaced_by"][old], col["replaces"][new] = ids[new], ids[old]
    return len(linked)


def publication_order(snapshots: pd.DataFrame) -> dict[str, list[str]]:
    """kind -> its snapshot ids in publication order (date, edition, id), as sort_values gives them."""
    from .columns import objects

    out: dict[str, list[str]] = {}
    for *_, sid, kind in sorted(zip(snapshots["published"].tolist(), snapshots["edition_order"].tolist(),
                                    objects(snapshots["snapshot_id"]).tolist(), objects(snapshots["kind"]).tolist())):  # fmt: skip
        out.setdefault(kind, []).append(sid)
    return dict(sorted(out.items()))


def snapshot_positions(history, snapshots: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each spell's first and last snapshot as positions in its kind's publication order (-1: none);
    ``history``: the table, or a dict of its columns."""
    from .columns import objects

    kinds, firsts, lasts = objects(history["kind"]), objects(history["first_snapshot"]), objects(history["last_snapshot"])
    first = np.full(len(kinds), -1, dtype="int64")
    last = first.copy()
    for kind, order in publication_order(snapshots).items():
        at = {sid: i for i, sid in enumerate(order)}
        rows = np.flatnonzero(kinds == kind)
        first[rows] = np.fromiter(map(at.get, firsts[rows].tolist(), [-1] * len(rows)), dtype="int64", count=len(rows))
        last[rows] = np.fromiter(map(at.get, lasts[rows].tolist(), [-1] * len(rows)), dtype="int64", count=len(rows))
    return first, last


def listed_on(history, snapshots: pd.DataFrame, unit: str = "agreement", positions=None, only=None) -> pd.Series:
    """How many ids the history says were listed on each snapshot (must equal the snapshot's count).

    ``history``: the table or a dict of its columns; ``positions``: snapshot_positions(history,
    snapshots) when the caller has them; ``only``: these snapshot ids, not all.
    """
    from .columns import objects

    first, last = snapshot_positions(history, snapshots) if positions is None else positions
    mine = objects(history["unit"]) == unit
    if (first[mine] < 0).any() or (last[mine] < 0).any():
        raise ValueError("history: spells on a snapshot missing from the snapshots table")
    kinds = objects(history["kind"])
    out = {}
    for kind, order in publication_order(snapshots).items():
        rows = mine & (kinds == kind)
        if only is None:
            delta = np.zeros(len(order) + 1, dtype="int64")
            np.add.at(delta, first[rows], 1)
            np.add.at(delta, last[rows] + 1, -1)
            out.update(zip(order, np.cumsum(delta)[:-1].tolist()))
        else:
            for at in (i for i, sid in enumerate(order) if sid in only):
                out[order[at]] = int((rows & (first <= at) & (last >= at)).sum())
    return pd.Series(out, dtype="int64")


def checks(history, agreements: pd.DataFrame, snapshots: pd.DataFrame, only=None, positions=None) -> list[dict]:
    """QA rows (check, scope, value, expected, status) for the history invariants.

    ``history``: the table or a dict of its columns. ``only`` limits the count comparison to
    these snapshot ids (an append checks its new sheets; ``agreements`` then needs only their
    rows); ``positions``: snapshot_positions(history, snapshots) when the caller has them.
    """
    from .columns import objects
    from ..clean.qa import _distinct_per_snapshot, _row

    rows = []
    kept = ~agreements["is_duplicate"].to_numpy(dtype=bool)
    sid, sids = agreements["snapshot_id"].factorize()
    compared = snapshots["snapshot_id"] if only is None else pd.Index(sorted(only))
    positions = snapshot_positions(history, snapshots) if positions is None else positions
    units, kinds, ids = objects(history["unit"]), objects(history["kind"]), objects(history["id"])
    spells = np.asarray(history["spell"])
    first_seen, last_seen = np.asarray(history["first_seen"]), np.asarray(history["last_seen"])
    for unit, key in (("agreement", "agreement_id"), ("agency", "agency_id")):
        # kept.groupby("snapshot_id")[key].nunique(), on codes; 0 where a snapshot has no kept row
        want = pd.Series(_distinct_per_snapshot(sid, len(sids), agreements[key], kept), index=sids, dtype="int64")
        want = want.reindex(compared, fill_value=0)
        got = listed_on(history, snapshots, unit, positions, only=only).reindex(want.index, fill_value=0)
        bad = want.index[want.ne(got)]
        rows.append(_row(f"history {unit}s listed = snapshot {unit} count", "all snapshots", len(bad), 0, len(bad) == 0))
        order = _spell_order(np.flatnonzero(units == unit), kinds, ids, spells)
        prev, cur = order[:-1], order[1:]
        same = (ids[cur] == ids[prev]) & (kinds[cur] == kinds[prev])
        dup = int((same & (spells[cur] == spells[prev])).sum())
        rows.append(_row(f"history: one row per {unit} spell (removals reported once)", "all", dup, 0, dup == 0))
        overlaps = int((same & (first_seen[cur] < last_seen[prev])).sum())
        rows.append(_row(f"history: {unit} spells do not overlap", "all", overlaps, 0, overlaps == 0))
    return rows


def _spell_order(rows: np.ndarray, kinds: np.ndarray, ids: np.ndarray, spells: np.ndarray) -> np.ndarray:
    """``rows`` ordered by (kind, id, spell): as given when they already are (the table is written
    so), checked with a few array comparisons instead of a sort of every key."""
    k, i, s = kinds[rows], ids[rows], spells[rows]
    same_k, same_i = k[1:] == k[:-1], i[1:] == i[:-1]
    ordered = (k[1:] > k[:-1]) | (same_k & ((i[1:] > i[:-1]) | (same_i & (s[1:] >= s[:-1]))))
    if ordered.all():
        return rows
    return np.array(sorted(rows.tolist(), key=lambda r: (kinds[r], ids[r], spells[r])), dtype="int64")
