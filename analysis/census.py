"""Census Vintage 2024 state population estimates (NST-EST2024-ALLDATA.csv).

Why: per-capita comparisons ("X pending cases per 1,000 residents") need a population
denominator for the same period; POPESTIMATE2024 is the July 1, 2024 estimate.
"""

from __future__ import annotations

import pandas as pd
import us

from analysis.errors import SheetError
from analysis.textfiles import read_text_table

FIPS_TO_USPS = us.states.mapping("fips", "abbr")
TERRITORIES = frozenset(t.abbr for t in us.states.TERRITORIES)  # PR, GU, VI, AS, MP; not DC

# The copy we pin has '  c' where the official file has 'SUMLEV' (see the MANIFEST notes).
SUMLEV_HEADERS = ("SUMLEV", "c")
STATE_SUMLEV = "040"
REQUIRED = ["STATE", "NAME", "POPESTIMATE2024"]


def read_state_population(path) -> pd.DataFrame:
    """One row per state-level (SUMLEV 040) record: 50 states, DC and Puerto Rico.

    Columns: fips, state (USPS), state_name, population_2024 (int), is_state (False only for
    territories, i.e. Puerto Rico), so callers can choose whether PR belongs in a denominator.
    """
    raw = read_text_table(path, "census table", encoding="latin-1")
    first = raw.columns[0]
    if first.strip() not in SUMLEV_HEADERS:
        raise SheetError(
            f"first column is {first!r}; expected 'SUMLEV' (or the known '  c' quirk)",
            path=str(path),
        )
    raw = raw.rename(columns={first: "SUMLEV"})
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise SheetError(f"missing column(s) {missing} in census table", path=str(path))

    df = raw[raw["SUMLEV"].str.strip().str.zfill(3) == STATE_SUMLEV]
    df = pd.DataFrame({
        "fips": df["STATE"].str.strip().str.zfill(2),
        "state_name": df["NAME"].str.strip(),
        "pop": df["POPESTIMATE2024"].str.strip().str.replace(",", "", regex=False),
    })
    if df.empty:
        raise SheetError("no SUMLEV 040 (state) rows", path=str(path))
    bad = ~df["pop"].str.fullmatch(r"\d+")
    if bad.any():
        raise SheetError(
            f"non-numeric POPESTIMATE2024 {df.loc[bad, 'pop'].iloc[0]!r}", path=str(path)
        )
    df["state"] = df["fips"].map(FIPS_TO_USPS)
    if df["state"].isna().any():
        raise SheetError(
            f"unknown state FIPS {df.loc[df['state'].isna(), 'fips'].iloc[0]!r}", path=str(path)
        )
    if df["fips"].duplicated().any():
        raise SheetError(
            f"duplicate state FIPS {df.loc[df['fips'].duplicated(), 'fips'].iloc[0]!r}",
            path=str(path),
        )
    df["population_2024"] = df["pop"].astype("int64")
    df["is_state"] = ~df["state"].isin(TERRITORIES)
    return df[["fips", "state", "state_name", "population_2024", "is_state"]].reset_index(drop=True)
