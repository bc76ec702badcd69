"""`recheck`: read every "now" claim again on the newest snapshot, including researchers' local sheets.

An article that says "today, almost 960 agencies" was checked on the sheet in force on its date;
a newer sheet says what the same sentence would mean now. Claims the registry marks
``point_in_time = "now"`` are re-evaluated on the newest snapshot; claims tied to a fixed date
("when Trump took office", "as of July 31") keep their verdict. Values come from the family
engine (analysis/engine/measures.py via claims.measured_results) on the newest sheet, so nothing is computed
twice in two ways, and verdicts from :mod:`analysis.factcheck.verdicts` via :func:`analysis.factcheck.claims.evaluate_one`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass

from ..core import atomic
from ..core.paths import Project
from ..factcheck import claim_registry, results
from ..core.errors import AnalysisError, UsageError
from ..core.table_spec import KINDS

REPORT = "recheck.md"
ROWS = "recheck.json"  # the same rows as data, beside it (the site's what-changed page reads them)
COLUMNS = ["claim", "reading", "article date", "verdict at article date", "now (snapshot)", "verdict now", "what changed"]



def _measured(notebook: str):
    """The engine's values for a notebook's claims with every article's "now" moved to one date."""

    def compute(project: Project, date: str, panel):
        from ..factcheck import claims

        return claims.measured_results(project, notebook, dates=dict.fromkeys(claims.ARTICLE_PARAMS, date), panel=panel(),
                                       evidence=False, over_sheets=False)  # only the value and its sheet are read  # fmt: skip

    return compute


def _courts(project: Project, date: str, panel=None):
    from ..analyses import courts

    return courts.compute(project, catn_date=date, evidence=False)


def _reimbursement(project: Project, date: str, panel=None):
    from ..analyses import reimbursement
    from .notebooks import defaults

    # Policy: its quantities do not depend on the calculator's inputs; the notebook's own defaults.
    return reimbursement.compute(**defaults(project, "reimbursement"))


@dataclass(frozen=True)
class Family:
    """How to recompute one notebook's quantities for a single date."""

    compute: Callable[..., list]  # (project, date, panel getter) -> results
    kind: str | None  # the ICE list whose newest snapshot 'now' means; None: not ICE sheets
    note: str = ""


NOTEBOOK_FAMILIES: dict[str, Family] = {
    "growth": Family(_measured("growth"), "participating"),
    "concentration": Family(_measured("concentration"), "participating"),
    "pending": Family(_measured("pending"), "pending"),
    "courts": Family(_courts, None, "TRAC's county table is undated and no newer release is pinned; same data"),
    "reimbursement": Family(_reimbursement, None, "policy rules, not data"),
}


def _finder(project: Project):
    """quantity -> {value, source} per (notebook, date), computed once per recheck on one archive panel
    (empty, so every claim is 'not checkable', when there is no data for that date)."""
    from ..engine import measures

    cache: dict[tuple[str, str], dict] = {}
    opened: list = []

    def panel():
        if not opened:
            opened.append(measures.Panel.default(project))
        return opened[0]

    def found(notebook: str, date: str) -> dict[str, dict]:
        if (notebook, date) not in cache:
            try:
                res = NOTEBOOK_FAMILIES[notebook].compute(project, date, panel)
            except (AnalysisError, FileNotFoundError):
                res = []
            cache[notebook, date] = {r.quantity: {"value": results._clean(r.value), "source": r.source} for r in res}
        return cache[notebook, date]

    return found


def newest_date(project: Project, kind: str, as_of: str = "latest") -> tuple[dt.date, str]:
    """The date 'now' means for one ICE list of the project (its default panel), and the snapshot file in force on it."""
    from ..engine import query

    snaps = query.snapshots(kind, source=project)
    if snaps.empty:
        raise UsageError(f"no {kind} snapshot in data/processed/; run `python -m analysis build`")
    if as_of == "latest":
        snap = snaps.iloc[-1]
        return snap["published"], snap["file"]
    day = query.parse_date(as_of)
    return day, query.snapshot_in_force(day, kind, source=project)["file"]


