"""Whether a state has any agreement at all: a penalised (Firth) logistic regression, read as
predicted probabilities.

Why penalised: on a sheet of mid-2025, 11 of 51 jurisdictions have no agreement and both
covariates are continuous, so the ordinary maximum-likelihood logit is close to separation: its
odds ratio per 10 points of vote share was 18.4 with an interval from 2.7 to 127, an estimate
driven by a handful of states near the boundary and biased away from 1 in small samples. Firth's
penalty (the Jeffreys prior; Firth 1993, Heinze and Schemper 2002) removes that first-order bias
and always gives finite estimates. The fit is ``firthmodels`` (a maintained implementation,
benchmarked against R's logistf), with profile penalised-likelihood intervals and penalised
likelihood-ratio p-values, as logistf reports them.

Why probabilities: "1,740 % higher odds" is not a quantity anyone can picture, and odds ratios
exaggerate when the outcome is common. ``predicted_probabilities`` gives the modelled chance that a
state with a given vote share has any agreement, the other covariate held at its median.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .count_models import design, ratio_sentences, ratio_table, scale_ratios


@dataclass
class LogitResult:
    """Result of ``fit_participation_logit``.

    odds_ratios: term, odds_ratio, ci_low, ci_high, p_value (covariates only; profile penalised
        likelihood intervals, penalised likelihood-ratio p-values).
    separation: whether the *unpenalised* data are (quasi-)separated: the reason the ordinary
        logit cannot be trusted here (the Firth fit is finite either way).
    n, n_events: rows used and rows with outcome 1. results: the firthmodels results (params,
        cov_params(), conf_int(), pvalues, predict()). design: the covariate columns with const.
    """

    odds_ratios: pd.DataFrame
    separation: bool
    note: str
    n: int
    n_events: int
    results: Any
    covariates: list[str]
    alpha: float
    design: pd.DataFrame
    converged: bool = True
    notes: list[str] = field(default_factory=list)


def has_separation(X: np.ndarray, y: np.ndarray, tol: float = 1e-6) -> bool:
    """Linear-programming check for (quasi-)complete separation (Konis 2007).

    Separation exists iff some direction b gives s_i * x_i'b >= 0 for every row (s_i = +1 for
    outcome 1, -1 for 0) with at least one strict inequality: then moving the coefficients
    along b forever keeps raising the likelihood, so no finite ML estimate exists. We maximise
    sum_i s_i x_i'b under those constraints with b in [-1, 1]; a positive optimum means
    separation. Columns are standardised first so the tolerance is scale-free.
    """
    from scipy.optimize import linprog

    Z = np.asarray(X, dtype=float).copy()
    for j in range(Z.shape[1]):
        sd = Z[:, j].std()
        if sd > 0:
            Z[:, j] = (Z[:, j] - Z[:, j].mean()) / sd
    s = np.where(np.asarray(y) > 0.5, 1.0, -1.0)
    A = s[:, None] * Z
    res = linprog(-A.sum(axis=0), A_ub=-A, b_ub=np.zeros(len(A)),
                  bounds=[(-1, 1)] * A.shape[1], method="highs")
    return bool(res.status == 0 and -res.fun > tol * len(A))


def fit_participation_logit(df: pd.DataFrame, outcome_col: str, covariates: list[str], alpha: float = 0.05) -> LogitResult:
    """Firth-penalised logistic regression of a 0/1 outcome ("state has any agreement").

    exp(coefficient) is an odds ratio per unit of the covariate; ``scale_ratios`` re-expresses it
    per a meaningful change. Intervals are profile penalised-likelihood intervals (they need not
    be symmetric on the log scale, and they stay finite under separation).
    """
    from firthmodels.adapters.statsmodels import FirthLogit

    covariates = list(covariates)
    data, X, notes = design(df, [outcome_col, *covariates], covariates)
    yv = data[outcome_col]
    if not yv.isin([0.0, 1.0]).all():
        raise ValueError(f"{outcome_col} must be 0/1 (or boolean)")
    n, n_events = len(data), int(yv.sum())
    if n <= X.shape[1]:
        raise ValueError(f"{n} rows cannot fit {X.shape[1]} parameters")
    if n_events in (0, n):
        raise ValueError(f"{outcome_col} is {'never' if n_events == 0 else 'always'} 1: nothing to model")
    separation = has_separation(X.to_numpy(), yv.to_numpy())
    res = FirthLogit(yv.to_numpy(), X).fit()
    params = pd.Series(res.params, index=X.columns)
    conf = pd.DataFrame(res.conf_int(alpha=alpha), index=X.columns)
    pvalues = pd.Series(res.pvalues, index=X.columns)
    orr = ratio_table(params, conf, pvalues, covariates, "odds_ratio")
    note = ("the ordinary logit's data are separated (quasi-completely): its estimates would run off to "
            "infinity; the Firth penalty keeps them finite" if separation else
            "no separation, but few states without any agreement: the Firth penalty removes the small-sample "
            "bias of the ordinary logit")  # fmt: skip
    if not res.converged:
        notes.append("the Firth fit did not converge")
    return LogitResult(odds_ratios=orr, separation=separation, note=note, n=n, n_events=n_events, results=res,
                       covariates=covariates, alpha=alpha, design=X, converged=bool(res.converged), notes=notes)


def predicted_probabilities(result: LogitResult, covariate: str, values: Sequence[float],
                            at: Mapping[str, float] | None = None, alpha: float | None = None) -> pd.DataFrame:
    """The modelled probability of the outcome at each value of ``covariate``, the other covariates
    held at ``at`` (default: their medians in the data), with a Wald interval computed on the
    logit scale and transformed (so it stays inside 0..1).

    Returns covariate value, probability, ci_low, ci_high. What the interval means: the spread of
    the fitted curve across states that could have produced these data, not a forecast for a state.
    """
    from scipy.special import expit
    from scipy.stats import norm

    alpha = result.alpha if alpha is None else alpha
    X = result.design
    base = {c: float(X[c].median()) for c in result.covariates}
    base.update(dict(at or {}))
    rows = pd.DataFrame([{**base, covariate: float(v)} for v in values])
    rows.insert(0, "const", 1.0)
    Xn = rows[list(X.columns)].to_numpy(dtype=float)
    beta = np.asarray(result.results.params, dtype=float)
    cov = np.asarray(result.results.cov_params(), dtype=float)
    eta = Xn @ beta
    se = np.sqrt(np.einsum("ij,jk,ik->i", Xn, cov, Xn))
    z = norm.ppf(1 - alpha / 2)
    return pd.DataFrame({covariate: [float(v) for v in values], "probability": expit(eta),
                         "ci_low": expit(eta - z * se), "ci_high": expit(eta + z * se)})


def describe_odds_ratios(result: LogitResult, per: Mapping[str, tuple[float, str]] | None = None,
                         outcome: str = "having any agreement", names: Mapping[str, str] | None = None) -> list[str]:
    """Plain-language sentences for the odds ratios, scaled like the rate ratios. An odds ratio is
    not a probability ratio: the notebook reads the model through ``predicted_probabilities``."""
    level = f"{100 * (1 - result.alpha):g}%"
    scaled = scale_ratios(result.odds_ratios, per, "odds_ratio", names)
    return ratio_sentences(scaled, f"odds of {outcome}", level, "Firth logistic")
