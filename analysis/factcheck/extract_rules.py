"""How a sentence about 287(g) becomes claims: the rules, one per way a story states a number.

Each rule reads a folded sentence (:mod:`article_text`) with its figures (:mod:`extract_numbers`)
and dates (:mod:`extract_dates`) and drafts claims in the claims-file format: a measure the engine
computes, the printed figure, a comparison the wording sets, the day, a confidence and a one-line
reading. A figure no rule maps is still a claim, ``not_checkable`` with the reason "not understood",
and a figure that is no claim at all (a year, a phone number, "287(g)") is a skip line saying why:
nothing numeric leaves the article unaccounted for.

The rules are this domain's: a count is of the unit its noun names, a change without a printed
base runs from the second administration's first day, a state named in the clause filters the
count, "most" over a list of states is a top-n set, and so on. Each rule states its reading in the
draft, so the person correcting the file sees why it was read that way.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from . import vocabulary as V
from .extract_dates import DateRef
from .extract_numbers import Figure, figures


@dataclass
class Draft:
    """One drafted claim, before ids and TOML: what a claims file's [[claim]] holds, and its figures."""

    date: dt.date
    claimed: Any
    comparison: Any  # a type name or a table
    measure: dict | None = None
    reason: str = ""
    also_units: bool = False
    confidence: float = 0.8
    reading: str = ""
    note: str = ""
    spans: list[tuple[int, int]] = field(default_factory=list)  # the figures of the sentence it accounts for
    label: str = ""  # a few words for its id


@dataclass(frozen=True)
class Context:
    article_date: dt.date
    on_topic: bool
    counties: Any = None  # county name -> [(state, population)] for names printed without a state


# --------------------------------------------------------------------------------------------
# places


def states_in(text: str) -> list[tuple[int, int, str]]:
    """(start, end, USPS) of every state named in ``text``, names then AP abbreviations, first to last."""
    found: list[tuple[int, int, str]] = []
    for name, code in V.state_names():
        for m in re.finditer(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text):
            if all(m.end() <= a or m.start() >= b for a, b, _ in found):
                if name == "Washington" and re.match(r"\s*(?:Post|Times|,\s*D\.?C)", text[m.end():]):
                    continue  # the capital or a newspaper, not the state
                if name in ("Georgia", "Washington") and re.search(r"(?:of|in|the)\s*$", text[:m.start()]) is None and \
                        re.match(r"\s+(?:Street|Avenue|Road)", text[m.end():]):
                    continue
                found.append((m.start(), m.end(), code))
    for ap, code in V.state_abbreviations().items():
        for m in re.finditer(rf"(?<![\w.]){re.escape(ap)}", text):
            if all(m.end() <= a or m.start() >= b for a, b, _ in found):
                found.append((m.start(), m.end(), code))
    for m in re.finditer(r"(?<=, )([A-Z]{2})\b|\(([A-Z]{2})\)|\b[RD]-([A-Z]{2})\b", text):
        code = next(g for g in m.groups() if g)
        if code in V.usps_codes() and all(m.end() <= a or m.start() >= b for a, b, _ in found):
            found.append((m.start(), m.end(), code))
    return sorted(found)


_COUNTY = re.compile(r"\b((?:[A-Z][\w.'-]*\s){0,3}?[A-Z][\w.'-]*)\s(County|Parish|Borough)\b")
_BARE_COUNTY = re.compile(r"\b(Miami-Dade)\b")


def counties_in(text: str, ctx: Context) -> list[dict]:
    """Counties named in ``text``: {name, state, start, end, how}; the state from the words after
    the name ("Bucks County, Pennsylvania"), else the most populous county of that name."""
    out = []
    seen: set[int] = set()
    for m in sorted([*_COUNTY.finditer(text), *_BARE_COUNTY.finditer(text)], key=lambda m: m.start()):
        if m.start() in seen:
            continue
        seen.add(m.start())
        words = m.group(1).split()
        while words and words[0] in ("The", "In", "Chicago's", "Houston's", "And", "While", "With", "From", "Of"):
            words = words[1:]
        if not words:
            continue
        name = " ".join(words) + (" " + m.group(2) if m.lastindex and m.lastindex >= 2 else " County")
        after = text[m.end():m.end() + 40]
        state, how = None, ""
        sm = re.match(r",\s*", after)
        if sm:
            named = [s for s in states_in(after[sm.end():]) if s[0] == 0]
            if named:
                state, how = named[0][2], "the state printed after it"
        options = ctx.counties.get(name.lower(), []) if ctx.counties else []
        named = list(dict.fromkeys(c for _, _, c in states_in(text)))
        if state is None and len(named) == 1 and (not options or named[0] in {o[0] for o in options}):
            state, how = named[0], "the one state the sentence names"
        if state is None and options:
            state = max(options, key=lambda o: o[1])[0]
            how = "the only county of that name" if len(options) == 1 else \
                f"the most populous of {len(options)} counties of that name"
        out.append({"name": name, "state": state, "start": m.start(), "end": m.end(), "how": how})
    return out


