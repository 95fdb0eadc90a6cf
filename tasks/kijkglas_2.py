"""Kijkglas 2 — inschrijvingen (v)so: every registration of the schooljaar in validity periods.

Periods come from `rules.geldigheidsperioden` (the Kijkglas 1 rules evaluated over intervals).
Once 1 February is reached by the stand per, the periods that Kijkglas 3 counts carry the
Instroom / Uitstroom / Doorstroom marks; summed per SWV they must give Kijkglas 3 exactly.
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from kijkglas.settings import Settings
from tasks import rules
from tasks.kijkglas_1 import ReconciliationError, algemene_gegevens, fmt_datum, swv_info
from tasks.kijkglas_3 import k3_stromen, k3_tabel
from tasks.model import ProductResult

PRODUCT = "kijkglas-2"
COMMON = ["DUO-nummer leerling", "Vestiging", "Naam vestiging", "SWV deelname", "Naam SWV",
          "Begindatum inschrijving", "Einddatum inschrijving", "Voldoet bekost. criteria",
          "Begindatum geldigheid gegevens", "Einddatum geldigheid gegevens", "Instroom", "Uitstroom", "Doorstroom"]
BLOCK_COLUMNS = {
    "k2_tlv": COMMON + ["TLV nummer", "Begindatum TLV", "Einddatum TLV", "Bekostigingscategorie L/M/H", "TLV verloopt"],
    "k2_cvi": COMMON + ["CvI-nummer", "Soort indicatie", "Bekostigingscategorie L/M/H"],
    "k2_overig": COMMON + ["BSN (laatste 4)", "Kernsoort onderwijs", "Resid. leerling", "Bekostigingscategorie L/M/H"],
}
BLOCK_OF_SITUATIE = {"TLV": "k2_tlv", "CVI": "k2_cvi", "RP": "k2_overig", "GEEN_TLV": "k2_overig"}
DOORSTROOM = {"instroom": "Instroom van andere (v)so", "uitstroom": "Uitstroom naar andere (v)so"}


def marks_visible(stand_per: date, schooljaar: str) -> bool:
    """The marks appear once the stand per has reached 1 February of the schooljaar."""
    return pd.Timestamp(stand_per) >= rules.peildatum_groei(schooljaar)


def mark_periods(periods: pd.DataFrame, flows: pd.DataFrame) -> pd.DataFrame:
    """Put each Kijkglas 3 flow on the period of its registration that holds the flow's day."""
    out = periods.copy()
    for c in ["Instroom", "Uitstroom", "Doorstroom"]:
        out[c] = None
    if flows.empty:
        return out
    m = out[["inschrijving_id", "periode_begin", "periode_eind"]].reset_index(names="_p").merge(
        flows[["inschrijving_id", "dag", "deel", "richting"]], on="inschrijving_id")
    m = m[(m["periode_begin"] <= m["dag"]) & (m["dag"] <= m["periode_eind"])]
    a = m[m["deel"] == "3a"]
    out.loc[a.loc[a["richting"] == "instroom", "_p"], "Instroom"] = "J"
    out.loc[a.loc[a["richting"] == "uitstroom", "_p"], "Uitstroom"] = "J"
    b = m[m["deel"] == "3b"]
    out.loc[b["_p"], "Doorstroom"] = b["richting"].map(DOORSTROOM).to_numpy()
    return out


def tlv_verloopt(einddatum_tlv: pd.Series, stand_per: date) -> pd.Series:
    """J when the TLV ends on or before 31 July of the schooljaar containing the stand per."""
    _, end = rules.schooljaar_bounds(rules.schooljaar_of(pd.Timestamp(stand_per)))
    return pd.Series(None, index=einddatum_tlv.index, dtype=object).mask(einddatum_tlv <= end, "J")


def block_tables(p: pd.DataFrame, swv_namen: pd.Series, stand_per: date) -> dict[str, pd.DataFrame]:
    """Blocks 2.2 (TLV), 2.3 (CvI) and 2.4 (RP and tijdelijke plaatsing) of one SWV's periods."""
    common = pd.DataFrame({
        "DUO-nummer leerling": p["leerling_id"], "Vestiging": p["vestiging_code"],
        "Naam vestiging": p["vestiging_naam"], "SWV deelname": p["vestiging_swv"],
        "Naam SWV": p["vestiging_swv"].map(swv_namen), "Begindatum inschrijving": p["begindatum"],
        "Einddatum inschrijving": p["einddatum"], "Voldoet bekost. criteria": p["bekostigd"],
        "Begindatum geldigheid gegevens": p["periode_begin"], "Einddatum geldigheid gegevens": p["periode_eind"],
        "Instroom": p["Instroom"], "Uitstroom": p["Uitstroom"], "Doorstroom": p["Doorstroom"],
        "TLV nummer": p["tlv_nummer"], "Begindatum TLV": p["tlv_begindatum"], "Einddatum TLV": p["tlv_einddatum"],
        "TLV verloopt": tlv_verloopt(p["tlv_einddatum"], stand_per),
        "CvI-nummer": p["cvi_nummer"], "Soort indicatie": p["soort_indicatie"],
        "BSN (laatste 4)": p["bsn_laatste4"], "Kernsoort onderwijs": p["kernsoort"],
        "Resid. leerling": p["residentieel"].fillna("N"), "Bekostigingscategorie L/M/H": p["categorie"],
    })
    block = p["situatie"].map(BLOCK_OF_SITUATIE)
    out = {}
    for stem, cols in BLOCK_COLUMNS.items():
        t = common.loc[block == stem, cols]
        out[stem] = t.sort_values(["DUO-nummer leerling", "Begindatum geldigheid gegevens"], kind="stable").reset_index(drop=True)
    return out


