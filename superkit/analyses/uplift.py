"""Do members really spend 5-10x more? Four readings of the claim, each with an interval.

1. **Naive ratio** (:func:`naive_ratio`): members' vs non-members' mean spend per customer per year
   over the same calendar window (what companies publish: JD PLUS 9-10x, Prime ~2x).
2. **Segment ratio** (:func:`segment_ratio`): top 20% of customers by spend vs the rest (the
   "super users spend 5-10x ordinary users" reading; no membership needed).
3. **Selection** (:func:`pre_join_ratio`): how much more members already spent *before* joining
   than non-members in the same calendar months, and the share of the naive ratio it explains,
   ``selection_share = log(pre_join_ratio) / log(naive_ratio)``.
4. **Causal effect of joining** (:func:`causal_ratio`): two-way
   fixed-effects Poisson (PPML) on each customer's *active span* (first to last purchase day):
   customer fixed effects remove selection on any fixed trait (heavy buyers joining), calendar-month
   fixed effects taken from not-yet-joined and never-joined customers remove seasonality and
   growth (a staggered difference-in-differences on the ratio scale, Wooldridge 2023), and the
   span restriction removes the survivorship bias of "only active customers can join". Reported
   as a ratio (spend with membership / without) with customer-clustered 95% intervals, plus an
   event study by month relative to joining. Validated against simulated worlds with strong
   self-selection (``tests/test_causal.py``) and against statsmodels' Poisson GLM with explicit
   dummies on small data.
5. **The customer half of "+1% super users"** (:func:`referral_customers`): where the events table
   links referrals to the new customers they brought (``referred_id``), the new customers members
   bring per member-year while members, with a Bayesian-bootstrap interval over members, and what one
   more percentage point of customers as members would add to the ordinary-customer base a year,
   against the claimed +10-15%. Without the links, nothing is estimated and the result says so.

**Library choice.** The econometrics is a Poisson model with two absorbed fixed effects,
:class:`superkit.models.FixedEffectsPoisson` (its module says why the fixed effects are absorbed by
our own code rather than expanded into statsmodels dummies, which the tests use as the reference).
Bootstrap intervals (naive, segment, pre-join) are Bayesian-bootstrap (Exp(1) customer weights).

Data flow: the transactions are aggregated in SQL (DuckDB or Spark); what comes back is per customer
x month: the panel of spend (200k customers x 24 months of floats is 38 MB) and the cells of the
active spans, with never-joined controls sampled above ``max_controls``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from superkit.analyses.result import Result
from superkit.analyses.super_users import share_multiple
from superkit.core.checks import check_number, parse_date, require_columns
from superkit.core.constants import DAYS_PER_YEAR
from superkit.core.errors import DataError, ModelError, ParameterError
from superkit.core.stats import percentile_interval
from superkit.data import rules
from superkit.data.store import EXACT, query, time_span
from superkit.models.fe_poisson import FixedEffectsPoisson, OneHot

__all__ = [
    "CUSTOMER_CLAIM",
    "MAX_CONTROLS",
    "Panel",
    "READING_LABELS",
    "STATES",
    "SpanCells",
    "UpliftResult",
    "VERDICT_WORDS",
    "build_panel",
    "causal_ratio",
    "event_codes",
    "event_study",
    "implied_sales_lift",
    "joining_effect",
    "naive_ratio",
    "pre_join_ratio",
    "ratio_needed_for_lift",
    "readings",
    "referral_customers",
    "run",
    "segment_ratio",
    "selection_share",
    "span_cells",
    "verdict",
]

STATES = ("not_member", "member", "after")
# the method's customer half of "+1% super users": +10-15% more (ordinary) customers
CUSTOMER_CLAIM = (0.10, 0.15)


# ----------------------------------------------------------------------------------------------
# Panel
# ----------------------------------------------------------------------------------------------
@dataclass
class Panel:
    """Customer x calendar-month spend, with entry (first purchase) and membership months."""

    customer_ids: np.ndarray          # (n,) str
    months: pd.PeriodIndex            # (M,) calendar months, all fully observed
    spend: np.ndarray                 # (n, M) net spend per customer-month
    entry: np.ndarray                 # (n,) month index of the first purchase (may be < 0: before window)
    join: np.ndarray                  # (n,) month index of joining; -1 if never joined (in the window)
    is_member: np.ndarray             # (n,) bool: in the members table
    member_spend: np.ndarray          # (n, M) the part of ``spend`` made while a member
    window_spend: np.ndarray          # (n,) net spend over the whole calendar window
    start: pd.Timestamp = None
    end: pd.Timestamp = None           # last observed day (inclusive)
    years: float = 0.0                 # length of the calendar window in years
    info: dict = field(default_factory=dict)


def _last_membership(members: pd.DataFrame) -> pd.DataFrame:
    """``customer_id, joined, ended`` (days, as timestamps) of each member's last row (the row a
    later one replaces when the table repeats a customer)."""
    ended = (pd.DatetimeIndex(members["ended_at"]).normalize() if "ended_at" in members.columns
             else pd.DatetimeIndex([pd.NaT] * len(members)))
    out = pd.DataFrame({"customer_id": members["customer_id"].astype(str).to_numpy(dtype=object),
                        "joined": np.asarray(pd.DatetimeIndex(members["joined_at"]).normalize(), dtype="datetime64[ns]"),
                        "ended": np.asarray(ended, dtype="datetime64[ns]")})
    return out.drop_duplicates("customer_id", keep="last").reset_index(drop=True)


def build_panel(transactions: pd.DataFrame, members: pd.DataFrame, observation_end=None,
                start=None) -> Panel:
    """Validated transactions + members (contract columns) -> :class:`Panel`.

    The calendar window runs from ``start`` (default: first day of the month of the first
    transaction) to ``observation_end`` (default: the last transaction's day). Only whole months are
    used for the monthly panel; a last month cut short by ``observation_end`` is dropped.
    """
    require_columns(transactions, ["customer_id", "timestamp", "amount"], "transactions")
    require_columns(members, ["customer_id", "joined_at"], "members")
    if len(transactions) == 0:
        raise DataError("no transactions", source="transactions", fix="give the purchase history.")
    if len(members) == 0:
        raise DataError("no members: the members table is empty", source="members",
                        fix="the uplift analysis compares members with non-members; give the "
                            "members table (customer_id, joined_at, ended_at).")
    first_tx, last_tx = time_span(transactions)
    first_tx = first_tx.normalize()
    start_ts = pd.Timestamp(parse_date(start, "start", default=lambda: first_tx.to_period("M").to_timestamp())).normalize()
    end_ts = pd.Timestamp(parse_date(observation_end, "observation_end", default=lambda: last_tx)).normalize()
    if end_ts <= start_ts:
        raise DataError(f"observation_end {end_ts.date()} is not after the window start {start_ts.date()}",
                        fix="set observation_end to the last day of the data.")
    mem_ids = members["customer_id"].astype(str).to_numpy()
    joined = pd.DatetimeIndex(members["joined_at"]).normalize()
    ended = pd.DatetimeIndex(members["ended_at"]).normalize() if "ended_at" in members.columns \
        else pd.DatetimeIndex([pd.NaT] * len(members))
    if pd.isna(joined).any():
        raise DataError("members without a join date", source="members", column="joined_at",
                        rows=int(pd.isna(joined).sum()), fix="fill joined_at for every member.")
    outside = (joined < start_ts) | (joined > end_ts)
    if outside.any():
        raise DataError(f"join dates outside the analysis window {start_ts.date()}..{end_ts.date()}",
                        source="members", column="joined_at", rows=int(outside.sum()),
                        examples=[str(d.date()) for d in joined[outside][:3]],
                        fix="the analysis needs spend before and after each join inside the window: "
                            "drop these members, or widen the window (start / observation_end).")
    first_month = start_ts.to_period("M")
    last_full = end_ts.to_period("M") if (end_ts + pd.Timedelta(days=1)).day == 1 \
        else end_ts.to_period("M") - 1
    M = int((last_full - first_month).n) + 1 if last_full >= first_month else 0
    month0 = first_month.to_timestamp().date()
    last = _last_membership(members)
    # one pass: per customer the entry month (first purchase ever) and per customer x month the net
    # spend in the window and its part made while a member (join day inclusive, end day exclusive)
    # customers are numbered in SQL (in the order np.unique would sort their ids), so millions of
    # rows come back as integers and each id as text once
    t_sql = f"""SELECT customer_id, "timestamp" AS ts, {EXACT} AS amount,
                       (year("timestamp") - {month0.year}) * 12 + month("timestamp") - {month0.month} AS month
                FROM {{tx}}"""
    ids_sql = f"""SELECT customer_id, MIN(month) AS entry,
                         CAST(row_number() OVER (ORDER BY customer_id) - 1 AS BIGINT) AS code
                  FROM ({t_sql}) GROUP BY customer_id"""
    customers = query(transactions, f"SELECT customer_id, entry FROM ({ids_sql}) ORDER BY code")
    cells = query(transactions, f"""
        WITH t AS ({t_sql}), ids AS ({ids_sql})
        SELECT ids.code, c.month, c.spend, c.member_spend
        FROM (SELECT t.customer_id, t.month, SUM(t.amount) AS spend,
                     SUM(t.amount) FILTER (WHERE t.ts >= m.joined AND (m.ended IS NULL OR t.ts < m.ended))
                         AS member_spend
              FROM t LEFT JOIN {{members}} m USING (customer_id)
              WHERE t.ts >= TIMESTAMP '{start_ts}' AND t.ts < TIMESTAMP '{end_ts + pd.Timedelta(days=1)}'
              GROUP BY t.customer_id, t.month) c JOIN ids USING (customer_id)""", members=last)
    ids = customers["customer_id"].astype(str).to_numpy()
    code = cells["code"].to_numpy(np.int64)
    n = len(ids)
    absent = ~pd.Index(mem_ids).isin(pd.Index(ids))
    if absent.any():
        raise DataError("members who never appear in the transactions", source="members",
                        column="customer_id", rows=int(absent.sum()), examples=mem_ids[absent][:3].tolist(),
                        fix="check that both tables use the same customer ids (mapping, leading zeros).")
    if cells.empty:
        raise DataError("no transactions inside the analysis window", source="transactions",
                        fix="check start and observation_end against the transaction dates.")
    if M < 4:
        raise DataError(f"only {max(M, 0)} whole months between {start_ts.date()} and {end_ts.date()}",
                        fix="the uplift analysis needs at least 4 whole months (a year or more is better).")
    months = pd.period_range(first_month, periods=M, freq="M")
    entry = customers["entry"].to_numpy(dtype=np.int64)
    month = cells["month"].to_numpy(np.int64)
    amount = cells["spend"].fillna(0.0).to_numpy(float)
    during = cells["member_spend"].fillna(0.0).to_numpy(float)
    window_spend = np.bincount(code, weights=amount, minlength=n)
    sel = month < M
    spend = np.bincount(code[sel] * M + month[sel], weights=amount[sel], minlength=n * M).reshape(n, M)
    member_spend = np.bincount(code[sel] * M + month[sel], weights=during[sel], minlength=n * M).reshape(n, M)

    pos = pd.Index(ids).get_indexer(mem_ids)
    join = np.full(n, -1, dtype=np.int64)
    jm = (joined.year - first_month.year) * 12 + (joined.month - first_month.month)
    join[pos] = np.asarray(jm)
    is_member = np.zeros(n, dtype=bool)
    is_member[pos] = True
    years = ((end_ts - start_ts).days + 1) / DAYS_PER_YEAR
    return Panel(ids, months, spend, entry, join, is_member, member_spend, window_spend,
                 start=start_ts, end=end_ts, years=years,
                 info={"n_customers": n, "n_members": int(is_member.sum()), "n_months": M})


# ----------------------------------------------------------------------------------------------
# Bootstrap helpers
# ----------------------------------------------------------------------------------------------
def _chunk(most: int, n: int) -> int:
    """Replicates drawn at once: at most ``most``, and at most ~2.5M weights (20 MB) at a time, so a
    million customers need no more memory than twenty thousand. The draws are the same whatever
    the chunk (the generator fills the rows in order)."""
    return max(1, min(most, 2_500_000 // max(n, 1)))


def _weights(rng: np.random.Generator, B: int, n: int) -> np.ndarray:
    """Bayesian-bootstrap weights (Exp(1) per customer), shape (B, n)."""
    return rng.exponential(1.0, size=(B, n))



# ----------------------------------------------------------------------------------------------
# 1. naive ratio
# ----------------------------------------------------------------------------------------------
def naive_ratio(panel: Panel, n_boot: int = 500, seed: int = 0) -> dict:
    """Members' vs non-members' mean spend per customer per year over the same calendar window."""
    y = panel.window_spend / panel.years
    m = panel.is_member
    if m.all() or not m.any():
        raise DataError("every customer is a member" if m.all() else "no member among the customers",
                        source="members", fix="the naive ratio needs both members and non-members.")
    mean_m, mean_n = y[m].mean(), y[~m].mean()
    if mean_n <= 0:
        raise ModelError("non-members have no net spend in the window; the ratio is undefined. "
                           "Remedy: check the window and the refunds.")
    rng = np.random.default_rng(seed)
    boot = np.empty(n_boot)
    step = _chunk(100, len(y))
    for s in range(0, n_boot, step):
        W = _weights(rng, min(step, n_boot - s), len(y))
        boot[s:s + len(W)] = ((W[:, m] @ y[m]) / W[:, m].sum(1)) / ((W[:, ~m] @ y[~m]) / W[:, ~m].sum(1))
    return {"ratio": float(mean_m / mean_n), "ci": percentile_interval(boot), "member_spend_per_year": float(mean_m),
            "nonmember_spend_per_year": float(mean_n), "n_members": int(m.sum()),
            "n_nonmembers": int((~m).sum())}


# ----------------------------------------------------------------------------------------------
# 2. segment ratio
# ----------------------------------------------------------------------------------------------
def segment_ratio(panel: Panel, top_share: float = 0.2, n_boot: int = 500, seed: int = 1) -> dict:
    """Top ``top_share`` of customers by window spend vs the rest: ratio of mean spend
    (:func:`superkit.analyses.super_users.share_multiple` of the top's share of spend)."""
    check_number("top_share", top_share, low=0, high=1, low_open=True, high_open=True, fix="e.g. 0.2.")
    y = panel.window_spend / panel.years
    order = np.argsort(-y, kind="stable")
    ys = y[order]
    n = len(ys)
    k = max(1, int(round(top_share * n)))
    if k >= n:
        raise DataError("too few customers for a top/rest split", fix="give more customers.")
    rest = ys[k:].mean()
    if rest <= 0:
        raise ModelError("the rest of the customers have no net spend; the ratio is undefined. "
                           "Remedy: use a longer window or check refunds.")
    ratio = share_multiple(ys[:k].sum() / ys.sum(), k / n)
    rng = np.random.default_rng(seed)
    boot = np.empty(n_boot)
    step = _chunk(50, n)
    for s in range(0, n_boot, step):
        W = _weights(rng, min(step, n_boot - s), n)
        cw = np.cumsum(W, axis=1)
        top = cw <= top_share * cw[:, -1:]
        top[:, 0] = True
        wt = np.where(top, W, 0.0)
        boot[s:s + len(W)] = share_multiple((wt @ ys) / (W @ ys), wt.sum(1) / W.sum(1))
    return {"ratio": float(ratio), "ci": percentile_interval(boot), "top_share": top_share,
            "top_spend_per_year": float(ys[:k].mean()), "rest_spend_per_year": float(rest),
            "top_share_of_spend": float(ys[:k].sum() / ys.sum()) if ys.sum() > 0 else float("nan")}


# ----------------------------------------------------------------------------------------------
# 3. selection: spend before joining
# ----------------------------------------------------------------------------------------------
def pre_join_ratio(panel: Panel, lookback_months: int = 12, n_boot: int = 500, seed: int = 2) -> dict:
    """Members' spend in the months before they joined vs non-members' in the same months.

    For each member and each whole month before the join month (up to ``lookback_months``, from
    the first-purchase month on), the benchmark is the mean spend that month of customers who had
    made a first purchase by then and were not members (never joined, or joined later).
    ``ratio = sum(member pre-join spend) / sum(benchmark over the same member-months)``.
    """
    n, M = panel.spend.shape
    mcols = np.arange(M)
    entered = panel.entry[:, None] <= mcols[None, :]
    not_member_yet = (panel.join[:, None] < 0) | (panel.join[:, None] > mcols[None, :])
    at_risk = entered & not_member_yet                           # benchmark population per month
    pre = (panel.join[:, None] >= 0) & entered & (mcols[None, :] < panel.join[:, None]) & \
        (mcols[None, :] >= panel.join[:, None] - lookback_months)
    n_pre = int(pre.any(axis=1).sum())
    if n_pre == 0:
        raise ModelError("no member has a whole month of purchase history before joining. "
                           "Remedy: use data that starts before the members joined.")
    Y = panel.spend
    ya = np.where(at_risk, Y, 0.0)
    pre_f = pre.astype(float)

    def stat(w):
        bench = (w @ ya) / np.maximum(w @ at_risk, 1e-12)        # (M,) benchmark mean per month
        num = w @ (Y * pre_f).sum(1)
        den = (w * (pre_f @ bench)).sum() if w.ndim == 1 else ((w * (pre_f @ bench.T).T).sum(1))
        return num / den

    w1 = np.ones(n)
    ratio = float(stat(w1))
    rng = np.random.default_rng(seed)
    boot = []
    step = _chunk(50, n)
    for s in range(0, n_boot, step):
        W = _weights(rng, min(step, n_boot - s), n)
        bench = (W @ ya) / np.maximum(W @ at_risk.astype(float), 1e-12)   # (b, M)
        num = W @ (Y * pre_f).sum(1)
        den = (W * (pre_f @ bench.T).T).sum(1)
        boot.append(num / den)
    boot = np.concatenate(boot)
    return {"ratio": ratio, "ci": percentile_interval(boot), "n_members_with_history": n_pre,
            "lookback_months": lookback_months}


def selection_share(naive: float, pre_join: float) -> float | None:
    """Share of the naive ratio (on the log scale) that members' pre-join spend already explains."""
    if naive is None or pre_join is None or not (naive > 0 and pre_join > 0) or abs(math.log(naive)) < 1e-9:
        return None
    return float(math.log(pre_join) / math.log(naive))


# ----------------------------------------------------------------------------------------------
# 4. causal effect of joining: two-way fixed-effects Poisson on the active spans
# ----------------------------------------------------------------------------------------------
# The effect of joining on spend: two-way fixed-effects Poisson (PPML, superkit.models.fe_poisson)
# on each customer's *active span*, with customer-clustered intervals and an event study.
# The design, and why each part is there:
#
# * **Within-customer comparison (customer fixed effects).** Heavy buyers choose to join, and they
#   choose on things we cannot see. With a customer fixed effect the effect is identified only by
#   how each member's spend changes when they join, relative to their own level, so selection on any
#   *fixed* trait (purchase rate, basket size, loyalty) cancels. For a Poisson model this is the
#   conditional (fixed-effects) Poisson estimator of Hausman, Hall & Griliches (1984); with
#   ``exp`` link it is a ratio: spend with membership / spend without.
# * **Calendar-month fixed effects (the difference-in-differences part).** Seasonality and growth
#   are taken from customers who are not (yet) members in the same months: never-joined and
#   not-yet-joined customers are the control group for calendar time (Wooldridge 2023, "Simple
#   approaches to nonlinear difference-in-differences with panel data", Econometrics Journal:
#   Poisson two-way FE is a valid staggered DiD for a ratio effect).
# * **The active span.** Customers stop buying silently. Only customers still buying can join, so a
#   joiner's months before joining are "alive" months by construction while their months after
#   joining are not. Each customer's exposure is therefore restricted to the span between their
#   first and their last purchase day, where they are known to be a customer; the two end days are
#   left out (they are conditioned on). Inside the span the purchase process is the same with or
#   without later dropout, so the comparison is fair.
# * **Exposure, not months.** Cells are (customer, calendar month, state) with the number of days
#   in the span as exposure, state being before joining (or never a member), member, or after the
#   membership ended (reported separately, so that any lasting effect does not pollute the
#   reference).
#
# The estimand is the ratio of expected spend per active day while a member to the spend the same
# customer would have had without the membership, in the same calendar months. In the simulator
# (``superkit.data.simulate``) it equals ``uplift_frequency * uplift_spend``; ``tests/test_causal.py``
# checks coverage of the interval over many seeds with strong self-selection.



@dataclass
class SpanCells:
    """(customer, month, state) cells of the active spans, with exposure in days."""

    customer: np.ndarray      # (c,) customer index
    month: np.ndarray         # (c,) month index
    state: np.ndarray         # (c,) 0 not (yet) a member, 1 member, 2 after the membership ended
    event_month: np.ndarray   # (c,) months since the join month (members only; 0 for others)
    is_member: np.ndarray     # (c,) bool: the customer is in the members table
    exposure: np.ndarray      # (c,) days of the active span in the cell
    spend: np.ndarray         # (c,) net spend of the purchase days inside the span
    purchases: np.ndarray     # (c,) purchase days inside the span
    customer_ids: np.ndarray  # (n,)
    months: pd.PeriodIndex    # (M,)
    weight: np.ndarray | None = None   # (c,) sampling weight of the cell's customer (None: all 1)
    controls: dict = field(default_factory=dict)   # never-members with a span, and how many were kept

    def weights(self) -> np.ndarray:
        return np.ones(len(self.customer)) if self.weight is None else self.weight


MAX_CONTROLS = 100_000   # never-joined customers kept in the causal panel (a weighted random sample above)


def span_cells(transactions: pd.DataFrame, members: pd.DataFrame, start, end,
               max_controls: int | None = MAX_CONTROLS, seed: int = 0) -> SpanCells:
    """Build the active-span cells from validated transactions and members.

    ``start`` and ``end`` (inclusive) bound the calendar window. A purchase day is a customer's day
    with net amount >= 0 and at least one non-refund row (the summary's rule).

    Never-joined customers only inform the calendar-month effects. When more than ``max_controls``
    of them have an active span, a random sample of ``max_controls`` is kept, each weighted by
    (never-joined with a span) / (kept): the weighted fit estimates the same month effects, every
    member is kept, and the clustered intervals take the sampling into account (the weights enter
    each customer's score). ``None`` keeps everyone.
    """
    start = pd.Timestamp(start).normalize()
    end = pd.Timestamp(end).normalize()
    last_mem = _last_membership(members)
    day0 = start.date()
    # one pass: purchase days in the window (net >= 0 with a non-refund row), each customer's first
    # and last, and the days strictly between them summed per customer x month x state
    t_sql = f"""SELECT customer_id, date_diff('day', DATE '{day0}', CAST("timestamp" AS DATE)) AS day,
                       {EXACT} AS amount FROM {{tx}}
                WHERE "timestamp" >= TIMESTAMP '{start}' AND "timestamp" < TIMESTAMP '{end + pd.Timedelta(days=1)}'"""
    # customers numbered in SQL in sorted order: the rows come back as integers, each id once
    ids = query(transactions, f"SELECT DISTINCT customer_id FROM ({t_sql}) ORDER BY customer_id")
    days = query(transactions, f"""
        WITH t AS ({t_sql}),
        c AS (SELECT customer_id, CAST(row_number() OVER (ORDER BY customer_id) - 1 AS BIGINT) AS code
              FROM (SELECT DISTINCT customer_id FROM t)),
        d AS (SELECT customer_id, day, SUM(amount) AS net, MAX(amount) AS top FROM t GROUP BY customer_id, day),
        ok AS (SELECT customer_id, day, net FROM d WHERE net >= 0 AND top >= 0),
        fl AS (SELECT customer_id, MIN(day) AS first, MAX(day) AS last FROM ok GROUP BY customer_id),
        inner_days AS (
            SELECT ok.customer_id, date_diff('month', DATE '{start.to_period("M").to_timestamp().date()}',
                                             DATE '{day0}' + CAST(ok.day AS INTEGER)) AS month,
                   CASE WHEN m.joined IS NULL OR ok.day < date_diff('day', DATE '{day0}', CAST(m.joined AS DATE)) THEN 0
                        WHEN m.ended IS NULL OR ok.day < date_diff('day', DATE '{day0}', CAST(m.ended AS DATE)) THEN 1
                        ELSE 2 END AS state, ok.net
            FROM ok JOIN fl USING (customer_id) LEFT JOIN {{members}} m USING (customer_id)
            WHERE ok.day > fl.first AND ok.day < fl.last)
        SELECT c.code, fl.first, fl.last, i.month, i.state, i.spend, i.purchases
        FROM c LEFT JOIN fl USING (customer_id)
        LEFT JOIN (SELECT customer_id, month, state, SUM(net) AS spend, COUNT(*) AS purchases
                   FROM inner_days GROUP BY customer_id, month, state) i USING (customer_id)""",
                 members=last_mem)
    if days.empty:
        raise DataError("no transactions inside the analysis window", source="transactions",
                        fix="check the window against the transaction dates.")
    ids = ids["customer_id"].astype(str).to_numpy()
    code = days["code"].to_numpy(np.int64)
    n = len(ids)
    first = np.full(n, np.iinfo(np.int64).max)
    last = np.full(n, -1)
    has_days = days["first"].notna().to_numpy()
    first[code[has_days]] = days["first"].to_numpy()[has_days].astype(np.int64)
    last[code[has_days]] = days["last"].to_numpy()[has_days].astype(np.int64)

    horizon = (end - start).days + 1
    pos = pd.Index(ids).get_indexer(last_mem["customer_id"].to_numpy())
    J = np.full(n, np.inf)
    E = np.full(n, np.inf)
    present = pos >= 0
    jd = np.asarray((pd.DatetimeIndex(last_mem["joined"]) - start) // pd.Timedelta(days=1), dtype=float)
    J[pos[present]] = jd[present]
    ed = pd.DatetimeIndex(last_mem["ended"])
    edn = np.where(pd.isna(ed), np.inf, np.asarray((ed - start) / pd.Timedelta(days=1), dtype=float))
    E[pos[present]] = edn[present]
    is_mem = np.isfinite(J)

    # the controls: never-joined customers with days strictly inside their span
    control = ~is_mem & (last - first >= 2)
    n_control = int(control.sum())
    w_cust = np.ones(n)
    keep = np.ones(n, dtype=bool)
    if max_controls is not None and n_control > max_controls:
        check_number("max_controls", max_controls, low=1000, integer=True, fix="e.g. 100000, or None for all.")
        chosen = np.random.default_rng(seed).choice(np.flatnonzero(control), size=int(max_controls), replace=False)
        keep = is_mem.copy()      # never-joined customers without a span add no cell
        keep[chosen] = True
        w_cust[chosen] = n_control / max_controls
        old_code = code
        new_index = np.cumsum(keep) - 1
        ids, first, last, J, E, is_mem, w_cust = ids[keep], first[keep], last[keep], J[keep], E[keep], \
            is_mem[keep], w_cust[keep]
        days = days[keep[old_code]]
        code = new_index[old_code[keep[old_code]]]
        n = len(ids)
    controls = {"never_joined_with_span": n_control, "kept": int(min(n_control, max_controls or n_control)),
                "weight": float(n_control / max_controls) if max_controls and n_control > max_controls else 1.0}

    months = pd.period_range(start.to_period("M"), end.to_period("M"), freq="M")
    M = len(months)
    ms = np.array([(p.to_timestamp() - start).days for p in months] + [horizon], dtype=float)
    ms[0] = 0.0
    lo = first.astype(float) + 1.0  # interior of the span: (first, last), days first+1 .. last-1
    hi = last.astype(float)
    a_m, b_m = ms[:-1][None, :], ms[1:][None, :]

    def overlap(l1, h1):
        return np.clip(np.minimum(h1, b_m) - np.maximum(l1, a_m), 0.0, None)

    lo_, hi_, J_, E_ = lo[:, None], hi[:, None], J[:, None], E[:, None]
    ex_pre = overlap(lo_, np.minimum(hi_, J_))
    ex_mem = overlap(np.maximum(lo_, J_), np.minimum(hi_, E_))
    ex_post = overlap(np.maximum(lo_, E_), hi_)
    expo = np.stack([ex_pre, ex_mem, ex_post], axis=2)  # (n, M, 3)

    cell = days["month"].notna().to_numpy()
    flat = (code[cell] * M + days["month"].to_numpy()[cell].astype(np.int64)) * 3 \
        + days["state"].to_numpy()[cell].astype(np.int64)
    spend = np.bincount(flat, weights=days["spend"].to_numpy(float)[cell], minlength=n * M * 3).reshape(n, M, 3)
    count = np.bincount(flat, weights=days["purchases"].to_numpy(float)[cell],
                        minlength=n * M * 3).reshape(n, M, 3)

    ci, mi, si = np.nonzero(expo > 0)
    join_month = np.where(is_mem, np.searchsorted(ms, np.where(is_mem, J, 0.0), side="right") - 1, 0)
    return SpanCells(customer=ci, month=mi, state=si, event_month=(mi - join_month[ci]),
                     is_member=is_mem[ci], exposure=expo[ci, mi, si], spend=spend[ci, mi, si],
                     purchases=count[ci, mi, si], customer_ids=ids, months=months,
                     weight=None if controls["weight"] == 1.0 else w_cust[ci], controls=controls)


def joining_effect(cells: SpanCells, outcome: str = "spend") -> dict:
    """Headline causal ratio: spend (or purchase days) while a member / without, with 95% CI."""
    y = cells.spend if outcome == "spend" else cells.purchases
    if not (cells.state == 1).any():
        raise ModelError("no member has purchases inside their active span after joining, so there is "
                         "nothing to compare. Remedy: members need purchases after joining (a longer "
                         "window after the join dates).")
    X = OneHot(np.where(cells.state == 1, 0, np.where(cells.state == 2, 1, -1)), 2)   # member, after
    w = cells.weights()   # sampled controls: weighted PPML is PPML on weighted outcome and exposure
    fit = FixedEffectsPoisson(["member", "after"]).fit(y * w, cells.exposure * w, cells.customer, cells.month, X)
    r, ci, se = fit.ratio("member")
    out = {"ratio": r, "ci": ci, "se_log": se, "n_customers": fit.n_customers_,
           "n_members_informative": int(np.unique(cells.customer[(cells.state == 1) & (y > 0)]).size),
           "n_cells": fit.n_obs_, "member_days": float(cells.exposure[cells.state == 1].sum())}
    ra, cia, _ = fit.ratio("after")
    if np.isfinite(ra):
        out.update(after_ratio=ra, after_ci=cia)
    else:
        out.update(after_ratio=None, after_ci=None)
    return out


def event_codes(cells: SpanCells, pre_months: int = 6, post_months: int = 12) -> tuple[list[int], np.ndarray]:
    """The event study's bins and each cell's column (:class:`OneHot` codes; -1 for the reference).

    One exclusive column per bin: members' months ``-pre_months .. -2`` before the join month,
    member months ``0 .. post_months - 1`` after it, later member months pooled into bin
    ``post_months``; then one column for the months after a membership ended."""
    k, mem = cells.event_month, cells.is_member
    bins = list(range(-pre_months, -1)) + list(range(0, post_months + 1))
    code = np.full(len(k), -1, dtype=np.int64)
    before = mem & (cells.state == 0) & (k >= -pre_months) & (k <= -2)
    code[before] = k[before] + pre_months
    during = (cells.state == 1) & (k >= 0)
    code[during] = (len(bins) - post_months - 1) + np.clip(k[during], 0, post_months)
    code[cells.state == 2] = len(bins)
    return bins, code


def event_study(cells: SpanCells, pre_months: int = 6, post_months: int = 12,
                outcome: str = "spend") -> pd.DataFrame:
    """Ratio by month relative to the join month (pre-join months test the comparison).

    Reference: the month before the join month (``k = -1``, the usual normalisation), together with
    never-members and members' months more than ``pre_months`` before joining; the pre-join bins
    ``-pre_months .. -2`` are the placebo check (near 1 when the comparison is fair). Member months beyond ``post_months`` are pooled into the last bin; months after a membership
    ended have their own term (not shown).
    """
    y = cells.spend if outcome == "spend" else cells.purchases
    k = cells.event_month
    mem = cells.is_member
    bins, code = event_codes(cells, pre_months, post_months)
    w = cells.weights()
    fit = FixedEffectsPoisson([f"k{b}" for b in bins] + ["after"]).fit(
        y * w, cells.exposure * w, cells.customer, cells.month, OneHot(code, len(bins) + 1))
    days = np.bincount(code[code >= 0], weights=cells.exposure[code >= 0], minlength=len(bins) + 1)
    rows = [{"k": -1, "ratio": 1.0, "ci_low": 1.0, "ci_high": 1.0,
             "exposure_days": float(cells.exposure[mem & (cells.state == 0) & (k == -1)].sum())}]
    for j, b in enumerate(bins):
        r, ci, _ = fit.ratio(f"k{b}")
        rows.append({"k": b, "ratio": r, "ci_low": ci[0], "ci_high": ci[1], "exposure_days": float(days[j])})
    return pd.DataFrame(rows).sort_values("k").reset_index(drop=True)


def causal_ratio(transactions: pd.DataFrame, members: pd.DataFrame, panel: Panel,
                 pre_months: int = 6, post_months: int = 12, max_controls: int | None = MAX_CONTROLS) -> dict:
    """Causal effect of joining on spend, its split into frequency and basket, and the event study."""
    check_number("pre_months", pre_months, low=1, integer=True, fix="e.g. 6.")
    check_number("post_months", post_months, low=1, integer=True, fix="e.g. 12.")
    cells = span_cells(transactions, members, panel.start, panel.end, max_controls=max_controls)
    head = joining_effect(cells, "spend")
    freq = joining_effect(cells, "purchases")
    ev = event_study(cells, pre_months=pre_months, post_months=post_months)
    head.update(frequency_ratio=freq["ratio"], frequency_ratio_ci=freq["ci"],
                basket_ratio=head["ratio"] / freq["ratio"], event_study=ev, controls=cells.controls,
                pre_months=int(pre_months), post_months=int(post_months))
    return head


# ----------------------------------------------------------------------------------------------
# 5. the customer half: new customers brought by members' referrals
# ----------------------------------------------------------------------------------------------
def _no_referrals(reason: str) -> dict:
    return {"available": False, "reason": reason, "referred_customers": None, "rate_member": None,
            "rate_member_ci": None, "rate_nonmember": None, "lift_per_point": None, "lift_per_point_ci": None,
            "rate_needed_for_10pct": None, "verdict": "not_testable", "checks": {}, "warnings": []}


def _years_between(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Years from ``lo`` to ``hi`` (datetime64 arrays), 0 where ``hi`` is not after ``lo``."""
    return np.clip((hi - lo) / np.timedelta64(1, "D"), 0.0, None) / DAYS_PER_YEAR


def referral_customers(events: pd.DataFrame | None, transactions: pd.DataFrame, members: pd.DataFrame,
                       panel: Panel, member_share: float, points: float = 1.0, n_boot: int = 300,
                       seed: int = 3, claim: tuple[float, float] = CUSTOMER_CLAIM) -> dict:
    """New customers brought by members' referrals, and what ``+points`` pp of super users implies.

    A referral counts when it is an event of kind ``referral`` inside the window whose ``referred_id``
    is a customer whose first purchase (in the whole transactions table) is on or after the referral
    day: a new customer. Referred ids that never bought are left out with a warning (all of them:
    a DataError, the ids do not match); a referred customer who already bought before is not new; a
    customer referred twice counts once, for the first referral. Members' referrals count while the
    membership lasts (join day inclusive, lapse day exclusive), over the member-years inside the
    window: ``rate_member`` new customers per member-year, with a Bayesian-bootstrap interval over
    members. ``rate_nonmember`` is the same per customer-year outside any membership (first purchase
    to the end of the window), for comparison.

    If ``points`` more percentage points of the customers became super users (members) referring at
    today's members' rate instead of the ordinary customers' rate they referred at before, the
    ordinary customers (non-members, ``1 - member_share`` of the customers) would grow by
    ``points / 100 * (rate_member - rate_nonmember) / (1 - member_share)`` a year (``lift_per_point``,
    its interval from the difference of the two bootstrapped rates); ``rate_needed_for_10pct`` is the
    extra rate (above an ordinary customer's) that the claimed +10% would take. The
    verdict compares the interval with ``claim`` as :func:`verdict` does. Converts who refer less
    than today's members (self-selection again) make this an upper reading.
    """
    check_number("member_share", member_share, low=0, high=1, high_open=True, fix="the members' share of customers.")
    if events is None or len(events) == 0:
        return _no_referrals("no_events")
    if "referred_id" not in events.columns:
        return _no_referrals("no_links")
    ev = events[(events["kind"].astype(str) == "referral") & events["referred_id"].notna()]
    if ev.empty:
        return _no_referrals("no_links")
    ev = pd.DataFrame({"referrer": ev["customer_id"].astype(str).to_numpy(dtype=object),
                       "referred": ev["referred_id"].astype(str).to_numpy(dtype=object),
                       "day": np.asarray(pd.DatetimeIndex(ev["timestamp"]).normalize(), dtype="datetime64[ns]")})
    end1 = panel.end + pd.Timedelta(days=1)
    inside = (ev["day"] >= panel.start) & (ev["day"] < end1)
    checks = {"links": int(len(ev)), "outside_window": int((~inside).sum())}
    ev = ev[inside].sort_values("day", kind="stable")
    first = query(transactions, 'SELECT customer_id, MIN("timestamp") AS first FROM {tx} GROUP BY customer_id')
    first = pd.Series(pd.DatetimeIndex(first["first"]).normalize(), index=first["customer_id"].astype(str))
    bought = ev["referred"].isin(first.index)
    checks["never_bought"] = int((~bought).sum())
    warnings = []
    if len(ev) and not bought.any():
        raise rules.unknown_referred_ids("events", "referred_id", int(len(ev)), sorted(ev["referred"].unique())[:3])
    if checks["never_bought"]:
        warnings.append(str(rules.unknown_referred_ids("events", "referred_id", checks["never_bought"],
                                                       sorted(ev.loc[~bought, "referred"].unique())[:3])))
    ev = ev[bought]
    twice = ev["referred"].duplicated(keep="first")
    checks["referred_twice"] = int(twice.sum())
    ev = ev[~twice]
    new = first.reindex(ev["referred"]).to_numpy() >= ev["day"].to_numpy()
    checks["already_customers"] = int((~new).sum())
    ev = ev[new]

    # exposure: member-years (last membership) and non-member customer-years inside the window
    ids = pd.Index(panel.customer_ids.astype(str))
    n = len(ids)
    last = _last_membership(members)
    pos = ids.get_indexer(last["customer_id"])
    ok = pos >= 0
    last, pos = last[ok], pos[ok]
    start64, end64 = np.datetime64(panel.start, "ns"), np.datetime64(end1, "ns")
    joined_d = np.asarray(last["joined"], dtype="datetime64[ns]")
    ended_d = np.asarray(last["ended"], dtype="datetime64[ns]")
    ended_d = np.where(np.isnat(ended_d), end64, ended_d)
    mem_years = np.zeros(n)
    mem_years[pos] = _years_between(np.maximum(joined_d, start64), np.minimum(ended_d, end64))
    cust_first = first.reindex(ids).to_numpy(dtype="datetime64[ns]")
    cust_first = np.where(np.isnat(cust_first), start64, cust_first)
    all_years = _years_between(np.maximum(cust_first, start64), np.full(n, end64))
    non_years = np.clip(all_years - mem_years, 0.0, None)
    joined = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    ended = joined.copy()
    joined[pos], ended[pos] = joined_d, ended_d
    rpos = ids.get_indexer(ev["referrer"])
    known = rpos >= 0
    checks["referrer_not_customer"] = int((~known).sum())
    ev, rpos = ev[known], rpos[known]
    j, e = joined[rpos], ended[rpos]
    day = ev["day"].to_numpy(dtype="datetime64[ns]")
    during = ~np.isnat(j) & (day >= j) & (day < e)
    c_mem = np.bincount(rpos[during], minlength=n).astype(float)
    c_non = np.bincount(rpos[~during], minlength=n).astype(float)
    is_mem = mem_years > 0
    if not is_mem.any():
        return {**_no_referrals("no_member_years"), "checks": checks, "warnings": warnings}
    cm, em = c_mem[is_mem], mem_years[is_mem]
    is_non = non_years > 0
    cn, en = c_non[is_non], non_years[is_non]
    rate_m = float(cm.sum() / em.sum())
    rate_n = float(cn.sum() / en.sum()) if en.sum() > 0 else None
    rng = np.random.default_rng(seed)
    boot, boot_diff = np.empty(n_boot), np.empty(n_boot)
    step = _chunk(100, max(len(cm), len(cn)))
    for s0 in range(0, n_boot, step):
        b = min(step, n_boot - s0)
        W = _weights(rng, b, len(cm))
        boot[s0:s0 + b] = (W @ cm) / (W @ em)
        # the ordinary customers' own rate, drawn alongside (weights over their customer-years)
        V = _weights(rng, b, len(cn)) if len(cn) else None
        boot_diff[s0:s0 + b] = boot[s0:s0 + b] - ((V @ cn) / (V @ en) if V is not None else 0.0)
    ci = percentile_interval(boot)
    scale = points / 100.0 / (1.0 - member_share)
    # a convert already referred at the ordinary customers' rate: what becoming a super user adds is
    # the difference (as the sales half counts only the spend the membership adds)
    lift_ci = [c * scale for c in percentile_interval(boot_diff)]
    return {"available": True, "reason": None, "referred_customers": int(cm.sum()),
            "referred_by_nonmembers": int(c_non.sum()), "member_years": float(em.sum()),
            "rate_member": rate_m, "rate_member_ci": ci, "rate_nonmember": rate_n,
            "lift_per_point": (rate_m - (rate_n or 0.0)) * scale, "lift_per_point_ci": lift_ci,
            "rate_needed_for_10pct": float(claim[0] / scale), "verdict": verdict(lift_ci, claim[0]),
            "checks": checks, "warnings": warnings}


# ----------------------------------------------------------------------------------------------
# Verdict and implications
# ----------------------------------------------------------------------------------------------
def verdict(ci: list[float], claim_low: float) -> str:
    """``supported`` if the causal interval lies at or above ``claim_low``, ``not_supported`` if it
    lies below, ``inconclusive`` otherwise."""
    lo, hi = ci
    if lo >= claim_low:
        return "supported"
    if hi < claim_low:
        return "not_supported"
    return "inconclusive"


def implied_sales_lift(uplift_ratio: float, member_share: float, naive: float,
                       points: float = 1.0) -> float:
    """Relative sales change when ``points`` percentage points of customers become members.

    Converted customers start at non-member spend and multiply it by ``uplift_ratio``; total
    sales are ``share * naive + (1 - share)`` in units of non-member spend. Returns e.g. 0.004
    for +0.4%.
    """
    base = member_share * naive + (1.0 - member_share)
    return float(points / 100.0 * (uplift_ratio - 1.0) / base)


def ratio_needed_for_lift(lift: float, member_share: float, naive: float, points: float = 1.0) -> float:
    """The per-convert spend multiple that ``+points`` pp of members would need for ``lift``."""
    base = member_share * naive + (1.0 - member_share)
    return float(1.0 + lift * base / (points / 100.0))


def readings(transactions: pd.DataFrame, members: pd.DataFrame, observation_end=None, start=None,
             claim_low: float = 5.0, claim_high: float = 10.0, pre_months: int = 6,
             post_months: int = 12, n_boot: int = 300, seed: int = 0,
             max_controls: int | None = MAX_CONTROLS, events: pd.DataFrame | None = None) -> dict:
    """All four readings, the verdict and the implications as one dict, plus ``event_study`` (a
    DataFrame): the numbers behind :class:`UpliftResult`; with ``events`` whose referrals carry
    ``referred_id``, the customer half of "+1% super users" too (:func:`referral_customers`)."""
    check_number("claim_low", claim_low, low=0, low_open=True, fix="e.g. claim_low=5, claim_high=10.")
    if not claim_high >= claim_low:
        raise ParameterError("claim_high", f"{claim_high} is below claim_low {claim_low}",
                             fix="e.g. claim_low=5, claim_high=10.")
    panel = build_panel(transactions, members, observation_end=observation_end, start=start)
    nv = naive_ratio(panel, n_boot=n_boot, seed=seed)
    sg = segment_ratio(panel, n_boot=n_boot, seed=seed + 1)
    pj = pre_join_ratio(panel, n_boot=n_boot, seed=seed + 2)
    cz = causal_ratio(transactions, members, panel, pre_months=pre_months, post_months=post_months,
                      max_controls=max_controls)
    share = nv["n_members"] / (nv["n_members"] + nv["n_nonmembers"])
    rf = referral_customers(events, transactions, members, panel, share, n_boot=n_boot, seed=seed + 3)
    causal_lift = implied_sales_lift(cz["ratio"], share, nv["ratio"])
    out = {
        "naive_ratio": nv["ratio"], "naive_ratio_ci": nv["ci"],
        "segment_ratio": sg["ratio"], "segment_ratio_ci": sg["ci"],
        "pre_join_ratio": pj["ratio"], "pre_join_ratio_ci": pj["ci"],
        "causal_ratio": cz["ratio"], "causal_ratio_ci": cz["ci"],
        "selection_share": selection_share(nv["ratio"], pj["ratio"]),
        "causal_share": selection_share(nv["ratio"], cz["ratio"]),
        "verdict": verdict(cz["ci"], claim_low),
        "claim_range": [float(claim_low), float(claim_high)],
        "member_share": share,
        "implied_sales_lift_per_point": {
            "causal": implied_sales_lift(cz["ratio"], share, nv["ratio"]),
            "causal_ci": [implied_sales_lift(c, share, nv["ratio"]) for c in cz["ci"]],
            "naive": implied_sales_lift(nv["ratio"], share, nv["ratio"]),
            "claimed": [0.20, 0.25],
            "ratio_needed_for_20pct": ratio_needed_for_lift(0.20, share, nv["ratio"]),
        },
        "implied_sales_lift": causal_lift,
        "referral_links": bool(rf["available"]),
        "referred_customers": rf["referred_customers"],
        "referrals_per_member_year": rf["rate_member"],
        "referrals_per_member_year_ci": rf["rate_member_ci"],
        "referrals_per_nonmember_year": rf["rate_nonmember"],
        "implied_customer_lift_per_point": rf["lift_per_point"],
        "implied_customer_lift_per_point_ci": rf["lift_per_point_ci"],
        "customer_lift_claimed": list(CUSTOMER_CLAIM),
        "referrals_needed_for_10pct": CUSTOMER_CLAIM[0] * (1.0 - share) / 0.01,
        "customer_verdict": rf["verdict"],
        "details": {"naive": nv, "segment": sg, "pre_join": pj,
                    "referrals": {k: rf[k] for k in ("reason", "checks", "warnings", "referred_by_nonmembers",
                                                     "member_years") if k in rf},
                    "causal": {k: v for k, v in cz.items() if k != "event_study"},
                    "window": [str(panel.start.date()), str(panel.end.date())], **panel.info},
    }
    out["event_study"] = cz["event_study"]
    return out


VERDICT_WORDS = {"supported": "supports", "not_supported": "does not support", "inconclusive": "cannot settle"}
READING_LABELS = {"naive": "naive: members vs non-members", "segment": "segment: top 20% vs rest",
                  "pre_join": "selection: members before joining", "causal": "causal: effect of joining"}
_STEM = "04_spend_uplift"
_READING_KEYS = {"naive": "naive_ratio", "segment": "segment_ratio", "pre_join": "pre_join_ratio",
                 "causal": "causal_ratio"}


@dataclass
class UpliftResult(Result):
    """The four readings of the 5-10x claim, the verdict, the implications and the event study."""

    readings: dict                 # see :func:`readings` (without the event study)
    event_study: pd.DataFrame      # k, ratio, ci_low, ci_high, exposure_days
    observation_end: str | None = None

    def __getitem__(self, key):
        return self.readings[key]

    def readings_table(self, lang: str = "en") -> pd.DataFrame:
        """One row per reading: ``reading`` (its name in ``lang``), ``ratio`` and the 95% interval
        ``ci_low``, ``ci_high`` (headers: ``i18n.column_labels``)."""
        from superkit.core import i18n

        r = self.readings
        return pd.DataFrame({"reading": [i18n.text(_STEM, f"reading_{k}", lang) for k in _READING_KEYS],
                             "ratio": [r[v] for v in _READING_KEYS.values()],
                             "ci_low": [r[f"{v}_ci"][0] for v in _READING_KEYS.values()],
                             "ci_high": [r[f"{v}_ci"][1] for v in _READING_KEYS.values()]})

    def headline_text(self, lang: str = "en") -> str:
        from superkit.core import i18n

        r = self.readings
        lo, hi = r["causal_ratio_ci"]
        claim_low, claim_high = r["claim_range"]
        return i18n.text(_STEM, "headline", lang, naive=r["naive_ratio"], naive_low=r["naive_ratio_ci"][0],
                         naive_high=r["naive_ratio_ci"][1], causal=r["causal_ratio"], causal_low=lo, causal_high=hi,
                         verdict=i18n.text(_STEM, f"verdict_words_{r['verdict']}", lang),
                         claim_low=f"{claim_low:g}", claim_high=f"{claim_high:g}")

    def _json(self) -> dict:
        return {**self.readings, "event_study": self.event_study.to_dict(orient="records"),
                "headline": self.headline, "observation_end": self.observation_end}


def run(tables, observation_end=None, claim_low: float = 5.0, claim_high: float = 10.0,
        pre_months: int = 6, post_months: int = 12, n_boot: int = 300, seed: int = 0,
        max_controls: int | None = MAX_CONTROLS) -> UpliftResult:
    """Notebook 04's analysis on :class:`superkit.data.Tables` (transactions and members required;
    events optional: with referral links, the customer half of "+1% super users")."""
    tx = tables.require("transactions", "comparing members with non-members")
    mem = tables.require("members", "comparing members with non-members")
    end = observation_end or None
    out = readings(tx, mem, observation_end=end, claim_low=claim_low, claim_high=claim_high,
                   pre_months=pre_months, post_months=post_months, n_boot=n_boot, seed=seed,
                   max_controls=max_controls, events=getattr(tables, "events", None))
    ev = out.pop("event_study")
    return UpliftResult(readings=out, event_study=ev, observation_end=observation_end)
