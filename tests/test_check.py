"""`python -m analysis check FILE.toml`: fact-checkers' claims files, on the hand-made panel of test_measures."""

from __future__ import annotations

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


def test_a_claims_file_is_judged_with_evidence(tmp_path, panel):  # noqa: F811
    rows, out = run(tmp_path, GOOD, panel)
    got = {r["id"]: r for r in json.loads(out)}
    assert list(got) == ["fl-share", "agencies-six", "top-three", "none-in-ca", "salary"]
    assert set(got["fl-share"]) >= {"id", "verdict", "reproduced", "claimed", "unit", "snapshot", "evidence", "note"}
    assert got["fl-share"]["verdict"] == "supported" and got["fl-share"]["reproduced"] == 0.375  # 3 of 8
    assert got["fl-share"]["snapshot"] == {"file": "ice_287g/participating_2025-06-16_pm.xlsx", "sha256": f"{2:064x}",
                                           "published": "2025-06-16", "edition": "pm", "panel": "curated"}  # fmt: skip
    assert "denominator: 8 agreements" in got["fl-share"]["note"]
    evidence = pd.read_csv(tmp_path / "evidence" / "fl-share.csv")
    assert list(evidence["row"]) == [2, 3, 4] and set(evidence["state"]) == {"FL"}
    # the printed unit decides; the other unit is named in the note
    assert got["agencies-six"]["verdict"] == "not supported" and got["agencies-six"]["reproduced"] == 6
    assert "the figure fits agreements" in got["agencies-six"]["note"] and "agreements: supported" in got["agencies-six"]["note"]
    assert got["top-three"]["verdict"] == "supported" and "tied" not in got["top-three"]["note"]
    assert got["none-in-ca"]["verdict"] == "supported"
    assert got["salary"]["verdict"] == "not checkable" and got["salary"]["evidence"] is None
    assert not (tmp_path / "evidence" / "salary.csv").exists()


def test_claims_repeating_a_measure_share_its_evaluation_yet_each_keeps_its_own_verdict(tmp_path, panel):  # noqa: F811
    """Two outlets' figures for one measure on one day are computed once (check.judge), but each claim
    is judged against its own figure and gets its own evidence file, the same rows in both."""
    text = GOOD.split("[[claim]]")[1]  # fl-share: 3 of 8
    other = text.replace('id = "fl-share"', 'id = "fl-share-again"').replace('comparison = "more_than"', 'comparison = "at_most"')
    rows, out = run(tmp_path, "[[claim]]" + text + "[[claim]]" + other, panel)
    got = {r["id"]: r for r in json.loads(out)}
    assert got["fl-share"]["verdict"] == "supported" and got["fl-share-again"]["verdict"] == "not supported"
    assert got["fl-share"]["reproduced"] == got["fl-share-again"]["reproduced"] == 0.375
    first, second = (tmp_path / "evidence" / f"{i}.csv" for i in ("fl-share", "fl-share-again"))
    assert first.read_bytes() == second.read_bytes() and list(pd.read_csv(first)["row"]) == [2, 3, 4]


def test_evidence_text_is_shared_only_between_frames_whose_csv_is_the_same():
    """write_evidence writes one CSV text for frames with the same cells; never for cells that
    compare equal but print differently (-0.0 and 0.0; 1 and 1.0 in an object column)."""
    text = pd.DataFrame({"state": pd.Series(["FL", None], dtype="str"), "row": [2, 3], "n": pd.array([1, None], dtype="Int64")})
    assert check._same_cells(text, text.copy())
    assert not check._same_cells(text, text.assign(row=[2, 4]))
    assert not check._same_cells(text, text.assign(state=["FL", ""]))
    signed = pd.DataFrame({"x": [0.0, 1.0]})
    assert signed.equals(pd.DataFrame({"x": [-0.0, 1.0]})) and not check._same_cells(signed, pd.DataFrame({"x": [-0.0, 1.0]}))
    mixed = pd.DataFrame({"x": pd.Series([1, "a"], dtype=object)})
    other = pd.DataFrame({"x": pd.Series([1.0, "a"], dtype=object)})
    assert mixed.equals(other) and not check._same_cells(mixed, other)


def test_table_and_csv_formats_name_the_sheet(tmp_path, panel):  # noqa: F811
    _, table = run(tmp_path, GOOD, panel, "table")
    assert "sheet: ice_287g/participating_2025-06-16_pm.xlsx (published 2025-06-16, pm" in table
    _, text = run(tmp_path, GOOD, panel, "csv")
    frame = pd.read_csv(pd.io.common.StringIO(text), dtype=str)
    assert list(frame["id"]) == ["fl-share", "agencies-six", "top-three", "none-in-ca", "salary"]
    assert frame.loc[0, "sha256"] == f"{2:064x}"


BAD = {
    "missing date": ('id = "x"\nmeasure = {}\nclaimed = 1\ncomparison = "equal"', "claim 'x': date: missing"),
    "bad date": ('id = "x"\ndate = "2025-02-30"\nmeasure = {}\nclaimed = 1\ncomparison = "equal"', "claim 'x': date: not a date"),
    "date after the newest sheet": ('id = "x"\ndate = "2030-01-01"\nmeasure = {}\nclaimed = 1\ncomparison = "equal"',
                                    "claim 'x': date: 2030-01-01 is after the newest participating sheet"),
    "unknown state": ('id = "x"\ndate = "2025-06-16"\nmeasure = { state = "Atlantis" }\nclaimed = 1\ncomparison = "equal"',
                      "claim 'x': measure.state: 'Atlantis' is neither a USPS code"),
    "unknown measure key": ('id = "x"\ndate = "2025-06-16"\nmeasure = { colour = 1 }\nclaimed = 1\ncomparison = "equal"',
                            "claim 'x': measure.colour: unknown field"),
    "unknown comparison": ('id = "x"\ndate = "2025-06-16"\nmeasure = {}\nclaimed = 1\ncomparison = "roughly"',
                           "claim 'x': comparison: unknown comparison type 'roughly'"),
    "comparison cannot judge the statistic": (
        'id = "x"\ndate = "2025-06-16"\nmeasure = { statistic = "breakdown" }\nclaimed = 1\ncomparison = "equal"',
        "claim 'x': comparison: equal cannot judge a breakdown"),
    "claimed of the wrong shape": ('id = "x"\ndate = "2025-06-16"\nmeasure = {}\nclaimed = "many"\ncomparison = "equal"',
                                   "claim 'x': claimed: "),
    "bad id": ('id = "Has Spaces"\ndate = "2025-06-16"\nmeasure = {}\nclaimed = 1\ncomparison = "equal"',
               "claim 'Has Spaces': id: must be lower-case"),
    "unknown claim key": ('id = "x"\ndate = "2025-06-16"\nmeasure = {}\nclaimed = 1\ncomparison = "equal"\nverdict = "supported"',
                          "claim 'x': verdict: unknown field"),
    "policy without reason": ('id = "x"\ndate = "2025-06-16"\nclaimed = 1\ncomparison = "policy"', "claim 'x': reason: "),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_malformed_claim_is_one_line_naming_claim_and_field_and_nothing_is_written(tmp_path, panel, case, monkeypatch):  # noqa: F811
    body, message = BAD[case]
    f = tmp_path / "mine.toml"
    f.write_text(GOOD + "\n[[claim]]\n" + body + "\n")
    monkeypatch.setattr(paths, "REPORTS_DIR", tmp_path / "reports")
    monkeypatch.setattr(paths, "PROCESSED_DIR", panel.folder)
    with pytest.raises(UsageError) as err:
        check.judge(check.load(f), panel)
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
