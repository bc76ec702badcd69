"""The statistics notebook's sentences and records, and the report's statistics section.

Why separate from report.py: the statistics notebook gives no verdicts, so its section is a short
reading of the estimates with the notebook's figures, and it must degrade to a one-line note when
that notebook has not been run. The sentences are worded here once, from the values
analyses/statistics.py returns: the notebook prints them, ``to_results`` stores them in
statistics.json with the numbers and the sheets behind them, and the report reads them back, so
no number is typed here and the report names every sheet it used.

Public entry points (what the report and the site call):

- ``section(results_dir) -> dict | None``: the section as data, None when the notebook has not
  run: ``id``, ``title``, ``intro`` (the "what the uncertainty is about" paragraph), ``sheets``
  (the sheets used: role, file, published, panel), ``groups`` (a list of ``{"heading", "items"}``,
  items being plain-text sentences), ``figures`` (``{"name", "caption", "src"}``, src relative to
  reports/).
- ``section_html(results_dir) -> str``: that section as an HTML fragment (an ``<h2 id='statistics'>``
  section), or a one-line note when statistics.json is missing.
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

#: what every interval of the section means, said once at its top (and in the notebook)
UNCERTAINTY = (
    "What the uncertainty is about. ICE's sheets are a census of agreements, not a sample, so no count "
    "or share on a sheet has sampling error. Every interval below is about a process: how much a share "
    "or the HHI would move if the list were another draw of agencies with the same mix (bootstrap), how "
    "many agreements a week the same underlying rate could have produced (flow models), how fast "
    "agreements are removed (survival), or how a state's rate goes with its covariates (state models). "
    "They are 95% intervals; none of them shows that a policy or a covariate caused anything."
)


# --------------------------------------------------------------------------- words


def pct(x, d: int = 1, missing: str = "n/a") -> str:
    """A share as a percent with ``d`` decimals; ``missing`` when there is none."""
    return missing if x is None or not math.isfinite(x) else f"{100 * x:.{d}f}%"


def ratio(x) -> str:
    """A rate, odds or hazard ratio to two decimals; "n/a" when missing."""
    return "n/a" if x is None or not math.isfinite(x) else f"{x:.2f}"


def _ci(lo, hi, f=ratio) -> str:
    return f"95% interval {f(lo)} to {f(hi)}"


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


def concentration_sentences(s: Summary) -> list[str]:
    """Florida's share and the HHI from the first to the last sheet of the series, the crossing,
    and the bootstrap over agencies on the sheet in force on ``as_of``."""
    out = []
    for unit, t in s.concentration.items():
        a, b = t.iloc[0], t.iloc[-1]
        out.append(f"Florida held {pct(a['florida_share'])} of {unit} on the sheet of {a['published']} and {pct(b['florida_share'])} "
                   f"on {b['published']}; the HHI went from {a['hhi']:,.0f} to {b['hhi']:,.0f} (as concentrated as "
                   f"{a['effective_states']:.1f} and then {b['effective_states']:.1f} equal states), while the states (and DC) "
                   f"with any went from {a['states_with_any']} to {b['states_with_any']}.")  # fmt: skip
        out.append(crossing_sentence(s.crossing[unit], "Archive panel" if s.panel_source == "archive" else "Curated sheets"))
    for unit, r in s.bootstrap.items():
        t = r.table.set_index("measure")
        fl, eff = t.loc["focus_share"], t.loc["effective_states"]
        out.append(f"On the sheet of {s.sheet['published']} {s.sheet['edition']} ({unit}), resampling its {r.agencies} agencies "
                   f"{r.replicates:,} times: Florida's share {pct(fl['estimate'])} ({_ci(fl['ci_low'], fl['ci_high'], pct)}), "
                   f"effective number of states {eff['estimate']:.1f} ({_ci(eff['ci_low'], eff['ci_high'], lambda v: f'{v:.1f}')}).")  # fmt: skip
    return out


def flow_sentences(s: Summary) -> list[str]:
    """The period rates of additions and removals, the event studies against their placebos, and
    why the stock fit is only a contrast."""
    out = []
    for column, verb in (("added", "added"), ("removed", "removed")):
        r = s.flows.regimes[("agreements", column)]
        rates = "; ".join(f"{row.period} {row.per_week:.2f} a week ({_ci(row.ci_low, row.ci_high, lambda v: f'{v:.2f}')})"
                          for row in r.rates.itertuples(index=False))  # fmt: skip
        out.append(f"Agreements {verb} per week ({r.fit.model}, log(days) exposure, {len(r.data)} weekly intervals): {rates}.")
    pl = s.flows.placebo
    placebo = pl[pl["kind"] == "placebo"]
    for row in pl[pl["kind"] == "policy"].itertuples(index=False):
        out.append(f"In the four weeks after {row.label} ({row.date}) agreements were added at {ratio(row.rate_ratio)} times the rate "
                   f"of the four weeks before ({_ci(row.ci_low, row.ci_high)}); at {len(placebo)} placebo dates the same ratio ran from "
                   f"{ratio(placebo['rate_ratio'].min())} to {ratio(placebo['rate_ratio'].max())}, and "
                   f"{pct(row.placebo_share_as_far, 0)} of those were at least as far from 1 (a permutation-style p-value).")  # fmt: skip
    st = s.stock
    f = st.first_segment
    out.append(f"The stock fit is kept only as a contrast: a segmented line through the number listed each day implies a change of "
               f"{f['implied_change']:+.0f} agreements from {f['start']} to {f['end']}, where the sheets show {f['observed_change']:+d}; "
               f"its residuals have a lag-1 autocorrelation of {st.autocorrelation:.2f}, and forcing the lines to join at the policy "
               f"dates smears the March 2025 jump into the slopes. The flows above do not have these problems.")  # fmt: skip
    return out


def survival_sentences(s: Summary) -> list[str]:
    """Kaplan-Meier at one year by cohort and the Cox hazard ratios."""
    out = []
    at = s.survival.at_years
    one = at[(at["years"] == 1.0) & at["group"].str.startswith("signed")]
    out.append("Share of agreements still listed one year after signing (Kaplan-Meier, left-truncated at first listing): "
               + "; ".join(f"{r.group}: {pct(r.still_listed)} ({_ci(r.ci_low, r.ci_high, pct)})" for r in one.itertuples(index=False))
               + ".")  # fmt: skip
    c = s.survival.cox
    out.append(f"Cox model of time to removal ({c.n:,} agreements, {c.events} removed): "
               + "; ".join(f"{r.meaning}: hazard ratio {ratio(r.hazard_ratio)} ({_ci(r.ci_low, r.ci_high)})"
                           for r in c.hazard_ratios.itertuples(index=False)) + ".")  # fmt: skip
    return out


def model_sentences(m: StateModels) -> list[str]:
    """The state models on one sheet: the count models, the hurdle and the participation probabilities."""
    c, g = m.count, m.count_agencies
    out = [f"Count models ({c.n} jurisdictions, sheet {m.info['snapshot_file']}): agreements {c.reason}; agencies {g.reason}."]
    out.extend(m.sentences)
    p = m.probabilities.set_index("trump_share")
    lo, hi = p.index.min(), p.index.max()
    out.append(f"Participation (Firth-penalised logit, {m.logit.n_events} of {m.logit.n} with any agreement): at a {pct(lo, 0)} Trump vote "
               f"share the modelled probability of any agreement is {pct(p.loc[lo, 'probability'])} "
               f"({_ci(p.loc[lo, 'ci_low'], p.loc[lo, 'ci_high'], pct)}), at 50% it is {pct(p.loc[0.5, 'probability'])} "
               f"({_ci(p.loc[0.5, 'ci_low'], p.loc[0.5, 'ci_high'], pct)}) and at {pct(hi, 0)} {pct(p.loc[hi, 'probability'])}, "
               "pending cases held at their median.")  # fmt: skip
    pos = m.positive_scaled.set_index("term").loc["trump_share"]
    out.append(f"Among the {m.positive.n} jurisdictions with any agreement (the hurdle's count part, {m.positive.model.replace('_', ' ')}), "
               f"10 points more Trump vote share goes with {ratio(pos.ratio)} times the rate per resident ({_ci(pos.ci_low, pos.ci_high)}).")  # fmt: skip
    return out


def axios_sentences(a: AxiosReading) -> list[str]:
    """What the estimates say about Axios's sentence, with and without Florida; the wording follows
    the signs and whether the intervals include 1 (statistics.direction), every number computed."""
    from ..analyses.statistics import direction

    vote, no_fl, later = a.vote, a.vote_without_fl, a.vote_later
    out = [f"By count, the five named states (TX, FL, GA, NC, VA) hold {pct(a.five_share)} of the {a.total} agreements in "
           f"the 50 states + DC on {a.sheet}; their count ranks are "
           + ", ".join(f"{r.state} #{r.rank_count}" for r in a.five.itertuples())
           + "; per million residents they rank " + ", ".join(f"{r.state} #{r.rank_per_million}" for r in a.five.itertuples())
           + "."]  # fmt: skip
    out.append(f"Per resident, states with a higher 2024 Trump share have {direction(vote)} agreement rates: "
               f"{ratio(vote.ratio)} times per 10 points ({_ci(vote.ci_low, vote.ci_high)}); without Florida "
               f"{ratio(no_fl.ratio)} ({ratio(no_fl.ci_low)} to {ratio(no_fl.ci_high)}); counting agencies {ratio(a.vote_agencies.ratio)} "
               f"({ratio(a.vote_agencies.ci_low)} to {ratio(a.vote_agencies.ci_high)}); on {a.later_sheet} "
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
    words = {"higher": "a higher agreement rate", "lower": "a lower agreement rate",
             "not clearly different": "no clear difference in the agreement rate"}  # fmt: skip
    pend, pend_no_fl = a.pending, a.pending_without_fl
    out.append(f"Pending immigration-court cases per resident (a proxy for immigrant presence, not a measure of 'Democratic-leaning "
               f"cities') go with {words[direction(pend)]} at fixed vote share: {ratio(pend.ratio)} times per 5 cases per 1,000 "
               f"residents ({_ci(pend.ci_low, pend.ci_high)}); without Florida, {words[direction(pend_no_fl)]}: "
               f"{ratio(pend_no_fl.ratio)} ({ratio(pend_no_fl.ci_low)} to {ratio(pend_no_fl.ci_high)})."
               + (" The two readings differ: the association rests on Florida alone, so it supports no general statement."
                  if direction(pend) != direction(pend_no_fl) else ""))  # fmt: skip
    out.append("Caveat: TRAC's pending cases are counted in mid-to-late 2025 at the immigrant's latest address, often a detention "
               "site, and county jails with agreements are detention sites; for a June 2025 sheet the covariate may partly be a "
               "consequence of the agreements (post-treatment), so its ratio is an association, not a cause.")  # fmt: skip
    return out


# --------------------------------------------------------------------------- statistics.json


def _records(df: pd.DataFrame, cols: list[str]) -> list[dict]:
    recs = []
    for rec in df[cols].to_dict("records"):
        recs.append({k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in rec.items()})
    return recs


def _model_record(m: StateModels) -> dict[str, Any]:
    cols = ["term", "name", "per_label", "ratio", "ci_low", "ci_high", "p_value"]
    out = {"as_of": m.as_of, "snapshot": m.info["snapshot_file"], "n": m.count.n, "model": m.count.model, "reason": m.count.reason,
           "dispersion": m.count.dispersion, "nb_alpha": m.count.nb_alpha, "rate_ratios": _records(m.count_scaled, cols)}  # fmt: skip
    if m.logit is None:  # a count-only fit (the later sheet)
        return out
    return {
        **out,
        "agencies": {"model": m.count_agencies.model, "rate_ratios": _records(m.count_agencies_scaled, cols)},
        "without_florida": {"model": m.count_without_fl.model, "rate_ratios": _records(m.count_without_fl_scaled, cols)},
        "hurdle_count": {"model": m.positive.model, "n": m.positive.n, "rate_ratios": _records(m.positive_scaled, cols)},
        "logit": {"method": "Firth-penalised (firthmodels), profile penalised-likelihood intervals", "n": m.logit.n,
                  "n_events": m.logit.n_events, "separation_unpenalised": m.logit.separation, "note": m.logit.note,
                  "odds_ratios": _records(m.logit_scaled, cols),
                  "probabilities": _records(m.probabilities, list(m.probabilities.columns))},
        "sentences": model_sentences(m),
    }  # fmt: skip


def _sheet(file: str, published: str, role: str, panel: str) -> dict:
    return {"role": role, "file": file, "published": published, "panel": panel}


def sheets_used(s: Summary) -> list[dict]:
    """Every sheet the section's numbers come from, with what each was used for."""
    conc = s.concentration["agreements"]
    out = [
        _sheet(conc["file"].iloc[0], str(conc["published"].iloc[0]), f"first of the {len(conc)} sheets in the concentration series", s.panel_source),
        _sheet(conc["file"].iloc[-1], str(conc["published"].iloc[-1]), "newest sheet (concentration series, flows, survival)", s.panel_source),
        _sheet(s.sheet["file"], s.sheet["published"], f"in force on {s.params['as_of']} (bootstrap, multinomial, state models)", s.panel_source),
        _sheet(s.later.info["snapshot_file"], s.later.info["snapshot_published"], f"in force on {s.params['later_as_of']} (later state models)",
               s.panel_source),
    ]  # fmt: skip
    for r in s.growth[s.growth["unit"] == "agreements"].itertuples(index=False):
        for label, day, file in ((r.label_from, r.date_from, r.sheet_from), (r.label_to, r.date_to, r.sheet_to)):
            entry = _sheet(file, "", f"in force on {day} ({label})", s.panel_source)
            if all(e["file"] != file for e in out):
                out.append(entry)
    return out


