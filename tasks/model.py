"""Plain containers passed between computation, rendering and publication.

A product result per SWV is a set of named tables whose frames are exactly the CSV tables
of ../shared/spec/outputs.md (column names = CSV header = Excel header), plus the
"Algemene gegevens" that head every workbook and PDF.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd


@dataclass(frozen=True)
class SwvInfo:
    swv_code: str
    naam: str
    sector: str  # "PO" | "VO"
    adres: str | None = None
    postcode: str | None = None
    plaats: str | None = None


@dataclass
class ProductResult:
    """One product for one SWV (or for `openbaar`), ready to render and publish."""
    product: str                 # "kijkglas-1" .. "kijkglas-5"
    swv: SwvInfo | None          # None for the national (openbaar) part
    schooljaar: str              # "2024-2025": the schooljaar the product is about
    period: str                  # teldatum ("2024-10-01") for K1, else the schooljaar
    stand_per: date
    aanmaakdatum: date
    # ordered: csv stem -> frame (e.g. "k1_vso_totalen"); written as data/<stem>.csv
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    # label -> value rows of the "Algemene gegevens" block, in order
    algemene_gegevens: list[tuple[str, str]] = field(default_factory=list)
    # free-form extras for templates (e.g. reading-guide numbers)
    extra: dict = field(default_factory=dict)


@dataclass
class Production:
    """One product computed for a schooljaar: its results per SWV (and openbaar), the data-quality
    list and the reconciliations that ran and passed."""
    product: str
    schooljaar: str
    per_swv: list[ProductResult]
    openbaar: list[ProductResult] = field(default_factory=list)
    kwaliteit: pd.DataFrame = field(default_factory=pd.DataFrame)
    checks: list[str] = field(default_factory=list)
