"""Time units and discounting, in one place.

Recency, T and horizons are in the summary's unit: ``"D"`` (days) or ``"W"`` (weeks = days / 7).
A year is 365.25 days (:data:`superkit.core.constants.DAYS_PER_YEAR`), never 360 or 365; a month of
cash flows is a twelfth of a year (30.44 days), not 30 days. Annual discount rates are converted to
the unit or the period they are applied to.
"""
from __future__ import annotations

import math

import numpy as np

from superkit.core.checks import check_number
from superkit.core.constants import DAYS_PER_YEAR
from superkit.core.errors import ParameterError

__all__ = ["UNITS_PER_YEAR", "UNIT_NAMES", "cashflow_times", "check_horizon", "check_summary_unit",
           "discount_factors", "per_period_rate", "unit_key"]

UNITS_PER_YEAR = {"D": DAYS_PER_YEAR, "W": DAYS_PER_YEAR / 7.0}
UNIT_NAMES = {"D": "days", "W": "weeks"}


def unit_key(unit: str) -> str:
    """``"d"``, ``"D"`` -> ``"D"``; ``"w"``, ``"W"`` -> ``"W"``; anything else is a ParameterError."""
    key = str(unit).upper()
    if key not in UNITS_PER_YEAR:
        raise ParameterError("unit", f"unknown time unit '{unit}'",
                             fix="use 'D' (days) or 'W' (weeks), the unit the summary was written in.")
    return key


def check_horizon(horizon, unit: str, max_T: float | None = None) -> float:
    """Refuse horizons that are clearly in the wrong unit; return the horizon as a float.

    A horizon longer than 10 years in the stated unit (e.g. 365 with unit 'W') is almost always a
    horizon in days given for a summary in weeks.
    """
    u = unit_key(unit)
    h = check_number("horizon", horizon, low=0, low_open=True,
                     fix=f"give a positive number of {UNIT_NAMES[u]}.")
    years = h / UNITS_PER_YEAR[u]
    if years > 10:
        other = "weeks (W)" if u == "D" else "days (D)"
        raise ParameterError(
            "horizon", f"{h:g} {UNIT_NAMES[u]} is {years:.1f} years: probably the wrong unit",
            fix=f"the horizon is in the summary's unit ({UNIT_NAMES[u]}); e.g. one year is "
                f"{UNITS_PER_YEAR[u]:.4g} {UNIT_NAMES[u]}. If you meant {other}, convert it.")
    if max_T is not None and max_T > 0 and h > 20 * max_T:
        raise ParameterError(
            "horizon", f"{h:g} {UNIT_NAMES[u]} is {h / max_T:.0f} times the longest customer history "
                       f"({max_T:g} {UNIT_NAMES[u]})",
            fix="check that the horizon and the summary use the same unit (D or W).")
    return h


def check_summary_unit(T, unit: str) -> str:
    """Refuse a summary whose ages T don't look like the stated unit; return the unit key.

    superkit summaries hold whole days (unit D) or days / 7 (unit W). Ages that are all whole
    numbers beyond five years "in weeks" are days; ages that are sevenths but not whole numbers
    are weeks.
    """
    u = unit_key(unit)
    t = np.asarray(T, dtype=float)
    if len(t) < 20:
        return u
    whole = np.all(np.abs(t - np.round(t)) < 1e-6)
    sevenths = np.all(np.abs(t * 7 - np.round(t * 7)) < 1e-6)
    if u == "W" and whole and t.max() > 5 * UNITS_PER_YEAR["W"]:
        raise ParameterError(
            "unit", f"the summary's ages T are whole numbers up to {t.max():g}: that is days, not weeks "
                    f"({t.max() / UNITS_PER_YEAR['W']:.0f} years of history in weeks), so it is the wrong unit",
            fix="pass unit D (--unit D) and give the horizon in days, or summarise with --unit W.")
    if u == "D" and sevenths and not whole:
        raise ParameterError(
            "unit", "the summary's ages T are multiples of 1/7: that is weeks, not days (the wrong unit)",
            fix="pass unit W (--unit W) and give the horizon in weeks.")
    return u


def discount_factors(times, unit: str, annual_discount_rate: float):
    """1 / (1 + annual rate) ** (time in years), with time in the summary's unit."""
    u = unit_key(unit)
    _check_annual_rate(annual_discount_rate)
    return (1.0 + annual_discount_rate) ** (-np.asarray(times, dtype=float) / UNITS_PER_YEAR[u])


def per_period_rate(annual_rate: float, period_days: float) -> float:
    """Convert an annual discount rate to the rate per period of ``period_days`` days."""
    _check_annual_rate(annual_rate)
    check_number("period_days", period_days, low=0, low_open=True,
                 fix="give the renewal period in days, e.g. 365 for annual, 30.44 for monthly.")
    return (1.0 + annual_rate) ** (period_days / DAYS_PER_YEAR) - 1.0


def cashflow_times(horizon: float, step: float) -> np.ndarray:
    """Ends of the cash-flow steps up to ``horizon``: step, 2 step, ..., horizon (last one short)."""
    n = int(math.ceil(horizon / step - 1e-9))
    return np.minimum(np.arange(1, n + 1) * step, horizon)


def _check_annual_rate(rate) -> None:
    check_number("discount_rate", rate, low=0,
                 fix="give the annual discount rate as a fraction, e.g. 0.10 for 10%.")
    if rate > 1:
        raise ParameterError("discount_rate", f"{rate} looks like a percentage",
                             fix="give the annual discount rate as a fraction, e.g. 0.10 for 10%.")
