"""The state table, the county rates, the statistics notebook's helpers and its report section.

Hand-computed values on tiny inputs; one integration test on the real processed tables
(built by `make test` before pytest runs)."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pandas as pd
import pytest

from analysis import paths, results, statistics
from analysis.analyses import state_panel
from analysis.publish import report_statistics



def _population():
    return pd.DataFrame({"state": ["AA", "BB", "CC", "PR"], "state_name": ["Aa", "Bb", "Cc", "Puerto Rico"],
                         "population_2024": [1_000_000, 2_000_000, 500_000, 3_000_000],
                         "is_state": [True, True, True, False]})  # fmt: skip


def _election():
    return pd.DataFrame({"state": ["AA", "BB", "CC"], "trump_share": [0.6, 0.4, 0.5],
                         "harris_share": [0.38, 0.58, 0.48], "trump_two_party_share": [0.61, 0.41, 0.51]})  # fmt: skip


def _trac():
    return pd.DataFrame({"state": ["AA", "BB", "CC"], "pending": [5_000, 30_000, 1_000]})


# ----------------------------------------------------------------------------- state table


def test_assemble_hand_values():
    agreements = pd.Series({"AA": 12, "CC": 1, "PR": 4})  # BB has none; PR is a territory
    agencies = pd.Series({"AA": 10, "CC": 1, "PR": 3})
    df = state_panel.assemble(agreements, agencies, _population(), _election(), _trac())
    assert df["state"].tolist() == ["AA", "BB", "CC"]  # PR dropped (is_state False)
    assert list(df.columns) == state_panel.COLUMNS
    row = df.set_index("state")
    assert row.loc["AA", "agreements"] == 12 and row.loc["AA", "agencies"] == 10
    assert row.loc["BB", "agreements"] == 0 and row.loc["BB", "any_agreement"] == 0
    assert row.loc["AA", "agreements_per_million"] == pytest.approx(12.0)
    assert row.loc["CC", "agreements_per_million"] == pytest.approx(2.0)  # 1 / 0.5 million
    assert row.loc["BB", "pending_per_1000"] == pytest.approx(15.0)  # 30,000 / 2,000,000 * 1,000
    assert row.loc["AA", "trump_share"] == 0.6
    assert not row["south"].any() and not row["axios_five"].any()


def test_assemble_refuses_a_missing_state():
    with pytest.raises(ValueError, match=r"election table has no row for: \['CC'\]"):
        state_panel.assemble(pd.Series({"AA": 1}), pd.Series({"AA": 1}), _population(), _election().iloc[:2], _trac())
    with pytest.raises(ValueError, match="TRAC state table has no row for"):
        state_panel.assemble(pd.Series({"AA": 1}), pd.Series({"AA": 1}), _population(), _election(), _trac().iloc[1:])


def test_south_and_axios_five_labels():
    assert state_panel.SOUTH >= set(state_panel.AXIOS_FIVE)  # all five named states are southern
    assert len(state_panel.SOUTH) == 17 and "DC" in state_panel.SOUTH  # Census Region 3: 16 states + DC


def test_state_pending_rates_sorted():
    df = state_panel.assemble(pd.Series(dtype="int64"), pd.Series(dtype="int64"), _population(), _election(), _trac())
    rates = state_panel.state_pending_rates(df)
    assert rates["state"].tolist() == ["BB", "AA", "CC"]  # 15, 5, 2 per 1,000
    assert state_panel.state_pending_rates(df, top_n=1)["state"].tolist() == ["BB"]


# ----------------------------------------------------------------------------- statistics helpers


def _tables():
    """Four sheets (two on one day, am then pm) as statistics.sheet_tables gives them: a breakdown by state."""
    sheets = [("s1", dt.date(2025, 1, 1), "", 1, {"FL": 5, "TX": 3, "GU": 2}),
              ("s2am", dt.date(2025, 2, 1), "am", 1, {"FL": 5, "TX": 5}),
              ("s2pm", dt.date(2025, 2, 1), "pm", 2, {"TX": 6, "FL": 4, "GA": 2}),
              ("s3", dt.date(2025, 3, 1), "", 1, {"TX": 6, "FL": 3, "GA": 3})]  # fmt: skip
    tables = pd.DataFrame([{"snapshot_id": sid, "file": f"x/{sid}.xlsx", "published": d, "edition": e, "edition_order": o, "value": v}
                           for sid, d, e, o, v in sheets])  # fmt: skip
    shares = tables.assign(value=[Fraction(v.get("FL", 0), sum(v.values())) for v in tables["value"]])
    return tables, shares


def test_last_edition_per_day_keeps_the_pm_sheet():
    out = statistics.last_edition_per_day(_tables()[0])
    assert out["snapshot_id"].tolist() == ["s1", "s2pm", "s3"]


def test_concentration_over_time_hand_values():
    t = statistics.concentration_over_time(*_tables(), "agreements").set_index("snapshot_id")
    assert list(t.index) == ["s1", "s2am", "s2pm", "s3"]
    # s1: FL 5 of 10 (GU counts in the total), HHI 50^2 + 30^2 + 20^2 = 3800, 2 states (GU is a territory)
    assert t.loc["s1", "florida_share"] == pytest.approx(0.5)
    assert t.loc["s1", "hhi"] == pytest.approx(3800) and t.loc["s1", "effective_states"] == pytest.approx(10_000 / 3800)
    assert t.loc["s1", "states_with_any"] == 2 and t.loc["s1", "total"] == 10
    assert t.loc["s2pm", "florida_share"] == pytest.approx(1 / 3)
    assert t.loc["s2pm", "top5_share"] == pytest.approx(1.0)
    assert t.loc["s3", "top5_states"] == "TX, FL, GA"


def test_florida_crossing_brackets_by_day():
    t = statistics.concentration_over_time(*_tables(), "agreements")
    c = statistics.florida_crossing(t)
    # daily series (pm wins on 2025-02-01): 0.5, 1/3 (exactly: not below), 0.25
    assert (c["last_at_or_above"], c["first_below"]) == ("2025-02-01", "2025-03-01")
    assert c["width_days"] == 28 and c["stays_below"] is True and c["first_crossing"] is None
    assert c["share_after"] == pytest.approx(0.25) and c["snapshots"] == 3
    assert "fell below one third within those 28 days and stayed below" in report_statistics.crossing_sentence(c, "Test")
    assert statistics.florida_crossing(t, threshold=0.1) is None
    assert "never fell below" in report_statistics.crossing_sentence(None, "Test")


def test_per_capita_ranking_ties_share_the_best_rank():
    panel = state_panel.assemble(pd.Series({"AA": 2, "BB": 4, "CC": 1}), pd.Series({"AA": 2, "BB": 4, "CC": 1}),
                                 _population(), _election(), _trac())  # fmt: skip
    r = statistics.per_capita_ranking(panel).set_index("state")
    assert r["rank_count"].to_dict() == {"BB": 1, "AA": 2, "CC": 3}
    # per million: AA 2, BB 2, CC 2 -> all tied at rank 1
    assert r["rank_per_million"].tolist() == [1, 1, 1]


# ----------------------------------------------------------------------------- report section and notebook


def test_section_html_without_results(tmp_path):
    html = report_statistics.section_html(tmp_path)
    assert "has not been run" in html and "<img" not in html


def test_section_reads_the_results_file_and_names_its_sheets(tmp_path):
    res = [
        results.Result("stats_sheets", [{"role": "in force on 2025-06-16", "file": "ice/participating_2025-06-16_pm.xlsx",
                                         "published": "2025-06-16", "panel": "archive"}], "sheets", "2025-06-16", "x",
                       {"uncertainty": "What the uncertainty is about."}),
        results.Result("stats_concentration_sentences", ["Florida held <35.6%>."], "sentences", "2025-06-16", "x"),
        results.Result("stats_figures", [{"name": "stats_rate_ratio_forest", "caption": "Ratios & intervals"}], "figures",
                       "2025-06-16", "reports/figures"),
    ]  # fmt: skip
    results.save(paths.Project.at(tmp_path), "statistics", res, tmp_path)
    sec = report_statistics.section(tmp_path)
    assert sec["sheets"][0]["file"] == "ice/participating_2025-06-16_pm.xlsx" and sec["intro"].startswith("What the uncertainty")
    assert sec["groups"] == [{"heading": "Concentration", "items": ["Florida held <35.6%>."]}]
    assert sec["figures"] == [{"name": "stats_rate_ratio_forest", "caption": "Ratios & intervals", "src": "figures/stats_rate_ratio_forest.png"}]
    html = report_statistics.section_html(tmp_path)
    assert "Sheets used: ice/participating_2025-06-16_pm.xlsx (in force on 2025-06-16)" in html
    assert "Florida held &lt;35.6%&gt;." in html  # escaped
    assert "<img src='figures/stats_rate_ratio_forest.png' alt='Ratios &amp; intervals'>" in html


def _ratio(r, lo, hi):
    return pd.Series({"ratio": r, "ci_low": lo, "ci_high": hi})


def test_axios_sentences_follow_the_intervals():
    five = pd.DataFrame({"state": ["TX", "FL"], "rank_count": [2, 1], "rank_per_million": [9, 1]})
    reading = statistics.AxiosReading(
        total=200, five_share=0.5, sheet="2025-06-16", five=five, vote=_ratio(1.5, 1.1, 2.0),
        vote_without_fl=_ratio(1.2, 0.9, 1.6), vote_agencies=_ratio(1.3, 1.0, 1.7), vote_later=_ratio(1.4, 1.05, 1.9),
        later_sheet="2026-05-18", five_in_top5_per_million=["FL"], pending=_ratio(0.8, 0.6, 0.95),
        pending_without_fl=_ratio(0.9, 0.7, 1.2))  # fmt: skip
    lines = report_statistics.axios_sentences(reading)
    assert lines[0].startswith("By count, the five named states (TX, FL, GA, NC, VA) hold 50.0% of the 200 agreements")
    assert "their count ranks are TX #2, FL #1; per million residents they rank TX #9, FL #1." in lines[0]
    assert "have higher agreement rates: 1.50 times per 10 points (95% interval 1.10 to 2.00); without Florida 1.20" in lines[1]
    assert "1 (FL) also ranks in the top five per million residents: their lead is mostly a lead in counts" in lines[2]
    assert "the data contradict" in lines[3] and "go with a lower agreement rate" in lines[4]
    assert "without Florida, no clear difference" in lines[4] and "rests on Florida alone" in lines[4]
    assert "post-treatment" in lines[5]
    assert statistics.direction(_ratio(1.0, 0.9, 1.1)) == "not clearly different"


# ----------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def engine(missing_data):
    from analysis.engine import measures

    if not (paths.project().processed / "archive" / "snapshots.parquet").is_file():
        missing_data("archive panel not built (make test builds it first)")
    return measures.Panel.default(paths.project())


@pytest.mark.integration
def test_real_state_panel_reads_the_engine(engine):
    from analysis.engine import measures

    table, info = state_panel.build("2025-06-16", engine)
    assert len(table) == 51 and table["state"].is_unique and table.notna().all().all()
    total = measures.evaluate(measures.Measure(), "2025-06-16", engine)
    assert info["snapshot_file"] == total.snapshot["file"]  # the claims' sheet for that day, not an older one
    assert table["agreements"].sum() + sum(info["territories_left_out"].values()) == total.value
    election = pd.read_parquet(paths.project().processed / "election_2024.parquet")
    assert election["trump_votes"].sum() == 77_302_593 and election["harris_votes"].sum() == 75_017_648
    assert table["pending_cases"].sum() == 3_475_298
    fl = table.set_index("state").loc["FL"]
    assert fl["agreements_per_million"] == pytest.approx(fl["agreements"] / fl["population"] * 1e6)
