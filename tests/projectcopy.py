"""A throwaway copy of the project for tests that write (add-sheet, recheck, export, build).

Same pattern as tests/test_cli.py: the package is copied to a tmp dir, its data/ holds fixture or
real raw files, and either ``analysis.core.paths`` is monkeypatched to point at the copy (in-process)
or the CLI runs as a subprocess with PYTHONPATH at the copy. The real data/ and reports/ are never
written.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from pathlib import Path

import clirun
import pytest

from analysis import paths
from analysis.ingest import registry

# The real project's registries, captured at import, before any test points analysis.core.paths elsewhere.
REAL_REGISTRY_CSV = paths.REGISTRY_CSV
REAL_ARCHIVE_REGISTRY_CSV = paths.ARCHIVE_REGISTRY_CSV
CONTEXT_KINDS = ("trac_county", "trac_state", "census_state", "census_county", "place_county", "election_results",
                 "reference_figures")


def project_paths(root: Path) -> dict[str, Path]:
    data = root / "data"
    return {
        "PACKAGE_DIR": root / "analysis", "RESOURCES_DIR": root / "analysis" / "resources", "ROOT": root,
        "DATA_DIR": data, "RAW_DIR": data / "raw", "PROCESSED_DIR": data / "processed",
        "REPORTS_DIR": root / "reports", "NOTEBOOKS_DIR": root / "notebooks", "DOCS_DIR": root / "docs",
        "REGISTRY_CSV": data / "raw" / "registry.csv", "ARCHIVE_REGISTRY_CSV": data / "raw" / "registry_archive.csv",
        "LOCAL_RAW_DIR": data / "raw" / "local", "LOCAL_REGISTRY_CSV": data / "raw" / "local" / "registry_local.csv",
    }  # fmt: skip


def copy_package(root: Path) -> Path:
    """Copy analysis/ and docs/ (export reads the data dictionary) under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(paths.PACKAGE_DIR, root / "analysis", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    if paths.DOCS_DIR.is_dir():
        shutil.copytree(paths.DOCS_DIR, root / "docs")
    return root


def compile_package(root: Path) -> Path:
    """Byte-compile the copy's package once, for a template that is copied again for many tests:
    each command a test starts imports the package from its copy, and compiling ~100 modules there
    every time was a tenth of a second per command (more where PYTHONDONTWRITEBYTECODE is set).
    The .pyc files check the source's hash, so a test that edits a module runs its edit."""
    import compileall
    import py_compile

    compileall.compile_dir(root / "analysis", quiet=2, invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
    return root


@contextlib.contextmanager
def patched(root: Path):
    """analysis.core.paths (and the module-level copies other modules took) pointing at ``root``."""

    where = project_paths(root)
    with pytest.MonkeyPatch.context() as mp:
        for name, value in where.items():
            mp.setattr(paths, name, value)
        yield where


def fixture_project(root: Path) -> Path:
    """A package copy at ``root`` with the fixture sheets (tests/workbooks.py) registered and built."""
    import workbooks as wb

    from analysis.store import build

    compile_package(copy_package(root))
    with patched(root) as where:
        entries = wb.write_fixture_set(where["RAW_DIR"])
        registry.write_registry(entries, where["REGISTRY_CSV"])
        build.build(entries, quiet=True)
    return root


def link_fetched_raw(raw_dir: Path) -> None:
    """Hard-link this checkout's fetched raw files (never written, so links are safe) into
    ``raw_dir``, where a test's own fetch then only verifies their sha256 instead of copying 55 MB
    from the mirror. Locally added sheets are left out; a file fetch did not bring is fetched."""
    for src in sorted(paths.RAW_DIR.rglob("*")):
        dst = raw_dir / src.relative_to(paths.RAW_DIR)
        if src.is_dir() or dst.exists() or src.name.startswith(".") or paths.LOCAL_RAW_DIR in src.parents:
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


def run(args: list[str], *, cwd: Path, pythonpath: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DATA_MIRROR")}
    env["PYTHONPATH"] = str(pythonpath)
    env["MPLBACKEND"] = "Agg"
    return clirun.run_analysis(args, cwd=cwd, env=env, timeout=timeout)


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
