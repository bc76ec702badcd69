"""`python -m analysis reproduce` end to end on the real data, as `make reproduce` runs it.

It runs on a throwaway project (notebooks, registries, the fetched files and built tables of this
checkout to start from) named by ``--project``, in this process; the notebooks' kernels are given
the project as parameters, so nothing under the real data/ or reports/ is touched. Every registry
claim must come out with a verdict.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import projectcopy as pc
import pytest
from projectcopy import link_fetched_raw

from analysis import claim_registry, paths
from analysis.factcheck.verdicts import VERDICTS


@pytest.fixture(scope="module")
def reproduced(tmp_path_factory, mirror_dir):
    root = tmp_path_factory.mktemp("reproduce")
    checkout = paths.project()
    shutil.copytree(checkout.notebooks, root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    (root / "data" / "raw").mkdir(parents=True)
    for registry_csv in (checkout.registry_csv, checkout.archive_registry_csv):
        shutil.copy2(registry_csv, root / "data" / "raw" / registry_csv.name)
    _seed_with_this_checkouts_build(checkout, root / "data")
    elsewhere = root.parent / f"{root.name}-cwd"
    elsewhere.mkdir()
    proc = pc.cli(root, "reproduce", "--quiet", env={"DATA_MIRROR": str(mirror_dir), "MPLBACKEND": "Agg"}, cwd=elsewhere)
    return root, proc


def _seed_with_this_checkouts_build(checkout: paths.Project, data: Path) -> None:
    """Start the copy from this checkout's fetched raw files and built tables, when there are any:
    `make test` fetched and built them just before with the same code, and the builds have tests of
    their own. reproduce still verifies every raw file's sha256 and rebuilds whatever is stale, so
    the run checks what only reproduce does (notebooks, claims, report) instead of spending half a
    minute rebuilding the same panel."""
    link_fetched_raw(data / "raw")
    if (checkout.processed / paths.BUILD_MANIFEST).is_file():
        shutil.copytree(checkout.processed, data / "processed", ignore=shutil.ignore_patterns(".*"))


@pytest.mark.integration
@pytest.mark.slow
def test_reproduce_succeeds_quietly(reproduced):
    _, proc = reproduced
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "claims checked" in proc.stdout
    assert "Executing" not in proc.stderr  # --quiet: no papermill progress bar
    assert "running over TCP" not in proc.stderr  # --quiet: no kernel start-up warnings either


@pytest.mark.integration
@pytest.mark.slow
def test_executed_notebooks_do_not_name_the_staging_folder(reproduced):
    root, proc = reproduced
    assert proc.returncode == 0, proc.stderr[-3000:]
    for nb in (root / "reports" / "notebooks").glob("*.ipynb"):
        text = nb.read_text()
        assert ".reports." not in text and "/.run-" not in text and str(root) not in text, nb.name


@pytest.mark.integration
@pytest.mark.slow
def test_every_registry_claim_has_a_verdict(reproduced):
    root, proc = reproduced
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = json.loads((root / "reports" / "claims.json").read_text())
    by_id = {r["id"]: r for r in rows}
    assert sorted(by_id) == sorted(c.id for c in claim_registry.load_claims())
    for claim_id, row in by_id.items():
        assert row["verdict"] in VERDICTS, claim_id
        if row["verdict"] != "not checkable":
            assert row["reproduced_value"] is not None, claim_id
            assert row["snapshot"], claim_id


@pytest.mark.integration
@pytest.mark.slow
def test_report_opens_the_site_and_every_local_link_resolves(reproduced):
    """reports/index.html sends readers to the site; every href and src of every page and of the feed
    that is not a web address names a file of the site (fragments and queries aside)."""
    root, proc = reproduced
    assert proc.returncode == 0, proc.stderr[-3000:]
    reports = root / "reports"
    assert 'url=site/index.html' in (reports / "index.html").read_text()
    site = reports / "site"
    for name in ("growth", "concentration", "pending", "courts", "reimbursement", "statistics"):
        assert (site / "notebooks" / f"{name}.html").is_file() and (reports / "notebooks" / f"{name}.ipynb").is_file()
    rows = json.loads((reports / "claims.json").read_text())
    for row in rows:  # every claim has its page, linking its evidence and, where one exists, its article
        page = (site / "claims" / f"{row['id']}.html").read_text()
        if row.get("evidence"):
            assert f'href="../{row["evidence"]}"' in page
        article = claim_registry.get_article(row["article"])
        if article.url:
            assert f'href="{html.escape(article.url)}"' in page
    broken = []
    for page in [*site.rglob("*.html"), site / "feed.xml"]:
        text = page.read_text()
        assert str(root) not in text, page  # no absolute paths
        for link in re.findall(r'(?:href|src)="([^"]+)"', text):
            if re.match(r"[a-z]+:", link) or link.startswith("#"):
                continue
            target = (page.parent / link.split("#")[0].split("?")[0]).resolve()
            if not target.is_file():
                broken.append(f"{page.relative_to(site)} -> {link}")
    assert not broken, broken[:20]
    import xml.etree.ElementTree as ET

    feed = ET.parse(site / "feed.xml").getroot()  # Atom: well-formed, one entry per sheet, newest first
    atom = "{http://www.w3.org/2005/Atom}"
    updated = [e.findtext(f"{atom}updated") for e in feed.findall(f"{atom}entry")]
    assert updated and updated == sorted(updated, reverse=True) and feed.findtext(f"{atom}updated") == updated[0]
    loads = re.compile(r'<(?:script|img)[^>]*\ssrc="(?:https?:)?//|<link[^>]*rel="stylesheet"[^>]*href="(?:https?:)?//')
    assert not [p for p in site.rglob("*.html") if loads.search(p.read_text())], "a page loads a script, image or style from the web"


@pytest.mark.integration
@pytest.mark.slow
def test_inferred_date_claims_show_their_neighbours(reproduced):
    root, proc = reproduced
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = {r["id"]: r for r in json.loads((root / "reports" / "claims.json").read_text())}
    for claim in claim_registry.load_claims():
        if not claim.sensitivity:
            continue
        sens = rows[claim.id]["sensitivity"]
        assert [s["which"] for s in sens].count("in force") == 1, claim.id
        assert len(sens) >= 2, claim.id
        assert all(s["verdict"] in VERDICTS for s in sens), claim.id


def _tree(root) -> dict:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_failed_run_leaves_the_previous_report_whole(tmp_path, monkeypatch):
    """Notebooks, figures, results and index.html are written into a staging copy of reports/;
    an error (or a kill) before the end leaves reports/ exactly as it was."""
    from analysis import results
    from analysis.publish import reproduce

    reports = tmp_path / "reports"
    (reports / "figures").mkdir(parents=True)
    (reports / "index.html").write_text("old report")
    (reports / "figures" / "a.png").write_bytes(b"old figure")
    project = paths.Project.at(tmp_path)  # its write lock in its data/ (lock.py)
    before = _tree(reports)
    with pytest.raises(RuntimeError):
        with reproduce.staged_reports(project) as staged:
            stage = staged.reports
            (stage / "figures" / "a.png").write_bytes(b"half of a new run")  # a copy: editing it is safe
            (stage / "index.html").unlink()
            (stage / "index.html").write_text("new report")
            raise RuntimeError("a notebook failed")
    assert _tree(reports) == before
    assert project.reports == reports
    assert not list(tmp_path.glob(".reports.*"))

    with reproduce.staged_reports(project) as staged:
        stage = staged.reports
        assert staged.root == project.root and stage != reports  # the stage is passed down, nothing is switched
        assert results.results_dir(staged) == stage / "results" and results.results_dir(project) == reports / "results"
        (stage / "index.html").unlink()
        (stage / "index.html").write_text("new report")
    assert (reports / "index.html").read_text() == "new report"
    assert (reports / "figures" / "a.png").read_bytes() == b"old figure"  # carried over


def _fake_papermill(monkeypatch, calls: list) -> None:
    """papermill.execute_notebook as far as these tests need it: it records its arguments and writes
    what papermill writes that names paths (its metadata, the parameters cell, a printed path)."""
    import papermill as pm
    from papermill.translators import PythonTranslator

    def execute_notebook(input_path, output_path, parameters=None, **kw):
        calls.append(kw)
        out_dir = parameters["output_dir"]
        nb = {"cells": [{"cell_type": "code", "source": f"output_dir = \"{out_dir}\"\n",
                         "outputs": [{"data": {"text/plain": f"PosixPath('{out_dir}/growth.json')"}}]},
                        {"cell_type": "code", "source": PythonTranslator.codify({k: parameters[k] for k in ("project_dir", "reports_dir")}),
                         "outputs": []}],  # the cell papermill injects
              "metadata": {"papermill": {"input_path": input_path, "output_path": output_path,
                                         "parameters": {k: parameters[k] for k in ("output_dir", "project_dir", "reports_dir")}}}}  # fmt: skip
        Path(output_path).write_text(json.dumps(nb, indent=1))

    monkeypatch.setattr(pm, "execute_notebook", execute_notebook)


def test_executed_notebooks_name_the_report_not_the_staging_folder(tmp_path, monkeypatch):
    from analysis.publish import notebooks

    calls: list = []
    _fake_papermill(monkeypatch, calls)
    staged = paths.project().staged(tmp_path / ".reports.x1y2.tmp")  # reproduce's: the checkout, reports staged
    stage = staged.reports / ".run-abc"
    out = notebooks.execute(staged, "growth", stage, quiet=True)
    text = out.read_text()
    assert ".reports.x1y2.tmp" not in text and ".run-abc" not in text and str(paths.checkout()) not in text
    nb = json.loads(text)
    meta = nb["metadata"]["papermill"]
    assert meta["input_path"] == "notebooks/growth.ipynb"
    assert meta["output_path"] == "reports/notebooks/growth.ipynb"
    assert meta["parameters"] == {"output_dir": "reports/results", "project_dir": ".", "reports_dir": "reports"}
    assert nb["cells"][1]["source"].splitlines()[-2:] == ['project_dir = "."', 'reports_dir = "reports"']  # named relatively
    assert nb["cells"][0]["source"] == 'output_dir = "reports/results"\n'
    assert nb["cells"][0]["outputs"][0]["data"]["text/plain"] == "PosixPath('reports/results/growth.json')"


def test_quiet_runs_keep_the_kernels_warnings_out_of_the_log(tmp_path, monkeypatch):
    """ipykernel warns on every start that it runs over TCP without encryption: --quiet drops its
    log below errors; without --quiet the kernel logs as it always did."""
    from analysis.publish import notebooks

    calls: list = []
    _fake_papermill(monkeypatch, calls)
    notebooks.execute(paths.project(), "growth", tmp_path / "a", quiet=True)
    notebooks.execute(paths.project(), "growth", tmp_path / "b", quiet=False)
    assert calls[0]["extra_arguments"] == notebooks.QUIET_KERNEL
    assert calls[1].get("extra_arguments", []) == []


# ----------------------------------------------------------------------------- the site in a browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]  # fmt: skip
#: a page of each kind (the claim and state pages are found below)
PAGES = ["index.html", "search.html?q=walker", "states/index.html", "map.html", "ended.html", "changes.html", "data.html",
         "notebooks/index.html", "notebooks/growth.html", "statistics.html", "methods.html"]  # fmt: skip


@pytest.fixture(scope="module")
def browser(missing_data):
    """Debian's Chromium driven by Playwright (never `playwright install`); skipped with a reason where
    either is missing, but under CI=true (.ci/run installs Chromium) missing is a failure."""
    why = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        why = "playwright is not installed (pip install -e '.[test]')"
    if why is None and not Path(CHROMIUM).is_file():
        why = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if why:
        missing_data(f"{why}: the browser test cannot run")  # skips, or fails under CI=true
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _open(browser, url: str, width: int):
    """A page at ``width`` px with every console error, page error and failed request collected."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.goto(url, wait_until="load")
    page.wait_for_timeout(300)
    return page, problems


