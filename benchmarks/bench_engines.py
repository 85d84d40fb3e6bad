"""DuckDB against Spark local on the same 100M transactions: ``superkit summarize`` as a whole process.

The file is made once from a simulated world (``superkit simulate --customers 1000000``, ~18M
transactions) repeated with distinct customer and order ids until it has ``--rows`` rows, written
as one Parquet file in ``benchmarks/_data/``. DuckDB runs the summary within its memory limit
(``--memory-limit``, 4 GB; at 2 GB its two chained aggregations of 100M rows ran out of memory,
with the message that says so); Spark runs in local mode on every core with the default 2 GB driver.
Prints seconds (median of ``--repeat`` runs), peak memory of the whole process tree, the ratio,
and whether the two summaries agree.

    .venv/bin/python benchmarks/bench_engines.py                   # 100M rows
    .venv/bin/python benchmarks/bench_engines.py --rows 20000000   # a quicker look
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_report import world  # noqa: E402
from timing import run_measured  # noqa: E402

DATA = Path(__file__).resolve().parent / "_data"


def make_file(rows: int, seed: int) -> Path:
    out = DATA / f"transactions_{rows // 1_000_000}M.parquet"
    if out.exists():
        return out
    import duckdb

    src = world(1_000_000, seed) / "transactions.csv"
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order=false")
    base = con.execute(f"SELECT COUNT(*) FROM read_csv('{src}')").fetchone()[0]
    copies = -(-rows // base)
    parts = " UNION ALL ".join(
        f"SELECT customer_id || '-{k}' AS customer_id, \"timestamp\", amount, order_id || '-{k}' AS order_id "
        f"FROM read_csv('{src}')" for k in range(copies))
    t = time.perf_counter()
    tmp = out.with_suffix(".tmp")
    con.execute(f"COPY (SELECT * FROM ({parts}) LIMIT {rows}) TO '{tmp}' (FORMAT PARQUET)")
    tmp.rename(out)
    print(f"  wrote {out.name} ({rows:,} rows) in {time.perf_counter() - t:.0f} s")
    return out


def timed(cmd: list[str]) -> tuple[float, int]:
    r = run_measured(cmd)
    if r["returncode"]:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{r['output'][-2000:]}")
    return r["seconds"], r["peak_bytes"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000_000)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--memory-limit", default="4GB")
    args = ap.parse_args(argv)
    path = make_file(args.rows, args.seed)
    exe = str(Path(sys.executable).with_name("superkit"))
    res = {}
    for engine in ("duckdb", "spark"):
        out = DATA / f"summary_{engine}.parquet"
        cmd = [exe, "summarize", str(path), "--observation-end", "2025-12-31", "--engine", engine,
               "--memory-limit", args.memory_limit, "--out", str(out)]
        runs = [timed(cmd) for _ in range(args.repeat)]
        res[engine] = (statistics.median(r[0] for r in runs), max(r[1] for r in runs), out)
        print(f"  {engine:7s} {res[engine][0]:8.1f} s   peak {res[engine][1] / 1024 ** 3:5.2f} GB")
    import pandas as pd

    a, b = (pd.read_parquet(res[e][2]).sort_values("customer_id").reset_index(drop=True) for e in ("duckdb", "spark"))
    same = len(a) == len(b) and (a["customer_id"] == b["customer_id"]).all() and \
        max(float((a[c] - b[c]).abs().max()) for c in ("frequency", "recency", "T", "monetary_value")) < 1e-6
    print(f"  {args.rows:,} rows, {len(a):,} customers; Spark / DuckDB time {res['spark'][0] / res['duckdb'][0]:.1f}x; "
          f"summaries {'agree' if same else 'DIFFER'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
