"""What a table file of an extract may be before it is parsed (issue 25): not a link to a file
elsewhere, and not far beyond the size the contract's tables have nationally. Checked on the file's
metadata, its header and its line count, so a hostile file (millions of junk rows, a hundred thousand
columns) is refused in a second instead of being parsed and validated for minutes.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pyarrow.parquet as pq

# Rows of each table nationally (the national synthetic extract of 2024-12-06 has 150, 4000,
# 8930, 2.72 M, 3.04 M, 167 k, 1.6 k and 322), rounded up; a file may hold SIZE_FACTOR times as many.
NATIONAL_ROWS = {
    "samenwerkingsverbanden": 200, "regio_indeling": 10_000, "vestigingen": 12_000,
    "leerlingen": 3_000_000, "inschrijvingen": 5_000_000, "tlv": 500_000, "cvi_indicaties": 200_000,
    "bekostiging": 10_000,
}
SIZE_FACTOR = 2  # the one setting: how far beyond the national size a table may go
MAX_COLUMNS = 64  # the contract's widest table has 10
MAX_ROW_BYTES = 2048  # a CSV row of ten columns, two of them 200-character names, is far below this
MAX_HEADER_BYTES = 64 * 1024


def max_rows(name: str) -> int:
    return NATIONAL_ROWS[name] * SIZE_FACTOR


def table_file_problem(path: Path, name: str) -> str | None:
    """Why the file cannot be the contract's table `name` (one Dutch line), or None."""
    if path.is_symlink():
        return "is een symbolische koppeling; een extract bevat zijn tabellen zelf"
    limit = max_rows(name)
    size = path.stat().st_size
    if size > MAX_HEADER_BYTES + limit * MAX_ROW_BYTES:
        return f"te groot ({size:,} bytes) voor tabel {name} (hoogstens {limit:,} rijen)".replace(",", ".")
    if path.suffix == ".parquet":
        try:
            meta = pq.read_metadata(path)
        except Exception:
            return None  # the reader names what is wrong with the file
        return _shape_problem(name, meta.num_rows, meta.num_columns)
    with path.open("rb") as f:
        head = f.read(MAX_HEADER_BYTES)
        if b"\n" not in head and len(head) == MAX_HEADER_BYTES:
            return f"kopregel langer dan {MAX_HEADER_BYTES // 1024} KiB; geen tabel van het extract"
        columns = len(next(csv.reader(io.StringIO(head.split(b"\n", 1)[0].decode("utf-8", "replace"))), []))
        if columns > MAX_COLUMNS:
            return _shape_problem(name, 0, columns)
        lines, chunk = 0, head
        while chunk:
            lines += chunk.count(b"\n")
            if lines > limit + 1:  # text may not hold a line break (schemas.models), so a line is a row
                return _shape_problem(name, lines - 1, columns)
            chunk = f.read(1 << 20)
    return None


def _shape_problem(name: str, rows: int, columns: int) -> str | None:
    if columns > MAX_COLUMNS:
        return f"{columns} kolommen; tabel {name} heeft er hoogstens {MAX_COLUMNS} (zie het invoercontract)"
    if rows > max_rows(name):
        return (f"meer dan {max_rows(name):,} rijen voor tabel {name} ({SIZE_FACTOR} × de landelijke omvang); "
                "geen tabel van het extract").replace(",", ".")
    return None
