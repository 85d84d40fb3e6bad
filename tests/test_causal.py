"""The causal estimator of joining (superkit.analyses.uplift with superkit.models.fe_poisson): reference implementation and known truth."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from superkit.analyses.uplift import event_study, joining_effect, span_cells
from superkit.models.fe_poisson import ppml_fe
from superkit.core.errors import ModelError
from superkit.data.simulate import simulate

START, END = "2024-01-01", "2025-12-31"


def _cells(w):
    return span_cells(w.transactions, w.members, START, END)


def test_ppml_matches_statsmodels_poisson_glm_with_dummies():
    sm = pytest.importorskip("statsmodels.api")
    w = simulate(250, seed=3, selection=1.0, join_rate=0.004, uplift_frequency=1.5)
    c = _cells(w)
    X = np.column_stack([(c.state == 1), (c.state == 2)]).astype(float)
    fit = ppml_fe(c.spend, c.exposure, c.customer, c.month, X)
    df = pd.DataFrame({"y": c.spend, "e": c.exposure, "cu": c.customer, "mo": c.month,
                       "d": X[:, 0], "a": X[:, 1]})
    df = df[df.groupby("cu")["y"].transform("sum") > 0]
    dummies = pd.get_dummies(df[["cu", "mo"]].astype(str)).astype(float)
    dummies = dummies.drop(columns=[c_ for c_ in dummies.columns if c_.startswith("mo_")][:1])
    exog = pd.concat([df[["d", "a"]], dummies], axis=1)
    ref = sm.GLM(df["y"], exog, family=sm.families.Poisson(), offset=np.log(df["e"])).fit(
        cov_type="cluster", cov_kwds={"groups": df["cu"].to_numpy(), "use_correction": False})
    np.testing.assert_allclose(fit["beta"], ref.params[["d", "a"]].to_numpy(), rtol=1e-6, atol=1e-8)
    G = fit["n_customers"]
    ours_se = np.sqrt(np.diag(fit["cov"]) * (G - 1) / G)  # ours carries the G/(G-1) correction
    np.testing.assert_allclose(ours_se, ref.bse[["d", "a"]].to_numpy(), rtol=1e-4)


def _statsmodels_fit(y, e, customer, month, X, drop=()):
    """The reference: GLM Poisson with a dummy per customer and month, clustered by customer
    (``drop``: more month dummies to leave out, one per further group of customers and months)."""
    sm = pytest.importorskip("statsmodels.api")
    names = [f"x{j}" for j in range(X.shape[1])]
    df = pd.DataFrame({"y": y, "e": e, "cu": customer, "mo": month, **dict(zip(names, X.T))})
    df = df[df.groupby("cu")["y"].transform("sum") > 0]
    dummies = pd.get_dummies(df[["cu", "mo"]].astype(str)).astype(float)
    dummies = dummies.drop(columns=[c_ for c_ in dummies.columns if c_.startswith("mo_")][:1]
                           + [f"mo_{m}" for m in drop])
    ref = sm.GLM(df["y"], pd.concat([df[names], dummies], axis=1), family=sm.families.Poisson(),
                 offset=np.log(df["e"])).fit(tol=1e-13, cov_type="cluster",
                                             cov_kwds={"groups": df["cu"].to_numpy(), "use_correction": False})
    return ref.params[names].to_numpy(), ref.bse[names].to_numpy()


def test_ppml_with_a_continuous_regressor_matches_statsmodels():
    """The dense path (regressors that are not exclusive dummies), against the dummy-variable GLM."""
    w = simulate(250, seed=5, selection=1.0, join_rate=0.004, uplift_frequency=1.5)
    c = _cells(w)
    rng = np.random.default_rng(0)
    X = np.column_stack([(c.state == 1), rng.normal(size=len(c.state)) * 0.3]).astype(float)
    fit = ppml_fe(c.spend, c.exposure, c.customer, c.month, X)
    beta, se = _statsmodels_fit(c.spend, c.exposure, c.customer, c.month, X)
    G = fit["n_customers"]
    np.testing.assert_allclose(fit["beta"], beta, rtol=1e-7)
    np.testing.assert_allclose(np.sqrt(np.diag(fit["cov"]) * (G - 1) / G), se, rtol=1e-6)


def test_event_study_codes_are_the_dense_bins_and_the_fit_matches_statsmodels():
    """event_codes gives each cell the column the dense event-study bins give it; the one-hot fit
    equals the dummy-variable GLM and the dense path (columns scaled by 2: coefficients halved)."""
    from superkit.analyses.uplift import event_codes
    from superkit.models.fe_poisson import OneHot

    w = simulate(400, seed=8, selection=1.0, join_rate=0.006, uplift_frequency=1.6)
    c = _cells(w)
    pre, post = 3, 4
    bins, code = event_codes(c, pre, post)
    k, mem = c.event_month, c.is_member
    dense = [mem & (c.state == 0) & (k == b) if b < 0 else
             ((c.state == 1) & (k == b) if b < post else (c.state == 1) & (k >= b)) for b in bins]
    X = np.column_stack(dense + [c.state == 2]).astype(float)       # the columns as they were built
    assert bins == [-3, -2, 0, 1, 2, 3, 4]
    np.testing.assert_array_equal(np.where(X.any(axis=1), X.argmax(axis=1), -1), code)
    coded = ppml_fe(c.spend, c.exposure, c.customer, c.month, OneHot(code, len(bins) + 1))
    doubled = ppml_fe(c.spend, c.exposure, c.customer, c.month, 2 * X)   # not 0/1: the dense path
    np.testing.assert_allclose(doubled["beta"] * 2, coded["beta"], rtol=1e-9, equal_nan=True)
    ok = np.isfinite(coded["beta"])
    assert ok[:len(bins)].sum() >= 5
    beta, se = _statsmodels_fit(c.spend, c.exposure, c.customer, c.month, X[:, ok])
    G = coded["n_customers"]
    np.testing.assert_allclose(coded["beta"][ok], beta, rtol=1e-7)
    np.testing.assert_allclose(np.sqrt(np.diag(coded["cov"])[ok] * (G - 1) / G), se, rtol=1e-6)


def test_ppml_with_groups_of_customers_that_share_no_month():
    """Customers active only in months 0-4 and others only in 5-9: each group's month effects are
    compared within the group (one fixed per group), and the coefficient is the dummy GLM's."""
    for seed in (0, 1, 4):      # 0 and 1 drifted to a non-convergence error before groups were found
        rng = np.random.default_rng(seed)
        n, M = 300, 5
        customer = np.repeat(np.arange(n), M)
        month = np.tile(np.arange(M), n) + np.where(customer < n // 2, 0, M)
        x = ((month % M >= rng.integers(1, 4, n)[customer]) & (customer % 3 == 0)).astype(float)
        y = rng.poisson(np.exp(rng.normal(0, 0.5, n)[customer] + 0.1 * month + np.log(1.5) * x)).astype(float)
        fit = ppml_fe(y, np.ones_like(y), customer, month, x[:, None])
        beta, se = _statsmodels_fit(y, np.ones_like(y), customer, month, x[:, None], drop=[M])
        np.testing.assert_allclose(fit["beta"], beta, rtol=1e-7)
        G = fit["n_customers"]
        np.testing.assert_allclose(np.sqrt(np.diag(fit["cov"]) * (G - 1) / G), se, rtol=1e-6)


def test_ppml_refuses_a_coefficient_the_fixed_effects_absorb():
    """A regressor that is constant within each customer, or a function of the month alone, has
    no effect of its own: a clear error, not a number."""
    rng = np.random.default_rng(5)
    n, M = 200, 8
    customer = np.repeat(np.arange(n), M)
    month = np.tile(np.arange(M), n)
    y = rng.poisson(2.0, n * M).astype(float)
    for x in ((customer % 2 == 0), (month >= 4), month / 10.0):
        with pytest.raises(ModelError, match="cannot be separated"):
            ppml_fe(y, np.ones_like(y), customer, month, np.asarray(x, float)[:, None])


def test_ppml_drops_the_cells_of_a_column_without_any_outcome():
    """A dummy whose cells all have y = 0 is reported as NaN and its cells are left out (their mean
    would be 0 at a coefficient of -inf), so the other estimates are those without these cells."""
    w = simulate(400, seed=9, selection=1.0, join_rate=0.006, uplift_frequency=1.6)
    c = _cells(w)
    X = np.column_stack([(c.state == 1), np.zeros(len(c.state))]).astype(float)
    extra = (c.state == 0) & (c.month == 3)
    y = np.where(extra, 0.0, c.spend)
    X[extra, 1] = 1.0
    fit = ppml_fe(y, c.exposure, c.customer, c.month, X)
    assert np.isnan(fit["beta"][1]) and np.isfinite(fit["beta"][0])
    without = ppml_fe(y[~extra], c.exposure[~extra], c.customer[~extra], c.month[~extra], X[~extra, :1])
    assert fit["beta"][0] == pytest.approx(without["beta"][0], rel=1e-10)
    assert fit["n_cells"] == without["n_cells"]


def test_ppml_sparse_customer_month_sums_give_the_dense_results(monkeypatch):
    """Above DENSE_CUSTOMER_MONTHS the customer x month sums are sparse; the fit is the same."""
    from superkit.models import fe_poisson

    c = _cells(simulate(1500, seed=8, selection=1.0, uplift_frequency=1.6))
    X = np.column_stack([(c.state == 1), (c.state == 2)]).astype(float)
    dense = ppml_fe(c.spend, c.exposure, c.customer, c.month, X)
    monkeypatch.setattr(fe_poisson, "DENSE_CUSTOMER_MONTHS", 0)
    sparse = ppml_fe(c.spend, c.exposure, c.customer, c.month, X)
    np.testing.assert_allclose(sparse["beta"], dense["beta"], rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(sparse["cov"], dense["cov"], rtol=1e-10, equal_nan=True)


def test_ppml_refuses_a_second_effect_with_too_many_levels():
    n = 6000
    with pytest.raises(ModelError, match="6,000 levels"):
        ppml_fe(np.ones(2 * n), np.ones(2 * n), np.repeat([0, 1], n), np.tile(np.arange(n), 2), np.zeros((2 * n, 1)))


def test_span_cells_hand_made():
    # one member: purchases on days 0, 10, 20, 40 (2024-01-01 + d); joins on day 15, never ends
    day = pd.Timestamp(START)
    tx = pd.DataFrame({"customer_id": ["a"] * 4 + ["b"] * 3,
                       "timestamp": [day + pd.Timedelta(days=d) for d in (0, 10, 20, 40)]
                       + [day + pd.Timedelta(days=d) for d in (0, 5, 50)],
                       "amount": [5.0, 7.0, 11.0, 13.0, 1.0, 2.0, 3.0]})
    mem = pd.DataFrame({"customer_id": ["a"], "joined_at": [day + pd.Timedelta(days=15)],
                        "ended_at": [pd.NaT]})
    c = span_cells(tx, mem, START, "2024-03-31")
    a = c.customer == 0
    # interior days 1..39: before joining 1..14 (14 days), member 15..39 (16 days in January, 9 in February)
    got = {(int(m), int(s)): (e, y) for m, s, e, y in zip(c.month[a], c.state[a], c.exposure[a], c.spend[a])}
    assert got == {(0, 0): (14.0, 7.0), (0, 1): (16.0, 11.0), (1, 1): (9.0, 0.0)}
    b = c.customer == 1
    assert c.exposure[b].sum() == 49 and c.spend[b].sum() == 2.0 and (c.state[b] == 0).all()


def _covers(seed, uf, us, selection=2.0, alive=True):
    w = simulate(2000, seed=seed, selection=selection, join_requires_alive=alive,
                 uplift_frequency=uf, uplift_spend=us)
    r = joining_effect(_cells(w))
    truth = w.truth["true_causal_ratio"]
    return r["ci"][0] <= truth <= r["ci"][1], r["ratio"] / truth


WORLDS = [(1.0, 1.0), (1.5, 1.0), (2.0, 1.5)]  # true ratios 1x, 1.5x, 3x


def test_interval_covers_truth_under_strong_selection_fast():
    """Fast version of the coverage study: 3 seeds x 3 worlds; at least 8 of 9 must cover."""
    hits, rel = [], []
    for uf, us in WORLDS:
        for seed in range(3):
            h, r = _covers(500 + seed, uf, us)
            hits.append(h)
            rel.append(r)
    assert sum(hits) >= 8, hits
    assert abs(math.log(np.median(rel))) < 0.05


@pytest.mark.slow
@pytest.mark.parametrize("uf,us", WORLDS)
def test_interval_coverage_at_least_90pct_over_30_seeds_under_strong_selection(uf, us):
    res = [_covers(1000 + seed, uf, us) for seed in range(30)]
    coverage = np.mean([h for h, _ in res])
    assert coverage >= 0.9, coverage
    assert abs(math.log(np.median([r for _, r in res]))) < 0.03


@pytest.mark.slow
def test_interval_coverage_at_least_90pct_without_selection():
    res = [_covers(2000 + seed, 1.3, 1.1, selection=0.0, alive=False) for seed in range(30)]
    assert np.mean([h for h, _ in res]) >= 0.9


def test_event_study_has_reference_month_and_flat_placebo():
    w = simulate(2000, seed=21, selection=2.0, uplift_frequency=2.0, uplift_spend=1.0)
    ev = event_study(_cells(w), pre_months=4, post_months=6)
    assert ev.loc[ev["k"] == -1, "ratio"].item() == 1.0
    assert list(ev["k"]) == [-4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6]
    pre = ev[ev["k"] < -1]
    assert ((pre["ci_low"] < 1.25) & (pre["ci_high"] > 0.8)).all()
    assert ev.loc[ev["k"] >= 1, "ratio"].median() == pytest.approx(2.0, rel=0.2)


def test_no_member_purchases_after_joining_is_model_error():
    w = simulate(300, seed=4)
    c = _cells(w)
    c.state[c.state == 1] = 0
    with pytest.raises(ModelError, match="nothing to compare"):
        joining_effect(c)


def test_active_span_agrees_with_the_summary_engine():
    """span_cells applies the summary's purchase-day rule (refunds netted, refund-only days out)."""
    from superkit.data.summary import summarize

    w = simulate(400, seed=13, refund_rate=0.05)
    c = _cells(w)
    s = summarize(w.transactions, END, unit="D")
    ids = c.customer_ids[c.customer]
    span = pd.Series(c.exposure, index=ids).groupby(level=0).sum()
    interior = pd.Series(c.purchases, index=ids).groupby(level=0).sum()
    both = s[s["frequency"] >= 1]
    # interior exposure = days strictly between first and last purchase day = recency - 1
    assert (span.reindex(both.index, fill_value=0) == (both["recency"] - 1).clip(lower=0)).all()
    assert (interior.reindex(both.index, fill_value=0) == (both["frequency"] - 1).clip(lower=0)).all()
