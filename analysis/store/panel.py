"""The archive panel: every archived ICE sheet (1,128 files, 2021 -> 2026) as one day-by-day panel.

``python -m analysis build --archive`` (archive.build) writes data/processed/archive/ with the same tables as
the curated build (agreements, snapshots, corrections, qa) plus history.parquet (history.py).

- **One snapshot per distinct file.** Curated and archive files with the same sha256 are one
  snapshot. Its date is the earliest date any name gave those bytes; every other date and name
  is kept (``also_live_on``, ``names``), and ``confirmed_until`` is the last date the bytes were
  seen live, which is what staleness is measured from.
- **Fast and incremental.** Parsing is the slow part, so each file is parsed once per reader
  version (sheets.py + layouts.py) and kept in a cache of packs keyed by sha256; many new files
  are parsed in a process pool of one worker per core. A build whose inputs and code are
  unchanged returns before importing pandas; new sheets later than the built ones are appended
  (increment.py); anything else cleans the whole panel again from the cache (tidy.py works on
  codes per distinct cell value, so that is cheap).
- **Data only.** The parse cache (Arrow IPC packs) and the append context (JSON) carry data, never
  code: whoever can write data/processed/ must not be able to run code as the next person who
  builds (pickle would let them). Each is written with its sha256 beside it and checked on load;
  a file that fails the check is ignored (one note on stderr) and rebuilt, never loaded.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import shutil
import sys
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace

from ..core import atomic
from ..core.paths import Project
from . import buildinfo, integrity
from .parts import PART_NAME, full_agreement_parts, part_numbers, recent_rows, write_full_agreements
from ..ingest.registry import RawFile

MANIFEST = "build_manifest.json"
OUTPUTS = ("agreements.parquet", "snapshots.parquet", "history.parquet", "corrections.csv", "qa.csv", "counts.sqlite")
AGREEMENTS = "agreements.parquet"  # a folder of parts (parts.py): the full build writes up to 2 x BUCKETS, each append one more
CONTEXT = "append_context.json"  # what an append needs to extend the ids (increment.py)
# The gazetteer's per-state index (geography.Gazetteer.index_data) as the full build made it: an
# append that places a new agency takes it instead of folding every place name of the state again.
GAZETTEER_INDEX = "gazetteer_index.json"
DIGEST_SUFFIX = ".sha256"  # the sha256 of a cache file, in a file beside it (write_verified)
READER_ENTRY = "ingest.sheets"  # the parse cache is keyed by the modules the reader imports (codegraph), not the rest
CACHE_FORMAT = 4  # bump when _parse's output or the cache's layout changes
PANEL_ENTRY = "store.archive"  # `build --archive` runs archive.py (panel, increment) on top of the curated build's imports


def cache_dir(project: Project):
    return project.archive / "cache"


def reader_version() -> str:
    """The parse cache is valid while the reader code is unchanged."""
    from ..core import codegraph

    digest = hashlib.sha256()
    for path in codegraph.files(READER_ENTRY):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def code_version() -> str:
    return buildinfo.code_version(buildinfo.BUILD_ENTRY, PANEL_ENTRY)


# ----------------------------------------------------------------------------- distinct files

MAX_REPOST_DAYS = 366  # a re-post date further out than this is a typo in the name, not a date
_ICE_NAME = re.compile(r"(?:participating|pending)Agencies(\d{2})(\d{2})(\d{4})([a-zA-Z_0-9]*)\.xlsx$")
_WAYBACK = re.compile(r"-(\d{4})(\d{2})(\d{2})(\d{6})\.xlsx$")


def _name_date(name: str) -> str | None:
    """The date a file name carries (ICE's MMDDYYYY or a Wayback capture stamp), if it parses."""
    import datetime as dt

    for pattern, order in ((_ICE_NAME, (2, 0, 1)), (_WAYBACK, (0, 1, 2))):
        m = pattern.search(name)
        if m:
            parts = [int(m[i + 1]) for i in range(3)]
            try:
                return dt.date(parts[order[0]], parts[order[1]], parts[order[2]]).isoformat()
            except ValueError:
                return None  # a typo'd name (e.g. 090022025): listed, not dated
    return None


def _plausible(day: str, first: str) -> bool:
    """A later date for the same bytes; garbled ICE names (11114025am reads as 4025-11-11) are not dates."""
    import datetime as dt

    gap = (dt.date.fromisoformat(day) - dt.date.fromisoformat(first)).days
    return 0 < gap <= MAX_REPOST_DAYS


@dataclass
class Distinct:
    entry: RawFile  # the registry entry whose name and date the snapshot takes (the earliest)
    names: list[str]  # every registry path and original file name that carried these bytes
    also_live_on: list[str]  # other dates those bytes were published under


def distinct_sheets(entries: list[RawFile]) -> list[Distinct]:
    """Group ICE-sheet entries by sha256; the earliest (date, edition, archive first) names the snapshot."""
    from ..ingest.snapshots import edition_order

    groups: dict[str, list[RawFile]] = {}
    for e in entries:
        if e.is_ice_sheet:
            groups.setdefault(e.sha256, []).append(e)
    out = []
    for sha, group in groups.items():
        group.sort(key=lambda e: (e.published, edition_order(e.edition), e.set != "ice_287g_archive", e.path))
        first = group[0]
        names = [e.path for e in group]
        dates = {e.published for e in group[1:]}
        for e in group:
            for original in filter(None, (e.original_filename or "").split(";")):
                names.append(original)
                d = _name_date(original)
                if d:
                    dates.add(d)
        out.append(Distinct(first, sorted(dict.fromkeys(names)), sorted(d for d in dates if _plausible(d, first.published))))
    return sorted(out, key=lambda d: d.entry.path)


# ----------------------------------------------------------------------------- warm check


def _manifest(project: Project, entries: list[RawFile]) -> dict:
    """The cache key: code version, and a digest of each input's registry row, by path.

    Digests, not the rows: 1,166 rows are ~1 MB of JSON, whose writing and reading took a
    tenth of an append. The rows are in data/raw/registry*.csv; a changed field changes the digest.
    """
    def digest(row: dict[str, str]) -> str:  # fields in registry.COLUMNS order, all text
        return hashlib.sha256("\x1f".join(map(str, row.values())).encode()).hexdigest()[:32]

    from .context_tables import gazetteer_digests

    return {"code_version": code_version(), "inputs": {e.path: digest(e.to_row()) for e in sorted(entries, key=lambda e: e.path)},
            "gazetteer": gazetteer_digests(project.processed)}  # the county tables the rows are placed from (built by `build`)


def built_manifest(project: Project) -> dict | None:
    """The manifest of the built panel (less the outputs' digests, integrity.py's); None when there
    is none or an output is missing."""
    path = project.archive / MANIFEST
    if not path.is_file() or not all((project.archive / o).exists() for o in OUTPUTS):
        return None
    manifest = json.loads(path.read_text())
    manifest.pop("outputs", None)
    return manifest


def is_current(project: Project, entries: list[RawFile]) -> bool:
    return built_manifest(project) == _manifest(project, entries)


# ----------------------------------------------------------------------------- parse cache


def _parse(path: str, entry: RawFile):
    """Worker: parse one registered file; returns compact plain data (cheap to send back) or the
    typed error.

    The file is read once and its bytes checked against the registered sha256 before they are
    parsed, so what is parsed is what was verified (fetch.verify, which a build from nothing leaves
    to this: hashing the bytes in hand costs the worker what calamine's own read of the file did).
    Their zip CRCs were checked when they entered data/raw/ (fetch, add-sheet).

    Each text column travels as its distinct values plus uint32 codes: ICE repeats the same cells
    down a sheet, so this is several times smaller than lists of strings, in the pipe and the cache.
    """
    import hashlib
    import io
    from array import array
    from pathlib import Path

    from ..core.errors import AnalysisError
    from ..ingest.fetch import bytes_problem, sha256_of
    from ..ingest.sheets import read_sheet

    try:
        if os.stat(path).st_size != entry.bytes:  # not the registered bytes (hashed as it streams, for the message)
            data, actual = None, sha256_of(path)
        else:
            data = Path(path).read_bytes()
            actual = hashlib.sha256(data).hexdigest()
        problem = bytes_problem(entry, actual)
        if problem is not None:
            return problem
        s = read_sheet(io.BytesIO(data) if data is not None else path, label=entry.path, check_crc=False)
    except AnalysisError as err:
        return err
    compact = {}
    for name, values in s.columns.items():
        if name == "row":
            compact[name] = array("I", values).tobytes()
            continue
        position: dict[str, int] = {}  # each distinct value's code, in the order the rows first hold them
        codes = array("I", [position.setdefault(v, len(position)) for v in values])
        compact[name] = (list(position), codes.tobytes())
    return (s.layout.id, s.sheet_name, compact, s.skipped)


def _worker_init() -> None:
    """A parse worker: no cyclic GC (its objects are short-lived and acyclic: refcounting frees
    them), and a lower priority than the main process, which expands each sheet as it arrives and
    imports the table steps meanwhile: what the rest of the build waits on once the last sheet is
    parsed. The workers take the cores it leaves."""
    import gc

    gc.disable()
    if hasattr(os, "nice"):  # not on Windows
        os.nice(5)


def _import_table_modules() -> None:
    """The modules the table steps need (pandas, pyarrow, pandera: about a second of imports)."""
    import sqlite3  # noqa: F401

    import pyarrow.dataset  # noqa: F401 (pandas' read_parquet of the county tables)
    import pyarrow.parquet  # noqa: F401

    from ..core import schemas  # noqa: F401
    from ..clean import geography, qa, tidy  # noqa: F401
    from . import build, counts_cache, history  # noqa: F401


@contextlib.contextmanager
def _collector_paused():
    """Python's cyclic garbage collector paused, and what was made meanwhile frozen (gc.freeze).

    Around the parse of a full build: the imports (~130k objects that live as long as the process)
    and the parsed sheets arriving from the workers were walked again and again by collections
    that found nothing to free (neither makes reference cycles): about a fifth of a second of CPU
    on a cold build. Frozen objects are still freed by reference counting when let go."""
    import gc

    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if collecting:
            gc.enable()


def _expand(compact: dict) -> dict:
    """Compact columns (see _parse) -> object arrays, as RawSheet.columns."""
    import numpy as np

    out = {}
    for name, value in compact.items():
        if name == "row":
            out[name] = np.frombuffer(value, dtype=np.uint32).astype("int64")
        else:
            uniques, codes = value
            table = np.empty(len(uniques), dtype=object)
            table[:] = uniques
            out[name] = table[np.frombuffer(codes, dtype=np.uint32)]
    return out


def _cache_root(project: Project):
    return cache_dir(project) / f"sheets-v{CACHE_FORMAT}-{reader_version()}"


class Unverified(Exception):
    """A cache file, or the digest beside it, is missing or they disagree (see write_verified)."""


def write_verified(path, data: bytes) -> None:
    """``data`` at ``path``, then its sha256 beside it (``path`` + DIGEST_SUFFIX), each atomically.

    A crash between the two, a torn copy or an edit leaves a file that fails read_verified, so it
    is rebuilt, never trusted.
    """
    atomic.write_bytes(path, data)
    atomic.write_text(f"{path}{DIGEST_SUFFIX}", hashlib.sha256(data).hexdigest() + "\n")


def read_verified(path) -> bytes:
    """The bytes of a file written by write_verified; Unverified (the reason) unless they match its digest."""
    try:
        data = open(path, "rb").read()
        stored = open(f"{path}{DIGEST_SUFFIX}").read().strip()
    except OSError as err:
        raise Unverified(f"cannot be read with its digest ({type(err).__name__}: {err.strerror})") from None
    if hashlib.sha256(data).hexdigest() != stored:
        raise Unverified(f"does not match its sha256 in {os.path.basename(path)}{DIGEST_SUFFIX}")
    return data


def note_ignored(project: Project, path, why, then: str) -> None:
    """One line on stderr for a cache file that is not loaded (printed even when quiet: it is not progress)."""
    print(f"note: {project.relative(path)}: {why}; {then}", file=sys.stderr)


def _remove_verified(path) -> None:
    for p in (path, f"{path}{DIGEST_SUFFIX}"):
        try:
            os.unlink(p)
        except FileNotFoundError:
            pass


def _pack_columns() -> list[str]:
    from ..ingest.sheets import RAW_COLUMNS

    return [c for c in RAW_COLUMNS if c != "row"]


def pack_bytes(parsed: dict[str, tuple]) -> bytes:
    """Parsed sheets (sha256 -> _parse's tuple) as one Arrow IPC file: one row per sheet, each
    text column as its distinct values (list<string>) and uint32 codes (binary), as _parse made them."""
    import pyarrow as pa

    shas = list(parsed)
    sheets = [parsed[s] for s in shas]

    def texts(lists):  # list<string> from flat values and offsets: faster than from nested lists
        offsets = [0]
        for values in lists:
            offsets.append(offsets[-1] + len(values))
        flat = pa.array([v for values in lists for v in values], pa.string())
        return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), flat)

    columns = {
        "sha256": pa.array(shas, pa.string()),
        "layout": pa.array([s[0] for s in sheets], pa.string()),
        "sheet_name": pa.array([s[1] for s in sheets], pa.string()),
        "skipped_row": pa.array([[r for r, _ in s[3]] for s in sheets], pa.list_(pa.int64())),
        "skipped_reason": texts([[why for _, why in s[3]] for s in sheets]),
        "row": pa.array([s[2]["row"] for s in sheets], pa.binary()),
    }
    for name in _pack_columns():
        columns[f"{name}.values"] = texts([s[2][name][0] for s in sheets])
        columns[f"{name}.codes"] = pa.array([s[2][name][1] for s in sheets], pa.binary())
    table = pa.table(columns)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def read_pack(data: bytes) -> dict[str, tuple]:
    """pack_bytes reversed: sha256 -> (layout id, sheet name, compact columns, skipped rows)."""
    import pyarrow as pa

    table = pa.ipc.open_file(pa.BufferReader(data)).read_all()
    col = {name: table.column(name).to_pylist() for name in table.column_names}
    names = _pack_columns()
    out = {}
    for i, sha in enumerate(col["sha256"]):
        compact = {"row": col["row"][i], **{n: (col[f"{n}.values"][i], col[f"{n}.codes"][i]) for n in names}}
        out[sha] = (col["layout"][i], col["sheet_name"][i], compact, list(zip(col["skipped_row"][i], col["skipped_reason"][i])))
    return out


