"""Kijkglas 3 — groei (v)so: flows between 1 October and 1 February, per (SWV, BRIN).

The position of a pupil in a sector on a day is (responsible SWV, BRIN, category, age) of the
counted (v)so registration of that sector. Comparing p0 (1-10-T) with p1 (1-2-T+1) gives the
3a (in/out of the (v)so) and 3b (between (v)so schools of the same sector) flows.
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from core.settings import Settings
from tasks import rules
from tasks.model import AlgemeneGegevens, ProductResult

PRODUCT = "kijkglas-3"
FLOW_COLUMNS = ["deel", "richting", "sector", "swv", "brin", "categorie", "leeftijdscategorie",
                "leerling_id", "inschrijving_id", "dag"]
DELEN = {"3a": "in- en uitstroom in het (v)so",
         "3b": "instroom van / uitstroom naar andere (v)so, zelfde sector"}


def posities(extract, dag: pd.Timestamp, leeftijd_jaar: int, settings: Settings) -> pd.DataFrame:
    """Each counted (v)so registration on `dag` as a position; `swv` is NaN for a registration
    without responsible SWV, which has no position (see `with_position`)."""
    c = rules.counted_vso_on(extract, dag, settings, leeftijd_jaar=leeftijd_jaar)
    return pd.DataFrame({
        "leerling_id": c["leerling_id"], "sector": c["sector"], "swv": c["verantwoordelijk_swv"],
        "brin": c["vestiging_code"].str[:4], "categorie": c["categorie"],
        "leeftijdscategorie": c["leeftijdscategorie"], "inschrijving_id": c["inschrijving_id"], "dag": dag,
    }).reset_index(drop=True)


def groei_stromen(p0: pd.DataFrame, p1: pd.DataFrame) -> pd.DataFrame:
    """none→p1: 3a instroom at p1; p0→none: 3a uitstroom at p0; other (SWV, BRIN): 3b uit at p0
    and 3b in at p1; same (SWV, BRIN): nothing, whatever the category did."""
    m = p0.merge(p1, on=["leerling_id", "sector"], how="outer", suffixes=("_0", "_1"), indicator=True)
    moved = (m["_merge"] == "both") & ((m["swv_0"] != m["swv_1"]) | (m["brin_0"] != m["brin_1"]))

    def at(mask, end, deel, richting):
        part = m[mask]
        cols = {c: part[f"{c}_{end}"] for c in ["swv", "brin", "categorie", "leeftijdscategorie", "inschrijving_id", "dag"]}
        return pd.DataFrame({"deel": deel, "richting": richting, "sector": part["sector"],
                             "leerling_id": part["leerling_id"], **cols})

    flows = pd.concat([
        at(m["_merge"] == "right_only", 1, "3a", "instroom"),
        at(m["_merge"] == "left_only", 0, "3a", "uitstroom"),
        at(moved, 1, "3b", "instroom"),
        at(moved, 0, "3b", "uitstroom"),
    ], ignore_index=True)
    return flows[FLOW_COLUMNS].sort_values(["deel", "sector", "swv", "brin", "leerling_id", "richting"],
                                           kind="stable").reset_index(drop=True)


def with_position(p: pd.DataFrame) -> pd.DataFrame:
    return p[p["swv"].notna()]


def k3_posities(extract, schooljaar: str, settings: Settings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Counted (v)so registrations on 1-10-T and on 1-2-(T+1), age as of 31-12-T for both.

    The answer is kept with the extract (Extract.derived, per schooljaar; callers only read it): on an
    April day Kijkglas 2 reconciles its marks with the very flows Kijkglas 3 then counts, on the same
    extract."""
    kept = extract.derived.get(("k3_posities", schooljaar))
    if kept is not None and kept[0] == settings:
        return kept[1]
    t = rules.schooljaar_start_year(schooljaar)
    both = (posities(extract, rules.teldatum(schooljaar), t, settings),
            posities(extract, rules.peildatum_groei(schooljaar), t, settings))
    extract.derived[("k3_posities", schooljaar)] = (settings, both)
    return both


