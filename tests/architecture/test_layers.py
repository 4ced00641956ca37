"""The package layout is the architecture: imports point down, the FUSE binding stays in backends/fuse/.

Layers, bottom up (style.md rule 1): spec/errors -> handlers -> profiles -> model -> serve ->
backends -> sandbox -> (kubernetes, testing, sysctlconf, demo) -> cli.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "fakeproc"

#: For each layer, the fakeproc modules/packages it must not import.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "fakeproc.spec": ("fakeproc.handlers", "fakeproc.profiles", "fakeproc.model", "fakeproc.cli"),
    # Value domains are plain data here; the testing toolkit turns them into strategies.
    "fakeproc.handlers": ("fakeproc.profiles", "fakeproc.model", "fakeproc.fuse", "fakeproc.sandbox",
                          "fakeproc.kubernetes", "fakeproc.testing", "fakeproc.cli", "hypothesis"),
    "fakeproc.profiles": ("fakeproc.model", "fakeproc.fuse", "fakeproc.sandbox", "fakeproc.kubernetes",
                          "fakeproc.testing", "fakeproc.cli"),
    "fakeproc.model": ("fakeproc.fuse", "fakeproc.sandbox", "fakeproc.kubernetes", "fakeproc.testing",
                       "fakeproc.cli", "fakeproc.demo"),
    "fakeproc.kubernetes": ("fakeproc.cli", "fakeproc.testing", "fakeproc.demo"),
    "fakeproc.sysctlconf": ("fakeproc.cli", "fakeproc.testing", "fakeproc.demo", "fakeproc.fuse"),
    "fakeproc.serve": ("fakeproc.backends", "fakeproc.fuse", "fakeproc.sandbox", "fakeproc.cli",
                       "fakeproc.kubernetes", "fakeproc.testing", "fakeproc.demo"),
    "fakeproc.backends": ("fakeproc.sandbox", "fakeproc.fuse", "fakeproc.cli", "fakeproc.kubernetes",
                          "fakeproc.testing", "fakeproc.demo"),
    "fakeproc.fuse": ("fakeproc.cli", "fakeproc.kubernetes", "fakeproc.testing", "fakeproc.demo"),
    "fakeproc.sandbox": ("fakeproc.fuse", "fakeproc.cli", "fakeproc.kubernetes", "fakeproc.testing",
                         "fakeproc.demo"),
    "fakeproc.testing": ("fakeproc.cli", "fakeproc.demo"),
    "fakeproc.demo": ("fakeproc.cli",),
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


#: Package data (standalone scripts shipped for the demo) is not part of the import graph.
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "assets" not in p.parts)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _module_name(p))
def test_imports_only_point_down(path: Path) -> None:
    module = _module_name(path)
    imported = _imports(path)
    for layer, forbidden in FORBIDDEN.items():
        if module == layer or module.startswith(layer + "."):
            bad = sorted(name for name in imported for f in forbidden if name == f or name.startswith(f + "."))
            assert not bad, f"{module} imports {bad} (layer {layer} must not depend on them)"
    if not module.startswith("fakeproc.cli") and not module.endswith("__main__"):
        assert not any(name == "fakeproc.cli" or name.startswith("fakeproc.cli.") for name in imported), module


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _module_name(p))
def test_the_fuse_binding_is_imported_only_in_the_fuse_backend(path: Path) -> None:
    module = _module_name(path)
    if module.startswith("fakeproc.backends.fuse"):
        return
    imported = _imports(path)
    for binding in ("fuse", "mfusepy"):
        assert binding not in imported and not any(n.startswith(binding + ".") for n in imported), module


@pytest.mark.parametrize("path", [p for p in MODULES if p.name != "__main__.py"], ids=lambda p: _module_name(p))
def test_every_module_starts_with_future_annotations_and_declares_all(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert "from __future__ import annotations" in text, path
    assert "__all__" in text, path


def test_no_key_specific_branches_outside_handlers_and_profiles() -> None:
    offenders = []
    for path in MODULES:
        module = _module_name(path)
        if module.startswith(("fakeproc.handlers", "fakeproc.profiles")):
            continue
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            stripped = line.strip()
            if stripped.startswith(("if ", "elif ")) and "key ==" in stripped and '"' in stripped:
                offenders.append(f"{module}:{lineno}: {stripped}")
    assert not offenders, offenders
