"""A built table is used only while its bytes are the ones its build wrote.

Editing a count in counts.sqlite or a state in the archive's parquet changed what ``query`` and
``check`` answered, and ``build`` still said "up to date": the manifests recorded the inputs, not
the outputs. Every build now records the sha256 of each file it wrote in its manifest
(``outputs``). The builds' freshness checks rebuild a folder whose files no longer match, and the
readers refuse it (StaleOutputError, exit 11) until it is rebuilt.

Hashing every table on every read costs about 10 ms (9 MB), a hundredth of a check of 50 claims,
so each build also notes each file's size, modification time and inode in ``data/.output-stats``
(a cache beside the write lock, outside the outputs, which stay byte-identical from build to
build): a file whose stat is the one noted is taken as unchanged, any other is hashed. A lost or
stale note only costs the hashing. Not covered: ``qa.csv`` (a failed build rewrites it on purpose
so the failure can be read), the parse cache and the append context (each carries its own
sha256, panel.write_verified), hidden temp files.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ..core import atomic, paths

STATS = ".output-stats.json"
#: in a built folder, never an output of its own: the manifest, the archive panel (its own
#: manifest), the parse cache (verified file by file), QA (rewritten by a failed build)
NOT_OUTPUTS = frozenset({paths.BUILD_MANIFEST, "archive", "cache", "qa.csv"})
SELF_VERIFIED = ".sha256"  # panel.DIGEST_SUFFIX: the digest file beside a file that carries its own


def outputs(folder: Path) -> list[str]:
    """Every output file of a built folder, as paths relative to it (a file with its own sha256 beside
    it, panel.write_verified's, is checked by that digest where it is read, and left out here)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        top = Path(dirpath) == Path(folder)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and not (top and d in NOT_OUTPUTS))
        rel = Path(dirpath).relative_to(folder)
        names = set(filenames)
        found += [(rel / f).as_posix() for f in filenames if not f.startswith(".") and not (top and f in NOT_OUTPUTS)
                  and not f.endswith(SELF_VERIFIED) and f + SELF_VERIFIED not in names]  # fmt: skip
    return sorted(found)


def _sha(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def record(out: Path, manifest: dict) -> dict:
    """``manifest`` with the sha256 of every output in the staging folder ``out`` (call it after the
    last table is written, before the manifest)."""
    return {**manifest, "outputs": {rel: _sha(out / rel) for rel in outputs(out)}}


def _stat(path: Path) -> list[int]:
    st = os.stat(path)
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def _stats_path() -> Path:
    return paths.PROCESSED_DIR.parent / STATS


def _key(folder: Path) -> str:
    return os.path.relpath(folder, paths.PROCESSED_DIR.parent)


def _read_stats() -> dict:
    try:
        stats = json.loads(_stats_path().read_text())
    except (OSError, ValueError):
        return {}
    return stats if isinstance(stats, dict) else {}


def remember(staged: Path, folder: Path) -> None:
    """Note the stat of every output of the staging folder ``staged``, which is about to become ``folder``
    (a build holding the write lock, last thing before the exchange: the files keep their inode and
    times when the folder is swapped in; if the swap fails, the note is wrong and readers hash)."""
    stats = _read_stats()
    stats[_key(folder)] = {rel: _stat(staged / rel) for rel in outputs(staged)}
    atomic.write_text(_stats_path(), json.dumps(stats, sort_keys=True) + "\n")


def problem(folder: Path) -> str | None:
    """Why the outputs of a built ``folder`` are not the ones its build wrote (one edited, one added,
    a part of a table missing), or None. A folder without a manifest, or built before outputs were recorded, has
    nothing to compare: its builds' freshness checks already call it out of date."""
    try:
        recorded = json.loads((Path(folder) / paths.BUILD_MANIFEST).read_text()).get("outputs")
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(recorded, dict):
        return None
    noted = _read_stats().get(_key(folder), {})
    present = set(outputs(folder))
    for rel in sorted(present | set(recorded)):
        if rel not in recorded:
            return f"{rel} was not written by the build that made this folder"
        if rel not in present:
            if "/" not in rel:
                continue  # a whole table gone: its readers say it is not built
            return f"{rel} is missing"  # a part of a table gone (the archive's agreements): fewer rows, silently
        if noted.get(rel) != _stat(Path(folder) / rel) and _sha(Path(folder) / rel) != recorded[rel]:
            return f"{rel} does not match the sha256 its build recorded (edited since it was built)"
    return None