# --------------------------------------------------------------------------------------------
# wording


def comparison_before(text: str, start: int) -> tuple[str, dict, str, str]:
    """The comparison the words just before a figure set: (type, parameters, strength, the words)."""
    before = text[max(0, start - 30):start].lower()
    for words, ctype, params, strength in V.COMPARISON_WORDS:
        if re.search(rf"\b{re.escape(words)}\s*(?:a |an |the )?$", before):
            return ctype, dict(params), strength, words
    return "", {}, "", ""


def unit_noun(text: str, start: int, *, window: int = 60) -> tuple[str, str, str, int] | None:
    """The unit noun a figure counts: (unit, kind, the noun as printed, its end) from the words after it."""
    rest = text[start:start + window]
    low = rest.lower()
    of = re.match(r"\s+of\s+(?:the\s+)?", low)  # "hundreds of agencies", "thousands of deals"
    pos = of.end() if of and re.search(r"(?:s|dozen)$", text[max(0, start - 12):start].lower()) else 0
    for _ in range(8):
        m = re.match(r"\s*(?:-\s*)?", low[pos:])
        pos += m.end()
        for pattern, unit, kind in V.UNIT_NOUNS:
            nm = re.match(rf"(?:{pattern})\b", low[pos:])
            if nm:
                return unit, kind, rest[pos:pos + nm.end()], start + pos + nm.end()
        state = next((b for a, b, _ in states_in(rest[pos:pos + 25]) if a == 0), None)
        if state is not None:  # "a dozen Virginia sheriffs", "31 Ohio agencies"
            pos += state
            continue
        word = re.match(r"[\w'()-]+,?", low[pos:])
        if not word or word.group(0).rstrip(",") not in V.NOUN_FILLERS:
            return None
        pos += word.end()
    return None


def first_unit_noun(text: str) -> tuple[str, str, str] | None:
    low = text.lower()
    best = None
    for pattern, unit, kind in V.UNIT_NOUNS:
        if unit in ("states", "counties"):
            continue
        m = next((m for m in re.finditer(rf"\b(?:{pattern})\b(?!'s)", low)), None)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), unit, kind, text[m.start():m.end()])
    return best[1:] if best else None


def models_in(text: str) -> list[tuple[int, int, str]]:
    low = text.lower()
    return sorted((m.start(), m.end(), code) for phrase, code in V.model_phrases() for m in re.finditer(rf"\b{phrase}\b", low))


def clauses(text: str) -> list[tuple[int, int]]:
    """The clauses of a sentence (split at "; ", " - ", ", while", ", but", ", whereas", ", up from",
    ", and" unless a list of states runs through it), as spans."""
    cuts = [0]
    ends = {b for _, b, _ in states_in(text)}
    for m in re.finditer(r";\s|\s-\s|,\s(?:while|but|whereas|although)\s|:\s|,\s(?=(?:up|down) from\b|compared (?:with|to)\b)|"
                         r",\s+and\s+", text):  # fmt: skip
        if m.group(0).strip().endswith("and") and m.start() in ends:
            continue  # "Nevada, Oregon, and ...": a list of states, not a second clause
        cuts.append(m.start())
    cuts.append(len(text))
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]


def clause_of(spans: list[tuple[int, int]], pos: int) -> tuple[int, int]:
    return next(((a, b) for a, b in spans if a <= pos < b), spans[-1])


_COMPARED = re.compile(r"\b(?:behind|after|ahead of|than|trailing|trails|below|above|besides|except|other than|"
                       r"compared (?:with|to))\s+(?:the state of\s+)?", re.I)  # fmt: skip


def compared_states(text: str) -> set[int]:
    """Starts of the states a clause compares with ("behind Florida and Texas", "more than in
    Ohio"): objects of the comparison, never the clause's subject or filter."""
    named = states_in(text)
    out: set[int] = set()
    for m in _COMPARED.finditer(text):
        end = None
        for a, b, _ in named:
            if a < m.end():
                continue
            if (end is None and a == m.end()) or (end is not None and re.fullmatch(r"\s*(?:,|,?\s*(?:and|or))\s*", text[end:a])):
                out.add(a)
                end = b
            else:
                break
    return out


