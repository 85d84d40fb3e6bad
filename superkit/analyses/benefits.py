"""Which benefits go into each tier, what they cost, what members feel they get, and what pays.

The method designs paid-membership benefits across **six dimensions** -- exclusive price (独家价格),
discounts (优惠折扣), exclusive products (独家产品), preferential services (优惠服务), spend-based
discounts (消费折扣) and customised offers (定制优惠) -- sold in vertical tiers (V1/V2/V3 at 99/199/299
yuan a year) with keep-tier (保级) and upgrade (升级) rules and points. This module turns a benefit
catalog and the client's data into a tier design with its economics.

**Per member-year**, for tier *t* with fee ``F_t``, member spend ``S_t`` and benefits ``B_t``::

    cost_t   = sum_{b in B_t} (fixed_b + share_b * S_t)
    value_t  = sum_{b in B_t} value_b
    dS_t     = S_t * (1 - 1 / causal_ratio)          the spend the membership itself adds (notebook 04)
    profit_t = F_t + margin * dS_t - cost_t

where, from the catalog (:func:`superkit.data.contract.read_benefits`), ``fixed_b = cost_per_member
x uses_per_year x uptake``, ``share_b = cost_share_of_spend x uptake`` and ``value_b =
perceived_value x uses_per_year x uptake`` (``uses_per_year`` 1 and ``uptake`` 1 when not given).
``S_t`` is members' spend while a member, per member-year, from the data (or a parameter): it is
what members spend, so a discount's cost is a share of all of it, while only ``dS_t`` is extra
margin. **Break-even**: the incremental spend ``dS*_t = (cost_t - F_t) / margin`` at which the tier's
profit is zero, and the causal ratio ``S_t / (S_t - dS*_t)`` that would bring it, beside what 04 measured.

**The design** (:func:`superkit.models.tier_design.design_tiers`) maximises ``sum_t mix_t profit_t``
over nested tiers, with ``value_t >= value_ratio x F_t`` and at least ``min_dimensions`` of the six
covered in every tier; an infeasible catalog is explained (which tier, which rule, by how much).

**Tier rules on the data** (:func:`tier_rules`): how many members keep their tier at an annual-spend
threshold, how many would upgrade free at the method's 10,000 yuan (or another threshold), and what
upgrades cost. **Points** (:func:`points_economics`): the liability of the points members earn, and
the cost of letting part of the fee be paid in points (the method's "50 of the 99 in points").
**Survey values** (:mod:`superkit.analyses.conjoint`): willingness to pay from a conjoint survey can
replace the catalog's assumed perceived values.

**Languages**: the result's sentences (headline, notes, reasons, sources, tables) come from the
catalogue ``core/labels/05_benefit_bundles.yaml``; the JSON keeps the notes, reasons and sources in
English, and :func:`say` writes any of them in Chinese (``say(note, "zh")``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from superkit.analyses import conjoint
from superkit.analyses.result import Result
from superkit.core import i18n
from superkit.core.checks import check_choice, check_number, parse_date, require_columns
from superkit.core.constants import DAYS_PER_YEAR
from superkit.core.errors import DataError, ModelError, ParameterError
from superkit.data.store import EXACT, query, time_span
from superkit.data.spec import BENEFIT_DIMENSIONS
from superkit.models.tier_design import TierDesign, design_tiers, feasibility, tier_objective

__all__ = [
    "BenefitsResult",
    "DIMENSIONS",
    "KEEP_GRID",
    "METHOD_FEES",
    "METHOD_UPGRADE_SPEND",
    "base_profit",
    "benefit_reasons",
    "break_even",
    "catalog_per_member_year",
    "cost_matrix",
    "frontier",
    "member_spend_table",
    "points_economics",
    "resolve_causal_ratio",
    "resolve_member_spend",
    "resolve_mix",
    "run",
    "say",
    "sensitivity",
    "spend_by_tier",
    "tier_economics",
    "tier_fees",
    "tier_rules",
]

DIMENSIONS = list(BENEFIT_DIMENSIONS)
METHOD_FEES = {"V1": 99.0, "V2": 199.0, "V3": 299.0}
METHOD_UPGRADE_SPEND = 10000.0     # the method's example: 10,000 yuan in a year moves V1 -> V2 free
KEEP_GRID = (250, 500, 1000, 2000, 5000, 10000)   # annual-spend thresholds shown for keep-tier rules
_STEM = "05_benefit_bundles"   # the catalogue file of this notebook's texts


class _Said(str):
    """A sentence of the catalogue, in English as a plain string (what the JSON publishes and the
    tests read), that can be said again in another language (:meth:`in_lang`). Sentences add up
    (``a + b``) and may hold other sentences as fields."""

    def __new__(cls, key: str | None = None, parts: list | None = None, **fields):
        parts = list(parts) if parts is not None else [(key, fields)]
        self = super().__new__(cls, _render(parts, "en"))
        self.parts = parts
        return self

    def __add__(self, other):
        if isinstance(other, _Said):
            return _Said(parts=self.parts + other.parts)
        return str(self) + other

    def __reduce__(self):
        return _Said, (None, self.parts)

    def in_lang(self, lang: str) -> str:
        return _render(self.parts, lang)


def _render(parts, lang: str) -> str:
    return "".join(i18n.text(_STEM, key, lang, **{k: say(v, lang) if isinstance(v, str) else v
                                                  for k, v in fields.items()}) for key, fields in parts)


def say(sentence, lang: str = "en") -> str:
    """A sentence the analysis wrote (a note, a reason, a source) in ``lang``; other text as it is."""
    return sentence.in_lang(lang) if isinstance(sentence, _Said) else str(sentence)


def _name(row, lang: str) -> str:
    """A benefit's name: its Chinese name (catalog column ``name_zh``) in Chinese when it has one."""
    zh = row.get("name_zh") if hasattr(row, "get") else None
    return str(zh) if lang == "zh" and isinstance(zh, str) and zh.strip() else str(row["name"])


def _binding_said(b: dict, value_ratio: float) -> "_Said":
    """One failing rule of the design model (its ``binding`` entry) as a sentence."""
    if b["constraint"] == "value_ratio":
        return _Said("binding_value", tier=b["tier"], best=b["best_possible"], short=b["short_by"],
                     ratio=value_ratio, need=b["required"], max_ratio=b["max_value_ratio"])
    return _Said("binding_dims", tier=b["tier"], covered=b["best_possible"], short=b["short_by"], need=b["required"])


# ----------------------------------------------------------------------------------------------
# Inputs
# ----------------------------------------------------------------------------------------------
def tier_fees(fees) -> tuple[list[str], np.ndarray]:
    """Tier names (lowest first, as given) and their annual fees; fees must not fall."""
    if not isinstance(fees, dict) or not fees:
        raise ParameterError("fees", "must map each tier to its annual fee",
                             fix="e.g. {'V1': 99, 'V2': 199, 'V3': 299}, lowest tier first.")
    names = [str(k).strip() for k in fees]
    if len(set(names)) < len(names) or "" in names:
        raise ParameterError("fees", f"names a tier twice or leaves a name empty ({names})",
                             fix="give each tier its own name, e.g. {'V1': 99, 'V2': 199, 'V3': 299}.")
    vals = np.array([check_number(f"fees.{k}", v, low=0, fix="an annual fee in yuan, >= 0.")
                     for k, v in fees.items()], dtype=float)
    if (np.diff(vals) < 0).any():
        raise ParameterError("fees", f"fall from one tier to the next ({dict(zip(names, vals.tolist()))})",
                             fix="list the tiers from the lowest to the highest, e.g. V1: 99, V2: 199, V3: 299.")
    return names, vals


