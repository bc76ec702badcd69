"""The engine: a measure and a day in, a number and the sheet rows behind it out.

A number printed about ICE's 287(g) sheets is one of a few statistics (count, share, rank, top-n
set, number of states, breakdown, percent change) of a few things (agreements or agencies,
participating or pending, filtered by state, model or county) on one day. Declaring it as a
:class:`Measure` and evaluating it here, on the sheet in force that day, means there is one
definition of each, and the result keeps what a fact-checker needs to trace it: the sheet (file,
sha256, published, edition) and the exact rows counted (sheet row numbers, the cells as printed).

The sheet in force on day D is the latest published on or before D, later same-day editions
winning, read from the archive panel (every sheet ICE posted, day by day) or, when asked, the
curated tables. A day after the newest sheet is refused: the list may have changed since.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import pandas as pd

from .asof import KINDS, UNITS, parse_date, snapshot_info
from .reader import EVIDENCE_COLUMNS, Panel  # noqa: F401 (Panel: the engine's reader, re-exported)
from ..core.errors import UsageError
from ..core.table_spec import MODELS
from ..clean.agencies import fold
from ..clean.normalize import state_code

#: residents of the counties a sheriff's or county jail's agreement covers (coverage.py), as a number or a share
POPULATION_STATISTICS = ("population_covered", "population_share")
STATISTICS = ("count", "share", "rank", "top_n", "n_states", "states_without", "breakdown", "pct_change", "added",
              "removed", *POPULATION_STATISTICS)
#: named groups of states, from primary data: who won the state's 2024 presidential vote (FiveThirtyEight)
STATE_GROUPS = ("harris-2024", "trump-2024")
#: statistics that compare the sheet in force on the date with the one in force on ``since``
SINCE = frozenset({"pct_change", "added", "removed"})
GROUPINGS = ("state", "model")
#: a population statistic is one total, or one per state or model (each county once within each)
POPULATION_GROUPINGS = ("total", "state", "model")
#: share denominators: every row of the kind on the sheet (territories included), or the 50 states + DC only
DENOMINATORS = ("all", "states")
#: where a measure's rows come from: ICE's sheets, or TRAC's county table of pending immigration-court cases
MEASURE_SOURCES = ("ice", "trac-county")
TRAC_STATISTICS = ("breakdown", "top_n")
#: TRAC's pending cases as TRAC counts them, or per 1,000 residents (Census Vintage 2024 county population)
TRAC_UNITS = ("cases", "cases_per_1000")
TRAC_GROUPING = "county"
#: what the population statistics count
POPULATION_UNIT = "residents"
#: every unit and grouping a measure can name (which fit together is Measure.validate's business)
MEASURE_UNITS = (*UNITS, POPULATION_UNIT, *TRAC_UNITS)
MEASURE_GROUPINGS = tuple(dict.fromkeys((*GROUPINGS, *POPULATION_GROUPINGS, TRAC_GROUPING)))
_MEASURE_KEYS = ("source", "kind", "unit", "statistic", "state", "state_group", "exclude", "model", "county", "agency", "by", "n",
                 "denominator", "since")


def _tuple(value: Any) -> tuple:
    if value is None or value == "":
        return ()
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


@dataclass(frozen=True)
class Measure:
    """What is counted, and how. Filters (state, model, county) narrow the rows counted."""

    kind: str = "participating"
    unit: str = "agreements"
    statistic: str = "count"
    source: str = "ice"
    state: tuple[str, ...] = ()
    model: tuple[str, ...] = ()
    county: str | None = None
    agency: str | None = None
    state_group: str | None = None
    exclude: tuple[str, ...] = ()
    by: str = "state"
    n: int | None = None
    denominator: str = "all"
    since: dt.date | None = None

    @classmethod
    def from_mapping(cls, spec: Mapping, where: str = "measure") -> Measure:
        """Build and validate a measure from a claims file's ``measure`` table; errors name the field."""
        if not isinstance(spec, Mapping):
            raise UsageError(f"{where}: must be a table like {{ unit = \"agreements\", statistic = \"count\" }}")
        unknown = sorted(set(spec) - set(_MEASURE_KEYS))
        if unknown:
            raise UsageError(f"{where}.{unknown[0]}: unknown field; known: {', '.join(_MEASURE_KEYS)}")
        values = dict(spec)
        if values.get("source") == "trac-county":
            values.setdefault("unit", "cases")
            values.setdefault("by", TRAC_GROUPING)
        if values.get("statistic") in POPULATION_STATISTICS:
            values.setdefault("unit", POPULATION_UNIT)
            values.setdefault("by", "total")
            values.setdefault("denominator", "states")
        for key in ("state", "exclude"):
            if key in values:
                try:
                    values[key] = tuple(state_code(s) for s in _tuple(values[key]))
                except UsageError as err:
                    raise UsageError(f"{where}.{key}: {err}") from None
        if "model" in values:
            values["model"] = tuple(str(m).upper() for m in _tuple(values["model"]))
        if "since" in values:
            try:
                values["since"] = parse_date(values["since"])
            except UsageError as err:
                raise UsageError(f"{where}.since: {err}") from None
        measure = cls(**values)
        measure.validate(where)
        return measure

    def validate(self, where: str = "measure") -> None:
        def need(ok: bool, key: str, problem: str) -> None:
            if not ok:
                raise UsageError(f"{where}.{key}: {problem}")

        need(self.source in MEASURE_SOURCES, "source", f"must be one of {', '.join(MEASURE_SOURCES)}, not {self.source!r}")
        need(self.kind in KINDS, "kind", f"must be one of {', '.join(KINDS)}, not {self.kind!r}")
        need(self.state_group is None or self.state_group in STATE_GROUPS, "state_group",
             f"must be one of {', '.join(STATE_GROUPS)}, not {self.state_group!r}")
        if self.source == "trac-county":
            need(self.statistic in TRAC_STATISTICS, "statistic",
                 f"TRAC's county table answers {', '.join(TRAC_STATISTICS)} of pending cases by county")
            need(self.unit in TRAC_UNITS, "unit", "TRAC's county table counts pending cases ('cases') or "
                 "pending cases per 1,000 residents ('cases_per_1000')")
            need(self.by == TRAC_GROUPING, "by", "TRAC's county table is by county")
            need(not (self.state or self.model or self.county or self.agency or self.since or self.state_group or self.exclude),
                 "source", "TRAC's county table takes no filters (state, state_group, exclude, model, county, agency, "
                 "since): it is one undated ranking of counties")
            need(self.kind == "participating", "kind", "TRAC's county table has no kind; the 287(g) status beside it "
                 "comes from the participating sheet")
            need(self.denominator == "all", "denominator", "only a share has a denominator")
            need(self.statistic != "top_n" or (isinstance(self.n, int) and not isinstance(self.n, bool) and self.n >= 1),
                 "n", "top_n needs n, a whole number >= 1")
            return
        if self.statistic in POPULATION_STATISTICS:
            need(self.unit == POPULATION_UNIT, "unit", f"{self.statistic} counts residents ('{POPULATION_UNIT}')")
            need(self.by in POPULATION_GROUPINGS, "by", f"must be one of {', '.join(POPULATION_GROUPINGS)}, not {self.by!r}")
            need(self.denominator == "states", "denominator",
                 "population is of the 50 states and DC ('states'): the Census county table has no territories")
            need(self.county is None and self.agency is None and self.n is None and self.since is None, "statistic",
                 f"{self.statistic} takes state, state_group, exclude, model and by, not county, agency, n or since")
            need(all(m in MODELS for m in self.model), "model", f"must be among {', '.join(MODELS)}, not {list(self.model)}")
            return
        need(self.unit in UNITS, "unit", f"must be one of {', '.join(UNITS)}, not {self.unit!r}")
        need(self.statistic in STATISTICS, "statistic", f"must be one of {', '.join(STATISTICS)}, not {self.statistic!r}")
        need(all(m in MODELS for m in self.model), "model", f"must be among {', '.join(MODELS)}, not {list(self.model)}")
        need(self.by in GROUPINGS, "by", f"must be one of {', '.join(GROUPINGS)}, not {self.by!r}")
        need(self.denominator in DENOMINATORS, "denominator", f"must be one of {', '.join(DENOMINATORS)}, not {self.denominator!r}")
        need(self.county is None or (isinstance(self.county, str) and self.county.strip() != ""), "county", "must be a county name")
        need(self.county is None or len(self.state) == 1, "county", "needs exactly one state (county names repeat across states)")
        if self.statistic == "top_n":
            need(isinstance(self.n, int) and not isinstance(self.n, bool) and self.n >= 1, "n", "top_n needs n, a whole number >= 1")
        else:
            need(self.n is None, "n", f"only top_n takes n, not {self.statistic}")
        if self.statistic == "rank":
            entity = self.state if self.by == "state" else self.model
            need(len(entity) == 1, self.by, f"rank needs exactly one {self.by} to rank")
        if self.statistic == "share":
            need(bool(self.state or self.model or self.county), "statistic", "a share needs a part: give state, model or county")
        need(self.agency is None or (isinstance(self.agency, str) and self.agency.strip() != ""), "agency",
             "must be words of the agency's name")
        need((self.statistic in SINCE) == (self.since is not None), "since",
             f"{', '.join(sorted(SINCE))} need since (the base date), and only they take it")

    def check_since(self, day: dt.date, where: str = "measure") -> None:
        """A change is counted from a base date before the day asked: ``since`` on or after it is refused
        (it answered 0, or a percent change of nothing)."""
        if self.since is not None and self.since >= day:
            raise UsageError(f"{where}.since: {self.since} is not before the date {day}; a change is counted from an "
                             "earlier base date")  # fmt: skip

    def describe(self) -> str:
        """One line naming the unit, the kind and every filter: how a count should be labelled."""
        if self.source == "trac-county":
            top = f"top {self.n} " if self.statistic == "top_n" else ""
            if self.unit == "cases_per_1000":
                return (f"pending immigration-court cases per 1,000 residents, {top}by county (TRAC's undated county "
                        "table over Census 2024 population; 287(g) status on the day's sheet)")
            return f"pending immigration-court cases, {top}by county (TRAC's county table, undated)"
        if self.statistic in POPULATION_STATISTICS:
            parts = [f"residents of counties whose sheriff or county jail holds an agreement ({self.kind})",
                     *self._where()]
            what = "number" if self.statistic == "population_covered" else "share of the population of the 50 states + DC"
            if self.statistic == "population_share" and (self.state or self.state_group or self.exclude):
                what = "share of the population of those states"
            return ", ".join(parts) + f": {what}" + ("" if self.by == "total" else f", by {self.by}")
        parts = [f"{self.unit} ({self.kind})", *self._where()]
        stat = {"count": "count", "share": f"share of {'all' if self.denominator == 'all' else '50 states + DC'}",
                "rank": f"rank by {self.by}", "top_n": f"top {self.n} by {self.by}", "n_states": "number of states",
                "states_without": "number of states (and DC) with none",
                "breakdown": f"by {self.by}", "pct_change": f"percent change since {self.since}",
                "added": f"added since {self.since}", "removed": f"removed since {self.since}"}[self.statistic]
        return ", ".join(parts) + f": {stat}"

    def _where(self) -> list[str]:
        """The filters in words, in the order describe() prints them."""
        parts = []
        if self.state:
            parts.append("in " + "/".join(self.state))
        if self.state_group:
            parts.append(f"in the states {self.state_group.replace('-2024', '')} won in 2024")
        if self.exclude:
            parts.append("except " + "/".join(self.exclude))
        if self.county:
            parts.append(f"county {self.county}")
        if self.agency:
            parts.append(f"agency named '{self.agency}'")
        if self.model:
            parts.append("model " + "/".join(self.model))
        return parts

    def to_dict(self) -> dict:
        out = {k: v for k, v in dataclasses.asdict(self).items() if v not in (None, ())}
        for key in ("state", "model"):
            if key in out:
                out[key] = list(out[key])
        if "since" in out:
            out["since"] = out["since"].isoformat()
        return out


