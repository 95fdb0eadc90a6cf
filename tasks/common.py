"""Helpers every product shares: the SWV's identity, which SWVs a production is for, and the error a
failed reconciliation raises."""
from __future__ import annotations

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

