"""Who are the (potential) super users, and how concentrated is revenue? (notebook 01)

Method (playbook chapter "Find them"):

* **Four criteria** for spotting potential super users (潜在超级用户), each a transparent count with
  a yes/no rule, used only when the data for it exists:

  1. ``frequency_recency`` -- repurchase frequency (复购频次) read together with recency: at least
     ``min_repeat_purchases`` repeat purchase days *and* a purchase in the last ``recency_days``
     days. (A and B both bought 5 times; A last bought a year ago, B a month ago: only B counts.)
  2. ``feedback`` -- gives feedback or suggestions (提意见), critical ones included: events of kind
     ``feedback``, ``review`` or ``complaint``.
  3. ``sharing`` -- recommends and shares (推荐分享): events of kind ``share`` or ``referral``.
  4. ``cross_purchase`` -- systematic / cross purchase (系统购买): bought at least
     ``min_categories`` categories or ``min_brands`` brands.

* **Selection gates**: has paid (``gate_paid``), has paid again (``gate_paid_again``), explicit
  intention = an active paid member at the observation end (``gate_member``).

* **Potential super-user list**: customers who pass the first two gates and meet at least
  ``min_criteria`` of the available criteria, one of them (by default) frequency with recency.
  Members on the list are super users already (explicit intention); non-members on it are the ones
  to invite.

* **Concentration**: Lorenz curve, revenue share of the top 20% / 10% of customers, Gini, and a
  plain reading of the "20% of users bring 80%" (二八定律) claim.

All functions take tables already validated by :mod:`superkit.data` (our column names) and never
modify their inputs.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from superkit.core.checks import check_number, parse_date, require_columns
from superkit.core.errors import DataError, ParameterError
from superkit.analyses.result import Result
from superkit.data.store import EXACT, query, time_span

__all__ = [
    "CRITERIA",
    "CRITERIA_LABELS",
    "Concentration",
    "CriteriaScores",
    "FEEDBACK_KINDS",
    "LIST_COLUMNS",
    "Rules",
    "SHARING_KINDS",
    "SuperUserList",
    "SuperUsersResult",
    "concentration",
    "criteria_available",
    "gate_funnel",
    "gini",
    "lorenz_curve",
    "reading_80_20",
    "run",
    "score_criteria",
    "select_super_users",
    "share_multiple",
    "top_share",
]

CRITERIA = ("frequency_recency", "feedback", "sharing", "cross_purchase")
CRITERIA_LABELS = {
    "frequency_recency": "repurchase frequency with recency (复购频次)",
    "feedback": "gives feedback (提意见)",
    "sharing": "shares and refers (推荐分享)",
    "cross_purchase": "cross-category / cross-brand purchase (系统购买)",
}
FEEDBACK_KINDS = ("feedback", "review", "complaint")
SHARING_KINDS = ("share", "referral")
LIST_COLUMNS = ["status", "tier", "reason", "criteria_met", "revenue", "purchase_days", "days_since_last",
                "n_feedback", "n_shares", "n_categories", "n_brands"] + [f"meets_{c}" for c in CRITERIA]


# --------------------------------------------------------------------------------------------
# Concentration
# --------------------------------------------------------------------------------------------
def _as_values(values) -> np.ndarray:
    x = np.asarray(pd.Series(values, dtype="float64").to_numpy(), dtype="float64")
    if x.size == 0:
        raise DataError("no customers to measure concentration on", source="revenue per customer",
                        fix="check that the transactions table has rows before the observation end.")
    if np.isnan(x).any():
        raise DataError("missing revenue values", source="revenue per customer",
                        rows=int(np.isnan(x).sum()), fix="fill or drop customers without revenue.")
    if (x < 0).any():
        raise DataError("negative revenue per customer", source="revenue per customer",
                        rows=int((x < 0).sum()),
                        fix="clip net refunds at zero first (concentration() does this for you).")
    if x.sum() <= 0:
        raise DataError("total revenue is zero", source="revenue per customer",
                        fix="check the amount column (refunds only?).")
    return x


def lorenz_curve(values) -> pd.DataFrame:
    """Lorenz curve: cumulative share of customers (poorest first) vs cumulative share of revenue.

    Returns ``n + 1`` points from (0, 0) to (1, 1), columns ``customer_share``, ``revenue_share``.
    """
    x = np.sort(_as_values(values))
    n = x.size
    cum = np.concatenate([[0.0], np.cumsum(x)]) / x.sum()
    return pd.DataFrame({"customer_share": np.arange(n + 1) / n, "revenue_share": cum})


def top_share(values, fraction: float) -> float:
    """Share of revenue brought by the top ``fraction`` of customers (0 < fraction <= 1).

    Read off the Lorenz curve: ``1 - L(1 - fraction)``, interpolating linearly when
    ``fraction * n`` is not a whole number of customers (a fractional customer at the boundary).
    """
    check_number("fraction", fraction, low=0, low_open=True, high=1, fix="e.g. 0.2 for the top 20%.")
    lc = lorenz_curve(values)
    return float(1.0 - np.interp(1.0 - fraction, lc["customer_share"], lc["revenue_share"]))


def gini(values) -> float:
    """Gini coefficient of revenue across customers (0 = all equal, -> 1 = one customer has all).

    ``G = sum_i (2i - n - 1) x_(i) / (n * sum x)`` with ``x`` sorted ascending (i = 1..n): twice
    the area between the diagonal and the Lorenz curve, without a small-sample correction.
    """
    x = np.sort(_as_values(values))
    n = x.size
    i = np.arange(1, n + 1)
    return float(np.sum((2 * i - n - 1) * x) / (n * x.sum()))


def share_multiple(share, fraction):
    """How many times the rest the top ``fraction`` of customers spend per head, if they hold
    ``share`` of the spend: ``(share / fraction) / ((1 - share) / (1 - fraction))``.

    E.g. the top 10% with 50% of revenue spend 0.5/0.1 / (0.5/0.9) = 9x the other 90%. This is the
    top-vs-rest spend ratio wherever the kit reports one (the 80/20 reading, the 5-10x segment
    reading). Works on scalars (returns a float; ``inf`` when ``share`` is 1) and on arrays.
    """
    s, f = np.asarray(share, dtype=float), np.asarray(fraction, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(s >= 1, np.inf, (s / f) / ((1 - s) / (1 - f)))
    return float(out) if out.ndim == 0 else out


@dataclass
class Concentration:
    """Revenue concentration: top shares, Gini, the Lorenz curve and how many customers make 80%."""

    n_customers: int
    total_revenue: float
    top20_share: float
    top10_share: float
    gini: float
    lorenz: pd.DataFrame = field(repr=False)
    n_clipped: int = 0          # customers whose refunds exceeded purchases (counted as 0)
    share_of_top_customers_for_80pct: float = float("nan")

    def reading(self) -> str:
        """A plain-English reading of the 80/20 claim on this data."""
        return reading_80_20(self.top20_share, self.top10_share, self.share_of_top_customers_for_80pct)


def concentration(revenue: pd.Series) -> Concentration:
    """Concentration of revenue per customer (net refunds clipped at 0)."""
    r = pd.Series(revenue, dtype="float64")
    n_clipped = int((r < 0).sum())
    x = r.clip(lower=0)
    lc = lorenz_curve(x)
    # Smallest share of (top) customers that brings 80 % of revenue.
    top_curve = 1.0 - lc["revenue_share"].to_numpy()[::-1]       # revenue of the top k/n
    cust = lc["customer_share"].to_numpy()
    need = float(np.interp(0.8, top_curve, cust))
    return Concentration(
        n_customers=int(x.size), total_revenue=float(x.sum()),
        top20_share=top_share(x, 0.2), top10_share=top_share(x, 0.1), gini=gini(x),
        lorenz=lc, n_clipped=n_clipped, share_of_top_customers_for_80pct=need,
    )


def reading_80_20(top20: float, top10: float, need80: float | None = None) -> str:
    """Plain reading of '20 % of users bring 80 %' next to Yoon's superconsumer figures."""
    if top20 >= 0.75:
        verdict = "holds roughly"
    elif top20 >= 0.6:
        verdict = "is an exaggeration here, though revenue is clearly concentrated"
    else:
        verdict = "does not hold here: revenue is spread fairly widely"
    text = (f"The top 20% of customers bring {top20:.0%} of revenue, so the 80/20 claim {verdict}. "
            f"The top 10% bring {top10:.0%} (spending {share_multiple(top10, 0.1):.1f}x the rest per "
            f"head); Yoon's 'superconsumer' studies report 30-70% for the top 10% of a category's buyers.")
    if need80 is not None and np.isfinite(need80):
        text += f" It takes the top {need80:.0%} of customers to reach 80% of revenue."
    return text


