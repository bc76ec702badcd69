"""agencies: the name fold, reviewed aliases, the truncation rule; build.assign_ids on a small frame."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from analysis.clean import agencies as ag
from analysis.store import build
from analysis.core.errors import SheetError

# ----------------------------------------------------------------------------- rule 1: fold


@pytest.mark.parametrize(
    "a, b, state",
    [
        ("Hardee County Sheriff's Office", "Hardee County Sheriff’s Office", "FL"),  # typographic apostrophe
        ("Hardee County Sheriff's Office", "HARDEE COUNTY SHERIFFS OFFICE", "FL"),  # case, possessive
        ("Hardee County Sheriff's Office", "Hardee  County Sheriff's Office ", "FL"),  # spaces
        ("Office of the State Attorney, Sixth Judicial Circuit", "Office of the State Attorney Sixth Judicial Circuit", "FL"),
        ("Bureau of Alcohol & Tobacco Enforcement", "Bureau of Alcohol and Tobacco Enforcement", "FL"),
        ("Ft. Myers Police Department", "Fort Myers Police Department", "FL"),
        ("Ft Pierce Police Dept.", "Fort Pierce Police Department", "FL"),
        ("Kenner Police Department, LA", "Kenner Police Department", "LA"),
        ("Kenner Police Department - LA", "Kenner Police Department", "LA"),
        ("Greene Township Constables' Office", "Greene Township Constable's Office", "PA"),  # plural possessive
        ("Miami-Dade Corrections and Rehabilitation", "Miami Dade Corrections and Rehabilitation", "FL"),
    ],
)
def test_name_key_folds(a, b, state):
    assert ag.name_key(a, state) == ag.name_key(b, state)


def test_name_key_value():
    assert ag.name_key("Hardee County Sheriff’s Office", "FL") == "hardee county sheriffs office"
    assert ag.slug(ag.name_key("Ft. Myers Police Dept.", "FL")) == "fort-myers-police-department"


@pytest.mark.parametrize(
    "a, b, state",
    [
        ("Lee County Sheriff's Office", "Leon County Sheriff's Office", "FL"),
        ("Harris County Constable Precinct 1", "Harris County Constable Precinct 10", "TX"),
        ("Kenner Police Department, LA", "Kenner Police Department", "FL"),  # ', LA' is only dropped in LA
        ("Harris County Sheriff's Office", "Harris County Sheriff's Office Detention", "TX"),
    ],
)
def test_name_key_keeps_different_agencies_apart(a, b, state):
    assert ag.name_key(a, state) != ag.name_key(b, state)


# Real place names with letters outside a-z (issue 14.1), and other ways a name leaves a-z0-9.
ACCENTED = [
    ("Añasco Police Department", "Anasco Police Department", "PR", "anasco-police-department"),
    ("Cañon City Police Department", "Canon City Police Department", "CO", "canon-city-police-department"),
    ("Española Police Department", "ESPANOLA POLICE DEPARTMENT", "NM", "espanola-police-department"),
    ("Peñasco Police Department", "Penasco Police Department", "NM", "penasco-police-department"),
    ("Ste. Geneviève County Sheriff’s Office", "Ste Genevieve County Sheriff's Office", "MO", "ste-genevieve-county-sheriffs-office"),
    ("Æbleby Police Department", "Aebleby Police Department", "MN", "aebleby-police-department"),  # no NFKD split: ASCII_LETTERS
    ("Straße Police Department", "Strasse Police Department", "PA", "strasse-police-department"),  # casefold: ß -> ss
    ("Polk_County Sheriff's Office", "Polk County Sheriff's Office", "FL", "polk-county-sheriffs-office"),  # underscore
    ("Polk County Sheriff\u2019s Office\u00b2", "Polk County Sheriff's Office2", "FL", "polk-county-sheriffs-office2"),  # NFKC: ² -> 2
]


@pytest.mark.parametrize("accented, plain, state, slug", ACCENTED)
def test_name_key_folds_to_ascii(accented, plain, state, slug):
    """One documented fold (agencies.ascii_fold): with and without the accent is one agency, and
    the key holds only a-z, 0-9 and spaces, so the id matches the schema's [a-z0-9-]."""
    assert ag.name_key(accented, state) == ag.name_key(plain, state)
    assert ag.slug(ag.name_key(accented, state)) == slug


def test_assign_ids_gives_accented_names_one_ascii_id():
    df = frame([(*("participating_2025-05-16", D1, "participating"), state, name, "TFM", dt.date(2025, 5, 1))
                for name, plain, state, _ in ACCENTED for name in (name, plain)])  # fmt: skip
    out, _ = build.assign_ids(df)
    assert out["agency_id"].str.fullmatch(r"[A-Z]{2}:[a-z0-9-]+").all()
    assert out["agency_id"].tolist() == [f"{state}:{slug}" for _, _, state, slug in ACCENTED for _ in (1, 2)]


