"""The documents of Kijkglas 2 for one SWV: the workbook (Algemene gegevens and blok 2.2 TLV,
2.3 CvI, 2.4 RP en zonder TLV, one detail sheet each), data/*.csv and the PDF summary."""
from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from documents.changes import ChangeWords
from documents.context import table_context
from documents.csv_tables import write_csv_tables
from documents.pdf import PdfJob
from documents.shared import (DOORSTROOM_IN, DOORSTROOM_UIT, base_context, count_of, distinct_of,
                              einde_schooljaar_van, frame_of, general_rows, prepare_dir, require_swv,
                              schooljaar_dates)
from documents.values import as_date, format_nl, frame_rows
from documents.workbook import Sheet, write_workbook

TITLE = "Kijkglas 2 – Inschrijvingen (v)so"
# stem -> (blok, caption, sheet name)
BLOCKS = {
    "k2_tlv": ("2.2", "Leerlingen met een toelaatbaarheidsverklaring", "2.2 TLV"),
    "k2_cvi": ("2.3", "Leerlingen nog ingeschreven op basis van CvI-indicatie", "2.3 CvI"),
    "k2_overig": ("2.4", "Leerlingen ingeschreven op een residentiële instelling of ingeschreven zonder "
                         "toelaatbaarheidsverklaring, toegewezen aan een samenwerkingsverband",
                  "2.4 RP en zonder TLV"),
}
CAPTIONS = {stem: f"Blok {nr} – {caption}" for stem, (nr, caption, _) in BLOCKS.items()}
CHANGES = ChangeWords(
    names=CAPTIONS,
    sheets={stem: sheet for stem, (_, _, sheet) in BLOCKS.items()},
    advice="Wat te doen: bekijk per leerling de gewijzigde perioden (de kolommen Begindatum en Einddatum "
           "geldigheid gegevens) en werk uw eigen overzichten bij, zoals de lijst van TLV's die verlopen.")
VERLOOPT_MAX = 15

def filenames(swv_code: str) -> dict[str, str]:
    return {"xlsx": f"kijkglas-2_{swv_code}.xlsx", "pdf": f"kijkglas-2_{swv_code}.pdf"}




def _k2_numbers(result) -> dict:
    """The reading guide's figures: per block and in all, the TLVs to re-assess, the pupils without a
    TLV, on a residential place and with a CvI."""
    peil = as_date(result.stand_per) or result.stand_per
    return {**_k2_block_numbers(result.tables), "einde_schooljaar": format_nl(einde_schooljaar_van(peil)),
            **_k2_tlv_verloopt(result.tables, peil), **_k2_overig_cvi(result.tables)}


