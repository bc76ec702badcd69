"""The statistics figures: one function each, drawn from a ``statistics.Summary``, saved byte-stable
into a folder (the notebook's: its project's reports/figures/) in the house style with a source
line. The notebook shows the saved PNGs inline and the report embeds the same files, so both show the same bytes.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.ticker as mticker
import numpy as np
import pandas as pd

from . import figures
from .figures import POLICY_DATES
from .statistics import SERIES_START

ARCHIVE = "ICE 287(g) participating sheets, archive panel"


def _save(fig, name: str, folder: Path) -> Path:
    return figures.save_figure(fig, folder / f"{name}.png")[0]


def _sheet(s) -> str:
    return f"sheet {s.sheet['file'].rsplit('/', 1)[-1]}"


def florida_share(s, folder: Path) -> Path:
    """Florida's and the top five's share of agreements and agencies on every sheet, the one-third
    line and the day the share fell below it for good."""
    fig, ax = figures.new_figure(
        "Florida's and the top five states' share of 287(g) agreements", xlabel="ICE sheet date",
        ylabel="Share (%)",
        subtitle="Every sheet since 2024; solid: agreements, dashed: agencies",
        source=f"{ARCHIVE} ({len(s.concentration['agreements'])} sheets since {s.concentration['agreements']['published'].min()})")
    for unit, ls in (("agreements", "-"), ("agencies", "--")):
        t = s.concentration[unit]
        ax.plot(pd.to_datetime(t["published"]), 100 * t["florida_share"], ls, color="C0", lw=1.4, label=f"Florida ({unit})")
        ax.plot(pd.to_datetime(t["published"]), 100 * t["top5_share"], ls, color="C1", lw=1.4, label=f"Top five ({unit})")
    ax.axhline(100 / 3, color="0.4", lw=1, ls=":")
    c = s.crossing["agreements"]
    if c is not None:
        ax.axvline(pd.Timestamp(c["first_below"]), color="0.5", lw=1)
        ax.annotate(f"below one third from {c['first_below']}", (pd.Timestamp(c["first_below"]), 100 / 3),
                    xytext=(4, -14), textcoords="offset points", fontsize=10)
    ax.set_ylim(0, 100)
    ax.legend(loc="upper left", frameon=False, ncol=2, fontsize=10)
    figures.format_date_axis(ax)
    figures.mark_dates(ax, POLICY_DATES)
    return _save(fig, "stats_florida_share", folder)


def bootstrap(s, folder: Path) -> Path:
    """The bootstrap distributions of the effective number of states (10,000 / HHI), in both units."""
    b = s.bootstrap["agreements"]
    fig, ax = figures.new_figure(
        f"How concentrated is the list? Effective number of states, {s.sheet['published']}",
        xlabel="Effective number of states (10,000 / HHI)", ylabel="Bootstrap replicates (count)",
        subtitle=f"{b.replicates:,} resamples of the {b.agencies} agencies on the sheet; lines: the sheet's own value",
        source=f"{ARCHIVE}, {_sheet(s)}")
    bins = np.linspace(min(x.draws["effective_states"].min() for x in s.bootstrap.values()),
                       max(x.draws["effective_states"].max() for x in s.bootstrap.values()), 40)
    for i, (unit, r) in enumerate(s.bootstrap.items()):
        ax.hist(r.draws["effective_states"], bins=bins, alpha=0.55, color=f"C{i}", label=unit)
        est = r.table.set_index("measure").loc["effective_states", "estimate"]
        ax.axvline(est, color=f"C{i}", lw=1.5)
    ax.legend(loc="upper right", frameon=False)
    return _save(fig, "stats_bootstrap_effective_states", folder)


def flows(s, folder: Path) -> Path:
    """Agreements added and removed per week over the whole archive, policy dates marked."""
    every = s.flows.tables["agreements"]
    shown = pd.Timestamp(SERIES_START)
    f, before = every[every["end"] >= shown], every[every["end"] < shown]
    fig, ax = figures.new_figure(
        "287(g) agreements added and removed, week by week", xlabel="Week ending (date of its last ICE sheet)",
        ylabel="Agreements per week",
        subtitle=(f"Added: bars up; removed: bars down; re-signings left out. Before {shown:%Y}: {before['added'].sum()} added, "
                  f"{before['removed'].sum()} removed in {len(before)} weeks"),
        source=f"{ARCHIVE}, history spells ({len(every)} weekly intervals, {every['start'].min():%Y-%m-%d} to {every['end'].max():%Y-%m-%d})")
    width = pd.to_timedelta(f["days"].clip(upper=7), unit="D")
    ax.bar(f["end"] - width, 7 * f["added"] / f["days"], width=width, align="edge", color="C0", label="added")
    ax.bar(f["end"] - width, -7 * f["removed"] / f["days"], width=width, align="edge", color="C3", label="removed")
    ax.axhline(0, color="0.3", lw=0.8)
    ax.legend(loc="upper left", frameon=False)
    figures.format_date_axis(ax)
    figures.mark_dates(ax, POLICY_DATES)
    return _save(fig, "stats_flows_weekly", folder)


def event_study(s, folder: Path) -> Path:
    """Rate ratios of agreements added in each four-week bin around the policy dates, with the
    first four weeks after each placebo date for comparison."""
    ev, pl = s.flows.events, s.flows.placebo
    fig, ax = figures.new_figure(
        "Did additions change at the policy dates?",
        xlabel="Weeks relative to the date (bins of four; reference: the four weeks before)",
        ylabel="Rate ratio (log scale)",
        subtitle="Agreements added; negative binomial, log(days) exposure, 95% intervals; grey: weeks 0 to 3 at placebo dates",
        source=f"{ARCHIVE}, history spells since {s.flows.since}")
    for i, (label, part) in enumerate(ev.groupby("label", sort=False)):
        x = (part["first_week"] + part["last_week"]) / 2 + (i - 0.5) * 0.6
        ax.errorbar(x, part["rate_ratio"], yerr=[part["rate_ratio"] - part["ci_low"], part["ci_high"] - part["rate_ratio"]],
                    fmt="o", color=f"C{i}", capsize=0, lw=1.5, label=f"{label} ({part['date'].iloc[0]})")
    placebo = pl[pl["kind"] == "placebo"]
    ax.scatter(np.full(len(placebo), 1.5) + np.linspace(-0.9, 0.9, len(placebo)), placebo["rate_ratio"],
               color="0.6", s=14, zorder=1, label=f"placebo dates ({len(placebo)})")
    ax.axhline(1.0, color="0.4", lw=1, ls=":")
    ax.axvline(-0.5, color="0.7", lw=0.8)
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.legend(loc="upper left", frameon=False, fontsize=10)
    return _save(fig, "stats_event_study", folder)


def _stock_figure(st, title: str, ylabel: str, subtitle: str):
    """A figure of the stock fit over the sheet dates, with its source line (one sheet per day)."""
    return figures.new_figure(title, xlabel="ICE sheet date", ylabel=ylabel, subtitle=subtitle,
                              source=f"{ARCHIVE} (last sheet of each day, {st.result.n} days)")


def stock_fit(s, folder: Path) -> Path:
    """The number listed on each day and the segmented trend fitted to it: the contrast."""
    st = s.stock
    fig, ax = _stock_figure(st, "The stock fit (a contrast): a segmented trend of agreements listed", "Agreements listed (count)",
                            "Straight lines joined at each policy date (OLS): they cannot follow the March 2025 jump")
    ax.plot(st.series["published"], st.series["count"], "o", ms=2.5, color="C0", label="listed that day")
    grid = pd.date_range(st.result.start, st.result.end, freq="D")
    from .stock_trend import segmented_predict

    ax.plot(grid, segmented_predict(st.result, grid), color="C1", lw=1.5, label="segmented trend")
    ax.legend(loc="upper left", frameon=False)
    figures.format_date_axis(ax)
    figures.format_count_axis(ax, "agreements")
    figures.mark_dates(ax, POLICY_DATES)
    return _save(fig, "stats_stock_fit", folder)


def stock_residuals(s, folder: Path) -> Path:
    """The stock fit's residuals in date order: long runs on one side are the autocorrelation."""
    st = s.stock
    fig, ax = _stock_figure(st, "Residuals of the stock fit run in long waves", "Observed minus fitted",
                            f"Lag-1 autocorrelation {st.autocorrelation:.2f}: each day's error mostly repeats the day before's")
    ax.axhline(0, color="0.4", lw=1)
    ax.plot(st.series["published"], st.series["residual"], "-", lw=1, color="C3")
    figures.format_date_axis(ax)
    figures.mark_dates(ax, POLICY_DATES)
    return _save(fig, "stats_stock_residuals", folder)


