"""A measure's value on every sheet: the engine over time.

A figure of Florida's share, the statistics' series, a claim page's chart and "when did this claim
hold" all ask one question: what would ``measures.evaluate`` answer on each sheet ICE posted? This
module answers it for every sheet at once, with the same filters (``measures._filter``), the same
count (``measures.size``), ranks (``competition_rank``, ``top``) and change rows
(``measures.change_rows``), so the series and the day's evaluation cannot disagree (a test compares
them sheet by sheet). Row-wise statistics are computed on the kind's whole table grouped by sheet;
the county-population ones, which place each sheet's rows in counties, are evaluated sheet by sheet.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from fractions import Fraction
from typing import Any

import pandas as pd

from . import measures
from .asof import parse_date
from .measures import Measure
from .reader import Panel

#: the columns naming each sheet in a series, before its values
SHEET_COLUMNS = ["snapshot_id", "file", "published", "edition", "edition_order", "confirmed_until"]


def sheets(panel: Panel, kind: str, start: dt.date | None = None, end: dt.date | None = None) -> pd.DataFrame:
    """One kind's sheets in publication order (later same-day editions last), between two dates."""
    snaps = panel.sheets_of(kind)
    keep = pd.Series(True, index=snaps.index)
    if start is not None:
        keep &= snaps["published"] >= parse_date(start)
    if end is not None:
        keep &= snaps["published"] <= parse_date(end)
    out = snaps.loc[keep, [c for c in SHEET_COLUMNS if c in snaps.columns]].copy()
    if "confirmed_until" not in out:
        out["confirmed_until"] = out["published"]
    out["confirmed_until"] = pd.to_datetime(out["confirmed_until"]).dt.date
    return out.reset_index(drop=True)


def series(measure: Measure, panel: Panel | None = None, *, start: str | dt.date | None = None,
           end: str | dt.date | None = None) -> pd.DataFrame:
    """``measure`` on every sheet of its kind (from ``start`` to ``end`` when given): one row per sheet,
    ``SHEET_COLUMNS`` then ``value`` (what ``evaluate`` gives on that sheet: int, Fraction, list or
    dict), ``number`` (the value as a float where it is one number, for charts) and, for ranks, top-n
    sets and breakdowns, ``table`` (the counts the value came from, which verdicts judge ties on).

    ``pct_change``, ``added`` and ``removed`` start after their ``since`` date (a change is counted
    from an earlier base date): sheets on or before it are left out. TRAC's county table is undated: its value is the same on every sheet.
    """
    from .reader import open_panel

    panel = open_panel(panel)
    m = measure
    kind = "participating" if m.source == "trac-county" else m.kind
    if m.since is not None:
        after = m.since + dt.timedelta(days=1)
        start = max(parse_date(start), after) if start is not None else after
    frame = sheets(panel, kind, parse_date(start) if start is not None else None,
                   parse_date(end) if end is not None else None)
    if frame.empty:
        return frame.assign(value=pd.Series(dtype=object), number=pd.Series(dtype=float))
    if m.source == "trac-county":
        ev = measures.evaluate(m, frame["published"].iloc[-1], panel)
        values = [ev.value] * len(frame)
        tables = [ev.detail.get("table")] * len(frame)
    elif m.statistic in measures.POPULATION_STATISTICS:
        values, tables = _population(m, panel, frame), None
    elif m.statistic in ("added", "removed"):
        values, tables = _changes(m, panel, frame), None
    else:
        values, tables = _grouped(m, panel, frame)
    out = frame.assign(value=pd.Series(values, index=frame.index, dtype=object))
    out["number"] = [_number(v, m) for v in values]
    if tables is not None:
        out["table"] = pd.Series(tables, index=frame.index, dtype=object)
    return out