def reconcile_marks(blocks_per_swv: dict[str, dict[str, pd.DataFrame]], k3_per_swv: dict[str, dict[str, pd.DataFrame]],
                    geboortedatum, schooljaar: str, sector_of: dict[str, str], settings: Settings) -> list[str]:
    """The K2 marks summed per SWV, BRIN, category and age give each SWV's K3a/K3b rows.
    `geboortedatum` maps a Series of pupil ids to their birth dates."""
    t = rules.schooljaar_start_year(schooljaar)
    problems = []
    for code, blocks in blocks_per_swv.items():
        rows = pd.concat([b[["DUO-nummer leerling", "Vestiging", "Bekostigingscategorie L/M/H", "Instroom",
                             "Uitstroom", "Doorstroom"]] for b in blocks.values()], ignore_index=True)
        age = rules.leeftijdscategorie(geboortedatum(rows["DUO-nummer leerling"]), t, settings)
        base = {"swv": code, "brin": rows["Vestiging"].str[:4], "categorie": rows["Bekostigingscategorie L/M/H"],
                "leeftijdscategorie": age}
        flows = pd.concat([
            pd.DataFrame(base).assign(deel="3a", richting="instroom")[rows["Instroom"].eq("J")],
            pd.DataFrame(base).assign(deel="3a", richting="uitstroom")[rows["Uitstroom"].eq("J")],
            pd.DataFrame(base).assign(deel="3b", richting="instroom")[rows["Doorstroom"].eq(DOORSTROOM["instroom"])],
            pd.DataFrame(base).assign(deel="3b", richting="uitstroom")[rows["Doorstroom"].eq(DOORSTROOM["uitstroom"])],
        ], ignore_index=True).assign(sector=sector_of[code])
        for part in ["a", "b"]:
            expected = k3_per_swv[code][f"k3{part}"].set_index(["SWV", "BRIN (v)so"])
            got = k3_tabel(flows, f"3{part}", sector_of[code]).set_index(["SWV", "BRIN (v)so"])
            got = got.reindex(index=got.index.union(expected.index), columns=expected.columns, fill_value=0)
            exp = expected.reindex(index=got.index, fill_value=0)
            for col in exp.columns:
                for key in exp.index[exp[col].ne(got[col])]:
                    problems.append(f"{code} k3{part}[{key[1]}, {col}]: Kijkglas 3 = {exp.at[key, col]}, "
                                    f"Kijkglas 2 = {got.at[key, col]}")
    return problems


def kijkglas_2(extract, schooljaar: str, aanmaakdatum: date, settings: Settings,
               swv_codes: list[str] | None = None) -> tuple[list[ProductResult], pd.DataFrame]:
    """Kijkglas 2 for every SWV (or those named); the marks reconciled with Kijkglas 3.
    Returns the products and the data-quality list (periods without a responsible SWV)."""
    periods = rules.geldigheidsperioden(extract, schooljaar, settings)
    periods["bsn_laatste4"] = rules.leerling_attribute(extract, periods["leerling_id"], "bsn_laatste4")
    with_marks = marks_visible(extract.stand_per, schooljaar)
    flows = k3_stromen(extract, schooljaar, settings) if with_marks else pd.DataFrame()
    periods = mark_periods(periods, flows) if with_marks else mark_periods(periods, pd.DataFrame())
    swv_namen = extract.samenwerkingsverbanden.set_index("swv_code")["naam"]
    by_swv = {k: g for k, g in periods.groupby("verantwoordelijk_swv")}
    codes = sorted(extract.samenwerkingsverbanden["swv_code"]) if swv_codes is None else sorted(swv_codes)
    results, blocks_per_swv = [], {}
    for code in codes:
        swv = swv_info(extract, code)
        blocks = block_tables(by_swv.get(code, periods.iloc[0:0]), swv_namen, extract.stand_per)
        blocks_per_swv[code] = blocks
        results.append(ProductResult(
            product=PRODUCT, swv=swv, schooljaar=schooljaar, period=schooljaar, stand_per=extract.stand_per,
            aanmaakdatum=aanmaakdatum, tables=blocks,
            algemene_gegevens=algemene_gegevens(swv, [("Schooljaar", schooljaar)], extract.stand_per, aanmaakdatum),
            extra={"marks_visible": with_marks}))
    if with_marks:
        from tasks.kijkglas_3 import national_tables
        national = national_tables(flows)
        sector_of = {r.swv.swv_code: r.swv.sector for r in results}
        k3_per_swv = {c: {p: national[f"k3{p[-1]}_{sector_of[c].lower()}"].pipe(lambda t: t[t["SWV"] == c])
                          for p in ["k3a", "k3b"]} for c in codes}
        problems = reconcile_marks(blocks_per_swv, k3_per_swv, lambda ids: rules.leerling_attribute(extract, ids, "geboortedatum"),
                                   schooljaar, sector_of, settings)
        if problems:
            raise ReconciliationError("Kijkglas 2 ↔ Kijkglas 3 reconciliatie mislukt:\n" + "\n".join(problems[:50]))
    geen = periods[periods["verantwoordelijk_swv"].isna()]
    kwaliteit = pd.DataFrame({"melding": "geen verantwoordelijk SWV (Kijkglas 2)", "leerling_id": geen["leerling_id"],
                              "inschrijving_id": geen["inschrijving_id"], "vestiging_code": geen["vestiging_code"],
                              "swv_code": geen["vestiging_swv"],
                              "toelichting": "periode " + geen["periode_begin"].dt.strftime("%d-%m-%Y") + " t/m "
                              + geen["periode_eind"].dt.strftime("%d-%m-%Y")})
    return results, kwaliteit