@dataclass(frozen=True)
class Evaluation:
    """A measure's value on a day, with the sheet and the rows it was computed from."""

    measure: Measure
    as_of: dt.date
    value: Any  # int | Fraction | list of names | {name: count}
    snapshot: dict
    evidence: pd.DataFrame = field(repr=False)
    detail: dict = field(default_factory=dict)

    def display(self) -> str:
        return format_value(self.value, self.measure)

    def snapshot_record(self) -> dict:
        """The sheet as a fact-checker cites it: file, sha256, published, edition."""
        return {k: self.snapshot[k] for k in ("file", "sha256", "published", "edition", "panel")}

    def comparable(self) -> Any:
        """What a verdict compares: the value, or for ranks and top-n sets the table they come from
        (so ties are judged by the verdict's rules); a share or percent as a float (6 decimals)."""
        if self.measure.statistic in ("rank", "top_n"):
            return self.detail["table"]
        if isinstance(self.value, Fraction):
            return round(float(self.value), 6)
        if isinstance(self.value, Mapping):
            return {k: round(float(v), 6) if isinstance(v, Fraction) else v for k, v in self.value.items()}
        return self.value


#: a table (a breakdown, a ranking) is shown by its first entries; the evidence file has them all
TABLE_SHOWN = 8


def format_value(value: Any, measure: Measure) -> str:
    if isinstance(value, Fraction):
        if measure.statistic == "pct_change":
            return f"{float(value):.1f}%"
        return f"{float(value):.1%}"
    if isinstance(value, Mapping):
        shown = ", ".join(f"{k} {_entry(v)}" for k, v in list(value.items())[:TABLE_SHOWN])
        return shown + (f", … ({len(value):,} in all)" if len(value) > TABLE_SHOWN else "")
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    return f"{value:,}" if isinstance(value, int) else str(value)


