"""The evidence folder `check` writes: the rows behind every reproduced value.

A verdict is worth what its trace is: every row a claim counted can be found in ICE's sheet as
printed (the sheet's file, the row number, the cells as ICE printed them and as they were read).
The folder keeps that promise in one of two forms (docs/claims-file.md, "Evidence"):

- **tables**, the common case (a handful of claims): each distinct table of rows once, a plain CSV
  named by the sha256 of its text (``<digest>.csv``), which a fact-checker opens in a spreadsheet;
  claims that counted the same rows point at the same file.
- **ranges**, for a batch (when the distinct tables would hold more than BATCH_ROWS rows): a season
  of coverage, 2,000 claims over 211 sheets, counts 651,000 rows (163 MB as tables) of which 192,000
  are distinct sheet rows. Each sheet's counted rows are written once, in the same columns, and each
  claim's file lists its rows as runs of row numbers on those sheets (RANGE_COLUMNS). A file over
  GZIP_ABOVE is gzipped (``<digest>.csv.gz``, the digest still of its text): 8 MB in all.

Either way ``index.csv`` lists every claim with its file, its row count and how many claims share
it; a file already there with the same name has the same bytes and is left as it is; everything is
written by atomic renames, and a failure removes what the run had added, so nothing is half written.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import hashlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..core import paths

#: the folder's list of which claim's rows are in which file
EVIDENCE_INDEX = "index.csv"
#: an evidence file is named by its content: the first 16 hex digits of its text's sha256
DIGEST_LENGTH = 16
FORMS = ("auto", "tables", "ranges")
#: above this many rows in the distinct tables of one run (some 25 MB of CSV), "auto" writes ranges
BATCH_ROWS = 100_000
#: in the ranges form, a file larger than this is written gzipped (a whole sheet's rows: ~480 KB, ~60 KB gzipped)
GZIP_ABOVE = 64 * 2**10
#: a claim's file in the ranges form: one line per run of consecutive rows of one sheet, and the
#: file holding those rows as printed (``period`` follows for a change: the base sheet's or the day's)
RANGE_COLUMNS = ["snapshot_id", "file", "first_row", "last_row", "rows_in"]


def evidence_csv(frame) -> str:
    """An evidence table as CSV text, its text cells made safe for spreadsheets (agency names come
    from files anyone can hand over)."""
    from ..core import csvsafe

    return csvsafe.frame_csv(frame, index=False, lineterminator="\n")


def write_evidence(rows: list[dict], folder: Path, form: str = "auto") -> str | None:
    """Write the rows behind every reproduced value (each row's ``_evidence``: a frame, or the batch
    engine's RowSlice) into ``folder`` and point each row at its file (``evidence``, ``evidence_rows``,
    ``evidence_shared_by``). Returns one line saying so when the ranges form was written, else None.
    Paths are recorded relative to the project root (as given outside it)."""
    tables: dict[Any, list] = {}  # a table's key -> [the table, the rows pointing at it]
    for row in rows:
        table = row.pop("_evidence")
        if table is not None:
            tables.setdefault(_key(table), [table, []])[1].append(row)
    total = sum(len(table) for table, _ in tables.values())
    ranges = form == "ranges" or (form == "auto" and total > BATCH_ROWS)
    names, files = _ranges(tables) if ranges else _tables(tables)
    shared: dict[str, int] = {}
    for key, (_, pointing) in tables.items():
        shared[names[key]] = shared.get(names[key], 0) + len(pointing)
    where = _where(folder)
    shown = {name: where(name) for name in set(names.values())}
    for key, (table, pointing) in tables.items():
        for row in pointing:
            row.update(evidence=shown[names[key]], evidence_rows=len(table), _file=names[key])
    index = io.StringIO()
    w = csv.writer(index, lineterminator="\n")
    w.writerow(["claim", "evidence", "rows", "claims_sharing_it"])
    for row in rows:
        name = row.pop("_file", None)
        row["evidence_shared_by"] = shared.get(name, 0)
        if name is not None:
            w.writerow([row["id"], name, row["evidence_rows"], shared[name]])
    if not files and not (folder / EVIDENCE_INDEX).exists():
        return None  # nothing reproduced: no folder made
    _write(folder, {**files, EVIDENCE_INDEX: index.getvalue().encode("utf-8")})
    if not ranges:
        return None
    sheets = sum(1 for name in files if name not in names.values())
    return (f"evidence: a batch ({total:,} rows in {len(set(names.values())):,} tables, over {BATCH_ROWS:,}): each of "
            f"{sheets:,} sheets' counted rows written once, each claim's file listing its rows as ranges of them; "
            f"files over {GZIP_ABOVE // 2**10} KiB gzipped (docs/claims-file.md, Evidence)")  # fmt: skip


def _key(table) -> Any:
    """Tables with the same key are the same rows: the batch engine's by their positions, a frame by itself."""
    if hasattr(table, "parts"):
        return (id(table.table), tuple((pos.tobytes(), extra) for pos, extra in table.parts))
    return id(table)


