"""Who are the (potential) super users, and how concentrated are profit and revenue? (notebook 01)

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

* **Concentration**: Lorenz curve, share of the top 20% / 10% of customers, Gini, and a plain
  reading of the "20% of users bring 80% of profit" (二八定律) claim. The claim is about **profit**:
  with gross margins (``margins``: one rate for all, ``{category: rate}``, or a file of them; see
  :func:`resolve_margins`) profit per customer is the sum over their net purchases of amount x the
  margin rate of its category, and its concentration is measured next to revenue's. Without
  margins only revenue can be measured, and the reading says so.

All functions take tables already validated by :mod:`superkit.data` (our column names) and never
modify their inputs.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from superkit.core import i18n
from superkit.core.checks import check_number, parse_date, require_columns
from superkit.core.errors import DataError, ParameterError
from superkit.analyses.result import Result
from superkit.data.store import EXACT, query, time_span
from superkit.data.tables import NO_TABLE

_STEM = "01_super_users"   # the catalogue file of this notebook (superkit/core/labels)

__all__ = [
    "CRITERIA",
    "CRITERIA_LABELS",
    "CRITERIA_STATUS",
    "Concentration",
    "CriteriaScores",
    "FEEDBACK_KINDS",
    "GATES",
    "LIST_COLUMNS",
    "MARGINS_FILE",
    "NO_MARGINS",
    "Rules",
    "SHARING_KINDS",
    "SuperUserList",
    "SuperUsersResult",
    "category_word",
    "concentration",
    "criteria_available",
    "customer_profit",
    "gate_funnel",
    "gini",
    "lorenz_curve",
    "read_margins",
    "reading_80_20",
    "resolve_margins",
    "run",
    "score_criteria",
    "select_super_users",
    "share_multiple",
    "top_share",
]

CRITERIA = ("frequency_recency", "feedback", "sharing", "cross_purchase")
# "repurchase frequency with recency (复购频次)" ...: the catalogue's English labels (crit_<criterion>)
CRITERIA_LABELS = {c: i18n.text(_STEM, f"crit_{c}", "en") for c in CRITERIA}
FEEDBACK_KINDS = ("feedback", "review", "complaint")
SHARING_KINDS = ("share", "referral")
LIST_COLUMNS = ["status", "tier", "reason", "criteria_met", "revenue", "purchase_days", "days_since_last",
                "n_feedback", "n_shares", "n_categories", "n_brands"] + [f"meets_{c}" for c in CRITERIA]


# --------------------------------------------------------------------------------------------
# Concentration
# --------------------------------------------------------------------------------------------
def _as_values(values, what: str = "revenue") -> np.ndarray:
    x = np.asarray(pd.Series(values, dtype="float64").to_numpy(), dtype="float64")
    source = f"{what} per customer"
    if x.size == 0:
        raise DataError("no customers to measure concentration on", source=source,
                        fix="check that the transactions table has rows before the observation end.")
    if np.isnan(x).any():
        raise DataError(f"missing {what} values", source=source,
                        rows=int(np.isnan(x).sum()), fix=f"fill or drop customers without {what}.")
    if (x < 0).any():
        raise DataError(f"negative {what} per customer", source=source,
                        rows=int((x < 0).sum()),
                        fix="clip net refunds at zero first (concentration() does this for you).")
    if x.sum() <= 0:
        raise DataError(f"total {what} is zero", source=source,
                        fix="check the amount column (refunds only?)" + (
                            " and the margins (all zero?)." if what == "profit" else "."))
    return x


def lorenz_curve(values, what: str = "revenue") -> pd.DataFrame:
    """Lorenz curve: cumulative share of customers (smallest first) vs cumulative share of the value
    (revenue or profit).

    Returns ``n + 1`` points from (0, 0) to (1, 1), columns ``customer_share``, ``revenue_share``
    (the share of the value, whichever it is: the name is kept for the callers).
    """
    x = np.sort(_as_values(values, what))
    n = x.size
    cum = np.concatenate([[0.0], np.cumsum(x)]) / x.sum()
    return pd.DataFrame({"customer_share": np.arange(n + 1) / n, "revenue_share": cum})


def top_share(values, fraction: float) -> float:
    """Share of the value (revenue, profit) brought by the top ``fraction`` of customers (0 < fraction <= 1).

    Read off the Lorenz curve: ``1 - L(1 - fraction)``, interpolating linearly when
    ``fraction * n`` is not a whole number of customers (a fractional customer at the boundary).
    """
    check_number("fraction", fraction, low=0, low_open=True, high=1, fix="e.g. 0.2 for the top 20%.")
    lc = lorenz_curve(values)
    return float(1.0 - np.interp(1.0 - fraction, lc["customer_share"], lc["revenue_share"]))


def gini(values) -> float:
    """Gini coefficient across customers (0 = all equal, -> 1 = one customer has all).

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
    """Concentration of revenue (or of profit, ``what``): top shares, Gini, the Lorenz curve and how
    many customers make 80%."""

    n_customers: int
    total_revenue: float        # the total of the value measured (revenue, or profit when what="profit")
    top20_share: float
    top10_share: float
    gini: float
    lorenz: pd.DataFrame = field(repr=False)
    n_clipped: int = 0          # customers whose refunds exceeded purchases (counted as 0)
    share_of_top_customers_for_80pct: float = float("nan")
    what: str = "revenue"       # "revenue" or "profit"

    def reading(self, lang: str = "en") -> str:
        """A plain reading of the 80/20 claim on this value alone (see :func:`reading_80_20`)."""
        return reading_80_20(self.top20_share, self.top10_share, self.share_of_top_customers_for_80pct,
                             what=self.what, lang=lang)


