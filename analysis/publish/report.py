"""The HTML report: one section per claim (quote, verdict, numbers, figure, notebook link),
methods, and the provenance of every raw file. Deterministic: no timestamps, relative links."""

from __future__ import annotations

import html
import json
from pathlib import Path

from ..core import atomic, paths
from ..ingest import registry
from ..factcheck.claims import EVIDENCE_ROWS_SHOWN

FIGURE_FOR = {"growth": "growth_by_model_agreements.png", "concentration": "florida_share_agreements.png",
              "pending": "pending_by_model.png", "courts": "county_backlog.png",
              "reimbursement": "performance_tiers.png"}  # fmt: skip
BADGE = {"supported": "#1a7f37", "partly supported": "#9a6700", "not supported": "#cf222e", "not checkable": "#57606a"}

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:980px;margin:2rem auto;padding:0 1rem;color:#1f2328;line-height:1.5}
h1{font-size:1.8rem;margin-bottom:.2rem} h2{border-bottom:1px solid #d0d7de;padding-bottom:.3rem;margin-top:2.5rem}
.claim{border:1px solid #d0d7de;border-radius:8px;padding:1rem 1.2rem;margin:1.2rem 0}
blockquote{margin:.4rem 0 .8rem;padding-left:1rem;border-left:4px solid #d0d7de;color:#424a53;font-style:italic}
.badge{display:inline-block;color:#fff;border-radius:12px;padding:.1rem .7rem;font-size:.85rem;font-weight:600}
table{border-collapse:collapse;font-size:.9rem;width:100%} td,th{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa} .num{font-variant-numeric:tabular-nums} img{max-width:100%;border:1px solid #eaeef2;margin-top:.6rem}
.meta{color:#57606a;font-size:.9rem} code{background:#f6f8fa;padding:0 .2rem;border-radius:4px;word-break:break-all}
.summary td:nth-child(2){white-space:nowrap}
.maps{display:grid;grid-template-columns:1fr 1fr;gap:1rem} figure{margin:0} figcaption{color:#57606a;font-size:.85rem}
"""


def _fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, dict) and len(value) > 8:
        top = sorted(value.items(), key=lambda kv: -kv[1] if isinstance(kv[1], (int, float)) else 0)[:8]
        return ", ".join(f"{k}: {_fmt(v)}" for k, v in top) + f" … ({len(value)} in all)"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_fmt(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_fmt(v) for v in value)
    return str(value)


def _short(text: str, width: int = 90) -> str:
    """A passage cut at a word for the summary table (the claim block quotes it whole)."""
    if len(text) <= width:
        return text
    return text[:width].rsplit(" ", 1)[0] + " …"


def _reproduced(r: dict) -> str:
    value = _fmt(r["reproduced_value"])
    return f"{r['display']} — {r['measure']}" if r.get("display") and r.get("measure") else value


def _source(r: dict) -> str:
    """The sheet a value came from, as a fact-checker cites it, and the rows behind it."""
    if not r.get("snapshot"):
        return "—"
    out = f"<code>{html.escape(r['snapshot'])}</code>"
    if r.get("sha256"):
        edition = f", {html.escape(r['edition'])}" if r.get("edition") else ""
        out += f" (published {html.escape(r['published'])}{edition}; sha256 <code>{html.escape(r['sha256'][:16])}…</code>)"
    if r.get("evidence"):
        out += f"<br><a href='{html.escape(r['evidence'])}'>the {r.get('rows', 0):,} rows counted ({html.escape(r['evidence'])})</a>"
    return out


def _evidence(r: dict, reports_dir: Path) -> str:
    """The rows themselves when few (the 22 pending applications), else their count by state."""
    import csv

    rows = r.get("rows", 0)
    if not r.get("evidence") or not rows:
        return ""
    path = reports_dir / r["evidence"]
    if rows <= EVIDENCE_ROWS_SHOWN and path.is_file():
        with path.open(newline="", encoding="utf-8") as fh:
            records = list(csv.DictReader(fh))
        body = "".join(f"<tr><td class='num'>{html.escape(x['row'])}</td><td>{html.escape(x['state_raw'])}</td>"
                       f"<td>{html.escape(x['agency_raw'])}</td><td>{html.escape(x['support_type_raw'])}</td></tr>"
                       for x in records)  # fmt: skip
        return (f"<details open><summary class='meta'>The {rows} rows counted, as ICE printed them</summary>"
                f"<table><tr><th>row</th><th>STATE</th><th>LAW ENFORCEMENT AGENCY</th><th>SUPPORT TYPE</th></tr>{body}</table></details>")
    by_state = sorted(r.get("rows_by_state", {}).items(), key=lambda kv: (-kv[1], kv[0]))
    if not by_state:
        return f"<p class='meta'>{rows:,} rows; the first are in the <a href='{html.escape(r['evidence'])}'>evidence file</a>.</p>"
    return ("<p class='meta'>Rows counted by state: " + html.escape(", ".join(f"{k} {v:,}" for k, v in by_state)) + "</p>")


def _badge(verdict: str) -> str:
    return f'<span class="badge" style="background:{BADGE.get(verdict, "#57606a")}">{html.escape(verdict)}</span>'


def notebook_html(reports_dir: Path) -> None:
    """Executed notebooks as HTML beside the .ipynb files (for links from the report); a page
    newer than its notebook (one reproduce did not execute again) is kept: nbconvert takes seconds."""
    stale = [nb for nb in sorted((reports_dir / "notebooks").glob("*.ipynb"))
             if not nb.with_suffix(".html").is_file() or nb.with_suffix(".html").stat().st_mtime_ns < nb.stat().st_mtime_ns]
    if not stale:
        return
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter()
    for nb_path in stale:
        body, _ = exporter.from_notebook_node(nbformat.read(nb_path, as_version=4))
        atomic.write_text(nb_path.with_suffix(".html"), body)


def _figure(item) -> str:
    """One map with its alt text (date, sheet, counts) and caption, from maps.report_maps."""
    name, alt, caption = item
    return (f"<figure><img src='figures/{html.escape(name)}' alt='{html.escape(alt)}'>"
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def _maps_section(maps: dict | None) -> str:
    """County maps on the articles' dates and the newest sheet, side by side (shared colour classes)."""
    if not maps:
        return ""
    out = ["<h2 id='maps'>Where: agreements by county over time</h2>"
           "<p class='meta'>The sheet in force on each article's date and the newest sheet, with the same colour classes. "
           "Statewide agreements (state agencies), rows no county rule placed and territories are not drawn; each map's "
           "note counts them. County codes and what stays unplaced: <code>docs/methods.md</code>, \"Maps\".</p>"]
    out.append("<div class='maps'>" + "".join(_figure(x) for x in maps.get("over_time", [])) + "</div>")
    for why in maps.get("skipped", []):
        out.append(f"<p class='meta'>No map: {html.escape(why)}</p>")
    return "\n".join(out)


def build(rows: list[dict], reports_dir: Path | None = None, maps: dict | None = None) -> str:
    """The report page; links and figures are looked up in ``reports_dir`` (reports/ by default);
    ``maps`` is maps.report_maps()'s result (None: a page without maps)."""
    from collections import Counter

    from .maps import FLORIDA_SHARE_CLAIM

    reports_dir = Path(reports_dir) if reports_dir else paths.REPORTS_DIR
    counts = Counter(r["verdict"] for r in rows)
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>ice-287g-claims: report</title><style>{CSS}</style></head><body>",
             "<h1>287(g) claims, re-derived</h1>",
             "<p class='meta'>Every number below was computed from pinned public data by the notebooks linked in each section; "
             "verdicts are computed from the claim registry's comparison rules, never typed in.</p>",
             "<p>" + " ".join(f"{_badge(v)} {counts.get(v, 0)}" for v in BADGE) + "</p>",
             "<p class='meta'>Jump to: " + ("<a href='#maps'>maps</a> · " if maps else "")
             + "<a href='#statistics'>statistics</a> · <a href='#methods'>methods</a> · "
             "<a href='#provenance'>data provenance</a>"
             + (" · <a href='recheck.md'>claims re-checked on the newest sheet</a>" if (reports_dir / "recheck.md").is_file() else "")
             + "</p>",
             "<table class='summary'><tr><th>outlet</th><th>date</th><th>passage</th><th>verdict</th><th>claimed</th>"
             "<th>data</th></tr>"]  # fmt: skip
    for r in rows:
        outlet = r["source"].partition(", ")[0]
        parts.append(f"<tr><td>{html.escape(outlet)}</td><td>{html.escape(r.get('article_date', ''))}</td>"
                     f"<td><a href='#{r['id']}'>{html.escape(_short(r['quote']))}</a></td><td>{_badge(r['verdict'])}</td>"
                     f"<td class='num'>{html.escape(_fmt(r['claimed_value']))}</td>"
                     f"<td class='num'>{html.escape(r.get('display') or _fmt(r['reproduced_value']))}</td></tr>")  # fmt: skip
    parts.append("</table><h2>Claims</h2>")
    shown_fig: set[str] = set()
    for r in rows:
        fig = FIGURE_FOR.get(r["notebook"])
        quote = (f"<blockquote>“{html.escape(r['quote'])}”</blockquote>" if r.get("quote_verbatim", True)
                 else f"<blockquote>{html.escape(r['quote'])} <span class='meta'>(paraphrase, not the article's words)</span></blockquote>")
        parts.append(f"<div class='claim' id='{r['id']}'><h3>{html.escape(r['id'])} {_badge(r['verdict'])}</h3>"
                     f"{quote}<p class='meta'>{html.escape(r['source'])}</p>"
                     f"<table><tr><th>claimed</th><td class='num'>{html.escape(_fmt(r['claimed_value']))} ({html.escape(r['unit'])})</td></tr>"
                     f"<tr><th>reproduced</th><td class='num'>{html.escape(_reproduced(r))}</td></tr>"
                     f"<tr><th>as of</th><td>{html.escape(r['as_of'])}</td></tr>"
                     f"<tr><th>source</th><td>{_source(r)}</td></tr>"
                     + (f"<tr><th>caveat</th><td><b>{html.escape(r['caveat'])}</b></td></tr>" if r.get("caveat") else "")
                     + f"<tr><th>why</th><td>{html.escape(r['note'])}</td></tr>"
                     f"<tr><th>notebook</th><td><a href='notebooks/{r['notebook']}.html'>{r['notebook']}</a></td></tr></table>")  # fmt: skip
        parts.append(_evidence(r, reports_dir))
        if r.get("sensitivity"):
            parts.append(_sensitivity(r["sensitivity"]))
        if maps and maps.get("florida") and r["id"] == FLORIDA_SHARE_CLAIM:
            parts.append(_figure(maps["florida"]))
        if fig and fig not in shown_fig and (reports_dir / "figures" / fig).is_file():
            parts.append(f"<img src='figures/{fig}' alt='figure for the {r['notebook']} notebook'>")
            shown_fig.add(fig)
        parts.append("</div>")
    parts.append(_maps_section(maps))
    from . import report_statistics

    parts.append(report_statistics.section_html(reports_dir / "results"))
    parts.append(_methods())
    parts.append(_provenance())
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _sensitivity(rows: list[dict]) -> str:
    """Verdicts on the sheets around an inferred date: does the verdict hang on the date chosen?"""
    out = ["<p class='meta'>The article prints no exact date, so the verdict is also computed on the sheets "
           "around the inferred date:</p><table><tr><th>sheet</th><th>published</th><th>value</th><th>verdict</th></tr>"]
    for s in rows:
        value = _fmt(s["value"]) if "value" in s else "(see notebook)"
        out.append(f"<tr><td>{html.escape(s['which'])}: <code>{html.escape(s['snapshot'])}</code></td>"
                   f"<td>{html.escape(s['published'])}{' ' + html.escape(s['edition']) if s['edition'] else ''}</td>"
                   f"<td class='num'>{html.escape(value)}</td><td>{_badge(s['verdict'])}</td></tr>")  # fmt: skip
    out.append("</table>")
    return "".join(out)


def _corrections_by_snapshot() -> str:
    """How many cells each sheet needed corrected (issue: corrections are never silent)."""
    import pandas as pd

    corrections, snaps = paths.PROCESSED_DIR / "corrections.csv", paths.PROCESSED_DIR / "snapshots.parquet"
    if not corrections.is_file() or not snaps.is_file():
        return ""
    fixes = pd.read_csv(corrections, dtype=str, keep_default_na=False)
    sheets = pd.read_parquet(snaps, columns=["snapshot_id", "file", "rows"])
    table = fixes.pivot_table(index="snapshot_id", columns="rule", values="row", aggfunc="size", fill_value=0)
    rules = list(table.columns)
    table = sheets.set_index("snapshot_id").join(table).fillna(0).sort_values("file")
    head = "".join(f"<th>{html.escape(r)}</th>" for r in rules)
    out = ["<h3>Corrections per sheet</h3><p class='meta'>Cells corrected by a documented rule (file, row, before and "
           "after in <code>data/processed/corrections.csv</code>).</p>"
           f"<table><tr><th>sheet</th><th>rows</th>{head}<th>total</th></tr>"]
    for sid, t in table.iterrows():
        counts = [int(t[r]) for r in rules]
        cells = "".join(f"<td class='num'>{c:,}</td>" if c else "<td></td>" for c in counts)
        out.append(f"<tr><td><code>{html.escape(t['file'])}</code></td><td class='num'>{int(t['rows']):,}</td>{cells}"
                   f"<td class='num'>{sum(counts):,}</td></tr>")  # fmt: skip
    out.append("</table>")
    return "".join(out)


def _methods() -> str:
    corrections = paths.PROCESSED_DIR / "corrections.csv"
    n = sum(1 for _ in corrections.open()) - 1 if corrections.is_file() else 0
    return ("<h2 id='methods'>Methods</h2><ul>"
            "<li><b>Agreement vs agency.</b> ICE's sheet has one row per agency and support model; agreements are rows, "
            "agencies are distinct agency ids (state + a folded name, with reviewed aliases and a truncation rule).</li>"
            "<li><b>Snapshot in force.</b> A claim dated D uses the latest sheet published on or before D (later editions win).</li>"
            "<li><b>The sheet of the day.</b> Claims on ICE's sheets are computed by one engine (<code>analysis/engine/measures.py</code>) "
            "on the archive panel: the sheet ICE had posted on the claim's date, at day resolution. The evidence file of each "
            "claim lists the rows counted.</li>"
            "<li><b>Undated claims</b> use an inferred date (the registry says why); the verdict is also shown on the sheets "
            "before and after it.</li>"
            "<li><b>Verdict rules</b> are in <code>docs/methods.md</code>, with worked examples.</li>"
            "<li><b>Transcriptions.</b> Sheets before 2025-02-21 are RelevantResearch's transcriptions of ICE's HTML table, not ICE files.</li>"
            f"<li><b>Corrections.</b> {n:,} cell corrections (spellings, typos, impossible dates) are logged in "
            "<code>data/processed/corrections.csv</code>; QA invariants in <code>data/processed/qa.csv</code>.</li>"
            "<li><b>Courts.</b> TRAC's county table is undated (mid-to-late 2025); counties are ranked as TRAC lists them "
            "(New York City's five counties combined is context only). No removal-order data are pinned: a figure "
            "a publication printed gives context, never a verdict.</li></ul>" + _corrections_by_snapshot())  # fmt: skip


def _provenance() -> str:
    rows = ["<h2 id='provenance'>Data provenance</h2><table><tr><th>file</th><th>sha256</th><th>source</th></tr>"]
    for e in sorted(registry.load(), key=lambda e: e.path):
        src = f"<a href='{html.escape(e.url)}'>{html.escape(e.source)}</a>" if e.url else html.escape(e.source)
        note = "" if e.bytes_from_upstream else " (transcribed; upstream is a reference)"
        rows.append(f"<tr><td>{html.escape(e.path)}</td><td><code>{e.sha256}</code></td><td>{src}{note}</td></tr>")
    rows.append("</table>")
    return "\n".join(rows)


def write(rows: list[dict], reports_dir: Path | None = None) -> None:
    from . import maps

    reports_dir = Path(reports_dir) if reports_dir else paths.REPORTS_DIR
    notebook_html(reports_dir)
    florida = next((r["as_of"] for r in rows if r["id"] == maps.FLORIDA_SHARE_CLAIM), None)
    atomic.write_text(reports_dir / "index.html", build(rows, reports_dir, maps.report_maps(reports_dir, florida)))
    atomic.write_text(reports_dir / "provenance.json",
                      json.dumps([e.to_row() for e in registry.load()], indent=1) + "\n")  # fmt: skip
