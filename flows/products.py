"""One thin flow per product, plus the shared wiring. Parameters are what an operator fills in
from the Prefect UI: schooljaar (empty = as the calendar says for today), the extract (one
extract folder, or a folder of extracts: the newest on or before the production date), the
outbox, and optionally a list of SWV codes."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import flow, get_run_logger, unmapped
from prefect.runtime import flow_run as runtime_flow_run

from flows.steps import bereken, publiceer, rapporteer, valideer_extract
from tasks import kalender
from tasks.production import results_to_publish


def resolve_extract(extract: str, datum: date) -> str:
    """An extract folder as given, or the newest extract on or before `datum` in a folder of extracts."""
    p = Path(extract)
    if (p / "extract.json").exists():
        return str(p)
    found = kalender.newest_extract_on(p, datum)
    if found is None:
        raise FileNotFoundError(f"no extract with stand per on or before {datum} in {p}")
    return str(found)


def _schooljaar(product: str, schooljaar: str | None, productiedatum) -> str:
    """The schooljaar as given, or as the calendar says for the production date (default today)."""
    if schooljaar:
        return schooljaar
    datum = date.fromisoformat(str(productiedatum)) if productiedatum else date.today()
    return kalender.schooljaar_for(kalender.load_kalender()[product].periode, datum)


def _run_name() -> str:
    """`kijkglas-1-2024-2025` also for a scheduled run (schooljaar empty), not `kijkglas-1-None`."""
    p = runtime_flow_run.parameters
    return f"{p['product']}-{_schooljaar(p['product'], p.get('schooljaar'), p.get('productiedatum'))}"


@flow(name="kijkglas-productie-product", flow_run_name=_run_name)
def produce_product(product: str, schooljaar: str | None, extract: str, outbox: str,
                    swv: list[str] | None = None, productiedatum: date | None = None,
                    dask_address: str | None = None) -> list[dict]:
    """Validate → compute (reconciled) → per SWV: documents and atomic publish → report."""
    log = get_run_logger()
    datum = productiedatum or date.today()
    schooljaar = _schooljaar(product, schooljaar, datum)
    extract_dir = resolve_extract(extract, datum)
    log.info("%s %s op extract %s (productiedatum %s)", product, schooljaar, extract_dir, datum)
    ex = valideer_extract(extract_dir, outbox)
    production = bereken(product, ex, schooljaar, datum, swv)
    todo, outcomes = results_to_publish(production, Path(outbox), ex.stand_per)
    futures = publiceer.map(todo, unmapped(outbox), unmapped(ex.identity), unmapped(dask_address is None))
    outcomes += futures.result()
    rapporteer(production, outcomes, ex.stand_per, outbox)
    published = [o for o in outcomes if o.outcome == "published"]
    log.info("%s %s: %d gepubliceerd, %d ongewijzigd, %d overgeslagen; outbox %s", product, schooljaar,
             len(published), sum(o.outcome == "unchanged" for o in outcomes),
             sum(o.outcome == "skipped" for o in outcomes), outbox)
    return [o.__dict__ for o in outcomes]


def product_runner(dask_address: str | None):
    """`produce_product`, with its per-SWV fan-out on an existing Dask cluster when an address is given."""
    if not dask_address:
        return produce_product
    from prefect_dask import DaskTaskRunner
    return produce_product.with_options(task_runner=DaskTaskRunner(address=dask_address))


def _run(product, schooljaar, extract, outbox, swv, productiedatum, dask_address):
    return product_runner(dask_address)(product, schooljaar, extract, outbox, swv, productiedatum, dask_address)


@flow(name="kijkglas-1")
def kijkglas_1(schooljaar: str | None = None, extract: str = "extracts", outbox: str = "outbox",
               swv: list[str] | None = None, productiedatum: date | None = None, dask_address: str | None = None):
    """Kijkglas 1 — onderbouwing bekostiging (teldatum 1 oktober van het schooljaar)."""
    return _run("kijkglas-1", schooljaar, extract, outbox, swv, productiedatum, dask_address)


@flow(name="kijkglas-2")
def kijkglas_2(schooljaar: str | None = None, extract: str = "extracts", outbox: str = "outbox",
               swv: list[str] | None = None, productiedatum: date | None = None, dask_address: str | None = None):
    """Kijkglas 2 — inschrijvingen (v)so in geldigheidsperioden."""
    return _run("kijkglas-2", schooljaar, extract, outbox, swv, productiedatum, dask_address)


@flow(name="kijkglas-3")
def kijkglas_3(schooljaar: str | None = None, extract: str = "extracts", outbox: str = "outbox",
               swv: list[str] | None = None, productiedatum: date | None = None, dask_address: str | None = None):
    """Kijkglas 3 — groei (v)so (landelijk, openbaar, en per SWV)."""
    return _run("kijkglas-3", schooljaar, extract, outbox, swv, productiedatum, dask_address)


@flow(name="kijkglas-4")
def kijkglas_4(schooljaar: str | None = None, extract: str = "extracts", outbox: str = "outbox",
               swv: list[str] | None = None, productiedatum: date | None = None, dask_address: str | None = None):
    """Kijkglas 4 — groei sbao."""
    return _run("kijkglas-4", schooljaar, extract, outbox, swv, productiedatum, dask_address)


@flow(name="kijkglas-5")
def kijkglas_5(schooljaar: str | None = None, extract: str = "extracts", outbox: str = "outbox",
               swv: list[str] | None = None, productiedatum: date | None = None, dask_address: str | None = None):
    """Kijkglas 5 — grensverkeer sbao (over het vorige schooljaar)."""
    return _run("kijkglas-5", schooljaar, extract, outbox, swv, productiedatum, dask_address)


PRODUCT_FLOWS = {"kijkglas-1": kijkglas_1, "kijkglas-2": kijkglas_2, "kijkglas-3": kijkglas_3,
                 "kijkglas-4": kijkglas_4, "kijkglas-5": kijkglas_5}
