"""Paid-membership renewal with the shifted-beta-geometric (sBG) model (续费率模型).

Fader, P. S. & Hardie, B. G. S. (2007), "How to project customer retention", Journal of
Interactive Marketing 21(1), 76-90 (the model, eq. 1-7); Fader & Hardie (2010), "Customer-base
valuation in a contractual setting: the perils of ignoring heterogeneity", Marketing Science
29(1), 85-93 (discounted expected residual lifetime, eq. 6).

The story: at each renewal point a member with churn probability ``theta`` leaves with
probability ``theta`` (a geometric lifetime); ``theta`` varies across members as
``Beta(alpha, beta)``. The renewal rate of a cohort rises with tenure although no member becomes
more loyal: the members with high ``theta`` leave first, so the survivors are the loyal ones.

Time is counted in **periods** (the renewal cycle: a month, a year). ``T`` is the number of
periods a member pays for (``T >= 1``: everyone pays at joining, period 0). Then

* ``P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta)``            (FH 2007 eq. 5)
* ``S(t) = P(T > t) = B(alpha, beta + t) / B(alpha, beta)``               (eq. 6), the share
  still paying at the start of period ``t``;
* ``r(t) = S(t) / S(t-1) = (beta + t - 1) / (alpha + beta + t - 1)``      (eq. 7), the renewal
  rate at the ``t``-th renewal.

Data enter as :class:`Durations`: for each member (or group of identical members, with a weight)
the number of periods ``t`` and whether it is censored. A member who left after paying ``t``
periods contributes ``log P(T = t)``; a member still paying at the start of period ``t`` when
observation ends contributes ``log S(t)`` (right-censoring). A cohort table (survivors at the start
of periods 0..n) is the special case where everyone is observed to the same period
(:func:`cohort_durations`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats

from superkit.core.checks import check_number
from superkit.core.errors import DataError, ModelError, ParameterError
from superkit.core.stats import percentile_interval
from superkit.models.base import MLEModel

__all__ = [
    "Durations",
    "LOG_EDGE",
    "ShiftedBetaGeometric",
    "cohort_durations",
    "derl",
    "discounted_expected_lifetime",
    "expected_lifetime",
    "expected_remaining_lifetime",
    "kaplan_meier",
    "log_likelihood",
    "sbg_pmf",
    "sbg_retention_rate",
    "sbg_survival",
    "simulate_cohort",
    "simulate_durations",
]

LOG_EDGE = math.log(1e4)  # alpha or beta beyond 1e4 (or below 1e-4): not pinned down by the data


# --------------------------------------------------------------------------- the distribution
def sbg_survival(alpha: float, beta: float, t) -> np.ndarray:
    """S(t) = P(T > t) = B(alpha, beta + t) / B(alpha, beta), t = 0, 1, ... (FH 2007 eq. 6)."""
    t = np.asarray(t, dtype=float)
    return np.exp(special.betaln(alpha, beta + t) - special.betaln(alpha, beta))


def sbg_pmf(alpha: float, beta: float, t) -> np.ndarray:
    """P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta), t = 1, 2, ... (FH 2007 eq. 5)."""
    t = np.asarray(t, dtype=float)
    return np.exp(special.betaln(alpha + 1, beta + t - 1) - special.betaln(alpha, beta))


def sbg_retention_rate(alpha: float, beta: float, t) -> np.ndarray:
    """r(t) = (beta + t - 1) / (alpha + beta + t - 1): renewal rate at the t-th renewal (eq. 7)."""
    t = np.asarray(t, dtype=float)
    return (beta + t - 1) / (alpha + beta + t - 1)


def expected_lifetime(alpha: float, beta: float, horizon: int | None = None) -> float:
    """Expected periods paid by a new member. With ``horizon``: the mean restricted to the first
    ``horizon`` periods, sum_{t<horizon} S(t). Without: (alpha+beta-1)/(alpha-1), which is infinite
    when alpha <= 1 (a heavy tail of members who almost never leave)."""
    if horizon is None:
        return (alpha + beta - 1) / (alpha - 1) if alpha > 1 else float("inf")
    return float(np.sum(sbg_survival(alpha, beta, np.arange(int(horizon)))))


def expected_remaining_lifetime(alpha: float, beta: float, tenure: int,
                                horizon: int | None = None) -> float:
    """Expected further periods paid by a member who has paid ``tenure`` periods (is about to
    decide on renewal ``tenure``), restricted to ``horizon`` further periods if given."""
    n = int(check_number("tenure", tenure, low=1, integer=True, fix="tenure counts periods paid, >= 1."))
    if horizon is None:
        # sum_{t>=n} S(t)/S(n-1) = (beta+n-1)/(alpha-1) for alpha > 1
        return (beta + n - 1) / (alpha - 1) if alpha > 1 else float("inf")
    t = np.arange(n, n + int(horizon))
    return float(np.sum(sbg_survival(alpha, beta, t)) / sbg_survival(alpha, beta, n - 1))


def derl(alpha: float, beta: float, discount_rate: float, renewals: int = 1,
         method: str = "closed", tol: float = 1e-10) -> float:
    """Discounted expected residual lifetime (Fader & Hardie 2010, eq. 6), in periods.

    For a member who has paid ``n = renewals`` periods and is about to decide on the n-th renewal,
    the expected discounted number of further payments (the next one undiscounted):

        DERL = sum_{t>=n} S(t)/S(n-1) / (1+d)^(t-n)
             = (beta+n-1)/(alpha+beta+n-1) * 2F1(1, beta+n; alpha+beta+n; 1/(1+d)).

    ``discount_rate`` is per period. ``method="sum"`` adds terms until the remainder is below
    ``tol`` (it is at most x^K / (1-x) with x = 1/(1+d)).
    """
    n = int(check_number("renewals", renewals, low=1, integer=True,
                         fix="n counts periods already paid (n = 1 for a member who just joined)."))
    d = check_number("discount_rate", discount_rate, low=0, low_open=True,
                     fix="DERL needs a positive discount rate per period, e.g. 0.10 a year.")
    x = 1.0 / (1.0 + d)
    if method == "closed":
        val = float((beta + n - 1) / (alpha + beta + n - 1)
                    * special.hyp2f1(1.0, beta + n, alpha + beta + n, x))
        if np.isfinite(val) and val > 0:
            return val
        method = "sum"  # hyp2f1 can fail for extreme arguments; fall back to the stated sum
    if method != "sum":
        raise ParameterError("method", f"unknown method '{method}'", fix="use 'closed' or 'sum'.")
    k = int(math.ceil(math.log(tol * (1 - x)) / math.log(x))) + 1
    t = np.arange(n, n + k)
    ratio = np.exp(special.betaln(alpha, beta + t) - special.betaln(alpha, beta + n - 1))
    return float(np.sum(ratio * x ** (t - n)))


def discounted_expected_lifetime(alpha: float, beta: float, discount_rate: float) -> float:
    """Expected discounted number of payments of a new member: 1 (at joining) + DERL(n=1)/(1+d)."""
    return 1.0 + derl(alpha, beta, discount_rate, 1) / (1.0 + discount_rate)


# --------------------------------------------------------------------------- data as durations
@dataclass
class Durations:
    """Observed membership lengths in periods, compressed to distinct rows with weights.

    ``t``: periods paid (churned) or the last period at whose start the member was still paying
    (censored); ``censored``: still paying when observation ended; ``depth``: the last period
    whose start falls inside the observation window (used to simulate the same design);
    ``weight``: number of members with these values.
    """

    t: np.ndarray
    censored: np.ndarray
    depth: np.ndarray
    weight: np.ndarray
    source: str = "input"

    def __post_init__(self):
        self.t = np.asarray(self.t, dtype=np.int64)
        self.censored = np.asarray(self.censored, dtype=bool)
        self.depth = np.asarray(self.depth, dtype=np.int64)
        self.weight = np.asarray(self.weight, dtype=float)

    @property
    def n_members(self) -> float:
        """Members (summed weights)."""
        return float(self.weight.sum())

    @property
    def n_churned(self) -> float:
        """Members seen to leave."""
        return float(self.weight[~self.censored].sum())

    @property
    def exposure(self) -> float:
        """Renewal decisions observed (member-periods at risk)."""
        return float(np.sum(self.weight * self.t))

    def censor_at(self, period: int) -> "Durations":
        """Keep only what was seen up to the start of ``period`` (later periods are held out)."""
        period = int(period)
        over = self.t > period
        t = np.where(over, period, self.t)
        censored = self.censored | over
        return Durations(t, censored, np.minimum(self.depth, period), self.weight, self.source).compress()

    def compress(self) -> "Durations":
        """Identical rows merged, their weights summed; rows of weight 0 dropped."""
        df = pd.DataFrame({"t": self.t, "c": self.censored, "d": self.depth, "w": self.weight})
        g = df.groupby(["t", "c", "d"], as_index=False, sort=True)["w"].sum()
        g = g[g["w"] > 0]
        return Durations(g["t"].to_numpy(), g["c"].to_numpy(), g["d"].to_numpy(), g["w"].to_numpy(),
                         self.source)

    def frame(self) -> pd.DataFrame:
        """As a DataFrame with columns t, censored, depth, weight."""
        return pd.DataFrame({"t": self.t, "censored": self.censored, "depth": self.depth,
                             "weight": self.weight})


def _check_active(active, name: str) -> np.ndarray:
    a = np.asarray(active, dtype=float)
    if a.ndim != 1 or len(a) < 2:
        raise DataError(f"cohort '{name}' has {len(np.atleast_1d(a))} period(s); the sBG model needs "
                        "the cohort size (period 0) and at least two renewals (periods 1 and 2)",
                        source="cohorts", column="period", rows=len(np.atleast_1d(a)),
                        fix="add later periods, or fit this cohort together with others "
                            "(e.g. per tier instead of per join month).")
    if np.any(~np.isfinite(a)) or np.any(a < 0) or np.any(a != np.floor(a)):
        raise DataError(f"cohort '{name}' has active counts that are not whole non-negative numbers",
                        source="cohorts", column="active", fix="count members, one whole number a period.")
    if a[0] <= 0:
        raise DataError(f"cohort '{name}' has no members in period 0", source="cohorts", column="active",
                        rows=1, fix="period 0 is the number of members who joined; drop empty cohorts.")
    grows = np.flatnonzero(np.diff(a) > 0)
    if len(grows):
        raise DataError(f"cohort '{name}' has active counts that grow from one period to the next "
                        f"(period {int(grows[0])} -> {int(grows[0]) + 1}: {int(a[grows[0]])} -> "
                        f"{int(a[grows[0] + 1])})", source="cohorts", column="active", rows=len(grows),
                        fix="count only the cohort's own joiners still paying; late joiners and "
                            "returning members belong to another cohort.")
    return a


def cohort_durations(active, name: str = "cohort") -> Durations:
    """Durations from a cohort's survivor counts ``active[0..n]`` (active[0] = cohort size).

    ``active[t-1] - active[t]`` members paid exactly ``t`` periods; ``active[n]`` are censored at
    period ``n`` (FH 2007 eq. 4).
    """
    a = _check_active(active, name)
    n = len(a) - 1
    t = np.arange(1, n + 1)
    lost = a[:-1] - a[1:]
    ts = np.concatenate([t, [n]])
    cens = np.concatenate([np.zeros(n, bool), [True]])
    w = np.concatenate([lost, [a[-1]]])
    return Durations(ts, cens, np.full(len(ts), n), w, source=name).compress()


def kaplan_meier(d: Durations, max_period: int | None = None) -> pd.DataFrame:
    """Share still paying at the start of each period, allowing for censoring (discrete Kaplan-Meier).

    For a single fully observed cohort this equals ``active[t] / active[0]``.
    """
    top = int(d.t.max()) if max_period is None else int(max_period)
    rows, s = [], 1.0
    rows.append({"period": 0, "at_risk": d.n_members, "churned": 0.0, "survival": 1.0})
    for k in range(1, top + 1):
        # the k-th renewal decision is seen for members who left at k or later, or who were
        # still paying at the start of period k or later when observation ended
        risk = float(d.weight[d.t >= k].sum())
        if risk == 0:
            break
        churned = float(d.weight[(d.t == k) & ~d.censored].sum())
        s *= 1.0 - churned / risk
        rows.append({"period": k, "at_risk": risk, "churned": churned, "survival": s})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- likelihood
def _loglik_and_grad(log_params: np.ndarray, d: Durations) -> tuple[float, np.ndarray]:
    a, b = np.exp(log_params)
    t = d.t.astype(float)
    w = d.weight
    c = d.censored
    base = special.betaln(a, b)
    ll_churn = special.betaln(a + 1, b + t - 1) - base
    ll_cens = special.betaln(a, b + t) - base
    ll = np.where(c, ll_cens, ll_churn)
    value = float(np.sum(w * ll))
    psi_a, psi_b, psi_ab = special.digamma(a), special.digamma(b), special.digamma(a + b)
    psi_abt = special.digamma(a + b + t)
    da_churn = special.digamma(a + 1) - psi_abt - psi_a + psi_ab
    db_churn = special.digamma(np.maximum(b + t - 1, 1e-300)) - psi_abt - psi_b + psi_ab
    da_cens = psi_ab - psi_abt
    db_cens = special.digamma(b + t) - psi_abt - psi_b + psi_ab
    ga = np.sum(w * np.where(c, da_cens, da_churn)) * a
    gb = np.sum(w * np.where(c, db_cens, db_churn)) * b
    return value, np.array([ga, gb])


def log_likelihood(alpha: float, beta: float, d: Durations) -> float:
    """Log-likelihood of the sBG model for durations ``d`` (FH 2007 eq. 4, with censoring)."""
    return _loglik_and_grad(np.log([alpha, beta]), d)[0]


# --------------------------------------------------------------------------- the model
class ShiftedBetaGeometric(MLEModel):
    """The sBG model: fit alpha, beta by maximum likelihood; project survival, renewal and value.

    ``fit`` takes survivor counts (a cohort) or :class:`Durations` and returns ``self``; fitted
    state ends in ``_``. Intervals come from the observed information on the log scale (delta
    method, :meth:`conf_int`, :meth:`sample_params`), or from :meth:`bootstrap` (parametric: refit
    on data simulated from the fit with the same design). ``name`` labels the cohort or tier.
    """

    param_names = ("alpha", "beta")
    obs_label = "members"
    starts = ((0.0, 0.0), (math.log(0.5), math.log(2.0)), (math.log(2.0), math.log(8.0)),
              (math.log(0.2), math.log(0.5)))
    log_bound = LOG_EDGE + 6
    edge = LOG_EDGE
    options = {"maxiter": 500, "gtol": 1e-10, "ftol": 1e-14}

    def __init__(self, name: str = "cohort"):
        self.name = name

    @classmethod
    def from_params(cls, alpha: float, beta: float, name: str = "cohort", cov=None,
                    durations: Durations | None = None) -> "ShiftedBetaGeometric":
        """A model with known parameters (and optionally their covariance on the log scale), e.g.
        from a plan or a published study, used without fitting."""
        m = cls(name)
        m.params_ = pd.Series([float(alpha), float(beta)], index=list(cls.param_names))
        m._cov = None if cov is None else np.asarray(cov, dtype=float)
        m.durations_ = durations
        m.log_likelihood_ = float("nan") if durations is None else log_likelihood(alpha, beta, durations)
        m.n_obs_ = None if durations is None else durations.n_members
        return m

    def _label(self) -> str:
        return f"'{self.name}'"

    def _objective(self, x, d, with_grad=True):
        scale = max(d.n_members, 1.0)
        v, g = _loglik_and_grad(x, d)
        return (-v / scale, -g / scale) if with_grad else -v / scale

    def _remedy(self, d) -> str:
        flat = float(1 - d.n_churned / max(d.exposure, 1))
        return (f"fit more periods or pool cohorts (e.g. per tier). Renewal rates that do not rise "
                f"with tenure show no heterogeneity (a constant-retention model fits as well): then use "
                f"a single retention rate of {flat:.3f}.")

    def _no_finite_start(self, d) -> str:
        return (f"'{self.name}': the sBG fit failed (no finite likelihood). Remedy: check the counts; "
                "pool small cohorts.")

    # ----- fitting
    def fit(self, data, fit_periods: int | None = None) -> "ShiftedBetaGeometric":
        """Fit on survivor counts ``active[0..n]`` or on :class:`Durations`.

        ``fit_periods``: use only periods 0..fit_periods (later ones are held out).
        """
        d = data if isinstance(data, Durations) else cohort_durations(data, self.name)
        if fit_periods is not None:
            check_number("fit_periods", fit_periods, low=1, integer=True,
                         fix="fit at least one renewal period (fit_periods >= 1).")
            d = d.censor_at(int(fit_periods))
        if d.n_members <= 0:
            raise DataError(f"'{self.name}' has no members to fit", source=d.source,
                            fix="check the cohort or tier filter.")
        if int(d.t.max()) < 2:
            raise DataError(
                f"'{self.name}' shows only one renewal; one renewal rate cannot separate alpha from "
                f"beta (any pair with the same mean fits)", source=d.source, column="period",
                fix="fit at least two renewal periods (fit_periods >= 2, or wait for a second "
                    "renewal), or pool this cohort with older ones.")
        if d.n_churned == 0:
            raise ModelError(
                f"'{self.name}': nobody left in the fitted periods, so the churn rate cannot be "
                f"estimated (alpha/beta run off to the edge). Remedy: fit more periods (raise "
                f"fit_periods), or pool this cohort with others (e.g. per tier).")
        if not np.any((d.t >= 1) & (d.censored | (d.t >= 2)) & (d.weight > 0)):
            raise ModelError(
                f"'{self.name}': every member left at the first renewal; nothing is known about "
                f"later renewals. Remedy: check the period length (period_days) and the ended_at "
                f"dates, or fit more periods.")
        res = self._fit_mle(d, max(d.n_members, 1.0))
        self.durations_ = d
        self.params_ = pd.Series(np.exp(res.x), index=list(self.param_names))
        return self

    @property
    def alpha(self) -> float:
        """Fitted alpha."""
        self._check_fitted()
        return float(self.params_["alpha"])

    @property
    def beta(self) -> float:
        """Fitted beta."""
        self._check_fitted()
        return float(self.params_["beta"])

    # ----- intervals
    def sample_params(self, n: int = 2000, seed: int = 0) -> np.ndarray:
        """Draws of (alpha, beta) from the asymptotic normal of the log-parameters, shape (n, 2)."""
        if self.cov_ is None:
            raise ModelError(f"'{self.name}': no standard errors (singular information matrix); "
                             "use .bootstrap() or fit more data.")
        rng = np.random.default_rng(seed)
        mu = np.log([self.alpha, self.beta])
        return np.exp(rng.multivariate_normal(mu, self.cov_, size=n))

    def bootstrap(self, n_boot: int = 200, seed: int = 0) -> np.ndarray:
        """Parametric bootstrap: refit on ``n_boot`` data sets simulated from the fit with the same
        design (members and observation depths). Returns (n_ok, 2) draws of (alpha, beta)."""
        self._check_fitted()
        rng = np.random.default_rng(seed)
        depth = np.repeat(self.durations_.depth, np.round(self.durations_.weight).astype(np.int64))
        out = []
        for _ in range(n_boot):
            try:
                m = ShiftedBetaGeometric(self.name).fit(self.simulate(depth, rng))
            except ModelError:
                continue
            out.append((m.alpha, m.beta))
        return np.array(out).reshape(-1, 2)

    def interval(self, func, level: float = 0.95, draws: np.ndarray | None = None, n: int = 2000,
                 seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Pointwise interval of ``func(alpha, beta)`` over parameter draws (delta method by
        simulation unless ``draws`` are given, e.g. from :meth:`bootstrap`)."""
        draws = self.sample_params(n, seed) if draws is None else draws
        vals = np.array([np.asarray(func(a, b), dtype=float) for a, b in draws])
        return percentile_interval(vals, level, axis=0)

    # ----- projections
    def survival(self, t) -> np.ndarray:
        """Share of the cohort still paying at the start of period t."""
        return sbg_survival(self.alpha, self.beta, t)

    def retention_rate(self, t) -> np.ndarray:
        """Renewal rate at the t-th renewal, t >= 1 (eq. 7)."""
        return sbg_retention_rate(self.alpha, self.beta, t)

    def theta_distribution(self, tenure: int = 0) -> stats.rv_continuous:
        """Distribution of the churn probability theta among members still paying after ``tenure``
        renewals: Beta(alpha, beta + tenure). Its mean falls with tenure (sorting, not loyalty)."""
        return stats.beta(self.alpha, self.beta + tenure)

    def expected_lifetime(self, horizon: int | None = None) -> float:
        """Expected periods paid by a new member (see :func:`expected_lifetime`)."""
        return expected_lifetime(self.alpha, self.beta, horizon)

    def expected_remaining_lifetime(self, tenure: int, horizon: int | None = None) -> float:
        """Expected further periods of a member who has paid ``tenure`` periods."""
        return expected_remaining_lifetime(self.alpha, self.beta, tenure, horizon)

    def derl(self, discount_rate: float, renewals: int = 1) -> float:
        """Discounted expected residual lifetime (FH 2010 eq. 6), in periods; see :func:`derl`."""
        return derl(self.alpha, self.beta, discount_rate, renewals)

    def discounted_expected_lifetime(self, discount_rate: float) -> float:
        """Discounted expected number of payments of a new member (first payment at joining)."""
        return discounted_expected_lifetime(self.alpha, self.beta, discount_rate)

    # ----- the generative process
    def simulate(self, depth, seed=0) -> Durations:
        """Members drawn from the fitted model, each observed to the start of period ``depth[i]``."""
        return simulate_durations(self.alpha, self.beta, depth, seed)


# --------------------------------------------------------------------------- simulation
def simulate_durations(alpha: float, beta: float, depth, rng: np.random.Generator | int = 0) -> Durations:
    """Simulate members with theta ~ Beta(alpha, beta) and geometric lifetimes, each observed up
    to the start of period ``depth[i]`` (censored if still paying then)."""
    rng = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
    depth = np.asarray(depth, dtype=np.int64)
    theta = rng.beta(alpha, beta, size=len(depth))
    theta = np.clip(theta, 1e-300, 1.0)
    T = rng.geometric(theta)  # periods paid, >= 1
    cens = T > depth
    t = np.where(cens, depth, T)
    return Durations(t, cens, depth, np.ones(len(depth))).compress()


def simulate_cohort(alpha: float, beta: float, size: int, periods: int, seed: int = 0) -> np.ndarray:
    """Survivor counts active[0..periods] of one simulated cohort of ``size`` members."""
    rng = np.random.default_rng(seed)
    theta = rng.beta(alpha, beta, size=size)
    T = rng.geometric(np.clip(theta, 1e-300, 1.0))
    return np.array([(T > k).sum() for k in range(periods + 1)], dtype=np.int64)
