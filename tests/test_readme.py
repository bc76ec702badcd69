"""The README and docs' generated blocks match their sources (numbers in the text are outputs of code),
and the README stays a front door: short, its commands real, every claim's verdict the engine's."""

from __future__ import annotations

import importlib.util
import json
import re

import pytest

from analysis import paths


def _update_readme():
    spec = importlib.util.spec_from_file_location("update_readme", paths.ROOT / "scripts" / "update_readme.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_performance_block_is_rendered_from_the_latest_benchmark():
    mod = _update_readme()
    bench = json.loads((paths.ROOT / "benchmarks" / "latest.json").read_text())
    text = mod.PERFORMANCE_DOC.read_text()
    block = re.search(re.escape(mod.BEGIN) + r"\n(.*?)\n" + re.escape(mod.END), text, re.S)
    assert block, "docs/performance.md lacks the performance block"
    assert block[1] == mod.render(bench), "docs/performance.md's block is stale: run scripts/update_readme.py"


def test_readme_and_commands_doc_name_real_subcommands():
    from analysis import cli

    known = set(cli.build_parser()._subparsers._group_actions[0].choices)
    for doc in ("README.md", "docs/commands.md"):
        used = set(re.findall(r"python -m analysis ([a-z][a-z-]*)", (paths.ROOT / doc).read_text()))
        assert used and used <= known, (doc, used - known)


def test_readme_is_a_front_door_whose_links_resolve():
    text = (paths.ROOT / "README.md").read_text()
    assert len(text) < 15_000, f"README.md is {len(text):,} characters: move detail into docs/"
    assert "make reproduce" in text and "make test" in text
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
        if not target.startswith("http"):
            assert (paths.ROOT / target).exists(), target


@pytest.mark.integration
def test_claims_block_is_rendered_from_the_registry_and_judged_by_the_engine(missing_data):
    from analysis.store.freshness import archive_stale_reason

    if archive_stale_reason():
        missing_data(archive_stale_reason())
    mod = _update_readme()
    text = (paths.ROOT / "README.md").read_text()
    block = re.search(re.escape(mod.CLAIMS_BEGIN) + r"\n(.*?)\n" + re.escape(mod.CLAIMS_END), text, re.S)
    assert block, "README.md lacks the claims block"
    assert block[1] == mod.render_claims(), "README claims block is stale: run scripts/update_readme.py"


def test_extract_block_is_rendered_from_the_latest_benchmark():
    mod = _update_readme()
    bench = json.loads((paths.ROOT / "benchmarks" / "latest.json").read_text())
    text = (paths.ROOT / "README.md").read_text()
    block = re.search(re.escape(mod.EXTRACT_BEGIN) + r"\n(.*?)\n" + re.escape(mod.EXTRACT_END), text, re.S)
    assert block, "README.md lacks the extract block"
    assert block[1] == mod.render_extract_summary(bench["extract"]), "README extract block is stale: run scripts/update_readme.py"
