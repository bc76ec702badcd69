"""Population covered and court backlog per resident (coverage.py, backlog.py, their engine
measures, claims files and `query --measure`) on a hand-made panel whose answers are computed
here by hand; then on the real processed tables (integration)."""

from __future__ import annotations

import datetime as dt
import json
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from analysis import paths
from analysis.engine import coverage
from analysis.factcheck import check
from analysis.analyses import figures
from analysis.engine import backlog
from analysis.engine import measures as M
from analysis.core.errors import UsageError

D = dt.date

# fips, state, county_name, population_2024: 8,410 residents in all
COUNTIES = [("12071", "FL", "Lee County", 800), ("12021", "FL", "Collier County", 400),
            ("12086", "FL", "Miami-Dade County", 2000), ("48201", "TX", "Harris County", 5000),
            ("13145", "GA", "Harris County", 40), ("09110", "CT", "Capitol Planning Region", 100),
            ("11001", "DC", "District of Columbia", 70)]  # fmt: skip
US = sum(c[3] for c in COUNTIES)
PLACES = [("FL", "10275", "Cape Coral city, FL", "12071", "Lee FL", 200, 1.0),
          ("FL", "47625", "Naples city, FL", "12021", "Collier FL", 20, 1.0),
          ("CT", "37000", "Hartford city, CT", "09003", "Hartford CT", 120, 1.0)]  # fmt: skip
# fips, state, county as TRAC prints it, pending
TRAC = [("12071", "FL", "Lee County", 80), ("12021", "FL", "Collier County", 40), ("12086", "FL", "Miami-Dade County", 100),
        ("48201", "TX", "Harris County", 1000), ("13145", "GA", "Harris County", 0), ("09003", "CT", "Hartford County", 7),
        ("72127", "PR", "San Juan Municipio", 5)]  # fmt: skip

# (state, agency, model, COUNTY cell, jurisdiction type)
SHEETS = {
    "participating_2025-01-19": (D(2025, 1, 19), [
        ("TX", "Harris County Sheriff's Office", "JEM", "Harris County", "County"),
    ]),
    "participating_2025-06-16": (D(2025, 6, 16), [
        ("FL", "Lee County Sheriff's Office", "JEM", "Lee County", "County"),
        ("FL", "Lee County Sheriff's Office", "TFM", "Lee County", "County"),  # the same county again
        ("FL", "Cape Coral Police Department", "TFM", None, "Municipality"),  # a town in Lee County
        ("FL", "Naples Police Department", "TFM", "Collier County", "Municipality"),  # local only
        ("FL", "Miami-Dade Corrections and Rehabilitation", "JEM", "Miami-Dade County", "County"),  # a jail
        ("TX", "Harris County Sheriff's Office", "WSO", "Harris County", "County"),
        ("FL", "Florida Highway Patrol", "TFM", None, "State Agency"),  # statewide
        ("GU", "Guam Customs and Quarantine Agency", "TFM", None, None),  # territory
    ]),
}  # fmt: skip
DAY = "2025-06-16"


def _slug(name: str) -> str:
    return "-".join(name.lower().replace("'", "").split())


