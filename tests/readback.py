"""Reading published files back in tests: CSV rows as text, Excel cells as the CSV shows them."""
from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path


def read_csv_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(Path(path).read_text(encoding="utf-8"), newline="")))


def excel_text(v) -> str:
    """An Excel cell as it must appear in the CSV (dates are whole days, written ISO)."""
    if v is None:
        return ""
    if isinstance(v, datetime):
        assert v.time() == datetime.min.time()
        return v.date().isoformat()
    return str(v)
