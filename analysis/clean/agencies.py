"""Stable agency ids: an agency is not an agreement, and a misspelt name is not a new agency.

ICE types names by hand, so the same sheriff's office appears as "Hardee County Sheriff's
Office", "Hardee County Sheriff’s Office" and, truncated, "Berrian County Sheriff's Offic".
The id is ``STATE:slug`` of a matching key built in three documented steps:

1. **Fold** (automatic): case, accents (to ASCII, see ascii_fold: "Añasco" and "Anasco" are one
   agency), apostrophes and possessive 's, punctuation and underscores, '&' -> 'and', a few
   abbreviations (Ft -> Fort, Dept -> Department), whitespace, and a trailing state code (", LA")
   are ignored. The key holds only a-z, 0-9 and single spaces, so the id (``STATE:slug``) always
   matches ``[A-Z]{2}:[a-z0-9-]+``; a name with no letter or digit left is refused (tidy.assign_ids).
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

from ..core import paths

ALIASES_CSV = paths.RESOURCES_DIR / "agency_aliases.csv"
ABBREVIATIONS = {"ft": "fort", "dept": "department", "pd": "police department", "so": "sheriffs office"}
# Latin letters that NFKD does not split into a base letter and a mark, spelt the usual ASCII way.
ASCII_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i", "ħ": "h"})
_NOT_KEY = re.compile(r"[^a-z0-9]+")  # everything else separates words (underscores too)


def ascii_fold(text: str) -> str:
    """The one fold to ASCII that every agency id goes through: casefold (ß -> ss), NFKD with the
    combining marks dropped (ñ -> n, é -> e), then ASCII_LETTERS. Characters still outside a-z and
    0-9 are left for name_key to treat as separators. Ids are ASCII because the schema, URLs and
    Stata want them so, and the same agency typed with and without an accent must get one id."""
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if not unicodedata.combining(c)).translate(ASCII_LETTERS)


@lru_cache(maxsize=None)
def fold(name: str) -> str:
    """Rule 1 of the module docstring without its state rule: a name as words of a-z and 0-9, single
    spaces. The engine's agency and county filters compare folded text too, so a filter typed with a
    curly apostrophe or without an accent finds every row the build gave one agency id."""
    text = unicodedata.normalize("NFKC", name).casefold()
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("&", " and ")
    text = re.sub(r"'s\b", "s", text).replace("'", "")
    tokens = _NOT_KEY.sub(" ", ascii_fold(text)).split()
    return " ".join(" ".join(ABBREVIATIONS.get(t, t) for t in tokens).split())


@lru_cache(maxsize=None)
def name_key(name: str, state: str) -> str:
    """The matching key of a name (rule 1 of the module docstring): a-z, 0-9 and single spaces."""
    tokens = fold(name).split()
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
