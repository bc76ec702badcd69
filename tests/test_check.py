"""`python -m analysis check FILE.toml`: fact-checkers' claims files, on the hand-made panel of test_measures."""

from __future__ import annotations

import hashlib
import json
import re
import textwrap

import pandas as pd
import pytest
from test_measures import panel  # noqa: F401 (fixture)

from analysis import cli, paths
from analysis.factcheck import check
from analysis.core.errors import UsageError

GOOD = """
[[claim]]
id = "fl-share"
quote = "Florida holds over a third"
date = "2025-06-16"
measure = { unit = "agreements", state = "Florida", statistic = "share" }
claimed = "1/3"
comparison = "more_than"

[[claim]]
id = "agencies-six"
date = "2025-06-16"
measure = { unit = "agencies" }
claimed = 8
comparison = "equal"
also_units = true

[[claim]]
id = "top-three"
date = "2025-06-16"
measure = { statistic = "top_n", n = 3 }
claimed = ["Florida", "Texas", "GA"]
comparison = "set_equal"

[[claim]]
id = "none-in-ca"
date = "2025-06-16"
measure = { statistic = "breakdown" }
claimed = ["California"]
comparison = "none_in"

[[claim]]
id = "salary"
date = "2025-06-16"
claimed = 1000
comparison = "policy"
reason = "a reimbursement rule, not in ICE's sheets"
"""


def run(tmp_path, text, panel, fmt="json"):
    f = tmp_path / "mine.toml"
    f.write_text(textwrap.dedent(text))
    rows = check.judge(check.load(f), panel)
    check.write_evidence(rows, tmp_path / "evidence")
    return rows, check.render(rows, fmt)


def evidence_file(folder, claim_id):
    """The evidence file a claim points at, as the folder's index.csv lists it (write_evidence)."""
    index = pd.read_csv(folder / check.EVIDENCE_INDEX, dtype=str)
    return folder / index.set_index("claim").loc[claim_id, "evidence"]


def test_a_claims_file_is_judged_with_evidence(tmp_path, panel):  # noqa: F811
    rows, out = run(tmp_path, GOOD, panel)
    got = {r["id"]: r for r in json.loads(out)}
    assert list(got) == ["fl-share", "agencies-six", "top-three", "none-in-ca", "salary"]
    assert set(got["fl-share"]) >= {"id", "verdict", "reproduced", "claimed", "unit", "snapshot", "evidence", "note"}
    assert got["fl-share"]["verdict"] == "supported" and got["fl-share"]["reproduced"] == 0.375  # 3 of 8
    assert got["fl-share"]["snapshot"] == {"file": "ice_287g/participating_2025-06-16_pm.xlsx", "sha256": f"{2:064x}",
                                           "published": "2025-06-16", "edition": "pm", "panel": "curated"}  # fmt: skip
    assert "share of 8 agreements on the sheet" in got["fl-share"]["note"]
    evidence = pd.read_csv(evidence_file(tmp_path / "evidence", "fl-share"))
    assert list(evidence["row"]) == [2, 3, 4] and set(evidence["state"]) == {"FL"}
    assert got["fl-share"]["evidence_rows"] == 3 and got["fl-share"]["evidence_shared_by"] == 1
    # the printed unit decides; the other unit is named in the note
    assert got["agencies-six"]["verdict"] == "not supported" and got["agencies-six"]["reproduced"] == 6
    assert "the figure fits agreements" in got["agencies-six"]["note"] and "agreements: supported" in got["agencies-six"]["note"]
    assert got["top-three"]["verdict"] == "supported" and "tied" not in got["top-three"]["note"]
    assert got["none-in-ca"]["verdict"] == "supported"
    assert got["salary"]["verdict"] == "not checkable" and got["salary"]["evidence"] is None
    assert "salary" not in set(pd.read_csv(tmp_path / "evidence" / check.EVIDENCE_INDEX)["claim"])