def write_project(folder, *, county_fips: dict[str, str] | None = None) -> None:
    """The processed tables of a tiny project; ``county_fips`` (agency -> FIPS) writes the build's own
    county_fips/geo_level columns, as the tables have them once the build places rows."""
    snaps, rows = [], []
    for sid, (published, sheet) in SHEETS.items():
        file = f"ice_287g/{sid}.xlsx"
        snaps.append({"snapshot_id": sid, "file": file, "sha256": f"{len(snaps):064x}", "kind": "participating",
                      "published": published, "edition": "", "edition_order": 0, "source_note": "ICE workbook"})  # fmt: skip
        for i, (state, agency, model, county, jtype) in enumerate(sheet):
            rows.append({"snapshot_id": sid, "kind": "participating", "file": file, "row": i + 2, "state": state,
                         "is_state": state != "GU", "agency_id": f"{state}:{_slug(agency)}", "agency": agency,
                         "agency_name": agency, "jurisdiction_type": jtype, "model": model, "county": county,
                         "state_raw": state, "agency_raw": agency, "support_type_raw": model, "county_raw": county or "",
                         "agreement_id": f"{state}:{_slug(agency)}:{model}"})  # fmt: skip
    frame = pd.DataFrame(rows).astype({"model": "string", "county": "string", "jurisdiction_type": "string"})
    if county_fips is not None:
        frame["county_fips"] = frame["agency"].map(county_fips).astype("string")
        frame["geo_level"] = np.where(frame["county_fips"].notna(), "county", "statewide")
    frame.to_parquet(folder / "agreements.parquet")
    pd.DataFrame(snaps).to_parquet(folder / "snapshots.parquet")
    pd.DataFrame(COUNTIES, columns=["fips", "state", "county_name", "population_2024"]).to_parquet(
        folder / "county_population.parquet")
    pd.DataFrame(PLACES, columns=["state", "place_code", "place_name", "county_fips", "county_name", "pop20",
                                  "share"]).to_parquet(folder / "place_county.parquet")  # fmt: skip
    pd.DataFrame(TRAC, columns=["fips", "state", "county", "pending"]).to_parquet(folder / "trac_county.parquet")


@pytest.fixture
def panel(tmp_path) -> M.Panel:
    write_project(tmp_path)
    return M.Panel("curated", processed=tmp_path)


def ev(panel, day=DAY, **spec):
    return M.evaluate(M.Measure.from_mapping(spec), day, panel)


# ---------------------------------------------------------------- population covered


def test_population_covered_by_hand(panel):
    # Lee (sheriff, 800) + Miami-Dade (county jail, 2,000) + Harris TX (sheriff, 5,000)
    e = ev(panel, statistic="population_covered")
    assert e.value == 800 + 2000 + 5000
    assert list(e.evidence["county_fips"]) == ["12071", "12086", "48201"]
    assert set(e.evidence["file"]) == {"ice_287g/participating_2025-06-16.xlsx"}
    share = ev(panel, statistic="population_share")
    assert share.value == Fraction(7800, US)
    assert share.detail["denominator"] == US and "50 states and DC" in share.detail["denominator_is"]
    assert ev(panel, "2025-01-20", statistic="population_covered").value == 5000  # the sheet of that day


def test_each_county_is_counted_once(panel):
    e = ev(panel, statistic="population_covered")
    lee = e.evidence.set_index("county_fips").loc["12071"]
    # two sheriff's agreements in Lee County: one county, 800 residents, both agreements and rows kept
    assert (lee["agreements"], lee["models"], lee["population_2024"], lee["rows"]) == (2, "JEM;TFM", 800, "2;3")
    assert e.evidence["county_fips"].is_unique


def test_by_model_each_county_once_within_a_model(panel):
    assert ev(panel, statistic="population_covered", by="model").value == {"WSO": 5000, "JEM": 2800, "TFM": 800}
    assert ev(panel, statistic="population_covered", model="TFM").value == 800
    assert ev(panel, statistic="population_covered", by="state").value == {"TX": 5000, "FL": 2800}


def test_a_sheriffs_tfm_covers_its_county_a_town_police_tfm_does_not(panel):
    e = ev(panel, statistic="population_covered", model="TFM")
    # Lee's sheriff (TFM) covers Lee; Cape Coral PD (in Lee) and Naples PD (in Collier) cover nothing
    assert list(e.evidence["county_fips"]) == ["12071"]
    assert e.detail["agreements_by_role"]["local"] == 2
    assert e.detail["statewide"] == {"agreements": 1, "states": ["FL"]}  # reported apart
    assert e.detail["agreements_by_role"]["territory"] == 1


def test_a_state_filter_takes_that_states_population_as_denominator(panel):
    e = ev(panel, statistic="population_share", state="FL")
    assert e.value == Fraction(2800, 800 + 400 + 2000)
    assert e.detail["denominator_is"].startswith("FL")


def test_the_tables_county_fips_column_is_used_when_present(tmp_path):
    # the build's own codes win over the engine's placement: put Lee's sheriff in Collier
    write_project(tmp_path, county_fips={"Lee County Sheriff's Office": "12021",
                                         "Harris County Sheriff's Office": "48201"})  # fmt: skip
    e = ev(M.Panel("curated", processed=tmp_path), statistic="population_covered")
    assert list(e.evidence["county_fips"]) == ["12021", "48201"] and e.value == 400 + 5000


