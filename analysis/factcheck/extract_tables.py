"""A table row as claims: "Louisiana | 48" under "State | Agreements", captioned "ICE list of June 26, 2025".

Stories print the figures they rank as tables (an HTML ``<table>``, a Markdown pipe table). A row
says nothing alone: its header says what each column counts (agreements, agencies, pending
applications, states) and its caption or lead-in line dates the table. So a figure in a row is a
count of its column's unit, filtered by the row's label (a state, a county or a model; "Total" or
"Nationwide" is no filter), on the column's date if the header prints one, else the caption's,
else the article's. A column whose header names no unit this project counts ("Amount", "Share")
is read as the row's words are (a bonus is policy; what no rule maps is "not understood").
"""

from __future__ import annotations

import re

from . import extract_dates
from . import extract_rules as R
from . import vocabulary as V
from .extract_numbers import Figure
from .extract_rules import Context, Draft

#: a row label that is the whole: no filter
_WHOLE = re.compile(r"^(?:total|all|nationwide|national|nation|u\.?s\.?|united states|all states)\b", re.I)


def _cell_spans(text: str) -> list[tuple[int, int]]:
    """Each cell's (start, end) in the row's text; outer pipes are no cells."""
    cuts = [m.start() for m in re.finditer(r"\|", text)]
    edges = [-1, *cuts, len(text)]
    spans = [(a + 1, b) for a, b in zip(edges, edges[1:])]
    return [(a, b) for a, b in spans if text[a:b].strip()]


def _unit(words: str) -> tuple[str, str, str] | None:
    """What a header cell (or, failing it, the caption) says a column counts."""
    low = words.lower()
    if re.search(r"\bstates\b", low) and not re.search(r"agreements?|agenc", low):
        return "states", "participating", words.strip()
    noun = R.first_unit_noun(words)
    if noun and noun[1] != "pending" and re.search(r"pending|application|request", low):
        return noun[0], "pending", noun[2]
    return noun


def read_row(text: str, figs: list[Figure], head: tuple[str, ...], caption: str, ctx: Context
             ) -> tuple[list[Draft], list[tuple[Figure, str]]]:
    """Drafts and skips for one folded table row: every figure ends in exactly one of them."""
    drafts: list[Draft] = []
    skips: list[tuple[Figure, str]] = []
    spans = _cell_spans(text)
    label = text[spans[0][0]:spans[0][1]].strip() if spans else ""
    caption_refs = [r for r in extract_dates.find(caption, ctx.article_date) if r.role == "at" and r.day is not None]
    for f in figs:
        why = R.not_a_figure(text, f)
        if why:
            skips.append((f, why))
            continue
        col = next((i for i, (a, b) in enumerate(spans) if a <= f.start < b), None)
        if col is None or col == 0 or col >= len(head):
            drafts.append(R.unknown(f, ctx.article_date, f"'{f.text}' in a table row whose column has no header"))
            continue
        header = head[col]
        noun = _unit(header) or (_unit(caption) if not re.search(r"[a-z]", header.lower().replace("count", "")) else None)
        head_refs = [r for r in extract_dates.find(header, ctx.article_date) if r.role == "at" and r.day is not None]
        ref = (head_refs or caption_refs or [None])[0]
        day, how = (ref.day, f"{ref.how} (the {'column' if head_refs else 'caption'})") if ref else (ctx.article_date, V.UNDATED)
        if noun is None or f.kind not in ("count", "vague"):  # pay, a share, a name: read as words ("Signing Bonus | $50,000")
            drafts.append(R.figure(text, f, [], ctx, R.clauses(text)))
            continue
        unit, kind, printed = noun[:3]
        if unit == "counties":
            drafts.append(R.unknown(f, day, "a count of counties (the engine counts agreements, agencies, states and residents)"))
            continue
        measure = {"unit": "agreements", "statistic": "n_states"} if unit == "states" else R.count_measure(unit, kind)
        where = ""
        if not _WHOLE.match(label) and unit != "states":
            states = [s for s in R.states_in(label) if s[0] == 0]
            models = [m for m in R.models_in(label) if m[0] == 0]
            counties = R.counties_in(label, ctx)
            if counties and not counties[0]["state"]:  # a county row under "Texas ..." takes the caption's one state
                named = list(dict.fromkeys(c for _, _, c in R.states_in(caption)))
                counties = [{**counties[0], "state": named[0]}] if len(named) == 1 else []
            if counties:
                measure.update(agency=counties[0]["name"], state=counties[0]["state"])
                where = f"{counties[0]['name']}, {counties[0]['state']}"
            elif states:
                measure["state"], where = states[0][2], states[0][2]
            elif models:
                measure["model"], where = models[0][2], f"model {models[0][2]}"
            else:
                drafts.append(R.unknown(f, day, f"'{f.text}' in a row labelled {label!r}: not a state, county or model"))
                continue
        drafts.append(Draft(day, f.number, R.count_comparison("", {}, day, how, ctx), measure, also_units=unit == "agencies",
                            confidence=round(min(0.8, ref.confidence if ref else 0.7), 2), spans=[(f.start, f.end)],
                            label="table", reading=f"table row {label!r}, column {header!r}: '{f.text}' {printed}"
                                                   f"{' in ' + where if where else ''}, {how}"))  # fmt: skip
    return drafts, skips
