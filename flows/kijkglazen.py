"""One thin flow per product, plus the shared wiring. Parameters are what an operator fills in
from the Prefect UI: schooljaar (empty = as the calendar says for the production date), the extract
(one extract folder, or a folder of extracts: the newest on or before the production date), the
outbox (both empty = the server's Prefect Variables), optionally a list of SWV codes, and two switches:
`droog` (compute and report, write nothing) and `buiten_kalender` (a schooljaar the calendar is not on)."""
from __future__ import annotations

import time
from datetime import date
from zoneinfo import ZoneInfo

from prefect import flow, get_client, get_run_logger, unmapped
from prefect.concurrency.sync import concurrency
from prefect.exceptions import ObjectAlreadyExists
from prefect.futures import as_completed
from prefect.runtime import flow_run as runtime_flow_run
from prefect.utilities.annotations import quote

from core.settings import load_settings
from flows.logs import USER_ERRORS, quiet_user_errors, refused
from flows.parameters import (BuitenKalender, DaskAddress, Droog, Extract, Outbox, Paginas, Productiedatum,
                              SchooljaarOfKalender, Swv)
from flows.paths import extracts_path, outbox_path
from flows.prefect_tasks import (compare, compute_product, dry_run, prepare_owner, publish_owner, record_production,
                                 render_pool,
                                 report_dry_run, report_production, store_compared, update_pages, validate_extract)
from production import kalender, steps
from production.request import production_request
from production.steps import results_to_publish
from production.summary import headline, production_name
from products import registry

def production_date(given) -> date:
    """The production date: as given, else the day the run was scheduled for in the calendar's
    timezone (a scheduled run on the 10th at 06:00 is the production of the 10th, also when it starts
    late; a manual run: today)."""
    if given:
        return date.fromisoformat(str(given))
    start = runtime_flow_run.scheduled_start_time
    return start.astimezone(ZoneInfo(kalender.tijdzone())).date() if start else date.today()


def run_name() -> str:
    """`kijkglas-2 2024-2025 · 10-03-2025`: product, schooljaar and production date, also for a
    scheduled run whose schooljaar is empty; a dry run ends in ` · droog`."""
    p = runtime_flow_run.parameters
    product = runtime_flow_run.flow_name
    try:
        datum = production_date(p.get("productiedatum"))
        schooljaar = p.get("schooljaar") or kalender.schooljaar_on(kalender.load_kalender()[product], datum)
        return production_name(product, schooljaar, datum, bool(p.get("droog")))
    except (KeyError, ValueError):  # the run itself says what is wrong with its parameters
        return f"{product} (ongeldige parameters)"


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


def produce(product: str, schooljaar: str | None, extract: str | None, outbox: str | None,
            swv: list[str] | None = None, productiedatum: date | None = None, dask_address: str | None = None,
            droog: bool = False, buiten_kalender: bool = False, paginas: bool = True):
    """The body of every product flow: request → validate → compute (reconciled) → per SWV: documents
    and atomic publish → pages → report. A user's mistake ends the run Failed with one Dutch line."""
    quiet_user_errors()
    log = get_run_logger()
    try:
        settings = load_settings()  # once per production; every step gets it passed
        req = production_request(product, schooljaar, extracts_path(extract), outbox_path(outbox),
                                 production_date(productiedatum), buiten_kalender)
        log.info("%s %s op extract %s (productiedatum %s)%s", product, req.schooljaar, req.extract_dir,
                 f"{req.productiedatum:%d-%m-%Y}", " — droge run: er wordt niets geschreven" if droog else "")
        render_pool()  # its workers start now and import their libraries while the extract is validated
        report_dir = None if droog else steps.validation_report_dir(req.outbox, req.extract_dir)
        ex = validate_extract(str(req.extract_dir), str(report_dir) if report_dir else None)
        production = compute_product(product, ex, req.schooljaar, req.productiedatum, swv, settings)
        if droog:
            outcomes = dry_run(production, str(req.outbox), ex.stand_per, settings)
            report_dry_run(production, outcomes, ex.stand_per, str(req.outbox))
        else:
            comparison = compare(production, ex, str(req.outbox))  # reconciled before anything is published
            outcomes = publish(production, ex, str(req.outbox), settings, dask_address, log)
            store_compared(production, comparison, str(req.outbox))  # before the pages, which show it
            if paginas:
                update_pages(str(req.outbox), outcomes)
            report = str(report_dir / "validatie.txt")
            kwaliteit = record_production(production, outcomes, ex.stand_per, str(req.outbox), report)
            report_production(production, outcomes, ex.stand_per, str(req.outbox), report, kwaliteit)
    except USER_ERRORS as exc:
        return refused(exc, log)
    log.info("%s %s: %s; outbox %s", product, req.schooljaar, headline(outcomes), req.outbox)
    return [o.__dict__ for o in outcomes]