def concentration(revenue: pd.Series, what: str = "revenue") -> Concentration:
    """Concentration of a value per customer, revenue by default (``what="profit"`` for gross
    profit); net refunds clipped at 0."""
    if what not in ("revenue", "profit"):
        raise ParameterError("what", f"must be 'revenue' or 'profit', got {what!r}")
    r = pd.Series(revenue, dtype="float64")
    n_clipped = int((r < 0).sum())
    x = r.clip(lower=0)
    lc = lorenz_curve(x, what)
    # Smallest share of (top) customers that brings 80 % of the value.
    top_curve = 1.0 - lc["revenue_share"].to_numpy()[::-1]       # value of the top k/n
    cust = lc["customer_share"].to_numpy()
    need = float(np.interp(0.8, top_curve, cust))
    return Concentration(
        n_customers=int(x.size), total_revenue=float(x.sum()),
        top20_share=top_share(x, 0.2), top10_share=top_share(x, 0.1), gini=gini(x),
        lorenz=lc, n_clipped=n_clipped, share_of_top_customers_for_80pct=need, what=what,
    )


def _verdict(top20: float) -> str:
    return "holds" if top20 >= 0.75 else ("exaggeration" if top20 >= 0.6 else "fails")


def reading_80_20(top20: float, top10: float, need80: float | None = None, what: str = "revenue",
                  lang: str = "en") -> str:
    """Plain reading of '20 % of users bring 80 %' on ``what`` ("revenue" or "profit") next to
    Yoon's superconsumer figures, in ``lang``, from the catalogue."""
    word = i18n.text(_STEM, f"word_{what}", lang)
    out = i18n.text(_STEM, "reading_main", lang, top20=top20, what=word,
                    verdict=i18n.text(_STEM, f"verdict_{_verdict(top20)}", lang, what=word))
    out += i18n.text(_STEM, "reading_top10", lang, top10=top10, multiple=share_multiple(top10, 0.1))
    if need80 is not None and np.isfinite(need80):
        out += i18n.text(_STEM, "reading_need80", lang, need80=need80, what=word)
    return out


# --------------------------------------------------------------------------------------------
# Margins and profit
# --------------------------------------------------------------------------------------------
NO_MARGINS = NO_TABLE        # "none" / "-": no margins, as for any <table>_path
MARGINS_FILE = "margins"        # the bundled table name: datasets/<data set>/margins.csv


def _check_rate(name: str, category, rate) -> float:
    what = "the margin rate" if category is None else f"the margin rate of '{category}'"
    try:
        x = float(rate)
    except (TypeError, ValueError):
        raise ParameterError(name, f"{what} is '{rate}', not a number",
                             fix="give a gross-margin rate between 0 and 1, e.g. 0.6 for 60%.") from None
    if isinstance(rate, bool) or not np.isfinite(x) or not 0 <= x <= 1:
        hint = f" (write {x / 100:g} for {x:g}%)" if np.isfinite(x) and 1 < x <= 100 else ""
        raise ParameterError(name, f"{what} must be between 0 and 1, got {rate}",
                             fix=f"give the gross margin as a share of the price{hint}.")
    return x


