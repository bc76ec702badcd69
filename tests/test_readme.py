"""The README's generated blocks match their sources (numbers in the text are outputs of code)."""

from __future__ import annotations

import importlib.util
import json
import re

from analysis import paths


def _update_readme():
    spec = importlib.util.spec_from_file_location("update_readme", paths.ROOT / "scripts" / "update_readme.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_performance_block_is_rendered_from_the_latest_benchmark():
    mod = _update_readme()
    bench = json.loads((paths.ROOT / "benchmarks" / "latest.json").read_text())
    text = (paths.ROOT / "README.md").read_text()
    block = re.search(re.escape(mod.BEGIN) + r"\n(.*?)\n" + re.escape(mod.END), text, re.S)
    assert block, "README.md lacks the performance block"
    assert block[1] == mod.render(bench), "README performance block is stale: run scripts/update_readme.py"


def test_readme_commands_name_real_subcommands():
    from analysis import cli

    known = set(cli.build_parser()._subparsers._group_actions[0].choices)
    used = set(re.findall(r"python -m analysis ([a-z][a-z-]*)", (paths.ROOT / "README.md").read_text()))
    assert used and used <= known, used - known


def test_claims_block_is_rendered_from_the_registry():
    mod = _update_readme()
    text = (paths.ROOT / "README.md").read_text()
    block = re.search(re.escape(mod.CLAIMS_BEGIN) + r"\n(.*?)\n" + re.escape(mod.CLAIMS_END), text, re.S)
    assert block, "README.md lacks the claims block"
    assert block[1] == mod.render_claims(), "README claims block is stale: run scripts/update_readme.py"
