"""One thin flow per product, plus the shared wiring. Parameters are what an operator fills in
from the Prefect UI: schooljaar (empty = as the calendar says for today), the extract (one
extract folder, or a folder of extracts: the newest on or before the production date), the
outbox, and optionally a list of SWV codes."""
from __future__ import annotations

import time
from datetime import date
from pathlib import Path

from prefect import flow, get_client, get_run_logger, unmapped
from prefect.concurrency.sync import concurrency
from prefect.exceptions import ObjectAlreadyExists
from prefect.futures import as_completed
from prefect.runtime import flow_run as runtime_flow_run
from prefect.utilities.annotations import quote

from core.settings import load_settings
from flows.parameters import DaskAddress, Extract, Outbox, Productiedatum, SchooljaarOfKalender, Swv
from flows.prefect_tasks import compute_product, publish_owner, report_production, update_pages, validate_extract
from outbox.layout import GEPUBLICEERD, ONGEWIJZIGD, OVERGESLAGEN
from production import kalender
from production.steps import results_to_publish
from products import registry


def _schooljaar(product: str, schooljaar: str | None, productiedatum) -> str:
    """The schooljaar as given, or as the calendar says for the production date (default today)."""
    if schooljaar:
        return schooljaar
    datum = date.fromisoformat(str(productiedatum)) if productiedatum else date.today()
    return kalender.schooljaar_for(registry.product(product).periode, datum)


def _run_name() -> str:
    """`kijkglas-1-2024-2025` also for a scheduled run (schooljaar empty), not `kijkglas-1-None`."""
    p = runtime_flow_run.parameters
    return f"{p['product']}-{_schooljaar(p['product'], p.get('schooljaar'), p.get('productiedatum'))}"


