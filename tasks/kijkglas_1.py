"""Kijkglas 1 — onderbouwing bekostiging: bestand 1 and bestand 2 per SWV, reconciled.

The national work (evaluating the rules for every registration on the teldatum) is done once
in `k1_basis`; the per-SWV tables are cheap selections of it. Table and column names are the
CSV tables of ../shared/spec/outputs.md.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd

from core.settings import Settings
from schemas.models import SO_VSO
from tasks import rules
from tasks.common import ReconciliationError, selected_swvs, swv_info
from tasks.model import AlgemeneGegevens, ProductResult

PRODUCT = "kijkglas-1"
CAT_LABEL = {"L": "Laag", "M": "Midden", "H": "Hoog"}
COUNT_COLUMNS = [f"{CAT_LABEL[c]} {a}" for c in rules.CATEGORIEEN for a in rules.LEEFTIJDEN]
VESTIGING_GROUPS = {"TLV": "TLV", "RP": "RP", "CVI": "Geen TLV niet RP", "GEEN_TLV": "Geen TLV niet RP"}
VESTIGING_COLUMNS = [f"{g} SWV {c} {a}" for g in ["TLV", "RP", "Geen TLV niet RP"]
                     for c in rules.CATEGORIEEN for a in rules.LEEFTIJDEN]
GROEP = {"TLV": "TLV", "RP": "RP", "GEEN_TLV": "Tijdelijke plaatsing", "CVI": "CvI"}
GROEP_ORDER = ["TLV", "RP", "Tijdelijke plaatsing", "CvI"]
DEELNEMEND, NIET_DEELNEMEND, TOTAAL = "Deelnemende (V)SO", "Niet deelnemende (V)SO", "Totaal"
INSCHRIJVING_COLUMNS = [
    "Groep", "TLV-nummer / CvI-nummer / BSN", "DUO-nummer leerling", "Vestiging", "Naam vestiging",
    "SWV vestiging", "Naam SWV", "<8 of 8+", "Begindatum inschrijving", "Einddatum inschrijving",
    "Begindatum TLV", "Einddatum TLV", "Kernsoort onderwijs", "Soort indicatie",
    "Bekostigingscategorie L/M/H", "Residentiële leerling",
]
# k1_bekostiging: the funding block of Algemene gegevens as a table of its own, so that a new fixing
# changes the content key (a new version) even when the counts stay the same
BEKOSTIGING_COLUMNS = ["Onderdeel", "Bedrag", "Vastgesteld op"]


@dataclass
class K1Basis:
    schooljaar: str
    teldatum: pd.Timestamp
    stand_per: date
    vso: pd.DataFrame        # (v)so registrations counted on the teldatum, with their state
    regulier: pd.DataFrame   # bao/sbao/vo registrations counted on the teldatum
    kwaliteit: pd.DataFrame  # data-quality list for the operator


# --- national evaluation -------------------------------------------------------------------

def counted_regulier_on(extract, dag: pd.Timestamp) -> pd.DataFrame:
    """bao, sbao and vo registrations counted on `dag`, with the vestiging's soort and SWV."""
    regs = extract.inschrijvingen
    regs = regs.loc[rules.is_counted(regs, dag), ["inschrijving_id", "leerling_id", "vestiging_code", "vavo", "lwoo", "pro"]]
    regs = rules.with_vestiging(regs, extract.vestigingen)
    return regs[regs["soort"].isin(["BAO", "SBAO", "VO"])]


def kwaliteit_k1(vso: pd.DataFrame, extract) -> pd.DataFrame:
    """Valid-but-incomplete data the operator should see (input-contract "Bad input")."""
    rows = []
    geen = vso[vso["verantwoordelijk_swv"].isna()]
    for r in geen.itertuples():  # few rows by nature
        rows.append({"melding": "geen verantwoordelijk SWV", "leerling_id": r.leerling_id,
                     "inschrijving_id": r.inschrijving_id, "vestiging_code": r.vestiging_code,
                     "swv_code": r.vestiging_swv,
                     "toelichting": f"situatie {r.situatie}; postcode {r.pc4_woonadres if isinstance(r.pc4_woonadres, str) else 'onbekend'}"})
    v = extract.vestigingen
    vso_swvs = v.loc[v["soort"].isin(SO_VSO), ["vestiging_code", "swv_code"]]
    no_tlv = vso_swvs[~vso_swvs["swv_code"].isin(extract.tlv["swv_code"])]
    for r in no_tlv.itertuples():
        rows.append({"melding": "SWV van (v)so-vestiging heeft geen TLV afgegeven", "leerling_id": None,
                     "inschrijving_id": None, "vestiging_code": r.vestiging_code, "swv_code": r.swv_code,
                     "toelichting": ""})
    return pd.DataFrame(rows, columns=["melding", "leerling_id", "inschrijving_id", "vestiging_code", "swv_code", "toelichting"])


