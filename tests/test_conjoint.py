"""Willingness to pay from a choice-based conjoint: the design, the response table, and recovery of
known part-worths by the multinomial logit (intervals cover the truth)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from superkit.analyses import conjoint
from superkit.core.errors import DataError, ModelError
from superkit.data import datasets
from superkit.data.contract import read_choices
from superkit.data.spec import attribute_columns
from superkit.data.survey import choice_design, simulate_choices
from superkit.models.choice_logit import ChoiceLogit

BENEFITS = ["a", "b", "c", "d", "e"]
TRUE_WTP = {"a": 30.0, "b": 80.0, "c": 10.0, "d": 120.0, "e": 55.0}
PRICE = -0.012


def survey(n_respondents=200, seed=0, heterogeneity=0.0, none_option=True):
    design = choice_design(BENEFITS, n_respondents=n_respondents, n_tasks=8, n_alternatives=3,
                           none_option=none_option, seed=seed)
    return simulate_choices(design, {b: w * -PRICE for b, w in TRUE_WTP.items()}, PRICE, none_utility=1.0,
                            seed=seed + 1000, heterogeneity=heterogeneity)


def test_design_is_balanced_and_never_repeats_an_offer_in_a_task():
    d = choice_design(BENEFITS, n_respondents=100, n_tasks=6, n_alternatives=3, seed=1)
    assert len(d) == 100 * 6 * 4
    offers = d[d["none"] == 0]
    assert np.allclose(offers[BENEFITS].mean(), 0.5, atol=0.05)          # each benefit in about half
    assert set(offers["price"]) == {49, 99, 149, 199, 299}
    key = offers[BENEFITS + ["price"]].astype(str).agg("|".join, axis=1)
    assert not key.groupby([offers["respondent"], offers["task"]]).apply(lambda s: s.duplicated().any()).any()
    nones = d[d["none"] == 1]
    assert (nones[BENEFITS].sum(axis=1) == 0).all() and (nones["price"] == 0).all()
    assert len(nones) == 600


def test_simulated_answers_pick_one_per_task_and_pass_the_contract():
    s = survey(50)
    out = read_choices(s)
    assert out.groupby(["respondent", "task"])["chosen"].sum().eq(1).all()
    assert attribute_columns(out.columns) == BENEFITS


@pytest.mark.parametrize("change, needle", [
    (lambda d: d.assign(chosen=0), "without exactly one chosen"),
    (lambda d: d.assign(a=d["a"].replace(1, 2)), "values other than 0 and 1"),
    (lambda d: d.drop(columns=BENEFITS), "no attribute columns"),
    (lambda d: d.assign(price=-d["price"]), "negative prices"),
    (lambda d: pd.concat([d, d.head(1)]), "appears twice in a task"),
])
def test_bad_survey_files_are_refused(change, needle):
    with pytest.raises(DataError, match=needle):
        read_choices(change(survey(20)))


def test_wtp_recovers_known_part_worths():
    est = conjoint.estimate_wtp(read_choices(survey(300, seed=3)))
    w = est.wtp
    for b, truth in TRUE_WTP.items():
        assert abs(w.loc[b, "wtp"] - truth) < 4 * w.loc[b, "se"], (b, w.loc[b].to_dict())
    assert est.model.params_["price"] == pytest.approx(PRICE, rel=0.15)
    covered = sum(w.loc[b, "lower"] <= t <= w.loc[b, "upper"] for b, t in TRUE_WTP.items())
    assert covered >= 4
    # the delta-method standard error agrees with a parametric bootstrap from the fitted covariance
    rng = np.random.default_rng(0)
    draws = rng.multivariate_normal(est.model.params_.to_numpy(), est.model.cov_, size=4000)
    names = list(est.model.param_names)
    ratio = draws[:, names.index("d")] / -draws[:, names.index("price")]
    assert np.std(ratio) == pytest.approx(w.loc["d", "se"], rel=0.1)


def test_survey_values_fill_the_catalog_and_name_what_it_does_not_have():
    est = conjoint.estimate_wtp(read_choices(survey(150, seed=4)))
    values, measured, unknown, loose = conjoint.survey_values([" A", "b", "zz"], est)   # case and spaces
    assert measured == [" A", "b"] and set(unknown) == {"c", "d", "e"} and loose == []
    assert values["b"] == pytest.approx(float(est.wtp.loc["b", "wtp"]))
    assert values[" A"] == pytest.approx(max(0.0, float(est.wtp.loc["a", "wtp"])))


def test_a_small_survey_leaves_loosely_measured_values_to_the_catalog():
    est = conjoint.estimate_wtp(read_choices(survey(12, seed=6)))
    values, measured, _, loose = conjoint.survey_values(BENEFITS, est)
    assert loose, "12 respondents cannot pin every benefit to +-50%"
    for b in loose:
        r = est.wtp.loc[b]
        assert (r["upper"] - r["lower"]) / 2 > max(0.5 * abs(r["wtp"]), 25)
    assert set(values) == set(measured) and not set(measured) & set(loose)


def test_choice_model_explains_what_it_cannot_estimate():
    s = read_choices(survey(30))
    groups = s["respondent"] + "/" + s["task"].astype(str)
    with pytest.raises(ModelError, match="never differ between the offers of a task"):
        ChoiceLogit().fit(s[BENEFITS + ["price"]].assign(a=1), s["chosen"], groups)
    # varies across the table but never inside a task: still not measurable
    same_in_task = s.groupby(["respondent", "task"])["a"].transform("first")
    with pytest.raises(ModelError, match=r"\['a'\] never differ"):
        ChoiceLogit().fit(s[BENEFITS + ["price"]].assign(a=same_in_task), s["chosen"], groups)
    with pytest.raises(ModelError, match="always appear together"):
        ChoiceLogit().fit(s[BENEFITS + ["price"]].assign(f=s["a"]), s["chosen"], groups)
    # respondents who prefer dearer offers: willingness to pay is undefined
    flipped = s.assign(price=-s["price"] + 300)
    m = ChoiceLogit().fit(flipped[BENEFITS + ["price", "none"]], flipped["chosen"], groups)
    with pytest.raises(ModelError, match="not negative"):
        m.willingness_to_pay()


def test_a_benefit_that_decides_every_choice_is_refused_not_priced_at_a_fortune():
    s = read_choices(survey(100, seed=5))
    key = s["respondent"] + "/" + s["task"].astype(str)
    first = s[s["a"] == 1].groupby(key[s["a"] == 1]).head(1).index
    rigged = s.assign(chosen=0)
    rigged.loc[first, "chosen"] = 1
    rest = ~key.isin(set(key[first]))
    rigged.loc[rest & (rigged["none"] == 1), "chosen"] = 1
    with pytest.raises(ModelError, match="always or never chosen"):
        conjoint.estimate_wtp(read_choices(rigged))


def test_a_pilot_of_three_respondents_is_refused_with_the_remedy():
    s = read_choices(datasets.path("coffee_club", "choices"))
    pilot = s[s["respondent"].isin(sorted(s["respondent"].unique())[:3])]
    with pytest.raises(ModelError, match="Remedy"):
        conjoint.estimate_wtp(pilot)


def test_the_model_simulates_itself():
    m = ChoiceLogit.from_params({**{b: w * -PRICE for b, w in TRUE_WTP.items()}, "price": PRICE, "none": 1.0})
    d = choice_design(BENEFITS, n_respondents=300, n_tasks=8, seed=9)
    groups = d["respondent"] + "/" + d["task"].astype(str)
    X = d[BENEFITS + ["price", "none"]]
    chosen = m.simulate(X, groups, seed=1)
    refit = ChoiceLogit().fit(X, chosen, groups)
    p = refit.params_
    se = refit.standard_errors()
    for k, v in m.params.items():
        assert abs(p[k] - v) < 4 * se[k], k
    probs = m.choice_probabilities(X, groups)
    assert np.allclose(pd.Series(probs).groupby(pd.factorize(groups)[0]).sum(), 1.0)


def test_bundled_survey_is_what_its_generator_makes_and_recovers_its_truth():
    bundled = read_choices(datasets.path("coffee_club", "choices"))
    fresh = read_choices(datasets.coffee_survey())
    pd.testing.assert_frame_equal(bundled, fresh)
    truth = datasets.truth("coffee_club")["survey"]["true_wtp"]
    est = conjoint.estimate_wtp(bundled)
    for b, t in truth.items():
        assert abs(est.wtp.loc[b, "wtp"] - t) < 4 * est.wtp.loc[b, "se"], b


@pytest.mark.slow
def test_wtp_intervals_cover_the_truth_over_many_surveys():
    """Coverage of the 95% delta-method intervals over 100 simulated surveys of 200 respondents."""
    hits = {b: 0 for b in TRUE_WTP}
    n = 100
    for seed in range(n):
        w = conjoint.estimate_wtp(read_choices(survey(200, seed=100 + seed))).wtp
        for b, t in TRUE_WTP.items():
            hits[b] += w.loc[b, "lower"] <= t <= w.loc[b, "upper"]
    rates = {b: h / n for b, h in hits.items()}
    assert all(r >= 0.88 for r in rates.values()), rates
    assert np.mean(list(rates.values())) >= 0.92, rates


def test_an_unfitted_choice_model_says_so():
    with pytest.raises(ModelError, match="not fitted yet"):
        ChoiceLogit().willingness_to_pay()
    assert "not fitted" in repr(ChoiceLogit())
