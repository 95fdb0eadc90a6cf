"""Text from data stays text when a spreadsheet opens a CSV (OWASP, "CSV injection"): Excel reads
a cell that begins with = + - @, a tab or a carriage return as a formula, so such a text cell is
written with a single quote in front (Excel shows the rest as text). A plain number written as
text (-3, +1.5) cannot hold a formula and is left as it is; numbers and dates are never touched.
"""
from __future__ import annotations

import re

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[-+]?\d+(\.\d+)?")


def csv_safe(text: str) -> str:
    """`text` as a CSV cell no spreadsheet runs as a formula."""
    if text.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def text_of_csv_cell(text: str) -> str:
    """What `csv_safe` was given: for a reader of our own CSVs that shows the text elsewhere (a page)."""
    if text.startswith("'") and csv_safe(text[1:]) == text:
        return text[1:]
    return text


def csv_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every str cell `csv_safe` (for pandas' to_csv); the frame itself when no
    cell needs it, so ordinary files keep their bytes."""
    out = frame
    for i, dtype in enumerate(frame.dtypes):
        if dtype != object:
            continue
        column = frame.iloc[:, i]
        safe = column.map(lambda v: csv_safe(v) if isinstance(v, str) else v)
        if not safe.equals(column):
            out = out.copy() if out is frame else out
            out.isetitem(i, safe)
    return out
