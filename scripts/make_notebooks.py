"""Write the notebook sources in notebooks/ (thin: parameters, calls into analysis/, a figure,
results). Run once after changing a notebook's cells here, then execute them with
`python -m analysis reproduce` (or `python -m analysis run NAME`) to store outputs."""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from analysis import paths

KERNEL = {"name": "ice-287g-claims", "display_name": "Python (ice-287g-claims)", "language": "python"}

NOTEBOOKS = {
    "growth": {
        "title": "Growth of 287(g) agreements: 135 → ~960 → 1,000",
        "question": "How many agreements (and agencies) did ICE list at the inauguration, on Breitbart's and Voz's dates, and what percent increase do they imply?",
        "data": "ICE participating sheets in force on 2025-01-20 (2025-01-19 capture), 2025-09-03 (2025-09-02 pm) and 2025-09-18 (Voz, inferred).",
        "params": 'inauguration = "2025-01-20"\nbreitbart_date = "2025-09-03"\nvoz_date = "2025-09-18"\nunit = "agreements"\noutput_dir = None',
        "compute": "res = growth.compute(inauguration=inauguration, breitbart_date=breitbart_date, voz_date=voz_date)",
        "figure": "fig = plots.growth_by_model(unit=unit)",
        "params_cli": "-p voz_date 2025-09-23",
    },
    "concentration": {
        "title": "Where the agreements are: top five states and Florida's share",
        "question": "Which five states have the most agreements (and agencies), does Florida hold over a third, and do California and Illinois have none?",
        "data": "ICE participating sheets in force on 2025-06-16 (Axios) and 2025-11-25 (CATN blog).",
        "params": 'axios_date = "2025-06-16"\ncatn_date = "2025-11-25"\nvoz_date = "2025-09-18"\nunit = "agreements"\noutput_dir = None',
        "compute": "res = concentration.compute(axios_date=axios_date, catn_date=catn_date, voz_date=voz_date)",
        "figure": "fig = plots.florida_share(unit=unit)",
        "params_cli": "-p catn_date 2026-05-18",
    },
    "pending": {
        "title": "Pending 287(g) applications on 2025-07-31",
        "question": "How many applications were pending on 2025-07-31, and for which models?",
        "data": "ICE pending sheet of 2025-07-31 (am).",
        "params": 'visaverge_date = "2025-07-31"\noutput_dir = None',
        "compute": "res = pending.compute(visaverge_date=visaverge_date)",
        "figure": "fig = plots.pending_by_model()",
        "params_cli": "-p visaverge_date 2025-09-02",
    },
    "courts": {
        "title": "Immigration-court backlog by county and removal orders",
        "question": "Does Miami-Dade have the largest backlog, with Cook and Los Angeles close behind, and did Harris County lead in removal orders?",
        "data": "TRAC pending cases by address, county table (undated, mid-to-late 2025); published reference figures (TRAC, Axios).",
        "params": 'as_of = "2025-11-25"\ntop_n = 15\noutput_dir = None',
        "compute": "res = courts.compute(as_of=as_of)",
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
}


def make(name: str, spec: dict) -> nbformat.NotebookNode:
    module = name
    claims_line = "{claims}"
    header = (
        f"# {spec['title']}\n\n"
        f"**Question.** {spec['question']}\n\n"
        f"**Claims checked.** {claims_line}\n\n"
        f"**Data.** {spec['data']}\n\n"
        f"**How to change the parameters.** `python -m analysis run {name} {spec['params_cli']}` "
        f"(or `papermill notebooks/{name}.ipynb out.ipynb {spec['params_cli']}`). All logic lives in `analysis/{module}.py`."
    )
    from analysis import claim_registry

    ids = [c.id for c in claim_registry.claims_for_notebook(name)]
    header = header.replace(claims_line, ", ".join(f"`{i}`" for i in ids) or "none")
    params = new_code_cell(spec["params"])
    params.metadata["tags"] = ["parameters"]
    cells = [
        new_markdown_cell(header),
        params,
        new_code_cell(f"from analysis import {module}, plots, results, claims\nplots.use_style()"),
        new_code_cell(f"# NBVAL_CHECK_OUTPUT\n{spec['compute']}\nresults.show(res)"),
        new_markdown_cell("Verdicts for this notebook's claims, computed from the registry's comparison and the values above:"),
        new_code_cell(f"# NBVAL_CHECK_OUTPUT\nclaims.show_verdicts({name!r}, res)"),
        new_code_cell(spec["figure"]),
        new_code_cell(f"results.save({name!r}, res, output_dir)"),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = KERNEL
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def main() -> None:
    for name, spec in NOTEBOOKS.items():
        nbformat.write(make(name, spec), paths.NOTEBOOKS_DIR / f"{name}.ipynb")
        print(f"wrote notebooks/{name}.ipynb")


if __name__ == "__main__":
    main()
