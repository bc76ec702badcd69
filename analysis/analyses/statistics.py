"""The statistics notebook's values: what the counts mean, not only whether they are right.

Four questions, each answered from the pinned data with a method from stats.py:

1. Concentration over time: Florida's share, the top five's share, the HHI and the number of
   states with any agreement on every participating snapshot, in agreements and in agencies;
   when Florida's share fell below one third; multinomial intervals (as a *process* view).
2. Growth: counts by model over time, percent increases between the articles' dates, and a
   segmented (interrupted) time series with breaks at the three policy dates.
3. Where agreements are: a count model of agreements per resident by state against 2024
   Trump vote share and pending immigration-court cases per resident, plus a logistic model
   of whether a state has any agreement at all.
4. Per-capita views: agreements per million residents, pending cases per 1,000 residents.

``analyse`` computes everything once into a ``Summary`` of tables and dataclasses; nothing here
prints. The narrative and the display code are in notebooks/statistics.ipynb; the wording the
report shares with the notebook and the records of statistics.json are in report_statistics.py.
A new section adds its values here (a Summary field filled by ``analyse``), its cells to the
notebook before "Figures", and its records to report_statistics.to_results.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
import pandas as pd

from ..ingest import elections
from ..engine import query
from . import courts, figures, growth, state_panel, stats

UNITS = ("agreements", "agencies")
STATES_AND_DC = elections.STATES_AND_DC
ONE_THIRD = 1 / 3
#: the statistics section reads the 38 curated sheets, as its text says (each figure names them)
SOURCE = "curated"

#: Covariates of the state models: readable names, and the change each ratio is reported for
#: (per 1.0 of a share would be per 100 percentage points, far outside the data).
COVARIATES = ["trump_share", "pending_per_1000"]
NAMES = {"trump_share": "Trump 2024 vote share", "pending_per_1000": "pending-case rate"}
PER = {"trump_share": (0.10, "10 percentage points"),
       "pending_per_1000": (5.0, "5 cases per 1,000 residents")}  # fmt: skip

#: Short axis labels for the forest plot.
SHORT = {"trump_share": "Trump vote share, +10 points", "pending_per_1000": "Pending cases, +5 per 1,000 residents"}



# --------------------------------------------------------------------------- helpers


def _snap_label(published, edition) -> str:
    published = published.isoformat() if hasattr(published, "isoformat") else str(published)
    return f"{published}{' ' + edition if edition and edition[0].isalpha() else ''}"


def last_edition_per_day(frame: pd.DataFrame) -> pd.DataFrame:
    """Keep only each day's last edition (frame sorted by published, edition_order).

    Why: two sheets on one day (2025-09-02 am and pm) would give two y values at one x in a
    regression and a duplicate date in a crossing; the later edition is what the list said
    at the end of that day, the rule query.snapshot_in_force uses too.
    """
    snaps = frame.drop_duplicates("snapshot_id")[["snapshot_id", "published", "edition_order"]]
    keep = snaps.sort_values(["published", "edition_order"]).drop_duplicates("published", keep="last")
    return frame[frame["snapshot_id"].isin(set(keep["snapshot_id"]))].reset_index(drop=True)


# --------------------------------------------------------------------------- 1. concentration


def concentration_from_counts(series: pd.DataFrame, unit: str) -> pd.DataFrame:
    """Concentration measures per snapshot from long counts (snapshot_id, published, edition,
    state, <unit>). Shares use every jurisdiction on the sheet (territories are agreements in
    ICE's national total); ``states_with_any`` counts only the 50 states and DC."""
    table = stats.concentration_table(series.rename(columns={unit: "count"}), by="snapshot_id", focus="FL")
    meta = series.drop_duplicates("snapshot_id")[["snapshot_id", "published", "edition", "edition_order"]]
    in_states = series[series["state"].isin(STATES_AND_DC) & (series[unit] > 0)]
    n_states = in_states.groupby("snapshot_id")["state"].nunique()
    table = meta.merge(table, on="snapshot_id", how="left")
    table["states_with_any"] = table["snapshot_id"].map(n_states).fillna(0).astype(int)
    table["unit"] = unit
    cols = ["snapshot_id", "published", "edition", "edition_order", "unit", "total", "states_with_any", "focus_count",
            "focus_share", "top_k_share", "top_k_states", "top_k_tied", "hhi"]  # fmt: skip
    out = table[cols].rename(columns={"focus_count": "florida", "focus_share": "florida_share",
                                      "top_k_share": "top5_share", "top_k_states": "top5_states",
                                      "top_k_tied": "tied_at_5th"})  # fmt: skip
    out["total"] = out["total"].astype(int)
    out["florida"] = out["florida"].astype(int)
    return out.sort_values(["published", "edition_order"], ignore_index=True)


def concentration_over_time(unit: str = "agreements") -> pd.DataFrame:
    """One row per participating snapshot (curated set), in ``unit``."""
    series = query.counts_by_snapshot("participating", by="state", source=SOURCE)
    return concentration_from_counts(series, unit)


def florida_crossing(table: pd.DataFrame, threshold: float = ONE_THIRD) -> dict | None:
    """When Florida's share fell below ``threshold`` for good: the last snapshot at or above it
    and the first below it after which it never came back (one edition per day).

    The first downward crossing is reported too when it differs (a share that dipped and
    rose again). Returns None if the share never fell below.
    """
    daily = last_edition_per_day(table)
    series = pd.Series(daily["florida_share"].to_numpy(), index=pd.to_datetime(daily["published"]))
    last = stats.crossing_bracket(series, threshold, "below", which="last")
    if last is None:
        return None
    first = stats.crossing_bracket(series, threshold, "below", which="first")

    def _d(b):
        return {"last_at_or_above": b.before_date.date().isoformat(), "share_before": b.before_value,
                "first_below": b.after_date.date().isoformat(), "share_after": b.after_value,
                "width_days": b.width_days, "stays_below": b.stays_crossed}  # fmt: skip

    out = {"threshold": threshold, "unit": str(table["unit"].iloc[0]), "snapshots": len(daily), **_d(last)}
    out["first_crossing"] = None if first.before_date == last.before_date else _d(first)
    return out


def archive_tables(columns: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The full-archive panel (data/processed/archive/, same schema as the curated tables) if
    it has been built, else None: the notebook must run on the curated tables alone. ``columns``
    limits the agreements table to those (the panel is 337,000 rows wide with text)."""
    from ..store import panel

    a, s = panel.archive_dir() / panel.AGREEMENTS, panel.archive_dir() / "snapshots.parquet"
    if not (a.exists() and s.is_file()):  # agreements: a folder of parts
        return None
    return pd.read_parquet(a, columns=columns), pd.read_parquet(s)


def archive_concentration(unit: str = "agreements", since: str = "2025-01-20") -> pd.DataFrame | None:
    """Concentration per participating snapshot of the archive panel from ``since`` on (the
    2021-2024 sheets are another administration's program and would add old crossings), or
    None when the archive is not built."""
    tables = archive_tables(columns=["snapshot_id", "state", "row", "agency_id"])
    if tables is None:
        return None
    agreements, snaps = tables
    snaps = snaps[snaps["kind"] == "participating"].copy()
    snaps["published"] = pd.to_datetime(snaps["published"]).dt.date
    snaps = snaps[snaps["published"] >= dt.date.fromisoformat(since)]
    frame = agreements[agreements["snapshot_id"].isin(set(snaps["snapshot_id"]))]
    if frame.empty:
        return None
    counts = frame.groupby(["snapshot_id", "state"]).agg(agreements=("row", "size"),
                                                          agencies=("agency_id", "nunique")).reset_index()  # fmt: skip
    counts = counts.merge(snaps[["snapshot_id", "published", "edition", "edition_order"]], on="snapshot_id")
    counts = counts.sort_values(["published", "edition_order", "state"], ignore_index=True)
    return concentration_from_counts(counts, unit)


def multinomial_table(as_of: str, unit: str = "agreements", top: int = 10, alpha: float = 0.05) -> tuple[pd.DataFrame, dict]:
    """Goodman simultaneous intervals for every jurisdiction's share on the snapshot in
    force on ``as_of``; the ``top`` largest are returned. A *process* view (see stats)."""
    counts, snapshot = state_panel.counts_as_of(as_of, unit, source=SOURCE)
    return stats.multinomial_ci(counts, alpha=alpha).head(top), snapshot


# --------------------------------------------------------------------------- 2. growth


def by_model(unit: str = "agreements") -> pd.DataFrame:
    """Counts by model (JEM, TFM, WSO) per snapshot, wide, with the total: one row per
    snapshot (curated participating set). Agencies with two models count once per model,
    so the agencies total is not the sum of the model columns."""
    series = query.counts_by_snapshot("participating", by="model", source=SOURCE)
    wide = series.pivot_table(index=["snapshot_id", "published", "edition", "edition_order"],
                              columns="model", values=unit, aggfunc="sum", fill_value=0)  # fmt: skip
    wide.columns = [str(c) for c in wide.columns]
    totals = query.counts_by_snapshot("participating", source=SOURCE).set_index("snapshot_id")[unit]
    wide = wide.reset_index().sort_values(["published", "edition_order"], ignore_index=True)
    wide["total"] = wide["snapshot_id"].map(totals).astype(int)
    return wide.drop(columns=["edition_order"])


def article_growth(inauguration: str, breitbart_date: str, voz_date: str) -> pd.DataFrame:
    """Percent and fold increases between the articles' dates, in both units, with the
    snapshot each count came from (the 135 -> 957 -> 1,000 sequence is in agreements)."""
    dates = {"inauguration": inauguration, "Breitbart": breitbart_date, "Voz": voz_date}
    at = {label: growth.counts_at(day, source=SOURCE) for label, day in dates.items()}
    rows = []
    for unit in UNITS:
        pairs = [(a, at[a][unit], b, at[b][unit]) for a, b in
                 (("inauguration", "Breitbart"), ("Breitbart", "Voz"), ("inauguration", "Voz"))]  # fmt: skip
        table = stats.growth_table(pairs)
        table.insert(0, "unit", unit)
        table["date_from"] = table["label_from"].map(dates)
        table["date_to"] = table["label_to"].map(dates)
        table["snapshot_from"] = table["label_from"].map(lambda k: at[k]["snapshot"])
        table["snapshot_to"] = table["label_to"].map(lambda k: at[k]["snapshot"])
        rows.append(table)
    return pd.concat(rows, ignore_index=True)


def cumulative_series(unit: str = "agreements") -> pd.DataFrame:
    """Total ``unit`` per day (last edition of each day), the input of the time series."""
    series = last_edition_per_day(query.counts_by_snapshot("participating", source=SOURCE))
    out = series[["snapshot_id", "published", unit]].rename(columns={unit: "count"})
    out["published"] = pd.to_datetime(out["published"])
    return out


def interrupted_time_series(unit: str = "agreements", breaks: dict | None = None) -> tuple[stats.SegmentedResult, pd.DataFrame]:
    """Segmented regression of the cumulative count on time, slopes changing at the policy
    dates, HAC (Newey-West) standard errors; returns the result and the data it was fitted on."""
    breaks = figures.POLICY_DATES if breaks is None else breaks
    series = cumulative_series(unit)
    result = stats.segmented_regression(series["published"], series["count"], [pd.Timestamp(d) for d in breaks.values()])
    return result, series


# --------------------------------------------------------------------------- 3. state models


@dataclass
class StateModels:
    """The state-level models as of one date (see ``state_models``)."""

    as_of: str
    panel: pd.DataFrame
    info: dict
    count: stats.CountModelResult
    count_scaled: pd.DataFrame
    count_without_fl: stats.CountModelResult
    count_without_fl_scaled: pd.DataFrame
    logit: stats.LogitResult
    logit_scaled: pd.DataFrame
    sentences: list[str] = field(default_factory=list)


def state_models(as_of: str, unit: str = "agreements") -> StateModels:
    """Count model (Poisson with log-population offset; negative binomial if overdispersed)
    of ``unit`` per state, the same without Florida (whose state law requires its sheriffs
    to take part, a policy the covariates do not capture), and a logistic model of "any
    agreement". Ratios are reported per 10 percentage points of vote share and per 5 pending
    cases per 1,000 residents."""
    panel, info = state_panel.build(as_of, source=SOURCE)
    count = stats.fit_count_model(panel, unit, "population", COVARIATES)
    no_fl = stats.fit_count_model(panel[panel["state"] != "FL"], unit, "population", COVARIATES)
    logit = stats.fit_participation_logit(panel, "any_agreement", COVARIATES)
    sentences = (stats.describe_rate_ratios(count, PER, unit, "resident", NAMES)
                 + stats.describe_odds_ratios(logit, PER, "having any agreement", NAMES))  # fmt: skip
    return StateModels(
        as_of=as_of, panel=panel, info=info,
        count=count, count_scaled=stats.scale_ratios(count.rate_ratios, PER, "rate_ratio", NAMES),
        count_without_fl=no_fl, count_without_fl_scaled=stats.scale_ratios(no_fl.rate_ratios, PER, "rate_ratio", NAMES),
        logit=logit, logit_scaled=stats.scale_ratios(logit.odds_ratios, PER, "odds_ratio", NAMES),
        sentences=sentences,
    )  # fmt: skip


def forest_rows(models: StateModels, later: StateModels | None = None) -> pd.DataFrame:
    """The ratios of every model in one table for the forest plot: model, label, ratio, CI."""
    parts = [("Rate, all states", models.count_scaled),
             ("Rate, without Florida", models.count_without_fl_scaled),
             ("Odds of any agreement", models.logit_scaled)]  # fmt: skip
    if later is not None:
        parts.append((f"Rate, sheet of {later.info['snapshot_published']}", later.count_scaled))
    rows = []
    for model, table in parts:
        for r in table.itertuples(index=False):
            rows.append({"model": model, "term": r.term, "label": SHORT[r.term],
                         "ratio": r.ratio, "ci_low": r.ci_low, "ci_high": r.ci_high})  # fmt: skip
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- 4. per capita


def per_capita_ranking(panel: pd.DataFrame, unit: str = "agreements") -> pd.DataFrame:
    """Each state's count and count per million residents, with its rank on each (rank 1 =
    most; ties share the best rank). "Most cooperative" as a count favours big states; as a
    rate it favours small ones with many small sheriffs' offices."""
    rate = f"{unit}_per_million"
    out = panel[["state", "state_name", unit, "population", rate, "axios_five", "south"]].copy()
    out["rank_count"] = out[unit].rank(method="min", ascending=False).astype(int)
    out["rank_per_million"] = out[rate].rank(method="min", ascending=False).astype(int)
    return out.sort_values([unit, "state"], ascending=[False, True], ignore_index=True)


def county_backlog(top_n: int = 15, county_population_csv: str | None = None) -> tuple[pd.DataFrame, str]:
    """Top counties by pending immigration-court cases, with cases per 1,000 residents when
    a Census county population file is given; and a note saying which."""
    population = None
    if county_population_csv:
        population = state_panel.read_county_population(county_population_csv)
    table = state_panel.county_rates(courts.county_table(), population, top_n)
    if population is None:
        note = ("No county population is pinned (only state totals), so county rates per 1,000 "
                "residents are not computed; counts are shown. Pass county_population_csv (Census "
                "co-est2024-alldata.csv) to add them. State rates are below.")  # fmt: skip
    else:
        note = f"County population from {Path(county_population_csv).name} (POPESTIMATE2024)."
    return table, note


# --------------------------------------------------------------------------- all together


@dataclass
class Summary:
    """Everything the statistics notebook shows and records."""

    params: dict
    concentration: dict[str, pd.DataFrame]
    crossing: dict[str, dict | None]
    crossing_archive: dict[str, dict | None]
    archive_snapshots: int
    multinomial: pd.DataFrame
    multinomial_snapshot: dict
    models_by_type: dict[str, pd.DataFrame]
    growth: pd.DataFrame
    its: dict[str, stats.SegmentedResult]
    its_series: dict[str, pd.DataFrame]
    models: StateModels
    later: StateModels
    per_capita: pd.DataFrame
    state_pending: pd.DataFrame
    counties: pd.DataFrame
    county_note: str
    # A new section's values go here, before figures (filled by analyse).
    figures: list[dict] = field(default_factory=list)


def analyse(*, as_of: str, later_as_of: str, inauguration: str, breitbart_date: str, voz_date: str,
            top_n: int = 15, county_population_csv: str | None = None) -> Summary:  # fmt: skip
    """Compute every result of the statistics notebook (a few seconds)."""
    conc = {u: concentration_over_time(u) for u in UNITS}
    arch = {u: archive_concentration(u) for u in UNITS}
    multinomial, msnap = multinomial_table(as_of, "agreements")
    its, its_series = {}, {}
    for u in UNITS:
        its[u], its_series[u] = interrupted_time_series(u)
    models = state_models(as_of)
    counties, note = county_backlog(top_n, county_population_csv)
    return Summary(
        params={"as_of": as_of, "later_as_of": later_as_of, "inauguration": inauguration,
                "breitbart_date": breitbart_date, "voz_date": voz_date, "top_n": top_n},
        concentration=conc,
        crossing={u: florida_crossing(t) for u, t in conc.items()},
        crossing_archive={u: (florida_crossing(t) if t is not None else None) for u, t in arch.items()},
        archive_snapshots=0 if arch["agreements"] is None else len(arch["agreements"]),
        multinomial=multinomial, multinomial_snapshot=msnap,
        models_by_type={u: by_model(u) for u in UNITS},
        growth=article_growth(inauguration, breitbart_date, voz_date),
        its=its, its_series=its_series,
        models=models, later=state_models(later_as_of),
        per_capita=per_capita_ranking(models.panel),
        state_pending=state_panel.state_pending_rates(models.panel),
        counties=counties, county_note=note,
    )  # fmt: skip


# --------------------------------------------------------------------------- readings


def snapshot_label(row) -> str:
    """How a sheet is named in tables: its date, plus the edition when ICE posted two that day."""
    return _snap_label(row["published"], row["edition"])


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
    sheet: str  # published date of that sheet
    five: pd.DataFrame  # the five named states: state, rank_count, rank_per_million
    vote: pd.Series  # rate ratio per 10 points of Trump share: ratio, ci_low, ci_high
    vote_without_fl: pd.Series
    vote_later: pd.Series
    later_sheet: str
    five_in_top5_per_million: list[str]
    pending: pd.Series  # rate ratio per 5 pending cases per 1,000 residents


def axios_reading(s: Summary) -> AxiosReading:
    """Every number the reading of Axios's sentence rests on (see AxiosReading)."""
    m, pc = s.models, s.per_capita
    five = pc[pc["axios_five"]]
    total = int(m.panel["agreements"].sum())
    return AxiosReading(
        total=total, five_share=five["agreements"].sum() / total, sheet=m.info["snapshot_published"],
        five=five[["state", "rank_count", "rank_per_million"]].reset_index(drop=True),
        vote=m.count_scaled.set_index("term").loc["trump_share"],
        vote_without_fl=m.count_without_fl_scaled.set_index("term").loc["trump_share"],
        vote_later=s.later.count_scaled.set_index("term").loc["trump_share"],
        later_sheet=s.later.info["snapshot_published"],
        five_in_top5_per_million=five[five["rank_per_million"] <= 5]["state"].tolist(),
        pending=m.count_scaled.set_index("term").loc["pending_per_1000"],
    )  # fmt: skip


def states_without(s: Summary) -> pd.DataFrame:
    """States (and DC) with no agreement on ``as_of``, with their vote share and pending-case
    rate: the logit's zeros."""
    p = s.models.panel
    return p[p["any_agreement"] == 0].sort_values("state", ignore_index=True)


# --------------------------------------------------------------------------- figures


def make_figures(s: Summary) -> list[dict]:
    """Draw and save every figure of the statistics notebook; returns name + caption."""
    from . import plots

    out = []
    for unit in UNITS:
        plots.growth_by_model(unit=unit)  # the growth notebook draws the same figure: one producer, one panel
        out.append({"name": f"growth_by_model_{unit}", "caption": f"{unit.capitalize()} by model over time, policy dates marked."})
    res, series = s.its["agreements"], s.its_series["agreements"]
    plots.segmented_fit(series, res, "agreements")
    out.append({"name": "segmented_fit_agreements", "caption": "Cumulative agreements with the fitted segmented trend."})
    for unit in UNITS:
        plots.florida_share(unit=unit, crossing=s.crossing[unit], source=SOURCE)
        out.append({"name": f"florida_share_crossing_{unit}", "caption": f"Florida's and the top five's share of {unit}, with the one-third line."})
    snap = f"{s.models.info['snapshot_published']} {s.models.info['snapshot_edition']}"
    plots.state_ranking(s.per_capita, "agreements", s.params["as_of"], snap, top_n=s.params["top_n"])
    plots.state_ranking(s.per_capita, "agreements_per_million", s.params["as_of"], snap, top_n=s.params["top_n"])
    out.append({"name": "state_ranking_agreements", "caption": "States ranked by agreements (count)."})
    out.append({"name": "state_ranking_agreements_per_million", "caption": "States ranked by agreements per million residents."})
    plots.rate_ratio_forest(forest_rows(s.models, s.later), s.params["as_of"], snap)
    out.append({"name": "rate_ratio_forest", "caption": "Rate and odds ratios with 95% intervals (log scale)."})
    plots.county_backlog(top_n=s.params["top_n"])
    out.append({"name": "county_backlog", "caption": "Counties with the most pending immigration-court cases; NYC counties highlighted."})
    s.figures = out
    return out