def k1_basis(extract, schooljaar: str, settings: Settings) -> K1Basis:
    dag = rules.teldatum(schooljaar)
    vso = rules.counted_vso_on(extract, dag, settings)
    return K1Basis(schooljaar=schooljaar, teldatum=dag, stand_per=extract.stand_per, vso=vso,
                   regulier=counted_regulier_on(extract, dag), kwaliteit=kwaliteit_k1(vso, extract))


# --- count tables: computed for all SWVs at once, then sliced per SWV ----------------------
# Each *_wide function takes a frame with one row per registration and returns the counts of
# every SWV in `codes` as one frame indexed by (swv, row label), zeros included.

def _wide(f: pd.DataFrame, columns: list[str], rows_of, codes: list[str]) -> pd.DataFrame:
    """Count `f` (columns swv, row, col) per (swv, row) × col; every (swv, row) of rows_of(swv)."""
    counts = f.groupby(["swv", "row", "col"]).size().unstack("col", fill_value=0)
    index = pd.MultiIndex.from_tuples([(c, r) for c in codes for r in rows_of(c)], names=["swv", "row"])
    return counts.reindex(index=index, columns=columns, fill_value=0).astype("int64")


def swv_tables(wide: pd.DataFrame, first: str) -> dict[str, pd.DataFrame]:
    """Every SWV's rows of a wide table, each with its Totaal row and column."""
    full = with_totals_wide(wide)
    order = full.index.get_level_values("swv").map({c: i for i, c in enumerate(dict.fromkeys(wide.index.get_level_values("swv")))})
    full = full.iloc[np.argsort(order.to_numpy(), kind="stable")]
    return {code: t.droplevel("swv").rename_axis(index=first, columns=None).reset_index()
            for code, t in full.groupby(level="swv", sort=False)}


def _cat_age(frame: pd.DataFrame) -> pd.Series:
    return frame["categorie"].map(CAT_LABEL) + " " + frame["leeftijdscategorie"]


def vso_totalen_wide(vso: pd.DataFrame, codes: list[str]) -> pd.DataFrame:
    """(v)so table: registrations by responsible SWV, deelnemend or not, by category × age."""
    own = rules.deelnemend(vso["vestiging_swv"], vso["verantwoordelijk_swv"])
    f = pd.DataFrame({"swv": vso["verantwoordelijk_swv"], "row": own.map({True: DEELNEMEND, False: NIET_DEELNEMEND}),
                      "col": _cat_age(vso)})
    return _wide(f, COUNT_COLUMNS, lambda c: [DEELNEMEND, NIET_DEELNEMEND], codes)


def tlv_wide(vso: pd.DataFrame, codes: list[str]) -> pd.DataFrame:
    """TLV table: counted registrations at an SWV's own (v)so vestigingen with a TLV in force,
    split by whether that SWV issued it."""
    t = vso[vso["tlv_nummer"].notna()]
    eigen = (t["tlv_swv"] == t["vestiging_swv"]).map({True: "TLV eigen SWV", False: "TLV ander SWV"})
    f = pd.DataFrame({"swv": t["vestiging_swv"], "row": eigen, "col": _cat_age(t)})
    return _wide(f, COUNT_COLUMNS, lambda c: ["TLV eigen SWV", "TLV ander SWV"], codes)


