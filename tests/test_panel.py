"""The archive panel on fixtures: one snapshot per distinct file, history spells, re-signings,
the parse cache and incremental builds, day-resolution queries with staleness, the counts cache."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

import workbooks as wb
from analysis import paths
from analysis.store import archive, context_tables, counts_cache, history, panel
from analysis.engine import asof, query, reader
from analysis.core.errors import StaleOutputError, UsageError

D = dt.datetime


def sheet(raw, rel, rows, published, edition="pm", layout="P3", kind="participating", set_name="ice_287g_archive"):
    """Each day's sheet gets its date in COUNTY so equal lists are still distinct files (same bytes dedupe)."""
    rows = [(*r[:3], f"{r[3]} {published}", *r[4:]) for r in rows]
    wb.BUILDERS[layout](raw / rel, rows)
    return wb.raw_entry(raw, rel, kind=kind, published=published, edition=edition, layout=layout, rows=len(rows),
                        set_name=set_name)  # fmt: skip


def row(state, agency, model, signed):
    return (state, agency, "County", "X", model, signed, "link", "link")


A = row("FLORIDA", "Alpha County Sheriff's Office", "Task Force Model", D(2025, 2, 1))
A2 = row("FLORIDA", "Alpha County Sheriff's Office", "Task Force Model", D(2025, 8, 1))  # re-signed
B = row("TEXAS", "Beta Police Department", "Warrant Service Officer", D(2025, 3, 1))
C = row("GEORGIA", "Gamma County Sheriff's Office", "Jail Enforcement Model", D(2025, 4, 1))


@pytest.fixture
def project(tmp_path) -> paths.Project:
    project = paths.Project.at(tmp_path)
    project.processed.mkdir(parents=True)  # the county tables `build` writes, which the panel is placed from
    context_tables.build_all(project, wb.write_county_tables(project.raw), project.processed)
    return project


def five_sheets(raw):
    """A, B, C listed; B drops off on day 3 and returns on day 4; A is re-signed on day 4."""
    arch = "ice_287g_archive/participating_2025-09-0{}_pm.xlsx"
    return [
        sheet(raw, arch.format(1), [A, B, C], "2025-09-01"),
        sheet(raw, arch.format(2), [A, B, C], "2025-09-02"),
        sheet(raw, arch.format(3), [A, C], "2025-09-03"),
        sheet(raw, arch.format(4), [A2, B, C], "2025-09-04"),
        sheet(raw, arch.format(5), [A2, B], "2025-09-05"),
    ]


def test_same_bytes_are_one_snapshot_dated_earliest(project):
    entries = five_sheets(project.raw)
    curated = "ice_287g/participating_2025-09-09.xlsx"
    (project.raw / curated).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(project.raw / entries[-1].path, project.raw / curated)
    entries.append(wb.raw_entry(project.raw, curated, kind="participating", published="2025-09-09", layout="P3", rows=2))
    items = panel.distinct_sheets(entries)
    assert len(items) == 5
    last = [d for d in items if d.entry.sha256 == entries[-1].sha256][0]
    assert last.entry.path.endswith("2025-09-05_pm.xlsx")  # earliest date names the snapshot
    assert last.also_live_on == ["2025-09-09"] and curated in last.names

    archive.build(project, entries, quiet=True)
    snaps = pd.read_parquet(project.archive / "snapshots.parquet")
    assert len(snaps) == 5
    assert snaps.set_index("snapshot_id")["confirmed_until"].astype(str).iloc[-1] == "2025-09-09"
    # The curated re-post keeps the sheet in force until 2025-09-09, the last day it was seen live.
    info = query.count("2025-09-09", source=reader.open_panel(project, "archive"))["snapshot"]
    assert info["file"].endswith("2025-09-05_pm.xlsx") and info["last_seen_live"] == "2025-09-09"
    assert info["days_before_as_of"] == 0 and "stale_note" not in info
    assert query.count("2025-09-07", source=reader.open_panel(project, "archive"))["snapshot"]["days_before_as_of"] == 2
    with pytest.raises(UsageError, match="after the newest participating sheet"):  # past its confirmed_until: no data yet
        query.count("2025-09-10", source=reader.open_panel(project, "archive"))


