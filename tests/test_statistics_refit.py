"""Each headline estimate of the statistics section, re-fitted independently in a few lines on the
processed tables (plain pandas, numpy, scipy or statsmodels, never the code under test), and the
statistics figures drawn twice to the same bytes. Runs on the real archive panel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import paths

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def s(missing_data):
    from analysis.analyses import statistics

    if not (paths.project().processed / "archive" / "snapshots.parquet").is_file():
        missing_data("archive panel not built (make test builds it first)")
    return statistics.analyse(as_of="2025-06-16", later_as_of="2026-05-18", inauguration="2025-01-20",
                              breitbart_date="2025-09-03", voz_date="2025-09-18", panel=paths.project())


def _archive(name: str, **kw) -> pd.DataFrame:
    return pd.read_parquet(paths.project().processed / "archive" / name, **kw)


def test_share_and_hhi_on_the_engines_sheet(s):
    rows = _archive("agreements.parquet", columns=["snapshot_id", "state"], filters=[("snapshot_id", "==", s.sheet["id"])])
    share = rows["state"].value_counts(normalize=True)
    assert s.sheet["file"].endswith("participating_2025-06-16_pm.xlsx")  # the claims' sheet for that day
    b = s.bootstrap["agreements"].table.set_index("measure")["estimate"]
    assert b["focus_share"] == pytest.approx(share["FL"])
    assert b["hhi"] == pytest.approx(((100 * share) ** 2).sum())
    assert b["effective_states"] == pytest.approx(10_000 / ((100 * share) ** 2).sum())


def test_bootstrap_interval(s):
    a, r = s.agencies, s.bootstrap["agencies"]
    idx = np.random.default_rng(r.seed).integers(0, len(a), size=(r.replicates, len(a)))
    fl = (a["state"].to_numpy()[idx] == "FL").mean(axis=1)
    lo, hi = np.percentile(fl, [2.5, 97.5])
    t = r.table.set_index("measure").loc["focus_share"]
    assert (t["ci_low"], t["ci_high"]) == pytest.approx((lo, hi))


def test_weekly_flows_and_their_rate_ratios(s):
    import statsmodels.api as sm

    h = _archive("history.parquet")
    a = h[(h["unit"] == "agreement") & (h["kind"] == "participating") & h["replaces"].isna()]
    f = s.flows.tables["agreements"]
    row = f.iloc[-1]
    assert row["added"] == ((a["first_seen"] > row["start"]) & (a["first_seen"] <= row["end"])).sum()
    d = s.flows.regimes[("agreements", "removed")].data
    X = sm.add_constant(pd.get_dummies(d["period"], prefix="p", drop_first=True).astype(float))
    nb = sm.NegativeBinomial(d["removed"], X, exposure=d["days"]).fit(disp=False, maxiter=1000, method="bfgs")
    rates = 7 * np.exp(nb.params["const"] + np.r_[0, nb.params[["p_1", "p_2", "p_3"]]])
    ours = s.flows.regimes[("agreements", "removed")].rates["per_week"].to_numpy()
    assert rates == pytest.approx(ours, rel=1e-3)


def test_survival_against_statsmodels(s):
    from statsmodels.duration.hazard_regression import PHReg
    from statsmodels.duration.survfunc import SurvfuncRight

    t = s.survival.table
    terms = ["tfm", "wso", "florida", "signed_2025_on"]
    cox = PHReg(t["duration"], t[terms].astype(float), status=t["removed"], entry=t["entry"], ties="efron").fit()
    # lifelines and statsmodels break ties at entry differently: equal to 1.5%
    assert np.exp(cox.params) == pytest.approx(s.survival.cox.hazard_ratios["hazard_ratio"].to_numpy(), rel=0.015)
    new = t[t["signed_2025_on"] == 1]
    km = SurvfuncRight(new["duration"], new["removed"], entry=new["entry"])
    at_one = km.surv_prob[np.searchsorted(km.surv_times, 1.0, side="right") - 1]
    ours = s.survival.at_years.set_index(["group", "years"]).loc[("signed 2025-01-20 or later", 1.0), "still_listed"]
    assert at_one == pytest.approx(ours, abs=2e-3)


def test_state_count_model(s):
    import statsmodels.api as sm

    p = s.models.panel
    X = sm.add_constant(p[["trump_share", "pending_per_1000"]])
    nb = sm.NegativeBinomial(p["agreements"], X, offset=np.log(p["population"])).fit(disp=False, maxiter=1000, method="bfgs")
    assert np.exp(0.1 * nb.params["trump_share"]) == pytest.approx(s.models.count_scaled.iloc[0]["ratio"], rel=1e-3)
    no_fl = p[p["state"] != "FL"]
    nb2 = sm.NegativeBinomial(no_fl["agreements"], sm.add_constant(no_fl[["trump_share", "pending_per_1000"]]),
                              offset=np.log(no_fl["population"])).fit(disp=False, maxiter=1000, method="bfgs")
    assert np.exp(5 * nb2.params["pending_per_1000"]) == pytest.approx(s.models.count_without_fl_scaled.iloc[1]["ratio"], rel=1e-3)


def test_firth_logit_by_maximising_the_penalised_likelihood(s):
    """Firth's estimate maximises loglik + 1/2 log det(information): a few lines of scipy on statsmodels' Logit."""
    import statsmodels.api as sm
    from scipy.optimize import minimize

    p = s.models.panel
    X = sm.add_constant(p[["trump_share", "pending_per_1000"]]).to_numpy()
    logit = sm.Logit(p["any_agreement"].to_numpy(), X)
    penalised = lambda b: -(logit.loglike(b) + 0.5 * np.linalg.slogdet(-logit.hessian(b))[1])  # noqa: E731
    b = minimize(penalised, np.zeros(3), method="BFGS", options={"gtol": 1e-8}).x
    assert np.exp(0.1 * b[1]) == pytest.approx(s.models.logit_scaled.iloc[0]["ratio"], rel=1e-3)


def test_the_figures_are_byte_stable(s, tmp_path):
    from analysis.analyses import statistics_figures

    first = {f["name"]: (tmp_path / "a" / f"{f['name']}.png").read_bytes() for f in statistics_figures.make_all(s, tmp_path / "a")}
    second = {f["name"]: (tmp_path / "b" / f"{f['name']}.png").read_bytes() for f in statistics_figures.make_all(s, tmp_path / "b")}
    assert first == second and len(first) >= 6
