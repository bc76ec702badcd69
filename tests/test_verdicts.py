"""Every comparison type of analysis.factcheck.verdicts, with its boundaries (on / just over / just under)."""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import claim_registry
from analysis.factcheck import judge, verdicts
from analysis.core.errors import UsageError
from analysis.factcheck.verdicts import (
    NO_VALUE_NOTE,
    NOT_CHECKABLE,
    NOT_SUPPORTED,
    PARTLY,
    SUPPORTED,
    Verdict,
    combine,
    evaluate,
    evaluate_units,
)


def word(comparison, claimed, reproduced, **kw):
    return evaluate(comparison, claimed, reproduced, **kw).verdict


# ---------------------------------------------------------------------------------- Verdict


def test_verdict_is_frozen_and_serialisable():
    v = Verdict(SUPPORTED, "ok")
    assert v.to_dict() == {"verdict": "supported", "note": "ok"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        v.verdict = NOT_SUPPORTED  # type: ignore[misc]
    with pytest.raises(ValueError):
        Verdict("true", "not in the vocabulary")


def test_vocabulary():
    assert verdicts.VERDICTS == ("supported", "partly supported", "not supported", "not checkable")


# ---------------------------------------------------------------------------------- missing values


@pytest.mark.parametrize("missing", [None, float("nan"), math.nan, {}, [], ()])
@pytest.mark.parametrize(
    "comparison,claimed",
    [
        ({"type": "approx", "tolerance": 0.02}, 100),
        ({"type": "equal"}, 22),
        ({"type": "more_than"}, 1000),
        ({"type": "share_above", "threshold": "1/3"}, "1/3"),
        ({"type": "set_equal"}, ["Texas"]),
        ({"type": "rank", "rank": 1}, 1),
        ({"type": "none_in"}, ["California"]),
        ({"type": "breakdown"}, {"JEM": 11}),
    ],
)
def test_missing_reproduced_is_not_checkable(comparison, claimed, missing):
    v = evaluate(comparison, claimed, missing)
    assert v.verdict == NOT_CHECKABLE
    assert v.note == NO_VALUE_NOTE


def test_pandas_na_is_missing():
    pd = pytest.importorskip("pandas")
    assert word({"type": "equal"}, 22, pd.NA) == NOT_CHECKABLE


# ---------------------------------------------------------------------------------- approx


APPROX = {"type": "approx", "tolerance": 0.02, "partial_tolerance": 0.05}


@pytest.mark.parametrize(
    "reproduced,expected",
    [
        (100, SUPPORTED),
        (102, SUPPORTED),  # exactly at the tolerance: inclusive
        (98, SUPPORTED),
        (102.01, PARTLY),  # just over the tolerance
        (105, PARTLY),  # exactly at the partial tolerance: inclusive
        (94.99, NOT_SUPPORTED),  # just over the partial tolerance
        (106, NOT_SUPPORTED),
    ],
)
def test_approx_boundaries(reproduced, expected):
    assert word(APPROX, 100, reproduced) == expected


def test_approx_tolerance_is_exact_for_decimal_floats():
    # 0.1 + 0.2 style float noise must not move a value across the boundary
    assert word({"type": "approx", "tolerance": 0.1}, 3, 3.3) == SUPPORTED
    assert word({"type": "approx", "tolerance": 0.1}, 3, 3.3000000001) == NOT_SUPPORTED


def test_approx_without_partial_band():
    assert word({"type": "approx", "tolerance": 0.01}, 641, 647) == SUPPORTED  # 0.94%
    assert word({"type": "approx", "tolerance": 0.01}, 641, 648) == NOT_SUPPORTED


def test_approx_claimed_zero_uses_absolute_difference():
    assert word({"type": "approx", "tolerance": 0.5}, 0, 0.5) == SUPPORTED
    assert word({"type": "approx", "tolerance": 0.5}, 0, 0.6) == NOT_SUPPORTED


# ---------------------------------------------------------------------------------- almost


ALMOST = {"type": "almost", "tolerance": 0.02, "partial_tolerance": 0.05}


@pytest.mark.parametrize(
    "reproduced,expected",
    [
        (958, SUPPORTED),
        (960, SUPPORTED),  # equal counts as "almost"
        (940.8, SUPPORTED),  # exactly 2% below
        (940.79, PARTLY),
        (912, PARTLY),  # exactly 5% below
        (911.99, NOT_SUPPORTED),
        (961, PARTLY),  # above: "almost" implies below
        (979.2, PARTLY),  # exactly 2% above
        (979.3, NOT_SUPPORTED),
    ],
)
def test_almost_boundaries(reproduced, expected):
    assert word(ALMOST, 960, reproduced) == expected


# ---------------------------------------------------------------------------------- more_than / at_least / at_most


def test_more_than_is_strict():
    c = {"type": "more_than"}
    assert word(c, 1000, 1001) == SUPPORTED
    assert word(c, 1000, 1000) == NOT_SUPPORTED  # equal is not "more than"
    assert word(c, 1000, 999) == NOT_SUPPORTED


def test_more_than_partial_band_includes_equality():
    c = {"type": "more_than", "partial_tolerance": 0.02}
    assert word(c, 1000, 1000) == PARTLY
    assert word(c, 1000, 980) == PARTLY  # exactly 2% short
    assert word(c, 1000, 979) == NOT_SUPPORTED


def test_more_than_upper_tolerance_flags_understatement():
    c = {"type": "more_than", "upper_tolerance": 0.25}
    assert word(c, 600, 750) == SUPPORTED  # exactly 25% above: still fine
    assert word(c, 600, 751) == PARTLY


def test_at_least_is_inclusive():
    c = {"type": "at_least", "partial_tolerance": 0.01}
    assert word(c, 40, 40) == SUPPORTED
    assert word(c, 40, 41) == SUPPORTED
    assert word(c, 100, 99) == PARTLY
    assert word(c, 100, 98.9) == NOT_SUPPORTED


def test_at_most():
    c = {"type": "at_most", "partial_tolerance": 0.1, "lower_tolerance": 0.5}
    assert word(c, 100, 100) == SUPPORTED
    assert word(c, 100, 50) == SUPPORTED  # exactly 50% below: at the lower tolerance
    assert word(c, 100, 49) == PARTLY  # true but overstated
    assert word(c, 100, 110) == PARTLY
    assert word(c, 100, 110.5) == NOT_SUPPORTED


# ---------------------------------------------------------------------------------- equal


def test_equal_exact():
    assert word({"type": "equal"}, 22, 22) == SUPPORTED
    assert word({"type": "equal"}, 22, 22.0) == SUPPORTED
    assert word({"type": "equal"}, 22, 21) == NOT_SUPPORTED
    assert word({"type": "equal"}, 22, 23) == NOT_SUPPORTED


def test_equal_partial_band():
    c = {"type": "equal", "partial_tolerance": 0.02}
    assert word(c, 150, 153) == PARTLY  # exactly 2%
    assert word(c, 150, 154) == NOT_SUPPORTED
    assert word(c, 135, 134) == PARTLY


def test_equal_needs_integer_claim():
    with pytest.raises(UsageError, match="integer"):
        evaluate({"type": "equal"}, 22.5, 22)


# ---------------------------------------------------------------------------------- share_above


THIRD = {"type": "share_above", "threshold": "1/3"}
WELL_OVER = {"type": "share_above", "threshold": "1/3", "margin": 0.05}


def test_share_exactly_one_third_is_not_over():
    assert word(THIRD, "1/3", Fraction(1, 3)) == NOT_SUPPORTED
    # with an entity table: 100 of 300 is exactly a third
    assert word(THIRD | {"entity": "Florida"}, "1/3", {"Florida": 100, "Texas": 200}) == NOT_SUPPORTED
    assert word(THIRD | {"entity": "Florida"}, "1/3", {"Florida": 101, "Texas": 200}) == SUPPORTED


def test_share_just_over_and_under():
    assert word(THIRD, "1/3", 0.3334) == SUPPORTED
    assert word(THIRD, "1/3", 0.3333) == NOT_SUPPORTED


def test_share_well_over_margin():
    limit = Fraction(1, 3) + Fraction(1, 20)
    assert word(WELL_OVER, "1/3", limit) == PARTLY  # exactly at threshold + margin: not "well over"
    assert word(WELL_OVER, "1/3", limit + Fraction(1, 10**9)) == SUPPORTED
    assert word(WELL_OVER, "1/3", 0.35) == PARTLY
    assert word(WELL_OVER, "1/3", Fraction(1, 3)) == NOT_SUPPORTED


def test_share_from_table_sums_the_table():
    v = evaluate(WELL_OVER | {"entity": "Florida"}, "1/3", {"Florida": 325, "Texas": 171, "Others": 505})
    assert v.verdict == NOT_SUPPORTED
    assert "325 of 1,001" in v.note


def test_share_out_of_range_raises():
    with pytest.raises(UsageError, match="between 0 and 1"):
        evaluate(THIRD, "1/3", 38.5)


def test_share_of_an_all_zero_table_is_not_checkable():
    assert word(THIRD | {"entity": "Florida"}, "1/3", {"Florida": 0, "Texas": 0}) == NOT_CHECKABLE


# ---------------------------------------------------------------------------------- set_equal


FIVE = ["Texas", "Florida", "Georgia", "North Carolina", "Virginia"]
SET5 = {"type": "set_equal", "partial_if_overlap_at_least": 4}


def test_set_equal_identical_any_order_and_case():
    assert word(SET5, FIVE, ["virginia", "north  carolina", "GEORGIA", "Florida", "Texas"]) == SUPPORTED


def test_set_equal_partial_overlap_boundary():
    four = ["Texas", "Florida", "Georgia", "North Carolina", "Oklahoma"]
    v = evaluate(SET5, FIVE, four)
    assert v.verdict == PARTLY  # overlap exactly 4
    assert "Virginia" in v.note and "Oklahoma" in v.note
    three = ["Texas", "Florida", "Georgia", "Alabama", "Oklahoma"]
    assert word(SET5, FIVE, three) == NOT_SUPPORTED


def test_set_equal_without_partial_threshold():
    assert word({"type": "set_equal"}, FIVE, FIVE[:4] + ["Ohio"]) == NOT_SUPPORTED


TOP5 = {"type": "set_equal", "top_n": 5, "partial_if_overlap_at_least": 4}


def test_set_equal_top_n_from_table():
    table = {"Florida": 325, "Texas": 171, "Georgia": 40, "North Carolina": 30, "Virginia": 25, "Ohio": 10}
    assert word(TOP5, FIVE, table) == SUPPORTED
    table["Oklahoma"] = 26  # pushes Virginia out
    v = evaluate(TOP5, FIVE, table)
    assert v.verdict == PARTLY
    assert "claimed but not reproduced: Virginia" in v.note
    assert "Oklahoma" in v.note


def test_set_equal_tie_at_cutoff_accepts_either_choice():
    table = {"Florida": 300, "Texas": 170, "Georgia": 40, "North Carolina": 30, "Virginia": 20, "Oklahoma": 20}
    assert word(TOP5, FIVE, table) == SUPPORTED
    alt = ["Texas", "Florida", "Georgia", "North Carolina", "Oklahoma"]
    assert word(TOP5, alt, table) == SUPPORTED


def test_set_equal_reports_no_tie_when_the_cutoff_value_is_not_shared():
    # issue 13 finding 4: "tied at the cut-off" was printed with Oklahoma 17 and the next 16
    table = {"Florida": 300, "Texas": 170, "Georgia": 40, "North Carolina": 30, "Oklahoma": 17, "Virginia": 16}
    v = evaluate(TOP5, FIVE, table)
    assert "tied" not in v.note, v.note
    assert v.verdict == PARTLY and "claimed but not reproduced: Virginia" in v.note


def test_set_equal_tie_does_not_excuse_a_name_below_the_cutoff():
    table = {"Florida": 300, "Texas": 170, "Georgia": 40, "North Carolina": 20, "Virginia": 20, "Oklahoma": 20, "Ohio": 5}
    claimed = ["Texas", "Florida", "Georgia", "North Carolina", "Ohio"]
    v = evaluate(TOP5, claimed, table)
    assert v.verdict == PARTLY  # 4 valid members
    assert "Ohio" in v.note


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.one_of(st.sampled_from([0.0, -0.0, 0.1, 0.2, 0.30000000000000004, 0.3, 1e-300, 2.5]),
                                 st.floats(-1e6, 1e6, allow_nan=False), st.integers(-3, 3).map(float)),
                       min_size=1, max_size=12),
       n=st.integers(1, 6), order=st.permutations(range(12)), as_int=st.booleans())
