"""The report's figures, one function each; notebooks call them and the report embeds them.

All use the house style (figures.py), say their unit and source snapshot, and are saved
byte-stable under reports/figures/.
"""

from __future__ import annotations

import datetime as dt


from ..core import paths
from ..engine import query
from . import concentration, courts, figures, reimbursement
from .figures import POLICY_DATES

FIG_DIR = paths.REPORTS_DIR / "figures"
MODEL_NAMES = {"JEM": "Jail Enforcement", "TFM": "Task Force", "WSO": "Warrant Service Officer"}


def use_style() -> None:
    figures.use_style()


def _latest(kind: str = "participating") -> str:
    snap = query.snapshots(kind).iloc[-1]
    return f"{snap['published']}{' ' + snap['edition'] if snap['edition'] else ''}"


def _save(fig, name: str):
    figures.save_figure(fig, FIG_DIR / f"{name}.png")
    return fig


def growth_by_model(unit: str = "agreements"):
    series = query.counts_by_snapshot("participating", by="model")
    fig, ax = figures.new_figure(
        f"287(g) {unit} by model, 2024–2026",
        xlabel="ICE sheet date",
        ylabel=f"{unit.capitalize()} (count)",
        source=f"ICE 287(g) participating sheets (curated set, {series['snapshot_id'].nunique()} snapshots, latest {_latest()})",
    )
    for model, frame in series.groupby("model"):
        ax.plot(frame["published"], frame[unit], marker="o", ms=3, label=MODEL_NAMES.get(model, model))
    ax.legend(loc="upper left", frameon=False)
    figures.format_date_axis(ax)
    figures.format_count_axis(ax, unit)
    figures.mark_dates(ax, POLICY_DATES)
    return _save(fig, f"growth_by_model_{unit}")


def florida_share(unit: str = "agreements", crossing: dict | None = None):
    """Florida's and the top five's share per snapshot with the one-third line; with
    ``crossing`` (statistics.florida_crossing) the bracket in which the share fell below one
    third is shaded and the figure is saved as florida_share_crossing_<unit> (the plain one
    stays the concentration notebook's, whichever notebook runs last)."""
    table = concentration.florida_share_series(unit)
    fig, ax = figures.new_figure(
        f"Florida's and the top five states' share of 287(g) {unit}",
        xlabel="ICE sheet date",
        ylabel=f"Share of all {unit} (%)",
        source=f"ICE 287(g) participating sheets (curated set, latest {_latest()})",
    )
    ax.plot(table["published"], 100 * table["florida_share"], marker="o", ms=3, label="Florida")
    ax.plot(table["published"], 100 * table["top5_share"], marker="o", ms=3, label="Top five states")
    ax.axhline(100 / 3, color="0.4", lw=1, ls=":")
    ax.annotate("one third", (table["published"].min(), 100 / 3), xytext=(0, 4), textcoords="offset points", fontsize=9)
    if crossing is not None:
        lo, hi = (dt.date.fromisoformat(crossing[k]) for k in ("last_at_or_above", "first_below"))
        ax.axvspan(lo, hi, color="0.85", lw=0, zorder=0, label=f"Fell below one third ({lo:%b} {lo.day} to {hi:%b} {hi.day}, {hi.year})")
    ax.set_ylim(0, 100)
    ax.legend(loc="upper right", frameon=False)
    figures.format_date_axis(ax)
    return _save(fig, f"florida_share_{'crossing_' if crossing is not None else ''}{unit}")


def pending_by_model():
    series = query.counts_by_snapshot("pending", by="model")
    fig, ax = figures.new_figure(
        "Pending 287(g) applications by model",
        xlabel="ICE pending sheet date",
        ylabel="Pending applications (rows of the sheet)",
        source=f"ICE 287(g) pending sheets (curated set, latest {_latest('pending')})",
    )
    for model, frame in series.groupby("model"):
        ax.plot(frame["published"], frame["agreements"], marker="o", ms=3, label=MODEL_NAMES.get(model, model))
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
