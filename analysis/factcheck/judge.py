"""One claim model and one judge for every claim: the registry's and any claims file's.

A claim is a passage, a date, a declared measure, the printed figure and a comparison
(docs/claims-file.md). A claims file's ``[[claim]]`` is one (check.py reads it); a registry claim
(``resources/claims.toml``) is one too, plus its article's metadata (claim_registry.py builds it
through the same schema and checks). Whichever door it came in by, a claim is evaluated by
:func:`evaluate` (the engine, on the sheet in force on its date) and judged by :func:`verdict`
(verdicts.py's rules, then the same notes: the share's denominator, the states counted, a stale
sheet, an error), so one claim gets one verdict and one wording wherever it is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..core import paths
from ..core.errors import UsageError
from . import verdicts


@dataclass(frozen=True)
class Claim:
    """A claim as the engine and the verdicts take it (a claims file's [[claim]], after validation)."""

    id: str
    date: str  # YYYY-MM-DD: the day the sentence speaks of
    quote: str
    source: str
    note: str
    measure: Any  # measures.Measure | None (None only for policy / not_checkable)
    claimed: Any  # as compared: states as USPS codes, models as codes
    comparison: dict  # the full table, defaults filled in (check.comparison_table)
    also_units: bool
    reason: str
    confidence: float | None = None  # a drafted claim's (extract.py): how sure the reading is, 0-1
    reading: str = ""  # a drafted claim's: how the sentence was read

    @property
    def checkable(self) -> bool:
        return self.comparison["type"] not in verdicts.REASON_TYPES


def evaluate(claim: Claim, panel, day: str | None = None, *, snapshot=None):
    """(comparable value, evaluation) of the claim's measure on the sheet in force on its date (or on
    ``day``, or on ``snapshot``): the value in both units when the sentence may mix them."""
    from ..engine import measures

    return measures.in_units(claim.measure, day or claim.date, panel, both=claim.also_units, snapshot=snapshot)


def verdict(claim: Claim, value: Any, detail: Mapping | None = None, snapshot: Mapping | None = None, *,
            error: str | None = None) -> verdicts.Verdict:
    """The claim's verdict on ``value`` (what :func:`evaluate` gave, or None), with the notes every
    door prints: what the engine could not answer (``error``), the share's denominator, the states
    a count of states without any found, a stale sheet."""
    reason = claim.reason or None
    if not claim.checkable or value is None:
        v = verdicts.evaluate(claim.comparison, claim.claimed, None if not claim.checkable else value, reason=reason)
    elif claim.also_units and isinstance(value, Mapping):
        v = verdicts.evaluate_units(claim.comparison, claim.claimed, value, claim.measure.unit, reason=reason)
    else:
        v = verdicts.evaluate(claim.comparison, claim.claimed, value, reason=reason)
    note = v.note
    detail = detail or {}
    if error:
        note += f": {error}"
    if detail.get("denominator") is not None and claim.measure is not None:
        note += f" (share of {detail['denominator']:,} {claim.measure.unit} on the sheet, {detail['denominator_is']})"
    if detail.get("states") is not None and claim.measure is not None and claim.measure.statistic == "states_without":
        states = list(detail["states"])
        note += f" (the {len(states)}: {', '.join(states)})" if states else ""
    if snapshot and snapshot.get("stale_note"):
        note += f"; {snapshot['stale_note']}"
    return verdicts.Verdict(v.verdict, note)


def hashable(value: Any) -> Any:
    """A hashable stand-in for a value, a figure or a comparison table (each number with its type: 1,
    1.0 and True print differently in a note)."""
    if isinstance(value, dict):
        return ("dict", tuple((k, hashable(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return ("list", tuple(hashable(v) for v in value))
    return (type(value).__name__, value)


def _json_value(value: Any) -> Any:
    if isinstance(value, Fraction):
        return round(float(value), 6)
    return value


def judge(claims: list[Claim], panel, path: Path | None = None) -> list[dict]:
    """Evaluate every claim; results in file order, with the evidence rows to write. A claim the
    data cannot answer (no sheet that day, no population for a place) is one error line naming the
    file (``path``), the claim and the field. Claims sharing a measure are evaluated together
    (engine.batch: each measure's filters once over all the file's sheets, each sheet once), each
    answer exactly what :func:`evaluate` gives the claim alone."""
    from ..core.errors import AnalysisError
    from ..engine import batch, measures

    def failed(c: Claim, field: str, err: AnalysisError) -> AnalysisError:
        shown = paths.relative_to_root(path) if path is not None else None
        return type(err)(f"claim {c.id!r}: {field}: {err}", path=shown)

    wanted: dict = {}  # measure -> its days (a dict: ordered, each once)
    for c in claims:  # a date without a sheet names its claim before anything is evaluated
        if c.measure is not None:
            for field, day in (("date", c.date), ("measure.since", c.measure.since)):
                try:
                    if day:
                        panel.in_force(day, c.measure.kind)
                except UsageError as err:
                    raise failed(c, field, err) from None
            for m in (c.measure, measures.other_unit(c.measure)) if c.also_units else (c.measure,):
                wanted.setdefault(m, {})[c.date] = None
    answers = batch.evaluate_days(wanted, panel)

    def answered(day: str):
        def get(m):
            got = answers[(m, day)]
            if isinstance(got, AnalysisError):
                raise got
            return got

        return get

    out = []
    evaluated: dict = {}  # (measure, date, both units) -> in_units: claims repeating a measure on a day share it
    verdicts_of: dict = {}  # what verdict() reads -> its verdict
    for c in claims:
        row = {"id": c.id, "date": c.date, "source": c.source, "quote": c.quote, "claimed": c.claimed}
        if c.reading:
            row.update(reading=c.reading, confidence=c.confidence)
        if c.measure is None:
            v = verdict(c, None)
            out.append({**row, "verdict": v.verdict, "reproduced": None, "reproduced_text": "", "unit": "",
                        "measure": "", "snapshot": None, "evidence": None, "note": v.note, "_evidence": None})  # fmt: skip
            continue
        key = (c.measure, c.date, c.also_units)
        try:
            if key not in evaluated:
                evaluated[key] = measures.in_units(c.measure, c.date, panel, both=c.also_units, evaluated=answered(c.date))
            value, ev = evaluated[key]
            vkey = (c.measure, c.reason, hashable(c.comparison), hashable(c.claimed), c.also_units, hashable(value),
                    *(hashable(ev.detail.get(k)) for k in ("denominator", "denominator_is", "states")),
                    (ev.snapshot or {}).get("stale_note"))  # all verdict() reads: a season repeats each a hundred times
            if vkey not in verdicts_of:
                verdicts_of[vkey] = verdict(c, value, ev.detail, ev.snapshot)
            v = verdicts_of[vkey]
        except AnalysisError as err:
            raise failed(c, "measure", err) from None
        out.append({**row, "verdict": v.verdict, "reproduced": _json_value(ev.value), "reproduced_text": ev.display(),
                    "unit": c.measure.unit, "measure": c.measure.describe(), "snapshot": ev.snapshot_record(),
                    "evidence": None, "note": v.note, "_evidence": ev.evidence})  # fmt: skip
    return out
