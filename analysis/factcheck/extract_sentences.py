"""Claims a sentence makes with or without a figure: "none", "most", "led", "places like",
"a big share", "still growing", "all over the country", "dismantle", an agreement ended or held.

These readings need the whole sentence (a list of states, a verb, a named agency), so they run
before the figure-by-figure rules of :mod:`extract_rules`; a figure they use (the "five" of "five
states: ...") is theirs and no other rule reads it again. :func:`read` applies every rule to one
sentence and accounts for each figure: a claim, or a skip line saying why.
"""

from __future__ import annotations

import datetime as dt
import re

from . import extract_rules as R
from . import vocabulary as V
from .extract_dates import DateRef
from .extract_numbers import Figure
from .extract_rules import Context, Draft

_NONE = re.compile(r"\b(?:have|has) (?:none|no (?:287\(g\) )?(?:agreements|deals|partners|partnerships))\b|"
                   r"\b(?:have|has) yet to (?:sign|join|enter)\b|\b(?:have|has)(?: not|n't) (?:signed|joined)\b|"
                   r"\bwithout (?:any )?(?:287\(g\) )?agreements\b|will not be used as (?:federal )?immigration enforcement|"
                   r"\b(?:bars?|bans?|prohibits?|forbids?)\s+(?:local\s+)?(?:police|law enforcement|officers|agencies)\s+from\s+"
                   r"(?:cooperating|working with ICE|enforcing (?:federal )?immigration|joining|signing|participating)|"
                   r"\b(?:bars?|bans?|prohibits?|forbids?|limits?) cooperation with (?:ICE|federal immigration)",
                   re.I)  # fmt: skip
_COLOURS = "|".join(V.COLOUR_GROUPS)
#: what follows a count of states ("nine states", "two other blue states")
_STATES_AFTER = re.compile(rf"\s+(?:(?P<other>other)\s+)?(?:(?P<colour>{_COLOURS})\s+)?states\b", re.I)
#: a count whose states were named before it ("Among red states, just two have ...")
_AMONG = re.compile(rf"\b(?:among|of) (?:the )?(?:(?P<colour>{_COLOURS})\s+)?states\b", re.I)
_PREDICATE = re.compile(r"\s*(?:of them\s+)?(?:have|has|had|are|were|lack|still)\b", re.I)
_OTHER_GROUP = re.compile(r"\b(?P<det>some|several|many|a few|\w+) other (?P<colour>" + "|".join(V.COLOUR_GROUPS) + r") states\b", re.I)
_MOST = re.compile(r"\bmost\b|\bthe largest number\b|\blead(?:s|ing)? the (?:nation|country)\b|\btop\b", re.I)
_BIG_SHARE = re.compile(r"\b(?P<big>(?:big|large|huge|major|disproportionate|outsized|hefty) share)\b|"
                        r"\b(?P<half>most of|the majority of|a majority of)\b", re.I)  # fmt: skip
_CLUSTER = re.compile(r"\b(?:clustered|concentrated|located)\s+in\b", re.I)
_LIKE = re.compile(r"\b(?:(?:especially|particularly|notably|mostly)\s+in\s+(?:places|states)\s+like|(?:especially|particularly|notably)\s+in|"
                   r"places\s+like|states\s+like|states\s+such\s+as)\s+", re.I)  # fmt: skip
_ORD = "|".join(V.ORDINALS) + r"|\d{1,3}(?:st|nd|rd|th)"
_RANK = re.compile(r"\b(?:led|leads|has led|lead) the (?:nation|country)\b|\bhas the (?:most|largest)\b|\bthe largest\b|"
                   rf"\branks? (?:no\.\s*)?(?P<ord>{_ORD})\b|\b(?P<ord2>{_ORD})(?:-|\s)(?:most|largest|highest|biggest)\b|"
                   rf"\b(?P<ord3>{_ORD}) (?:among the states|in the (?:nation|country)|nationally|nationwide)\b",
                   re.I)  # fmt: skip
