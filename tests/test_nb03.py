"""Notebook 03_renewal: published Fader-Hardie parameters, simulated truth, bad input."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from references import FH2007_SBG
from test_architecture import readme_keys
from superkit.data import datasets
from superkit.core.paths import DATASETS_DIR

FH = DATASETS_DIR / "fader_hardie_2007" / "cohorts.csv"


def test_nb03_reproduces_fader_hardie_2007(run_notebook):
    res = run_notebook("03_renewal", cohorts_path=str(FH), fit_periods=7, horizon=12,
                       period_days=365.0, discount_rate=0.10, n_draws=500)
    c = res["cohorts"]
    assert set(c) == {"regular", "high_end"}
    for name, published in FH2007_SBG.items():
        alpha, beta = published["alpha"], published["beta"]
        r = c[name]
        assert r["alpha"] == pytest.approx(alpha, abs=6e-4)
        assert r["beta"] == pytest.approx(beta, abs=6e-4)
        assert r["alpha_ci"][0] < alpha < r["alpha_ci"][1]
        assert len(r["projected_survival"]) == 13 and r["projected_survival"][0] == pytest.approx(1.0)
        assert len(r["projected_renewal_rate"]) == 12
        # renewal rate at the first renewal is beta / (alpha + beta)
        assert r["projected_renewal_rate"][0] == pytest.approx(r["beta"] / (r["alpha"] + r["beta"]))
        assert r["holdout_mean_abs_error"] < 0.02  # years 8-12 were not fitted
        assert r["expected_lifetime_unrestricted"] is None  # alpha < 1: infinite mean lifetime
        lo, hi = r["discounted_expected_value_ci"]
        assert lo < r["discounted_expected_value"] < hi
        assert r["fee_per_period"] == 1.0  # no fees in a cohorts table: value in fee units
    assert c["high_end"]["discounted_expected_value"] > c["regular"]["discounted_expected_value"]
    assert len(res["calendar_forecast"]["total"]) == 7 + 12


def test_nb03_defaults_recover_coffee_club_tiers(run_notebook):
    res = run_notebook("03_renewal")
    assert set(res) == readme_keys("03_renewal")  # exactly the keys notebooks/README.md lists
    truth = datasets.truth("coffee_club")
    tiers = truth["tiers"]
    assert set(res["cohorts"]) == set(tiers)
    for name, t in tiers.items():
        r = res["cohorts"][name]
        assert r["alpha_ci"][0] <= t["alpha"] <= r["alpha_ci"][1], (name, r["alpha_ci"], t)
        assert r["beta_ci"][0] <= t["beta"] <= r["beta_ci"][1], (name, r["beta_ci"], t)
        assert len(r["projected_survival"]) == res["horizon"] + 1
        assert r["fee_per_period"] == pytest.approx(t["fee"] * truth["period_days"] / 365.25)
        assert math.isfinite(r["discounted_expected_value"])
    cal = res["calendar_forecast"]
    assert len(cal["date"]) == len(cal["actual"]) == len(cal["forecast"])


def test_nb03_growing_cohort_is_explained(run_notebook, tmp_path):
    import papermill as pm

    bad = tmp_path / "bad.csv"
    pd.DataFrame({"cohort": ["a"] * 4, "period": [0, 1, 2, 3], "active": [100, 80, 90, 70]}).to_csv(bad, index=False)
    with pytest.raises(pm.PapermillExecutionError, match="DataError.*grow"):
        run_notebook("03_renewal", cohorts_path=str(bad), fit_periods=2, horizon=6)
