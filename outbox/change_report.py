"""The change report: what a new version changes against the one it replaces, per table (rows
added, removed and changed, with examples), and its workbook wijzigingen.xlsx. Also the content
key: the SHA-256 over a version's CSV tables, by which a rerun on the same data is recognised."""
from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import pandas as pd

from documents.csv_tables import csv_bytes
from outbox.layout import PublishError, check_key, comparison_basis, actueel_version, scan_versions

MAX_EXAMPLES = 5


def content_key_of_tables(tables: dict[str, pd.DataFrame]) -> str:
    """The content key the CSV tables will have once written (same bytes as `write_csv_tables`),
    so a rerun on unchanged data can stop before rendering anything."""
    h = hashlib.sha256()
    for stem in sorted(tables, key=lambda s: f"{s}.csv"):
        b = csv_bytes(tables[stem])
        h.update(f"{stem}.csv".encode("utf-8") + b"\0" + str(len(b)).encode() + b"\0")
        h.update(b)
    return h.hexdigest()


def current_content_key(outbox: Path, owner: str, schooljaar: str, product: str) -> tuple[str, str] | None:
    """(version, content key) of the actueel version, if any (read from its manifest)."""
    current = actueel_version(scan_versions(Path(outbox), owner, schooljaar, product))
    return (current.name, current.manifest["content_key"]) if current is not None else None


def content_key(data_dir: Path) -> str:
    """SHA-256 over the `*.csv` files of `data_dir`, sorted by name (name, length and bytes)."""
    files = sorted(p for p in Path(data_dir).glob("*.csv") if p.is_file())
    if not files:
        raise PublishError(f"no CSV tables in {data_dir}")
    h = hashlib.sha256()
    for p in files:
        b = p.read_bytes()
        h.update(p.name.encode("utf-8") + b"\0" + str(len(b)).encode() + b"\0")
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


