"""Skip work whose inputs are unchanged: one small JSON stamp per step in reports/.stamps/.

A notebook's stamp names everything its outputs depend on: the data (the build manifests of
data/processed/ and data/processed/archive/, which digest every registered raw file and the
data code), the code (the package modules the notebook's cells import, transitively, read from
the import graph by codegraph.py, and every resource), the notebook file's own bytes and its
parameters; and the sha256 of every file the run wrote. `reproduce` executes a notebook again only when one of those differs or an output is gone
or edited, so a second reproduce with nothing changed reuses the executed notebooks and rebuilds
a byte-identical report in a second or two. reports/recheck.md is stamped the same way.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..core import atomic, paths

DIR = ".stamps"  # inside reports/; reproduce.staged_reports carries it into each new report
WHATIF = "whatif"  # reports/whatif/ holds what-if runs (whatif.py), never a main-report output
SITE = "site"  # reports/site/ is written by the site's own steps (publish/site), some while notebooks run


def _sha(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def code_version(*entries: str) -> str:
    """The modules ``entries`` import (codegraph) and every resource of the package (the reviewed
    tables, claims.toml, the plot style): what a notebook or recheck run can read."""
    from ..core import codegraph

    digest = hashlib.sha256()
    files = codegraph.files(*entries) + sorted(p for p in paths.RESOURCES_DIR.rglob("*") if p.is_file())
    for path in files:
        digest.update(path.relative_to(paths.PACKAGE_DIR).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def data_version() -> dict[str, str | None]:
    """The build manifests' digests: they change with any raw file, registry row or data code."""
    from ..store import buildinfo, panel

    found = {"processed": paths.PROCESSED_DIR / buildinfo.BUILD_MANIFEST, "archive": panel.archive_dir() / panel.MANIFEST}
    return {k: _sha(p) if p.is_file() else None for k, p in found.items()}


def notebook_modules(notebook: Path) -> tuple[str, ...]:
    """What a notebook runs: the package modules its code cells import, and the runner (notebooks.py)."""
    from ..core import codegraph

    cells = json.loads(Path(notebook).read_text(encoding="utf-8")).get("cells", [])
    found = {"publish.notebooks"}
    for cell in cells:
        if cell.get("cell_type") == "code":
            source = "".join(cell.get("source", []))
            found |= codegraph.imported_by("\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))))
    return tuple(sorted(found))


def notebook_inputs(notebook: Path, parameters: dict) -> dict:
    """What a notebook run depends on; ``notebook`` is its file (notebooks.notebook_path), passed in
    because notebooks.py imports this module."""
    return {"data": data_version(), "code": code_version(*notebook_modules(notebook)), "notebook": _sha(notebook),
            "parameters": dict(sorted(parameters.items()))}  # fmt: skip


def report_files(root: Path) -> dict[str, int]:
    """relative path -> mtime (ns) of every report file, hidden files, what-if runs and the site left
    out: compared before and after a notebook runs, it tells which figures the run wrote (the site's
    data pages are written meanwhile by reproduce, and are no notebook's output)."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if rel.parts[0] not in (WHATIF, SITE) and not any(p.startswith(".") for p in rel.parts) and path.is_file():
            out[rel.as_posix()] = path.stat().st_mtime_ns
    return out


def _path(root: Path, name: str) -> Path:
    return root / DIR / f"{name}.json"


def why_run(root: Path, name: str, inputs: dict) -> str | None:
    """None when the stamp's inputs equal ``inputs`` and its outputs are intact; else the reason to run."""
    path = _path(root, name)
    try:
        stamp = json.loads(path.read_text())
    except (OSError, ValueError):
        return "no earlier run" if not path.exists() else "its stamp is unreadable"
    before = stamp.get("inputs", {})
    changed = [k for k in inputs if before.get(k) != inputs[k]]
    if changed:
        return f"{', '.join(changed)} changed"
    for rel, sha in stamp.get("outputs", {}).items():
        if not paths.stays_inside(rel):  # a path read from a data file stays in its folder
            return "its stamp names an output outside reports/"
        if not (root / rel).is_file() or _sha(root / rel) != sha:
            return f"{rel} is missing or was edited"
    return None


def write(root: Path, name: str, inputs: dict, outputs: list[str], seconds: float) -> None:
    """Record the inputs and the digests of ``outputs`` (paths relative to root) after a run."""
    stamp = {"inputs": inputs, "outputs": {rel: _sha(root / rel) for rel in sorted(outputs)}, "seconds": round(seconds, 2)}
    atomic.write_text(_path(root, name), json.dumps(stamp, indent=1, sort_keys=True) + "\n")


def _recorded(root: Path, name: str, key: str) -> dict:
    try:
        return dict(json.loads(_path(root, name).read_text()).get(key, {}))
    except (OSError, ValueError):
        return {}


def inputs(root: Path, name: str) -> dict:
    """The inputs a stamp recorded ({} without a readable stamp)."""
    return _recorded(root, name, "inputs")


def outputs(root: Path, name: str) -> dict[str, str]:
    """The outputs a stamp recorded, relative path -> sha256 ({} without a readable stamp)."""
    return _recorded(root, name, "outputs")


def seconds(root: Path, name: str) -> float | None:
    """How long the stamped run took (for the benchmark's breakdown)."""
    try:
        return json.loads(_path(root, name).read_text()).get("seconds")
    except (OSError, ValueError):
        return None
