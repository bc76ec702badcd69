"""Issue 13's findings, each pinned: the claims table takes its numbers from the engine and judges them fairly."""

from __future__ import annotations

import pytest

from analysis import claim_registry, claims
from analysis.factcheck import judge, verdicts


def test_a_publications_figure_is_context_not_a_verdict():
    # finding 1: Harris "led the nation" was "supported" by ranking Axios's own figure first of one
    harris = claim_registry.get_claim("catn-harris-led-removal-orders")
    found = {harris.quantity: {"value": {"Harris County, TX": 2460}, "source": "published_reference_figures/x.csv"}}
    row = claims.evaluate_one(harris, found)
    assert row["verdict"] == verdicts.NOT_CHECKABLE
    assert row["reproduced_value"] is None and row["snapshot"] == ""
    assert "context" in row["note"] and "New York City combined" not in row["note"]


def test_policy_claims_have_no_reproduced_value():
    # finding 5: the reimbursement claims' "reproduced" values were the printed figures typed back
    for c in claim_registry.claims_for_notebook("reimbursement"):
        row = claims.evaluate_one(c, {c.quantity: {"value": c.claimed_value, "source": "calculator"}})
        assert row["verdict"] == verdicts.NOT_CHECKABLE and row["reproduced_value"] is None, c.id


@pytest.mark.parametrize("cid", ["catn-miami-dade-largest-backlog", "catn-cook-la-close-behind"])
def test_county_claims_are_not_downgraded_by_a_merge_the_sentence_rules_out(cid):
    # finding 3: "At the county level" — New York City's five counties combined is context only
    c = claim_registry.get_claim(cid)
    table = {"Miami-Dade County, FL": 150_000, "Cook County, IL": 90_000, "Los Angeles County, CA": 80_000,
             "Queens County, NY": 70_000, "Kings County, NY": 60_000, "New York County, NY": 30_000,
             "Bronx County, NY": 30_000, "Richmond County, NY": 5_000}  # NYC combined: 195,000, above Miami-Dade
    row = claims.evaluate_one(c, {c.quantity: {"value": table, "source": "trac"}})
    assert row["verdict"] == verdicts.SUPPORTED, row["note"]
    assert "merge" not in c.comparison
    assert "undated" in row["caveat"]  # shown where the number is shown (report block), not only under Methods


def test_the_claim_page_shows_the_caveat_sheet_and_evidence(tmp_path):
    from analysis.publish.site import claim_pages
    from analysis.publish.site.inputs import Inputs
    from analysis.publish.site.render import Site

    (tmp_path / "evidence").mkdir()
    (tmp_path / "evidence" / "x.csv").write_text(
        "snapshot_id,file,row,state_raw,agency_raw,support_type_raw,county_raw,state,agency_id,model,agreement_id\n"
        "s,ice_287g/s.xlsx,7,TEXAS,Harris County Sheriff's Office,Task Force Model,Harris,TX,TX:h,TFM,TX:h:TFM:x\n")
    row = {"id": "x", "article": "breitbart-2025-09-03", "verdict": "supported", "quote": "q", "quote_verbatim": False,
           "source": "Outlet, 2025-01-01", "article_date": "2025-01-01", "claimed_value": 1, "reproduced_value": 1,
           "unit": "agreements", "as_of": "2025-01-01", "snapshot": "ice_287g/s.xlsx", "published": "2024-12-30",
           "edition": "pm", "sha256": "ab" * 32, "evidence": "evidence/x.csv", "rows": 1, "rows_by_state": {"TX": 1},
           "note": "n", "caveat": "TRAC's county table is undated", "notebook": "growth"}  # fmt: skip
    site = Site(tmp_path / "site")
    page = site.render("claim.html.j2", "claims/x.html", title="x", chart="", **claim_pages.claim_context(row, Inputs(tmp_path, [row])))
    assert "TRAC&#39;s county table is undated" in page
    assert "published 2024-12-30 (pm)" in page and f'title="{"ab" * 32}">abababababab…</code>' in page  # short, whole on hover
    assert '<a href="../evidence/x.csv" download>' in page and "Harris County Sheriff&#39;s Office" in page
    assert "\u201cq\u201d" not in page and "paraphrase" in page  # only verbatim quotes get quotation marks
    assert "breitbart.com/politics/2025/09/03" in page  # the article's URL from the registry


def test_a_big_share_is_read_as_a_share_not_a_top_five_set():
    # finding 4: "a big share of the agreements ... clustered in five states" was judged as an exact top five
    c = claim_registry.get_claim("catn-five-states-cluster")
    assert c.measure.statistic == "share" and set(c.measure.state) == {"TX", "FL", "GA", "NC", "VA"}
    assert c.comparison_type == "share_above"
    assert judge.verdict(c.core, 0.56).verdict == verdicts.SUPPORTED


def test_what_if_dates_move_only_the_articles_now_claims():
    c = claim_registry.get_claim("voz-1001-agreements")
    fixed = claim_registry.get_claim("voz-135-agreements-at-inauguration")
    assert claims.claim_date(c, {"voz_date": "2025-09-23"}).isoformat() == "2025-09-23"
    assert claims.claim_date(fixed, {"voz_date": "2025-09-23"}) == fixed.as_of
    assert claims.claim_date(c, {"voz_date": None}) == c.as_of  # None: the registry's date
    with pytest.raises(Exception, match="unknown date parameter"):
        claims.measured_results("growth", dates={"voz_dat": "2025-09-23"}, panel=object())
