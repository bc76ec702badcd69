"""Execute the parameterised notebooks with papermill, and store them with their outputs.

The notebooks in notebooks/ are their own source (edited in JupyterLab, `make lab`) and are
stored executed, so nbval can compare their outputs; ``store`` re-executes one in place and
keeps only what does not change from run to run (``clean``). tests/test_notebook_source.py
holds the rules a stored notebook must follow.

Each run writes into a fresh temp folder beside reports/; only when every notebook succeeded
does it replace reports/notebooks and reports/results, so a failing notebook leaves the
previous report intact and the error names the notebook and cell.

``run -p NAME VALUE`` is checked against the notebook's own parameters cell before anything
runs: a misspelt name would otherwise be injected and ignored (a rerun with the defaults), and a
negative count or salary would give numbers that look like results.

A notebook is given its project as papermill parameters (``project_dir``, ``reports_dir``: the
folder the run writes its figures to, reproduce's staging folder) and passes it to every library
call (``project_of``); run without them (JupyterLab, nbval) it takes the checkout this package
belongs to (``paths.project``). The executed copies name them as ``"."`` and ``"reports"``
(``stable_paths``), like every other path they show.
"""

from __future__ import annotations

import math
import os
import shutil
import sys
import tempfile
from pathlib import Path

from ..core import atomic, paths
from ..core.paths import Project
from ..core.dates import ISO_DATE, parse_iso_date
from ..engine.asof import UNITS
from ..core.errors import NotebookError, UsageError
from ..factcheck.claim_registry import NOTEBOOKS

ORDER = [*NOTEBOOKS, "statistics"]  # the claim notebooks (the registry's list), then the statistics
KERNEL = "ice-287g-claims"

# What `run` passes itself, never -p: where the results go (reports/ or a what-if folder; a redirected
# output_dir left the report to be rebuilt from the previous results) and the project it runs in.
SET_BY_RUN = {"output_dir": "`run` writes to reports/ or to a what-if folder itself",
              "project_dir": "the notebook runs in the project the command was given (--project)",
              "reports_dir": "`run` writes to the project's reports/ or to a what-if folder itself"}  # fmt: skip

#: the reports folder of a notebook run without a project (nbval's temporary folder, set by
#: notebooks/conftest.py): a test run must leave the report as `make reproduce` wrote it
REPORTS_ENV = "ICE287G_REPORTS_DIR"


def project_of(project_dir: str | None = None, reports_dir: str | None = None) -> Project:
    """The project a notebook runs in, from its parameters: the folder ``run``/``reproduce`` gave it
    (``given``), else the checkout this package belongs to; it writes to ``reports_dir``, else
    $ICE287G_REPORTS_DIR when set, else the project's reports/. Read when the notebook asks, so each
    run names its own project."""
    return paths.project(project_dir, reports=reports_dir or os.environ.get(REPORTS_ENV) or None)


# What a parameter's value must be beyond its default's type, declared once for every notebook
# that has the parameter: (test, what it must be).
PARAMETER_RULES = {
    "top_n": (lambda v: v >= 1, "at least 1"),
    "salary": (lambda v: v >= 0, "0 or more"),
    "benefits": (lambda v: v >= 0, "0 or more"),
    "overtime": (lambda v: v >= 0, "0 or more"),
    "unit": (lambda v: v in UNITS, f"one of {', '.join(UNITS)}"),
}


def notebook_path(project: Project, name: str) -> Path:
    path = project.notebooks / f"{name}.ipynb"
    if not path.is_file():
        raise UsageError(f"no notebook {name!r}; choose from {', '.join(ORDER)}")
    return path


def parameters(project: Project, name: str) -> dict[str, object]:
    """The notebook's parameters cell as {name: default}, read from the file papermill runs.

    A default that is not a Python literal is taken as None (its value is then text).
    """
    import ast
    import json

    for cell in json.loads(notebook_path(project, name).read_text(encoding="utf-8"))["cells"]:
        if "parameters" not in cell.get("metadata", {}).get("tags", []):
            continue
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        out: dict[str, object] = {}
        for node in ast.parse(source).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                try:
                    out[node.targets[0].id] = ast.literal_eval(node.value)
                except ValueError:
                    out[node.targets[0].id] = None
        return out
    return {}


