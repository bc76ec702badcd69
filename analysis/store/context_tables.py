"""Tidy copies of the context data (TRAC backlog, Census population, 2024 vote, published
reference figures) in data/processed/, so notebooks read one format for everything."""

from __future__ import annotations

from ..core import atomic
from ..core.paths import Project
from ..core.errors import AnalysisError
from ..core.table_spec import GAZETTEER_TABLES
from ..ingest.registry import RawFile

# registry kind -> (output table, reader "module:function")
TABLES = {
    "trac_county": ("trac_county.parquet", "ingest.trac:read_trac_county"),
    "trac_state": ("trac_state.parquet", "ingest.trac:read_trac_state"),
    "census_state": ("population.parquet", "ingest.census:read_state_population"),
    "census_county": ("county_population.parquet", "ingest.census:read_county_population"),
    "place_county": ("place_county.parquet", "ingest.geocorr:read_place_county"),
    "election_results": ("election_2024.parquet", "ingest.elections:read_presidential_2024"),
    "reference_figures": ("reference_figures.parquet", "ingest.reference_figures:read_reference_figures"),
}

# table_spec.GAZETTEER_TABLES: what geography.Gazetteer is made from (counties, then places). The
# curated build places agreements from the frames it is about to write; the archive panel reads the
# written files, so their sha256 are part of its manifest (gazetteer_digests) and `build` must run first.


def gazetteer_digests(folder) -> dict[str, str]:
    """sha256 of each GAZETTEER_TABLES file in a processed ``folder``, "missing" for one not built
    (hashlib only: the archive's warm check imports no pandas)."""
    import hashlib

    out = {}
    for name in GAZETTEER_TABLES:
        try:
            out[name] = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        except FileNotFoundError:
            out[name] = "missing"
    return out


def require_gazetteer_tables(digests: dict[str, str]) -> None:
    """The archive panel cannot be placed in counties before `build` wrote the GAZETTEER_TABLES."""
    from ..core.errors import DataIntegrityError

    for name, digest in digests.items():
        if digest == "missing":
            raise DataIntegrityError("missing: the archive panel places agreements in counties from it; "
                                     "run `python -m analysis build` first", path=f"data/processed/{name}")  # fmt: skip


def _reader(spec: str):
    import importlib

    from ..ingest import census, elections, geocorr, reference_figures, trac  # noqa: F401 (named, so codegraph sees the readers)

    module, func = spec.split(":")
    return getattr(importlib.import_module(f"analysis.{module}"), func)


def read_all(project: Project, entries: list[RawFile]) -> dict[str, "pd.DataFrame"]:  # noqa: F821
    """Output table name -> its frame, for every context file among ``entries`` (read, not written:
    the build places agreements in counties from county_population and place_county first)."""
    frames = {}
    for entry in entries:
        if entry.kind not in TABLES:
            continue
        name, spec = TABLES[entry.kind]
        try:
            frames[name] = _reader(spec)(entry.file_in(project))
        except AnalysisError as err:
            # The readers name the file they were given (absolute here); the CLI line names it as the
            # registry does, like an ICE sheet's: "error: census_popest_v2024_county/...csv: ...".
            message = str(err).removeprefix(f"{err.path}: ") if err.path else str(err)
            raise type(err)(message, path=entry.path) from None
    return frames


def write_all(frames: dict, out_dir) -> list[str]:
    for name, df in frames.items():
        with atomic.atomic_path(out_dir / name) as tmp:
            df.to_parquet(tmp, index=False, compression="zstd")
    return list(frames)


def build_all(project: Project, entries: list[RawFile], out_dir) -> list[str]:
    return write_all(read_all(project, entries), out_dir)
