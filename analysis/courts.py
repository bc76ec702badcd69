"""Immigration-court backlog by county (TRAC) and published removal-order figures.

TRAC's county table counts pending cases by the respondent's most recent address; New York
City is five counties (Bronx, Kings, New York, Queens, Richmond), so a "county" ranking and a
"city" ranking can differ. Removal orders have no open microdata here: those claims are
checked against figures TRAC and Axios published (published_reference_figures/).
"""

from __future__ import annotations

import pandas as pd

from . import paths, trac
from .results import Result

TRAC_SOURCE = "trac_pending_by_address/trac_addressrep_county.tsv"
TRAC_AS_OF = "2025 (undated TRAC snapshot; inferred mid-to-late 2025)"


def county_table() -> pd.DataFrame:
    df = pd.read_parquet(paths.PROCESSED_DIR / "trac_county.parquet")
    df = df.sort_values(["pending", "fips"], ascending=[False, True], ignore_index=True)
    df["rank"] = df["pending"].rank(method="min", ascending=False).astype(int)
    return df


def with_nyc_combined(df: pd.DataFrame) -> pd.DataFrame:
    """The county ranking with NYC's five counties replaced by one row."""
    nyc = trac.nyc_combined(df)
    rest = df[~df["is_nyc"]].drop(columns=["rank"])
    row = {"fips": "NYC", "state": "NY", "county": "New York City (5 counties)", "pending": nyc["pending"], "is_nyc": True}
    out = pd.concat([rest, pd.DataFrame([row])], ignore_index=True)
    out = out.sort_values(["pending", "fips"], ascending=[False, True], ignore_index=True)
    out["rank"] = out["pending"].rank(method="min", ascending=False).astype(int)
    return out


def reference() -> pd.DataFrame:
    return pd.read_parquet(paths.PROCESSED_DIR / "reference_figures.parquet")


def removal_order_rank(geography: str) -> dict:
    """Rank of a county among the single counties in the latest published removal-order
    figures (NYC, which is five counties, and national totals are not single counties)."""
    ref = reference()
    ref = ref[ref["measure"].str.contains("removal orders") & ref["geography"].str.contains("County")]
    latest = ref[ref["published"] == ref["published"].max()]
    ranked = latest.assign(rank=latest["value"].rank(method="min", ascending=False).astype(int))
    row = ranked[ranked["geography"] == geography].iloc[0]
    return {"rank": int(row["rank"]), "value": int(row["value"]), "period": row["period_or_as_of"],
            "figure_id": row["figure_id"], "counties_compared": int(len(ranked)), "quote": row["quote_context"],
            "note": "no open removal-order microdata: checked against figures TRAC/Axios published"}  # fmt: skip


def compute() -> list[Result]:
    counties = county_table()
    combined = with_nyc_combined(counties)

    def rank_of(fips: str, table: pd.DataFrame) -> int:
        return int(table.loc[table["fips"] == fips, "rank"].iloc[0])

    top = counties.head(5)[["county", "state", "pending"]].to_dict("records")
    harris = removal_order_rank("Harris County, TX")
    res = [
        Result("miami_dade_backlog_rank", rank_of("12086", counties), "rank", TRAC_AS_OF, TRAC_SOURCE,
               {"pending": int(counties.loc[counties.fips == "12086", "pending"].iloc[0]), "top5": top,
                "rank_with_nyc_combined": rank_of("12086", combined)}),
        Result("cook_backlog_rank", rank_of("17031", counties), "rank", TRAC_AS_OF, TRAC_SOURCE,
               {"rank_with_nyc_combined": rank_of("17031", combined)}),
        Result("los_angeles_backlog_rank", rank_of("06037", counties), "rank", TRAC_AS_OF, TRAC_SOURCE,
               {"rank_with_nyc_combined": rank_of("06037", combined)}),
        Result("harris_removal_orders_rank", harris["rank"], "rank", harris["period"],
               "published_reference_figures/reference_figures.csv", harris),
    ]  # fmt: skip
    return res
