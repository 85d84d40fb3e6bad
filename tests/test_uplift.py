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


# --------------------------------------------------------------------------------- the customer half
from superkit.analyses.uplift import CUSTOMER_CLAIM, UpliftResult, referral_customers  # noqa: E402
from superkit.core.constants import DAYS_PER_YEAR  # noqa: E402
from superkit.data.contract import read_events  # noqa: E402


def _referral_world():
    """Two members (M1 all year; M2 from 1 July to 1 October), customers N1, R1..R4, and referrals
    that each hit one rule."""
    tx = pd.DataFrame({
        "customer_id": ["M1", "M1", "M2", "M2", "N1", "N1", "R1", "R2", "R3", "R4"],
        "timestamp": pd.to_datetime(["2024-01-01", "2024-06-01", "2024-01-10", "2024-08-01", "2024-01-05",
                                     "2024-12-01", "2024-03-10", "2024-08-15", "2024-11-01", "2024-01-02"]),
        "amount": [10.0, 12.0, 8.0, 9.0, 5.0, 6.0, 7.0, 7.0, 7.0, 7.0]})
    members = pd.DataFrame({"customer_id": ["M1", "M2"], "joined_at": pd.to_datetime(["2024-01-01", "2024-07-01"]),
                            "ended_at": pd.to_datetime([None, "2024-10-01"])})
    events = read_events(pd.DataFrame({
        "customer_id": ["M1", "N1", "M2", "M2", "M1", "M1", "N1"],
        "timestamp": ["2024-03-01", "2024-03-05", "2024-08-10", "2024-10-20", "2024-05-01", "2024-06-01", "2024-02-01"],
        "kind": ["referral", "referral", "referral", "referral", "referral", "referral", "share"],
        # R1 twice (the first counts), R2 while M2 is a member, R3 after M2's membership ended,
        # R4 had bought before (not new), GHOST never bought
        "referred_id": ["R1", "R1", "R2", "R3", "R4", "GHOST", None]}))
    return tx, members, events


def test_referral_rate_and_customer_lift_hand_computed():
    tx, members, events = _referral_world()
    pn = build_panel(tx, members, "2024-12-31")
    share = 2 / 7
    r = referral_customers(events, tx, members, pn, share, n_boot=50)
    member_years = (366 + 92) / DAYS_PER_YEAR          # M1 the whole leap year, M2 1 July - 1 October
    assert r["available"] and r["referred_customers"] == 2
    assert r["rate_member"] == pytest.approx(2 / member_years)
    # non-member time: each customer's first purchase to the end, less membership (M1 none, M2 265 days)
    assert r["rate_nonmember"] == pytest.approx(1 / ((265 + 362 + 297 + 139 + 61 + 365) / DAYS_PER_YEAR))
    # what becoming a super user adds: the members' rate less the rate the convert already referred at
    assert r["lift_per_point"] == pytest.approx(0.01 * (2 / member_years - r["rate_nonmember"]) / (1 - share))
    assert r["rate_needed_for_10pct"] == pytest.approx(0.10 * (1 - share) / 0.01)
    assert r["checks"] == {"links": 6, "outside_window": 0, "never_bought": 1, "referred_twice": 1,
                           "already_customers": 1, "referrer_not_customer": 0}
    assert len(r["warnings"]) == 1 and "GHOST" in r["warnings"][0] and "never bought" in r["warnings"][0]
    # even the interval's top (M2's rate alone, 1 / (92 days) = 4 a year) is far below the claimed +10%
    assert r["lift_per_point_ci"][1] < CUSTOMER_CLAIM[0] and r["verdict"] == "not_supported"


def test_referrals_that_all_never_bought_are_a_data_error_with_the_fix():
    tx, members, events = _referral_world()
    events = events.assign(referred_id=events["referred_id"].where(events["referred_id"].isna(), "X" + events["referred_id"].fillna("")))
    with pytest.raises(DataError, match="never bought.*leading zeros"):
        referral_customers(events, tx, members, build_panel(tx, members, "2024-12-31"), 2 / 7)