def _site_pages(site: Path) -> list[str]:
    rows = json.loads((site.parent / "claims.json").read_text())
    measured = next(r["id"] for r in rows if r.get("evidence"))
    return [*PAGES, f"claims/{measured}.html", "claims/catn-florida-well-over-a-third.html", "states/TX.html", "states/CA.html"]


@pytest.mark.integration
@pytest.mark.slow
def test_the_site_in_a_browser_has_no_errors_and_no_sideways_scroll(reproduced, browser, tmp_path):
    root, proc = reproduced
    assert proc.returncode == 0, proc.stderr[-3000:]
    site = root / "reports" / "site"
    failures = []
    for width in (1400, 420):
        for name in _site_pages(site):
            page, problems = _open(browser, f"file://{site}/{name}", width)
            wide = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
            if wide[0] > wide[1]:
                failures.append(f"{name} at {width} px: {wide[0]} px wide")
            failures += [f"{name} at {width} px: {p}" for p in problems]
            if name == "index.html" and width == 1400:
                height = page.evaluate("document.documentElement.scrollHeight")
                assert height < 5000, f"home page {height} px tall at 1,400 px"
                page.screenshot(path=str(tmp_path / "home-1400.png"), full_page=True)
            if name.startswith("claims/catn-florida") and width == 420:
                page.screenshot(path=str(tmp_path / "claim-420.png"), full_page=True)
            page.close()
    assert not failures, failures[:20]
    assert (tmp_path / "home-1400.png").stat().st_size and (tmp_path / "claim-420.png").stat().st_size  # for the record
    print(f"screenshots: {tmp_path}")


