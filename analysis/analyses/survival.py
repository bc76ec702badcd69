"""How long an agreement stays on ICE's list: Kaplan-Meier curves and a Cox model of time to removal.

Why survival analysis: most agreements are still listed on the newest sheet, so their time to
removal is not known, only that it is longer than what we saw (right censoring). Averaging the
removal times of the removed ones, or counting removals per agreement, would ignore them. The
estimators come from lifelines (a maintained survival library), not from hand-written code.

The data are the archive's history spells (history.parquet), participating agreements:

- time origin: the date ICE gives as signed (every spell has one but one, which is dropped);
- entry (left truncation): the first sheet that lists the agreement. An agreement only enters the
  data once listed, and the archive starts on 2021-01-13, so the 151 agreements already listed
  then are seen only because they had not been removed by that day; counting their years before
  it as time at risk would make removal look rarer than it is. Each agreement is at risk from its
  entry on;
- event: removal (status ``removed``). Still listed on the newest sheet, re-signed, or re-dated
  (the same agency and model continuing under another signed date) are censored on the day they
  were last followed;
- removal time: ``removed_by``, the first sheet that no longer lists it. ICE does not say when in the
  window between the last sheet listing it and that one the agreement ended (interval censoring).
  We use the window's end, a stated simplification: windows are 0-18 days (median 2) against
  times at risk of months to years, so the curves move by at most a few days.

What the intervals mean: the agreements ever listed are all there is, so the uncertainty is about
the removal process (the hazard that would produce removals like these), not about a sample.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

DAYS_PER_YEAR = 365.25
#: the covariates of the Cox model, with the reading of each hazard ratio
COX_TERMS = {
    "tfm": "Task Force Model agreement (against Jail Enforcement)",
    "wso": "Warrant Service Officer agreement (against Jail Enforcement)",
    "florida": "agency in Florida (against other states)",
    "signed_2025_on": "signed on or after the inauguration (against earlier agreements)",
}


def survival_table(history: pd.DataFrame, snapshots: pd.DataFrame, inauguration: Any, kind: str = "participating") -> pd.DataFrame:
    """One row per agreement spell: signed, entry and exit dates, years from signing to entry
    (``entry``) and to exit (``duration``), ``removed`` (1 = removed, 0 = censored), the window
    width in days, and the Cox covariates (model dummies, Florida, signed on or after the
    inauguration)."""
    spells = history[(history["unit"] == "agreement") & (history["kind"] == kind)].copy()
    spells = spells[spells["signed"].notna()]
    last_sheet = pd.to_datetime(snapshots.loc[snapshots["kind"] == kind, "published"]).max()
    signed = pd.to_datetime(spells["signed"])
    first = pd.to_datetime(spells["first_seen"])
    removed = spells["status"].eq("removed")
    exit_day = pd.to_datetime(spells["removed_by"]).where(spells["status"].ne("active"), last_sheet)
    out = pd.DataFrame({
        "id": spells["id"].to_numpy(), "state": spells["state"].to_numpy(), "model": spells["model"].astype(str).to_numpy(),
        "status": spells["status"].to_numpy(), "signed": signed.to_numpy(), "first_seen": first.to_numpy(),
        "exit": exit_day.to_numpy(),
        "entry": ((first - signed).dt.days / DAYS_PER_YEAR).to_numpy(),
        "duration": ((exit_day - signed).dt.days / DAYS_PER_YEAR).to_numpy(),
        "removed": removed.astype(int).to_numpy(),
        "window_days": pd.to_numeric(spells["window_days"], errors="coerce").to_numpy(),
    })  # fmt: skip
    # an agreement listed and removed between two sheets of the same day has zero time at risk
    out["duration"] = np.maximum(out["duration"], out["entry"] + 0.5 / DAYS_PER_YEAR)
    out["tfm"] = (out["model"] == "TFM").astype(int)
    out["wso"] = (out["model"] == "WSO").astype(int)
    out["florida"] = (out["state"] == "FL").astype(int)
    out["signed_2025_on"] = (out["signed"] >= pd.Timestamp(inauguration)).astype(int)
    return out.sort_values(["signed", "id"], ignore_index=True)


def kaplan_meier(table: pd.DataFrame, by: str | None = None, alpha: float = 0.05) -> dict[str, Any]:
    """lifelines Kaplan-Meier fits (with left truncation at entry), one per level of ``by`` (or one
    for all): {label: fitted KaplanMeierFitter}."""
    from lifelines import KaplanMeierFitter

    groups = [("all agreements", table)] if by is None else [(str(k), g) for k, g in table.groupby(by, sort=True)]
    out = {}
    for label, g in groups:
        out[label] = KaplanMeierFitter(alpha=alpha, label=label).fit(g["duration"], g["removed"], entry=g["entry"])
    return out


def survival_at(fitters: dict[str, Any], years: list[float]) -> pd.DataFrame:
    """Each curve's probability of still being listed ``years`` after signing, with its pointwise
    interval (Greenwood, log-log as lifelines computes it), and the number still at risk then."""
    rows = []
    for label, kmf in fitters.items():
        ci = kmf.confidence_interval_survival_function_
        for t in years:
            s = float(kmf.survival_function_at_times(t).iloc[0])
            at = ci[ci.index <= t]
            lo, hi = (float(at.iloc[-1, 0]), float(at.iloc[-1, 1])) if len(at) else (1.0, 1.0)
            at_risk = int(kmf.event_table.loc[kmf.event_table.index <= t, "at_risk"].iloc[-1]) if (kmf.event_table.index <= t).any() else 0
            rows.append({"group": label, "years": t, "still_listed": s, "ci_low": lo, "ci_high": hi, "at_risk": at_risk})
    return pd.DataFrame(rows)


@dataclass
class CoxResult:
    """A Cox proportional-hazards model of time to removal (lifelines CoxPHFitter, Efron ties,
    left truncation at entry)."""

    hazard_ratios: pd.DataFrame  # term, meaning, hazard_ratio, ci_low, ci_high, p_value
    ph_test: pd.DataFrame  # term, correlation, p_value: Schoenfeld residuals against the rank of removal time
    n: int
    events: int
    concordance: float
    fitter: Any = field(repr=False)


def cox_model(table: pd.DataFrame, terms: list[str] | None = None, alpha: float = 0.05) -> CoxResult:
    """Hazard ratios of removal for the ``COX_TERMS`` covariates: a ratio of 2 means agreements
    with that feature were removed at twice the rate, at any time since signing, of agreements
    without it, the others held fixed. The proportional-hazards assumption (one ratio at every
    duration) is checked with ``schoenfeld_check``."""
    from lifelines import CoxPHFitter

    terms = list(COX_TERMS) if terms is None else list(terms)
    data = table[["duration", "removed", "entry", *terms]].astype(float)
    with warnings.catch_warnings():  # lifelines 0.30 calls pandas reductions positionally (pandas 4 will refuse)
        warnings.filterwarnings("ignore", message="Starting with pandas version 4.0", module="lifelines")
        cph = CoxPHFitter(alpha=alpha).fit(data, duration_col="duration", event_col="removed", entry_col="entry")
    s = cph.summary
    lo_col = [c for c in s.columns if c.startswith("exp(coef) lower")][0]
    hi_col = [c for c in s.columns if c.startswith("exp(coef) upper")][0]
    hr = pd.DataFrame({"term": terms, "meaning": [COX_TERMS.get(t, t) for t in terms],
                       "hazard_ratio": s.loc[terms, "exp(coef)"].to_numpy(), "ci_low": s.loc[terms, lo_col].to_numpy(),
                       "ci_high": s.loc[terms, hi_col].to_numpy(), "p_value": s.loc[terms, "p"].to_numpy()})  # fmt: skip
    return CoxResult(hazard_ratios=hr, ph_test=schoenfeld_check(data, terms), n=len(data), events=int(data["removed"].sum()),
                     concordance=float(cph.concordance_index_), fitter=cph)


def schoenfeld_check(data: pd.DataFrame, terms: list[str]) -> pd.DataFrame:
    """Does a hazard ratio drift with time since signing? For each covariate, the correlation of its
    Schoenfeld residuals with the rank of the removal times (Grambsch and Therneau's idea, without
    their variance scaling), with its p-value; a clear correlation means the ratio changes over
    time and the model's single ratio is an average. lifelines computes no residuals for
    left-truncated data, so the residuals are statsmodels' PHReg's on the same model (Efron ties)."""
    from scipy.stats import pearsonr, rankdata
    from statsmodels.duration.hazard_regression import PHReg

    fit = PHReg(data["duration"], data[terms], status=data["removed"], entry=data["entry"], ties="efron").fit()
    resid = np.asarray(fit.schoenfeld_residuals)
    events = data["removed"].to_numpy() == 1
    ranks = rankdata(data["duration"].to_numpy()[events])
    rows = []
    for j, term in enumerate(terms):
        r = resid[events, j]
        ok = np.isfinite(r)
        corr, p = pearsonr(ranks[ok], r[ok]) if ok.sum() > 2 and np.std(r[ok]) > 0 else (np.nan, np.nan)
        rows.append({"term": term, "correlation": float(corr), "p_value": float(p)})
    return pd.DataFrame(rows)
