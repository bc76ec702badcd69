"""The fault table of issue 6, through the command line.

Each bad input is put into a throwaway project (a copy of the package with a fixture build, as
in test_cli.py) and ``python -m analysis build`` (or ``fetch``) is run as a subprocess. Every
fault must end in exactly one ``error: <file>: ...`` line on stderr, no traceback, the fault's
own exit code, and data/processed/ byte for byte as it was. Cases already covered in
test_cli.py (usage errors, missing tables, ``verify`` of an edited file) are not repeated.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import mutations as mu
import pandas as pd
import clirun
import pytest
import workbooks as wb
from projectcopy import reseal
from test_cli import assert_one_error_line, make_template

from analysis.core import errors
from analysis.ingest import registry, sheets

D = dt.datetime


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return make_template(tmp_path_factory.mktemp("template"))


@pytest.fixture
def project(template, tmp_path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(template, root)
    return root


def cli(root: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DATA_MIRROR")}
    base.update(env or {}, PYTHONPATH=str(root))
    cwd = root.parent / "cwd"
    cwd.mkdir(exist_ok=True)
    return clirun.run_analysis(args, cwd=cwd, env=base, timeout=180)


def tree_hashes(folder: Path) -> dict[str, str]:
    """Every file under folder (hidden temp files included) -> sha256."""
    if not folder.exists():
        return {}
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name not in (".lock", ".output-stats.json")}  # fmt: skip
    # (data/.lock names its last holder, data/.output-stats.json is a cache of file stats: neither is data)


def replace_sheet(root: Path, rel: str, data: bytes, **changes) -> None:
    """Put ``data`` at data/raw/rel and register its sha256 (and any other registry changes)."""
    raw = root / "data" / "raw"
    (raw / rel).write_bytes(data)
    csv_path = raw / "registry.csv"
    entries = registry.read_registry(csv_path)
    fixed = []
    for e in entries:
        if e.path == rel:
            e = dataclasses.replace(e, sha256=hashlib.sha256(data).hexdigest(), bytes=len(data), **changes)
        fixed.append(e)
    registry.write_registry(fixed, csv_path)


def add_context_file(root: Path, rel: str, kind: str, data: bytes) -> None:
    """Put a context file (Census, Geocorr) at data/raw/rel and register it with its sha256 (replacing
    the fixture set's county table at that path)."""
    (root / "data" / "raw" / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / "data" / "raw" / rel).write_bytes(data)
    csv_path = root / "data" / "raw" / "registry.csv"
    entries = registry.read_registry(csv_path)
    entry = registry.RawFile(path=rel, set=rel.split("/")[0], kind=kind, sha256=hashlib.sha256(data).hexdigest(),
                             bytes=len(data), published="", edition="", layout="", rows=None, url="",
                             bytes_from_upstream=False, source="test", original_filename="", notes="")  # fmt: skip
    registry.write_registry([*(e for e in entries if e.path != rel), entry], csv_path)  # in place of the fixture's table


COUNTY_REL = "census_popest_v2024_county/co-est2024-alldata.csv"
COUNTY_BAD_SUM = (
    "SUMLEV,STATE,COUNTY,STNAME,CTYNAME,POPESTIMATE2024\n"
    "040,35,000,New Mexico,New Mexico,330\n050,35,013,New Mexico,Do\xf1a Ana County,229\n050,35,001,New Mexico,Bernalillo County,100\n"
).encode("latin-1")
GEOCORR_REL = "geocorr_place_county/geocorr2022_place_county.csv"
GEOCORR_NO_LABELS = (
    b'"county","state","place","stab","CountyName","PlaceName","pop20","afact2","afact"\n'
    b'"12071","12","10275","FL","Lee FL","Cape Coral city, FL",194016,1,0.255 \n'
)


def reregister(root: Path, rel: str, **changes) -> None:
    replace_sheet(root, rel, (root / "data" / "raw" / rel).read_bytes(), **changes)


# ----------------------------------------------------------------------------- fault table


def _p3(rows, header=wb.HEADERS["P3"]) -> bytes:
    return mu.xlsx_bytes(header, rows, "Sheet1")


PM = wb.PM_REL
#: a path relative to data/raw/ that names a processed table: the rollback of a crafted journal deleted it
OUTSIDE = "../processed/agreements.parquet"
GOOD_PM = _p3(wb.PM_ROWS)
BAD_STATE = ("ATLANTIS", "Polk County Sheriff's Office", "County", "Polk", "Task Force Model", D(2025, 2, 3), "link", "link")
BAD_MODEL = ("FLORIDA", "Polk County Sheriff's Office", "County", "Polk", "287(g) Model", D(2025, 2, 3), "link", "link")

# id -> (what is done to the project, error class, file named, further fragments of the message)
FAULTS = {
    "county population not summing to its state row": (
        lambda root: add_context_file(root, COUNTY_REL, "census_county", COUNTY_BAD_SUM),
        errors.SheetError, COUNTY_REL, ["counties of state 35 sum to 329; its state row says 330"]),
    "geocorr crosswalk without its label row": (
        lambda root: add_context_file(root, GEOCORR_REL, "place_county", GEOCORR_NO_LABELS),
        errors.SheetError, GEOCORR_REL, ["expected Geocorr's label row"]),
    "not an xlsx (csv text)": (
        lambda root: replace_sheet(root, PM, b"STATE,LAW ENFORCEMENT AGENCY\nFLORIDA,Hardee County Sheriff's Office\n"),
        errors.NotAWorkbookError, PM, ["not an xlsx"]),
    "not an xlsx (html error page)": (
        lambda root: replace_sheet(root, PM, b"<html><body>502 Bad Gateway</body></html>"),
        errors.NotAWorkbookError, PM, ["not an xlsx"]),
    "truncated download": (
        lambda root: replace_sheet(root, PM, GOOD_PM[: len(GOOD_PM) * 2 // 3]),
        errors.NotAWorkbookError, PM, ["truncated"]),
    "zip that is not a workbook": (
        lambda root: replace_sheet(root, PM, _zip_without_workbook()),
        errors.NotAWorkbookError, PM, ["cannot read workbook"]),
    "empty first worksheet": (
        lambda root: replace_sheet(root, PM, mu.xlsx_bytes(None)),
        errors.EmptySheetError, PM, ["empty"]),
    "workbook without worksheets": (
        lambda root: replace_sheet(root, PM, mu.xlsx_bytes(None, sheets=False)),
        errors.EmptySheetError, PM, ["no worksheet"]),
    "header not in row 1": (
        lambda root: replace_sheet(root, PM, mu.xlsx_bytes([None] * 8, [wb.HEADERS["P3"], *wb.PM_ROWS])),
        errors.EmptySheetError, PM, ["no header row"]),
    "unknown layout (extra column)": (
        lambda root: replace_sheet(root, PM, _p3([(*r, "x") for r in wb.PM_ROWS], (*wb.HEADERS["P3"], "NOTES"))),
        errors.UnknownLayoutError, PM, ["NOTES", "ADDENDUM", "closest known layout P3"]),
    "unknown layout (columns reordered)": (
        lambda root: replace_sheet(root, PM, _p3([(r[1], r[0], *r[2:]) for r in wb.PM_ROWS],
                                                 ("LAW ENFORCEMENT AGENCY", "STATE", *wb.HEADERS["P3"][2:]))),
        errors.UnknownLayoutError, PM, ["LAW ENFORCEMENT AGENCY, STATE", "closest known layout"]),
    "required column missing": (
        lambda root: replace_sheet(root, PM, _p3([r[1:] for r in wb.PM_ROWS], wb.HEADERS["P3"][1:])),
        errors.MissingColumnError, PM, ["STATE", "missing", "closest known layout"]),
    "registered participating, content pending": (
        lambda root: reregister(root, wb.PENDING_REL, kind="participating"),
        errors.KindMismatchError, wb.PENDING_REL, ["registered as participating", "Q2", "pending"]),
    "registered pending, content participating": (
        lambda root: reregister(root, PM, kind="pending"),
        errors.KindMismatchError, PM, ["registered as pending", "P3", "participating"]),
    "unknown STATE value": (
        lambda root: replace_sheet(root, PM, _p3([*wb.PM_ROWS[:2], BAD_STATE]), rows=3),
        errors.SheetError, PM, ["row 4", "ATLANTIS"]),
    "unknown SUPPORT TYPE": (
        lambda root: replace_sheet(root, PM, _p3([*wb.PM_ROWS[:2], BAD_MODEL]), rows=3),
        errors.SheetError, PM, ["row 4", "287(g) Model"]),
    "repeated header row inside the data": (
        lambda root: replace_sheet(root, PM, _p3([*wb.PM_ROWS[:2], wb.HEADERS["P3"], *wb.PM_ROWS[2:]]), rows=7),
        errors.SheetError, PM, ["row 4", "'STATE'"]),
    "fully duplicated sheet": (  # issue 14.2: every row twice built with "QA passed" and counted twice
        lambda root: replace_sheet(root, PM, _p3([*wb.PM_ROWS, *wb.PM_ROWS]), rows=2 * len(wb.PM_ROWS)),
        errors.DuplicateRowsError, PM, ["6 data rows repeat an earlier row cell for cell",
                                        "first: row 8 repeats row 2, row 9 repeats row 3, row 10 repeats row 4, ...",
                                        f"the limit is {sheets.MAX_EXACT_DUPLICATE_ROWS}"]),
    # Size limits (issue 14.8), lowered for the run so the fixture stays small: the real ones are
    # 50 MiB and 100,000 rows (analysis/ingest/limits.py). A 5th element is the run's environment.
    "zip bomb (shared strings unpack beyond the limit)": (
        lambda root: replace_sheet(root, PM, mu.zip_bomb(GOOD_PM, 2)),
        errors.LimitError, PM, ["xl/sharedStrings.xml unpacks to 2.0 MiB", "limit of 1 MiB", "--max-unpacked-mb"],
        {"ICE287G_MAX_UNPACKED_MB": "1"}),
    "zip bomb whose zip directory understates its size": (
        lambda root: replace_sheet(root, PM, mu.zip_bomb(GOOD_PM, 2, lie=True)),
        errors.LimitError, PM, ["xl/sharedStrings.xml unpacks to more than its zip directory says", "limit of 1 MiB"],
        {"ICE287G_MAX_UNPACKED_MB": "1"}),
    "one cell far away: the reader's rectangle beyond the limits (issue 22.4)": (
        lambda root: replace_sheet(root, PM, mu.far_cell(GOOD_PM, "XFD1048576")),
        errors.LimitError, PM, ["xl/worksheets/sheet1.xml: 1,048,575 rows below the header, beyond the limit of 100,000",
                                "refused before parsing"]),
    "more rows than the cap": (
        lambda root: None,
        errors.LimitError, PM, ["rows below the header, beyond the limit of 3", "--max-rows"],
        {"ICE287G_MAX_ROWS": "3"}),
    "rows read differ from the registry": (
        lambda root: reregister(root, PM, rows=7),
        errors.QAError, "participating_2025-09-02", ["rows read = registry rows", "outputs not replaced"]),
    "another command holds the write lock (issue 14.3)": (
        lambda root: _hold_lock(root),
        errors.BusyError, "data/.lock", ["another build is running", f"pid {os.getpid()}: test", "--wait SECONDS"]),
    "unreadable journal of an interrupted add-sheet (issue 14.5)": (
        lambda root: _write(root / "data" / "raw" / "local" / "journal.json", "{not json"),
        errors.DataIntegrityError, "data/raw/local/journal.json", ["unreadable journal", "registry_local.csv"]),
    # issue 22.5: a path read from a data file leaving its folder; the rollback deleted what it named
    "journal entry pointing outside data/raw/local/ (issue 22.5)": (
        lambda root: _journal(root, "add", OUTSIDE), errors.DataIntegrityError, "data/raw/local/journal.json",
        ["unreadable journal", f"path '{OUTSIDE}' is not inside data/raw/local/: refused"]),
    "registry_local.csv row pointing outside data/raw/local/ (issue 22.5)": (
        lambda root: _local_registry(root, OUTSIDE), errors.DataIntegrityError, "data/raw/local/registry_local.csv",
        [f"path '{OUTSIDE}' is not inside data/raw/local/: refused"]),
}

_HELD: list[int] = []  # lock files held by this process for the fault above, released after each test



def _local_entry(root: Path, rel: str) -> registry.RawFile:
    target = root / "data" / "raw" / rel
    return registry.RawFile(path=rel, set=registry.LOCAL_SET, kind="participating", sha256=hashlib.sha256(target.read_bytes()).hexdigest(),
                            bytes=target.stat().st_size, published="2025-09-03", edition="", layout="P3", rows=6, url="",
                            bytes_from_upstream=False, source="added with `python -m analysis add-sheet`",
                            original_filename="participatingAgencies09032025.xlsx", notes="")  # fmt: skip


def _journal(root: Path, op: str, rel: str) -> None:
    """The journal an interrupted add-sheet or remove-sheet leaves, its entry naming ``rel``."""
    entry = _local_entry(root, rel).to_row()
    _write(root / "data" / "raw" / "local" / "journal.json", json.dumps({"op": op, "entry": entry, "had_registry": True, "pid": 1}))


def _local_registry(root: Path, rel: str) -> None:
    (root / "data" / "raw" / "local").mkdir(parents=True, exist_ok=True)
    registry.write_registry([_local_entry(root, rel)], root / "data" / "raw" / "local" / "registry_local.csv")


def _hold_lock(root: Path) -> None:
    """Hold the project's write lock from this process, as a running build would (analysis/ingest/lock.py)."""
    import fcntl

    fd = os.open(root / "data" / ".lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()} test\n".encode())
    _HELD.append(fd)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture(autouse=True)
def _release_locks():
    yield
    while _HELD:
        os.close(_HELD.pop())


def _zip_without_workbook() -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(zipfile.ZipInfo("readme.txt", date_time=(2025, 1, 1, 0, 0, 0)), "not a spreadsheet")
    return buf.getvalue()


@pytest.mark.parametrize("fault", list(FAULTS))
def test_build_fault(project, fault):
    act, error, named, fragments, *env = FAULTS[fault]
    processed = project / "data" / "processed"
    before = tree_hashes(processed)
    act(project)
    proc = cli(project, "build", "-q", "--force", env=env[0] if env else None)
    line = assert_one_error_line(proc, error.exit_code, named, *fragments)
    assert line.startswith(f"error: {named}") or error is errors.QAError, line  # the message leads with the file
    after = tree_hashes(processed)
    if error is errors.QAError:
        # qa.csv is rewritten on purpose so the failure can be read; nothing else changes
        assert {k: v for k, v in after.items() if k != "qa.csv"} == {k: v for k, v in before.items() if k != "qa.csv"}
        qa = pd.read_csv(processed / "qa.csv")
        assert (qa["status"] == "fail").sum() == 1
    else:
        assert after == before


def test_fault_exit_codes_are_distinct():
    classes = [errors.UsageError, errors.DataIntegrityError, errors.SheetError, errors.NotAWorkbookError,
               errors.EmptySheetError, errors.UnknownLayoutError, errors.MissingColumnError, errors.KindMismatchError,
               errors.QAError, errors.StaleOutputError, errors.NotebookError, errors.DuplicateSheetError,
               errors.BusyError, errors.LimitError, errors.DuplicateRowsError, errors.OutputError]  # fmt: skip
    codes = [c.exit_code for c in classes]
    assert len(set(codes)) == len(codes) and 0 not in codes and 1 not in codes
    assert {c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.AnalysisError)} == {
        errors.AnalysisError, *classes}, "a new error class needs a row in this table and its own exit code"
    for fault, (_, error, *_) in FAULTS.items():
        assert error in classes, fault
    for fault, (_, error) in COMMAND_FAULTS.items():
        assert error in classes, fault


# ----------------------------------------------------------------------------- integrity (issue 6.1)


def test_build_refuses_an_edited_raw_file_naming_both_hashes(project):
    processed = project / "data" / "processed"
    before = tree_hashes(processed)
    target = project / "data" / "raw" / wb.AM_REL
    expected = hashlib.sha256(target.read_bytes()).hexdigest()
    target.write_bytes(target.read_bytes() + b"\0")
    actual = hashlib.sha256(target.read_bytes()).hexdigest()
    proc = cli(project, "build", "-q", "--force")
    assert_one_error_line(proc, 3, f"error: {wb.AM_REL}: sha256 mismatch", f"expected {expected}", f"got {actual}",
                          "python -m analysis fetch")  # fmt: skip
    assert tree_hashes(processed) == before


def test_fetch_from_a_tampered_mirror_leaves_no_partial_file(project, tmp_path):
    """The mirror's copy differs from the registry: refused, naming file, both hashes and the fix;
    data/raw keeps no partial or temp file; data/processed is not touched."""
    raw, processed = project / "data" / "raw", project / "data" / "processed"
    mirror = tmp_path / "mirror"
    shutil.copytree(raw, mirror)
    (mirror / wb.PM_REL).write_bytes(b"tampered" + (mirror / wb.PM_REL).read_bytes())
    actual = hashlib.sha256((mirror / wb.PM_REL).read_bytes()).hexdigest()
    expected = hashlib.sha256((raw / wb.PM_REL).read_bytes()).hexdigest()
    (raw / wb.PM_REL).unlink()  # so fetch has to copy it
    raw_before, processed_before = tree_hashes(raw), tree_hashes(processed)
    proc = cli(project, "fetch", "-q", env={"DATA_MIRROR": str(mirror)})
    assert_one_error_line(proc, 3, f"error: {wb.PM_REL}: sha256 mismatch from DATA_MIRROR", f"expected {expected}",
                          f"got {actual}", "fetch")  # fmt: skip
    assert tree_hashes(raw) == raw_before  # nothing landed, not even a temp file
    assert tree_hashes(processed) == processed_before


# ----------------------------------------------------------------------------- accented names (issue 14.1)


def test_an_accented_agency_builds_and_folds_to_one_ascii_id(project):
    """"Añasco" in one sheet and "Anasco" in the other: the build passes and both are one agency
    with an ASCII id (it failed the schema, naming neither file nor row, before the fold)."""
    def added(name):
        return ("PUERTO RICO", name, "Municipality", "Añasco", "Task Force Model", D(2025, 8, 1), "link", "link")

    replace_sheet(project, wb.AM_REL, _p3([*wb.AM_ROWS, added("Anasco Police Department")]), rows=len(wb.AM_ROWS) + 1)
    replace_sheet(project, PM, _p3([*wb.PM_ROWS, added("Añasco Police Department")]), rows=len(wb.PM_ROWS) + 1)
    proc = cli(project, "build", "-q")
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    a = pd.read_parquet(project / "data" / "processed" / "agreements.parquet")
    ours = a[a["state"] == "PR"]
    assert sorted(ours["agency"]) == ["Anasco Police Department", "Añasco Police Department"]  # printed spelling kept
    assert set(ours["agency_id"]) == {"PR:anasco-police-department"}
    assert ours["agreement_id"].nunique() == 1


# ----------------------------------------------------------------------------- duplicates (issues 6.2 and 14.2)


def test_exact_duplicate_rows_count_once_and_every_count_says_so(project):
    """Documented rule (sheets.drop_exact_duplicates): a row ICE printed twice, cell for cell, counts
    once in every measure; the drop is in corrections.csv (row_exact_duplicate) and in the snapshot's
    ``rows_duplicate``, and every count on that sheet says so. A row that differs in any cell is not
    an exact duplicate: it stays, flagged ``is_duplicate`` when its agreement_id repeats."""
    near = (*wb.PM_ROWS[1][:3], "Hardee ", *wb.PM_ROWS[1][4:])  # a space more in COUNTY
    rows = [*wb.PM_ROWS, wb.PM_ROWS[0], wb.PM_ROWS[2], wb.PM_ROWS[0], near]
    replace_sheet(project, PM, _p3(rows), rows=len(rows))
    proc = cli(project, "build", "-q")
    assert proc.returncode == 0 and "QA passed" in proc.stdout, proc.stderr
    processed = project / "data" / "processed"
    a = pd.read_parquet(processed / "agreements.parquet")
    pm = a[a["snapshot_id"] == "participating_2025-09-02"]
    assert sorted(pm["row"]) == [2, 3, 4, 5, 6, 7, 11]  # rows 8-10 repeat rows 2, 4, 2
    assert pm.loc[pm["is_duplicate"], "row"].tolist() == [11]
    fixes = pd.read_csv(processed / "corrections.csv")
    dropped = fixes[fixes["rule"] == "row_exact_duplicate"]
    assert dropped[["file", "row", "before"]].values.tolist() == [
        [PM, r, f"exact duplicate of row {f}, dropped (counted once)"] for r, f in ((8, 2), (9, 4), (10, 2))]
    snaps = pd.read_parquet(processed / "snapshots.parquet").set_index("snapshot_id")
    assert snaps.loc["participating_2025-09-02", ["rows", "rows_duplicate", "rows_registry"]].tolist() == [10, 3, 10]
    qa = pd.read_csv(processed / "qa.csv")
    assert (qa["status"] != "fail").all()

    note = "3 exact duplicate rows dropped"
    fast = cli(project, "query", "--as-of", "2025-09-02", "--format", "json")  # from counts.sqlite
    (processed / "counts.sqlite").unlink()
    reseal(processed)  # as a build without the cache: a table the manifest names but that is gone is refused
    slow = cli(project, "query", "--as-of", "2025-09-02", "--format", "json")  # from the tables (query.count)
    for proc in (fast, slow):
        answer = json.loads(proc.stdout)
        assert answer["total"] == 7 and answer["snapshot"]["duplicate_note"].startswith(note), proc.stdout
    text = cli(project, "query", "--as-of", "2025-09-02", "--by", "model")
    assert f"note: {note}" in text.stdout
    groups = json.loads(cli(project, "query", "--as-of", "2025-09-02", "--by", "model", "--format", "json").stdout)["groups"]
    assert sum(g["count"] for g in groups) == 7
    diff = json.loads(cli(project, "diff", "--from", "2025-01-19", "--to", "2025-09-02", "--format", "json").stdout)
    assert diff["to"]["agreements"] == 7 and diff["to"]["snapshot"]["duplicate_note"].startswith(note)
    assert f"note: {note}" in cli(project, "diff", "--from", "2025-01-19", "--to", "2025-09-02").stdout


# ----------------------------------------------------------------------------- size limits (issue 14.8)


def test_a_raised_limit_lets_a_genuine_large_sheet_through(project):
    """The flag beats the variable and reaches the build; without it the same sheet is refused."""
    replace_sheet(project, PM, mu.zip_bomb(GOOD_PM, 2))
    small = {"ICE287G_MAX_UNPACKED_MB": "1"}
    assert cli(project, "build", "-q", env=small).returncode == errors.LimitError.exit_code
    proc = cli(project, "build", "-q", "--max-unpacked-mb", "3", env=small)
    assert proc.returncode == 0, proc.stderr
    proc = cli(project, "build", "-q", "--force", "--max-rows", "3")
    assert_one_error_line(proc, errors.LimitError.exit_code, "error: ice_287g/participating_2025-09-02", "limit of 3")


@pytest.mark.parametrize("lie", [False, True], ids=["stated size", "understated size"])
def test_add_sheet_refuses_a_zip_bomb_and_writes_nothing(project, tmp_path, lie):
    bomb = tmp_path / "participatingAgencies09032025pm.xlsx"
    bomb.write_bytes(mu.zip_bomb(GOOD_PM, 2, lie=lie))
    raw, processed = tree_hashes(project / "data" / "raw"), tree_hashes(project / "data" / "processed")
    proc = cli(project, "add-sheet", str(bomb), "-q", env={"ICE287G_MAX_UNPACKED_MB": "1"})
    assert_one_error_line(proc, errors.LimitError.exit_code, bomb.name, "xl/sharedStrings.xml", "limit of 1 MiB")
    assert tree_hashes(project / "data" / "raw") == raw and tree_hashes(project / "data" / "processed") == processed


def test_a_bad_limit_in_the_environment_is_a_usage_error(project):
    proc = cli(project, "build", "-q", "--force", env={"ICE287G_MAX_ROWS": "lots"})
    assert_one_error_line(proc, errors.UsageError.exit_code, "ICE287G_MAX_ROWS", "'lots'")


# ----------------------------------------------------------------------------- other commands (issue 14)

# Faults of commands other than build, and of build on a broken disk. The disk is broken in a
# subprocess by FS_HOOK: every file or folder the command tries to create under one folder fails
# with the errno given (EROFS: a read-only disk, EACCES: a folder the user may not write, ENOSPC: a
# full disk). Tests run as root, where chmod does not stop writes, hence the injection; os.open and
# os.mkdir are what tempfile.mkstemp/mkdtemp and Path.mkdir call, so atomic.py meets the error where
# the kernel would raise it. A write failing halfway through a file is real: RLIMIT_FSIZE makes the
# kernel refuse (EFBIG) any write beyond a few bytes (Python ignores SIGXFSZ).
FS_HOOK = r'''
import errno, os, sys
where, code = os.path.abspath(sys.argv[1]), getattr(errno, sys.argv[2])
def ours(path):
    p = os.path.abspath(os.fsdecode(path))
    return p == where or p.startswith(where + os.sep)
real_open, real_mkdir = os.open, os.mkdir
def fs_open(path, flags, *a, **k):
    if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT) and ours(path):
        raise OSError(code, os.strerror(code), path)
    return real_open(path, flags, *a, **k)
def fs_mkdir(path, *a, **k):
    if ours(path) and not os.path.isdir(path):
        raise OSError(code, os.strerror(code), path)
    return real_mkdir(path, *a, **k)
os.open, os.mkdir = fs_open, fs_mkdir
from analysis.cli import main
sys.exit(main(sys.argv[3:]))
'''


def cli_broken_disk(root: Path, where: Path, code: str, *args: str) -> subprocess.CompletedProcess:
    """``cli`` with every file or folder created under ``where`` failing with errno ``code``."""
    hook = root.parent / "fs_hook.py"
    hook.write_text(FS_HOOK)
    return _run_cli(root, [str(hook), str(where), code, *args])


def cli_file_size_limit(root: Path, max_bytes: int, *args: str) -> subprocess.CompletedProcess:
    """``cli`` where the kernel refuses to grow any file beyond ``max_bytes`` (EFBIG mid-write)."""
    import resource

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))

    return _run_cli(root, ["-m", "analysis", *args], preexec_fn=limit)


