"""Read one ICE workbook into plain columns, exactly as ICE printed them.

Reading is kept apart from cleaning (normalize.py) so that the raw text of every cell stays
available for the corrections log, and so the archive can be parsed in parallel cheaply.
python-calamine is used because it reads these files ~10x faster than openpyxl. Known limit:
calamine does not expose Excel error values, so an error cell such as COUNTY's #N/A reads as ''
(missing either way once cleaned).
"""

from __future__ import annotations

import datetime as dt
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from itertools import compress
from pathlib import Path
from typing import IO

from . import limits
from ..core.errors import DuplicateRowsError, EmptySheetError, LimitError, NotAWorkbookError
from .layouts import Layout, clean_header, detect

# Column in the sheet -> field in the raw table.
FIELDS = {
    "STATE": "state_raw",
    "LAW ENFORCEMENT AGENCY": "agency_raw",
    "TYPE": "jurisdiction_type_raw",
    "COUNTY": "county_raw",
    "SUPPORT TYPE": "support_type_raw",
    "SIGNED": "signed_raw",
    "MOA": "moa_raw",
    "ADDENDUM": "addendum_raw",
}
RAW_COLUMNS = ["row", *FIELDS.values()]

# Exact duplicate rows (every cell as printed) that one sheet may carry. Measured with read_sheet on
# all 1,166 registered sheets (curated and archive): one sheet has one
# (ice_287g_archive/participating_2025-08-04_pm.xlsx, row 868 repeats row 629, West York Borough PD,
# TFM), every other has none. Five times that is the margin; more is a pasted block or a doubled
# file, which would count twice: refused (DuplicateRowsError).
MEASURED_EXACT_DUPLICATE_ROWS = 1
MAX_EXACT_DUPLICATE_ROWS = 5 * MEASURED_EXACT_DUPLICATE_ROWS


@dataclass
class RawSheet:
    path: str
    layout: Layout
    sheet_name: str
    columns: dict[str, list]  # RAW_COLUMNS -> values (text; '' where the layout lacks the column)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (excel row, reason)
    duplicates: list[tuple[int, int]] = field(default_factory=list)  # (excel row dropped, earlier row it repeats)

    @property
    def kind(self) -> str:
        return self.layout.kind

    @property
    def n_rows(self) -> int:
        """Data rows counted (exact duplicates dropped by drop_exact_duplicates are not)."""
        return len(self.columns["row"])

    @property
    def rows_read(self) -> int:
        """Data rows as printed (MANIFEST's count): the counted ones and the exact duplicates dropped."""
        return self.n_rows + len(self.duplicates)


def cell_text(value) -> str:
    """A cell as text without losing what ICE typed: dates as ISO, integers without '.0'."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _too_big(what: str, limit: int) -> str:
    return (f"{what} beyond the limit of {limit // 2**20} MiB (the largest part of any real ICE sheet unpacks to "
            f"0.81 MiB); refused before parsing; " + limits.how_to_raise("--max-unpacked-mb", limits.UNPACKED_ENV))


def _declared_sizes(zf: zipfile.ZipFile, limit: int) -> str | None:
    """The zip directory's own sizes against the limit (free: nothing is decompressed)."""
    total = 0
    for info in zf.infolist():
        total += info.file_size
        if info.file_size > limit:
            return _too_big(f"{info.filename} unpacks to {info.file_size / 2**20:,.1f} MiB,", limit)
    if total > limit:
        return _too_big(f"its parts unpack to {total / 2**20:,.1f} MiB together,", limit)
    return None


_CHUNK = 2**20  # decompressed at most this much at a time: a bomb is counted, never held


