"""Readers for the context sources: TRAC pending cases, Census population, 2024 votes, and
published reference figures. Unit tests use tiny hand-made files with each source's quirks;
integration tests check the real files against the facts stated in their MANIFEST/README.
"""

from __future__ import annotations

import pytest

from analysis.ingest import census, elections, reference_figures, trac
from analysis.core.errors import SheetError

# ---------------------------------------------------------------- fixtures (tiny raw files)

TRAC_COUNTY = """\
id\tcocount\tcorep\tcocount90\tcorep90\tcopctrep\tcopctrep90\tconame
01001\t87\t36\t0\t0\t41.4\t0.0\tAutauga County
12086\t152,771\t38,747\t1,234\t207\t25.4\t16.8\tMiami-Dade County
36005\t1,000\t500\t10\t5\t50.0\t50.0\tBronx County
36047\t2,000\t1,500\t20\t10\t75.0\t50.0\t Kings County 
36061\t300\t100\t3\t1\t33.3\t33.3\tNew York County
36081\t4,000\t2,000\t40\t20\t50.0\t50.0\tQueens County
36085\t50\t25\t0\t0\t50.0\t0.0\tRichmond County
36059\t9,999\t1\t1\t1\t0.0\t100.0\tNassau County
72001\t0\t0\t0\t0\t0.0\t0.0\tAdjuntas Municipio
"""

TRAC_STATE = """\
id\tstcode\tstname\tstcount\tstrep\tstcount90\tstrep90\tstpctrep\tstpctrep90
01\tAL\tAlabama\t27,544\t6,365\t216\t38\t23.1\t17.6
11\tDC\tDistrict of Columbia\t5,000\t2,500\t50\t25\t50.0\t50.0
36\tNY\tNew York\t1,234,567\t700,000\t9,000\t3,000\t56.7\t33.3
"""

CENSUS_HEADER = "  c,REGION,DIVISION,STATE,NAME,POPESTIMATE2023,POPESTIMATE2024"
CENSUS_ROWS = """\
010,0,0,00,United States,100,1000
020,3,0,00,South Region,50,500
040,3,6,01,Alabama,10,5157699
040,3,5,11,District of Columbia,20,702250
040,X,X,72,Puerto Rico,30,3203295
"""

ELECTION_HEADER = (
    "id,state_abbrev,state,cycle,stage,party,candidate_name,ballot_party,votes,alt_result_text"
)
ELECTION_ROWS = """\
1,NY,New York,2020,general,,Donald Trump,REP,999999,
2,NY,New York,2024,primary,,Donald Trump,REP,55555,
3,NY,New York,2024,general,,Donald Trump,REP,3000,
4,NY,New York,2024,general,,Donald Trump,CRV,300,
5,NY,New York,2024,general,,Kamala Harris,DEM,4000,
6,NY,New York,2024,general,,Kamala Harris,WFP,250,
7,NY,New York,2024,general,,Jill Stein,W,50,
8,NY,New York,2024,general,,,,70,Blank
9,NY,New York,2024,general,,,,40,Void
10,ME,Maine,2024,general,,Donald Trump,REP,100,
11,ME,Maine,2024,general,,Kamala Harris,DEM,120,
12,ME,Maine,2024,general,,,,5,Other
13,ME,Maine,2024,general,,,,10,Blank
14,M1,Maine CD-1,2024,general,,Donald Trump,REP,50,
15,M1,Maine CD-1,2024,general,,Kamala Harris,DEM,60,
16,N2,Nebraska CD-2,2024,general,,Donald Trump,REP,40,
17,N2,Nebraska CD-2,2024,general,,Kamala Harris,DEM,45,
18,PR,Puerto Rico,2024,general,,Kamala Harris,DEM,700,
19,PR,Puerto Rico,2024,general,,Donald Trump,REP,200,
20,MD,Maryland,2024,general,,Donald Trump,REP,"1,000",
21,MD,Maryland,2024,general,,Kamala Harris,DEM,2000,
22,MD,Maryland,2024,general,,Sharon E. Harris,W,2,
23,MD,Maryland,2024,general,,,,30,Write-in
24,MD,Maryland,2024,general,,,,3,Overvote
25,NV,Nevada,2024,general,,Donald Trump,REP,500,
26,NV,Nevada,2024,general,,Kamala Harris,DEM,480,
27,NV,Nevada,2024,general,,,,20,None of these candidates
28,NV,Nevada,2024,general,,,,7,Undervote
"""

REFERENCE = """\
figure_id,source_publisher,geography,value,value_qualifier,quote_context
a_exact,TRAC,"Harris County, TX",2460,exact,"had more immigrants (2,460)"
b_upper,TRAC report 740,New York City,"11,000","upper bound (""just under 11,000"")",just under
c_lower,TRAC report 740,"Harris County, TX",8000,"lower bound (""over 8,000"")",over
d_approx,Axios,United States,42000,Approximate,about
"""


