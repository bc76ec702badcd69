"""The article extractor: each rule on sentences written for the test, the test articles under
tests/extract_articles/ (their expected claims), and the five captured articles (integration)."""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from pathlib import Path

import pytest

from analysis.factcheck import article_text, check, extract, extract_dates, extract_match, extract_numbers, extract_sentences
from analysis.factcheck.extract_rules import Context

HERE = Path(__file__).parent
OWN = HERE / "extract_articles"
DAY = dt.date(2025, 9, 3)
#: an independent reading of "a number": digits, and the number words a story uses
TOKEN = re.compile(r"\d+(?:[.,]\d+)*|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
                   r"hundred|hundreds|thousand|thousands|million|millions|billion|dozen|dozens|half|third|quarter|triple|"
                   r"double|twice)\b", re.I)  # fmt: skip


def drafts(sentence: str, day: dt.date = DAY, counties=None):
    f = article_text.fold(sentence)
    refs = extract_dates.find(f, day)
    figs = extract_numbers.figures(f, [(r.start, r.end) for r in refs])
    return extract_sentences.read(f, figs, refs, Context(day, True, counties or {}))


def one(sentence: str, **kw):
    found, _ = drafts(sentence, **kw)
    assert len(found) == 1, [(d.claimed, d.comparison, d.measure) for d in found]
    return found[0]


def ctype(d):
    return extract_match.ctype(d.comparison)


# --- figures, dates, comparisons, units ---------------------------------------------------------


def test_figures_in_digits_and_words():
    figs = extract_numbers.figures("nearly twenty-two agencies, a third of deals, 1,001 MOAs, $50,000, 641%, hundreds, a million")
    got = [(f.text, f.number, f.kind) for f in figs]
    assert ("twenty-two", 22, "count") in got and ("a third", "1/3", "fraction") in got and ("1,001", 1001, "count") in got
    assert ("$50,000", 50000, "money") in got and ("641%", 641, "percent") in got and ("hundreds", 200, "vague") in got
    assert ("a million", 1000000, "count") in got


@pytest.mark.parametrize(("text", "day"), [
    ("as of May 29, there were", "2025-05-29"), ("at the end of 2024 there were", "2024-12-31"),
    ("in December of 2024 there were", "2024-12-31"), ("when Trump took office in January there were", "2025-01-20"),
    ("this week DHS said", "2025-09-03"), ("now there are", "2025-09-03"), ("today there are", "2025-09-03"),
    ("last month ICE listed", "2025-08-31"), ("as of July 31, 2025, ICE had", "2025-07-31"),
])  # fmt: skip
def test_dates_resolved_from_the_words(text, day):
    refs = [r for r in extract_dates.find(text, DAY) if r.role == "at"]
    assert refs and refs[0].day.isoformat() == day


def test_a_year_after_the_article_is_a_target_not_a_day():
    refs = extract_dates.find("to hire 10,000 officers by 2029", DAY)
    assert refs[0].role == "target" and refs[0].day is None


@pytest.mark.parametrize(("sentence", "ctype_", "unit"), [
    ("Almost 500 sheriff's offices have signed 287(g) agreements.", "almost", "agencies"),
    ("More than 300 deals with ICE are in force.", "more_than", "agreements"),
    ("Just 90 police departments work with ICE.", "equal", "agencies"),
    ("About 700 MOAs are now active under 287(g).", "approx", "agreements"),
    ("At least 20 partnerships were signed with ICE.", "at_least", "agreements"),
])  # fmt: skip
def test_comparison_and_unit_from_the_wording(sentence, ctype_, unit):
    d = one(sentence)
    assert ctype(d) == ctype_ and d.measure["unit"] == unit
    assert d.also_units == (unit == "agencies")


def test_well_over_a_third_is_a_share_above_with_a_margin():
    d = one("Texas now holds well over a third of all 287(g) deals in the country.")
    assert d.measure == {"unit": "agreements", "statistic": "share", "state": "TX"}
    assert d.comparison == {"type": "share_above", "threshold": "1/3", "margin": 0.05}


def test_a_change_without_a_base_runs_from_inauguration():
    d = one("ICE's 287(g) agreements increased by 250% this year.")
    assert d.measure["statistic"] == "pct_change" and d.measure["since"] == "2025-01-20" and d.claimed == 250
    assert "no base date printed" in d.reading


