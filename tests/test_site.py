"""The site's parts on their own (analysis/publish/site, engine/lookup.py, ingest/hyperlinks.py): the
agency lookup's folding, ClaimReview, the writer that leaves unchanged files alone, Plotly specs
against Plotly's schema, the downloads' bytes, the MOA links and the local server. The built site
itself is checked in a browser by tests/test_reproduce.py."""

from __future__ import annotations

import gzip
import json
import urllib.request

import pytest

from analysis.clean.agencies import name_key
from analysis.engine import lookup
from analysis.factcheck import claim_registry, verdicts
from analysis.ingest import hyperlinks
from analysis.publish.site import changes, charts, claim_pages, downloads, places
from analysis.publish.site.render import Site, script_json


def agency(agency_id: str, state: str, name: str, *printed: str, status: str = "active") -> lookup.Agency:
    return lookup.Agency(agency_id=agency_id, state=state, state_name={"NM": "New Mexico", "TX": "Texas", "GA": "Georgia"}[state],
                         name=name, names=sorted({name, *printed}), status=status, kind="participating",
                         first_seen="2025-02-26", first_snapshot="p1", last_seen="2026-05-18", last_snapshot="p2")  # fmt: skip


FOUND = [agency("NM:dona-ana-county-sheriffs-office", "NM", "Doña Ana County Sheriff’s Office", "Dona Ana County Sheriff's Office"),
         agency("TX:walker-county-sheriffs-office", "TX", "Walker County Sheriff's Office"),
         agency("GA:walker-county-sheriffs-office", "GA", "Walker County Sheriff’s Office", status="ended"),
         agency("TX:harris-county-sheriffs-office", "TX", "Harris County Sheriff's Office")]  # fmt: skip


@pytest.mark.parametrize(("query", "expected"), [
    ("dona ana", ["NM:dona-ana-county-sheriffs-office"]),
    ("Doña Ana", ["NM:dona-ana-county-sheriffs-office"]),
    ("DOÑA ANA COUNTY SHERIFF'S", ["NM:dona-ana-county-sheriffs-office"]),
    ("walker", ["GA:walker-county-sheriffs-office", "TX:walker-county-sheriffs-office"]),
    ("walker county sheriff’s office", ["GA:walker-county-sheriffs-office", "TX:walker-county-sheriffs-office"]),
    ("walker county sheriff's office", ["GA:walker-county-sheriffs-office", "TX:walker-county-sheriffs-office"]),
    ("walker tx", ["TX:walker-county-sheriffs-office"]),
    ("walker texas", ["TX:walker-county-sheriffs-office"]),
    ("sher walk", ["GA:walker-county-sheriffs-office", "TX:walker-county-sheriffs-office"]),  # word starts, any order
    ("alker", []),  # a word must start a word: no fuzzy matching
    ("...", []),
])  # fmt: skip
def test_lookup_folds_a_query_as_the_build_folds_names(query, expected):
    assert [a.agency_id for a in lookup.search(query, FOUND)] == expected


def test_lookup_puts_the_exact_name_first():
    hits = lookup.search("harris county sheriffs office", [*FOUND, agency("TX:harris-county-sheriffs-office-x", "TX",
                                                                            "Harris County Sheriff's Office Academy")])
    assert hits[0].agency_id == "TX:harris-county-sheriffs-office"


def test_the_browser_index_carries_the_build_s_folding_rules():
    """search.js folds with these rules; the browser test compares it with name_key on every name."""
    text = places.agencies_asset(FOUND)
    fold = json.loads(text.split("window.AGENCY_FOLD=", 1)[1].split(";\n", 1)[0])
    assert fold["abbreviations"]["dept"] == "department" and fold["casefold"]["ß"] == "ss" and fold["letters"]["ø"] == "o"
    rows = json.loads(text.split("window.AGENCIES=", 1)[1].rsplit(";\n", 1)[0])
    dona = rows[0]
    assert dona["n"] == "Doña Ana County Sheriff’s Office" and set(dona["w"].split()) >= {"dona", "ana", "sheriffs", "nm", "new", "mexico"}
    assert name_key("Doña Ana County Sheriff’s Office", "") == "dona ana county sheriffs office"


def test_claim_review_names_the_verdict_and_the_article():
    article = claim_registry.get_article("breitbart-2025-09-03")
    row = {"id": "c", "quote": "They said </script><script>alert(1)</script>", "verdict": verdicts.PARTLY, "note": "off by 2"}
    review = claim_pages.claim_review(row, article, "ice-287g-claims")
    assert review["@type"] == "ClaimReview" and review["reviewRating"]["alternateName"] == "partly supported"
    assert review["reviewRating"]["ratingValue"] == 2 and review["itemReviewed"]["appearance"]["url"] == article.url
    assert review["itemReviewed"]["datePublished"] == "2025-09-03"
    text = script_json(review)
    assert "</script>" not in text and json.loads(text) == review  # cannot close its script element, still JSON
    no_url = claim_registry.get_article("visaverge-2025-08-01")
    unchecked = claim_pages.claim_review({**row, "verdict": verdicts.NOT_CHECKABLE}, no_url, "x")
    assert "appearance" not in unchecked["itemReviewed"] and "ratingValue" not in unchecked["reviewRating"]


