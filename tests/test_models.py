"""Every estimator on the one base: the fitted-model surface, and each model recovers the parameters
of data drawn from its own generative process (``simulate``) within sampling error."""
from __future__ import annotations

import numpy as np
import pytest

from lifetimes.datasets import load_cdnow_summary

from superkit import models
from superkit.core.errors import ModelError, ParameterError
from superkit.models import sbg


@pytest.fixture(scope="module")
def cdnow():
    return load_cdnow_summary()


@pytest.mark.parametrize("name", sorted(models.COUNT_MODELS))
def test_count_models_share_the_surface_and_recover_their_own_simulation(name, cdnow):
    cls = models.COUNT_MODELS[name]
    with pytest.raises(ModelError, match="not fitted yet"):
        cls().summary()
    assert "not fitted" in repr(cls())
    fitted = cls().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    assert isinstance(fitted, models.MLEModel)
    tab = fitted.summary()
    assert list(tab.index) == list(cls.param_names)
    assert (tab["se"] > 0).all() and (tab["lower"] < tab["estimate"]).all() and (tab["estimate"] < tab["upper"]).all()
    assert repr(fitted).startswith(f"<{cls.__name__} (2,357 customers)")
    # draw 30,000 customers with CDNOW's ages from the fitted process and fit again
    T = np.resize(cdnow["T"].to_numpy(), 30_000)
    sim = fitted.simulate(T, seed=5)
    assert list(sim.columns) == ["frequency", "recency", "T"]
    assert ((sim["recency"] <= sim["T"]) & ((sim["frequency"] == 0) == (sim["recency"] == 0))).all()
    again = cls().fit(sim["frequency"], sim["recency"], sim["T"])
    se = again.standard_errors()
    for k in cls.param_names:
        assert abs(again.params_[k] - fitted.params_[k]) < 4 * se[k], (k, again.params_[k], fitted.params_[k], se[k])


def test_gamma_gamma_recovers_its_own_simulation(cdnow):
    rng = np.random.default_rng(0)
    x = rng.integers(1, 8, size=20_000).astype(float)
    truth = models.GammaGammaModel()
    truth.params_ = __import__("pandas").Series({"p": 6.0, "q": 4.0, "v": 15.0})
    m = truth.simulate(x, seed=1)
    fit = models.GammaGammaModel().fit(x, m)
    se = fit.standard_errors()
    for k, v in truth.params.items():
        assert abs(fit.params_[k] - v) < 4 * se[k], (k, fit.params_[k], se[k])
    with pytest.raises(ModelError, match="not fitted yet"):
        models.GammaGammaModel().conditional_expected_average_profit([1], [2.0])


def test_sbg_recovers_its_own_simulation_and_known_models_need_no_fit():
    known = sbg.ShiftedBetaGeometric.from_params(0.8, 2.5, name="plan")
    d = known.simulate(np.full(5000, 8), seed=3)
    fit = sbg.ShiftedBetaGeometric().fit(d)
    ci = fit.conf_int()
    assert ci["alpha"][0] < 0.8 < ci["alpha"][1] and ci["beta"][0] < 2.5 < ci["beta"][1]
    assert known.survival(1) == pytest.approx(2.5 / 3.3)
    assert list(fit.summary().index) == ["alpha", "beta"]


def test_levels_compute_a_function_of_two_columns_once_per_distinct_pair():
    from superkit.models.count import Levels

    rng = np.random.default_rng(3)
    x, rec = rng.integers(0, 5, 1000).astype(float), rng.integers(0, 8, 1000).astype(float)
    seen = []

    def f(a, b):
        seen.append(len(a))
        return a * 10 + np.sqrt(b)

    lv = Levels([x, rec])
    np.testing.assert_array_equal(lv.pairs(x, rec, f), x * 10 + np.sqrt(rec))
    assert seen == [len(np.unique(x * 100 + rec))]          # 40 pairs, not 1000 rows
    assert lv.pairs(x.copy(), rec, f).shape == (1000,) and seen[-1] == 1000   # not a fit column: every row
    distinct = np.arange(1000.0)
    lv = Levels([distinct, rec])
    np.testing.assert_array_equal(lv.pairs(distinct, rec, f), distinct * 10 + np.sqrt(rec))
    assert seen[-1] == 1000                                  # pairs that do not repeat: rowwise


@pytest.mark.parametrize("params", [(0.5, 3.0, 0.7, 9.0), (0.5, 9.0, 0.7, 3.0), (0.5, 4.0, 0.7, 4.0)])
def test_pareto_nbd_likelihood_once_per_pair_equals_it_row_by_row(params):
    """alpha < beta, alpha > beta and alpha == beta: the fit's per-pair computation gives the
    row-by-row likelihood."""
    from superkit.models.count import Levels

    rng = np.random.default_rng(2)
    t = rng.integers(1, 60, 5000).astype(float)
    x = rng.integers(0, 6, 5000).astype(float)
    rec = np.where(x > 0, np.floor(t * rng.uniform(0.1, 1.0, 5000)), 0.0)
    rows = models.ParetoNBDModel._cond_loglik(params, x, rec, t)
    pairs = models.ParetoNBDModel._cond_loglik(params, x, rec, t, Levels([x, rec, t]))
    assert np.isfinite(rows).all()
    np.testing.assert_allclose(pairs, rows, rtol=1e-13)


def test_fixed_effects_poisson_recovers_a_known_ratio_and_its_own_simulation():
    rng = np.random.default_rng(7)
    n, M = 400, 12
    customer = np.repeat(np.arange(n), M)
    month = np.tile(np.arange(M), n)
    a = rng.normal(0, 0.8, n)[customer]
    g = np.sin(np.arange(M) / 2)[month]
    x = ((month >= rng.integers(2, 10, n)[customer]) & (customer % 2 == 0)).astype(float)
    y = rng.poisson(np.exp(0.5 + a + g + np.log(1.4) * x)).astype(float)
    fit = models.FixedEffectsPoisson(["member"]).fit(y, np.ones_like(y), customer, month, x[:, None])
    r, ci, se = fit.ratio("member")
    assert ci[0] < 1.4 < ci[1] and se > 0
    assert fit.summary().loc["member", "se"] == pytest.approx(se)
    again = models.FixedEffectsPoisson(["member"]).fit(fit.simulate(seed=1), np.ones_like(y), customer,
                                                       month, x[:, None])
    assert abs(np.log(again.ratio("member")[0] / r)) < 4 * se


def test_bad_arguments_are_parameter_errors():
    with pytest.raises(ParameterError, match="penalizer_coef"):
        models.BetaGeoModel(penalizer_coef=-1)
    with pytest.raises(ParameterError, match="model"):
        models.fit_count_model("nbd", [1], [1], [2])
    with pytest.raises(ParameterError, match="margin"):
        models.customer_lifetime_value(None, None, [1], [1], [2], [3], horizon=10, margin=2)
