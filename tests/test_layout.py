"""The house's import rules, read from the source (no imports needed): settings sit at the bottom
and import nothing of ours; nothing below the CLI imports the CLI package."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"core", "kijkglas", "schemas", "tasks", "flows", "deployments"}


def _imported_packages(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & OURS


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("path", _modules("core"), ids=lambda p: p.name)
def test_core_imports_nothing_of_ours(path):
    assert _imported_packages(path) <= {"core"}


@pytest.mark.parametrize("path", [p for pkg in ("schemas", "tasks", "flows", "deployments") for p in _modules(pkg)],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_nothing_below_the_cli_imports_it(path):
    assert "kijkglas" not in _imported_packages(path)