def _packs(project: Project) -> list:
    return sorted(_cache_root(project).glob("pack-*.arrow"))


def _read_pack_file(project: Project, pack) -> dict[str, tuple] | None:
    """A verified pack's sheets; None (after a note, and the pack removed) for one that fails its digest."""
    try:
        return read_pack(read_verified(pack))
    except Unverified as why:
        note_ignored(project, pack, why, "not loaded; its sheets are parsed again")
    except Exception as err:  # noqa: BLE001 - verified bytes that pyarrow cannot read (another format version)
        note_ignored(project, pack, f"unreadable ({type(err).__name__})", "not loaded; its sheets are parsed again")
    _remove_verified(pack)
    return None


def _load_cache(project: Project) -> dict[str, tuple]:
    """sha256 -> parsed sheet, merged from every pack (a cold build writes one, each append one more)."""
    cache: dict[str, tuple] = {}
    for pack in _packs(project):
        cache.update(_read_pack_file(project, pack) or {})
    return cache


def _save_pack(project: Project, parsed: dict[str, tuple]) -> None:
    """Add a pack of newly parsed sheets; packs of other reader versions are stale and go."""
    if not parsed:
        return
    root = _cache_root(project)
    root.mkdir(parents=True, exist_ok=True)
    for old in cache_dir(project).glob("sheets-*"):
        if old != root:
            shutil.rmtree(old) if old.is_dir() else old.unlink()
    name = hashlib.sha256("\n".join(sorted(parsed)).encode()).hexdigest()[:16]
    write_verified(root / f"pack-{name}.arrow", pack_bytes(parsed))


