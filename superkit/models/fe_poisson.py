"""Poisson pseudo-maximum likelihood with two absorbed fixed effects (PPML with customer and
calendar-month effects), with customer-clustered standard errors.

``E[y] = exposure * exp(a_customer + g_month + X beta)``. With customer effects the coefficients
are identified only by changes within a customer (the conditional fixed-effects Poisson of Hausman,
Hall & Griliches 1984); with ``exp`` link each coefficient is a log ratio. Santos Silva & Tenreyro
(2006) show the estimator is consistent for non-negative outcomes such as spend, not only counts.

**Library choice.** statsmodels' GLM Poisson with ``cov_type="cluster"`` fits this model, but it
needs one dummy column per customer (tens of thousands); it is the reference the tests compare
against on small data. No maintained Python package fits Poisson with an absorbed effect of
hundreds of thousands of levels without heavy dependencies (pyfixest pulls in numba, polars and
formulaic), so the fit is written here.

**How.** The customer effects are concentrated out exactly: for given month effects and
coefficients, each customer's effect is ``log(sum y / sum exposure * exp(eta))`` over their cells,
which makes each customer's fitted total equal their actual total. What is left is a concave
likelihood in the month effects and the coefficients (a multinomial over each customer's cells),
maximised by Newton's method with step halving. Its information matrix is the Poisson information
with the customer effects partialled out (the Frisch-Waugh-Lovell theorem), built from customer and
month sums, so a Newton step costs a few passes over the cells whatever the number of customers.
One month effect is fixed at 0 in each connected group of customers and months. When the
regressors are mutually exclusive 0/1 dummies (the membership states and the event-study
bins of :mod:`superkit.analyses.uplift`), they are kept as one integer code per cell
(:class:`OneHot`) and every sum is a ``bincount``.

Standard errors are clustered by customer: the sandwich of the inverse information and the sum of
outer products of each customer's score (month and coefficient parts), with the small-sample factor
``G / (G - 1)``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from superkit.core.errors import ModelError
from superkit.core.stats import wald_interval
from superkit.models.base import FittedModel

__all__ = ["DENSE_CUSTOMER_MONTHS", "FixedEffectsPoisson", "MAX_SECOND_LEVELS", "OneHot", "ppml_fe"]

MAX_SECOND_LEVELS = 5000   # levels of the second effect (months): its information matrix is dense
DENSE_CUSTOMER_MONTHS = 10_000_000   # customer x month sums dense up to 10M entries (80 MB; a fit holds up
                                     # to three such arrays at once), else sparse


@dataclass(frozen=True)
class OneHot:
    """Mutually exclusive 0/1 regressors as one code per cell: column ``code`` is 1, ``-1`` none."""

    code: np.ndarray
    k: int

    @classmethod
    def from_dense(cls, X) -> "OneHot | None":
        """The codes of a dense 0/1 matrix whose rows have at most one 1, else None."""
        X = np.asarray(X)
        if X.ndim != 2 or not np.isin(X, (0, 1)).all() or (X.sum(axis=1) > 1).any():
            return None
        if X.shape[1] == 0:
            return cls(np.full(len(X), -1, dtype=np.int64), 0)
        code = np.where(X.any(axis=1), X.argmax(axis=1), -1)
        return cls(code.astype(np.int64), X.shape[1])


class _Regressors:
    """The sums the Newton steps need of the regressor matrix, for a dense matrix or one-hot codes."""

    def __init__(self, X):
        self.onehot = isinstance(X, OneHot)
        if self.onehot:
            self.code, self.k = np.asarray(X.code, np.int64), int(X.k)
            if len(self.code) and not (-1 <= self.code.min() and self.code.max() < self.k):
                raise ModelError(f"one-hot codes must lie in -1..{self.k - 1}. Remedy: number the columns from 0.")
            self.on = self.code >= 0
        else:
            self.X = X
            self.k = X.shape[1]

    def take(self, mask, cols=None) -> "_Regressors":
        """The rows in ``mask`` and the columns ``cols`` (all when None)."""
        if self.onehot:
            code = self.code[mask]
            k = self.k
            if cols is not None:
                new = np.full(self.k, -1)
                new[cols] = np.arange(len(cols))
                code = np.where(code >= 0, new[np.maximum(code, 0)], -1)
                k = len(cols)
            return _Regressors(OneHot(code, k))
        X = self.X[mask] if mask is not None else self.X
        return _Regressors(X if cols is None else X[:, cols])

    def column_sums(self, v) -> np.ndarray:
        """``X'v``."""
        if self.onehot:
            return np.bincount(self.code[self.on], weights=v[self.on], minlength=self.k)
        return self.X.T @ v

    def dot(self, beta) -> np.ndarray:
        """``X beta``."""
        if self.onehot:
            return np.r_[beta, 0.0][self.code]          # code -1 picks the appended 0
        return self.X @ beta

    def group_sums(self, v, g, G) -> np.ndarray:
        """``G x k`` sums of ``v * X`` within the groups ``g``."""
        if self.onehot:
            return np.bincount(g[self.on] * self.k + self.code[self.on], weights=v[self.on],
                               minlength=G * self.k).reshape(G, self.k)
        from scipy import sparse
        by = sparse.csr_matrix((v, (g, np.arange(len(g)))), shape=(G, len(g)))
        return np.asarray(by @ self.X)

    def separated(self, y) -> np.ndarray:
        """Per column: it has cells but none of them has any ``y`` (its coefficient would be -inf)."""
        if self.onehot:
            return self.present() & (self.column_sums(y) <= 0)
        nz = self.X != 0
        return nz.any(axis=0) & np.array([y[nz[:, j]].sum() <= 0 for j in range(self.k)], dtype=bool)

    def cells_of(self, cols) -> np.ndarray:
        """Per cell: non-zero in any of the columns ``cols``."""
        if self.onehot:
            return np.isin(self.code, cols)
        return (self.X[:, cols] != 0).any(axis=1)

    def present(self) -> np.ndarray:
        """Per column: some cell is non-zero."""
        if self.onehot:
            return np.bincount(self.code[self.on], minlength=self.k) > 0
        return (self.X != 0).any(axis=0)

    def gram(self, v) -> np.ndarray:
        """``X' diag(v) X``."""
        if self.onehot:
            return np.diag(self.column_sums(v))
        return self.X.T @ (v[:, None] * self.X)


