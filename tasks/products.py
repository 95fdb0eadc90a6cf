"""One entry point per product: extract → the product's results for every SWV (and openbaar),
the data-quality list and the reconciliations that ran. Pure: no I/O, no Prefect."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from core.settings import Settings
from tasks import kijkglas_1, kijkglas_2, kijkglas_3, kijkglas_4, kijkglas_5
from tasks.model import ProductResult

PRODUCTS = ["kijkglas-1", "kijkglas-2", "kijkglas-3", "kijkglas-4", "kijkglas-5"]
TITLES = {
    "kijkglas-1": "Kijkglas 1 — Onderbouwing bekostiging",
    "kijkglas-2": "Kijkglas 2 — Inschrijvingen (v)so",
    "kijkglas-3": "Kijkglas 3 — Groei (v)so",
    "kijkglas-4": "Kijkglas 4 — Groei speciale school voor basisonderwijs (sbao)",
    "kijkglas-5": "Kijkglas 5 — Overzicht voor verrekening grensverkeer sbao",
}


@dataclass
class Production:
    product: str
    schooljaar: str
    per_swv: list[ProductResult]
    openbaar: list[ProductResult] = field(default_factory=list)
    kwaliteit: pd.DataFrame = field(default_factory=pd.DataFrame)
    checks: list[str] = field(default_factory=list)  # reconciliations that ran and passed


def compute(product: str, extract, schooljaar: str, aanmaakdatum: date, settings: Settings,
            swv_codes: list[str] | None = None) -> Production:
    """Compute one product. Raises common.ReconciliationError when a reconciliation fails."""
    if swv_codes:
        unknown = sorted(set(swv_codes) - set(extract.samenwerkingsverbanden["swv_code"]))
        if unknown:
            raise ValueError(f"unknown SWV code(s): {', '.join(unknown)}")
    if product == "kijkglas-1":
        results, basis = kijkglas_1.kijkglas_1(extract, schooljaar, aanmaakdatum, settings, swv_codes)
        return Production(product, schooljaar, results, kwaliteit=basis.kwaliteit, checks=[
            "bestand 2 hergroepeerd = bestand 1 (per SWV)",
            "Σ (v)so-tabel over alle SWV's = getelde (v)so-inschrijvingen met verantwoordelijk SWV"])
    if product == "kijkglas-2":
        results, kwaliteit = kijkglas_2.kijkglas_2(extract, schooljaar, aanmaakdatum, settings, swv_codes)
        checks = ["Kijkglas 2-markeringen opgeteld = Kijkglas 3a/3b per SWV"] if results and results[0].extra.get("marks_visible") else []
        return Production(product, schooljaar, results, kwaliteit=kwaliteit, checks=checks)
    if product == "kijkglas-3":
        openbaar, per_swv, flows, kwaliteit = kijkglas_3.kijkglas_3(extract, schooljaar, aanmaakdatum, settings, swv_codes)
        checks = []
        if kijkglas_2.marks_visible(extract.stand_per, schooljaar):
            # Kijkglas 2 (cut only for the registrations that flow) reconciles its marks with
            # these rows and raises when they differ
            # (for every SWV, also when only some are published)
            kijkglas_2.kijkglas_2(extract, schooljaar, aanmaakdatum, settings, None, flows=flows, only_flowing=True)
            checks.append("Kijkglas 2-markeringen opgeteld = Kijkglas 3a/3b per SWV")
        return Production(product, schooljaar, per_swv, openbaar=[openbaar], kwaliteit=kwaliteit, checks=checks)
    if product == "kijkglas-4":
        return Production(product, schooljaar, kijkglas_4.kijkglas_4(extract, schooljaar, aanmaakdatum, settings, swv_codes))
    if product == "kijkglas-5":
        return Production(product, schooljaar, kijkglas_5.kijkglas_5(extract, schooljaar, aanmaakdatum, settings, swv_codes))
    raise ValueError(f"unknown product {product!r}")
