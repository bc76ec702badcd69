"""The state table, the county rates, the statistics notebook's helpers and its report section.

Hand-computed values on tiny inputs; one integration test on the real processed tables
(built by `make test` before pytest runs)."""

from __future__ import annotations

import datetime as dt
import os

import numpy as np
import pandas as pd
import pytest

from analysis import paths, results, statistics
from analysis.engine import query
from analysis.analyses import state_panel
from analysis.publish import report_statistics

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


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


def test_county_rates_with_and_without_population():
    counties = pd.DataFrame({"fips": ["01001", "36005", "06037", "12086"], "state": ["AL", "NY", "CA", "FL"],
                             "county": ["A", "Bronx County", "Los Angeles County", "Miami-Dade County"],
                             "pending": [100, 5_000, 5_000, 9_000], "is_nyc": [False, True, False, False]})  # fmt: skip
    top = state_panel.county_rates(counties, top_n=3)
    assert top["fips"].tolist() == ["12086", "06037", "36005"]  # tie at 5,000 ordered by FIPS
    assert top["rank"].tolist() == [1, 2, 3] and "pending_per_1000" not in top.columns
    pop = pd.DataFrame({"fips": ["12086", "06037", "36005"], "population": [2_700_000, 10_000_000, 1_250_000]})
    rated = state_panel.county_rates(counties, pop, top_n=3).set_index("fips")
    assert rated.loc["36005", "pending_per_1000"] == pytest.approx(4.0)
    assert rated.loc["06037", "pending_per_1000"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="no county population for FIPS"):
        state_panel.county_rates(counties, pop.iloc[:2], top_n=3)
    with pytest.raises(ValueError, match="top_n"):
        state_panel.county_rates(counties, top_n=0)


def test_read_county_population(tmp_path):
    path = tmp_path / "co-est.csv"
    path.write_text("SUMLEV,STATE,COUNTY,STNAME,CTYNAME,POPESTIMATE2024\n"
                    "040,36,000,New York,New York,19867248\n"
                    "050,36,5,New York,Bronx County,\"1,384,724\"\n"
                    "050,6,037,California,Los Angeles County,9757179\n", encoding="latin-1")  # fmt: skip
    pop = state_panel.read_county_population(path)
    assert pop.to_dict("records") == [{"fips": "36005", "population": 1384724},
                                      {"fips": "06037", "population": 9757179}]  # fmt: skip
    path.write_text("SUMLEV,STATE,COUNTY,POPESTIMATE2024\n050,36,005,n/a\n")
    with pytest.raises(ValueError, match="non-numeric"):
        state_panel.read_county_population(path)


def test_state_pending_rates_sorted():
    df = state_panel.assemble(pd.Series(dtype="int64"), pd.Series(dtype="int64"), _population(), _election(), _trac())
    rates = state_panel.state_pending_rates(df)
    assert rates["state"].tolist() == ["BB", "AA", "CC"]  # 15, 5, 2 per 1,000
    assert state_panel.state_pending_rates(df, top_n=1)["state"].tolist() == ["BB"]


# ----------------------------------------------------------------------------- statistics helpers


def _long_counts():
    """Three sheets (two on one day, am then pm), counts by state, in query's shape."""
    rows = []
    sheets = [("s1", dt.date(2025, 1, 1), "", 1, {"FL": 5, "TX": 3, "GU": 2}),
              ("s2am", dt.date(2025, 2, 1), "am", 1, {"FL": 5, "TX": 5}),
              ("s2pm", dt.date(2025, 2, 1), "pm", 2, {"FL": 4, "TX": 6, "GA": 2}),
              ("s3", dt.date(2025, 3, 1), "", 1, {"FL": 3, "TX": 6, "GA": 3})]  # fmt: skip
    for sid, published, edition, order, counts in sheets:
        for state, n in counts.items():
            rows.append({"snapshot_id": sid, "published": published, "edition": edition, "edition_order": order,
                         "state": state, "agreements": n, "agencies": n})  # fmt: skip
    return pd.DataFrame(rows)


def test_last_edition_per_day_keeps_the_pm_sheet():
    out = statistics.last_edition_per_day(_long_counts())
    assert sorted(out["snapshot_id"].unique()) == ["s1", "s2pm", "s3"]


def test_concentration_from_counts_hand_values():
    t = statistics.concentration_from_counts(_long_counts(), "agreements").set_index("snapshot_id")
    assert list(t.index) == ["s1", "s2am", "s2pm", "s3"]
    # s1: FL 5 of 10 (GU counts in the total), HHI 50^2 + 30^2 + 20^2 = 3800, 2 states (GU is a territory)
    assert t.loc["s1", "florida_share"] == pytest.approx(0.5)
    assert t.loc["s1", "hhi"] == pytest.approx(3800)
    assert t.loc["s1", "states_with_any"] == 2 and t.loc["s1", "total"] == 10
    # s2pm: FL 4 of 12, top five = everything
    assert t.loc["s2pm", "florida_share"] == pytest.approx(1 / 3)
    assert t.loc["s2pm", "top5_share"] == pytest.approx(1.0)
    assert t.loc["s3", "top5_states"] == "TX, FL, GA"


