"""The change report: what a new version changes against the one it replaces, per table (rows
Nieuw, Vervallen and Gewijzigd, with examples, and the totals before and after; its words are
documents/changes.py's, its workbook outbox/changes_workbook.py). Also the content key: the
SHA-256 over a version's CSV tables, by which a rerun on the same data is recognised."""
from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from core.dates import format_datum
from documents.changes import AANTAL_REGELS, GEWIJZIGD, INSTROOM, NIEUW, SALDO, TOTAAL, UITSTROOM, VERVALLEN
from documents.csv_tables import csv_bytes
from outbox.layout import PublishError, check_key, comparison_basis, actueel_version, scan_versions
from outbox.tables import DATA, read_table, read_tables

MAX_EXAMPLES = 5


def content_key_of_tables(tables: dict[str, pd.DataFrame]) -> str:
    """The content key the CSV tables will have once written (same bytes as `write_csv_tables`),
    so a rerun on unchanged data can stop before rendering anything."""
    return _key_of((f"{stem}.csv", csv_bytes(tables[stem])) for stem in sorted(tables, key=lambda s: f"{s}.csv"))


def current_content_key(outbox: Path, owner: str, schooljaar: str, product: str) -> tuple[str, str] | None:
    """(version, content key) of the actueel version, if any (read from its manifest)."""
    current = actueel_version(scan_versions(Path(outbox), owner, schooljaar, product))
    return (current.name, current.manifest["content_key"]) if current is not None else None


def content_key(data_dir: Path) -> str:
    """SHA-256 over the `*.csv` files of `data_dir`, sorted by name (name, length and bytes)."""
    files = sorted(p for p in Path(data_dir).glob("*.csv") if p.is_file())
    if not files:
        raise PublishError(f"no CSV tables in {data_dir}")
    return _key_of((p.name, p.read_bytes()) for p in files)


def _key_of(named_bytes) -> str:
    """The content key: SHA-256 over (file name, length, bytes) in the order given."""
    h = hashlib.sha256()
    for name, b in named_bytes:
        h.update(name.encode("utf-8") + b"\0" + str(len(b)).encode() + b"\0")
        h.update(b)
    return h.hexdigest()


# Explicit key columns per CSV stem (override the defaults of `table_key_columns`).
TABLE_KEY_OVERRIDES: dict[str, list[str]] = {}

# Id-like column groups of pupil-level tables: the first present group is the key.
_PUPIL_KEY_GROUPS = [
    ["DUO-nummer leerling", "Vestiging", "Begindatum inschrijving", "Begindatum geldigheid gegevens"],
    ["Laatste 4 cijfers bsn", "Sbao-vestiging", "Begindatum inschrijving"],
]


def table_key_columns(stem: str, columns: list[str]) -> list[str]:
    """The columns that identify a row of table `stem` for the change report.

    `TABLE_KEY_OVERRIDES[stem]` when set; Kijkglas 3 tables (`SWV`, `BRIN (v)so`): both; pupil-level
    tables: their id-like columns (DUO-nummer leerling + Vestiging + begin dates, or for Kijkglas 5
    the BSN digits + sbao-vestiging + begindatum); otherwise the first column (`Regel`, `Vestiging`…).
    Rows whose key repeats are matched in order of their content.
    """
    cols = list(columns)
    if stem in TABLE_KEY_OVERRIDES:
        key = [c for c in TABLE_KEY_OVERRIDES[stem] if c in cols]
        return key or cols[:1]
    if cols[:2] == ["SWV", "BRIN (v)so"]:
        return cols[:2]
    for group in _PUPIL_KEY_GROUPS:
        if group[0] in cols:
            return [c for c in group if c in cols]
    return cols[:1]


_INT_FLOAT_RE = re.compile(r"^-?\d+\.0+$")
_MIDNIGHT_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T]00:00:00$")


def _norm(value: str) -> str:
    s = str(value).strip()
    if s.lower() in ("nan", "nat", "none", "<na>"):
        return ""
    if _INT_FLOAT_RE.match(s):
        return s.split(".")[0]
    m = _MIDNIGHT_RE.match(s)
    return m.group(1) if m else s


def _frame_as_csv_strings(df: pd.DataFrame) -> pd.DataFrame:
    """A frame as its data/*.csv will hold it: every cell a string, from the same CSV writer (so
    the report before rendering equals the one computed at publish); `_norm` evens out the
    remaining formatting differences (3.0 vs 3, midnight timestamps)."""
    return read_table(io.BytesIO(csv_bytes(df)))