def catalog_per_member_year(benefits: pd.DataFrame, tiers: list[str],
                            values: dict | None = None) -> pd.DataFrame:
    """The catalog per member-year: ``fixed_cost``, ``spend_share``, ``value``, dimension code and
    lowest allowed tier index (see the module docstring). ``values`` (benefit id -> yuan a year)
    replaces the perceived value of the benefits it names (e.g. from a survey)."""
    require_columns(benefits, ["benefit_id", "name", "dimension", "cost_per_member", "cost_share_of_spend",
                               "perceived_value"], "benefits")
    b = benefits
    uses = b["uses_per_year"].fillna(1.0).to_numpy(float) if "uses_per_year" in b.columns else np.ones(len(b))
    uptake = b["uptake"].fillna(1.0).to_numpy(float) if "uptake" in b.columns else np.ones(len(b))
    out = pd.DataFrame({
        "benefit_id": b["benefit_id"].astype(str).to_numpy(),
        "name": b["name"].astype(str).to_numpy(),
        "name_zh": (b["name_zh"].fillna("").astype(str).to_numpy() if "name_zh" in b.columns
                    else np.full(len(b), "")),
        "dimension": b["dimension"].astype(str).to_numpy(),
        "fixed_cost": b["cost_per_member"].to_numpy(float) * uses * uptake,
        "spend_share": b["cost_share_of_spend"].to_numpy(float) * uptake,
        "value": b["perceived_value"].to_numpy(float) * uses * uptake,
    })
    out["catalog_value"] = out["value"]
    if values:
        hit = out["benefit_id"].isin(list(values))
        out.loc[hit, "value"] = out.loc[hit, "benefit_id"].map(values).astype(float)
    unknown = sorted(set(out["dimension"]) - set(DIMENSIONS))
    if unknown:
        raise DataError(f"unknown benefit dimensions {unknown}", source="benefits", column="dimension",
                        fix="read the catalog with superkit.data (load_tables or read_benefits).")
    out["dim_code"] = [DIMENSIONS.index(d) for d in out["dimension"]]
    if "min_tier" in b.columns:
        mt = b["min_tier"].astype(object).where(b["min_tier"].notna(), None).to_numpy()
    else:
        mt = np.full(len(b), None, dtype=object)
    bad = [(i, t) for i, t in zip(out["benefit_id"], mt) if t is not None and str(t) not in tiers]
    if bad:
        raise DataError(f"min_tier names tiers that are not in fees ({sorted({t for _, t in bad})})",
                        source="benefits", column="min_tier", rows=len(bad), examples=[i for i, _ in bad[:3]],
                        fix=f"use one of the tiers {tiers}, or leave min_tier empty.")
    out["min_tier"] = [None if t is None else str(t) for t in mt]
    out["min_tier_index"] = [0 if t is None else tiers.index(str(t)) for t in mt]
    return out


def cost_matrix(catalog: pd.DataFrame, member_spend) -> np.ndarray:
    """``cost[b, t] = fixed_b + share_b * S_t`` per member-year."""
    S = np.asarray(member_spend, dtype=float)
    return catalog["fixed_cost"].to_numpy(float)[:, None] + catalog["spend_share"].to_numpy(float)[:, None] * S[None, :]


def member_spend_table(transactions: pd.DataFrame, members: pd.DataFrame, observation_end=None) -> pd.DataFrame:
    """One row per member: ``tier``, days as a member inside the data's window, spend while a
    member, and ``annual_spend`` (spend per member-year).

    The window runs from the first transaction to ``observation_end`` (default: the last
    transaction's day, inclusive); a membership counts from ``joined_at`` to ``ended_at`` (or the
    window's end), clipped to the window.
    """
    require_columns(transactions, ["customer_id", "timestamp", "amount"], "transactions")
    require_columns(members, ["customer_id", "joined_at"], "members")
    if len(transactions) == 0:
        raise DataError("no transactions", source="transactions", fix="give the purchase history.")
    first, last = time_span(transactions)
    start = first.normalize()
    end = pd.Timestamp(parse_date(observation_end, "observation_end", default=lambda: last)).normalize()
    stop = end + pd.Timedelta(days=1)
    ns = "datetime64[ns]"
    joined = np.asarray(pd.DatetimeIndex(members["joined_at"]).normalize(), dtype=ns)
    ended = (np.asarray(pd.DatetimeIndex(members["ended_at"]).normalize(), dtype=ns)
             if "ended_at" in members.columns else np.full(len(members), np.datetime64("NaT"), dtype=ns))
    a = np.maximum(joined, np.datetime64(start, "ns"))
    b = np.where(np.isnat(ended), np.datetime64(stop, "ns"), np.minimum(ended, np.datetime64(stop, "ns")))
    days = np.clip((b - a) / np.timedelta64(1, "D"), 0, None).astype(float)
    ids = members["customer_id"].astype(str).to_numpy()
    pos = pd.Series(np.arange(len(ids)), index=ids)
    # each member's spend inside their membership, summed in SQL (only members' rows are read)
    spans = pd.DataFrame({"k": np.arange(len(ids)), "customer_id": ids.astype(object), "a": a, "b": b})
    got = query(transactions, f"""SELECT s.k, SUM({EXACT}) AS spend FROM {{tx}} t JOIN {{spans}} s
                                  USING (customer_id) WHERE t."timestamp" >= s.a AND t."timestamp" < s.b
                                  GROUP BY s.k""", spans=spans)
    spend = np.zeros(len(ids))
    spend[got["k"].to_numpy(int)] = got["spend"].to_numpy(float)
    tier = (members["tier"].astype(object).where(members["tier"].notna(), None).to_numpy()
            if "tier" in members.columns else np.full(len(ids), None, dtype=object))
    out = pd.DataFrame({"customer_id": ids, "tier": tier, "member_days": days, "spend": spend})
    with np.errstate(divide="ignore", invalid="ignore"):
        out["annual_spend"] = np.where(days > 0, spend / (days / DAYS_PER_YEAR), np.nan)
    out.attrs["window"] = (str(start.date()), str(end.date()))
    return out


def spend_by_tier(per_member: pd.DataFrame) -> pd.DataFrame:
    """Per tier: members, member-years, spend while a member, and spend per member-year
    (total spend / total member-years: members who stayed longer weigh more, as they should)."""
    df = per_member[per_member["member_days"] > 0]
    key = df["tier"].fillna("(no tier)") if "tier" in df.columns else pd.Series("(all)", index=df.index)
    g = df.groupby(key.to_numpy()).agg(n_members=("customer_id", "size"), member_days=("member_days", "sum"),
                                       spend=("spend", "sum"))
    g["member_years"] = g["member_days"] / DAYS_PER_YEAR
    g["annual_spend"] = g["spend"] / g["member_years"]
    return g.drop(columns="member_days")