def per_vestiging_wide(vso: pd.DataFrame, codes: list[str], eigen_vestigingen: dict[str, list[str]]) -> pd.DataFrame:
    """Per vestiging: a row per own (v)so vestiging (zeros too) and one for all others together."""
    own = rules.deelnemend(vso["vestiging_swv"], vso["verantwoordelijk_swv"])
    f = pd.DataFrame({
        "swv": vso["verantwoordelijk_swv"], "row": vso["vestiging_code"].where(own, NIET_DEELNEMEND),
        "col": vso["situatie"].map(VESTIGING_GROUPS) + " SWV " + vso["categorie"] + " " + vso["leeftijdscategorie"],
    })
    return _wide(f, VESTIGING_COLUMNS, lambda c: sorted(eigen_vestigingen.get(c, [])) + [NIET_DEELNEMEND], codes)


def inschrijvingen_tabel(vso: pd.DataFrame, swv_namen: pd.Series) -> pd.DataFrame:
    """Bestand 2: one row per registration of the (v)so table, in the four groups; column `_swv`
    holds the responsible SWV (whose bestand 2 the row belongs to)."""
    s = vso
    groep = s["situatie"].map(GROEP)
    eerste = s["bsn_laatste4"].where(s["tlv_nummer"].isna(), s["tlv_nummer"])
    eerste = eerste.where(s["situatie"] != "CVI", s["cvi_nummer"])
    out = pd.DataFrame({
        "_swv": s["verantwoordelijk_swv"],
        "Groep": groep,
        "TLV-nummer / CvI-nummer / BSN": eerste,
        "DUO-nummer leerling": s["leerling_id"],
        "Vestiging": s["vestiging_code"],
        "Naam vestiging": s["vestiging_naam"],
        "SWV vestiging": s["vestiging_swv"],
        "Naam SWV": s["vestiging_swv"].map(swv_namen),
        "<8 of 8+": s["leeftijdscategorie"],
        "Begindatum inschrijving": s["begindatum"],
        "Einddatum inschrijving": s["einddatum"],
        "Begindatum TLV": s["tlv_begindatum"],
        "Einddatum TLV": s["tlv_einddatum"],
        "Kernsoort onderwijs": s["kernsoort"],
        "Soort indicatie": s["soort_indicatie"].where(s["situatie"] == "CVI"),
        "Bekostigingscategorie L/M/H": s["categorie"],
        "Residentiële leerling": s["residentieel"].fillna("N"),
    })
    out["_g"] = out["Groep"].map({g: i for i, g in enumerate(GROEP_ORDER)})
    out = out.sort_values(["_swv", "_g", "DUO-nummer leerling", "Begindatum inschrijving"], kind="stable")
    return out.drop(columns="_g").reset_index(drop=True)


# --- reconciliation ------------------------------------------------------------------------

def with_totals_wide(wide: pd.DataFrame) -> pd.DataFrame:
    """Add each SWV's Totaal row and the Totaal column to a wide table (vectorised)."""
    tot = wide.groupby(level="swv", sort=False).sum()
    tot.index = pd.MultiIndex.from_arrays([tot.index, [TOTAAL] * len(tot)], names=["swv", "row"])
    full = pd.concat([wide, tot])
    full[TOTAAL] = full.sum(axis=1)
    return full


def _stacked(tables_per_swv: dict[str, dict[str, pd.DataFrame]], stem: str) -> pd.DataFrame:
    """The published tables of every SWV as one frame indexed by (swv, row label)."""
    parts = {c: t[stem].set_index(t[stem].columns[0]) for c, t in tables_per_swv.items()}
    out = pd.concat(parts, names=["swv", "row"])
    return out


def _diff_cells(stem: str, published: pd.DataFrame, regrouped: pd.DataFrame) -> list[str]:
    a = regrouped.reindex(index=published.index, columns=published.columns)
    bad = published.ne(a)
    diffs = []
    for swv, row, col in bad[bad].stack().index:
        diffs.append(f"{swv}: {stem}[{row}, {col}]: bestand 1 = {published.at[(swv, row), col]}, "
                     f"bestand 2 = {a.at[(swv, row), col]}")
    return diffs


