"""The engine (analysis/engine/measures.py) on a small hand-made panel whose every answer is known."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pandas as pd
import pytest

from analysis.engine import measures as M
from analysis.core.errors import StaleOutputError, UsageError

D = dt.date

# (snapshot, published, edition, order) ; rows: (state, agency, model, county)
SHEETS = {
    "participating_2025-01-19": (D(2025, 1, 19), "", 0, [
        ("FL", "Lee County Sheriff's Office", "JEM", "Lee County"),
        ("TX", "Harris County Sheriff's Office", "JEM", "Harris County"),
    ]),
    "participating_2025-06-16_am": (D(2025, 6, 16), "am", 32400, [
        ("FL", "Lee County Sheriff's Office", "JEM", "Lee County"),
    ]),
    "participating_2025-06-16_pm": (D(2025, 6, 16), "pm", 61200, [
        ("FL", "Lee County Sheriff's Office", "JEM", "Lee County"),
        ("FL", "Lee County Sheriff's Office", "TFM", "Lee County"),
        ("FL", "Cape Coral Police Department", "TFM", None),
        ("TX", "Harris County Sheriff's Office", "JEM", "Harris County"),
        ("TX", "Harris County Sheriff's Office", "WSO", "Harris County"),
        ("GA", "Harris County Sheriff's Office", "WSO", "Harris County"),
        ("GA", "Cobb County Sheriff's Office", None, "Cobb County"),
        ("GU", "Guam Customs and Quarantine Agency", "TFM", None),
    ]),
    "pending_2025-06-16": (D(2025, 6, 16), "", 0, [
        ("OK", "Tulsa Police Department", "TFM", None),
    ]),
}


# county_fips and geo_level as geography.py places these rows (tests/test_geography.py tests the rules)
FIPS = {("FL", "Lee County Sheriff's Office"): "12071", ("FL", "Cape Coral Police Department"): "12071",
        ("TX", "Harris County Sheriff's Office"): "48201", ("GA", "Harris County Sheriff's Office"): "13145",
        ("GA", "Cobb County Sheriff's Office"): "13067"}  # fmt: skip


def _slug(name: str) -> str:
    return "-".join(name.lower().replace("'", "").split())


@pytest.fixture
def panel(tmp_path) -> M.Panel:
    return make_panel(tmp_path, SHEETS)


def make_panel(tmp_path, sheets: dict) -> M.Panel:
    """A curated panel of ``sheets`` (SHEETS' shape), written as the build writes its tables."""
    snaps, rows = [], []
    for sid, (published, edition, order, sheet) in sheets.items():
        kind = sid.split("_")[0]
        file = f"ice_287g/{sid}.xlsx"
        snaps.append({"snapshot_id": sid, "file": file, "sha256": f"{len(snaps):064x}", "kind": kind,
                      "published": published, "edition": edition, "edition_order": order,
                      "source_note": "ICE workbook"})  # fmt: skip
        for i, (state, agency, model, county) in enumerate(sheet):
            rows.append({"snapshot_id": sid, "kind": kind, "file": file, "row": i + 2, "state": state,
                         "is_state": state != "GU", "agency_id": f"{state}:{_slug(agency)}", "agency": agency,
                         "model": model, "county": county, "state_raw": state.lower(), "agency_raw": agency + " ",
                         "support_type_raw": model or "", "county_raw": county or "",
                         "agreement_id": f"{state}:{_slug(agency)}:{model or 'unstated'}",
                         "county_fips": FIPS.get((state, agency)),
                         "geo_level": "county" if (state, agency) in FIPS else ("territory" if state == "GU" else "unknown")})  # fmt: skip
    pd.DataFrame(snaps).to_parquet(tmp_path / "snapshots.parquet")
    frame = pd.DataFrame(rows)
    frame["model"] = frame["model"].astype("string")
    frame["county"] = frame["county"].astype("string")
    frame[["county_fips", "geo_level"]] = frame[["county_fips", "geo_level"]].astype("string")
    frame.to_parquet(tmp_path / "agreements.parquet")
    return M.Panel("curated", processed=tmp_path)


def ev(panel, day="2025-06-16", **spec):
    return M.evaluate(M.Measure.from_mapping(spec), day, panel)


def test_the_sheet_in_force_is_the_latest_edition_of_the_day(panel):
    assert panel.in_force("2025-06-15", "participating")["snapshot_id"] == "participating_2025-01-19"
    assert panel.in_force("2025-06-16", "participating")["snapshot_id"] == "participating_2025-06-16_pm"
    assert ev(panel).snapshot["file"] == "ice_287g/participating_2025-06-16_pm.xlsx"
    assert ev(panel).snapshot_record()["edition"] == "pm"


def test_dates_outside_the_sheets_are_refused(panel):
    with pytest.raises(UsageError, match="before the first participating sheet"):
        panel.in_force("2024-12-31", "participating")
    with pytest.raises(UsageError, match="after the newest participating sheet .*participating_2025-06-16_pm"):
        panel.in_force("2025-06-17", "participating")


def test_agreements_are_rows_and_agencies_distinct_ids(panel):
    assert ev(panel).value == 8
    assert ev(panel, unit="agencies").value == 6  # Harris County TX and GA are two agencies
    e = ev(panel, unit="agencies", state="Florida")
    assert e.value == 2 and list(e.evidence["row"]) == [2, 3, 4]  # the rows behind the count, as in the sheet
    assert set(e.evidence["agency_raw"]) == {"Lee County Sheriff's Office ", "Cape Coral Police Department "}
    assert set(e.evidence["county_fips"]) == {"12071"} and set(e.evidence["geo_level"]) == {"county"}  # where each row is


def test_share_names_its_denominator(panel):
    e = ev(panel, state="FL", statistic="share")
    assert e.value == Fraction(3, 8) and e.detail["denominator"] == 8
    states_only = ev(panel, state="FL", statistic="share", denominator="states")
    assert states_only.value == Fraction(3, 7)  # Guam is not a state
    jem = ev(panel, state="FL", model="JEM", statistic="share")
    assert jem.value == Fraction(1, 2)  # a model filter narrows the whole too


def test_top_n_reports_a_tie_only_when_there_is_one(panel):
    e = ev(panel, statistic="top_n", n=2)
    assert e.value == ["FL"] and sorted(e.detail["tied_at_cutoff"]) == ["GA", "TX"]  # FL 3, GA 2, TX 2
    e = ev(panel, statistic="top_n", n=3)
    assert e.value == ["FL", "GA", "TX"] and e.detail["tied_at_cutoff"] == []


def test_rank_is_competition_rank(panel):
    e = ev(panel, statistic="rank", state="TX")
    assert e.value == 2 and e.detail["tied_with"] == ["GA"]
    assert set(e.evidence["state"]) == {"TX"}


def test_number_of_states_leaves_territories_out(panel):
    e = ev(panel, statistic="n_states")
    assert e.value == 3 and e.detail["territories"] == ["GU"]


def test_breakdown_by_model_keeps_blank_models(panel):
    assert ev(panel, statistic="breakdown", by="model").value == {"TFM": 3, "JEM": 2, "WSO": 2, "unstated": 1}
    assert ev(panel, kind="pending", statistic="breakdown", by="model").value == {"TFM": 1}


def test_percent_change_between_the_sheets_of_two_days(panel):
    e = ev(panel, statistic="pct_change", since="2025-01-20")
    assert e.value == Fraction(8 - 2, 2) * 100
    assert e.detail["from"] == 2 and e.detail["to"] == 8
    assert sorted(e.evidence["period"].unique()) == ["as_of", "since"]


def test_county_is_matched_within_its_state(panel):
    assert ev(panel, state="TX", county="Harris County").value == 2
    assert ev(panel, state="GA", county="Harris").value == 1


@pytest.mark.parametrize(
    "spec, field",
    [
        ({"unit": "deals"}, "measure.unit"),
        ({"statistic": "average"}, "measure.statistic"),
        ({"state": "Atlantis"}, "measure.state"),
        ({"statistic": "top_n"}, "measure.n"),
        ({"statistic": "rank"}, "measure.state"),
        ({"statistic": "share"}, "measure.statistic"),
        ({"statistic": "pct_change"}, "measure.since"),
        ({"county": "Lee"}, "measure.county"),
        ({"colour": "red"}, "measure.colour"),
    ],
)
def test_a_bad_measure_names_its_field(spec, field):
    with pytest.raises(UsageError, match=f"^{field}: "):
        M.Measure.from_mapping(spec)


def test_state_codes_and_names_both_work_and_guesses_do_not():
    assert M.state_code("fl") == M.state_code("Florida") == M.state_code(" FLORIDA ") == "FL"
    with pytest.raises(UsageError):
        M.state_code("Floridaa")


def test_a_missing_panel_says_which_build_to_run(tmp_path):
    with pytest.raises(StaleOutputError, match="build --archive"):
        M.Panel("archive", processed=tmp_path)


def test_agency_and_county_filters_fold_as_agency_ids_do(tmp_path):
    """Issue 22.7: "Walker County Sheriff’s" (a curly apostrophe, as ICE printed it) matched 0 rows
    while the straight one matched 1; "Doña Ana" and "Dona Ana" each matched half of one agency's rows
    (the build gives both spellings one agency id). The filters fold as agencies.fold does."""
    from analysis.clean import agencies

    day = D(2025, 6, 16)
    sheet = [("AL", "Walker County Sheriff's Office", "JEM", "Walker County"),
             ("NM", "Doña Ana County Sheriff's Office", "JEM", "Doña Ana County"),
             ("NM", "Dona Ana County Sheriff’s Office", "TFM", "Dona Ana County"),
             ("NM", "Bernalillo County Sheriff's Office", "TFM", "Bernalillo County")]  # fmt: skip
    panel = make_panel(tmp_path, {"participating_2025-06-16": (day, "", 0, sheet)})
    assert agencies.name_key(sheet[1][1], "NM") == agencies.name_key(sheet[2][1], "NM")  # one agency id
    for spelling in ("Walker County Sheriff’s", "Walker County Sheriff's", "walker county SHERIFF"):
        assert ev(panel, agency=spelling).value == 1, spelling
    for spelling in ("Doña Ana", "Dona Ana", "DOÑA ANA COUNTY"):
        assert ev(panel, agency=spelling).value == 2, spelling
        assert ev(panel, state="NM", county=spelling).value == 2, spelling
    assert ev(panel, agency="Ana County Sheriffs").value == 2
    assert ev(panel, agency="na").value == 0  # the start of a word, not any part of one (doNA, berNAlillo)
