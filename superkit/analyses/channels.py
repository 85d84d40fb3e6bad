"""Which channel turns customers into members? Each channel's incremental conversion, with an interval.

A contact (a call, a text, an ad, a clerk's invitation; the ``contacts`` table) is followed by a
join when the customer's ``joined_at`` falls on the contact's day or within ``window_days`` after
it. Many of those customers would have joined anyway -- the heavy ones a CRM likes to call most of
all -- so the **conversion** of a channel is its join rate *minus the baseline*: the join rate, in
the same window, of comparable customers whom the channel did not contact. :func:`measure_channels`
gives one row per channel.

**The design (a trial started every day).** For a contact on day ``t``, the comparison group is
every customer who on day ``t``

* had made a first purchase by then (from ``transactions``) and was not a member (``joined_at`` on
  or after ``t``, or never; a customer who joins on day ``t`` counts half that day, as in a life
  table, since a contact that day comes on average after half of the day's joins and nobody is
  contacted who has just joined);
* was not contacted by *this channel* on day ``t`` (other channels' contacts that day happen to
  both groups alike);
* was in the same *stratum* that month, by recency, frequency and monetary value before the month
  (:data:`RECENCY_BINS`, :data:`FREQUENCY_BINS`, quartiles of spend per purchase day: 96 strata);
  customers whose first purchase falls in the month form a stratum of their own. Recency and
  frequency together tell a heavy buyer who has stopped from a light one who is still buying --
  the first will not join, the second may.

Their join rate within ``[t, t + window_days]`` is the contact's expected join rate without it, and
``baseline_rate`` averages it over the channel's contacts (their own mix of days and strata: the
effect on the contacted). Conditioning on day ``t`` only, never on what happens after it, matters:
a customer who joins on the 5th cannot be contacted on the 20th, so "not contacted this month"
would select early joiners into the comparison group and understate every channel. For the same
reason the comparison assumes that whether a customer is contacted today does not depend on
earlier contacts by the channel; a channel that contacts each customer at most once a month by
schedule leaves the comparison group its later contacts that month and is understated by about
half its monthly share times its conversion.

The strata remove most of the selection of a channel that targets heavy buyers, as far as the
transactions show heaviness; what a targeting score knows beyond them (a call list of "likely
joiners") is not removed, and such a channel's conversion is then overstated -- a randomised
holdout per channel is the remedy (on simulated worlds whose calls go to the top 10% by a latent
heaviness, the overstatement is less than a tenth of the interval's width). Without
``transactions`` the customers are those in ``contacts`` (from their first contact on) and
``members``, in one stratum: a weaker baseline.

**Several contacts.** The unit is a channel's contact of a customer on a day (several the same day
count once, in ``n_repeats``, their cost included). A join is credited to *every* channel with a
contact in the window before it; as the comparison group receives the other channels' contacts at
the same rate, each channel's conversion is the effect of its own contact on top of the others'
usual contacts. Left out and counted: contacts of customers who had joined before the contact day
(``n_members_at_contact``: members, and former members, since the members table holds the current
membership only), contacts before the customer's first purchase (when ``transactions`` are given),
contacts with fewer than ``window_days`` of data after them (``n_censored``), and contacts without
a comparable customer on that day (``n_unmatched``).

**Interval.** The interval of the difference of the two proportions is statsmodels'
``confint_proportions_2indep`` (Newcombe's hybrid score interval), on effective sample sizes that
carry the customer-clustered variance of the difference: a customer stays in the comparison group
day after day and is contacted on some days and compared on others, so the days are not
independent draws. Validated against simulated worlds whose caused joins are known
(``tests/test_contacts.py``), with the coverage of the interval over many seeds.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from superkit.core.checks import check_number, parse_date, require_columns
from superkit.core.errors import DataError
from superkit.data.store import as_frame
from superkit.data.spec import CONTACT_CHANNELS

__all__ = ["COLUMNS", "FREQUENCY_BINS", "RECENCY_BINS", "measure_channels"]

# The columns of measure_channels (index: channel key).
COLUMNS = ("name", "name_zh", "n_contacts", "n_customers", "n_joined", "join_rate", "baseline_rate", "conversion",
           "conversion_ci_low", "conversion_ci_high", "incremental_joins", "cost_per_contact", "cost_per_join",
           "n_repeats", "n_censored", "n_members_at_contact", "n_before_first_purchase", "n_unmatched",
           "measured_from", "measured_to", "measured_window")
# Strata of a customer-month (recency, frequency, monetary value before the month): lower edges of
# the bins of purchase days so far (1, 2, 3-4, 5-8, 9-16, 17+) and of days since the last purchase
# (up to 30, 31-90, 91-180, 181+); spend per purchase day goes in quartiles.
FREQUENCY_BINS = (2, 3, 5, 9, 17)
RECENCY_BINS = (31, 91, 181)
_NEVER = np.iinfo(np.int64).max // 4          # the join day of a customer who never joined


def _days(values) -> np.ndarray:
    """Timestamps as whole days since 1970-01-01."""
    return pd.to_datetime(pd.Series(values)).to_numpy(dtype="datetime64[D]").astype(np.int64)


def _intervals(starts: np.ndarray, ends: np.ndarray, rows: np.ndarray, width: int, n_rows: int) -> np.ndarray:
    """How many of the intervals ``[start, end]`` (day offsets within a row) cover each day of each
    row: a (n_rows, width) array, built from a difference array in one pass."""
    ok = starts <= ends
    s, e, r = starts[ok], ends[ok], rows[ok]
    diff = np.bincount(r * (width + 1) + s, minlength=n_rows * (width + 1)).astype(np.int64)
    diff -= np.bincount(r * (width + 1) + e + 1, minlength=n_rows * (width + 1))
    return np.cumsum(diff.reshape(n_rows, width + 1), axis=1)[:, :width]


def _span_sum(cum: np.ndarray, rows: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Sum of a per-row daily quantity over ``[start, end]``, from its cumulative sums ``cum``
    (a (n_rows, width + 1) array with a leading 0 column); 0 for empty intervals."""
    ok = starts <= ends
    out = np.zeros(len(rows))
    out[ok] = cum[rows[ok], ends[ok] + 1] - cum[rows[ok], starts[ok]]
    return out