@pytest.mark.parametrize(("name", "jtype", "county_level"), [
    ("Lee County Sheriff's Office", "County", True),
    ("Miami-Dade Corrections and Rehabilitation", "County", True),
    ("Pasco County BOCC", "County", True),
    ("Okmulgee County Criminal Justice Authority", None, True),
    ("Cape Coral Police Department", "Municipality", False),
    ("City of Hialeah Jail", None, False),
    ("Pinal County Attorney's Office", "County", False),
    ("Galveston County Constable's Office Pct.4", "County", False),
])  # fmt: skip
def test_county_level_agencies(name, jtype, county_level):
    assert coverage.is_county_agency(name, jtype) is county_level


@pytest.mark.parametrize(("spec", "field"), [
    ({"statistic": "population_covered", "unit": "agencies"}, "unit"),
    ({"statistic": "population_covered", "county": "Lee County", "state": "FL"}, "statistic"),
    ({"statistic": "population_share", "denominator": "all"}, "denominator"),
    ({"statistic": "population_covered", "by": "county"}, "by"),
    ({"source": "trac-county", "unit": "cases_per_resident", "statistic": "breakdown"}, "unit"),
])  # fmt: skip
def test_bad_population_measures_name_their_field(spec, field):
    with pytest.raises(UsageError, match=rf"measure\.{field}:"):
        M.Measure.from_mapping(spec)


# ---------------------------------------------------------------- backlog per 1,000 residents


def test_backlog_table_rates_ranks_status_and_unjoined(panel):
    t = backlog.county_table(panel, DAY).set_index("fips")
    assert len(t) == len(TRAC)  # none dropped
    # 1,000/5,000 -> 200; 80/800 and 40/400 -> 100 (tied); 100/2,000 -> 50; 0/40 -> 0
    assert t["per_1000"].dropna().to_dict() == {"48201": 200.0, "12021": 100.0, "12071": 100.0, "12086": 50.0, "13145": 0.0}
    assert t["rank"].dropna().astype(int).to_dict() == {"48201": 1, "12021": 2, "12071": 2, "12086": 4, "13145": 5}
    assert t.loc["48201", ["status", "models_287g"]].tolist() == [coverage.STATUS_COUNTY, "WSO"]
    assert t.loc["12071", ["status", "models_287g"]].tolist() == [coverage.STATUS_COUNTY, "JEM;TFM"]
    assert t.loc["12021", "status"] == coverage.STATUS_LOCAL  # Naples PD only
    assert t.loc["13145", "status"] == coverage.STATUS_NONE  # Harris County GA, not TX
    assert t.loc["09003", "unjoined_reason"].startswith("Connecticut") and pd.isna(t.loc["09003", "rank"])
    assert t.loc["72127", "unjoined_reason"].startswith("Puerto Rico")
    # on 2025-01-20 only Harris TX had an agreement
    early = backlog.county_table(panel, "2025-01-20").set_index("fips")["status"]
    assert early[early == coverage.STATUS_COUNTY].index.tolist() == ["48201"]


def test_backlog_measure_ranks_and_lists_unjoined(panel):
    e = ev(panel, source="trac-county", unit="cases_per_1000", statistic="top_n", n=1)
    assert e.value == ["Harris County, TX"]
    b = ev(panel, source="trac-county", unit="cases_per_1000", statistic="breakdown")
    assert list(b.value) == ["Harris County, TX", "Collier County, FL", "Lee County, FL", "Miami-Dade County, FL",
                             "Harris County, GA"]  # fmt: skip
    assert b.detail["unjoined"] == ["Hartford County, CT", "San Juan Municipio, PR"]
    assert len(b.evidence) == len(TRAC) and set(b.evidence["file"]) == {"ice_287g/participating_2025-06-16.xlsx"}
    assert b.snapshot["file"] == "ice_287g/participating_2025-06-16.xlsx"  # the sheet the status is from


