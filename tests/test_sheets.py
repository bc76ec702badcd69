"""sheets.read_sheet: layout detection, raw values as printed, skipped rows and typed errors."""

from __future__ import annotations

import dataclasses
import datetime as dt
import zipfile

import pytest

from analysis.core.errors import (
    DuplicateRowsError,
    EmptySheetError,
    LimitError,
    MissingColumnError,
    NotAWorkbookError,
    SheetError,
    UnknownLayoutError,
)
from analysis.ingest.sheets import MAX_EXACT_DUPLICATE_ROWS, RAW_COLUMNS, drop_exact_duplicates, exact_duplicates, read_sheet
import workbooks as wb

# ----------------------------------------------------------------------------- one per layout

# Per layout: the raw values expected in the fields that layout has ('' where it lacks one).
EXPECTED = {
    "P0": {
        "state_raw": ["FLORIDA", "FLORIDA", "TEXAS"],
        "signed_raw": ["2019-06-26", "2019-06-26", "2020-01-15"],
        "support_type_raw": ["Jail Enforcement Model", "Warrant Service Officer", "Warrant Service Officer"],
        "jurisdiction_type_raw": ["", "", ""],
        "county_raw": ["", "", ""],
        "addendum_raw": ["", "", ""],
    },
    "P1": {
        "agency_raw": ["Hardee County Sheriff's Office", "Marion County Sheriff’s Office",
                       "Lubbock County Sheriff's Office", "Montana Department of Justice"],
        "jurisdiction_type_raw": ["County", "County ", "County", "State Agency"],
        "signed_raw": ["2019-06-26", "2025-02-20", "2020-01-15", "2025-02-18"],
        "moa_raw": ["link", "link", "link", "link pending"],
        "county_raw": ["", "", "", ""],
    },
    "P2": {
        "county_raw": ["Hardee", "German Coast County", "#N/A"],  # row 4 is an Excel error cell #N/A
        "support_type_raw": ["Jail Enforcement Model ", "Task Force Model", "Warrant Services Officer"],
        "signed_raw": ["2019-06-26", "2025-04-10", "2025-03-30"],
        "addendum_raw": ["", "", ""],
    },
    "P3": {
        "state_raw": ["FLORIDA", "MICHIGAN", "Texas ", "GUAM"],
        "agency_raw": ["Hardee County Sheriff's Office", "Berrian County Sheriff's Offic",
                       "Harris County Constable Precinct 1", "Guam Police Department"],
        "signed_raw": ["2019-06-26", "2025-05-01", "2025-03-01", "2025-08-28"],
        "addendum_raw": ["link pending", "link", "link pending", "link pending"],
    },
    "Q1": {
        "agency_raw": ["Collier County Sheriff's Office", "Hall County Sheriff's Office"],
        "support_type_raw": ["Task Force Model", "Jail Enforcement Model"],
        "county_raw": ["", ""],
        "signed_raw": ["", ""],
        "moa_raw": ["", ""],
    },
    "Q2": {
        "county_raw": ["Collier", "Lubbock", "Midland"],
        "support_type_raw": ["Task Force Model", "Warrant Service Officer", "Warrant Service Office"],
        "signed_raw": ["", "", ""],
        "moa_raw": ["", "", ""],
    },
    "Q3": {
        "state_raw": ["PENNSYLVANIA", "PENNSYLVANIA"],
        "moa_raw": ["link pending", "link pending"],
        "signed_raw": ["", ""],
    },
}


@pytest.mark.parametrize("layout_id", list(wb.HEADERS))
def test_each_layout_is_detected_and_read_as_printed(tmp_path, layout_id):
    path = wb.BUILDERS[layout_id](tmp_path / f"{layout_id}.xlsx")
    sheet = read_sheet(path)
    assert sheet.layout.id == layout_id
    assert sheet.kind == wb.KINDS[layout_id]
    assert sheet.layout.columns == wb.HEADERS[layout_id]
    assert sheet.sheet_name == wb.SHEET_NAMES[layout_id]
    n = len(wb.ROWS[layout_id])
    assert sheet.n_rows == n
    assert sheet.columns["row"] == list(range(2, 2 + n))  # Excel row numbers, header in row 1
    assert set(sheet.columns) == set(RAW_COLUMNS)
    assert all(len(v) == n for v in sheet.columns.values())
    for field, values in EXPECTED[layout_id].items():
        if field == "county_raw" and "#N/A" in values:
            # checked on its own in test_excel_error_cell_na_is_kept_as_printed
            values, got = values[:-1], sheet.columns[field][:-1]
        else:
            got = sheet.columns[field]
        assert got == values, field
    assert sheet.skipped == []
    assert sheet.path == f"{layout_id}.xlsx"


