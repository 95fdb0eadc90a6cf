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


@dataclass(frozen=True)
class AlgemeneGegevens:
    """What a product's "Algemene gegevens" block shows besides the SWV, the stand per and the
    aanmaakdatum (the result's own fields), as values: documents/ words and formats them. A fact that
    is None is not shown (Kijkglas 1 shows its teldatum, Kijkglas 3 the schooljaar and peildatum)."""
    schooljaar: str | None = None
    teldatum: date | None = None
    peildatum: date | None = None


@dataclass(frozen=True)
class VersionPlan:
    """The version the documents will be published as (outbox.layout.version_plan): its name, its
    status at publication, and the version it replaces with the reason."""
    versie: str                  # "v2"
    status: str                  # "actueel"
    vervangt: str | None = None  # "v1"
    reden: str | None = None     # "nieuwe stand per 06-12-2024 (was 06-11-2024)"


@dataclass
class ProductResult:
    """One product for one SWV (or for `openbaar`), ready to render and publish."""
    product: str                 # "kijkglas-1" .. "kijkglas-5"
    swv: SwvInfo | None          # None for the national (openbaar) part
    schooljaar: str              # "2024-2025": the schooljaar the product is about
    stand_per: date
    aanmaakdatum: date
    # the day a product counts on, when its versions are about that one day (Kijkglas 1: the
    # manifest's period); None: about the whole schooljaar
    teldatum: date | None = None
    # ordered: csv stem -> frame (e.g. "k1_vso_totalen"); written as data/<stem>.csv
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    algemene_gegevens: AlgemeneGegevens = field(default_factory=AlgemeneGegevens)
    marks_visible: bool = False          # Kijkglas 2: the growth marks are shown (on or after 1 February)
    versie: VersionPlan | None = None    # set by the production just before the documents are made


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
