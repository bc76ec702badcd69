"""Read the context data's delimited text files the same way everywhere: every cell as text
(so FIPS codes and editions keep their leading zeros), and a one-line SheetError naming the file
when it cannot be read or lacks a column."""

from __future__ import annotations

import pandas as pd

from ..core.errors import SheetError


def read_text_table(path, what: str, required=(), **read_csv_kwargs) -> pd.DataFrame:
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, **read_csv_kwargs)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise SheetError(f"cannot read {what}: {err}", path=str(path)) from err
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise SheetError(f"missing column(s) {missing} in {what}", path=str(path))
    return df
