"""One row per state (50 + DC) with everything the state-level statistics need, and the
county backlog table with rates where a county population is available.

Why a separate module: the count models, the per-capita ranking and the figures must all use
the *same* state table, so the joins (ICE counts as of a date, Census 2024 population,
FiveThirtyEight 2024 vote, TRAC pending cases) happen here once and fail loudly when a state
is missing from any source instead of silently dropping it.

Units: agreements are rows of the participating sheet, agencies are distinct agencies; both
are the engine's counts (``measures.evaluate``) on the sheet in force on ``as_of``, read from the
panel the caller passes (the archive panel by default). Territories (PR, GU, VI, MP, AS) are left
out: they have no 2024 presidential vote and no TRAC state row.
"""

from __future__ import annotations

import pandas as pd

from ..engine import measures

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


def counts_as_of(as_of: str, panel: measures.Panel, unit: str = "agreements") -> tuple[pd.Series, dict]:
    """The engine's counts by state code on the sheet in force on ``as_of`` (territories included;
    states with none are absent), and that sheet's record (file, sha256, published, edition)."""
    ev = measures.evaluate(measures.Measure(unit=unit, statistic="breakdown", by="state"), as_of, panel)
    counts = pd.Series(ev.value, dtype="int64")
    return counts.sort_index(), ev.snapshot


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


def build(as_of: str, panel: measures.Panel) -> tuple[pd.DataFrame, dict]:
    """The state table as of ``as_of`` from the panel's processed tables, and a description of its
    sources: the sheet (file, published, edition), territories left out and their agreement count."""
    agreements, snapshot = counts_as_of(as_of, panel, "agreements")
    agencies, _ = counts_as_of(as_of, panel, "agencies")

    def processed(name: str) -> pd.DataFrame:
        return pd.read_parquet(panel.base / name)

    table = assemble(agreements, agencies, processed("population.parquet"), processed("election_2024.parquet"),
                     processed("trac_state.parquet"))  # fmt: skip
    left_out = agreements[~agreements.index.isin(table["state"])]
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
        "panel": panel.source,
    }
    return table, info


def state_pending_rates(panel: pd.DataFrame, top_n: int | None = None) -> pd.DataFrame:
    """Pending immigration-court cases per 1,000 residents by state, highest first (ties by
    state code): the state-level rate, which the pinned data do support."""
    cols = ["state", "state_name", "pending_cases", "population", "pending_per_1000"]
    out = panel[cols].sort_values(["pending_per_1000", "state"], ascending=[False, True], ignore_index=True)
    return out if top_n is None else out.head(top_n)
