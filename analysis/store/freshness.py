"""Say so when processed tables are older than the raw data or the code that made them."""

from __future__ import annotations

import contextlib
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
    """Why the project's data/processed/archive/ is out of date, or None when it is current. "Current"
    is noted with the stats of every file the answer reads (CURRENT_NOTE): while none has changed,
    the answer stands without reading them again."""
    from . import panel

    if not (project.archive / panel.MANIFEST).is_file():
        return "the archive panel has not been built; run `python -m analysis build --archive`"
    inputs = _archive_inputs(project)  # before the files are read: a change meanwhile is a new key
    if _noted_current(project) == inputs:
        return None
    if not panel.is_current(project, [e for e in panel.archive_entries(project) if e.is_ice_sheet]):
        return "the code or the registered sheets changed since the archive panel was built; run `python -m analysis build --archive`"
    _note_current(project, inputs)
    return None


#: the archive panel found current, noted beside the write lock with the stat (inode, mtime, size) of
#: every file that answer reads: the package's code and reviewed tables, the registries, the county
#: tables the panel is placed from, its manifest and outputs. Each command is a new process, and
#: working the answer out (the code's import graph hashed, 1,200 registry rows parsed and hashed)
#: took ~50 ms of a check of 50 claims, whose target is 1 s. Any file whose stat is not the one noted
#: (an edit, a build's renames, a copied project) means the answer is worked out again, as
#: integrity.py's note of the outputs' stats works; the note is a cache, never data: lost, stale or
#: unwritable, it costs that work and nothing else.
CURRENT_NOTE = ".archive-current.json"


def _archive_inputs(project: Project) -> dict[str, list | None]:
    """{file: its stat} of what archive_stale_reason reads (the code: every module and reviewed table
    of the package, more than the build's own import graph, which takes longer to find than to stat)."""
    from ..core.paths import PACKAGE_DIR, RESOURCES_DIR
    from ..core.table_spec import GAZETTEER_TABLES
    from . import panel

    files = [project.archive / panel.MANIFEST, *(project.archive / o for o in panel.OUTPUTS), project.registry_csv,
             project.archive_registry_csv, project.local_registry_csv, *(project.processed / t for t in GAZETTEER_TABLES)]
    out: dict[str, list | None] = {str(f): _listed(file_stat(f)) for f in files}
    for folder, dirs, names in os.walk(PACKAGE_DIR):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            if name.endswith(".py") or (folder == str(RESOURCES_DIR) and name.endswith(".csv")):
                out[os.path.join(folder, name)] = _listed(file_stat(Path(folder) / name))
    return out


def _listed(stat: tuple | None) -> list | None:
    return None if stat is None else list(stat)  # as JSON reads it back


def _noted_current(project: Project) -> dict | None:
    try:
        return json.loads((project.data / CURRENT_NOTE).read_text())
    except (OSError, ValueError):
        return None


def _note_current(project: Project, inputs: dict) -> None:
    from ..core import atomic
    from ..core.errors import AnalysisError

    with contextlib.suppress(OSError, AnalysisError):  # a read-only project: the answer is worked out each time
        atomic.write_text(project.data / CURRENT_NOTE, json.dumps(inputs, sort_keys=True) + "\n")


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