def log_progress(futures, product: str, log) -> None:
    """How far the publishing is, in the run's log (terminal and UI): every tenth of the SWVs."""
    started, total = time.monotonic(), len(futures)
    step = max(1, total // 10)
    for done, _ in enumerate(as_completed(futures), start=1):
        if done % step == 0 or done == total:
            log.info("%s: %d/%d SWV's klaar (%.0f s)", product, done, total, time.monotonic() - started)


def publishing_slot(product: str, schooljaar: str):
    """The one slot of the product and schooljaar's concurrency limit (made on first use): two
    productions of one product and period never publish at the same time, on any worker. The
    outbox's own locks stay the last line of defence."""
    name = kalender.concurrency_name(product, schooljaar)
    with get_client(sync_client=True) as client:
        try:
            client.upsert_global_concurrency_limit_by_name(name, limit=1)
        except ObjectAlreadyExists:  # another production made it a moment ago
            pass
    # a short lease: when a worker dies holding the slot, the next production gets it within a minute
    return concurrency(name, occupy=1, strict=True, lease_duration=60)


@flow(name="kijkglas-productie-product", flow_run_name=_run_name)
def produce_product(product: str, schooljaar: str | None, extract: str, outbox: str,
                    swv: list[str] | None = None, productiedatum: date | None = None,
                    dask_address: str | None = None, pages: bool = True) -> list[dict]:
    """Validate → compute (reconciled) → per SWV: documents and atomic publish → pages → report.
    `pages=False`: the caller (a production day) makes the pages once, after all its products."""
    log = get_run_logger()
    settings = load_settings()  # once per production; every step gets it passed
    datum = productiedatum or date.today()
    schooljaar = _schooljaar(product, schooljaar, datum)
    extract_dir = kalender.resolve_extract(extract, datum)
    log.info("%s %s op extract %s (productiedatum %s)", product, schooljaar, extract_dir, datum)
    ex = validate_extract(extract_dir, outbox)
    production = compute_product(product, ex, schooljaar, datum, swv, settings)
    with publishing_slot(product, schooljaar):
        todo, outcomes = results_to_publish(production, Path(outbox), ex.stand_per, settings.register_path)
        # quote: Prefect need not walk each SWV's tables looking for futures (there are none); the
        # Dask task runner takes the results as they are
        results = quote(todo) if dask_address is None else todo
        futures = publish_owner.map(results, unmapped(outbox), unmapped(ex.identity), unmapped(settings),
                                    unmapped(dask_address is None))
        log_progress(futures, product, log)
        outcomes += futures.result()
    if pages:
        update_pages(outbox, outcomes)
    report_production(production, outcomes, ex.stand_per, outbox)
    log.info("%s %s: %d gepubliceerd, %d ongewijzigd, %d overgeslagen; outbox %s", product, schooljaar,
             *(sum(o.outcome == kind for o in outcomes) for kind in (GEPUBLICEERD, ONGEWIJZIGD, OVERGESLAGEN)), outbox)
    return [o.__dict__ for o in outcomes]


def product_runner(dask_address: str | None):
    """`produce_product`, with its per-SWV fan-out on an existing Dask cluster when an address is given."""
    if not dask_address:
        return produce_product
    from prefect_dask import DaskTaskRunner
    return produce_product.with_options(task_runner=DaskTaskRunner(address=dask_address))


def _run(product, schooljaar, extract, outbox, swv, productiedatum, dask_address):
    return product_runner(dask_address)(product, schooljaar, extract, outbox, swv, productiedatum, dask_address)


# `prefect deploy` reads each parameter's description for the UI's run form from the flow's own
# docstring in the source (it parses, it does not import), so each product flow carries the Args.
@flow(name="kijkglas-1", description=registry.product("kijkglas-1").description)
def kijkglas_1(schooljaar: SchooljaarOfKalender = None, extract: Extract = "extracts", outbox: Outbox = "outbox",
               swv: Swv = None, productiedatum: Productiedatum = None, dask_address: DaskAddress = None):
    """Kijkglas 1 — onderbouwing bekostiging.

    Args:
        schooljaar: JJJJ-JJJJ, bv. 2024-2025; leeg = volgens de kalender voor de productiedatum.
        extract: één extractmap, of een map met extracten (dan het nieuwste met stand per op of vóór de productiedatum), bv. /data/extracts.
        outbox: de outbox, één map per SWV, bv. /data/outbox.
        swv: alleen deze SWV's (PO of VO en vier cijfers, bv. PO2001); leeg = alle.
        productiedatum: JJJJ-MM-DD, bv. 2024-12-10; leeg = vandaag; nooit vóór de stand per.
        dask_address: optioneel, een Dask-scheduler voor de per-SWV fan-out, bv. tcp://dask:8786.
    """
    return _run("kijkglas-1", schooljaar, extract, outbox, swv, productiedatum, dask_address)


@flow(name="kijkglas-2", description=registry.product("kijkglas-2").description)
def kijkglas_2(schooljaar: SchooljaarOfKalender = None, extract: Extract = "extracts", outbox: Outbox = "outbox",
               swv: Swv = None, productiedatum: Productiedatum = None, dask_address: DaskAddress = None):
    """Kijkglas 2 — inschrijvingen (v)so.

    Args:
        schooljaar: JJJJ-JJJJ, bv. 2024-2025; leeg = volgens de kalender voor de productiedatum.
        extract: één extractmap, of een map met extracten (dan het nieuwste met stand per op of vóór de productiedatum), bv. /data/extracts.
        outbox: de outbox, één map per SWV, bv. /data/outbox.
        swv: alleen deze SWV's (PO of VO en vier cijfers, bv. PO2001); leeg = alle.
        productiedatum: JJJJ-MM-DD, bv. 2024-12-10; leeg = vandaag; nooit vóór de stand per.
        dask_address: optioneel, een Dask-scheduler voor de per-SWV fan-out, bv. tcp://dask:8786.
    """
    return _run("kijkglas-2", schooljaar, extract, outbox, swv, productiedatum, dask_address)


@flow(name="kijkglas-3", description=registry.product("kijkglas-3").description)
def kijkglas_3(schooljaar: SchooljaarOfKalender = None, extract: Extract = "extracts", outbox: Outbox = "outbox",
               swv: Swv = None, productiedatum: Productiedatum = None, dask_address: DaskAddress = None):
    """Kijkglas 3 — groei (v)so.

    Args:
        schooljaar: JJJJ-JJJJ, bv. 2024-2025; leeg = volgens de kalender voor de productiedatum.
        extract: één extractmap, of een map met extracten (dan het nieuwste met stand per op of vóór de productiedatum), bv. /data/extracts.
        outbox: de outbox, één map per SWV, bv. /data/outbox.
        swv: alleen deze SWV's (PO of VO en vier cijfers, bv. PO2001); leeg = alle.
        productiedatum: JJJJ-MM-DD, bv. 2024-12-10; leeg = vandaag; nooit vóór de stand per.
        dask_address: optioneel, een Dask-scheduler voor de per-SWV fan-out, bv. tcp://dask:8786.
    """
    return _run("kijkglas-3", schooljaar, extract, outbox, swv, productiedatum, dask_address)


@flow(name="kijkglas-4", description=registry.product("kijkglas-4").description)
def kijkglas_4(schooljaar: SchooljaarOfKalender = None, extract: Extract = "extracts", outbox: Outbox = "outbox",
               swv: Swv = None, productiedatum: Productiedatum = None, dask_address: DaskAddress = None):
    """Kijkglas 4 — groei sbao.

    Args:
        schooljaar: JJJJ-JJJJ, bv. 2024-2025; leeg = volgens de kalender voor de productiedatum.
        extract: één extractmap, of een map met extracten (dan het nieuwste met stand per op of vóór de productiedatum), bv. /data/extracts.
        outbox: de outbox, één map per SWV, bv. /data/outbox.
        swv: alleen deze SWV's (PO of VO en vier cijfers, bv. PO2001); leeg = alle.
        productiedatum: JJJJ-MM-DD, bv. 2024-12-10; leeg = vandaag; nooit vóór de stand per.
        dask_address: optioneel, een Dask-scheduler voor de per-SWV fan-out, bv. tcp://dask:8786.
    """
    return _run("kijkglas-4", schooljaar, extract, outbox, swv, productiedatum, dask_address)


@flow(name="kijkglas-5", description=registry.product("kijkglas-5").description)
def kijkglas_5(schooljaar: SchooljaarOfKalender = None, extract: Extract = "extracts", outbox: Outbox = "outbox",
               swv: Swv = None, productiedatum: Productiedatum = None, dask_address: DaskAddress = None):
    """Kijkglas 5 — grensverkeer sbao.

    Args:
        schooljaar: JJJJ-JJJJ, bv. 2024-2025; leeg = volgens de kalender voor de productiedatum.
        extract: één extractmap, of een map met extracten (dan het nieuwste met stand per op of vóór de productiedatum), bv. /data/extracts.
        outbox: de outbox, één map per SWV, bv. /data/outbox.
        swv: alleen deze SWV's (PO of VO en vier cijfers, bv. PO2001); leeg = alle.
        productiedatum: JJJJ-MM-DD, bv. 2024-12-10; leeg = vandaag; nooit vóór de stand per.
        dask_address: optioneel, een Dask-scheduler voor de per-SWV fan-out, bv. tcp://dask:8786.
    """
    return _run("kijkglas-5", schooljaar, extract, outbox, swv, productiedatum, dask_address)
