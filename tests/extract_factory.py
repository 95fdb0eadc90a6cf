"""A tiny, valid source extract for tests: every table, every soort, one example of each case.

    tables = minimal_tables()                     # dict of CSV-ready frames (all values str or None)
    tables["leerlingen"].loc[0, "leerling_id"] = "12345"   # break one rule
    folder = write_extract(tmp_path, tables)      # <tmp_path>/extract/ with extract.json + CSVs

Each call returns fresh frames, so tests may change them freely. Row i of a frame is data row
i + 1 of the written file (the row number the validation report uses).
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from schemas.extract import TABLES

STAND_PER = "2024-12-06"

# Codes used below, for tests that refer to them.
SWV_PO, SWV_VO = "PO2707", "VO2707"
BAO, SBAO, SO, VSO, VO = "01AB01", "02AB01", "03CD01", "04CD01", "05EF01"
LEERLINGEN = ["100000001", "100000002", "100000003", "100000004", "100000005"]


def _frame(name: str, rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(TABLES[name]), dtype=object)


def minimal_tables() -> dict[str, pd.DataFrame]:
    """A valid extract as {table: frame}; every value a string (dates ISO) or None."""
    l1, l2, l3, l4, l5 = LEERLINGEN
    return {
        "samenwerkingsverbanden": _frame("samenwerkingsverbanden", [
            (SWV_PO, "SWV PO Utrecht", "PO", "Straat 1", "3511 AB", "Utrecht"),
            (SWV_VO, "SWV VO Utrecht", "VO", None, "3511AB", None),
        ]),
        "regio_indeling": _frame("regio_indeling", [
            ("3511", "Utrecht", SWV_PO, SWV_VO),
            ("9999", "Elders", None, None),  # no home SWV known: valid
        ]),
        "vestigingen": _frame("vestigingen", [
            (BAO, "De Regenboog", "BAO", None, SWV_PO, "Utrecht"),
            (SBAO, "De Brug", "SBAO", None, SWV_PO, None),
            (SO, "De Sterren", "SO", "ZMLK", SWV_PO, "Utrecht"),
            (VSO, "Het Baken", "VSO", "LZ-LG", SWV_VO, "Utrecht"),
            (VO, "Het Lyceum", "VO", None, SWV_VO, "Utrecht"),
        ]),
        "leerlingen": _frame("leerlingen", [
            (l1, "1234", "2015-03-01", "3511"),
            (l2, None, "2014-06-15", "9999"),
            (l3, "0001", "2010-01-31", None),
            (l4, "9876", "2011-11-11", "3511"),
            (l5, "5555", STAND_PER, "1234"),  # born on stand_per; pc4 not in regio_indeling: valid
        ]),
        "inschrijvingen": _frame("inschrijvingen", [
            # l1 moves from BAO to SO: the first ends the day before the second begins (no overlap)
            ("I1", l1, BAO, "2019-08-01", "2023-07-31", "J", None, None, None, None),
            ("I2", l1, SO, "2023-08-01", None, "J", "N", None, None, None),
            ("I3", l2, SBAO, "2022-08-01", None, "J", None, None, None, None),
            ("I4", l3, VSO, "2021-08-01", "2021-08-01", "N", "J", None, None, None),  # one day
            ("I5", l3, VSO, "2021-08-02", None, "J", "J", None, None, None),
            ("I6", l4, VO, "2023-08-01", None, "J", None, "N", "J", "N"),
        ]),
        "tlv": _frame("tlv", [
            ("T1", l1, SWV_PO, "SO", "L", "2023-07-01", "2023-08-01", "2025-07-31"),
            ("T2", l2, SWV_PO, "SBAO", None, "2022-08-01", "2022-08-01", None),
            ("T3", l3, SWV_VO, "VSO", "H", "2021-06-01", "2021-08-01", None),
        ]),
        "cvi_indicaties": _frame("cvi_indicaties", [
            ("C1", l3, "LZ", "2012-08-01", "2014-07-31"),
            ("C2", l3, "MG", "2014-08-01", None),
        ]),
        "bekostiging": _frame("bekostiging", [
            (SWV_PO, "Zware ondersteuning", "1234567.89", "2024-10-01"),
            (SWV_VO, "Verrekening (v)so", "-12.5", "2024-10-01"),
        ]),
    }


def write_extract(tmp_path: Path, tables: dict[str, pd.DataFrame], stand_per: str = STAND_PER,
                  fmt: str = "csv", name: str = "extract") -> Path:
    """Write `tables` as an extract folder `<tmp_path>/<name>` (CSV or Parquet); return the folder.

    A table left out of `tables` is not written (e.g. the optional bekostiging). Parquet files
    get the contract's types: dates as date32, bedrag as float64, everything else as string.
    """
    folder = Path(tmp_path) / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "extract.json").write_text(json.dumps({"stand_per": stand_per, "bron": "ROD"}), encoding="utf-8")
    for table, frame in tables.items():
        if fmt == "csv":
            frame.to_csv(folder / f"{table}.csv", index=False)
        elif fmt == "parquet":
            pq.write_table(_arrow_table(table, frame), folder / f"{table}.parquet")
        else:
            raise ValueError(f"fmt must be 'csv' or 'parquet', not {fmt!r}")
    return folder


def _arrow_table(table: str, frame: pd.DataFrame) -> pa.Table:
    kinds = TABLES.get(table, {})
    arrays = {}
    for column in frame.columns:
        values = frame[column].where(frame[column].notna(), None).tolist()
        kind = kinds.get(column, "str")
        if kind == "date":
            arrays[column] = pa.array([None if v is None else pd.Timestamp(v).date() for v in values], pa.date32())
        elif kind == "decimal":
            arrays[column] = pa.array([None if v is None else float(v) for v in values], pa.float64())
        else:
            arrays[column] = pa.array(values, pa.string())
    return pa.table(arrays)
