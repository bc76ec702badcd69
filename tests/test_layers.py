"""The package reads as its pipeline: lower layers never import higher ones, and no import cycles.

The layer order is declared once, in ``analysis.LAYERS`` (lowest first); modules in analysis/ itself
(cli, __main__) sit above every layer. Every import counts, function-local ones included: a
deferred import is still a dependency, it only hides a cycle from the interpreter.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import analysis

PACKAGE = Path(analysis.__file__).resolve().parent


def modules(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every .py under ``root`` (a package named root.name)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def imports(root: Path) -> list[tuple[str, int, str]]:
    """(importer, line, imported module) for every import of a module of the package."""
    mods = modules(root)
    pkg = root.name
    edges = []
    for name, path in mods.items():
        here = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here.split(".")[: len(here.split(".")) - node.level + 1]
                    base = ".".join(base + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                # `from x import m` names module x.m when there is one, else x itself
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]
            else:
                continue
            for t in targets:
                while t and t not in mods:  # `import analysis.core.paths as p`: the module itself
                    t = t.rpartition(".")[0]
                if t and t != pkg and t != name and t.split(".")[0] == pkg and mods[t].name != "__init__.py":
                    edges.append((name, node.lineno, t))
    return edges


def rank(module: str, layers: tuple[str, ...]) -> int:
    """A module's layer index; modules in the package folder itself sit above every layer."""
    parts = module.split(".")
    return layers.index(parts[1]) if len(parts) > 2 and parts[1] in layers else len(layers)


def upward(root: Path, layers: tuple[str, ...]) -> list[str]:
    return [f"{src}:{line} imports {dst} ({src.split('.')[1]} is below {dst.split('.')[1]})"
            for src, line, dst in imports(root) if rank(src, layers) < rank(dst, layers)]


def cycles(root: Path) -> list[str]:
    """Each strongly connected set of modules, with the imports that tie it."""
    edges = imports(root)
    graph: dict[str, set[str]] = {}
    for src, _, dst in edges:
        graph.setdefault(src, set()).add(dst)
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):  # Tarjan
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                ties = sorted({f"{s}:{line} -> {d}" for s, line, d in edges if s in group and d in group})
                found.append(f"cycle {sorted(group)}: {'; '.join(ties)}")

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_every_module_sits_in_a_layer():
    loose = [p.name for p in PACKAGE.glob("*.py") if p.stem not in ("__init__", "__main__", "cli")]
    assert not loose, f"modules outside every layer of {analysis.LAYERS}: {loose}"
    assert sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()) == sorted(analysis.LAYERS)


def test_lower_layers_never_import_higher_ones():
    found = upward(PACKAGE, analysis.LAYERS)
    assert not found, "\n".join(found)


def test_no_import_cycles():
    found = cycles(PACKAGE)
    assert not found, "\n".join(found)


@pytest.fixture
def toy(tmp_path):
    """A package with one upward import (low.a -> high.b) and one cycle (high.b <-> high.c)."""
    root = tmp_path / "toy"
    for layer in ("low", "high"):
        (root / layer).mkdir(parents=True)
        (root / layer / "__init__.py").write_text("")
    (root / "__init__.py").write_text("")
    (root / "low" / "a.py").write_text("def f():\n    from ..high import b\n")
    (root / "high" / "b.py").write_text("from . import c\n")
    (root / "high" / "c.py").write_text("from toy.high.b import x\n")
    return root


def test_the_checks_name_the_offending_import(toy):
    assert upward(toy, ("low", "high")) == ["toy.low.a:2 imports toy.high.b (low is below high)"]
    assert cycles(toy) == ["cycle ['toy.high.b', 'toy.high.c']: toy.high.b:1 -> toy.high.c; toy.high.c:1 -> toy.high.b"]