def test_history_spells_removals_and_resigning(project):
    entries = five_sheets(project.raw)
    archive.build(project, entries, quiet=True)
    hist = pd.read_parquet(project.archive / "history.parquet")
    agr = hist[hist["unit"] == "agreement"].set_index(["id", "spell"])
    b = "TX:beta-police-department:WSO:2025-03-01"
    assert agr.loc[(b, 1), "status"] == "removed"
    assert agr.loc[(b, 1), "last_seen"] == pd.Timestamp("2025-09-02")
    assert agr.loc[(b, 1), "removed_by"] == pd.Timestamp("2025-09-03") and agr.loc[(b, 1), "window_days"] == 1
    assert agr.loc[(b, 2), "status"] == "active" and agr.loc[(b, 2), "first_seen"] == pd.Timestamp("2025-09-04")
    a1, a2 = "FL:alpha-county-sheriffs-office:TFM:2025-02-01", "FL:alpha-county-sheriffs-office:TFM:2025-08-01"
    assert agr.loc[(a1, 1), "status"] == "re-signed" and agr.loc[(a1, 1), "replaced_by"] == a2
    assert agr.loc[(a2, 1), "replaces"] == a1
    c = "GA:gamma-county-sheriffs-office:JEM:2025-04-01"
    assert agr.loc[(c, 1), "status"] == "removed" and agr.loc[(c, 1), "removed_by"] == pd.Timestamp("2025-09-05")
    # Removals counted once each: B's gap and C's end, not A's re-signing.
    assert int(hist[(hist["unit"] == "agreement") & (hist["status"] == "removed")].shape[0]) == 2
    agencies = hist[hist["unit"] == "agency"].set_index(["id", "spell"])
    assert agencies.loc[("FL:alpha-county-sheriffs-office", 1), "n_snapshots"] == 5  # the agency never left
    qa = pd.read_csv(project.archive / "qa.csv")
    assert qa[qa["check"].str.startswith("history")]["status"].eq("pass").all()


def test_listed_on_matches_snapshot_counts(project):
    archive.build(project, five_sheets(project.raw), quiet=True)
    hist = pd.read_parquet(project.archive / "history.parquet")
    snaps = pd.read_parquet(project.archive / "snapshots.parquet")
    assert history.listed_on(hist, snaps, "agreement").sort_index().tolist() == [3, 3, 2, 3, 2]
    assert history.listed_on(hist, snaps, "agency").sort_index().tolist() == [3, 3, 2, 3, 2]


def test_the_statistics_flows_add_up_on_a_built_archive(project):
    """flows.flow_table on a built panel: every interval's net change is additions minus removals
    (re-signings both ways), and the stock it carries is the history's count on each week's last sheet."""
    from analysis.analyses import flows
    from analysis.engine import measures

    archive.build(project, five_sheets(project.raw), quiet=True)
    p = measures.Panel(project, "archive")
    listed = history.listed_on(p.history(), pd.read_parquet(project.archive / "snapshots.parquet"), "agreement")
    for unit in ("agreements", "agencies"):
        f = flows.flow_table(p.history(), p.snapshots, unit, freq="D")  # the fixture's sheets fall in one week
        assert len(f) >= 2 and (f["net"] == f["added"] + f["resigned_in"] - f["removed"] - f["resigned_out"]).all()
        assert (f["stock_end"].to_numpy()[:-1] == f["stock_start"].to_numpy()[1:]).all()
    f = flows.flow_table(p.history(), p.snapshots, "agreements", freq="D")
    assert int(f["stock_end"].iloc[-1]) == int(listed.sort_index().iloc[-1])


