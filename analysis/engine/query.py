"""The general questions: how many agreements or agencies on a date, and what changed.

Every answer names its unit, its panel and the sheet it came from. The sheet in force on a day D is
the latest sheet published on or before D (later editions of the same day win), so "as of D" means
"what ICE's list said at the end of day D" as far as the pinned sheets show.

These functions are doors onto the engine, not a second engine: they read through
``reader.open_panel`` (the default source: the archive panel when built and current, else the
curated sheets; or the ``source`` asked for) and count with ``measures.size``, so ``query``,
``check``, ``map``, ``recheck`` and the figures give one number for one question. ``source`` is an
argument, not a module switch: two callers in one process cannot change each other's answers.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from ..core.errors import UsageError
from .measures import size
from .reader import Panel, open_panel

from .asof import BY_CHOICES, KINDS, STALE_AFTER_DAYS, UNITS, parse_date, snapshot_info, to_json  # noqa: F401 (re-exported)

Source = str | Path | Panel | None


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise UsageError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    return kind


def snapshots(kind: str | None = "participating", *, source: Source = None) -> pd.DataFrame:
    """The sheets of ``kind`` (every kind when None) in the order they were published."""
    panel = open_panel(source)
    if kind is not None:
        return panel.sheets_of(_kind(kind))
    return panel.snapshots.sort_values(["published", "edition_order"], ignore_index=True)


def snapshot_in_force(as_of: str | dt.date, kind: str = "participating", *, source: Source = None) -> pd.Series:
    """The sheet in force on ``as_of`` (the reader's rule); refuses dates before the first sheet and
    after the newest."""
    return open_panel(source).in_force(parse_date(as_of), _kind(kind))


def newest(kind: str | None = None, *, source: Source = None) -> pd.Series | None:
    """The newest sheet of ``kind`` (of any kind when None); None when there is none."""
    snaps = snapshots(kind, source=source)
    return None if snaps.empty else snaps.iloc[-1]


def refuse_after_newest(day: str | dt.date, kind: str | None = None, *, source: Source = None) -> None:
    """A command's date after the newest sheet has no data yet: refused (see asof.refuse_after_newest)."""
    from .asof import refuse_after_newest as refuse

    snaps = snapshots(kind, source=source)
    if kind is None and not snaps.empty:  # after every kind's newest: the one seen live the longest
        from .asof import confirmed_until

        records = [snaps[snaps["kind"] == k].iloc[-1].to_dict() for k in snaps["kind"].unique()]
        refuse(parse_date(day), None, max(records, key=confirmed_until))
        return
    refuse(parse_date(day), kind, None if snaps.empty else snaps.iloc[-1].to_dict())


def rows_of(snapshot_id: str, *, source: Source = None) -> pd.DataFrame:
    return open_panel(source).rows(snapshot_id)


def _filtered(frame: pd.DataFrame, state: list[str] | None, model: list[str] | None) -> pd.DataFrame:
    if state:
        frame = frame[frame["state"].isin(state)]
    if model:
        frame = frame[frame["model"].isin(model).fillna(False).astype(bool)]
    return frame


def count(
    as_of: str | dt.date,
    *,
    kind: str = "participating",
    unit: str = "agreements",
    by: str | None = None,
    state: list[str] | None = None,
    model: list[str] | None = None,
    source: Source = None,
) -> dict:
    """Counts on the sheet in force on ``as_of`` as a JSON-ready dict (shape in docs/commands.md), limited
    to some states or models when asked."""
    if unit not in UNITS:
        raise UsageError(f"unit must be one of {', '.join(UNITS)}, not {unit!r}")
    if by is not None and by not in BY_CHOICES:
        raise UsageError(f"--by must be one of {', '.join(BY_CHOICES)}, not {by!r}")
    panel = open_panel(source)
    day = parse_date(as_of)
    snap = panel.in_force(day, _kind(kind))
    frame = _filtered(panel.rows(snap["snapshot_id"]), state, model)
    total = size(frame, unit)
    result = {
        "as_of": day.isoformat(),
        "panel": panel.source,
        "snapshot": snapshot_info(snap, day),
        "kind": kind,
        "unit": unit,
        "total": int(total),
        "states": int(frame.loc[frame["is_state"], "state"].nunique()),
        "territories": sorted(frame.loc[~frame["is_state"], "state"].unique().tolist()),
        "groups": [],
    }
    if state:
        result["state"] = list(state)
    if model:
        result["model"] = list(model)
    if by:
        keys = BY_CHOICES[by]
        work = frame.assign(model=frame["model"].astype(object).where(frame["model"].notna(), "unstated"))
        sizes = {key: size(group, unit) for key, group in work.groupby(keys, sort=True)}  # the engine's count
        names = dict(zip(frame["state"], frame["state_name"] if "state_name" in frame else frame["state"]))
        groups = []
        for key, n in sizes.items():
            key = key if isinstance(key, tuple) else (key,)
            group = dict(zip(keys, key))
            if "state" in group:
                group["state_name"] = names[group["state"]]
            group["count"] = int(n)
            group["share"] = round(n / total, 6) if total else 0.0
            groups.append(group)
        groups.sort(key=lambda g: (-g["count"], g.get("state", ""), g.get("model", "")))
        result["groups"] = groups
    return result


def counts_by_snapshot(kind: str = "participating", by: str | None = None, *, source: Source = None) -> pd.DataFrame:
    """Agreements and agencies on every sheet (optionally by state or model): the time series, from
    the kind's whole table grouped by sheet (the counts ``count`` gives sheet by sheet)."""
    panel = open_panel(source)
    snaps = panel.sheets_of(_kind(kind))
    frame = panel.kind_rows(kind)
    keys = ["snapshot_id"] + (BY_CHOICES[by] if by else [])
    work = frame.assign(model=frame["model"].astype(object).where(frame["model"].notna(), "unstated"))
    out = work.groupby(keys, sort=False).agg(agreements=("row", "size"), agencies=("agency_id", "nunique"))
    out = out.reset_index().merge(snaps[["snapshot_id", "published", "edition", "edition_order"]], on="snapshot_id")
    return out.sort_values(["published", "edition_order"] + keys[1:], ignore_index=True)


def diff(date_from: str | dt.date, date_to: str | dt.date, *, kind: str = "participating", state: str | None = None,
         source: Source = None) -> dict:
    """Agencies and agreements added and removed between the sheets in force on two dates."""
    d1, d2 = parse_date(date_from), parse_date(date_to)
    if d2 < d1:
        raise UsageError(f"--to ({d2}) is before --from ({d1})")
    if state is not None:
        from ..clean.normalize import state_arg

        state = state_arg(state)
    panel = open_panel(source)
    s1, s2 = panel.in_force(d1, _kind(kind)), panel.in_force(d2, kind)
    a, b = panel.rows(s1["snapshot_id"]), panel.rows(s2["snapshot_id"])
    if state:
        a, b = a[a["state"] == state], b[b["state"] == state]

    def listing(frame: pd.DataFrame, ids: set, key: str) -> list[dict]:
        chosen = frame[frame[key].isin(ids)].drop_duplicates(key).sort_values(["state", "agency_name", key])
        cols = ["state", "agency_name", "agency", "agency_id"] + (["model", "signed", "agreement_id"] if key == "agreement_id" else [])
        records = []
        for row in chosen[cols].itertuples(index=False):
            rec = dict(zip(cols, row))
            rec["as_printed"] = rec.pop("agency")
            if "signed" in rec:
                rec["signed"] = None if pd.isna(rec["signed"]) else pd.Timestamp(rec["signed"]).date().isoformat()
                rec["model"] = None if pd.isna(rec["model"]) else rec["model"]
            records.append(rec)
        return records

    ag_a, ag_b = set(a["agency_id"]), set(b["agency_id"])
    ar_a, ar_b = set(a["agreement_id"]), set(b["agreement_id"])
    return {
        "kind": kind,
        "state": state,
        "panel": panel.source,
        "from": {"as_of": d1.isoformat(), "snapshot": snapshot_info(s1, d1), "agreements": len(a), "agencies": len(ag_a)},
        "to": {"as_of": d2.isoformat(), "snapshot": snapshot_info(s2, d2), "agreements": len(b), "agencies": len(ag_b)},
        "agencies_added": listing(b, ag_b - ag_a, "agency_id"),
        "agencies_removed": listing(a, ag_a - ag_b, "agency_id"),
        "agreements_added": listing(b, ar_b - ar_a, "agreement_id"),
        "agreements_removed": listing(a, ar_a - ar_b, "agreement_id"),
    }
