"""The indicators: where an SWV stands among all SWVs of its sector. Each is declared once below
(like the products in products/registry.py): its name, its definition in Dutch (shown on the pages
and in the README), the production whose tables hold its inputs, and two pure functions over those
tables: the figure per SWV (teller, noemer) and the national figure from another view of the same
tables, which must equal the sum of the parts (the reconciliation). Aggregates only: no pupil.

A figure is `teller / noemer × 100` (a percentage, or per 100 leerlingen), or the teller itself when
the indicator has no noemer. The national figure of a sector is Σ teller / Σ noemer over its SWVs.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pandas as pd

from tasks import rules
from tasks.common import ReconciliationError
from tasks.model import Production, ProductResult

LANDELIJK = "landelijk"
SBAO_NORM = 2.0  # % of bao + sbao: the sbao share the Rijk funds itself (WPO art. 118/120)
COLUMNS = ["indicator", "schooljaar", "peildatum", "stand_per", "sector", "swv", "naam", "teller", "noemer",
           "waarde", "boven_norm"]
Leerlingen = dict[tuple[str, str], int]  # (sector, swv or LANDELIJK) -> leerlingen on the teldatum (Kijkglas 1)


@dataclass(frozen=True)
class Indicator:
    key: str             # column value and page anchor, e.g. "deelname_vso"
    titel: str           # the heading on the page
    definitie: str       # the definition in words, written once (page, public page, README)
    eenheid: str         # "%", "per 100 leerlingen" or "leerlingen"
    product: str         # the production whose tables it reads
    sectoren: tuple[str, ...]
    # (tables of one SWV's result, its sector, leerlingen of that SWV or None) -> (teller, noemer or None)
    part: Callable[[dict, str, int | None], tuple[int, int | None]]
    # (every result of the sector, the production, sector, national leerlingen) -> (teller, noemer or None)
    national: Callable[[list[ProductResult], Production, str, int | None], tuple[int, int | None]]
    needs_leerlingen: bool = False  # noemer = the SWV's leerlingen of Kijkglas 1 (the deelname (v)so noemer)
    norm: float | None = None       # a bar the figure is read against (sbao: 2 %)


# --- reading the computed tables (frames as counting made them: ints) ------------------------------

def _cell(frame: pd.DataFrame, label: str, column: str) -> int:
    """The count in row `label` (first column) and `column`; 0 when the row is absent."""
    hit = frame.loc[frame[frame.columns[0]] == label, column]
    return int(hit.iloc[0]) if len(hit) else 0


def _vso(tables: dict) -> int:
    return _cell(tables["k1_vso_totalen"], "Totaal", "Totaal")


def _regulier(tables: dict, sector: str) -> int:
    if sector == "PO":
        return _cell(tables["k1_bao_sbao"], "Totaal", "Aantal")
    return _cell(tables["k1_vo"], "Totaal vo", "Aantal")


def _vso_cells(tables: dict) -> int:
    """The (v)so table's category × age cells, Totaal row and column left out."""
    t = tables["k1_vso_totalen"]
    body = t[t[t.columns[0]] != "Totaal"].drop(columns=[t.columns[0], "Totaal"])
    return int(body.to_numpy().sum())


def _regulier_rows(tables: dict, sector: str) -> tuple[int, int]:
    """(bao, sbao) for PO, (vo, 0) for VO, from the detail rows rather than the Totaal row."""
    if sector == "PO":
        t = tables["k1_bao_sbao"]
        return _cell(t, "Deelnemende bao", "Aantal"), _cell(t, "Deelnemende sbao", "Aantal")
    return _cell(tables["k1_vo"], "Totaal vo", "Aantal"), 0


def _k3a_net(frame: pd.DataFrame, columns: Callable[[str], bool]) -> int:
    ins = [c for c in frame.columns if c.startswith("Instroom") and columns(c)]
    outs = [c for c in frame.columns if c.startswith("Uitstroom") and columns(c)]
    return int(frame[ins].to_numpy().sum() - frame[outs].to_numpy().sum())


def _is_totaal(column: str) -> bool:
    return column.endswith("Totaal")


def _is_category(column: str) -> bool:
    return column[-1:] in rules.CATEGORIEEN and not column.endswith("Totaal")


def _k4_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["Vestiging"] != "Totaal"]


# --- the registry ---------------------------------------------------------------------------------

INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "deelname_vso", "Deelname (v)so",
        "Het aantal (v)so-leerlingen waarvoor het samenwerkingsverband op de teldatum (1 oktober) wordt verrekend "
        "(Kijkglas 1, tabel (v)so, Totaal) als percentage van zijn leerlingen: in het po bao + sbao + die "
        "(v)so-leerlingen, in het vo vo + die (v)so-leerlingen. Landelijk: de som van de tellers gedeeld door de "
        "som van de noemers van alle samenwerkingsverbanden van de sector.",
        "%", "kijkglas-1", ("PO", "VO"),
        part=lambda t, s, _: (_vso(t), _regulier(t, s) + _vso(t)),
        national=lambda rs, _p, s, _n: (sum(_vso_cells(r.tables) for r in rs),
                                        sum(_vso_cells(r.tables) + sum(_regulier_rows(r.tables, s)) for r in rs))),
    Indicator(
        "deelname_sbao", "Deelname sbao",
        "Het aantal leerlingen in het speciaal basisonderwijs (sbao) op de teldatum als percentage van bao + sbao "
        "(Kijkglas 1, tabel bao/sbao). Het Rijk bekostigt het sbao tot 2 % van bao + sbao zelf (WPO art. 118 en "
        "120); daarboven draagt het samenwerkingsverband over. 'Boven 2 %' is het aantal sbao-leerlingen boven die "
        "2 % (sbao − 0,02 × (bao + sbao), niet onder nul); landelijk de som daarvan over de samenwerkingsverbanden.",
        "%", "kijkglas-1", ("PO",),
        part=lambda t, s, _: (_cell(t["k1_bao_sbao"], "Deelnemende sbao", "Aantal"),
                              _cell(t["k1_bao_sbao"], "Totaal", "Aantal")),
        national=lambda rs, _p, s, _n: (sum(_regulier_rows(r.tables, s)[1] for r in rs),
                                        sum(sum(_regulier_rows(r.tables, s)) for r in rs)),
        norm=SBAO_NORM),
    Indicator(
        "groei_vso", "Groei (v)so na de teldatum",
        "De netto groei van het (v)so tussen 1 oktober en 1 februari (Kijkglas 3a: instroom min uitstroom, alle "
        "scholen van het samenwerkingsverband) per 100 leerlingen van het samenwerkingsverband op de teldatum "
        "(de noemer van de deelname (v)so, uit Kijkglas 1 van hetzelfde schooljaar). Verschuivingen tussen "
        "(v)so-scholen (3b) tellen niet mee.",
        "per 100 leerlingen", "kijkglas-3", ("PO", "VO"),
        part=lambda t, s, n: (_k3a_net(t["k3a"], _is_totaal), n),
        national=lambda _rs, p, s, n: (_k3a_net(p.openbaar[0].tables[f"k3a_{s.lower()}"], _is_category), n),
        needs_leerlingen=True),
    Indicator(
        "groei_sbao", "Groei sbao na de teldatum",
        "De groei van het sbao tussen 1 oktober en 1 februari (Kijkglas 4: leerlingen op 1 februari min 1 oktober, "
        "alle sbao-vestigingen van het samenwerkingsverband) per 100 leerlingen van het samenwerkingsverband op de "
        "teldatum (de noemer van de deelname (v)so, uit Kijkglas 1 van hetzelfde schooljaar).",
        "per 100 leerlingen", "kijkglas-4", ("PO",),
        part=lambda t, s, n: (_cell(t["k4_sbao"], "Totaal", "Verschil"), n),
        national=lambda rs, _p, s, n: (sum(int((_k4_rows(r.tables["k4_sbao"])["Aantal 1 februari"]
                                               - _k4_rows(r.tables["k4_sbao"])["Aantal 1 oktober"]).sum()) for r in rs), n),
        needs_leerlingen=True),
    Indicator(
        "grensverkeer_sbao", "Grensverkeer sbao",
        "Het saldo van het grensverkeer sbao over het schooljaar (Kijkglas 5): het aantal leerlingen dat vanuit het "
        "bao van een ander samenwerkingsverband instroomde in een sbao-vestiging van dit samenwerkingsverband "
        "(inkomend), min het aantal dat vanuit het eigen bao naar het sbao van een ander samenwerkingsverband ging "
        "(uitgaand). Positief: meer inkomend dan uitgaand. Landelijk is het saldo nul: elke leerling is voor het "
        "ene samenwerkingsverband inkomend en voor het andere uitgaand.",
        "leerlingen", "kijkglas-5", ("PO",),
        part=lambda t, s, _: (len(t["k5_inkomend"]) - len(t["k5_uitgaand"]), None),
        national=lambda rs, _p, s, _n: _grensverkeer_national(rs)),
)
_BY_KEY = {i.key: i for i in INDICATORS}


def _grensverkeer_national(results: list[ProductResult]) -> tuple[int, None]:
    inkomend = sum(len(r.tables["k5_inkomend"]) for r in results)
    uitgaand = sum(len(r.tables["k5_uitgaand"]) for r in results)
    if inkomend != uitgaand:  # every case is incoming for one SWV and outgoing for another
        raise ReconciliationError(f"grensverkeer sbao: Σ inkomend = {inkomend}, Σ uitgaand = {uitgaand}")
    return inkomend - uitgaand, None


