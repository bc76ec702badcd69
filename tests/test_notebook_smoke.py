"""Notebooks open the same way from JupyterLab and from papermill.

JupyterLab starts a notebook's kernel in the notebook's own folder; papermill (``make reproduce``)
in the caller's, usually the repo root. A notebook run without parameters takes the checkout its
package belongs to (``paths.project()``, not the working folder), so both must find the same data.
Kept fast: only the header, parameters and import cells run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from analysis import paths

KERNEL = "ice-287g-claims"
SNIPPET = "from analysis import paths; from analysis.engine import query; p = paths.project(); print(p.processed); print(p.root)"
#: the project the notebook's own cells made from its parameters (publish.notebooks.project_of)
IN_NOTEBOOK = "print(project.processed); print(project.root)"
CHECKOUT = paths.project()


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["MPLBACKEND"] = "Agg"
    return env


@pytest.mark.parametrize("cwd", [CHECKOUT.notebooks, CHECKOUT.root], ids=["notebook-dir", "repo-root"])
def test_paths_resolve_the_same_from_both_working_dirs(cwd):
    proc = subprocess.run([sys.executable, "-c", SNIPPET], cwd=cwd, env=_env(), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    processed, root = proc.stdout.splitlines()
    assert Path(processed) == CHECKOUT.processed and Path(root) == CHECKOUT.root


def test_make_lab_starts_jupyterlab_with_the_project_kernel():
    makefile = (CHECKOUT.root / "Makefile").read_text()
    assert "\nlab:" in makefile and "jupyter lab" in makefile
    assert f"ipykernel install --sys-prefix --name {KERNEL}" in makefile


@pytest.mark.parametrize("cwd", [CHECKOUT.notebooks, CHECKOUT.root], ids=["notebook-dir", "repo-root"])
def test_first_cells_run_in_the_project_kernel(cwd):  # the kernel of analysis/publish/notebooks.py, registered or not
    """Parameters and imports of growth.ipynb, then a path check, executed by nbclient in ``cwd``."""
    from nbclient import NotebookClient

    from analysis.publish import notebooks

    source = nbformat.read(CHECKOUT.notebooks / "growth.ipynb", as_version=4)
    code = [c for c in source.cells if c.cell_type == "code"][:2]  # parameters, imports (the project made)
    nb = nbformat.v4.new_notebook(metadata=source.metadata)
    nb.cells = [*code, nbformat.v4.new_code_cell("import os\n" + IN_NOTEBOOK + "\nprint(os.getcwd())")]
    NotebookClient(nb, kernel_name=KERNEL, kernel_manager_class=notebooks.kernel_manager_class(), timeout=120,
                   resources={"metadata": {"path": str(cwd)}}).execute()  # fmt: skip
    out = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    processed, root, where = out.splitlines()
    assert Path(processed) == CHECKOUT.processed and Path(root) == CHECKOUT.root
    assert Path(where).resolve() == Path(cwd).resolve()


# No kernelspec named KERNEL anywhere (a plain `pip install -e ".[test]"`, no `make install`): only
# the user and JUPYTER_PATH folders (empty here) and none of the environment's are searched.
HIDE_KERNELS = f"""
import jupyter_core.paths as p
from jupyter_client.kernelspec import KernelSpecManager

p.ENV_JUPYTER_PATH[:] = []
p.SYSTEM_JUPYTER_PATH[:] = []
assert {KERNEL!r} not in KernelSpecManager().find_kernel_specs()
"""


@pytest.fixture
def unregistered(tmp_path) -> tuple[Path, dict]:
    """A tiny notebook that names KERNEL, and an environment in which KERNEL is not registered."""
    (tmp_path / "hide_kernels.py").write_text(HIDE_KERNELS)
    (tmp_path / "jupyter").mkdir()
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": KERNEL, "display_name": "Python", "language": "python"},
                                            "language_info": {"name": "python"}})  # fmt: skip
    nb.cells = [nbformat.v4.new_code_cell(f"import sys\nassert sys.executable == {sys.executable!r}\nprint('ran')")]
    path = tmp_path / "tiny.ipynb"
    nbformat.write(nb, path)
    env = {**_env(), "PYTHONPATH": f"{tmp_path}{os.pathsep}{CHECKOUT.root}", "JUPYTER_PATH": str(tmp_path / "jupyter"),
           "JUPYTER_DATA_DIR": str(tmp_path / "jupyter")}  # fmt: skip
    return path, env


def test_pytest_runs_notebooks_without_the_registered_kernel(unregistered):
    """pyproject's addopts run notebooks under this interpreter (--nbval-current-env), not a
    kernel only `make install` registers (that was NoSuchKernel)."""
    nb, env = unregistered
    proc = subprocess.run([sys.executable, "-m", "pytest", str(nb), "-c", str(CHECKOUT.root / "pyproject.toml"), "--rootdir",
                           str(nb.parent), "-p", "hide_kernels", "-p", "no:cacheprovider", "-q"],
                          cwd=nb.parent, env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 0 and "1 passed" in proc.stdout, proc.stdout + proc.stderr


def test_papermill_runs_notebooks_without_the_registered_kernel(unregistered):
    """`run` and `reproduce` execute through notebooks.execute_path, under this interpreter too."""
    nb, env = unregistered
    (nb.parent / "notebooks").mkdir()  # the project's notebooks folder: where the kernel runs
    code = (f"import hide_kernels\nfrom analysis.core import paths\nfrom analysis.publish import notebooks\n"
            f"notebooks.execute_path(paths.Project.at({str(nb.parent)!r}), {str(nb)!r}, {str(nb.with_name('out.ipynb'))!r}, quiet=True)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=nb.parent, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = nbformat.read(nb.with_name("out.ipynb"), as_version=4)
    assert "ran" in "".join(o.get("text", "") for c in out.cells for o in c.get("outputs", []))
