"""Customer lifetime value (客户终身价值) and silent churn: BG/NBD, MBG/NBD, Pareto/NBD, Gamma-Gamma.

Fast fitters that follow ``lifetimes``' parameter names and conventions, so results can be compared
one to one with the reference library:

* ``BetaGeoModel`` (BG/NBD, Fader, Hardie & Lee 2005): ``r, alpha, a, b``;
* ``ModifiedBetaGeoModel`` (MBG/NBD, Batislam et al. 2007): ``r, alpha, a, b``;
* ``ParetoNBDModel`` (Pareto/NBD, Schmittlein et al. 1987): ``r, alpha, s, beta``;
* ``GammaGammaModel`` (spend per purchase, Fader & Hardie note 025): ``p, q, v``.

What makes them fast and robust:

* exact compression: customers with identical ``(frequency, recency, T)`` rows are fitted once,
  with a weight (lifetimes' ``weights``);
* vectorised log-likelihoods with analytic gradients (Pareto/NBD: central differences), minimised
  by L-BFGS-B over log-parameters;
* log-space arithmetic and Euler-transformed hypergeometric functions, so very heavy buyers
  (thousands of purchases) neither overflow nor turn into NaN.

Conventions kept from lifetimes: the L2 ``penalizer_coef`` acts on the parameters with time scaled
so that the longest customer age is 1; BG/NBD, MBG/NBD and Gamma-Gamma minimise the mean negative
log-likelihood plus the penalty, Pareto/NBD the summed negative log-likelihood plus the penalty.
With the same data and penalty the optimum is the same as lifetimes'.

Time units are explicit: recency and T are in the summary's unit (``"D"`` days or ``"W"`` weeks),
horizons are given in that unit, and the annual discount rate is converted to it
(no hidden 30-day months).
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from superkit.errors import DataError, ModelError

__all__ = [
    "BetaGeoModel",
    "GammaGammaAssumptionWarning",
    "GammaGammaModel",
    "MODELS",
    "ModifiedBetaGeoModel",
    "ParetoNBDModel",
    "UNITS_PER_YEAR",
    "bootstrap_intervals",
    "check_horizon",
    "check_unit",
    "compare_models",
    "comparison_table",
    "compress",
    "customer_lifetime_value",
    "decile_records",
    "decile_table",
    "discount_factors",
    "fit_count_model",
    "gamma_gamma_check",
    "holdout_evaluation",
    "interval_pairs",
    "models_json",
    "score_customers",
    "select_model",
    "simulate_bgnbd_summary",
]

UNITS_PER_YEAR = {"D": 365.25, "W": 365.25 / 7.0}
UNIT_NAMES = {"D": "days", "W": "weeks"}
_LOG_BOUND = 30.0  # log-parameters live in [-30, 30]
_DEGENERATE = 10.0  # a fitted log-parameter beyond +-10 has run off to 0 or infinity


class GammaGammaAssumptionWarning(UserWarning):
    """Spend per purchase is correlated with purchase frequency: Gamma-Gamma assumes it is not."""


# --------------------------------------------------------------------------------------------
# input checks and compression
# --------------------------------------------------------------------------------------------
def _as_array(values, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float).ravel()
    bad = ~np.isfinite(arr)
    if bad.any():
        raise DataError("has missing or infinite values", source="summary", column=name,
                        rows=int(bad.sum()), fix="drop or fill those customers before fitting.")
    return arr


def _check_rft(frequency, recency, T):
    x = _as_array(frequency, "frequency")
    rec = _as_array(recency, "recency")
    t = _as_array(T, "T")
    if not (len(x) == len(rec) == len(t)):
        raise DataError("frequency, recency and T have different lengths", source="summary")
    if len(x) == 0:
        raise DataError("has no customers", source="summary", fix="check the summary file.")
    checks = [
        (x < 0, "frequency", "is negative", "frequency counts repeat purchase days (0 or more)."),
        (x != np.round(x), "frequency", "is not a whole number",
         "frequency counts repeat purchase days; use the output of `superkit summarize`."),
        (rec < 0, "recency", "is negative", "recency is the age at the last purchase (0 or more)."),
        (rec > t * (1 + 1e-9) + 1e-9, "recency", "is larger than T",
         "recency (age at last purchase) can't exceed T (age at the end of observation)."),
        ((x > 0) & (rec <= 0), "recency", "is 0 for repeat buyers",
         "customers with repeat purchases have recency > 0; check the summary."),
        (t <= 0, "T", "is not positive", "T is the customer's age at the end of observation; drop "
         "customers who first bought on the last day."),
    ]
    for bad, col, problem, fix in checks:
        if bad.any():
            raise DataError(problem, source="summary", column=col, rows=int(bad.sum()), fix=fix)
    return x, np.minimum(rec, t), t


def compress(*columns, weights=None):
    """Exact compression of identical rows.

    Returns ``(unique_columns, weights, inverse)`` with ``unique_columns[k][inverse] == columns[k]``
    and ``weights`` the summed weight (count) of each unique row. Hash-based, O(n).
    """
    cols = [np.asarray(c, dtype=float).ravel() for c in columns]
    n = len(cols[0])
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float).ravel()
    key = np.zeros(n, dtype=np.int64)
    radix = 1
    codes = []
    for c in cols:
        code, uniq = pd.factorize(c)
        codes.append((code, len(uniq)))
    overflow = False
    for code, size in codes:
        if radix * max(size, 1) >= 2 ** 62:
            overflow = True
            break
        key += code.astype(np.int64) * radix
        radix *= max(size, 1)
    if overflow:  # extremely many distinct values: fall back to a multi-column factorisation
        inverse = pd.MultiIndex.from_arrays(cols).factorize()[0]
    else:
        inverse, _ = pd.factorize(key)
    n_unique = int(inverse.max()) + 1
    # factorize numbers rows in order of first appearance: a row is new when its code exceeds
    # every code before it
    run_max = np.maximum.accumulate(inverse)
    first = np.flatnonzero(np.r_[True, inverse[1:] > run_max[:-1]])
    uniq_cols = tuple(c[first] for c in cols)
    wsum = np.bincount(inverse, weights=w, minlength=n_unique)
    return uniq_cols, wsum, inverse


# --------------------------------------------------------------------------------------------
# numerically careful special functions
# --------------------------------------------------------------------------------------------
def _log1mexp(d):
    """log(1 - exp(d)) for d <= 0, accurate near 0 and for very negative d."""
    d = np.minimum(d, 0.0)
    with np.errstate(divide="ignore"):
        return np.where(d > -0.6931, np.log(-np.expm1(d)), np.log1p(-np.exp(d)))


def _log_2f1_a_b_ap1(a, b, z):
    """log 2F1(a, b; a+1; z) for a, b > 0 and 0 <= z < 1, via Euler's transformation.

    2F1(a, b; a+1; z) = (1-z)^(1-b) 2F1(1, a+1-b; a+1; z); the second series has positive terms
    bounded by z^n, so it neither overflows nor cancels, however large ``a`` (heavy buyers) is.
    """
    h = hyp2f1(1.0, a + 1.0 - b, a + 1.0, z)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (1.0 - b) * np.log1p(-z) + np.log(h)
    bad = ~np.isfinite(out)
    if np.any(bad):  # fall back to the untransformed series where the transform failed
        direct = np.log(hyp2f1(a, b, a + 1.0, z))
        out = np.where(bad, direct, out)
    return out


# --------------------------------------------------------------------------------------------
# base class for the purchase-count models
# --------------------------------------------------------------------------------------------
class _CountModel:
    """Shared machinery: validation, compression, L-BFGS-B over log-parameters, predictions."""

    name = ""
    param_names: tuple[str, ...] = ()
    scaled_params: tuple[str, ...] = ("alpha",)  # parameters that carry the time unit
    _sum_objective = False  # Pareto/NBD in lifetimes: summed (not mean) log-likelihood

    def __init__(self, penalizer_coef: float = 0.0):
        if penalizer_coef < 0:
            raise ModelError(f"penalizer_coef must be 0 or more, got {penalizer_coef}.")
        self.penalizer_coef = float(penalizer_coef)

    def __repr__(self):
        if hasattr(self, "params_"):
            ps = ", ".join(f"{k}: {v:.4g}" for k, v in self.params_.items())
            return f"<{type(self).__name__} ({self.n_customers_:,} customers) {ps}>"
        return f"<{type(self).__name__} (not fitted)>"

    # -- fitting ------------------------------------------------------------------------------
    def _loglik(self, params, x, rec, t, need_grad):  # pragma: no cover - abstract
        raise NotImplementedError

    def _objective(self, log_params, x, rec, t, w, n_total, with_grad=True):
        params = np.exp(log_params)
        ll, grad = self._loglik(params, x, rec, t, with_grad)
        pen = self.penalizer_coef * np.sum(params ** 2)
        if self._sum_objective:
            f = (-np.einsum('i,i->', w, ll) + pen) / n_total
        else:
            f = -np.einsum('i,i->', w, ll) / n_total + pen
        if not np.isfinite(f):
            return np.inf, np.zeros_like(log_params)
        if grad is None:
            return f
        # d/dlog(theta) = theta * d/dtheta
        g = -np.einsum('i,ij->j', w, grad) * params / n_total
        pen_g = 2.0 * self.penalizer_coef * params ** 2
        g = g + (pen_g / n_total if self._sum_objective else pen_g)
        return f, g

    def _numeric_grad(self, log_params, x, rec, t, w, n_total, h=1e-6):
        g = np.zeros_like(log_params)
        for k in range(len(log_params)):
            e = np.zeros_like(log_params)
            e[k] = h
            fp = self._objective(log_params + e, x, rec, t, w, n_total, with_grad=False)
            fm = self._objective(log_params - e, x, rec, t, w, n_total, with_grad=False)
            g[k] = (fp - fm) / (2 * h)
        return g

    def fit(self, frequency, recency, T, weights=None, initial_params=None, tol: float = 1e-10,
            maxiter: int = 2000):
        """Fit by maximum likelihood. ``weights`` counts customers per row (as in lifetimes)."""
        x, rec, t = _check_rft(frequency, recency, T)
        w_in = None if weights is None else _as_array(weights, "weights")
        n_repeat = int(np.sum((x > 0) * (1 if w_in is None else w_in)))
        if n_repeat == 0:
            raise ModelError(
                f"{self.name}: no repeat buyers: every customer bought on one day only, so the data "
                "say nothing about purchase rates or dropout. Remedy: use a longer observation "
                "window (or a later calibration_end), or check that customer ids are consistent.")
        (ux, ur, ut), w, _ = compress(x, rec, t, weights=w_in)
        self._scale = 1.0 / t.max()
        ur_s, ut_s = ur * self._scale, ut * self._scale
        n_total = float(w.sum())
        x0 = (np.full(len(self.param_names), 0.1) if initial_params is None
              else np.log(self._to_scaled(np.asarray(initial_params, dtype=float))))
        f0 = self._objective(x0, ux, ur_s, ut_s, w, n_total, with_grad=False) \
            if self._numeric else self._objective(x0, ux, ur_s, ut_s, w, n_total)[0]
        if not np.isfinite(f0):
            raise ModelError(
                f"{self.name}: the log-likelihood overflows at the starting values (heaviest buyer "
                f"has {int(x.max()):,} repeat purchases). Remedy: summarise in weeks (unit='W') "
                "rather than days, or pass initial_params.")
        if self._numeric:
            fun = lambda p: self._objective(p, ux, ur_s, ut_s, w, n_total, with_grad=False)  # noqa: E731
            jac = lambda p: self._numeric_grad(p, ux, ur_s, ut_s, w, n_total)  # noqa: E731
        else:
            fun = lambda p: self._objective(p, ux, ur_s, ut_s, w, n_total)  # noqa: E731
            jac = True
        bounds = [(-_LOG_BOUND, _LOG_BOUND)] * len(x0)
        res = minimize(fun, x0, jac=jac, method="L-BFGS-B", bounds=bounds,
                       options={"maxiter": maxiter, "ftol": tol * 1e-3, "gtol": tol,
                                "maxcor": 20})
        grad = jac(res.x) if self._numeric else fun(res.x)[1]
        # a parameter beyond exp(+-10) (time scaled to the longest history) means the likelihood
        # is flat in that direction: the data can't pin it down (e.g. no sign of dropout)
        on_edge = np.abs(res.x) >= _DEGENERATE
        gnorm = float(np.max(np.abs(grad)))
        if not np.isfinite(res.fun) or on_edge.any() or gnorm > 1e-4:
            what = ", ".join(n for n, e in zip(self.param_names, on_edge) if e)
            cause = (f"parameter(s) {what} ran off to 0 or infinity" if what
                     else f"the optimiser stopped with gradient {gnorm:.2g} ({res.message})")
            raise ModelError(
                f"{self.name}: the fit did not converge: {cause}. Remedy: add a small penalty "
                f"(penalizer_coef=0.001 to 0.1), try another model (bgnbd, mbgnbd, pareto_nbd), "
                f"or use more data (more repeat buyers or a longer calibration period).")
        self.params_ = pd.Series(self._from_scaled(np.exp(res.x)), index=list(self.param_names))
        self.log_likelihood_ = float(-res.fun * n_total) if not self._sum_objective else \
            float(-(res.fun * n_total - self.penalizer_coef * np.sum(np.exp(res.x) ** 2)))
        self.n_customers_ = int(n_total)
        self.n_unique_rows_ = int(len(ux))
        self.n_iterations_ = int(res.nit)
        self.optimizer_result_ = res
        self._fit_data = (ux, ur_s, ut_s, w, n_total)
        return self

    def standard_errors(self) -> pd.Series:
        """Asymptotic standard errors from the numerical Hessian of the log-likelihood (delta
        method from log-parameters). Intervals for predictions: use bootstrap_intervals."""
        if not hasattr(self, "_fit_data"):
            raise ModelError(f"{type(self).__name__} is not fitted yet: call .fit(...) first.")
        ux, ur_s, ut_s, w, n_total = self._fit_data
        lp = np.log(self._to_scaled(self.params_.to_numpy()))
        grad = (lambda q: self._numeric_grad(q, ux, ur_s, ut_s, w, n_total)) if self._numeric \
            else (lambda q: self._objective(q, ux, ur_s, ut_s, w, n_total)[1])
        k, h = len(lp), 1e-4
        H = np.empty((k, k))
        for i in range(k):
            e = np.zeros(k)
            e[i] = h
            H[i] = (grad(lp + e) - grad(lp - e)) / (2 * h)
        H = (H + H.T) / 2
        # objective is per customer (or summed / n): total information = n * H
        cov = np.linalg.pinv(H * n_total)
        se_log = np.sqrt(np.clip(np.diag(cov), 0, None))
        return pd.Series(self.params_.to_numpy() * se_log, index=list(self.param_names))

    _numeric = False

    def _to_scaled(self, params):
        out = np.array(params, dtype=float)
        for k, n in enumerate(self.param_names):
            if n in self.scaled_params:
                out[k] *= self._scale
        return out

    def _from_scaled(self, params):
        out = np.array(params, dtype=float)
        for k, n in enumerate(self.param_names):
            if n in self.scaled_params:
                out[k] /= self._scale
        return out

    def _p(self):
        if not hasattr(self, "params_"):
            raise ModelError(f"{type(self).__name__} is not fitted yet: call .fit(...) first.")
        return [float(self.params_[n]) for n in self.param_names]

    @property
    def params(self) -> dict:
        return {k: float(v) for k, v in self.params_.items()}

    # -- predictions on compressed rows ---------------------------------------------------------
    def _rowwise(self, func, frequency, recency, T, *extra):
        x, rec, t = _check_rft(frequency, recency, T)
        if len(x) > 5000:
            (ux, ur, ut), _, inv = compress(x, rec, t)
            out = func(ux, ur, ut, *extra)
            return out[inv] if out.ndim == 1 else out[inv, :]
        return func(x, rec, t, *extra)

    def conditional_probability_alive(self, frequency, recency, T) -> np.ndarray:
        """P(alive | frequency, recency, T): the customer has not silently dropped out."""
        out = self._rowwise(self._palive, frequency, recency, T)
        return _finite_or_raise(out, self.name, "P(alive)", frequency)

    def conditional_expected_number_of_purchases_up_to_time(self, t, frequency, recency, T):
        """Expected repeat purchases in the next ``t`` time units (scalar or 1-D array of times).

        Returns one value per customer for scalar ``t``; a (customers x times) array otherwise.
        """
        times = np.atleast_1d(np.asarray(t, dtype=float))
        if np.any(times < 0):
            raise ModelError(f"the horizon must be 0 or more, got {times.min()}.")
        out = self._rowwise(lambda x, r, tt: self._cond_exp(times[None, :], x[:, None],
                                                            r[:, None], tt[:, None]),
                            frequency, recency, T)
        out = _finite_or_raise(out, self.name, "expected purchases", frequency)
        return out[:, 0] if np.ndim(t) == 0 else out

    predict = conditional_expected_number_of_purchases_up_to_time

    def to_lifetimes(self, frequency=None, recency=None, T=None):
        """A lifetimes fitter carrying these parameters (for lifetimes' plots and extra methods)."""
        import lifetimes

        cls = getattr(lifetimes, self._lifetimes_class)
        m = cls(penalizer_coef=self.penalizer_coef)
        m.params_ = self.params_.copy()
        if frequency is not None:
            m.data = pd.DataFrame({"frequency": np.asarray(frequency, float),
                                   "recency": np.asarray(recency, float),
                                   "T": np.asarray(T, float)})
            m.data["weights"] = 1
            gen = {"BetaGeoFitter": "beta_geometric_nbd_model",
                   "ModifiedBetaGeoFitter": "modified_beta_geometric_nbd_model",
                   "ParetoNBDFitter": "pareto_nbd_model"}[self._lifetimes_class]
            from lifetimes import generate_data

            g = getattr(generate_data, gen)
            tt = np.asarray(T, float)
            m.generate_new_data = lambda size=1: g(tt, *self._p(), size=size)
        m.predict = m.conditional_expected_number_of_purchases_up_to_time
        return m


def _finite_or_raise(out, name, what, frequency):
    bad = ~np.isfinite(out)
    if np.any(bad):
        rows = bad if bad.ndim == 1 else bad.any(axis=1)
        fmax = float(np.max(np.asarray(frequency, float)[rows]))
        raise ModelError(
            f"{name}: {what} overflowed for {int(rows.sum()):,} customer(s) (most repeat purchases "
            f"among them: {fmax:,.0f}). Remedy: summarise in weeks (unit='W') instead of days, cap "
            f"or inspect these very heavy buyers (they may be businesses or test accounts), or "
            f"try another model.")
    return out


# --------------------------------------------------------------------------------------------
# BG/NBD
# --------------------------------------------------------------------------------------------
class BetaGeoModel(_CountModel):
    """BG/NBD (Fader, Hardie & Lee 2005), lifetimes' ``BetaGeoFitter``: parameters r, alpha, a, b."""

    name = "bgnbd"
    param_names = ("r", "alpha", "a", "b")
    _lifetimes_class = "BetaGeoFitter"

    def _loglik(self, params, x, rec, t, need_grad):
        r, alpha, a, b = params
        pos = x > 0
        A1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
        A2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
        A3 = -(r + x) * np.log(alpha + t)
        bx1 = b + np.maximum(x, 1) - 1
        A4 = np.log(a) - np.log(bx1) - (r + x) * np.log(rec + alpha)
        A4m = np.where(pos, A4, -np.inf)
        lse = np.logaddexp(A3, A4m)
        ll = A1 + A2 + lse
        if not need_grad:
            return ll, None
        w3 = np.exp(A3 - lse)
        w4 = np.where(pos, np.exp(A4m - lse), 0.0)
        dig_ab, dig_abx = digamma(a + b), digamma(a + b + x)
        g = np.empty((len(x), 4))
        g[:, 0] = digamma(r + x) - digamma(r) + np.log(alpha) \
            - w3 * np.log(alpha + t) - w4 * np.log(rec + alpha)
        g[:, 1] = r / alpha - w3 * (r + x) / (alpha + t) - w4 * (r + x) / (rec + alpha)
        g[:, 2] = dig_ab - dig_abx + w4 / a
        g[:, 3] = dig_ab + digamma(b + x) - digamma(b) - dig_abx - w4 / bx1
        return ll, g

    def _palive(self, x, rec, t):
        r, alpha, a, b = self._p()
        log_div = (r + x) * (np.log(alpha + t) - np.log(alpha + rec)) \
            + np.log(a) - np.log(b + np.maximum(x, 1) - 1)
        return np.where(x == 0, 1.0, expit(-log_div))

    def _cond_exp(self, tt, x, rec, t):
        r, alpha, a, b = self._p()
        z = tt / (alpha + t + tt)
        c = a + b + x - 1
        # Euler: 2F1(r+x, b+x; c; z) (1-z)^(r+x) = (1-z)^(a-1) 2F1(a+b-1-r, a-1; c; z)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            h = hyp2f1(a + b - 1 - r, a - 1, c, z)
            second = 1 - h * np.exp((a - 1) * np.log1p(-z))
            first = c / (a - 1)
            log_d = np.log(a) - np.log(b + np.maximum(x, 1) - 1) \
                + (r + x) * (np.log(alpha + t) - np.log(alpha + rec))
            out = first * second * np.where(x > 0, expit(-log_d), 1.0)
        return out

    def expected_number_of_purchases_up_to_time(self, t):
        """Unconditional expected repeat purchases by time t for a new customer (FHL eq. 9)."""
        r, alpha, a, b = self._p()
        t = np.asarray(t, dtype=float)
        hyp = hyp2f1(r, b, a + b - 1, t / (alpha + t))
        return (a + b - 1) / (a - 1) * (1 - hyp * (alpha / (alpha + t)) ** r)


class ModifiedBetaGeoModel(_CountModel):
    """MBG/NBD (Batislam, Denizel & Filiztekin 2007), lifetimes' ``ModifiedBetaGeoFitter``.

    Unlike BG/NBD, a customer can drop out right after the first purchase, so one-time buyers do
    not get P(alive) = 1.
    """

    name = "mbgnbd"
    param_names = ("r", "alpha", "a", "b")
    _lifetimes_class = "ModifiedBetaGeoFitter"

    def _loglik(self, params, x, rec, t, need_grad):
        r, alpha, a, b = params
        A1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
        A2 = gammaln(a + b) + gammaln(b + x + 1) - gammaln(b) - gammaln(a + b + x + 1)
        A3 = -(r + x) * np.log(alpha + t)
        L = np.log(alpha + t) - np.log(alpha + rec)
        A4 = np.log(a) - np.log(b + x) + (r + x) * L
        ll = A1 + A2 + A3 + np.logaddexp(A4, 0.0)
        if not need_grad:
            return ll, None
        s4 = expit(A4)
        dig_ab, dig_abx = digamma(a + b), digamma(a + b + x + 1)
        g = np.empty((len(x), 4))
        g[:, 0] = digamma(r + x) - digamma(r) + np.log(alpha) - np.log(alpha + t) + s4 * L
        g[:, 1] = r / alpha - (r + x) / (alpha + t) \
            + s4 * (r + x) * (1 / (alpha + t) - 1 / (alpha + rec))
        g[:, 2] = dig_ab - dig_abx + s4 / a
        g[:, 3] = dig_ab + digamma(b + x + 1) - digamma(b) - dig_abx - s4 / (b + x)
        return ll, g

    def _palive(self, x, rec, t):
        r, alpha, a, b = self._p()
        log_div = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + t) - np.log(alpha + rec))
        return expit(-log_div)

    def _cond_exp(self, tt, x, rec, t):
        r, alpha, a, b = self._p()
        z = tt / (alpha + t + tt)
        c = a + b + x
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            h = hyp2f1(a + b - r, a - 1, c, z)
            second = 1 - h * np.exp((a - 1) * np.log1p(-z))
            first = c / (a - 1)
            log_d = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + t) - np.log(alpha + rec))
            out = first * second * expit(-log_d)
        return out

    def expected_number_of_purchases_up_to_time(self, t):
        r, alpha, a, b = self._p()
        t = np.asarray(t, dtype=float)
        hyp = hyp2f1(r, b + 1, a + b, t / (alpha + t))
        return b / (a - 1) * (1 - hyp * (alpha / (alpha + t)) ** r)


