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

COLUMNS = [
    "unit", "kind", "id", "agency_id", "state", "model", "signed", "spell",
    "first_snapshot", "first_seen", "last_snapshot", "last_seen", "n_snapshots",
    "status", "removed_by_snapshot", "removed_by", "window_days", "replaced_by", "replaces",
]  # fmt: skip


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
    """Link a removed participating agreement to the same agency+model under a new signed date."""
    agr = hist[(hist["unit"] == "agreement") & (hist["kind"] == "participating")]
    ended = agr[agr["status"] == "removed"][["id", "spell", "agency_id", "model", "signed", "first_idx", "last_idx"]]
    started = agr[["id", "spell", "agency_id", "model", "signed", "first_idx"]]
    pairs = ended.merge(started, on=["agency_id", "model"], suffixes=("", "_new"))
    pairs = pairs[(pairs["id"] != pairs["id_new"]) & (pairs["first_idx_new"] > pairs["first_idx"])
                  & (pairs["first_idx_new"] <= pairs["last_idx"] + 1)]  # fmt: skip
    pairs = pairs.sort_values(["first_idx_new", "id_new"]).drop_duplicates(["id", "spell"])  # first candidate wins
    pairs = pairs.drop_duplicates(["id_new", "spell_new"])  # one predecessor per new spell
    if pairs.empty:
        return hist
    later = pairs["signed_new"].notna() & pairs["signed"].notna() & (pairs["signed_new"] > pairs["signed"])
    pairs["new_status"] = np.where(later, "re-signed", "signed date changed")
    where = dict(zip(zip(agr["id"].tolist(), agr["spell"].tolist()), agr.index.tolist()))  # (id, spell) -> label
    old = [where[k] for k in zip(pairs["id"].tolist(), pairs["spell"].tolist())]
    new = [where[k] for k in zip(pairs["id_new"].tolist(), pairs["spell_new"].tolist())]
    linked = ["status", "replaced_by", "replaces"]
    dtypes = hist[linked].dtypes.to_dict()
    hist[linked] = hist[linked].astype(object)  # set by label in one step each, then typed back
    hist.loc[old, "status"] = pairs["new_status"].to_numpy()
    hist.loc[old, "replaced_by"] = pairs["id_new"].to_numpy(dtype=object)
    hist.loc[new, "replaces"] = pairs["id"].to_numpy(dtype=object)
    return hist.astype(dtypes)


def listed_on(history: pd.DataFrame, snapshots: pd.DataFrame, unit: str = "agreement") -> pd.Series:
    """How many ids the history says were listed on each snapshot (must equal the snapshot's count)."""
    out = {}
    for kind, snaps in snapshots.sort_values(["published", "edition_order", "snapshot_id"]).groupby("kind"):
        order = {s: i for i, s in enumerate(snaps["snapshot_id"])}
        h = history[(history["unit"] == unit) & (history["kind"] == kind)]
        first = h["first_snapshot"].map(order).to_numpy(dtype="int64")
        last = h["last_snapshot"].map(order).to_numpy(dtype="int64")
        delta = np.zeros(len(order) + 1, dtype="int64")
        np.add.at(delta, first, 1)
        np.add.at(delta, last + 1, -1)
        counts = np.cumsum(delta)[:-1]
        out.update(dict(zip(snaps["snapshot_id"], counts.tolist())))
    return pd.Series(out, dtype="int64")


def checks(history: pd.DataFrame, agreements: pd.DataFrame, snapshots: pd.DataFrame, only=None) -> list[dict]:
    """QA rows (check, scope, value, expected, status) for the history invariants.

    ``only`` limits the count comparison to these snapshot ids (an append checks its new sheets;
    ``agreements`` then needs only their rows).
    """
    from .qa import _distinct_per_snapshot, _row

    rows = []
    kept = ~agreements["is_duplicate"].to_numpy(dtype=bool)
    sid, sids = agreements["snapshot_id"].factorize()
    compared = snapshots["snapshot_id"] if only is None else pd.Index(sorted(only))
    for unit, key in (("agreement", "agreement_id"), ("agency", "agency_id")):
        # kept.groupby("snapshot_id")[key].nunique(), on codes; 0 where a snapshot has no kept row
        want = pd.Series(_distinct_per_snapshot(sid, len(sids), agreements[key], kept), index=sids, dtype="int64")
        want = want.reindex(compared, fill_value=0)
        got = listed_on(history, snapshots, unit).reindex(want.index, fill_value=0)
        bad = want.index[want.ne(got)]
        rows.append(_row(f"history {unit}s listed = snapshot {unit} count", "all snapshots", len(bad), 0, len(bad) == 0))
        h = history[history["unit"] == unit]
        dup = int(h.duplicated(["kind", "id", "spell"]).sum())
        rows.append(_row(f"history: one row per {unit} spell (removals reported once)", "all", dup, 0, dup == 0))
        overlap = h.sort_values(["kind", "id", "spell"])
        same = overlap["id"].eq(overlap["id"].shift()) & overlap["kind"].eq(overlap["kind"].shift())
        gap_ok = int((same & (pd.to_datetime(overlap["first_seen"]) < pd.to_datetime(overlap["last_seen"].shift()))).sum())
        rows.append(_row(f"history: {unit} spells do not overlap", "all", gap_ok, 0, gap_ok == 0))
    return rows
