"""Shifted-beta-geometric renewal model: published results, simulated truth, bad input."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from references import FH2007_SBG
from superkit.analyses import renewal as R
from superkit.models import sbg, units
from superkit.core import i18n
from superkit.core.constants import DAYS_PER_YEAR
from superkit.core.errors import DataError, ModelError, ParameterError
from superkit.data import load_tables
from superkit.data.tables import Tables
from superkit.core.paths import DATASETS_DIR

FH_COHORTS = DATASETS_DIR / "fader_hardie_2007" / "cohorts.csv"


def fh_active(name: str) -> np.ndarray:
    df = pd.read_csv(FH_COHORTS)
    return df[df["cohort"] == name].sort_values("period")["active"].to_numpy()


# --------------------------------------------------------------------------- published results
@pytest.mark.parametrize("cohort, alpha, beta", [(k, v["alpha"], v["beta"]) for k, v in FH2007_SBG.items()])
def test_sbg_matches_fader_hardie_2007(cohort, alpha, beta):
    """Fader & Hardie (2007): fitting years 1-7 gives these alpha, beta (printed to 3 decimals)."""
    m = sbg.ShiftedBetaGeometric(cohort).fit(fh_active(cohort), fit_periods=7)
    assert m.alpha == pytest.approx(alpha, abs=6e-4)
    assert m.beta == pytest.approx(beta, abs=6e-4)
    lo, hi = m.conf_int()["alpha"]
    assert lo < m.alpha < hi


def test_fader_hardie_2007_cohorts_table_fits_both_cohorts_and_holds_out_later_years():
    cohorts = pd.read_csv(FH_COHORTS)
    before = cohorts.copy()
    fits = R.fit_cohorts(cohorts, fit_periods=7)
    pd.testing.assert_frame_equal(cohorts, before)  # input never modified
    assert set(fits) == {"regular", "high_end"}
    # held-out years 8-12: the projection is within a few points per 100 (the paper's Figure 3 shows
    # the sBG tracking the holdout closely; high end is under-projected by ~1.5 points at year 12)
    for name, m in fits.items():
        actual = fh_active(name) / 1000
        proj = m.survival(np.arange(13))
        assert np.max(np.abs(proj[8:] - actual[8:])) < 0.02
        # the fit only saw periods 0..7
        assert m.durations_.t.max() == 7


def test_high_end_members_are_worth_more_than_regular_ones():
    reg = sbg.ShiftedBetaGeometric().fit(fh_active("regular"), fit_periods=7)
    high = sbg.ShiftedBetaGeometric().fit(fh_active("high_end"), fit_periods=7)
    assert high.discounted_expected_lifetime(0.1) > reg.discounted_expected_lifetime(0.1)


# --------------------------------------------------------------------------- the distribution
@pytest.mark.parametrize("alpha, beta", [(0.704, 1.182), (2.5, 7.0), (0.3, 0.4)])
def test_survival_pmf_and_retention_are_consistent(alpha, beta):
    t = np.arange(1, 40)
    S = sbg.sbg_survival(alpha, beta, np.arange(0, 40))
    assert S[0] == pytest.approx(1.0)
    np.testing.assert_allclose(S[:-1] - S[1:], sbg.sbg_pmf(alpha, beta, t), rtol=1e-10)
    np.testing.assert_allclose(S[1:] / S[:-1], sbg.sbg_retention_rate(alpha, beta, t), rtol=1e-10)
    # the renewal rate rises with tenure (sorting of a heterogeneous cohort)
    assert np.all(np.diff(sbg.sbg_retention_rate(alpha, beta, t)) > 0)


@pytest.mark.parametrize("alpha, beta, d, n", [(0.704, 1.182, 0.10, 1), (0.668, 3.806, 0.10, 5),
                                               (3.0, 2.0, 0.01, 3), (0.3, 0.4, 0.008, 12)])
def test_derl_closed_form_matches_truncated_sum(alpha, beta, d, n):
    """FH 2010 eq. 6 (Gaussian hypergeometric) equals the sum truncated at remainder < 1e-12."""
    closed = sbg.derl(alpha, beta, d, n, method="closed")
    summed = sbg.derl(alpha, beta, d, n, method="sum", tol=1e-12)
    assert closed == pytest.approx(summed, rel=1e-8)


def test_discounted_lifetime_matches_monte_carlo():
    alpha, beta, d = 0.9, 2.0, 0.05
    rng = np.random.default_rng(7)
    theta = rng.beta(alpha, beta, 400_000)
    T = rng.geometric(theta)  # payments at periods 0..T-1
    x = 1 / (1 + d)
    pv = (1 - x ** T) / (1 - x)
    se = pv.std() / np.sqrt(len(pv))
    assert sbg.discounted_expected_lifetime(alpha, beta, d) == pytest.approx(pv.mean(), abs=4 * se)


def test_expected_lifetime_closed_form_and_restricted_mean():
    alpha, beta = 3.0, 4.0
    assert sbg.expected_lifetime(alpha, beta) == pytest.approx((alpha + beta - 1) / (alpha - 1))
    assert sbg.expected_lifetime(alpha, beta, 20_000) == pytest.approx(3.0, rel=1e-4)
    assert sbg.expected_lifetime(0.7, 1.2) == float("inf")  # alpha <= 1: heavy tail
    # remaining lifetime after n payments: (beta + n - 1) / (alpha - 1)
    assert sbg.expected_remaining_lifetime(alpha, beta, 4) == pytest.approx((beta + 3) / (alpha - 1))
    assert sbg.expected_remaining_lifetime(alpha, beta, 4, 20_000) == pytest.approx((beta + 3) / (alpha - 1), rel=1e-4)


def test_per_period_rate_compounds_to_the_annual_rate():
    d = units.per_period_rate(0.10, 365.25 / 12)
    assert (1 + d) ** 12 == pytest.approx(1.10)
    assert units.per_period_rate(0.10, 365.25) == pytest.approx(0.10)
    with pytest.raises(DataError, match="percentage"):
        units.per_period_rate(10, 30)


# --------------------------------------------------------------------------- simulated truth
def test_recovers_known_alpha_beta_from_simulated_cohort():
    alpha, beta = 1.2, 3.5
    active = sbg.simulate_cohort(alpha, beta, size=20_000, periods=10, seed=3)
    m = sbg.ShiftedBetaGeometric().fit(active)
    se = m.standard_errors_log()
    assert abs(np.log(m.alpha / alpha)) < 3.5 * se["alpha"]
    assert abs(np.log(m.beta / beta)) < 3.5 * se["beta"]
    assert m.alpha == pytest.approx(alpha, rel=0.15)


def _coverage(seeds, alpha=0.8, beta=2.5, size=1000, periods=8):
    hits = {"alpha": 0, "beta": 0}
    for seed in seeds:
        m = sbg.ShiftedBetaGeometric().fit(sbg.simulate_cohort(alpha, beta, size, periods, seed=seed))
        ci = m.conf_int(0.95)
        hits["alpha"] += ci["alpha"][0] <= alpha <= ci["alpha"][1]
        hits["beta"] += ci["beta"][0] <= beta <= ci["beta"][1]
    return {k: v / len(seeds) for k, v in hits.items()}


def test_interval_coverage_fast():
    """95% intervals cover the true alpha, beta in most of 60 simulated cohorts."""
    cov = _coverage(range(60))
    # with 60 seeds, binomial sd of the coverage is ~0.03: 0.85 is > 3 sd below 0.95
    assert cov["alpha"] >= 0.85 and cov["beta"] >= 0.85, cov


@pytest.mark.slow
def test_interval_coverage_long():
    cov = _coverage(range(1000, 1600))
    assert 0.92 <= cov["alpha"] <= 0.975 and 0.92 <= cov["beta"] <= 0.975, cov


def test_bootstrap_interval_covers_the_truth_and_resembles_delta_method():
    m = sbg.ShiftedBetaGeometric().fit(sbg.simulate_cohort(0.8, 2.5, 2000, 8, seed=11))
    draws = m.bootstrap(100, seed=1)
    assert len(draws) >= 95
    lo, hi = np.quantile(draws[:, 0], [0.025, 0.975])
    d_lo, d_hi = m.conf_int()["alpha"]
    assert lo == pytest.approx(d_lo, rel=0.2) and hi == pytest.approx(d_hi, rel=0.2)


def _simulated_members(alpha, beta, n, seed, period_days=30.0, start="2024-01-01", days=730):
    """Members joining uniformly over ``days``, observed to start + days; ended_at when they leave."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp(start)
    end = start + pd.Timedelta(days=days)
    joined = start + pd.to_timedelta(rng.integers(0, days, n), unit="D")
    T = rng.geometric(rng.beta(alpha, beta, n))
    # leave a few days before the T-th renewal date (i.e. after paying T periods)
    ended = joined + pd.to_timedelta(T * period_days - rng.integers(1, 10, n), unit="D")
    ended = pd.Series(ended).where(ended <= end)
    return pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "joined_at": joined,
                         "ended_at": ended.to_numpy(), "tier": np.where(np.arange(n) % 2, "V1", "V2")}), end