# --------------------------------------------------------------------------------------------
# Pareto/NBD
# --------------------------------------------------------------------------------------------
class ParetoNBDModel(_CountModel):
    """Pareto/NBD (Schmittlein, Morrison & Colombo 1987), lifetimes' ``ParetoNBDFitter``.

    Likelihood from Fader & Hardie's note 009, eq. (18)-(20), computed in log space with the
    hypergeometric term Euler-transformed so heavy buyers stay finite. lifetimes fits this model
    with Nelder-Mead on the raw parameters; we use L-BFGS-B on log-parameters with central
    difference gradients (same objective, same optimum).
    """

    name = "pareto_nbd"
    param_names = ("r", "alpha", "s", "beta")
    scaled_params = ("alpha", "beta")
    _sum_objective = True
    _numeric = True
    _lifetimes_class = "ParetoNBDFitter"

    @staticmethod
    def _log_A0(params, x, rec, t):
        r, alpha, s, beta = params
        if alpha < beta:
            mn, mx, tt = alpha, beta, r + x
        else:
            mn, mx, tt = beta, alpha, s + 1.0
        rsx = r + s + x
        q1, q2 = mx + rec, mx + t
        l1 = _log_2f1_a_b_ap1(rsx, tt, (mx - mn) / q1) - rsx * np.log(q1)
        l2 = _log_2f1_a_b_ap1(rsx, tt, (mx - mn) / q2) - rsx * np.log(q2)
        return l1 + _log1mexp(l2 - l1)

    @classmethod
    def _cond_loglik(cls, params, x, rec, t):
        r, alpha, s, beta = params
        rsx = r + s + x
        A1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        A2 = np.logaddexp(-(r + x) * np.log(alpha + t) - s * np.log(beta + t),
                          np.log(s) + cls._log_A0(params, x, rec, t) - np.log(rsx))
        return A1 + A2

    def _loglik(self, params, x, rec, t, need_grad):
        with np.errstate(divide="ignore", invalid="ignore"):
            return self._cond_loglik(params, x, rec, t), None

    def _palive(self, x, rec, t):
        r, alpha, s, beta = self._p()
        with np.errstate(divide="ignore", invalid="ignore"):
            A0 = self._log_A0(self._p(), x, rec, t)
            z = np.log(s) - np.log(r + s + x) + (r + x) * np.log(alpha + t) \
                + s * np.log(beta + t) + A0
        return expit(-z)

    def _cond_exp(self, tt, x, rec, t):
        p = self._p()
        r, alpha, s, beta = p
        with np.errstate(divide="ignore", invalid="ignore"):
            ll = self._cond_loglik(p, x, rec, t)
            first = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta) \
                - (r + x) * np.log(alpha + t) - s * np.log(beta + t)
            second = np.log(r + x) + np.log(beta + t) - np.log(alpha + t)
            lr = np.log(beta + t) - np.log(beta + t + tt)
            if abs(s - 1) < 1e-12:
                third = np.log(-lr)
            else:
                third = np.log(-np.expm1((s - 1) * lr) / (s - 1))
            out = np.exp(first + second + third - ll)
        return np.where(tt == 0, 0.0, out)

    def expected_number_of_purchases_up_to_time(self, t):
        r, alpha, s, beta = self._p()
        t = np.asarray(t, dtype=float)
        return r * beta / alpha / (s - 1) * (1 - (beta / (beta + t)) ** (s - 1))