def resolve_member_spend(tiers: list[str], member_spend: dict | None, per_member: pd.DataFrame | None
                         ) -> tuple[np.ndarray, list[str]]:
    """``S_t`` per tier with where each came from: the parameter where it names the tier, else the
    data (members of that tier; all members when the members table has no tiers)."""
    given = {str(k): v for k, v in (member_spend or {}).items()}
    unknown = sorted(set(given) - set(tiers))
    if unknown:
        raise ParameterError("member_spend", f"names tiers {unknown} that are not in fees",
                             fix=f"use the tiers {tiers}.")
    table = spend_by_tier(per_member) if per_member is not None and (per_member["member_days"] > 0).any() else None
    has_tiers = per_member is not None and "tier" in per_member.columns and per_member["tier"].notna().any()
    S, source = [], []
    for t in tiers:
        if t in given:
            S.append(check_number(f"member_spend.{t}", given[t], low=0, fix="yuan a member spends a year."))
            source.append(_Said("src_parameter"))
        elif table is not None and has_tiers and t in table.index:
            S.append(float(table.loc[t, "annual_spend"]))
            source.append(_Said("src_data_tier", n=int(table.loc[t, "n_members"]), tier=t))
        elif table is not None and not has_tiers:
            total = table["spend"].sum() / table["member_years"].sum()
            S.append(float(total))
            source.append(_Said("src_data_all"))
        else:
            n_listed = 0 if per_member is None or "tier" not in per_member.columns else \
                int((per_member["tier"] == t).sum())
            why = ("no transactions and members were given" if per_member is None
                   else f"its {n_listed:,} members have no day of membership inside the data's window "
                        f"{per_member.attrs.get('window')} (check observation_end)" if n_listed
                   else f"the members table has no {t} members")
            raise DataError(f"no member spend for tier {t}: {why}", source="member_spend",
                            fix=f"give member_spend, e.g. {{'{t}': 1500}} (yuan a member spends a year), "
                                "or the transactions and members tables.")
    return np.array(S, dtype=float), source


def resolve_mix(tiers: list[str], mix: dict | None, per_member: pd.DataFrame | None) -> tuple[np.ndarray, str]:
    """Shares of members per tier (normalised to 1): the parameter, else the members' tiers in the
    data, else equal shares."""
    if mix:
        given = {str(k): v for k, v in mix.items()}
        unknown = sorted(set(given) - set(tiers))
        if unknown:
            raise ParameterError("mix", f"names tiers {unknown} that are not in fees", fix=f"use the tiers {tiers}.")
        missing = [t for t in tiers if t not in given]
        if missing:
            raise ParameterError("mix", f"gives no share for {missing}",
                                 fix="give every tier of fees a share (0 for a tier not sold yet), "
                                     "e.g. {'V1': 0.6, 'V2': 0.3, 'V3': 0.1}.")
        w = np.array([check_number(f"mix.{t}", given[t], low=0, fix="a share of members, >= 0.")
                      for t in tiers])
        if w.sum() <= 0:
            raise ParameterError("mix", "gives every tier a share of 0", fix="e.g. {'V1': 0.6, 'V2': 0.3, 'V3': 0.1}.")
        return w / w.sum(), _Said("src_parameter")
    if per_member is not None and "tier" in per_member.columns:
        counts = per_member["tier"].value_counts()
        w = np.array([float(counts.get(t, 0)) for t in tiers])
        if w.sum() > 0:
            return w / w.sum(), _Said("src_mix_data")
    return np.full(len(tiers), 1.0 / len(tiers)), _Said("src_mix_equal")


def resolve_causal_ratio(causal_ratio, tables=None) -> dict:
    """The causal spend ratio of joining: the parameter when given, else what notebook 04 published
    earlier in the same report, else 1.0 (no incremental spend) with a warning."""
    if causal_ratio is not None and str(causal_ratio).strip() != "":
        r = check_number("causal_ratio", causal_ratio, low=0, low_open=True,
                         fix="spend with membership / without, e.g. 1.4 (04's causal_ratio).")
        return {"value": r, "ci": None, "source": _Said("src_parameter"), "warning": None}
    earlier = tables.result("04_spend_uplift") if tables is not None else None
    if earlier and earlier.get("causal_ratio") is not None:
        ci = earlier.get("causal_ratio_ci")
        ok = isinstance(ci, (list, tuple)) and len(ci) == 2 and all(
            isinstance(v, (int, float)) and np.isfinite(v) and v > 0 for v in ci)
        return {"value": float(earlier["causal_ratio"]), "ci": [float(v) for v in ci] if ok else None,
                "source": _Said("src_04"), "warning": None if ok else _Said("note_04_no_ci")}
    return {"value": 1.0, "ci": None, "source": _Said("src_assumed"), "warning": _Said("note_no_causal")}


# ----------------------------------------------------------------------------------------------
# Economics
# ----------------------------------------------------------------------------------------------
def base_profit(fees, margin: float, member_spend, causal_ratio: float) -> np.ndarray:
    """What a member-year of each tier brings before its benefits' cost: the fee plus the margin on
    the spend the membership adds, ``F_t + margin * S_t * (1 - 1 / causal_ratio)``."""
    S = np.asarray(member_spend, dtype=float)
    return np.asarray(fees, dtype=float) + margin * S * (1.0 - 1.0 / causal_ratio)


def break_even(cost, fee, margin: float, member_spend) -> tuple[np.ndarray, np.ndarray]:
    """Incremental spend per member-year at which profit is zero, ``(cost - fee) / margin``, and
    the causal ratio that brings it, ``S / (S - dS*)`` (1 or less when the fee alone pays; NaN when
    no ratio can, ``dS* >= S``)."""
    cost, fee, S = (np.asarray(x, dtype=float) for x in (cost, fee, member_spend))
    ds = (cost - fee) / margin
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(ds < S, S / (S - ds), np.nan)
    return ds, ratio


def tier_economics(holds, catalog: pd.DataFrame, tiers: list[str], fees, mix, member_spend,
                   margin: float, causal_ratio: float) -> pd.DataFrame:
    """One row per tier: fee, mix, member spend, incremental spend and margin, benefit cost (fixed
    and spend-linked), perceived value and its ratio to the fee, profit, break-even, dimensions."""
    holds = np.asarray(holds, dtype=bool)
    S = np.asarray(member_spend, dtype=float)
    fees = np.asarray(fees, dtype=float)
    fixed = catalog["fixed_cost"].to_numpy(float) @ holds
    spend_cost = (catalog["spend_share"].to_numpy(float) @ holds) * S
    value = catalog["value"].to_numpy(float) @ holds
    dS = S * (1.0 - 1.0 / causal_ratio)
    cost = fixed + spend_cost
    profit = base_profit(fees, margin, S, causal_ratio) - cost
    be_ds, be_ratio = break_even(cost, fees, margin, S)
    dims = [sorted(set(catalog.loc[holds[:, t], "dimension"])) for t in range(len(tiers))]
    return pd.DataFrame({
        "fee": fees, "mix": np.asarray(mix, dtype=float), "member_spend": S, "incremental_spend": dS,
        "incremental_margin": margin * dS, "fixed_cost": fixed, "spend_cost": spend_cost, "cost": cost,
        "perceived_value": value, "value_to_fee": np.where(fees > 0, value / np.where(fees > 0, fees, 1), np.nan),
        "profit": profit, "break_even_incremental_spend": be_ds, "break_even_causal_ratio": be_ratio,
        "n_benefits": holds.sum(axis=0), "n_dimensions": [len(d) for d in dims],
        "dimensions": [", ".join(d) for d in dims],
    }, index=pd.Index(tiers, name="tier"))


