"""Choice-based conjoint surveys: the questionnaire a consultant fields, and simulated answers.

A **choice task** shows a respondent a few membership offers -- each a set of benefits at an annual
fee -- and, optionally, "no membership"; the respondent picks one. Many tasks per respondent, with
benefits and fees varied by design, let a multinomial logit recover how much each benefit adds to
an offer's appeal in yuan (willingness to pay, :mod:`superkit.analyses.conjoint`).

* :func:`choice_design` -- a randomised design (each benefit shown in about half of the offers,
  fees drawn evenly from the levels, no task with two identical offers): the "random" design method
  of commercial conjoint software, which estimates main effects without bias and needs no design
  catalogue. Written in the ``choices`` table format (``chosen`` left empty to be filled in).
* :func:`simulate_choices` -- answers from respondents with known part-worths (utility of an offer
  = sum of its benefits' part-worths + price coefficient x fee + Gumbel noise; "no membership" has
  utility ``none_utility`` + noise), so an estimator can be checked against the truth.

Tables in the contract's ``choices`` format: ``respondent, task, alternative, chosen, price, none``
and one 0/1 column per benefit.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from superkit.core.checks import check_number
from superkit.core.errors import ParameterError

__all__ = ["choice_design", "simulate_choices"]


def choice_design(benefits, n_respondents: int = 300, n_tasks: int = 8, n_alternatives: int = 3,
                  prices=(49, 99, 149, 199, 299), none_option: bool = True, seed: int = 0) -> pd.DataFrame:
    """A randomised choice design: ``n_respondents x n_tasks`` tasks of ``n_alternatives`` offers
    (plus "no membership" when ``none_option``). ``benefits`` are the benefit ids shown."""
    benefits = [str(b) for b in benefits]
    if not benefits:
        raise ParameterError("benefits", "is empty", fix="name the benefit ids the survey shows.")
    if len(set(benefits)) != len(benefits):
        raise ParameterError("benefits", "lists a benefit twice", fix="name each benefit once.")
    n_respondents = check_number("n_respondents", n_respondents, low=1, integer=True, fix="e.g. 300.")
    n_tasks = check_number("n_tasks", n_tasks, low=1, integer=True, fix="e.g. 8.")
    n_alternatives = check_number("n_alternatives", n_alternatives, low=2, integer=True, fix="e.g. 3.")
    prices = np.asarray(prices, dtype=float)
    if prices.size < 2 or (prices < 0).any():
        raise ParameterError("prices", "needs at least two fee levels >= 0", fix="e.g. (49, 99, 199, 299).")
    rng = np.random.default_rng(seed)
    K, A = len(benefits), n_alternatives
    n_tasks_all = n_respondents * n_tasks
    attrs = rng.integers(0, 2, size=(n_tasks_all, A, K))
    price = rng.choice(prices, size=(n_tasks_all, A))
    # redraw offers identical to another offer of the same task
    for _ in range(100):
        flat = np.concatenate([attrs, price[..., None]], axis=2)
        same = np.zeros((n_tasks_all, A), dtype=bool)
        for i in range(A):
            for j in range(i):
                same[:, i] |= (flat[:, i] == flat[:, j]).all(axis=1)
        if not same.any():
            break
        idx = np.nonzero(same)
        attrs[idx] = rng.integers(0, 2, size=(len(idx[0]), K))
        price[idx] = rng.choice(prices, size=len(idx[0]))
    alts = A + int(bool(none_option))
    rows = n_tasks_all * alts
    resp = np.repeat(np.arange(n_respondents), n_tasks * alts)
    task = np.tile(np.repeat(np.arange(n_tasks), alts), n_respondents)
    alt = np.tile(np.arange(alts), n_tasks_all)
    X = np.zeros((n_tasks_all, alts, K), dtype=int)
    P = np.zeros((n_tasks_all, alts))
    X[:, :A] = attrs
    P[:, :A] = price
    none = np.zeros((n_tasks_all, alts), dtype=int)
    if none_option:
        none[:, A] = 1
    width = len(str(n_respondents))
    out = pd.DataFrame({
        "respondent": [f"R{r + 1:0{width}d}" for r in resp],
        "task": task + 1,
        "alternative": np.where(none.ravel() == 1, "none", pd.Series(alt + 1).astype(str)),
        "chosen": np.zeros(rows, dtype=int),
        "price": P.ravel(),
        "none": none.ravel(),
    })
    for k, b in enumerate(benefits):
        out[b] = X[:, :, k].ravel()
    return out


def simulate_choices(design: pd.DataFrame, part_worths: dict, price_coefficient: float,
                     none_utility: float = 0.0, seed: int = 0, heterogeneity: float = 0.0) -> pd.DataFrame:
    """Fill ``chosen`` in a design with answers of logit respondents with known part-worths.

    ``part_worths``: benefit id -> utility of holding it; ``price_coefficient`` (< 0): utility per
    yuan of fee, so a benefit's true willingness to pay is ``part_worth / -price_coefficient``;
    ``heterogeneity`` (>= 0): each respondent's part-worths vary around the given ones with this
    standard deviation (0: everyone alike, the multinomial logit's own assumption).
    """
    missing = [b for b in part_worths if b not in design.columns]
    if missing:
        raise ParameterError("part_worths", f"names benefits the design does not show: {missing}",
                             fix="use the design's benefit columns.")
    if not price_coefficient < 0:
        raise ParameterError("price_coefficient", f"must be negative, got {price_coefficient}",
                             fix="a higher fee makes an offer less attractive, e.g. -0.015 per yuan.")
    check_number("heterogeneity", heterogeneity, low=0, fix="e.g. 0 or 0.3.")
    rng = np.random.default_rng(seed)
    out = design.copy()
    names = list(part_worths)
    beta = np.array([part_worths[b] for b in names], dtype=float)
    resp_codes, resp = pd.factorize(out["respondent"])
    B = beta[None, :] + heterogeneity * rng.standard_normal((len(resp), len(names)))
    X = out[names].to_numpy(dtype=float)
    none = out["none"].to_numpy(dtype=float) if "none" in out.columns else np.zeros(len(out))
    util = (X * B[resp_codes]).sum(axis=1) + price_coefficient * out["price"].to_numpy(dtype=float) \
        + none_utility * none + rng.gumbel(size=len(out))
    group = pd.factorize(pd.MultiIndex.from_arrays([out["respondent"], out["task"]]))[0]
    best = pd.Series(util).groupby(group).transform("max").to_numpy()
    out["chosen"] = (util == best).astype(int)
    return out
