"""The whole report at client scale: ``superkit report --config`` on worlds made by ``superkit simulate``.

Targets on a 2-core machine: 200k customers (~3.5M transactions) in at most 2 minutes; 1M customers
(~18M transactions) in at most 10 minutes at no more than 8 GB peak memory. Peak memory is the sum
of the resident memory of the report and every kernel it started, sampled every 0.2 s (what the
machine must have), not the largest single process.

Each world is generated once into ``benchmarks/_data/world_<n>/`` with the simulator (transactions,
members, events; the bundled coffee_club benefit catalog and plan, whose tiers the simulator uses).
Prints, per world: the seconds of reading the inputs once, of each notebook, of the whole run, the
peak memory, and whether the targets hold.

    .venv/bin/python benchmarks/bench_report.py                      # 200k and 1M
    .venv/bin/python benchmarks/bench_report.py --customers 200000   # one world
    .venv/bin/python benchmarks/bench_report.py --engine spark       # the same on Spark local
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from timing import run_measured

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "_data"
TARGETS = {200_000: (120.0, None), 1_000_000: (600.0, 8.0)}   # seconds, GB


def world(n: int, seed: int) -> Path:
    folder = DATA / f"world_{n}_seed{seed}"
    if not (folder / "transactions.csv").exists():
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "superkit.cli", "simulate", "--customers", str(n), "--seed", str(seed),
                        "--out", str(folder)], check=True)
        print(f"  generated {folder.name} in {time.perf_counter() - t:.0f} s")
    return folder


def run_report(folder: Path, engine: str, jobs: int | None) -> dict:
    cfg = folder / f"bench_{engine}.yml"
    coffee = ROOT / "datasets" / "coffee_club"
    cfg.write_text(json.dumps({
        "engine": engine, "timeout": 1800,
        "data": {"transactions": "transactions.csv", "members": "members.csv", "events": "events.csv",
                 "benefits": str(coffee / "benefits.csv"), "plan": str(coffee / "plan.yaml")},
        "parameters": {"all": {"observation_end": "2025-12-31"}}}), encoding="utf-8")
    out = folder / f"report_{engine}"
    cmd = [sys.executable, "-m", "superkit.cli", "report", "--config", str(cfg), "--out", str(out), "--no-progress"]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    r = run_measured(cmd)
    log = json.loads((out / "run.json").read_text(encoding="utf-8")) if (out / "run.json").exists() else {}
    return {"seconds": r["seconds"], "peak_gb": r["peak_bytes"] / 1024 ** 3, "exit": r["returncode"], "log": log,
            "output": r["output"]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, nargs="+", default=[200_000, 1_000_000])
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--engine", default="duckdb", choices=["duckdb", "spark"])
    ap.add_argument("--jobs", type=int, default=None, help="notebooks at once (default: the report's)")
    args = ap.parse_args(argv)
    ok = True
    for n in args.customers:
        folder = world(n, args.seed)
        rows = sum(1 for _ in open(folder / "transactions.csv", "rb")) - 1
        print(f"\n{n:,} customers, {rows:,} transactions ({args.engine}):")
        r = run_report(folder, args.engine, args.jobs)
        log = r["log"]
        for table, s in (log.get("staging_seconds") or {}).items():
            print(f"  read {table} once      {s:7.1f} s")
        for stem, nb in (log.get("notebooks") or {}).items():
            print(f"  {stem:22s} {nb['seconds']:7.1f} s  {'ok' if nb['ok'] else 'FAILED: ' + str(nb['error'])[:150]}")
        print(f"  whole report           {r['seconds']:7.1f} s, peak memory {r['peak_gb']:.2f} GB "
              f"(jobs {log.get('jobs')})")
        limit_s, limit_gb = TARGETS.get(n, (None, None))
        verdict = []
        if limit_s:
            verdict.append(f"time {'ok' if r['seconds'] <= limit_s else 'OVER'} (target {limit_s:.0f} s)")
        if limit_gb:
            verdict.append(f"memory {'ok' if r['peak_gb'] <= limit_gb else 'OVER'} (target {limit_gb:.0f} GB)")
        all_ok = r["exit"] == 0 and all(nb["ok"] for nb in (log.get("notebooks") or {}).values())
        verdict.append("every notebook ok" if all_ok else "NOT every notebook ok")
        print("  " + "; ".join(verdict))
        if not all_ok:
            print(r["output"][-2000:])
        ok &= all_ok and (not limit_s or r["seconds"] <= limit_s) and (not limit_gb or r["peak_gb"] <= limit_gb)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
