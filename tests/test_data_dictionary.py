"""docs/data-dictionary.md lists exactly the columns the code writes.

The tables are built in a throwaway project copy (fixture ICE sheets; the context tables from the
real files in $DATA_MIRROR) and every file in its data/processed/ must have a section with exactly
its columns, in order. A documented table the fixture build does not make (the archive panel) is
tolerated; an undocumented one fails. The report columns are checked against the code's lists.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pandas as pd
import pytest

import projectcopy as pc
import workbooks as wb
from analysis import claims, paths, results
from analysis.ingest import registry
from analysis.clean import qa
from analysis.store import build, export
from analysis.publish import recheck

DICTIONARY = paths.project().docs / "data-dictionary.md"


@pytest.fixture(scope="module")
def sections() -> dict[str, list[dict]]:
    return export.parse_dictionary(DICTIONARY.read_text(encoding="utf-8"))


def _columns(sections, heading) -> list[str]:
    assert heading in sections, f"{heading} is not documented in docs/data-dictionary.md"
    return [r["column"] for r in sections[heading]]


def _build(root: Path, mirror: Path | None) -> Path:
    project = paths.Project.at(root)
    entries = wb.write_fixture_set(project.raw, county_tables=mirror is None)
    if mirror is not None:
        entries += pc.real_entries(mirror, project.raw, ice=False, context=True)
    registry.write_registry(entries, project.registry_csv)
    build.build(project, entries, quiet=True)
    return project.processed


@pytest.fixture(scope="module")
def fixture_processed(tmp_path_factory) -> Path:
    return _build(tmp_path_factory.mktemp("dict") / "project", None)


@pytest.fixture(scope="module")
def full_processed(tmp_path_factory, mirror_dir) -> Path:
    return _build(tmp_path_factory.mktemp("dict_full") / "project", mirror_dir)


def _written(processed: Path) -> dict[str, list[str]]:
    """data/processed/<rel> -> the columns (or top-level keys) of every file the build wrote."""
    out = {}
    for path in sorted(processed.rglob("*")):
        if not path.is_file() or path.name.startswith("."):
            continue
        heading = f"data/processed/{path.relative_to(processed).as_posix()}"
        if path.suffix == ".parquet":
            out[heading] = list(pd.read_parquet(path).columns)
        elif path.suffix == ".csv":
            out[heading] = list(pd.read_csv(path, nrows=0).columns)
        elif path.suffix == ".json":
            out[heading] = list(json.loads(path.read_text()))
        elif path.suffix == ".sqlite":
            import sqlite3

            con = sqlite3.connect(path)
            out[heading] = [r[1] for r in con.execute("PRAGMA table_info(snapshots)")]
            con.close()
        else:
            out[heading] = ["(unknown file type)"]
    return out


def _check_exactly_documented(sections, processed: Path) -> None:
    written = _written(processed)
    assert written, "the build wrote nothing"
    for heading, columns in written.items():
        documented = _columns(sections, heading)
        missing = [c for c in columns if c not in documented]
        extra = [c for c in documented if c not in columns]
        assert not missing, f"{heading}: columns written but not documented: {missing}"
        assert not extra, f"{heading}: columns documented but not written: {extra}"
        assert columns == documented, f"{heading}: documented order differs from the written order"


def test_fixture_build_is_exactly_documented(sections, fixture_processed):
    _check_exactly_documented(sections, fixture_processed)


def test_full_build_with_context_tables_is_exactly_documented(sections, full_processed):
    written = _written(full_processed)
    assert "data/processed/trac_county.parquet" in written and "data/processed/population.parquet" in written
    _check_exactly_documented(sections, full_processed)


def test_documented_but_not_built_tables_are_the_known_ones(sections, full_processed):
    """Tables documented but not made by this build must be the archive panel (built from the archive)."""
    written = set(_written(full_processed))
    unbuilt = {h for h in sections if h.startswith("data/processed/") and h not in written}
    assert unbuilt <= {h for h in sections if h.startswith("data/processed/archive/")}, unbuilt
    from analysis.store import history

    assert _columns(sections, "data/processed/archive/history.parquet") == history.COLUMNS


def _kind(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_integer_dtype(series):
        return "int64"
    if pd.api.types.is_float_dtype(series):
        return "float64"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "datetime"
    values = series.dropna()
    if series.dtype == object and len(values) and all(hasattr(v, "isoformat") for v in values):
        return "date"
    return "string"


def test_parquet_types_match_the_dictionary(sections, full_processed):
    for path in sorted(full_processed.rglob("*.parquet")):
        heading = f"data/processed/{path.relative_to(full_processed).as_posix()}"
        df = pd.read_parquet(path)
        types = {r["column"]: r["type"] for r in sections[heading]}
        for col in df.columns:
            documented = types[col].rstrip("?")
            assert documented == _kind(df[col]), f"{heading}: {col} is {_kind(df[col])}, documented {types[col]}"
            if df[col].isna().any():
                assert types[col].endswith("?"), f"{heading}: {col} has missing values; document its type as {documented}?"


def test_code_column_lists_match(sections):
    assert _columns(sections, "data/processed/agreements.parquet") == build.AGREEMENT_COLUMNS
    assert _columns(sections, "data/processed/corrections.csv") == build.CORRECTION_COLUMNS
    assert _columns(sections, "data/processed/qa.csv") == qa.COLUMNS
    assert _columns(sections, "reports/claims.csv") == claims.COLUMNS
    assert _columns(sections, "reports/claims.json") == [*claims.COLUMNS, "sensitivity"]
    assert _columns(sections, "reports/recheck.md") == recheck.COLUMNS
    assert _columns(sections, "reports/results/NOTEBOOK.json") == [f.name for f in dataclasses.fields(results.Result)]
    assert _columns(sections, "data/processed/archive/agreements.parquet") == build.AGREEMENT_COLUMNS
    base = _columns(sections, "data/processed/snapshots.parquet")
    assert _columns(sections, "data/processed/archive/snapshots.parquet")[: len(base)] == base


def test_every_row_has_a_type_and_a_meaning(sections):
    for heading, rows in sections.items():
        for r in rows:
            assert r["type"] and r["meaning"], f"{heading}: {r['column']} lacks a type or meaning"


def test_the_committed_dictionary_is_what_the_spec_renders():
    from analysis.publish import dictionary

    text = DICTIONARY.read_text(encoding="utf-8")
    assert dictionary.updated(text) == text, "docs/data-dictionary.md is stale; run `python -m analysis docs` and commit it"


def test_every_built_parquet_passes_the_schema_generated_from_the_spec(full_processed):
    """Validated here, not at build time, for the tables the build does not check (cost)."""
    from analysis.core import schemas, table_spec

    checked = 0
    for path in sorted(full_processed.rglob("*.parquet")):
        rel = path.relative_to(full_processed).as_posix()
        assert rel in table_spec.TABLES, f"{rel} has no entry in analysis/core/table_spec.py"
        schemas.validate_table(schemas.schema(table_spec.TABLES[rel]), pd.read_parquet(path), rel)
        checked += 1
    assert checked >= 9
