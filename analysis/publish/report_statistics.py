"""The statistics notebook's words and records, and the report's statistics section.

Why separate from report.py: the statistics notebook gives no verdicts, so its section is
a short reading of the estimates (every number taken from ``statistics.json``, none typed
here) with the notebook's figures, and it must degrade to a one-line note when that
notebook has not been run.

The sentences the notebook prints and the report repeats (the one-third crossing, the reading
of Axios's sentence) are worded here once, from the values statistics.py returns; ``to_results``
turns those values into the records of statistics.json.
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..factcheck.results import Result

if TYPE_CHECKING:
    import pandas as pd

    from ..analyses.statistics import AxiosReading, StateModels, Summary

FILE = "statistics.json"
NONE = "—"  # a share missing from statistics.json, in the report
SOURCE_LABEL = {"curated": "Curated snapshots", "archive": "Full archive"}


# --------------------------------------------------------------------------- words


def pct(x, d: int = 1, missing: str = "n/a") -> str:
    """A share as a percent with ``d`` decimals; ``missing`` when there is none."""
    return missing if x is None or not math.isfinite(x) else f"{100 * x:.{d}f}%"


def ratio(x) -> str:
    """A rate or odds ratio to two decimals; "n/a" when missing."""
    return "n/a" if x is None or not math.isfinite(x) else f"{x:.2f}"


def crossing_sentence(c: dict | None, source: str) -> str:
    """Florida's one-third crossing (statistics.florida_crossing) in one sentence."""
    if c is None:
        return f"{source}: Florida's share never fell below one third."
    s = (f"{source}: Florida's share of {c['unit']} was {pct(c['share_before'])} on {c['last_at_or_above']} "
         f"and {pct(c['share_after'])} on {c['first_below']}, so it fell below one third within "
         f"{'1 day' if c['width_days'] == 1 else 'those ' + str(c['width_days']) + ' days'}"
         f"{' and stayed below' if c['stays_below'] else ' (later back above)'}.")  # fmt: skip
    if c.get("first_crossing"):
        f = c["first_crossing"]
        s += f" (It had first dipped below between {f['last_at_or_above']} and {f['first_below']}.)"
    return s


def axios_sentences(a: AxiosReading) -> list[str]:
    """What the estimates say about Axios's sentence; the wording follows the signs and
    whether the intervals include 1 (statistics.direction), every number computed."""
    from ..analyses.statistics import direction

    vote, no_fl, later = a.vote, a.vote_without_fl, a.vote_later
    out = [f"By count, the five named states (TX, FL, GA, NC, VA) hold {pct(a.five_share)} of the {a.total} agreements in "
           f"the 50 states + DC on the sheet of {a.sheet}; their count ranks are "
           + ", ".join(f"{r.state} #{r.rank_count}" for r in a.five.itertuples())
           + "; per million residents they rank " + ", ".join(f"{r.state} #{r.rank_per_million}" for r in a.five.itertuples())
           + "."]  # fmt: skip
    out.append(f"Per resident, states with a higher 2024 Trump share have {direction(vote)} agreement rates: "
               f"{ratio(vote.ratio)} times per 10 points (95% CI {ratio(vote.ci_low)} to {ratio(vote.ci_high)}); without Florida "
               f"{ratio(no_fl.ratio)} ({ratio(no_fl.ci_low)} to {ratio(no_fl.ci_high)}); on the sheet of {a.later_sheet} "
               f"{ratio(later.ratio)} ({ratio(later.ci_low)} to {ratio(later.ci_high)}).")  # fmt: skip
    in_top5 = a.five_in_top5_per_million
    verdict = ("their lead is mostly a lead in counts, which big states win" if len(in_top5) <= 2
               else "their lead holds per resident too")  # fmt: skip
    out.append(f"Of the five, {len(in_top5)} ({', '.join(in_top5) or 'none'}) also {'ranks' if len(in_top5) == 1 else 'rank'} "
               f"in the top five per million residents: {verdict}.")  # fmt: skip
    if direction(vote) == "higher":
        out.append("Relative to population, the data contradict 'deeply red ... states are seeing less activity': "
                   "redder states have more agreements per resident, not fewer.")  # fmt: skip
    elif direction(vote) == "lower":
        out.append("Relative to population, redder states do have fewer agreements per resident, as Axios said.")
    else:
        out.append("Relative to population, the data cannot tell whether redder states have more or fewer agreements.")
    pend = a.pending
    phrase = {"higher": "a higher agreement rate", "lower": "a lower agreement rate",
              "not clearly different": "no clear difference in the agreement rate"}[direction(pend)]  # fmt: skip
    out.append(f"Pending immigration-court cases per resident (a proxy for immigrant presence, not a measure of "
               f"'Democratic-leaning cities') go with {phrase} at fixed vote share: {ratio(pend.ratio)} times per 5 cases "
               f"per 1,000 residents (95% CI {ratio(pend.ci_low)} to {ratio(pend.ci_high)}).")  # fmt: skip
    return out


# --------------------------------------------------------------------------- statistics.json


def _records(df: pd.DataFrame, cols: list[str]) -> list[dict]:
    recs = []
    for rec in df[cols].to_dict("records"):
        recs.append({k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in rec.items()})
    return recs


