"""A second reproduce with nothing changed executes no notebook and writes a byte-identical report.

In-process on a throwaway project (test_cli.make_template: fixture sheets and a current build),
with papermill replaced by a stand-in that writes what a notebook writes (executed copy,
results, a figure), so the stamps and the report around them are the real code.
"""

from __future__ import annotations

import argparse
import shutil

import nbformat
import pytest
from test_cli import make_template, project_paths

from analysis import paths, results
from analysis.publish import notebooks, reproduce, stamps


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    root = make_template(tmp_path_factory.mktemp("stamps"))
    shutil.copytree(paths.NOTEBOOKS_DIR, root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return root


@pytest.fixture
def project(template, tmp_path, monkeypatch):
    root = tmp_path / "project"
    shutil.copytree(template, root)
    for name, value in project_paths(root).items():
        monkeypatch.setattr(paths, name, value)
    monkeypatch.setattr(paths, "NOTEBOOKS_DIR", root / "notebooks")
    monkeypatch.setattr(paths, "REPORTS_DIR", root / "reports")
    monkeypatch.delenv(paths.REPORTS_ENV, raising=False)
    monkeypatch.delenv("DATA_MIRROR", raising=False)
    yield root


@pytest.fixture
def executed(monkeypatch):
    """Names of the notebooks the stand-in executed (run_all runs two at a time: compare them sorted)."""
    ran = []

    def execute(name, out_dir, parameters=None, *, quiet=False, reports_dir=None, lane=0):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"# {name} {sorted((parameters or {}).items())}")])
        (out_dir / "notebooks").mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, out_dir / "notebooks" / f"{name}.ipynb")
        results.save(name, [results.Result(f"{name}_count", 1, "agreements", "2025-09-02", "fixture")], out_dir / "results")
        (reports_dir / "figures").mkdir(parents=True, exist_ok=True)  # the kernel writes figures into its own reports folder
        (reports_dir / "figures" / f"{name}.png").write_bytes(name.encode())
        ran.append(name)

    monkeypatch.setattr(notebooks, "execute", execute)
    return ran


def _reproduce(capsys, force: bool = False) -> str:
    assert reproduce.cmd_reproduce(argparse.Namespace(quiet=True, force=force)) == 0
    return capsys.readouterr().out


def _report(root) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted((root / "reports").rglob("*"))
            if p.is_file() and "/.stamps/" not in p.as_posix()}  # fmt: skip


def test_second_reproduce_reuses_every_notebook_and_the_report_is_byte_identical(project, executed, capsys):
    first = _reproduce(capsys)
    assert sorted(executed) == sorted(notebooks.ORDER)
    assert "growth: executed in" in first and "(no earlier run)" in first
    before = _report(project)
    assert "reports/index.html" in before and "reports/site/notebooks/growth.html" in before

    second = _reproduce(capsys)
    assert sorted(executed) == sorted(notebooks.ORDER)  # nothing executed again
    for name in notebooks.ORDER:
        assert f"{name}: inputs unchanged, not re-executed" in second
    assert _report(project) == before


@pytest.mark.parametrize("change, reason", [
    (lambda root: (root / "notebooks" / "pending.ipynb").write_bytes((root / "notebooks" / "pending.ipynb").read_bytes() + b"\n"),
     "notebook changed"),
    (lambda root: (root / "reports" / "figures" / "pending.png").unlink(), "reports/figures/pending.png is missing or was edited"),
    (lambda root: (root / "reports" / "results" / "pending.json").write_text("{}"), "reports/results/pending.json"),
])  # fmt: skip
def test_a_changed_input_or_output_executes_again(project, executed, capsys, change, reason):
    _reproduce(capsys)
    executed.clear()
    change(project)
    out = _reproduce(capsys)
    assert executed == ["pending"], out
    assert reason.removeprefix("reports/") in out


def test_new_data_executes_every_notebook(project, executed, capsys, monkeypatch):
    _reproduce(capsys)
    real = stamps.data_version
    monkeypatch.setattr(stamps, "data_version", lambda: {**real(), "archive": "a new sheet"})
    out = _reproduce(capsys)
    assert sorted(executed) == sorted(notebooks.ORDER * 2) and out.count("(data changed)") == len(notebooks.ORDER)


def test_force_executes_everything(project, executed, capsys):
    _reproduce(capsys)
    out = _reproduce(capsys, force=True)
    assert sorted(executed) == sorted(notebooks.ORDER * 2) and "(forced)" in out


def test_stamps_survive_the_staged_report(project, executed, capsys):
    """staged_reports copies reports/ without hidden entries; the stamps must come along."""
    _reproduce(capsys)
    from analysis.publish import site
    from analysis.publish.site import downloads

    assert sorted(p.stem for p in (project / "reports" / stamps.DIR).glob("*.json")) == sorted(
        [*notebooks.ORDER, "recheck", "maps", site.STAMP, site.DATA_STAMP, downloads.STAMP])
    with reproduce.staged_reports() as stage:
        assert (stage / stamps.DIR / "growth.json").is_file()


def test_reproduce_builds_the_archive_panel_before_the_notebooks(project, executed, capsys, monkeypatch):
    """Claims are judged on the archive panel (measures.Panel("archive")): reproduce builds it."""
    from analysis.store import archive, panel

    assert not panel.archive_dir().exists()
    order = []
    real_build = archive.build
    monkeypatch.setattr(archive, "build", lambda *a, **k: order.append("archive") or real_build(*a, **k))
    monkeypatch.setattr(notebooks, "run_all", lambda **k: order.append("notebooks") or [])
    out = _reproduce(capsys)
    assert order == ["archive", "notebooks"]
    assert "archive panel:" in out and (panel.archive_dir() / panel.MANIFEST).is_file()
    assert stamps.data_version()["archive"] is not None