_BEHIND = re.compile(r"\b(?:close|closely|not far) behind\b|\btrail(?:ing)? closely\b", re.I)
_GROWING = re.compile(r"\b(?:is|are|keeps|keep|continues to be|continue to be)\s+(?:still\s+)?(?:growing|expanding)\b|\bstill growing\b", re.I)
_COUNTRY = re.compile(r"\ball over the country\b|\bacross the (?:country|nation)\b|\bcoast to coast\b|\bin every state\b|"
                      r"\bnationwide\b", re.I)  # fmt: skip
_DISMANTLE = re.compile(r"\b(?:dismantle|abolish|eliminate|scrap|kill|shut down|end)\s+the\s+287\(g\)\s+program", re.I)
_ENDED_AGENCY = re.compile(r"\b(?:the end of|ended|terminated|cancell?ed)\s+(?P<who>[^.;]{3,60}?)'?s?'?,?\s+agreement\b", re.I)
_ENDED_SOME = re.compile(r"\b(?:led|forced|persuaded|pushed|pressured|prompted)\s+(?P<det>some|several|many|a few|a number of)\s+"
                         r"(?:[\w-]+\s+){0,4}?to\s+(?:end|back out of|withdraw from|terminate|exit|drop|cancel|pull out of)\s+"
                         r"(?:their\s+)?(?:287\(g\)\s+)?agreements", re.I)  # fmt: skip
_MODEL_WORDS = "|".join(re.escape(p) for p, _ in V.model_phrases())
_HELD = re.compile(r"\b(?:backed|supported|signed|joined|entered|holds|held|has|have|had|keeps|kept|maintains|maintained|"
                   r"(?:has |have )?(?:worked|works|operated|operates) under|(?:took|takes) part in|participates in|"
                   r"signed on to|signed up for)\s+(?:still\s+)?(?:a\s+|an\s+|its\s+|the\s+|their\s+)?(?:287\(g\)\s+)?"
                   rf"(?:(?:{_MODEL_WORDS})(?:\s+(?:member|officer|model))?\s+)?"
                   r"(?:cooperation with ICE|agreement|partnership|deal|MOA|program(?:me)?\b)", re.I)  # fmt: skip
_TYPES = re.compile(r"\bfrom\s+(?:[\w-]+\s+){0,3}?(?:counties|sheriffs?|towns|cities)\s+to\s+(?:[\w-]+\s+)?"
                    r"(?P<type>police departments|sheriff's offices)", re.I)  # fmt: skip


def read(sentence: str, figs: list[Figure], refs: list[DateRef], ctx: Context) -> tuple[list[Draft], list[tuple[Figure, str]]]:
    """Drafts and skips for one folded sentence: every figure ends in exactly one of them."""
    drafts: list[Draft] = []
    skips: list[tuple[Figure, str]] = []
    open_figs: list[Figure] = []
    for f in figs:
        why = R.not_a_figure(sentence, f)
        if why:
            skips.append((f, why))
        else:
            open_figs.append(f)
    if not ctx.on_topic:
        skips += [(f, "off topic: neither the sentence nor its paragraph is about ICE, immigration or 287(g)") for f in open_figs]
        return drafts, skips
    spans = R.clauses(sentence)
    for rule in (R.breakdown, R.from_to, sentence_rules):
        drafts += rule(sentence, open_figs, refs, ctx, spans)
        open_figs = [f for f in open_figs if not covered(f, drafts)]
    for f in sorted(open_figs, key=lambda f: f.kind != "money"):  # an amount takes its tier's band ("90% - 100% - $1,000")
        if f.kind == "ordinal" and not covered(f, drafts):
            skips.append((f, "a place in a ranking no rule could tie to a state or county"))
        elif not covered(f, drafts):
            drafts.append(R.figure(sentence, f, refs, ctx, spans))
    return drafts, skips


def covered(f: Figure, drafts: list[Draft]) -> bool:
    return any(a <= f.start and f.end <= b for d in drafts for a, b in d.spans)


