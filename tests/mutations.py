"""Seeded generator of mutated ICE workbooks, each with the outcome its mutation implies.

Issue 6: bad input never becomes a wrong number. Every mutated workbook must either be read to
exactly the count the generator computed from what it did, or be refused with one typed error.

The generator knows the rules from the spec, not from the code under test:

* layouts: the exact, ordered headers of LAYOUTS.md (``workbooks.HEADERS``); header cells are
  compared after case and whitespace folding; a header that matches none is refused with
  MissingColumnError when STATE, LAW ENFORCEMENT AGENCY or SUPPORT TYPE is absent, otherwise
  UnknownLayoutError; participating vs pending is decided by the header (content), and a
  mismatch with the registered kind is a KindMismatchError.
* rows: a row counts when its STATE and LAW ENFORCEMENT AGENCY cells are both non-blank
  (LAYOUTS.md: how MANIFEST ``rows`` is counted). Other rows are skipped, and recorded when
  they hold any text. A row that repeats an earlier one cell for cell (an exact duplicate) counts
  once; more than ``sheets.MAX_EXACT_DUPLICATE_ROWS`` of them is a DuplicateRowsError. Rows
  sharing an agreement id but differing in some cell are kept and flagged (``is_duplicate``).
* values: a STATE or SUPPORT TYPE no rule knows stops the build (SheetError, exit 4); an odd
  SIGNED never drops the row, it is cleared or repaired and logged in the corrections.
* bytes: anything that is not an intact xlsx zip is a NotAWorkbookError; corrupted bytes may
  still read when the damage hits a part the reader never opens (then the count must be right).

Workbooks are written in memory by ``xlsx_writer.xlsx_bytes`` (a minimal SpreadsheetML writer, ~50x faster
than openpyxl), so a thousand mutations of real sheets run in well under two minutes.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import workbooks as wb
from xlsx_writer import far_cell, with_sheet_xml, xlsx_bytes, zip_bomb  # noqa: F401 - the fault tables use them as mu.*

from analysis.core import errors
from analysis.ingest.sheets import MAX_EXACT_DUPLICATE_ROWS

REQUIRED = ("STATE", "LAW ENFORCEMENT AGENCY", "SUPPORT TYPE")  # every layout has them
KEY = ("STATE", "LAW ENFORCEMENT AGENCY")  # a row counts when both are non-blank
# SUPPORT TYPE spellings LAYOUTS.md lists (case and whitespace folded).
SUPPORT_SPELLINGS = {
    "jail enforcement model", "jail enforcment model", "task force model", "task force officer",
    "warrant service officer", "warrant services officer", "warrant service office",
}  # fmt: skip


# ----------------------------------------------------------------------------- a sheet as a grid


@dataclass
class Grid:
    """A worksheet as values: header (row 1) and data rows (rows 2..), as openpyxl reads them."""

    name: str  # source name, for messages
    layout: str
    kind: str
    published: str
    header: list
    rows: list[list]
    sheet_name: str = "Sheet1"
    raw_bytes: bytes | None = None  # the original file's bytes (real sheets)

    def copy(self) -> Grid:
        return Grid(self.name, self.layout, self.kind, self.published, list(self.header),
                    [list(r) for r in self.rows], self.sheet_name, self.raw_bytes)  # fmt: skip

    def col(self, name: str) -> int | None:
        folded = [fold_header(h) for h in self.header]
        return folded.index(name) if name in folded else None


def blank(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def fold_header(value) -> str:
    return " ".join(str(value).split()).upper() if value is not None else ""


def grid_from_rows(name: str, layout: str, rows: Sequence[Sequence], *, published: str) -> Grid:
    return Grid(name, layout, wb.KINDS[layout], published, list(wb.HEADERS[layout]), [list(r) for r in rows],
                wb.SHEET_NAMES[layout])  # fmt: skip


def grid_from_file(path: Path, *, layout: str, published: str) -> Grid:
    """Read a real workbook with openpyxl (independent of the reader under test)."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    ws = book.worksheets[0]
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    book.close()
    width = max((i + 1 for r in values for i, v in enumerate(r) if not blank(v)), default=0)
    values = [(r + [None] * width)[:width] for r in values]
    while values and all(blank(v) for v in values[-1]):
        values.pop()
    return Grid(path.name, layout, wb.KINDS[layout], published, values[0], values[1:], ws.title, path.read_bytes())


