"""County codes (analysis/clean/geography.py): each rule on a small gazetteer built here, then the
coverage on the real curated agreements (integration) against a documented floor."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.clean import geography as geo

COUNTIES = pd.DataFrame(
    [
        ("48201", "TX", "Harris County"), ("13143", "GA", "Haralson County"), ("13145", "GA", "Harris County"),
        ("12086", "FL", "Miami-Dade County"), ("12071", "FL", "Lee County"), ("12111", "FL", "St. Lucie County"),
        ("17031", "IL", "Cook County"), ("13075", "GA", "Cook County"), ("27031", "MN", "Cook County"),
        ("22097", "LA", "St. Landry Parish"), ("02020", "AK", "Anchorage Municipality"),
        ("35013", "NM", "Doña Ana County"), ("51159", "VA", "Richmond County"), ("51760", "VA", "Richmond city"),
        ("09110", "CT", "Capitol Planning Region"), ("26021", "MI", "Berrien County"), ("26099", "MI", "Macomb County"),
    ],
    columns=["fips", "state", "county_name"],
).assign(population_2024=1)  # fmt: skip

PLACES = pd.DataFrame(
    [
        ("FL", "10275", "Cape Coral city, FL", "12071", "Lee FL", 194016, 1.0),
        ("LA", "03110", "Arnaudville town, LA", "22097", "St. Landry LA", 970, 0.9613),
        ("LA", "03110", "Arnaudville town, LA", "22099", "St. Martin LA", 39, 0.0387),
        ("CT", "37000", "Hartford city, CT", "09003", "Hartford CT", 121054, 1.0),
        ("CT", "52000", "New Haven city, CT", "09009", "New Haven CT", 134023, 1.0),
    ],
    columns=["state", "place_code", "place_name", "county_fips", "county_name", "pop20", "share"],
)  # fmt: skip


@pytest.fixture(scope="module")
def real_gaz() -> geo.Gazetteer:
    """The gazetteer of this checkout's build (its county_population and place_county tables)."""
    return geo.read(geo.paths.project().processed)


@pytest.fixture(scope="module")
def gaz() -> geo.Gazetteer:
    return geo.Gazetteer(COUNTIES, PLACES, {("MI", geo.county_key("Berrian County")): "Berrien County"})


@pytest.mark.parametrize(
    ("state", "county", "agency", "jtype", "expected"),
    [
        ("TX", "Harris County", "Harris County Sheriff's Office", "County", ("48201", "county", 1.0, "county_cell")),
        ("FL", "Miami-Dade County", "Miami-Dade Police Department", "County", ("12086", "county", 1.0, "county_cell")),
        ("IL", "Cook County", "Cook County Sheriff's Office", "County", ("17031", "county", 1.0, "county_cell")),
        ("GA", "Cook County", "Cook County Sheriff's Office", "County", ("13075", "county", 1.0, "county_cell")),
        ("GA", "Harris County", "Harris County Sheriff's Office", "County", ("13145", "county", 1.0, "county_cell")),
        ("FL", None, "Lee County Sheriff's Office", "County", ("12071", "county", 1.0, "agency_name")),
        ("FL", None, "Miami-Dade Sheriff's Office", "County", ("12086", "county", 1.0, "agency_name")),
        ("FL", None, "Board of St. Lucie County Commissioners", None, ("12111", "county", 1.0, "agency_name")),
        ("FL", None, "Cape Coral Police Department", "Municipality", ("12071", "county", 1.0, "crosswalk")),
        ("FL", None, "City of Cape Coral Police Dept", "Municipality", ("12071", "county", 1.0, "crosswalk")),
        ("LA", None, "Arnaudville Police Department", "Municipality", ("22097", "county", 0.9613, "crosswalk")),
        # suffixes, "St." = "Saint", case, accents and trailing spaces
        ("FL", "saint lucie  ", "x", "County", ("12111", "county", 1.0, "county_cell")),
        ("LA", "St Landry", "x", "County", ("22097", "county", 1.0, "county_cell")),
        ("AK", "Anchorage", "x", "County", ("02020", "county", 1.0, "county_cell")),
        ("NM", "Dona Ana County", "x", "County", ("35013", "county", 1.0, "county_cell")),
        ("VA", "Richmond City", "x", "Municipality", ("51760", "county", 1.0, "county_cell")),
        ("VA", "Richmond County", "x", "County", ("51159", "county", 1.0, "county_cell")),
        # ICE's typo through the reviewed alias table
        ("MI", "Berrian County ", "Berrian County Sheriff's Office", "County", ("26021", "county", 1.0, "county_alias")),
        # Connecticut: ICE's former county -> the former county's FIPS of the geometry and crosswalk
        ("CT", "Hartford County", "Hartford Police Department", "Municipality", ("09003", "county", 1.0, "county_cell")),
        ("CT", None, "New Haven Police Department", "Municipality", ("09009", "county", 1.0, "crosswalk")),
        # statewide and territory rows get no county
        ("FL", None, "Florida Highway Patrol", None, (None, "statewide", None, "state_agency")),
        ("FL", "Leon County", "Florida Department of Law Enforcement", "State Agency", (None, "statewide", None, "state_agency")),
        ("AK", None, "Department of Corrections", None, (None, "statewide", None, "state_agency")),
        ("IN", None, "Indiana State Police Department", "Municipality", (None, "statewide", None, "state_agency")),
        ("GU", "Kattan District", "Office Of The Attorney General", None, (None, "territory", None, "territory")),
        ("MP", None, "CNMI Department of Corrections", None, (None, "territory", None, "territory")),
    ],
)
def test_rules(gaz, state, county, agency, jtype, expected):
    assert tuple(gaz.place(state, county, agency, jtype)) == expected


