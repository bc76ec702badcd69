"""The statistics notebook's values: what the counts mean, not only whether they are right.

Every sheet is read through the engine's one reader (``reader.open_panel``: the archive panel when built and
current), so the statistics and the claims speak of the same sheet on the same day, and every
result names the sheet it used. Five questions, each with a method module:

1. Concentration (concentration_stats): Florida's share, the top five's, the HHI and its
   effective number of states on every sheet, in agreements and in agencies; when Florida's share
   fell below one third; a bootstrap over agencies and multinomial intervals on one sheet.
2. Growth as flows (flows): agreements added and removed week by week from the archive's history,
   a negative binomial with one rate per policy period, event studies at the policy dates with
   placebo dates; the segmented trend of the stock (stock_trend) only as a contrast.
3. How long agreements last (survival): Kaplan-Meier and Cox models of time to removal.
4. Where agreements are (count_models, participation): rates per resident by state in both units,
   with and without Florida, and a hurdle (a Firth logit of any agreement, a zero-truncated
   negative binomial of how many).
5. Per-capita views: agreements per million residents, pending court cases per 1,000 residents.

``analyse`` computes everything once into a ``Summary``; nothing here prints. The narrative is in
notebooks/statistics.ipynb, the sentences it shares with the report and the records of
statistics.json in publish/report_statistics.py, the figures in statistics_figures.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..core.paths import Project
from ..engine import measures, series
from ..engine.asof import UNITS
from ..ingest.elections import STATES_AND_DC
from . import concentration_stats, count_models, flows, participation, state_panel, stock_trend, survival
from .figures import POLICY_DATES

ONE_THIRD = 1 / 3
FOCUS = "FL"
#: the per-sheet series start a year before the inauguration: the sheets the articles compare with
SERIES_START = "2024-01-01"

#: Covariates of the state models: readable names, and the change each ratio is reported for
#: (per 1.0 of a share would be per 100 percentage points, far outside the data).
COVARIATES = ["trump_share", "pending_per_1000"]
NAMES = {"trump_share": "Trump 2024 vote share", "pending_per_1000": "pending-case rate"}
PER = {"trump_share": (0.10, "10 percentage points"),
       "pending_per_1000": (5.0, "5 cases per 1,000 residents")}  # fmt: skip
#: Short axis labels for the forest plot.
SHORT = {"trump_share": "Trump vote share, +10 points", "pending_per_1000": "Pending cases, +5 per 1,000 residents"}
#: vote shares at which the participation model's probabilities are shown
VOTE_GRID = (0.30, 0.40, 0.45, 0.50, 0.55, 0.60, 0.70)


# --------------------------------------------------------------------------- sheets


def sheet_label(published, edition) -> str:
    """How a sheet is named in tables: its date, plus the edition when it is a word (am, pm)."""
    published = published.isoformat() if hasattr(published, "isoformat") else str(published)
    return f"{published}{' ' + edition if edition and str(edition)[0].isalpha() else ''}"


def sheet_tables(panel: measures.Panel, unit: str, start: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The engine's series on every participating sheet from ``start``: the breakdown by state
    (``value`` = {state: count}) and Florida's share (``value`` = a Fraction), one row per sheet
    with its snapshot_id, file, published, edition and edition_order."""
    tables = series.series(measures.Measure(unit=unit, statistic="breakdown", by="state"), panel, start=start)
    shares = series.series(measures.Measure(unit=unit, state=(FOCUS,), statistic="share"), panel, start=start)
    return tables, shares


def last_edition_per_day(frame: pd.DataFrame) -> pd.DataFrame:
    """Keep only each day's last edition (the sheet in force at the end of that day)."""
    ordered = frame.sort_values(["published", "edition_order"], kind="stable")
    return ordered.drop_duplicates("published", keep="last").reset_index(drop=True)


# --------------------------------------------------------------------------- 1. concentration


