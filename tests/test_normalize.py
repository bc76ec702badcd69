"""normalize: every fold is named, unknown values stop the build, impossible dates become missing."""

from __future__ import annotations

import datetime as dt

import pytest

from analysis.clean import normalize as n
from analysis.core.errors import SheetError
from analysis.ingest.sheets import cell_text

# ----------------------------------------------------------------------------- STATE


@pytest.mark.parametrize(
    "raw, abbr, name, is_state, rule",
    [
        ("FLORIDA", "FL", "Florida", True, ""),
        ("PENNSLYVANIA", "PA", "Pennsylvania", True, "state_typo"),
        ("Pennslyvania ", "PA", "Pennsylvania", True, "state_typo"),
        ("Texas ", "TX", "Texas", True, "state_case_whitespace"),
        ("texas", "TX", "Texas", True, "state_case_whitespace"),
        ("NEW\xa0YORK", "NY", "New York", True, "state_case_whitespace"),
        ("WEST VIRIGINA", "WV", "West Virginia", True, "state_typo"),
        ("DISTRICT OF COLUMBIA", "DC", "District of Columbia", True, ""),
        ("GUAM", "GU", "Guam", False, ""),
        ("NORTHERN MARIANA ISLANDS", "MP", "Northern Mariana Islands", False, ""),
    ],
)
def test_state_lookup(raw, abbr, name, is_state, rule):
    assert n.state_lookup(raw) == (abbr, name, is_state, rule)


@pytest.mark.parametrize("raw", ["ATLANTIS", "", "   ", "KANSAS CITY"])
def test_unknown_state_is_an_error_not_a_guess(raw):
    with pytest.raises(SheetError, match="unknown STATE"):
        n.state_lookup(raw)


@pytest.mark.parametrize("raw", ["FLORDIA", "FLORIDAA", "TEXS", "MISSISSIPI", "NEW MEXCO"])
def test_misspelt_state_not_in_state_typos_is_not_silently_guessed(raw):
    """normalize's contract: a value no rule knows stops the build; no correction is silent.

    A misspelling must either be listed in STATE_TYPOS (and logged as state_typo) or raise;
    it must never come back as a clean match with rule '' (which writes no corrections row).
    """
    assert raw not in n.STATE_TYPOS
    try:
        result = n.state_lookup(raw)
    except SheetError:
        return
    pytest.fail(f"{raw!r} was silently resolved to {result} (rule {result[3]!r}, nothing logged)")


# ----------------------------------------------------------------------------- SUPPORT TYPE


@pytest.mark.parametrize(
    "raw, model, rule",
    [
        ("Jail Enforcement Model", "JEM", ""),
        ("Jail Enforcement Model ", "JEM", "support_type_whitespace"),
        ("Jail Enforcment Model", "JEM", "support_type_variant"),
        ("Task Force Model", "TFM", ""),
        ("Task Force Model ", "TFM", "support_type_whitespace"),
        ("Task Force Officer", "TFM", "support_type_variant"),
        ("Warrant Service Officer", "WSO", ""),
        ("Warrant Service Officer ", "WSO", "support_type_whitespace"),
        ("Warrant Services Officer", "WSO", "support_type_variant"),
        ("Warrant Service Office", "WSO", "support_type_variant"),
        ("Warrant  Service\xa0Officer", "WSO", "support_type_whitespace"),
    ],
)
def test_model_lookup_every_spelling(raw, model, rule):
    assert n.model_lookup(raw) == (model, rule)


@pytest.mark.parametrize("raw", ["", "  "])
def test_blank_support_type_is_none_and_logged(raw):
    assert n.model_lookup(raw) == (None, "support_type_blank")


@pytest.mark.parametrize("raw", ["287(g)", "Jail Model", "Task Force"])
def test_unknown_support_type_is_an_error(raw):
    with pytest.raises(SheetError, match="unknown SUPPORT TYPE"):
        n.model_lookup(raw)


