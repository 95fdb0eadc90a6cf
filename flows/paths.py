"""The production folders a run uses: its own parameters, else the server's Prefect Variables
`kijkglas_extracts` and `kijkglas_outbox` (UI: Variables; `kijkglas configure` sets them). The checks
themselves are plain (production/paths.py)."""
from __future__ import annotations

from pathlib import Path

from prefect.variables import Variable

from production.paths import EXTRACTS_VARIABLE, OUTBOX_VARIABLE, production_path


def _variable(name: str) -> str | None:
    value = Variable.get(name, default=None)
    return None if value is None else str(value)


def outbox_path(given: str | None) -> Path:
    return production_path(given, None if given else _variable(OUTBOX_VARIABLE), "outbox", OUTBOX_VARIABLE,
                           "/data/outbox")


def extracts_path(given: str | None) -> Path:
    return production_path(given, None if given else _variable(EXTRACTS_VARIABLE), "extractmap", EXTRACTS_VARIABLE,
                           "/data/extracts")
