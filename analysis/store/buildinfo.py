"""What a build depends on and what it reports; kept free of pandas so an up-to-date check is instant."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ..core import codegraph, paths

BUILD_MANIFEST = paths.BUILD_MANIFEST

# The curated build runs build.py and what it imports (codegraph): a change to any of those modules
# or to a reviewed resource table invalidates data/processed/.
BUILD_ENTRY = "store.build"


def code_version(*entries: str) -> str:
    """Hash of the code (the modules ``entries`` import, the build's by default) and the reviewed
    tables that shape the outputs; part of the cache key."""
    digest = hashlib.sha256()
    files = codegraph.files(*(entries or (BUILD_ENTRY,)))
    for path in files + sorted(paths.RESOURCES_DIR.glob("*.csv")):
        digest.update(path.relative_to(paths.PACKAGE_DIR).as_posix().encode())
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
