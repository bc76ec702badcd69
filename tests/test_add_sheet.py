"""`add-sheet` and `recheck`: a researcher's own ICE sheet is registered locally, rebuilt, and the
"now" claims are re-read on it; refusals are one line with distinct exit codes.

Everything runs in throwaway projects (tests/projectcopy.py), in this process: a fixture build, and a build
of the real curated sheets from $DATA_MIRROR without the newest one, so that a real archive
sheet not in the curated set becomes the newest snapshot.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

import projectcopy as pc
import workbooks as wb
from analysis import claim_registry, paths
from analysis.ingest import registry
from analysis.store import build
from analysis.core.errors import UsageError
from analysis.store.local_sheets import parse_name

# ----------------------------------------------------------------------------- file names


@pytest.mark.parametrize(
    "name, kind, published, edition",
    [
        ("participatingAgencies09152025am.xlsx", "participating", dt.date(2025, 9, 15), "am"),
        ("pendingAgencies07312025.xlsx", "pending", dt.date(2025, 7, 31), ""),
        ("participatingAgencies12052025pm2.xlsx", "participating", dt.date(2025, 12, 5), "pm2"),
        ("participatingAgencies-20250221214937.xlsx", "participating", dt.date(2025, 2, 21), "214937"),
        ("pending_2026-02-27_am.xlsx", "pending", dt.date(2026, 2, 27), "am"),
        ("participating_2025-09-15.xlsx", "participating", dt.date(2025, 9, 15), ""),
        ("participatingAgencies090022025am.xlsx", "participating", None, ""),  # ICE's misspelt name: no date
        ("my_sheet.xlsx", None, None, ""),
    ],
)
def test_parse_name(name, kind, published, edition):
    info = parse_name(name)
    assert (info.kind, info.published, info.edition) == (kind, published, edition)


def test_parse_name_impossible_date():
    with pytest.raises(UsageError, match="impossible date"):
        parse_name("participatingAgencies02302025am.xlsx")


# ----------------------------------------------------------------------------- fixture project

NEW_ROWS = [
    *wb.PM_ROWS,
    ("NEW YORK", "Nassau County Sheriff's Office", "County", "Nassau", "Task Force Model", dt.datetime(2025, 9, 25), "link", "link"),
]  # fmt: skip
#: a sheet other than the one the first test registers, for the refusals that must meet their own check
#: first: wb.p3 writes the same bytes for the same rows within one second (the workbook's timestamp), and a
#: sheet already registered is refused before its name, kind or dates are read (in-process, the tests
#: below often run within the second of the first one's write)
OTHER_ROWS = [*NEW_ROWS, ("FLORIDA", "Marion County Sheriff's Office", "County", "Marion", "Jail Enforcement Model",
                          dt.datetime(2025, 9, 1), "link", "link")]  # fmt: skip


@pytest.fixture(scope="module")
def fixture_project(tmp_path_factory):
    return pc.fixture_project(tmp_path_factory.mktemp("addsheet") / "project").root


@pytest.fixture
def inbox(tmp_path) -> Path:
    d = tmp_path / "downloads"
    d.mkdir()
    return d


def _local_files(root: Path) -> list[str]:
    local = root / "data" / "raw" / "local"
    return sorted(p.name for p in local.glob("*.xlsx")) if local.is_dir() else []


def test_add_fixture_sheet_registers_rebuilds_and_rechecks(fixture_project, inbox):
    root = fixture_project
    pinned_before = (root / "data/raw/registry.csv").read_bytes()
    sheet = wb.p3(inbox / "participatingAgencies10012025am.xlsx", NEW_ROWS)
    proc = pc.cli(root, "add-sheet", str(sheet), "-q", cwd=inbox)
    assert proc.returncode == 0, proc.stderr
    assert "registered participatingAgencies10012025am.xlsx as data/raw/local/participating_2025-10-01_am.xlsx" in proc.stdout
    assert "built 5 snapshots" in proc.stdout

    assert (root / "data/raw/registry.csv").read_bytes() == pinned_before  # pinned registry untouched
    (entry,) = registry.read_registry(root / "data/raw/local/registry_local.csv")
    assert (entry.path, entry.set, entry.kind, entry.published, entry.edition, entry.layout, entry.rows) == (
        "local/participating_2025-10-01_am.xlsx", "local", "participating", "2025-10-01", "am", "P3", 7)
    assert entry.sha256 == wb.sha256_bytes(sheet.read_bytes())
    assert _local_files(root) == ["participating_2025-10-01_am.xlsx"]

    import pandas as pd

    snaps = pd.read_parquet(root / "data/processed/snapshots.parquet")
    local = snaps[snaps["set"] == "local"]
    assert local["file"].tolist() == ["local/participating_2025-10-01_am.xlsx"]
    assert local["rows"].tolist() == [7]
    for query_args in (["--as-of", "2025-10-01"], ["--as-of", "2025-10-01", "--by", "state,model"]):  # cache, tables
        proc = pc.cli(root, "query", *query_args, cwd=inbox)
        assert proc.returncode == 0, proc.stderr
        assert ("snapshot: local/participating_2025-10-01_am.xlsx (published 2025-10-01, am; "
                "local sheet, added from participatingAgencies10012025am.xlsx)") in proc.stdout.splitlines()  # fmt: skip

    proc = pc.cli(root, "recheck", "--format", "json", cwd=inbox)
    assert proc.returncode == 0, proc.stderr
    rows = {r["id"]: r for r in json.loads(proc.stdout)}
    now = rows["voz-1001-agreements"]
    assert now["snapshot_now"] == "local/participating_2025-10-01_am.xlsx"
    assert now["value_then"] == 6 and now["value_now"] == 7
    assert rows["breitbart-135-at-inauguration"]["changed"].startswith("fixed date (2025-01-20): verdict kept")
    md = (root / "reports" / "recheck.md").read_text()
    assert "Local sheets added with `python -m analysis add-sheet` are included." in md
    assert "| `voz-1001-agreements` | undated | 2025-09-18 |" in md

    # the same bytes again: refused, naming the local registry
    again = inbox / "copy" / "participatingAgencies10012025am.xlsx"
    again.parent.mkdir()
    shutil.copyfile(sheet, again)
    pc.assert_one_error_line(pc.cli(root, "add-sheet", str(again), cwd=inbox), 13,
                             "already registered", "data/raw/local/registry_local.csv")  # fmt: skip


def test_refuses_a_pinned_sheet(fixture_project, inbox):
    copy = inbox / "participatingAgencies09022025am.xlsx"
    shutil.copyfile(fixture_project / "data/raw" / wb.AM_REL, copy)
    pc.assert_one_error_line(pc.cli(fixture_project, "add-sheet", str(copy), cwd=inbox), 13,
                             "participatingAgencies09022025am.xlsx", "already registered", wb.AM_REL,
                             "data/raw/registry.csv")  # fmt: skip


def test_refuses_unknown_layout(fixture_project, inbox):
    sheet = wb.write_sheet(inbox / "participatingAgencies10032025am.xlsx",
                           ("STATE", "LAW ENFORCEMENT AGENCY", "SUPPORT TYPE", "REGION"), [("TEXAS", "X Police", "Task Force Model", "S")])  # fmt: skip
    pc.assert_one_error_line(pc.cli(fixture_project, "add-sheet", str(sheet), cwd=inbox), 7,
                             "participatingAgencies10032025am.xlsx", "matches no known layout")  # fmt: skip


def test_refuses_kind_mismatch_from_name_and_option(fixture_project, inbox):
    # a pending list under a participating name; a row the fixture's pending sheet lacks, so its bytes
    # differ from that registered sheet's even when written within the same second (openpyxl stamps seconds)
    rows = [*wb.ROWS["Q2"], ("TEXAS", "Ector County Sheriff's Office", "County", "Ector", "Jail Enforcement Model")]
    pending = wb.q2(inbox / "participatingAgencies10042025pm.xlsx", rows)
    pc.assert_one_error_line(pc.cli(fixture_project, "add-sheet", str(pending), cwd=inbox), 9,
                             "its file name says participating", "(Q2) is a pending sheet")  # fmt: skip
    part = wb.p3(inbox / "sheet.xlsx", OTHER_ROWS)
    proc = pc.cli(fixture_project, "add-sheet", str(part), "--kind", "pending", "--published", "2025-10-05", cwd=inbox)
    pc.assert_one_error_line(proc, 9, "--kind says pending", "(P3) is a participating sheet")


@pytest.mark.parametrize(
    "args, fragment",
    [
        ([], "no date in the file name"),
        (["--published", "2025-02-30"], "--published is not a date"),
        (["--published", "2025-09-20"], "before the latest SIGNED date in the sheet (2025-09-25)"),
        (["--published", "2999-01-01"], "is in the future"),
    ],
)
def test_refuses_bad_dates(fixture_project, inbox, args, fragment):
    sheet = wb.p3(inbox / "export (3).xlsx", OTHER_ROWS)
    pc.assert_one_error_line(pc.cli(fixture_project, "add-sheet", str(sheet), *args, cwd=inbox), 2,
                             "export (3).xlsx", fragment)  # fmt: skip


def test_published_overrides_an_impossible_date_in_the_file_name(fixture_project, inbox):
    """ICE's name says 30 February; --published gives the real date, so the name's date is not
    needed (kind and edition still come from the name). Without --published it is refused."""
    from analysis.store import local_sheets

    sheet = wb.p3(inbox / "participatingAgencies02302025pm.xlsx", NEW_ROWS[:3])
    project = paths.Project.at(fixture_project)
    entry = local_sheets.check(project, sheet, published="2025-10-03")
    assert (entry.published, entry.kind, entry.edition, entry.path) == (
        "2025-10-03", "participating", "pm", "local/participating_2025-10-03_pm.xlsx")
    assert "date from --published" in entry.notes
    with pytest.raises(UsageError, match="impossible date 2025-02-30; pass --published"):
        local_sheets.check(project, sheet)


def test_refuses_a_second_sheet_for_the_same_edition(fixture_project, inbox):
    sheet = wb.p3(inbox / "participatingAgencies09022025pm.xlsx", NEW_ROWS[:3])
    proc = pc.cli(fixture_project, "add-sheet", str(sheet), "--published", "2025-09-02", cwd=inbox)
    pc.assert_one_error_line(proc, 13, "already registered", "--edition")


def test_failed_rebuild_rolls_back(fixture_project, inbox):
    before = (fixture_project / "data/raw/local/registry_local.csv")
    before_bytes = before.read_bytes() if before.is_file() else None
    files_before = _local_files(fixture_project)
    bad = [("ATLANTIS", "Atlantis Police Department", "State Agency", "", "Task Force Model", dt.datetime(2025, 9, 1), "link", "link")]
    sheet = wb.p3(inbox / "participatingAgencies10062025am.xlsx", bad)
    proc = pc.cli(fixture_project, "add-sheet", str(sheet), "-q", cwd=inbox)
    pc.assert_one_error_line(proc, 4, "unknown STATE value 'ATLANTIS'")
    assert _local_files(fixture_project) == files_before
    assert (before.read_bytes() if before.is_file() else None) == before_bytes


def test_refuses_a_sheet_whose_zip_crc_fails(fixture_project, inbox):
    """add-sheet is where a researcher's file enters data/raw, so its CRCs are checked here (builds
    then parse registered files without the check). The damage (FLORIDA -> GEORGIA in a stored
    part) reads without error otherwise: a wrong count by state, not a failure."""
    import zipfile

    import mutations as mu

    good = mu.xlsx_bytes(wb.HEADERS["P3"], NEW_ROWS, compression=zipfile.ZIP_STORED)
    assert good.count(b">FLORIDA<") == 1
    sheet = inbox / "participatingAgencies10072025am.xlsx"
    sheet.write_bytes(good.replace(b">FLORIDA<", b">GEORGIA<"))
    files_before = _local_files(fixture_project)
    registry_csv = fixture_project / "data/raw/local/registry_local.csv"
    registry_before = registry_csv.read_bytes() if registry_csv.is_file() else None
    pc.assert_one_error_line(pc.cli(fixture_project, "add-sheet", str(sheet), cwd=inbox), 5,
                             "participatingAgencies10072025am.xlsx: corrupt xlsx: part xl/sharedStrings.xml fails its CRC check")  # fmt: skip
    assert _local_files(fixture_project) == files_before
    assert (registry_csv.read_bytes() if registry_csv.is_file() else None) == registry_before


def test_refuses_a_doubled_sheet_before_registering(fixture_project, inbox):
    """Issue 14.2: every row twice is refused (exit 16) before anything is copied or registered."""
    sheet = wb.p3(inbox / "participatingAgencies10082025am.xlsx", [*NEW_ROWS, *NEW_ROWS, *NEW_ROWS])
    files_before = _local_files(fixture_project)
    registry_csv = fixture_project / "data/raw/local/registry_local.csv"
    registry_before = registry_csv.read_bytes() if registry_csv.is_file() else None
    n = len(NEW_ROWS)
    pc.assert_one_error_line(pc.cli(fixture_project, "add-sheet", str(sheet), cwd=inbox), 16,
                             f"participatingAgencies10082025am.xlsx: {2 * n} data rows repeat an earlier row cell for cell",
                             f"first: row {n + 2} repeats row 2")  # fmt: skip
    assert _local_files(fixture_project) == files_before
    assert (registry_csv.read_bytes() if registry_csv.is_file() else None) == registry_before


def test_refusals_write_nothing(fixture_project, inbox):
    """Run last in this module: the only local sheet is the one the success test added."""
    assert _local_files(fixture_project) == ["participating_2025-10-01_am.xlsx"]
    assert not list((fixture_project / "data/raw/local").glob(".*.tmp"))


# ----------------------------------------------------------------------------- the real data

NEWEST_CURATED = "ice_287g/participating_2026-05-18.xlsx"
ARCHIVE_SHEET = "ice_287g_archive/participating_2026-05-14_am.xlsx"  # not in the curated set


@pytest.fixture(scope="module")
def real_project(tmp_path_factory, mirror_dir):
    """The curated ICE sheets minus the newest, and the context files, from $DATA_MIRROR."""
    project = paths.Project.at(tmp_path_factory.mktemp("addsheet_real") / "project")
    entries = pc.real_entries(mirror_dir, project.raw, ice=True, context=True, drop=(NEWEST_CURATED,))
    registry.write_registry(entries, project.registry_csv)
    build.build(project, entries, quiet=True)
    return project.root


def test_real_archive_sheet_becomes_now(real_project, mirror_dir, tmp_path):
    source = mirror_dir / ARCHIVE_SHEET
    assert source.is_file(), source
    downloaded = tmp_path / "participatingAgencies05142026am.xlsx"  # ICE's own name for it
    shutil.copyfile(source, downloaded)

    proc = pc.cli(real_project, "add-sheet", str(downloaded), "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "as data/raw/local/participating_2026-05-14_am.xlsx (participating, published 2026-05-14, am, layout P3, 1,832 rows)" in proc.stdout

    proc = pc.cli(real_project, "recheck", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = {r["id"]: r for r in json.loads(proc.stdout)}
    point = {c.id for c in claim_registry.load_claims() if c.is_point_in_time}
    for cid, row in rows.items():
        if cid not in point:
            assert row["verdict_now"] == row["verdict_then"] and row["snapshot_now"] is None
    assert rows["voz-1001-agreements"]["snapshot_now"] == "local/participating_2026-05-14_am.xlsx"
    assert rows["voz-1001-agreements"]["value_now"] == 1832
    assert rows["voz-1001-agreements"]["value_then"] == 1000  # the sheet in force on 2025-09-18
    assert rows["breitbart-almost-960-today"]["verdict_then"] == "not supported"  # judged in agencies, as printed
    md = (real_project / "reports" / "recheck.md").read_text()
    assert "participating: `local/participating_2026-05-14_am.xlsx` (2026-05-14)" in md


def test_real_archive_sheet_refused_when_the_archive_is_registered(real_project, mirror_dir, tmp_path):
    """With registry_archive.csv present, an archive sheet is already registered there."""
    shutil.copyfile(pc.REAL_ARCHIVE_REGISTRY_CSV, real_project / "data/raw/registry_archive.csv")
    try:
        other = [e for e in registry.read_registry(pc.REAL_ARCHIVE_REGISTRY_CSV)
                 if e.path == "ice_287g_archive/participating_2026-05-11_am.xlsx"]  # fmt: skip
        assert other, "archive registry lacks the 2026-05-11 am sheet"
        copy = tmp_path / "participatingAgencies05112026am.xlsx"
        shutil.copyfile(mirror_dir / other[0].path, copy)
        proc = pc.cli(real_project, "add-sheet", str(copy), cwd=tmp_path)
        pc.assert_one_error_line(proc, 13, "already registered", "ice_287g_archive/participating_2026-05-11_am.xlsx",
                                 "registry_archive.csv", "--archive")  # fmt: skip
    finally:
        (real_project / "data/raw/registry_archive.csv").unlink()

