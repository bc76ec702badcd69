"""Maps (analysis/publish/maps.py): the map's table against the engine on fixture sheets and a tiny atlas
(tests/atlas.py), what is not drawn, the Connecticut rule, the CLI end to end, and one check on
the real archive (integration: fails under CI=true when the data are missing)."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
import subprocess
import sys
from pathlib import Path

import atlas
import pandas as pd
import clirun
import pytest
import workbooks as wb
from projectcopy import copy_package, patched
from test_cli import assert_one_error_line
from test_cli_errors import cli_broken_disk, tree_hashes

from analysis import claim_registry, paths
from analysis.core import errors
from analysis.ingest import registry
from analysis.clean import geography
from analysis.store import build
from analysis.engine import measures, query
from analysis.publish import maps

D = dt.datetime
DAY = "2025-09-02"
# Two statewide agencies besides the fixture's rows: placed on no county, counted in the note.
STATEWIDE = [("FLORIDA", "Florida Highway Patrol", "State Agency", "#N/A", "Task Force Model", D(2025, 8, 1), "link", "link"),
             ("MONTANA", "Montana Department of Justice", "State Agency", "#N/A", "Task Force Model", D(2025, 2, 18), "link",
              "link")]  # fmt: skip


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """The fixture sheets (the pm sheet with the two statewide rows), built, and the tiny atlas."""
    root = tmp_path_factory.mktemp("maps") / "project"
    copy_package(root)
    with patched(root) as where:
        entries = wb.write_fixture_set(where["RAW_DIR"])
        rows = [*wb.PM_ROWS, *STATEWIDE]
        wb.p3(where["RAW_DIR"] / wb.PM_REL, rows)
        entries = [wb.raw_entry(where["RAW_DIR"], e.path, kind=e.kind, published=e.published, edition=e.edition,
                                layout=e.layout, rows=len(rows)) if e.path == wb.PM_REL else e for e in entries]  # fmt: skip
        registry.write_registry(entries, where["REGISTRY_CSV"])
        build.build(entries, quiet=True)
    atlas.write(root)
    return root


@pytest.fixture
def on_project(project):
    with patched(project):
        maps._read_layer.cache_clear()
        geography.load.cache_clear()
        yield project
    maps._read_layer.cache_clear()
    geography.load.cache_clear()


def run(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DATA_MIRROR")}
    env["PYTHONPATH"] = str(root)
    return clirun.run_analysis(args, cwd=root.parent, env=env, timeout=120)


# ----------------------------------------------------------------------------- the table


@pytest.mark.parametrize(("unit", "expected"), [("agreements", {"FL": 4, "MI": 1, "MT": 1, "TX": 1}),
                                                ("agencies", {"FL": 3, "MI": 1, "MT": 1, "TX": 1})])  # fmt: skip
def test_state_map_equals_query_by_state(on_project, unit, expected):
    md = maps.map_data(DAY, level="state", unit=unit)
    by_query = {g["state"]: g["count"] for g in query.count(DAY, unit=unit, by="state")["groups"]}
    engine = measures.evaluate(measures.Measure(unit=unit, statistic="breakdown", by="state"), DAY,
                               measures.Panel.default()).value  # fmt: skip
    drawn = dict(zip(md.table.loc[md.table["count"] > 0, "state"], md.table.loc[md.table["count"] > 0, "count"]))
    assert drawn == expected
    assert by_query == engine == {**expected, "GU": 1}
    assert md.territories == {"GU": 1} and md.unjoined == {}
    assert md.snapshot["file"] == wb.PM_REL and md.snapshot["panel"] == "curated"
    assert sorted(md.table["id"]) == sorted(atlas.STATES)  # one row per geometry, zeros included
    assert md.table.set_index("state").loc[["AK", "CT", "HI"], "count"].tolist() == [0, 0, 0]


def test_county_map_places_every_row_or_says_where_it_went(on_project):
    md = maps.map_data(DAY, level="county")
    counts = dict(zip(md.table["id"], md.table["count"]))
    assert {k: v for k, v in counts.items() if v} == {"12049": 2, "12083": 1, "26021": 1}
    assert md.unjoined == {"48201": 1}  # Harris County TX: rows, but no square in the fixture atlas
    assert (md.statewide, md.unplaced, md.territories) == (2, 0, {"GU": 1})
    assert md.drawn + sum(md.unjoined.values()) + md.statewide + md.unplaced + sum(md.territories.values()) == md.total == 8
    # every FIPS the rows were placed in is drawn or listed as unjoined
    panel = measures.Panel.default()
    rows = panel.rows(panel.in_force(DAY, "participating")["snapshot_id"])
    fips = set(geography.place_frame(rows)["county_fips"].dropna())
    assert fips <= set(md.table["id"]) | set(md.unjoined) and fips == {"12049", "12083", "26021", "48201"}
    note = md.note()
    assert "1 agreement in territories (GU 1)" in note and "2 agreements statewide" in note
    assert "0 agreements not placed" in note and "1 agreement in areas without geometry (48201)" in note


def test_model_filter(on_project):
    md = maps.map_data(DAY, level="state", model="tfm")
    assert dict(zip(md.table.loc[md.table["count"] > 0, "state"], md.table.loc[md.table["count"] > 0, "count"])) == {
        "FL": 2, "MT": 1, "TX": 1}
    assert md.model == ("TFM",) and md.territories == {"GU": 1}


def test_per_capita_and_the_connecticut_rule(on_project):
    md = maps.map_data(DAY, level="county", per_capita=True)
    value = md.table.set_index("id")["value"]
    assert value["12049"] == pytest.approx(2 / 25_000 * 100_000)
    assert value["48303"] == 0  # a county with residents and no agreement: zero, not missing
    assert math.isnan(value["09003"])  # CT former county: no 2024 population (planning regions)
    assert md.no_population == ["09003"]
    assert "Connecticut: per-capita not available by county" in md.note()
    state = maps.map_data(DAY, level="state", per_capita=True).table.set_index("state")["value"]
    assert state["FL"] == pytest.approx(4 / 23_372_000 * 100_000) and state["CT"] == 0


def test_the_tables_county_column_wins_over_the_rules(on_project, monkeypatch):
    """When the build writes county_fips/geo_level, the map reads them and runs no rule."""
    from analysis.engine import reader

    real = reader.Panel.rows

    def with_columns(panel, snapshot_id):
        rows = real(panel, snapshot_id)
        return rows.assign(county_fips=pd.array(["30049"] * len(rows), dtype="string"),
                           geo_level=pd.array(["county"] * len(rows), dtype="string"))  # fmt: skip

    monkeypatch.setattr(reader.Panel, "rows", with_columns)
    monkeypatch.setattr(geography, "place_frame", lambda *a, **k: pytest.fail("the rules ran"))
    md = maps.map_data(DAY, level="county")
    assert {k: v for k, v in zip(md.table["id"], md.table["count"]) if v} == {"30049": 7}  # GU stays a territory


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"level": "city"}, "--level must be one of state, county"), ({"unit": "rows"}, "--unit must be one of"),
     ({"model": "XYZ"}, "--model must be one of JEM, TFM, WSO"), ({"kind": "ended"}, "--kind must be one of")],
)  # fmt: skip
def test_bad_arguments(on_project, kwargs, message):
    with pytest.raises(errors.UsageError, match=message):
        maps.map_data(DAY, **kwargs)


def test_classes():
    assert maps.classes([0, 1, 3, 7, 12], integer=True) == [1, 2, 5, 10]
    assert maps.classes([1, 400], integer=True) == [1, 5, 20, 100]  # thinned to at most six classes
    assert maps.classes([0.03, 0.4, 9.0], integer=False) == [0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0][::2]
    assert maps.classes([0, float("nan")], integer=True) == [1.0]
    assert [maps._label([1, 2, 5], i, True) for i in range(3)] == ["1", "2–4", "5 or more"]


def test_report_constants_are_registered():
    claim = next(c for c in claim_registry.load_claims() if c.id == maps.FLORIDA_SHARE_CLAIM)
    assert claim.measure.state == ("FL",) and claim.measure.statistic == "share"
    assert len(set(maps.REPORT_DATES)) == len(maps.REPORT_DATES) == 4


# ----------------------------------------------------------------------------- the command


def test_cli_draws_byte_stable_png_and_svg(project, tmp_path):
    for suffix, magic in (("png", b"\x89PNG"), ("svg", b"<?xml")):
        digests = set()
        for i in range(2):
            out = tmp_path / f"run{i}" / f"map.{suffix}"
            proc = run(project, "map", "--as-of", DAY, "--level", "county", "--per-capita", str(out))
            assert proc.returncode == 0, proc.stderr
            assert out.read_bytes().startswith(magic)
            digests.add(hashlib.sha256(out.read_bytes()).hexdigest())
        assert len(digests) == 1, suffix
        assert f"from {wb.PM_REL} (curated panel): 4 of 8 agreements drawn" in proc.stdout
        assert "2 agreements statewide" in proc.stdout and "Connecticut" in proc.stdout
    leftovers = [p.name for p in tmp_path.rglob("*") if p.name.startswith(".")]
    assert leftovers == []  # atomic: no temp file beside the output


def test_cli_state_agencies_svg(project, tmp_path):
    out = tmp_path / "agencies.svg"
    proc = run(project, "map", "--as-of", DAY, "--unit", "agencies", "--model", "TFM", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "participating 287(g) agencies (model TFM) by state" in proc.stdout and "4 of 5 agencies drawn" in proc.stdout
    assert b"Participating 287(g) agencies (model TFM) by state, 2025-09-02" in out.read_bytes()  # the SVG's title


def test_cli_writes_the_name_it_was_given_or_says_why_not(project, tmp_path):
    """Issue 22.19: `map OUT.PNG` said it wrote OUT.PNG but wrote OUT.png; `map /proc/x.png` (a folder
    that creates no file) was a traceback; `--model ""` meant every model."""
    out = tmp_path / "OUT.PNG"
    proc = run(project, "map", "--as-of", DAY, str(out))
    assert proc.returncode == 0, proc.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["OUT.PNG"] and f"wrote {out}:" in proc.stdout
    proc = run(project, "map", "--as-of", DAY, "/proc/x.png")
    assert_one_error_line(proc, errors.OutputError.exit_code, "error: /proc/x.png: cannot write")
    proc = run(project, "map", "--as-of", DAY, "--model", "", str(tmp_path / "all.png"))
    assert_one_error_line(proc, errors.UsageError.exit_code, "error: --model is empty")


def test_cli_output_on_a_read_only_disk(project, tmp_path):
    out = tmp_path / "exported" / "map.png"
    before = tree_hashes(project / "data")
    proc = cli_broken_disk(project, tmp_path / "exported", "EROFS", "map", "--as-of", DAY, str(out))
    assert_one_error_line(proc, errors.OutputError.exit_code, "error: ", "Read-only file system")
    assert tree_hashes(tmp_path / "exported") == {} and tree_hashes(project / "data") == before


# ----------------------------------------------------------------------------- real data


@pytest.mark.integration
def test_real_county_map_on_the_florida_share_claims_date(missing_data):
    needed = [paths.RAW_DIR / rel for rel, _ in maps.ATLAS.values()]
    needed += [paths.PROCESSED_DIR / "county_population.parquet", paths.PROCESSED_DIR / "archive" / "snapshots.parquet"]
    for path in needed:
        if not path.exists():
            missing_data(f"not built or fetched: {path}")
    day = next(c.as_of for c in claim_registry.load_claims() if c.id == maps.FLORIDA_SHARE_CLAIM)
    panel = measures.Panel.default()
    state = maps.map_data(day, level="state", panel=panel)
    engine = measures.evaluate(measures.Measure(statistic="breakdown", by="state"), day, panel).value
    drawn = {s: n for s, n in zip(state.table["state"], state.table["count"]) if n}
    assert drawn == {s: n for s, n in engine.items() if s not in state.territories} and state.unjoined == {}
    county = maps.map_data(day, level="county", per_capita=True, panel=panel)
    assert len(county.table) == len(maps.geometry("county")) and county.table["id"].is_unique
    assert county.drawn + sum(county.unjoined.values()) + county.statewide + county.unplaced \
        + sum(county.territories.values()) == county.total == state.total
    ct = county.table[county.table["id"].str.startswith("09")]
    assert len(ct) == 8 and ct["value"].isna().all()  # the 8 former counties: no 2024 population
    print(f"{day} ({county.snapshot['file']}): {county.total:,} agreements; {county.drawn:,} on "
          f"{county.areas:,} counties; {county.note()}")


# ----------------------------------------------------------------------------- the report


def test_report_maps_on_the_fixture_sheets(on_project):
    """The articles' dates the fixture sheets cover get a map, the others say why; the maps are
    drawn once per data and code version (a second call reuses them, byte for byte)."""
    from analysis.publish.site.render import Site

    first = maps.report_maps(paths.REPORTS_DIR, "2025-09-02")
    assert [x[0] for x in first["over_time"]] == ["map_county_2025-01-20.png", "map_county_2025-06-16.png",
                                                   "map_county_2025-09-02.png"]  # the newest sheet's date, read
    assert len(first["skipped"]) == 2 and all("is after the newest participating sheet" in s for s in first["skipped"])
    alt = dict((x[0], x[1]) for x in first["over_time"])["map_county_2025-09-02.png"]
    assert f"on 2025-09-02, from the sheet {wb.PM_REL}: 4 of 8 agreements drawn, in 3 counties" in alt
    assert first["florida"][0] == "map_state_2025-09-02.png" and "Florida: 4 of 8 agreements." in first["florida"][1]
    figures = paths.REPORTS_DIR / "figures"
    stamp = {p.name: p.stat().st_mtime_ns for p in figures.iterdir()}
    assert maps.report_maps(paths.REPORTS_DIR, "2025-09-02") == first
    assert {p.name: p.stat().st_mtime_ns for p in figures.iterdir()} == stamp  # nothing drawn again

    page = Site(paths.REPORTS_DIR / "site").render("map.html.j2", "map.html", title="Map", levels=[], static=first,
                                                     reason="", dense_from="2025-01-01")  # the site's map page
    assert page.count('<img src="figures/map_county_') == 3 and "No map: 2025-09-18 is after" in page
    assert 'alt="Map of participating 287(g) agreements by county on 2025-09-02' in page
