"""Say so when processed tables are older than the raw data or the code that made them."""

from __future__ import annotations

import json
import sys

from . import paths


def stale_reason() -> str | None:
    """Why data/processed/ is out of date, or None when it is current."""
    from . import build, registry

    manifest = paths.PROCESSED_DIR / build.BUILD_MANIFEST
    if not manifest.is_file():
        return "data/processed/ has not been built; run `python -m analysis build`"
    recorded = json.loads(manifest.read_text())
    if recorded.get("code_version") != build.code_version():
        return "the code changed since data/processed/ was built; run `python -m analysis build`"
    built = recorded.get("inputs", {})
    wanted = {e.path: e.to_row() for e in registry.load(archive=any("archive" in k for k in built))}
    if built != wanted:
        return "the registered raw files changed since data/processed/ was built; run `python -m analysis build`"
    return None


def warn_if_stale() -> None:
    reason = stale_reason()
    if reason:
        print(f"warning: {reason}", file=sys.stderr)
