"""Hand-transcribed published figures (TRAC reports, Axios and others) used as yardsticks.

Why: the TRAC county snapshot is undated, and some claims quote TRAC figures we cannot
re-derive; these point values let us date the snapshot and cross-check quotations. Many are
worded loosely ("just under 11,000"), so each carries a normalised qualifier to compare with.
"""

from __future__ import annotations

import pandas as pd

from analysis.core.errors import SheetError
from analysis.ingest.textfiles import read_text_table

QUALIFIERS = ("exact", "approximate", "upper bound", "lower bound")
REQUIRED = ["figure_id", "value", "value_qualifier"]


def read_reference_figures(path) -> pd.DataFrame:
    """All columns of reference_figures.csv as text, plus value (int), qualifier (one of
    QUALIFIERS, from the leading words of value_qualifier) and qualifier_text (the raw wording).
    """
    df = read_text_table(path, "reference figures", REQUIRED)

    df["figure_id"] = df["figure_id"].str.strip()
    dup = df["figure_id"].duplicated()
    if dup.any():
        raise SheetError(
            f"duplicate figure_id {df.loc[dup, 'figure_id'].iloc[0]!r}", path=str(path)
        )
    value = df["value"].str.strip().str.replace(",", "", regex=False)
    bad = ~value.str.fullmatch(r"\d+")
    if bad.any():
        raise SheetError(f"non-integer value {df.loc[bad, 'value'].iloc[0]!r}", path=str(path))
    df["value"] = value.astype("int64")

    pattern = "^(" + "|".join(QUALIFIERS) + r")\b"
    df["qualifier"] = df["value_qualifier"].str.strip().str.lower().str.extract(pattern)[0]
    df["qualifier_text"] = df["value_qualifier"]
    unknown = df["qualifier"].isna()
    if unknown.any():
        raise SheetError(
            f"unknown value_qualifier {df.loc[unknown, 'value_qualifier'].iloc[0]!r}",
            path=str(path),
        )
    return df


def lookup(df: pd.DataFrame, figure_id: str) -> pd.Series:
    """The row for one figure_id; a KeyError naming the id (and the known ids) if absent."""
    hit = df[df["figure_id"] == figure_id]
    if hit.empty:
        raise KeyError(f"no reference figure {figure_id!r}; known: {', '.join(df['figure_id'])}")
    return hit.iloc[0]
