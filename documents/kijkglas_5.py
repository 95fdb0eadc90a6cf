"""The documents of Kijkglas 5 for one SWV: the workbook (inkomend and uitgaand grensverkeer sbao,
one sheet each), data/*.csv and the PDF summary."""
from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pandas as pd

from documents.changes import ChangeWords
from documents.context import table_context
from documents.pdf import PdfJob
from documents.shared import (base_context, count_of, distinct_of, frame_of, prepare_dir,
                              require_swv, schooljaar_dates, workbook_csvs_and_pdf)
from documents.values import format_nl
from documents.workbook import Sheet

TITLE = "Kijkglas 5 – Overzicht voor verrekening grensverkeer sbao door samenwerkingsverbanden"

CAPTIONS = {
    "k5_inkomend": "Leerlingen op sbao gestart in voorgaand schooljaar afkomstig uit een ander samenwerkingsverband",
    "k5_uitgaand": "Leerlingen in voorgaand schooljaar overgestapt naar sbao buiten het samenwerkingsverband",
}
SHEETS = {"k5_inkomend": "Gestart op sbao uit ander SWV", "k5_uitgaand": "Overgestapt naar sbao elders"}
CHANGES = ChangeWords(
    names=CAPTIONS, sheets=SHEETS,
    advice="Wat te doen: controleer de gewijzigde leerlingen in het grensverkeer en pas de verrekening "
           "met de andere samenwerkingsverbanden zo nodig aan.")


def filenames(swv_code: str) -> dict[str, str]:
    return {"xlsx": f"kijkglas-5_{swv_code}.xlsx", "pdf": f"kijkglas-5_{swv_code}.pdf"}


def _k5_block(frame: pd.DataFrame | None, partner_col: str, partner_label: str) -> dict:
    if frame is None:
        frame = pd.DataFrame(columns=[partner_col, "Bek 1/10"])
    per = (frame.groupby(partner_col, dropna=False)["Bek 1/10"]
           .agg(leerlingen="size", bek=lambda s: int((s == "J").sum())).reset_index()
           if len(frame) else pd.DataFrame(columns=[partner_col, "leerlingen", "bek"]))
    rows = [[format_nl(r[partner_col]) or "onbekend", int(r["leerlingen"]), int(r["bek"])]
            for _, r in per.iterrows()]
    rows.append(["Totaal", int(len(frame)), count_of(frame, "Bek 1/10", "J")])
    return {
        "leerlingen": int(len(frame)),
        "bek_j": count_of(frame, "Bek 1/10", "J"),
        "bek_n": count_of(frame, "Bek 1/10", "N"),
        "swvs": distinct_of(frame, partner_col),
        "per_swv": table_context(frame_of(rows, [partner_label, "Leerlingen", "Bek 1/10 = J"])),
    }


def pdf_context(result, change_report: list[dict] | None = None) -> dict:
    code = result.swv.swv_code
    ctx = base_context(result, TITLE, "Kijkglas 5", filenames(code), CHANGES, change_report)
    d = schooljaar_dates(result.schooljaar)
    ctx.update({
        "captions": CAPTIONS,
        "tabbladen": SHEETS,
        "inkomend": _k5_block(result.tables.get("k5_inkomend"), "SWV bao vestiging", "SWV bao vestiging"),
        "uitgaand": _k5_block(result.tables.get("k5_uitgaand"), "SWV sbao vestiging", "SWV sbao vestiging"),
        "teldatum": format_nl(d["teldatum"]),
        "begin_schooljaar": format_nl(date(d["teldatum"].year, 8, 1)),
        "einde_schooljaar": format_nl(d["einde"]),
    })
    return ctx


def write_documents(result, version_dir: str | os.PathLike,
                         change_report: list[dict] | None = None) -> tuple[list[Path], PdfJob]:
    """Kijkglas 5 for one PO SWV: the workbook (the two blocks on two sheets), data/*.csv, PDF job."""
    require_swv(result, "Kijkglas 5")
    version_dir = prepare_dir(version_dir)
    sheets = [Sheet(SHEETS.get(stem, stem), [(CAPTIONS.get(stem, stem), frame)], detail=True)
              for stem, frame in result.tables.items()]
    return workbook_csvs_and_pdf(result, version_dir, TITLE, filenames(result.swv.swv_code), sheets, "kijkglas-5.html",
                                 pdf_context(result, change_report))