def test_a_count_of_states_without_any_names_them(tmp_path, panel):  # noqa: F811
    """'Some other blue states have none': the note says which states the count found, not only how many."""
    claim = ('[[claim]]\nid = "none-states"\ndate = "2025-06-16"\n'
             'measure = { statistic = "states_without", state = ["CA", "FL", "TX", "WY"] }\nclaimed = 2\ncomparison = "at_least"\n')
    rows, out = run(tmp_path, claim, panel)
    row = json.loads(out)[0]
    without = sorted(s for s in ("CA", "FL", "TX", "WY") if s not in {"FL", "TX"})  # the fixture sheet lists FL and TX
    assert row["reproduced"] == len(without) and f"(the {len(without)}: {', '.join(without)})" in row["note"]


def test_claims_repeating_a_measure_share_its_evaluation_yet_each_keeps_its_own_verdict(tmp_path, panel):  # noqa: F811
    """Two outlets' figures for one measure on one day are computed once (check.judge), but each claim
    is judged against its own figure; both point at one evidence file, and the output says so."""
    text = GOOD.split("[[claim]]")[1]  # fl-share: 3 of 8
    other = text.replace('id = "fl-share"', 'id = "fl-share-again"').replace('comparison = "more_than"', 'comparison = "at_most"')
    rows, out = run(tmp_path, "[[claim]]" + text + "[[claim]]" + other, panel)
    got = {r["id"]: r for r in json.loads(out)}
    assert got["fl-share"]["verdict"] == "supported" and got["fl-share-again"]["verdict"] == "not supported"
    assert got["fl-share"]["reproduced"] == got["fl-share-again"]["reproduced"] == 0.375
    first, second = (evidence_file(tmp_path / "evidence", i) for i in ("fl-share", "fl-share-again"))
    assert first == second and list(pd.read_csv(first)["row"]) == [2, 3, 4]
    assert got["fl-share"]["evidence"] == got["fl-share-again"]["evidence"] and got["fl-share"]["evidence_shared_by"] == 2
    assert "the same file as 1 other claim)" in check.render(rows, "table")


def test_identical_evidence_is_written_once_however_many_claims_share_it(tmp_path, panel):  # noqa: F811
    """Issue 22.20: 10,000 claims on one date wrote 860 MB, the same rows per claim. Each distinct table
    is one file named by its content's sha256; index.csv and each output row point at it."""
    block = GOOD.split("[[claim]]")[1]
    text = "".join("[[claim]]" + block.replace('id = "fl-share"', f'id = "fl-share-{i}"') for i in range(300))
    rows, out = run(tmp_path, text + "[[claim]]" + GOOD.split("[[claim]]")[2], panel)
    folder = tmp_path / "evidence"
    files = sorted(p.name for p in folder.iterdir())
    assert len(files) == 3 and check.EVIDENCE_INDEX in files  # FL's 3 rows, the 6 agencies' 8 rows, the index
    index = pd.read_csv(folder / check.EVIDENCE_INDEX)
    assert len(index) == 301 and index["evidence"].nunique() == 2
    shared = folder / index.loc[0, "evidence"]
    assert shared.name == hashlib.sha256(shared.read_bytes()).hexdigest()[:16] + ".csv"
    assert {r["evidence_shared_by"] for r in json.loads(out)} == {300, 1}
    again = [{k: r[k] for k in ("id", "evidence")} for r in json.loads(run(tmp_path, text, panel)[1])]
    assert {r["evidence"] for r in again} == {json.loads(out)[0]["evidence"]}  # a second run finds the same file


def test_a_failed_evidence_write_leaves_nothing_behind(tmp_path, panel, monkeypatch):  # noqa: F811
    """Issue 22.14: a full disk part-way through the evidence leaves neither files nor folders behind."""
    from analysis.core.errors import OutputError
    from analysis.factcheck import evidence_files

    f = tmp_path / "mine.toml"
    f.write_text(GOOD)
    rows = check.judge(check.load(f), panel)
    real, calls = evidence_files.write_files, []

    def full_disk(folder, files):
        calls.append(list(files))
        first = dict(list(files.items())[:2])
        real(folder, first)  # two files in, then the disk is full
        assert all((folder / name).is_file() for name in first)
        raise OutputError("cannot write: No space left on device (ENOSPC)", path=str(folder))

    monkeypatch.setattr(evidence_files, "write_files", full_disk)
    with pytest.raises(OutputError):
        check.write_evidence(rows, tmp_path / "out" / "evidence")
    assert len(calls[0]) >= 3 and not (tmp_path / "out").exists()