def survival_curves(s, folder: Path) -> Path:
    """Kaplan-Meier curves of still being listed, by when the agreement was signed."""
    fig, ax = figures.new_figure(
        "How long do 287(g) agreements stay on ICE's list?", xlabel="Years since the agreement was signed",
        ylabel="Still listed (%)",
        subtitle="Left-truncated at the first sheet listing each agreement; bands: 95% pointwise intervals",
        source=f"{ARCHIVE}, history spells ({s.survival.cox.n:,} agreements, {s.survival.cox.events} removed)")
    for i, (label, kmf) in enumerate(s.survival.by_cohort.items()):
        sf, ci = kmf.survival_function_, kmf.confidence_interval_survival_function_
        ax.step(sf.index, 100 * sf.iloc[:, 0], where="post", color=f"C{i}", label=label)
        ax.fill_between(ci.index, 100 * ci.iloc[:, 0], 100 * ci.iloc[:, 1], step="post", color=f"C{i}", alpha=0.2, lw=0)
    ax.set_ylim(50, 100.5)
    ax.legend(loc="lower left", frameon=False)
    return _save(fig, "stats_survival", folder)


def participation(s, folder: Path) -> Path:
    """The Firth logit's probability that a state has any agreement, by 2024 Trump vote share, with
    the states themselves along the top (has any) and the bottom (has none)."""
    m = s.models
    grid = np.linspace(0.05, 0.75, 71)
    from .participation import predicted_probabilities

    curve = predicted_probabilities(m.logit, "trump_share", grid)
    pending = float(m.logit.design["pending_per_1000"].median())
    fig, ax = figures.new_figure(
        f"Which states have any 287(g) agreement? ({m.info['snapshot_published']})",
        xlabel="Trump share of the 2024 presidential vote (%)", ylabel="Probability (%)",
        subtitle=f"Firth-penalised logit; pending cases held at the median ({pending:.1f} per 1,000); band: 95% interval",
        source=f"ICE 287(g) {m.info['snapshot_file'].rsplit('/', 1)[-1]}; FiveThirtyEight 2024; TRAC; Census 2024")
    ax.plot(100 * curve["trump_share"], 100 * curve["probability"], color="C0")
    ax.fill_between(100 * curve["trump_share"], 100 * curve["ci_low"], 100 * curve["ci_high"], color="C0", alpha=0.2, lw=0)
    p = m.panel
    ax.scatter(100 * p["trump_share"], 100 * p["any_agreement"], s=14, color="C3", zorder=3, label="states (0 = none, 100 = any)")
    ax.set_ylim(-4, 104)
    ax.legend(loc="upper left", frameon=False)
    return _save(fig, "stats_participation", folder)