def test_without_referral_links_the_customer_half_is_not_testable():
    tx, members, events = _referral_world()
    pn = build_panel(tx, members, "2024-12-31")
    for ev, reason in ((None, "no_events"), (events.drop(columns="referred_id"), "no_links"),
                       (events.assign(referred_id=None), "no_links")):
        r = referral_customers(ev, tx, members, pn, 2 / 7)
        assert not r["available"] and r["reason"] == reason and r["verdict"] == "not_testable"
        assert r["rate_member"] is None and r["lift_per_point"] is None


@pytest.mark.parametrize("seed,rate", [(31, 0.5), (32, 3.0)])
def test_referral_rate_recovered_within_its_interval_on_simulated_worlds(seed, rate):
    w = simulate(n_customers=1500, seed=seed, referral_rate=rate)
    res = readings(w.transactions, w.members, END, n_boot=100, events=read_events(w.events))
    lo, hi = res["referrals_per_member_year_ci"]
    assert res["referral_links"] and lo <= rate <= hi
    assert res["referred_customers"] == w.truth["referrals"]["n_referred"]
    assert res["referrals_per_nonmember_year"] == 0.0          # only members refer in the simulator
    share = res["member_share"]
    assert res["implied_customer_lift_per_point"] == pytest.approx(
        0.01 * (res["referrals_per_member_year"] - res["referrals_per_nonmember_year"]) / (1 - share))
    # the truth's implication sits inside the implied interval too
    llo, lhi = res["implied_customer_lift_per_point_ci"]
    assert llo <= 0.01 * rate / (1 - share) <= lhi
    expected = "supported" if llo >= 0.10 else ("not_supported" if lhi < 0.10 else "inconclusive")
    assert res["customer_verdict"] == expected


# --------------------------------------------------------------------------------- languages
def _result(verdict_="not_supported"):
    r = {"naive_ratio": 4.1, "naive_ratio_ci": [3.6, 4.5], "segment_ratio": 8.7, "segment_ratio_ci": [7.9, 9.4],
         "pre_join_ratio": 2.2, "pre_join_ratio_ci": [2.0, 2.4], "causal_ratio": 1.42, "causal_ratio_ci": [1.34, 1.51],
         "verdict": verdict_, "claim_range": [5.0, 10.0]}
    return UpliftResult(readings=r, event_study=pd.DataFrame())


def test_headline_in_both_languages_from_the_catalogue():
    res = _result()
    en, zh = res.headline_text("en"), res.headline_text("zh")
    assert res.headline == en
    assert en.startswith("Members spend 4.1× non-members (95% 3.6–4.5)") and "does not support the 5–10× claim" in en
    assert "4.1 倍" in zh and "1.42 倍" in zh and "不支持“5–10 倍”" in zh and not any(c.isascii() and c.isalpha() for c in zh)
    assert "无法判定" in _result("inconclusive").headline_text("zh")
    t = res.readings_table("zh")
    assert list(t.columns) == ["reading", "ratio", "ci_low", "ci_high"] and t["reading"].iloc[3] == "因果：入会本身的效果"


def test_figures_draw_their_labels_in_the_asked_language():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from superkit.analyses import plotting

    ev = pd.DataFrame({"k": [-2, -1, 0, 1], "ratio": [1.0, 1.0, 1.3, 1.4], "ci_low": [0.9, 1.0, 1.1, 1.2],
                       "ci_high": [1.1, 1.0, 1.5, 1.6]})
    zh = plotting.figure_language("zh") == "zh"
    for lang in ("en", "zh"):
        fig, (a1, a2) = plt.subplots(1, 2)
        plotting.event_study(ev, ax=a1, lang=lang)
        plotting.four_readings(_result().readings_table(lang), (5, 10), {"JD PLUS 9×": 9.0}, ax=a2, lang=lang)
        labels = [a1.get_xlabel(), a1.get_ylabel(), a2.get_xlabel()] + [t.get_text() for t in a2.get_legend().get_texts()]
        cjk = [any("\u4e00" <= ch <= "\u9fff" for ch in s) for s in labels]
        assert all(cjk) if (lang == "zh" and zh) else not any(cjk), labels
        if lang == "en":
            assert "claim 5–10×" in labels and "months relative to the join month (0 = join month)" in labels
        plt.close(fig)