def _read_csv_str(source) -> pd.DataFrame:
    try:
        return pd.read_csv(source, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:  # a zero-byte file: no columns, no rows
        return pd.DataFrame()


def _frame_as_csv_strings(df: pd.DataFrame) -> pd.DataFrame:
    """A frame as its data/*.csv will hold it: every cell a string, from the same CSV writer (so
    the report before rendering equals the one computed at publish); `_norm` evens out the
    remaining formatting differences (3.0 vs 3, midnight timestamps)."""
    return _read_csv_str(io.BytesIO(csv_bytes(df)))


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


def _fmt_key(key_cols: list[str], key: tuple) -> str:
    (vals, occ) = key
    s = ", ".join(f"{c}={v}" for c, v in zip(key_cols, vals))
    return s + (f" (#{occ + 1})" if occ else "")


def _diff_table(stem: str, old: pd.DataFrame | None, new: pd.DataFrame | None, compared_to: str
                ) -> tuple[dict, list[str], list[dict]]:
    """(summary, key columns, detail rows) of one table."""
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

    details: list[dict] = []
    changed_ex, added_ex, removed_ex = [], [], []
    added = removed = changed = 0

    def detail(key, kind, col, oldv, newv):
        d = {c: v for c, v in zip(key_cols, key[0])}
        d.update({"Wijziging": kind, "Kolom": col, "Oud": oldv, "Nieuw": newv})
        details.append(d)

    def compact(row):
        return "; ".join(f"{c}: {row[c]}" for c in row if c not in key_cols and row[c] != "")

    for key, nr in n.items():
        orow = o.get(key)
        if orow is None:
            added += 1
            detail(key, "toegevoegd", "(hele rij)", "", compact(nr))
            added_ex.append(f"toegevoegd: {_fmt_key(key_cols, key)}")
            continue
        diffs = [(c, orow.get(c, ""), nr.get(c, "")) for c in common if orow.get(c, "") != nr.get(c, "")]
        if diffs:
            changed += 1
            for c, a, b in diffs:
                detail(key, "gewijzigd", c, a, b)
            shown = "; ".join(f"{c} {a or '(leeg)'} → {b or '(leeg)'}" for c, a, b in diffs[:3])
            more = f"; … (+{len(diffs) - 3})" if len(diffs) > 3 else ""
            changed_ex.append(f"gewijzigd: {_fmt_key(key_cols, key)}: {shown}{more}")
    for key, orow in o.items():
        if key not in n:
            removed += 1
            detail(key, "verwijderd", "(hele rij)", compact(orow), "")
            removed_ex.append(f"verwijderd: {_fmt_key(key_cols, key)}")

    summary = {
        "table": stem,
        "added": added,
        "removed": removed,
        "changed": changed,
        "examples": (changed_ex + added_ex + removed_ex)[:MAX_EXAMPLES],
        "key_columns": key_cols,
        "columns_added": [c for c in new_cols if old is not None and c not in old_cols],
        "columns_removed": [c for c in old_cols if new is not None and c not in new_cols],
        "compared_to": compared_to,
    }
    if old is None:
        summary["note"] = "nieuwe tabel"
    elif new is None:
        summary["note"] = "tabel vervallen"
    return summary, key_cols, details


def tables_of(data_dir: Path) -> dict[str, pd.DataFrame]:
    return {p.stem: _read_csv_str(p) for p in sorted(Path(data_dir).glob("*.csv"))}


def compare_tables(old_tables: dict[str, pd.DataFrame], new_tables: dict[str, pd.DataFrame],
                   compared_to: str) -> tuple[list[dict], dict[str, tuple[list[str], list[dict]]]]:
    stems = sorted(set(new_tables) | set(old_tables))  # one order for before-render and publish
    summaries, details = [], {}
    for stem in stems:
        s, keys, rows = _diff_table(stem, old_tables.get(stem), new_tables.get(stem), compared_to)
        summaries.append(s)
        details[stem] = (keys, rows)
    return summaries, details


def change_report_for(outbox: Path, owner: str, schooljaar: str, product: str,
                      new_tables: dict[str, pd.DataFrame]) -> list[dict] | None:
    """The change report of `new_tables` against the version a publish now would replace.

    Call before rendering (the PDF includes it). None when there is no version to compare with.
    One item per table (sorted by table name; tables new or dropped since the basis included):
    {table, added, removed, changed, examples: [str, ≤5], key_columns, columns_added,
    columns_removed, compared_to[, note]}. `publish_version` recomputes it from the staged CSVs under the
    lock (so a concurrent publish cannot make wijzigingen.xlsx/manifest wrong) and returns it.
    """
    check_key(owner, schooljaar, product)
    basis = comparison_basis(scan_versions(Path(outbox), owner, schooljaar, product))
    if basis is None:
        return None
    new = {stem: _frame_as_csv_strings(df) for stem, df in new_tables.items()}
    summaries, _ = compare_tables(tables_of(basis.path / "data"), new, basis.name)
    return summaries


def _xlsx_value(v: str):
    if re.fullmatch(r"-?(0|[1-9]\d{0,14})", v or ""):
        return int(v)
    return v


def write_changes_workbook(path: Path, summaries: list[dict], details: dict, compared_to: str,
                        new_version: str) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    wb = Workbook()
    ws = wb.active
    ws.title = "Samenvatting"
    ws.append([f"Wijzigingen in versie {new_version} ten opzichte van versie {compared_to}"])
    ws["A1"].font = Font(bold=True, size=12)
    ws.append([])
    ws.append(["Tabel", "Toegevoegd", "Verwijderd", "Gewijzigd", "Sleutel"])
    for c in ws[3]:
        c.font = bold
    for s in summaries:
        ws.append([s["table"], s["added"], s["removed"], s["changed"], " + ".join(s["key_columns"])])
    ws.auto_filter.ref = f"A3:E{3 + len(summaries)}"
    ws.freeze_panes = "A4"
    for col, width in zip("ABCDE", (28, 12, 12, 12, 60)):
        ws.column_dimensions[col].width = width

    used = {"Samenvatting"}
    for s in summaries:
        keys, rows = details[s["table"]]
        title = re.sub(r"[\[\]:*?/\\]", "_", s["table"])[:31] or "tabel"
        base, i = title, 2
        while title in used:
            title = f"{base[:28]}_{i}"
            i += 1
        used.add(title)
        sh = wb.create_sheet(title)
        header = list(keys) + ["Wijziging", "Kolom", "Oud", "Nieuw"]
        sh.append(header)
        for c in sh[1]:
            c.font = bold
        for r in rows:
            sh.append([r.get(k, "") for k in keys] + [r["Wijziging"], r["Kolom"],
                                                       _xlsx_value(r["Oud"]), _xlsx_value(r["Nieuw"])])
        sh.auto_filter.ref = f"A1:{get_column_letter(len(header))}{max(1, len(rows) + 1)}"
        sh.freeze_panes = "A2"
        for j, h in enumerate(header, start=1):
            sh.column_dimensions[get_column_letter(j)].width = max(12, min(60, len(h) + 4))
        sh.column_dimensions[get_column_letter(len(header) - 1)].width = 40
        sh.column_dimensions[get_column_letter(len(header))].width = 40
    wb.save(path)