def publish(production, ex, outbox: str, settings, dask_address: str | None, log) -> list[steps.SwvOutcome]:
    """Every SWV's documents made in the render pool (or on the Dask cluster), all before the first is
    published (whole or nothing), then published; one production of a product and period at a time."""
    with publishing_slot(production.product, production.schooljaar):
        todo, outcomes = results_to_publish(production, outbox, ex.stand_per, settings.register_path)
        in_pool = dask_address is None
        # the stages belong to this process (it keeps them alive); quote: Prefect need not walk each
        # SWV's tables looking for futures (there are none); the Dask task runner takes them as they are
        with steps.stages_for(todo, outbox) as stages:
            results = quote(todo) if in_pool else todo
            futures = prepare_owner.map(results, [str(s) for s in stages], unmapped(outbox), unmapped(ex.identity),
                                        unmapped(in_pool))
            log_progress(futures, production.product, log)
            prepared = steps.all_prepared(todo, [f.result(raise_on_failure=False) for f in futures])
            published = publish_owner.map(quote(prepared) if in_pool else prepared, results, unmapped(outbox),
                                          unmapped(ex.identity), unmapped(settings), unmapped(in_pool))
            return outcomes + published.result()


def product_runner(product: str, dask_address: str | None):
    """The product's flow, with its per-SWV fan-out on an existing Dask cluster when an address is given."""
    product_flow = PRODUCT_FLOWS[product]
    if not dask_address:
        return product_flow
    from prefect_dask import DaskTaskRunner
    return product_flow.with_options(task_runner=DaskTaskRunner(address=dask_address))


# `prefect deploy` reads each parameter's description for the UI's run form from the flow's own
# docstring in the source (it parses, it does not import), so each product flow carries the Args.

@flow(name="kijkglas-1", flow_run_name=run_name, description=registry.product("kijkglas-1").description)
def kijkglas_1(schooljaar: SchooljaarOfKalender = None, extract: Extract = None, outbox: Outbox = None, swv: Swv = None,
               productiedatum: Productiedatum = None, droog: Droog = False, buiten_kalender: BuitenKalender = False,
               dask_address: DaskAddress = None, paginas: Paginas = True):
    """Kijkglas 1 — onderbouwing bekostiging.

    Args:
        schooljaar: JJJJ-JJJJ, bv. 2024-2025; leeg = volgens de kalender voor de productiedatum.
        extract: één extractmap, of een map met extracten (dan het nieuwste met stand per op of vóór de productiedatum), bv. /data/extracts; leeg = de Prefect-variabele kijkglas_extracts.
        outbox: de outbox, één map per SWV, bv. /data/outbox; leeg = de Prefect-variabele kijkglas_outbox.
        swv: alleen deze SWV's (PO of VO en vier cijfers, bv. PO2001); leeg = alle.
        productiedatum: JJJJ-MM-DD, bv. 2024-12-10; leeg = de geplande dag van de run (met de hand: vandaag); nooit vóór de stand per.
        droog: aan = alleen berekenen en per SWV melden wat er gepubliceerd zou worden; er wordt niets geschreven.
        buiten_kalender: aan = ook een schooljaar waar de kalender op deze datum niet (meer) over gaat, bv. een correctie van een oud schooljaar.
        dask_address: optioneel, een Dask-scheduler voor de per-SWV fan-out, bv. tcp://dask:8786.
        paginas: uit = de dashboardpagina's niet bijwerken (een productiedag doet dat één keer, na al zijn producten).
    """
    return produce("kijkglas-1", schooljaar, extract, outbox, swv, productiedatum, dask_address, droog, buiten_kalender,
                   paginas)


