"""Article in, claims file out: draft the claims of a story about 287(g) for a person to correct.

Writing a claims file by hand is the slow part of checking an article: spot each number, choose a
measure, a unit, a comparison and a date. ``python -m analysis extract ARTICLE`` drafts it: every
sentence is read by the rules of :mod:`extract_sentences` and :mod:`extract_rules` (a table row with its
header and caption by :mod:`extract_tables`; a sentence pointing back, "Those agreements ...", with the
day of the one before), rule-based over this domain's vocabulary, so each reading can be stated and
tested. Each claim carries its quote, a confidence and a one-line reading, and every number the
article prints is accounted for: a claim, a ``not_checkable`` claim ("not understood: ..."), or a
``[[skipped]]`` line saying why (a year, a phone number, a web address, an age, off topic). The draft is validated by the claims-file parser before anything is
written, so what it writes ``check`` accepts; ``check ARTICLE`` drafts and judges in one step.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..core import paths
from ..core.errors import UsageError
from . import article_text, extract_dates, extract_sentences, extract_tables
from . import vocabulary as V
from .extract_numbers import figures
from .extract_rules import Context, first_unit_noun

#: how long a claim's id may grow (it names the evidence file)
_ID_MAX = 60
#: a reference list's entry: "(2025, November 29)." or "(n.d.)." or a bare address
_CITATION = re.compile(r"\((?:19|20)\d\d(?:,\s*[A-Z][a-z]+(?:\s+\d{1,2})?)?\)\.|\(n\.d\.\)|https?://\S+\s*$")


@dataclass
class Extraction:
    """An article's drafted claims and skip lines, in the article's order."""

    article: dict
    claims: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    #: (sentence start, figure start, figure end) -> the claim id or "skipped": every figure's fate
    accounted: dict[tuple[int, int, int], str] = field(default_factory=dict)

    def toml(self) -> str:
        import tomli_w

        head = ("# Drafted by `python -m analysis extract` (rule-based): read each claim's `reading` and correct the\n"
                "# measure, date or comparison where it misread the sentence, then run `python -m analysis check` on this file.\n"
                "# [[skipped]] lists every number that is not a claim, and why.\n\n")  # fmt: skip
        return head + tomli_w.dumps({"article": self.article, "claim": self.claims, "skipped": self.skipped})


def _counties(processed: Path | None) -> dict[str, list[tuple[str, int]]]:
    """County name (lower case) -> [(USPS, population)], from the built Census county table; empty
    when it is not built (a county printed without its state then stays unresolved, and says so)."""
    if processed is None or not (processed / "county_population.parquet").is_file():
        return {}
    import pandas as pd

    table = pd.read_parquet(processed / "county_population.parquet", columns=["state", "county_name", "population_2024"])
    out: dict[str, list[tuple[str, int]]] = {}
    for state, name, pop in table.itertuples(index=False):
        out.setdefault(str(name).lower(), []).append((str(state), int(pop)))
        if str(name).lower().endswith(" county"):
            out.setdefault(str(name).lower().removesuffix(" county"), []).append((str(state), int(pop)))
    return out


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _plain(value):
    """Fractions and dates as a claims file writes them."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _key(draft) -> str:
    """What makes two drafts the same claim: measure, day, figure and comparison (a number repeated
    in a headline, a subhead and the body is one claim)."""
    if draft.measure is None:
        return json.dumps([draft.comparison, _plain(draft.claimed)], sort_keys=True, default=str)
    return json.dumps([draft.measure, draft.date.isoformat(), _plain(draft.claimed), draft.comparison], sort_keys=True, default=str)


