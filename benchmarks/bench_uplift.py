"""Time the full uplift analysis (four readings + event study) on 20k customers / 1M+ transactions.

Usage: ``python benchmarks/bench_uplift.py [n_customers]``. The world is simulated first (not
timed); the timed part is ``superkit.uplift.analyse`` on validated DataFrames.
"""
from __future__ import annotations

import sys
import time
import tracemalloc

from superkit.simulate import simulate
from superkit.uplift import analyse


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 20000
    w = simulate(n_customers=n, seed=1, alpha=1.6)   # small alpha = frequent buyers
    print(f"{n:,} customers, {len(w.transactions):,} transactions, {len(w.members):,} members")
    tracemalloc.start()
    t = time.perf_counter()
    res = analyse(w.transactions, w.members, observation_end="2025-12-31")
    dt = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1] / 2 ** 20
    print(f"analyse: {dt:.1f} s (limit 120 s), peak traced memory {peak:.0f} MiB")
    print(f"naive {res['naive_ratio']:.2f}, causal {res['causal_ratio']:.2f} "
          f"[{res['causal_ratio_ci'][0]:.2f}, {res['causal_ratio_ci'][1]:.2f}], "
          f"truth {w.truth['true_causal_ratio']:.2f}")
    return 0 if dt < 120 else 1


if __name__ == "__main__":
    sys.exit(main())
