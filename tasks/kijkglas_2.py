"""Kijkglas 2 — inschrijvingen (v)so: every registration of the schooljaar in validity periods.

Periods come from `rules.geldigheidsperioden` (the Kijkglas 1 rules evaluated over intervals).
Once 1 February is reached by the stand per, the periods that Kijkglas 3 counts carry the
Instroom / Uitstroom / Doorstroom marks; summed per SWV they must give Kijkglas 3 exactly.
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from core.settings import Settings
from tasks import rules
from tasks.common import ReconciliationError, selected_swvs, swv_info
from tasks.kijkglas_3 import k3_stromen, k3_tabel
from tasks.model import AlgemeneGegevens, ProductResult

PRODUCT = "kijkglas-2"
COMMON = ["DUO-nummer leerling", "Vestiging", "Naam vestiging", "SWV deelname", "Naam SWV",
          "Begindatum inschrijving", "Einddatum inschrijving", "Voldoet bekost. criteria",
          "Begindatum geldigheid gegevens", "Einddatum geldigheid gegevens", "Instroom", "Uitstroom", "Doorstroom"]
# Added after the contract's columns (issue 24), so that the existing ones keep their places: block 2.4
# the TLV of a pupil on a residential place who holds one (it decides the category and must be
# re-assessed like any other), every block the age category Kijkglas 3 splits the so by (`<8 of 8+`,
# as Kijkglas 1's bestand 2 heads it), so that 3a/3b can be rebuilt per pupil, split included.
LEEFTIJD = "<8 of 8+"
BLOCK_COLUMNS = {
    "k2_tlv": COMMON + ["TLV nummer", "Begindatum TLV", "Einddatum TLV", "Bekostigingscategorie L/M/H", "TLV verloopt",
                        LEEFTIJD],
    "k2_cvi": COMMON + ["CvI-nummer", "Soort indicatie", "Bekostigingscategorie L/M/H", LEEFTIJD],
    "k2_overig": COMMON + ["BSN (laatste 4)", "Kernsoort onderwijs", "Resid. leerling", "Bekostigingscategorie L/M/H",
                           "TLV nummer", "Einddatum TLV", "TLV verloopt", LEEFTIJD],
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


def block_tables_all(p: pd.DataFrame, swv_namen: pd.Series, stand_per: date,
                     codes: list[str]) -> dict[str, dict[str, pd.DataFrame]]:
    """Blocks 2.2 (TLV), 2.3 (CvI) and 2.4 (RP and tijdelijke plaatsing) of every SWV in `codes`,
    built once for all periods and split by responsible SWV."""
    common = pd.DataFrame({
        "_swv": p["verantwoordelijk_swv"],
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
        LEEFTIJD: p["leeftijdscategorie"],
    }).sort_values(["_swv", "DUO-nummer leerling", "Begindatum geldigheid gegevens"], kind="stable")
    owner = common.pop("_swv")
    block = p["situatie"].map(BLOCK_OF_SITUATIE).reindex(common.index)
    out = {c: {} for c in codes}
    for stem, cols in BLOCK_COLUMNS.items():
        t = common.loc[block == stem, cols]
        parts = dict(tuple(t.groupby(owner[block == stem], sort=False)))
        for c in codes:
            out[c][stem] = parts[c].reset_index(drop=True) if c in parts else t.iloc[0:0].reset_index(drop=True)
    return out


def marks_as_flows(blocks_per_swv: dict[str, dict[str, pd.DataFrame]], sector_of: dict[str, str]) -> pd.DataFrame:
    """The Instroom/Uitstroom/Doorstroom marks of all SWVs' Kijkglas 2, as Kijkglas 3 flows: from
    the blocks' own columns only (the age category too), as an SWV can rebuild them from its files."""
    rows = pd.concat([b[["DUO-nummer leerling", "Vestiging", "Bekostigingscategorie L/M/H", "Instroom", "Uitstroom",
                         "Doorstroom", LEEFTIJD]].assign(swv=code)
                      for code, blocks in blocks_per_swv.items() for b in blocks.values()], ignore_index=True)
    rows = rows[rows["Instroom"].notna() | rows["Uitstroom"].notna() | rows["Doorstroom"].notna()]
    base = pd.DataFrame({"swv": rows["swv"], "brin": rows["Vestiging"].str[:4],
                         "categorie": rows["Bekostigingscategorie L/M/H"], "leeftijdscategorie": rows[LEEFTIJD],
                         "sector": rows["swv"].map(sector_of)})
    return pd.concat([
        base[rows["Instroom"].eq("J")].assign(deel="3a", richting="instroom"),
        base[rows["Uitstroom"].eq("J")].assign(deel="3a", richting="uitstroom"),
        base[rows["Doorstroom"].eq(DOORSTROOM["instroom"])].assign(deel="3b", richting="instroom"),
        base[rows["Doorstroom"].eq(DOORSTROOM["uitstroom"])].assign(deel="3b", richting="uitstroom"),
    ], ignore_index=True)