def _name(code: str) -> str:
    return next(name for name, c in V.state_names() if c == code and name not in ("D.C.", "Washington, D.C."))


def state_list(text: str) -> list[tuple[int, int, str]]:
    """Runs of two or more states joined by commas and "and" ("Texas, Florida, Georgia, North Carolina and Virginia")."""
    named = states_in(text)
    runs, current = [], []
    for s in named:
        if current and re.fullmatch(r"\s*(?:,|,?\s*(?:and|or))\s*", text[current[-1][1]:s[0]]):
            current.append(s)
        else:
            if len(current) >= 2:
                runs.append(current)
            current = [s]
    if len(current) >= 2:
        runs.append(current)
    return max(runs, key=len) if runs else []


# --------------------------------------------------------------------------------------------
# the rules


def base_day(refs: list[DateRef], ctx: Context, at: int | None = None,
             clause: tuple[int, int] | None = None, sentence: str = "") -> tuple[dt.date, str, float]:
    """The day a figure speaks of: a date of its clause, else of the sentence (the one nearest before
    the figure, else the first), else the article's date. When a source is quoted with a date ("the
    agency said last month"), the statement's "now" is that day."""
    days = [r for r in refs if r.role == "at" and r.day is not None]
    if any(r.said for r in days):
        days = [r for r in days if not r.now]
    if clause is not None and any(clause[0] <= r.start < clause[1] for r in days) and not any(r.said for r in days):
        days = [r for r in days if clause[0] <= r.start < clause[1]]
    if days:
        before = [r for r in days if at is not None and r.start < at]
        after = [r for r in days if at is not None and r.start > at and _OWN_DATE.fullmatch(sentence[at:r.start])] if sentence else []
        r = after[0] if after else before[-1] if before else days[0]
        return r.day, r.how, r.confidence
    return ctx.article_date, V.UNDATED, 0.75


#: the words between a figure and a date that are its own ("318 as of March 31", "62 agreements on April 8")
_OWN_DATE = re.compile(r"[\d,.]*\s+(?:[\w'()-]+\s+){0,3}?(?:as of|on|by|at the end of|through)\s+(?:the\s+)?", re.I)


def since_day(refs: list[DateRef], ctx: Context) -> tuple[dt.date, str, float]:
    """A change's base: a "since"/"from"/"between" date of the sentence, else the start of the period
    the change is dated by ("doubled in 2025": from 2025-01-01), else the second term's first day."""
    for r in refs:
        if r.role == "since" and r.day is not None:
            return r.day, f"since {r.how}", r.confidence
    for r in refs:
        if r.role == "at" and r.first is not None and r.first < ctx.article_date:
            return r.first, f"over {r.how.split(' (')[0]}: from its first day, {r.first}", r.confidence
    base = dt.date.fromisoformat(V.DEFAULT_SINCE)
    if ctx.article_date > base:
        return base, f"no base date printed: since {V.DEFAULT_SINCE}, the second administration's first day", 0.6
    return ctx.article_date.replace(year=ctx.article_date.year - 1), "no base date printed: a year before the article", 0.4


def comparison_of(ctype: str, params: dict) -> Any:
    return {"type": ctype, **params} if params else ctype


def count_comparison(ctype: str, params: dict, day: dt.date, dhow: str, ctx: Context) -> Any:
    """A printed count's comparison: its words' (a floor dated only by the article gets the
    release-lag band), else a bare count's (a wider band when nothing but the article dates it)."""
    if not ctype:
        return comparison_of(*(V.BARE_COUNT_UNDATED if dhow == V.UNDATED else V.BARE_COUNT))
    if ctype in ("more_than", "at_least") and day == ctx.article_date:
        params = {**V.RELEASE_LAG, **params}
    return comparison_of(ctype, params)


_CHANGE_UP = r"increas|grew|grow|rose|rise|risen|jump|surge|climb|soar|expan|\bup\b|multipl|boost|doubl|tripl|quadrupl|\w+fold\b"
_CHANGE_DOWN = r"decreas|declin|fell|fall|drop|shr[aiu]nk|\bdown\b|cut\b|plung|slid"
_END_VERB = re.compile(r"\b(?:back(?:ed)? out of|end(?:ed)?|terminat\w*|withdr[ae]w from|pull(?:ed)? out of|exit(?:ed)?|"
                       r"cancel+ed|scrap+ed|drop+ed|quit|ditch\w*|rescind\w*)\b", re.I)  # fmt: skip
