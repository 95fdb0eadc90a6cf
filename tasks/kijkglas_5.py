"""Kijkglas 5 — grensverkeer sbao: pupils who started in an SBAO of another SWV than their bao's."""
from __future__ import annotations

from datetime import date

import pandas as pd

from core.settings import Settings
from tasks import rules
from tasks.common import selected_swvs, swv_info
from tasks.model import AlgemeneGegevens, ProductResult

PRODUCT = "kijkglas-5"
TLV_SINDS = pd.Timestamp("2014-08-01")  # the new SWVs exist from 1-8-2014; older TLVs never count
INKOMEND = ["Laatste 4 cijfers bsn", "Sbao-vestiging", "Begindatum inschrijving", "Einddatum inschrijving",
            "Afkomstig van bao", "SWV bao vestiging", "Bek 1/10"]
UITGAAND = ["Laatste 4 cijfers bsn", "Sbao-vestiging", "SWV sbao vestiging", "Begindatum inschrijving",
            "Einddatum inschrijving", "Afkomstig van bao-vestiging", "Bek 1/10"]


def grensverkeer(extract, schooljaar: str) -> pd.DataFrame:
    """The cases: SBAO registration r begun in the schooljaar; the pupil's latest BAO registration b
    begun before r lies in another SWV; and an SBAO TLV of b's SWV (afgifte ≥ 1-8-2014) is valid on
    r's begindatum. One row per case with both SWVs."""
    s0, s1 = rules.schooljaar_bounds(schooljaar)
    regs = rules.with_vestiging(extract.inschrijvingen, extract.vestigingen)
    r = regs[(regs["soort"] == "SBAO") & regs["begindatum"].between(s0, s1)]
    bao = regs.loc[(regs["soort"] == "BAO") & regs["leerling_id"].isin(r["leerling_id"]),
                   ["leerling_id", "vestiging_code", "vestiging_swv", "begindatum"]]
    left = r.reset_index(drop=True).sort_values("begindatum", kind="stable")
    right = bao.rename(columns={"vestiging_code": "bao_vestiging", "vestiging_swv": "bao_swv",
                                "begindatum": "bao_begindatum"}).sort_values("bao_begindatum", kind="stable")
    m = pd.merge_asof(left, right, left_on="begindatum", right_on="bao_begindatum", by="leerling_id",
                      allow_exact_matches=False, direction="backward")
    m = m[m["bao_swv"].notna() & (m["bao_swv"] != m["vestiging_swv"])]
    tlv = extract.tlv[(extract.tlv["soort"] == "SBAO") & (extract.tlv["afgiftedatum"] >= TLV_SINDS)]
    t = m[["inschrijving_id", "leerling_id", "bao_swv", "begindatum"]].merge(
        tlv[["leerling_id", "swv_code", "begindatum", "einddatum"]], left_on=["leerling_id", "bao_swv"],
        right_on=["leerling_id", "swv_code"], suffixes=("", "_tlv"))
    valid = (t["begindatum_tlv"] <= t["begindatum"]) & (t["einddatum"].isna() | (t["begindatum"] <= t["einddatum"]))
    m = m[m["inschrijving_id"].isin(t.loc[valid, "inschrijving_id"])].copy()
    m["bek_1_10"] = rules.is_counted(m, rules.teldatum(schooljaar)).map({True: "J", False: "N"})
    m["bsn_laatste4"] = rules.leerling_attribute(extract, m["leerling_id"], "bsn_laatste4")
    return m.sort_values(["vestiging_code", "begindatum", "leerling_id"], kind="stable").reset_index(drop=True)


def inkomend(cases: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"Laatste 4 cijfers bsn": cases["bsn_laatste4"], "Sbao-vestiging": cases["vestiging_code"],
                         "Begindatum inschrijving": cases["begindatum"], "Einddatum inschrijving": cases["einddatum"],
                         "Afkomstig van bao": cases["bao_vestiging"], "SWV bao vestiging": cases["bao_swv"],
                         "Bek 1/10": cases["bek_1_10"]}, columns=INKOMEND).reset_index(drop=True)


def uitgaand(cases: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"Laatste 4 cijfers bsn": cases["bsn_laatste4"], "Sbao-vestiging": cases["vestiging_code"],
                         "SWV sbao vestiging": cases["vestiging_swv"], "Begindatum inschrijving": cases["begindatum"],
                         "Einddatum inschrijving": cases["einddatum"], "Afkomstig van bao-vestiging": cases["bao_vestiging"],
                         "Bek 1/10": cases["bek_1_10"]}, columns=UITGAAND).reset_index(drop=True)


def kijkglas_5(extract, schooljaar: str, aanmaakdatum: date, settings: Settings,
               swv_codes: list[str] | None = None) -> list[ProductResult]:
    """Per PO SWV: the incoming block (cases at its sbao) and the outgoing block (cases from its bao)."""
    cases = grensverkeer(extract, schooljaar)
    codes = selected_swvs(extract, swv_codes, sector="PO")
    results = []
    for code in codes:
        swv = swv_info(extract, code)
        results.append(ProductResult(
            product=PRODUCT, swv=swv, schooljaar=schooljaar, stand_per=extract.stand_per,
            aanmaakdatum=aanmaakdatum,
            tables={"k5_inkomend": inkomend(cases[cases["vestiging_swv"] == code]),
                    "k5_uitgaand": uitgaand(cases[cases["bao_swv"] == code])},
            algemene_gegevens=AlgemeneGegevens(schooljaar=schooljaar)))
    return results