def _number(value: Any, m: Measure) -> float:
    """A value as one number for a chart (a share in percent), NaN for a set or a table."""
    if isinstance(value, Fraction):
        return float(value) if m.statistic == "pct_change" else 100 * float(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return float("nan")


def _grouped(m: Measure, panel: Panel, frame: pd.DataFrame) -> tuple[list, list | None]:
    """The row-wise statistics on the kind's whole table, sheet by sheet through a groupby."""
    rows = panel.kind_rows(m.kind)
    rows = rows[rows["snapshot_id"].isin(set(frame["snapshot_id"]))]
    groups = panel.state_group(m.state_group) if m.state_group else None
    chosen = measures._filter(rows, m, groups=groups)
    sids = frame["snapshot_id"].tolist()
    if m.statistic in ("count", "pct_change"):
        counts = _sizes(chosen, m.unit).reindex(sids, fill_value=0)
        if m.statistic == "count":
            return [int(v) for v in counts], None
        base = measures.evaluate(dataclasses.replace(m, statistic="count", since=None), m.since, panel).value
        if base == 0:
            from ..core.errors import UsageError

            raise UsageError(f"no {m.unit} on the sheet in force on {m.since}: a percent change from 0 is undefined")
        return [Fraction(int(v) - base, base) * 100 for v in counts], None
    if m.statistic == "share":
        whole = measures._filter(rows, m, where=False)
        if m.denominator == "states":
            whole, chosen = whole[whole["is_state"]], chosen[chosen["is_state"]]
        num = _sizes(chosen, m.unit).reindex(sids, fill_value=0)
        den = _sizes(whole, m.unit).reindex(sids, fill_value=0)
        return [Fraction(int(a), int(b)) if b else None for a, b in zip(num, den)], None
    if m.statistic == "n_states":
        states = chosen[chosen["is_state"]].groupby("snapshot_id", sort=False)["state"].nunique()
        return [int(v) for v in states.reindex(sids, fill_value=0)], None
    if m.statistic == "states_without":
        universe = [st for st in (groups if groups is not None else measures._states_and_dc())
                    if st not in m.exclude and (not m.state or st in m.state)]  # fmt: skip
        present = chosen.groupby("snapshot_id", sort=False)["state"].agg(lambda s: set(s))
        return [sum(1 for st in universe if st not in present.get(sid, set())) for sid in sids], None
    # rank, top_n, breakdown: each sheet's table, ranked by the engine's own rules
    pool = measures._filter(rows, dataclasses.replace(m, state=(), county=None), groups=groups) if m.statistic == "rank" else chosen
    tables = _tables(pool, m.by, m.unit, sids)
    if m.statistic == "breakdown":
        return tables, tables
    if m.statistic == "top_n":
        return [measures.top(t, m.n)[0] for t in tables], tables
    entity = (m.state if m.by == "state" else m.model)[0]
    return [measures.competition_rank(t, entity)[0] for t in tables], tables


def _sizes(rows: pd.DataFrame, unit: str) -> pd.Series:
    """measures.size per sheet: rows (agreements) or distinct agency ids (agencies)."""
    grouped = rows.groupby("snapshot_id", sort=False)
    return grouped.size() if unit == "agreements" else grouped["agency_id"].nunique()


def _tables(rows: pd.DataFrame, by: str, unit: str, sids: list[str]) -> list[dict[str, int]]:
    """measures.table per sheet: counts by state or model, largest first, ties by name."""
    keys = rows[by].astype("object").where(rows[by].notna(), "unstated")
    grouped = rows.assign(_key=keys).groupby(["snapshot_id", "_key"], sort=True)
    sizes = grouped.size() if unit == "agreements" else grouped["agency_id"].nunique()
    per: dict[str, list] = {}
    for (sid, key), n in sizes.items():
        per.setdefault(sid, []).append((str(key), int(n)))
    return [dict(sorted(per.get(sid, []), key=lambda kv: (-kv[1], kv[0]))) for sid in sids]


def _changes(m: Measure, panel: Panel, frame: pd.DataFrame) -> list[int]:
    """added/removed since ``since`` up to each sheet's date: the rows of ``measures.change_rows`` up
    to the last sheet, each agreement (or agency) counted from the date of its first event."""
    rows = measures.change_rows(m, frame["published"].iloc[-1], panel)
    key = "agreement_id" if m.unit == "agreements" else "agency_id"
    first = rows.groupby(key)["_event"].min().sort_values()
    days = pd.to_datetime(pd.Series(frame["published"].tolist()))
    return [int(n) for n in first.searchsorted(days, side="right")]


def _population(m: Measure, panel: Panel, frame: pd.DataFrame) -> list:
    """Residents covered (or their share) on every sheet at once: measures._population's rule (each
    county once, the filter applied to the rows with their roles, the same denominator) on all the
    kind's rows grouped by sheet, instead of placing a thousand sheets one by one."""
    rows = panel.kind_roles(m.kind)
    rows = rows[rows["snapshot_id"].isin(set(frame["snapshot_id"]))]
    groups = panel.state_group(m.state_group) if m.state_group else None
    chosen = measures._filter(rows, m, groups=groups)
    population = panel.county_population()
    _, denominator = measures.population_base(m, population, groups)
    people = population.set_index("fips")["population_2024"]
    keys = ["snapshot_id"] if m.by == "total" else ["snapshot_id", "state" if m.by == "state" else "model"]
    county = chosen.loc[chosen["role"] == "county", [*keys, "county_fips"]].astype(object).drop_duplicates()
    residents = county["county_fips"].map(people).fillna(0).astype("int64")
    sums = residents.groupby([county[k] for k in keys], sort=False).sum()  # a missing state or model is no part
    sids = frame["snapshot_id"].tolist()
    if m.by == "total":
        return [measures.population_value(m, int(n), denominator) for n in sums.reindex(sids, fill_value=0)]
    parts: dict = {}
    for (sid, name), n in sums.items():
        parts.setdefault(sid, []).append((str(name), measures.population_value(m, int(n), denominator)))
    return [dict(sorted(parts.get(sid, []), key=lambda kv: (-kv[1], kv[0]))) for sid in sids]