def test_every_fold_lands_on_one_of_three_models():
    assert set(n.SUPPORT_TYPES.values()) == set(n.MODELS) == {"JEM", "TFM", "WSO"}


# ----------------------------------------------------------------------------- SIGNED

PUB = dt.date(2025, 7, 8)


def test_excel_date_cell_text_parses_unchanged():
    for value in (dt.datetime(2025, 5, 8), dt.date(2025, 5, 8)):
        assert n.parse_signed(cell_text(value), PUB) == (dt.date(2025, 5, 8), "")
    assert n.parse_signed("2025-05-08 00:00:00", PUB) == (dt.date(2025, 5, 8), "")


@pytest.mark.parametrize(
    "raw, published, expected",
    [
        ("2019-06-26", PUB, (dt.date(2019, 6, 26), "")),  # P0 text date
        ("5/8/2025", PUB, (dt.date(2025, 5, 8), "")),
        ("05/082025", PUB, (dt.date(2025, 5, 8), "signed_missing_slash")),
        ("5025-07-07", dt.date(2025, 7, 8), (dt.date(2025, 7, 7), "signed_year_typo")),
        ("5025-07-07", dt.date(2025, 7, 18), (dt.date(2025, 7, 7), "signed_year_typo")),
        ("5025-07-07", dt.date(2025, 7, 1), (None, "signed_impossible")),  # 2025-07-07 not yet happened
        ("", PUB, (None, "signed_blank")),
        ("   ", PUB, (None, "signed_blank")),
        ("2025-07-09", PUB, (None, "signed_after_publication")),
        ("2026-07-07", PUB, (None, "signed_after_publication")),
        ("2025-07-08", PUB, (dt.date(2025, 7, 8), "")),  # signed on the day of publication is fine
        ("link", PUB, (None, "signed_unparseable")),
        ("TBD", PUB, (None, "signed_unparseable")),
        ("2025-02-30", PUB, (None, "signed_impossible")),
        ("1995-01-01", PUB, (None, "signed_impossible")),  # before 287(g) existed
    ],
)
def test_parse_signed(raw, published, expected):
    assert n.parse_signed(raw, published) == expected


# ----------------------------------------------------------------------------- MOA / ADDENDUM, TYPE, COUNTY


@pytest.mark.parametrize(
    "raw, status",
    [
        ("link", "link"),
        ("Link ", "link"),
        ("link pending", "link pending"),
        ("Link Pending ", "link pending"),
        ("https://web.archive.org/web/2025/https://www.ice.gov/doclib/moa.pdf", "archived url"),
        ("", "none"),
        ("  ", "none"),
        ("pending", "other"),
    ],
)
def test_link_status(raw, status):
    assert n.link_status(raw) == status


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("County", ("County", "")),
        ("Muncipality", ("Municipality", "jurisdiction_type_variant")),
        ("State Agency", ("State Agency", "")),
        ("", (None, "")),
        ("#N/A", (None, "jurisdiction_type_missing_marker")),
        ("Tribal Nation", ("Tribal Nation", "")),  # new types kept as printed
    ],
)
def test_jurisdiction_lookup(raw, expected):
    assert n.jurisdiction_lookup(raw) == expected


def test_jurisdiction_type_trailing_space_folds():
    assert n.jurisdiction_lookup("County ")[0] == "County"
    assert n.jurisdiction_lookup("municipality")[0] == "Municipality"


@pytest.mark.parametrize("raw, expected", [("#N/A", None), ("#NA", None), ("N/A", None), ("", None),
                                           (" German Coast  County ", "German Coast County")])  # fmt: skip
def test_county_clean(raw, expected):
    assert n.county_clean(raw) == expected


def test_clean_agency_name_plain_apostrophes_and_spaces():
    assert n.clean_agency_name("  Marion County  Sheriff’s\xa0Office ") == "Marion County Sheriff's Office"