def indicator(key: str) -> Indicator:
    return _BY_KEY[key]


def of_product(product: str) -> list[Indicator]:
    """The indicators a production of `product` computes."""
    return [i for i in INDICATORS if i.product == product]


def needs_leerlingen(product: str) -> bool:
    return any(i.needs_leerlingen for i in of_product(product))


# --- computing and reconciling --------------------------------------------------------------------

def peildatum(production: Production) -> str:
    """The day the figures are about: the teldatum (Kijkglas 1), 1 February (3 and 4), the
    schooljaar's last day (Kijkglas 5: over the schooljaar)."""
    sj = production.schooljaar
    if production.product == "kijkglas-1":
        day = rules.teldatum(sj)
    elif production.product == "kijkglas-5":
        day = pd.Timestamp(rules.schooljaar_start_year(sj) + 1, 7, 31)
    else:
        day = rules.peildatum_groei(sj)
    return day.date().isoformat()


def figure(teller: int, noemer: int | None) -> float | None:
    """teller / noemer × 100, two decimals; the teller itself without a noemer; None for noemer 0."""
    if noemer is None:
        return float(teller)
    return round(100 * teller / noemer, 2) if noemer else None


def boven_norm(ind: Indicator, teller: int, noemer: int | None) -> float | None:
    if ind.norm is None or not noemer:
        return None
    return round(max(0.0, teller - ind.norm / 100 * noemer), 1)


def complete_sectors(production: Production, swvs_per_sector: dict[str, list[str]]) -> list[str]:
    """The sectors whose every SWV the production computed: a national figure needs them all (a
    production for chosen SWVs adds nothing to the comparison)."""
    done = {r.swv.swv_code for r in production.per_swv}
    return [s for s, codes in swvs_per_sector.items() if codes and set(codes) <= done]


def indicator_rows(production: Production, swvs_per_sector: dict[str, list[str]],
                   leerlingen: Leerlingen | None = None) -> pd.DataFrame:
    """Every indicator of this production, per SWV and nationally per sector (COLUMNS), reconciled:
    the national figure from its own view of the tables must equal the sum of the SWVs' parts, else
    ReconciliationError names the indicator and both sums. Indicators that need Kijkglas 1's
    leerlingen are left out when `leerlingen` is None; sectors not wholly computed too."""
    sectors = complete_sectors(production, swvs_per_sector)
    stand_per = production.per_swv[0].stand_per.isoformat() if production.per_swv else ""
    base = {"schooljaar": production.schooljaar, "peildatum": peildatum(production), "stand_per": stand_per}
    rows, problems = [], []
    for ind in of_product(production.product):
        if ind.needs_leerlingen and leerlingen is None:
            continue
        for sector in (s for s in ind.sectoren if s in sectors):
            results = [r for r in production.per_swv if r.swv.sector == sector]
            parts = []
            for r in results:
                n = (leerlingen or {}).get((sector, r.swv.swv_code)) if ind.needs_leerlingen else None
                teller, noemer = ind.part(r.tables, sector, n)
                parts.append((r.swv.swv_code, r.swv.naam, teller, noemer))
            n_nat = (leerlingen or {}).get((sector, LANDELIJK)) if ind.needs_leerlingen else None
            teller, noemer = ind.national(results, production, sector, n_nat)
            sum_t = sum(p[2] for p in parts)
            sum_n = None if noemer is None else sum(p[3] or 0 for p in parts)
            if (teller, noemer) != (sum_t, sum_n):
                problems.append(f"{ind.key} {sector}: landelijk teller/noemer = {teller}/{noemer}, "
                                f"som over de SWV's = {sum_t}/{sum_n}")
            for code, naam, t, n in parts + [(LANDELIJK, f"Landelijk {sector}", teller, noemer)]:
                rows.append({"indicator": ind.key, **base, "sector": sector, "swv": code, "naam": naam,
                             "teller": t, "noemer": n, "waarde": figure(t, n), "boven_norm": boven_norm(ind, t, n)})
    if problems:
        raise ReconciliationError("Vergelijking reconciliatie mislukt:\n" + "\n".join(problems))
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.astype({"teller": "int64", "noemer": "Int64"})


def leerlingen_of(rows: pd.DataFrame) -> Leerlingen:
    """Each SWV's leerlingen on the teldatum (and the national sum per sector): the noemer of its
    deelname (v)so, from a Kijkglas 1 production's rows (stored or just computed)."""
    d = rows[rows["indicator"] == "deelname_vso"]
    return {(s, c): int(n) for s, c, n in zip(d["sector"], d["swv"], d["noemer"])}


RECONCILIATION = "Vergelijking: landelijk cijfer per sector = som van de SWV's (tellers en noemers)"
