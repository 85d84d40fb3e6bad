"""BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way", Marketing Science
24(2)): lifetimes' ``BetaGeoFitter``, parameters ``r, alpha, a, b``.

Purchases follow a Poisson process with rate ``lambda ~ Gamma(r, alpha)``; after each repeat
purchase a customer drops out with probability ``p ~ Beta(a, b)``. Likelihood: FHL eq. (6) in log
space with analytic gradients; P(alive) eq. (12); conditional expectation eq. (10) with the
hypergeometric term Euler-transformed so heavy buyers stay finite.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import digamma, expit, gammaln, hyp2f1

from superkit.models.count import CountModel, last_arrival, levels_of

__all__ = ["BetaGeoModel", "simulate_bgnbd_summary"]


class BetaGeoModel(CountModel):
    """BG/NBD, lifetimes' ``BetaGeoFitter``: parameters r, alpha, a, b."""

    name = "bgnbd"
    param_names = ("r", "alpha", "a", "b")
    lifetimes_class = "BetaGeoFitter"

    def _loglik(self, params, x, rec, t, need_grad):
        r, alpha, a, b = params
        on = levels_of(self).on      # special functions once per distinct frequency, recency, T
        pos = x > 0
        A1 = on(x, lambda u: gammaln(r + u)) - gammaln(r) + r * np.log(alpha)
        A2 = gammaln(a + b) + on(x, lambda u: gammaln(b + u) - gammaln(a + b + u)) - gammaln(b)
        log_at, log_ar = on(t, lambda u: np.log(alpha + u)), on(rec, lambda u: np.log(u + alpha))
        A3 = -(r + x) * log_at
        bx1 = b + np.maximum(x, 1) - 1
        A4 = np.log(a) - on(x, lambda u: np.log(b + np.maximum(u, 1) - 1)) - (r + x) * log_ar
        A4m = np.where(pos, A4, -np.inf)
        lse = np.logaddexp(A3, A4m)
        ll = A1 + A2 + lse
        if not need_grad:
            return ll, None
        w3 = np.exp(A3 - lse)
        w4 = np.where(pos, np.exp(A4m - lse), 0.0)
        dig_ab = digamma(a + b)
        g = np.empty((len(x), 4))
        g[:, 0] = on(x, lambda u: digamma(r + u)) - digamma(r) + np.log(alpha) - w3 * log_at - w4 * log_ar
        g[:, 1] = r / alpha - (r + x) * (w3 * on(t, lambda u: 1.0 / (alpha + u))
                                         + w4 * on(rec, lambda u: 1.0 / (u + alpha)))
        dig_abx = on(x, lambda u: digamma(a + b + u))
        g[:, 2] = dig_ab - dig_abx + w4 / a
        g[:, 3] = dig_ab + on(x, lambda u: digamma(b + u)) - digamma(b) - dig_abx - w4 / bx1
        return ll, g

    def _palive(self, x, rec, t):
        r, alpha, a, b = self._p()
        log_div = (r + x) * (np.log(alpha + t) - np.log(alpha + rec)) \
            + np.log(a) - np.log(b + np.maximum(x, 1) - 1)
        return np.where(x == 0, 1.0, expit(-log_div))

    def _cond_exp(self, tt, x, rec, t):
        """``tt``: times (1 x k); ``x``, ``rec``, ``t``: customers (n x 1)."""
        r, alpha, a, b = self._p()
        # the hypergeometric term depends on frequency and T only: once per distinct pair (a
        # weekly or daily summary has far fewer of them than rows)
        ux, ix = np.unique(x[:, 0], return_inverse=True)
        ut, it = np.unique(t[:, 0], return_inverse=True)
        keys, inv = np.unique(ix.ravel() * len(ut) + it.ravel(), return_inverse=True)
        inv = inv.ravel()
        px, pt = ux[keys // len(ut)][:, None], ut[keys % len(ut)][:, None]
        z = tt / (alpha + pt + tt)
        c = a + b + px - 1
        # Euler: 2F1(r+x, b+x; c; z) (1-z)^(r+x) = (1-z)^(a-1) 2F1(a+b-1-r, a-1; c; z)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            h = hyp2f1(a + b - 1 - r, a - 1, c, z)
            second = (1 - h * np.exp((a - 1) * np.log1p(-z)))[inv]
            first = (c / (a - 1))[inv]
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

    def _draw(self, t, rng):
        r, alpha, a, b = self._p()
        lam = rng.gamma(r, 1.0 / alpha, size=len(t))
        q = rng.beta(a, b, size=len(t))
        n_ev = rng.poisson(lam * t)
        x = np.minimum(n_ev, rng.geometric(np.clip(q, 1e-12, 1)))
        return x, last_arrival(x, n_ev, t, rng)


def simulate_bgnbd_summary(n: int, r: float, alpha: float, a: float, b: float, T=None,
                           seed: int = 0, holdout: float | None = None,
                           whole_days: bool = False) -> pd.DataFrame:
    """Draw (frequency, recency, T) from the BG/NBD process with known parameters, vectorised.

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
    rec = last_arrival(x, n_events, t, rng)
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