def test_from_to_is_two_counts_on_two_days():
    found, _ = drafts("Since Trump took office, deals went from 135 agreements to 1,001.")
    assert {(d.claimed, d.date.isoformat()) for d in found} == {(135, "2025-01-20"), (1001, "2025-09-03")}


def test_a_split_by_model_is_a_breakdown_and_the_total_a_count():
    found, _ = drafts("As of July 31, 2025, ICE has 22 pending 287(g) applications - 11 for Jail Enforcement MOAs and "
                      "11 for Task Force Member agreements.")  # fmt: skip
    kinds = {ctype(d): d for d in found}
    assert kinds["breakdown"].claimed == {"JEM": 11, "TFM": 11}
    assert kinds["equal"].measure == {"kind": "pending"} and kinds["equal"].claimed == 22


def test_none_and_other_blue_states():
    found, _ = drafts("Nevada, Oregon, and several other blue states have none because their laws limit cooperation.")
    by = {ctype(d): d for d in found}
    assert by["none_in"].claimed == ["Nevada", "Oregon"]
    assert by["at_least"].measure["statistic"] == "states_without" and by["at_least"].claimed == 3
    assert by["at_least"].measure["state_group"] == "harris-2024"


def test_most_over_a_list_is_a_top_n_set():
    d = one("Sheriff's offices in Ohio, Indiana and Tennessee have signed the most 287(g) deals.")
    assert d.comparison == "set_equal" and d.measure["n"] == 3 and d.claimed == ["Ohio", "Indiana", "Tennessee"]


def test_places_like_is_a_rank_within():
    d = one("Local police are joining ICE, especially in places like Georgia and Alabama where leaders push cooperation.")
    assert d.comparison == {"type": "rank_within", "max_rank": 2} and d.claimed == ["Georgia", "Alabama"]


def test_pay_and_hiring_figures_are_policy():
    found, _ = drafts("ICE offers up to $25,000 signing bonuses and plans to hire 5,000 new officers by 2028.")
    assert {(ctype(d), d.claimed) for d in found} == {("policy", 25000), ("policy", 5000)}


def test_arrests_are_not_checkable_with_a_reason():
    d = one("An ICE operation in Tulsa led to more than 90 arrests.")
    assert ctype(d) == "not_checkable" and d.reason.startswith("arrests")


def test_a_figure_no_rule_maps_is_a_not_understood_claim():
    d = one("ICE said 17 Democratic mayors objected to the plan.")
    assert ctype(d) == "not_checkable" and d.reason.startswith("not understood")


def test_years_phone_numbers_and_the_programme_name_are_skipped_with_a_reason():
    found, skipped = drafts("Call 1-800-555-0100 about the 287(g) program of 2019.")
    assert not found
    assert {why for _, why in skipped} == {"a phone number", "the programme's name", "part of a date"}


def test_off_topic_sentences_are_skipped():
    f = article_text.fold("Seven tons of food were flown in five planes.")
    figs = extract_numbers.figures(f)
    found, skipped = extract_sentences.read(f, figs, [], Context(DAY, False, {}))
    assert not found and all(why.startswith("off topic") for _, why in skipped) and len(skipped) == 2


def test_a_county_names_an_agency_and_its_state():
    d = one("Voters in Wake County, North Carolina ousted a sheriff who backed cooperation with ICE.")
    assert d.measure == {"unit": "agreements", "agency": "Wake County", "state": "NC"}


def test_still_growing_is_a_rise_over_a_month():
    d = one("ICE keeps processing applications, showing the 287(g) program is still growing.")
    assert d.measure["statistic"] == "pct_change" and d.measure["since"] == "2025-08-03" and ctype(d) == "more_than"


# --- general rules found wanting on the own articles (issue 26), each on sentences of its own -----


def test_a_scope_phrase_before_a_count_claims_no_spread():
    d = one("Across the country, about 700 deals with ICE are in force.")
    assert d.measure == {"unit": "agreements"} and ctype(d) == "approx"


def test_a_multiplier_verb_is_a_change_and_its_words_set_the_comparison():
    d = one("Jail agreements with ICE have more than doubled since March 2025.")
    assert d.measure["statistic"] == "pct_change" and d.measure["since"] == "2025-03-01" and d.claimed == 100
    assert ctype(d) == "more_than"


def test_from_to_takes_any_comparison_word():
    found, _ = drafts("Since Trump took office, ICE deals went from roughly 140 agreements to nearly 1,100.")
    assert {(d.claimed, d.date.isoformat(), ctype(d)) for d in found} == {(140, "2025-01-20", "approx"), (1100, "2025-09-03", "almost")}


