"""Helpers every product shares: the SWV's identity, the Algemene gegevens block, which SWVs a
production is for, and the error a failed reconciliation raises."""
from __future__ import annotations

from core.dates import format_datum
from tasks.model import SwvInfo


class ReconciliationError(Exception):
    """Raised when two views of the same count disagree; the message names the differing cells."""


def swv_info(extract, swv_code: str) -> SwvInfo:
    r = extract.samenwerkingsverbanden.set_index("swv_code").loc[swv_code]

    def opt(v):
        return v if isinstance(v, str) else None
    return SwvInfo(swv_code=swv_code, naam=r["naam"], sector=r["sector"], adres=opt(r["adres"]),
                   postcode=opt(r["postcode"]), plaats=opt(r["plaats"]))


def selected_swvs(extract, swv_codes: list[str] | None = None, sector: str | None = None) -> list[str]:
    """The SWV codes a production is for: all (of `sector`), or those named; sorted."""
    swvs = extract.samenwerkingsverbanden
    if sector is not None:
        swvs = swvs[swvs["sector"] == sector]
    codes = sorted(swvs["swv_code"])
    return codes if swv_codes is None else [c for c in codes if c in set(swv_codes)]


ONBEKEND = "onbekend"


def algemene_gegevens(swv: SwvInfo, extra: list[tuple[str, str]], stand_per, aanmaakdatum,
                      stand_per_label: str = "Stand per") -> list[tuple[str, str]]:
    """The identifying block that heads every workbook and PDF of every product. An address the
    register does not hold reads "onbekend" (an empty row looks like a fault of the document);
    Kijkglas 3 names the stand per "Bijgewerkt tot", as the handleiding does."""
    plaats = " ".join(p for p in [swv.postcode, swv.plaats] if p)
    return ([("Administratienummer", swv.swv_code), ("Naam", swv.naam), ("Adres", swv.adres or ONBEKEND),
             ("Postcode en plaats", plaats or ONBEKEND)] + extra
            + [(stand_per_label, format_datum(stand_per)), ("Aanmaakdatum", format_datum(aanmaakdatum))])
