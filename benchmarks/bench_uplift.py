"""Time the full uplift analysis (four readings + event study) on 20k customers / 1M+ transactions.

Usage: ``python benchmarks/bench_uplift.py [n_customers]``. The world is simulated and written to
CSV first (not timed); the timed part is what the notebook does: read and validate the two CSV
files, then ``superkit.analyses.uplift.readings`` (four readings, bootstrap intervals, PPML + event study).
"""
from __future__ import annotations

import sys
import tempfile
import time
import resource
from pathlib import Path

from superkit.data.contract import read_members, read_transactions
from superkit.data.simulate import simulate
from superkit.analyses.uplift import readings


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 20000
    w = simulate(n_customers=n, seed=1, alpha=1.6)   # small alpha = frequent buyers
    print(f"{n:,} customers, {len(w.transactions):,} transactions, {len(w.members):,} members")
    tmp = Path(tempfile.mkdtemp())
    w.write(tmp)
    t = time.perf_counter()
    tx = read_transactions(tmp / "transactions.csv", observation_end="2025-12-31")
    mem = read_members(tmp / "members.csv", observation_end="2025-12-31")
    t_read = time.perf_counter() - t
    res = readings(tx, mem, observation_end="2025-12-31")
    dt = time.perf_counter() - t
    print(f"read + validate: {t_read:.1f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"read + analyse: {dt:.1f} s (limit 120 s); peak RSS of the process {peak:.0f} MiB "
          f"(includes simulating the world)")
    print(f"naive {res['naive_ratio']:.2f}, causal {res['causal_ratio']:.2f} "
          f"[{res['causal_ratio_ci'][0]:.2f}, {res['causal_ratio_ci'][1]:.2f}], "
          f"truth {w.truth['true_causal_ratio']:.2f}")
    return 0 if dt < 120 else 1


if __name__ == "__main__":
    sys.exit(main())