def test_a_quoted_source_dates_its_now():
    d = one("About 900 agencies now take part in 287(g), ICE said on Aug. 12.")
    assert d.date.isoformat() == "2025-08-12" and "when the source said it" in d.reading


def test_years_ago_and_a_clause_of_its_own_date_each_count():
    found, _ = drafts("Sheriffs in 41 states now work with ICE, up from 19 states three years ago.")
    assert {(d.claimed, d.date.isoformat()) for d in found} == {(41, "2025-09-03"), (19, "2022-09-03")}


def test_between_two_dates_is_the_base_and_the_day():
    d = one("Ohio sheriffs signed 12 new 287(g) agreements between March 1 and May 31.")
    assert d.measure == {"unit": "agreements", "statistic": "added", "since": "2025-03-01", "state": "OH"}
    assert d.date.isoformat() == "2025-05-31"


def test_a_second_clause_after_and_keeps_its_state_to_itself():
    found, _ = drafts("About 1,200 agreements with ICE are active, and sheriffs in Texas hold the most.")
    assert [d.measure for d in found if d.claimed == 1200] == [{"unit": "agreements"}]


@pytest.mark.parametrize(("sentence", "state", "rank"), [
    ("Tennessee ranks 7th in the nation for 287(g) agreements.", "TN", 7),
    ("Ohio ranks fourth among the states for ICE deals, behind Texas, Florida and Georgia.", "OH", 4),
])  # fmt: skip
def test_a_place_in_a_ranking_is_the_rank_of_the_state_before_it(sentence, state, rank):
    found, skipped = drafts(sentence)
    ranks = [d for d in found if ctype(d) == "rank"]
    assert [(d.measure["state"], d.claimed) for d in ranks] == [(state, rank)] and ranks[0].spans
    assert not [f for f, _ in skipped if f.kind == "ordinal"]


def test_a_noun_before_its_figure():
    d = one("Nationwide, ICE's task force agreements now total roughly 500.")
    assert d.measure == {"unit": "agreements", "model": "TFM"} and d.claimed == 500 and ctype(d) == "approx"
    found, _ = drafts("Alabama sheriffs hold 40 agreements with ICE, while Tennessee has 35.")
    assert {(d.claimed, d.measure.get("state")) for d in found} == {(40, "AL"), (35, "TN")}


@pytest.mark.parametrize(("sentence", "claimed", "ctype_", "group"), [
    ("Eleven states have yet to sign a 287(g) agreement.", 11, "equal", None),
    ("Among red states, at least four have no 287(g) agreements.", 4, "at_least", "trump-2024"),
])  # fmt: skip
def test_a_count_of_states_without_agreements(sentence, claimed, ctype_, group):
    d = one(sentence)
    assert d.measure["statistic"] == "states_without" and d.measure.get("state_group") == group
    assert (d.claimed, ctype(d)) == (claimed, ctype_)


def test_held_and_ended_agreements_by_an_agency_named_before_the_verb():
    d = one("Sheriff Ann Cole of Marion County, Oregon, said her office signed a warrant service officer agreement with ICE.")
    assert d.measure == {"unit": "agreements", "agency": "Marion County", "state": "OR", "model": "WSO"}
    d = one("The sheriff's office in Wake County, North Carolina, ended its 287(g) agreement in March.")
    assert d.measure == {"unit": "agreements", "agency": "Wake County", "statistic": "removed", "since": "2025-03-01", "state": "NC"}
    assert d.date.isoformat() == "2025-03-31"


def test_only_one_agency_in_a_state():
    found, _ = drafts("In Oregon, only the Marion County Sheriff's Office holds a 287(g) agreement.")
    assert {"unit": "agencies", "state": "OR"} in [d.measure for d in found]


def test_one_in_n_is_a_share():
    d = one("One in four of the nation's 287(g) agreements is in Texas.")
    assert d.measure == {"unit": "agreements", "statistic": "share", "state": "TX"} and d.claimed == "1/4"


def test_applications_awaiting_approval_are_pending():
    d = one("Some 60 applications to the 287(g) program are awaiting ICE's approval.")
    assert d.measure == {"kind": "pending"} and d.claimed == 60


def test_an_age_and_a_web_address_are_skipped_with_a_reason():
    found, skipped = drafts("Sheriff Bob Lee, 61, said ICE's list at https://www.ice.gov/287g is updated weekly.")
    assert not found and {why for _, why in skipped} >= {"a person's age (news style: 'Name, 58, said')", "part of a web address"}


