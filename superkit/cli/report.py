"""``superkit report [--config FILE] [--out DIR]``: run every notebook and write reports/<run>/."""
from __future__ import annotations

import argparse
import sys

__all__ = ["add_parser", "run"]


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "report",
        help="run every notebook with papermill and write an HTML report",
        description="Run every notebook in notebooks/ with papermill (on the bundled coffee_club data, "
                    "or on your data with --config) and write reports/<run>/: index.html, one HTML page "
                    "per notebook (code hidden), the executed notebooks and results.json. Exits 1 if a "
                    "notebook failed (the others still run; index.html says why).",
    )
    p.add_argument("--config", metavar="FILE",
                   help="YAML file with data paths, a column mapping and parameters (see README.md)")
    p.add_argument("--out", metavar="DIR",
                   help="write the report folder here instead of reports/<run>/ (replaced if it exists)")
    p.add_argument("--only", metavar="STEM", action="extend", nargs="+",
                   help="run only these notebooks, e.g. --only 04_spend_uplift 05_benefit_bundles "
                        "(later notebooks read the earlier ones' results of the same run)")
    p.add_argument("--notebooks", metavar="DIR", help="folder of notebooks to run (default: notebooks/)")
    p.add_argument("--timeout", metavar="SECONDS", type=float,
                   help="seconds allowed per notebook cell (default: the config's, else 600)")
    p.add_argument("--jobs", metavar="N", type=int,
                   help="notebooks run at once (default: the config's jobs, else one per core, at most 2); "
                        "05 and 06 wait for the notebooks before them")
    p.add_argument("--lang", metavar="LANG", choices=("en", "zh"),
                   help="the report's language: en (default) or zh (简体中文: pages, headlines, tables, figures); "
                        "or 'language:' in the config")
    p.add_argument("--pdf", action="store_true", default=None,
                   help="also print the index and every page to pdf/ with headless Chromium (for decks); "
                        "or 'pdf: true' in the config")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def run(args) -> int:
    from superkit.core.paths import NOTEBOOKS_DIR
    from superkit.report import build_report

    report = build_report(args.config, args.out, notebooks_dir=args.notebooks or NOTEBOOKS_DIR,
                          only=args.only, timeout=args.timeout, progress=not args.no_progress,
                          jobs=args.jobs, lang=args.lang, pdf=args.pdf)
    n = len(report.runs)
    print(f"Report: {report.path / 'index.html'}")
    if (report.path / "pdf" / "index.pdf").exists():
        print(f"  PDF:  {report.path / 'pdf'}/ (index.pdf and one file per page)")
    print(f"  {n - len(report.failed)} of {n} notebooks ran in {report.seconds:.0f} s; "
          f"all results in {report.path / 'results.json'}")
    if report.failed:
        print(f"  FAILED: {', '.join(report.failed)} (index.html says why)", file=sys.stderr)
        return 1
    return 0
