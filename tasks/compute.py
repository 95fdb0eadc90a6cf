"""One entry point per product: extract → the product's results for every SWV (and openbaar),
the data-quality list and the reconciliations that ran. Pure: no I/O, no Prefect. The product
registry (products/registry.py) names these as each product's compute function."""
from __future__ import annotations

from datetime import date

from core.settings import Settings
from tasks import kijkglas_1 as k1
from tasks import kijkglas_2 as k2
from tasks import kijkglas_3 as k3
from tasks import kijkglas_4 as k4
from tasks import kijkglas_5 as k5
from tasks.model import Production

MARKS_CHECK = "Kijkglas 2-markeringen opgeteld = Kijkglas 3a/3b per SWV"


def check_swv_codes(extract, swv_codes: list[str] | None, product: str = "", sectoren: tuple[str, ...] = ("PO", "VO")) -> None:
    """Refuse SWV codes the extract does not know, or of a sector the product is not made for
    (a typo, or a VO code for Kijkglas 4, would otherwise publish nothing without a word)."""
    swvs = extract.samenwerkingsverbanden
    valid = sorted(swvs.loc[swvs["sector"].isin(sectoren), "swv_code"])
    unknown = sorted(set(swv_codes or []) - set(swvs["swv_code"]))
    if unknown:
        raise ValueError(f"onbekende SWV-code(s): {', '.join(unknown)}; kies uit {', '.join(valid)}")
    other = sorted(set(swv_codes or []) - set(valid))
    if other:
        raise ValueError(f"{product} is er alleen voor {'/'.join(sectoren)}-samenwerkingsverbanden, niet voor "
                         f"{', '.join(other)}; kies uit {', '.join(valid)}")


def kijkglas_1(extract, schooljaar: str, aanmaakdatum: date, settings: Settings,
               swv_codes: list[str] | None = None) -> Production:
    results, basis = k1.kijkglas_1(extract, schooljaar, aanmaakdatum, settings, swv_codes)
    return Production("kijkglas-1", schooljaar, results, kwaliteit=basis.kwaliteit, checks=[
        "bestand 2 hergroepeerd = bestand 1 (per SWV)",
        "Σ (v)so-tabel over alle SWV's = getelde (v)so-inschrijvingen met verantwoordelijk SWV"])


def kijkglas_2(extract, schooljaar: str, aanmaakdatum: date, settings: Settings,
               swv_codes: list[str] | None = None) -> Production:
    results, kwaliteit = k2.kijkglas_2(extract, schooljaar, aanmaakdatum, settings, swv_codes)
    checks = [MARKS_CHECK] if results and results[0].marks_visible else []
    return Production("kijkglas-2", schooljaar, results, kwaliteit=kwaliteit, checks=checks)


def kijkglas_3(extract, schooljaar: str, aanmaakdatum: date, settings: Settings,
               swv_codes: list[str] | None = None) -> Production:
    openbaar, per_swv, flows, kwaliteit = k3.kijkglas_3(extract, schooljaar, aanmaakdatum, settings, swv_codes)
    checks = []
    if k2.marks_visible(extract.stand_per, schooljaar):
        # Kijkglas 2 (cut only for the registrations that flow) reconciles its marks with
        # these rows and raises when they differ (for every SWV, also when only some are published)
        k2.kijkglas_2(extract, schooljaar, aanmaakdatum, settings, None, flows=flows, only_flowing=True)
        checks.append(MARKS_CHECK)
    return Production("kijkglas-3", schooljaar, per_swv, openbaar=[openbaar], kwaliteit=kwaliteit, checks=checks)


def kijkglas_4(extract, schooljaar: str, aanmaakdatum: date, settings: Settings,
               swv_codes: list[str] | None = None) -> Production:
    return Production("kijkglas-4", schooljaar, k4.kijkglas_4(extract, schooljaar, aanmaakdatum, settings, swv_codes))


def kijkglas_5(extract, schooljaar: str, aanmaakdatum: date, settings: Settings,
               swv_codes: list[str] | None = None) -> Production:
    return Production("kijkglas-5", schooljaar, k5.kijkglas_5(extract, schooljaar, aanmaakdatum, settings, swv_codes))
