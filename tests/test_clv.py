"""superkit.models (BG/NBD family, Gamma-Gamma) and superkit.analyses.clv: fast BG/NBD-family and Gamma-Gamma fitters, checked against lifetimes (the
reference implementation), the published CDNOW values and simulated known truth."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

lifetimes = pytest.importorskip("lifetimes")
from lifetimes.datasets import (  # noqa: E402
    load_cdnow_summary,
    load_cdnow_summary_data_with_monetary_value,
)

from superkit import models  # noqa: E402
from superkit.analyses import clv  # noqa: E402
from superkit.models import units  # noqa: E402
from references import FHL2005_BGNBD, FHL2005_GAMMA_GAMMA, FHL2005_PARETO_NBD  # noqa: E402
from superkit.core.errors import DataError, ModelError, ParameterError  # noqa: E402

warnings.filterwarnings("ignore", category=RuntimeWarning, module="lifetimes")

LIFETIMES = {"bgnbd": lifetimes.BetaGeoFitter, "mbgnbd": lifetimes.ModifiedBetaGeoFitter,
             "pareto_nbd": lifetimes.ParetoNBDFitter}


@pytest.fixture(scope="module")
def cdnow():
    return load_cdnow_summary()  # 2,357 customers, weeks, calibration to 1997-09-30


@pytest.fixture(scope="module")
def simulated():
    return models.simulate_bgnbd_summary(3000, r=0.25, alpha=4.0, a=0.8, b=2.5, T=(30, 200), seed=3,
                                      holdout=100)


def _fit_lifetimes(name, d, penalizer=0.0):
    m = LIFETIMES[name](penalizer_coef=penalizer)
    if name == "pareto_nbd":  # lifetimes' default Nelder-Mead tolerance is loose; tighten it
        return m.fit(d["frequency"], d["recency"], d["T"], tol=1e-10, maxiter=20000)
    return m.fit(d["frequency"], d["recency"], d["T"])


def _rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.max(np.abs(a - b) / np.abs(b))


# ---------------------------------------------------------------- published CDNOW values
def test_bgnbd_matches_fader_hardie_lee_2005(cdnow):
    m = models.BetaGeoModel().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    published = FHL2005_BGNBD
    for k, v in published.items():
        assert m.params_[k] == pytest.approx(v, abs=6e-4), k


def test_pareto_nbd_matches_published_cdnow_values(cdnow):
    m = models.ParetoNBDModel().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    published = FHL2005_PARETO_NBD
    for k, v in published.items():
        assert m.params_[k] == pytest.approx(v, abs=2e-3), k


def test_gamma_gamma_matches_fader_hardie_note_025():
    d = load_cdnow_summary_data_with_monetary_value()
    d = d[d["frequency"] > 0]
    gg = models.GammaGammaModel().fit(d["frequency"], d["monetary_value"])
    for k, v in FHL2005_GAMMA_GAMMA.items():
        assert gg.params_[k] == pytest.approx(v, abs=0.01), k
    ref = lifetimes.GammaGammaFitter().fit(d["frequency"], d["monetary_value"])
    assert _rel(gg.params_, ref.params_) < 1e-5
    np.testing.assert_allclose(
        gg.conditional_expected_average_profit(d["frequency"], d["monetary_value"]),
        ref.conditional_expected_average_profit(d["frequency"], d["monetary_value"]), rtol=1e-5)


# ---------------------------------------------------------------- same as lifetimes
@pytest.mark.parametrize("name", ["bgnbd", "mbgnbd", "pareto_nbd"])
def test_params_and_predictions_match_lifetimes_on_cdnow(cdnow, name):
    ours = models.COUNT_MODELS[name]().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    ref = _fit_lifetimes(name, cdnow)
    assert _rel(ours.params_, ref.params_[list(ours.param_names)]) < 1e-3
    # predictions with identical parameters agree to rounding
    ours.params_ = ref.params_[list(ours.param_names)].copy()
    f, r, t = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    np.testing.assert_allclose(ours.conditional_probability_alive(f, r, t),
                               ref.conditional_probability_alive(f, r, t), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ours.predict(39, f, r, t), ref.predict(39, f, r, t),
                               rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", ["bgnbd", "mbgnbd", "pareto_nbd"])
@pytest.mark.parametrize("penalizer", [0.0, 0.05])
def test_params_match_lifetimes_on_simulated_data(simulated, name, penalizer):
    d = simulated.iloc[:1500] if name == "pareto_nbd" else simulated
    ours = models.COUNT_MODELS[name](penalizer_coef=penalizer).fit(d["frequency"], d["recency"], d["T"])
    ref = _fit_lifetimes(name, d, penalizer)
    assert _rel(ours.params_, ref.params_[list(ours.param_names)]) < 1e-3


def test_weights_give_the_same_fit_as_repeated_rows(cdnow):
    (f, r, t), w, inv = models.compress(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    assert len(f) < len(cdnow) and w.sum() == len(cdnow)
    np.testing.assert_array_equal(f[inv], cdnow["frequency"])
    a = models.BetaGeoModel().fit(f, r, t, weights=w)
    b = models.BetaGeoModel().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    assert _rel(a.params_, b.params_) < 1e-6


# ---------------------------------------------------------------- known truth
def test_bgnbd_recovers_simulated_truth_within_sampling_error():
    truth = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}
    d = models.simulate_bgnbd_summary(20000, **truth, T=(30, 200), seed=11)
    m = models.BetaGeoModel().fit(d["frequency"], d["recency"], d["T"])
    se = m.standard_errors()
    for k, v in truth.items():
        assert abs(m.params_[k] - v) < 4 * se[k], (k, m.params_[k], se[k])


def test_bgnbd_holdout_prediction_is_unbiased_on_simulated_data(simulated):
    m = models.BetaGeoModel().fit(simulated["frequency"], simulated["recency"], simulated["T"])
    ev = clv.holdout_evaluation(m, simulated)
    assert abs(ev["predicted_total"] - ev["actual_total"]) < 0.1 * ev["actual_total"]


# ---------------------------------------------------------------- heavy buyers, units, CLV
def test_heavy_buyers_stay_finite_where_lifetimes_gives_nan(simulated):
    f = np.array([5000.0, 20000.0, 3000.0])
    r = np.array([700.0, 730.0, 100.0])
    t = np.full(3, 730.0)
    for name in models.COUNT_MODELS:
        m = models.COUNT_MODELS[name]().fit(simulated["frequency"], simulated["recency"], simulated["T"])
        pa = m.conditional_probability_alive(f, r, t)
        ep = m.predict(365, f, r, t)
        assert np.all(np.isfinite(pa)) and np.all(np.isfinite(ep)), name
        assert pa[1] > 0.99 and ep[1] > 5000  # buyer with 20k purchases, last one today
        assert pa[2] < 1e-6  # 3,000 purchases then silence for 630 days: gone
    with np.errstate(all="ignore"):
        ref = models.COUNT_MODELS["mbgnbd"]().fit(simulated["frequency"], simulated["recency"],
                                         simulated["T"]).to_lifetimes()
        assert np.isnan(ref.predict(365, f, r, t)).any()  # the failure we fix


def test_heavy_buyers_in_the_fit_do_not_overflow(simulated):
    d = simulated.copy()
    d.loc[d.index[:5], ["frequency", "recency"]] = [[8000.0, 190.0]] * 5
    d.loc[d.index[:5], "T"] = 200.0
    m = models.ParetoNBDModel().fit(d["frequency"], d["recency"], d["T"])
    assert np.all(np.isfinite(m.params_))


def test_discounting_uses_the_annual_rate_in_the_summary_unit():
    assert units.discount_factors([365.25], "D", 0.1)[0] == pytest.approx(1 / 1.1)
    assert units.discount_factors([365.25 / 7], "W", 0.1)[0] == pytest.approx(1 / 1.1)
    assert units.discount_factors([0.0], "W", 0.1)[0] == 1.0


def test_clv_is_the_same_in_days_and_weeks(simulated):
    d = simulated
    gg_m = np.where(d["frequency"] > 0, np.random.default_rng(0).gamma(3.0, 10.0, len(d)), 0.0)
    s_days = d.assign(monetary_value=gg_m)
    s_weeks = s_days.assign(recency=d["recency"] / 7, T=d["T"] / 7)
    a, _ = clv.score_customers(s_days, "bgnbd", horizon=365.25, unit="D", discount_rate=0.1,
                               margin=0.3)
    b, _ = clv.score_customers(s_weeks, "bgnbd", horizon=365.25 / 7, unit="W", discount_rate=0.1,
                               margin=0.3)
    np.testing.assert_allclose(a["clv"], b["clv"], rtol=1e-4, atol=1e-8)
    np.testing.assert_allclose(a["expected_purchases"], b["expected_purchases"], rtol=1e-4,
                               atol=1e-8)
    assert (a["clv"] <= 0.3 * a["expected_spend"] + 1e-9).all()  # margin and discounting


def test_clv_matches_lifetimes_with_its_own_period_convention(cdnow):
    d = load_cdnow_summary_data_with_monetary_value()
    ref_bg = lifetimes.BetaGeoFitter().fit(d["frequency"], d["recency"], d["T"])
    rep = d[d["frequency"] > 0]
    ref_gg = lifetimes.GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"])
    ref = ref_gg.customer_lifetime_value(ref_bg, d["frequency"], d["recency"], d["T"],
                                         d["monetary_value"], time=12, discount_rate=0.01,
                                         freq="W")
    bg = models.BetaGeoModel().fit(d["frequency"], d["recency"], d["T"])
    gg = models.GammaGammaModel().fit(d["frequency"], d["monetary_value"])
    times = np.arange(1, 13) * 4.345  # lifetimes' "month" in weeks, monthly rate 1%
    ours = models.customer_lifetime_value(bg, gg, d["frequency"], d["recency"], d["T"],
                                       d["monetary_value"], horizon=12 * 4.345, unit="W",
                                       times=times, factors=1.01 ** -np.arange(1, 13))
    np.testing.assert_allclose(ours, ref.to_numpy(), rtol=2e-3)


# ---------------------------------------------------------------- failures explained
def test_no_repeat_buyers_is_explained():
    with pytest.raises(ModelError, match="no repeat buyers"):
        models.BetaGeoModel().fit([0, 0, 0], [0, 0, 0], [10, 20, 30])


def test_non_convergence_names_the_remedy():
    # every customer buys at the same steady rate and none drops out: a, b run off to the edge
    f = np.full(200, 10.0)
    with pytest.raises(ModelError, match="penal"):
        models.BetaGeoModel().fit(f, np.full(200, 100.0), np.full(200, 100.0))


def test_horizon_in_the_wrong_unit_is_explained():
    with pytest.raises(ParameterError, match="wrong unit"):
        units.check_horizon(365 * 12, "W")
    with pytest.raises(ParameterError, match="same unit"):
        units.check_horizon(3000, "D", max_T=100)
    with pytest.raises(ParameterError, match="unknown time unit"):
        units.check_horizon(12, "M")
    assert units.check_horizon(52, "W", max_T=100) == 52


def test_overflow_is_explained_not_nan(simulated):
    m = models.BetaGeoModel().fit(simulated["frequency"], simulated["recency"], simulated["T"])
    m.params_["a"] = 1.0  # (a - 1) in a denominator: the expectation is undefined
    with pytest.raises(ModelError, match="overflow"):
        m.predict(10, [3.0], [5.0], [10.0])


def test_bad_summary_rows_are_refused():
    with pytest.raises(DataError, match="larger than T"):
        models.BetaGeoModel().fit([1, 2], [50, 10], [40, 20])
    with pytest.raises(DataError, match="whole number"):
        models.BetaGeoModel().fit([1.5, 2], [5, 10], [40, 20])


def test_inputs_are_not_modified(simulated):
    before = simulated.copy()
    spend = np.random.default_rng(2).gamma(3.0, 10.0, len(simulated))
    clv.score_customers(simulated.assign(monetary_value=np.where(simulated["frequency"] > 0, spend,
                                                                 0.0)), "bgnbd", horizon=90)
    pd.testing.assert_frame_equal(simulated, before)


# ---------------------------------------------------------------- assumption check, selection
def test_gamma_gamma_check_warns_when_spend_tracks_frequency():
    rng = np.random.default_rng(0)
    f = rng.integers(1, 30, 500).astype(float)
    with pytest.warns(models.GammaGammaAssumptionWarning):
        res = models.gamma_gamma_check(f, 10 + 3 * f + rng.random(500))
    assert not res["ok"] and res["correlation"] > 0.9
    ok = models.gamma_gamma_check(f, 10 + rng.random(500), warn=False)
    assert ok["ok"]


def test_select_model_prefers_smaller_holdout_error():
    best, why = clv.select_model({"bgnbd": {"mae_per_customer": 0.5},
                                  "pareto_nbd": {"mae_per_customer": 0.4}, "mbgnbd": None})
    assert best == "pareto_nbd" and "Pareto/NBD" in why


def test_bootstrap_interval_covers_the_point_estimate(simulated):
    s = simulated.assign(monetary_value=np.where(simulated["frequency"] > 0,
                                                 np.random.default_rng(1).gamma(3.0, 10.0, len(simulated)), 0.0))
    scores, fitted = clv.score_customers(s, "bgnbd", horizon=90, discount_rate=0.1, margin=0.5)
    boot = clv.bootstrap_intervals(s, "bgnbd", horizon=90, discount_rate=0.1, margin=0.5,
                                   n_boot=30, seed=0)
    iv = boot["intervals"]["clv_total"]
    assert boot["n_ok"] >= 28
    assert iv["lower"] < scores["clv"].sum() < iv["upper"]
    assert iv["upper"] - iv["lower"] < 0.5 * scores["clv"].sum()


# ---------------------------------------------------------------- notebook 02 helpers
def test_compare_models_selects_the_smallest_holdout_error(simulated):
    d = simulated.iloc[:1500]
    comp = clv.compare_models(d)
    assert list(comp["fits"]) == list(models.COUNT_MODELS) and comp["errors"] == {}
    maes = {k: v["mae_per_customer"] for k, v in comp["evaluations"].items()}
    assert comp["selected"] == min(maes, key=maes.get)
    assert models.COUNT_MODEL_LABELS[comp["selected"]] in comp["selection_reason"]
    # the evaluation is the library's holdout_evaluation of each fit
    ev = clv.holdout_evaluation(comp["fits"]["bgnbd"], d)
    assert comp["evaluations"]["bgnbd"]["mae_per_customer"] == ev["mae_per_customer"]
    js = clv.models_json(comp)
    assert list(js["pareto_nbd"]["params"]) == ["r", "alpha", "s", "beta"]
    assert list(js["bgnbd"]["holdout"]) == list(clv.HOLDOUT_KEYS) and js["bgnbd"]["error"] is None
    assert js["mbgnbd"]["holdout"]["actual_total"] == pytest.approx(d["frequency_holdout"].sum())
    tab = clv.comparison_table(comp)
    assert list(tab.columns) == ["BG/NBD", "MBG/NBD", "Pareto/NBD"]
    assert tab.loc["mean absolute error per customer", "BG/NBD"] == ev["mae_per_customer"]   # rows labelled
    assert tab.loc["alpha (purchase rate: scale)", "Pareto/NBD"] == comp["fits"]["pareto_nbd"].params["alpha"]
    assert "duration" not in tab.index and len(tab) == 6 + 5   # r, alpha, a, b, s, beta and five holdout figures


def test_compare_models_keeps_a_failed_fit_out_of_the_choice(simulated, monkeypatch):
    d = simulated.iloc[:800]
    real = models.fit_count_model

    def failing(name, *args, **kw):
        if name == "mbgnbd":
            raise ModelError("mbgnbd did not converge. Remedy: add a penalty.")
        return real(name, *args, **kw)

    monkeypatch.setattr(clv, "fit_count_model", failing)
    comp = clv.compare_models(d, models=["bgnbd", "mbgnbd"])
    assert comp["selected"] == "bgnbd" and comp["evaluations"]["mbgnbd"] is None
    assert clv.models_json(comp)["mbgnbd"] == {"params": None, "holdout": None,
                                                "error": "mbgnbd did not converge. Remedy: add a penalty."}
    assert list(clv.comparison_table(comp).columns) == ["BG/NBD"]
    with pytest.raises(ModelError, match="no model could be fitted"):
        clv.compare_models(d, models=["mbgnbd"])


def test_decile_records_and_interval_pairs_are_plain_json():
    import json

    scores = pd.DataFrame({"clv": np.arange(20, 0, -1, dtype=float), "p_alive": np.linspace(1, 0.05, 20),
                           "expected_purchases": np.ones(20)}, index=[f"c{i}" for i in range(20)])
    recs = clv.decile_records(clv.decile_table(scores))
    assert [r["decile"] for r in recs] == list(range(1, 11))
    # two customers per decile: decile 1 holds clv 20 + 19 = 39 of 210
    assert recs[0]["customers"] == 2 and recs[0]["clv_total"] == 39.0
    assert recs[0]["clv_share"] == pytest.approx(39 / 210)
    assert recs[-1]["clv_total"] == 3.0
    json.dumps(recs)  # no numpy types left
    assert all(type(v) in (int, float) for r in recs for v in r.values())
    iv = {"clv_total": {"lower": 1.5, "upper": 2.5}, "p_alive_mean": {"lower": 0.2, "upper": 0.3}}
    assert clv.interval_pairs(iv) == {"clv_total": [1.5, 2.5], "p_alive_mean": [0.2, 0.3]}
    assert clv.interval_pairs({}) == {}


def test_dates_outside_the_data_are_refused_not_scored_as_zero():
    """Notebook 02's coffee dates on CDNOW (1997-98) used to give a valid-looking run with CLV 0."""
    from superkit.analyses import clv as clv_analysis
    from superkit.data import load_tables

    cdnow = load_tables(transactions_path="cdnow_sample")
    with pytest.raises(DataError, match=r"no purchase between calibration_end 2025-06-30 and observation_end 2025-12-31.*1997-01-01 to 1998-06-30"):
        clv_analysis.run(cdnow)
    with pytest.raises(DataError, match=r"observation_end 2001-06-30 is 1096 days after the last purchase \(1998-06-30\)"):
        clv_analysis.run(cdnow, calibration_end="1997-09-30", observation_end="2001-06-30")
    clv_analysis.check_dates_in_data(cdnow.transactions, "1997-09-30", "1998-06-30")   # the published setting passes
    clv_analysis.check_dates_in_data(cdnow.transactions, "1997-09-30", "1998-07-31")   # a month after the export is fine