def concentration_over_time(tables: pd.DataFrame, shares: pd.DataFrame, unit: str) -> pd.DataFrame:
    """Concentration measures on every sheet (``sheet_tables``): total, states (50 + DC) with any,
    Florida's count and share (the engine's share: every row of the sheet, territories included, in
    the denominator), the top five's share and names, the HHI and the effective number of states."""
    long = pd.DataFrame([{"snapshot_id": sid, "state": st, "count": n}
                         for sid, table in zip(tables["snapshot_id"], tables["value"]) for st, n in table.items()])  # fmt: skip
    table = concentration_stats.concentration_table(long, by="snapshot_id", focus=FOCUS)
    cols = ["snapshot_id", "file", "published", "edition", "edition_order"]
    out = tables[cols].merge(table, on="snapshot_id", how="left")
    out["focus_share"] = out["snapshot_id"].map(dict(zip(shares["snapshot_id"], (float(v) for v in shares["value"]))))
    out["states_with_any"] = [sum(1 for st, n in t.items() if st in STATES_AND_DC and n > 0) for t in tables["value"]]
    out["effective_states"] = [concentration_stats.effective_states(h) for h in out["hhi"]]
    out["unit"] = unit
    out = out.rename(columns={"focus_count": "florida", "focus_share": "florida_share", "top_k_share": "top5_share",
                              "top_k_states": "top5_states", "top_k_tied": "tied_at_5th"})  # fmt: skip
    out["total"] = out["total"].astype(int)
    out["florida"] = out["florida"].astype(int)
    return out[[*cols, "unit", "total", "states_with_any", "florida", "florida_share", "top5_share", "top5_states",
                "tied_at_5th", "hhi", "effective_states"]]


def florida_crossing(table: pd.DataFrame, threshold: float = ONE_THIRD) -> dict | None:
    """When Florida's share fell below ``threshold`` for good: the last sheet at or above it and
    the first below it after which it never came back (one edition per day). The first downward
    crossing is reported too when it differs. None if the share never fell below."""
    daily = last_edition_per_day(table)
    series = pd.Series(daily["florida_share"].to_numpy(), index=pd.to_datetime(daily["published"]))
    last = concentration_stats.crossing_bracket(series, threshold, "below", which="last")
    if last is None:
        return None
    first = concentration_stats.crossing_bracket(series, threshold, "below", which="first")

    def _d(b):
        return {"last_at_or_above": b.before_date.date().isoformat(), "share_before": b.before_value,
                "first_below": b.after_date.date().isoformat(), "share_after": b.after_value,
                "width_days": b.width_days, "stays_below": b.stays_crossed}  # fmt: skip

    out = {"threshold": threshold, "unit": str(table["unit"].iloc[0]), "snapshots": len(daily), **_d(last)}
    out["first_crossing"] = None if first.before_date == last.before_date else _d(first)
    return out


def sheet_agencies(panel: measures.Panel, as_of: str, kind: str = "participating") -> tuple[pd.DataFrame, dict]:
    """One row per agency on the sheet in force on ``as_of`` (agency_id, state, agreements), the
    engine's rows of a plain count; and the sheet's record (file, published, edition, ...)."""
    ev = measures.evaluate(measures.Measure(kind=kind), as_of, panel)
    rows = ev.evidence
    agencies = rows.groupby(["agency_id", "state"], sort=True).size().rename("agreements").reset_index()
    return agencies, ev.snapshot


def multinomial_table(agencies: pd.DataFrame, top: int = 10, alpha: float = 0.05) -> pd.DataFrame:
    """Goodman simultaneous intervals for every jurisdiction's share of agreements on one sheet;
    the ``top`` largest. A *process* view (concentration_stats.multinomial_ci)."""
    counts = agencies.groupby("state")["agreements"].sum()
    return concentration_stats.multinomial_ci(counts, alpha=alpha).head(top)


# --------------------------------------------------------------------------- 2. growth: stock and flows