@pytest.mark.filterwarnings("ignore::statsmodels.tools.sm_exceptions.PerfectSeparationWarning")  # an exact fit, on purpose
def test_model_recovers_a_known_rate_ratio():
    """Counties with a county agreement have exactly twice the rate of the others in their state."""
    rows = []
    for s, base in (("AA", 1.0), ("BB", 3.0), ("CC", 0.5)):
        for i in range(6):
            pop = 1000 * (i + 1)
            covered = i % 2 == 0
            rate = base * (2 if covered else 1)
            rows.append({"fips": f"{s}{i}", "state": s, "pending": int(rate * pop), "population_2024": pop,
                         "per_1000": rate * 1000, "status": coverage.STATUS_COUNTY if covered else coverage.STATUS_NONE})  # fmt: skip
    fit = backlog.fit_model(pd.DataFrame(rows).astype({"population_2024": "Int64"}))
    ratio = fit.rate_ratios.set_index("term").loc[coverage.STATUS_COUNTY, "rate_ratio"]
    assert ratio == pytest.approx(2.0, rel=1e-6)
    assert fit.n == 18 and fit.n_states == 3 and "association" in fit.assumptions
    assert "2.00 times" in backlog.describe_model(fit)[0]


def test_figure_is_byte_stable(panel, tmp_path):
    from analysis.analyses import figures

    t = backlog.county_table(panel, DAY)
    outs = []
    for name in ("a", "b"):
        fig, _ = figures.backlog_figure(t, DAY, "ice_287g/participating_2025-06-16.xlsx", top_n=5)
        outs += figures.save_figure(fig, tmp_path / name, formats=("png",))
    assert outs[0].read_bytes() == outs[1].read_bytes()


# ---------------------------------------------------------------- claims files and query


CLAIMS = """
[[claim]]
id = "pop"
date = "2025-06-16"
measure = { statistic = "population_share", model = "JEM" }
claimed = "1/3"
comparison = "at_least"

[[claim]]
id = "backlog"
date = "2025-06-16"
measure = { source = "trac-county", unit = "cases_per_1000", statistic = "top_n", n = 1 }
claimed = ["Harris County, TX"]
comparison = "set_equal"
"""


def test_claims_files_judge_both_measures(panel, tmp_path):
    f = tmp_path / "c.toml"
    f.write_text(CLAIMS)
    rows = {r["id"]: r for r in check.judge(check.load(f), panel)}
    assert rows["pop"]["reproduced"] == round(2800 / US, 6) and rows["pop"]["verdict"] == "not supported"
    assert f"{US:,} residents" in rows["pop"]["note"]
    assert rows["backlog"]["verdict"] == "supported"


@pytest.fixture
def project(tmp_path, monkeypatch):
    write_project(tmp_path)
    monkeypatch.setattr(paths, "PROCESSED_DIR", tmp_path)
    return tmp_path


