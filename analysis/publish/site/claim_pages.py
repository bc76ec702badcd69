"""The home page and one page per claim (``claims/<id>.html``, a permalink).

Why: a fact-checker comes for one sentence. Its page carries everything needed to cite or
challenge the verdict: the passage and the article (link and local capture), the verdict and the
rule that gave it, claimed against reproduced in the printed unit, the sheet judged on with its
upstream copy and sha256, the counted rows (table and CSV), the value over the archive, and
schema.org ClaimReview JSON-LD so search engines and fact-check aggregators can read the verdict.
Every value shown comes from reports/claims.json (the engine's results) or the claim registry.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from ...factcheck import verdicts
from .inputs import Inputs
from .render import Site, script_json

EVIDENCE_SHOWN = 100  # rows of an evidence file shown on its page; the CSV has them all
#: columns of an ICE evidence file shown, in this order (others are in the CSV)
ICE_EVIDENCE = ["period", "row", "state_raw", "agency_raw", "support_type_raw", "county_raw", "county_fips", "model"]
#: rating of a checkable verdict on a 1-3 scale (schema.org Rating); "not checkable" has no rating
RATING = {verdicts.SUPPORTED: 3, verdicts.PARTLY: 2, verdicts.NOT_SUPPORTED: 1}
#: issue 26 adds the spans of dates on which each claim held to claims.json under one of these keys
HELD_KEYS = ("held", "spans", "when_held")


def rule_text(ctype: str) -> str:
    """The verdict rule of a comparison type, as verdicts.py's docstring documents it (one source)."""
    lines = (verdicts.__doc__ or "").splitlines()
    for i, line in enumerate(lines):
        if re.match(rf"^``{re.escape(ctype)}``(\s|$)", line):
            body = []
            for nxt in lines[i + 1 :]:
                if nxt and not nxt.startswith(" "):
                    break
                body.append(nxt.strip())
            return re.sub(r"``([^`]*)``", r"\1", " ".join(body).strip())
    return ""


def claimed_text(v, unit: str) -> str:
    """The printed figure with its unit ('135 agencies', '641%', '1/3 (share)')."""
    from .render import value

    if unit == "percent" and isinstance(v, (int, float)):
        return f"{value(v)}%"
    if isinstance(v, (list, dict)):
        return value(v)
    return f"{value(v)} {unit}"


def reproduced_text(row: dict) -> str:
    from .render import value

    if row.get("display"):
        return row["display"]
    if row["reproduced_value"] is None:
        return "—"
    return value(row["reproduced_value"])


def evidence_table(path: Path) -> tuple[list[str], list[list[str]], int, list[str]]:
    """(columns shown, the first EVIDENCE_SHOWN rows, the number of rows, the files the rows are from)."""
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        fields = reader.fieldnames or []
        rows = list(reader)
    shown = [c for c in ICE_EVIDENCE if c in fields] if "agency_raw" in fields else [c for c in fields if c not in ("file", "snapshot_id")]
    files = sorted({r["file"] for r in rows if r.get("file")})
    return shown, [[r[c] for c in shown] for r in rows[:EVIDENCE_SHOWN]], len(rows), files


def claim_review(row: dict, article, site_name: str) -> dict:
    """schema.org ClaimReview of one claim (https://schema.org/ClaimReview)."""
    item: dict = {"@type": "Claim", "author": {"@type": "Organization", "name": article.publication}}
    if article.date:
        item["datePublished"] = article.date.isoformat()
    if article.url:
        appearance = {"@type": "CreativeWork", "url": article.url}
        if article.date:
            appearance["datePublished"] = article.date.isoformat()
        if article.title:
            appearance["headline"] = article.title
        item["appearance"] = appearance
    rating: dict = {"@type": "Rating", "alternateName": row["verdict"]}
    if row["verdict"] in RATING:
        rating.update(ratingValue=RATING[row["verdict"]], worstRating=1, bestRating=3)
    return {"@context": "https://schema.org", "@type": "ClaimReview", "claimReviewed": row["quote"], "itemReviewed": item,
            "reviewRating": rating, "reviewBody": row["note"], "author": {"@type": "Organization", "name": site_name},
            "identifier": row["id"]}  # fmt: skip


def held(row: dict):
    """When the claim held (issue 26), if claims.json carries it; None until then."""
    for key in HELD_KEYS:
        if row.get(key) is not None:
            return row[key]
    return None


def _figure(row: dict, inputs: Inputs) -> list | None:
    """The static map the claim stands beside ([file name, alt, caption] from figures/maps.json), if any."""
    import json

    from ..maps import FLORIDA_SHARE_CLAIM

    index = inputs.reports_dir / "figures" / "maps.json"
    if row["id"] != FLORIDA_SHARE_CLAIM or not index.is_file():
        return None
    return json.loads(index.read_text(encoding="utf-8")).get("florida")


def claim_context(row: dict, inputs: Inputs) -> dict:
    claim = inputs.claim(row["id"])
    article = inputs.article(row["article"])
    sheet = inputs.raw_file(row.get("snapshot", ""))
    evidence = None
    if row.get("evidence") and (inputs.reports_dir / row["evidence"]).is_file():
        columns, rows, total, files = evidence_table(inputs.reports_dir / row["evidence"])
        evidence = {"columns": columns, "rows": rows, "total": total, "files": files, "csv": row["evidence"]}
    comparison = dict(claim.comparison) if claim else {}
    return {
        "row": row, "claim": claim, "article": article, "sheet": sheet, "evidence": evidence,
        "claimed": claimed_text(row["claimed_value"], row["unit"]), "reproduced": reproduced_text(row),
        "rule": {"type": comparison.get("type", ""), "params": {k: v for k, v in comparison.items() if k != "type"},
                 "text": rule_text(comparison.get("type", ""))},
        "jsonld": script_json(claim_review(row, article, inputs.site_name)),
        "held": held(row), "chart": inputs.claim_chart(row, claim), "static_map": _figure(row, inputs),
        "capture": f"shared/articles/{article.capture}" if article.capture else "",
    }  # fmt: skip


def write(site: Site, inputs: Inputs) -> None:
    """The home page and every claim's page; evidence CSVs copied beside them for download."""
    for row in inputs.rows:
        if row.get("evidence") and (inputs.reports_dir / row["evidence"]).is_file():
            site.copy(row["evidence"], inputs.reports_dir / row["evidence"])
        ctx = claim_context(row, inputs)
        site.page(f"claims/{row['id']}.html", "claim.html.j2", title=row["id"], **ctx)
    counts = {v: sum(r["verdict"] == v for r in inputs.rows) for v in verdicts.VERDICTS}
    table = [{"row": r, "article": inputs.article(r["article"]), "claimed": claimed_text(r["claimed_value"], r["unit"]),
              "reproduced": reproduced_text(r)} for r in inputs.rows]  # fmt: skip
    site.page("index.html", "home.html.j2", title="Home", counts=counts, claims=table, headline=inputs.headline())
