"""Appending new sheets to a built archive panel gives exactly the tables a full build gives,
and anything an append cannot do exactly is a full build (increment.py)."""

from __future__ import annotations

import dataclasses
import shutil

import pandas as pd
import pytest
import test_panel
import workbooks as wb
from panel_tables import differences, read_all
from test_panel import A2, A, B, C, row, sheet

from analysis.store import archive, increment, panel
from analysis.ingest.snapshots import snapshot_id

project = test_panel.project  # the fixture: a throwaway project with the county tables built

ARCH = "ice_287g_archive/participating_2025-09-{:02d}_pm.xlsx"


def days(raw, lists, start=1):
    return [sheet(raw, ARCH.format(start + i), rows, f"2025-09-{start + i:02d}") for i, rows in enumerate(lists)]


def full_build(project, entries) -> dict:
    shutil.rmtree(project.archive)
    archive.build(project, entries, quiet=True)
    return read_all(project.archive)


def appended(project, entries, first: int) -> tuple[dict, list[str]]:
    """Build the first ``first`` sheets, then add the others one at a time; the tables and messages."""
    archive.build(project, entries[:first], quiet=True)
    messages = [archive.build(project, entries[: i + 1], quiet=True).message for i in range(first, len(entries))]
    return read_all(project.archive), messages


def test_appends_equal_a_full_build_through_removals_returns_and_resignings(project):
    # B drops off on day 3 and returns on day 4; A is re-signed on day 4; C ends on day 5; D is new on day 5.
    D = row("OHIO", "Delta Police Department", "Task Force Model", pd.Timestamp("2025-06-01").to_pydatetime())
    entries = days(project.raw, [[A, B, C], [A, B, C], [A, C], [A2, B, C], [A2, B, D]])
    got, messages = appended(project, entries, 2)
    assert all("appended 1 sheet(s)" in m for m in messages)
    assert differences(got, full_build(project, entries)) == []
    hist = got["history"].set_index(["unit", "id", "spell"])
    assert hist.loc[("agreement", "FL:alpha-county-sheriffs-office:TFM:2025-02-01", 1), "status"] == "re-signed"
    assert hist.loc[("agreement", "TX:beta-police-department:WSO:2025-03-01", 2), "first_seen"] == pd.Timestamp("2025-09-04")


def test_a_rename_reaches_built_rows_and_their_corrections(project):
    x, y = "Alpha County Sheriff's Office", "ALPHA COUNTY SHERIFFS OFFICE"  # one agency, two spellings
    cut = "Alpha County Sheriff's Offic"  # ICE's truncation: a correction whose 'after' is the display name
    rows = [[row("FLORIDA", name, "Task Force Model", pd.Timestamp("2025-02-01").to_pydatetime()), B] for name in (x, x, cut, y, y)]
    entries = days(project.raw, rows)
    got, messages = appended(project, entries, 3)
    assert all("appended" in m for m in messages)  # 2 x, 1 cut, 2 y: the tie goes to the latest, y
    assert set(got["agreements"].loc[got["agreements"]["state"] == "FL", "agency_name"]) == {y}
    fixes = got["corrections"].splitlines()
    assert any("agency_truncated" in f and y in f for f in fixes)
    assert differences(got, full_build(project, entries)) == []


@pytest.mark.parametrize(
    "case",
    ["older sheet", "changes an id", "registry row edited", "code changed"],
)
def test_what_an_append_cannot_do_exactly_is_a_full_build(project, case, monkeypatch, capsys):
    full_name, cut = "Alpha County Sheriff's Office", "Alpha County Sheriff's Offic"
    lists = [[A, B], [A, B, C], [A, C]]
    if case == "changes an id":  # the truncated name is its own agency until the full name appears
        lists = [[row("FLORIDA", cut, "Task Force Model", pd.Timestamp("2025-02-01").to_pydatetime())]] * 2
        lists.append([row("FLORIDA", full_name, "Task Force Model", pd.Timestamp("2025-02-01").to_pydatetime())])
    entries = days(project.raw, lists, start=2)
    built = entries[:2]
    new = entries[2]
    if case == "older sheet":
        new = sheet(project.raw, ARCH.format(1), [A, C], "2025-09-01")
    archive.build(project, built, quiet=True)
    if case == "registry row edited":
        built = [built[0], dataclasses.replace(built[1], notes="checked again")]
    if case == "code changed":
        monkeypatch.setattr(panel, "code_version", lambda: "another version")
    with pytest.raises(increment.NeedsRebuild):
        increment.append(project, [*built, new], built=panel.built_manifest(project), current=panel._manifest(project, [*built, new]))
    message = archive.build(project, [*built, new]).message
    assert "appended" not in message and "full build" in capsys.readouterr().err
    assert differences(read_all(project.archive), full_build(project, [*built, new])) == []


