"""The words the article extractor reads 287(g) stories with.

Places, models, kinds, units and state groups are not declared here: they are read from the
project's one declaration of each (``clean.normalize`` for states and models, ``engine.asof``
for kinds and units, ``engine.measures`` for state groups), so a new model or unit reaches the
extractor without a second list to keep in step. What *is* declared here is the language only an
extractor needs: which nouns name which unit, which words set a comparison, the number words,
the dates of administrations, and the nouns that make a number uncheckable against ICE's sheets
(arrests, removals, pay), each with the reason a reader is shown.
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache

from ..clean import normalize
from ..engine import asof, measures

KINDS = asof.KINDS
UNITS = asof.UNITS
STATE_GROUPS = measures.STATE_GROUPS
#: "blue states" and "red states": the 2024 vote (engine.measures.STATE_GROUPS)
COLOUR_GROUPS = {"blue": "harris-2024", "democratic": "harris-2024", "democrat-led": "harris-2024",
                 "red": "trump-2024", "republican": "trump-2024", "republican-led": "trump-2024"}  # fmt: skip
assert set(COLOUR_GROUPS.values()) <= set(STATE_GROUPS)


@lru_cache(maxsize=1)
def state_names() -> tuple[tuple[str, str], ...]:
    """(name as written, USPS code), longest first so "West Virginia" wins over "Virginia"."""
    out = []
    for name, place in normalize.places().items():
        out.append((name.title().replace(" Of ", " of "), place.abbr))
        if place.abbr == "DC":
            out += [("Washington, D.C.", "DC"), ("D.C.", "DC")]
    return tuple(sorted(set(out), key=lambda p: -len(p[0])))


@lru_cache(maxsize=1)
def state_abbreviations() -> dict[str, str]:
    """AP-style abbreviations with their full stop ("Fla.", "Mass.") -> USPS code."""
    out = {}
    for place in normalize.places().values():
        ap = getattr(place, "ap_abbr", None)
        if ap and ap.endswith(".") and ap.upper() != place.name.upper():
            out[ap] = place.abbr
    return out


@lru_cache(maxsize=1)
def usps_codes() -> frozenset[str]:
    return frozenset(p.abbr for p in normalize.places().values())


@lru_cache(maxsize=1)
def model_phrases() -> tuple[tuple[str, str], ...]:
    """("jail enforcement", "JEM") ...: each model's name less its last word, as stories shorten it."""
    return tuple((" ".join(name.lower().split()[:-1]), code) for code, name in normalize.MODELS.items())


# --------------------------------------------------------------------------------------------
# units: the noun a sentence counts decides the unit (docs/claims-file.md, "Units")

#: (pattern, unit, kind). Agencies first: "law enforcement agencies" must not read as "agreements".
UNIT_NOUNS: tuple[tuple[str, str, str], ...] = (
    (r"pending (?:287\(g\) )?(?:program )?(?:applications?|requests?)", "agreements", "pending"),
    (r"(?:287\(g\) )?(?:program )?applications?", "agreements", "pending"),
    (r"(?:law enforcement |police |partner |local |state |county |sheriff's )?agenc(?:y|ies)", "agencies", "participating"),
    (r"(?:police|sheriff's|sheriffs'|sheriffs|sheriff) (?:and sheriffs?'?s? )?(?:departments?|offices?)", "agencies", "participating"),
    (r"(?:police|sheriff's|sheriffs'|sheriffs|sheriff) and (?:sheriff's|sheriffs'|sheriffs|police) (?:departments?|offices?)", "agencies", "participating"),
    (r"(?:police )?departments", "agencies", "participating"),
    (r"sheriffs", "agencies", "participating"),
    (r"(?:287\(g\) )?(?:agreements?|deals?|partnerships?|moas?|contracts?|pacts?)", "agreements", "participating"),
    (r"memorand(?:a|ums?) of (?:agreement|understanding)", "agreements", "participating"),
    (r"states", "states", "participating"),
    (r"counties|parishes|boroughs", "counties", "participating"),
)  # fmt: skip
#: words that may stand between a number and its noun ("135 state and local law enforcement agencies")
NOUN_FILLERS = frozenset("state and local law enforcement new more active signed current total 287(g) program "
                         "participating partner county city municipal federal jail-based such these those other "
                         "separate individual formal written".split())  # fmt: skip
#: the words of the models' names stand between a number and its noun too ("450 task force agreements")
NOUN_FILLERS |= {w for name in normalize.MODELS.values() for w in name.lower().split()} | {"member"}
#: agencies named by type, for "big-city police departments": the words of ICE's agency names
AGENCY_TYPES = {"police departments": "Police Department", "police department": "Police Department",
                "sheriff's offices": "Sheriff", "sheriffs' offices": "Sheriff", "sheriff's office": "Sheriff"}  # fmt: skip


# --------------------------------------------------------------------------------------------
# comparisons: the words before a figure ("almost 960", "well over a third")