def regroup_bestand_2(tables_per_swv: dict[str, dict[str, pd.DataFrame]]) -> pd.DataFrame:
    """Bestand 2 of every SWV back into registrations with situation, category, age and SWVs."""
    b2 = pd.concat([t["k1_inschrijvingen"].assign(_swv=c) for c, t in tables_per_swv.items()], ignore_index=True)
    return pd.DataFrame({
        "verantwoordelijk_swv": b2["_swv"], "vestiging_swv": b2["SWV vestiging"], "vestiging_code": b2["Vestiging"],
        "situatie": b2["Groep"].map({v: k for k, v in GROEP.items()}),
        "categorie": b2["Bekostigingscategorie L/M/H"], "leeftijdscategorie": b2["<8 of 8+"],
    })


def reconcile_bestand_2(tables_per_swv: dict[str, dict[str, pd.DataFrame]]) -> list[str]:
    """Regroup bestand 2 by situation, category, age and deelnemend; it must give bestand 1,
    for every SWV and cell (the (v)so table and the per-vestiging table, totals included)."""
    if not tables_per_swv:
        return []
    codes = list(tables_per_swv)
    regrouped = regroup_bestand_2(tables_per_swv)
    eigen = {c: [v for v in t["k1_per_vestiging"]["Vestiging"] if v not in (NIET_DEELNEMEND, TOTAAL)]
             for c, t in tables_per_swv.items()}
    return (_diff_cells("k1_vso_totalen", _stacked(tables_per_swv, "k1_vso_totalen"),
                        with_totals_wide(vso_totalen_wide(regrouped, codes)))
            + _diff_cells("k1_per_vestiging", _stacked(tables_per_swv, "k1_per_vestiging"),
                          with_totals_wide(per_vestiging_wide(regrouped, codes, eigen))))


def reconcile_national(vso_totalen_per_swv: dict[str, pd.DataFrame], vso: pd.DataFrame) -> list[str]:
    """Σ over all SWVs of the (v)so table = counted (v)so registrations with a responsible SWV."""
    total = sum(int(t.loc[t["Regel"] == TOTAAL, TOTAAL].iloc[0]) for t in vso_totalen_per_swv.values())
    expected = int(vso["verantwoordelijk_swv"].notna().sum())
    if total != expected:
        return [f"som k1_vso_totalen[Totaal, Totaal] over alle SWV's = {total}, "
                f"getelde (v)so-inschrijvingen met verantwoordelijk SWV = {expected}"]
    return []


# --- per SWV product -------------------------------------------------------------------------

def regulier_per_swv(regulier: pd.DataFrame) -> pd.DataFrame:
    """bao/sbao/vo counts and the vo flags per SWV of the vestiging (one groupby, all SWVs)."""
    f = pd.DataFrame({"swv": regulier["vestiging_swv"], "bao": regulier["soort"].eq("BAO"),
                      "sbao": regulier["soort"].eq("SBAO"), "vo": regulier["soort"].eq("VO")})
    vo = f["vo"]
    for flag in ["vavo", "lwoo", "pro"]:
        f[flag] = vo & regulier[flag].eq("J")
    return f.groupby("swv").sum()


def bao_sbao_tabel(counts: pd.Series) -> pd.DataFrame:
    bao, sbao = int(counts.get("bao", 0)), int(counts.get("sbao", 0))
    return pd.DataFrame({"Regel": ["Deelnemende bao", "Deelnemende sbao", TOTAAL], "Aantal": [bao, sbao, bao + sbao]})


def vo_table(counts: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"Regel": ["Totaal vo", "waarvan vavo", "waarvan lwoo", "waarvan pro"],
                         "Aantal": [int(counts.get(k, 0)) for k in ["vo", "vavo", "lwoo", "pro"]]})


