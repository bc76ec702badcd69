"""Write the notebook sources in notebooks/ (thin: parameters, calls into analysis/, a figure,
results). Run once after changing a notebook's cells here, then execute them with
`python -m analysis reproduce` (or `python -m analysis run NAME`) to store outputs."""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from analysis import paths

KERNEL = {"name": "ice-287g-claims", "display_name": "Python (ice-287g-claims)", "language": "python"}

# The statistics notebook explains rather than checks: it has no registry claims and its own
# cells (method notes between the calls), so it lists "body" instead of compute/figure.
STATISTICS_BODY = [
    ("md", ("## 1. Concentration over time\n\n"
           "**Shares.** A state's share is its count divided by the national total on the same sheet "
           "(territories count in the total: they are agreements on ICE's list). **Top-5 share** adds the five largest "
           "shares; unlike the *names* of the top five, it does not depend on how ties at fifth place are broken. "
           "**HHI** (Herfindahl-Hirschman index) squares each share in percent and adds them: 10,000 if one state "
           "had everything, 10,000/N for N equal states; it falls when growth spreads across states. "
           "**States with any** counts the 50 states + DC with at least one agreement. "
           "Everything is shown in both units: *agreements* (rows of the sheet) and *agencies* (distinct agencies; an "
           "agency with two models is one agency).")),
    ("code", "# NBVAL_CHECK_OUTPUT\nstatistics.show_concentration(s)"),
    ("md", ("**When did Florida's share fall below one third?** Sheets are irregular, so the date can only be "
           "*bracketed*: the last sheet with Florida at or above one third and the next sheet, after which it stayed "
           "below (one edition per day: the day's last). With the full archive of sheets (`data/processed/archive/`, "
           "if built) the bracket narrows towards a single day.")),
    ("code", "# NBVAL_CHECK_OUTPUT\nstatistics.show_crossing(s)"),
    ("code", "statistics.show_crossing_archive(s)"),
    ("md", ("**Multinomial intervals: a process view, not sampling error.** An ICE sheet is a *census* of agreements, "
           "not a sample, so Florida's share on a sheet has no sampling error. The Goodman simultaneous intervals below "
           "(statsmodels `multinomial_proportions_confint`) only mean something if the sheet is treated as one draw "
           "from a process in which each new agreement lands in a state with fixed probabilities: they show how much a "
           "share could move by chance *in such a process*, e.g. whether Florida's lead is larger than chance would "
           "make it. Read them that way or not at all.")),
    ("code", "# NBVAL_CHECK_OUTPUT\nstatistics.show_multinomial(s)"),
    ("md", ("## 2. Growth\n\nCounts by model (JEM = jail enforcement, TFM = task force, WSO = warrant service officer) "
           "on every participating sheet, then the percent increases between the dates the articles use "
           "(percent change = 100 x (new - old) / old; 'sevenfold' is +600%, not +700%).")),
    ("code", "# NBVAL_CHECK_OUTPUT\nstatistics.show_models_by_type(s)"),
    ("code", "# NBVAL_CHECK_OUTPUT\nstatistics.show_growth(s)"),
    ("md", ("**Segmented (interrupted) time series.** The cumulative count y on day t is fitted as straight-line "
           "pieces whose slope may change at 2025-01-20 (inauguration), 2025-07-04 (budget law funding reimbursement) "
           "and 2025-10-01 (reimbursement starts): y = b0 + b1 t + sum_j c_j max(0, t - t_j) + error, by OLS. b1 is the "
           "daily growth before the first break; each c_j is the *change* in daily growth at break j. Successive values "
           "of a cumulative count are not independent, so standard errors are Newey-West (HAC) with lags from the "
           "Newey-West rule. Limits: the breaks were chosen in advance from the calendar, not found in the data; a "
           "slope change at a date does not show the policy caused it; sheets are unevenly spaced (HAC lags count sheets, "
           "not days) and the first segment rests on three sheets.")),
    ("code", "# NBVAL_CHECK_OUTPUT\nstatistics.show_its(s)"),
    ("md", ("## 3. What explains where agreements are\n\n"
           "**Count model.** Agreements per state on the sheet in force on `as_of`, modelled as a *rate per resident*: a "
           "Poisson regression with log(population) as offset, so exp(coefficient) is a **rate ratio** (how many times "
           "higher the agreements-per-resident rate is for a given change in a covariate, the other held fixed). "
           "Covariates: 2024 Trump share of all presidential votes (FiveThirtyEight; Maine/Nebraska district rows and "
           "Puerto Rico dropped, New York's two ballot lines per candidate added, blank/over/under/void ballots "
           "excluded) and pending immigration-court cases per 1,000 residents (TRAC state table / Census 2024). "
           "Poisson assumes variance = mean; if the Pearson dispersion exceeds 1.5 the model is refitted as a "
           "**negative binomial**, whose extra variance parameter widens the intervals honestly. "
           "**Participation.** Whether a state has any agreement at all is a separate **logistic** model (odds ratios; "
           "checked for separation). Florida's state law requiring its sheriffs to take part is a policy the "
           "covariates cannot see, so the count model is refitted without Florida.")),
    ("code", "# NBVAL_CHECK_OUTPUT\nstatistics.show_models(s)"),
    ("code", "# NBVAL_CHECK_OUTPUT\nstatistics.show_states_without(s)"),
    ("md", ("**Axios's sentence** - \"efforts ... appear most aggressive in five southern states with "
           "Democratic-leaning cities, while deeply red, rural states are seeing less activity\" - read against the "
           "estimates (every number below is computed):")),
    ("code", "# NBVAL_CHECK_OUTPUT\nstatistics.show_axios_reading(s)"),
    ("md", ("**Limits.** These are *ecological* associations across 51 jurisdictions: they say nothing about which "
           "sheriffs sign or why. One sheet is one moment (the later sheet shows how the estimates move). State laws "
           "that require cooperation (e.g. Florida's) or limit it (e.g. California's and Illinois's) are not modelled "
           "and may explain much of the pattern. 'Rural' and 'Democratic-leaning "
           "cities' have no measure here; pending cases per resident is a proxy for immigrant presence, dated "
           "mid-to-late 2025 (undated TRAC snapshot).")),
    ("md", ("## 4. Per-capita views\n\n'Most cooperative' as a count favours big states; as agreements per million "
           "residents (Census July 1, 2024) it favours small states with many small sheriffs' offices. Courts: pending "
           "immigration-court cases per 1,000 residents, by state, and the county ranking (TRAC's address is the "
           "immigrant's latest address, often a detention centre's county for detained people).")),
    ("code", "# NBVAL_CHECK_OUTPUT\nstatistics.show_per_capita(s)"),
    ("code", "# NBVAL_CHECK_OUTPUT\nstatistics.show_courts(s)"),
    ("md", "## Figures\n\nSaved to `reports/figures/` (byte-stable PNG, house style)."),
    ("code", "# NBVAL_CHECK_OUTPUT\nfor f in statistics.make_figures(s):\n    print(f\"{f['name']}.png: {f['caption']}\")"),
    ("code", "results.save(\"statistics\", statistics.to_results(s), output_dir)"),
]