#: (words, comparison type, parameters, strength) in the order they are tried (longest first);
#: strength "well" widens a share's threshold by a margin ("well over a third")
COMPARISON_WORDS: tuple[tuple[str, str, dict, str], ...] = (
    ("well over", "more_than", {}, "well"), ("well above", "more_than", {}, "well"), ("far more than", "more_than", {}, "well"),
    ("well more than", "more_than", {}, "well"), ("more than", "more_than", {}, ""), ("upwards of", "more_than", {}, ""),
    ("in excess of", "more_than", {}, ""), ("greater than", "more_than", {}, ""), ("over", "more_than", {}, ""),
    ("above", "more_than", {}, ""), ("at least", "at_least", {}, ""), ("no fewer than", "at_least", {}, ""),
    ("no less than", "at_least", {}, ""), ("a minimum of", "at_least", {}, ""),
    ("just under", "almost", {"tolerance": 0.02, "partial_tolerance": 0.05}, ""),
    ("almost", "almost", {"tolerance": 0.02, "partial_tolerance": 0.05}, ""),
    ("nearly", "almost", {"tolerance": 0.02, "partial_tolerance": 0.05}, ""),
    ("close to", "almost", {"tolerance": 0.02, "partial_tolerance": 0.05}, ""),
    ("approaching", "almost", {"tolerance": 0.02, "partial_tolerance": 0.05}, ""),
    ("about", "approx", {"tolerance": 0.05, "partial_tolerance": 0.1}, ""),
    ("around", "approx", {"tolerance": 0.05, "partial_tolerance": 0.1}, ""),
    ("roughly", "approx", {"tolerance": 0.05, "partial_tolerance": 0.1}, ""),
    ("approximately", "approx", {"tolerance": 0.05, "partial_tolerance": 0.1}, ""),
    ("an estimated", "approx", {"tolerance": 0.05, "partial_tolerance": 0.1}, ""),
    ("some", "approx", {"tolerance": 0.05, "partial_tolerance": 0.1}, ""),
    ("up to", "at_most", {}, ""), ("as many as", "at_most", {}, ""), ("as much as", "at_most", {}, ""),
    ("at most", "at_most", {}, ""), ("no more than", "at_most", {}, ""), ("fewer than", "at_most", {}, ""),
    ("less than", "at_most", {}, ""), ("under", "at_most", {}, ""),
    ("exactly", "equal", {}, ""), ("precisely", "equal", {}, ""), ("just", "equal", {}, ""), ("only", "equal", {}, ""),
    ("a mere", "equal", {}, ""),
)  # fmt: skip
#: a printed count with no comparison word: exact, with a 2 % band for a sheet published a day off
BARE_COUNT = ("equal", {"partial_tolerance": 0.02})
#: a bare count dated only by the article ("now", no date): the figure may come from a release a day
#: or two before ICE posted a sheet, so a 1 % band
BARE_COUNT_UNDATED = ("approx", {"tolerance": 0.01, "partial_tolerance": 0.03})
#: a floor ("more than 1,000") dated only by the article: a release's count can run a day ahead of
#: ICE's sheet, so a sheet showing exactly the floor is partly supported (the registry reads every
#: such claim so: Breitbart's "more than 600-percent", Voz's "more than 1,000" agreements and agencies)
RELEASE_LAG = {"partial_tolerance": 0.02}
#: a bare count of states: one or two states off of forty is a slip, not a different claim
BARE_STATES = ("equal", {"partial_tolerance": 0.05})
#: how a reading says the sentence printed no date
UNDATED = "no date in the sentence: the article's date"
#: a printed percent change ("641%"): rounded to the unit, so a 1 % band
BARE_PERCENT = ("approx", {"tolerance": 0.01, "partial_tolerance": 0.05})
#: a printed fraction ("a third of"): a round figure, so 5 % either side
BARE_FRACTION = ("approx", {"tolerance": 0.05, "partial_tolerance": 0.1})
#: "well over" a share: the margin over the threshold a reading asks for (the registry's reading)
WELL_OVER_MARGIN = 0.05


# --------------------------------------------------------------------------------------------
# number words

ONES = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen "
                                   "fourteen fifteen sixteen seventeen eighteen nineteen".split())}  # fmt: skip
TENS = {w: 10 * i for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if i >= 2}
SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000}
#: plural quantities: the least they can mean ("hundreds" is at least two hundred)
VAGUE = {"dozens": 24, "hundreds": 200, "thousands": 2000, "millions": 2_000_000, "tens of thousands": 20_000,
         "a dozen": 12, "a handful": 3, "several": 3}  # fmt: skip
#: vague words that name a number, about it rather than at least it ("a dozen sheriffs")
ROUND = {"a dozen": ("approx", {"tolerance": 0.1, "partial_tolerance": 0.2})}
#: vague words that count only before a unit noun ("some cities", "a few agencies")
VAGUE_DETERMINERS = {"some": 2, "a few": 2, "several": 3, "many": 3, "a number of": 2}
FRACTIONS = {"a third": Fraction(1, 3), "one-third": Fraction(1, 3), "one third": Fraction(1, 3),
             "two-thirds": Fraction(2, 3), "two thirds": Fraction(2, 3), "a quarter": Fraction(1, 4),
             "one-quarter": Fraction(1, 4), "one quarter": Fraction(1, 4), "three-quarters": Fraction(3, 4),
             "three quarters": Fraction(3, 4), "half": Fraction(1, 2), "one-half": Fraction(1, 2),
             "a fifth": Fraction(1, 5), "one-fifth": Fraction(1, 5), "a tenth": Fraction(1, 10),
             "one-tenth": Fraction(1, 10)}  # fmt: skip
