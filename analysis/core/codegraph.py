"""The package's own import graph: which modules a build (or a notebook) runs, read from the code.

What invalidates a build is the code it runs, so buildinfo, panel and stamps hash the modules
reachable from their entry points here instead of keeping lists by hand (a hand list forgot
columns.py and csvsplice.py, and editing them left the archive marked current). Imports are read
with ``ast`` (their lines only, for speed), not by importing: every ``import`` statement counts wherever it is (inside functions
too, since the package imports heavy modules lazily). Modules are named by their dotted path
under the package (``tidy``, ``ingest.sheets``), so regrouping the package into subpackages needs
no change here; a subpackage's ``__init__.py`` runs when one of its modules is imported, so it is
part of the graph, while the package's own ``__init__.py`` (the notebook API) is not.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterable
from pathlib import Path

from . import paths

PACKAGE = "analysis"


def module_file(root: Path, module: str) -> Path | None:
    """``a.b`` -> root/a/b.py or root/a/b/__init__.py; None when it is not a module of the package."""
    base = root.joinpath(*module.split(".")) if module else root
    for path in (base.with_suffix(".py") if module else None, base / "__init__.py"):
        if path is not None and path.is_file():
            return path
    return None


def _package_of(module: str, path: Path) -> str:
    """The package a module's relative imports start from (itself for an ``__init__.py``)."""
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _imports(root: Path, module: str, path: Path) -> frozenset[str]:
    """The package's modules ``module`` imports (directly), by dotted name under the package."""
    stat = path.stat()
    return _file_imports(root, _package_of(module, path), path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4096)
def _file_imports(root: Path, package: str, path: Path, mtime_ns: int, size: int) -> frozenset[str]:
    """``_imports``, read once per version of the file (a reproduce asks the closures of a dozen entry
    points, which share most modules); the file's mtime and size are in the key, so an edit is read."""
    return frozenset(imported_by(path.read_bytes(), root, package))


@functools.lru_cache(maxsize=None)
def public_api(root: Path) -> dict[str, str]:
    """The package's lazily loaded public names (``PUBLIC`` in its __init__.py), each to its module,
    read from the source so nothing is imported."""
    for node in ast.parse((root / "__init__.py").read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "PUBLIC" for t in node.targets):
            return {k: v.removeprefix(PACKAGE + ".") for k, v in ast.literal_eval(node.value).items()}
    return {}


def imported_by(source: str | bytes, root: Path | None = None, package: str | None = None) -> set[str]:
    """The package's modules some code imports directly; ``package``: the package its relative
    imports start from (None for code outside the package, such as a notebook cell)."""
    root = paths.PACKAGE_DIR if root is None else root
    found: set[str] = set()

    def add(name: str, names: Iterable[str] = ()) -> None:
        if module_file(root, name) is not None:
            found.add(name)
        for sub in names:  # from pkg import module
            full = f"{name}.{sub}" if name else sub
            if module_file(root, full) is not None:
                found.add(full)
            elif not name and sub in public_api(root):  # `from analysis import claims`: the lazy public name
                found.add(public_api(root)[sub])

    for node in _import_nodes(source):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == PACKAGE or alias.name.startswith(PACKAGE + "."):
                    add(alias.name.removeprefix(PACKAGE).lstrip("."))
        elif isinstance(node, ast.ImportFrom):
            names = [a.name for a in node.names]
            if node.level and package is not None:
                base = package.split(".") if package else []
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join([*base, *(node.module.split(".") if node.module else [])])
                add(target, names)
            elif node.module and (node.module == PACKAGE or node.module.startswith(PACKAGE + ".")):
                add(node.module.removeprefix(PACKAGE).lstrip("."), names)
    found.discard("")  # the package's own __init__: see the module docstring
    return found


_IMPORT_LINE = re.compile(r"^[ \t]*(?:import|from)[ \t]", re.M)


def _import_nodes(source: str | bytes) -> list[ast.Import | ast.ImportFrom]:
    """The import statements of some code. Parsing a whole module costs ~100x more than parsing
    its import lines (the up-to-date check walks ~50 modules), so only those are parsed: each line
    starting with ``import``/``from``, continued over brackets and backslashes. A line of a
    docstring that looks like an import can only add a module, never lose one."""
    text = source.decode("utf-8") if isinstance(source, bytes) else source
    nodes = []
    for match in _IMPORT_LINE.finditer(text):
        end = text.find("\n", match.start())
        statement = text[match.start(): len(text) if end < 0 else end]
        while (statement.count("(") > statement.count(")") or statement.endswith("\\")) and end >= 0:
            nxt = text.find("\n", end + 1)
            statement += "\n" + text[end + 1: len(text) if nxt < 0 else nxt]
            end = nxt
        try:
            tree = ast.parse(statement.strip().removesuffix("\\"))
        except SyntaxError:  # prose in a docstring, not code
            continue
        nodes += [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    return nodes


def _with_parents(module: str) -> list[str]:
    """``a.b.c`` -> [a, a.b, a.b.c]: importing a module runs its subpackages' __init__ first."""
    parts = module.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


@functools.cache
def _closure(root: Path, entries: tuple[str, ...]) -> tuple[str, ...]:
    seen: set[str] = set()
    todo = [m for e in entries for m in _with_parents(e)]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        path = module_file(root, module)
        if path is None:
            raise FileNotFoundError(f"{module} is not a module of {root}")
        seen.add(module)
        todo += [p for m in _imports(root, module, path) for p in _with_parents(m) if p not in seen]
    return tuple(sorted(seen))


def modules(*entries: str) -> tuple[str, ...]:
    """Every package module ``entries`` import, transitively, themselves included (sorted names)."""
    return _closure(paths.PACKAGE_DIR, tuple(sorted(entries)))


def files(*entries: str) -> list[Path]:
    return [module_file(paths.PACKAGE_DIR, m) for m in modules(*entries)]
