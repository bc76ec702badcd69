"""tests/clirun.py stands in for ``subprocess`` in ~250 CLI tests: it must give what a fresh
interpreter gives (exit code, streams, sys.path, argv, cwd, environment, signals)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import clirun
import pytest

PROBE = r"""
import json, os, sys
print(json.dumps({"argv": sys.argv[1:], "path0": sys.path[0], "cwd": os.getcwd(), "env": os.environ.get("PROBE"),
                  "analysis_loaded": "analysis" in sys.modules}))
print("to stderr", file=sys.stderr)
sys.exit(int(sys.argv[1]))
"""


@pytest.fixture
def env() -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DATA_MIRROR")}
    return {**base, "PROBE": "yes"}


def both(argv: list[str], cwd, env) -> tuple[subprocess.CompletedProcess, subprocess.CompletedProcess]:
    forked = clirun.run(argv, cwd=cwd, env=env, timeout=60)
    fresh = subprocess.run([sys.executable, *argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
    return forked, fresh


@pytest.mark.parametrize("code", ["0", "3"])
def test_a_script_sees_what_a_fresh_interpreter_sees(tmp_path, env, code):
    script = tmp_path / "probe.py"
    script.write_text(PROBE)
    forked, fresh = both([str(script), code, "more"], tmp_path, env)
    assert (forked.returncode, forked.stdout, forked.stderr) == (fresh.returncode, fresh.stdout, fresh.stderr)
    assert forked.returncode == int(code) and '"analysis_loaded": false' in forked.stdout


def test_dash_c_and_an_uncaught_exception(tmp_path, env):
    forked, fresh = both(["-c", "import sys; print(sys.argv[1:], repr(sys.path[0])); raise ValueError('boom')", "a"],
                         tmp_path, env)  # fmt: skip
    assert forked.returncode == fresh.returncode == 1
    assert forked.stdout == fresh.stdout
    assert forked.stderr.startswith("Traceback") and forked.stderr.endswith("ValueError: boom\n")


def test_dash_m_analysis_usage_error_is_the_same(tmp_path, env):
    forked, fresh = both(["-m", "analysis", "diff", "2025-03-01"], tmp_path, env)
    assert (forked.returncode, forked.stdout, forked.stderr) == (fresh.returncode, fresh.stdout, fresh.stderr)
    assert forked.returncode == 2


def test_a_forked_process_can_be_polled_and_killed(tmp_path, env):
    proc = clirun.Forked(["-c", "import time; print('up', flush=True); time.sleep(60)"], cwd=tmp_path, env=env)
    time.sleep(0.3)
    assert proc.poll() is None
    os.kill(proc.pid, signal.SIGKILL)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL and out == b"up\n"


def test_a_timeout_kills_the_child(tmp_path, env):
    with pytest.raises(subprocess.TimeoutExpired):
        clirun.run(["-c", "import time; time.sleep(60)"], cwd=tmp_path, env=env, timeout=0.5)
