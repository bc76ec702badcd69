"""build + query end to end on fixture workbooks (no real data needed).

Four sheets are registered: a P0 transcription (2025-01-19), am and pm ICE editions of
2025-09-02 (P3) and a pending sheet (Q2). The pm edition is registered under a path that sorts
*before* the am one, so only the edition order (not the file name) can pick it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pandas as pd
import pytest

import workbooks as wb
from analysis import paths
from analysis.store import build
from analysis.engine import query
from analysis.core.errors import DataIntegrityError, KindMismatchError, QAError, SheetError, UsageError

D = dt.datetime
AM_ROWS, PM_ROWS = wb.AM_ROWS, wb.PM_ROWS
P0_REL, AM_REL, PM_REL, PENDING_REL = wb.P0_REL, wb.AM_REL, wb.PM_REL, wb.PENDING_REL
write_fixture_raw = wb.write_fixture_set


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    project = paths.Project.at(tmp_path_factory.mktemp("build"))
    entries = write_fixture_raw(project.raw)
    result = build.build(project, entries, quiet=True)
    return {"entries": entries, "result": result, "processed": project.processed, "raw": project.raw, "project": project}


@pytest.fixture
def fp(tmp_path) -> paths.Project:
    """A throwaway project, for builds that must fail."""
    return paths.Project.at(tmp_path)


@pytest.fixture
def fresh(fp):
    """The fixture sheets in ``fp``'s raw folder, not yet built."""
    return write_fixture_raw(fp.raw)


# ----------------------------------------------------------------------------- build outputs


def test_build_writes_every_output(built):
    result = built["result"]
    assert not result.skipped
    assert result.snapshots == 4
    assert result.agreements == 3 + 4 + 6 + 3
    assert result.qa_failures == 0
    for name in (*build.OUTPUTS, build.BUILD_MANIFEST):
        assert (built["processed"] / name).exists(), name
    manifest = json.loads((built["processed"] / build.BUILD_MANIFEST).read_text())
    assert set(manifest["inputs"]) == {e.path for e in built["entries"]}
    for e in built["entries"]:
        assert e.sha256 in json.dumps(manifest["inputs"][e.path])  # the key pins the bytes
    qa = pd.read_csv(built["processed"] / "qa.csv")
    assert set(qa["status"]) <= {"pass", "warn"}
    assert (qa["status"] == "pass").sum() > 20


def test_snapshots_table(built):
    snaps = pd.read_parquet(built["processed"] / "snapshots.parquet").set_index("snapshot_id")
    assert snaps.loc["participating_2025-01-19", "layout"] == "P0"
    assert not snaps.loc["participating_2025-01-19", "is_ice_file"]
    assert snaps.loc["participating_2025-09-02", "edition_order"] > snaps.loc["participating_2025-09-02_am", "edition_order"]
    assert snaps.loc["pending_2025-09-02", "kind"] == "pending"
    assert snaps["rows"].to_dict() == {"participating_2025-01-19": 3, "participating_2025-09-02_am": 4,
                                       "participating_2025-09-02": 6, "pending_2025-09-02": 3}  # fmt: skip
    assert snaps.loc["participating_2025-09-02_am", "worksheet"] == "Sheet1"


