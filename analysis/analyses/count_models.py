"""Count models of agreements (or agencies) per state: rates per resident, a hurdle, and ratios in words.

Why a rate: big states have more sheriffs and more people, so "more agreements" and "more
agreements per resident" are different claims. Each model puts log(population) in as an offset,
so exp(coefficient) is a *rate ratio*. The models are fitted on one sheet: a census, so the
intervals are not sampling error but the spread of a process that could have produced these
counts (a state's "propensity" to sign); and they are associations across about fifty states,
never effects.

A *hurdle* splits the question in two: does a state have any agreement at all (participation.py,
a penalised logit), and, among states that have some, how many per resident (a zero-truncated
negative binomial here). Eleven states with none and Florida with 271 are different processes;
one count model has to bend to fit both.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .wording import decimals, fmt


#: Pearson chi-square / residual df above which Poisson is judged overdispersed. Under a
#: correct Poisson model the ratio is about 1 with standard deviation ~ sqrt(2 / df), i.e.
#: ~0.2 for ~50 states, so 1.5 is well beyond chance yet small enough to matter.
OVERDISPERSION_THRESHOLD = 1.5


@dataclass
class CountModelResult:
    """Result of ``fit_count_model``.

    model: "poisson", "negative_binomial", or "quasi_poisson" (fallback if the NB fit fails).
    reason: one sentence on why that model was chosen.
    dispersion: Pearson chi2 / residual df of the Poisson fit; threshold: the cut-off used.
    rate_ratios: term, rate_ratio, ci_low, ci_high, p_value (covariates only: the intercept
        is a baseline rate, not a ratio, and NB's alpha is a variance parameter).
    nb_alpha: estimated NB2 dispersion alpha (Var = mu + alpha*mu^2), None otherwise.
    n: rows used; results: the chosen statsmodels results; poisson_results: the Poisson fit.
    """

    model: str
    reason: str
    dispersion: float
    threshold: float
    rate_ratios: pd.DataFrame
    nb_alpha: float | None
    n: int
    results: Any
    poisson_results: Any
    covariates: list[str]
    alpha: float
    notes: list[str] = field(default_factory=list)


def ratio_table(params, conf, pvalues, terms, name: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "term": list(terms),
            name: np.exp(params[terms].to_numpy()),
            "ci_low": np.exp(conf.loc[terms].iloc[:, 0].to_numpy()),
            "ci_high": np.exp(conf.loc[terms].iloc[:, 1].to_numpy()),
            "p_value": pvalues[terms].to_numpy(),
        }
    )


def design(df: pd.DataFrame, cols: list[str], covariates: list[str]):
    missing = set(cols) - set(df.columns)
    if missing:
        raise KeyError(f"missing columns {sorted(missing)}")
    if "const" in covariates:
        raise ValueError("'const' is added automatically; do not pass it as a covariate")
    data = df[cols].apply(pd.to_numeric, errors="raise").astype(float)
    n_before = len(data)
    data = data.dropna()
    notes = []
    if len(data) < n_before:
        notes.append(f"dropped {n_before - len(data)} row(s) with missing values")
    X = pd.concat(
        [pd.Series(1.0, index=data.index, name="const"), data[list(covariates)]], axis=1
    )
    return data, X, notes


def fit_count_model(
    df: pd.DataFrame,
    count_col: str,
    exposure_col: str,
    covariates: list[str],
    alpha: float = 0.05,
    dispersion_threshold: float = OVERDISPERSION_THRESHOLD,
) -> CountModelResult:
    """Model agreements per state as a rate per unit of exposure (e.g. per resident).

    Method: a Poisson GLM with log link and offset log(exposure), so exp(coefficient) is a
    *rate ratio*: how many times higher the agreement rate is per one-unit increase in a
    covariate, holding the others fixed. Poisson assumes variance = mean; we check this
    with the Pearson dispersion (chi2 / residual df). If it exceeds ``dispersion_threshold``
    (default 1.5) the Poisson standard errors are too small, so we refit as a negative
    binomial (NB2, Var = mu + alpha*mu^2) with statsmodels' discrete ``NegativeBinomial``,
    which estimates alpha by maximum likelihood jointly with the coefficients (a GLM NB with
    a fixed alpha would ignore the uncertainty in alpha). If that fit does not converge we
    fall back to quasi-Poisson (Poisson estimates, standard errors scaled by the dispersion).
    These are associations across states, not causal effects.
    """
    import statsmodels.api as sm
    from statsmodels.discrete.discrete_model import NegativeBinomial

    covariates = list(covariates)
    data, X, notes = design(df, [count_col, exposure_col, *covariates], covariates)
    yv = data[count_col]
    if (yv < 0).any() or not np.allclose(yv, np.round(yv)):
        raise ValueError(f"{count_col} must hold non-negative integer counts")
    if (data[exposure_col] <= 0).any():
        raise ValueError(f"{exposure_col} must be positive (it enters as log(exposure))")
    if len(data) <= X.shape[1]:
        raise ValueError(f"{len(data)} rows cannot fit {X.shape[1]} parameters")
    offset = np.log(data[exposure_col].to_numpy())

    pois = sm.GLM(yv, X, family=sm.families.Poisson(), offset=offset).fit()
    dispersion = float(pois.pearson_chi2 / pois.df_resid)

    chosen, model, nb_alpha = pois, "poisson", None
    if dispersion <= dispersion_threshold:
        reason = (f"Poisson kept: Pearson dispersion {dispersion:.2f} <= {dispersion_threshold} "
                  "(variance close to the mean)")
    else:
        nb = None
        for method in ("newton", "bfgs"):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    cand = NegativeBinomial(yv, X, loglike_method="nb2", offset=offset).fit(
                        start_params=np.append(pois.params.to_numpy(), 0.1),
                        method=method, maxiter=500, disp=False,
                    )
                except (np.linalg.LinAlgError, ValueError):
                    continue
            ok = (cand.mle_retvals.get("converged", False)
                  and np.all(np.isfinite(cand.bse)) and cand.params["alpha"] > 0)
            if ok:
                nb = cand
                if caught:
                    notes.extend(f"NB fit warning: {w.message}" for w in caught)
                break
        if nb is not None:
            chosen, model = nb, "negative_binomial"
            nb_alpha = float(nb.params["alpha"])
            reason = (f"refit as negative binomial: Pearson dispersion {dispersion:.2f} > "
                      f"{dispersion_threshold} means Poisson understates uncertainty")
        else:
            chosen = sm.GLM(yv, X, family=sm.families.Poisson(), offset=offset).fit(scale="X2")
            model = "quasi_poisson"
            reason = (f"overdispersed (Pearson dispersion {dispersion:.2f} > "
                      f"{dispersion_threshold}) but the negative binomial fit did not converge; "
                      "used quasi-Poisson standard errors scaled by the dispersion")

    rr = ratio_table(chosen.params, chosen.conf_int(alpha=alpha), chosen.pvalues,
                      covariates, "rate_ratio")
    return CountModelResult(model=model, reason=reason, dispersion=dispersion, threshold=dispersion_threshold, rate_ratios=rr,
                            nb_alpha=nb_alpha, n=len(data), results=chosen, poisson_results=pois, covariates=covariates,
                            alpha=alpha, notes=notes)  # fmt: skip


def scale_ratios(
    table: pd.DataFrame,
    per: Mapping[str, tuple[float, str]] | None = None,
    ratio_col: str = "rate_ratio",
    names: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Rate or odds ratios re-expressed for a meaningful change in each covariate.

    A ratio per 1.0 of a vote share stored as a fraction is a ratio per 100 percentage
    points, far outside the data. Because exp(b * c) = exp(b) ** c, the ratio for a change
    of c is the ratio to the power c, and so are both ends of its interval (swapped if c < 0).
    ``per`` maps a term to (change, label); others stay per 1 unit. ``names`` gives readable
    covariate names. Returns term, name, change, per_label, ratio, ci_low, ci_high, p_value.
    """
    per, names = dict(per or {}), dict(names or {})
    rows = []
    for row in table.itertuples(index=False):
        term = row.term
        change, label = per.get(term, (1.0, f"1 unit of {names.get(term, term)}"))
        ratio = getattr(row, ratio_col)
        lo, hi = sorted((row.ci_low ** change, row.ci_high ** change))
        rows.append({"term": term, "name": names.get(term, term), "change": float(change),
                     "per_label": label, "ratio": float(ratio ** change), "ci_low": float(lo),
                     "ci_high": float(hi), "p_value": float(row.p_value)})
    cols = ["term", "name", "change", "per_label", "ratio", "ci_low", "ci_high", "p_value"]
    return pd.DataFrame(rows, columns=cols)


def ratio_sentences(scaled: pd.DataFrame, what: str, level: str, model: str) -> list[str]:
    """One sentence per ratio: "times as high", never "N % higher" (a percent of a ratio of odds
    reads as a percent of the outcome, which it is not)."""
    out = []
    for row in scaled.itertuples(index=False):
        r, lo, hi = row.ratio, row.ci_low, row.ci_high
        if not np.isfinite(r):
            out.append(f"{row.name}: no finite estimate ({model}).")
            continue
        direction = "higher" if row.change > 0 else "lower"
        d = max(decimals(r, lo, hi), 2)  # ratios near 1: keep at least 2 decimals
        s = (f"Holding the other covariates fixed, {row.per_label} {direction} {row.name} goes "
             f"with {what} {fmt(r, d)} times as high ({level} interval {fmt(lo, d)} to "
             f"{fmt(hi, d)}; {model} model)")
        if lo <= 1 <= hi:
            s += "; the interval includes 1 (no clear difference)"
        out.append(s + ".")
    return out


def describe_rate_ratios(
    result: CountModelResult,
    per: Mapping[str, tuple[float, str]] | None = None,
    outcome: str = "agreements",
    exposure: str = "unit of exposure",
    names: Mapping[str, str] | None = None,
) -> list[str]:
    """One plain-language sentence per covariate, scaled to a meaningful change.

    ``per`` maps a covariate to (change, label), e.g. {"trump_share": (0.10, "10 percentage
    points")} when vote share is stored as a fraction: a coefficient per 1.0 (= 100 points)
    is meaningless, so the rate ratio is raised to the power 0.10 (see ``scale_ratios``).
    Covariates not in ``per`` are described per 1 unit. ``exposure`` names the offset's unit
    ("resident"), ``names`` gives readable covariate names.
    """
    scaled = scale_ratios(result.rate_ratios, per, "rate_ratio", names)
    level = f"{100 * (1 - result.alpha):g}%"
    return ratio_sentences(scaled, f"a rate of {outcome} per {exposure}", level, result.model.replace("_", " "))


def fit_positive_counts(df: pd.DataFrame, count_col: str, exposure_col: str, covariates: list[str],
                        alpha: float = 0.05) -> CountModelResult:
    """The count part of a hurdle: among rows with at least one, a zero-truncated negative binomial
    (NB2) of ``count_col`` with log(``exposure_col``) as offset; rate ratios as in ``fit_count_model``.

    Why truncated: conditional on having any agreement, a count of 0 is impossible, and an ordinary
    count model fitted to the positives alone would be biased towards low rates. Started from the
    untruncated negative binomial's estimates (the truncated likelihood is flat far from them);
    falls back to a zero-truncated Poisson with a note when the NB does not converge.
    """
    import statsmodels.api as sm
    from statsmodels.discrete.discrete_model import NegativeBinomial
    from statsmodels.discrete.truncated_model import TruncatedLFNegativeBinomialP, TruncatedLFPoisson

    covariates = list(covariates)
    data, X, notes = design(df, [count_col, exposure_col, *covariates], covariates)
    keep = data[count_col] > 0
    data, X = data[keep], X[keep]
    if len(data) <= X.shape[1] + 1:
        raise ValueError(f"{len(data)} positive rows cannot fit {X.shape[1] + 1} parameters")
    yv, offset = data[count_col], np.log(data[exposure_col].to_numpy())
    pois = sm.GLM(yv, X, family=sm.families.Poisson(), offset=offset).fit()
    dispersion = float(pois.pearson_chi2 / pois.df_resid)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = NegativeBinomial(yv, X, loglike_method="nb2", offset=offset).fit(
            start_params=np.append(pois.params.to_numpy(), 0.1), disp=False, maxiter=500)
        fit = TruncatedLFNegativeBinomialP(yv, X, offset=offset, p=2).fit(
            start_params=start.params.to_numpy(), method="newton", maxiter=500, disp=False)
    ok = fit.mle_retvals.get("converged", False) and np.all(np.isfinite(fit.bse))
    if ok:
        model, nb_alpha = "zero_truncated_negative_binomial", float(fit.params.iloc[-1])
        reason = "among states with any agreement; zero-truncated negative binomial (NB2), population offset"
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = TruncatedLFPoisson(yv, X, offset=offset).fit(disp=False, maxiter=500)
        model, nb_alpha = "zero_truncated_poisson", None
        reason = "among states with any agreement; the truncated negative binomial did not converge, so a zero-truncated Poisson"
        notes.append("truncated negative binomial did not converge")
    params = fit.params.iloc[: X.shape[1]]
    params.index = X.columns
    conf = pd.DataFrame(np.asarray(fit.conf_int(alpha=alpha))[: X.shape[1]], index=X.columns)
    pvalues = pd.Series(np.asarray(fit.pvalues)[: X.shape[1]], index=X.columns)
    rr = ratio_table(params, conf, pvalues, covariates, "rate_ratio")
    return CountModelResult(model=model, reason=reason, dispersion=dispersion, threshold=OVERDISPERSION_THRESHOLD,
                            rate_ratios=rr, nb_alpha=nb_alpha, n=len(data), results=fit, poisson_results=pois,
                            covariates=covariates, alpha=alpha, notes=notes)