# ---------------------------------------------------------------- languages: notebook 02's texts and figures
_HAN = __import__("re").compile(r"[\u3400-\u9fff]")


@pytest.fixture(scope="module")
def coffee_result():
    from superkit.data import load_tables

    return clv.run(load_tables(""), n_boot=3)


def test_headline_in_both_languages_states_the_same_numbers(coffee_result):
    from superkit.core import i18n

    res = coffee_result
    entry = i18n.catalogue()[clv.STEM]["results"]["clv_total"]
    lo, hi = (res.bootstrap["intervals"]["clv_total"][k] for k in ("lower", "upper"))
    mae = res.comparison["evaluations"][res.selected]["mae_per_customer"]
    en, zh = res.headline_text("en"), res.headline_text("zh")
    assert res.headline == en and not _HAN.search(en) and _HAN.search(zh)
    for lang, text in (("en", en), ("zh", zh)):
        assert res.selected_label in text and f"{mae:.2f}" in text and f"{res.top_decile_share:.0%}" in text
        for v in (res.clv_total, lo, hi):   # the money as the catalogue writes it: ¥110,671 / ¥11.1万
            assert i18n.value_text(entry, v, lang) in text, (lang, v)
    assert "万" in zh   # more than ¥100,000 of CLV is written in 万 in Chinese