def test_evidence_text_is_shared_only_between_frames_whose_csv_is_the_same(tmp_path):
    """write_evidence names a file by its text: frames whose cells compare equal but print differently
    (-0.0 and 0.0; 1 and 1.0 in an object column) get files of their own, equal texts one."""
    frames = [pd.DataFrame({"x": [0.0, 1.0]}), pd.DataFrame({"x": [-0.0, 1.0]}), pd.DataFrame({"x": [0.0, 1.0]}),
              pd.DataFrame({"x": pd.Series([1, "a"], dtype=object)}), pd.DataFrame({"x": pd.Series([1.0, "a"], dtype=object)})]
    assert frames[0].equals(frames[1]) and frames[3].equals(frames[4])
    rows = [{"id": f"c{i}", "_evidence": f} for i, f in enumerate(frames)]
    check.write_evidence(rows, tmp_path / "evidence")
    files = [r["evidence"] for r in rows]
    assert files[0] == files[2] and len(set(files)) == 4


def test_table_and_csv_formats_name_the_sheet(tmp_path, panel):  # noqa: F811
    _, table = run(tmp_path, GOOD, panel, "table")
    assert "sheet: ice_287g/participating_2025-06-16_pm.xlsx (published 2025-06-16, pm" in table
    _, text = run(tmp_path, GOOD, panel, "csv")
    frame = pd.read_csv(pd.io.common.StringIO(text), dtype=str)
    assert list(frame["id"]) == ["fl-share", "agencies-six", "top-three", "none-in-ca", "salary"]
    assert frame.loc[0, "sha256"] == f"{2:064x}"


def _x(comparison: str, *, claimed: str = "1", measure: str = "{}", date: str = '"2025-06-16"') -> str:
    return f'id = "x"\ndate = {date}\nmeasure = {measure}\nclaimed = {claimed}\n{comparison}'