def _entry(v: Any) -> str:
    """One value of a table: a count with thousands commas, a share in percent, a rate to 2 decimals."""
    if isinstance(v, Fraction):
        return f"{float(v):.1%}"
    return f"{v:,.2f}" if isinstance(v, float) else f"{v:,}"


def _states_and_dc() -> list[str]:
    from ..ingest.census import STATES_AND_DC

    return sorted(STATES_AND_DC)


def size(rows: pd.DataFrame, unit: str) -> int:
    """The one definition of a count: agreements are sheet rows, agencies distinct agency ids."""
    return int(len(rows)) if unit == "agreements" else int(rows["agency_id"].nunique())


def table(rows: pd.DataFrame, by: str, unit: str) -> dict[str, int]:
    """Counts per state (USPS code) or model, largest first, ties by name: the order ranks use."""
    keys = rows[by].astype("object").where(rows[by].notna(), "unstated")
    grouped = rows.assign(_key=keys).groupby("_key", sort=True)
    sizes = grouped.size() if unit == "agreements" else grouped["agency_id"].nunique()
    return {str(k): int(v) for k, v in sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0]))}


def competition_rank(counts: Mapping[str, int], key: str) -> tuple[int, list[str]]:
    """Rank of ``key`` (1 = largest; equal values share the best rank) and who shares it."""
    value = counts.get(key, 0)
    rank = 1 + sum(1 for v in counts.values() if v > value)
    tied = sorted(k for k, v in counts.items() if v == value and k != key)
    return rank, tied


