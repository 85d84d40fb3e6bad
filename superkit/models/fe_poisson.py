"""Poisson pseudo-maximum likelihood with two absorbed fixed effects (PPML with customer and
calendar-month effects), with customer-clustered standard errors.

``E[y] = exposure * exp(a_customer + g_month + X beta)``. With customer effects the coefficients
are identified only by changes within a customer (the conditional fixed-effects Poisson of Hausman,
Hall & Griliches 1984); with ``exp`` link each coefficient is a log ratio. Santos Silva & Tenreyro
(2006) show the estimator is consistent for non-negative outcomes such as spend, not only counts.

**Library choice.** statsmodels' GLM Poisson with ``cov_type="cluster"`` fits this model, but it
needs one dummy column per customer (tens of thousands); it is the reference the tests compare
against on small data. Here the fixed effects are absorbed (alternating projections, as R's fixest
and Stata's ppmlhdfe do), which no maintained Python package offers for Poisson at this size without
heavy dependencies (pyfixest pulls in numba, polars and formulaic). The cluster-robust sandwich uses
the regressors residualised on the fixed effects with Poisson weights.

Used by :mod:`superkit.analyses.uplift` for the causal effect of joining a paid membership.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from superkit.core.errors import ModelError
from superkit.core.stats import wald_interval
from superkit.models.base import FittedModel

__all__ = ["FixedEffectsPoisson", "ppml_fe"]


def _demean(X: np.ndarray, w: np.ndarray, groups, tol: float = 1e-10, maxit: int = 1000) -> np.ndarray:
    """Residualise the columns of X on the fixed effects (weighted alternating projections).

    Group means of all columns at once through a sparse indicator matrix per fixed effect.
    """
    from scipy import sparse

    Xt = X.copy()
    mats = []
    for g, G in groups:
        ind = sparse.csr_matrix((w, (g, np.arange(len(g)))), shape=(G, len(g)))  # weighted indicator
        sw = np.asarray(ind.sum(axis=1)).ravel()
        mats.append((g, ind, np.where(sw > 0, sw, 1.0)))
    scale = np.maximum(np.abs(X).max(axis=0), 1.0)
    for _ in range(maxit):
        delta = 0.0
        for g, ind, sw in mats:
            means = (ind @ Xt) / sw[:, None]
            Xt -= means[g]
            delta = max(delta, float((np.abs(means).max(axis=0) / scale).max()))
        if delta < tol:
            break
    return Xt


def _demean_two_way(X: np.ndarray, w: np.ndarray, ci: np.ndarray, nC: int, mi: np.ndarray, nM: int) -> np.ndarray:
    """Residualise the columns of X on customer and month effects exactly, in one pass.

    With few months the month effects are solved directly instead of by alternating projections
    (which need hundreds of sweeps on a panel of millions of cells): partial out the customer
    effects (weighted means within customer), then regress on the months' dummies partialled out
    the same way, whose cross-product is only months x months (the Frisch-Waugh-Lovell theorem):
    ``Z'WZ = diag(w by month) - A' diag(1 / w by customer) A`` with ``A`` the customer x month sums
    of weights, and ``Z'W M_c X`` the month sums of the customer-demeaned ``X``. The system is
    singular by one (the months' dummies add up to the customer effects' constant); its
    pseudo-inverse gives the same projection.
    """
    from scipy import sparse

    k = X.shape[1]
    sw_c = np.bincount(ci, weights=w, minlength=nC)
    sw_c = np.where(sw_c > 0, sw_c, 1.0)
    ind = sparse.csr_matrix((w / sw_c[ci], (ci, np.arange(len(ci)))), shape=(nC, len(ci)))

    def by_customer(V):   # V minus its weighted mean within customer (all columns in one product)
        return V - (ind @ V)[ci]

    Xc = by_customer(X)
    A = np.bincount(ci * nM + mi, weights=w, minlength=nC * nM).reshape(nC, nM)
    ZWZ = np.diag(A.sum(axis=0)) - A.T @ (A / sw_c[:, None])
    ZWX = np.zeros((nM, k))
    for j in range(k):
        ZWX[:, j] = np.bincount(mi, weights=w * Xc[:, j], minlength=nM)
    B = np.linalg.pinv(ZWZ, hermitian=True) @ ZWX
    return Xc - by_customer(B[mi])


def _information_two_way(X: np.ndarray, w: np.ndarray, r: np.ndarray, ci: np.ndarray, nC: int,
                         mi: np.ndarray, nM: int) -> tuple[np.ndarray, np.ndarray]:
    """``(Xt'WXt, Xt'r)`` for ``Xt`` = X residualised on customer and month effects (weights w),
    without forming Xt: the same Frisch-Waugh-Lovell algebra as :func:`_demean_two_way`, on the
    customer and month sums of ``wX`` (a k x k matrix from sums, instead of two passes over a
    cells x k array per Newton step). ``Xt'r = X'W (r/w)~`` demeans one column only."""
    from scipy import sparse

    WX = w[:, None] * X
    sw_c = np.bincount(ci, weights=w, minlength=nC)
    sw_c = np.where(sw_c > 0, sw_c, 1.0)
    by_c = sparse.csr_matrix((np.ones(len(ci)), (ci, np.arange(len(ci)))), shape=(nC, len(ci)))
    S = by_c @ WX                                                     # customer sums of wX
    A = np.bincount(ci * nM + mi, weights=w, minlength=nC * nM).reshape(nC, nM)
    Sm = S / sw_c[:, None]
    G = X.T @ WX - S.T @ Sm                                           # X'W M_c X
    month_sums = np.vstack([np.bincount(mi, weights=WX[:, j], minlength=nM) for j in range(X.shape[1])]).T
    T = month_sums - A.T @ Sm                                         # Z'W M_c X
    ZWZ = np.diag(A.sum(axis=0)) - A.T @ (A / sw_c[:, None])
    H = G - T.T @ np.linalg.pinv(ZWZ, hermitian=True) @ T
    u = _demean_two_way((r / w)[:, None], w, ci, nC, mi, nM)[:, 0]
    return H, X.T @ (w * u)


def ppml_fe(y, exposure, customer, month, X, max_iter: int = 100, tol: float = 1e-9) -> dict:
    """Poisson pseudo-ML of ``E[y] = exposure * exp(a_customer + g_month + X beta)``.

    ``customer`` and ``month`` are integer codes of the two fixed effects; ``X`` has one column per
    coefficient. Returns ``beta``, ``cov`` (cluster-robust by customer), ``n_customers``,
    ``n_months``, ``n_cells``, ``iterations``, ``loglik``, the fitted means ``mu`` and the mask
    ``kept`` of the cells used. Customers or months without any ``y`` carry no information and are
    dropped (their effect would be -inf).
    """
    y = np.asarray(y, float)
    e = np.asarray(exposure, float)
    X = np.asarray(X, float).reshape(len(y), -1)
    keep = e > 0
    for _ in range(3):  # dropping customers can empty a month and vice versa
        cy = np.bincount(customer[keep], weights=y[keep], minlength=customer.max() + 1)
        my = np.bincount(month[keep], weights=y[keep], minlength=month.max() + 1)
        keep &= (cy[customer] > 0) & (my[month] > 0)
    if keep.sum() == 0:
        raise ModelError("no spend inside any customer's active span: the effect cannot be estimated. "
                         "Remedy: customers need at least three purchase days.")
    k_all = X.shape[1]
    if not keep.all():   # copies of the cells x columns array are made only when needed (memory)
        y, e, X = y[keep], e[keep], X[keep]
    _, ci = np.unique(customer[keep], return_inverse=True)
    _, mi = np.unique(month[keep], return_inverse=True)
    nC, nM = ci.max() + 1, mi.max() + 1
    # A dummy whose cells have no spend at all would push its coefficient to -inf (separation):
    # it carries no estimable effect and is reported as missing.
    cols = np.flatnonzero([(X[:, j] != 0).any() and y[X[:, j] != 0].sum() > 0 for j in range(k_all)])
    Xc = X if len(cols) == k_all else X[:, cols]
    groups = [(ci, nC), (mi, nM)]
    beta = np.zeros(len(cols))
    alpha = np.log(np.bincount(ci, weights=y, minlength=nC) / np.bincount(ci, weights=e, minlength=nC))
    gam = np.zeros(nM)

    def fe_update(beta, alpha, gam, sweeps=50):
        xb = Xc @ beta
        for _ in range(sweeps):
            old = alpha.copy()
            alpha = np.log(np.bincount(ci, weights=y, minlength=nC)
                           / np.bincount(ci, weights=e * np.exp(gam[mi] + xb), minlength=nC))
            gam = np.log(np.bincount(mi, weights=y, minlength=nM)
                         / np.bincount(mi, weights=e * np.exp(alpha[ci] + xb), minlength=nM))
            gam -= gam[0]
            if np.abs(alpha - old).max() < 1e-12:
                break
        return alpha, gam

    def loglik(beta, alpha, gam):
        eta = alpha[ci] + gam[mi] + Xc @ beta
        mu = e * np.exp(eta)
        return float(np.sum(y * (np.log(e) + eta) - mu)), mu

    alpha, gam = fe_update(beta, alpha, gam)
    ll, mu = loglik(beta, alpha, gam)
    converged = False
    def demean(V, w):
        if nM <= 400:   # months: solved exactly (see _demean_two_way)
            return _demean_two_way(V, w, ci, nC, mi, nM)
        return _demean(V, w, groups)

    for it in range(max_iter):
        if nM <= 400:
            H, g = _information_two_way(Xc, mu, y - mu, ci, nC, mi, nM)
        else:
            Xt = demean(Xc, mu)
            H = Xt.T @ (mu[:, None] * Xt)
            g = Xt.T @ (y - mu)
        try:
            step = np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            raise ModelError("the membership terms cannot be separated from the customer and month "
                             "effects (singular information matrix). Remedy: use a longer window, "
                             "or fewer event-study months.") from None
        t = 1.0
        while True:
            nb = beta + t * step
            na, ng = fe_update(nb, alpha, gam)
            nll, nmu = loglik(nb, na, ng)
            if nll >= ll - 1e-10 or t < 1e-4:
                break
            t /= 2
        gain = nll - ll
        beta, alpha, gam, ll, mu = nb, na, ng, nll, nmu
        if np.abs(t * step).max() < tol or (0 <= gain < 1e-12 * (1.0 + abs(ll)) and it > 2):
            converged = True
            break
    if not converged:
        raise ModelError(f"the Poisson fixed-effects fit did not converge in {max_iter} iterations. "
                         "Remedy: check for customers with extreme spend, or use fewer event-study months.")
    # the information and each customer's score; the residualised columns a few at a time
    # (demeaning is column by column), so a panel of millions of cells is never copied whole
    if nM <= 400:
        H = _information_two_way(Xc, mu, y - mu, ci, nC, mi, nM)[0]
    else:
        Xt = demean(Xc, mu)
        H = Xt.T @ (mu[:, None] * Xt)
    S = np.zeros((nC, len(cols)))
    for j0 in range(0, len(cols), 4):
        Xt = demean(Xc[:, j0:j0 + 4], mu)
        for k in range(Xt.shape[1]):
            S[:, j0 + k] = np.bincount(ci, weights=(y - mu) * Xt[:, k], minlength=nC)
    del Xt
    G = nC
    Hinv = np.linalg.inv(H)
    V = Hinv @ (S.T @ S) @ Hinv * (G / max(G - 1, 1))
    full_beta = np.full(k_all, np.nan)
    full_beta[cols] = beta
    full_V = np.full((k_all, k_all), np.nan)
    full_V[np.ix_(cols, cols)] = V
    return {"beta": full_beta, "cov": full_V, "n_customers": int(nC), "n_months": int(nM),
            "n_cells": int(len(y)), "iterations": it + 1, "loglik": ll, "mu": mu, "kept": keep}


class FixedEffectsPoisson(FittedModel):
    """PPML with absorbed customer and month effects on the fitted-model surface.

    ``params_`` are the coefficients of ``X`` (log ratios; NaN for a column with no estimable
    effect), ``cov_`` their customer-clustered covariance, :meth:`ratio` one coefficient as a ratio
    with its 95% interval.
    """

    name = "fe_poisson"
    log_scale = False
    obs_label = "cells"

    def __init__(self, names=None):
        self.names = None if names is None else list(names)

    def fit(self, y, exposure, customer, month, X, max_iter: int = 100, tol: float = 1e-9):
        """Fit; see :func:`ppml_fe` for the arguments."""
        X = np.asarray(X, float).reshape(len(np.asarray(y)), -1)
        names = self.names or [f"x{k}" for k in range(X.shape[1])]
        if len(names) != X.shape[1]:
            raise ModelError(f"{len(names)} names for {X.shape[1]} columns of X. Remedy: name every column.")
        res = ppml_fe(y, exposure, customer, month, X, max_iter=max_iter, tol=tol)
        self.param_names = tuple(names)
        self.params_ = pd.Series(res["beta"], index=names)
        self._cov = res["cov"]
        self.n_obs_ = res["n_cells"]
        self.n_customers_, self.n_months_ = res["n_customers"], res["n_months"]
        self.iterations_, self.log_likelihood_ = res["iterations"], res["loglik"]
        self.fitted_ = res["mu"]
        return self

    def ratio(self, name) -> tuple[float, list[float], float]:
        """``(exp(beta), [low, high] 95%, se of beta)`` for one coefficient (NaN if not estimable)."""
        self._check_fitted()
        k = list(self.param_names).index(name)
        beta, var = float(self.params_.iloc[k]), self.cov_[k, k]
        if not np.isfinite(beta):
            return float("nan"), [float("nan"), float("nan")], float("nan")
        se = float(np.sqrt(var)) if var is not None and np.isfinite(var) and var >= 0 else float("nan")
        r = float(np.exp(beta))
        return r, list(wald_interval(r, se, log=True)), se

    def simulate(self, seed=0) -> np.ndarray:
        """Outcomes drawn as Poisson counts with the fitted means (the cells the fit kept)."""
        self._check_fitted()
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        return rng.poisson(self.fitted_).astype(float)
