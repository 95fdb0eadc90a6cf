"""The production day and the backfill of a whole schooljaar, driven by the calendar (data)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import flow, get_run_logger

from flows.kijkglazen import product_runner
from production import kalender


@flow(name="productie", flow_run_name="productie-{datum}")
def productie(datum: date, extracts: str = "extracts", outbox: str = "outbox", swv: list[str] | None = None,
              producten: list[str] | None = None, dask_address: str | None = None) -> list[dict]:
    """Run every production the calendar calls for on `datum`, each on the newest extract whose
    stand per is on or before that date."""
    log = get_run_logger()
    plan = kalender.due_on(datum, kalender.load_kalender(), producten)
    if kalender.newest_extract_on(Path(extracts), datum) is None:
        log.warning("geen extract met stand per op of voor %s in %s: niets te doen", datum, extracts)
        return []
    outcomes = []
    for p in plan:
        outcomes += product_runner(dask_address)(p.product, p.schooljaar, extracts, outbox, swv, datum, dask_address)
    return outcomes


@flow(name="backfill", flow_run_name="backfill-{schooljaar}")
def backfill(schooljaar: str, extracts: str = "extracts", outbox: str = "outbox", producten: list[str] | None = None,
             swv: list[str] | None = None, dask_address: str | None = None) -> list[dict]:
    """Every production day of the schooljaar in date order. Safe to run again: a production on the
    same data publishes nothing, and an older extract never replaces a newer version."""
    outcomes = []
    days = sorted({p.datum for p in kalender.production_dates(schooljaar, kalender.load_kalender(), producten)})
    for d in days:
        outcomes += productie(d, extracts, outbox, swv, producten, dask_address)
    return outcomes