@flow(name="kijkglas-2", flow_run_name=run_name, description=registry.product("kijkglas-2").description)
def kijkglas_2(schooljaar: SchooljaarOfKalender = None, extract: Extract = None, outbox: Outbox = None, swv: Swv = None,
               productiedatum: Productiedatum = None, droog: Droog = False, buiten_kalender: BuitenKalender = False,
               dask_address: DaskAddress = None, paginas: Paginas = True):
    """Kijkglas 2 — inschrijvingen (v)so.

    Args:
        schooljaar: JJJJ-JJJJ, bv. 2024-2025; leeg = volgens de kalender voor de productiedatum.
        extract: één extractmap, of een map met extracten (dan het nieuwste met stand per op of vóór de productiedatum), bv. /data/extracts; leeg = de Prefect-variabele kijkglas_extracts.
        outbox: de outbox, één map per SWV, bv. /data/outbox; leeg = de Prefect-variabele kijkglas_outbox.
        swv: alleen deze SWV's (PO of VO en vier cijfers, bv. PO2001); leeg = alle.
        productiedatum: JJJJ-MM-DD, bv. 2024-12-10; leeg = de geplande dag van de run (met de hand: vandaag); nooit vóór de stand per.
        droog: aan = alleen berekenen en per SWV melden wat er gepubliceerd zou worden; er wordt niets geschreven.
        buiten_kalender: aan = ook een schooljaar waar de kalender op deze datum niet (meer) over gaat, bv. een correctie van een oud schooljaar.
        dask_address: optioneel, een Dask-scheduler voor de per-SWV fan-out, bv. tcp://dask:8786.
        paginas: uit = de dashboardpagina's niet bijwerken (een productiedag doet dat één keer, na al zijn producten).
    """
    return produce("kijkglas-2", schooljaar, extract, outbox, swv, productiedatum, dask_address, droog, buiten_kalender,
                   paginas)


@flow(name="kijkglas-3", flow_run_name=run_name, description=registry.product("kijkglas-3").description)
def kijkglas_3(schooljaar: SchooljaarOfKalender = None, extract: Extract = None, outbox: Outbox = None, swv: Swv = None,
               productiedatum: Productiedatum = None, droog: Droog = False, buiten_kalender: BuitenKalender = False,
               dask_address: DaskAddress = None, paginas: Paginas = True):
    """Kijkglas 3 — groei (v)so.

    Args:
        schooljaar: JJJJ-JJJJ, bv. 2024-2025; leeg = volgens de kalender voor de productiedatum.
        extract: één extractmap, of een map met extracten (dan het nieuwste met stand per op of vóór de productiedatum), bv. /data/extracts; leeg = de Prefect-variabele kijkglas_extracts.
        outbox: de outbox, één map per SWV, bv. /data/outbox; leeg = de Prefect-variabele kijkglas_outbox.
        swv: alleen deze SWV's (PO of VO en vier cijfers, bv. PO2001); leeg = alle.
        productiedatum: JJJJ-MM-DD, bv. 2024-12-10; leeg = de geplande dag van de run (met de hand: vandaag); nooit vóór de stand per.
        droog: aan = alleen berekenen en per SWV melden wat er gepubliceerd zou worden; er wordt niets geschreven.
        buiten_kalender: aan = ook een schooljaar waar de kalender op deze datum niet (meer) over gaat, bv. een correctie van een oud schooljaar.
        dask_address: optioneel, een Dask-scheduler voor de per-SWV fan-out, bv. tcp://dask:8786.
        paginas: uit = de dashboardpagina's niet bijwerken (een productiedag doet dat één keer, na al zijn producten).
    """
    return produce("kijkglas-3", schooljaar, extract, outbox, swv, productiedatum, dask_address, droog, buiten_kalender,
                   paginas)


