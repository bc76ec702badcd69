"""Size limits on the workbooks a build reads: a zip bomb or a runaway sheet is refused, not parsed.

A 1.2 MB xlsx can hold shared strings that unpack to 1 GB; parsing it cost 3.2 GB of memory,
and again on every later build. The limits come from the real sheets, with room for ICE's list to
grow: measured over all 1,166 registered ICE sheets (data/raw/ice_287g and ice_287g_archive),

- the largest unpacked zip member is 847,431 bytes (0.81 MiB: xl/worksheets/sheet1.xml of
  ice_287g/participating_2026-05-18.xlsx, whose members unpack to 1.43 MiB in all);
- the most data rows is 1,843 (ice_287g_archive/participating_2026-05-18_am.xlsx).

A genuine larger sheet is let through by raising a limit for the run: the flags
``--max-unpacked-mb`` / ``--max-rows`` of fetch, build and add-sheet, or the environment variables
below (which the flags set, so parse workers see them too). A sheet added with a raised limit
needs it on every later build as well: keep the variable set.
"""

from __future__ import annotations

import os

MAX_UNPACKED_MB = 50  # per zip member and for all members together: ~60x the largest real member (0.81 MiB)
MAX_ROWS = 100_000  # rows below the header: ~54x the most in any real sheet (1,843)
# Columns a worksheet's cells may span (A-Z): twice the widest of the 1,166 registered sheets (13, A-M,
# blank columns included; ICE's layouts have at most 8). The reader allocates the rectangle from the
# first cell to the last, rows x columns: one cell at XFD1048576 asked for 512 GB, one at ZZ99999 took
# 3 GB and 109 s, so the rectangle is bounded before the reader sees the sheet (sheets.extent_problem).
MAX_COLUMNS = 26
UNPACKED_ENV = "ICE287G_MAX_UNPACKED_MB"
ROWS_ENV = "ICE287G_MAX_ROWS"


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError(text)
    return value


def _from_env(name: str, default: int) -> int:
    from ..core.errors import UsageError

    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        return _positive(text)
    except ValueError:
        raise UsageError(f"${name} must be a positive whole number, not {text!r}") from None


def max_unpacked_bytes() -> int:
    return _from_env(UNPACKED_ENV, MAX_UNPACKED_MB) * 2**20


def max_rows() -> int:
    return _from_env(ROWS_ENV, MAX_ROWS)


def how_to_raise(flag: str, env: str) -> str:
    return f"if the sheet is genuine, raise the limit with {flag} N (or ${env})"


def add_arguments(p) -> None:
    """The flags of the commands that read workbooks (fetch, build, add-sheet)."""
    p.add_argument("--max-unpacked-mb", type=_positive, metavar="MB",
                   help=f"refuse a workbook whose zip parts unpack beyond MB (default {MAX_UNPACKED_MB}; ${UNPACKED_ENV})")
    p.add_argument("--max-rows", type=_positive, metavar="N",
                   help=f"refuse a sheet with more than N rows below its header (default {MAX_ROWS:,}; ${ROWS_ENV})")


def apply(args) -> None:
    """Flags given on the command line become the environment of this run (and its workers)."""
    for attr, env in (("max_unpacked_mb", UNPACKED_ENV), ("max_rows", ROWS_ENV)):
        value = getattr(args, attr, None)
        if value is not None:
            os.environ[env] = str(value)