def test_agreements_table_values(built):
    a = pd.read_parquet(built["processed"] / "agreements.parquet")
    pm = a[a["snapshot_id"] == "participating_2025-09-02"].set_index("row")
    assert pm.loc[7, "state"] == "TX" and pm.loc[7, "state_raw"] == "Texas "
    assert pm.loc[7, "model"] == "TFM" and pm.loc[7, "support_type_raw"] == "Task Force Model "
    assert pm.loc[6, "state"] == "GU" and not pm.loc[6, "is_state"]
    assert pd.isna(pm.loc[6, "county"])
    assert pm.loc[2, "signed"] == pd.Timestamp("2019-06-26")
    assert pm.loc[2, "moa_status"] == "link" and pm.loc[2, "addendum_status"] == "link pending"
    p0 = a[a["snapshot_id"] == "participating_2025-01-19"]
    assert set(p0["moa_status"]) == {"archived url"}
    pending = a[a["kind"] == "pending"]
    assert pending["signed"].isna().all()
    assert pending["agreement_id"].str.endswith(":pending").all()
    am = a[a["snapshot_id"] == "participating_2025-09-02_am"].set_index("row")
    assert am.loc[5, "agency"] == "Berrian County Sheriff's Offic"  # as printed
    assert am.loc[5, "agency_id"] == pm.loc[5, "agency_id"] == "MI:berrian-county-sheriffs-office"
    assert am.loc[2, "agency"] == "Hardee County Sheriff's Office"  # typographic apostrophe made plain
    assert am.loc[2, "agency_raw"] == "Hardee County Sheriff’s Office"


def test_corrections_logged(built):
    c = pd.read_csv(built["processed"] / "corrections.csv", keep_default_na=False)
    got = {(r.snapshot_id, r.row, r.field, r.rule) for r in c.itertuples()}
    assert ("participating_2025-09-02", 7, "STATE", "state_case_whitespace") in got
    assert ("participating_2025-09-02", 7, "SUPPORT TYPE", "support_type_whitespace") in got
    assert ("participating_2025-09-02_am", 5, "LAW ENFORCEMENT AGENCY", "agency_alias") in got
    assert ("pending_2025-09-02", 4, "SUPPORT TYPE", "support_type_variant") in got  # 'Warrant Service Office'
    # rows needing no correction are not logged
    assert not any(sid == "participating_2025-01-19" for sid, *_ in got)


def test_display_name_tie_goes_to_the_later_edition(built):
    """agency_name is 'the most frequent cleaned spelling, ties to the latest seen' (build.assign_ids).

    Berrian is printed once truncated (am edition) and once in full (pm edition of the same
    day): the later-seen spelling is the pm edition's full name, not the alphabetically first.
    """
    a = pd.read_parquet(built["processed"] / "agreements.parquet")
    berrian = a.loc[a["agency_id"] == "MI:berrian-county-sheriffs-office", "agency_name"]
    assert set(berrian) == {"Berrian County Sheriff's Office"}


def test_second_build_is_skipped(built):
    result = build.build(built["project"], built["entries"], quiet=True)
    assert result.skipped
    assert "nothing to do" in result.message
    forced = build.build(built["project"], built["entries"], quiet=True, force=True)
    assert not forced.skipped and forced.agreements == built["result"].agreements


# ----------------------------------------------------------------------------- query


def test_count_totals_and_units(built):
    P = built["project"]
    r = query.count("2025-01-19", source=P)
    assert (r["total"], r["unit"], r["kind"], r["states"], r["territories"]) == (3, "agreements", "participating", 2, [])
    assert r["snapshot"]["id"] == "participating_2025-01-19"
    assert r["snapshot"]["edition"] == "192356"
    assert "not an ICE file" in r["snapshot"]["source"]
    assert r["groups"] == []
    assert query.count("2025-01-19", unit="agencies", source=P)["total"] == 2


def test_snapshot_in_force_prefers_pm_over_am(built):
    P = built["project"]
    r = query.count("2025-09-02", source=P)
    assert r["snapshot"]["id"] == "participating_2025-09-02"
    assert r["snapshot"]["edition"] == "pm"
    assert r["total"] == 6
    assert query.count(dt.date(2025, 9, 2), unit="agencies", source=P)["total"] == 5
    with pytest.raises(UsageError, match="after the newest participating sheet"):  # the one rule: no data yet
        query.count(dt.date(2025, 9, 3), source=P)
    assert r["snapshot"]["days_before_as_of"] == 0 and "stale_note" not in r["snapshot"]


def test_states_exclude_territories(built):
    P = built["project"]
    r = query.count("2025-09-02", source=P)
    assert r["states"] == 3  # FL, MI, TX; not GUAM
    assert r["territories"] == ["GU"]


