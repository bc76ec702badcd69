"""The stock of agreements over time: percent changes between dates, and the segmented trend,
kept only as a contrast to the flow models (flows.py).

Why keep a model we do not believe: the statistics section once reported a segmented regression
of the number of agreements listed, and a student should see why it misleads. The lines are forced
to join at each break, so a sudden jump (151 to 318 agreements in March 2025) is smeared into the
slopes on both sides; the stock is a running sum of additions minus removals, so its residuals are
strongly autocorrelated and Newey-West errors with a few lags understate the uncertainty;
and a slope fitted to a handful of sheets describes the line, not the agreements. ``residual_autocorrelation``
and ``implied_change`` put numbers on that; the notebook shows the residual plot.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .wording import decimals, fmt

# ---------------------------------------------------------------------------------------
# Growth between two dates
# ---------------------------------------------------------------------------------------


def pct_change(a: float, b: float) -> float:
    """Percent change from a to b: 100 * (b - a) / a. E.g. 135 -> 957 is +608.9%.

    Raises ValueError if a <= 0: growth "from zero" has no percentage, and a negative base
    flips the sign's meaning.
    """
    if not a > 0:
        raise ValueError(f"percent change needs a positive starting value, got {a!r}")
    return 100.0 * (b - a) / a


def fold_change(a: float, b: float) -> float:
    """How many times larger b is than a (b / a). "Grew sevenfold" means fold_change ~ 7,
    which is a percent change of ~ +600%, not +700%: a common newsroom slip.
    Raises ValueError if a <= 0."""
    if not a > 0:
        raise ValueError(f"fold change needs a positive starting value, got {a!r}")
    return b / a


def growth_table(pairs: Iterable[Sequence[Any]]) -> pd.DataFrame:
    """Tabulate growth for rows of (label_from, value_from, label_to, value_to).

    Returns columns label_from, value_from, label_to, value_to, change (b - a),
    pct_change, fold_change, one row per input pair, in input order.
    """
    rows = []
    for row in pairs:
        if len(row) != 4:
            raise ValueError(f"each pair needs 4 fields (label_from, a, label_to, b): {row!r}")
        lf, a, lt, b = row
        a, b = float(a), float(b)
        rows.append(
            {
                "label_from": lf,
                "value_from": a,
                "label_to": lt,
                "value_to": b,
                "change": b - a,
                "pct_change": pct_change(a, b),
                "fold_change": fold_change(a, b),
            }
        )
    cols = ["label_from", "value_from", "label_to", "value_to", "change", "pct_change",
            "fold_change"]
    return pd.DataFrame(rows, columns=cols)


# ---------------------------------------------------------------------------------------
# The segmented trend of the stock (a contrast)
# ---------------------------------------------------------------------------------------


def hac_maxlags(n: int) -> int:
    """Newey-West lag rule: floor(4 * (n / 100) ** (2/9)), at least 1.

    This is the common Newey-West (1994) plug-in rule: more observations allow more lags of
    autocorrelation to be accounted for, but slowly. Lags count observations (snapshots),
    not days. n = 100 gives 4, n = 20 gives 2.
    """
    if n <= 0:
        return 1
    return max(1, int(math.floor(4.0 * (n / 100.0) ** (2.0 / 9.0))))


@dataclass
class SegmentedResult:
    """Result of ``segmented_regression``.

    results: the statsmodels OLS results (HAC covariance).
    coef_table: term, estimate, std_err, ci_low, ci_high, p_value (terms: const, t,
        slope_change_<date>, and level_shift_<date> if requested).
    slopes: one row per segment: segment, start, end, slope (units per day), std_err,
        ci_low, ci_high, p_value (test of slope = 0).
    level_shifts: break_date, jump, std_err, ci_low, ci_high, p_value (None if not fitted).
    breaks: the break dates used; dropped_breaks and notes: what was dropped and why.
    """

    results: Any
    coef_table: pd.DataFrame
    slopes: pd.DataFrame
    level_shifts: pd.DataFrame | None
    breaks: list[pd.Timestamp]
    dropped_breaks: list[pd.Timestamp]
    notes: list[str]
    hac_lags: int
    alpha: float
    n: int
    start: pd.Timestamp
    end: pd.Timestamp


def segmented_regression(
    dates: Iterable[Any],
    y: Iterable[float],
    breaks: Iterable[Any],
    hac_lags: int | None = None,
    level_shifts: bool = False,
    alpha: float = 0.05,
) -> SegmentedResult:
    """Piecewise-linear trend with slope changes at given dates (interrupted time series).

    Model: y = b0 + b1*t + sum_j c_j * max(0, t - t_j) [+ sum_j d_j * 1(t >= t_j)] + error,
    where t is days since the first date. Before the first break the slope is b1; after
    break j it is b1 + c_1 + ... + c_j, so each c_j is the *change* in daily growth at that
    date, and d_j (optional) is a sudden jump in level. Fit by OLS.

    Why HAC: successive snapshots of a cumulative count are not independent (a high
    residual tends to follow a high residual), which makes ordinary standard errors too
    small. Newey-West (HAC) standard errors allow for that autocorrelation; lags default to
    ``hac_maxlags(n)``. Segment slopes are linear combinations of coefficients, so their
    standard errors come from the full covariance matrix, not from adding standard errors.

    Breaks not strictly inside (first date, last date) cannot be estimated and are dropped
    with a note in ``notes``; duplicates are dropped too. Rows with a missing date or y are
    dropped with a note. This describes *when* the trend changed; it does not show a policy
    caused the change.
    """
    import statsmodels.api as sm

    notes: list[str] = []
    d = pd.to_datetime(pd.Series(list(dates)))
    yy = pd.to_numeric(pd.Series(list(y), dtype="float64"))
    if len(d) != len(yy):
        raise ValueError(f"dates ({len(d)}) and y ({len(yy)}) differ in length")
    frame = pd.DataFrame({"date": d.to_numpy(), "y": yy.to_numpy()})
    bad = frame.isna().any(axis=1)
    if bad.any():
        notes.append(f"dropped {int(bad.sum())} row(s) with a missing date or value")
        frame = frame[~bad]
    frame = frame.sort_values("date", kind="mergesort").reset_index(drop=True)
    if frame["date"].duplicated().any():
        raise ValueError("dates contain duplicates; aggregate to one value per date first")
    if len(frame) < 3:
        raise ValueError("need at least 3 observations")
    start, end = frame["date"].iloc[0], frame["date"].iloc[-1]
    t = (frame["date"] - start).dt.days.to_numpy(dtype=float)

    used: list[pd.Timestamp] = []
    dropped: list[pd.Timestamp] = []
    for b in sorted({pd.Timestamp(x) for x in breaks}):
        if start < b < end:
            used.append(b)
        else:
            dropped.append(b)
            notes.append(
                f"break {b.date()} dropped: outside the data range "
                f"{start.date()} to {end.date()} (must be strictly inside)"
            )

    cols = {"const": np.ones_like(t), "t": t}
    for b in used:
        tb = float((b - start).days)
        cols[f"slope_change_{b.date()}"] = np.maximum(0.0, t - tb)
        if level_shifts:
            cols[f"level_shift_{b.date()}"] = (t >= tb).astype(float)
    X = pd.DataFrame(cols)
    if len(frame) <= X.shape[1]:
        raise ValueError(f"{len(frame)} observations cannot fit {X.shape[1]} parameters")
    if np.linalg.matrix_rank(X.to_numpy()) < X.shape[1]:
        raise ValueError(
            "design matrix is rank-deficient: some segment has too few observations "
            "to estimate its slope (or jump); remove or move a break"
        )
    lags = hac_maxlags(len(frame)) if hac_lags is None else int(hac_lags)
    if lags < 0:
        raise ValueError("hac_lags must be >= 0")
    res = sm.OLS(frame["y"].to_numpy(), X).fit(cov_type="HAC", cov_kwds={"maxlags": lags})

    ci = res.conf_int(alpha=alpha)
    coef_table = pd.DataFrame(
        {
            "term": list(X.columns),
            "estimate": res.params.to_numpy(),
            "std_err": res.bse.to_numpy(),
            "ci_low": ci.iloc[:, 0].to_numpy(),
            "ci_high": ci.iloc[:, 1].to_numpy(),
            "p_value": res.pvalues.to_numpy(),
        }
    )

    def _combo(weights: dict[str, float]) -> dict[str, float]:
        c = np.array([weights.get(name, 0.0) for name in X.columns])
        tt = res.t_test(c)
        lo, hi = np.asarray(tt.conf_int(alpha=alpha)).ravel()
        return {
            "estimate": float(np.asarray(tt.effect).ravel()[0]),
            "std_err": float(np.asarray(tt.sd).ravel()[0]),
            "ci_low": float(lo),
            "ci_high": float(hi),
            "p_value": float(np.asarray(tt.pvalue).ravel()[0]),
        }

    bounds = [start, *used, end]
    slope_rows = []
    weights = {"t": 1.0}
    for j in range(len(bounds) - 1):
        if j > 0:
            weights[f"slope_change_{used[j - 1].date()}"] = 1.0
        c = _combo(weights)
        slope_rows.append(
            {
                "segment": j + 1,
                "start": bounds[j],
                "end": bounds[j + 1],
                "slope": c["estimate"],
                "std_err": c["std_err"],
                "ci_low": c["ci_low"],
                "ci_high": c["ci_high"],
                "p_value": c["p_value"],
            }
        )
    slopes = pd.DataFrame(slope_rows)

    jumps = None
    if level_shifts:
        jrows = []
        for b in used:
            row = coef_table.set_index("term").loc[f"level_shift_{b.date()}"]
            jrows.append(
                {
                    "break_date": b,
                    "jump": row["estimate"],
                    "std_err": row["std_err"],
                    "ci_low": row["ci_low"],
                    "ci_high": row["ci_high"],
                    "p_value": row["p_value"],
                }
            )
        jumps = pd.DataFrame(
            jrows, columns=["break_date", "jump", "std_err", "ci_low", "ci_high", "p_value"]
        )

    return SegmentedResult(results=res, coef_table=coef_table, slopes=slopes, level_shifts=jumps, breaks=used,
                           dropped_breaks=dropped, notes=notes, hac_lags=lags, alpha=alpha, n=len(frame), start=start,
                           end=end)  # fmt: skip


def describe_segments(result: SegmentedResult, unit: str = "agreements") -> list[str]:
    """Plain-language sentences, one per segment (then one per level shift, if fitted).

    E.g. "Between 2025-01-20 and 2025-07-04 agreements grew by about 3.1 per day (95% CI
    2.8 to 3.4)." A falling segment reports the size of the fall with its interval; when
    the interval includes zero the sentence says the data cannot tell growth from decline.
    Any notes (dropped breaks) are appended as sentences.
    """
    level = f"{100 * (1 - result.alpha):g}%"
    out = []
    for row in result.slopes.itertuples(index=False):
        span = f"Between {row.start.date()} and {row.end.date()} {unit}"
        lo, hi = row.ci_low, row.ci_high
        d = decimals(row.slope, lo, hi)
        if row.slope >= 0:
            s = (f"{span} grew by about {fmt(row.slope, d)} per day "
                 f"({level} CI {fmt(lo, d)} to {fmt(hi, d)})")
        else:
            s = (f"{span} fell by about {fmt(-row.slope, d)} per day "
                 f"({level} CI {fmt(-hi, d)} to {fmt(-lo, d)})")
        if lo <= 0 <= hi:
            s += "; the interval includes zero, so the data cannot tell growth from decline"
        out.append(s + ".")
    if result.level_shifts is not None:
        for row in result.level_shifts.itertuples(index=False):
            if row.jump >= 0:
                verb, lo, hi = "jumped up", row.ci_low, row.ci_high
            else:
                verb, lo, hi = "dropped", -row.ci_high, -row.ci_low
            d = decimals(row.jump, lo, hi)
            s = (f"At {row.break_date.date()} the level of {unit} {verb} by about "
                 f"{fmt(abs(row.jump), d)} ({level} CI {fmt(lo, d)} to {fmt(hi, d)})")
            if row.ci_low <= 0 <= row.ci_high:
                s += "; the interval includes zero"
            out.append(s + ".")
    out.extend(n[0].upper() + n[1:] + "." for n in result.notes)
    return out


def segmented_predict(result: SegmentedResult, dates: Iterable[Any]) -> np.ndarray:
    """Fitted values of a ``segmented_regression`` at any dates (e.g. a daily grid for a
    figure), built from the same design as the fit: t = days since the first observation,
    one hinge max(0, t - t_j) per break (and a step per break if level shifts were fitted)."""
    d = pd.DatetimeIndex(pd.to_datetime(list(dates)))
    t = np.asarray((d - result.start).days, dtype=float)
    cols = {"const": np.ones_like(t), "t": t}
    for b in result.breaks:
        tb = float((b - result.start).days)
        cols[f"slope_change_{b.date()}"] = np.maximum(0.0, t - tb)
        if result.level_shifts is not None:
            cols[f"level_shift_{b.date()}"] = (t >= tb).astype(float)
    params = result.results.params
    X = pd.DataFrame(cols)[list(params.index)]
    return X.to_numpy() @ params.to_numpy()
