"""Which benefits go into which tier: a mixed-integer program over nested membership tiers.

Tiers ``t = 0 .. T-1`` (lowest first) with fees ``F_t`` and shares of members ``mix_t``; benefits
``b`` with a cost per member-year in each tier ``cost[b, t]`` (its fixed part plus its share of the
tier's member spend), a perceived value per member-year ``value[b]``, a dimension ``dim[b]`` and a
lowest tier it may appear in ``min_tier[b]``. Decision ``x[b, t] = 1`` when tier ``t`` holds ``b``.

    maximise    sum_t mix_t * (base_t - sum_b cost[b, t] * x[b, t])
    subject to  x[b, t] <= x[b, t+1]                        tiers are nested: B_1 ⊆ B_2 ⊆ B_3
                sum_b value[b] * x[b, t] >= value_ratio * F_t  members feel they get more than they pay
                y[d, t] <= sum_{b in d} x[b, t]; sum_d y[d, t] >= min_dimensions   dimensions covered
                x[b, t] = 0 for t < min_tier[b];  x, y binary

``base_t`` (fee plus the margin on the incremental spend) does not depend on the bundle, so the
program chooses the cheapest bundles that meet the value and coverage rules; among bundles with the
best profit it then takes the one members value most (a second, lexicographic solve), so benefits that
cost nothing are never left out by chance. A tier with a share of 0 (not sold yet) has no weight in
the profit, so before that it gets the cheapest design that meets the rules (a solve in between).

**Library choice.** ``scipy.optimize.milp`` (HiGHS), a maintained solver already installed with
scipy; no modelling language is needed for a program this small (60 benefits x 3 tiers is 180
binaries). Infeasibility is explained exactly by :func:`feasibility`: holding every allowed benefit
in a tier gives that tier its largest value and widest coverage and keeps the tiers nested, so the
program is feasible if and only if that holds in every tier.

Arrays in, arrays out: nothing here knows about tables or files.
"""
from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from superkit.core.errors import ModelError, ParameterError

__all__ = ["TierDesign", "design_tiers", "feasibility", "tier_objective"]

# The programs are small: solve to a zero gap (HiGHS's default relative gap of 1e-4 could stop short
# of the optimum the tests compare with exhaustive search).
_OPTIONS = {"mip_rel_gap": 0.0}


