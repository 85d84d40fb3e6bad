"""One way for each small check: columns present, a date parameter, a number parameter.

Every layer uses these, so a missing column, an unreadable date or a bad argument reads the same
wherever it happens. pandas is not imported at module level: the command line's fast path (the
summary of a file) parses dates without it.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from typing import Callable, Iterable

from superkit.core.errors import DataError, ParameterError

__all__ = ["check_choice", "check_number", "parse_date", "require_columns"]

# the non-ISO forms a date parameter may take: the ones the data readers take
_DATE_FORMATS = ("%Y%m%d", "%Y/%m/%d", "%Y/%m/%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y.%m.%d", "%Y年%m月%d日")


def require_columns(df, columns: Iterable[str], source: str, fix: str | None = None) -> None:
    """Raise :class:`DataError` naming the first missing column of ``df`` (a DataFrame)."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(f"required column{'s' if len(missing) > 1 else ''} {missing} missing",
                        source=source, column=missing[0],
                        fix=fix or f"read the {source} with superkit.data (load_tables or read_{source}) "
                                   f"first, or rename your columns.")


def parse_date(value, name: str, default: "Callable[[], dt.datetime] | dt.datetime | None" = None,
               allow_empty: bool = True) -> dt.datetime | None:
    """A date parameter as a :class:`datetime.datetime`.

    ``None`` or ``""`` give ``default`` (called if it is a function) when ``allow_empty``; ISO dates
    and datetimes (``2025-12-31``, ``2025-12-31 14:05``) are read without pandas, and so are
    ``20251231``, ``2025/12/31`` (with a time), ``2025.12.31`` and ``2025年12月31日`` -- the forms the
    data readers take. A day-month order (``05/01/2025``) is refused, never guessed. Anything else
    raises :class:`ParameterError`.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        if allow_empty:
            return default() if callable(default) else default
        raise ParameterError(name, "is empty", fix="give an ISO date such as 2025-12-31.")
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    text = str(value).strip()
    try:   # an offset written on the date is dropped: dates are wall-clock times, as in the data
        return dt.datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}([ T].*)?", text):   # ISO with more than microseconds, ...
        try:
            import pandas as pd

            ts = pd.Timestamp(text)
            if not pd.isna(ts):
                return ts.to_pydatetime()
        except (ValueError, TypeError, OverflowError):
            pass
    raise ParameterError(name, f"'{value}' is not a date", fix="give an ISO date such as 2025-12-31 (day-month "
                                                               "orders such as 05/01/2025 are not guessed).")


def check_number(name: str, value, *, low: float | None = None, high: float | None = None,
                 low_open: bool = False, high_open: bool = False, integer: bool = False,
                 fix: str | None = None):
    """``value`` as a float (or int with ``integer``) inside the stated bounds, else ParameterError.

    ``low_open`` / ``high_open`` exclude the bound itself: ``check_number("margin", m, low=0,
    low_open=True, high=1)`` accepts 0 < m <= 1.
    """
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ParameterError(name, f"'{value}' is not a number", fix=fix) from None
    if math.isnan(x) or math.isinf(x):
        raise ParameterError(name, f"must be a finite number, got {value}", fix=fix)
    if integer and x != math.floor(x):
        raise ParameterError(name, f"must be a whole number, got {value}", fix=fix)
    too_low = low is not None and (x <= low if low_open else x < low)
    too_high = high is not None and (x >= high if high_open else x > high)
    if too_low or too_high:
        lo = "" if low is None else f"{'>' if low_open else '>='} {low:g}"
        hi = "" if high is None else f"{'<' if high_open else '<='} {high:g}"
        span = " and ".join(s for s in (lo, hi) if s)
        raise ParameterError(name, f"must be {span}, got {value}", fix=fix)
    return int(x) if integer else x


def check_choice(name: str, value, choices: Iterable[str], fix: str | None = None) -> str:
    """``value`` if it is one of ``choices`` (compared as given), else ParameterError listing them."""
    options = list(choices)
    if value not in options:
        raise ParameterError(name, f"unknown value '{value}'",
                             fix=fix or f"use one of {', '.join(repr(o) for o in options)}.")
    return value
