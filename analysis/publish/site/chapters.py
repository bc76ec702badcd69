"""The students' chapters and the reference pages: each executed notebook as a page, the statistics
section, methods with the corrections and the provenance of every file, and the site's assets.

Why: the notebooks are the teaching material; rendered into the site (nbconvert's basic template
inside the site's layout) they read like chapters, figures inline and tables as tables. nbconvert
writes no alt text on images, so each figure gets the description its notebook output carries
(analyses/figures.py's Inline), or says which notebook it belongs to. The statistics page is
publish/report_statistics.py's section as that module writes it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ...ingest import registry
from ..notebooks import ORDER, skip_iri_grammar
from .inputs import Inputs
from .render import TEMPLATES, Site

#: files of analysis/templates/ the site ships as they are
ASSETS = ("site.css", "site.js", "search.js")
_IMG = re.compile(r"<img\s")


def assets(site: Site) -> None:
    """The stylesheet and scripts, and Plotly's bundle (its JavaScript ships with the site)."""
    import plotly.offline

    for name in ASSETS:
        site.copy(f"assets/{name}", TEMPLATES / name)
    site.write("assets/plotly.min.js", plotly.offline.get_plotlyjs())


def figures(site: Site, inputs: Inputs) -> None:
    """The report's figures (PNG), for the claim, map and statistics pages."""
    for path in sorted((inputs.reports_dir / "figures").glob("*.png")):
        site.copy(f"figures/{path.name}", path)


def image_alts(nb: dict, name: str) -> list[str]:
    """The alt text of each image output of a notebook, in order."""
    out = []
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            if "image/png" in output.get("data", {}):
                alt = output.get("metadata", {}).get("image/png", {}).get("alt")
                out.append(alt or f"Figure {len(out) + 1} of the {name} notebook; the text around it says what it shows.")
    return out


def with_alts(body: str, alts: list[str]) -> str:
    """``body`` with an alt attribute on each <img> (in order)."""
    import html

    it = iter(alts)
    return _IMG.sub(lambda m: f'<img alt="{html.escape(next(it, "A figure of the notebook."), quote=True)}" ', body)


def exporter():
    """nbconvert's HTML exporter with its basic template (compiling the templates is most of a
    notebook's time: one exporter serves every chapter)."""
    skip_iri_grammar()
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="basic")


def chapter(nb_path: Path, export=None) -> str:
    """An executed notebook as HTML (nbconvert's basic template), images described, tables scrollable."""
    skip_iri_grammar()
    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    body, _ = (export or exporter()).from_notebook_node(nb)
    body = with_alts(body, image_alts(json.loads(nbformat.writes(nb)), nb_path.stem))
    return body.replace("<table", '<div class="scroll"><table').replace("</table>", "</table></div>")


def _title(nb_path: Path) -> str:
    for cell in json.loads(nb_path.read_text(encoding="utf-8")).get("cells", []):
        if cell.get("cell_type") == "markdown":
            first = "".join(cell.get("source", "")).splitlines()[0]
            return first.lstrip("# ").strip()
    return nb_path.stem


def write(site: Site, inputs: Inputs, *, reuse: bool = False) -> None:
    """The chapters, statistics and methods pages; ``reuse``: the site's code and templates are those
    that wrote the existing chapters, so a chapter whose notebook is byte for byte the one beside it
    is kept as it is (nbconvert is the slowest part of the site)."""
    from .. import report_statistics
    from .downloads import markdown

    figures(site, inputs)
    chapters, export = [], None
    for name in ORDER:
        nb = inputs.reports_dir / "notebooks" / f"{name}.ipynb"
        if not nb.is_file():
            continue
        chapters.append({"name": name, "title": _title(nb), "claims": [r["id"] for r in inputs.rows if r["notebook"] == name]})
        page, copy = site.root / "notebooks" / f"{name}.html", site.root / "notebooks" / f"{name}.ipynb"
        if reuse and page.is_file() and copy.is_file() and copy.read_bytes() == nb.read_bytes():
            site.keep(f"notebooks/{name}.html")
        else:
            export = export or exporter()
            site.page(f"notebooks/{name}.html", "chapter.html.j2", title=chapters[-1]["title"], body=chapter(nb, export), name=name)
        site.copy(f"notebooks/{name}.ipynb", nb)
    site.page("notebooks/index.html", "chapters.html.j2", title="Notebooks", chapters=chapters)
    site.page("statistics.html", "document.html.j2", title="Statistics",
              body=report_statistics.section_html(inputs.reports_dir / "results"))
    methods = inputs.project.docs / "methods.md"
    site.page("methods.html", "methods.html.j2", title="Methods and provenance", corrections=_corrections(inputs),
              curated=sorted(registry.load(inputs.project), key=lambda e: e.path), judged=_judged(inputs),
              methods_doc=markdown(methods.read_text(encoding="utf-8")) if methods.is_file() else "")


def _judged(inputs: Inputs) -> list[dict]:
    """The sheets (and other files) the claims were judged on, with the registry's upstream copy."""
    out = {}
    for r in inputs.rows:
        if r.get("snapshot") and r["snapshot"] not in out:
            e = inputs.raw_file(r["snapshot"])
            out[r["snapshot"]] = {"path": r["snapshot"], "sha256": r.get("sha256") or (e.sha256 if e else ""),
                                  "entry": e, "claims": []}  # fmt: skip
        if r.get("snapshot"):
            out[r["snapshot"]]["claims"].append(r["id"])
    return sorted(out.values(), key=lambda x: x["path"])


def _corrections(inputs: Inputs) -> dict:
    """Cells corrected per curated sheet and rule (corrections are never silent), and the archive's total."""
    import pandas as pd

    base = inputs.project.processed
    out = {"rules": [], "rows": [], "total": 0, "archive_total": 0}
    path, snaps = base / "corrections.csv", base / "snapshots.parquet"
    archive = base / "archive" / "corrections.csv"
    if archive.is_file():
        with archive.open(encoding="utf-8") as fh:
            out["archive_total"] = sum(1 for _ in fh) - 1
    if not path.is_file() or not snaps.is_file():
        return out
    fixes = pd.read_csv(path, dtype=str, keep_default_na=False)
    sheets = pd.read_parquet(snaps, columns=["snapshot_id", "file", "rows"])
    table = fixes.pivot_table(index="snapshot_id", columns="rule", values="row", aggfunc="size", fill_value=0)
    rules = [str(r) for r in table.columns]
    table = sheets.set_index("snapshot_id").join(table).fillna(0).sort_values("file")
    out["rules"] = rules
    out["rows"] = [{"file": t["file"], "rows": int(t["rows"]), "counts": [int(t[r]) for r in rules]} for _, t in table.iterrows()]
    out["total"] = len(fixes)
    return out