def test_a_towns_agency_typed_state_is_in_its_county(gaz):
    """ICE typed Center Line's public-safety division 'State'; its COUNTY cell (Macomb) places it, so
    the county rule wins. A name that says state agency stays statewide whatever its COUNTY cell, and
    the type alone decides only when no county rule places the row."""
    center_line = gaz.place("MI", "Macomb County", "Center Line Division of Public Safety and Security", "State")
    assert tuple(center_line) == ("26099", "county", 1.0, "county_cell")
    assert gaz.place("FL", "Lee County", "Florida Department of Law Enforcement", "State Agency").geo_level == "statewide"
    assert tuple(gaz.place("MI", None, "Nowhere Division of Public Safety", "State")) == (None, "statewide", None, "state_agency")
    assert gaz.place("MI", None, "Nowhere Division of Public Safety", None).geo_level == "unknown"


def test_city_of_typed_state_is_not_statewide(gaz):
    assert gaz.place("FL", None, "City of Cape Coral Police Department", "State").geo_level == "county"
    assert gaz.place("PA", "Nowhere County", "Office of Constable Monroeville 6th Ward", "County").geo_level == "unknown"


def test_cook_county_is_matched_on_state_and_name(gaz):
    fips = {s: gaz.place(s, "Cook County", "x", "County").county_fips for s in ("IL", "GA", "MN")}
    assert fips == {"IL": "17031", "GA": "13075", "MN": "27031"}


def test_connecticut_planning_regions_are_not_used(gaz):
    """Rule: CT is placed in its 8 former counties (09001-09015), as the us_atlas geometry and the
    crosswalk are; the Census 2024 planning regions (09110-09190) are not matching targets."""
    assert gaz.place("CT", "Capitol Planning Region", "x", "County").geo_level == "unknown"
    assert gaz.names["09003"] == "Hartford County"


@pytest.mark.parametrize(
    ("state", "county", "agency", "reason"),
    [
        ("MA", "Crow Wing County", "Crow Wing County Sheriff's Office", "COUNTY cell: no county 'Crow Wing County' in MA"),
        ("VA", "Richmond", "x", "'Richmond' is several counties of VA (51159, 51760)"),
        ("FL", None, "University of Florida Police Department", "no town 'university of florida' of FL"),
    ],
)
def test_unknown_says_why(gaz, state, county, agency, reason):
    placed = gaz.place(state, county, agency, "Municipality")
    assert (placed.county_fips, placed.geo_level, placed.share) == (None, "unknown", None)
    assert placed.rule.startswith("unknown: ") and reason in placed.rule


