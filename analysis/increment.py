"""Append new ICE sheets to a built archive panel, without rebuilding its 337k rows.

A researcher adds this week's sheet and should not wait for the whole archive to be cleaned
again. An append gives exactly the tables a full build would give, or it does not run (it
raises NeedsRebuild with the reason, and panel.build does a full build):

- **When.** The panel was built by this code version from inputs that are all still registered
  unchanged, every built snapshot keeps its name, and each new file's snapshot comes after every
  built snapshot of its kind (date, then edition). A back-filled older sheet, an edited registry
  row or changed code is a full build. A new file whose bytes are already built only adds a
  name and a date to that snapshot (``names``, ``also_live_on``, ``confirmed_until``).
- **Ids.** Agency ids come from rules over *all* names (agencies.py), so the new names are
  keyed against every name already built: append_context.pickle keeps each name's key, the
  truncation candidates that were listed together and the spelling counts behind display names
  (tidy.assign_ids ``base``). If the new sheet would change the id or display name of any agency
  already in the panel, that is a full build.
- **Tables.** The new rows are a new part of agreements.parquet/; history spells are extended,
  closed (removed by the new sheet) or opened, and re-signings are linked again over the whole
  history; QA runs on the new sheets plus the cross-sheet checks; snapshots, corrections and
  counts.sqlite get the new sheets' rows. Everything is committed in one atomic exchange.

tests/test_increment.py builds panels both ways and compares every table.
"""

from __future__ import annotations

import json
import pickle
import sqlite3
from datetime import date

from . import atomic, panel
from .registry import RawFile


class NeedsRebuild(Exception):
    """Why an append cannot give the tables a full build would."""


def plan(sheets: list[RawFile]) -> tuple[list[panel.Distinct], list[panel.Distinct]]:
    """Every distinct sheet, and the new ones; NeedsRebuild when appending them is not exact."""
    base = panel.archive_dir()
    manifest = base / panel.MANIFEST
    if not manifest.is_file() or not (base / panel.CONTEXT).is_file() or not all((base / o).exists() for o in panel.OUTPUTS):
        raise NeedsRebuild("no built panel to append to")
    built = json.loads(manifest.read_text())
    if built.get("code_version") != panel.code_version():
        raise NeedsRebuild("the code changed since the last build")
    now = {e.path: e.to_row() for e in sheets}
    for path, row in built["inputs"].items():
        if now.get(path) != row:
            raise NeedsRebuild(f"{path} was removed from the registry or its registry row changed")
    built_bytes = {row["sha256"] for row in built["inputs"].values()}
    items = panel.distinct_sheets(sheets)
    for d in items:  # a built snapshot keeps its name unless a new file is an earlier name for its bytes
        if d.entry.sha256 in built_bytes and d.entry.path not in built["inputs"]:
            raise NeedsRebuild(f"{d.entry.path} is an earlier name for bytes already built")
    return items, [d for d in items if d.entry.sha256 not in built_bytes]


def _check_order(new: list[panel.Distinct], snaps) -> None:
    """Each new snapshot must come after every built one of its kind (history only grows at the end)."""
    from .snapshots import edition_order, snapshot_id

    last = {kind: max(zip(g["published"], g["edition_order"], g["snapshot_id"])) for kind, g in snaps.groupby("kind")}
    for d in new:
        key = (date.fromisoformat(d.entry.published), edition_order(d.entry.edition), snapshot_id(d.entry.path))
        if d.entry.kind in last and key <= last[d.entry.kind]:
            raise NeedsRebuild(f"{d.entry.path} is not later than every built {d.entry.kind} sheet")


def _check_ids(before: dict, after: dict) -> dict[str, str]:
    """The new names must not change the id of any agency already built (that is a full build);
    returns the built agencies whose display name they change (agency_id -> new name)."""
    from .tidy import display_names

    for pair, (_, _, full) in before["pairs"].items():
        if after["pairs"][pair][2] != full:
            raise NeedsRebuild(f"the new sheets change the id of {pair[1]} agency {pair[0]!r} (name truncation rule)")
    old, new = display_names(before["names"]), display_names(after["names"])
    return {agency_id: new[agency_id] for agency_id, name in old.items() if new[agency_id] != name}


