"""Paid-membership renewal (续费率): the workflow of notebook 03.

The model is the shifted-beta-geometric (:mod:`superkit.models.sbg`, Fader & Hardie 2007); this
module turns a members table (join and end dates) or a cohorts table (survivors per period) into
:class:`~superkit.models.sbg.Durations`, fits one model per tier, join month or cohort, checks the
projection against held-out periods, values a member in discounted fees (DERL, Fader & Hardie
2010) and forecasts the paying base by calendar date.

**Monthly or yearly.** A renewal period is a month (30 days) or a year (365.25 days,
:data:`~superkit.core.constants.DAYS_PER_YEAR`): :func:`resolve_period` says which, from the
``period`` parameter or, with ``"auto"``, from the members' end dates (a yearly membership lapses on
an anniversary of joining). The method's paid memberships are yearly (V1/V2/V3 at 99/199/299 yuan
a year) and the goal of its operating work is the **second-year renewal** (第二年续费): the share of
a cohort that renews into year 2. :func:`yearly_renewal` gives it for either period (for a monthly
membership, the share still paying twelve monthly renewals later), with its interval from the sBG
fit, and the renewal into later years.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from superkit.analyses.result import Result
from superkit.core.checks import check_choice, check_number, parse_date, require_columns
from superkit.core.constants import DAYS_PER_YEAR
from superkit.core import i18n
from superkit.core.errors import DataError, ParameterError
from superkit.core.stats import percentile_interval
from superkit.models.sbg import (Durations, ShiftedBetaGeometric, cohort_durations,
                                 discounted_expected_lifetime, expected_lifetime, kaplan_meier,
                                 sbg_survival)
from superkit.models.units import per_period_rate

__all__ = [
    "ANNIVERSARY_DAYS",
    "ANNIVERSARY_SLACK_DAYS",
    "GROUPINGS",
    "PERIODS",
    "PERIOD_DAYS",
    "RenewalResult",
    "STEM",
    "YEARLY_SHARE",
    "YEARS_SHOWN",
    "YEAR_MIN_DAYS",
    "actual_survival",
    "calendar_forecast",
    "cohort_results",
    "cohort_table",
    "derive_cohorts",
    "fees_known",
    "fit_cohorts",
    "fit_members",
    "fit_table",
    "forecast_json",
    "group_durations",
    "group_keys",
    "holdout_mean_abs_error",
    "member_durations",
    "observation_end_of",
    "paying_members_forecast",
    "period_fee",
    "periods_per_year",
    "projection_vs_actual",
    "renewal_by_year_table",
    "resolve_period",
    "run",
    "steady_joining_forecast",
    "value_summary",
    "value_table",
    "yearly_renewal",
]

GROUPINGS = ("tier", "join_month", "tier_join_month", "all")
STEM = "03_renewal"
PERIODS = ("auto", "month", "year")
PERIOD_DAYS = {"month": 30.0, "year": DAYS_PER_YEAR}   # a period's length when period_days is 0
YEAR_MIN_DAYS = 300.0        # a period of 300 days or more is read as a year
ANNIVERSARY_DAYS = 15.0      # "auto": an end within 15 days of an anniversary of joining is a yearly lapse
YEARLY_SHARE = 0.8           # "auto": yearly when at least 80% of the members who left did so on an anniversary
YEARS_SHOWN = 5              # renewal into years 2..5 is published
ANNIVERSARY_SLACK_DAYS = 0.9  # yearly periods: anniversaries fall 365 or 366 days apart, not 365.25


def resolve_period(period: str = "auto", period_days: float = 0.0, members: pd.DataFrame | None = None,
                   cohorts: bool = False) -> dict:
    """How long a renewal period is, and whether the membership is read as monthly or yearly.

    ``period``: "month", "year" or "auto"; ``period_days``: 0 for the period's own length (30 days a
    month, 365.25 a year) or a length of your own (e.g. 365; 300 days or more reads as a year).
    With "auto": a given ``period_days`` decides; else, with a members table, the end dates: yearly
    when at least :data:`YEARLY_SHARE` of the members who left did so within
    :data:`ANNIVERSARY_DAYS` of an anniversary of joining; else monthly. A cohorts table carries no
    dates, so with it "auto" needs ``period_days`` (ParameterError otherwise).

    Returns ``{"period": "month"|"year", "period_days", "how": "given"|"period_days"|"end_dates"|
    "no_leavers", "anniversary_share", "n_leavers"}``.
    """
    kind = check_choice("period", str(period).strip().lower() if isinstance(period, str) else period, PERIODS,
                        fix="use 'month' (monthly renewal), 'year' (yearly renewal, e.g. a 99-yuan-a-year "
                            "membership) or 'auto' (read it from the members' end dates).")
    days = check_number("period_days", period_days, low=0,
                        fix="give the renewal period in days (e.g. 365 for yearly, 30 for monthly), or 0 for "
                            "the period's own length.")
    out = {"anniversary_share": None, "n_leavers": None}
    if kind != "auto":
        if days and (days >= YEAR_MIN_DAYS) != (kind == "year"):
            raise ParameterError("period_days", f"{days:g} days contradicts period='{kind}'",
                                 fix=f"give period_days {'of 300 or more' if kind == 'year' else 'under 300'} "
                                     f"for a {kind}, or 0 for {PERIOD_DAYS[kind]:g} days.")
        return {**out, "period": kind, "period_days": float(days or PERIOD_DAYS[kind]), "how": "given"}
    if days:
        return {**out, "period": "year" if days >= YEAR_MIN_DAYS else "month", "period_days": float(days),
                "how": "period_days"}
    if cohorts or members is None:
        raise ParameterError("period", "a cohorts table does not say how long its periods are, and "
                             "'auto' reads that from the members' end dates",
                             fix="set period to 'month' or 'year' (or period_days, e.g. 365).")
    joined = pd.to_datetime(members["joined_at"])
    ended = pd.to_datetime(members["ended_at"]) if "ended_at" in members else pd.Series(pd.NaT, index=members.index)
    span = ((ended - joined) / pd.Timedelta(days=1)).dropna().to_numpy(float)
    if not len(span):
        return {**out, "period": "month", "period_days": PERIOD_DAYS["month"], "how": "no_leavers",
                "n_leavers": 0}
    years = np.maximum(np.round(span / DAYS_PER_YEAR), 1)
    share = float(np.mean(np.abs(span - years * DAYS_PER_YEAR) <= ANNIVERSARY_DAYS))
    kind = "year" if share >= YEARLY_SHARE else "month"
    return {"period": kind, "period_days": PERIOD_DAYS[kind], "how": "end_dates",
            "anniversary_share": share, "n_leavers": int(len(span))}


def periods_per_year(period_days: float) -> int:
    """Renewal periods in a year: 12 for 30-day periods, 1 for yearly ones (at least 1)."""
    return max(1, int(round(DAYS_PER_YEAR / float(period_days))))


def observation_end_of(members: pd.DataFrame, observation_end=None) -> pd.Timestamp:
    """``observation_end`` as a timestamp, or the latest joined_at / ended_at when empty."""
    def latest():
        cols = [members["joined_at"]]
        if "ended_at" in members:
            cols.append(members["ended_at"])
        return pd.Timestamp(max(c.max() for c in cols if c.notna().any()))

    return pd.Timestamp(parse_date(observation_end, "observation_end", default=latest))


def member_durations(members: pd.DataFrame, period_days: float, observation_end=None,
                     source: str = "members") -> pd.DataFrame:
    """Per member: ``t`` (periods), ``censored``, ``depth`` from joined_at / ended_at.

    A member is paying at the start of period k (k = 0, 1, ...) at ``joined_at + k * period_days``
    if the membership has not ended by then. A member who ended pays ``ceil((ended_at -
    joined_at) / period_days)`` periods (at least 1). A member with no ``ended_at`` (or one after
    ``observation_end``) is censored at the last period that started by ``observation_end``.
    With yearly periods (``period_days`` of 300 or more) a date within
    :data:`ANNIVERSARY_SLACK_DAYS` of a period boundary counts as that boundary: anniversaries fall
    365 or 366 days apart, so a member who lapses on the first anniversary of a leap year paid one year.
    """
    require_columns(members, ["joined_at"], source,
                    fix="the members table needs joined_at (and ended_at for leavers).")
    check_number("period_days", period_days, low=0, low_open=True,
                 fix="give the renewal period in days, e.g. 365 for annual, 30.44 for monthly.")
    end = observation_end_of(members, observation_end)
    joined = pd.to_datetime(members["joined_at"])
    ended = pd.to_datetime(members["ended_at"]) if "ended_at" in members else pd.Series(pd.NaT, index=members.index)
    late = joined > end
    if late.any():
        raise DataError("members who join after the observation end", source=source, column="joined_at",
                        rows=int(late.sum()), fix="set observation_end to the last day of the data.")
    day = pd.Timedelta(days=1)
    # yearly periods: an anniversary is 365 or 366 days after the last, so a date within a day of
    # period_days' multiple counts as that anniversary
    slack = ANNIVERSARY_SLACK_DAYS / period_days if period_days >= YEAR_MIN_DAYS else 0.0
    depth = np.floor(((end - joined) / day).to_numpy(float) / period_days + slack).astype(np.int64)
    has_end = ended.notna() & (ended <= end)
    span = ((ended - joined) / day).to_numpy(float) / period_days
    t_churn = np.maximum(np.ceil(np.nan_to_num(span, nan=1.0) - slack - 1e-9), 1).astype(np.int64)
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


def cohort_table(cohorts: pd.DataFrame, source: str = "cohorts") -> dict[str, np.ndarray]:
    """Validated survivor counts per cohort: {name: active[0..n]}."""
    require_columns(cohorts, ["cohort", "period", "active"], source,
                    fix="the cohorts table has columns cohort, period, active.")
    out = {}
    for name, g in cohorts.groupby("cohort", sort=False):
        g = g.sort_values("period")
        periods = g["period"].to_numpy()
        if periods[0] != 0 or np.any(np.diff(periods) != 1):
            raise DataError(f"cohort '{name}' has periods {periods.tolist()[:6]}...; they must run "
                            "0, 1, 2, ... without gaps", source=source, column="period",
                            fix="add the missing periods (period 0 = cohort size).")
        cohort_durations(g["active"].to_numpy(), str(name))  # validates the counts
        out[str(name)] = g["active"].to_numpy(dtype=float)
    return out


def group_keys(members: pd.DataFrame, by: str = "tier", source: str = "members") -> pd.Series:
    """The group label (text) of each member for ``by`` in tier, join_month, tier_join_month, all."""
    check_choice("group_by", by, GROUPINGS)
    month = pd.to_datetime(members["joined_at"]).dt.strftime("%Y-%m")
    if by == "all":
        return pd.Series("all", index=members.index)
    if by in ("tier", "tier_join_month"):
        if "tier" not in members:
            raise DataError("no tier column to group by", source=source, column="tier",
                            fix="use by='join_month' or 'all', or add the tier column.")
        tier = members["tier"].astype(str)
        return tier if by == "tier" else tier + " " + month
    return month  # join_month


def fit_cohorts(cohorts: pd.DataFrame, fit_periods: int | None = None,
                source: str = "cohorts") -> dict[str, ShiftedBetaGeometric]:
    """Fit one sBG model per cohort of a cohorts table (cohort, period, active)."""
    return {name: ShiftedBetaGeometric(name).fit(a, fit_periods=fit_periods)
            for name, a in cohort_table(cohorts, source).items()}


def derive_cohorts(members: pd.DataFrame, period_days: float, observation_end=None,
                   by: str = "join_month", source: str = "members") -> pd.DataFrame:
    """A cohorts table (cohort, period, active) from a members table.

    ``by``: "join_month" (cohort = YYYY-MM of joined_at), "tier", "tier_join_month" or "all".
    Each cohort runs to the last period that every one of its members has reached by
    ``observation_end`` (so the counts are not biased by censoring); ``active[k]`` counts members
    still paying at the start of their own period k.
    """
    md = member_durations(members, period_days, observation_end, source)
    keys = group_keys(members, by, source)
    rows = []
    for name, idx in keys.groupby(keys).groups.items():
        sub = md.loc[idx]
        full = int(sub["depth"].min())
        T = np.where(sub["censored"], np.iinfo(np.int64).max, sub["t"])
        for k in range(full + 1):
            rows.append({"cohort": str(name), "period": k, "active": int((T > k).sum())})
    return pd.DataFrame(rows, columns=["cohort", "period", "active"])


def fit_members(members: pd.DataFrame, period_days: float, observation_end=None,
                by: str = "tier", fit_periods: int | None = None,
                source: str = "members") -> dict[str, ShiftedBetaGeometric]:
    """Fit one sBG model per group of a members table, using every member (staggered joins,
    right-censored at ``observation_end``)."""
    md = member_durations(members, period_days, observation_end, source)
    keys = group_keys(members, by, source)
    out = {}
    for name, idx in sorted(keys.groupby(keys).groups.items()):
        d = _durations_from_frame(md.loc[idx], f"{source} ({by} {name})")
        out[str(name)] = ShiftedBetaGeometric(str(name)).fit(d, fit_periods=fit_periods)
    return out


def group_durations(members: pd.DataFrame, period_days: float, observation_end=None,
                    by: str = "tier", source: str = "members") -> dict[str, Durations]:
    """Durations per group (for Kaplan-Meier actuals against the fitted curves)."""
    md = member_durations(members, period_days, observation_end, source)
    keys = group_keys(members, by, source)
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
    end = observation_end_of(members, observation_end)
    keys = group_keys(members, by, source)
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


def period_fee(group: str, members: pd.DataFrame | None = None, by: str = "tier",
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
    """True when :func:`period_fee` returns money (a fee was given or the members have fees),
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
    draws = model.sample_params(n_draws, seed)
    el = model.expected_lifetime(horizon)
    el_lo, el_hi = percentile_interval([expected_lifetime(a, b, horizon) for a, b in draws], level)
    dl = model.discounted_expected_lifetime(discount_rate)
    dl_draws = np.array([discounted_expected_lifetime(a, b, discount_rate) for a, b in draws])
    dl_lo, dl_hi = percentile_interval(dl_draws, level)
    fee = float(fee)
    return {"fee": fee,
            "expected_lifetime": float(el), "expected_lifetime_ci": [float(el_lo), float(el_hi)],
            "discounted_expected_lifetime": float(dl),
            "discounted_expected_lifetime_ci": [float(dl_lo), float(dl_hi)],
            "expected_remaining_lifetime": model.expected_remaining_lifetime(tenure, horizon),
            "derl_after_tenure": model.derl(discount_rate, tenure),
            "discounted_expected_value": fee * dl,
            "discounted_expected_value_ci": [fee * dl_lo, fee * dl_hi]}


