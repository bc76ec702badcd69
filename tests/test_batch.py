"""A batch of claims (engine/batch.py, the ranges form of the evidence): each claim gets exactly what
it gets alone, and a reader gets back from the evidence folder exactly the rows each claim counted."""

from __future__ import annotations

import csv
import gzip
import io
import textwrap

import pandas as pd
import pytest
import tomli_w
from test_measures import panel  # noqa: F401 (fixture)

from analysis.core.errors import AnalysisError
from analysis.engine import batch
from analysis.engine import measures as M
from analysis.factcheck import check, evidence_files, judge

DAYS = ["2025-01-19", "2025-03-01", "2025-06-16"]
SPECS = [
    {},
    {"unit": "agencies"},
    {"unit": "agencies", "state": "Florida"},
    {"model": "JEM"},
    {"state": "FL", "statistic": "share"},
    {"state": "FL", "statistic": "share", "denominator": "states"},
    {"unit": "agencies", "state": "TX", "statistic": "share"},
    {"statistic": "top_n", "n": 2},
    {"statistic": "rank", "state": "TX"},
    {"statistic": "rank", "by": "model", "model": "TFM", "unit": "agencies"},
    {"statistic": "breakdown"},
    {"statistic": "breakdown", "by": "model", "unit": "agencies"},
    {"statistic": "states_without"},
    {"statistic": "n_states"},
    {"statistic": "pct_change", "since": "2025-01-19"},
    {"kind": "pending"},
]


def _alone(m, day, panel):  # noqa: F811
    try:
        return M.evaluate(m, day, panel)
    except AnalysisError as err:
        return err


def _rows_text(evidence) -> str:
    return evidence_files.evidence_csv(evidence.frame() if hasattr(evidence, "frame") else evidence)


def test_the_batch_gives_each_measure_on_each_day_what_evaluate_gives_it_alone(panel):  # noqa: F811
    measures = [M.Measure.from_mapping(spec) for spec in SPECS]
    got = batch.evaluate_days({m: DAYS for m in measures}, panel)
    assert set(got) == {(m, day) for m in measures for day in DAYS}
    for (m, day), answer in got.items():
        alone = _alone(m, day, panel)
        if isinstance(alone, AnalysisError):  # the pending sheets start on 2025-06-16
            assert type(answer) is type(alone) and str(answer) == str(alone), (m, day)
            continue
        assert (answer.value, type(answer.value)) == (alone.value, type(alone.value)), (m, day)
        assert answer.detail == alone.detail and answer.snapshot == alone.snapshot, (m, day)
        assert _rows_text(answer.evidence) == _rows_text(alone.evidence), (m, day)  # the rows counted, as written
        assert len(answer.evidence) == len(alone.evidence)


CLAIMS = "\n".join(
    textwrap.dedent(f"""
    [[claim]]
    id = "c{i}-{day}"
    date = "{day}"
    measure = {{ {', '.join(f'{k} = {v!r}'.replace("'", '"') for k, v in spec.items())} }}
    claimed = 1
    comparison = "at_least"
    """)
    for i, spec in enumerate(s for s in SPECS if s.get("statistic") not in ("top_n", "rank", "breakdown") and "kind" not in s)
    for day in DAYS[1:]
)


def _read(path) -> str:
    data = path.read_bytes()
    return (gzip.decompress(data) if path.name.endswith(".gz") else data).decode("utf-8")


