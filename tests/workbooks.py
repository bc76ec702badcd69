"""Fixture workbooks for the ICE 287(g) layouts, written with openpyxl into a tmp dir.

Headers are copied exactly from ../shared/data/raw/ice_287g/LAYOUTS.md. SIGNED is a real
Excel date cell (``datetime``) in ICE's layouts P1-P3 and ISO text in RelevantResearch's P0
transcriptions, as in the real files. Rows carry the quirks LAYOUTS.md lists (trailing spaces,
spelling variants, ``link``/``link pending``) so the readers see realistic input.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook

HEADERS: dict[str, tuple[str, ...]] = {
    "P0": ("STATE", "LAW ENFORCEMENT AGENCY", "SUPPORT TYPE", "SIGNED", "MOA"),
    "P1": ("STATE", "LAW ENFORCEMENT AGENCY", "TYPE", "SUPPORT TYPE", "SIGNED", "MOA"),
    "P2": ("STATE", "LAW ENFORCEMENT AGENCY", "TYPE", "COUNTY", "SUPPORT TYPE", "SIGNED", "MOA"),
    "P3": ("STATE", "LAW ENFORCEMENT AGENCY", "TYPE", "COUNTY", "SUPPORT TYPE", "SIGNED", "MOA", "ADDENDUM"),
    "Q1": ("STATE", "LAW ENFORCEMENT AGENCY", "TYPE", "SUPPORT TYPE"),
    "Q2": ("STATE", "LAW ENFORCEMENT AGENCY", "TYPE", "COUNTY", "SUPPORT TYPE"),
    "Q3": ("STATE", "LAW ENFORCEMENT AGENCY", "TYPE", "COUNTY", "SUPPORT TYPE", "MOA"),
}
KINDS = {lid: ("participating" if lid.startswith("P") else "pending") for lid in HEADERS}
# Worksheet names as ICE used them (LAYOUTS.md).
SHEET_NAMES = {"P0": "287(g) Agreements", "P1": "Sheet1", "P2": "Sheet1", "P3": "Sheet1",
               "Q1": "Sheet1", "Q2": "Sheet1", "Q3": "Sheet 1"}  # fmt: skip

WAYBACK = "https://web.archive.org/web/20250119192356/https://www.ice.gov/doclib/about/offices/ero/287g/moa{}.pdf"

ROWS: dict[str, list[tuple]] = {
    "P0": [
        ("FLORIDA", "Hardee County Sheriff's Office", "Jail Enforcement Model", "2019-06-26", WAYBACK.format("Hardee")),
        ("FLORIDA", "Hardee County Sheriff's Office", "Warrant Service Officer", "2019-06-26", WAYBACK.format("HardeeWSO")),
        ("TEXAS", "Lubbock County Sheriff's Office", "Warrant Service Officer", "2020-01-15", WAYBACK.format("Lubbock")),
    ],
    "P1": [
        ("FLORIDA", "Hardee County Sheriff's Office", "County", "Jail Enforcement Model", dt.datetime(2019, 6, 26), "link"),
        ("FLORIDA", "Marion County Sheriff’s Office", "County ", "Task Force Model", dt.datetime(2025, 2, 20), "link"),
        ("TEXAS", "Lubbock County Sheriff's Office", "County", "Warrant Service Officer", dt.datetime(2020, 1, 15), "link"),
        ("MONTANA", "Montana Department of Justice", "State Agency", "Task Force Model", dt.datetime(2025, 2, 18), "link pending"),
    ],
    "P2": [
        ("FLORIDA", "Hardee County Sheriff's Office", "County", "Hardee", "Jail Enforcement Model ", dt.datetime(2019, 6, 26), "link"),
        ("LOUISIANA", "St. Charles Parish Sheriff's Office", "County", "German Coast County", "Task Force Model",
         dt.datetime(2025, 4, 10), "link"),
        ("OKLAHOMA", "Tulsa County Sheriff's Office", "County", "#N/A", "Warrant Services Officer", dt.datetime(2025, 3, 30), "link"),
    ],
    "P3": [
        ("FLORIDA", "Hardee County Sheriff's Office", "County", "Hardee", "Jail Enforcement Model", dt.datetime(2019, 6, 26),
         "link", "link pending"),
        ("MICHIGAN", "Berrian County Sheriff's Offic", "County", "Berrien", "Warrant Service Officer", dt.datetime(2025, 5, 1),
         "link", "link"),
        ("Texas ", "Harris County Constable Precinct 1", "County", "Harris", "Task Force Model ", dt.datetime(2025, 3, 1),
         "link", "link pending"),
        ("GUAM", "Guam Police Department", "State Agency", "#N/A", "Task Force Model", dt.datetime(2025, 8, 28),
         "link pending", "link pending"),
    ],
    "Q1": [
        ("FLORIDA", "Collier County Sheriff's Office", "County", "Task Force Model"),
        ("GEORGIA", "Hall County Sheriff's Office", "County", "Jail Enforcement Model"),
    ],
    "Q2": [
        ("FLORIDA", "Collier County Sheriff's Office", "County", "Collier", "Task Force Model"),
        ("TEXAS", "Lubbock Police Department", "Municipality", "Lubbock", "Warrant Service Officer"),
        ("TEXAS", "Midland Police Department", "Municipality", "Midland", "Warrant Service Office"),
    ],
    "Q3": [
        ("PENNSYLVANIA", "Greene Township Constable's Office", "Municipality", "Franklin", "Task Force Model", "link pending"),
        ("PENNSYLVANIA", "Greene Township Constable's Office", "Municipality", "Franklin", "Warrant Service Officer", "link pending"),
    ],
}


def write_sheet(
    path: Path | str,
    header: Sequence | None,
    rows: Sequence[Sequence] = (),
    sheet_name: str = "Sheet1",
    *,
    extra_sheets: dict[str, tuple[Sequence | None, Sequence[Sequence]]] | None = None,
    hyperlinks: bool = True,
) -> Path:
    """Write one workbook; ``header=None`` leaves the first worksheet empty.

    ``datetime``/``date`` values become real Excel date cells; ``None`` an empty cell.
    ``link``/``link pending`` cells get a hyperlink like ICE's. ``extra_sheets`` adds further
    worksheets after the first (name -> (header, rows)).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_name
    _fill(ws, header, rows, hyperlinks)
    for name, (extra_header, extra_rows) in (extra_sheets or {}).items():
        _fill(wb.create_sheet(name), extra_header, extra_rows, hyperlinks)
    wb.save(path)
    return path