def forget_parsed(project: Project, shas: set[str]) -> None:
    """Drop sheets from the parse cache (the benchmark's "never parsed" new sheet)."""
    for pack in _packs(project):
        parsed = _read_pack_file(project, pack)
        if parsed is not None and shas & parsed.keys():
            write_verified(pack, pack_bytes({k: v for k, v in parsed.items() if k not in shas}))


def write_context(out, context: dict) -> None:
    """The append context (tidy.assign_ids' ``context`` plus ``parts`` and ``places``, the county
    placement of each (state, county, agency_name, jurisdiction_type)) as JSON, with its digest."""
    data = {
        "names": [[agency_id, name, rows, last] for (agency_id, name), (rows, last) in context["names"].items()],
        "pairs": [[name, state, *keys] for (name, state), keys in context["pairs"].items()],
        "cooccur": sorted(map(list, context["cooccur"])),
        "parts": {part: sorted(ids) for part, ids in context["parts"].items()},
        # sorted: the order rows met a place in depends on how the build ordered its rows
        "places": sorted(([*key, *placed] for key, placed in context["places"].items()), key=_place_order),
    }
    write_verified(out / CONTEXT, json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode())


def _place_order(place: list) -> tuple:
    return tuple((v is None, "" if v is None else str(v)) for v in place[:4])