def _named(text: str, gz: bool) -> tuple[str, bytes]:
    """A file's name (its text's digest, ``.csv.gz`` when it is to be gzipped) and its text's bytes."""
    data = text.encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()[:DIGEST_LENGTH]
    return (f"{digest}.csv.gz" if gz else f"{digest}.csv"), data


def _tables(tables: dict) -> tuple[dict, dict]:
    """The tables form: each distinct table's CSV once."""
    names, files = {}, {}
    for key, (table, _) in tables.items():
        name, data = _named(evidence_csv(table.frame() if hasattr(table, "frame") else table), gz=False)
        names[key], files[name] = name, data
    return names, files


def _ranges(tables: dict) -> tuple[dict, dict]:
    """The ranges form: each sheet's counted rows once, each claim's file its rows as ranges of them.
    A file is gzipped on two threads (zlib lets go of the GIL) while the next texts are made."""
    from concurrent.futures import ThreadPoolExecutor

    names, files = {}, {}  # key -> file name; file name -> its bytes (or their gzipping, under way)
    with ThreadPoolExecutor(max_workers=2) as pool:

        def add(text: str) -> str:
            name, data = _named(text, gz=len(text) > GZIP_ABOVE)
            files[name] = pool.submit(_gzipped, data) if name.endswith(".gz") else data
            return name

        slices = {key: table for key, (table, _) in tables.items() if hasattr(table, "parts")}
        for key, (table, _) in tables.items():
            if key not in slices:  # a county or TRAC table: no sheet rows to point at
                names[key] = add(evidence_csv(table))
        sheet_file = {sid: add(text) for sid, text in _sheet_texts(slices.values())} if slices else {}
        columns: dict[int, tuple] = {}  # id(table) -> its snapshot_id, row and file as arrays, made once
        for key, rs in slices.items():
            if id(rs.table) not in columns:
                columns[id(rs.table)] = tuple(rs.table[c].to_numpy(dtype=None if c == "row" else object)
                                              for c in ("snapshot_id", "row", "file"))  # fmt: skip
            names[key] = add(_range_text(rs, columns[id(rs.table)], sheet_file))
        return names, {name: data if isinstance(data, bytes) else data.result() for name, data in files.items()}


def _sheet_texts(slices) -> Iterator[tuple[str, str]]:
    """(snapshot_id, CSV text) of every sheet's rows that some table counted, each row once, by sheet
    then row, as evidence_csv writes those rows; one sheet at a time (the caller encodes and gzips each,
    and its text is freed: a season's sheets are 100 MB of text).

    A sheet's row is its sheet, its number and cells that repeat on every sheet listing it (a season:
    192,000 rows, 2,600 distinct lines of cells), so each distinct line of cells is made once (a
    cell's text depends on that cell alone) and written after each row's sheet and number."""
    import numpy as np
    import pandas as pd

    from ..engine.measures import evidence_of

    bases: dict[int, list] = {}  # id(table) -> [table, which of its rows some table asked for]
    for rs in slices:
        asked = bases.setdefault(id(rs.table), [rs.table, np.zeros(len(rs.table), dtype=bool)])[1]
        for pos, _ in rs.parts:
            asked[pos] = True
    parts = [evidence_of(table.take(np.flatnonzero(asked))) for table, asked in bases.values()]
    if any(list(p.columns) != list(parts[0].columns) for p in parts) or list(parts[0].columns[:3]) != ["snapshot_id", "file", "row"]:
        rows = pd.concat(parts, ignore_index=True).drop_duplicates(["snapshot_id", "row"])  # not a sheet's rows as the engine reads them
        rows = rows.sort_values(["snapshot_id", "row"], ignore_index=True)
        return ((sid, evidence_csv(mine)) for sid, mine in rows.groupby("snapshot_id", sort=True))
    sid, file, number, line = [], [], [], []
    for part in parts:  # each table's rows: their sheet, number and line of cells
        cells = part.iloc[:, 3:]
        code = cells.groupby(list(cells.columns), dropna=False, sort=False).ngroup().to_numpy()
        distinct = np.array(_lines(cells.take(np.unique(code, return_index=True)[1])) if len(part) else [], dtype=object)
        sid.append(part["snapshot_id"].to_numpy(dtype=object))
        file.append(part["file"].to_numpy(dtype=object))
        number.append(part["row"].to_numpy())
        line.append(distinct[code])
    sid, file, number, line = (np.concatenate(x) for x in (sid, file, number, line))
    codes = pd.factorize(sid, sort=True)[0]
    order = np.lexsort((number, codes))  # by sheet then row; a row two tables asked for (a change's and a count's) once
    order = order[np.r_[True, (codes[order][1:] != codes[order][:-1]) | (number[order][1:] != number[order][:-1])]] if len(order) else order
    sid, file, number, line = sid[order], file[order], number[order].tolist(), line[order].tolist()
    starts = [*np.flatnonzero(np.r_[True, sid[1:] != sid[:-1]]), len(sid)] if len(sid) else [0]
    leads = _lines(pd.DataFrame({"snapshot_id": sid[starts[:-1]], "file": file[starts[:-1]]}, dtype=parts[0]["file"].dtype))
    header = evidence_csv(parts[0].iloc[0:0])
    return ((sid[a], header + "".join([f"{lead},{n},{text}\n" for n, text in zip(number[a:b], line[a:b])]))
            for lead, a, b in zip(leads, starts, starts[1:]))  # fmt: skip


