"""The steps of one production, as plain functions: the Prefect flows wire exactly these, and
`run_production` chains them without Prefect (the benchmark's baseline and `--no-prefect`).

extract folder → validated Extract → Production (computed, reconciled) → per owner:
change report → staging → documents (xlsx, csv, pdf) → atomic publish.
"""
from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
from concurrent.futures import Executor, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Callable, Iterator, TypeVar

import pandas as pd

from core.files import atomic_write, io_error_words, linked_part, no_links, real_folder
from core.settings import Settings
from core.spreadsheet_text import csv_safe_frame
from documents.pdf import render_pdf
from outbox.change_report import change_report_for, content_key_of_tables, current_content_key
from outbox.confirmations import record_confirmation
from outbox.dashboard.operator import record_production
from outbox.dashboard.pages import render_page
from outbox.index_page import write_index, write_index_if_behind
from outbox.layout import (GEPUBLICEERD, ONGEWIJZIGD, OPENBAAR, OPERATOR_DIR, OVERGESLAGEN, next_version, product_dir,
                           read_manifest, timestamp_now)
from outbox.publish import StagedChanges, StaleStage, check_stage, publish_version, stage_changes
from outbox.staging import discard_version, empty_stage, start_version
from outbox.status import basis_damage, current_versions
from production import kalender, refusals, runtime
from production.failures import NothingPublished, PartlyPublished, failure_words
from production.runtime import load_extract_once
from production.vergelijking import comparison_of, store_comparison
from products import registry
from schemas.extract import extract_identity
from tasks.compute import check_swv_codes
from tasks.model import Production, ProductResult, VersionPlan

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class SwvOutcome:
    owner: str
    product: str
    schooljaar: str
    outcome: str            # GEPUBLICEERD | ONGEWIJZIGD | OVERGESLAGEN
    version: str | None
    stand_per: str
    counts: dict = field(default_factory=dict)
    reason: str = ""
    # ongewijzigd: the newest stand per that made or confirmed the actueel version (ISO), and whether
    # this production recorded that confirmation (then the owner's overview and history change)
    bevestigd_tot: str | None = None
    bevestiging_nieuw: bool = False
    # for the operator: the version's folder in the outbox, and what changed in words (its change summary)
    path: str = ""
    wijzigingen: list[str] = field(default_factory=list)


def owner_of(result: ProductResult) -> str:
    return result.swv.swv_code if result.swv is not None else OPENBAAR


def counts_of(result: ProductResult) -> dict:
    """A short numeric summary per table for the UI: rows, and the grand total where there is one."""
    out = {}
    for stem, t in result.tables.items():
        if "Totaal" in t.columns and len(t) and str(t.iloc[-1, 0]) == "Totaal":
            out[stem] = int(t["Totaal"].iloc[-1])
        else:
            out[stem] = len(t)
    return out


def render_documents(result: ProductResult, folder: Path, change_report: list[dict] | None = None) -> list[Path]:
    """Write every document of the product (workbooks, data/*.csv, PDF) into `folder`.
    Top-level and picklable, so that a process pool can run it (weasyprint and openpyxl are
    CPU-bound; threads do not help)."""
    write = registry.product(result.product).documents_writer(result)
    written, job = write(result, folder, change_report)
    if job is not None:
        written.append(render_pdf(job.template_name, job.context, job.path))
    return written


def superseded_owners(outbox: Path, product: str, schooljaar: str, stand_per: date,
                      register: Path | None = None) -> set[str]:
    """Owners whose current version was made or confirmed by a newer extract: an older extract (a
    backfill rerun, a correction of a month a later extract already confirmed) must never replace
    it. Judged against the newest stand per that made or confirmed it, so that a correction lands
    the same way for every SWV, whether or not its data changed in the months since."""
    cur = current_versions(outbox, reconcile=False, register=register)
    if cur.empty:
        return set()
    cur = cur[(cur["product"] == product) & (cur["schooljaar"] == schooljaar) & (cur["status"] == "actueel")]
    through = cur["bevestigd_tot"].fillna(cur["stand_per"])
    newer = pd.to_datetime(through) > pd.Timestamp(stand_per)
    return set(cur.loc[newer, "swv"])


