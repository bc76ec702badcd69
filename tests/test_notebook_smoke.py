"""Notebooks open the same way from JupyterLab and from papermill.

JupyterLab starts a notebook's kernel in the notebook's own folder; papermill (``make reproduce``)
in the caller's, usually the repo root. Paths hang on the package (analysis/paths.py), so both
must find the same data. Kept fast: only the header, parameters and import cells run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from analysis import paths

NOTEBOOKS = sorted(paths.NOTEBOOKS_DIR.glob("*.ipynb"))
KERNEL = "ice-287g-claims"
SNIPPET = "from analysis import paths, query; print(paths.PROCESSED_DIR); print(paths.ROOT)"


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["MPLBACKEND"] = "Agg"
    return env


@pytest.mark.parametrize("cwd", [paths.NOTEBOOKS_DIR, paths.ROOT], ids=["notebook-dir", "repo-root"])
def test_paths_resolve_the_same_from_both_working_dirs(cwd):
    proc = subprocess.run([sys.executable, "-c", SNIPPET], cwd=cwd, env=_env(), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    processed, root = proc.stdout.splitlines()
    assert Path(processed) == paths.PROCESSED_DIR and Path(root) == paths.ROOT


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_names_the_project_kernel_and_opens_with_a_header(nb_path):
    nb = nbformat.read(nb_path, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == KERNEL
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# ")
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", []), "first code cell must be papermill's parameters cell"


def test_make_lab_starts_jupyterlab_with_the_project_kernel():
    makefile = (paths.ROOT / "Makefile").read_text()
    assert "\nlab:" in makefile and "jupyter lab" in makefile
    assert f"ipykernel install --sys-prefix --name {KERNEL}" in makefile


@pytest.mark.parametrize("cwd", [paths.NOTEBOOKS_DIR, paths.ROOT], ids=["notebook-dir", "repo-root"])
def test_first_cells_run_in_the_project_kernel(cwd):
    """Parameters and imports of growth.ipynb, then a path check, executed by nbclient in ``cwd``."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    from nbclient import NotebookClient

    try:
        KernelSpecManager().get_kernel_spec(KERNEL)
    except NoSuchKernel:
        pytest.skip(f"kernel {KERNEL} not installed (make install registers it)")
    source = nbformat.read(paths.NOTEBOOKS_DIR / "growth.ipynb", as_version=4)
    code = [c for c in source.cells if c.cell_type == "code"][:2]  # parameters, imports
    nb = nbformat.v4.new_notebook(metadata=source.metadata)
    nb.cells = [*code, nbformat.v4.new_code_cell("import os\n" + SNIPPET + "\nprint(os.getcwd())")]
    NotebookClient(nb, kernel_name=KERNEL, timeout=120, resources={"metadata": {"path": str(cwd)}}).execute()
    out = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    processed, root, where = out.splitlines()
    assert Path(processed) == paths.PROCESSED_DIR and Path(root) == paths.ROOT
    assert Path(where).resolve() == Path(cwd).resolve()
