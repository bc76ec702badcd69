"""Fact-checkers' own claims: judge any claims file with the engine and the verdict rules.

A claim is a passage, a date, a declared measure and a comparison (docs/claims-file.md). The
number comes from :mod:`analysis.engine.measures` on the sheet in force that day; the verdict from
:mod:`analysis.factcheck.verdicts`, which only compares. Every reproduced value is written with the rows it
counted (``evidence/<sha256>.csv``, each distinct table once, ``evidence/index.csv`` naming each claim's),
so a published verdict can be traced to ICE's sheet rows. The file is typed by
:mod:`analysis.factcheck.claims_schema` and refused whole, naming the claim and the field, before
anything is read or written.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..core.paths import Project
from ..core.errors import UsageError
from .evidence_files import BATCH_ROWS, EVIDENCE_INDEX, FORMS, evidence_csv, write_evidence  # noqa: F401 (the command's, re-exported)
from .judge import Claim, judge  # noqa: F401 (judge: the one judge, re-exported for the command)

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
#: statistics whose value is a fraction of a whole (0 to 1), never a percent
SHARES = frozenset({"share", "population_share"})
#: a claims file larger than this is refused before it is parsed (10,000 claims take about 5 MB)
MAX_FILE_BYTES = 32 * 2**20


def _shown(path: Path | None) -> str | None:
    """The claims file as an error names it (the command line shows it relative to its project)."""
    return str(path) if path is not None else None


def _fail(cid: Any, key: str, problem: str, path: Path | None) -> UsageError:
    from .claims_schema import shown_id

    return UsageError(f"claim {shown_id(cid)}: {key}: {problem}", path=_shown(path))


def _names(value: Any, by: str) -> Any:
    """Claimed names in the engine's keys: states as USPS codes, models upper-case and one of the
    three (a name that is neither is refused: it would count as a group with none)."""
    from ..clean.normalize import state_code
    from ..engine.measures import MODELS

    def model(name: Any) -> str:
        code = str(name).strip().upper()
        if code not in MODELS:
            raise UsageError(f"{name!r} is not a 287(g) model ({', '.join(MODELS)})")
        return code

    fix = state_code if by == "state" else model if by == "model" else str
    if isinstance(value, Mapping):
        return {fix(k): v for k, v in value.items()}
    if isinstance(value, list):
        return [fix(v) for v in value]
    return value


def _comparison(spec: Any, claimed: Any, measure) -> dict:
    """The comparison table the verdict uses: the type's defaults, what the measure implies, then the file's own."""
    comp = {"type": spec} if isinstance(spec, str) else spec.to_dict()
    ctype = comp["type"]
    base = dict(DEFAULTS.get(ctype, {}))
    if ctype == "share_above":
        base["threshold"] = claimed
    if measure is not None and ctype == "set_equal" and measure.statistic == "top_n":
        base.update(top_n=measure.n, partial_if_overlap_at_least=max(1, measure.n - 1))
    if measure is not None and ctype in ("rank", "rank_within") and measure.statistic == "rank":
        base["entity"] = (measure.state if measure.by == "state" else measure.model)[0]
    return {**base, **comp}


def _claim(spec, path: Path | None, seen: set[str]) -> Claim:
    """One [[claim]], typed by the schema (a claims_schema.ClaimSpec), checked by the engine's and the
    verdicts' own rules (which fields fit together); the first problem names the claim and field."""
    from . import verdicts
    from .claims_schema import shown_id

    cid = spec.id
    if spec.id in seen:
        raise _fail(cid, "id", "used twice in the file", path)
    seen.add(spec.id)
    ctype = spec.comparison if isinstance(spec.comparison, str) else spec.comparison.type
    measure = None
    if ctype not in verdicts.REASON_TYPES:
        if spec.measure is None:
            raise _fail(cid, "measure", "missing (what is counted: unit, kind, state, statistic ...)", path)
        try:
            measure = spec.measure.to_measure()
            measure.check_since(spec.date)
        except UsageError as err:
            raise UsageError(f"claim {shown_id(cid)}: {err}", path=_shown(path)) from None
    elif not spec.reason.strip():
        raise _fail(cid, "reason", f"a {ctype} claim must say why it cannot be checked", path)
    claimed = spec.claimed
    if measure is not None and isinstance(claimed, (list, Mapping)):
        try:
            claimed = _names(claimed, measure.by)
        except UsageError as err:
            raise _fail(cid, "claimed", str(err), path) from None
    try:
        comparison = _comparison(spec.comparison, claimed, measure)
        verdicts.validate_comparison(comparison, claimed)
    except UsageError as err:
        raise _fail(cid, "claimed" if "claimed" in str(err) else "comparison", str(err), path) from None
    if (measure is not None and measure.statistic in SHARES and comparison["type"] in NUMERIC
            and not isinstance(claimed, (list, Mapping)) and _above_one(claimed)):  # share_above checks its threshold
        raise _fail(cid, "claimed", f"a share is a fraction of the whole, between 0 and 1: {claimed!r} reads as more "
                    "than all of it (for 28.4 % write 0.284 or \"284/1000\")", path)  # fmt: skip
    if measure is not None and measure.statistic not in FITS[comparison["type"]]:
        raise _fail(cid, "comparison", f"{comparison['type']} cannot judge a {measure.statistic}; it judges "
                    f"{', '.join(sorted(FITS[comparison['type']]))}", path)  # fmt: skip
    if spec.also_units and measure is not None and (measure.source != "ice" or measure.unit not in ("agreements", "agencies")):
        raise _fail(cid, "also_units", f"only for counts of agreements or agencies, not {measure.unit}", path)
    return Claim(spec.id, spec.date.isoformat(), spec.quote, spec.source, spec.note, measure, claimed, comparison,
                 spec.also_units, spec.reason, None if spec.confidence is None else float(spec.confidence), spec.reading)  # fmt: skip