def _fill(ws, header, rows, hyperlinks: bool) -> None:
    if header is None:
        return
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
        if hyperlinks:
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, str) and cell.value.strip().lower().startswith("link"):
                    cell.hyperlink = "https://www.ice.gov/doclib/287gMOA/example.pdf"
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, dt.datetime):
                cell.number_format = "mm/dd/yyyy"  # as ICE formats SIGNED


def write_layout(layout_id: str, path: Path | str, rows: Sequence[Sequence] | None = None, **kw) -> Path:
    return write_sheet(path, HEADERS[layout_id], ROWS[layout_id] if rows is None else rows,
                       kw.pop("sheet_name", SHEET_NAMES[layout_id]), **kw)  # fmt: skip


# One builder per layout: wb.p3(path, rows=None, **kw) writes a P3 workbook, and so on.
# (P0 is RelevantResearch's transcription of ICE's HTML table: SIGNED text, MOA a Wayback URL.)
BUILDERS = {lid: functools.partial(write_layout, lid) for lid in HEADERS}
p0, p1, p2, p3, q1, q2, q3 = (BUILDERS[lid] for lid in ("P0", "P1", "P2", "P3", "Q1", "Q2", "Q3"))


# ----------------------------------------------------------------------------- a small registered set

AM_ROWS = [
    ("FLORIDA", "Hardee County Sheriff’s Office", "County", "Hardee", "Jail Enforcement Model", dt.datetime(2019, 6, 26), "link", "link pending"),
    ("FLORIDA", "Hardee County Sheriff's Office", "County", "Hardee", "Warrant Service Officer", dt.datetime(2019, 6, 26), "link", "link"),
    ("TEXAS", "Lubbock County Sheriff's Office", "County", "Lubbock", "Warrant Service Officer", dt.datetime(2020, 1, 15), "link", "link"),
    ("MICHIGAN", "Berrian County Sheriff's Offic", "County", "Berrien", "Warrant Service Officer", dt.datetime(2025, 5, 1), "link", "link"),
]  # fmt: skip
PM_ROWS = [
    ("FLORIDA", "Hardee County Sheriff's Office", "County", "Hardee", "Jail Enforcement Model", dt.datetime(2019, 6, 26), "link", "link pending"),
    ("FLORIDA", "Hardee County Sheriff's Office", "County", "Hardee", "Warrant Service Officer", dt.datetime(2019, 6, 26), "link", "link"),
    ("FLORIDA", "Marion County Sheriff's Office", "County", "Marion", "Task Force Model", dt.datetime(2025, 8, 20), "link pending", "link pending"),
    ("MICHIGAN", "Berrian County Sheriff's Office", "County", "Berrien", "Warrant Service Officer", dt.datetime(2025, 5, 1), "link", "link"),
    ("GUAM", "Guam Police Department", "State Agency", "#NA", "Task Force Model", dt.datetime(2025, 8, 28), "link pending", "link pending"),
    ("Texas ", "Harris County Constable Precinct 1", "County", "Harris", "Task Force Model ", dt.datetime(2025, 3, 1), "link", "link"),
]  # fmt: skip

