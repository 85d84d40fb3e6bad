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

from superkit.models.count import CountModel, last_arrival

__all__ = ["BetaGeoModel", "simulate_bgnbd_summary"]


class BetaGeoModel(CountModel):
    """BG/NBD, lifetimes' ``BetaGeoFitter``: parameters r, alpha, a, b."""

    name = "bgnbd"
    param_names = ("r", "alpha", "a", "b")
    lifetimes_class = "BetaGeoFitter"

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