def top(counts: Mapping[str, int], n: int) -> tuple[list[str], list[str]]:
    """The top ``n`` names; and the names tied at the cut-off beyond them (empty when no tie)."""
    ordered = list(counts)
    if len(ordered) <= n:
        return ordered, []
    cutoff = counts[ordered[n - 1]]
    above = [k for k in ordered if counts[k] > cutoff]
    at = [k for k in ordered if counts[k] == cutoff]
    if len(above) + len(at) == n:
        return above + at, []
    return above, at


def _filter(rows: pd.DataFrame, m: Measure, *, where: bool = True, groups: list[str] | None = None) -> pd.DataFrame:
    """Apply the measure's filters; ``where=False`` keeps all places (a share's denominator)."""
    return rows[keep(rows, m, where=where, groups=groups)]


def keep(rows: pd.DataFrame, m: Measure, *, where: bool = True, groups: list[str] | None = None) -> pd.Series:
    """Which rows the measure's filters keep (``_filter``'s test, for the batch engine, which tests a
    claims file's every sheet at once)."""
    keep = pd.Series(True, index=rows.index)
    if m.model:
        keep &= rows["model"].isin(list(m.model)).fillna(False).astype(bool)
    if where and m.state:
        keep &= rows["state"].isin(list(m.state))
    if where and groups is not None:
        keep &= rows["state"].isin(groups)
    if m.exclude:
        keep &= ~rows["state"].isin(list(m.exclude))
    if where and m.county:
        wanted = _county_key(m.county)
        keep &= _each_value(rows["county"], lambda name: _county_key(name) == wanted)
    if m.agency:
        words = fold(m.agency).split()  # each the start of a word of the folded name, in any order
        keep &= _each_value(rows["agency"], lambda name: all(f" {w}" in " " + fold(name) for w in words))
    return keep