def _list_figure(figs: list[Figure], n: int, sentence: str, near: int) -> list[tuple[int, int]]:
    """The figure that counts a list ("five states: ..."), so the list's claim accounts for it."""
    return [(f.start, f.end) for f in figs if f.kind == "count" and f.value == n and abs(f.start - near) < 200
            and re.match(r"\s+(?:[\w-]+\s+){0,2}states\b", sentence[f.end:])]  # fmt: skip


def sentence_rules(sentence: str, figs: list[Figure], refs: list[DateRef], ctx: Context, spans) -> list[Draft]:
    out: list[Draft] = []
    for rule in (_none, _big_share, _like, _top_n, _ranks, _growing, _country, _dismantle, _ended_agency, _ended_some,
                 _held, _types, _fully):  # fmt: skip
        out += rule(sentence, figs, refs, ctx, spans, out)
    return out


def _day(refs, ctx, at=None):
    return R.base_day(refs, ctx, at)


def _none(sentence, figs, refs, ctx, spans, done) -> list[Draft]:
    """States with no agreement: those named in a clause that says so ("Vermont and Maine have no
    287(g) agreements"), and a count of such states ("nine states ... have none", "among red states,
    just two have yet to sign", "several other blue states have none": of a 2024 group, less the
    states named)."""
    hits = list(_NONE.finditer(sentence))
    if not hits:
        return []
    parts = list(dict.fromkeys(R.clause_of(spans, m.start()) for m in hits))
    named: list[str] = []
    agencies: list[dict] = []
    for a, b in parts:
        text = sentence[a:b]
        compared = R.compared_states(text)
        local = [c for c in R.counties_in(text, ctx) if c["state"] and c["end"] < hits[0].start() - a]
        agencies += local
        printed = {s for s, _, _ in R.states_in(text) for c in local if 0 <= s - c["end"] <= 3}  # "Harris County, Texas"
        named += [c for s, _, c in R.states_in(text) if s not in compared and s not in printed]
    named = list(dict.fromkeys(named))
    day, how, conf = _day(refs, ctx, hits[0].start())
    out = [Draft(day, 0, "equal", {"unit": "agreements", "agency": c["name"], "state": c["state"]}, confidence=0.5, label="none",
                 reading=f"{c['name']}, {c['state']} with no agreement ({hits[0].group(0)!r}): no agency of that name listed, {how}")
           for c in agencies[:1]]  # fmt: skip
    if named:
        out.append(Draft(day, [R._name(c) for c in named], "none_in", {"unit": "agreements", "statistic": "breakdown", "by": "state"},
                         confidence=round(min(conf, 0.8), 2), label="none",
                         reading=f"{', '.join(named)} with no agreement ({hits[0].group(0)!r}), {how}"))  # fmt: skip
    for a, b in parts:
        end = next(m.start() for m in hits if a <= m.start() < b)
        for f in figs:
            if not (a <= f.start < end and f.kind in ("count", "vague")):
                continue
            tail = _STATES_AFTER.match(sentence, f.end)
            among = _AMONG.search(sentence, a, f.start)
            if not tail and not (among and _PREDICATE.match(sentence, f.end)):
                continue
            colour = (tail.group("colour") if tail else None) or (among.group("colour") if among else None)
            measure = {"unit": "agreements", "statistic": "states_without"}
            if colour:
                measure["state_group"] = V.COLOUR_GROUPS[colour.lower()]
            if tail and tail.group("other") and named:
                measure["exclude"] = named
            ctype, params, _, words = R.comparison_before(sentence, f.start)
            comparison = R.comparison_of(ctype, params) if ctype else ("at_least" if f.kind == "vague" else "equal")
            group = f"the states {measure['state_group'].split('-')[0]} won in 2024" if colour else "the 50 states and DC"
            out.append(Draft(day, f.number, comparison, measure, confidence=0.6, label="states-without", spans=[(f.start, f.end)],
                             reading=f"'{f.text}' states with no agreement, of {group}"
                                     f"{' besides ' + ', '.join(named) if 'exclude' in measure else ''}"
                                     f"{f'; {words!r} -> {ctype}' if ctype else ''}, {how}"))  # fmt: skip
    if any(d.label == "states-without" for d in out):
        return out
    g = _OTHER_GROUP.search(sentence)
    if g:
        det = g.group("det").lower()
        n = V.VAGUE_DETERMINERS.get(det, 2)
        group = V.COLOUR_GROUPS[g.group("colour").lower()]
        measure = {"unit": "agreements", "statistic": "states_without", "state_group": group}
        if named:
            measure["exclude"] = named
        out.append(Draft(day, n, "at_least", measure, confidence=0.6, label="states-without",
                         reading=f"'{g.group(0)}': at least {n} of the states {group.split('-')[0]} won in 2024"
                                 f"{' besides ' + ', '.join(named) if named else ''} with no agreement, {how}"))  # fmt: skip
    return out