def test_a_floor_dated_only_by_the_article_allows_for_a_release_ahead_of_the_sheet():
    assert one("ICE has more than 900 agreements.").comparison == {"type": "more_than", "partial_tolerance": 0.02}
    assert one("As of May 1, ICE had more than 900 agreements.").comparison == "more_than"


def test_a_table_row_is_read_with_its_header_and_caption(tmp_path):
    page = tmp_path / "t.md"
    page.write_text("# ICE's 287(g) partners\n\nAgreements by state on ICE's list of Aug. 29, 2025:\n\n"
                    "| State | Agreements | Pending applications |\n|---|---|---|\n| Ohio | 31 | 4 |\n| Total | 1,050 | 90 |\n")  # fmt: skip
    ex = extract.extract(page, date="2025-09-03")
    got = {(c["claimed"], json.dumps(c["measure"], sort_keys=True), c["date"]) for c in ex.claims}
    assert got == {(31, '{"state": "OH", "unit": "agreements"}', "2025-08-29"), (4, '{"kind": "pending", "state": "OH"}', "2025-08-29"),
                   (1050, '{"unit": "agreements"}', "2025-08-29"), (90, '{"kind": "pending"}', "2025-08-29")}  # fmt: skip
    assert not accounted_for(page, ex)


def test_markdown_underscore_emphasis_is_markup():
    assert "The Record, Sept. 22, 2025" in article_text._markdown("_The Record, Sept. 22, 2025_\n")
    assert "snake_case_name" in article_text._markdown("snake_case_name\n")


def test_a_quarter_is_a_period_and_a_total_after_bringing_is_a_count():
    found, _ = drafts("Georgia added 15 agreements in the second quarter of 2025, bringing its total to 80 as of June 30.")
    by = {d.claimed: d for d in found}
    assert by[15].measure == {"unit": "agreements", "statistic": "added", "since": "2025-04-01", "state": "GA"}
    assert by[15].date.isoformat() == "2025-06-30"
    assert by[80].measure == {"unit": "agreements", "state": "GA"} and by[80].date.isoformat() == "2025-06-30"


def test_up_from_keeps_the_clause_before_and_takes_its_own_date():
    found, _ = drafts("Alabama's count of 287(g) deals reached 52 on Aug. 29, up from 20 at the start of the year.")
    assert {(d.claimed, d.date.isoformat(), d.measure.get("state")) for d in found} == {(52, "2025-08-29", "AL"), (20, "2025-01-01", "AL")}


def test_a_part_of_the_noun_before_it_takes_the_predicate_s_model():
    d = one("Of the Ohio agreements, 12 follow the warrant service officer model.")
    assert d.measure == {"unit": "agreements", "state": "OH", "model": "WSO"} and d.claimed == 12


def test_a_place_in_the_nation_after_its_state():
    d = [d for d in drafts("That puts Georgia sixth in the nation for ICE agreements.")[0] if ctype(d) == "rank"][0]
    assert (d.measure["state"], d.claimed) == ("GA", 6)


def test_a_county_without_an_agreement_is_that_agency_at_zero_not_its_state():
    found, _ = drafts("Dallas County, Texas, is among the agencies that have not joined the 287(g) program.")
    assert [(d.claimed, d.measure) for d in found] == [(0, {"unit": "agreements", "agency": "Dallas County", "state": "TX"})]


def test_examples_of_states_without_agreements_are_no_ranking():
    found, _ = drafts("Blue states such as Oregon and Illinois have no 287(g) agreements.")
    assert [ctype(d) for d in found] == ["none_in"]


def test_agencies_asking_to_join_are_pending_and_a_dozen_is_about_twelve():
    d = one("A dozen Georgia sheriffs have asked to join the 287(g) program.")
    assert d.measure == {"kind": "pending", "unit": "agencies", "state": "GA"} and d.claimed == 12 and ctype(d) == "approx"


def test_one_in_n_before_its_noun_is_a_share():
    d = one("Florida now holds more than one in four 287(g) agreements in the country.")
    assert d.measure == {"unit": "agreements", "statistic": "share", "state": "FL"} and d.comparison["type"] == "share_above"


