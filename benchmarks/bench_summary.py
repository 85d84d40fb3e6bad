"""Benchmark: `superkit summarize` against lifetimes' summary utility, whole command vs whole script.

For 1M and 10M simulated transactions, from Parquet and from CSV, each tool runs as its own process
(read the file, summarise, write Parquet), ``--repeats`` times; the script prints the median wall
time, the ratio lifetimes / superkit, and each process's peak memory (max RSS from ``wait4``).
Both outputs are compared for equality once per size.

    .venv/bin/python benchmarks/bench_summary.py            # 1M and 10M
    .venv/bin/python benchmarks/bench_summary.py --sizes 1000000 --repeats 3
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data"
OBS_END = "2025-12-31"

LIFETIMES_SCRIPT = r"""
import sys, pandas as pd
from lifetimes.utils import summary_data_from_transaction_data
src, out, end = sys.argv[1:4]
tx = pd.read_parquet(src) if src.endswith(".parquet") else pd.read_csv(src, parse_dates=["timestamp"])
s = summary_data_from_transaction_data(tx, "customer_id", "timestamp", monetary_value_col="amount",
                                       observation_period_end=end, freq="D")
s.to_parquet(out)
"""


def make_data(n_tx: int, seed: int = 0) -> dict[str, Path]:
    """Transactions of n_tx / 20 customers over two years (vectorised; not a BG/NBD world)."""
    DATA.mkdir(exist_ok=True)
    pq, csv = DATA / f"tx_{n_tx}.parquet", DATA / f"tx_{n_tx}.csv"
    if pq.exists() and csv.exists():
        return {"parquet": pq, "csv": csv}
    rng = np.random.default_rng(seed)
    n_cust = max(n_tx // 20, 1)
    weights = rng.gamma(0.8, 1.0, n_cust)
    cust = rng.choice(n_cust, size=n_tx, p=weights / weights.sum())
    seconds = rng.integers(0, 731 * 86400, n_tx)
    df = pd.DataFrame({
        "customer_id": np.char.add("C", cust.astype(str)),
        "timestamp": pd.Timestamp("2024-01-01") + pd.to_timedelta(seconds, unit="s"),
        "amount": np.round(rng.gamma(6.0, 5.0, n_tx), 2),
    })
    df.to_parquet(pq, index=False)
    df.to_csv(csv, index=False, date_format="%Y-%m-%d %H:%M:%S")
    return {"parquet": pq, "csv": csv}


def run(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one process."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    err = proc.stderr.read().decode()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"command failed: {' '.join(cmd)}\n{err}")
    return wall, usage.ru_maxrss / 1024.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--formats", nargs="+", default=["parquet", "csv"])
    args = ap.parse_args()
    superkit = [str(Path(sys.executable).with_name("superkit"))]
    script = DATA / "lifetimes_summary.py"
    DATA.mkdir(exist_ok=True)
    script.write_text(LIFETIMES_SCRIPT)
    print(f"{'size':>11} {'format':>7} {'tool':>9} {'median s':>9} {'peak MB':>8} {'ratio':>6}")
    for n in args.sizes:
        files = make_data(n)
        for fmt in args.formats:
            src = files[fmt]
            ours_out, ref_out = DATA / "ours.parquet", DATA / "ref.parquet"
            ours = [run(superkit + ["summarize", str(src), "--observation-end", OBS_END, "--out", str(ours_out)])
                    for _ in range(args.repeats)]
            ref = [run([sys.executable, str(script), str(src), str(ref_out), OBS_END])
                   for _ in range(args.repeats)]
            mo, mr = statistics.median(w for w, _ in ours), statistics.median(w for w, _ in ref)
            print(f"{n:>11,} {fmt:>7} {'superkit':>9} {mo:>9.2f} {max(m for _, m in ours):>8.0f}")
            print(f"{n:>11,} {fmt:>7} {'lifetimes':>9} {mr:>9.2f} {max(m for _, m in ref):>8.0f} {mr / mo:>6.1f}x",
                  flush=True)
            a = pd.read_parquet(ours_out).set_index("customer_id").sort_index()
            b = pd.read_parquet(ref_out).sort_index()
            b.index = b.index.astype(str)
            diff = max(float(np.abs(a[c].to_numpy() - b.loc[a.index, c].to_numpy()).max())
                       for c in ["frequency", "recency", "T", "monetary_value"])
            print(f"{'':>11} {'':>7} same customers: {len(a) == len(b)}, max abs difference: {diff:.2e}")


if __name__ == "__main__":
    main()