def _rename(folder, renamed: dict[str, str], parts: dict[str, set]) -> dict[tuple[str, int], str]:
    """Give the built rows of these agencies their new display name; returns (snapshot, row) -> name.

    A new spelling that becomes an agency's most frequent one (ICE fixing a typo) renames it in
    every sheet: only that column changes, so the parts are rewritten without cleaning again.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    touched: dict[tuple[str, int], str] = {}
    if not renamed:
        return touched
    keys, names = pa.array(list(renamed), pa.string()), pa.array(list(renamed.values()), pa.string())
    for name in sorted(n for n, ids in parts.items() if ids & renamed.keys()):  # only the parts that list them
        part = folder / name
        table = pq.read_table(part)
        where = pc.index_in(table.column("agency_id"), value_set=keys)
        hit = pc.is_valid(where)
        if not pc.any(hit).as_py():
            continue
        i = table.schema.get_field_index("agency_name")
        table = table.set_column(i, table.schema.field(i), pc.if_else(hit, pc.take(names, where), table.column(i)))
        rows = table.filter(hit)
        touched.update(zip(zip(rows.column("snapshot_id").to_pylist(), rows.column("row").to_pylist()),
                           rows.column("agency_name").to_pylist()))  # fmt: skip
        with atomic.atomic_path(part) as tmp:
            pq.write_table(table, tmp, compression="zstd")
    return touched


def append(sheets: list[RawFile], *, quiet: bool = False):
    """Add the new sheets to data/processed/archive/ (see the module docstring)."""
    items, new = plan(sheets)
    import pandas as pd
    import pyarrow.parquet as pq

    from . import counts_cache, history, qa, schemas
    from .build import skipped_corrections, write_csv, write_parquet
    from .tidy import assign_ids, correction_frame, finalize, raw_table, tidy

    base = panel.archive_dir()
    old_snaps = pd.read_parquet(base / "snapshots.parquet")
    _check_order(new, old_snaps)
    before = pickle.loads((base / panel.CONTEXT).read_bytes())
    parsed = panel.parse(new, quiet=quiet)
    pairs = panel.sheet_pairs(new, parsed)
    context: dict = {}
    cols, corrections = tidy(raw_table(pairs), ids=lambda df: assign_ids(df, context, base=before))
    renamed = _check_ids(before, context)
    corrections = correction_frame([corrections, skipped_corrections(pairs)])
    rows = finalize(cols)
    schemas.validate_agreements(rows)

    names = panel.distinct_columns(items)
    extra = list(names.columns[1:])
    snaps = pd.concat([old_snaps.drop(columns=extra), *([panel.snapshots_of(new, pairs).drop(columns=extra)] if new else [])],
                      ignore_index=True).merge(names, on="snapshot_id", how="left")  # fmt: skip
    snaps = snaps.sort_values(["kind", "published", "edition_order", "snapshot_id"], ignore_index=True)
    schemas.validate_snapshots(snaps)
    new_ids = set(snaps["snapshot_id"]) - set(old_snaps["snapshot_id"])
    new_snaps = snaps[snaps["snapshot_id"].isin(new_ids)]
    hist = extend_history(pd.read_parquet(base / "history.parquet"), snaps, rows, new_ids)

    built_qa = pd.read_csv(base / "qa.csv", dtype=str, keep_default_na=False)
    position = pd.Series(range(len(snaps)), index=snaps["snapshot_id"].to_numpy())
    per_sheet = pd.concat([built_qa, pd.DataFrame(qa.snapshot_checks(rows, new_snaps), columns=qa.COLUMNS)], ignore_index=True)
    per_sheet = per_sheet.assign(at=per_sheet["scope"].map(position)).dropna(subset=["at"])  # the cross-sheet rows are redone
    # The history checks need only the ids whose spells the new sheets touched: the rest passed before, unchanged.
    moved = hist["last_snapshot"].isin(new_ids) | hist["removed_by_snapshot"].isin(new_ids)
    touched = hist[hist["id"].isin(set(hist.loc[moved, "id"]))]
    crossing = qa.global_checks({state for _, state in context["pairs"]}, snaps) + history.checks(touched, rows, snaps, only=new_ids)
    qa_table = pd.concat([per_sheet.sort_values("at", kind="stable").drop(columns="at"), pd.DataFrame(crossing, columns=qa.COLUMNS)],
                         ignore_index=True)  # fmt: skip
    panel.check_qa(qa_table)

    old_corrections = pd.read_csv(base / "corrections.csv", dtype=str, keep_default_na=False)
    old_corrections["row"] = old_corrections["row"].astype("int64")
    counts = _counts_rows(base / counts_cache.FILE, rows, snaps, new_snaps, old_snaps)

    panel._save_pack(parsed)
    with atomic.replace_dir(base) as out:
        folder = out / panel.AGREEMENTS
        context["parts"] = before["parts"]
        touched = _rename(folder, renamed, context["parts"])
        if touched:  # the agency-name corrections of renamed agencies say the new name too
            key = zip(old_corrections["snapshot_id"], old_corrections["row"], old_corrections["field"], old_corrections["after"])
            old_corrections["after"] = [touched.get((s, r), a) if f == "LAW ENFORCEMENT AGENCY" else a for s, r, f, a in key]
        corrections = pd.concat([old_corrections, corrections], ignore_index=True).sort_values(
            ["snapshot_id", "row", "field"], kind="stable", ignore_index=True)  # as correction_frame orders them
        if len(rows):
            parts = sorted(folder.glob("part-*.parquet"))
            panel.write_agreements(rows, folder, len(parts), context["parts"], schema=pq.read_schema(parts[0]))
        write_parquet(snaps, out / "snapshots.parquet")
        write_parquet(hist, out / "history.parquet")
        write_csv(corrections, out / "corrections.csv")
        write_csv(qa_table, out / "qa.csv")
        counts_cache.write_rows(out / counts_cache.FILE, counts)
        atomic.write_bytes(out / panel.CONTEXT, pickle.dumps(context, protocol=pickle.HIGHEST_PROTOCOL))
        panel.write_manifest(out, sheets)
    total = sum(pq.read_metadata(p).num_rows for p in (base / panel.AGREEMENTS).glob("part-*.parquet"))
    return panel.result(snaps, total, hist, len(corrections), len(sheets), appended=len(new), renamed=len(renamed))


def _counts_rows(path, rows, snaps, new_snaps, old_snaps) -> list[tuple]:
    """counts.sqlite's rows: the built ones (with any new also-live-on dates) plus the new sheets'."""
    from . import counts_cache

    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        stored = {r[0]: r for r in con.execute("SELECT snapshot_id, kind, published, edition_order, data FROM snapshots")}
    finally:
        con.close()
    names = json.loads(stored.pop("")[4])
    if len(rows):
        added, new_rows = counts_cache.snapshot_rows(rows, new_snaps)
        names.update(added)
        stored.update({r[0]: r for r in new_rows})
    live = dict(zip(snaps["snapshot_id"], snaps["also_live_on"]))
    for sid, was in zip(old_snaps["snapshot_id"], old_snaps["also_live_on"]):
        if live[sid] != was:
            data = json.loads(stored[sid][4])
            data["meta"]["also_live_on"] = live[sid]
            stored[sid] = (*stored[sid][:4], json.dumps(data, sort_keys=True, separators=(",", ":")))
    return [counts_cache.names_row(names), *(stored[sid] for sid in snaps["snapshot_id"])]  # snaps: in the build's order


def extend_history(hist, snaps, rows, new_ids: set[str]):
    """The history table after the new snapshots (all later than the built ones) are added:
    open spells listed again are extended, the others end (removed by the new sheet), new ids
    open a spell, and re-signings are linked again over the whole history (history.py's rule)."""
    import numpy as np
    import pandas as pd

    from . import history

    dtypes = hist.dtypes.to_dict()
    work = {c: hist[c].tolist() for c in history.COLUMNS}  # plain lists: a few thousand spells
    for snap in snaps[snaps["snapshot_id"].isin(new_ids)].sort_values(["published", "edition_order", "snapshot_id"]).itertuples():
        listed = rows[(rows["snapshot_id"] == snap.snapshot_id) & ~rows["is_duplicate"]]
        day = pd.Timestamp(snap.published)
        for unit, key in (("agreement", "agreement_id"), ("agency", "agency_id")):
            first = listed.drop_duplicates(key)
            ids = dict(zip(first[key].tolist(), range(len(first))))
            spells: dict[str, int] = {}
            for i, (u, k, id_, status) in enumerate(zip(work["unit"], work["kind"], work["id"], work["status"])):
                if u != unit or k != snap.kind:
                    continue
                spells[id_] = max(spells.get(id_, 0), work["spell"][i])
                if status != "active":
                    continue
                if id_ in ids:  # listed again
                    work["last_snapshot"][i], work["last_seen"][i] = snap.snapshot_id, day
                    work["n_snapshots"][i] += 1
                    ids.pop(id_)
                else:  # gone from the new sheet
                    work["status"][i], work["removed_by_snapshot"][i], work["removed_by"][i] = "removed", snap.snapshot_id, day
                    work["window_days"][i] = (day - work["last_seen"][i]).days
            opened = first.iloc[list(ids.values())]
            agreement = unit == "agreement"
            new = {
                "unit": unit, "kind": snap.kind, "id": opened[key].tolist(), "agency_id": opened["agency_id"].tolist(),
                "state": opened["state"].tolist(), "model": opened["model"].tolist() if agreement else None,
                "signed": opened["signed"].tolist() if agreement else pd.NaT,
                "spell": [spells.get(i, 0) + 1 for i in opened[key].tolist()],
                "first_snapshot": snap.snapshot_id, "first_seen": day, "last_snapshot": snap.snapshot_id, "last_seen": day,
                "n_snapshots": 1, "status": "active", "removed_by_snapshot": None, "removed_by": pd.NaT,
                "window_days": pd.NA, "replaced_by": None, "replaces": None,
            }  # fmt: skip
            for c in history.COLUMNS:
                value = new[c]
                work[c].extend(value if isinstance(value, list) else [value] * len(opened))
    # Re-signings are linked over the whole history again, from the spells as they now stand.
    work["status"] = ["removed" if s in ("re-signed", "signed date changed") else s for s in work["status"]]
    work["replaced_by"] = work["replaces"] = [None] * len(work["id"])
    order = {}
    for kind, g in snaps.sort_values(["published", "edition_order", "snapshot_id"]).groupby("kind"):
        order.update({(kind, sid): i for i, sid in enumerate(g["snapshot_id"])})
    work["first_idx"] = [order[k, s] for k, s in zip(work["kind"], work["first_snapshot"])]
    work["last_idx"] = [order[k, s] for k, s in zip(work["kind"], work["last_snapshot"])]
    out = history._link_resignings(pd.DataFrame(work).astype({**dtypes, "first_idx": np.int64, "last_idx": np.int64}))
    return out[history.COLUMNS].sort_values(["unit", "kind", "id", "spell"], ignore_index=True)
