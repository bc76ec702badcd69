"""The report: the site under reports/site/ (publish/site), its static maps, and provenance.json.

reports/index.html stays where readers and older links expect the report; it is a redirect to
the site's home page (reports/site/index.html), which works from disk and served alike.
Deterministic: no timestamps, relative links.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..core import atomic, paths
from ..ingest import registry


def write(rows: list[dict], reports_dir: Path | None = None, *, prepared: dict | None = None, force: bool = False) -> str:
    """The maps (drawn when data or code changed), the site, and provenance.json; returns the site's
    summary. ``prepared``: the site's data pages, when reproduce made them while the notebooks ran."""
    from . import maps, site

    reports_dir = Path(reports_dir) if reports_dir else paths.REPORTS_DIR
    florida = next((r["as_of"] for r in rows if r["id"] == maps.FLORIDA_SHARE_CLAIM), None)
    maps.report_maps(reports_dir, florida)
    atomic.write_text(reports_dir / "provenance.json",
                      json.dumps([e.to_row() for e in registry.load()], indent=1) + "\n")  # fmt: skip
    return site.build(reports_dir, rows, prepared=prepared, force=force)