BAD = {
    "a share written as a percent": ('id = "x"\ndate = "2025-06-16"\nmeasure = { state = "FL", statistic = "share" }\n'
                                     'claimed = 28.4\ncomparison = "approx"',
                                     "claim 'x': claimed: a share is a fraction of the whole, between 0 and 1"),
    "missing date": ('id = "x"\nmeasure = {}\nclaimed = 1\ncomparison = "equal"', "claim 'x': date: missing"),
    "bad date": ('id = "x"\ndate = "2025-02-30"\nmeasure = {}\nclaimed = 1\ncomparison = "equal"', "claim 'x': date: not a date"),
    "date after the newest sheet": ('id = "x"\ndate = "2030-01-01"\nmeasure = {}\nclaimed = 1\ncomparison = "equal"',
                                    "claim 'x': date: 2030-01-01 is after the newest participating sheet"),
    "unknown state": ('id = "x"\ndate = "2025-06-16"\nmeasure = { state = "Atlantis" }\nclaimed = 1\ncomparison = "equal"',
                      "claim 'x': measure.state: 'Atlantis' is neither a USPS code"),
    "unknown measure key": ('id = "x"\ndate = "2025-06-16"\nmeasure = { colour = 1 }\nclaimed = 1\ncomparison = "equal"',
                            "claim 'x': measure.colour: unknown field"),
    "unknown comparison": ('id = "x"\ndate = "2025-06-16"\nmeasure = {}\nclaimed = 1\ncomparison = "roughly"',
                           "claim 'x': comparison: must be one of approx, almost, more_than"),
    "comparison cannot judge the statistic": (
        'id = "x"\ndate = "2025-06-16"\nmeasure = { statistic = "breakdown" }\nclaimed = 1\ncomparison = "equal"',
        "claim 'x': comparison: equal cannot judge a breakdown"),
    "claimed of the wrong shape": ('id = "x"\ndate = "2025-06-16"\nmeasure = {}\nclaimed = "many"\ncomparison = "equal"',
                                   "claim 'x': claimed: "),
    "bad id": ('id = "Has Spaces"\ndate = "2025-06-16"\nmeasure = {}\nclaimed = 1\ncomparison = "equal"',
               "claim 'Has Spaces': id: must be 1-80 lower-case letters"),
    "unknown claim key": ('id = "x"\ndate = "2025-06-16"\nmeasure = {}\nclaimed = 1\ncomparison = "equal"\nverdict = "supported"',
                          "claim 'x': verdict: unknown field"),
    "policy without reason": ('id = "x"\ndate = "2025-06-16"\nclaimed = 1\ncomparison = "policy"', "claim 'x': reason: "),
    # issue 22: typos that answered, values that crashed or hung, names that are no names
    "state_group typo in a population measure (22.2)": (
        'id = "x"\ndate = "2025-06-16"\nmeasure = { statistic = "population_covered", state_group = "harris2024" }\n'
        'claimed = 1\ncomparison = "approx"', "claim 'x': measure.state_group: must be one of harris-2024, trump-2024, not 'harris2024'"),
    "comparison a number (22.8)": (_x("comparison = 5"), "claim 'x': comparison: must be one of approx, almost"),
    "comparison a list (22.8)": (_x('comparison = ["equal"]'), "claim 'x': comparison: must be one of approx, almost"),
    "comparison type a list (22.8)": (_x('comparison = { type = ["equal"] }'), "claim 'x': comparison.type: must be one of"),
    "comparison type a table (22.8)": (_x("comparison = { type = { a = 1 } }"), "claim 'x': comparison.type: must be one of"),
    "since a date and time (22.8)": (
        'id = "x"\ndate = "2025-06-16"\nmeasure = { statistic = "pct_change", since = 2025-01-20T00:00:00 }\nclaimed = 1\n'
        'comparison = "approx"', "claim 'x': measure.since: not a date (YYYY-MM-DD): '2025-01-20T00:00:00' is a date and time"),
    "state_group a list (22.8)": (
        'id = "x"\ndate = "2025-06-16"\nmeasure = { state_group = ["x"] }\nclaimed = 1\ncomparison = "equal"',
        "claim 'x': measure.state_group: must be one of harris-2024, trump-2024, not a list"),
    "claimed with a huge exponent (22.9)": (_x('comparison = "equal"', claimed='"1e999999999"'),
                                           "claim 'x': claimed: '1e999999999' is not a number"),
    "tolerance with a huge exponent (22.9)": (_x('comparison = { type = "approx", tolerance = "1e-999999999" }'),
                                             "claim 'x': comparison.tolerance: '1e-999999999' is not a number"),
    "TRAC with exclude (22.11)": (
        'id = "x"\ndate = "2025-06-16"\nmeasure = { source = "trac-county", statistic = "top_n", n = 1, exclude = "FL" }\n'
        'claimed = ["Miami-Dade County, FL"]\ncomparison = "set_equal"', "claim 'x': measure.source: TRAC's county table takes no filters"),
    "TRAC with a bogus denominator (22.11)": (
        'id = "x"\ndate = "2025-06-16"\nmeasure = { source = "trac-county", statistic = "top_n", n = 1, denominator = "bogus" }\n'
        'claimed = ["Miami-Dade County, FL"]\ncomparison = "set_equal"', "claim 'x': measure.denominator: must be one of all, states, not 'bogus'"),
    "TRAC with a denominator (22.11)": (
        'id = "x"\ndate = "2025-06-16"\nmeasure = { source = "trac-county", statistic = "top_n", n = 1, denominator = "states" }\n'
        'claimed = ["Miami-Dade County, FL"]\ncomparison = "set_equal"', "claim 'x': measure.denominator: only a share has a denominator"),
    "a bogus kind (22.11)": (_x('comparison = "equal"', measure='{ kind = "bogus" }'),
                            "claim 'x': measure.kind: must be one of participating, pending, not 'bogus'"),
    "a state where a model is counted (22.12)": (
        'id = "x"\ndate = "2025-06-16"\nmeasure = { statistic = "breakdown", by = "model" }\nclaimed = ["Florida"]\ncomparison = "none_in"',
        "claim 'x': claimed: 'Florida' is not a 287(g) model (JEM, TFM, WSO)"),
    "a misspelt model (22.12)": (
        'id = "x"\ndate = "2025-06-16"\nmeasure = { statistic = "breakdown", by = "model" }\nclaimed = ["JEMM"]\ncomparison = "none_in"',
        "claim 'x': claimed: 'JEMM' is not a 287(g) model"),
    "a model that is none in a breakdown (22.12)": (
        'id = "x"\ndate = "2025-06-16"\nmeasure = { statistic = "breakdown", by = "model" }\nclaimed = { XYZ = 0, JEM = 140 }\n'
        'comparison = "breakdown"', "claim 'x': claimed: 'XYZ' is not a 287(g) model"),
    "since after the date (22.13)": (_x('comparison = "approx"', measure='{ statistic = "pct_change", since = "2025-09-01" }'),
                                    "claim 'x': measure.since: 2025-09-01 is not before the date 2025-06-16"),
    "an id with a trailing newline (22.14)": ('id = "x\\n"\ndate = "2025-06-16"\nmeasure = {}\nclaimed = 1\ncomparison = "equal"',
                                             "claim 'x\\n': id: must be 1-80 lower-case letters"),
    "a 250-character id (22.14)": (f'id = "{"a" * 250}"\ndate = "2025-06-16"\nmeasure = {{}}\nclaimed = 1\ncomparison = "equal"',
                                  ": id: must be 1-80 lower-case letters"),
    "a date without hyphens (22.19)": (_x('comparison = "equal"', date='"20251129"'), "claim 'x': date: not a date (YYYY-MM-DD): '20251129'"),
    "an ISO week date (22.19)": (_x('comparison = "equal"', date='"2025-W48-6"'), "claim 'x': date: not a date (YYYY-MM-DD): '2025-W48-6'"),
    "a bare integer as date (22.19)": (_x('comparison = "equal"', date="20251129"), "claim 'x': date: not a date (YYYY-MM-DD): 20251129"),
    "a base date outside the sheets is blamed on since (22.19)": (
        _x('comparison = "approx"', measure='{ statistic = "pct_change", since = "2020-01-01" }'),
        "claim 'x': measure.since: 2020-01-01 is before the first participating sheet"),
    "an error while judging names the file and claim (22.19)": (
        _x('comparison = "approx"', measure='{ kind = "pending", state = "OK", model = "WSO", statistic = "share" }', claimed="0.5"),
        "mine.toml: claim 'x': measure: the share's denominator is 0"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_malformed_claim_is_one_line_naming_claim_and_field_and_nothing_is_written(tmp_path, panel, case, monkeypatch):  # noqa: F811
    body, message = BAD[case]
    f = tmp_path / "mine.toml"
    f.write_text(GOOD + "\n[[claim]]\n" + body + "\n")
    monkeypatch.setattr(paths, "REPORTS_DIR", tmp_path / "reports")
    monkeypatch.setattr(paths, "PROCESSED_DIR", panel.folder)
    with pytest.raises(UsageError) as err:
        check.judge(check.load(f), panel, f)
    assert str(err.value).startswith(f"{f.name}: {message}") or message in str(err.value), str(err.value)
    assert "\n" not in str(err.value)
    code = cli.main(["check", str(f), "--source", "curated"])
    assert code == UsageError.exit_code
    assert not (tmp_path / "reports").exists()  # nothing written


def test_not_toml_and_no_claims(tmp_path):
    f = tmp_path / "x.toml"
    f.write_text("[[claim]\nid=")
    with pytest.raises(UsageError, match="not a valid TOML claims file"):
        check.load(f)
    f.write_text("title = 'nothing'\n")
    with pytest.raises(UsageError, match=r"no \[\[claim\]\] tables"):
        check.load(f)
    with pytest.raises(UsageError, match="no such claims file"):
        check.load(tmp_path / "missing.toml")


def test_ids_must_be_unique(tmp_path, panel):  # noqa: F811
    f = tmp_path / "dup.toml"
    block = '[[claim]]\nid = "x"\ndate = "2025-06-16"\nmeasure = {}\nclaimed = 1\ncomparison = "equal"\n'
    f.write_text(block + block)
    with pytest.raises(UsageError, match="claim 'x': id: used twice"):
        check.load(f)


def docs_claims() -> str:
    text = (paths.DOCS_DIR / "claims-file.md").read_text(encoding="utf-8")
    return "\n".join(re.findall(r"```toml\n(.*?)```", text, flags=re.S))


def test_the_docs_examples_are_valid_claims_files(tmp_path):
    f = tmp_path / "docs.toml"
    f.write_text(docs_claims())
    claims = check.load(f)
    assert len(claims) >= 6 and len({c.id for c in claims}) == len(claims)


def test_a_claims_file_named_to_leave_reports_check_is_refused(tmp_path, panel, monkeypatch):  # noqa: F811
    """Issue 22.1: `...toml` has the stem `..`: its evidence went to reports/check/../evidence/, the
    report's own. Such a name is refused (exit 2) before anything is written; --evidence-dir still works."""
    monkeypatch.setattr(paths, "REPORTS_DIR", tmp_path / "reports")
    monkeypatch.setattr(paths, "PROCESSED_DIR", panel.folder)
    for name in ("...toml", ".toml", ".hidden.toml"):
        f = tmp_path / "in" / name
        f.parent.mkdir(exist_ok=True)
        f.write_text(GOOD)
        with pytest.raises(UsageError, match="cannot name a folder under reports/check/ after this file"):
            check.default_evidence_dir(f)
        assert cli.main(["check", str(f), "--source", "curated"]) == UsageError.exit_code
    assert not (tmp_path / "reports").exists()
    assert cli.main(["check", str(f), "--source", "curated", "--evidence-dir", str(tmp_path / "mine")]) == 0
    assert check.default_evidence_dir(tmp_path / "my claims.toml") == tmp_path / "reports" / "check" / "my claims" / "evidence"


def test_a_byte_order_mark_is_read_past_and_broken_files_are_one_line(tmp_path):
    """Issue 22.19: a UTF-8 BOM was 'Invalid statement'; 22.8: TOML nested deeper than the parser's
    recursion limit was a RecursionError traceback."""
    f = tmp_path / "bom.toml"
    f.write_bytes("\ufeff".encode() + GOOD.encode())
    assert [c.id for c in check.load(f)][:2] == ["fl-share", "agencies-six"]
    f.write_text('[[claim]]\nid = "x"\nnote = ' + "[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(UsageError, match="nested too deeply") as err:
        check.load(f)
    assert "\n" not in str(err.value)
    f.write_bytes(b'[[claim]]\nid = "\xff"\n')
    with pytest.raises(UsageError, match=r"not UTF-8 text \(byte 16\)"):
        check.load(f)
    f.write_text(GOOD + '\n[[claims]]\nid = "y"\n')
    with pytest.raises(UsageError, match="claims: unknown field; known: claim, article, skipped"):
        check.load(f)


def test_the_json_schema_is_generated_from_the_models_and_current():
    """docs/claims-file.schema.json is what `python -m analysis docs` writes from claims_schema."""
    from analysis.factcheck import claims_schema
    from analysis.publish import dictionary

    assert dictionary.schema_path().read_text(encoding="utf-8") == claims_schema.json_schema(), (
        "docs/claims-file.schema.json is stale; run `python -m analysis docs` and commit it")


def test_the_docs_examples_validate_against_the_published_json_schema():
    """What an editor checks a claims file against accepts every worked example of the docs, and
    refuses what check refuses by type (a misspelt enumeration, a date that is not YYYY-MM-DD)."""
    import tomllib

    import jsonschema

    from analysis.publish import dictionary

    schema = json.loads(dictionary.schema_path().read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    blocks = re.findall(r"```toml\n(.*?)```", (paths.DOCS_DIR / "claims-file.md").read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) >= 6
    for block in blocks:
        assert list(validator.iter_errors(tomllib.loads(block))) == [], block
    good = tomllib.loads(GOOD)
    for key, value in (("date", "20251129"), ("id", "Has Spaces"), ("id", "a" * 81), ("claimed", "1e999999999"), ("comparison", 5)):
        bad = {"claim": [{**good["claim"][0], key: value}]}
        assert list(validator.iter_errors(bad)), (key, value)
    bad = {"claim": [{**good["claim"][0], "measure": {"state_group": "harris2024"}}]}
    assert list(validator.iter_errors(bad))
