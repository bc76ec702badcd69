"""Append new ICE sheets to a built archive panel, without rebuilding its 337k rows.

A researcher adds this week's sheet and should not wait for the whole archive to be cleaned
again. An append gives exactly the tables a full build would give, or it does not run (it
raises NeedsRebuild with the reason, and archive.build does a full build):

- **When.** The panel was built by this code version from inputs that are all still registered
  unchanged, every built snapshot keeps its name, and each new file's snapshot comes after every
  built snapshot of its kind (date, then edition). A back-filled older sheet, an edited registry
  row or changed code is a full build. A new file whose bytes are already built only adds a
  name and a date to that snapshot (``names``, ``also_live_on``, ``confirmed_until``).
- **Ids.** Agency ids come from rules over *all* names (agencies.py), so the new names are
  keyed against every name already built: append_context.json keeps each name's key, the
  truncation candidates that were listed together and the spelling counts behind display names
  (tidy.assign_ids ``base``). If the new sheet would change the id or display name of any agency
  already in the panel, that is a full build.
- **Tables.** The new rows are a new part of agreements.parquet/; history spells are extended,
  closed (removed by the new sheet) or opened, and re-signings are linked again over the whole
  history; QA runs on the new sheets plus the cross-sheet checks; snapshots, corrections and
  counts.sqlite get the new sheets' rows. Everything is committed in one atomic exchange.
- **Cost.** An append should take well under half a second (benchmarks/bench_archive.py), so
  the whole-panel files are extended rather than redone: numpy columns for the history, the
  built CSV records kept as text (csvsplice.py), a copy of counts.sqlite with rows inserted,
  parquet written on a second thread. pandas' fixed cost per call is most of what remains.

tests/test_increment.py builds panels both ways and compares every table.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date

from ..core import atomic
from ..core.paths import Project
from . import csvsplice, panel
from .parts import write_agreements
from ..ingest.registry import RawFile


class NeedsRebuild(Exception):
    """Why an append cannot give the tables a full build would."""


def plan(project: Project, sheets: list[RawFile], built: dict,
         current: dict) -> tuple[list[panel.Distinct], list[panel.Distinct]]:  # fmt: skip
    """The distinct sheets a new file joins, and those of them that are new; NeedsRebuild when
    appending them is not exact. ``built`` and ``current``: the built panel's manifest and the
    one these sheets make."""
    base = project.archive
    if not (base / panel.CONTEXT).is_file():
        raise NeedsRebuild("no built panel to append to")
    if built.get("code_version") != current["code_version"]:
        raise NeedsRebuild("the code changed since the last build")
    if built.get("gazetteer") != current["gazetteer"]:
        raise NeedsRebuild("the county tables (data/processed/county_population, place_county) changed since the last build")
    now = current["inputs"]
    for path, row in built["inputs"].items():
        if now.get(path) != row:
            raise NeedsRebuild(f"{path} was removed from the registry or its registry row changed")
    built_bytes = {e.sha256 for e in sheets if e.path in built["inputs"]}  # unchanged, as checked above
    # Only the snapshots a new file joins can change (new bytes, or a new name and date for built bytes).
    joined = {e.sha256 for e in sheets if e.path not in built["inputs"]}
    items = panel.distinct_sheets([e for e in sheets if e.sha256 in joined])
    for d in items:  # a built snapshot keeps its name unless a new file is an earlier name for its bytes
        if d.entry.sha256 in built_bytes and d.entry.path not in built["inputs"]:
            raise NeedsRebuild(f"{d.entry.path} is an earlier name for bytes already built")
    return items, [d for d in items if d.entry.sha256 not in built_bytes]


def _check_order(new: list[panel.Distinct], snaps) -> None:
    """Each new snapshot must come after every built one of its kind (history only grows at the end)."""
    from ..ingest.snapshots import edition_order, snapshot_id

    last: dict[str, tuple] = {}
    for kind, *key in zip(snaps["kind"].tolist(), snaps["published"].tolist(), snaps["edition_order"].tolist(), snaps["snapshot_id"].tolist()):
        last[kind] = max(last.get(kind, tuple(key)), tuple(key))
    for d in new:
        key = (date.fromisoformat(d.entry.published), edition_order(d.entry.edition), snapshot_id(d.entry.path))
        if d.entry.kind in last and key <= last[d.entry.kind]:
            raise NeedsRebuild(f"{d.entry.path} is not later than every built {d.entry.kind} sheet")


def _check_ids(before: dict, after: dict) -> dict[str, str]:
    """The new names must not change the id of any agency already built (that is a full build);
    returns the built agencies whose display name they change (agency_id -> new name)."""
    from ..clean.tidy import display_names

    for pair, (_, _, full) in before["pairs"].items():
        if after["pairs"][pair][2] != full:
            raise NeedsRebuild(f"the new sheets change the id of {pair[1]} agency {pair[0]!r} (name truncation rule)")
    counted = {agency_id for (agency_id, name), n in after["names"].items() if before["names"].get((agency_id, name)) != n}
    old, new = display_names(before["names"], counted), display_names(after["names"], counted)  # the others keep theirs
    return {agency_id: new[agency_id] for agency_id, name in old.items() if new[agency_id] != name}


def _rename(folder, renamed: dict[str, str], parts: dict[str, set], place) -> dict[tuple[str, int], str]:
    """Give the built rows of these agencies their new display name; returns (snapshot, row) -> name.

    A new spelling that becomes an agency's most frequent one (ICE fixing a typo) renames it in
    every sheet: only that column and the county columns placed from it (``place``: a frame of
    geography.KEY -> geography.COLUMNS) change, so the parts are rewritten without cleaning again.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from ..clean.geography import COLUMNS as GEO_COLUMNS, KEY

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
        placed = place(table.select(KEY).to_pandas())
        for c in GEO_COLUMNS:
            j = table.schema.get_field_index(c)
            values = pa.array(placed[c].astype(object).where(placed[c].notna(), None).tolist(), type=table.schema.field(j).type)
            table = table.set_column(j, table.schema.field(j), values)
        rows = table.filter(hit)
        touched.update(zip(zip(rows.column("snapshot_id").to_pylist(), rows.column("row").to_pylist()),
                           rows.column("agency_name").to_pylist()))  # fmt: skip
        with atomic.atomic_path(part) as tmp:
            pq.write_table(table, tmp, compression="zstd")
    return touched