def _k2_block_numbers(tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """Rows, pupils and funded J/N per block, and in all blocks with the growth marks."""
    blocks = []
    for stem, (nr, caption, sheet) in BLOCKS.items():
        t = tables.get(stem)
        blocks.append({
            "stem": stem, "blok": nr, "caption": caption, "sheet": sheet,
            "regels": 0 if t is None else int(len(t)),
            "leerlingen": distinct_of(t, "DUO-nummer leerling"),
            "bekostigd_j": count_of(t, "Voldoet bekost. criteria", "J"),
            "bekostigd_n": count_of(t, "Voldoet bekost. criteria", "N"),
        })
    frames = [tables[s] for s in BLOCKS if s in tables]
    common = ["DUO-nummer leerling", "Instroom", "Uitstroom", "Doorstroom"]
    alle = (pd.concat([f[[c for c in common if c in f.columns]] for f in frames], ignore_index=True)
            if frames else pd.DataFrame(columns=common))
    per_leerling = alle["DUO-nummer leerling"].value_counts() if len(alle) else pd.Series(dtype=int)
    return {
        "blokken": blocks,
        "regels": int(len(alle)),
        "leerlingen": distinct_of(alle, "DUO-nummer leerling"),
        "bekostigd_j": sum(b["bekostigd_j"] for b in blocks),
        "bekostigd_n": sum(b["bekostigd_n"] for b in blocks),
        "meer_regels": int((per_leerling > 1).sum()),
        "instroom": count_of(alle, "Instroom", "J"),
        "uitstroom": count_of(alle, "Uitstroom", "J"),
        "doorstroom_in": count_of(alle, "Doorstroom", DOORSTROOM_IN),
        "doorstroom_uit": count_of(alle, "Doorstroom", DOORSTROOM_UIT),
    }


def _k2_tlv_verloopt(tables: dict[str, pd.DataFrame], peil: date) -> dict[str, Any]:
    """TLVs to re-assess: one line per (pupil, TLV), the school of its latest period; block 2.2's and
    those of pupils on a residential place (block 2.4), whatever the block."""
    n: dict[str, Any] = {"verloopt": 0, "verloopt_verlopen": 0, "verloopt_leerlingen": 0, "verloopt_rijen": []}
    tlv = pd.concat([tables[s] for s in ("k2_tlv", "k2_overig") if s in tables and "TLV verloopt" in tables[s].columns],
                    ignore_index=True) if any(s in tables for s in ("k2_tlv", "k2_overig")) else None
    if tlv is None or "TLV verloopt" not in tlv.columns or not len(tlv):
        return n
    v = tlv[tlv["TLV verloopt"] == "J"]
    if not len(v):
        return n
    v = (v.sort_values(["DUO-nummer leerling", "TLV nummer", "Begindatum geldigheid gegevens"], kind="stable")
         .drop_duplicates(["DUO-nummer leerling", "TLV nummer"], keep="last")
         .sort_values(["Einddatum TLV", "DUO-nummer leerling", "TLV nummer"], kind="stable"))
    eind = [as_date(x) for x in v["Einddatum TLV"]]
    cols = ["DUO-nummer leerling", "Vestiging", "TLV nummer", "Einddatum TLV"]
    return {"verloopt": int(len(v)),
            "verloopt_verlopen": sum(1 for d in eind if d is not None and d < peil),
            "verloopt_leerlingen": distinct_of(v, "DUO-nummer leerling"),
            "verloopt_rijen": [[format_nl(x) for x in r] for r in frame_rows(v[cols].head(VERLOOPT_MAX))]}


def _k2_overig_cvi(tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """Block 2.4 split by residential place (without a TLV, RP) and the pupils with a CvI by soort."""
    overig = tables.get("k2_overig")
    if overig is not None and "Resid. leerling" in overig.columns:
        zonder = overig[overig["Resid. leerling"] == "N"]
        rp = overig[overig["Resid. leerling"] == "J"]
    else:
        zonder = rp = None
    cvi = tables.get("k2_cvi")
    return {
        "zonder_tlv": distinct_of(zonder, "DUO-nummer leerling"),
        "zonder_tlv_regels": 0 if zonder is None else int(len(zonder)),
        "zonder_tlv_bekostigd": distinct_of(
            None if zonder is None else zonder[zonder["Voldoet bekost. criteria"] == "J"], "DUO-nummer leerling"),
        "rp": distinct_of(rp, "DUO-nummer leerling"),
        "cvi": distinct_of(cvi, "DUO-nummer leerling"),
        "cvi_soorten": ([(str(k), int(c)) for k, c in
                         cvi.drop_duplicates("DUO-nummer leerling")["Soort indicatie"].value_counts()
                         .sort_index().items()]
                        if cvi is not None and len(cvi) and "Soort indicatie" in cvi.columns else []),
    }


def _k2_overview(n: dict) -> dict:
    rows = [[f"Blok {b['blok']}", b["sheet"], b["regels"], b["leerlingen"], b["bekostigd_j"], b["bekostigd_n"]]
            for b in n["blokken"]]
    rows.append(["Totaal", "", n["regels"], n["leerlingen"], n["bekostigd_j"], n["bekostigd_n"]])
    return table_context(frame_of(rows, ["Blok", "Tabblad", "Regels", "Leerlingen",
                                       "Voldoet bekost. criteria J", "Voldoet bekost. criteria N"]))


def pdf_context(result, change_report: list[dict] | None = None) -> dict:
    """Template context (plain types) for templates/kijkglas-2.html."""
    code = result.swv.swv_code if result.swv else "openbaar"
    ctx = base_context(result, TITLE, "Kijkglas 2", filenames(code), CHANGES, change_report)
    d = schooljaar_dates(result.schooljaar)
    n = _k2_numbers(result)
    ctx.update({
        "n": n,
        "overzicht": _k2_overview(n),
        "marks_visible": result.marks_visible,
        "teldatum": format_nl(d["teldatum"]),
        "peildatum": format_nl(d["peildatum"]),
        "begin_schooljaar": format_nl(date(d["teldatum"].year, 8, 1)),
        "einde_schooljaar": format_nl(d["einde"]),
        "kalenderjaar": d["teldatum"].year,
        "verloopt_max": VERLOOPT_MAX,
    })
    return ctx


def write_documents(result, version_dir: str | os.PathLike,
                         change_report: list[dict] | None = None) -> tuple[list[Path], PdfJob]:
    """Kijkglas 2 for one SWV: the workbook (Algemene gegevens + blok 2.2, 2.3, 2.4), data/*.csv
    and the PDF job."""
    require_swv(result, "Kijkglas 2")
    version_dir = prepare_dir(version_dir)
    code = result.swv.swv_code
    names = filenames(code)
    sheets = [Sheet("Algemene gegevens", [])]
    for stem, (nr, caption, sheet) in BLOCKS.items():
        if stem in result.tables:
            sheets.append(Sheet(sheet, [(f"Blok {nr} – {caption}", result.tables[stem])], detail=True,
                                algemene_gegevens=False))
    written = [write_workbook(version_dir / names["xlsx"], f"{TITLE} – {code} {result.swv.naam}",
                              general_rows(result), sheets, timestamp=result.aanmaakdatum)]
    written += write_csv_tables(result.tables, version_dir / "data")
    job = PdfJob("kijkglas-2.html", pdf_context(result, change_report), version_dir / names["pdf"])
    return written, job


