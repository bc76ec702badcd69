"""The archive panel's agreements folder: its parquet parts, how the full build splits the rows
into them and how an append adds one (increment.py).

When an append renames an agency, only the parts that list it are rewritten. So the full build
splits its rows by age (the last RECENT_DAYS of sheets: the agencies whose names ICE is still
correcting are mostly new ones) and by agency (BUCKETS parts of each age, by a hash of
agency_id): a rename rewrites one eighth of the recent rows, not 300,000.
"""

from __future__ import annotations

import re
import shutil
from datetime import timedelta
from typing import TYPE_CHECKING

from ..core import atomic

if TYPE_CHECKING:  # numpy is imported where it is used: a build with nothing to do imports neither it nor pandas
    import numpy as np

RECENT_DAYS = 90
BUCKETS = 8
PART_NAME = re.compile(r"part-[0-9]{5}\.parquet")


def write_agreements(df, folder, part: int, parts: dict, schema=None) -> None:
    """One part of the agreements folder (an append's part takes the first part's exact schema);
    ``parts`` (part file -> the agency ids in it) is kept in the append context."""
    import pyarrow as pa

    table = pa.Table.from_pandas(df, preserve_index=False)
    _write_part(table.cast(schema) if schema is not None else table, folder, part)
    parts[f"part-{part:05d}.parquet"] = set(df["agency_id"].unique().tolist())


def _write_part(table, folder, part: int) -> None:
    import pyarrow.parquet as pq

    folder.mkdir(exist_ok=True)
    with atomic.atomic_path(folder / f"part-{part:05d}.parquet") as tmp:
        pq.write_table(table, tmp, compression="zstd")


def part_numbers(codes, ids, recent) -> np.ndarray:
    """Each row's part in the full build: BUCKETS parts of the older sheets, then BUCKETS of the
    last RECENT_DAYS (``recent``, a bool per row), each row in its agency's bucket (a hash of its
    agency_id, ``ids[codes]``: hashed once per entry of ``ids``)."""
    import zlib

    import numpy as np

    bucket = np.array([zlib.crc32(i.encode()) % BUCKETS for i in ids.tolist()], dtype="int64")[codes] if len(ids) else codes
    return np.asarray(recent, dtype=bool) * BUCKETS + bucket


def recent_rows(published) -> np.ndarray:
    """Rows of the last RECENT_DAYS of sheets, from tidy's ``published`` column (dates; a Coded
    column carries its few distinct dates and a code per row: compared once each)."""
    import numpy as np

    codes, table = getattr(published, "codes", None), getattr(published, "table", None)
    if codes is None:
        codes, table = np.arange(len(published)), np.asarray(published, dtype=object)
    if not len(table):
        return np.zeros(len(codes), dtype=bool)
    cutoff = max(table) - timedelta(days=RECENT_DAYS)
    return np.array([d > cutoff for d in table], dtype=bool)[codes]


def full_agreement_parts(agreements) -> tuple[object, list[tuple[int, object, set]]]:
    """How the full build splits its agreements into parts: the sheets before the last RECENT_DAYS,
    then those of the last RECENT_DAYS, each split by agency into BUCKETS parts (all of an
    agency's rows in one), in their row order. Empty parts are not written, except a first one
    (appends take its schema). Returns the frame as an Arrow table (no copy) and, per part, its
    number, its rows (a slice where they are a run, as _clean orders them) and its agency ids
    (write_full_agreements writes them)."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    recent = (agreements["published"] > agreements["published"].max() - pd.Timedelta(days=RECENT_DAYS)).to_numpy(dtype=bool)
    codes, ids = agreements["agency_id"].factorize()
    which = part_numbers(codes, ids, recent)  # each row's part, in writing order
    order = np.argsort(which, kind="stable")  # the rows of each part together, in their row order
    ends = np.cumsum(np.bincount(which, minlength=2 * BUCKETS)).tolist()
    run = bool((order == np.arange(len(order))).all())
    ids = np.asarray(ids, dtype=object)
    plan = []
    for start, end in zip([0, *ends[:-1]], ends):
        if end > start or not plan:
            rows = slice(start, end) if run else order[start:end]
            plan.append((len(plan), rows, set(ids[np.unique(codes[rows])].tolist())))
    return pa.Table.from_pandas(agreements, preserve_index=False), plan


def write_full_agreements(table, plan: list, folder, parts: dict) -> None:
    """The parts of full_agreement_parts, each taken from the whole table in turn (one part's copy
    in memory, not the table's). pyarrow's take and parquet writer release the GIL, so this runs
    on a thread beside the build's other steps (pandas' row masks did not)."""
    shutil.rmtree(folder) if folder.is_dir() else folder.unlink(missing_ok=True)
    for part, rows, ids in plan:
        _write_part(table.slice(rows.start, rows.stop - rows.start) if isinstance(rows, slice) else table.take(rows), folder, part)
        parts[f"part-{part:05d}.parquet"] = ids
