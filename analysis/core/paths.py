"""The project: a folder holding data/, reports/, notebooks/ and docs/, passed explicitly to every
function that reads or writes its files.

A :class:`Project` is made from its root (``Project.at(root)``) by the command line (``--project
DIR``, by default the checkout this package belongs to: :func:`project`), a notebook (its
``project_dir`` parameter) or a test (a throwaway folder), and handed down; nothing reads a
folder from a module constant, so two projects can be used in one process and a test needs no
copy of the package. The package's own files (its code, ``resources/``, ``templates/``) stay with
the package: every project is served by the same code, so the code versions that key the builds
and the notebooks' stamps hash the package, wherever the project is.

papermill runs notebooks in the caller's directory and nbval in the notebook's, so nothing
may depend on ``os.getcwd()``.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

#: the package's own folder: its code, resources/ and templates/ (never a project's files)
PACKAGE_DIR = Path(__file__).resolve().parent.parent
RESOURCES_DIR = PACKAGE_DIR / "resources"
# Every build writes its inputs and code version here, in its output folder (store.buildinfo).
BUILD_MANIFEST = "build_manifest.json"
#: data/raw/local/: the sheets researchers add themselves (add-sheet), beside the pinned ones
LOCAL_DIR = "local"


def _under(field: str, *parts: str, doc: str) -> property:
    """A path under one of a Project's folders (``field``), as a read-only property: it follows the
    folder (a staged project's figures are in its staging folder)."""
    return property(lambda self: getattr(self, field).joinpath(*parts), doc=doc)


@dataclasses.dataclass(frozen=True)
class Project:
    """One project's folders, made from its root (``Project.at``). The reports folder is a field of
    its own so that ``reproduce`` can write a whole report into a staging folder (``staged``) that
    then replaces reports/ at once; everything else hangs on the root."""

    root: Path
    raw: Path  # data/raw: the registered raw files, their registries and the local sheets
    processed: Path  # data/processed: the curated build, the archive panel in archive/
    reports: Path  # reports/, or reproduce's staging folder
    notebooks: Path
    docs: Path

    @classmethod
    def at(cls, root: str | Path, *, reports: str | Path | None = None) -> Project:
        root = Path(os.path.abspath(Path(root).expanduser()))
        return cls(root=root, raw=root / "data" / "raw", processed=root / "data" / "processed",
                   reports=Path(os.path.abspath(reports)) if reports else root / "reports",
                   notebooks=root / "notebooks", docs=root / "docs")  # fmt: skip

    def staged(self, reports: str | Path) -> Project:
        """The same project writing its report into ``reports`` (reproduce's staging folder)."""
        return dataclasses.replace(self, reports=Path(reports))

    @property
    def data(self) -> Path:
        """data/: the raw and processed folders, the write lock and the outputs' stat cache."""
        return self.processed.parent

    # the folders and files under the project's own ones, each declared once
    archive = _under("processed", "archive", doc="data/processed/archive: the archive panel (every sheet ICE posted, day by day)")
    figures = _under("reports", "figures", doc="reports/figures: every figure the notebooks save (byte-stable PNGs)")
    registry_csv = _under("raw", "registry.csv", doc="data/raw/registry.csv: the curated set's pinned files")
    archive_registry_csv = _under("raw", "registry_archive.csv", doc="data/raw/registry_archive.csv: the archive's pinned files")
    local_raw = _under("raw", LOCAL_DIR, doc="data/raw/local: the sheets researchers add themselves (add-sheet)")
    local_registry_csv = _under("raw", LOCAL_DIR, "registry_local.csv", doc="data/raw/local/registry_local.csv: those sheets")

    def panel_dir(self, source: str) -> Path:
        """The folder of a panel's tables: the archive panel's, or the curated build's."""
        return self.archive if source == "archive" else self.processed

    def relative(self, path: str | Path) -> str:
        """A path as printed in outputs: relative to the project root, never absolute (a path
        outside it is shown by its name)."""
        path = Path(path).resolve()
        try:
            return path.relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return path.name

    def shown(self, path: str | Path) -> str:
        """A path as an error names it: relative to the project root when inside it, else as given."""
        try:
            return Path(os.path.abspath(path)).relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


def package_relative(path: str | Path) -> str:
    """A file of the package (claims.toml, a template) as outputs name it: relative to the folder
    holding the package ("analysis/resources/claims.toml"); any other file by its name."""
    path = Path(path).resolve()
    try:
        return path.relative_to(PACKAGE_DIR.parent).as_posix()
    except ValueError:
        return path.name


def checkout() -> Path:
    """The checkout this package belongs to: the folder holding ``analysis/``."""
    return PACKAGE_DIR.parent


def project(root: str | Path | None = None, *, reports: str | Path | None = None) -> Project:
    """The project a command or a notebook was given: at ``root``, or the checkout this package
    belongs to when none was (``--project`` omitted, a notebook run without parameters)."""
    return Project.at(checkout() if root is None else root, reports=reports)


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


def stays_inside(rel: object) -> bool:
    """Whether a relative path read from a data file (a registry row, the add-sheet journal, a
    MANIFEST, a stamp) names something inside the folder it is relative to, whatever that folder:
    text, not absolute, no '..', '.' or empty part, no backslash or NUL. A journal entry pointing at
    ../../somewhere made remove-sheet delete that file."""
    if not isinstance(rel, str) or not rel or "\\" in rel or "\x00" in rel or rel.startswith("/"):
        return False
    return all(part not in ("", ".", "..") for part in rel.split("/"))