def _big_share(sentence, figs, refs, ctx, spans, done) -> list[Draft]:
    m = _BIG_SHARE.search(sentence) or (_CLUSTER.search(sentence) if re.search(r"\bshare\b", sentence, re.I) else None)
    listed = R.state_list(sentence)
    if not m or not listed:
        return []
    codes = list(dict.fromkeys(c for _, _, c in listed))
    half = bool(m.groupdict().get("half"))
    threshold = "1/2" if half else "1/3"
    noun = R.first_unit_noun(sentence[m.start():]) or ("agreements", "participating", "agreements")
    day, how, conf = _day(refs, ctx)
    return [Draft(day, threshold, {"type": "share_above", "threshold": threshold},
                  {**R.count_measure(noun[0], noun[1]), "state": codes, "statistic": "share"}, confidence=0.5, label="share",
                  spans=_list_figure(figs, len(codes), sentence, listed[0][0]),
                  reading=f"{m.group(0)!r} of {noun[2]} in {', '.join(codes)} together read as more than "
                          f"{'half' if half else 'a third'} of all, {how}")]  # fmt: skip


def _like(sentence, figs, refs, ctx, spans, done) -> list[Draft]:
    if any(d.comparison == "none_in" for d in done):
        return []  # "states such as Illinois and New York have none": examples of the states without, no ranking
    for m in _LIKE.finditer(sentence):
        listed = R.state_list(sentence[m.end():])
        single = R.states_in(sentence[m.end():])
        run = listed if listed and listed[0][0] == 0 else ([single[0]] if single and single[0][0] == 0 and "like" in m.group(0) else [])
        if not run:
            continue
        codes = list(dict.fromkeys(c for _, _, c in run))
        day, how, conf = _day(refs, ctx)
        return [Draft(day, [R._name(c) for c in codes], {"type": "rank_within", "max_rank": len(codes)},
                      {"unit": "agreements", "statistic": "breakdown", "by": "state"}, confidence=0.5, label="lead",
                      reading=f"{m.group(0).strip()!r} {', '.join(codes)}: read as the states ranking 1-{len(codes)} by "
                              f"agreements, {how}")]  # fmt: skip
    return []


def _top_n(sentence, figs, refs, ctx, spans, done) -> list[Draft]:
    listed = R.state_list(sentence)
    m = _MOST.search(sentence)
    if not listed or not m or any(d.label in ("share", "lead") for d in done):
        return []
    codes = list(dict.fromkeys(c for _, _, c in listed))
    noun = R.first_unit_noun(sentence) or ("agreements", "participating", "agreements")
    day, how, conf = _day(refs, ctx)
    return [Draft(day, [R._name(c) for c in codes], "set_equal",
                  {**R.count_measure(noun[0], noun[1]), "statistic": "top_n", "n": len(codes)}, also_units=noun[0] == "agencies",
                  confidence=round(min(conf, 0.75), 2), label="top", spans=_list_figure(figs, len(codes), sentence, listed[0][0]),
                  reading=f"{m.group(0)!r} over {', '.join(codes)}: the top {len(codes)} states by {noun[0]} ({noun[2]!r}), {how}")]  # fmt: skip


