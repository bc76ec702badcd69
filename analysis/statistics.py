"""The statistics notebook's results: what the counts mean, not only whether they are right.

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

``analyse`` computes everything once; the ``show_*`` functions print rounded text for the
notebook (stable under nbval); ``to_results`` turns it into Result records for the JSON file
the report reads. The notebook itself holds no logic.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import courts, elections, figures, growth, query, state_panel, stats
from .results import Result

UNITS = ("agreements", "agencies")
STATES_AND_DC = elections.STATES_AND_DC
ONE_THIRD = 1 / 3

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
    series = query.counts_by_snapshot("participating", by="state")
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


def archive_tables() -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The full-archive panel (data/processed/archive/, same schema as the curated tables) if
    it has been built, else None: the notebook must run on the curated tables alone."""
    from . import panel

    a, s = panel.archive_dir() / panel.AGREEMENTS, panel.archive_dir() / "snapshots.parquet"
    if not (a.exists() and s.is_file()):  # agreements: a folder of parts
        return None
    return pd.read_parquet(a), pd.read_parquet(s)


def archive_concentration(unit: str = "agreements", since: str = "2025-01-20") -> pd.DataFrame | None:
    """Concentration per participating snapshot of the archive panel from ``since`` on (the
    2021-2024 sheets are another administration's program and would add old crossings), or
    None when the archive is not built."""
    tables = archive_tables()
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
    counts, snapshot = state_panel.counts_as_of(as_of, unit)
    return stats.multinomial_ci(counts, alpha=alpha).head(top), snapshot


# --------------------------------------------------------------------------- 2. growth


def by_model(unit: str = "agreements") -> pd.DataFrame:
    """Counts by model (JEM, TFM, WSO) per snapshot, wide, with the total: one row per
    snapshot (curated participating set). Agencies with two models count once per model,
    so the agencies total is not the sum of the model columns."""
    series = query.counts_by_snapshot("participating", by="model")
    wide = series.pivot_table(index=["snapshot_id", "published", "edition", "edition_order"],
                              columns="model", values=unit, aggfunc="sum", fill_value=0)  # fmt: skip
    wide.columns = [str(c) for c in wide.columns]
    totals = query.counts_by_snapshot("participating").set_index("snapshot_id")[unit]
    wide = wide.reset_index().sort_values(["published", "edition_order"], ignore_index=True)
    wide["total"] = wide["snapshot_id"].map(totals).astype(int)
    return wide.drop(columns=["edition_order"])


def article_growth(inauguration: str, breitbart_date: str, voz_date: str) -> pd.DataFrame:
    """Percent and fold increases between the articles' dates, in both units, with the
    snapshot each count came from (the 135 -> 957 -> 1,000 sequence is in agreements)."""
    dates = {"inauguration": inauguration, "Breitbart": breitbart_date, "Voz": voz_date}
    at = {label: growth.counts_at(day) for label, day in dates.items()}
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
    series = last_edition_per_day(query.counts_by_snapshot("participating"))
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
    panel, info = state_panel.build(as_of)
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


# --------------------------------------------------------------------------- printing


def _pct(x: float, d: int = 1) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{100 * x:.{d}f}%"


def _r(x: float) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.2f}"


def snapshot_label(row) -> str:
    return _snap_label(row["published"], row["edition"])


def show_concentration(s: Summary) -> None:
    """Per-snapshot concentration in both units (rounded for stable output)."""
    for unit, t in s.concentration.items():
        print(f"Concentration of {unit} (participating sheets; shares of all {unit} incl. territories; "
              f"states = 50 states + DC with any):")  # fmt: skip
        print(f"{'snapshot':<16}{'total':>6}{'states':>7}{'FL share':>9}{'top-5':>8}{'HHI':>7}  top five")
        for _, r in t.iterrows():
            tied = f" (tied at 5th: {r['tied_at_5th']})" if r["tied_at_5th"] else ""
            print(f"{snapshot_label(r):<16}{r['total']:>6}{r['states_with_any']:>7}{_pct(r['florida_share']):>9}"
                  f"{_pct(r['top5_share']):>8}{r['hhi']:>7.0f}  {r['top5_states']}{tied}")  # fmt: skip
        print()


