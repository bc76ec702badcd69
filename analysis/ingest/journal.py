"""The journal of add-sheet and remove-sheet: what is about to change in the local registry,
written before anything does, so that a kill -9 never leaves a half registration.

local_sheets.add/remove write it (begin) and remove it when the change and its rebuild are done
(end). The write lock's outermost hold (lock.hold) settles a leftover one first (recover): an add
whose rebuild had passed is kept, any other add is rolled back; a remove is completed. It lives
here, beside the lock and the registry it edits, so the lock need not import the add-sheet
command (which builds, above this layer).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from ..core import atomic, paths
from ..core.paths import Project
from ..core.errors import DataIntegrityError
from . import registry
from .registry import RawFile

JOURNAL = "journal.json"


def journal_path(project: Project) -> Path:
    return project.local_raw / JOURNAL


def begin(project: Project, op: str, entry: RawFile) -> None:
    """Write the journal: what is about to change (before anything does)."""
    journal = {"op": op, "entry": entry.to_row(), "had_registry": project.local_registry_csv.is_file(), "pid": os.getpid()}
    atomic.write_text(journal_path(project), json.dumps(journal, indent=1) + "\n")


def end(project: Project) -> None:
    journal_path(project).unlink(missing_ok=True)


def unregister(project: Project, entry: RawFile, had_registry: bool = True) -> None:
    """Drop ``entry``'s row from the local registry (the file itself is the caller's business)."""
    rows = [e for e in registry.read_registry(project.local_registry_csv) if e.path != entry.path]
    if rows or had_registry:
        registry.write_registry(rows, project.local_registry_csv)
    else:
        project.local_registry_csv.unlink(missing_ok=True)


def roll_back_add(project: Project, entry: RawFile, had_registry: bool) -> None:
    unregister(project, entry, had_registry)  # the row first: a registered sheet always has its file
    entry.file_in(project).unlink(missing_ok=True)


def rebuild_passed(project: Project, entry: RawFile) -> bool:
    """Whether data/processed/ was built with ``entry`` registered as it is now."""
    manifest = project.processed / paths.BUILD_MANIFEST
    try:
        built = json.loads(manifest.read_text()).get("inputs", {})
    except (OSError, ValueError):
        return False
    registered = entry in registry.read_registry(project.local_registry_csv)
    return registered and entry.file_in(project).is_file() and built.get(entry.path) == entry.to_row()


def recover(project: Project) -> str | None:
    """Settle an add-sheet or remove-sheet that was killed half-way (see the module docstring);
    returns what was done (also printed as a warning), None when there was nothing to settle."""
    path = journal_path(project)
    if not path.exists():
        return None
    where = project.relative(path)
    try:
        journal = json.loads(path.read_text())
        op, entry, had_registry = journal["op"], registry.from_row(journal["entry"], path), bool(journal["had_registry"])
        if op not in ("add", "remove"):
            raise ValueError(op)
    except (OSError, ValueError, KeyError, TypeError, DataIntegrityError) as err:
        why = f" ({err.message})" if isinstance(err, DataIntegrityError) else ""
        raise DataIntegrityError(
            f"unreadable journal of an interrupted add-sheet or remove-sheet{why}: check "
            f"{project.relative(project.local_registry_csv)} and data/raw/local/, then delete it",
            path=where,
        ) from None
    name = entry.original_filename or entry.path
    if op == "add" and rebuild_passed(project, entry):
        done = f"completed the interrupted add-sheet of {name}: its rebuild had passed, so it stays registered"
    elif op == "add":
        roll_back_add(project, entry, had_registry)
        done = (f"rolled back the interrupted add-sheet of {name}: it stopped before its rebuild passed, "
                "so nothing stays registered; add it again")  # fmt: skip
    else:
        unregister(project, entry)
        entry.file_in(project).unlink(missing_ok=True)
        done = f"completed the interrupted remove-sheet of {name}: it is no longer registered"
    end(project)
    print(f"warning: {where}: {done}", file=sys.stderr)
    return done
