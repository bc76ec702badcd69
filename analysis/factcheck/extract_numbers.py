"""Figures in a sentence: every number an article prints, as digits or words, with what kind it is.

A figure is a span of the (folded) sentence and a value: a count ("1,001", "twenty-two", "a
million"), a percent ("641%", "600-percent"), money ("$50,000"), a fraction ("a third"), a
multiplier ("triple"), a vague plural ("hundreds": the least it can mean), or something that is a
number only in form: a year, a phone number, a time, part of a name ("287(g)", "One Big Beautiful
Bill"). The rules decide what each means; this module only finds them, so that nothing numeric in
an article goes unseen (the extractor accounts for every figure found here: a claim or a line
saying why not).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

from . import vocabulary as V


@dataclass(frozen=True)
class Figure:
    start: int
    end: int
    text: str
    value: Fraction | None
    kind: str  # count | percent | money | fraction | multiplier | vague | ordinal | year | url | phone | time | name
    words: bool = field(default=False)  # written in words ("three", "hundreds")

    @property
    def number(self) -> int | float | str | None:
        """The value as a claims file prints it: an integer, a decimal or a fraction "1/3"."""
        v = self.value
        if v is None:
            return None
        if v.denominator == 1:
            return int(v)
        if self.kind == "fraction":
            return f"{v.numerator}/{v.denominator}"
        return float(v)


_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_SCALE = r"(?:\s?(?P<scale>million|billion|thousand|k|m|bn)\b)?"
_WORD_ATOMS = sorted([*V.ONES, *V.TENS, *V.SCALES], key=len, reverse=True)
_WORD = r"(?:" + "|".join(_WORD_ATOMS) + r")"
_WORD_RUN = re.compile(rf"\b(?:a\s+(?=hundred|thousand|million|billion))?{_WORD}(?:(?:\s+and\s+|\s+|-){_WORD})*\b", re.I)
_PATTERNS: tuple[tuple[str, re.Pattern], ...] = (
    ("url", re.compile(r"\b(?:https?://|www\.)[^\s<>\"']*\d[^\s<>\"']*")),  # a web address with a digit in it
    ("phone", re.compile(r"\b1-\d{3}-[0-9A-Z]{3}-[0-9A-Z]-?[0-9A-Z]{3,4}\b|\b1-\d{3}-\d{3}-\d{4}\b|\(\d{3}\)\s?\d{3}-\d{4}|\b\d{3}-\d{3}-\d{4}\b")),
    ("name", re.compile(r"\b287\s?\(g\)|\b9/11\b|\b(?:I|US|Highway|Interstate|Route|Title|Section|Chapter|Proposition|Prop|"
                        r"COVID|Fox|Channel|Article|SB|HB|AB)[- ]?\d+[A-Za-z]?\b", re.I)),
    ("time", re.compile(r"\b\d{1,2}(?::\d{2})?\s?(?:a\.m\.|p\.m\.|am\b|pm\b)", re.I)),
    ("money", re.compile(rf"\$\s?(?P<n>{_NUM}){_SCALE}", re.I)),
    ("percent", re.compile(rf"(?P<n>{_NUM})\s?(?:%|-percent\b|\s?percent\b|\s?per cent\b)", re.I)),
    ("count", re.compile(rf"(?<![\w.,])(?P<n>{_NUM}){_SCALE}(?![\w%])", re.I)),
)  # fmt: skip
_ORDINAL_WORD = r"(?P<w>" + "|".join(V.ORDINALS) + r")"
#: a place in a ranking: "12th", or an ordinal word where a ranking uses it ("ranks third", "the
#: second-most", "in fifth place"); other ordinal words ("the first year") are no figures
_ORDINALS = (re.compile(r"\b(?P<n>\d{1,3})(?:st|nd|rd|th)\b", re.I),
             re.compile(rf"\b(?:rank(?:s|ed)?|placed?|finish(?:es|ed)?|is|was|are|were|comes?|came|sits?|sat)\s+(?:no\.\s*)?{_ORDINAL_WORD}\b", re.I),
             re.compile(rf"\b{_ORDINAL_WORD}(?:-|\s)(?:most|largest|highest|biggest|fewest|place)\b", re.I),
             re.compile(rf"\b{_ORDINAL_WORD}\s+(?:among|in the (?:nation|country)|nationally|nationwide)\b", re.I))  # fmt: skip
_SMALL = r"\d{1,3}|" + "|".join(sorted((w for w in V.ONES if w != "zero"), key=len, reverse=True))
_ONE_IN = re.compile(rf"\b(?P<a>{_SMALL})\s+(?:in|out of)\s+(?:every\s+)?(?P<b>{_SMALL})\b(?!\s*(?:percent|%))")
_SCALES = {"thousand": 1000, "k": 1000, "million": 1_000_000, "m": 1_000_000, "billion": 1_000_000_000, "bn": 1_000_000_000}


def _words_value(text: str) -> Fraction:
    total, current = 0, 0
    for w in re.split(r"[\s-]+", text.lower()):
        if w in ("and", "a", ""):
            continue
        if w in V.ONES:
            current += V.ONES[w]
        elif w in V.TENS:
            current += V.TENS[w]
        elif w == "hundred":
            current = max(current, 1) * 100
        else:
            total += max(current, 1) * V.SCALES[w]
            current = 0
    return Fraction(total + current)


def _free(taken: list[tuple[int, int]], a: int, b: int) -> bool:
    return all(b <= s or a >= e for s, e in taken)


def figures(text: str, dates: list[tuple[int, int]] = ()) -> list[Figure]:
    """Every figure in ``text`` (a folded sentence), in order. Spans in ``dates`` are date
    expressions: their numbers come back as kind "date" so that they too are accounted for."""
    out: list[Figure] = []
    taken: list[tuple[int, int]] = []

    def add(a: int, b: int, value, kind: str, words: bool = False) -> None:
        if _free(taken, a, b):
            taken.append((a, b))
            out.append(Figure(a, b, text[a:b], value, kind, words))

    for a, b in dates:  # numbers inside a date are the date's
        for m in re.finditer(rf"{_NUM}|{_WORD_RUN.pattern}|\bquarter\b|\bhalf\b", text[a:b], re.I):
            add(a + m.start(), a + m.end(), None, "date")
    for pattern in _ORDINALS:
        for m in pattern.finditer(text):
            a, b = m.span("w") if m.groupdict().get("w") else (m.start(), m.end())
            if all(b <= s or a >= e for s, e in dates):
                value = V.ORDINALS[m.group("w").lower()] if m.groupdict().get("w") else int(m.group("n"))
                add(a, b, Fraction(value), "ordinal", bool(m.groupdict().get("w")))
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            if kind in ("url", "phone", "name", "time"):
                add(m.start(), m.end(), None, kind)
                continue
            n = Fraction(m.group("n").replace(",", ""))
            scale = (m.groupdict().get("scale") or "").lower()
            if kind == "count" and scale in ("m", "k", "bn") and not text[:m.start()].endswith("$"):
                scale = ""  # "5 m" is not five million outside money
            n *= _SCALES.get(scale, 1)
            end = m.end() if scale or kind != "count" else m.start() + len(m.group("n"))
            if kind == "count" and re.fullmatch(r"(?:19|20)\d\d", m.group("n")) and not scale:
                add(m.start(), end, n, "year")
                continue
            add(m.start(), end, n, kind)
    lower = text.lower()
    for m in _ONE_IN.finditer(lower):  # "one in five", "3 out of 10": a share
        a, b = (int(x) if x.isdigit() else V.ONES[x] for x in (m.group("a"), m.group("b")))
        if 0 < a < b:
            add(m.start(), m.end(), Fraction(a, b), "fraction", not m.group("a").isdigit())
    for phrase, value in sorted(V.FRACTIONS.items(), key=lambda kv: -len(kv[0])):
        for m in re.finditer(rf"\b{re.escape(phrase)}\b", lower):
            add(m.start(), m.end(), value, "fraction", True)
    for phrase, value in sorted(V.VAGUE.items(), key=lambda kv: -len(kv[0])):
        for m in re.finditer(rf"\b{re.escape(phrase)}\b", lower):
            add(m.start(), m.end(), Fraction(value), "vague", True)
    for word, value in V.MULTIPLIERS.items():
        for m in re.finditer(rf"\b{word}\b", lower):
            add(m.start(), m.end(), Fraction(value), "multiplier", True)
    for m in _WORD_RUN.finditer(text):
        tail = re.match(r"(?:\s?-?\s?percent\b|\s?per cent\b)", text[m.end():], re.I)
        if tail:
            add(m.start(), m.end() + tail.end(), _words_value(m.group(0)), "percent", True)
        else:
            add(m.start(), m.end(), _words_value(m.group(0)), "count", True)
    return sorted(out, key=lambda f: f.start)