def article_growth(panel: measures.Panel, dates: dict[str, str]) -> pd.DataFrame:
    """Percent and fold increases between the articles' dates, in both units, each count the
    engine's on the sheet in force that day (the 135 -> 957 -> 1,000 sequence is in agreements)."""
    rows = []
    for unit in UNITS:
        at = {label: measures.evaluate(measures.Measure(unit=unit), day, panel) for label, day in dates.items()}
        labels = list(dates)
        pairs = [(labels[0], labels[1]), (labels[1], labels[2]), (labels[0], labels[2])]
        table = stock_trend.growth_table([(a, at[a].value, b, at[b].value) for a, b in pairs])
        table.insert(0, "unit", unit)
        table["date_from"] = table["label_from"].map(dates)
        table["date_to"] = table["label_to"].map(dates)
        table["sheet_from"] = table["label_from"].map(lambda k: at[k].snapshot["file"])
        table["sheet_to"] = table["label_to"].map(lambda k: at[k].snapshot["file"])
        rows.append(table)
    return pd.concat(rows, ignore_index=True)


@dataclass
class Flows:
    """The flow models (flows.py) on the archive's history."""

    tables: dict[str, pd.DataFrame]  # unit -> weekly flow table
    regimes: dict[tuple[str, str], flows.RegimeResult]  # (unit, added|removed) -> rates per policy period
    events: pd.DataFrame  # event study of agreements added at each policy date after the inauguration
    placebo: pd.DataFrame  # the four weeks after each policy and placebo date
    since: str  # the growth period the event studies and placebos are drawn from


def flow_models(history: pd.DataFrame, snapshots: pd.DataFrame, inauguration: str) -> Flows:
    """Weekly flows in both units, the period model of additions and removals, and the event
    studies with placebos on the post-inauguration weeks (before it, almost nothing was added)."""
    breaks = {"Inauguration": inauguration, **{k: v.isoformat() for k, v in POLICY_DATES.items() if k != "Inauguration"}}
    tables = {u: flows.flow_table(history, snapshots, u) for u in UNITS}
    regimes = {(u, col): flows.regime_model(tables[u], col, breaks) for u in UNITS for col in ("added", "removed")}
    post = tables["agreements"][tables["agreements"]["start"] >= pd.Timestamp(inauguration)]
    policy = {k: v for k, v in breaks.items() if k != "Inauguration"}
    events = pd.concat([flows.event_study(post, "added", day).assign(label=k) for k, day in policy.items()], ignore_index=True)
    placebos = flows.placebo_dates(post, list(policy.values()), inauguration)
    placebo = flows.placebo_study(post, "added", policy, placebos)
    return Flows(tables=tables, regimes=regimes, events=events, placebo=placebo, since=inauguration)


@dataclass
class StockContrast:
    """The segmented trend of the stock, kept to show why it misleads (stock_trend.py)."""

    result: stock_trend.SegmentedResult
    series: pd.DataFrame  # published, count (last sheet of each day), fitted, residual
    autocorrelation: float  # lag-1 autocorrelation of the residuals
    hac_widening: float  # how much wider the first slope's interval is with 30 lags than with the rule's
    first_segment: dict  # the first segment's change implied by its slope against the observed change