def read_gazetteer(project: Project):
    """The gazetteer of the county tables in data/processed/, with the states the full build indexed
    in the archive panel (GAZETTEER_INDEX; one that fails its digest is noted and the states are indexed again)."""
    from ..clean import geography

    gazetteer = geography.read(project.processed)
    base = project.archive
    try:
        gazetteer.adopt(json.loads(read_verified(base / GAZETTEER_INDEX)))
    except (Unverified, ValueError) as why:
        note_ignored(project, base / GAZETTEER_INDEX, why, "not loaded; the states are indexed again")
    return gazetteer


def read_context(base) -> dict:
    """write_context reversed, in the shapes tidy.assign_ids uses; Unverified when it fails its digest."""
    from ..clean.geography import Placement

    data = json.loads(read_verified(base / CONTEXT))
    odd = [name for name in data["parts"] if not PART_NAME.fullmatch(name)]
    if odd:  # an append rewrites the parts named here: only part files of the agreements folder
        raise Unverified(f"names a part {odd[0]!r} that is not a part file of {AGREEMENTS}/")
    return {
        "names": {(agency_id, name): (rows, last) for agency_id, name, rows, last in data["names"]},
        "pairs": {(name, state): tuple(keys) for name, state, *keys in data["pairs"]},
        "cooccur": set(map(tuple, data["cooccur"])),
        "parts": {part: set(ids) for part, ids in data["parts"].items()},
        "places": {tuple(p[:4]): Placement(*p[4:]) for p in data["places"]},
    }