@pytest.mark.parametrize("name", ["???", "Полиция", "—"])
def test_a_name_with_nothing_left_after_the_fold_is_refused_naming_file_row_and_value(name):
    df = frame([
        ("participating_2025-05-16", D1, "participating", "FL", "Polk County Sheriff's Office", "TFM", dt.date(2025, 5, 1)),
        ("participating_2025-05-16", D1, "participating", "FL", name, "TFM", dt.date(2025, 5, 1)),
    ])  # fmt: skip
    with pytest.raises(SheetError) as err:
        build.assign_ids(df)
    assert str(err.value).startswith(f"ice_287g/participating_2025-05-16.xlsx: row 3: LAW ENFORCEMENT AGENCY {name!r}")


def test_trailing_state_code_needs_a_name_before_it():
    # A two-word name ending in the state code is not shortened to one word.
    assert ag.name_key("Louisiana, LA", "LA") == "louisiana la"


# ----------------------------------------------------------------------------- rule 2: aliases


def test_reviewed_aliases_are_loaded_by_state_and_key():
    aliases = ag.load_aliases()
    assert aliases[("FL", ag.name_key("Alachua Police Departent", "FL"))] == ag.name_key("Alachua Police Department", "FL")
    assert aliases[("MO", ag.name_key("Christian County Sherrif's Office", "MO"))] == "christian county sheriffs office"
    # keyed by state: the same spelling in another state is not aliased
    assert ("TX", ag.name_key("Alachua Police Departent", "TX")) not in aliases


def test_aliases_are_not_chained():
    aliases = ag.load_aliases()
    variants = set(aliases)
    canonicals = {(state, canon) for (state, _), canon in aliases.items()}
    assert not variants & canonicals, "an alias target is itself an alias; ids would depend on order"


# ----------------------------------------------------------------------------- rule 3: truncation


def key(name: str, state: str = "MI") -> str:
    return ag.name_key(name, state)


BERRIAN_SHORT, BERRIAN_FULL = key("Berrian County Sheriff's Offic"), key("Berrian County Sheriff's Office")


def test_truncated_name_merges_into_the_full_name():
    assert ag.truncation_map({"MI": {BERRIAN_SHORT, BERRIAN_FULL}}, set()) == {("MI", BERRIAN_SHORT): BERRIAN_FULL}


def test_no_truncation_when_both_are_listed_with_the_same_model_in_one_sheet():
    assert ag.truncation_map({"MI": {BERRIAN_SHORT, BERRIAN_FULL}}, {("MI", BERRIAN_SHORT, BERRIAN_FULL)}) == {}


def test_cooccurrence_in_another_state_does_not_block():
    assert ag.truncation_map({"MI": {BERRIAN_SHORT, BERRIAN_FULL}}, {("OH", BERRIAN_SHORT, BERRIAN_FULL)}) != {}


def test_no_truncation_with_two_longer_candidates():
    keys = {BERRIAN_SHORT, BERRIAN_FULL, key("Berrian County Sheriff's Officers Association")}
    assert ("MI", BERRIAN_SHORT) not in ag.truncation_map({"MI": keys}, set())


def test_no_truncation_across_states():
    assert ag.truncation_map({"MI": {BERRIAN_SHORT}, "IN": {BERRIAN_FULL}}, set()) == {}


@pytest.mark.parametrize(
    "short, long",
    [
        ("Harris County Constable Precinct 1", "Harris County Constable Precinct 10"),
        ("Harris County Constable Precinct 1", "Harris County Constable Precinct 1 Office"),
        ("Tennessee State Constable 4th District", "Tennessee State Constable 4th District Polk County"),  # whole word
        ("Lee County Sheriff's Office", "Leon County Sheriff's Office"),
        ("Polk County", "Polk County Jail"),  # fewer than three words
    ],
)
def test_truncation_rule_does_not_merge(short, long):
    state = "TX"
    keys = {ag.name_key(short, state), ag.name_key(long, state)}
    assert ag.truncation_map({state: keys}, set()) == {}


# ----------------------------------------------------------------------------- build.assign_ids


def frame(rows: list[tuple]) -> pd.DataFrame:
    """rows: (snapshot_id, published, kind, state, agency, model, signed)."""
    df = pd.DataFrame(rows, columns=["snapshot_id", "published", "kind", "state", "agency", "model", "signed"])
    df["file"] = "ice_287g/" + df["snapshot_id"] + ".xlsx"
    df["row"] = range(2, 2 + len(df))
    df["agency_raw"] = df["agency"]
    return df


D1, D2 = dt.date(2025, 5, 16), dt.date(2025, 5, 29)