def _lines(frame) -> list[str]:
    """Each row of ``frame`` as evidence_csv writes it, without its line break (a cell's own line
    breaks kept: ICE printed "\nSchuylkill County")."""
    import numpy as np

    from ..core import csvsafe

    text = csvsafe.frame_csv(frame, index=False, lineterminator="\n", header=False).split("\n")
    first = np.r_[0, np.cumsum(1 + _line_breaks(frame))]
    return ["\n".join(text[a:b]) for a, b in zip(first[:-1], first[1:])]


def _line_breaks(rows):
    """How many line breaks each row's cells hold."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    out = np.zeros(len(rows), dtype=np.int64)
    for _, column in rows.items():
        if isinstance(column.dtype, pd.StringDtype) or column.dtype == object:
            values = pa.array(column.astype("str") if column.dtype == object else column.array)
            out += pc.fill_null(pc.count_substring(values, "\n"), 0).to_numpy(zero_copy_only=False)
    return out


def _range_text(rs, columns: tuple, sheet_file: dict[str, str]) -> str:
    """A claim's file in the ranges form: per run of consecutive rows of one sheet, its first and last
    row numbers and the file holding them, in the order the table counts its rows."""
    import numpy as np

    from ..core import csvsafe

    sid_all, row_all, file_all = columns
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(RANGE_COLUMNS + [k for k, _ in rs.parts[0][1]])
    for pos, extra in rs.parts:
        if not len(pos):
            continue
        sid, row = sid_all[pos], row_all[pos]
        starts = np.flatnonzero(np.r_[True, (sid[1:] != sid[:-1]) | (row[1:] != row[:-1] + 1)])
        ends = np.r_[starts[1:], len(pos)] - 1
        for a, b in zip(starts.tolist(), ends.tolist()):
            w.writerow(csvsafe.escape_row([sid[a], file_all[pos[a]], int(row[a]), int(row[b]), sheet_file[sid[a]],
                                           *(v for _, v in extra)]))  # fmt: skip
    return out.getvalue()


def _gzipped(data: bytes) -> bytes:
    """gzip with no time or name in the header, so the same rows give the same bytes."""
    return gzip.compress(data, compresslevel=1, mtime=0)


def _write(folder: Path, files: dict[str, bytes]) -> None:
    """Every file in by an atomic rename; one already there with these bytes is kept; on a failure
    (a full disk) what this run added is removed, and the folders it made."""
    made = [p for p in (folder, *folder.parents) if not p.exists()]  # folders this run creates, deepest first
    changed, added = {}, []
    for name, data in files.items():
        target = folder / name
        try:  # a file named by its digest, already there with these bytes (a check run again): kept
            if target.stat().st_size == len(data) and target.read_bytes() == data:
                continue
        except FileNotFoundError:
            added.append(target)
        changed[name] = data
    try:
        write_files(folder, changed)
    except BaseException:
        for target in added:
            target.unlink(missing_ok=True)
        for made_dir in made:
            with contextlib.suppress(OSError):
                made_dir.rmdir()
        raise


def write_files(folder: Path, files: dict[str, bytes]) -> None:
    """Each of ``files`` (name -> bytes) into ``folder`` as atomic.write_bytes writes one: a temp file
    beside it renamed onto it, so each is there whole or not at all, an error one OutputError line.
    Four system calls a file where write_bytes makes a dozen (a random temp name, its mode, the
    folder): a batch writes a thousand files into one folder. The temp name carries this process's
    id after a "w", so output_errors never takes it for a staging folder."""
    import os

    from ..core import atomic

    atomic.ensure_dir(folder)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for name, data in files.items():
        path, tmp = folder / name, folder / f".{name}.w{os.getpid()}.tmp"
        with atomic.output_errors(path):
            try:
                fd = os.open(tmp, flags, 0o666)  # the umask applies, as to write_bytes' files
            except FileExistsError:  # left by a killed run that had this process id
                os.unlink(tmp)
                fd = os.open(tmp, flags, 0o666)
            try:
                with open(fd, "wb") as out:
                    out.write(data)
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise


def _where(folder: Path):
    """How the output names an evidence file of ``folder``: relative to the project root inside it, else
    as given (--evidence-dir elsewhere: the file's name alone would not say where it is)."""
    resolved = Path(folder).resolve()  # once per folder, not once per file
    if not resolved.is_relative_to(paths.ROOT):
        return lambda name: str(Path(folder) / name)
    return lambda name: (resolved / name).relative_to(paths.ROOT).as_posix()
