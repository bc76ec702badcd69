"""The static site under reports/site/: every claim, state and agency on its own page.

The site is made of Jinja2 templates (analysis/templates/) filled from reports/claims.json, the
notebooks' results and the processed tables; it works opened from disk and served (`python -m
analysis serve`), and ships every script, style and map shape it uses. It is built in two parts:
:func:`prepare` makes what depends on the data alone (states, ended agreements, the agency
lookup, the maps, the downloads), which `reproduce` runs while the notebooks execute; then
:func:`build` (through report.write) makes the claim pages and the rest once the claims table is
written.

Speed and stability: each part has a stamp (publish/stamps.py) recording what it was made from
(data and code versions, the templates, the report files it reads); with nothing changed, nothing
is rendered again. When something changed, the part's pages are rendered but only files whose
bytes differ are written, and files no longer produced are removed. The big downloads (the
archive as Parquet and compressed CSV) have a stamp of their own, on the data alone.

Modules, one per concern: render (templates, writing), inputs (what pages read), claim_pages
(home, claims), places (states, ended agreements, agency lookup), atlas (interactive maps),
changes (what changed, feed.xml), downloads (data page), chapters (notebooks, statistics,
methods), serve (the local server).
"""

from __future__ import annotations

import hashlib
import time

from ...core import atomic
from ...core.paths import Project
from ..stamps import SITE as DIR  # reports/site/

DATA_STAMP = "site-data-pages"
STAMP = "site"
#: what the site's data pages run (codegraph follows their imports): they depend on the data alone
DATA_ENTRY = ("publish.site.places", "publish.site.atlas", "publish.site.downloads", "publish.site.chapters",
              "publish.site.claim_pages")  # the claims' charts: the engine over the archive
#: what the claim pages and the rest run
ENTRY = ("publish.site", "publish.site.claim_pages", "publish.site.changes", "publish.site.chapters",
         "publish.site.downloads", "publish.report_statistics")  # fmt: skip
#: report files (relative to reports/) the pages read; their bytes are part of the stamp
READS = ("claims.json", "claims.csv", "recheck.json", "results/*.json", "evidence/*.csv", "figures/*",
         "notebooks/*.ipynb")  # fmt: skip


def _digest(files) -> str:
    digest = hashlib.sha256()
    for name, path in files:
        digest.update(name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _templates_digest() -> str:
    from .render import TEMPLATES

    return _digest((p.name, p) for p in sorted(TEMPLATES.iterdir()) if p.is_file())


def _reads_digest(project: Project) -> str:
    reports_dir = project.reports
    found = [(p.relative_to(reports_dir).as_posix(), p) for pattern in READS for p in sorted(reports_dir.glob(pattern))
             if p.is_file()]  # fmt: skip
    docs = [(d, project.docs / d) for d in ("data-dictionary.md", "methods.md") if (project.docs / d).is_file()]
    return _digest(found + docs)


def static_maps_digest(project: Project) -> str:
    """The digest of figures/maps.json (the report's static maps, which the map page lists), or ""."""
    index = project.reports / "figures" / "maps.json"
    return _digest([("maps.json", index)]) if index.is_file() else ""


def prepare(project: Project, *, force: bool = False) -> dict[str, str]:
    """The pages and files that depend on the data alone (states, ended agreements, the agency lookup,
    the maps, the archive downloads, the assets), written again only when the data, their code or the
    templates changed; into the project's reports folder (reproduce's staging folder: ``Project.staged``).
    `reproduce` runs this while the notebooks execute. Returns {site path: sha256}."""
    from .. import stamps
    from . import atlas, chapters, claim_pages, downloads, places
    from .inputs import Inputs
    from .render import Site

    reports_dir = project.reports
    inputs = {"data": stamps.data_version(project), "code": stamps.code_version(*DATA_ENTRY), "templates": _templates_digest(),
              "static maps": static_maps_digest(project)}  # fmt: skip
    kept = stamps.outputs(reports_dir, DATA_STAMP)
    if not force and stamps.why_run(reports_dir, DATA_STAMP, inputs) is None:
        return {rel.removeprefix(f"{DIR}/"): sha for rel, sha in kept.items()}
    start = time.perf_counter()
    site, given = Site(reports_dir / DIR), Inputs(project, [])
    chapters.assets(site)
    claim_pages.write_charts(site, given)
    places.write(site, given)
    atlas.write(site, given)
    downloads.write_data(site, given, force=force)
    stamps.write(reports_dir, DATA_STAMP, inputs, [f"{DIR}/{rel}" for rel in site.written], time.perf_counter() - start)
    return dict(site.written)


def build(project: Project, rows: list[dict], *, prepared: dict[str, str] | None = None, force: bool = False) -> str:
    """Write the project's reports/site/ (and reports/index.html, a redirect to it); ``prepared``: what
    prepare() returned (run here when not given). Returns a one-line summary."""
    from .. import stamps
    from . import changes, chapters, claim_pages, downloads
    from .inputs import Inputs
    from .render import Site

    reports_dir = project.reports
    prepared = prepare(project, force=force) if prepared is None else prepared
    inputs = {"data": stamps.data_version(project), "code": stamps.code_version(*ENTRY), "templates": _templates_digest(),
              "reports": _reads_digest(project), "data pages": hashlib.sha256(repr(sorted(prepared.items())).encode()).hexdigest()[:16]}  # fmt: skip
    if not force and stamps.why_run(reports_dir, STAMP, inputs) is None:
        return "site unchanged"
    before = stamps.inputs(reports_dir, STAMP)
    same_code = not force and all(before.get(k) == inputs[k] for k in ("code", "templates"))
    start = time.perf_counter()
    site, given = Site(reports_dir / DIR), Inputs(project, rows)
    site.written.update(prepared)
    claim_pages.write(site, given)
    changes.write(site, given)
    chapters.write(site, given, reuse=same_code)
    downloads.write(site, given)
    site.prune()
    redirect = site.render("redirect.html.j2", "index.html", title="287(g) claims, re-derived", target=f"{DIR}/index.html")
    atomic.write_text(reports_dir / "index.html", redirect)
    own = [f"{DIR}/{rel}" for rel in site.written if rel not in prepared]  # prepare's files are in its own stamp
    stamps.write(reports_dir, STAMP, inputs, [*own, "index.html"], time.perf_counter() - start)
    return f"site: {len(site.written)} files in reports/{DIR}/, {len(site.changed)} written"