NOTEBOOKS = {
    "growth": {
        "title": "Growth of 287(g) agreements: 135 → ~960 → 1,000",
        "question": "How many agreements (and agencies) did ICE list at the inauguration and on the articles' dates, what percent increase do they imply, and which agreements ended?",
        "data": "The archive panel: every ICE participating sheet, day by day; each claim is judged on the sheet ICE had posted on its date (the registry's date, or a what-if date given as a parameter).",
        "params": 'breitbart_date = None  # None: the claim registry\'s date\nvoz_date = None\nvisaverge_date = None\ncatn_date = None\nunit = "agreements"\noutput_dir = None',
        "compute": "res = growth.compute(breitbart_date=breitbart_date, voz_date=voz_date, visaverge_date=visaverge_date, catn_date=catn_date, output_dir=output_dir)",
        "rederive": (
            "import pandas as pd\n"
            "from analysis import paths\n"
            "panel = claims.result(res, \"voz-641pct-increase\").detail[\"snapshot\"][\"panel\"]  # the tables the engine read\n"
            "folder = paths.PROCESSED_DIR / \"archive\" if panel == \"archive\" else paths.PROCESSED_DIR\n"
            "tidy = pd.read_parquet(folder / \"agreements.parquet\", columns=[\"file\", \"agency_id\"])\n"
            "start = claims.result(res, \"voz-135-agreements-at-inauguration\")\n"
            "end = claims.result(res, \"voz-641pct-increase\")\n"
            "first = tidy[tidy[\"file\"] == start.source]  # every row of the sheet in force on inauguration day\n"
            "last = tidy[tidy[\"file\"] == end.source]\n"
            "agencies = claims.result(res, \"breitbart-135-at-inauguration\").value\n"
            "assert agencies == {\"agencies\": first[\"agency_id\"].nunique(), \"agreements\": len(first)}\n"
            "assert start.value == len(first)\n"
            "pct = round(100 * (len(last) - len(first)) / len(first), 6)\n"
            "assert pct == end.value\n"
            "print(f\"{start.source}: {len(first):,} agreements, {first['agency_id'].nunique():,} agencies\")\n"
            "print(f\"{end.source}: {len(last):,} agreements; increase {pct:.1f}%\")"),
        "figure": "fig = plots.growth_by_model(unit=unit)",
        "params_cli": "-p voz_date 2025-09-23",
    },
    "concentration": {
        "title": "Where the agreements are: top five states and Florida's share",
        "question": "Which five states have the most agencies with agreements, does Florida hold over a third, how many states have any, and which states have none?",
        "data": "The archive panel: the ICE participating sheets in force on the articles' dates (Axios 2025-06-16; Voz 2025-09-18, inferred; the CATN post, no earlier than 2025-11-29); the 2024 election results for 'blue states'.",
        "params": 'axios_date = None  # None: the claim registry\'s date\ncatn_date = None\nvoz_date = None\nunit = "agreements"\noutput_dir = None',
        "compute": "res = concentration.compute(axios_date=axios_date, catn_date=catn_date, voz_date=voz_date, output_dir=output_dir)",
        "rederive": (
            "import pandas as pd\n"
            "from analysis import paths\n"
            "panel = claims.result(res, \"catn-florida-well-over-a-third\").detail[\"snapshot\"][\"panel\"]  # the tables the engine read\n"
            "folder = paths.PROCESSED_DIR / \"archive\" if panel == \"archive\" else paths.PROCESSED_DIR\n"
            "tidy = pd.read_parquet(folder / \"agreements.parquet\", columns=[\"file\", \"state\", \"agency_id\"])\n"
            "florida = claims.result(res, \"catn-florida-well-over-a-third\")\n"
            "sheet = tidy[tidy[\"file\"] == florida.source]\n"
            "share = round(float((sheet[\"state\"] == \"FL\").sum() / len(sheet)), 6)  # every row counts in the total, Guam too\n"
            "assert share == florida.value\n"
            "print(f\"{florida.source}: Florida {(sheet['state'] == 'FL').sum():,} of {len(sheet):,} agreements = {share:.1%}\")\n"
            "five = claims.result(res, \"axios-five-most-cooperative-states\")\n"
            "sheet = tidy[tidy[\"file\"] == five.source]\n"
            "agencies = sheet.groupby(\"state\")[\"agency_id\"].nunique().sort_values(ascending=False)\n"
            "assert agencies.to_dict() == five.value[\"agencies\"]\n"
            "print(f\"{five.source}: agencies by state\")\n"
            "print(agencies.head(7).to_string())"),
        "figure": "fig = plots.florida_share(unit=unit)",
        "params_cli": "-p catn_date 2026-05-18",
    },
    "pending": {
        "title": "Pending 287(g) applications on 2025-07-31",
        "question": "How many applications were pending on 2025-07-31, for which models, and is the program still growing?",
        "data": "The archive panel: ICE's pending sheet in force on 2025-07-31.",
        "params": 'visaverge_date = None  # None: the claim registry\'s date\noutput_dir = None',
        "compute": "res = pending.compute(visaverge_date=visaverge_date, output_dir=output_dir)",
        "rederive": (
            "import pandas as pd\n"
            "from analysis import paths\n"
            "panel = claims.result(res, \"visaverge-pending-by-model\").detail[\"snapshot\"][\"panel\"]  # the tables the engine read\n"
            "folder = paths.PROCESSED_DIR / \"archive\" if panel == \"archive\" else paths.PROCESSED_DIR\n"
            "tidy = pd.read_parquet(folder / \"agreements.parquet\", columns=[\"file\", \"model\"])\n"
            "split = claims.result(res, \"visaverge-pending-by-model\")\n"
            "sheet = tidy[tidy[\"file\"] == split.source]\n"
            "by_model = sheet[\"model\"].value_counts().to_dict()\n"
            "assert by_model == split.value and len(sheet) == claims.result(res, \"visaverge-22-pending\").value\n"
            "print(f\"{split.source}: {len(sheet)} applications; by model {dict(sorted(by_model.items()))}\")"),
        "figure": "fig = plots.pending_by_model()",
        "params_cli": "-p visaverge_date 2025-09-02",
    },
    "courts": {
        "title": "Immigration-court backlog by county and removal orders",
        "question": "Does Miami-Dade have the largest backlog, with Cook and Los Angeles close behind, and did Harris County lead in removal orders?",
        "data": "TRAC pending cases by address, county table (undated, mid-to-late 2025); published reference figures (TRAC, Axios) as context only.",
        "params": 'catn_date = None  # None: the claim registry\'s date\ntop_n = 15\noutput_dir = None',
        "compute": "res = courts.compute(catn_date=catn_date, output_dir=output_dir)",
        "rederive": (
            "import pandas as pd\n"
            "from analysis import paths\n"
            "trac = pd.read_parquet(paths.PROCESSED_DIR / \"trac_county.parquet\")\n"
            "top = trac.assign(county=trac[\"county\"] + \", \" + trac[\"state\"]).nlargest(4, \"pending\")[[\"county\", \"pending\"]]\n"
            "backlog = claims.result(res, \"catn-miami-dade-largest-backlog\").value\n"
            "assert list(top[\"county\"]) == sorted(backlog, key=lambda k: -backlog[k])[:4]\n"
            "print(top.to_string(index=False))"),
        "figure": "fig = plots.county_backlog(top_n=top_n)",
        "params_cli": "-p top_n 20",
    },
    "reimbursement": {
        "title": "Reimbursement rules from 2025-10-01: a worked calculator",
        "question": "What could one trained 287(g) officer's agency be reimbursed in a year under the rules Voz reported?",
        "data": "No data file: the rules as reported by Voz (September 2025). Policy text cannot be checked against the pinned data.",
        "params": "salary = 60000\nbenefits = 20000\novertime = 20000\noutput_dir = None",
        "compute": "res = reimbursement.compute(salary=salary, benefits=benefits, overtime=overtime)",
        "figure": "fig = plots.performance_tiers()",
        "params_cli": "-p salary 75000",
    },
    "statistics": {
        "title": "Statistics: what the 287(g) numbers mean",
        "question": "How concentrated are agreements and how is that changing, how fast did they grow around the policy dates, and what goes with more agreements in a state (vote share, court backlog), as counts and per resident?",
        "claims_note": "none: this notebook explains the numbers the others check; it gives no verdicts.",
        "data": "All curated ICE participating sheets (2024-01-02 to the latest); the sheets in force on `as_of` (Axios, 2025-06-16) and `later_as_of`; Census Vintage 2024 state population; FiveThirtyEight 2024 presidential results; TRAC pending court cases by address (undated, mid-to-late 2025).",
        "params": 'as_of = "2025-06-16"\nlater_as_of = "2026-05-18"\ninauguration = "2025-01-20"\nbreitbart_date = "2025-09-03"\nvoz_date = "2025-09-18"\ntop_n = 15\ncounty_population_csv = None\noutput_dir = None',
        "compute": "s = statistics.analyse(as_of=as_of, later_as_of=later_as_of, inauguration=inauguration, breitbart_date=breitbart_date, voz_date=voz_date, top_n=top_n, county_population_csv=county_population_csv)",
        "params_cli": "-p as_of 2025-11-25",
        "modules": "`analysis/statistics.py` (results), `analysis/stats.py` (methods), `analysis/state_panel.py` (state table)",
        "imports": "from analysis import statistics, plots, results",
        "body": STATISTICS_BODY,
    },
}


