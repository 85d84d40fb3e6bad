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

Data enter as **durations**: for each member (or group of identical members, with a weight) the
number of periods ``t`` and whether it is censored. A member who left after paying ``t`` periods
contributes ``log P(T = t)``; a member still paying at the start of period ``t`` when observation
ends contributes ``log S(t)`` (right-censoring). A cohort table (survivors at the start of periods
0..n) is the special case where everyone is observed to the same period.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from superkit.errors import DataError, ModelError

__all__ = [
    "Durations",
    "ShiftedBetaGeometric",
    "calendar_forecast",
    "cohort_durations",
    "cohort_table",
    "derl",
    "discounted_expected_lifetime",
    "expected_lifetime",
    "group_keys",
    "observation_end_of",
    "derive_cohorts",
    "fit_cohorts",
    "kaplan_meier",
    "member_durations",
    "fit_members",
    "group_durations",
    "paying_members_forecast",
    "per_period_rate",
    "sbg_pmf",
    "sbg_retention_rate",
    "sbg_survival",
    "simulate_cohort",
    "simulate_durations",
    "actual_survival",
    "cohort_results",
    "fee_per_period",
    "fees_known",
    "fit_table",
    "forecast_json",
    "holdout_mean_abs_error",
    "projection_vs_actual",
    "steady_joining_forecast",
    "value_summary",
    "value_table",
]

DAYS_PER_YEAR = 365.25
_LOG_BOUND = math.log(1e4)  # alpha or beta beyond 1e4 (or below 1e-4): not pinned down by the data


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


def per_period_rate(annual_rate: float, period_days: float) -> float:
    """Convert an annual discount rate to the rate per period of ``period_days`` days."""
    if annual_rate < 0:
        raise DataError(f"negative discount rate {annual_rate}", column="discount_rate",
                        fix="give the annual discount rate as a fraction, e.g. 0.10 for 10%.")
    if annual_rate > 1:
        raise DataError(f"discount rate {annual_rate} looks like a percentage", column="discount_rate",
                        fix="give the annual discount rate as a fraction, e.g. 0.10 for 10%.")
    if not period_days > 0:
        raise DataError(f"period length {period_days} days is not positive", column="period_days",
                        fix="give the renewal period in days, e.g. 365 for annual, 30.44 for monthly.")
    return (1.0 + annual_rate) ** (period_days / DAYS_PER_YEAR) - 1.0


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
        return float(self.weight.sum())

    @property
    def n_churned(self) -> float:
        return float(self.weight[~self.censored].sum())

    def censor_at(self, period: int) -> "Durations":
        """Keep only what was seen up to the start of ``period`` (later periods are held out)."""
        period = int(period)
        over = self.t > period
        t = np.where(over, period, self.t)
        censored = self.censored | over
        return Durations(t, censored, np.minimum(self.depth, period), self.weight, self.source).compress()

    def compress(self) -> "Durations":
        df = pd.DataFrame({"t": self.t, "c": self.censored, "d": self.depth, "w": self.weight})
        g = df.groupby(["t", "c", "d"], as_index=False, sort=True)["w"].sum()
        g = g[g["w"] > 0]
        return Durations(g["t"].to_numpy(), g["c"].to_numpy(), g["d"].to_numpy(), g["w"].to_numpy(),
                         self.source)

    def frame(self) -> pd.DataFrame:
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


def _observation_end(members: pd.DataFrame, observation_end) -> pd.Timestamp:
    if observation_end is None or observation_end == "":
        cols = [members["joined_at"]]
        if "ended_at" in members:
            cols.append(members["ended_at"])
        return pd.Timestamp(max(c.max() for c in cols if c.notna().any()))
    return pd.Timestamp(observation_end)


def member_durations(members: pd.DataFrame, period_days: float, observation_end=None,
                     source: str = "members") -> pd.DataFrame:
    """Per member: ``t`` (periods), ``censored``, ``depth`` from joined_at / ended_at.

    A member is paying at the start of period k (k = 0, 1, ...) at ``joined_at + k * period_days``
    if the membership has not ended by then. A member who ended pays ``ceil((ended_at -
    joined_at) / period_days)`` periods (at least 1). A member with no ``ended_at`` (or one after
    ``observation_end``) is censored at the last period that started by ``observation_end``.
    """
    for col in ("joined_at",):
        if col not in members:
            raise DataError("missing column", source=source, column=col,
                            fix="the members table needs joined_at (and ended_at for leavers).")
    if not period_days > 0:
        raise DataError(f"period length {period_days} days is not positive", column="period_days",
                        fix="give the renewal period in days, e.g. 365 for annual, 30.44 for monthly.")
    end = _observation_end(members, observation_end)
    joined = pd.to_datetime(members["joined_at"])
    ended = pd.to_datetime(members["ended_at"]) if "ended_at" in members else pd.Series(pd.NaT, index=members.index)
    late = joined > end
    if late.any():
        raise DataError("members who join after the observation end", source=source, column="joined_at",
                        rows=int(late.sum()), fix="set observation_end to the last day of the data.")
    day = pd.Timedelta(days=1)
    depth = np.floor(((end - joined) / day).to_numpy(float) / period_days).astype(np.int64)
    has_end = ended.notna() & (ended <= end)
    span = ((ended - joined) / day).to_numpy(float) / period_days
    t_churn = np.maximum(np.ceil(np.nan_to_num(span, nan=1.0) - 1e-9), 1).astype(np.int64)
    t = np.where(has_end, t_churn, depth)
    out = pd.DataFrame({"t": t, "censored": ~has_end.to_numpy(), "depth": np.maximum(depth, t - 1)},
                       index=members.index)
    if "customer_id" in members:
        out.insert(0, "customer_id", members["customer_id"].to_numpy())
    return out