@dataclass
class PreparedVersion:
    """One owner's new version with its documents made and checked in `stage`, not yet published; or,
    `unchanged` set, the actueel version whose tables these equal (nothing to publish)."""
    owner: str
    stage: Path
    unchanged: str | None = None
    plan: dict | None = None                 # the version the documents name (outbox.layout.version_plan)
    meta: dict | None = None                 # what the manifest records besides its files
    changes: StagedChanges | None = None     # the change report, written into the stage with the documents


def prepare_for_owner(result: ProductResult, outbox: Path, extract_identity: str, stage: Path) -> PreparedVersion:
    """The first half of an owner's publication, in a render worker: change report and documents
    (workbooks, CSVs, PDF, wijzigingen.xlsx) made into `stage` and checked; nothing is published.
    Top-level and picklable (a process pool runs it); `stage` was started by the production's own
    process, which keeps it alive until it is published or discarded."""
    owner = owner_of(result)
    current = current_content_key(outbox, owner, result.schooljaar, result.product)
    if current is not None and current[1] == content_key_of_tables(result.tables):
        # same data as the actueel version: nothing to render; the newer extract confirmed it
        return PreparedVersion(owner, stage, unchanged=current[0])
    report = change_report_for(outbox, owner, result.schooljaar, result.product, result.tables)
    # the documents name the version they become (its number, what it replaces and why)
    plan = next_version(outbox, owner, result.schooljaar, result.product, result.stand_per)
    result = replace(result, versie=VersionPlan(**plan))
    empty_stage(stage)  # a retried preparation starts from nothing
    render_documents(result, stage, report.tables if report else None)
    meta = {"period": result.teldatum or result.schooljaar, "stand_per": result.stand_per, "aanmaakdatum": result.aanmaakdatum,
            "extract": extract_identity, "counts": counts_of(result),
            "swv_naam": result.swv.naam if result.swv else "openbaar"}
    changes = stage_changes(stage, report, plan["versie"], owner, result.product, meta)
    check_stage(outbox, stage, changes_staged=True)
    return PreparedVersion(owner, stage, plan=plan, meta=meta, changes=changes)


def publish_prepared(prepared: PreparedVersion, result: ProductResult, outbox: Path, extract_identity: str,
                     register: Path | None = None, pages: bool = True,
                     executor: Executor | None = None, retried: bool = False) -> SwvOutcome:
    """The second half: the prepared version published (one rename), or its confirmation recorded
    when unchanged. When the outbox moved on since the documents were made (a withdrawal or restore
    meanwhile), or the stage is gone (a retry), they are made again, in `executor` when given.
    `register`: Settings.register_path (None: the outbox's own). `pages=False`: the owner's pages are
    made later, once for all of a production's publications (`remake_pages`)."""
    owner = owner_of(result)
    if prepared.unchanged is not None:
        discard_version(prepared.stage)
        return confirmed(result, prepared.unchanged, outbox, extract_identity, register, pages)
    if not prepared.stage.is_dir() and not retried:
        return publish_again(result, outbox, extract_identity, register, pages, executor)
    try:
        out = publish_version(outbox, owner, result.schooljaar, result.product, prepared.stage, prepared.meta,
                              register, planned=prepared.plan, changes=prepared.changes, pages=pages)
    except StaleStage:
        if retried:
            raise
        return publish_again(result, outbox, extract_identity, register, pages, executor)
    except (OSError, sqlite3.OperationalError) as exc:  # a full or failing disk
        versie = prepared.plan["versie"]
        if not landed(outbox, owner, result, versie):
            raise
        # the version is in the outbox (renamed whole); what failed after it is repaired by the next
        # reconciliation (kijkglas status, the next publication): the outcome says what was published
        log.warning("%s %s %s: %s gepubliceerd, daarna mislukt: %s (`kijkglas status` werkt het register en de "
                    "pagina's bij)", owner, result.product, result.schooljaar, versie, io_error_words(exc))
        return SwvOutcome(owner=owner, product=result.product, schooljaar=result.schooljaar, outcome=GEPUBLICEERD,
                          version=versie, stand_per=str(result.stand_per), counts=prepared.meta["counts"],
                          reason=f"gepubliceerd; daarna mislukt: {io_error_words(exc)}",
                          path=str(product_dir(outbox, owner, result.schooljaar, result.product) / versie))
    if out.outcome == ONGEWIJZIGD:  # another production published the same tables meanwhile
        return confirmed(result, out.version, outbox, extract_identity, register, pages)
    return SwvOutcome(owner=owner, product=result.product, schooljaar=result.schooljaar, outcome=out.outcome,
                      version=out.version, stand_per=str(result.stand_per), counts=prepared.meta["counts"],
                      path=str(out.path), wijzigingen=list(out.manifest.get("wijzigingen_samenvatting") or []))