def crossing_sentence(c: dict | None, source: str) -> str:
    if c is None:
        return f"{source}: Florida's share never fell below one third."
    s = (f"{source}: Florida's share of {c['unit']} was {_pct(c['share_before'])} on {c['last_at_or_above']} "
         f"and {_pct(c['share_after'])} on {c['first_below']}, so it fell below one third within "
         f"{'1 day' if c['width_days'] == 1 else 'those ' + str(c['width_days']) + ' days'}"
         f"{' and stayed below' if c['stays_below'] else ' (later back above)'}.")  # fmt: skip
    if c.get("first_crossing"):
        f = c["first_crossing"]
        s += f" (It had first dipped below between {f['last_at_or_above']} and {f['first_below']}.)"
    return s


SOURCE_LABEL = {"curated": "Curated snapshots", "archive": "Full archive"}


def show_crossing(s: Summary) -> None:
    """The bracket from the curated snapshots (always available, so its output is checked)."""
    for unit in UNITS:
        print(crossing_sentence(s.crossing[unit], SOURCE_LABEL["curated"]))


def show_crossing_archive(s: Summary) -> None:
    """The bracket from the full archive when data/processed/archive/ is built (output varies
    with whether it is, so the notebook does not check it)."""
    if s.archive_snapshots == 0:
        print("Full-archive panel (data/processed/archive/) not built: brackets use the curated snapshots only.")
        return
    print(f"Full archive: {s.archive_snapshots} participating sheets since 2025-01-20.")
    for unit in UNITS:
        print(crossing_sentence(s.crossing_archive[unit], SOURCE_LABEL["archive"]))


def show_multinomial(s: Summary) -> None:
    snap = s.multinomial_snapshot
    print(f"Goodman 95% simultaneous intervals, agreements by jurisdiction, sheet {snap['published']} "
          f"{snap['edition']} (in force on {s.params['as_of']}); a process view, not sampling error:")  # fmt: skip
    for r in s.multinomial.itertuples(index=False):
        print(f"  {r.state}: {r.count:>4} agreements, share {_pct(r.share)} ({_pct(r.lower)} to {_pct(r.upper)})")


def show_models_by_type(s: Summary) -> None:
    for unit, t in s.models_by_type.items():
        models = [c for c in t.columns if c not in ("snapshot_id", "published", "edition", "total")]
        print(f"{unit.capitalize()} by model (participating sheets):")
        print(f"{'snapshot':<16}" + "".join(f"{m:>7}" for m in models) + f"{'total':>7}")
        for _, r in t.iterrows():
            print(f"{snapshot_label(r):<16}" + "".join(f"{int(r[m]):>7}" for m in models) + f"{int(r['total']):>7}")
        print()


def show_growth(s: Summary) -> None:
    for r in s.growth.itertuples(index=False):
        print(f"{r.unit}: {r.label_from} {r.date_from} ({r.value_from:,.0f}) -> {r.label_to} {r.date_to} "
              f"({r.value_to:,.0f}): {r.pct_change:+.1f}% ({r.fold_change:.2f}-fold) "
              f"[{r.snapshot_from} -> {r.snapshot_to}]")  # fmt: skip


def show_its(s: Summary) -> None:
    for unit, res in s.its.items():
        print(f"{unit.capitalize()}: {res.n} daily observations {res.start.date()} to {res.end.date()}, "
              f"Newey-West HAC standard errors with {res.hac_lags} lags.")  # fmt: skip
        for line in stats.describe_segments(res, unit):
            print("  " + line)
        for r in res.coef_table.itertuples(index=False):
            if r.term.startswith("slope_change_"):
                print(f"  Change in daily growth at {r.term[13:]}: {r.estimate:+.1f} {unit}/day "
                      f"(95% CI {r.ci_low:+.1f} to {r.ci_high:+.1f})")  # fmt: skip
        print()