def _inflate(f, info: zipfile.ZipInfo, cap: int, keep: list[bytes]) -> tuple[int, int]:
    """(bytes a member really unpacks to, their CRC-32), reading its raw data: the directory's
    size can lie, and calamine inflates to the end of the data whatever it says. Stops as soon as
    the count passes ``cap``; the unpacked bytes are appended to ``keep`` (at most ``cap`` of them)."""
    f.seek(info.header_offset)
    local = f.read(30)
    if len(local) < 30 or local[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"bad local header for {info.filename}")
    name_len, extra_len = struct.unpack("<HH", local[26:30])
    f.seek(info.header_offset + 30 + name_len + extra_len)
    left, size, crc = info.compress_size, 0, 0
    if info.compress_type == zipfile.ZIP_STORED:
        while left and size <= cap:
            chunk = f.read(min(left, _CHUNK))
            if not chunk:
                raise EOFError(f"{info.filename} is truncated")
            left, size, crc = left - len(chunk), size + len(chunk), zlib.crc32(chunk, crc)
            keep.append(chunk)
        return size, crc
    inflater = zlib.decompressobj(-15)  # raw deflate, as in zip members
    while left and size <= cap:
        data = f.read(min(left, 2**16))
        if not data:
            raise EOFError(f"{info.filename} is truncated")
        left -= len(data)
        while data and size <= cap:
            out = inflater.decompress(data, _CHUNK)
            size, crc = size + len(out), zlib.crc32(out, crc)
            keep.append(out)
            data = inflater.unconsumed_tail
    return size, crc


def zip_problem(path: Path | str, label: str) -> LimitError | NotAWorkbookError | None:
    """What is wrong with a zip's parts, as the error to raise, or None when every part passes:
    each part's real unpacked size against the limit (limits.py), and its CRC-32 check.

    calamine does not verify CRCs: a damaged byte in a part's data can decompress to other
    text (a garbled agency, a cell moved out of the STATE column) and be read without error,
    so a corrupt file could become a different count. Every part is inflated once, streamed and
    never held, which costs ~1.5 ms per sheet (a fifth of a parse), so it is done where bytes
    enter data/raw (fetch, add-sheet) and on every read of an unregistered file, not on every
    parse of the sha256-pinned ones (which still have their declared sizes checked).
    """
    limit = limits.max_unpacked_bytes()
    limits.max_rows()  # a bad limit in the environment is a usage error, raised here, not a damaged zip
    try:
        with zipfile.ZipFile(path) as zf:
            problem = _declared_sizes(zf, limit)
            if problem:
                return LimitError(problem, path=label)
            total, f = 0, zf.fp  # the raw bytes, read directly (path or file object alike)
            for info in zf.infolist():
                if info.flag_bits & 0x1:
                    return NotAWorkbookError(f"part {info.filename} is encrypted", path=label)
                kept: list[bytes] = []
                if info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    size, crc = _inflate(f, info, limit - total, kept)
                else:  # not written by Excel; zipfile stops at the declared size
                    size = crc = 0
                    with zf.open(info) as member:
                        while (chunk := member.read(_CHUNK)) and size <= limit - total:
                            size, crc = size + len(chunk), zlib.crc32(chunk, crc)
                            kept.append(chunk)
                total += size
                if total > limit:  # the declared sizes passed above: this part's size in the directory lies
                    said = f"{info.filename} unpacks to more than its zip directory says ({info.file_size / 2**20:,.2f} MiB)"
                    return LimitError(_too_big(f"{said}, and the parts together go", limit), path=label)
                if size != info.file_size or crc != info.CRC:
                    return NotAWorkbookError(
                        f"corrupt xlsx: part {info.filename} fails its CRC check (damaged or truncated file)", path=label)
                xml = b"".join(kept)
                del kept
                problem = extent_problem(xml, info.filename) if b"<sheetData" in xml else None  # any worksheet, wherever the workbook keeps it
                if problem:
                    return LimitError(problem, path=label)
    except Exception as err:  # noqa: BLE001 - zlib.error, BadZipFile, EOFError, ... from a damaged archive
        return NotAWorkbookError(f"corrupt xlsx (zip archive damaged: {type(err).__name__}: {err})", path=label)
    return None