def test_members_table_with_censoring_recovers_truth_and_ignoring_censoring_does_not():
    alpha, beta = 1.5, 6.0
    members, end = _simulated_members(alpha, beta, 8000, seed=5)
    before = members.copy()
    fits = R.fit_members(members, 30.0, end, by="all")
    pd.testing.assert_frame_equal(members, before)
    m = fits["all"]
    se = m.standard_errors_log()
    assert abs(np.log(m.alpha / alpha)) < 3.5 * se["alpha"]
    assert abs(np.log(m.beta / beta)) < 3.5 * se["beta"]
    # treating members still paying as if they had left at observation end overstates churn
    md = R.member_durations(members, 30.0, end)
    naive = sbg.Durations(np.maximum(md["t"], 1), np.zeros(len(md), bool), md["depth"], np.ones(len(md)))
    wrong = sbg.ShiftedBetaGeometric().fit(naive)
    assert wrong.survival(12) < 0.8 * m.survival(12)


def test_member_durations_by_hand():
    members = pd.DataFrame({
        "customer_id": ["a", "b", "c", "d"],
        "joined_at": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-03-01", "2024-01-01"]),
        "ended_at": pd.to_datetime(["2024-02-15", None, None, "2024-01-01"]),
    })
    md = R.member_durations(members, 30.0, "2024-04-30").set_index("customer_id")
    # a: ended 45 days after joining -> paid 2 periods; b: 120 days observed -> active at start of period 4
    assert md.loc["a", "t"] == 2 and not md.loc["a", "censored"]
    assert md.loc["b", "t"] == 4 and md.loc["b", "censored"]
    assert md.loc["c", "t"] == 2 and md.loc["c", "censored"]  # 60 days -> periods 0, 1, 2 started
    assert md.loc["d", "t"] == 1 and not md.loc["d", "censored"]  # left on day one: paid once


