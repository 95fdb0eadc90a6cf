"""The products, each declared once: what the CLI offers, the calendar schedules, the deployments
describe, the production computes and renders, and the index pages list all come from here.

Add a product by adding one `Product` below (and its kalender.yaml entry): nothing else names
products one by one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from documents import kijkglas_1 as documents_1
from documents import kijkglas_2 as documents_2
from documents import kijkglas_3 as documents_3
from documents import kijkglas_4 as documents_4
from documents import kijkglas_5 as documents_5
from documents.changes import ChangeWords
from tasks import compute
from tasks.model import ProductResult

# Which schooljaar a production on date d is about (rules.md, "Publication calendar"):
TELDATUM = "teldatum"                   # the schooljaar whose 1 October lies in d's calendar year
SCHOOLJAAR = "schooljaar"               # the schooljaar containing d
VORIG_SCHOOLJAAR = "vorig_schooljaar"   # the schooljaar before the one containing d


@dataclass(frozen=True)
class Product:
    name: str            # "kijkglas-1": CLI choice, kalender.yaml key, flow and deployment name, outbox folder
    title: str           # the handleiding's title, heading every document (declared in its documents module)
    kort: str            # the short label of lists: index pages, the Prefect UI
    toelichting: str     # what the product is about, in a few words (Prefect UI)
    periode: str         # TELDATUM | SCHOOLJAAR | VORIG_SCHOOLJAAR
    compute: Callable    # (extract, schooljaar, aanmaakdatum, settings, swv_codes) -> Production
    # (result, folder, change_report) -> (written paths, PdfJob | None), per SWV and for openbaar
    write_documents: Callable
    write_openbaar_documents: Callable | None = None
    tables: tuple[str, ...] = ()   # the data/<stem>.csv tables a version may hold
    sectoren: tuple[str, ...] = ("PO", "VO")  # the SWVs it is made for (sbao: PO only)
    # how its change report reads: table names, wijzigingen.xlsx tabs, what to do (its documents module)
    changes: ChangeWords = field(default_factory=ChangeWords)
    # computes in about a second at national scale (sbao only; the others take 5–10 s): on a production
    # day it computes first, so that the render pool has its documents while the others compute
    quick_compute: bool = False

    @property
    def description(self) -> str:
        return f"{self.kort} ({self.toelichting})." if self.toelichting else f"{self.kort}."

    def documents_writer(self, result: ProductResult) -> Callable:
        """The documents function for this result: the SWV's, or the national (openbaar) one."""
        if result.swv is not None:
            return self.write_documents
        if self.write_openbaar_documents is None:
            raise ValueError(f"{self.name} has no national (openbaar) part")
        return self.write_openbaar_documents


PRODUCTS: tuple[Product, ...] = (
    Product("kijkglas-1", documents_1.TITLE, "Kijkglas 1 – onderbouwing bekostiging", "teldatum 1 oktober",
            TELDATUM, compute.kijkglas_1, documents_1.write_documents,
            tables=("k1_bekostiging", "k1_vso_totalen", "k1_bao_sbao", "k1_vo", "k1_tlv", "k1_per_vestiging",
                    "k1_inschrijvingen"),
            changes=documents_1.CHANGES),
    Product("kijkglas-2", documents_2.TITLE, "Kijkglas 2 – inschrijvingen (v)so", "in geldigheidsperioden",
            SCHOOLJAAR, compute.kijkglas_2, documents_2.write_documents, tables=("k2_tlv", "k2_cvi", "k2_overig"),
            changes=documents_2.CHANGES),
    Product("kijkglas-3", documents_3.TITLE, "Kijkglas 3 – groei (v)so", "landelijk, openbaar, en per SWV",
            SCHOOLJAAR, compute.kijkglas_3, documents_3.write_documents, documents_3.write_openbaar_documents,
            tables=("k3a", "k3b", "k3a_po", "k3a_vo", "k3b_po", "k3b_vo"), changes=documents_3.CHANGES),
    Product("kijkglas-4", documents_4.TITLE, "Kijkglas 4 – groei sbao", "",
            SCHOOLJAAR, compute.kijkglas_4, documents_4.write_documents, tables=("k4_sbao",), sectoren=("PO",),
            changes=documents_4.CHANGES, quick_compute=True),
    Product("kijkglas-5", documents_5.TITLE, "Kijkglas 5 – grensverkeer sbao", "over het vorige schooljaar",
            VORIG_SCHOOLJAAR, compute.kijkglas_5, documents_5.write_documents, tables=("k5_inkomend", "k5_uitgaand"),
            sectoren=("PO",), changes=documents_5.CHANGES, quick_compute=True),
)
NAMES: tuple[str, ...] = tuple(p.name for p in PRODUCTS)
_BY_NAME = {p.name: p for p in PRODUCTS}


def product(name: str) -> Product:
    """The product called `name`; ValueError names the known ones."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown product {name!r} (known: {', '.join(NAMES)})") from None