def to_results(s: Summary) -> list[Result]:
    """The Result records written to statistics.json (prefix ``stats_``); a new section adds its
    records here and its sentences to ``section``."""
    from ..analyses import courts, statistics

    src = f"ice_287g participating sheets ({s.panel_source} panel)"
    res = [Result("stats_sheets", sheets_used(s), "sheets", s.params["as_of"], src, {"uncertainty": UNCERTAINTY})]
    for unit, t in s.concentration.items():
        res.append(Result(f"stats_concentration_{unit}",
                          _records(t, ["published", "edition", "file", "total", "states_with_any", "florida", "florida_share",
                                       "top5_share", "top5_states", "tied_at_5th", "hhi", "effective_states"]),
                          unit, str(t["published"].iloc[-1]), src, {"sheets": len(t)}))  # fmt: skip
        res.append(Result(f"stats_florida_below_one_third_{unit}", s.crossing[unit], unit, (s.crossing[unit] or {}).get("first_below", ""),
                          src, {"sentence": crossing_sentence(s.crossing[unit], "Archive panel")}))  # fmt: skip
    for unit, b in s.bootstrap.items():
        res.append(Result(f"stats_bootstrap_{unit}", _records(b.table, ["measure", "estimate", "ci_low", "ci_high"]), unit,
                          s.params["as_of"], s.sheet["file"], {"replicates": b.replicates, "seed": b.seed, "agencies": b.agencies}))  # fmt: skip
    res.append(Result("stats_concentration_sentences", concentration_sentences(s), "sentences", s.params["as_of"], src))
    res.append(Result("stats_multinomial_ci_agreements", _records(s.multinomial, ["state", "count", "share", "lower", "upper"]),
                      "share", s.params["as_of"], s.sheet["file"], {"method": "goodman", "alpha": 0.05}))  # fmt: skip
    res.append(Result("stats_growth_between_article_dates", _records(s.growth, list(s.growth.columns)), "percent",
                      s.params["voz_date"], src))  # fmt: skip
    for (unit, column), r in s.flows.regimes.items():
        res.append(Result(f"stats_flows_{column}_{unit}", {
            "rates": _records(r.rates, list(r.rates.columns)), "ratios": _records(r.ratios, list(r.ratios.columns)),
            "nb_alpha": r.nb_alpha, "pearson_lag1_autocorrelation": r.autocorrelation, "intervals": len(r.data)},
            f"{unit} {column} per week", str(r.data["end"].max().date()), f"{src}, history spells"))  # fmt: skip
    res.append(Result("stats_event_study_added", _records(s.flows.events, list(s.flows.events.columns)), "rate ratio",
                      s.params["as_of"], f"{src}, history spells"))  # fmt: skip
    res.append(Result("stats_placebo_added", _records(s.flows.placebo, list(s.flows.placebo.columns)), "rate ratio",
                      s.params["as_of"], f"{src}, history spells"))  # fmt: skip
    st = s.stock
    res.append(Result("stats_stock_contrast_agreements", {
        "slopes": _records(st.result.slopes, ["segment", "start", "end", "slope", "ci_low", "ci_high"]),
        "hac_lags": st.result.hac_lags, "days": st.result.n, "residual_lag1_autocorrelation": st.autocorrelation,
        "interval_widening_with_30_lags": st.hac_widening, "first_segment": st.first_segment},
        "agreements listed", st.result.end.date().isoformat(), f"{src}, last sheet of each day"))  # fmt: skip
    res.append(Result("stats_flow_sentences", flow_sentences(s), "sentences", s.params["as_of"], src))
    sv = s.survival
    res.append(Result("stats_survival", {"at_years": _records(sv.at_years, list(sv.at_years.columns)),
                                         "cox": _records(sv.cox.hazard_ratios, list(sv.cox.hazard_ratios.columns)),
                                         "proportional_hazards": _records(sv.cox.ph_test, list(sv.cox.ph_test.columns)),
                                         "n": sv.cox.n, "events": sv.cox.events, "concordance": sv.cox.concordance,
                                         "sentences": survival_sentences(s)},
                      "share still listed", str(s.concentration["agreements"]["published"].iloc[-1]), f"{src}, history spells"))  # fmt: skip
    for tag, m in (("as_of", s.models), ("later", s.later)):
        res.append(Result(f"stats_state_models_{tag}", _model_record(m), "rate ratio", m.as_of, m.info["snapshot_file"],
                          {k: v for k, v in m.info.items() if k != "as_of"}))  # fmt: skip
    res.append(Result("stats_axios_reading", axios_sentences(statistics.axios_reading(s)), "sentences", s.params["as_of"],
                      s.models.info["snapshot_file"]))  # fmt: skip
    res.append(Result("stats_per_capita_agreements",
                      _records(s.per_capita, ["state", "agreements", "agreements_per_million", "rank_count", "rank_per_million", "axios_five"]),
                      "agreements per million residents", s.params["as_of"], s.models.info["snapshot_file"]))  # fmt: skip
    res.append(Result("stats_state_pending_per_1000",
                      _records(s.state_pending, ["state", "pending_cases", "population", "pending_per_1000"]),
                      "pending cases per 1,000 residents", courts.TRAC_AS_OF, courts.TRAC_SOURCE))  # fmt: skip
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


