"""A measure on many days at once: the engine for a claims file of thousands of claims.

A newsroom checks a season of coverage in one call: 2,000 claims repeating a few measures over
hundreds of dates. ``measures.evaluate`` filters one sheet's rows per (measure, day), some 5 ms
each; here each measure's filters are tested once on the rows of every sheet the file needs
(``Panel.table_of``), and each sheet's value, detail and rows are read from that by position, a
sheet shared by several dates once. Every answer is ``evaluate``'s own (tests compare them byte for
byte: value, detail, sheet record, rows) through the same helpers (``keep``, ``size``' rule,
``competition_rank``, ``top``, ``change_rows``); the county-population and TRAC statistics, which
are not row counts of a sheet, are evaluated day by day. The rows an evaluation counted are a
:class:`RowSlice`: positions in the shared table, made into a frame only when asked.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from . import measures
from .asof import parse_date
from .measures import Evaluation, Measure
from .reader import Panel
from ..core.errors import AnalysisError, UsageError

#: statistics counted on the rows of one sheet (or, for added/removed, of the history's spells)
BATCHED = frozenset({"count", "share", "rank", "top_n", "breakdown", "states_without", "n_states", "pct_change",
                     "added", "removed"})  # fmt: skip


@dataclass(frozen=True, eq=False)
class RowSlice:
    """The rows behind one evaluation as positions in a table of rows (``parts``: (positions, extra
    columns) laid end to end, as evaluate concatenates a change's base and day rows). ``frame()``
    is what ``Evaluation.evidence`` holds on the one-claim path."""

    table: pd.DataFrame
    parts: tuple[tuple[np.ndarray, tuple[tuple[str, str], ...]], ...]

    def __len__(self) -> int:
        return sum(len(pos) for pos, _ in self.parts)

    @property
    def columns(self) -> list[str]:
        return [*(c for c in measures.EVIDENCE_COLUMNS if c in self.table), *(k for k, _ in self.parts[0][1])]

    def frame(self) -> pd.DataFrame:
        frames = [measures.evidence_of(self.table.take(pos), **dict(extra)) for pos, extra in self.parts]
        return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def evaluate_days(wanted: Mapping[Measure, Iterable[str]], panel: Panel) -> dict[tuple[Measure, str], Any]:
    """``measures.evaluate(m, day, panel)`` for every measure and each of its days: {(m, day): the
    Evaluation, or the AnalysisError that evaluate raises for it}, so a caller meets each error at the
    claim it belongs to. Days are YYYY-MM-DD text, as a claim's."""
    out: dict[tuple[Measure, str], Any] = {}
    plans: dict[str, list[tuple[Measure, dict[str, pd.Series]]]] = {}  # kind -> measures with their days' sheets
    records = _Records(panel)
    alone: list[tuple[Measure, str]] = []  # evaluated day by day
    for m, days in wanted.items():
        sheets: dict[str, pd.Series] = {}
        for day in dict.fromkeys(days):
            if m.source != "ice" or m.statistic not in BATCHED:
                alone.append((m, day))
                continue
            try:
                m.check_since(parse_date(day))
                sheets[day] = panel.in_force(day, m.kind)
            except AnalysisError as err:
                out[(m, day)] = err
        if sheets:
            plans.setdefault(m.kind, []).append((m, sheets))
    needed = set()  # the sheets of the statistics evaluated alone (kept by the panel, as evaluate reads them)
    for m, day in alone:
        if m.source == "ice":
            with contextlib.suppress(AnalysisError):  # evaluate meets it again, at its claim
                needed.add(panel.in_force(day, m.kind)["snapshot_id"])
    sids = set()  # every kind's sheets, and those kept, read in one pass: a read decodes the whole table
    for kind, planned in plans.items():
        sids |= {snap["snapshot_id"] for _, sheets in planned for snap in sheets.values()}
        for m, _ in planned:
            if m.statistic == "pct_change":
                with contextlib.suppress(AnalysisError):  # evaluate's own error, met again for each of its days
                    sids.add(panel.in_force(m.since, kind)["snapshot_id"])
    table = _Table(panel, sids, keep=needed) if plans else None
    for kind, planned in plans.items():
        for m, sheets in planned:
            try:
                out.update(_measure(m, sheets, table, panel, records))
            except AnalysisError as err:
                out.update({(m, day): err for day in sheets})
    panel.load(needed)
    for m, day in alone:
        try:
            out[(m, day)] = measures.evaluate(m, day, panel)
        except AnalysisError as err:
            out[(m, day)] = err
    return out


class _Table:
    """The rows of the sheets as one table (Panel.table_of), where each sheet's rows are, and its
    columns as arrays (made once: a claims file asks the same columns of hundreds of sheets).
    ``keep``: sheets the panel keeps from the same read (those of the statistics evaluated alone)."""

    def __init__(self, panel: Panel, sids: Iterable[str], keep: Iterable[str] = ()):
        self.rows = panel.table_of(sids, counting=True, keep=keep)
        codes, names = pd.factorize(self.rows["snapshot_id"])
        starts = np.flatnonzero(np.diff(codes, prepend=-1))
        self.bounds = {s: (0, 0) for s in sids}  # a sheet without rows
        self.bounds.update({names[codes[a]]: (int(a), int(b)) for a, b in zip(starts, [*starts[1:], len(codes)])})
        self._arrays: dict[tuple[str, str], Any] = {}

    def where(self, mask: np.ndarray, sid: str) -> np.ndarray:
        """Positions of the sheet's rows that ``mask`` keeps."""
        a, b = self.bounds[sid]
        return a + np.flatnonzero(mask[a:b])

    def _made(self, key: tuple[str, str], make):
        if key not in self._arrays:
            self._arrays[key] = make()
        return self._arrays[key]

    def evidence(self) -> pd.DataFrame:
        """The table's evidence columns (what measures.evidence_of keeps), which the evaluations' rows
        (RowSlice) are taken from: taking every column read (for the filters, or kept for the
        statistics evaluated alone) and then keeping these cost twice the time."""
        return self._made(("evidence", ""), lambda: self.rows[[c for c in measures.EVIDENCE_COLUMNS if c in self.rows]])

    def values(self, column: str) -> np.ndarray:
        """The column's cells as Python objects (a missing one as pandas gives it)."""
        return self._made(("values", column), lambda: self.rows[column].to_numpy(dtype=object))

    def flags(self, column: str) -> np.ndarray:
        """A true/false column as an array."""
        return self._made(("flags", column), lambda: self.rows[column].to_numpy(dtype=bool))

    def present(self, column: str) -> np.ndarray:
        """Which cells of the column are not missing."""
        return self._made(("present", column), lambda: self.rows[column].notna().to_numpy(dtype=bool))

    def codes(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """(codes, names) of a column, a missing cell -1 (what nunique leaves out)."""
        def make():
            codes, names = pd.factorize(self.rows[column])
            return codes, np.asarray(names, dtype=object)

        return self._made(("codes", column), make)

    def keys(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """(codes, names) of a column with a missing cell named "unstated" (measures.table's key)."""
        def make():
            values = self.rows[column].astype("object").where(self.rows[column].notna(), "unstated")
            codes, names = pd.factorize(values)
            return codes, np.asarray(names, dtype=object)

        return self._made(("keys", column), make)

    def size(self, pos: np.ndarray, unit: str) -> int:
        """measures.size of these rows: rows (agreements) or distinct agency ids (agencies)."""
        if unit == "agreements":
            return int(len(pos))
        agency = self.codes("agency_id")[0][pos]
        return int(len(np.unique(agency[agency >= 0])))

    def counts(self, pos: np.ndarray, by: str, unit: str) -> dict[str, int]:
        """measures.table of these rows: counts per state or model (a missing one "unstated"), largest
        first, ties by name; agencies are distinct agency ids within each."""
        by_codes, names = self.keys(by)
        mine = by_codes[pos]
        found = np.flatnonzero(np.bincount(mine, minlength=len(names)))
        if unit == "agreements":
            n = np.bincount(mine, minlength=len(names))
        else:
            agency = self.codes("agency_id")[0][pos]
            width = int(agency.max()) + 2 if len(agency) else 1
            pairs = np.unique(mine[agency >= 0].astype(np.int64) * width + agency[agency >= 0])
            n = np.bincount(pairs // width, minlength=len(names))
        return {str(k): int(v) for k, v in sorted(zip(names[found], n[found]), key=lambda kv: (-kv[1], str(kv[0])))}


class _Records:
    """A sheet's record as of a day (measures.snapshot_record, with the panel), made once per sheet and
    day: a season's claims name 482 days on 211 sheets, each several times."""

    def __init__(self, panel: Panel):
        self.panel, self._made = panel, {}

    def __call__(self, snap: pd.Series, day: dt.date) -> dict:
        key = (snap["snapshot_id"], day)
        if key not in self._made:
            self._made[key] = {**measures.snapshot_record(snap, day), "panel": self.panel.source}
        return dict(self._made[key])


def _measure(m: Measure, sheets: dict[str, pd.Series], t: _Table, panel: Panel, record: _Records) -> dict[tuple[Measure, str], Any]:
    """One measure on its days' sheets, in evaluate's order of steps (so of errors): each sheet
    computed once, each day given its own record of the sheet (its age on that day)."""
    base_snap = panel.in_force(m.since, m.kind) if m.since else None
    groups = panel.state_group(m.state_group) if m.state_group else None
    if m.statistic in ("added", "removed"):
        return _changes(m, sheets, base_snap, panel, record)
    rows = t.rows
    masks = {"chosen": measures.keep(rows, m, groups=groups).to_numpy(dtype=bool)}
    if m.statistic == "share":
        masks["whole"] = measures.keep(rows, m, where=False).to_numpy(dtype=bool)
        if m.denominator == "states":
            is_state = t.flags("is_state")
            masks["whole"], masks["chosen"] = masks["whole"] & is_state, masks["chosen"] & is_state
    elif m.statistic == "rank":
        pool = dataclasses.replace(m, state=(), county=None)
        masks["pool"] = measures.keep(rows, pool, groups=groups).to_numpy(dtype=bool)
    if m.statistic == "pct_change":
        then = t.where(masks["chosen"], base_snap["snapshot_id"])
        masks["base"] = (base_snap, then, t.size(then, m.unit))
    done: dict[str, Any] = {}  # snapshot_id -> (value, rows, detail), or the error
    out: dict[tuple[Measure, str], Any] = {}
    for day, snap in sheets.items():
        sid = snap["snapshot_id"]
        if sid not in done:
            try:
                done[sid] = _one_sheet(m, snap, t, masks, groups)
            except AnalysisError as err:
                done[sid] = err
        if isinstance(done[sid], AnalysisError):
            out[(m, day)] = done[sid]
            continue
        value, evidence, detail = done[sid]
        d = parse_date(day)
        out[(m, day)] = Evaluation(m, d, value, record(snap, d), evidence, dict(detail))
    return out


def _one_sheet(m: Measure, snap: pd.Series, t: _Table, masks: dict, groups: list[str] | None) -> tuple:
    """(value, rows, detail) of one sheet, as measures.evaluate computes them."""
    sid = snap["snapshot_id"]
    pos = t.where(masks["chosen"], sid)

    def rows_of(*parts) -> RowSlice:
        return RowSlice(t.evidence(), tuple((p, tuple(extra.items())) for p, extra in parts))

    if m.statistic == "count":
        return t.size(pos, m.unit), rows_of((pos, {})), {}
    if m.statistic == "share":
        num, den = t.size(pos, m.unit), t.size(t.where(masks["whole"], sid), m.unit)
        if den == 0:
            raise UsageError(f"the share's denominator is 0 on {snap['file']}: nothing to divide by")
        detail = {"numerator": num, "denominator": den,
                  "denominator_is": "every row of the sheet, territories included" if m.denominator == "all"
                  else "the 50 states and DC"}  # fmt: skip
        return Fraction(num, den), rows_of((pos, {})), detail
    if m.statistic in ("rank", "top_n", "breakdown"):
        pool = t.where(masks["pool"], sid) if m.statistic == "rank" else pos
        counts = t.counts(pool, m.by, m.unit)
        detail: dict[str, Any] = {"table": counts}
        if m.statistic == "breakdown":
            return counts, rows_of((pool, {})), detail
        named = t.values(m.by)[pool]
        present = t.present(m.by)[pool]  # a missing cell is "unstated" in the table, never a name the rows match
        if m.statistic == "rank":
            entity = (m.state if m.by == "state" else m.model)[0]
            value, tied = measures.competition_rank(counts, entity)
            detail.update(entity=entity, tied_with=tied, entity_count=counts.get(entity, 0))
            return value, rows_of((pool[present & (named == entity)], {})), detail
        value, at_cutoff = measures.top(counts, m.n)
        detail.update(tied_at_cutoff=at_cutoff)
        listed = set(value + at_cutoff)
        hit = present & np.fromiter((n in listed for n in named), bool, len(named))
        return value, rows_of((pool[hit], {})), detail
    if m.statistic == "states_without":
        universe = [st for st in (groups if groups is not None else measures._states_and_dc())
                    if st not in m.exclude and (not m.state or st in m.state)]  # fmt: skip
        counts = t.counts(pos, "state", m.unit)
        without = [st for st in universe if counts.get(st, 0) == 0]
        return len(without), rows_of((pos[:0], {})), {"states": without, "of": len(universe)}
    if m.statistic == "n_states":
        states = pos[t.flags("is_state")[pos]]
        codes = t.codes("state")[0][states]
        state = t.values("state")
        detail = {"territories": sorted(set(state[pos]) - set(state[states]))}
        return int(len(np.unique(codes[codes >= 0]))), rows_of((states, {})), detail
    # pct_change
    base_snap, then, before = masks["base"]
    after = t.size(pos, m.unit)
    if before == 0:
        raise UsageError(f"no {m.unit} on the base sheet {base_snap['file']}: a percent change from 0 is undefined")
    detail = {"from": before, "to": after, "since_snapshot": measures.snapshot_record(base_snap, m.since)}
    return Fraction(after - before, before) * 100, rows_of((then, {"period": "since"}), (pos, {"period": "as_of"})), detail


def _changes(m: Measure, sheets: dict[str, pd.Series], base_snap: pd.Series, panel: Panel,
             record: _Records) -> dict[tuple[Measure, str], Any]:
    """added/removed on each day: measures.change_rows up to the last day once, each day's rows those
    whose event is on or before it (the same rows, in the same order, as change_rows up to that day)."""
    rows = measures.change_rows(m, max(parse_date(d) for d in sheets), panel)
    events = rows["_event"].to_numpy(dtype="datetime64[ns]")
    key = pd.factorize(rows["agreement_id" if m.unit == "agreements" else "agency_id"])[0]
    agency = rows["agency"].to_numpy(dtype=object)
    since = measures.snapshot_record(base_snap, m.since)
    out = {}
    for day, snap in sheets.items():
        d = parse_date(day)
        pos = np.flatnonzero(events <= np.datetime64(d, "ns"))
        value = int(len(np.unique(key[pos][key[pos] >= 0])))
        out[(m, day)] = Evaluation(m, d, value, record(snap, d), RowSlice(rows, ((pos, ()),)),
                                   {"names": sorted(set(agency[pos])), "since_snapshot": since})  # fmt: skip
    return out