# What the usual worksheet never holds, each found by a search with a literal start (fast): a cell or
# row tag whose first attribute is not its ``r`` reference (readers then place it after the previous
# one), a namespace prefix on one.
_ODD = [re.compile(rb'<c(?:[>/]|\s(?!r="))'), re.compile(rb'<row(?:[>/]|\s(?!r="))'), re.compile(rb":c[\s>/]"),
        re.compile(rb":row[\s>/]"), re.compile(rb":dimension[\s>/]")]  # fmt: skip
_TAG = re.compile(rb'<(?:c|row)(?:[>/]|\s(?!r="))')
_PREFIXED = re.compile(rb':(?:c|row|dimension)[\s>/]')
_WIDE = re.compile(rb'<c r="[A-Z]{2}|<dimension ref="[^"]*[A-Z]{2}')
_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c|dimension)\b([^>]*)>")
_REF = re.compile(rb'\b(?:r|ref)="(?:[A-Z]*[0-9]*:)?([A-Z]*)([0-9]*)"')


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _extent(xml: bytes) -> tuple[int, int]:
    """(last row, last column) of a worksheet's cells and its <dimension>, tag by tag: cells and rows
    without an ``r`` attribute follow the previous one, as readers place them."""
    rows = cols = row = col = 0
    for tag, attrs in _TAG.findall(xml):
        ref = _REF.search(attrs)
        letters, digits = (ref.group(1), ref.group(2)) if ref else (b"", b"")
        if tag == b"row":
            row, col = (int(digits) if digits else row + 1), 0
        else:
            r = int(digits) if digits else row
            c = _column_number(letters) if letters else col + 1
            if tag == b"c":
                row, col = r, c
        rows, cols = max(rows, r if tag != b"row" else row), max(cols, c if tag != b"row" else 0)
    return rows, cols


def extent_problem(xml: bytes, part: str) -> str | None:
    """Whether a worksheet's cells (or its <dimension>) reach beyond the rows or columns the reader may
    allocate (limits.MAX_ROWS below a header, limits.MAX_COLUMNS), read from its XML before the reader
    sees it. The usual sheet (every cell and row tag led by its ``r`` reference, nothing beyond
    column Z, no reference with as many digits as the row limit) is settled by four searches, about 1 ms for the
    largest real sheet; any other is read tag by tag."""
    max_rows, max_cols = limits.max_rows() + 1, limits.MAX_COLUMNS
    digits = len(str(max_rows))  # a row number with fewer digits is within the limit
    far = [re.compile(rb'<c r="(?:[A-Z]{2}|[A-Z][0-9]{%d})' % digits), re.compile(rb'<row r="[0-9]{%d}' % digits)]
    start = xml.find(b"<dimension ")
    dimension = xml[start:xml.find(b">", start) + 1] if start >= 0 else b""
    if (max_cols >= 26 and not re.search(rb'[A-Z]{2}[0-9]|[0-9]{%d}' % digits, dimension)
            and not any(p.search(xml) for p in (*_ODD, *far))):  # fmt: skip
        return None
    rows, cols = _extent(xml)
    if rows > max_rows:
        return f"{part}: {too_many_rows(rows - 1, max_rows - 1)}"
    if cols > max_cols:
        return (f"{part} spans {cols:,} columns, beyond the limit of {max_cols} (A-Z; the widest real ICE sheet has 13): "
                f"the reader would allocate {rows:,} rows x {cols:,} columns; refused before parsing")  # fmt: skip
    return None


def too_many_rows(rows: int, cap: int) -> str:
    """The refusal of a sheet with more than ``cap`` rows below its header."""
    return (f"{rows:,} rows below the header, beyond the limit of {cap:,} (the most in any real ICE sheet is 1,843); "
            f"refused before parsing; {limits.how_to_raise('--max-rows', limits.ROWS_ENV)}")


def crc_problem(path: Path | str | IO[bytes]) -> str | None:
    """zip_problem in words (for fetch, which names the file itself), or None when every part passes."""
    problem = zip_problem(path, "")
    return None if problem is None else str(problem)


def _check_crcs(path: Path | str, label: str) -> None:
    """Raise zip_problem's error (LimitError, NotAWorkbookError), if any."""
    problem = zip_problem(path, label)
    if problem is not None:
        raise problem


