"""The house's import rules, read from the source (no imports needed). The packages form layers;
each may import only itself and the layers below it, so there is no cycle and nothing below the
CLI imports the CLI package."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# bottom to top; README.md, "Architecture", describes each
LAYERS = ["core", "schemas", "tasks", "documents", "products", "outbox", "production", "flows", "deployments", "kijkglas"]
MAX_LINES = 650  # dagster-open-platform keeps modules under ~600 lines; the outbox and documents stay under 500


def _imported_packages(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & set(LAYERS)


def _modules() -> list[Path]:
    return sorted(p for pkg in LAYERS for p in (ROOT / pkg).rglob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_only_its_own_layer_and_those_below(path):
    layer = LAYERS.index(path.relative_to(ROOT).parts[0])
    above = {pkg for pkg in _imported_packages(path) if LAYERS.index(pkg) > layer}
    assert not above, f"{path.relative_to(ROOT)} imports {sorted(above)}, a layer above its own"


@pytest.mark.parametrize("path", _modules(),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_is_a_house_of_its_own(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES


def test_every_package_is_a_layer():
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "bench"}
    assert packages == set(LAYERS)


def _architecture_map() -> dict[str, set[str]]:
    """README.md's Architecture block: per package, the files it names (`kijkglas_1..5.py` is five)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## Architecture", 1)[1].split("```", 2)[1]
    named: dict[str, set[str]] = {}
    package = None
    for line in block.splitlines():
        if line and not line[0].isspace():
            package = line.split()[0].rstrip("/")
            named[package] = set()
        elif line.startswith("  ") and not line.startswith("   ") and package is not None:
            name = line.split()[0]
            if "1..5" in name:
                named[package] |= {name.replace("1..5", str(i)) for i in range(1, 6)}
            else:
                named[package].add(name)
    return named


def test_the_architecture_map_names_every_module_and_only_those_that_exist():
    named = _architecture_map()
    assert set(named) == set(LAYERS)
    modules = {(p.relative_to(ROOT).parts[0], p.relative_to(ROOT / p.relative_to(ROOT).parts[0]).as_posix())
               for p in _modules() if p.name != "__init__.py"}
    listed = {(pkg, name) for pkg, names in named.items() for name in names}
    assert sorted(modules - listed) == [], "modules the README's Architecture map does not name"
    assert sorted(pair for pair in listed if not (ROOT / pair[0] / pair[1]).is_file()) == [], \
        "files the README's Architecture map names that do not exist"
