"""What a table file of an extract may be before it is parsed (issue 25): not a link to a file
elsewhere, and not far beyond the size the contract's tables have nationally. Checked on the file's
metadata, its header and its line count, so a hostile file (millions of junk rows, a hundred thousand
columns) is refused in a second instead of being parsed and validated for minutes.

And before a large table is converted and validated: whether its rows look like the contract's at all
(`junk_problem`, on a sample), so that millions of junk rows within the row limit are refused in a
few seconds with one line, instead of millions of failures being collected and reported.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from schemas.models import value_rules

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


JUNK_FROM_ROWS = 100_000  # a smaller table is validated in full: that is quick, and its report says more
JUNK_SAMPLE = 10_000  # rows looked at, evenly spread over the table
JUNK_SHARE = 0.9  # the table is junk when this share of the sample is
LINK = "is een symbolische koppeling; een extract bevat zijn bestanden zelf"


def max_rows(name: str) -> int:
    return NATIONAL_ROWS[name] * SIZE_FACTOR


def table_file_problem(path: Path, name: str) -> str | None:
    """Why the file cannot be the contract's table `name` (one Dutch line), or None."""
    if path.is_symlink():
        return LINK
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


def junk_problem(name: str, table: pa.Table) -> str | None:
    """Why the read table `name` cannot be an extract's table (one Dutch line), or None: in an evenly
    spread sample, at least JUNK_SHARE of the rows break more than half of the table's pattern and
    value rules (schemas.models). Real data with one systematically wrong column still gets the full
    report; only a table of junk is refused here."""
    if table.num_rows < JUNK_FROM_ROWS:
        return None
    text = {f.name for f in table.schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)}
    rules = {c: rule for c, rule in value_rules(name).items() if c in text}  # another type: the reader says so
    if not rules:
        return None
    rows = np.unique(np.linspace(0, table.num_rows - 1, JUNK_SAMPLE).astype(np.int64))
    sample = table.take(pa.array(rows))
    broken = {c: ~rule(sample.column(c).combine_chunks()).to_numpy(zero_copy_only=False) for c, rule in rules.items()}
    junk = np.sum(list(broken.values()), axis=0) * 2 > len(rules)
    if junk.mean() < JUNK_SHARE:
        return None
    column = max(broken, key=lambda c: broken[c].sum())
    first = int(np.flatnonzero(broken[column])[0])
    example = str(sample.column(column)[first].as_py())[:20]
    return (f"{_count(junk.sum())} van {_count(len(rows))} steekproefrijen (verspreid over {_count(table.num_rows)}) "
            f"breken de meeste waarderegels van tabel {name}, bv. {column} rij {rows[first] + 1}: {example!r}; "
            "geen tabel van het extract, niet verder gecontroleerd")


def _count(n: int) -> str:
    return f"{n:,}".replace(",", ".")