def _entity(county: dict) -> str:
    return f"{county['name']}, {county['state']}"


def _ranks(sentence, figs, refs, ctx, spans, done) -> list[Draft]:
    out = []
    counties = [c for c in R.counties_in(sentence, ctx) if c["state"]]
    trac = V.BACKLOG.search(sentence) is not None
    day, how, conf = _day(refs, ctx)
    for m in _RANK.finditer(sentence):
        word = (m.group("ord") or m.group("ord2") or m.group("ord3") or "first").lower()
        k = V.ORDINALS.get(word) or int(re.match(r"\d+", word).group(0))
        place = [(f.start, f.end) for f in figs if f.kind == "ordinal" and m.start() <= f.start < m.end()]
        before = [c for c in counties if c["end"] <= m.start() and m.start() - c["end"] < 80]
        clause = sentence[slice(*R.clause_of(spans, m.start()))]
        if before:
            c = before[-1]
            tail = sentence[m.start():R.clause_of(spans, m.start())[1]]
            reason = None if V.BACKLOG.search(tail) else next((r for p, r in V.UNCHECKABLE if p.search(tail)), None)
            if reason:
                out.append(Draft(day, k, "not_checkable", reason=reason, confidence=0.7, label="rank",
                                 reading=f"{c['name']} {m.group(0)!r}: rank {k} in {reason.split(':')[0]}, which no pinned data count"))
            elif V.BACKLOG.search(tail):
                out.append(Draft(day, k, {"type": "rank", "rank": k, "entity": _entity(c)},
                                 {"source": "trac-county", "statistic": "breakdown"}, confidence=0.7, label="rank",
                                 reading=f"{_entity(c)} {m.group(0)!r} backlog: rank {k} in TRAC's county table of pending cases "
                                         f"({c['how'] or 'state printed'})"))  # fmt: skip
            continue
        subject = _subject_state(sentence, spans, m.start())
        if subject and not trac:
            noun = R.first_unit_noun(clause) or ("agreements", "participating", "agreements")
            out.append(Draft(day, k, "rank", {**R.count_measure(noun[0], noun[1]), "statistic": "rank", "state": subject},
                             confidence=0.6, label="rank", spans=place,
                             reading=f"{subject} {m.group(0)!r}: rank {k} by {noun[0]}, {how}"))  # fmt: skip
    b = _BEHIND.search(sentence)
    if b and trac:
        behind = [c for c in counties if c["start"] > (max((x.start() for x in _RANK.finditer(sentence)), default=-1))
                  and c["end"] <= b.start() + 1]  # fmt: skip
        if behind:
            out.append(Draft(day, [_entity(c) for c in behind], {"type": "rank_within", "min_rank": 2, "max_rank": 1 + len(behind)},
                             {"source": "trac-county", "statistic": "breakdown"}, confidence=0.6, label="behind",
                             reading=f"{', '.join(_entity(c) for c in behind)} {b.group(0)!r}: ranks 2-{1 + len(behind)} in TRAC's "
                                     "county table of pending cases"))  # fmt: skip
    return out


def _subject_state(sentence: str, spans, at: int) -> str | None:
    """The one state a ranking phrase at ``at`` is about: the last named before it in its clause
    ("Georgia ranks third, behind Florida and Texas"), unless it ends a list ("Texas and Florida
    lead": a list is read by the list rules); else the clause's only state."""
    a, b = R.clause_of(spans, at)
    text = sentence[a:b]
    compared = R.compared_states(text)
    named = [s for s in R.states_in(text) if s[0] not in compared]
    before = [s for s in named if s[1] <= at - a]
    listed = R.state_list(text)
    if before:
        last = before[-1]
        return None if listed and last in listed else last[2]
    return named[0][2] if len(named) == 1 and not listed else None