def _short(value, unit: str) -> str | None:
    """A value as a few words, or None when it is a table (then the verdict's note says more)."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}" if unit == "percent" else f"{value:,.4g}"
    if isinstance(value, dict) and all(isinstance(v, (int, float)) or v is None for v in value.values()) and len(value) <= 3:
        return ", ".join(f"{k} {_short(v, unit)}" for k, v in value.items())
    return None


def _end_snapshot(source: str) -> str:
    """The sheet a value was read from ('a -> b' for an increase names its end sheet last)."""
    return (source or "").split(" -> ")[-1] or "none"


def _value_change(a, b, unit: str) -> str | None:
    """'957 -> 1,843 agreements', per unit for claims checked in several units; None for tables."""
    if isinstance(a, dict) and isinstance(b, dict) and set(a) == set(b):
        pairs = [(k, _short(a[k], unit), _short(b[k], unit)) for k in a]
        if all(x is not None and y is not None for _, x, y in pairs) and len(pairs) <= 3:
            return ", ".join(f"{k} {x} -> {y}" for k, x, y in pairs)
        return None
    x, y = _short(a, unit), _short(b, unit)
    return f"{x} -> {y} {unit}" if x is not None and y is not None and not isinstance(a, dict) else None


def _changes(then: dict, now: dict, claim, family: Family) -> str:
    parts = []
    if _end_snapshot(then["snapshot"]) != _end_snapshot(now["snapshot"]):
        parts.append(f"snapshot {_end_snapshot(then['snapshot'])} -> {_end_snapshot(now['snapshot'])}")
    if then["reproduced_value"] == now["reproduced_value"]:
        parts.append("same value" + (f" ({family.note})" if family.note else ""))
    else:
        change = _value_change(then["reproduced_value"], now["reproduced_value"], claim.unit)
        parts.append(change if change else f"now: {now['note']}")
    if then["verdict"] == now["verdict"]:
        parts.append("verdict unchanged")
    else:
        parts.append(f"verdict changed: {then['verdict']} -> {now['verdict']}")
    return "; ".join(parts)


def recheck(project: Project, as_of: str = "latest") -> list[dict]:
    """One row per claim: verdict on the article's date, verdict on the newest snapshot, what changed."""
    from ..factcheck.claims import evaluate_one

    _found = _finder(project)  # fresh per call: the processed tables may have changed since the last one (add-sheet)
    if as_of != "latest":
        from ..engine import query

        query.refuse_after_newest(as_of, source=project)  # after every kind's newest sheet: nothing to re-read on
    rows = []
    for claim in claim_registry.load_claims():
        family = NOTEBOOK_FAMILIES[claim.notebook]
        then = evaluate_one(claim, _found(claim.notebook, claim.as_of.isoformat()))
        row = {"id": claim.id, "reading": claim.reading or ("now" if claim.is_point_in_time else "fixed"),
               "article_date": claim.as_of.isoformat(), "verdict_then": then["verdict"], "value_then": then["reproduced_value"],
               "snapshot_then": then["snapshot"], "point_in_time": claim.is_point_in_time}  # fmt: skip
        if not claim.is_point_in_time:
            row.update(now_date=None, snapshot_now=None, verdict_now=then["verdict"], value_now=then["reproduced_value"],
                       changed=f"fixed date ({claim.as_of}): verdict kept; a later sheet does not change a dated number")  # fmt: skip
        elif claim.comparison_type in ("not_checkable", "policy"):
            row.update(now_date=None, snapshot_now=None, verdict_now=then["verdict"], value_now=None,
                       changed="not checkable against the pinned data at any date")  # fmt: skip
        else:
            if family.kind is not None:
                day, _ = newest_date(project, family.kind, as_of)
            else:
                day, _ = newest_date(project, "participating", as_of)  # the date is only a label for undated data
            now = evaluate_one(claim.at_date(day), _found(claim.notebook, day.isoformat()))
            row.update(now_date=day.isoformat() if family.kind else None, snapshot_now=_end_snapshot(now["snapshot"]),
                       verdict_now=now["verdict"],
                       value_now=now["reproduced_value"], changed=_changes(then, now, claim, family))  # fmt: skip
        rows.append(row)
    return rows


