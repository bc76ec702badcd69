"""pyproject.toml and environment.yml must list the same dependencies."""

from __future__ import annotations

import re
import tomllib

from analysis import paths


def _name(spec: str) -> str:
    return re.split(r"[<>=!~ \[]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_matches_pyproject():
    project = tomllib.loads((paths.checkout() / "pyproject.toml").read_text())["project"]
    wanted = {_name(d) for d in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        wanted |= {_name(d) for d in extra}
    text = (paths.checkout() / "environment.yml").read_text()
    env_lines = text[text.index("dependencies:"):].splitlines()
    listed = {_name(line.strip()[2:]) for line in env_lines if line.strip().startswith("- ") and not line.strip().endswith(":")}
    listed -= {"python", "pip", "-e ."}
    listed = {n for n in listed if n and not n.startswith("-")}
    assert listed == wanted, f"only in environment.yml: {sorted(listed - wanted)}; only in pyproject: {sorted(wanted - listed)}"