def yearly_renewal(model: ShiftedBetaGeometric, period_days: float, years: int = YEARS_SHOWN,
                   n_draws: int = 2000, seed: int = 0, level: float = 0.95) -> dict:
    """The second-year renewal (第二年续费) and the renewal into later years, with intervals.

    With P = :func:`periods_per_year` renewal periods a year, the share of a new cohort still paying
    at the start of year y is S((y-1) P); the renewal into year y is S((y-1) P) / S((y-2) P), the
    share of those paying in year y-1 who still pay in year y. For a yearly membership (P = 1) the
    **second-year renewal** is S(1) = beta / (alpha + beta), the first renewal, and the renewal into
    year y is r(y-1) (FH 2007 eq. 7); for a monthly one it is S(12), the share of joiners still
    paying twelve monthly renewals later. Intervals: ``level`` quantiles over ``n_draws`` parameter
    draws with ``seed`` (the draws :func:`value_summary` uses).

    Returns ``periods_per_year``, ``second_year_renewal`` with ``second_year_renewal_ci``, and
    ``renewal_by_year`` (into years 2..``years``) with ``renewal_by_year_lower`` / ``_upper``.
    """
    P = periods_per_year(period_days)
    n_years = int(check_number("years", years, low=2, integer=True, fix="show at least year 2."))
    at = np.arange(n_years) * P          # starts of years 1..n_years in periods

    def by_year(a, b):
        s = sbg_survival(a, b, at)
        return s[1:] / s[:-1]

    lo, hi = model.interval(by_year, level=level, n=n_draws, seed=seed)
    point = by_year(model.alpha, model.beta)
    return {"periods_per_year": P, "second_year_renewal": float(point[0]),
            "second_year_renewal_ci": [float(lo[0]), float(hi[0])],
            "renewal_by_year": point.tolist(), "renewal_by_year_lower": np.asarray(lo).tolist(),
            "renewal_by_year_upper": np.asarray(hi).tolist()}


