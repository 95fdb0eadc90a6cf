"""What one production is asked to do, checked before anything is read: the schooljaar (given, or
as the calendar says for the production date), the calendar's window for it, and the extract it
runs on. Every refusal is one Dutch line that says what to do."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from production import kalender, refusals
from tasks import rules


@dataclass(frozen=True)
class ProductionRequest:
    product: str
    schooljaar: str
    productiedatum: date
    extract_dir: Path
    outbox: Path


def production_request(product: str, schooljaar: str | None, extract: Path, outbox: Path, productiedatum: date,
                       buiten_kalender: bool = False) -> ProductionRequest:
    """The production as it will run. `extract` is one extract folder or a folder of extracts (then
    the newest with a stand per on or before the production date)."""
    kal = kalender.load_kalender()
    # empty: the schooljaar the calendar is on (Kijkglas 1 in March: the teldatum of last October)
    schooljaar = schooljaar or kalender.schooljaar_on(kal[product], productiedatum)
    rules.schooljaar_start_year(schooljaar)
    refusals.check_in_calendar_window(product, schooljaar, productiedatum, kal, buiten_kalender)
    return ProductionRequest(product=product, schooljaar=schooljaar, productiedatum=productiedatum,
                             extract_dir=Path(kalender.resolve_extract(extract, productiedatum)), outbox=Path(outbox))
