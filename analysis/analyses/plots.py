"""The report's figures, one function each; notebooks call them and the report embeds them.

All use the house style (figures.py), say their unit and source snapshot, and are saved
byte-stable under reports/figures/.
"""

from __future__ import annotations

import datetime as dt

import matplotlib.ticker as mticker
import pandas as pd

from ..core import paths, table_spec
from ..engine import query, reader
from . import concentration, courts, figures, reimbursement, stats

FIG_DIR = paths.REPORTS_DIR / "figures"
POLICY_DATES = figures.POLICY_DATES
#: the growth figure starts here: the list was flat from 2021 (the archive's first sheet) to the inauguration
GROWTH_FROM = dt.date(2024, 1, 1)
#: a model's name in a legend: ICE's name without the trailing "Model"
MODEL_NAMES = {code: name.removesuffix(" Model") for code, name in table_spec.MODEL_NAMES.items()}


def use_style() -> None:
    figures.use_style()


def show(fig):
    """A figure this module saved, shown inline as a notebook's last expression (with its alt text)."""
    return figures.inline(fig)


def _latest(kind: str = "participating", source=None) -> str:
    snap = query.snapshots(kind, source=source).iloc[-1]
    return f"{snap['published']}{' ' + snap['edition'] if snap['edition'] else ''}"


def _save(fig, name: str):
    figures.save_figure(fig, FIG_DIR / f"{name}.png")
    return fig


def _sheets_note(kind: str, series: pd.DataFrame, source=None) -> str:
    """The figure's source line: which panel, how many sheets, the newest (every figure names its sheets)."""
    panel = reader.open_panel(source)
    what = "archive panel" if panel.source == "archive" else "curated set"
    return f"ICE 287(g) {kind} sheets ({what}, {series['snapshot_id'].nunique():,} sheets, latest {_latest(kind, panel)})"


def _line(ax, x, y, label: str) -> None:
    """A series as a line, with a marker per sheet when the sheets are few enough to see one by one."""
    ax.plot(x, y, marker="o" if len(x) <= 60 else None, ms=3, lw=1.2, label=label)


def _years(series: pd.DataFrame) -> str:
    first, last = min(series["published"]), max(series["published"])
    return f"{first.year}–{last.year}" if first.year != last.year else f"{first.year}"


def growth_by_model(unit: str = "agreements", source=None):
    """Agreements (or agencies) by model on every participating sheet of the panel (the default
    reader's, or ``source``)."""
    series = query.counts_by_snapshot("participating", by="model", source=source)
    series = series[series["published"] >= GROWTH_FROM]
    fig, ax = figures.new_figure(
        f"287(g) {unit} by model, {_years(series)}",
        xlabel="ICE sheet date",
        ylabel=f"{unit.capitalize()} (count)",
        source=_sheets_note("participating", series, source),
    )
    for model, frame in series.groupby("model"):
        _line(ax, frame["published"], frame[unit], MODEL_NAMES.get(model, model))
    ax.legend(loc="upper left", frameon=False)
    figures.format_date_axis(ax)
    figures.format_count_axis(ax, unit)
    figures.mark_dates(ax, POLICY_DATES)
    return _save(fig, f"growth_by_model_{unit}")


def florida_share(unit: str = "agreements", crossing: dict | None = None, source=None):
    """Florida's and the top five's share per sheet with the one-third line; with
    ``crossing`` (statistics.florida_crossing) the bracket in which the share fell below one
    third is shaded and the figure is saved as florida_share_crossing_<unit> (the plain one
    stays the concentration notebook's, whichever notebook runs last)."""
    table = concentration.florida_share_series(unit, source=source)
    fig, ax = figures.new_figure(
        f"Florida's and the top five states' share of 287(g) {unit}",
        xlabel="ICE sheet date",
        ylabel=f"Share of all {unit} (%)",
        source=_sheets_note("participating", table, source),
    )
    _line(ax, table["published"], 100 * table["florida_share"], "Florida")
    _line(ax, table["published"], 100 * table["top5_share"], "Top five states")
    ax.axhline(100 / 3, color="0.4", lw=1, ls=":")
    ax.annotate("one third", (table["published"].min(), 100 / 3), xytext=(0, 4), textcoords="offset points", fontsize=9)
    if crossing is not None:
        lo, hi = (dt.date.fromisoformat(crossing[k]) for k in ("last_at_or_above", "first_below"))
        ax.axvspan(lo, hi, color="0.85", lw=0, zorder=0, label=f"Fell below one third ({lo:%b} {lo.day} to {hi:%b} {hi.day}, {hi.year})")
    ax.set_ylim(0, 100)
    ax.legend(loc="upper right", frameon=False)
    figures.format_date_axis(ax)
    return _save(fig, f"florida_share_{'crossing_' if crossing is not None else ''}{unit}")


def pending_by_model(source=None):
    series = query.counts_by_snapshot("pending", by="model", source=source)
    fig, ax = figures.new_figure(
        "Pending 287(g) applications by model",
        xlabel="ICE pending sheet date",
        ylabel="Pending applications (rows of the sheet)",
        source=_sheets_note("pending", series, source),
    )
    for model, frame in series.groupby("model"):
        _line(ax, frame["published"], frame["agreements"], MODEL_NAMES.get(model, model))
    ax.legend(loc="upper right", frameon=False)
    figures.format_date_axis(ax)
    figures.format_count_axis(ax, "applications")
    return _save(fig, "pending_by_model")


