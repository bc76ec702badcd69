"""The environment every benchmark runs `python -m analysis` in: a user's, not this shell's.

A whole CLI call is timed as someone who installed the package makes it: this checkout's (or a
clone's) package first on PYTHONPATH, the Agg backend, and Python's bytecode cache working. A
shell that sets PYTHONDONTWRITEBYTECODE (some sandboxes and CI images do) would have every call
compile the package's modules again, about 50 ms that no installed package pays after its first
run; the first call of each benchmark writes the cache, like a user's first run.
"""

from __future__ import annotations

import os
from pathlib import Path


def cli_env(package_root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPATH": str(package_root), "MPLBACKEND": "Agg"}
