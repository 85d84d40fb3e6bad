"""Multinomial logit for choice-based conjoint: part-worths and willingness to pay per benefit.

A respondent facing choice set ``g`` picks alternative ``j`` with probability
``exp(x_j beta) / sum_k exp(x_k beta)`` (McFadden 1974), where ``x_j`` holds the alternative's
attributes (one 0/1 column per benefit, its fee, and a "no membership" indicator). Willingness to
pay for benefit ``b`` is the fee change that leaves utility unchanged,
``WTP_b = beta_b / -beta_price`` (yuan a year when the fee is annual), with a delta-method interval
from the coefficients' covariance.

**Library choice.** The likelihood is statsmodels' ``ConditionalLogit`` (maintained; with one
chosen alternative per group the conditional logit *is* the multinomial logit with
alternative-specific attributes). This module adds the fitted-model surface of the kit, the
willingness-to-pay transform and the generative process.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from superkit.core.errors import ModelError
from superkit.core.stats import wald_interval
from superkit.models.base import FittedModel

__all__ = ["ChoiceLogit"]


class ChoiceLogit(FittedModel):
    """Conditional (multinomial) logit on alternatives grouped by choice set."""

    name = "Multinomial logit (conditional logit)"
    log_scale = False
    obs_label = "choice sets"

    def __init__(self, price: str = "price"):
        self.price = price
        self.params_ = None

    @classmethod
    def from_params(cls, params: dict, price: str = "price") -> "ChoiceLogit":
        """A model with known coefficients (for simulation)."""
        m = cls(price=price)
        m.param_names = tuple(params)
        m.params_ = pd.Series({k: float(v) for k, v in params.items()})
        m._cov = None
        return m

    def fit(self, X: pd.DataFrame, chosen, groups) -> "ChoiceLogit":
        """``X``: one row per alternative, one column per attribute (the price column included);
        ``chosen``: 1 for the alternative picked in its group; ``groups``: the choice set of each row."""
        from statsmodels.discrete.conditional_models import ConditionalLogit

        if self.price not in X.columns:
            raise ModelError(f"the choices have no '{self.price}' column. Remedy: give each alternative its fee.")
        y = np.asarray(chosen, dtype=float)
        g = pd.factorize(np.asarray(groups))[0]
        Xv = X.to_numpy(dtype=float)
        # an attribute is measured only by choices between offers that differ in it: within a task
        span = pd.DataFrame(Xv).groupby(g).agg(lambda c: c.max() - c.min())
        flat = [c for c, varies in zip(X.columns, (span > 0).any(axis=0)) if not varies]
        if flat:
            raise ModelError(f"the attributes {flat} never differ between the offers of a task, so their "
                             "worth cannot be measured. Remedy: drop them, or field a design that varies them.")
        if np.linalg.matrix_rank(Xv - Xv.mean(axis=0)) < Xv.shape[1]:
            raise ModelError("some attributes always appear together (or move with the fee), so their "
                             "worths cannot be told apart. Remedy: field a design that varies them separately.")
        n_groups = len(np.unique(g))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = ConditionalLogit(y, Xv, groups=g)
            res = model.fit(method="bfgs", maxiter=1000, disp=0, skip_hessian=True)
            # convergence: the score per choice set is ~0 at the maximum (the results carry no flag)
            score = np.asarray(model.score(res.params), dtype=float) / max(n_groups, 1)
            try:   # covariance: the inverse observed information (statsmodels' own Hessian)
                cov = np.linalg.inv(-np.asarray(model.hessian(res.params), dtype=float))
            except (ValueError, np.linalg.LinAlgError):
                cov = None
        scale = np.maximum(np.abs(Xv).max(axis=0), 1.0)
        params = np.asarray(res.params, dtype=float)
        if not np.all(np.isfinite(params)) or not np.all(np.abs(score) / scale < 1e-4):
            raise ModelError("the choice model did not converge. Remedy: check the survey data (an attribute "
                             "that is always or never chosen makes its worth infinite), or drop that attribute.")
        # quasi-separation: an attribute whose offers are (almost) always or never picked drifts to a
        # huge part-worth with a still larger standard error; the likelihood cannot pin it down
        effect = np.abs(params) * np.ptp(Xv, axis=0)
        huge = [c for c, e in zip(X.columns, effect) if e > 12]          # odds ratio above e^12
        if cov is None or not np.all(np.isfinite(cov)) or np.any(np.diag(cov) <= 0) or huge:
            what = (f"the offers holding {huge} were (almost) always or never chosen" if huge else
                    f"the {n_groups:,} answered tasks are too few or too uniform to measure every attribute")
            raise ModelError(f"the survey cannot measure willingness to pay: {what}. Remedy: more respondents "
                             "(a few hundred, 8-12 tasks each), a design where every benefit appears in about "
                             "half the offers, and no attribute that decides every choice.")
        self.param_names = tuple(str(c) for c in X.columns)
        self.params_ = pd.Series(params, index=list(self.param_names))
        self._cov = cov
        self.log_likelihood_ = float(res.llf)
        self.n_obs_ = int(len(np.unique(g)))
        return self

    def willingness_to_pay(self, level: float = 0.95) -> pd.DataFrame:
        """Per attribute (price excluded): ``wtp = beta / -beta_price`` in the price's unit, its
        delta-method standard error and ``level`` interval."""
        self._check_fitted()
        beta = self.params_
        bp = float(beta[self.price])
        if not bp < 0:
            raise ModelError(f"the fee coefficient is {bp:.4g}, not negative: respondents did not prefer "
                             "cheaper offers, so willingness to pay is undefined. Remedy: check the price "
                             "column and the design's fee levels.")
        names = [n for n in self.param_names if n != self.price]
        cov = self.cov_
        idx = {n: i for i, n in enumerate(self.param_names)}
        rows = []
        for n in names:
            w = float(beta[n]) / -bp
            if cov is not None:
                g = np.zeros(len(self.param_names))
                g[idx[n]] = -1.0 / bp
                g[idx[self.price]] = float(beta[n]) / bp ** 2
                se = float(np.sqrt(max(g @ cov @ g, 0.0)))
            else:
                se = float("nan")
            lo, hi = wald_interval(w, se, level)
            rows.append({"attribute": n, "wtp": w, "se": se, "lower": lo, "upper": hi})
        return pd.DataFrame(rows).set_index("attribute")

    def choice_probabilities(self, X: pd.DataFrame, groups) -> np.ndarray:
        """Probability of each alternative within its choice set."""
        self._check_fitted()
        u = X[list(self.param_names)].to_numpy(dtype=float) @ self.params_.to_numpy()
        g = pd.factorize(np.asarray(groups))[0]
        u = u - pd.Series(u).groupby(g).transform("max").to_numpy()
        e = np.exp(u)
        return e / pd.Series(e).groupby(g).transform("sum").to_numpy()

    def simulate(self, X: pd.DataFrame, groups, seed: int = 0) -> np.ndarray:
        """Draw one choice per group from the model (1 for the chosen row)."""
        self._check_fitted()
        rng = np.random.default_rng(seed)
        u = X[list(self.param_names)].to_numpy(dtype=float) @ self.params_.to_numpy() + rng.gumbel(size=len(X))
        g = pd.factorize(np.asarray(groups))[0]
        return (u == pd.Series(u).groupby(g).transform("max").to_numpy()).astype(int)
