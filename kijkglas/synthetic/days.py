"""Dates as int64 day numbers (days since 1970-01-01), NULL for none: the synthetic generator's calendar.

Lookup tables instead of datetime64 casts: the generator does date arithmetic on millions of rows."""
from __future__ import annotations

import numpy as np

NULL = np.iinfo(np.int64).min  # null date

_Y0, _NY = 1900, 260                                   # years 1900 .. 2159
_MONTH_START = ((np.arange(_Y0, _Y0 + _NY)[:, None] - 1970) * 12 + np.arange(12)[None, :]) \
    .astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)      # [year - 1900, month - 1]
_D0 = int(_MONTH_START[0, 0])
_ALL_DAYS = np.arange(_D0, int(_MONTH_START[-1, -1]) + 31).astype("datetime64[D]")
_YEAR = (_ALL_DAYS.astype("datetime64[Y]").astype(np.int64) + 1970).astype(np.int16)
_MONTH = (_ALL_DAYS.astype("datetime64[M]").astype(np.int64) % 12 + 1).astype(np.int16)
_MD = (_MONTH * 100 + (_ALL_DAYS - _ALL_DAYS.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int16) + 1
       ).astype(np.int16)
del _ALL_DAYS


def ymd(y, m=1, d=1):
    """Day number(s) of y-m-d; y, m, d may be arrays (d may exceed the month: it just rolls on)."""
    y = np.asarray(y, dtype=np.int64)
    out = _MONTH_START[y - _Y0, np.asarray(m, dtype=np.int64) - 1] + (np.asarray(d, dtype=np.int64) - 1)
    return out if np.ndim(out) else int(out)


def year_of(days) -> np.ndarray:
    return _YEAR[np.asarray(days, dtype=np.int64) - _D0].astype(np.int64)


def month_day(days) -> np.ndarray:
    """month*100 + day."""
    return _MD[np.asarray(days, dtype=np.int64) - _D0].astype(np.int64)


def add_years(days, k) -> np.ndarray:
    """Same day-of-month k years later (29 Feb -> 1 Mar in a non-leap year)."""
    md = month_day(days)
    return ymd(year_of(days) + k, md // 100, md % 100)


def schooljaar_of(days) -> np.ndarray:
    """The T of the schooljaar T-(T+1) (1 Aug T .. 31 Jul T+1) containing the day."""
    return year_of(days) - (month_day(days) < 801)