MODELS = {"bgnbd": BetaGeoModel, "mbgnbd": ModifiedBetaGeoModel, "pareto_nbd": ParetoNBDModel}
MODEL_LABELS = {"bgnbd": "BG/NBD", "mbgnbd": "MBG/NBD", "pareto_nbd": "Pareto/NBD"}


def fit_count_model(name: str, frequency, recency, T, penalizer_coef: float = 0.0, **kw):
    """Fit the purchase-count model called ``name`` (bgnbd, mbgnbd, pareto_nbd)."""
    if name not in MODELS:
        raise ModelError(f"unknown model '{name}'. Choose one of: {', '.join(MODELS)}.")
    return MODELS[name](penalizer_coef=penalizer_coef).fit(frequency, recency, T, **kw)


# --------------------------------------------------------------------------------------------
# Gamma-Gamma
# --------------------------------------------------------------------------------------------
class GammaGammaModel:
    """Gamma-Gamma spend model (Fader & Hardie note 025), lifetimes' ``GammaGammaFitter``: p, q, v.

    Fitted on repeat buyers (frequency > 0) with positive mean repeat spend.
    """

    name = "gamma_gamma"
    param_names = ("p", "q", "v")

    def __init__(self, penalizer_coef: float = 0.0):
        self.penalizer_coef = float(penalizer_coef)

    def __repr__(self):
        if hasattr(self, "params_"):
            return f"<GammaGammaModel {', '.join(f'{k}: {v:.4g}' for k, v in self.params_.items())}>"
        return "<GammaGammaModel (not fitted)>"

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

    def fit(self, frequency, monetary_value, weights=None, tol: float = 1e-10, maxiter: int = 2000):
        x = _as_array(frequency, "frequency")
        m = _as_array(monetary_value, "monetary_value")
        keep = (x > 0) & (m > 0)
        if weights is not None:
            weights = _as_array(weights, "weights")[keep]
        self.n_excluded_ = int(np.sum((x > 0) & (m <= 0)))
        if keep.sum() < 2:
            raise ModelError(
                "gamma_gamma: fewer than two repeat buyers with positive spend, so spend per "
                "purchase can't be modelled. Remedy: use a longer observation window, or check "
                "that amounts are positive (refunds netted out).")
        (ux, um), w, _ = compress(x[keep], m[keep], weights=weights)
        n = float(w.sum())
        c = self.penalizer_coef

        def fun(lp):
            prm = np.exp(lp)
            ll, g = self._loglik(prm, ux, um)
            f = -np.einsum('i,i->', w, ll) / n + c * np.sum(prm ** 2)
            if not np.isfinite(f):
                return np.inf, np.zeros(3)
            return f, -np.einsum('i,ij->j', w, g) * prm / n + 2 * c * prm ** 2

        res = minimize(fun, np.full(3, 0.1), jac=True, method="L-BFGS-B",
                       bounds=[(-_LOG_BOUND, _LOG_BOUND)] * 3,
                       options={"maxiter": maxiter, "ftol": tol * 1e-3, "gtol": tol})
        gnorm = float(np.max(np.abs(fun(res.x)[1])))
        if not np.isfinite(res.fun) or np.any(np.abs(res.x) >= _LOG_BOUND - 1e-6) or gnorm > 1e-4:
            raise ModelError(
                "gamma_gamma: the spend model did not converge. Remedy: add a penalty "
                "(penalizer_coef=0.001 to 0.1), remove extreme spend values, or check that spend "
                "per purchase is not strongly tied to frequency (gamma_gamma_check).")
        self.params_ = pd.Series(np.exp(res.x), index=list(self.param_names))
        self.n_customers_ = int(n)
        return self

    @property
    def params(self) -> dict:
        return {k: float(v) for k, v in self.params_.items()}

    def conditional_expected_average_profit(self, frequency, monetary_value):
        """E[spend per purchase | x, m] (note 025 eq. 5); the population mean for x = 0."""
        if not hasattr(self, "params_"):
            raise ModelError("GammaGammaModel is not fitted yet: call .fit(...) first.")
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
        p, q, v = (float(self.params_[k]) for k in self.param_names)
        return v * p / (q - 1)


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