# --------------------------------------------------------------------------------------------
# Criteria and gates
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rules:
    """The readable rules of the criteria and the list (the notebook's parameters)."""

    min_repeat_purchases: int = 3   # criterion 1: repeat purchase days needed (the SMS threshold: 3)
    recency_days: int = 60          # criterion 1: ...and the last purchase at most this many days ago
    min_categories: int = 2         # criterion 4: categories bought that count as cross purchase
    min_brands: int = 2             # criterion 4: or brands bought
    min_criteria: int = 3           # criteria a customer must meet to be listed
    require_frequency_recency: bool = True  # one of them must be criterion 1

    def __post_init__(self):
        check_number("min_repeat_purchases", self.min_repeat_purchases, low=1, integer=True)
        check_number("recency_days", self.recency_days, low=0)
        check_number("min_categories", self.min_categories, low=1, integer=True)
        check_number("min_brands", self.min_brands, low=1, integer=True)
        check_number("min_criteria", self.min_criteria, low=1, high=len(CRITERIA), integer=True)


@dataclass
class CriteriaScores:
    """One row per customer who bought (``table``), with what the data supports and the rules."""

    table: pd.DataFrame
    observation_end: str
    available: dict          # criterion -> bool
    why: dict                # criterion -> where its data comes from, or why it is missing
    rules: Rules


