"""The data/*.csv files of a version: UTF-8, comma, ISO dates, whole numbers as integers, empty
for null (outputs.md, "CSV"); a text cell a spreadsheet would run as a formula gets a quote in
front (core.spreadsheet_text). Their bytes are the version's content key, so they must never vary."""
from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pandas as pd

from core.spreadsheet_text import csv_safe
from documents.values import csv_text, frame_rows


def csv_bytes(frame: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow([str(c) for c in frame.columns])
    for row in frame_rows(frame):
        w.writerow([csv_safe(v) if isinstance(v, str) else csv_text(v) for v in row])
    return buf.getvalue().encode("utf-8")


def write_csv_tables(tables: dict[str, pd.DataFrame], data_dir: str | os.PathLike) -> list[Path]:
    """Write every table as `<data_dir>/<stem>.csv`; returns the paths in the tables' order."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for stem, frame in tables.items():
        p = data_dir / f"{stem}.csv"
        p.write_bytes(csv_bytes(frame))
        paths.append(p)
    return paths


