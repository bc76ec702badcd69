"""Say so when processed tables are older than the raw data or the code that made them."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from ..core import paths


def stale_reason() -> str | None:
    """Why data/processed/ is out of date, or None when it is current."""
    from ..ingest import registry
    from . import buildinfo

    manifest = paths.PROCESSED_DIR / buildinfo.BUILD_MANIFEST
    if not manifest.is_file():
        return "data/processed/ has not been built; run `python -m analysis build`"
    recorded = json.loads(manifest.read_text())
    if recorded.get("code_version") != buildinfo.code_version():
        return "the code changed since data/processed/ was built; run `python -m analysis build`"
    built = recorded.get("inputs", {})
    wanted = {e.path: e.to_row() for e in registry.load(archive=any("archive" in k for k in built))}
    if built != wanted:
        return "the registered raw files changed since data/processed/ was built; run `python -m analysis build`"
    return None


def archive_stale_reason() -> str | None:
    """Why data/processed/archive/ is out of date, or None when it is current."""
    from . import panel

    if not (panel.archive_dir() / panel.MANIFEST).is_file():
        return "the archive panel has not been built; run `python -m analysis build --archive`"
    if not panel.is_current([e for e in panel.archive_entries() if e.is_ice_sheet]):
        return "the code or the registered sheets changed since the archive panel was built; run `python -m analysis build --archive`"
    return None


def warn_if_stale(archive: bool = False) -> None:
    """Refuse tables edited since their build; warn about tables older than their inputs or code."""
    refuse_if_tampered(archive)
    reason = archive_stale_reason() if archive else stale_reason()
    if reason:
        print(f"warning: {reason}", file=sys.stderr)


def default_source(processed: Path | None = None) -> str:
    """THE default: "archive" when the archive panel is built and current, else "curated" (a fixture
    project, or right after `add-sheet` until the archive is rebuilt). Decided once per build of
    the archive (keyed by its manifest's and the registries' stats), not once per question."""
    if processed is not None:
        return "archive" if (Path(processed) / "archive" / "snapshots.parquet").is_file() else "curated"
    key = tuple(file_stat(p) for p in (paths.PROCESSED_DIR / "archive" / "build_manifest.json", paths.ARCHIVE_REGISTRY_CSV,
                                   paths.LOCAL_REGISTRY_CSV, paths.PROCESSED_DIR / "archive" / "snapshots.parquet"))
    key = (str(paths.PROCESSED_DIR), *key)
    if key not in _DEFAULTS:
        _DEFAULTS.clear()
        _DEFAULTS[key] = "archive" if archive_stale_reason() is None else "curated"
    return _DEFAULTS[key]


_DEFAULTS: dict[tuple, str] = {}


def file_stat(path: Path) -> tuple[int, int, int] | None:
    """A file's identity for a cache key (inode, mtime, size); None when it is missing. Every build
    replaces its files by rename, so a rebuild is a new key and nobody has to clear a cache."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def refuse_if_tampered(archive: bool | None = None) -> None:
    """Refuse (StaleOutputError, exit 11) to read tables that are not the ones their build wrote
    (integrity.py): the curated folder, and with ``archive`` the archive panel too (it reads the
    curated county tables); ``None``: the archive panel too when it is built."""
    from ..core.errors import StaleOutputError
    from . import integrity, panel

    folders = [paths.PROCESSED_DIR]
    if archive or (archive is None and (panel.archive_dir() / panel.MANIFEST).is_file()):
        folders.append(panel.archive_dir())
    for folder in folders:
        why = integrity.problem(folder)
        if why is not None:
            command = "build --archive" if folder != paths.PROCESSED_DIR else "build"
            raise StaleOutputError(f"{why}; not used: run `python -m analysis {command}` to build it again",
                                   path=paths.relative_to_root(folder))