def test_florida_crossing_brackets_by_day():
    t = statistics.concentration_from_counts(_long_counts(), "agreements")
    c = statistics.florida_crossing(t)
    # daily series (pm wins on 2025-02-01): 0.5, 1/3 (exactly: not below), 0.25
    assert (c["last_at_or_above"], c["first_below"]) == ("2025-02-01", "2025-03-01")
    assert c["width_days"] == 28 and c["stays_below"] is True and c["first_crossing"] is None
    assert c["share_after"] == pytest.approx(0.25) and c["snapshots"] == 3
    assert "fell below one third within those 28 days and stayed below" in report_statistics.crossing_sentence(c, "Test")
    assert statistics.florida_crossing(t, threshold=0.1) is None
    assert "never fell below" in report_statistics.crossing_sentence(None, "Test")


def test_archive_concentration_optional(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "PROCESSED_DIR", tmp_path)  # the archive panel is PROCESSED_DIR/archive
    assert statistics.archive_tables() is None and statistics.archive_concentration() is None
    (tmp_path / "archive").mkdir()
    snaps = pd.DataFrame({"snapshot_id": ["a0", "a1", "a2"], "kind": ["participating"] * 3,
                          "published": pd.to_datetime(["2024-06-01", "2025-03-01", "2025-03-05"]),
                          "edition": ["", "", ""], "edition_order": [1, 1, 1]})  # fmt: skip
    rows = [("a0", "TX"), ("a1", "FL"), ("a1", "FL"), ("a1", "TX"), ("a2", "FL"), ("a2", "TX"), ("a2", "GA"), ("a2", "GA")]
    agreements = pd.DataFrame({"snapshot_id": [r[0] for r in rows], "state": [r[1] for r in rows],
                               "row": range(len(rows)), "agency_id": [f"{r[1]}:{i}" for i, r in enumerate(rows)]})  # fmt: skip
    snaps.to_parquet(tmp_path / "archive" / "snapshots.parquet")
    agreements.to_parquet(tmp_path / "archive" / "agreements.parquet")
    t = statistics.archive_concentration("agreements")
    assert t["snapshot_id"].tolist() == ["a1", "a2"]  # the 2024 sheet is before the cut-off
    c = statistics.florida_crossing(t)
    assert (c["last_at_or_above"], c["first_below"], c["width_days"]) == ("2025-03-01", "2025-03-05", 4)


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


def test_section_html_reads_the_results_file(tmp_path):
    res = [
        results.Result("stats_concentration_agreements", [
            {"published": "2025-01-19", "florida_share": 0.3556, "top5_share": 0.7556, "hhi": 1856.2, "states_with_any": 21},
            {"published": "2026-05-18", "florida_share": 0.1888, "top5_share": 0.5567, "hhi": 983.2, "states_with_any": 38},
        ], "agreements", "2026-05-18", "sheets"),
        results.Result("stats_florida_below_one_third_agreements_curated", {}, "agreements", "2025-09-15", "sheets",
                       {"sentence": "Curated snapshots: fell below <one third>."}),
        results.Result("stats_figures", [{"name": "rate_ratio_forest", "caption": "Ratios & intervals"}], "figures",
                       "2025-06-16", "reports/figures"),
    ]  # fmt: skip
    results.save("statistics", res, tmp_path)
    html = report_statistics.section_html(tmp_path)
    assert "Florida held 35.6% of agreements on the sheet of 2025-01-19 and 18.9% on 2026-05-18" in html
    assert "HHI from 1,856 to 983" in html
    assert "fell below &lt;one third&gt;." in html  # escaped
    assert "<img src='figures/rate_ratio_forest.png' alt='Ratios &amp; intervals'>" in html


def _ratio(r, lo, hi):
    return pd.Series({"ratio": r, "ci_low": lo, "ci_high": hi})


