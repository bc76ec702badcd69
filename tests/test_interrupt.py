"""kill -9 in the middle of a build (issue 6.5): outputs stay whole, the next run completes.

A throwaway project (fixture data and a completed build, as in test_cli.py) gets a changed
input, then ``python -m analysis --project DIR build --force`` runs in a process of its own (a kill
-9 is the point) that stops itself
at a chosen point: while reading the sheets, or just before the n-th rename of an output into
data/processed (the commit step of every atomic write). The test SIGKILLs it there, checks
data/processed, then runs ``build`` again and compares its outputs with those of an
uninterrupted build of the same inputs in another copy.

Hooks are installed on ``os.replace`` and ``zipfile.is_zipfile`` only, so they hold whatever
shape build.py takes, as long as outputs are committed by rename (atomic.py).
"""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

import clirun
import pytest
import workbooks as wb
from test_cli_errors import _p3, cli, make_template, replace_sheet, tree_hashes

# atomic.py's temp names: .<name>.<random>.tmp (files and folders), .<name>.<pid>.old (folder swap)
TEMP = re.compile(r"^\.(?P<target>[^/]+)\.[A-Za-z0-9_]+\.(tmp|old)$")


def top(name: str) -> str:
    return name.split("/", 1)[0]
NEW_PM = [*wb.PM_ROWS, ("GEORGIA", "Hall County Sheriff's Office", "County", "Hall", "Jail Enforcement Model",
                        __import__("datetime").datetime(2025, 8, 1), "link", "link pending")]  # fmt: skip

HOOK = r'''
import os, sys, time, zipfile
marker, point, root = sys.argv[1], sys.argv[2], sys.argv[3]
def stop(what):
    with open(marker, "w") as fh:
        fh.write(what)
    time.sleep(600)
if point == "read":
    real_is_zip, calls = zipfile.is_zipfile, [0]
    def is_zipfile(path):
        calls[0] += 1
        if calls[0] == 2:  # the second sheet is being opened
            stop(f"reading {path}")
        return real_is_zip(path)
    zipfile.is_zipfile = is_zipfile
else:
    real_replace, n = os.replace, [0]
    def replace(src, dst, *a, **k):
        if "processed" in str(dst):
            n[0] += 1
            if point == "log":
                with open(marker, "a") as fh:
                    fh.write(os.path.basename(str(dst)) + "\n")
            elif n[0] == int(point):
                stop(f"{src} -> {dst}")
        return real_replace(src, dst, *a, **k)
    os.replace = replace
from analysis.cli import main
sys.exit(main(["--project", root, "build", "-q", "--force"]))
'''


def change_input(root: Path) -> None:
    """A real change: the pm sheet gains an agreement (and the registry its new hash and rows)."""
    replace_sheet(root, wb.PM_REL, _p3(NEW_PM), rows=len(NEW_PM))


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return make_template(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="module")
def reference(template, tmp_path_factory) -> dict:
    """An uninterrupted (hooked, logging) build of the changed inputs: the hashes of its outputs
    and the order in which it renamed them into data/processed."""
    import shutil

    root = tmp_path_factory.mktemp("reference") / "project"
    shutil.copytree(template, root)
    change_input(root)
    log = root.parent / "renames.txt"
    proc = _hooked(root, log, "log")
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()[-3000:]
    renames = log.read_text().split()
    hashes = tree_hashes(root / "data" / "processed")
    assert {top(n) for n in hashes} <= set(renames), (renames, sorted(hashes))  # every output is committed by a rename
    return {"hashes": hashes, "renames": renames}


def _hooked(root: Path, marker: Path, point: str) -> clirun.Forked:
    hook = root.parent / "hook.py"
    hook.write_text(HOOK)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DATA_MIRROR")}
    return clirun.Forked([str(hook), str(marker), point, str(root)], cwd=root.parent, env=env)


def kill_at(root: Path, point: str) -> str:
    """Run the hooked build until it reaches ``point``, then SIGKILL it; returns where it stopped."""
    marker = root.parent / "stopped.txt"
    proc = _hooked(root, marker, point)
    deadline = time.monotonic() + 120
    while not marker.exists():
        if proc.poll() is not None:
            _, err = proc.communicate()
            pytest.fail(f"build ended (exit {proc.returncode}) before reaching {point}: {err.decode()[-2000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"build never reached {point}")
        time.sleep(0.01)
    time.sleep(0.05)  # let the marker's writer finish; the build is asleep
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    return marker.read_text()


@pytest.fixture
def project(template, tmp_path) -> Path:
    import shutil

    root = tmp_path / "project"
    shutil.copytree(template, root)
    change_input(root)
    return root


# Where to stop: while reading, or before the first, second, middle or last rename of an output.
POINTS = ["read", "first", "second", "middle", "last"]


def _resolve(point: str, renames: list[str]) -> str:
    n = len(renames)
    return {"read": "read", "first": "1", "second": "2", "middle": str((n + 1) // 2), "last": str(n)}[point]


@pytest.mark.parametrize("point", POINTS)
def test_kill_leaves_whole_files_and_the_next_run_completes(project, reference, point):
    ref, outputs = reference["hashes"], set(reference["hashes"])
    processed = project / "data" / "processed"
    before = tree_hashes(processed)
    assert set(before) == outputs
    assert before != ref  # the change really changes the outputs
    where = kill_at(project, _resolve(point, reference["renames"]))

    after = tree_hashes(processed)
    leftovers = sorted(set(after) - outputs)
    for name in leftovers:
        m = TEMP.match(top(name))
        assert m and m["target"] in {top(n) for n in outputs}, f"unexpected file {name} after kill at {where}"
    for name in outputs:
        # never half a file: each output is its previous bytes or the complete new ones
        assert after.get(name) in (before[name], ref[name]), f"{name} is partial after kill at {where}"
    # outputs are staged in a copy of data/processed/ that replaces it in one atomic exchange
    # (atomic.replace_dir): wherever the kill lands, the previous set is intact, byte for byte
    assert {n: after[n] for n in outputs} == before, f"previous outputs changed after kill at {where}"

    proc = cli(project, "build", "-q")  # no --force: the next run must see there is work to do
    assert proc.returncode == 0, proc.stderr
    assert "nothing to do" not in proc.stdout
    final = tree_hashes(processed)
    assert {n: final[n] for n in outputs} == ref
    # temp files the killed run left are ignored (never read as outputs) ...
    assert sorted(set(final) - outputs) == [n for n in leftovers if n in final]
    proc = cli(project, "query", "--as-of", "2025-09-02", "--format", "json")
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert '"total": 7' in proc.stdout
    # ... and a build after that says the outputs are current
    assert "nothing to do" in cli(project, "build", "-q").stdout


def test_kill_between_renames_keeps_the_previous_set(project):
    processed = project / "data" / "processed"
    before = tree_hashes(processed)
    kill_at(project, "2")
    after = tree_hashes(processed)
    assert {n: after.get(n) for n in before} == before
