"""Fact-checkers' own claims: judge any claims file with the engine and the verdict rules.

A claim is a passage, a date, a declared measure and a comparison (docs/claims-file.md). The
number comes from :mod:`analysis.engine.measures` on the sheet in force that day; the verdict from
:mod:`analysis.factcheck.verdicts`, which only compares. Every reproduced value is written with the rows it
counted (``evidence/<claim-id>.csv``), so a published verdict can be traced to ICE's sheet rows.
A malformed file is refused whole, naming the claim and the field, before anything is written.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..core import paths
from ..core.errors import UsageError

_CLAIM_KEYS = ("id", "quote", "date", "measure", "claimed", "comparison", "source", "note", "also_units", "reason",
               "confidence", "reading", "line")  # the last three: a draft's (extract.py), shown, not judged
_REQUIRED = ("id", "date", "claimed", "comparison")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
NUMERIC = frozenset({"approx", "almost", "more_than", "at_least", "at_most", "equal"})
#: which statistic a comparison can judge (the verdict compares; it never derives a number)
FITS = {**{t: frozenset({"count", "share", "n_states", "states_without", "pct_change", "added", "removed",
                         "population_covered", "population_share"}) for t in NUMERIC},
        "share_above": frozenset({"share", "population_share"}), "set_equal": frozenset({"top_n"}), "rank": frozenset({"rank", "breakdown"}),
        "rank_within": frozenset({"rank", "breakdown"}), "none_in": frozenset({"breakdown"}),
        "breakdown": frozenset({"breakdown"})}  # fmt: skip (a rank can also be judged on a breakdown's table)
#: parameters a comparison given by name alone starts from (a table overrides any of them)
DEFAULTS = {"approx": {"tolerance": 0.01, "partial_tolerance": 0.05},
            "almost": {"tolerance": 0.02, "partial_tolerance": 0.05},
            "equal": {"partial_tolerance": 0.02}}  # fmt: skip
FORMATS = ("table", "json", "csv")


@dataclass(frozen=True)
class FileClaim:
    id: str
    date: str
    quote: str
    source: str
    note: str
    measure: Any  # measures.Measure | None (None only for policy / not_checkable)
    claimed: Any
    comparison: dict
    also_units: bool
    reason: str
    confidence: float | None = None  # a drafted claim's (extract.py): how sure the reading is, 0-1
    reading: str = ""  # a drafted claim's: how the sentence was read


def _fail(cid: str, key: str, problem: str, path: Path) -> UsageError:
    return UsageError(f"claim {cid!r}: {key}: {problem}", path=paths.relative_to_root(path))


def _names(value: Any, by: str) -> Any:
    """Claimed names in the engine's keys: states as USPS codes, models upper-case."""
    from ..clean.normalize import state_code

    fix = state_code if by == "state" else (lambda s: str(s).upper()) if by == "model" else str
    if isinstance(value, Mapping):
        return {fix(k): v for k, v in value.items()}
    if isinstance(value, list):
        return [fix(v) for v in value]
    return value


def _comparison(spec: Any, claimed: Any, measure) -> dict:
    comp = {"type": spec} if isinstance(spec, str) else dict(spec) if isinstance(spec, Mapping) else None
    if comp is None or "type" not in comp:
        raise UsageError("must be a type name (\"more_than\") or a table with a type")
    ctype = comp["type"]
    base = dict(DEFAULTS.get(ctype, {}))
    if ctype == "share_above":
        base["threshold"] = claimed
    if measure is not None and ctype == "set_equal" and measure.statistic == "top_n":
        base.update(top_n=measure.n, partial_if_overlap_at_least=max(1, measure.n - 1))
    if measure is not None and ctype in ("rank", "rank_within") and measure.statistic == "rank":
        base["entity"] = (measure.state if measure.by == "state" else measure.model)[0]
    return {**base, **comp}


