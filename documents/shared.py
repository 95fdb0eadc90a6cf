"""Parts the documents of several products share: the Algemene gegevens rows, the context every
PDF template starts from, and small counting helpers over a product's tables."""
from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from documents.changes import ChangeWords, changes_context
from documents.context import algemene_gegevens_context
from documents.csv_tables import write_csv_tables
from documents.pdf import PdfJob
from documents.values import cell_value, format_nl
from documents.workbook import Sheet, write_workbook
from tasks import rules
from tasks.model import ProductResult

GEEN_BEDRAGEN = "Er zijn nog geen bedragen vastgesteld"
ONBEKEND = "onbekend"
# the Doorstroom values of Kijkglas 2 and 3
DOORSTROOM_IN = "Instroom van andere (v)so"
DOORSTROOM_UIT = "Uitstroom naar andere (v)so"


def algemene_gegevens_rows(result: ProductResult, stand_per_label: str = "Stand per",
                           more: Sequence[tuple] = ()) -> list[tuple[str, Any]]:
    """The identifying block that heads every workbook and PDF, as (label, value) rows with the values
    as they are (dates as dates; the workbook and the PDF format them): the SWV, the product's own
    facts (result.algemene_gegevens), `more` rows of the product's documents, the stand per and the
    aanmaakdatum. An address the register does not hold reads "onbekend" (an empty row looks like a
    fault of the document); Kijkglas 3 names the stand per "Bijgewerkt tot", as the handleiding does."""
    swv, ag = result.swv, result.algemene_gegevens
    rows: list[tuple[str, Any]] = []
    if swv is not None:
        plaats = " ".join(p for p in [swv.postcode, swv.plaats] if p)
        rows += [("Administratienummer", swv.swv_code), ("Naam", swv.naam), ("Adres", swv.adres or ONBEKEND),
                 ("Postcode en plaats", plaats or ONBEKEND)]
    rows += [(label, value) for label, value in
             [("Schooljaar", ag.schooljaar), ("Teldatum", ag.teldatum), ("Peildatum", ag.peildatum)]
             if value is not None]
    return rows + list(more) + [(stand_per_label, result.stand_per), ("Aanmaakdatum", result.aanmaakdatum)]


def general_rows(result: ProductResult, stand_per_label: str = "Stand per",
                 more: Sequence[tuple] = ()) -> list[tuple]:
    """The Algemene gegevens (`algemene_gegevens_rows`) followed by the version the documents will be
    published as."""
    return algemene_gegevens_rows(result, stand_per_label, more) + version_rows(result)


def version_rows(result: ProductResult) -> list[tuple[str, str]]:
    """`Versie v2 (actueel bij publicatie)` and `Vervangt v1: <why>`, when the production told the
    documents which version they become (result.versie); nothing otherwise."""
    versie = result.versie
    if versie is None:
        return []
    rows = [("Versie", f"{versie.versie} ({versie.status} bij publicatie)")]
    if versie.vervangt:
        rows.append(("Vervangt", f"{versie.vervangt}: {versie.reden}"))
    return rows


def version_footer(result: ProductResult) -> str:
    """` · v2` for a page footer, when the version is known."""
    return f" · {result.versie.versie}" if result.versie else ""


def whole_number(v: Any) -> int:
    v = cell_value(v, as_int=True)
    return int(v) if v is not None else 0


def count_of(frame: pd.DataFrame | None, column: str, value: str) -> int:
    if frame is None or column not in frame.columns:
        return 0
    return int((frame[column] == value).sum())


def distinct_of(frame: pd.DataFrame | None, column: str) -> int:
    if frame is None or column not in frame.columns:
        return 0
    return int(frame[column].dropna().nunique())


def base_context(result, titel: str, product_kort: str, names: dict[str, str],
                 words: ChangeWords, change_report: list[dict] | None, stand_per_label: str = "Stand per") -> dict:
    """What every Kijkglas 2–5 template starts from (see base.html; Kijkglas 1 builds its own)."""
    swv = result.swv
    code = swv.swv_code if swv else "openbaar"
    return {
        "document_title": f"{titel} – {code}",
        "product": result.product,
        "product_titel": titel,
        "swv_code": code,
        "swv_naam": swv.naam if swv else "",
        "sector": swv.sector if swv else "",
        "schooljaar": result.schooljaar,
        "stand_per": format_nl(result.stand_per),
        "aanmaakdatum": result.aanmaakdatum.isoformat(),
        "aanmaakdatum_nl": format_nl(result.aanmaakdatum),
        "algemene_gegevens": algemene_gegevens_context(general_rows(result, stand_per_label)),
        "bestanden": names,
        "footer": f"{code} · {product_kort} · schooljaar {result.schooljaar} · "
                  f"stand per {format_nl(result.stand_per)}{version_footer(result)}",
        **changes_context(change_report, words),
    }


def workbook_csvs_and_pdf(result: ProductResult, version_dir: Path, title: str, names: dict[str, str],
                          sheets: list[Sheet], template: str, context: dict) -> tuple[list[Path], PdfJob]:
    """An SWV's documents of a product with one workbook: the workbook `names["xlsx"]` of `sheets` with
    the Algemene gegevens, every table as data/<stem>.csv, and the PDF job of `template`."""
    written = [write_workbook(version_dir / names["xlsx"], f"{title} – {result.swv.swv_code}", general_rows(result),
                              sheets, timestamp=result.aanmaakdatum)]
    written += write_csv_tables(result.tables, version_dir / "data")
    return written, PdfJob(template, context, version_dir / names["pdf"])


def require_swv(result, product: str) -> None:
    if result.swv is None:
        raise ValueError(f"{product} is made per SWV")


def prepare_dir(version_dir: str | os.PathLike) -> Path:
    version_dir = Path(version_dir)
    version_dir.mkdir(parents=True, exist_ok=True)
    return version_dir


def frame_of(rows: Sequence[Sequence[Any]], columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame([list(r) for r in rows], columns=list(columns))



def schooljaar_dates(schooljaar: str) -> dict[str, date]:
    """Teldatum, peildatum and the last day of the schooljaar, as the rules define them."""
    return {"teldatum": rules.teldatum(schooljaar).date(), "peildatum": rules.peildatum_groei(schooljaar).date(),
            "einde": rules.schooljaar_bounds(schooljaar)[1].date()}


def einde_schooljaar_van(d: date) -> date:
    """The last day (31 July) of the schooljaar that contains `d`."""
    return rules.schooljaar_bounds(rules.schooljaar_of(d))[1].date()
