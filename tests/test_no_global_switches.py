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


# ----------------------------------------------------------------------------- no frozen project paths (issue 23)

#: what paths.py may hold at module level besides functions and classes: the package's own folders
#: and file names, never a project's folder
PACKAGE_OWNED = {"PACKAGE_DIR", "RESOURCES_DIR", "BUILD_MANIFEST", "LOCAL_DIR"}
#: the names of a project's folders (Project's fields and properties): a module constant built with one
#: of them is a project path frozen at import
PROJECT_FOLDERS = {"data", "raw", "processed", "reports", "figures", "notebooks", "docs", "archive", "results", "evidence"}
#: calls that name a project or the working folder
PROJECT_CALLS = {"project", "checkout", "at", "cwd", "getcwd", "data_mirror"}


def frozen_paths(source: str) -> list[str]:
    """Module-level names bound to a project's path: a value that joins a project folder's name onto
    a path (``X / "reports"``), makes a project (``paths.project()``, ``Project.at(...)``, the working
    folder), or reads a paths constant that is not the package's own (``paths.PROCESSED_DIR``); and any
    ``paths.X`` read of such a constant anywhere in the module."""
    tree = ast.parse(source)
    found = []

    def project_path(node: ast.AST) -> str | None:
        for sub in ast.walk(node):
            if (isinstance(sub, ast.BinOp) and isinstance(sub.op, ast.Div) and isinstance(sub.right, ast.Constant)
                    and str(sub.right.value).split("/")[0] in PROJECT_FOLDERS):  # fmt: skip
                return f'/ "{sub.right.value}"'
            if isinstance(sub, ast.Call):
                name = sub.func.attr if isinstance(sub.func, ast.Attribute) else getattr(sub.func, "id", "")
                if name in PROJECT_CALLS:
                    return f"{name}()"
                if (name == "Path" and sub.args and isinstance(sub.args[0], ast.Constant)
                        and str(sub.args[0].value).split("/")[0] in PROJECT_FOLDERS):  # fmt: skip
                    return f'Path("{sub.args[0].value}")'  # relative: the working folder's
            if isinstance(sub, ast.Attribute) and sub.attr == "parent" and "PACKAGE_DIR" in ast.unparse(sub):
                return "PACKAGE_DIR.parent (the checkout)"
        return None

    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            why = project_path(node.value)
            if why:
                names = [ast.unparse(t) for t in (node.targets if isinstance(node, ast.Assign) else [node.target])]
                found.append(f"line {node.lineno}: {', '.join(names)} = ... {why}")
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "paths"
                and node.attr.isupper() and node.attr not in PACKAGE_OWNED):  # fmt: skip
            found.append(f"line {node.lineno}: paths.{node.attr}")
    return found


def test_the_scan_sees_a_frozen_project_path():
    code = ("from pathlib import Path\nfrom . import paths\n"
            "FIG_DIR = paths.REPORTS_DIR / 'figures'\n"
            "ROOT = paths.PACKAGE_DIR.parent\n"
            "HERE = Path.cwd() / 'x.csv'\n"
            "CHECKOUT = paths.project()\n"
            "REPORTS = Path('reports/figures')\n"
            "STYLE = paths.PACKAGE_DIR / 'resources' / 'house.mplstyle'\n"
            "def f(project):\n    return paths.PROCESSED_DIR, project.reports / 'figures'\n")  # fmt: skip
    assert frozen_paths(code) == [
        "line 3: FIG_DIR = ... / \"figures\"", "line 4: ROOT = ... PACKAGE_DIR.parent (the checkout)", "line 5: HERE = ... cwd()",
        "line 6: CHECKOUT = ... project()", 'line 7: REPORTS = ... Path("reports/figures")', "line 3: paths.REPORTS_DIR",
        "line 10: paths.PROCESSED_DIR"]  # fmt: skip


def test_no_module_freezes_a_project_path():
    """Every project path is reached through the Project a caller passed (issue 23): no module of the
    package binds one at import (plots.FIG_DIR, paths.PROCESSED_DIR and ten more did), so two projects
    can be used in one process and a test needs no patching."""
    offenders = {}
    for path in sorted(paths.PACKAGE_DIR.rglob("*.py")):
        found = frozen_paths(path.read_text(encoding="utf-8"))
        if found:
            offenders[path.relative_to(paths.PACKAGE_DIR).as_posix()] = found
    assert not offenders, f"pass the project (paths.Project) instead: {offenders}"
    owned = {n.targets[0].id for n in ast.parse((paths.PACKAGE_DIR / "core" / "paths.py").read_text()).body
             if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name) and n.targets[0].id.isupper()}  # fmt: skip
    assert owned <= PACKAGE_OWNED, f"paths.py holds a module constant that is not the package's own: {owned - PACKAGE_OWNED}"
