"""Kijkglas 1 — onderbouwing bekostiging: bestand 1 and bestand 2 per SWV, reconciled.

The national work (evaluating the rules for every registration on the teldatum) is done once
in `k1_basis`; the per-SWV tables are cheap selections of it. Table and column names are the
CSV tables of ../shared/spec/outputs.md.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from kijkglas.settings import Settings
from tasks import rules
from tasks.model import ProductResult, SwvInfo

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


class ReconciliationError(Exception):
    """Raised when two views of the same count disagree; the message names the differing cells."""


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
    v = extract.vestigingen
    codes = v.loc[v["soort"].isin(["BAO", "SBAO", "VO"]), "vestiging_code"]
    regs = extract.inschrijvingen
    regs = regs[regs["vestiging_code"].isin(codes) & rules.is_counted(regs, dag)]
    return rules.with_vestiging(regs[["inschrijving_id", "leerling_id", "vestiging_code", "vavo", "lwoo", "pro"]], v)


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
    vso_swvs = v.loc[v["soort"].isin(["SO", "VSO"]), ["vestiging_code", "swv_code"]]
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


# --- tables for one SWV --------------------------------------------------------------------

def _counts(frame: pd.DataFrame, by: str, columns: list[str], rows: list[str]) -> pd.DataFrame:
    """Count rows of `frame` per value of `by` (rows, in order, zeros too) × `col` (columns)."""
    t = frame.groupby([by, "col"]).size().unstack("col", fill_value=0)
    t = t.reindex(index=rows, columns=columns, fill_value=0).astype("int64")
    return t


def _with_total(t: pd.DataFrame, first: str) -> pd.DataFrame:
    t = t.copy()
    t.loc[TOTAAL] = t.sum()
    t[TOTAAL] = t.sum(axis=1)
    return t.rename_axis(index=first, columns=None).reset_index()


def vso_totalen(vso_s: pd.DataFrame, swv_code: str) -> pd.DataFrame:
    """(v)so table: registrations whose responsible SWV is S, deelnemend or not, by category × age."""
    f = pd.DataFrame({
        "regel": rules.deelnemend(vso_s["vestiging_swv"], swv_code).map({True: DEELNEMEND, False: NIET_DEELNEMEND}),
        "col": vso_s["categorie"].map(CAT_LABEL) + " " + vso_s["leeftijdscategorie"],
    })
    return _with_total(_counts(f, "regel", COUNT_COLUMNS, [DEELNEMEND, NIET_DEELNEMEND]), "Regel")


def tlv_tabel(vso_at_s: pd.DataFrame, swv_code: str) -> pd.DataFrame:
    """TLV table: counted registrations at S's own (v)so vestigingen with a TLV in force, split by issuer."""
    with_tlv = vso_at_s[vso_at_s["tlv_nummer"].notna()]
    f = pd.DataFrame({
        "regel": (with_tlv["tlv_swv"] == swv_code).map({True: "TLV eigen SWV", False: "TLV ander SWV"}),
        "col": with_tlv["categorie"].map(CAT_LABEL) + " " + with_tlv["leeftijdscategorie"],
    })
    return _with_total(_counts(f, "regel", COUNT_COLUMNS, ["TLV eigen SWV", "TLV ander SWV"]), "Regel")


def per_vestiging(vso_s: pd.DataFrame, swv_code: str, eigen_vestigingen: list[str]) -> pd.DataFrame:
    """A row per own (v)so vestiging (zeros too), one for all others together, and Totaal."""
    own = rules.deelnemend(vso_s["vestiging_swv"], swv_code)
    f = pd.DataFrame({
        "vestiging": vso_s["vestiging_code"].where(own, NIET_DEELNEMEND),
        "col": vso_s["situatie"].map(VESTIGING_GROUPS) + " SWV " + vso_s["categorie"] + " " + vso_s["leeftijdscategorie"],
    })
    rows = sorted(eigen_vestigingen) + [NIET_DEELNEMEND]
    return _with_total(_counts(f, "vestiging", VESTIGING_COLUMNS, rows), "Vestiging")


def bao_sbao(regulier_s: pd.DataFrame) -> pd.DataFrame:
    bao = int((regulier_s["soort"] == "BAO").sum())
    sbao = int((regulier_s["soort"] == "SBAO").sum())
    return pd.DataFrame({"Regel": ["Deelnemende bao", "Deelnemende sbao", TOTAAL], "Aantal": [bao, sbao, bao + sbao]})