def _history(tx_i: np.ndarray, tx_day: np.ndarray, tx_amount: np.ndarray, n: int,
             month_starts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per customer and month, from the purchase days before the month (days with a positive net
    amount): how many, the days since the last one (a large number without one), and the spend per
    purchase day (NaN without one). Each (n, M)."""
    daily = pd.DataFrame({"i": tx_i, "d": tx_day, "a": tx_amount}).groupby(["i", "d"], sort=True)["a"].sum()
    daily = daily[daily > 0]                                   # a refund-only day is not a purchase
    di = daily.index.get_level_values(0).to_numpy(dtype=np.int64)
    dd = daily.index.get_level_values(1).to_numpy(dtype=np.int64)
    d0 = int(dd.min()) if len(dd) else 0
    span = int(max(dd.max() - d0, 0) if len(dd) else 0) + 2
    key = di * span + (dd - d0)
    cum_amount = np.concatenate([[0.0], np.cumsum(daily.to_numpy(dtype=float))])
    count = np.zeros((n, len(month_starts)), dtype=np.int64)
    since = np.full((n, len(month_starts)), _NEVER, dtype=np.int64)
    spend = np.full((n, len(month_starts)), np.nan)
    base = np.arange(n, dtype=np.int64) * span
    first = np.searchsorted(key, base)
    for m, s in enumerate(month_starts):
        upto = np.searchsorted(key, base + np.clip(int(s) - d0, 0, span - 1))   # days before the month
        c = upto - first
        has = c > 0
        count[:, m] = c
        since[has, m] = int(s) - (dd[upto[has] - 1])
        spend[has, m] = (cum_amount[upto[has]] - cum_amount[first[has]]) / c[has]
    return count, since, spend


def measure_channels(contacts: pd.DataFrame, members: pd.DataFrame | None, transactions: pd.DataFrame | None = None,
                     window_days: int = 30, observation_end=None, level: float = 0.95) -> pd.DataFrame:
    """Each channel's conversion to member: the join rate within ``window_days`` of a contact
    minus that of comparable non-members the channel did not contact that day (see the module
    docstring).

    ``contacts``, ``members`` and ``transactions`` are the contract tables (read with
    :mod:`superkit.data`); ``observation_end`` defaults to the last date in them. Returns one row
    per channel in ``contacts`` (index: the channel key, in the order of
    :data:`superkit.data.spec.CONTACT_CHANNELS`) with :data:`COLUMNS`: counts, ``join_rate``,
    ``baseline_rate``, ``conversion`` (their difference) and its ``level`` interval,
    ``incremental_joins`` (conversion x contacts), ``cost_per_contact`` (mean ``cost`` where given),
    ``cost_per_join`` (total cost / incremental joins; NaN when the conversion is not positive), the
    contacts left out and why, and the days measured. ``.attrs`` holds the settings.
    """
    window = check_number("window_days", window_days, low=0, low_open=True, integer=True,
                          fix="the days after a contact in which a join is credited to it, e.g. 30.")
    check_number("level", level, low=0, high=1, low_open=True, high_open=True, fix="e.g. 0.95.")
    if members is None:
        raise DataError("no members table was given, and measuring conversion to member needs one",
                        source="members", fix="give the members table (customer_id, joined_at).")
    require_columns(contacts, ["customer_id", "timestamp", "channel"], "contacts")
    require_columns(members, ["customer_id", "joined_at"], "members")
    present = set(pd.unique(contacts["channel"].dropna().astype(str)))
    unknown = sorted(present - set(CONTACT_CHANNELS))
    if unknown or contacts["channel"].isna().any():
        raise DataError("channels that are not channel keys", source="contacts", column="channel",
                        examples=unknown[:5] or ["<empty>"],
                        fix="read the contacts with superkit.data.read_contacts (it maps names such as "
                            "'短信' or 'SMS' to the keys).")
    if transactions is not None:
        require_columns(transactions, ["customer_id", "timestamp", "amount"], "transactions")
        transactions = as_frame(transactions, ["customer_id", "timestamp", "amount"])
    if len(contacts) == 0:
        raise DataError("the contacts table has no rows", source="contacts",
                        fix="give the contacts of customers by channel (customer_id, timestamp, channel).")

    # --- customers, days ------------------------------------------------------------------------
    c_ids = contacts["customer_id"].astype(str).to_numpy()
    m_ids = members["customer_id"].astype(str).to_numpy()
    t_ids = transactions["customer_id"].astype(str).to_numpy() if transactions is not None else np.array([], dtype=str)
    codes, uniques = pd.factorize(np.concatenate([c_ids, m_ids, t_ids]))
    n = len(uniques)
    ci, mi, ti = codes[:len(c_ids)], codes[len(c_ids):len(c_ids) + len(m_ids)], codes[len(c_ids) + len(m_ids):]
    c_day = _days(contacts["timestamp"])
    joined = members["joined_at"].notna().to_numpy()
    m_day = _days(members["joined_at"][joined]) if joined.any() else np.array([], dtype=np.int64)
    join = np.full(n, _NEVER, dtype=np.int64)
    np.minimum.at(join, mi[joined], m_day)
    if transactions is not None:
        t_day = _days(transactions["timestamp"])
        first = np.full(n, _NEVER, dtype=np.int64)
        np.minimum.at(first, ti, t_day)
    else:
        first = np.full(n, _NEVER, dtype=np.int64)
        np.minimum.at(first, ci, c_day)          # without purchases: a customer from the first contact on
    last_seen = max(int(c_day.max()), int(m_day.max()) if len(m_day) else 0,
                    int(t_day.max()) if transactions is not None and len(t_day) else 0)
    end_dt = parse_date(observation_end, "observation_end")
    end = last_seen if end_dt is None else int(np.datetime64(end_dt.date(), "D").astype(np.int64))

    # --- which contacts are measured ---------------------------------------------------------------
    keys = [k for k in CONTACT_CHANNELS if k in present]
    k_of = pd.Categorical(contacts["channel"], categories=keys).codes.astype(np.int64)
    is_member = join[ci] < c_day
    before = ~is_member & (c_day < first[ci])
    censored = ~is_member & ~before & (c_day + window > end)
    eligible = ~is_member & ~before & ~censored
    c_month = c_day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    has_cost = "cost" in contacts.columns
    cost = contacts["cost"].to_numpy(dtype=float) if has_cost else np.full(len(contacts), np.nan)
    if not (~is_member & ~before).any():
        raise DataError("no contacts of customers who were not members at the contact time", source="contacts",
                        rows=len(contacts),
                        fix="conversion to member is measured on contacts of non-members: check that joined_at "
                            "and the contact timestamps are right, and that contacts of prospects come after "
                            "their first purchase.")
    if not eligible.any():
        raise DataError(f"every contact of a non-member has fewer than {window} days of data after it",
                        source="contacts", rows=int(censored.sum()),
                        fix="give a later observation_end, or a shorter window_days.")

    # units: a channel's contacts of a customer on a day (several the same day count once)
    e_idx = np.flatnonzero(eligible)
    order = np.lexsort((c_day[e_idx], ci[e_idx], k_of[e_idx]))
    e_sorted = e_idx[order]
    new_unit = np.ones(len(e_sorted), dtype=bool)
    new_unit[1:] = (k_of[e_sorted][1:] != k_of[e_sorted][:-1]) | (ci[e_sorted][1:] != ci[e_sorted][:-1]) | \
        (c_day[e_sorted][1:] != c_day[e_sorted][:-1])
    u = e_sorted[new_unit]
    u_i, u_k, u_day, u_month = ci[u], k_of[u], c_day[u], c_month[u]
    u_y = (join[u_i] >= u_day) & (join[u_i] <= u_day + window)

    # --- strata of customer-months ---------------------------------------------------------------
    months = np.arange(u_month.min(), u_month.max() + 1)
    M = len(months)
    m_start = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    m_end = (months + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) - 1
    width = int((m_end - m_start).max()) + 1
    # only customers who could be compared: a customer and not yet a member in the months measured
    active = np.flatnonzero((first <= m_end[-1]) & (join >= m_start[0]))
    pos = np.full(n, -1, dtype=np.int64)
    pos[active] = np.arange(len(active))
    if transactions is not None:
        mine_tx = pos[ti] >= 0
        count, since, spend = _history(pos[ti][mine_tx], t_day[mine_tx],
                                       transactions["amount"].to_numpy(dtype=float)[mine_tx], len(active), m_start)
        has = np.isfinite(spend)
        cuts = np.quantile(spend[has], [0.25, 0.5, 0.75]) if has.any() else np.zeros(3)
        spend_bin = np.where(has, np.searchsorted(cuts, np.nan_to_num(spend), side="right"), 0)
        n_r = len(RECENCY_BINS) + 1
        n_strata = (len(FREQUENCY_BINS) + 1) * n_r * 4 + 1
        stratum = (np.digitize(count, FREQUENCY_BINS) * n_r + np.digitize(since, RECENCY_BINS)) * 4 + spend_bin
        stratum = np.where(first[active][:, None] >= m_start[None, :], n_strata - 1, stratum)  # new this month
    else:
        n_strata = 1
        stratum = np.zeros((len(active), M), dtype=np.int64)
    # customer-months at risk of joining (a customer and not a member on some day of the month)
    at_l, at_m = np.nonzero((first[active][:, None] <= m_end[None, :]) & (join[active][:, None] >= m_start[None, :]))
    at_i = active[at_l]
    rows = at_m * n_strata + stratum[at_l, at_m]
    G = M * n_strata
    lo = np.maximum(first[at_i], m_start[at_m]) - m_start[at_m]
    hi = np.minimum(join[at_i], m_end[at_m]) - m_start[at_m]
    y_lo = np.maximum(lo, join[at_i] - window - m_start[at_m])
    # a customer who joins on day t counts half that day: a contact that day comes, on average,
    # after half of the day's joins, and a CRM does not contact who has just joined (the life-table rule)
    on_join_day = (join[at_i] <= m_end[at_m]) & (join[at_i] - m_start[at_m] >= lo)
    half = np.zeros((G, width))
    np.add.at(half, (rows[on_join_day], (join[at_i] - m_start[at_m])[on_join_day]), 0.5)
    at_risk = _intervals(lo, hi, rows, width, G) - half
    joins = _intervals(y_lo, hi, rows, width, G) - half    # joins within the window from that day
    # a channel's comparison group on a day leaves out the customers that channel contacted that day
    touched = ~is_member & ~before
    td = pd.DataFrame({"k": k_of[touched], "i": ci[touched], "d": c_day[touched]}).drop_duplicates().to_numpy()
    td_month = td[:, 2].astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    t_m = np.searchsorted(months, td_month)
    in_range = (t_m < M) & (months[np.minimum(t_m, M - 1)] == td_month)
    td, t_m = td[in_range], t_m[in_range]
    t_k, t_i, t_d = td[:, 0], td[:, 1], td[:, 2]
    t_row = t_m * n_strata + stratum[pos[t_i], t_m]
    t_off = t_d - m_start[t_m]
    t_w = np.where(join[t_i] == t_d, 0.5, 1.0)                      # their weight in the comparison group
    t_y = ((join[t_i] >= t_d) & (join[t_i] <= t_d + window)).astype(float)
    u_m = np.searchsorted(months, u_month)
    u_row = u_m * n_strata + stratum[pos[u_i], u_m]
    u_off = u_day - m_start[u_m]
    jr, jd = rows[on_join_day], (join[at_i] - m_start[at_m])[on_join_day]

    # --- per channel -------------------------------------------------------------------------------
    from statsmodels.stats.proportion import confint_proportions_2indep

    alpha = 1.0 - float(level)
    n_comparison = int(len(np.unique(at_i)))
    out = []
    for k, key in enumerate(keys):
        tk = t_k == k
        risk_k, joins_k = at_risk.copy(), joins.copy()
        np.subtract.at(risk_k, (t_row[tk], t_off[tk]), t_w[tk])
        np.subtract.at(joins_k, (t_row[tk], t_off[tk]), t_w[tk] * t_y[tk])
        risk_k[np.abs(risk_k) < 1e-9] = 0.0
        p0 = np.where(risk_k > 0, joins_k / np.where(risk_k > 0, risk_k, 1.0), np.nan)
        mine = u_k == k
        u_p0 = p0[u_row[mine], u_off[mine]]
        matched = np.isfinite(u_p0)
        unit = np.flatnonzero(mine)[matched]
        sel_k = k_of == k
        n1 = len(unit)
        row = {"name": CONTACT_CHANNELS[key][0], "name_zh": CONTACT_CHANNELS[key][1],
               "n_contacts": n1, "n_customers": int(len(np.unique(u_i[unit]))),
               "n_repeats": int((eligible & sel_k).sum() - mine.sum()),
               "n_censored": int((censored & sel_k).sum()), "n_members_at_contact": int((is_member & sel_k).sum()),
               "n_before_first_purchase": int((before & sel_k).sum()), "n_unmatched": int((~matched).sum())}
        measured = eligible & sel_k
        c_given = cost[measured]
        c_given = c_given[np.isfinite(c_given)]
        row["cost_per_contact"] = float(c_given.mean()) if len(c_given) else float("nan")
        if n1 == 0:
            row.update(n_joined=0, join_rate=np.nan, baseline_rate=np.nan, conversion=np.nan,
                       conversion_ci_low=np.nan, conversion_ci_high=np.nan, incremental_joins=np.nan,
                       cost_per_join=np.nan, measured_from=pd.NaT, measured_to=pd.NaT, measured_window="")
            out.append(row)
            continue
        y1 = u_y[unit].astype(float)
        p1 = float(y1.mean())
        base = float(u_p0[matched].mean())
        # customer-clustered variances of the two rates (each customer's influence on them)
        phi = np.bincount(u_i[unit], weights=(y1 - p1) / n1, minlength=n)
        var1 = float(np.sum(phi ** 2))
        weight = np.bincount(u_row[unit] * width + u_off[unit], minlength=G * width).reshape(G, width) / n1
        a = np.where(risk_k > 0, weight / np.where(risk_k > 0, risk_k, 1.0), 0.0)
        ap = a * np.nan_to_num(p0)
        cum_a = np.concatenate([np.zeros((G, 1)), np.cumsum(a, axis=1)], axis=1)
        cum_ap = np.concatenate([np.zeros((G, 1)), np.cumsum(ap, axis=1)], axis=1)
        psi_units = _span_sum(cum_a, rows, y_lo, hi) - _span_sum(cum_ap, rows, lo, hi)
        psi_units[on_join_day] -= 0.5 * (a[jr, jd] - ap[jr, jd])
        psi = np.bincount(at_i, weights=psi_units, minlength=n)
        psi -= np.bincount(t_i[tk], weights=t_w[tk] * (a[t_row[tk], t_off[tk]] * t_y[tk] - ap[t_row[tk], t_off[tk]]),
                           minlength=n)
        var0 = float(np.sum(psi ** 2))
        # the same customers are contacted some days and compared on others: the variance of the
        # difference carries their covariance, spread over both effective sample sizes
        var = float(np.sum((phi - psi) ** 2))
        shrink = (var1 + var0) / var if var > 0 else 1.0
        n1_eff = p1 * (1 - p1) / var1 * shrink if var1 > 0 else float(n1)
        n0_eff = base * (1 - base) / var0 * shrink if var0 > 0 else float(n_comparison)
        n1_eff, n0_eff = max(n1_eff, 1.0), max(n0_eff, 1.0)
        low, high = confint_proportions_2indep(p1 * n1_eff, n1_eff, base * n0_eff, n0_eff, method="newcomb",
                                               compare="diff", alpha=alpha)
        conv = p1 - base
        inc = conv * n1
        per_join = row["cost_per_contact"] * measured.sum() / mine.sum() / conv if conv > 0 else np.nan
        first_day = np.datetime64(int(u_day[unit].min()), "D")
        last_day = np.datetime64(int(u_day[unit].max()), "D")
        row.update(n_joined=int(y1.sum()), join_rate=p1, baseline_rate=base, conversion=conv,
                   conversion_ci_low=float(low), conversion_ci_high=float(high), incremental_joins=inc,
                   cost_per_join=float(per_join),
                   measured_from=pd.Timestamp(first_day), measured_to=pd.Timestamp(last_day),
                   measured_window=f"{first_day} to {last_day}")
        out.append(row)
    frame = pd.DataFrame(out, index=pd.Index(keys, name="channel"))[list(COLUMNS)]
    frame.attrs.update(window_days=window, observation_end=str(np.datetime64(end, "D")), level=float(level),
                       stratified=transactions is not None, n_strata=n_strata,
                       baseline="non-members the channel did not contact that day, in the same stratum")
    return frame