def test_signed_with_a_time_of_day_keeps_the_time(tmp_path):
    rows = [("FLORIDA", "Hardee County Sheriff's Office", "County", "Hardee", "Jail Enforcement Model",
             dt.datetime(2025, 5, 8, 14, 30), "link")]  # fmt: skip
    sheet = read_sheet(wb.p2(tmp_path / "x.xlsx", rows))
    assert sheet.columns["signed_raw"] == ["2025-05-08 14:30:00"]


def test_numbers_are_text_without_trailing_zero(tmp_path):
    rows = [("FLORIDA", "Hardee County Sheriff's Office", "County", 12, "Jail Enforcement Model",
             dt.datetime(2025, 5, 8), "link")]  # fmt: skip
    sheet = read_sheet(wb.p2(tmp_path / "x.xlsx", rows))
    assert sheet.columns["county_raw"] == ["12"]


def test_excel_error_cell_na_reads_as_missing(tmp_path):
    """ICE's COUNTY column holds Excel error cells #N/A (~220 per sheet from 2025-04-03 on).

    python-calamine does not expose Excel error values, so the raw text is '' (documented in
    sheets.py); the cleaned county is missing either way, which is what matters for counts.
    """
    rows = [("OKLAHOMA", "Tulsa County Sheriff's Office", "County", "#N/A", "Warrant Service Officer",
             dt.datetime(2025, 3, 30), "link")]  # fmt: skip
    path = wb.p2(tmp_path / "x.xlsx", rows)
    import openpyxl

    assert openpyxl.load_workbook(path)["Sheet1"]["D2"].data_type == "e"  # a real error cell
    sheet = read_sheet(path)
    assert sheet.columns["county_raw"] == [""]
    from analysis.clean.normalize import county_clean

    assert county_clean(sheet.columns["county_raw"][0]) is None and county_clean("#N/A") is None


def test_label_names_the_file_in_sheet(tmp_path):
    sheet = read_sheet(wb.q2(tmp_path / "q.xlsx"), label="ice_287g/pending_2025-09-02.xlsx")
    assert sheet.path == "ice_287g/pending_2025-09-02.xlsx"


# ----------------------------------------------------------------------------- blank and partial rows


def test_blank_rows_skipped_silently_half_filled_rows_recorded(tmp_path):
    rows = [
        ("FLORIDA", "Hardee County Sheriff's Office", "County", "Hardee", "Jail Enforcement Model", dt.datetime(2019, 6, 26), "link"),
        (None, None, None, None, None, None, None),  # row 3: blank
        ("   ", "", None, None, None, None, None),  # row 4: whitespace only, still blank
        ("TEXAS", None, "County", "Harris", "Task Force Model", dt.datetime(2025, 3, 1), "link"),  # row 5: no agency
        (None, "Orphan Police Department", "Municipality", None, "Task Force Model", None, None),  # row 6: no state
        ("GEORGIA", "Hall County Sheriff's Office", "County", "Hall", "Jail Enforcement Model", dt.datetime(2025, 2, 3), "link"),
    ]  # fmt: skip
    sheet = read_sheet(wb.p2(tmp_path / "x.xlsx", rows))
    assert sheet.n_rows == 2
    assert sheet.columns["row"] == [2, 7]
    assert sheet.columns["state_raw"] == ["FLORIDA", "GEORGIA"]
    assert [r for r, _ in sheet.skipped] == [5, 6]
    assert "TEXAS" in sheet.skipped[0][1] and "Task Force Model" in sheet.skipped[0][1]
    assert "Orphan Police Department" in sheet.skipped[1][1]


