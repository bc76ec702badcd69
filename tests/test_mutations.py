"""Mutation tests (issue 6): a mutated workbook is read to the right count or refused, typed.

Over 1,000 workbooks are generated (tests/mutations.py, seeded) from the fixture sheets of every
layout and from real ICE sheets of every layout (P0-P3, Q1-Q3, via $DATA_MIRROR): columns dropped,
renamed, reordered or added; cells blanked; junk, partial and duplicated rows; swapped column
contents and kinds; bad SIGNED dates; empty, truncated, corrupted and wrong-type files.

Each is run through the build's own reader (``build.read_sheets``: layout detection and the
registry-kind check) and cleaner (``build.tidy``: the lookups that refuse unknown states and
support types, duplicate flags and the corrections log). The outcome must be exactly the one
the generator computed from what it did: the count (rows with STATE and AGENCY), the rows
recorded as skipped, the corrections logged, the duplicates flagged; or the typed error with
the file named in its message. A different count without an error is the failure this guards.
"""

from __future__ import annotations

import collections
import time
from pathlib import Path

import mutations as mu
import pytest
import workbooks as wb

from analysis import paths
from analysis.clean import normalize
from analysis.store import build
from analysis.core.errors import AnalysisError, EmptySheetError, SheetError

SEED = 20250902
FIXTURE_PUBLISHED = {"P0": "2025-01-19", "P1": "2025-03-07", "P2": "2025-06-27", "P3": "2025-09-02",
                     "Q1": "2025-03-07", "Q2": "2025-09-02", "Q3": "2026-01-22"}  # fmt: skip
# Real sheets, one or two per layout (ice_287g_archive/MANIFEST.csv: layout, rows), with quirks:
# P2 2025-04-03 has COUNTY #N/A error cells; P3 2025-07-08 pm has a SIGNED typed 5025-07-07;
# Q2 2025-11-06 pm has no data rows.
REAL = [
    ("participating_2025-02-19_163339.xlsx", "P0", 145),
    ("participating_2025-03-01_180751.xlsx", "P1", 239),
    ("participating_2025-04-03_231027.xlsx", "P2", 444),
    ("participating_2025-07-08_pm.xlsx", "P3", 807),
    ("pending_2025-03-13_172004.xlsx", "Q1", 24),
    ("pending_2025-03-17_231040.xlsx", "Q2", 34),
    ("pending_2025-11-06_pm.xlsx", "Q2", 0),
    ("pending_2026-01-22_am.xlsx", "Q3", 52),
]
FIXTURE_PER_GRID = 45  # x 9 fixture grids = 405
REAL_PER_GRID = 80  # x 8 real sheets = 640


# ----------------------------------------------------------------------------- the harness


def _entry(raw_dir: Path, m: mu.Mutation):
    rel = f"ice_287g/mut/{m.file_name}"
    target = raw_dir / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(m.data)
    return wb.raw_entry(raw_dir, rel, kind=m.kind, published=m.published, edition="", layout="", rows=None)


def _prescreen_ok(sheet) -> bool:
    """Routing only: True when no STATE or SUPPORT TYPE value would be refused, so the sheet can
    share one tidy() call with others. Sheets that fail it run through tidy() alone."""
    try:
        for v in set(sheet.columns["state_raw"]):
            normalize.state_lookup(v)
        for v in set(sheet.columns["support_type_raw"]):
            normalize.model_lookup(v)
    except SheetError:
        return False
    return True


def _fill(outcomes: dict, pairs: list, tidy_error: BaseException | None = None) -> None:
    """Record tidy() results for ``pairs`` (one call); on an error every pair gets it."""
    if tidy_error is not None:
        for entry, _ in pairs:
            outcomes[entry.path].error = tidy_error
        return
    cols, corrections = build.tidy(build.raw_table(pairs))
    agreements = build.finalize(cols)  # as build.build does: the agreements table as written
    assert len(agreements) == sum(s.n_rows for _, s in pairs)  # tidy never drops a row
    by_snap = agreements.groupby("snapshot_id")
    counts, dupes = by_snap.size(), by_snap["is_duplicate"].sum()
    logged = collections.defaultdict(set)
    for sid, row, fld in zip(corrections["snapshot_id"], corrections["row"], corrections["field"]):
        logged[sid].add((int(row), fld))
    from analysis.ingest.snapshots import snapshot_id

    for entry, sheet in pairs:
        sid = snapshot_id(entry.path)
        o = outcomes[entry.path]
        o.count = int(counts.get(sid, 0))
        o.duplicates = int(dupes.get(sid, 0))
        o.layout = sheet.layout.id
        o.skipped = tuple(r for r, _ in sheet.skipped)
        o.logged = logged[sid]


def _tidy_alone(outcomes: dict, pair) -> None:
    try:
        _fill(outcomes, [pair])
    except AnalysisError as err:
        _fill(outcomes, [pair], err)


