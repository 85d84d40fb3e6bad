"""The causal effect of joining a paid membership on spend: two-way fixed-effects Poisson (PPML)
on each customer's *active span*, with customer-clustered intervals and an event study.

The design, and why each part is there:

* **Within-customer comparison (customer fixed effects).** Heavy buyers choose to join, and they
  choose on things we cannot see. With a customer fixed effect the effect is identified only by
  how each member's spend changes when they join, relative to their own level, so selection on any
  *fixed* trait (purchase rate, basket size, loyalty) cancels. For a Poisson model this is the
  conditional (fixed-effects) Poisson estimator of Hausman, Hall & Griliches (1984); with
  ``exp`` link it is a ratio: spend with membership / spend without.
* **Calendar-month fixed effects (the difference-in-differences part).** Seasonality and growth
  are taken from customers who are not (yet) members in the same months: never-joined and
  not-yet-joined customers are the control group for calendar time (Wooldridge 2023, "Simple
  approaches to nonlinear difference-in-differences with panel data", Econometrics Journal:
  Poisson two-way FE is a valid staggered DiD for a ratio effect).
* **The active span.** Customers stop buying silently. Only customers still buying can join, so a
  joiner's months before joining are "alive" months by construction while their months after
  joining are not. Each customer's exposure is therefore restricted to the span between their
  first and their last purchase day, where they are known to be a customer; the two end days are
  left out (they are conditioned on). Inside the span the purchase process is the same with or
  without later dropout, so the comparison is fair.
* **Exposure, not months.** Cells are (customer, calendar month, state) with the number of days
  in the span as exposure, state being before joining (or never a member), member, or after the
  membership ended (reported separately, so that any lasting effect does not pollute the
  reference).

The estimand is the ratio of expected spend per active day while a member to the spend the same
customer would have had without the membership, in the same calendar months. In the simulator
(``superkit.simulate``) it equals ``uplift_frequency * uplift_spend``; ``tests/test_causal.py``
checks coverage of the interval over many seeds with strong self-selection.

**Library choice.** statsmodels' GLM Poisson with ``cov_type="cluster"`` fits this model, but it
needs one dummy column per customer (tens of thousands) and is used in the tests as the reference
on small data. Here the fixed effects are absorbed (alternating projections, as R's fixest and
Stata's ppmlhdfe do), which no maintained Python package offers for Poisson at this size without
heavy dependencies (pyfixest pulls in numba, polars and formulaic). The cluster-robust sandwich uses
the regressors residualised on the fixed effects with Poisson weights.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from superkit.errors import DataError, ModelError

Z95 = 1.959963984540054
STATES = ("not_member", "member", "after")


@dataclass
class SpanCells:
    """(customer, month, state) cells of the active spans, with exposure in days."""

    customer: np.ndarray      # (c,) customer index
    month: np.ndarray         # (c,) month index
    state: np.ndarray         # (c,) 0 not (yet) a member, 1 member, 2 after the membership ended
    event_month: np.ndarray   # (c,) months since the join month (members only; 0 for others)
    is_member: np.ndarray     # (c,) bool: the customer is in the members table
    exposure: np.ndarray      # (c,) days of the active span in the cell
    spend: np.ndarray         # (c,) net spend of the purchase days inside the span
    purchases: np.ndarray     # (c,) purchase days inside the span
    customer_ids: np.ndarray  # (n,)
    months: pd.PeriodIndex    # (M,)


def span_cells(transactions: pd.DataFrame, members: pd.DataFrame, start, end) -> SpanCells:
    """Build the active-span cells from validated transactions and members.

    ``start`` and ``end`` (inclusive) bound the calendar window. A purchase day is a customer's day
    with net amount >= 0 and at least one non-refund row (the summary's rule).
    """
    start = pd.Timestamp(start).normalize()
    end = pd.Timestamp(end).normalize()
    ts = pd.DatetimeIndex(transactions["timestamp"])
    keep = (ts >= start) & (ts < end + pd.Timedelta(days=1))
    day = np.asarray((ts[keep].normalize() - start) // pd.Timedelta(days=1), dtype=np.int64)
    ids, code = np.unique(transactions["customer_id"].astype(str).to_numpy()[keep], return_inverse=True)
    amount = transactions["amount"].to_numpy(dtype=float)[keep]
    n = len(ids)
    if n == 0:
        raise DataError("no transactions inside the analysis window", source="transactions",
                        fix="check the window against the transaction dates.")
    key = code.astype(np.int64) * 100_000 + day
    ukey, inv = np.unique(key, return_inverse=True)
    net = np.bincount(inv, weights=amount)
    maxrow = np.full(len(ukey), -np.inf)
    np.maximum.at(maxrow, inv, amount)
    ok = (net >= 0) & (maxrow >= 0)
    pc, pd_, pamt = (ukey[ok] // 100_000).astype(np.int64), ukey[ok] % 100_000, net[ok]
    first = np.full(n, np.iinfo(np.int64).max)
    last = np.full(n, -1)
    np.minimum.at(first, pc, pd_)
    np.maximum.at(last, pc, pd_)

    horizon = (end - start).days + 1
    pos = pd.Index(ids).get_indexer(members["customer_id"].astype(str).to_numpy())
    J = np.full(n, np.inf)
    E = np.full(n, np.inf)
    present = pos >= 0
    jd = np.asarray((pd.DatetimeIndex(members["joined_at"]).normalize() - start) // pd.Timedelta(days=1),
                    dtype=float)
    J[pos[present]] = jd[present]
    if "ended_at" in members.columns:
        ed = pd.DatetimeIndex(members["ended_at"]).normalize()
        edn = np.where(pd.isna(ed), np.inf, np.asarray((ed - start) / pd.Timedelta(days=1), dtype=float))
        E[pos[present]] = edn[present]
    is_mem = np.isfinite(J)

    months = pd.period_range(start.to_period("M"), end.to_period("M"), freq="M")
    M = len(months)
    ms = np.array([(p.to_timestamp() - start).days for p in months] + [horizon], dtype=float)
    ms[0] = 0.0
    lo = first.astype(float) + 1.0  # interior of the span: (first, last), days first+1 .. last-1
    hi = last.astype(float)
    a_m, b_m = ms[:-1][None, :], ms[1:][None, :]

    def overlap(l1, h1):
        return np.clip(np.minimum(h1, b_m) - np.maximum(l1, a_m), 0.0, None)

    lo_, hi_, J_, E_ = lo[:, None], hi[:, None], J[:, None], E[:, None]
    ex_pre = overlap(lo_, np.minimum(hi_, J_))
    ex_mem = overlap(np.maximum(lo_, J_), np.minimum(hi_, E_))
    ex_post = overlap(np.maximum(lo_, E_), hi_)
    expo = np.stack([ex_pre, ex_mem, ex_post], axis=2)  # (n, M, 3)

    interior = (pd_ > first[pc]) & (pd_ < last[pc])
    ic, iday, iamt = pc[interior], pd_[interior].astype(float), pamt[interior]
    imonth = np.searchsorted(ms, iday, side="right") - 1
    st = np.where(iday < J[ic], 0, np.where(iday < E[ic], 1, 2))
    flat = (ic * M + imonth) * 3 + st
    spend = np.bincount(flat, weights=iamt, minlength=n * M * 3).reshape(n, M, 3)
    count = np.bincount(flat, minlength=n * M * 3).reshape(n, M, 3).astype(float)

    ci, mi, si = np.nonzero(expo > 0)
    join_month = np.where(is_mem, np.searchsorted(ms, np.where(is_mem, J, 0.0), side="right") - 1, 0)
    return SpanCells(customer=ci, month=mi, state=si, event_month=(mi - join_month[ci]),
                     is_member=is_mem[ci], exposure=expo[ci, mi, si], spend=spend[ci, mi, si],
                     purchases=count[ci, mi, si], customer_ids=ids, months=months)


# ----------------------------------------------------------------------------------------------
# Poisson with two absorbed fixed effects
# ----------------------------------------------------------------------------------------------
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


def ppml_fe(y, exposure, customer, month, X, max_iter: int = 100, tol: float = 1e-9) -> dict:
    """Poisson pseudo-ML of ``E[y] = exposure * exp(a_customer + g_month + X beta)``.

    Returns beta, the cluster-robust (by customer) covariance, and what was dropped. Customers or
    months without any ``y`` carry no information and are dropped (their effect would be -inf).
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
    y, e, X = y[keep], e[keep], X[:, :][keep]
    _, ci = np.unique(customer[keep], return_inverse=True)
    _, mi = np.unique(month[keep], return_inverse=True)
    nC, nM = ci.max() + 1, mi.max() + 1
    # A dummy whose cells have no spend at all would push its coefficient to -inf (separation):
    # it carries no estimable effect and is reported as missing.
    cols = np.flatnonzero((np.abs(X).sum(axis=0) > 0) & ((y[:, None] * (X != 0)).sum(axis=0) > 0))
    Xc = X[:, cols]
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
    for it in range(max_iter):
        Xt = _demean(Xc, mu, groups)
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
    Xt = _demean(Xc, mu, groups)
    H = Xt.T @ (mu[:, None] * Xt)
    S = np.zeros((nC, len(cols)))
    for k in range(len(cols)):
        S[:, k] = np.bincount(ci, weights=(y - mu) * Xt[:, k], minlength=nC)
    G = nC
    Hinv = np.linalg.inv(H)
    V = Hinv @ (S.T @ S) @ Hinv * (G / max(G - 1, 1))
    full_beta = np.full(X.shape[1], np.nan)
    full_beta[cols] = beta
    full_V = np.full((X.shape[1], X.shape[1]), np.nan)
    full_V[np.ix_(cols, cols)] = V
    return {"beta": full_beta, "cov": full_V, "n_customers": int(nC), "n_months": int(nM),
            "n_cells": int(len(y)), "iterations": it + 1, "loglik": ll}


def _ratio(beta: float, var: float) -> tuple[float, list[float], float]:
    se = math.sqrt(var) if var is not None and np.isfinite(var) and var >= 0 else float("nan")
    r = math.exp(beta)
    return r, [r * math.exp(-Z95 * se), r * math.exp(Z95 * se)], se


def joining_effect(cells: SpanCells, outcome: str = "spend") -> dict:
    """Headline causal ratio: spend (or purchase days) while a member / without, with 95% CI."""
    y = cells.spend if outcome == "spend" else cells.purchases
    if not (cells.state == 1).any():
        raise ModelError("no member has purchases inside their active span after joining, so there is "
                         "nothing to compare. Remedy: members need purchases after joining (a longer "
                         "window after the join dates).")
    X = np.column_stack([(cells.state == 1), (cells.state == 2)]).astype(float)
    fit = ppml_fe(y, cells.exposure, cells.customer, cells.month, X)
    r, ci, se = _ratio(fit["beta"][0], fit["cov"][0, 0])
    out = {"ratio": r, "ci": ci, "se_log": se, "n_customers": fit["n_customers"],
           "n_members_informative": int(np.unique(cells.customer[(cells.state == 1) & (y > 0)]).size),
           "n_cells": fit["n_cells"], "member_days": float(cells.exposure[cells.state == 1].sum())}
    if np.isfinite(fit["beta"][1]):
        ra, cia, _ = _ratio(fit["beta"][1], fit["cov"][1, 1])
        out.update(after_ratio=ra, after_ci=cia)
    else:
        out.update(after_ratio=None, after_ci=None)
    return out


def event_study(cells: SpanCells, pre_months: int = 6, post_months: int = 12,
                outcome: str = "spend") -> pd.DataFrame:
    """Ratio by month relative to the join month (pre-join months test the comparison).

    Reference: the month before the join month (``k = -1``, the usual normalisation), together with
    never-members and members' months more than ``pre_months`` before joining; the pre-join bins
    ``-pre_months .. -2`` are the placebo check (near 1 when the comparison is fair). Member months beyond ``post_months`` are pooled into the last bin; months after a membership
    ended have their own term (not shown).
    """
    y = cells.spend if outcome == "spend" else cells.purchases
    k = cells.event_month
    mem = cells.is_member
    bins = list(range(-pre_months, -1)) + list(range(0, post_months + 1))
    cols = []
    for b in bins:
        if b < 0:
            cols.append(mem & (cells.state == 0) & (k == b))
        elif b < post_months:
            cols.append((cells.state == 1) & (k == b))
        else:
            cols.append((cells.state == 1) & (k >= b))
    cols.append(cells.state == 2)
    X = np.column_stack(cols).astype(float)
    fit = ppml_fe(y, cells.exposure, cells.customer, cells.month, X)
    rows = [{"k": -1, "ratio": 1.0, "ci_low": 1.0, "ci_high": 1.0,
             "exposure_days": float(cells.exposure[mem & (cells.state == 0) & (k == -1)].sum())}]
    for j, b in enumerate(bins):
        bj, vj = fit["beta"][j], fit["cov"][j, j]
        if not np.isfinite(bj):
            rows.append({"k": b, "ratio": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                         "exposure_days": float(X[:, j] @ cells.exposure)})
            continue
        r, ci, _ = _ratio(bj, vj)
        rows.append({"k": b, "ratio": r, "ci_low": ci[0], "ci_high": ci[1],
                     "exposure_days": float(X[:, j] @ cells.exposure)})
    return pd.DataFrame(rows).sort_values("k").reset_index(drop=True)
