"""Numbers used by more than one layer, defined once."""
from __future__ import annotations

__all__ = ["DAYS_PER_YEAR", "Z95"]

DAYS_PER_YEAR = 365.25          # a calendar-average year: time units convert through it, never 360 or 365
Z95 = 1.959963984540054         # standard normal 97.5% quantile: two-sided 95% Wald intervals
