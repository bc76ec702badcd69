"""`python -m analysis reproduce` end to end on the real data, as `make reproduce` runs it.

It runs in a throwaway copy of the project (package, notebooks, registries) with PYTHONPATH
pointing at the copy, so the notebooks' kernel imports the copy too and nothing under the real
data/ or reports/ is touched. Every registry claim must come out with a verdict.
"""

from __future__ import annotations

import json
from pathlib import Path
import os
import shutil
import subprocess
import sys

import pytest
from projectcopy import compile_package, link_fetched_raw

from analysis import claim_registry, paths
from analysis.factcheck.verdicts import VERDICTS


@pytest.fixture(scope="module")
def reproduced(tmp_path_factory, mirror_dir):
    root = tmp_path_factory.mktemp("reproduce")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    shutil.copytree(paths.PACKAGE_DIR, root / "analysis", ignore=ignore)
    compile_package(root)  # the command and six kernels import it
    shutil.copytree(paths.NOTEBOOKS_DIR, root / "notebooks", ignore=ignore)
    (root / "data" / "raw").mkdir(parents=True)
    for registry_csv in (paths.REGISTRY_CSV, paths.ARCHIVE_REGISTRY_CSV):
        shutil.copy2(registry_csv, root / "data" / "raw" / registry_csv.name)
    _seed_with_this_checkouts_build(root / "data")
    elsewhere = root.parent / f"{root.name}-cwd"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(root), "DATA_MIRROR": str(mirror_dir), "MPLBACKEND": "Agg"}
    proc = subprocess.run([sys.executable, "-m", "analysis", "reproduce", "--quiet"], cwd=elsewhere, env=env,
                          capture_output=True, text=True, timeout=1200)  # fmt: skip
    return root, proc


def _seed_with_this_checkouts_build(data: Path) -> None:
    """Start the copy from this checkout's fetched raw files and built tables, when there are any:
    `make test` fetched and built them just before with the same code, and the builds have tests of
    their own. reproduce still verifies every raw file's sha256 and rebuilds whatever is stale, so
    the run checks what only reproduce does (notebooks, claims, report) instead of spending half a
    minute rebuilding the same panel."""
    link_fetched_raw(data / "raw")
    if (paths.PROCESSED_DIR / paths.BUILD_MANIFEST).is_file():
        shutil.copytree(paths.PROCESSED_DIR, data / "processed", ignore=shutil.ignore_patterns(".*"))


@pytest.mark.integration
@pytest.mark.slow
def test_reproduce_succeeds_quietly(reproduced):
    _, proc = reproduced
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "claims checked" in proc.stdout
    assert "Executing" not in proc.stderr  # --quiet: no papermill progress bar
    assert "running over TCP" not in proc.stderr  # --quiet: no kernel start-up warnings either


@pytest.mark.integration
@pytest.mark.slow
def test_executed_notebooks_do_not_name_the_staging_folder(reproduced):
    root, proc = reproduced
    assert proc.returncode == 0, proc.stderr[-3000:]
    for nb in (root / "reports" / "notebooks").glob("*.ipynb"):
        text = nb.read_text()
        assert ".reports." not in text and "/.run-" not in text and str(root) not in text, nb.name


@pytest.mark.integration
@pytest.mark.slow
def test_every_registry_claim_has_a_verdict(reproduced):
    root, proc = reproduced
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = json.loads((root / "reports" / "claims.json").read_text())
    by_id = {r["id"]: r for r in rows}
    assert sorted(by_id) == sorted(c.id for c in claim_registry.load_claims())
    for claim_id, row in by_id.items():
        assert row["verdict"] in VERDICTS, claim_id
        if row["verdict"] != "not checkable":
            assert row["reproduced_value"] is not None, claim_id
            assert row["snapshot"], claim_id


@pytest.mark.integration
@pytest.mark.slow
def test_report_links_resolve(reproduced):
    root, proc = reproduced
    assert proc.returncode == 0, proc.stderr[-3000:]
    reports = root / "reports"
    index = (reports / "index.html").read_text()
    for name in ("growth", "concentration", "pending", "courts", "reimbursement"):
        assert f"notebooks/{name}.html" in index
        assert (reports / "notebooks" / f"{name}.html").is_file()
        assert (reports / "notebooks" / f"{name}.ipynb").is_file()
    import re

    for src in re.findall(r"src='([^']+)'", index):
        assert (reports / src).is_file(), src
    assert str(root) not in index  # no absolute paths in the report