def test_text_beyond_the_header_width_in_an_otherwise_blank_row_is_recorded(tmp_path):
    rows = [
        ("GEORGIA", "Hall County Sheriff's Office", "County", "Jail Enforcement Model"),
        (None, None, None, None, "Note: list as of 02/21/2025"),
    ]
    sheet = read_sheet(wb.q1(tmp_path / "x.xlsx", rows))
    assert sheet.n_rows == 1
    assert [r for r, _ in sheet.skipped] == [3]


def test_header_only_sheet_reads_zero_rows(tmp_path):
    sheet = read_sheet(wb.write_sheet(tmp_path / "x.xlsx", wb.HEADERS["P3"], []))
    assert sheet.layout.id == "P3"
    assert sheet.n_rows == 0
    assert sheet.skipped == []


def test_header_cells_match_despite_case_spaces_and_trailing_empty_cells(tmp_path):
    header = ["State ", " law enforcement agency", "Type", "COUNTY  ", "Support  Type", "signed", "MOA ", None, None]
    rows = [("FLORIDA", "Hardee County Sheriff's Office", "County", "Hardee", "Jail Enforcement Model",
             dt.datetime(2019, 6, 26), "link")]  # fmt: skip
    sheet = read_sheet(wb.write_sheet(tmp_path / "x.xlsx", header, rows))
    assert sheet.layout.id == "P2"
    assert sheet.n_rows == 1
    assert sheet.columns["support_type_raw"] == ["Jail Enforcement Model"]


def test_only_the_first_worksheet_is_read(tmp_path):
    # 03/02/2026 has an empty Sheet2 after the data; a second sheet with data is ignored too.
    path = wb.p3(tmp_path / "x.xlsx", extra_sheets={"Sheet2": (None, []), "Sheet3": (wb.HEADERS["Q2"], wb.ROWS["Q2"])})
    sheet = read_sheet(path)
    assert sheet.layout.id == "P3"
    assert sheet.n_rows == len(wb.ROWS["P3"])


# ----------------------------------------------------------------------------- typed errors


def test_text_file_is_not_a_workbook(tmp_path):
    path = tmp_path / "participating_2025-09-02.xlsx"
    path.write_bytes(b"STATE,LAW ENFORCEMENT AGENCY\nFLORIDA,Hardee County Sheriff's Office\n")
    with pytest.raises(NotAWorkbookError) as info:
        read_sheet(path)
    assert "participating_2025-09-02.xlsx" in str(info.value)
    assert info.value.exit_code == 5
    assert isinstance(info.value, SheetError)


def test_truncated_workbook_is_not_a_workbook(tmp_path):
    good = wb.p3(tmp_path / "good.xlsx")
    data = good.read_bytes()
    bad = tmp_path / "truncated.xlsx"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(NotAWorkbookError, match="truncated.xlsx"):
        read_sheet(bad)


def test_zip_that_is_not_xlsx_is_not_a_workbook(tmp_path):
    bad = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("readme.txt", "not a spreadsheet")
    with pytest.raises(NotAWorkbookError, match="archive.xlsx"):
        read_sheet(bad, label="ice_287g/archive.xlsx")


def test_empty_first_worksheet(tmp_path):
    path = wb.write_sheet(tmp_path / "x.xlsx", None, extra_sheets={"Sheet2": (wb.HEADERS["P3"], wb.ROWS["P3"])})
    with pytest.raises(EmptySheetError, match="x.xlsx"):
        read_sheet(path)


def test_header_not_in_row_one_is_an_empty_sheet(tmp_path):
    path = wb.write_sheet(tmp_path / "x.xlsx", [None, None], [wb.HEADERS["Q2"], *wb.ROWS["Q2"]])
    with pytest.raises(EmptySheetError):
        read_sheet(path)


def test_unknown_header_names_file_headers_found_and_closest_layout(tmp_path):
    header = [*wb.HEADERS["P3"], "NOTES"]
    path = wb.write_sheet(tmp_path / "participating_2026-06-01.xlsx", header, [])
    with pytest.raises(UnknownLayoutError) as info:
        read_sheet(path)
    message = str(info.value)
    assert info.value.exit_code == 7
    assert "participating_2026-06-01.xlsx" in message
    assert "NOTES" in message and "ADDENDUM" in message  # the headers found
    assert "closest known layout P3" in message


