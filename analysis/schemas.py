"""pandera schemas: the processed tables are checked before they are written.

A schema failure is a bug in our cleaning, not in ICE's data (that is what corrections and QA
are for), so it surfaces as an error and nothing is written.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from .errors import QAError

MODELS = ["JEM", "TFM", "WSO"]

AGREEMENTS = pa.DataFrameSchema(
    {
        "snapshot_id": pa.Column(str),
        "kind": pa.Column(str, pa.Check.isin(["participating", "pending"])),
        "published": pa.Column("datetime64[ns]"),
        "file": pa.Column(str),
        "row": pa.Column("int64", pa.Check.ge(2)),
        "state": pa.Column(str, pa.Check.str_matches(r"^[A-Z]{2}$")),
        "state_name": pa.Column(str),
        "is_state": pa.Column(bool),
        "agency_id": pa.Column(str, pa.Check.str_matches(r"^[A-Z]{2}:[a-z0-9-]+$")),
        "agency_name": pa.Column(str, pa.Check.str_length(min_value=1)),
        "agency": pa.Column(str),
        "model": pa.Column("string", pa.Check.isin(MODELS), nullable=True),
        "signed": pa.Column("datetime64[ns]", nullable=True),
        "signed_flag": pa.Column(str),
        "agreement_id": pa.Column(str),
        "is_duplicate": pa.Column(bool),
        "jurisdiction_type": pa.Column("string", nullable=True),
        "county": pa.Column("string", nullable=True),
        "moa_status": pa.Column(str, pa.Check.isin(["link", "link pending", "archived url", "none", "other"])),
        "addendum_status": pa.Column(str, pa.Check.isin(["link", "link pending", "archived url", "none", "other"])),
    },
    strict=False,
    coerce=False,
)

SNAPSHOTS = pa.DataFrameSchema(
    {
        "snapshot_id": pa.Column(str, unique=True),
        "file": pa.Column(str, unique=True),
        "sha256": pa.Column(str, pa.Check.str_matches(r"^[0-9a-f]{64}$")),
        "kind": pa.Column(str, pa.Check.isin(["participating", "pending"])),
        "published": pa.Column(object),
        "edition": pa.Column(str),
        "edition_order": pa.Column(int, pa.Check.in_range(0, 86399)),
        "layout": pa.Column(str, pa.Check.isin(["P0", "P1", "P2", "P3", "Q1", "Q2", "Q3"])),
        "rows": pa.Column(int, pa.Check.ge(0)),
        "is_ice_file": pa.Column(bool),
    },
    strict=False,
)


def _validate(schema: pa.DataFrameSchema, df: pd.DataFrame, name: str) -> None:
    try:
        schema.validate(df, lazy=True)
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
        first = cases.iloc[0]
        raise QAError(
            f"{name} failed its schema ({len(cases)} failure case(s)); first: column {first['column']!r}, "
            f"check {first['check']!r}, value {first['failure_case']!r}"
        ) from None


def validate_agreements(df: pd.DataFrame) -> None:
    _validate(AGREEMENTS, df, "agreements table")


def validate_snapshots(df: pd.DataFrame) -> None:
    _validate(SNAPSHOTS, df, "snapshots table")