def eligible_rows(grid: Grid) -> list[int]:
    """Indices of data rows that count: STATE and LAW ENFORCEMENT AGENCY both non-blank."""
    s, a = grid.col("STATE"), grid.col("LAW ENFORCEMENT AGENCY")
    if s is None or a is None:
        return []
    return [i for i, r in enumerate(grid.rows) if not blank(_at(r, s)) and not blank(_at(r, a))]


def counted_rows(grid: Grid, width: int) -> int:
    """Eligible rows, each distinct row (its first ``width`` cells, the layout's columns) once."""
    return len({tuple("" if v is None else v for v in (_at(grid.rows[i], j) for j in range(width)))
                for i in eligible_rows(grid)})  # fmt: skip


def _at(row: list, i: int):
    return row[i] if i < len(row) else None


def predict_layout(header: Sequence) -> tuple[str | None, type[errors.AnalysisError] | None]:
    """(layout id, None) when the header is a known layout, else (None, the error it must raise)."""
    folded = [fold_header(h) for h in header]
    while folded and not folded[-1]:
        folded.pop()
    for lid, cols in wb.HEADERS.items():
        if tuple(folded) == cols:
            return lid, None
    if not folded:
        return None, errors.EmptySheetError
    if any(c not in folded for c in REQUIRED):
        return None, errors.MissingColumnError
    return None, errors.UnknownLayoutError


# ----------------------------------------------------------------------------- mutations


@dataclass
class Mutation:
    """One mutated workbook and what reading it must give."""

    id: str
    op: str
    source: str
    detail: str
    data: bytes
    kind: str  # the kind the registry states
    published: str
    error: type[errors.AnalysisError] | None = None  # exact error class expected
    count: int | None = None  # expected agreement rows when no error
    also_ok: tuple[type[errors.AnalysisError], ...] = ()  # errors acceptable instead of the count
    layout: str | None = None  # expected layout id when read
    skipped: tuple[int, ...] = ()  # Excel rows that must be recorded as skipped
    flagged: tuple[tuple[int, str], ...] = ()  # (Excel row, corrections field) that must be logged
    duplicates_added: int | None = None  # duplicates beyond the unmutated sheet's (None: not checked)
    baseline: bool = False  # the unmutated sheet (gives the duplicate baseline)

    @property
    def file_name(self) -> str:
        return f"{self.kind}_{self.published}_{self.id}.xlsx"


Op = Callable[[random.Random, Grid], dict | None]


def _grid_result(grid: Grid, **extra) -> dict:
    """Expected outcome of writing ``grid`` as is, from the header and the row rule."""
    layout, error = predict_layout(grid.header)
    out = {"grid": grid, **extra}
    if error is not None:
        out["error"] = error
    elif wb.KINDS[layout] != grid.kind:
        out["error"] = errors.KindMismatchError
    elif len(eligible_rows(grid)) - counted_rows(grid, len(wb.HEADERS[layout])) > MAX_EXACT_DUPLICATE_ROWS:
        out["error"] = errors.DuplicateRowsError  # a doubled file or pasted block would count twice
    elif wb.KINDS[layout] == "participating" and out.get("count", len(eligible_rows(grid))) == 0:
        out["error"] = errors.EmptySheetError  # ICE's participating list is never empty: refused, not read as 0
    else:
        out.setdefault("count", counted_rows(grid, len(wb.HEADERS[layout])))
        out["layout"] = layout
    return out


def op_identity(rng, g):
    return _grid_result(g.copy(), detail="unchanged", duplicates_added=0)


def op_drop_column(rng, g):
    g = g.copy()
    i = rng.randrange(len(g.header))
    name = g.header[i]
    del g.header[i]
    for r in g.rows:
        if i < len(r):
            del r[i]
    return _grid_result(g, detail=f"dropped column {name!r}")


