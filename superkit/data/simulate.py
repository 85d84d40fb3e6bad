"""A seeded membership world with known truth, for tests and training camps.

The world, customer by customer (time in days from ``start``):

* **Acquisition.** First purchase at a uniform time in ``[0, acquisition_days)``.
* **Buying (BG/NBD).** Purchase rate ``lambda ~ Gamma(r, rate=alpha)`` per day, dropout
  probability after each purchase ``p ~ Beta(a, b)`` (Fader, Hardie & Lee 2005).
* **Spend (Gamma-Gamma).** ``nu ~ Gamma(q, rate=v)``; each purchase spends
  ``z ~ Gamma(p, rate=nu)`` (Fader, Hardie & Lee 2005b; lifetimes' ``p, q, v``).
* **Categories, brands, channels, stores.** Each customer has a main category (coffee for most)
  and a breadth; broader customers buy more often outside it (cross purchase). Breadth rises
  with engagement.
* **Engagement events.** Each purchase may trigger feedback, share, referral or review with
  probabilities that rise with the customer's engagement, itself correlated with heaviness
  (``engagement_correlation``); complaints are unrelated to heaviness.
* **Joining a paid membership (self-selection).** From the first purchase on, a customer joins at
  hazard ``join_rate * exp(s * h - s^2 / 2)`` per day, where ``h`` is the standardised
  heaviness (log purchase rate + log mean spend) and ``s = selection`` is the
  selection-strength knob (0: joining ignores behaviour). With ``join_requires_alive`` only
  customers who have not dropped out can join; with ``offer_share < 1`` only that random share of
  customers is offered the membership (a randomised offer). The tier is chosen by heaviness plus noise.
* **Causal uplift of joining.** While a membership lasts, the purchase rate is multiplied by
  ``uplift_frequency`` and spend per purchase by ``uplift_spend``; the dropout probability per
  purchase is divided by ``uplift_frequency`` so that the dropout hazard *per day* is unchanged.
  The true ratio of expected spend with membership to spend without it is then exactly
  ``uplift_frequency * uplift_spend`` at every moment of a membership.
* **Renewal (shifted-beta-geometric).** Each member has a churn probability
  ``theta ~ Beta(alpha_tier, beta_tier)`` and at the end of each ``period_days`` period lapses
  with probability ``theta`` (Fader & Hardie 2007). Renewal is independent of buying.
* **Cohorts.** Members grouped by tier and join quarter; ``active`` counts members still paying
  at the start of each fully observed period (period 0 = cohort size).
* **Contacts (optional, ``contacts=``).** From ``contacts_from`` (default: six months before
  ``end``) to ``end``, month by month, each channel of ``contacts`` (a key of
  :data:`superkit.data.spec.CONTACT_CHANNELS` -> its settings) contacts its target customers at
  random times (a Poisson process, so that a share ``monthly_share`` of them is contacted at least
  once a month, a few twice), on days after their first purchase day, between 09:00 and 20:00.
  Targets (:data:`CONTACT_TARGETS`): ``"all"`` (every customer), ``"heavy"`` (the top 10% by the
  latent heaviness ``h``, as a CRM score would pick them), ``"random_half"`` (a random half of the
  customers fixed once, as in a test with a holdout). A contact converts with
  probability ``conversion``: the customer's join time becomes ``min(natural join time, contact
  time + delay)``, delay uniform in ``[0, window_days)`` (default 30) -- before the purchases are
  drawn, so purchases, uplift, tier and renewal follow as for any join. Only customers offered the
  membership can be converted. Contacts of customers who are members at the contact time are
  never kept (a CRM excludes members), so the contacts table holds contacts of non-members only.
  A contact *caused* a join when it converted, the join happened (with ``join_requires_alive`` a
  customer who had dropped out cannot join), it was this contact's join time that the customer
  joined at, and the customer would not have joined within ``window_days`` without it;
  ``truth["contacts"]`` gives per channel the settings, the number of contacts, the caused joins and
  ``realised_conversion`` (caused joins / contacts), ``World.contact_truth`` the same per contact.
  Everything about contacts is drawn from its own random generator, so a world without contacts is
  exactly the world of the same seed before contacts existed.
* **Referrals that bring new customers (optional, ``referral_rate=``).** While a membership lasts
  (from the join to the lapse day, or to ``end``), each member brings new customers by referral as a
  Poisson process of ``referral_rate`` new customers per member-year (the known truth the uplift
  analysis recovers). Each brought customer is a new, ordinary customer (ids numbered on after the
  first ``n_customers``: ``C2001`` on for 2,000; never a member)
  whose first purchase is at the arrival time and who then buys by the same BG/NBD + Gamma-Gamma
  process (new draws of rate, dropout and spend from the same priors); the member's referral event
  comes up to 7 days before that first purchase (not before the join) and carries the new customer's
  id in ``referred_id``. The purchase-triggered referral events above stay without a ``referred_id``
  (referrals that brought nobody). Drawn from its own random generator, after the rest of the world:
  with ``referral_rate=0`` (the default) the world, its events table included, is exactly the world
  before referrals existed; ``customers`` lists the first ``n_customers`` only and
  ``truth["referrals"]`` the rate, the brought customers and the member-years.

With ``membership=False`` (or ``join_rate=0``) the world is exactly a BG/NBD + Gamma-Gamma
process (purchases on the same day are one purchase day in the summary, as in real data).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from superkit.core.constants import DAYS_PER_YEAR
from superkit.core.errors import ParameterError
from superkit.core.io import atomic_write_frame, atomic_write_text, to_jsonable
from superkit.data.spec import CONTACT_CHANNELS, TABLES

__all__ = ["CATEGORIES", "CHANNELS", "COMPLAINT_RATE", "CONTACT_TARGETS", "DEFAULT_CONTACTS", "DEFAULT_TIERS",
           "EVENT_BASE", "World", "simulate"]

DEFAULT_TIERS = {
    "V1": {"fee": 99.0, "alpha": 1.2, "beta": 5.0, "weight": 0.6},
    "V2": {"fee": 199.0, "alpha": 1.0, "beta": 6.0, "weight": 0.3},
    "V3": {"fee": 299.0, "alpha": 0.8, "beta": 8.0, "weight": 0.1},
}
CATEGORIES = {  # category -> (brand, mean price factor)
    "coffee": ("Brew&Co", 1.0),
    "tea": ("Leaf", 0.9),
    "bakery": ("Oven", 0.7),
    "merch": ("Brew&Co", 2.5),
}
CHANNELS = ("store", "app", "mini_program")
EVENT_BASE = {"feedback": 0.02, "share": 0.03, "referral": 0.008, "review": 0.04}
COMPLAINT_RATE = 0.004
# Whom a channel of simulate(contacts=...) contacts (see the module docstring).
CONTACT_TARGETS = {
    "all": "every customer who has made a first purchase and is not a member",
    "heavy": "the top 10% of customers by latent heaviness (a CRM score), when not members",
    "random_half": "a random half of the customers, fixed once (the other half is a holdout)",
}
# A contact plan for training worlds (``superkit simulate --contacts``): calls to heavy customers
# convert well and cost most; texts reach everyone and cost little; ads convert least; app pushes
# do nothing (a channel whose interval should contain 0).
DEFAULT_CONTACTS = {
    "phone": {"target": "heavy", "monthly_share": 0.05, "conversion": 0.15, "cost": 5.0},
    "sms_email": {"target": "all", "monthly_share": 0.3, "conversion": 0.02, "cost": 0.05},
    "paid_ads": {"target": "all", "monthly_share": 0.1, "conversion": 0.01, "cost": 1.0},
    "app": {"target": "random_half", "monthly_share": 0.2, "conversion": 0.0, "cost": 0.0},
}
_SETTINGS = ("target", "monthly_share", "conversion", "cost", "window_days")


def _no_contacts() -> pd.DataFrame:
    """An empty contacts table with the contract's columns."""
    return pd.DataFrame({"customer_id": pd.Series(dtype=object), "timestamp": pd.Series(dtype="datetime64[ns]"),
                         "channel": pd.Series(dtype=object), "cost": pd.Series(dtype=float),
                         "campaign": pd.Series(dtype=object)})[TABLES["contacts"]["required"]
                                                              + TABLES["contacts"]["optional"]]


