"""County codes for agreements: the matching rule, as a pure function of one row's
(state, COUNTY cell, agency name, jurisdiction type).

Why: the maps, population covered and backlog per resident need each agreement's county; ICE
gives only a free-text COUNTY cell, blank for most police departments. The rules, in order
(the first that applies decides; docs/methods.md, "Geography: county codes"):

1. ``territory``: a territory row (GU, MP, PR, VI, AS) is level territory, no county.
2. ``state_agency``: a name like "Florida Highway Patrol", "Indiana State Police" or (type blank
   or State, or after the state's name) "Department of Corrections" is statewide, no county;
   "City of ..." never is (is_state_agency). ICE's jurisdiction type State Agency / State makes a
   row statewide only when rules 3-5 place it nowhere: a town's agency ICE typed State ("Center
   Line Division of Public Safety", COUNTY cell Macomb) is in its county.
3. ``county_cell`` / ``county_alias``: the COUNTY cell matched on state + name to the Census
   county names (suffixes County, Parish, Borough, Census Area, City and Borough, Municipality
   dropped; "St." = "Saint"; case, accents, spaces and punctuation ignored). ICE's typos go through
   the reviewed table resources/county_aliases.csv first.
4. ``agency_name``: a county named in the agency name ("Lee County Sheriff's Office").
5. ``crosswalk``: a town named in the agency name ("Cape Coral Police Department" -> "Cape Coral
   city, FL") placed in the county holding most of its residents; that share is kept.
6. ``unknown``: with the reason.

Connecticut: ICE names the 8 former counties; the Census 2024 file has 9 planning regions. A CT
name is matched to the former county's FIPS (09001-09015), the code of the us_atlas geometry and
the Geocorr crosswalk, so map and crosswalk join; population by planning region does not.
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import pandas as pd
import us

from ..core import paths
from .agencies import ascii_fold
from ..ingest.census import FIPS_TO_USPS, TERRITORIES
from ..core.table_spec import GAZETTEER_TABLES, GEO_LEVELS

# The QA floor on the newest participating sheet's county coverage (qa.geography_checks): measured
# on the curated 2026-05-18 sheet at 94.2% (1,737 of 1,843 rows placed in a county; 75 statewide,
# 3 territory, 28 unknown). It leaves room for a few new agencies the rules cannot place before
# the alias table is reviewed.
COVERAGE_FLOOR = 0.92
# Below this many rows a sheet's coverage is no test of the rules (one row of a 6-row test sheet
# moves it 17 points): the QA row is then a warning. Every real participating sheet has more.
COVERAGE_MIN_ROWS = 100
ALIASES_CSV = paths.RESOURCES_DIR / "county_aliases.csv"
STATE_JURISDICTIONS = frozenset({"State Agency", "State"})
# States whose counties come from the crosswalk (2020 geography) rather than the Census 2024 file.
FORMER_COUNTY_STATES = frozenset({"CT"})
# Read after folding to lower-case ASCII; ordered longest first so "city and borough" wins over "borough".
COUNTY_SUFFIXES = ("city and borough", "census area", "municipality", "borough", "county", "parish", "city")
# A state agency by its name (folded), once a leading state name is dropped: "Department of
# Corrections", "Kansas Bureau of Investigation", "Indiana State Police Department". ICE's
# jurisdiction type is no guide for these (some are typed Municipality).
_STATE_AGENCY_START = re.compile(r"^(department|dept|division|bureau|office|board|commission) of\b")
_STATE_AGENCY_WORDS = re.compile(
    r"\b(highway patrol|state police|state patrol|attorney general|national guard|alcohol and tobacco)\b"
)
_COUNTY_IN_NAME = re.compile(r"\b(county|parish|borough)\b")
# Words that end the town's name in a municipal agency's name, and prefixes before it.
_TOWN_END = re.compile(
    r"\s+(police|public safety|dps|sheriffs?|marshals?|department|dept|constables?|law enforcement|"
    r"corrections|detention|jail)\b.*$"
)
_TOWN_PREFIX = re.compile(r"^(the\s+)?(city|town|village|borough|township)\s+of\s+")
# The Census class that ends a place name ('Manheim borough'), also dropped from a town in an agency's name.
_PLACE_CLASS = re.compile(
    r"(\s+(city|town|village|borough|cdp|municipality|metropolitan government|unified government|"
    r"consolidated government|balance))+$"
)


class Placement(NamedTuple):
    county_fips: str | None
    geo_level: str  # one of GEO_LEVELS
    share: float | None  # share of the town's residents in that county (crosswalk), 1.0 for a named county
    rule: str  # the rule that decided, or "unknown: <reason>"


_SAINT = re.compile(r"\bste?\b\.?")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def _saint(m: re.Match) -> str:
    return "sainte" if m.group(0).startswith("ste") else "saint"


def fold(text: str) -> str:
    """Lower-case ASCII with single spaces; "St." and "Ste." spelt out (St. Lucie = Saint Lucie).

    Run on every county and place name of a state when the state is indexed (33k names):
    compiled patterns, and the saint rule only where "st" occurs."""
    text = str(text)
    text = (text.lower() if text.isascii() else ascii_fold(text)).replace("&", " and ")  # ascii_fold of ASCII is lower()
    if "st" in text:
        text = _SAINT.sub(_saint, text)
    return " ".join(_NOT_WORD.sub(" ", text.replace("'", "")).split())


# USPS -> the state's folded name, to read "Kansas Bureau of Investigation" as "bureau of ..."
STATE_NAMES = {usps: fold(us.states.lookup(fips).name) for fips, usps in FIPS_TO_USPS.items()}


def county_key(name: str) -> str:
    """The matching key of a county name: folded, suffix dropped ('Miami-Dade County' -> 'miami dade')."""
    key = fold(name)
    for suffix in COUNTY_SUFFIXES:
        if key.endswith(" " + suffix):
            return key[: -len(suffix) - 1]
    return key


def _place_key(place_name: str) -> str:
    """'Cape Coral city, FL' -> 'cape coral' (state and Census class dropped)."""
    return _PLACE_CLASS.sub("", fold(place_name.rsplit(",", 1)[0]))


def _town_key(agency: str) -> str:
    """The town an agency's name starts with: 'City of Cape Coral Police Department' -> 'cape coral',
    'Manheim Borough Police Department' -> 'manheim'."""
    return _PLACE_CLASS.sub("", _TOWN_PREFIX.sub("", _TOWN_END.sub("", fold(agency))))


def is_state_agency(agency: str, state: str, jtype: str | None) -> bool:
    """Statewide by ICE's type, or by a name that says state agency and names no county. A name
    'City of ...' is a town's even when ICE typed it State; a bare 'Office of ...' typed County or
    Municipality is local ('Office of Constable Monroeville 6th Ward')."""
    name = fold(agency)
    if _TOWN_PREFIX.search(name):
        return False
    if jtype in STATE_JURISDICTIONS:
        return True
    if _COUNTY_IN_NAME.search(name):
        return False
    state_name = STATE_NAMES.get(state, "")
    prefixed = bool(state_name) and name.startswith(state_name + " ")
    rest = name[len(state_name) + 1 :] if prefixed else name
    starts = _STATE_AGENCY_START.search(rest) and (prefixed or jtype is None)
    return bool(starts or _STATE_AGENCY_WORDS.search(name))


def load_aliases(path=ALIASES_CSV) -> dict[tuple[str, str], str]:
    """(state, key of ICE's COUNTY cell) -> the Census county name it means, from the reviewed table."""
    with open(path, newline="", encoding="utf-8") as fh:
        return {(r["state"], county_key(r["ice_county"])): r["census_name"] for r in csv.DictReader(fh)}


class Gazetteer:
    """County names and the town crosswalk of every state, indexed for the rules above."""

    def __init__(self, counties: pd.DataFrame, places: pd.DataFrame, aliases: dict[tuple[str, str], str]):
        former = places[places["state"].isin(FORMER_COUNTY_STATES)].drop_duplicates("county_fips")
        # Geocorr prints 'Hartford CT': the name without the state, as a county.
        former = pd.DataFrame({
            "fips": former["county_fips"], "state": former["state"],
            "county_name": former["county_name"].str.replace(r"\s+[A-Z]{2}$", "", regex=True) + " County",
        })  # fmt: skip
        counties = counties[~counties["state"].isin(FORMER_COUNTY_STATES)]
        self._counties = pd.concat([counties[["fips", "state", "county_name"]], former], ignore_index=True)
        self._places = places.dropna(subset=["share"])
        self.aliases = aliases
        self.names = dict(zip(self._counties["fips"], self._counties["county_name"]))
        # Each state is indexed when first asked for: an archive append places a few new agencies of
        # one or two states, and folding all 33k place names took most of a second.
        self._indexed: dict[str, tuple[dict, dict, dict]] = {}

    def prepare(self, states) -> None:
        """Index these states (counties by folded full name and by key, towns by key), in one pass."""
        todo = sorted(set(states) - self._indexed.keys())
        if not todo:
            return
        out: dict[str, tuple[dict, dict, dict]] = {state: ({}, {}, {}) for state in todo}
        counties = self._counties[self._counties["state"].isin(todo)]
        for fips, state, name in zip(counties["fips"].tolist(), counties["state"].tolist(), counties["county_name"].tolist()):
            out[state][0][fold(name)] = fips
            out[state][1].setdefault(county_key(name), set()).add(fips)
        parts = self._places[self._places["state"].isin(todo)]
        place_names = parts["place_name"].tolist()
        keys = {name: _place_key(name) for name in dict.fromkeys(place_names)}  # a place split across counties has one row per part
        parts = parts.assign(key=[keys[name] for name in place_names])
        # For a name shared by two places of a state (a city and a CDP), the larger place; its biggest part.
        size = parts.groupby(["state", "place_code"])["pop20"].transform("sum")
        parts = parts.assign(size=size).sort_values(["size", "share"], ascending=False, kind="stable")
        best = parts.drop_duplicates(["state", "key"])
        # columns as lists: iterating pandas' Arrow-backed text one value at a time cost more than the folding
        for state, key, fips, share, name in zip(*(best[c].tolist() for c in ("state", "key", "county_fips", "share", "place_name"))):
            out[state][2][key] = (fips, float(share), name)
        self._indexed.update(out)

    def index_data(self) -> dict:
        """The states indexed so far, as JSON-ready data (the archive keeps it for its appends)."""
        return {state: [by_full, {k: sorted(v) for k, v in by_key.items()}, {k: list(v) for k, v in towns.items()}]
                for state, (by_full, by_key, towns) in sorted(self._indexed.items())}  # fmt: skip

    def states(self) -> list[str]:
        """Every state the county tables name (the ones prepare finds counties or towns for)."""
        return sorted(set(self._counties["state"].tolist()) | set(self._places["state"].tolist()))

    def adopt(self, data: dict) -> None:
        """Take the states of ``index_data`` (made from the same tables and code) instead of indexing them again."""
        for state, (by_full, by_key, towns) in data.items():
            self._indexed.setdefault(state, (by_full, {k: set(v) for k, v in by_key.items()},
                                             {k: tuple(v) for k, v in towns.items()}))  # fmt: skip

    def _index(self, state: str) -> tuple[dict[str, str], dict[str, set[str]], dict[str, tuple]]:
        """A state's counties by folded full name, by key (a set of FIPS), and its towns by key."""
        if state not in self._indexed:
            self.prepare([state])
        return self._indexed[state]

    def match_county(self, state: str, name: str) -> tuple[str | None, str]:
        """FIPS of a county name in a state, and why not when there is none."""
        by_full, by_key, _ = self._index(state)
        full = by_full.get(fold(name))
        if full:
            return full, ""
        found = by_key.get(county_key(name), set())
        if len(found) == 1:
            return next(iter(found)), ""
        if found:
            return None, f"{name!r} is several counties of {state} ({', '.join(sorted(found))})"
        return None, f"no county {name!r} in {state}"

    def place(self, state: str, county, agency: str, jurisdiction_type) -> Placement:
        """The county of one agreement row by the rules of the module docstring."""
        county = county.strip() if isinstance(county, str) and county.strip() else None
        jtype = jurisdiction_type if isinstance(jurisdiction_type, str) and jurisdiction_type else None
        if state in TERRITORIES:
            return Placement(None, "territory", None, "territory")
        typed_state = jtype in STATE_JURISDICTIONS
        if is_state_agency(agency, state, None if typed_state else jtype):
            return Placement(None, "statewide", None, "state_agency")
        # ICE's type "State" alone does not make a town's agency statewide ("Center Line Division of
        # Public Safety", typed State, COUNTY cell Macomb): the county rules below decide when the
        # name or the COUNTY cell places it; the type decides only when nothing does.
        local = self._local(state, county, agency, jtype)
        if local.geo_level == "county" or not typed_state:
            return local
        return Placement(None, "statewide", None, "state_agency")

    def _local(self, state: str, county: str | None, agency: str, jtype: str | None) -> Placement:
        """Rules 3-6: the COUNTY cell, a county in the name, a town in the crosswalk, else unknown."""
        reasons = []
        if county:
            alias = self.aliases.get((state, county_key(county)))
            fips, why = self.match_county(state, alias or county)
            if fips:
                return Placement(fips, "county", 1.0, "county_alias" if alias else "county_cell")
            reasons.append(f"COUNTY cell: {why}")
        town = _town_key(agency)
        # A county agency may lead with the county's bare name: "Miami-Dade Sheriff's Office".
        bare = [town] if jtype == "County" or "sheriff" in fold(agency) else []
        for candidate in _counties_named_in(agency) + bare:
            fips, _ = self.match_county(state, candidate)
            if fips:
                return Placement(fips, "county", 1.0, "agency_name")
        found = self._index(state)[2].get(town)
        if found:
            return Placement(found[0], "county", found[1], "crosswalk")
        reasons.append(f"no county in the agency name and no town {town!r} of {state} in the crosswalk")
        return Placement(None, "unknown", None, "unknown: " + "; ".join(reasons))


def _counties_named_in(agency: str) -> list[str]:
    """Candidate county names in an agency's name, longest first: for 'Board of St. Lucie County
    Commissioners' -> 'Board of Saint Lucie County', 'of Saint Lucie County', 'Saint Lucie County', ..."""
    words = fold(agency).split()
    out = []
    for i, word in enumerate(words):
        if word in ("county", "parish", "borough") and i > 0:
            out += [" ".join(words[j : i + 1]) for j in range(max(0, i - 4), i)]
    return out


def from_frames(counties: pd.DataFrame, places: pd.DataFrame) -> Gazetteer:
    """The gazetteer of the context tables table_spec.GAZETTEER_TABLES and the reviewed aliases."""
    return Gazetteer(counties, places, load_aliases())


def read(folder) -> Gazetteer:
    """The gazetteer from the GAZETTEER_TABLES written in ``folder`` (no cache: a build's own read)."""
    return from_frames(*(pd.read_parquet(folder / name) for name in GAZETTEER_TABLES))


@lru_cache(maxsize=1)
def load() -> Gazetteer:
    """The gazetteer from the processed tables of this build (county_population, place_county)."""
    return read(paths.PROCESSED_DIR)


KEY = ["state", "county", "agency_name", "jurisdiction_type"]
COLUMNS = ["county_fips", "geo_level", "county_share", "geo_rule"]


def place_frame(df: pd.DataFrame, gazetteer=None, known: dict | None = None) -> pd.DataFrame:
    """COLUMNS for every row of a table with the KEY columns, computed once per distinct tuple
    (the archive's 337k rows have a few thousand), aligned on ``df``'s index.

    ``gazetteer``: a Gazetteer, or a function making one (called only if a tuple is new); ``known``:
    tuple -> Placement already made (the archive's append context), updated with the new ones."""
    codes = np.zeros(len(df), dtype="int64")  # one code per distinct tuple, built column by column
    for col in KEY:
        col_codes, uniques = pd.factorize(df[col], use_na_sentinel=False)
        codes, _ = pd.factorize(codes * max(len(uniques), 1) + col_codes)
    first = np.unique(codes, return_index=True)[1]  # the first row of each code, in code order
    distinct = df[KEY].iloc[first].astype(object)
    tuples = list(distinct.where(distinct.notna(), None).itertuples(index=False, name=None))
    known = {} if known is None else known
    missing = [t for t in tuples if t not in known]
    if missing:
        gaz = gazetteer() if callable(gazetteer) else (gazetteer or load())
        gaz.prepare({t[0] for t in missing})
        known.update((t, gaz.place(*t)) for t in missing)
    placed = pd.DataFrame([known[t] for t in tuples], columns=COLUMNS)
    out = placed.iloc[codes].set_axis(df.index)
    # county_fips as "string" (missing as pd.NA) like the agreements' nullable columns, the never-missing
    # level and rule as "str" like the other always-present text; share as float (NaN)
    return out.astype({"county_fips": "string", "geo_level": "str", "county_share": "float64", "geo_rule": "str"})


def snapshot_coverage(snaps: pd.DataFrame, agreements: pd.DataFrame) -> pd.DataFrame:
    """The snapshots table with ``county_coverage``: the share of each sheet's agreement rows
    placed in a county (NaN for a sheet with no row)."""
    placed = agreements["geo_level"].eq("county").to_numpy(dtype=bool)
    sheet, sids = agreements["snapshot_id"].factorize()  # counted on codes: the archive has 337k rows
    rows = np.bincount(sheet, minlength=len(sids))
    share = pd.Series(np.bincount(sheet, weights=placed, minlength=len(sids)) / np.maximum(rows, 1), index=sids)
    out = snaps.copy()  # after source_note, the last column both builds' snapshots tables share
    out.insert(list(out.columns).index("source_note") + 1, "county_coverage", out["snapshot_id"].map(share).astype("float64"))
    return out


def newest_coverage(snaps: pd.DataFrame) -> tuple[str, float] | None:
    """(snapshot_id, county_coverage) of the newest participating sheet, None when there is none."""
    part = snaps[snaps["kind"].eq("participating")]
    if part.empty:
        return None
    newest = part.sort_values(["published", "edition_order", "snapshot_id"], kind="stable").iloc[-1]
    return str(newest["snapshot_id"]), float(newest["county_coverage"])


def coverage_note(snaps: pd.DataFrame) -> str:
    """The build message's clause on the newest participating sheet's county coverage."""
    newest = newest_coverage(snaps)
    if newest is None:
        return ""
    sid, share = newest
    return f"; county coverage of the newest participating sheet {sid}: {share:.1%} of its agreement rows"


def coverage(df: pd.DataFrame, placed: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per snapshot: rows, rows at each geo level, and ``coverage`` (the share placed in a county).
    Statewide and territory rows count in the denominator: they are agreements without a county."""
    placed = place_frame(df) if placed is None else placed
    levels = pd.crosstab(df["snapshot_id"], placed["geo_level"]).reindex(columns=list(GEO_LEVELS), fill_value=0)
    out = levels.assign(rows=levels.sum(axis=1))
    out["coverage"] = out["county"] / out["rows"]
    return out[["rows", *GEO_LEVELS, "coverage"]].reset_index()


def unplaced(df: pd.DataFrame, placed: pd.DataFrame | None = None) -> pd.DataFrame:
    """The rows left unknown, one line per (state, COUNTY cell, agency) with its reason and how many
    rows and snapshots carry it: listed, never dropped."""
    placed = place_frame(df) if placed is None else placed
    rows = pd.concat([df[["snapshot_id", *KEY]], placed], axis=1)
    rows = rows[rows["geo_level"] == "unknown"]
    return (rows.groupby([*KEY, "geo_rule"], dropna=False)
            .agg(rows=("snapshot_id", "size"), snapshots=("snapshot_id", "nunique"))
            .reset_index().sort_values(["rows", "state"], ascending=[False, True], kind="stable")
            .reset_index(drop=True))  # fmt: skip


if __name__ == "__main__":  # python -m analysis.clean.geography [--archive]: print coverage and what stays unplaced
    import sys

    table = paths.PROCESSED_DIR / ("archive" if "--archive" in sys.argv else "") / "agreements.parquet"
    agreements = pd.read_parquet(table, columns=["snapshot_id", *KEY])
    where = place_frame(agreements)
    with pd.option_context("display.max_rows", None, "display.width", 200, "display.max_colwidth", 90):
        print(coverage(agreements, where).to_string(index=False, float_format="{:.1%}".format))
        print(unplaced(agreements, where).drop(columns="jurisdiction_type").to_string(index=False))
