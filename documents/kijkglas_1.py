"""The documents of Kijkglas 1 for one SWV: bestand 1 (verklaring van de aantallen) and bestand 2
(individuele inschrijvingen) as workbooks, data/*.csv, and the PDF summary."""
from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from documents.changes import ChangeWords, changes_context
from documents.context import algemene_gegevens_context, table_context
from documents.csv_tables import write_csv_tables
from documents.pdf import PdfJob
from documents.shared import GEEN_BEDRAGEN, general_rows, version_footer
from documents.values import as_date, cell_value, format_euro, format_nl, is_null
from documents.workbook import Sheet, write_workbook
from tasks import rules
from tasks.model import ProductResult

CAPTIONS = {
    "k1_bekostiging": "Vastgestelde bekostiging",
    "k1_vso_totalen": "Tabel (voortgezet) speciaal onderwijs",
    "k1_bao_sbao": "Tabel basisonderwijs/speciaal basisonderwijs",
    "k1_vo": "Tabel voortgezet onderwijs",
    "k1_tlv": "Tabel (V)SO weergave alle toelaatbaarheidsverklaringen binnen het samenwerkingsverband",
    "k1_per_vestiging": "Aantallen per vestiging",
    "k1_inschrijvingen": "Individuele inschrijvingen in het speciaal onderwijs van belang voor "
                         "het samenwerkingsverband",
}
TITLE = "Kijkglas 1 – Onderbouwing bekostiging"
CHANGES = ChangeWords(
    names=CAPTIONS,
    sheets={"k1_bekostiging": "Vastgestelde bekostiging", "k1_vso_totalen": "Tabel (v)so", "k1_bao_sbao": "Tabel bao-sbao", "k1_vo": "Tabel vo",
            "k1_tlv": "Tabel (v)so TLV", "k1_per_vestiging": "Aantallen per vestiging",
            "k1_inschrijvingen": "Bestand 2 inschrijvingen"},
    advice="Wat te doen: controleer de gewijzigde inschrijvingen in bestand 2 voordat de bekostiging op "
           "de teldatum wordt vastgesteld. Klopt een inschrijving niet, vraag de school dan om die te "
           "laten corrigeren in het Register Onderwijsdeelnemers. Is de vastgestelde bekostiging "
           "gewijzigd, leg de bedragen dan naast uw beschikking.")
GROEPEN = ("TLV", "RP", "Tijdelijke plaatsing", "CvI")
# The handleiding heads the first column of each totals table by what its rows are; the CSV keeps
# the contract's `Regel` (outputs.md), so only the workbook and the PDF show these.
FIRST_COLUMN = {"k1_vso_totalen": "(V)SO", "k1_bao_sbao": "bao / sbao", "k1_vo": "vo", "k1_tlv": "(V)SO"}