def write(tmp_path, name: str, text: str, encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def drop_column(text: str, column: str, sep: str) -> str:
    """The same table without one column (to test missing-column errors)."""
    rows = [line.split(sep) for line in text.splitlines()]
    i = rows[0].index(column)
    return "\n".join(sep.join(r[:i] + r[i + 1:]) for r in rows) + "\n"


# ---------------------------------------------------------------- TRAC


def test_trac_county_parses_commas_fips_and_nyc(tmp_path):
    df = trac.read_trac_county(write(tmp_path, "county.tsv", TRAC_COUNTY))
    assert list(df.columns) == [
        "fips", "state", "county", "pending", "represented", "pending_90d", "represented_90d",
        "pct_represented", "pct_represented_90d", "is_nyc",
    ]
    assert df["fips"].tolist()[:2] == ["01001", "12086"]
    assert df["state"].tolist() == ["AL", "FL", "NY", "NY", "NY", "NY", "NY", "NY", "PR"]
    miami = df.set_index("fips").loc["12086"]
    assert (miami["pending"], miami["represented"], miami["pending_90d"]) == (152771, 38747, 1234)
    assert miami["pct_represented"] == 25.4
    assert df["pending"].dtype == "int64" and df["pct_represented"].dtype == "float64"
    assert df.loc[df["is_nyc"], "fips"].tolist() == ["36005", "36047", "36061", "36081", "36085"]
    assert "Kings County" in df["county"].tolist()  # surrounding spaces stripped


def test_trac_county_pads_fips_that_lost_leading_zero(tmp_path):
    text = TRAC_COUNTY.replace("\n01001\t", "\n1001\t")
    df = trac.read_trac_county(write(tmp_path, "county.tsv", text))
    assert df.loc[0, ["fips", "state"]].tolist() == ["01001", "AL"]


def test_nyc_combined_sums_the_five_boroughs_only(tmp_path):
    df = trac.read_trac_county(write(tmp_path, "county.tsv", TRAC_COUNTY))
    nyc = trac.nyc_combined(df)
    assert nyc["pending"] == 1000 + 2000 + 300 + 4000 + 50  # Nassau (36059) not included
    assert nyc["represented"] == 500 + 1500 + 100 + 2000 + 25
    assert nyc["pending_90d"] == 73 and nyc["represented_90d"] == 36
    assert nyc["pct_represented"] == pytest.approx(100 * 4125 / 7350)
    assert len(nyc["counties"]) == 5


def test_nyc_combined_refuses_a_missing_borough(tmp_path):
    df = trac.read_trac_county(write(tmp_path, "county.tsv", TRAC_COUNTY))
    with pytest.raises(ValueError, match="36085"):
        trac.nyc_combined(df[df["fips"] != "36085"])


def test_trac_state_parses_and_checks_stcode(tmp_path):
    df = trac.read_trac_state(write(tmp_path, "state.tsv", TRAC_STATE))
    assert list(df.columns) == [
        "fips", "state", "state_name", "pending", "represented", "pending_90d",
        "represented_90d", "pct_represented", "pct_represented_90d",
    ]
    assert df["fips"].tolist() == ["01", "11", "36"]
    assert df["state"].tolist() == ["AL", "DC", "NY"]
    assert df["pending"].tolist() == [27544, 5000, 1234567]
    assert df["represented_90d"].tolist() == [38, 25, 3000]


def test_trac_state_rejects_stcode_not_matching_fips(tmp_path):
    path = write(tmp_path, "state.tsv", TRAC_STATE.replace("36\tNY", "36\tNJ"))
    with pytest.raises(SheetError, match="stcode 'NJ'"):
        trac.read_trac_state(path)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("\t1,000\t500\t", "\t1,000\t5OO\t", "non-numeric count in column 'represented'"),
        ("\t1,000\t500\t", "\t1.000\t500\t", "non-numeric count in column 'pending'"),
        ("\t1,000\t500\t", "\t\t500\t", "non-numeric count in column 'pending'"),
        ("\t25.4\t16.8\t", "\tn/a\t16.8\t", "non-numeric percentage"),
        ("\n01001\t", "\n99001\t", "unknown state FIPS"),
        ("\n01001\t", "\n12086\t", "duplicate FIPS"),
        ("\n01001\t", "\nAB001\t", "malformed FIPS"),
    ],
)
def test_trac_county_bad_values_fail(tmp_path, old, new, message):
    path = write(tmp_path, "county.tsv", TRAC_COUNTY.replace(old, new, 1))
    with pytest.raises(SheetError, match=message):
        trac.read_trac_county(path)


# ---------------------------------------------------------------- Census