@pytest.mark.parametrize("ctype", ["approx", "almost", "more_than", "at_least", "at_most", "equal", "share_above", "set_equal",
                                   "rank", "rank_within", "none_in", "breakdown", "policy", "not_checkable"])
def test_every_comparison_has_its_rule_quoted_from_verdicts(ctype):
    text = claim_pages.rule_text(ctype)
    assert len(text) > 40 and "``" not in text


def test_held_is_read_from_claims_json():
    assert claim_pages.held({"id": "c"}) is None  # a claim no data can check
    spans = {"summary": "held from 2025-03-14 to 2025-09-02", "spans": [{"from": "2025-03-14", "to": "2025-09-02"}]}
    assert claim_pages.held({"id": "c", "held": spans}) == spans


def test_the_writer_leaves_unchanged_files_alone_and_prunes_what_it_no_longer_writes(tmp_path):
    site = Site(tmp_path)
    site.write("a.html", "one")
    site.write("old/b.html", "two")
    before = (tmp_path / "a.html").stat().st_mtime_ns
    again = Site(tmp_path)
    again.write("a.html", "one")
    assert again.changed == [] and (tmp_path / "a.html").stat().st_mtime_ns == before
    assert again.prune() == ["old/b.html"] and not (tmp_path / "old").exists()
    with pytest.raises(ValueError):
        again.write("a.html", "one")


def test_pages_link_relative_to_their_folder(tmp_path):
    site = Site(tmp_path)
    assert site.depth_root("index.html") == "" and site.depth_root("claims/x.html") == "../"
    page = site.render("document.html.j2", "states/TX.html", title="T", body="<p>b</p>")
    assert 'href="../assets/site.css"' in page and '<meta name="viewport"' in page and "https://" not in page.split("<body>")[0]


def test_chart_and_map_specs_are_valid_plotly():
    go = pytest.importorskip("plotly.graph_objects")
    spec = charts.lines({"agreements": (["2025-01-01", "2025-02-01", "2025-03-01"], [1, 1, 2])}, y_title="count")
    assert spec["data"][0]["x"] == ["2025-01-01", "2025-03-01"]  # only where the step moves (and the last)
    shape, note = charts.vline("2025-02-01", "article")
    go.Figure(data=spec["data"], layout={**spec["layout"], "shapes": [shape], "annotations": [note]})
    from analysis.publish.site import atlas

    geo = {"type": "FeatureCollection", "features": [{"type": "Feature", "id": "48201", "geometry": {
        "type": "Polygon", "coordinates": [[[-95.0, 29.5], [-95.0, 30.0], [-95.5, 30.0], [-95.5, 29.5], [-95.0, 29.5]]]}}]}
    data = [atlas._base(["48201"], "county", geo=geo), atlas._trace(["48201"], [3], ["Harris"], 3, "county", geo=geo)]
    go.Figure(data=data, layout=atlas._geo_layout(400, fitbounds="locations"))


def test_gzip_is_the_same_bytes_every_time_and_reads_back():
    data = ("a,b\n" + "x,1\n" * 50_000).encode()
    packed = downloads.gzipped(data)
    assert packed == downloads.gzipped(data) and gzip.decompress(packed) == data


def test_site_csv_defuses_formulas_and_writes_dates_plainly():
    import pandas as pd

    df = pd.DataFrame({"agency": ["=HYPERLINK(1)", "Harris"], "signed": pd.to_datetime(["2025-01-02", None]), "n": [1, 2]})
    assert downloads._frame_csv(df).decode() == "agency,signed,n\n'=HYPERLINK(1),2025-01-02,1\nHarris,,2\n"


@pytest.mark.parametrize(("url", "ok"), [("https://www.ice.gov/doclib/287gMOA/x.pdf", True), ("http://a.gov/x", True),
                                         ("javascript:alert(1)", False), ("https://", False), ("/relative.pdf", False),
                                         ("https://a.gov/x y", False), ("https://a.gov/" + "x" * 3000, False), (None, False)])
def test_only_absolute_web_addresses_are_kept_from_hyperlinks(url, ok):
    assert hyperlinks.safe_url(url) == (url if ok else None)


def test_moa_links_come_from_the_cell_hyperlinks(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["STATE", "LAW ENFORCEMENT AGENCY", "SUPPORT TYPE", "SIGNED", "MOA"])
    ws.append(["TEXAS", "Harris County Sheriff's Office", "Jail Enforcement Model", "2025-01-02", "link"])
    ws.append(["TEXAS", "Walker County Sheriff's Office", "Warrant Service Officer", "2025-01-03", "link pending"])
    ws.append(["TEXAS", "Bad", "Task Force Model", "2025-01-04", "link"])
    ws["E2"].hyperlink = "https://www.ice.gov/doclib/287gMOA/harris.pdf"
    ws["E4"].hyperlink = "javascript:alert(1)"
    wb.save(tmp_path / "s.xlsx")
    assert hyperlinks.moa_links(tmp_path / "s.xlsx") == {2: "https://www.ice.gov/doclib/287gMOA/harris.pdf"}