@flow(name="kijkglas-4", flow_run_name=run_name, description=registry.product("kijkglas-4").description)
def kijkglas_4(schooljaar: SchooljaarOfKalender = None, extract: Extract = None, outbox: Outbox = None, swv: Swv = None,
               productiedatum: Productiedatum = None, droog: Droog = False, buiten_kalender: BuitenKalender = False,
               dask_address: DaskAddress = None, paginas: Paginas = True):
    """Kijkglas 4 — groei sbao.

    Args:
        schooljaar: JJJJ-JJJJ, bv. 2024-2025; leeg = volgens de kalender voor de productiedatum.
        extract: één extractmap, of een map met extracten (dan het nieuwste met stand per op of vóór de productiedatum), bv. /data/extracts; leeg = de Prefect-variabele kijkglas_extracts.
        outbox: de outbox, één map per SWV, bv. /data/outbox; leeg = de Prefect-variabele kijkglas_outbox.
        swv: alleen deze SWV's (PO of VO en vier cijfers, bv. PO2001); leeg = alle.
        productiedatum: JJJJ-MM-DD, bv. 2024-12-10; leeg = de geplande dag van de run (met de hand: vandaag); nooit vóór de stand per.
        droog: aan = alleen berekenen en per SWV melden wat er gepubliceerd zou worden; er wordt niets geschreven.
        buiten_kalender: aan = ook een schooljaar waar de kalender op deze datum niet (meer) over gaat, bv. een correctie van een oud schooljaar.
        dask_address: optioneel, een Dask-scheduler voor de per-SWV fan-out, bv. tcp://dask:8786.
        paginas: uit = de dashboardpagina's niet bijwerken (een productiedag doet dat één keer, na al zijn producten).
    """
    return produce("kijkglas-4", schooljaar, extract, outbox, swv, productiedatum, dask_address, droog, buiten_kalender,
                   paginas)


@flow(name="kijkglas-5", flow_run_name=run_name, description=registry.product("kijkglas-5").description)
def kijkglas_5(schooljaar: SchooljaarOfKalender = None, extract: Extract = None, outbox: Outbox = None, swv: Swv = None,
               productiedatum: Productiedatum = None, droog: Droog = False, buiten_kalender: BuitenKalender = False,
               dask_address: DaskAddress = None, paginas: Paginas = True):
    """Kijkglas 5 — grensverkeer sbao.

    Args:
        schooljaar: JJJJ-JJJJ, bv. 2024-2025; leeg = volgens de kalender voor de productiedatum.
        extract: één extractmap, of een map met extracten (dan het nieuwste met stand per op of vóór de productiedatum), bv. /data/extracts; leeg = de Prefect-variabele kijkglas_extracts.
        outbox: de outbox, één map per SWV, bv. /data/outbox; leeg = de Prefect-variabele kijkglas_outbox.
        swv: alleen deze SWV's (PO of VO en vier cijfers, bv. PO2001); leeg = alle.
        productiedatum: JJJJ-MM-DD, bv. 2024-12-10; leeg = de geplande dag van de run (met de hand: vandaag); nooit vóór de stand per.
        droog: aan = alleen berekenen en per SWV melden wat er gepubliceerd zou worden; er wordt niets geschreven.
        buiten_kalender: aan = ook een schooljaar waar de kalender op deze datum niet (meer) over gaat, bv. een correctie van een oud schooljaar.
        dask_address: optioneel, een Dask-scheduler voor de per-SWV fan-out, bv. tcp://dask:8786.
        paginas: uit = de dashboardpagina's niet bijwerken (een productiedag doet dat één keer, na al zijn producten).
    """
    return produce("kijkglas-5", schooljaar, extract, outbox, swv, productiedatum, dask_address, droog, buiten_kalender,
                   paginas)



PRODUCT_FLOWS = {f.name: f for f in (kijkglas_1, kijkglas_2, kijkglas_3, kijkglas_4, kijkglas_5)}
