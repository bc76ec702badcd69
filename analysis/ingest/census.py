"""Census Vintage 2024 state population estimates (NST-EST2024-ALLDATA.csv).

Why: per-capita comparisons ("X pending cases per 1,000 residents") need a population
denominator for the same period; POPESTIMATE2024 is the July 1, 2024 estimate.
"""

from __future__ import annotations

import pandas as pd
import us

from analysis.core import table_spec
from analysis.core.errors import SheetError
from analysis.ingest.textfiles import read_text_table

FIPS_TO_USPS = us.states.mapping("fips", "abbr")
TERRITORIES = frozenset(t.abbr for t in us.states.TERRITORIES)  # PR, GU, VI, AS, MP; not DC
#: the 50 states and DC: every "states (and DC)" count, universe and denominator reads this one set
STATES_AND_DC = frozenset(s.abbr for s in us.states.STATES) | {"DC"}

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
    return df[table_spec.POPULATION.names].reset_index(drop=True)


COUNTY_SUMLEV = "050"
COUNTY_REQUIRED = ["SUMLEV", "STATE", "COUNTY", "STNAME", "CTYNAME", "POPESTIMATE2024"]


def read_county_population(path) -> pd.DataFrame:
    """One row per county (SUMLEV 050) of co-est2024-alldata.csv, checked against its state rows.

    Columns: fips (5 digits), state (USPS), county_name (as Census prints it: 'Doña Ana County',
    Connecticut's 'Capitol Planning Region'), population_2024 (int). The file is Latin-1; a county
    total that differs from its state row (SUMLEV 040) means a misread file and is refused.
    """
    from analysis.core import schemas

    raw = read_text_table(path, "census county table", COUNTY_REQUIRED, encoding="latin-1")
    raw = raw[COUNTY_REQUIRED].apply(lambda s: s.str.strip())
    level = raw["SUMLEV"].str.zfill(3)
    bad = ~raw["POPESTIMATE2024"].str.fullmatch(r"\d+")
    if bad.any():
        raise SheetError(f"non-numeric POPESTIMATE2024 {raw.loc[bad, 'POPESTIMATE2024'].iloc[0]!r}", path=str(path))
    pop = raw["POPESTIMATE2024"].astype("int64")
    states = raw["STATE"].str.zfill(2)
    counties = raw[level == COUNTY_SUMLEV]
    df = pd.DataFrame({
        "fips": states[counties.index] + counties["COUNTY"].str.zfill(3),
        "state": states[counties.index].map(FIPS_TO_USPS),
        "county_name": counties["CTYNAME"],
        "population_2024": pop[counties.index],
    }).reset_index(drop=True)  # fmt: skip
    if df.empty:
        raise SheetError("no SUMLEV 050 (county) rows", path=str(path))
    if df["state"].isna().any():
        raise SheetError(f"unknown state FIPS in {df.loc[df['state'].isna(), 'fips'].iloc[0]!r}", path=str(path))
    if df["fips"].duplicated().any():
        raise SheetError(f"duplicate county FIPS {df.loc[df['fips'].duplicated(), 'fips'].iloc[0]!r}", path=str(path))
    state_rows = pop[level == STATE_SUMLEV].groupby(states[level == STATE_SUMLEV]).sum()
    sums = df.groupby(df["fips"].str[:2])["population_2024"].sum()
    differ = sums.index[sums.ne(state_rows.reindex(sums.index))]  # a state without its row differs too
    if len(differ):
        first = differ[0]
        said = f"{state_rows[first]:,}" if first in state_rows.index else "nothing (no SUMLEV 040 row)"
        raise SheetError(
            f"counties of state {first} sum to {sums[first]:,}; its state row says {said}",
            path=str(path),
        )
    schemas.validate_table(schemas.COUNTY_POPULATION, df, "county population table")
    return df