def ppml_fe(y, exposure, customer, month, X, max_iter: int = 100, tol: float = 1e-9) -> dict:
    """Poisson pseudo-ML of ``E[y] = exposure * exp(a_customer + g_month + X beta)``.

    ``customer`` and ``month`` are integer codes of the two fixed effects; ``X`` has one column per
    coefficient (a dense array, or :class:`OneHot` codes for exclusive dummies). Returns ``beta``,
    ``cov`` (cluster-robust by customer), ``n_customers``, ``n_months``, ``n_cells``,
    ``iterations``, ``loglik``, the fitted means ``mu`` and the mask ``kept`` of the cells used.
    Customers or months without any ``y`` carry no information and are dropped (their effect would
    be -inf); so are the cells of a column none of whose cells has any ``y`` (separation: its
    coefficient would be -inf; it is reported as NaN, as is a column without cells).
    """
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components

    y = np.asarray(y, float)
    e = np.asarray(exposure, float)
    if not isinstance(X, OneHot):
        X = np.asarray(X, float).reshape(len(y), -1)
        X = OneHot.from_dense(X) or X     # exclusive dummies: every sum a bincount
    R = _Regressors(X)
    n_rows = len(R.code) if R.onehot else len(R.X)
    if not (len(e) == len(customer) == len(month) == n_rows == len(y)):
        raise ModelError("y, exposure, customer, month and X have different numbers of cells. Remedy: "
                         "give one value (one row of X) per cell.")
    k_all = R.k
    customer, month = (pd.factorize(np.asarray(c), sort=True)[0] for c in (customer, month))   # 0.. in order
    keep = e > 0
    for _ in range(10):  # dropping cells can empty a customer, a month or a column, and vice versa
        before = int(keep.sum())
        cy = np.bincount(customer[keep], weights=y[keep], minlength=customer.max() + 1)
        my = np.bincount(month[keep], weights=y[keep], minlength=month.max() + 1)
        keep &= (cy[customer] > 0) & (my[month] > 0)
        sep = np.flatnonzero(R.take(keep).separated(y[keep]))
        if len(sep):
            keep[keep] = ~R.take(keep).cells_of(sep)
        if int(keep.sum()) == before:
            break
    if keep.sum() == 0:
        raise ModelError("no spend inside any customer's active span: the effect cannot be estimated. "
                         "Remedy: customers need at least three purchase days.")
    cols = np.flatnonzero(R.take(keep).present())
    y, e = y[keep], e[keep]
    R = R.take(keep, cols)
    k = R.k
    ci, mi = (pd.factorize(c[keep], sort=True)[0] for c in (customer, month))
    nC, nM = int(ci.max()) + 1, int(mi.max()) + 1
    if nM > MAX_SECOND_LEVELS:
        raise ModelError(f"the second fixed effect has {nM:,} levels; at most {MAX_SECOND_LEVELS:,} are "
                         "supported (its information matrix is dense). Remedy: use coarser periods.")
    # One month effect is fixed at 0 in each connected group of customers and months (customers
    # who share no month with the others are compared only among themselves): the other month
    # effects are free parameters.
    graph = sparse.csr_matrix((np.ones(len(ci)), (ci, nC + mi)), shape=(nC + nM, nC + nM))
    month_group = connected_components(graph, directed=False)[1][nC:]
    pinned = np.zeros(nM, dtype=bool)
    pinned[np.unique(month_group, return_index=True)[1]] = True
    free = np.flatnonzero(~pinned)
    nF = len(free)
    idx = np.r_[free, nM + np.arange(k)]
    Y_c = np.bincount(ci, weights=y, minlength=nC)            # > 0 for every kept customer
    y_m = np.bincount(mi, weights=y, minlength=nM)
    Xy = R.column_sums(y)
    log_e = np.log(e)
    cm = ci * nM + mi
    dense_A = nC * nM <= DENSE_CUSTOMER_MONTHS

    def fitted(theta):
        """Means with the customer effects concentrated out, and the log-likelihood."""
        gam = np.zeros(nM)
        gam[free] = theta[:nF]
        eta = gam[mi] + (R.dot(theta[nF:]) if k else 0.0)
        eta -= eta.max()                     # the customer effects absorb any constant
        p = e * np.exp(eta)
        P_c = np.bincount(ci, weights=p, minlength=nC)
        with np.errstate(divide="ignore", invalid="ignore"):
            alpha = np.log(Y_c) - np.log(P_c)
            mu = p * (Y_c / P_c)[ci]
            ll = float(np.sum(y * (log_e + alpha[ci] + eta)) - Y_c.sum())
        return mu, ll

    def information(mu):
        """Information of (free month effects, beta) with the customer effects partialled out."""
        inv_c = 1.0 / Y_c                                          # customer sums of mu equal Y_c
        if dense_A:   # customer x month sums of mu
            A = np.bincount(cm, weights=mu, minlength=nC * nM).reshape(nC, nM)
            AtDA = A.T @ (A * inv_c[:, None])
        else:
            A = sparse.csr_matrix((mu, (ci, mi)), shape=(nC, nM))
            AtDA = (A.T @ sparse.diags(inv_c) @ A).toarray()
        J = np.empty((nM + k, nM + k))
        J[:nM, :nM] = np.diag(np.bincount(mi, weights=mu, minlength=nM)) - AtDA
        if k:
            S = R.group_sums(mu, ci, nC)                           # customer sums of mu X
            Sm = S * inv_c[:, None]
            T = R.group_sums(mu, mi, nM) - np.asarray(A.T @ Sm)    # month sums, customer-demeaned
            J[:nM, nM:] = T
            J[nM:, :nM] = T.T
            J[nM:, nM:] = R.gram(mu) - S.T @ Sm
        return J[np.ix_(idx, idx)]

    def gradient(mu):
        g_m = y_m - np.bincount(mi, weights=mu, minlength=nM)
        return np.r_[g_m, Xy - R.column_sums(mu)][idx] if k else g_m[idx]

    def check_identified(J):
        d = np.sqrt(np.clip(np.diag(J), 0.0, None))
        if (d <= 0).any() or np.linalg.eigvalsh(J / np.outer(d, d)).min() < 1e-10:
            raise ModelError("the membership terms cannot be separated from the customer and month "
                             "effects (singular information matrix). Remedy: use a longer window, "
                             "or fewer event-study months.")

    theta = np.zeros(nF + k)
    mu, ll = fitted(theta)
    converged = False
    for it in range(max_iter):
        J = information(mu)
        check_identified(J)
        step = np.linalg.solve(J, gradient(mu))
        t = 1.0
        while True:
            nmu, nll = fitted(theta + t * step)
            if np.isfinite(nll) and nll >= ll - 1e-10 * (1.0 + abs(ll)):
                break
            t /= 2
            if t < 1e-4:
                break
        if t < 1e-4:             # no step improves the likelihood: at its numerical floor, or stuck
            converged = bool(np.abs(step).max() < 1e-6)
            break
        gain = nll - ll
        theta, mu, ll = theta + t * step, nmu, nll
        if np.abs(t * step).max() < tol or (abs(gain) <= 1e-12 * (1.0 + abs(ll)) and it > 2
                                            and np.abs(t * step).max() < 1e-6):
            converged = True
            break
    if not converged:
        raise ModelError(f"the Poisson fixed-effects fit did not converge in {it + 1} iterations. "
                         "Remedy: check for customers with extreme spend, or use fewer event-study months.")
    full_beta = np.full(k_all, np.nan)
    full_V = np.full((k_all, k_all), np.nan)
    if k:
        # each customer's score (its cells' residuals sum to zero, so no demeaning is needed)
        r = y - mu
        Ux = R.group_sums(r, ci, nC)                                # coefficient part
        if dense_A:                                                 # free months' part
            Um = np.bincount(cm, weights=r, minlength=nC * nM).reshape(nC, nM)[:, free]
            mm = Um.T @ Um
        else:
            Um = sparse.csr_matrix((r, (ci, mi)), shape=(nC, nM))[:, free]
            mm = (Um.T @ Um).toarray()
        mx = np.asarray(Um.T @ Ux)
        UU = np.block([[mm, mx], [mx.T, Ux.T @ Ux]])
        Jinv = np.linalg.inv(information(mu))
        V = (Jinv @ UU @ Jinv)[nF:, nF:] * (nC / max(nC - 1, 1))
        full_beta[cols] = theta[nF:]
        full_V[np.ix_(cols, cols)] = V
    return {"beta": full_beta, "cov": full_V, "n_customers": nC, "n_months": nM,
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
        """Fit; see :func:`ppml_fe` for the arguments (``X`` dense or :class:`OneHot`)."""
        if not isinstance(X, OneHot):
            X = np.asarray(X, float).reshape(len(np.asarray(y)), -1)
        k = X.k if isinstance(X, OneHot) else X.shape[1]
        names = self.names or [f"x{j}" for j in range(k)]
        if len(names) != k:
            raise ModelError(f"{len(names)} names for {k} columns of X. Remedy: name every column.")
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