def county_backlog(top_n: int = 15):
    table = courts.county_table().head(top_n)
    labels = [f"{c}, {s}" for c, s in zip(table["county"], table["state"])]
    highlight = [lab for lab, nyc in zip(labels, table["is_nyc"]) if nyc]
    fig, ax = figures.new_figure(
        f"Pending immigration-court cases: top {top_n} counties",
        xlabel="Pending cases of residents (count)",
        ylabel="",
        subtitle="New York City's five counties (Bronx, Kings, New York, Queens, Richmond) highlighted",
        source=f"TRAC, pending court cases by immigrant's address ({courts.TRAC_AS_OF})",
        figsize=(8, 6),
    )
    figures.barh_ranking(ax, labels, table["pending"].tolist(), highlight=highlight or None)
    return _save(fig, "county_backlog")


def performance_tiers():
    scores = list(range(60, 101))
    fig, ax = figures.new_figure(
        "Quarterly performance payment per task-force officer",
        xlabel="Performance score (%)",
        ylabel="Payment per quarter (US$)",
        source="Reimbursement rules from 2025-10-01 as reported by Voz (policy, not data)",
    )
    ax.step(scores, [reimbursement.performance_payment(s) for s in scores], where="post")
    figures.format_count_axis(ax, "US$")
    return _save(fig, "performance_tiers")


def segmented_fit(series, result, unit: str = "agreements"):
    """Observed cumulative counts (one per day) and the fitted segmented trend, with the
    policy dates where the slope may change: what the interrupted time series estimates."""
    fig, ax = figures.new_figure(
        f"Cumulative 287(g) {unit} and a segmented trend",
        xlabel="ICE sheet date",
        ylabel=f"{unit.capitalize()} (count)",
        subtitle="Straight lines whose slope may change at each policy date (OLS, HAC errors)",
        source=f"ICE 287(g) participating sheets (curated set, {result.n} dates, latest {_latest()})",
    )
    ax.plot(series["published"], series["count"], "o", ms=4, label="ICE sheet (last edition of the day)")
    grid = pd.date_range(result.start, result.end, freq="D")
    ax.plot(grid, stats.segmented_predict(result, grid), lw=1.5, label="Fitted segmented trend")
    ax.legend(loc="upper left", frameon=False)
    figures.format_date_axis(ax)
    figures.format_count_axis(ax, unit)
    figures.mark_dates(ax, POLICY_DATES)
    return _save(fig, f"segmented_fit_{unit}")


RANKING_COLUMNS = {
    "agreements": ("Agreements (count)", "{:,.0f}", "agreements"),
    "agreements_per_million": ("Agreements per million residents", "{:,.1f}", "agreements per million residents"),
    "agencies": ("Agencies (count)", "{:,.0f}", "agencies"),
    "agencies_per_million": ("Agencies per million residents", "{:,.1f}", "agencies per million residents"),
}


def state_ranking(table, column: str, as_of: str, snapshot: str, top_n: int = 15):
    """The top ``top_n`` states by ``column`` (a count or a per-million rate from
    statistics.per_capita_ranking), the five states Axios named highlighted."""
    if column not in RANKING_COLUMNS:
        raise ValueError(f"column must be one of {sorted(RANKING_COLUMNS)}")
    xlabel, fmt, what = RANKING_COLUMNS[column]
    ranked = table.sort_values([column, "state"], ascending=[False, True]).head(top_n)
    named = table.loc[table["axios_five"], "state_name"].tolist()
    labels = ranked["state_name"].tolist()
    per_capita = "per_million" in column
    fig, ax = figures.new_figure(
        f"Top {top_n} states by 287(g) {what}, as of {as_of}",
        xlabel=xlabel,
        ylabel="",
        subtitle="Bold: the five states Axios called most cooperative (TX, FL, GA, NC, VA)",
        source=(f"ICE 287(g) participating sheet of {snapshot}"
                + ("; Census Vintage 2024 population (July 1, 2024)" if per_capita else "")),
        figsize=(8, 6),
    )
    highlight = [lab for lab in labels if lab in named]
    figures.barh_ranking(ax, labels, ranked[column].tolist(), highlight=highlight or None, value_fmt=fmt)
    return _save(fig, f"state_ranking_{column}")


def rate_ratio_forest(rows, as_of: str, snapshot: str):
    """Forest plot of rate ratios (and odds ratios) with 95% intervals on a log scale; 1 means
    no association. Rows: model, label, ratio, ci_low, ci_high (statistics.forest_rows)."""
    rows = rows.reset_index(drop=True)
    fig, ax = figures.new_figure(
        "What goes with more 287(g) agreements in a state?",
        xlabel="Ratio per stated change, 95% CI (log scale; 1 = no association)",
        ylabel="",
        subtitle=(f"Rate: agreements per resident (count model with population offset); odds: any agreement "
                  f"(logistic). States as of {as_of} unless dated"),
        source=(f"ICE 287(g) participating sheet of {snapshot}; FiveThirtyEight 2024 presidential results; "
                f"TRAC pending cases by address (2025); Census Vintage 2024 population"),
        figsize=(9, 6),
    )
    models = list(dict.fromkeys(rows["model"]))
    colors = {m: f"C{i}" for i, m in enumerate(models)}
    # One block per model, a blank row between blocks, first block on top.
    pos, y = [], 0.0
    for i, r in enumerate(rows.itertuples(index=False)):
        if i and r.model != rows["model"].iloc[i - 1]:
            y += 0.8
        pos.append(-y)
        y += 1.0
    for yi, r in zip(pos, rows.itertuples(index=False)):
        c = colors[r.model]
        ax.plot([r.ci_low, r.ci_high], [yi, yi], color=c, lw=2, solid_capstyle="butt")
        ax.plot([r.ratio], [yi], "o", color=c, ms=6, label=r.model)
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
              frameon=False, fontsize=10, handlelength=1, borderaxespad=0.2)
    ax.set_ylim(min(pos) - 0.6, 0.6)
    return _save(fig, "rate_ratio_forest")