@dataclass
class World:
    """A simulated world: the contract tables, per-customer truth and the true parameters.

    ``contacts`` is empty unless ``simulate(contacts=...)``; ``contact_truth`` is the contacts table
    with each contact's truth, in the same row order: ``converted`` (the draw succeeded on a customer
    offered the membership), ``natural_join_day`` (days from start at which the customer would have
    joined without this contact, earlier contacts included; inf: never) and ``caused_join``.
    """

    transactions: pd.DataFrame
    members: pd.DataFrame
    events: pd.DataFrame
    cohorts: pd.DataFrame
    customers: pd.DataFrame
    truth: dict = field(default_factory=dict)
    contacts: pd.DataFrame = field(default_factory=_no_contacts)
    contact_truth: pd.DataFrame = field(default_factory=_no_contacts)

    def write(self, out_dir, customers: bool = False) -> Path:
        """Write transactions.csv, members.csv, events.csv, cohorts.csv, contacts.csv (when there are
        contacts) and truth.json; with ``customers``, also customers_truth.csv (and
        contacts_truth.csv)."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)

        def put(frame: pd.DataFrame, name: str, dates=(), stamps=("timestamp",)) -> None:
            f = frame.copy()
            for c in dates:
                f[c] = f[c].dt.strftime("%Y-%m-%d")
            for c in stamps:
                f[c] = f[c].dt.strftime("%Y-%m-%d %H:%M:%S")
            atomic_write_frame(f, out / name, index=False)

        put(self.transactions, "transactions.csv")
        put(self.members, "members.csv", dates=("joined_at", "ended_at"), stamps=())
        put(self.events, "events.csv")
        put(self.cohorts, "cohorts.csv", stamps=())
        if len(self.contacts):
            put(self.contacts, "contacts.csv")
        if customers:
            put(self.customers, "customers_truth.csv", stamps=())
            if len(self.contact_truth):
                put(self.contact_truth, "contacts_truth.csv")
        atomic_write_text(out / "truth.json", json.dumps(to_jsonable(self.truth), indent=2))
        return out


def _check(cond: bool, name: str, what: str, fix: str) -> None:
    if not cond:
        raise ParameterError(name, what, fix=fix)


def simulate(
    n_customers: int = 2000,
    seed: int = 0,
    start: str = "2024-01-01",
    end: str = "2025-12-31",
    acquisition_days: float = 365.0,
    r: float = 0.75,
    alpha: float = 12.0,
    a: float = 0.6,
    b: float = 8.0,
    p: float = 6.0,
    q: float = 4.0,
    v: float = 15.0,
    membership: bool = True,
    join_rate: float = 0.0015,
    selection: float = 1.0,
    join_requires_alive: bool = True,
    offer_share: float = 1.0,
    uplift_frequency: float = 1.3,
    uplift_spend: float = 1.1,
    tiers: dict | None = None,
    period_days: float = 30.0,
    engagement_correlation: float = 0.6,
    refund_rate: float = 0.0,
    id_prefix: str = "C",
    contacts: dict | None = None,
    contacts_from: str | None = None,
    referral_rate: float = 0.0,
) -> World:
    """Simulate a world; every knob is in the returned ``truth``. See the module docstring.

    ``contacts``: channel key -> ``{"target": one of CONTACT_TARGETS (default "all"),
    "monthly_share": share of the target contacted (at least once) each month, "conversion":
    probability that a contact makes a customer join within ``window_days`` who would not have
    joined by then anyway, "cost": yuan per contact (default 0), "window_days": default 30}``; e.g.
    :data:`DEFAULT_CONTACTS`. ``contacts_from``: the first day of contacting (default: six months
    before ``end``).
    """
    _check(n_customers >= 1, "n_customers", f"must be at least 1, got {n_customers}",
           "ask for one or more customers.")
    for name, val in dict(r=r, alpha=alpha, a=a, b=b, p=p, q=q, v=v).items():
        _check(val > 0, name, f"must be positive, got {val}", "use a positive value.")
    _check(q > 1, "q", f"Gamma-Gamma q must exceed 1 for a finite mean spend, got {q}", "use q > 1.")
    _check(uplift_frequency > 0 and uplift_spend > 0, "uplift_frequency", "uplifts must be positive",
           "1 means no effect; 1.5 means +50%.")
    _check(period_days > 0, "period_days", "must be positive", "e.g. 30 for monthly renewal.")
    _check(0 <= refund_rate < 1, "refund_rate", "must be in [0, 1)", "e.g. 0.01.")
    _check(0 <= offer_share <= 1, "offer_share", "must be in [0, 1]", "e.g. 0.5 for half the customers.")
    _check(0 <= referral_rate < 1000, "referral_rate", f"must be in [0, 1000), got {referral_rate}",
           "new customers brought per member-year, e.g. 0.5; 0 for none.")
    t_start, t_end = pd.Timestamp(start), pd.Timestamp(end)
    horizon = (t_end - t_start).days + 1.0  # the last day is observed in full
    _check(horizon > 1, "end", f"end {end} must be after start {start}", "swap the dates.")
    acquisition_days = min(float(acquisition_days), horizon)
    tiers = {k: dict(vv) for k, vv in (tiers or DEFAULT_TIERS).items()}
    rng = np.random.default_rng(seed)
    n = int(n_customers)

    # --- customer-level heterogeneity -------------------------------------------------------
    t0 = rng.uniform(0.0, acquisition_days, n)
    lam = rng.gamma(r, 1.0 / alpha, n)
    drop_p = rng.beta(a, b, n)
    nu = rng.gamma(q, 1.0 / v, n)
    mean_spend = p / nu
    heavy = np.log(lam) + np.log(mean_spend)
    h = (heavy - heavy.mean()) / (heavy.std() or 1.0)
    eps = rng.standard_normal(n)
    rho = float(np.clip(engagement_correlation, -1, 1))
    engagement = rho * h + math.sqrt(1 - rho ** 2) * eps
    breadth = 1.0 / (1.0 + np.exp(-(engagement - 1.5)))  # share of purchases outside the main category
    main_cat = np.where(rng.uniform(size=n) < 0.85, "coffee", "tea")

    join_hazard = np.zeros(n)
    if membership and join_rate > 0:
        join_hazard = join_rate * np.exp(selection * h - selection ** 2 / 2.0)
        if offer_share < 1.0:  # only a random share of customers is offered the membership
            join_hazard[rng.uniform(size=n) >= offer_share] = 0.0
    cand_join = t0 + rng.exponential(1.0, n) / np.where(join_hazard > 0, join_hazard, 1.0)
    cand_join[join_hazard <= 0] = np.inf

    plan = None
    if contacts:
        plan = _contact_plan(contacts, contacts_from, t_start, t_end, horizon)
        crng = np.random.default_rng([seed, 7])  # contacts never touch the world's own draws
        offered = join_hazard > 0 if (membership and join_rate > 0) else \
            np.full(n, bool(membership)) & (crng.uniform(size=n) < offer_share)
        cand_join = cand_join.copy()
        drawn = _draw_contacts(plan, crng, t0, h, cand_join, offered)

    tier_names = list(tiers)
    tier_weights = np.array([tiers[k].get("weight", 1.0) for k in tier_names], dtype=float)
    tier_cut = np.quantile(h + rng.standard_normal(n), np.cumsum(tier_weights / tier_weights.sum())[:-1]) \
        if len(tier_names) > 1 else np.array([])

    # --- purchase processes -----------------------------------------------------------------
    cust_idx, times, member_flags = [], [], []
    joined = np.full(n, np.nan)
    ended = np.full(n, np.nan)
    periods_paid = np.zeros(n, dtype=int)
    tier_of = np.full(n, None, dtype=object)
    theta = np.full(n, np.nan)
    death_time = np.full(n, np.inf)
    uf = float(uplift_frequency)
    def _draw_membership(i: int, J: float) -> float:
        noise = rng.standard_normal()
        k = int(np.searchsorted(tier_cut, h[i] + noise)) if len(tier_cut) else 0
        tn = tier_names[k]
        th = rng.beta(tiers[tn]["alpha"], tiers[tn]["beta"])
        L = int(rng.geometric(th))  # periods paid (>= 1): shifted-geometric given theta
        tier_of[i], theta[i], periods_paid[i], joined[i] = tn, th, L, J
        return J + L * period_days

    for i in range(n):
        t = t0[i]
        buy, flag = [t], [False]
        J = cand_join[i] if cand_join[i] < horizon else np.inf
        E = np.inf
        while True:
            # next purchase under a piecewise-constant rate (memoryless: restart at boundaries)
            while True:
                member_now = J <= t < E
                rate = lam[i] * (uf if member_now else 1.0)
                nxt = t + rng.exponential(1.0 / rate)
                boundary = J if t < J else (E if t < E else np.inf)
                if nxt >= boundary and boundary < horizon:
                    if boundary == J and not np.isfinite(E):
                        E = _draw_membership(i, J)
                    t = boundary
                    continue
                t = nxt
                break
            if t >= horizon:
                break
            member_now = J <= t < E
            buy.append(t)
            flag.append(member_now)
            # BG/NBD: after each *repeat* purchase the customer drops out with probability p
            # (p / uplift_frequency during a membership, so the hazard per day is unchanged)
            if rng.uniform() < (drop_p[i] / uf if member_now else drop_p[i]):
                death_time[i] = t
                break
        if np.isfinite(J) and np.isnan(joined[i]) and not join_requires_alive:
            E = _draw_membership(i, J)  # dropped out before J but joins anyway (pays, never buys)
        if not np.isnan(joined[i]):
            ended[i] = E
        cust_idx.extend([i] * len(buy))
        times.extend(buy)
        member_flags.extend(flag)

    cust_idx = np.asarray(cust_idx, dtype=np.int64)
    times = np.asarray(times)
    member_flags = np.asarray(member_flags, dtype=bool)
    m_tx = len(times)

    # --- spend, category, brand, channel, store ---------------------------------------------
    spend = rng.gamma(p, 1.0 / nu[cust_idx])
    spend = np.where(member_flags, spend * uplift_spend, spend)
    counts = np.bincount(cust_idx, minlength=n)
    firsts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    x_exact = counts - 1
    tx_exact = times[firsts + counts - 1] - t0
    rep_sum = np.bincount(cust_idx, weights=spend, minlength=n) - spend[firsts]
    m_exact = np.where(x_exact > 0, rep_sum / np.maximum(x_exact, 1), 0.0)
    outside = rng.uniform(size=m_tx) < breadth[cust_idx]
    other_cats = np.array(["tea", "bakery", "merch", "coffee"])
    pick = rng.integers(0, 3, m_tx)
    mc = main_cat[cust_idx]
    alt = np.where(mc == "coffee", other_cats[pick], np.array(["coffee", "bakery", "merch"])[pick])
    category = np.where(outside, alt, mc)
    brand = np.array([CATEGORIES[c][0] for c in category]) if m_tx else np.array([], dtype=object)
    channel = np.asarray(CHANNELS)[rng.choice(3, m_tx, p=[0.6, 0.25, 0.15])]
    home_store = rng.integers(1, 9, n)
    store = np.where(rng.uniform(size=m_tx) < 0.8, home_store[cust_idx], rng.integers(1, 9, m_tx))
    # purchases happen during opening hours (07:00-21:00) on the day drawn
    day = np.floor(times)
    clock = 7.0 / 24 + rng.uniform(size=m_tx) * (14.0 / 24)
    stamp = t_start + pd.to_timedelta(np.round((day + clock) * 86400), unit="s")
    ids = np.char.add(id_prefix, np.char.zfill((np.arange(n) + 1).astype(str), len(str(n))))
    tx = pd.DataFrame({
        "customer_id": ids[cust_idx],
        "timestamp": stamp,
        "amount": np.round(spend, 2),
        "order_id": np.char.add("O", (np.arange(m_tx) + 1).astype(str)),
        "category": category,
        "brand": brand,
        "channel": channel,
        "store": np.char.add("S", store.astype(str)),
    })
    tx.loc[tx["amount"] <= 0, "amount"] = 0.01
    if refund_rate > 0 and m_tx:
        ref = rng.uniform(size=m_tx) < refund_rate
        if ref.any():
            r_rows = tx.loc[ref].copy()
            r_rows["amount"] = -np.round(r_rows["amount"] * rng.uniform(0.2, 1.0, ref.sum()), 2)
            r_rows["order_id"] = r_rows["order_id"] + "R"
            tx = pd.concat([tx, r_rows], ignore_index=True)
    tx = tx.sort_values(["timestamp", "customer_id"], kind="stable").reset_index(drop=True)

    # --- engagement events ------------------------------------------------------------------
    eng_mult = np.exp(0.8 * engagement)[cust_idx]
    ev_parts = []
    for kind, base in EVENT_BASE.items():
        hit = rng.uniform(size=m_tx) < np.minimum(base * eng_mult, 0.9)
        ev_parts.append(pd.DataFrame({"cidx": cust_idx[hit], "t": times[hit], "kind": kind}))
    hit = rng.uniform(size=m_tx) < COMPLAINT_RATE
    ev_parts.append(pd.DataFrame({"cidx": cust_idx[hit], "t": times[hit], "kind": "complaint"}))
    ev = pd.concat(ev_parts, ignore_index=True)
    ev["t"] = np.minimum(ev["t"] + rng.exponential(0.5, len(ev)), horizon - 2.0 / 86400)
    events = pd.DataFrame({
        "customer_id": ids[ev["cidx"].to_numpy(dtype=np.int64)],
        "timestamp": t_start + pd.to_timedelta(np.floor(ev["t"].to_numpy() * 86400), unit="s"),
        "kind": ev["kind"].to_numpy(),
        "channel": np.asarray(["wechat", "app", "store"])[rng.integers(0, 3, len(ev))],
    }).sort_values(["timestamp", "customer_id"], kind="stable").reset_index(drop=True)

    # --- members and cohorts ----------------------------------------------------------------
    is_mem = ~np.isnan(joined)
    mem_i = np.flatnonzero(is_mem)
    join_day = np.floor(joined[mem_i])
    end_day = np.floor(ended[mem_i])
    ended_at = pd.Series(t_start + pd.to_timedelta(np.minimum(end_day, horizon), unit="D"))
    ended_at[end_day >= horizon] = pd.NaT
    members = pd.DataFrame({
        "customer_id": ids[mem_i],
        "joined_at": t_start + pd.to_timedelta(join_day, unit="D"),
        "tier": tier_of[mem_i].astype(str) if len(mem_i) else np.array([], dtype=str),
        "fee": np.array([tiers[t]["fee"] for t in tier_of[mem_i]], dtype=float),
        "ended_at": ended_at.to_numpy(),
    }).sort_values(["joined_at", "customer_id"], kind="stable").reset_index(drop=True)
    cohorts = _cohorts(tier_of[mem_i], joined[mem_i], periods_paid[mem_i], horizon, period_days, t_start)

    customers = pd.DataFrame({
        "customer_id": ids, "first_purchase_day": t0, "purchase_rate": lam, "dropout_p": drop_p,
        "spend_nu": nu, "mean_spend": mean_spend, "heaviness": h, "engagement": engagement,
        "breadth": breadth, "join_hazard": join_hazard, "joined_day": joined, "ended_day": ended,
        "tier": tier_of, "churn_theta": theta, "periods_paid": np.where(is_mem, periods_paid, 0),
        "dropout_day": death_time,
        # the exact (continuous-time) BG/NBD statistics and repeat spend, before any rounding to days
        "x": x_exact, "t_x": tx_exact, "T": horizon - t0, "repeat_spend_mean": m_exact,
    })
    contact_table, contact_truth = _no_contacts(), _no_contacts()
    contact_summary = None
    if plan is not None:
        contact_table, contact_truth, contact_summary = _contact_tables(plan, drawn, joined, ids, t_start)
    truth = {
        "generator": "superkit.data.simulate.simulate",
        "seed": seed, "n_customers": n, "start": str(t_start.date()), "end": str(t_end.date()),
        "acquisition_days": acquisition_days, "time_unit": "D",
        "bgnbd": {"r": r, "alpha": alpha, "a": a, "b": b},
        "bgnbd_weeks": {"r": r, "alpha": alpha / 7.0, "a": a, "b": b},
        "gamma_gamma": {"p": p, "q": q, "v": v, "mean_spend": p * v / (q - 1)},
        "membership": bool(membership and join_rate > 0), "join_rate": join_rate,
        "selection": selection, "join_requires_alive": join_requires_alive, "offer_share": offer_share,
        "uplift_frequency": uplift_frequency, "uplift_spend": uplift_spend,
        "true_causal_ratio": uplift_frequency * uplift_spend,
        "period_days": period_days,
        "tiers": {k: {kk: vv for kk, vv in t.items()} for k, t in tiers.items()},
        "engagement_correlation": engagement_correlation, "refund_rate": refund_rate,
        "n_transactions": int(len(tx)), "n_members": int(len(members)),
    }
    if contact_summary is not None:
        truth["contacts"] = contact_summary
    if referral_rate > 0:
        tx, events, truth["referrals"] = _referrals(
            float(referral_rate), np.random.default_rng([seed, 11]), joined, ended, horizon, t_start, tx, events,
            n, id_prefix, dict(r=r, alpha=alpha, a=a, b=b, p=p, q=q, v=v))
        truth["n_transactions"] = int(len(tx))
    return World(tx, members, events, cohorts, customers, truth, contact_table, contact_truth)


def _referrals(rate: float, rng: np.random.Generator, joined: np.ndarray, ended: np.ndarray, horizon: float,
               t_start: pd.Timestamp, tx: pd.DataFrame, events: pd.DataFrame, n: int, id_prefix: str,
               prior: dict) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """The new customers members bring by referral (see the module docstring): the transactions and
    events with them added, and the truth."""
    mem = np.flatnonzero(~np.isnan(joined))
    lo = joined[mem]
    hi = np.minimum(np.floor(np.minimum(ended[mem], horizon)), horizon)   # to the lapse day (exclusive)
    span = np.clip(hi - lo, 0.0, None)
    k = rng.poisson(rate * span / DAYS_PER_YEAR)
    who = np.repeat(mem, k)
    first = np.repeat(lo, k) + rng.uniform(size=int(k.sum())) * np.repeat(span, k)
    lead = np.minimum(rng.uniform(0.0, 7.0, len(first)), first - joined[who])
    m = len(first)
    width = len(str(n))
    new_ids = np.asarray([f"{id_prefix}{n + 1 + j:0{width}d}" for j in range(m)], dtype=object)
    lam = rng.gamma(prior["r"], 1.0 / prior["alpha"], m)
    drop_p = rng.beta(prior["a"], prior["b"], m)
    nu = rng.gamma(prior["q"], 1.0 / prior["v"], m)
    cust, times = [], []
    for j in range(m):   # BG/NBD from the first purchase on (ordinary customers: never members)
        t = first[j]
        while t < horizon:
            cust.append(j)
            times.append(t)
            if len(times) > 1 and cust[-2] == j and rng.uniform() < drop_p[j]:
                break
            t = t + rng.exponential(1.0 / lam[j])
    cust, times = np.asarray(cust, dtype=np.int64), np.asarray(times, dtype=float)
    spend = np.maximum(np.round(rng.gamma(prior["p"], 1.0 / nu[cust]), 2), 0.01)
    clock = 7.0 / 24 + rng.uniform(size=len(times)) * (14.0 / 24)
    # the first purchase on the arrival day, never before the referral event's time of day
    day = np.floor(times)
    stamp = t_start + pd.to_timedelta(np.round((day + clock) * 86400), unit="s")
    ref_stamp = t_start + pd.to_timedelta(np.floor((first - lead) * 86400), unit="s")
    is_first = np.r_[True, cust[1:] != cust[:-1]] if len(cust) else np.zeros(0, dtype=bool)
    stamp = np.where(is_first, np.maximum(stamp, ref_stamp[cust] + pd.Timedelta(minutes=1)), stamp)
    start_no = len(tx) + 1
    new_tx = pd.DataFrame({
        "customer_id": new_ids[cust], "timestamp": pd.DatetimeIndex(stamp), "amount": spend,
        "order_id": np.char.add("O", (np.arange(len(times)) + start_no).astype(str)).astype(object),
        "category": "coffee", "brand": CATEGORIES["coffee"][0],
        "channel": np.asarray(CHANNELS)[rng.choice(3, len(times), p=[0.6, 0.25, 0.15])],
        "store": np.char.add("S", rng.integers(1, 9, len(times)).astype(str)),
    })
    last_day = t_start + pd.Timedelta(days=horizon) - pd.Timedelta(seconds=1)
    new_tx = new_tx[new_tx["timestamp"] <= last_day]
    all_ids = np.char.add(id_prefix, np.char.zfill((np.arange(n) + 1).astype(str), width))
    new_ev = pd.DataFrame({"customer_id": all_ids[who], "timestamp": ref_stamp, "kind": "referral",
                           "channel": np.asarray(["wechat", "app", "store"])[rng.integers(0, 3, m)],
                           "referred_id": new_ids})
    old_ev = events.assign(referred_id=pd.Series([None] * len(events), dtype=object, index=events.index))
    ev = pd.concat([old_ev, new_ev], ignore_index=True).sort_values(["timestamp", "customer_id"], kind="stable")
    tx = pd.concat([tx, new_tx], ignore_index=True).sort_values(["timestamp", "customer_id"], kind="stable")
    years = float(span.sum() / DAYS_PER_YEAR)
    truth = {"rate_per_member_year": rate, "n_referred": int(m), "member_years": years,
             "realised_rate": m / years if years > 0 else None, "lead_days": 7.0,
             "referred_ids": [str(i) for i in new_ids]}
    return tx.reset_index(drop=True), ev.reset_index(drop=True), truth


def _contact_plan(contacts: dict, contacts_from, t_start: pd.Timestamp, t_end: pd.Timestamp,
                  horizon: float) -> dict:
    """The checked contact settings per channel and the months of contacting (days from start)."""
    if not isinstance(contacts, dict):
        raise ParameterError("contacts", f"must be a dict of channel -> settings, got {type(contacts).__name__}",
                             fix='e.g. {"sms_email": {"monthly_share": 0.3, "conversion": 0.02}}.')
    channels = {}
    for key, cfg in contacts.items():
        _check(key in CONTACT_CHANNELS, "contacts", f"unknown channel '{key}'",
               f"use the channel keys {list(CONTACT_CHANNELS)}.")
        _check(isinstance(cfg, dict), "contacts", f"the settings of '{key}' must be a dict",
               'e.g. {"monthly_share": 0.3, "conversion": 0.02, "cost": 0.05, "target": "all"}.')
        unknown = sorted(set(cfg) - set(_SETTINGS))
        _check(not unknown, "contacts", f"unknown settings {unknown} for '{key}'", f"use {list(_SETTINGS)}.")
        c = {"target": cfg.get("target", "all"), "monthly_share": cfg.get("monthly_share"),
             "conversion": cfg.get("conversion"), "cost": cfg.get("cost", 0.0),
             "window_days": cfg.get("window_days", 30.0)}
        _check(c["target"] in CONTACT_TARGETS, "contacts", f"unknown target '{c['target']}' for '{key}'",
               f"use one of {list(CONTACT_TARGETS)}.")
        for name, span in (("monthly_share", "in [0, 1)"), ("conversion", "in [0, 1]"), ("cost", ">= 0"),
                           ("window_days", "> 0")):
            val = c[name]
            ok = isinstance(val, (int, float)) and not isinstance(val, bool) and math.isfinite(val) and {
                "monthly_share": 0 <= val < 1, "conversion": 0 <= val <= 1, "cost": val >= 0,
                "window_days": val > 0}[name]
            _check(ok, "contacts", f"'{name}' of '{key}' must be a number {span}, got {val!r}",
                   "shares and conversions are probabilities such as 0.05 (a share of 1 would contact "
                   "everyone infinitely often: use 0.99); costs are yuan per contact; windows days.")
            c[name] = float(val)
        channels[key] = c
    first = (t_end + pd.Timedelta(days=1) - pd.DateOffset(months=6)) if contacts_from is None \
        else pd.Timestamp(contacts_from)
    _check(t_start <= first <= t_end, "contacts_from", f"{first.date()} is not between start and end",
           "give a day between start and end, e.g. six months before end.")
    starts = pd.date_range(first, t_end, freq="MS")
    if len(starts) == 0 or starts[0] != first:
        starts = pd.DatetimeIndex([first]).append(starts)
    bounds = np.append(np.asarray((starts - t_start).days, dtype=float), horizon)
    return {"channels": channels, "months": bounds, "from": first}


def _draw_contacts(plan: dict, crng: np.random.Generator, t0: np.ndarray, h: np.ndarray,
                   cand_join: np.ndarray, offered: np.ndarray) -> dict:
    """Draw every contact, then walk through them in time order and move the join time of the
    customers they convert (``cand_join`` is changed in place). Returns one array per field."""
    n = len(t0)
    heavy = h >= np.quantile(h, 0.9)
    half = crng.uniform(size=n) < 0.5
    target = {"all": np.ones(n, dtype=bool), "heavy": heavy, "random_half": half}
    first_day = np.floor(t0)
    parts = []
    bounds = plan["months"]
    for m in range(len(bounds) - 1):
        lo, hi = bounds[m], bounds[m + 1]
        for k, c in enumerate(plan["channels"].values()):
            # contacts arrive at random (a Poisson process), as many a month as make ``monthly_share``
            # of the target contacted at least once: whether a customer is contacted today does not
            # depend on whether they were contacted earlier
            rate = -math.log1p(-c["monthly_share"]) * (hi - lo) / (DAYS_PER_YEAR / 12.0)
            cidx = np.repeat(np.arange(n), crng.poisson(rate, n) * target[c["target"]])
            size = len(cidx)
            day = lo + np.floor(crng.uniform(size=size) * (hi - lo))
            clock = (9.0 + 11.0 * crng.uniform(size=size)) / 24.0
            converted = crng.uniform(size=size) < c["conversion"]
            delay = crng.uniform(size=size) * c["window_days"]
            keep = day > first_day[cidx]                # only customers who have bought before that day
            parts.append(pd.DataFrame({"cidx": cidx[keep], "time": (day + clock)[keep], "k": k,
                                       "converted": converted[keep], "delay": delay[keep]}))
    d = pd.concat(parts, ignore_index=True).sort_values(["time", "k"], kind="stable")
    cidx, time, conv = d["cidx"].to_numpy(), d["time"].to_numpy(), d["converted"].to_numpy()
    k_of = d["k"].to_numpy()
    windows = np.array([c["window_days"] for c in plan["channels"].values()])
    join_at = time + d["delay"].to_numpy()
    natural = np.full(len(d), np.inf)
    moved = np.zeros(len(d), dtype=bool)
    for j in range(len(d)):                      # in time order: each contact sees the earlier ones
        i = cidx[j]
        natural[j] = cand_join[i]
        if conv[j] and offered[i] and time[j] < cand_join[i] and join_at[j] < cand_join[i]:
            cand_join[i] = join_at[j]
            moved[j] = True
    within = natural <= time + windows[k_of]     # would have joined within the window anyway
    return {"cidx": cidx, "time": time, "k": k_of, "converted": conv & offered[cidx], "join_at": join_at,
            "natural": natural, "moved": moved, "within": within}


def _contact_tables(plan: dict, drawn: dict, joined: np.ndarray, ids: np.ndarray,
                    t_start: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """The contacts table (contacts of customers not members at the contact time), the same rows
    with their truth, and the per-channel truth."""
    cidx, time = drawn["cidx"], drawn["time"]
    got = joined[cidx]                                # NaN: never joined
    keep = ~(got <= time)                             # a CRM does not contact members
    caused = drawn["moved"] & (got == drawn["join_at"]) & ~drawn["within"]
    keys = list(plan["channels"])
    k = drawn["k"][keep]
    months = pd.DatetimeIndex(t_start + pd.to_timedelta(np.floor(time[keep]), unit="D")).strftime("%Y-%m")
    channel = np.asarray(keys, dtype=object)[k]
    table = pd.DataFrame({
        "customer_id": ids[cidx[keep]],
        "timestamp": t_start + pd.to_timedelta(np.round(time[keep] * 86400), unit="s"),
        "channel": channel,
        "cost": np.array([plan["channels"][c]["cost"] for c in keys])[k] if len(k) else np.array([], dtype=float),
        "campaign": pd.Series(channel).astype(str).to_numpy() + "-" + np.asarray(months, dtype=str),
    })
    truth_frame = table.copy()
    truth_frame["converted"] = drawn["converted"][keep]
    truth_frame["natural_join_day"] = drawn["natural"][keep]
    truth_frame["caused_join"] = caused[keep]
    order = np.lexsort((table["customer_id"].to_numpy(), table["timestamp"].to_numpy()))
    table = table.iloc[order].reset_index(drop=True)
    truth_frame = truth_frame.iloc[order].reset_index(drop=True)
    per = {}
    for j, (key, c) in enumerate(plan["channels"].items()):
        sel = k == j
        n_c = int(sel.sum())
        n_caused = int(caused[keep][sel].sum())
        per[key] = {**c, "n_contacts": n_c, "n_customers": int(len(np.unique(cidx[keep][sel]))),
                    "n_caused_joins": n_caused, "realised_conversion": n_caused / n_c if n_c else float("nan")}
    summary = {"from": str(plan["from"].date()), "targets": dict(CONTACT_TARGETS),
               "n_contacts": int(keep.sum()), "n_dropped_members": int((~keep).sum()), "channels": per}
    return table, truth_frame, summary


def _cohorts(tier, joined, paid, horizon, period_days, t_start) -> pd.DataFrame:
    """Members still paying at the start of each fully observed period, by tier and join quarter.

    A member who paid ``L`` periods is active at the start of periods ``0 .. L-1``. Period ``k`` of
    a cohort is reported only when every member of the cohort had reached it by the end of data.
    """
    if len(joined) == 0:
        return pd.DataFrame({"cohort": pd.Series(dtype=str), "period": pd.Series(dtype="int64"),
                             "active": pd.Series(dtype="int64")})
    when = pd.DatetimeIndex(t_start + pd.to_timedelta(np.floor(joined), unit="D"))
    label = pd.Series(tier).astype(str).to_numpy() + " " + when.to_period("Q").astype(str).to_numpy()
    rows = []
    for lab in sorted(set(label)):
        sel = label == lab
        k_max = int(np.floor((horizon - np.floor(joined[sel]).max() - 1) / period_days))
        for k in range(0, max(k_max, 0) + 1):
            rows.append((lab, k, int((paid[sel] > k).sum())))
    return pd.DataFrame(rows, columns=["cohort", "period", "active"])
