"""Fill data/raw/ with the registered files, verified by sha256.

Files come from $DATA_MIRROR when it is set (a local copy of the shared raw data), otherwise
from their pinned upstream URLs via pooch. Every file lands under a temp name and is renamed
only after its hash matched and, for an xlsx, every zip part passed its CRC check, so data/raw/
never holds a partial or unverified file. That CRC check is done here, once, rather than on every
parse: a file whose sha256 still matches is the same bytes that passed it.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from ..core import atomic, paths
from ..core.paths import Project
from ..core.errors import DataIntegrityError, LimitError
from .sheets import zip_problem
from .registry import RawFile



def sha256_of(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def mismatch_message(entry: RawFile, actual: str, origin: str) -> str:
    hint = (
        "it was transcribed, not copied, so its upstream bytes differ by design: set DATA_MIRROR to a copy of the project's raw data"
        if not entry.bytes_from_upstream
        else "delete it and run `python -m analysis fetch` again; if it persists the source changed and the registry needs review"
    )
    return f"sha256 mismatch from {origin}: expected {entry.sha256}, got {actual}; {hint}"


@dataclass
class FetchReport:
    fetched: list[str]
    present: list[str]
    replaced: list[str]

    def summary(self) -> str:
        if not self.fetched and not self.replaced:
            return f"all {len(self.present)} raw files already present and verified; nothing to do"
        parts = [f"fetched {len(self.fetched)}", f"{len(self.present)} already present"]
        if self.replaced:
            parts.append(f"replaced {len(self.replaced)} whose bytes were wrong: {', '.join(self.replaced)}")
        return "raw data: " + ", ".join(parts)


def _check_zip(entry: RawFile, tmp: Path, origin: str) -> None:
    """Refuse an xlsx whose zip parts fail their CRC even though its sha256 matched the registry.

    This is the one CRC check a registered file gets: builds verify every raw file by sha256 and
    then parse it with ``read_sheet(..., check_crc=False)``, so the pinned bytes must be known to
    be intact when they enter data/raw. A match here means the registered bytes themselves are bad.
    """
    if not entry.path.lower().endswith(".xlsx"):
        return
    problem = zip_problem(tmp, "")
    if isinstance(problem, LimitError):  # the registry pins a sheet beyond the limit: it can be raised
        raise LimitError(str(problem), path=entry.path)
    if problem is not None:
        raise DataIntegrityError(
            f"{problem} in the copy from {origin}, although its sha256 matches the registry: "
            "the registered bytes themselves are damaged and the registry entry needs review",
            path=entry.path,
        )


def _from_mirror(entry: RawFile, target: Path, mirror: Path) -> None:
    source = mirror / entry.path
    if not source.is_file():
        raise DataIntegrityError(f"missing from DATA_MIRROR ({mirror})", path=entry.path)
    with atomic.atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)
        actual = sha256_of(tmp)
        if actual != entry.sha256:
            raise DataIntegrityError(mismatch_message(entry, actual, "DATA_MIRROR"), path=entry.path)
        _check_zip(entry, tmp, "DATA_MIRROR")


def _from_upstream(entry: RawFile, target: Path) -> None:
    if not entry.url:
        raise DataIntegrityError(
            "has no upstream file (it was transcribed by hand); set DATA_MIRROR to a copy of the project's raw data",
            path=entry.path,
        )
    import pooch  # heavy-ish; only needed for downloads

    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with atomic.atomic_path(target) as tmp:
            # pooch downloads to its own temp file and checks the hash before moving it.
            pooch.retrieve(entry.url, known_hash=f"sha256:{entry.sha256}", fname=tmp.name, path=tmp.parent, progressbar=False)
            _check_zip(entry, tmp, entry.url)
    except DataIntegrityError:
        raise
    except ValueError as err:  # pooch's hash mismatch
        actual = _hash_from_pooch_error(str(err))
        raise DataIntegrityError(mismatch_message(entry, actual, entry.url), path=entry.path) from None
    except OSError as err:
        raise DataIntegrityError(f"download failed from {entry.url}: {err}", path=entry.path) from None
    except Exception as err:  # requests' errors do not share a base with OSError
        raise DataIntegrityError(f"download failed from {entry.url}: {type(err).__name__}: {err}", path=entry.path) from None


def _hash_from_pooch_error(text: str) -> str:
    import re

    found = re.findall(r"[0-9a-f]{64}", text)
    return found[-1] if found else "unknown"


FETCH_WORKERS = 6  # files in flight at once: the archive's 1,128 downloads are latency, not bandwidth


def fetch(project: Project, entries: list[RawFile], *, mirror: Path | None = None, quiet: bool = False,
          workers: int = FETCH_WORKERS) -> FetchReport:  # fmt: skip
    """Make every entry present and verified under the project's data/raw/; idempotent. Holds the write lock."""
    from . import lock

    with lock.hold(project):
        return _fetch(project, entries, mirror=mirror, quiet=quiet, workers=workers)


def _fetch(project: Project, entries: list[RawFile], *, mirror: Path | None, quiet: bool, workers: int) -> FetchReport:
    """Missing files are copied or downloaded ``workers`` at a time (threads: the work is waiting on
    the network or disk, and hashing releases the GIL), each still verified by sha256 before it is
    renamed into place; one progress bar for all. On a failure the files not yet started are
    not fetched, and the first failing file in registry order is the error.
    """
    from concurrent.futures import ThreadPoolExecutor, as_completed

    from tqdm.auto import tqdm

    if mirror is None:
        mirror = paths.data_mirror()
    report = FetchReport([], [], [])
    bar = tqdm(total=len(entries), desc="fetch", unit="file", disable=quiet, file=sys.stderr)
    todo = []
    for entry in entries:
        local = entry.file_in(project)
        if local.is_file():
            if sha256_of(local) == entry.sha256:
                report.present.append(entry.path)
                bar.update()
                continue
            report.replaced.append(entry.path)
        todo.append(entry)

    def get(entry: RawFile) -> None:
        target = entry.file_in(project)
        _from_mirror(entry, target, mirror) if mirror is not None else _from_upstream(entry, target)

    errors: dict[int, BaseException] = {}
    with ThreadPoolExecutor(max(1, min(workers, len(todo)))) as pool:
        futures = {pool.submit(get, entry): i for i, entry in enumerate(todo)}
        for done in as_completed(futures):
            if done.cancelled():
                continue
            if done.exception() is not None:
                errors[futures[done]] = done.exception()
                for other in futures:
                    other.cancel()
            bar.update()
    bar.close()
    if errors:
        raise errors[min(errors)]
    report.fetched = [e.path for e in todo if e.path not in report.replaced]
    return report


def verify(project: Project, entries: list[RawFile], *, contents: bool = True) -> None:
    """Refuse to go on if any raw file of ``project`` is missing or not the registered bytes.
    ``contents=False``: present only; whoever reads the files checks their bytes (bytes_problem)."""
    for entry in entries:
        local = entry.file_in(project)
        if not local.is_file():
            raise DataIntegrityError("missing from data/raw/; run `python -m analysis fetch`", path=entry.path)
        if contents:
            problem = bytes_problem(entry, sha256_of(local))
            if problem is not None:
                raise problem


def bytes_problem(entry: RawFile, actual: str) -> DataIntegrityError | None:
    """The error for a raw file whose sha256 is ``actual``, or None when it is the registered one."""
    if actual == entry.sha256:
        return None
    return DataIntegrityError(
        f"sha256 mismatch in data/raw/: expected {entry.sha256}, got {actual}; "
        "raw files are never edited: run `python -m analysis fetch` to restore it",
        path=entry.path,
    )