def test_derive_cohorts_counts_only_fully_observed_periods():
    members = pd.DataFrame({
        "customer_id": list("abcd"),
        "joined_at": pd.to_datetime(["2024-01-01", "2024-01-20", "2024-01-05", "2024-02-01"]),
        "ended_at": pd.to_datetime(["2024-02-15", None, "2024-01-10", None]),
    })
    c = R.derive_cohorts(members, 30.0, "2024-04-30", by="join_month")
    jan = c[c["cohort"] == "2024-01"]["active"].tolist()
    # Jan joiners observed for floor(101/30) = 3 periods at least; a paid 2, c paid 1, b still paying
    assert jan == [3, 2, 1, 1]
    feb = c[c["cohort"] == "2024-02"]["active"].tolist()
    assert feb == [1, 1, 1]


def test_kaplan_meier_equals_cohort_shares_without_censoring():
    a = fh_active("regular")
    km = sbg.kaplan_meier(sbg.cohort_durations(a))
    np.testing.assert_allclose(km["survival"].to_numpy(), a / a[0])


def test_theta_distribution_shifts_towards_loyal_members_with_tenure():
    m = sbg.ShiftedBetaGeometric().fit(fh_active("regular"), fit_periods=7)
    means = [m.theta_distribution(k).mean() for k in range(8)]
    assert np.all(np.diff(means) < 0)
    # the mean churn probability among survivors at tenure k equals 1 - r(k+1)
    np.testing.assert_allclose(means, 1 - m.retention_rate(np.arange(1, 9)))


def test_calendar_forecast_with_staggered_starts():
    alpha, beta = 0.7, 1.2
    f = R.calendar_forecast([0, 1, 2], [100, 200, 300], alpha, beta, 6)
    S = sbg.sbg_survival(alpha, beta, np.arange(6))
    expected = 100 * S + 200 * np.r_[0, S[:5]] + 300 * np.r_[0, 0, S[:4]]
    np.testing.assert_allclose(f["total"].to_numpy(), expected)
    # conditioning on who is still paying at period 2 changes the forecast beyond it only
    g = R.calendar_forecast([0, 1, 2], [100, 200, 300], alpha, beta, 6, active_now=[10, 20, 300], now=2)
    np.testing.assert_allclose(g["total"].to_numpy()[:3], expected[:3])
    assert g.loc[3, 0] == pytest.approx(10 * S[3] / S[2])