def test_latest_earlier_snapshot_is_in_force_with_a_stale_note(built):
    P = built["project"]
    r = query.count("2025-09-01", source=P)
    assert r["snapshot"]["id"] == "participating_2025-01-19"
    assert r["snapshot"]["days_before_as_of"] == 225
    assert "225 days" in r["snapshot"]["stale_note"]


def test_count_by_model(built):
    P = built["project"]
    groups = query.count("2025-09-02", by="model", source=P)["groups"]
    assert [(g["model"], g["count"]) for g in groups] == [("TFM", 3), ("WSO", 2), ("JEM", 1)]
    assert [g["share"] for g in groups] == [0.5, 0.333333, 0.166667]
    assert sum(g["count"] for g in groups) == 6


def test_count_by_state(built):
    P = built["project"]
    groups = query.count("2025-09-02", by="state", source=P)["groups"]
    assert [(g["state"], g["state_name"], g["count"]) for g in groups] == [
        ("FL", "Florida", 3), ("GU", "Guam", 1), ("MI", "Michigan", 1), ("TX", "Texas", 1)]  # fmt: skip
    agencies = query.count("2025-09-02", by="state", unit="agencies", source=P)["groups"]
    assert [(g["state"], g["count"]) for g in agencies] == [("FL", 2), ("GU", 1), ("MI", 1), ("TX", 1)]


def test_count_by_state_and_model(built):
    P = built["project"]
    groups = query.count("2025-09-02", by="state,model", source=P)["groups"]
    assert [(g["state"], g["model"], g["count"]) for g in groups] == [
        ("FL", "JEM", 1), ("FL", "TFM", 1), ("FL", "WSO", 1), ("GU", "TFM", 1), ("MI", "WSO", 1), ("TX", "TFM", 1)]  # fmt: skip
    assert query.count("2025-09-02", by="model,state", source=P)["groups"] == groups


def test_pending_counts(built):
    P = built["project"]
    r = query.count("2025-09-02", kind="pending", by="model", source=P)
    assert r["total"] == 3 and r["snapshot"]["id"] == "pending_2025-09-02"
    assert {g["model"]: g["count"] for g in r["groups"]} == {"TFM": 1, "WSO": 2}


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda P: query.count("2025-01-18", source=P), "before the first participating sheet"),
        (lambda P: query.count("2025-09-01", kind="pending", source=P), "before the first pending sheet"),
        (lambda P: query.count("2025-02-30", source=P), "not a date"),
        (lambda P: query.count("2025-09-02", unit="rows", source=P), "unit must be one of"),
        (lambda P: query.count("2025-09-02", by="county", source=P), "--by must be one of"),
        (lambda P: query.count("2025-09-02", kind="proposed", source=P), "kind must be one of"),
        (lambda P: query.diff("2025-09-02", "2025-01-19", source=P), "is before --from"),
    ],
)
def test_usage_errors(built, call, match):
    with pytest.raises(UsageError, match=match) as info:
        call(built["project"])
    assert info.value.exit_code == 2