@dataclass
class SuperUserList:
    """The potential super users (``table``, sorted) and the rule actually applied."""

    table: pd.DataFrame
    min_criteria_used: int
    require_frequency_recency: bool


def criteria_available(transactions, events: pd.DataFrame | None = None) -> dict:
    """Which criteria the data supports: ``{criterion: (available, why)}``. ``transactions``: the
    table, or ``{column: number of distinct values}`` of its category and brand columns."""
    out = {"frequency_recency": (True, "from the transactions (dates of purchase)")}
    if events is None or len(events) == 0:
        out["feedback"] = (False, "no events table")
        out["sharing"] = (False, "no events table")
    else:
        kinds = set(events["kind"].astype(str))
        fb = kinds & set(FEEDBACK_KINDS)
        sh = kinds & set(SHARING_KINDS)
        out["feedback"] = ((True, f"events of kind {sorted(fb)}") if fb
                           else (False, "the events table has no feedback, review or complaint rows"))
        out["sharing"] = ((True, f"events of kind {sorted(sh)}") if sh
                          else (False, "the events table has no share or referral rows"))
    if isinstance(transactions, dict):
        distinct = transactions
    else:
        distinct = {c: transactions[c].dropna().nunique() for c in ("category", "brand") if c in transactions.columns}
    cols = [c for c in ("category", "brand") if distinct.get(c, 0) >= 2]
    out["cross_purchase"] = ((True, f"transaction column{'s' if len(cols) > 1 else ''} {' and '.join(cols)}")
                             if cols else (False, "no category or brand column with two or more values"))
    return out


def _upto(df: pd.DataFrame, col: str, end: pd.Timestamp) -> pd.DataFrame:
    limit = end + pd.Timedelta(days=1) if end == end.normalize() else end
    return df[df[col] < limit]


