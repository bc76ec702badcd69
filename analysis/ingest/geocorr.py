"""Geocorr 2022 place-to-county crosswalk (geocorr2022_place_county.csv).

Why: a municipal police department whose ICE row has no COUNTY is placed in the county holding
most of its town's residents (geography.py); this table says how the town's people split.

Quirks of the file (see its MANIFEST): two header rows (names, then labels), codes quoted with
leading zeros, a trailing space after the last column's numbers, Latin-1 text ('Cañon City'). Rows coded place 99999
('[not in a place]') are the rest of a county, not a town, and are dropped.
"""

from __future__ import annotations

import pandas as pd

from analysis.core.errors import SheetError
from analysis.ingest.textfiles import read_text_table

COLUMNS = {
    "stab": "state", "place": "place_code", "PlaceName": "place_name", "county": "county_fips",
    "CountyName": "county_name", "pop20": "pop20", "afact2": "share",
}  # fmt: skip
LABEL_ROW_FIRST_CELL = "County code"  # the second header row starts with this label
NOT_A_PLACE = "99999"


def read_place_county(path) -> pd.DataFrame:
    """One row per (town, county) part: state (USPS), place_code, place_name ('Cape Coral city, FL'),
    county_fips, county_name (Geocorr's 'Lee FL'), pop20 (int), share (of the town's residents in
    that county, 0-1: Geocorr's afact2; missing for a town of no residents)."""
    from analysis.core import schemas

    raw = read_text_table(path, "Geocorr crosswalk", list(COLUMNS), encoding="latin-1")
    if raw.empty or raw["county"].iloc[0].strip() != LABEL_ROW_FIRST_CELL:
        first = raw["county"].iloc[0] if len(raw) else "(no rows)"
        raise SheetError(
            f"second line starts with {first!r}; expected Geocorr's label row ({LABEL_ROW_FIRST_CELL!r})",
            path=str(path),
        )
    df = raw.iloc[1:][list(COLUMNS)].rename(columns=COLUMNS).apply(lambda s: s.str.strip())
    df = df[df["place_code"] != NOT_A_PLACE].reset_index(drop=True)
    for col, pattern in (("county_fips", r"\d{5}"), ("place_code", r"\d{5}"), ("pop20", r"\d+")):
        bad = ~df[col].str.fullmatch(pattern)
        if bad.any():
            raise SheetError(f"malformed {col} {df.loc[bad, col].iloc[0]!r}", path=str(path))
    df["pop20"] = df["pop20"].astype("int64")
    share = pd.to_numeric(df["share"], errors="coerce")
    # Geocorr leaves afact2 blank for a town of no residents (0 of 0): kept as missing, nothing else may be.
    bad = share.isna() & ((df["share"] != "") | (df["pop20"] > 0))
    if bad.any():
        raise SheetError(f"non-numeric afact2 {df.loc[bad, 'share'].iloc[0]!r}", path=str(path))
    df["share"] = share.astype("float64")
    schemas.validate_table(schemas.PLACE_COUNTY, df, "place-county crosswalk")
    return df