# --------------------------------------------------------------------------------------------
# time units, discounting, CLV
# --------------------------------------------------------------------------------------------
def _unit(unit: str) -> str:
    key = str(unit).upper()
    if key not in UNITS_PER_YEAR:
        raise ModelError(f"unknown time unit '{unit}'. Use 'D' (days) or 'W' (weeks), the unit "
                         "the summary was written in.")
    return key


def check_horizon(horizon, unit: str, max_T: float | None = None) -> float:
    """Refuse horizons that are clearly in the wrong unit; return the horizon as a float.

    A horizon longer than 10 years in the stated unit (e.g. 365 with unit 'W') is almost always a
    horizon in days given for a summary in weeks.
    """
    u = _unit(unit)
    try:
        h = float(horizon)
    except (TypeError, ValueError):
        raise ModelError(f"horizon '{horizon}' is not a number of {UNIT_NAMES[u]}.") from None
    if not np.isfinite(h) or h <= 0:
        raise ModelError(f"horizon must be a positive number of {UNIT_NAMES[u]}, got {horizon}.")
    years = h / UNITS_PER_YEAR[u]
    if years > 10:
        other = "weeks (W)" if u == "D" else "days (D)"
        raise ModelError(
            f"horizon {h:g} {UNIT_NAMES[u]} is {years:.1f} years: probably the wrong unit. The "
            f"horizon is in the summary's unit ({UNIT_NAMES[u]}); e.g. one year is "
            f"{UNITS_PER_YEAR[u]:.4g} {UNIT_NAMES[u]}. If you meant {other}, convert it.")
    if max_T is not None and max_T > 0 and h > 20 * max_T:
        raise ModelError(
            f"horizon {h:g} {UNIT_NAMES[u]} is {h / max_T:.0f} times the longest customer history "
            f"({max_T:g} {UNIT_NAMES[u]}): check that the horizon and the summary use the same "
            "unit (D or W).")
    return h