def rate_ratio_forest(s, folder: Path) -> Path:
    """Rate and odds ratios of every state model with 95% intervals on a log scale; 1 = no association."""
    from .statistics import forest_rows

    rows = forest_rows(s.models, s.later).reset_index(drop=True)
    m = s.models
    fig, ax = figures.new_figure(
        "What goes with more 287(g) agreements in a state?",
        xlabel="Ratio per stated change, 95% interval (log scale; 1 = no association)", ylabel="",
        subtitle=f"Rates per resident (population offset) and odds of any agreement; states on the sheet of {m.info['snapshot_published']} unless dated",
        source=(f"ICE 287(g) {m.info['snapshot_file'].rsplit('/', 1)[-1]}; FiveThirtyEight 2024 presidential results; "
                "TRAC pending cases by address (2025); Census Vintage 2024 population"), figsize=(9, 7))  # fmt: skip
    models = list(dict.fromkeys(rows["model"]))
    colors = {mo: f"C{i}" for i, mo in enumerate(models)}
    pos, y = [], 0.0
    for i, r in enumerate(rows.itertuples(index=False)):
        if i and r.model != rows["model"].iloc[i - 1]:
            y += 0.8
        pos.append(-y)
        y += 1.0
    for yi, r in zip(pos, rows.itertuples(index=False)):
        ax.plot([r.ci_low, r.ci_high], [yi, yi], color=colors[r.model], lw=2, solid_capstyle="butt")
        ax.plot([r.ratio], [yi], "o", color=colors[r.model], ms=6, label=r.model)
    ax.axvline(1.0, color="0.4", lw=1, ls=":")
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(mticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(mticker.NullFormatter())
    ax.set_yticks(pos, rows["label"].tolist())
    ax.tick_params(axis="y", length=0)
    ax.grid(False, axis="y")
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    ax.legend(unique.values(), unique.keys(), loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2,
              frameon=False, fontsize=9, handlelength=1, borderaxespad=0.2)
    ax.set_ylim(min(pos) - 0.6, 0.6)
    return _save(fig, "stats_rate_ratio_forest", folder)


def state_ranking(s, folder: Path) -> Path:
    """The states with the most agreements per million residents, the five Axios named in bold."""
    t, top_n = s.per_capita, s.params["top_n"]
    ranked = t.sort_values(["agreements_per_million", "state"], ascending=[False, True]).head(top_n)
    named = t.loc[t["axios_five"], "state_name"].tolist()
    labels = ranked["state_name"].tolist()
    m = s.models
    fig, ax = figures.new_figure(
        f"Top {top_n} states by 287(g) agreements per million residents, {m.info['snapshot_published']}",
        xlabel="Agreements per million residents", ylabel="",
        subtitle="Bold: the five states Axios called most cooperative (TX, FL, GA, NC, VA)",
        source=f"ICE 287(g) {m.info['snapshot_file'].rsplit('/', 1)[-1]}; Census Vintage 2024 population (July 1, 2024)",
        figsize=(8, 6))
    figures.barh_ranking(ax, labels, ranked["agreements_per_million"].tolist(),
                         highlight=[lab for lab in labels if lab in named] or None, value_fmt="{:,.1f}")
    return _save(fig, "stats_state_ranking_per_million", folder)


#: every statistics figure, in the notebook's order, with its caption (the report's too)
FIGURES = [
    (florida_share, "Florida's and the top five's share of agreements and agencies on every sheet since 2024, with the one-third line."),
    (bootstrap, "Bootstrap distribution of the effective number of states (10,000 / HHI) on the sheet in force on the Axios date."),
    (flows, "Agreements added and removed per week over the whole archive (2021 to the newest sheet)."),
    (event_study, "Event study of agreements added around the policy dates, with placebo dates."),
    (stock_fit, "The stock fit kept as a contrast: agreements listed each day and a segmented trend."),
    (stock_residuals, "Residuals of the stock fit: long waves, lag-1 autocorrelation near 1."),
    (survival_curves, "Kaplan-Meier curves of time to removal, by signing before or after the inauguration."),
    (participation, "Firth logit: probability that a state has any agreement, by 2024 Trump vote share."),
    (rate_ratio_forest, "Rate and odds ratios of the state models with 95% intervals (log scale)."),
    (state_ranking, "States ranked by agreements per million residents."),
]


def make_all(s, folder: Path) -> list[dict]:
    """Draw and save every statistics figure; returns [{name, caption}] (the report's list too)."""
    out = []
    for draw, caption in FIGURES:
        path = draw(s, folder)
        out.append({"name": path.stem, "caption": caption})
    s.figures = out
    return out
