"""Immigration-court backlog per resident by county, beside each county's 287(g) status.

Why: the statistics notebook's section "Court backlog per resident against 287(g) coverage by
county" and the engine's ``trac-county`` measure in ``cases_per_1000`` read one table, built here:
TRAC's pending cases by county (undated) over Census Vintage 2024 county population, joined on the
5-digit FIPS, and the status of the county on ICE's participating sheet in force on a day
(coverage.py: a county agreement of its sheriff or jail, local agreements only, or none).

Join rules (docs/methods.md, "Court backlog per resident"):

- New York City's five boroughs are five counties in both tables and are joined one to one
  (trac.nyc_combined sums them when a sentence speaks of the city).
- Connecticut: TRAC lists the 8 former counties (09001-09015), Census 2024 the 9 planning regions
  (09110-09190), which do not nest in them; the 8 are left unjoined, not apportioned.
- Puerto Rico (no rows in the Census county table) and Alaska's retired Valdez-Cordova code
  (02261, split in 2019) are unjoined too. Unjoined counties stay in the table, listed with the
  reason, with no rate and no rank.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import coverage

CENSUS_COUNTY_SOURCE = "census_popest_v2024_county/co-est2024-alldata.csv"
PER = 1_000
#: the table's columns, in order
COLUMNS = ["rank", "fips", "county", "state", "pending", "population_2024", "per_1000", "status", "models_287g",
           "unjoined_reason"]  # fmt: skip


def _unjoined_reason(fips: str) -> str:
    if fips.startswith("09"):
        return "Connecticut former county: Census 2024 has planning regions, which do not nest in counties"
    if fips.startswith("72"):
        return "Puerto Rico: not in the Census county population table"
    return "FIPS not in the Census 2024 county table (a retired code)"


def county_table(panel, as_of: str | dt.date) -> pd.DataFrame:
    """Every county of TRAC's table (none dropped): pending cases, Census 2024 population, pending per
    1,000 residents (3 decimals), its competition rank (1 = highest; unjoined counties unranked) and
    its 287(g) status on the participating sheet in force on ``as_of``. Highest rate first."""
    snap = panel.in_force(as_of, "participating")
    return panel.derived(("backlog.county_table", snap["snapshot_id"]), lambda: _county_table(panel, snap))


def _county_table(panel, snap) -> pd.DataFrame:
    out = panel.derived(("backlog.rates",), lambda: _rates(panel)).merge(
        coverage.county_status(panel.roles(snap["snapshot_id"])), on="fips", how="left")  # fmt: skip
    out["status"] = out["status"].fillna(coverage.STATUS_NONE)
    out["models_287g"] = out["models_287g"].fillna("")
    return out[COLUMNS]


def _rates(panel) -> pd.DataFrame:
    """TRAC's counties with their population, rate, rank and unjoined reason, highest rate first: the
    part of the county table no sheet changes (made once per panel; a claims file asks it per day)."""
    out = panel.trac().merge(panel.county_population()[["fips", "population_2024"]], on="fips", how="left")
    out["population_2024"] = out["population_2024"].astype("Int64")
    pop = out["population_2024"].astype("float64")
    out["per_1000"] = (out["pending"] / pop * PER).round(3)
    out["rank"] = out["per_1000"].rank(method="min", ascending=False).astype("Int64")
    out["unjoined_reason"] = [("" if j else _unjoined_reason(f)) for f, j in zip(out["fips"], out["per_1000"].notna())]
    return out.sort_values(["per_1000", "fips"], ascending=[False, True], na_position="last", ignore_index=True)


def sources(panel) -> dict[str, dict[str, str]]:
    """The two files behind the rate, with their pinned sha256."""
    from ..ingest.trac import TRAC_SOURCE

    return {"trac": {"file": TRAC_SOURCE, "sha256": panel.sha256_of(TRAC_SOURCE)},
            "census": {"file": CENSUS_COUNTY_SOURCE, "sha256": panel.sha256_of(CENSUS_COUNTY_SOURCE)}}  # fmt: skip


@dataclass(frozen=True)
class BacklogModel:
    """A fitted association between a county's 287(g) status and its backlog per resident."""

    n: int  # counties used (joined, population > 0)
    n_states: int  # clusters
    rate_ratios: pd.DataFrame  # term, rate_ratio, ci_low, ci_high, p_value (vs counties with none)
    results: Any  # statsmodels GLM results
    assumptions: str


ASSUMPTIONS = (
    "Poisson pseudo-maximum likelihood: E[pending] = population x exp(state effect + status effect); only the "
    "mean must be right (overdispersion is allowed), and standard errors are cluster-robust by state. Counties "
    "in one state are comparable after the state effect; states are independent. Status is that of the sheet "
    "in force on the day; TRAC's table is undated, so timing is not aligned. TRAC counts a detained person at "
    "the detention site, and county jails with 287(g) agreements are detention sites: the ratios describe "
    "association, not an effect of 287(g). Unjoined counties (Connecticut, Puerto Rico) are left out."
)


def fit_model(table: pd.DataFrame) -> BacklogModel:
    """Pending cases on 287(g) status with log population as offset and state fixed effects.

    Assumptions (see ASSUMPTIONS): a log-linear mean (Poisson PML, Santos Silva & Tenreyro 2006),
    which stays consistent under overdispersion; cluster-robust SE by state (about 50 clusters);
    associations only: detention sites inflate TRAC's counts where county jails hold agreements."""
    import statsmodels.api as sm

    used = table[table["per_1000"].notna() & (table["population_2024"].astype("float64") > 0)].copy()
    if used.empty:
        raise ValueError("no county with both a TRAC count and a population")
    levels = [s for s in (coverage.STATUS_COUNTY, coverage.STATUS_LOCAL) if (used["status"] == s).any()]
    X = pd.DataFrame({s: (used["status"] == s).astype(float) for s in levels}, index=used.index)
    states = pd.get_dummies(used["state"], prefix="state", drop_first=True, dtype=float)
    X = sm.add_constant(pd.concat([X, states], axis=1), has_constant="add")
    groups = pd.factorize(used["state"], sort=True)[0]
    model = sm.GLM(used["pending"].astype(float), X, family=sm.families.Poisson(),
                   offset=np.log(used["population_2024"].astype(float)))  # fmt: skip
    res = model.fit(cov_type="cluster", cov_kwds={"groups": groups})
    conf = res.conf_int()
    ratios = pd.DataFrame({
        "term": levels,
        "rate_ratio": np.exp(res.params[levels]).to_numpy(),
        "ci_low": np.exp(conf.loc[levels, 0]).to_numpy(),
        "ci_high": np.exp(conf.loc[levels, 1]).to_numpy(),
        "p_value": res.pvalues[levels].to_numpy(),
    })  # fmt: skip
    return BacklogModel(len(used), int(used["state"].nunique()), ratios, res, ASSUMPTIONS)


def describe_model(fit: BacklogModel) -> list[str]:
    """One sentence per status, in words: rate ratio against counties with no agreement."""
    out = []
    for r in fit.rate_ratios.itertuples(index=False):
        out.append(f"Counties with {r.term}: {r.rate_ratio:.2f} times the pending cases per resident of counties "
                   f"with none in the same state (95% CI {r.ci_low:.2f}-{r.ci_high:.2f}; {fit.n:,} counties, "
                   f"{fit.n_states} state clusters; an association, not an effect)")  # fmt: skip
    return out