def append(project: Project, sheets: list[RawFile], *, built: dict, current: dict, quiet: bool = False):
    """Add the new sheets to data/processed/archive/ (see the module docstring).

    The cyclic garbage collector is paused meanwhile: the append makes ~10^5 short-lived objects,
    freed by reference counting, and a full collection of the caller's heap that they trigger
    (in about one append in five, in the benchmark) cost ~0.1 s and found nothing to free.
    """
    import gc

    paused = gc.isenabled()
    gc.disable()
    try:
        return _append(project, sheets, built, current, quiet=quiet)
    finally:
        if paused:
            gc.enable()


def _append(project: Project, sheets: list[RawFile], built: dict, current: dict, *, quiet: bool):
    items, new = plan(project, sheets, built, current)
    from concurrent.futures import ThreadPoolExecutor

    import pandas as pd
    import pyarrow.parquet as pq

    from ..core import schemas
    from ..clean import geography, qa
    from . import counts_cache, history
    from .build import skipped_corrections, write_parquet
    from .columns import objects
    from ..clean.tidy import assign_ids, correction_frame, finalize, place, raw_table, tidy

    base = project.archive
    old_snaps = pd.read_parquet(base / "snapshots.parquet")
    _check_order(new, old_snaps)
    try:
        before = panel.read_context(base)
    except (panel.Unverified, ValueError, KeyError, TypeError) as why:  # never trusted: rebuilt from the sheets
        why = why if isinstance(why, panel.Unverified) else f"unreadable ({type(why).__name__})"
        panel.note_ignored(project, base / panel.CONTEXT, why, "not loaded; the panel is built again")
        raise NeedsRebuild(f"{panel.CONTEXT} not loaded") from None
    parsed = panel.parse(project, new, quiet=quiet)
    pairs = panel.sheet_pairs(new, parsed)
    context: dict = {}
    cols, corrections = tidy(raw_table(pairs), ids=lambda df: assign_ids(df, context, base=before))
    renamed = _check_ids(before, context)
    context["parts"] = before["parts"]
    # Placements are kept per (state, county, agency_name, jurisdiction_type): the gazetteer is read
    # only for a tuple not placed before (a new agency, a new spelling, a renamed agency).
    context["places"] = before["places"]
    gazetteer = _lazy(lambda: panel.read_gazetteer(project))
    panel._save_pack(project, parsed)  # before the staging copy is made: the parse cache lives in the folder

    # One atomic exchange of the whole folder. pyarrow reads, encodes and writes parquet without
    # the GIL, so a second thread rewrites renamed parts and writes the new ones while this one
    # makes the other tables (the writer takes its tasks in order).
    with atomic.replace_dir(base) as out, ThreadPoolExecutor(1) as writer:
        folder = out / panel.AGREEMENTS
        tasks = [renaming := writer.submit(_rename, folder, renamed, context["parts"],
                                           lambda keys: geography.place_frame(keys, gazetteer, context["places"]))]  # fmt: skip
        corrections = correction_frame([corrections, skipped_corrections(pairs)])
        rows = place(finalize(cols), gazetteer, context["places"])
        schemas.validate_agreements(rows)
        if len(rows):
            tasks.append(writer.submit(_write_part, rows, folder, context["parts"]))

        snaps = pd.concat([old_snaps, *([geography.snapshot_coverage(panel.snapshots_of(new, pairs), rows)] if new else [])],
                          ignore_index=True)  # fmt: skip
        names = panel.distinct_columns(items).set_index("snapshot_id")  # every name and date of the joined snapshots
        joined = snaps["snapshot_id"].isin(names.index).to_numpy(dtype=bool)
        for c in names.columns:
            snaps.loc[joined, c] = snaps.loc[joined, "snapshot_id"].map(names[c]).to_numpy(dtype=object)
        snaps = snaps.sort_values(["kind", "published", "edition_order", "snapshot_id"], ignore_index=True)
        schemas.validate_snapshots(snaps)
        new_ids = set(snaps["snapshot_id"]) - set(old_snaps["snapshot_id"])
        new_snaps = snaps[snaps["snapshot_id"].isin(new_ids)]
        hist, spells = extend_history(pq.read_table(base / "history.parquet"), snaps, rows, new_ids)

        # qa.csv and corrections.csv keep their built records as text; only the new rows are rendered.
        position = {sid: i for i, sid in enumerate(objects(snaps["snapshot_id"]).tolist())}
        checked = qa.snapshot_checks(rows, new_snaps)
        positions = spells["first_idx"], spells["last_idx"]
        crossing = qa.global_checks({state for _, state in context["pairs"]}, snaps) + qa.geography_checks(rows, snaps)
        crossing += history.checks(spells, rows, snaps, only=new_ids, positions=positions)
        qa_header, built_qa = csvsplice.read(base / "qa.csv")
        per_sheet = [(position[scope], r) for r in built_qa if (scope := csvsplice.fields(r)[1]) in position]  # cross-sheet rows are redone
        per_sheet += zip((position[c["scope"]] for c in checked), csvsplice.render([c[k] for k in qa.COLUMNS] for c in checked))
        qa_records = [r for _, r in sorted(per_sheet, key=lambda pr: pr[0])] + csvsplice.render([c[k] for k in qa.COLUMNS] for c in crossing)
        panel.check_qa(project, pd.DataFrame(checked + crossing, columns=qa.COLUMNS), write=lambda path: csvsplice.write(path, qa_header, qa_records))
        tasks += [writer.submit(write_parquet, snaps, out / "snapshots.parquet"), writer.submit(_write_table, hist, out / "history.parquet")]

        _update_counts(base / counts_cache.FILE, out / counts_cache.FILE, rows, snaps, new_snaps, old_snaps)
        fix_header, fixes = csvsplice.read(base / "corrections.csv")
        touched = renaming.result()
        if touched:  # the agency-name corrections of renamed agencies say the new name too
            fixes = [_renamed_correction(r, touched) if "LAW ENFORCEMENT AGENCY" in r else r for r in fixes]
        added = csvsplice.render(zip(*(objects(corrections[c]) for c in corrections.columns)))
        # sorted by snapshot, row, field: the new sheets' records are whole snapshots, already in order
        fixes = [r for _, r in sorted([*((csvsplice.first_field(r), r) for r in fixes),
                                       *zip(objects(corrections["snapshot_id"]).tolist(), added)], key=lambda kr: kr[0])]  # fmt: skip
        csvsplice.write(out / "corrections.csv", fix_header, fixes)
        csvsplice.write(out / "qa.csv", qa_header, qa_records)
        for task in tasks:  # every part is written (an error in one is raised here) before the context is
            task.result()
        panel.write_context(out, context)
        panel.write_manifest(project, out, current)
    total = sum(pq.read_metadata(p).num_rows for p in (base / panel.AGREEMENTS).glob("part-*.parquet"))
    return panel.result(snaps, total, spells, len(fixes), len(sheets), appended=len(new), renamed=len(renamed))


