"""The one summary artifact of a production day or a backfill: every production (a link to its run,
its state and, when it failed, why) and, per product × SWV, what it did, in words, with the outbox
paths of the documents and of the validation report."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from prefect.artifacts import create_markdown_artifact
from prefect.utilities.urls import url_for

from production import kalender
from production.steps import SwvOutcome
from production.summary import (headline, in_outbox, markdown_cell, markdown_table, production_name, read_record,
                                summary_rows)


@dataclass
class ProductionRun:
    """One production of a day or backfill, as it ended."""
    production: kalender.Productie
    extract: str                      # the extract folder's name ('' when there was none)
    run_id: str | None
    state: str                        # Completed, Failed, Crashed, …
    reason: str = ""                  # the state's message when it did not complete
    outcomes: list[SwvOutcome] = field(default_factory=list)
    validation_report: str = ""

    @property
    def completed(self) -> bool:
        return self.state == "Completed"

    @property
    def name(self) -> str:
        p = self.production
        return production_name(p.product, p.schooljaar, p.datum)

    @classmethod
    def of_state(cls, p: kalender.Productie, state, extract: Path | None, outbox: str) -> "ProductionRun":
        """A production run here, as a subflow, from its final state."""
        result = state.result(raise_on_failure=False)
        ok = state.is_completed()
        run_id = str(state.state_details.flow_run_id)
        record = read_record(Path(outbox), run_id) if ok else None
        return cls(production=p, extract=extract.name if extract else "", run_id=run_id, state=state.name,
                   reason="" if ok else (state.message or str(result)),
                   outcomes=list(result) if ok else [],
                   validation_report=record[1] if record else "")

    @classmethod
    def of_deployment_run(cls, p: kalender.Productie, run, extract: Path | None, outbox: str) -> "ProductionRun":
        """A production run by a worker (a run of its product's deployment): its rows from its record."""
        state = run.state.name if run.state else "?"
        record = read_record(Path(outbox), str(run.id)) if state == "Completed" else None
        return cls(production=p, extract=extract.name if extract else "", run_id=str(run.id), state=state,
                   reason="" if state == "Completed" else ((run.state.message if run.state else "") or state),
                   outcomes=record[0] if record else [], validation_report=record[1] if record else "")


def _run_link(run: ProductionRun) -> str:
    url = url_for("flow-run", obj_id=run.run_id) if run.run_id else None
    return f"[{markdown_cell(run.name)}]({url})" if url else markdown_cell(run.name)


def summary_markdown(title: str, runs: list[ProductionRun], extracts: str, outbox: str) -> str:
    done = sum(r.completed for r in runs)
    all_outcomes = [o for r in runs for o in r.outcomes]
    lines = [f"# {markdown_cell(title)}", "",
             f"{len(runs)} productie(s): {done} voltooid, {len(runs) - done} niet voltooid. "
             f"Per SWV: {markdown_cell(headline(all_outcomes))}.", "",
             f"Outbox: {markdown_cell(outbox)} (de paden hieronder zijn daarbinnen) · "
             f"extracten: {markdown_cell(extracts)}", "",
             "## Producties", "",
             "| productie | extract | toestand | uitkomst | validatierapport |", "|---|---|---|---|---|"]
    for r in sorted(runs, key=lambda r: (r.production.datum, r.production.product)):
        outcome = headline(r.outcomes) if r.completed else f"niet voltooid: {r.reason}"
        lines.append(f"| {_run_link(r)} | {markdown_cell(r.extract)} | {markdown_cell(r.state)} | "
                     f"{markdown_cell(outcome)} | {markdown_cell(in_outbox(r.validation_report, outbox))} |")
    lines += ["", "## Per SWV", "", markdown_table(summary_rows(all_outcomes, outbox))]
    return "\n".join(lines)


def publish_summary(title: str, runs: list[ProductionRun], extracts: str, outbox: str) -> None:
    """The day's or backfill's artifact (key `samenvatting-productie-10-12-2024`, `samenvatting-backfill-2024-2025`)."""
    key = "samenvatting-" + "-".join(title.replace("·", " ").split())
    done = sum(r.completed for r in runs)
    create_markdown_artifact(key=key, markdown=summary_markdown(title, runs, extracts, outbox),
                             description=f"{title}: {done} van {len(runs)} productie(s) voltooid")
