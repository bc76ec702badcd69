"""The agreement PDFs behind ICE's MOA column: each cell's hyperlink, by spreadsheet row.

ICE's sheets print "link" (or "link pending") in the MOA column; the address of the agreement
itself is the cell's hyperlink, which the value reader (sheets.py, calamine) does not see. The
site links each current agreement to its PDF, so the hyperlinks of one sheet are read here with
openpyxl. A hyperlink is a string someone else wrote: only absolute http(s) addresses of a sane
length are kept, anything else is dropped (the page then shows no link).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

MAX_URL = 2000  # characters; ICE's are ~90
MOA_HEADER = "MOA"


def safe_url(text) -> str | None:
    """``text`` when it is an absolute http(s) URL without spaces or control characters, else None."""
    if not isinstance(text, str) or not text or len(text) > MAX_URL or any(c.isspace() or ord(c) < 32 for c in text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    return text if parts.scheme in ("http", "https") and parts.netloc else None


def moa_links(path: Path | str) -> dict[int, str]:
    """{spreadsheet row: URL} of the MOA column's hyperlinks on the first worksheet (the sheet's
    ``row`` numbers); {} when the header has no MOA column."""
    import openpyxl

    workbook = openpyxl.load_workbook(path, data_only=True)  # hyperlinks need the full reader, not read_only
    try:
        sheet = workbook.worksheets[0]
        header = [str(c.value or "").strip().upper() for c in next(sheet.iter_rows(min_row=1, max_row=1))]
        if MOA_HEADER not in header:
            return {}
        col = header.index(MOA_HEADER)
        out = {}
        for row in sheet.iter_rows(min_row=2):
            cell = row[col] if col < len(row) else None
            url = safe_url(cell.hyperlink.target) if cell is not None and cell.hyperlink is not None else None
            if url:
                out[cell.row] = url
        return out
    finally:
        workbook.close()