def _lazy(make):
    """``make`` called once, on first use, from either thread of an append (geography.place_frame
    calls it only when a tuple is new)."""
    import threading

    lock, made = threading.Lock(), []

    def get():
        with lock:
            if not made:
                made.append(make())
            return made[0]

    return get


def _write_table(table, path) -> None:
    import pyarrow.parquet as pq

    with atomic.atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")


def _write_part(rows, folder, parts: dict) -> None:
    """The new sheets' rows as the next part, in the first part's exact schema."""
    import pyarrow.parquet as pq

    existing = sorted(folder.glob("part-*.parquet"))
    write_agreements(rows, folder, len(existing), parts, schema=pq.read_schema(existing[0]))


def _renamed_correction(record: str, touched: dict[tuple[str, int], str]) -> str:
    """A corrections.csv record with the new display name as ``after``, if its row was renamed."""
    snapshot, file, row, field, before, _, rule = csvsplice.fields(record)
    name = touched.get((snapshot, int(row))) if field == "LAW ENFORCEMENT AGENCY" else None
    return record if name is None else csvsplice.render([[snapshot, file, row, field, before, name, rule]])[0]


def _update_counts(built, path, rows, snaps, new_snaps, old_snaps) -> None:
    """counts.sqlite at ``path``: a copy of the ``built`` one with the new sheets' rows added and
    any new also-live-on dates set (queries order by date, so where rows sit does not matter)."""
    import shutil

    from . import counts_cache

    with atomic.atomic_path(path) as tmp:
        shutil.copyfile(built, tmp)
        con = sqlite3.connect(tmp)
        try:
            con.execute("PRAGMA journal_mode = OFF")  # a temp file renamed into place once whole
            con.execute("PRAGMA synchronous = OFF")
            if len(rows):
                names = json.loads(con.execute("SELECT data FROM snapshots WHERE snapshot_id = ''").fetchone()[0])
                added, new_rows = counts_cache.snapshot_rows(rows, new_snaps)
                names.update(added)
                con.execute("UPDATE snapshots SET data = ? WHERE snapshot_id = ''", (counts_cache.names_row(names)[4],))
                con.executemany("INSERT INTO snapshots VALUES (?, ?, ?, ?, ?)", new_rows)
            live = dict(zip(snaps["snapshot_id"], snaps["also_live_on"]))
            for sid, was in zip(old_snaps["snapshot_id"], old_snaps["also_live_on"]):
                if live[sid] != was:
                    data = json.loads(con.execute("SELECT data FROM snapshots WHERE snapshot_id = ?", (sid,)).fetchone()[0])
                    data["meta"]["also_live_on"] = live[sid]
                    con.execute("UPDATE snapshots SET data = ? WHERE snapshot_id = ?", (json.dumps(data, sort_keys=True, separators=(",", ":")), sid))
            con.commit()
        finally:
            con.close()