def _active_members(members: pd.DataFrame | None, end: pd.Timestamp) -> pd.DataFrame:
    if members is None or len(members) == 0:
        return pd.DataFrame(columns=["customer_id", "tier"]).set_index("customer_id")
    m = members[members["joined_at"] <= end + pd.Timedelta(days=1)]
    if "ended_at" in m.columns:
        m = m[m["ended_at"].isna() | (m["ended_at"] > end)]
    cols = ["customer_id"] + (["tier"] if "tier" in m.columns else [])
    return m[cols].drop_duplicates("customer_id").set_index("customer_id")


def _last_day(transactions) -> pd.Timestamp:
    return time_span(transactions)[1].normalize()


def _customer_activity(transactions, end: pd.Timestamp) -> tuple[pd.DataFrame, dict]:
    """One SQL pass over the transactions up to ``end``: per customer ``revenue`` (net, exact),
    ``purchase_days`` (days with positive net spend), ``last_purchase`` (the last of them),
    ``n_categories`` and ``n_brands`` (distinct among rows with a positive amount); and the number
    of distinct categories and brands in the data (``{column: n}``, for :func:`criteria_available`)."""
    cols = set(transactions.columns)
    limit = end + pd.Timedelta(days=1) if end == end.normalize() else end
    distinct = {c: f'COUNT(DISTINCT "{c}") FILTER (WHERE amount > 0)' if c in cols else "0"
                for c in ("category", "brand")}
    sql = f"""
        WITH t AS (SELECT * FROM {{tx}} WHERE "timestamp" < TIMESTAMP '{limit}'),
        days AS (SELECT customer_id, CAST("timestamp" AS DATE) AS day, SUM({EXACT}) AS net
                 FROM t GROUP BY customer_id, CAST("timestamp" AS DATE)),
        bought AS (SELECT customer_id, COUNT(*) AS purchase_days, MAX(day) AS last_purchase
                   FROM days WHERE net > 0 GROUP BY customer_id)
        SELECT c.customer_id, c.revenue, COALESCE(b.purchase_days, 0) AS purchase_days,
               CAST(b.last_purchase AS TIMESTAMP) AS last_purchase, c.n_categories, c.n_brands
        FROM (SELECT customer_id, SUM({EXACT}) AS revenue, {distinct["category"]} AS n_categories,
                     {distinct["brand"]} AS n_brands FROM t GROUP BY customer_id) c
        LEFT JOIN bought b USING (customer_id)"""
    out = query(transactions, sql)
    out = out.set_index("customer_id").sort_index()
    out.index = out.index.astype(str)
    out.index.name = "customer_id"
    out["purchase_days"] = out["purchase_days"].astype(int)
    out["n_categories"] = out["n_categories"].astype(int)
    out["n_brands"] = out["n_brands"].astype(int)
    present = [c for c in ("category", "brand") if c in cols]
    counts = {}
    if present:
        row = query(transactions, "SELECT " + ", ".join(f'COUNT(DISTINCT "{c}") AS "{c}"' for c in present)
                    + f""" FROM {{tx}} WHERE "timestamp" < TIMESTAMP '{limit}'""").iloc[0]
        counts = {c: int(row[c]) for c in present}
    return out, counts