def _claim(rec: Any, path: Path, seen: set[str]) -> FileClaim:
    from . import verdicts
    from ..engine.asof import parse_date
    from ..engine.measures import Measure

    cid = rec.get("id", "?") if isinstance(rec, Mapping) else "?"
    if not isinstance(rec, Mapping):
        raise _fail(cid, "claim", "each [[claim]] must be a table", path)
    for key in _REQUIRED:
        if key not in rec or rec[key] in ("", None):
            raise _fail(cid, key, "missing", path)
    unknown = sorted(set(rec) - set(_CLAIM_KEYS))
    if unknown:
        raise _fail(cid, unknown[0], f"unknown field; known: {', '.join(_CLAIM_KEYS)}", path)
    if not isinstance(cid, str) or not _ID.match(cid):
        raise _fail(cid, "id", "must be lower-case letters, digits and hyphens (it names the evidence file)", path)
    if cid in seen:
        raise _fail(cid, "id", "used twice in the file", path)
    seen.add(cid)
    try:
        date = parse_date(rec["date"]).isoformat()
    except UsageError as err:
        raise _fail(cid, "date", str(err), path) from None
    ctype = rec["comparison"] if isinstance(rec["comparison"], str) else dict(rec["comparison"]).get("type")
    reason_only = ctype in verdicts.REASON_TYPES
    measure = None
    if not reason_only:
        if "measure" not in rec:
            raise _fail(cid, "measure", "missing (what is counted: unit, kind, state, statistic ...)", path)
        try:
            measure = Measure.from_mapping(rec["measure"])
        except UsageError as err:
            raise UsageError(f"claim {cid!r}: {err}", path=paths.relative_to_root(path)) from None
    elif not str(rec.get("reason", "")).strip():
        raise _fail(cid, "reason", f"a {ctype} claim must say why it cannot be checked", path)
    claimed = rec["claimed"]
    try:
        if measure is not None and isinstance(claimed, (list, Mapping)):
            claimed = _names(claimed, measure.by)
        comparison = _comparison(rec["comparison"], claimed, measure)
        verdicts.validate_comparison(comparison, claimed)
    except UsageError as err:
        field = "claimed" if "claimed" in str(err) or "state" in str(err) else "comparison"
        raise _fail(cid, field, str(err), path) from None
    if measure is not None and measure.statistic not in FITS[comparison["type"]]:
        raise _fail(cid, "comparison", f"{comparison['type']} cannot judge a {measure.statistic}; it judges "
                    f"{', '.join(sorted(FITS[comparison['type']]))}", path)  # fmt: skip
    if not isinstance(rec.get("also_units", False), bool):
        raise _fail(cid, "also_units", "must be true or false", path)
    if rec.get("also_units") and measure is not None and (measure.source != "ice" or measure.unit not in ("agreements", "agencies")):
        raise _fail(cid, "also_units", f"only for counts of agreements or agencies, not {measure.unit}", path)
    conf = rec.get("confidence")
    if conf is not None and (isinstance(conf, bool) or not isinstance(conf, (int, float)) or not 0 <= conf <= 1):
        raise _fail(cid, "confidence", "must be a number from 0 to 1", path)
    if not isinstance(rec.get("reading", ""), str):
        raise _fail(cid, "reading", "must be text (one line: how the sentence was read)", path)
    line = rec.get("line")
    if line is not None and (isinstance(line, bool) or not isinstance(line, int) or line < 1):
        raise _fail(cid, "line", "must be the article's line number (a whole number from 1)", path)
    return FileClaim(cid, date, str(rec.get("quote", "")), str(rec.get("source", "")), str(rec.get("note", "")),
                     measure, claimed, comparison, bool(rec.get("also_units", False)), str(rec.get("reason", "")),
                     None if conf is None else float(conf), str(rec.get("reading", "")))  # fmt: skip