def _per_capita(results: dict) -> list[str]:
    rows = _value(results, "stats_per_capita_agreements") or []
    if not rows:
        return []
    by_count = sorted(rows, key=lambda r: (r["rank_count"], r["state"]))[:5]
    by_rate = sorted(rows, key=lambda r: (r["rank_per_million"], r["state"]))[:5]
    return ["Top five by agreements: " + ", ".join(f"{r['state']} ({r['agreements']})" for r in by_count) + ".",
            "Top five by agreements per million residents: "
            + ", ".join(f"{r['state']} ({r['agreements_per_million']:.1f})" for r in by_rate) + "."]  # fmt: skip


def _growth(results: dict) -> list[str]:
    out = []
    for r in _value(results, "stats_growth_between_article_dates") or []:
        if r["unit"] == "agreements":
            out.append(f"{r['label_from']} ({r['date_from']}) to {r['label_to']} ({r['date_to']}): {r['value_from']:,.0f} to "
                       f"{r['value_to']:,.0f} agreements, {r['pct_change']:+.1f}% ({r['sheet_from']} to {r['sheet_to']}).")  # fmt: skip
    return out + (_value(results, "stats_flow_sentences") or [])


def section(results_dir: Path) -> dict | None:
    """The statistics section as data (see the module docstring), None when statistics.json is missing."""
    results = _load(results_dir)
    if results is None:
        return None
    models = _value(results, "stats_state_models_as_of") or {}
    survival = _value(results, "stats_survival") or {}
    groups = [
        ("Concentration", _value(results, "stats_concentration_sentences") or []),
        ("Growth: agreements added and removed", _growth(results)),
        ("How long agreements stay listed", survival.get("sentences", [])),
        (f"Where agreements are (sheet in force on {models.get('as_of', '')})",
         [*models.get("sentences", []), *(_value(results, "stats_axios_reading") or []),
          *(["Limits: ecological (state-level) associations on one sheet at a time; state laws that require or forbid "
             "cooperation are not modelled."] if models else [])]),
        ("Per resident", _per_capita(results)),
    ]  # fmt: skip
    figures = [{**f, "src": f"figures/{f['name']}.png"} for f in _value(results, "stats_figures") or []]
    return {"id": "statistics", "title": "Statistics: what the numbers mean",
            "intro": (results.get("stats_sheets") or {}).get("detail", {}).get("uncertainty", UNCERTAINTY),
            "sheets": _value(results, "stats_sheets") or [],
            "groups": [{"heading": h, "items": items} for h, items in groups if items], "figures": figures}