def _claim_ids(name: str) -> list[str]:
    """Registry claims the notebook checks; [] for a notebook the registry does not know."""
    from analysis import claim_registry

    if name not in claim_registry.NOTEBOOKS:
        return []
    return [c.id for c in claim_registry.claims_for_notebook(name)]


def make(name: str, spec: dict) -> nbformat.NotebookNode:
    ids = _claim_ids(name)
    claims = ", ".join(f"`{i}`" for i in ids) or spec.get("claims_note", "none")
    modules = spec.get("modules", f"`analysis/{name}.py`")
    header = (
        f"# {spec['title']}\n\n"
        f"**Question.** {spec['question']}\n\n"
        f"**Claims checked.** {claims}\n\n"
        f"**Data.** {spec['data']}\n\n"
        f"**How to change the parameters.** `python -m analysis run {name} {spec['params_cli']}` "
        f"(or `papermill notebooks/{name}.ipynb out.ipynb {spec['params_cli']}`). All logic lives in {modules}."
    )
    params = new_code_cell(spec["params"])
    params.metadata["tags"] = ["parameters"]
    cells = [new_markdown_cell(header), params]
    if "body" in spec:
        cells += [new_code_cell(f"{spec['imports']}\nplots.use_style()"), new_code_cell(spec["compute"])]
        cells += [new_markdown_cell(src) if kind == "md" else new_code_cell(src) for kind, src in spec["body"]]
    else:
        cells += [
            new_code_cell(f"from analysis import {name}, plots, results, claims\nplots.use_style()"),
            new_code_cell(f"# NBVAL_CHECK_OUTPUT\n{spec['compute']}\nresults.show(res)"),
        ]
        if ids:
            cells += [
                new_markdown_cell("Verdicts for this notebook's claims, computed from the registry's comparison and the values above:"),
                new_code_cell(f"# NBVAL_CHECK_OUTPUT\nclaims.show_verdicts({name!r}, res)"),
            ]
        if "rederive" in spec:
            cells += [
                new_markdown_cell("**The rows behind each number.** Every value above was counted by the engine "
                                  "(`analysis/measures.py`) on one ICE sheet; these are the sheet and the rows it counted "
                                  "(the rows themselves when few, else their count by state). The same rows are in "
                                  "`reports/evidence/<claim-id>.csv`."),
                new_code_cell("# NBVAL_CHECK_OUTPUT\nclaims.show_evidence(res, output_dir)"),
                new_markdown_cell("**The same numbers in plain pandas.** A few lines on the tidy table re-derive the "
                                  "headline numbers without the engine; the asserts fail if the two ever disagree."),
                new_code_cell(f"# NBVAL_CHECK_OUTPUT\n{spec['rederive']}"),
            ]
        cells += [new_code_cell(spec["figure"]), new_code_cell(f"results.save({name!r}, res, output_dir)")]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = KERNEL
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def main(names: list[str] | None = None) -> None:
    """Write every notebook, or only ``names`` (python scripts/make_notebooks.py statistics)."""
    for name, spec in NOTEBOOKS.items():
        if names and name not in names:
            continue
        nbformat.write(make(name, spec), paths.NOTEBOOKS_DIR / f"{name}.ipynb")
        print(f"wrote notebooks/{name}.ipynb")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:] or None)
