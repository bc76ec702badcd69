"""The notebooks in notebooks/ are their own source: the rules a stored notebook must follow.

No generator writes them any more, so what it guaranteed is checked on the files themselves: an
edit made in JupyterLab (`make lab`) that breaks a rule fails here, and nbval (pyproject's
addopts) keeps the stored outputs equal to what the cells print. Re-execute an edited notebook
with `make notebooks NB=name` (scripts/store_notebooks.py) before committing.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import re
import shlex

import nbformat
import pytest

from analysis import claim_registry, paths
from analysis.publish import notebooks
from analysis.factcheck.claims import ARTICLE_PARAMS, article_day

NAMES = notebooks.ORDER
CHECK = "# NBVAL_CHECK_OUTPUT"
KERNELSPEC = {"name": notebooks.KERNEL, "display_name": "Python (ice-287g-claims)", "language": "python"}
# An absolute path in an output: a "/" that starts a path of two or more folders, not one inside a
# URL, a word ("agreements/day") or a ratio ("1/3").
ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])/(?:[\w.-]+/){2,}")


def _raw(name: str) -> dict:
    return json.loads((paths.NOTEBOOKS_DIR / f"{name}.ipynb").read_text(encoding="utf-8"))


def _nb(name: str) -> nbformat.NotebookNode:
    return nbformat.reads((paths.NOTEBOOKS_DIR / f"{name}.ipynb").read_text(encoding="utf-8"), as_version=4)


def _code(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


def _parameters_cell(nb):
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell must be tagged 'parameters' (papermill injects after it)"
    return tagged[0]


def _output_text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        data = {k: v for k, v in out.get("data", {}).items() if not k.startswith("image/")}  # base64 is not a path
        parts.append(out.get("text", "") if out["output_type"] == "stream" else json.dumps(data))
    return "".join(parts)


def test_the_notebooks_are_the_report_order_and_the_generator_is_gone():
    assert sorted(p.stem for p in paths.NOTEBOOKS_DIR.glob("*.ipynb")) == sorted(NAMES)
    assert set(claim_registry.NOTEBOOKS) <= set(NAMES)
    assert not (paths.ROOT / "scripts" / "make_notebooks.py").exists()


@pytest.mark.parametrize("name", NAMES)
def test_format_kernel_and_cell_ids(name):
    nb = _nb(name)
    nbformat.validate(nb)  # also: markdown cells carry no outputs or execution counts
    assert (nb.nbformat, nb.nbformat_minor) >= (4, 5), "cell ids need nbformat 4.5"
    ids = [c.id for c in nb.cells]
    assert len(set(ids)) == len(ids), "cell ids must be unique (nbval and reviews name cells by id)"
    assert {k: nb.metadata.kernelspec[k] for k in KERNELSPEC} == KERNELSPEC


@pytest.mark.parametrize("name", NAMES)
def test_only_stable_metadata_is_stored(name):
    """No papermill timings or kernel timestamps: re-executing changes nothing but real outputs."""
    raw = _raw(name)
    assert notebooks.clean(raw) == raw, "run `make notebooks NB=%s` (scripts/store_notebooks.py) to store it clean" % name


@pytest.mark.parametrize("name", NAMES)
def test_stored_outputs_come_from_one_clean_run(name):
    """Every code cell ran once, top to bottom, without error or warning; figures carry their alt text."""
    code = _code(_nb(name))
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), \
        "execution counts must be 1..n: re-execute the whole notebook (make notebooks), not single cells"  # fmt: skip
    for cell in code:
        for out in cell.outputs:
            assert out.output_type != "error", cell.source
            assert not (out.output_type == "stream" and out.name == "stderr"), f"stderr stored under: {cell.source[:60]}"
            # a claim notebook's figure is shown with plots.show, whose alt text the site puts on the image
            if "image/png" in out.get("data", {}) and name != "statistics":
                assert out.get("metadata", {}).get("image/png", {}).get("alt"), f"a figure without alt text: {cell.source[:60]}"
            if out.output_type == "execute_result":
                assert out.execution_count == cell.execution_count
        assert not ABSOLUTE_PATH.search(_output_text(cell)), f"absolute path in an output: {cell.source[:60]}"


@pytest.mark.parametrize("name", NAMES)
def test_header_names_question_claims_data_and_a_parameter_example_that_runs(name):
    header = _nb(name).cells[0]
    assert header.cell_type == "markdown" and header.source.startswith("# ")
    for part in ("**Question.**", "**Claims checked.**", "**Data.**", "**How to change the parameters.**"):
        assert part in header.source, part
    claimed = re.search(r"\*\*Claims checked\.\*\* (.*)", header.source).group(1)
    if name in claim_registry.NOTEBOOKS:
        ids = [c.id for c in claim_registry.claims_for_notebook(name)]
        assert re.findall(r"`([^`]+)`", claimed) == ids, "the header must list the registry's claims, in its order"
    else:
        assert claimed.startswith("none")
    example = re.search(rf"`python -m analysis run {name}((?: -p \S+ \S+)+)`", header.source)
    assert example, "the header must show `python -m analysis run NAME -p NAME VALUE`"
    words = shlex.split(example.group(1))
    pairs = [words[i + 1:i + 3] for i in range(0, len(words), 3)]
    assert notebooks.validate(name, pairs)  # the example must be a valid what-if


@pytest.mark.parametrize("name", NAMES)
def test_parameters_cell(name):
    """First code cell, literals only, with defaults the registry and the rules accept."""
    nb = _nb(name)
    cell = _parameters_cell(nb)
    assert cell is _code(nb)[0], "papermill's parameters cell must be the first code cell"
    assert not cell.outputs
    body = ast.parse(cell.source).body
    assert all(isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name) for n in body)
    values = {n.targets[0].id: ast.literal_eval(n.value) for n in body}  # a non-literal default fails here
    assert values == notebooks.parameters(name)
    assert values.get(notebooks.SET_BY_RUN, "missing") is None, "output_dir = None: `run` sets it"
    for key, value in values.items():
        if key in ARTICLE_PARAMS:
            registry_day = article_day(ARTICLE_PARAMS[key]).isoformat()
            assert value in (None, registry_day), f"{key} = {value!r}: None (the registry's date) or {registry_day}"
        elif key.endswith(("_date", "as_of")) or key == "inauguration":
            dt.date.fromisoformat(value)
        if key in notebooks.PARAMETER_RULES:
            test, what = notebooks.PARAMETER_RULES[key]
            assert test(value), f"{key} = {value!r} must be {what}"
    later = "\n".join(c.source for c in _code(nb)[1:])
    unused = [k for k in values if not re.search(rf"\b{k}\b", later)]
    assert not unused, f"parameters no cell reads (setting them would change nothing): {unused}"


@pytest.mark.parametrize("name", NAMES)
def test_imports_style_and_results(name):
    code = _code(_nb(name))
    assert "plots.use_style()" in code[1].source, "figures use the package style file"
    assert code[-1].source.startswith(f'results.save("{name}"') or code[-1].source.startswith(f"results.save('{name}'")
    checked = [c for c in code if c.source.startswith(CHECK)]
    assert checked, "at least one cell's output must be compared by nbval"


@pytest.mark.parametrize("name", [n for n in NAMES if n in claim_registry.NOTEBOOKS])
def test_claim_notebooks_show_checked_verdicts_with_a_sentence_before(name):
    cells = _nb(name).cells
    at = [i for i, c in enumerate(cells) if f"claims.verdict_table({name!r}, res)" in c.source
          or f'claims.verdict_table("{name}", res)' in c.source]  # fmt: skip
    assert len(at) == 1 and cells[at[0]].source.startswith(CHECK)
    assert cells[at[0] - 1].cell_type == "markdown", "the verdicts are introduced in words"


@pytest.mark.parametrize("name", [n for n in NAMES if n in claim_registry.NOTEBOOKS])
def test_claim_notebooks_show_a_figure_and_their_evidence_as_tables(name):
    """The students' material: at least one figure inline, and the results, verdicts and evidence as
    DataFrames (HTML tables), not printed dictionaries."""
    outputs = [o for c in _code(_nb(name)) for o in c.outputs]
    assert any("image/png" in o.get("data", {}) for o in outputs), "show a figure: plots.show(fig) as the cell's last line"
    tables = [c.source for c in _code(_nb(name)) if any("<table" in "".join(o.get("data", {}).get("text/html", "")) for o in c.outputs)]
    assert any("results.table(res)" in s for s in tables) and any("verdict_table" in s for s in tables)
    assert any(("evidence_table" in s or "evidence_rows" in s or "example_table" in s) for s in tables), "the evidence as a table"
    assert not any(o.get("output_type") == "stream" and "{'" in "".join(o.get("text", "")) for o in outputs), "a printed dict"


def test_statistics_notebook_narrates_numbered_sections_and_gives_no_verdicts():
    nb = _nb("statistics")
    sources = [c.source for c in nb.cells]
    assert not any("show_verdicts" in s for s in sources)
    headings = [line for c in nb.cells if c.cell_type == "markdown" for line in c.source.splitlines() if line.startswith("## ")]
    numbered = [h for h in headings if re.match(r"## \d+\. ", h)]
    assert [int(re.match(r"## (\d+)\.", h).group(1)) for h in numbered] == list(range(1, len(numbered) + 1))
    assert headings[-1] == "## Figures" and headings[:-1] == numbered, "sections 1..n, then Figures"
    for i, cell in enumerate(nb.cells):  # every checked output is explained by a markdown cell before it
        if cell.source.startswith(CHECK):
            assert any(c.cell_type == "markdown" for c in nb.cells[3:i]), cell.source[:60]
    images = [o for c in _code(nb) for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 6, "the statistics notebook shows its figures inline (the saved files)"


def test_statistics_library_returns_values_and_prints_nothing():
    """Narrative and printing live in the notebook; statistics.py only computes."""
    tree = ast.parse((paths.PACKAGE_DIR / "analyses" / "statistics.py").read_text(encoding="utf-8"))
    printing = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "print"]
    assert not printing, f"print() in analysis/analyses/statistics.py at lines {printing}"
    names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert not {n for n in names if n.startswith("show_")}


def test_clean_keeps_cells_outputs_and_tags_and_drops_run_metadata():
    raw = {"cells": [{"cell_type": "code", "id": "a1", "execution_count": 1, "source": "x = 1",
                      "metadata": {"tags": ["parameters"], "papermill": {"duration": 0.1}, "execution": {"iopub.status.busy": "t"}},
                      "outputs": [{"output_type": "stream", "name": "stdout", "text": [f"{paths.ROOT}/reports/"]},
                                 {"output_type": "stream", "name": "stdout", "text": "results/x.json\n"}]},
                     {"cell_type": "markdown", "id": "b2", "source": "# t", "metadata": {"tags": []}}],
           "metadata": {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}, "papermill": {"duration": 2.0}},
           "nbformat": 4, "nbformat_minor": 5}  # fmt: skip
    out = notebooks.clean(raw)
    assert out["metadata"] == {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    assert out["cells"][0]["metadata"] == {"tags": ["parameters"]} and out["cells"][1]["metadata"] == {}
    assert out["cells"][0]["outputs"][0]["text"] == ["reports/results/x.json\n"]
    assert notebooks.clean(out) == out and raw["metadata"]["papermill"]  # idempotent, input untouched