def read_margins(path) -> dict:
    """``{category: rate}`` from a file: a CSV with columns ``category`` and ``margin`` (a rate in
    [0, 1]; a row ``*`` gives one rate for every category), or a YAML mapping ``category: rate``."""
    import io
    from pathlib import Path

    from superkit.data.contract import read_yaml
    from superkit.data.reading import read_text

    p = Path(str(path)).expanduser()
    if not p.is_file():
        raise DataError("the margins file does not exist", source=str(path),
                        fix="give the path of a CSV with columns category, margin (e.g. coffee,0.68), "
                            "'none' for no margins, or the margin parameter.")
    if p.suffix.lower() in (".yaml", ".yml"):
        doc = read_yaml(p)
        if not isinstance(doc, dict) or not doc:
            raise DataError("the YAML file is not a mapping of category: margin rate", source=str(path),
                            fix="write one line per category, e.g. 'coffee: 0.68'.")
        return {str(k).strip(): v for k, v in doc.items()}
    text, _ = read_text(p)
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"not a readable CSV ({exc})", source=str(path),
                        fix="save it as a CSV with a header line: category,margin") from None
    df.columns = [str(c).strip().lower() for c in df.columns]
    missing = [c for c in ("category", "margin") if c not in df.columns]
    if missing:
        raise DataError(f"no column {' or '.join(missing)} (the file has {list(df.columns)})", source=str(path),
                        fix="name the columns category and margin (a rate between 0 and 1).")
    cats = df["category"].str.strip()
    twice = sorted(set(cats[cats.duplicated()]))
    if twice:
        raise DataError("categories given twice", source=str(path), column="category", rows=len(twice),
                        examples=twice, fix="keep one row per category.")
    return dict(zip(cats, df["margin"].str.strip()))


def resolve_margins(margins_path="", margin=None, bundled: str | None = None, name: str = "margin"):
    """The gross margins the analysis uses: ``None`` (no margins: profit is not measured), one rate
    for all categories (a float), or ``{category: rate}``.

    ``margin`` (a number or a mapping) wins when given; else ``margins_path`` by the kit's path rules:
    a file (:func:`read_margins`); ``"none"`` no margins; ``""`` the bundled data set's margins, but
    only when the transactions are that bundled data set (``bundled`` names it; a client's data are
    never given the sample's margins). Rates must lie in [0, 1]; a ParameterError names the fix.
    """
    from superkit.data import datasets

    path = "" if margins_path is None else str(margins_path).strip()
    if margin is not None and not (isinstance(margin, str) and margin.strip() == ""):
        if path and path.lower() not in NO_MARGINS:
            raise ParameterError(name, "margins are given twice (margin and margins_path)",
                                 fix="give one of them: margin for a rate or a mapping, margins_path for a file.")
        if isinstance(margin, str) and margin.strip().lower() in NO_MARGINS:
            return None
        if isinstance(margin, dict):
            if not margin:
                raise ParameterError(name, "the mapping of margins is empty",
                                     fix="give {category: rate}, e.g. {'coffee': 0.68, 'tea': 0.7}, or one rate.")
            return {str(k).strip(): _check_rate(name, k, v) for k, v in margin.items()}
        return _check_rate(name, None, margin)
    if path.lower() in NO_MARGINS:
        return None
    if not path:
        if bundled is None or not datasets.has_table(bundled, MARGINS_FILE):
            return None
        path = str(datasets.path(bundled, MARGINS_FILE))
    return {k: _check_rate("margins_path", k, v) for k, v in read_margins(path).items()}