def test_selection_reason_names_every_model_with_its_holdout_error(coffee_result):
    ev = coffee_result.comparison["evaluations"]
    best = min(ev, key=lambda k: ev[k]["mae_per_customer"])
    for lang in ("en", "zh"):
        name, reason = clv.select_model(ev, lang=lang)
        assert name == best and reason.startswith(models.COUNT_MODEL_LABELS[best])
        assert f"{ev[best]['mae_per_customer']:.3f}" in reason.split(";")[0].split("；")[0]
        for k, v in ev.items():
            if k != best:
                assert f"{models.COUNT_MODEL_LABELS[k]} {v['mae_per_customer']:.3f}" in reason
        assert bool(_HAN.search(reason)) == (lang == "zh")
    # a criterion the catalogue has no label for is named by its key
    assert "duration" in clv.select_model(ev, criterion="duration")[1]


def test_published_json_changes_only_its_sentences_with_the_language(coffee_result):
    en, zh = coffee_result.to_json(lang="en", scores_file="s.csv"), coffee_result.to_json(lang="zh", scores_file="s.csv")
    texts = {"headline", "selection_reason"}
    assert {k: v for k, v in en.items() if k not in texts | {"gamma_gamma"}} == \
           {k: v for k, v in zh.items() if k not in texts | {"gamma_gamma"}}
    assert en["gamma_gamma"]["params"] == zh["gamma_gamma"]["params"]
    for k in texts:
        assert not _HAN.search(en[k]) and _HAN.search(zh[k]), k
    assert _HAN.search(zh["gamma_gamma"]["check"]["message"])