def test_query_measure(project, capsys):
    from analysis.cli import main

    assert main(["query", "--measure", "population-covered", "--as-of", DAY, "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["value"] == 7800 and [r["county_fips"] for r in out["rows"]] == ["12071", "12086", "48201"]
    assert main(["query", "--measure", "backlog-per-1000", "--as-of", DAY, "--top", "2"]) == 0
    text = capsys.readouterr().out
    assert "Harris County" in text and "Hartford County, CT" in text  # the unjoined are listed
    # issue 22.10: without --top every county is listed, those without a population unranked (a TypeError before)
    assert main(["query", "--measure", "backlog-per-1000", "--as-of", DAY]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.lstrip().startswith("09003")]
    assert len(rows) == 1 and "none" in rows[0]


@pytest.mark.parametrize(("argv", "message"), [
    (["--as-of", DAY, "--top", "3"], "--top needs --measure"),
    (["--as-of", DAY, "--model", "XYZ"], "--model: 'XYZ' is not a model"),
    (["--as-of", DAY, "--state", ""], "--state: empty value"),
    (["--as-of", DAY, "--state", "Narnia"], "Narnia"),
    (["--measure", "backlog-per-1000", "--as-of", DAY, "--state", "FL"], "takes only"),
    (["--measure", "population-covered", "--as-of", DAY, "--top", "3"], "--top applies to"),
    (["--measure", "population-covered", "--as-of", DAY, "--unit", "agencies"], "--unit does not apply"),
    (["--measure", "population-covered", "--as-of", DAY, "--model", "XYZ"], "--model: 'XYZ' is not a model"),
    # issue 22.10 and 22.19: a zero top and an empty list were read as "no limit" and "all"
    (["--measure", "backlog-per-1000", "--as-of", DAY, "--top", "0"], "--top must be a whole number of at least 1, not 0"),
    (["--measure", "population-covered", "--as-of", DAY, "--state", ""], "--state: empty value in ''"),
    (["--measure", "population-covered", "--as-of", DAY, "--model", " , "], "--model: empty value in ' , '"),
])  # fmt: skip
def test_query_measure_refuses_bad_arguments(project, capsys, argv, message):
    """Bad flags are one line and exit 2; --state and --model alone are a count, not an error."""
    from analysis.cli import main

    assert main(["query", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_query_counts_one_state_or_model_without_a_measure(project, capsys):
    """A basic question (how many in Texas? how many task-force agreements?) is the engine's count with
    that filter: the same number as the count by state or by model."""
    import json

    from analysis.cli import main

    assert main(["query", "--as-of", DAY, "--by", "state", "--format", "json"]) == 0
    by_state = {g["state"]: g["count"] for g in json.loads(capsys.readouterr().out)["groups"]}
    assert main(["query", "--as-of", DAY, "--state", "florida", "--format", "json"]) == 0
    fl = json.loads(capsys.readouterr().out)
    assert fl["total"] == by_state["FL"] and fl["state"] == ["FL"]
    assert main(["query", "--as-of", DAY, "--by", "model", "--format", "json"]) == 0
    by_model = {g["model"]: g["count"] for g in json.loads(capsys.readouterr().out)["groups"]}
    assert main(["query", "--as-of", DAY, "--model", "tfm", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == by_model["TFM"]


# ---------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def real_panel(missing_data):
    for name in ("agreements.parquet", "county_population.parquet", "place_county.parquet", "trac_county.parquet"):
        if not (paths.PROCESSED_DIR / name).exists():
            missing_data(f"data/processed/{name} not built")
    return M.Panel("curated")


@pytest.mark.integration
def test_population_covered_on_real_sheets(real_panel):
    newest = real_panel.newest("participating")["published"]
    results = {}
    for day in ("2025-01-20", newest):
        total = M.evaluate(M.Measure.from_mapping({"statistic": "population_covered"}), day, real_panel)
        by_model = M.evaluate(M.Measure.from_mapping({"statistic": "population_covered", "by": "model"}), day, real_panel)
        print(f"{day}: {total.display()} residents ({total.detail['share']:.1%} of {total.detail['population']:,}) "
              f"in {total.detail['counties']} counties; by model {by_model.display()}; {total.snapshot['file']}")  # fmt: skip
        assert total.detail["population"] == 340_110_988  # Census Vintage 2024, 50 states + DC
        assert total.evidence["county_fips"].is_unique and not total.detail["unjoined"]
        assert max(by_model.value.values()) <= total.value <= sum(by_model.value.values())
        results[day] = total
    assert results["2025-01-20"].value < results[newest].value  # the program grew
    harris = results[newest].evidence.set_index("county_fips")
    assert "12071" in harris.index and "17031" not in harris.index  # Lee FL yes; Cook IL has no sheriff agreement


@pytest.mark.integration
def test_backlog_per_resident_on_real_data(real_panel):
    newest = real_panel.newest("participating")["published"]
    table = backlog.county_table(real_panel, newest)
    print(table.head(10).to_string())
    assert len(table) == len(real_panel.trac())
    unjoined = table[table["per_1000"].isna()]
    assert set(unjoined["state"]) <= {"CT", "PR", "AK"} and (unjoined["state"] == "CT").sum() == 8
    nyc = table[table["fips"].isin(["36005", "36047", "36061", "36081", "36085"])]
    assert nyc["per_1000"].notna().all()  # each borough joined to its own county
    fit = backlog.fit_model(table)
    print("\n".join(backlog.describe_model(fit)))
    assert fit.n == len(table) - len(unjoined) and fit.n_states == 50  # 49 states and DC: Connecticut is unjoined
