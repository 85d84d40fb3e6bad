"""notebooks/01_super_users.ipynb run through papermill; assertions on its published JSON."""
from __future__ import annotations

import pandas as pd
import pytest

from test_architecture import readme_keys
from superkit.analyses import super_users
from superkit.data import load_tables
from test_super_users import END, hand_made

STEM = "01_super_users"
KEYS = {"n_customers", "top20_revenue_share", "top10_revenue_share", "gini", "n_super_users",
        "super_user_revenue_share", "criteria_available", "headline", "key_figure"}


@pytest.fixture
def hand_made_files(tmp_path):
    tx, members, events = hand_made()
    paths = {}
    for name, df in (("transactions", tx.rename(columns={"customer_id": "member_no", "amount": "paid"})),
                     ("members", members), ("events", events)):
        paths[name] = tmp_path / f"{name}.csv"
        df.to_csv(paths[name], index=False)
    return paths


def test_nb01_reproduces_hand_made_answers(run_notebook, hand_made_files, tmp_path):
    out = tmp_path / "out"
    res = run_notebook(STEM, transactions_path=str(hand_made_files["transactions"]),
                       members_path=str(hand_made_files["members"]),
                       events_path=str(hand_made_files["events"]),
                       column_mapping={"transactions": {"customer_id": "member_no", "amount": "paid"}},
                       observation_end=END, recency_days=90, min_criteria=2, output_dir=str(out))
    assert KEYS <= set(res)
    assert res["n_customers"] == 10
    assert res["top20_revenue_share"] == pytest.approx(0.80)
    assert res["top10_revenue_share"] == pytest.approx(0.40)
    assert res["gini"] == pytest.approx(0.60)
    assert res["criteria_available"] == list(super_users.CRITERIA)
    assert res["criteria_counts"] == {"frequency_recency": 2, "feedback": 4, "sharing": 3, "cross_purchase": 2}
    assert res["gates"] == {"paid": 10, "paid_again": 6, "member": 1}
    # Only c09 bought often and lately and meets a second criterion: 160 of 400 yuan.
    assert res["n_super_users"] == 1 and res["n_super_users_members"] == 1 and res["n_prospects"] == 0
    assert res["super_user_revenue_share"] == pytest.approx(0.40)
    listed = pd.read_csv(out / res["super_user_list"], index_col="customer_id")
    assert listed.index.tolist() == ["c09"]
    assert "bought on 4 days, last 30 days ago" in listed.loc["c09", "reason"]
    for fig in ("lorenz", "criteria", "gates"):
        assert (out / "figures" / f"{fig}.png").stat().st_size > 5000
    assert res["key_figure"] == "lorenz"


def test_nb01_switches_off_criteria_without_events_or_members(run_notebook, hand_made_files):
    res = run_notebook(STEM, transactions_path=str(hand_made_files["transactions"]),
                       members_path="none", events_path="",   # empty: never the bundled events
                       column_mapping={"transactions": {"customer_id": "member_no", "amount": "paid"}},
                       observation_end=END, recency_days=90, min_criteria=2)
    assert res["criteria_available"] == ["frequency_recency", "cross_purchase"]
    assert res["criteria_counts"]["feedback"] == 0 and res["criteria_counts"]["sharing"] == 0
    assert res["gates"]["member"] == 0
    assert res["n_super_users"] == 1 and res["n_prospects"] == 1     # c09, now not a member


def test_nb01_defaults_on_coffee_club_agree_with_the_package(run_notebook):
    res = run_notebook(STEM)
    assert set(res) == readme_keys(STEM)  # exactly the keys notebooks/README.md lists
    ours = super_users.run(load_tables("", "", ""), "2025-12-31")   # the package's defaults
    assert res["n_customers"] == len(ours.scores.table)
    assert res["top20_revenue_share"] == pytest.approx(ours.concentration.top20_share)
    assert res["gini"] == pytest.approx(ours.concentration.gini)
    assert res["n_super_users"] == len(ours.listed.table) > 0
    assert 0 < res["top10_revenue_share"] < res["top20_revenue_share"] < 1
    assert res["criteria_available"] == list(super_users.CRITERIA)
    assert res["n_super_users_members"] + res["n_prospects"] == res["n_super_users"]
