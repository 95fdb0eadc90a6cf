"""Kijkglas 4 — groei sbao: per SBAO vestiging of a PO SWV, counted on 1-10-T and 1-2-(T+1)."""
from __future__ import annotations

from datetime import date

import pandas as pd

from core.settings import Settings
from tasks import rules
from tasks.common import selected_swvs, swv_info
from tasks.model import AlgemeneGegevens, ProductResult

PRODUCT = "kijkglas-4"


def sbao_groei(extract, schooljaar: str) -> pd.DataFrame:
    """Every SBAO vestiging with its counts on the teldatum and the peildatum, and the difference."""
    v = extract.vestigingen[extract.vestigingen["soort"] == "SBAO"]
    regs = extract.inschrijvingen[extract.inschrijvingen["vestiging_code"].isin(v["vestiging_code"])]
    oktober = regs[rules.is_counted(regs, rules.teldatum(schooljaar))]["vestiging_code"].value_counts()
    februari = regs[rules.is_counted(regs, rules.peildatum_groei(schooljaar))]["vestiging_code"].value_counts()
    out = pd.DataFrame({"swv_code": v["swv_code"], "Vestiging": v["vestiging_code"], "Naam vestiging": v["naam"]})
    out["Aantal 1 oktober"] = out["Vestiging"].map(oktober).fillna(0).astype("int64")
    out["Aantal 1 februari"] = out["Vestiging"].map(februari).fillna(0).astype("int64")
    out["Verschil"] = out["Aantal 1 februari"] - out["Aantal 1 oktober"]
    return out.sort_values("Vestiging").reset_index(drop=True)


def k4_tabel(groei_s: pd.DataFrame) -> pd.DataFrame:
    t = groei_s.drop(columns="swv_code").reset_index(drop=True)
    total = {"Vestiging": "Totaal", "Naam vestiging": None,
             **{c: int(t[c].sum()) for c in ["Aantal 1 oktober", "Aantal 1 februari", "Verschil"]}}
    return pd.concat([t, pd.DataFrame([total])], ignore_index=True)


def kijkglas_4(extract, schooljaar: str, aanmaakdatum: date, settings: Settings,
               swv_codes: list[str] | None = None) -> list[ProductResult]:
    groei = sbao_groei(extract, schooljaar)
    codes = selected_swvs(extract, swv_codes, sector="PO")
    ag = AlgemeneGegevens(teldatum=rules.teldatum(schooljaar).date(), peildatum=rules.peildatum_groei(schooljaar).date())
    results = []
    for code in codes:
        swv = swv_info(extract, code)
        results.append(ProductResult(
            product=PRODUCT, swv=swv, schooljaar=schooljaar, stand_per=extract.stand_per,
            aanmaakdatum=aanmaakdatum, tables={"k4_sbao": k4_tabel(groei[groei["swv_code"] == code])},
            algemene_gegevens=ag))
    return results
