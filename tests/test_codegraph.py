"""What a build depends on is read from the import graph (codegraph.py): editing a module the build
runs marks it stale, editing one it does not run leaves it current, wherever the modules live."""

from __future__ import annotations

from pathlib import Path

import projectcopy as pc
import pytest
import test_panel
import workbooks as wb
from test_panel import A, B, C, sheet

from analysis.core import codegraph, paths
from analysis.store import archive, buildinfo, context_tables, freshness, panel


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_every_import_form_is_followed_into_subpackages(tmp_path):
    """The forms a regrouping into subpackages uses (issue 16), relative and absolute."""
    root = _write(tmp_path / "analysis", {
        "__init__.py": "from . import unused\n",
        "unused.py": "",
        "cli.py": "def main():\n    from .store import build\n",
        "store/__init__.py": "",
        "store/build.py": ("from . import panel\nfrom .cache import pack\nfrom ..ingest import sheets\n"
                           "from ..clean.tidy import finalize\nimport analysis.errors\n"
                           "from analysis.clean import (\n    ids,\n)\nimport numpy as np\n"),
        "store/panel.py": "", "store/cache.py": "pack = 1\n",
        "ingest/__init__.py": "", "ingest/sheets.py": "from ..errors import SheetError\n",
        "clean/__init__.py": "", "clean/tidy.py": "", "clean/ids.py": "",
        "errors.py": '"""Not code:\nimport analysis.report\n"""\n',
        "report.py": "",
    })  # fmt: skip
    got = codegraph._closure(root, ("store.build",))
    assert got == ("clean", "clean.ids", "clean.tidy", "errors", "ingest", "ingest.sheets", "report", "store",
                   "store.build", "store.cache", "store.panel")  # fmt: skip
    # "report": a docstring line that reads as an import adds a module (never loses one)
    assert codegraph._closure(root, ("cli",)) == tuple(sorted(("cli", *got)))  # a function's import counts
    assert "unused" not in got  # the package's own __init__ (the notebook API) is not followed


def test_the_build_graph_has_the_modules_the_hand_list_missed():
    build = codegraph.modules(buildinfo.BUILD_ENTRY)
    assert {"core.table_spec", "ingest.census", "ingest.elections", "ingest.geocorr", "ingest.reference_figures",
            "ingest.trac"} <= set(build)  # fmt: skip
    archive = codegraph.modules(buildinfo.BUILD_ENTRY, panel.PANEL_ENTRY)
    assert {"store.archive", "store.panel", "store.increment", "store.columns", "store.csvsplice"} <= set(archive)
    assert "publish.report" not in build and "analyses.plots" not in build
    assert set(codegraph.modules(panel.READER_ENTRY)) >= {"ingest.sheets", "ingest.layouts", "core.errors"}
    assert "clean.tidy" not in codegraph.modules(panel.READER_ENTRY)  # the parse cache survives a cleaning change


def _edit(root: Path, module: str) -> None:
    path = root / "analysis" / f"{module.replace('.', '/')}.py"
    path.write_text(path.read_text() + "\n# an edit\n")


@pytest.mark.parametrize("module, stale", [("clean.tidy", True), ("clean.geography", True), ("core.table_spec", True), ("publish.report", False)])
def test_editing_a_module_marks_the_curated_build_stale_only_if_the_build_runs_it(tmp_path, module, stale):
    project = pc.fixture_project(tmp_path / "project")
    code = pc.copy_package(tmp_path / "code")
    with pc.package_at(code):
        assert freshness.stale_reason(project) is None
        _edit(code, module)
        assert (freshness.stale_reason(project) is not None) == stale, module


def test_editing_a_leaf_module_marks_the_archive_stale(tmp_path, monkeypatch):
    project = paths.Project.at(tmp_path / "project")
    code = pc.copy_package(tmp_path / "code")
    with pc.package_at(code):
        project.processed.mkdir(parents=True, exist_ok=True)  # the county tables the panel is placed from
        context_tables.build_all(project, wb.write_county_tables(project.raw), project.processed)
        entries = [sheet(project.raw, f"ice_287g_archive/participating_2025-09-0{d}_pm.xlsx", rows, f"2025-09-0{d}")
                   for d, rows in ((1, [A, B]), (2, [A, B, C]))]  # fmt: skip
        archive.build(project, entries, quiet=True)
        reader = panel.reader_version()
        assert panel.is_current(project, entries)
        _edit(code, "publish.report")
        assert panel.is_current(project, entries)
        _edit(code, "store.csvsplice")
        assert not panel.is_current(project, entries)
        assert panel.reader_version() == reader  # the parse cache is kept: csvsplice is not the reader
        _edit(code, "ingest.layouts")
        assert panel.reader_version() != reader


test_panel  # noqa: B018 (its helpers write the fixture sheets)