def op_rename_column(rng, g):
    g = g.copy()
    i = rng.randrange(len(g.header))
    old = str(g.header[i])
    choice = rng.randrange(4)
    if choice == 0:  # cosmetic: case and whitespace, still the same column
        new = rng.choice([old.lower(), old.title(), f" {old}  ", old.replace(" ", "  "), old + "\xa0"])
    elif choice == 1:
        new = rng.choice(["AGENCY", "ST", "MODEL", "DATE SIGNED", "NOTES", "LEA", "STATE/TERRITORY"])
    elif choice == 2:
        new = rng.choice([h for h in wb.HEADERS["P3"] if h != fold_header(old)])  # another layout's name
    else:
        new = old[: max(1, len(old) // 2)]  # truncated header text
    g.header[i] = new
    return _grid_result(g, detail=f"renamed column {old!r} -> {new!r}")


def op_reorder_columns(rng, g):
    g = g.copy()
    n = len(g.header)
    order = list(range(n))
    while order == list(range(n)):
        rng.shuffle(order)
    g.header = [g.header[i] for i in order]
    g.rows = [[_at(r, i) for i in order] for r in g.rows]
    # Layouts are exact and ordered (LAYOUTS.md): no layout is a permutation of another.
    return _grid_result(g, detail=f"columns reordered {order}")


def op_extra_column(rng, g):
    g = g.copy()
    where = rng.randrange(len(g.header) + 1)
    named = where < len(g.header) or rng.random() < 0.5
    g.header.insert(where, rng.choice(["NOTES", "FIPS", "REGION"]) if named else None)
    for k, r in enumerate(g.rows):
        r.insert(where, f"note {k}" if rng.random() < 0.3 else None)
    # A trailing column without a header is not part of the layout; its text is ignored.
    return _grid_result(g, detail=f"extra column at {where} ({'named' if named else 'unnamed trailing'})")


def op_blank_cell(rng, g):
    if not g.rows:
        return None
    g = g.copy()
    r = rng.randrange(len(g.rows))
    c = rng.randrange(len(g.header))
    name = fold_header(g.header[c])
    before = g.rows[r][c]
    g.rows[r][c] = rng.choice([None, "", "   ", "\xa0"])
    flagged = ()
    skipped = ()
    if name in KEY and not blank(before) and r in eligible_rows(_with(g, r, c, before)):
        # the row no longer counts; it is recorded as skipped when it still holds text
        if any(not blank(v) for v in g.rows[r]):
            skipped = (r + 2,)
    elif name == "SUPPORT TYPE" and r in eligible_rows(g):
        flagged = ((r + 2, "SUPPORT TYPE"),)  # kept, model unstated, logged
    elif name == "SIGNED" and r in eligible_rows(g):
        flagged = ((r + 2, "SIGNED"),)
    return _grid_result(g, detail=f"blanked row {r + 2} {name}", skipped=skipped, flagged=flagged)


def _with(g: Grid, r: int, c: int, value) -> Grid:
    h = g.copy()
    h.rows[r][c] = value
    return h


def op_blank_key_cells(rng, g):
    """Blank STATE or AGENCY in several rows: each removes one row from the count."""
    if not g.rows:
        return None
    g = g.copy()
    rows = rng.sample(range(len(g.rows)), k=min(len(g.rows), rng.randint(1, 5)))
    col = g.col(rng.choice(KEY))
    for r in rows:
        g.rows[r][col] = None
    return _grid_result(g, detail=f"blanked {g.header[col]} in rows {[r + 2 for r in rows]}")


def op_drop_rows(rng, g):
    if not g.rows:
        return None
    g = g.copy()
    k = rng.randint(1, min(len(g.rows), 10))
    for r in sorted(rng.sample(range(len(g.rows)), k), reverse=True):
        del g.rows[r]
    return _grid_result(g, detail=f"deleted {k} data rows")


def op_shuffle_rows(rng, g):
    g = g.copy()
    rng.shuffle(g.rows)
    return _grid_result(g, detail="rows shuffled", duplicates_added=0)  # keep='first': order-free count


def op_no_data_rows(rng, g):
    g = g.copy()
    g.rows = []
    if g.kind == "participating":
        return None  # see test_participating_sheet_without_rows_is_refused
    return _grid_result(g, detail="header only (pending sheets may be empty)")


def _junk_rows(g: Grid) -> list[tuple[str, list, type[errors.AnalysisError] | None]]:
    """(label, row, error) for junk rows; error None when the row must simply be skipped."""
    w = len(g.header)

    def row(**cells):
        out = [None] * w
        for name, value in cells.items():
            i = g.col(name.replace("_", " "))
            if i is not None:
                out[i] = value
        return out

    st, ag = "STATE", "LAW_ENFORCEMENT_AGENCY"
    return [
        ("blank row", [None] * w, None),
        ("whitespace row", ["  "] * w, None),
        ("note in column A", ["Source: ICE ERO, list as of 09/02/2025"] + [None] * (w - 1), None),
        ("note under AGENCY only", row(**{ag: "* agreement under review"}), None),
        ("repeated header row", list(g.header), errors.SheetError),
        ("total row", row(**{st: "TOTAL", ag: "1,843 agreements"}), errors.SheetError),
        ("state typo no rule knows", row(**{st: "FLORDIA", ag: "Polk County Sheriff's Office", "SUPPORT_TYPE": "Task Force Model"}),
         errors.SheetError),
        ("unknown support type", row(**{st: "FLORIDA", ag: "Polk County Sheriff's Office", "SUPPORT_TYPE": "287(g) Model"}),
         errors.SheetError),
    ]  # fmt: skip


def op_junk_row(rng, g):
    g = g.copy()
    label, junk, error = rng.choice(_junk_rows(g))
    where = rng.randint(0, len(g.rows))
    g.rows.insert(where, junk)
    excel_row = where + 2
    skipped = (excel_row,) if error is None and any(not blank(v) for v in junk) else ()
    if error is not None:
        layout, header_error = predict_layout(g.header)
        if header_error is None and wb.KINDS[layout] == g.kind:
            return {"grid": g, "error": error, "detail": f"{label} at row {excel_row}"}
    return _grid_result(g, detail=f"{label} at row {excel_row}", skipped=skipped)


def op_partial_row(rng, g):
    """A row with STATE and AGENCY but no SUPPORT TYPE: counted, model unstated, logged."""
    g = g.copy()
    new = [None] * len(g.header)
    new[g.col("STATE")], new[g.col("LAW ENFORCEMENT AGENCY")] = "GEORGIA", "Hall County Sheriff's Office"
    where = rng.randint(0, len(g.rows))
    g.rows.insert(where, new)
    flagged = [(where + 2, "SUPPORT TYPE")]
    if g.col("SIGNED") is not None:
        flagged.append((where + 2, "SIGNED"))
    return _grid_result(g, detail=f"row without SUPPORT TYPE at {where + 2}", flagged=tuple(flagged))


def op_duplicate_rows(rng, g):
    elig = eligible_rows(g)
    if not elig:
        return None
    g = g.copy()
    k = rng.randint(1, min(3, len(elig)))
    picks = rng.sample(elig, k)
    for r in picks:
        g.rows.append(list(g.rows[r]))
    # exact copies count once: the count and the flagged duplicates stay as they were
    return _grid_result(g, detail=f"duplicated rows {[r + 2 for r in picks]}", duplicates_added=0)


def op_duplicate_sheet(rng, g):
    """Every row twice (a doubled file): refused beyond MAX_EXACT_DUPLICATE_ROWS repeats, else counted once."""
    if not eligible_rows(g):
        return None
    g = g.copy()
    g.rows += [list(r) for r in g.rows]
    return _grid_result(g, detail="every row twice", duplicates_added=0)


def op_cosmetic_cells(rng, g):
    """Case/whitespace/spelling variants ICE printed: same count, every change logged."""
    elig = eligible_rows(g)
    if not elig:
        return None
    g = g.copy()
    r = rng.choice(elig)
    field_name = rng.choice(["STATE", "SUPPORT TYPE"])
    c = g.col(field_name)
    value = g.rows[r][c]
    if blank(value):
        return None
    if field_name == "STATE":
        new = rng.choice([str(value).lower(), f" {value} ", str(value).title(), f"{value}\xa0"])
    else:
        model = " ".join(str(value).split()).lower()
        variants = {"task force model": ["Task Force Officer", "task force model", "Task Force Model  "],
                    "warrant service officer": ["Warrant Services Officer", "Warrant Service Office", " Warrant Service Officer"],
                    "jail enforcement model": ["Jail Enforcment Model", "JAIL ENFORCEMENT MODEL", "Jail Enforcement Model "]}  # fmt: skip
        new = rng.choice(variants.get(model, [f"{value} "]))
    if new == value:
        return None
    g.rows[r][c] = new
    return _grid_result(g, detail=f"row {r + 2} {field_name} {value!r} -> {new!r}", flagged=((r + 2, field_name),))


def _bad_dates(published: dt.date) -> list:
    return [
        "TBD", "13/45/2025", "2025-02-30", "5025-07-07", "07/082025", "pending", "0", 45678,
        dt.datetime(2031, 1, 1), dt.datetime(1990, 1, 1), dt.datetime(1901, 5, 5),
        dt.datetime.combine(published + dt.timedelta(days=1), dt.time()),
        dt.datetime(2025, 5, 8, 14, 30),
        (published + dt.timedelta(days=40)).strftime("%m/%d/%Y"),
    ]  # fmt: skip


def op_bad_date(rng, g):
    c = g.col("SIGNED")
    elig = eligible_rows(g)
    if c is None or not elig:
        return None
    g = g.copy()
    r = rng.choice(elig)
    value = rng.choice(_bad_dates(dt.date.fromisoformat(g.published)))
    g.rows[r][c] = value
    return _grid_result(g, detail=f"row {r + 2} SIGNED -> {value!r}", flagged=((r + 2, "SIGNED"),))


def op_swap_column_contents(rng, g):
    """Swap the data (not the header) of two columns."""
    g = g.copy()
    names = [fold_header(h) for h in g.header]
    pairs = [("STATE", "LAW ENFORCEMENT AGENCY")] + [("SUPPORT TYPE", n) for n in names if n not in (*KEY, "SUPPORT TYPE")]
    pairs += [(a, b) for a in names for b in names if a < b and a not in (*KEY, "SUPPORT TYPE") and b not in (*KEY, "SUPPORT TYPE")]
    a, b = rng.choice(pairs)
    i, j = g.col(a), g.col(b)
    for r in g.rows:
        r[i], r[j] = r[j], r[i]
    elig = eligible_rows(g)
    error = None
    if a == "STATE" and elig:
        error = errors.SheetError  # agency names are no state
    elif a == "SUPPORT TYPE":
        bad = [g.rows[k][i] for k in elig if not blank(g.rows[k][i])
               and " ".join(str(g.rows[k][i]).split()).lower() not in SUPPORT_SPELLINGS]  # fmt: skip
        if bad:
            error = errors.SheetError
    if error is not None:
        return {"grid": g, "error": error, "detail": f"swapped contents of {a} and {b}"}
    flagged = ()
    if a == "SUPPORT TYPE" and elig:
        k = rng.choice(elig)
        if blank(g.rows[k][i]):
            flagged = ((k + 2, "SUPPORT TYPE"),)
    return _grid_result(g, detail=f"swapped contents of {a} and {b}", flagged=flagged)


def op_kind_swap_header(rng, g):
    """Change the header to the other kind's layout (e.g. drop SIGNED and MOA): KindMismatchError."""
    g = g.copy()
    header = [fold_header(h) for h in g.header]
    if g.kind == "participating":
        keep = [i for i, h in enumerate(header) if h not in ("SIGNED", "MOA", "ADDENDUM")]
        if "TYPE" not in header:
            return None  # P0 minus SIGNED/MOA matches no pending layout
        g.header = [g.header[i] for i in keep]
        g.rows = [[_at(r, i) for i in keep] for r in g.rows]
    else:
        add = ["SIGNED", "MOA"] if "MOA" not in header else ["SIGNED"]
        at = header.index("MOA") if "MOA" in header else len(header)
        g.header[at:at] = ["SIGNED"] if add == ["SIGNED"] else []
        if add == ["SIGNED", "MOA"]:
            g.header += add
        for r in g.rows:
            if add == ["SIGNED"]:
                r.insert(at, dt.datetime(2025, 3, 1))
            else:
                r += [dt.datetime(2025, 3, 1), "link"]
    out = _grid_result(g, detail=f"header made {'pending' if g.kind == 'participating' else 'participating'}")
    assert out.get("error") is errors.KindMismatchError, (g.name, g.header, out)
    return out


def op_registered_other_kind(rng, g):
    """The file is intact but registered under the other kind (ICE once swapped the files)."""
    out = _grid_result(g.copy(), detail="registered as the other kind")
    out["kind"] = "pending" if g.kind == "participating" else "participating"
    out["error"] = errors.KindMismatchError
    out.pop("count", None)
    return out


def op_header_not_in_row_one(rng, g):
    g = g.copy()
    g.rows.insert(0, list(g.header))
    g.header = [None] * len(g.header)
    return {"grid": g, "error": errors.EmptySheetError, "detail": "blank row above the header"}


def op_empty_workbook(rng, g):
    if rng.random() < 0.5:
        return {"data": xlsx_bytes(None, [], g.sheet_name), "error": errors.EmptySheetError, "detail": "empty first worksheet"}
    return {"data": xlsx_bytes(None, [], sheets=False), "error": errors.EmptySheetError, "detail": "workbook without worksheets"}


def op_truncate(rng, g):
    data = g.raw_bytes if g.raw_bytes is not None and rng.random() < 0.5 else _write(g)
    cut = rng.choice([0, 1, 4, 30, rng.randrange(len(data)), len(data) - rng.randint(1, 21)])
    return {"data": data[:cut], "error": errors.NotAWorkbookError, "detail": f"truncated to {cut} of {len(data)} bytes"}


def op_corrupt_bytes(rng, g):
    """Overwrite a few bytes. The zip CRCs make damage to a part the reader opens an error;
    damage elsewhere (docProps, unused parts) may read fine, but then to the right count."""
    data = bytearray(g.raw_bytes if g.raw_bytes is not None and rng.random() < 0.5 else _write(g))
    start = rng.randrange(len(data))
    for k in range(start, min(len(data), start + rng.randint(1, 8))):
        data[k] = rng.randrange(256)
    out = _grid_result(g.copy(), detail=f"bytes overwritten at {start}")
    out["data"] = bytes(data)
    out["also_ok"] = (errors.NotAWorkbookError,)
    return out


def op_corrupt_stored_part(rng, g):
    """One byte changed inside the uncompressed worksheet or shared-strings XML. Nothing but the
    zip CRC shows it, and the changed text could be a different row or cell: must be refused."""
    data = bytearray(xlsx_bytes(g.header, g.rows, g.sheet_name, compression=zipfile.ZIP_STORED))
    part = rng.choice([b"<sheetData>", b"<sst "])
    start = data.index(part) + len(part)
    end = data.index(b"</sheetData>" if part == b"<sheetData>" else b"</sst>", start)
    if end <= start:
        return None
    at = rng.randrange(start, end)
    data[at] = (data[at] + rng.randint(1, 255)) % 256
    return {"data": bytes(data), "error": errors.NotAWorkbookError,
            "detail": f"byte {at} changed inside stored {part.decode().strip('<> ')} part"}  # fmt: skip


def op_wrong_file_type(rng, g):
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as zf:
        zf.writestr(zipfile.ZipInfo("readme.txt", date_time=(2025, 1, 1, 0, 0, 0)), "not a spreadsheet")
    data = rng.choice([
        b"",
        ",".join(map(str, g.header)).encode() + b"\nFLORIDA,Hardee County Sheriff's Office\n",
        b"<!DOCTYPE html><html><body>404 Not Found</body></html>",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),  # legacy .xls (OLE2) header
        zbuf.getvalue(),
        b"version https://git-lfs.github.com/spec/v1\noid sha256:" + b"0" * 64 + b"\nsize 231759\n",
    ])  # fmt: skip
    return {"data": data, "error": errors.NotAWorkbookError, "detail": f"not an xlsx ({data[:12]!r})"}


OPS: dict[str, Op] = {
    "identity": op_identity,
    "drop_column": op_drop_column,
    "rename_column": op_rename_column,
    "reorder_columns": op_reorder_columns,
    "extra_column": op_extra_column,
    "blank_cell": op_blank_cell,
    "blank_key_cells": op_blank_key_cells,
    "drop_rows": op_drop_rows,
    "shuffle_rows": op_shuffle_rows,
    "no_data_rows": op_no_data_rows,
    "junk_row": op_junk_row,
    "partial_row": op_partial_row,
    "duplicate_rows": op_duplicate_rows,
    "duplicate_sheet": op_duplicate_sheet,
    "cosmetic_cells": op_cosmetic_cells,
    "bad_date": op_bad_date,
    "swap_column_contents": op_swap_column_contents,
    "kind_swap_header": op_kind_swap_header,
    "registered_other_kind": op_registered_other_kind,
    "header_not_in_row_one": op_header_not_in_row_one,
    "empty_workbook": op_empty_workbook,
    "truncate": op_truncate,
    "corrupt_bytes": op_corrupt_bytes,
    "corrupt_stored_part": op_corrupt_stored_part,
    "wrong_file_type": op_wrong_file_type,
}


def _write(g: Grid) -> bytes:
    return xlsx_bytes(g.header, g.rows, g.sheet_name)


def mutate(grid: Grid, op: str, rng: random.Random, ident: str) -> Mutation | None:
    spec = OPS[op](rng, grid)
    if spec is None:
        return None
    data = spec.get("data")
    if data is None:
        data = _write(spec["grid"])
    return Mutation(
        id=ident, op=op, source=grid.name, detail=spec["detail"], data=data, kind=spec.get("kind", grid.kind),
        published=grid.published, error=spec.get("error"), count=spec.get("count") if "error" not in spec else None,
        also_ok=spec.get("also_ok", ()), layout=spec.get("layout"), skipped=tuple(spec.get("skipped", ())),
        flagged=tuple(spec.get("flagged", ())), duplicates_added=spec.get("duplicates_added"),
        baseline=op == "identity",
    )  # fmt: skip


def generate(grids: Sequence[Grid], per_grid: int, *, seed: int) -> list[Mutation]:
    """``per_grid`` mutations of each grid (one unmutated baseline first), seeded and reproducible.

    Operators are drawn round-robin from a seeded shuffle so each grid gets every applicable
    operator before any repeats.
    """
    out: list[Mutation] = []
    for gi, grid in enumerate(grids):
        rng = random.Random(f"{seed}:{grid.name}")
        ops = [o for o in OPS if o != "identity"]
        made = [mutate(grid, "identity", rng, f"g{gi:02d}m0000")]
        tries = 0
        while len(made) < per_grid and tries < per_grid * 4:
            if tries % len(ops) == 0:
                rng.shuffle(ops)
            op = ops[tries % len(ops)]
            tries += 1
            m = mutate(grid, op, rng, f"g{gi:02d}m{len(made):04d}")
            if m is not None:
                made.append(m)
        out += made
    return out


# ----------------------------------------------------------------------------- running them


@dataclass
class Outcome:
    mutation: Mutation
    error: BaseException | None = None
    count: int | None = None
    layout: str | None = None
    skipped: tuple[int, ...] = ()
    logged: set[tuple[int, str]] = field(default_factory=set)
    duplicates: int = 0


def check(o: Outcome, baseline_duplicates: int | None) -> str | None:
    """None when the outcome is what the mutation implies, else a one-line complaint."""
    m = o.mutation
    label = f"ice_287g/mut/{m.file_name}"
    if o.error is not None and not isinstance(o.error, errors.AnalysisError):
        return f"untyped {type(o.error).__name__}: {o.error}"
    if m.error is not None:
        if o.error is None:
            return f"expected {m.error.__name__}, read {o.count} rows (layout {o.layout})"
        if type(o.error) is not m.error:
            return f"expected {m.error.__name__}, got {type(o.error).__name__}: {o.error}"
    elif o.error is not None:
        if type(o.error) not in m.also_ok:
            return f"expected {m.count} rows, got {type(o.error).__name__}: {o.error}"
    else:
        if o.count != m.count:
            return f"SILENT MISCOUNT: read {o.count} rows, expected {m.count}"
        if m.layout and o.layout != m.layout:
            return f"layout {o.layout}, expected {m.layout}"
        missing = [r for r in m.skipped if r not in o.skipped]
        if missing:
            return f"rows {missing} not recorded as skipped (recorded {list(o.skipped)[:10]})"
        unlogged = [f for f in m.flagged if f not in o.logged]
        if unlogged:
            return f"corrections not logged: {unlogged}"
        if m.duplicates_added is not None and baseline_duplicates is not None and o.duplicates != baseline_duplicates + m.duplicates_added:
            return f"{o.duplicates} duplicate rows flagged, expected {baseline_duplicates} + {m.duplicates_added}"
    if o.error is not None and label not in str(o.error):
        return f"error message does not name the file: {o.error}"
    return None