def run_mutations(muts: list[mu.Mutation], raw_dir: Path) -> list[mu.Outcome]:
    """Each mutated sheet written under ``raw_dir`` (data/raw of a throwaway project) and read there."""
    project = paths.Project.at(raw_dir.parent.parent)
    assert project.raw == raw_dir
    outcomes = {}
    readable = []
    for m in muts:
        entry = _entry(raw_dir, m)
        o = outcomes[entry.path] = mu.Outcome(m)
        try:
            [(_, sheet)] = build.read_sheets(project, [entry], quiet=True)
        except Exception as err:  # noqa: BLE001 - untyped errors are reported by mu.check
            o.error = err
            continue
        readable.append((entry, sheet))
    batch = [p for p in readable if _prescreen_ok(p[1])]
    for pair in readable:
        if not _prescreen_ok(pair[1]):
            _tidy_alone(outcomes, pair)
    for start in range(0, len(batch), 60):
        chunk = batch[start : start + 60]
        try:
            _fill(outcomes, chunk)
        except AnalysisError:
            for pair in chunk:  # the prescreen missed something: fall back to one call each
                _tidy_alone(outcomes, pair)
    return list(outcomes.values())


def assert_all_hold(outcomes: list[mu.Outcome]) -> collections.Counter:
    baseline = {o.mutation.source: o.duplicates for o in outcomes if o.mutation.baseline and o.error is None}
    failures = []
    for o in outcomes:
        problem = mu.check(o, baseline.get(o.mutation.source))
        if problem:
            m = o.mutation
            failures.append(f"{m.id} {m.source} [{m.op}: {m.detail}] -> {problem}")
    assert not failures, f"{len(failures)} of {len(outcomes)} mutations misbehaved:\n" + "\n".join(failures[:40])
    return collections.Counter(
        ("error " + type(o.error).__name__) if o.error is not None else "read to the expected count" for o in outcomes
    )


@pytest.fixture
def raw_dir(tmp_path) -> Path:
    """data/raw of a throwaway project at tmp_path: the mutated sheets are written and read there."""
    return paths.Project.at(tmp_path).raw


# ----------------------------------------------------------------------------- the generator itself


def test_writer_round_trips_every_fixture_layout(raw_dir):
    """The in-memory writer is read exactly like openpyxl's files (dates, text, numbers)."""
    from analysis.ingest.sheets import read_sheet

    for lid in wb.HEADERS:
        fast = raw_dir / f"fast_{lid}.xlsx"
        slow = wb.BUILDERS[lid](raw_dir / f"slow_{lid}.xlsx")
        fast.parent.mkdir(parents=True, exist_ok=True)
        fast.write_bytes(mu.xlsx_bytes(wb.HEADERS[lid], wb.ROWS[lid], wb.SHEET_NAMES[lid]))
        a, b = read_sheet(fast), read_sheet(slow)
        assert a.layout == b.layout and a.sheet_name == b.sheet_name
        # openpyxl writes '#N/A' as an Excel error cell (read as ''); ours is the text '#N/A'
        cols_a = {k: v for k, v in a.columns.items() if k != "county_raw"}
        cols_b = {k: v for k, v in b.columns.items() if k != "county_raw"}
        assert cols_a == cols_b, lid


def test_generator_is_seeded_and_covers_every_operator():
    grids = _fixture_grids()
    one = mu.generate(grids, FIXTURE_PER_GRID, seed=SEED)
    two = mu.generate(grids, FIXTURE_PER_GRID, seed=SEED)
    digest = lambda ms: [(m.op, m.detail, __import__("hashlib").sha256(m.data).hexdigest()) for m in ms]
    assert digest(one) == digest(two)
    assert {m.op for m in one} == set(mu.OPS)
    assert {m.error for m in one} >= {None, *(getattr(__import__("analysis.core.errors").core.errors, n) for n in (
        "NotAWorkbookError", "EmptySheetError", "UnknownLayoutError", "MissingColumnError", "KindMismatchError"))}  # fmt: skip
    assert SheetError in {m.error for m in one}


def test_a_miscount_is_caught():
    """The checker itself: a count differing from the expected one is a failure, not a pass."""
    m = mu.Mutation(id="x", op="blank_key_cells", source="s", detail="d", data=b"", kind="participating",
                    published="2025-09-02", count=9)  # fmt: skip
    assert "SILENT MISCOUNT" in mu.check(mu.Outcome(m, count=10), None)
    assert mu.check(mu.Outcome(m, count=9), None) is None
    assert "untyped ValueError" in mu.check(mu.Outcome(m, error=ValueError("boom")), None)
    e = mu.Mutation(id="x", op="truncate", source="s", detail="d", data=b"", kind="participating",
                    published="2025-09-02", error=EmptySheetError)  # fmt: skip
    assert "expected EmptySheetError" in mu.check(mu.Outcome(e, count=3), None)
    named = EmptySheetError("first worksheet is empty", path=f"ice_287g/mut/{e.file_name}")
    assert mu.check(mu.Outcome(e, error=named), None) is None
    assert "does not name the file" in mu.check(mu.Outcome(e, error=EmptySheetError("empty")), None)


