"""Prefect tasks: thin wrappers around the plain production steps (production/steps.py). The
functions say in English what they do; the Prefect names (valideer-extract, bereken, publiceer,
rapporteer) are what operators see in the UI and stay Dutch.

Tasks that take DataFrames use NO_CACHE: Prefect would otherwise pickle and hash every frame
for a cache key on each call. Only publishing (file I/O) is retried; computing and its
reconciliations are deterministic, so a retry could never help them.
"""
from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run as runtime_flow_run
from prefect.runtime import task_run
from prefect.utilities.annotations import quote

from core.settings import Settings
from flows.logs import refusing
from production import runtime, steps
from production.compute_turns import COMPUTE_TURNS
from production.runtime import load_extract_once
from production.dry_run import would_publish
from production.vergelijking import comparison_of, store_comparison
from production.summary import headline, in_outbox, markdown_cell, summary_rows, write_record
from tasks.model import Production


def render_pool() -> ProcessPoolExecutor:
    """One process pool per flow process for the documents (weasyprint/openpyxl are CPU-bound),
    shared by the day's products, started at the beginning of a production so its workers warm up
    during validation. (The pool and its lock live in production.runtime: a task sent to a Dask
    worker is pickled with what its functions refer to, and a lock cannot be pickled.)"""
    return runtime.shared_render_pool()


@task(name="valideer-extract", cache_policy=NO_CACHE, persist_result=False)
def validate_extract(extract_dir: str, report_dir: str | None):
    """Read and check the whole extract; on any failure nothing is published (the task fails with one
    line, the report says the rest). The report goes to the operator's part of the outbox (None: a
    dry run, no report written)."""
    return refusing(load_extract_once, Path(extract_dir), Path(report_dir) if report_dir else None)


@task(name="bereken", task_run_name="bereken-{product}-{schooljaar}", cache_policy=NO_CACHE, persist_result=False)
def compute_product(product: str, extract, schooljaar: str, aanmaakdatum: date, swv: list[str] | None,
            settings: Settings) -> Production:
    """Compute the product for every SWV, reconciliations included (no retries: they cannot help)."""
    with COMPUTE_TURNS.turn((product, schooljaar)):
        return refusing(steps.compute, product, extract, schooljaar, aanmaakdatum, settings, swv)


@task(name="vergelijk", cache_policy=NO_CACHE, persist_result=False)
def compare(production: Production, extract, outbox: str):
    """The national comparison's figures of this production, reconciled before anything is published."""
    return refusing(comparison_of, Path(outbox), production, extract)


@task(name="leg-vergelijking-vast", cache_policy=NO_CACHE, persist_result=False)
def store_compared(production: Production, rows, outbox: str) -> str | None:
    """The comparison's public CSV and the sector's comparison pages, after the publications."""
    path = steps.aftercare(lambda: store_comparison(Path(outbox), production, rows), "de vergelijking")
    return str(path) if path else None


@task(name="droge-run", cache_policy=NO_CACHE, persist_result=False)
def dry_run(production: Production, outbox: str, stand_per: date, settings: Settings) -> list[steps.SwvOutcome]:
    """What the production would publish per SWV; writes nothing."""
    return would_publish(production, Path(outbox), stand_per, settings.register_path)


def _owner_run_name(step: str):
    def name() -> str:
        r = task_run.parameters["result"]
        r = r.unquote() if isinstance(r, quote) else r
        return f"{step}-{r.product}-{steps.owner_of(r)}"
    return name


@task(name="maak-documenten", task_run_name=_owner_run_name("maak-documenten"), cache_policy=NO_CACHE,
      persist_result=False)
def prepare_owner(result, stage: str, outbox: str, extract_identity: str, in_pool: bool = True) -> steps.PreparedVersion:
    """One SWV's change report and documents, made and checked in its stage (in a render worker);
    nothing is published until every SWV's are made. `in_pool=False` when the task itself already
    runs in a worker process (Dask)."""
    args = (result, Path(outbox), extract_identity, Path(stage))
    return render_pool().submit(steps.prepare_for_owner, *args).result() if in_pool else steps.prepare_for_owner(*args)


@task(name="publiceer", task_run_name=_owner_run_name("publiceer"), cache_policy=NO_CACHE, persist_result=False,
      retries=2, retry_delay_seconds=2)
