"""The report: the site under reports/site/ (publish/site), its static maps, and provenance.json.

reports/index.html stays where readers and older links expect the report; it is a redirect to
the site's home page (reports/site/index.html), which works from disk and served alike.
Deterministic: no timestamps, relative links.
"""

from __future__ import annotations

import json

from ..core import atomic
from ..core.paths import Project
from ..ingest import registry


def write(project: Project, rows: list[dict], *, prepared: dict | None = None, force: bool = False) -> str:
    """The maps (drawn when data or code changed), the site, and provenance.json, in the project's
    reports folder (reproduce's staging folder: ``Project.staged``); returns the site's summary.
    ``prepared``: the site's data pages, when reproduce made them while the notebooks ran."""
    from . import maps, site

    florida = next((r["as_of"] for r in rows if r["id"] == maps.FLORIDA_SHARE_CLAIM), None)
    before = site.static_maps_digest(project)
    maps.report_maps(project, florida)
    if site.static_maps_digest(project) != before:  # drawn again (another date): the map page lists them
        prepared = None
    atomic.write_text(project.reports / "provenance.json",
                      json.dumps([e.to_row() for e in registry.load(project)], indent=1) + "\n")  # fmt: skip
    return site.build(project, rows, prepared=prepared, force=force)