def _records(df: pd.DataFrame) -> tuple[list[str], list[dict]]:
    cols = [str(c) for c in df.columns]
    rows = [{c: _norm(v) for c, v in zip(cols, vals)} for vals in df.itertuples(index=False, name=None)]
    return cols, rows


def _keyed(rows: list[dict], key_cols: list[str], all_cols: list[str]) -> dict[tuple, dict]:
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault(tuple(r.get(c, "") for c in key_cols), []).append(r)
    out = {}
    for k, rs in groups.items():
        rs = sorted(rs, key=lambda r: tuple(r.get(c, "") for c in all_cols)) if len(rs) > 1 else rs
        for i, r in enumerate(rs):
            out[(k, i)] = r
    return out


def _shown(v: str) -> str:
    """A cell as a Dutch sentence shows it: an ISO date as dd-mm-jjjj, nothing as `leeg`."""
    return format_datum(v) if v else "leeg"


def _fmt_key(key_cols: list[str], key: tuple) -> str:
    """`Deelnemende (V)SO` for a totals row (first column `Regel`), else `DUO-nummer leerling 123, Vestiging 01AA00`."""
    (vals, occ) = key
    s = (_shown(vals[0]) if list(key_cols) == ["Regel"]
         else ", ".join(f"{c} {_shown(v)}" for c, v in zip(key_cols, vals)))
    return s + (f" (#{occ + 1})" if occ else "")


@dataclass
class TableChanges:
    """The rows of one table that differ, for wijzigingen.xlsx: `rows` hold {kind, key (values of
    the key columns), old, new (the whole rows as text, None on the side without one), changed
    (the columns whose value differs)}; `columns`: the new table's, then those it dropped."""
    key_columns: list[str]
    columns: list[str]
    rows: list[dict] = field(default_factory=list)


_WHOLE = re.compile(r"^-?(0|[1-9]\d{0,14})$")


def _whole(v: str) -> int | None:
    return int(v) if _WHOLE.match(v or "") else None


def table_totals(cols: list[str], rows: list[dict]) -> dict[str, int]:
    """What a table adds up to, for the net effect of a change: the numbers of its Totaal row(s)
    (`Totaal Laag 8+`; one count column: the row's own label), for Kijkglas 3's flows instroom,
    uitstroom and their saldo, otherwise its number of rows."""
    first = cols[0] if cols else None
    out: dict[str, int] = {}
    for r in rows:
        label = r.get(first, "") if first else ""
        if not label.startswith(TOTAAL):
            continue
        numbers = {c: _whole(r.get(c, "")) for c in cols[1:]}
        numbers = {c: n for c, n in numbers.items() if n is not None}
        for c, n in numbers.items():
            out[label if len(numbers) == 1 or c == label else f"{label} {c}"] = n
    if out:
        return out
    flows = {k: [c for c in cols if c.startswith(k) and c.endswith(TOTAAL)] for k in (INSTROOM, UITSTROOM)}
    if flows[INSTROOM] and flows[UITSTROOM]:
        sums = {k: sum(_whole(r.get(c, "")) or 0 for r in rows for c in cs) for k, cs in flows.items()}
        return {**sums, SALDO: sums[INSTROOM] - sums[UITSTROOM]}
    return {AANTAL_REGELS: len(rows)}


def _totals(old_cols, old_rows, new_cols, new_rows, old_missing: bool, new_missing: bool) -> list[dict]:
    old = {} if old_missing else table_totals(old_cols, old_rows)
    new = {} if new_missing else table_totals(new_cols, new_rows)
    labels = list(new) + [k for k in old if k not in new]
    return [{"label": k, "old": old.get(k), "new": new.get(k)} for k in labels]


