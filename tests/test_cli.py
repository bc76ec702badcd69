"""The command line: ``python -m analysis --project DIR ...`` on a throwaway project.

Expected failures must be one ``error:`` line on stderr with the error's exit code, never a
traceback. Error cases run against a fixture project (tmp folder: fixture sheets and a current
build) named by ``--project``, in this process (``cli.main`` returns the exit code), so they neither
need nor touch the checkout's data/. A few run as real processes from an unrelated directory, to
show that ``python -m analysis`` finds its project by the option, not by the working directory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import projectcopy as pc
import workbooks as wb
from projectcopy import assert_one_error_line as _assert_one_error_line
from analysis import cli, paths
from analysis.ingest import registry
from analysis.store import build

SUBCOMMANDS = ("registry", "fetch", "verify", "build", "query", "diff")


def assert_one_error_line(proc: subprocess.CompletedProcess, code: int, *fragments: str) -> str:
    """One ``error:`` line naming the fragments, the error's code, nothing on stdout."""
    line = _assert_one_error_line(proc, code, *fragments)
    assert proc.stdout == ""
    return line


@pytest.fixture
def elsewhere(tmp_path) -> Path:
    d = tmp_path / "elsewhere"
    d.mkdir()
    return d


# ----------------------------------------------------------------------------- help


def test_help_lists_the_subcommands(elsewhere):
    proc = pc.run(None, ["--help"], cwd=elsewhere)  # a real process, from an unrelated directory
    assert proc.returncode == 0, proc.stderr
    for name in ("fetch", "build", "query", "diff"):
        assert f"    {name} " in proc.stdout
    assert "--project DIR" in proc.stdout
    assert proc.stderr == ""


def test_no_subcommand_is_a_usage_error(elsewhere):
    proc = pc.cli(elsewhere)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr


def _subcommands() -> list[str]:
    parser = cli.build_parser()
    (action,) = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    return sorted(action.choices)


def test_parser_knows_the_core_subcommands():
    assert set(SUBCOMMANDS) <= set(_subcommands())


@pytest.mark.parametrize("name", _subcommands())
def test_every_subcommand_has_help(elsewhere, name):
    proc = pc.cli(elsewhere, name, "--help")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"usage: python -m analysis {name}")
    assert "Traceback" not in proc.stderr


# ----------------------------------------------------------------------------- a throwaway project


def make_template(root: Path) -> Path:
    """A project at ``root``: data/raw (fixture sheets, registry.csv) and a current build."""
    return pc.fixture_project(root).root


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return make_template(tmp_path_factory.mktemp("template"))


@pytest.fixture
def project(template, tmp_path) -> Path:
    """A private copy of the template project (each test may write it)."""
    return pc.copy_project(template, tmp_path / "project").root


def test_project_is_current(project):
    proc = pc.cli(project, "build", "-q")
    assert proc.returncode == 0, proc.stderr
    assert "nothing to do" in proc.stdout
    assert proc.stderr == ""


def test_a_real_process_finds_its_project_by_the_option(template, elsewhere):
    """From an unrelated directory, the package of this checkout answers about the project --project names."""
    proc = pc.run(template, ["query", "--as-of", "2025-09-02", "--format", "json"], cwd=elsewhere)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["snapshot"]["file"] == wb.PM_REL
    assert not list(elsewhere.iterdir())  # nothing written where it ran


def test_project_must_be_a_folder(tmp_path):
    for bad in (tmp_path / "missing", ""):
        assert_one_error_line(pc.cli(bad, "query", "--as-of", "2025-09-02"), 2, "--project: not a folder")
    assert cli._command(["--project", "query", "diff"]) == "diff"  # --project's value is no command


def test_query_before_first_snapshot_exits_2_with_one_line(project):
    line = assert_one_error_line(pc.cli(project, "query", "--as-of", "1999-01-01"), 2, "1999-01-01", "2025-01-19")
    assert "before the first participating sheet" in line


@pytest.mark.parametrize("value", ["2025-13-01", "yesterday", "09/02/2025"])
def test_query_bad_date_exits_2(project, value):
    assert_one_error_line(pc.cli(project, "query", "--as-of", value), 2, "not a date", value)


def test_diff_backwards_exits_2(project):
    proc = pc.cli(project, "diff", "--from", "2025-09-02", "--to", "2025-01-19")
    assert_one_error_line(proc, 2, "--to (2025-01-19) is before --from (2025-09-02)")


