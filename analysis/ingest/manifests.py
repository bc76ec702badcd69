"""Build the tracked registries from the MANIFEST.csv files of the shared raw-data folders.

The registries are generated, never hand-edited: ``python -m analysis registry --manifests DIR``
rewrites them. Each upstream URL is pinned to the commit the MANIFEST names, so a download
either returns the registered bytes or is refused by the sha256 check.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from ..core import paths
from ..core.errors import DataIntegrityError
from .registry import RawFile, from_row, write_registry

CURATED_SETS = [
    "ice_287g",
    "trac_pending_by_address",
    "census_popest_v2024_state",
    "census_popest_v2024_county",
    "geocorr_place_county",
    "us_atlas",
    "fivethirtyeight_election_results",
    "published_reference_figures",
]
ARCHIVE_SET = "ice_287g_archive"

# Sets whose bytes were assembled here rather than copied from upstream. Their URL is a
# reference only; a download would not match and must be refused. The MANIFEST notes must say
# so (checked below), so a changed MANIFEST cannot silently flip this.
NOT_UPSTREAM_BYTES = {
    "trac_pending_by_address": re.compile(r"transcribed|reassembled", re.I),
    "published_reference_figures": re.compile(r"hand-transcribed", re.I),
}

KIND_BY_SET = {
    "trac_pending_by_address": {"trac_addressrep_county.tsv": "trac_county", "trac_addressrep_state.tsv": "trac_state"},
    "census_popest_v2024_state": {"NST-EST2024-ALLDATA.csv": "census_state", "NST-EST2024-ALLDATA_layout.pdf": "documentation"},
    "census_popest_v2024_county": {"co-est2024-alldata.csv": "census_county"},
    "geocorr_place_county": {"geocorr2022_place_county.csv": "place_county"},
    # geometry for the maps: read later with geopandas, no reader here
    "us_atlas": {
        "counties-10m.json": "topojson_counties", "counties-albers-10m.json": "topojson_counties_albers",
        "states-albers-10m.json": "topojson_states_albers", "LICENSE": "documentation",
    },
    "fivethirtyeight_election_results": {"election_results_presidential.csv": "election_results"},
    "published_reference_figures": {"reference_figures.csv": "reference_figures"},
}

_REPO_SPEC = re.compile(r"^(?P<repo>[\w.-]+/[\w.-]+)(?::(?P<path>[^@]+))?@(?P<commit>[0-9a-f]{40})$")
# A source that is not a git repository (us_atlas: an npm package) names its URL in the text.
_PINNED_URL = re.compile(r"\bpinned URL (?P<url>https://\S+)")
_ICE_NAME = re.compile(r"Agencies(?P<date>\d{8,9})(?P<edition>[A-Za-z_0-9]*)\.xlsx$")
_WAYBACK = re.compile(r"-(?P<date>\d{8})(?P<time>\d{6})\.xlsx$")
_LAYOUT_NOTE = re.compile(r"\blayout (?P<layout>[PQ]\d)\b")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def raw_url(repo: str, commit: str, path: str) -> str:
    return f"https://raw.githubusercontent.com/{repo}/{commit}/{path}"


def edition_from_names(file: str, original: str) -> str:
    """am/pm/mid from our or ICE's file name, else the hhmmss of a Wayback capture, else ''."""
    stem = Path(file).stem
    for suffix in ("am", "pm", "mid"):
        if stem.endswith(f"_{suffix}"):
            return suffix
    m = _ICE_NAME.search(original)
    if m and m.group("edition"):
        return m.group("edition")
    m = _WAYBACK.search(original)
    if m:
        return m.group("time")
    return ""


def _read_manifest(folder: Path) -> list[dict[str, str]]:
    manifest = folder / "MANIFEST.csv"
    if not manifest.is_file():
        raise DataIntegrityError("MANIFEST.csv not found", path=str(manifest))
    with manifest.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _file(row: dict[str, str], set_name: str) -> str:
    """A MANIFEST row's file: a plain name inside its set's folder, or refused."""
    name = row.get("file", "")
    if not paths.stays_inside(name) or "/" in name:
        raise DataIntegrityError(f"file {name!r} is not a plain file name inside {set_name}/: refused",
                                 path=f"{set_name}/MANIFEST.csv")  # fmt: skip
    return name