def test_diff_lists_added_and_removed(built):
    P = built["project"]
    d = query.diff("2025-01-19", "2025-09-02", source=P)
    assert d["from"]["snapshot"]["id"] == "participating_2025-01-19"
    assert d["to"]["snapshot"]["id"] == "participating_2025-09-02"
    assert (d["from"]["agreements"], d["from"]["agencies"], d["to"]["agreements"], d["to"]["agencies"]) == (3, 2, 6, 5)
    added = [(x["state"], x["as_printed"], x["agency_id"]) for x in d["agencies_added"]]
    assert added == [
        ("FL", "Marion County Sheriff's Office", "FL:marion-county-sheriffs-office"),
        ("GU", "Guam Police Department", "GU:guam-police-department"),
        ("MI", "Berrian County Sheriff's Office", "MI:berrian-county-sheriffs-office"),
        ("TX", "Harris County Constable Precinct 1", "TX:harris-county-constable-precinct-1"),
    ]
    assert [(x["state"], x["as_printed"]) for x in d["agencies_removed"]] == [("TX", "Lubbock County Sheriff's Office")]
    assert sorted((x["agency_id"], x["model"], x["signed"]) for x in d["agreements_added"]) == [
        ("FL:marion-county-sheriffs-office", "TFM", "2025-08-20"),
        ("GU:guam-police-department", "TFM", "2025-08-28"),
        ("MI:berrian-county-sheriffs-office", "WSO", "2025-05-01"),
        ("TX:harris-county-constable-precinct-1", "TFM", "2025-03-01"),
    ]
    removed = d["agreements_removed"]
    assert [(x["as_printed"], x["model"], x["signed"], x["agreement_id"]) for x in removed] == [
        ("Lubbock County Sheriff's Office", "WSO", "2020-01-15", "TX:lubbock-county-sheriffs-office:WSO:2020-01-15")]  # fmt: skip
    json.loads(query.to_json(d))  # JSON-ready


def test_diff_by_state(built):
    P = built["project"]
    d = query.diff("2025-01-19", "2025-09-02", state="tx", source=P)
    assert d["state"] == "TX"
    assert [x["as_printed"] for x in d["agencies_added"]] == ["Harris County Constable Precinct 1"]
    assert [x["as_printed"] for x in d["agencies_removed"]] == ["Lubbock County Sheriff's Office"]
    assert (d["from"]["agreements"], d["to"]["agreements"]) == (1, 1)


def test_diff_same_snapshot_is_empty(built):
    P = built["project"]
    d = query.diff("2025-01-19", "2025-08-31", source=P)
    assert d["agencies_added"] == d["agencies_removed"] == d["agreements_added"] == d["agreements_removed"] == []


def test_counts_by_snapshot_series(built):
    P = built["project"]
    series = query.counts_by_snapshot(source=P)
    assert series["snapshot_id"].tolist() == ["participating_2025-01-19", "participating_2025-09-02_am", "participating_2025-09-02"]
    assert series["agreements"].tolist() == [3, 4, 6]
    assert series["agencies"].tolist() == [2, 3, 5]


# ----------------------------------------------------------------------------- failing builds


def test_kind_mismatch(fresh, fp):
    entries = [dataclasses.replace(e, kind="participating") if e.path == PENDING_REL else e for e in fresh]
    with pytest.raises(KindMismatchError) as info:
        build.build(fp, entries, quiet=True)
    assert PENDING_REL in str(info.value) and "Q2" in str(info.value)
    assert info.value.exit_code == 9
    assert not (fp.processed / "agreements.parquet").exists()


def test_qa_failure_writes_qa_but_not_the_tables(fresh, fp):
    entries = [dataclasses.replace(e, rows=5) if e.path == AM_REL else e for e in fresh]
    with pytest.raises(QAError) as info:
        build.build(fp, entries, quiet=True)
    message = str(info.value)
    assert "rows read = registry rows" in message and "participating_2025-09-02_am" in message
    assert info.value.exit_code == 10
    qa = pd.read_csv(fp.processed / "qa.csv")
    failed = qa[qa["status"] == "fail"]
    assert failed[["check", "scope", "value", "expected"]].astype(str).values.tolist() == [
        ["rows read = registry rows", "participating_2025-09-02_am", "4", "5"]]  # fmt: skip
    for name in ("agreements.parquet", "snapshots.parquet", "corrections.csv", build.BUILD_MANIFEST):
        assert not (fp.processed / name).exists(), name


