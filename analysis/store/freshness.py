"""Say so when processed tables are older than the raw data or the code that made them."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from ..core.paths import Project


def stale_reason(project: Project) -> str | None:
    """Why the project's data/processed/ is out of date, or None when it is current."""
    from ..ingest import registry
    from . import buildinfo

    manifest = project.processed / buildinfo.BUILD_MANIFEST
    if not manifest.is_file():
        return "data/processed/ has not been built; run `python -m analysis build`"
    recorded = json.loads(manifest.read_text())
    if recorded.get("code_version") != buildinfo.code_version():
        return "the code changed since data/processed/ was built; run `python -m analysis build`"
    built = recorded.get("inputs", {})
    wanted = {e.path: e.to_row() for e in registry.load(project, archive=any("archive" in k for k in built))}
    if built != wanted:
        return "the registered raw files changed since data/processed/ was built; run `python -m analysis build`"
    return None


def archive_stale_reason(project: Project) -> str | None:
    """Why the project's data/processed/archive/ is out of date, or None when it is current."""
    from . import panel

    if not (project.archive / panel.MANIFEST).is_file():
        return "the archive panel has not been built; run `python -m analysis build --archive`"
    if not panel.is_current(project, [e for e in panel.archive_entries(project) if e.is_ice_sheet]):
        return "the code or the registered sheets changed since the archive panel was built; run `python -m analysis build --archive`"
    return None


def warn_if_stale(project: Project, archive: bool = False) -> None:
    """Refuse tables edited since their build; warn about tables older than their inputs or code."""
    refuse_if_tampered(project, archive)
    reason = archive_stale_reason(project) if archive else stale_reason(project)
    if reason:
        print(f"warning: {reason}", file=sys.stderr)


def default_source(project: Project) -> str:
    """THE default: "archive" when the project's archive panel is built and current, else "curated"
    (a fixture project, or right after `add-sheet` until the archive is rebuilt). Decided once per
    build of the archive (keyed by its manifest's and the registries' stats), not once per question."""
    key = tuple(file_stat(p) for p in (project.archive / "build_manifest.json", project.archive_registry_csv,
                                   project.local_registry_csv, project.archive / "snapshots.parquet"))
    key = (str(project.processed), *key)
    if key not in _DEFAULTS:
        if len(_DEFAULTS) >= 4:
            _DEFAULTS.pop(next(iter(_DEFAULTS)))
        _DEFAULTS[key] = "archive" if archive_stale_reason(project) is None else "curated"
    return _DEFAULTS[key]


_DEFAULTS: dict[tuple, str] = {}  # a cache of the answer per project and build, never a switch


def file_stat(path: Path) -> tuple[int, int, int] | None:
    """A file's identity for a cache key (inode, mtime, size); None when it is missing. Every build
    replaces its files by rename, so a rebuild is a new key and nobody has to clear a cache."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def refuse_if_tampered(project: Project, archive: bool | None = None) -> None:
    """Refuse (StaleOutputError, exit 11) to read tables that are not the ones their build wrote
    (integrity.py): the curated folder, and with ``archive`` the archive panel too (it reads the
    curated county tables); ``None``: the archive panel too when it is built."""
    from ..core.errors import StaleOutputError
    from . import integrity, panel

    folders = [project.processed]
    if archive or (archive is None and (project.archive / panel.MANIFEST).is_file()):
        folders.append(project.archive)
    for folder in folders:
        why = integrity.problem(project, folder)
        if why is not None:
            command = "build --archive" if folder != project.processed else "build"
            raise StaleOutputError(f"{why}; not used: run `python -m analysis {command}` to build it again",
                                   path=project.relative(folder))