def defaults(project: Project, name: str) -> dict[str, object]:
    """The parameters a user may set, with the registry's values: an article's date parameter
    (``voz_date = None`` in the notebook: "the registry's date") resolves to that article's date."""
    from ..factcheck.claims import ARTICLE_PARAMS, article_day

    out = {k: v for k, v in parameters(project, name).items() if k not in SET_BY_RUN}
    for key, value in out.items():
        if value is None and key in ARTICLE_PARAMS:
            out[key] = article_day(ARTICLE_PARAMS[key]).isoformat()
    return out


def _typed(key: str, text: str, default: object, where: str):
    """``text`` as a value of the default's type (a date when the default is one)."""
    def refuse(what: str):
        return UsageError(f"-p {key} {text!r}: must be {what} (the notebook's default is {default!r})", path=where)

    if isinstance(default, bool):
        if text.lower() not in ("true", "false"):
            raise refuse("true or false")
        return text.lower() == "true"
    if isinstance(default, int):
        try:
            return int(text)
        except ValueError:
            raise refuse("a whole number") from None
    if isinstance(default, float):
        try:
            value = float(text)
        except ValueError:
            raise refuse("a number") from None
        if not math.isfinite(value):
            raise refuse("a finite number")
        return value
    if (isinstance(default, str) and ISO_DATE.fullmatch(default)) or key.endswith("_date"):
        try:
            return parse_iso_date(text).isoformat()
        except UsageError:
            raise refuse("a date YYYY-MM-DD") from None
    return text


def validate(project: Project, name: str, pairs: list[list[str]] | None) -> dict[str, object]:
    """The -p NAME VALUE pairs as typed values, or one UsageError naming what is wrong."""
    where = project.relative(notebook_path(project, name))
    known = defaults(project, name)
    out: dict[str, object] = {}
    for key, text in pairs or []:
        if key in SET_BY_RUN:
            raise UsageError(f"-p {key} cannot be set: {SET_BY_RUN[key]}", path=where)
        if key not in known:
            raise UsageError(f"unknown parameter {key!r}; this notebook's parameters are: {', '.join(known) or 'none'}", path=where)
        if key in out:
            raise UsageError(f"-p {key} given twice", path=where)
        value = _typed(key, text, known[key], where)
        rule = PARAMETER_RULES.get(key)
        if rule is not None and not rule[0](value):
            raise UsageError(f"-p {key} {text!r}: must be {rule[1]}", path=where)
        if isinstance(value, str) and ISO_DATE.fullmatch(value):
            try:
                _within_sheets(project, parse_iso_date(value), DATE_KINDS.get(name, "participating"))
            except UsageError as err:
                raise UsageError(f"-p {key} {text!r}: {err}", path=where) from None
        out[key] = value
    return out


#: the sheets a notebook's date parameters are read on (participating, unless named here)
DATE_KINDS = {"pending": "pending"}


def _within_sheets(project: Project, day, kind: str) -> None:
    """Refuse a date before the first sheet of ``kind`` or after the newest, on the panel the notebooks
    read (the default source), by the engine's one rule (asof.in_force_position) over the counts cache
    (no pandas); the notebook would otherwise fail in a cell (`run growth -p voz_date 2099-01-01`
    exited 12 with a KeyError)."""
    from ..engine import asof
    from ..store import counts_cache, freshness

    cache = project.panel_dir(freshness.default_source(project)) / counts_cache.FILE
    counts_cache.count(cache, day, kind, "agreements", None, asof.snapshot_info, asof.in_force_position)  # refuses, or answers