# --------------------------------------------------------------------------- bad input
def test_growing_cohort_is_a_data_error():
    with pytest.raises(DataError, match="grow"):
        sbg.ShiftedBetaGeometric("c1").fit([100, 80, 90, 70])


def test_cohort_with_one_period_is_a_data_error():
    with pytest.raises(DataError, match="period"):
        sbg.ShiftedBetaGeometric("c1").fit([100])
    with pytest.raises(DataError, match="only one renewal"):
        sbg.ShiftedBetaGeometric("c1").fit([100, 50])
    with pytest.raises(DataError, match="only one renewal"):
        sbg.ShiftedBetaGeometric("c1").fit(fh_active("regular"), fit_periods=1)


def test_cohorts_table_with_gaps_is_a_data_error():
    df = pd.DataFrame({"cohort": ["x"] * 3, "period": [0, 1, 3], "active": [10, 8, 5]})
    with pytest.raises(DataError, match="without gaps"):
        R.fit_cohorts(df)


def test_non_convergent_fit_is_a_model_error():
    # constant retention (no heterogeneity): the likelihood keeps rising as alpha, beta -> infinity
    with pytest.raises(ModelError, match="did not converge.*Remedy"):
        sbg.ShiftedBetaGeometric().fit([10000, 5000, 2500, 1250, 625])
    with pytest.raises(ModelError, match="nobody left"):
        sbg.ShiftedBetaGeometric().fit([100, 100, 100])
    with pytest.raises(ModelError, match=r"not fitted yet: call \.fit"):
        sbg.ShiftedBetaGeometric().survival(3)


def test_paying_members_forecast_matches_actuals_on_simulated_members():
    alpha, beta = 1.5, 6.0
    members, end = _simulated_members(alpha, beta, 6000, seed=9)
    fits = R.fit_members(members, 30.0, end, by="tier")
    f = R.paying_members_forecast(members, fits, 30.0, end, by="tier", periods_ahead=6)
    past = f[f["actual"].notna()]
    assert len(f) - len(past) == 6
    # the model from join dates tracks the actual paying base within a few per cent
    late = past[past["actual"] > 500]
    assert (late["fitted"] / late["actual"] - 1).abs().max() < 0.06
    # the forecast beyond the data declines and splits by tier
    fut = f[f["forecast"].notna()]
    assert fut["forecast"].is_monotonic_decreasing
    assert fut["forecast"].iloc[0] < past["actual"].iloc[-1] * 1.01
    assert (fut[["forecast_V1", "forecast_V2"]].sum(axis=1) - fut["forecast"]).abs().max() < 1e-9


# --------------------------------------------------------------------------- notebook 03 helpers
def _known_model(alpha: float = 1.0, beta: float = 1.0, var: float = 1e-14) -> sbg.ShiftedBetaGeometric:
    """A model with given parameters and (nearly) no parameter uncertainty. With alpha = beta = 1,
    S(t) = B(1, 1 + t) / B(1, 1) = 1 / (1 + t), so every figure can be worked out by hand."""
    return sbg.ShiftedBetaGeometric.from_params(alpha, beta, name="known", cov=np.eye(2) * var,
                                                durations=sbg.cohort_durations([100, 50, 30], "known"))


def test_holdout_mean_abs_error_on_a_hand_computed_array():
    proj = [1.0, 0.8, 0.6, 0.5, 0.4]
    act = [1.0, 0.7, 0.5, np.nan, 0.45]
    # held out: periods 2 (|0.6 - 0.5| = 0.1) and 4 (|0.4 - 0.45| = 0.05); period 3 unobserved
    assert R.holdout_mean_abs_error(proj, act, fit_periods=1) == pytest.approx(0.075)
    assert R.holdout_mean_abs_error(proj, act, fit_periods=3) == pytest.approx(0.05)
    assert R.holdout_mean_abs_error(proj, act, fit_periods=4) is None  # nothing held out
    with pytest.raises(DataError, match="differ"):
        R.holdout_mean_abs_error(proj, act[:3], fit_periods=1)


