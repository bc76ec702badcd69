"""Atomic writes: every output goes to a temp file beside its target and is renamed into place.

An interrupted run (even kill -9) therefore leaves either the previous file or the new one,
never half of one. A build that writes several files commits them as a set with
``replace_dir``: they are written into a staging copy of the folder, which then takes the
folder's place in one atomic exchange, so a reader never sees new tables beside old ones.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

from .errors import OutputError

# Why an output cannot be written (disk full, read-only, not allowed, in the way), as opposed to
# an input that is missing: these become OutputError; any other OSError stays what it is.
OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM,
                           errno.EEXIST, errno.EISDIR, errno.ENOTDIR, errno.ENAMETOOLONG, errno.EBUSY, errno.EXDEV})  # fmt: skip
#: what an error's number means for a folder that is replaced whole (replace_dir)
_HINTS = {errno.EBUSY: "a mount point cannot be replaced: mount the folder above it instead",
          errno.EXDEV: "a mount point cannot be replaced: mount the folder above it instead"}  # fmt: skip


def _shown(path: Path) -> str:
    """A path as the one-line error names it: relative to the project, else as given."""
    from . import paths

    try:
        return Path(os.path.abspath(path)).relative_to(paths.ROOT).as_posix()
    except ValueError:
        return str(path)


@contextlib.contextmanager
def output_errors(path: Path | str) -> Iterator[None]:
    """Turn an OSError (or sqlite's error) from writing ``path`` or a temp file beside it into one
    OutputError naming the path and the cause. Every write of the package goes through here
    (atomic_path, replace_dir, ensure_dir), so no command needs its own handler; the
    temp-then-rename rule means nothing was half written."""
    path = Path(os.path.abspath(path))
    scope = path.parent  # where the temp files and staging folders are made
    try:
        yield
    except Exception as err:
        if not isinstance(err, OSError):
            if _sqlite_cannot_write(err):  # counts.sqlite: sqlite reports a full or read-only disk in its own words
                raise OutputError(f"cannot write: {err}; nothing was half written and earlier outputs are unchanged",
                                  path=_shown(path)) from None  # fmt: skip
            raise
        # the OS names the file (copies: source and destination); one of ours, or none, means this output
        names = [Path(os.path.abspath(os.fsdecode(n))) for n in (err.filename, err.filename2)
                 if isinstance(n, (str, bytes, os.PathLike))]  # fmt: skip
        on_the_way = [n for n in names if n == path or n in path.parents]  # the output or a folder above it
        ours = not names or on_the_way or any(n == scope or scope in n.parents for n in names)
        # a temp file of ours that the folder will not create (/proc answers ENOENT); not a staging folder
        # (replace_dir's carry this process's id) that someone removed
        temp = [n for n in names if n.parent == scope and n.name.startswith(".") and n.name.endswith(".tmp")
                and not n.name.startswith(f".{path.name}.{os.getpid()}.")]  # fmt: skip
        if not ours or not (err.errno in OUTPUT_ERRNOS or (err.errno == errno.ENOENT and (on_the_way or temp))):
            raise  # not about this output (e.g. an input that cannot be read)
        shown = on_the_way[0] if on_the_way else path
        hint = f" ({_HINTS[err.errno]})" if err.errno in _HINTS else ""
        raise OutputError(f"cannot write: {err.strerror or err} ({errno.errorcode.get(err.errno, err.errno)}){hint}; "
                          "nothing was half written and earlier outputs are unchanged", path=_shown(shown)) from None


def _sqlite_cannot_write(err: Exception) -> bool:
    import sys

    sqlite3 = sys.modules.get("sqlite3")
    return (sqlite3 is not None and isinstance(err, sqlite3.OperationalError)
            and str(err) in ("database or disk is full", "disk I/O error", "attempt to write a readonly database"))  # fmt: skip


def ensure_dir(path: Path | str) -> Path:
    """mkdir -p, with output_errors' one-line error when the folder cannot be made."""
    path = Path(path)
    with output_errors(path):
        path.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """Yield a temp path in the target's directory; rename it onto ``path`` on success."""
    path = Path(path)
    with output_errors(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
    tmp_path = Path(tmp)
    try:
        with output_errors(path):  # the caller's writes into tmp (disk full) and the rename
            yield tmp_path
            os.chmod(tmp_path, _FILE_MODE)  # mkstemp makes 0600; outputs are ordinary readable files
            os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()


def write_bytes(path: Path | str, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text(path: Path | str, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))



def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux renameat2 RENAME_EXCHANGE, macOS renamex_np
    RENAME_SWAP).

    False only where the call is unsupported (other systems, old kernels, file systems without
    the flag); any other failure (a path gone, no permission) raises, so that the caller never
    falls back to two renames when the first one would leave the target missing.
    """
    import ctypes
    import errno
    import sys

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if sys.platform.startswith("linux"):
            call, at_fdcwd, rename_exchange = libc.renameat2, -100, 2
            call.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
            args = (at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
        elif sys.platform == "darwin":
            call, rename_swap = libc.renamex_np, 2
            call.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint]
            args = (os.fsencode(a), os.fsencode(b), rename_swap)
        else:
            return False
    except (OSError, AttributeError):
        return False
    if call(*args) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(a))


def _link(src, dst) -> None:
    """A hard link (free, and atomic writes never modify a file in place), or a copy where links fail."""
    import shutil

    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (one we may not signal counts as alive)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner(path: Path, target: Path) -> int | None:
    """The pid in a staging (``.name.PID.xxxx.tmp``) or swap (``.name.PID.old``) folder's name."""
    import re

    m = re.fullmatch(rf"\.{re.escape(target.name)}\.(\d+)\.(?:[A-Za-z0-9_]+\.tmp|old)", path.name)
    return int(m[1]) if m else None


def clean_stale(target: Path | str) -> None:
    """Remove the staging and swap folders of ``target`` whose owner process is dead.

    A live owner's folder is never touched: two runs used to delete each other's staging folder
    (issue 14.3). A swap folder of a dead owner while ``target`` is missing means that owner was
    killed between the two renames of the fallback swap: the previous folder is put back.
    """
    import shutil

    target = Path(target)
    for path in sorted(target.parent.glob(f".{target.name}.*")):
        pid = _owner(path, target)
        if pid is None or pid_alive(pid) or not path.is_dir():
            continue
        if path.name.endswith(".old") and not target.exists():
            os.replace(path, target)
        else:
            shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def replace_dir(target: Path | str, *, link: bool = True, linked: tuple[str, ...] = ()) -> Iterator[Path]:
    """Yield a staging copy of the folder ``target``; on success the staging folder takes
    target's place in one atomic exchange and the old one is removed. On an error or a kill the
    target is untouched; the staging folder's name carries this process's id, and a later run
    removes it only once this process is dead (clean_stale).

    ``link=True`` fills the copy with hard links (free, for data/processed/ and its 40 MB parse
    cache): then every write into it must replace files, never edit them, as atomic_path does.
    ``link=False`` copies, for folders that code outside this package writes into (reports/);
    ``linked`` names entries that are linked all the same, because only this package writes them,
    through atomic_path (reports/site/: 40 MB a second reproduce need not copy).
    """
    import shutil

    copy = _link if link else shutil.copy2

    target = Path(target)
    with output_errors(target):  # a read-only or full disk: one line, before anything is written
        target.parent.mkdir(parents=True, exist_ok=True)
        clean_stale(target)
        stage = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp"))
    try:
        with output_errors(target):
            os.chmod(stage, 0o777 & ~_umask())
            if target.is_dir():
                for entry in target.iterdir():
                    if entry.name.startswith("."):
                        continue
                    how = _link if entry.name in linked else copy
                    if entry.is_dir():
                        shutil.copytree(entry, stage / entry.name, copy_function=how)
                    else:
                        how(entry, stage / entry.name)
        yield stage
        with output_errors(target):
            if not target.exists():
                os.replace(stage, target)
            elif not _exchange(stage, target):  # elsewhere: two renames, a brief moment without target
                old = target.with_name(f".{target.name}.{os.getpid()}.old")
                os.replace(target, old)
                try:
                    os.replace(stage, target)
                except BaseException:
                    os.replace(old, target)  # never leave the target missing
                    raise
                stage = old
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def folder_identity(folder: Path) -> tuple[int, int] | None:
    """Which build a folder holds: a swap (replace_dir) gives the path a new inode."""
    try:
        st = os.stat(folder)
    except FileNotFoundError:
        return None
    return st.st_dev, st.st_ino


def read_consistent(folder: Path | str, read: Callable[[], T], *, tries: int = 5) -> T:
    """``read()`` (which opens several files of ``folder``) again until no writer swapped the
    folder meanwhile, so a reader never pairs one build's table with another's. A swap gives
    the path a new inode (replace_dir); readers take no lock (lock.py)."""
    for _ in range(tries - 1):
        before = folder_identity(Path(folder))
        value = read()
        if folder_identity(Path(folder)) == before:
            return value
    return read()
