"""Validation of superkit.analyses.uplift against known truth (simulated worlds) and bad input."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from superkit.core.errors import DataError
from superkit.data.simulate import simulate
from superkit.analyses.uplift import (readings, build_panel, causal_ratio, naive_ratio, implied_sales_lift,
                             verdict)

END = "2025-12-31"


def _world(seed, uf, us, selection=2.0, alive=True, n=2000):
    return simulate(n_customers=n, seed=seed, selection=selection, join_requires_alive=alive,
                    uplift_frequency=uf, uplift_spend=us)


def _causal(w):
    pn = build_panel(w.transactions, w.members, END)
    return pn, causal_ratio(w.transactions, w.members, pn)


# --------------------------------------------------------------------------------- known truth
# (the coverage studies of the causal estimator are in tests/test_causal.py)
@pytest.mark.parametrize("uf,us", [(1.0, 1.0), (1.5, 1.0), (2.0, 1.5)])
def test_naive_ratio_far_off_while_causal_interval_covers_truth_under_strong_selection(uf, us):
    truth = uf * us
    w = _world(11, uf, us)
    pn, cz = _causal(w)
    nv = naive_ratio(pn, n_boot=100)
    assert nv["ratio"] > 2.0 * truth                      # selection inflates the naive ratio
    assert not (nv["ci"][0] <= truth <= nv["ci"][1])
    assert cz["ci"][0] <= truth <= cz["ci"][1]
    assert cz["ratio"] < nv["ci"][0]


def test_frequency_and_basket_ratios_split_the_effect():
    w = _world(12, 1.6, 1.25, selection=1.0)
    _, cz = _causal(w)
    assert cz["frequency_ratio_ci"][0] <= 1.6 <= cz["frequency_ratio_ci"][1]
    assert cz["basket_ratio"] == pytest.approx(1.25, rel=0.08)


def test_no_selection_world_naive_and_causal_agree():
    # A randomised offer: members are a random 40% (joining ignores behaviour and survival), join
    # soon after their first purchase and hardly ever lapse, so the naive ratio is fair too.
    for seed in (1, 2):
        w = simulate(n_customers=2000, seed=seed, selection=0.0, join_requires_alive=False,
                     offer_share=0.4, join_rate=0.05, uplift_frequency=1.3, uplift_spend=1.1,
                     tiers={"V1": {"fee": 99.0, "alpha": 0.05, "beta": 50.0}})
        pn, cz = _causal(w)
        nv = naive_ratio(pn, n_boot=200)
        truth = w.truth["true_causal_ratio"]
        assert cz["ci"][0] <= nv["ci"][1] and nv["ci"][0] <= cz["ci"][1]
        assert abs(math.log(nv["ratio"] / truth)) < 0.15
        assert cz["ci"][0] <= truth <= cz["ci"][1]


def test_event_study_placebo_months_near_one_and_effect_after_joining():
    w = _world(5, 1.5, 1.0)
    _, cz = _causal(w)
    ev = cz["event_study"]
    pre = ev[(ev["k"] < -1) & ev["ratio"].notna()]
    post = ev[(ev["k"] >= 0) & ev["ratio"].notna()]
    assert len(pre) >= 4 and len(post) >= 10
    assert np.all(np.abs(np.log(pre["ratio"])) < 0.25)
    assert np.median(post["ratio"]) == pytest.approx(1.5, rel=0.15)


# --------------------------------------------------------------------------------- pieces
def test_verdict_rule():
    assert verdict([5.0, 7.0], 5) == "supported"
    assert verdict([1.2, 4.99], 5) == "not_supported"
    assert verdict([3.0, 6.0], 5) == "inconclusive"


def test_implied_sales_lift_hand_computed():
    # 10% members spending 4x: base = 0.1*4 + 0.9 = 1.3; +1pp converts at 1.5x -> 0.01*0.5/1.3
    assert implied_sales_lift(1.5, 0.1, 4.0) == pytest.approx(0.005 / 1.3)


def test_readings_keys_and_inputs_unchanged():
    w = simulate(n_customers=600, seed=3)
    tx, mem = w.transactions.copy(), w.members.copy()
    res = readings(w.transactions, w.members, END, n_boot=50)
    for k in ("naive_ratio", "naive_ratio_ci", "segment_ratio", "pre_join_ratio", "causal_ratio",
              "causal_ratio_ci", "selection_share", "verdict", "claim_range"):
        assert k in res
    pd.testing.assert_frame_equal(tx, w.transactions)
    pd.testing.assert_frame_equal(mem, w.members)


# --------------------------------------------------------------------------------- bad input
@pytest.fixture(scope="module")
def small():
    return simulate(n_customers=300, seed=7)


def test_no_members_is_data_error(small):
    with pytest.raises(DataError, match="no members"):
        build_panel(small.transactions, small.members.iloc[0:0], END)


def test_members_not_in_transactions_is_data_error(small):
    m = small.members.copy()
    m.loc[0, "customer_id"] = "NOBODY"
    with pytest.raises(DataError, match="never appear"):
        build_panel(small.transactions, m, END)


def test_join_dates_outside_window_is_data_error(small):
    m = small.members.copy()
    m.loc[0, "joined_at"] = pd.Timestamp("2023-06-01")
    with pytest.raises(DataError, match="outside the analysis window"):
        build_panel(small.transactions, m, END)