# ----------------------------------------------------------------------------- fixtures (no real data)


def _fixture_grids() -> list[mu.Grid]:
    grids = [mu.grid_from_rows(f"fixture_{lid}", lid, wb.ROWS[lid], published=FIXTURE_PUBLISHED[lid]) for lid in wb.HEADERS]
    grids.append(mu.grid_from_rows("fixture_P3_am", "P3", wb.AM_ROWS, published="2025-09-02"))
    grids.append(mu.grid_from_rows("fixture_P3_pm", "P3", wb.PM_ROWS, published="2025-09-02"))
    return grids


@pytest.mark.slow
def test_fixture_mutations(raw_dir):
    muts = mu.generate(_fixture_grids(), FIXTURE_PER_GRID, seed=SEED)
    assert len(muts) >= 400
    tally = assert_all_hold(run_mutations(muts, raw_dir))
    assert tally["read to the expected count"] > 100 and sum(v for k, v in tally.items() if k.startswith("error")) > 100


# ----------------------------------------------------------------------------- real sheets


@pytest.fixture(scope="module")
def real_grids(mirror_dir, raw_file):
    import csv

    with open(raw_file("ice_287g_archive/MANIFEST.csv"), newline="", encoding="utf-8") as fh:
        manifest = {r["file"]: r for r in csv.DictReader(fh)}
    grids = []
    for name, layout, rows in REAL:
        row = manifest[name]
        assert (row["layout"], int(row["rows"])) == (layout, rows), name
        grid = mu.grid_from_file(raw_file(f"ice_287g_archive/{name}"), layout=layout, published=row["published"])
        assert len(mu.eligible_rows(grid)) == rows, name  # the generator's row rule = MANIFEST's
        grids.append(grid)
    assert {g.layout for g in grids} == set(wb.HEADERS)
    return grids


@pytest.mark.integration
@pytest.mark.slow
def test_real_sheet_mutations(real_grids, raw_dir):
    started = time.monotonic()
    muts = mu.generate(real_grids, REAL_PER_GRID, seed=SEED)
    fixture_total = len(_fixture_grids()) * FIXTURE_PER_GRID
    assert len(muts) + fixture_total >= 1000
    tally = assert_all_hold(run_mutations(muts, raw_dir))
    assert tally["read to the expected count"] > 200
    assert time.monotonic() - started < 120


@pytest.mark.integration
def test_real_sheets_unmutated_read_to_the_manifest_rows(real_grids, raw_dir):
    """Baseline: rewritten by the generator's writer and as ICE's own bytes, same counts."""
    muts = []
    for g in real_grids:
        m = mu.mutate(g, "identity", __import__("random").Random(0), f"id_{g.name[:-5]}")
        raw = mu.Mutation(**{**m.__dict__, "id": f"raw_{g.name[:-5]}", "data": g.raw_bytes})
        muts += [m, raw]
    outcomes = run_mutations(muts, raw_dir)
    assert_all_hold(outcomes)
    assert [o.count for o in outcomes] == [rows for _, _, rows in REAL for _ in (0, 1)]


# ----------------------------------------------------------------------------- refused, not read as zero


def test_participating_sheet_without_rows_is_refused(raw_dir):
    g = mu.grid_from_rows("fixture_P3", "P3", [], published="2025-09-02")
    m = mu.Mutation(id="empty", op="no_data_rows", source=g.name, detail="header only", data=mu.xlsx_bytes(g.header, []),
                    kind="participating", published="2025-09-02", error=EmptySheetError)  # fmt: skip
    [o] = run_mutations([m], raw_dir)
    assert mu.check(o, None) is None, mu.check(o, None)


# ----------------------------------------------------------------------------- bug found by the mutations


def test_changed_bytes_in_shared_strings_are_refused_not_misread(raw_dir):
    """Found by the mutations: calamine does not verify the CRC of xl/sharedStrings.xml (it stops
    reading at </sst>), so a damaged byte there changed cell text silently. Here FLORIDA becomes
    GEORGIA in a stored (uncompressed) part: the sheet still read 6 agreements, but Florida's 3
    became Georgia's, a wrong number by state. sheets.py now checks every part's CRC first."""
    import zipfile

    from analysis.core.errors import NotAWorkbookError
    from analysis.ingest.sheets import read_sheet

    good = mu.xlsx_bytes(wb.HEADERS["P3"], wb.PM_ROWS, compression=zipfile.ZIP_STORED)
    assert good.count(b">FLORIDA<") == 1  # one shared string, used by three rows
    raw_dir.mkdir(parents=True)
    (raw_dir / "good.xlsx").write_bytes(good)
    (raw_dir / "bad.xlsx").write_bytes(good.replace(b">FLORIDA<", b">GEORGIA<"))
    assert read_sheet(raw_dir / "good.xlsx").columns["state_raw"].count("FLORIDA") == 3
    with pytest.raises(NotAWorkbookError, match=r"bad.xlsx: corrupt xlsx: part xl/sharedStrings.xml fails its CRC"):
        read_sheet(raw_dir / "bad.xlsx")