def test_query_help_shows_the_groupings_once(elsewhere):
    proc = pc.cli(elsewhere, "query", "--help")
    assert proc.returncode == 0, proc.stderr
    assert "{state,model,state,model}" not in proc.stdout  # argparse's comma-joined choices, ambiguous
    assert "--by {state|model|state,model}" in proc.stdout


def test_argparse_rejects_unknown_choice(project):
    proc = pc.cli(project, "query", "--as-of", "2025-09-02", "--unit", "rows")
    assert proc.returncode == 2
    assert "invalid choice" in proc.stderr and "Traceback" not in proc.stderr


def test_query_json(project):
    proc = pc.cli(project, "query", "--as-of", "2025-09-02", "--by", "model", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # tables current: no stale warning
    result = json.loads(proc.stdout)
    assert result["total"] == 6
    assert result["snapshot"]["file"] == wb.PM_REL
    assert {g["model"]: g["count"] for g in result["groups"]} == {"TFM": 3, "WSO": 2, "JEM": 1}


def test_query_table(project):
    proc = pc.cli(project, "query", "--as-of", "2025-09-02", "--unit", "agencies")
    assert proc.returncode == 0, proc.stderr
    first, second = proc.stdout.splitlines()[:2]
    assert first == "participating agencies as of 2025-09-02: 5 agencies in 3 states (+DC) and GU"
    assert second.startswith(f"snapshot: {wb.PM_REL} (published 2025-09-02, pm; ICE workbook)")


def test_query_csv(project):
    proc = pc.cli(project, "query", "--as-of", "2025-09-02", "--by", "state", "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "as_of,snapshot,kind,unit,state,state_name,count,share"
    assert lines[1] == f"2025-09-02,{wb.PM_REL},participating,agreements,FL,Florida,3,0.5"
    assert len(lines) == 5


def test_diff_json(project):
    proc = pc.cli(project, "diff", "--from", "2025-01-19", "--to", "2025-09-02", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert [x["as_printed"] for x in result["agencies_removed"]] == ["Lubbock County Sheriff's Office"]
    assert len(result["agencies_added"]) == 4 and len(result["agreements_added"]) == 4


def test_diff_table(project):
    proc = pc.cli(project, "diff", "--from", "2025-01-19", "--to", "2025-09-02", "--state", "TX")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.splitlines()[0] == ("participating list in TX: 1 agreements / 1 agencies on 2025-01-19 -> "
                                   "1 agreements / 1 agencies on 2025-09-02")  # fmt: skip
    assert "agencies added (1):" in out and "Harris County Constable Precinct 1" in out
    assert "agencies removed (1):" in out and "Lubbock County Sheriff's Office" in out


def test_verify_ok(project):
    proc = pc.cli(project, "verify")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "all 6 raw files present with their registered sha256"  # 4 sheets and the 2 county tables


def test_verify_refuses_edited_raw_file(project):
    (project / "data" / "raw" / wb.AM_REL).write_bytes(b"hand edited")
    proc = pc.cli(project, "verify")
    assert proc.returncode == 3
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {wb.AM_REL}: sha256 mismatch in data/raw/")


def test_query_without_tables(project):
    for name in ("agreements.parquet", "snapshots.parquet"):
        (project / "data" / "processed" / name).unlink()
    proc = pc.cli(project, "query", "--as-of", "2025-09-02")
    assert proc.returncode == 11
    assert proc.stderr.splitlines()[-1].startswith("error: data/processed: processed tables not found")
    assert "Traceback" not in proc.stderr


def test_warns_when_the_registry_changed(project):
    csv_path = paths.Project.at(project).registry_csv
    entries = registry.read_registry(csv_path)
    registry.write_registry(entries[:-1], csv_path)
    proc = pc.cli(project, "query", "--as-of", "2025-09-02", "--format", "json")
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["total"] == 6
    assert proc.stderr.splitlines() == [
        "warning: the registered raw files changed since data/processed/ was built; run `python -m analysis build`"]  # fmt: skip


def test_two_projects_in_one_process_answer_each_for_itself(project, tmp_path):
    """Nothing is frozen at import: a second project, with one sheet less, answers for itself beside
    the first (a module constant or a cached default would give one of them the other's answer)."""
    other = pc.copy_project(project, tmp_path / "other")
    entries = [e for e in registry.read_registry(other.registry_csv) if e.path != wb.PM_REL]
    registry.write_registry(entries, other.registry_csv)
    assert pc.cli(other, "build", "-q").returncode == 0
    ours = json.loads(pc.cli(project, "query", "--as-of", "2025-09-02", "--format", "json").stdout)
    theirs = pc.cli(other, "query", "--as-of", "2025-09-02", "--format", "json")
    assert ours["snapshot"]["file"] == wb.PM_REL
    assert json.loads(theirs.stdout)["snapshot"]["file"] != wb.PM_REL or theirs.returncode != 0


# ----------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def real_cli(tmp_path_factory):
    """Run CLI args against the real tables, in this process: the checkout's built tables when present,
    else a build from $DATA_MIRROR into a tmp project."""
    project = pc.CHECKOUT
    if not (project.processed / "agreements.parquet").is_file():
        mirror = paths.data_mirror()
        if mirror is None or not mirror.is_dir():
            message = "no data/processed/agreements.parquet and no DATA_MIRROR"
            if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
                pytest.fail(f"{message} (CI=true: the real data must be present)")
            pytest.skip(message)
        from analysis.ingest import fetch

        project = paths.Project.at(tmp_path_factory.mktemp("realcli"))
        entries = registry.read_registry(pc.REAL_REGISTRY_CSV)
        shutil.copyfile(pc.REAL_REGISTRY_CSV, project.registry_csv)
        fetch.fetch(project, entries, mirror=mirror, quiet=True)
        build.build(project, entries, quiet=True)

    def _run(args):
        proc = pc.cli(project, *args)
        return proc.returncode, proc.stdout, proc.stderr

    return _run


@pytest.mark.integration
def test_real_query_eve_of_inauguration(real_cli):
    code, out, err = real_cli(["query", "--as-of", "2025-01-19", "--by", "model", "--format", "json"])
    assert code == 0, err
    assert "Traceback" not in err
    result = json.loads(out)
    assert result["total"] == 135 and result["states"] == 21
    assert {g["model"]: g["count"] for g in result["groups"]} == {"JEM": 60, "WSO": 75}
    # the archive panel answers by default (the sheet ICE had posted that day), and says so; the
    # curated set holds the same bytes under their curated name
    assert result["panel"] == "archive"
    assert result["snapshot"]["file"] == "ice_287g_archive/participating_2025-01-19_192356.xlsx"
    code, out, err = real_cli(["query", "--as-of", "2025-01-19", "--source", "curated", "--format", "json"])
    curated = json.loads(out)
    assert curated["panel"] == "curated" and curated["total"] == 135
    assert curated["snapshot"]["file"] == "ice_287g/participating_2025-01-19.xlsx"


@pytest.mark.integration
def test_real_query_before_first_snapshot(real_cli):
    code, out, err = real_cli(["query", "--as-of", "1999-01-01"])
    assert code == 2
    errors = [line for line in err.splitlines() if not line.startswith("warning: ")]
    assert errors == ["error: 1999-01-01 is before the first participating sheet (2021-01-13); no data for that date"]
    code, out, err = real_cli(["query", "--as-of", "1999-01-01", "--source", "curated"])
    assert [line for line in err.splitlines() if not line.startswith("warning: ")] == [
        "error: 1999-01-01 is before the first participating sheet (2024-01-02); no data for that date"]


@pytest.mark.integration
def test_real_diff_first_2025_signings(real_cli):
    code, out, err = real_cli(["diff", "--from", "2025-01-19", "--to", "2025-02-19", "--format", "json"])
    assert code == 0, err
    result = json.loads(out)
    assert (result["from"]["agreements"], result["from"]["agencies"]) == (135, 133)
    assert (result["to"]["agreements"], result["to"]["agencies"]) == (145, 139)
    assert result["agencies_removed"] == [] and result["agreements_removed"] == []
    assert len(result["agencies_added"]) == 6 and len(result["agreements_added"]) == 10
    # MANIFEST: 'First 2025 signings (2025-01-31..02-18) appear.'
    assert {x["signed"] for x in result["agreements_added"]} <= {f"2025-0{m}-{d:02d}" for m in (1, 2) for d in range(1, 32)}
    assert min(x["signed"] for x in result["agreements_added"]) == "2025-01-31"
    assert max(x["signed"] for x in result["agreements_added"]) == "2025-02-18"