def score_criteria(transactions: pd.DataFrame, members: pd.DataFrame | None = None,
                   events: pd.DataFrame | None = None, observation_end=None,
                   rules: Rules = Rules()) -> CriteriaScores:
    """One row per customer who bought before ``observation_end``: the four criteria and the gates.

    Columns of ``.table``: ``revenue`` (net spend), ``purchase_days`` (days with positive net
    spend), ``repeat_purchases`` (= purchase_days - 1), ``last_purchase``, ``days_since_last``,
    ``n_feedback``, ``n_shares``, ``n_categories``, ``n_brands``, ``meets_<criterion>`` for the
    four criteria (False when the criterion's data is missing), ``criteria_met``, ``gate_paid``,
    ``gate_paid_again``, ``gate_member``, ``tier``.
    """
    require_columns(transactions, ["customer_id", "timestamp", "amount"], "transactions")
    end = pd.Timestamp(parse_date(observation_end, "observation_end",
                                  default=lambda: _last_day(transactions)))
    out, values = _customer_activity(transactions, end)
    if out.empty:
        raise DataError(f"no transactions on or before the observation end {end.date()}",
                        source="transactions", fix="check observation_end against the dates in the data.")
    out["repeat_purchases"] = (out["purchase_days"] - 1).clip(lower=0)
    out["days_since_last"] = (end.normalize() - out["last_purchase"]).dt.days.astype("Float64")

    avail = criteria_available(values, events)
    ev = None
    if events is not None and len(events):
        require_columns(events, ["customer_id", "timestamp", "kind"], "events")
        ev = _upto(events, "timestamp", end)
    for col, kinds in (("n_feedback", FEEDBACK_KINDS), ("n_shares", SHARING_KINDS)):
        if ev is None:
            out[col] = 0
        else:
            counts = ev[ev["kind"].isin(kinds)].groupby("customer_id").size()
            out[col] = counts.reindex(out.index, fill_value=0).astype(int)
    out = out[["revenue", "purchase_days", "repeat_purchases", "last_purchase", "days_since_last",
               "n_feedback", "n_shares", "n_categories", "n_brands"]]
    tx = values   # which of category / brand exist, for the cross-purchase criterion

    recent = out["days_since_last"].notna() & (out["days_since_last"] <= rules.recency_days)
    out["meets_frequency_recency"] = (out["repeat_purchases"] >= rules.min_repeat_purchases) & recent.astype(bool)
    out["meets_feedback"] = avail["feedback"][0] & (out["n_feedback"] >= 1)
    out["meets_sharing"] = avail["sharing"][0] & (out["n_shares"] >= 1)
    cross = pd.Series(False, index=out.index)
    if "category" in tx:
        cross |= out["n_categories"] >= rules.min_categories
    if "brand" in tx:
        cross |= out["n_brands"] >= rules.min_brands
    out["meets_cross_purchase"] = avail["cross_purchase"][0] & cross
    for c in CRITERIA:
        out[f"meets_{c}"] = out[f"meets_{c}"].astype(bool)
    out["criteria_met"] = out[[f"meets_{c}" for c in CRITERIA]].sum(axis=1).astype(int)

    active = _active_members(members, end)
    out["gate_paid"] = out["purchase_days"] >= 1
    out["gate_paid_again"] = out["purchase_days"] >= 2
    out["gate_member"] = out.index.isin(active.index)
    out["tier"] = active["tier"].reindex(out.index) if "tier" in active.columns else None
    return CriteriaScores(table=out, observation_end=str(end.date()),
                          available={k: v[0] for k, v in avail.items()},
                          why={k: v[1] for k, v in avail.items()}, rules=rules)


def _evidence(row: dict, rules: Rules) -> str:
    """What the customer did that meets the criteria, in plain words (the reason without the status)."""
    parts = []
    if row["meets_frequency_recency"]:
        parts.append(f"bought on {row['purchase_days']} days, last {int(row['days_since_last'])} days ago")
    if row["meets_feedback"]:
        parts.append(f"gave feedback {row['n_feedback']}x")
    if row["meets_sharing"]:
        parts.append(f"shared or referred {row['n_shares']}x")
    if row["meets_cross_purchase"]:
        bits = []
        if row["n_categories"] >= rules.min_categories:
            bits.append(f"{row['n_categories']} categories")
        if row["n_brands"] >= rules.min_brands:
            bits.append(f"{row['n_brands']} brands")
        parts.append("bought " + " and ".join(bits) if bits else "cross purchase")
    return "; ".join(parts)


def _reason(row: dict, rules: Rules) -> str:
    reason = row["evidence"]
    if row["gate_member"]:
        tier = row.get("tier")
        tier = f" {tier}" if isinstance(tier, str) and tier else ""
        reason += f" -- already a paid member{tier}: keep and upgrade"
    else:
        reason += " -- not a member yet: invite to join"
    return reason


