"""``superkit simulate --out DIR [--customers N] [--seed S] [...]``: a world with known truth."""
from __future__ import annotations

import argparse

__all__ = ["add_parser", "run"]


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("simulate", help="write a simulated membership world with known truth",
                       description="Write transactions.csv, members.csv, events.csv, cohorts.csv (with "
                                   "--contacts also contacts.csv) and truth.json for a seeded world "
                                   "(see superkit.data.simulate).")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--customers", type=int, default=2000, help="number of customers (default 2000)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--start", default="2024-01-01", help="first day (default 2024-01-01)")
    p.add_argument("--end", default="2025-12-31", help="last day = observation end (default 2025-12-31)")
    p.add_argument("--no-membership", action="store_true",
                   help="no paid membership: a pure BG/NBD + Gamma-Gamma world")
    p.add_argument("--selection", type=float, default=1.0,
                   help="self-selection strength of joining on heaviness (0 = none; default 1.0)")
    p.add_argument("--join-rate", type=float, default=0.0015, help="joining hazard per day (default 0.0015)")
    p.add_argument("--uplift-frequency", type=float, default=1.3, help="purchase-rate multiplier while a member")
    p.add_argument("--uplift-spend", type=float, default=1.1, help="spend-per-purchase multiplier while a member")
    p.add_argument("--period-days", type=float, default=30.0, help="renewal period in days (default 30)")
    p.add_argument("--refund-rate", type=float, default=0.0, help="share of purchases partly refunded")
    p.add_argument("--contacts", action="store_true",
                   help="also contact customers through channels (superkit.data.simulate.DEFAULT_CONTACTS: "
                        "calls to heavy customers, texts and ads to all, app pushes that do nothing) over the "
                        "last six months, and write contacts.csv with the true conversions in truth.json")
    p.add_argument("--with-customer-truth", action="store_true",
                   help="also write customers_truth.csv (per-customer latent values; and contacts_truth.csv)")
    return p


def run(args) -> int:
    from superkit.data.simulate import DEFAULT_CONTACTS, simulate

    world = simulate(n_customers=args.customers, seed=args.seed, start=args.start, end=args.end,
                     membership=not args.no_membership, selection=args.selection,
                     join_rate=args.join_rate, uplift_frequency=args.uplift_frequency,
                     uplift_spend=args.uplift_spend, period_days=args.period_days,
                     refund_rate=args.refund_rate, contacts=DEFAULT_CONTACTS if args.contacts else None)
    out = world.write(args.out, customers=args.with_customer_truth)
    t = world.truth
    extra = ""
    if "contacts" in t:
        extra = f", {t['contacts']['n_contacts']:,} contacts"
    print(f"wrote {out}: {t['n_customers']:,} customers, {t['n_transactions']:,} transactions, "
          f"{t['n_members']:,} members{extra} (true causal spend ratio {t['true_causal_ratio']:.2f})")
    return 0