def test_qa_failure_keeps_previous_outputs(fresh, fp):
    build.build(fp, fresh, quiet=True)
    before = (fp.processed / "agreements.parquet").read_bytes()
    manifest = (fp.processed / build.BUILD_MANIFEST).read_text()
    # a changed input: the pm sheet gains a row the registry does not know about
    wb.p3(fp.raw / PM_REL, [*PM_ROWS, PM_ROWS[0]])
    changed = [wb.raw_entry(fp.raw, PM_REL, kind="participating", published="2025-09-02", edition="pm",
                            layout="P3", rows=6) if e.path == PM_REL else e for e in fresh]  # fmt: skip
    with pytest.raises(QAError):
        build.build(fp, changed, quiet=True)
    assert (fp.processed / "agreements.parquet").read_bytes() == before
    assert (fp.processed / build.BUILD_MANIFEST).read_text() == manifest


def test_two_snapshots_with_the_same_date_and_edition_fail_qa(fresh, fp):
    entries = [dataclasses.replace(e, edition="am") if e.path == PM_REL else e for e in fresh]
    with pytest.raises(QAError, match="one snapshot per kind, date and edition"):
        build.build(fp, entries, quiet=True)


def test_registry_layout_mismatch_fails_qa(fresh, fp):
    entries = [dataclasses.replace(e, layout="P2") if e.path == PM_REL else e for e in fresh]
    with pytest.raises(QAError, match="layout = registry layout"):
        build.build(fp, entries, quiet=True)


def test_changed_registry_metadata_invalidates_the_build(fresh, fp):
    P = fp
    """The build cache key must cover what the registry feeds into the tables.

    Correcting a file's publication date (ICE misnamed several files) changes snapshots.parquet
    and every 'as of' answer, so a build after that change must not say 'nothing to do'.
    """
    build.build(fp, fresh, quiet=True)
    redated = [dataclasses.replace(e, published="2025-09-03") if e.path == PM_REL else e for e in fresh]
    result = build.build(fp, redated, quiet=True)
    assert not result.skipped
    assert query.count("2025-09-03", source=P)["snapshot"]["published"] == "2025-09-03"


def test_unknown_support_type_names_file_and_row(fresh, fp):
    rows = [*PM_ROWS[:2], ("FLORIDA", "Polk County Sheriff's Office", "County", "Polk", "287(g) Model", D(2025, 2, 3), "link", "link")]
    wb.p3(fp.raw / PM_REL, rows)
    entries = [wb.raw_entry(fp.raw, PM_REL, kind="participating", published="2025-09-02", edition="pm",
                            layout="P3", rows=3) if e.path == PM_REL else e for e in fresh]  # fmt: skip
    with pytest.raises(SheetError) as info:
        build.build(fp, entries, quiet=True)
    message = str(info.value)
    assert PM_REL in message and "row 4" in message and "287(g) Model" in message
    assert not (fp.processed / "agreements.parquet").exists()


def test_unknown_state_names_file_and_row(fresh, fp):
    rows = [*PM_ROWS[:2], ("ATLANTIS", "Polk County Sheriff's Office", "County", "Polk", "Task Force Model", D(2025, 2, 3), "link", "link")]
    wb.p3(fp.raw / PM_REL, rows)
    entries = [wb.raw_entry(fp.raw, PM_REL, kind="participating", published="2025-09-02", edition="pm",
                            layout="P3", rows=3) if e.path == PM_REL else e for e in fresh]  # fmt: skip
    with pytest.raises(SheetError, match=r"row 4: unknown STATE value 'ATLANTIS'") as info:
        build.build(fp, entries, quiet=True)
    assert PM_REL in str(info.value)


def test_build_refuses_unverified_raw_files(fresh, fp):
    (fp.raw / AM_REL).write_bytes(b"edited")
    with pytest.raises(DataIntegrityError, match="sha256 mismatch"):
        build.build(fp, fresh, quiet=True)


def test_query_without_tables_is_a_stale_output_error(fresh, fp):
    P = fp
    from analysis.core.errors import StaleOutputError

    with pytest.raises(StaleOutputError, match="run `python -m analysis build`"):
        query.count("2025-09-02", source=P)
