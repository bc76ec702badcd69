"""add-sheet survives kill -9 and can be undone (issue 14.5).

A kill during add-sheet used to leave a half registration: every later build failed and
re-adding said "already registered". Registration is now journal-then-commit
(local_sheets.py): the test kills ``add-sheet`` (SIGKILL, as in test_interrupt.py) just before
each of its steps and checks that the next command settles the journal (rolled back, or kept
when the rebuild had passed) and that the sheet can be added again. Then ``remove-sheet``: by
file name or date, refusing pinned sheets, ambiguous dates and unknown names.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import time
from pathlib import Path

import clirun
import pytest

import projectcopy as pc
import workbooks as wb
from analysis.ingest import registry

NEW_ROWS = [
    *wb.PM_ROWS,
    ("NEW YORK", "Nassau County Sheriff's Office", "County", "Nassau", "Task Force Model", dt.datetime(2025, 9, 25), "link", "link"),
]  # fmt: skip
ORIGINAL = "participatingAgencies10012025am.xlsx"
STORED = "participating_2025-10-01_am.xlsx"

# Stops add-sheet just before the first os.replace / os.unlink whose target is named ``point``
# ("replace:journal.json", ...), or logs every such call when point is "log".
HOOK = r'''
import os, sys, time
marker, point, sheet, root = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
def hooked(kind, real):
    def call(*args, **kw):
        key = f"{kind}:{os.path.basename(str(args[-1] if kind == 'replace' else args[0]))}"
        if point == "log":
            with open(marker, "a") as fh:
                fh.write(key + "\n")
        elif key == point:
            with open(marker, "w") as fh:
                fh.write(key)
            time.sleep(600)
        return real(*args, **kw)
    return call
os.replace = hooked("replace", os.replace)
os.unlink = hooked("unlink", os.unlink)
from analysis.cli import main
sys.exit(main(["--project", root, "add-sheet", sheet, "-q"]))
'''


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return pc.fixture_project(tmp_path_factory.mktemp("journal") / "project").root


@pytest.fixture
def project(template, tmp_path) -> Path:
    import shutil

    root = tmp_path / "project"
    shutil.copytree(template, root)
    return root


@pytest.fixture
def sheet(tmp_path) -> Path:
    inbox = tmp_path / "downloads"
    inbox.mkdir()
    return wb.p3(inbox / ORIGINAL, NEW_ROWS)


def hooked(root: Path, sheet: Path, marker: Path, point: str) -> clirun.Forked:
    hook = root.parent / "hook.py"
    hook.write_text(HOOK)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DATA_MIRROR")}
    return clirun.Forked([str(hook), str(marker), point, str(sheet), str(root)], cwd=root.parent, env=env)


def kill_before(root: Path, sheet: Path, point: str) -> None:
    marker = root.parent / "stopped.txt"
    proc = hooked(root, sheet, marker, point)
    deadline = time.monotonic() + 120
    while not marker.exists():
        if proc.poll() is not None:
            pytest.fail(f"add-sheet ended (exit {proc.returncode}) before {point}: {proc.communicate()[1].decode()[-2000:]}")
        assert time.monotonic() < deadline, f"add-sheet never reached {point}"
        time.sleep(0.01)
    time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()


def local_state(root: Path) -> tuple[list[str], list[str]]:
    """(registered local paths, xlsx files under data/raw/local)."""
    local = root / "data" / "raw" / "local"
    rows = [e.path for e in registry.read_registry(local / "registry_local.csv")]
    return rows, sorted(p.name for p in local.glob("*.xlsx")) if local.is_dir() else []


def test_add_sheet_steps_in_order(project, sheet):
    """The steps the kill points below stand for: journal, copy, registry row, rebuild, journal gone."""
    log = project.parent / "log.txt"
    proc = hooked(project, sheet, log, "log")
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()[-2000:]
    keys = log.read_text().split()
    steps = ["replace:journal.json", f"replace:{STORED}", "replace:registry_local.csv", "replace:agreements.parquet",
             "unlink:journal.json"]  # fmt: skip
    assert [k for k in keys if k in steps] == steps, keys


# Kill points before the rebuild passed: the next command rolls the add back.
ROLLED_BACK = ["replace:journal.json", f"replace:{STORED}", "replace:registry_local.csv", "replace:agreements.parquet"]


@pytest.mark.parametrize("point", ROLLED_BACK[1:])  # before the journal nothing has changed yet
def test_kill_before_the_rebuild_passed_is_rolled_back_and_the_sheet_can_be_added_again(project, sheet, point):
    kill_before(project, sheet, point)
    proc = pc.cli(project, "add-sheet", str(sheet), "-q", cwd=sheet.parent)
    assert proc.returncode == 0, proc.stderr
    assert f"rolled back the interrupted add-sheet of {ORIGINAL}" in proc.stderr
    assert "built 5 snapshots" in proc.stdout
    assert local_state(project) == ([f"local/{STORED}"], [STORED])
    assert not (project / "data/raw/local/journal.json").exists()


def test_kill_after_the_rebuild_passed_keeps_the_sheet_and_remove_sheet_undoes_it(project, sheet):
    kill_before(project, sheet, "unlink:journal.json")
    proc = pc.cli(project, "build", "-q", cwd=sheet.parent)
    assert proc.returncode == 0, proc.stderr
    assert f"completed the interrupted add-sheet of {ORIGINAL}: its rebuild had passed" in proc.stderr
    assert "nothing to do" in proc.stdout  # the tables were already built with it
    assert local_state(project) == ([f"local/{STORED}"], [STORED])

    proc = pc.cli(project, "remove-sheet", ORIGINAL, "-q", cwd=sheet.parent)
    assert proc.returncode == 0, proc.stderr
    assert f"unregistered {ORIGINAL} (data/raw/local/{STORED}" in proc.stdout
    assert "built 4 snapshots" in proc.stdout
    assert local_state(project) == ([], [])
    proc = pc.cli(project, "add-sheet", str(sheet), "-q", cwd=sheet.parent)
    assert proc.returncode == 0, proc.stderr


def test_an_unreadable_journal_is_refused_in_one_line(project, sheet):
    (project / "data/raw/local").mkdir(parents=True, exist_ok=True)
    (project / "data/raw/local/journal.json").write_text("{not json")
    proc = pc.cli(project, "add-sheet", str(sheet), cwd=sheet.parent)
    pc.assert_one_error_line(proc, 3, "error: data/raw/local/journal.json: unreadable journal", "registry_local.csv")


# ----------------------------------------------------------------------------- remove-sheet


@pytest.fixture(scope="module")
def added(template, tmp_path_factory) -> Path:
    """A project with a local participating and a local pending sheet of the same day."""
    import shutil

    root = tmp_path_factory.mktemp("removal") / "project"
    shutil.copytree(template, root)
    inbox = root.parent / "downloads"
    inbox.mkdir()
    for path in (wb.p3(inbox / ORIGINAL, NEW_ROWS), wb.q2(inbox / "pendingAgencies10012025am.xlsx")):
        proc = pc.cli(root, "add-sheet", str(path), "-q", cwd=inbox)
        assert proc.returncode == 0, proc.stderr
    return root


@pytest.mark.parametrize(
    "spec, fragments",
    [
        ("2025-10-01", ["2 local sheets were published on 2025-10-01", STORED, "pending_2025-10-01_am.xlsx", "name the file"]),
        ("participating_2025-09-02.xlsx", ["ice_287g/participating_2025-09-02.xlsx is registered in data/raw/registry.csv",
                                           "only unregisters local sheets"]),
        ("2025-09-02", ["registered in data/raw/registry.csv", "only unregisters local sheets"]),
        ("nothing.xlsx", ["no local sheet by that name", ORIGINAL, "pendingAgencies10012025am.xlsx"]),
        ("2024-01-01", ["no local sheet published on 2024-01-01"]),
    ],
)  # fmt: skip
def test_remove_sheet_refusals(added, spec, fragments):
    before = local_state(added)
    proc = pc.cli(added, "remove-sheet", spec, cwd=added.parent)
    pc.assert_one_error_line(proc, 2, f"error: {spec}: ", *fragments)
    assert local_state(added) == before


def test_remove_sheet_by_stored_name_and_by_date(added):
    """Run after the refusals (module order): removes the pending sheet by its stored name, then
    the participating one by its date, now unambiguous."""
    proc = pc.cli(added, "remove-sheet", "pending_2025-10-01_am.xlsx", "-q", cwd=added.parent)
    assert proc.returncode == 0, proc.stderr
    assert local_state(added) == ([f"local/{STORED}"], [STORED])
    proc = pc.cli(added, "remove-sheet", "2025-10-01", "-q", cwd=added.parent)
    assert proc.returncode == 0, proc.stderr
    assert "built 4 snapshots" in proc.stdout
    assert local_state(added) == ([], [])
    assert not (added / "data/raw/local/journal.json").exists()