_NEW_VERB = re.compile(r"\b(?:new|signed|added|joined|inked)\b", re.I)
#: agencies counted as asking to join are pending applications
_ASKED = re.compile(r"\b(?:asked|applied|applying|requested|requesting|seeking|sought|waiting|lined up) (?:to join|for)\b|"
                    r"\bpending (?:requests?|applications?)\b|\bhave applied\b", re.I)  # fmt: skip


def _with_base(sentence: str, clause: tuple[int, int]) -> tuple[int, int]:
    """A figure's clause for its filters; "..., up from just 9" is the clause before it at another date."""
    if clause[0] > 0 and re.match(r",?\s*(?:up|down) from\b|,?\s*compared (?:with|to)\b", sentence[clause[0]:]):
        return clause_of(clauses(sentence), clause[0] - 1)[0], clause[1]
    return clause


def without_dates(text: str, refs: list[DateRef]) -> str:
    """The text with its date expressions blanked (same length), for the verbs a rule looks for."""
    for r in refs:
        text = text[:r.start] + " " * (r.end - r.start) + text[r.end:]
    return text


def not_a_figure(text: str, f: Figure) -> str:
    if f.kind == "date":
        return "part of a date"
    if f.kind == "year":
        return "a year, not a count"
    if f.kind == "phone":
        return "a phone number"
    if f.kind == "url":
        return "part of a web address"
    if f.kind == "time":
        return "a time of day"
    if f.kind == "name":
        return "the programme's name" if "287" in f.text else "part of a name"
    if f.kind == "count" and f.words and f.value == 1:
        nxt = unit_noun(text, f.end)
        if nxt is None:
            return "'one' introduces an example or a name, not a count"
    if f.kind == "count" and re.match(r"\s*(?:[A-Z][a-z]+\s){1,3}(?:Bill|Act|Program|Plan)\b", text[f.end:]) and f.words:
        return "part of a name"
    if f.kind == "count" and not f.words and re.search(r"\b[A-Z][a-z]+,\s*$", text[:f.start]) and re.match(r",\s+(?:[a-z]|who\b)", text[f.end:]) \
            and f.value is not None and 1 <= f.value < 120:
        return "a person's age (news style: 'Name, 58, said')"
    return ""


def count_measure(unit: str, kind: str) -> dict:
    m: dict = {}
    if kind == "pending":
        m["kind"] = "pending"
    if unit == "agencies":
        m["unit"] = "agencies"
    elif kind != "pending":
        m["unit"] = "agreements"
    return m


#: a place filters a figure's count only when named this near it (characters) in its clause
PLACE_WINDOW = 100


def filters(sentence: str, clause: tuple[int, int], ctx: Context, measure: dict, notes: list[str],
            near_at: int | None = None, phrase: tuple[int, int] | None = None) -> None:
    """The clause's places and models as the measure's filters; a model only from the figure's own
    noun phrase (``phrase``: after the figure, or the subject a figure is the number of)."""
    text = sentence[clause[0]:clause[1]]
    near = near_at - clause[0] if near_at is not None else None

    def close(start: int) -> bool:
        return near is None or abs(start - near) <= PLACE_WINDOW

    compared = compared_states(text)
    named = [c for a, _, c in states_in(text) if close(a) and a not in compared]
    counties = [c for c in counties_in(text, ctx) if close(c["start"])]
    after = sentence[slice(*phrase)] if phrase else sentence[near_at:near_at + 40] if near_at is not None else text
    models = sorted({c for a, _, c in models_in(after) if not re.search(r"\d", after[:a])})  # the figure's own noun phrase
    if counties and counties[0]["state"]:
        c = counties[0]
        measure["agency"] = c["name"].removesuffix(" Parish").removesuffix(" Borough")
        measure["state"] = c["state"]
        notes.append(f"{c['name']} as words of the agency's name, in {c['state']} ({c['how']})")
    elif named:
        uniq = list(dict.fromkeys(named))
        measure["state"] = uniq[0] if len(uniq) == 1 else uniq
        notes.append(f"in {', '.join(uniq)}")
    if models:
        measure["model"] = models[0] if len(models) == 1 else models
        notes.append(f"model {', '.join(models)}")