def test_set_equal_top_n_ranks_floats_as_their_exact_values(values, n, order, as_int):
    """The float fast path (_top_n_of) names the same top n, ties and cut-off as ranking the exact
    values: each table once as floats (or ints) and once as Fractions, which take the exact path."""
    if as_int:
        values = [int(v) for v in values]
    table = {f"County {i}": v for i, v in enumerate(values)}
    exact = {k: verdicts.to_fraction(v) for k, v in table.items()}
    names = [f"County {i}" for i in order[:n]]  # names past the table's end are absent from it
    comparison = {"type": "set_equal", "top_n": n, "partial_if_overlap_at_least": 1}
    assert evaluate(comparison, names, table) == evaluate(comparison, names, exact)


def test_set_equal_table_needs_top_n():
    with pytest.raises(UsageError, match="top_n"):
        evaluate({"type": "set_equal"}, FIVE, {"Texas": 1})


# ---------------------------------------------------------------------------------- rank


RANK1 = {"type": "rank", "rank": 1, "entity": "Harris County, TX"}


def test_rank_from_integer():
    assert word({"type": "rank", "rank": 1}, 1, 1) == SUPPORTED
    assert word({"type": "rank", "rank": 1}, 1, 2) == NOT_SUPPORTED


def test_rank_from_table():
    table = {"Harris County, TX": 2460, "Dallas County, TX": 1500, "Los Angeles County, CA": 2000}
    assert word(RANK1, 1, table) == SUPPORTED
    table["Los Angeles County, CA"] = 2500
    v = evaluate(RANK1, 1, table)
    assert v.verdict == NOT_SUPPORTED and "ranks 2" in v.note