def _sql_text(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def customer_profit(transactions, margins, observation_end) -> pd.Series:
    """Gross profit per customer up to ``observation_end``: the sum over their net purchases
    (refunds negative) of amount x the margin rate of the row's category. ``margins`` is one rate
    (profit = revenue x rate) or ``{category: rate}``; a category of the data without a rate, or rows
    without a category, are a ParameterError naming them (never a silent zero)."""
    end = pd.Timestamp(observation_end)
    limit = end + pd.Timedelta(days=1) if end == end.normalize() else end
    where = f"""FROM {{tx}} WHERE "timestamp" < TIMESTAMP '{limit}'"""
    if isinstance(margins, dict):
        if "category" not in transactions.columns:
            raise ParameterError("margin", "margins are given per category, but the transactions have no "
                                 "category column", fix="give one rate for all (e.g. margin=0.6), or map the "
                                 "category column (column_mapping).")
        cats = query(transactions, f'SELECT "category" AS c, COUNT(*) AS n {where} GROUP BY "category"')
        rate = {k: v for k, v in margins.items() if k != "*"}
        if cats["c"].isna().any():
            n = int(cats.loc[cats["c"].isna(), "n"].sum())
            if "*" not in margins:
                raise ParameterError("margin", f"{n:,} transaction rows have no category, so their margin is unknown",
                                     fix="fill the category column, or add a rate '*' for every other category.")
        present = sorted(str(c) for c in cats["c"].dropna())
        unknown = [c for c in present if c not in rate]
        if unknown and "*" not in margins:
            raise ParameterError("margin", f"no margin rate for the categor{'y' if len(unknown) == 1 else 'ies'} "
                                 f"{', '.join(repr(c) for c in unknown)} of the transactions",
                                 fix=f"add {'it' if len(unknown) == 1 else 'them'} to the margins (given: "
                                     f"{sorted(rate) or 'none'}), or a rate '*' for every other category.")
        default = margins.get("*")
        cases = " ".join(f"WHEN {_sql_text(c)} THEN CAST({rate[c]!r} AS DECIMAL(12, 9))" for c in present if c in rate)
        other = "NULL" if default is None else f"CAST({float(default)!r} AS DECIMAL(12, 9))"
        factor = f'CASE "category" {cases} ELSE {other} END' if cases else other
    else:
        factor = f"CAST({float(margins)!r} AS DECIMAL(12, 9))"
    out = query(transactions, f"SELECT customer_id, SUM({EXACT} * {factor}) AS profit {where} GROUP BY customer_id")
    s = out.set_index("customer_id")["profit"].astype("float64")
    s.index = s.index.astype(str)
    s.index.name = "customer_id"
    return s.sort_index()


# --------------------------------------------------------------------------------------------
# Criteria and gates
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rules:
    """The readable rules of the criteria and the list (the notebook's parameters)."""

    # criterion 1: repeat purchase days needed. The method's criterion has no number; 3 is the kit's
    # default, borrowed from the method's example reach rule (bulk SMS / e-mail to customers with 3+ repurchases)
    min_repeat_purchases: int = 3
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
    why: dict                # criterion -> where its data comes from, or why it is missing (English)
    rules: Rules
    sources: dict = field(default_factory=dict)   # criterion -> (catalogue why, fields), for other languages


@dataclass
class SuperUserList:
    """The potential super users (``table``, sorted) and the rule actually applied."""

    table: pd.DataFrame
    min_criteria_used: int
    require_frequency_recency: bool


def _criteria_sources(transactions, events: pd.DataFrame | None = None) -> dict:
    """``{criterion: (available, why, fields)}``: ``why`` names a catalogue text ``why_<why>``
    filled with ``fields`` (where the criterion's data comes from, or why it is missing)."""
    out = {"frequency_recency": (True, "transactions", {})}
    if events is None or len(events) == 0:
        out["feedback"] = (False, "no_events", {})
        out["sharing"] = (False, "no_events", {})
    else:
        kinds = set(events["kind"].astype(str))
        fb = sorted(kinds & set(FEEDBACK_KINDS))
        sh = sorted(kinds & set(SHARING_KINDS))
        out["feedback"] = (True, "event_kinds", {"kinds": fb}) if fb else (False, "no_feedback_rows", {})
        out["sharing"] = (True, "event_kinds", {"kinds": sh}) if sh else (False, "no_share_rows", {})
    if isinstance(transactions, dict):
        distinct = transactions
    else:
        distinct = {c: transactions[c].dropna().nunique() for c in ("category", "brand") if c in transactions.columns}
    cols = [c for c in ("category", "brand") if distinct.get(c, 0) >= 2]
    out["cross_purchase"] = (True, "columns", {"columns": cols}) if cols else (False, "no_columns", {})
    return out


def category_word(category, lang: str = "en") -> str:
    """A category as a reader of ``lang`` says it: the catalogue's ``word_<category>`` when it has
    one (the bundled data's coffee, tea, bakery, merch), else the data's own value."""
    key = f"word_{category}"
    return i18n.text(_STEM, key, lang) if i18n.has_text(_STEM, key) else str(category)


def _words(items, lang: str = "en") -> str:
    """Kit words (event kinds, column names) joined in ``lang``, each by the catalogue's ``word_<item>``."""
    shown = [i18n.text(_STEM, f"word_{x}", lang) if i18n.has_text(_STEM, f"word_{x}") else str(x) for x in items]
    return i18n.join(shown, lang)


def _why_text(why: str, fields: dict, lang: str = "en") -> str:
    """The catalogue's words for where a criterion's data comes from (``why_<why>``), in ``lang``."""
    return i18n.text(_STEM, f"why_{why}", lang, **{k: _words(v, lang) for k, v in fields.items()})


def criteria_available(transactions, events: pd.DataFrame | None = None) -> dict:
    """Which criteria the data supports: ``{criterion: (available, why)}``, ``why`` in English. ``transactions``: the
    table, or ``{column: number of distinct values}`` of its category and brand columns."""
    return {c: (ok, _why_text(why, fields)) for c, (ok, why, fields) in _criteria_sources(transactions, events).items()}


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

    found = _criteria_sources(values, events)
    avail = {c: (ok, _why_text(why, fields)) for c, (ok, why, fields) in found.items()}
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
                          why={k: v[1] for k, v in avail.items()}, rules=rules,
                          sources={k: (v[1], v[2]) for k, v in found.items()})


