"""Notebook 03_renewal: published Fader-Hardie parameters, simulated truth (monthly members and
yearly-fee cohorts), the second-year renewal, the page in Chinese, bad input."""
from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from i18n_check import english_words
from references import FH2007_SBG
from test_architecture import readme_keys
from superkit.core import i18n
from superkit.core.paths import DATASETS_DIR
from superkit.data import datasets
from superkit.models.sbg import sbg_survival

FH = DATASETS_DIR / "fader_hardie_2007" / "cohorts.csv"
CJK = re.compile(r"[\u4e00-\u9fff]")


def zh_page(tmp_path) -> str:
    """The executed notebook of the last run as the Chinese HTML page a client reads."""
    from superkit.report.html import notebook_page

    target = tmp_path / "site" / "html" / "03_renewal.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    notebook_page(tmp_path / "03_renewal" / "03_renewal.executed.ipynb", target, "03", lang="zh")
    return target.read_text(encoding="utf-8")


def test_nb03_reproduces_fader_hardie_2007(run_notebook):
    res = run_notebook("03_renewal", cohorts_path=str(FH), fit_periods=7, horizon=12,
                       period_days=365.0, discount_rate=0.10, n_draws=500)
    c = res["cohorts"]
    assert set(c) == {"regular", "high_end"}
    assert res["period"] == "year" and res["period_how"] == "period_days" and res["periods_per_year"] == 1
    for name, published in FH2007_SBG.items():
        alpha, beta = published["alpha"], published["beta"]
        r = c[name]
        assert r["alpha"] == pytest.approx(alpha, abs=6e-4)
        assert r["beta"] == pytest.approx(beta, abs=6e-4)
        assert r["alpha_ci"][0] < alpha < r["alpha_ci"][1]
        assert len(r["projected_survival"]) == 13 and r["projected_survival"][0] == pytest.approx(1.0)
        assert len(r["projected_renewal_rate"]) == 12
        # renewal rate at the first renewal is beta / (alpha + beta): the second-year renewal
        assert r["projected_renewal_rate"][0] == pytest.approx(r["beta"] / (r["alpha"] + r["beta"]))
        assert r["second_year_renewal"] == pytest.approx(r["projected_renewal_rate"][0])
        assert r["renewal_by_year"][1:] == pytest.approx(r["projected_renewal_rate"][1:4])
        # the published fit's second-year renewal, and the cohort's actual one (631 and 869 of 1,000)
        assert r["second_year_renewal"] == pytest.approx(beta / (alpha + beta), abs=1e-3)
        assert r["second_year_renewal_ci"][0] < r["actual_survival"][1] < r["second_year_renewal_ci"][1]
        assert r["holdout_mean_abs_error"] < 0.02  # years 8-12 were not fitted
        assert r["expected_lifetime_unrestricted"] is None  # alpha < 1: infinite mean lifetime
        lo, hi = r["discounted_expected_value_ci"]
        assert lo < r["discounted_expected_value"] < hi
        assert r["fee_per_period"] == 1.0  # no fees in a cohorts table: value in fee units
    assert c["high_end"]["discounted_expected_value"] > c["regular"]["discounted_expected_value"]
    assert len(res["calendar_forecast"]["total"]) == 7 + 12
    assert res["headline"].startswith("Second-year renewal")


def test_nb03_defaults_recover_coffee_club_tiers_and_the_page_is_chinese(run_notebook, tmp_path):
    res = run_notebook("03_renewal", language="zh")
    assert set(res) == readme_keys("03_renewal")  # exactly the keys notebooks/README.md lists
    sec = i18n.catalogue()["03_renewal"]
    assert set(sec["results"]) | set(sec["hidden"]) == set(res)   # every published key is labelled or hidden
    truth = datasets.truth("coffee_club")
    tiers = truth["tiers"]
    assert set(res["cohorts"]) == set(tiers)
    # the bundled members are billed monthly: "auto" reads the end dates as monthly, 30-day periods
    assert res["period"] == "month" and res["period_how"] == "end_dates" and res["period_days"] == truth["period_days"]
    for name, t in tiers.items():
        r = res["cohorts"][name]
        assert r["alpha_ci"][0] <= t["alpha"] <= r["alpha_ci"][1], (name, r["alpha_ci"], t)
        assert r["beta_ci"][0] <= t["beta"] <= r["beta_ci"][1], (name, r["beta_ci"], t)
        assert len(r["projected_survival"]) == res["horizon"] + 1
        assert r["fee_per_period"] == pytest.approx(t["fee"] * truth["period_days"] / 365.25)
        assert math.isfinite(r["discounted_expected_value"])
        # monthly: the second-year renewal is the share still paying 12 renewals after joining,
        # and its interval holds the true S(12)
        assert r["second_year_renewal"] == pytest.approx(r["projected_survival"][12])
        lo, hi = r["second_year_renewal_ci"]
        assert lo < float(sbg_survival(t["alpha"], t["beta"], 12)) < hi, name
    assert res["headline_cohort"] == res["heterogeneity"]["cohort"] == "V1"
    cal = res["calendar_forecast"]
    assert len(cal["date"]) == len(cal["actual"]) == len(cal["forecast"])
    # the client's page in Chinese: a Chinese headline, no English words, no raw keys
    assert CJK.search(res["headline"]) and "第二年" in res["headline"]
    html = zh_page(tmp_path)
    assert english_words(html) == []
    assert "second_year_renewal" not in html and "Publishes" not in html and "dtype:" not in html
    assert "第二年续费率" in html and "按月续费" in html