def kernel_manager_class():
    """A kernel manager that starts the notebooks' kernel (KERNEL, named in their metadata) with
    this interpreter, whether or not a kernelspec of that name is registered.

    `make install` registers KERNEL for JupyterLab, but a plain ``pip install -e .`` does not, and
    a registered one may point at another environment; papermill, like the tests (nbval's
    ``--nbval-current-env``), must run the code of the environment that runs it.
    """
    from ipykernel.kernelspec import RESOURCES, get_kernel_dict
    from jupyter_client import AsyncKernelManager
    from jupyter_client.kernelspec import KernelSpecManager
    from traitlets import default

    class CurrentEnvSpecs(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            if kernel_name == KERNEL:
                return self.kernel_spec_class(resource_dir=RESOURCES, **get_kernel_dict())
            return super().get_kernel_spec(kernel_name)

    class CurrentEnvKernelManager(AsyncKernelManager):
        @default("kernel_spec_manager")
        def _kernel_spec_manager_default(self):
            return CurrentEnvSpecs(data_dir=self.data_dir)

    return CurrentEnvKernelManager


def given(project: Project) -> dict[str, str]:
    """The parameters that give a notebook its project: its root and the reports folder the run
    writes figures to (reproduce's staging folder, a what-if folder, run_all's folder of one notebook)."""
    return {"project_dir": str(project.root), "reports_dir": str(project.reports)}


def skip_iri_grammar() -> None:
    """Call before nbformat, papermill or nbconvert is imported: nbformat imports jsonschema, which builds
    rfc3987-syntax's IRI grammar at import when that package is installed (jupyterlab brings it through
    jupyter-events): about a second of CPU (three on a busy machine) for the "iri" format check, which
    nbformat never makes (it validates notebooks without a format checker). jsonschema then leaves that
    one check out, as it does where rfc3987-syntax is not installed."""
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # None in sys.modules: its import raises ImportError


def execute_path(project: Project, source: Path, out_nb: Path, parameters: dict | None = None, *, quiet: bool = False,
                 label: str | None = None, lane: int = 0) -> Path:  # fmt: skip
    """Run one notebook file with papermill under this interpreter's kernel (kernel_manager_class), in
    ``project`` (its notebooks folder is the kernel's working folder; the project is a parameter);
    ``lane``: the line of its progress bar when notebooks run side by side (run_all)."""
    skip_iri_grammar()
    import papermill as pm

    out_nb = Path(out_nb)
    out_nb.parent.mkdir(parents=True, exist_ok=True)
    try:
        pm.execute_notebook(
            str(source), str(out_nb), parameters={**given(project), **(parameters or {})}, kernel_name=KERNEL,
            kernel_manager_class=kernel_manager_class(), cwd=str(project.notebooks),
            progress_bar=False if quiet else {"desc": label or source.stem, "position": lane}, log_output=False,
            extra_arguments=QUIET_KERNEL if quiet else [],
            # written once at the end (also when a cell fails), not re-serialised after every cell: the
            # output lands in a staging folder nobody reads mid-run, and each save re-encodes every figure
            request_save_on_cell_execute=False,
        )  # fmt: skip
    except pm.PapermillExecutionError as err:
        raise NotebookError(f"cell {err.exec_count} failed: {err.ename}: {err.evalue}", path=label or str(source)) from None
    return out_nb


def execute(project: Project, name: str, out_dir: Path, parameters: dict | None = None, *, quiet: bool = False,
            lane: int = 0) -> Path:  # fmt: skip
    """Run one notebook of ``project`` into ``out_dir``; its kernel writes figures into the project's
    reports folder (a staged project's: ``Project.staged``)."""
    params = {"output_dir": str(out_dir / "results"), **(parameters or {})}
    out_nb = execute_path(project, notebook_path(project, name), out_dir / "notebooks" / f"{name}.ipynb", params,
                          quiet=quiet, label=f"notebooks/{name}.ipynb", lane=lane)  # fmt: skip
    stable_paths(project, out_nb, out_dir)
    return out_nb


# --quiet: the kernel's own log stops at errors. ipykernel warns on every start that it runs over
# TCP without encryption (the kernel listens on localhost for this one run), which is noise in CI logs.
QUIET_KERNEL = ["--IPKernelApp.log_level=CRITICAL"]  # its shutdown logs a benign KeyboardInterrupt at ERROR


def stable_paths(project: Project, nb_path: Path, out_dir: Path) -> None:
    """Name the report's final place in an executed notebook, not the temporary folder it ran in.

    papermill records the output path and the parameters (output_dir, the project's folders), and
    cells print paths under them: all would show a staging folder that no longer exists after the
    swap (and the machine's checkout). They become ``reports/...`` and paths relative to the project
    root; the project parameters read ``"."`` and ``"reports"``.
    """
    import json

    text = nb_path.read_text(encoding="utf-8")
    for old, new in ((project.reports, "reports"), (project.root, ".")):  # the parameters' values: in the
        text = text.replace(json.dumps(json.dumps(str(old)))[1:-1], json.dumps(json.dumps(new))[1:-1])  # cell
        text = text.replace(json.dumps(str(old)), json.dumps(new))  # and in papermill's metadata
    for old, new in ((Path(out_dir), "reports/"), (project.root, "")):
        text = text.replace(json.dumps(str(old) + "/")[1:-1], new)
    atomic.write_text(nb_path, text)


#: notebooks executed at once: each kernel is one process (one core); reproduce makes the site's data
#: pages on a thread meanwhile, so two kernels keep a two-core machine busy without queueing a third
LANES = 2


def run_all(project: Project, names: list[str] | None = None, parameters: dict | None = None, *, quiet: bool = False,
            force: bool = False) -> list[str]:  # fmt: skip
    """Run notebooks into a temp folder, then swap it into the project's reports/ (atomic per folder;
    reproduce's staging folder when the project is staged).

    A notebook whose stamp (stamps.py) shows its inputs unchanged and its outputs intact is not
    executed again (unless ``force``); its executed copy, results and figures stay. Returns the
    names executed.

    The notebooks run LANES at a time, the statistics (the longest) first. Each runs in a folder of its
    own (its kernel's reports folder, as a what-if run's is), so what it wrote (figures, evidence) is
    that folder's files, whichever notebook ran beside it; they are moved into reports/ in ORDER once
    every notebook succeeded, as the notebooks one after the other would leave them.
    """
    import time
    from concurrent.futures import ThreadPoolExecutor

    from . import stamps

    names = names or ORDER
    root = project.reports
    root.mkdir(parents=True, exist_ok=True)
    todo, ran = [], []
    for name in names:
        inputs = stamps.notebook_inputs(project, notebook_path(project, name), {**defaults(project, name), **(parameters or {})})
        why = "forced" if force else stamps.why_run(root, name, inputs)
        if why is None:
            print(f"{name}: inputs unchanged, not re-executed")
        else:
            todo.append((name, inputs, why))
    staging = Path(tempfile.mkdtemp(dir=root, prefix=".run-"))
    lanes = list(range(LANES))

    def run(name: str) -> float:
        lane = lanes.pop(0)
        try:
            if not quiet:
                print(f"running notebooks/{name}.ipynb", file=sys.stderr)
            start = time.perf_counter()
            # its own folder is its reports folder: the project staged there, given to its kernel
            execute(project.staged(staging / name), name, staging / name, parameters, quiet=quiet, lane=lane)
            return time.perf_counter() - start
        finally:
            lanes.append(lane)

    try:
        with ThreadPoolExecutor(max_workers=LANES) as pool:
            started = {name: pool.submit(run, name) for name, *_ in sorted(todo, key=lambda t: t[0] != "statistics")}
            try:
                seconds = {name: future.result() for name, future in started.items()}
            except BaseException:
                for future in started.values():
                    future.cancel()
                raise
        for name, inputs, why in todo:
            own = staging / name
            written = [f"{sub}/{p.name}" for sub in ("figures", "evidence") for p in sorted((own / sub).glob("*"))]
            ran.append((name, inputs, seconds[name], written))
            print(f"{name}: executed in {seconds[name]:.1f} s ({why})")
            for sub in ("notebooks", "results", "evidence", "figures"):  # evidence: the sheet rows behind each claim (claims.py)
                target = root / sub
                target.mkdir(exist_ok=True)
                for src in sorted((own / sub).glob("*")):
                    src.replace(target / src.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    for name, inputs, took, written in ran:
        stamps.write(root, name, inputs, [*written, f"notebooks/{name}.ipynb", f"results/{name}.json"], took)
    return [name for name, *_ in ran]


# What a stored notebook keeps besides cells, outputs and ids: the kernel it runs under, and the
# cell tags papermill (parameters) reads. Everything else an execution writes (papermill's
# timings, paths and status, the kernel's timestamps) changes on every run and would turn each
# re-execution into a diff with nothing in it.
NOTEBOOK_METADATA = ("kernelspec", "language_info")
CELL_METADATA = ("tags",)


def clean(project: Project, nb: dict) -> dict:
    """``nb`` (a notebook as JSON) with only stable metadata, consecutive stream outputs merged
    (the kernel splits stdout into chunks at timing-dependent places), and outputs naming paths
    relative to the project root rather than its absolute path. The cell papermill injected (the
    project's parameters) goes: the stored notebook is its own source, with its defaults."""
    import json

    nb = json.loads(json.dumps(nb))  # a copy; the caller's notebook stays as it was
    nb["metadata"] = {k: v for k, v in nb["metadata"].items() if k in NOTEBOOK_METADATA}
    injected = [c.get("execution_count") for c in nb["cells"] if "injected-parameters" in c.get("metadata", {}).get("tags", [])]
    nb["cells"] = [c for c in nb["cells"] if "injected-parameters" not in c.get("metadata", {}).get("tags", [])]
    for cell in nb["cells"]:
        _renumbered(cell, [n for n in injected if n is not None])
        cell["metadata"] = {k: v for k, v in cell.get("metadata", {}).items() if k in CELL_METADATA and v}
        if "outputs" in cell:
            cell["outputs"] = _merged_streams(cell["outputs"])
    return json.loads(json.dumps(nb).replace(json.dumps(str(project.root) + "/")[1:-1], ""))


def _renumbered(cell: dict, removed: list[int]) -> None:
    """The cell's execution count as if the removed (injected) cells had not run: the stored notebook
    reads 1..n, as a run of its own cells gives."""
    count = cell.get("execution_count")
    if count is None or not removed:
        return
    cell["execution_count"] = count - sum(1 for n in removed if n < count)
    for out in cell.get("outputs", []):
        if out.get("execution_count") is not None:
            out["execution_count"] = cell["execution_count"]


def _merged_streams(outputs: list[dict]) -> list[dict]:
    merged: list[dict] = []
    for out in outputs:
        if out.get("output_type") == "stream":  # text as one string (on disk: a list of lines)
            out = {**out, "text": "".join(out["text"])}
        prev = merged[-1] if merged else None
        if prev and out.get("output_type") == "stream" == prev.get("output_type") and out["name"] == prev["name"]:
            prev["text"] += out["text"]
        else:
            merged.append(out)
    for out in merged:  # back to nbformat's on-disk shape: one string per line
        if out.get("output_type") == "stream":
            out["text"] = out["text"].splitlines(keepends=True)
    return merged


def store(project: Project, name: str, *, quiet: bool = False) -> Path:
    """Re-execute the project's notebooks/NAME.ipynb with its own defaults and write it back, cleaned.

    The run writes results and figures to the project's reports/ like ``run`` does, since the
    notebook's output_dir stays None; outputs then name reports/..., as in the stored copies.
    """
    import json

    import nbformat

    source = notebook_path(project, name)
    with tempfile.TemporaryDirectory() as tmp:
        out = execute_path(project, source, Path(tmp) / source.name, quiet=quiet, label=project.relative(source))
        nb = clean(project, json.loads(out.read_text(encoding="utf-8")))
    atomic.write_text(source, nbformat.writes(nbformat.from_dict(nb)) + "\n")
    return source