@pytest.mark.integration
@pytest.mark.slow
def test_agency_search_finds_an_agency_and_folds_as_the_build_does(reproduced, browser):
    from analysis.clean.agencies import name_key

    root, _ = reproduced
    site = root / "reports" / "site"
    page, problems = _open(browser, f"file://{site}/search.html", 1400)
    page.fill("#q", "walker county sheriff\u2019s")
    page.wait_for_selector("#results .result")
    names = page.locator("#results .result h3").all_inner_texts()
    assert names and all("Walker County Sheriff" in n for n in names), names
    page.fill("#q", "walker tx")
    texts = page.locator("#results .result h3").all_inner_texts()
    assert texts and all(t.endswith("(TX)") for t in texts), texts
    printed = json.loads(page.evaluate("JSON.stringify(window.AGENCIES.flatMap(a => [a.n, ...a.p]))"))
    tricky = ["Doña Ana County Sheriff\u2019s Office", "Añasco Police", "Straße Dept.", "Ft. Myers PD", "O'Brien County S.O.",
              "Sheriff\u2018s Office", "A & B Task Force", "ÆBLE Øster County"]  # fmt: skip
    folded = page.evaluate("names => names.map(n => window.agencyFold(n).join(' '))", printed + tricky)
    differ = [(n, f) for n, f in zip(printed + tricky, folded) if f != name_key(n, "")]
    assert not differ, differ[:10]
    assert not problems, problems