def test_nb03_yearly_fee_cohorts_headline_the_second_year_renewal(run_notebook, tmp_path):
    """The bundled yearly-fee cohorts (known truth): the headline is the second-year renewal."""
    import json

    truth = json.loads((DATASETS_DIR / "coffee_club_yearly" / "truth.json").read_text(encoding="utf-8"))["cohorts"]
    res = run_notebook("03_renewal", cohorts_path="coffee_club_yearly", period="year", fit_periods=5,
                       language="zh", n_draws=500)
    assert res["period"] == "year" and res["period_days"] == 365.25 and res["group_by"] == "cohort"
    for g, t in truth.items():
        lo, hi = res["cohorts"][g]["second_year_renewal_ci"]
        assert lo < t["second_year_renewal"] < hi, g
    share = res["second_year_renewal"]
    assert res["headline"].startswith("第二年续费率") and f"{share:.0%}" in res["headline"]
    assert len(res["later_year_renewal"]) == 3 and share < res["later_year_renewal"][0]
    html = zh_page(tmp_path)
    assert english_words(html) == []
    assert "按年续费" in html or "一年（365.25 天）" in html


def test_nb03_zh_figures_are_labelled_in_chinese():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from superkit.analyses import plotting, renewal
    from superkit.data import load_tables

    if plotting.cjk_font() is None:
        pytest.skip("no CJK font installed: figures are drawn in English")
    res = renewal.run(load_tables(cohorts_path="coffee_club_yearly"), period="year", fit_periods=5, n_draws=100)
    fig, axes = plt.subplots(1, 2)
    plotting.survival_and_renewal(res.fits, res.projections, 5, res.settings["period_days"], axes=axes, lang="zh")
    texts = [axes[0].get_xlabel(), axes[0].get_ylabel(), axes[1].get_ylabel(),
             *[t.get_text() for t in axes[0].get_legend().get_texts()]]
    assert "第二年续费" in axes[0].get_xlabel()
    ax = plotting.theta_shift(res.fits["V1"], [0, 5], lang="zh")
    texts += [ax.get_xlabel(), ax.get_ylabel(), *[t.get_text() for t in ax.get_legend().get_texts()]]
    ax = plotting.discounted_value(res.value_table(), res.fee_unit("zh"), lang="zh")
    texts.append(ax.get_ylabel())
    ax = plotting.calendar_forecast(res.calendar, lang="zh")
    texts += [ax.get_xlabel(), ax.get_ylabel()]
    plt.close("all")
    assert all(CJK.search(t) for t in texts), [t for t in texts if not CJK.search(t)]
    assert "以年费计" in texts[-3]     # values of a cohorts table are in yearly fees


def test_nb03_a_bad_period_is_explained(run_notebook):
    import papermill as pm

    with pytest.raises(pm.PapermillExecutionError, match="ParameterError.*'period'.*'month'"):
        run_notebook("03_renewal", period="weekly", n_draws=50)


def test_nb03_growing_cohort_is_explained(run_notebook, tmp_path):
    import papermill as pm

    bad = tmp_path / "bad.csv"
    pd.DataFrame({"cohort": ["a"] * 4, "period": [0, 1, 2, 3], "active": [100, 80, 90, 70]}).to_csv(bad, index=False)
    with pytest.raises(pm.PapermillExecutionError, match="DataError.*grow"):
        run_notebook("03_renewal", cohorts_path=str(bad), period="month", fit_periods=2, horizon=6)
