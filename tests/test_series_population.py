"""The population statistics over time (engine.series) agree with the day's evaluation on every
sheet they are asked about (real data).

series() computes them for all sheets at once (the kind's rows grouped by sheet), while
measures.evaluate places one sheet's rows: two code paths for one rule, so this compares them on
a spread of sheets, for totals, breakdowns, a state, a state group and an exclusion.
"""

from __future__ import annotations

import pytest

from analysis.engine import measures, reader, series

pytestmark = pytest.mark.integration

MEASURES = [measures.Measure.from_mapping(spec) for spec in (
    {"statistic": "population_share"},
    {"statistic": "population_covered", "by": "state"},
    {"statistic": "population_covered", "by": "model"},
    {"statistic": "population_share", "state": ["FL", "TX"]},
    {"statistic": "population_covered", "state_group": "harris-2024"},
    {"statistic": "population_share", "exclude": ["FL"], "model": ["JEM"], "by": "state"},
)]


@pytest.fixture(scope="module")
def panel(missing_data):
    from analysis.store.freshness import archive_stale_reason

    reason = archive_stale_reason()
    if reason:
        missing_data(reason)
    return reader.open_panel()


@pytest.mark.parametrize("m", MEASURES, ids=lambda m: f"{m.statistic}-{m.by}-{'-'.join(m.state) or m.state_group or '-'.join(m.exclude) or 'all'}")
def test_population_series_is_the_days_evaluation(panel, m):
    over_time = series.series(m, panel)
    assert len(over_time) > 100
    picks = sorted({0, len(over_time) - 1, *range(0, len(over_time), max(1, len(over_time) // 12))})
    snaps = panel.sheets_of(m.kind).set_index("snapshot_id", drop=False)
    nonzero = 0
    for i in picks:
        row = over_time.iloc[i]
        day = measures.evaluate(m, row["published"], panel, snapshot=snaps.loc[row["snapshot_id"]])
        assert row["value"] == day.value, (row["file"], m)
        assert type(row["value"]) is type(day.value)
        nonzero += bool(day.value)
    assert nonzero  # the comparison is not of empty values
