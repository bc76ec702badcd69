"""`python -m analysis reproduce` end to end on the real data, as `make reproduce` runs it.

It runs in a throwaway copy of the project (package, notebooks, registries) with PYTHONPATH
pointing at the copy, so the notebooks' kernel imports the copy too and nothing under the real
data/ or reports/ is touched. Every registry claim must come out with a verdict.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from analysis import claim_registry, paths
from analysis.verdicts import VERDICTS


@pytest.fixture(scope="module")
def reproduced(tmp_path_factory, mirror_dir):
    root = tmp_path_factory.mktemp("reproduce")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    shutil.copytree(paths.PACKAGE_DIR, root / "analysis", ignore=ignore)
    shutil.copytree(paths.NOTEBOOKS_DIR, root / "notebooks", ignore=ignore)
    (root / "data" / "raw").mkdir(parents=True)
    for registry_csv in (paths.REGISTRY_CSV, paths.ARCHIVE_REGISTRY_CSV):
        shutil.copy2(registry_csv, root / "data" / "raw" / registry_csv.name)
    elsewhere = root.parent / f"{root.name}-cwd"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(root), "DATA_MIRROR": str(mirror_dir), "MPLBACKEND": "Agg"}
    proc = subprocess.run([sys.executable, "-m", "analysis", "reproduce", "--quiet"], cwd=elsewhere, env=env,
                          capture_output=True, text=True, timeout=1200)  # fmt: skip
    return root, proc


@pytest.mark.integration
@pytest.mark.slow
def test_reproduce_succeeds_quietly(reproduced):
    _, proc = reproduced
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "claims checked" in proc.stdout
    assert "Executing" not in proc.stderr  # --quiet: no papermill progress bar


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
    from analysis import reproduce, results

    reports = tmp_path / "reports"
    (reports / "figures").mkdir(parents=True)
    (reports / "index.html").write_text("old report")
    (reports / "figures" / "a.png").write_bytes(b"old figure")
    monkeypatch.setattr(paths, "REPORTS_DIR", reports)
    monkeypatch.setattr(paths, "DATA_DIR", tmp_path / "data")  # its write lock, not the project's (lock.py)
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
        assert results.DEFAULT_RESULTS_DIR == stage / "results"
        (stage / "index.html").unlink()
        (stage / "index.html").write_text("new report")
    assert (reports / "index.html").read_text() == "new report"
    assert (reports / "figures" / "a.png").read_bytes() == b"old figure"  # carried over
    assert results.DEFAULT_RESULTS_DIR != stage / "results"