@pytest.mark.parametrize("first", ["  c", "SUMLEV"])
def test_census_state_rows_with_either_first_header(tmp_path, first):
    text = CENSUS_HEADER.replace("  c", first, 1) + "\n" + CENSUS_ROWS
    df = census.read_state_population(write(tmp_path, "pop.csv", text, encoding="latin-1"))
    assert list(df.columns) == ["fips", "state", "state_name", "population_2024", "is_state"]
    assert df["fips"].tolist() == ["01", "11", "72"]
    assert df["state"].tolist() == ["AL", "DC", "PR"]
    assert df["population_2024"].tolist() == [5157699, 702250, 3203295]
    assert df["is_state"].tolist() == [True, True, False]
    assert df["population_2024"].dtype == "int64" and df["is_state"].dtype == bool


def test_census_rejects_unknown_first_header(tmp_path):
    path = write(tmp_path, "pop.csv", CENSUS_HEADER.replace("  c", "LEVEL", 1) + "\n" + CENSUS_ROWS)
    with pytest.raises(SheetError, match="'LEVEL'.*SUMLEV"):
        census.read_state_population(path)


def test_census_rejects_non_numeric_population(tmp_path):
    path = write(tmp_path, "pop.csv", CENSUS_HEADER + "\n" + CENSUS_ROWS.replace("702250", "X"))
    with pytest.raises(SheetError, match="non-numeric POPESTIMATE2024 'X'"):
        census.read_state_population(path)


# ---------------------------------------------------------------- Elections


def test_presidential_2024_rules(tmp_path):
    df = elections.read_presidential_2024(
        write(tmp_path, "pres.csv", ELECTION_HEADER + "\n" + ELECTION_ROWS)
    )
    assert list(df.columns) == [
        "state", "state_name", "trump_votes", "harris_votes", "total_votes", "trump_share",
        "harris_share", "trump_two_party_share",
    ]
    # M1, N2 and PR are dropped; 2020 and primary rows ignored.
    assert df["state"].tolist() == ["MD", "ME", "NV", "NY"]
    got = df.set_index("state")
    # NY fusion lines summed; Blank and Void excluded, Jill Stein included.
    counts = ["trump_votes", "harris_votes", "total_votes"]
    assert got.loc["NY", counts].tolist() == [3300, 4250, 7600]
    # ME statewide only (CD rows dropped); Other counts, Blank does not.
    assert got.loc["ME", counts].tolist() == [100, 120, 225]
    # "Sharon E. Harris" is not Kamala Harris, but her 2 votes are in the total; Overvote is not.
    assert got.loc["MD", counts].tolist() == [1000, 2000, 3032]
    # "None of these candidates" counts (Nevada ballot option), Undervote does not.
    assert got.loc["NV", "total_votes"] == 1000
    assert got.loc["NY", "trump_share"] == pytest.approx(3300 / 7600)
    assert got.loc["NY", "harris_share"] == pytest.approx(4250 / 7600)
    assert got.loc["NY", "trump_two_party_share"] == pytest.approx(3300 / 7550)
    assert got.loc["MD", "state_name"] == "Maryland"
    assert df["total_votes"].dtype == "int64"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (",,,70,Blank", ",,,70,Spoiled", "unrecognised candidate-less row 'Spoiled'"),
        ("25,NV,Nevada", "25,XX,Nevada", "unknown state_abbrev 'XX'"),
        ("Kamala Harris,DEM,2000", "Kamala Harris,DEM,2k", "non-numeric votes '2k'"),
        ("25,NV,Nevada,2024,general,,Donald Trump", "25,NV,Nevada,2024,general,,Don Jr",
         "no Trump or no Harris votes found for NV"),
    ],
)
def test_presidential_bad_values_fail(tmp_path, old, new, message):
    text = ELECTION_HEADER + "\n" + ELECTION_ROWS
    assert old in text
    with pytest.raises(SheetError, match=message):
        elections.read_presidential_2024(write(tmp_path, "pres.csv", text.replace(old, new, 1)))


# ---------------------------------------------------------------- Reference figures


def test_reference_figures_qualifiers_and_lookup(tmp_path):
    df = reference_figures.read_reference_figures(write(tmp_path, "ref.csv", REFERENCE))
    assert df["value"].tolist() == [2460, 11000, 8000, 42000]
    assert df["value"].dtype == "int64"
    assert df["qualifier"].tolist() == ["exact", "upper bound", "lower bound", "approximate"]
    assert df.loc[1, "qualifier_text"] == 'upper bound ("just under 11,000")'
    assert df.loc[0, "geography"] == "Harris County, TX"  # other columns kept
    row = reference_figures.lookup(df, "c_lower")
    assert (row["value"], row["qualifier"]) == (8000, "lower bound")
    with pytest.raises(KeyError, match="no reference figure 'zzz'"):
        reference_figures.lookup(df, "zzz")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (",exact,", ",roughly,", "unknown value_qualifier 'roughly'"),
        (",2460,", ",2.5k,", "non-integer value '2.5k'"),
        ("d_approx,", "a_exact,", "duplicate figure_id 'a_exact'"),
    ],
)
def test_reference_figures_bad_values_fail(tmp_path, old, new, message):
    with pytest.raises(SheetError, match=message):
        reference_figures.read_reference_figures(
            write(tmp_path, "ref.csv", REFERENCE.replace(old, new, 1))
        )


