"""``superkit validate TABLE PATH [--map ours=theirs ...]``: exit 0 when the file is valid."""
from __future__ import annotations

import argparse

from superkit.cli.common import parse_mapping

__all__ = ["add_parser", "run"]


def add_parser(sub) -> argparse.ArgumentParser:
    from superkit.data.spec import TABLES

    p = sub.add_parser("validate", help="check a data file against the data contract",
                       description="Check a transactions, members, events, cohorts, benefits, choices or "
                                   "contacts file. Exit 0 when valid; otherwise print what is wrong and "
                                   "how to fix it (exit 2).")
    p.add_argument("table", choices=list(TABLES))
    p.add_argument("path", help="CSV or Parquet file (a benefit catalog may also be YAML)")
    p.add_argument("--map", action="append", metavar="OURS=THEIRS", default=[],
                   help="map our column name to yours, e.g. --map customer_id=member_no (repeatable)")
    p.add_argument("--observation-end", metavar="DATE", default=None,
                   help="refuse dates after this day")
    return p


def run(args) -> int:
    from superkit.data.contract import validate

    df = validate(args.table, args.path, parse_mapping(args.map), observation_end=args.observation_end)
    extra = ""
    if "customer_id" in df.columns:
        extra = f", {df['customer_id'].nunique():,} customers"
    date_col = next((c for c in ("timestamp", "joined_at") if c in df.columns), None)
    if date_col is not None:
        extra += f", {df[date_col].min().date()} to {df[date_col].max().date()}"
    if args.table == "benefits":
        extra += f", {df['dimension'].nunique()} of the six dimensions ({', '.join(sorted(df['dimension'].unique()))})"
    if args.table == "choices":
        from superkit.data.spec import attribute_columns

        extra += (f", {df['respondent'].nunique():,} respondents, "
                  f"{df.groupby(['respondent', 'task']).ngroups:,} choice tasks, "
                  f"{len(attribute_columns(df.columns))} benefits shown")
    if args.table == "contacts":
        counts = df["channel"].value_counts()
        extra += ", channels " + ", ".join(f"{k} {v:,}" for k, v in counts.items())
    print(f"{args.path}: valid {args.table} table, {len(df):,} rows{extra}.")
    return 0
