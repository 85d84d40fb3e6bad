"""Who are the (potential) super users, and how concentrated is revenue?

Method (METHOD_DIGEST.md §1-3):

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

* **Selection gates** (article 003): has paid (``gate_paid``), has paid again
  (``gate_paid_again``), explicit intention = an active paid member at the observation end
  (``gate_member``).

* **Potential super-user list**: customers who pass the first two gates and meet at least
  ``min_criteria`` of the available criteria, one of them (by default) frequency with recency. Members on the list are super users already
  (explicit intention); non-members on it are the ones to invite.

* **Concentration**: Lorenz curve, revenue share of the top 20 % / 10 % of customers, Gini, and a
  plain reading of the "20 % of users bring 80 %" (二八定律) claim.

All functions take tables already validated by :mod:`superkit.contract` (our column names) and
never modify their inputs.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from superkit.errors import DataError

CRITERIA = ("frequency_recency", "feedback", "sharing", "cross_purchase")
CRITERIA_LABELS = {
    "frequency_recency": "repurchase frequency with recency (复购频次)",
    "feedback": "gives feedback (提意见)",
    "sharing": "shares and refers (推荐分享)",
    "cross_purchase": "cross-category / cross-brand purchase (系统购买)",
}
FEEDBACK_KINDS = ("feedback", "review", "complaint")
SHARING_KINDS = ("share", "referral")


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
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
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


def share_multiple(share: float, fraction: float) -> float:
    """How many times the rest the top ``fraction`` spend per head, if they hold ``share``.

    E.g. top 10 % with 50 % of revenue spend 0.5/0.1 / (0.5/0.9) = 9x the other 90 %.
    """
    if share >= 1:
        return float("inf")
    return float((share / fraction) / ((1 - share) / (1 - fraction)))


@dataclass
class Concentration:
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
def _end(transactions: pd.DataFrame, observation_end) -> pd.Timestamp:
    if observation_end is None or observation_end == "":
        return pd.Timestamp(transactions["timestamp"].max()).normalize()
    return pd.Timestamp(observation_end)


def _upto(df: pd.DataFrame, col: str, end: pd.Timestamp) -> pd.DataFrame:
    limit = end + pd.Timedelta(days=1) if end == end.normalize() else end
    return df[df[col] < limit]


def _require(df: pd.DataFrame, cols, table: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise DataError(f"columns {missing} missing", source=table, column=missing[0],
                        fix=f"read the {table} with superkit.contract.read_{table} first.")


def criteria_available(transactions: pd.DataFrame, events: pd.DataFrame | None = None) -> dict:
    """Which criteria the data supports: ``{criterion: (available, why)}``."""
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
    cols = [c for c in ("category", "brand")
            if c in transactions.columns and transactions[c].dropna().nunique() >= 2]
    out["cross_purchase"] = ((True, f"transaction column{'s' if len(cols) > 1 else ''} {' and '.join(cols)}")
                             if cols else (False, "no category or brand column with two or more values"))
    return out


def _active_members(members: pd.DataFrame | None, end: pd.Timestamp) -> pd.DataFrame:
    if members is None or len(members) == 0:
        return pd.DataFrame(columns=["customer_id", "tier"]).set_index("customer_id")
    m = members[members["joined_at"] <= end + pd.Timedelta(days=1)]
    if "ended_at" in m.columns:
        m = m[m["ended_at"].isna() | (m["ended_at"] > end)]
    cols = ["customer_id"] + (["tier"] if "tier" in m.columns else [])
    return m[cols].drop_duplicates("customer_id").set_index("customer_id")


def score_customers(transactions: pd.DataFrame, members: pd.DataFrame | None = None,
                    events: pd.DataFrame | None = None, observation_end=None, *,
                    min_repeat_purchases: int = 3, recency_days: int = 90,
                    min_categories: int = 2, min_brands: int = 2) -> pd.DataFrame:
    """One row per customer who bought before ``observation_end``: the four criteria and the gates.

    Columns: ``revenue`` (net spend), ``purchase_days`` (days with positive net spend),
    ``repeat_purchases`` (= purchase_days - 1), ``last_purchase``, ``days_since_last``,
    ``n_feedback``, ``n_shares``, ``n_categories``, ``n_brands``, ``meets_<criterion>`` for the
    four criteria (False when the criterion's data is missing), ``criteria_met``,
    ``gate_paid``, ``gate_paid_again``, ``gate_member``, ``tier``.
    """
    _require(transactions, ["customer_id", "timestamp", "amount"], "transactions")
    if min_repeat_purchases < 1 or recency_days < 0:
        raise ValueError("min_repeat_purchases must be >= 1 and recency_days >= 0")
    end = _end(transactions, observation_end)
    tx = _upto(transactions, "timestamp", end).copy()
    if tx.empty:
        raise DataError(f"no transactions on or before the observation end {end.date()}",
                        source="transactions", fix="check observation_end against the dates in the data.")
    tx["day"] = tx["timestamp"].dt.normalize()
    daily = tx.groupby(["customer_id", "day"], sort=False)["amount"].sum()
    buy_days = daily[daily > 0].reset_index()

    out = pd.DataFrame(index=pd.Index(sorted(tx["customer_id"].unique()), name="customer_id"))
    out["revenue"] = tx.groupby("customer_id")["amount"].sum()
    out["purchase_days"] = buy_days.groupby("customer_id").size().reindex(out.index, fill_value=0).astype(int)
    out["repeat_purchases"] = (out["purchase_days"] - 1).clip(lower=0)
    out["last_purchase"] = buy_days.groupby("customer_id")["day"].max().reindex(out.index)
    out["days_since_last"] = (end.normalize() - out["last_purchase"]).dt.days.astype("Float64")

    avail = criteria_available(tx, events)
    ev = None
    if events is not None and len(events):
        _require(events, ["customer_id", "timestamp", "kind"], "events")
        ev = _upto(events, "timestamp", end)
    for col, kinds in (("n_feedback", FEEDBACK_KINDS), ("n_shares", SHARING_KINDS)):
        if ev is None:
            out[col] = 0
        else:
            counts = ev[ev["kind"].isin(kinds)].groupby("customer_id").size()
            out[col] = counts.reindex(out.index, fill_value=0).astype(int)
    for col, src in (("n_categories", "category"), ("n_brands", "brand")):
        if src in tx.columns:
            bought = tx[tx["amount"] > 0]
            out[col] = bought.groupby("customer_id")[src].nunique().reindex(out.index, fill_value=0).astype(int)
        else:
            out[col] = 0

    recent = out["days_since_last"].notna() & (out["days_since_last"] <= recency_days)
    out["meets_frequency_recency"] = (out["repeat_purchases"] >= min_repeat_purchases) & recent.astype(bool)
    out["meets_feedback"] = avail["feedback"][0] & (out["n_feedback"] >= 1)
    out["meets_sharing"] = avail["sharing"][0] & (out["n_shares"] >= 1)
    cross = pd.Series(False, index=out.index)
    if "category" in tx.columns:
        cross |= out["n_categories"] >= min_categories
    if "brand" in tx.columns:
        cross |= out["n_brands"] >= min_brands
    out["meets_cross_purchase"] = avail["cross_purchase"][0] & cross
    for c in CRITERIA:
        out[f"meets_{c}"] = out[f"meets_{c}"].astype(bool)
    out["criteria_met"] = out[[f"meets_{c}" for c in CRITERIA]].sum(axis=1).astype(int)

    active = _active_members(members, end)
    out["gate_paid"] = out["purchase_days"] >= 1
    out["gate_paid_again"] = out["purchase_days"] >= 2
    out["gate_member"] = out.index.isin(active.index)
    out["tier"] = active["tier"].reindex(out.index) if "tier" in active.columns else None
    out.attrs["observation_end"] = str(end.date())
    out.attrs["criteria_available"] = {k: v[0] for k, v in avail.items()}
    out.attrs["criteria_why"] = {k: v[1] for k, v in avail.items()}
    out.attrs["rules"] = {"min_repeat_purchases": min_repeat_purchases, "recency_days": recency_days,
                          "min_categories": min_categories, "min_brands": min_brands}
    return out


def _reason(row: pd.Series, rules: dict) -> str:
    parts = []
    if row["meets_frequency_recency"]:
        parts.append(f"bought on {row['purchase_days']} days, last {int(row['days_since_last'])} days ago")
    if row["meets_feedback"]:
        parts.append(f"gave feedback {row['n_feedback']}x")
    if row["meets_sharing"]:
        parts.append(f"shared or referred {row['n_shares']}x")
    if row["meets_cross_purchase"]:
        bits = []
        if row["n_categories"] >= rules.get("min_categories", 2):
            bits.append(f"{row['n_categories']} categories")
        if row["n_brands"] >= rules.get("min_brands", 2):
            bits.append(f"{row['n_brands']} brands")
        parts.append("bought " + " and ".join(bits) if bits else "cross purchase")
    reason = "; ".join(parts)
    if row["gate_member"]:
        tier = row.get("tier")
        tier = f" {tier}" if isinstance(tier, str) and tier else ""
        reason += f" -- already a paid member{tier}: keep and upgrade"
    else:
        reason += " -- not a member yet: invite to join"
    return reason


def select_super_users(scores: pd.DataFrame, min_criteria: int = 2,
                       require_frequency_recency: bool = True) -> pd.DataFrame:
    """The potential super-user list: passed *paid* and *paid again*, and met ``min_criteria``.

    With ``require_frequency_recency`` (the default) one of the criteria met must be repurchase
    frequency with recency: a lapsed customer who once left many reviews is not a prospect.
    ``min_criteria`` is capped at the number of criteria the data supports (the cap is recorded
    in ``.attrs["min_criteria_used"]``). Sorted by criteria met, then revenue; adds a ``reason``
    column in plain words and ``status`` (``member`` / ``prospect``).
    """
    available = scores.attrs.get("criteria_available", {c: True for c in CRITERIA})
    n_avail = sum(bool(v) for v in available.values())
    k = max(1, min(int(min_criteria), n_avail))
    keep = scores["gate_paid"] & scores["gate_paid_again"] & (scores["criteria_met"] >= k)
    if require_frequency_recency:
        keep &= scores["meets_frequency_recency"]
    sel = scores[keep].copy()
    sel["status"] = np.where(sel["gate_member"], "member", "prospect")
    rules = scores.attrs.get("rules", {})
    sel["reason"] = [_reason(row, rules) for _, row in sel.iterrows()] if len(sel) else []
    sel = sel.sort_values(["criteria_met", "revenue"], ascending=[False, False], kind="mergesort")
    sel.attrs = dict(scores.attrs)
    sel.attrs["min_criteria_used"] = k
    sel.attrs["require_frequency_recency"] = bool(require_frequency_recency)
    return sel


def gate_funnel(scores: pd.DataFrame) -> pd.Series:
    """Customers passing each selection gate in turn: bought, bought again, bought again + member."""
    return pd.Series({
        "bought (has paid)": int(scores["gate_paid"].sum()),
        "bought again (paid again)": int((scores["gate_paid"] & scores["gate_paid_again"]).sum()),
        "bought again and a paid member (explicit intention)":
            int((scores["gate_paid"] & scores["gate_paid_again"] & scores["gate_member"]).sum()),
    })


# --------------------------------------------------------------------------------------------
# Inputs for the notebook
# --------------------------------------------------------------------------------------------
def load_inputs(transactions_path: str = "", members_path: str = "", events_path: str = "",
                column_mapping: dict | None = None, dataset: str = "coffee_club") -> dict:
    """Read the three tables of notebook 01, validated, with where each came from.

    An empty path means the bundled ``dataset`` -- but only while ``transactions_path`` is empty
    too, so a client's transactions are never mixed with the bundled members or events. ``"none"``
    means the table does not exist (its criteria are then switched off). Returns
    ``{"transactions", "members", "events"}`` (DataFrame or None) and ``"sources"`` (table -> text).
    """
    from superkit import contract, datasets

    column_mapping = dict(column_mapping or {})
    unknown = set(column_mapping) - {"transactions", "members", "events", "cohorts"}
    if unknown:
        raise DataError(f"column_mapping has unknown tables {sorted(unknown)}", source="column_mapping",
                        fix="key it by table: {'transactions': {'customer_id': 'member_no'}}.")
    bundled = not transactions_path
    readers = {"transactions": contract.read_transactions, "members": contract.read_members,
               "events": contract.read_events}
    given = {"transactions": transactions_path, "members": members_path, "events": events_path}
    out: dict = {"sources": {}}
    for table, p in given.items():
        # the one rule for path parameters ("none" = no table; "" = bundled only without client data)
        resolved = datasets.resolve_path(p, table, client_data=not bundled, dataset=dataset,
                                         required=table == "transactions",
                                         needed_for="finding super users")
        if resolved is None:
            out[table], out["sources"][table] = None, "not given"
            continue
        label = f"bundled {dataset} ({table})" if not str(p or "").strip() else str(resolved)
        out[table] = readers[table](resolved, column_mapping.get(table))
        out["sources"][table] = label
    return out