def _growing(sentence, figs, refs, ctx, spans, done) -> list[Draft]:
    m = _GROWING.search(sentence)
    if not m or re.search(r"\b(?:may|might|could|would)\b", sentence[:m.start()]):
        return []
    day, how, conf = _day(refs, ctx)
    since = (day.replace(day=1) - dt.timedelta(days=1)).replace(day=min(day.day, 28))
    return [Draft(day, 0, "more_than", {"unit": "agreements", "statistic": "pct_change", "since": since.isoformat()},
                  confidence=0.5, label="growing",
                  reading=f"{m.group(0)!r}: more agreements on {day} than a month before ({since}), {how}")]


def _country(sentence, figs, refs, ctx, spans, done) -> list[Draft]:
    m = _COUNTRY.search(sentence)
    noun = R.first_unit_noun(sentence)
    if not m or not noun or noun[0] not in ("agreements", "agencies") or any(d.measure and d.measure.get("statistic") == "n_states" for d in done):
        return []
    if any(f.kind in ("percent", "fraction", "multiplier") or f.kind in ("count", "vague") and
           (R.unit_noun(sentence, f.end) or R.noun_before(sentence, f, R.clause_of(spans, f.start))) for f in figs):  # fmt: skip
        return []  # "Nationwide, about 1,050 agencies ...": the phrase scopes the figure, it claims no spread
    every = "every state" in m.group(0).lower()
    day, how, conf = _day(refs, ctx)
    return [Draft(day, 50 if every else 26, "at_least", {"unit": "agreements", "statistic": "n_states"}, confidence=0.5,
                  label="states", reading=f"{m.group(0)!r}: agreements in {'every state' if every else 'most of the 50 states and DC (26 or more)'}, {how}")]  # fmt: skip


def _term(refs: list[DateRef]) -> DateRef | None:
    return next((r for r in refs if "term of" in r.how), None)


def _dismantle(sentence, figs, refs, ctx, spans, done) -> list[Draft]:
    m = _DISMANTLE.search(sentence)
    if not m:
        return []
    term = _term(refs)
    since = next((dt.date.fromisoformat(s) for phrases, s, e in V.TERMS if term and e and e == term.day.isoformat()), None)
    day = term.day if term else ctx.article_date
    since = since or dt.date.fromisoformat(V.DEFAULT_SINCE)
    return [Draft(day, -100, "equal", {"unit": "agreements", "statistic": "pct_change", "since": since.isoformat()}, confidence=0.5,
                  label="dismantle", reading=f"{m.group(0)!r} read as a change of -100% (no agreement left) from {since} to {day}"
                  + (f" ({term.how})" if term else ""))]  # fmt: skip


def _ended_agency(sentence, figs, refs, ctx, spans, done) -> list[Draft]:
    m = _ENDED_AGENCY.search(sentence)
    if not m:
        return []
    who = m.group("who")
    counties = R.counties_in(who, ctx)
    states = R.states_in(who)
    if not counties and re.match(r"(?:its|their|the)\b", who.strip(), re.I):  # "Lucas County ... ended its (287(g)) agreement"
        counties = [c for c in R.counties_in(sentence, ctx) if c["end"] <= m.start() and m.start() - c["end"] < 80]
        states = [s for s in R.states_in(sentence[:m.start()]) if counties and s[0] >= counties[-1]["end"]]
        counties = counties[-1:]
    if not counties:
        return []
    c = counties[0]
    state = c["state"] or (states[0][2] if states else None)
    term = _term(refs)
    since = next((dt.date.fromisoformat(s) for phrases, s, e in V.TERMS if term and e and e == term.day.isoformat()), None)
    if since is None:
        since_d, _, _ = R.since_day(refs, ctx)
        since = since_d
    day = term.day if term else _day(refs, ctx)[0]
    measure = {"unit": "agreements", "agency": c["name"], "statistic": "removed", "since": since.isoformat()}
    if state:
        measure["state"] = state
    return [Draft(day, 1, "at_least", measure, confidence=0.55, label="ended",
                  reading=f"{c['name']}{', ' + state if state else ''}: an agreement that ended between {since} and {day}"
                          + (f" ({term.how})" if term else ""))]  # fmt: skip