def extend_history(hist, snaps, rows, new_ids: set[str]):
    """The history table (an Arrow table, as read from history.parquet) after the new snapshots
    (all later than the built ones) are added: open spells listed again are extended, the others
    end (removed by the new sheet), new ids open a spell, and re-signings are linked again over
    the whole history (history.py's rule). Returns the table, in the same schema, and its numpy
    columns (with first_idx / last_idx, for history.checks).

    Works on numpy columns (a few thousand spells): pandas' per-call cost on Arrow text was
    most of an append's time when this was written with .loc and isin.
    """
    import bisect

    import numpy as np
    import pandas as pd
    import pyarrow as pa

    from . import history
    from .columns import isin, objects

    col = {c: np.array(hist.column(c).to_numpy(zero_copy_only=False)) for c in history.COLUMNS}  # writable; text as objects
    col["window_days"] = np.array(hist.column("window_days").to_pylist(), dtype=object)  # ints and None, not floats and NaN
    row_sid, kept = objects(rows["snapshot_id"]), ~rows["is_duplicate"].to_numpy(dtype=bool)
    attrs = {c: objects(rows[c]) for c in ("agreement_id", "agency_id", "state", "model")} | {"signed": rows["signed"].to_numpy()}
    attrs["model"] = np.where(pd.isna(attrs["model"]), None, attrs["model"])  # missing as None, as Arrow gives it
    for kind, order in history.publication_order(snaps).items():
        for sid in (s for s in order if s in new_ids):
            day = np.datetime64(pd.Timestamp(snaps.loc[snaps["snapshot_id"].eq(sid).to_numpy(), "published"].iloc[0]), "ms")
            listed = np.flatnonzero((row_sid == sid) & kept)
            added = {c: [] for c in history.COLUMNS}
            for unit, key in (("agreement", "agreement_id"), ("agency", "agency_id")):
                first = dict(zip(attrs[key][listed].tolist()[::-1], listed[::-1].tolist()))  # id -> its first row
                first = dict(sorted(first.items(), key=lambda kv: kv[1]))  # in sheet order
                mine = (col["unit"] == unit) & (col["kind"] == kind)
                active = mine & (col["status"] == "active")
                on_sheet = isin(col["id"], first.keys())
                again, gone = active & on_sheet, active & ~on_sheet
                col["last_snapshot"][again], col["last_seen"][again] = sid, day
                col["n_snapshots"][again] += 1
                col["status"][gone], col["removed_by_snapshot"][gone], col["removed_by"][gone] = "removed", sid, day
                col["window_days"][gone] = ((day - col["last_seen"][gone]) // np.timedelta64(1, "D")).tolist()
                listed_again = set(col["id"][again].tolist())
                spells: dict[str, int] = {}
                for i, s in zip(col["id"][mine].tolist(), col["spell"][mine].tolist()):
                    spells[i] = max(spells.get(i, 0), s)
                agreement = unit == "agreement"
                for i, r in first.items():
                    if i in listed_again:
                        continue
                    for c, v in (("unit", unit), ("kind", kind), ("id", i), ("agency_id", attrs["agency_id"][r]), ("state", attrs["state"][r]),
                                 ("model", attrs["model"][r] if agreement else None),
                                 ("signed", attrs["signed"][r] if agreement else np.datetime64("NaT", "ns")),
                                 ("spell", spells.get(i, 0) + 1), ("first_snapshot", sid), ("first_seen", day), ("last_snapshot", sid),
                                 ("last_seen", day), ("n_snapshots", 1), ("status", "active"), ("removed_by_snapshot", None),
                                 ("removed_by", np.datetime64("NaT", "ms")), ("window_days", None), ("replaced_by", None), ("replaces", None)):  # fmt: skip
                        added[c].append(v)
            col = {c: np.concatenate([col[c], np.array(added[c], dtype=col[c].dtype)]) for c in history.COLUMNS}
    # Re-signings are linked over the whole history again, from the spells as they now stand.
    col["status"][isin(col["status"], {"re-signed", "signed date changed"})] = "removed"
    col["replaced_by"][:] = col["replaces"][:] = None
    col["first_idx"], col["last_idx"] = history.snapshot_positions(col, snaps)
    history.link_resignings(col)
    # The built rows are in the table's order (unit, kind, id, spell): the new spells are put in
    # their places among them, as a stable sort of the whole table would.
    unit, kind, ids, spell = col["unit"], col["kind"], col["id"], col["spell"]

    def key(i: int) -> tuple:
        return unit[i], kind[i], ids[i], spell[i]

    opened = sorted(range(hist.num_rows, len(ids)), key=key)
    at = [bisect.bisect_right(range(hist.num_rows), key(i), key=key) for i in opened]
    order = np.insert(np.arange(hist.num_rows), at, opened)
    col = {c: v[order] for c, v in col.items()}

    def arrow(name: str):
        """A column in the built table's type; one that was all missing (Arrow's null type, in
        small panels) takes the type its values now need, as a full build would write them."""
        built = hist.schema.field(name).type
        return pa.array(col[name], from_pandas=True, type=None if pa.types.is_null(built) else built)

    columns = [arrow(c) for c in history.COLUMNS]
    schema = pa.schema([hist.schema.field(c).with_type(a.type) for c, a in zip(history.COLUMNS, columns)], metadata=hist.schema.metadata)
    table = pa.Table.from_arrays(columns, schema=schema)
    return table, col
