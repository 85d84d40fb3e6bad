"""Notebook 04_spend_uplift on the bundled coffee_club data."""
from __future__ import annotations

from test_architecture import readme_keys
from superkit.data import datasets


def test_nb04_defaults_publish_four_readings_and_verdict(run_notebook, tmp_path):
    res = run_notebook("04_spend_uplift", n_boot=100)
    assert set(res) == readme_keys("04_spend_uplift")  # exactly the keys notebooks/README.md lists
    for k in ("naive_ratio", "naive_ratio_ci", "segment_ratio", "pre_join_ratio", "causal_ratio",
              "causal_ratio_ci", "selection_share", "verdict", "claim_range", "event_study", "headline"):
        assert k in res
    assert res["claim_range"] == [5.0, 10.0]
    lo, hi = res["causal_ratio_ci"]
    assert lo < res["causal_ratio"] < hi
    expected = "supported" if lo >= 5 else ("not_supported" if hi < 5 else "inconclusive")
    assert res["verdict"] == expected
    # the simulated coffee club: members look much heavier than the true effect of joining
    truth = datasets.truth("coffee_club")["true_causal_ratio"]
    assert res["naive_ratio"] > 2 * truth
    assert lo <= truth <= hi                      # the causal interval covers the simulated truth
    assert res["causal_ratio"] < res["naive_ratio_ci"][0]
    assert res["pre_join_ratio"] > 1.5
    assert res["segment_ratio"] > res["naive_ratio"] > res["causal_ratio"]


def test_nb04_claim_range_parameter_changes_verdict(run_notebook):
    res = run_notebook("04_spend_uplift", claim_low=1.0, claim_high=2.0, n_boot=50)
    assert res["claim_range"] == [1.0, 2.0]
    assert res["verdict"] == ("supported" if res["causal_ratio_ci"][0] >= 1.0 else "inconclusive")