def _check_declared_sizes(path: Path | IO[bytes], label: str) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            problem = _declared_sizes(zf, limits.max_unpacked_bytes())
    except Exception as err:  # noqa: BLE001 - as in zip_problem
        raise NotAWorkbookError(f"corrupt xlsx (zip archive damaged: {type(err).__name__}: {err})", path=label) from None
    if problem:
        raise LimitError(problem, path=label)


def _open_rows(path: Path | IO[bytes], label: str, check_crc: bool) -> tuple[str, list[list]]:
    from python_calamine import CalamineWorkbook

    if not zipfile.is_zipfile(path):
        raise NotAWorkbookError("not an xlsx workbook (not a zip archive; truncated or wrong file type)", path=label)
    if check_crc:
        _check_crcs(path, label)
    else:
        _check_declared_sizes(path, label)
    try:
        if isinstance(path, Path):
            workbook = CalamineWorkbook.from_path(str(path))
        else:
            path.seek(0)
            workbook = CalamineWorkbook.from_filelike(path)
        names = workbook.sheet_names
        if not names:
            raise EmptySheetError("workbook has no worksheet", path=label)
        rows = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except (EmptySheetError, NotAWorkbookError):
        raise
    except Exception as err:  # calamine raises its own error types for corrupt parts
        raise NotAWorkbookError(f"cannot read workbook: {type(err).__name__}: {err}", path=label) from None
    return names[0], rows


def _column_text(cells) -> list[str]:
    """cell_text over one column, fast: nearly every column is all str, and SIGNED repeats dates."""
    if set(map(type, cells)) == {str}:
        return list(cells)
    out: list[str] = []
    dates: dict[dt.date, str] = {}  # exact dt.date only: equal dates always print alike
    for c in cells:
        kind = type(c)
        if kind is str:
            out.append(c)
        elif kind is dt.date:
            text = dates.get(c)
            if text is None:
                text = dates[c] = c.isoformat()
            out.append(text)
        else:
            out.append(cell_text(c))
    return out


def _body_columns(rows: list[list], width: int, state_i: int, agency_i: int):
    """Rows 2.. -> (text of the first ``width`` columns of the kept rows, their Excel rows, skipped).

    A row is kept when it has both STATE and LAW ENFORCEMENT AGENCY; a dropped row that has any
    text (also beyond ``width``) is reported in ``skipped``. Done column by column (one transpose,
    then whole-column checks), not cell by cell: the archive has ~337k rows, and calling
    cell_text on each of their cells cost more than the rest of the parse.
    """
    body = rows[1:]
    if not body:
        return [[] for _ in range(width)], [], []
    n = len(rows[0])  # >= width: the header matched a layout
    lengths = set(map(len, body))
    if lengths != {n}:  # calamine gives a rectangle; pad anything else with empty cells
        n = max(n, *lengths)
        body = [r if len(r) == n else [*r, *([None] * (n - len(r)))] for r in body]
    transposed = list(zip(*body))
    cols = [_column_text(transposed[j]) for j in range(width)]
    state, agency = cols[state_i], cols[agency_i]
    if all(map(str.strip, state)) and all(map(str.strip, agency)):  # the usual case: every row kept
        return cols, list(range(2, len(body) + 2)), []
    keep = [bool(s.strip() and a.strip()) for s, a in zip(state, agency)]
    skipped: list[tuple[int, str]] = []
    for k, kept in enumerate(keep):
        if kept:
            continue
        cells = [col[k] for col in cols]
        if any(c.strip() for c in cells) or any(cell_text(c).strip() for c in body[k][width:]):
            skipped.append((k + 2, "row lacks STATE or LAW ENFORCEMENT AGENCY: " + " | ".join(cells)))
    lines = list(compress(range(2, len(body) + 2), keep))
    return [list(compress(col, keep)) for col in cols], lines, skipped