def load(path: str | Path) -> list[FileClaim]:
    """Parse and validate a claims file; the first problem is one line naming the claim and field."""
    path = Path(path)
    if not path.is_file():
        raise UsageError("no such claims file", path=str(path))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise UsageError(f"not a valid TOML claims file: {err}", path=paths.relative_to_root(path)) from None
    records = data.get("claim")
    if not isinstance(records, list) or not records:
        raise UsageError("no [[claim]] tables in the file", path=paths.relative_to_root(path))
    seen: set[str] = set()
    return [_claim(rec, path, seen) for rec in records]


def _json_value(value: Any) -> Any:
    if isinstance(value, Fraction):
        return round(float(value), 6)
    return value


def judge(claims: list[FileClaim], panel) -> list[dict]:
    """Evaluate every claim; results in file order, with the evidence frames to write."""
    from ..engine import measures
    from . import verdicts

    wanted = []
    for c in claims:  # one read of every sheet the file needs; a date without a sheet names its claim
        if c.measure is not None:
            try:
                wanted += [panel.in_force(d, c.measure.kind)["snapshot_id"] for d in (c.date, c.measure.since) if d]
            except UsageError as err:
                raise UsageError(f"claim {c.id!r}: date: {err}") from None
    panel.load(wanted)
    out = []
    evaluated: dict = {}  # (measure, date, both units) -> in_units: claims repeating a measure on a day share it
    for c in claims:
        row = {"id": c.id, "date": c.date, "source": c.source, "quote": c.quote, "claimed": c.claimed}
        if c.reading:
            row.update(reading=c.reading, confidence=c.confidence)
        if c.measure is None:
            v = verdicts.evaluate(c.comparison, c.claimed, None, reason=c.reason)
            out.append({**row, "verdict": v.verdict, "reproduced": None, "reproduced_text": "", "unit": "",
                        "measure": "", "snapshot": None, "evidence": None, "note": v.note, "_evidence": None})  # fmt: skip
            continue
        key = (c.measure, c.date, c.also_units)
        if key not in evaluated:
            evaluated[key] = measures.in_units(c.measure, c.date, panel, both=c.also_units)
        value, ev = evaluated[key]
        if c.also_units:
            v = verdicts.evaluate_units(c.comparison, c.claimed, value, c.measure.unit, reason=c.reason)
        else:
            v = verdicts.evaluate(c.comparison, c.claimed, value, reason=c.reason)
        note = v.note
        if ev.detail.get("denominator") is not None:
            note += f" (denominator: {ev.detail['denominator']:,} {c.measure.unit}, {ev.detail['denominator_is']})"
        if "stale_note" in ev.snapshot:
            note += f"; {ev.snapshot['stale_note']}"
        out.append({**row, "verdict": v.verdict, "reproduced": _json_value(ev.value), "reproduced_text": ev.display(),
                    "unit": c.measure.unit, "measure": c.measure.describe(), "snapshot": ev.snapshot_record(),
                    "evidence": None, "note": note, "_evidence": ev.evidence})  # fmt: skip
    return out


def write_evidence(rows: list[dict], folder: Path) -> None:
    """One CSV per claim with a reproduced value; paths recorded relative to the project root.
    Claims counting the same rows (a count and a breakdown of one sheet, or one measure quoted
    twice) share one CSV text: a check of 50 claims wrote a fifth of its rows twice."""
    from ..core.atomic import write_text

    written: dict[tuple, list[tuple]] = {}  # (columns, dtypes, rows) -> [(frame, its CSV)]
    for row in rows:
        frame = row.pop("_evidence")
        if frame is None:
            continue
        same = written.setdefault((tuple(frame.columns), tuple(map(str, frame.dtypes)), len(frame)), [])
        text = next((t for f, t in same if f is frame or _same_cells(f, frame)), None)
        if text is None:
            text = evidence_csv(frame)
            same.append((frame, text))
        target = folder / f"{row['id']}.csv"
        write_text(target, text)
        row["evidence"] = paths.relative_to_root(target)


