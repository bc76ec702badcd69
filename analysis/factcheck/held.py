"""When did a claim hold? The claim judged on every sheet ICE posted, as spans of days.

A fact-checker's next question after a verdict is whether the figure was ever true, and when: a
number that held in March but not by the article's date suggests old data; one that never held on
any sheet was never right. The claim's measure is computed on every sheet of the panel
(engine.series, the engine's own rules) and each value is judged by judge.verdict, the same verdict
the claim gets on its date. A span runs from the publication of the first sheet that supports the
claim to the day before the next sheet that does not (or to the newest sheet's last day live).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from fractions import Fraction
from typing import Any

from . import judge, verdicts

#: spans named one by one in the summary line; the rest are counted
SPANS_SHOWN = 3


class Memo:
    """Series per measure and verdicts per (claim's comparison, printed figure, value), shared by the
    claims of one run: claims repeating a measure (one outlet's figure quoted by another, a claims
    file's ten thousand lines) compute its series once, and a value seen on many sheets is judged once."""

    def __init__(self):
        self.series: dict = {}
        self.verdicts: dict = {}
        self.spans: dict = {}  # a claim's spans, the same for every date it is made on (a season repeats each)


def held(claim: judge.Claim, panel, memo: Memo | None = None) -> dict | None:
    """The days on which the claim would have been supported, or None for a claim no data can check.

    Returns {"sheets", "first_sheet", "newest_sheet", "spans": [{"from", "to", "sheets", "first_file",
    "last_file"}], "first_true", "last_true", "on_date", "summary"} (dates ISO)."""
    if not claim.checkable or claim.measure is None:
        return None
    if claim.measure.source == "trac-county":  # one undated table: no sheet-by-sheet history to judge
        return {"sheets": 0, "spans": [], "first_true": None, "last_true": None, "on_date": None, "undated": True,
                "summary": "TRAC's county table is undated (one release): it has no history to judge sheet by sheet"}
    memo = memo or Memo()
    key = (claim.measure, claim.also_units, judge.hashable(claim.comparison), judge.hashable(claim.claimed), claim.reason)
    if key not in memo.spans:
        memo.spans[key] = _spans(claim, panel, memo)
    if memo.spans[key] is None:
        return None
    spans, frame = memo.spans[key]
    day = dt.date.fromisoformat(claim.date)
    on_date = any(s["from"] <= claim.date <= s["to"] for s in spans) if frame["first"] <= day <= frame["last_live"] else None
    out = {"sheets": frame["sheets"], "first_sheet": frame["first"].isoformat(), "newest_sheet": frame["newest"].isoformat(),
           "spans": [dict(s) for s in spans], "first_true": spans[0]["from"] if spans else None,
           "last_true": spans[-1]["to"] if spans else None, "on_date": on_date}  # fmt: skip
    out["summary"] = summary(out)
    return out


def _spans(claim: judge.Claim, panel, memo: Memo) -> tuple[list[dict], dict] | None:
    """The spans of days the claim was supported, and the sheets judged (how many, the first, the
    newest, its last day live); None when its measure has no sheet."""
    frame = _values(claim, panel, memo)
    if frame is None:
        return None
    key = (judge.hashable(claim.comparison), judge.hashable(claim.claimed), claim.also_units, claim.measure.unit)
    verdict_of = memo.verdicts.setdefault(key, {})
    supported = []
    for value in frame["comparable"]:
        vkey = judge.hashable(value)
        if vkey not in verdict_of:
            verdict_of[vkey] = judge.verdict(claim, value).verdict
        supported.append(verdict_of[vkey] == verdicts.SUPPORTED)
    published = list(frame["published"])
    last_live = frame["confirmed_until"].iloc[-1]
    spans, i = [], 0
    while i < len(supported):
        if not supported[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(supported) and supported[j + 1]:
            j += 1
        end = (published[j + 1] - dt.timedelta(days=1)) if j + 1 < len(supported) else last_live
        spans.append({"from": published[i].isoformat(), "to": max(end, published[j]).isoformat(), "sheets": j - i + 1,
                      "first_file": frame["file"].iloc[i], "last_file": frame["file"].iloc[j]})  # fmt: skip
        i = j + 1
    return spans, {"sheets": len(frame), "first": published[0], "newest": published[-1], "last_live": last_live}


def summary(h: dict) -> str:
    """One line: 'held from A to B' per span (the first few), or that it never held, and over what."""
    over = f"{h['sheets']:,} sheets, {h['first_sheet']} to {h['newest_sheet']}"
    if not h["spans"]:
        return f"never supported on any sheet ({over})"
    shown = [f"from {s['from']} to {s['to']}" for s in h["spans"][:SPANS_SHOWN]]
    more = len(h["spans"]) - SPANS_SHOWN
    text = "held " + "; ".join(shown) + (f"; and {more} more span{'s' if more > 1 else ''}" if more > 0 else "")
    return text + f" ({over})"


def _values(claim: judge.Claim, panel, memo: Memo):
    """The claim's comparable value on every sheet: the measure's series (both units when the sentence
    may mix them), each value as Evaluation.comparable gives it on that sheet."""
    from ..engine import series

    def of(measure):
        if measure not in memo.series:
            memo.series[measure] = series.series(measure, panel)
        return memo.series[measure]

    frame = of(claim.measure)
    if frame.empty:
        return None
    frame = frame.assign(comparable=[_comparable(v, t, claim.measure) for v, t in
                                     zip(frame["value"], frame.get("table", [None] * len(frame)))])  # fmt: skip
    if claim.also_units:
        other = "agencies" if claim.measure.unit == "agreements" else "agreements"
        second = of(dataclasses.replace(claim.measure, unit=other))
        second = dict(zip(second["snapshot_id"], (_comparable(v, None, claim.measure) for v in second["value"])))
        frame["comparable"] = [{claim.measure.unit: v, other: second.get(sid)} for v, sid in
                               zip(frame["comparable"], frame["snapshot_id"])]  # fmt: skip
    return frame


def _comparable(value: Any, table: Any, measure) -> Any:
    """What a verdict compares on one sheet, as measures.Evaluation.comparable gives it on that day."""
    if measure.statistic in ("rank", "top_n"):
        return table
    if isinstance(value, Fraction):
        return round(float(value), 6)
    if isinstance(value, dict):
        return {k: round(float(v), 6) if isinstance(v, Fraction) else v for k, v in value.items()}
    return value
