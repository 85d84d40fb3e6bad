"""Perceived value from a survey: willingness to pay per benefit from a choice-based conjoint.

Respondents chose between membership offers (benefits at an annual fee, or no membership); a
multinomial logit (:class:`superkit.models.ChoiceLogit`) turns the choices into part-worths, and a
benefit's willingness to pay (WTP) is its part-worth divided by the fee's, in yuan a year. That is
what a member feels the benefit is worth, usage included, so it can replace the catalog's assumed
``perceived_value`` (:func:`survey_values`).

Designing the questionnaire: :func:`superkit.data.survey.choice_design`; checking the method on
respondents with known part-worths: :func:`superkit.data.survey.simulate_choices`
(``tests/test_conjoint.py`` checks that the intervals cover the truth).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from superkit.core.checks import require_columns
from superkit.core.errors import DataError
from superkit.data.spec import attribute_columns
from superkit.models.choice_logit import ChoiceLogit

__all__ = ["SurveyEstimate", "estimate_wtp", "match_ids", "survey_values"]


@dataclass
class SurveyEstimate:
    """The fitted choice model and each benefit's willingness to pay."""

    model: ChoiceLogit
    wtp: pd.DataFrame            # index attribute; wtp, se, lower, upper (yuan a year)
    n_respondents: int
    n_tasks: int

    def to_json(self) -> dict:
        return {"n_respondents": self.n_respondents, "n_tasks": self.n_tasks,
                "price_coefficient": float(self.model.params_[self.model.price]),
                "wtp": {k: {"estimate": float(r.wtp), "ci": [float(r.lower), float(r.upper)]}
                        for k, r in self.wtp.iterrows()}}


def estimate_wtp(choices: pd.DataFrame, level: float = 0.95) -> SurveyEstimate:
    """Fit the multinomial logit to a validated choices table; WTP per benefit with intervals."""
    require_columns(choices, ["respondent", "task", "chosen", "price"], "choices")
    attrs = attribute_columns(choices.columns)
    if not attrs:
        raise DataError("no benefit columns in the choices", source="choices",
                        fix="add one 0/1 column per benefit shown, named by its benefit_id.")
    has_none = "none" in choices.columns and bool(choices["none"].astype(int).any())
    cols = attrs + ["price"] + (["none"] if has_none else [])
    groups = choices["respondent"].astype(str) + "\x1f" + choices["task"].astype(str)
    model = ChoiceLogit(price="price").fit(choices[cols], choices["chosen"], groups)
    wtp = model.willingness_to_pay(level).drop(index=["none"], errors="ignore")
    return SurveyEstimate(model, wtp, int(choices["respondent"].nunique()), int(groups.nunique()))


def match_ids(benefit_ids, attributes) -> dict:
    """Survey attribute -> catalog benefit id (as written, else ignoring case and surrounding
    spaces), or None when the catalog has no such benefit."""
    ids = [str(b) for b in benefit_ids]
    exact = set(ids)
    folded = {b.strip().lower(): b for b in ids}
    return {a: (a if a in exact else folded.get(str(a).strip().lower())) for a in attributes}


def survey_values(benefit_ids, estimate: SurveyEstimate, rel_precision: float = 0.5,
                  abs_precision: float = 25.0) -> tuple[dict, list[str], list[str], list[str]]:
    """Willingness to pay for the catalog's benefits that the survey measured precisely enough.

    Survey columns are matched to benefit ids as written, else ignoring case and surrounding spaces.
    A benefit's survey value is used when its 95% interval is no wider than ``+-rel_precision`` of
    the estimate or ``+-abs_precision`` yuan, whichever is larger; a small or noisy survey then
    leaves the catalog's value in place instead of replacing it with noise. Values are floored at 0
    (a benefit members would pay to avoid adds no value to an offer).

    Returns ``(values, measured, unknown, imprecise)``: ``values`` maps benefit id -> yuan a year;
    ``measured`` the benefit ids used; ``unknown`` survey attributes not in the catalog;
    ``imprecise`` benefit ids measured too loosely to use.
    """
    w = estimate.wtp
    match = match_ids(benefit_ids, w.index)
    values, measured, unknown, imprecise = {}, [], [], []
    for attr, r in w.iterrows():
        b = match[attr]
        if b is None:
            unknown.append(attr)
            continue
        half = (r["upper"] - r["lower"]) / 2
        if not np.isfinite(half) or half > max(rel_precision * abs(r["wtp"]), abs_precision):
            imprecise.append(b)
            continue
        values[b] = float(max(0.0, r["wtp"]))
        measured.append(b)
    return values, measured, unknown, imprecise
