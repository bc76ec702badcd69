"""Tests for the statistics methods (concentration_stats, stock_trend, count_models, participation): hand-computed values on tiny inputs, and recovery of known
parameters from seeded simulations for the regression models."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from analysis.analyses import concentration_stats, count_models, participation, stock_trend, wording

# ---------------------------------------------------------------------------------------
# 1. Concentration
# ---------------------------------------------------------------------------------------


def test_shares_sorted_desc_with_name_tiebreak():
    s = concentration_stats.shares(pd.Series({"TX": 30, "FL": 50, "GA": 20}))
    assert list(s.index) == ["FL", "TX", "GA"]
    assert s.tolist() == pytest.approx([0.5, 0.3, 0.2])
    tied = concentration_stats.shares(pd.Series({"NC": 2, "AL": 2, "GA": 1, "CA": 2}))
    assert list(tied.index) == ["AL", "CA", "NC", "GA"]
    assert tied.tolist() == pytest.approx([2 / 7, 2 / 7, 2 / 7, 1 / 7])


def test_shares_order_independent_of_input_order():
    a = pd.Series({"B": 3, "A": 3, "C": 9})
    b = a.iloc[::-1]
    pd.testing.assert_series_equal(concentration_stats.shares(a), concentration_stats.shares(b))


@pytest.mark.parametrize(
    "counts, bad",
    [({"FL": 0, "TX": 0}, "total"), ({"FL": -1, "TX": 3}, "non-negative"),
     ({"FL": np.nan, "TX": 3}, "missing")],
)
def test_shares_rejects_bad_counts(counts, bad):
    with pytest.raises(ValueError, match=bad):
        concentration_stats.shares(pd.Series(counts))


def test_hhi_hand_values():
    assert concentration_stats.hhi(pd.Series({"FL": 50, "TX": 30, "GA": 20})) == pytest.approx(3800)
    assert concentration_stats.hhi(pd.Series({"FL": 7})) == pytest.approx(10_000)
    assert concentration_stats.hhi(pd.Series({"A": 1, "B": 1, "C": 1, "D": 1})) == pytest.approx(2500)
    # scale invariant: doubling every count keeps the shares
    assert concentration_stats.hhi(pd.Series({"FL": 100, "TX": 60, "GA": 40})) == pytest.approx(3800)


COUNTS = pd.Series({"FL": 10, "TX": 5, "GA": 3, "NC": 3, "AL": 3, "OK": 1})  # total 25


def test_top_k_share_and_list():
    assert concentration_stats.top_k_share(COUNTS, 3) == pytest.approx(18 / 25)
    assert concentration_stats.top_k_share(COUNTS, 1) == pytest.approx(0.4)
    # the engine's rule: a tie across the cut is not broken by name; the tied states are named apart
    assert concentration_stats.top_k(COUNTS, 3) == ["FL", "TX"]
    assert concentration_stats.top_k(COUNTS, 2) == ["FL", "TX"]
    assert concentration_stats.top_k(COUNTS, 5) == ["FL", "TX", "AL", "GA", "NC"]  # the whole tie group fills the five
    table = {str(k): int(v) for k, v in COUNTS.sort_values(ascending=False, kind="stable").items()}
    for k in range(1, 7):  # one rule: the engine's
        from analysis.engine import measures

        assert concentration_stats.top_k(COUNTS, k) == measures.top(dict(sorted(table.items(), key=lambda kv: (-kv[1], kv[0]))), k)[0]


def test_top_k_ties_only_when_the_cut_splits_a_tie():
    assert concentration_stats.top_k_ties(COUNTS, 3) == ["AL", "GA", "NC"]
    assert concentration_stats.top_k_ties(COUNTS, 4) == ["AL", "GA", "NC"]
    assert concentration_stats.top_k_ties(COUNTS, 2) == []  # 5 vs 3: clean cut
    assert concentration_stats.top_k_ties(COUNTS, 5) == []  # the whole tie group is in
    assert concentration_stats.top_k_ties(COUNTS, 10) == []


def test_top_k_excludes_zero_counts_and_rejects_bad_k():
    c = pd.Series({"FL": 3, "TX": 0, "GA": 0})
    assert concentration_stats.top_k(c, 5) == ["FL"]
    assert concentration_stats.top_k_ties(c, 1) == []
    with pytest.raises(ValueError):
        concentration_stats.top_k(c, 0)


def test_concentration_table_hand_values():
    df = pd.DataFrame(
        {
            "snapshot_id": ["s1", "s1", "s1", "s2", "s2", "s2", "s2"],
            "state": ["FL", "TX", "GA", "FL", "TX", "GA", "TX"],
            "count": [6, 3, 1, 2, 1, 0, 1],  # s2 has TX twice: summed to 2
        }
    )
    t = concentration_stats.concentration_table(df, k=1).set_index("snapshot_id")
    assert t.loc["s1", "total"] == 10
    assert t.loc["s1", "n_states"] == 3
    assert t.loc["s1", "focus_share"] == pytest.approx(0.6)
    assert t.loc["s1", "top_k_share"] == pytest.approx(0.6)
    assert t.loc["s1", "hhi"] == pytest.approx(3600 + 900 + 100)
    assert t.loc["s1", "top_k_tied"] == ""
    assert t.loc["s2", "total"] == 4
    assert t.loc["s2", "n_states"] == 2  # GA has 0
    assert t.loc["s2", "focus_share"] == pytest.approx(0.5)
    assert t.loc["s2", "hhi"] == pytest.approx(5000)
    assert t.loc["s2", "top_k_states"] == ""  # FL and TX tie for first: neither is certainly the top one
    assert t.loc["s2", "top_k_tied"] == "FL, TX"
    t2 = concentration_stats.concentration_table(df, focus="CA", k=2).set_index("snapshot_id")
    assert t2.loc["s1", "focus_share"] == 0
    assert t2.loc["s1", "top_k_share"] == pytest.approx(0.9)


def test_multinomial_ci_contains_shares_sorted_and_matches_goodman():
    counts = pd.Series({"TX": 30, "GA": 20, "FL": 50, "AL": 20})
    ci = concentration_stats.multinomial_ci(counts)
    assert list(ci.columns) == ["state", "count", "share", "lower", "upper"]
    assert ci["state"].tolist() == ["FL", "TX", "AL", "GA"]
    assert ci["count"].tolist() == [50, 30, 20, 20]
    assert ci["share"].tolist() == pytest.approx([50 / 120, 0.25, 1 / 6, 1 / 6])
    assert (ci["lower"] < ci["share"]).all() and (ci["share"] < ci["upper"]).all()
    assert ((ci["lower"] >= 0) & (ci["upper"] <= 1)).all()
    # Goodman's simultaneous intervals are Wilson intervals at Bonferroni level alpha/k:
    lo, hi = proportion_confint(ci["count"], 120, alpha=0.05 / 4, method="wilson")
    np.testing.assert_allclose(ci["lower"], lo)
    np.testing.assert_allclose(ci["upper"], hi)
    # ... hence wider than one-at-a-time 95% intervals
    lo1, hi1 = proportion_confint(ci["count"], 120, alpha=0.05, method="wilson")
    assert ((ci["upper"] - ci["lower"]) > (hi1 - lo1)).all()
    pd.testing.assert_frame_equal(ci, concentration_stats.multinomial_ci(counts.iloc[::-1]))


# ---------------------------------------------------------------------------------------
# 2. Crossing date
# ---------------------------------------------------------------------------------------

DATES = pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-15", "2025-04-01", "2025-05-01"])


def test_crossing_bracket_exact_threshold_counts_as_not_below():
    s = pd.Series([0.50, 0.45, 0.40, 0.38, 0.41], index=DATES)
    b = concentration_stats.crossing_bracket(s, 0.40)
    assert b is not None
    assert b.last_above_date == pd.Timestamp("2025-03-15")
    assert b.first_below_date == pd.Timestamp("2025-04-01")
    assert b.last_above_value == pytest.approx(0.40)
    assert b.first_below_value == pytest.approx(0.38)
    assert b.width_days == 17
    assert b.stays_crossed is False  # back to 0.41 on May 1


def test_crossing_bracket_first_crossing_and_stays():
    s = pd.Series([0.6, 0.3, 0.7, 0.2, 0.1], index=DATES)
    b = concentration_stats.crossing_bracket(s, 0.5)
    assert (b.last_above_date, b.first_below_date) == (DATES[0], DATES[1])
    s2 = pd.Series([0.6, 0.55, 0.5, 0.45, 0.1], index=DATES)
    b2 = concentration_stats.crossing_bracket(s2, 0.5)
    assert (b2.last_above_date, b2.first_below_date) == (DATES[2], DATES[3])
    assert b2.stays_crossed is True


def test_crossing_bracket_never_crosses():
    assert concentration_stats.crossing_bracket(pd.Series([0.5, 0.6, 0.5, 0.7, 0.5], index=DATES), 0.5) is None
    # starting below is not an observed crossing
    assert concentration_stats.crossing_bracket(pd.Series([0.3, 0.2, 0.3, 0.2, 0.1], index=DATES), 0.5) is None


def test_crossing_bracket_upward_and_guards():
    s = pd.Series([1, 1, 2, 3, 4], index=DATES)
    b = concentration_stats.crossing_bracket(s, 2, direction="above")
    assert (b.last_below_date, b.first_above_date) == (DATES[1], DATES[2])
    with pytest.raises(AttributeError):
        b.last_above_date  # noqa: B018
    with pytest.raises(ValueError, match="sorted"):
        concentration_stats.crossing_bracket(s.iloc[::-1], 2)
    with pytest.raises(ValueError):
        concentration_stats.crossing_bracket(s, 2, direction="sideways")


def test_crossing_bracket_skips_missing_values():
    s = pd.Series([0.6, np.nan, 0.55, 0.3, 0.2], index=DATES)
    b = concentration_stats.crossing_bracket(s, 0.5)
    assert (b.last_above_date, b.first_below_date) == (DATES[2], DATES[3])


# ---------------------------------------------------------------------------------------
# 3. Growth
# ---------------------------------------------------------------------------------------


def test_pct_and_fold_change_hand_values():
    assert stock_trend.pct_change(135, 957) == pytest.approx(608.888888, abs=1e-5)
    assert stock_trend.fold_change(135, 957) == pytest.approx(7.088888, abs=1e-5)
    assert stock_trend.pct_change(200, 150) == pytest.approx(-25.0)
    for bad in (0, -3):
        with pytest.raises(ValueError):
            stock_trend.pct_change(bad, 10)
        with pytest.raises(ValueError):
            stock_trend.fold_change(bad, 10)


def test_growth_table():
    t = stock_trend.growth_table([("Jan 2025", 135, "Jul 2025", 957), ("a", 10, "b", 5)])
    assert t["label_from"].tolist() == ["Jan 2025", "a"]
    assert t["change"].tolist() == pytest.approx([822, -5])
    assert t["pct_change"].tolist() == pytest.approx([608.8888889, -50.0])
    assert t["fold_change"].tolist() == pytest.approx([957 / 135, 0.5])
    with pytest.raises(ValueError):
        stock_trend.growth_table([("x", 0, "y", 5)])


# ---------------------------------------------------------------------------------------
# 4. Segmented regression
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "n, lags", [(100, 4), (200, 4), (20, 2), (1000, 6), (10, 2), (1, 1), (0, 1)]
)
def test_hac_maxlags_rule(n, lags):
    assert stock_trend.hac_maxlags(n) == lags


def _simulated_series(seed=0, n=200, brk=100, s1=0.1, s2=2.0, jump=0.0):
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=float)
    e = np.zeros(n)
    shocks = rng.normal(0, 1.0, n)
    for i in range(1, n):  # AR(1) noise, as cumulative counts have
        e[i] = 0.5 * e[i - 1] + shocks[i]
    y = 50 + s1 * t + (s2 - s1) * np.maximum(0, t - brk) + jump * (t >= brk) + e
    dates = pd.date_range("2025-01-01", periods=n, freq="D")
    return dates, y, dates[brk]


def test_segmented_regression_recovers_slopes():
    dates, y, brk = _simulated_series()
    r = stock_trend.segmented_regression(dates, y, [brk])
    assert r.results.cov_type == "HAC"
    assert r.hac_lags == stock_trend.hac_maxlags(200) == 4
    assert r.breaks == [brk] and r.dropped_breaks == [] and r.notes == []
    sl = r.slopes
    assert sl["slope"].tolist() == pytest.approx([0.1, 2.0], abs=0.05)
    for truth, lo, hi in zip([0.1, 2.0], sl["ci_low"], sl["ci_high"]):
        assert lo < truth < hi
    assert sl["start"].tolist() == [dates[0], brk]
    assert sl["end"].tolist() == [brk, dates[-1]]
    ct = r.coef_table.set_index("term")
    assert list(ct.index) == ["const", "t", f"slope_change_{brk.date()}"]
    assert ct.loc[f"slope_change_{brk.date()}", "estimate"] == pytest.approx(1.9, abs=0.07)
    # segment 2's slope is the sum of two coefficients; its SE comes from the covariance
    cov = r.results.cov_params().to_numpy()
    c = np.array([0, 1, 1])
    assert sl["std_err"].iloc[1] == pytest.approx(np.sqrt(c @ cov @ c))
    assert sl["slope"].iloc[1] == pytest.approx(ct["estimate"].iloc[1] + ct["estimate"].iloc[2])


def test_segmented_regression_explicit_lags_change_the_errors():
    dates, y, brk = _simulated_series()
    r0 = stock_trend.segmented_regression(dates, y, [brk], hac_lags=0)
    r10 = stock_trend.segmented_regression(dates, y, [brk], hac_lags=10)
    assert r10.hac_lags == 10
    np.testing.assert_allclose(r0.results.params, r10.results.params)
    # positively autocorrelated noise: more lags, larger (honest) standard errors
    assert r10.slopes["std_err"].iloc[1] > r0.slopes["std_err"].iloc[1]


def test_segmented_regression_drops_breaks_outside_range():
    dates, y, brk = _simulated_series()
    outside = [pd.Timestamp("2024-06-01"), dates[0], pd.Timestamp("2026-01-01")]
    r = stock_trend.segmented_regression(dates, y, [*outside, brk])
    assert r.breaks == [brk]
    assert r.dropped_breaks == sorted(outside)
    assert len(r.notes) == 3 and all("outside the data range" in n for n in r.notes)
    ref = stock_trend.segmented_regression(dates, y, [brk])
    np.testing.assert_allclose(r.results.params, ref.results.params)
    none_left = stock_trend.segmented_regression(dates, y, outside)
    assert len(none_left.slopes) == 1 and none_left.breaks == []


def test_segmented_regression_level_shift():
    dates, y, brk = _simulated_series(seed=3, jump=25.0)
    r = stock_trend.segmented_regression(dates, y, [brk], level_shifts=True)
    ls = r.level_shifts
    assert ls["break_date"].tolist() == [brk]
    assert ls["jump"].iloc[0] == pytest.approx(25.0, abs=3)
    assert ls["ci_low"].iloc[0] < 25 < ls["ci_high"].iloc[0]
    assert r.slopes["slope"].tolist() == pytest.approx([0.1, 2.0], abs=0.07)
    assert stock_trend.segmented_regression(dates, y, [brk]).level_shifts is None


def test_describe_segments_sentences():
    dates, y, brk = _simulated_series()
    r = stock_trend.segmented_regression(dates, y, [brk, pd.Timestamp("2030-01-01")])
    lines = stock_trend.describe_segments(r, unit="agreements")
    assert len(lines) == 3
    sl = r.slopes
    s2 = sl.iloc[1]
    assert lines[1] == (
        f"Between {brk.date()} and {dates[-1].date()} agreements grew by about "
        f"{s2.slope:.1f} per day (95% CI {s2.ci_low:.1f} to {s2.ci_high:.1f})."
    )
    assert re.match(r"^Between 2025-01-01 and 2025-04-11 agreements grew by about 0\.\d\d "
                    r"per day \(95% CI 0\.\d\d to 0\.\d\d\)\.$", lines[0])
    assert "2030-01-01" in lines[2] and lines[2].startswith("Break")

    # falling series reports the size of the fall and a positive interval
    rd = stock_trend.segmented_regression(dates, -y, [brk])
    down = stock_trend.describe_segments(rd, unit="agreements")[1]
    s = rd.slopes.iloc[1]
    assert f"fell by about {-s.slope:.1f} per day (95% CI {-s.ci_high:.1f} to {-s.ci_low:.1f})" \
        in down

    # flat noise: interval straddles zero and says so
    rng = np.random.default_rng(11)
    flat = stock_trend.segmented_regression(dates, rng.normal(0, 1, len(dates)), [])
    assert "includes zero" in stock_trend.describe_segments(flat)[0]


def test_segmented_regression_guards():
    dates, y, brk = _simulated_series(n=10, brk=5)
    with pytest.raises(ValueError, match="length"):
        stock_trend.segmented_regression(dates, y[:-1], [])
    with pytest.raises(ValueError, match="duplicates"):
        stock_trend.segmented_regression(list(dates[:3]) * 2, y[:6], [])
    y2 = y.copy()
    y2[2] = np.nan
    r = stock_trend.segmented_regression(dates, y2, [brk])
    assert r.n == 9 and "missing" in r.notes[0]


# ---------------------------------------------------------------------------------------
# 5. Count models
# ---------------------------------------------------------------------------------------


def _count_frame(seed, n, nb_alpha=None):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "trump_share": rng.uniform(0.3, 0.7, n),
            "pop": rng.uniform(1.0, 50.0, n),
        }
    )
    mu = df["pop"] * np.exp(-2.0 + 0.3 * df["x"] + 2.0 * df["trump_share"])
    if nb_alpha is None:
        df["agreements"] = rng.poisson(mu)
    else:
        size = 1.0 / nb_alpha
        df["agreements"] = rng.negative_binomial(size, size / (size + mu))
    return df


def test_poisson_recovers_rate_ratios_with_offset():
    df = _count_frame(seed=1, n=1500)
    r = count_models.fit_count_model(df, "agreements", "pop", ["x", "trump_share"])
    assert r.model == "poisson" and "Poisson kept" in r.reason
    assert r.dispersion < 1.2 and r.nb_alpha is None and r.n == 1500
    rr = r.rate_ratios.set_index("term")
    assert list(rr.columns) == ["rate_ratio", "ci_low", "ci_high", "p_value"]
    for term, beta in [("x", 0.3), ("trump_share", 2.0)]:
        truth = np.exp(beta)
        assert rr.loc[term, "ci_low"] < truth < rr.loc[term, "ci_high"]
        assert rr.loc[term, "rate_ratio"] == pytest.approx(truth, rel=0.15)
    # the offset matters: the intercept is the log rate per unit of exposure
    assert r.results.params["const"] == pytest.approx(-2.0, abs=0.25)


def test_overdispersed_counts_trigger_negative_binomial():
    df = _count_frame(seed=2, n=800, nb_alpha=0.8)
    r = count_models.fit_count_model(df, "agreements", "pop", ["x", "trump_share"])
    assert r.dispersion > count_models.OVERDISPERSION_THRESHOLD
    assert r.model == "negative_binomial" and "negative binomial" in r.reason
    assert r.nb_alpha == pytest.approx(0.8, rel=0.35)
    rr = r.rate_ratios.set_index("term")
    assert "alpha" not in rr.index and "const" not in rr.index
    for term, beta in [("x", 0.3), ("trump_share", 2.0)]:
        assert rr.loc[term, "ci_low"] < np.exp(beta) < rr.loc[term, "ci_high"]
    # NB intervals are honest: wider than the (overconfident) Poisson ones
    p = r.poisson_results
    assert r.results.bse["x"] > p.bse["x"]


def test_describe_rate_ratios_scales_to_meaningful_change():
    df = _count_frame(seed=1, n=1500)
    r = count_models.fit_count_model(df, "agreements", "pop", ["x", "trump_share"])
    lines = count_models.describe_rate_ratios(r, per={"trump_share": (0.10, "10 percentage points")})
    assert len(lines) == 2
    row = r.rate_ratios.set_index("term").loc["trump_share"]
    rr10 = row.rate_ratio ** 0.1  # ~ exp(0.2) = 1.22
    assert 1.1 < rr10 < 1.35
    assert lines[1].startswith("Holding the other covariates fixed, 10 percentage points higher "
                               "trump_share")
    assert f"{rr10:.2f} times as high" in lines[1]
    assert f"interval {row.ci_low ** 0.1:.2f} to {row.ci_high ** 0.1:.2f}" in lines[1]
    assert "1 unit of x" in lines[0]


def test_count_model_guards():
    df = _count_frame(seed=1, n=50)
    bad = df.assign(pop=df["pop"].where(df.index != 3, 0.0))
    with pytest.raises(ValueError, match="positive"):
        count_models.fit_count_model(bad, "agreements", "pop", ["x"])
    with pytest.raises(KeyError):
        count_models.fit_count_model(df, "agreements", "pop", ["nope"])


def _logit_frame(seed=5, n=2000):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    p = 1 / (1 + np.exp(-(-0.5 + np.log(2.0) * x)))
    return pd.DataFrame({"x": x, "any": (rng.uniform(size=n) < p).astype(int)})


def test_logit_recovers_odds_ratio():
    df = _logit_frame()
    r = participation.fit_participation_logit(df, "any", ["x"])
    assert r.separation is False and r.n == 2000 and r.converged
    orow = r.odds_ratios.set_index("term").loc["x"]
    assert orow.ci_low < 2.0 < orow.ci_high
    assert orow.odds_ratio == pytest.approx(2.0, rel=0.15)
    assert orow.p_value < 1e-6


def test_firth_logit_on_a_two_by_two_table_adds_a_half_to_each_cell():
    """The published property of Firth's estimate (Firth 1993; Heinze and Schemper 2002): with one
    binary covariate, the penalised log odds ratio is the empirical one after adding 1/2 to each cell,
    finite even when a cell is empty (here: no event among the unexposed, separation)."""
    cells = {(0, 0): 7, (0, 1): 0, (1, 0): 3, (1, 1): 5}  # (exposed, event): count
    rows = [(x, y) for (x, y), n in cells.items() for _ in range(n)]
    df = pd.DataFrame(rows, columns=["x", "any"])
    r = participation.fit_participation_logit(df, "any", ["x"])
    assert r.separation is True  # the ordinary logit has no finite estimate here
    haldane = ((cells[1, 1] + 0.5) * (cells[0, 0] + 0.5)) / ((cells[1, 0] + 0.5) * (cells[0, 1] + 0.5))
    assert r.odds_ratios.iloc[0]["odds_ratio"] == pytest.approx(haldane, rel=1e-4)
    lo, hi = r.odds_ratios.iloc[0][["ci_low", "ci_high"]]
    assert np.isfinite(lo) and np.isfinite(hi) and lo < haldane < hi


def test_logit_perfect_separation_gives_finite_penalised_estimates():
    df = pd.DataFrame({"x": np.arange(10.0), "any": (np.arange(10) > 4.5).astype(int)})
    r = participation.fit_participation_logit(df, "any", ["x"])
    assert r.separation is True and "separated" in r.note
    assert np.isfinite(r.odds_ratios["odds_ratio"]).all() and (r.odds_ratios["odds_ratio"] > 1).all()


def test_logit_quasi_separation_detected():
    # x <= 4 -> 0, x >= 6 -> 1, both outcomes at x == 5: statsmodels does not warn here
    x = np.r_[np.arange(5.0), 5.0, 5.0, np.arange(6.0, 12.0)]
    y = np.r_[np.zeros(5), 0, 1, np.ones(6)]
    r = participation.fit_participation_logit(pd.DataFrame({"x": x, "any": y}), "any", ["x"])
    assert r.separation is True


def test_predicted_probabilities_follow_the_fitted_curve():
    df = _logit_frame()
    r = participation.fit_participation_logit(df, "any", ["x"])
    p = participation.predicted_probabilities(r, "x", [-1.0, 0.0, 1.0])
    b = np.asarray(r.results.params)
    assert p["probability"].tolist() == pytest.approx((1 / (1 + np.exp(-(b[0] + b[1] * np.array([-1.0, 0.0, 1.0]))))).tolist())
    assert (p["ci_low"] < p["probability"]).all() and (p["probability"] < p["ci_high"]).all()


def test_logit_overlap_is_not_separation():
    df = pd.DataFrame({"x": [0, 1, 2, 3, 4, 5, 6, 7.0], "any": [0, 0, 1, 0, 1, 0, 1, 1]})
    r = participation.fit_participation_logit(df, "any", ["x"])
    assert r.separation is False
    assert np.isfinite(r.odds_ratios["odds_ratio"]).all()
    with pytest.raises(ValueError, match="0/1"):
        participation.fit_participation_logit(df.assign(any=df["any"] * 2), "any", ["x"])


# ---------------------------------------------------------------------------------------
# 6. Per-capita
# ---------------------------------------------------------------------------------------


def test_sentence_number_formatting():
    assert wording.fmt(3.14159) == "3.1"
    assert wording.fmt(0.1234) == "0.12"
    assert wording.fmt(0.0042) == "0.0042"  # small values keep two significant digits
    assert wording.fmt(1234.5) == "1,234"
    d = wording.decimals(0.10, 0.0915, 0.11)
    assert [wording.fmt(v, d) for v in (0.10, 0.0915, 0.11)] == ["0.10", "0.09", "0.11"]


# ---------------------------------------------------------------------------------------
# Additions for the statistics notebook (issue 4)
# ---------------------------------------------------------------------------------------


def _dated(values, start="2025-01-01", step=10):
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq=f"{step}D"))


def test_crossing_bracket_last_is_the_crossing_that_stays():
    # dips below at index 2, back above at 3, below for good from 5
    s = _dated([0.40, 0.35, 0.30, 0.36, 0.34, 0.33, 0.31])
    first = concentration_stats.crossing_bracket(s, 1 / 3, "below", which="first")
    last = concentration_stats.crossing_bracket(s, 1 / 3, "below", which="last")
    assert (first.before_value, first.after_value, first.stays_crossed) == (0.35, 0.30, False)
    assert (last.before_value, last.after_value, last.stays_crossed) == (0.34, 0.33, True)
    assert last.before_date == s.index[4] and last.after_date == s.index[5]
    assert last.width_days == 10
    # a single crossing: first and last agree
    one = _dated([0.5, 0.4, 0.3])
    assert concentration_stats.crossing_bracket(one, 1 / 3, which="last") == concentration_stats.crossing_bracket(one, 1 / 3)
    # a series that re-crossed at its very end: the last crossing does not stay
    back = _dated([0.4, 0.3, 0.2, 0.4])
    assert concentration_stats.crossing_bracket(back, 1 / 3, which="last").stays_crossed is False
    with pytest.raises(ValueError, match="which"):
        concentration_stats.crossing_bracket(one, 1 / 3, which="middle")


def test_scale_ratios_hand_values():
    table = pd.DataFrame({"term": ["share", "rate"], "rate_ratio": [100.0, 2.0], "ci_low": [4.0, 0.5],
                          "ci_high": [400.0, 8.0], "p_value": [0.01, 0.2]})
    out = count_models.scale_ratios(table, {"share": (0.5, "half a unit"), "rate": (-1.0, "one unit less")},
                             names={"share": "vote share"}).set_index("term")
    # 100 ** 0.5 = 10, 4 ** 0.5 = 2, 400 ** 0.5 = 20
    assert out.loc["share", ["ratio", "ci_low", "ci_high"]].tolist() == pytest.approx([10.0, 2.0, 20.0])
    assert out.loc["share", "name"] == "vote share" and out.loc["share", "per_label"] == "half a unit"
    # a negative change inverts the ratio and swaps the interval's ends
    assert out.loc["rate", ["ratio", "ci_low", "ci_high"]].tolist() == pytest.approx([0.5, 0.125, 2.0])
    assert out.loc["rate", "name"] == "rate"  # no readable name given: the term
    unscaled = count_models.scale_ratios(table).set_index("term")
    assert unscaled.loc["rate", "ratio"] == 2.0 and unscaled.loc["rate", "per_label"] == "1 unit of rate"


def test_describe_rate_ratios_names_and_exposure():
    df = _count_frame(seed=1, n=1500)
    r = count_models.fit_count_model(df, "agreements", "pop", ["x", "trump_share"])
    lines = count_models.describe_rate_ratios(r, {"trump_share": (0.10, "10 percentage points")}, "agreements",
                                       "resident", {"trump_share": "Trump vote share"})
    assert "10 percentage points higher Trump vote share goes with a rate of agreements per resident" in lines[1]
    assert "poisson model" in lines[1]


def test_describe_odds_ratios_scaled_never_in_percent():
    rng = np.random.default_rng(5)
    x = rng.normal(size=2000)
    y = (rng.uniform(size=2000) < 1 / (1 + np.exp(-(0.2 + np.log(2.0) * x)))).astype(int)
    r = participation.fit_participation_logit(pd.DataFrame({"x": x, "any": y}), "any", ["x"])
    line = participation.describe_odds_ratios(r, {"x": (2.0, "2 units")}, names={"x": "exposure"})[0]
    orow = r.odds_ratios.iloc[0]
    assert line.startswith("Holding the other covariates fixed, 2 units higher exposure goes with odds of having")
    assert f"{orow.odds_ratio ** 2:.2f} times as high" in line and "%" not in line.replace("95%", "")


def test_segmented_predict_hand_values_and_fitted():
    # exact piecewise line, no noise: 10 + 1*t, slope 3 after day 10, slope 0 after day 20
    dates = pd.date_range("2025-01-01", periods=31, freq="D")
    t = np.arange(31.0)
    y = 10 + t + 2 * np.maximum(0, t - 10) - 3 * np.maximum(0, t - 20)
    r = stock_trend.segmented_regression(dates, y, [dates[10], dates[20]])
    assert r.slopes["slope"].tolist() == pytest.approx([1.0, 3.0, 0.0], abs=1e-9)
    np.testing.assert_allclose(stock_trend.segmented_predict(r, dates), r.results.fittedvalues, atol=1e-9)
    # between observations (a daily grid of a figure) and at a hand-computed day
    assert stock_trend.segmented_predict(r, [pd.Timestamp("2025-01-16")])[0] == pytest.approx(10 + 15 + 2 * 5)
    # with level shifts the step is part of the prediction
    y2 = y + 7 * (t >= 20)
    r2 = stock_trend.segmented_regression(dates, y2, [dates[10], dates[20]], level_shifts=True)
    np.testing.assert_allclose(stock_trend.segmented_predict(r2, dates), y2, atol=1e-8)


def test_segmented_regression_recovers_three_breaks_on_irregular_dates():
    """The notebook's design: four segments, breaks at the policy dates, sheets unevenly
    spaced, AR(1) noise; the HAC intervals cover the true daily slopes."""
    rng = np.random.default_rng(11)
    start = pd.Timestamp("2024-01-01")
    days = np.unique(np.r_[0, 360, 380, np.sort(rng.choice(np.arange(385, 870), 60, replace=False))])
    breaks = [pd.Timestamp("2025-01-20"), pd.Timestamp("2025-07-04"), pd.Timestamp("2025-10-01")]
    tb = [(b - start).days for b in breaks]
    slopes = [0.0, 4.0, 2.5, 3.5]
    t = days.astype(float)
    mean = 135 + slopes[0] * t + sum((slopes[j + 1] - slopes[j]) * np.maximum(0, t - tb[j]) for j in range(3))
    e = np.zeros(len(t))
    for i in range(1, len(t)):
        e[i] = 0.5 * e[i - 1] + rng.normal(0, 5)
    r = stock_trend.segmented_regression(start + pd.to_timedelta(days, "D"), mean + e, breaks)
    assert r.breaks == breaks and len(r.slopes) == 4
    for truth, row in zip(slopes, r.slopes.itertuples()):
        assert row.ci_low < truth < row.ci_high
        assert row.slope == pytest.approx(truth, abs=0.6)


# ---------------------------------------------------------------------------------------
# Bootstrap over agencies, flows
# ---------------------------------------------------------------------------------------


def test_bootstrap_concentration_hand_values_and_seed():
    from analysis.analyses import concentration_stats as cs

    agencies = pd.DataFrame({"state": ["FL", "FL", "TX", "GA"], "agreements": [3, 1, 2, 2]})
    r = cs.bootstrap_concentration(agencies, "agreements", replicates=500, seed=1)
    t = r.table.set_index("measure")["estimate"]
    assert t["focus_share"] == pytest.approx(0.5) and t["hhi"] == pytest.approx(50**2 + 25**2 + 25**2)
    assert t["effective_states"] == pytest.approx(10_000 / 3750)
    again = cs.bootstrap_concentration(agencies, "agreements", replicates=500, seed=1)
    pd.testing.assert_frame_equal(r.draws, again.draws)  # same seed, same draws
    a = cs.bootstrap_concentration(agencies, "agencies", replicates=500, seed=1).table.set_index("measure")["estimate"]
    assert a["focus_share"] == pytest.approx(0.5) and a["hhi"] == pytest.approx(3750)


def _weekly(rates: dict[str, float], seed=3):
    """Weekly intervals with Poisson counts at a given weekly rate per period (period starts as keys)."""
    from analysis.analyses import flows  # noqa: F401

    ends = pd.date_range("2024-01-07", "2026-01-04", freq="7D")
    starts = [pd.Timestamp(k) for k in rates]
    rate = [list(rates.values())[max(i for i, st in enumerate(starts) if e >= st)] if e >= starts[0] else 0 for e in ends]
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"unit": "agreements", "start": ends - pd.Timedelta(days=7), "end": ends, "days": 7,
                         "added": rng.poisson(rate), "removed": 0})


def test_regime_model_recovers_period_rates():
    from analysis.analyses import flows

    f = _weekly({"2024-01-01": 5.0, "2025-01-01": 20.0})
    r = flows.regime_model(f, "added", {"New year": "2025-01-01"})
    per_week = r.rates["per_week"].to_numpy()
    assert per_week[0] == pytest.approx(5.0, rel=0.2) and per_week[1] == pytest.approx(20.0, rel=0.2)
    row = r.ratios.iloc[0]
    assert row["ci_low"] < 4.0 < row["ci_high"]


def test_event_study_and_placebo_dates():
    from analysis.analyses import flows

    f = _weekly({"2024-01-01": 10.0})
    ev = flows.event_study(f, "added", "2025-01-01")
    assert ev.set_index("bin").loc["weeks -4 to -1", "rate_ratio"] == 1.0
    assert ((ev["ci_low"] <= 1.0) & (1.0 <= ev["ci_high"])).all()  # nothing changed: every bin covers 1
    dates = flows.placebo_dates(f, ["2025-03-01"], "2024-01-01")
    assert dates and all(abs((d - pd.Timestamp("2025-03-01")).days) >= 28 for d in dates)
    assert min(dates) >= pd.Timestamp("2024-01-01") + pd.Timedelta(weeks=12)
    assert max(dates) <= f["end"].max() - pd.Timedelta(weeks=12)
    pl = flows.placebo_study(f, "added", {"x": "2025-03-01"}, dates[:4])
    assert pl["kind"].tolist() == ["policy"] + ["placebo"] * 4 and 0 <= pl["placebo_share_as_far"].iloc[0] <= 1
