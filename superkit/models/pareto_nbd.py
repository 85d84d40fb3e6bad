"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987, Management Science 33(1)): lifetimes'
``ParetoNBDFitter``, parameters ``r, alpha, s, beta``.

Purchases follow a Poisson process with rate ``lambda ~ Gamma(r, alpha)``; lifetimes are
exponential with rate ``mu ~ Gamma(s, beta)``. Likelihood from Fader & Hardie's note 009, eq.
(18)-(20), computed in log space with the hypergeometric term Euler-transformed so heavy buyers
stay finite. lifetimes fits this model with Nelder-Mead on the raw parameters; we use the shared
L-BFGS-B loop on log-parameters with central-difference gradients (same objective, same optimum).
"""
from __future__ import annotations

import numpy as np
from scipy.special import expit, gammaln, hyp2f1

from superkit.models.count import CountModel, levels_of

__all__ = ["ParetoNBDModel"]


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


class ParetoNBDModel(CountModel):
    """Pareto/NBD, lifetimes' ``ParetoNBDFitter``: parameters r, alpha, s, beta."""

    name = "pareto_nbd"
    param_names = ("r", "alpha", "s", "beta")
    scaled_params = ("alpha", "beta")
    sum_objective = True
    numeric_gradient = True
    lifetimes_class = "ParetoNBDFitter"

    @staticmethod
    def _log_A0(params, x, rec, t, levels=None):
        """log A0 of note 009. In a fit, ``levels`` (:class:`Levels`) computes each hypergeometric
        term once per distinct pair: they depend on frequency with recency, and on frequency with T,
        which repeat far more than whole rows."""
        r, alpha, s, beta = params
        pairs = (levels or levels_of(None)).pairs

        def term(x, q):   # log 2F1(...; (mx - mn) / (mx + q)) - (r + s + x) log(mx + q)
            rsx, tt = r + s + x, (r + x if alpha < beta else s + 1.0)
            qq = max(alpha, beta) + q
            return _log_2f1_a_b_ap1(rsx, tt, abs(alpha - beta) / qq) - rsx * np.log(qq)

        l1 = pairs(x, rec, term)
        l2 = pairs(x, t, term)
        return l1 + _log1mexp(l2 - l1)

    @classmethod
    def _cond_loglik(cls, params, x, rec, t, levels=None):
        r, alpha, s, beta = params
        on = (levels or levels_of(None)).on
        A1 = on(x, lambda u: gammaln(r + u)) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        A2 = np.logaddexp(-(r + x) * on(t, lambda u: np.log(alpha + u)) - s * on(t, lambda u: np.log(beta + u)),
                          np.log(s) + cls._log_A0(params, x, rec, t, levels) - on(x, lambda u: np.log(r + s + u)))
        return A1 + A2

    def _loglik(self, params, x, rec, t, need_grad):
        with np.errstate(divide="ignore", invalid="ignore"):
            return self._cond_loglik(params, x, rec, t, levels_of(self)), None

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
        """Unconditional expected repeat purchases by time t for a new customer."""
        r, alpha, s, beta = self._p()
        t = np.asarray(t, dtype=float)
        return r * beta / alpha / (s - 1) * (1 - (beta / (beta + t)) ** (s - 1))

    def _draw(self, t, rng):
        r, alpha, s, beta = self._p()
        lam = rng.gamma(r, 1.0 / alpha, size=len(t))
        mu = rng.gamma(s, 1.0 / beta, size=len(t))
        alive_for = np.minimum(rng.exponential(1.0 / mu), t)
        x = rng.poisson(lam * alive_for)
        rec = np.zeros(len(t))
        pos = x > 0
        rec[pos] = alive_for[pos] * rng.beta(x[pos], 1.0)  # the last of x uniform arrivals
        return x, rec
