"""Python work for the second core: jobs run one after another in a process forked beside this one.

After the archive's parse, the main process cleans the rows for about a second while the other
core has little to do. A thread cannot take Python work off it (it holds the GIL against the
cleaning: beside raw_table and tidy, one stalled them for longer than it saved), and a pool
worker would have to import pandas and be sent the data. A process forked at that moment has
both: this process's modules, and its memory as it was (copy-on-write), so a job is a closure
over data already here and only its result travels back, through a pipe.

Fork only when no other thread of this process is running (a lock a thread held would stay held
in the child). The results are taken from the pipe by a thread of this process as they come: a
pipe holds 64 KiB, and a child whose result is larger would otherwise wait, its core idle, until
this process asked for it. A job must be safe to run again: when it fails in the child, or the child dies,
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
        import threading

        context = multiprocessing.get_context("fork")
        self._reader, writer = context.Pipe(duplex=False)
        self._process = context.Process(target=_run, args=(jobs, writer), name="beside")
        self._process.start()
        writer.close()
        self._n = len(jobs)
        self._results: list[tuple[bool, object]] = []  # each job's, as it arrives
        self._ended = False  # the process ended before every job's result arrived
        self._arrived = threading.Condition()
        self._taker = threading.Thread(target=self._take, name="beside results", daemon=True)
        self._taker.start()

    def _take(self) -> None:
        """The taking thread: each result as the process sends it."""
        while len(self._results) < self._n:
            try:
                result = self._reader.recv()
            except Exception:  # noqa: BLE001 - EOFError, OSError: the process died; every job still owed has failed
                with self._arrived:
                    self._ended = True
                    self._arrived.notify_all()
                return
            with self._arrived:
                self._results.append(result)
                self._arrived.notify_all()

    def result(self, i: int) -> tuple[bool, object]:
        """(True, what job i returned), or (False, None) when it failed or the process ended first."""
        with self._arrived:
            self._arrived.wait_for(lambda: len(self._results) > i or self._ended)
            return self._results[i] if len(self._results) > i else (False, None)

    def close(self) -> None:
        """Wait for the process (its jobs write files: never leave one half done)."""
        self._process.join()
        self._taker.join()
        self._reader.close()


def _run(jobs: list[Callable[[], object]], writer) -> None:
    for job in jobs:
        try:
            writer.send((True, job()))
        except Exception:  # noqa: BLE001 - reported as failed: the caller runs the job itself, for its own error
            writer.send((False, None))
    writer.close()
