"""Read one ICE workbook into plain columns, exactly as ICE printed them.

Reading is kept apart from cleaning (normalize.py) so that the raw text of every cell stays
available for the corrections log, and so the archive can be parsed in parallel cheaply.
python-calamine is used because it reads these files ~10x faster than openpyxl. Known limit:
calamine does not expose Excel error values, so an error cell such as COUNTY's #N/A reads as ''
(missing either way once cleaned).
"""

from __future__ import annotations

import datetime as dt
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .errors import EmptySheetError, NotAWorkbookError
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


@dataclass
class RawSheet:
    path: str
    layout: Layout
    sheet_name: str
    columns: dict[str, list]  # RAW_COLUMNS -> values (text; '' where the layout lacks the column)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (excel row, reason)

    @property
    def kind(self) -> str:
        return self.layout.kind

    @property
    def n_rows(self) -> int:
        return len(self.columns["row"])


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


def _check_crcs(path: Path, label: str) -> None:
    """Refuse a zip whose parts fail their CRC-32 check.

    calamine does not verify CRCs: a damaged byte in a part's data can decompress to other
    text (a garbled agency, a cell moved out of the STATE column) and be read without error,
    so a corrupt file could become a different count. Checking every part costs ~1 ms per sheet.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()
    except Exception as err:  # noqa: BLE001 - zlib.error, BadZipFile, EOFError, ... from a damaged archive
        raise NotAWorkbookError(f"corrupt xlsx (zip archive damaged: {type(err).__name__}: {err})", path=label) from None
    if bad is not None:
        raise NotAWorkbookError(f"corrupt xlsx: part {bad} fails its CRC check (damaged or truncated file)", path=label)


def _open_rows(path: Path, label: str) -> tuple[str, list[list]]:
    from python_calamine import CalamineWorkbook

    if not zipfile.is_zipfile(path):
        raise NotAWorkbookError("not an xlsx workbook (not a zip archive; truncated or wrong file type)", path=label)
    _check_crcs(path, label)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        names = workbook.sheet_names
        if not names:
            raise EmptySheetError("workbook has no worksheet", path=label)
        rows = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except (EmptySheetError, NotAWorkbookError):
        raise
    except Exception as err:  # calamine raises its own error types for corrupt parts
        raise NotAWorkbookError(f"cannot read workbook: {type(err).__name__}: {err}", path=label) from None
    return names[0], rows


def read_sheet(path: Path | str, *, label: str | None = None) -> RawSheet:
    """Parse the first worksheet; the header must be row 1 and match a known layout."""
    path = Path(path)
    label = label or path.name
    sheet_name, rows = _open_rows(path, label)
    if not rows or not any(cell_text(c).strip() for c in rows[0]):
        raise EmptySheetError("first worksheet is empty (no header row)", path=label)
    header = clean_header(rows[0])
    layout = detect(header, path=label)
    positions = {FIELDS[name]: i for i, name in enumerate(layout.columns)}
    state_i, agency_i = positions["state_raw"], positions["agency_raw"]
    columns: dict[str, list] = {name: [] for name in RAW_COLUMNS}
    skipped: list[tuple[int, str]] = []
    width = len(layout.columns)
    for offset, raw in enumerate(rows[1:], start=2):
        cells = [cell_text(c) for c in raw[:width]] + [""] * (width - len(raw))
        has_state, has_agency = cells[state_i].strip() != "", cells[agency_i].strip() != ""
        if not (has_state and has_agency):
            if any(c.strip() for c in cells) or any(cell_text(c).strip() for c in raw[width:]):
                skipped.append((offset, "row lacks STATE or LAW ENFORCEMENT AGENCY: " + " | ".join(cells)))
            continue
        columns["row"].append(offset)
        for name in FIELDS.values():
            i = positions.get(name)
            columns[name].append(cells[i] if i is not None else "")
    return RawSheet(path=label, layout=layout, sheet_name=sheet_name, columns=columns, skipped=skipped)
