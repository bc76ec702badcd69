"""Statistics used to check and explain the numbers printed about 287(g) agreements.

Every function takes plain pandas/numpy inputs and returns plain values, Series, DataFrames
or small dataclasses: no file I/O and no plotting, so each is testable on hand-computed
examples. The docstrings say *why* a method is used and what it means in a sentence or two,
because the readers are methods students checking journalism, not statisticians.

Sections
--------
1. Concentration: ``shares``, ``hhi``, ``top_k``/``top_k_ties``/``top_k_share``,
   ``concentration_table``, ``multinomial_ci``.
2. Crossing date: ``crossing_bracket``.
3. Growth: ``pct_change``, ``fold_change``, ``growth_table``.
4. Interrupted time series: ``hac_maxlags``, ``segmented_regression``, ``describe_segments``.
5. Count models by state: ``fit_count_model``, ``scale_ratios``, ``describe_rate_ratios``,
   ``fit_participation_logit``, ``describe_odds_ratios``.
6. Per-capita rates: ``per_capita``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "shares",
    "hhi",
    "top_k",
    "top_k_ties",
    "top_k_share",
    "concentration_table",
    "multinomial_ci",
    "CrossingBracket",
    "crossing_bracket",
    "pct_change",
    "fold_change",
    "growth_table",
    "hac_maxlags",
    "SegmentedResult",
    "segmented_regression",
    "describe_segments",
    "segmented_predict",
    "CountModelResult",
    "fit_count_model",
    "scale_ratios",
    "describe_rate_ratios",
    "describe_odds_ratios",
    "LogitResult",
    "fit_participation_logit",
    "per_capita",
    "OVERDISPERSION_THRESHOLD",
]


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------


def _decimals(*values: float) -> int:
    """Decimals for printing a group of related numbers (an estimate and its interval) alike:
    chosen from the largest magnitude so the group reads "0.10 (0.09 to 0.11)", not
    "0.10 (0.0915 to 0.11)"; small numbers keep two significant digits."""
    finite = [abs(v) for v in values if v is not None and np.isfinite(v)]
    m = max(finite, default=0.0)
    if m >= 100:
        return 0
    if m >= 1:
        return 1
    if m >= 0.1 or m == 0:
        return 2
    return int(math.ceil(-math.log10(m))) + 1


def _fmt(x: float, decimals: int | None = None) -> str:
    """A number rounded for a sentence (see ``_decimals``), thousands separated."""
    if x is None or not np.isfinite(x):
        return "nan"
    d = _decimals(x) if decimals is None else decimals
    return f"{x:,.{d}f}"


def _check_counts(counts: pd.Series) -> pd.Series:
    """Validate a Series of non-negative counts (no NaN) and return it as float."""
    if not isinstance(counts, pd.Series):
        counts = pd.Series(counts)
    if counts.isna().any():
        raise ValueError("counts contain missing values; fill or drop them explicitly first")
    values = pd.to_numeric(counts).astype(float)
    if (values < 0).any():
        raise ValueError("counts must be non-negative")
    if values.index.has_duplicates:
        dup = sorted(map(str, values.index[values.index.duplicated()].unique()))
        raise ValueError(f"counts index has duplicated states: {dup}")
    return values


def _sort_desc(values: pd.Series) -> pd.Series:
    """Sort by value descending, ties broken by the index label (as text) ascending, so the
    order never depends on the row order of the input."""
    labels = np.array([str(x) for x in values.index], dtype=str)
    order = np.lexsort((labels, -values.to_numpy(dtype=float)))  # last key sorts first
    return values.iloc[order]


# ---------------------------------------------------------------------------------------
# 1. Concentration
# ---------------------------------------------------------------------------------------


def shares(counts: pd.Series) -> pd.Series:
    """Each state's share of the total (count / total), largest first.

    Why: "Florida has a third of all agreements" is a statement about shares, and shares are
    the input to every concentration measure below. Ties are ordered by state code so that
    the same sheet always gives the same table. Raises ValueError if the total is 0.
    """
    return _shares_sorted(_sort_desc(_check_counts(counts)))


def _shares_sorted(ordered: pd.Series) -> pd.Series:
    """``shares`` of counts already checked and sorted by ``_sort_desc`` (dividing keeps the order)."""
    total = ordered.sum()
    if total <= 0:
        raise ValueError("total count is 0; shares are undefined")
    out = ordered / total
    out.name = "share"
    return out


def hhi(counts: pd.Series) -> float:
    """Herfindahl-Hirschman index on the 0..10,000 scale.

    Method: express each state's share in percent (0..100), square it, and add the squares.
    One state with everything gives 100**2 = 10,000; N equal states give 10,000 / N (e.g. 200
    for 50 equal states). Squaring weights big shares heavily, so the index rises when
    agreements pile up in a few states. For counts 50, 30, 20: 2500 + 900 + 400 = 3800.
    (Antitrust practice calls above 2,500 "highly concentrated"; that convention is about
    markets, quoted only as a reference point.)
    """
    return _hhi_of_shares(shares(counts))


def _hhi_of_shares(s: pd.Series) -> float:
    return float(((100.0 * s) ** 2).sum())


def top_k(counts: pd.Series, k: int = 5) -> list[str]:
    """The k states with the most agreements, in order.

    Ties are broken by state code (alphabetically) so the answer is deterministic; use
    ``top_k_ties`` to learn whether that tie-break decided who made the list. States with a
    count of 0 are never "top" states, so fewer than k may be returned.
    """
    return _top_k_sorted(_sort_desc(_check_counts(counts)), k)


def _top_k_sorted(ordered: pd.Series, k: int) -> list[str]:
    if k < 1:
        raise ValueError("k must be at least 1")
    s = ordered[ordered > 0]
    return [str(x) for x in s.index[:k]]


def top_k_ties(counts: pd.Series, k: int = 5) -> list[str]:
    """States tied at the k-th place *across the cut*, sorted by code; [] if the cut is clean.

    Why: if the 5th and 6th states both have 12 agreements, "the top five states" is not
    well defined and a story naming five states made an arbitrary choice. This returns every
    state whose count equals the k-th state's count, but only when at least one of them was
    left out of ``top_k``. Zero counts never form a tie (they are not in the top list).
    """
    return _top_k_ties_sorted(_sort_desc(_check_counts(counts)), k)


def _top_k_ties_sorted(ordered: pd.Series, k: int) -> list[str]:
    if k < 1:
        raise ValueError("k must be at least 1")
    s = ordered[ordered > 0]
    if len(s) <= k:
        return []
    kth = s.iloc[k - 1]
    tied = s[s == kth]
    if (s.iloc[k:] == kth).any():
        return sorted(str(x) for x in tied.index)
    return []


def top_k_share(counts: pd.Series, k: int = 5) -> float:
    """Share of all agreements held by the k largest states (0..1).

    Unlike the list of names, this number does not depend on how ties are broken: tied
    states have the same count, so whichever one is included adds the same amount.
    """
    return _top_k_share_of_shares(shares(counts), k)


def _top_k_share_of_shares(s: pd.Series, k: int) -> float:
    if k < 1:
        raise ValueError("k must be at least 1")
    return float(s.iloc[:k].sum())


def concentration_table(
    df: pd.DataFrame,
    by: str = "snapshot_id",
    state_col: str = "state",
    count_col: str = "count",
    focus: str = "FL",
    k: int = 5,
) -> pd.DataFrame:
    """One row of concentration measures per snapshot (long input: snapshot, state, count).

    Columns: ``by``, total, n_states (states with count > 0), focus_count, focus_share,
    top_k_share, top_k_states (comma-joined, tie-broken by code), top_k_tied (states tied
    across the k-th place, comma-joined, "" if none), hhi. Rows repeating a state within a
    snapshot are summed first. A snapshot whose total is 0 gets NaN shares and HHI.
    Why: tracking these over snapshots shows whether growth is spreading across states or
    piling up in one (the "Florida dominates" claim).
    """
    missing = {by, state_col, count_col} - set(df.columns)
    if missing:
        raise KeyError(f"concentration_table: missing columns {sorted(missing)}")
    rows = []
    for snap, g in df.groupby(by, sort=True):
        counts = _check_counts(g.groupby(state_col)[count_col].sum())
        total = float(counts.sum())
        focus_count = float(counts.get(focus, 0.0))
        if total > 0:
            ordered = _sort_desc(counts)  # sorted once; the public helpers each sort again
            share = _shares_sorted(ordered)
            row = {
                by: snap,
                "total": total,
                "n_states": int((counts > 0).sum()),
                "focus_count": focus_count,
                "focus_share": focus_count / total,
                "top_k_share": _top_k_share_of_shares(share, k),
                "top_k_states": ", ".join(_top_k_sorted(ordered, k)),
                "top_k_tied": ", ".join(_top_k_ties_sorted(ordered, k)),
                "hhi": _hhi_of_shares(share),
            }
        else:
            row = {
                by: snap,
                "total": total,
                "n_states": 0,
                "focus_count": focus_count,
                "focus_share": np.nan,
                "top_k_share": np.nan,
                "top_k_states": "",
                "top_k_tied": "",
                "hhi": np.nan,
            }
        rows.append(row)
    cols = [by, "total", "n_states", "focus_count", "focus_share", "top_k_share",
            "top_k_states", "top_k_tied", "hhi"]
    return pd.DataFrame(rows, columns=cols)


def multinomial_ci(
    counts: pd.Series, alpha: float = 0.05, method: str = "goodman"
) -> pd.DataFrame:
    """Simultaneous confidence intervals for every state's share, largest share first.

    Method: ``statsmodels.stats.proportion.multinomial_proportions_confint`` (Goodman 1965 by
    default), which gives intervals that hold for all states *at once* at level 1 - alpha,
    wider than one binomial interval per state.

    Caution: an ICE sheet is a census of agreements, not a random sample, so there is no
    sampling error to measure. These intervals only mean something if the sheet is treated
    as one draw from a process (which state signs the next agreement), e.g. to ask whether
    Florida's share is larger than chance variation in such a process would produce.
    Returns columns state, count, share, lower, upper.
    """
    from statsmodels.stats.proportion import multinomial_proportions_confint

    values = _check_counts(counts)
    if values.sum() <= 0:
        raise ValueError("total count is 0; shares are undefined")
    if not np.allclose(values, np.round(values)):
        raise ValueError("multinomial intervals need integer counts")
    ordered = _sort_desc(values)
    ci = multinomial_proportions_confint(ordered.to_numpy(), alpha=alpha, method=method)
    return pd.DataFrame(
        {
            "state": [str(x) for x in ordered.index],
            "count": ordered.to_numpy().astype(int),
            "share": (ordered / ordered.sum()).to_numpy(),
            "lower": ci[:, 0],
            "upper": ci[:, 1],
        }
    )


# ---------------------------------------------------------------------------------------
# 2. Crossing date
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CrossingBracket:
    """The two consecutive snapshots between which a series first crossed a threshold.

    ``before_*`` is the last snapshot still on the starting side, ``after_*`` the first one on
    the other side; the true crossing happened somewhere in between, and we cannot say where
    (``width_days`` is that uncertainty). For direction="below" the starting side is
    ">= threshold" and the aliases ``last_above_*`` / ``first_below_*`` read naturally; for
    direction="above" use ``last_below_*`` / ``first_above_*``. ``stays_crossed`` tells
    whether every later snapshot stayed on the new side.
    """

    direction: str
    threshold: float
    before_date: pd.Timestamp
    after_date: pd.Timestamp
    before_value: float
    after_value: float
    stays_crossed: bool

    @property
    def width_days(self) -> int:
        return int((self.after_date - self.before_date).days)

    # Direction-specific names for before_*/after_*: (direction they are defined for, field).
    _ALIASES = {
        f"{side}_{kind}": (direction, f"{field}_{kind}")
        for direction, names in (("below", ("last_above", "first_below")), ("above", ("last_below", "first_above")))
        for side, field in zip(names, ("before", "after"))
        for kind in ("date", "value")
    }

    def __getattr__(self, name: str):
        if name not in CrossingBracket._ALIASES:
            raise AttributeError(name)
        direction, field = CrossingBracket._ALIASES[name]
        if self.direction != direction:
            raise AttributeError(f"{name} is defined only for direction={direction!r}")
        return getattr(self, field)


def crossing_bracket(
    series: pd.Series, threshold: float, direction: str = "below", which: str = "first"
) -> CrossingBracket | None:
    """Bracket the date a series first crossed ``threshold`` between two snapshots.

    Definition (direction="below"): the *first downward crossing*, i.e. the first pair of
    consecutive non-missing snapshots where the earlier value is >= threshold and the later
    one is < threshold. A value exactly at the threshold counts as "not yet below". A series
    that starts below has not been seen crossing, so that start is not a crossing. The
    series may cross back later; ``stays_crossed`` reports that. direction="above" is the
    mirror image (from < threshold to >= threshold). Returns None if it never crosses.

    which="last" returns the *last* crossing instead: for a series that wobbles around the
    threshold before leaving it for good, that is the date it "fell below and stayed below"
    (``stays_crossed`` is then True unless the series crossed back at its very end).

    Why: snapshots are irregular, so "Florida's share fell below 40% in May" can only be
    checked as "it was above on date A and below on date B"; a story's date is consistent
    with the data if it falls in that bracket.
    The index must be dates sorted ascending without duplicates; NaN values are skipped.
    """
    if direction not in ("below", "above"):
        raise ValueError("direction must be 'below' or 'above'")
    if which not in ("first", "last"):
        raise ValueError("which must be 'first' or 'last'")
    s = series.dropna()
    idx = pd.DatetimeIndex(pd.to_datetime(s.index))
    if not idx.is_monotonic_increasing:
        raise ValueError("series index must be sorted by date ascending")
    if idx.has_duplicates:
        raise ValueError("series index has duplicated dates")
    values = s.to_numpy(dtype=float)
    if direction == "below":
        on_start, on_end = values >= threshold, values < threshold
    else:
        on_start, on_end = values < threshold, values >= threshold
    steps = range(1, len(values)) if which == "first" else range(len(values) - 1, 0, -1)
    for i in steps:
        if on_start[i - 1] and on_end[i]:
            return CrossingBracket(
                direction=direction,
                threshold=float(threshold),
                before_date=idx[i - 1],
                after_date=idx[i],
                before_value=float(values[i - 1]),
                after_value=float(values[i]),
                stays_crossed=bool(on_end[i:].all()),
            )
    return None


# ---------------------------------------------------------------------------------------
# 3. Growth
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
# 4. Interrupted time series (segmented regression)
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

    return SegmentedResult(
        results=res,
        coef_table=coef_table,
        slopes=slopes,
        level_shifts=jumps,
        breaks=used,
        dropped_breaks=dropped,
        notes=notes,
        hac_lags=lags,
        alpha=alpha,
        n=len(frame),
        start=start,
        end=end,
    )


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
        d = _decimals(row.slope, lo, hi)
        if row.slope >= 0:
            s = (f"{span} grew by about {_fmt(row.slope, d)} per day "
                 f"({level} CI {_fmt(lo, d)} to {_fmt(hi, d)})")
        else:
            s = (f"{span} fell by about {_fmt(-row.slope, d)} per day "
                 f"({level} CI {_fmt(-hi, d)} to {_fmt(-lo, d)})")
        if lo <= 0 <= hi:
            s += "; the interval includes zero, so the data cannot tell growth from decline"
        out.append(s + ".")
    if result.level_shifts is not None:
        for row in result.level_shifts.itertuples(index=False):
            if row.jump >= 0:
                verb, lo, hi = "jumped up", row.ci_low, row.ci_high
            else:
                verb, lo, hi = "dropped", -row.ci_high, -row.ci_low
            d = _decimals(row.jump, lo, hi)
            s = (f"At {row.break_date.date()} the level of {unit} {verb} by about "
                 f"{_fmt(abs(row.jump), d)} ({level} CI {_fmt(lo, d)} to {_fmt(hi, d)})")
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


# ---------------------------------------------------------------------------------------
# 5. Count models by state
# ---------------------------------------------------------------------------------------

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


def _ratio_table(params, conf, pvalues, terms, name: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "term": list(terms),
            name: np.exp(params[terms].to_numpy()),
            "ci_low": np.exp(conf.loc[terms].iloc[:, 0].to_numpy()),
            "ci_high": np.exp(conf.loc[terms].iloc[:, 1].to_numpy()),
            "p_value": pvalues[terms].to_numpy(),
        }
    )


def _design(df: pd.DataFrame, cols: list[str], covariates: list[str]):
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
    data, X, notes = _design(df, [count_col, exposure_col, *covariates], covariates)
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

    rr = _ratio_table(chosen.params, chosen.conf_int(alpha=alpha), chosen.pvalues,
                      covariates, "rate_ratio")
    return CountModelResult(
        model=model,
        reason=reason,
        dispersion=dispersion,
        threshold=dispersion_threshold,
        rate_ratios=rr,
        nb_alpha=nb_alpha,
        n=len(data),
        results=chosen,
        poisson_results=pois,
        covariates=covariates,
        alpha=alpha,
        notes=notes,
    )


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


def _ratio_sentences(scaled: pd.DataFrame, what: str, level: str, model: str) -> list[str]:
    out = []
    for row in scaled.itertuples(index=False):
        r, lo, hi = row.ratio, row.ci_low, row.ci_high
        if not np.isfinite(r):
            out.append(f"{row.name}: no finite estimate ({model}).")
            continue
        direction = "higher" if row.change > 0 else "lower"
        d = max(_decimals(r, lo, hi), 2)  # ratios near 1: keep at least 2 decimals
        pct = 100 * (r - 1)
        trend = f"{_fmt(abs(pct))}% {'higher' if pct >= 0 else 'lower'}"
        s = (f"Holding the other covariates fixed, {row.per_label} {direction} {row.name} goes "
             f"with {what} {_fmt(r, d)} times as high ({trend}; {level} CI {_fmt(lo, d)} to "
             f"{_fmt(hi, d)}; {model} model)")
        if lo <= 1 <= hi:
            s += "; the interval includes 1 (no difference)"
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
    return _ratio_sentences(scaled, f"a rate of {outcome} per {exposure}", level, result.model.replace("_", " "))


def describe_odds_ratios(
    result: LogitResult,
    per: Mapping[str, tuple[float, str]] | None = None,
    outcome: str = "having any agreement",
    names: Mapping[str, str] | None = None,
) -> list[str]:
    """Plain-language sentences for ``fit_participation_logit``, scaled like the rate ratios.

    An odds ratio is not a probability ratio: odds of 4:1 against 1:1 are "4 times the
    odds", though the probability only goes from 50% to 80%. With separation there is no
    finite estimate, and the sentence says so instead of printing one.
    """
    level = f"{100 * (1 - result.alpha):g}%"
    if result.separation:
        return [f"No finite odds ratios: {result.note}."]
    scaled = scale_ratios(result.odds_ratios, per, "odds_ratio", names)
    return _ratio_sentences(scaled, f"odds of {outcome}", level, "logistic")


@dataclass
class LogitResult:
    """Result of ``fit_participation_logit``.

    odds_ratios: term, odds_ratio, ci_low, ci_high, p_value (covariates only). All NaN when
        separation was detected, because the estimates then run off to infinity and their
        standard errors are meaningless.
    separation: True if (quasi-)complete separation was detected; note explains it.
    n, n_events: rows used and rows with outcome 1. results: the statsmodels GLM results.
    fit_warnings: messages of warnings statsmodels raised during the fit.
    """

    odds_ratios: pd.DataFrame
    separation: bool
    note: str
    n: int
    n_events: int
    results: Any
    covariates: list[str]
    alpha: float
    fit_warnings: list[str] = field(default_factory=list)


def _has_separation(X: np.ndarray, y: np.ndarray, tol: float = 1e-6) -> bool:
    """Linear-programming check for (quasi-)complete separation (Konis 2007).

    Separation exists iff some direction b gives s_i * x_i'b >= 0 for every row (s_i = +1 for
    outcome 1, -1 for 0) with at least one strict inequality: then moving the coefficients
    along b forever keeps raising the likelihood, so no finite estimate exists. We maximise
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