def publish_owner(prepared: steps.PreparedVersion, result, outbox: str, extract_identity: str, settings: Settings,
                  in_pool: bool = True) -> steps.SwvOutcome:
    """One SWV's prepared version published with one rename (file work, retried). The pages come
    after, once for all the SWVs (`update_pages`)."""
    return steps.publish_prepared(prepared, result, Path(outbox), extract_identity, settings.register_path,
                                  pages=False, executor=render_pool() if in_pool else None)


@task(name="werk-paginas-bij", cache_policy=NO_CACHE, persist_result=False)
def update_pages(outbox: str, outcomes: list[steps.SwvOutcome]) -> int:
    """The dashboard (or public) pages of every owner that got a new version, once for all the
    publications given, in the render pool."""
    return steps.aftercare(lambda: steps.remake_pages(Path(outbox), outcomes, render_pool()), "de pagina's") or 0


def _kwaliteit_rows(kw) -> list[dict]:
    """The data-quality list as counts per kind of message: the UI is no place for pupil numbers (the
    full list is the operator's CSV), and text from the extract stays plain text."""
    if not len(kw):
        return []
    counts = kw.groupby("melding", sort=True, dropna=False).size()
    return [{"melding": markdown_cell(m), "aantal": int(n)} for m, n in counts.items()]


@task(name="leg-vast", cache_policy=NO_CACHE, persist_result=False)
def record_production(production: Production, outcomes: list[steps.SwvOutcome], stand_per: date, outbox: str,
                      validation_report: str) -> str:
    """The operator's part of the outbox: the data-quality list, the overview's last productions, and
    this run's rows (for the production day or backfill that started it). Returns the list's path."""
    path = steps.aftercare(lambda: steps.write_operator_files(Path(outbox), production, stand_per), "de kwaliteitslijst")
    steps.aftercare(lambda: steps.note_production(Path(outbox), production, outcomes, stand_per),
                    "het overzicht van de beheerder")
    if run_id := runtime_flow_run.get_id():
        steps.aftercare(lambda: write_record(Path(outbox), str(run_id), outcomes, validation_report),
                        "het verslag van deze run")
    return str(path) if path else "(niet geschreven)"


@task(name="rapporteer", cache_policy=NO_CACHE, persist_result=False)
def report_production(production: Production, outcomes: list[steps.SwvOutcome], stand_per: date, outbox: str,
                      validation_report: str, kwaliteit_path: str) -> None:
    """What the UI shows: per SWV the outcome in words, what changed and where the documents are; the
    reconciliations and the data-quality messages counted."""
    key = f"{production.product}-{production.schooljaar}"
    rows = [{k: v for k, v in r.items() if k not in ("product", "schooljaar")} for r in summary_rows(outcomes, outbox)]
    create_table_artifact(
        key=f"publicaties-{key}", table=[{k: markdown_cell(v) for k, v in r.items()} for r in rows],
        description=(f"{production.product} {production.schooljaar}, stand per {stand_per:%d-%m-%Y}: "
                     f"{headline(outcomes)}. Outbox: {outbox} (de documenten hieronder zijn daarbinnen). "
                     f"Validatierapport: {in_outbox(validation_report, outbox)}"))
    checks = "\n".join(f"- ✅ {c}" for c in production.checks) or "- (geen reconciliatie voor dit product)"
    create_markdown_artifact(key=f"reconciliatie-{key}", markdown=f"# Reconciliatie {key}\n\n{checks}\n",
                             description=(f"Reconciliaties: {len(production.checks)} geslaagd" if production.checks
                                          else "Reconciliaties: geen voor dit product op deze datum"))
    kw = production.kwaliteit
    create_table_artifact(key=f"kwaliteit-{key}", table=_kwaliteit_rows(kw) or [{"melding": "geen meldingen"}],
                          description=f"Datakwaliteit: {len(kw)} meldingen (volledige lijst: {kwaliteit_path})")


@task(name="rapporteer-droge-run", cache_policy=NO_CACHE, persist_result=False)
def report_dry_run(production: Production, outcomes: list[steps.SwvOutcome], stand_per: date, outbox: str) -> None:
    """A dry run's artifact: per SWV what would be published. Nothing is written to the outbox."""
    rows = [{k: markdown_cell(v) for k, v in r.items() if k not in ("product", "schooljaar", "documenten")}
            for r in summary_rows(outcomes)]
    create_table_artifact(
        key=f"droge-run-{production.product}-{production.schooljaar}", table=rows or [{"melding": "geen SWV's"}],
        description=(f"Droge run {production.product} {production.schooljaar}, stand per {stand_per:%d-%m-%Y}, "
                     f"outbox {outbox}: {headline(outcomes)}. Er is niets geschreven."))
