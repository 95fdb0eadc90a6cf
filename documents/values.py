"""One normalisation of cell values shared by CSV, Excel and PDF, and how values read in a PDF
(dates dd-mm-jjjj, euros Dutch style, counts with their noun)."""
from __future__ import annotations

import math
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from core.dates import format_datum, format_tijdstip

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NL_DATE = re.compile(r"^\d{2}-\d{2}-\d{4}$")


def is_null(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, (float, np.floating)):
        return math.isnan(v)
    if isinstance(v, np.datetime64):
        return bool(np.isnat(v))
    return False


def _integral_float_column(s: pd.Series) -> bool:
    """A float column whose values are all whole numbers (a count that passed through NaN)."""
    if not pd.api.types.is_float_dtype(s.dtype):
        return False
    vals = s.dropna()
    return bool(len(vals) == 0 or np.all(np.mod(vals.to_numpy(dtype=float), 1) == 0))


def cell_value(v: Any, column: str = "", as_int: bool = False) -> Any:
    """A plain Python value: None, str, int, float, Decimal, date or datetime."""
    if is_null(v):
        return None
    if isinstance(v, (bool, np.bool_)):
        return "J" if v else "N"
    if isinstance(v, pd.Timestamp):
        v = v.to_pydatetime()
    if isinstance(v, np.datetime64):
        v = pd.Timestamp(v).to_pydatetime()
    if isinstance(v, datetime):
        if v.tzinfo is not None:
            v = v.replace(tzinfo=None)
        return v.date() if v.time() == datetime.min.time() else v
    if isinstance(v, date):
        return v
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, (float, np.floating)):
        v = float(v)
        return int(v) if as_int and v.is_integer() else v
    if isinstance(v, str):
        # a date handed over as text (ISO or dd-mm-jjjj) is still a date (Excel needs a real one)
        if "datum" in column.lower():
            try:
                if _ISO_DATE.match(v):
                    return date.fromisoformat(v)
                if _NL_DATE.match(v):
                    return datetime.strptime(v, "%d-%m-%Y").date()
            except ValueError:
                return v
        return v
    return v


def frame_rows(frame: pd.DataFrame) -> list[list[Any]]:
    """The frame's rows as lists of plain Python values (see `cell_value`), worked out column by
    column, each distinct value of a column once (a Kijkglas 2 of a large SWV has tens of thousands
    of cells, most of them dates and codes that repeat)."""
    columns = [column_values(frame.iloc[:, i], str(c)) for i, c in enumerate(frame.columns)]
    if not columns:  # as itertuples: a frame without columns has no rows to show
        return []
    return [list(row) for row in zip(*columns)]


def column_values(s: pd.Series, column: str) -> list[Any]:
    """`cell_value` of every value of one column, in order."""
    as_int = _integral_float_column(s)
    memo: dict = {}
    out = []
    for v in s.tolist():
        key = (type(v), v)  # the type too: True, 1 and 1.0 are equal keys but different cells
        try:
            out.append(memo[key])
        except KeyError:
            memo[key] = value = cell_value(v, column, as_int)
            out.append(value)
        except TypeError:  # unhashable
            out.append(cell_value(v, column, as_int))
    return out


def csv_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float):
        return repr(v)
    return str(v)


def format_nl(v: Any) -> str:
    """Display text for a PDF: dates dd-mm-jjjj, counts as plain integers, euros Dutch style."""
    v = cell_value(v)
    if v is None:
        return ""
    if isinstance(v, datetime):
        return format_tijdstip(v)
    if isinstance(v, date):
        return format_datum(v)
    if isinstance(v, float):
        return f"{v:.2f}".replace(".", ",")
    return str(v)


def format_euro(v: Any) -> str:
    """`€ 1.234.567,89`."""
    v = cell_value(v)
    if v is None:
        return ""
    amount = Decimal(str(v)).quantize(Decimal("0.01"))
    sign = "-" if amount < 0 else ""
    whole, frac = f"{abs(amount):.2f}".split(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"€ {sign}{'.'.join(groups)},{frac}"


def format_aantal(n: Any, enkelvoud: str, meervoud: str) -> str:
    """`1 leerling`, `34 leerlingen`."""
    return f"{n} {enkelvoud if n == 1 else meervoud}"


def as_date(v: Any) -> date | None:
    v = cell_value(v, "datum")
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    return None


# --------------------------------------------------------------------------------------------