@pytest.mark.integration
@pytest.mark.slow
def test_claim_pages_carry_claimreview_json_ld_naming_the_verdict(reproduced, browser):
    root, _ = reproduced
    site = root / "reports" / "site"
    for row in json.loads((root / "reports" / "claims.json").read_text())[:6]:
        page, _ = _open(browser, f"file://{site}/claims/{row['id']}.html", 1400)
        review = json.loads(page.evaluate("document.querySelector('script[type=\"application/ld+json\"]').textContent"))
        page.close()
        assert review["@type"] == "ClaimReview" and review["claimReviewed"] == row["quote"]
        assert review["reviewRating"]["alternateName"] == row["verdict"]


@pytest.mark.integration
@pytest.mark.slow
def test_the_map_moves_through_time(reproduced, browser):
    """The county map's slider steps to an older sheet: fewer counties drawn, no error."""
    root, _ = reproduced
    page, problems = _open(browser, f"file://{root / 'reports' / 'site'}/map.html", 1400)
    page.wait_for_function("document.getElementById('map-county').data && document.getElementById('map-county').data.length > 1")
    newest = page.evaluate("document.getElementById('map-county').data[1].locations.length")
    steps = page.evaluate("document.getElementById('map-county').layout.sliders[0].steps.map(s => s.label)")
    page.evaluate(f"Plotly.animate('map-county', [{steps[0]!r}], {{mode: 'immediate', frame: {{duration: 0, redraw: true}}, transition: {{duration: 0}}}})")
    page.wait_for_timeout(500)
    oldest = page.evaluate("document.getElementById('map-county').data[1].locations.length")
    assert 0 < oldest < newest, (oldest, newest)
    assert not problems, problems
