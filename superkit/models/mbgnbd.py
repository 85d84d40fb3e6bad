"""MBG/NBD (Batislam, Denizel & Filiztekin 2007, International Journal of Research in Marketing
24(3)): lifetimes' ``ModifiedBetaGeoFitter``, parameters ``r, alpha, a, b``.

Unlike BG/NBD, a customer can drop out right after the first purchase, so one-time buyers do not
get P(alive) = 1.
"""
from __future__ import annotations

import numpy as np
from scipy.special import digamma, expit, gammaln, hyp2f1

from superkit.models.count import CountModel, last_arrival

__all__ = ["ModifiedBetaGeoModel"]


class ModifiedBetaGeoModel(CountModel):
    """MBG/NBD, lifetimes' ``ModifiedBetaGeoFitter``: parameters r, alpha, a, b."""

    name = "mbgnbd"
    param_names = ("r", "alpha", "a", "b")
    lifetimes_class = "ModifiedBetaGeoFitter"

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
        """Unconditional expected repeat purchases by time t for a new customer."""
        r, alpha, a, b = self._p()
        t = np.asarray(t, dtype=float)
        hyp = hyp2f1(r, b + 1, a + b, t / (alpha + t))
        return b / (a - 1) * (1 - hyp * (alpha / (alpha + t)) ** r)

    def _draw(self, t, rng):
        r, alpha, a, b = self._p()
        lam = rng.gamma(r, 1.0 / alpha, size=len(t))
        q = rng.beta(a, b, size=len(t))
        n_ev = rng.poisson(lam * t)
        # may drop out at time 0 too: 0, 1, 2, ... purchases before dropout
        x = np.minimum(n_ev, rng.geometric(np.clip(q, 1e-12, 1)) - 1)
        return x, last_arrival(x, n_ev, t, rng)
