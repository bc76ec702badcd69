"""No module of the package changes another module's attributes at runtime (issue 16, "Global
switches"): a folder, a source or a cache is passed as an argument, never switched by
reassigning ``paths.X``, ``results.Y`` or ``setattr(module, ...)``. Tests may monkeypatch."""

from __future__ import annotations

import ast
from pathlib import Path

from analysis import paths


def _module_names(tree: ast.Module, here: Path) -> set[str]:
    """Names bound to modules: ``import x [as y]`` and ``from . import m`` where m is a module;
    ``here`` is the package folder of the scanned module (relative imports start there)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").split(".")[0] == "analysis"):
            start = here.parents[node.level - 2] if node.level > 1 else here
            start = start if node.level else paths.PACKAGE_DIR
            parts = (node.module or "").split(".")[0 if node.level else 1:] if node.module else []
            base = start.joinpath(*parts)
            for a in node.names:
                if (base / f"{a.name}.py").is_file() or (base / a.name / "__init__.py").is_file():
                    names.add(a.asname or a.name)
    return names


def switches(source: str, here: Path = paths.PACKAGE_DIR / "core") -> list[str]:
    """``module.attr = ...`` (also +=, del, annotated) and ``setattr/delattr(module, ...)`` in ``source``,
    a module of the package folder ``here``."""
    tree = ast.parse(source)
    modules = _module_names(tree, here)
    found = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = [t for tgt in node.targets for t in (tgt.elts if isinstance(tgt, ast.Tuple) else [tgt])]
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        elif isinstance(node, ast.Delete):
            targets = node.targets
        for t in targets:
            if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id in modules:
                found.append(f"line {node.lineno}: {t.value.id}.{t.attr} assigned")
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr")
                and node.args and isinstance(node.args[0], ast.Name) and node.args[0].id in modules):  # fmt: skip
            found.append(f"line {node.lineno}: {node.func.id}({node.args[0].id}, ...)")
    return found


def test_the_scan_sees_a_switch():
    """The guard itself: each form of switch is reported, an attribute of a local object is not."""
    code = ("from . import paths\nfrom ..factcheck import results\nimport os\n"
            "def f(stage, obj):\n"
            "    paths.REPORTS_DIR, results.DEFAULT_RESULTS_DIR = stage, stage / 'results'\n"
            "    setattr(paths, 'RAW_DIR', stage)\n"
            "    os.sep += ''\n"
            "    obj.folder = stage\n")  # fmt: skip
    assert sorted(switches(code)) == ["line 5: paths.REPORTS_DIR assigned", "line 5: results.DEFAULT_RESULTS_DIR assigned",
                                      "line 6: setattr(paths, ...)", "line 7: os.sep assigned"]  # fmt: skip


def test_no_module_switches_another_modules_attributes():
    offenders = {}
    for path in sorted(paths.PACKAGE_DIR.rglob("*.py")):
        found = switches(path.read_text(encoding="utf-8"), path.parent)
        if found:
            offenders[path.relative_to(paths.PACKAGE_DIR).as_posix()] = found
    assert not offenders, f"pass the value as an argument instead: {offenders}"
