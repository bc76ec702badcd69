"""CSV injection (issue 14.4): text a spreadsheet would run as a formula is written with a leading '.

Agency names come from workbooks anyone can hand over. The fixture project's pm sheet gets
hostile names; `export --format csv` must defuse them after cleaning (which strips the tab that
would have defused ``\\t=1+1``), while parquet keeps them exact and numbers stay numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
import workbooks as wb
from test_cli import make_template
from test_cli_errors import _p3, cli, replace_sheet

from analysis import paths
from analysis.core import csvsafe

D = dt.datetime
HOSTILE = ["=HYPERLINK(\"http://evil.example\",\"Sheriff\")", "\t=1+1 Police Department", "@SUM(1+1) Sheriff's Office",
           "+1 Constable Office", "-2+3 County Sheriff"]  # fmt: skip
HOSTILE_ROWS = [("FLORIDA", name, "County", "Polk", "Task Force Model", D(2025, 2, 3), "link", "link") for name in HOSTILE]


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=1+1", "'=1+1"), ("+1 Sheriff", "'+1 Sheriff"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"), ("\r=1+1", "'\r=1+1"),
        ("Polk County", "Polk County"), ("", ""), ("a=b", "a=b"),
        ("-12", "-12"), ("+3.5", "+3.5"), ("-1e3", "-1e3"),  # text that is a plain number: no spreadsheet runs it
        (-12, -12), (-0.5, -0.5), (None, None), (True, True),
    ],
)  # fmt: skip
def test_escape(value, expected):
    assert csvsafe.escape(value) == expected


def test_escape_frame_touches_only_text():
    df = pd.DataFrame({"name": ["=1+1", "Polk", None], "n": [-1, 2, 3], "share": [-0.5, 0.1, 0.2],
                       "day": pd.to_datetime(["2025-01-01"] * 3)})  # fmt: skip
    out = csvsafe.escape_frame(df)
    assert out["name"].tolist()[:2] == ["'=1+1", "Polk"] and pd.isna(out["name"].iloc[2])
    pd.testing.assert_frame_equal(out.drop(columns="name"), df.drop(columns="name"))
    assert df["name"].iloc[0] == "=1+1"  # the caller's frame is not changed


@pytest.mark.parametrize("cell", [*HOSTILE, "\r=1+1", "Polk, \"=1\"", "two\nlines", "two\n-lines", "a=b", "-12", None])
@pytest.mark.parametrize("where", [0, 1])  # the first column (a line's start) or after a comma
def test_frame_csv_is_the_escaped_frames_csv(cell, where):
    """frame_csv tests the CSV text before escaping: the same text as escaping first, hostile cell or not,
    quoted or not, at the text's or a line's start or after a comma."""
    cols = {"name": [cell, "Polk County"], "n": [1, 2], "share": [0.5, 0.25]}  # only the name can run
    df = pd.DataFrame(cols if where == 0 else {"n": cols["n"], "name": cols["name"], "share": cols["share"]})
    for kwargs in ({"index": False, "lineterminator": "\n"}, {"index": False, "header": False, "lineterminator": "\n"},
                   {"index": False, "sep": ";"}, {"index": False, "lineterminator": "\r"}):  # fmt: skip
        assert csvsafe.frame_csv(df, **kwargs) == csvsafe.escape_frame(df).to_csv(**kwargs)


@pytest.fixture(scope="module")
def hostile_project(tmp_path_factory):
    root = tmp_path_factory.mktemp("csvsafe") / "project"
    shutil.copytree(make_template(tmp_path_factory.mktemp("csvsafe_template")), root)
    rows = [*wb.PM_ROWS, *HOSTILE_ROWS]
    replace_sheet(root, wb.PM_REL, _p3(rows), rows=len(rows))
    proc = cli(root, "build", "-q")
    assert proc.returncode == 0, proc.stderr
    return root


def test_export_csv_defuses_formulas_and_parquet_stays_exact(hostile_project, tmp_path):
    proc = cli(hostile_project, "export", "--format", "csv", str(tmp_path / "csv"))
    assert proc.returncode == 0, proc.stderr
    proc = cli(hostile_project, "export", "--format", "parquet", str(tmp_path / "parquet"))
    assert proc.returncode == 0, proc.stderr
    exact = pd.read_parquet(tmp_path / "parquet" / "agreements.parquet")
    cleaned = [n.strip() for n in HOSTILE]  # cleaning strips the tab
    assert set(cleaned) <= set(exact["agency_name"])  # parquet: as cleaned, unescaped
    with open(tmp_path / "csv" / "agreements.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    names = {r["agency_name"] for r in rows}
    assert {"'" + n for n in cleaned} <= names
    assert not any(n.startswith(csvsafe.FORMULA_START) for n in names)
    assert all(not r["row"].startswith("'") for r in rows)  # numbers stay numbers
    # every text cell of every exported CSV is safe, not only agency names
    for path in (tmp_path / "csv").glob("*.csv"):
        for record in csv.reader(io.StringIO(path.read_text(encoding="utf-8"))):
            for cell in record:
                assert not cell.startswith(csvsafe.FORMULA_START) or csvsafe.escape(cell) == cell, (path.name, cell)
    extract = (tmp_path / "csv" / "agreements.dictionary.md").read_text()
    assert "leading '" in extract


def test_query_csv_escapes_text_cells(monkeypatch, capsys):
    """query's CSV goes through the same helper (its text comes from the tables, so a hostile
    group name is injected here)."""
    from analysis import cli as cli_module
    from analysis.store import freshness

    result = {"as_of": "2025-09-02", "snapshot": {"file": "=cmd|' /C calc'!A0"}, "kind": "participating",
              "unit": "agreements", "total": 3, "states": 1, "territories": [],
              "groups": [{"model": "@evil", "count": 2, "share": 0.666667}, {"model": "-1", "count": -1, "share": -0.5}]}  # fmt: skip
    monkeypatch.setattr(cli_module, "_count", lambda args: result)
    monkeypatch.setattr(freshness, "warn_if_stale", lambda *a, **kw: None)
    assert cli_module.main(["query", "--as-of", "2025-09-02", "--by", "model", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "2025-09-02,'=cmd|' /C calc'!A0,participating,agreements,'@evil,2,0.666667"
    assert lines[2] == "2025-09-02,'=cmd|' /C calc'!A0,participating,agreements,-1,-1,-0.5"


def test_escape_frame_with_a_repeated_column_name():
    """df[name] of a repeated name is a frame: each column is escaped by position."""
    df = pd.DataFrame([["=1+1", "@x", 1]], columns=["name", "name", "n"])
    assert csvsafe.escape_frame(df).to_csv(index=False, lineterminator="\n") == "name,name,n\n'=1+1,'@x,1\n"


# frame_csv writes the usual call (index=False, lineterminator="\n") with Arrow: its text must be
# pandas' to the byte, for every dtype an evidence frame can hold and every cell csv.writer quotes
TRICKY = ["", " ", " lead", "trail ", "a,b", 'say "hi"', '"', "two\nlines", "cr\ronly", "crlf\r\n", ",", "Café",
          "日本", "=1+1", "+1 Sheriff", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1", "-12", "+3.5", "-1e3", "-", "'quoted",
          "=a,b", "-١٢", "Polk County"]  # fmt: skip
FLOATS = [0.0, -0.0, 5.0, 0.1, 1e-05, 1e16, 1.5e300, float("inf"), float("-inf"), float("nan"), -12.25]
_text = st.one_of(st.sampled_from(TRICKY), st.text(st.sampled_from(list(',"\n\r=+-@\t\' aé日1.e')), max_size=6))


def _column(kind, draw, rows):
    """A column of ``rows`` cells of one dtype, missing cells included where the dtype has them."""
    if kind in ("str", "string"):
        return pd.Series(draw(st.lists(st.one_of(_text, st.none()), min_size=rows, max_size=rows)), dtype=kind)
    if kind == "object":  # mixed values: pandas' own text
        return pd.Series(draw(st.lists(st.one_of(_text, st.integers(-5, 5), st.none()), min_size=rows, max_size=rows)),
                         dtype=object)  # fmt: skip
    if kind in ("int64", "Int64"):
        cells = st.integers(-(2**63), 2**63 - 1) | (st.none() if kind == "Int64" else st.integers(-3, 3))
        return pd.Series(draw(st.lists(cells, min_size=rows, max_size=rows)), dtype=kind)
    if kind == "float64":
        return pd.Series(draw(st.lists(st.sampled_from(FLOATS) | st.floats(), min_size=rows, max_size=rows)), dtype=kind)
    if kind in ("bool", "boolean"):
        cells = st.booleans() | (st.none() if kind == "boolean" else st.booleans())
        return pd.Series(draw(st.lists(cells, min_size=rows, max_size=rows)), dtype=kind)
    if kind == "date":
        return pd.Series(pd.to_datetime(draw(st.lists(st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31)), min_size=rows, max_size=rows))), dtype="datetime64[ns]")
    return pd.Series(draw(st.lists(st.sampled_from(["a,b", "=x", "Polk"]), min_size=rows, max_size=rows)), dtype="category")


KINDS = ["str", "string", "object", "int64", "Int64", "float64", "bool", "boolean", "date", "category"]
FAST_KINDS = ["str", "string", "int64", "Int64", "float64", "bool", "boolean"]  # what Arrow writes


#: the same examples every run, and none stored under the cwd (.hypothesis/)
PROPERTY = settings(derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def frames(draw, kinds=KINDS):
    rows = draw(st.integers(0, 8))
    names = draw(st.lists(st.sampled_from(["name", "n", "a,b", 'q"', "", " x ", "=sum", "日"]), max_size=5))
    df = pd.DataFrame({i: _column(draw(st.sampled_from(kinds)), draw, rows) for i in range(len(names))}, index=range(rows))
    df.columns = names  # duplicate names included
    return df


@settings(PROPERTY, max_examples=250)
@given(frames(), st.booleans())
def test_frame_csv_is_pandas_text_for_any_frame(df, header):
    kwargs = {"index": False, "lineterminator": "\n", "header": header}
    assert csvsafe.frame_csv(df, **kwargs) == csvsafe.escape_frame(df).to_csv(**kwargs)


@settings(PROPERTY, max_examples=150)
@given(frames(FAST_KINDS))
def test_arrow_writes_what_pandas_writes(df):
    """The same, through Arrow itself (frame_csv would hide a frame that fell back to pandas)."""
    text = csvsafe._arrow_csv(df, True)
    assert text is None or text == csvsafe.escape_frame(df).to_csv(index=False, lineterminator="\n")
    if df.shape[1] >= 2 and all(isinstance(c, str) for c in df.columns) and not any(
            "\r" in str(v) for v in df.to_numpy().ravel()):  # fmt: skip
        assert text is not None  # only a bare \r (which Arrow refuses) sends such a frame to pandas


def test_arrow_writes_quoted_rows_between_its_runs():
    """Rows that need quotes first, last and side by side, formulas among them, many rows."""
    names = ["Polk County", "Sheriff, Polk", '"Q" Office', "=1+1", "-12", "two\nlines", "@x, y", None]
    df = pd.DataFrame({"agency": pd.Series(names * 40, dtype="str"), "row": range(320),
                       "model": pd.Series(["Task Force", pd.NA, "+1"] * 106 + ["a"] * 2, dtype="string"),
                       "share": [0.5, -0.0, float("nan"), 1e-05] * 80, "ok": [True, False] * 160})  # fmt: skip
    for frame in (df, df.iloc[1:], df.iloc[::-1]):
        expected = csvsafe.escape_frame(frame).to_csv(index=False, lineterminator="\n")
        assert csvsafe._arrow_csv(frame, True) == expected
        assert csvsafe.frame_csv(frame, index=False, lineterminator="\n") == expected


@pytest.mark.parametrize("df, text", [
    (pd.DataFrame({"a": pd.Series([""], dtype="str")}), 'a\n""\n'),  # a lone empty cell is quoted
    (pd.DataFrame({"a": pd.Series([], dtype="str"), "b": pd.Series([], dtype="int64")}), "a,b\n"),
    (pd.DataFrame(index=range(2)), "\n\n\n"),  # no columns: an empty header and empty rows
    (pd.DataFrame(), "\n"),
])  # fmt: skip
def test_frame_csv_edge_frames(df, text):
    assert csvsafe.frame_csv(df, index=False, lineterminator="\n") == text
    assert csvsafe.escape_frame(df).to_csv(index=False, lineterminator="\n") == text