def _evidence(row: dict, rules: Rules, lang: str = "en") -> str:
    """What the customer did that meets the criteria, in plain words (the reason without the status)."""
    t = lambda key, **kw: i18n.text(_STEM, key, lang, **kw)  # noqa: E731
    parts = []
    if row["meets_frequency_recency"]:
        parts.append(t("ev_frequency", days=int(row["purchase_days"]), since=int(row["days_since_last"])))
    if row["meets_feedback"]:
        parts.append(t("ev_feedback", n=int(row["n_feedback"])))
    if row["meets_sharing"]:
        parts.append(t("ev_sharing", n=int(row["n_shares"])))
    if row["meets_cross_purchase"]:
        bits = []
        if row["n_categories"] >= rules.min_categories:
            bits.append(t("ev_categories", n=int(row["n_categories"])))
        if row["n_brands"] >= rules.min_brands:
            bits.append(t("ev_brands", n=int(row["n_brands"])))
        parts.append(t("ev_cross", what=t("ev_and").join(bits)) if bits else t("ev_cross_plain"))
    return t("ev_sep").join(parts)


def _reason(row: dict, rules: Rules, lang: str = "en") -> str:
    tier = row.get("tier")
    tier = f" {tier}" if isinstance(tier, str) and tier else ""
    key = "reason_member" if row["gate_member"] else "reason_prospect"
    return i18n.text(_STEM, key, lang, evidence=row["evidence"], tier=tier)


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


GATES = ("paid", "paid_again", "member")


def gate_funnel(scores: CriteriaScores | pd.DataFrame) -> pd.Series:
    """Customers passing each selection gate in turn (index :data:`GATES`): bought (has paid),
    bought again (paid again), bought again and a paid member (explicit intention)."""
    t = scores.table if isinstance(scores, CriteriaScores) else scores
    return pd.Series({
        "paid": int(t["gate_paid"].sum()),
        "paid_again": int((t["gate_paid"] & t["gate_paid_again"]).sum()),
        "member": int((t["gate_paid"] & t["gate_paid_again"] & t["gate_member"]).sum()),
    })


# --------------------------------------------------------------------------------------------
# The analysis of notebook 01
# --------------------------------------------------------------------------------------------
CRITERIA_STATUS = ("member", "prospect", "not_listed")   # the columns of criteria_by_status()