def headed_as_handleiding(stem: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The table as the workbook and the PDF show it (first column headed as in the handleiding)."""
    return frame.rename(columns={"Regel": FIRST_COLUMN[stem]}) if stem in FIRST_COLUMN else frame


def filenames(swv_code: str) -> dict[str, str]:
    return {
        "bestand_1": f"kijkglas-1_bestand-1_{swv_code}.xlsx",
        "bestand_2": f"kijkglas-1_bestand-2_{swv_code}.xlsx",
        "pdf": f"kijkglas-1_{swv_code}.pdf",
    }



def bekostiging_rows(tables: dict[str, pd.DataFrame]) -> list[dict]:
    """The SWV's latest fixed funding, as k1_bekostiging holds it (tasks/kijkglas_1.bekostiging_tabel):
    [{onderdeel, bedrag (Decimal), vastgesteld_op (date)}]; [] when none was fixed."""
    frame = tables.get("k1_bekostiging")
    if frame is None:
        return []
    out = []
    for onderdeel, bedrag, op in frame[["Onderdeel", "Bedrag", "Vastgesteld op"]].itertuples(index=False):
        if not is_null(bedrag) and not isinstance(bedrag, Decimal):
            bedrag = Decimal(str(bedrag)).quantize(Decimal("0.01"))
        out.append({"onderdeel": str(onderdeel), "bedrag": None if is_null(bedrag) else bedrag,
                    "vastgesteld_op": as_date(op)})
    return out


# The handleiding's words: Algemene gegevens holds "de meest recent vastgestelde bekostiging voor dit
# samenwerkingsverband"; which schooljaar the count funds is a separate fact, shown beside the teldatum.
FUNDING_TITLE = "Meest recent vastgestelde bekostiging"
FUNDED_LABEL = "Deze telling bepaalt de bekostiging van"


def k1_general_rows(result: ProductResult) -> list[tuple]:
    """Algemene gegevens of bestand 1 and the PDF: the common rows, with the schooljaar whose
    funding this count determines right after the teldatum (a fact of the count, not of the amounts)."""
    return general_rows(result, more=[(FUNDED_LABEL, f"schooljaar {rules.bekostigd_schooljaar(result.schooljaar)}")])


def funding_title(bek: list[dict]) -> str:
    """`Meest recent vastgestelde bekostiging (vastgesteld op 17-10-2024)`; without a date when none."""
    dates = sorted({b["vastgesteld_op"] for b in bek if b["vastgesteld_op"] is not None})
    return f"{FUNDING_TITLE} (vastgesteld op {format_nl(dates[-1])})" if dates else FUNDING_TITLE


def _bekostiging_ag_rows(bek: list[dict]) -> list[tuple]:
    """The funding block below Algemene gegevens (after a blank row): the latest fixing only, one
    line per onderdeel with its date (tasks/kijkglas_1.laatste_vaststelling chose it)."""
    if not bek:
        return [(), (FUNDING_TITLE, GEEN_BEDRAGEN)]
    return [(), (funding_title(bek),), ("Onderdeel", "Bedrag", "Vastgesteld op")] + [
        (b["onderdeel"], b["bedrag"], b["vastgesteld_op"]) for b in bek]


def _column_sum(frame: pd.DataFrame | None, row_label: str, column: str = "Totaal",
                key: str = "Regel") -> int | None:
    if frame is None or column not in frame.columns or key not in frame.columns:
        return None
    hit = frame.loc[frame[key] == row_label, column]
    if len(hit) == 0:
        return None
    v = cell_value(hit.iloc[0], as_int=True)
    return int(v) if v is not None else None


def _k1_numbers(tables: dict[str, pd.DataFrame]) -> dict:
    vso = tables.get("k1_vso_totalen")
    tlv = tables.get("k1_tlv")
    per = tables.get("k1_per_vestiging")
    ins = tables.get("k1_inschrijvingen")
    nums: dict[str, Any] = {
        "vso_totaal": _column_sum(vso, "Totaal"),
        "vso_deelnemend": _column_sum(vso, "Deelnemende (V)SO"),
        "vso_niet_deelnemend": _column_sum(vso, "Niet deelnemende (V)SO"),
        "tlv_eigen": _column_sum(tlv, "TLV eigen SWV"),
        "tlv_ander": _column_sum(tlv, "TLV ander SWV"),
    }
    if per is not None and len(per):
        tot = per.loc[per["Vestiging"] == "Totaal"] if "Vestiging" in per.columns else per.iloc[0:0]
        if len(tot):
            def group_sum(prefix: str) -> int:
                cols = [c for c in per.columns if str(c).startswith(prefix)]
                return int(sum(cell_value(tot.iloc[0][c], as_int=True) or 0 for c in cols))
            nums["per_tlv"] = group_sum("TLV SWV")
            nums["per_rp"] = group_sum("RP SWV")
            nums["per_geen_tlv"] = group_sum("Geen TLV niet RP SWV")
        nums["n_vestigingen"] = int((~per["Vestiging"].isin(
            ["Totaal", "Niet deelnemende (V)SO"])).sum()) if "Vestiging" in per.columns else 0
    if ins is not None:
        nums["n_inschrijvingen"] = int(len(ins))
        if "Groep" in ins.columns:
            counts = ins["Groep"].value_counts()
            nums["per_groep"] = [(g, int(counts.get(g, 0))) for g in GROEPEN]
    return nums


def pdf_context(result: ProductResult, change_report: list[dict] | None = None) -> dict:
    """Template context (plain types) for templates/kijkglas-1.html."""
    swv = result.swv
    code = swv.swv_code if swv else "openbaar"
    names = filenames(code)
    tables = result.tables
    sector = swv.sector if swv else ""
    ctx = {
        "document_title": f"{TITLE} – {code}",
        "product": result.product,
        "product_titel": TITLE,
        "swv_code": code,
        "swv_naam": swv.naam if swv else "",
        "sector": sector,
        "schooljaar": result.schooljaar,
        "teldatum": format_nl(result.teldatum),
        "stand_per": format_nl(result.stand_per),
        "aanmaakdatum": result.aanmaakdatum.isoformat(),
        "aanmaakdatum_nl": format_nl(result.aanmaakdatum),
        "algemene_gegevens": algemene_gegevens_context(k1_general_rows(result)),
        "bekostiging_titel": funding_title(bekostiging_rows(tables)),
        "bekostiging": [{"onderdeel": b["onderdeel"], "bedrag": format_euro(b["bedrag"]),
                         "vastgesteld_op": format_nl(b["vastgesteld_op"])}
                        for b in bekostiging_rows(tables)],
        "geen_bedragen": GEEN_BEDRAGEN,
        "bekostigd_schooljaar": rules.bekostigd_schooljaar(result.schooljaar),
        "tables": {stem: table_context(headed_as_handleiding(stem, frame), CAPTIONS.get(stem))
                   for stem, frame in tables.items() if stem in FIRST_COLUMN or stem == "k1_per_vestiging"},
        "n": _k1_numbers(tables),
        "bestanden": names,
        "footer": f"{code} · Kijkglas 1 · teldatum {format_nl(result.teldatum)} · "
                  f"stand per {format_nl(result.stand_per)}{version_footer(result)}",
        **changes_context(change_report, CHANGES),
    }
    return ctx



def write_documents(result: ProductResult, version_dir: str | os.PathLike,
                         change_report: list[dict] | None = None) -> tuple[list[Path], PdfJob]:
    """Write the two workbooks and data/*.csv of Kijkglas 1 for one SWV into `version_dir`.

    Returns the written paths and the (not yet rendered) PDF job, so that a caller can render
    the PDF in a process pool.
    """
    if result.swv is None:
        raise ValueError("Kijkglas 1 is made per SWV")
    version_dir = Path(version_dir)
    version_dir.mkdir(parents=True, exist_ok=True)
    code = result.swv.swv_code
    names = filenames(code)
    tables = result.tables
    general = general_rows(result)
    written: list[Path] = []

    totals_stems = ["k1_vso_totalen", "k1_bao_sbao", "k1_vo", "k1_tlv"]
    totals = [(CAPTIONS[s], headed_as_handleiding(s, tables[s])) for s in totals_stems if s in tables]
    sheets_1 = [Sheet("Totalen", totals)]
    if "k1_per_vestiging" in tables:
        sheets_1.append(Sheet("Aantallen per vestiging",
                              [(CAPTIONS["k1_per_vestiging"], tables["k1_per_vestiging"])],
                              detail=True))
    written.append(write_workbook(
        version_dir / names["bestand_1"],
        f"{TITLE} – bestand 1: verklaring van de aantallen",
        k1_general_rows(result) + _bekostiging_ag_rows(bekostiging_rows(tables)),
        sheets_1, timestamp=result.aanmaakdatum))

    ins = tables.get("k1_inschrijvingen")
    if ins is not None:
        written.append(write_workbook(
            version_dir / names["bestand_2"],
            f"{TITLE} – bestand 2: individuele inschrijvingen",
            general,
            [Sheet("Inschrijvingen", [(CAPTIONS["k1_inschrijvingen"], ins)], detail=True)],
            timestamp=result.aanmaakdatum))

    written += write_csv_tables(tables, version_dir / "data")
    job = PdfJob("kijkglas-1.html", pdf_context(result, change_report),
                 version_dir / names["pdf"])
    return written, job
