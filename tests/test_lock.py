"""Concurrent runs (issue 14.3): one writer at a time, staging folders owned by their pid.

Two runs used to delete each other's live staging folder: two ``reproduce`` crashed, and a
deletion landing just before a swap left data/processed/ missing beside a ``.old`` folder. Now
every writer holds data/.lock (analysis/ingest/lock.py), a second one is refused naming the holder (or
waits with ``--wait``), and a staging folder is removed only when its owner's pid is dead.

The CLI cases run in a throwaway project (tests/test_cli.py make_template), in this process; the
first writer is a real ``build --force`` stopped mid-write by test_interrupt's hook, then killed,
and a second writer is a real process where its pid is the point (the lock is re-entrant within
one process).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import clirun
import pytest
from test_cli import assert_one_error_line
from test_cli_errors import cli, project, template, tree_hashes  # noqa: F401 (project, template: fixtures)
from test_interrupt import _hooked

from analysis import paths
from analysis.core import atomic
from analysis.ingest import lock
from analysis.engine import query




def stopped_writer(root: Path) -> clirun.Forked:
    """``build --force`` asleep just before its first write into its staging copy (lock held)."""
    marker = root.parent / "stopped.txt"
    proc = _hooked(root, marker, "1")
    deadline = time.monotonic() + 120
    while not marker.exists():
        if proc.poll() is not None:
            pytest.fail(f"the first build ended early: {proc.communicate()[1].decode()[-2000:]}")
        assert time.monotonic() < deadline, "the first build never reached its first write"
        time.sleep(0.01)
    return proc


def kill(proc: clirun.Forked) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()


def stages(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "data").glob(".processed.*"))


def test_a_second_writer_is_refused_naming_the_first(project):
    processed = project / "data" / "processed"
    before = tree_hashes(processed)
    first = stopped_writer(project)
    try:
        live = stages(project)
        assert live == [n for n in live if n.startswith(f".processed.{first.pid}.")] and live, live
        for args in (["build", "-q"], ["build", "-q", "--force"], ["fetch", "-q"], ["recheck"],
                     ["add-sheet", str(project / "nowhere.xlsx")], ["remove-sheet", "2025-09-02"]):  # fmt: skip
            proc = cli(project, *args)
            assert_one_error_line(proc, 14, "error: data/.lock: another build is running", f"pid {first.pid}: build",
                                  "--wait SECONDS")  # fmt: skip
        assert stages(project) == live  # the live staging folder is left alone
        assert tree_hashes(processed) == before
        # readers take no lock
        proc = cli(project, "query", "--as-of", "2025-09-02", "--format", "json")
        assert proc.returncode == 0 and '"total": 6' in proc.stdout, proc.stderr
    finally:
        kill(first)
    # the kernel released the dead run's lock; its staging folder goes with the next writer
    proc = cli(project, "build", "-q", "--force")
    assert proc.returncode == 0, proc.stderr
    assert stages(project) == []
    assert tree_hashes(processed) == before  # same inputs, same outputs


def test_a_second_writer_with_wait_goes_on_when_the_first_ends(project):
    first = stopped_writer(project)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DATA_MIRROR")}
    second = clirun.Forked(["-m", "analysis", "--project", str(project), "build", "-q", "--force", "--wait", "60"],
                           cwd=project.parent, env=env, text=True)  # fmt: skip
    try:
        time.sleep(1.5)
        assert second.poll() is None, second.communicate()  # waiting, not refused
    finally:
        kill(first)
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    assert "built 4 snapshots" in out
    assert stages(project) == []


def test_wait_gives_up_after_its_timeout(project):
    first = stopped_writer(project)
    try:
        started = time.monotonic()
        proc = cli(project, "build", "-q", "--wait", "1")
        assert time.monotonic() - started >= 1
        assert_one_error_line(proc, 14, "another build is running", f"pid {first.pid}", "waited 1 s")
    finally:
        kill(first)


def test_the_lock_is_reentrant_within_a_process(project):
    p = paths.Project.at(project)
    with lock.hold(p, what="outer"):
        with lock.hold(p, what="inner"):  # reproduce fetches and builds under its own lock
            assert lock.holder(project / "data" / ".lock") == (str(os.getpid()), "outer")
        assert lock.held(p)
        assert not lock.held(paths.Project.at(project.parent / "another"))  # each project has its own lock
    assert not lock.held(p)


def test_a_read_only_project_needs_no_lock(project, monkeypatch):
    """On a read-only disk nothing can be written, so an up-to-date build still answers."""
    import errno

    from analysis.ingest import registry
    from analysis.store import build

    lock_file = project / "data" / ".lock"
    lock_file.unlink(missing_ok=True)
    real_open = os.open

    def read_only(path, flags, *a, **k):
        if Path(path) == lock_file and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, flags, *a, **k)

    p = paths.Project.at(project)
    monkeypatch.setattr(os, "open", read_only)
    assert "nothing to do" in build.build(p, registry.load(p), quiet=True).message
    assert not lock_file.exists()


# ----------------------------------------------------------------------------- staging folders


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_staging_folders_are_removed_only_when_their_owner_is_dead(tmp_path):
    target = tmp_path / "processed"
    target.mkdir()
    (target / "table.csv").write_text("old\n")
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        dead, live = dead_pid(), sleeper.pid
        for pid in (dead, live):
            (tmp_path / f".processed.{pid}.abcd1234.tmp").mkdir()
            (tmp_path / f".processed.{pid}.abcd1234.tmp" / "half.csv").write_text("half\n")
        (tmp_path / f".processed.{dead}.old").mkdir()
        with atomic.replace_dir(target) as out:
            atomic.write_text(out / "table.csv", "new\n")  # replaced: the copy is hard links
        left = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("."))
        assert left == [f".processed.{live}.abcd1234.tmp"]
        assert (target / "table.csv").read_text() == "new\n"
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_staging_folder_deleted_before_the_swap_never_loses_the_target(tmp_path):
    """What another run's cleanup did: the exchange fails, and the target stays (no .old)."""
    import shutil

    target = tmp_path / "processed"
    target.mkdir()
    (target / "table.csv").write_text("old\n")
    with pytest.raises(OSError):
        with atomic.replace_dir(target) as out:
            atomic.write_text(out / "table.csv", "new\n")  # replaced: the copy is hard links
            shutil.rmtree(out)
    assert (target / "table.csv").read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["processed"]


