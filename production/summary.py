"""What an operator reads about a production, a production day or a backfill: per product × SWV the
outcome in words, the version, what changed (the change summary the SWV reads too) and where the
documents and the validation report are. Plain data; the flows turn it into Prefect artifacts.

A production run also leaves its rows in `<outbox>/.operator/producties/<run id>.json`, so that a
production day or backfill whose productions ran on other workers can summarise them."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from core.dates import format_datum
from core.files import atomic_write
from outbox.layout import GEPUBLICEERD, ONGEWIJZIGD, OPERATOR_DIR, OVERGESLAGEN, product_dir
from production.dry_run import DRY_RUN_OUTCOMES, ZOU_PUBLICEREN
from production.steps import SwvOutcome

RECORDS_DIR = "producties"


def is_dry_run(outcomes: list[SwvOutcome]) -> bool:
    return any(o.outcome in DRY_RUN_OUTCOMES for o in outcomes)


def production_name(product: str, schooljaar: str, datum, droog: bool = False) -> str:
    """How a production is named in the UI, its summaries and logs: `kijkglas-2 2024-2025 · 10-03-2025`
    (a dry run: `… · droog`)."""
    return f"{product} {schooljaar} · {datum:%d-%m-%Y}" + (" · droog" if droog else "")


def outcome_words(o: SwvOutcome) -> str:
    """The outcome as an operator says it."""
    if o.outcome == GEPUBLICEERD:
        return f"nieuwe versie {o.version}"
    if o.outcome == ONGEWIJZIGD:
        through = f" t/m stand per {format_datum(o.bevestigd_tot)}" if o.bevestigd_tot else ""
        return f"niets gewijzigd: {o.version} bevestigd{through}"
    if o.outcome == OVERGESLAGEN:
        return f"overgeslagen: {o.reason}"
    return f"{o.outcome}: {o.version}" + (f" ({o.reason})" if o.reason else "")


def headline(outcomes: list[SwvOutcome]) -> str:
    """'2 nieuwe versie(s), 148 niets gewijzigd' — only what happened; 'niets gewijzigd' when nothing was."""
    c = Counter(o.outcome for o in outcomes)
    parts = [f"{c[GEPUBLICEERD]} nieuwe versie(s)" if c[GEPUBLICEERD] else "",
             f"{c[ONGEWIJZIGD]} niets gewijzigd" if c[ONGEWIJZIGD] else "",
             f"{c[OVERGESLAGEN]} overgeslagen" if c[OVERGESLAGEN] else ""]
    parts += [f"{n} {kind}" for kind, n in sorted(c.items()) if kind not in (GEPUBLICEERD, ONGEWIJZIGD, OVERGESLAGEN)]
    if set(c) == {ONGEWIJZIGD}:
        return f"niets gewijzigd ({c[ONGEWIJZIGD]} SWV's)"
    return ", ".join(p for p in parts if p) or "geen SWV's"


def in_outbox(path: Path | str, outbox: Path | str | None) -> str:
    """A path as the operator reads it beside the outbox's own: relative to it when inside it."""
    if not path:
        return ""
    try:
        return Path(path).relative_to(Path(outbox)).as_posix() if outbox else str(path)
    except ValueError:
        return str(path)


def documents_path(o: SwvOutcome, outbox: Path | str | None) -> str:
    """The folder of the version the outcome is about (the new one, or the actueel one confirmed),
    relative to the outbox."""
    if o.path:
        return in_outbox(o.path, outbox)
    if outbox and o.version and o.outcome == ONGEWIJZIGD:
        return in_outbox(product_dir(Path(outbox), o.owner, o.schooljaar, o.product) / o.version, outbox)
    return ""


def changes_words(o: SwvOutcome) -> str:
    if o.outcome not in (GEPUBLICEERD, ZOU_PUBLICEREN):
        return ""
    return " ".join(o.wijzigingen) or "eerste versie"


def summary_rows(outcomes: list[SwvOutcome], outbox: Path | str | None = None) -> list[dict]:
    """One row per product × SWV, in the order product, schooljaar, SWV."""
    return [{"product": o.product, "schooljaar": o.schooljaar, "SWV": o.owner, "uitkomst": outcome_words(o),
             "stand per": format_datum(o.stand_per), "wat is gewijzigd": changes_words(o),
             "documenten": documents_path(o, outbox)}
            for o in sorted(outcomes, key=lambda o: (o.product, o.schooljaar, o.owner))]


def markdown_cell(value) -> str:
    """Text from data stays text in a markdown table: no markup, no links (also none a renderer would
    make of a bare address: `:`, `.` and `@` are escaped too), no broken cells."""
    text = " ".join(str(value if value is not None else "").split())
    for ch in "\\`*_{}[]<>()#+!|~:.@":
        text = text.replace(ch, "\\" + ch)
    return text


def markdown_table(rows: list[dict], columns: list[str] | None = None) -> str:
    if not rows:
        return "_(geen)_\n"
    columns = columns or list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(markdown_cell(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def record_path(outbox: Path, run_id: str) -> Path:
    return Path(outbox) / OPERATOR_DIR / RECORDS_DIR / f"{run_id}.json"


def write_record(outbox: Path, run_id: str, outcomes: list[SwvOutcome], validation_report: str) -> Path:
    path = record_path(outbox, run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"validatierapport": validation_report, "outcomes": [o.__dict__ for o in outcomes]}
    atomic_write(path, json.dumps(data, ensure_ascii=False, default=str).encode("utf-8"))
    return path


def read_record(outbox: Path, run_id: str) -> tuple[list[SwvOutcome], str] | None:
    """The outcomes a production run left (None when it left none: it failed before publishing)."""
    try:
        data = json.loads(record_path(outbox, run_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return [SwvOutcome(**o) for o in data.get("outcomes", [])], str(data.get("validatierapport") or "")