def test_assign_ids_formats_and_merges():
    df = frame([
        ("participating_2025-05-16", D1, "participating", "FL", "Hardee County Sheriff's Office", "JEM", dt.date(2019, 6, 26)),
        ("participating_2025-05-16", D1, "participating", "MI", "Allegan County Sheriff's Offic", "WSO", dt.date(2025, 5, 1)),
        ("participating_2025-05-16", D1, "participating", "FL", "Alachua Police Departent", "TFM", dt.date(2025, 3, 1)),
        ("participating_2025-05-29", D2, "participating", "FL", "HARDEE COUNTY SHERIFF’S OFFICE", "JEM", dt.date(2019, 6, 26)),
        ("participating_2025-05-29", D2, "participating", "MI", "Allegan County Sheriff's Office", "WSO", dt.date(2025, 5, 1)),
        ("participating_2025-05-29", D2, "participating", "FL", "Alachua Police Department", "TFM", dt.date(2025, 3, 1)),
        ("participating_2025-05-29", D2, "participating", "FL", "Leon County Sheriff's Office", "TFM", None),
        ("participating_2025-05-29", D2, "participating", "FL", "Lee County Sheriff's Office", None, dt.date(2025, 4, 1)),
        ("pending_2025-05-29", D2, "pending", "FL", "Collier County Sheriff's Office", "TFM", None),
    ])  # fmt: skip
    out, fixes = build.assign_ids(df)
    assert len(out) == len(df)
    assert out["agency_id"].str.fullmatch(r"[A-Z]{2}:[a-z0-9-]+").all()
    ids = out["agency_id"].tolist()
    assert ids[0] == ids[3] == "FL:hardee-county-sheriffs-office"
    assert ids[1] == ids[4] == "MI:allegan-county-sheriffs-office"  # truncation rule
    assert ids[2] == ids[5] == "FL:alachua-police-department"  # reviewed alias
    assert ids[6] == "FL:leon-county-sheriffs-office" and ids[7] == "FL:lee-county-sheriffs-office"
    assert out["agreement_id"].tolist()[:2] == [
        "FL:hardee-county-sheriffs-office:JEM:2019-06-26",
        "MI:allegan-county-sheriffs-office:WSO:2025-05-01",
    ]
    assert out.loc[6, "agreement_id"] == "FL:leon-county-sheriffs-office:TFM:undated"
    assert out.loc[7, "agreement_id"] == "FL:lee-county-sheriffs-office:unstated:2025-04-01"
    assert out.loc[8, "agreement_id"] == "FL:collier-county-sheriffs-office:TFM:pending"
    assert not out["is_duplicate"].any()
    assert not {"_key", "_canon", "_rule"} & set(out.columns)
    # the printed spelling is kept; the display name is one spelling for the whole agency
    assert out.loc[1, "agency"] == "Allegan County Sheriff's Offic"
    assert out.loc[1, "agency_name"] == out.loc[4, "agency_name"]
    rules = dict(zip(zip(fixes["row"], fixes["rule"]), fixes["after"]))
    assert rules[(3, "agency_truncated")] == out.loc[1, "agency_name"]
    assert (4, "agency_alias") in rules
    assert set(fixes["rule"]) == {"agency_truncated", "agency_alias"}


@pytest.mark.parametrize("models, agencies", [
    (("WSO", "WSO"), 2),  # both names with one model in one sheet: two agencies, no truncation
    (("JEM", "WSO"), 1),  # different models: the cut-off name is the same agency
])  # fmt: skip
def test_truncation_depends_on_sharing_a_model_in_one_sheet(models, agencies):
    df = frame([
        ("participating_2025-05-16", D1, "participating", "MI", "Allegan County Sheriff's Offic", models[0], dt.date(2025, 5, 1)),
        ("participating_2025-05-16", D1, "participating", "MI", "Allegan County Sheriff's Office", models[1], dt.date(2025, 5, 1)),
    ])  # fmt: skip
    out, fixes = build.assign_ids(df)
    assert out["agency_id"].nunique() == agencies
    assert fixes.empty == (agencies == 2)


def test_duplicate_rows_are_flagged_not_dropped():
    row = ("participating_2025-08-15", D2, "participating", "TX", "Lubbock County Sheriff's Office", "WSO", dt.date(2020, 1, 15))
    other = ("participating_2025-05-29", D1, "participating", "TX", "Lubbock County Sheriff's Office", "WSO", dt.date(2020, 1, 15))
    out, _ = build.assign_ids(frame([row, row, other]))
    assert out["is_duplicate"].tolist() == [False, True, False]  # only within one snapshot
    assert out["agreement_id"].nunique() == 1


def test_display_name_is_the_most_frequent_spelling():
    df = frame([
        ("s1", D1, "participating", "FL", "Hardee County Sheriff’s Office", "JEM", dt.date(2019, 6, 26)),
        ("s2", D1, "participating", "FL", "HARDEE COUNTY SHERIFFS OFFICE", "JEM", dt.date(2019, 6, 26)),
        ("s3", D2, "participating", "FL", "Hardee County Sheriff’s Office", "JEM", dt.date(2019, 6, 26)),
    ])  # fmt: skip
    df["agency"] = df["agency"].str.replace("\u2019", "'")
    out, fixes = build.assign_ids(df)
    assert set(out["agency_name"]) == {"Hardee County Sheriff's Office"}
    assert fixes.empty  # folding by key alone is not a logged correction
