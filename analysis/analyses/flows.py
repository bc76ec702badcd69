"""Agreements added and removed, week by week, from the archive's history: the flows behind the stock.

Why flows and not the stock: the number of agreements listed is a running sum (additions minus
removals), so a regression of the stock on time has residuals that follow each other for months
(stock_trend.py keeps that fit as a contrast). The flows are what a policy could change: how many
agreements ICE adds in a week, and how many it drops. They are counts over intervals of unequal
length (ICE posted on irregular days), so each model here is a count model with log(days) as the
exposure: the coefficients are rates per day, whatever the interval.

The unit of time is the week: each interval runs from the last sheet of one week (Monday to Sunday)
with a sheet to the last sheet of the next such week, so a week without any sheet is folded into
the next interval, and its exposure counts every day.

What the intervals mean: the sheets are a census, so there is no sampling error in a week's count;
the uncertainty is about the process, the rate at which agreements arrive, of which each week's
count is one noisy outcome. The negative binomial lets that noise be larger than Poisson's (weeks
of batch postings), and the event-study windows are compared with placebo dates, where no policy
changed, to show how much a window moves by chance.

Agreement accounting, from ``history.parquet``'s spells: a spell starts on ``first_seen`` and ends
on ``removed_by`` (the first sheet that no longer lists it). A start is a new listing (a new
agreement, or one listed again after a gap) unless it ``replaces`` an agreement that was re-signed
or re-dated; an end is a removal (status ``removed``) or the replaced side of such a re-signing.
``net = added + resigned_in - removed - resigned_out`` holds exactly for every interval.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

#: event-study bins, in weeks relative to the policy date (week 0 starts on the date); the bin just
#: before the date is the reference every other bin is compared with
EVENT_BINS: tuple[tuple[int, int], ...] = ((-12, -9), (-8, -5), (-4, -1), (0, 3), (4, 7), (8, 11))
REFERENCE_BIN = (-4, -1)
#: the bin whose rate ratio a placebo date is judged on: the four weeks after the date
FIRST_BIN_AFTER = (0, 3)
#: placebo dates are the first day of each month whose whole event window lies in the archive's
#: growth period and that is at least this many days from every policy date
PLACEBO_MIN_DAYS = 28


def day_sheets(snapshots: pd.DataFrame, kind: str = "participating") -> pd.DataFrame:
    """The sheet in force at the end of each day: the day's last edition (snapshot_id, published)."""
    snaps = snapshots[snapshots["kind"] == kind].copy()
    snaps["published"] = pd.to_datetime(snaps["published"])
    snaps = snaps.sort_values(["published", "edition_order"], kind="stable")
    return snaps.drop_duplicates("published", keep="last")[["snapshot_id", "published"]].reset_index(drop=True)


