"""The membership plan month by month: members, renewals, KPIs and the P&L of notebook 06.

The method lays a paid membership out in three phases -- startup (创业期, the first 6-12 months),
growth (发展期, to month 12-18) and stable (稳定期, to month 18-24) -- reached through seven channels
and run in a simple or a standard management mode (Yan Tao, 三寿营销, 2019-2021). This module joins
what notebooks 01-05 measured on the client's data into that plan; it combines the fitted models,
it is not a second world simulator. In a month *m* (1 = the first month after the data end):

* **Contacts and joins.** Each channel open in the month's phase contacts customers of the data who
  meet its eligibility rules (as of the observation end: 01's prospects and criteria, 02's
  probability of being active for dormant customers), highest priority first, at most
  ``contacts_per_month``, a customer again only after ``recontact_months``, and at most one outbound
  message (phone, SMS / e-mail, ads) a customer a month, the costliest channel first. A contacted customer
  who is not a member yet joins with the channel's conversion; the projection carries each
  customer's probability of not having joined yet (expected values, so nobody is "half" contacted
  twice). Channels with ``reach_per_month`` reach people outside the data (alliances' customers,
  followers): ``joins = reach x conversion``.
* **Renewals** (notebook 03's shifted-beta-geometric per tier). New members split by the tier mix;
  each monthly join cohort of tier *t* is still paying after *k* renewals with ``S_t(k)``; members
  already in the data continue from their tenure with ``S_t(k0 + k) / S_t(k0)``. With a monthly fee a
  renewal is due every month, with an annual fee every 12 months after joining.
* **Money, per month.** ``fee revenue = (joins + renewals) x fee per period``; ``incremental margin =
  members x margin x S_t (1 - 1 / causal ratio) / 12`` (04's causal ratio, 05's member spend);
  ``benefit cost = members x the tier's bundle cost in the phase / 12`` (05's bundles, costed from
  the catalog); ``channel cost = contacts x cost per contact + joins x cost per join + the channel's
  monthly cost``; ``operating cost = the mode's fixed cost + members x its cost per member`` (+ its
  set-up cost in its first month). ``profit`` is the first two less the last three.
  ``break_even_month``: the month from which cumulative profit stays at or above zero.
* **Accounting identities** (tested every month): ``members = previous + joins - lapses``,
  ``lapses = renewals due - renewals``, profit is the sum of its parts, cumulative profit adds up.

**Languages.** The page's words come from the catalogue ``core/labels/06_membership_phases.yaml``:
:func:`channel_name`, :func:`input_label`, :func:`source_label`, :func:`note_label`,
:func:`lever_label` and :func:`mode_label` give the plan's channels, inputs, their sources, the notes,
the levers and the modes in English or Chinese; a phase's Chinese name is ``Phase.title("zh")``.

**Uncertainty** (:func:`monte_carlo`): sBG parameters from 03's covariance (or its intervals), the
causal ratio from 04's interval, conversions from their measured intervals or the plan's ranges;
the contact plan itself is fixed (it is the client's choice). **Levers** (:func:`tornado`): 24-month
profit with one input at its 10th and 90th percentile, the others at their point values.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import re

import numpy as np
import pandas as pd
from scipy.special import betaln

from superkit.analyses import benefits as benefit_analysis
from superkit.analyses import super_users
from superkit.analyses.result import Result
from superkit.core import i18n
from superkit.core.checks import check_number, parse_date
from superkit.core.constants import DAYS_PER_YEAR, Z95
from superkit.core.errors import DataError, ModelError, ParameterError
from superkit.core.paths import DATASETS_DIR
from superkit.data.store import query, time_span
from superkit.data.plan import CHANNEL_ORDER, KPI_NAMES, METHOD_MODES, METHOD_PHASES, Plan, read_plan
from superkit.data.spec import CONTACT_CHANNELS

__all__ = [
    "BAND",
    "Inputs",
    "MIN_MEASURED_CONTACTS",
    "MIN_SIMS",
    "MONTH_DAYS",
    "OUTBOUND",
    "PhasesResult",
    "Projection",
    "STEM",
    "Schedule",
    "action_lists",
    "break_even_month",
    "channel_name",
    "compare_modes",
    "customer_pool",
    "default_plan_path",
    "eligible",
    "evaluate",
    "input_label",
    "kpis_by_phase",
    "lever_label",
    "mode_label",
    "money_text",
    "monte_carlo",
    "note_label",
    "project",
    "resolve_inputs",
    "run",
    "schedule_contacts",
    "source_label",
    "survival_table",
    "tornado",
]

MONTH_DAYS = DAYS_PER_YEAR / 12.0
BAND = (0.10, 0.90)          # the Monte Carlo band shown (80%)
MIN_MEASURED_CONTACTS = 100  # fewer contacts than this in a channel: the plan's conversion is kept
MIN_SIMS = 20                # fewer Monte Carlo draws than this give no band worth the name
# Channels that send a message to a customer: one of them a month at most per customer (the costliest
# first), so nobody is phoned and texted in the same month. Stores and the app are touchpoints where
# the customer is asked when they come; they are not exclusive.
OUTBOUND = ("phone", "sms_email", "paid_ads")
STEM = "06_membership_phases"   # the notebook, and its catalogue file of labels and texts


# ----------------------------------------------------------------------------------------------
# Words on the page, in English or Chinese (the catalogue's texts)
# ----------------------------------------------------------------------------------------------
def _t(key: str, lang: str, **values) -> str:
    return i18n.text(STEM, key, lang, **values)


def channel_name(key: str, lang: str = "en") -> str:
    """A channel's name: in English with its Chinese name beside ("phone (电话)"), in Chinese alone."""
    if key not in CONTACT_CHANNELS:
        return key
    en, zh, _ = CONTACT_CHANNELS[key]
    return zh if i18n.check_language(lang) == "zh" else f"{en} ({zh})"


def money_text(v, lang: str = "en") -> str:
    """Yuan as the catalogue writes money (¥35,566; in Chinese ¥352.7万 from 100,000 up), a loss with
    its sign in front (-¥5,268)."""
    if v is not None and np.isfinite(v) and v < 0:
        return "-" + i18n.value_text({"format": "money"}, -float(v), lang)
    return i18n.value_text({"format": "money"}, v, lang)


def _count(v, lang: str) -> str:
    return i18n.value_text({"format": "int"}, v, lang)


_INPUTS = {"prospects and criteria": "in_prospects", "probability active": "in_p_alive",
           "members at the start": "in_start", "tier mix of new members": "in_mix",
           "causal spend ratio": "in_causal", "benefit cost": "in_benefit_cost"}


def input_label(name: str, lang: str = "en") -> str:
    """The name of an input of the sources table (``renewal V1 (sBG)``, ``conversion phone``) in ``lang``."""
    if i18n.check_language(lang) == "en":
        return name
    if name in _INPUTS:
        return _t(_INPUTS[name], lang)
    m = re.fullmatch(r"renewal (\S+) \(sBG\)", name)
    if m:
        return _t("in_renewal", lang, tier=m[1])
    m = re.fullmatch(r"member spend (\S+)", name)
    if m:
        return _t("in_spend", lang, tier=m[1])
    m = re.fullmatch(r"conversion (\S+)", name)
    if m:
        return _t("in_conversion", lang, channel=channel_name(m[1], lang))
    return name


_SOURCES = {"plan assumption": "src_plan_assumption", "plan": "src_plan", "parameter": "src_parameter",
            "none": "src_none", "left out (include_existing is false)": "src_left_out",
            "02_clv_churn's scores in this report": "src_p_alive_report",
            "BG/NBD fitted here on the transactions": "src_p_alive_here", "data: members per tier": "src_members_tier",
            "equal shares (no member tiers in the data)": "src_equal", "04_spend_uplift in this report": "src_uplift_report",
            "assumed 1.0": "src_assumed_one", "05_benefit_bundles in this report": "src_bundles_report",
            "data: all members (the members table has no tiers)": "src_spend_all",
            "plan assumption (bundles)": "src_plan_bundles", "parameter bundles": "src_param_bundles",
            "plan assumption (benefit_cost)": "src_plan_benefit_cost", "measured: contacts' cost": "src_measured_cost"}
_SOURCE_PATTERNS = (
    (r"01_super_users' rules in this report, ([\d,]+) prospects", "src_rules_report", ("n",)),
    (r"01's default rules, ([\d,]+) prospects", "src_rules_default", ("n",)),
    (r"data: ([\d,]+) paying at (\S+)", "src_paying", ("n", "date")),
    (r"03_renewal in this report \(([\d,]+) members\)", "src_renewal_report", ("n",)),
    (r"fitted here on all ([\d,]+) members \(no tiers in the data\)", "src_fitted_all", ("n",)),
    (r"fitted here on ([\d,]+) (\S+) members", "src_fitted_tier", ("n", "tier")),
    (r"data: ([\d,]+) (\S+) members", "src_spend_tier", ("n", "tier")),
    (r"measured: ([\d,]+) contacts, join within (\d+) days against uncontacted customers", "src_measured_conv",
     ("n", "days")),
)


def _said(sentence, lang: str) -> str | None:
    """The sentence as written in English, or as another analysis wrote it in ``lang`` from its own
    catalogue (05's notes and sources); None when this module must translate it."""
    if i18n.check_language(lang) == "en":
        return str(sentence)
    if hasattr(sentence, "in_lang"):
        return sentence.in_lang(lang)
    return None


def source_label(source: str, lang: str = "en") -> str:
    """Where an input came from (the sources table's words, e.g. "fitted here on 272 V1 members") in
    ``lang``; a source the catalogue does not know is shown as written."""
    said = _said(source, lang)
    if said is not None:
        return said
    source = str(source)
    if source in _SOURCES:
        return _t(_SOURCES[source], lang)
    m = re.fullmatch(r"(.*), costed from the catalog", source)
    if m:
        return _t("src_costed", lang, what=source_label(m[1], lang))
    for pattern, key, names in _SOURCE_PATTERNS:
        m = re.fullmatch(pattern, source)
        if m:
            return _t(key, lang, **dict(zip(names, m.groups())))
    return source