def publish_again(result: ProductResult, outbox: Path, extract_identity: str, register: Path | None, pages: bool,
                  executor: Executor | None) -> SwvOutcome:
    """An owner's documents made anew against the outbox as it is now, then published (once more
    only: the production's publishing slot keeps other productions of this product and period out)."""
    log.info("%s %s %s: de outbox is veranderd sinds de documenten gemaakt zijn; ze worden opnieuw gemaakt",
             owner_of(result), result.product, result.schooljaar)
    with stages_for([result], outbox) as (stage,):
        args = (result, outbox, extract_identity, stage)
        prepared = executor.submit(prepare_for_owner, *args).result() if executor else prepare_for_owner(*args)
        return publish_prepared(prepared, result, outbox, extract_identity, register, pages, retried=True)


@contextmanager
def stages_for(results: list[ProductResult], outbox: Path) -> Iterator[list[Path]]:
    """One staging folder per result, started by this process, which keeps them alive (their locks)
    while other processes make the documents in them. On leaving, whatever was not published is
    removed: a production that stops, for any reason, leaves no half version behind."""
    stages: list[Path] = []
    try:
        for r in results:
            stages.append(start_version(Path(outbox), owner_of(r), r.schooljaar, r.product))
        yield stages
    finally:
        for stage in stages:
            discard_version(stage)  # a published stage is gone already; this only lets go of its lock


def prepare_all(results: list[ProductResult], stages: list[Path], outbox: Path, extract_identity: str,
                executor: Executor, progress: Callable[[str, int], None] | None = None) -> list[PreparedVersion]:
    """Every owner's documents made and checked, in `executor`, before any is published; when any
    owner's fail, NothingPublished names each of them and why."""
    futures = {executor.submit(prepare_for_owner, r, Path(outbox), extract_identity, stage): owner_of(r)
               for r, stage in zip(results, stages)}
    for future in as_completed(futures):
        if progress is not None:
            progress(futures[future], len(futures))
    return all_prepared(results, [future.exception() or future.result() for future in futures])


def all_prepared(results: list[ProductResult], prepared: list) -> list[PreparedVersion]:
    """`prepared` (one per result: a PreparedVersion, or the exception its preparation raised) when
    every owner's documents were made; else NothingPublished, naming each owner that failed and why."""
    failed = failures_of(results, prepared, "de documenten konden niet worden gemaakt")
    if failed:
        raise NothingPublished(results[0].product, results[0].schooljaar, failed)
    return prepared


def published_or_failed(results: list[ProductResult], attempts: list) -> tuple[list[SwvOutcome], list[tuple[str, str]]]:
    """The publications' outcomes (one attempt per result: an SwvOutcome, or what its publication
    raised) split into the outcomes and the owners that failed, with why."""
    return ([a for a in attempts if not isinstance(a, BaseException)],
            failures_of(results, attempts, "publiceren mislukt"))


