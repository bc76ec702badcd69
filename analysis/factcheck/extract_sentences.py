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
                   r"\bwithout (?:any )?(?:287\(g\) )?agreements\b|will not be used as (?:federal )?immigration enforcement|"
                   r"\b(?:bars?|bans?|prohibits?|forbids?)\s+(?:local\s+)?(?:police|law enforcement|officers|agencies)\s+from\s+"
                   r"(?:cooperating|working with ICE|enforcing (?:federal )?immigration|joining|signing|participating)|"
                   r"\b(?:bars?|bans?|prohibits?|forbids?|limits?) cooperation with (?:ICE|federal immigration)",
                   re.I)  # fmt: skip
_OTHER_GROUP = re.compile(r"\b(?P<det>some|several|many|a few|\w+) other (?P<colour>" + "|".join(V.COLOUR_GROUPS) + r") states\b", re.I)
_MOST = re.compile(r"\bmost\b|\bthe largest number\b|\blead(?:s|ing)? the (?:nation|country)\b|\btop\b", re.I)
_BIG_SHARE = re.compile(r"\b(?P<big>(?:big|large|huge|major|disproportionate|outsized|hefty) share)\b|"
                        r"\b(?P<half>most of|the majority of|a majority of)\b", re.I)  # fmt: skip
_CLUSTER = re.compile(r"\b(?:clustered|concentrated|located)\s+in\b", re.I)
_LIKE = re.compile(r"\b(?:(?:especially|particularly|notably|mostly)\s+in\s+(?:places|states)\s+like|(?:especially|particularly|notably)\s+in|"
                   r"places\s+like|states\s+like|states\s+such\s+as)\s+", re.I)  # fmt: skip
_RANK = re.compile(r"\b(?:led|leads|has led|lead) the (?:nation|country)\b|\bhas the (?:most|largest)\b|\bthe largest\b|"
                   r"\branks? (?P<ord>" + "|".join(V.ORDINALS) + r")\b|\b(?P<ord2>" + "|".join(V.ORDINALS) + r")-(?:most|largest|highest)\b",
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
_HELD = re.compile(r"\b(?:backed|supported|signed|joined|entered|holds|held)\s+(?:a\s+|an\s+)?(?:287\(g\)\s+)?"
                   r"(?:cooperation with ICE|agreement|partnership|deal)", re.I)  # fmt: skip
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
        if not covered(f, drafts):
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
    m = _NONE.search(sentence)
    if not m:
        return []
    a, b = R.clause_of(spans, m.start())
    text = sentence[a:b]
    named = list(dict.fromkeys(c for _, _, c in R.states_in(text)))
    day, how, conf = _day(refs, ctx, m.start())
    out = []
    if named:
        out.append(Draft(day, [R._name(c) for c in named], "none_in", {"unit": "agreements", "statistic": "breakdown", "by": "state"},
                         confidence=round(min(conf, 0.8), 2), label="none",
                         reading=f"{', '.join(named)} with no agreement ({m.group(0)!r}), {how}"))  # fmt: skip
    g = _OTHER_GROUP.search(text)
    if g:
        det = g.group("det").lower()
        figure = next((f for f in figs if a + g.start() <= f.start < a + g.end()), None)
        n = V.VAGUE_DETERMINERS.get(det, figure.number if figure else 2)
        group = V.COLOUR_GROUPS[g.group("colour").lower()]
        measure = {"unit": "agreements", "statistic": "states_without", "state_group": group}
        if named:
            measure["exclude"] = named
        out.append(Draft(day, n, "at_least", measure, confidence=0.6, label="states-without",
                         spans=[(figure.start, figure.end)] if figure else [],
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
        k = V.ORDINALS.get((m.group("ord") or m.group("ord2") or "first").lower(), 1)
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
        named = [s for s in R.states_in(clause)]
        if len(named) == 1 and not trac and not R.state_list(sentence):
            noun = R.first_unit_noun(clause) or ("agreements", "participating", "agreements")
            out.append(Draft(day, k, "rank", {**R.count_measure(noun[0], noun[1]), "statistic": "rank", "state": named[0][2]},
                             confidence=0.6, label="rank",
                             reading=f"{named[0][2]} {m.group(0)!r}: rank {k} by {noun[0]}, {how}"))  # fmt: skip
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
    if any(f.kind in ("count", "vague") and R.unit_noun(sentence, f.end) and R.unit_noun(sentence, f.end)[0] == "states" for f in figs):
        return []
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
        counties = [c for c in R.counties_in(sentence, ctx) if c["end"] <= m.start() and m.start() - c["end"] < 80 and c["state"]]
        if not counties:
            continue
        c = counties[-1]
        day, how, conf = _day(refs, ctx)
        out.append(Draft(day, 1, "at_least", {"unit": "agreements", "agency": c["name"], "state": c["state"]}, confidence=0.5,
                         label="held", reading=f"{c['name']}, {c['state']} {m.group(0)!r}: an agency of that name holding an agreement, {how}"))
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
