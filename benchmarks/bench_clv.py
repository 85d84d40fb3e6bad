"""Benchmark: superkit.models (BG/NBD, Gamma-Gamma, Pareto/NBD) against lifetimes on the same work, in the same run.

1. BG/NBD + Gamma-Gamma on N customers (default 1,000,000): fit both models, then score everyone
   (P(alive), expected purchases over 365 days, 12-period CLV). lifetimes does the same with
   BetaGeoFitter, GammaGammaFitter and customer_lifetime_value(time=12, freq="D"); superkit uses the
   same 12 x 30-day periods and 1% per period so the CLV numbers can be compared one to one.
2. Pareto/NBD fit on 100,000 customers (lifetimes takes minutes: run once).

Summaries are drawn directly from the BG/NBD process (whole days, ages 1..730 days), spend from the
Gamma-Gamma process. Prints medians, the speed-up, parameter agreement and peak memory.

    .venv/bin/python benchmarks/bench_clv.py [--n 1000000] [--reps 3] [--pareto-n 100000]
"""
from __future__ import annotations

import argparse
import resource
import statistics
import time
import warnings

import numpy as np

warnings.filterwarnings("ignore")

from superkit import models  # noqa: E402

TRUTH = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}
SPEND = {"p": 6.0, "q": 4.0, "v": 15.0}


def make_summary(n: int, seed: int = 0):
    d = models.simulate_bgnbd_summary(n, **TRUTH, T=(1, 730), seed=seed, whole_days=True)
    rng = np.random.default_rng(seed + 1)
    nu = rng.gamma(SPEND["q"], 1.0 / SPEND["v"], size=n)  # per-customer spend rate
    x = d["frequency"].to_numpy()
    m = np.zeros(n)
    pos = x > 0
    # mean of x Gamma(p, nu) spends ~ Gamma(p x, nu x); rounded to cents as real data are
    m[pos] = np.round(rng.gamma(SPEND["p"] * x[pos], 1.0 / (nu[pos] * x[pos])), 2)
    d["monetary_value"] = np.maximum(m, 0.01 * pos)
    return d


def run_superkit(d):
    f, r, t, m = (d[c].to_numpy() for c in ("frequency", "recency", "T", "monetary_value"))
    bg = models.BetaGeoModel().fit(f, r, t)
    gg = models.GammaGammaModel().fit(f, m)
    pa = bg.conditional_probability_alive(f, r, t)
    ep = bg.conditional_expected_number_of_purchases_up_to_time(365, f, r, t)
    value = models.customer_lifetime_value(bg, gg, f, r, t, m, horizon=360, unit="D",
                                        times=np.arange(1, 13) * 30.0,
                                        factors=1.01 ** -np.arange(1, 13))
    return bg.params_, gg.params_, pa, ep, value


def run_lifetimes(d):
    import lifetimes

    bg = lifetimes.BetaGeoFitter().fit(d["frequency"], d["recency"], d["T"])
    rep = d[d["frequency"] > 0]
    gg = lifetimes.GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"])
    pa = bg.conditional_probability_alive(d["frequency"], d["recency"], d["T"])
    ep = bg.conditional_expected_number_of_purchases_up_to_time(365, d["frequency"], d["recency"],
                                                                d["T"])
    value = gg.customer_lifetime_value(bg, d["frequency"], d["recency"], d["T"], d["monetary_value"],
                                       time=12, discount_rate=0.01, freq="D")
    return bg.params_, gg.params_, np.asarray(pa), np.asarray(ep), value.to_numpy()


def timed(fn, *args, reps=1):
    times, out = [], None
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn(*args)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times, out


def rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.abs(b)))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--reps", type=int, default=3, help="repetitions of each timing (median)")
    ap.add_argument("--pareto-n", type=int, default=100_000, help="0 skips the Pareto/NBD part")
    args = ap.parse_args(argv)

    print(f"== BG/NBD + Gamma-Gamma, fit and score {args.n:,} customers ==")
    t0 = time.perf_counter()
    d = make_summary(args.n)
    (uf, ur, ut), w, _ = models.compress(d["frequency"], d["recency"], d["T"])
    print(f"simulated in {time.perf_counter() - t0:.1f} s; {int((d['frequency'] > 0).sum()):,} repeat "
          f"buyers; {len(uf):,} distinct (frequency, recency, T) rows")
    sk_med, sk_all, sk = timed(run_superkit, d, reps=args.reps)
    lt_med, lt_all, lt = timed(run_lifetimes, d, reps=args.reps)
    print(f"superkit : median {sk_med:7.2f} s  runs {[round(x, 2) for x in sk_all]}")
    print(f"lifetimes: median {lt_med:7.2f} s  runs {[round(x, 2) for x in lt_all]}")
    print(f"speed-up : {lt_med / sk_med:.1f}x (target >= 5x)")
    print(f"BG/NBD params  superkit {dict(sk[0].round(5))}\n               lifetimes "
          f"{dict(lt[0].round(5))}  max rel diff {rel(sk[0], lt[0]):.2e}")
    print(f"Gamma-Gamma    superkit {dict(sk[1].round(5))}\n               lifetimes "
          f"{dict(lt[1].round(5))}  max rel diff {rel(sk[1], lt[1]):.2e}")
    print(f"truth          BG/NBD {TRUTH}  Gamma-Gamma {SPEND}")
    print(f"P(alive) max abs diff {np.max(np.abs(sk[2] - lt[2])):.2e}; expected purchases max abs "
          f"diff {np.max(np.abs(sk[3] - lt[3])):.2e}; CLV total superkit {sk[4].sum():,.0f} vs "
          f"lifetimes {np.nansum(lt[4]):,.0f} (rel {abs(sk[4].sum() / np.nansum(lt[4]) - 1):.1e}; "
          f"lifetimes NaN rows {int(np.isnan(lt[4]).sum())})")

    if args.pareto_n:
        import lifetimes

        print(f"\n== Pareto/NBD fit on {args.pareto_n:,} customers (lifetimes run once) ==")
        p = make_summary(args.pareto_n, seed=7)
        sk_med, sk_all, pk = timed(lambda: models.ParetoNBDModel().fit(p["frequency"], p["recency"],
                                                                    p["T"]), reps=args.reps)
        lt_med, _, pl = timed(lambda: lifetimes.ParetoNBDFitter().fit(p["frequency"], p["recency"],
                                                                      p["T"]), reps=1)
        print(f"superkit : median {sk_med:7.2f} s  runs {[round(x, 2) for x in sk_all]}")
        print(f"lifetimes: {lt_med:7.2f} s (one run, its default Nelder-Mead, tol 1e-4)")
        print(f"speed-up : {lt_med / sk_med:.1f}x")
        print(f"params superkit {dict(pk.params_.round(5))}\n       lifetimes "
              f"{dict(pl.params_.round(5))}  max rel diff {rel(pk.params_, pl.params_):.2e}")
        print(f"log-likelihood at the optimum: superkit {pk.log_likelihood_:.3f}, lifetimes "
              f"{-pl._negative_log_likelihood_:.3f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory (RSS) {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
