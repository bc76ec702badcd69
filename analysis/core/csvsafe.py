"""Text cells that a spreadsheet would run as a formula, defused for every CSV users open.

Agency names come from workbooks anyone can hand over (``add-sheet``), and a CSV cell that
begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a formula by Excel,
LibreOffice and Google Sheets (CSV injection). Following OWASP's guidance, such a text cell is
written with a single quote ``'`` in front, which spreadsheets show as text. Only text is
escaped: numbers (negative ones included) and text that is a plain number (``-12``, ``+3.5``)
stay as they are, since no spreadsheet runs them. Parquet and Stata files are not spreadsheets'
formula input and stay exact; the processed CSVs in data/processed/ are the package's own inputs
(appended byte for byte) and stay exact too: `export --format csv` is the copy for spreadsheets.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def escape(value):
    """``value`` as it may go into a CSV cell: a text that a spreadsheet would run gets ``'`` in front."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return QUOTE + value
    return value


def escape_row(values) -> list:
    return [escape(v) for v in values]


#: where a cell's first character sits in CSV text: after a comma or a line's end, or the text's
#: start (two patterns: one with an alternation of anchors is three times slower), inside a quote or not
_CELL_MAY_RUN = re.compile(r'[,\n]"?[=+\-@\t\r]')
_FIRST_CELL_MAY_RUN = re.compile(r'"?[=+\-@\t\r]')


def frame_csv(df: pd.DataFrame, **to_csv) -> str:
    """``escape_frame(df).to_csv(**to_csv)`` as text (no path). A check of 50 claims writes 34,000
    rows of evidence, so the usual call (``index=False, lineterminator="\\n"``) goes through Arrow's
    CSV writer (a third of pandas' time); any frame or option it cannot write the same way takes
    pandas, testing the text first: when no cell of it can start with FORMULA_START, no text cell
    does, nothing is escaped and the text is final (one regex instead of a test per column)."""
    header = to_csv.get("header", True)
    if (set(to_csv) <= {"index", "lineterminator", "header"} and to_csv.get("index") is False
            and to_csv.get("lineterminator") == "\n" and isinstance(header, bool)):  # fmt: skip
        text = _arrow_csv(df, header)
        if text is not None:
            return text
    if (to_csv.get("sep", ",") != "," or to_csv.get("quotechar", '"') != '"'
            or not (to_csv.get("lineterminator") or "\n").endswith("\n")):  # the test reads commas, quotes and lines
        return escape_frame(df).to_csv(**to_csv)
    text = df.to_csv(**to_csv)
    if not (_CELL_MAY_RUN.search(text) or _FIRST_CELL_MAY_RUN.match(text)):
        return text
    return escape_frame(df).to_csv(**to_csv)