def _above_one(value: Any) -> bool:
    from . import verdicts

    try:
        return verdicts.to_fraction(value) > 1
    except UsageError:
        return False  # not a number: the comparison's own check names it


def claim_of(record: Mapping, path: Path | None = None) -> Claim:
    """One claim from a record in the claims-file format, typed by the schema and checked as a file's
    are: the registry builds each of its claims here, so a registry claim is a claims-file claim.
    Errors read "claim 'id': field: problem", after ``path`` when one is given."""
    from .claims_schema import shown_id, validate

    try:
        spec = validate(record)
    except UsageError as err:
        raise UsageError(f"claim {shown_id(record.get('id'))}: {err}", path=_shown(path)) from None
    return _claim(spec, path, set())


def load(path: str | Path) -> list[Claim]:
    """Parse and validate a claims file whole; the first problem is one line naming the file, the
    claim and the field. A UTF-8 byte-order mark is read past; a file beyond MAX_FILE_BYTES, text
    that is not UTF-8 or TOML nested too deeply for the parser is refused."""
    path = Path(path)
    if not path.is_file():
        raise UsageError("no such claims file", path=str(path))
    shown = str(path)
    if path.stat().st_size > MAX_FILE_BYTES:
        raise UsageError(f"{path.stat().st_size / 2**20:,.1f} MiB is beyond the limit of {MAX_FILE_BYTES // 2**20} MiB "
                         "for a claims file; split it", path=shown)  # fmt: skip
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as err:
        raise UsageError(f"not UTF-8 text (byte {err.start}): save the claims file as UTF-8", path=shown) from None
    except tomllib.TOMLDecodeError as err:
        raise UsageError(f"not a valid TOML claims file: {err}", path=shown) from None
    except RecursionError:
        raise UsageError("not a valid TOML claims file: tables or lists nested too deeply", path=shown) from None
    records = data.get("claim")
    if not isinstance(records, list) or not records:
        raise UsageError("no [[claim]] tables in the file", path=shown)
    from . import claims_schema

    if len(records) > claims_schema.MAX_CLAIMS:
        raise UsageError(f"{len(records):,} claims, beyond the limit of {claims_schema.MAX_CLAIMS:,} for one file; split it",
                         path=shown)  # fmt: skip
    try:
        spec = claims_schema.validate_file(data)
    except UsageError as err:
        raise UsageError(str(err), path=shown) from None
    seen: set[str] = set()
    return [_claim(c, path, seen) for c in spec.claim]


def default_evidence_dir(project: Project, claims_file: Path) -> Path:
    """reports/check/<file name less .toml>/evidence. A name that is not an ordinary folder name (empty,
    dots, hidden, control characters: ``...toml`` has the stem ``..``, which wrote into
    reports/evidence/, the report's own) is refused: pass --evidence-dir."""
    name = Path(claims_file).name
    stem = Path(name).stem
    check_dir = project.reports / "check"
    folder = check_dir / stem / "evidence"
    if not stem or stem.startswith(".") or not stem.isprintable() or folder.parent.parent != check_dir:
        raise UsageError(f"cannot name a folder under reports/check/ after this file ({name!r}); rename it or pass "
                         "--evidence-dir", path=str(claims_file))  # fmt: skip
    return folder


OUTPUT_KEYS = ("id", "verdict", "reproduced", "claimed", "unit", "snapshot", "evidence", "evidence_rows", "evidence_shared_by",
               "note")  # fmt: skip
#: printed when a row has them: a drafted claim's reading and confidence; "held": when the claim held
#: over the panel's sheets (held.py; not with --no-held)
_OPTIONAL_KEYS = ("reading", "confidence", "held")


def _evidence_text(r: dict) -> str:
    shared = r.get("evidence_shared_by") or 0
    also = f"; the same file as {shared - 1:,} other claim{'s' if shared > 2 else ''}" if shared > 1 else ""
    return f"{r['evidence']} ({r.get('evidence_rows') or 0:,} rows{also})"