POOL_FROM = 16  # sheets: fewer are parsed (and a full build's gazetteer indexed) in this process


def parse(project: Project, items: list[Distinct], *, quiet: bool = False, workers: int | None = None, overlap=None,
          each=None) -> dict[str, tuple]:  # fmt: skip
    """sha256 -> parsed sheet for ``items``, parsed now (a pool of one worker per core for many).

    ``overlap()`` runs while the workers parse; ``each(item, result)`` as each result arrives (in
    item order; the result is the parsed sheet or its error, raised here once all are parsed)."""
    jobs = [(str(d.entry.file_in(project)), d.entry) for d in items]
    workers = workers or min(os.cpu_count() or 1, 8)
    if quiet:  # tqdm.auto looks for Jupyter: ~0.15 s of imports a quiet CLI append need not pay
        bar = SimpleNamespace(update=lambda: None, close=lambda: None)
    else:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(jobs), desc="parse sheets", unit="sheet", file=sys.stderr)
    results = []
    if workers > 1 and len(jobs) >= POOL_FROM:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers, initializer=_worker_init) as pool:
            # small chunks (~17 sheets for the archive): when one worker runs out, the other has
            # little left to parse alone
            parsing = pool.map(_parse, *zip(*jobs), chunksize=max(1, len(jobs) // (workers * 32)))
            if overlap:
                overlap()  # while the workers parse, instead of after
            for d, res in zip(items, parsing):
                results.append(res)
                each and each(d, res)
                bar.update()
    else:
        for d, job in zip(items, jobs):
            results.append(_parse(*job))
            each and each(d, results[-1])
            bar.update()
    bar.close()
    out = {}
    for d, res in zip(items, results):
        if isinstance(res, Exception):
            raise res
        out[d.entry.sha256] = res
    return out


def parsed_sheets(project: Project, items: list[Distinct], *, quiet: bool = False, workers: int | None = None, save=None,
                  each=None) -> dict[str, tuple]:  # fmt: skip
    """sha256 -> parsed sheet, from the cache where possible; new files parsed in parallel.

    ``save(new)``: how the newly parsed sheets are added to the cache (default: _save_pack, now;
    full_build writes the pack on a thread while it cleans the rows); ``each``: see parse."""
    cache = _load_cache(project)
    todo = [d for d in items if d.entry.sha256 not in cache]
    if todo:
        new = parse(project, todo, quiet=quiet, workers=workers, overlap=_import_table_modules, each=each)
        (save or functools.partial(_save_pack, project))(new)
        cache.update(new)
    return {d.entry.sha256: cache[d.entry.sha256] for d in items}


# ----------------------------------------------------------------------------- build


def archive_entries(project: Project) -> list[RawFile]:
    from ..ingest import registry

    return registry.load(project, archive=True)


def sheet_pairs(items: list[Distinct], parsed: dict[str, tuple], made: dict | None = None) -> list[tuple[RawFile, object]]:
    """(registry entry, RawSheet) per distinct file, checked as the curated build does (build.checked);
    ``made``: pairs (or their errors) already made by expanding() while the others were parsed."""
    made = made or {}
    pairs = []
    for d in items:
        pair = made[d.entry.sha256] if d.entry.sha256 in made else _sheet_pair(d, parsed[d.entry.sha256])
        if isinstance(pair, Exception):
            raise pair
        pairs.append(pair)
    return pairs


def _sheet_pair(d: Distinct, parsed: tuple) -> tuple[RawFile, object]:
    from .build import checked
    from ..ingest.layouts import LAYOUTS
    from ..ingest.sheets import RawSheet

    layout_id, sheet_name, compact, skipped = parsed
    return d.entry, checked(d.entry, RawSheet(d.entry.path, LAYOUTS[layout_id], sheet_name, _expand(compact), skipped))


def expanding(made: dict):
    """A parse ``each`` that expands and checks each sheet as it arrives (the parent waits on the
    workers anyway) into ``made`` for sheet_pairs, which raises a sheet's error in item order."""

    def each(d: Distinct, result) -> None:
        if not isinstance(result, Exception):
            try:
                made[d.entry.sha256] = _sheet_pair(d, result)
            except Exception as err:  # noqa: BLE001 - kept, and raised by sheet_pairs where it would have been
                made[d.entry.sha256] = err

    return each


def snapshots_of(items: list[Distinct], pairs):
    """The snapshots table of these files, with every name and date that carried their bytes."""
    from .build import snapshot_table

    snaps = snapshot_table(pairs)
    return snaps.merge(distinct_columns(items), on="snapshot_id", how="left")


def distinct_columns(items: list[Distinct]):
    import pandas as pd

    from ..ingest.snapshots import snapshot_id

    return pd.DataFrame({
        "snapshot_id": [snapshot_id(d.entry.path) for d in items],
        "names": [";".join(d.names) for d in items],
        "also_live_on": [";".join(d.also_live_on) for d in items],
        "confirmed_until": [date.fromisoformat(max([d.entry.published, *d.also_live_on])) for d in items],  # ISO dates: max as text
    })  # fmt: skip


def check_qa(project: Project, qa_table, write=None) -> None:
    """A failed invariant is written so it can be read (``write(path)``: the whole QA table when
    ``qa_table`` holds only the rows just checked); the tables are not replaced."""
    from ..clean import qa
    from .build import write_csv

    if qa_table["status"].eq("fail").any():
        (write or (lambda path: write_csv(qa_table, path)))(project.archive / "qa.csv")
        qa.raise_on_failure(qa_table, "data/processed/archive/qa.csv")


def full_build(project: Project, sheets: list[RawFile], *, quiet: bool, manifest: dict, verified: bool = True):
    """Clean the whole panel again from the parse cache (archive.build decides when). ``verified``:
    whether every file's bytes were checked already (fetch.verify); if not, those parsed now are
    checked as they are read (_parse) and the others here, before anything is cleaned."""
    from . import forked
    from ..ingest import fetch

    items = distinct_sheets(sheets)
    made, new = {}, []
    # first: the workers parse while this process imports the rest, then expands what they parsed
    with _collector_paused():
        parsed = [parsed_sheets(project, items, quiet=quiet, save=new.append, each=expanding(made))]
    if not verified:  # the files no worker read: served from the parse cache, or the same bytes under another name
        read = {d.entry.path for d in items if any(d.entry.sha256 in n for n in new)}
        fetch.verify(project, [e for e in sheets if e.path not in read])
    beside = None
    if len(items) >= POOL_FROM and forked.available():  # forked now, while no thread runs
        # the index first: _clean waits for it once the rows are finalized; nothing waits for the pack until the end
        beside = forked.Forked([lambda: _indexed_gazetteer(project.processed), lambda: _save_packs_beside(project, new)])
    else:
        for n in new:
            _save_pack(project, n)
    try:
        with _arrow_allocator():
            cleaned = _clean(project, items, parsed, made, beside)
            if beside is not None and not beside.result(1)[0]:
                for n in new:
                    _save_pack(project, n)  # here then, for its error if it has one
            new.clear()  # the pack is in the folder before replace_dir makes its staging copy
            return _check_and_write(project, sheets, *cleaned, manifest)
    finally:
        if beside is not None:
            beside.close()


@contextlib.contextmanager
def _arrow_allocator():
    """Arrow's buffers from jemalloc while the panel is cleaned and written, where pyarrow has it
    (its Linux wheels); the previous default pool afterwards.

    The ~200 MB of Arrow columns the full build makes, takes and frees step after step cost about
    half a second less CPU from jemalloc than from pyarrow's default mimalloc on this 2-core VM
    (the same build, alternated: process CPU 4.7 s against 5.4-5.7 s; finalize's takes 0.25 s
    against 0.35-0.6 s). Which pool made a buffer changes no value."""
    import pyarrow as pa

    try:
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:  # a pyarrow built without jemalloc
        yield
        return
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pool)
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


def _save_packs_beside(project: Project, new: list) -> None:
    """full_build's job 1 beside: the parse cache written at a lower priority, since nothing waits
    for it until the build ends, while the main process's threads (finalize's columns, the parts'
    writer) would otherwise share the second core with it."""
    os.nice(10)
    for n in new:
        _save_pack(project, n)


def _indexed_gazetteer(folder) -> dict:
    """A job for the forked process beside the cleaning (full_build): every state of the county
    tables in ``folder`` indexed, as Gazetteer.index_data (~0.2 s of Python off the main process)."""
    from ..clean import geography

    gazetteer = geography.read(folder)
    gazetteer.prepare(gazetteer.states())
    return gazetteer.index_data()


def _clean(project: Project, items: list[Distinct], parsed: list[dict[str, tuple]], made: dict, beside=None):
    """The agreements (cleaned, with ids, placed), snapshots (before county coverage) and corrections
    tables of the parsed sheets (``parsed``: [parsed_sheets' dict], emptied here so that its memory
    goes once the rows are expanded; ``made``: see sheet_pairs); the append context and the
    gazetteer the rows were placed from (indexed beside, full_build's job 0, where it could be)."""
    from ..clean import geography
    from .build import skipped_corrections
    from ..clean.tidy import assign_ids, codes_of, correction_frame, finalize, place, raw_table, tidy

    pairs = sheet_pairs(items, parsed.pop(), made)
    made.clear()
    snaps = snapshots_of(items, pairs)
    context: dict = {"places": {}}
    cols, corrections = tidy(raw_table(pairs), ids=lambda df: assign_ids(df, context))
    corrections = correction_frame([corrections, skipped_corrections(pairs)])
    del pairs
    # placed from the county tables of the curated build (their sha256 are in the manifest)
    gazetteer = geography.read(project.processed)
    # rows in part order (full_agreement_parts): each part is then a run of rows, written without a copy
    finalized = finalize(cols, first=part_numbers(*codes_of(cols["agency_id"])[:2], recent_rows(cols["published"])))
    del cols
    indexed, index = beside.result(0) if beside is not None else (False, None)
    if indexed:  # the states the rows hold, as place() would index them (it indexes the rest: territories)
        rows_states = set(finalized["state"].unique().tolist())
        gazetteer.adopt({state: data for state, data in index.items() if state in rows_states})
    return place(finalized, gazetteer, context["places"]), snaps, corrections, context, gazetteer


def _check_and_write(project: Project, sheets: list[RawFile], agreements, snaps, corrections, context: dict, gazetteer,
                     manifest: dict):  # fmt: skip
    """Validate and check the cleaned tables, then write every output in one atomic exchange."""
    from concurrent.futures import ThreadPoolExecutor

    import pandas as pd

    from ..core import schemas
    from ..clean import geography, qa
    from . import counts_cache, history
    from .build import write_csv, write_parquet

    table, plan = full_agreement_parts(agreements)
    # One atomic exchange at the end; nothing is seen before every check passed (a failure below
    # discards the staging folder). pyarrow writes the agreements' parts without the GIL, on a
    # thread, while the tables are validated and checked and the other outputs are made.
    with atomic.replace_dir(project.archive) as out, ThreadPoolExecutor(1) as writer:
        parts = writer.submit(write_full_agreements, table, plan, out / AGREEMENTS, context.setdefault("parts", {}))
        snaps = geography.snapshot_coverage(snaps, agreements)
        schemas.validate_agreements(agreements)
        schemas.validate_snapshots(snaps)
        hist = history.build(agreements, snaps)
        qa_table = pd.concat([qa.run_checks(agreements, snaps, corrections),
                              pd.DataFrame(history.checks(hist, agreements, snaps))], ignore_index=True)  # fmt: skip
        check_qa(project, qa_table)
        counts_cache.write(agreements, snaps, out)
        write_csv(qa_table, out / "qa.csv")
        write_parquet(snaps, out / "snapshots.parquet")
        write_parquet(hist, out / "history.parquet")
        write_csv(corrections, out / "corrections.csv")
        write_verified(out / GAZETTEER_INDEX, json.dumps(gazetteer.index_data(), ensure_ascii=False, separators=(",", ":")).encode())
        parts.result()
        write_context(out, context)  # with the parts' agency ids
        for stale in out.glob("*.pickle"):  # the append context as older versions stored it
            stale.unlink()
        write_manifest(project, out, manifest)
    return result(snaps, len(agreements), hist, len(corrections), len(sheets))


def write_manifest(project: Project, out, manifest: dict) -> None:
    """The manifest, with the sha256 of every output written into ``out`` so far (integrity.py), and their
    stat noted: call it last."""
    # One line, keys in _manifest's order: json's indenting and key-sorting encoders are pure
    # Python and took longer than an append's tables.
    atomic.write_text(out / MANIFEST, json.dumps(integrity.record(out, manifest), separators=(",", ":")) + "\n")
    integrity.remember(project, out, project.archive)


def result(snaps, n_agreements: int, hist, n_corrections: int, n_files: int, *, appended: int | None = None, renamed: int = 0):
    """The build's one-line summary; ``hist``: the history table or a dict of its columns."""
    from .columns import objects

    removed = int(((objects(hist["unit"]) == "agreement") & (objects(hist["status"]) == "removed")).sum())
    from ..clean.geography import coverage_note

    how = f"appended {appended} sheet(s){f' ({renamed} agencies renamed)' if renamed else ''}; " if appended is not None else ""
    return buildinfo.BuildResult(
        False, len(snaps), n_agreements, n_corrections, 0,
        f"archive panel: {how}{len(snaps)} distinct sheets ({n_files} registered files), {n_agreements:,} agreement rows, "
        f"{len(hist['id']):,} history spells ({removed:,} agreement removals), {n_corrections:,} corrections; QA passed"
        f"{coverage_note(snaps)}",
    )  # fmt: skip