def stock_contrast(tables: pd.DataFrame, unit: str = "agreements") -> StockContrast:
    """The segmented regression of the number listed on each day (last sheet of the day) with slope
    changes at the policy dates, its residuals and the numbers that say why it misleads."""
    daily = last_edition_per_day(tables)
    series = pd.DataFrame({"published": pd.to_datetime(daily["published"]),
                           "count": [int(sum(t.values())) for t in daily["value"]]})  # fmt: skip
    breaks = [pd.Timestamp(d) for d in POLICY_DATES.values()]
    res = stock_trend.segmented_regression(series["published"], series["count"], breaks)
    wide = stock_trend.segmented_regression(series["published"], series["count"], breaks, hac_lags=30)
    series["fitted"] = stock_trend.segmented_predict(res, series["published"])
    series["residual"] = series["count"] - series["fitted"]
    first = res.slopes.iloc[0]
    part = series[(series["published"] >= first["start"]) & (series["published"] < first["end"])]
    days = int((part["published"].iloc[-1] - part["published"].iloc[0]).days)
    widen = lambda r: float(r.slopes.iloc[0]["ci_high"] - r.slopes.iloc[0]["ci_low"])  # noqa: E731
    return StockContrast(
        result=res, series=series, autocorrelation=float(series["residual"].autocorr(1)),
        hac_widening=widen(wide) / widen(res) - 1,
        first_segment={"start": part["published"].iloc[0].date().isoformat(), "end": part["published"].iloc[-1].date().isoformat(),
                       "days": days, "implied_change": float(first["slope"]) * days,
                       "observed_change": int(part["count"].iloc[-1] - part["count"].iloc[0]),
                       "sheets": len(part)},
    )  # fmt: skip


# --------------------------------------------------------------------------- 3. survival


@dataclass
class Survival:
    table: pd.DataFrame
    by_cohort: dict[str, Any]
    by_model: dict[str, Any]
    at_years: pd.DataFrame
    cox: survival.CoxResult


def survival_models(history: pd.DataFrame, snapshots: pd.DataFrame, inauguration: str) -> Survival:
    table = survival.survival_table(history, snapshots, inauguration)
    cohorts = table.assign(cohort=table["signed_2025_on"].map({0: f"signed before {inauguration}", 1: f"signed {inauguration} or later"}))
    by_cohort = survival.kaplan_meier(cohorts, "cohort")
    by_model = survival.kaplan_meier(table, "model")
    at_years = pd.concat([survival.survival_at(by_cohort, [0.5, 1.0, 2.0, 5.0]), survival.survival_at(by_model, [0.5, 1.0])],
                         ignore_index=True)  # fmt: skip
    return Survival(table=table, by_cohort=by_cohort, by_model=by_model, at_years=at_years, cox=survival.cox_model(table))


# --------------------------------------------------------------------------- 4. state models


@dataclass
class StateModels:
    """The state-level models on the sheet in force on one date (see ``state_models``)."""

    as_of: str
    panel: pd.DataFrame
    info: dict
    count: count_models.CountModelResult
    count_scaled: pd.DataFrame
    # the rest is None for a count-only fit (``state_models(..., full=False)``)
    count_agencies: count_models.CountModelResult | None = None
    count_agencies_scaled: pd.DataFrame | None = None
    count_without_fl: count_models.CountModelResult | None = None
    count_without_fl_scaled: pd.DataFrame | None = None
    logit: participation.LogitResult | None = None
    logit_scaled: pd.DataFrame | None = None
    probabilities: pd.DataFrame | None = None
    positive: count_models.CountModelResult | None = None
    positive_scaled: pd.DataFrame | None = None
    sentences: list[str] = field(default_factory=list)