def failures_of(results: list[ProductResult], attempts: list, what: str) -> list[tuple[str, str]]:
    """(owner, why in one line) of every attempt that is an exception; its traceback goes to the debug
    log, for the developers (a Prefect task logs its own)."""
    failed = []
    for r, attempt in zip(results, attempts):
        if isinstance(attempt, BaseException):
            log.debug("%s: %s", owner_of(r), what, exc_info=attempt)
            failed.append((owner_of(r), failure_words(attempt)))
    return failed


def refuse_partly_published(production: Production, outcomes: list[SwvOutcome], failed: list[tuple[str, str]]) -> None:
    """PartlyPublished when some publications failed: the exit says what was published and what not."""
    if failed:
        published = sorted(o.owner for o in outcomes if o.outcome == GEPUBLICEERD)
        raise PartlyPublished(production.product, production.schooljaar, published, failed)


def landed(outbox: Path, owner: str, result: ProductResult, version: str) -> bool:
    """Whether `version` of these tables is in the outbox (its folder renamed in, with its manifest)."""
    m = read_manifest(product_dir(outbox, owner, result.schooljaar, result.product) / version)
    return m is not None and m.get("content_key") == content_key_of_tables(result.tables)


def confirmed(result: ProductResult, version: str, outbox: Path, extract_identity: str,
              register: Path | None, pages: bool) -> SwvOutcome:
    """An ongewijzigd outcome: the confirmation of the actueel version recorded (once), the owner's
    overview and history made again when it was new and `pages` is set."""
    owner = owner_of(result)
    c = record_confirmation(outbox, owner, result.schooljaar, result.product, version, result.stand_per,
                            extract_identity, result.aanmaakdatum, register)
    if c.recorded and pages and owner != OPENBAAR:
        write_index(Path(outbox), owner, [])
    return SwvOutcome(owner=owner, product=result.product, schooljaar=result.schooljaar, outcome=ONGEWIJZIGD,
                      version=version, stand_per=str(result.stand_per), counts=counts_of(result),
                      bevestigd_tot=c.through, bevestiging_nieuw=c.recorded)


def changed_by_owner(outcomes: list[SwvOutcome]) -> dict[str, list[tuple[str, str]]]:
    """Per owner, the (schooljaar, product)s that got a new version: what its pages must show anew.
    An SWV whose version was newly confirmed gets an entry too (maybe with nothing in it): its
    overview and history, which are always made, show the confirmation; no product page does."""
    out: dict[str, set[tuple[str, str]]] = {}
    for o in outcomes:
        if o.outcome == GEPUBLICEERD:
            out.setdefault(o.owner, set()).add((o.schooljaar, o.product))
        elif getattr(o, "bevestiging_nieuw", False) and o.owner != OPENBAAR:
            out.setdefault(o.owner, set())
    return {owner: sorted(changed) for owner, changed in sorted(out.items())}


def remake_pages(outbox: Path, outcomes: list[SwvOutcome], executor: Executor | None = None) -> int:
    """Make the pages of every owner that got a new version, or whose pages lag behind its folder, once
    for all of `outcomes` (a product's or a whole production day's publications), in `executor` when
    given (the render pool: a page of a national Kijkglas 2 holds thousands of rows). Returns the owners
    that got a new version."""
    todo = changed_by_owner(outcomes)
    # every other owner met: its pages are checked against its folder (a production broken off after
    # its version landed left them behind) and made again only when they lag
    others = sorted({o.owner for o in outcomes} - set(todo))
    if executor is None:
        for owner, changed in todo.items():
            write_index(Path(outbox), owner, changed)
        for owner in others:
            write_index_if_behind(Path(outbox), owner)
    else:
        futures = [executor.submit(write_index, Path(outbox), owner, changed) for owner, changed in todo.items()]
        futures += [executor.submit(write_index_if_behind, Path(outbox), owner) for owner in others]
        for future in futures:
            future.result()
    return len(todo)