def _model_lines(m: StateModels) -> list[str]:
    c = m.count
    lines = [(f"As of {m.as_of} (sheet {m.info['snapshot_published']} {m.info['snapshot_edition']}): "
             f"{c.n} jurisdictions (50 states + DC) with {int(m.panel['agreements'].sum())} agreements, "
             f"{int(m.panel['any_agreement'].sum())} of them with any.")]  # fmt: skip
    alpha = f"; NB alpha {c.nb_alpha:.2f}" if c.nb_alpha is not None else ""
    lines.append(f"Count model: {c.model} ({c.reason}{alpha}).")
    for r in m.count_scaled.itertuples(index=False):
        lines.append(f"  rate ratio per {r.per_label} of {r.name}: {_r(r.ratio)} (95% CI {_r(r.ci_low)} to {_r(r.ci_high)})")
    lines.append(f"Without Florida: {m.count_without_fl.model}.")
    for r in m.count_without_fl_scaled.itertuples(index=False):
        lines.append(f"  rate ratio per {r.per_label} of {r.name}: {_r(r.ratio)} (95% CI {_r(r.ci_low)} to {_r(r.ci_high)})")
    lines.append(f"Logistic model of any agreement ({m.logit.n_events} of {m.logit.n} with any; {m.logit.note}):")
    for r in m.logit_scaled.itertuples(index=False):
        lines.append(f"  odds ratio per {r.per_label} of {r.name}: {_r(r.ratio)} (95% CI {_r(r.ci_low)} to {_r(r.ci_high)})")
    return lines


def show_models(s: Summary) -> None:
    for line in _model_lines(s.models):
        print(line)
    print()
    for line in s.models.sentences:
        print(line)
    print()
    print(f"Same count model on a later sheet ({s.later.as_of}):")
    for line in _model_lines(s.later)[:4]:
        print("  " + line)


def axios_reading(s: Summary) -> list[str]:
    """What the estimates say about Axios's sentence ("efforts ... appear most aggressive in
    five southern states with Democratic-leaning cities, while deeply red, rural states are
    seeing less activity"), every number computed; the wording follows the signs and
    whether the intervals include 1."""
    m, pc = s.models, s.per_capita
    five = pc[pc["axios_five"]]
    total = int(m.panel["agreements"].sum())
    share5 = five["agreements"].sum() / total
    vote = m.count_scaled.set_index("term").loc["trump_share"]
    no_fl = m.count_without_fl_scaled.set_index("term").loc["trump_share"]
    later = s.later.count_scaled.set_index("term").loc["trump_share"]
    out = [f"By count, the five named states (TX, FL, GA, NC, VA) hold {_pct(share5)} of the {total} agreements in "
           f"the 50 states + DC on the sheet of {m.info['snapshot_published']}; their count ranks are "
           + ", ".join(f"{r.state} #{r.rank_count}" for r in five.itertuples())
           + "; per million residents they rank " + ", ".join(f"{r.state} #{r.rank_per_million}" for r in five.itertuples())
           + "."]  # fmt: skip

    def _dir(row) -> str:
        if row.ci_low > 1:
            return "higher"
        if row.ci_high < 1:
            return "lower"
        return "not clearly different"

    out.append(f"Per resident, states with a higher 2024 Trump share have {_dir(vote)} agreement rates: "
               f"{_r(vote.ratio)} times per 10 points (95% CI {_r(vote.ci_low)} to {_r(vote.ci_high)}); without Florida "
               f"{_r(no_fl.ratio)} ({_r(no_fl.ci_low)} to {_r(no_fl.ci_high)}); on the sheet of {s.later.info['snapshot_published']} "
               f"{_r(later.ratio)} ({_r(later.ci_low)} to {_r(later.ci_high)}).")  # fmt: skip
    in_top5 = five[five["rank_per_million"] <= 5]["state"].tolist()
    verdict = ("their lead is mostly a lead in counts, which big states win" if len(in_top5) <= 2
               else "their lead holds per resident too")  # fmt: skip
    out.append(f"Of the five, {len(in_top5)} ({', '.join(in_top5) or 'none'}) also {'ranks' if len(in_top5) == 1 else 'rank'} "
               f"in the top five per million residents: {verdict}.")  # fmt: skip
    if _dir(vote) == "higher":
        out.append("Relative to population, the data contradict 'deeply red ... states are seeing less activity': "
                   "redder states have more agreements per resident, not fewer.")  # fmt: skip
    elif _dir(vote) == "lower":
        out.append("Relative to population, redder states do have fewer agreements per resident, as Axios said.")
    else:
        out.append("Relative to population, the data cannot tell whether redder states have more or fewer agreements.")
    pend = m.count_scaled.set_index("term").loc["pending_per_1000"]
    phrase = {"higher": "a higher agreement rate", "lower": "a lower agreement rate",
              "not clearly different": "no clear difference in the agreement rate"}[_dir(pend)]  # fmt: skip
    out.append(f"Pending immigration-court cases per resident (a proxy for immigrant presence, not a measure of "
               f"'Democratic-leaning cities') go with {phrase} at fixed vote share: {_r(pend.ratio)} times per 5 cases "
               f"per 1,000 residents (95% CI {_r(pend.ci_low)} to {_r(pend.ci_high)}).")  # fmt: skip
    return out


