"""Shared fixtures.

Integration tests need the real raw data. They find it through $DATA_MIRROR (as CI sets it)
or an already fetched data/raw/. When neither has the file they skip on a developer machine
but FAIL under CI=true, where the data are guaranteed to be present.
"""

from __future__ import annotations

import collections
import os
from pathlib import Path

import pytest

from analysis import paths

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _missing(message: str):
    if IN_CI:
        pytest.fail(f"{message} (CI=true: the real data must be present)")
    pytest.skip(message)


def pytest_collection_modifyitems(config, items):
    """Longest files first: those holding end-to-end runs (marked slow, then integration), then the
    rest by their number of tests (xdist's own guess, which `--no-loadscope-reorder` in the Makefile
    hands over to this order). Under `make test` (`-n auto --dist loadfile`) a half-minute file
    started last would keep one core busy alone after the other had finished."""
    slow = {item.path for item in items if item.get_closest_marker("slow")}
    integration = {item.path for item in items if item.get_closest_marker("integration")}
    tests = collections.Counter(item.path for item in items)

    def weight(item) -> tuple[int, int]:
        return (0 if item.path in slow else 1 if item.path in integration else 2), -tests[item.path]

    items.sort(key=weight)


@pytest.fixture(scope="session")
def missing_data():
    """Call it with a message when the real data a test needs are absent: fails under CI=true, else
    skips (a fixture, since `from conftest import` can reach notebooks/conftest.py under xdist)."""
    return _missing


@pytest.fixture(scope="session")
def articles_dir() -> Path:
    """The captured articles (shared/articles); fails under CI when they are absent, else skips."""
    folder = paths.captured_articles(paths.ROOT)
    if folder is None:
        _missing("shared/articles not found")
    return folder


@pytest.fixture(scope="session")
def mirror_dir() -> Path:
    """The raw-data mirror ($DATA_MIRROR); fails under CI when it is not set or absent."""
    mirror = paths.data_mirror()
    if mirror is None or not mirror.is_dir():
        _missing(f"DATA_MIRROR not set or not a directory: {mirror}")
    return mirror


@pytest.fixture(scope="session")
def raw_file(mirror_dir):
    """Return a callable giving the path of a raw file by its registry-relative path."""

    def _get(rel: str) -> Path:
        for base in (paths.RAW_DIR, mirror_dir):
            p = base / rel
            if p.is_file():
                return p
        _missing(f"raw file not found: {rel}")

    return _get