@dataclass
class SuperUsersResult(Result):
    """Scores, the list, concentration (of revenue, and of profit when margins are given) and the
    gate funnel of one run of notebook 01."""

    scores: CriteriaScores
    listed: SuperUserList
    concentration: Concentration
    funnel: pd.Series
    profit: Concentration | None = None        # None: no margins, profit not measured
    margins: float | dict | None = None        # what profit was computed with
    profit_per_customer: pd.Series | None = field(default=None, repr=False)

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

    @property
    def listed_profit_share(self) -> float | None:
        """Share of gross profit the listed customers bring (net refunds clipped at 0), or None."""
        if self.profit_per_customer is None:
            return None
        p = self.profit_per_customer.clip(lower=0)
        return float(p.reindex(self.listed.table.index).fillna(0).sum() / p.sum())

    def criteria_table(self, lang: str = "en") -> pd.DataFrame:
        """Per criterion: whether the data supports it, from where, and how many customers meet it
        (headers and words in ``lang``)."""
        s = self.scores
        sources = s.sources or {}
        t = lambda key, **kw: i18n.text(_STEM, key, lang, **kw)  # noqa: E731
        return pd.DataFrame({
            t("col_criterion"): [t(f"crit_{c}") for c in CRITERIA],
            t("col_data_available"): [i18n.value_text({"format": "bool"}, bool(s.available[c]), lang) for c in CRITERIA],
            t("col_from"): [_why_text(*sources[c], lang) if c in sources else s.why[c] for c in CRITERIA],
            t("col_customers_meeting"): [int(s.table[f"meets_{c}"].sum()) for c in CRITERIA],
        }, index=pd.Index(CRITERIA, name="key"))

    def criteria_by_status(self) -> pd.DataFrame:
        """Per criterion (rows, keyed by :data:`CRITERIA`): customers meeting it who are members on
        the list, prospects on the list, or not on the list (columns :data:`CRITERIA_STATUS`)."""
        t = self.scores.table
        on_list = t.index.isin(self.listed.table.index)
        return pd.DataFrame({
            "member": [int((t[f"meets_{c}"] & on_list & t["gate_member"]).sum()) for c in CRITERIA],
            "prospect": [int((t[f"meets_{c}"] & on_list & ~t["gate_member"]).sum()) for c in CRITERIA],
            "not_listed": [int((t[f"meets_{c}"] & ~on_list).sum()) for c in CRITERIA],
        }, index=pd.Index(CRITERIA, name="criterion"))

    def list_table(self, lang: str = "en") -> pd.DataFrame:
        """The list as a store manager gets it (:data:`LIST_COLUMNS`, one row per customer, plus
        ``profit`` when margins are given); ``reason`` in ``lang`` (the column names stay the kit's)."""
        out = self.listed.table[LIST_COLUMNS].copy()
        if self.profit_per_customer is not None:
            out.insert(out.columns.get_loc("revenue") + 1, "profit",
                       self.profit_per_customer.reindex(out.index).fillna(0.0))
        if i18n.check_language(lang) != "en":
            rules = self.scores.rules
            rows = self.listed.table.to_dict("records")
            for row in rows:
                row["evidence"] = _evidence(row, rules, lang)
            out["reason"] = [_reason(row, rules, lang) for row in rows]
        return out

    def shown_list(self, lang: str = "en", n: int = 10) -> pd.DataFrame:
        """The first ``n`` rows of the list as the notebook shows them: status in words, tier,
        criteria met, revenue (and profit), reason; headers in ``lang``."""
        cols = ["status", "tier", "criteria_met", "revenue"] + (
            ["profit"] if self.profit_per_customer is not None else []) + ["reason"]
        out = self.list_table(lang)[cols].head(n).copy()
        out["tier"] = out["tier"].fillna("")
        out["status"] = [i18n.text(_STEM, f"status_{v}", lang) for v in out["status"]]
        for c in ("revenue", "profit"):
            if c in out:
                out[c] = out[c].round(2)
        return out.rename(columns=i18n.column_labels(_STEM, out.columns, lang)).rename_axis(
            i18n.text("common", "col_customer_id", lang))

    def reading_text(self, lang: str = "en") -> str:
        """The reading of the 80/20 claim: on profit when margins are given (the claim is about
        profit), with revenue beside it; else on revenue, saying profit cannot be measured."""
        c, p = self.concentration, self.profit
        if p is None:
            return c.reading(lang) + i18n.text(_STEM, "reading_no_profit", lang)
        return (i18n.text(_STEM, "reading_profit_first", lang) + p.reading(lang)
                + i18n.text(_STEM, "reading_revenue_also", lang, r20=c.top20_share,
                            need80=c.share_of_top_customers_for_80pct,
                            gini=c.gini, gini_profit=p.gini))

    def headline_text(self, lang: str = "en") -> str:
        c, n, p = self.concentration, len(self.listed.table), self.profit
        common = dict(r20=c.top20_share, gini=c.gini, n=n, cshare=n / self.n_customers,
                      rshare=self.listed_revenue_share, prospects=self.n_prospects)
        if p is None:
            return i18n.text(_STEM, "headline", lang, **common)
        return i18n.text(_STEM, "headline_profit", lang, p20=p.top20_share, pshare=self.listed_profit_share,
                         **common)

    def to_json(self, lang: str = "en", **files) -> dict:
        out = super().to_json(lang, **files)
        out["reading_80_20"] = self.reading_text(lang)
        return out

    def _json(self, list_file: str | None = None) -> dict:
        c, s, n, p = self.concentration, self.scores, len(self.listed.table), self.profit
        return {
            "n_customers": c.n_customers,
            "total_revenue": c.total_revenue,
            "top20_revenue_share": c.top20_share,
            "top10_revenue_share": c.top10_share,
            "top10_spend_multiple": share_multiple(c.top10_share, 0.1),
            "customers_for_80pct_revenue": c.share_of_top_customers_for_80pct,
            "gini": c.gini,
            "total_profit": None if p is None else p.total_revenue,
            "top20_profit_share": None if p is None else p.top20_share,
            "top10_profit_share": None if p is None else p.top10_share,
            "customers_for_80pct_profit": None if p is None else p.share_of_top_customers_for_80pct,
            "gini_profit": None if p is None else p.gini,
            "margins": self.margins,
            "n_super_users": n,
            "super_user_customer_share": n / self.n_customers,
            "super_user_revenue_share": self.listed_revenue_share,
            "super_user_profit_share": self.listed_profit_share,
            "n_super_users_members": self.n_members_listed,
            "n_prospects": self.n_prospects,
            "criteria_available": [k for k in CRITERIA if s.available[k]],
            "criteria_counts": {k: int(s.table[f"meets_{k}"].sum()) for k in CRITERIA},
            "gates": {"paid": int(self.funnel["paid"]), "paid_again": int(self.funnel["paid_again"]),
                      "member": int(self.funnel["member"])},
            "rules": {"min_repeat_purchases": s.rules.min_repeat_purchases,
                      "recency_days": s.rules.recency_days, "min_categories": s.rules.min_categories,
                      "min_brands": s.rules.min_brands, "min_criteria": self.listed.min_criteria_used,
                      "require_frequency_recency": self.listed.require_frequency_recency},
            "observation_end": s.observation_end,
            "super_user_list": list_file,
            "reading_80_20": self.reading_text("en"),
            "headline": self.headline,
        }


