"""Immigration-court backlog by county (TRAC) and published removal-order figures.

TRAC's county table counts pending cases by the respondent's most recent address; New York
City is five counties (Bronx, Kings, New York, Queens, Richmond), so a "county" ranking and a
"city" ranking can differ. Removal orders have no open microdata here: those claims are
checked against figures TRAC and Axios published (published_reference_figures/).
"""

from __future__ import annotations

from pathlib import Path

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


def county_label(county: str, state: str) -> str:
    return f"{county}, {state}"


def removal_orders_table() -> tuple[dict[str, int], dict]:
    """County -> removal orders from the latest period with published county figures."""
    ref = reference()
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


def write_evidence(counties: pd.DataFrame, quantity: str, output_dir=None) -> dict[str, str]:
    """TRAC's county rows (FIPS, county, state, pending cases, rank) behind each county claim, as
    reports/evidence/<claim-id>.csv: the ranking a verdict compares is the whole table."""
    from . import atomic, claim_registry, results
    from .check import evidence_csv

    folder = (Path(output_dir) if output_dir else results.DEFAULT_RESULTS_DIR).parent / "evidence"
    table = counties[["rank", "fips", "county", "state", "pending"]].assign(file=TRAC_SOURCE)
    out = {}
    for claim in claim_registry.claims_for_notebook("courts"):
        if claim.quantity == quantity and claim.comparison_type not in ("not_checkable", "policy"):
            atomic.write_text(folder / f"{claim.id}.csv", evidence_csv(table))
            out[claim.id] = f"evidence/{claim.id}.csv"
    return out


def compute(*, catn_date: str | None = None, output_dir=None, evidence: bool = True) -> list[Result]:
    """The CATN post's county claims: TRAC's undated table, labelled with the post's date (or a what-if)."""
    from . import registry
    from .claims import article_day

    as_of = article_day("catn-2025-late", {"catn_date": catn_date}).isoformat()
    counties = county_table()
    quantity = f"pending_cases_by_county_{as_of.replace('-', '_')}"
    trac = next(e for e in registry.load() if e.path == TRAC_SOURCE)
    pending = {county_label(c, s): int(n) for c, s, n in zip(counties["county"], counties["state"], counties["pending"])}
    combined = with_nyc_combined(counties)
    removal, removal_detail = removal_orders_table()
    key = as_of.replace("-", "_")
    res = [
        Result(quantity, pending, "cases", TRAC_AS_OF, TRAC_SOURCE,
               {"top5": counties.head(5)[["county", "state", "pending"]].to_dict("records"),
                "top5_nyc_combined": combined.head(5)[["county", "state", "pending"]].to_dict("records"),
                "snapshot": {"file": TRAC_SOURCE, "sha256": trac.sha256, "published": "", "edition": ""},
                "evidence": write_evidence(counties, quantity, output_dir) if evidence else {},
                "rows": len(counties)}),
        Result(f"removal_orders_by_county_{key}", removal, "removal orders", removal_detail["period"],
               "published_reference_figures/reference_figures.csv", removal_detail),
    ]  # fmt: skip
    for quantity in ARREST_CLAIMS:
        res.append(Result(quantity, None, "not checkable", as_of, "none: no ICE arrest data in the pinned files"))
    return res