def state_models(as_of: str, panel: measures.Panel, full: bool = True) -> StateModels:
    """Count models of agreements and of agencies per state (Poisson with a log-population offset;
    negative binomial if overdispersed), agreements without Florida (whose law requires its
    sheriffs to take part, a policy the covariates cannot see), and a hurdle: a Firth logit of
    "any agreement" with predicted probabilities, and a zero-truncated negative binomial of how
    many among states with any. Ratios per 10 points of vote share and 5 pending cases per 1,000.
    ``full=False`` fits the count model of agreements only (the later sheet's comparison)."""
    table, info = state_panel.build(as_of, panel)
    scale = lambda fit, col: count_models.scale_ratios(fit.rate_ratios if col == "rate_ratio" else fit.odds_ratios, PER, col, NAMES)  # noqa: E731
    count = count_models.fit_count_model(table, "agreements", "population", COVARIATES)
    if not full:
        return StateModels(as_of=as_of, panel=table, info=info, count=count, count_scaled=scale(count, "rate_ratio"))
    agencies = count_models.fit_count_model(table, "agencies", "population", COVARIATES)
    no_fl = count_models.fit_count_model(table[table["state"] != FOCUS], "agreements", "population", COVARIATES)
    logit = participation.fit_participation_logit(table, "any_agreement", COVARIATES)
    positive = count_models.fit_positive_counts(table, "agreements", "population", COVARIATES)
    probabilities = participation.predicted_probabilities(logit, "trump_share", VOTE_GRID)
    sentences = (count_models.describe_rate_ratios(count, PER, "agreements", "resident", NAMES)
                 + participation.describe_odds_ratios(logit, PER, "having any agreement", NAMES))  # fmt: skip
    return StateModels(
        as_of=as_of, panel=table, info=info,
        count=count, count_scaled=scale(count, "rate_ratio"),
        count_agencies=agencies, count_agencies_scaled=scale(agencies, "rate_ratio"),
        count_without_fl=no_fl, count_without_fl_scaled=scale(no_fl, "rate_ratio"),
        logit=logit, logit_scaled=scale(logit, "odds_ratio"), probabilities=probabilities,
        positive=positive, positive_scaled=scale(positive, "rate_ratio"), sentences=sentences,
    )  # fmt: skip


def forest_rows(models: StateModels, later: StateModels | None = None) -> pd.DataFrame:
    """The ratios of every state model in one table for the forest plot: model, label, ratio, CI."""
    parts = [("Rate of agreements, all states", models.count_scaled),
             ("Rate of agencies, all states", models.count_agencies_scaled),
             ("Rate of agreements, without Florida", models.count_without_fl_scaled),
             ("Rate among states with any (hurdle)", models.positive_scaled),
             ("Odds of any agreement (Firth)", models.logit_scaled)]  # fmt: skip
    if later is not None:
        parts.append((f"Rate of agreements, sheet of {later.info['snapshot_published']}", later.count_scaled))
    rows = []
    for model, table in parts:
        for r in table.itertuples(index=False):
            rows.append({"model": model, "term": r.term, "label": SHORT[r.term],
                         "ratio": r.ratio, "ci_low": r.ci_low, "ci_high": r.ci_high})  # fmt: skip
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- 5. per capita


def per_capita_ranking(table: pd.DataFrame, unit: str = "agreements") -> pd.DataFrame:
    """Each state's count and count per million residents, with its rank on each (rank 1 = most;
    ties share the best rank). As a count "most cooperative" favours big states; as a rate it
    favours small ones with many small sheriffs' offices."""
    rate = f"{unit}_per_million"
    out = table[["state", "state_name", unit, "population", rate, "axios_five", "south"]].copy()
    out["rank_count"] = out[unit].rank(method="min", ascending=False).astype(int)
    out["rank_per_million"] = out[rate].rank(method="min", ascending=False).astype(int)
    return out.sort_values([unit, "state"], ascending=[False, True], ignore_index=True)


# --------------------------------------------------------------------------- all together


@dataclass
class Summary:
    """Everything the statistics notebook shows and records."""

    params: dict
    panel_source: str
    concentration: dict[str, pd.DataFrame]
    crossing: dict[str, dict | None]
    agencies: pd.DataFrame  # agencies on the sheet in force on as_of
    sheet: dict  # that sheet
    bootstrap: dict[str, concentration_stats.BootstrapResult]
    multinomial: pd.DataFrame
    growth: pd.DataFrame
    flows: Flows
    stock: StockContrast
    survival: Survival
    models: StateModels
    later: StateModels
    per_capita: pd.DataFrame
    state_pending: pd.DataFrame
    figures: list[dict] = field(default_factory=list)


