"""One row per state (50 + DC) with everything the state-level statistics need, and the
county backlog table with rates where a county population is available.

Why a separate module: the count models, the per-capita ranking and the figures must all use
the *same* state table, so the joins (ICE counts as of a date, Census 2024 population,
FiveThirtyEight 2024 vote, TRAC pending cases) happen here once and fail loudly when a state
is missing from any source instead of silently dropping it.

Units: agreements are rows of the participating sheet, agencies are distinct agencies; both
come from the snapshot in force on ``as_of`` (see query.snapshot_in_force). Territories (PR,
GU, VI, MP, AS) are left out: they have no 2024 presidential vote and no TRAC state row.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..core import paths
from ..engine import query
from ..ingest.textfiles import read_text_table

#: Census Bureau Region 3 ("South"): 16 states and DC. A fixed definition, used only to label
#: states in tables and figures, because the Axios sentence is about "southern states".
SOUTH = frozenset({"DE", "DC", "FL", "GA", "MD", "NC", "SC", "VA", "WV",
                   "AL", "KY", "MS", "TN", "AR", "LA", "OK", "TX"})  # fmt: skip

#: The five states Axios (2025-06-16) called most cooperative (claim
#: axios-five-most-cooperative-states), highlighted in the rankings.
AXIOS_FIVE = ("TX", "FL", "GA", "NC", "VA")

COLUMNS = ["state", "state_name", "agreements", "agencies", "population", "trump_share",
           "harris_share", "trump_two_party_share", "pending_cases", "pending_per_1000",
           "agreements_per_million", "agencies_per_million", "any_agreement", "south",
           "axios_five"]  # fmt: skip


def _processed(name: str) -> pd.DataFrame:
    return pd.read_parquet(paths.PROCESSED_DIR / name)


def counts_as_of(as_of: str, unit: str = "agreements", *, source=None) -> tuple[pd.Series, dict]:
    """Counts by state code on the snapshot in force on ``as_of`` (territories included;
    states with none are absent), and that snapshot's description."""
    result = query.count(as_of, unit=unit, by="state", source=source)
    counts = pd.Series({g["state"]: g["count"] for g in result["groups"]}, dtype="int64")
    return counts.sort_index(), result["snapshot"]


def assemble(
    agreements: pd.Series,
    agencies: pd.Series,
    population: pd.DataFrame,
    election: pd.DataFrame,
    trac_state: pd.DataFrame,
) -> pd.DataFrame:
    """Join counts and context into one row per state (50 + DC), sorted by state code.

    ``population`` needs state, state_name, population_2024 (and is_state, if present, to
    drop Puerto Rico); ``election`` needs state, trump_share, harris_share,
    trump_two_party_share; ``trac_state`` needs state, pending. The states are those of the
    population table; a state missing from the election or TRAC table raises ValueError (a
    silent NaN would drop it from every model). States absent from the counts have 0:
    absence from ICE's sheet means no agreement. Counts for codes not in the population
    table (territories) are ignored here and must be reported by the caller.
    """
    pop = population
    if "is_state" in pop.columns:
        pop = pop[pop["is_state"]]
    base = pop[["state", "state_name", "population_2024"]].rename(columns={"population_2024": "population"})
    if base["state"].duplicated().any():
        raise ValueError(f"population table repeats states: {sorted(base.loc[base['state'].duplicated(), 'state'])}")
    for name, table, cols in (("election", election, ["trump_share", "harris_share", "trump_two_party_share"]),
                              ("TRAC state", trac_state, ["pending"])):  # fmt: skip
        missing = sorted(set(base["state"]) - set(table["state"]))
        if missing:
            raise ValueError(f"{name} table has no row for: {missing}")
        base = base.merge(table[["state", *cols]], on="state", how="left", validate="one_to_one")
    df = base.rename(columns={"pending": "pending_cases"})
    df["agreements"] = df["state"].map(agreements).fillna(0).astype("int64")
    df["agencies"] = df["state"].map(agencies).fillna(0).astype("int64")
    if (df["population"] <= 0).any():
        raise ValueError("population must be positive")
    df["pending_per_1000"] = df["pending_cases"] / df["population"] * 1_000
    df["agreements_per_million"] = df["agreements"] / df["population"] * 1_000_000
    df["agencies_per_million"] = df["agencies"] / df["population"] * 1_000_000
    df["any_agreement"] = (df["agreements"] > 0).astype("int64")
    df["south"] = df["state"].isin(SOUTH)
    df["axios_five"] = df["state"].isin(AXIOS_FIVE)
    return df[COLUMNS].sort_values("state", ignore_index=True)