def figure(sentence: str, f: Figure, refs: list[DateRef], ctx: Context, spans) -> Draft:
    """One figure on its own: a count of a unit, a change, a share, a rule, or not understood."""
    clause = clause_of(spans, f.start)
    ctext = sentence[clause[0]:clause[1]]
    day, dhow, dconf = base_day(refs, ctx, f.start, clause, sentence)
    ctype, params, strength, words = comparison_before(sentence, f.start)
    span = [(f.start, f.end)]
    quoted = f"'{f.text}'"
    if f.kind == "money" or _policy_figure(sentence, f, ctext):
        bands = [m.span() for m in re.finditer(r"\d+%\s*-\s*\d+%", sentence)] if f.kind == "money" else []
        return Draft(day, f.number, "policy", reason=V.POLICY_REASON, confidence=0.8, spans=span + bands,
                     reading=f"{quoted}: a programme rule or target (pay, reimbursement, hiring), recorded as policy", label="policy")  # fmt: skip
    noun = unit_noun(sentence, f.end)
    if noun is None and f.kind in ("count", "vague"):
        noun = noun_before(sentence, f, clause)
    if noun and noun[1] == "pending" and not re.search(r"287|pending|await|waiting|under review|yet to be (?:approved|signed)|"
                                                       r"in the pipeline", ctext, re.I):  # fmt: skip
        noun = None  # applications to something else (jobs): not 287(g) applications
    if noun and f.kind in ("count", "vague") and noun[0] in ("agencies", "agreements"):
        target = re.search(r"\b(?:entice|aims? to|goal|plans? to|hopes? to|seeks? to|wants? to|target|expects? to|would|will)\b",
                           sentence[clause[0]:f.start]) or re.match(r"\s+more\b", sentence[f.end:])  # fmt: skip
        if target:
            return Draft(day, f.number, "policy", reason="a target or goal, not a count on any day: " + V.POLICY_REASON,
                         confidence=0.6, spans=span, label="target",
                         reading=f"{quoted} {noun[2]}: a target ({target.group(0).strip()!r}), not a count")  # fmt: skip
        return _count(sentence, f, noun, refs, ctx, clause, day, dhow, dconf, (ctype, params, strength, words))
    if noun and f.kind in ("count", "vague") and noun[0] == "states":
        c = comparison_of(ctype or ("at_least" if f.kind == "vague" else V.BARE_STATES[0]), params if ctype else dict(V.BARE_STATES[1]))
        return Draft(day, f.number, c, {"unit": "agreements", "statistic": "n_states"}, confidence=min(0.85, dconf), spans=span,
                     reading=f"{quoted} {noun[2]}: the number of states (and DC) with any agreement, {dhow}"
                             + (f"; '{words}' -> {ctype}" if ctype else ""), label="states")  # fmt: skip
    if noun and noun[0] == "counties":
        return unknown(f, day, "a count of counties (the engine counts agreements, agencies, states and residents, not counties)")
    for pattern, reason in V.UNCHECKABLE:
        if pattern.search(ctext):
            return Draft(day, f.number, "not_checkable", reason=reason, confidence=0.7, spans=span,
                         reading=f"{quoted}: about {reason.split(':')[0]}, which no pinned data count", label="uncheckable")  # fmt: skip
    if f.kind in ("percent", "count") and V.POLICY.search(sentence) and not re.search(_CHANGE_UP + "|" + _CHANGE_DOWN, ctext, re.I):
        return Draft(day, f.number, "policy", reason=V.POLICY_REASON, confidence=0.6, spans=span, label="policy",
                     reading=f"{quoted} in a sentence about pay, reimbursement or hiring: recorded as policy")  # fmt: skip
    if f.kind in ("percent", "multiplier") and re.search(_CHANGE_UP + "|" + _CHANGE_DOWN, ctext, re.I):
        return _change(sentence, f, refs, ctx, clause, (ctype, params, strength, words))
    if f.kind in ("percent", "fraction"):
        share = _share(sentence, f, refs, ctx, clause, (ctype, params, strength, words))
        if share is not None:
            return share
    return unknown(f, day, f"{quoted} in \u201c{ctext.strip()[:80]}\u201d: no unit, change or share it counts")


def _policy_figure(sentence: str, f: Figure, clause: str) -> bool:
    after = sentence[f.end:f.end + 60].lower()
    if f.kind == "percent" and re.search(r"salar|\bpay\b|overtime|bonus|benefit", after):
        return True
    if f.kind in ("count", "vague") and re.search(r"^\s*(?:of\s+)?(?:new\s+)?(?:federal\s+)?(?:officers|hires|agents|employees|staff|recruits|"
                                                  r"positions|deportation officers)", after) \
            and re.search(r"\b(?:hire|hiring|recruit|add|employ)", clause, re.I):  # fmt: skip
        return True
    return False