def test_place_frame_computes_each_distinct_tuple_once(gaz, monkeypatch):
    df = pd.DataFrame({
        "state": ["TX", "TX", "FL", "GU"], "county": ["Harris County", "Harris County", None, None],
        "agency_name": ["Harris County Sheriff's Office"] * 2 + ["Cape Coral Police Department", "x"],
        "jurisdiction_type": pd.array(["County", "County", "Municipality", None], dtype="string"),
    }, index=[10, 11, 12, 13])  # fmt: skip
    calls = []
    real = geo.Gazetteer.place
    monkeypatch.setattr(geo.Gazetteer, "place", lambda self, *a: calls.append(a) or real(self, *a))
    out = geo.place_frame(df, gaz)
    assert len(calls) == 3
    assert list(out.columns) == geo.COLUMNS and list(out.index) == [10, 11, 12, 13]
    assert out["county_fips"].tolist() == ["48201", "48201", "12071", pd.NA]
    assert out["county_share"].tolist()[:3] == [1.0, 1.0, 1.0] and pd.isna(out["county_share"].iloc[3])
    assert out["geo_level"].tolist() == ["county", "county", "county", "territory"]


def test_alias_table_rows_name_real_counties(real_gaz):
    """Every reviewed alias points at a Census county of its state (checked on the real names)."""
    aliases = geo.load_aliases()
    assert aliases, "the alias table is empty"
    gaz = real_gaz
    for (state, _), census_name in aliases.items():
        assert gaz.match_county(state, census_name)[0], (state, census_name)


COVERAGE_FLOOR = geo.COVERAGE_FLOOR


@pytest.mark.integration
def test_coverage_on_the_newest_sheet():
    checkout = geo.paths.project()
    agreements = pd.read_parquet(checkout.processed / "agreements.parquet")
    newest = agreements[agreements["snapshot_id"] == agreements.loc[agreements["kind"] == "participating", "snapshot_id"].max()]
    placed = geo.place_frame(newest, geo.read(checkout.processed))
    assert placed.equals(newest[geo.COLUMNS])  # the table carries what the rules give
    coverage = (placed["geo_level"] == "county").mean()
    print(f"county coverage on {newest['snapshot_id'].iloc[0]}: {coverage:.1%} of {len(newest):,} rows")
    assert coverage >= COVERAGE_FLOOR
    assert placed["geo_level"].isin(geo.GEO_LEVELS).all()
    assert placed.loc[placed["geo_level"] == "county", "county_fips"].str.fullmatch(r"\d{5}").all()
    assert placed.loc[placed["geo_level"] != "county", "county_fips"].isna().all()
    by_name = newest.assign(fips=placed["county_fips"]).drop_duplicates(["state", "agency_name"])
    by_name = by_name.set_index(["state", "agency_name"])["fips"]
    assert by_name[("GA", "Harris County Sheriff's Office")] == "13145"  # not Harris County TX
    assert by_name[("FL", "Lee County Sheriff's Office")] == "12071"


@pytest.mark.integration
@pytest.mark.parametrize(
    ("state", "county", "agency", "jtype", "fips"),
    [
        ("TX", "Harris County", "Harris County Sheriff's Office", "County", "48201"),
        ("FL", "Miami-Dade County", "Miami-Dade Sheriff's Office", "County", "12086"),
        ("IL", "Cook County", "Cook County Sheriff's Office", "County", "17031"),
        ("GA", "Cook County", "Cook County Sheriff's Office", "County", "13075"),
        ("FL", None, "Lee County Sheriff's Office", "County", "12071"),
        ("FL", None, "Cape Coral Police Department", "Municipality", "12071"),
        ("NM", "Doña Ana County", "x", "County", "35013"),
        ("CT", "Hartford County", "x", "County", "09003"),
        ("LA", None, "Arnaudville Police Department", "Municipality", "22097"),
    ],
)
def test_real_gazetteer(real_gaz, state, county, agency, jtype, fips):
    assert real_gaz.place(state, county, agency, jtype).county_fips == fips


def test_coverage_and_unplaced_per_snapshot(gaz):
    df = pd.DataFrame({
        "snapshot_id": ["s1", "s1", "s1", "s2", "s2"],
        "state": ["TX", "FL", "MA", "MA", "GU"],
        "county": ["Harris County", None, "Crow Wing County", "Crow Wing County", None],
        "agency_name": ["a", "Florida Highway Patrol", "Crow Wing County Sheriff's Office",
                        "Crow Wing County Sheriff's Office", "b"],
        "jurisdiction_type": [None, None, "County", "County", None],
    })  # fmt: skip
    placed = geo.place_frame(df, gaz)
    cov = geo.coverage(df, placed).set_index("snapshot_id")
    assert cov.loc["s1", ["rows", "county", "statewide", "territory", "unknown"]].tolist() == [3, 1, 1, 0, 1]
    assert cov.loc["s1", "coverage"] == pytest.approx(1 / 3) and cov.loc["s2", "coverage"] == 0
    left = geo.unplaced(df, placed)
    assert left[["state", "agency_name", "rows", "snapshots"]].values.tolist() == [
        ["MA", "Crow Wing County Sheriff's Office", 2, 2]
    ]
    assert "no county 'Crow Wing County' in MA" in left["geo_rule"].iloc[0]