def _frame(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def rows_from_ranges(folder, claim_id: str) -> pd.DataFrame:
    """A claim's rows as a reader gets them from the ranges form (docs/claims-file.md, "Evidence"): its
    file from index.csv; per line of it, the rows first_row..last_row of that sheet in the sheet's file
    named in rows_in, with the line's columns after RANGE_COLUMNS (a change's ``period``) added."""
    index = _frame((folder / evidence_files.EVIDENCE_INDEX).read_text())
    name = index.loc[index["claim"] == claim_id, "evidence"].item()
    parts = []
    for line in _frame(_read(folder / name)).to_dict("records"):
        sheet = _frame(_read(folder / line["rows_in"]))
        number = sheet["row"].astype(int)
        mine = sheet[(sheet["snapshot_id"] == line["snapshot_id"]) & number.between(int(line["first_row"]), int(line["last_row"]))]
        assert len(mine) == int(line["last_row"]) - int(line["first_row"]) + 1  # a run of consecutive rows, each there
        extra = {k: v for k, v in line.items() if k not in evidence_files.RANGE_COLUMNS}
        parts.append(mine.assign(**extra))
    return pd.concat(parts, ignore_index=True) if parts else None


@pytest.mark.parametrize("form", ["ranges", "tables"])
def test_a_reader_gets_back_from_the_evidence_exactly_the_rows_each_claim_counted(tmp_path, panel, form):  # noqa: F811
    f = tmp_path / "season.toml"
    f.write_text(CLAIMS)
    claims = check.load(f)
    rows = check.judge(claims, panel, f)
    counted = {r["id"]: _frame(_rows_text(r["_evidence"])) for r in rows}  # what each claim counted
    folder = tmp_path / "evidence"
    said = evidence_files.write_evidence(rows, folder, form)
    assert (said is not None) == (form == "ranges")
    for claim in claims:
        alone = M.evaluate(claim.measure, claim.date, panel)  # the one-claim path
        assert _frame(_rows_text(alone.evidence)).equals(counted[claim.id])
        if form == "ranges":
            got = rows_from_ranges(folder, claim.id)
        else:
            index = _frame((folder / evidence_files.EVIDENCE_INDEX).read_text())
            got = _frame(_read(folder / index.loc[index["claim"] == claim.id, "evidence"].item()))
        if got is None:  # no row counted: the file lists no range
            assert counted[claim.id].empty, claim.id
            continue
        assert got.equals(counted[claim.id]), claim.id
    out = {r["id"]: r for r in rows}
    index = _frame((folder / evidence_files.EVIDENCE_INDEX).read_text())
    assert sorted(index["claim"]) == sorted(out) and all(int(n) == out[c]["evidence_rows"] for c, n in zip(index["claim"], index["rows"]))


def test_the_ranges_form_writes_each_sheets_rows_once(tmp_path, panel):  # noqa: F811
    f = tmp_path / "season.toml"
    f.write_text(CLAIMS)
    rows = check.judge(check.load(f), panel, f)
    folder = tmp_path / "evidence"
    evidence_files.write_evidence(rows, folder, "ranges")
    claim_files = {r["evidence"].rsplit("/", 1)[-1] for r in rows}
    sheets = [p for p in folder.iterdir() if p.name not in claim_files and p.name != evidence_files.EVIDENCE_INDEX]
    texts = [_frame(_read(p)) for p in sheets]
    assert all(t["snapshot_id"].nunique() == 1 and t["row"].is_unique for t in texts)  # one sheet a file, each row once
    assert len({t["snapshot_id"].iloc[0] for t in texts}) == len(texts)
    for p in folder.iterdir():
        if p.name != evidence_files.EVIDENCE_INDEX:
            assert p.name.split(".")[0] == evidence_files.hashlib.sha256(_read(p).encode()).hexdigest()[:16]
    header = next(csv.reader(io.StringIO(_read(folder / next(iter(claim_files))))))
    assert header[: len(evidence_files.RANGE_COLUMNS)] == evidence_files.RANGE_COLUMNS


@pytest.mark.integration
def test_a_season_on_the_archive_gets_what_each_claim_gets_alone_and_its_rows_back(tmp_path, missing_data):
    """The registry's checkable measures and added, removed, rank and percent change, two claims each
    over 24 days of the archive (a season as bench_batch.py makes one, smaller): each claim's value and
    rows are what evaluate gives it alone, and the ranges form gives each claim's rows back."""
    from analysis.engine import reader
    from analysis.factcheck import claim_registry
    from analysis.store.freshness import archive_stale_reason

    if archive_stale_reason():
        missing_data(archive_stale_reason())
    panel = reader.open_panel("archive")
    days = sorted({d.isoformat() for d in panel.sheets_of("participating")["published"] if d.isoformat() >= "2025-01-22"})
    days = days[:: max(1, len(days) // 24)][:24]
    cores = {c.core.measure: c.core for c in claim_registry.load_claims()
             if c.core.checkable and c.core.measure.source == "ice" and c.core.measure.kind == "participating"}  # fmt: skip
    extra = [{"statistic": "added", "since": "2025-01-20"}, {"statistic": "removed", "since": "2025-01-20", "unit": "agencies"},
             {"statistic": "rank", "state": "TX"}, {"statistic": "pct_change", "since": "2025-01-20", "state": "FL"}]
    measures = [*((c.measure, c.claimed, c.comparison) for c in cores.values()),
                 *((M.Measure.from_mapping(spec), 1, "rank" if spec["statistic"] == "rank" else "at_least") for spec in extra)]  # fmt: skip
    assert {m.statistic for m, _, _ in measures} >= {"count", "added", "removed", "share", "rank", "pct_change"}
    records = []
    for i, (m, claimed, comparison) in enumerate(measures * 2):
        day = days[(i * 7) % len(days)]
        if m.since is not None and m.since.isoformat() >= day:
            day = days[-1]
        records.append({"id": f"c{i}", "date": day, "measure": m.to_dict(), "claimed": claimed, "comparison": comparison})
    f = tmp_path / "season.toml"
    f.write_text(tomli_w.dumps({"claim": records}))
    claims = check.load(f)
    rows = check.judge(claims, panel, f)
    folder = tmp_path / "evidence"
    evidence_files.write_evidence(rows, folder, "ranges")
    for claim, row in zip(claims, rows):
        alone = M.evaluate(claim.measure, claim.date, panel)
        assert row["reproduced"] == judge._json_value(alone.value), claim.id
        counted = _frame(_rows_text(alone.evidence))
        got = rows_from_ranges(folder, claim.id)
        assert counted.empty if got is None else got.equals(counted), claim.id