def test_history_check_fails_when_a_count_disagrees(project):
    archive.build(project, five_sheets(project.raw), quiet=True)
    out = project.archive
    hist, snaps = pd.read_parquet(out / "history.parquet"), pd.read_parquet(out / "snapshots.parquet")
    agreements = pd.read_parquet(out / "agreements.parquet")
    broken = hist.drop(index=hist.index[(hist["unit"] == "agreement")][0])
    checks = {r["check"]: r["status"] for r in history.checks(broken, agreements, snaps)}
    assert checks["history agreements listed = snapshot agreement count"] == "fail"


def test_warm_build_skips_and_new_sheet_is_parsed_alone(project, monkeypatch):
    entries = five_sheets(project.raw)
    archive.build(project, entries, quiet=True)
    assert archive.build(project, entries, quiet=True).skipped
    parsed = []
    real = panel._parse
    monkeypatch.setattr(panel, "_parse", lambda path, entry: parsed.append(entry.path) or real(path, entry))
    extra = sheet(project.raw, "ice_287g_archive/participating_2025-09-06_pm.xlsx", [A2, B, C], "2025-09-06")
    result = archive.build(project, [*entries, extra], quiet=True)
    assert not result.skipped and parsed == [extra.path]  # the other five came from the cache
    assert len(pd.read_parquet(project.archive / "snapshots.parquet")) == 6


def test_counts_cache_answers_like_the_tables(project):
    archive.build(project, five_sheets(project.raw), quiet=True)
    cache = project.archive / counts_cache.FILE
    rule = asof.in_force_position
    for day in ("2025-09-01", "2025-09-03", "2025-09-04", "2025-09-05"):
        for unit in ("agreements", "agencies"):
            for by in (None, "state", "model"):
                slow = query.count(day, unit=unit, by=by, source=reader.open_panel(project, "archive"))
                slow.pop("panel")  # the command adds the panel it read
                fast = counts_cache.count(cache, asof.parse_date(day), "participating", unit, by, asof.snapshot_info, rule)
                assert fast == slow, (day, unit, by)
    # state x model is not cached: the CLI answers it from the tables
    assert counts_cache.count(cache, asof.parse_date("2025-09-04"), "participating", "agreements", "state,model",
                              asof.snapshot_info, rule) is None  # fmt: skip
    for day in (dt.date(2020, 1, 1), dt.date(2025, 9, 30)):  # the same rule refuses the same days, in the same words
        with pytest.raises(UsageError) as slow:
            query.count(day, source=reader.open_panel(project, "archive"))
        with pytest.raises(UsageError) as fast:
            counts_cache.count(cache, day, "participating", "agreements", None, asof.snapshot_info, rule)
        assert str(fast.value) == str(slow.value)


def test_diff_at_day_resolution(project):
    archive.build(project, five_sheets(project.raw), quiet=True)
    d = query.diff("2025-09-02", "2025-09-03", source=reader.open_panel(project, "archive"))
    with pytest.raises(StaleOutputError):  # asking the archive switched nothing: the default is still the curated set
        query.count("2025-09-03", source=project)
    assert [r["agreement_id"] for r in d["agreements_removed"]] == ["TX:beta-police-department:WSO:2025-03-01"]
    assert d["from"]["snapshot"]["published"] == "2025-09-02" and d["to"]["snapshot"]["published"] == "2025-09-03"


def test_no_pickle_in_the_package():
    """Caches under data/processed/ are data only: loading a pickle there would run whatever code
    a writer of that folder put in it, as the user who builds next."""
    import re

    loader = re.compile(r"\bimport (pickle|joblib|dill|cloudpickle|shelve)\b|\bfrom (pickle|joblib|dill|cloudpickle|shelve) import"
                        r"|\bpickle\.loads?\(|read_pickle|allow_pickle\s*=\s*True|\bmarshal\.loads?\(")  # fmt: skip
    found = [f"{p.name}:{n}: {line.strip()}" for p in sorted(paths.PACKAGE_DIR.rglob("*.py"))
             for n, line in enumerate(p.read_text().splitlines(), 1) if loader.search(line)]  # fmt: skip
    assert not found, found