# ----------------------------------------------------------------------------- the tidy tables (both builds)

GEO_ROWS = [  # (STATE, agency, TYPE, COUNTY) -> expected (county_fips, geo_level, county_share, geo_rule)
    (("TEXAS", "Harris County Sheriff's Office", "County", "Harris"), ("48201", "county", 1.0, "county_cell")),
    (("FLORIDA", "Miami-Dade Sheriff's Office", "County", "Miami-Dade"), ("12086", "county", 1.0, "county_cell")),
    (("ILLINOIS", "Cook County Sheriff's Office", "County", "Cook"), ("17031", "county", 1.0, "county_cell")),
    (("GEORGIA", "Cook County Sheriff's Office", "County", "Cook"), ("13075", "county", 1.0, "county_cell")),
    (("FLORIDA", "Lee County Sheriff's Office", "County", None), ("12071", "county", 1.0, "agency_name")),
    (("TEXAS", "Midland Police Department", "Municipality", None), ("48329", "county", 0.9856, "crosswalk")),
    (("MONTANA", "Montana Department of Justice", "State Agency", "Lewis and Clark"), (None, "statewide", None, "state_agency")),
    (("GUAM", "Guam Police Department", "State Agency", "#N/A"), (None, "territory", None, "territory")),
    (("PENNSYLVANIA", "Greene Township Constable's Office", "Municipality", None), (None, "unknown", None, "unknown: ")),
]  # fmt: skip


def _geo_sheet(raw, rel, rows, published):
    import datetime as dt

    import workbooks as wb

    cells = [(s, a, t, c, "Task Force Model", dt.datetime(2025, 3, 1), "link", "link") for s, a, t, c in rows]
    wb.p3(raw / rel, cells)
    return wb.raw_entry(raw, rel, kind="participating", published=published, layout="P3", rows=len(cells),
                        set_name="ice_287g_archive" if "archive" in rel else "ice_287g")  # fmt: skip


def _expected_geo(table: pd.DataFrame) -> None:
    """Each GEO_ROWS agency's row carries its expected county columns."""
    for (state, agency, _, _), (fips, level, share, rule) in GEO_ROWS:
        got = table[(table["state_raw"] == state) & (table["agency_raw"] == agency)]
        assert len(got), (state, agency)
        for _, r in got.iterrows():
            assert (None if pd.isna(r["county_fips"]) else r["county_fips"]) == fips, (state, agency)
            assert r["geo_level"] == level and r["geo_rule"].startswith(rule), (state, agency, r["geo_rule"])
            assert (pd.isna(r["county_share"]) if share is None else r["county_share"] == share), (state, agency)


@pytest.fixture
def geo_project(tmp_path):
    """A throwaway project with the fixture county tables in its data/raw (tests/workbooks.py):
    (the project, its raw folder, the tables' registry entries)."""
    import workbooks as wb

    from analysis import paths

    project = paths.Project.at(tmp_path)
    return project, project.raw, wb.write_county_tables(project.raw)


def test_both_builds_carry_the_county_columns(geo_project):
    from analysis.clean import tidy
    from analysis.store import archive, build, panel

    project, raw, county_tables = geo_project
    rows = [r for r, _ in GEO_ROWS]
    entries = [*county_tables, _geo_sheet(raw, "ice_287g/participating_2025-09-01.xlsx", rows, "2025-09-01"),
               _geo_sheet(raw, "ice_287g_archive/participating_2025-09-02_pm.xlsx", rows[:-1], "2025-09-02")]  # fmt: skip
    message = build.build(project, entries[:3], quiet=True).message  # the curated build: the first sheet
    assert "county coverage of the newest participating sheet participating_2025-09-01: 66.7%" in message  # 6 of 9 rows
    message = archive.build(project, entries, quiet=True).message
    assert "participating_2025-09-02_pm: 75.0%" in message  # 6 of 8 rows
    for base in (project.processed, project.archive):
        table = pd.read_parquet(base / "agreements.parquet")
        assert list(table.columns) == tidy.AGREEMENT_COLUMNS
        _expected_geo(table)
        snaps = pd.read_parquet(base / "snapshots.parquet").set_index("snapshot_id")
        shares = table.groupby("snapshot_id")["geo_level"].apply(lambda s: (s == "county").mean())
        assert snaps.loc[shares.index, "county_coverage"].tolist() == pytest.approx(shares.tolist())
        qa = pd.read_csv(base / "qa.csv")
        floor = qa[qa["check"].str.startswith("county coverage")]
        assert floor["status"].tolist() == ["warn"]  # below the floor, but a 9-row sheet only warns
        assert qa.loc[qa["check"] == "every agreement row has a geo level", "status"].tolist() == ["pass"]