def _same_cells(a, b) -> bool:
    """Whether two frames of the same columns and dtypes hold the same cells, so the same CSV text.
    Only for text, integer and boolean columns: DataFrame.equals takes -0.0 for 0.0, and 1 for 1.0
    in an object column, which a CSV writes differently."""
    import pandas as pd

    exact = all((pd.api.types.is_string_dtype(t) and not pd.api.types.is_object_dtype(t))
                or pd.api.types.is_integer_dtype(t) or pd.api.types.is_bool_dtype(t) for t in a.dtypes)  # fmt: skip
    return exact and a.equals(b)


def evidence_csv(frame) -> str:
    """An evidence table as CSV text, its text cells made safe for spreadsheets (agency names come
    from files anyone can hand over)."""
    from ..core import csvsafe

    return csvsafe.frame_csv(frame, index=False, lineterminator="\n")


def default_evidence_dir(claims_file: Path) -> Path:
    return paths.REPORTS_DIR / "check" / Path(claims_file).stem / "evidence"


OUTPUT_KEYS = ("id", "verdict", "reproduced", "claimed", "unit", "snapshot", "evidence", "note")
#: printed when a row has them: a drafted claim's reading and confidence; "held" (when the claim held
#: over the archive's sheets) is reserved for issue 26's item 3
_OPTIONAL_KEYS = ("reading", "confidence", "held")


def render(rows: list[dict], fmt: str) -> str:
    if fmt == "json":
        return json.dumps([{k: r[k] for k in (*OUTPUT_KEYS, "date", "measure", "quote", *_OPTIONAL_KEYS) if k in r} for r in rows],
                          indent=2, ensure_ascii=False, default=str) + "\n"  # fmt: skip
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["id", "date", "verdict", "reproduced", "claimed", "unit", "file", "sha256", "published", "edition",
                    "evidence", "note"])  # fmt: skip
        for r in rows:
            s = r["snapshot"] or {}
            w.writerow([r["id"], r["date"], r["verdict"], r["reproduced_text"], json.dumps(r["claimed"], ensure_ascii=False),
                        r["unit"], s.get("file", ""), s.get("sha256", ""), s.get("published", ""), s.get("edition", ""),
                        r["evidence"] or "", r["note"]])  # fmt: skip
        return buf.getvalue()
    lines = []
    for r in rows:
        s = r["snapshot"]
        lines.append(f"{r['id']}  [{r['verdict']}]  {r['date']}")
        if r["quote"]:
            lines.append(f"  \u201c{r['quote']}\u201d" + (f" ({r['source']})" if r["source"] else ""))
        if s:
            lines.append(f"  reproduced: {r['reproduced_text']} {r['measure']}")
            lines.append(f"  sheet: {s['file']} (published {s['published']}{', ' + s['edition'] if s['edition'] else ''}; "
                         f"sha256 {s['sha256'][:12]}...)")  # fmt: skip
            lines.append(f"  evidence: {r['evidence']}")
        lines.append(f"  note: {r['note']}")
        if r.get("reading"):
            lines.append(f"  drafted reading ({r['confidence']:.2f}): {r['reading']}")
        if r.get("held"):
            lines.append(f"  held: {r['held']}")
    return "\n".join(lines) + "\n"


def cmd_check(args) -> int:
    from ..engine.measures import Panel

    claims = load(args.file)
    rows = judge(claims, Panel.default() if args.source == "auto" else Panel(args.source))
    folder = Path(args.evidence_dir) if args.evidence_dir else default_evidence_dir(Path(args.file))
    write_evidence(rows, folder)
    print(render(rows, args.format), end="")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="judge a claims file (docs/claims-file.md) with the engine; writes evidence per claim")
    p.add_argument("file", help="a TOML file of [[claim]] tables")
    p.add_argument("--format", default="table", choices=list(FORMATS))
    p.add_argument("--source", default="auto", choices=["auto", "archive", "curated"],
                   help="archive panel (every sheet, day by day), the 38 curated sheets, or auto (default): the "
                        "archive when it is built and current, else the curated sheets")
    p.add_argument("--evidence-dir", help="folder for <claim-id>.csv (default reports/check/<file name>/evidence)")
    p.set_defaults(func=cmd_check)
