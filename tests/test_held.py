"""When did a claim hold (factcheck/held.py), and the engine over every sheet (engine/series.py), on the
hand-made panel of test_measures, whose every answer is known: 2 agreements on 2025-01-19, 1 on the
2025-06-16 am sheet, 8 on the pm sheet."""

from __future__ import annotations

import json
import textwrap

import pytest
from test_measures import SHEETS, make_panel, panel  # noqa: F401 (fixture)

from analysis.engine import measures, series
from analysis.factcheck import check, held, judge, verdicts


def claim(tmp_path, body: str) -> judge.Claim:
    f = tmp_path / "one.toml"
    f.write_text(textwrap.dedent('[[claim]]\nid = "c"\n' + body))
    return check.load(f)[0]


def test_series_equals_the_days_evaluation_on_every_sheet(panel):  # noqa: F811
    """One definition: the series' value on each sheet is what evaluate gives with that sheet in force."""
    for spec in ({"unit": "agreements"}, {"unit": "agencies"}, {"state": "FL", "statistic": "share"},
                 {"statistic": "top_n", "n": 2, "unit": "agencies"}, {"statistic": "rank", "state": "TX"},
                 {"statistic": "n_states"}, {"statistic": "breakdown", "by": "model"},
                 {"statistic": "states_without", "state": ["FL", "GA", "OK"]},
                 {"statistic": "pct_change", "since": "2025-01-19"}):  # fmt: skip
        m = measures.Measure.from_mapping(spec)
        s = series.series(m, panel)
        sheets = panel.sheets_of(m.kind).set_index("snapshot_id", drop=False)
        assert len(s) == (3 if m.since is None else 2), spec  # a change: the sheets after its base date
        for sid, day, value in zip(s["snapshot_id"], s["published"], s["value"]):
            assert measures.evaluate(m, day, panel, snapshot=sheets.loc[sid]).value == value, (spec, sid)


def test_a_count_that_held_on_one_sheet_holds_until_the_next(tmp_path, panel):  # noqa: F811
    c = claim(tmp_path, 'date = "2025-06-16"\nmeasure = { unit = "agreements" }\nclaimed = 2\ncomparison = "equal"\n')
    h = held.held(c, panel)
    # 2 agreements on the 2025-01-19 sheet only: in force until the day before the 2025-06-16 am sheet
    assert h["spans"] == [{"from": "2025-01-19", "to": "2025-06-15", "sheets": 1,
                           "first_file": "ice_287g/participating_2025-01-19.xlsx",
                           "last_file": "ice_287g/participating_2025-01-19.xlsx"}]  # fmt: skip
    assert h["first_true"] == "2025-01-19" and h["last_true"] == "2025-06-15"
    assert h["on_date"] is False  # on 2025-06-16 the pm sheet (8) is in force
    assert h["summary"] == "held from 2025-01-19 to 2025-06-15 (3 sheets, 2025-01-19 to 2025-06-16)"
    # each sheet judged by the same verdict as the claim's own date
    assert judge.verdict(c, 8).verdict != verdicts.SUPPORTED and judge.verdict(c, 2).verdict == verdicts.SUPPORTED


def test_a_claim_true_on_its_date_and_one_never_true(tmp_path, panel):  # noqa: F811
    now = claim(tmp_path, 'date = "2025-06-16"\nmeasure = { unit = "agreements" }\nclaimed = 8\ncomparison = "equal"\n')
    h = held.held(now, panel)
    assert h["on_date"] is True and h["spans"][0]["from"] == "2025-06-16" and h["last_true"] == "2025-06-16"
    never = claim(tmp_path, 'date = "2025-06-16"\nmeasure = { unit = "agreements" }\nclaimed = 100\ncomparison = "equal"\n')
    h = held.held(never, panel)
    assert h["spans"] == [] and h["first_true"] is None
    assert h["summary"] == "never supported on any sheet (3 sheets, 2025-01-19 to 2025-06-16)"


def test_a_claim_no_data_can_check_has_no_history(tmp_path, panel):  # noqa: F811
    c = claim(tmp_path, 'date = "2025-06-16"\nclaimed = 1000\ncomparison = "policy"\nreason = "a rule"\n')
    assert held.held(c, panel) is None


def test_check_shows_when_each_claim_held_and_can_skip_it(tmp_path, panel):  # noqa: F811
    c = claim(tmp_path, 'date = "2025-06-16"\nmeasure = { unit = "agreements" }\nclaimed = 2\ncomparison = "equal"\n')
    rows = judge.judge([c], panel)
    check.add_held(rows, [c], panel)
    check.write_evidence(rows, tmp_path / "evidence")
    assert "held: held from 2025-01-19 to 2025-06-15" in check.render(rows, "table")
    assert json.loads(check.render(rows, "json"))[0]["held"]["first_true"] == "2025-01-19"
    assert "held from 2025-01-19" in check.render(rows, "csv").splitlines()[1]


@pytest.mark.parametrize("statistic", ["share", "pct_change"])
def test_held_memo_judges_each_value_once(tmp_path, panel, statistic, monkeypatch):  # noqa: F811
    """Claims repeating a measure share its series, and a value seen on many sheets is judged once."""
    body = ('date = "2025-06-16"\nmeasure = { state = "FL", statistic = "share" }\nclaimed = "1/3"\ncomparison = "more_than"\n'
            if statistic == "share" else
            'date = "2025-06-16"\nmeasure = { statistic = "pct_change", since = "2025-01-19" }\nclaimed = 100\ncomparison = "more_than"\n')  # fmt: skip
    c = claim(tmp_path, body)
    memo, calls = held.Memo(), []
    real = series.series
    monkeypatch.setattr(series, "series", lambda *a, **k: calls.append(1) or real(*a, **k))
    first, second = held.held(c, panel, memo), held.held(c, panel, memo)
    assert first == second and len(calls) == 1