def test_rank_tie_for_first_is_partly_supported():
    table = {"Harris County, TX": 2460, "Los Angeles County, CA": 2460, "Dallas County, TX": 10}
    v = evaluate(RANK1, 1, table)
    assert v.verdict == PARTLY
    assert "Los Angeles County, CA" in v.note


def test_rank_entity_absent_is_not_checkable():
    assert word(RANK1, 1, {"Dallas County, TX": 1}) == NOT_CHECKABLE


NYC = {"New York City, NY": ["New York County, NY", "Kings County, NY", "Queens County, NY",
                             "Bronx County, NY", "Richmond County, NY"]}


def test_rank_merge_variant_changes_the_verdict():
    table = {"Miami-Dade County, FL": 150000, "Queens County, NY": 60000, "Kings County, NY": 50000,
             "Bronx County, NY": 45000, "Cook County, IL": 90000}
    c = {"type": "rank", "rank": 1, "entity": "Miami-Dade County, FL", "merge": NYC}
    v = evaluate(c, 1, table)
    assert v.verdict == PARTLY  # leads as counties, second behind NYC combined (155,000)
    assert "New York City, NY combined" in v.note


def test_rank_merge_variant_agreeing():
    table = {"Miami-Dade County, FL": 150000, "Queens County, NY": 60000, "Kings County, NY": 50000}
    c = {"type": "rank", "rank": 1, "entity": "Miami-Dade County, FL", "merge": NYC}
    assert word(c, 1, table) == SUPPORTED