def _model_record(m: StateModels) -> dict[str, Any]:
    cols = ["term", "name", "per_label", "ratio", "ci_low", "ci_high", "p_value"]
    c = m.count
    return {
        "as_of": m.as_of, "snapshot": m.info["snapshot_file"], "n": c.n, "model": c.model, "reason": c.reason,
        "dispersion": c.dispersion, "nb_alpha": c.nb_alpha,
        "rate_ratios": _records(m.count_scaled, cols),
        "without_florida": {"model": m.count_without_fl.model, "rate_ratios": _records(m.count_without_fl_scaled, cols)},
        "logit": {"n": m.logit.n, "n_events": m.logit.n_events, "separation": m.logit.separation,
                  "note": m.logit.note, "odds_ratios": _records(m.logit_scaled, cols)},
        "sentences": m.sentences,
    }  # fmt: skip


def to_results(s: Summary) -> list[Result]:
    """The Result records written to statistics.json (prefix ``stats_``); a new section adds
    its records here, and its sentences to ``section_html`` if the report should show them."""
    from ..analyses import courts, stats, statistics

    res = []
    for unit, t in s.concentration.items():
        latest = t.iloc[-1]
        res.append(Result(
            f"stats_concentration_{unit}",
            _records(t, ["published", "edition", "total", "states_with_any", "florida", "florida_share", "top5_share",
                         "top5_states", "tied_at_5th", "hhi"]),
            unit, latest["published"].isoformat(), "ice_287g participating sheets (curated set)",
            {"snapshots": len(t)}))  # fmt: skip
        for which, crossing in (("curated", s.crossing[unit]), ("archive", s.crossing_archive[unit])):
            if which == "archive" and crossing is None:
                continue
            res.append(Result(f"stats_florida_below_one_third_{unit}_{which}", crossing, unit,
                              (crossing or {}).get("first_below", ""), f"ice_287g participating sheets ({which})",
                              {"sentence": crossing_sentence(crossing, SOURCE_LABEL[which])}))  # fmt: skip
    snap = s.multinomial_snapshot
    res.append(Result("stats_multinomial_ci_agreements", _records(s.multinomial, ["state", "count", "share", "lower", "upper"]),
                      "share", s.params["as_of"], snap["file"], {"method": "goodman", "alpha": 0.05}))  # fmt: skip
    for unit, t in s.models_by_type.items():
        cols = [c for c in t.columns if c != "snapshot_id"]
        res.append(Result(f"stats_by_model_{unit}", _records(t, cols), unit, t["published"].iloc[-1].isoformat(),
                          "ice_287g participating sheets (curated set)"))  # fmt: skip
    res.append(Result("stats_growth_between_article_dates", _records(s.growth, list(s.growth.columns)), "percent",
                      s.params["voz_date"], "ice_287g participating sheets in force on each date"))  # fmt: skip
    for unit, r in s.its.items():
        res.append(Result(f"stats_segmented_regression_{unit}", {
            "slopes": _records(r.slopes, ["segment", "start", "end", "slope", "ci_low", "ci_high", "p_value"]),
            "coefficients": _records(r.coef_table, ["term", "estimate", "ci_low", "ci_high", "p_value"]),
            "hac_lags": r.hac_lags, "n": r.n, "sentences": stats.describe_segments(r, unit)},
            f"{unit} per day", r.end.date().isoformat(), "ice_287g participating sheets (curated set, last edition per day)"))  # fmt: skip
    for tag, m in (("as_of", s.models), ("later", s.later)):
        res.append(Result(f"stats_state_models_{tag}", _model_record(m), "rate ratio", m.as_of, m.info["snapshot_file"],
                          {k: v for k, v in m.info.items() if k not in ("as_of",)}))  # fmt: skip
    res.append(Result("stats_axios_reading", axios_sentences(statistics.axios_reading(s)), "sentences", s.params["as_of"],
                      s.models.info["snapshot_file"]))  # fmt: skip
    res.append(Result("stats_per_capita_agreements",
                      _records(s.per_capita, ["state", "agreements", "agreements_per_million", "rank_count",
                                              "rank_per_million", "axios_five"]),
                      "agreements per million residents", s.params["as_of"], s.models.info["snapshot_file"]))  # fmt: skip
    res.append(Result("stats_state_pending_per_1000",
                      _records(s.state_pending, ["state", "pending_cases", "population", "pending_per_1000"]),
                      "pending cases per 1,000 residents", courts.TRAC_AS_OF, courts.TRAC_SOURCE))  # fmt: skip
    cols = [c for c in ["rank", "fips", "county", "state", "pending", "is_nyc", "population", "pending_per_1000"]
            if c in s.counties.columns]  # fmt: skip
    res.append(Result("stats_county_backlog_top", _records(s.counties, cols), "pending cases", courts.TRAC_AS_OF,
                      courts.TRAC_SOURCE, {"note": s.county_note}))  # fmt: skip
    res.append(Result("stats_figures", s.figures, "figures", s.params["as_of"], "reports/figures"))
    return res


# --------------------------------------------------------------------------- the report's section


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


def _concentration(results: dict) -> list[str]:
    out = []
    for unit in ("agreements", "agencies"):
        rows = _value(results, f"stats_concentration_{unit}")
        if not rows:
            continue
        first, last = rows[0], rows[-1]
        out.append(f"Florida held {pct(first['florida_share'], missing=NONE)} of {unit} on the sheet of {first['published']} and "
                   f"{pct(last['florida_share'], missing=NONE)} on {last['published']}; the top five states' share went from "
                   f"{pct(first['top5_share'], missing=NONE)} to {pct(last['top5_share'], missing=NONE)} and the HHI from {first['hhi']:,.0f} to "
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
        "there and implemented in <code>analysis/analyses/stats.py</code>. Every number is computed from the pinned data.</p>"),
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
