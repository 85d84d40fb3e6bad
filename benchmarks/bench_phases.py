"""Time notebook 06's plan: the whole analysis, and its Monte Carlo against member-by-member simulation.

Usage: ``python benchmarks/bench_phases.py [--customers N]``. Prints medians of repeated runs,
measured in the same run:

1. **The whole analysis** (inputs, contact plan, projection, Monte Carlo, tornado, modes, action
   lists) on coffee_club (2,000 customers) and on a simulated client (``--customers``, default
   50,000), 24 months x 1,000 simulations.
2. **The Monte Carlo** (expected values carried per customer and per join cohort, vectorised over
   simulations) against the peer that simulates every customer and member: each contact a Bernoulli
   join, each member a churn probability drawn from its tier's beta distribution and a lapse drawn
   every month. No library plans a membership, so this brute-force simulation is the only peer; both
   use the same parameter draws, so their mean members at the horizon must agree (checked here).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from timing import median_time

from superkit.analyses import phases
from superkit.data import load_tables

DATA = Path(__file__).resolve().parent / "_data"


def client_tables(n: int):
    from superkit.data.simulate import simulate

    folder = DATA / f"phases_{n}"
    if not (folder / "members.csv").exists():
        simulate(n, seed=3).write(folder)
    return load_tables(str(folder / "transactions.csv"), str(folder / "members.csv"), "none",
                       benefits_path="coffee_club", observation_end="2025-12-31")


def agent_members(inputs, sched, draws, months, rng):
    """Members at the horizon per simulation, simulating every customer and member (the peer)."""
    n_sims = draws["alpha"].shape[0]
    chans = inputs.channels
    out = np.empty(n_sims)
    for s in range(n_sims):
        joined = np.zeros(len(inputs.pool), dtype=bool)
        members = []                              # (tier, theta) of members still paying
        ex = inputs.existing
        for _, row in ex.iterrows():              # members already paying: theta given their tenure
            t = inputs.tiers.index(row["tier"])
            a, b = draws["alpha"][s, t] , draws["beta"][s, t] + row["months"]
            members += [(t, th) for th in rng.beta(a, b, int(row["n"]))]
        for m in range(1, months + 1):
            # renewals first (members of earlier months), then this month's joins
            members = [(t, th) for t, th in members if rng.random() >= th]
            new = 0
            for ci, key in enumerate(chans):
                if not sched.active.get((m, key)):
                    continue
                ch = inputs.plan.channels[key]
                c = draws["conversion"][s, ci]
                if ch.external:
                    new += rng.binomial(int(ch.reach_per_month), c)
                    continue
                idx = sched.lists.get((m, key), np.array([], dtype=int))
                idx = idx[~joined[idx]]
                hit = idx[rng.random(len(idx)) < c]
                joined[hit] = True
                new += len(hit)
            tiers = rng.choice(len(inputs.tiers), size=new, p=inputs.mix)
            members += [(t, rng.beta(draws["alpha"][s, t], draws["beta"][s, t])) for t in tiers]
        out[s] = len(members)
    return out


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--customers", type=int, default=50000)
    p.add_argument("--peer-sims", type=int, default=200)
    args = p.parse_args()
    print("1. the whole analysis of notebook 06, 24 months x 1,000 simulations")
    coffee = load_tables("", "", "", benefits_path="", observation_end="2025-12-31")
    t_coffee, res = median_time(lambda: phases.run(coffee, observation_end="2025-12-31", n_sims=1000))
    print(f"   coffee_club (2,000 customers): {t_coffee:6.2f} s  (members at month 24: "
          f"{res.monthly['members'].iloc[-1]:,.0f})")
    client = client_tables(args.customers)
    t_client, res_c = median_time(lambda: phases.run(client, observation_end="2025-12-31", n_sims=1000), repeat=1)
    print(f"   simulated client ({args.customers:,} customers, {len(res_c.inputs.pool):,} non-members): "
          f"{t_client:6.2f} s")

    print(f"2. Monte Carlo, {args.peer_sims} simulations x 24 months on coffee_club: superkit vs member-by-member")
    inputs = res.inputs
    sched = res.projection.schedule
    draws = phases.monte_carlo(inputs, sched, 24, args.peer_sims, seed=1)["draws"]
    t_ours, ev = median_time(lambda: phases.evaluate(inputs, sched, draws, 24))
    rng = np.random.default_rng(2)
    t_peer, agent = median_time(lambda: agent_members(inputs, sched, draws, 24, rng), repeat=1)
    ours = ev["members"][:, -1]
    diff = agent.mean() - ours.mean()
    se = agent.std(ddof=1) / np.sqrt(len(agent))
    print(f"   superkit {t_ours:7.3f} s   member-by-member {t_peer:7.2f} s   ratio {t_peer / t_ours:7.0f}x")
    print(f"   mean members at month 24: superkit {ours.mean():.1f}, member-by-member {agent.mean():.1f} "
          f"(difference {diff:+.1f}, {abs(diff) / se:.1f} standard errors)")
    return 0 if abs(diff) < 4 * se else 1


if __name__ == "__main__":
    sys.exit(main())