_COMPARING = "|".join(re.escape(w) for w, *_ in V.COMPARISON_WORDS)
#: a verb that makes the figure after it the number of the noun before it ("warrant service
#: agreements number about 330", "reaching 64", "applications ... total three")
_LINKING = re.compile(r"\b(?:numbers?|numbered|totals?|totaled|totalled|totaling|reach(?:es|ed|ing)?|hit|hits|stands? at|stood at|"
                      r"came to|(?:climbed|rose|grew|jumped|swelled|fell|dropped|declined|increased|decreased|shrank) to|"
                      r"(?:bringing|brings|brought|raising|raised|pushing|pushed|taking|took) (?:its|the|their|that) "
                      r"(?:total|tally|count|number) to)\s+"
                      rf"(?:(?:{_COMPARING})\s+)?$", re.I)  # fmt: skip
#: "Of the Tennessee agreements, 30 ...": a part of the noun before it
_PARTITIVE = re.compile(r"\b(?:of|among) (?:the|these|those|its|their|all) ([^,;]{0,60}?),\s*(?:(?:" + _COMPARING + r")\s+)?$", re.I)
#: a possessive verb with no noun after the figure, or "up from": the noun of the figure before
#: ("South Carolina agencies hold 58 agreements, while Georgia has 71"; "46 ..., up from just 9")
_ELLIPSIS = re.compile(rf"\b(?:has|have|had|holds?|held|counts?|counted|lists?|listed)\s+(?:(?:{_COMPARING})\s+)?$", re.I)


def noun_before(sentence: str, f: Figure, clause: tuple[int, int], depth: int = 0) -> tuple[str, str, str, int] | None:
    """The noun a figure with none after it counts, from the words before it: "from 135 agreements
    to 1,001", "agreements now number about 330", "..., while Georgia has 71"."""
    head = sentence[:f.start]
    prev = re.search(r"\bfrom\s+(?:\S+\s+)?(\d[\d,]*)\s+([\w' ]+?)\s+to\s+(?:(?:" + _COMPARING + r")\s+)?$", head)
    if prev:
        return unit_noun(sentence, prev.end(1))
    link = _LINKING.search(head)
    if link:
        subject = sentence[clause[0]:link.start()].lower()
        best = None
        for pattern, unit, kind in V.UNIT_NOUNS:
            if unit == "counties":
                continue
            for m in re.finditer(rf"\b(?:{pattern})\b(?!')", subject):
                if best is None or m.end() > best[0] or (m.end() == best[0] and m.start() < best[1]):
                    best = (m.end(), m.start(), unit, kind)
        if best:
            end, start = clause[0] + best[0], clause[0] + best[1]
            return best[2], best[3], sentence[start:end], end
    part = _PARTITIVE.search(head)
    if part:
        noun = first_unit_noun(part.group(1))
        if noun:
            return noun[0], noun[1], noun[2], f.end  # the figure is a part of it: what follows says which part
    if _ELLIPSIS.search(head) or re.search(rf"\b(?:up|down) from\s+(?:(?:{_COMPARING})\s+)?$", head, re.I):
        spans = clauses(sentence)
        for g in reversed([g for g in figures(head) if g.kind in ("count", "vague")]):
            noun = unit_noun(sentence, g.end) or (noun_before(sentence, g, clause_of(spans, g.start), depth + 1) if depth < 2 else None)
            if noun:
                return noun
    return None


def unknown(f: Figure, day: dt.date, why: str) -> Draft:
    return Draft(day, f.number if f.number is not None else f.text, "not_checkable", reason=f"not understood: {why}",
                 confidence=0.2, spans=[(f.start, f.end)], reading=f"'{f.text}' not mapped to a measure", label="not-understood")  # fmt: skip


