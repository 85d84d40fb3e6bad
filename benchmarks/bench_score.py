"""Benchmark: `superkit score` against a lifetimes script doing the same work, whole process vs whole process.

A weekly summary of N customers (default 1,000,000; drawn from the BG/NBD process in whole days over
ages of 1-730 days, then in weeks = days / 7, so few rows repeat: about 0.4 of them are distinct),
written as Parquet with string customer ids. Each tool runs as its own process, ``--repeats``
times: read the summary, fit BG/NBD and Gamma-Gamma, score every customer (P(alive), expected
purchases over 52 weeks, expected spend, 12-month CLV), write Parquet. Prints the median wall time,
the ratio lifetimes / superkit, each process's peak memory, and how far the two agree.

lifetimes' Gamma-Gamma fit is given a small penalizer (0.001) when it does not converge without
one (on these data it often does not); superkit's runs without.

    .venv/bin/python benchmarks/bench_score.py [--n 1000000] [--repeats 3]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from timing import run_measured

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data"
TRUTH = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}     # per day
SPEND = {"p": 6.0, "q": 4.0, "v": 15.0}

LIFETIMES_SCRIPT = r"""
import sys, warnings, pandas as pd, lifetimes
warnings.filterwarnings("ignore")
src, out = sys.argv[1:3]
d = pd.read_parquet(src).set_index("customer_id")
bg = lifetimes.BetaGeoFitter().fit(d["frequency"], d["recency"], d["T"])
rep = d[d["frequency"] > 0]
try:
    gg = lifetimes.GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"])
except Exception:
    gg = lifetimes.GammaGammaFitter(penalizer_coef=0.001).fit(rep["frequency"], rep["monetary_value"])
o = pd.DataFrame(index=d.index)
o["p_alive"] = bg.conditional_probability_alive(d["frequency"], d["recency"], d["T"])
o["expected_purchases"] = bg.conditional_expected_number_of_purchases_up_to_time(52, d["frequency"], d["recency"], d["T"])
o["expected_spend_per_purchase"] = gg.conditional_expected_average_profit(d["frequency"], d["monetary_value"])
o["expected_spend"] = o["expected_purchases"] * o["expected_spend_per_purchase"]
o["clv"] = gg.customer_lifetime_value(bg, d["frequency"], d["recency"], d["T"], d["monetary_value"], time=12,
                                      discount_rate=1.1 ** (1 / 12) - 1, freq="W")
o.to_parquet(out)
"""


def run(cmd: list[str]) -> dict:
    result = run_measured(cmd)
    if result["returncode"] != 0:
        raise SystemExit(f"command failed: {' '.join(cmd)}\n{result['output']}")
    return result


def make_summary(n: int, seed: int = 0) -> Path:
    from superkit import models

    DATA.mkdir(exist_ok=True)
    path = DATA / f"weekly_summary_{n}.parquet"
    if path.exists():
        return path
    d = models.simulate_bgnbd_summary(n, **TRUTH, T=(1, 730), seed=seed, whole_days=True)
    rng = np.random.default_rng(seed + 1)
    nu = rng.gamma(SPEND["q"], 1.0 / SPEND["v"], size=n)
    x = d["frequency"].to_numpy()
    m = np.zeros(n)
    pos = x > 0
    m[pos] = np.round(rng.gamma(SPEND["p"] * x[pos], 1.0 / (nu[pos] * x[pos])), 2)
    out = pd.DataFrame({"customer_id": np.char.add("C", np.arange(n).astype(str)),
                        "frequency": x.astype(float), "recency": d["recency"].to_numpy() / 7.0,
                        "T": d["T"].to_numpy() / 7.0, "monetary_value": np.maximum(m, 0.01 * pos)})
    out.to_parquet(path, index=False)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    src = make_summary(args.n)
    d = pd.read_parquet(src)
    distinct = len(d[["frequency", "recency", "T"]].drop_duplicates())
    print(f"{args.n:,} customers, {distinct:,} distinct (frequency, recency, T) rows, "
          f"{int((d['frequency'] > 0).sum()):,} repeat buyers")
    script = DATA / "lifetimes_score.py"
    script.write_text(LIFETIMES_SCRIPT)
    ours_out, ref_out, params = DATA / "score_ours.parquet", DATA / "score_ref.parquet", DATA / "score_params.json"
    superkit = [str(Path(sys.executable).with_name("superkit")), "score", str(src), "--unit", "W",
                "--horizon", "52", "--margin", "1", "--out", str(ours_out), "--params-out", str(params)]
    ours = [run(superkit) for _ in range(args.repeats)]
    ref = [run([sys.executable, str(script), str(src), str(ref_out)]) for _ in range(args.repeats)]
    mo, mr = statistics.median(r["seconds"] for r in ours), statistics.median(r["seconds"] for r in ref)
    print(f"{'tool':>9} {'median s':>9} {'runs':>24} {'peak MB':>8}")
    for name, runs, med in (("superkit", ours, mo), ("lifetimes", ref, mr)):
        print(f"{name:>9} {med:>9.2f} {str([round(r['seconds'], 2) for r in runs]):>24} "
              f"{max(r['peak_bytes'] for r in runs) / 1e6:>8.0f}")
    print(f"ratio lifetimes / superkit: {mr / mo:.1f}x (ask >= 5x)")
    a, b = pd.read_parquet(ours_out), pd.read_parquet(ref_out)
    b = b.loc[a.index]
    fitted = json.loads(params.read_text())["bgnbd"]
    print(f"BG/NBD per week: superkit {fitted}")
    for col in ("p_alive", "expected_purchases", "expected_spend_per_purchase"):
        print(f"  {col}: max abs difference {float(np.abs(a[col] - b[col]).max()):.2e}")
    print(f"  total 12-month CLV: superkit {a['clv'].sum():,.0f}, lifetimes {b['clv'].sum():,.0f} "
          "(superkit: calendar-average months and 10% a year; lifetimes: 4.35-week months at the same rate)")


if __name__ == "__main__":
    main()
