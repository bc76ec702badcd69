"""Readers for the county sources of issue 15: Census Vintage 2024 county population and the
Geocorr place-to-county crosswalk. Unit tests use tiny files with each source's quirks (Latin-1
'Doña Ana', two header rows, quoted codes, trailing spaces); integration tests check the real
files against the facts stated in their MANIFEST."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.ingest import census, geocorr, manifests
from analysis.core.errors import DataIntegrityError, QAError, SheetError

COUNTY_HEADER = "SUMLEV,REGION,DIVISION,STATE,COUNTY,STNAME,CTYNAME,POPESTIMATE2023,POPESTIMATE2024"
COUNTY_ROWS = """\
040,4,8,35,000,New Mexico,New Mexico,10,330
050,4,8,35,013,New Mexico,Doña Ana County,5,229
050,4,8,35,001,New Mexico,Bernalillo County,5,101
040,1,1,09,000,Connecticut,Connecticut,1,30
050,1,1,09,110,Connecticut,Capitol Planning Region,1,30
"""

GEOCORR = """\
"county","state","place","stab","CountyName","PlaceName","pop20","afact2","afact"
"County code","State code","Place code","State abbr.","County name","Place name","Total population (2020 Census)","place-to-county allocation factor","county-to-place allocation factor"
"12071","12","10275","FL","Lee FL","Cape Coral city, FL",194016,1,0.255 
"22097","22","03110","LA","St. Landry LA","Arnaudville town, LA",970,0.9613,0.0118 
"22099","22","03110","LA","St. Martin LA","Arnaudville town, LA",39,0.0387,0.0008 
"08043","08","11810","CO","Fremont CO","Cañon City city, CO",17000,1,0.34 
"02016","02","04670","AK","Aleutians West AK","Attu Station CDP, AK",0,,0 
"12071","12","99999","FL","Lee FL","[not in a place]",400000,0.5,0.5 
"""


def write(tmp_path, name: str, text: str, encoding: str = "latin-1"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# ---------------------------------------------------------------- Census counties


def test_county_population_reads_latin1_and_pads_fips(tmp_path):
    path = write(tmp_path, "co.csv", COUNTY_HEADER + "\n" + COUNTY_ROWS)
    assert b"Do\xf1a" in path.read_bytes()  # the Latin-1 byte, as in the real file
    df = census.read_county_population(path)
    assert list(df.columns) == ["fips", "state", "county_name", "population_2024"]
    assert df["fips"].tolist() == ["35013", "35001", "09110"]
    assert df["state"].tolist() == ["NM", "NM", "CT"]
    assert df["county_name"].tolist()[0] == "Doña Ana County"
    assert df["population_2024"].tolist() == [229, 101, 30]


def test_county_population_refuses_counties_not_summing_to_the_state_row(tmp_path):
    path = write(tmp_path, "co.csv", COUNTY_HEADER + "\n" + COUNTY_ROWS.replace(",5,229", ",5,228"))
    with pytest.raises(SheetError, match="counties of state 35 sum to 329; its state row says 330"):
        census.read_county_population(path)


def test_county_population_refuses_a_state_without_its_row(tmp_path):
    rows = "\n".join(r for r in COUNTY_ROWS.splitlines() if not r.startswith("040,1,1,09")) + "\n"
    with pytest.raises(SheetError, match="state 09 .*no SUMLEV 040 row"):
        census.read_county_population(write(tmp_path, "co.csv", COUNTY_HEADER + "\n" + rows))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [(",5,229", ",5,2x9", "non-numeric POPESTIMATE2024 '2x9'"), ("CTYNAME", "NAME", r"missing column\(s\) \['CTYNAME'\]")],
)
def test_county_population_bad_values_fail(tmp_path, old, new, message):
    path = write(tmp_path, "co.csv", (COUNTY_HEADER + "\n" + COUNTY_ROWS).replace(old, new))
    with pytest.raises(SheetError, match=message):
        census.read_county_population(path)


def test_utf8_reader_on_a_latin1_file_is_a_sheet_error(tmp_path):
    """A wrongly encoded text file is one error line, not a UnicodeDecodeError traceback."""
    from analysis.ingest.textfiles import read_text_table

    path = write(tmp_path, "co.csv", COUNTY_HEADER + "\n" + COUNTY_ROWS)
    with pytest.raises(SheetError, match="cannot read census"):
        read_text_table(path, "census")


# ---------------------------------------------------------------- Geocorr crosswalk


def test_place_county_skips_the_label_row_and_keeps_codes_as_text(tmp_path):
    df = geocorr.read_place_county(write(tmp_path, "geocorr.csv", GEOCORR))
    assert list(df.columns) == ["state", "place_code", "place_name", "county_fips", "county_name", "pop20", "share"]
    assert len(df) == 5  # label row and the '[not in a place]' rest of Lee County dropped
    cape = df.iloc[0]
    assert (cape["county_fips"], cape["place_code"], cape["place_name"]) == ("12071", "10275", "Cape Coral city, FL")
    assert df["share"].iloc[:3].tolist() == [1.0, 0.9613, 0.0387]  # trailing spaces of the last column are gone
    assert df["place_name"].iloc[3] == "Cañon City city, CO"
    assert df["share"].isna().tolist() == [False] * 4 + [True]  # a town of no residents has no share
    assert df["pop20"].dtype == "int64" and df["share"].dtype == "float64"


def test_place_county_refuses_a_file_without_the_label_row(tmp_path):
    lines = GEOCORR.splitlines()
    path = write(tmp_path, "geocorr.csv", "\n".join([lines[0], *lines[2:]]) + "\n")
    with pytest.raises(SheetError, match="expected Geocorr's label row"):
        geocorr.read_place_county(path)


@pytest.mark.parametrize(
    ("old", "new", "error", "message"),
    [('"12071","12","10275"', '"1207","12","10275"', SheetError, "malformed county_fips '1207'"),
     ("194016,1,0.255", "194016,,0.255", SheetError, "non-numeric afact2 ''"),  # blank only for 0 residents
     ("0.9613", "1.9613", QAError, "column 'share' fails check 'in_range")],
)
def test_place_county_bad_values_fail(tmp_path, old, new, error, message):
    with pytest.raises(error, match=message):
        geocorr.read_place_county(write(tmp_path, "geocorr.csv", GEOCORR.replace(old, new)))


# ---------------------------------------------------------------- registry rows from the MANIFESTs


def test_manifest_rows_of_several_objects_go_to_the_notes():
    rows, counted = manifests._rows({"file": "c.json", "rows": "counties=3231;states=56;nation=1"}, "us_atlas")
    assert (rows, counted) == (None, "counties=3231;states=56;nation=1")
    assert manifests._rows({"file": "x.csv", "rows": "3195"}, "s") == (3195, "")
    with pytest.raises(DataIntegrityError, match="cannot read rows 'about 3000'"):
        manifests._rows({"file": "x.csv", "rows": "about 3000"}, "s")


# ---------------------------------------------------------------- integration: real files


@pytest.mark.integration
def test_real_county_population(raw_file):
    path = raw_file("census_popest_v2024_county/co-est2024-alldata.csv")
    df = census.read_county_population(path)
    raw = pd.read_csv(path, dtype=str, encoding="latin-1")
    states = raw[raw["SUMLEV"] == "040"]
    assert (len(df), len(states)) == (3144, 51)
    by_state = df.groupby(df["fips"].str[:2])["population_2024"].sum()
    assert by_state.to_dict() == states.set_index("STATE")["POPESTIMATE2024"].astype("int64").to_dict()
    assert df["population_2024"].sum() == 340_110_988  # MANIFEST: equal to the 50 states + DC
    by_fips = df.set_index("fips")
    assert by_fips.loc["48201", ["state", "county_name"]].tolist() == ["TX", "Harris County"]
    assert by_fips.loc["35013", "county_name"] == "Doña Ana County"
    assert by_fips.loc["12086", "county_name"] == "Miami-Dade County"
    assert sorted(df.loc[df["state"] == "CT", "fips"]) == [f"09{c}" for c in range(110, 200, 10)]
    assert sorted(df.loc[df["county_name"] == "Cook County", "state"]) == ["GA", "IL", "MN"]


@pytest.mark.integration
def test_real_place_county(raw_file):
    df = geocorr.read_place_county(raw_file("geocorr_place_county/geocorr2022_place_county.csv"))
    cape = df[df["place_name"] == "Cape Coral city, FL"]
    assert cape[["county_fips", "share"]].values.tolist() == [["12071", 1.0]]
    arn = df[df["place_name"] == "Arnaudville town, LA"].sort_values("share")
    assert arn["share"].tolist() == [0.0387, 0.9613]
    assert sorted(df.loc[df["state"] == "CT", "county_fips"].unique()) == [f"090{c:02d}" for c in range(1, 17, 2)]
    # Each town's parts add up to all of it (afact2 is rounded to 4 decimals).
    total = df.dropna(subset=["share"]).groupby(["state", "place_code"])["share"].sum()
    assert total.between(0.995, 1.005).all()


@pytest.mark.integration
@pytest.mark.parametrize("folder", ["census_popest_v2024_county", "geocorr_place_county", "us_atlas"])
def test_new_sets_are_registered_as_their_manifest_says(mirror_dir, folder):
    """Every file of the three county sources has a registry row with the MANIFEST's sha256, its size,
    and the pinned URL the MANIFEST gives (a commit-pinned GitHub raw URL, or us-atlas@3.0.1 on jsDelivr)."""
    import csv

    from analysis import paths
    from analysis.ingest import fetch, registry

    with (mirror_dir / folder / "MANIFEST.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    by_path = {e.path: e for e in registry.read_registry(paths.project().registry_csv)}
    for row in rows:
        entry = by_path[f"{folder}/{row['file']}"]
        assert entry.sha256 == row["sha256"] == fetch.sha256_of(mirror_dir / entry.path)
        assert entry.bytes == (mirror_dir / entry.path).stat().st_size
        assert entry.bytes_from_upstream and entry.url
        if folder == "us_atlas":
            assert entry.url == f"https://cdn.jsdelivr.net/npm/us-atlas@3.0.1/{row['file']}"
            assert entry.url in row["retrieved_from"]
        else:
            repo, rest = row["retrieved_from"].split(":", 1)
            path, commit = rest.split("@")
            assert entry.url == f"https://raw.githubusercontent.com/{repo}/{commit}/{path}"
