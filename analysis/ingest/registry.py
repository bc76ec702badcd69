"""The registry of raw files: what the project uses, where it came from, and its sha256.

Three CSVs share one format: the pinned curated set (``data/raw/registry.csv``), the full
archive (``data/raw/registry_archive.csv``, fetched only on request) and researchers' own sheets
(``data/raw/local/registry_local.csv``, never mixed into the pinned files).
Only the standard library is used so the CLI can read registries without pandas.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, fields
from pathlib import Path

from ..core import atomic, paths
from ..core.errors import DataIntegrityError
from ..core.table_spec import KINDS

# The registry set of sheets researchers add themselves (add-sheet, data/raw/local/).
LOCAL_SET = "local"

COLUMNS = [
    "path",  # relative to data/raw/
    "set",  # ice_287g | ice_287g_archive | trac_pending_by_address | ... | local
    "kind",  # participating | pending | trac_county | census_state | ...
    "sha256",
    "bytes",
    "published",  # ICE publication / capture / as-of date (ISO) where one exists
    "edition",  # am | pm | mid | hhmmss (Wayback capture) | ''
    "layout",  # P0-P3, Q1-Q3 for ICE sheets
    "rows",  # data rows as counted by the MANIFEST (STATE and AGENCY non-empty)
    "url",  # upstream URL pinned to a commit ('' when none exists)
    "bytes_from_upstream",  # 'yes' when the upstream URL serves these exact bytes
    "source",  # repository:path@commit, or a description
    "original_filename",
    "notes",
]


@dataclass(frozen=True)
class RawFile:
    path: str
    set: str
    kind: str
    sha256: str
    bytes: int
    published: str
    edition: str
    layout: str
    rows: int | None
    url: str
    bytes_from_upstream: bool
    source: str
    original_filename: str
    notes: str

    @property
    def local_path(self) -> Path:
        return paths.RAW_DIR / self.path

    @property
    def is_ice_sheet(self) -> bool:
        return self.kind in KINDS

    def to_row(self) -> dict[str, str]:
        row = {name: getattr(self, name) for name in COLUMNS}  # not asdict(): it deep-copies, 10x slower
        row["bytes_from_upstream"] = "yes" if self.bytes_from_upstream else "no"
        row["rows"] = "" if self.rows is None else str(self.rows)
        row["bytes"] = str(self.bytes)
        return row


def from_row(row: dict[str, str], source: Path) -> RawFile:
    """A registry row (every cell text, as in the CSV) -> RawFile; ``source`` names it in errors."""
    missing = [c for c in COLUMNS if c not in row]
    if missing:
        raise DataIntegrityError(f"registry lacks columns {missing}", path=paths.relative_to_root(source))
    where = row["path"]
    # a local sheet (a row of registry_local.csv or of the add-sheet journal beside it) lives in data/raw/local/
    local = Path(source).parent == paths.LOCAL_RAW_DIR or row["set"] == LOCAL_SET
    inside = paths.stays_inside(where) and (not local or (row["set"] == LOCAL_SET and where.startswith("local/")))
    if not inside:
        folder = "data/raw/local/" if local else "data/raw/"
        shown = repr(where) if len(repr(where)) <= 80 else repr(where)[:77] + "..."
        raise DataIntegrityError(f"path {shown} is not inside {folder}: refused (a path read from a data file must stay in "
                                 "its folder)", path=paths.relative_to_root(source))  # fmt: skip
    return RawFile(
        path=row["path"],
        set=row["set"],
        kind=row["kind"],
        sha256=row["sha256"].lower(),
        bytes=int(row["bytes"]),
        published=row["published"],
        edition=row["edition"],
        layout=row["layout"],
        rows=int(row["rows"]) if row["rows"] else None,
        url=row["url"],
        bytes_from_upstream=row["bytes_from_upstream"] == "yes",
        source=row["source"],
        original_filename=row["original_filename"],
        notes=row["notes"],
    )


def read_registry(path: Path) -> list[RawFile]:
    """Read one registry CSV (all cells as text: editions like '002027' keep their zeros)."""
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as fh:
        return [from_row(row, path) for row in csv.DictReader(fh)]


def write_registry(entries: list[RawFile], path: Path) -> None:
    """Write a registry atomically, sorted by path so diffs stay readable."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for entry in sorted(entries, key=lambda e: e.path):
        writer.writerow(entry.to_row())
    atomic.write_text(path, buf.getvalue())


def load(*, archive: bool = False, local: bool = True) -> list[RawFile]:
    """Every registered raw file: pinned set, plus the archive and local sheets if asked."""
    entries = read_registry(paths.REGISTRY_CSV)
    if archive:
        entries += read_registry(paths.ARCHIVE_REGISTRY_CSV)
    if local:
        entries += read_registry(paths.LOCAL_REGISTRY_CSV)
    return entries


FIELD_NAMES = [f.name for f in fields(RawFile)]
assert FIELD_NAMES == COLUMNS, "registry columns and RawFile fields must agree"
