"""The production day and the backfill of a whole schooljaar, driven by the calendar (data).

Run from a deployment (a worker, `kijkglas serve`), their productions become runs of the product
deployments that every worker of the pool can take (flows/dispatch.py). Called directly (the CLI,
the demo) they run the productions here, in date order; the outbox comes out the same. Either way
the day or backfill ends with one summary artifact: every production and, per product × SWV, what
it did."""
from __future__ import annotations

from datetime import date
from functools import partial
from pathlib import Path

from prefect import flow, get_run_logger

from flows import dispatch
from flows.kijkglazen import product_runner
from flows.logs import USER_ERRORS, quiet_user_errors, refused
from flows.parameters import (DaskAddress, Datum, Droog, Extracts, Outbox, Producten, Schooljaar, Swv,
                              with_parameter_help)
from flows.paths import extracts_path, outbox_path
from flows.prefect_tasks import update_pages
from flows.summary import ProductionRun, publish_summary
from production import kalender
from production.compute_turns import run_in_turns
from production.runtime import release_memory
from production.failures import ProductionsFailed
from production.refusals import ProductionRefused
from production.steps import SwvOutcome
from products import registry


@flow(name="productie", flow_run_name="productie {datum:%d-%m-%Y}")
@with_parameter_help
def productie(datum: Datum, extracts: Extracts = None, outbox: Outbox = None, swv: Swv = None,
              producten: Producten = None, droog: Droog = False, dask_address: DaskAddress = None) -> list[SwvOutcome]:
    """Run every production the calendar calls for on `datum`, each on the newest extract whose
    stand per is on or before that date."""
    quiet_user_errors()
    log = get_run_logger()
    title = f"productie {datum:%d-%m-%Y}"
    try:
        extracts, outbox = str(extracts_path(extracts)), str(outbox_path(outbox))
        plan = day_plan(datum, extracts, swv, producten, log)
        if dispatch.on_a_deployment() and not dask_address:
            runs = dispatch.dispatch(plan, extracts, outbox, swv, droog)
        else:
            runs = run_here(plan, datum, extracts, outbox, swv, droog, dask_address)
            if not droog:
                update_pages(outbox, [o for r in runs for o in r.outcomes])
        publish_summary(title, runs, extracts, outbox)
        failed_or_done(runs)
    except USER_ERRORS as exc:
        return refused(exc, log)
    return [o for r in runs for o in r.outcomes]


def day_plan(datum: date, extracts: str, swv: list[str] | None, producten: list[str] | None,
             log) -> list[kalender.Productie]:
    """What the calendar calls for on the day, for the chosen SWVs; refused with the reason when that
    is nothing (no product due, none for these SWVs, no extract yet)."""
    due = kalender.due_on(datum, kalender.load_kalender(), producten)
    plan = kalender.productions_for_swvs(due, swv)
    for p in due:
        if p not in plan:
            log.info("%s: niet voor de gekozen SWV's (%s), alleen voor %s-samenwerkingsverbanden; overgeslagen",
                     p.product, ", ".join(swv), "/".join(registry.product(p.product).sectoren))
    if not due:
        raise ProductionRefused(f"op {datum:%d-%m-%Y} vraagt de kalender geen enkel product"
                                + (f" van {', '.join(producten)}" if producten else "")
                                + ": niets te doen (deployments/kalender.yaml zegt wanneer wat komt).")
    if not plan:
        raise ProductionRefused(f"op {datum:%d-%m-%Y} is geen van de producten van de dag voor de gekozen SWV's "
                                f"({', '.join(swv)}): niets te doen.")
    if kalender.newest_extract_on(Path(extracts), datum) is None:
        raise ProductionRefused(f"geen extract met stand per op of vóór {datum:%d-%m-%Y} in {extracts}: niets te "
                                f"doen. Zet het extract in een eigen submap met extract.json.")
    return plan


