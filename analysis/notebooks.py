"""Execute the parameterised notebooks with papermill.

Each run writes into a fresh temp folder beside reports/; only when every notebook succeeded
does it replace reports/notebooks and reports/results, so a failing notebook leaves the
previous report intact and the error names the notebook and cell.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from . import atomic, paths
from .errors import NotebookError, UsageError

ORDER = ["growth", "concentration", "pending", "courts", "reimbursement", "statistics"]
KERNEL = "ice-287g-claims"


def notebook_path(name: str) -> Path:
    path = paths.NOTEBOOKS_DIR / f"{name}.ipynb"
    if not path.is_file():
        raise UsageError(f"no notebook {name!r}; choose from {', '.join(ORDER)}")
    return path


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


def execute_path(source: Path, out_nb: Path, parameters: dict | None = None, *, quiet: bool = False, label: str | None = None) -> Path:
    """Run one notebook file with papermill under this interpreter's kernel (kernel_manager_class)."""
    import papermill as pm

    out_nb = Path(out_nb)
    out_nb.parent.mkdir(parents=True, exist_ok=True)
    try:
        pm.execute_notebook(
            str(source), str(out_nb), parameters=parameters or {}, kernel_name=KERNEL,
            kernel_manager_class=kernel_manager_class(), cwd=str(paths.NOTEBOOKS_DIR), progress_bar=not quiet, log_output=False,
            extra_arguments=QUIET_KERNEL if quiet else [],
        )  # fmt: skip
    except pm.PapermillExecutionError as err:
        raise NotebookError(f"cell {err.exec_count} failed: {err.ename}: {err.evalue}", path=label or str(source)) from None
    return out_nb


def execute(name: str, out_dir: Path, parameters: dict | None = None, *, quiet: bool = False) -> Path:
    params = {"output_dir": str(out_dir / "results"), **(parameters or {})}
    out_nb = execute_path(notebook_path(name), out_dir / "notebooks" / f"{name}.ipynb", params, quiet=quiet,
                          label=f"notebooks/{name}.ipynb")  # fmt: skip
    stable_paths(out_nb, out_dir)
    return out_nb


# --quiet: the kernel's own log stops at errors. ipykernel warns on every start that it runs over
# TCP without encryption (the kernel listens on localhost for this one run), which is noise in CI logs.
QUIET_KERNEL = ["--IPKernelApp.log_level=ERROR"]


def stable_paths(nb_path: Path, out_dir: Path) -> None:
    """Name the report's final place in an executed notebook, not the temporary folder it ran in.

    papermill records the output path and the output_dir parameter, and cells print paths under
    it: all would show a staging folder that no longer exists after the swap (and the machine's
    checkout). They become ``reports/...`` and paths relative to the project root.
    """
    import json

    text = nb_path.read_text(encoding="utf-8")
    for old, new in ((Path(out_dir), "reports/"), (paths.ROOT, "")):
        text = text.replace(json.dumps(str(old) + "/")[1:-1], new)
    atomic.write_text(nb_path, text)


def run_all(names: list[str] | None = None, parameters: dict | None = None, *, quiet: bool = False) -> Path:
    """Run notebooks into a temp folder, then swap it into reports/ (atomic per folder)."""
    names = names or ORDER
    paths.REPORTS_DIR.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=paths.REPORTS_DIR, prefix=".run-"))
    try:
        existing = paths.REPORTS_DIR / "results"
        if existing.is_dir():  # results of notebooks not rerun stay available
            shutil.copytree(existing, staging / "results")
        for name in names:
            if not quiet:
                print(f"running notebooks/{name}.ipynb", file=sys.stderr)
            execute(name, staging, parameters, quiet=quiet)
        for sub in ("notebooks", "results"):
            target = paths.REPORTS_DIR / sub
            target.mkdir(exist_ok=True)
            for src in sorted((staging / sub).glob("*")):
                src.replace(target / src.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return paths.REPORTS_DIR
