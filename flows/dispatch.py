"""Spreading productions over the workers of a pool: each production becomes a run of its
product's deployment (`run_deployment`), which any worker may take. The productions of one product
and schooljaar form a chain run in date order; chains run side by side."""
from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.deployments import run_deployment
from prefect.runtime import deployment as runtime_deployment
from prefect.runtime import flow_run as runtime_flow_run

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


@task(name="productieketen", task_run_name="keten-{name}", persist_result=False)
def run_chain(name: str, chain: list[kalender.Productie], extracts: str, outbox: str, swv: list[str] | None,
              parent: str) -> list[dict]:
    """The chain's productions one after another, each a run of its product's deployment."""
    rows = []
    for p in chain:
        extract = kalender.newest_extract_on(Path(extracts), p.datum)
        run = run_deployment(
            name=f"{p.product}/{p.product}", timeout=None, idempotency_key=idempotency_key(parent, p, extract),
            parameters={"schooljaar": p.schooljaar, "extract": extracts, "outbox": outbox, "swv": swv,
                        "productiedatum": p.datum.isoformat()})
        rows.append({"product": p.product, "schooljaar": p.schooljaar, "productiedatum": p.datum.isoformat(),
                     "extract": extract.name, "flow run": run.name, "toestand": run.state.name if run.state else "?"})
    return rows


def dispatch(productions: list[kalender.Productie], extracts: str, outbox: str, swv: list[str] | None,
             title: str) -> list[dict]:
    """Run the productions as deployment runs (chains side by side), wait for all, publish one
    artifact with every production's outcome, and fail naming those that did not complete."""
    parent = str(runtime_flow_run.get_id())
    futures = [run_chain.submit(f"{c[0].product}-{c[0].schooljaar}", c, extracts, outbox,
                                kalender.swv_for(c[0].product, swv), parent)
               for c in kalender.chains(productions)]
    rows = sorted((r for f in futures for r in f.result()), key=lambda r: (r["productiedatum"], r["product"]))
    create_table_artifact(key=f"producties-{title}", table=rows or [{"melding": "niets te doen"}],
                          description=f"{title}: {len(rows)} productie(s) als deployment-runs")
    failed = [f"{r['product']} {r['schooljaar']} op {r['productiedatum']} ({r['toestand']})"
              for r in rows if r["toestand"] != "Completed"]
    if failed:
        raise RuntimeError("niet voltooid: " + "; ".join(failed))
    return rows