def test_reordered_columns_are_an_unknown_layout(tmp_path):
    header = ["LAW ENFORCEMENT AGENCY", "STATE", "TYPE", "COUNTY", "SUPPORT TYPE"]
    with pytest.raises(UnknownLayoutError, match="closest known layout Q2"):
        read_sheet(wb.write_sheet(tmp_path / "x.xlsx", header, []))


def test_missing_state_column(tmp_path):
    header = ["LAW ENFORCEMENT AGENCY", "TYPE", "COUNTY", "SUPPORT TYPE", "SIGNED", "MOA"]
    path = wb.write_sheet(tmp_path / "nostate.xlsx", header, [("Hardee County Sheriff's Office", "County", "Hardee",
                                                                  "Jail Enforcement Model", dt.datetime(2019, 6, 26), "link")])  # fmt: skip
    with pytest.raises(MissingColumnError) as info:
        read_sheet(path)
    message = str(info.value)
    assert info.value.exit_code == 8
    assert "nostate.xlsx" in message
    assert "STATE" in message.split(";")[0]
    assert "LAW ENFORCEMENT AGENCY" not in message.split(";")[0]  # only the missing one is named as missing


# ----------------------------------------------------------------------------- zip CRC check


def _crc_damaged(path):
    """A P3 sheet whose stored sharedStrings part says GEORGIA where its CRC was computed for
    FLORIDA: calamine reads it without complaint, only the CRC shows the damage."""
    import mutations as mu

    good = mu.xlsx_bytes(wb.HEADERS["P3"], wb.PM_ROWS, compression=zipfile.ZIP_STORED)
    assert good.count(b">FLORIDA<") == 1
    path.write_bytes(good.replace(b">FLORIDA<", b">GEORGIA<"))
    return path


def test_read_sheet_checks_crcs_by_default(tmp_path):
    bad = _crc_damaged(tmp_path / "bad.xlsx")
    with pytest.raises(NotAWorkbookError, match=r"bad.xlsx: corrupt xlsx: part xl/sharedStrings.xml fails its CRC check"):
        read_sheet(bad)
    with pytest.raises(NotAWorkbookError, match="fails its CRC check"):
        read_sheet(bad, check_crc=True)


def test_check_crc_false_skips_the_check(tmp_path, monkeypatch):
    """For sha256-verified registered files only (their CRCs were checked when fetched): the
    damage is then invisible, which is why the default keeps the check."""
    from analysis.ingest import sheets

    bad = _crc_damaged(tmp_path / "bad.xlsx")
    sheet = read_sheet(bad, check_crc=False)
    assert "GEORGIA" in sheet.columns["state_raw"] and "FLORIDA" not in sheet.columns["state_raw"]

    good = wb.p3(tmp_path / "good.xlsx")
    monkeypatch.setattr(sheets, "_check_crcs", lambda *a: pytest.fail("CRC check run despite check_crc=False"))
    assert read_sheet(good, check_crc=False).n_rows == len(wb.ROWS["P3"])
    with pytest.raises(pytest.fail.Exception):
        read_sheet(good)


def test_check_crc_false_still_refuses_a_file_that_is_not_a_zip(tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"STATE,LAW ENFORCEMENT AGENCY\n")
    with pytest.raises(NotAWorkbookError, match="not a zip archive"):
        read_sheet(path, check_crc=False)


def test_crc_problem_in_words(tmp_path):
    from analysis.ingest.sheets import crc_problem

    assert crc_problem(wb.p3(tmp_path / "good.xlsx")) is None
    assert "part xl/sharedStrings.xml fails its CRC check" in crc_problem(_crc_damaged(tmp_path / "bad.xlsx"))
    (tmp_path / "junk.xlsx").write_bytes(b"junk")
    assert crc_problem(tmp_path / "junk.xlsx").startswith("corrupt xlsx (zip archive damaged: BadZipFile")


# ----------------------------------------------------------------------------- columnar body = row by row


