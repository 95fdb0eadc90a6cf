"""What a production refuses, before anything is written: periods the extract cannot support, and
an extract without a single registration in the period. Each refusal says what to do."""
from __future__ import annotations

from datetime import date

from production.kalender import ProductKalender, schooljaar_on
from tasks import rules


class ProductionRefused(ValueError):
    """A production that cannot be right on the extract it was given; the message says what to do."""


def first_stand_per(kind: str, schooljaar: str) -> date:
    """The earliest stand per that supports a product about `schooljaar` (kalender.yaml, eerste_stand_per)."""
    begin, einde = rules.schooljaar_bounds(schooljaar)
    dates = {"begin_schooljaar": begin.date(), "peildatum": rules.peildatum_groei(schooljaar).date(),
             "einde_schooljaar": einde.date()}
    if kind not in dates:
        raise ValueError(f"unknown eerste_stand_per {kind!r} in the calendar (one of {', '.join(dates)})")
    return dates[kind]


def check_period(product: str, schooljaar: str, stand_per: date, productiedatum: date,
                 kalender: dict[str, ProductKalender]) -> None:
    """Refuse a production the extract cannot support: a stand per before the product's first usable
    one for that schooljaar, or a production date before the stand per."""
    rules.schooljaar_start_year(schooljaar)  # a malformed schooljaar is refused before anything else
    first = first_stand_per(kalender[product].eerste_stand_per, schooljaar)
    if stand_per < first:
        raise ProductionRefused(
            f"{product} {schooljaar} kan niet kloppen op een extract met stand per {stand_per:%d-%m-%Y}: "
            f"het heeft een stand per op of na {first:%d-%m-%Y} nodig. Lever een extract met stand per op of "
            f"na {first:%d-%m-%Y}. Er is niets gepubliceerd.")
    if productiedatum < stand_per:
        raise ProductionRefused(
            f"{product} {schooljaar}: de productiedatum {productiedatum:%d-%m-%Y} ligt vóór de stand per "
            f"{stand_per:%d-%m-%Y} van het extract. Kies een productiedatum op of na {stand_per:%d-%m-%Y}. "
            f"Er is niets gepubliceerd.")


def check_not_empty(product: str, schooljaar: str, extract) -> None:
    """Refuse a product for a schooljaar in which the extract holds no registration at all (an
    empty national product would look authoritative; an SWV without sbao is normal and fine)."""
    begin, einde = rules.schooljaar_bounds(schooljaar)
    ins = extract.inschrijvingen
    active = (ins["begindatum"] <= einde) & (ins["einddatum"].isna() | (ins["einddatum"] >= begin))
    if not bool(active.any()):
        raise ProductionRefused(
            f"{product} {schooljaar}: het extract (stand per {extract.stand_per:%d-%m-%Y}) bevat geen enkele "
            f"inschrijving in het schooljaar {schooljaar} ({begin:%d-%m-%Y} t/m {einde:%d-%m-%Y}). Controleer "
            f"het extract of het schooljaar. Er is niets gepubliceerd.")


def check_in_calendar_window(product: str, schooljaar: str, productiedatum: date,
                             kalender: dict[str, ProductKalender], buiten_kalender: bool = False) -> None:
    """Refuse a production about a schooljaar the calendar is no longer (or not yet) on: Kijkglas 1 of
    2019-2020 made in 2026 would publish a new version to every SWV. `buiten_kalender` says it is meant."""
    on = schooljaar_on(kalender[product], productiedatum)
    if schooljaar != on and not buiten_kalender:
        raise ProductionRefused(
            f"{product} {schooljaar} valt buiten de kalender: op {productiedatum:%d-%m-%Y} maakt de kalender "
            f"{product} over {on}. Bedoel je dit echt (bv. een correctie van een oud schooljaar), zet dan "
            f"buiten_kalender aan (CLI: --buiten-kalender). Er is niets gepubliceerd.")
