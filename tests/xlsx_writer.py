"""A minimal SpreadsheetML writer for the tests' workbooks, and the byte-level edits the hostile-input
tests make to them (a far cell, a zip bomb, a sheet's XML rewritten).

Written in memory, ~50x faster than openpyxl, so a thousand mutated sheets (mutations.py) and the
CLI fault tables build their workbooks in seconds; it writes only what the reader needs to see.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from xml.sax.saxutils import escape

_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PR = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_EPOCH = dt.datetime(1899, 12, 30)


def _colname(i: int) -> str:
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def xlsx_bytes(header: Sequence | None, rows: Sequence[Sequence] = (), sheet_name: str = "Sheet1",
               *, sheets: bool = True, compression: int = zipfile.ZIP_DEFLATED) -> bytes:  # fmt: skip
    """An xlsx with one worksheet: shared strings, real date cells (style mm/dd/yyyy), numbers.

    ``header=None`` writes an empty first worksheet; ``sheets=False`` a workbook without any;
    ``compression=zipfile.ZIP_STORED`` leaves the XML parts uncompressed (as some writers do).
    """
    strings: dict[str, int] = {}
    out_rows = []
    grid = ([] if header is None else [list(header)]) + [list(r) for r in rows]
    for r, values in enumerate(grid, start=1):
        cells = []
        for c, v in enumerate(values):
            if v is None:
                continue
            ref = f"{_colname(c)}{r}"
            if isinstance(v, bool):
                cells.append(f'<c r="{ref}" t="b"><v>{int(v)}</v></c>')
            elif isinstance(v, (dt.datetime, dt.date)):
                when = v if isinstance(v, dt.datetime) else dt.datetime(v.year, v.month, v.day)
                serial = (when - _EPOCH).total_seconds() / 86400
                cells.append(f'<c r="{ref}" s="1"><v>{serial:.10g}</v></c>')
            elif isinstance(v, (int, float)):
                cells.append(f'<c r="{ref}"><v>{v!r}</v></c>')
            else:
                idx = strings.setdefault(str(v), len(strings))
                cells.append(f'<c r="{ref}" t="s"><v>{idx}</v></c>')
        if cells:
            out_rows.append(f'<row r="{r}">{"".join(cells)}</row>')
    sst = "".join(f'<si><t xml:space="preserve">{escape(s)}</t></si>' for s in strings)
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
            + (f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/>' if sheets else "")
            + f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CT}.sharedStrings+xml"/></Types>'
        ),
        "_rels/.rels": f'<Relationships xmlns="{_PR}"><Relationship Id="rId1" Type="{_R}/officeDocument" '
                       'Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook {_NS} xmlns:r="{_R}"><sheets>'
                           + (f'<sheet name="{escape(sheet_name)}" sheetId="1" r:id="rId1"/>' if sheets else "")
                           + "</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{_PR}">'
            + (f'<Relationship Id="rId1" Type="{_R}/worksheet" Target="worksheets/sheet1.xml"/>' if sheets else "")
            + f'<Relationship Id="rId2" Type="{_R}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId3" Type="{_R}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
        ),
        "xl/styles.xml": (
            f'<styleSheet {_NS}><numFmts count="1"><numFmt numFmtId="164" formatCode="mm/dd/yyyy"/></numFmts>'
            '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
            '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
            '<borders count="1"><border/></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
            "</styleSheet>"
        ),
        "xl/sharedStrings.xml": f'<sst {_NS} count="{len(strings)}" uniqueCount="{len(strings)}">{sst}</sst>',
    }
    if sheets:
        parts["xl/worksheets/sheet1.xml"] = f'<worksheet {_NS}><sheetData>{"".join(out_rows)}</sheetData></worksheet>'
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, text in parts.items():
            info = zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0))
            info.compress_type = compression
            zf.writestr(info, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + text)
    return buf.getvalue()


def with_sheet_xml(data: bytes, edit, part: str = "xl/worksheets/sheet1.xml") -> bytes:
    """``data`` (an xlsx) with its worksheet XML replaced by ``edit(xml text)``, re-zipped."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        parts = {i.filename: zf.read(i) for i in zf.infolist()}
    parts[part] = edit(parts[part].decode("utf-8")).encode("utf-8")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in parts.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0)), body, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def far_cell(data: bytes, ref: str, *, cells: str = "") -> bytes:
    """``data`` (an xlsx) with one more cell, at ``ref`` ("XFD1048576"), holding a number, in a row of its own
    after the others: a few bytes that make a reader allocate the rectangle from A1 to it. ``cells``:
    further tags written in that row before it (``<c><v>1</v></c>``: cells without a reference)."""
    import re

    row = int(re.sub(r"[A-Z]", "", ref))
    return with_sheet_xml(data, lambda xml: xml.replace("</sheetData>", f'<row r="{row}">{cells}<c r="{ref}"><v>1</v></c></row></sheetData>'))


def zip_bomb(data: bytes, mib: float, part: str = "xl/sharedStrings.xml", *, lie: bool = False) -> bytes:
    """``data`` (an xlsx) with ``mib`` MiB of one repeated letter added to ``part`` as an XML comment:
    it deflates ~1000:1, so the file stays small while the part unpacks big (a zip bomb).

    ``lie=True`` also makes the zip directory and the local header state the part's old size and
    CRC-32, as a crafted file can: zipfile reads only the stated size, finds its CRC right and
    passes, while a reader that inflates to the end of the data (calamine) gets it all.
    """
    import struct
    import zlib

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        parts = {i.filename: zf.read(i) for i in zf.infolist()}
    old = parts[part]
    parts[part] = old + b"<!--" + b"x" * int(mib * 2**20) + b"-->"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in parts.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0)), body, compress_type=zipfile.ZIP_DEFLATED)
    out = bytearray(buf.getvalue())
    if lie:
        crc, size = zlib.crc32(old), len(old)
        name = part.encode()
        local = out.find(b"PK\x03\x04")  # the local header whose name is ``part``
        while out[local + 30: local + 30 + len(name)] != name:
            local = out.find(b"PK\x03\x04", local + 4)
        struct.pack_into("<I", out, local + 14, crc)
        struct.pack_into("<I", out, local + 22, size)
        central = out.find(b"PK\x01\x02")
        while out[central + 46: central + 46 + len(name)] != name:
            central = out.find(b"PK\x01\x02", central + 4)
        struct.pack_into("<I", out, central + 16, crc)
        struct.pack_into("<I", out, central + 24, size)
    return bytes(out)
