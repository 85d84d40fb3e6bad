"""The simulator: without membership it is exactly BG/NBD + Gamma-Gamma; its knobs do what they say."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from lifetimes import BetaGeoFitter, GammaGammaFitter

from superkit.data.contract import read_cohorts, read_events, read_members, read_transactions
from superkit.data.summary import summarize
from superkit.data.simulate import simulate


def _within(fitter, truth: dict, z: float = 3.0):
    """Each true value lies within z standard errors of the estimate."""
    summ = fitter.summary
    for k, v in truth.items():
        se = float(summ.loc[k, "se(coef)"])
        assert abs(float(summ.loc[k, "coef"]) - v) <= z * se, (k, float(summ.loc[k, "coef"]), v, se)


@pytest.fixture(scope="module")
def pure():
    return simulate(12000, seed=3, membership=False)


def test_exact_statistics_recover_bgnbd_and_gamma_gamma(pure):
    c = pure.customers
    bg = BetaGeoFitter().fit(c["x"], c["t_x"], c["T"])
    _within(bg, pure.truth["bgnbd"])
    rep = c[c["x"] > 0]
    gg = GammaGammaFitter().fit(rep["x"], rep["repeat_spend_mean"])
    _within(gg, {k: pure.truth["gamma_gamma"][k] for k in ("p", "q", "v")})


def test_transactions_summarised_by_day_recover_truth():
    # rates low enough that two purchases on one calendar day are rare
    w = simulate(5000, seed=8, membership=False, r=0.5, alpha=40.0)
    s = summarize(w.transactions, w.truth["end"], unit="D")
    bg = BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
    _within(bg, w.truth["bgnbd"])
    rep = s[s["frequency"] > 0]
    gg = GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"])
    _within(gg, {k: w.truth["gamma_gamma"][k] for k in ("p", "q", "v")})


def test_no_membership_means_no_members_and_no_member_purchases(pure):
    assert len(pure.members) == 0 and len(pure.cohorts) == 0
    assert np.isnan(pure.customers["joined_day"]).all()


def test_same_seed_same_world_and_tables_meet_the_contract(tmp_path):
    a, b = simulate(300, seed=42), simulate(300, seed=42)
    pd.testing.assert_frame_equal(a.transactions, b.transactions)
    a.write(tmp_path)
    read_transactions(tmp_path / "transactions.csv", observation_end=a.truth["end"])
    read_members(tmp_path / "members.csv", observation_end=a.truth["end"])
    read_events(tmp_path / "events.csv", observation_end=a.truth["end"])
    read_cohorts(tmp_path / "cohorts.csv")
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert truth["seed"] == 42 and truth["true_causal_ratio"] == pytest.approx(1.3 * 1.1)
    assert simulate(300, seed=43).transactions["amount"].sum() != a.transactions["amount"].sum()


def test_selection_knob_makes_members_heavier():
    strong = simulate(3000, seed=1, selection=1.5, join_rate=0.002).customers
    none = simulate(3000, seed=1, selection=0.0, join_requires_alive=False, join_rate=0.002).customers
    gap = lambda c: c.loc[c.joined_day.notna(), "heaviness"].mean() - c.loc[c.joined_day.isna(), "heaviness"].mean()
    assert gap(strong) > 0.5
    assert abs(gap(none)) < 0.15


def test_member_purchase_rate_is_multiplied_by_the_uplift():
    # Compare purchases per day inside vs outside memberships for members still buying.
    w = simulate(4000, seed=2, uplift_frequency=2.0, uplift_spend=1.0, selection=0.0,
                 join_requires_alive=False, join_rate=0.003, a=0.01, b=1000.0)  # almost no dropout
    c = w.customers.set_index("customer_id")
    tx = w.transactions.assign(day=(w.transactions["timestamp"] - pd.Timestamp(w.truth["start"])).dt.total_seconds() / 86400)
    tx = tx.join(c[["joined_day", "ended_day", "first_purchase_day", "purchase_rate"]], on="customer_id")
    mem = tx[tx["joined_day"].notna()]
    horizon = 731.0
    inside = (mem["day"] >= np.floor(mem["joined_day"])) & (mem["day"] < mem["ended_day"])
    first = mem.groupby("customer_id")["day"].transform("min") == mem["day"]
    cc = c[c["joined_day"].notna()]
    time_in = (np.minimum(cc["ended_day"], horizon) - cc["joined_day"]).clip(lower=0)
    time_out = (cc["joined_day"] - cc["first_purchase_day"]) + (horizon - np.minimum(cc["ended_day"], horizon))
    rate_in = inside.sum() / (cc["purchase_rate"] * time_in).sum()
    rate_out = (~inside & ~first).sum() / (cc["purchase_rate"] * time_out).sum()
    assert rate_in / rate_out == pytest.approx(2.0, rel=0.08)


def test_member_spend_is_multiplied_by_the_uplift():
    w = simulate(3000, seed=4, uplift_frequency=1.0, uplift_spend=3.0, selection=0.0,
                 join_requires_alive=False, join_rate=0.003)
    c = w.customers.set_index("customer_id")
    tx = w.transactions.join(c[["joined_day", "ended_day", "mean_spend"]], on="customer_id")
    day = (tx["timestamp"] - pd.Timestamp(w.truth["start"])).dt.total_seconds() / 86400
    inside = (day >= tx["joined_day"]) & (day < tx["ended_day"])
    ratio = (tx["amount"] / tx["mean_spend"])
    assert ratio[inside].mean() / ratio[~inside].mean() == pytest.approx(3.0, rel=0.05)


def test_renewal_follows_the_tier_sbg():
    w = simulate(20000, seed=6, join_rate=0.01, tiers={"V1": {"fee": 99.0, "alpha": 1.0, "beta": 3.0}})
    c = w.customers[w.customers["tier"] == "V1"]
    # P(pay exactly 1 period) = alpha / (alpha + beta) under the sBG = 0.25
    assert (c["periods_paid"] == 1).mean() == pytest.approx(0.25, abs=0.02)
    # P(pay >= 3 periods) = B(a, b+2)/B(a, b) = b(b+1)/((a+b)(a+b+1)) = 12/20
    assert (c["periods_paid"] >= 3).mean() == pytest.approx(0.6, abs=0.02)


def test_cohorts_only_shrink_and_start_with_size():
    w = simulate(2000, seed=9)
    coh = read_cohorts(w.cohorts)
    sizes = coh[coh.period == 0].set_index("cohort")["active"]
    m = w.members.assign(q=lambda d: d["tier"] + " " + d["joined_at"].dt.to_period("Q").astype(str))
    assert sizes.to_dict() == m.groupby("q").size().to_dict()


def test_engagement_events_rise_with_heaviness():
    w = simulate(3000, seed=10)
    c = w.customers.set_index("customer_id")
    n_tx = w.transactions.groupby("customer_id").size()
    shares = w.events[w.events.kind == "share"].groupby("customer_id").size().reindex(c.index, fill_value=0)
    per_purchase = shares / n_tx.reindex(c.index)
    top = c["engagement"] > c["engagement"].quantile(0.8)
    assert per_purchase[top].mean() > 2 * per_purchase[~top].mean()


@pytest.mark.parametrize("bad", [dict(n_customers=0), dict(r=-1.0), dict(q=0.5), dict(period_days=0),
                                 dict(start="2025-01-01", end="2024-01-01")])
def test_bad_knobs_are_refused(bad):
    from superkit.core.errors import DataError

    with pytest.raises(DataError):
        simulate(**{"n_customers": 10, **bad})


def test_referrals_add_linked_new_customers_at_the_known_rate_and_leave_the_rest_alone():
    base = simulate(1500, seed=21)
    w = simulate(1500, seed=21, referral_rate=1.5)
    ref = w.truth["referrals"]
    # the first 1,500 customers, their members and their purchase-triggered events are the same world
    old = w.transactions[w.transactions["customer_id"].isin(base.customers["customer_id"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(old, base.transactions)
    pd.testing.assert_frame_equal(w.members, base.members)
    assert "referred_id" not in base.events.columns
    pd.testing.assert_frame_equal(w.events[w.events["referred_id"].isna()].drop(columns="referred_id")
                                  .reset_index(drop=True), base.events)
    links = read_events(w.events)
    links = links[links["referred_id"].notna()]
    assert len(links) == ref["n_referred"] > 100
    assert set(links["kind"]) == {"referral"} and links["customer_id"].isin(w.members["customer_id"]).all()
    first = w.transactions.groupby("customer_id")["timestamp"].min()
    assert (first.reindex(links["referred_id"]).to_numpy() > links["timestamp"].to_numpy()).all()   # new customers
    assert not links["referred_id"].isin(w.members["customer_id"]).any()        # ordinary, never members
    # Poisson count over the member-years: within 3 standard errors of the rate
    se = (ref["rate_per_member_year"] / ref["member_years"]) ** 0.5
    assert abs(ref["realised_rate"] - 1.5) < 3 * se