def _solve(catalog, tiers, fees, mix, S, base, value_ratio, min_dimensions, prefer_value=True, forced=None):
    return design_tiers(cost_matrix(catalog, S), catalog["value"].to_numpy(float),
                        catalog["dim_code"].to_numpy(int), fees, mix, base=base,
                        min_tier=catalog["min_tier_index"].to_numpy(int), value_ratio=value_ratio,
                        min_dimensions=min_dimensions, n_dimensions=len(DIMENSIONS), tier_names=tiers,
                        prefer_value=prefer_value, forced=forced)


def benefit_reasons(catalog, tiers, fees, mix, S, base, value_ratio: float, min_dimensions: int,
                    design: TierDesign) -> pd.DataFrame:
    """Why each benefit is where the design put it, as the profit it costs to decide otherwise.

    For a benefit the design holds from tier k: the best design without it (lower profit, or no
    design at all when it is needed to meet a rule) and, when k is above its lowest allowed tier,
    the best design holding it from there. For a benefit left out: the best design that holds it from
    its lowest allowed tier. Each is re-optimised, so the number is exact: yuan of mix-weighted
    profit per member-year.
    """
    rows = []
    B = len(catalog)
    for b in range(B):
        r = catalog.iloc[b]
        k = int(design.lowest[b])
        lo = int(r["min_tier_index"])
        forced = np.full(B, -2)
        if k >= 0:
            forced[b] = -1
            alt = _solve(catalog, tiers, fees, mix, S, base, value_ratio, min_dimensions, prefer_value=False,
                         forced=forced)
            if alt.status != "optimal":
                why = _binding_said(alt.binding[0], value_ratio) if alt.binding else alt.reason.split(";")[0]
                effect, text = None, _Said("why_needed", tier=tiers[k], why=why)
            else:
                effect = design.objective - alt.objective
                text = (_Said("why_in", tier=tiers[k], effect=effect) if effect > 0.05 else
                        _Said("why_free", tier=tiers[k], value=r["value"]))
            if k > lo:
                forced[b] = lo
                early = _solve(catalog, tiers, fees, mix, S, base, value_ratio, min_dimensions,
                               prefer_value=False, forced=forced)
                if early.status == "optimal" and design.objective - early.objective > 0.05:
                    text += _Said("why_early", tier=tiers[lo], effect=design.objective - early.objective)
        else:
            forced[b] = lo
            alt = _solve(catalog, tiers, fees, mix, S, base, value_ratio, min_dimensions, prefer_value=False,
                         forced=forced)
            effect = design.objective - alt.objective if alt.status == "optimal" else None
            text = (_Said("why_out", tier=tiers[lo], effect=effect, cost=r["fixed_cost"] + r["spend_share"] * S[lo],
                          value=r["value"]) if effect is not None else _Said("why_out_plain"))
        rows.append({"benefit_id": r["benefit_id"], "name": r["name"], "name_zh": r.get("name_zh", ""),
                     "lowest_tier": tiers[k] if k >= 0 else None, "profit_at_stake": effect, "reason": text})
    out = pd.DataFrame(rows)
    out.attrs["said"] = [r["reason"] for r in rows]   # the sentences, to say them in another language
    return out


def frontier(catalog, tiers, fees, mix, S, base, min_dimensions: int, ratios=None) -> pd.DataFrame:
    """Best mix-weighted profit (and its cost and value) as ``value_ratio`` varies, up to the
    largest feasible ratio."""
    allowed = catalog["min_tier_index"].to_numpy(int)[:, None] <= np.arange(len(tiers))[None, :]
    vmax = catalog["value"].to_numpy(float) @ allowed
    positive = np.asarray(fees) > 0
    top = float(np.min(vmax[positive] / np.asarray(fees)[positive])) if positive.any() else 4.0
    covered, _, _ = feasibility(catalog["value"].to_numpy(float), catalog["dim_code"].to_numpy(int),
                                catalog["min_tier_index"].to_numpy(int), fees, 0.0, min_dimensions,
                                len(DIMENSIONS))
    if ratios is None:
        ratios = np.unique(np.round(np.r_[np.linspace(0, max(min(top, 6.0), 0.5), 17), top], 6))
    rows = []
    for r in ratios:
        d = _solve(catalog, tiers, fees, mix, S, base, float(r), min_dimensions, prefer_value=False)
        ok = d.status == "optimal"
        rows.append({"value_ratio": float(r), "feasible": ok, "objective": d.objective if ok else np.nan,
                     "cost": float(np.asarray(mix) @ d.cost) if ok else np.nan,
                     "value": float(np.asarray(mix) @ d.value) if ok else np.nan,
                     **{f"profit_{t}": (float(d.profit[i]) if ok else np.nan) for i, t in enumerate(tiers)}})
    out = pd.DataFrame(rows)
    # the largest value rule any design meets; None when the coverage rule fails whatever the value rule
    out.attrs["max_value_ratio"] = top if covered else None
    return out