def _cell(text) -> str:
    return str(text if text is not None else "").replace("|", "\\|").replace("\n", " ")


def _duplicate_note(project: Project, file: str) -> str:
    """asof.duplicate_note for the snapshot of ``file``: the verdicts now count its exact duplicates once."""
    from ..engine import query
    from ..engine.asof import duplicate_note

    snaps = query.snapshots(None, source=project)
    if "rows_duplicate" not in snaps.columns:
        return ""
    dropped = snaps.loc[snaps["file"] == file, "rows_duplicate"]
    return duplicate_note(dropped.iloc[0]) if len(dropped) else ""


def to_markdown(project: Project, rows: list[dict], as_of: str = "latest") -> str:
    from ..engine import query

    newest = []
    for kind in KINDS:
        try:
            day, file = newest_date(project, kind, as_of)
            note = _duplicate_note(project, file)
            newest.append(f"{kind}: `{file}` ({day}{'; ' + note if note else ''})")
        except UsageError:
            continue
    local = [s for s in query.snapshots(None, source=project)["set"].unique() if s == "local"]
    lines = [
        "# Recheck: the point-in-time claims on the newest snapshot",
        "",
        f"Newest snapshots ({'latest' if as_of == 'latest' else 'in force on ' + as_of}): " + "; ".join(newest) + ".",
        "Local sheets added with `python -m analysis add-sheet` are included." if local else
        "No local sheets are registered (`python -m analysis add-sheet` adds one).",
        "",
        "Claims whose article dates its number (`reading` today / now / present / undated) are re-evaluated on the newest "
        "snapshot with the same family functions and comparison rules; claims tied to a fixed date keep their verdict.",
        "Generated by `python -m analysis recheck`; columns are described in docs/data-dictionary.md.",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    for r in rows:
        if r["snapshot_now"]:
            now = f"{r['now_date']} (`{r['snapshot_now']}`)" if r["now_date"] else f"`{r['snapshot_now']}` (undated data)"
        else:
            now = "n/a"
        cells = [f"`{r['id']}`", r["reading"], r["article_date"], r["verdict_then"], now, r["verdict_now"], r["changed"]]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def write(project: Project, rows: list[dict], as_of: str = "latest") -> str:
    """recheck.md and recheck.json in the project's reports folder (reproduce's staging folder in a
    staged run); returns where, as printed."""
    path = project.reports / REPORT
    atomic.write_text(path, to_markdown(project, rows, as_of))
    atomic.write_text(path.with_name(ROWS), json.dumps(rows, indent=1, ensure_ascii=False, default=str) + "\n")
    return project.relative(path)


def cmd_recheck(args) -> int:
    from ..store import freshness

    freshness.warn_if_stale(args.project)
    if args.as_of != "latest":
        from ..engine import query

        query.parse_date(args.as_of)
    rows = recheck(args.project, args.as_of)
    where = write(args.project, rows, args.as_of)
    if args.format == "json":
        print(json.dumps(rows, indent=1, ensure_ascii=False, default=str))
        return 0
    width = max(len(r["id"]) for r in rows)
    for r in rows:
        verdicts = r["verdict_then"] if not r["point_in_time"] else f"{r['verdict_then']} -> {r['verdict_now']}"
        print(f"{r['id']:<{width}}  {verdicts:<36}  {r['changed']}")
    changed = sum(r["verdict_then"] != r["verdict_now"] for r in rows)
    print(f"\n{sum(r['point_in_time'] for r in rows)} point-in-time claims re-evaluated, {changed} verdict(s) changed; "
          f"table in {where}")  # fmt: skip
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    from ..ingest import lock

    p = sub.add_parser("recheck", help="re-evaluate the 'now/today/undated' claims on the newest snapshot; writes reports/recheck.md")
    p.add_argument("--as-of", default="latest", help="'latest' (default: the newest snapshot, local sheets included) or YYYY-MM-DD")
    p.add_argument("--format", default="table", choices=["table", "json"])
    lock.writer(p)  # it writes reports/recheck.md
    p.set_defaults(func=cmd_recheck)
