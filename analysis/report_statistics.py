"""The report's statistics section, built from the statistics notebook's results file.

Why separate from report.py: the statistics notebook gives no verdicts, so its section is
a short reading of the estimates (every number taken from ``statistics.json``, none typed
here) with the notebook's figures, and it must degrade to a one-line note when that
notebook has not been run.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

FILE = "statistics.json"


def _load(results_dir: Path) -> dict | None:
    path = Path(results_dir) / FILE
    if not path.is_file():
        return None
    return json.loads(path.read_text())["results"]


def _value(results: dict, key: str):
    entry = results.get(key)
    return None if entry is None else entry.get("value")


def _li(items: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{html.escape(s)}</li>" for s in items) + "</ul>" if items else ""


def _pct(x) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def _concentration(results: dict) -> list[str]:
    out = []
    for unit in ("agreements", "agencies"):
        rows = _value(results, f"stats_concentration_{unit}")
        if not rows:
            continue
        first, last = rows[0], rows[-1]
        out.append(f"Florida held {_pct(first['florida_share'])} of {unit} on the sheet of {first['published']} and "
                   f"{_pct(last['florida_share'])} on {last['published']}; the top five states' share went from "
                   f"{_pct(first['top5_share'])} to {_pct(last['top5_share'])} and the HHI from {first['hhi']:,.0f} to "
                   f"{last['hhi']:,.0f}, while the number of states (and DC) with any rose from {first['states_with_any']} "
                   f"to {last['states_with_any']}.")  # fmt: skip
        for which in ("archive", "curated"):
            entry = results.get(f"stats_florida_below_one_third_{unit}_{which}")
            if entry and entry.get("detail", {}).get("sentence"):
                out.append(entry["detail"]["sentence"])
                break
    return out


def _growth(results: dict) -> list[str]:
    out = []
    for r in _value(results, "stats_growth_between_article_dates") or []:
        if r["unit"] != "agreements":
            continue
        out.append(f"{r['label_from']} ({r['date_from']}) to {r['label_to']} ({r['date_to']}): "
                   f"{r['value_from']:,.0f} to {r['value_to']:,.0f} agreements, {r['pct_change']:+.1f}%.")  # fmt: skip
    seg = _value(results, "stats_segmented_regression_agreements")
    if seg:
        out.extend(seg["sentences"])
        out.append(f"(Segmented regression on {seg['n']} sheets, Newey-West standard errors with {seg['hac_lags']} lags; "
                   "the breaks are the policy dates, chosen in advance; a change in slope at a date is not proof the "
                   "policy caused it.)")  # fmt: skip
    return out


def _models(results: dict) -> list[str]:
    m = _value(results, "stats_state_models_as_of")
    if not m:
        return []
    out = [f"Count model ({m['model'].replace('_', ' ')}, {m['n']} jurisdictions, sheet {m['snapshot']}): {m['reason']}."]
    out.extend(m["sentences"])
    out.extend(_value(results, "stats_axios_reading") or [])
    out.append("Limits: ecological (state-level) associations, one sheet at a time, and state laws that require or "
               "forbid cooperation are not modelled.")
    return out


def _per_capita(results: dict) -> list[str]:
    rows = _value(results, "stats_per_capita_agreements") or []
    if not rows:
        return []
    by_count = sorted(rows, key=lambda r: (r["rank_count"], r["state"]))[:5]
    by_rate = sorted(rows, key=lambda r: (r["rank_per_million"], r["state"]))[:5]
    return [
        "Top five by agreements: " + ", ".join(f"{r['state']} ({r['agreements']})" for r in by_count) + ".",
        "Top five by agreements per million residents: "
        + ", ".join(f"{r['state']} ({r['agreements_per_million']:.1f})" for r in by_rate) + ".",
    ]


def section_html(results_dir: Path) -> str:
    """An HTML fragment (<h2> section) with the statistics notebook's headline estimates in
    plain words and its figures (``figures/<name>.png``, relative to reports/)."""
    results = _load(results_dir)
    if results is None:
        return ("<h2 id='statistics'>Statistics</h2><p class='meta'>The statistics notebook has not been run "
                "(no results/statistics.json).</p>")  # fmt: skip
    as_of = (results.get("stats_state_models_as_of") or {}).get("as_of", "")
    parts = [
        "<h2 id='statistics'>Statistics: what the numbers mean</h2>",
        ("<p class='meta'>From the <a href='notebooks/statistics.html'>statistics notebook</a>; methods are explained "
        "there and implemented in <code>analysis/stats.py</code>. Every number is computed from the pinned data.</p>"),
        "<h3>Concentration</h3>", _li(_concentration(results)),
        "<h3>Growth</h3>", _li(_growth(results)),
        f"<h3>Where agreements are (as of {html.escape(as_of)})</h3>", _li(_models(results)),
        "<h3>Per resident</h3>", _li(_per_capita(results)),
    ]
    county = results.get("stats_county_backlog_top")
    if county and county.get("detail", {}).get("note"):
        parts.append(f"<p class='meta'>{html.escape(county['detail']['note'])}</p>")
    for fig in _value(results, "stats_figures") or []:
        name = html.escape(fig["name"])
        parts.append(f"<figure><img src='figures/{name}.png' alt='{html.escape(fig['caption'])}'>"
                     f"<figcaption class='meta'>{html.escape(fig['caption'])}</figcaption></figure>")  # fmt: skip
    return "\n".join(p for p in parts if p)
