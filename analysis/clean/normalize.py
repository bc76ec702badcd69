"""Clean ICE's cells into comparable values, and log every change that alters a value.

Each fold is a rule with a name; a cell changed by a rule becomes a row in the corrections log
(file, row, field, before, after, rule), so no correction is silent. Values no rule knows
(a new SUPPORT TYPE spelling, an unknown state) stop the build with a typed error instead of
being guessed: a miscount is worse than a failure.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from ..core.errors import SheetError, UsageError
from ..core.table_spec import MODEL_NAMES

MODELS = MODEL_NAMES  # code -> the name ICE prints (core.table_spec)

# Every SUPPORT TYPE spelling seen in any sheet (LAYOUTS.md and the archive), case-folded and
# whitespace-collapsed, to its model.
SUPPORT_TYPES = {
    "jail enforcement model": "JEM",
    "jail enforcment model": "JEM",
    "task force model": "TFM",
    "task force officer": "TFM",
    "warrant service officer": "WSO",
    "warrant services officer": "WSO",
    "warrant service office": "WSO",
}

# State spellings ICE typed that no case/whitespace fold repairs.
STATE_TYPOS = {
    "PENNSLYVANIA": "PENNSYLVANIA",
    "MCHIGAN": "MICHIGAN",
    "UTAHJ": "UTAH",
    "WEST VIRIGINA": "WEST VIRGINIA",
    "WEST VIRIGINIA": "WEST VIRGINIA",
}

JURISDICTION_TYPES = {
    "county": "County",
    "municipality": "Municipality",
    "muncipality": "Municipality",
    "municipal": "Municipality",
    "state agency": "State Agency",
    "state": "State",
}
MISSING_MARKERS = {"", "#N/A", "#NA", "N/A", "NA"}


def squash(text: str) -> str:
    """Collapse all whitespace (incl. non-breaking spaces) to single spaces and strip."""
    return " ".join(str(text).replace("\xa0", " ").split())


@lru_cache(maxsize=1)
def _states_by_name() -> dict:
    import us

    places = list(us.states.STATES_AND_TERRITORIES) + [us.states.DC]
    return {p.name.upper(): p for p in places}


def places() -> dict:
    """Every state, DC and territory by its upper-case name -> its ``us`` record (USPS and AP
    abbreviations): the one list of places that readers of people's text (the extractor) share."""
    return dict(_states_by_name())


@lru_cache(maxsize=None)
def state_lookup(raw: str) -> tuple[str, str, bool, str]:
    """STATE cell -> (USPS code, name, is_state_or_dc, rule). rule '' means no change needed.

    Names are matched exactly (after case and whitespace folding) or through the reviewed
    STATE_TYPOS table; ``us.states.lookup`` is not used because it guesses phonetically.
    """
    folded = squash(raw).upper()
    rule = "" if raw == folded else "state_case_whitespace"
    if folded in STATE_TYPOS:
        folded, rule = STATE_TYPOS[folded], "state_typo"
    found = _states_by_name().get(folded)
    if found is None:
        raise SheetError(f"unknown STATE value {raw!r}: add it to normalize.STATE_TYPOS if it is a typo")
    is_state = (not found.is_territory) or found.abbr == "DC"
    return found.abbr, found.name, is_state, rule


def state_code(value: str) -> str:
    """A USPS code or full state/territory name (any case) -> USPS code, for people's input.

    The same exact match as STATE cells (no phonetic guesses, no typo table: a person can retype
    it); anything else is refused, since "0 agreements in ZZ" would be an answer, not a refusal.
    """
    folded = squash(value).upper()
    by_name = _states_by_name()
    found = by_name.get(folded) or next((p for p in by_name.values() if p.abbr == folded), None)
    if found is None:
        raise UsageError(f"{value!r} is neither a USPS code (FL) nor a state or territory name (Florida)")
    return found.abbr


def state_arg(value: str) -> str:
    """A command line's --state -> USPS code (see state_code)."""
    try:
        return state_code(value)
    except UsageError as err:
        raise UsageError(f"--state {err}") from None


@lru_cache(maxsize=None)
def model_lookup(raw: str) -> tuple[str | None, str]:
    """SUPPORT TYPE cell -> (model code or None when blank, rule)."""
    key = squash(raw).lower()
    if not key:
        return None, "support_type_blank"
    if key not in SUPPORT_TYPES:
        raise SheetError(f"unknown SUPPORT TYPE {raw!r}: add the spelling to normalize.SUPPORT_TYPES")
    model = SUPPORT_TYPES[key]
    if raw == MODELS[model]:
        return model, ""
    return model, "support_type_whitespace" if squash(raw).lower() == MODELS[model].lower() else "support_type_variant"


@lru_cache(maxsize=None)
def jurisdiction_lookup(raw: str) -> tuple[str | None, str]:
    text = squash(raw)
    if text.upper() in MISSING_MARKERS:
        return None, "" if not text else "jurisdiction_type_missing_marker"
    value = JURISDICTION_TYPES.get(text.lower())
    if value is None:
        return text, ""  # a new jurisdiction type is kept as printed, not guessed
    return value, "" if value == text else "jurisdiction_type_variant"


@lru_cache(maxsize=None)
def county_clean(raw: str) -> str | None:
    text = squash(raw)
    return None if text.upper() in MISSING_MARKERS else text


@lru_cache(maxsize=None)
def link_status(raw: str) -> str:
    """MOA / ADDENDUM cell -> link | link pending | archived url | none | other."""
    text = squash(raw).lower()
    if not text:
        return "none"
    if text.startswith("http"):
        return "archived url"
    if text.startswith("link pending"):
        return "link pending"
    if text.startswith("link"):
        return "link"
    return "other"


_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?: 00:00:00)?$")
_US = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_US_NO_SLASH = re.compile(r"^(\d{1,2})/(\d{1,2})(\d{4})$")
EARLIEST_SIGNED = dt.date(1996, 9, 30)  # IIRIRA created 287(g); no agreement can predate it


def parse_signed(raw: str, published: dt.date) -> tuple[dt.date | None, str]:
    """SIGNED cell -> (date or None, rule).

    Rules: ISO or US text dates are read as printed; a missing slash (05/082025) is repaired;
    a year typed with a wrong first digit (5025) becomes 20xx when that lands on or before the
    sheet's publication date; anything else after publication or before 1996 is impossible and
    becomes missing. Every rule that changes or drops a value is logged.
    """
    text = squash(raw)
    if not text:
        return None, "signed_blank"
    rule = ""
    m = _ISO.match(text)
    try:
        if m:
            y, mo, d = int(m[1]), int(m[2]), int(m[3])
        elif (m := _US.match(text)):
            mo, d, y = int(m[1]), int(m[2]), int(m[3])
        elif (m := _US_NO_SLASH.match(text)):
            mo, d, y = int(m[1]), int(m[2]), int(m[3])
            rule = "signed_missing_slash"
        else:
            return None, "signed_unparseable"
        if y > published.year + 1:
            candidate = 2000 + y % 100
            if candidate != y and dt.date(candidate, mo, d) <= published:
                return dt.date(candidate, mo, d), "signed_year_typo"
            return None, "signed_impossible"
        value = dt.date(y, mo, d)
    except ValueError:
        return None, "signed_impossible"
    if value > published:
        return None, "signed_after_publication"
    if value < EARLIEST_SIGNED:
        return None, "signed_impossible"
    return value, rule


def clean_agency_name(raw: str) -> str:
    """Agency name for display: whitespace collapsed, typographic apostrophes made plain."""
    return squash(raw).replace("\u2019", "'").replace("\u2018", "'")
