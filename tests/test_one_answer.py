"""One question, one answer: every door reads the same engine on the same sheet (real data).

The same count is asked, on days between two curated sheets (where a second reader with other
sheets or another rule would answer differently), of every door a user can take: the engine, the
library's query, the command line (its pandas-free counts cache and its tables path), a claims file
through `check`, the state map's data, the engine's series over every sheet, and `diff`. Each must
give the same number from the same sheet file.
"""

from __future__ import annotations

import contextlib
import io
import json

import projectcopy as pc
import pytest

from analysis import cli, paths
from analysis.engine import measures, query, reader, series
from analysis.factcheck import check

pytestmark = pytest.mark.integration

#: days between curated sheets: 2025-06-14 falls between the curated 2025-06-04 and 2025-06-16 sheets
#: (the archive has 2025-06-12 pm), 2025-11-24 between the curated 2025-11-18 and 2025-11-25 sheets
DAYS = ["2025-03-10", "2025-06-14", "2025-09-20", "2025-11-24", "2026-02-01"]


@pytest.fixture(scope="module")
def panel(missing_data):
    from analysis.store.freshness import archive_stale_reason

    reason = archive_stale_reason(paths.project())
    if reason:
        missing_data(reason)
    panel = reader.open_panel(paths.project())
    assert panel.source == "archive"  # the default reader, when the archive is built and current
    return panel


def _cli(*argv) -> dict:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(["--project", str(paths.checkout()), *argv]) == 0  # the checkout's project, named
    return json.loads(out.getvalue())


@pytest.mark.parametrize("day", DAYS)
@pytest.mark.parametrize("unit", ["agreements", "agencies"])
def test_every_door_gives_one_number_from_one_sheet(panel, day, unit, tmp_path):
    engine = measures.evaluate(measures.Measure(unit=unit), day, panel)
    answers = {"engine": (engine.value, engine.snapshot["file"])}

    library = query.count(day, unit=unit, source=panel.project)
    answers["query (library)"] = (library["total"], library["snapshot"]["file"])
    fast = _cli("query", "--as-of", day, "--unit", unit, "--format", "json")  # the counts cache
    answers["query (cache)"] = (fast["total"], fast["snapshot"]["file"])
    slow = _cli("query", "--as-of", day, "--unit", unit, "--state", ",".join(sorted(_states(panel, day))),
                "--format", "json")  # the tables path, every state named  # fmt: skip
    answers["query (tables)"] = (slow["total"], slow["snapshot"]["file"])
    assert fast["panel"] == slow["panel"] == library["panel"] == "archive"

    claims = pc.count_claim(tmp_path / "one.toml", day, unit)
    row = check.judge(check.load(claims), panel)[0]
    answers["check"] = (row["reproduced"], row["snapshot"]["file"])

    from analysis.publish import maps

    md = maps.map_data(day, level="state", unit=unit, panel=panel)
    answers["map"] = (md.total, md.snapshot["file"])

    over_time = series.series(measures.Measure(unit=unit), panel)
    at = over_time[over_time["snapshot_id"] == panel.in_force(day, "participating")["snapshot_id"]].iloc[0]
    answers["series"] = (at["value"], at["file"])

    d = query.diff(day, day, source=panel.project)
    answers["diff"] = (d["to"][unit], d["to"]["snapshot"]["file"])

    assert len(set(answers.values())) == 1, answers


def _states(panel, day) -> set[str]:
    rows = panel.rows(panel.in_force(day, "participating")["snapshot_id"])
    return set(rows["state"])


def test_the_default_reader_is_the_archive_and_says_so(panel):
    """After `make build` the default source is the archive panel; a day between curated sheets is
    answered from the archive's sheet (the curated set would have used an older one)."""
    day = "2025-06-14"
    archive = query.count(day, source=panel.project)
    curated = query.count(day, source=reader.open_panel(panel.project, "curated"))
    assert archive["panel"] == "archive" and curated["panel"] == "curated"
    assert archive["snapshot"]["published"] > curated["snapshot"]["published"]
