"""Time the tier optimiser against exhaustive search, and notebook 05's whole analysis on big catalogs.

Usage: ``python benchmarks/bench_benefits.py``. Prints medians of repeated runs, measured in the same
run:

1. **MILP vs exhaustive search** on random catalogs of 6, 8 and 9 benefits x 3 tiers (every
   assignment of a lowest tier or none: 4^B designs) -- the peer is the only other exact method;
   both must find the same optimum (checked here too).
2. **The whole analysis** (design, frontier, sensitivity, reasons for every benefit, tier rules) on
   the coffee_club members with random catalogs of 16, 60 and 120 benefits.
"""
from __future__ import annotations

import itertools
import sys

import numpy as np
import pandas as pd

from timing import median_time

from superkit.analyses import benefits as bn
from superkit.data import load_tables
from superkit.data.contract import read_benefits
from superkit.models.tier_design import design_tiers, tier_objective


def random_case(rng, B, T=3):
    fees = np.array([99.0, 199.0, 299.0])[:T]
    S = np.array([600.0, 1200.0, 1600.0])[:T]
    fixed = rng.gamma(1.0, 20.0, B)
    share = rng.uniform(0, 0.05, B) * (rng.random(B) < 0.4)
    cost = fixed[:, None] + share[:, None] * S[None, :]
    value = rng.gamma(2.0, 90.0, B)          # rich enough that the value rule can be met
    dim = rng.integers(0, 6, B)
    return cost, value, dim, fees, np.array([0.6, 0.3, 0.1])[:T], fees + 100.0, np.zeros(B, int)


RATIO, MIN_DIMS = 1.5, 3


def exhaustive(cost, value, dim, fees, mix, base, ratio=RATIO, min_dims=MIN_DIMS):
    B, T = cost.shape
    best = None
    tiers = np.arange(T)[None, :]
    for combo in itertools.product(range(-1, T), repeat=B):
        low = np.array(combo)
        holds = (low[:, None] >= 0) & (tiers >= low[:, None])
        if any(value @ holds[:, t] < ratio * fees[t] or len(set(dim[holds[:, t]])) < min_dims for t in range(T)):
            continue
        obj = tier_objective(holds, cost, value, fees, mix, base)[0]
        best = obj if best is None or obj > best else best
    return best


def catalog(n, seed):
    rng = np.random.default_rng(seed)
    dims = ["exclusive_price", "discount", "exclusive_product", "service", "spend_discount", "customised"]
    return read_benefits(pd.DataFrame({
        "benefit_id": [f"b{i:03d}" for i in range(n)], "name": [f"benefit {i}" for i in range(n)],
        "dimension": [dims[i % 6] for i in range(n)], "cost_per_member": rng.gamma(1.2, 15, n).round(1),
        "cost_share_of_spend": np.where(rng.random(n) < 0.3, rng.uniform(0, 0.05, n), 0).round(3),
        "perceived_value": rng.gamma(1.5, 30, n).round(1),
        "min_tier": rng.choice(["", "", "", "V2", "V3"], n)}))


def main() -> int:
    rng = np.random.default_rng(0)
    print("1. tier optimiser (scipy.optimize.milp / HiGHS) vs exhaustive search, 3 tiers")
    print(f"   {'benefits':>8} {'designs':>9} {'milp':>9} {'exhaustive':>11} {'ratio':>7}  same optimum")
    ok = True
    for B in (6, 8, 9):
        case = random_case(rng, B)
        cost, value, dim, fees, mix, base, mt = case
        t_milp, d = median_time(lambda: design_tiers(cost, value, dim, fees, mix, base=base, min_tier=mt,
                                                     value_ratio=RATIO, min_dimensions=MIN_DIMS,
                                                     prefer_value=False), repeat=5)
        t_ex, best = median_time(lambda: exhaustive(cost, value, dim, fees, mix, base), repeat=1 if B > 8 else 3)
        same = (best is None and d.status == "infeasible") or abs(best - d.objective) < 1e-6 * max(1, abs(best))
        ok &= same
        print(f"   {B:>8} {4 ** B:>9,} {t_milp * 1e3:>7.1f}ms {t_ex:>10.2f}s {t_ex / t_milp:>6.0f}x  {same} "
              f"({d.status})")
    print("2. notebook 05's whole analysis on coffee_club members (design, frontier, sensitivity, reasons)")
    for n in (16, 60, 120):
        tables = load_tables("coffee_club", "coffee_club", choices_path="none", observation_end="2025-12-31")
        tables.benefits = catalog(n, seed=n) if n != 16 else load_tables(benefits_path="coffee_club").benefits
        t, res = median_time(lambda: bn.run(tables, causal_ratio=1.42, perceived_value_from="catalog"))
        print(f"   {n:>4} benefits: {t:5.2f} s (median of 3), status {res.status}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
