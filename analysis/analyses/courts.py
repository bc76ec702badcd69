"""Immigration-court backlog by county (TRAC) and published removal-order figures.

TRAC's county table counts pending cases by the respondent's most recent address; New York
City is five counties (Bronx, Kings, New York, Queens, Richmond), so a "county" ranking and a
"city" ranking can differ. Removal orders have no open microdata here: those claims are
checked against figures TRAC and Axios published (published_reference_figures/).
"""

from __future__ import annotations

import pandas as pd

from ..core.paths import Project
from ..ingest import trac
from ..ingest.trac import TRAC_SOURCE
from ..factcheck.results import Result

TRAC_AS_OF = "2025 (undated TRAC snapshot; inferred mid-to-late 2025)"


def county_table(project: Project) -> pd.DataFrame:
    df = pd.read_parquet(project.processed / "trac_county.parquet")
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


def reference(project: Project) -> pd.DataFrame:
    return pd.read_parquet(project.processed / "reference_figures.parquet")


def removal_orders_table(project: Project) -> tuple[dict[str, int], dict]:
    """County -> removal orders from the latest period with published county figures."""
    ref = reference(project)
    ref = ref[ref["measure"].str.contains("removal orders") & ~ref["geography"].isin(["United States"])]
    latest = ref[ref["published"] == ref["published"].max()]
    table = {g: int(v) for g, v in zip(latest["geography"], latest["value"])}
    detail = {"period": latest["period_or_as_of"].iloc[0], "figure_ids": latest["figure_id"].tolist(),
              "quotes": latest["quote_context"].tolist(),
              "note": "no open removal-order microdata: the table holds the county figures TRAC/Axios published "
                      "for the latest period; earlier period (TRAC report 740, FY2024 H1) ranks NYC's five counties "
                      "together first and Harris second"}  # fmt: skip
    return table, detail


ARREST_CLAIMS = ("arrest_target_per_day", "arrest_target_to_early_2025_daily_arrests_ratio",
                 "deportations_per_year_goal", "san_antonio_operation_arrests")  # fmt: skip


def compute(project: Project, *, catn_date: str | None = None, output_dir=None, evidence: bool = True,
            panel=None) -> list[Result]:  # fmt: skip
    """The CATN post's county claims: the engine ranks TRAC's undated table (labelled with the post's
    date, or a what-if); removal orders are published figures, recorded as context only."""
    from ..factcheck.claims import article_day, measured_results

    dates = {"catn_date": catn_date}
    as_of = article_day("catn-2025-late", dates).isoformat()
    removal, removal_detail = removal_orders_table(project)
    combined = with_nyc_combined(county_table(project))
    res = measured_results(project, "courts", dates=dates, panel=panel, output_dir=output_dir, evidence=evidence)
    res += [
        Result(f"removal_orders_by_county_{as_of.replace('-', '_')}", removal, "removal orders", removal_detail["period"],
               "published_reference_figures/reference_figures.csv", removal_detail),
        Result("pending_cases_nyc_combined", combined.head(5)[["county", "state", "pending"]].to_dict("records"), "cases",
               TRAC_AS_OF, TRAC_SOURCE, {"note": "context only: the CATN post speaks 'at the county level'"}),
    ]  # fmt: skip
    from ..factcheck import claim_registry
    from ..factcheck.claims import claim_date

    own = {c.quantity: c for c in claim_registry.claims_for_notebook("courts")}
    for quantity in ARREST_CLAIMS:  # each on its own claim's date (a what-if moves only its article's "now")
        day = claim_date(own[quantity], dates).isoformat()
        res.append(Result(quantity, None, "not checkable", day, "none: no ICE arrest data in the pinned files"))
    return res