def select_super_users(scores: CriteriaScores, min_criteria: int | None = None,
                       require_frequency_recency: bool | None = None) -> SuperUserList:
    """The potential super-user list: passed *paid* and *paid again*, and met ``min_criteria``.

    ``min_criteria`` and ``require_frequency_recency`` default to the scores' rules. With
    ``require_frequency_recency`` one of the criteria met must be repurchase frequency with
    recency: a lapsed customer who once left many reviews is not a prospect. ``min_criteria`` is
    capped at the number of criteria the data supports (the cap is ``min_criteria_used``). Sorted by
    criteria met, then revenue; adds ``evidence`` (what the customer did, in plain words), ``reason``
    (the evidence and what to do: keep and upgrade, or invite to join) and ``status`` (``member`` /
    ``prospect``).
    """
    rules = scores.rules
    min_criteria = rules.min_criteria if min_criteria is None else int(min_criteria)
    require = rules.require_frequency_recency if require_frequency_recency is None else bool(require_frequency_recency)
    if min_criteria < 1:
        raise ParameterError("min_criteria", f"must be at least 1, got {min_criteria}")
    n_avail = sum(bool(v) for v in scores.available.values())
    k = max(1, min(min_criteria, n_avail))
    t = scores.table
    keep = t["gate_paid"] & t["gate_paid_again"] & (t["criteria_met"] >= k)
    if require:
        keep &= t["meets_frequency_recency"]
    sel = t[keep].copy()
    sel["status"] = np.where(sel["gate_member"], "member", "prospect")
    rows = sel.to_dict("records")   # plain dicts: a pandas row per customer costs ~100 us
    sel["evidence"] = [_evidence(row, rules) for row in rows]
    for row, ev in zip(rows, sel["evidence"]):
        row["evidence"] = ev
    sel["reason"] = [_reason(row, rules) for row in rows]
    sel = sel.sort_values(["criteria_met", "revenue"], ascending=[False, False], kind="mergesort")
    return SuperUserList(table=sel, min_criteria_used=k, require_frequency_recency=require)


def gate_funnel(scores: CriteriaScores | pd.DataFrame) -> pd.Series:
    """Customers passing each selection gate in turn: bought, bought again, bought again + member."""
    t = scores.table if isinstance(scores, CriteriaScores) else scores
    return pd.Series({
        "bought (has paid)": int(t["gate_paid"].sum()),
        "bought again (paid again)": int((t["gate_paid"] & t["gate_paid_again"]).sum()),
        "bought again and a paid member (explicit intention)":
            int((t["gate_paid"] & t["gate_paid_again"] & t["gate_member"]).sum()),
    })


