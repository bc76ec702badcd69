"""counts_cache.snapshot_rows counts on integer codes and writes its JSON from pieces: it must give
the very rows (bytes) the plain pandas groupby + json.dumps version gave, on awkward frames too."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from analysis.store import counts_cache


def groupby_rows(agreements, snapshots):
    """The original snapshot_rows (pandas groupby, json.dumps): the reference."""
    work = agreements[["snapshot_id", "state", "state_name", "is_state", "model", "agency_id"]].copy()
    work["model"] = work["model"].fillna("unstated")
    pairs = work[["state", "state_name"]].drop_duplicates()
    names = dict(zip(pairs["state"].tolist(), pairs["state_name"].tolist()))
    states = work[work["is_state"]].groupby("snapshot_id")["state"].nunique().to_dict()
    territories = {sid: sorted(f.unique().tolist()) for sid, f in work[~work["is_state"]].groupby("snapshot_id")["state"]}
    totals = {"agreements": work.groupby("snapshot_id").size().to_dict(),
              "agencies": work.groupby("snapshot_id")["agency_id"].nunique().to_dict()}  # fmt: skip
    tables = {}
    for unit in counts_cache.UNITS:
        for g in counts_cache.CACHED:
            grouped = work.groupby(["snapshot_id", g], sort=True, observed=True)
            sizes = grouped.size() if unit == "agreements" else grouped["agency_id"].nunique()
            out: dict = {}
            for (sid, key), n in zip(sizes.index.tolist(), sizes.tolist()):
                out.setdefault(sid, []).append([key, n])
            tables[(unit, g)] = out
    rows = []
    for s in snapshots.sort_values(["kind", "published", "edition_order", "snapshot_id"]).itertuples(index=False):
        meta = {f: getattr(s, f, "") for f in counts_cache.SNAPSHOT_FIELDS}
        meta["published"] = str(meta["published"])[:10]
        meta["also_live_on"] = meta["also_live_on"] if isinstance(meta["also_live_on"], str) else ""
        meta["edition_order"] = int(meta["edition_order"])
        meta["rows_duplicate"] = int(meta["rows_duplicate"] or 0)  # exact duplicate rows dropped; 0 when not kept
        sid = s.snapshot_id
        counts = {u: {"": int(totals[u].get(sid, 0)), **{g: tables[(u, g)].get(sid, []) for g in counts_cache.CACHED}}
                  for u in counts_cache.UNITS}  # fmt: skip
        data = {"meta": meta, "states": int(states.get(sid, 0)), "territories": territories.get(sid, []), "counts": counts}
        rows.append((sid, meta["kind"], meta["published"], meta["edition_order"],
                     json.dumps(data, sort_keys=True, separators=(",", ":"))))  # fmt: skip
    return names, rows


NAMES = {"AL": "Alabama", "TX": "Texas", "FL": "Florida", "PR": "Puerto Rico", "GU": "Guam", "VI": "Virgin Islands"}


def agreements_frame(rows) -> pd.DataFrame:
    """rows: (snapshot_id, state, agency_id, model); typed as the build types them."""
    sid, state, agency, model = zip(*rows) if rows else ((), (), (), ())
    return pd.DataFrame({
        "snapshot_id": pd.Series(sid, dtype="str"),
        "state": pd.Series(state, dtype="str"),
        "state_name": pd.Series([NAMES[s] for s in state], dtype="str"),
        "is_state": pd.Series([s not in ("PR", "GU", "VI") for s in state], dtype=bool),
        "agency_id": pd.Series(agency, dtype="str"),
        "model": pd.Series(model, dtype="string"),
    })  # fmt: skip


def snapshots_frame(ids, kinds=None) -> pd.DataFrame:
    n = len(ids)
    return pd.DataFrame({
        "snapshot_id": pd.Series(ids, dtype="str"),
        "file": pd.Series([f"set/{i}.xlsx" for i in ids], dtype="str"),
        "kind": pd.Series(kinds or ["participating"] * n, dtype="str"),
        "published": [dt.date(2025, 9, 1 + i % 28) for i in range(n)],
        "edition": pd.Series(["pm"] * n, dtype="str"),
        "edition_order": np.arange(n, dtype="int64") % 3,
        "source_note": pd.Series(["note"] * n, dtype="str"),
        "also_live_on": pd.Series(["2025-09-30" if i % 2 else None for i in range(n)], dtype="str"),
        "rows": np.zeros(n, dtype="int64"),  # a column the cache does not keep
        "rows_duplicate": np.arange(n, dtype="int64") % 2,  # one it keeps (asof.duplicate_note)
    })  # fmt: skip


EDGE = [
    # states and territories, an agency listed twice, one with no agency id, one missing model
    ("a", "TX", "TX:one", "TFM"), ("a", "TX", "TX:one", "TFM"), ("a", "AL", "AL:two", "JEM"),
    ("a", "PR", "PR:three", "WSO"), ("a", "GU", "GU:four", None), ("a", "AL", None, "JEM"),
    # territories only
    ("b", "PR", "PR:three", "WSO"), ("b", "VI", "VI:five", "TFM"), ("b", "GU", "GU:four", "TFM"),
    # model all missing
    ("c", "FL", "FL:six", None), ("c", "FL", "FL:seven", None),
    # a group whose only agency id is missing; one agency under two states and two models
    ("d", "TX", None, "WSO"), ("d", "AL", "XX:eight", "TFM"), ("d", "TX", "XX:eight", "JEM"), ("d", "TX", "XX:eight", "TFM"),
    # labels whose order groupby decides: case, accents, empty, "unstated" given and implied
    ("e", "AL", "AL:two", "jem"), ("e", "AL", "AL:two", "JEM"), ("e", "TX", "TX:one", "Éx"), ("e", "TX", "TX:one", ""),
    ("e", "FL", "FL:six", "unstated"), ("e", "FL", "FL:seven", None), ("e", "FL", "FL:nine", "Zeta"),
    ("x", "TX", "TX:one", "TFM"),  # a snapshot the snapshots table does not list
]


@pytest.mark.parametrize("shuffle", [False, True])
def test_snapshot_rows_match_groupby_on_edge_cases(shuffle):
    agreements = agreements_frame(EDGE)
    # "p" is a pending snapshot with no agreement rows yet
    snapshots = snapshots_frame(["a", "b", "c", "d", "e", "p"], ["participating"] * 5 + ["pending"])
    if shuffle:
        agreements = agreements.sample(frac=1, random_state=3).reset_index(drop=True)
        snapshots = snapshots.sample(frac=1, random_state=4)
    names, rows = counts_cache.snapshot_rows(agreements, snapshots)
    expected_names, expected_rows = groupby_rows(agreements, snapshots)
    assert rows == expected_rows
    assert names == expected_names
    assert counts_cache.names_row(names) == counts_cache.names_row(expected_names)
    empty = json.loads(dict((r[0], r[4]) for r in rows)["p"])
    assert empty["counts"]["agencies"] == {"": 0, "state": [], "model": []} and empty["territories"] == []


def test_snapshot_rows_without_agreement_rows_and_with_a_state_of_two_names():
    snapshots = snapshots_frame(["a", "b"])
    assert counts_cache.snapshot_rows(agreements_frame([]), snapshots) == groupby_rows(agreements_frame([]), snapshots)
    agreements = agreements_frame(EDGE[:6])
    agreements.loc[2, "state_name"] = "State of Alabama"  # names keeps the last of the distinct pairs
    assert counts_cache.snapshot_rows(agreements, snapshots) == groupby_rows(agreements, snapshots)
    agreements = agreements_frame(EDGE[:6])
    agreements.loc[agreements["state"].eq("PR"), "state_name"] = None  # a state with no name
    (names, rows), (expected_names, expected_rows) = (f(agreements, snapshots) for f in (counts_cache.snapshot_rows, groupby_rows))
    assert rows == expected_rows and counts_cache.names_row(names) == counts_cache.names_row(expected_names)


def test_snapshot_rows_match_groupby_on_a_random_panel():
    rng = np.random.default_rng(7)
    n = 4000
    states = np.array(list(NAMES))
    agency_state = rng.choice(states, 300)
    agency = rng.integers(0, 300, n)
    rows = list(zip(rng.choice([f"s{i:02d}" for i in range(40)], n).tolist(), agency_state[agency].tolist(),
                    [f"{agency_state[a]}:agency-{a}" for a in agency],
                    rng.choice(np.array(["JEM", "TFM", "WSO", None], dtype=object), n).tolist()))  # fmt: skip
    snapshots = snapshots_frame([f"s{i:02d}" for i in range(42)])
    assert counts_cache.snapshot_rows(agreements_frame(rows), snapshots) == groupby_rows(agreements_frame(rows), snapshots)