def section_html(results_dir: Path) -> str:
    """An HTML fragment (<h2> section) with the statistics notebook's headline estimates in plain
    words, the sheets they come from, and its figures (``figures/<name>.png``, relative to reports/)."""
    sec = section(results_dir)
    if sec is None:
        return ("<h2 id='statistics'>Statistics</h2><p class='meta'>The statistics notebook has not been run "
                "(no results/statistics.json).</p>")  # fmt: skip
    esc = html.escape
    parts = [f"<h2 id='{sec['id']}'>{esc(sec['title'])}</h2>",
             ("<p class='meta'>From the <a href='notebooks/statistics.html'>statistics notebook</a>; every number is computed "
              "from the pinned data by <code>analysis/analyses/</code> (methods: <code>docs/methods.md</code>).</p>"),
             f"<p>{esc(sec['intro'])}</p>",
             "<p class='meta'>Sheets used: " + "; ".join(f"{esc(x['file'])} ({esc(x['role'])})" for x in sec["sheets"]) + ".</p>"]  # fmt: skip
    for g in sec["groups"]:
        parts.append(f"<h3>{esc(g['heading'])}</h3><ul>" + "".join(f"<li>{esc(i)}</li>" for i in g["items"]) + "</ul>")
    for f in sec["figures"]:
        parts.append(f"<figure><img src='{esc(f['src'])}' alt='{esc(f['caption'])}'>"
                     f"<figcaption class='meta'>{esc(f['caption'])}</figcaption></figure>")  # fmt: skip
    return "\n".join(parts)