def _each_value(column: pd.Series, test) -> pd.Series:
    """``test`` of each cell's text (blank for a missing one), computed once per distinct value: a
    claims file's table of every sheet holds 190,000 cells of 2,600 names."""
    import numpy as np

    codes, names = pd.factorize(column)
    answers = np.array([bool(test(str(v))) for v in names] + [bool(test(""))], dtype=bool)  # the last: missing (code -1)
    return pd.Series(answers[codes], index=column.index)


def _county_key(name: str) -> str:
    """A county name as the filter compares it: folded as agency ids are (agencies.fold), without
    the word county, parish or borough at its end."""
    text = fold(name)
    for suffix in (" county", " parish", " borough"):
        text = text.removesuffix(suffix)
    return text


def evidence_of(rows: pd.DataFrame, **extra) -> pd.DataFrame:
    out = rows[[c for c in EVIDENCE_COLUMNS if c in rows]].copy()
    for key, value in extra.items():
        out[key] = value
    return out.reset_index(drop=True)


def evaluate(measure: Measure, as_of: str | dt.date, panel: Panel, *, snapshot: pd.Series | None = None) -> Evaluation:
    """The measure's value on the sheet in force on ``as_of`` (or on ``snapshot``), with the rows it counted."""
    m = measure
    day = parse_date(as_of)
    m.check_since(day)
    if m.source == "trac-county":
        return _trac_per_1000(m, day, panel) if m.unit == "cases_per_1000" else _trac(m, day, panel)
    if m.statistic in POPULATION_STATISTICS:
        return _population(m, day, panel, snapshot)
    snap = panel.in_force(day, m.kind) if snapshot is None else snapshot
    ids = [snap["snapshot_id"]]
    base_snap = panel.in_force(m.since, m.kind) if m.since else None
    if base_snap is not None:
        ids.append(base_snap["snapshot_id"])
    panel.load(ids)
    rows = panel.rows(snap["snapshot_id"])
    groups = panel.state_group(m.state_group) if m.state_group else None
    chosen = _filter(rows, m, groups=groups)
    detail: dict[str, Any] = {}
    if m.statistic == "count":
        value, evidence = size(chosen, m.unit), chosen
    elif m.statistic == "share":
        whole = _filter(rows, m, where=False)
        if m.denominator == "states":
            whole, chosen = whole[whole["is_state"]], chosen[chosen["is_state"]]
        num, den = size(chosen, m.unit), size(whole, m.unit)
        if den == 0:
            raise UsageError(f"the share's denominator is 0 on {snap['file']}: nothing to divide by")
        value, evidence = Fraction(num, den), chosen
        detail = {"numerator": num, "denominator": den,
                  "denominator_is": "every row of the sheet, territories included" if m.denominator == "all"
                  else "the 50 states and DC"}  # fmt: skip
    elif m.statistic in ("rank", "top_n", "breakdown"):
        pool = _filter(rows, dataclasses.replace(m, state=(), county=None), groups=groups) if m.statistic == "rank" else chosen
        counts = table(pool, m.by, m.unit)
        detail = {"table": counts}
        if m.statistic == "rank":
            entity = (m.state if m.by == "state" else m.model)[0]
            value, tied = competition_rank(counts, entity)
            detail.update(entity=entity, tied_with=tied, entity_count=counts.get(entity, 0))
            evidence = pool[pool[m.by] == entity]
        elif m.statistic == "top_n":
            value, at_cutoff = top(counts, m.n)
            detail.update(tied_at_cutoff=at_cutoff)
            evidence = pool[pool[m.by].isin(value + at_cutoff)]
        else:
            value, evidence = counts, pool
    elif m.statistic == "states_without":
        universe = [st for st in (groups if groups is not None else _states_and_dc())
                    if st not in m.exclude and (not m.state or st in m.state)]  # fmt: skip
        counts = table(chosen, "state", m.unit)
        without = [st for st in universe if counts.get(st, 0) == 0]
        value = len(without)
        detail = {"states": without, "of": len(universe)}
        evidence = chosen.iloc[0:0]
    elif m.statistic == "n_states":
        states = chosen[chosen["is_state"]]
        value, evidence = int(states["state"].nunique()), states
        detail = {"territories": sorted(set(chosen["state"]) - set(states["state"]))}
    elif m.statistic in ("added", "removed"):
        value, evidence, detail = _changes(m, day, panel)
        detail["since_snapshot"] = snapshot_record(base_snap, m.since)
    else:  # pct_change
        then_rows = _filter(panel.rows(base_snap["snapshot_id"]), m, groups=groups)
        before, after = size(then_rows, m.unit), size(chosen, m.unit)
        if before == 0:
            raise UsageError(f"no {m.unit} on the base sheet {base_snap['file']}: a percent change from 0 is undefined")
        value = Fraction(after - before, before) * 100
        detail = {"from": before, "to": after, "since_snapshot": snapshot_record(base_snap, m.since)}
        evidence = pd.concat([evidence_of(then_rows, period="since"), evidence_of(chosen, period="as_of")],
                             ignore_index=True)  # fmt: skip
        return Evaluation(m, day, value, {**snapshot_record(snap, day), "panel": panel.source}, evidence, detail)
    return Evaluation(m, day, value, {**snapshot_record(snap, day), "panel": panel.source}, evidence_of(evidence), detail)


