"""Which counties' residents live under a 287(g) agreement of their sheriff or county jail.

Why: "N million people live in counties whose sheriff works with ICE" and the court backlog per
resident by 287(g) status both need one rule for when an agreement covers a county. The rule
(docs/methods.md, "Population covered"):

- An agreement covers its county's residents when its agency is **county-level**: a sheriff's
  office, a county jail, corrections or detention department, or the county government that runs
  the jail (a Florida board of county commissioners), placed in a county (geography.py). Any model
  counts: JEM and WSO are jail models, and a sheriff's TFM agreement covers the county too,
  because a sheriff polices the whole county.
- A municipal police department, county police, constable, district attorney or campus police
  placed in a county is **local**: it does not cover the county's residents (it polices a town or
  a part of the county); the county's status says "local agreements only".
- State agencies are **statewide** and reported apart, never as covering every county; territory
  and unplaced rows are counted apart too.
- A county is counted once however many agreements cover it.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..clean import geography

#: an agency's role for coverage
ROLES = ("county", "local", "statewide", "territory", "unknown")
#: what a county-level name says (folded text): a sheriff, a jail or the county body that runs it
_SHERIFF = re.compile(r"\bsheriffs?\b")
_JAIL = re.compile(
    r"\b(jail|corrections?|correctional|detention|prison|criminal justice authority|"
    r"board of county commissioners|bocc)\b"
)
STATUS_COUNTY, STATUS_LOCAL, STATUS_NONE = "county agreement", "local agreements only", "none"
STATUSES = (STATUS_COUNTY, STATUS_LOCAL, STATUS_NONE)


def is_county_agency(agency_name: str, jurisdiction_type) -> bool:
    """A sheriff's office, a county jail/corrections body or the county board running the jail.
    A town's jail ("City of X Jail", typed Municipality) is not county-level."""
    name = geography.fold(agency_name)
    if _SHERIFF.search(name):
        return True
    if jurisdiction_type == "Municipality" or re.match(r"^(the )?(city|town|village|borough|township) of ", name):
        return False
    return bool(_JAIL.search(name))


def placed(rows: pd.DataFrame, gazetteer=None) -> pd.DataFrame:
    """geography.COLUMNS for the rows: the tables' own ``county_fips``/``geo_level`` when the build
    wrote them, else geography.place_frame. The one place the engine gets a row's county.
    ``gazetteer``: a Gazetteer, or a function making one (called only when rows must be placed)."""
    if {"county_fips", "geo_level"} <= set(rows.columns):
        out = rows[[c for c in geography.COLUMNS if c in rows.columns]].copy()
        for col in geography.COLUMNS:
            if col not in out:
                out[col] = pd.NA
        return out[geography.COLUMNS]
    keyed = rows if "agency_name" in rows else rows.assign(agency_name=rows["agency"])
    if "jurisdiction_type" not in keyed:
        keyed = keyed.assign(jurisdiction_type=pd.NA)
    return geography.place_frame(keyed, gazetteer)


def roles(rows: pd.DataFrame, gazetteer=None, known: dict | None = None) -> pd.DataFrame:
    """The rows with county_fips, geo_level and ``role`` (one of ROLES). ``known``: (agency name,
    jurisdiction type) -> is_county_agency, filled as met (a panel keeps one for all its sheets)."""
    where = placed(rows, gazetteer)
    names = rows["agency_name"] if "agency_name" in rows else rows["agency"]
    jtypes = rows["jurisdiction_type"] if "jurisdiction_type" in rows else pd.Series(None, index=rows.index)
    pairs = list(zip(names.tolist(), [j if isinstance(j, str) else None for j in jtypes.tolist()]))
    known = {} if known is None else known
    for pair in dict.fromkeys(pairs):  # an agency's models repeat its name, and its sheets
        if pair not in known:
            known[pair] = is_county_agency(*pair)
    county_level = pd.Series([known[pair] for pair in pairs], index=rows.index, dtype=bool)
    level = where["geo_level"].astype(object)
    role = level.where(level != "county", county_level.map({True: "county", False: "local"}))
    return rows.assign(county_fips=where["county_fips"].astype(object), geo_level=level, role=role.fillna("unknown"))


