"""The command line: ``python -m analysis`` run as a subprocess from an unrelated directory.

Expected failures must be one ``error:`` line on stderr with the error's exit code, never a
traceback. Error cases run against a throwaway copy of the package whose data/ holds a fixture
build (PYTHONPATH points at the copy), so they neither need nor touch the project's data/ and
prove that paths hang on the package, not on the working directory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import clirun
import pytest

import workbooks as wb
from projectcopy import compile_package, copy_package
from analysis import cli, paths
from analysis.ingest import registry
from analysis.store import build

SUBCOMMANDS = ("registry", "fetch", "verify", "build", "query", "diff")


def run(args: list[str], *, cwd: Path, pythonpath: Path | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DATA_MIRROR")}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return clirun.run_analysis(args, cwd=cwd, env=env, timeout=timeout)


def assert_one_error_line(proc: subprocess.CompletedProcess, code: int, *fragments: str) -> str:
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    assert proc.stdout == ""
    return lines[0]


@pytest.fixture
def elsewhere(tmp_path) -> Path:
    d = tmp_path / "elsewhere"
    d.mkdir()
    return d


# ----------------------------------------------------------------------------- help (real package)


def test_help_lists_the_subcommands(elsewhere):
    proc = run(["--help"], cwd=elsewhere)
    assert proc.returncode == 0, proc.stderr
    for name in ("fetch", "build", "query", "diff"):
        assert f"    {name} " in proc.stdout
    assert proc.stderr == ""


def test_no_subcommand_is_a_usage_error(elsewhere):
    proc = run([], cwd=elsewhere)
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
    proc = run([name, "--help"], cwd=elsewhere)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"usage: python -m analysis {name}")
    assert "Traceback" not in proc.stderr


# ----------------------------------------------------------------------------- a throwaway project


PATH_ATTRS = ("PACKAGE_DIR", "RESOURCES_DIR", "ROOT", "DATA_DIR", "RAW_DIR", "PROCESSED_DIR", "REGISTRY_CSV",
              "ARCHIVE_REGISTRY_CSV", "LOCAL_RAW_DIR", "LOCAL_REGISTRY_CSV")  # fmt: skip


def project_paths(root: Path) -> dict[str, Path]:
    data = root / "data"
    return {
        "PACKAGE_DIR": root / "analysis", "RESOURCES_DIR": root / "analysis" / "resources", "ROOT": root,
        "DATA_DIR": data, "RAW_DIR": data / "raw", "PROCESSED_DIR": data / "processed",
        "REGISTRY_CSV": data / "raw" / "registry.csv", "ARCHIVE_REGISTRY_CSV": data / "raw" / "registry_archive.csv",
        "LOCAL_RAW_DIR": data / "raw" / "local", "LOCAL_REGISTRY_CSV": data / "raw" / "local" / "registry_local.csv",
    }  # fmt: skip


def make_template(root: Path) -> Path:
    """A copy of the package plus data/raw (fixture sheets, registry.csv) and a current build."""
    compile_package(copy_package(root))
    where = project_paths(root)
    with pytest.MonkeyPatch.context() as mp:
        for name, value in where.items():
            mp.setattr(paths, name, value)
        entries = wb.write_fixture_set(where["RAW_DIR"])
        registry.write_registry(entries, where["REGISTRY_CSV"])
        build.build(entries, quiet=True)  # code_version() hashes the copy, as the subprocess will
    return root


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return make_template(tmp_path_factory.mktemp("project"))


def test_project_copy_is_current(project, elsewhere):
    proc = run(["build", "-q"], cwd=elsewhere, pythonpath=project)
    assert proc.returncode == 0, proc.stderr
    assert "nothing to do" in proc.stdout
    assert proc.stderr == ""


def test_query_before_first_snapshot_exits_2_with_one_line(project, elsewhere):
    line = assert_one_error_line(run(["query", "--as-of", "1999-01-01"], cwd=elsewhere, pythonpath=project), 2,
                                 "1999-01-01", "2025-01-19")  # fmt: skip
    assert "before the first participating sheet" in line


@pytest.mark.parametrize("value", ["2025-13-01", "yesterday", "09/02/2025"])
def test_query_bad_date_exits_2(project, elsewhere, value):
    assert_one_error_line(run(["query", "--as-of", value], cwd=elsewhere, pythonpath=project), 2, "not a date", value)


def test_diff_backwards_exits_2(project, elsewhere):
    proc = run(["diff", "--from", "2025-09-02", "--to", "2025-01-19"], cwd=elsewhere, pythonpath=project)
    assert_one_error_line(proc, 2, "--to (2025-01-19) is before --from (2025-09-02)")


def test_query_help_shows_the_groupings_once(elsewhere):
    proc = run(["query", "--help"], cwd=elsewhere, pythonpath=paths.ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "{state,model,state,model}" not in proc.stdout  # argparse's comma-joined choices, ambiguous
    assert "--by {state|model|state,model}" in proc.stdout


def test_argparse_rejects_unknown_choice(project, elsewhere):
    proc = run(["query", "--as-of", "2025-09-02", "--unit", "rows"], cwd=elsewhere, pythonpath=project)
    assert proc.returncode == 2
    assert "invalid choice" in proc.stderr and "Traceback" not in proc.stderr


def test_query_json(project, elsewhere):
    proc = run(["query", "--as-of", "2025-09-02", "--by", "model", "--format", "json"], cwd=elsewhere, pythonpath=project)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # tables current: no stale warning
    result = json.loads(proc.stdout)
    assert result["total"] == 6
    assert result["snapshot"]["file"] == wb.PM_REL
    assert {g["model"]: g["count"] for g in result["groups"]} == {"TFM": 3, "WSO": 2, "JEM": 1}


def test_query_table(project, elsewhere):
    proc = run(["query", "--as-of", "2025-09-02", "--unit", "agencies"], cwd=elsewhere, pythonpath=project)
    assert proc.returncode == 0, proc.stderr
    first, second = proc.stdout.splitlines()[:2]
    assert first == "participating agencies as of 2025-09-02: 5 agencies in 3 states (+DC) and GU"
    assert second.startswith(f"snapshot: {wb.PM_REL} (published 2025-09-02, pm; ICE workbook)")


def test_query_csv(project, elsewhere):
    proc = run(["query", "--as-of", "2025-09-02", "--by", "state", "--format", "csv"], cwd=elsewhere, pythonpath=project)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "as_of,snapshot,kind,unit,state,state_name,count,share"
    assert lines[1] == f"2025-09-02,{wb.PM_REL},participating,agreements,FL,Florida,3,0.5"
    assert len(lines) == 5


def test_diff_json(project, elsewhere):
    proc = run(["diff", "--from", "2025-01-19", "--to", "2025-09-02", "--format", "json"], cwd=elsewhere, pythonpath=project)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert [x["as_printed"] for x in result["agencies_removed"]] == ["Lubbock County Sheriff's Office"]
    assert len(result["agencies_added"]) == 4 and len(result["agreements_added"]) == 4


def test_diff_table(project, elsewhere):
    proc = run(["diff", "--from", "2025-01-19", "--to", "2025-09-02", "--state", "TX"], cwd=elsewhere, pythonpath=project)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.splitlines()[0] == ("participating list in TX: 1 agreements / 1 agencies on 2025-01-19 -> "
                                   "1 agreements / 1 agencies on 2025-09-02")  # fmt: skip
    assert "agencies added (1):" in out and "Harris County Constable Precinct 1" in out
    assert "agencies removed (1):" in out and "Lubbock County Sheriff's Office" in out


def test_verify_ok(project, elsewhere):
    proc = run(["verify"], cwd=elsewhere, pythonpath=project)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "all 6 raw files present with their registered sha256"  # 4 sheets and the 2 county tables


# ----------------------------------------------------------------------------- in-process main()


@pytest.fixture
def project_patched(project, monkeypatch, tmp_path):
    """The throwaway project's paths, in this process, with a private copy of data/."""
    shutil.copytree(project / "data", tmp_path / "data")
    where = project_paths(tmp_path)
    where["PACKAGE_DIR"], where["RESOURCES_DIR"] = project / "analysis", project / "analysis" / "resources"
    for name, value in where.items():
        monkeypatch.setattr(paths, name, value)
    yield where