def test_rank_claimed_and_param_must_agree():
    with pytest.raises(UsageError, match="disagree"):
        evaluate({"type": "rank", "rank": 1}, 2, 1)


# ---------------------------------------------------------------------------------- rank_within


WITHIN = {"type": "rank_within", "min_rank": 2, "max_rank": 3}
COUNTIES = ["Cook County, IL", "Los Angeles County, CA"]


def test_rank_within_all_some_none():
    table = {"Miami-Dade County, FL": 100, "Cook County, IL": 90, "Los Angeles County, CA": 80, "Harris County, TX": 70}
    assert word(WITHIN, COUNTIES, table) == SUPPORTED
    table["Harris County, TX"] = 85  # pushes LA to 4th
    assert word(WITHIN, COUNTIES, table) == PARTLY
    table = {"Cook County, IL": 100, "Los Angeles County, CA": 99, "X": 98, "Y": 97}  # ranks 1 and 2
    assert word(WITHIN, COUNTIES, table) == PARTLY
    table = {"Cook County, IL": 100, "A": 99, "B": 98, "C": 97, "Los Angeles County, CA": 1}
    assert word(WITHIN, ["Los Angeles County, CA"], table) == NOT_SUPPORTED


def test_rank_within_tie_at_the_bound_takes_the_shared_rank():
    table = {"Miami-Dade County, FL": 100, "Cook County, IL": 90, "Los Angeles County, CA": 80, "Queens County, NY": 80}
    v = evaluate(WITHIN, COUNTIES, table)
    assert v.verdict == SUPPORTED  # LA and Queens share rank 3
    assert "tied with Queens County, NY" in v.note