def sensitivity(catalog, tiers, fees, mix, S, holds, margin: float, causal: dict, value_ratio: float,
                min_dimensions: int, cost_change: float = 0.5) -> dict:
    """How profit per tier moves with the margin and the causal ratio (the design does not depend on
    either: they change only what the fee and the extra spend bring), and how the best profit moves
    when each chosen benefit's cost is ``cost_change`` lower or higher (re-optimised)."""
    fees = np.asarray(fees, dtype=float)
    cost_t = (cost_matrix(catalog, S) * np.asarray(holds, float)).sum(axis=0)
    r0 = causal["value"]
    margins = np.round(np.linspace(max(0.05, margin - 0.3), min(1.0, margin + 0.3), 13), 4)
    ci = causal.get("ci")
    lo_r = min(1.0, r0 * 0.8, (ci[0] * 0.9) if ci else 1.0)
    hi_r = max(2.0, r0 * 1.25, (ci[1] * 1.1) if ci else 0.0)
    ratios = np.round(np.linspace(lo_r, hi_r, 21), 4)

    def profit_at(m, r):
        return base_profit(fees, m, S, r) - cost_t

    by_margin = [{"margin": float(m), **dict(zip(tiers, profit_at(m, r0).tolist()))} for m in margins]
    by_ratio = [{"causal_ratio": float(r), **dict(zip(tiers, profit_at(margin, r).tolist()))} for r in ratios]
    base = base_profit(fees, margin, S, r0)
    best = tier_objective(holds, cost_matrix(catalog, S), catalog["value"].to_numpy(float), fees, mix, base)[0]
    rows = []
    used = np.flatnonzero(np.asarray(holds).any(axis=1))
    candidates = used if len(used) else np.arange(len(catalog))
    for b in candidates:
        out = {"benefit_id": catalog["benefit_id"].iloc[b], "name": catalog["name"].iloc[b],
               "name_zh": catalog["name_zh"].iloc[b] if "name_zh" in catalog.columns else ""}
        for side, f in (("low", 1 - cost_change), ("high", 1 + cost_change)):
            cat = catalog.copy()
            cat.loc[cat.index[b], ["fixed_cost", "spend_share"]] *= f
            d = _solve(cat, tiers, fees, mix, S, base, value_ratio, min_dimensions, prefer_value=False)
            out[f"objective_{side}"] = float(d.objective) if d.status == "optimal" else np.nan
        out["swing"] = abs(out["objective_high"] - out["objective_low"])
        rows.append(out)
    tornado = pd.DataFrame(rows).sort_values("swing", ascending=False).reset_index(drop=True) if rows else \
        pd.DataFrame(columns=["benefit_id", "name", "name_zh", "objective_low", "objective_high", "swing"])
    # one comparable number per input: the range of the mix-weighted profit over a plausible range
    mixv = np.asarray(mix, dtype=float)

    def objective_at(m, r):
        return float(mixv @ profit_at(m, r))

    r_lo, r_hi = (causal["ci"] if causal.get("ci") else (max(1e-6, r0 - 0.2), r0 + 0.2))
    m_lo, m_hi = max(0.0, margin - 0.1), min(1.0, margin + 0.1)
    swings = {"margin": {"range": [m_lo, m_hi], "objective": [objective_at(m_lo, r0), objective_at(m_hi, r0)]},
              "causal_ratio": {"range": [float(r_lo), float(r_hi)],
                               "objective": [objective_at(margin, r_lo), objective_at(margin, r_hi)]}}
    if len(tornado):
        top = tornado.iloc[0]
        swings["benefit_cost"] = {"benefit_id": top["benefit_id"], "name": top["name"], "name_zh": top["name_zh"],
                                  "range": [1 - cost_change, 1 + cost_change],
                                  "objective": [top["objective_low"], top["objective_high"]]}
    for v in swings.values():
        v["swing"] = float(abs(v["objective"][1] - v["objective"][0]))
    swings = dict(sorted(swings.items(), key=lambda kv: -kv[1]["swing"]))   # the input that moves profit most first
    return {"margin": pd.DataFrame(by_margin), "causal_ratio": pd.DataFrame(by_ratio),
            "benefit_cost": tornado, "objective": float(best), "cost_change": float(cost_change),
            "swings": swings}


# ----------------------------------------------------------------------------------------------
# Tier rules and points, on the members' own spend
# ----------------------------------------------------------------------------------------------
def tier_rules(per_member: pd.DataFrame, tiers: list[str], holds, catalog: pd.DataFrame,
               keep_tier_spend: dict | None = None, upgrade_spend: float = METHOD_UPGRADE_SPEND,
               min_member_days: int = 90) -> dict:
    """Keep-tier (保级) and upgrade (升级) rules read on members' annual spend.

    Members with at least ``min_member_days`` of membership count (shorter spans annualise
    noise). **Keep tier**: members of tier t whose annual spend reaches ``keep_tier_spend[t]``.
    **Upgrade**: members below the top tier whose annual spend reaches ``upgrade_spend`` move up one
    tier free; the cost of each upgrade is the higher tier's extra benefits at the member's own spend
    (the fee stays the lower one). Also the spend that the top 10% of each tier reach.
    """
    check_number("upgrade_spend", upgrade_spend, low=0, low_open=True, fix="e.g. 10000 (the method's example).")
    check_number("min_member_days", min_member_days, low=0, integer=True, fix="e.g. 90.")
    keep = {str(k): v for k, v in (keep_tier_spend or {}).items()}
    unknown = sorted(set(keep) - set(tiers))
    if unknown:
        raise ParameterError("keep_tier_spend", f"names tiers {unknown} that are not in fees",
                             fix=f"use the tiers {tiers}.")
    df = per_member[(per_member["member_days"] >= min_member_days) & per_member["tier"].isin(tiers)]
    holds = np.asarray(holds, dtype=bool)
    fixed = catalog["fixed_cost"].to_numpy(float) @ holds
    share = catalog["spend_share"].to_numpy(float) @ holds
    out = {"min_member_days": int(min_member_days), "upgrade_spend": float(upgrade_spend), "tiers": {},
           "keep_curve": []}
    for thr in KEEP_GRID:
        row = {"threshold": float(thr)}
        for t in tiers:
            s = df.loc[df["tier"] == t, "annual_spend"].to_numpy(float)
            row[t] = float((s >= thr).mean()) if len(s) else None
        out["keep_curve"].append(row)
    for i, t in enumerate(tiers):
        s = df.loc[df["tier"] == t, "annual_spend"].to_numpy(float)
        row = {"n_members": int(len(s)),
               "median_annual_spend": float(np.median(s)) if len(s) else None,
               "top10_annual_spend": float(np.quantile(s, 0.9)) if len(s) else None}
        if t in keep:
            thr = check_number(f"keep_tier_spend.{t}", keep[t], low=0, fix="yuan of spend a year.")
            n_keep = int((s >= thr).sum())
            row.update(keep_threshold=thr, n_keep=n_keep, share_keep=(n_keep / len(s)) if len(s) else None)
        if i < len(tiers) - 1:
            up = s >= upgrade_spend
            extra = (fixed[i + 1] - fixed[i]) + (share[i + 1] - share[i]) * s[up]
            row.update(n_upgrade=int(up.sum()), share_upgrade=(float(up.mean()) if len(s) else None),
                       upgrade_to=tiers[i + 1],
                       upgrade_cost_per_member=(float(extra.mean()) if up.any() else None),
                       upgrade_cost_total=float(extra.sum()))
        out["tiers"][t] = row
    return out


def points_economics(per_member: pd.DataFrame | None, tiers: list[str], member_spend, fees,
                     points_per_yuan: float = 1.0, yuan_per_point: float = 0.01, breakage: float = 0.3,
                     fee_in_points: dict | None = None, min_member_days: int = 90) -> dict:
    """What points cost, and what it costs to let part of the fee be paid in points.

    Members earn ``points_per_yuan`` points per yuan spent; a point redeems for ``yuan_per_point``
    yuan; a share ``breakage`` of points is never redeemed. Per member-year of tier t, the points
    liability is ``S_t x points_per_yuan x yuan_per_point x (1 - breakage)``. Letting ``fee_in_points[t]``
    yuan of the fee be paid in points: members whose year of points is worth at least that much pay
    it so; the cash fee falls by that amount for them, while the points they use would otherwise
    have been redeemed with probability ``1 - breakage`` -- so the net cost is
    ``fee_in_points x breakage`` per member who uses the option (the breakage given up), assuming the
    member would have renewed and paid cash anyway.
    """
    ppy = check_number("points_per_yuan", points_per_yuan, low=0, fix="e.g. 1 (1 point per yuan).")
    ypp = check_number("yuan_per_point", yuan_per_point, low=0, low_open=True, fix="e.g. 0.01 (100 points = 1 yuan).")
    brk = check_number("breakage", breakage, low=0, high=1, fix="the share of points never redeemed, e.g. 0.3.")
    fip = {str(k): v for k, v in (fee_in_points or {}).items()}
    S = np.asarray(member_spend, dtype=float)
    fees = np.asarray(fees, dtype=float)
    out = {"points_per_yuan": ppy, "yuan_per_point": ypp, "breakage": brk,
           "reward_rate": ppy * ypp, "tiers": {}, "notes": []}
    unknown = sorted(set(fip) - set(tiers))
    if unknown:   # e.g. the method's {"V1": 50} with tiers named otherwise: say so, do not stop the design
        out["notes"].append(_Said("note_points_unknown", tiers=", ".join(unknown)))
    for i, t in enumerate(tiers):
        row = {"points_per_member_year": float(S[i] * ppy),
               "liability_per_member_year": float(S[i] * ppy * ypp * (1 - brk))}
        if t in fip:
            part = check_number(f"fee_in_points.{t}", fip[t], low=0, fix=f"yuan of the {t} fee payable in points.")
            if part > fees[i]:
                out["notes"].append(_Said("note_points_too_much", tier=t, part=part, fee=fees[i]))
                out["tiers"][t] = row
                continue
            row.update(fee_in_points=part, points_needed=part / ypp)
            able = None
            if per_member is not None and "tier" in per_member.columns:
                s = per_member.loc[(per_member["tier"] == t) & (per_member["member_days"] >= min_member_days),
                                   "annual_spend"].to_numpy(float)
                if len(s):
                    able = float((s * ppy * ypp >= part).mean())
            if able is None:
                able = float(S[i] * ppy * ypp >= part)
            row.update(share_able_to_pay=able, cash_fee_forgone_per_member=able * part,
                       net_cost_per_member=able * part * brk)
        out["tiers"][t] = row
    return out