def _curated_entry(set_name: str, row: dict[str, str]) -> RawFile:
    _file(row, set_name)
    spec = _REPO_SPEC.match(row["retrieved_from"].strip())
    pattern = NOT_UPSTREAM_BYTES.get(set_name)
    if pattern is not None and not pattern.search(row.get("notes", "") + " " + row.get("description", "")):
        raise DataIntegrityError(
            f"{row['file']}: expected the MANIFEST to describe a transcription; registry rule is out of date",
            path=f"{set_name}/MANIFEST.csv",
        )
    pinned = _PINNED_URL.search(row["retrieved_from"])
    if spec and spec["path"]:
        url = raw_url(spec["repo"], spec["commit"], spec["path"])
    else:
        url = pinned["url"].rstrip(".,;)") if pinned else ""
    if set_name == "ice_287g":
        kind = row["kind"]
        published = row["ice_published"]
        original = row["original_filename"]
        layout_match = _LAYOUT_NOTE.search(row["notes"])
        layout = layout_match["layout"] if layout_match else ""
        notes = row["notes"]
    else:
        kind = KIND_BY_SET[set_name][row["file"]]
        as_of = row.get("as_of", "")
        date = _DATE.search(as_of)
        published = date.group(0) if date else ""
        original = Path(spec["path"]).name if spec and spec["path"] else Path(url).name if pinned else ""
        layout = ""
        notes = " | ".join(x for x in (row.get("description", ""), f"as of: {as_of}" if as_of else "", row.get("notes", "")) if x)
    rows, counted = _rows(row, set_name)
    if counted:
        notes = f"{notes} | objects: {counted}" if notes else f"objects: {counted}"
    return RawFile(
        path=f"{set_name}/{row['file']}",
        set=set_name,
        kind=kind,
        sha256=row["sha256"].lower(),
        bytes=0,  # filled from the file itself by build_registry
        published=published,
        edition=edition_from_names(row["file"], original) if set_name == "ice_287g" else "",
        layout=layout,
        rows=rows,
        url=url,
        bytes_from_upstream=pattern is None and bool(url),
        source=row["retrieved_from"],
        original_filename=original,
        notes=notes,
    )


_OBJECT_COUNTS = re.compile(r"\w+=\d+(;\w+=\d+)*")


def _rows(row: dict[str, str], set_name: str) -> tuple[int | None, str]:
    """The MANIFEST's row count, or (None, 'counties=3231;...') for a file of several objects (TopoJSON)."""
    text = (row.get("rows") or "").strip()
    if not text or text.isdigit():
        return (int(text) if text else None), ""
    if _OBJECT_COUNTS.fullmatch(text):
        return None, text
    raise DataIntegrityError(f"{row['file']}: cannot read rows {text!r}", path=f"{set_name}/MANIFEST.csv")


def _archive_entry(row: dict[str, str]) -> RawFile:
    _file(row, ARCHIVE_SET)
    spec = _REPO_SPEC.match(row["retrieved_from"].strip())
    if not spec:
        raise DataIntegrityError(f"{row['file']}: cannot parse retrieved_from", path=f"{ARCHIVE_SET}/MANIFEST.csv")
    originals = row["original_filenames"].split(";")
    # Written as a registry row so one parser (registry.from_row) decides every field's type.
    return from_row({
        "path": f"{ARCHIVE_SET}/{row['file']}", "set": ARCHIVE_SET, "kind": row["kind"], "sha256": row["sha256"],
        "bytes": row["bytes"], "published": row["published"], "edition": row["edition"], "layout": row["layout"],
        "rows": row["rows"], "url": raw_url(spec["repo"], spec["commit"], originals[0]), "bytes_from_upstream": "yes",
        "source": row["retrieved_from"], "original_filename": ";".join(Path(o).name for o in originals),
        "notes": f"date basis: {row['date_basis']} | {row['notes']}",
    }, paths.RAW_DIR / ARCHIVE_SET / "MANIFEST.csv")  # fmt: skip


def build_registry(manifests_dir: Path) -> tuple[list[RawFile], list[RawFile]]:
    """Entries for the curated sets and for the archive, with sizes read from the files."""
    curated: list[RawFile] = []
    for set_name in CURATED_SETS:
        for row in _read_manifest(manifests_dir / set_name):
            entry = _curated_entry(set_name, row)
            size = (manifests_dir / entry.path).stat().st_size
            curated.append(RawFile(**{**entry.__dict__, "bytes": size}))
    archive = [_archive_entry(row) for row in _read_manifest(manifests_dir / ARCHIVE_SET)]
    return curated, archive


def write_registries(manifests_dir: Path) -> tuple[int, int]:
    curated, archive = build_registry(manifests_dir)
    write_registry(curated, paths.REGISTRY_CSV)
    write_registry(archive, paths.ARCHIVE_REGISTRY_CSV)
    return len(curated), len(archive)