def test_actual_survival_is_kaplan_meier_aligned_to_periods_0_to_horizon():
    d = sbg.cohort_durations([200, 120, 90], "c")
    np.testing.assert_allclose(R.actual_survival(d, 4), [1.0, 0.6, 0.45, np.nan, np.nan])
    np.testing.assert_allclose(R.actual_survival(d, 1), [1.0, 0.6])


def test_projection_vs_actual_on_fader_hardie_holds_out_later_years():
    active = fh_active("regular")
    d = sbg.cohort_durations(active, "regular")
    m = sbg.ShiftedBetaGeometric("regular").fit(d, fit_periods=7)
    p = R.projection_vs_actual(m, d, horizon=12, fit_periods=7, n_draws=300, seed=1)
    np.testing.assert_array_equal(p["periods"], np.arange(13))
    np.testing.assert_allclose(p["actual"], active / active[0])  # all 12 years, held-out ones too
    assert np.all(p["lower"] <= p["projected"] + 1e-12) and np.all(p["projected"] <= p["upper"] + 1e-12)
    assert p["lower"][5] < p["projected"][5] < p["upper"][5]
    gap = np.abs(p["projected"][8:] - active[8:] / active[0])
    assert p["holdout_mean_abs_error"] == pytest.approx(gap.mean())
    assert p["holdout_mean_abs_error"] < 0.02


def test_fee_per_period_arithmetic():
    members = pd.DataFrame({"customer_id": ["1", "2", "3"], "tier": ["A", "A", "B"],
                            "joined_at": pd.to_datetime(["2024-01-01"] * 3), "fee": [100.0, 200.0, 365.25]})
    before = members.copy()
    # mean annual fee of the tier x period_days / 365.25
    assert R.period_fee("A", members, "tier", period_days=30.0) == pytest.approx(150 * 30 / 365.25)
    assert R.period_fee("B", members, "tier", period_days=30.0) == pytest.approx(30.0)
    assert R.period_fee("all", members, "all", period_days=365.25) == pytest.approx(665.25 / 3)
    # a fee per period given by the user wins
    assert R.period_fee("A", members, "tier", 30.0, fixed_fee=12.5) == 12.5
    assert R.period_fee("regular", None, fixed_fee=7.0) == 7.0
    # no fees anywhere: values in units of one period's fee
    assert R.period_fee("regular") == 1.0
    assert R.period_fee("A", members.drop(columns="fee"), "tier", 30.0) == 1.0
    assert R.fees_known(members) and R.fees_known(None, 3.0)
    assert not R.fees_known(None) and not R.fees_known(members.drop(columns="fee"))
    pd.testing.assert_frame_equal(members, before)


def test_value_summary_hand_computed_for_alpha_beta_one():
    d = 0.10
    v = R.value_summary(_known_model(), horizon=3, discount_rate=d, tenure=1, fee=2.0, n_draws=50)
    assert v["expected_lifetime"] == pytest.approx(1 + 1 / 2 + 1 / 3)  # S(0) + S(1) + S(2)
    # up to 3 further periods of a member who has paid 1: (S(1) + S(2) + S(3)) / S(0)
    assert v["expected_remaining_lifetime"] == pytest.approx(1 / 2 + 1 / 3 + 1 / 4)
    # sum_t x^t / (t + 1) = -ln(1 - x) / x with x = 1 / (1 + d)
    x = 1 / (1 + d)
    dl = -np.log(1 - x) / x
    assert v["discounted_expected_lifetime"] == pytest.approx(dl, rel=1e-9)
    assert v["discounted_expected_value"] == pytest.approx(2.0 * dl, rel=1e-9)
    assert v["derl_after_tenure"] == pytest.approx(sbg.derl(1.0, 1.0, d, 1))
    # next to no parameter uncertainty: the intervals collapse on the point values
    assert v["discounted_expected_value_ci"] == pytest.approx([2.0 * dl] * 2, rel=1e-5)
    assert v["expected_lifetime_ci"] == pytest.approx([11 / 6] * 2, rel=1e-5)


