"""Build the tidy tables in data/processed/ from the verified raw sheets.

Pipeline: verify hashes -> read each sheet (sheets.py) -> clean cells and log corrections
(normalize.py) -> stable agency and agreement ids (agencies.py) -> validate (schemas.py) ->
QA invariants (qa.py) -> atomic writes. A build whose inputs and code are unchanged does
nothing, so ``make reproduce`` can call it every time.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pandas as pd

from ..core import atomic, paths
from . import counts_cache
from ..core.errors import KindMismatchError
from ..core.table_spec import KINDS
from ..ingest.registry import LOCAL_SET, RawFile
from ..ingest.sheets import RawSheet, drop_exact_duplicates, read_sheet
from ..ingest.snapshots import edition_order, snapshot_id
from ..clean.tidy import AGREEMENT_COLUMNS, CORRECTION_COLUMNS, assign_ids, correction_frame, finalize, place, raw_table, tidy  # noqa: F401 (re-exported)

from .buildinfo import BUILD_MANIFEST, BuildResult, code_version  # noqa: F401 (re-exported)

OUTPUTS = ("agreements.parquet", "snapshots.parquet", "corrections.csv", "qa.csv", "counts.sqlite")

def check_kind(entry: RawFile, sheet: RawSheet) -> None:
    """Kind is decided by content; a registry entry that says otherwise is refused."""
    if entry.kind in KINDS and sheet.kind != entry.kind:
        raise KindMismatchError(
            f"registered as {entry.kind} but its header ({sheet.layout.id}) is a {sheet.kind} sheet", path=entry.path
        )


def check_rows(entry: RawFile, sheet: RawSheet) -> None:
    """ICE's participating list is never empty; a sheet with no countable row is a broken file.
    (Pending sheets can be empty: ICE has posted pending lists with no applications.)"""
    if sheet.kind == "participating" and sheet.n_rows == 0:
        from ..core.errors import EmptySheetError

        raise EmptySheetError("participating sheet has no data rows (none with STATE and LAW ENFORCEMENT AGENCY)",
                              path=entry.path)  # fmt: skip


def checked(entry: RawFile, sheet: RawSheet) -> RawSheet:
    """A sheet as every build counts it: kind as registered, exact duplicate rows dropped (or too
    many refused), and rows present. The curated build and the archive panel both go through here."""
    check_kind(entry, sheet)
    sheet = drop_exact_duplicates(sheet)
    check_rows(entry, sheet)
    return sheet


def _read_one(entry: RawFile) -> RawSheet:
    return checked(entry, read_sheet(entry.local_path, label=entry.path))


def read_sheets(entries: list[RawFile], *, quiet: bool = False) -> list[tuple[RawFile, RawSheet]]:
    from tqdm.auto import tqdm

    return [(e, _read_one(e)) for e in tqdm(entries, desc="read sheets", unit="sheet", disable=quiet, file=sys.stderr)]


def source_note(entry: RawFile, sheet: RawSheet) -> str:
    """Where a snapshot's bytes come from, as every answer names it: a sheet someone added with
    add-sheet is not vouched for as ICE's, so it is called a local sheet, by its original name."""
    if entry.set == LOCAL_SET:
        return f"local sheet, added from {entry.original_filename}"
    return "ICE workbook" if sheet.layout.id != "P0" else "transcription of ICE's HTML table (not an ICE file)"


def snapshot_table(pairs: list[tuple[RawFile, RawSheet]]) -> pd.DataFrame:
    rows = []
    for entry, sheet in pairs:
        rows.append(
            {
                "snapshot_id": snapshot_id(entry.path),
                "file": entry.path,
                "sha256": entry.sha256,
                "set": entry.set,
                "kind": sheet.kind,
                "kind_registry": entry.kind,
                "published": dt.date.fromisoformat(entry.published),
                "edition": entry.edition,
                "edition_order": edition_order(entry.edition),
                "layout": sheet.layout.id,
                "layout_registry": entry.layout,
                "worksheet": sheet.sheet_name,
                "rows": sheet.rows_read,
                "rows_registry": entry.rows if entry.rows is not None else -1,
                "rows_skipped": len(sheet.skipped),
                "rows_duplicate": len(sheet.duplicates),
                "is_ice_file": sheet.layout.id != "P0",
                "source_note": source_note(entry, sheet),
            }
        )
    snaps = pd.DataFrame(rows)
    snaps["published"] = pd.to_datetime(snaps["published"]).dt.date
    return snaps.sort_values(["kind", "published", "edition_order", "snapshot_id"], ignore_index=True)


def _manifest(entries: list[RawFile]) -> dict:
    # Every registry field is part of the key: a corrected date or row count must rebuild too.
    return {"code_version": code_version(), "inputs": {e.path: e.to_row() for e in sorted(entries, key=lambda e: e.path)}}


