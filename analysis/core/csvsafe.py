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
    """``escape_frame(df).to_csv(**to_csv)`` as text (no path), testing the text first: when no cell
    of it can start with FORMULA_START, no text cell does, nothing is escaped and the text is final
    (one regex over the text instead of a test per column: a check of 50 claims writes 34,000 rows)."""
    if (to_csv.get("sep", ",") != "," or to_csv.get("quotechar", '"') != '"'
            or not (to_csv.get("lineterminator") or "\n").endswith("\n")):  # the test reads commas, quotes and lines
        return escape_frame(df).to_csv(**to_csv)
    text = df.to_csv(**to_csv)
    if not (_CELL_MAY_RUN.search(text) or _FIRST_CELL_MAY_RUN.match(text)):
        return text
    return escape_frame(df).to_csv(**to_csv)


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