def skipped(result: ProductResult) -> SwvOutcome:
    return SwvOutcome(owner=owner_of(result), product=result.product, schooljaar=result.schooljaar,
                      outcome=OVERGESLAGEN, version=None, stand_per=str(result.stand_per),
                      reason="actuele versie is gemaakt op een nieuwer extract")


def validation_report_dir(outbox: Path, extract_dir: Path) -> Path:
    """Where the validation report of an extract goes: the operator's part of the outbox, one folder
    per extract (its folder's name and a short hash of its identity: two folders of the same stand
    per, or a corrected re-issue in the same folder, never share a report)."""
    folder = Path(extract_dir).resolve()
    try:
        identity = extract_identity(folder)
    except OSError:  # no readable folder: its report (of that format error) is keyed by the path
        identity = hashlib.sha256(str(folder).encode()).hexdigest()
    # a report is never written through a link planted in the outbox
    return no_links(Path(outbox), OPERATOR_DIR, "validatie", f"{folder.name}-{identity[:12]}")


def note_production(outbox: Path, production: Production, outcomes: list[SwvOutcome], stand_per: date) -> None:
    """The production's outcome on the operator's overview `<outbox>/index.html`."""
    record_production(Path(outbox), production.product, production.schooljaar, stand_per.isoformat(),
                      timestamp_now(), [(o.owner, o.outcome) for o in outcomes], render_page)


def write_operator_files(outbox: Path, production: Production, stand_per: date) -> Path:
    """The data-quality list goes to the operator's part of the outbox, never to an SWV folder."""
    folder = real_folder(Path(outbox), OPERATOR_DIR, "kwaliteit")  # never through a link
    path = folder / f"{production.product}_{production.schooljaar}_{stand_per.isoformat()}.csv"
    # opened in Excel: text stays text; a file planted as a link is replaced, not written through
    atomic_write(path, csv_safe_frame(production.kwaliteit).to_csv(index=False).encode("utf-8"))
    return path


def compute(product: str, extract, schooljaar: str, aanmaakdatum: date, settings: Settings,
            swv_codes: list[str] | None = None) -> Production:
    """The product's compute function from the registry, for the SWVs named (default: all).
    Raises common.ReconciliationError when a reconciliation fails."""
    refusals.check_period(product, schooljaar, extract.stand_per, aanmaakdatum, kalender.load_kalender())
    refusals.check_not_empty(product, schooljaar, extract)
    check_swv_codes(extract, swv_codes, product, registry.product(product).sectoren)
    return registry.product(product).compute(extract, schooljaar, aanmaakdatum, settings, swv_codes)


def results_to_publish(production: Production, outbox: Path, stand_per: date,
                       register: Path | None = None) -> tuple[list[ProductResult], list[SwvOutcome]]:
    """Split the results into those to publish and those skipped (a newer extract is current)."""
    newer = superseded_owners(outbox, production.product, production.schooljaar, stand_per, register)
    todo, skip = [], []
    for r in production.openbaar + production.per_swv:
        (skip.append(skipped(r)) if owner_of(r) in newer else todo.append(r))
    refuse_damaged_basis(outbox, production.product, production.schooljaar, [owner_of(r) for r in todo])
    return todo, skip


