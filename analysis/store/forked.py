"""Python work for the second core: jobs run one after another in a process forked beside this one.

After the archive's parse, the main process cleans the rows for about a second while the other
core has little to do. A thread cannot take Python work off it (it holds the GIL against the
cleaning: beside raw_table and tidy, one stalled them for longer than it saved), and a pool
worker would have to import pandas and be sent the data. A process forked at that moment has
both: this process's modules, and its memory as it was (copy-on-write), so a job is a closure
over data already here and only its result travels back, through a pipe.

Fork only when no other thread of this process is running (a lock a thread held would stay held
in the child). A job must be safe to run again: when it fails in the child, or the child dies,
its result says so and the caller runs it itself, which raises the job's own error where it has one.
"""

from __future__ import annotations

import os
from collections.abc import Callable


def available() -> bool:
    """Two cores or more, and the fork start method (Linux; not Windows, and macOS spawns by default)."""
    import multiprocessing

    return (os.cpu_count() or 1) >= 2 and "fork" in multiprocessing.get_all_start_methods()


class Forked:
    """``jobs`` running in a forked process from the moment this is made; result(i) waits for the i-th."""

    def __init__(self, jobs: list[Callable[[], object]]):
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self._reader, writer = context.Pipe(duplex=False)
        self._process = context.Process(target=_run, args=(jobs, writer), name="beside")
        self._process.start()
        writer.close()
        self._results: list[tuple[bool, object]] = []
        self._n = len(jobs)

    def result(self, i: int) -> tuple[bool, object]:
        """(True, what job i returned), or (False, None) when it failed or the process ended first."""
        while len(self._results) <= i:
            try:
                self._results.append(self._reader.recv())
            except (EOFError, OSError):  # the process died: every job still owed has failed
                self._results += [(False, None)] * (self._n - len(self._results))
        return self._results[i]

    def close(self) -> None:
        """Wait for the process (its jobs write files: never leave one half done)."""
        self._process.join()
        self._reader.close()


def _run(jobs: list[Callable[[], object]], writer) -> None:
    for job in jobs:
        try:
            writer.send((True, job()))
        except Exception:  # noqa: BLE001 - reported as failed: the caller runs the job itself, for its own error
            writer.send((False, None))
    writer.close()