# ----------------------------------------------------------------------------------------------
# Result and run
# ----------------------------------------------------------------------------------------------
@dataclass
class BenefitsResult(Result):
    """The tier design, its economics, the frontier, sensitivity, tier rules, points and survey."""

    tiers: list
    catalog: pd.DataFrame              # per member-year, with the chosen lowest tier
    design: TierDesign
    economics: pd.DataFrame | None     # per tier (None when infeasible)
    frontier: pd.DataFrame
    sensitivity: dict | None
    tier_rules: dict | None
    points: dict
    causal: dict
    margin: float
    value_ratio: float
    min_dimensions: int
    member_spend_source: list
    mix_source: str
    per_member: pd.DataFrame | None = None
    survey: conjoint.SurveyEstimate | None = None
    survey_applied: list = field(default_factory=list)
    catalog_only: TierDesign | None = None   # the design with the catalog's values, when a survey replaced them
    reasons: pd.DataFrame | None = None      # why each benefit is where it is (benefit_reasons)
    notes: list = field(default_factory=list)
    observation_end: str | None = None

    @property
    def status(self) -> str:
        return self.design.status

    def tier_bundles(self, lang: str = "en") -> pd.DataFrame:
        """Per tier: the benefits it holds and the dimensions they cover (the table for a deck), with
        headers and names in ``lang``."""
        if self.design.status != "optimal":
            return pd.DataFrame()
        lang = i18n.check_language(lang)
        dim_name = {d: BENEFIT_DIMENSIONS[d][1 if lang == "zh" else 0] for d in DIMENSIONS}
        rows = []
        for i, t in enumerate(self.tiers):
            held = self.catalog[self.design.holds[:, i]]
            dims = [d for d in DIMENSIONS if d in set(held["dimension"])]
            rows.append({"tier": t, "fee_year": f"{self.economics.loc[t, 'fee']:,.0f}",
                         "benefits": i18n.join([_name(r, lang) for _, r in held.iterrows()], lang),
                         "dimensions_covered": i18n.text(_STEM, "dims_covered", lang, n=len(dims),
                                                         names=i18n.join([dim_name[d] for d in dims], lang))})
        out = pd.DataFrame(rows).set_index("tier")
        out.index.name = i18n.text(_STEM, "col_tier", lang)
        return out.rename(columns=i18n.column_labels(_STEM, out.columns, lang))

    def economics_table(self, lang: str = "en") -> pd.DataFrame:
        """The economics per tier with labels and units, one column per tier (yuan per member-year)."""
        if self.economics is None:
            return pd.DataFrame()
        lang = i18n.check_language(lang)
        e = self.economics
        rows = {i18n.text(_STEM, f"row_{k}", lang): e[k] for k in (
            "fee", "member_spend", "incremental_spend", "incremental_margin", "cost", "fixed_cost", "spend_cost",
            "perceived_value", "profit")}
        rows[i18n.text(_STEM, "row_break_even_spend", lang)] = e["break_even_incremental_spend"]
        out = pd.DataFrame(rows).T.apply(lambda col: col.map(lambda v: f"{v:,.0f}"))
        out.loc[i18n.text(_STEM, "row_value_to_fee", lang)] = [
            i18n.value_text({"format": "multiple"}, v, lang) for v in e["value_to_fee"]]
        out.loc[i18n.text(_STEM, "row_break_even_ratio", lang)] = [
            (i18n.text(_STEM, "fee_covers_it", lang) if r <= 1 else f"{r:.2f}") if r == r
            else i18n.text(_STEM, "no_ratio", lang) for r in e["break_even_causal_ratio"]]
        out.columns = [i18n.text(_STEM, "col_tier_fee", lang, tier=t, fee=f) for t, f in zip(e.index, e["fee"])]
        return out

    def break_even_lines(self, lang: str = "en") -> list[str]:
        """One sentence per tier: what extra spend it needs to pay, against what the membership adds."""
        if self.economics is None:
            return []
        r0, lines = self.causal["value"], []
        for t in self.tiers:
            r = self.economics.loc[t]
            need, ratio = r["break_even_incremental_spend"], r["break_even_causal_ratio"]
            if need <= 0:
                verdict = i18n.text(_STEM, "be_spare", lang, spare=-need)
            elif np.isfinite(ratio):
                verdict = i18n.text(_STEM, "be_needs", lang, need=need, ratio=ratio)
            else:
                verdict = i18n.text(_STEM, "be_never", lang, need=need)
            lines.append(i18n.text(_STEM, "be_line", lang, tier=t, fee=r["fee"], verdict=verdict,
                                   adds=r["incremental_spend"], ratio=r0))
        return lines

    def upgrade_lines(self, lang: str = "en") -> list[str]:
        """One sentence per tier below the top: members who reach the upgrade threshold, and the cost."""
        if self.tier_rules is None:
            return []
        thr = self.tier_rules["upgrade_spend"]
        return [i18n.text(_STEM, "upgrade_line", lang, tier=t, n_up=v["n_upgrade"], n=v["n_members"], spend=thr,
                          to=v["upgrade_to"],
                          cost=("" if v["upgrade_cost_per_member"] is None else
                                i18n.text(_STEM, "upgrade_cost", lang, cost=v["upgrade_cost_per_member"])))
                for t, v in self.tier_rules["tiers"].items() if "n_upgrade" in v]

    def reason_lines(self, lang: str = "en") -> list[str]:
        """One bullet per benefit: why it is where the design put it (names in ``lang``)."""
        if self.reasons is None:
            return []
        said = self.reasons.attrs.get("said") or list(self.reasons["reason"])
        return [i18n.text(_STEM, "reason_line", lang, name=_name(r, lang), reason=say(w, lang))
                for (_, r), w in zip(self.reasons.iterrows(), said)]

    def reason_text(self, lang: str = "en") -> str:
        """Why no design meets the rules, in ``lang`` (empty when one does)."""
        if self.design.status == "optimal":
            return ""
        if i18n.check_language(lang) == "en" or not self.design.binding:
            return self.design.reason
        return "；".join(say(_binding_said(b, self.value_ratio), lang) for b in self.design.binding)

    def inputs_text(self, lang: str = "en") -> str:
        """The inputs the design used, its warnings as bullets, and why no design exists when none
        does: the page's first text, in ``lang``."""
        c = self.causal
        ci = "" if not c["ci"] else i18n.text(_STEM, "inputs_ci", lang, low=c["ci"][0], high=c["ci"][1])
        spend = [i18n.text(_STEM, "inputs_spend", lang, tier=t, source=say(s, lang))
                 for t, s in zip(self.tiers, self.member_spend_source)]
        lines = [i18n.text(_STEM, "inputs", lang, n=len(self.catalog), ratio=c["value"], ci=ci,
                           source=say(c["source"], lang), margin=self.margin,
                           spend=("；" if i18n.check_language(lang) == "zh" else "; ").join(spend),
                           mix=say(self.mix_source, lang))]
        lines += [f"* ⚠ {say(n, lang)}" for n in self.notes]
        if self.design.status != "optimal":
            lines.append("\n" + i18n.text(_STEM, "no_design", lang, reason=self.reason_text(lang)))
        return "\n".join(lines)

    def survey_table(self) -> pd.DataFrame:
        """Per surveyed benefit: the catalog's assumed value, the survey's willingness to pay and
        its interval (yuan a member-year)."""
        if self.survey is None:
            return pd.DataFrame()
        cat = self.catalog.set_index("benefit_id")
        match = conjoint.match_ids(cat.index, self.survey.wtp.index)
        rows = []
        for a, r in self.survey.wtp.iterrows():
            b = match[a]
            rows.append({"benefit_id": b or a, "name": cat.loc[b, "name"] if b else a,
                         "name_zh": cat.loc[b, "name_zh"] if b else "",
                         "catalog value": float(cat.loc[b, "catalog_value"]) if b else float("nan"),
                         "survey WTP": r["wtp"], "95% low": r["lower"], "95% high": r["upper"],
                         "used": b in self.survey_applied})
        return pd.DataFrame(rows)

    def points_table(self, lang: str = "en") -> pd.DataFrame:
        """Points per tier, labelled in ``lang`` (yuan per member-year unless stated)."""
        rows = []
        for t, p in self.points["tiers"].items():
            row = {"tier": t, "points_per_member_year": f"{p['points_per_member_year']:,.0f}",
                   "liability_per_member_year": f"{p['liability_per_member_year']:,.1f}"}
            if "fee_in_points" in p:
                row.update({"fee_in_points": f"{p['fee_in_points']:,.0f}",
                            "points_needed": f"{p['points_needed']:,.0f}",
                            "share_able_to_pay": f"{p['share_able_to_pay']:.0%}",
                            "cash_fee_forgone_per_member": f"{p['cash_fee_forgone_per_member']:,.1f}",
                            "net_cost_per_member": f"{p['net_cost_per_member']:,.1f}"})
            rows.append(row)
        out = pd.DataFrame(rows).set_index("tier").fillna("")
        out.index.name = i18n.text(_STEM, "col_tier", lang)
        return out.rename(columns=i18n.column_labels(_STEM, out.columns, lang))

    def keep_table(self, lang: str = "en") -> pd.DataFrame:
        """Share of each tier's members whose annual spend reaches each threshold."""
        if self.tier_rules is None:
            return pd.DataFrame()
        k = pd.DataFrame(self.tier_rules["keep_curve"]).set_index("threshold")
        k.index = [i18n.text(_STEM, "keep_row", lang, spend=x) for x in k.index]
        k.index.name = i18n.text(_STEM, "keep_index", lang)
        return k.apply(lambda col: col.map(lambda v: "" if v is None or v != v else f"{v:.0%}"))

    def headline_text(self, lang: str = "en") -> str:
        """The finding in one paragraph, in ``lang``: each tier's benefits, value, cost and profit,
        the mix-weighted profit and which tier depends most on the membership's own effect."""
        lang = i18n.check_language(lang)
        if self.design.status != "optimal":
            return i18n.text(_STEM, "headline_infeasible", lang, reason=self.reason_text(lang))
        e = self.economics
        parts = [i18n.text(_STEM, "headline_tier", lang, tier=t, fee=e.loc[t, "fee"],
                           n_benefits=int(e.loc[t, "n_benefits"]), n_dimensions=int(e.loc[t, "n_dimensions"]),
                           value=e.loc[t, "perceived_value"], cost=e.loc[t, "cost"], profit=e.loc[t, "profit"])
                 for t in self.tiers]
        r0 = self.causal["value"]
        be = e["break_even_causal_ratio"]
        losing = [t for t in self.tiers if e.loc[t, "profit"] < 0]
        never = [t for t in self.tiers if not np.isfinite(be[t])]
        needs = be[[t for t in self.tiers if np.isfinite(be[t]) and be[t] > 1]]
        if losing:
            tail = i18n.text(_STEM, "tail_losing", lang, ratio=r0, tiers=i18n.join(losing, lang),
                             never=i18n.text(_STEM, "tail_losing_never", lang, tiers=i18n.join(never, lang)) if never else "")
        elif never:
            tail = i18n.text(_STEM, "tail_never", lang, tiers=i18n.join(never, lang))
        elif len(needs):
            worst = needs.idxmax()
            tail = i18n.text(_STEM, "tail_needs", lang, tier=worst, need=needs[worst], ratio=r0)
        else:
            tail = i18n.text(_STEM, "tail_all_pay", lang)
        return i18n.text(_STEM, "headline_design", lang, parts=("；" if lang == "zh" else "; ").join(parts),
                         objective=self.design.objective, tail=tail)

    def _json(self) -> dict:
        tiers_json = {}
        if self.economics is not None:
            cat = self.catalog
            for i, t in enumerate(self.tiers):
                r = self.economics.loc[t]
                held = cat.loc[self.design.holds[:, i], "benefit_id"].tolist()
                tiers_json[t] = {
                    "fee": r["fee"], "mix": r["mix"], "benefits": held,
                    "dimensions": [d for d in DIMENSIONS if d in set(cat.loc[self.design.holds[:, i], "dimension"])],
                    "cost": r["cost"], "fixed_cost": r["fixed_cost"], "spend_cost": r["spend_cost"],
                    "perceived_value": r["perceived_value"], "value_to_fee": r["value_to_fee"],
                    "profit": r["profit"], "member_spend": r["member_spend"],
                    "member_spend_source": self.member_spend_source[i],
                    "incremental_spend": r["incremental_spend"], "incremental_margin": r["incremental_margin"],
                    "break_even_incremental_spend": r["break_even_incremental_spend"],
                    "break_even_causal_ratio": r["break_even_causal_ratio"],
                }
        sens = None
        if self.sensitivity is not None:
            sens = {"margin": self.sensitivity["margin"].to_dict(orient="records"),
                    "causal_ratio": self.sensitivity["causal_ratio"].to_dict(orient="records"),
                    "benefit_cost": self.sensitivity["benefit_cost"].to_dict(orient="records"),
                    "cost_change": self.sensitivity["cost_change"], "swings": self.sensitivity["swings"]}
        lowest = dict(zip(self.catalog["benefit_id"], self.catalog["lowest_tier"]))
        return {
            "tiers": tiers_json,
            "objective": self.design.objective,
            "status": self.design.status,
            "reason": self.design.reason,
            "binding": self.design.binding,
            "lowest_tier": lowest,
            "reasons": ({} if self.reasons is None else dict(zip(self.reasons["benefit_id"], self.reasons["reason"]))),
            "n_benefits": int(len(self.catalog)),
            "causal_ratio": self.causal["value"], "causal_ratio_ci": self.causal["ci"],
            "causal_ratio_source": self.causal["source"],
            "margin": self.margin, "value_ratio": self.value_ratio, "min_dimensions": self.min_dimensions,
            "mix_source": self.mix_source,
            "frontier": self.frontier.to_dict(orient="records"),
            "max_value_ratio": self.frontier.attrs.get("max_value_ratio"),
            "sensitivity": sens,
            "tier_rules": self.tier_rules,
            "points": self.points,
            "survey": None if self.survey is None else {
                **self.survey.to_json(), "applied_to": self.survey_applied,
                "objective_with_catalog_values": (None if self.catalog_only is None else self.catalog_only.objective),
                "lowest_tier_with_catalog_values": (None if self.catalog_only is None else dict(zip(
                    self.catalog["benefit_id"], [self.tiers[k] if k >= 0 else None for k in self.catalog_only.lowest])))},
            "notes": self.notes,
            "observation_end": self.observation_end,
            "headline": self.headline_text("en"),
        }