def run_here(plan: list[kalender.Productie], datum: date, extracts: str, outbox: str, swv: list[str] | None,
             droog: bool, dask_address: str | None) -> list[ProductionRun]:
    """The day's products as subflows of this run, side by side and computing in turns (one
    validation, one render pool); on a Dask cluster one by one. The pages come once per owner at
    the end of the day, not after each product."""
    def produce(p: kalender.Productie):
        return product_runner(p.product, dask_address)(
            p.schooljaar, extracts, outbox, kalender.swvs_for_product(p.product, swv), datum, droog=droog,
            dask_address=dask_address, paginas=False, return_state=True)

    states = run_in_turns([((p.product, p.schooljaar), partial(produce, p)) for p in plan],
                          [(p.product, p.schooljaar) for p in kalender.compute_order(plan)],
                          side_by_side=not dask_address)
    release_memory()
    return [ProductionRun.of_state(p, state, kalender.newest_extract_on(Path(extracts), datum), outbox)
            for p, state in zip(plan, states)]


def failed_or_done(runs: list[ProductionRun]) -> None:
    """A production that failed does not stop the others; the day (or backfill) then fails naming each
    with its reason."""
    failed = [f"{r.production.product} {r.production.schooljaar} op {r.production.datum:%d-%m-%Y}: {r.reason}"
              for r in runs if not r.completed]
    if failed:
        raise ProductionsFailed(failed)


@flow(name="backfill", flow_run_name="backfill {schooljaar}")
@with_parameter_help
def backfill(schooljaar: Schooljaar, extracts: Extracts = None, outbox: Outbox = None,
             producten: Producten = None, swv: Swv = None, dask_address: DaskAddress = None) -> list[SwvOutcome]:
    """Every production of the schooljaar, in date order per product. Safe to run again: a
    production on the same data publishes nothing, and an older extract never replaces a newer version."""
    quiet_user_errors()
    log = get_run_logger()
    try:
        extracts, outbox = str(extracts_path(extracts)), str(outbox_path(outbox))
        plan = backfill_plan(schooljaar, extracts, producten, swv)
        if dispatch.on_a_deployment() and not dask_address:
            runs = dispatch.dispatch(plan, extracts, outbox, swv, False)
        else:
            runs = []
            for d in sorted({p.datum for p in plan}):  # a day that fails does not stop the others
                day = [p for p in plan if p.datum == d]
                runs += run_here(day, d, extracts, outbox, swv, False, dask_address)
                update_pages(outbox, [o for r in runs[-len(day):] for o in r.outcomes])
        publish_summary(f"backfill {schooljaar}", runs, extracts, outbox)
        failed_or_done(runs)
    except USER_ERRORS as exc:
        return refused(exc, log)
    return [o for r in runs for o in r.outcomes]


def backfill_plan(schooljaar: str, extracts: str, producten: list[str] | None,
                  swv: list[str] | None) -> list[kalender.Productie]:
    """The schooljaar's productions that have an extract to run on; refused with the reason when none has."""
    plan = kalender.productions_for_swvs(kalender.production_dates(schooljaar, kalender.load_kalender(), producten), swv)
    found = kalender.list_extracts(Path(extracts))
    runnable = kalender.with_extracts(plan, Path(extracts))
    if not plan:
        raise ProductionRefused(f"backfill {schooljaar}: de kalender heeft geen productie"
                                + (f" van {', '.join(producten)}" if producten else "")
                                + (f" voor de SWV's {', '.join(swv)}" if swv else "") + ": niets te doen.")
    if not found:
        raise ProductionRefused(f"backfill {schooljaar}: geen extracten in {extracts} (elk extract een eigen submap "
                                f"met extract.json): niets te doen.")
    if not runnable:
        raise ProductionRefused(
            f"backfill {schooljaar}: geen extract met stand per op of vóór een productiedag van {schooljaar} "
            f"(de eerste is {plan[0].datum:%d-%m-%Y}; het oudste extract in {extracts} heeft stand per "
            f"{found[0][0]:%d-%m-%Y}): niets te doen.")
    return runnable