def test_value_summary_intervals_are_ordered_contain_the_point_and_scale_with_fee():
    m = sbg.ShiftedBetaGeometric("high_end").fit(fh_active("high_end"), fit_periods=7)
    v1 = R.value_summary(m, horizon=12, discount_rate=0.1, tenure=7, fee=1.0, n_draws=400, seed=3)
    v3 = R.value_summary(m, horizon=12, discount_rate=0.1, tenure=7, fee=3.0, n_draws=400, seed=3)
    for k in ("expected_lifetime", "discounted_expected_lifetime", "discounted_expected_value"):
        lo, hi = v1[f"{k}_ci"]
        assert lo < v1[k] < hi, k
    assert v3["discounted_expected_value"] == pytest.approx(3 * v1["discounted_expected_value"])
    assert v3["discounted_expected_value_ci"] == pytest.approx([3 * c for c in v1["discounted_expected_value_ci"]])
    assert v1["discounted_expected_lifetime"] == pytest.approx(m.discounted_expected_lifetime(0.1))
    # survivors of 7 renewals stay longer than a new member (sorting)
    assert v1["expected_remaining_lifetime"] > m.expected_remaining_lifetime(1, 12)
    # a wider interval level gives a wider interval from the same draws
    v99 = R.value_summary(m, horizon=12, discount_rate=0.1, tenure=7, n_draws=400, seed=3, level=0.99)
    assert v99["expected_lifetime_ci"][0] < v1["expected_lifetime_ci"][0]
    assert v99["expected_lifetime_ci"][1] > v1["expected_lifetime_ci"][1]


def test_cohort_results_is_the_published_json_of_one_cohort():
    import json

    active = fh_active("regular")
    d = sbg.cohort_durations(active, "regular")
    m = sbg.ShiftedBetaGeometric("regular").fit(d, fit_periods=7)
    p = R.projection_vs_actual(m, d, horizon=12, fit_periods=7, n_draws=200)
    v = R.value_summary(m, 12, 0.1, 7, fee=4.0, n_draws=200)
    r = R.cohort_results(m, p, v)
    json.dumps(r, allow_nan=True)  # plain Python values only
    assert r["alpha"] == m.alpha and r["n_members"] == 1000
    assert len(r["projected_survival"]) == 13 and len(r["projected_renewal_rate"]) == 12
    assert r["projected_renewal_rate"][0] == pytest.approx(m.beta / (m.alpha + m.beta))
    assert r["expected_lifetime_unrestricted"] is None  # alpha < 1: infinite mean
    assert r["fee_per_period"] == 4.0
    assert r["discounted_expected_value"] == pytest.approx(4.0 * r["discounted_expected_lifetime"])
    assert r["derl_after_fit_periods"] == pytest.approx(m.derl(0.1, 7))
    assert r["holdout_mean_abs_error"] == p["holdout_mean_abs_error"]
    finite = R.cohort_results(_known_model(2.0, 3.0), {**p, "holdout_mean_abs_error": None}, v)
    assert finite["expected_lifetime_unrestricted"] == pytest.approx((2 + 3 - 1) / (2 - 1))


def test_steady_joining_forecast_hand_computed():
    m = _known_model()  # S(t) = 1 / (1 + t)
    cal = R.steady_joining_forecast({"a": m}, join_periods=2, periods_ahead=1, sizes={"a": 100})
    # period 0: 100 S(0); period 1: 100 (S(1) + S(0)); period 2: 100 (S(2) + S(1))
    np.testing.assert_allclose(cal["total"], [100, 150, 100 / 3 + 50])
    two = R.steady_joining_forecast({"a": m, "b": _known_model(1.0, 3.0)}, 2, 1,
                                    sizes={"a": 100, "b": 10})
    assert list(two.columns) == [0, 1, 2, 3, "total"]  # a joins at 0, 1; then b joins at 0, 1
    sb = sbg.sbg_survival(1.0, 3.0, [0, 1, 2])
    np.testing.assert_allclose(two[2], 10 * sb)
    np.testing.assert_allclose(two[3], 10 * np.r_[0, sb[:2]])
    # default sizes: the members each model was fitted on
    dflt = R.steady_joining_forecast({"a": m}, 1, 0)
    assert dflt["total"].tolist() == [100.0]
    assert R.forecast_json(cal) == {"period": [0, 1, 2], "total": cal["total"].tolist()}
    with pytest.raises(DataError, match="join_periods"):
        R.steady_joining_forecast({"a": m}, 0, 3)


