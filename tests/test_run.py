"""`run NAME -p ...` must never corrupt the main report (issue 13, finding 6).

Every -p is checked against the notebook's own parameters cell before anything runs (name,
type, range: one ``error:`` line, exit 2, reports/ untouched); the registry's parameters refresh
the main report; any other value writes a what-if copy under reports/whatif/. Refusals run the
CLI in a throwaway project (test_cli.make_template) with a stand-in reports/; the one notebook
executed is a what-if run of the cheapest notebook (reimbursement: no data).
"""

from __future__ import annotations

import argparse
import json
import shutil

import pytest
from test_cli import assert_one_error_line, make_template
from test_cli_errors import cli, tree_hashes

from analysis import paths
from analysis.publish import notebooks, reproduce, whatif
from analysis.core.errors import UsageError

OLD_REPORT = {"claims.csv": "id,verdict\nx,supported\n", "claims.json": "[]\n", "index.html": "old report\n",
              "results/growth.json": "{\"notebook\": \"growth\", \"results\": {}}\n", "notebooks/growth.ipynb": "{}\n", "figures/a.png": "old figure"}  # fmt: skip


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    root = make_template(tmp_path_factory.mktemp("run"))
    shutil.copytree(paths.NOTEBOOKS_DIR, root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    for rel, text in OLD_REPORT.items():
        (root / "reports" / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / "reports" / rel).write_text(text)
    return root


@pytest.fixture
def project(template, tmp_path):
    root = tmp_path / "project"
    shutil.copytree(template, root)
    return root


REFUSED = {
    "misspelt name": (["growth", "-p", "voz_dat", "2025-09-23"], ["unknown parameter 'voz_dat'", "voz_date", "breitbart_date"]),
    "output_dir": (["growth", "-p", "output_dir", "/tmp/elsewhere"], ["output_dir cannot be set"]),
    "negative top_n": (["courts", "-p", "top_n", "-5"], ["top_n", "at least 1"]),
    "zero top_n": (["statistics", "-p", "top_n", "0"], ["top_n", "at least 1"]),
    "negative salary": (["reimbursement", "-p", "salary", "-1"], ["salary", "0 or more"]),
    "salary not a number": (["reimbursement", "-p", "salary", "lots"], ["salary", "a whole number"]),
    "top_n not whole": (["courts", "-p", "top_n", "2.5"], ["top_n", "a whole number"]),
    "impossible date": (["growth", "-p", "voz_date", "2025-02-30"], ["voz_date", "a date YYYY-MM-DD"]),
    "date without dashes": (["pending", "-p", "visaverge_date", "20250731"], ["visaverge_date", "a date YYYY-MM-DD"]),
    "unknown unit": (["concentration", "-p", "unit", "rows"], ["unit", "agreements, agencies"]),
    "given twice": (["reimbursement", "-p", "salary", "1", "-p", "salary", "2"], ["salary given twice"]),
    # issue 22.18: a date outside the sheets ran the notebook, which exited 12 on a KeyError in a cell
    "a date after the newest sheet": (["growth", "-p", "voz_date", "2099-01-01"],
                                      ["-p voz_date '2099-01-01': 2099-01-01 is after the newest participating sheet"]),
    "a date before the first sheet": (["growth", "-p", "voz_date", "2001-01-01"],
                                      ["-p voz_date '2001-01-01': 2001-01-01 is before the first participating sheet"]),
    "a date after the newest pending sheet": (["pending", "-p", "visaverge_date", "2099-01-01"],
                                              ["2099-01-01 is after the newest pending sheet"]),
}


@pytest.mark.parametrize("case", REFUSED)
def test_bad_parameter_is_one_line_and_nothing_runs(project, case):
    args, fragments = REFUSED[case]
    before = tree_hashes(project / "reports")
    line = assert_one_error_line(cli(project, "run", *args, "-q"), UsageError.exit_code, *fragments)
    assert line.startswith(f"error: notebooks/{args[0]}.ipynb: ")
    assert tree_hashes(project / "reports") == before


def test_what_if_run_leaves_the_report_and_says_what_differs(project):
    """The README's kind of example: other parameters give a what-if folder, the report is untouched."""
    before = tree_hashes(project / "reports")
    proc = cli(project, "run", "reimbursement", "-p", "salary", "75000", "-p", "benefits", "20000", "-q")
    assert proc.returncode == 0, proc.stderr[-3000:]
    after = tree_hashes(project / "reports")
    assert {k: v for k, v in after.items() if not k.startswith("whatif/")} == before
    (folder,) = (project / "reports" / "whatif").iterdir()
    assert folder.name.startswith("reimbursement-")
    assert f"reports/whatif/{folder.name}/index.html" in proc.stdout and "salary 60000 -> 75000" in proc.stdout
    saved = json.loads((folder / "results" / "reimbursement.json").read_text())["results"]
    assert any(r["detail"].get("salary") == 75000 for r in saved.values())
    assert (folder / "notebooks" / "reimbursement.ipynb").is_file()
    page = (folder / "index.html").read_text()
    assert "salary" in page and "60,000" in page and "75,000" in page and "+15,000 (+25.0%)" in page
    assert "<code>benefits</code>" not in page  # given, but the registry's value: not a difference
    assert not list(folder.parent.glob(".*"))  # no staging folder left


def _args(notebook: str, *pairs: tuple[str, str]) -> argparse.Namespace:
    return argparse.Namespace(notebook=notebook, parameter=[list(p) for p in pairs] or None, quiet=True, force=False)


@pytest.fixture
def calls(monkeypatch, tmp_path):
    """cmd_run with the executions replaced by records of where they would have gone."""
    seen = []
    monkeypatch.setattr(paths, "REPORTS_DIR", tmp_path / "reports")
    monkeypatch.setattr(reproduce, "staged_reports", lambda: __import__("contextlib").nullcontext())
    monkeypatch.setattr(notebooks, "run_all", lambda names, **kw: seen.append(("report", names)) or names)
    monkeypatch.setattr(reproduce, "_claims_and_report", lambda *a: seen.append(("claims",)) or [])
    monkeypatch.setattr(whatif, "run", lambda name, params, **kw: seen.append(("what-if", name, params)) or whatif.folder(name, params))
    return seen


def test_registry_parameters_refresh_the_report(calls):
    defaults = notebooks.defaults("growth")
    assert reproduce.cmd_run(_args("growth", ("voz_date", defaults["voz_date"]), ("unit", "agreements"))) == 0
    assert calls == [("report", ["growth"]), ("claims",)]


def test_other_parameters_go_to_a_what_if_folder(calls):
    assert reproduce.cmd_run(_args("growth", ("voz_date", "2025-09-23"))) == 0
    assert calls == [("what-if", "growth", {"voz_date": "2025-09-23"})]


def test_what_if_folder_is_a_digest_of_the_sorted_parameters():
    a = whatif.folder("courts", {"top_n": 20, "as_of": "2025-12-01"})
    assert a == whatif.folder("courts", {"as_of": "2025-12-01", "top_n": 20})
    assert a == whatif.folder("courts", {"as_of": "2025-12-01", "top_n": 20, **{}})
    assert a != whatif.folder("courts", {"top_n": 21, "as_of": "2025-12-01"})
    assert a.parent == paths.REPORTS_DIR / "whatif" and a.name.startswith("courts-")


def test_parameters_are_read_from_the_notebook_and_typed():
    assert notebooks.validate("courts", [["top_n", "20"], ["catn_date", "2025-12-01"]]) == {"top_n": 20, "catn_date": "2025-12-01"}
    assert "output_dir" in notebooks.parameters("courts") and "output_dir" not in notebooks.defaults("courts")
    assert whatif.difference(15, 20) == "+5 (+33.3%)"
    assert whatif.difference("2025-09-18", "2025-09-23") == "+5 days"
    assert whatif.difference("agreements", "agencies") == "changed"


def test_every_rule_names_a_parameter_some_notebook_has():
    """The range table is declared once; a rule for a parameter no notebook has is a typo."""
    known = {k for name in notebooks.ORDER for k in notebooks.defaults(name)}
    assert set(notebooks.PARAMETER_RULES) <= known