def _trac(m: Measure, day: dt.date, panel: Panel) -> Evaluation:
    """Pending immigration-court cases by county from TRAC's table: undated, so the day only labels it;
    counties as TRAC lists them ("Miami-Dade County, FL"), largest first."""
    from ..ingest.trac import TRAC_SOURCE

    rows = panel.trac().copy()
    rows["label"] = rows["county"] + ", " + rows["state"]
    rows = rows.sort_values(["pending", "fips"], ascending=[False, True], ignore_index=True)
    rows["rank"] = rows["pending"].rank(method="min", ascending=False).astype(int)
    counts = {k: int(v) for k, v in zip(rows["label"], rows["pending"])}
    value = counts if m.statistic == "breakdown" else top(counts, m.n)[0]
    evidence = rows[["rank", "fips", "county", "state", "pending"]].assign(file=TRAC_SOURCE)
    snap = {"id": "trac-county", "file": TRAC_SOURCE, "sha256": panel.sha256_of(TRAC_SOURCE), "published": "",
            "edition": "", "source": "TRAC pending cases by address, county table (undated)", "panel": "trac"}  # fmt: skip
    return Evaluation(m, day, value, snap, evidence, {"table": counts, "undated": True})


US_POPULATION_IS = "the 50 states and DC (Census Vintage 2024, July 1, 2024)"


def population_base(m: Measure, population: pd.DataFrame, groups: list[str] | None) -> tuple[set[str], int]:
    """The states a population statistic is over (its state, group and exclusions) and their residents:
    a share's denominator, the same on every sheet."""
    states = set(population["state"].tolist())
    if m.state:
        states &= set(m.state)
    if groups is not None:
        states &= set(groups)
    states -= set(m.exclude)
    denominator = int(population.loc[population["state"].isin(states), "population_2024"].sum())
    if denominator == 0:
        raise UsageError(f"no county population for {', '.join(sorted(m.state)) or 'those states'}: nothing to divide by")
    return states, denominator


