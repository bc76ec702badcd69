"""Project paths, anchored on this package so they hold from any working directory.

papermill runs notebooks in the caller's directory and nbval in the notebook's, so nothing
may depend on ``os.getcwd()``.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
ROOT = PACKAGE_DIR.parent
DATA_DIR = ROOT / "data"
RAW_DIR = DATA_DIR / "raw"
PROCESSED_DIR = DATA_DIR / "processed"
# reproduce writes a whole new report into a staging folder that then replaces reports/ at once;
# the notebooks' kernels find that folder through this variable (see reproduce.staged_reports).
REPORTS_ENV = "ICE287G_REPORTS_DIR"
REPORTS_DIR = Path(os.environ[REPORTS_ENV]) if os.environ.get(REPORTS_ENV) else ROOT / "reports"
NOTEBOOKS_DIR = ROOT / "notebooks"
DOCS_DIR = ROOT / "docs"
RESOURCES_DIR = PACKAGE_DIR / "resources"
# Every build writes its inputs and code version here, in its output folder (store.buildinfo).
BUILD_MANIFEST = "build_manifest.json"

REGISTRY_CSV = RAW_DIR / "registry.csv"
ARCHIVE_REGISTRY_CSV = RAW_DIR / "registry_archive.csv"
LOCAL_RAW_DIR = RAW_DIR / "local"
LOCAL_REGISTRY_CSV = LOCAL_RAW_DIR / "registry_local.csv"

# The shared data set sits beside the project checkout; it is only a default for
# DATA_MIRROR in .ci/run and the Makefile, never read by the library directly.
DEFAULT_MIRROR = ROOT.parent / "shared" / "data" / "raw"


def data_mirror() -> Path | None:
    """The directory named by $DATA_MIRROR, resolved against the project root if relative."""
    value = os.environ.get("DATA_MIRROR", "").strip()
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = (Path.cwd() / path).resolve()
    return path


def captured_articles(root: Path) -> Path | None:
    """The folder of the five captured articles (``shared/articles``), or None when absent. They sit
    beside the raw-data mirror ($DATA_MIRROR is ``shared/data/raw``) or beside the checkout ``root``,
    and are never copied into the project: tests and benchmarks read them where they are."""
    mirror = data_mirror()
    for base in ([mirror.parent.parent] if mirror else []) + [root.parent / "shared"]:
        if (base / "articles").is_dir():
            return base / "articles"
    return None


def relative_to_root(path: Path) -> str:
    """A path as printed in outputs: relative to the project root, never absolute."""
    path = Path(path).resolve()
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return path.name


def stays_inside(rel: object) -> bool:
    """Whether a relative path read from a data file (a registry row, the add-sheet journal, a
    MANIFEST, a stamp) names something inside the folder it is relative to, whatever that folder:
    text, not absolute, no '..', '.' or empty part, no backslash or NUL. A journal entry pointing at
    ../../somewhere made remove-sheet delete that file."""
    if not isinstance(rel, str) or not rel or "\\" in rel or "\x00" in rel or rel.startswith("/"):
        return False
    return all(part not in ("", ".", "..") for part in rel.split("/"))