def vo_tabel(regulier_s: pd.DataFrame) -> pd.DataFrame:
    vo = regulier_s[regulier_s["soort"] == "VO"]
    return pd.DataFrame({"Regel": ["Totaal vo", "waarvan vavo", "waarvan lwoo", "waarvan pro"],
                         "Aantal": [len(vo), int((vo["vavo"] == "J").sum()), int((vo["lwoo"] == "J").sum()),
                                    int((vo["pro"] == "J").sum())]})


def inschrijvingen_tabel(vso_s: pd.DataFrame, swv_namen: pd.Series) -> pd.DataFrame:
    """Bestand 2: one row per registration of the (v)so table, in the four groups."""
    s = vso_s
    groep = s["situatie"].map(GROEP)
    eerste = s["bsn_laatste4"].where(s["tlv_nummer"].isna(), s["tlv_nummer"])
    eerste = eerste.where(s["situatie"] != "CVI", s["cvi_nummer"])
    out = pd.DataFrame({
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
    out = out.sort_values(["_g", "DUO-nummer leerling", "Begindatum inschrijving"], kind="stable")
    return out.drop(columns="_g").reset_index(drop=True)


# --- reconciliation ------------------------------------------------------------------------

def _diff_cells(name: str, expected: pd.DataFrame, actual: pd.DataFrame) -> list[str]:
    key = expected.columns[0]
    e = expected.set_index(key)
    a = actual.set_index(key).reindex(index=e.index, columns=e.columns)
    diffs = []
    for col in e.columns:
        bad = e[col].ne(a[col])
        for row in e.index[bad]:
            diffs.append(f"{name}[{row!s}, {col}]: bestand 1 = {e.at[row, col]}, bestand 2 = {a.at[row, col]}")
    return diffs


def reconcile_bestand_2(tables: dict[str, pd.DataFrame], swv_code: str) -> list[str]:
    """Regroup bestand 2 by situation, category, age and deelnemend; it must give bestand 1."""
    b2 = tables["k1_inschrijvingen"]
    situatie_ = b2["Groep"].map({v: k for k, v in GROEP.items()})
    regrouped = pd.DataFrame({
        "vestiging_swv": b2["SWV vestiging"], "vestiging_code": b2["Vestiging"], "situatie": situatie_,
        "categorie": b2["Bekostigingscategorie L/M/H"], "leeftijdscategorie": b2["<8 of 8+"],
    })
    eigen = [v for v in tables["k1_per_vestiging"]["Vestiging"] if v not in (NIET_DEELNEMEND, TOTAAL)]
    return (_diff_cells("k1_vso_totalen", tables["k1_vso_totalen"], vso_totalen(regrouped, swv_code))
            + _diff_cells("k1_per_vestiging", tables["k1_per_vestiging"], per_vestiging(regrouped, swv_code, eigen)))


def reconcile_national(vso_totalen_per_swv: dict[str, pd.DataFrame], vso: pd.DataFrame) -> list[str]:
    """Σ over all SWVs of the (v)so table = counted (v)so registrations with a responsible SWV."""
    total = sum(int(t.loc[t["Regel"] == TOTAAL, TOTAAL].iloc[0]) for t in vso_totalen_per_swv.values())
    expected = int(vso["verantwoordelijk_swv"].notna().sum())
    if total != expected:
        return [f"som k1_vso_totalen[Totaal, Totaal] over alle SWV's = {total}, "
                f"getelde (v)so-inschrijvingen met verantwoordelijk SWV = {expected}"]
    return []


# --- per SWV product -------------------------------------------------------------------------

def swv_info(extract, swv_code: str) -> SwvInfo:
    r = extract.samenwerkingsverbanden.set_index("swv_code").loc[swv_code]

    def opt(v):
        return v if isinstance(v, str) else None
    return SwvInfo(swv_code=swv_code, naam=r["naam"], sector=r["sector"], adres=opt(r["adres"]),
                   postcode=opt(r["postcode"]), plaats=opt(r["plaats"]))


def fmt_datum(d) -> str:
    return pd.Timestamp(d).strftime("%d-%m-%Y")


def algemene_gegevens(swv: SwvInfo, extra: list[tuple[str, str]], stand_per, aanmaakdatum) -> list[tuple[str, str]]:
    """The identifying block that heads every workbook and PDF of every product."""
    plaats = " ".join(p for p in [swv.postcode, swv.plaats] if p)
    return ([("Administratienummer", swv.swv_code), ("Naam", swv.naam), ("Adres", swv.adres or ""),
             ("Postcode en plaats", plaats)] + extra
            + [("Stand per", fmt_datum(stand_per)), ("Aanmaakdatum", fmt_datum(aanmaakdatum))])


class K1Groups:
    """The national frames split once per SWV (avoids 150 full scans)."""

    def __init__(self, basis: K1Basis, extract):
        empty_vso = basis.vso.iloc[0:0]
        self.by_responsible = {k: g for k, g in basis.vso.groupby("verantwoordelijk_swv")}
        self.by_vestiging_swv = {k: g for k, g in basis.vso.groupby("vestiging_swv")}
        self.regulier = {k: g for k, g in basis.regulier.groupby("vestiging_swv")}
        self.empty_vso, self.empty_regulier = empty_vso, basis.regulier.iloc[0:0]
        v = extract.vestigingen
        vso_v = v[v["soort"].isin(["SO", "VSO"])]
        self.eigen_vestigingen = vso_v.groupby("swv_code")["vestiging_code"].apply(list).to_dict()
        self.swv_namen = extract.samenwerkingsverbanden.set_index("swv_code")["naam"]


def k1_tables(groups: K1Groups, swv: SwvInfo) -> dict[str, pd.DataFrame]:
    code = swv.swv_code
    vso_s = groups.by_responsible.get(code, groups.empty_vso)
    regulier_s = groups.regulier.get(code, groups.empty_regulier)
    tables = {"k1_vso_totalen": vso_totalen(vso_s, code)}
    if swv.sector == "PO":
        tables["k1_bao_sbao"] = bao_sbao(regulier_s)
    else:
        tables["k1_vo"] = vo_tabel(regulier_s)
    tables["k1_tlv"] = tlv_tabel(groups.by_vestiging_swv.get(code, groups.empty_vso), code)
    tables["k1_per_vestiging"] = per_vestiging(vso_s, code, groups.eigen_vestigingen.get(code, []))
    tables["k1_inschrijvingen"] = inschrijvingen_tabel(vso_s, groups.swv_namen)
    return tables


def kijkglas_1(extract, schooljaar: str, aanmaakdatum: date, settings: Settings,
               swv_codes: list[str] | None = None) -> tuple[list[ProductResult], K1Basis]:
    """Kijkglas 1 for every SWV (or those named), reconciled; raises ReconciliationError."""
    basis = k1_basis(extract, schooljaar, settings)
    groups = K1Groups(basis, extract)
    all_codes = sorted(extract.samenwerkingsverbanden["swv_code"])
    wanted = all_codes if swv_codes is None else [c for c in all_codes if c in set(swv_codes)]
    unknown = sorted(set(swv_codes or []) - set(all_codes))
    if unknown:
        raise ValueError(f"unknown SWV code(s): {', '.join(unknown)}")
    problems = reconcile_national(
        {c: vso_totalen(groups.by_responsible.get(c, groups.empty_vso), c) for c in all_codes}, basis.vso)
    bek = extract.bekostiging
    results = []
    for code in wanted:
        swv = swv_info(extract, code)
        tables = k1_tables(groups, swv)
        problems += [f"{code}: {p}" for p in reconcile_bestand_2(tables, code)]
        results.append(ProductResult(
            product=PRODUCT, swv=swv, schooljaar=schooljaar, period=basis.teldatum.date().isoformat(),
            stand_per=extract.stand_per, aanmaakdatum=aanmaakdatum, tables=tables,
            algemene_gegevens=algemene_gegevens(swv, [("Teldatum", fmt_datum(basis.teldatum))],
                                                extract.stand_per, aanmaakdatum),
            bekostiging=bek.loc[bek["swv_code"] == code, ["onderdeel", "bedrag", "vastgesteld_op"]].reset_index(drop=True),
        ))
    if problems:
        raise ReconciliationError("Kijkglas 1 reconciliatie mislukt:\n" + "\n".join(problems[:50]))
    return results, basis
