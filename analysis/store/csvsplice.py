"""Records of the panel's CSV tables (qa.csv, corrections.csv) as text, for appends.

An append adds a sheet's few dozen rows to files of ~9,000. Reading them into pandas and
writing them back cost a quarter of the append's time budget; the old records' text does not
change, so they are kept as text and only the new ones are rendered, the way
``DataFrame.to_csv(index=False, lineterminator="\\n")`` renders text and integers (csv.writer,
minimal quoting). tests/test_csvsplice.py checks that rendering against pandas on awkward
values, and tests/test_increment.py compares an append's files with a full build's, byte for byte.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ..core import atomic


def split_records(text: str) -> list[str]:
    """CSV text -> its records' text without line ends; a quoted field's line breaks are kept
    (a record ends at a line end outside quotes: after an even number of quote characters)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    out: list[str] = []
    pending: str | None = None
    for line in lines:
        if pending is not None:  # inside a quoted field that holds a line break
            pending += "\n" + line
            if line.count('"') % 2:
                out.append(pending)
                pending = None
        elif '"' in line and line.count('"') % 2:
            pending = line
        else:
            out.append(line)
    if pending is not None:
        raise ValueError("unterminated quoted field at the end of the CSV text")
    return out


def read(path: Path) -> tuple[str, list[str]]:
    """(header, records) of a CSV file written by to_csv or write()."""
    records = split_records(path.read_bytes().decode("utf-8"))  # no newline translation: a quoted \r stays
    return (records[0], records[1:]) if records else ("", [])


def fields(record: str) -> list[str]:
    """A record's values (a plain split when nothing is quoted).

    csv.writer leaves a lone carriage return unquoted when the line end is ``\n`` (so does
    to_csv), and csv.reader would end the record there: it is read through a stand-in.
    """
    if '"' not in record:
        return record.split(",")
    if "\r" not in record:
        return next(csv.reader([record]))
    stand_in = next(chr(c) for c in range(0xE000, 0xF8FF) if chr(c) not in record)  # a private-use character
    return [v.replace(stand_in, "\r") for v in next(csv.reader([record.replace("\r", stand_in)]))]


def first_field(record: str) -> str:
    return record.split(",", 1)[0] if not record.startswith('"') else fields(record)[0]


def render(rows) -> list[str]:
    """Records for rows of values (text, ints; missing as empty), as to_csv writes them."""
    import pandas as pd

    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([v if isinstance(v, str) or not pd.isna(v) else "" for v in row] for row in rows)
    return split_records(buf.getvalue())


def write(path: Path, header: str, records: list[str]) -> None:
    atomic.write_text(path, "\n".join([header, *records]) + "\n")