def check_unit(T, unit: str) -> str:
    """Refuse a summary whose ages T don't look like the stated unit.

    superkit summaries hold whole days (unit D) or days / 7 (unit W). Ages that are all whole
    numbers beyond five years "in weeks" are days; ages that are sevenths but not whole numbers
    are weeks.
    """
    u = _unit(unit)
    t = np.asarray(T, dtype=float)
    if len(t) < 20:
        return u
    whole = np.all(np.abs(t - np.round(t)) < 1e-6)
    sevenths = np.all(np.abs(t * 7 - np.round(t * 7)) < 1e-6)
    if u == "W" and whole and t.max() > 5 * UNITS_PER_YEAR["W"]:
        raise ModelError(
            f"the summary's ages T are whole numbers up to {t.max():g}: that is days, not weeks "
            f"({t.max() / UNITS_PER_YEAR['W']:.0f} years of history in weeks). Remedy: pass unit D "
            "(--unit D) and give the horizon in days, or summarise with --unit W.")
    if u == "D" and sevenths and not whole:
        raise ModelError(
            "the summary's ages T are multiples of 1/7: that is weeks, not days. Remedy: pass unit W "
            "(--unit W) and give the horizon in weeks.")
    return u


def discount_factors(times, unit: str, annual_discount_rate: float):
    """1 / (1 + annual rate) ** (time in years), with time in the summary's unit."""
    u = _unit(unit)
    if annual_discount_rate < 0 or annual_discount_rate > 1:
        raise ModelError(f"discount_rate is an annual rate between 0 and 1 (e.g. 0.1 for 10%), "
                         f"got {annual_discount_rate}.")
    return (1.0 + annual_discount_rate) ** (-np.asarray(times, dtype=float) / UNITS_PER_YEAR[u])


