"""The pandera schemas stop a table whose dtypes or values are wrong (schemas.Text decides text
columns on their dtype; the covering-rows shortcut must still report every kind of failure)."""

import pandas as pd
import pytest

from analysis.core import schemas, table_spec
from analysis.store import columns
from analysis.core.errors import QAError


def agreements() -> pd.DataFrame:
    n = 3
    return pd.DataFrame({
        "snapshot_id": ["s1"] * n, "kind": ["participating"] * n, "published": pd.to_datetime(["2025-01-01"] * n),
        "file": ["f.xlsx"] * n, "row": [2, 3, 4], "state": ["FL", "TX", "FL"], "state_name": ["Florida", "Texas", "Florida"],
        "is_state": [True] * n, "agency_id": ["FL:a", "TX:b", "FL:a"], "agency_name": ["A", "B", "A"], "agency": ["A", "B", "A"],
        "model": pd.array(["TFM", None, "JEM"], dtype="string"), "signed": pd.to_datetime(["2025-01-01", None, "2025-02-01"]),
        "signed_flag": ["", "", ""], "agreement_id": ["x", "y", "z"], "is_duplicate": [False] * n,
        "jurisdiction_type": pd.array([None] * n, dtype="string"), "county": pd.array(["Dade", None, "Dade"], dtype="string"),
        "county_fips": pd.array(["12086", None, "12086"], dtype="string"),
        "geo_level": pd.array(["county", "unknown", "county"], dtype="str"), "county_share": [1.0, None, 1.0],
        "geo_rule": pd.array(["county_cell", "unknown: no county", "county_cell"], dtype="str"),
        "moa_status": ["link", "none", "link"], "addendum_status": ["link", "none", "other"],
        **{c: [""] * n for c in table_spec.AGREEMENTS.names if c.endswith("_raw")},
    })  # fmt: skip


def test_a_valid_table_passes():
    schemas.validate_agreements(agreements())


@pytest.mark.parametrize(
    "column, change, message",
    [
        ("agency", lambda s: s.astype(object), "dtype"),  # text must be pandas' text dtype, not objects
        ("model", lambda s: s.astype("str"), "dtype"),  # "string" (pd.NA) and "str" (NaN) are told apart
        ("state", lambda s: s.where(s != "TX", "Texas"), "str_matches"),
        ("model", lambda s: s.where(s != "JEM", "XYZ"), "isin"),
        ("state", lambda s: s.where(s != "TX", None), "not_nullable"),
        ("county_fips", lambda s: s.where(s.isna(), "1208"), "str_matches"),  # 5 digits
        ("geo_level", lambda s: s.where(s != "unknown", "city"), "isin"),
        ("geo_level", lambda s: s.where(s != "unknown", None), "not_nullable"),  # every row has a level
    ],
)
def test_a_wrong_dtype_or_value_stops_the_build(column, change, message):
    df = agreements()
    df[column] = change(df[column])
    with pytest.raises(QAError, match=message) as err:
        schemas.validate_agreements(df)
    assert repr(column) in str(err.value)


def test_a_failing_value_is_named_with_its_file_and_sheet_row():
    """Issue 14.1: a schema failure is one line naming the file, the sheet row and the value
    (the first failing value, even when a column-wide dtype failure comes first)."""
    df = agreements()
    df["file"] = ["a.xlsx", "b.xlsx", "c.xlsx"]
    df["model"] = df["model"].astype("str")  # a dtype failure with no row
    df["agency_id"] = df["agency_id"].where(df["agency_id"] != "TX:b", "TX:añasco")
    with pytest.raises(QAError) as err:
        schemas.validate_agreements(df)
    message = str(err.value)
    assert message.startswith("b.xlsx: row 3: column 'agency_id'"), message
    assert "'TX:añasco'" in message and "str_matches" in message and "2 failure case(s)" in message
    assert "\n" not in message


def test_column_helpers_agree_with_pandas():
    values = pd.Series(["a", "b", None, "c", "a"], dtype="str")
    assert columns.isin(values, ["a", "c"]).tolist() == values.isin(["a", "c"]).tolist()
    assert columns.isin(values, {"b"}).tolist() == [False, True, False, False, False]
    order = pd.Series(["c", "a", "b"], dtype="str")
    assert columns.positions(values, order).tolist() == pd.Index(order).get_indexer(values).tolist()


def test_pandera_imports_neither_hypothesis_nor_geopandas_for_a_build():
    """schemas.PANDERA_EXTRAS: a fresh interpreter that imports the schemas and validates a table
    imports neither (~0.13 s of every build), and can import either afterwards."""
    import subprocess
    import sys
    from pathlib import Path

    tests = Path(__file__).parent
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import test_schemas; from analysis.core import schemas; "
            "schemas.validate_agreements(test_schemas.agreements()); "
            "print(sorted(m for m in ('hypothesis', 'geopandas') if m in sys.modules)); import hypothesis, geopandas")  # fmt: skip
    proc = subprocess.run([sys.executable, "-c", code, str(tests)], capture_output=True, text=True, cwd=tests.parent)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
