"""The documents of Kijkglas 4 for one SWV: the workbook (groei sbao per vestiging, with Totaal),
data/*.csv and the PDF summary."""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from documents.changes import ChangeWords
from documents.context import table_context
from documents.pdf import PdfJob
from documents.shared import (base_context, prepare_dir, require_swv, schooljaar_dates, workbook_csvs_and_pdf,
                              whole_number)
from documents.values import format_nl
from documents.workbook import Sheet
from tasks import rules

TITLE = "Kijkglas 4 – Groei speciale school voor basisonderwijs (sbao)"
CAPTIONS = {"k4_sbao": "Aantallen per vestiging"}
SHEET = "Groei sbao"
CHANGES = ChangeWords(
    names=CAPTIONS, sheets={"k4_sbao": SHEET},
    advice="Wat te doen: plak de nieuwe aantallen opnieuw in de berekeningsmodule van de PO-Raad en "
           "verreken het nieuwe verschil per vestiging met de sbao-scholen.")

def filenames(swv_code: str) -> dict[str, str]:
    return {"xlsx": f"kijkglas-4_{swv_code}.xlsx", "pdf": f"kijkglas-4_{swv_code}.pdf"}




def pdf_context(result, change_report: list[dict] | None = None) -> dict:
    code = result.swv.swv_code
    ctx = base_context(result, TITLE, "Kijkglas 4", filenames(code), CHANGES, change_report)
    d = schooljaar_dates(result.schooljaar)
    t = result.tables.get("k4_sbao")
    if t is None:
        t = pd.DataFrame(columns=["Vestiging", "Naam vestiging", "Aantal 1 oktober", "Aantal 1 februari", "Verschil"])
    body = t[t["Vestiging"] != "Totaal"]
    totaal = t[t["Vestiging"] == "Totaal"]

    def tot(col: str) -> int:
        return whole_number(totaal[col].iloc[0]) if len(totaal) else int(body[col].sum()) if len(body) else 0
    verschil = [whole_number(v) for v in body["Verschil"]]
    groei = body[[v > 0 for v in verschil]] if len(body) else body
    ctx.update({
        "k4": table_context(t, CAPTIONS["k4_sbao"]),
        "n": {"vestigingen": int(len(body)), "oktober": tot("Aantal 1 oktober"),
              "februari": tot("Aantal 1 februari"), "verschil": tot("Verschil"),
              "groei_vestigingen": int(len(groei)),
              "groei_som": int(sum(v for v in verschil if v > 0)),
              "krimp_vestigingen": sum(1 for v in verschil if v < 0),
              "gelijk_vestigingen": sum(1 for v in verschil if v == 0),
              "groei_lijst": [{"vestiging": str(r["Vestiging"]), "naam": format_nl(r["Naam vestiging"]),
                               "verschil": whole_number(r["Verschil"])} for _, r in groei.iterrows()]},
        "teldatum": format_nl(d["teldatum"]),
        "peildatum": format_nl(d["peildatum"]),
        "volgend_schooljaar": rules.bekostigd_schooljaar(result.schooljaar),
    })
    return ctx


def write_documents(result, version_dir: str | os.PathLike,
                         change_report: list[dict] | None = None) -> tuple[list[Path], PdfJob]:
    """Kijkglas 4 for one PO SWV: the workbook (groei sbao per vestiging), data/k4_sbao.csv, PDF job."""
    require_swv(result, "Kijkglas 4")
    version_dir = prepare_dir(version_dir)
    sheets = [Sheet(SHEET, [(CAPTIONS[stem], frame)], detail=True) for stem, frame in result.tables.items()]
    return workbook_csvs_and_pdf(result, version_dir, TITLE, filenames(result.swv.swv_code), sheets, "kijkglas-4.html",
                                 pdf_context(result, change_report))