def read_sheet(path: Path | str | IO[bytes], *, label: str | None = None, check_crc: bool = True) -> RawSheet:
    """Parse the first worksheet; the header must be row 1 and match a known layout. ``path`` may
    be the file's bytes as a binary file object (then ``label`` names it).

    ``check_crc=False`` skips the zip CRC check and the count of each part's real unpacked size
    (`zip_problem`, a fifth of a parse; the declared sizes are still checked). Only for
    files whose bytes are known intact: registered raw files are sha256-verified on every build
    and their CRCs were checked when they entered data/raw (fetch, add-sheet). Any other file
    keeps the default, since calamine itself does not verify CRCs.
    """
    path = Path(path) if isinstance(path, str) else path
    label = label or path.name
    sheet_name, rows = _open_rows(path, label, check_crc)
    cap = limits.max_rows()
    if len(rows) - 1 > cap:
        raise LimitError(too_many_rows(len(rows) - 1, cap), path=label)
    if not rows or not any(cell_text(c).strip() for c in rows[0]):
        raise EmptySheetError("first worksheet is empty (no header row)", path=label)
    header = clean_header(rows[0])
    layout = detect(header, path=label)
    positions = {FIELDS[name]: i for i, name in enumerate(layout.columns)}
    state_i, agency_i = positions["state_raw"], positions["agency_raw"]
    columns_by_position, lines, skipped = _body_columns(rows, len(layout.columns), state_i, agency_i)
    columns: dict[str, list] = {"row": lines}
    for name in FIELDS.values():
        i = positions.get(name)
        columns[name] = columns_by_position[i] if i is not None else [""] * len(lines)
    return RawSheet(path=label, layout=layout, sheet_name=sheet_name, columns=columns, skipped=skipped)


def exact_duplicates(sheet: RawSheet) -> list[tuple[int, int]]:
    """(Excel row, earlier Excel row it repeats) for every data row equal cell for cell, as printed,
    to an earlier row of the sheet. Rows that differ in any cell (a space, a county) are not exact
    duplicates: they stay, and share an agreement_id (flagged ``is_duplicate``)."""
    cells = [sheet.columns[c] for c in RAW_COLUMNS if c != "row"]
    if len(set(zip(*cells))) == sheet.n_rows:  # the usual case: no row repeats
        return []
    rows, first, out = sheet.columns["row"], {}, []
    for i, key in enumerate(zip(*cells)):
        j = first.setdefault(key, i)
        if j != i:
            out.append((int(rows[i]), int(rows[j])))
    return out


def drop_exact_duplicates(sheet: RawSheet) -> RawSheet:
    """The sheet with each exact duplicate row dropped (recorded in ``duplicates``), so no measure
    counts a row twice; refused (DuplicateRowsError) beyond MAX_EXACT_DUPLICATE_ROWS.

    Every builder runs it on every sheet (build.read_sheets, panel.sheet_pairs) and add-sheet runs it
    before registering; the dropped rows go to corrections.csv (build.skipped_corrections)."""
    dupes = exact_duplicates(sheet)
    if len(dupes) > MAX_EXACT_DUPLICATE_ROWS:
        shown = ", ".join(f"row {r} repeats row {f}" for r, f in dupes[:3])
        raise DuplicateRowsError(
            f"{len(dupes)} data rows repeat an earlier row cell for cell (first: {shown}{', ...' if len(dupes) > 3 else ''}); "
            f"real ICE sheets carry at most {MEASURED_EXACT_DUPLICATE_ROWS}, the limit is {MAX_EXACT_DUPLICATE_ROWS}: a doubled file or pasted "
            "block would count twice",
            path=sheet.path,
        )
    if not dupes:
        return sheet
    dropped = {r for r, _ in dupes}
    keep = [i for i, r in enumerate(sheet.columns["row"]) if int(r) not in dropped]
    columns = {c: (v[keep] if hasattr(v, "shape") else [v[i] for i in keep]) for c, v in sheet.columns.items()}
    return RawSheet(sheet.path, sheet.layout, sheet.sheet_name, columns, sheet.skipped, dupes)