def reconcile_marks(blocks_per_swv: dict[str, dict[str, pd.DataFrame]], k3_per_swv: dict[str, dict[str, pd.DataFrame]],
                    sector_of: dict[str, str]) -> list[str]:
    """The K2 marks summed per SWV, BRIN, category and age (K2's own `<8 of 8+` column) give each
    SWV's K3a/K3b rows."""
    flows = marks_as_flows(blocks_per_swv, sector_of)
    problems = []
    for part in ["a", "b"]:
        for sector in ["PO", "VO"]:
            codes = [c for c in blocks_per_swv if sector_of[c] == sector]
            if not codes:
                continue
            expected = pd.concat([k3_per_swv[c][f"k3{part}"] for c in codes]).set_index(["SWV", "BRIN (v)so"])
            got = k3_tabel(flows, f"3{part}", sector).set_index(["SWV", "BRIN (v)so"])
            index = got.index.union(expected.index)
            got = got.reindex(index=index, columns=expected.columns, fill_value=0)
            exp = expected.reindex(index=index, fill_value=0)
            bad = exp.ne(got)
            for swv, brin, col in bad[bad].stack().index:
                problems.append(f"{swv} k3{part}[{brin}, {col}]: Kijkglas 3 = {exp.at[(swv, brin), col]}, "
                                f"Kijkglas 2 = {got.at[(swv, brin), col]}")
    return problems


def kijkglas_2(extract, schooljaar: str, aanmaakdatum: date, settings: Settings,
               swv_codes: list[str] | None = None, flows: pd.DataFrame | None = None,
               only_flowing: bool = False) -> tuple[list[ProductResult], pd.DataFrame]:
    """Kijkglas 2 for every SWV (or those named); the marks reconciled with Kijkglas 3.
    Returns the products and the data-quality list (periods without a responsible SWV).
    `flows` may be passed when Kijkglas 3 was already computed; `only_flowing` limits the
    periods to the registrations that flow (enough for the reconciliation alone)."""
    with_marks = marks_visible(extract.stand_per, schooljaar)
    if with_marks and flows is None:
        flows = k3_stromen(extract, schooljaar, settings)
    ids = set(flows["inschrijving_id"]) if (only_flowing and flows is not None) else None
    periods = rules.geldigheidsperioden(extract, schooljaar, settings, inschrijving_ids=ids)
    pupils = rules.leerling_attributes(extract, periods["leerling_id"], ["bsn_laatste4", "geboortedatum"])
    periods["bsn_laatste4"] = pupils["bsn_laatste4"]
    # the age category on the date the rules give the schooljaar's count (31-12-T), as Kijkglas 3 uses it
    periods["leeftijdscategorie"] = rules.leeftijdscategorie(pupils["geboortedatum"],
                                                             rules.schooljaar_start_year(schooljaar), settings)
    periods = mark_periods(periods, flows if with_marks else pd.DataFrame())
    swv_namen = extract.samenwerkingsverbanden.set_index("swv_code")["naam"]
    codes = selected_swvs(extract, swv_codes)
    blocks_per_swv = block_tables_all(periods, swv_namen, extract.stand_per, codes)
    results = []
    for code in codes:
        swv = swv_info(extract, code)
        results.append(ProductResult(
            product=PRODUCT, swv=swv, schooljaar=schooljaar, stand_per=extract.stand_per,
            aanmaakdatum=aanmaakdatum, tables=blocks_per_swv[code],
            algemene_gegevens=AlgemeneGegevens(schooljaar=schooljaar), marks_visible=with_marks))
    if with_marks:
        from tasks.kijkglas_3 import national_tables
        national = national_tables(flows)
        sector_of = {r.swv.swv_code: r.swv.sector for r in results}
        k3_per_swv = {c: {p: national[f"k3{p[-1]}_{sector_of[c].lower()}"].pipe(lambda t: t[t["SWV"] == c])
                          for p in ["k3a", "k3b"]} for c in codes}
        problems = reconcile_marks(blocks_per_swv, k3_per_swv, sector_of)
        if problems:
            raise ReconciliationError("Kijkglas 2 ↔ Kijkglas 3 reconciliatie mislukt:\n" + "\n".join(problems[:50]))
    geen = periods[periods["verantwoordelijk_swv"].isna()]
    kwaliteit = pd.DataFrame({"melding": "geen verantwoordelijk SWV (Kijkglas 2)", "leerling_id": geen["leerling_id"],
                              "inschrijving_id": geen["inschrijving_id"], "vestiging_code": geen["vestiging_code"],
                              "swv_code": geen["vestiging_swv"],
                              "toelichting": "periode " + geen["periode_begin"].dt.strftime("%d-%m-%Y") + " t/m "
                              + geen["periode_eind"].dt.strftime("%d-%m-%Y")})
    return results, kwaliteit
