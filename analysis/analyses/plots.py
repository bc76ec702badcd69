"""The report's figures, one function each; notebooks call them and the report embeds them.

All use the house style (figures.py), say their unit and source snapshot, and are saved
byte-stable under reports/figures/.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ..core import paths, table_spec
from ..engine import query, reader
from . import concentration, courts, figures, reimbursement
from .figures import POLICY_DATES

FIG_DIR = paths.REPORTS_DIR / "figures"
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
