"""The day a sentence speaks of, read from its words and the article's date.

A count printed in an article is of one day: "as of May 29", "at the end of 2024", "in December of
2024", "when Trump took office in January" (2025-01-20: the administrations' dates are in
:mod:`vocabulary`), "this week", "now", "today" (the article's date), "last month" (its last
day). A month or a year without a day is read at its last day, or the article's date if that is
earlier (a count "in 2025" is the latest one the article could know). A date the sentence does not
give is the article's date, and the reading says so; a date after the article ("by 2029") is a
target, never a day to count on.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import re
from dataclasses import dataclass

from . import vocabulary as V


@dataclass(frozen=True)
class DateRef:
    start: int
    end: int
    text: str
    day: dt.date | None  # None: a target after the article ("by 2029"), no day to count on
    role: str  # "at" (the day counted), "since" (a change's base), "target" (a future goal)
    how: str  # one phrase for the reading ("'as of July 31, 2025'")
    confidence: float
    first: dt.date | None = None  # a period's first day ("in June", "in 2025"): where a change over it starts
    now: bool = False  # "now", "today": the day the words are spoken, which an attribution may set
    said: bool = False  # the day a source said it ("the agency said last month"): dates the statement


_MONTH = r"(?P<month>" + "|".join(sorted(V.MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_PATTERNS: tuple[tuple[str, re.Pattern], ...] = (
    ("iso", re.compile(r"\b(?P<iso>\d{4}-\d{2}-\d{2})\b")),
    ("ref", re.compile(rf"\(\s*{_YEAR},\s*{_MONTH}(?:\s+{_DAY})?\s*\)", re.I)),
    ("mdy", re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b", re.I)),
    ("dmy", re.compile(rf"\b{_DAY}\s+{_MONTH},?\s+{_YEAR}\b", re.I)),
    ("quarter", re.compile(rf"\b(?:(?:the\s+)?(?P<q>first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter(?:\s+of)?,?|Q(?P<qn>[1-4]))"
                           rf"\s+{_YEAR}\b", re.I)),
    ("edge_year", re.compile(rf"\b(?P<edge>(?:the )?(?:end|close|start|beginning|middle) of|late|early|mid-?)\s*{_YEAR}\b", re.I)),
    ("my", re.compile(rf"\b(?P<edge>(?:the )?(?:end|start|beginning|middle) of |late |early |mid-)?{_MONTH}(?: of)?,?\s+{_YEAR}\b", re.I)),
    ("md", re.compile(rf"\b{_MONTH}\s+{_DAY}\b(?!,?\s+(?:19|20)\d\d)", re.I)),
    ("fy", re.compile(rf"\b(?:fiscal (?:year )?|FY\s?){_YEAR}\b", re.I)),
    ("year", re.compile(rf"\b(?P<prep>in|by|since|during|through|until|before|after|of|from|to)?\s*{_YEAR}\b(?![-\d])", re.I)),
    ("m", re.compile(rf"\b(?P<edge>(?:the )?(?:end|start|beginning|middle) of |late |early |mid-)?(?:in |since |by |during |until )?"
                     rf"(?P<mname>january|february|march|april|june|july|august|september|october|november|december)\b(?! \d)", re.I)),
    ("ago", re.compile(r"\b(?P<n>\d{1,2}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s+"
                       r"(?P<unit>day|week|month|year)s?\s+(?:ago|earlier|before)\b", re.I)),
    ("rel", re.compile(r"\b(?P<rel>(?:the )?(?:start|beginning|end) of (?:the|this|last) year|late last month|early last month|last month|this month|last week|this week|"
                       r"yesterday|today|tonight|right now|now|currently|so far|to date|this year|last year|"
                       r"on (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|"
                       r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b", re.I)),
)  # fmt: skip


def _last_day(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _capped(day: dt.date, article: dt.date) -> dt.date:
    return min(day, article)


def _role(text: str, start: int) -> str:
    before = text[max(0, start - 12):start].lower()
    if re.search(r"\bsince\s*$|\bfrom\s*$|\bbetween\s*$", before):
        return "since"
    return "at"


def _ref(m: re.Match, kind: str, text: str, article: dt.date) -> DateRef | None:
    g = m.groupdict()
    quoted = f"'{m.group(0).strip()}'"
    role = _role(text, m.start())
    month = V.MONTHS.get((g.get("month") or g.get("mname") or "").lower().rstrip("."))
    year = int(g["year"]) if g.get("year") else None
    try:
        if kind == "iso":
            return DateRef(m.start(), m.end(), m.group(0), dt.date.fromisoformat(g["iso"]), role, quoted, 0.95)
        if kind in ("mdy", "dmy", "ref"):
            day = dt.date(year, month, int(g["day"])) if g.get("day") else _last_day(year, month)
            return DateRef(m.start(), m.end(), m.group(0), day, role, quoted, 0.95)
        if kind == "md":
            day = dt.date(article.year, month, int(g["day"]))
            if day > article:
                day = dt.date(article.year - 1, month, int(g["day"]))
            return DateRef(m.start(), m.end(), m.group(0), day, role, f"{quoted} (the year of the article)", 0.85)
    except (ValueError, TypeError):
        return None
    edge = (g.get("edge") or "").lower().strip()
    if kind == "quarter":
        q = {"first": 1, "second": 2, "third": 3, "fourth": 4}.get((g.get("q") or "").lower()) or int((g.get("q") or g["qn"])[0])
        first, last = dt.date(year, 3 * q - 2, 1), _last_day(year, 3 * q)
        if first > article:
            return DateRef(m.start(), m.end(), m.group(0), None, "target", f"{quoted} (after the article: a target)", 0.5)
        return DateRef(m.start(), m.end(), m.group(0), _capped(last, article), role, f"{quoted} (read at its last day)", 0.75,
                       first=first)  # fmt: skip
    if kind == "fy":
        return DateRef(m.start(), m.end(), m.group(0), None, "target", f"{quoted} (a fiscal year: a target period)", 0.5)
    if kind in ("edge_year", "year"):
        prep = (g.get("prep") or "").lower()
        if year > article.year or prep == "by" and year >= article.year:
            return DateRef(m.start(), m.end(), m.group(0), None, "target", f"{quoted} (after the article: a target)", 0.5)
        if prep == "since" or kind == "edge_year" and edge in ("start of", "beginning of", "the start of", "the beginning of", "early"):
            day = dt.date(year, 1, 1)
        else:
            day = _capped(dt.date(year, 12, 31), article)
        return DateRef(m.start(), m.end(), m.group(0), day, "since" if prep in ("since", "from") else role,
                       f"{quoted} (read at {'its first' if day.month == 1 and day.day == 1 else 'its last'} day)", 0.7,
                       first=dt.date(year, 1, 1))  # fmt: skip
    if kind in ("my", "m"):
        if year is None:
            year = article.year if month <= article.month else article.year - 1
        first = edge in ("start of", "beginning of", "the start of", "the beginning of", "early") or "since" in m.group(0).lower() \
            or role == "since"  # "from January": a base month starts on its first day
        day = dt.date(year, month, 1) if first else _capped(_last_day(year, month), article)
        return DateRef(m.start(), m.end(), m.group(0), day, "since" if "since" in m.group(0).lower() else role,
                       f"{quoted} (read at {'its first' if first else 'its last'} day)", 0.75 if g.get("year") else 0.65,
                       first=dt.date(year, month, 1))  # fmt: skip
    if kind == "ago":
        n = 1 if g["n"].lower() in ("a", "an") else int(g["n"]) if g["n"].isdigit() else V.ONES[g["n"].lower()]
        unit = g["unit"].lower()
        if unit in ("day", "week"):
            day = article - dt.timedelta(days=n * (7 if unit == "week" else 1))
        else:
            months = article.year * 12 + article.month - 1 - n * (12 if unit == "year" else 1)
            y, mo = divmod(months, 12)
            day = dt.date(y, mo + 1, min(article.day, calendar.monthrange(y, mo + 1)[1]))
        return DateRef(m.start(), m.end(), m.group(0), day, role, f"{quoted} = {n} {unit}(s) before the article", 0.7)
    rel = g["rel"].lower()
    year_edge = re.fullmatch(r"(?:the )?(start|beginning|end) of (the|this|last) year", rel)
    if year_edge:
        y = article.year - (1 if year_edge.group(2) == "last" else 0)
        day = dt.date(y, 1, 1) if year_edge.group(1) != "end" else _capped(dt.date(y, 12, 31), article)
        return DateRef(m.start(), m.end(), m.group(0), day, role, f"{quoted} = {day}", 0.75)
    if rel in ("today", "tonight", "now", "right now", "currently", "so far", "to date", "this week", "this month", "this year"):
        return DateRef(m.start(), m.end(), m.group(0), article, role, f"{quoted} = the article's date", 0.9, now=True)
    if rel == "yesterday":
        return DateRef(m.start(), m.end(), m.group(0), article - dt.timedelta(days=1), role, quoted, 0.85)
    if rel == "last week":
        return DateRef(m.start(), m.end(), m.group(0), article - dt.timedelta(days=7), role, f"{quoted} = 7 days before the article", 0.6)
    if rel in ("last month", "late last month", "early last month"):
        prev = article.replace(day=1) - dt.timedelta(days=1)
        day = prev.replace(day=7) if rel.startswith("early") else prev
        return DateRef(m.start(), m.end(), m.group(0), day, role,
                       f"{quoted} = {'early in' if rel.startswith('early') else 'the last day of'} the month before the article", 0.7,
                       first=prev.replace(day=1))  # fmt: skip
    if rel == "last year":
        return DateRef(m.start(), m.end(), m.group(0), dt.date(article.year - 1, 12, 31), role, f"{quoted} (its last day)", 0.7,
                       first=dt.date(article.year - 1, 1, 1))  # fmt: skip
    wd = rel.removeprefix("on ")
    target = list(calendar.day_name).index(wd.capitalize())
    back = (article.weekday() - target) % 7
    return DateRef(m.start(), m.end(), m.group(0), article - dt.timedelta(days=back), role,
                   f"{quoted} = the last {wd.capitalize()} on or before the article", 0.7)  # fmt: skip


def _terms(text: str) -> list[DateRef]:
    out = []
    low = text.lower()
    for phrases, start, end in V.TERMS:
        for phrase in phrases:
            for m in re.finditer(rf"\b{re.escape(phrase)}\b", low):
                tail = re.match(r"(?:\s+(?:in|on)\s+(?:january|jan\.?)(?:\s+20(?:,\s*2025)?)?(?:,?\s*2025)?)", low[m.end():])
                stop = m.end() + (tail.end() if tail else 0)
                day = dt.date.fromisoformat(end or start)
                role = "since" if re.search(r"\b(?:since|from)\s+(?:the\s+)?$", low[max(0, m.start() - 12):m.start()]) else "at"
                what = f"'{text[m.start():stop]}' = {'the term of ' + phrase if end else 'inauguration day'}, {day}"
                out.append(DateRef(m.start(), stop, text[m.start():stop], day, role, what, 0.9))
    return out


def find(text: str, article: dt.date) -> list[DateRef]:
    """Every date expression of a (folded) sentence, first to last, none overlapping."""
    refs: list[DateRef] = []
    taken: list[tuple[int, int]] = []
    for ref in _terms(text):
        if all(ref.end <= a or ref.start >= b for a, b in taken):
            refs.append(ref)
            taken.append((ref.start, ref.end))
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            a, b = m.start(), m.end()
            if kind == "year" and g_prep_is_count(text, m):
                continue
            if not all(b <= s or a >= e for s, e in taken):
                continue
            if kind == "m" and not re.search(r"(?i)\b(?:in|since|by|during|until|of|from|to|through|between|end|start|beginning|middle|late|early|mid-)\s*(?:the\s+)?"
                                            r"(?:end of |start of |beginning of |middle of )?$", text[max(0, a - 25):a + len(m.group(0)) - len(m.group("mname"))]):  # fmt: skip
                if not re.match(r"(?i)(?:in|since|by|during|until)\b", m.group(0)):
                    continue  # a bare month name ("May") is too often a verb or a name
            ref = _ref(m, kind, text, article)
            if ref is not None:
                if ref.role == "at" and _SAID.search(text[max(0, a - 40):a]):
                    ref = dataclasses.replace(ref, said=True, how=f"{ref.how}, when the source said it")
                refs.append(ref)
                taken.append((a, b))
    return sorted(refs, key=lambda r: r.start)


#: a date right after a verb of attribution dates the statement ("the agency said last month"):
#: the "now" of what was said is that day, not the article's
_SAID = re.compile(r"\b(?:said|says|reported|reports|announced|posted|published|released|listed|showed|wrote|confirmed|"
                   r"told [\w' ]{1,30}?)\s+(?:on\s+|in\s+|as of\s+)?$", re.I)  # fmt: skip


def g_prep_is_count(text: str, m: re.Match) -> bool:
    """A four-digit number that counts ("2025 agreements") is not a year."""
    return bool(re.match(r"\s+(?:agenc|agreement|deal|partnership|officer|arrest|people|states|counties)", text[m.end():], re.I))