def _rows_one_by_one(rows, width, state_i, agency_i):
    """The row-by-row loop read_sheet used before it worked column by column: the reference."""
    from analysis.ingest.sheets import cell_text

    cols, lines, skipped = [[] for _ in range(width)], [], []
    for offset, raw in enumerate(rows[1:], start=2):
        cells = [cell_text(c) for c in raw[:width]] + [""] * (width - len(raw))
        if not (cells[state_i].strip() != "" and cells[agency_i].strip() != ""):
            if any(c.strip() for c in cells) or any(cell_text(c).strip() for c in raw[width:]):
                skipped.append((offset, "row lacks STATE or LAW ENFORCEMENT AGENCY: " + " | ".join(cells)))
            continue
        lines.append(offset)
        for i, c in enumerate(cells):
            cols[i].append(c)
    return cols, lines, skipped


@pytest.mark.parametrize("seed", range(40))
def test_columnar_body_equals_the_row_by_row_reading(seed):
    """Random grids with every cell type calamine returns, blank and half-filled rows, text
    beyond the header width and (unlike calamine's rectangles) ragged rows."""
    import random

    from analysis.ingest.sheets import _body_columns

    rng = random.Random(seed)
    values = ["", " ", "FLORIDA", "Texas ", "Hardee County Sheriff's Office", "link", "#N/A", None, 0.0, 12.0,
              12.5, -0.0, 7, True, False, float("nan"), dt.date(2025, 2, 3), dt.date(2019, 6, 26),
              dt.datetime(2025, 5, 8), dt.datetime(2025, 5, 8, 14, 30), dt.time(9, 0)]  # fmt: skip
    width = rng.randint(2, 8)
    state_i, agency_i = rng.sample(range(width), 2)
    n = width + rng.randint(0, 2)
    ragged = rng.random() < 0.3
    rows = [["H"] * n]
    for _ in range(rng.randint(0, 60)):
        row = [rng.choice(values) if rng.random() < 0.4 else rng.choice(values[2:6]) for _ in range(n)]
        if ragged and rng.random() < 0.3:
            row = row[: rng.randint(0, n + 2)] + [rng.choice(values)] * max(0, rng.randint(-2, 2))
        rows.append(row)
    want = _rows_one_by_one(rows, width, state_i, agency_i)
    got = _body_columns(rows, width, state_i, agency_i)
    assert got == want
    assert [[type(v) for v in col] for col in got[0]] == [[type(v) for v in col] for col in want[0]]


# ----------------------------------------------------------------------------- exact duplicate rows (issue 14.2)


def _with_repeats(tmp_path, repeats: list[int]):
    """The P3 fixture sheet with the data rows at ``repeats`` (indices into PM_ROWS) appended again."""
    rows = [*wb.PM_ROWS, *(wb.PM_ROWS[i] for i in repeats)]
    return read_sheet(wb.p3(tmp_path / "dupes.xlsx", rows), label="ice_287g/dupes.xlsx")


def test_exact_duplicates_are_dropped_and_recorded_as_lists_and_arrays(tmp_path):
    import numpy as np

    sheet = _with_repeats(tmp_path, [0, 2, 0])
    assert exact_duplicates(sheet) == [(8, 2), (9, 4), (10, 2)]
    as_arrays = dataclasses.replace(sheet, columns={c: np.asarray(v, dtype="int64" if c == "row" else object)
                                                    for c, v in sheet.columns.items()})  # as panel._expand gives them
    for raw in (sheet, as_arrays):
        kept = drop_exact_duplicates(raw)
        assert list(kept.columns["row"]) == [2, 3, 4, 5, 6, 7]
        assert all(len(v) == 6 for v in kept.columns.values())
        assert kept.duplicates == [(8, 2), (9, 4), (10, 2)] and (kept.n_rows, kept.rows_read) == (6, 9)


def test_a_row_differing_in_one_space_is_not_an_exact_duplicate(tmp_path):
    near = (*wb.PM_ROWS[0][:3], "Hardee ", *wb.PM_ROWS[0][4:])
    sheet = read_sheet(wb.p3(tmp_path / "near.xlsx", [*wb.PM_ROWS, near]))
    assert exact_duplicates(sheet) == [] and drop_exact_duplicates(sheet) is sheet


