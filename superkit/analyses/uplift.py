"""Do members really spend 5-10x more? Four readings of the claim, each with an interval.

1. **Naive ratio** (:func:`naive_ratio`): members' vs non-members' mean spend per customer per year
   over the same calendar window (what companies publish: JD PLUS 9-10x, Prime ~2x).
2. **Segment ratio** (:func:`segment_ratio`): top 20% of customers by spend vs the rest (the
   "super users spend 5-10x ordinary users" reading; no membership needed).
3. **Selection** (:func:`pre_join_ratio`): how much more members already spent *before* joining
   than non-members in the same calendar months, and the share of the naive ratio it explains,
   ``selection_share = log(pre_join_ratio) / log(naive_ratio)``.
4. **Causal effect of joining** (:func:`causal_ratio`, in :mod:`superkit.causal`): two-way
   fixed-effects Poisson (PPML) on each customer's *active span* (first to last purchase day):
   customer fixed effects remove selection on any fixed trait (heavy buyers joining), calendar-month
   fixed effects taken from not-yet-joined and never-joined customers remove seasonality and
   growth (a staggered difference-in-differences on the ratio scale, Wooldridge 2023), and the
   span restriction removes the survivorship bias of "only active customers can join". Reported
   as a ratio (spend with membership / without) with customer-clustered 95% intervals, plus an
   event study by month relative to joining. Validated against simulated worlds with strong
   self-selection (``tests/test_causal.py``) and against statsmodels' Poisson GLM with explicit
   dummies on small data.

**Library choice.** The econometrics is a Poisson model with two absorbed fixed effects; see
:mod:`superkit.causal` for why the fixed effects are absorbed by our own code rather than expanded
into statsmodels dummies (which the tests use as the reference). Bootstrap intervals (naive,
segment, pre-join) are Bayesian-bootstrap (Exp(1) customer weights).

Data flow: transactions are aggregated once to a dense customer x month array (20k x 24 floats is
4 MB); nothing larger is ever built.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from superkit.errors import DataError, ModelError

Z95 = 1.959963984540054


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


def _ts(value, what: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        ts = pd.NaT
    if pd.isna(ts):
        raise DataError(f"{what} '{value}' is not a date", fix="give an ISO date such as 2025-12-31.")
    return ts


def build_panel(transactions: pd.DataFrame, members: pd.DataFrame, observation_end=None,
                start=None) -> Panel:
    """Validated transactions + members (contract columns) -> :class:`Panel`.

    The calendar window runs from ``start`` (default: first day of the month of the first
    transaction) to ``observation_end`` (default: the last transaction's day). Only whole months are
    used for the monthly panel; a last month cut short by ``observation_end`` is dropped.
    """
    for col in ("customer_id", "timestamp", "amount"):
        if col not in transactions.columns:
            raise DataError(f"transactions lack column '{col}'", source="transactions", column=col,
                            fix="read them with superkit.contract.read_transactions.")
    for col in ("customer_id", "joined_at"):
        if col not in members.columns:
            raise DataError(f"members lack column '{col}'", source="members", column=col,
                            fix="read them with superkit.contract.read_members.")
    if len(transactions) == 0:
        raise DataError("no transactions", source="transactions", fix="give the purchase history.")
    if len(members) == 0:
        raise DataError("no members: the members table is empty", source="members",
                        fix="the uplift analysis compares members with non-members; give the "
                            "members table (customer_id, joined_at, ended_at).")
    tx_ids = transactions["customer_id"].astype(str).to_numpy()
    ts = pd.DatetimeIndex(transactions["timestamp"])
    first_tx = ts.min().normalize()
    start_ts = _ts(start, "start").normalize() if start is not None else first_tx.to_period("M").to_timestamp()
    end_ts = _ts(observation_end, "observation_end").normalize() if observation_end is not None \
        else ts.max().normalize()
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
    known = pd.Index(pd.unique(tx_ids))
    absent = ~pd.Index(mem_ids).isin(known)
    if absent.any():
        raise DataError("members who never appear in the transactions", source="members",
                        column="customer_id", rows=int(absent.sum()), examples=mem_ids[absent][:3].tolist(),
                        fix="check that both tables use the same customer ids (mapping, leading zeros).")
    in_window = (ts >= start_ts) & (ts < end_ts + pd.Timedelta(days=1))
    if not in_window.any():
        raise DataError("no transactions inside the analysis window", source="transactions",
                        fix="check start and observation_end against the transaction dates.")

    ids, codes_all = np.unique(tx_ids, return_inverse=True)
    n = len(ids)
    first_month = start_ts.to_period("M")
    last_full = end_ts.to_period("M") if (end_ts + pd.Timedelta(days=1)).day == 1 \
        else end_ts.to_period("M") - 1
    M = int((last_full - first_month).n) + 1 if last_full >= first_month else 0
    if M < 4:
        raise DataError(f"only {max(M, 0)} whole months between {start_ts.date()} and {end_ts.date()}",
                        fix="the uplift analysis needs at least 4 whole months (a year or more is better).")
    months = pd.period_range(first_month, periods=M, freq="M")
    tx_month = (ts.year - first_month.year) * 12 + (ts.month - first_month.month)
    tx_month = np.asarray(tx_month)
    amount = transactions["amount"].to_numpy(dtype=float)
    # entry: month of the first purchase ever (before the window counts as early entry)
    entry = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(entry, codes_all, tx_month)
    sel = in_window & (tx_month < M)
    spend = np.bincount(codes_all[sel] * M + tx_month[sel], weights=amount[sel],
                        minlength=n * M).reshape(n, M)
    window_spend = np.bincount(codes_all[in_window], weights=amount[in_window], minlength=n)
    # spend made while a member (join day inclusive, end day exclusive)
    mem_join = pd.Series(pd.NaT, index=ids, dtype="datetime64[ns]")
    mem_end = pd.Series(pd.NaT, index=ids, dtype="datetime64[ns]")
    mem_join[mem_ids] = np.asarray(joined, dtype="datetime64[ns]")
    mem_end[mem_ids] = np.asarray(ended, dtype="datetime64[ns]")
    jt = mem_join.to_numpy()[codes_all]
    et = mem_end.to_numpy()[codes_all]
    tsv = np.asarray(ts, dtype="datetime64[ns]")
    during = sel & ~pd.isna(jt) & (tsv >= jt) & (pd.isna(et) | (tsv < et))
    member_spend = np.bincount(codes_all[during] * M + tx_month[during], weights=amount[during],
                               minlength=n * M).reshape(n, M)

    pos = pd.Index(ids).get_indexer(mem_ids)
    join = np.full(n, -1, dtype=np.int64)
    jm = (joined.year - first_month.year) * 12 + (joined.month - first_month.month)
    join[pos] = np.asarray(jm)
    is_member = np.zeros(n, dtype=bool)
    is_member[pos] = True
    years = ((end_ts - start_ts).days + 1) / 365.25
    return Panel(ids, months, spend, entry, join, is_member, member_spend, window_spend,
                 start=start_ts, end=end_ts, years=years,
                 info={"n_customers": n, "n_members": int(is_member.sum()), "n_months": M})


# ----------------------------------------------------------------------------------------------
# Bootstrap helpers
# ----------------------------------------------------------------------------------------------
def _weights(rng: np.random.Generator, B: int, n: int) -> np.ndarray:
    """Bayesian-bootstrap weights (Exp(1) per customer), shape (B, n)."""
    return rng.exponential(1.0, size=(B, n))


def _pct(x: np.ndarray, level: float = 0.95) -> list[float]:
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return [float("nan"), float("nan")]
    lo, hi = np.quantile(x, [(1 - level) / 2, 1 - (1 - level) / 2])
    return [float(lo), float(hi)]


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
    for s in range(0, n_boot, 100):
        W = _weights(rng, min(100, n_boot - s), len(y))
        boot[s:s + len(W)] = ((W[:, m] @ y[m]) / W[:, m].sum(1)) / ((W[:, ~m] @ y[~m]) / W[:, ~m].sum(1))
    return {"ratio": float(mean_m / mean_n), "ci": _pct(boot), "member_spend_per_year": float(mean_m),
            "nonmember_spend_per_year": float(mean_n), "n_members": int(m.sum()),
            "n_nonmembers": int((~m).sum())}


# ----------------------------------------------------------------------------------------------
# 2. segment ratio
# ----------------------------------------------------------------------------------------------
def segment_ratio(panel: Panel, top_share: float = 0.2, n_boot: int = 500, seed: int = 1) -> dict:
    """Top ``top_share`` of customers by window spend vs the rest: ratio of mean spend."""
    if not 0 < top_share < 1:
        raise DataError(f"top_share must be between 0 and 1, got {top_share}", fix="e.g. 0.2.")
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
    ratio = ys[:k].mean() / rest
    rng = np.random.default_rng(seed)
    boot = np.empty(n_boot)
    for s in range(0, n_boot, 50):
        W = _weights(rng, min(50, n_boot - s), n)
        cw = np.cumsum(W, axis=1)
        top = cw <= top_share * cw[:, -1:]
        top[:, 0] = True
        wt = np.where(top, W, 0.0)
        wr = W - wt
        boot[s:s + len(W)] = ((wt @ ys) / wt.sum(1)) / ((wr @ ys) / wr.sum(1))
    return {"ratio": float(ratio), "ci": _pct(boot), "top_share": top_share,
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
    for s in range(0, n_boot, 50):
        W = _weights(rng, min(50, n_boot - s), n)
        bench = (W @ ya) / np.maximum(W @ at_risk.astype(float), 1e-12)   # (b, M)
        num = W @ (Y * pre_f).sum(1)
        den = (W * (pre_f @ bench.T).T).sum(1)
        boot.append(num / den)
    boot = np.concatenate(boot)
    return {"ratio": ratio, "ci": _pct(boot), "n_members_with_history": n_pre,
            "lookback_months": lookback_months}


def selection_share(naive: float, pre_join: float) -> float | None:
    """Share of the naive ratio (on the log scale) that members' pre-join spend already explains."""
    if naive is None or pre_join is None or not (naive > 0 and pre_join > 0) or abs(math.log(naive)) < 1e-9:
        return None
    return float(math.log(pre_join) / math.log(naive))


# ----------------------------------------------------------------------------------------------
# 4. causal effect of joining: stacked, matched, Poisson-imputation DiD
# ----------------------------------------------------------------------------------------------
def causal_ratio(transactions: pd.DataFrame, members: pd.DataFrame, panel: Panel,
                 pre_months: int = 6, post_months: int = 12) -> dict:
    """Causal effect of joining on spend, with event study (see :mod:`superkit.causal`)."""
    from superkit import causal

    if pre_months < 1 or post_months < 1:
        raise DataError("pre_months and post_months must be at least 1", fix="e.g. 6 and 12.")
    cells = causal.span_cells(transactions, members, panel.start, panel.end)
    head = causal.joining_effect(cells, "spend")
    freq = causal.joining_effect(cells, "purchases")
    ev = causal.event_study(cells, pre_months=pre_months, post_months=post_months)
    head.update(frequency_ratio=freq["ratio"], frequency_ratio_ci=freq["ci"],
                basket_ratio=head["ratio"] / freq["ratio"], event_study=ev,
                pre_months=int(pre_months), post_months=int(post_months))
    return head


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


def analyse(transactions: pd.DataFrame, members: pd.DataFrame, observation_end=None, start=None,
            claim_low: float = 5.0, claim_high: float = 10.0, pre_months: int = 6,
            post_months: int = 12, n_boot: int = 500, seed: int = 0) -> dict:
    """All four readings, the verdict and the implications, as one dict (the notebook's JSON)."""
    if not claim_low > 0 or not claim_high >= claim_low:
        raise DataError(f"claim range {claim_low}..{claim_high} is not a range of positive ratios",
                        fix="e.g. claim_low=5, claim_high=10.")
    panel = build_panel(transactions, members, observation_end=observation_end, start=start)
    nv = naive_ratio(panel, n_boot=n_boot, seed=seed)
    sg = segment_ratio(panel, n_boot=n_boot, seed=seed + 1)
    pj = pre_join_ratio(panel, n_boot=n_boot, seed=seed + 2)
    cz = causal_ratio(transactions, members, panel, pre_months=pre_months, post_months=post_months)
    share = nv["n_members"] / (nv["n_members"] + nv["n_nonmembers"])
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
        "details": {"naive": nv, "segment": sg, "pre_join": pj,
                    "causal": {k: v for k, v in cz.items() if k != "event_study"},
                    "window": [str(panel.start.date()), str(panel.end.date())], **panel.info},
    }
    out["event_study"] = cz["event_study"]
    return out
