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
from ..core.errors import DataIntegrityError
from . import registry
from .registry import RawFile

JOURNAL = "journal.json"


def journal_path() -> Path:
    return paths.LOCAL_RAW_DIR / JOURNAL


def begin(op: str, entry: RawFile) -> None:
    """Write the journal: what is about to change (before anything does)."""
    journal = {"op": op, "entry": entry.to_row(), "had_registry": paths.LOCAL_REGISTRY_CSV.is_file(), "pid": os.getpid()}
    atomic.write_text(journal_path(), json.dumps(journal, indent=1) + "\n")


def end() -> None:
    journal_path().unlink(missing_ok=True)


def unregister(entry: RawFile, had_registry: bool = True) -> None:
    """Drop ``entry``'s row from the local registry (the file itself is the caller's business)."""
    rows = [e for e in registry.read_registry(paths.LOCAL_REGISTRY_CSV) if e.path != entry.path]
    if rows or had_registry:
        registry.write_registry(rows, paths.LOCAL_REGISTRY_CSV)
    else:
        paths.LOCAL_REGISTRY_CSV.unlink(missing_ok=True)


def roll_back_add(entry: RawFile, had_registry: bool) -> None:
    unregister(entry, had_registry)  # the row first: a registered sheet always has its file
    entry.local_path.unlink(missing_ok=True)


def rebuild_passed(entry: RawFile) -> bool:
    """Whether data/processed/ was built with ``entry`` registered as it is now."""
    manifest = paths.PROCESSED_DIR / paths.BUILD_MANIFEST
    try:
        built = json.loads(manifest.read_text()).get("inputs", {})
    except (OSError, ValueError):
        return False
    registered = entry in registry.read_registry(paths.LOCAL_REGISTRY_CSV)
    return registered and entry.local_path.is_file() and built.get(entry.path) == entry.to_row()


def recover() -> str | None:
    """Settle an add-sheet or remove-sheet that was killed half-way (see the module docstring);
    returns what was done (also printed as a warning), None when there was nothing to settle."""
    path = journal_path()
    if not path.exists():
        return None
    where = paths.relative_to_root(path)
    try:
        journal = json.loads(path.read_text())
        op, entry, had_registry = journal["op"], registry.from_row(journal["entry"], path), bool(journal["had_registry"])
        if op not in ("add", "remove"):
            raise ValueError(op)
    except (OSError, ValueError, KeyError, TypeError, DataIntegrityError) as err:
        why = f" ({str(err).removeprefix(where + ': ')})" if isinstance(err, DataIntegrityError) else ""
        raise DataIntegrityError(
            f"unreadable journal of an interrupted add-sheet or remove-sheet{why}: check "
            f"{paths.relative_to_root(paths.LOCAL_REGISTRY_CSV)} and data/raw/local/, then delete it",
            path=where,
        ) from None
    name = entry.original_filename or entry.path
    if op == "add" and rebuild_passed(entry):
        done = f"completed the interrupted add-sheet of {name}: its rebuild had passed, so it stays registered"
    elif op == "add":
        roll_back_add(entry, had_registry)
        done = (f"rolled back the interrupted add-sheet of {name}: it stopped before its rebuild passed, "
                "so nothing stays registered; add it again")  # fmt: skip
    else:
        unregister(entry)
        entry.local_path.unlink(missing_ok=True)
        done = f"completed the interrupted remove-sheet of {name}: it is no longer registered"
    end()
    print(f"warning: {where}: {done}", file=sys.stderr)
    return done