def _between(dates: pd.Series, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """How many of ``dates`` fall in (lo, hi] for each interval."""
    d = np.sort(pd.to_datetime(dates.dropna()).to_numpy(dtype="datetime64[ns]"))
    return np.searchsorted(d, hi, side="right") - np.searchsorted(d, lo, side="right")


def flow_table(history: pd.DataFrame, snapshots: pd.DataFrame, unit: str = "agreements",
               kind: str = "participating", freq: str = "W-SUN") -> pd.DataFrame:
    """One row per interval between consecutive week-end sheets (see the module docstring).

    Columns: start, end (dates of the two sheets), end_snapshot, days, stock_start, stock_end, net,
    added, resigned_in, removed, resigned_out. ``unit`` is "agreements" (agreement ids) or
    "agencies" (agency ids; an agency is never re-signed, so its resigned columns are 0).
    """
    key = {"agreements": "agreement", "agencies": "agency"}[unit]
    spells = history[(history["unit"] == key) & (history["kind"] == kind)]
    days = day_sheets(snapshots, kind)
    days["week"] = days["published"].dt.to_period(freq)
    ends = days.groupby("week", sort=True).tail(1).reset_index(drop=True)
    out = pd.DataFrame({"start": ends["published"].shift(1), "end": ends["published"],
                        "end_snapshot": ends["snapshot_id"]}).iloc[1:].reset_index(drop=True)
    lo, hi = out["start"].to_numpy(dtype="datetime64[ns]"), out["end"].to_numpy(dtype="datetime64[ns]")
    out["days"] = (out["end"] - out["start"]).dt.days.astype(int)
    first = pd.to_datetime(spells["first_seen"]).to_numpy(dtype="datetime64[ns]")
    gone = pd.to_datetime(spells["removed_by"]).astype("datetime64[ns]").fillna(pd.Timestamp.max).to_numpy(dtype="datetime64[ns]")
    order_first, order_gone = np.sort(first), np.sort(gone)

    def stock(t: np.ndarray) -> np.ndarray:  # spells started on or before t and not yet gone
        return np.searchsorted(order_first, t, side="right") - np.searchsorted(order_gone, t, side="right")

    out["stock_start"], out["stock_end"] = stock(lo), stock(hi)
    out["net"] = out["stock_end"] - out["stock_start"]
    replaces = spells["replaces"].notna()
    out["added"] = _between(spells.loc[~replaces, "first_seen"], lo, hi)
    out["resigned_in"] = _between(spells.loc[replaces, "first_seen"], lo, hi)
    out["removed"] = _between(spells.loc[spells["status"] == "removed", "removed_by"], lo, hi)
    out["resigned_out"] = _between(spells.loc[spells["status"].isin(["re-signed", "signed date changed"]), "removed_by"], lo, hi)
    out.insert(0, "unit", unit)
    return out


@dataclass
class CountFit:
    """A count model's coefficients (without NB's alpha), their covariance, and its fitted means."""

    params: pd.Series
    cov: np.ndarray
    pvalues: pd.Series
    alpha: float  # NB2 dispersion; 0 when the fit fell back to Poisson
    model: str
    mu: np.ndarray
    llf: float
    results: Any = field(repr=False)

    def conf_int(self, level: float = 0.05) -> np.ndarray:
        from scipy.stats import norm

        se = np.sqrt(np.diag(self.cov))
        z = norm.ppf(1 - level / 2)
        return np.column_stack([self.params.to_numpy() - z * se, self.params.to_numpy() + z * se])


def _nb(y: pd.Series, X: pd.DataFrame, exposure: pd.Series) -> CountFit:
    """Negative binomial (NB2) with log(exposure) as offset, started from the Poisson fit. When the
    data show no extra-Poisson variance the NB's alpha runs to 0 and its fit degenerates: then a
    Poisson GLM with robust (sandwich) standard errors, which needs no variance assumption."""
    import warnings

    import statsmodels.api as sm
    from statsmodels.discrete.discrete_model import NegativeBinomial

    k = X.shape[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pois = sm.GLM(y, X, family=sm.families.Poisson(), exposure=exposure).fit()
        start = np.append(pois.params.to_numpy(), 0.5)
        fit = NegativeBinomial(y, X, loglike_method="nb2", exposure=exposure).fit(
            start_params=start, method="newton", maxiter=200, disp=False)
        if not fit.mle_retvals.get("converged", False):
            fit = NegativeBinomial(y, X, loglike_method="nb2", exposure=exposure).fit(
                start_params=start, method="bfgs", maxiter=2000, disp=False)
    ok = fit.mle_retvals.get("converged", False) and np.all(np.isfinite(fit.bse)) and fit.params.iloc[-1] > 1e-6
    if ok:
        return CountFit(params=fit.params.iloc[:k], cov=np.asarray(fit.cov_params())[:k, :k], pvalues=fit.pvalues.iloc[:k],
                        alpha=float(fit.params.iloc[-1]), model="negative binomial", mu=np.asarray(fit.predict()),
                        llf=float(fit.llf), results=fit)  # fmt: skip
    robust = sm.GLM(y, X, family=sm.families.Poisson(), exposure=exposure).fit(cov_type="HC0")
    return CountFit(params=robust.params, cov=np.asarray(robust.cov_params()), pvalues=robust.pvalues, alpha=0.0,
                    model="Poisson, robust errors", mu=np.asarray(robust.fittedvalues), llf=float(robust.llf), results=robust)  # fmt: skip


def pearson_autocorrelation(fit: CountFit, y: pd.Series, lag: int = 1) -> float:
    """Lag-``lag`` autocorrelation of a count fit's Pearson residuals: near 0 when successive
    intervals are independent given the model (for the stock it is near 1)."""
    mu = fit.mu
    r = (np.asarray(y, dtype=float) - mu) / np.sqrt(mu + fit.alpha * mu**2)
    return float(pd.Series(r).autocorr(lag))


@dataclass
class RegimeResult:
    """Rates per week in each period between policy dates, and each period's rate ratio against
    the one before (negative binomial, log(days) exposure)."""

    column: str
    unit: str
    rates: pd.DataFrame  # period, start, end, intervals, events, days, per_week, ci_low, ci_high
    ratios: pd.DataFrame  # period, against, rate_ratio, ci_low, ci_high, p_value
    nb_alpha: float  # 0 when the period model fell back to Poisson with robust errors
    autocorrelation: float
    fit: CountFit = field(repr=False)
    data: pd.DataFrame = field(repr=False)


def regime_model(flows: pd.DataFrame, column: str, breaks: Mapping[str, Any], alpha: float = 0.05) -> RegimeResult:
    """``column`` (added or removed) per interval as a negative binomial with one rate per period:
    before the first break, then from each break (an interval belongs to the period its end falls
    in). Parametrised so each coefficient is the log rate ratio against the previous period."""
    from scipy.stats import norm

    names = ["before " + next(iter(breaks))] + [f"from {label}" for label in breaks]
    dates = [pd.Timestamp(d) for d in breaks.values()]
    period = np.searchsorted(np.array(dates, dtype="datetime64[ns]"), flows["end"].to_numpy(dtype="datetime64[ns]"), side="right")
    data = flows.assign(period=period)
    X = pd.DataFrame({"const": 1.0}, index=data.index)
    for j in range(1, len(names)):  # step j switches on from period j on: its coefficient is period j vs j - 1
        X[f"step_{j}"] = (data["period"] >= j).astype(float)
    fit = _nb(data[column], X, data["days"])
    beta, cov = fit.params.to_numpy(), fit.cov
    z = norm.ppf(1 - alpha / 2)
    rates, ratios = [], []
    for j, name in enumerate(names):
        c = np.zeros(len(beta))
        c[: j + 1] = 1.0
        eta, se = float(c @ beta), float(np.sqrt(c @ cov @ c))
        part = data[data["period"] == j]
        rates.append({"period": name, "start": part["start"].min(), "end": part["end"].max(), "intervals": len(part),
                      "events": int(part[column].sum()), "days": int(part["days"].sum()),
                      "per_week": 7 * np.exp(eta), "ci_low": 7 * np.exp(eta - z * se), "ci_high": 7 * np.exp(eta + z * se)})  # fmt: skip
        if j:
            b, s = float(beta[j]), float(np.sqrt(cov[j, j]))
            ratios.append({"period": name, "against": names[j - 1], "rate_ratio": np.exp(b), "ci_low": np.exp(b - z * s),
                           "ci_high": np.exp(b + z * s), "p_value": float(fit.pvalues.iloc[j])})  # fmt: skip
    return RegimeResult(column=column, unit=str(flows["unit"].iloc[0]), rates=pd.DataFrame(rates), ratios=pd.DataFrame(ratios),
                        nb_alpha=fit.alpha, autocorrelation=pearson_autocorrelation(fit, data[column]),
                        fit=fit, data=data)  # fmt: skip


def _bin_label(b: tuple[int, int]) -> str:
    return f"weeks {b[0]} to {b[1]}"


def relative_week(flows: pd.DataFrame, date: Any) -> pd.Series:
    """Each interval's week relative to ``date`` (by its end): 0 for an end within 0-6 days after."""
    return (flows["end"] - pd.Timestamp(date)).dt.days // 7


def event_window(flows: pd.DataFrame, date: Any, bins: Sequence[tuple[int, int]] = EVENT_BINS) -> pd.DataFrame:
    """The intervals whose relative week falls in one of ``bins``, labelled with their bin."""
    rel = relative_week(flows, date)
    lo, hi = bins[0][0], bins[-1][1]
    w = flows[(rel >= lo) & (rel <= hi)].copy()
    w["week"] = rel[w.index]
    w["bin"] = [next(_bin_label(b) for b in bins if b[0] <= r <= b[1]) for r in w["week"]]
    return w


def event_study(flows: pd.DataFrame, column: str, date: Any, bins: Sequence[tuple[int, int]] = EVENT_BINS,
                reference: tuple[int, int] = REFERENCE_BIN, alpha: float = 0.05) -> pd.DataFrame:
    """Leads and lags around ``date``: the rate of ``column`` in each bin of weeks as a rate ratio
    against the ``reference`` bin (negative binomial, log(days) exposure, only the window's
    intervals). A date where something changed shows ratios near 1 before it and away from 1 after;
    leads away from 1 mean the rate was already moving. Returns bin, first_week, last_week,
    intervals, events, rate_ratio, ci_low, ci_high (the reference bin: 1, 1, 1)."""
    w = event_window(flows, date, bins)
    ref = _bin_label(reference)
    others = [_bin_label(b) for b in bins if b != reference]
    X = pd.DataFrame({"const": 1.0}, index=w.index)
    for label in others:
        X[label] = (w["bin"] == label).astype(float)
    fit = _nb(w[column], X, w["days"])
    ci = np.exp(fit.conf_int(alpha))
    rows = []
    for b in bins:
        label = _bin_label(b)
        part = w[w["bin"] == label]
        if label == ref:
            rr, lo, hi = 1.0, 1.0, 1.0
        else:
            j = list(X.columns).index(label)
            rr, lo, hi = float(np.exp(fit.params.iloc[j])), float(ci[j, 0]), float(ci[j, 1])
        rows.append({"bin": label, "first_week": b[0], "last_week": b[1], "intervals": len(part),
                     "events": int(part[column].sum()), "rate_ratio": rr, "ci_low": lo, "ci_high": hi})  # fmt: skip
    out = pd.DataFrame(rows)
    out.insert(0, "date", pd.Timestamp(date).date().isoformat())
    return out


def placebo_dates(flows: pd.DataFrame, policy_dates: Sequence[Any], since: Any,
                  bins: Sequence[tuple[int, int]] = EVENT_BINS, min_days: int = PLACEBO_MIN_DAYS) -> list[pd.Timestamp]:
    """First days of months whose whole event window lies between ``since`` (the start of the
    period studied) and the last interval, at least ``min_days`` from every policy date: dates on
    which nothing is known to have changed, chosen by a rule declared before looking at them."""
    first = pd.Timestamp(since) - pd.Timedelta(weeks=bins[0][0])
    last = flows["end"].max() - pd.Timedelta(weeks=bins[-1][1] + 1)
    policy = [pd.Timestamp(d) for d in policy_dates]
    out = []
    for day in pd.date_range(first, last, freq="MS"):
        if all(abs((day - p).days) >= min_days for p in policy):
            out.append(day)
    return out


def placebo_study(flows: pd.DataFrame, column: str, policy: Mapping[str, Any], placebos: Sequence[Any],
                  judged: tuple[int, int] = FIRST_BIN_AFTER) -> pd.DataFrame:
    """The rate ratio of the ``judged`` bin (the four weeks after) at every policy and placebo date.

    Why: with ~20 weekly intervals per window and bursty postings, a ratio's interval from one
    model can be too narrow or too wide; the spread of the same ratio on dates where nothing
    happened shows what "no change" looks like in these data. Returns date, label, kind (policy or
    placebo), rate_ratio, ci_low, ci_high, and for policy dates the share of placebo ratios at
    least as far from 1 (on the log scale): a permutation-style p-value.
    """
    label = _bin_label(judged)
    rows = []
    for kind, items in (("policy", list(policy.items())), ("placebo", [(None, d) for d in placebos])):
        for name, day in items:
            t = event_study(flows, column, day).set_index("bin").loc[label]
            rows.append({"date": pd.Timestamp(day).date().isoformat(), "label": name or "placebo", "kind": kind,
                         "rate_ratio": float(t["rate_ratio"]), "ci_low": float(t["ci_low"]), "ci_high": float(t["ci_high"])})  # fmt: skip
    out = pd.DataFrame(rows)
    far = np.abs(np.log(out.loc[out["kind"] == "placebo", "rate_ratio"].to_numpy()))
    out["placebo_share_as_far"] = [
        float(np.mean(far >= abs(np.log(r)))) if k == "policy" and len(far) else np.nan
        for k, r in zip(out["kind"], out["rate_ratio"])
    ]
    return out
