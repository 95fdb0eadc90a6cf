"""The production day and the backfill of a whole schooljaar, driven by the calendar (data).

Run from a deployment (a worker, `kijkglas serve`), their productions become runs of the product
deployments that every worker of the pool can take (flows/dispatch.py). Called directly (the CLI,
the demo) they run the productions here, in date order; the outbox comes out the same.
"""
from __future__ import annotations

import contextvars
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from prefect import flow, get_run_logger

from flows import dispatch
from flows.kijkglazen import product_runner
from flows.prefect_tasks import update_pages
from flows.parameters import DaskAddress, Datum, Extracts, Outbox, Producten, Schooljaar, Swv
from products import registry
from production import kalender, steps
from production.refusals import ProductionsFailed


@flow(name="productie", flow_run_name="productie-{datum}")
def productie(datum: Datum, extracts: Extracts = "extracts", outbox: Outbox = "outbox", swv: Swv = None,
              producten: Producten = None, dask_address: DaskAddress = None) -> list[dict]:
    """Run every production the calendar calls for on `datum`, each on the newest extract whose
    stand per is on or before that date.

    Args:
        datum: de productiedag, JJJJ-MM-DD, bv. 2024-12-10.
        extracts: de map met extracten, één submap per stand per, bv. /data/extracts.
        outbox: de outbox, één map per SWV, bv. /data/outbox.
        swv: alleen deze SWV's (PO of VO en vier cijfers, bv. PO2001); leeg = alle.
        producten: alleen deze producten (kijkglas-1 … kijkglas-5); leeg = alle die de kalender vraagt.
        dask_address: optioneel, een Dask-scheduler voor de per-SWV fan-out (dan in dit proces).
    """
    log = get_run_logger()
    due = kalender.due_on(datum, kalender.load_kalender(), producten)
    plan = kalender.for_swvs(due, swv)
    for p in due:
        if p not in plan:
            log.info("%s: niet voor de gekozen SWV's (%s), alleen voor %s-samenwerkingsverbanden; overgeslagen",
                     p.product, ", ".join(swv), "/".join(registry.product(p.product).sectoren))
    if kalender.newest_extract_on(Path(extracts), datum) is None:
        log.warning("geen extract met stand per op of voor %s in %s: niets te doen", datum, extracts)
        return []
    if dispatch.on_a_deployment() and not dask_address:
        return dispatch.dispatch(plan, extracts, outbox, swv, f"productie-{datum}")

    def produce(p: kalender.Productie):
        try:
            # the pages once per owner at the end of the day, not after each product
            return product_runner(dask_address)(p.product, p.schooljaar, extracts, outbox,
                                                kalender.swv_for(p.product, swv), datum, dask_address,
                                                pages=False, return_state=True)
        finally:
            steps.COMPUTE_TURNS.done((p.product, p.schooljaar))

    if dask_address:  # on a Dask cluster the products go one by one (its client lives in this thread)
        states = [produce(p) for p in plan]
    else:
        # Side by side (one validation, one render pool; they compute one at a time): the next product
        # computes while the documents of the one before are rendered. Each thread runs in a copy of
        # this flow's context, so the products stay its subflows.
        steps.COMPUTE_TURNS.plan([(p.product, p.schooljaar) for p in kalender.compute_order(plan)])
        with ThreadPoolExecutor(max(1, len(plan))) as threads:
            futures = [threads.submit(contextvars.copy_context().run, produce, p) for p in plan]
            states = [f.result() for f in futures]
    steps.release_memory()
    outcomes, failed = [], []
    for p, state in zip(plan, states):  # a product that fails does not stop the day's other products
        result = state.result(raise_on_failure=False)
        if state.is_completed():
            outcomes += result
        else:
            failed.append(f"{p.product} {p.schooljaar} op {datum:%d-%m-%Y}: {result}")
    update_pages(outbox, [steps.SwvOutcome(**o) for o in outcomes])
    if failed:
        raise ProductionsFailed(failed)
    return outcomes


@flow(name="backfill", flow_run_name="backfill-{schooljaar}")
def backfill(schooljaar: Schooljaar, extracts: Extracts = "extracts", outbox: Outbox = "outbox",
             producten: Producten = None, swv: Swv = None, dask_address: DaskAddress = None) -> list[dict]:
    """Every production of the schooljaar, in date order per product. Safe to run again: a
    production on the same data publishes nothing, and an older extract never replaces a newer version.

    Args:
        schooljaar: JJJJ-JJJJ, bv. 2024-2025.
        extracts: de map met extracten, één submap per stand per, bv. /data/extracts.
        outbox: de outbox, één map per SWV, bv. /data/outbox.
        producten: alleen deze producten (kijkglas-1 … kijkglas-5); leeg = alle.
        swv: alleen deze SWV's (PO of VO en vier cijfers, bv. PO2001); leeg = alle.
        dask_address: optioneel, een Dask-scheduler voor de per-SWV fan-out (dan in dit proces).
    """
    plan = kalender.for_swvs(kalender.production_dates(schooljaar, kalender.load_kalender(), producten), swv)
    if dispatch.on_a_deployment() and not dask_address:
        return dispatch.dispatch(kalender.with_extracts(plan, Path(extracts)), extracts, outbox, swv,
                                 f"backfill-{schooljaar}")
    outcomes, failed = [], []
    for d in sorted({p.datum for p in plan}):  # a day that fails does not stop the others
        state = productie(d, extracts, outbox, swv, producten, dask_address, return_state=True)
        result = state.result(raise_on_failure=False)
        if state.is_completed():
            outcomes += result
        else:
            failed += result.failed if isinstance(result, ProductionsFailed) else [f"productie {d:%d-%m-%Y}: {result}"]
    if failed:
        raise ProductionsFailed(failed)
    return outcomes
