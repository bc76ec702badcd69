"""What-if runs: a notebook executed with parameters other than the registry's.

`run NAME -p ...` with any parameter off the notebook's defaults writes everything into
reports/whatif/<NAME>-<digest>/ (the executed notebook, its results and figures, and an
index.html that says which parameters differ and by how much) and never touches the main
report: its claims are judged at the registry's dates, so results from other dates in
reports/results/ turned dated claims into "not checkable" with exit 0. The digest is of the
sorted parameters, so the same question lands in the same folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
from pathlib import Path

from ..core import atomic
from ..core.paths import Project
from ..factcheck import results
from . import notebooks, stamps


def folder(project: Project, name: str, parameters: dict) -> Path:
    """reports/whatif/<name>-<digest of the sorted parameters, defaults filled in>."""
    full = {**notebooks.defaults(project, name), **parameters}
    digest = hashlib.sha256(json.dumps(full, sort_keys=True).encode()).hexdigest()[:12]
    return project.reports / stamps.WHATIF / f"{name}-{digest}"


def difference(default, value) -> str:
    """How far a parameter moved from the registry's value, in its own terms."""
    if isinstance(default, (int, float)) and not isinstance(default, bool) and isinstance(value, (int, float)):
        delta = value - default
        pct = f" ({delta / default:+.1%})" if default else ""
        return f"{delta:+,}{pct}"
    try:
        days = (dt.date.fromisoformat(value) - dt.date.fromisoformat(default)).days
        return f"{days:+,} days"
    except (TypeError, ValueError):
        return "changed"


def changed(project: Project, name: str, parameters: dict) -> dict[str, tuple]:
    """{parameter: (registry's value, this run's value)} for the parameters that differ."""
    base = notebooks.defaults(project, name)
    return {k: (base[k], v) for k, v in sorted(parameters.items()) if v != base[k]}


def run(project: Project, name: str, parameters: dict, *, quiet: bool = False) -> Path:
    """Execute ``name`` with ``parameters`` into its what-if folder (staged, then swapped in whole)."""
    target = folder(project, name, parameters)
    with atomic.replace_dir(target, link=False) as stage:
        # the kernel's figures go here, not to reports/figures
        notebooks.execute(project.staged(stage), name, stage, {**notebooks.defaults(project, name), **parameters}, quiet=quiet)
        atomic.write_text(stage / "index.html", page(project, name, parameters, stage))
    return target


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)[:200]
    return str(value)


def page(project: Project, name: str, parameters: dict, stage: Path) -> str:
    """The what-if folder's index.html: the parameters that differ, then each result beside the main report's."""
    esc = html.escape
    diff = changed(project, name, parameters)
    ours = results.load_all(stage / "results")
    main = results.load_all(project.reports / "results")
    rows = "".join(f"<tr><td><code>{esc(k)}</code></td><td>{esc(_fmt(a))}</td><td>{esc(_fmt(b))}</td><td>{esc(difference(a, b))}</td></tr>"
                   for k, (a, b) in diff.items())  # fmt: skip
    res = "".join(f"<tr><td><code>{esc(q)}</code></td><td>{esc(_fmt((main.get(q) or {}).get('value', '—')))}</td>"
                  f"<td>{esc(_fmt(r['value']))}</td><td>{esc(r['unit'])}</td><td>{esc(r['as_of'])}</td></tr>"
                  for q, r in sorted(ours.items()))  # fmt: skip
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>what-if: {esc(name)}</title></head><body>"
        f"<h1>What-if run of <code>notebooks/{esc(name)}.ipynb</code></h1>"
        "<p>This is not the report. The claims are judged with the registry's parameters in "
        "<a href='../../index.html'>reports/index.html</a>; this folder shows what the notebook gives with others.</p>"
        "<h2>Parameters that differ from the registry's</h2>"
        f"<table border='1'><tr><th>parameter</th><th>registry</th><th>this run</th><th>difference</th></tr>{rows}</table>"
        "<h2>Results</h2>"
        f"<table border='1'><tr><th>quantity</th><th>report (registry's parameters)</th><th>this run</th><th>unit</th><th>as of</th></tr>{res}</table>"
        f"<p>Executed notebook: <a href='notebooks/{esc(name)}.ipynb'>notebooks/{esc(name)}.ipynb</a>; "
        f"results: <a href='results/{esc(name)}.json'>results/{esc(name)}.json</a>.</p></body></html>\n"
    )
