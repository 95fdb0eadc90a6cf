"""The product flows (one per product, all made by `product_flow`) and their wiring (`produce`).
Parameters are what an operator fills in from the Prefect UI: schooljaar (empty = as the calendar says for the production date), the extract
(one extract folder, or a folder of extracts: the newest on or before the production date), the
outbox (both empty = the server's Prefect Variables), optionally a list of SWV codes, and two switches:
`droog` (compute and report, write nothing) and `buiten_kalender` (a schooljaar the calendar is not on)."""
from __future__ import annotations

import time
from datetime import date
from zoneinfo import ZoneInfo

from prefect import Flow, flow, get_client, get_run_logger, unmapped
from prefect.concurrency.sync import concurrency
from prefect.exceptions import ObjectAlreadyExists
from prefect.futures import as_completed
from prefect.runtime import flow_run as runtime_flow_run
from prefect.utilities.annotations import quote

from core.files import io_error_words
from core.settings import load_settings
from flows.logs import USER_ERRORS, quiet_user_errors, refused
from flows.parameters import (BuitenKalender, DaskAddress, Droog, Extract, Outbox, Paginas, Productiedatum,
                              SchooljaarOfKalender, Swv, with_parameter_help)
from flows.paths import extracts_path, outbox_path
from flows.prefect_tasks import (compare, compute_product, dry_run, prepare_owner, publish_owner, record_production,
                                 render_pool,
                                 report_dry_run, report_production, store_compared, update_pages, validate_extract)
from production import kalender, steps
from production.refusals import ProductionRefused
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
            outcomes, failed = publish(production, ex, str(req.outbox), settings, dask_address, log)
            store_compared(production, comparison, str(req.outbox))  # before the pages, which show it
            if paginas:
                update_pages(str(req.outbox), outcomes)
            report = str(report_dir / "validatie.txt")
            kwaliteit = record_production(production, outcomes, ex.stand_per, str(req.outbox), report)
            report_production(production, outcomes, ex.stand_per, str(req.outbox), report, kwaliteit)
            steps.refuse_partly_published(production, outcomes, failed)
    except USER_ERRORS as exc:
        return refused(exc, log)
    log.info("%s %s: %s; outbox %s", product, req.schooljaar, headline(outcomes), req.outbox)
    return outcomes


def publish(production, ex, outbox: str, settings, dask_address: str | None,
            log) -> tuple[list[steps.SwvOutcome], list[tuple[str, str]]]:
    """Every SWV's documents made in the render pool (or on the Dask cluster), all before the first is
    published (whole or nothing), then published; one production of a product and period at a time.
    Returns the outcomes and the SWVs whose publication failed (with why)."""
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
            done, failed = steps.published_or_failed(todo, [f.result(raise_on_failure=False) for f in published])
            return outcomes + done, failed


def check_reachable(dask_address: str, timeout: float = 5.0) -> None:
    """Refuse, in one line and before anything is read, a Dask scheduler that does not answer (the
    task runner would wait half a minute and end in an English traceback)."""
    import socket
    from urllib.parse import urlsplit

    where = urlsplit(dask_address)
    try:
        socket.create_connection((where.hostname, where.port or 8786), timeout=timeout).close()
    except OSError as exc:
        why = ("onbekende host" if isinstance(exc, socket.gaierror) else
               f"geen antwoord binnen {timeout:.0f} s" if isinstance(exc, TimeoutError) else
               "de verbinding werd geweigerd" if isinstance(exc, ConnectionRefusedError) else io_error_words(exc))
        raise ProductionRefused(
            f"de Dask-scheduler {dask_address} is niet bereikbaar ({why}): controleer het adres of "
            "start de scheduler, of laat dask_address leeg. Er is niets gepubliceerd.") from None


def product_runner(product: str, dask_address: str | None):
    """The product's flow, with its per-SWV fan-out on an existing Dask cluster when an address is given."""
    chosen = PRODUCT_FLOWS[product]
    if not dask_address:
        return chosen
    check_reachable(dask_address)
    from prefect_dask import DaskTaskRunner
    return chosen.with_options(task_runner=DaskTaskRunner(address=dask_address))


def product_flow(product: str) -> Flow:
    """The product's flow, named as the product (deployment `kijkglas-1/kijkglas-1`, entrypoint
    `flows/kijkglazen.py:kijkglas_1`): one body for every product, the parameters' help from
    flows/parameters.py."""
    def run(schooljaar: SchooljaarOfKalender = None, extract: Extract = None, outbox: Outbox = None, swv: Swv = None,
            productiedatum: Productiedatum = None, droog: Droog = False, buiten_kalender: BuitenKalender = False,
            dask_address: DaskAddress = None, paginas: Paginas = True):
        return produce(product, schooljaar, extract, outbox, swv, productiedatum, dask_address, droog,
                       buiten_kalender, paginas)

    run.__name__ = run.__qualname__ = product.replace("-", "_")  # what a module entrypoint names (serve.py)
    run.__doc__ = registry.product(product).kort
    return flow(name=product, flow_run_name=run_name,
                description=registry.product(product).description)(with_parameter_help(run))


PRODUCT_FLOWS = {name: product_flow(name) for name in registry.NAMES}
# the entrypoints of the deployments (deployments/definitions.py) and what the CLI and tests call
kijkglas_1, kijkglas_2, kijkglas_3, kijkglas_4, kijkglas_5 = PRODUCT_FLOWS.values()
