"""superkit.analyses.super_users on a hand-made data set whose answers are worked out by hand below."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from superkit.analyses import super_users
from superkit.core.errors import DataError, ParameterError

END = "2025-12-31"


def _tx(cid, day, amount, category="coffee", brand="Brew"):
    return {"customer_id": cid, "timestamp": pd.Timestamp(day), "amount": float(amount),
            "category": category, "brand": brand}


def hand_made():
    """Ten customers; net revenue before 2026: c01..c08 10 yuan each, c09 and c10 160 each.

    Total 400. Top 20% (c09, c10) = 320/400 = 0.80; top 10% = 160/400 = 0.40.
    Gini = sum_i (2i - 11) x_i / (10 * 400) with x ascending:
      i=1..8: sum(2i - 11) = -16 -> -160;  i=9: 7 * 160 = 1120;  i=10: 9 * 160 = 1440
      -> 2400 / 4000 = 0.60.
    Criteria (min 3 repeat purchases within 60 days; 2+ categories or brands; min 2 criteria):
      c09: 4 purchase days, last 2025-12-01 (30 days)      -> frequency_recency; coffee + tea -> cross.
           active V2 member -> on the list (member).
      c10: 4 purchase days, last 2024-12-31 (365 days)     -> NOT frequency (the "A" of the method);
           1 feedback -> 1 criterion -> not on the list.
      c01: 1 purchase day, feedback + share                -> 2 criteria but fails "paid again".
      c02: 2 purchase days, complaint + referral           -> 2 criteria, membership ended -> prospect.
      c03: 2 purchase days, brands Brew + Leaf, 1 share    -> 2 criteria -> prospect.
      c04: 3 purchase days + a refund day (net 10)         -> 2 repeats only; 1 review -> 1 criterion.
      c05: 4 purchase days, last 2025-12-31; a 100-yuan purchase on 2026-01-02 is after the end.
           -> frequency only -> not on the list.
      c06..c08: one purchase; c06's share on 2026-01-03 is after the end and does not count.
    List: c09 (160), c02 (10), c03 (10): 3 customers, 180/400 = 0.45 of revenue; only c09 when
    frequency with recency is required.
    """
    t = []
    t += [_tx("c09", d, 40, cat) for d, cat in
          [("2025-03-01", "coffee"), ("2025-06-01", "tea"), ("2025-09-01", "coffee"), ("2025-12-01", "coffee")]]
    t += [_tx("c10", d, 40) for d in ["2024-03-01", "2024-06-01", "2024-09-01", "2024-12-31"]]
    t += [_tx("c01", "2025-05-05", 10)]
    t += [_tx("c02", "2025-11-01", 5), _tx("c02", "2025-12-20", 5)]
    t += [_tx("c03", "2025-10-01", 5, brand="Brew"), _tx("c03", "2025-10-08", 5, brand="Leaf")]
    t += [_tx("c04", d, 5) for d in ["2025-11-01", "2025-11-08", "2025-11-15"]]
    t += [_tx("c04", "2025-11-20", -5)]
    t += [_tx("c05", d, 2.5) for d in ["2025-10-01", "2025-11-01", "2025-12-01"]]
    t += [_tx("c05", "2025-12-31 18:30", 2.5), _tx("c05", "2026-01-02", 100)]
    t += [_tx(c, "2025-07-07", 10) for c in ("c06", "c07", "c08")]
    transactions = pd.DataFrame(t)

    events = pd.DataFrame([
        {"customer_id": "c10", "timestamp": pd.Timestamp("2024-05-01"), "kind": "feedback"},
        {"customer_id": "c01", "timestamp": pd.Timestamp("2025-05-06"), "kind": "feedback"},
        {"customer_id": "c01", "timestamp": pd.Timestamp("2025-05-07"), "kind": "share"},
        {"customer_id": "c02", "timestamp": pd.Timestamp("2025-11-02"), "kind": "complaint"},
        {"customer_id": "c02", "timestamp": pd.Timestamp("2025-11-03"), "kind": "referral"},
        {"customer_id": "c03", "timestamp": pd.Timestamp("2025-10-09"), "kind": "share"},
        {"customer_id": "c04", "timestamp": pd.Timestamp("2025-11-09"), "kind": "review"},
        {"customer_id": "c06", "timestamp": pd.Timestamp("2026-01-03"), "kind": "share"},
    ])
    members = pd.DataFrame({
        "customer_id": ["c09", "c02", "c07"],
        "joined_at": pd.to_datetime(["2025-02-01", "2025-01-01", "2026-01-10"]),
        "tier": ["V2", "V1", "V1"],
        "ended_at": pd.to_datetime([None, "2025-06-30", None]),
    })
    return transactions, members, events


def test_concentration_matches_hand_computation():
    tx, members, events = hand_made()
    scores = super_users.score_criteria(tx, members, events, END)
    conc = super_users.concentration(scores.table["revenue"])
    assert conc.n_customers == 10
    assert conc.total_revenue == pytest.approx(400)
    assert conc.top20_share == pytest.approx(0.80)
    assert conc.top10_share == pytest.approx(0.40)
    assert conc.gini == pytest.approx(0.60)
    # 80% of revenue needs exactly the top 20% of customers here.
    assert conc.share_of_top_customers_for_80pct == pytest.approx(0.20)
    assert "80%" in conc.reading()


def test_gini_equals_mean_absolute_difference_definition():
    x = np.random.default_rng(3).gamma(0.7, 50, size=257)
    mad = np.abs(x[:, None] - x[None, :]).sum() / (2 * x.size ** 2 * x.mean())
    assert super_users.gini(x) == pytest.approx(mad, rel=1e-12)
    assert super_users.gini(np.full(20, 7.0)) == pytest.approx(0.0, abs=1e-12)
    one = np.zeros(100)
    one[0] = 5
    assert super_users.gini(one) == pytest.approx(0.99)  # (n-1)/n without small-sample correction


def test_top_share_interpolates_fractional_customers():
    # n = 3: top 20% = 0.6 of a customer, all from the biggest one (60 of 100) -> 0.6 * 60 / 100.
    assert super_users.top_share([10, 30, 60], 0.2) == pytest.approx(0.36)
    assert super_users.top_share([10, 30, 60], 1.0) == pytest.approx(1.0)
    lc = super_users.lorenz_curve([10, 30, 60])
    assert lc["revenue_share"].tolist() == pytest.approx([0, 0.1, 0.4, 1.0])


def test_share_multiple_matches_evidence_arithmetic():
    # Yoon's superconsumers (HBR 2013-14): top 10% with 30% / 50% / 70% of sales spend ~3.9x / 9x / 21x the rest.
    assert super_users.share_multiple(0.3, 0.1) == pytest.approx(3.857, abs=1e-3)
    assert super_users.share_multiple(0.5, 0.1) == pytest.approx(9.0)
    assert super_users.share_multiple(0.7, 0.1) == pytest.approx(21.0)


def test_who_qualifies_by_which_criterion():
    tx, members, events = hand_made()
    scores = super_users.score_criteria(tx, members, events, END)
    s = scores.table
    met = {c: sorted(s.index[s[f"meets_{c}"]]) for c in super_users.CRITERIA}
    assert met == {
        "frequency_recency": ["c05", "c09"],
        "feedback": ["c01", "c02", "c04", "c10"],
        "sharing": ["c01", "c02", "c03"],
        "cross_purchase": ["c03", "c09"],
    }
    assert s.loc["c04", "purchase_days"] == 3 and s.loc["c04", "revenue"] == pytest.approx(10)
    assert s.loc["c05", "revenue"] == pytest.approx(10)          # 2026 purchase excluded
    assert s.loc["c06", "n_shares"] == 0                         # 2026 share excluded
    assert s.loc["c10", "days_since_last"] == 365
    assert sorted(s.index[s["gate_member"]]) == ["c09"]           # c02 ended, c07 joins later
    assert sorted(s.index[~s["gate_paid_again"]]) == ["c01", "c06", "c07", "c08"]
    assert scores.available == {c: True for c in super_users.CRITERIA}


def test_potential_super_user_list_and_reasons():
    tx, members, events = hand_made()
    scores = super_users.score_criteria(tx, members, events, END)
    s = scores.table
    sel = super_users.select_super_users(scores, min_criteria=2, require_frequency_recency=False).table
    assert sel.index.tolist() == ["c09", "c02", "c03"]
    assert sel["status"].tolist() == ["member", "prospect", "prospect"]
    assert sel["revenue"].sum() / s["revenue"].sum() == pytest.approx(0.45)
    assert "bought on 4 days, last 30 days ago" in sel.loc["c09", "reason"]
    assert "2 categories" in sel.loc["c09", "reason"] and "member V2" in sel.loc["c09", "reason"]
    assert "gave feedback 1x" in sel.loc["c02", "reason"] and "invite" in sel.loc["c02", "reason"]
    assert "2 brands" in sel.loc["c03", "reason"]
    # c02 and c03 have not bought often and lately: out when frequency with recency is required.
    assert super_users.select_super_users(scores, min_criteria=2).table.index.tolist() == ["c09"]
    assert super_users.select_super_users(scores, min_criteria=1).table.index.tolist() == ["c09", "c05"]
    funnel = super_users.gate_funnel(scores)
    assert funnel.tolist() == [10, 6, 1]


def test_recency_turns_the_method_example_around():
    # The method's example: A and B both bought 5 times; A last a year ago, B a month ago -> only B.
    days_a = pd.date_range("2024-09-01", periods=5, freq="14D")
    days_b = pd.date_range("2025-10-01", periods=5, freq="14D")
    tx = pd.DataFrame({"customer_id": ["A"] * 5 + ["B"] * 5,
                       "timestamp": list(days_a) + list(days_b), "amount": 20.0})
    s = super_users.score_criteria(tx, observation_end=END).table
    assert s.loc["A", "repeat_purchases"] == s.loc["B", "repeat_purchases"] == 4
    assert not s.loc["A", "meets_frequency_recency"] and s.loc["B", "meets_frequency_recency"]


def test_missing_data_switches_criteria_off_and_caps_min_criteria():
    tx, _, _ = hand_made()
    tx = tx.drop(columns=["category", "brand"])
    scores = super_users.score_criteria(tx, observation_end=END)
    assert scores.available == {"frequency_recency": True, "feedback": False,
                                "sharing": False, "cross_purchase": False}
    assert not scores.table[["meets_feedback", "meets_sharing", "meets_cross_purchase"]].any().any()
    sel = super_users.select_super_users(scores, min_criteria=2)
    assert sel.min_criteria_used == 1
    assert sel.table.index.tolist() == ["c09", "c05"]
    # events present but with no share/referral rows: sharing unavailable, feedback available
    ev = pd.DataFrame({"customer_id": ["c01"], "timestamp": [pd.Timestamp("2025-01-01")], "kind": ["review"]})
    avail = super_users.criteria_available(tx, ev)
    assert avail["feedback"][0] and not avail["sharing"][0]


def test_inputs_not_modified_and_bad_input_named():
    tx, members, events = hand_made()
    before = (tx.copy(), members.copy(), events.copy())
    super_users.score_criteria(tx, members, events, END)
    pd.testing.assert_frame_equal(tx, before[0])
    pd.testing.assert_frame_equal(members, before[1])
    pd.testing.assert_frame_equal(events, before[2])
    with pytest.raises(DataError, match="amount"):
        super_users.score_criteria(tx.drop(columns=["amount"]), observation_end=END)
    with pytest.raises(DataError, match="no transactions on or before"):
        super_users.score_criteria(tx, observation_end="2020-01-01")
    with pytest.raises(ParameterError, match="recency_days"):
        super_users.Rules(recency_days=-1)
    with pytest.raises(ParameterError, match="fraction"):
        super_users.top_share([1.0, 2.0], 1.5)
    with pytest.raises(DataError, match="total revenue is zero"):
        super_users.concentration(pd.Series([0.0, -3.0]))


def test_refunds_beyond_purchases_count_as_zero_revenue():
    conc = super_users.concentration(pd.Series([-5.0, 10.0, 30.0]))
    assert conc.n_clipped == 1
    assert conc.n_customers == 3
    assert conc.top20_share == pytest.approx(0.6 * 30 / 40)