def renewal_by_year_table(yearly: dict[str, dict]) -> pd.DataFrame:
    """One row per cohort from :func:`yearly_renewal` results: the second-year renewal with its
    interval, then the renewal into years 3, 4, ... (columns ``year_<y>``); for display."""
    rows = []
    for g, y in yearly.items():
        row = {"cohort": g, "second_year_renewal": y["second_year_renewal"],
               "renewal_low": y["second_year_renewal_ci"][0], "renewal_high": y["second_year_renewal_ci"][1]}
        row.update({f"year_{k + 2}": v for k, v in enumerate(y["renewal_by_year"]) if k})
        rows.append(row)
    return pd.DataFrame(rows).set_index("cohort")


def value_table(values: dict[str, dict]) -> pd.DataFrame:
    """One row per cohort from :func:`value_summary` results, for display (headers:
    ``i18n.column_labels("03_renewal", ...)``): fee per period, expected lifetime within the horizon,
    remaining lifetime after fit_periods, discounted payments, discounted fee value and its interval."""
    rows = [{"cohort": g, "fee": v["fee"],
             "expected_lifetime": v["expected_lifetime"],
             "remaining_lifetime": v["expected_remaining_lifetime"],
             "discounted_lifetime": v["discounted_expected_lifetime"],
             "discounted_value": v["discounted_expected_value"],
             "value_low": v["discounted_expected_value_ci"][0],
             "value_high": v["discounted_expected_value_ci"][1]} for g, v in values.items()]
    return pd.DataFrame(rows).set_index("cohort")


