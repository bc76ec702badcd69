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
from . import charts
from .inputs import Inputs
from .render import Site, script_json

EVIDENCE_SHOWN = 100  # rows of an evidence file shown on its page; the CSV has them all
#: columns of an ICE evidence file shown, in this order (others are in the CSV)
ICE_EVIDENCE = ["period", "row", "state_raw", "agency_raw", "support_type_raw", "county_raw", "county_fips", "model"]
#: rating of a checkable verdict on a 1-3 scale (schema.org Rating); "not checkable" has no rating
RATING = {verdicts.SUPPORTED: 3, verdicts.PARTLY: 2, verdicts.NOT_SUPPORTED: 1}


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


def held(row: dict) -> dict | None:
    """When the claim held (claims.json's "held", factcheck/held.py); None for a claim no data can check."""
    return row.get("held")


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
        "held": held(row), "static_map": _figure(row, inputs),
        "capture": f"shared/articles/{article.capture}" if article.capture else "",
    }  # fmt: skip


CHARTS = "assets/charts"  # one script per claim: its chart's Plotly spec (made with the data's pages)


def chart(claim, article, panel, memo: dict | None = None) -> dict | None:
    """The claim's measure on every sheet of the archive (engine.series, the engine's own counting),
    with the printed figure and the article's date marked; None when the value is not one number
    (a set, a table), or the claim is not measured on ICE's sheets. The other unit is drawn too for
    a sentence that may mix agencies and agreements. ``memo`` (measure -> series) is shared by the
    claims of one site: a measure that several claims print (one outlet quoting another, a claim's
    other unit) is computed once."""
    import dataclasses

    from ...core.errors import AnalysisError, UsageError
    from ...engine import series
    from ...engine.asof import UNITS

    if claim is None or claim.measure is None or claim.measure.source != "ice":
        return None
    memo = {} if memo is None else memo
    measures = [claim.measure]
    if claim.also_units and claim.measure.unit in UNITS:
        measures.append(dataclasses.replace(claim.measure, unit=next(u for u in UNITS if u != claim.measure.unit)))
    lines = {}
    try:
        for m in measures:
            if m not in memo:
                memo[m] = series.series(m, panel)
            frame = memo[m][memo[m]["number"].notna()]
            if not frame.empty:
                name = m.unit if len(measures) > 1 else m.describe().split(":")[-1].strip()
                lines[name + (" (as printed)" if len(measures) > 1 and m is claim.measure else "")] = (
                    [d.isoformat() for d in frame["published"]], [round(float(v), 4) for v in frame["number"]])
    except AnalysisError:
        return None
    if not lines:
        return None
    percent = claim.measure.statistic in ("share", "pct_change")
    shapes, notes = [], []
    try:
        claimed = float(verdicts.to_fraction(claim.claimed_value)) * (100 if claim.measure.statistic == "share" else 1)
        shape, note = charts.hline(claimed, f"claimed: {claimed_text(claim.claimed_value, claim.unit)}")
        shapes.append(shape)
        notes.append(note)
    except (ValueError, TypeError, UsageError):
        pass  # a figure that is not one number (a list, a table) gets no line
    day = (article.date or claim.as_of).isoformat()
    shape, note = charts.vline(day, "article's date" if article.date else "judged as of (inferred)")
    shapes.append(shape)
    notes.append(note)
    spec = charts.lines(lines, y_title=f"{claim.measure.describe().split(':')[-1].strip()}{' (%)' if percent else ''}",
                        height=320, shapes=shapes, annotations=notes)  # fmt: skip
    first = next(iter(lines.values()))
    return {"spec": spec, "alt": f"Step chart of {claim.measure.describe()} on each of the {len(first[0]):,} sheets from "
                                 f"{first[0][0]} to {first[0][-1]}, with the claimed value and the article's date ({day}) marked."}


def write_charts(site: Site, inputs: Inputs) -> None:
    """assets/charts/<claim>.js for every registry claim with a chart (the engine over the archive)."""
    from .render import script_json

    if inputs.panel is None:
        return
    memo: dict = {}
    for claim in inputs._claims.values():
        made = chart(claim, inputs.article(claim.article), inputs.panel, memo)
        if made is not None:
            site.write(f"{CHARTS}/{claim.id}.js", f"window.SITE_CHARTS=window.SITE_CHARTS||{{}};\n"
                                                  f"window.SITE_CHARTS[{script_json(claim.id)}]={script_json(made)};\n")


def write(site: Site, inputs: Inputs) -> None:
    """The home page and every claim's page; evidence CSVs copied beside them for download."""
    for row in inputs.rows:
        if row.get("evidence") and (inputs.reports_dir / row["evidence"]).is_file():
            site.copy(row["evidence"], inputs.reports_dir / row["evidence"])
        ctx = claim_context(row, inputs)
        chart_js = f"{CHARTS}/{row['id']}.js"
        site.page(f"claims/{row['id']}.html", "claim.html.j2", title=row["id"], chart=chart_js if chart_js in site.written else "", **ctx)
    counts = {v: sum(r["verdict"] == v for r in inputs.rows) for v in verdicts.VERDICTS}
    table = [{"row": r, "article": inputs.article(r["article"]), "claimed": claimed_text(r["claimed_value"], r["unit"]),
              "reproduced": reproduced_text(r)} for r in inputs.rows]  # fmt: skip
    site.page("index.html", "home.html.j2", title="Home", counts=counts, claims=table, headline=inputs.headline(),
              articles=len({r["article"] for r in inputs.rows}))