def test_rank_within_missing_entity_counts_as_outside():
    table = {"Miami-Dade County, FL": 100, "Cook County, IL": 90}
    v = evaluate(WITHIN, COUNTIES, table)
    assert v.verdict == PARTLY and "absent" in v.note


def test_rank_within_integer():
    c = {"type": "rank_within", "max_rank": 3}
    assert word(c, 3, 3) == SUPPORTED
    assert word(c, 3, 4) == NOT_SUPPORTED


def test_rank_within_nyc_combined_changes_the_verdict():
    table = {"Miami-Dade County, FL": 150000, "Cook County, IL": 90000, "Los Angeles County, CA": 85000,
             "Queens County, NY": 60000, "Kings County, NY": 50000}
    v = evaluate(WITHIN | {"merge": NYC}, COUNTIES, table)
    assert v.verdict == PARTLY
    assert "depends on the geography" in v.note


# ---------------------------------------------------------------------------------- none_in


def test_none_in():
    c = {"type": "none_in"}
    assert word(c, ["California", "Illinois"], {"California": 0, "Illinois": 0, "Florida": 300}) == SUPPORTED
    assert word(c, ["California", "Illinois"], {"Florida": 300}) == SUPPORTED  # absent = 0
    v = evaluate(c, ["California", "Illinois"], {"California": 1, "Illinois": 0})
    assert v.verdict == PARTLY and "California (1)" in v.note
    assert word(c, ["California", "Illinois"], {"California": 1, "Illinois": 2}) == NOT_SUPPORTED


# ---------------------------------------------------------------------------------- breakdown


def test_breakdown_visaverge_case_is_partly_supported():
    v = evaluate({"type": "breakdown", "complete": True}, {"JEM": 11, "TFM": 11}, {"TFM": 11, "WSO": 11, "JEM": 0})
    assert v.verdict == PARTLY
    assert "JEM claimed 11, reproduced 0" in v.note and "WSO 11" in v.note


def test_breakdown_exact_and_complete():
    c = {"type": "breakdown"}
    assert word(c, {"JEM": 11, "TFM": 11}, {"JEM": 11, "TFM": 11, "WSO": 0}) == SUPPORTED
    assert word(c, {"JEM": 11, "TFM": 11}, {"JEM": 11, "TFM": 11, "WSO": 1}) == PARTLY
    assert word(c | {"complete": False}, {"JEM": 11, "TFM": 11}, {"JEM": 11, "TFM": 11, "WSO": 1}) == SUPPORTED
    assert word(c, {"JEM": 11, "TFM": 11}, {"JEM": 0, "TFM": 0, "WSO": 22}) == NOT_SUPPORTED