# ---------------------------------------------------------------- missing columns, any reader


@pytest.mark.parametrize(
    ("reader", "text", "sep", "column"),
    [
        (trac.read_trac_county, TRAC_COUNTY, "\t", "corep"),
        (trac.read_trac_state, TRAC_STATE, "\t", "stcount"),
        (census.read_state_population, CENSUS_HEADER + "\n" + CENSUS_ROWS, ",", "POPESTIMATE2024"),
        (elections.read_presidential_2024,
         ELECTION_HEADER + "\n" + ELECTION_ROWS.replace('"1,000"', "1000"), ",", "votes"),
        (reference_figures.read_reference_figures,
         "figure_id,value,value_qualifier\na,1,exact\n", ",", "value_qualifier"),
    ],
)
def test_missing_column_names_column_and_file(tmp_path, reader, text, sep, column):
    path = write(tmp_path, "broken_input.txt", drop_column(text, column, sep))
    with pytest.raises(SheetError, match=column) as info:
        reader(path)
    assert info.value.path == str(path)
    assert "broken_input.txt" in str(info.value)


@pytest.mark.parametrize(
    "reader",
    [trac.read_trac_county, census.read_state_population, elections.read_presidential_2024,
     reference_figures.read_reference_figures],
)
def test_unreadable_file_is_a_sheet_error(tmp_path, reader):
    with pytest.raises(SheetError, match="cannot read"):
        reader(tmp_path / "does_not_exist.csv")


# ---------------------------------------------------------------- integration: real files


@pytest.mark.integration
def test_real_trac_county(raw_file):
    df = trac.read_trac_county(raw_file("trac_pending_by_address/trac_addressrep_county.tsv"))
    assert len(df) == 3220
    assert df["fips"].str.fullmatch(r"\d{5}").all()
    assert df.set_index("fips").loc["12086", "pending"] == 152771
    assert df["pending"].sum() == 3_475_277
    assert trac.nyc_combined(df)["pending"] == 275_643
    assert df.loc[df["state"] == "PR", "pending"].sum() == 0  # README: PR rows all zero
    assert df["state"].nunique() == 52  # 50 states + DC + PR
    top = df.nlargest(3, "pending")["fips"].tolist()
    assert top == ["12086", "17031", "06037"]  # Miami-Dade, Cook, Los Angeles


@pytest.mark.integration
def test_real_trac_state(raw_file):
    df = trac.read_trac_state(raw_file("trac_pending_by_address/trac_addressrep_state.tsv"))
    assert len(df) == 51
    assert df["pending"].sum() == 3_475_298
    assert "PR" not in set(df["state"])


@pytest.mark.integration
def test_real_census(raw_file):
    df = census.read_state_population(raw_file("census_popest_v2024_state/NST-EST2024-ALLDATA.csv"))
    assert len(df) == 52
    assert df["is_state"].sum() == 51
    assert df.loc[~df["is_state"], "state"].tolist() == ["PR"]
    # The 50 states + DC add up to the file's United States (SUMLEV 010) row.
    assert df.loc[df["is_state"], "population_2024"].sum() == 340_110_988


@pytest.mark.integration
def test_real_presidential_2024(raw_file):
    df = elections.read_presidential_2024(
        raw_file("fivethirtyeight_election_results/election_results_presidential.csv")
    )
    assert len(df) == 51
    assert df["trump_votes"].sum() == 77_302_593
    assert df["harris_votes"].sum() == 75_017_648
    assert df["total_votes"].sum() == 155_213_023  # MANIFEST: all rows minus blank/over/under/void
    ny = df.set_index("state").loc["NY"]
    assert (ny["trump_votes"], ny["harris_votes"]) == (3_257_166 + 321_733, 4_341_375 + 277_820)
    assert (df["trump_share"] + df["harris_share"] < 1).all()


@pytest.mark.integration
def test_real_reference_figures(raw_file):
    df = reference_figures.read_reference_figures(
        raw_file("published_reference_figures/reference_figures.csv")
    )
    assert len(df) == 16
    assert set(df["qualifier"]) == {"exact", "approximate", "upper bound", "lower bound"}
    row = reference_figures.lookup(df, "axios_2025_miamidade_pending_mar")
    assert (row["value"], row["qualifier"]) == (154974, "exact")