MULTIPLIERS = {"doubled": 2, "double": 2, "twice": 2, "tripled": 3, "triple": 3, "threefold": 3, "quadrupled": 4,
               "fourfold": 4, "fivefold": 5, "tenfold": 10}  # fmt: skip
ORDINALS = {w: i + 1 for i, w in enumerate("first second third fourth fifth sixth seventh eighth ninth tenth".split())}


# --------------------------------------------------------------------------------------------
# dates

MONTHS = {m: i + 1 for i, m in enumerate("january february march april may june july august september october "
                                         "november december".split())}  # fmt: skip
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})
MONTHS["sept"] = 9
#: administrations: (phrases that name their start, start, end). The registry's dates: a term runs
#: from one inauguration day to the next.
TERMS: tuple[tuple[tuple[str, ...], str, str | None], ...] = (
    (("trump took office", "trump returned to office", "trump's inauguration", "inauguration day", "the inauguration",
      "trump's second term", "the second administration", "the second trump administration", "trump was sworn in",
      "trump's return"), "2025-01-20", None),
    (("mayorkas", "biden administration", "biden's dhs", "under biden", "biden-era", "the biden years"), "2021-01-20", "2025-01-20"),
)  # fmt: skip
#: the base of a change whose sentence prints none, in an article dated after it: the second
#: administration's first day, the baseline of every DHS release the articles relay
DEFAULT_SINCE = "2025-01-20"


# --------------------------------------------------------------------------------------------
# what a sentence is about

#: a sentence (or its paragraph) about the programme; anything else is off topic
TOPIC = re.compile(r"287\s*\(g\)|\bICE\b|\bDHS\b|immigra|deport|homeland security|sheriff|police|law enforcement|"
                   r"illegal alien|undocumented|sanctuary|federal agents", re.I)  # fmt: skip
#: in an article about the programme, a sentence naming what it is made of (agreements, agencies,
#: models, its applications, its reimbursement) is about it too, though it names neither ICE nor
#: 287(g) ("Pennsylvania now has more than 40 agreements"); a rally's head count is not
DOMAIN = re.compile(r"\b(?:agreements?|deals?|partnerships?|MOAs?|memorand(?:a|um)|agenc(?:y|ies)|the program(?:me)?'?s?|"
                    r"task force|jail enforcement|warrant service|pending applications?|applications?)\b|reimburs", re.I)  # fmt: skip
#: a sentence that points back at the one before ("Those agreements span 38 states", "28 percent of
#: them"): it speaks of the same day and the same subject
ANAPHORA = re.compile(r"^(?:those|these|the same|that|such)\s+(?:[\w-]+\s+)?(?:agreements|deals|partnerships|agencies|partners|"
                      r"figures?|numbers?|totals?)\b|\b(?:of|among) (?:them|those|these)\b", re.I)  # fmt: skip
#: numbers about these are programme rules or targets: policy
POLICY = re.compile(r"reimburs|salar|overtime|bonus|student loan|\bpay\b|availability pay|\bawards?\b|per eligible|"
                    r"per officer|performance (?:benefit|payment)|\bhire|\bhiring|recruit|fiscal year|signing|"
                    r"\$", re.I)  # fmt: skip
POLICY_REASON = ("a programme rule or target (pay, reimbursement, hiring); ICE's 287(g) sheets hold no such terms, "
                 "so it needs the rule's text or ICE's records")  # fmt: skip
#: numbers about these have no pinned data: not checkable, with the reason shown
UNCHECKABLE: tuple[tuple[re.Pattern, str], ...] = (
    (re.compile(r"applications? (?:from (?:individuals|people|applicants|candidates|job seekers|americans|veterans|"
                r"former officers)|to join (?:its|the) (?:security forces|service|workforce|agency|ranks))|wishing to join", re.I),
     "job applications to ICE, not 287(g) applications: the pinned data hold no hiring records"),
    (re.compile(r"ordered removed|removal orders?", re.I),
     "removal orders: no primary removal-order data are pinned (TRAC's removal table is not)"),
    (re.compile(r"\barrest", re.I), "arrests: the pinned data hold no ICE arrest counts"),
    (re.compile(r"deport(?:ing|ation|ations|ed)|removals?\b|\bremove\b", re.I),
     "deportations and removals: the pinned data hold no ICE removal statistics"),
    (re.compile(r"detention (?:space|beds?)|\bbeds\b|detained|in custody", re.I), "detention: the pinned data hold no detention counts"),
)  # fmt: skip
#: TRAC's county table of pending immigration-court cases
BACKLOG = re.compile(r"backlog|pending (?:deportation |immigration(?:-court)? |removal )?cases", re.I)
