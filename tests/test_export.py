"""`export`: every processed table round-trips through csv, parquet and Stata .dta.

Read back with pandas, each file has the same rows and values; dtypes are the same for parquet
and follow the documented conversions for csv (text) and Stata (bool -> byte, dates -> %td, missing
text -> ""). The build is a throwaway project copy: fixture sheets plus the real context files.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import projectcopy as pc
import workbooks as wb
from analysis.core import csvsafe, paths
from analysis.ingest import registry
from analysis.store import build, export


@pytest.fixture(scope="module")
def project(tmp_path_factory, mirror_dir) -> paths.Project:
    project = pc.with_dictionary(paths.Project.at(tmp_path_factory.mktemp("export") / "project"))
    entries = wb.write_fixture_set(project.raw, county_tables=False)
    entries += pc.real_entries(mirror_dir, project.raw, ice=False, context=True)
    registry.write_registry(entries, project.registry_csv)
    build.build(project, entries, quiet=True)
    return project


@pytest.fixture(scope="module")
def originals(project) -> dict[str, pd.DataFrame]:
    return {rel: export.read_table(project, rel) for rel in export.tables(project)}


def _export(project: paths.Project, out: Path, fmt: str) -> list[export.Exported]:
    return export.export(project, out, fmt)


def _canon(value):
    """One comparable form per value: missing (and empty text) -> None, dates -> ISO, numbers -> float."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return float(value)
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (int, float, np.integer, np.floating)):
        return round(float(value), 9)
    text = str(value)
    return text if text != "" else None


def _assert_same_values(original: pd.DataFrame, back: pd.DataFrame, name: str) -> None:
    assert len(back) == len(original), name
    for col_o, col_b in zip(original.columns, back.columns):
        a = [_canon(v) for v in original[col_o].tolist()]
        b = [_canon(v) for v in back[col_b].tolist()]
        assert a == b, f"{name}.{col_o}: values differ after the round trip"


def test_parquet_round_trip_is_exact(project, originals, tmp_path):
    done = _export(project, tmp_path, "parquet")
    assert {d.table for d in done} == set(originals)
    for item in done:
        pd.testing.assert_frame_equal(pd.read_parquet(item.path), originals[item.table], check_dtype=True)


def test_csv_round_trip(project, originals, tmp_path):
    done = _export(project, tmp_path, "csv")
    for item in done:
        original = csvsafe.escape_frame(originals[item.table])  # formula-like text gets a leading ' (test_csv_safety.py)
        back = pd.read_csv(item.path, dtype=str, keep_default_na=False)
        assert list(back.columns) == list(original.columns)
        # Text read back: numbers, booleans and dates compare through their text form.
        for col in original.columns:
            o, b = original[col], back[col]
            if pd.api.types.is_bool_dtype(o):
                assert b.tolist() == o.map(str).tolist(), col
            elif pd.api.types.is_numeric_dtype(o):
                np.testing.assert_allclose(pd.to_numeric(b).to_numpy(dtype=float), o.to_numpy(dtype=float), rtol=1e-12)
            else:
                _assert_same_values(o.to_frame(), b.to_frame(), f"{item.table}.{col}")


def test_stata_round_trip_with_documented_conversions(project, originals, tmp_path):
    done = _export(project, tmp_path, "dta")
    for item in done:
        original = originals[item.table]
        back = pd.read_stata(item.path, convert_categoricals=False)
        names = export.stata_names(list(original.columns))
        assert list(back.columns) == [names[c] for c in original.columns]
        assert all(len(c) <= 32 for c in back.columns)
        for col in original.columns:
            o, b = original[col], back[names[col]]
            if pd.api.types.is_bool_dtype(o):
                assert b.dtype == np.int8 and set(b.unique()) <= {0, 1}, col
                assert any(f"`{col}`: boolean -> byte 0/1" in n for n in item.conversions)
            elif pd.api.types.is_datetime64_any_dtype(o) or export._is_date_objects(o):
                assert pd.api.types.is_datetime64_any_dtype(b), col
            elif pd.api.types.is_integer_dtype(o):
                assert pd.api.types.is_integer_dtype(b) or pd.api.types.is_float_dtype(b), col
            elif pd.api.types.is_float_dtype(o):
                assert pd.api.types.is_float_dtype(b), col
            else:
                assert b.map(lambda v: isinstance(v, str)).all(), f"{col}: Stata text must be str"
                if o.isna().any():
                    assert any(f"`{col}`: text, missing -> \"\"" in n for n in item.conversions), col
        _assert_same_values(original, back, item.table)


def test_each_table_has_its_dictionary_beside_it(project, originals, tmp_path):
    done = _export(project, tmp_path, "dta")
    assert (tmp_path / "data-dictionary.md").is_file()
    for item in done:
        extract = (tmp_path / f"{export.out_name(item.table)}.dictionary.md").read_text()
        assert f"### data/processed/{item.table}" in extract
        assert "(not documented" not in extract
        for col in originals[item.table].columns:
            assert f"`{col}`" in extract, f"{item.table}: {col} missing from its extract"
    agreements = (tmp_path / "agreements.dictionary.md").read_text()
    assert "#### Conversions for dta" in agreements and "`signed`: date -> Stata daily date (%td); missing -> ." in agreements


def test_stata_names_are_short_valid_and_unique():
    names = export.stata_names(["a" * 40, "a" * 40 + "b", "1st col", "ok"])
    assert all(len(n) <= 32 for n in names.values())
    assert len(set(n.lower() for n in names.values())) == 4
    assert names["1st col"] == "_1st_col" and names["ok"] == "ok"


def test_cli_export_and_refusal(project, tmp_path):
    out = tmp_path / "for_stata"
    proc = pc.cli(project, "export", "--format", "dta", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (out / "agreements.dta").is_file() and (out / "agreements.dictionary.md").is_file()
    proc = pc.cli(project, "export", "--format", "csv", str(project.processed), cwd=tmp_path)
    pc.assert_one_error_line(proc, 2, "would overwrite the project's own tables")


def test_a_stata_name_chosen_in_the_spec_is_kept(tmp_path):
    """table_spec.Column.stata names a column for Stata; the others follow the rule."""
    df = pd.DataFrame({"a b": [1], "x": [2]})
    export.write_dta(df, tmp_path / "t.dta", {}, {"x": "chosen"})
    assert list(pd.read_stata(tmp_path / "t.dta").columns) == ["a_b", "chosen"]