def test_fit_and_value_tables_have_one_row_per_cohort():
    fits = R.fit_cohorts(pd.read_csv(FH_COHORTS), fit_periods=7)
    ft = R.fit_table(fits)
    assert list(ft.index) == ["regular", "high_end"] and ft.loc["regular", "members"] == 1000
    assert ft.loc["high_end", "mean_churn"] == pytest.approx(
        fits["high_end"].alpha / (fits["high_end"].alpha + fits["high_end"].beta))
    values = {g: R.value_summary(m, 12, 0.1, 7, n_draws=100) for g, m in fits.items()}
    vt = R.value_table(values)
    assert (vt["value_low"] < vt["discounted_value"]).all()
    assert (vt["discounted_value"] < vt["value_high"]).all()
    # every column has a header in both languages
    yt = R.renewal_by_year_table({g: R.yearly_renewal(m, 365.0, n_draws=100) for g, m in fits.items()})
    for table in (ft, vt, yt):
        for lang in ("en", "zh"):
            assert set(i18n.column_labels(R.STEM, table.columns, lang)) == set(table.columns), (lang, table.columns)


# --------------------------------------------------------------------------- monthly or yearly
YEARLY = DATASETS_DIR / "coffee_club_yearly"


def test_yearly_cohorts_file_is_what_its_generator_makes():
    """datasets/coffee_club_yearly: each tier's counts are simulate_cohort with the truth's values."""
    truth = json.loads((YEARLY / "truth.json").read_text(encoding="utf-8"))
    df = pd.read_csv(YEARLY / "cohorts.csv")
    assert list(df["cohort"].unique()) == list(truth["cohorts"])
    for g, c in truth["cohorts"].items():
        want = sbg.simulate_cohort(c["alpha"], c["beta"], c["size"], truth["periods"], seed=c["seed"])
        np.testing.assert_array_equal(df.loc[df["cohort"] == g, "active"].to_numpy(), want)
        assert c["second_year_renewal"] == pytest.approx(c["beta"] / (c["alpha"] + c["beta"]))
    sheet = (YEARLY / "README.md").read_text(encoding="utf-8")
    for g, c in truth["cohorts"].items():   # the datasheet states the truth the file was made from
        assert f"| {g} | {c['fee']:g} | {c['alpha']:g} | {c['beta']:g} | {c['size']:,} | {c['seed']} | " \
               f"{c['second_year_renewal']:.1%} |" in sheet, g
    assert f"{len(df)} cohort rows" in sheet


def test_yearly_fit_recovers_the_known_truth_and_the_second_year_renewal():
    """Known truth: the yearly cohorts were simulated from these (alpha, beta); the 95% intervals of
    alpha, beta and of the second-year renewal beta / (alpha + beta) hold them."""
    truth = json.loads((YEARLY / "truth.json").read_text(encoding="utf-8"))["cohorts"]
    res = R.run(load_tables(cohorts_path="coffee_club_yearly"), period="year", fit_periods=5, n_draws=1000)
    assert res.settings["period"] == "year" and res.settings["period_days"] == DAYS_PER_YEAR
    out = res.to_json()
    assert out["periods_per_year"] == 1 and out["period_how"] == "given"
    for g, t in truth.items():
        c = out["cohorts"][g]
        assert c["alpha_ci"][0] < t["alpha"] < c["alpha_ci"][1], (g, c["alpha_ci"])
        assert c["beta_ci"][0] < t["beta"] < c["beta_ci"][1], (g, c["beta_ci"])
        lo, hi = c["second_year_renewal_ci"]
        assert lo < t["second_year_renewal"] < hi, (g, lo, hi)
        # a yearly period: the second-year renewal is the first renewal, S(1) = beta / (alpha + beta)
        assert c["second_year_renewal"] == pytest.approx(c["beta"] / (c["alpha"] + c["beta"]))
        assert c["second_year_renewal"] == pytest.approx(c["projected_survival"][1])
        # renewal into year y is r(y - 1) (FH 2007 eq. 7), rising with tenure
        r = c["renewal_by_year"]
        assert r == pytest.approx([(c["beta"] + k) / (c["alpha"] + c["beta"] + k) for k in range(4)])
        assert all(a < b for a, b in zip(r, r[1:]))
        assert all(l_ <= v <= h for l_, v, h in zip(c["renewal_by_year_lower"], r, c["renewal_by_year_upper"]))
        assert c["holdout_mean_abs_error"] < 0.03     # years 6-8 held out
    assert out["headline_cohort"] == "V1" and out["second_year_renewal"] == out["cohorts"]["V1"]["second_year_renewal"]
    assert out["later_year_renewal"] == out["cohorts"]["V1"]["renewal_by_year"][1:]
    head = res.headline_text("en")
    assert head.startswith("Second-year renewal") and f"{out['second_year_renewal']:.0%}" in head
    assert "第二年续费率" in res.headline_text("zh")