def _count(sentence, f: Figure, noun, refs, ctx, clause, day, dhow, dconf, comp) -> Draft:
    unit, kind, printed, _ = noun
    ctype, params, strength, words = comp
    notes: list[str] = []
    if kind == "participating" and _ASKED.search(sentence):  # "a dozen sheriffs have asked to join"
        kind = "pending"
    measure = count_measure(unit, kind)
    before = without_dates(sentence, refs)[clause[0]:f.start]  # "by the end of July" ends nothing
    confidence = min(0.9, dconf)
    reading = f"'{f.text}' {printed}: {'pending applications' if kind == 'pending' else unit}"
    if _END_VERB.search(before[-60:]) and not re.search(r"\b(?:may|might|could|would|will)\b", before[-60:]):
        since, show, sconf = since_day(refs, ctx)
        measure.update(statistic="removed", since=since.isoformat())
        reading += f" that ended ({_END_VERB.search(before[-60:]).group(0)!r}), {show}"
        confidence = min(confidence, sconf + 0.1)
    elif _NEW_VERB.search(before[-40:] + " " + printed) and any(r.role == "since" or r.first for r in refs):
        since, show, sconf = since_day(refs, ctx)
        measure.update(statistic="added", since=since.isoformat())
        reading += f" added {show}"
    start = noun[3] - len(printed)
    phrase = (max(clause[0], start - 40), noun[3]) if noun[3] <= f.start else (f.end, f.end + 40)
    filters(sentence, _with_base(sentence, clause), ctx, measure, notes, f.start, phrase)
    if "model" not in measure:  # "The jail enforcement model covers about 170 agreements": the clause's subject
        head = sentence[clause[0]:f.start]
        models = [c for a, b, c in models_in(head) if not re.search(r"\d", head[b:])]
        if models:
            measure["model"] = models[-1]
            notes.append(f"model {models[-1]} (the clause's subject)")
    if f.kind == "vague" and f.text.lower() in V.ROUND and not ctype:
        ctype, params = V.ROUND[f.text.lower()][0], dict(V.ROUND[f.text.lower()][1])
        reading += f"; '{f.text}' read as about {f.number}"
        f = Figure(f.start, f.end, f.text, f.value, "count", f.words)
    elif f.kind == "vague":
        ctype, params = ctype or "at_least", params if ctype else {}
        reading += f"; '{f.text}' read as at least {f.number}"
        confidence = min(confidence, 0.6)
    also = unit == "agencies" and measure.get("statistic", "count") == "count"
    reading += f", {dhow}" + (f"; '{words}' -> {ctype}" if words else "") + (f"; {'; '.join(notes)}" if notes else "")
    comparison = comparison_of(ctype, params) if f.kind == "vague" else count_comparison(ctype, params, day, dhow, ctx)
    return Draft(day, f.number, comparison, measure, also_units=also, confidence=round(confidence, 2),
                 reading=reading, spans=[(f.start, f.end)], label=unit if kind != "pending" else "pending")  # fmt: skip


def _change(sentence, f: Figure, refs, ctx, clause, comp) -> Draft:
    ctype, params, strength, words = comp
    inside = re.search(r"\b(?:increase|rise|growth|jump|surge|climb|decline|drop|fall|decrease)\s+(?:in|of)\s+", sentence[f.end:])
    subject = (first_unit_noun(sentence[f.end + inside.end():]) if inside else None) or first_unit_noun(sentence) or \
        ("agreements", "participating", "287(g) agreements (no noun printed)")
    unit, kind, printed = subject
    measure = count_measure(unit, kind)
    day, dhow, dconf = base_day([r for r in refs if r.role == "at"], ctx, None)
    since, show, sconf = since_day(refs, ctx)
    down = re.search(_CHANGE_DOWN, sentence[clause[0]:clause[1]], re.I) is not None
    value = Fraction(f.value) if f.kind == "percent" else (Fraction(f.value) - 1) * 100
    value = -value if down and f.kind == "percent" else value
    claimed = int(value) if value.denominator == 1 else float(value)
    measure.update(statistic="pct_change", since=since.isoformat())
    notes: list[str] = []
    filters(sentence, clause, ctx, measure, notes)
    if not ctype:
        ctype, params = V.BARE_PERCENT if f.kind == "percent" else ("approx", {"tolerance": 0.1, "partial_tolerance": 0.2})
        params = dict(params)
    elif ctype in ("more_than", "at_least") and day == ctx.article_date:
        params = {**V.RELEASE_LAG, **params}
    what = f"'{f.text}' {'fall' if down else 'rise'} in {printed}" if f.kind == "percent" else f"'{f.text}' = a {claimed}% change of {printed}"
    return Draft(day, claimed, comparison_of(ctype, params), measure, confidence=round(min(dconf, sconf + 0.2, 0.85), 2),
                 spans=[(f.start, f.end)], label="pct-change",
                 reading=f"{what}: percent change {show}, to {day} ({dhow})" + (f"; '{words}' -> {ctype}" if words else "")
                         + (f"; {'; '.join(notes)}" if notes else ""))  # fmt: skip