def _run_cli(root: Path, argv: list[str], **kw) -> subprocess.CompletedProcess:
    """A fresh interpreter when ``kw`` asks what only one gives (``preexec_fn``), else a fork (clirun)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DATA_MIRROR")}
    assert os.pathsep not in str(root), root  # else PYTHONPATH splits and the installed package (real data/) is used
    env.update(PYTHONPATH=str(root), PYTHONDONTWRITEBYTECODE="1")
    cwd = root.parent / "cwd"
    cwd.mkdir(exist_ok=True)
    if not kw:
        return clirun.run(argv, cwd=cwd, env=env, timeout=180)
    return subprocess.run([sys.executable, *argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=180,
                          check=False, **kw)  # fmt: skip


NEW_SHEET = "participatingAgencies10012025am.xlsx"  # dated by ICE's file name; one agreement more than the pm sheet
NEW_ROWS = [*wb.PM_ROWS, ("NEW YORK", "Nassau County Sheriff's Office", "County", "Nassau", "Task Force Model",
                          D(2025, 9, 25), "link", "link")]  # fmt: skip


def _new_sheet(tmp: Path, name: str = NEW_SHEET) -> Path:
    inbox = tmp / "downloads"
    inbox.mkdir(exist_ok=True)
    return wb.p3(inbox / name, NEW_ROWS)


def _export_twice(root: Path, tmp: Path):
    out = tmp / "earlier_export"
    first = cli(root, "export", "--format", "csv", str(out))
    assert first.returncode == 0, first.stderr
    earlier = tree_hashes(out)
    second = cli(root, "export", "--format", "csv", str(out))
    assert tree_hashes(out) == earlier  # the earlier export is kept as it was
    assert cli(root, "export", "--format", "csv", "--overwrite", str(out)).returncode == 0
    return second, [f"error: {out}: agreements.csv and ", "already exist", "--overwrite"]


def _export_to_a_file(root: Path, tmp: Path):
    out = tmp / "tables.csv"
    out.write_text("someone's own file\n")
    return cli(root, "export", "--format", "csv", str(out)), [f"error: {out}: exists and is not a folder"]


def _export_broken(code: str, cause: str):
    def case(root: Path, tmp: Path):
        out = tmp / "exported"
        return cli_broken_disk(root, out, code, "export", "--format", "parquet", str(out)), [f"error: {out}", cause]

    return case


def _export_too_large(root: Path, tmp: Path):
    out = tmp / "exported"
    return cli_file_size_limit(root, 4096, "export", "--format", "csv", str(out)), [f"error: {out}/", "File too large"]


def _build_broken(code: str, cause: str):
    def case(root: Path, tmp: Path):
        return cli_broken_disk(root, root / "data", code, "build", "-q", "--force"), ["error: data/processed", cause]

    return case


def _add_sheet_broken(code: str, cause: str):
    def case(root: Path, tmp: Path):
        sheet = _new_sheet(tmp)
        return cli_broken_disk(root, root / "data", code, "add-sheet", "-q", str(sheet)), ["error: data/raw/local", cause]

    return case


def _add_sheet_too_large(root: Path, tmp: Path):
    sheet = _new_sheet(tmp)
    assert sheet.stat().st_size > 2048
    # the first write past the limit fails (the copy, or where the kernel copies in place, the rebuild's
    # qa.csv): either way one line naming it, and the registration rolled back (data/ as it was)
    return cli_file_size_limit(root, 2048, "add-sheet", "-q", str(sheet)), ["error: data/", "File too large"]


def _add_far_cell(root: Path, tmp: Path):
    sheet = _new_sheet(tmp)
    sheet.write_bytes(mu.far_cell(sheet.read_bytes(), "ZZ99999"))
    return cli(root, "add-sheet", "-q", str(sheet)), [f"error: {sheet.name}: xl/worksheets/sheet1.xml spans 702 columns, beyond the "
                                                      "limit of 26", "the reader would allocate 99,999 rows x 702 columns"]


CLAIMS = """
[[claim]]
id = "pm-sheet-count"
quote = "\u201cthey now have six agreements\u201d"
date = "2025-09-02"
measure = { unit = "agreements" }
claimed = 6
comparison = "equal"
"""


def _claims_file(tmp: Path) -> Path:
    path = tmp / "inbox" / "mine.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(CLAIMS)
    return path


def _while_locked(*args: str):
    """A writing command run while another (reproduce, staging reports/) holds the write lock."""
    def case(root: Path, tmp: Path):
        _hold_lock(root)
        argv = [a.replace("CLAIMS", str(_claims_file(tmp))).replace("OUT", str(tmp / "exported" / "m.png")) for a in args]
        return cli(root, *argv), ["error: data/.lock: another build is running", "--wait SECONDS"]

    return case


# A mount point cannot be renamed (EBUSY): replace_dir's exchange of data/processed fails as the kernel
# would make it fail when data/processed is a mount point (issue 22.16).
MOUNT_HOOK = r'''
import errno, os, sys
from analysis.core import atomic
where = os.path.abspath(sys.argv[1])
def busy(a, b):
    raise OSError(errno.EBUSY, os.strerror(errno.EBUSY), str(a))
real_replace = os.replace
def replace(src, dst, *a, **k):
    if where in (os.path.abspath(os.fsdecode(src)), os.path.abspath(os.fsdecode(dst))):
        raise OSError(errno.EBUSY, os.strerror(errno.EBUSY), os.fsdecode(src), os.fsdecode(dst))
    return real_replace(src, dst, *a, **k)
atomic._exchange, os.replace = busy, replace
from analysis.cli import main
sys.exit(main(sys.argv[2:]))
'''


def _build_on_a_mount_point(root: Path, tmp: Path):
    hook = root.parent / "mount_hook.py"
    hook.write_text(MOUNT_HOOK)
    proc = _run_cli(root, [str(hook), str(root / "data" / "processed"), "build", "-q", "--force"])
    return proc, ["error: data/processed: cannot write: Device or resource busy (EBUSY)", "mount point"]


def _args(*args: str, fragments: list[str]):
    return lambda root, tmp: (cli(root, *args), fragments)


AFTER_NEWEST = "is after the newest participating sheet"

# id -> (run the command in the project: (root, tmp) -> (process, fragments of the error line), error class)
COMMAND_FAULTS = {
    # item 6: arguments that answered instead of refusing
    "diff --state ZZ": (_args("diff", "--from", "2025-01-19", "--to", "2025-09-02", "--state", "ZZ",
                              fragments=["error: --state 'ZZ'", "USPS code", "name"]), errors.UsageError),
    "diff --state with a misspelt name": (_args("diff", "--from", "2025-01-19", "--to", "2025-09-02", "--state", "Floridaa",
                                                fragments=["--state 'Floridaa'"]), errors.UsageError),
    "diff --to after the newest sheet": (_args("diff", "--from", "2025-01-19", "--to", "2030-01-01",
                                               fragments=["2030-01-01", AFTER_NEWEST, wb.PM_REL]), errors.UsageError),
    "claims before any reproduce": (_args("claims", fragments=["error: reports/results: nothing has been reproduced",
                                                               "python -m analysis reproduce"]), errors.StaleOutputError),
    "query --as-of after the newest sheet (counts cache)": (
        _args("query", "--as-of", "2030-01-01", fragments=["2030-01-01", AFTER_NEWEST, wb.PM_REL, "published 2025-09-02"]),
        errors.UsageError),
    "query --as-of after the newest sheet (tables: --by state,model)": (
        _args("query", "--as-of", "2030-01-01", "--by", "state,model", "--format", "csv",
              fragments=["2030-01-01", AFTER_NEWEST, wb.PM_REL]), errors.UsageError),
    "query --kind pending after the newest pending sheet": (
        _args("query", "--as-of", "2025-09-03", "--kind", "pending",
              fragments=["is after the newest pending sheet", wb.PENDING_REL]), errors.UsageError),
    "recheck --as-of after the newest sheet": (
        _args("recheck", "--as-of", "3000-01-01", fragments=["3000-01-01 is after the newest sheet", wb.PM_REL]),
        errors.UsageError),
    # item 7: outputs that cannot be written: one line naming the path and the cause
    "export over an earlier export": (_export_twice, errors.OutputError),
    "export to an existing file": (_export_to_a_file, errors.OutputError),
    "export to a folder the user may not write": (_export_broken("EACCES", "Permission denied"), errors.OutputError),
    "export on a read-only disk": (_export_broken("EROFS", "Read-only file system"), errors.OutputError),
    "export on a full disk": (_export_broken("ENOSPC", "No space left on device"), errors.OutputError),
    "export: a write fails halfway through a file": (_export_too_large, errors.OutputError),
    "build on a read-only disk": (_build_broken("EROFS", "Read-only file system"), errors.OutputError),
    "build on a full disk": (_build_broken("ENOSPC", "No space left on device"), errors.OutputError),
    "add-sheet on a read-only disk": (_add_sheet_broken("EROFS", "Read-only file system"), errors.OutputError),
    "add-sheet on a full disk": (_add_sheet_broken("ENOSPC", "No space left on device"), errors.OutputError),
    "add-sheet: a write fails halfway through the copy": (_add_sheet_too_large, errors.OutputError),
    "add-sheet of a sheet with one cell at ZZ99999 (issue 22.4)": (_add_far_cell, errors.LimitError),
    # issue 22.3: check and map write where reproduce swaps reports/ whole: they take the write lock
    "check while another command holds the write lock (issue 22.3)": (_while_locked("check", "CLAIMS", "--source", "curated"),
                                                                      errors.BusyError),
    "map while another command holds the write lock (issue 22.3)": (_while_locked("map", "--as-of", "2025-09-02", "OUT"),
                                                                    errors.BusyError),
    "build when data/processed is a mount point (issue 22.16)": (_build_on_a_mount_point, errors.OutputError),
    "export into an empty folder name (issue 22.19)": (_args("export", "--format", "csv", "",
                                                             fragments=["error: OUTDIR is empty"]), errors.UsageError),
    # issue 15: the map command (the template has no atlas: fetch not run); outputs go under tmp/exported
    "map without the us-atlas geometry": (
        lambda root, tmp: (cli(root, "map", "--as-of", "2025-09-02", str(tmp / "exported" / "m.png")),
                           ["error: data/raw/us_atlas/states-albers-10m.json: map geometry missing", "fetch"]),
        errors.DataIntegrityError),
    "map --model that is no 287(g) model": (
        lambda root, tmp: (cli(root, "map", "--as-of", "2025-09-02", "--model", "ABC", str(tmp / "exported" / "m.png")),
                           ["error: --model must be one of JEM, TFM, WSO, not 'ABC'"]), errors.UsageError),
    "map to a .pdf": (lambda root, tmp: (cli(root, "map", "--as-of", "2025-09-02", str(tmp / "exported" / "m.pdf")),
                                         ["error: the output must end in .png or .svg, not 'm.pdf'"]), errors.UsageError),
    "map --as-of after the newest sheet": (
        lambda root, tmp: (cli(root, "map", "--as-of", "2030-01-01", str(tmp / "exported" / "m.png")),
                           ["2030-01-01", AFTER_NEWEST, wb.PM_REL]), errors.UsageError),
    "map --as-of before the first sheet": (
        lambda root, tmp: (cli(root, "map", "--as-of", "2020-01-01", str(tmp / "exported" / "m.png")),
                           ["2020-01-01 is before the first participating sheet"]), errors.UsageError),
}  # fmt: skip


@pytest.mark.parametrize("fault", list(COMMAND_FAULTS))
def test_command_fault(project, tmp_path, fault):
    """One line, the error's exit code, data/ and reports/ byte for byte as they were, and no
    file of a failed export left behind."""
    act, error = COMMAND_FAULTS[fault]
    before = {p: tree_hashes(project / p) for p in ("data", "reports")}
    proc, fragments = act(project, tmp_path)
    assert_one_error_line(proc, error.exit_code, *fragments)
    after = {p: tree_hashes(project / p) for p in before}
    changed = {f"{p}/{k}" for p in before for k in set(before[p]) | set(after[p]) if before[p].get(k) != after[p].get(k)}
    assert not changed, sorted(changed)
    assert tree_hashes(tmp_path / "exported") == {}
    assert not list((project.parent / "cwd").iterdir())  # nothing written where the command was run


def test_query_archive_refuses_a_date_after_its_newest_sheet(project):
    """--archive answers from data/processed/archive/ (here a copy of the fixture tables, which is
    all `query --archive` reads): the same refusal, through the counts cache and the tables."""
    processed = project / "data" / "processed"
    archive = processed / "archive"
    archive.mkdir()
    for name in ("agreements.parquet", "snapshots.parquet", "counts.sqlite"):
        shutil.copy2(processed / name, archive / name)
    for extra in ([], ["--by", "state,model"]):
        proc = cli(project, "query", "--archive", "--as-of", "2030-01-01", *extra)
        assert proc.returncode == errors.UsageError.exit_code, proc.stderr
        line = [x for x in proc.stderr.splitlines() if not x.startswith("warning: ")]  # the copy is no built panel
        assert line == [f"error: 2030-01-01 is after the newest participating sheet ({wb.PM_REL}, published 2025-09-02); "
                        "no data for that date yet (a newer sheet can be added with `python -m analysis add-sheet`)"]
    proc = cli(project, "query", "--archive", "--as-of", "2025-09-02", "--format", "json")
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("state", ["TX", "tx", "Texas", " TEXAS ", "texas"])
def test_diff_state_takes_a_code_or_a_name(project, state):
    proc = cli(project, "diff", "--from", "2025-01-19", "--to", "2025-09-02", "--state", state, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["state"] == "TX"
    assert [x["as_printed"] for x in result["agencies_removed"]] == ["Lubbock County Sheriff's Office"]


def test_remove_sheet_never_deletes_what_a_crafted_registry_row_names(project):
    """Issue 22.5: a registry_local.csv row whose path leaves data/raw/local/ made remove-sheet delete
    that file once its rebuild passed. The row is refused when the registry is read (exit 3)."""
    victim = project / "data" / "processed" / "agreements.parquet"
    before = victim.read_bytes()
    _local_registry(project, OUTSIDE)
    proc = cli(project, "remove-sheet", "-q", "agreements.parquet")
    assert_one_error_line(proc, errors.DataIntegrityError.exit_code, "error: data/raw/local/registry_local.csv",
                          f"path '{OUTSIDE}' is not inside data/raw/local/")
    assert victim.read_bytes() == before


def test_a_table_edited_since_its_build_is_refused_by_readers_and_rebuilt_by_build(project, tmp_path):
    """Issue 22.6: a count edited in counts.sqlite changed what `query` answered, and `build` said "up
    to date". The build manifest records each output's sha256: readers refuse an edited table (exit
    11, one line naming it) and `build` builds it again, saying why."""
    import sqlite3

    answer = json.loads(cli(project, "query", "--as-of", "2025-09-02", "--format", "json").stdout)["total"]
    con = sqlite3.connect(project / "data" / "processed" / "counts.sqlite")
    con.execute("UPDATE snapshots SET data = replace(data, '\"\":', '\"\":9') WHERE kind = 'participating'")
    con.commit()
    con.close()
    claims = _claims_file(tmp_path)
    for args in (["query", "--as-of", "2025-09-02"], ["diff", "--from", "2025-01-19", "--to", "2025-09-02"],
                 ["check", str(claims), "--source", "curated"], ["export", "--format", "csv", str(tmp_path / "exported")]):
        assert_one_error_line(cli(project, *args), errors.StaleOutputError.exit_code, "error: data/processed: counts.sqlite "
                              "does not match the sha256 its build recorded", "run `python -m analysis build`")  # fmt: skip
    proc = cli(project, "build", "-q")
    assert proc.returncode == 0 and "up to date" not in proc.stdout and proc.stdout.startswith("built ")
    assert proc.stderr == "note: data/processed/counts.sqlite does not match the sha256 its build recorded (edited since it was built); rebuilding\n"
    assert json.loads(cli(project, "query", "--as-of", "2025-09-02", "--format", "json").stdout)["total"] == answer
    extra = project / "data" / "processed" / "agreements.parquet.bak"
    extra.write_bytes(b"x")
    assert_one_error_line(cli(project, "query", "--as-of", "2025-09-02"), errors.StaleOutputError.exit_code,
                          "agreements.parquet.bak was not written by the build that made this folder")


def test_check_warns_when_the_curated_tables_are_older_than_the_registry(project, tmp_path):
    """Issue 22.15: after a killed remove-sheet was settled (its row and copy gone, no rebuild), `check
    --source curated` judged on the removed sheet without a word; `query` warned. Now check warns too."""
    sheet = _new_sheet(tmp_path)
    assert cli(project, "add-sheet", "-q", str(sheet)).returncode == 0
    local = project / "data" / "raw" / "local"
    entry = registry.read_registry(local / "registry_local.csv")[0]
    registry.write_registry([], local / "registry_local.csv")  # what the settled journal leaves: unregistered,
    (project / "data" / "raw" / entry.path).unlink()  # its copy deleted, data/processed/ not rebuilt
    claims = _claims_file(tmp_path)
    claims.write_text(CLAIMS.replace("2025-09-02", "2025-10-01"))
    proc = cli(project, "check", str(claims), "--source", "curated")
    assert proc.returncode == 0, proc.stderr
    assert "warning: the registered raw files changed since data/processed/ was built" in proc.stderr
    assert "participating_2025-10-01_am" in proc.stdout  # judged on the removed sheet, and said so


def test_output_is_safe_for_the_terminal_and_its_encoding(project, tmp_path):
    """Issue 22.17: `_x001B_[2J` or `_x0007_` in a sheet's agency name reached the terminal raw through
    `diff` (the escape cleared the screen, the bell rang); on a terminal control characters are written
    as text. 22.19: PYTHONIOENCODING=ascii gave a UnicodeEncodeError traceback; now an escape."""
    import pty

    row = ("FLORIDA", "Polk County _x001B_[2J Sheriff_x0007_ Office", "County", "Polk", "Task Force Model",
           D(2025, 8, 1), "link", "link")  # fmt: skip
    replace_sheet(project, PM, _p3([*wb.PM_ROWS, row]), rows=len(wb.PM_ROWS) + 1)
    assert cli(project, "build", "-q").returncode == 0
    args = ["diff", "--from", "2025-01-19", "--to", "2025-09-02"]
    piped = cli(project, *args)
    assert piped.returncode == 0 and "\x1b[2J" in piped.stdout  # a pipe gets the text as the sheet has it
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DATA_MIRROR")}
    env["PYTHONPATH"] = str(project)
    proc = subprocess.run([sys.executable, "-m", "analysis", *args], cwd=project.parent, env=env, stdout=slave,
                          stderr=slave, timeout=180, check=False)  # fmt: skip
    os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the other side is closed
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    assert proc.returncode == 0
    assert b"Polk County \\x1b[2J Sheriff\\x07 Office" in shown and b"\x1b" not in shown and b"\x07" not in shown
    claims = _claims_file(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "analysis", "check", str(claims), "--source", "curated"], cwd=project.parent,
                          env={**env, "PYTHONIOENCODING": "ascii"}, capture_output=True, text=True, timeout=180, check=False)  # fmt: skip
    assert proc.returncode == 0 and "Traceback" not in proc.stderr and "\\u201cthey now have six agreements\\u201d" in proc.stdout