def run(tables, fees: dict = METHOD_FEES, mix: dict = {}, member_spend: dict = {}, margin: float = 0.6,
        causal_ratio: float | None = None, value_ratio: float = 2.0, min_dimensions: int = 3,
        observation_end=None, keep_tier_spend: dict = {}, upgrade_spend: float = METHOD_UPGRADE_SPEND,
        points_per_yuan: float = 1.0, yuan_per_point: float = 0.01, breakage: float = 0.3,
        fee_in_points: dict = {"V1": 50.0}, perceived_value_from: str = "survey",
        cost_change: float = 0.5, min_member_days: int = 90) -> BenefitsResult:
    """Notebook 05's analysis on :class:`superkit.data.Tables` (the benefits table required;
    transactions and members give member spend, mix and the tier rules; choices give survey values).

    The dict defaults are never modified.
    """
    benefits = tables.require("benefits", "designing the tiers")
    tiers, fee_arr = tier_fees(fees)
    margin = check_number("margin", margin, low=0, high=1, low_open=True,
                          fix="the contribution margin on extra spend as a share, e.g. 0.6 for 60%.")
    value_ratio = check_number("value_ratio", value_ratio, low=0, fix="e.g. 2: members value the benefits at twice the fee.")
    min_dimensions = check_number("min_dimensions", min_dimensions, low=0, high=len(DIMENSIONS), integer=True,
                                  fix="how many of the six dimensions each tier covers, e.g. 3.")
    check_choice("perceived_value_from", perceived_value_from, ["survey", "catalog"])
    check_number("cost_change", cost_change, low=0, high=1, fix="e.g. 0.5 for costs 50% lower and higher.")
    notes = []
    causal = resolve_causal_ratio(causal_ratio, tables)
    if causal["warning"]:
        notes.append(causal["warning"])

    per_member = None
    tx, mem = tables.transactions, tables.members
    end = observation_end or tables.observation_end or None
    if tx is not None and mem is not None:
        per_member = member_spend_table(tx, mem, observation_end=end)
        if "tier" in mem.columns:
            other = sorted(set(mem["tier"].dropna().astype(str)) - set(tiers))
            if other:
                notes.append(_Said("note_other_tiers", tiers=", ".join(other)))
    elif tx is not None or mem is not None:
        notes.append(_Said("note_one_table"))
    S, spend_source = resolve_member_spend(tiers, member_spend, per_member)
    w, mix_source = resolve_mix(tiers, mix, per_member)
    idle = [t for t, x in zip(tiers, w) if x == 0]
    if idle:
        notes.append(_Said("note_idle_one" if len(idle) == 1 else "note_idle_many", tiers=", ".join(idle),
                           source=mix_source))

    survey, applied, values = None, [], None
    choices = tables.choices
    if choices is not None:
        try:
            survey = conjoint.estimate_wtp(choices)
        except ModelError as exc:   # the design can still be made, on the catalog's values
            notes.append(_Said("note_survey_failed", error=str(exc)))
        if survey is not None and perceived_value_from == "survey":
            values, applied, unknown, loose = conjoint.survey_values(benefits["benefit_id"], survey)
            if unknown:
                notes.append(_Said("note_survey_unknown", attrs=", ".join(map(str, unknown))))
            if loose:
                notes.append(_Said("note_survey_loose", ids=", ".join(map(str, loose))))
            if survey.n_respondents < 100:
                notes.append(_Said("note_survey_small", n=survey.n_respondents))
    elif perceived_value_from == "survey":
        notes.append(_Said("note_no_survey"))
    catalog = catalog_per_member_year(benefits, tiers, values)

    base = base_profit(fee_arr, margin, S, causal["value"])
    design = _solve(catalog, tiers, fee_arr, w, S, base, value_ratio, min_dimensions)
    catalog_only = None
    if applied:
        plain = catalog.assign(value=catalog["catalog_value"])
        catalog_only = _solve(plain, tiers, fee_arr, w, S, base, value_ratio, min_dimensions)
    catalog["lowest_tier"] = [tiers[k] if k >= 0 else None for k in design.lowest]
    front = frontier(catalog, tiers, fee_arr, w, S, base, min_dimensions)
    econ = sens = rules = reasons = None
    if design.status == "optimal":
        econ = tier_economics(design.holds, catalog, tiers, fee_arr, w, S, margin, causal["value"])
        sens = sensitivity(catalog, tiers, fee_arr, w, S, design.holds, margin, causal, value_ratio,
                           min_dimensions, cost_change)
        reasons = benefit_reasons(catalog, tiers, fee_arr, w, S, base, value_ratio, min_dimensions, design)
        if per_member is not None and per_member["tier"].notna().any():
            rules = tier_rules(per_member, tiers, design.holds, catalog, keep_tier_spend, upgrade_spend,
                               min_member_days)
    points = points_economics(per_member, tiers, S, fee_arr, points_per_yuan, yuan_per_point, breakage,
                              fee_in_points, min_member_days)
    notes += points["notes"]
    return BenefitsResult(tiers=tiers, catalog=catalog, design=design, economics=econ, frontier=front,
                          sensitivity=sens, tier_rules=rules, points=points, causal=causal, margin=margin,
                          value_ratio=value_ratio, min_dimensions=min_dimensions,
                          member_spend_source=spend_source, mix_source=mix_source,
                          per_member=per_member, survey=survey, survey_applied=applied,
                          catalog_only=catalog_only, reasons=reasons, notes=notes,
                          observation_end=None if end is None else str(end))
