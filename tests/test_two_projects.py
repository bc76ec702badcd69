"""Two projects in one process (issue 23): every function is given its project, and no cache keys
its entries by something that leaves the project out (a sheet id, a table name, a path relative
to data/), so two projects asked in turn each answer for themselves.

Project A holds the fixture sheets; project B the same, except that B's 2025-09-02 pm sheet lacks
Guam's agreement. Each door is asked A, B, A, B: a module constant or a cache keyed
without the project would hand the second project the first one's answer.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json

import projectcopy as pc
import pytest
import workbooks as wb

from analysis import cli, paths
from analysis.engine import measures, query, reader, series
from analysis.ingest import registry
from analysis.store import build

DAY = "2025-09-02"


@pytest.fixture(scope="module")
def two(tmp_path_factory) -> dict:
    a = pc.fixture_project(tmp_path_factory.mktemp("two") / "a")
    b = paths.Project.at(tmp_path_factory.mktemp("two") / "b")
    entries = wb.write_fixture_set(b.raw)
    rows = [r for r in wb.PM_ROWS if r[0] != "GUAM"]
    assert len(rows) == len(wb.PM_ROWS) - 1
    wb.p3(b.raw / wb.PM_REL, rows)
    entries = [wb.raw_entry(b.raw, e.path, kind=e.kind, published=e.published, edition=e.edition, layout=e.layout,
                            rows=len(rows)) if e.path == wb.PM_REL else e for e in entries]  # fmt: skip
    registry.write_registry(entries, b.registry_csv)
    build.build(b, entries, quiet=True)
    return {"a": (a, len(wb.PM_ROWS), ["GU"]), "b": (b, len(rows), [])}


def _turns(two: dict):
    """A, B, A, B: (project, its total on DAY, its territories)."""
    return [two[k] for k in ("a", "b", "a", "b")]


def _main(project: paths.Project, *argv: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(["--project", str(project.root), *argv]) == 0
    return out.getvalue()


def test_the_library_answers_for_the_project_it_is_given(two):
    for project, total, territories in _turns(two):
        counted = query.count(DAY, source=project)
        assert (counted["total"], counted["territories"]) == (total, territories), project.root.name
        panel = reader.open_panel(project)
        assert panel.project == project and panel.folder == project.processed
        assert measures.evaluate(measures.Measure(), DAY, measures.Panel.default(project)).value == total
        over_time = series.series(measures.Measure(), project)
        assert over_time["value"].iloc[-1] == total
        assert query.diff("2025-01-19", DAY, source=project)["to"]["agreements"] == total
    shared = {key[1] for key in reader._PANELS}  # the reader's shared panels: one per project, side by side
    assert {two["a"][0], two["b"][0]} <= shared


def test_the_command_line_answers_for_the_project_it_is_given(two, tmp_path):
    claims = pc.count_claim(tmp_path / "claims.toml", DAY, claimed=6)
    for i, (project, total, territories) in enumerate(_turns(two)):
        cached = json.loads(_main(project, "query", "--as-of", DAY, "--format", "json"))  # the counts cache
        assert (cached["total"], cached["territories"]) == (total, territories)
        tables = json.loads(_main(project, "query", "--as-of", DAY, "--by", "state,model", "--format", "json"))
        assert sum(g["count"] for g in tables["groups"]) == total  # the tables path
        evidence = tmp_path / f"evidence-{i}"
        (row,) = json.loads(_main(project, "check", str(claims), "--format", "json", "--evidence-dir", str(evidence)))
        assert row["reproduced"] == total and row["verdict"] == ("supported" if total == 6 else "not supported")
        assert row["evidence_rows"] == total  # the rows of this project's sheet
        (listed,) = list(csv.DictReader((evidence / "index.csv").open()))
        assert len((evidence / listed["evidence"]).read_text().splitlines()) == total + 1
