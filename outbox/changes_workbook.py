"""wijzigingen.xlsx, the workbook of a change report: a sheet "Samenvatting" (Algemene gegevens of
both versions, the summary in words, the counts per table), then one sheet per changed table as
one rectangular table: Wijziging (Nieuw / Vervallen / Gewijzigd), the key columns, then every other
column, as old and new side by side where some row changed it."""
from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from documents.changes import GEWIJZIGD, NIEUW, VERVALLEN, ChangeWords
from documents.workbook import Sheet, sheet_title, write_workbook
from outbox.change_report import TableChanges
from outbox.layout import OPENBAAR
from products import registry

SUMMARY_SHEET = "Samenvatting"
WIJZIGING = "Wijziging"
OUD, NIEUW_SUFFIX = " (oud)", " (nieuw)"
_KIND_ORDER = {GEWIJZIGD: 0, VERVALLEN: 1, NIEUW: 2}  # within one key: the old row before the new
# digits in these columns are codes (DUO-nummer, TLV nummer, BSN digits, BRIN), not counts
_CODE_COLUMN = re.compile(r"nummer|bsn|brin", re.IGNORECASE)
_WHOLE = re.compile(r"^-?(0|[1-9]\d{0,14})$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}$")

READING = [
    "Op elk volgend tabblad staan de regels van één tabel die Nieuw, Vervallen of Gewijzigd zijn; "
    "de kolom Wijziging zegt welke.",
    "Een regel die Nieuw of Vervallen is, staat er helemaal: bij Nieuw in de kolommen (nieuw), bij "
    "Vervallen in de kolommen (oud).",
    "Bij een Gewijzigde regel staan oud en nieuw naast elkaar; de gewijzigde waarden zijn geel. "
    "Een waarde die niet wijzigde, staat in beide kolommen gelijk.",
]


def words_of(product: str) -> ChangeWords:
    """The product's table names and advice (a product no longer made: its table stems, no advice)."""
    return registry.product(product).changes if product in registry.NAMES else ChangeWords()


def title_of(product: str) -> str:
    return registry.product(product).title if product in registry.NAMES else product


def _value(v: str, count: bool):
    """A CSV value as Excel should hold it: empty → no value, ISO dates real dates, counts numbers."""
    if v is None or v == "":
        return None
    if _ISO_DATE.match(v):
        return date.fromisoformat(v)
    if _ISO_DATETIME.match(v):
        return datetime.fromisoformat(v)
    if count and _WHOLE.match(v):
        return int(v)
    return v


def _is_count(column: str, table: TableChanges) -> bool:
    if _CODE_COLUMN.search(column):
        return False
    values = [r[side].get(column, "") for r in table.rows for side in ("old", "new") if r[side]]
    return all(v == "" or _WHOLE.match(v) for v in values)


def table_sheet_frame(table: TableChanges) -> tuple[pd.DataFrame, frozenset[tuple[int, int]]]:
    """The sheet of one table: its frame and the cells (row, column) that hold a changed value."""
    keys = table.key_columns
    others = [c for c in table.columns if c not in keys]
    paired = {c for r in table.rows for c in r["changed"]}
    count = {c: _is_count(c, table) for c in others}
    header = [WIJZIGING] + keys
    for c in others:
        header += [c + OUD, c + NIEUW_SUFFIX] if c in paired else [c]
    rows, marked = [], set()
    ordered = sorted(table.rows, key=lambda r: (tuple(r["key"]), _KIND_ORDER[r["kind"]]))
    for i, r in enumerate(ordered):
        old, new = r["old"] or {}, r["new"] or {}
        line = [r["kind"]] + [_value(v, False) for v in r["key"]]
        for c in others:
            a, b = _value(old.get(c, ""), count[c]), _value(new.get(c, ""), count[c])
            if c not in paired:
                line.append(b if c in new else a)  # equal on both sides, or only on one
                continue
            if c in r["changed"]:
                marked |= {(i, len(line)), (i, len(line) + 1)}
            line += [a, b]
        rows.append(line)
    return pd.DataFrame(rows, columns=header, dtype=object), frozenset(marked)


def general_rows(product: str, owner: str, swv_naam: str | None, basis: tuple[str, str | None],
                 new: tuple[str, str | None]) -> list[tuple]:
    """The Algemene gegevens of the change report: product, SWV, both versions with their stand per
    (ISO in the manifests, dates in the workbook)."""
    def day(iso_text: str | None) -> date | None:
        return date.fromisoformat(iso_text) if iso_text else None
    swv = ([("Samenwerkingsverband", "landelijk overzicht (openbaar)")] if owner == OPENBAAR
           else [("Administratienummer", owner), ("Naam", swv_naam or "")])
    return [("Product", title_of(product)), *swv,
            ("Vorige versie", basis[0]), ("Stand per vorige versie", day(basis[1])),
            ("Nieuwe versie", new[0]), ("Stand per nieuwe versie", day(new[1]))]


def write_changes_workbook(path: Path, report: list[dict], details: dict[str, TableChanges], *,
                           product: str, general: list[tuple], summary: list[str],
                           timestamp: date) -> Path:
    """Write wijzigingen.xlsx: `general` from `general_rows`, `summary` from documents.changes."""
    words = words_of(product)
    sheets, used, overview = [], {SUMMARY_SHEET}, []
    for entry in words.ordered(report):
        stem = entry["table"]
        table = details[stem]
        tab = ""
        if table.rows:
            tab = base = sheet_title(words.sheets.get(stem, stem))
            i = 2
            while tab in used:  # two names alike once cut to 31 characters
                tab = f"{base[:28]} {i}"
                i += 1
            used.add(tab)
            frame, marked = table_sheet_frame(table)
            sheets.append(Sheet(tab, [(f"{words.name(stem)} ({stem}.csv)", frame)], detail=True,
                                algemene_gegevens=False, marked=marked))
        overview.append([words.name(stem), tab, f"{stem}.csv", entry["added"], entry["removed"],
                         entry["changed"], " + ".join(entry["key_columns"])])
    counts = pd.DataFrame(overview, columns=["Tabel", "Tabblad", "Bestand", NIEUW, VERVALLEN, GEWIJZIGD,
                                             "Sleutel"], dtype=object)
    first = Sheet(SUMMARY_SHEET, [("Per tabel", counts)],
                  notes=[("Samenvatting", summary), ("Zo leest u de tabbladen", READING)])
    versions = {label: value for label, value in general}
    title = (f"Wijzigingen {title_of(product)}: versie {versions.get('Nieuwe versie')} "
             f"ten opzichte van versie {versions.get('Vorige versie')}")
    return write_workbook(path, title, general, [first] + sheets, timestamp=timestamp)