def test_claims_that_moved_come_from_recheck(tmp_path):
    class Given:
        _claims = {c.id: c for c in claim_registry.load_claims()}
        recheck = [{"id": "voz-40-states", "point_in_time": True, "snapshot_now": "s", "verdict_then": "supported",
                    "verdict_now": "partly supported", "value_then": 40, "value_now": 38, "changed": "40 -> 38 states"},
                   {"id": "voz-1001-agreements", "point_in_time": True, "snapshot_now": "s", "verdict_then": "supported",
                    "verdict_now": "supported", "value_then": 1000, "value_now": 1000, "changed": "same"},
                   {"id": "visaverge-22-pending", "point_in_time": False, "snapshot_now": None, "verdict_then": "supported",
                    "verdict_now": "supported", "value_then": 22, "value_now": 22, "changed": "fixed"}]  # fmt: skip

    moved = changes.claims_moved(Given())
    assert [(m["id"], m["verdict_moved"], m["kind"]) for m in moved] == [("voz-40-states", True, "participating")]


def test_serve_answers_on_the_loopback_only(tmp_path):
    from analysis.core.errors import StaleOutputError, UsageError
    from analysis.publish.site import serve

    with pytest.raises(StaleOutputError):
        serve.make_server(0, folder=tmp_path)
    (tmp_path / "index.html").write_text("<p>home</p>")
    with pytest.raises(UsageError):
        serve.make_server(0, "0.0.0.0", folder=tmp_path)
    server = serve.make_server(0, folder=tmp_path)
    import threading

    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_address[1]}/index.html", timeout=10) as r:
            assert r.read() == b"<p>home</p>"
    finally:
        server.shutdown()
        server.server_close()


def _luminance(colour: str) -> float:
    r, g, b = (int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4))
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_site_colours_pass_wcag_aa():
    """Every text colour of site.css against white, the verdict badges' white text on their colour,
    and the header's white text: at least 4.5:1 (WCAG AA for normal text)."""
    import re

    from analysis.publish.site.render import TEMPLATES, VERDICT_CLASS

    css = (TEMPLATES / "site.css").read_text()
    texts = set(re.findall(r"(?<![-\w])color:(#[0-9a-fA-F]{6})", css)) - {"#ffffff", "#fff"}
    assert texts and all(_contrast(c, "#ffffff") >= 4.5 for c in texts), {c: round(_contrast(c, "#ffffff"), 2) for c in texts}
    for cls in VERDICT_CLASS.values():
        background = re.search(rf"\.{cls}\{{background:(#[0-9a-fA-F]{{6}})\}}", css)[1]
        assert _contrast("#ffffff", background) >= 4.5, cls
    header = re.search(r"header\.top\{background:(#[0-9a-fA-F]{6})", css)[1]
    assert _contrast("#ffffff", header) >= 4.5


@pytest.mark.integration
def test_agency_command_finds_every_spelling_on_the_archive(missing_data, capsys):
    """`python -m analysis agency NAME` on the real archive: curly and straight apostrophes alike."""
    from analysis import cli, paths

    if not (paths.PROCESSED_DIR / "archive" / "history.parquet").is_file():
        missing_data("the archive panel is not built (make build)")
    answers = []
    for name in ("walker county sheriff’s office", "WALKER COUNTY SHERIFF'S OFFICE"):
        assert cli.main(["agency", name]) == 0
        answers.append(capsys.readouterr().out)
    assert answers[0].splitlines()[:-1] == answers[1].splitlines()[:-1]  # the last line repeats the query
    assert "Walker County Sheriff's Office (TX)" in answers[0] and "participating" in answers[0]
    assert cli.main(["agency", "--format", "json", "bristol county"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert any(a["state"] == "MA" and a["status"] == "ended" for a in found)
    assert cli.main(["agency", "?!"]) == 2 and "no letters or digits" in capsys.readouterr().err


def test_the_staged_report_links_the_site_and_copies_the_rest(tmp_path):
    """reproduce stages reports/ as copies (kernels write into it) except the site, which only this
    package writes, file by file and atomically: its files are hard links, so a second reproduce
    does not copy them, and a page written into the stage leaves the old report's file as it was."""
    from analysis.core import atomic

    target = tmp_path / "reports"
    (target / "site").mkdir(parents=True)
    (target / "site" / "a.html").write_text("old page")
    (target / "figures").mkdir()
    (target / "figures" / "f.png").write_bytes(b"old figure")
    with atomic.replace_dir(target, link=False, linked=("site",)) as stage:
        assert (stage / "site" / "a.html").stat().st_ino == (target / "site" / "a.html").stat().st_ino
        assert (stage / "figures" / "f.png").stat().st_ino != (target / "figures" / "f.png").stat().st_ino
        old = target / "site" / "a.html"
        Site(stage / "site").write("a.html", "new page")  # replaced by rename, never edited in place
        assert old.read_text() == "old page"
    assert (target / "site" / "a.html").read_text() == "new page"