def _share(sentence, f: Figure, refs, ctx, clause, comp) -> Draft | None:
    ctype, params, strength, words = comp
    after = sentence[f.end:f.end + 80]
    if not re.match(r"\s+of\b", after) and not (f.kind == "fraction" and unit_noun(sentence, f.end)):  # "one in five agreements"
        return None
    subject = first_unit_noun(after) or ("agreements", "participating", "agreements")
    unit, kind, printed = subject
    measure = {**count_measure(unit, kind), "statistic": "share"}
    notes: list[str] = []
    filters(sentence, clause, ctx, measure, notes)
    if not any(k in measure for k in ("state", "model", "agency")):
        return None
    if "agency" in measure:  # a share of one agency is not a share the engine takes: a county's is
        return None
    day, dhow, dconf = base_day(refs, ctx, f.start)
    claimed = f.number if f.kind == "fraction" else Fraction(f.value) / 100
    claimed = f"{claimed.numerator}/{claimed.denominator}" if isinstance(claimed, Fraction) and claimed.denominator != 1 and f.kind != "fraction" else claimed
    if ctype == "more_than":
        comparison = {"type": "share_above", "threshold": claimed, **({"margin": V.WELL_OVER_MARGIN} if strength == "well" else {})}
    elif ctype:
        comparison = comparison_of(ctype, params)
    else:
        comparison = comparison_of(*V.BARE_FRACTION) if f.kind == "fraction" else comparison_of(*V.BARE_PERCENT)
    return Draft(day, claimed, comparison, measure, confidence=round(min(0.85, dconf), 2), spans=[(f.start, f.end)],
                 label="share", reading=f"'{f.text}' of {printed}: a share of all {unit} on the sheet, {'; '.join(notes)}, {dhow}"
                 + (f"; '{words}' -> {comparison['type'] if isinstance(comparison, dict) else comparison}" if words else ""))  # fmt: skip


def breakdown(sentence, figs, refs, ctx, spans) -> list[Draft]:
    """ "22 pending applications - 11 for Jail Enforcement MOAs and 11 for Task Force agreements": a split by model."""
    parts = []
    for f in figs:
        m = re.match(r"\s+(?:for|in|under|as)\s+(?:the\s+)?([\w ]{3,40})", sentence[f.end:])
        if f.kind == "count" and m:
            code = next((c for a, b, c in models_in(m.group(1)) if a == 0), None)
            if code:
                parts.append((f, code))
    if len(parts) < 2:
        return []
    total = next((f for f in figs if f.kind == "count" and f not in [p[0] for p in parts] and unit_noun(sentence, f.end)), None)
    noun = unit_noun(sentence, total.end) if total else first_unit_noun(sentence)
    unit, kind = (noun[0], noun[1]) if noun else ("agreements", "participating")
    day, dhow, dconf = base_day(refs, ctx, parts[0][0].start)
    measure = {**count_measure(unit, kind), "statistic": "breakdown", "by": "model"}
    claimed = {code: f.number for f, code in parts}
    return [Draft(day, claimed, "breakdown", measure, confidence=round(min(0.85, dconf), 2), label="by-model",
                  spans=[(f.start, f.end) for f, _ in parts],
                  reading=f"a split by model ({', '.join(f'{c} {v}' for c, v in claimed.items())}) presented as the whole, {dhow}")]  # fmt: skip


def from_to(sentence, figs, refs, ctx, spans) -> list[Draft]:
    """ "went from 135 agreements to 1,001": the first figure on the base date, the second on the day."""
    out = []
    for m in re.finditer(rf"\bfrom\s+(?:(?:{_COMPARING})\s+)?(\S+)\s+([\w' ]{{0,40}}?)\s*to\s+(?:(?:{_COMPARING})\s+)?(\S+)", sentence,
                         re.I):  # fmt: skip
        first = next((f for f in figs if f.start == m.start(1)), None)
        second = next((f for f in figs if f.start == m.start(3)), None)
        if not first or not second:
            continue
        noun = unit_noun(sentence, first.end) or unit_noun(sentence, second.end)
        if not noun or noun[0] not in ("agencies", "agreements"):
            continue
        since, show, sconf = since_day(refs, ctx)
        day, dhow, dconf = base_day(refs, ctx, second.start)
        for f, d, how, conf in ((first, since, show, sconf), (second, day, dhow, dconf)):
            ctype, params, _, words = comparison_before(sentence, f.start)
            measure = count_measure(noun[0], noun[1])
            notes: list[str] = []
            filters(sentence, clause_of(spans, f.start), ctx, measure, notes)
            comparison = count_comparison(ctype, params, d, how, ctx)
            out.append(Draft(d, f.number, comparison, measure, also_units=noun[0] == "agencies", spans=[(f.start, f.end)],
                             confidence=round(min(conf + 0.1, 0.85), 2), label=noun[0],
                             reading=f"'from {first.text} to {second.text}' {noun[2]}: '{f.text}' {noun[0]}, {how}"))  # fmt: skip
    return out