def test_an_append_gives_the_columns_of_a_full_build(geo_project):
    """New tuples (and an agency renamed by the new sheet) are placed as a full build places them."""
    import shutil

    from panel_tables import differences, read_all

    from analysis.store import archive, build, panel

    project, raw, county_tables = geo_project
    rows = [r for r, _ in GEO_ROWS]
    rel = "ice_287g_archive/participating_2025-09-{:02d}_pm.xlsx"
    lee = ("FLORIDA", "LEE COUNTY SHERIFFS OFFICE", "County", None)  # a second spelling of Lee: a rename once it leads
    lubbock = ("TEXAS", "Lubbock Police Department", "Municipality", None)  # a new tuple: the gazetteer is read
    days = [rows[:4], rows[:5], [*rows, lubbock], [*rows[:4], *rows[5:], lee, lee], [*rows[:4], *rows[5:], lee, lee, lee]]
    sheets = [_geo_sheet(raw, rel.format(i + 1), d, f"2025-09-{i + 1:02d}") for i, d in enumerate(days)]
    build.build(project, [*county_tables, sheets[0]], quiet=True)  # the curated county tables, which the panel is placed from
    archive.build(project, sheets[:2], quiet=True)
    messages = [archive.build(project, sheets[: i + 1], quiet=True).message for i in range(2, len(sheets))]
    assert all("appended 1 sheet(s)" in m for m in messages), messages
    assert any("agencies renamed" in m for m in messages), messages  # the renamed rows are placed again
    got = read_all(project.archive)
    shutil.rmtree(project.archive)
    archive.build(project, sheets, quiet=True)
    assert differences(got, read_all(project.archive)) == []
    table = got["agreements"]
    _expected_geo(table)
    lubbock = table[table["agency_raw"] == "Lubbock Police Department"]
    assert lubbock["county_fips"].tolist() == ["48303"] and lubbock["geo_rule"].tolist() == ["crosswalk"]


def test_changed_county_tables_make_the_archive_stale(geo_project, capsys):
    from analysis.store import archive, build, increment, panel

    project, raw, county_tables = geo_project
    sheets = [_geo_sheet(raw, f"ice_287g_archive/participating_2025-09-0{i}_pm.xlsx", [r for r, _ in GEO_ROWS], f"2025-09-0{i}")
              for i in (1, 2)]  # fmt: skip
    build.build(project, [*county_tables, sheets[0]], quiet=True)
    archive.build(project, sheets[:1], quiet=True)
    assert panel.is_current(project, sheets[:1])
    places = pd.read_parquet(project.processed / "place_county.parquet")
    places.iloc[:-1].to_parquet(project.processed / "place_county.parquet")  # a crosswalk with a row less
    assert not panel.is_current(project, sheets[:1])
    with pytest.raises(increment.NeedsRebuild, match="county tables"):
        increment.append(project, sheets, built=panel.built_manifest(project), current=panel._manifest(project, sheets))
    assert "appended" not in archive.build(project, sheets).message and "full build" in capsys.readouterr().err
    (project.processed / "county_population.parquet").unlink()
    # `build --archive` on a project whose curated tables are missing builds them first (a fresh clone's
    # `fetch --archive && build --archive`), from the project's registry
    from analysis.ingest import registry

    registry.write_registry([*county_tables, sheets[0]], project.registry_csv)
    archive.build(project, sheets, force=True)
    assert (project.processed / "county_population.parquet").is_file()
    assert "building data/processed/ first" in capsys.readouterr().err
    assert panel.is_current(project, sheets)
