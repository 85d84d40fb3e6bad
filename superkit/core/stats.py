"""The one interval helper of the kit: percentile intervals over draws, Wald intervals on the log scale."""
from __future__ import annotations

import math

import numpy as np

from superkit.core.constants import Z95
from superkit.core.errors import ParameterError

__all__ = ["percentile_interval", "tail_quantiles", "wald_interval", "z_value"]


def tail_quantiles(level: float) -> tuple[float, float]:
    """The two quantiles of a central ``level`` interval: 0.95 -> (0.025, 0.975), exactly."""
    if not 0 < level < 1:
        raise ParameterError("level", f"must be between 0 and 1, got {level}", fix="e.g. 0.95.")
    tail = round((1 - level) / 2, 12)  # 0.025, not 0.025000000000000022
    return tail, 1 - tail


def percentile_interval(draws, level: float = 0.95, axis: int = 0):
    """Central ``level`` interval of ``draws`` (bootstrap or parameter draws), ignoring NaN and inf.

    A 1-D input gives ``[low, high]`` as floats (``[nan, nan]`` without a finite draw); an n-D input
    gives two arrays, the quantiles along ``axis`` (pointwise intervals of a curve).
    """
    x = np.asarray(draws, dtype=float)
    q = tail_quantiles(level)
    if x.ndim == 1:
        x = x[np.isfinite(x)]
        if len(x) == 0:
            return [float("nan"), float("nan")]
        lo, hi = np.quantile(x, q)
        return [float(lo), float(hi)]
    x = np.where(np.isfinite(x), x, np.nan)
    lo, hi = np.nanquantile(x, q, axis=axis)
    return lo, hi


def wald_interval(estimate: float, se: float, level: float = 0.95, log: bool = False) -> tuple[float, float]:
    """Central ``level`` Wald interval ``estimate -+ z * se``; with ``log`` the standard error is of
    log(estimate) and the interval is computed on the log scale and mapped back,
    ``estimate * exp(-+ z * se)`` (for positive quantities: ratios, model parameters). NaN bounds
    when the standard error is missing.
    """
    if se is None or not np.isfinite(se) or se < 0:
        return float("nan"), float("nan")
    z = Z95 if level == 0.95 else z_value(level)
    if log:
        return float(estimate * math.exp(-z * se)), float(estimate * math.exp(z * se))
    return float(estimate - z * se), float(estimate + z * se)


def z_value(level: float) -> float:
    """The standard normal quantile of a central ``level`` interval (1.96 for 0.95)."""
    from scipy import stats

    return float(stats.norm.ppf(tail_quantiles(level)[1]))
