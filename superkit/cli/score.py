"""``superkit score SUMMARY --model {bgnbd,mbgnbd,pareto_nbd} --horizon N --out FILE [--params-out JSON]``.

Fits the purchase-count model and Gamma-Gamma on a summary written by ``superkit summarize`` and
writes one row per customer: P(alive), expected purchases over the horizon (in the summary's
unit), expected spend per purchase, expected spend and CLV (discounted margin).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from superkit.core.checks import require_columns
from superkit.core.errors import DataError

__all__ = ["add_parser", "read_summary", "run"]


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("score", help="per-customer P(alive), expected purchases, spend and CLV",
                       description="Fit BG/NBD, MBG/NBD or Pareto/NBD plus Gamma-Gamma on a summary "
                                   "(from `superkit summarize`) and score every customer. Writes CSV "
                                   "or Parquet by the suffix of --out.")
    p.add_argument("summary", help="summary file (CSV or Parquet) from `superkit summarize`")
    p.add_argument("--model", choices=["bgnbd", "mbgnbd", "pareto_nbd"], default="bgnbd",
                   help="purchase-count model (default bgnbd)")
    p.add_argument("--horizon", type=float, required=True,
                   help="prediction horizon in the summary's unit (e.g. 365 for a year in days)")
    p.add_argument("--unit", choices=["D", "W"], default="D",
                   help="the unit the summary was written in (`summarize --unit`); default D")
    p.add_argument("--discount-rate", type=float, default=0.10,
                   help="annual discount rate for CLV (default 0.10)")
    p.add_argument("--margin", type=float, default=1.0,
                   help="share of spend kept as profit, 0-1 (default 1: revenue)")
    p.add_argument("--penalizer", type=float, default=0.0,
                   help="L2 penalty on the parameters (lifetimes' penalizer_coef); try 0.001-0.1 "
                        "if the fit does not converge")
    p.add_argument("--out", required=True, help="output file: .csv or .parquet")
    p.add_argument("--params-out", default=None, metavar="JSON",
                   help="also write the fitted parameters as JSON keyed by model name")
    return p


def read_summary(path: str):
    import pandas as pd

    src = Path(path)
    if not src.exists():
        raise DataError("file not found", source=str(src), fix="check the path of the summary file.")
    try:
        if src.suffix.lower() in (".parquet", ".pq"):
            df = pd.read_parquet(src)
        else:
            df = pd.read_csv(src, dtype={"customer_id": str})
    except Exception as exc:  # pandas/pyarrow raise many types
        raise DataError(f"could not be read ({str(exc).splitlines()[0][:200]})", source=str(src),
                        fix="give the CSV or Parquet file written by `superkit summarize`.") from None
    if "customer_id" in df.columns:
        df = df.set_index("customer_id")
    require_columns(df, ["frequency", "recency", "T", "monetary_value"], str(src),
                    fix="score the output of `superkit summarize` (it has frequency, recency, T, "
                        "monetary_value).")
    return df


def run(args) -> int:
    from superkit.analyses.clv import score_customers
    from superkit.core.io import atomic_write_frame, atomic_write_text, to_jsonable
    from superkit.models.registry import COUNT_MODEL_LABELS
    from superkit.models.units import UNIT_NAMES

    t0 = time.perf_counter()
    summary = read_summary(args.summary)
    scores, fitted = score_customers(summary, args.model, horizon=args.horizon, unit=args.unit,
                                     discount_rate=args.discount_rate, margin=args.margin,
                                     penalizer_coef=args.penalizer)
    out = scores[["p_alive", "expected_purchases", "expected_spend_per_purchase",
                  "expected_spend", "clv"]]
    atomic_write_frame(out, args.out, index=True)
    if args.params_out:
        params = {
            args.model: fitted["model"].params,
            "gamma_gamma": fitted["gamma_gamma"].params,
            "settings": {"unit": args.unit, "horizon": args.horizon,
                         "discount_rate": args.discount_rate, "margin": args.margin,
                         "penalizer_coef": args.penalizer, "n_customers": len(summary)},
        }
        atomic_write_text(args.params_out, json.dumps(to_jsonable(params), indent=2))
    unit = UNIT_NAMES[args.unit]
    print(f"wrote {args.out}: {len(out):,} customers scored with {COUNT_MODEL_LABELS[args.model]} + "
          f"Gamma-Gamma over {args.horizon:g} {unit}; total CLV {out['clv'].sum():,.0f} "
          f"({time.perf_counter() - t0:.1f} s)")
    return 0
