"""TRAC "Pending Court Cases by Immigrant's Address" tables (county.txt / state.txt).

Why: the claims about immigration-court backlogs by county or state ("Miami-Dade has the most
pending cases", "New York City ...") are checked against these TRAC snapshots. They are a
backlog table only: no removal-order counts. The as-of date is not in the file (see MANIFEST).

TRAC prints counts with thousands commas and county FIPS with leading zeros, so the files are
read as text and converted column by column; anything that does not parse fails loudly.
"""

from __future__ import annotations


import pandas as pd
import us

from analysis.core import table_spec
from analysis.core.errors import SheetError
from analysis.ingest.textfiles import read_text_table

# The registry path of the county table; the engine cites it as a measure's source.
TRAC_SOURCE = "trac_pending_by_address/trac_addressrep_county.tsv"
FIPS_TO_USPS = us.states.mapping("fips", "abbr")  # 50 states, DC and territories (PR = "72")

# New York City is five counties: Bronx, Kings (Brooklyn), New York (Manhattan), Queens, Richmond.
NYC_FIPS = frozenset({"36005", "36047", "36061", "36081", "36085"})

COUNT_COLUMNS = ["pending", "represented", "pending_90d", "represented_90d"]
PCT_COLUMNS = ["pct_represented", "pct_represented_90d"]

_COUNTY_RAW = {
    "id": "fips", "cocount": "pending", "corep": "represented", "cocount90": "pending_90d",
    "corep90": "represented_90d", "copctrep": "pct_represented",
    "copctrep90": "pct_represented_90d", "coname": "county",
}
_STATE_RAW = {
    "id": "fips", "stcode": "stcode", "stname": "state_name", "stcount": "pending",
    "strep": "represented", "stcount90": "pending_90d", "strep90": "represented_90d",
    "stpctrep": "pct_represented", "stpctrep90": "pct_represented_90d",
}


def _read_tsv(path, columns: dict[str, str]) -> pd.DataFrame:
    """Read a TRAC TSV as text (keeps leading zeros) and rename its columns, or fail clearly."""
    raw = read_text_table(path, "TRAC table", columns, sep="\t")
    return raw[list(columns)].rename(columns=columns).apply(lambda s: s.str.strip())


def _counts(df: pd.DataFrame, path) -> pd.DataFrame:
    """Turn '1,796'-style counts into int and percentages into float; reject anything else."""
    for col in COUNT_COLUMNS:
        text = df[col].str.replace(",", "", regex=False)
        bad = ~text.str.fullmatch(r"\d+")
        if bad.any():
            raise SheetError(
                f"non-numeric count in column {col!r}: {df.loc[bad, col].iloc[0]!r}", path=str(path)
            )
        df[col] = text.astype("int64")
    for col in PCT_COLUMNS:
        values = pd.to_numeric(df[col], errors="coerce")
        if values.isna().any():
            raise SheetError(
                f"non-numeric percentage in column {col!r}: {df.loc[values.isna(), col].iloc[0]!r}",
                path=str(path),
            )
        df[col] = values.astype("float64")
    return df


def _fips(df: pd.DataFrame, width: int, path) -> pd.DataFrame:
    """Zero-pad FIPS (a spreadsheet may have dropped the leading zero), derive the USPS code."""
    bad = ~df["fips"].str.fullmatch(rf"\d{{1,{width}}}")
    if bad.any():
        raise SheetError(f"malformed FIPS code {df.loc[bad, 'fips'].iloc[0]!r}", path=str(path))
    df["fips"] = df["fips"].str.zfill(width)
    dup = df["fips"].duplicated()
    if dup.any():
        raise SheetError(f"duplicate FIPS code {df.loc[dup, 'fips'].iloc[0]!r}", path=str(path))
    df["state"] = df["fips"].str[:2].map(FIPS_TO_USPS)
    if df["state"].isna().any():
        raise SheetError(
            f"unknown state FIPS in {df.loc[df['state'].isna(), 'fips'].iloc[0]!r}", path=str(path)
        )
    return df


def read_trac_county(path) -> pd.DataFrame:
    """TRAC county table: one row per county FIPS (3,220 incl. Puerto Rico in the real file).

    Counties are where respondents' most recent EOIR address lies; for detained people that is
    usually the detention facility's county, so detention sites show inflated counts.
    """
    df = _fips(_counts(_read_tsv(path, _COUNTY_RAW), path), 5, path)
    df["is_nyc"] = df["fips"].isin(NYC_FIPS)
    return df[table_spec.TRAC_COUNTY.names]


def read_trac_state(path) -> pd.DataFrame:
    """TRAC state table (50 states + DC, no PR). Its totals are TRAC's own and differ from the
    county sums by a few cases in most states, so use it for state claims rather than re-summing.
    """
    df = _fips(_counts(_read_tsv(path, _STATE_RAW), path), 2, path)
    wrong = df["stcode"] != df["state"]
    if wrong.any():
        row = df[wrong].iloc[0]
        raise SheetError(
            f"stcode {row['stcode']!r} does not match FIPS {row['fips']!r} ({row['state']})",
            path=str(path),
        )
    return df[table_spec.TRAC_STATE.names]


def nyc_combined(county_df: pd.DataFrame) -> dict:
    """Sum the five NYC counties, because articles (and TRAC reports) treat "New York City" as
    one place while TRAC's county table lists Bronx, Kings, New York, Queens and Richmond apart.

    Returns the summed counts, the recomputed % represented, and the county names; raises
    ValueError unless exactly the five NYC counties are present.
    """
    nyc = county_df[county_df["fips"].isin(NYC_FIPS)]
    if len(nyc) != len(NYC_FIPS) or set(nyc["fips"]) != NYC_FIPS:
        missing = sorted(NYC_FIPS - set(nyc["fips"]))
        raise ValueError(
            f"NYC needs its five counties exactly once; missing {missing}, got {len(nyc)} rows"
        )
    totals = {col: int(nyc[col].sum()) for col in COUNT_COLUMNS}
    pending = totals["pending"]
    totals["pct_represented"] = 100 * totals["represented"] / pending if pending else float("nan")
    totals["counties"] = nyc["county"].tolist()
    return totals