def show_axios_reading(s: Summary) -> None:
    for line in axios_reading(s):
        print(line)


def show_states_without(s: Summary) -> None:
    """States with no agreement, with their vote share and pending-case rate (the logit's zeros)."""
    p = s.models.panel
    zero = p[p["any_agreement"] == 0].sort_values("state")
    print(f"States (and DC) with no agreement as of {s.params['as_of']}: {len(zero)}")
    for r in zero.itertuples(index=False):
        print(f"  {r.state}: Trump {_pct(r.trump_share)}, {r.pending_per_1000:.1f} pending cases per 1,000 residents")
    lo = p.loc[p["any_agreement"] == 1, "trump_share"].min()
    hi = zero["trump_share"].max()
    print(f"Lowest Trump share among states with any: {_pct(lo)}; highest among states with none: {_pct(hi)}.")


def show_per_capita(s: Summary, top: int = 15) -> None:
    t = s.per_capita
    print(f"Agreements by state as of {s.params['as_of']}: count and per million residents (Census 2024); "
          f"* = named by Axios")  # fmt: skip
    for r in t.head(top).itertuples(index=False):
        star = "*" if r.axios_five else " "
        print(f" {star}{r.state}: {r.agreements:>4} agreements (rank {r.rank_count:>2}), "
              f"{r.agreements_per_million:6.1f} per million (rank {r.rank_per_million:>2})")  # fmt: skip
    five = t[t["axios_five"]]
    print("Axios's five by rate: " + ", ".join(f"{r.state} #{r.rank_per_million}" for r in five.itertuples()))
    by_rate = t.sort_values(["agreements_per_million", "state"], ascending=[False, True]).head(5)
    print("Top five by rate: " + ", ".join(f"{r.state} ({r.agreements_per_million:.1f})" for r in by_rate.itertuples()))


def show_courts(s: Summary, top: int = 10) -> None:
    print(s.county_note)
    for r in s.counties.itertuples(index=False):
        rate = f", {r.pending_per_1000:.1f} per 1,000 residents" if "pending_per_1000" in s.counties.columns else ""
        print(f"  {r.rank:>2}. {r.county}, {r.state}{' (NYC)' if r.is_nyc else ''}: {r.pending:,} pending cases{rate}")
    print(f"States by pending cases per 1,000 residents (TRAC state table / Census 2024), top {top}:")
    for r in s.state_pending.head(top).itertuples(index=False):
        print(f"  {r.state}: {r.pending_per_1000:.1f} ({r.pending_cases:,} cases)")


# --------------------------------------------------------------------------- figures


def make_figures(s: Summary) -> list[dict]:
    """Draw and save every figure of the statistics notebook; returns name + caption."""
    from . import plots

    out = []
    for unit in UNITS:
        plots.growth_by_model(unit=unit)
        out.append({"name": f"growth_by_model_{unit}", "caption": f"{unit.capitalize()} by model over time, policy dates marked."})
    res, series = s.its["agreements"], s.its_series["agreements"]
    plots.segmented_fit(series, res, "agreements")
    out.append({"name": "segmented_fit_agreements", "caption": "Cumulative agreements with the fitted segmented trend."})
    for unit in UNITS:
        plots.florida_share(unit=unit, crossing=s.crossing[unit])
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


# --------------------------------------------------------------------------- results


def _records(df: pd.DataFrame, cols: list[str]) -> list[dict]:
    recs = []
    for rec in df[cols].to_dict("records"):
        recs.append({k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in rec.items()})
    return recs


def _model_record(m: StateModels) -> dict[str, Any]:
    cols = ["term", "name", "per_label", "ratio", "ci_low", "ci_high", "p_value"]
    c = m.count
    return {
        "as_of": m.as_of, "snapshot": m.info["snapshot_file"], "n": c.n, "model": c.model, "reason": c.reason,
        "dispersion": c.dispersion, "nb_alpha": c.nb_alpha,
        "rate_ratios": _records(m.count_scaled, cols),
        "without_florida": {"model": m.count_without_fl.model, "rate_ratios": _records(m.count_without_fl_scaled, cols)},
        "logit": {"n": m.logit.n, "n_events": m.logit.n_events, "separation": m.logit.separation,
                  "note": m.logit.note, "odds_ratios": _records(m.logit_scaled, cols)},
        "sentences": m.sentences,
    }  # fmt: skip


