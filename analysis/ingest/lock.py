"""One writer at a time: an exclusive lock on the project's data/ and reports/ folders.

Every command that writes them (fetch, build, build --archive, reproduce, run, recheck,
add-sheet, remove-sheet) holds ``data/.lock`` (fcntl.flock, so the kernel releases it when the
holder dies, even on kill -9). The file holds the holder's pid and command, for the message a
second writer gets: by default it fails at once with BusyError, "another build is running
(pid N)", rather than queueing behind a run that may take minutes; ``--wait SECONDS`` waits up
to that long instead. Fail-fast never deadlocks two ``make`` targets or a CI job: the lock is
re-entrant within a process (``reproduce`` fetches and builds under its own lock) and is not
inherited by the notebooks' kernels.

Readers (query, diff, claims, export) take no lock: every writer replaces whole folders in one
atomic exchange (atomic.replace_dir), so they see the previous set or the new one.
POSIX only (fcntl), like the exchange itself.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from ..core.paths import Project
from ..core.errors import BusyError, OutputError

LOCK_NAME = ".lock"
POLL_SECONDS = 0.1

_threads = threading.RLock()  # threads of one process queue here; processes at the flock
_held: dict[Path, list] = {}  # lock file -> [depth, fd] of the holds this process has on it


def lock_path(project: Project) -> Path:
    """data/.lock: beside data/processed, the folder every writer swaps, so a throwaway project (a
    test's temp build) locks its own data folder and never queues behind another."""
    return project.data / LOCK_NAME


def holder(path: Path) -> tuple[str, str]:
    """(pid, command) written by the lock's holder; "unknown" before it has written them."""
    try:
        words = path.read_text().split(maxsplit=1)
    except OSError:
        words = []
    return (words[0] if words else "unknown", words[1].strip() if len(words) > 1 else "unknown")


def _open(path: Path) -> int | None:
    """The lock file, open; None where nothing can be written at all (a read-only or full disk): then no
    lock is needed, and a command that does need to write fails at that write with its own error."""
    import errno

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as err:
        if err.errno not in (errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EDQUOT):
            raise OutputError(f"cannot open the write lock: {err.strerror}", path=str(path)) from None
    try:
        return os.open(path, os.O_RDONLY)  # flock needs no write access; the pid is then not recorded
    except OSError:
        return None


def _acquire(path: Path, wait: float, what: str) -> int | None:
    import fcntl

    fd = _open(path)
    if fd is None:
        return None
    deadline = time.monotonic() + max(wait, 0)
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                pid, command = holder(path)
                waited = f"waited {wait:g} s; " if wait > 0 else ""
                raise BusyError(
                    f"another build is running (pid {pid}: {command}); {waited}nothing was written: "
                    "run again when it has finished, or pass --wait SECONDS",
                    path=str(path),
                ) from None
            time.sleep(POLL_SECONDS)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {what}\n".encode())
    except OSError:
        pass  # opened read-only: locked all the same, the holder is just not named
    return fd


@contextlib.contextmanager
def hold(project: Project, *, wait: float = 0, what: str | None = None) -> Iterator[None]:
    """Hold ``project``'s write lock (re-entrant: nested holds in one process are free).

    The outermost hold first finishes or rolls back an add-sheet or remove-sheet that was
    interrupted (journal.recover), so no command builds on a half registration.
    """
    path = lock_path(project)
    with _threads:
        state = _held.get(path)
        outer = state is None
        if outer:
            state = [0, _acquire(path, wait, what or os.path.basename(sys.argv[0]))]
            _held[path] = state
        state[0] += 1
        try:
            if outer:
                from . import journal

                journal.recover(project)
            yield
        finally:
            state[0] -= 1
            if outer:
                fd = state[1]
                del _held[path]
                if fd is not None:
                    os.close(fd)  # closing releases the flock; the stale pid in the file is harmless


def held(project: Project) -> bool:
    """Whether this process holds ``project``'s write lock."""
    return _held.get(lock_path(project), [0])[0] > 0


def _seconds(text: str) -> float:
    import argparse

    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}")
    return value


def writer(parser) -> None:
    """Mark a subcommand as one that writes data/ or reports/: cli.main runs it under the lock."""
    parser.add_argument("--wait", type=_seconds, default=0, metavar="SECONDS",
                        help="if another command is writing this project, wait up to SECONDS for it "
                             "(default 0: refuse at once with exit code 14)")  # fmt: skip
    parser.set_defaults(writes=True)