# --------------------------------------------------------------------------------------------
# The analysis of notebook 01
# --------------------------------------------------------------------------------------------
@dataclass
class SuperUsersResult(Result):
    """Scores, the list, concentration and the gate funnel of one run of notebook 01."""

    scores: CriteriaScores
    listed: SuperUserList
    concentration: Concentration
    funnel: pd.Series

    @property
    def n_customers(self) -> int:
        return len(self.scores.table)

    @property
    def n_members_listed(self) -> int:
        return int((self.listed.table["status"] == "member").sum())

    @property
    def n_prospects(self) -> int:
        return int((self.listed.table["status"] == "prospect").sum())

    @property
    def listed_revenue_share(self) -> float:
        return float(self.listed.table["revenue"].sum() / self.scores.table["revenue"].clip(lower=0).sum())

    def criteria_table(self) -> pd.DataFrame:
        """Per criterion: whether the data supports it, from where, and how many customers meet it."""
        s = self.scores
        return pd.DataFrame({
            "criterion": [CRITERIA_LABELS[c] for c in CRITERIA],
            "data available": ["yes" if s.available[c] else "no" for c in CRITERIA],
            "from": [s.why[c] for c in CRITERIA],
            "customers meeting it": [int(s.table[f"meets_{c}"].sum()) for c in CRITERIA],
        }, index=pd.Index(CRITERIA, name="key"))

    def criteria_by_status(self) -> pd.DataFrame:
        """Per criterion (rows, keyed by :data:`CRITERIA`): customers meeting it who are members on
        the list, prospects on the list, or not on the list."""
        t = self.scores.table
        on_list = t.index.isin(self.listed.table.index)
        return pd.DataFrame({
            "members on the list": [int((t[f"meets_{c}"] & on_list & t["gate_member"]).sum()) for c in CRITERIA],
            "prospects on the list": [int((t[f"meets_{c}"] & on_list & ~t["gate_member"]).sum()) for c in CRITERIA],
            "not on the list": [int((t[f"meets_{c}"] & ~on_list).sum()) for c in CRITERIA],
        }, index=pd.Index(CRITERIA, name="criterion"))

    def list_table(self) -> pd.DataFrame:
        """The list as a store manager gets it (:data:`LIST_COLUMNS`, one row per customer)."""
        return self.listed.table[LIST_COLUMNS]

    @property
    def headline(self) -> str:
        c, n = self.concentration, len(self.listed.table)
        return (f"The top 20% of customers bring {c.top20_share:.0%} of revenue (Gini {c.gini:.2f}). "
                f"{n:,} potential super users ({n / self.n_customers:.0%} of customers) bring "
                f"{self.listed_revenue_share:.0%}; {self.n_prospects:,} of them are not yet paid members.")

    def _json(self, list_file: str | None = None) -> dict:
        c, s, n = self.concentration, self.scores, len(self.listed.table)
        return {
            "n_customers": c.n_customers,
            "total_revenue": c.total_revenue,
            "top20_revenue_share": c.top20_share,
            "top10_revenue_share": c.top10_share,
            "top10_spend_multiple": share_multiple(c.top10_share, 0.1),
            "customers_for_80pct_revenue": c.share_of_top_customers_for_80pct,
            "gini": c.gini,
            "n_super_users": n,
            "super_user_customer_share": n / self.n_customers,
            "super_user_revenue_share": self.listed_revenue_share,
            "n_super_users_members": self.n_members_listed,
            "n_prospects": self.n_prospects,
            "criteria_available": [k for k in CRITERIA if s.available[k]],
            "criteria_counts": {k: int(s.table[f"meets_{k}"].sum()) for k in CRITERIA},
            "gates": {"paid": int(self.funnel.iloc[0]), "paid_again": int(self.funnel.iloc[1]),
                      "member": int(self.funnel.iloc[2])},
            "rules": {"min_repeat_purchases": s.rules.min_repeat_purchases,
                      "recency_days": s.rules.recency_days, "min_categories": s.rules.min_categories,
                      "min_brands": s.rules.min_brands, "min_criteria": self.listed.min_criteria_used,
                      "require_frequency_recency": self.listed.require_frequency_recency},
            "observation_end": s.observation_end,
            "super_user_list": list_file,
            "reading_80_20": c.reading(),
            "headline": self.headline,
        }


def run(tables, observation_end=None, min_repeat_purchases: int = 3, recency_days: int = 60,
        min_categories: int = 2, min_brands: int = 2, min_criteria: int = 3) -> SuperUsersResult:
    """Notebook 01's analysis on :class:`superkit.data.Tables` (transactions required; members and
    events switch their criteria and gate off when missing)."""
    rules = Rules(min_repeat_purchases=min_repeat_purchases, recency_days=recency_days,
                  min_categories=min_categories, min_brands=min_brands, min_criteria=min_criteria)
    tx = tables.require("transactions", "finding super users")
    scores = score_criteria(tx, tables.members, tables.events, observation_end, rules)
    return SuperUsersResult(scores=scores, listed=select_super_users(scores),
                            concentration=concentration(scores.table["revenue"]),
                            funnel=gate_funnel(scores))