def _grid(horizon: float, step: float):
    n = int(math.ceil(horizon / step - 1e-9))
    return np.minimum(np.arange(1, n + 1) * step, horizon)


def customer_lifetime_value(model: _CountModel, spend: GammaGammaModel, frequency, recency, T,
                            monetary_value, horizon, unit: str = "D",
                            discount_rate: float = 0.1, margin: float = 1.0, step=None,
                            _times=None, _factors=None) -> np.ndarray:
    """Discounted margin over ``horizon`` (in ``unit``): sum over steps of expected purchases in
    the step x expected spend per purchase x margin, discounted to today at the annual rate.

    ``step`` is the cash-flow period in the summary's unit; default one twelfth of a year
    (30.44 days or 4.35 weeks: calendar-average months, not 30-day months).
    """
    u = _unit(unit)
    h = check_horizon(horizon, u)
    if not 0 < margin <= 1:
        raise ModelError(f"margin is the share of spend kept as profit (0 < margin <= 1), got {margin}.")
    step = UNITS_PER_YEAR[u] / 12 if step is None else float(step)
    times = _grid(h, step) if _times is None else np.asarray(_times, float)
    factors = discount_factors(times, u, discount_rate) if _factors is None else np.asarray(_factors)
    cum = model.conditional_expected_number_of_purchases_up_to_time(times, frequency, recency, T)
    inc = np.diff(np.concatenate([np.zeros((cum.shape[0], 1)), cum], axis=1), axis=1)
    value = spend.conditional_expected_average_profit(frequency, monetary_value)
    return margin * value * (np.einsum('ij,j->i', inc, factors))


def score_customers(summary: pd.DataFrame, model: str = "bgnbd", horizon: float = 365.0,
                    unit: str = "D", discount_rate: float = 0.1, margin: float = 1.0,
                    penalizer_coef: float = 0.0, fitted=None):
    """Fit ``model`` and Gamma-Gamma on a summary; score every customer.

    Returns ``(scores, fitted)``: scores has p_alive, expected_purchases (over ``horizon`` in
    ``unit``), expected_spend_per_purchase, expected_spend (undiscounted revenue over the horizon)
    and clv (discounted margin); fitted is ``{"model": count_model, "gamma_gamma": gg}``.
    """
    missing = [c for c in ("frequency", "recency", "T", "monetary_value") if c not in summary]
    if missing:
        raise DataError(f"missing column(s) {', '.join(missing)}", source="summary",
                        fix="score a summary written by `superkit summarize`.")
    f, r, t, m = (summary[c].to_numpy(float) for c in ("frequency", "recency", "T", "monetary_value"))
    check_unit(t, unit)
    h = check_horizon(horizon, unit, max_T=float(np.max(t)))
    if fitted is None:
        cm = fit_count_model(model, f, r, t, penalizer_coef=penalizer_coef)
        gg = GammaGammaModel(penalizer_coef=penalizer_coef).fit(f, m)
    else:
        cm, gg = fitted["model"], fitted["gamma_gamma"]
    out = pd.DataFrame(index=summary.index)
    out["frequency"], out["recency"], out["T"], out["monetary_value"] = f, r, t, m
    out["p_alive"] = cm.conditional_probability_alive(f, r, t)
    out["expected_purchases"] = cm.conditional_expected_number_of_purchases_up_to_time(h, f, r, t)
    out["expected_spend_per_purchase"] = gg.conditional_expected_average_profit(f, m)
    out["expected_spend"] = out["expected_purchases"] * out["expected_spend_per_purchase"]
    out["clv"] = customer_lifetime_value(cm, gg, f, r, t, m, h, unit, discount_rate, margin)
    return out, {"model": cm, "gamma_gamma": gg}


