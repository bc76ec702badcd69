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
from test_cli import make_template

from analysis import paths, results
from analysis.publish import notebooks, reproduce, stamps


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    root = make_template(tmp_path_factory.mktemp("stamps"))
    shutil.copytree(paths.project().notebooks, root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return root


@pytest.fixture
def project(template, tmp_path, monkeypatch):
    root = tmp_path / "project"
    shutil.copytree(template, root)
    monkeypatch.delenv("DATA_MIRROR", raising=False)
    return root


@pytest.fixture
def executed(monkeypatch):
    """Names of the notebooks the stand-in executed (run_all runs two at a time: compare them sorted)."""
    ran = []

    def execute(project, name, out_dir, parameters=None, *, quiet=False, lane=0):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"# {name} {sorted((parameters or {}).items())}")])
        (out_dir / "notebooks").mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, out_dir / "notebooks" / f"{name}.ipynb")
        results.save(project, name, [results.Result(f"{name}_count", 1, "agreements", "2025-09-02", "fixture")], out_dir / "results")
        project.figures.mkdir(parents=True, exist_ok=True)  # the kernel writes figures into its own reports folder
        (project.figures / f"{name}.png").write_bytes(name.encode())
        ran.append(name)

    monkeypatch.setattr(notebooks, "execute", execute)
    return ran


def _reproduce(root, capsys, force: bool = False) -> str:
    assert reproduce.cmd_reproduce(argparse.Namespace(project=paths.Project.at(root), quiet=True, force=force)) == 0
    return capsys.readouterr().out


def _report(root) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted((root / "reports").rglob("*"))
            if p.is_file() and "/.stamps/" not in p.as_posix()}  # fmt: skip


def test_second_reproduce_reuses_every_notebook_and_the_report_is_byte_identical(project, executed, capsys):
    first = _reproduce(project, capsys)
    assert sorted(executed) == sorted(notebooks.ORDER)
    assert "growth: executed in" in first and "(no earlier run)" in first
    before = _report(project)
    assert "reports/index.html" in before and "reports/site/notebooks/growth.html" in before

    second = _reproduce(project, capsys)
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
    _reproduce(project, capsys)
    executed.clear()
    change(project)
    out = _reproduce(project, capsys)
    assert executed == ["pending"], out
    assert reason.removeprefix("reports/") in out


def test_new_data_executes_every_notebook(project, executed, capsys, monkeypatch):
    _reproduce(project, capsys)
    real = stamps.data_version
    monkeypatch.setattr(stamps, "data_version", lambda p: {**real(p), "archive": "a new sheet"})
    out = _reproduce(project, capsys)
    assert sorted(executed) == sorted(notebooks.ORDER * 2) and out.count("(data changed)") == len(notebooks.ORDER)


def test_force_executes_everything(project, executed, capsys):
    _reproduce(project, capsys)
    out = _reproduce(project, capsys, force=True)
    assert sorted(executed) == sorted(notebooks.ORDER * 2) and "(forced)" in out


def test_stamps_survive_the_staged_report(project, executed, capsys):
    """staged_reports copies reports/ without hidden entries; the stamps must come along."""
    _reproduce(project, capsys)
    from analysis.publish import site
    from analysis.publish.site import downloads

    assert sorted(p.stem for p in (project / "reports" / stamps.DIR).glob("*.json")) == sorted(
        [*notebooks.ORDER, "recheck", "maps", site.STAMP, site.DATA_STAMP, downloads.STAMP])
    with reproduce.staged_reports(paths.Project.at(project)) as stage:
        assert (stage.reports / stamps.DIR / "growth.json").is_file()


def test_reproduce_builds_the_archive_panel_before_the_notebooks(project, executed, capsys, monkeypatch):
    """Claims are judged on the archive panel (measures.Panel("archive")): reproduce builds it."""
    from analysis.store import archive, panel

    assert not paths.Project.at(project).archive.exists()
    order = []
    real_build = archive.build
    monkeypatch.setattr(archive, "build", lambda *a, **k: order.append("archive") or real_build(*a, **k))
    monkeypatch.setattr(notebooks, "run_all", lambda *a, **k: order.append("notebooks") or [])
    out = _reproduce(project, capsys)
    assert order == ["archive", "notebooks"]
    assert "archive panel:" in out and (paths.Project.at(project).archive / panel.MANIFEST).is_file()
    assert stamps.data_version(paths.Project.at(project))["archive"] is not None
