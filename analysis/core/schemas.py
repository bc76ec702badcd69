"""pandera schemas: the processed tables are checked before they are written.

A schema failure is a bug in our cleaning, not in ICE's data (that is what corrections and QA
are for), so it surfaces as an error and nothing is written.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys

import numpy as np
import pandas as pd

from . import table_spec
from .errors import QAError

#: What pandera imports whenever it is installed, though nothing here uses it: hypothesis (to
#: synthesize test data) as its pandas backend registers, and geopandas (to recognise geometry
#: dtypes) on the first dtype it looks up. Together ~0.13 s of the ~0.55 s of imports that a cold
#: `build --archive` pays while its workers parse, and every build and validation pays them.
PANDERA_EXTRAS = ("hypothesis", "geopandas")


@contextlib.contextmanager
def _without_pandera_extras():
    """PANDERA_EXTRAS unimportable while pandera imports, builds a schema or validates (a None in
    sys.modules makes an import raise ImportError, which pandera takes as "not installed"); any
    already imported stays as it is (it costs nothing then), and each is importable again after."""
    blocked = [name for name in PANDERA_EXTRAS if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None
    try:
        yield
    finally:
        for name in blocked:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]


with _without_pandera_extras():
    import pandera.pandas as pa
    from pandera import dtypes
    from pandera.engines import pandas_engine



@pandas_engine.Engine.register_dtype
@dtypes.immutable(init=True)
class Text(pandas_engine.DataType):
    """pandas' text dtype, decided on the column's dtype alone.

    A StringDtype column holds only text or missing values, yet pandera 0.35 checks ``str``
    columns value by value and formats an (empty) table of failures for each: ~1.5 ms a column,
    most of the schema's cost on an appended sheet. This also tells pandas 3's ``str`` (missing
    as NaN) from ``string`` (missing as pd.NA), which pandera's own check takes as one type.
    """

    type: pd.StringDtype = dataclasses.field(default=pd.StringDtype(na_value=np.nan))

    def check(self, pandera_dtype, data_container=None) -> bool:
        dtype = data_container.dtype if data_container is not None else getattr(pandera_dtype, "type", None)
        return isinstance(dtype, pd.StringDtype) and (dtype.na_value is pd.NA) == (self.type.na_value is pd.NA)

    def __str__(self) -> str:
        return str(self.type)


TEXT = Text()  # pandas 3's default text ("str", missing as NaN)
NA_TEXT = Text(pd.StringDtype(na_value=pd.NA))  # "string", missing as pd.NA

_DTYPES = {"string": TEXT, "int64": "int64", "float64": "float64", "bool": bool, "datetime": "datetime64[ns]",
           "date": object, "object": object}  # fmt: skip


def _checks(column: table_spec.Column) -> list[pa.Check]:
    checks = []
    if column.isin:
        checks.append(pa.Check.isin(list(column.isin)))
    if column.regex:
        checks.append(pa.Check.str_matches(column.regex))
    if column.min_length is not None:
        checks.append(pa.Check.str_length(min_value=column.min_length))
    if column.ge is not None and column.le is not None:
        checks.append(pa.Check.in_range(column.ge, column.le))
    elif column.ge is not None:
        checks.append(pa.Check.ge(column.ge))
    return checks


def schema(table: table_spec.Table) -> pa.DataFrameSchema:
    """The pandera schema of a table in the spec: each column's dtype, nullability and checks.
    Text that may be missing is pandas' ``string`` (pd.NA), other text ``str`` (tidy.finalize)."""
    with _without_pandera_extras():
        return _schema(table)


def _schema(table: table_spec.Table) -> pa.DataFrameSchema:
    columns = {
        c.name: pa.Column(NA_TEXT if c.type == "string?" else _DTYPES[c.dtype], _checks(c), nullable=c.nullable, unique=c.unique)
        for c in table.columns
    }
    return pa.DataFrameSchema(columns, strict=table.strict, ordered=table.ordered, unique=list(table.unique) or None)


AGREEMENTS = schema(table_spec.AGREEMENTS)
SNAPSHOTS = schema(table_spec.SNAPSHOTS)


# pandera imports its pandas backend (with hypothesis: ~0.4 s) on the first validate; register it
# now, so that panel's build does it while its workers parse (panel._import_table_modules).
with _without_pandera_extras():
    pa.DataFrameSchema.register_default_backends(pd.DataFrame)


def _validate(schema: pa.DataFrameSchema, df: pd.DataFrame, name: str) -> None:
    try:
        with _without_pandera_extras():
            schema.validate(df, lazy=True)
    except pa.errors.SchemaErrors as err:
        raise schema_error(err.failure_cases, df, name) from None


