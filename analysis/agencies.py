"""Stable agency ids: an agency is not an agreement, and a misspelt name is not a new agency.

ICE types names by hand, so the same sheriff's office appears as "Hardee County Sheriff's
Office", "Hardee County Sheriff’s Office" and, truncated, "Berrian County Sheriff's Offic".
The id is ``STATE:slug`` of a matching key built in three documented steps:

1. **Fold** (automatic): case, apostrophes and possessive 's, punctuation, '&' -> 'and',
   a few abbreviations (Ft -> Fort, Dept -> Department), whitespace, and a trailing state
   code (", LA") are ignored.
2. **Aliases** (reviewed by hand, ``resources/agency_aliases.csv``): misspellings and
   renamings that folding cannot see ("Departent", "Polce", "Judical"). Each row says why.
3. **Truncation** (automatic): a key that ends mid-word and is the start of exactly one other
   key in the same state is that agency, cut off by ICE ("...Sheriff's Offic"), provided the two
   never appear with the same model in the same sheet (then they are two agencies).

Similar names that are different agencies (Lee vs Leon County) are never merged: there is no
fuzzy matching, only the rules above.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from functools import lru_cache

from . import paths

ALIASES_CSV = paths.RESOURCES_DIR / "agency_aliases.csv"
ABBREVIATIONS = {"ft": "fort", "dept": "department", "pd": "police department", "so": "sheriffs office"}


@lru_cache(maxsize=None)
def name_key(name: str, state: str) -> str:
    text = unicodedata.normalize("NFKC", name).casefold()
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("&", " and ")
    text = re.sub(r"'s\b", "s", text).replace("'", "")
    tokens = re.sub(r"[^\w]+", " ", text).split()
    tokens = " ".join(ABBREVIATIONS.get(t, t) for t in tokens).split()
    if len(tokens) > 2 and tokens[-1] == state.lower():
        tokens = tokens[:-1]
    return " ".join(tokens)


def slug(key: str) -> str:
    return key.replace(" ", "-")


@lru_cache(maxsize=1)
def load_aliases() -> dict[tuple[str, str], str]:
    """(state, key of variant) -> key of the canonical name, from the reviewed alias table."""
    with ALIASES_CSV.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return {(r["state"], name_key(r["variant"], r["state"])): name_key(r["canonical"], r["state"]) for r in rows}


def truncation_map(keys_by_state: dict[str, set[str]], cooccur: set[tuple[str, str, str]]) -> dict[tuple[str, str], str]:
    """(state, truncated key) -> full key, by rule 3 of the module docstring.

    ``cooccur`` holds (state, key_a, key_b) with key_a < key_b for keys listed with the same
    model in the same sheet.
    """
    out: dict[tuple[str, str], str] = {}
    for state, keys in keys_by_state.items():
        ordered = sorted(keys)
        for i, short in enumerate(ordered):
            if not short or not short[-1].isalpha() or len(short.split()) < 3:
                continue
            longer = []
            for other in ordered[i + 1 :]:
                if not other.startswith(short):
                    break
                if other[len(short)].isalnum():
                    longer.append(other)
            if len(longer) == 1 and (state, *sorted((short, longer[0]))) not in cooccur:
                out[(state, short)] = longer[0]
    return out
