"""The one reader of published tables: a version's `data/<stem>.csv` (documents/csv_tables.py
writes them). As text, every cell exactly as published, the formula quote included (the change
report and the audit compare text); or for the pages, its count columns as ints and its text as
the register has it (the CSV's formula quote taken off: core.spreadsheet_text.text_of_csv_cell)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from core.spreadsheet_text import text_of_csv_cell

DATA = "data"  # a version's folder of CSV tables

# The count columns of the tables that hold counts (every other column is text: codes, names,
# ISO dates, J/N, amounts): the totals of Kijkglas 1 (a label, then counts), the flows of
# Kijkglas 3 (SWV and BRIN, then counts) and the sbao of Kijkglas 4.
_LABEL_THEN_COUNTS = ("k1_vso_totalen", "k1_bao_sbao", "k1_vo", "k1_tlv", "k1_per_vestiging")
_SWV_BRIN_THEN_COUNTS = ("k3a", "k3b", "k3a_po", "k3a_vo", "k3b_po", "k3b_vo")
_NAMED_COUNTS = {"k4_sbao": ("Aantal 1 oktober", "Aantal 1 februari", "Verschil")}


def read_table(source) -> pd.DataFrame:
    """One published CSV (a path or a binary buffer) as text: every cell a str as in the file, ''
    for empty; a zero-byte file has no columns and no rows."""
    try:
        return pd.read_csv(source, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def read_tables(data_dir: Path) -> dict[str, pd.DataFrame]:
    """Every `<data_dir>/*.csv` as text, by stem, in name order."""
    return {p.stem: read_table(p) for p in sorted(Path(data_dir).glob("*.csv"))}


def count_columns(stem: str, columns: list[str]) -> list[str]:
    """The columns of table `stem` that hold counts."""
    if stem in _LABEL_THEN_COUNTS:
        return list(columns[1:])
    if stem in _SWV_BRIN_THEN_COUNTS:
        return list(columns[2:])
    return [c for c in _NAMED_COUNTS.get(stem, ()) if c in columns]


def with_counts(stem: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A table read as text with its count columns as ints (an empty cell counts 0), and its text as
    the register has it: a name such as `-De Brug` is published as `'-De Brug` (against CSV
    injection), and a page shows `-De Brug`."""
    counts = count_columns(stem, list(frame.columns))
    quoted = [c for c in frame.columns if c not in counts and frame[c].str.startswith("'").any()]
    if not counts and not quoted:
        return frame
    out = frame.copy()
    for c in counts:
        out[c] = pd.to_numeric(out[c].str.strip().replace("", "0")).astype("int64")
    for c in quoted:
        out[c] = out[c].map(text_of_csv_cell)
    return out


def read_typed_tables(data_dir: Path) -> dict[str, pd.DataFrame]:
    """Every `<data_dir>/*.csv` for the pages: its text as the register has it, its counts as ints."""
    return {stem: with_counts(stem, frame) for stem, frame in read_tables(data_dir).items()}