_NOTES = {
    "benefit_cost is one number per tier, so the phases' benefit lists are not costed apart": "note_cost_param",
    "no benefit catalog: the plan's benefit_cost is used in every phase": "note_no_catalog",
    "a contacts table was given without a members table: conversion cannot be measured": "note_contacts_no_members",
    "the members table has no tier column: each member's tier is read from the fee paid (the plan's fees)":
        "note_tier_from_fee",
}
_NOTE_PATTERNS = (
    (r"03 grouped members by (\S+), not by tier: its fits are not used", "note_03_group", ("by",)),
    (r"03 fitted (\S+)-day periods but the plan renews (\w+): its fits are not used \(run 03 with period_days (\d+)\)",
     "note_03_period", ("days", "period", "want")),
    (r"renewal of (\S+) could not be fitted on its ([\d,]+) members \(.*\)", "note_renewal_unfit", ("tier", "n")),
    (r"renewal could not be fitted on the members \(.*\)", "note_renewal_unfit_all", ()),
    (r"(\S+) lists (.+), which no tier's bundle holds: .*", "note_idle_benefits", ("phase", "benefits")),
    (r"(\S+) offers none of the bundles' benefits: its benefit cost is 0", "note_no_bundle_benefits", ("phase",)),
    (r"no customer meets (\w+)'s eligibility .*: the channel contacts nobody", "note_no_eligible", ("channel",)),
    (r"the members table has no tier column \(and no fee that matches the plan's\): the ([\d,]+) members paying are "
     r"counted in (\S+), the lowest tier", "note_tier_lowest", ("n", "tier")),
)


def _phase_names(names: str, plan: Plan | None, lang: str) -> str:
    titles = {k: v[0] for k, v in METHOD_PHASES.items()} if lang == "zh" else {}
    titles.update({p.name: p.title(lang) for p in plan.phases} if plan is not None else {})
    return "、".join(titles.get(n.strip(), n.strip()) for n in names.split(","))


def note_label(note: str, lang: str = "en", plan: Plan | None = None) -> str:
    """A note of the inputs (:attr:`Inputs.notes`) in ``lang``: the notes the plan and the bundled data
    give are in the catalogue; any other is shown as the kit wrote it, marked as English."""
    said = _said(note, lang)
    if said is not None:
        return said
    note = str(note)
    if note in _NOTES:
        return _t(_NOTES[note], lang)
    phase = lambda n: _phase_names(n, plan, lang)  # noqa: E731
    m = re.fullmatch(r"(.+?) offers? fewer benefits than the full bundles, but the causal spend ratio .*", note)
    if m:
        return _t("note_fewer_benefits", lang, phases=phase(m[1]))
    m = re.fullmatch(r"(\S+) ends in month (\d+); the method puts its end between months (\d+) and (\d+)", note)
    if m:
        return _t("note_phase_end", lang, phase=phase(m[1]), month=m[2], lo=m[3], hi=m[4])
    m = re.fullmatch(r"the plan's phases end in month (\d+); (\S+) goes on to month (\d+)", note)
    if m:
        return _t("note_phases_short", lang, month=m[1], phase=phase(m[2]), months=m[3])
    if note.startswith("no plan was given: "):
        return _t("note_no_plan", lang)
    m = re.fullmatch(r"(\w+): only (\d+) contacts in the contacts table; the plan's conversion is kept", note)
    if m:
        return _t("note_few_contacts", lang, channel=channel_name(m[1], lang), n=m[2])
    m = re.fullmatch(r"(\w+) is in no phase, so it never runs", note)
    if m:
        return _t("note_never_runs", lang, channel=channel_name(m[1], lang))
    m = re.fullmatch(r"(\w+) opens in month (\d+), after the plan's (\d+) months", note)
    if m:
        return _t("note_opens_late", lang, channel=channel_name(m[1], lang), month=m[2], months=m[3])
    for pattern, key, names in _NOTE_PATTERNS:
        m = re.fullmatch(pattern, note)
        if m:
            values = dict(zip(names, m.groups()))
            if "channel" in values:
                values["channel"] = channel_name(values["channel"], lang)
            if "phase" in values:
                values["phase"] = phase(values["phase"])
            if "benefits" in values:   # the plan's benefit ids, as written in it (code, not prose)
                values["benefits"] = "、".join(f"`{b.strip()}`" for b in values["benefits"].split(","))
            if "period" in values:
                values["period"] = _t(f"period_{values['period']}", lang) if values["period"] in ("monthly", "annual") \
                    else values["period"]
            return _t(key, lang, **values)
    return _t("note_untranslated", lang, note=note)


def lever_label(name: str, lang: str = "en") -> str:
    """A lever of the tornado (``renewal V1``, ``causal spend ratio``, ``conversion phone``) in ``lang``."""
    m = re.fullmatch(r"renewal (\S+)", name)
    if m:
        return _t("lever_renewal", lang, tier=m[1])
    if name == "causal spend ratio":
        return _t("lever_causal", lang)
    m = re.fullmatch(r"conversion (\S+)", name)
    if m:
        return _t("lever_conversion", lang, channel=channel_name(m[1], lang) if lang == "zh" else m[1])
    return name


def _lever_value(value: str, lang: str) -> str:
    m = re.fullmatch(r"(\d+)-renewal survival (\S+)", str(value))
    return _t("lever_survival", lang, n=m[1], share=m[2]) if m else str(value)


def mode_label(label: str, lang: str = "en") -> str:
    """A row of :func:`compare_modes` ("plan's rule", "simple only") or a mode's name in ``lang``: the
    method's modes by their Chinese names (简约型, 标准型)."""
    if label == "plan's rule":
        return _t("mode_rule", lang)
    if label.endswith(" only"):
        return _t("mode_only", lang, mode=mode_label(label[:-5], lang))
    if label in METHOD_MODES:
        return _t(f"mode_{label}", lang)
    return label


# ----------------------------------------------------------------------------------------------
# Inputs
# ----------------------------------------------------------------------------------------------
@dataclass
class Inputs:
    """Everything the projection needs, resolved, with where each number came from.

    ``pool``: one row per customer of the data who is not a member (eligibility facts, priority);
    ``existing``: members already paying at the observation end (tier, months since joining, count);
    ``sbg``: tier -> (alpha, beta, covariance of the logs or None, log-scale spread when no covariance);
    ``benefit_cost``: phase -> per-tier cost per member-year; ``conversion``: channel -> dict(value,
    low, high, kind "plan" / "measured", source); ``sources``: input -> description (measured or assumed).
    """

    plan: Plan
    tiers: list
    fees: np.ndarray
    mix: np.ndarray
    pool: pd.DataFrame
    existing: pd.DataFrame
    active_customers: float
    sbg: dict
    causal: dict
    member_spend: np.ndarray
    benefit_cost: dict
    conversion: dict
    cost_per_contact: dict
    observation_end: str = ""
    sources: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    @property
    def channels(self) -> list[str]:
        """The plan's channels in the order they take contacts each month."""
        return [c for c in CHANNEL_ORDER if c in self.plan.channels]

    @property
    def fee_per_period(self) -> np.ndarray:
        return self.fees / self.plan.periods_per_year

    def kind(self, name: str) -> str:
        """Where input ``name`` came from: ``measured`` (the data, or an earlier notebook of the same
        report), ``assumed`` (the plan, or a default) or ``parameter`` (set by hand)."""
        src = str(self.sources[name])
        if src.startswith("parameter"):
            return "parameter"
        return "assumed" if src.startswith(("plan", "assumed", "equal shares")) else "measured"

    def sources_table(self) -> pd.DataFrame:
        """Which inputs were measured on the data and which were assumed."""
        return pd.DataFrame([{"input": k, "source": v, "kind": self.kind(k)} for k, v in self.sources.items()]
                            ).set_index("input")