def _bundled_dataset(tables) -> str | None:
    """The bundled data set the transactions came from (``"coffee_club"``), or None for a client's file."""
    import re

    source = (getattr(tables, "sources", None) or {}).get("transactions", "")
    m = re.fullmatch(r"bundled (\S+) \(transactions\)", str(source))   # the wording of data.tables
    return m.group(1) if m else None


def run(tables, observation_end=None, min_repeat_purchases: int = 3, recency_days: int = 60,
        min_categories: int = 2, min_brands: int = 2, min_criteria: int = 3, margins_path: str = "",
        margin=None) -> SuperUsersResult:
    """Notebook 01's analysis on :class:`superkit.data.Tables` (transactions required; members and
    events switch their criteria and gate off when missing). Gross margins for the profit 80/20:
    ``margin`` (one rate, or ``{category: rate}``) or ``margins_path`` (a file; empty: the bundled
    data set's margins, only with its transactions; "none": no margins), see :func:`resolve_margins`."""
    rules = Rules(min_repeat_purchases=min_repeat_purchases, recency_days=recency_days,
                  min_categories=min_categories, min_brands=min_brands, min_criteria=min_criteria)
    tx = tables.require("transactions", "finding super users")
    margins = resolve_margins(margins_path, margin, bundled=_bundled_dataset(tables))
    scores = score_criteria(tx, tables.members, tables.events, observation_end, rules)
    profit = per_customer = None
    if margins is not None:
        per_customer = customer_profit(tx, margins, pd.Timestamp(scores.observation_end)).reindex(
            scores.table.index).fillna(0.0)
        profit = concentration(per_customer, what="profit")
    return SuperUsersResult(scores=scores, listed=select_super_users(scores),
                            concentration=concentration(scores.table["revenue"]),
                            funnel=gate_funnel(scores), profit=profit, margins=margins,
                            profit_per_customer=per_customer)
