"""The archive panel: every archived ICE sheet (1,128 files, 2021 -> 2026) as one day-by-day panel.

``python -m analysis build --archive`` writes data/processed/archive/ with the same tables as
the curated build (agreements, snapshots, corrections, qa) plus history.parquet (history.py).

- **One snapshot per distinct file.** Curated and archive files with the same sha256 are one
  snapshot. Its date is the earliest date any name gave those bytes; every other date and name
  is kept (``also_live_on``, ``names``), and ``confirmed_until`` is the last date the bytes were
  seen live, which is what staleness is measured from.
- **Fast and incremental.** Parsing is the slow part, so each file is parsed once per reader
  version (sheets.py + layouts.py) and kept in a cache keyed by sha256; new files are parsed in
  a process pool of one worker per core. Cleaning runs on the whole panel each time (tidy.py
  works per distinct cell value, so that is cheap), and a build whose inputs and code are
  unchanged returns before importing pandas.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import sys
from dataclasses import dataclass

from . import atomic, buildinfo, paths
from .registry import RawFile

MANIFEST = "build_manifest.json"
OUTPUTS = ("agreements.parquet", "snapshots.parquet", "history.parquet", "corrections.csv", "qa.csv", "counts.sqlite")
READER_MODULES = ("sheets", "layouts", "errors")
CACHE_FORMAT = 2  # bump when _parse's output changes
# Code that shapes the panel on top of buildinfo.DATA_MODULES.
PANEL_MODULES = ("panel", "history", "counts_cache")


def archive_dir():
    return paths.PROCESSED_DIR / "archive"


def cache_dir():
    return archive_dir() / "cache"


def reader_version() -> str:
    """The parse cache is valid while the reader code is unchanged."""
    digest = hashlib.sha256()
    for name in READER_MODULES:
        digest.update((paths.PACKAGE_DIR / f"{name}.py").read_bytes())
    return digest.hexdigest()[:16]


def code_version() -> str:
    return buildinfo.code_version(PANEL_MODULES)


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
    from .snapshots import edition_order

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


def _manifest(entries: list[RawFile]) -> dict:
    return {"code_version": code_version(), "inputs": {e.path: e.to_row() for e in sorted(entries, key=lambda e: e.path)}}


def is_current(entries: list[RawFile]) -> bool:
    path = archive_dir() / MANIFEST
    if not path.is_file() or not all((archive_dir() / o).exists() for o in OUTPUTS):
        return False
    return json.loads(path.read_text()) == _manifest(entries)


# ----------------------------------------------------------------------------- parse cache


def _parse(path: str, label: str):
    """Worker: parse one file; returns compact plain data (cheap to pickle back) or the typed error.

    Each text column travels as its distinct values plus uint32 codes: ICE repeats the same cells
    down a sheet, so this is several times smaller than lists of strings, in the pipe and the cache.
    """
    from array import array

    from .errors import AnalysisError
    from .sheets import read_sheet

    try:
        s = read_sheet(path, label=label)
    except AnalysisError as err:
        return err
    compact = {}
    for name, values in s.columns.items():
        if name == "row":
            compact[name] = array("I", values).tobytes()
            continue
        index: dict[str, int] = {}
        codes = array("I", (index.setdefault(v, len(index)) for v in values))
        compact[name] = (list(index), codes.tobytes())
    return (s.layout.id, s.sheet_name, compact, s.skipped)


def _import_table_modules() -> None:
    """The modules the table steps need (pandas, pyarrow, pandera: about a second of imports)."""
    import pyarrow.parquet  # noqa: F401

    from . import counts_cache, history, qa, schemas, tidy  # noqa: F401


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


def _cache_path():
    return cache_dir() / f"sheets-v{CACHE_FORMAT}-{reader_version()}.pickle"


def parsed_sheets(items: list[Distinct], *, quiet: bool = False, workers: int | None = None) -> dict[str, tuple]:
    """sha256 -> parsed sheet, from the cache where possible; new files parsed in parallel."""
    cache_file = _cache_path()
    cache: dict[str, tuple] = {}
    if cache_file.is_file():
        try:
            cache = pickle.loads(cache_file.read_bytes())
        except Exception:  # a cache from another Python or a torn write: rebuild it
            cache = {}
    todo = [d for d in items if d.entry.sha256 not in cache]
    if todo:
        from tqdm.auto import tqdm

        jobs = [(str(d.entry.local_path), d.entry.path) for d in todo]
        workers = workers or min(os.cpu_count() or 1, 8)
        bar = tqdm(total=len(jobs), desc="parse sheets", unit="sheet", disable=quiet, file=sys.stderr)
        if workers > 1 and len(jobs) >= 16:
            from concurrent.futures import ProcessPoolExecutor

            with ProcessPoolExecutor(max_workers=workers) as pool:
                results = []
                parsing = pool.map(_parse, *zip(*jobs), chunksize=max(1, len(jobs) // (workers * 8)))
                _import_table_modules()  # while the workers parse, instead of after
                for res in parsing:
                    results.append(res)
                    bar.update()
        else:
            results = []
            for job in jobs:
                results.append(_parse(*job))
                bar.update()
        bar.close()
        for d, res in zip(todo, results):
            if isinstance(res, Exception):
                raise res
            cache[d.entry.sha256] = res
        cache_dir().mkdir(parents=True, exist_ok=True)
        for old in cache_dir().glob("sheets-*.pickle"):
            if old != cache_file:
                old.unlink()
        atomic.write_bytes(cache_file, pickle.dumps(cache, protocol=pickle.HIGHEST_PROTOCOL))
    return {d.entry.sha256: cache[d.entry.sha256] for d in items}


# ----------------------------------------------------------------------------- build


def archive_entries() -> list[RawFile]:
    from . import registry

    return registry.load(archive=True)


def build(entries: list[RawFile] | None = None, *, quiet: bool = False, force: bool = False):
    """Build data/processed/archive/ from every registered ICE sheet (curated, archive, local)."""
    from . import fetch
    from .buildinfo import BuildResult

    entries = archive_entries() if entries is None else entries
    sheets = [e for e in entries if e.is_ice_sheet]
    fetch.verify(sheets)
    if not force and is_current(sheets):
        return BuildResult(True, 0, 0, 0, 0, "archive panel is up to date (inputs and code unchanged); nothing to do")
    return _build(sheets, quiet=quiet)


def _build(sheets: list[RawFile], *, quiet: bool):
    import pandas as pd

    from . import counts_cache, history, qa, schemas
    from .build import check_kind, check_rows, skipped_corrections, snapshot_table, write_csv, write_parquet
    from .layouts import LAYOUTS
    from .sheets import RawSheet
    from .snapshots import snapshot_id
    from .tidy import correction_frame, finalize, raw_table, tidy

    items = distinct_sheets(sheets)
    parsed = parsed_sheets(items, quiet=quiet)
    pairs = []
    for d in items:
        layout_id, sheet_name, compact, skipped = parsed[d.entry.sha256]
        sheet = RawSheet(d.entry.path, LAYOUTS[layout_id], sheet_name, _expand(compact), skipped)
        check_kind(d.entry, sheet)
        check_rows(d.entry, sheet)
        pairs.append((d.entry, sheet))

    snaps = snapshot_table(pairs)
    extra = pd.DataFrame({
        "snapshot_id": [snapshot_id(d.entry.path) for d in items],
        "names": [";".join(d.names) for d in items],
        "also_live_on": [";".join(d.also_live_on) for d in items],
        "confirmed_until": [pd.Timestamp(max([d.entry.published, *d.also_live_on])).date() for d in items],
    })  # fmt: skip
    snaps = snaps.merge(extra, on="snapshot_id", how="left")
    del parsed  # the cache's copy; pairs hold what is needed
    cols, corrections = tidy(raw_table(pairs))
    corrections = correction_frame([corrections, skipped_corrections(pairs)])
    del pairs
    agreements = finalize(cols)
    del cols
    schemas.validate_agreements(agreements)
    schemas.validate_snapshots(snaps)
    hist = history.build(agreements, snaps)
    qa_table = pd.concat([qa.run_checks(agreements, snaps, corrections),
                          pd.DataFrame(history.checks(hist, agreements, snaps))], ignore_index=True)  # fmt: skip
    if qa_table["status"].eq("fail").any():  # the failure is written so it can be read; the tables are not
        write_csv(qa_table, archive_dir() / "qa.csv")
        qa.raise_on_failure(qa_table, "data/processed/archive/qa.csv")
    with atomic.replace_dir(archive_dir()) as out:  # one atomic exchange: never a mix of two builds
        write_csv(qa_table, out / "qa.csv")
        write_parquet(agreements, out / "agreements.parquet")
        write_parquet(snaps, out / "snapshots.parquet")
        write_parquet(hist, out / "history.parquet")
        write_csv(corrections, out / "corrections.csv")
        counts_cache.write(agreements, snaps, out)
        atomic.write_text(out / MANIFEST, json.dumps(_manifest(sheets), indent=1, sort_keys=True) + "\n")
    removed = int((hist["unit"].eq("agreement") & hist["status"].eq("removed")).sum())
    return buildinfo.BuildResult(
        False, len(snaps), len(agreements), len(corrections), 0,
        f"archive panel: {len(snaps)} distinct sheets ({len(sheets)} registered files), {len(agreements):,} agreement rows, "
        f"{len(hist):,} history spells ({removed:,} agreement removals), {len(corrections):,} corrections; QA passed",
    )  # fmt: skip