def schema_error(cases: pd.DataFrame, df: pd.DataFrame, name: str) -> QAError:
    """One line for pandera's failure cases: the first failing value with the file and sheet row it
    came from (a value check), else the first column-wide failure (a dtype); and how many there are."""
    located = cases[cases["index"].notna()] if "index" in cases.columns else cases.iloc[:0]
    first = (located if len(located) else cases).iloc[0]
    what = f"column {first['column']!r} fails check {first['check']!r} with value {first['failure_case']!r}"
    count = f"({len(cases)} failure case(s))"
    if not len(located) or first["index"] not in df.index:
        return QAError(f"{name} failed its schema {count}; first: {what}")
    row = df.loc[[first["index"]]].iloc[0]  # the first row with that label, were the index not unique
    where = f"row {row['row']}: " if "row" in df.columns else ""
    path = str(row["file"]) if "file" in df.columns else None
    return QAError(f"{where}{what}; {name} failed its schema {count}, nothing written", path=path)


# Built-in checks that decide each value on its own (what _covering_rows relies on).
_ONE_VALUE_CHECKS = {
    "isin", "notin", "str_matches", "str_contains", "str_startswith", "str_endswith", "str_length", "equal_to",
    "not_equal_to", "greater_than", "greater_than_or_equal_to", "less_than", "less_than_or_equal_to", "in_range",
}  # fmt: skip


def _covering_rows(schema: pa.DataFrameSchema, df: pd.DataFrame) -> pd.DataFrame | None:
    """The rows of ``df`` that decide ``schema``: the first row of every distinct value of each
    column with checks, and the first missing value of every column.

    Valid exactly when ``df`` is, for a schema whose checks each look at one value at a time
    (isin, str_matches, str_length, ge, ...) besides dtype and nullable: a column has the same
    dtype here, holds every value it holds in ``df`` and a missing value iff ``df`` has one.
    None when the schema asks more than that (unique values, frame-wide or other checks, strict
    or ordered columns, coercion) or a column is absent; then the whole table is validated.
    """
    columns = schema.columns
    if len(df) == 0 or schema.checks or schema.unique or schema.index is not None or schema.strict or schema.ordered:
        return None
    if schema.coerce or any(c.unique or c.coerce or c.regex for c in columns.values()):
        return None
    if any(not (chk.element_wise or chk.name in _ONE_VALUE_CHECKS) or chk.groupby is not None
           for c in columns.values() for chk in c.checks):  # fmt: skip
        return None
    if any(name not in df.columns for name in columns) or not df.columns.is_unique:
        return None
    picks = []
    for name, column in columns.items():
        values = df[name]
        missing = values.isna().to_numpy()
        if missing.any():
            picks.append([int(np.argmax(missing))])
        if column.checks:
            codes, _ = values.factorize()  # codes in order of first appearance, -1 where missing
            seen = np.maximum.accumulate(codes)
            new = np.ones(len(codes), dtype=bool)
            new[1:] = codes[1:] > seen[:-1]
            new &= codes >= 0
            picks.append(np.flatnonzero(new))
    rows = np.sort(np.concatenate(picks).astype("int64")) if picks else np.zeros(0, dtype="int64")
    rows = rows[np.append(True, rows[1:] != rows[:-1])] if len(rows) else rows
    return df[list(columns)].iloc[rows]


def validate_agreements(df: pd.DataFrame) -> None:
    """Every value is checked: on the rows that decide the schema (_covering_rows), and on the
    whole table only if those fail, for its full list of failure cases."""
    covering = _covering_rows(AGREEMENTS, df)
    if covering is not None:
        try:
            with _without_pandera_extras():
                AGREEMENTS.validate(covering, lazy=True)
            return
        except Exception:  # reported from the whole table, below
            pass
    _validate(AGREEMENTS, df, "agreements table")


def validate_snapshots(df: pd.DataFrame) -> None:
    _validate(SNAPSHOTS, df, "snapshots table")


# Context tables read from the Census and Geocorr files (context_tables.py); built once per build,
# small, so they are validated whole.
COUNTY_POPULATION = schema(table_spec.COUNTY_POPULATION)
PLACE_COUNTY = schema(table_spec.PLACE_COUNTY)


def validate_table(schema: pa.DataFrameSchema, df: pd.DataFrame, name: str) -> None:
    """Validate a whole context table; a failure is one QAError line naming the table."""
    _validate(schema, df, name)
