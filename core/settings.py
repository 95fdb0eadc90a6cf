"""Settings the spec marks as configurable, in one place, with their defaults.

Values can be overridden through environment variables (prefix KIJKGLAS_) so that a
deployment changes them without code changes.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

# rules.md, "Category": map(kernsoort / soort_indicatie) -> bekostigingscategorie.
DEFAULT_CATEGORIE_MAP: dict[str, str] = {
    "ZMLK": "L", "LZ": "L", "ZMOK": "L", "PI": "L",
    "LG": "M", "LZ-LG": "M",
    "MG": "H",
}


@dataclass(frozen=True)
class Settings:
    # Age category: age in whole years on this month-day of the calendar year of the
    # 1 October count (rules.md "Age category"; default 31 December).
    leeftijd_peildatum_maand: int = 12
    leeftijd_peildatum_dag: int = 31
    leeftijd_grens: int = 8
    categorie_map: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_CATEGORIE_MAP))
    # The register of published versions (SQLite); None = <outbox>/.register.sqlite
    register_path: Path | None = None


def load_settings() -> Settings:
    env = os.environ
    kwargs = {}
    if "KIJKGLAS_LEEFTIJD_PEILDATUM" in env:  # "MM-DD"
        m, d = env["KIJKGLAS_LEEFTIJD_PEILDATUM"].split("-")
        kwargs.update(leeftijd_peildatum_maand=int(m), leeftijd_peildatum_dag=int(d))
    if "KIJKGLAS_REGISTER" in env:
        kwargs["register_path"] = Path(env["KIJKGLAS_REGISTER"])
    return Settings(**kwargs)
