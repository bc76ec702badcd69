"""Re-execute notebooks in place and store them with their outputs, after editing one.

The notebooks in notebooks/ are the source (edit them in JupyterLab: `make lab`); their stored
outputs are what nbval compares, so a changed cell must be re-run here, top to bottom under the
project's kernel, before committing. Only stable metadata is kept (analysis.publish.notebooks.clean).

    python scripts/store_notebooks.py [NAME ...]     (default: every notebook; `make notebooks`)

The notebooks of the checkout this script belongs to are stored (paths.project()).
"""

from __future__ import annotations

import sys

from analysis.core import paths
from analysis.core.errors import AnalysisError
from analysis.publish import notebooks


def main(names: list[str]) -> int:
    project = paths.project()
    try:
        for name in names or notebooks.ORDER:
            notebooks.notebook_path(project, name)  # an unknown name fails before anything runs
        for name in names or notebooks.ORDER:
            print(f"stored {project.relative(notebooks.store(project, name, quiet=True))}")
    except AnalysisError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
