"""benchmarks/latest.json: every benchmark's figures in one file, each under its own key (the
archive benchmark's at the top level), which scripts/update_readme.py renders into the docs.

One writer, so that the file keeps one format (indent 1, sorted keys) and a benchmark replaces only
its own figures, never another's.
"""

from __future__ import annotations

import json
from pathlib import Path


def recorded(path: str | Path) -> dict:
    """What the file holds now ({} when there is no file yet)."""
    path = Path(path)
    return json.loads(path.read_text()) if path.is_file() else {}


def record(path: str | Path, figures: dict, key: str | None = None) -> None:
    """Put ``figures`` under ``key`` (or merge them into the top level), keeping everything else."""
    data = recorded(path)
    data.update({key: figures} if key else figures)
    Path(path).write_text(json.dumps(data, indent=1, sort_keys=True, default=str) + "\n")
