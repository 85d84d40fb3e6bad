"""Gamma-Gamma spend model (Fader, Hardie & Lee 2005b, "RFM and CLV: using iso-value curves for
customer base analysis"; Fader & Hardie note 025): lifetimes' ``GammaGammaFitter``, ``p, q, v``.

Each purchase spends ``z ~ Gamma(p, nu)``; ``nu ~ Gamma(q, v)`` varies across customers. Fitted on
repeat buyers (frequency > 0) with positive mean repeat spend. Also here: the check of its key
assumption (spend per purchase independent of frequency) and customer lifetime value, which joins
a purchase-count model and this spend model with explicit time units and discounting.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln

from superkit.core.checks import check_number
from superkit.core.errors import ModelError
from superkit.models.base import MLEModel, compress
from superkit.models.count import CountModel, as_array
from superkit.models.units import (UNITS_PER_YEAR, cashflow_times, check_horizon, discount_factors,
                                   unit_key)

__all__ = ["GammaGammaAssumptionWarning", "GammaGammaModel", "customer_lifetime_value",
           "gamma_gamma_check"]


class GammaGammaAssumptionWarning(UserWarning):
    """Spend per purchase is correlated with purchase frequency: Gamma-Gamma assumes it is not."""


class GammaGammaModel(MLEModel):
    """Gamma-Gamma spend model, lifetimes' ``GammaGammaFitter``: parameters p, q, v."""

    name = "gamma_gamma"
    param_names = ("p", "q", "v")
    obs_label = "repeat buyers"
    # money is not rescaled: only the optimiser's box counts as running off
    edge = 30.0 - 1e-6
    options = {"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-10}

    def __init__(self, penalizer_coef: float = 0.0):
        self.penalizer_coef = float(check_number("penalizer_coef", penalizer_coef, low=0))

    @staticmethod
    def _loglik(params, x, m, need_grad=True):
        p, q, v = params
        px = p * x
        lxmv = np.log(x * m + v)
        ll = gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(v) + (px - 1) * np.log(m) \
            + px * np.log(x) - (px + q) * lxmv
        if not need_grad:
            return ll, None
        dpq = digamma(px + q)
        g = np.empty((len(x), 3))
        g[:, 0] = x * (dpq - digamma(px) + np.log(m) + np.log(x) - lxmv)
        g[:, 1] = dpq - digamma(q) + np.log(v) - lxmv
        g[:, 2] = q / v - (px + q) / (x * m + v)
        return ll, g

    def _objective(self, lp, data, with_grad=True):
        ux, um, w, n = data
        prm = np.exp(lp)
        ll, g = self._loglik(prm, ux, um, need_grad=with_grad)
        f = -np.einsum('i,i->', w, ll) / n + self.penalizer_coef * np.sum(prm ** 2)
        if not with_grad:
            return f if np.isfinite(f) else np.inf
        if not np.isfinite(f):
            return np.inf, np.zeros(3)
        return f, -np.einsum('i,ij->j', w, g) * prm / n + 2 * self.penalizer_coef * prm ** 2

    def _penalty(self, x) -> float:
        return self.penalizer_coef * float(np.sum(np.exp(x) ** 2))

    def _remedy(self, data) -> str:
        return ("add a penalty (penalizer_coef=0.001 to 0.1), remove extreme spend values, or check "
                "that spend per purchase is not strongly tied to frequency (gamma_gamma_check).")

    def fit(self, frequency, monetary_value, weights=None):
        """Fit on repeat buyers with positive mean repeat spend; ``weights`` counts customers per row."""
        x = as_array(frequency, "frequency")
        m = as_array(monetary_value, "monetary_value")
        keep = (x > 0) & (m > 0)
        if weights is not None:
            weights = as_array(weights, "weights")[keep]
        self.n_excluded_ = int(np.sum((x > 0) & (m <= 0)))
        if keep.sum() < 2:
            raise ModelError(
                "gamma_gamma: fewer than two repeat buyers with positive spend, so spend per "
                "purchase can't be modelled. Remedy: use a longer observation window, or check "
                "that amounts are positive (refunds netted out).")
        (ux, um), w, _ = compress(x[keep], m[keep], weights=weights)
        n = float(w.sum())
        res = self._fit_mle((ux, um, w, n), n)
        self.params_ = pd.Series(np.exp(res.x), index=list(self.param_names))
        return self

    def conditional_expected_average_profit(self, frequency, monetary_value):
        """E[spend per purchase | x, m] (note 025 eq. 5); the population mean for x = 0."""
        self._check_fitted()
        p, q, v = (float(self.params_[k]) for k in self.param_names)
        if q <= 1:
            raise ModelError(
                f"gamma_gamma: q = {q:.3g} <= 1, so the population's mean spend is infinite. "
                "Remedy: add a penalty (penalizer_coef) or remove extreme spend values.")
        x = np.asarray(frequency, dtype=float)
        m = np.where(x > 0, np.asarray(monetary_value, dtype=float), 0.0)
        wi = p * x / (p * x + q - 1)
        return (1 - wi) * (v * p / (q - 1)) + wi * m

    def population_mean_spend(self) -> float:
        """Mean spend per purchase across customers: v p / (q - 1)."""
        self._check_fitted()
        p, q, v = (float(self.params_[k]) for k in self.param_names)
        return v * p / (q - 1)

    def simulate(self, frequency, seed=0) -> np.ndarray:
        """Mean repeat spend of customers with the given numbers of repeat purchases (0 for none),
        drawn from the fitted process: nu ~ Gamma(q, v), each spend ~ Gamma(p, nu)."""
        self._check_fitted()
        p, q, v = (float(self.params_[k]) for k in self.param_names)
        x = np.asarray(frequency, dtype=float)
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        nu = rng.gamma(q, 1.0 / v, size=len(x))
        out = np.zeros(len(x))
        pos = x > 0
        # the mean of x Gamma(p, nu) spends is Gamma(p x, nu x)
        out[pos] = rng.gamma(p * x[pos], 1.0 / (nu[pos] * x[pos]))
        return out


def gamma_gamma_check(frequency, monetary_value, threshold: float = 0.3, warn: bool = True) -> dict:
    """Check Gamma-Gamma's assumption: spend per purchase independent of purchase frequency.

    Pearson correlation between frequency and mean repeat spend among repeat buyers; when its size
    reaches ``threshold`` the assumption fails and a GammaGammaAssumptionWarning is issued.
    """
    x = np.asarray(frequency, dtype=float)
    m = np.asarray(monetary_value, dtype=float)
    keep = (x > 0) & (m > 0)
    n = int(keep.sum())
    corr = float(np.corrcoef(x[keep], m[keep])[0, 1]) if n > 2 and np.std(x[keep]) > 0 else float("nan")
    ok = bool(np.isnan(corr) or abs(corr) < threshold)
    msg = (f"frequency and spend per purchase correlate at {corr:+.2f} among {n:,} repeat buyers "
           + ("(small enough: Gamma-Gamma's independence assumption is reasonable)." if ok else
              f"(|r| >= {threshold}): Gamma-Gamma assumes spend is independent of frequency, so "
              "its expected spend is biased; treat CLV as indicative or model spend by segment."))
    if not ok and warn:
        warnings.warn(msg, GammaGammaAssumptionWarning, stacklevel=2)
    return {"correlation": corr, "n_repeat_buyers": n, "threshold": threshold, "ok": ok,
            "message": msg}


def customer_lifetime_value(model: CountModel, spend: GammaGammaModel, frequency, recency, T,
                            monetary_value, horizon, unit: str = "D",
                            discount_rate: float = 0.1, margin: float = 1.0, step=None,
                            times=None, factors=None) -> np.ndarray:
    """Discounted margin over ``horizon`` (in ``unit``): sum over steps of expected purchases in
    the step x expected spend per purchase x margin, discounted to today at the annual rate.

    ``step`` is the cash-flow period in the summary's unit; default one twelfth of a year
    (30.44 days or 4.35 weeks: calendar-average months, not 30-day months). ``times`` and
    ``factors`` override the step grid and its discount factors (e.g. to reproduce lifetimes'
    30-day periods in a benchmark).
    """
    u = unit_key(unit)
    h = check_horizon(horizon, u)
    check_number("margin", margin, low=0, low_open=True, high=1,
                 fix="margin is the share of spend kept as profit, e.g. 0.3.")
    step = UNITS_PER_YEAR[u] / 12 if step is None else float(step)
    times = cashflow_times(h, step) if times is None else np.asarray(times, float)
    factors = discount_factors(times, u, discount_rate) if factors is None else np.asarray(factors)
    cum = model.conditional_expected_number_of_purchases_up_to_time(times, frequency, recency, T)
    inc = np.diff(np.concatenate([np.zeros((cum.shape[0], 1)), cum], axis=1), axis=1)
    value = spend.conditional_expected_average_profit(frequency, monetary_value)
    return margin * value * (np.einsum('ij,j->i', inc, factors))
