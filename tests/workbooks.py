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


def write_fixture_set(raw_dir) -> list:
    """Write four registered sheets under raw_dir and return their registry entries.

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
        raw_entry(raw_dir, P0_REL, kind="participating", published="2025-01-19", edition="192356", layout="P0", rows=3),
        raw_entry(raw_dir, AM_REL, kind="participating", published="2025-09-02", edition="am", layout="P3", rows=4),
        raw_entry(raw_dir, PM_REL, kind="participating", published="2025-09-02", edition="pm", layout="P3", rows=6),
        raw_entry(raw_dir, PENDING_REL, kind="pending", published="2025-09-02", edition="am", layout="Q2", rows=3),
    ]


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def raw_entry(raw_dir: Path, rel: str, *, kind: str, published: str, edition: str = "", layout: str = "",
              rows: int | None = None, url: str = "", bytes_from_upstream: bool = True, set_name: str = "ice_287g"):
    """A registry entry (analysis.registry.RawFile) for a file already written at raw_dir/rel."""
    from analysis.registry import RawFile

    data = (Path(raw_dir) / rel).read_bytes()
    return RawFile(
        path=rel, set=set_name, kind=kind, sha256=sha256_bytes(data), bytes=len(data), published=published,
        edition=edition, layout=layout, rows=rows, url=url, bytes_from_upstream=bytes_from_upstream,
        source="tests/workbooks.py fixture", original_filename=Path(rel).name, notes="",
    )  # fmt: skip
