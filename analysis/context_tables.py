"""Tidy copies of the context data (TRAC backlog, Census population, 2024 vote, published
reference figures) in data/processed/, so notebooks read one format for everything."""

from __future__ import annotations

from . import atomic, paths
from .errors import AnalysisError
from .registry import RawFile

# registry kind -> (output table, reader "module:function")
TABLES = {
    "trac_county": ("trac_county.parquet", "trac:read_trac_county"),
    "trac_state": ("trac_state.parquet", "trac:read_trac_state"),
    "census_state": ("population.parquet", "census:read_state_population"),
    "census_county": ("county_population.parquet", "census:read_county_population"),
    "place_county": ("place_county.parquet", "geocorr:read_place_county"),
    "election_results": ("election_2024.parquet", "elections:read_presidential_2024"),
    "reference_figures": ("reference_figures.parquet", "reference_figures:read_reference_figures"),
}


def _reader(spec: str):
    import importlib

    from . import census, elections, geocorr, reference_figures, trac  # noqa: F401 (named, so codegraph sees the readers)

    module, func = spec.split(":")
    return getattr(importlib.import_module(f"analysis.{module}"), func)


def build_all(entries: list[RawFile], out_dir=None) -> list[str]:
    out_dir = paths.PROCESSED_DIR if out_dir is None else out_dir
    written = []
    for entry in entries:
        if entry.kind not in TABLES:
            continue
        name, spec = TABLES[entry.kind]
        try:
            df = _reader(spec)(entry.local_path)
        except AnalysisError as err:
            # The readers name the file they were given (absolute here); the CLI line names it as the
            # registry does, like an ICE sheet's: "error: census_popest_v2024_county/...csv: ...".
            message = str(err).removeprefix(f"{err.path}: ") if err.path else str(err)
            raise type(err)(message, path=entry.path) from None
        with atomic.atomic_path(out_dir / name) as tmp:
            df.to_parquet(tmp, index=False, compression="zstd")
        written.append(name)
    return written