def test_gamma_gamma_reading_says_when_the_assumption_fails(coffee_result):
    import dataclasses

    ok = coffee_result.gamma_gamma_check
    assert ok["ok"] and "Assumption holds" in coffee_result.gamma_gamma_reading("en")
    bad = dataclasses.replace(coffee_result, gamma_gamma_check={**ok, "correlation": 0.45, "ok": False})
    en, zh = bad.gamma_gamma_reading("en"), bad.gamma_gamma_reading("zh")
    assert "Warning: assumption fails" in en and "+0.45" in en and "0.3" in en
    assert "假设不成立" in zh and "+0.45" in zh and f"{ok['n_repeat_buyers']:,}" in zh
    p = coffee_result.gamma_gamma.params["p"]
    assert f"p = {p:.3g}" in en and f"p = {p:.3g}" in zh


def test_tables_shown_are_labelled_in_chinese_with_the_same_values(coffee_result):
    from superkit.core import i18n

    res = coffee_result
    raw = clv.comparison_table(res.comparison, "en")
    zh = clv.comparison_table(res.comparison, "zh")
    assert list(zh.columns) == ["BG/NBD", "MBG/NBD", "Pareto/NBD"]
    assert all(_HAN.search(r) for r in zh.index) and not any(_HAN.search(r) for r in raw.index)
    assert zh.loc["r（购买速率的形状参数）", "BG/NBD"] == res.comparison["fits"]["bgnbd"].params["r"]
    np.testing.assert_array_equal(zh.to_numpy(), raw.to_numpy())
    ov = clv.calibration_overview(res.calibration, "zh")
    assert all(_HAN.search(c) for c in ov.columns if c != "T") and all(_HAN.search(r) for r in ov.index)
    assert ov.iloc[0, 0] == len(res.calibration)   # the first row counts the customers
    assert ov.loc["均值"].to_numpy() == pytest.approx(res.calibration.mean().to_numpy())
    shown = clv.decile_overview(res.deciles, "zh")
    assert all(_HAN.search(c) for c in shown.data.columns)
    html = shown.to_html()
    share = i18n.value_text({"format": "pct"}, res.deciles["clv_share"].iloc[0], "zh")
    assert share in html and "¥" in html