def test_parse_cache_and_append_context_are_data_with_a_digest(project):
    entries = five_sheets(project.raw)
    archive.build(project, entries, quiet=True)
    packs = list(panel._cache_root(project).glob("pack-*"))
    assert sorted(p.suffix for p in packs) == [".arrow", ".sha256"]
    assert (project.archive / panel.CONTEXT).suffix == ".json"
    assert not list(project.archive.rglob("*.pickle"))
    pack = next(p for p in packs if p.suffix == ".arrow")
    assert panel.read_pack(pack.read_bytes()) == panel.parse(project, panel.distinct_sheets(entries), quiet=True)


def test_a_tampered_parse_cache_is_parsed_again_not_loaded(project, monkeypatch, capsys):
    entries = five_sheets(project.raw)
    archive.build(project, entries, quiet=True)
    pack = next(panel._cache_root(project).glob("pack-*.arrow"))
    pack.write_bytes(pack.read_bytes().replace(b"Alpha County", b"Omega County"))  # same length, other bytes
    parsed = []
    real = panel._parse
    monkeypatch.setattr(panel, "_parse", lambda path, entry: parsed.append(entry.path) or real(path, entry))
    archive.build(project, entries, quiet=True, force=True)
    assert len(parsed) == 5  # every sheet parsed again from its file
    err = capsys.readouterr().err
    assert "pack-" in err and "does not match its sha256" in err and "parsed again" in err and len(err.splitlines()) == 1
    agreements = pd.read_parquet(project.archive / "agreements.parquet")
    assert not agreements["agency_name"].str.contains("Omega").any()
    assert panel._load_cache(project).keys() == {e.sha256 for e in entries}  # rebuilt, and it verifies now


def test_a_tampered_append_context_means_a_full_build(project, capsys):
    entries = five_sheets(project.raw)
    archive.build(project, entries[:4], quiet=True)
    context = project.archive / panel.CONTEXT
    context.write_text(context.read_text().replace("Alpha", "Omega"))
    result = archive.build(project, entries, quiet=True)
    assert "appended" not in result.message  # a full build: the edited context was not used
    err = capsys.readouterr().err
    assert "append_context.json" in err and "does not match its sha256" in err and "built again" in err
    panel.read_context(project.archive)  # the new one verifies
    assert "appended" in archive.build(project, [*entries, sheet(project.raw, "ice_287g_archive/participating_2025-09-06_pm.xlsx",
                                                       [A2, B, C], "2025-09-06")], quiet=True).message  # fmt: skip