def refuse_damaged_basis(outbox: Path, product: str, schooljaar: str, owners: list[str]) -> None:
    """Before anything is published: a production never answers `ongewijzigd` for, diffs against or
    replaces a damaged version. The version each owner's publication relies on is checked (its
    files against its manifest); any damage refuses the whole production, naming it and what to do."""
    links = [str(link) for owner in owners if (link := linked_part(Path(outbox), owner, schooljaar, product))]
    if links:  # its versions would be written wherever the link points
        raise refusals.ProductionRefused(
            f"{product} {schooljaar}: {', '.join(links)} is een symbolische link; een SWV-, schooljaar- of productmap "
            "in de outbox moet een gewone map zijn. Vervang de link door een gewone map. Er is niets gepubliceerd.")
    prefix = f"{Path(outbox)}/"
    damaged = {owner: [p.removeprefix(prefix) for p in problems] for owner in owners
               if (problems := basis_damage(Path(outbox), owner, schooljaar, product))}
    if damaged:
        lines = "; ".join(", ".join(problems[:3]) + (f" (en nog {len(problems) - 3})" if len(problems) > 3 else "")
                          for problems in damaged.values())
        no_manifest = any("geen geldig manifest" in p for problems in damaged.values() for p in problems)
        what_to_do = ("Zet het manifest terug uit een back-up (een versie zonder geldig manifest kan niet worden "
                      "ingetrokken)" if no_manifest else
                      f"Zet de bestanden terug uit een back-up, of trek die versie in (kijkglas withdraw {product} "
                      f"--schooljaar {schooljaar} --version vN --reason … --swv …) zodat een nieuwe versie wordt gemaakt")
        raise refusals.ProductionRefused(
            f"{product} {schooljaar}: beschadigde gepubliceerde versie ({', '.join(damaged)}) in outbox {outbox}: "
            f"{lines}. {what_to_do}. Er is niets gepubliceerd.")


def run_production(product: str, extract_dir: Path, outbox: Path, schooljaar: str,
                   productiedatum: date | None = None, swv_codes: list[str] | None = None, *,
                   settings: Settings, processes: int | None = None,
                   progress: Callable[[str, int], None] | None = None) -> list[SwvOutcome]:
    """The whole production without Prefect: validate, compute, render (in a process pool), publish.
    `progress(owner, total)` is called as each owner's documents are made (total: the owners to publish)."""
    procs = processes or os.cpu_count() or 2
    with runtime.render_pool(procs) as pool:
        extract = load_extract_once(Path(extract_dir), validation_report_dir(outbox, extract_dir))
        production = compute(product, extract, schooljaar, productiedatum or date.today(), settings, swv_codes)
        write_operator_files(outbox, production, extract.stand_per)
        comparison = comparison_of(outbox, production, extract)  # reconciled before anything is published
        todo, outcomes = results_to_publish(production, Path(outbox), extract.stand_per, settings.register_path)
        # every owner's documents made and checked in the pool before the first is published (whole
        # or nothing); then the publications, each one rename under its own lock (file work: threads)
        with stages_for(todo, outbox) as stages:
            prepared = prepare_all(todo, stages, outbox, extract.identity, pool, progress)
            with ThreadPoolExecutor(2 * procs) as threads:
                futures = [threads.submit(publish_prepared, p, r, Path(outbox), extract.identity,
                                          settings.register_path, False, pool) for p, r in zip(prepared, todo)]
                published, failed = published_or_failed(todo, [f.exception() or f.result() for f in futures])
                outcomes += published
        # the indicators before the pages, which show them; neither makes a publication look failed
        aftercare(lambda: store_comparison(outbox, production, comparison), "de vergelijking")
        aftercare(lambda: remake_pages(Path(outbox), outcomes, pool), "de pagina's")
    aftercare(lambda: note_production(outbox, production, outcomes, extract.stand_per), "het overzicht van de beheerder")
    refuse_partly_published(production, outcomes, failed)
    return outcomes


def aftercare(step: Callable[[], T], what: str) -> T | None:
    """A step after the publications (the comparison, pages, the operator's files): a full or failing
    disk there must not make a published production look failed; one line says what was left undone."""
    try:
        return step()
    except (OSError, sqlite3.OperationalError) as exc:
        log.warning("gepubliceerd, maar %s niet bijgewerkt: %s (`kijkglas status` werkt ze bij)", what,
                    io_error_words(exc))
        return None