def test_more_exact_duplicates_than_the_limit_are_refused_naming_count_and_first_rows(tmp_path):
    limit = MAX_EXACT_DUPLICATE_ROWS
    at_limit = _with_repeats(tmp_path, [i % len(wb.PM_ROWS) for i in range(limit)])
    assert len(drop_exact_duplicates(at_limit).duplicates) == limit
    over = _with_repeats(tmp_path, [i % len(wb.PM_ROWS) for i in range(limit + 1)])
    with pytest.raises(DuplicateRowsError) as err:
        drop_exact_duplicates(over)
    assert str(err.value).startswith(f"ice_287g/dupes.xlsx: {limit + 1} data rows repeat an earlier row cell for cell "
                                     "(first: row 8 repeats row 2, row 9 repeats row 3, row 10 repeats row 4, ...)")


def _sheet(tmp_path, data: bytes):
    path = tmp_path / "participating_2025-09-02_pm.xlsx"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("case", ["XFD1048576", "ZZ99999", "AA10", "A100002"])
def test_a_far_cell_is_refused_before_the_reader_allocates_its_rectangle(tmp_path, case):
    """Issue 22.4: XFD1048576 in a 145 KB workbook aborted add-sheet in the reader (an allocation of
    512 GB); ZZ99999 passed every limit and cost 3 GB and 109 s on every build. The extent of the
    cells is read from the XML first (LimitError, exit 15), cheaply: a few KB of XML ask for it."""
    import mutations as mu

    data = mu.far_cell(mu.xlsx_bytes(wb.HEADERS["P3"], wb.PM_ROWS), case)
    assert len(data) < 5000
    with pytest.raises(LimitError, match=r"xl/worksheets/sheet1.xml(: [0-9,]+ rows below the header| spans [0-9,]+ columns), beyond the limit"):
        read_sheet(_sheet(tmp_path, data))


@pytest.mark.parametrize("how", ["no references", "attributes reordered", "namespace prefix", "dimension only"])
def test_the_extent_is_read_however_the_cells_are_written(tmp_path, how):
    """Cells without an ``r`` reference follow the one before (as calamine places them), an ``r``
    after another attribute or a namespace prefix is still a reference, and a <dimension> beyond the
    limits counts too: none of them slips past the fast path of extent_problem."""
    import mutations as mu

    from analysis.ingest import sheets

    base = mu.xlsx_bytes(wb.HEADERS["P3"], wb.PM_ROWS)
    edits = {
        "no references": lambda xml: xml.replace("</sheetData>", '<row r="9">' + "<c><v>1</v></c>" * 30 + "</row></sheetData>"),
        "attributes reordered": lambda xml: xml.replace("</sheetData>", '<row r="9"><c t="n" r="AB9"><v>1</v></c></row></sheetData>'),
        "namespace prefix": lambda xml: xml.replace("</sheetData>", '<x:row r="9"><x:c r="AB9"><x:v>1</x:v></x:c></x:row></sheetData>'),
        "dimension only": lambda xml: xml.replace("<sheetData>", '<dimension ref="A1:XFD1048576"/><sheetData>'),
    }
    xml = zipfile.ZipFile(__import__("io").BytesIO(mu.with_sheet_xml(base, edits[how]))).read("xl/worksheets/sheet1.xml")
    assert "limit" in (sheets.extent_problem(xml, "sheet1.xml") or "")
    assert sheets.extent_problem(zipfile.ZipFile(__import__("io").BytesIO(base)).read("xl/worksheets/sheet1.xml"), "x") is None


@pytest.mark.integration
def test_every_registered_sheet_is_within_the_extent_limits(mirror_dir):
    """The limits leave room: no real sheet (curated or archive) comes near them."""
    from analysis.ingest import sheets

    found = sorted(mirror_dir.glob("ice_287g*/*.xlsx"))
    assert len(found) > 1000
    for path in found:
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                xml = zf.read(name)
                if b"<sheetData" in xml:
                    assert sheets.extent_problem(xml, name) is None, path
