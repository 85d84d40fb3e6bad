"""``superkit summarize PATH --observation-end DATE [--calibration-end DATE] [--unit D|W] --out FILE``."""
from __future__ import annotations

import argparse
import sys
import time

from superkit.cli.common import add_reading_flags, parse_mapping, reading_options

__all__ = ["add_parser", "run"]


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("summarize", help="transactions -> one row per customer (frequency, recency, T, ...)",
                       description="Summarise a transactions file (CSV or Parquet, read out of core by "
                                   "DuckDB) into one row per customer, written as CSV or Parquet by the "
                                   "suffix of --out.")
    p.add_argument("path", help="transactions file (CSV or Parquet; with --engine spark also a folder of "
                                "Parquet parts or table:<db>.<table> of the warehouse)")
    p.add_argument("--observation-end", required=True, metavar="DATE", help="last day of the data")
    p.add_argument("--calibration-end", metavar="DATE", default=None,
                   help="end of the calibration period; adds holdout columns for the period after it")
    p.add_argument("--unit", choices=["D", "W"], default="D", help="time unit: days or weeks (days / 7)")
    p.add_argument("--out", required=True, help="output file: .csv or .parquet")
    p.add_argument("--map", action="append", metavar="OURS=THEIRS", default=[],
                   help="map our column name to yours, e.g. --map timestamp=order_date (repeatable)")
    p.add_argument("--engine", default="duckdb", choices=["duckdb", "spark"],
                   help="duckdb (default: in-process, out of core) or spark (Spark SQL; needs the extra "
                        "superkit[spark] and Java 17; SUPERKIT_SPARK_MASTER chooses the cluster, default local[*])")
    p.add_argument("--memory-limit", default="768MB",
                   help="DuckDB memory limit (default 768MB; the whole command stays under 1 GB)")
    add_reading_flags(p)
    return p


def run(args) -> int:
    from superkit.data.duckdb_engine import DuckDBEngine
    from superkit.data.summary import summarize_to_file

    t = time.perf_counter()
    if args.engine == "spark":
        from superkit.data.spark_engine import SparkEngine
        engine = SparkEngine()
    else:
        engine = DuckDBEngine(memory_limit=args.memory_limit)
    n = summarize_to_file(args.path, args.out, args.observation_end, args.calibration_end, args.unit,
                          engine=engine, mapping=parse_mapping(args.map), options=reading_options(args))
    for note in engine.notes:
        print(f"read: {note}", file=sys.stderr)
    for w in engine.warnings:
        print(f"WARNING: {w}", file=sys.stderr)
    print(f"wrote {args.out}: {n:,} customers ({time.perf_counter() - t:.1f} s)")
    return 0