def test_without_an_exchange_the_swap_is_two_renames_and_a_killed_one_is_undone(tmp_path, monkeypatch):
    monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)  # a system without renameat2
    target = tmp_path / "processed"
    target.mkdir()
    (target / "table.csv").write_text("old\n")
    with atomic.replace_dir(target) as out:
        atomic.write_text(out / "table.csv", "new\n")  # replaced: the copy is hard links
    assert (target / "table.csv").read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["processed"]
    # killed between the two renames: the target is missing, the dead run's .old holds it
    os.replace(target, tmp_path / f".processed.{dead_pid()}.old")
    atomic.clean_stale(target)
    assert (target / "table.csv").read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["processed"]


# ----------------------------------------------------------------------------- readers


def test_a_reader_never_pairs_tables_of_two_builds(project, monkeypatch):
    """A build swapped in between the reads of the sheets table and the rows: both come from one build."""
    import pyarrow.parquet as pq

    from analysis.engine import reader

    processed = project / "data" / "processed"
    panel = reader.Panel(paths.Project.at(project), "curated")  # the sheets table of the first build
    real_read, swapped = pq.read_table, []

    def read_table(path, *a, **k):
        table = real_read(path, *a, **k)
        if Path(path).name == "agreements.parquet" and not swapped:
            swapped.append(True)  # a writer commits a new build right after this read
            with atomic.replace_dir(processed) as out:
                for name in ("agreements.parquet", "snapshots.parquet"):
                    frame2 = pd.read_parquet(out / name)
                    if name == "agreements.parquet":
                        frame2["agency_raw"] = frame2["agency_raw"] + " (second build)"
                    else:
                        frame2["build"] = "second"
                    (out / name).unlink()  # a hard link to the live file: replaced, never edited
                    frame2.to_parquet(out / name, index=False)
        return table

    monkeypatch.setattr(pq, "read_table", read_table)
    rows = panel.rows(panel.snapshots["snapshot_id"].iloc[0])
    assert swapped
    assert rows["agency_raw"].str.endswith("(second build)").all()  # read again, from the new build
    assert "build" in panel.snapshots.columns  # and its sheets table with them



def test_a_check_while_reproduce_stages_reports_never_reports_evidence_that_is_gone(project, tmp_path, monkeypatch):
    """Issue 22.3: `reproduce` stages a copy of reports/ and swaps it in whole; a `check` in between
    wrote its evidence into the old folder, reported success and printed a path that no longer existed
    once the swap landed. check now takes the write lock: it is refused while reproduce holds it (or
    waits with --wait), so whatever it reports is there afterwards."""
    import json

    from test_cli_errors import _claims_file

    import projectcopy as pc

    claims = _claims_file(tmp_path)
    with lock.hold(paths.Project.at(project), what="reproduce"), atomic.replace_dir(project / "reports", link=False):
        # reproduce, mid-run in this process; the check is another process (the lock is re-entrant within one)
        during = pc.run(project, ["check", str(claims), "--source", "curated", "--format", "json"], cwd=tmp_path)
    if during.returncode == 0:  # what happened before: evidence written, then swapped away
        assert all((project / r["evidence"]).is_file() for r in json.loads(during.stdout)), "reported evidence is gone"
    assert_one_error_line(during, 14, "error: data/.lock: another build is running", "reproduce")
    after = cli(project, "check", str(claims), "--source", "curated", "--format", "json")
    assert after.returncode == 0, after.stderr
    assert all((project / r["evidence"]).is_file() for r in json.loads(after.stdout))