def k3_stromen(extract, schooljaar: str, settings: Settings) -> pd.DataFrame:
    p0, p1 = k3_posities(extract, schooljaar, settings)
    return groei_stromen(with_position(p0), with_position(p1))


def kwaliteit_k3(p0: pd.DataFrame, p1: pd.DataFrame) -> pd.DataFrame:
    """Counted registrations without responsible SWV on either day: no position, so no growth."""
    geen = pd.concat([p0[p0["swv"].isna()], p1[p1["swv"].isna()]], ignore_index=True)
    return pd.DataFrame({"melding": "geen verantwoordelijk SWV (Kijkglas 3)", "leerling_id": geen["leerling_id"],
                         "inschrijving_id": geen["inschrijving_id"], "vestiging_code": None, "swv_code": None,
                         "toelichting": "geteld op " + geen["dag"].dt.strftime("%d-%m-%Y") + ", BRIN " + geen["brin"]})


def count_columns(sector: str) -> list[str]:
    """Columns C–R (PO, with age) or C–J (VO) of the berekeningsmodule contract, in order."""
    ages = ["<8 ", "8+ "] if sector == "PO" else [""]
    return [f"{r} {a}{c}" for a in ages for r in ["Instroom", "Uitstroom"] for c in ["L", "M", "H", "Totaal"]]


def k3_tabel(flows: pd.DataFrame, deel: str, sector: str) -> pd.DataFrame:
    """One row per (SWV, BRIN) with any flow of this part and sector, sorted by SWV then BRIN."""
    f = flows[(flows["deel"] == deel) & (flows["sector"] == sector)]
    richting = f["richting"].str.capitalize()
    age = (f["leeftijdscategorie"] + " ") if sector == "PO" else ""
    col = richting + " " + age + f["categorie"]
    t = (pd.DataFrame({"SWV": f["swv"], "BRIN (v)so": f["brin"], "col": col})
         .groupby(["SWV", "BRIN (v)so", "col"]).size().unstack("col", fill_value=0))
    columns = count_columns(sector)
    t = t.reindex(columns=columns, fill_value=0).fillna(0).astype("int64")
    for total in [c for c in columns if c.endswith("Totaal")]:
        parts = [total[: -len("Totaal")] + x for x in "LMH"]
        t[total] = t[parts].sum(axis=1)
    return t.sort_index().reset_index().rename_axis(columns=None)


def national_tables(flows: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {f"k3{d[-1]}_{s.lower()}": k3_tabel(flows, d, s) for d in ["3a", "3b"] for s in ["PO", "VO"]}


def kijkglas_3(extract, schooljaar: str, aanmaakdatum: date, settings: Settings,
               swv_codes: list[str] | None = None) -> tuple[ProductResult, list[ProductResult], pd.DataFrame, pd.DataFrame]:
    """The national Kijkglas 3 (openbaar) and each SWV's own rows; also returns the flows
    (one row per pupil movement) for the Kijkglas 2 marks and the reconciliation, and the
    data-quality list."""
    from tasks.common import selected_swvs, swv_info

    p0, p1 = k3_posities(extract, schooljaar, settings)
    flows = groei_stromen(with_position(p0), with_position(p1))
    national = national_tables(flows)
    ag = AlgemeneGegevens(schooljaar=schooljaar, peildatum=rules.peildatum_groei(schooljaar).date())
    openbaar = ProductResult(product=PRODUCT, swv=None, schooljaar=schooljaar,
                             stand_per=extract.stand_per, aanmaakdatum=aanmaakdatum, tables=national,
                             algemene_gegevens=ag)
    codes = selected_swvs(extract, swv_codes)
    per_swv = []
    for code in codes:
        swv = swv_info(extract, code)
        s = swv.sector.lower()
        tables = {f"k3{p}": national[f"k3{p}_{s}"][national[f"k3{p}_{s}"]["SWV"] == code].reset_index(drop=True)
                  for p in ["a", "b"]}
        per_swv.append(ProductResult(
            product=PRODUCT, swv=swv, schooljaar=schooljaar, stand_per=extract.stand_per,
            aanmaakdatum=aanmaakdatum, tables=tables, algemene_gegevens=ag))
    return openbaar, per_swv, flows, kwaliteit_k3(p0, p1)