P0_REL = "ice_287g/participating_2025-01-19.xlsx"
AM_REL = "ice_287g/participating_2025-09-02_am.xlsx"
PM_REL = "ice_287g/participating_2025-09-02.xlsx"
PENDING_REL = "ice_287g/pending_2025-09-02.xlsx"


# ----------------------------------------------------------------------------- county tables

# The two context files agreements are placed in counties from (geography.py), in the real formats
# (Census co-est2024-alldata.csv, Geocorr 2022 place-to-county), holding the fixture sheets' counties.
# (state FIPS, state name, county code, county name, population 2024)
FIXTURE_COUNTIES = [
    ("12", "Florida", "021", "Collier County", 400000), ("12", "Florida", "049", "Hardee County", 25000),
    ("12", "Florida", "071", "Lee County", 800000), ("12", "Florida", "083", "Marion County", 400000),
    ("12", "Florida", "086", "Miami-Dade County", 2700000), ("13", "Georgia", "075", "Cook County", 17000),
    ("13", "Georgia", "139", "Hall County", 210000), ("17", "Illinois", "031", "Cook County", 5100000),
    ("22", "Louisiana", "089", "St. Charles Parish", 51000), ("26", "Michigan", "021", "Berrien County", 152000),
    ("30", "Montana", "049", "Lewis and Clark County", 73000), ("40", "Oklahoma", "143", "Tulsa County", 680000),
    ("42", "Pennsylvania", "055", "Franklin County", 157000), ("48", "Texas", "201", "Harris County", 5000000),
    ("48", "Texas", "303", "Lubbock County", 320000), ("48", "Texas", "329", "Midland County", 177000),
]  # fmt: skip
# (state abbr., place code, place name, county FIPS, Geocorr county name, pop20, afact2)
FIXTURE_PLACES = [
    ("FL", "10275", "Cape Coral city, FL", "12071", "Lee FL", 194016, "1"),
    ("TX", "45000", "Lubbock city, TX", "48303", "Lubbock TX", 257141, "1"),
    ("TX", "48072", "Midland city, TX", "48329", "Midland TX", 132524, "0.9856"),
    ("TX", "48072", "Midland city, TX", "48317", "Martin TX", 1905, "0.0144"),
]  # fmt: skip
COUNTY_REL = "census_popest_v2024_county/co-est2024-alldata.csv"
PLACE_REL = "geocorr_place_county/geocorr2022_place_county.csv"