def _arrow_csv(df: pd.DataFrame, header: bool) -> str | None:
    """``escape_frame(df).to_csv(index=False, header=header, lineterminator="\\n")`` written by Arrow,
    or None when Arrow's text could differ from pandas'. Decided by dtype: text, integers, booleans
    and numpy floats only (floats and booleans turned into pandas' own text first: ``repr``-like
    ``5.0``/``1e-05`` and ``True``, where Arrow writes ``5``/``1e-05`` and ``true``); str column names
    (the header is pandas' own csv.writer line); two columns or more (a lone empty cell is ``""``).
    Arrow quotes every text cell or none, so it writes without quotes, and the few rows with a cell
    that needs them (a comma in an agency's name: 129 of 34,522 rows in a check of 50 claims) are
    written between its runs by csv.writer, which is what pandas uses."""
    import csv
    import io

    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pa_csv

    if df.shape[1] < 2 or not all(isinstance(c, str) for c in df.columns):
        return None
    arrays, texts = [], []
    try:
        for _, s in df.items():
            kind = s.dtype.kind
            if isinstance(s.dtype, pd.StringDtype):
                column = pa.array(s.array)
                column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
                texts.append(len(arrays))
                arrays.append(column.cast(pa.large_string()))
            elif kind in "iu":  # numpy and nullable integers: the same digits, missing is empty
                arrays.append(pa.array(s.array))
            elif kind == "b":
                arrays.append(pc.if_else(pa.array(s.array), "True", "False"))
            elif kind == "f" and isinstance(s.dtype, np.dtype):  # as pandas does (get_values_for_csv)
                values = s.to_numpy()
                arrays.append(pa.array(values.astype(str), pa.string(), mask=np.isnan(values)))
            else:  # dates, categories, objects, nullable floats...: pandas' own text
                return None
        quoted, formulas = _scan([arrays[i] for i in texts], len(df))
        for i, cells in zip(texts, formulas):
            if len(cells):  # escape itself (and its plain-number rule) for the few cells that may run
                mask = np.zeros(len(df), dtype=bool)
                mask[cells] = True
                escaped = [escape(arrays[i][int(row)].as_py()) for row in cells]
                arrays[i] = pc.replace_with_mask(arrays[i], pa.array(mask), pa.array(escaped, pa.large_string()))
        table = pa.Table.from_arrays(arrays, names=[str(i) for i in range(len(arrays))])
        out = io.StringIO()
        lines = csv.writer(out, lineterminator="\n")
        if header:
            lines.writerow(df.columns)
        start = 0
        for row in [*quoted, len(df)]:
            if row > start:
                sink = pa.BufferOutputStream()
                options = pa_csv.WriteOptions(include_header=False, quoting_style="none")
                pa_csv.write_csv(table.slice(start, row - start), sink, options)
                out.write(sink.getvalue().to_pybytes().decode("utf-8"))
            if row < len(df):
                lines.writerow([column[row].as_py() for column in table.columns])
            start = row + 1
    except (pa.ArrowInvalid, UnicodeEncodeError):  # a cell Arrow would not write bare; text not UTF-8
        return None
    return out.getvalue()


#: bytes that make csv.writer quote a cell (and Arrow refuse to write it bare); the first bytes of
#: a cell that may run (all ASCII, so a cell's first byte is its first character)
_QUOTE_BYTES = list(b',"\r\n')
_FORMULA_BYTES = list("".join(FORMULA_START).encode("ascii"))


def _scan(texts: list, rows: int) -> tuple:
    """The rows with a text cell that needs quotes, and for each text column the rows whose cell
    starts with FORMULA_START: one pass over the UTF-8 bytes of all text columns laid end to end
    (an Arrow string kernel per column costs more than writing the CSV). A null cell may be flagged
    too: csv.writer and escape write it as pandas does, empty."""
    import numpy as np
    import pyarrow as pa

    if not texts or not rows:
        return [], [[] for _ in texts]
    joined = pa.concat_arrays(texts)
    offsets = np.frombuffer(joined.buffers()[1], np.int64)[joined.offset : joined.offset + len(joined) + 1]
    data = np.frombuffer(joined.buffers()[2] or b"", np.uint8)
    span = data[offsets[0] : offsets[-1]]
    hit = np.zeros(len(span), dtype=bool)
    for byte in _QUOTE_BYTES:  # four comparisons: three times faster than np.isin or a lookup table
        hit |= span == byte
    hits = np.flatnonzero(hit) + offsets[0]
    quoted = np.unique((np.searchsorted(offsets, hits, "right") - 1) % rows)
    cells = np.flatnonzero(np.diff(offsets))
    cells = cells[np.isin(data[offsets[cells]], _FORMULA_BYTES)]
    return quoted.tolist(), [cells[cells // rows == i] % rows for i in range(len(texts))]


def escape_frame(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its text cells escaped (columns of numbers, dates and booleans untouched); the
    frame itself when nothing needs it (the usual case: one vectorised test per text column)."""
    import pandas as pd  # here, not at the top: the CLI must start without pandas

    out = df
    for i in range(df.shape[1]):  # by position: df[name] of a repeated name is a frame, not a column
        s = df.iloc[:, i]
        if pd.api.types.is_string_dtype(s) and not pd.api.types.is_object_dtype(s):
            text = s.str.startswith(FORMULA_START).fillna(False).astype(bool)
        elif pd.api.types.is_object_dtype(s):
            text = s.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_START)).astype(bool)
        else:
            continue
        if text.any():
            out = out.copy() if out is df else out
            out.isetitem(i, s.astype(object).where(~text, s[text].map(escape)))
    return out
