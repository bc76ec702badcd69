"""Re-execute notebooks in place and store them with their outputs, after editing one.

The notebooks in notebooks/ are the source (edit them in JupyterLab: `make lab`); their stored
outputs are what nbval compares, so a changed cell must be re-run here, top to bottom under the
project's kernel, before committing. Only stable metadata is kept (analysis.publish.notebooks.clean).

    python scripts/store_notebooks.py [NAME ...]     (default: every notebook; `make notebooks`)
"""

from __future__ import annotations

import sys

from analysis.publish import notebooks
from analysis.core.errors import AnalysisError


def main(names: list[str]) -> int:
    try:
        for name in names or notebooks.ORDER:
            notebooks.notebook_path(name)  # an unknown name fails before anything runs
        for name in names or notebooks.ORDER:
            print(f"stored {notebooks.store(name, quiet=True).relative_to(notebooks.paths.ROOT)}")
    except AnalysisError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