def write_county_tables(raw_dir) -> list:
    """Write the two county tables under raw_dir and return their registry entries."""
    raw_dir = Path(raw_dir)
    lines = ["SUMLEV,REGION,DIVISION,STATE,COUNTY,STNAME,CTYNAME,POPESTIMATE2024"]
    for state in dict.fromkeys(c[0] for c in FIXTURE_COUNTIES):
        mine = [c for c in FIXTURE_COUNTIES if c[0] == state]
        lines.append(f"040,3,6,{state},000,{mine[0][1]},{mine[0][1]},{sum(c[4] for c in mine)}")
        lines += [f"050,3,6,{state},{code},{name},{county},{pop}" for _, name, code, county, pop in mine]
    (raw_dir / COUNTY_REL).parent.mkdir(parents=True, exist_ok=True)
    (raw_dir / COUNTY_REL).write_bytes(("\r\n".join(lines) + "\r\n").encode("latin-1"))
    rows = ['"county","state","place","stab","CountyName","PlaceName","pop20","afact2","afact"',
            '"County code","State code","Place code","State abbr.","County name","Place name","Total population (2020 Census)",'
            '"place-to-county allocation factor","county-to-place allocation factor"']  # fmt: skip
    rows += [f'"{fips}","{fips[:2]}","{code}","{st}","{cname}","{pname}",{pop},{share},0.5 '
             for st, code, pname, fips, cname, pop, share in FIXTURE_PLACES]  # fmt: skip
    (raw_dir / PLACE_REL).parent.mkdir(parents=True, exist_ok=True)
    (raw_dir / PLACE_REL).write_bytes(("\n".join(rows) + "\n").encode("latin-1"))
    return [raw_entry(raw_dir, COUNTY_REL, kind="census_county", published="", set_name="census_popest_v2024_county"),
            raw_entry(raw_dir, PLACE_REL, kind="place_county", published="", set_name="geocorr_place_county")]  # fmt: skip


def write_fixture_set(raw_dir, *, county_tables: bool = True) -> list:
    """Write four registered sheets (and the two county tables, unless the caller registers the
    real ones) under raw_dir and return their registry entries.

    A P0 transcription (2025-01-19, Wayback edition 192356), am and pm ICE editions of
    2025-09-02 (P3; the pm file's path sorts *before* the am one, so only the edition can order
    them) and a pending sheet (Q2). Used by test_build_query and test_cli.
    """
    raw_dir = Path(raw_dir)
    p0(raw_dir / P0_REL)
    p3(raw_dir / AM_REL, AM_ROWS)
    p3(raw_dir / PM_REL, PM_ROWS)
    q2(raw_dir / PENDING_REL)
    return [
        *(write_county_tables(raw_dir) if county_tables else []),  # first: tests that drop the last entry drop the pending sheet
        raw_entry(raw_dir, P0_REL, kind="participating", published="2025-01-19", edition="192356", layout="P0", rows=3),
        raw_entry(raw_dir, AM_REL, kind="participating", published="2025-09-02", edition="am", layout="P3", rows=4),
        raw_entry(raw_dir, PM_REL, kind="participating", published="2025-09-02", edition="pm", layout="P3", rows=6),
        raw_entry(raw_dir, PENDING_REL, kind="pending", published="2025-09-02", edition="am", layout="Q2", rows=3),
    ]


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def raw_entry(raw_dir: Path, rel: str, *, kind: str, published: str, edition: str = "", layout: str = "",
              rows: int | None = None, url: str = "", bytes_from_upstream: bool = True, set_name: str = "ice_287g"):
    """A registry entry (analysis.ingest.registry.RawFile) for a file already written at raw_dir/rel."""
    from analysis.ingest.registry import RawFile

    data = (Path(raw_dir) / rel).read_bytes()
    return RawFile(
        path=rel, set=set_name, kind=kind, sha256=sha256_bytes(data), bytes=len(data), published=published,
        edition=edition, layout=layout, rows=rows, url=url, bytes_from_upstream=bytes_from_upstream,
        source="tests/workbooks.py fixture", original_filename=Path(rel).name, notes="",
    )  # fmt: skip