def analyse(*, as_of: str, later_as_of: str, inauguration: str, breitbart_date: str, voz_date: str,
            top_n: int = 15, panel: measures.Panel | Project) -> Summary:  # fmt: skip
    """Compute every result of the statistics notebook on ``panel`` (a project: its default panel)."""
    from ..engine.reader import open_panel

    panel = open_panel(panel)
    by_state = {u: sheet_tables(panel, u, SERIES_START) for u in UNITS}
    conc = {u: concentration_over_time(*pair, u) for u, pair in by_state.items()}
    agencies, sheet = sheet_agencies(panel, as_of)
    history = panel.history()
    models = state_models(as_of, panel)
    return Summary(
        params={"as_of": as_of, "later_as_of": later_as_of, "inauguration": inauguration,
                "breitbart_date": breitbart_date, "voz_date": voz_date, "top_n": top_n},
        panel_source=panel.source,
        concentration=conc, crossing={u: florida_crossing(t) for u, t in conc.items()},
        agencies=agencies, sheet=sheet,
        bootstrap={u: concentration_stats.bootstrap_concentration(agencies, u, FOCUS) for u in UNITS},
        multinomial=multinomial_table(agencies),
        growth=article_growth(panel, {"inauguration": inauguration, "Breitbart": breitbart_date, "Voz": voz_date}),
        flows=flow_models(history, panel.snapshots, inauguration),
        stock=stock_contrast(by_state["agreements"][0]),
        survival=survival_models(history, panel.snapshots, inauguration),
        models=models, later=state_models(later_as_of, panel, full=False),
        per_capita=per_capita_ranking(models.panel),
        state_pending=state_panel.state_pending_rates(models.panel),
    )  # fmt: skip


# --------------------------------------------------------------------------- readings


def direction(row) -> str:
    """Where a ratio's 95% interval lies against 1: "higher", "lower" or "not clearly different"."""
    if row.ci_low > 1:
        return "higher"
    if row.ci_high < 1:
        return "lower"
    return "not clearly different"


@dataclass
class AxiosReading:
    """The estimates that bear on Axios's sentence ("efforts ... appear most aggressive in five
    southern states with Democratic-leaning cities, while deeply red, rural states are seeing
    less activity"); report_statistics.axios_sentences puts them in words."""

    total: int  # agreements in the 50 states + DC on the sheet in force on as_of
    five_share: float  # the five named states' share of ``total``
    sheet: str  # that sheet's file
    five: pd.DataFrame  # the five named states: state, rank_count, rank_per_million
    vote: pd.Series  # rate ratio per 10 points of Trump share: ratio, ci_low, ci_high
    vote_without_fl: pd.Series
    vote_agencies: pd.Series
    vote_later: pd.Series
    later_sheet: str
    five_in_top5_per_million: list[str]
    pending: pd.Series  # rate ratio per 5 pending cases per 1,000 residents
    pending_without_fl: pd.Series


def axios_reading(s: Summary) -> AxiosReading:
    """Every number the reading of Axios's sentence rests on (see AxiosReading)."""
    m, pc = s.models, s.per_capita
    five = pc[pc["axios_five"]]
    total = int(m.panel["agreements"].sum())
    term = lambda t, name: t.set_index("term").loc[name]  # noqa: E731
    return AxiosReading(
        total=total, five_share=five["agreements"].sum() / total, sheet=m.info["snapshot_file"],
        five=five[["state", "rank_count", "rank_per_million"]].reset_index(drop=True),
        vote=term(m.count_scaled, "trump_share"), vote_without_fl=term(m.count_without_fl_scaled, "trump_share"),
        vote_agencies=term(m.count_agencies_scaled, "trump_share"),
        vote_later=term(s.later.count_scaled, "trump_share"), later_sheet=s.later.info["snapshot_file"],
        five_in_top5_per_million=five[five["rank_per_million"] <= 5]["state"].tolist(),
        pending=term(m.count_scaled, "pending_per_1000"), pending_without_fl=term(m.count_without_fl_scaled, "pending_per_1000"),
    )  # fmt: skip


def states_without(s: Summary) -> pd.DataFrame:
    """States (and DC) with no agreement on ``as_of``, with their vote share and pending-case rate:
    the zeros of the participation model."""
    p = s.models.panel
    return p[p["any_agreement"] == 0].sort_values("state", ignore_index=True)
