"""How a change report reads: per product the names of its tables and what an SWV does when they
change (`ChangeWords`), and the summary in words that the PDF, wijzigingen.xlsx and the manifest
(and so the SWV's dashboard) all show, word for word (`change_summary`).

A change report is a list with one entry per table (outbox/change_report.py computes it):
{table, added, removed, changed, totals: [{label, old, new}], compared_to, columns_added,
columns_removed[, note, examples]}. The labels shown are Nieuw / Vervallen / Gewijzigd."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

NIEUW, VERVALLEN, GEWIJZIGD = "Nieuw", "Vervallen", "Gewijzigd"
# the labels of a table's totals (outbox/change_report.py, table_totals)
TOTAAL, SALDO, INSTROOM, UITSTROOM, AANTAL_REGELS = "Totaal", "Saldo", "Instroom", "Uitstroom", "Aantal regels"
MAX_TOTALS = 4  # a sentence names at most this many changed totals, then counts the rest


@dataclass(frozen=True)
class FlowWords:
    """How a table of flows names them in a sentence (Kijkglas 3a: growth; 3b: moves, no growth)."""
    instroom: str = "instroom"
    uitstroom: str = "uitstroom"
    difference: str | None = SALDO   # what instroom − uitstroom is; None: it means nothing
    remark: str = ""                 # a sentence after the flows (e.g. that they are no growth)


@dataclass(frozen=True)
class ChangeWords:
    """The words of one product's change report.

    names:  stem -> the table's name as its documents and the handleiding call it
    sheets: stem -> its tab in wijzigingen.xlsx (at most 31 characters, no []:*?/\\)
    advice: the last sentence: what to do when the product changed
    flows:  stem -> how a table of flows (totals Instroom, Uitstroom) reads: its instroom, its
            uitstroom, and what instroom minus uitstroom is (None: nothing that counts, e.g. moves
            between schools); a stem without an entry reads "instroom", "uitstroom", "Saldo"
    """
    names: Mapping[str, str] = field(default_factory=dict)
    sheets: Mapping[str, str] = field(default_factory=dict)
    advice: str = ""
    flows: Mapping[str, FlowWords] = field(default_factory=dict)

    def name(self, stem: str) -> str:
        return self.names.get(stem, stem)

    def ordered(self, report: Sequence[Mapping]) -> list[Mapping]:
        """The report's tables in the order the product's documents show them (others last)."""
        order = {stem: i for i, stem in enumerate(self.names)}
        return sorted(report, key=lambda e: (order.get(e.get("table"), len(order)), str(e.get("table"))))


def _regels(n: int) -> str:
    return f"{n} regel" if n == 1 else f"{n} regels"


def is_changed(entry: Mapping) -> bool:
    return bool(entry.get("added") or entry.get("removed") or entry.get("changed") or entry.get("note")
                or entry.get("columns_added") or entry.get("columns_removed"))


def _counts(entry: Mapping) -> str:
    parts = [entry["note"]] if entry.get("note") else []
    parts += [f"{label}: {_regels(int(entry.get(key) or 0))}"
              for label, key in ((NIEUW, "added"), (VERVALLEN, "removed"), (GEWIJZIGD, "changed"))
              if entry.get(key)]
    return ", ".join(parts) or "geen regels gewijzigd"


def _num(v) -> str:
    return "–" if v is None else str(v)


def _change(label: str, t: Mapping) -> str:
    """`instroom 5 → 6` or `instroom blijft 5`."""
    return (f"{label} blijft {_num(t['new'])}" if t["old"] == t["new"]
            else f"{label} {_num(t['old'])} → {_num(t['new'])}")


def _effect(totals: Sequence[Mapping], flow: FlowWords = FlowWords()) -> str:
    """The net effect on the totals, e.g. `Totaal Laag 8+: 12 → 14` or, for a table of flows (Kijkglas
    3), what instroom minus uitstroom is (3a: the growth) or, where that means nothing (3b), each flow."""
    by = {t["label"]: t for t in totals}
    if SALDO in by:
        flows = [(getattr(flow, k.lower()), by[k]) for k in (INSTROOM, UITSTROOM) if k in by]
        if flow.difference is None:
            text = "; ".join(_change(label, t) for label, t in flows)
            return " ".join(x for x in (f"{text[:1].upper()}{text[1:]}." if text else "", flow.remark) if x)
        s = by[SALDO]
        shown = ", ".join(f"{label} {_num(t['old'])} → {_num(t['new'])}" for label, t in flows)
        head = (f"{flow.difference} blijft {_num(s['new'])}" if s["old"] == s["new"]
                else f"{flow.difference} van {_num(s['old'])} naar {_num(s['new'])}")
        return f"{head} ({shown})." if shown else f"{head}."
    moved = [t for t in totals if t["old"] != t["new"]]
    if not moved:
        if list(by) == [AANTAL_REGELS]:
            return f"{AANTAL_REGELS} blijft {_num(by[AANTAL_REGELS]['new'])}."
        return "De totalen blijven gelijk."
    shown = ", ".join(f"{t['label']}: {_num(t['old'])} → {_num(t['new'])}" for t in moved[:MAX_TOTALS])
    rest = len(moved) - MAX_TOTALS
    more = f" en nog {rest} {'ander totaal' if rest == 1 else 'andere totalen'}" if rest > 0 else ""
    return f"{shown}{more}."


def _columns(entry: Mapping) -> str:
    out = []
    for key, label in (("columns_added", "Nieuwe kolom"), ("columns_removed", "Vervallen kolom")):
        cols = list(entry.get(key) or [])
        if cols:
            out.append(f"{label}{'men' if len(cols) > 1 else ''}: {', '.join(cols)}.")
    return " ".join(out)


def table_sentence(entry: Mapping, words: ChangeWords) -> str:
    """One table: its name, its rows Nieuw / Vervallen / Gewijzigd, and the net effect on its totals."""
    stem = str(entry.get("table", ""))
    text = f"{words.name(stem)} – {_counts(entry)}."
    totals = entry.get("totals")
    # a table counted only by its rows says nothing more when no row came or went
    rows_only = [t.get("label") for t in totals or []] == [AANTAL_REGELS]
    if totals and not (rows_only and not entry.get("added") and not entry.get("removed")):
        text += " " + _effect(totals, words.flows.get(stem, FlowWords()))
    columns = _columns(entry)
    return f"{text} {columns}" if columns else text


def change_summary(report: Sequence[Mapping] | None, words: ChangeWords = ChangeWords()) -> list[str]:
    """The change report in words: one sentence on how many tables changed, one per changed table
    (by its human name) with its rows and totals, and what to do. [] when there is no report."""
    if not report:
        return []
    basis = next((e["compared_to"] for e in report if e.get("compared_to")), None)
    than = f"versie {basis}" if basis else "de vorige versie"
    changed = [e for e in report if is_changed(e)]
    n, total = len(changed), len(report)
    if not changed:
        return [f"Ten opzichte van {than} is er niets gewijzigd."]
    if total == 1:
        head = f"Ten opzichte van {than} is de tabel gewijzigd."
    elif n == total:
        head = f"Ten opzichte van {than} zijn {'beide' if total == 2 else f'alle {total}'} tabellen gewijzigd."
    else:
        head = f"Ten opzichte van {than} {'is' if n == 1 else 'zijn'} {n} van de {total} tabellen gewijzigd."
    return ([head] + [table_sentence(e, words) for e in words.ordered(changed)]
            + ([words.advice] if words.advice else []))


def changes_context(report: Sequence[Mapping] | None, words: ChangeWords) -> dict:
    """The PDF's changes section (templates/base.html): the summary in words and, per table,
    {table, bestand, added, removed, changed, examples}; None without a report."""
    if not report:
        return {"change_report": None, "wijzigingen_samenvatting": None}
    rows = [{
        "table": words.name(str(e.get("table", ""))),
        "bestand": f"{e.get('table')}.csv" if e.get("table") in words.names else "",
        "added": int(e.get("added", 0) or 0),
        "removed": int(e.get("removed", 0) or 0),
        "changed": int(e.get("changed", 0) or 0),
        "examples": [str(x) for x in e.get("examples", []) or []],
    } for e in words.ordered(report)]
    return {"change_report": rows, "wijzigingen_samenvatting": change_summary(report, words)}