def render(rows: list[dict], fmt: str) -> str:
    if fmt == "json":
        return json.dumps([{k: r.get(k) for k in (*OUTPUT_KEYS, "date", "measure", "quote")}
                           | {k: r[k] for k in _OPTIONAL_KEYS if k in r} for r in rows],
                          indent=2, ensure_ascii=False, default=str) + "\n"  # fmt: skip
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["id", "date", "verdict", "reproduced", "claimed", "unit", "file", "sha256", "published", "edition",
                    "evidence", "note", "evidence_rows", "evidence_shared_by", "held"])  # fmt: skip
        for r in rows:
            s = r["snapshot"] or {}
            w.writerow([r["id"], r["date"], r["verdict"], r["reproduced_text"], json.dumps(r["claimed"], ensure_ascii=False),
                        r["unit"], s.get("file", ""), s.get("sha256", ""), s.get("published", ""), s.get("edition", ""),
                        r["evidence"] or "", r["note"], r.get("evidence_rows") or "", r.get("evidence_shared_by") or "",
                        (r.get("held") or {}).get("summary", "")])  # fmt: skip
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
            lines.append(f"  evidence: {_evidence_text(r)}")
        lines.append(f"  note: {r['note']}")
        if r.get("reading"):
            lines.append(f"  drafted reading ({r['confidence']:.2f}): {r['reading']}")
        if r.get("held"):
            lines.append(f"  held: {r['held']['summary']}")
    return "\n".join(lines) + "\n"


def add_held(rows: list[dict], claims: list[Claim], panel) -> None:
    """Each row's "held": the spans of days on which the claim would have been supported, over every
    sheet of the panel (held.py); claims repeating a measure share its series."""
    from .held import Memo, held

    memo = Memo()
    for row, claim in zip(rows, claims):
        row["held"] = held(claim, panel, memo)


def cmd_check(args) -> int:
    """Holds the write lock (cli.main): the evidence goes under reports/, which reproduce replaces whole."""
    with gc_paused():
        return _check(args)


@contextlib.contextmanager
def gc_paused():
    """Python's cyclic garbage collector paused for one command: a check of 2,000 claims keeps hundreds of
    thousands of objects (a table of every sheet as arrays, the claims, their rows) alive to its end,
    and each collection walked them all again: a third of its time. The command makes few cycles,
    and what it made is freed when it ends. What is left is frozen (gc.freeze, as panel.py's parse
    does) before the collector is resumed: the first collection after it walked every object the
    command had made (~30 ms of a check of 50 claims), and a process's exit walked them all again;
    frozen objects are still freed by reference counting when let go."""
    import gc

    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was:
            gc.enable()


def _check(args) -> int:
    from ..engine.measures import Panel
    from ..store import freshness

    claims = load(args.file)  # the whole file is refused before anything is read or written
    project = args.project
    folder = Path(args.evidence_dir) if args.evidence_dir else default_evidence_dir(project, Path(args.file))
    freshness.refuse_if_tampered(project)
    if args.source == "auto":
        panel = Panel.default(project)
        if panel.source == "curated":  # the archive was not current; say so when the curated tables are not either
            freshness.warn_if_stale(project)
    else:
        panel = Panel(project, args.source)
        freshness.warn_if_stale(project, archive=args.source == "archive")
    rows = judge(claims, panel, Path(args.file))
    if not args.no_held:
        add_held(rows, claims, panel)
    said = write_evidence(project, rows, folder, args.evidence_form)
    if said:
        print(said, file=sys.stderr)
    print(render(rows, args.format), end="")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    from ..ingest import lock

    p = sub.add_parser("check", help="judge a claims file (docs/claims-file.md) with the engine; writes the evidence rows")
    p.add_argument("file", help="a TOML file of [[claim]] tables")
    p.add_argument("--format", default="table", choices=list(FORMATS))
    p.add_argument("--no-held", action="store_true",
                   help="skip 'when did it hold' (each claim judged on every sheet of the panel: about a second "
                        "for a file's first claims, less for claims repeating a measure)")
    p.add_argument("--source", default="auto", choices=["auto", "archive", "curated"],
                   help="archive panel (every sheet, day by day), the 38 curated sheets, or auto (default): the "
                        "archive when it is built and current, else the curated sheets")
    p.add_argument("--evidence-dir", help="folder for the evidence files and their index.csv "
                                          "(default reports/check/<file name>/evidence)")  # fmt: skip
    p.add_argument("--evidence-form", default="auto", choices=list(FORMS),
                   help="tables: each claim's rows as a plain CSV; ranges: each sheet's rows once, each claim's as "
                        f"ranges of them (a batch's); auto (default): ranges above {BATCH_ROWS:,} rows in all")  # fmt: skip
    lock.writer(p)
    p.set_defaults(func=cmd_check)
