"""`add-sheet`: register a researcher's own ICE sheet next to the pinned ones, then rebuild.

A sheet ICE posted after the pinned set (or one from the archive) can be checked against every
claim without editing the pinned registry: the file is copied to ``data/raw/local/`` and
recorded in ``data/raw/local/registry_local.csv``, which ``registry.load(local=True)`` adds to
the build. Nothing is registered unless the sheet is new, readable, of the declared kind, dated,
and the rebuild passes QA; a failed rebuild rolls the registration back.

Registering and unregistering are journal-then-commit, so that a kill -9 never leaves a half
registration: ``data/raw/local/journal.json`` says what is about to change before anything does,
and is removed only when the change and its rebuild are done. The next command that writes
(lock.hold) finds a leftover journal and settles it first (journal.recover): an add whose rebuild
had passed is kept, any other add is rolled back (nothing is registered until its rebuild
passed QA, as when the rebuild fails); a remove is completed (the user asked for it, and taking
a sheet away cannot make the others fail). ``remove-sheet`` unregisters a local sheet.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..core import atomic, paths
from ..ingest import journal, limits, lock, registry
from ..core.errors import DuplicateSheetError, KindMismatchError, UsageError
from ..core.table_spec import KINDS
from ..ingest.registry import LOCAL_SET, RawFile
from ..ingest.snapshots import edition_order, snapshot_id


# ICE's own names: participatingAgencies09152025am.xlsx, pendingAgencies07312025.xlsx, pm2, amB ...
ICE_NAME = re.compile(r"^(participating|pending)Agencies(\d{2})(\d{2})(\d{4})([A-Za-z][A-Za-z0-9_]*)?\.xlsx$", re.I)
# ICE workbooks recovered from the Wayback Machine: participatingAgencies-20250221214937.xlsx
WAYBACK_NAME = re.compile(r"^(participating|pending)Agencies-(\d{4})(\d{2})(\d{2})(\d{6})\.xlsx$", re.I)
# This project's names (curated set and archive): participating_2025-09-02_pm.xlsx
PROJECT_NAME = re.compile(r"^(participating|pending)_(\d{4}-\d{2}-\d{2})(?:_([A-Za-z0-9]+))?\.xlsx$")
_EDITION = re.compile(r"^[a-z0-9]{1,8}$")


@dataclass(frozen=True)
class NameInfo:
    """What a file name says: kind, publication date and edition (any may be missing)."""

    kind: str | None
    published: dt.date | None
    edition: str
    basis: str  # which naming rule gave the date


def parse_name(name: str, *, need_date: bool = True) -> NameInfo:
    """Kind, date and edition from ICE's, Wayback's or this project's file name; an impossible
    date raises, unless ``need_date`` is False (--published gives the date): then it is None."""
    for pattern, basis in ((ICE_NAME, "ice_filename"), (WAYBACK_NAME, "wayback_capture"), (PROJECT_NAME, "project_filename")):
        m = pattern.match(name)
        if not m:
            continue
        kind = m[1].lower()
        if basis == "ice_filename":
            y, mo, d, edition = m[4], m[2], m[3], (m[5] or "").lower()
        elif basis == "wayback_capture":
            y, mo, d, edition = m[2], m[3], m[4], m[5]
        else:
            (y, mo, d), edition = m[2].split("-"), (m[3] or "").lower()
        try:
            published = dt.date(int(y), int(mo), int(d))
        except ValueError:
            if not need_date:
                return NameInfo(kind, None, edition, basis)
            raise UsageError(f"file name gives an impossible date {y}-{mo}-{d}; pass --published YYYY-MM-DD", path=name) from None
        return NameInfo(kind, published, edition, basis)
    kind = next((k for k in KINDS if name.lower().startswith(k)), None)
    return NameInfo(kind, None, "", "")


def _parse_date(value: str, label: str) -> dt.date:
    from ..core.dates import parse_iso_date

    try:
        return parse_iso_date(value)
    except UsageError:
        raise UsageError(f"--published is not a date (YYYY-MM-DD): {value!r}", path=label) from None


def _all_registered() -> list[tuple[RawFile, Path]]:
    """Every entry of the pinned, archive and local registries, with the registry it is in."""
    out = []
    for csv_path in (paths.REGISTRY_CSV, paths.ARCHIVE_REGISTRY_CSV, paths.LOCAL_REGISTRY_CSV):
        out += [(e, csv_path) for e in registry.read_registry(csv_path)]
    return out


def _latest_signed(sheet) -> dt.date | None:
    """Latest real SIGNED date in the sheet (typos repaired as the build repairs them)."""
    from ..clean import normalize

    today = dt.date.today()
    dates = [normalize.parse_signed(raw, today)[0] for raw in sheet.columns["signed_raw"]]
    dates = [d for d in dates if d is not None]
    return max(dates) if dates else None


@dataclass
class Added:
    entry: RawFile
    build_message: str


def check(source: Path, *, published: str | None = None, kind: str | None = None, edition: str | None = None) -> RawFile:
    """Everything add-sheet refuses, in order; returns the registry entry the sheet would get."""
    from ..ingest import fetch
    from ..ingest.sheets import drop_exact_duplicates, read_sheet

    label = source.name
    if not source.is_file():
        raise UsageError("file not found", path=str(source))
    if kind is not None and kind not in KINDS:
        raise UsageError(f"--kind must be one of {', '.join(KINDS)}, not {kind!r}", path=label)
    sha = fetch.sha256_of(source)
    registered = _all_registered()
    for entry, csv_path in registered:
        if entry.sha256 == sha:
            raise DuplicateSheetError(
                f"already registered: same sha256 as {entry.path} in {paths.relative_to_root(csv_path)}"
                + ("; use `python -m analysis build --archive` for archive sheets" if csv_path == paths.ARCHIVE_REGISTRY_CSV else ""),
                path=label,
            )

    info = parse_name(label, need_date=published is None)
    if published is not None:
        day, basis = _parse_date(published, label), "--published"
    elif info.published is not None:
        day, basis = info.published, info.basis
    else:
        raise UsageError(
            "no date in the file name (expected ICE's participatingAgenciesMMDDYYYY[am|pm].xlsx or "
            "pendingAgencies...); pass --published YYYY-MM-DD",
            path=label,
        )
    if day > dt.date.today():
        raise UsageError(f"publication date {day} is in the future", path=label)
    if day < dt.date(1996, 9, 30):
        raise UsageError(f"publication date {day} is before 287(g) existed (1996-09-30)", path=label)
    edition = (edition if edition is not None else info.edition).strip().lower()
    if edition and not _EDITION.match(edition):
        raise UsageError(f"edition {edition!r} must be 1-8 lower-case letters or digits (am, pm, mid, pm2, 143000)", path=label)

    # Unknown layout, missing column, not a workbook, zip CRC failure: typed errors. The CRC check
    # is kept (the default) because this is where a new file enters data/raw; builds skip it.
    sheet = read_sheet(source, label=label, check_crc=True)
    declared = kind or info.kind
    if declared and declared != sheet.kind:
        where = "--kind" if kind else "its file name"
        raise KindMismatchError(
            f"{where} says {declared} but its header ({sheet.layout.id}) is a {sheet.kind} sheet "
            "(ICE swapped the two files on 2025-09-22 pm); pass the other file or the right --kind",
            path=label,
        )
    sheet = drop_exact_duplicates(sheet)  # a doubled sheet is refused before it is registered
    if sheet.kind == "participating":
        latest = _latest_signed(sheet)
        if latest is not None and latest > day:
            raise UsageError(
                f"publication date {day} (from {basis}) is before the latest SIGNED date in the sheet ({latest}); "
                "ICE misdated some file names: pass the real date with --published YYYY-MM-DD",
                path=label,
            )

    stem = f"{sheet.kind}_{day.isoformat()}" + (f"_{edition}" if edition else "")
    rel = f"local/{stem}.xlsx"
    for entry, csv_path in registered:
        if csv_path == paths.ARCHIVE_REGISTRY_CSV or not entry.is_ice_sheet:
            continue  # the archive is built separately; only sheets built together may not collide
        same_slot = (entry.kind, entry.published, edition_order(entry.edition)) == (sheet.kind, day.isoformat(), edition_order(edition))
        if same_slot or snapshot_id(entry.path) == stem:
            raise DuplicateSheetError(
                f"a {sheet.kind} sheet for {day}{' ' + edition if edition else ''} is already registered "
                f"({entry.path}, different bytes); pass --edition (e.g. pm2) to add it as another edition",
                path=label,
            )
    return RawFile(
        path=rel, set=LOCAL_SET, kind=sheet.kind, sha256=sha, bytes=source.stat().st_size, published=day.isoformat(),
        edition=edition, layout=sheet.layout.id, rows=sheet.rows_read, url="", bytes_from_upstream=False,
        source="added with `python -m analysis add-sheet`", original_filename=label,
        notes=f"added {dt.date.today().isoformat()}; date from {basis}; layout {sheet.layout.id}; {sheet.rows_read} rows",
    )  # fmt: skip


def add(source: Path | str, *, published: str | None = None, kind: str | None = None, edition: str | None = None,
        quiet: bool = False) -> Added:  # fmt: skip
    """Register ``source`` as a local sheet and rebuild; on any failure nothing stays registered.

    Journal, copy, registry row, rebuild, then the journal goes (module docstring)."""
    from . import build

    source = Path(source)
    with lock.hold():
        entry = check(source, published=published, kind=kind, edition=edition)
        had_registry = paths.LOCAL_REGISTRY_CSV.is_file()
        qa_path = paths.PROCESSED_DIR / "qa.csv"
        qa_before = qa_path.read_bytes() if qa_path.is_file() else None
        journal.begin("add", entry)
        try:
            with atomic.atomic_path(entry.local_path) as tmp:
                shutil.copyfile(source, tmp)
            registry.write_registry([*registry.read_registry(paths.LOCAL_REGISTRY_CSV), entry], paths.LOCAL_REGISTRY_CSV)
            result = build.build(registry.load(local=True), quiet=quiet)
        except BaseException:
            journal.roll_back_add(entry, had_registry)
            if qa_before is not None and (not qa_path.is_file() or qa_path.read_bytes() != qa_before):
                atomic.write_bytes(qa_path, qa_before)  # a failed build rewrote qa.csv; the tables are untouched
            journal.end()
            raise
        journal.end()
        message = _archive_too(result.message, quiet)
    return Added(entry, message)


def _archive_too(message: str, quiet: bool) -> str:
    """Bring a built archive panel up to date with the registry (an append for a new sheet, a build
    from the parse cache for a removed one), so every command (query, check, map, recheck) reads
    the same sheets at once. The registration is already committed: a failure here leaves the
    panel stale, which the freshness check sees (commands fall back to the curated sheets and say
    so), and the line names the command that fixes it."""
    from . import archive, panel
    from ..core.errors import AnalysisError

    if panel.built_manifest() is None:
        return message
    try:
        return message + "\n" + archive.build(quiet=quiet).message
    except AnalysisError as err:
        return message + f"\nwarning: the archive panel was not updated ({err}); run `python -m analysis build --archive`"


def find_local(spec: str) -> RawFile:
    """The local sheet ``spec`` names: its file name (as stored or as added) or its publication
    date when only one local sheet has it. Pinned and archive sheets are refused."""
    from ..core.dates import parse_iso_date

    name = Path(spec).name
    try:
        day = parse_iso_date(spec).isoformat()
    except UsageError:
        day = None  # a file name (20250520 is one: only YYYY-MM-DD is a date)

    def names(e: RawFile) -> set[str]:
        return {e.path, Path(e.path).name, *filter(None, e.original_filename.split(";"))}

    def hit(e: RawFile) -> bool:
        return e.is_ice_sheet and e.published == day if day else bool({spec, name} & names(e))

    local = registry.read_registry(paths.LOCAL_REGISTRY_CSV)
    found = [e for e in local if hit(e)]
    if len(found) == 1:
        return found[0]
    if found:
        listed = ", ".join(f"{Path(e.path).name} ({e.original_filename})" for e in found)
        raise UsageError(f"{len(found)} local sheets were published on {day}: {listed}; name the file instead", path=spec)
    for csv_path in (paths.REGISTRY_CSV, paths.ARCHIVE_REGISTRY_CSV):
        pinned = next((e for e in registry.read_registry(csv_path) if hit(e)), None)
        if pinned is not None:
            raise UsageError(f"{pinned.path} is registered in {paths.relative_to_root(csv_path)}, not added with add-sheet; "
                             "remove-sheet only unregisters local sheets", path=spec)  # fmt: skip
    listed = ", ".join(f"{Path(e.path).name} ({e.original_filename}, {e.published})" for e in local) or "none"
    raise UsageError(f"no local sheet {'published on ' + day if day else 'by that name'}; local sheets: {listed}", path=spec)


@dataclass
class Removed:
    entry: RawFile
    build_message: str


def remove(spec: str, *, quiet: bool = False) -> Removed:
    """Unregister a local sheet and rebuild; the copy is deleted once the rebuild passed.

    Journal, registry row dropped, rebuild, copy deleted, then the journal goes; a failed
    rebuild puts the row back (module docstring)."""
    from . import build

    with lock.hold():
        entry = find_local(spec)
        journal.begin("remove", entry)
        try:
            journal.unregister(entry)
            result = build.build(registry.load(local=True), quiet=quiet)
        except BaseException:
            registry.write_registry([*registry.read_registry(paths.LOCAL_REGISTRY_CSV), entry], paths.LOCAL_REGISTRY_CSV)
            journal.end()
            raise
        entry.local_path.unlink(missing_ok=True)
        journal.end()
        message = _archive_too(result.message, quiet)
    return Removed(entry, message)


def cmd_add_sheet(args) -> int:
    added = add(args.path, published=args.published, kind=args.kind, edition=args.edition, quiet=args.quiet)
    e = added.entry
    print(f"registered {e.original_filename} as data/raw/{e.path} ({e.kind}, published {e.published}"
          f"{', ' + e.edition if e.edition else ''}, layout {e.layout}, {e.rows:,} rows) in "
          f"{paths.relative_to_root(paths.LOCAL_REGISTRY_CSV)}")  # fmt: skip
    print(added.build_message)
    print("next: `python -m analysis recheck` re-evaluates the point-in-time claims on the newest sheet")
    return 0


def cmd_remove_sheet(args) -> int:
    removed = remove(args.sheet, quiet=args.quiet)
    e = removed.entry
    print(f"unregistered {e.original_filename or e.path} (data/raw/{e.path}, {e.kind}, published {e.published}"
          f"{', ' + e.edition if e.edition else ''}) from {paths.relative_to_root(paths.LOCAL_REGISTRY_CSV)} "
          "and deleted its copy")  # fmt: skip
    print(removed.build_message)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("add-sheet", help="register your own ICE sheet (xlsx) under data/raw/local/ and rebuild")
    p.add_argument("path", help="the workbook, e.g. participatingAgencies05202026am.xlsx as downloaded from ice.gov")
    p.add_argument("--published", help="publication date YYYY-MM-DD (default: from ICE's file name)")
    p.add_argument("--kind", choices=list(KINDS), help="participating or pending (default: from the file name; checked against the header)")
    p.add_argument("--edition", help="edition when ICE posted several that day: am, mid, pm, pm2 ... (default: from the file name)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    lock.writer(p)
    limits.add_arguments(p)
    p.set_defaults(func=cmd_add_sheet)

    p = sub.add_parser("remove-sheet", help="unregister a local sheet added with add-sheet, delete its copy and rebuild")
    p.add_argument("sheet", metavar="FILE|DATE",
                   help="its file name (as added, e.g. participatingAgencies05202026am.xlsx, or as stored under data/raw/local/) "
                        "or its publication date YYYY-MM-DD when only one local sheet has it")  # fmt: skip
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    lock.writer(p)
    p.set_defaults(func=cmd_remove_sheet)