def to_results(s: Summary) -> list[Result]:
    """The Result records written to statistics.json (prefix ``stats_``)."""
    res = []
    for unit, t in s.concentration.items():
        latest = t.iloc[-1]
        res.append(Result(
            f"stats_concentration_{unit}",
            _records(t, ["published", "edition", "total", "states_with_any", "florida", "florida_share", "top5_share",
                         "top5_states", "tied_at_5th", "hhi"]),
            unit, latest["published"].isoformat(), "ice_287g participating sheets (curated set)",
            {"snapshots": len(t)}))  # fmt: skip
        for which, crossing in (("curated", s.crossing[unit]), ("archive", s.crossing_archive[unit])):
            if which == "archive" and crossing is None:
                continue
            res.append(Result(f"stats_florida_below_one_third_{unit}_{which}", crossing, unit,
                              (crossing or {}).get("first_below", ""), f"ice_287g participating sheets ({which})",
                              {"sentence": crossing_sentence(crossing, SOURCE_LABEL[which])}))  # fmt: skip
    snap = s.multinomial_snapshot
    res.append(Result("stats_multinomial_ci_agreements", _records(s.multinomial, ["state", "count", "share", "lower", "upper"]),
                      "share", s.params["as_of"], snap["file"], {"method": "goodman", "alpha": 0.05}))  # fmt: skip
    for unit, t in s.models_by_type.items():
        cols = [c for c in t.columns if c != "snapshot_id"]
        res.append(Result(f"stats_by_model_{unit}", _records(t, cols), unit, t["published"].iloc[-1].isoformat(),
                          "ice_287g participating sheets (curated set)"))  # fmt: skip
    res.append(Result("stats_growth_between_article_dates", _records(s.growth, list(s.growth.columns)), "percent",
                      s.params["voz_date"], "ice_287g participating sheets in force on each date"))  # fmt: skip
    for unit, r in s.its.items():
        res.append(Result(f"stats_segmented_regression_{unit}", {
            "slopes": _records(r.slopes, ["segment", "start", "end", "slope", "ci_low", "ci_high", "p_value"]),
            "coefficients": _records(r.coef_table, ["term", "estimate", "ci_low", "ci_high", "p_value"]),
            "hac_lags": r.hac_lags, "n": r.n, "sentences": stats.describe_segments(r, unit)},
            f"{unit} per day", r.end.date().isoformat(), "ice_287g participating sheets (curated set, last edition per day)"))  # fmt: skip
    for tag, m in (("as_of", s.models), ("later", s.later)):
        res.append(Result(f"stats_state_models_{tag}", _model_record(m), "rate ratio", m.as_of, m.info["snapshot_file"],
                          {k: v for k, v in m.info.items() if k not in ("as_of",)}))  # fmt: skip
    res.append(Result("stats_axios_reading", axios_reading(s), "sentences", s.params["as_of"], s.models.info["snapshot_file"]))
    res.append(Result("stats_per_capita_agreements",
                      _records(s.per_capita, ["state", "agreements", "agreements_per_million", "rank_count",
                                              "rank_per_million", "axios_five"]),
                      "agreements per million residents", s.params["as_of"], s.models.info["snapshot_file"]))  # fmt: skip
    res.append(Result("stats_state_pending_per_1000",
                      _records(s.state_pending, ["state", "pending_cases", "population", "pending_per_1000"]),
                      "pending cases per 1,000 residents", courts.TRAC_AS_OF, courts.TRAC_SOURCE))  # fmt: skip
    cols = [c for c in ["rank", "fips", "county", "state", "pending", "is_nyc", "population", "pending_per_1000"]
            if c in s.counties.columns]  # fmt: skip
    res.append(Result("stats_county_backlog_top", _records(s.counties, cols), "pending cases", courts.TRAC_AS_OF,
                      courts.TRAC_SOURCE, {"note": s.county_note}))  # fmt: skip
    res.append(Result("stats_figures", s.figures, "figures", s.params["as_of"], "reports/figures"))
    return res