def _diff_table(stem: str, old: pd.DataFrame | None, new: pd.DataFrame | None, compared_to: str
                ) -> tuple[dict, TableChanges]:
    """(summary, the differing rows) of one table."""
    old_cols, old_rows = _records(old) if old is not None else ([], [])
    new_cols, new_rows = _records(new) if new is not None else ([], [])
    if old is not None and new is not None:
        key_cols = [c for c in table_key_columns(stem, new_cols) if c in old_cols]
        if not key_cols:
            key_cols = [c for c in new_cols if c in old_cols]
    else:
        key_cols = table_key_columns(stem, new_cols or old_cols)
    common = [c for c in new_cols if c in old_cols and c not in key_cols]
    all_cols = [c for c in (new_cols or old_cols)]
    o = _keyed(old_rows, key_cols, all_cols)
    n = _keyed(new_rows, key_cols, all_cols)

    table = TableChanges(key_cols, new_cols + [c for c in old_cols if c not in new_cols])
    changed_ex, added_ex, removed_ex = [], [], []
    added = removed = changed = 0

    def detail(key, kind, orow, nrow, cols=()):
        table.rows.append({"kind": kind, "key": key[0], "old": orow, "new": nrow, "changed": list(cols)})

    for key, nr in n.items():
        orow = o.get(key)
        if orow is None:
            added += 1
            detail(key, NIEUW, None, nr)
            added_ex.append(f"{NIEUW}: {_fmt_key(key_cols, key)}")
            continue
        diffs = [(c, orow.get(c, ""), nr.get(c, "")) for c in common if orow.get(c, "") != nr.get(c, "")]
        if diffs:
            changed += 1
            detail(key, GEWIJZIGD, orow, nr, [c for c, _, _ in diffs])
            shown = "; ".join(f"{c} {_shown(a)} → {_shown(b)}" for c, a, b in diffs[:3])
            more = f"; … (+{len(diffs) - 3})" if len(diffs) > 3 else ""
            changed_ex.append(f"{GEWIJZIGD}: {_fmt_key(key_cols, key)}: {shown}{more}")
    for key, orow in o.items():
        if key not in n:
            removed += 1
            detail(key, VERVALLEN, orow, None)
            removed_ex.append(f"{VERVALLEN}: {_fmt_key(key_cols, key)}")

    summary = {
        "table": stem,
        "added": added,
        "removed": removed,
        "changed": changed,
        "examples": (changed_ex + added_ex + removed_ex)[:MAX_EXAMPLES],
        "key_columns": key_cols,
        "columns_added": [c for c in new_cols if old is not None and c not in old_cols],
        "columns_removed": [c for c in old_cols if new is not None and c not in new_cols],
        "totals": _totals(old_cols, old_rows, new_cols, new_rows, old is None, new is None),
        "compared_to": compared_to,
    }
    if old is None:
        summary["note"] = "nieuwe tabel"
    elif new is None:
        summary["note"] = "tabel vervallen"
    return summary, table


def compare_tables(old_tables: dict[str, pd.DataFrame], new_tables: dict[str, pd.DataFrame],
                   compared_to: str) -> tuple[list[dict], dict[str, TableChanges]]:
    """(the change report, per table its differing rows)."""
    stems = sorted(set(new_tables) | set(old_tables))  # one order for before-render and publish
    summaries, details = [], {}
    for stem in stems:
        s, details[stem] = _diff_table(stem, old_tables.get(stem), new_tables.get(stem), compared_to)
        summaries.append(s)
    return summaries, details


@dataclass
class ChangeReport:
    """What a new version changes against `basis`, the version a publish would replace (or, none
    being actueel, the newest not withdrawn): `tables` is the report, one item per table, as the PDF,
    wijzigingen.xlsx and the manifest say it; `details` per table its differing rows (wijzigingen.xlsx)."""
    basis: str
    basis_stand_per: str | None
    tables: list[dict]
    details: dict[str, TableChanges]


def change_report_for(outbox: Path, owner: str, schooljaar: str, product: str,
                      new_tables: dict[str, pd.DataFrame]) -> ChangeReport | None:
    """The change report of `new_tables` against the version a publish now would replace, worked out
    once from the frames (as their CSVs will hold them) before the documents are made: the PDF, the
    workbook and the manifest all say it. None when there is no version to compare with.

    One item of `tables` per table (sorted by table name; tables new or dropped since the basis
    included): {table, added (Nieuw), removed (Vervallen), changed (Gewijzigd), examples: [str, ≤5],
    key_columns, columns_added, columns_removed, totals: [{label, old, new}] (see `table_totals`),
    compared_to[, note]}. `publish_version` checks under its lock that the basis is still the same.
    """
    check_key(owner, schooljaar, product)
    basis = comparison_basis(scan_versions(Path(outbox), owner, schooljaar, product))
    if basis is None:
        return None
    new = {stem: _frame_as_csv_strings(df) for stem, df in new_tables.items()}
    summaries, details = compare_tables(read_tables(basis.path / DATA), new, basis.name)
    return ChangeReport(basis.name, (basis.manifest or {}).get("stand_per"), summaries, details)