def _ended_some(sentence, figs, refs, ctx, spans, done) -> list[Draft]:
    m = _ENDED_SOME.search(sentence)
    if not m:
        return []
    n = V.VAGUE_DETERMINERS[m.group("det").lower()]
    since, show, conf = R.since_day(refs, ctx)
    day, how, dconf = _day(refs, ctx)
    measure = {"unit": "agreements", "statistic": "removed", "since": since.isoformat()}
    named = [c for _, _, c in R.states_in(sentence[m.start():m.end()])]
    if named:
        measure["state"] = named if len(named) > 1 else named[0]
    return [Draft(day, n, "at_least", measure, confidence=0.5, label="ended",
                  reading=f"'{m.group('det')}' agreements ended: at least {n} removed from ICE's list, {show}, to {day}")]


def _held(sentence, figs, refs, ctx, spans, done) -> list[Draft]:
    out = []
    for m in _HELD.finditer(sentence):
        if re.search(r"(?:\bnot|\bnever|\bno longer|n't|\brefused to|\bdeclined to)\s+(?:yet\s+)?$", sentence[:m.start()], re.I):
            continue  # "have not joined": the none rule's
        counties = [c for c in R.counties_in(sentence, ctx) if c["end"] <= m.start() and m.start() - c["end"] < 80 and c["state"]]
        if not counties:
            continue
        c = counties[-1]
        day, how, conf = _day(refs, ctx)
        measure = {"unit": "agreements", "agency": c["name"], "state": c["state"]}
        models = sorted({code for _, _, code in R.models_in(m.group(0))})
        if models:
            measure["model"] = models[0] if len(models) == 1 else models
        out.append(Draft(day, 1, "at_least", measure, confidence=0.5, label="held",
                         reading=f"{c['name']}, {c['state']} {m.group(0)!r}: an agency of that name holding an agreement"
                                 f"{' (' + ', '.join(models) + ')' if models else ''}, {how}"))  # fmt: skip
        if re.search(r"\bonly\s+(?:the\s+)?$", sentence[:c["start"]]):
            out.append(Draft(day, 1, "equal", {"unit": "agencies", "state": c["state"]}, confidence=0.5, label="only",
                             reading=f"'only' {c['name']} {m.group(0)!r}: exactly one agency in {c['state']} holding one, {how}"))
    return out


def _types(sentence, figs, refs, ctx, spans, done) -> list[Draft]:
    m = _TYPES.search(sentence)
    if not m:
        return []
    words = V.AGENCY_TYPES[m.group("type").lower()]
    day, how, conf = _day(refs, ctx)
    return [Draft(day, 2, "at_least", {"unit": "agencies", "agency": words}, confidence=0.45, label="agency-type",
                  reading=f"{m.group(0)!r}: at least two agencies named '... {words}' holding agreements (the evidence lists them), {how}")]


_FULLY = re.compile(r"\b(?:fully|in full)\s+(?:reimburs\w*|pay\w*|cover\w*|fund\w*)|\b(?:reimburs\w*|pay|cover)\s+(?:\w+\s+){0,6}?in full\b", re.I)


def _fully(sentence, figs, refs, ctx, spans, done) -> list[Draft]:
    """ "ICE will fully reimburse ...": a rule of 100 %, with no digit printed."""
    m = _FULLY.search(sentence)
    if not m:
        return []
    day, how, conf = _day(refs, ctx)
    return [Draft(day, 100, "policy", reason=V.POLICY_REASON, confidence=0.6, label="policy",
                  reading=f"{m.group(0)!r}: 100 percent, a programme rule recorded as policy")]
