"""``superkit validate TABLE PATH [--map ours=theirs ...]`` or ``superkit validate --config FILE``.

Checks a file by the reading rules and prints its data-quality profile (rows, customers, dates,
amounts, refunds, what reading did, warnings); with ``--config`` every table of a report config,
and how their customer ids meet. Exit 0 when every table is valid, 2 when one is refused.
"""
from __future__ import annotations

import argparse
import sys

from superkit.cli.common import add_reading_flags, parse_mapping, reading_options

__all__ = ["add_parser", "run"]


def add_parser(sub) -> argparse.ArgumentParser:
    from superkit.data.spec import TABLES

    p = sub.add_parser("validate", help="check data files and print their data-quality profile",
                       description="Check a transactions, members, events, cohorts, benefits, choices or "
                                   "contacts file -- or every table of a report config with --config -- by "
                                   "the reading rules, and print the data-quality profile. Exit 0 when "
                                   "valid; otherwise print what is wrong and how to fix it (exit 2).")
    p.add_argument("table", nargs="?", choices=list(TABLES))
    p.add_argument("path", nargs="?", help="CSV or Parquet file (a benefit catalog may also be YAML)")
    p.add_argument("--config", metavar="FILE", default=None,
                   help="a report config: check every table it names, and how they join")
    p.add_argument("--map", action="append", metavar="OURS=THEIRS", default=[],
                   help="map our column name to yours, e.g. --map customer_id=member_no (repeatable)")
    p.add_argument("--observation-end", metavar="DATE", default=None,
                   help="refuse dates after this day (memberships ending after it are still running)")
    add_reading_flags(p)
    return p


def _one_line(table: str, df) -> str:
    extra = ""
    if "customer_id" in df.columns:
        extra = f", {df['customer_id'].nunique():,} customers"
    date_col = next((c for c in ("timestamp", "joined_at") if c in df.columns), None)
    if date_col is not None:
        extra += f", {df[date_col].min().date()} to {df[date_col].max().date()}"
    if table == "benefits":
        extra += f", {df['dimension'].nunique()} of the six dimensions ({', '.join(sorted(df['dimension'].unique()))})"
    if table == "choices":
        from superkit.data.spec import attribute_columns

        extra += (f", {df['respondent'].nunique():,} respondents, "
                  f"{df.groupby(['respondent', 'task']).ngroups:,} choice tasks, "
                  f"{len(attribute_columns(df.columns))} benefits shown")
    if table == "contacts":
        counts = df["channel"].value_counts()
        extra += ", channels " + ", ".join(f"{k} {v:,}" for k, v in counts.items())
    return f"valid {table} table, {len(df):,} rows{extra}."


def run(args) -> int:
    from superkit.core.errors import DataError
    from superkit.data.contract import validate
    from superkit.data.quality import Profile, table_profile

    if args.config:
        if args.table or args.path:
            raise DataError("give either TABLE PATH or --config, not both",
                            fix="superkit validate transactions orders.csv, or superkit validate --config client.yml")
        from superkit.report.config import load_config
        from superkit.report.run import data_quality

        cfg = load_config(args.config)
        if not set(cfg["data"]) - {"plan"}:
            raise DataError("the config names no data tables", source=cfg["_source"],
                            fix="add data: {transactions: orders.csv, members: members.csv, ...}")
        prof = data_quality(cfg, reading_options(args, cfg["reading"]), args.observation_end)
        print("\n".join(prof.lines()))
        return 2 if prof.errors else 0
    if not args.table or not args.path:
        raise DataError("give the table and the file (or --config)",
                        fix="e.g. superkit validate transactions orders.csv")
    df = validate(args.table, args.path, parse_mapping(args.map), observation_end=args.observation_end,
                  options=reading_options(args))
    print(f"{args.path}: {_one_line(args.table, df)}")
    p = table_profile(args.table, df)
    for line in Profile(tables={args.table: p}).lines()[1:]:   # the first line repeats the one above
        print(line)
    for w in p["warnings"]:
        print(f"WARNING: {w}", file=sys.stderr)
    return 0