def is_current(entries: list[RawFile]) -> bool:
    """Built from these inputs by this code, and every output still the one the build wrote (a
    table edited since is rebuilt, with a note saying which)."""
    from . import integrity

    path = paths.PROCESSED_DIR / BUILD_MANIFEST
    if not path.is_file() or not all((paths.PROCESSED_DIR / o).exists() for o in OUTPUTS):
        return False
    recorded = json.loads(path.read_text())
    recorded.pop("outputs", None)
    if recorded != _manifest(entries):
        return False
    why = integrity.problem(paths.PROCESSED_DIR)
    if why is not None:
        print(f"note: data/processed/{why}; rebuilding", file=sys.stderr)
    return why is None


def ice_entries(entries: list[RawFile]) -> list[RawFile]:
    return [e for e in entries if e.is_ice_sheet]


def build(entries: list[RawFile], *, quiet: bool = False, force: bool = False) -> BuildResult:
    """Build every processed table from the given registry entries (all raw files), holding the
    project's write lock (lock.py; re-entrant, so a command that already holds it goes on)."""
    from ..ingest import lock

    with lock.hold():
        return _build(entries, quiet=quiet, force=force)


def _build(entries: list[RawFile], *, quiet: bool, force: bool) -> BuildResult:
    from ..core import schemas
    from ..ingest import fetch
    from ..clean import qa

    fetch.verify(entries)
    sheets = ice_entries(entries)
    if not force and is_current(entries):
        return BuildResult(True, 0, 0, 0, 0, "processed tables are up to date (inputs and code unchanged); nothing to do")
    from ..clean import geography
    from . import context_tables, integrity

    # The context tables first: agreements are placed in counties from two of them (the same
    # frames that are written below, so the tables and the placements agree).
    context = context_tables.read_all(entries)
    missing = [name for name in context_tables.GAZETTEER_TABLES if name not in context]
    if missing:
        from ..core.errors import DataIntegrityError

        raise DataIntegrityError(f"no registered file builds {', '.join(missing)}: agreements cannot be placed in counties",
                                 path="data/raw/registry.csv")  # fmt: skip
    pairs = read_sheets(sheets, quiet=quiet)
    cols, corrections = tidy(raw_table(pairs))
    gazetteer = geography.from_frames(*(context[name] for name in context_tables.GAZETTEER_TABLES))
    agreements = place(finalize(cols), gazetteer)
    snaps = geography.snapshot_coverage(snapshot_table(pairs), agreements)
    corrections = correction_frame([corrections, skipped_corrections(pairs)])
    schemas.validate_agreements(agreements)
    schemas.validate_snapshots(snaps)
    qa_table = qa.run_checks(agreements, snaps, corrections)
    if qa_table["status"].eq("fail").any():
        # QA is written even when it fails so the failure can be read; the data tables are not.
        write_csv(qa_table, paths.PROCESSED_DIR / "qa.csv")
        qa.raise_on_failure(qa_table, "data/processed/qa.csv")

    # Every output is written into a staging copy of data/processed/ that replaces it in one atomic
    # exchange: a kill at any point leaves the previous set whole (the archive/ panel is carried over).
    with atomic.replace_dir(paths.PROCESSED_DIR) as out:
        write_csv(qa_table, out / "qa.csv")
        write_parquet(agreements, out / "agreements.parquet")
        write_parquet(snaps, out / "snapshots.parquet")
        write_csv(corrections, out / "corrections.csv")
        counts_cache.write(agreements, snaps, out)
        context_tables.write_all(context, out)
        manifest = integrity.record(out, _manifest(entries))  # the outputs' sha256: an edited table is noticed
        atomic.write_text(out / BUILD_MANIFEST, json.dumps(manifest, indent=1, sort_keys=True) + "\n")
        integrity.remember(out, paths.PROCESSED_DIR)
    return BuildResult(
        False, len(snaps), len(agreements), len(corrections), 0,
        f"built {len(snaps)} snapshots, {len(agreements):,} agreement rows, {len(corrections):,} corrections logged; QA passed"
        f"{geography.coverage_note(snaps)}",
    )  # fmt: skip


def skipped_corrections(pairs: list[tuple[RawFile, RawSheet]]) -> dict:
    """Rows read but not counted go into the corrections log: row_skipped (no STATE or agency) and
    row_exact_duplicate (a repeat of an earlier row, cell for cell; sheets.drop_exact_duplicates)."""
    rows = [(snapshot_id(e.path), e.path, row, text, "row_skipped") for e, s in pairs for row, text in s.skipped]
    rows += [(snapshot_id(e.path), e.path, row, f"exact duplicate of row {first}, dropped (counted once)", "row_exact_duplicate")
             for e, s in pairs for row, first in s.duplicates]  # fmt: skip
    return {"snapshot_id": [r[0] for r in rows], "file": [r[1] for r in rows], "row": [r[2] for r in rows],
            "field": ["(row)"] * len(rows), "before": [r[3] for r in rows], "after": [""] * len(rows),
            "rule": [r[4] for r in rows]}  # fmt: skip


def write_parquet(df: pd.DataFrame, path: Path) -> None:
    with atomic.atomic_path(path) as tmp:
        df.to_parquet(tmp, index=False, compression="zstd")


def write_csv(df: pd.DataFrame, path: Path) -> None:
    with atomic.atomic_path(path) as tmp:
        df.to_csv(tmp, index=False, lineterminator="\n")