def extract(path: str | Path, *, date: str | dt.date | None = None, source: str = "", url: str = "",
            processed: Path | None = None) -> Extraction:
    """Draft the claims of the article at ``path``; ``date`` is the article's date (else the date the
    page prints for itself); ``processed`` is the built data folder (county names), or None."""
    from ..engine.asof import parse_date

    art = article_text.read(path)
    if date is not None:
        day, basis = parse_date(date), "given"
    elif art.found_date is not None:
        day, basis = art.found_date, "printed in the article"
    else:
        raise UsageError("the article prints no date of its own; give its date with --date YYYY-MM-DD",
                         path=paths.relative_to_root(Path(path)))  # fmt: skip
    stem = _slug(source or Path(path).stem)[:30] or "article"
    meta = {"file": Path(path).name, "sha256": art.sha256, "date": day.isoformat(), "date_basis": basis}
    if source:
        meta["source"] = source
    if url:
        meta["url"] = url
    out = Extraction(meta)
    counties = _counties(processed)
    seen: dict[str, str] = {}
    label = f"{source}, {day.isoformat()}" if source else ""
    about_program = any(V.TOPIC.search(p) for p in art.paragraphs)
    before: tuple[bool, list] = (False, [])  # the sentence before: on topic, its dates
    for sent in art.sentences:
        on_topic = bool(V.TOPIC.search(sent.fold) or V.TOPIC.search(art.paragraphs[sent.paragraph])
                        or about_program and V.DOMAIN.search(sent.fold))  # fmt: skip
        refs = extract_dates.find(sent.fold, day)
        figs = figures(sent.fold, [(r.start, r.end) for r in refs])
        back = V.ANAPHORA.search(sent.fold)
        if back and back.start() and first_unit_noun(sent.fold[:back.start()]):
            back = None  # "fewer than 10 agreements, most of them ...": "them" is this sentence's own noun
        if back:  # "Those agreements span 38 states": the day and the subject of the sentence before
            on_topic = on_topic or before[0]
            if not any(r.role == "at" and r.day and not r.now for r in refs):
                refs += [dataclasses.replace(r, start=0, end=0, how=f"{r.how}, from the sentence before ({back.group(0)!r})")
                         for r in before[1][:1]]  # fmt: skip
        before = (on_topic, [r for r in refs if r.role == "at" and r.day and not r.now])
        if _CITATION.search(sent.text) or _CITATION.search(art.paragraphs[sent.paragraph]):
            drafts, skips = [], [(f, "in a reference list entry (another publication's title or date)") for f in figs]
        elif sent.head and (on_topic or V.TOPIC.search(sent.caption) or about_program and V.DOMAIN.search(" ".join([*sent.head, sent.caption]))):
            drafts, skips = extract_tables.read_row(sent.fold, figs, sent.head, sent.caption, Context(day, True, counties))
        else:
            drafts, skips = extract_sentences.read(sent.fold, figs, refs, Context(day, on_topic, counties))
        for f, why in skips:
            out.skipped.append({"text": f.text, "line": sent.line, "why": why, "quote": sent.text})
            out.accounted[(sent.start, f.start, f.end)] = "skipped"
        for d in drafts:
            key = _key(d)
            fates = [(sent.start, f.start, f.end) for f in figs if any(a <= f.start and f.end <= b for a, b in d.spans)]
            if key in seen:
                out.skipped += [{"text": sent.text[b:c], "line": sent.line, "why": f"repeats claim {seen[key]}", "quote": sent.text}
                                for _, b, c in fates]  # fmt: skip
                for fate in fates:
                    out.accounted[fate] = "skipped"
                continue
            cid = f"{stem}-{len(out.claims) + 1:02d}-{_slug(str(_plain(d.claimed)))[:12]}-{d.label}".strip("-")[:_ID_MAX].rstrip("-")
            seen[key] = cid
            rec = {"id": cid, "quote": sent.text, "date": d.date.isoformat()}
            if label:
                rec["source"] = label
            if d.measure is not None:
                rec["measure"] = _plain(d.measure)
            rec["claimed"] = _plain(d.claimed)
            rec["comparison"] = _plain(d.comparison)
            if d.also_units:
                rec["also_units"] = True
            if d.reason:
                rec["reason"] = d.reason
            rec["confidence"] = round(float(d.confidence), 2)
            rec["reading"] = d.reading
            rec["line"] = sent.line
            if d.note:
                rec["note"] = d.note
            out.claims.append(rec)
            for fate in fates:
                out.accounted[fate] = cid
    return out


def validated(extraction: Extraction) -> str:
    """The draft's TOML text, after the claims-file parser accepted it (a draft ``check`` would refuse
    is a bug of the extractor, never written)."""
    from . import check

    text = extraction.toml()
    if not extraction.claims:
        return text
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "draft.toml"
        probe.write_text(text, encoding="utf-8")
        check.load(probe)
    return text


def write(extraction: Extraction, target: Path) -> Path:
    from ..core.atomic import write_text

    write_text(target, validated(extraction))
    return target


def summary(extraction: Extraction) -> str:
    by = {}
    for c in extraction.claims:
        t = c["comparison"] if isinstance(c["comparison"], str) else c["comparison"]["type"]
        kind = t if t in ("policy", "not_checkable") else "checkable"
        if t == "not_checkable" and c.get("reason", "").startswith("not understood"):
            kind = "not understood"
        by[kind] = by.get(kind, 0) + 1
    parts = ", ".join(f"{v} {k}" for k, v in sorted(by.items()))
    return f"{len(extraction.claims)} claims drafted ({parts}); {len(extraction.skipped)} numbers skipped with a reason"


def cmd_extract(args) -> int:
    ex = extract(args.article, date=args.date, source=args.source or "", url=args.url or "", processed=paths.PROCESSED_DIR)
    if args.output:
        target = write(ex, Path(args.output))
        print(f"{summary(ex)} -> {paths.relative_to_root(target)}", file=sys.stderr)
    else:
        sys.stdout.write(validated(ex))
        print(summary(ex), file=sys.stderr)
    return 0


def cmd_check(args) -> int:
    """`check FILE`: a claims file is judged as it is; an article is drafted first, the draft written
    beside the results (reports/check/<article>/), then judged."""
    from . import check

    path = Path(args.file)
    if path.suffix.lower() == ".toml":
        if args.date or args.outlet:
            raise UsageError("--date and --outlet are for an article; a claims file dates its own claims")
        return check.cmd_check(args)
    ex = extract(path, date=args.date, source=args.outlet or "", processed=paths.PROCESSED_DIR)
    folder = Path(args.evidence_dir).parent if args.evidence_dir else check.default_evidence_dir(path).parent
    draft = write(ex, folder / f"{path.stem}.claims.toml")
    print(f"drafted from {path.name}: {summary(ex)}; the draft is {paths.relative_to_root(draft)} "
          "(correct it and run `check` on it)", file=sys.stderr)  # fmt: skip
    if not ex.claims:
        return 0
    args.file = str(draft)
    args.evidence_dir = args.evidence_dir or str(folder / "evidence")
    return check.cmd_check(args)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("extract", help="draft a claims file from an article (plain text, Markdown or saved HTML)")
    p.add_argument("article", help="the article: .txt, .md or .html")
    p.add_argument("--date", help="the article's date YYYY-MM-DD ('now', 'today' and unresolved dates read as this day)")
    p.add_argument("--source", help="the outlet, e.g. \"Breitbart News\" (names the claims' ids and source)")
    p.add_argument("--url", help="the article's address, recorded in the draft's [article] table")
    p.add_argument("-o", "--output", help="write the claims file here (default: print it)")
    p.set_defaults(func=cmd_extract)