def fit_table(fits: dict[str, ShiftedBetaGeometric]) -> pd.DataFrame:
    """One row per fitted cohort: members, leavers in the fitted periods, alpha and beta with 95%
    intervals, mean churn E[theta] = alpha / (alpha + beta), log-likelihood; for display."""
    rows = []
    for g, m in fits.items():
        ci = m.conf_int()
        rows.append({"cohort": g, "members": m.durations_.n_members,
                     "left": m.durations_.n_churned,
                     "alpha": m.alpha, "alpha_ci": f"{ci['alpha'][0]:.3f}–{ci['alpha'][1]:.3f}",
                     "beta": m.beta, "beta_ci": f"{ci['beta'][0]:.3f}–{ci['beta'][1]:.3f}",
                     "mean_churn": m.alpha / (m.alpha + m.beta),
                     "log_likelihood": m.log_likelihood_})
    return pd.DataFrame(rows).set_index("cohort")


def cohort_results(model: ShiftedBetaGeometric, projection: dict, value: dict,
                   yearly: dict | None = None) -> dict:
    """The published results of one cohort or tier (JSON-ready) from the fitted model, its
    :func:`projection_vs_actual`, its :func:`value_summary` and (when given) its
    :func:`yearly_renewal`.

    ``expected_lifetime_unrestricted`` is None when infinite (alpha <= 1).
    """
    ci = model.conf_int()
    t = np.asarray(projection["periods"])
    unrestricted = model.expected_lifetime()
    return {
        "alpha": model.alpha, "beta": model.beta,
        "alpha_ci": list(ci["alpha"]), "beta_ci": list(ci["beta"]),
        # covariance of (log alpha, log beta): later notebooks draw correlated parameters from it
        "log_cov": None if model.cov_ is None else np.asarray(model.cov_, dtype=float).tolist(),
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
        **({} if yearly is None else {k: v for k, v in yearly.items() if k != "periods_per_year"}),
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
    k = check_number("join_periods", join_periods, low=1, integer=True,
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


# --------------------------------------------------------------------------- the analysis of notebook 03
@dataclass
class RenewalResult(Result):
    """Everything notebook 03 shows and publishes (see :func:`run`)."""

    members: pd.DataFrame | None   # the members table, or None when a cohorts table was given
    durations: dict                # group -> Durations (all periods, for the actuals)
    fits: dict                     # group -> ShiftedBetaGeometric fitted on periods 0..fit_periods
    projections: dict              # group -> projection_vs_actual
    values: dict                   # group -> value_summary
    yearly: dict                   # group -> yearly_renewal (second-year renewal, later years)
    calendar: pd.DataFrame         # paying members by date (members) or by period (cohorts)
    settings: dict                 # source, period, period_days, discount rates, fit_periods, horizon, ...

    @property
    def largest_group(self) -> str:
        """The group with the most members (the heterogeneity figure and the headline show it)."""
        return max(self.fits, key=lambda g: self.fits[g].durations_.n_members)

    @property
    def yearly_period(self) -> bool:
        """Whether a renewal period is a year (the headline is then the second-year renewal)."""
        return self.settings["period"] == "year"

    def mean_churn(self, tenure: int, group: str | None = None) -> float:
        """Mean churn probability E[theta] among members still paying after ``tenure`` renewals."""
        return float(self.fits[group or self.largest_group].theta_distribution(tenure).mean())

    def fit_table(self) -> pd.DataFrame:
        return fit_table(self.fits)

    def value_table(self) -> pd.DataFrame:
        return value_table(self.values)

    def renewal_by_year_table(self) -> pd.DataFrame:
        return renewal_by_year_table(self.yearly)

    @property
    def fee_known(self) -> bool:
        """Whether values are money (a fee was given or the members have fees), else fee units."""
        return fees_known(self.members, self.settings["fee_per_period"])

    def fee_unit(self, lang: str = "en") -> str:
        """What a value is counted in: money, or one period's fee (a month's / a year's fee)."""
        key = "unit_money" if self.fee_known else f"unit_fees_{self.settings['period']}"
        return i18n.text(STEM, key, lang)

    def money(self, value: float, lang: str = "en") -> str:
        """A fee value as the catalogue writes it: money (¥, 万 in Chinese) or fee units."""
        if self.fee_known:
            return i18n.value_text({"format": "money"}, value, lang)
        return i18n.text(STEM, f"fees_{self.settings['period']}", lang, n=value)

    @property
    def holdout_errors(self) -> dict:
        return {g: p["holdout_mean_abs_error"] for g, p in self.projections.items()}

    def table(self, which: str, lang: str = "en") -> pd.DataFrame:
        """A table the notebook shows, numbers written out and headers in ``lang``: ``"fit"``
        (:func:`fit_table`), ``"value"`` (:func:`value_table`) or ``"renewal"``
        (:func:`renewal_by_year_table`)."""
        df = {"fit": self.fit_table, "value": self.value_table, "renewal": self.renewal_by_year_table}[
            check_choice("which", which, ("fit", "value", "renewal"))]()
        fee = "{:,.2f}" if self.fee_known else "{:,.0f}"
        formats = {"members": "{:,.0f}", "left": "{:,.0f}", "alpha": "{:.3f}", "beta": "{:.3f}",
                   "mean_churn": "{:.1%}", "log_likelihood": "{:,.1f}", "fee": fee,
                   "expected_lifetime": "{:,.1f}", "remaining_lifetime": "{:,.1f}", "discounted_lifetime": "{:,.2f}",
                   "discounted_value": "{:,.2f}", "value_low": "{:,.2f}", "value_high": "{:,.2f}"}
        out = pd.DataFrame(index=df.index)
        for col in df.columns:
            fmt = formats.get(col, "{:.1%}" if df[col].dtype.kind == "f" else "{}")
            out[col] = [fmt.format(v) if pd.notna(v) else "—" for v in df[col]]
        out = out.rename(columns=i18n.column_labels(STEM, out.columns, lang))
        return out.rename_axis(i18n.text(STEM, "col_cohort", lang))

    def best_value_group(self) -> str:
        best = self.value_table()["discounted_value"]
        return str(best.idxmax())

    def headline_text(self, lang: str = "en") -> str:
        st = self.settings
        g, best = self.largest_group, self.best_value_group()
        value = self.money(self.values[best]["discounted_expected_value"], lang)
        if self.yearly_period:
            y = self.yearly[g]
            later = y["renewal_by_year"]
            return i18n.text(STEM, "headline_year", lang, group=g, share=y["second_year_renewal"],
                             low=y["second_year_renewal_ci"][0], high=y["second_year_renewal_ci"][1],
                             year3=later[1], last=later[-1], last_year=len(later) + 1, best=best, value=value)
        return i18n.text(STEM, "headline_month", lang, group=g, mean0=self.mean_churn(0),
                         meanF=self.mean_churn(st["fit_periods"]), fit_periods=st["fit_periods"],
                         best=best, value=value, share=self.yearly[g]["second_year_renewal"])

    def period_reading(self, lang: str = "en") -> str:
        """How the run read the renewal period, and why (the notebook shows it first)."""
        st = self.settings
        how = i18n.text(STEM, f"how_{st['period_how']}", lang, share=st["anniversary_share"] or 0.0,
                        n=st["n_leavers"] or 0, days=st["period_days"])
        return i18n.text(STEM, f"period_{st['period']}_line", lang, days=st["period_days"], how=how,
                         rate=st["discount_rate"], per_period=st["discount_rate_per_period"],
                         per_year=periods_per_year(st["period_days"]))

    def _json(self) -> dict:
        st = self.settings
        g = self.largest_group
        y = self.yearly[g]
        return {"headline": self.headline, "source": st["source"], "period": st["period"],
                "period_how": st["period_how"], "period_days": st["period_days"],
                "periods_per_year": periods_per_year(st["period_days"]),
                "discount_rate_annual": st["discount_rate"], "discount_rate_per_period": st["discount_rate_per_period"],
                "fit_periods": st["fit_periods"], "horizon": st["horizon"],
                "group_by": st["group_by"] if self.members is not None else "cohort",
                "headline_cohort": g, "second_year_renewal": y["second_year_renewal"],
                "second_year_renewal_ci": y["second_year_renewal_ci"],
                "later_year_renewal": y["renewal_by_year"][1:],
                "cohorts": {c: cohort_results(m, self.projections[c], self.values[c], self.yearly[c])
                            for c, m in self.fits.items()},
                "calendar_forecast": forecast_json(self.calendar),
                "heterogeneity": {"cohort": g, "mean_theta_at_join": self.mean_churn(0),
                                  "mean_theta_after_fit_periods": self.mean_churn(st["fit_periods"])}}


def run(tables, group_by: str = "tier", observation_end=None, fit_periods: int = 12, horizon: int = 36,
        discount_rate: float = 0.10, period: str = "auto", period_days: float = 0.0, fee_per_period: float = 0.0,
        forecast_periods: int = 12, n_draws: int = 2000, seed: int = 0) -> RenewalResult:
    """Notebook 03's analysis on :class:`superkit.data.Tables`.

    With a cohorts table, one model per cohort; otherwise one per ``group_by`` group of the members
    table (which is then required), every member counted with right-censoring at
    ``observation_end`` (default: the latest date in the table). ``period`` ("month", "year" or
    "auto") and ``period_days`` (0: 30 days a month, 365.25 a year) say how long a renewal period
    is (:func:`resolve_period`; a cohorts table needs one of them). Periods 0..``fit_periods`` are
    fitted, later ones held out; projections cover periods 0..``horizon``; values use the annual
    ``discount_rate`` converted to the period; the calendar forecast runs ``forecast_periods``
    periods beyond the data. Every cohort gets its second-year renewal (:func:`yearly_renewal`); with
    yearly periods the headline is the largest cohort's.
    """
    check_number("horizon", horizon, low=1, integer=True, fix="periods to project, e.g. 36.")
    members = None
    if tables.cohorts is not None:
        source = tables.files["cohorts"]
        reading = resolve_period(period, period_days, cohorts=True)
        data = {g: cohort_durations(a, g) for g, a in cohort_table(tables.cohorts, source).items()}
    else:
        members = tables.require("members", "the renewal model (without a cohorts table)")
        source = tables.files["members"]
        reading = resolve_period(period, period_days, members)
    period_days = reading["period_days"]
    d_period = per_period_rate(discount_rate, period_days)
    if members is not None:
        obs_end = observation_end_of(members, observation_end)
        data = group_durations(members, period_days, obs_end, by=group_by)
    fits = {g: ShiftedBetaGeometric(g).fit(d, fit_periods=fit_periods) for g, d in data.items()}
    proj = {g: projection_vs_actual(m, data[g], horizon, fit_periods, n_draws=n_draws, seed=seed)
            for g, m in fits.items()}
    value = {g: value_summary(m, horizon, d_period, fit_periods,
                              fee=period_fee(g, members, group_by, period_days, fixed_fee=fee_per_period,
                                             source=source),
                              n_draws=n_draws, seed=seed)
             for g, m in fits.items()}
    yearly = {g: yearly_renewal(m, period_days, n_draws=n_draws, seed=seed) for g, m in fits.items()}
    if members is not None:
        cal = paying_members_forecast(members, fits, period_days, obs_end, by=group_by,
                                      periods_ahead=forecast_periods)
    else:
        cal = steady_joining_forecast(fits, fit_periods, forecast_periods,
                                      sizes={g: d.n_members for g, d in data.items()})
    settings = {"source": source, "period": reading["period"], "period_how": reading["how"],
                "anniversary_share": reading["anniversary_share"], "n_leavers": reading["n_leavers"],
                "period_days": period_days, "discount_rate": discount_rate,
                "discount_rate_per_period": d_period, "fit_periods": fit_periods, "horizon": horizon,
                "group_by": group_by, "fee_per_period": fee_per_period,
                "forecast_periods": forecast_periods,
                "observation_end": None if members is None else str(obs_end.date())}
    return RenewalResult(members=members, durations=data, fits=fits, projections=proj, values=value,
                         yearly=yearly, calendar=cal, settings=settings)