def _outputs(folder) -> dict:
    """Every output file of a built panel (not the parse cache), by relative path, as bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and "cache" not in p.relative_to(folder).parts}  # fmt: skip


def test_the_parse_pool_and_its_overlaps_change_when_work_is_done_not_the_tables(project, monkeypatch):
    """16 sheets parsed by the process pool (sheets expanded as they arrive, the collector paused),
    the parse cache written and the gazetteer indexed in a forked process; then all of it in this
    process: every output is the same, byte for byte."""
    days = [f"2025-09-{d:02d}" for d in range(1, 17)]
    entries = [sheet(project.raw, f"ice_287g_archive/participating_{day}_pm.xlsx", [A, B, C] if i % 3 else [A2, B], day)
               for i, day in enumerate(days)]  # fmt: skip
    import concurrent.futures

    from analysis.store import forked

    pools = []

    class Pool(concurrent.futures.ProcessPoolExecutor):
        def __init__(self, *args, **kwargs):
            pools.append(kwargs.get("max_workers"))
            super().__init__(*args, **kwargs)

    class Beside(forked.Forked):
        def __init__(self, jobs):
            pools.append(f"forked, {len(jobs)} jobs")
            super().__init__(jobs)

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", Pool)
    monkeypatch.setattr(forked, "Forked", Beside)
    monkeypatch.setattr(panel.os, "cpu_count", lambda: 2)
    archive.build(project, entries, quiet=True)
    assert pools == [2, "forked, 2 jobs"]  # the parse's two workers, then the process that writes the pack and indexes the gazetteer
    overlapped = _outputs(project.archive)
    shutil.rmtree(project.archive)  # the parse cache too: parsed again
    monkeypatch.setattr(panel.os, "cpu_count", lambda: 1)
    archive.build(project, entries, quiet=True)
    serial = _outputs(project.archive)
    assert pools == [2, "forked, 2 jobs"] and len(overlapped) > 10  # the second build did all of it in this process
    assert overlapped.keys() == serial.keys()
    assert [k for k in overlapped if overlapped[k] != serial[k]] == []


def test_a_sheet_error_met_while_parsing_is_raised_in_item_order(project):
    import dataclasses

    from analysis.core.errors import KindMismatchError

    entries = five_sheets(project.raw)
    wrong = dataclasses.replace(entries[2], kind="pending")  # its header says participating
    items = panel.distinct_sheets([*entries[:2], wrong, *entries[3:]])
    parsed = panel.parse(project, items, quiet=True)
    made: dict = {}
    each = panel.expanding(made)
    for d in items:
        each(d, parsed[d.entry.sha256])
    assert isinstance(made[wrong.sha256], KindMismatchError) and len(made) == 5
    with pytest.raises(KindMismatchError, match="registered as pending"):
        panel.sheet_pairs(items, parsed, made)


def test_the_collector_is_paused_and_restored_around_the_parse():
    import gc

    was = gc.isenabled()
    try:
        for before in (True, False):
            (gc.enable if before else gc.disable)()
            with panel._collector_paused():
                assert not gc.isenabled()
            assert gc.isenabled() == before
    finally:
        (gc.enable if was else gc.disable)()
        gc.unfreeze()


def test_a_job_that_fails_beside_is_reported_for_the_caller_to_run():
    from analysis.store import forked

    if not forked.available():
        pytest.skip("no fork start method or a single core")
    data = {"rows": 3}
    beside = forked.Forked([lambda: data["rows"] * 2, lambda: 1 / 0, lambda: "after"])
    try:
        assert beside.result(0) == (True, 6)  # the fork's copy of the memory: nothing was sent to it
        assert beside.result(1) == (False, None)
        assert beside.result(2) == (True, "after")
    finally:
        beside.close()


def test_the_archive_found_current_is_noted_and_a_changed_input_is_seen(project):
    """freshness.CURRENT_NOTE: "current" is noted with its inputs' stats, so the next command skips the
    registries' parsing and the code's hashing; an edited registry row (a new stat) is still noticed."""
    import dataclasses

    from analysis.ingest import registry
    from analysis.store import freshness

    entries = five_sheets(project.raw)
    registry.write_registry(entries, project.archive_registry_csv)
    archive.build(project, entries, quiet=True)
    note = project.data / freshness.CURRENT_NOTE
    assert not note.exists()
    assert freshness.archive_stale_reason(project) is None  # worked out, then noted
    assert json.loads(note.read_text()) == freshness._archive_inputs(project)
    assert str(Path(freshness.__file__).resolve()) in json.loads(note.read_text())  # the code is in the key
    assert freshness.archive_stale_reason(project) is None  # from the note
    registry.write_registry([dataclasses.replace(entries[0], notes="edited"), *entries[1:]], project.archive_registry_csv)
    assert "changed since the archive panel was built" in freshness.archive_stale_reason(project)
    registry.write_registry(entries, project.archive_registry_csv)  # the rows as built, in a new file: current again
    assert freshness.archive_stale_reason(project) is None
    note.write_text("{not json")  # a broken note only costs the work
    assert freshness.archive_stale_reason(project) is None and json.loads(note.read_text())


def test_a_result_beside_larger_than_a_pipe_does_not_hold_the_next_job_back():
    """Results are taken from the pipe as they come (forked.Forked's thread): a first result larger
    than the pipe holds (64 KiB) no longer keeps the process from its next job until result() is called."""
    import time

    from analysis.store import forked

    if not forked.available():
        pytest.skip("no fork start method or a single core")
    beside = forked.Forked([lambda: b"x" * 2**20, time.monotonic])
    try:
        time.sleep(0.5)  # the caller busy elsewhere
        asked = time.monotonic()
        assert beside.result(0) == (True, b"x" * 2**20)
        ok, second_done = beside.result(1)
        assert ok and second_done < asked  # monotonic is system-wide on Linux: the child's clock is ours
    finally:
        beside.close()


def test_the_full_builds_parts_are_the_same_whether_its_rows_come_in_part_order_or_not(tmp_path):
    """_clean orders the rows part by part (finalize's ``first``) so that each part is a slice of the
    table, written without a copy; any other order gives the same parts through a take."""
    import pyarrow.parquet as pq

    from analysis.store import parts

    n = 400
    df = pd.DataFrame({
        "agency_id": [f"agency-{i % 37}" for i in range(n)],
        "published": pd.to_datetime([dt.date(2025, 1, 1) + dt.timedelta(days=i % 200) for i in range(n)]),
        "row": range(n),
    })  # fmt: skip
    codes, ids = df["agency_id"].factorize()
    recent = (df["published"] > df["published"].max() - pd.Timedelta(days=parts.RECENT_DAYS)).to_numpy()
    ordered = df.iloc[pd.Series(parts.part_numbers(codes, ids, recent)).sort_values(kind="stable").index].reset_index(drop=True)
    written = {}
    for name, frame in {"any order": df, "part order": ordered}.items():
        table, plan = parts.full_agreement_parts(frame)
        assert all(isinstance(rows, slice) for _, rows, _ in plan) == (name == "part order")
        out, ids_of = tmp_path / name, {}
        parts.write_full_agreements(table, plan, out, ids_of)
        written[name] = ({p.name: pq.read_table(p).to_pandas().sort_values("row").to_dict("list") for p in out.iterdir()}, ids_of)
    assert written["any order"] == written["part order"] and len(written["any order"][0]) > 4


@pytest.mark.parametrize("how", ["a byte changed", "a byte added", "a renamed copy changed", "from the cache"])
def test_a_build_from_nothing_refuses_bytes_that_are_not_the_registered_ones(project, how):
    """A build from nothing does not hash the raw files first: each is checked by the worker that
    reads it, on the bytes it parses (panel._parse), and the files no worker reads (the same bytes
    under another name, sheets from the parse cache) before anything is cleaned. Either way the
    build stops with fetch.verify's error and writes nothing."""
    from analysis.core.errors import DataIntegrityError

    entries = five_sheets(project.raw)
    arch = "ice_287g_archive/participating_2025-09-0{}_pm.xlsx"
    copy = project.raw / arch.format(6)
    shutil.copyfile(project.raw / entries[2].path, copy)  # the same bytes under another name: one snapshot
    entries.append(wb.raw_entry(project.raw, arch.format(6), kind="participating", published="2025-09-06", edition="pm",
                                layout="P3", rows=2, set_name="ice_287g_archive"))  # fmt: skip
    if how == "from the cache":
        archive.build(project, entries, quiet=True)
        (project.archive / panel.MANIFEST).unlink()  # no built panel: a build from nothing, the parse cache kept
    target = copy if how == "a renamed copy changed" else project.raw / entries[1].path
    data = bytearray(target.read_bytes())
    if how == "a byte added":
        data += b"\0"
    else:
        data[-30] ^= 1  # in the zip's end record: still a zip, no longer the registered bytes
    target.write_bytes(bytes(data))
    with pytest.raises(DataIntegrityError, match=r"sha256 mismatch in data/raw/: expected [0-9a-f]{64}, got [0-9a-f]{64}") as err:
        archive.build(project, entries, quiet=True)
    assert err.value.path == target.relative_to(project.raw).as_posix()
    assert not (project.archive / panel.MANIFEST).exists()
