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
