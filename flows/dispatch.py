"""Spreading productions over the workers of a pool: each production becomes a run of its
product's deployment (`run_deployment`), which any worker may take. The productions of one product
and schooljaar form a chain run in date order; chains run side by side."""
from __future__ import annotations

from pathlib import Path

from prefect import get_run_logger, task
from prefect.deployments import run_deployment
from prefect.runtime import deployment as runtime_deployment
from prefect.runtime import flow_run as runtime_flow_run

from flows.summary import ProductionRun
from production.summary import headline, production_name
from production import kalender
from schemas.extract import extract_identity


def on_a_deployment() -> bool:
    """True when this flow run was made from a deployment (a worker or `kijkglas serve` runs it):
    then its productions can be runs of the product deployments. Called directly (the CLI, the
    demo, the tests) a flow runs its productions in its own process."""
    return runtime_deployment.get_id() is not None


def idempotency_key(parent: str, p: kalender.Productie, extract: Path) -> str:
    """The same parent run (also after a retry) never starts one production twice; a new backfill
    is a new parent and runs again (a production on unchanged data publishes nothing)."""
    return f"{parent}:{p.product}:{p.schooljaar}:{p.datum.isoformat()}:{extract_identity(extract)}"


@task(name="productieketen", task_run_name="keten {name}", persist_result=False)
def run_chain(name: str, chain: list[kalender.Productie], extracts: str, outbox: str, swv: list[str] | None,
              droog: bool, parent: str) -> list[ProductionRun]:
    """The chain's productions one after another, each a run of its product's deployment, named as
    the product flows name themselves (`kijkglas-2 2024-2025 · 10-03-2025`)."""
    runs, log = [], get_run_logger()
    for p in chain:
        extract = kalender.newest_extract_on(Path(extracts), p.datum)
        log.info("%s %s · %s: gestart (extract %s)", p.product, p.schooljaar, f"{p.datum:%d-%m-%Y}", extract.name)
        run = run_deployment(
            name=f"{p.product}/{p.product}", timeout=None, idempotency_key=idempotency_key(parent, p, extract),
            flow_run_name=production_name(p.product, p.schooljaar, p.datum, droog),
            parameters={"schooljaar": p.schooljaar, "extract": extracts, "outbox": outbox, "swv": swv,
                        "productiedatum": p.datum.isoformat(), "droog": droog})
        runs.append(done := ProductionRun.of_deployment_run(p, run, extract, outbox))
        log.info("%s: %s", done.name, headline(done.outcomes) if done.completed else f"{done.state}: {done.reason}")
    return runs


def dispatch(productions: list[kalender.Productie], extracts: str, outbox: str, swv: list[str] | None,
             droog: bool) -> list[ProductionRun]:
    """Run the productions as deployment runs (chains side by side) and wait for all."""
    parent = str(runtime_flow_run.get_id())
    futures = [run_chain.submit(f"{c[0].product} {c[0].schooljaar}", c, extracts, outbox,
                                kalender.swvs_for_product(c[0].product, swv), droog, parent)
               for c in kalender.chains(productions)]
    return [r for f in futures for r in f.result()]