def build(as_of: str, *, source=None) -> tuple[pd.DataFrame, dict]:
    """The state table as of ``as_of`` from the processed tables, and a description of its
    sources: snapshot (file, published), territories left out and their agreement count."""
    agreements, snapshot = counts_as_of(as_of, "agreements", source=source)
    agencies, _ = counts_as_of(as_of, "agencies", source=source)
    population = _processed("population.parquet")
    panel = assemble(agreements, agencies, population, _processed("election_2024.parquet"),
                     _processed("trac_state.parquet"))  # fmt: skip
    left_out = agreements[~agreements.index.isin(panel["state"])]
    info = {
        "as_of": str(as_of),
        "snapshot_file": snapshot["file"],
        "snapshot_published": snapshot["published"],
        "snapshot_edition": snapshot["edition"],
        "territories_left_out": {str(k): int(v) for k, v in left_out.items()},
        "agreements_total_incl_territories": int(agreements.sum()),
        "population": "Census Vintage 2024, July 1, 2024 estimate",
        "vote": "FiveThirtyEight 2024 presidential general election, certified state totals",
        "pending": "TRAC pending immigration-court cases by address, state table (undated, mid-to-late 2025)",
    }
    return panel, info


# --------------------------------------------------------------------------- counties


def read_county_population(path: str | Path) -> pd.DataFrame:
    """County populations from a Census county estimates file (co-est2024-alldata.csv layout:
    SUMLEV, STATE, COUNTY, POPESTIMATE2024; SUMLEV 050 = county). Returns fips, population.

    No such file is pinned in this project (see the notebook); this reader lets anyone who
    adds one get county rates without changing the analysis.
    """
    raw = read_text_table(path, "county population table", ["SUMLEV", "STATE", "COUNTY", "POPESTIMATE2024"],
                          encoding="latin-1")  # fmt: skip
    df = raw[raw["SUMLEV"].str.strip().str.zfill(3) == "050"]
    pop = df["POPESTIMATE2024"].str.strip().str.replace(",", "", regex=False)
    bad = ~pop.str.fullmatch(r"\d+")
    if bad.any():
        raise ValueError(f"non-numeric POPESTIMATE2024 {pop[bad].iloc[0]!r} in {path}")
    out = pd.DataFrame({
        "fips": df["STATE"].str.strip().str.zfill(2) + df["COUNTY"].str.strip().str.zfill(3),
        "population": pop.astype("int64"),
    })
    if out["fips"].duplicated().any():
        raise ValueError(f"duplicate county FIPS {out.loc[out['fips'].duplicated(), 'fips'].iloc[0]!r} in {path}")
    return out.reset_index(drop=True)


def county_rates(trac_county: pd.DataFrame, population: pd.DataFrame | None = None, top_n: int = 15) -> pd.DataFrame:
    """The ``top_n`` counties by pending immigration-court cases, with cases per 1,000
    residents when a county population table (fips, population) is given.

    Ranked by count (ties by FIPS). Without population the per-1,000 column is absent, not
    NaN, so nobody plots an empty rate. A listed county missing from the population table
    raises ValueError. Note the rate's numerator is people whose *latest address* is in the
    county, which for detained people is often the detention centre's county.
    """
    if top_n < 1:
        raise ValueError("top_n must be at least 1")
    df = trac_county.sort_values(["pending", "fips"], ascending=[False, True], ignore_index=True).head(top_n)
    df = df[["fips", "state", "county", "pending", "is_nyc"]].copy()
    df.insert(0, "rank", range(1, len(df) + 1))
    if population is not None:
        pop = population.set_index("fips")["population"]
        missing = sorted(set(df["fips"]) - set(pop.index))
        if missing:
            raise ValueError(f"no county population for FIPS {missing}")
        df["population"] = df["fips"].map(pop).astype("int64")
        df["pending_per_1000"] = df["pending"] / df["population"] * 1_000
    return df


def state_pending_rates(panel: pd.DataFrame, top_n: int | None = None) -> pd.DataFrame:
    """Pending immigration-court cases per 1,000 residents by state, highest first (ties by
    state code): the state-level rate, which the pinned data do support."""
    cols = ["state", "state_name", "pending_cases", "population", "pending_per_1000"]
    out = panel[cols].sort_values(["pending_per_1000", "state"], ascending=[False, True], ignore_index=True)
    return out if top_n is None else out.head(top_n)