def population_value(m: Measure, residents: int, denominator: int) -> int | Fraction:
    """Residents covered, or their exact share of the denominator."""
    return residents if m.statistic == "population_covered" else Fraction(residents, denominator)


def _population(m: Measure, day: dt.date, panel: Panel, snapshot: pd.Series | None) -> Evaluation:
    """Residents of the counties whose sheriff or county jail holds an agreement on the day
    (coverage.py's rule), each county once; statewide, local, territory and unplaced agreements
    are counted apart in the detail. Evidence: one row per county counted."""
    from . import coverage

    snap = panel.in_force(day, m.kind) if snapshot is None else snapshot
    groups = panel.state_group(m.state_group) if m.state_group else None
    chosen = _filter(panel.roles(snap["snapshot_id"]), m, groups=groups)  # a row's role is its own: filter after
    population = panel.county_population()
    states, denominator = population_base(m, population, groups)
    all_states = set(population["state"].tolist())
    counties = coverage.covered_counties(chosen, population)
    residents = int(counties["population_2024"].sum())

    def value_of(frame: pd.DataFrame) -> int | Fraction:
        return population_value(m, int(frame["population_2024"].sum()), denominator)

    if m.by == "total":
        value: Any = value_of(counties)
    else:
        key = "state" if m.by == "state" else "model"
        parts = {}
        for name in sorted(set(chosen.loc[chosen["role"] == "county", key].dropna())):
            mine = chosen[key].astype(object).eq(name)
            parts[str(name)] = value_of(coverage.covered_counties(chosen[mine], population))
        value = dict(sorted(parts.items(), key=lambda kv: (-kv[1], kv[0])))
    statewide = chosen[chosen["role"] == "statewide"]
    by_role = chosen["role"].value_counts().to_dict()
    unjoined = counties[counties["population_2024"].isna()]
    detail = {
        "residents": residents, "counties": int(counties["population_2024"].notna().sum()),
        "share": round(residents / denominator, 6), "population": denominator,
        "population_is": US_POPULATION_IS if states == all_states else f"{', '.join(sorted(states))} (Census Vintage 2024)",
        "agreements_by_role": {r: int(by_role.get(r, 0)) for r in coverage.ROLES},
        "statewide": {"agreements": len(statewide), "states": sorted(set(statewide["state"]))},
        "unjoined": unjoined["county_fips"].tolist(),
    }  # fmt: skip
    if m.statistic == "population_share":
        detail.update(denominator=denominator, denominator_is=detail["population_is"])
    evidence = counties.assign(snapshot_id=snap["snapshot_id"], file=snap["file"])
    return Evaluation(m, day, value, {**snapshot_record(snap, day), "panel": panel.source},
                      evidence[["snapshot_id", "file", *counties.columns]], detail)  # fmt: skip


def _trac_per_1000(m: Measure, day: dt.date, panel: Panel) -> Evaluation:
    """TRAC's pending cases per 1,000 residents by county, ranked, each with its 287(g) status on
    the participating sheet in force that day (backlog.county_table). Counties without a Census
    2024 population (Connecticut's former counties, Puerto Rico, a retired Alaska code) are listed
    in the detail and the evidence, unranked, never dropped."""
    from . import backlog

    snap = panel.in_force(day, "participating")
    frame = backlog.county_table(panel, day)
    ranked = frame[frame["per_1000"].notna()]
    counts = {f"{c}, {s}": float(v) for c, s, v in zip(ranked["county"].tolist(), ranked["state"].tolist(), ranked["per_1000"].tolist())}
    value = counts if m.statistic == "breakdown" else top(counts, m.n)[0]
    unjoined = frame[frame["per_1000"].isna()]
    detail = {"table": counts, "undated": True, "unjoined": [f"{c}, {s}" for c, s in zip(unjoined["county"].tolist(), unjoined["state"].tolist())],
              "sources": backlog.sources(panel)}  # fmt: skip
    evidence = frame.assign(file=snap["file"])
    return Evaluation(m, day, value, {**snapshot_record(snap, day), "panel": panel.source}, evidence, detail)