def test_axios_sentences_follow_the_intervals():
    five = pd.DataFrame({"state": ["TX", "FL"], "rank_count": [2, 1], "rank_per_million": [9, 1]})
    reading = statistics.AxiosReading(
        total=200, five_share=0.5, sheet="2025-06-16", five=five, vote=_ratio(1.5, 1.1, 2.0),
        vote_without_fl=_ratio(1.2, 0.9, 1.6), vote_later=_ratio(1.4, 1.05, 1.9), later_sheet="2026-05-18",
        five_in_top5_per_million=["FL"], pending=_ratio(0.8, 0.6, 0.95))  # fmt: skip
    lines = report_statistics.axios_sentences(reading)
    assert lines[0].startswith("By count, the five named states (TX, FL, GA, NC, VA) hold 50.0% of the 200 agreements")
    assert "their count ranks are TX #2, FL #1; per million residents they rank TX #9, FL #1." in lines[0]
    assert "have higher agreement rates: 1.50 times per 10 points (95% CI 1.10 to 2.00); without Florida 1.20" in lines[1]
    assert "1 (FL) also ranks in the top five per million residents: their lead is mostly a lead in counts" in lines[2]
    assert "the data contradict" in lines[3] and "go with a lower agreement rate" in lines[4]
    assert statistics.direction(_ratio(1.0, 0.9, 1.1)) == "not clearly different"


# ----------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def processed():
    if not (paths.PROCESSED_DIR / "agreements.parquet").is_file():
        if IN_CI:
            pytest.fail("processed tables missing under CI (make test builds them first)")
        pytest.skip("processed tables not built")
    yield


@pytest.mark.integration
def test_real_state_panel(processed):
    panel, info = state_panel.build("2025-06-16")
    assert len(panel) == 51 and panel["state"].is_unique and panel.notna().all().all()
    total = query.count("2025-06-16")
    assert panel["agreements"].sum() + sum(info["territories_left_out"].values()) == total["total"]
    assert int(panel["any_agreement"].sum()) == total["states"]
    # MANIFEST check: summing the 50 states + DC gives Trump 77,302,593 and Harris 75,017,648
    election = pd.read_parquet(paths.PROCESSED_DIR / "election_2024.parquet")
    assert election["trump_votes"].sum() == 77_302_593 and election["harris_votes"].sum() == 75_017_648
    # MANIFEST: TRAC state table sums to 3,475,298 pending cases
    assert panel["pending_cases"].sum() == 3_475_298
    fl = panel.set_index("state").loc["FL"]
    assert fl["agreements_per_million"] == pytest.approx(fl["agreements"] / fl["population"] * 1e6)


@pytest.mark.integration
def test_real_concentration_matches_the_concentration_module(processed):
    from analysis import concentration

    ours = statistics.concentration_over_time("agreements")
    theirs = concentration.florida_share_series("agreements", source=statistics.SOURCE)
    merged = ours.merge(theirs, on="snapshot_id", suffixes=("", "_c"))
    assert len(merged) == len(theirs) == len(query.snapshots("participating", source=statistics.SOURCE))
    np.testing.assert_allclose(merged["florida_share"], merged["florida_share_c"])
    np.testing.assert_allclose(merged["top5_share"], merged["top5_share_c"])
    np.testing.assert_allclose(merged["hhi"], merged["hhi_c"])


# ----------------------------------------------------------------------------- figures


def test_new_figures_are_byte_stable_and_labelled(tmp_path, monkeypatch):
    from analysis import plots

    monkeypatch.setattr(plots, "FIG_DIR", tmp_path)
    plots.use_style()
    rows = pd.DataFrame({"model": ["Rate, all states", "Rate, all states", "Odds of any agreement"],
                         "label": ["Vote share", "Pending cases", "Vote share"], "ratio": [2.0, 1.1, 18.0],
                         "ci_low": [1.5, 0.8, 2.7], "ci_high": [3.2, 1.4, 127.0]})  # fmt: skip
    panel = state_panel.assemble(pd.Series({"AA": 2, "BB": 4, "CC": 1}), pd.Series({"AA": 2, "BB": 4, "CC": 1}),
                                 _population(), _election(), _trac())  # fmt: skip
    ranking = statistics.per_capita_ranking(panel)
    digests = []
    for _ in range(2):
        figs = [plots.rate_ratio_forest(rows, "2025-06-16", "2025-06-04 am"),
                plots.state_ranking(ranking, "agreements_per_million", "2025-06-16", "2025-06-04 am", top_n=3)]  # fmt: skip
        digests.append([(tmp_path / n).read_bytes() for n in ("rate_ratio_forest.png",
                                                              "state_ranking_agreements_per_million.png")])  # fmt: skip
    assert digests[0] == digests[1]
    for fig in figs:
        texts = {t.get_gid(): t.get_text() for t in fig.texts}
        assert fig.get_suptitle() and "2025-06-04 am" in texts["source"]
        assert fig.axes[0].get_xlabel()
    forest_ax = figs[0].axes[0]
    assert forest_ax.get_xscale() == "log" and "log scale" in forest_ax.get_xlabel()
    with pytest.raises(ValueError, match="column must be one of"):
        plots.state_ranking(ranking, "population", "2025-06-16", "x")