@contextmanager
def _native_stdout_silenced():
    """HiGHS 1.12 prints a debug line ("transformNewIntegerFeasibleSolution tmpSolver.run();") from
    C++ straight to the process's stdout, whatever its options say (HiGHS issue 2783); it would
    land in notebooks and reports. Point file descriptor 1 at the null device while it solves."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError, AttributeError):
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            try:
                yield
            finally:
                os.dup2(saved, 1)
    finally:
        os.close(saved)


@dataclass
class TierDesign:
    """The solution: ``lowest[b]`` is the lowest tier holding benefit ``b`` (-1: none)."""

    status: str                      # "optimal" or "infeasible"
    lowest: np.ndarray               # (B,) int
    holds: np.ndarray                # (B, T) bool, nested
    objective: float                 # sum_t mix_t * profit_t (nan when infeasible)
    profit: np.ndarray               # (T,) per member-year
    cost: np.ndarray                 # (T,)
    value: np.ndarray                # (T,)
    dimensions: list = field(default_factory=list)   # per tier: sorted dimension codes covered
    reason: str = ""                 # why infeasible, with the numbers
    binding: list = field(default_factory=list)      # per failing tier: what is short and by how much


def _check(cost, value, dim, min_tier, fees, mix, base):
    cost = np.asarray(cost, dtype=float)
    if cost.ndim != 2:
        raise ParameterError("cost", "must be a (benefits x tiers) array", fix="one row per benefit.")
    B, T = cost.shape
    value = np.asarray(value, dtype=float).reshape(B)
    dim = np.asarray(dim, dtype=int).reshape(B)
    min_tier = np.zeros(B, dtype=int) if min_tier is None else np.asarray(min_tier, dtype=int).reshape(B)
    fees = np.asarray(fees, dtype=float).reshape(T)
    mix = np.asarray(mix, dtype=float).reshape(T)
    base = np.zeros(T) if base is None else np.asarray(base, dtype=float).reshape(T)
    for name, arr in (("cost", cost), ("value", value), ("fees", fees), ("mix", mix), ("base", base)):
        if not np.all(np.isfinite(arr)):
            raise ParameterError(name, "has missing or infinite numbers", fix="give finite numbers.")
    if (min_tier < 0).any() or (min_tier >= T).any():
        raise ParameterError("min_tier", f"must index a tier 0..{T - 1}", fix="use a tier that exists.")
    if (mix < 0).any():
        raise ParameterError("mix", "has negative shares", fix="shares of members are >= 0.")
    return cost, value, dim, min_tier, fees, mix, base


def feasibility(value, dim, min_tier, fees, value_ratio: float, min_dimensions: int,
                n_dimensions: int = 6, tier_names=None, excluded=None) -> tuple[bool, str, list]:
    """Whether any nested design meets the value and coverage rules; if not, which rule fails in
    which tier and by how much (``(ok, reason, binding)``). ``excluded`` (B,) marks benefits that
    may not be used; ``min_tier`` may be raised per benefit to force a later start."""
    value = np.asarray(value, dtype=float)
    dim = np.asarray(dim, dtype=int)
    min_tier = np.asarray(min_tier, dtype=int).copy()
    if excluded is not None:
        min_tier[np.asarray(excluded, dtype=bool)] = len(fees)
    fees = np.asarray(fees, dtype=float)
    T = len(fees)
    names = list(tier_names) if tier_names is not None else [f"tier {t + 1}" for t in range(T)]
    binding, parts = [], []
    for t in range(T):
        allowed = min_tier <= t
        best_value = float(value[allowed].sum())
        need = float(value_ratio * fees[t])
        covered = sorted(set(dim[allowed].tolist()))
        if best_value + 1e-9 < need:
            short = need - best_value
            ratio_max = best_value / fees[t] if fees[t] > 0 else float("inf")
            binding.append({"tier": names[t], "constraint": "value_ratio", "required": need,
                            "best_possible": best_value, "short_by": short, "max_value_ratio": ratio_max})
            parts.append(f"{names[t]}: even with every benefit it may hold, members would value it at "
                         f"{best_value:,.0f} yuan a year, {short:,.0f} short of {value_ratio:g} x its fee "
                         f"({need:,.0f}); a value_ratio of at most {ratio_max:.2f} is feasible, or add "
                         f"benefits worth {short:,.0f} yuan")
        if len(covered) < min_dimensions:
            missing = [d for d in range(n_dimensions) if d not in covered]
            binding.append({"tier": names[t], "constraint": "min_dimensions", "required": int(min_dimensions),
                            "best_possible": len(covered), "short_by": int(min_dimensions - len(covered)),
                            "missing_dimensions": missing})
            parts.append(f"{names[t]}: its allowed benefits cover {len(covered)} of the six dimensions, "
                         f"{min_dimensions - len(covered)} short of min_dimensions = {min_dimensions}")
    return (not binding), "; ".join(parts), binding


def tier_objective(holds, cost, value, fees, mix, base) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """``(objective, profit_t, cost_t, value_t)`` of a design ``holds`` (B x T, bool)."""
    h = np.asarray(holds, dtype=float)
    cost_t = (np.asarray(cost) * h).sum(axis=0)
    value_t = np.asarray(value) @ h
    profit = np.asarray(base) - cost_t
    return float(np.asarray(mix) @ profit), profit, cost_t, value_t


def design_tiers(cost, value, dim, fees, mix, *, base=None, min_tier=None, value_ratio: float = 2.0,
                 min_dimensions: int = 3, n_dimensions: int = 6, tier_names=None,
                 prefer_value: bool = True, forced=None) -> TierDesign:
    """Solve the program of the module docstring. ``cost`` is (B, T) per member-year, ``value``
    (B,), ``dim`` (B,) dimension codes ``0 .. n_dimensions-1``, ``base`` (T,) profit before benefit
    costs (fee + margin x incremental spend). With ``prefer_value``, ties in profit are broken
    toward the design members value most. ``forced`` (B,) fixes benefits: -2 free (the default),
    -1 left out, ``k`` held from tier ``k`` up (at least its ``min_tier``)."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix

    cost, value, dim, min_tier, fees, mix, base = _check(cost, value, dim, min_tier, fees, mix, base)
    B, T = cost.shape
    if value_ratio < 0:
        raise ParameterError("value_ratio", f"must be >= 0, got {value_ratio}", fix="e.g. 2.")
    if not 0 <= min_dimensions <= n_dimensions:
        raise ParameterError("min_dimensions", f"must be 0..{n_dimensions}, got {min_dimensions}", fix="e.g. 3.")
    names = list(tier_names) if tier_names is not None else [f"tier {t + 1}" for t in range(T)]
    forced = np.full(B, -2, dtype=int) if forced is None else np.asarray(forced, dtype=int).reshape(B)
    if ((forced >= 0) & (forced < min_tier)).any() or (forced >= T).any() or (forced < -2).any():
        raise ParameterError("forced", "holds a benefit below its min_tier or in no tier",
                             fix="force a benefit from a tier at or above its min_tier.")
    start = np.where(forced >= 0, forced, min_tier)
    ok, reason, binding = feasibility(value, dim, start, fees, value_ratio, min_dimensions,
                                      n_dimensions, names, excluded=forced == -1)
    if not ok:
        return TierDesign("infeasible", np.full(B, -1), np.zeros((B, T), bool), float("nan"),
                          np.full(T, np.nan), np.full(T, np.nan), np.full(T, np.nan), [], reason, binding)
    D = n_dimensions
    nx, ny = B * T, D * T

    def xi(b, t):
        return b * T + t

    def yi(d, t):
        return nx + d * T + t

    rows, cols, vals, lo, hi = [], [], [], [], []
    r = 0
    for b in range(B):                                   # nested: x[b,t] - x[b,t+1] <= 0
        for t in range(T - 1):
            rows += [r, r]
            cols += [xi(b, t), xi(b, t + 1)]
            vals += [1.0, -1.0]
            lo.append(-np.inf)
            hi.append(0.0)
            r += 1
    for t in range(T):                                   # value_t >= value_ratio * F_t
        for b in range(B):
            if value[b] != 0:
                rows.append(r)
                cols.append(xi(b, t))
                vals.append(value[b])
        lo.append(value_ratio * fees[t] - 1e-9)
        hi.append(np.inf)
        r += 1
    for t in range(T):                                   # y[d,t] <= sum_{b in d} x[b,t]
        for d in range(D):
            rows.append(r)
            cols.append(yi(d, t))
            vals.append(1.0)
            for b in np.flatnonzero(dim == d):
                rows.append(r)
                cols.append(xi(b, t))
                vals.append(-1.0)
            lo.append(-np.inf)
            hi.append(0.0)
            r += 1
    for t in range(T):                                   # sum_d y[d,t] >= min_dimensions
        for d in range(D):
            rows.append(r)
            cols.append(yi(d, t))
            vals.append(1.0)
        lo.append(float(min_dimensions))
        hi.append(np.inf)
        r += 1
    A = coo_matrix((vals, (rows, cols)), shape=(r, nx + ny)).tocsr()
    ub = np.ones(nx + ny)
    lb = np.zeros(nx + ny)
    for b in range(B):
        for t in range(T):
            if t < start[b] or forced[b] == -1:
                ub[xi(b, t)] = 0.0
            elif forced[b] >= 0:
                lb[xi(b, t)] = 1.0
    bounds = Bounds(lb, ub)
    c = np.zeros(nx + ny)
    c[:nx] = (cost * mix[None, :]).ravel()             # minimise the mix-weighted benefit cost
    integrality = np.ones(nx + ny)
    constraints = [LinearConstraint(A, lo, hi)]
    with _native_stdout_silenced():
        res = milp(c, constraints=constraints, integrality=integrality, bounds=bounds, options=_OPTIONS)
    if res.status != 0 or res.x is None:
        raise ModelError(f"the tier optimiser stopped without a solution ({res.message}). Remedy: check "
                         "the catalog's numbers (very large or tiny costs), or use fewer benefits.")
    best = float(c @ res.x)
    x = res.x
    if prefer_value:
        caps = [LinearConstraint(c.reshape(1, -1), -np.inf, best + 1e-7 * max(1.0, abs(best)) + 1e-9)]
        idle = mix <= 0
        if idle.any():
            # tiers nobody is expected to buy yet do not weigh in the profit: give them the cheapest
            # design that meets the rules, not whatever the value stage would pile in
            c1 = np.zeros(nx + ny)
            c1[:nx] = (cost * idle[None, :]).ravel()
            with _native_stdout_silenced():
                res1 = milp(c1, constraints=constraints + caps, integrality=integrality, bounds=bounds,
                            options=_OPTIONS)
            if res1.status == 0 and res1.x is not None:
                low = float(c1 @ res1.x)
                caps.append(LinearConstraint(c1.reshape(1, -1), -np.inf, low + 1e-7 * max(1.0, abs(low)) + 1e-9))
                x = res1.x
        # last solve: the most valued design among those with the best profit
        c2 = np.zeros(nx + ny)
        c2[:nx] = -np.repeat(value, T) + 1e-6 * np.abs(value).max(initial=1.0) / max(B * T, 1)
        with _native_stdout_silenced():
            res2 = milp(c2, constraints=constraints + caps, integrality=integrality, bounds=bounds,
                        options=_OPTIONS)
        if res2.status == 0 and res2.x is not None:
            x = res2.x
    holds = np.round(x[:nx]).astype(bool).reshape(B, T)
    lowest = np.where(holds.any(axis=1), holds.argmax(axis=1), -1)
    objective, profit, cost_t, value_t = tier_objective(holds, cost, value, fees, mix, base)
    dims = [sorted(set(dim[holds[:, t]].tolist())) for t in range(T)]
    return TierDesign("optimal", lowest, holds, objective, profit, cost_t, value_t, dims)
