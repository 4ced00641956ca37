"""Imports between modules form no cycle, and no module uses another module's private names.

A cycle between two modules (even through imports hidden inside functions) means neither can
be understood or changed alone: issue 17 found ``sandbox._daemon -> sandbox._mount -> sandbox._daemon``.
Imports under ``if TYPE_CHECKING:`` are for annotations only and are not counted.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "fakeproc"
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "assets" not in p.parts)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


NAMES = {_module_name(p): p for p in MODULES}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node except those under ``if TYPE_CHECKING:``."""
    out: list[ast.AST] = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        out.append(node)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                stack.extend(child.orelse)
                continue
            stack.append(child)
    return out


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if path.name != "__init__.py":
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _edges(module: str, path: Path) -> set[tuple[str, str | None]]:
    """(imported fakeproc module, name imported from it or None)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    edges: set[tuple[str, str | None]] = set()
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            edges.update((a.name, None) for a in node.names if a.name in NAMES)
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(module, path, node)
            for alias in node.names:
                if f"{source}.{alias.name}" in NAMES:
                    edges.add((f"{source}.{alias.name}", None))
                elif source in NAMES:
                    edges.add((source, alias.name))
    return edges


GRAPH = {m: {target for target, _ in _edges(m, p) if target != m} for m, p in NAMES.items()}


def _cycles() -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    return found


def test_modules_import_each_other_without_cycles() -> None:
    assert _cycles() == []


@pytest.mark.parametrize("path", MODULES, ids=_module_name)
def test_no_module_imports_a_private_name_of_another_module(path: Path) -> None:
    module = _module_name(path)
    private = sorted(
        f"{source}.{name}"
        for source, name in _edges(module, path)
        if name is not None and name.startswith("_") and not name.startswith("__")
    )
    assert not private, f"{module} uses private names of other modules: {private}"


def test_the_graph_sees_imports_made_inside_functions() -> None:
    assert "fakeproc.sandbox" in GRAPH["fakeproc"]  # fakeproc.__getattr__ imports it lazily