def test_same_bytes_under_a_new_name_only_add_a_date(project):
    entries = days(project.raw, [[A, B], [A, B, C]])
    archive.build(project, entries, quiet=True)
    repost = "ice_287g/participating_2025-09-05.xlsx"
    (project.raw / repost).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(project.raw / entries[-1].path, project.raw / repost)
    entries.append(wb.raw_entry(project.raw, repost, kind="participating", published="2025-09-05", layout="P3", rows=3))
    assert "appended 0 sheet(s)" in archive.build(project, entries, quiet=True).message
    got = read_all(project.archive)
    assert got["snapshots"]["also_live_on"].tolist() == ["", "2025-09-05"]
    assert differences(got, full_build(project, entries)) == []


def test_new_parts_keep_the_first_parts_schema(project):
    entries = days(project.raw, [[A, B], [A, B, C], [A2, B]])
    appended(project, entries, 1)
    import pyarrow.parquet as pq

    parts = sorted((project.archive / panel.AGREEMENTS).glob("part-*.parquet"))
    assert [p.name for p in parts] == [f"part-{i:05d}.parquet" for i in range(len(parts))]
    assert set(pq.read_table(parts[-1]).column("snapshot_id").to_pylist()) == {snapshot_id(entries[-1].path)}  # the append's own part
    schemas = [pq.read_schema(p) for p in parts]
    assert all(s.equals(schemas[0]) for s in schemas)


def test_an_append_stopped_at_any_step_leaves_the_built_panel_whole(project, monkeypatch):
    """Every file an append writes is committed by a rename; failing at each one in turn (and at
    the final exchange) must leave the panel as it was, and the next build must complete."""
    import os

    from analysis.core import atomic

    entries = days(project.raw, [[A, B, C], [A, B, C], [A2, C]])
    archive.build(project, entries[:2], quiet=True)
    saved = project.root.parent / "saved"
    shutil.copytree(project.archive, saved)
    before = read_all(project.archive)
    real_replace, real_exchange = os.replace, atomic._exchange
    calls: list[str] = []
    monkeypatch.setattr(os, "replace", lambda src, dst: calls.append(str(dst)) or real_replace(src, dst))
    archive.build(project, entries, quiet=True)  # an uninterrupted append, to count its steps
    steps = len(calls) + 1  # every rename, then the exchange of the staging folder
    assert len(calls) >= 9  # parse pack, new part, snapshots, history, corrections, qa, counts, context, manifest

    for stop in range(1, steps + 1):
        shutil.rmtree(project.archive)
        shutil.copytree(saved, project.archive)
        seen = [0]

        def replace(src, dst, stop=stop):
            seen[0] += 1
            if seen[0] == stop:
                raise OSError(f"stopped at rename {stop}")
            return real_replace(src, dst)

        def exchange(a, b, stop=stop):
            if stop == steps:
                raise OSError("stopped at the exchange")
            return real_exchange(a, b)

        monkeypatch.setattr(os, "replace", replace)
        monkeypatch.setattr(atomic, "_exchange", exchange)
        with pytest.raises(OSError):
            archive.build(project, entries, quiet=True)
        assert differences(read_all(project.archive), before) == [], stop
        assert not [p.name for p in project.archive.parent.iterdir() if p.name.startswith(".")], stop  # no staging left
    monkeypatch.setattr(os, "replace", real_replace)
    monkeypatch.setattr(atomic, "_exchange", real_exchange)
    assert "appended 1 sheet(s)" in archive.build(project, entries, quiet=True).message
    assert differences(read_all(project.archive), full_build(project, entries)) == []


def test_an_appended_sheet_drops_its_exact_duplicates_as_a_full_build_does(project):
    """Issue 14.2: the append path reads sheets through the same step (build.checked); the
    repeated row counts once, and the tables equal a full build's, corrections and counts included."""
    entries = days(project.raw, [[A, B, C], [A, B, C, B]])
    got, messages = appended(project, entries, 1)
    assert all("appended 1 sheet(s)" in m for m in messages)
    assert differences(got, full_build(project, entries)) == []
    sid = snapshot_id(entries[1].path)
    assert (got["agreements"]["snapshot_id"] == sid).sum() == 3
    assert got["snapshots"].set_index("snapshot_id").loc[sid, ["rows", "rows_duplicate"]].tolist() == [4, 1]
    assert got["corrections"].count(",row_exact_duplicate") == 1
