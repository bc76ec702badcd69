"""What a build depends on and what it reports; kept free of pandas so an up-to-date check is instant."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from . import paths

BUILD_MANIFEST = "build_manifest.json"

# Modules whose code shapes data/processed/; a change to any of them invalidates the build.
DATA_MODULES = (
    "agencies", "build", "buildinfo", "census", "context_tables", "counts_cache", "elections", "geocorr", "geography", "layouts",
    "normalize", "qa",
    "reference_figures", "registry", "schemas", "sheets", "snapshots", "textfiles", "tidy", "trac",
)  # fmt: skip


def code_version(extra: tuple[str, ...] = ()) -> str:
    """Hash of the code and reviewed tables that shape the outputs; part of the cache key."""
    digest = hashlib.sha256()
    modules = [paths.PACKAGE_DIR / f"{name}.py" for name in (*DATA_MODULES, *extra)]
    for path in modules + sorted(paths.RESOURCES_DIR.glob("*.csv")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass
class BuildResult:
    skipped: bool
    snapshots: int
    agreements: int
    corrections: int
    qa_failures: int
    message: str
