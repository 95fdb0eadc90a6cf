"""Template context helpers: tables, headers and the Algemene gegevens block as plain Python
values (picklable, so a render worker in another process can take them)."""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Sequence

import pandas as pd

from documents.values import format_euro, format_nl, frame_rows

_COUNT_COLUMN = re.compile(r"^(?:(?P<group>.+?) )?(?P<cat>L|M|H|Laag|Midden|Hoog) (?P<age><8|8\+)$")


def column_levels(name: str) -> list[str]:
    """Split a count column name `<group> <L|M|H> <<8|8+>` into header levels."""
    m = _COUNT_COLUMN.match(name)
    if not m:
        return [name]
    return [p for p in (m.group("group"), m.group("cat"), m.group("age")) if p]


def group_bounds(columns: Sequence[str]) -> list[bool]:
    """True where a column starts a new top-level group (drawn with a heavier left border)."""
    tops = [column_levels(c)[0] if len(column_levels(c)) > 1 else None for c in columns]
    return [i > 1 and (tops[i] != tops[i - 1]) for i in range(len(columns))]


def header_grid(columns: Sequence[str]) -> list[list[dict]]:
    """Multi-row table header: cells {text, colspan, rowspan, first}; equal neighbours merged.

    `Laag <8`, `Laag 8+` → `Laag` over `<8` and `8+`; a column without levels (`Regel`,
    `Totaal`) spans all header rows.
    """
    levels = [column_levels(c) for c in columns]
    depth = max((len(lv) for lv in levels), default=1)
    bounds = group_bounds(columns)
    grid: list[list[dict]] = [[] for _ in range(depth)]
    n = len(columns)
    for d in range(depth):
        i = 0
        while i < n:
            lv = levels[i]
            if len(lv) < depth:
                if d == 0:
                    grid[0].append({"text": columns[i], "colspan": 1, "rowspan": depth,
                                    "first": i == 0, "grens": bounds[i]})
                i += 1
                continue
            j = i + 1
            while j < n and len(levels[j]) == depth and levels[j][:d + 1] == lv[:d + 1]:
                j += 1
            grid[d].append({"text": lv[d], "colspan": j - i, "rowspan": 1, "first": i == 0,
                            "grens": bounds[i]})
            i = j
    return grid


def table_context(frame: pd.DataFrame, caption: str | None = None) -> dict:
    """A table for a template: caption, column names, header grid and display rows."""
    columns = [str(c) for c in frame.columns]
    rows = frame_rows(frame)
    return {
        "caption": caption,
        "columns": columns,
        "header": header_grid(columns),
        "grens": group_bounds(columns),
        "numeric": [any(isinstance(r[i], (int, float, Decimal)) for r in rows)
                    for i in range(len(columns))],
        "rows": [{"cells": [format_nl(v) for v in r], "total": bool(r) and r[0] == "Totaal"}
                 for r in rows],
        "n_rows": len(rows),
    }


def algemene_gegevens_context(rows: Sequence[Sequence[Any]]) -> list[list[str]]:
    """The Algemene gegevens rows as the PDF shows them: dates dd-mm-jjjj, euros Dutch style; text
    stays as it is."""
    return [[format_euro(v) if isinstance(v, Decimal) else format_nl(v) for v in row] for row in rows]