def test_breakdown_partial_threshold():
    c = {"type": "breakdown", "partial_if_match_at_least": 2}
    assert word(c, {"JEM": 11, "TFM": 11, "WSO": 1}, {"JEM": 11, "TFM": 0, "WSO": 0}) == NOT_SUPPORTED


# ---------------------------------------------------------------------------------- policy / not_checkable


def test_not_checkable_always_and_uses_reason():
    c = {"type": "not_checkable"}
    for reproduced in (None, 3000, 0):
        v = evaluate(c, 3000, reproduced, reason="needs ICE arrest microdata")
        assert v.verdict == NOT_CHECKABLE
        assert v.note == "needs ICE arrest microdata"


def test_policy_is_not_checkable_but_reports_calculator_parameter():
    c = {"type": "policy"}
    v = evaluate(c, 1000, 1000, reason="programme rule.")
    assert v.verdict == NOT_CHECKABLE
    assert "programme rule;" in v.note and "the printed figure" in v.note
    v = evaluate(c, 1000, 900, reason="programme rule")
    assert v.verdict == NOT_CHECKABLE and "differs from the printed 1,000" in v.note
    assert evaluate(c, 1000, None, reason="r").verdict == NOT_CHECKABLE


# ---------------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "comparison,claimed,match",
    [
        ({"type": "fuzzy"}, 1, "unknown comparison type"),
        ({"type": "approx"}, 1, "needs tolerance"),
        ({"type": "approx", "tolerance": 0.02, "tolerence": 0.1}, 1, "does not take tolerence"),
        ({"type": "approx", "tolerance": 0.05, "partial_tolerance": 0.02}, 1, "partial_tolerance must be >="),
        ({"type": "approx", "tolerance": -0.1}, 1, ">= 0"),
        ({"type": "share_above", "threshold": 1.5}, 1.5, "between 0 and 1"),
        ({"type": "share_above", "threshold": "1/3"}, 0.33, "must equal comparison.threshold"),
        ({"type": "set_equal", "top_n": 5}, ["Texas"], "top_n is 5"),
        ({"type": "set_equal"}, "Texas", "list of names"),
        ({"type": "rank_within", "max_rank": 2, "min_rank": 3}, 2, "min_rank must be <="),
        ({"type": "rank", "merge": {"NYC": ["Kings County, NY"]}}, 1, "at least two"),
        ({"type": "breakdown"}, {"JEM": 1.5}, "non-negative integer"),
        ({"type": "approx", "tolerance": 0.02}, True, "boolean"),
    ],
)
def test_invalid_comparisons_raise(comparison, claimed, match):
    with pytest.raises(UsageError, match=match):
        evaluate(comparison, claimed, 1)


# ---------------------------------------------------------------------------------- units


def test_units_printed_unit_supported():
    c = {"type": "equal", "partial_tolerance": 0.02}
    v = evaluate_units(c, 135, {"agencies": 135, "agreements": 140}, "agencies")
    assert v.verdict == SUPPORTED


def test_units_other_unit_matching_is_named_but_the_printed_unit_decides():
    c = {"type": "equal"}
    v = evaluate_units(c, 135, {"agencies": 120, "agreements": 135}, "agencies")
    assert v.verdict == NOT_SUPPORTED
    assert v.note.startswith("judged in agencies as printed; the figure fits agreements")


def test_units_a_small_slip_and_a_large_overstatement_read_differently():
    # issue 13 finding 4: 135 printed as agencies (133 agencies, 135 agreements) vs "almost 960"
    # agencies (798 agencies, 957 agreements) were both "partly supported"
    slip = evaluate_units({"type": "equal", "partial_tolerance": 0.02}, 135, {"agencies": 133, "agreements": 135}, "agencies")
    over = evaluate_units({"type": "almost", "tolerance": 0.02, "partial_tolerance": 0.05}, 960,
                          {"agencies": 798, "agreements": 957}, "agencies")  # fmt: skip
    assert slip.verdict == PARTLY and "fits agreements" in slip.note
    assert over.verdict == NOT_SUPPORTED and "fits agreements" in over.note