def _texts(ax):
    out = [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()] + [t.get_text() for t in ax.texts]
    legend = ax.get_legend()
    if legend is not None:
        out += [t.get_text() for t in legend.get_texts()]
    return [t for t in out if t.strip()]


def _figures(res, lang):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from superkit.analyses import plotting

    fig, axes = plt.subplots(1, 6, figsize=(30, 4))
    plotting.period_transactions(res.period_transactions(n_sims=2), ax=axes[0], lang=lang)
    plotting.calibration_vs_holdout(res.calibration_vs_holdout(), 184.0, "D", ax=axes[1], lang=lang)
    track = pd.DataFrame({"actual": [0.0, 5.0, 9.0], "expected": [0.0, 4.0, 10.0]},
                         index=pd.date_range("2025-01-01", periods=3, freq="90D"))
    plotting.cumulative_tracking(track, "2025-03-01", "BG/NBD", ax=axes[2], lang=lang)
    plotting.clv_deciles(res.deciles, 1.0, ax=axes[3], lang=lang)
    pam, epm, T_show, _ = res.frequency_recency_matrices()
    plotting.frequency_recency_heatmap(pam, T_show, "p_alive", "D", ax=axes[4], lang=lang)
    plotting.frequency_recency_heatmap(epm, T_show, "expected_purchases", "W", ax=axes[5], horizon=52.2, lang=lang)
    texts = [_texts(ax) for ax in axes[:6]] + [[fig.axes[-2].get_ylabel(), fig.axes[-1].get_ylabel()]]  # colour bars
    plt.close(fig)
    return texts


def test_figures_draw_their_labels_in_chinese(coffee_result):
    from superkit.analyses import plotting

    if plotting.figure_language("zh") != "zh":
        pytest.skip("no CJK font installed: the figures fall back to English")
    zh = _figures(coffee_result, "zh")
    for panel in zh:
        assert panel and all(_HAN.search(t) or t == "BG/NBD" for t in panel), panel
    assert "存活概率" in zh[-1][0] and "未来 52 周" in zh[-1][1]   # the colour bars: P(alive), purchases in weeks
    en = _figures(coffee_result, "en")
    assert not any(_HAN.search(t) for panel in en for t in panel)
    assert "expected purchases, next 52 weeks" in en[-1][1]


def test_figures_fall_back_to_english_without_a_chinese_font(coffee_result, monkeypatch):
    from superkit.analyses import plotting

    monkeypatch.setattr(plotting, "cjk_font", lambda: None)
    assert not any(_HAN.search(t) for panel in _figures(coffee_result, "zh") for t in panel)