def customer_pool(tables, observation_end=None, rules: dict | None = None, p_alive: pd.Series | None = None
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(pool, everyone)``: the customers who are not members at the observation end, with what the
    eligibility rules read (repeat purchases, days since the last purchase, criteria met, notebook
    01's prospect rank and reason, probability active, transaction channels), and the same for all."""
    r = dict(rules or {})
    allowed = set(super_users.Rules.__dataclass_fields__)
    rule_obj = super_users.Rules(**{k: v for k, v in r.items() if k in allowed})
    scores = super_users.score_criteria(tables.transactions, tables.members, tables.events, observation_end,
                                        rules=rule_obj)
    listed = super_users.select_super_users(scores)
    t = scores.table.copy()
    t["prospect_rank"] = np.nan
    pros = listed.table[listed.table["status"] == "prospect"]
    t.loc[pros.index, "prospect_rank"] = np.arange(1, len(pros) + 1, dtype=float)
    t["prospect_reason"] = ""
    t.loc[pros.index, "prospect_reason"] = pros["evidence"]
    if p_alive is None:
        t["p_alive"] = np.nan
    else:
        t["p_alive"] = p_alive.reindex(t.index).astype(float)
    tx = tables.transactions
    if "channel" in tx.columns:     # one column per transaction channel the customer bought in
        bought = query(tx, 'SELECT DISTINCT customer_id, channel FROM {tx} WHERE amount > 0 AND channel IS NOT NULL')
        pos = pd.Index(t.index).get_indexer(bought["customer_id"].astype(str))
        channel = bought["channel"].astype(str).to_numpy()
        for ch in sorted(set(channel)):
            flag = np.zeros(len(t), dtype=bool)
            hit = (channel == ch) & (pos >= 0)
            flag[pos[hit]] = True
            t[f"buys_in:{ch}"] = flag
    return t[~t["gate_member"]].copy(), t


def eligible(pool: pd.DataFrame, rules: dict) -> np.ndarray:
    """Mask of the pool's customers who meet every rule of a channel's ``eligible`` block."""
    ok = np.ones(len(pool), dtype=bool)
    for k, v in rules.items():
        if k == "top_prospects":
            ok &= (pool["prospect_rank"] <= v).to_numpy()
        elif k == "prospects_only":
            ok &= pool["prospect_rank"].notna().to_numpy() if v else True
        elif k == "min_repeat_purchases":
            ok &= (pool["repeat_purchases"] >= v).to_numpy()
        elif k == "min_criteria":
            ok &= (pool["criteria_met"] >= v).to_numpy()
        elif k == "dormant_days":
            ok &= (pool["days_since_last"].astype(float) >= v).fillna(False).to_numpy(bool)
        elif k == "active_days":
            ok &= (pool["days_since_last"].astype(float) <= v).fillna(False).to_numpy(bool)
        elif k in ("min_p_alive", "max_p_alive"):
            pa = pool["p_alive"].to_numpy(float)
            ok &= (pa >= v) if k == "min_p_alive" else (pa <= v)
        elif k == "buys_in":
            cols = [f"buys_in:{c}" for c in v if f"buys_in:{c}" in pool.columns]
            ok &= pool[cols].any(axis=1).to_numpy(bool) if cols else False
    return ok


def _order(pool: pd.DataFrame, priority: str) -> np.ndarray:
    """Positions of the pool, highest priority first."""
    rank = pool["prospect_rank"].fillna(np.inf).to_numpy()
    if priority == "criteria":
        keys = (-pool["revenue"].to_numpy(float), -pool["criteria_met"].to_numpy(float), rank)
    elif priority == "revenue":
        keys = (rank, -pool["revenue"].to_numpy(float))
    elif priority == "p_alive":
        keys = (-pool["revenue"].to_numpy(float), -np.nan_to_num(pool["p_alive"].to_numpy(float), nan=0.0))
    else:  # recency
        keys = (-pool["revenue"].to_numpy(float), pool["days_since_last"].astype(float).fillna(np.inf).to_numpy())
    return np.lexsort(keys)


def _sbg_from(params: dict, source: str, spread: float) -> dict:
    return {"alpha": float(params["alpha"]), "beta": float(params["beta"]), "log_cov": params.get("log_cov"),
            "spread": spread, "source": source}


def _sbg_fitted(model, source: str, spread: float) -> dict:
    cov = model.cov_
    return _sbg_from({"alpha": model.alpha, "beta": model.beta, "log_cov": None if cov is None else cov.tolist()},
                     source, spread)


def _resolve_sbg(plan: Plan, tables, sbg_param: dict, observation_end, notes: list) -> dict:
    from superkit.analyses.renewal import fit_members

    tiers = plan.tiers
    given = {str(k): v for k, v in (sbg_param or {}).items()}
    extra = sorted(set(given) - set(tiers))
    if extra:
        raise ParameterError("sbg", f"names tiers {extra} that are not in the plan's fees", fix=f"use {tiers}.")
    out = {}
    for t, v in given.items():
        if not isinstance(v, dict) or not {"alpha", "beta"} <= set(v):
            raise ParameterError("sbg", f"{t} needs alpha and beta", fix="e.g. {'V1': {'alpha': 1.2, 'beta': 5.0}}.")
        check_number(f"sbg.{t}.alpha", v["alpha"], low=0, low_open=True)
        check_number(f"sbg.{t}.beta", v["beta"], low=0, low_open=True)
        out[t] = _sbg_from(v, "parameter", plan.assumptions["sbg_spread"])
    want_days = MONTH_DAYS if plan.renewal_period == "monthly" else DAYS_PER_YEAR
    r03 = tables.result("03_renewal") if tables is not None else None
    if r03 and len(out) < len(tiers):
        days = float(r03.get("period_days") or 0)
        if r03.get("group_by") != "tier":
            notes.append(f"03 grouped members by {r03.get('group_by')}, not by tier: its fits are not used")
        elif not 0.85 * want_days <= days <= 1.15 * want_days:
            notes.append(f"03 fitted {days:g}-day periods but the plan renews {plan.renewal_period}: its fits are "
                         f"not used (run 03 with period_days {want_days:.0f})")
        else:
            for t in tiers:
                c = (r03.get("cohorts") or {}).get(t)
                if t not in out and c and c.get("alpha") and c.get("beta"):
                    ci = [c.get("alpha_ci"), c.get("beta_ci")]
                    out[t] = {**_sbg_from(c, f"03_renewal in this report ({c.get('n_members', 0):,.0f} members)",
                                          plan.assumptions["sbg_spread"]), "ci": ci}
    members = getattr(tables, "members", None) if tables is not None else None
    missing = [t for t in tiers if t not in out]
    if missing and members is not None and len(members) and "tier" in members.columns:
        for t in missing:
            sub = members[members["tier"].astype(str) == t]
            if not len(sub):
                continue
            try:      # one tier at a time: a tier too young to fit does not stop the others
                m = fit_members(sub, want_days, observation_end, by="tier")[t]
            except (DataError, ModelError) as exc:
                notes.append(f"renewal of {t} could not be fitted on its {len(sub):,} members "
                             f"({str(exc).split('. Remedy')[0]})")
                continue
            out[t] = _sbg_fitted(m, f"fitted here on {m.durations_.n_members:,.0f} {t} members",
                                 plan.assumptions["sbg_spread"])
    missing = [t for t in tiers if t not in out]
    if missing and members is not None and len(members) and "tier" not in members.columns:
        try:      # members without tiers: one fit for everyone, used for every tier
            m = fit_members(members, want_days, observation_end, by="all")["all"]
            for t in missing:
                out[t] = _sbg_fitted(m, f"fitted here on all {m.durations_.n_members:,.0f} members (no tiers in the "
                                        "data)", plan.assumptions["sbg_spread"])
        except (DataError, ModelError) as exc:
            notes.append(f"renewal could not be fitted on the members ({str(exc).split('. Remedy')[0]})")
    for t in tiers:
        if t not in out and t in plan.assumptions.get("sbg", {}):
            out[t] = _sbg_from(plan.assumptions["sbg"][t], "plan assumption", plan.assumptions["sbg_spread"])
    missing = [t for t in tiers if t not in out]
    if missing:
        why = [n for n in notes if n.startswith("renewal")]
        have = "no members table" if members is None or not len(members) else "; ".join(why) or "no members of these tiers"
        raise DataError(f"no renewal model for tiers {missing} ({have})", source="sbg",
                        fix="run notebook 03 in the same report, set the sbg parameter, or add assumptions: sbg: "
                            "{tier: {alpha: .., beta: ..}} to the plan (e.g. from a similar programme).")
    return out


def _resolve_causal(plan: Plan, tables, causal_ratio) -> dict:
    res = benefit_analysis.resolve_causal_ratio(causal_ratio, tables)
    if res["source"] == "assumed 1.0" and "causal_ratio" in plan.assumptions:
        lo, hi = plan.assumptions.get("causal_ratio_range", (plan.assumptions["causal_ratio"],) * 2)
        return {"value": plan.assumptions["causal_ratio"], "ci": None, "range": [lo, hi],
                "source": "plan assumption", "warning": None}
    return {**res, "range": None}


def _resolve_member_spend(plan: Plan, tables, member_spend: dict, observation_end) -> tuple[np.ndarray, list]:
    tiers = plan.tiers
    given = {str(k): v for k, v in (member_spend or {}).items()}
    r05 = tables.result("05_benefit_bundles") if tables is not None else None
    from05 = {t: (r05.get("tiers") or {}).get(t, {}).get("member_spend") for t in tiers} if r05 else {}
    per_member = None
    if getattr(tables, "transactions", None) is not None and getattr(tables, "members", None) is not None \
            and len(tables.members):
        per_member = benefit_analysis.member_spend_table(tables.transactions, tables.members, observation_end)
    S, src = [], []
    for t in tiers:
        if t in given:
            S.append(check_number(f"member_spend.{t}", given[t], low=0)), src.append("parameter")
        elif from05.get(t) is not None:
            S.append(float(from05[t])), src.append("05_benefit_bundles in this report")
        else:
            try:
                s, where = benefit_analysis.resolve_member_spend([t], {}, per_member)
                S.append(float(s[0])), src.append(where[0])
            except DataError:
                if t in plan.assumptions.get("member_spend", {}):
                    S.append(plan.assumptions["member_spend"][t]), src.append("plan assumption")
                else:
                    raise DataError(f"no member spend for tier {t}", source="member_spend",
                                    fix="give transactions and members, the member_spend parameter, or add "
                                        "assumptions: member_spend: {tier: yuan a year} to the plan.") from None
    return np.array(S, dtype=float), src


def _resolve_benefit_cost(plan: Plan, tables, S: np.ndarray, benefit_cost: dict, bundles: dict, notes: list
                          ) -> tuple[dict, str]:
    tiers = plan.tiers
    restricted = any(p.benefits is not None for p in plan.phases)
    if benefit_cost:
        given = {str(k): v for k, v in benefit_cost.items()}
        missing = [t for t in tiers if t not in given]
        if missing or set(given) - set(tiers):
            raise ParameterError("benefit_cost", f"must give every tier of the plan ({tiers})",
                                 fix="e.g. {'V1': 60, 'V2': 150, 'V3': 260} (yuan per member-year).")
        c = np.array([check_number(f"benefit_cost.{t}", given[t], low=0) for t in tiers])
        if restricted:
            notes.append("benefit_cost is one number per tier, so the phases' benefit lists are not costed apart")
        return {p.name: c for p in plan.phases}, "parameter"
    r05 = tables.result("05_benefit_bundles") if tables is not None else None
    chosen, src = None, None
    if bundles:
        chosen, src = {str(k): list(map(str, v)) for k, v in bundles.items()}, "parameter bundles"
    elif r05 and r05.get("status") == "optimal":
        chosen = {t: list((r05.get("tiers") or {}).get(t, {}).get("benefits") or []) for t in tiers}
        src = "05_benefit_bundles in this report"
    elif "bundles" in plan.assumptions:
        chosen, src = plan.assumptions["bundles"], "plan assumption (bundles)"
    catalog = getattr(tables, "benefits", None) if tables is not None else None
    if chosen is not None and catalog is not None:
        cat = benefit_analysis.catalog_per_member_year(catalog, tiers).set_index("benefit_id")
        named = {b for ids in chosen.values() for b in ids} | {b for p in plan.phases for b in (p.benefits or ())}
        unknown = sorted(named - set(cat.index))
        if unknown:
            raise DataError(f"benefits {unknown[:5]} are not in the benefit catalog", source="plan",
                            fix=f"use the catalog's benefit ids ({', '.join(list(cat.index)[:6])}, ...).")
        out = {}
        held = {b for ids in chosen.values() for b in ids}
        for p in plan.phases:
            if p.benefits is not None:
                idle = sorted(set(p.benefits) - held)
                if idle:
                    notes.append(f"{p.name} lists {', '.join(idle)}, which no tier's bundle holds: a phase's list "
                                 "only keeps benefits of the bundles, so these are not offered or costed")
                if not set(p.benefits) & held:
                    notes.append(f"{p.name} offers none of the bundles' benefits: its benefit cost is 0")
            cost = []
            for i, t in enumerate(tiers):
                ids = [b for b in chosen.get(t, []) if p.benefits is None or b in p.benefits]
                sub = cat.loc[ids]
                cost.append(float((sub["fixed_cost"] + sub["spend_share"] * S[i]).sum()))
            out[p.name] = np.array(cost)
        full = [p.name for p in plan.phases if p.benefits is not None and
                any(b not in p.benefits for ids in chosen.values() for b in ids)]
        if full:
            notes.append(f"{', '.join(full)} offer{'s' if len(full) == 1 else ''} fewer benefits than the full "
                         "bundles, but the causal spend ratio "
                         "(measured on members with the benefits they had) is applied in every phase: the margin "
                         "of those phases may be overstated")
        return out, f"{src}, costed from the catalog"
    if "benefit_cost" in plan.assumptions and set(plan.assumptions["benefit_cost"]) >= set(tiers):
        c = np.array([plan.assumptions["benefit_cost"][t] for t in tiers], dtype=float)
        if restricted:
            notes.append("no benefit catalog: the plan's benefit_cost is used in every phase")
        return {p.name: c for p in plan.phases}, "plan assumption (benefit_cost)"
    raise DataError("the cost of the benefits is not known", source="benefits",
                    fix="give a benefit catalog (benefits_path) with bundles (05 in the same report, the bundles "
                        "parameter or assumptions: bundles in the plan), or benefit_cost per tier.")


def _measured_conversion(plan: Plan, tables, window_days: int, observation_end, notes: list) -> dict:
    contacts = getattr(tables, "contacts", None) if tables is not None else None
    if contacts is None or not len(contacts):
        return {}
    from superkit.analyses.channels import measure_channels

    if getattr(tables, "members", None) is None:
        notes.append("a contacts table was given without a members table: conversion cannot be measured")
        return {}
    m = measure_channels(contacts, tables.members, tables.transactions, window_days=window_days,
                         observation_end=observation_end)
    return {str(k): row for k, row in m.iterrows()}


def resolve_inputs(tables, plan: Plan, observation_end=None, causal_ratio=None, sbg: dict | None = None,
                   member_spend: dict | None = None, benefit_cost: dict | None = None, bundles: dict | None = None,
                   include_existing: bool = True, window_days: int = 30) -> Inputs:
    """Resolve every input of the projection (see the module docstring): a parameter wins, then what
    notebooks 01-05 published in the same report, then what can be measured here, then the plan's
    assumptions."""
    notes = list(plan.notes)
    tiers = plan.tiers
    fees = np.array([plan.fees[t] for t in tiers], dtype=float)
    sources = {}
    tx = tables.require("transactions", "the membership plan")
    end = pd.Timestamp(parse_date(observation_end, "observation_end",
                                  default=lambda: time_span(tx)[1].normalize()))
    # 01's rules and 02's probability active (a file 02 wrote in the same report, else fitted here)
    r01 = tables.result("01_super_users") or {}
    p_alive, pa_src = _p_alive(tables, end)
    pool, everyone = customer_pool(tables, end, r01.get("rules"), p_alive)
    sources["prospects and criteria"] = ("01_super_users' rules in this report" if r01 else "01's default rules") + \
        f", {int(pool['prospect_rank'].notna().sum()):,} prospects"
    sources["probability active"] = pa_src
    active = float(np.nansum(everyone["p_alive"].to_numpy(float)))
    found = sorted(c.split(":", 1)[1] for c in pool.columns if c.startswith("buys_in:"))
    for key, ch in plan.channels.items():
        want = ch.eligible.get("buys_in")
        if want and not set(want) <= set(found):
            raise DataError(f"channels.{key}.eligible.buys_in names {sorted(set(want) - set(found))}, which no "
                            "purchase in the transactions has", source=plan.source,
                            fix=(f"use the transactions' channels {found}" if found else
                                 "the transactions have no channel column: map it (column_mapping) or drop buys_in") + ".")
        if not ch.external and ch.eligible and not eligible(pool, ch.eligible).any():
            notes.append(f"no customer meets {key}'s eligibility {ch.eligible}: the channel contacts nobody")
    # members already paying
    existing = pd.DataFrame(columns=["tier", "months", "n"])
    members = tables.members
    if include_existing and members is not None and len(members):
        m = members[members["joined_at"] <= end]
        if "ended_at" in m.columns:
            m = m[m["ended_at"].isna() | (m["ended_at"] > end)]
        if "tier" in m.columns:
            tier = m["tier"].astype(str)
        else:
            by_fee = {round(float(f), 2): t for t, f in plan.fees.items()}
            fee = m["fee"].round(2).map(by_fee) if "fee" in m.columns else pd.Series(np.nan, index=m.index)
            if len(m) and fee.notna().all():
                tier = fee.astype(str)
                notes.append("the members table has no tier column: each member's tier is read from the fee "
                             "paid (the plan's fees)")
            else:
                tier = pd.Series(tiers[0], index=m.index)
                notes.append(f"the members table has no tier column (and no fee that matches the plan's): the "
                             f"{len(m):,} members paying are counted in {tiers[0]}, the lowest tier")
        odd = sorted(set(tier) - set(tiers))
        if odd:
            raise DataError(f"members have tiers {odd} that the plan's fees do not list", source="members",
                            column="tier", fix=f"add them to the plan's fees, or map them to {tiers}.")
        months = np.floor(((end - m["joined_at"]).dt.days.to_numpy(float)) / MONTH_DAYS).astype(int)
        existing = (pd.DataFrame({"tier": tier.to_numpy(), "months": months}).groupby(["tier", "months"]).size()
                    .rename("n").reset_index())
        sources["members at the start"] = f"data: {int(existing['n'].sum()):,} paying at {end.date()}"
    else:
        sources["members at the start"] = "none" if include_existing else "left out (include_existing is false)"
    # mix
    if plan.mix:
        mix, mix_src = np.array([plan.mix[t] for t in tiers]), "plan"
    else:
        has_tiers = members is not None and len(members) and "tier" in members.columns
        mix, mix_src = benefit_analysis.resolve_mix(tiers, None, members if has_tiers else None)
    sources["tier mix of new members"] = mix_src
    # renewal and member spend: what is missing is said in one message, not one run at a time
    problems = []
    try:
        sbg_res = _resolve_sbg(plan, tables, sbg or {}, end, notes)
    except DataError as exc:
        problems.append(exc)
    try:
        S, s_src = _resolve_member_spend(plan, tables, member_spend or {}, end)
    except DataError as exc:
        problems.append(exc)
    if problems:
        if len(problems) == 1:
            raise problems[0]
        raise DataError("the plan lacks two inputs: " + "; and ".join(str(e).split(". Fix:")[0].split(": ", 1)[-1]
                                                                     for e in problems),
                        source="plan",
                        fix="for a membership that has no members yet, give both as assumptions in the plan "
                            "(assumptions: sbg: {tier: {alpha: .., beta: ..}}, member_spend: {tier: yuan a year}) "
                            "or as the sbg and member_spend parameters.")
    for t in tiers:
        sources[f"renewal {t} (sBG)"] = sbg_res[t]["source"]
    causal = _resolve_causal(plan, tables, causal_ratio)
    if causal.get("warning"):
        notes.append(causal["warning"])
    sources["causal spend ratio"] = causal["source"]
    for t, s in zip(tiers, s_src):
        sources[f"member spend {t}"] = s
    bcost, b_src = _resolve_benefit_cost(plan, tables, S, benefit_cost or {}, bundles or {}, notes)
    sources["benefit cost"] = b_src
    measured = _measured_conversion(plan, tables, window_days, end, notes)
    conversion, cpc = {}, {}
    for key, ch in plan.channels.items():
        row = measured.get(key)
        conv = {"value": ch.conversion, "low": ch.conversion_range[0], "high": ch.conversion_range[1],
                "kind": "plan", "source": "plan assumption"}
        cpc[key] = {"value": ch.cost_per_contact, "source": "plan assumption"}
        if row is not None and row.get("n_contacts", 0) >= MIN_MEASURED_CONTACTS and np.isfinite(row.get("conversion", np.nan)):
            lo, hi = float(row["conversion_ci_low"]), float(row["conversion_ci_high"])
            conv = {"value": max(float(row["conversion"]), 0.0), "low": max(lo, 0.0), "high": max(hi, 0.0),
                    "sd": (hi - lo) / (2 * Z95),
                    "kind": "measured", "source": f"measured: {int(row['n_contacts']):,} contacts, join within "
                                                  f"{window_days} days against uncontacted customers"}
            if np.isfinite(row.get("cost_per_contact", np.nan)):
                cpc[key] = {"value": float(row["cost_per_contact"]), "source": "measured: contacts' cost"}
        elif row is not None:
            notes.append(f"{key}: only {int(row.get('n_contacts', 0))} contacts in the contacts table; the plan's "
                         "conversion is kept")
        conversion[key] = conv
        sources[f"conversion {key}"] = conv["source"]
    return Inputs(plan=plan, tiers=tiers, fees=fees, mix=np.asarray(mix, float), pool=pool, existing=existing,
                  active_customers=active, sbg=sbg_res, causal=causal, member_spend=S, benefit_cost=bcost,
                  conversion=conversion, cost_per_contact=cpc, observation_end=str(end.date()), sources=sources,
                  notes=notes)


def _p_alive(tables, end) -> tuple[pd.Series, str]:
    """Probability still active per customer: 02's scores file in the same report, else a BG/NBD fit here."""
    path = tables.result_file("02_clv_churn", "scores_file")
    if path is not None:
        try:
            s = pd.read_csv(path, dtype={"customer_id": str}, usecols=["customer_id", "p_alive"])
            return s.set_index("customer_id")["p_alive"].astype(float), "02_clv_churn's scores in this report"
        except (OSError, ValueError, KeyError):
            pass
    from superkit.analyses.clv import score_customers
    from superkit.data.summary import summarize

    full = summarize(tables.transactions, end)
    try:
        scores, _ = score_customers(full, "bgnbd", horizon=30.0)
    except ModelError as exc:
        raise ModelError(f"the probability that a customer is still active could not be estimated "
                         f"({str(exc).splitlines()[0]})", fix="run notebook 02 in the same report.") from None
    return scores["p_alive"].astype(float), "BG/NBD fitted here on the transactions"


# ----------------------------------------------------------------------------------------------
# The contact plan
# ----------------------------------------------------------------------------------------------
@dataclass
class Schedule:
    """Who each channel contacts in each month: ``lists[(month, channel)]`` = positions in the pool,
    highest priority first; ``active[(month, channel)]`` is True when the channel runs that month."""

    lists: dict
    active: dict
    eligible_counts: dict

    def union(self) -> np.ndarray:
        idx = [v for v in self.lists.values() if len(v)]
        return np.unique(np.concatenate(idx)) if idx else np.array([], dtype=int)

    def groups(self) -> tuple[dict, int]:
        """Customers with the same contact history share their chance of not having joined yet in
        every simulation, so the Monte Carlo carries one number per history, not per customer:
        ``({(month, channel): (group ids, customers per group)}, number of groups)``."""
        if getattr(self, "_groups", None) is None:
            union = self.union()
            keys = [k for k, v in self.lists.items() if len(v)]
            where = np.full(int(union.max()) + 1 if len(union) else 0, -1)
            where[union] = np.arange(len(union))
            hist = np.zeros((len(union), len(keys)), dtype=bool)
            for j, k in enumerate(keys):
                hist[where[self.lists[k]], j] = True
            if len(union):
                _, group = np.unique(hist, axis=0, return_inverse=True)
                group = group.ravel()
            else:
                group = np.array([], dtype=int)
            n_groups = int(group.max()) + 1 if len(group) else 0
            out = {}
            for j, k in enumerate(keys):
                g, n = np.unique(group[where[self.lists[k]]], return_counts=True)
                out[k] = (g, n.astype(float))
            self._groups = (out, n_groups)
        return self._groups


def schedule_contacts(inputs: Inputs, months: int) -> Schedule:
    """The contact plan: each month, each running channel takes the highest-priority eligible
    customers not contacted by it in the last ``recontact_months``, up to ``contacts_per_month``
    expected contacts of customers who have not joined yet (point conversions); a customer gets at
    most one outbound message a month (:data:`OUTBOUND`, the costliest channel first)."""
    plan, pool = inputs.plan, inputs.pool
    q = np.ones(len(pool))
    messaged = np.zeros(len(pool), dtype=int)       # month of the last outbound message
    lists, active, counts = {}, {}, {}
    masks, orders, last = {}, {}, {}
    for key in inputs.channels:
        ch = plan.channels[key]
        if ch.external:
            continue
        masks[key] = eligible(pool, ch.eligible)
        counts[key] = int(masks[key].sum())
        o = _order(pool, ch.priority)
        orders[key] = o[masks[key][o]]
        last[key] = np.full(len(pool), -10 ** 6)
    for m in range(1, months + 1):
        phase = plan.phase_of(m)
        for key in inputs.channels:
            ch = plan.channels[key]
            run_now = ch.opens <= m and key in phase.channels
            active[(m, key)] = run_now
            if not run_now or ch.external:
                continue
            cand = orders[key]
            cand = cand[last[key][cand] <= m - ch.recontact_months]
            if key in OUTBOUND:
                cand = cand[messaged[cand] != m]
            if ch.contacts_per_month is not None and len(cand):
                take = np.searchsorted(np.cumsum(q[cand]), ch.contacts_per_month + 1e-9, side="right")
                cand = cand[:take]
            lists[(m, key)] = cand
            if len(cand):
                q[cand] *= 1.0 - inputs.conversion[key]["value"]
                last[key][cand] = m
                if key in OUTBOUND:
                    messaged[cand] = m
    return Schedule(lists=lists, active=active, eligible_counts=counts)


# ----------------------------------------------------------------------------------------------
# Evaluation (vectorised over simulations)
# ----------------------------------------------------------------------------------------------
def survival_table(alpha, beta, kmax: int) -> np.ndarray:
    """``S(k) = B(alpha, beta + k) / B(alpha, beta)`` for k = 0..kmax, shape (..., kmax + 1)."""
    a = np.asarray(alpha, float)[..., None]
    b = np.asarray(beta, float)[..., None]
    k = np.arange(kmax + 1)
    return np.exp(betaln(a, b + k) - betaln(a, b))


def _flows(inputs: Inputs, sched: Schedule, conv: np.ndarray, months: int) -> tuple[np.ndarray, np.ndarray]:
    """Contacts and joins per (simulation, month, channel); ``conv`` is (n_sims, n_channels)."""
    plan, chans = inputs.plan, inputs.channels
    n_s = conv.shape[0]
    contacts = np.zeros((n_s, months, len(chans)))
    joins = np.zeros_like(contacts)
    lists, n_groups = sched.groups()
    chunk = max(1, int(2e7 // max(n_groups, 1)))
    for s0 in range(0, n_s, chunk):
        s1 = min(n_s, s0 + chunk)
        q = np.ones((s1 - s0, n_groups))
        for m in range(1, months + 1):
            for ci, key in enumerate(chans):
                if not sched.active.get((m, key)):
                    continue
                ch = plan.channels[key]
                c = conv[s0:s1, ci]
                if ch.external:
                    contacts[s0:s1, m - 1, ci] = ch.reach_per_month
                    joins[s0:s1, m - 1, ci] = ch.reach_per_month * c
                    continue
                if (m, key) not in lists:
                    continue
                g, w = lists[(m, key)]
                n = q[:, g] @ w
                contacts[s0:s1, m - 1, ci] = n
                joins[s0:s1, m - 1, ci] = n * c
                q[:, g] *= (1.0 - c)[:, None]
    return contacts, joins


def _members(inputs: Inputs, joins_t: np.ndarray, alpha: np.ndarray, beta: np.ndarray, months: int):
    """Members, renewals and renewals due per (simulation, month, tier) from the join cohorts and the
    members already paying. ``joins_t`` (S, M, T); ``alpha``, ``beta`` (S, T)."""
    L = 12 // inputs.plan.periods_per_year          # months between renewals
    n_s, _, n_t = joins_t.shape
    ex = inputs.existing
    max_months = int(ex["months"].max()) if len(ex) else 0
    kmax = (months + max_months) // L + 2
    S = survival_table(alpha, beta, kmax)            # (S, T, K)
    alive = np.zeros((n_s, months + 1, n_t))         # month 0 .. months
    renew = np.zeros_like(alive)
    due = np.zeros_like(alive)
    # new members: cohort joined in month j (1-based) has lag a = m - j
    for a in range(months):
        k = a // L
        w = joins_t[:, : months - a, :] * S[:, None, :, k]
        alive[:, 1 + a:, :] += w
        if a > 0 and a % L == 0:
            renew[:, 1 + a:, :] += w
            due[:, 1 + a:, :] += joins_t[:, : months - a, :] * S[:, None, :, (a - 1) // L]
    # members already paying: cohort with `months` since joining at month 0
    for _, row in ex.iterrows():
        t = inputs.tiers.index(row["tier"])
        a0, n = int(row["months"]), float(row["n"])
        base = S[:, t, a0 // L]
        a = a0 + np.arange(months + 1)
        cur = S[:, t, a // L] / base[:, None] * n    # (S, M+1), month 0 = n
        alive[:, :, t] += cur
        dm = (a % L == 0) & (np.arange(months + 1) > 0)
        renew[:, dm, t] += cur[:, dm]
        prev = np.concatenate([cur[:, :1], cur[:, :-1]], axis=1)
        due[:, dm, t] += prev[:, dm]
    return alive, renew, due


def _draws(inputs: Inputs, n: int, seed: int) -> dict:
    """Monte Carlo draws of the uncertain inputs (n, ...)."""
    rng = np.random.default_rng(seed)
    out = {"alpha": np.empty((n, len(inputs.tiers))), "beta": np.empty((n, len(inputs.tiers)))}
    for i, t in enumerate(inputs.tiers):
        s = inputs.sbg[t]
        mu = np.log([s["alpha"], s["beta"]])
        cov = s.get("log_cov")
        if cov is None and s.get("ci") and all(isinstance(c, (list, tuple)) and len(c) == 2 and c[0] and c[1] > 0
                                               for c in s["ci"]):
            sd = [(np.log(c[1]) - np.log(c[0])) / (2 * Z95) for c in s["ci"]]
            cov = np.diag(np.square(sd))
        if cov is None:
            cov = np.eye(2) * s["spread"] ** 2
        cov = np.asarray(cov, float)
        ab = np.exp(rng.multivariate_normal(mu, cov, size=n))
        out["alpha"][:, i], out["beta"][:, i] = ab[:, 0], ab[:, 1]
    causal, conv = _distributions(inputs)
    out["causal"] = np.full(n, inputs.causal["value"]) if causal is None else causal.rvs(size=n, random_state=rng)
    out["conversion"] = np.column_stack(
        [np.full(n, inputs.conversion[k]["value"]) if d is None else np.clip(d.rvs(size=n, random_state=rng), 0, 1)
         for k, d in zip(inputs.channels, conv)]) if inputs.channels else np.empty((n, 0))
    return out


def _distributions(inputs: Inputs):
    """The distributions of the causal ratio and of each channel's conversion (None: not uncertain):
    log-normal from 04's 95% interval; normal from a measured conversion's interval (draws clipped to
    0..1); triangular over a plan's range, peaked at the plan's value."""
    from scipy import stats

    def triangular(lo, mode, hi):
        return stats.triang(c=(mode - lo) / (hi - lo), loc=lo, scale=hi - lo) if hi > lo else None

    c = inputs.causal
    if c.get("ci"):
        causal = stats.lognorm(s=(np.log(c["ci"][1]) - np.log(c["ci"][0])) / (2 * Z95), scale=c["value"])
    elif c.get("range"):
        causal = triangular(c["range"][0], c["value"], c["range"][1])
    else:
        causal = None
    conv = []
    for key in inputs.channels:
        v = inputs.conversion[key]
        if v["kind"] == "measured":
            conv.append(stats.norm(v["value"], v["sd"]) if v.get("sd", 0) > 0 else None)
        else:
            conv.append(triangular(v["low"], v["value"], v["high"]))
    return causal, conv


def _point(inputs: Inputs) -> dict:
    return {"alpha": np.array([[inputs.sbg[t]["alpha"] for t in inputs.tiers]]),
            "beta": np.array([[inputs.sbg[t]["beta"] for t in inputs.tiers]]),
            "causal": np.array([inputs.causal["value"]]),
            "conversion": np.array([[inputs.conversion[k]["value"] for k in inputs.channels]])}


def _modes(inputs: Inputs, members: np.ndarray, mode: str | None, start_members: float = 0.0
           ) -> tuple[np.ndarray, np.ndarray]:
    """Operating cost (S, M) and the index of the mode in force (0 start, 1 switched) per month.
    ``at_members``: the month after members reach the threshold (month 1 when the members already
    paying reach it); a mode's set-up cost falls in its first month, and only if it runs."""
    plan = inputs.plan
    n_s, M = members.shape
    if mode is not None:
        mo = plan.modes[mode]
        cost = mo.fixed_per_month + mo.per_member_per_month * members
        cost[:, 0] += mo.setup_cost
        return cost, np.zeros((n_s, M), dtype=int)
    start, to = plan.modes[plan.start_mode], plan.modes.get(plan.switch_to) if plan.switch_to else None
    switched = np.zeros((n_s, M), dtype=bool)
    if to is not None:
        if plan.switch_at_month is not None:
            switched[:, plan.switch_at_month - 1:] = True
        else:
            path = np.concatenate([np.full((n_s, 1), start_members), members[:, :-1]], axis=1)  # before each month
            hit = path >= plan.switch_at_members
            first = np.where(hit.any(axis=1), hit.argmax(axis=1), M)   # 0-based month index of the switch
            switched = np.arange(M)[None, :] >= first[:, None]
    cost = np.where(switched, (to.fixed_per_month if to else 0.0) + (to.per_member_per_month if to else 0.0) * members,
                    start.fixed_per_month + start.per_member_per_month * members)
    cost[:, 0] += np.where(switched[:, 0], 0.0, start.setup_cost)
    if to is not None:
        first_on = switched & ~np.concatenate([np.zeros((n_s, 1), bool), switched[:, :-1]], axis=1)
        cost += first_on * to.setup_cost
    return cost, switched.astype(int)


def evaluate(inputs: Inputs, sched: Schedule, draws: dict, months: int, mode: str | None = None) -> dict:
    """The plan's flows and money per (simulation, month) for given draws of the uncertain inputs
    (``alpha``, ``beta`` (S, T), ``causal`` (S,), ``conversion`` (S, C)); ``mode`` fixes one
    management mode for every month (None: the plan's rule)."""
    plan = inputs.plan
    contacts, joins = _flows(inputs, sched, draws["conversion"], months)
    J = joins.sum(axis=2)                                        # (S, M)
    joins_t = J[:, :, None] * inputs.mix[None, None, :]
    alive, renew, due = _members(inputs, joins_t, draws["alpha"], draws["beta"], months)
    members_t = alive[:, 1:, :]
    members = members_t.sum(axis=2)
    prev = alive[:, :-1, :].sum(axis=2)
    renewals = renew[:, 1:, :].sum(axis=2)
    dues = due[:, 1:, :].sum(axis=2)
    fee = ((joins_t + renew[:, 1:, :]) * inputs.fee_per_period[None, None, :]).sum(axis=2)
    uplift = 1.0 - 1.0 / draws["causal"]                        # (S,)
    incr = (members_t * (plan.margin * inputs.member_spend / 12.0)[None, None, :]).sum(axis=2) * uplift[:, None]
    phase_cost = np.array([inputs.benefit_cost[plan.phase_of(m).name] for m in range(1, months + 1)])  # (M, T)
    benefit = (members_t * phase_cost[None, :, :] / 12.0).sum(axis=2)
    cpc = np.array([inputs.cost_per_contact[k]["value"] for k in inputs.channels])
    cpj = np.array([plan.channels[k].cost_per_join for k in inputs.channels])
    cpm = np.array([plan.channels[k].cost_per_month for k in inputs.channels])
    on = np.array([[sched.active.get((m, k), False) for k in inputs.channels] for m in range(1, months + 1)], float)
    channel = (contacts * cpc).sum(axis=2) + (joins * cpj).sum(axis=2) + (on * cpm).sum(axis=1)[None, :]
    operating, switched = _modes(inputs, members, mode, float(inputs.existing["n"].sum()) if len(inputs.existing) else 0.0)
    profit = fee + incr - benefit - channel - operating
    active = inputs.active_customers + np.cumsum(joins[:, :, [i for i, k in enumerate(inputs.channels)
                                                              if plan.channels[k].external]].sum(axis=2), axis=1)
    return {"contacts": contacts, "joins_by_channel": joins, "joins": J, "members_by_tier": members_t,
            "members": members, "members_before": prev, "renewals": renewals, "renewals_due": dues,
            "lapses": dues - renewals, "fee_revenue": fee, "incremental_margin": incr, "benefit_cost": benefit,
            "channel_cost": channel, "operating_cost": operating, "profit": profit,
            "cumulative_profit": np.cumsum(profit, axis=1), "switched": switched, "active_customers": active}


def break_even_month(cumulative) -> int | None:
    """First month (1-based) from which cumulative profit stays at or above zero; None if it ends below."""
    c = np.asarray(cumulative, float)
    if not len(c) or c[-1] < 0:
        return None
    below = np.flatnonzero(c < 0)
    return 1 if not len(below) else int(below[-1]) + 2


# ----------------------------------------------------------------------------------------------
# The deterministic projection and what is read from it
# ----------------------------------------------------------------------------------------------
@dataclass
class Projection:
    monthly: pd.DataFrame
    joins_by_channel: pd.DataFrame
    contacts_by_channel: pd.DataFrame
    members_by_tier: pd.DataFrame
    break_even_month: int | None
    mode_switch_month: int | None
    schedule: Schedule


def _monthly_frame(inputs: Inputs, ev: dict, months: int, s: int = 0) -> pd.DataFrame:
    plan = inputs.plan
    m = np.arange(1, months + 1)
    start_label, to = plan.start_mode, plan.switch_to
    flows = ("joins", "renewals_due", "renewals", "lapses", "members", "fee_revenue", "incremental_margin",
             "benefit_cost", "channel_cost", "operating_cost", "profit", "cumulative_profit", "active_customers")
    df = pd.DataFrame({"month": m, "phase": [plan.phase_of(i).name for i in m],
                       "contacts": ev["contacts"][s].sum(axis=1), **{k: ev[k][s] for k in flows}})
    df["mode"] = np.where(ev["switched"][s] == 1, to or start_label, start_label)
    with np.errstate(divide="ignore", invalid="ignore"):
        df["penetration"] = df["members"] / df["active_customers"]
        df["conversion"] = np.where(df["contacts"] > 0, df["joins"] / df["contacts"], np.nan)
        df["renewal_rate"] = np.where(df["renewals_due"] > 0, df["renewals"] / df["renewals_due"], np.nan)
        spend = (ev["members_by_tier"][s] * inputs.member_spend[None, :] / 12.0).sum(axis=1)
        df["revenue_per_member"] = np.where(df["members"] > 0, (df["fee_revenue"] + spend) / df["members"] * 12, np.nan)
    df["members_before"] = ev["members_before"][s]
    return df


def project(inputs: Inputs, months: int, mode: str | None = None, sched: Schedule | None = None) -> Projection:
    """The plan at the point values of every input, month by month."""
    sched = sched or schedule_contacts(inputs, months)
    ev = evaluate(inputs, sched, _point(inputs), months, mode)
    monthly = _monthly_frame(inputs, ev, months)
    labels = inputs.channels
    jbc = pd.DataFrame(ev["joins_by_channel"][0], columns=labels, index=monthly["month"])
    cbc = pd.DataFrame(ev["contacts"][0], columns=labels, index=monthly["month"])
    mbt = pd.DataFrame(ev["members_by_tier"][0], columns=inputs.tiers, index=monthly["month"])
    sw = np.flatnonzero(ev["switched"][0])
    switch = int(sw[0]) + 1 if mode is None and inputs.plan.switch_to and len(sw) else None
    return Projection(monthly=monthly, joins_by_channel=jbc, contacts_by_channel=cbc, members_by_tier=mbt,
                      break_even_month=break_even_month(monthly["cumulative_profit"]), mode_switch_month=switch,
                      schedule=sched)


def kpis_by_phase(inputs: Inputs, monthly: pd.DataFrame) -> pd.DataFrame:
    """Each phase's KPIs against the plan's targets, with a traffic light: green at or above target,
    amber within 10% below it, red further below; empty where the plan sets no target."""
    rows = []
    for p in inputs.plan.phases:
        last = monthly["month"].max() if p is inputs.plan.phases[-1] else p.last   # the last phase goes on
        d = monthly[(monthly["month"] >= p.first) & (monthly["month"] <= last)]
        if d.empty:
            continue
        spend = d["revenue_per_member"] * d["members"]
        vals = {
            "penetration": float(d["penetration"].iloc[-1]),
            "conversion": float(d["joins"].sum() / d["contacts"].sum()) if d["contacts"].sum() > 0 else np.nan,
            "renewal": float(d["renewals"].sum() / d["renewals_due"].sum()) if d["renewals_due"].sum() > 0 else np.nan,
            "revenue_per_member": float(spend.sum() / d["members"].sum()) if d["members"].sum() > 0 else np.nan,
        }
        for k in KPI_NAMES:
            target = p.targets.get(k)
            v = vals[k]
            if target is None or not np.isfinite(v):
                light = None
            else:
                light = "green" if v >= target else ("amber" if v >= 0.9 * target else "red")
            rows.append({"phase": p.name, "months": f"{d['month'].iloc[0]}-{d['month'].iloc[-1]}", "kpi": k,
                         "value": v, "target": target, "status": light})
    return pd.DataFrame(rows)


def monte_carlo(inputs: Inputs, sched: Schedule, months: int, n_sims: int = 1000, seed: int = 0) -> dict:
    """``n_sims`` draws of the uncertain inputs through the same plan: 80% bands (10th-90th
    percentile) per month of members and cumulative profit, and the probability of breaking even."""
    check_number("n_sims", n_sims, low=MIN_SIMS, integer=True,
                 fix=f"use at least {MIN_SIMS} simulations (1000 gives steady 80% bands).")
    d = _draws(inputs, int(n_sims), seed)
    ev = evaluate(inputs, sched, d, months)
    cum = ev["cumulative_profit"]
    be = np.array([break_even_month(c) or 0 for c in cum])
    q = lambda x: np.quantile(x, BAND, axis=0)  # noqa: E731
    mem, cp = q(ev["members"]), q(cum)
    return {"n_sims": int(n_sims), "band": list(BAND), "seed": seed,
            "members_low": mem[0], "members_high": mem[1],
            "cumulative_profit_low": cp[0], "cumulative_profit_high": cp[1],
            "p_break_even": float((be > 0).mean()),
            "p_break_even_by_month": [float(((be > 0) & (be <= m)).mean()) for m in range(1, months + 1)],
            "profit_total_low": float(np.quantile(cum[:, -1], BAND[0])),
            "profit_total_high": float(np.quantile(cum[:, -1], BAND[1])),
            "draws": d}


def tornado(inputs: Inputs, sched: Schedule, months: int, mc: dict) -> pd.DataFrame:
    """Profit over the horizon with one uncertain input at its 10th and at its 90th percentile, the
    others at their point values; sorted by swing, largest first. The causal ratio's and the
    conversions' percentiles are exact (their distributions); a tier's renewal takes the Monte Carlo
    draws of (alpha, beta) whose survival to the horizon is at the 10th and 90th percentile."""
    point = _point(inputs)
    base = float(evaluate(inputs, sched, point, months)["cumulative_profit"][0, -1])
    d = mc["draws"]
    rows = []

    def run_with(**over):
        p = {k: v.copy() for k, v in point.items()}
        for k, (idx, val) in over.items():
            if idx is None:
                p[k][:] = val
            else:
                p[k][0, idx] = val
        return float(evaluate(inputs, sched, p, months)["cumulative_profit"][0, -1])

    L = 12 // inputs.plan.periods_per_year
    for i, t in enumerate(inputs.tiers):
        a, b = d["alpha"][:, i], d["beta"][:, i]
        s = survival_table(a, b, months // L)[:, -1]
        lo_i, hi_i = (int(np.argsort(s)[int(round(p * (len(s) - 1)))]) for p in BAND)
        vals = []
        for j in (lo_i, hi_i):
            p = {k: v.copy() for k, v in point.items()}
            p["alpha"][0, i], p["beta"][0, i] = a[j], b[j]
            vals.append(float(evaluate(inputs, sched, p, months)["cumulative_profit"][0, -1]))
        rows.append({"input": f"renewal {t}", "low": vals[0], "high": vals[1],
                     "low_value": f"{months // L}-renewal survival {s[lo_i]:.0%}",
                     "high_value": f"{s[hi_i]:.0%}"})
    causal, conv = _distributions(inputs)
    if causal is not None:
        lo, hi = causal.ppf(BAND)
        rows.append({"input": "causal spend ratio", "low": run_with(causal=(None, lo)), "high": run_with(causal=(None, hi)),
                     "low_value": f"{lo:.2f}", "high_value": f"{hi:.2f}"})
    for j, (key, dist) in enumerate(zip(inputs.channels, conv)):
        if dist is not None:
            lo, hi = np.clip(dist.ppf(BAND), 0.0, 1.0)
            rows.append({"input": f"conversion {key}", "low": run_with(conversion=(j, lo)),
                         "high": run_with(conversion=(j, hi)), "low_value": f"{lo:.2%}", "high_value": f"{hi:.2%}"})
    out = pd.DataFrame(rows)
    if out.empty:
        return pd.DataFrame(columns=["input", "low", "high", "low_value", "high_value", "swing", "base"])
    out["swing"] = (out["high"] - out["low"]).abs()
    out["base"] = base
    return out.sort_values("swing", ascending=False, kind="mergesort").reset_index(drop=True)


def compare_modes(inputs: Inputs, sched: Schedule, months: int) -> pd.DataFrame:
    """Each management mode kept for every month, and the plan's rule: members, operating cost,
    profit over the horizon, break-even month, and the months where members exceed the capacity."""
    rows = []
    options = [(None, "plan's rule")] + [(k, f"{k} only") for k in inputs.plan.modes]
    for mode, label in options:
        ev = evaluate(inputs, sched, _point(inputs), months, mode)
        mem = ev["members"][0]
        plan = inputs.plan
        in_force = ([mode] * months if mode is not None else
                    [plan.switch_to if sw else plan.start_mode for sw in ev["switched"][0]])
        caps = np.array([np.inf if plan.modes[k].capacity is None else plan.modes[k].capacity for k in in_force])
        cap_months = (np.flatnonzero(mem > caps) + 1).tolist()
        rows.append({"mode": label, "operating_cost": float(ev["operating_cost"][0].sum()),
                     "profit": float(ev["cumulative_profit"][0, -1]),
                     "break_even_month": break_even_month(ev["cumulative_profit"][0]),
                     "months_over_capacity": len(cap_months),
                     "first_month_over_capacity": cap_months[0] if cap_months else None})
    return pd.DataFrame(rows)


def _evidence_zh(evidence: str) -> str:
    """Notebook 01's evidence of a potential super user ("bought on 12 days, last 3 days ago; gave
    feedback 2x; ...") in Chinese."""
    z, out = "zh", []
    for part in str(evidence).split("; "):
        m = re.fullmatch(r"bought on (\d+) days, last (\d+) days ago", part)
        if m:
            out.append(_t("why_bought_days", z, days=m[1], last=m[2]))
            continue
        m = re.fullmatch(r"gave feedback (\d+)x", part)
        if m:
            out.append(_t("why_feedback", z, n=m[1]))
            continue
        m = re.fullmatch(r"shared or referred (\d+)x", part)
        if m:
            out.append(_t("why_shared", z, n=m[1]))
            continue
        m = re.fullmatch(r"bought (.+)", part)
        if m:
            bits = []
            for b in m[1].split(" and "):
                k = re.fullmatch(r"(\d+) (categories|brands)", b)
                bits.append(_t(f"why_{k[2]}", z, n=k[1]) if k else b)
            out.append(_t("why_cross", z, what=_t("why_and", z).join(bits)))
            continue
        out.append(_t("why_cross_plain", z) if part == "cross purchase" else part)
    return _t("why_sep", z).join(out)


def _reasons_zh(sub: pd.DataFrame, e: dict, key: str) -> np.ndarray:
    """The reasons of an action list in Chinese (the same facts as the English ones)."""
    z = "zh"
    days = sub["days_since_last"].astype(float).fillna(-1).astype(int)
    bits = []
    if "top_prospects" in e or "prospects_only" in e:
        bits.append([_t("why_prospect", z, rank=int(r), evidence=_evidence_zh(v)) for r, v in
                     zip(sub["prospect_rank"].fillna(0), sub["prospect_reason"].astype(str))])
    if "min_repeat_purchases" in e:
        bits.append([_t("why_repeat", z, n=int(n), min=e["min_repeat_purchases"]) for n in sub["repeat_purchases"]])
    if "min_criteria" in e:
        bits.append([_t("why_criteria", z, n=int(n)) for n in sub["criteria_met"]])
    if "dormant_days" in e:
        bits.append([_t("why_dormant", z, days=int(d), min=e["dormant_days"]) for d in days])
    if "active_days" in e:
        bits.append([_t("why_recent", z, days=int(d)) for d in days])
    if "min_p_alive" in e or "max_p_alive" in e or key == "paid_ads":
        bits.append([_t("why_p_alive", z, p=f"{v:.2f}") for v in sub["p_alive"].astype(float)])
    if "buys_in" in e:
        words = {"store": "门店", "app": "App", "mini_program": "小程序", "online": "线上", "delivery": "外卖"}
        where = [[words.get(c, c) for c in e["buys_in"] if f"buys_in:{c}" in sub.columns and bool(row[f"buys_in:{c}"])]
                 for _, row in sub.iterrows()]
        bits.append([_t("why_buys_in", z, where="、".join(w)) for w in where])
    if not bits:
        bits.append([_t("why_default", z, days=int(n), last=int(d)) for n, d in zip(sub["purchase_days"], days)])
    sep, tail = _t("why_sep", z), _t("why_not_member", z)
    return np.array([sep.join(parts) + tail for parts in zip(*bits)], dtype=object)


def action_lists(inputs: Inputs, sched: Schedule, month: int | None = None, lang: str = "en") -> dict:
    """The CRM team's lists: per channel that contacts customers of the data, who to contact in
    ``month`` (None: the first month the channel contacts anyone -- month 1 for the channels that
    start at once), highest priority first, why (in ``lang``), and the chance that they join."""
    lang = i18n.check_language(lang)
    out = {}
    pool = inputs.pool
    for key in inputs.channels:
        months = [month] if month is not None else sorted(m for (m, k), v in sched.lists.items() if k == key and len(v))
        if not months:
            continue
        first = months[0]
        idx = sched.lists.get((first, key))
        if idx is None or not len(idx):
            continue
        ch = inputs.plan.channels[key]
        sub = pool.iloc[idx]
        e = ch.eligible
        days = sub["days_since_last"].astype(float).fillna(-1).astype(int).astype(str)
        bits = []
        if "top_prospects" in e or "prospects_only" in e:
            bits.append("potential super user #" + sub["prospect_rank"].fillna(0).astype(int).astype(str) + ": "
                        + sub["prospect_reason"].astype(str))
        if "min_repeat_purchases" in e:
            bits.append(sub["repeat_purchases"].astype(int).astype(str)
                        + f" repeat purchases (at least {e['min_repeat_purchases']})")
        if "min_criteria" in e:
            bits.append("meets " + sub["criteria_met"].astype(int).astype(str) + " of the four criteria")
        if "dormant_days" in e:
            bits.append("dormant: no purchase for " + days + f" days (at least {e['dormant_days']})")
        if "active_days" in e:
            bits.append("bought " + days + " days ago")
        if "min_p_alive" in e or "max_p_alive" in e or key == "paid_ads":
            bits.append("still active with probability " + sub["p_alive"].map(lambda v: f"{v:.2f}"))
        if "buys_in" in e:
            where = pd.Series("", index=sub.index)
            for c in e["buys_in"]:
                if f"buys_in:{c}" in sub.columns:
                    where = where + np.where(sub[f"buys_in:{c}"], (where.ne("").map({True: ", ", False: ""}) + c), "")
            bits.append("buys in " + where)
        if not bits:
            bits.append("bought on " + sub["purchase_days"].astype(int).astype(str) + " days, last " + days + " days ago")
        reasons = bits[0]
        for b in bits[1:]:
            reasons = reasons + "; " + b
        reasons = (reasons + " -- not a member yet").to_numpy()
        if lang == "zh":
            reasons = _reasons_zh(sub, e, key)
        out[key] = pd.DataFrame({
            "customer_id": sub.index.astype(str), "channel": key, "month": first, "rank": np.arange(1, len(sub) + 1),
            "reason": reasons, "join_probability": inputs.conversion[key]["value"],
            "repeat_purchases": sub["repeat_purchases"].to_numpy(), "days_since_last": sub["days_since_last"].to_numpy(),
            "revenue": sub["revenue"].round(2).to_numpy(), "p_alive": sub["p_alive"].round(3).to_numpy(),
        })
    return out


# ----------------------------------------------------------------------------------------------
# The analysis of notebook 06
# ----------------------------------------------------------------------------------------------
@dataclass
class PhasesResult(Result):
    inputs: Inputs
    projection: Projection
    kpis: pd.DataFrame
    mc: dict
    tornado: pd.DataFrame
    modes: pd.DataFrame
    actions: dict
    settings: dict
    from_zero: dict = field(default_factory=dict)

    @property
    def monthly(self) -> pd.DataFrame:
        return self.projection.monthly

    @property
    def months(self) -> int:
        return int(self.settings["months"])

    def channel_months(self) -> dict:
        """Channel -> the months it runs (its phase has it and it has opened), for the phase chart."""
        active = self.projection.schedule.active
        return {k: [m for m in range(1, self.months + 1) if active.get((m, k))] for k in self.inputs.channels}

    def action_files(self) -> dict:
        """Channel -> the file name of its first action list, ``actions_<channel>_month<m>.csv``."""
        return {k: f"actions_{k}_month{int(lst['month'].iloc[0])}.csv" for k, lst in self.actions.items()}

    def channel_table(self) -> pd.DataFrame:
        """Per channel over the plan: contacts, joins, the conversion used and whether it was measured
        or assumed, and the customers of the data it may contact (None: it reaches people outside)."""
        counts = self.projection.schedule.eligible_counts
        chans = self.inputs.channels
        return pd.DataFrame({"contacts": self.projection.contacts_by_channel.sum(),
                             "joins": self.projection.joins_by_channel.sum(),
                             "conversion": [self.inputs.conversion[k]["value"] for k in chans],
                             "conversion_from": [self.inputs.conversion[k]["kind"] for k in chans],
                             "eligible_customers": [counts.get(k) for k in chans]}, index=chans)

    def _when(self, be, lang: str) -> str:
        return _t("when_be", lang, month=be) if be else _t("when_no_be", lang, months=self.months)

    def headline_text(self, lang: str = "en") -> str:
        """Members from start to end, the break-even month, cumulative profit with its 80% band and the
        probability of breaking even, the plan without the members already paying, and the top lever."""
        lang = i18n.check_language(lang)
        m = self.monthly
        last = m.iloc[-1]
        start = float(m["members_before"].iloc[0])
        launch = ""
        if start > 0 and self.from_zero:
            launch = _t("headline_launch", lang, start=_count(start, lang),
                        when=self._when(self.from_zero.get("break_even_month"), lang))
        lever = ""
        if not self.tornado.empty:
            top = self.tornado.iloc[0]
            lever = _t("headline_lever", lang, lever=lever_label(top["input"], lang), low=money_text(top["low"], lang),
                       high=money_text(top["high"], lang))
        return _t("headline", lang, start=_count(start, lang), end=_count(last["members"], lang), months=self.months,
                  when=self._when(self.projection.break_even_month, lang),
                  profit=money_text(last["cumulative_profit"], lang), low=money_text(self.mc["profit_total_low"], lang),
                  high=money_text(self.mc["profit_total_high"], lang), p_be=self.mc["p_break_even"], launch=launch,
                  lever=lever)

    def phase_title(self, name: str, lang: str = "en") -> str:
        """A phase of the plan by its name, in ``lang`` (创业期, 发展期, 稳定期 for the method's)."""
        for p in self.inputs.plan.phases:
            if p.name == name:
                return p.title(lang)
        return name

    def lever_range(self, row, lang: str = "en") -> str:
        """A tornado row as the figure labels it: the lever and its inputs' 10th and 90th percentile."""
        return _t("lever_range", lang, lever=lever_label(row["input"], lang), low=_lever_value(row["low_value"], lang),
                  high=_lever_value(row["high_value"], lang))

    def sources_table(self, lang: str = "en") -> pd.DataFrame:
        """Which inputs were measured and which assumed (:meth:`Inputs.sources_table`), in ``lang``, with
        the catalogue's headers."""
        t = self.inputs.sources_table().reset_index()
        t["kind"] = [_t(f"kind_{k}", lang) for k in t["kind"]]
        t["source"] = [source_label(v, lang) for v in t["source"]]
        t["input"] = [input_label(v, lang) for v in t["input"]]
        return t.rename(columns=i18n.column_labels(STEM, t.columns, lang))

    def notes_text(self, lang: str = "en") -> list[str]:
        """The notes of the inputs in ``lang``."""
        return [note_label(n, lang, self.inputs.plan) for n in self.inputs.notes]

    def _json(self) -> dict:
        m = self.monthly
        source = Path(self.inputs.plan.source)
        cols = ["month", "phase", "contacts", "joins", "renewals_due", "renewals", "lapses", "members", "fee_revenue",
                "incremental_margin", "benefit_cost", "channel_cost", "operating_cost", "profit", "cumulative_profit",
                "penetration", "conversion", "renewal_rate", "revenue_per_member", "active_customers", "mode"]
        mc = self.mc
        return {
            "plan": self.inputs.plan.name,
            "plan_file": source.name if source.is_file() else None,
            "months": self.months,
            "renewal_period": self.inputs.plan.renewal_period,
            "monthly": m[cols].to_dict(orient="records"),
            "joins_by_channel": {k: float(v) for k, v in self.projection.joins_by_channel.sum().items()},
            "contacts_by_channel": {k: float(v) for k, v in self.projection.contacts_by_channel.sum().items()},
            "members_end": float(m["members"].iloc[-1]),
            "members_start": float(m["members_before"].iloc[0]),
            "profit_total": float(m["cumulative_profit"].iloc[-1]),
            "break_even_month": self.projection.break_even_month,
            "mode_switch_month": self.projection.mode_switch_month,
            "from_zero": self.from_zero,
            "kpis_by_phase": self.kpis.to_dict(orient="records"),
            "monte_carlo": {
                "n_sims": mc["n_sims"], "band": mc["band"], "p_break_even": mc["p_break_even"],
                "p_break_even_by_month": mc["p_break_even_by_month"],
                "members_low": mc["members_low"].tolist(), "members_high": mc["members_high"].tolist(),
                "cumulative_profit_low": mc["cumulative_profit_low"].tolist(),
                "cumulative_profit_high": mc["cumulative_profit_high"].tolist(),
                "profit_total_low": mc["profit_total_low"], "profit_total_high": mc["profit_total_high"]},
            "tornado": self.tornado.drop(columns=["base"], errors="ignore").to_dict(orient="records"),
            "modes": self.modes.to_dict(orient="records"),
            "inputs": dict(self.inputs.sources),
            "assumed_inputs": [k for k in self.inputs.sources if self.inputs.kind(k) == "assumed"],
            "conversion": {k: {kk: v[kk] for kk in ("value", "low", "high", "kind")}
                           for k, v in self.inputs.conversion.items()},
            "causal_ratio": self.inputs.causal["value"],
            "action_lists": self.action_files(),
            "notes": list(self.inputs.notes),
            "observation_end": self.inputs.observation_end,
            "headline": self.headline_text("en"),
        }


def default_plan_path() -> str:
    return str(DATASETS_DIR / "coffee_club" / "plan.yaml")


def run(tables, plan_path: str = "", months: int | None = None, n_sims: int = 1000, seed: int = 0, observation_end=None,
        causal_ratio=None, sbg: dict = {}, member_spend: dict = {}, benefit_cost: dict = {},  # noqa: B006
        bundles: dict = {}, include_existing: bool = True, window_days: int = 30) -> PhasesResult:  # noqa: B006
    """Notebook 06's analysis: read the plan (``plan_path``; empty: the bundled coffee_club plan),
    resolve its inputs, project ``months`` months (None: the plan's ``months``), run ``n_sims`` Monte
    Carlo draws, the tornado, the mode comparison and each channel's first action list."""
    if months is not None and str(months).strip() != "":
        months = check_number("months", months, low=1, high=120, integer=True, fix="e.g. 24, or None for the plan's.")
    else:
        months = None
    window_days = check_number("window_days", window_days, low=1, integer=True, fix="e.g. 30.")
    text = "" if plan_path is None else str(plan_path).strip()
    if text.lower() in ("none", "-"):
        text = ""          # a report with the client's data and no plan: the template, with a warning
    plan = read_plan(text or default_plan_path(), months=months)
    months = plan.months
    end = observation_end if observation_end not in (None, "") else tables.observation_end
    inputs = resolve_inputs(tables, plan, end, causal_ratio, sbg, member_spend, benefit_cost, bundles,
                            include_existing, window_days)
    if not text and not str(tables.sources.get("transactions", "")).startswith("bundled"):
        inputs.notes.insert(0, "no plan was given: the channel, cost and target numbers are the bundled coffee_club "
                               "template's assumptions; write your own plan (copy datasets/coffee_club/plan.yaml)")
    sched = schedule_contacts(inputs, months)
    proj = project(inputs, months, sched=sched)
    mc = monte_carlo(inputs, sched, months, n_sims, seed)
    tor = tornado(inputs, sched, months, mc)
    modes = compare_modes(inputs, sched, months)
    kp = kpis_by_phase(inputs, proj.monthly)
    # the same plan as a launch from zero: the members already paying left out
    zero = project(replace(inputs, existing=inputs.existing.iloc[0:0]), months, sched=sched)
    from_zero = {"members_end": float(zero.monthly["members"].iloc[-1]),
                 "profit_total": float(zero.monthly["cumulative_profit"].iloc[-1]),
                 "break_even_month": zero.break_even_month}
    acts = action_lists(inputs, sched)
    settings = {"months": months, "n_sims": n_sims, "seed": seed, "window_days": window_days}
    return PhasesResult(inputs=inputs, projection=proj, kpis=kp, mc=mc, tornado=tor, modes=modes, actions=acts,
                        settings=settings, from_zero=from_zero)