def _changes(m: Measure, day: dt.date, panel: Panel) -> tuple[int, pd.DataFrame, dict]:
    """Agreements (or agencies) first listed, or dropped, between ``since`` and the day.

    Read from the archive's history spells, not by comparing two sheets: an agreement signed in
    July and dropped in November is a removal that the two end sheets would both miss. A re-signing
    (same agency and model, a new signed date) is not a removal (history.py links them). The
    evidence is each one's row on the sheet that first listed it (added) or last listed it (removed).
    """
    rows = change_rows(m, day, panel).drop(columns="_event")
    key = "agreement_id" if m.unit == "agreements" else "agency_id"
    return int(rows[key].nunique()), rows, {"names": sorted(set(rows["agency"]))}


def change_rows(m: Measure, day: dt.date, panel: Panel) -> pd.DataFrame:
    """The rows behind ``added``/``removed`` from ``since`` to ``day``, each with the date of its
    event (``_event``: first seen, or the first sheet without it). series() counts the same rows up to
    each sheet's date, so a change over time has this one definition. The rows are those of the sheets
    that first (or last) listed each one, by sheet then row, matched to their spells in one merge."""
    spells = panel.history()
    unit = "agreement" if m.unit == "agreements" else "agency"
    s = spells[(spells["unit"] == unit) & (spells["kind"] == m.kind)]
    lo, hi = pd.Timestamp(m.since), pd.Timestamp(day)
    if m.statistic == "added":
        s = s[(s["first_seen"] > lo) & (s["first_seen"] <= hi) & (s["spell"] == 1)]
        where, when = "first_snapshot", "first_seen"
    else:
        s = s[(s["status"] == "removed") & (s["removed_by"] > lo) & (s["removed_by"] <= hi)]
        where, when = "last_snapshot", "removed_by"
    if m.state:
        s = s[s["state"].isin(list(m.state))]
    if m.model:
        s = s[s["model"].isin(list(m.model))]
    key = "agreement_id" if unit == "agreement" else "agency_id"
    rows = panel.spell_rows()  # every spell's rows on its first and last sheets, by sheet then row
    rows = _filter(rows[rows["snapshot_id"].isin(s[where].unique())], dataclasses.replace(m, state=()))
    events = s.drop_duplicates([where, "id"], keep="last").set_index([where, "id"])[when]  # one event per sheet and id
    at = pd.MultiIndex.from_arrays([rows["snapshot_id"], rows[key]])
    rows = rows.assign(_event=events.reindex(at).to_numpy())
    rows = rows[rows["_event"].notna()].reset_index(drop=True)
    if unit == "agency":
        rows = rows.drop_duplicates(["snapshot_id", "agency_id"]).reset_index(drop=True)
    return rows


def in_units(measure: Measure, as_of: str | dt.date, panel: Panel, *, both: bool,
             snapshot: pd.Series | None = None, evaluated=None) -> tuple[Any, Evaluation]:
    """The comparable value in the measure's unit, or {unit: value} in both units when a sentence may
    mix them; and the evaluation in the measure's own unit (its sheet and rows). ``evaluated(m)``,
    when given, answers for ``evaluate(m, as_of, panel)`` (the batch engine's, computed beforehand)."""
    evaluated = evaluated or (lambda m: evaluate(m, as_of, panel, snapshot=snapshot))
    first = evaluated(measure)
    if not both:
        return first.comparable(), first
    second = evaluated(other_unit(measure))
    return {measure.unit: first.comparable(), second.measure.unit: second.comparable()}, first


def other_unit(measure: Measure) -> Measure:
    """The measure counted in the other unit (agencies for agreements, and back): a sentence that may
    mix them is judged on both."""
    return dataclasses.replace(measure, unit="agencies" if measure.unit == "agreements" else "agreements")


def snapshot_record(snap: pd.Series, day: dt.date) -> dict:
    info = snapshot_info(snap, day)
    info["sha256"] = snap["sha256"]
    return info