def test_units_nothing_matches_keeps_printed_verdict():
    c = {"type": "equal"}
    assert evaluate_units(c, 135, {"agencies": 120, "agreements": 150}, "agencies").verdict == NOT_SUPPORTED


def test_units_printed_unit_missing():
    c = {"type": "equal"}
    v = evaluate_units(c, 135, {"agreements": 135}, "agencies")
    assert v.verdict == NOT_CHECKABLE and "fits agreements" in v.note
    assert evaluate_units(c, 135, {"agreements": 1}, "agencies").verdict == NOT_CHECKABLE


# ---------------------------------------------------------------------------------- combine


def test_combine():
    assert combine([SUPPORTED, SUPPORTED, NOT_CHECKABLE]).verdict == SUPPORTED
    assert combine([SUPPORTED, PARTLY]).verdict == PARTLY
    assert combine([SUPPORTED, NOT_SUPPORTED]).verdict == PARTLY
    assert combine([NOT_SUPPORTED, NOT_SUPPORTED]).verdict == NOT_SUPPORTED
    assert combine([NOT_CHECKABLE]).verdict == NOT_CHECKABLE
    assert combine([]).verdict == NOT_CHECKABLE
    with pytest.raises(UsageError):
        combine(["true"])


# ---------------------------------------------------------------------------------- against the real registry


def test_visaverge_article_is_partly_supported_by_code():
    total = claim_registry.get_claim("visaverge-22-pending")
    split = claim_registry.get_claim("visaverge-pending-by-model")
    sheet = {"TFM": 11, "WSO": 11}  # the 2025-07-31 pending sheet: 22 rows, no JEM
    results = [judge.verdict(total.core, sum(sheet.values())), judge.verdict(split.core, sheet)]
    assert [r.verdict for r in results] == [SUPPORTED, PARTLY]
    assert combine(results).verdict == PARTLY


def test_registry_verdicts_come_from_values_not_text():
    """With no reproduced value every registry claim is 'not checkable': nothing is pre-decided."""
    for claim in claim_registry.load_claims():
        v = judge.verdict(claim.core, None)
        assert v.verdict == NOT_CHECKABLE, claim.id
        assert "verdict" not in claim.to_dict()


def test_verdict_ignores_quote_and_note_text():
    claim = claim_registry.get_claim("voz-1001-agreements")
    doctored = dataclasses.replace(claim, quote="supported", note="verdict: supported", as_of_note="supported")
    for reproduced in (1001, 1040, 2000):
        assert judge.verdict(doctored.core, reproduced) == judge.verdict(claim.core, reproduced)
    assert judge.verdict(claim.core, 2000).verdict == NOT_SUPPORTED


def test_every_registry_comparison_validates_against_its_claim():
    for claim in claim_registry.load_claims():
        assert verdicts.validate_comparison(claim.comparison, claim.claimed_value) == claim.comparison_type


@pytest.mark.parametrize("text", ["1e999999999", "1e-999999999", "1" * 19, "0." + "1" * 19, "1/" + "9" * 19, "1e100"])
def test_numbers_are_bounded_before_they_become_exact(text):
    """Issue 22.9: a claimed "1e999999999" or a tolerance of "1e-999999999" ran for minutes while
    Fraction made a number of a billion digits; text beyond 18 digits or a two-digit exponent is refused."""
    from decimal import Decimal

    with pytest.raises(UsageError, match="at most 18 digits each side"):
        verdicts.to_fraction(text)
    with pytest.raises(UsageError):
        verdicts.to_fraction(Decimal("1e999999999"))
    assert verdicts.to_fraction(" 1/3 ") == Fraction(1, 3) and verdicts.to_fraction("2.5e-3") == Fraction(1, 400)
