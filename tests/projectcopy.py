"""Throwaway projects for tests that write (add-sheet, recheck, export, build, the command line).

A project is a folder of data/ (and reports/, notebooks/, docs/ where a test needs them), served by
this checkout's package: every function takes the project explicitly (``paths.Project``) and the
command line takes ``--project DIR``, so a test builds a fixture project in a tmp folder and runs
``cli.main(["--project", root, ...])`` in this process (``cli``). A real process (``run``, through
the fork server of clirun.py) is kept for what only one gives: a kill or a signal midway, a lock held
by another pid, a hook that breaks the disk, a terminal. The real data/ and reports/ are never
written. The package itself is copied only by a test that edits it (``copy_package``).
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
from pathlib import Path

import clirun
import pytest

from analysis import cli as command_line
from analysis import paths
from analysis.ingest import registry

#: the checkout's own project: its registries and fetched raw files are read, never written
CHECKOUT = paths.project()
REAL_REGISTRY_CSV = CHECKOUT.registry_csv
REAL_ARCHIVE_REGISTRY_CSV = CHECKOUT.archive_registry_csv
CONTEXT_KINDS = ("trac_county", "trac_state", "census_state", "census_county", "place_county", "election_results",
                 "reference_figures")


def fixture_project(root: Path) -> paths.Project:
    """A project at ``root`` with the fixture sheets (tests/workbooks.py) registered and built."""
    import workbooks as wb

    from analysis.store import build

    project = paths.Project.at(root)
    with_dictionary(project)
    entries = wb.write_fixture_set(project.raw)
    registry.write_registry(entries, project.registry_csv)
    build.build(project, entries, quiet=True)
    return project


def with_dictionary(project: paths.Project) -> paths.Project:
    """The checkout's docs/data-dictionary.md copied into ``project`` (export bundles it with the tables)."""
    from analysis.store import export

    target = export.dictionary_path(project)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(export.dictionary_path(CHECKOUT), target)
    return project


def copy_project(template: Path | paths.Project, root: Path) -> paths.Project:
    """A private copy of a template project (its data/ and whatever else it holds) at ``root``."""
    source = template.root if isinstance(template, paths.Project) else Path(template)
    shutil.copytree(source, root, symlinks=True)
    return paths.Project.at(root)


def copy_package(root: Path) -> Path:
    """Copy analysis/ and docs/ under ``root``, for a test that edits the package's own code (see
    ``package_at``)."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(paths.PACKAGE_DIR, root / "analysis", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    if CHECKOUT.docs.is_dir():
        shutil.copytree(CHECKOUT.docs, root / "docs")
    return root


@contextlib.contextmanager
def package_at(copy: Path):
    """The package's own folder (``paths.PACKAGE_DIR``: the code the build versions hash, not a project
    path) pointed at the package copy under ``copy``, for a test that edits the code and asks which
    outputs that makes stale. The project is passed as always."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(paths, "PACKAGE_DIR", copy / "analysis")
        mp.setattr(paths, "RESOURCES_DIR", copy / "analysis" / "resources")
        yield copy / "analysis"


def link_fetched_raw(raw_dir: Path) -> None:
    """Hard-link this checkout's fetched raw files (never written, so links are safe) into
    ``raw_dir``, where a test's own fetch then only verifies their sha256 instead of copying 55 MB
    from the mirror. Locally added sheets are left out; a file fetch did not bring is fetched."""
    for src in sorted(CHECKOUT.raw.rglob("*")):
        dst = raw_dir / src.relative_to(CHECKOUT.raw)
        if src.is_dir() or dst.exists() or src.name.startswith(".") or CHECKOUT.local_raw in src.parents:
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(src, dst)
        except OSError:  # another file system
            shutil.copy2(src, dst)


def real_entries(mirror: Path, raw_dir: Path, *, ice: bool, context: bool, drop: tuple[str, ...] = ()) -> list:
    """Entries of the real pinned registry (ICE sheets and/or context files), copied from the mirror."""
    chosen = []
    for entry in registry.read_registry(REAL_REGISTRY_CSV):
        wanted = (ice and entry.is_ice_sheet) or (context and entry.kind in CONTEXT_KINDS)
        if not wanted or entry.path in drop:
            continue
        source = mirror / entry.path
        if not source.is_file():
            pytest.fail(f"{entry.path} missing from DATA_MIRROR {mirror}")
        target = raw_dir / entry.path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        chosen.append(entry)
    return chosen


def _root(project: Path | paths.Project) -> str:
    return str(project.root if isinstance(project, paths.Project) else project)


@contextlib.contextmanager
def _environment(env: dict[str, str] | None):
    """os.environ for one in-process command: without DATA_MIRROR (as a user's shell), with ``env``,
    and as it was afterwards (--max-rows and the like set variables for the run)."""
    saved = dict(os.environ)
    os.environ.pop("DATA_MIRROR", None)
    os.environ.update(env or {})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def cli(project: Path | paths.Project, *args: str, env: dict[str, str] | None = None,
        cwd: Path | None = None) -> subprocess.CompletedProcess:  # fmt: skip
    """``python -m analysis --project ROOT *args`` run in this process (``analysis.cli.main``), its output
    captured: exit code, stdout and stderr as a subprocess gives them. ``cwd``: where it runs."""
    argv = ["--project", _root(project), *map(str, args)]
    out, err = io.StringIO(), io.StringIO()
    with _environment(env), contextlib.chdir(cwd or Path.cwd()), contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(err):  # fmt: skip
        try:
            code = command_line.main(argv)
        except SystemExit as stop:  # argparse's usage errors and --help
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 2)
    return subprocess.CompletedProcess(["python", "-m", "analysis", *argv], code, out.getvalue(), err.getvalue())


def run(project: Path | paths.Project | None, args: list[str], *, cwd: Path, env: dict[str, str] | None = None,
        timeout: int = 300) -> subprocess.CompletedProcess:  # fmt: skip
    """``python -m analysis [--project ROOT] *args`` as a real process (a fork of clirun's server, this
    checkout's package), for what only a process gives: its own pid (the lock), the entry point."""
    base = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DATA_MIRROR")}
    base["MPLBACKEND"] = "Agg"
    base.update(env or {})
    argv = (["--project", _root(project)] if project is not None else []) + [str(a) for a in args]
    return clirun.run_analysis(argv, cwd=cwd, env=base, timeout=timeout)


def count_claim(path: Path, day: str, unit: str = "agreements", claimed: int = 1) -> Path:
    """A claims file of one claim: the count of ``unit`` on ``day`` is ``claimed``."""
    path.write_text(f'[[claim]]\nid = "count"\ndate = "{day}"\nmeasure = {{ unit = "{unit}" }}\nclaimed = {claimed}\n'
                    'comparison = "equal"\n')  # fmt: skip
    return path


def assert_one_error_line(proc: subprocess.CompletedProcess, code: int, *fragments: str) -> str:
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def reseal(folder: Path) -> None:
    """The build manifest's output digests as the folder's tables now are: a test replaced or removed
    tables a build wrote, which readers would otherwise refuse as edited since their build
    (analysis/store/integrity.py)."""
    import json

    from analysis.store import integrity

    manifest_path = folder / paths.BUILD_MANIFEST
    if manifest_path.is_file():
        manifest = {k: v for k, v in json.loads(manifest_path.read_text()).items() if k != "outputs"}
        manifest_path.write_text(json.dumps(integrity.record(folder, manifest), indent=1, sort_keys=True) + "\n")