def test_main_in_process_usage_error(project_patched, capsys):
    assert cli.main(["query", "--as-of", "1999-01-01"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == ["error: 1999-01-01 is before the first participating sheet (2025-01-19); no data for that date"]


def test_main_verify_refuses_edited_raw_file(project_patched, capsys):
    (project_patched["RAW_DIR"] / wb.AM_REL).write_bytes(b"hand edited")
    assert cli.main(["verify"]) == 3
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {wb.AM_REL}: sha256 mismatch in data/raw/")


def test_main_query_without_tables(project_patched, capsys):
    for name in ("agreements.parquet", "snapshots.parquet"):
        (project_patched["PROCESSED_DIR"] / name).unlink()
    assert cli.main(["query", "--as-of", "2025-09-02"]) == 11
    _, err = capsys.readouterr()
    assert err.splitlines()[-1].startswith("error: data/processed: processed tables not found")
    assert "Traceback" not in err


def test_main_warns_when_the_registry_changed(project_patched, capsys):
    entries = registry.read_registry(project_patched["REGISTRY_CSV"])
    registry.write_registry(entries[:-1], project_patched["REGISTRY_CSV"])
    assert cli.main(["query", "--as-of", "2025-09-02", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["total"] == 6
    assert err.splitlines() == [
        "warning: the registered raw files changed since data/processed/ was built; run `python -m analysis build`"]  # fmt: skip


# ----------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def real_cli(tmp_path_factory):
    """Run CLI args against the real tables: the project's built tables when present (subprocess),
    else a build from $DATA_MIRROR into tmp dirs (main() in-process)."""
    if (paths.PROCESSED_DIR / "agreements.parquet").is_file():
        cwd = tmp_path_factory.mktemp("cwd")

        def _run(args):
            proc = run(args, cwd=cwd)
            return proc.returncode, proc.stdout, proc.stderr

        return _run
    mirror = paths.data_mirror()
    if mirror is None or not mirror.is_dir():
        message = "no data/processed/agreements.parquet and no DATA_MIRROR"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"{message} (CI=true: the real data must be present)")
        pytest.skip(message)
    base = tmp_path_factory.mktemp("realcli")
    from analysis.ingest import fetch

    where = {"RAW_DIR": base / "raw", "PROCESSED_DIR": base / "processed"}
    entries = registry.read_registry(paths.REGISTRY_CSV)
    with pytest.MonkeyPatch.context() as mp:
        for name, value in where.items():
            mp.setattr(paths, name, value)
        fetch.fetch(entries, mirror=mirror, quiet=True)
        build.build(entries, quiet=True)

    def _run_in_process(args):
        import contextlib
        import io

        out, err = io.StringIO(), io.StringIO()
        with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            for name, value in where.items():
                mp.setattr(paths, name, value)
            code = cli.main(args)
        return code, out.getvalue(), err.getvalue()

    return _run_in_process


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
