"""`build --archive`: nothing to do, an append of new sheets, or a full build of the archive panel.

The one entry point above panel.py (the panel's tables, parse cache and full build) and
increment.py (appends, which reuse panel's pieces), so neither has to import the other.
"""

from __future__ import annotations

import sys

from ..core.paths import Project
from ..ingest.registry import RawFile
from . import panel


def build(project: Project, entries: list[RawFile] | None = None, *, quiet: bool = False, force: bool = False):
    """Build data/processed/archive/ from every registered ICE sheet (curated, archive, local).

    Unchanged inputs return at once; new sheets later than every built one are appended
    (increment.py) when that gives the tables a full build would; anything else is a full build
    (from the parse cache, so only new files are parsed).
    """
    from ..ingest import lock

    with lock.hold(project):  # re-entrant: the CLI already holds it
        return _build_or_append(project, entries, quiet=quiet, force=force)


def _build_or_append(project: Project, entries: list[RawFile] | None, *, quiet: bool, force: bool):
    from ..ingest import fetch
    from .buildinfo import BuildResult

    entries = panel.archive_entries(project) if entries is None else entries
    sheets = [e for e in entries if e.is_ice_sheet]
    built = None if force else panel.built_manifest(project)
    # A build from nothing reads every file anyway: their bytes are checked as they are read (panel.full_build)
    hashed = built is not None
    fetch.verify(project, sheets, contents=hashed)
    current = panel._manifest(project, sheets)  # made and read once: 1,166 registry rows, ~1 MB of JSON
    if built is not None:
        from . import integrity

        why = integrity.problem(project, project.archive)
        if why is not None:  # an edited table: built again in full, never appended to
            print(f"note: data/processed/archive/{why}; rebuilding", file=sys.stderr)
            built = None
    if built == current:
        return BuildResult(True, 0, 0, 0, 0, "archive panel is up to date (inputs and code unchanged); nothing to do")
    if "missing" in current["gazetteer"].values():  # the curated build's county tables come first: build them
        from ..ingest import registry
        from . import build as curated

        if not quiet:
            print("archive panel: building data/processed/ first (the county tables place agreements in counties)",
                  file=sys.stderr)  # fmt: skip
        curated.build(project, registry.load(project, local=True), quiet=quiet, force=True)  # a deleted table under a current manifest too
        current = panel._manifest(project, sheets)
        if built == current:
            return BuildResult(True, 0, 0, 0, 0, "archive panel is up to date (inputs and code unchanged); nothing to do")
    from .context_tables import require_gazetteer_tables

    require_gazetteer_tables(current["gazetteer"])
    if built is not None:
        from . import increment

        try:
            return increment.append(project, sheets, quiet=quiet, built=built, current=current)
        except increment.NeedsRebuild as why:
            if not quiet:
                print(f"archive panel: full build ({why})", file=sys.stderr)
    elif not force and not quiet:
        print("archive panel: full build (no built panel to append to)", file=sys.stderr)
    return panel.full_build(project, sheets, quiet=quiet, manifest=current, verified=hashed)