def fit_participation_logit(
    df: pd.DataFrame, outcome_col: str, covariates: list[str], alpha: float = 0.05
) -> LogitResult:
    """Logistic regression for "state has any agreement" (outcome 0/1), as odds ratios.

    Method: a Binomial GLM with logit link; exp(coefficient) is the odds ratio for a one-unit
    increase in the covariate. With ~50 states, a covariate can split the states perfectly
    (every state above some vote share participates, none below): *separation*. Then the
    maximum-likelihood estimate does not exist; statsmodels only warns (and misses the
    quasi-complete case). We check with a linear program as well, and report separation in
    the result with NaN odds ratios instead of crashing or printing absurd numbers.
    """
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import PerfectSeparationError, PerfectSeparationWarning

    covariates = list(covariates)
    data, X, notes = _design(df, [outcome_col, *covariates], covariates)
    yv = data[outcome_col]
    if not yv.isin([0.0, 1.0]).all():
        raise ValueError(f"{outcome_col} must be 0/1 (or boolean)")
    n, n_events = len(data), int(yv.sum())
    if n <= X.shape[1]:
        raise ValueError(f"{n} rows cannot fit {X.shape[1]} parameters")

    sm_separation = False
    res = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = sm.GLM(yv, X, family=sm.families.Binomial()).fit()
        except PerfectSeparationError:  # older statsmodels raised instead of warning
            sm_separation = True
    fit_warnings = [str(w.message) for w in caught]
    sm_separation = sm_separation or any(
        issubclass(w.category, PerfectSeparationWarning) for w in caught
    )
    lp_separation = n_events in (0, n) or _has_separation(X.to_numpy(), yv.to_numpy())
    separation = sm_separation or lp_separation

    if separation:
        note = ("separation: the covariates split participating from non-participating "
                "states (perfectly or with ties on the boundary), so the odds ratios have no "
                "finite estimate; report the split itself, or use a penalised (Firth) model")
        orr = pd.DataFrame({"term": covariates, "odds_ratio": np.nan, "ci_low": np.nan,
                            "ci_high": np.nan, "p_value": np.nan})
    else:
        note = "no separation detected"
        orr = _ratio_table(res.params, res.conf_int(alpha=alpha), res.pvalues, covariates,
                           "odds_ratio")
        # Warnings unrelated to separation are the caller's business: pass them on.
        for w in caught:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if notes:
        note += "; " + "; ".join(notes)
    return LogitResult(
        odds_ratios=orr,
        separation=separation,
        note=note,
        n=n,
        n_events=n_events,
        results=res,
        covariates=covariates,
        alpha=alpha,
        fit_warnings=fit_warnings,
    )


# ---------------------------------------------------------------------------------------
# 6. Per-capita
# ---------------------------------------------------------------------------------------


def per_capita(counts: pd.Series, population: pd.Series, per: float = 1_000_000) -> pd.Series:
    """Counts per ``per`` residents (default per million), aligned on the state index.

    Why: big states have more sheriffs and more people; "Texas has the most agreements"
    and "Texas has the most per resident" are different claims. Every state in ``counts``
    must have a positive population (ValueError names the ones missing), so a typo or a
    territory without population data cannot silently turn into NaN.
    """
    values = _check_counts(counts)
    pop = population.reindex(values.index)
    missing = [str(s) for s in values.index[pop.isna()]]
    if missing:
        raise ValueError(f"no population for: {sorted(missing)}")
    if (pop <= 0).any():
        raise ValueError("population must be positive")
    out = values / pop.astype(float) * per
    out.name = "per_capita"
    return out