def test_monthly_second_year_renewal_is_the_share_paying_twelve_renewals_later():
    m = _known_model(0.9, 3.0)
    y = R.yearly_renewal(m, 30.0, n_draws=200)
    assert y["periods_per_year"] == 12
    S = sbg.sbg_survival(0.9, 3.0, [0, 12, 24, 36, 48])
    assert y["second_year_renewal"] == pytest.approx(S[1])
    assert y["renewal_by_year"] == pytest.approx((S[1:] / S[:-1]).tolist())
    assert R.periods_per_year(365.0) == R.periods_per_year(DAYS_PER_YEAR) == 1
    assert R.periods_per_year(30.44) == 12 and R.periods_per_year(91) == 4


def _yearly_members(alpha, beta, n, seed, years=8):
    """A yearly membership: each member lapses on an anniversary of joining (365 or 366 days apart)."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2017-01-01")
    joined = start + pd.to_timedelta(rng.integers(0, 365 * 3, n), unit="D")
    T = rng.geometric(rng.beta(alpha, beta, n))
    ended = pd.Series([j + pd.DateOffset(years=int(t)) for j, t in zip(joined, T)])
    end = start + pd.DateOffset(years=years)
    return pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "joined_at": joined,
                         "ended_at": ended.where(ended <= end).to_numpy(), "tier": "V1"}), end


def test_auto_reads_a_yearly_membership_from_anniversary_end_dates_and_recovers_the_truth():
    alpha, beta = 0.9, 1.6
    members, end = _yearly_members(alpha, beta, 3000, seed=3)
    reading = R.resolve_period("auto", 0.0, members)
    assert reading["period"] == "year" and reading["how"] == "end_dates" and reading["anniversary_share"] == 1.0
    # anniversaries 366 days apart (leap years) still count as one year paid
    md = R.member_durations(members, DAYS_PER_YEAR, end)
    left = ~md["censored"]
    years = [pd.Timestamp(e).year - pd.Timestamp(j).year for j, e in
             zip(members.loc[left, "joined_at"], members.loc[left, "ended_at"])]
    assert md.loc[left, "t"].tolist() == years
    t = Tables(members=members, files={"members": "yearly.csv"}, sources={"members": "test"})
    res = R.run(t, observation_end=str(end.date()), n_draws=500)
    c = res.to_json()["cohorts"]["V1"]
    assert res.settings["period"] == "year"
    assert c["alpha_ci"][0] < alpha < c["alpha_ci"][1] and c["beta_ci"][0] < beta < c["beta_ci"][1]
    lo, hi = c["second_year_renewal_ci"]
    assert lo < beta / (alpha + beta) < hi


def test_auto_reads_the_bundled_monthly_members_as_monthly():
    members = load_tables(members_path="coffee_club").members
    reading = R.resolve_period("auto", 0.0, members)
    assert reading["period"] == "month" and reading["period_days"] == 30.0
    assert reading["anniversary_share"] < 0.2 and reading["n_leavers"] == int(members["ended_at"].notna().sum())


@pytest.mark.parametrize("period, days, kind, length, how", [
    ("year", 0, "year", DAYS_PER_YEAR, "given"), ("month", 0, "month", 30.0, "given"),
    ("year", 365, "year", 365.0, "given"), ("auto", 365, "year", 365.0, "period_days"),
    ("auto", 30.44, "month", 30.44, "period_days"), ("YEAR", 0, "year", DAYS_PER_YEAR, "given")])
def test_resolve_period_choices(period, days, kind, length, how):
    r = R.resolve_period(period, days, cohorts=True)
    assert (r["period"], r["period_days"], r["how"]) == (kind, length, how)


def test_bad_periods_are_parameter_errors_that_say_the_fix():
    with pytest.raises(ParameterError, match="'period'.*unknown value 'weekly'.*'year'"):
        R.resolve_period("weekly")
    with pytest.raises(ParameterError, match="contradicts period='month'"):
        R.resolve_period("month", 365)
    with pytest.raises(ParameterError, match="contradicts period='year'"):
        R.resolve_period("year", 30)
    with pytest.raises(ParameterError, match="cohorts table does not say.*'month' or 'year'"):
        R.run(load_tables(cohorts_path="coffee_club_yearly"))
    with pytest.raises(ParameterError, match="period_days"):
        R.resolve_period("auto", -5)