def _joined(values) -> str:
    return ";".join(sorted({str(v) for v in values if isinstance(v, str) and v}))


def _row_numbers(values) -> str:
    return ";".join(str(int(x)) for x in sorted(values))


def _per_county(values: pd.Series, fips: pd.Series, index: pd.Index, join) -> pd.Series:
    """``values.groupby(fips, sort=True).agg(join)`` on ``index`` (that groupby's keys), without
    pandas slicing a Series per county to call ``join`` (a check of 50 claims did that 8,000 times):
    the same texts and dtype (a text column's own, else inferred)."""
    if len(index) == 0:
        return values.groupby(fips, sort=True).agg(join)
    members: dict = {}
    for key, value in zip(fips.tolist(), values.tolist()):
        members.setdefault(key, []).append(value)
    out = np.array([join(members[k]) for k in index.tolist()], dtype=object)
    dtype = values.dtype if isinstance(values.dtype, pd.StringDtype) else None
    return pd.Series(out, index=index, name=values.name, dtype=dtype)


def covered_counties(rows: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """One row per county covered by a county-level agreement among ``rows`` (already with ROLES):
    county_fips, state, county_name, population_2024 (missing when the county is not in the Census
    2024 table), agreements, models, agencies and the sheet rows. Each county once."""
    used = [c for c in ("county_fips", "model", "agency", "row") if c in rows]  # not the sheet's other columns
    county = rows.loc[rows["role"] == "county", used]
    if "model" not in county:
        county = county.assign(model=pd.NA)
    sizes = county.groupby("county_fips", sort=True).size()
    fips = county["county_fips"]
    out = pd.DataFrame({
        "agreements": sizes,
        "models": _per_county(county["model"], fips, sizes.index, _joined),
        "agencies": _per_county(county["agency"], fips, sizes.index, _joined),
        "rows": _per_county(county["row"], fips, sizes.index, _row_numbers),
    }).reset_index()  # fmt: skip
    pop = population[["fips", "state", "county_name", "population_2024"]].rename(columns={"fips": "county_fips"})
    out = out.merge(pop, on="county_fips", how="left")
    out["state"] = out["state"].fillna(out["county_fips"].map(_state_of_fips))
    out["population_2024"] = out["population_2024"].astype("Int64")
    return out[["county_fips", "state", "county_name", "population_2024", "agreements", "models", "agencies", "rows"]]


def _state_of_fips(fips: str) -> str | None:
    from ..ingest.census import FIPS_TO_USPS

    return FIPS_TO_USPS.get(str(fips)[:2])


def county_status(rows: pd.DataFrame) -> pd.DataFrame:
    """Per county with any placed agreement among ``rows`` (with ROLES): status (STATUSES) and the
    models of its county-level agreements ("JEM;TFM"; empty without one)."""
    used = [c for c in ("county_fips", "role", "model") if c in rows]  # not the sheet's other columns
    placed_rows = rows.loc[rows["role"].isin(["county", "local"]), used]
    if "model" not in placed_rows:
        placed_rows = placed_rows.assign(model=pd.NA)
    has_county = (placed_rows["role"] == "county").groupby(placed_rows["county_fips"], sort=True).any()
    county = placed_rows[placed_rows["role"] == "county"]
    models = _per_county(county["model"], county["county_fips"], county.groupby("county_fips", sort=True).size().index, _joined)
    out = pd.DataFrame({"status": has_county.map({True: STATUS_COUNTY, False: STATUS_LOCAL})})
    out["models_287g"] = models.reindex(out.index).fillna("")
    return out.rename_axis("fips").reset_index()