def _durations_from_frame(df: pd.DataFrame, source: str) -> Durations:
    w = df["weight"] if "weight" in df else np.ones(len(df))
    return Durations(df["t"].to_numpy(), df["censored"].to_numpy(), df["depth"].to_numpy(), w,
                     source=source).compress()


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


def _hessian(log_params: np.ndarray, d: Durations, h: float = 1e-5) -> np.ndarray:
    """Hessian of the log-likelihood on the log scale, by central differences of the gradient."""
    H = np.zeros((2, 2))
    for i in range(2):
        e = np.zeros(2)
        e[i] = h
        H[:, i] = (_loglik_and_grad(log_params + e, d)[1] - _loglik_and_grad(log_params - e, d)[1]) / (2 * h)
    return (H + H.T) / 2


# --------------------------------------------------------------------------- the model
@dataclass
class ShiftedBetaGeometric:
    """The sBG model: fit alpha, beta by maximum likelihood; project survival, renewal and value.

    ``fit`` takes survivor counts (a cohort) or :class:`Durations` and returns ``self``; fitted
    state ends in ``_``. Intervals come from the observed information on the log scale (delta
    method), or from :meth:`bootstrap` (parametric: refit on cohorts simulated from the fit with the
    same design).
    """

    name: str = "cohort"
    params_: dict = field(default_factory=dict, init=False)
    log_likelihood_: float = field(default=float("nan"), init=False)
    cov_log_: np.ndarray | None = field(default=None, init=False)
    durations_: Durations | None = field(default=None, init=False)

    def __repr__(self) -> str:
        if not self.params_:
            return f"ShiftedBetaGeometric(name={self.name!r}, not fitted)"
        return (f"ShiftedBetaGeometric(name={self.name!r}, alpha={self.alpha:.4f}, "
                f"beta={self.beta:.4f}, n={self.durations_.n_members:,.0f})")

    # ----- fitting
    def fit(self, data, fit_periods: int | None = None) -> "ShiftedBetaGeometric":
        """Fit on survivor counts ``active[0..n]`` or on :class:`Durations`.

        ``fit_periods``: use only periods 0..fit_periods (later ones are held out).
        """
        d = data if isinstance(data, Durations) else cohort_durations(data, self.name)
        if fit_periods is not None:
            if int(fit_periods) < 1:
                raise DataError(f"fit_periods = {fit_periods}", column="fit_periods",
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
        best = None
        starts = [(0.0, 0.0), (math.log(0.5), math.log(2.0)), (math.log(2.0), math.log(8.0)),
                  (math.log(0.2), math.log(0.5))]
        scale = max(d.n_members, 1.0)

        def fun(x):
            v, g = _loglik_and_grad(x, d)
            return -v / scale, -g / scale

        for x0 in starts:
            try:
                with np.errstate(all="ignore"):
                    res = optimize.minimize(fun, np.array(x0), jac=True, method="L-BFGS-B",
                                            bounds=[(-_LOG_BOUND - 6, _LOG_BOUND + 6)] * 2,
                                            options={"maxiter": 500, "gtol": 1e-10, "ftol": 1e-14})
            except (FloatingPointError, ValueError):
                continue
            if np.isfinite(res.fun) and (best is None or res.fun < best.fun):
                best = res
            if best is not None and best.success and np.all(np.abs(best.x) < _LOG_BOUND):
                break  # the likelihood is smooth with one maximum: further starts only guard failures
        if best is None or not np.all(np.isfinite(best.x)):
            raise ModelError(f"'{self.name}': the sBG fit failed (no finite likelihood). Remedy: check "
                             "the counts; pool small cohorts.")
        grad_norm = float(np.max(np.abs(fun(best.x)[1])))
        if not best.success and grad_norm > 1e-4 and not np.any(np.abs(best.x) > _LOG_BOUND):
            raise ModelError(
                f"'{self.name}': the sBG optimiser stopped before converging ({best.message}; "
                f"gradient {grad_norm:.2g}). Remedy: check the counts for typos, pool small cohorts, "
                f"or fit fewer, better-populated periods.")
        if np.any(np.abs(best.x) > _LOG_BOUND):
            a, b = np.exp(best.x)
            raise ModelError(
                f"'{self.name}': the sBG fit did not converge to finite parameters (alpha={a:.3g}, "
                f"beta={b:.3g}). This happens when renewal rates do not rise with tenure (no sign of "
                f"heterogeneity: a constant-retention geometric model fits as well) or when there are "
                f"too few periods or members. Remedy: fit more periods or pool cohorts; if renewal is "
                f"flat, use a single retention rate of {float(1 - d.n_churned / max(self._exposure(d), 1)):.3f}.")
        self.durations_ = d
        self.params_ = {"alpha": float(np.exp(best.x[0])), "beta": float(np.exp(best.x[1]))}
        self.log_likelihood_ = -float(best.fun) * scale
        H = _hessian(best.x, d)
        try:
            cov = np.linalg.inv(-H)
            if not np.all(np.isfinite(cov)) or np.any(np.diag(cov) <= 0):
                raise np.linalg.LinAlgError
        except np.linalg.LinAlgError:
            cov = None
        self.cov_log_ = cov
        return self

    @staticmethod
    def _exposure(d: Durations) -> float:
        """Number of renewal decisions observed (member-periods at risk)."""
        return float(np.sum(d.weight * d.t))

    def _check_fitted(self):
        if not self.params_:
            raise ModelError("call .fit first: the sBG model has no parameters yet.")

    @property
    def alpha(self) -> float:
        self._check_fitted()
        return self.params_["alpha"]

    @property
    def beta(self) -> float:
        self._check_fitted()
        return self.params_["beta"]

    # ----- intervals
    def conf_int(self, level: float = 0.95) -> dict:
        """Wald intervals on the log scale (observed information): {'alpha': (lo, hi), 'beta': ...}."""
        self._check_fitted()
        if self.cov_log_ is None:
            return {"alpha": (float("nan"),) * 2, "beta": (float("nan"),) * 2}
        z = stats.norm.ppf(0.5 + level / 2)
        se = np.sqrt(np.diag(self.cov_log_))
        out = {}
        for i, k in enumerate(("alpha", "beta")):
            lp = math.log(self.params_[k])
            out[k] = (math.exp(lp - z * se[i]), math.exp(lp + z * se[i]))
        return out

    def standard_errors_log(self) -> dict:
        self._check_fitted()
        se = np.sqrt(np.diag(self.cov_log_)) if self.cov_log_ is not None else [np.nan, np.nan]
        return {"log_alpha": float(se[0]), "log_beta": float(se[1])}

    def sample_params(self, n: int = 2000, seed: int = 0) -> np.ndarray:
        """Draws of (alpha, beta) from the asymptotic normal of the log-parameters, shape (n, 2)."""
        self._check_fitted()
        if self.cov_log_ is None:
            raise ModelError(f"'{self.name}': no standard errors (singular information matrix); "
                             "use .bootstrap() or fit more data.")
        rng = np.random.default_rng(seed)
        mu = np.log([self.alpha, self.beta])
        return np.exp(rng.multivariate_normal(mu, self.cov_log_, size=n))

    def bootstrap(self, n_boot: int = 200, seed: int = 0) -> np.ndarray:
        """Parametric bootstrap: refit on ``n_boot`` data sets simulated from the fit with the same
        design (members and observation depths). Returns (n_ok, 2) draws of (alpha, beta)."""
        self._check_fitted()
        rng = np.random.default_rng(seed)
        depth = np.repeat(self.durations_.depth, np.round(self.durations_.weight).astype(np.int64))
        out = []
        for _ in range(n_boot):
            sim = simulate_durations(self.alpha, self.beta, depth, rng)
            try:
                m = ShiftedBetaGeometric(self.name).fit(sim)
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
        lo, hi = np.nanquantile(vals, [(1 - level) / 2, (1 + level) / 2], axis=0)
        return lo, hi

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
        """Expected periods paid by a new member. With ``horizon``: the mean restricted to the
        first ``horizon`` periods, sum_{t<horizon} S(t). Without: (alpha+beta-1)/(alpha-1), which is
        infinite when alpha <= 1 (a heavy tail of members who almost never leave)."""
        return _expected_lifetime(self.alpha, self.beta, horizon)

    def expected_remaining_lifetime(self, tenure: int, horizon: int | None = None) -> float:
        """Expected further periods paid by a member who has paid ``tenure`` periods (is about to
        decide on renewal ``tenure``), restricted to ``horizon`` further periods if given."""
        return _expected_remaining(self.alpha, self.beta, tenure, horizon)

    def derl(self, discount_rate: float, renewals: int = 1) -> float:
        """Discounted expected residual lifetime (FH 2010 eq. 6), in periods; see :func:`derl`."""
        return derl(self.alpha, self.beta, discount_rate, renewals)

    def discounted_expected_lifetime(self, discount_rate: float) -> float:
        """Discounted expected number of payments of a new member (first payment at joining)."""
        return discounted_expected_lifetime(self.alpha, self.beta, discount_rate)

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        ci = self.conf_int(level)
        return pd.DataFrame({
            "estimate": [self.alpha, self.beta],
            "lower": [ci["alpha"][0], ci["beta"][0]],
            "upper": [ci["alpha"][1], ci["beta"][1]],
        }, index=["alpha", "beta"])


def _expected_lifetime(alpha, beta, horizon=None) -> float:
    if horizon is None:
        return (alpha + beta - 1) / (alpha - 1) if alpha > 1 else float("inf")
    return float(np.sum(sbg_survival(alpha, beta, np.arange(int(horizon)))))


def _expected_remaining(alpha, beta, tenure, horizon=None) -> float:
    n = int(tenure)
    if n < 1:
        raise DataError(f"tenure {tenure}", column="tenure", fix="tenure counts periods paid, >= 1.")
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
    n = int(renewals)
    if n < 1:
        raise DataError(f"renewals = {renewals}", column="renewals",
                        fix="n counts periods already paid (n = 1 for a member who just joined).")
    d = float(discount_rate)
    if not d > 0:
        raise DataError(f"per-period discount rate {d} must be positive for DERL to be finite",
                        column="discount_rate", fix="use a positive discount rate, e.g. 0.10 a year.")
    x = 1.0 / (1.0 + d)
    if method == "closed":
        val = float((beta + n - 1) / (alpha + beta + n - 1)
                    * special.hyp2f1(1.0, beta + n, alpha + beta + n, x))
        if np.isfinite(val) and val > 0:
            return val
        method = "sum"  # hyp2f1 can fail for extreme arguments; fall back to the stated sum
    if method != "sum":
        raise DataError(f"unknown method '{method}'", fix="use 'closed' or 'sum'.")
    k = int(math.ceil(math.log(tol * (1 - x)) / math.log(x))) + 1
    t = np.arange(n, n + k)
    ratio = np.exp(special.betaln(alpha, beta + t) - special.betaln(alpha, beta + n - 1))
    return float(np.sum(ratio * x ** (t - n)))


def discounted_expected_lifetime(alpha: float, beta: float, discount_rate: float) -> float:
    """Expected discounted number of payments of a new member: 1 (at joining) + DERL(n=1)/(1+d)."""
    return 1.0 + derl(alpha, beta, discount_rate, 1) / (1.0 + discount_rate)


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


# --------------------------------------------------------------------------- many cohorts
def observation_end_of(members: pd.DataFrame, observation_end=None) -> pd.Timestamp:
    """``observation_end`` as a timestamp, or the latest joined_at / ended_at when empty."""
    return _observation_end(members, observation_end)


def cohort_table(cohorts: pd.DataFrame, source: str = "cohorts") -> dict[str, np.ndarray]:
    """Validated survivor counts per cohort: {name: active[0..n]}."""
    return _cohort_table(cohorts, source)


def group_keys(members: pd.DataFrame, by: str = "tier", source: str = "members") -> pd.Series:
    """The group label of each member for ``by`` in tier, join_month, tier_join_month, all."""
    return _group_keys(members, by, source).astype(str)


def expected_lifetime(alpha: float, beta: float, horizon: int | None = None) -> float:
    """Expected periods paid by a new member (restricted to ``horizon`` periods if given)."""
    return _expected_lifetime(alpha, beta, horizon)


def _cohort_table(cohorts: pd.DataFrame, source: str = "cohorts") -> dict[str, np.ndarray]:
    for col in ("cohort", "period", "active"):
        if col not in cohorts:
            raise DataError("missing column", source=source, column=col,
                            fix="the cohorts table has columns cohort, period, active.")
    out = {}
    for name, g in cohorts.groupby("cohort", sort=False):
        g = g.sort_values("period")
        periods = g["period"].to_numpy()
        if periods[0] != 0 or np.any(np.diff(periods) != 1):
            raise DataError(f"cohort '{name}' has periods {periods.tolist()[:6]}...; they must run "
                            "0, 1, 2, ... without gaps", source=source, column="period",
                            fix="add the missing periods (period 0 = cohort size).")
        out[str(name)] = _check_active(g["active"].to_numpy(), str(name))
    return out


def fit_cohorts(cohorts: pd.DataFrame, fit_periods: int | None = None,
                source: str = "cohorts") -> dict[str, ShiftedBetaGeometric]:
    """Fit one sBG model per cohort of a cohorts table (cohort, period, active)."""
    return {name: ShiftedBetaGeometric(name).fit(a, fit_periods=fit_periods)
            for name, a in _cohort_table(cohorts, source).items()}


def derive_cohorts(members: pd.DataFrame, period_days: float, observation_end=None,
                   by: str = "join_month", source: str = "members") -> pd.DataFrame:
    """A cohorts table (cohort, period, active) from a members table.

    ``by``: "join_month" (cohort = YYYY-MM of joined_at), "tier", "tier_join_month" or "all".
    Each cohort runs to the last period that every one of its members has reached by
    ``observation_end`` (so the counts are not biased by censoring); ``active[k]`` counts members
    still paying at the start of their own period k.
    """
    md = member_durations(members, period_days, observation_end, source)
    keys = _group_keys(members, by, source)
    rows = []
    for name, idx in keys.groupby(keys).groups.items():
        sub = md.loc[idx]
        full = int(sub["depth"].min())
        T = np.where(sub["censored"], np.iinfo(np.int64).max, sub["t"])
        for k in range(full + 1):
            rows.append({"cohort": str(name), "period": k, "active": int((T > k).sum())})
    return pd.DataFrame(rows, columns=["cohort", "period", "active"])


def _group_keys(members: pd.DataFrame, by: str, source: str) -> pd.Series:
    month = pd.to_datetime(members["joined_at"]).dt.strftime("%Y-%m")
    if by == "all":
        return pd.Series("all", index=members.index)
    if by in ("tier", "tier_join_month"):
        if "tier" not in members:
            raise DataError("no tier column to group by", source=source, column="tier",
                            fix="use by='join_month' or 'all', or add the tier column.")
        tier = members["tier"].astype(str)
        return tier if by == "tier" else tier + " " + month
    if by == "join_month":
        return month
    raise DataError(f"unknown grouping '{by}'", column="group_by",
                    fix="use 'tier', 'join_month', 'tier_join_month' or 'all'.")


def fit_members(members: pd.DataFrame, period_days: float, observation_end=None,
                by: str = "tier", fit_periods: int | None = None,
                source: str = "members") -> dict[str, ShiftedBetaGeometric]:
    """Fit one sBG model per group of a members table, using every member (staggered joins,
    right-censored at ``observation_end``)."""
    md = member_durations(members, period_days, observation_end, source)
    keys = _group_keys(members, by, source)
    out = {}
    for name, idx in sorted(keys.groupby(keys).groups.items()):
        d = _durations_from_frame(md.loc[idx], f"{source} ({by} {name})")
        out[str(name)] = ShiftedBetaGeometric(str(name)).fit(d, fit_periods=fit_periods)
    return out


def group_durations(members: pd.DataFrame, period_days: float, observation_end=None,
                    by: str = "tier", source: str = "members") -> dict[str, Durations]:
    """Durations per group (for Kaplan-Meier actuals against the fitted curves)."""
    md = member_durations(members, period_days, observation_end, source)
    keys = _group_keys(members, by, source)
    return {str(name): _durations_from_frame(md.loc[idx], f"{source} ({by} {name})")
            for name, idx in sorted(keys.groupby(keys).groups.items())}


def calendar_forecast(starts, sizes, alpha, beta, n_periods: int, active_now=None,
                      now: int | None = None) -> pd.DataFrame:
    """Expected paying members by calendar period from cohorts with staggered starts.

    ``starts[c]``: calendar period in which cohort c joined (integers); ``sizes[c]``: its size;
    ``alpha``/``beta``: one value or one per cohort. Without ``active_now`` the curve is
    sum_c size_c * S(tau - start_c). With ``active_now`` (members of each cohort still paying at
    calendar period ``now``) the forecast beyond ``now`` conditions on the survivors:
    active_now_c * S(tau - start_c) / S(now - start_c) -- the survivors are the loyal ones.
    Returns a DataFrame indexed by calendar period 0..n_periods-1 with one column per cohort and
    a ``total`` column.
    """
    starts = np.asarray(starts, dtype=np.int64)
    sizes = np.asarray(sizes, dtype=float)
    al = np.broadcast_to(np.asarray(alpha, dtype=float), starts.shape)
    be = np.broadcast_to(np.asarray(beta, dtype=float), starts.shape)
    tau = np.arange(int(n_periods))
    cols = {}
    for c in range(len(starts)):
        age = tau - starts[c]
        s = np.where(age >= 0, sbg_survival(al[c], be[c], np.maximum(age, 0)), 0.0)
        val = sizes[c] * s
        if active_now is not None and now is not None and now >= starts[c]:
            a_now = now - starts[c]
            cond = np.asarray(active_now, dtype=float)[c] * s / sbg_survival(al[c], be[c], a_now)
            val = np.where(tau > now, cond, val)
        cols[c] = val
    df = pd.DataFrame(cols, index=pd.Index(tau, name="period"))
    df["total"] = df.sum(axis=1)
    return df


def paying_members_forecast(members: pd.DataFrame, fits: dict[str, ShiftedBetaGeometric],
                            period_days: float, observation_end=None, by: str = "tier",
                            periods_ahead: int = 12, source: str = "members") -> pd.DataFrame:
    """Paying members by calendar date: actual, model fitted from join dates, and forecast.

    Dates step by ``period_days`` from the first join to ``observation_end`` and then
    ``periods_ahead`` periods beyond it. For each member (of the group whose fit is used):

    * ``fitted``: S(age) with age = whole periods since joining -- what the model expects from the
      join dates alone (staggered starts of many cohorts);
    * ``forecast`` (after ``observation_end``): members still paying at ``observation_end`` times
      S(age) / S(age at observation_end); members who left count zero;
    * ``actual``: members with joined_at <= date and no ended_at by that date (up to
      ``observation_end``).

    Returns columns date, actual, fitted, forecast, and ``forecast_<group>`` per group.
    """
    end = _observation_end(members, observation_end)
    keys = _group_keys(members, by, source).astype(str)
    missing = sorted(set(keys) - set(fits))
    if missing:
        raise DataError(f"no fitted model for groups {missing[:3]}", source=source,
                        fix="fit every group first (fit_members with the same 'by').")
    joined = pd.to_datetime(members["joined_at"])
    ended = pd.to_datetime(members["ended_at"]) if "ended_at" in members else pd.Series(pd.NaT, index=members.index)
    ended = ended.where(ended <= end)
    step = pd.Timedelta(days=float(period_days))
    start = joined.min().normalize()
    n_past = int(np.floor((end - start) / step)) + 1
    dates = [start + k * step for k in range(n_past + int(periods_ahead))]
    day = pd.Timedelta(days=1)
    age_end = np.floor(((end - joined) / day).to_numpy(float) / period_days)
    active_end = ended.isna().to_numpy()
    rows = []
    for dt in dates:
        age = np.floor(((dt - joined) / day).to_numpy(float) / period_days)
        row = {"date": dt}
        fitted = forecast = 0.0
        for g, m in fits.items():
            sel = (keys == g).to_numpy() & (age >= 0)
            S = m.survival(np.maximum(age[sel], 0))
            fitted_g = float(S.sum())
            fitted += fitted_g
            if dt > end:
                keep = active_end[sel]
                cond = S[keep] / m.survival(np.maximum(age_end[sel][keep], 0))
                row[f"forecast_{g}"] = float(cond.sum())
                forecast += float(cond.sum())
            else:
                row[f"forecast_{g}"] = np.nan
        row["fitted"] = fitted
        row["forecast"] = forecast if dt > end else np.nan
        if dt <= end:
            paying = (joined <= dt) & (ended.isna() | (ended > dt))
            row["actual"] = float(paying.sum())
        else:
            row["actual"] = np.nan
        rows.append(row)
    cols = ["date", "actual", "fitted", "forecast"] + [f"forecast_{g}" for g in fits]
    return pd.DataFrame(rows)[cols]


# --------------------------------------------------------------------------- results per cohort
def actual_survival(d: Durations, horizon: int) -> np.ndarray:
    """Kaplan-Meier share still paying at the start of periods ``0..horizon`` (length horizon+1).

    Periods not observed yet (nobody at risk) are NaN, so the array lines up with a projection
    over the same periods.
    """
    km = kaplan_meier(d)
    act = np.full(int(horizon) + 1, np.nan)
    k = km["period"].to_numpy()
    keep = k <= int(horizon)
    act[k[keep]] = km["survival"].to_numpy()[keep]
    return act


def holdout_mean_abs_error(projected, actual, fit_periods: int) -> float | None:
    """Mean absolute gap between projected and actual survival over the held-out periods.

    ``projected[t]`` and ``actual[t]`` are shares at period ``t`` = 0, 1, ...; only periods after
    ``fit_periods`` with an observed (non-NaN) actual count. None when no such period exists.
    """
    projected = np.asarray(projected, dtype=float)
    actual = np.asarray(actual, dtype=float)
    if projected.shape != actual.shape:
        raise DataError(f"projected ({projected.shape}) and actual ({actual.shape}) survival differ "
                        "in length", fix="give both for the same periods 0..horizon.")
    t = np.arange(len(actual))
    held = (t > int(fit_periods)) & ~np.isnan(actual)
    return float(np.mean(np.abs(projected[held] - actual[held]))) if held.any() else None


def projection_vs_actual(model: ShiftedBetaGeometric, durations: Durations, horizon: int,
                         fit_periods: int, n_draws: int = 2000, seed: int = 0) -> dict:
    """Projected survival (with a 95% interval) against the Kaplan-Meier actuals, periods 0..horizon.

    Returns ``periods`` (0..horizon), ``projected`` (S(t) of the fit), ``lower``/``upper`` (2.5% and
    97.5% pointwise quantiles over ``n_draws`` parameter draws with ``seed``), ``actual`` (see
    :func:`actual_survival`, from all of ``durations``, including held-out periods) and
    ``holdout_mean_abs_error`` over periods after ``fit_periods`` (see
    :func:`holdout_mean_abs_error`).
    """
    t = np.arange(int(horizon) + 1)
    lo, hi = model.interval(lambda a, b: sbg_survival(a, b, t), n=n_draws, seed=seed)
    proj = model.survival(t)
    act = actual_survival(durations, horizon)
    return {"periods": t, "projected": proj, "lower": lo, "upper": hi, "actual": act,
            "holdout_mean_abs_error": holdout_mean_abs_error(proj, act, fit_periods)}


def fee_per_period(group: str, members: pd.DataFrame | None = None, by: str = "tier",
                   period_days: float = 30.0, fixed_fee: float = 0.0,
                   source: str = "members") -> float:
    """Fee one member of ``group`` pays per renewal period.

    * ``fixed_fee > 0``: that fee (the user's fee per period), whatever the members table says;
    * otherwise, with a members table carrying annual fees: the group's mean annual ``fee`` times
      ``period_days / 365.25`` (groups as in :func:`group_keys` with ``by``);
    * otherwise 1.0: values are then in units of one period's fee.
    """
    if fixed_fee > 0:
        return float(fixed_fee)
    if members is not None and "fee" in members and members["fee"].notna().any():
        keys = group_keys(members, by, source)
        annual = members.loc[keys == str(group), "fee"].mean()
        return float(annual * period_days / DAYS_PER_YEAR)
    return 1.0


def fees_known(members: pd.DataFrame | None = None, fixed_fee: float = 0.0) -> bool:
    """True when :func:`fee_per_period` returns money (a fee was given or the members have fees),
    False when values are in fee units."""
    return bool(fixed_fee > 0 or (members is not None and "fee" in members
                                  and members["fee"].notna().any()))


def value_summary(model: ShiftedBetaGeometric, horizon: int, discount_rate: float, tenure: int,
                  fee: float = 1.0, n_draws: int = 2000, seed: int = 0, level: float = 0.95) -> dict:
    """Lifetime and discounted fee value of a new member, with intervals over parameter draws.

    ``discount_rate`` is per period (see :func:`per_period_rate`). Returns

    * ``expected_lifetime``: periods paid within ``horizon`` (:meth:`expected_lifetime`), with
      ``expected_lifetime_ci``;
    * ``discounted_expected_lifetime``: discounted number of payments, with ``..._ci``;
    * ``expected_remaining_lifetime``: further periods (within ``horizon``) of a member who has
      paid ``tenure`` periods; ``derl_after_tenure``: DERL of that member (FH 2010 eq. 6);
    * ``fee``, ``discounted_expected_value`` = fee x discounted lifetime, with ``..._ci``.

    Intervals: ``level`` quantiles over ``n_draws`` draws of (alpha, beta) with ``seed``
    (:meth:`ShiftedBetaGeometric.sample_params`); the same draws serve both figures.
    """
    tail = round((1 - level) / 2, 12)  # 0.025 exactly for level 0.95 (not 0.025000000000000022)
    q = [tail, 1 - tail]
    draws = model.sample_params(n_draws, seed)
    el = model.expected_lifetime(horizon)
    el_lo, el_hi = np.quantile([expected_lifetime(a, b, horizon) for a, b in draws], q)
    dl = model.discounted_expected_lifetime(discount_rate)
    dl_draws = np.array([discounted_expected_lifetime(a, b, discount_rate) for a, b in draws])
    dl_lo, dl_hi = np.quantile(dl_draws, q)
    fee = float(fee)
    return {"fee": fee,
            "expected_lifetime": float(el), "expected_lifetime_ci": [float(el_lo), float(el_hi)],
            "discounted_expected_lifetime": float(dl),
            "discounted_expected_lifetime_ci": [float(dl_lo), float(dl_hi)],
            "expected_remaining_lifetime": model.expected_remaining_lifetime(tenure, horizon),
            "derl_after_tenure": model.derl(discount_rate, tenure),
            "discounted_expected_value": fee * dl,
            "discounted_expected_value_ci": [fee * dl_lo, fee * dl_hi]}


def value_table(values: dict[str, dict]) -> pd.DataFrame:
    """One row per cohort from :func:`value_summary` results, for display."""
    rows = [{"cohort": g, "fee per period": v["fee"],
             "expected lifetime (periods, within horizon)": v["expected_lifetime"],
             "remaining after fit_periods": v["expected_remaining_lifetime"],
             "discounted lifetime (payments)": v["discounted_expected_lifetime"],
             "discounted fee value": v["discounted_expected_value"],
             "value 95% low": v["discounted_expected_value_ci"][0],
             "value 95% high": v["discounted_expected_value_ci"][1]} for g, v in values.items()]
    return pd.DataFrame(rows).set_index("cohort")


def fit_table(fits: dict[str, ShiftedBetaGeometric]) -> pd.DataFrame:
    """One row per fitted cohort: members, leavers in the fitted periods, alpha and beta with 95%
    intervals, mean churn E[theta] = alpha / (alpha + beta), log-likelihood; for display."""
    rows = []
    for g, m in fits.items():
        ci = m.conf_int()
        rows.append({"cohort": g, "members": m.durations_.n_members,
                     "left (fitted periods)": m.durations_.n_churned,
                     "alpha": m.alpha, "alpha 95%": f"{ci['alpha'][0]:.3f}-{ci['alpha'][1]:.3f}",
                     "beta": m.beta, "beta 95%": f"{ci['beta'][0]:.3f}-{ci['beta'][1]:.3f}",
                     "mean churn E[theta]": m.alpha / (m.alpha + m.beta),
                     "log-likelihood": m.log_likelihood_})
    return pd.DataFrame(rows).set_index("cohort")


def cohort_results(model: ShiftedBetaGeometric, projection: dict, value: dict) -> dict:
    """The published results of one cohort or tier (JSON-ready) from the fitted model, its
    :func:`projection_vs_actual` and its :func:`value_summary`.

    ``expected_lifetime_unrestricted`` is None when infinite (alpha <= 1).
    """
    ci = model.conf_int()
    t = np.asarray(projection["periods"])
    unrestricted = model.expected_lifetime()
    return {
        "alpha": model.alpha, "beta": model.beta,
        "alpha_ci": list(ci["alpha"]), "beta_ci": list(ci["beta"]),
        "log_likelihood": model.log_likelihood_, "n_members": model.durations_.n_members,
        "projected_survival": np.asarray(projection["projected"]).tolist(),
        "projected_survival_lower": np.asarray(projection["lower"]).tolist(),
        "projected_survival_upper": np.asarray(projection["upper"]).tolist(),
        "projected_renewal_rate": model.retention_rate(t[1:]).tolist(),
        "actual_survival": np.asarray(projection["actual"]).tolist(),
        "holdout_mean_abs_error": projection["holdout_mean_abs_error"],
        "expected_lifetime": value["expected_lifetime"],
        "expected_lifetime_ci": list(value["expected_lifetime_ci"]),
        "expected_lifetime_unrestricted": unrestricted if np.isfinite(unrestricted) else None,
        "expected_remaining_lifetime": value["expected_remaining_lifetime"],
        "derl_after_fit_periods": value["derl_after_tenure"],
        "discounted_expected_lifetime": value["discounted_expected_lifetime"],
        "discounted_expected_lifetime_ci": list(value["discounted_expected_lifetime_ci"]),
        "fee_per_period": value["fee"],
        "discounted_expected_value": value["discounted_expected_value"],
        "discounted_expected_value_ci": list(value["discounted_expected_value_ci"]),
    }


def steady_joining_forecast(fits: dict[str, ShiftedBetaGeometric], join_periods: int,
                            periods_ahead: int, sizes: dict[str, float] | None = None) -> pd.DataFrame:
    """Paying members by calendar period when every cohort joins again in each of the first
    ``join_periods`` periods (an illustration of staggered starts for a cohorts table, which has
    no join dates), projected ``periods_ahead`` periods beyond.

    Cohort ``g`` of size ``sizes[g]`` (default: the members its model was fitted on) joins at
    calendar periods 0..join_periods-1 with its fitted alpha, beta. Returns the
    :func:`calendar_forecast` frame over periods 0..join_periods+periods_ahead-1 (one column per
    joining, in cohort order then start period, plus ``total``).
    """
    k = int(join_periods)
    if k < 1:
        raise DataError(f"join_periods = {join_periods}", column="fit_periods",
                        fix="let cohorts join in at least one period.")
    names = list(fits)
    if sizes is None:
        sizes = {g: fits[g].durations_.n_members for g in names}
    starts = np.concatenate([np.arange(k) for _ in names])
    size = np.concatenate([[sizes[g]] * k for g in names])
    al = np.concatenate([[fits[g].alpha] * k for g in names])
    be = np.concatenate([[fits[g].beta] * k for g in names])
    return calendar_forecast(starts, size, al, be, k + int(periods_ahead))


def forecast_json(cal: pd.DataFrame) -> dict:
    """JSON-ready calendar forecast: from :func:`paying_members_forecast` (date, actual, fitted,
    forecast) or from :func:`steady_joining_forecast` / :func:`calendar_forecast` (period, total)."""
    if "date" in cal:
        return {"date": [str(d.date()) for d in cal["date"]], "actual": cal["actual"].tolist(),
                "fitted": cal["fitted"].tolist(), "forecast": cal["forecast"].tolist()}
    return {"period": cal.index.tolist(), "total": cal["total"].tolist()}
