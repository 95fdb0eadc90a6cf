"""A dry run (`droog`, `--dry-run`): what a production would publish per SWV — a new version and what
changes in words, nothing (the actueel version has the same tables), or skipped (a newer extract made
it) — computed as the real production would, and written nowhere."""
from __future__ import annotations

from pathlib import Path

from documents.changes import change_summary
from outbox.change_report import change_report_for, content_key_of_tables, current_content_key
from outbox.changes_workbook import words_of
from outbox.layout import next_version
from production.steps import SwvOutcome, counts_of, owner_of, results_to_publish
from tasks.model import Production

ZOU_PUBLICEREN = "zou gepubliceerd worden"
ZOU_ONGEWIJZIGD = "zou ongewijzigd blijven"
ZOU_OVERSLAAN = "zou overgeslagen worden"
DRY_RUN_OUTCOMES = (ZOU_PUBLICEREN, ZOU_ONGEWIJZIGD, ZOU_OVERSLAAN)


def would_publish(production: Production, outbox: Path, stand_per, register: Path | None = None) -> list[SwvOutcome]:
    """Per owner, the outcome the production would have, read-only."""
    if not Path(outbox).is_dir():  # nothing published yet (and opening the register would make one)
        todo, skipped = production.openbaar + production.per_swv, []
    else:
        todo, skipped = results_to_publish(production, Path(outbox), stand_per, register)
    out = [SwvOutcome(**{**o.__dict__, "outcome": ZOU_OVERSLAAN}) for o in skipped]
    for r in todo:
        owner = owner_of(r)
        current = current_content_key(Path(outbox), owner, r.schooljaar, r.product)
        base = dict(owner=owner, product=r.product, schooljaar=r.schooljaar, stand_per=str(r.stand_per),
                    counts=counts_of(r))
        if current is not None and current[1] == content_key_of_tables(r.tables):
            out.append(SwvOutcome(**base, outcome=ZOU_ONGEWIJZIGD, version=current[0]))
            continue
        report = change_report_for(Path(outbox), owner, r.schooljaar, r.product, r.tables)
        versie = next_version(Path(outbox), owner, r.schooljaar, r.product, r.stand_per)
        out.append(SwvOutcome(**base, outcome=ZOU_PUBLICEREN, version=versie["versie"],
                              reason=versie.get("reden") or "eerste versie",
                              wijzigingen=change_summary(report.tables, words_of(r.product)) if report else []))
    return out


def dry_run_production(request, swv_codes: list[str] | None, settings) -> list[SwvOutcome]:
    """The dry run without Prefect (`kijkglas produce --dry-run --no-prefect`): validate (no report
    written), compute, and say per owner what would happen."""
    from production.runtime import load_extract_once
    from production.steps import compute
    extract = load_extract_once(request.extract_dir, None)
    production = compute(request.product, extract, request.schooljaar, request.productiedatum, settings, swv_codes)
    return would_publish(production, request.outbox, extract.stand_per, settings.register_path)
