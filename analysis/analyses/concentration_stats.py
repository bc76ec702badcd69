"""How concentrated the agreements are: shares, the top five, the HHI, when Florida's share crossed
one third, and how much of that is chance.

Every function takes plain pandas/numpy inputs and returns plain values, Series or DataFrames: no
file I/O and no plotting, so each is testable on hand-computed examples. Docstrings say why a
method is used, because the readers are methods students checking journalism.

A sheet is a census of agreements, not a sample; the two kinds of interval here answer different
questions. ``multinomial_ci`` treats the sheet as one draw from a process that assigns each new
agreement to a state; ``bootstrap_concentration`` resamples *agencies* (the units that sign, some
with two or three agreements) and asks how much a share or the HHI depends on which agencies
happen to be on the list. Neither is sampling error of a survey.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

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
# Concentration
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
    """The states that are certainly among the k with the most agreements, in order: the engine's
    one rule for "the top k" (measures.top). When the k-th place is tied across the cut, only the
    states above the tied count are listed, and ``top_k_ties`` names the tied ones; no tie is broken
    by name. States with a count of 0 are never "top" states."""
    return _top_k_sorted(_sort_desc(_check_counts(counts)), k)


def _engine_top(ordered: pd.Series, k: int) -> tuple[list[str], list[str]]:
    if k < 1:
        raise ValueError("k must be at least 1")
    from ..engine import measures

    s = ordered[ordered > 0]
    return measures.top({str(x): v for x, v in zip(s.index, s.to_numpy())}, k)


def _top_k_sorted(ordered: pd.Series, k: int) -> list[str]:
    return _engine_top(ordered, k)[0]


def top_k_ties(counts: pd.Series, k: int = 5) -> list[str]:
    """The states tied at the k-th place across the cut, sorted by code; [] when the cut is clean
    (measures.top's second answer): a story naming k states there made a choice the data do not."""
    return _top_k_ties_sorted(_sort_desc(_check_counts(counts)), k)


def _top_k_ties_sorted(ordered: pd.Series, k: int) -> list[str]:
    return sorted(_engine_top(ordered, k)[1])


def top_k_share(counts: pd.Series, k: int = 5) -> float:
    """Share of all agreements held by the k largest states (0..1).

    Unlike the list of names, this number does not depend on how ties are broken: tied
    states have the same count, so whichever one is included adds the same amount.
    """
    return _top_k_share_of_shares(shares(counts), k)


def top_k_share_and_hhi(counts: pd.Series, k: int = 5) -> tuple[float, float]:
    """``top_k_share`` and ``hhi`` of the same counts, the shares computed once (a figure draws both
    on each of a thousand sheets)."""
    s = shares(counts)
    return _top_k_share_of_shares(s, k), _hhi_of_shares(s)


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
            top, tied = _engine_top(ordered, k)  # the top k and the ties at the cut, found once
            row = {
                by: snap,
                "total": total,
                "n_states": int((counts > 0).sum()),
                "focus_count": focus_count,
                "focus_share": focus_count / total,
                "top_k_share": _top_k_share_of_shares(share, k),
                "top_k_states": ", ".join(top),
                "top_k_tied": ", ".join(sorted(tied)),
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
# Crossing date
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
# Bootstrap over agencies
# ---------------------------------------------------------------------------------------

#: replicates of the agency bootstrap: enough for stable 2.5 and 97.5 percentiles (their Monte Carlo
#: error is well under a percentage point of share at this size), few enough to run in a second
BOOTSTRAP_REPLICATES = 2_000
#: the bootstrap's seed: fixed so the notebook's stored outputs and the report are byte-stable
BOOTSTRAP_SEED = 287


@dataclass
class BootstrapResult:
    """Percentile intervals of concentration measures when the agencies on a sheet are resampled."""

    unit: str
    replicates: int
    seed: int
    agencies: int
    table: pd.DataFrame  # measure, estimate, ci_low, ci_high
    draws: pd.DataFrame  # one row per replicate: focus_share, top_k_share, hhi, effective_states


def effective_states(hhi_value: float) -> float:
    """10,000 / HHI: the number of equal-sized states that would give the same HHI. An HHI of 2,076
    is as concentrated as 4.8 equal states, however many states have some agreements."""
    return 10_000.0 / hhi_value if hhi_value > 0 else float("nan")


def bootstrap_concentration(agencies: pd.DataFrame, unit: str = "agreements", focus: str = "FL", k: int = 5,
                            replicates: int = BOOTSTRAP_REPLICATES, seed: int = BOOTSTRAP_SEED,
                            alpha: float = 0.05) -> BootstrapResult:
    """Resample the agencies on a sheet with replacement and recompute the focus state's share, the
    top-k share, the HHI and the effective number of states.

    ``agencies``: one row per agency with ``state`` and ``agreements`` (its agreements on the
    sheet). In ``unit`` "agreements" each drawn agency brings its agreements; in "agencies" it
    counts once. Why agencies: they are what signs (an agency with a jail model and a task force
    has two agreements that are not independent), so resampling agreements would understate the
    spread. What the interval means: how much the measure would move if the list were a different
    draw of agencies with the same mix, a statement about the process that produced the list.
    Percentile intervals, ``replicates`` draws from numpy's PCG64 generator seeded with ``seed``.
    """
    if unit not in ("agreements", "agencies"):
        raise ValueError("unit must be agreements or agencies")
    if agencies.empty:
        raise ValueError("no agencies to resample")
    codes, states = pd.factorize(agencies["state"].astype(str), sort=True)
    weights = agencies["agreements"].to_numpy(dtype=float) if unit == "agreements" else np.ones(len(agencies))
    n, s = len(agencies), len(states)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n, size=(replicates, n))
    flat = (np.arange(replicates)[:, None] * s + codes[draws]).ravel()
    counts = np.bincount(flat, weights=weights[draws].ravel(), minlength=replicates * s).reshape(replicates, s)
    totals = counts.sum(axis=1)
    share = counts / totals[:, None]
    focus_share = share[:, list(states).index(focus)] if focus in set(states) else np.zeros(replicates)
    top = -np.sort(-share, axis=1)[:, :k].sum(axis=1)
    hhi_values = ((100 * share) ** 2).sum(axis=1)
    frame = pd.DataFrame({"focus_share": focus_share, "top_k_share": top, "hhi": hhi_values,
                          "effective_states": 10_000.0 / hhi_values})
    observed = pd.Series(np.bincount(codes, weights=weights, minlength=s), index=list(states))
    obs_share = observed / observed.sum()
    estimates = {"focus_share": float(obs_share.get(focus, 0.0)), "top_k_share": _top_k_share_of_shares(_sort_desc(obs_share), k),
                 "hhi": _hhi_of_shares(obs_share)}  # fmt: skip
    estimates["effective_states"] = effective_states(estimates["hhi"])
    q = [100 * alpha / 2, 100 * (1 - alpha / 2)]
    rows = [{"measure": m, "estimate": estimates[m], "ci_low": float(np.percentile(frame[m], q[0])),
             "ci_high": float(np.percentile(frame[m], q[1]))} for m in frame.columns]  # fmt: skip
    return BootstrapResult(unit=unit, replicates=replicates, seed=seed, agencies=n, table=pd.DataFrame(rows), draws=frame)