def test_a_sentence_pointing_back_takes_the_day_of_the_one_before(tmp_path):
    page = tmp_path / "a.txt"
    page.write_text("ICE listed 1,050 agreements on Aug. 29.\n\nThose agreements span 39 states.\n")
    ex = extract.extract(page, date="2025-09-03")
    assert {(c["claimed"], c["date"]) for c in ex.claims} == {(1050, "2025-08-29"), (39, "2025-08-29")}


def test_a_county_row_under_a_state_s_caption(tmp_path):
    page = tmp_path / "t.md"
    page.write_text("Ohio's 287(g) partners on ICE's list of Aug. 29, 2025:\n\n| County | Agreements |\n|---|---|\n| Butler County | 3 |\n")
    ex = extract.extract(page, date="2025-09-03")
    assert [(c["claimed"], c["measure"], c["date"]) for c in ex.claims] == [
        (3, {"unit": "agreements", "agency": "Butler County", "state": "OH"}, "2025-08-29")]


# --- articles: reading, validation, every number accounted for ---------------------------------


def test_html_and_markdown_are_read_as_text(tmp_path):
    page = tmp_path / "a.html"
    page.write_text("<html><head><meta property='article:published_time' content='2025-06-01'><script>var n = 99;</script>"
                    "</head><body><p>Almost 700 agencies work with ICE.</p><p>Next</p></body></html>")  # fmt: skip
    art = article_text.read(page)
    assert art.found_date == dt.date(2025, 6, 1) and "99" not in art.text
    assert [s.text for s in art.sentences][0] == "Almost 700 agencies work with ICE."
    md = tmp_path / "a.md"
    md.write_text("# Title\n\nOnly **12** [agencies](http://x) signed.\n")
    assert "Only 12 agencies signed." in article_text.read(md).text


def test_a_binary_or_undated_article_is_refused_in_one_line(tmp_path):
    from analysis.core.errors import UsageError

    binary = tmp_path / "a.txt"
    binary.write_bytes(b"\x00\x01" * 10)
    with pytest.raises(UsageError, match="not a text article"):
        article_text.read(binary)
    plain = tmp_path / "b.txt"
    plain.write_text("Almost 700 agencies work with ICE.\n")
    with pytest.raises(UsageError, match="--date"):
        extract.extract(plain)


def accounted_for(path: Path, ex: extract.Extraction) -> list[str]:
    """Number tokens of the article no claim or skip line accounts for."""
    art = article_text.read(path)
    spans = [(s + a, s + b) for s, a, b in ex.accounted]
    missing = []
    for m in TOKEN.finditer(art.text):
        if not any(a <= m.start() and m.end() <= b for a, b in spans):
            missing.append(f"{m.group(0)!r} at line {art.text.count(chr(10), 0, m.start()) + 1}")
    return missing


OWN_ARTICLES = sorted(p for p in OWN.iterdir() if p.suffix in (".txt", ".md", ".html") and p.with_name(p.stem + ".expected.toml").is_file())


def test_five_or_more_own_articles():
    assert len(OWN_ARTICLES) >= 5


@pytest.mark.parametrize("path", OWN_ARTICLES, ids=lambda p: p.stem)
def test_own_articles_expected_claims_found(path, tmp_path):
    expected = tomllib.loads(path.with_name(path.stem + ".expected.toml").read_text())
    ex = extract.extract(path, date=expected["date"], source="Test outlet")
    target = extract.write(ex, tmp_path / "draft.toml")
    assert check.load(target)  # the draft is a valid claims file
    missing = [e for e in expected["expect"] if not any(extract_match.finds_expected(d, e) for d in ex.claims)]
    assert not missing, ([(e["claimed"], e["comparison"]) for e in missing],
                         [(d["claimed"], d.get("measure"), d["date"], d["comparison"]) for d in ex.claims])
    assert not accounted_for(path, ex)


# --- the five captured articles (integration: need ../shared/articles) --------------------------


def _captures():
    from analysis.factcheck import claim_registry, claims

    return [(a, a.date or claims.article_day(a.id)) for a in claim_registry.load_articles()]


@pytest.mark.integration
@pytest.mark.parametrize("which", range(5))
def test_captured_articles_draft_valid_files_accounting_for_every_number(which, tmp_path, articles_dir):
    art, day = _captures()[which]
    path = articles_dir / art.capture
    ex = extract.extract(path, date=day, source=art.publication)
    check.load(extract.write(ex, tmp_path / "draft.toml"))
    assert not accounted_for(path, ex)
    assert ex.claims and all(0 <= c["confidence"] <= 1 and c["reading"] for c in ex.claims)