# --------------------------------------------------------------------------------------------
# holdout evaluation, model selection, bootstrap, deciles
# --------------------------------------------------------------------------------------------
def holdout_evaluation(model: _CountModel, summary: pd.DataFrame) -> dict:
    """Predicted vs actual repeat purchases in the holdout period (after calibration_end)."""
    need = ["frequency", "recency", "T", "frequency_holdout", "duration_holdout"]
    missing = [c for c in need if c not in summary]
    if missing:
        raise DataError(f"missing column(s) {', '.join(missing)}", source="summary",
                        fix="summarise with a calibration_end to get holdout columns.")
    f, r, t = (summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    dur = summary["duration_holdout"].to_numpy(float)
    pred = np.empty(len(f))
    for d in np.unique(dur):
        sel = dur == d
        pred[sel] = model.conditional_expected_number_of_purchases_up_to_time(
            float(d), f[sel], r[sel], t[sel])
    actual = summary["frequency_holdout"].to_numpy(float)
    err = pred - actual
    return {
        "predicted_total": float(pred.sum()),
        "actual_total": float(actual.sum()),
        "total_error_pct": float(100 * (pred.sum() - actual.sum()) / max(actual.sum(), 1e-12)),
        "mae_per_customer": float(np.mean(np.abs(err))),
        "rmse_per_customer": float(np.sqrt(np.mean(err ** 2))),
        "bias_per_customer": float(np.mean(err)),
        "n_customers": int(len(f)),
        "duration": float(np.max(dur)),
        "predicted": pred,
    }


def select_model(evaluations: dict, criterion: str = "mae_per_customer") -> tuple[str, str]:
    """Pick the model with the smallest holdout error per customer; return (name, reason)."""
    ok = {k: v for k, v in evaluations.items() if v is not None}
    if not ok:
        raise ModelError("no model could be fitted. Remedy: add a penalty (penalizer_coef) or "
                         "use more data.")
    best = min(ok, key=lambda k: ok[k][criterion])
    others = ", ".join(f"{MODEL_LABELS.get(k, k)} {v[criterion]:.3f}" for k, v in ok.items()
                       if k != best)
    reason = (f"{MODEL_LABELS.get(best, best)} has the smallest holdout error per customer "
              f"({criterion.replace('_', ' ')} {ok[best][criterion]:.3f}"
              + (f"; {others}" if others else "") + ").")
    return best, reason


HOLDOUT_KEYS = ("predicted_total", "actual_total", "total_error_pct", "mae_per_customer",
                "rmse_per_customer", "duration")  # holdout figures published per model


def compare_models(summary: pd.DataFrame, models=None, penalizer_coef: float = 0.0,
                   criterion: str = "mae_per_customer") -> dict:
    """Fit each count model on a calibration summary, evaluate it on the holdout, pick the best.

    ``summary``: from ``summarize(..., calibration_end=...)`` (frequency, recency, T and the holdout
    columns); ``models``: names from :data:`MODELS` (default: all, in that order). A model whose
    fit fails with a :class:`ModelError` is kept out of the choice, its message under ``errors``.
    Returns ``{"fits": {name: model}, "evaluations": {name: holdout_evaluation or None},
    "errors": {name: message}, "selected": name, "selection_reason": text}``; raises ModelError
    when no model can be fitted.
    """
    names = list(MODELS) if models is None else list(models)
    fits, evals, errors = {}, {}, {}
    for name in names:
        try:
            fits[name] = fit_count_model(name, summary["frequency"], summary["recency"], summary["T"],
                                         penalizer_coef=penalizer_coef)
            evals[name] = holdout_evaluation(fits[name], summary)
        except ModelError as exc:  # explained failure: keep the others
            errors[name], evals[name] = str(exc), None
    selected, reason = select_model(evals, criterion)
    return {"fits": fits, "evaluations": evals, "errors": errors, "selected": selected,
            "selection_reason": reason}


def comparison_table(comparison: dict) -> pd.DataFrame:
    """Parameters and holdout figures side by side, one column per fitted model (for display)."""
    fits, evals = comparison["fits"], comparison["evaluations"]
    shown = [m for m in HOLDOUT_KEYS if m != "duration"]
    return pd.DataFrame({MODEL_LABELS.get(k, k): {**fits[k].params, **{m: v[m] for m in shown}}
                         for k, v in evals.items() if v is not None})


def models_json(comparison: dict) -> dict:
    """Published ``models`` entry: per model its params, holdout figures (:data:`HOLDOUT_KEYS`)
    and error message; None where the fit failed."""
    fits, evals, errors = comparison["fits"], comparison["evaluations"], comparison["errors"]
    return {k: {"params": fits[k].params if k in fits else None,
                "holdout": {m: v[m] for m in HOLDOUT_KEYS} if v is not None else None,
                "error": errors.get(k)} for k, v in evals.items()}


def interval_pairs(intervals: dict) -> dict:
    """``{name: {"lower": lo, "upper": hi}}`` (from :func:`bootstrap_intervals`) as
    ``{name: [lo, hi]}``."""
    return {k: [v["lower"], v["upper"]] for k, v in intervals.items()}


def decile_records(deciles: pd.DataFrame) -> list[dict]:
    """Rows of :func:`decile_table` as JSON-ready records ``{"decile": 1, column: value, ...}``."""
    return [{"decile": int(d), **{k: float(v) for k, v in row.items()}} for d, row in deciles.iterrows()]


def bootstrap_intervals(summary: pd.DataFrame, model: str, horizon: float, unit: str = "D",
                        discount_rate: float = 0.1, margin: float = 1.0, n_boot: int = 100,
                        seed: int = 0, level: float = 0.9, penalizer_coef: float = 0.0) -> dict:
    """Percentile bootstrap over customers (as CLVTools does) for the headline predictions.

    Each replicate redraws customers with replacement (as multinomial weights on the compressed
    rows), refits the count model and Gamma-Gamma, and recomputes: parameters, total CLV, total
    expected purchases over the horizon and mean P(alive) for the observed customers.
    """
    f, r, t, m = (summary[c].to_numpy(float) for c in ("frequency", "recency", "T", "monetary_value"))
    n = len(f)
    (uf, ur, ut, um), w0, inv = compress(f, r, t, m)
    rng = np.random.default_rng(seed)
    # score the distinct rows once per replicate, weight by the original counts
    rows = []
    cm_cls = MODELS[model]
    for _ in range(n_boot):
        counts = rng.multinomial(n, w0 / w0.sum()).astype(float)
        try:
            cm = cm_cls(penalizer_coef=penalizer_coef).fit(uf, ur, ut, weights=counts)
            gg = GammaGammaModel(penalizer_coef=penalizer_coef).fit(uf, um, weights=counts)
            clv = customer_lifetime_value(cm, gg, uf, ur, ut, um, horizon, unit, discount_rate,
                                          margin)
            ep = cm.conditional_expected_number_of_purchases_up_to_time(horizon, uf, ur, ut)
            pa = cm.conditional_probability_alive(uf, ur, ut)
        except (ModelError, DataError):
            continue
        row = {"clv_total": float(w0 @ clv), "expected_purchases_total": float(w0 @ ep),
               "p_alive_mean": float(w0 @ pa / n)}
        row.update({f"{model}.{k}": v for k, v in cm.params.items()})
        row.update({f"gamma_gamma.{k}": v for k, v in gg.params.items()})
        rows.append(row)
    reps = pd.DataFrame(rows)
    lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
    out = {k: {"lower": float(reps[k].quantile(lo)), "upper": float(reps[k].quantile(hi))}
           for k in reps.columns} if len(reps) else {}
    return {"level": level, "n_boot": n_boot, "n_ok": int(len(reps)), "intervals": out,
            "replicates": reps}


def decile_table(scores: pd.DataFrame, by: str = "clv", actual: pd.Series | None = None,
                 predicted: pd.Series | None = None) -> pd.DataFrame:
    """Customers in ten equal groups by ``by`` (decile 1 = highest), with totals and means."""
    s = scores.copy()
    rank = s[by].rank(method="first", ascending=False)
    s["decile"] = np.ceil(rank / len(s) * 10).clip(1, 10).astype(int)
    agg = {"customers": (by, "size"), "clv_total": ("clv", "sum"), "clv_mean": ("clv", "mean"),
           "p_alive_mean": ("p_alive", "mean"),
           "expected_purchases": ("expected_purchases", "sum")}
    if actual is not None:
        s["holdout_actual"] = actual.reindex(s.index).to_numpy(float)
        agg["holdout_actual"] = ("holdout_actual", "sum")
    if predicted is not None:
        s["holdout_predicted"] = np.asarray(predicted, float)
        agg["holdout_predicted"] = ("holdout_predicted", "sum")
    tab = s.groupby("decile").agg(**agg)
    tab["clv_share"] = tab["clv_total"] / tab["clv_total"].sum()
    return tab


# --------------------------------------------------------------------------------------------
# simulation from BG/NBD (known truth for tests and benchmarks)
# --------------------------------------------------------------------------------------------
def simulate_bgnbd_summary(n: int, r: float, alpha: float, a: float, b: float, T=None,
                           seed: int = 0, holdout: float | None = None,
                           whole_days: bool = False) -> pd.DataFrame:
    """Draw (frequency, recency, T) from the BG/NBD process directly, vectorised.

    lambda ~ Gamma(r, rate alpha), p ~ Beta(a, b); purchases are Poisson(lambda) in (0, T]; after
    each repeat purchase the customer drops out with probability p. ``T`` is an array of ages or
    a (low, high) pair for uniform integer ages. With ``holdout`` (a duration) also draws
    frequency_holdout in the following period and adds duration_holdout. ``whole_days`` rounds
    recency up to whole time units, as in a summary of dated transactions.
    """
    rng = np.random.default_rng(seed)
    if T is None:
        T = (30, 365)
    if isinstance(T, tuple):
        t = rng.integers(T[0], T[1] + 1, size=n).astype(float)
    else:
        t = np.broadcast_to(np.asarray(T, float), (n,)).copy()
    lam = rng.gamma(r, 1.0 / alpha, size=n)
    p = rng.beta(a, b, size=n)
    drop_after = rng.geometric(np.clip(p, 1e-12, 1.0))  # repeat purchases until dropout (>= 1)
    n_events = rng.poisson(lam * t)
    x = np.minimum(n_events, drop_after)
    # x-th of n_events uniform arrival times on (0, T]: T * Beta(x, n_events - x + 1)
    pos = x > 0
    rec = np.zeros(n)
    rec[pos] = t[pos] * rng.beta(x[pos], n_events[pos] - x[pos] + 1)
    if whole_days:
        rec = np.minimum(np.ceil(rec), t)
    df = pd.DataFrame({"frequency": x.astype(float), "recency": rec, "T": t})
    if holdout is not None:
        alive = n_events < drop_after  # never reached the dropout purchase within (0, T]
        remaining = drop_after - x  # purchases left before dropout (if alive)
        future = rng.poisson(lam * holdout)
        df["frequency_holdout"] = np.where(alive, np.minimum(future, remaining), 0).astype(float)
        df["duration_holdout"] = float(holdout)
    df.index = pd.Index([f"c{i}" for i in range(n)], name="customer_id")
    return df


# --------------------------------------------------------------------------------------------
# diagnostics for the notebook
# --------------------------------------------------------------------------------------------
def calibration_vs_holdout(model: _CountModel, summary: pd.DataFrame, max_frequency: int = 7):
    """Mean actual vs predicted holdout purchases, by calibration frequency (7 = "7 or more")."""
    ev = holdout_evaluation(model, summary)
    grp = np.minimum(summary["frequency"].to_numpy(int), max_frequency)
    df = pd.DataFrame({"calibration_frequency": grp,
                       "actual": summary["frequency_holdout"].to_numpy(float),
                       "predicted": ev["predicted"]})
    out = df.groupby("calibration_frequency").agg(customers=("actual", "size"),
                                                  actual=("actual", "mean"),
                                                  predicted=("predicted", "mean"))
    return out


def period_transactions(model: _CountModel, summary: pd.DataFrame, max_frequency: int = 7,
                        n_sims: int = 20, seed: int = 0):
    """Customers by number of repeat purchases (0..max, last = "max or more"): actual vs model.

    The model's counts are simulated from the fitted parameters with each customer's own T
    (lifetimes' ``plot_period_transactions``), averaged over ``n_sims`` draws.
    """
    t = summary["T"].to_numpy(float)
    actual = np.bincount(np.minimum(summary["frequency"].to_numpy(int), max_frequency),
                         minlength=max_frequency + 1)
    sims = np.zeros(max_frequency + 1)
    p = model._p()
    for k in range(n_sims):
        rng = np.random.default_rng(seed + k)
        lam = rng.gamma(p[0], 1.0 / p[1], size=len(t))
        if model.name == "pareto_nbd":
            mu = rng.gamma(p[2], 1.0 / p[3], size=len(t))
            life = rng.exponential(1.0 / mu)
            x = rng.poisson(lam * np.minimum(life, t))
        else:
            q = rng.beta(p[2], p[3], size=len(t))
            n_ev = rng.poisson(lam * t)
            if model.name == "mbgnbd":  # may drop out at time 0 too: 0, 1, 2, ... purchases
                drop = rng.geometric(np.clip(q, 1e-12, 1)) - 1
            else:
                drop = rng.geometric(np.clip(q, 1e-12, 1))
            x = np.minimum(n_ev, drop)
        sims += np.bincount(np.minimum(x, max_frequency), minlength=max_frequency + 1)
    return pd.DataFrame({"actual": actual, "model": sims / n_sims},
                        index=pd.Index(range(max_frequency + 1), name="repeat_purchases"))


def probability_alive_matrix(model: _CountModel, max_frequency: int, T: float, n_recency: int = 60):
    """P(alive) on a grid of frequency (rows 0..max) x recency (columns, 0..T), for age T."""
    rec = np.linspace(0, T, n_recency)
    f = np.arange(max_frequency + 1, dtype=float)
    F, R = np.meshgrid(f, rec, indexing="ij")
    R = np.where(F == 0, 0.0, np.maximum(R, 1e-9))
    pa = model.conditional_probability_alive(F.ravel(), R.ravel(), np.full(F.size, float(T)))
    return pd.DataFrame(pa.reshape(F.shape), index=f.astype(int), columns=rec)


def expected_purchases_matrix(model: _CountModel, t: float, max_frequency: int, T: float,
                              n_recency: int = 60):
    """Expected purchases in the next ``t`` units on the frequency x recency grid (age T)."""
    rec = np.linspace(0, T, n_recency)
    f = np.arange(max_frequency + 1, dtype=float)
    F, R = np.meshgrid(f, rec, indexing="ij")
    R = np.where(F == 0, 0.0, np.maximum(R, 1e-9))
    e = model.conditional_expected_number_of_purchases_up_to_time(
        float(t), F.ravel(), R.ravel(), np.full(F.size, float(T)))
    return pd.DataFrame(e.reshape(F.shape), index=f.astype(int), columns=rec)


def cumulative_tracking(model: _CountModel, transactions: pd.DataFrame, start, end, unit: str = "D",
                        step_days: int = 7) -> pd.DataFrame:
    """Cumulative repeat purchase days: actual vs expected by the (unconditional) model.

    Each customer's expected repeat purchases ``t`` units after their first purchase day are
    summed over customers, on a calendar grid every ``step_days`` days from ``start`` to ``end``.
    """
    u = _unit(unit)
    per_unit = 1.0 if u == "D" else 7.0
    days = transactions["timestamp"].dt.normalize()
    tx = pd.DataFrame({"c": transactions["customer_id"].to_numpy(), "d": days.to_numpy()})
    tx = tx[(tx["d"] >= pd.Timestamp(start)) & (tx["d"] <= pd.Timestamp(end))].drop_duplicates()
    first = tx.groupby("c")["d"].transform("min")
    repeat_days = tx.loc[tx["d"] > first, "d"]
    grid = pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq=f"{step_days}D")
    actual = np.searchsorted(np.sort(repeat_days.to_numpy()), grid.to_numpy(), side="right")
    firsts = tx.groupby("c")["d"].min()
    f_days, counts = np.unique(firsts.to_numpy(), return_counts=True)
    age = (grid.to_numpy()[:, None] - f_days[None, :]) / np.timedelta64(1, "D") / per_unit
    exp = model.expected_number_of_purchases_up_to_time(np.maximum(age, 0.0))
    expected = np.where(age > 0, exp, 0.0) @ counts
    return pd.DataFrame({"actual": actual.astype(float), "expected": expected}, index=grid)
