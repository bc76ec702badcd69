"""nbval runs these notebooks as tests. Their kernels write results, evidence and figures into a
temporary reports folder (given to the kernel as $ICE287G_REPORTS_DIR, where a notebook run without
parameters writes: analysis.publish.notebooks.project_of), not into the project's reports/: a test
run leaves the report as `make reproduce` wrote it, and parallel workers (`make test` runs
pytest-xdist) never write the same files."""

from __future__ import annotations

import shutil
import tempfile

import pytest

from analysis.publish import notebooks

_REPORTS: list[str] = []  # one temporary folder per test process, removed at its end


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    """Set only while a notebook's first cell is set up, which is when nbval starts its kernel."""
    if not _REPORTS:
        _REPORTS.append(tempfile.mkdtemp(prefix="ice287g-nbval-reports-"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(notebooks.REPORTS_ENV, _REPORTS[0])
        yield


def pytest_unconfigure(config):
    for folder in _REPORTS:
        shutil.rmtree(folder, ignore_errors=True)