def k1_tables_all(basis: K1Basis, extract, codes: list[str]) -> dict[str, dict[str, pd.DataFrame]]:
    """Bestand 1 and bestand 2 of every SWV in `codes`: aggregated once nationally, then sliced."""
    vso = basis.vso[basis.vso["verantwoordelijk_swv"].notna()]
    v = extract.vestigingen
    eigen = v[v["soort"].isin(SO_VSO)].groupby("swv_code")["vestiging_code"].apply(list).to_dict()
    totalen = swv_tables(vso_totalen_wide(vso, codes), "Regel")
    tlv = swv_tables(tlv_wide(basis.vso, codes), "Regel")
    vestiging = swv_tables(per_vestiging_wide(vso, codes, eigen), "Vestiging")
    regulier = regulier_per_swv(basis.regulier)
    sectors = extract.samenwerkingsverbanden.set_index("swv_code")["sector"]
    swv_namen = extract.samenwerkingsverbanden.set_index("swv_code")["naam"]
    b2 = inschrijvingen_tabel(vso, swv_namen)
    b2_per_swv = dict(tuple(b2.groupby("_swv", sort=False)))
    empty_b2 = b2.iloc[0:0]
    out = {}
    for code in codes:
        counts = regulier.loc[code] if code in regulier.index else pd.Series(dtype="int64")
        tables = {"k1_vso_totalen": totalen[code]}
        if sectors[code] == "PO":
            tables["k1_bao_sbao"] = bao_sbao_tabel(counts)
        else:
            tables["k1_vo"] = vo_table(counts)
        tables["k1_tlv"] = tlv[code]
        tables["k1_per_vestiging"] = vestiging[code]
        tables["k1_inschrijvingen"] = b2_per_swv.get(code, empty_b2).drop(columns="_swv").reset_index(drop=True)
        out[code] = tables
    return out


def laatste_vaststelling(bekostiging: pd.DataFrame, swv_code: str, stand_per: date) -> pd.DataFrame:
    """The most recently fixed funding of the SWV (rules.md, Algemene gegevens): its rows of
    `bekostiging` whose `vastgesteld_op` is the latest on or before the stand per, one fixing;
    older fixings and fixings after the stand per are left out. Columns onderdeel, bedrag, vastgesteld_op."""
    cols = ["onderdeel", "bedrag", "vastgesteld_op"]
    own = bekostiging.loc[bekostiging["swv_code"] == swv_code, cols]
    op = pd.to_datetime(own["vastgesteld_op"])
    known = op <= pd.Timestamp(stand_per)
    return own[known & (op == op[known].max())].reset_index(drop=True)


def bekostiging_tabel(vaststelling: pd.DataFrame) -> pd.DataFrame:
    """k1_bekostiging: one fixing (laatste_vaststelling) as published, one row per onderdeel in
    the order of the onderdelen (an extract's row order must not make a new version), the amount in
    euros with 2 decimals, the date as a date; no rows when nothing was fixed yet."""
    rows = sorted(((str(r.onderdeel), Decimal(f"{float(r.bedrag):.2f}"), pd.Timestamp(r.vastgesteld_op).date())
                   for r in vaststelling.itertuples()), key=lambda r: (r[0], r[1]))
    return pd.DataFrame(rows, columns=BEKOSTIGING_COLUMNS, dtype=object)


def kijkglas_1(extract, schooljaar: str, aanmaakdatum: date, settings: Settings,
               swv_codes: list[str] | None = None) -> tuple[list[ProductResult], K1Basis]:
    """Kijkglas 1 for every SWV (or those named), reconciled; raises ReconciliationError."""
    basis = k1_basis(extract, schooljaar, settings)
    all_codes = sorted(extract.samenwerkingsverbanden["swv_code"])
    wanted = selected_swvs(extract, swv_codes)
    tables = k1_tables_all(basis, extract, wanted)
    national = vso_totalen_wide(basis.vso[basis.vso["verantwoordelijk_swv"].notna()], all_codes)
    problems = reconcile_national(swv_tables(national, "Regel"), basis.vso)
    problems += reconcile_bestand_2(tables)
    if problems:
        raise ReconciliationError("Kijkglas 1 reconciliatie mislukt:\n" + "\n".join(problems[:50]))
    bek = extract.bekostiging
    teldatum = basis.teldatum.date()
    results = []
    for code in wanted:
        swv = swv_info(extract, code)
        own = {**tables[code], "k1_bekostiging": bekostiging_tabel(laatste_vaststelling(bek, code, extract.stand_per))}
        results.append(ProductResult(
            product=PRODUCT, swv=swv, schooljaar=schooljaar, teldatum=teldatum,
            stand_per=extract.stand_per, aanmaakdatum=aanmaakdatum, tables=own,
            algemene_gegevens=AlgemeneGegevens(teldatum=teldatum),
        ))
    return results, basis