@pytest.mark.integration
@pytest.mark.slow
def test_inferred_date_claims_show_their_neighbours(reproduced):
    root, proc = reproduced
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = {r["id"]: r for r in json.loads((root / "reports" / "claims.json").read_text())}
    for claim in claim_registry.load_claims():
        if not claim.sensitivity:
            continue
        sens = rows[claim.id]["sensitivity"]
        assert [s["which"] for s in sens].count("in force") == 1, claim.id
        assert len(sens) >= 2, claim.id
        assert all(s["verdict"] in VERDICTS for s in sens), claim.id


def _tree(root) -> dict:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_failed_run_leaves_the_previous_report_whole(tmp_path, monkeypatch):
    """Notebooks, figures, results and index.html are written into a staging copy of reports/;
    an error (or a kill) before the end leaves reports/ exactly as it was."""
    from analysis import results
    from analysis.publish import reproduce

    reports = tmp_path / "reports"
    (reports / "figures").mkdir(parents=True)
    (reports / "index.html").write_text("old report")
    (reports / "figures" / "a.png").write_bytes(b"old figure")
    monkeypatch.setattr(paths, "REPORTS_DIR", reports)
    monkeypatch.setattr(paths, "PROCESSED_DIR", tmp_path / "data" / "processed")  # its write lock beside it, not the project's (lock.py)
    monkeypatch.delenv(paths.REPORTS_ENV, raising=False)
    before = _tree(reports)
    with pytest.raises(RuntimeError):
        with reproduce.staged_reports() as stage:
            (stage / "figures" / "a.png").write_bytes(b"half of a new run")  # a copy: editing it is safe
            (stage / "index.html").unlink()
            (stage / "index.html").write_text("new report")
            raise RuntimeError("a notebook failed")
    assert _tree(reports) == before
    assert paths.REPORTS_DIR == reports and paths.REPORTS_ENV not in __import__("os").environ
    assert not list(tmp_path.glob(".reports.*"))

    with reproduce.staged_reports() as stage:
        assert results.results_dir() == reports / "results"  # the stage is passed down, nothing is switched
        (stage / "index.html").unlink()
        (stage / "index.html").write_text("new report")
    assert (reports / "index.html").read_text() == "new report"
    assert (reports / "figures" / "a.png").read_bytes() == b"old figure"  # carried over


def _fake_papermill(monkeypatch, calls: list) -> None:
    """papermill.execute_notebook as far as these tests need it: it records its arguments and writes
    what papermill writes that names paths (its metadata, the parameters cell, a printed path)."""
    import papermill as pm

    def execute_notebook(input_path, output_path, parameters=None, **kw):
        calls.append(kw)
        out_dir = parameters["output_dir"]
        nb = {"cells": [{"cell_type": "code", "source": f"output_dir = \"{out_dir}\"\n",
                         "outputs": [{"data": {"text/plain": f"PosixPath('{out_dir}/growth.json')"}}]}],
              "metadata": {"papermill": {"input_path": input_path, "output_path": output_path,
                                         "parameters": {"output_dir": out_dir}}}}  # fmt: skip
        Path(output_path).write_text(json.dumps(nb, indent=1))

    monkeypatch.setattr(pm, "execute_notebook", execute_notebook)


def test_executed_notebooks_name_the_report_not_the_staging_folder(tmp_path, monkeypatch):
    from analysis.publish import notebooks

    calls: list = []
    _fake_papermill(monkeypatch, calls)
    stage = tmp_path / ".reports.x1y2.tmp" / ".run-abc"
    out = notebooks.execute("growth", stage, quiet=True)
    text = out.read_text()
    assert ".reports.x1y2.tmp" not in text and ".run-abc" not in text and str(paths.ROOT) not in text
    nb = json.loads(text)
    meta = nb["metadata"]["papermill"]
    assert meta["input_path"] == "notebooks/growth.ipynb"
    assert meta["output_path"] == "reports/notebooks/growth.ipynb"
    assert meta["parameters"]["output_dir"] == "reports/results"
    assert nb["cells"][0]["source"] == 'output_dir = "reports/results"\n'
    assert nb["cells"][0]["outputs"][0]["data"]["text/plain"] == "PosixPath('reports/results/growth.json')"


def test_quiet_runs_keep_the_kernels_warnings_out_of_the_log(tmp_path, monkeypatch):
    """ipykernel warns on every start that it runs over TCP without encryption: --quiet drops its
    log below errors; without --quiet the kernel logs as it always did."""
    from analysis.publish import notebooks

    calls: list = []
    _fake_papermill(monkeypatch, calls)
    notebooks.execute("growth", tmp_path / "a", quiet=True)
    notebooks.execute("growth", tmp_path / "b", quiet=False)
    assert calls[0]["extra_arguments"] == notebooks.QUIET_KERNEL
    assert calls[1].get("extra_arguments", []) == []
