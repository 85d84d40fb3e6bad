"""The membership plan: a YAML file of the choices and assumptions behind notebook 06's projection.

A plan says what the client intends to do, month by month: the fees and tier mix, the channels that
reach customers (the method's seven; its fifth, phone / SMS / e-mail, is split in two routes because
their rules and costs differ), the three phases and what each runs, the two management modes and
when to switch, and the KPI targets. Numbers the data can measure (renewal, spend uplift, member
spend, conversion where a contacts table exists) are taken from the data in the analysis; the plan's
``assumptions`` are used only where nothing was measured, and the notebook says which was which.

::

    name: Brew&Co membership plan
    name_zh: 咖啡连锁付费会员规划     # optional: the name on Chinese pages
    months: 24                       # horizon (the notebook's months parameter overrides it)
    renewal_period: monthly          # monthly or annual: how often the fee is charged and renewed
    fees: {V1: 99, V2: 199, V3: 299} # yuan a year, lowest tier first
    mix: {V1: 0.6, V2: 0.3, V3: 0.1} # share of new members per tier (omit: the members' tiers in the data)
    margin: 0.6                      # gross margin on the extra spend a member brings
    channels:
      phone:                         # a channel key (see CHANNEL_KEYS)
        eligible: {top_prospects: 200}
        contacts_per_month: 100      # or "all": every eligible customer every month
        recontact_months: 3          # months before the same customer is contacted again
        cost_per_contact: 6.0        # yuan; also cost_per_join and cost_per_month
        conversion: 0.15             # share of contacted customers who join
        conversion_range: [0.08, 0.25]
        opens: 1                     # first month the channel runs
      alliances:
        reach_per_month: 2000        # people outside the client's data (partners' customers, followers)
        ...
    phases:
      startup: {months: [1, 9], channels: [stores, phone, sms_email], benefits: [member_price, ...],
                targets: {penetration: 0.05, conversion: 0.02, renewal: 0.85, revenue_per_member: 900}}
      # a phase may add name_zh (its name in Chinese pages); the method's startup, growth and stable
      # have theirs (创业期, 发展期, 稳定期), so only a phase of another name needs one
    modes:
      simple: {fixed_per_month: 40000, per_member_per_month: 0.5, capacity: 50000}
      standard: {fixed_per_month: 60000, per_member_per_month: 0.2, setup_cost: 300000}
    mode_rule: {start: simple, switch_to: standard, at_members: 10000}   # or at_month: 13
    # at_members: from the month after members reach it (month 1 if the members already paying do)
    assumptions: {causal_ratio: 1.3, causal_ratio_range: [1.1, 1.5], member_spend: {...},
                  benefit_cost: {...}, bundles: {...}, sbg: {V1: {alpha: 1.2, beta: 5.0}}}

:func:`read_plan` checks every key and value and raises a :class:`DataError` naming the key and
the fix; unknown keys are refused (a typo never silently drops a rule).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from superkit.core.errors import DataError
from superkit.data.contract import read_yaml
from superkit.data.spec import CONTACT_CHANNELS

__all__ = ["CHANNEL_KEYS", "CHANNEL_ORDER", "Channel", "ELIGIBILITY_RULES", "KPI_NAMES", "METHOD_MODES",
           "METHOD_PHASES", "Mode", "PRIORITIES", "Phase", "Plan", "read_plan"]

CHANNEL_KEYS = tuple(CONTACT_CHANNELS)
# The order in which channels take their contacts in a month: the costly, targeted ones first, so a
# customer phoned this month is not also counted as an SMS join before the phone call is.
CHANNEL_ORDER = ("phone", "sms_email", "paid_ads", "stores", "app", "online_shops", "own_media", "alliances")
# Eligibility rules, each read from the client's data as of the observation end (AND-ed together).
ELIGIBILITY_RULES = {
    "top_prospects": "the first N potential super users of notebook 01's list who are not members",
    "prospects_only": "true: only potential super users (notebook 01's list)",
    "min_repeat_purchases": "bought again at least N times (purchase days - 1)",
    "min_criteria": "meets at least N of the four super-user criteria",
    "dormant_days": "no purchase for at least N days",
    "active_days": "bought within the last N days",
    "min_p_alive": "probability still active (notebook 02) at least this",
    "max_p_alive": "probability still active (notebook 02) at most this",
    "buys_in": "bought in one of these transaction channels (a list, e.g. [store])",
}
PRIORITIES = ("criteria", "revenue", "p_alive", "recency")
# The method's three phases of a paid membership (Yan Tao, 三寿营销, article 003): the Chinese name and
# the months by which each ends -- startup (创业期) in the first 6-12 months, growth (发展期) to month
# 12-18, stable (稳定期) to month 18-24.
METHOD_PHASES = {"startup": ("创业期", (6, 12)), "growth": ("发展期", (12, 18)), "stable": ("稳定期", (18, 24))}
# The method's two management modes: simple (简约型: personal WeChat accounts, the official account and
# a mini-shop) and standard (标准型: a membership system).
METHOD_MODES = {"simple": "简约型", "standard": "标准型"}
KPI_NAMES = {
    "penetration": "members / active customers (渗透率), at the phase's end",
    "conversion": "joins / customers contacted (转化率), over the phase",
    "renewal": "renewals / renewals due (续费率), over the phase",
    "revenue_per_member": "fee and spend per member-year, yuan (单客产值), over the phase",
}
_PLAN_KEYS = {"name", "name_zh", "months", "renewal_period", "fees", "mix", "margin", "channels", "phases", "modes",
              "mode_rule", "assumptions", "notes"}
_CHANNEL_FIELDS = {"eligible", "contacts_per_month", "reach_per_month", "recontact_months", "cost_per_contact",
                 "cost_per_join", "cost_per_month", "conversion", "conversion_range", "opens", "priority",
                 "note"}
_PHASE_KEYS = {"months", "channels", "benefits", "targets", "focus", "name_zh"}
_MODE_KEYS = {"fixed_per_month", "per_member_per_month", "capacity", "setup_cost", "note"}
_RULE_KEYS = {"start", "switch_to", "at_members", "at_month"}
_ASSUMPTION_KEYS = {"causal_ratio", "causal_ratio_range", "member_spend", "benefit_cost", "bundles", "sbg",
                    "sbg_spread"}


@dataclass(frozen=True)
class Channel:
    """One channel of the plan. ``reach_per_month`` set: it reaches people outside the client's data
    (no customer list); otherwise it contacts eligible customers of the data, ``contacts_per_month``
    at most (None: all of them every month)."""

    key: str
    conversion: float
    conversion_range: tuple[float, float]
    eligible: dict = field(default_factory=dict)
    contacts_per_month: float | None = None
    reach_per_month: float | None = None
    recontact_months: int = 3
    cost_per_contact: float = 0.0
    cost_per_join: float = 0.0
    cost_per_month: float = 0.0
    opens: int = 1
    priority: str = "criteria"

    @property
    def external(self) -> bool:
        """Reaches people outside the data (no customer list, no depletion)."""
        return self.reach_per_month is not None


@dataclass(frozen=True)
class Phase:
    name: str
    first: int
    last: int
    channels: tuple[str, ...]
    benefits: tuple[str, ...] | None  # None: every benefit of the tiers' bundles
    targets: dict = field(default_factory=dict)
    focus: str = ""
    name_zh: str = ""   # the name on Chinese pages ("" : the method's name for startup, growth, stable)

    def title(self, lang: str = "en") -> str:
        """The phase's name in ``lang``: in Chinese its ``name_zh``, else the method's (创业期, 发展期,
        稳定期), else the plan's name as written."""
        if lang != "zh":
            return self.name
        return self.name_zh or METHOD_PHASES.get(self.name, (self.name,))[0]


@dataclass(frozen=True)
class Mode:
    name: str
    fixed_per_month: float
    per_member_per_month: float
    capacity: float | None = None
    setup_cost: float = 0.0


@dataclass(frozen=True)
class Plan:
    """A validated plan (see the module docstring); ``source`` names the file."""

    name: str
    months: int
    renewal_period: str
    fees: dict
    mix: dict
    margin: float
    channels: dict
    phases: tuple[Phase, ...]
    modes: dict
    start_mode: str
    switch_to: str | None
    switch_at_members: float | None
    switch_at_month: int | None
    assumptions: dict
    source: str = "plan"
    notes: tuple[str, ...] = ()
    name_zh: str = ""

    def title(self, lang: str = "en") -> str:
        """The plan's name in ``lang`` (in Chinese its ``name_zh`` when the plan gives one)."""
        return self.name_zh if lang == "zh" and self.name_zh else self.name

    @property
    def tiers(self) -> list[str]:
        return list(self.fees)

    @property
    def periods_per_year(self) -> int:
        return 12 if self.renewal_period == "monthly" else 1

    def phase_of(self, month: int) -> Phase:
        """The phase that runs in ``month`` (1-based); the last phase goes on past its end."""
        for p in self.phases:
            if p.first <= month <= p.last:
                return p
        return self.phases[-1]


# ----------------------------------------------------------------------------------------------
def _err(src: str, key: str, problem: str, fix: str) -> DataError:
    return DataError(f"{key}: {problem}", source=src, fix=fix)


def _unknown(src: str, where: str, got: dict, allowed: set) -> None:
    extra = sorted(set(map(str, got)) - allowed)
    if extra:
        raise _err(src, where, f"unknown keys {extra}", f"use only {sorted(allowed)} (check the spelling).")


def _mapping(src: str, key: str, value, required: bool = False) -> dict:
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise _err(src, key, f"must be a mapping, got {type(value).__name__} {value!r}",
                   f"write it as '{key.split('.')[-1]}: {{name: value, ...}}' or as an indented block.")
    return {str(k): v for k, v in value.items()}


def _num(src: str, key: str, value, low: float | None = 0.0, high: float | None = None,
         low_open: bool = False, unit: str = "") -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        if isinstance(value, str):
            text = value.strip().rstrip("%")
            try:
                num = float(text.replace(",", "")) / (100.0 if value.strip().endswith("%") else 1.0)
            except ValueError:
                num = None
            if num is not None:
                value = num
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _err(src, key, f"must be a number, got {value!r}", f"write a number{unit}, e.g. {key.split('.')[-1]}: 0.02.")
    v = float(value)
    if v != v or v in (float("inf"), float("-inf")):
        raise _err(src, key, "must be a finite number", "write a number.")
    if low is not None and (v < low or (low_open and v == low)):
        raise _err(src, key, f"must be {'above' if low_open else 'at least'} {low:g}, got {v:g}", f"write a value{unit} in range.")
    if high is not None and v > high:
        raise _err(src, key, f"must be at most {high:g}, got {v:g}",
                   "write a share as 0.02 or 2% (not 2)." if high == 1 else "write a value in range.")
    return v


def _int(src: str, key: str, value, low: int = 1) -> int:
    v = _num(src, key, value, low=low)
    if v != int(v):
        raise _err(src, key, f"must be a whole number, got {v:g}", "write a whole number of months.")
    return int(v)


def _share_pair(src: str, key: str, value) -> tuple[float, float]:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise _err(src, key, f"must be [low, high], got {value!r}", "e.g. conversion_range: [0.01, 0.04].")
    lo, hi = (_num(src, f"{key}[{i}]", v, 0.0, 1.0) for i, v in enumerate(value))
    if lo > hi:
        raise _err(src, key, f"low {lo:g} is above high {hi:g}", "write [low, high].")
    return lo, hi


def _eligibility(src: str, key: str, value) -> dict:
    rules = _mapping(src, key, value)
    _unknown(src, key, rules, set(ELIGIBILITY_RULES))
    out = {}
    for k, v in rules.items():
        where = f"{key}.{k}"
        if k == "buys_in":
            vals = [v] if isinstance(v, str) else v
            if not isinstance(vals, list) or not vals or not all(isinstance(x, str) for x in vals):
                raise _err(src, where, f"must be a list of transaction channels, got {v!r}", "e.g. buys_in: [store].")
            out[k] = tuple(x.strip() for x in vals)
        elif k == "prospects_only":
            if not isinstance(v, bool):
                raise _err(src, where, f"must be true or false, got {v!r}", "write prospects_only: true.")
            out[k] = v
        elif k in ("min_p_alive", "max_p_alive"):
            out[k] = _num(src, where, v, 0.0, 1.0)
        else:
            out[k] = _int(src, where, v, low=0 if k != "top_prospects" else 1)
    if out.get("min_p_alive", 0.0) > out.get("max_p_alive", 1.0):
        raise _err(src, key, f"min_p_alive {out['min_p_alive']:g} is above max_p_alive {out['max_p_alive']:g}: no one "
                   "can qualify", "keep min_p_alive at or below max_p_alive.")
    if "dormant_days" in out and "active_days" in out and out["active_days"] <= out["dormant_days"]:
        raise _err(src, key, "asks for customers both dormant and active: no one can qualify",
                   "keep dormant_days or active_days, not both.")
    return out


def _channel(src: str, key: str, raw) -> Channel:
    where = f"channels.{key}"
    if key not in CONTACT_CHANNELS:
        raise _err(src, where, "is not one of the channels",
                   "use the channel keys: " + ", ".join(f"{k} ({zh})" for k, (_, zh, _n) in CONTACT_CHANNELS.items()) + ".")
    raw = _mapping(src, where, raw, required=True)
    _unknown(src, where, raw, _CHANNEL_FIELDS)
    if "conversion" not in raw:
        raise _err(src, where, "has no conversion", "give the share of contacted people who join, e.g. conversion: 0.02.")
    conv = _num(src, f"{where}.conversion", raw["conversion"], 0.0, 1.0)
    rng = _share_pair(src, f"{where}.conversion_range", raw["conversion_range"]) if "conversion_range" in raw else (conv, conv)
    if not rng[0] <= conv <= rng[1]:
        raise _err(src, f"{where}.conversion_range", f"{list(rng)} does not contain the conversion {conv:g}",
                   "the range is the low and high values around the plan's conversion.")
    reach = raw.get("reach_per_month")
    cpm = raw.get("contacts_per_month")
    eligible = _eligibility(src, f"{where}.eligible", raw.get("eligible"))
    if reach is not None and (cpm is not None or eligible):
        raise _err(src, where, "has reach_per_month and also contacts_per_month or eligible",
                   "reach_per_month is for people outside the data (no list); contacts_per_month and eligible "
                   "pick customers from the data. Keep one.")
    if reach is None and cpm is None:
        raise _err(src, where, "says neither contacts_per_month nor reach_per_month",
                   "give contacts_per_month (customers of the data a month, or \"all\") or reach_per_month "
                   "(people outside the data a month).")
    if isinstance(cpm, str) and cpm.strip().lower() == "all":
        cpm = None
    elif cpm is not None:
        cpm = _num(src, f"{where}.contacts_per_month", cpm, 0.0)
    if reach is not None:
        reach = _num(src, f"{where}.reach_per_month", reach, 0.0)
    opens = _int(src, f"{where}.opens", raw.get("opens", 1))
    priority = str(raw.get("priority", "p_alive" if "dormant_days" in eligible else "criteria"))
    if priority not in PRIORITIES:
        raise _err(src, f"{where}.priority", f"unknown priority {priority!r}", f"use one of {list(PRIORITIES)}.")
    return Channel(key=key, conversion=conv, conversion_range=rng, eligible=eligible,
                   contacts_per_month=cpm, reach_per_month=reach,
                   recontact_months=_int(src, f"{where}.recontact_months", raw.get("recontact_months", 3)),
                   cost_per_contact=_num(src, f"{where}.cost_per_contact", raw.get("cost_per_contact", 0.0), unit=" (yuan)"),
                   cost_per_join=_num(src, f"{where}.cost_per_join", raw.get("cost_per_join", 0.0), unit=" (yuan)"),
                   cost_per_month=_num(src, f"{where}.cost_per_month", raw.get("cost_per_month", 0.0), unit=" (yuan)"),
                   opens=opens, priority=priority)


def _targets(src: str, key: str, value) -> dict:
    t = _mapping(src, key, value)
    _unknown(src, key, t, set(KPI_NAMES))
    return {k: _num(src, f"{key}.{k}", v, 0.0, None if k == "revenue_per_member" else 1.0) for k, v in t.items()}


def _phases(src: str, raw, channels: dict, months: int) -> tuple[tuple[Phase, ...], list[str]]:
    raw = _mapping(src, "phases", raw, required=True)
    if not raw:
        raise _err(src, "phases", "is empty", "give at least one phase, e.g. startup: {months: [1, 9], channels: all}.")
    out, notes = [], []
    for name, body in raw.items():
        where = f"phases.{name}"
        body = _mapping(src, where, body, required=True)
        _unknown(src, where, body, _PHASE_KEYS)
        m = body.get("months")
        if not isinstance(m, (list, tuple)) or len(m) != 2:
            raise _err(src, f"{where}.months", f"must be [first, last], got {m!r}", "e.g. months: [1, 9].")
        first, last = (_int(src, f"{where}.months", v) for v in m)
        if last < first:
            raise _err(src, f"{where}.months", f"ends ({last}) before it starts ({first})", "write [first, last].")
        ch = body.get("channels", "all")
        if ch == "all":
            ch = list(channels)
        if isinstance(ch, str):
            ch = [ch]
        if not isinstance(ch, list):
            raise _err(src, f"{where}.channels", f"must be a list of channel keys or all, got {ch!r}", "e.g. channels: [stores, phone].")
        missing = sorted(set(map(str, ch)) - set(channels))
        if missing:
            raise _err(src, f"{where}.channels", f"names channels {missing} that the plan does not define",
                       f"define them under channels:, or use {sorted(channels)}.")
        ben = body.get("benefits", "all")
        if ben == "all" or ben is None:
            ben = None
        elif isinstance(ben, list) and all(isinstance(b, (str, int)) for b in ben):
            ben = tuple(str(b) for b in ben)
        else:
            raise _err(src, f"{where}.benefits", f"must be all or a list of benefit ids, got {ben!r}",
                       "e.g. benefits: [member_price, birthday_treat].")
        out.append(Phase(name=str(name), first=first, last=last, channels=tuple(map(str, ch)), benefits=ben,
                         targets=_targets(src, f"{where}.targets", body.get("targets")),
                         focus=str(body.get("focus", "")), name_zh=str(body.get("name_zh") or "").strip()))
    out.sort(key=lambda p: p.first)
    if out[0].first != 1:
        raise _err(src, "phases", f"the first phase starts in month {out[0].first}", "start the first phase in month 1.")
    for a, b in zip(out, out[1:]):
        if b.first != a.last + 1:
            gap = "overlaps" if b.first <= a.last else "leaves a gap after"
            raise _err(src, "phases", f"{b.name} (months {b.first}-{b.last}) {gap} {a.name} (months {a.first}-{a.last})",
                       "let each phase start the month after the previous one ends.")
    if out[-1].last < months:
        notes.append(f"the plan's phases end in month {out[-1].last}; {out[-1].name} goes on to month {months}")
    # the method's guide: startup ends within months 6-12, growth within 12-18 (article 003)
    guide = {k: METHOD_PHASES[k][1] for k in ("startup", "growth")}
    for p in out:
        if p.name in guide:
            lo, hi = guide[p.name]
            if not lo <= p.last <= hi:
                notes.append(f"{p.name} ends in month {p.last}; the method puts its end between months {lo} and {hi}")
    return tuple(out), notes


def _modes(src: str, raw, rule_raw) -> tuple[dict, str, str | None, float | None, int | None]:
    raw = _mapping(src, "modes", raw, required=True)
    if not raw:
        raise _err(src, "modes", "is empty", "give at least one mode, e.g. simple: {fixed_per_month: 40000}.")
    modes = {}
    for name, body in raw.items():
        where = f"modes.{name}"
        body = _mapping(src, where, body, required=True)
        _unknown(src, where, body, _MODE_KEYS)
        cap = body.get("capacity")
        modes[name] = Mode(name=name,
                           fixed_per_month=_num(src, f"{where}.fixed_per_month", body.get("fixed_per_month", 0.0)),
                           per_member_per_month=_num(src, f"{where}.per_member_per_month", body.get("per_member_per_month", 0.0)),
                           capacity=None if cap is None else _num(src, f"{where}.capacity", cap, 0.0, low_open=True),
                           setup_cost=_num(src, f"{where}.setup_cost", body.get("setup_cost", 0.0)))
    rule = _mapping(src, "mode_rule", rule_raw)
    _unknown(src, "mode_rule", rule, _RULE_KEYS)
    start = str(rule.get("start", next(iter(modes))))
    if start not in modes:
        raise _err(src, "mode_rule.start", f"names {start!r}, not one of the modes", f"use one of {sorted(modes)}.")
    to = rule.get("switch_to")
    at_m = rule.get("at_members")
    at_month = rule.get("at_month")
    if to is None:
        if at_m is not None or at_month is not None:
            raise _err(src, "mode_rule", "gives when to switch but not switch_to", f"add switch_to: one of {sorted(modes)}.")
        return modes, start, None, None, None
    to = str(to)
    if to not in modes or to == start:
        raise _err(src, "mode_rule.switch_to", f"names {to!r}", f"use a mode other than {start}: {sorted(set(modes) - {start})}.")
    if (at_m is None) == (at_month is None):
        raise _err(src, "mode_rule", "needs exactly one of at_members and at_month",
                   "e.g. at_members: 10000 (switch the month after members reach it) or at_month: 13.")
    return (modes, start, to, None if at_m is None else _num(src, "mode_rule.at_members", at_m, 0.0, low_open=True),
            None if at_month is None else _int(src, "mode_rule.at_month", at_month))


def _tier_numbers(src: str, key: str, value, tiers: list[str], low=0.0) -> dict:
    d = _mapping(src, key, value)
    extra = sorted(set(d) - set(tiers))
    if extra:
        raise _err(src, key, f"names tiers {extra} that are not in fees", f"use the tiers {tiers}.")
    return {t: _num(src, f"{key}.{t}", v, low) for t, v in d.items()}


def _assumptions(src: str, raw, tiers: list[str]) -> dict:
    a = _mapping(src, "assumptions", raw)
    _unknown(src, "assumptions", a, _ASSUMPTION_KEYS)
    out = {}
    if "causal_ratio" in a:
        out["causal_ratio"] = _num(src, "assumptions.causal_ratio", a["causal_ratio"], 0.0, low_open=True)
        if "causal_ratio_range" in a:
            r = a["causal_ratio_range"]
            if not isinstance(r, (list, tuple)) or len(r) != 2:
                raise _err(src, "assumptions.causal_ratio_range", f"must be [low, high], got {r!r}", "e.g. [1.1, 1.5].")
            lo, hi = (_num(src, "assumptions.causal_ratio_range", v, 0.0, low_open=True) for v in r)
            if not lo <= out["causal_ratio"] <= hi:
                raise _err(src, "assumptions.causal_ratio_range", f"[{lo:g}, {hi:g}] does not contain {out['causal_ratio']:g}",
                           "give the low and high values around the assumed ratio.")
            out["causal_ratio_range"] = (lo, hi)
    elif "causal_ratio_range" in a:
        raise _err(src, "assumptions.causal_ratio_range", "is given without causal_ratio", "add causal_ratio: 1.3.")
    for k in ("member_spend", "benefit_cost"):
        if k in a:
            out[k] = _tier_numbers(src, f"assumptions.{k}", a[k], tiers)
    if "bundles" in a:
        b = _mapping(src, "assumptions.bundles", a["bundles"])
        extra = sorted(set(b) - set(tiers))
        if extra:
            raise _err(src, "assumptions.bundles", f"names tiers {extra} that are not in fees", f"use the tiers {tiers}.")
        for t, ids in b.items():
            if not isinstance(ids, list):
                raise _err(src, f"assumptions.bundles.{t}", f"must be a list of benefit ids, got {ids!r}", "e.g. [member_price].")
        out["bundles"] = {t: [str(i) for i in ids] for t, ids in b.items()}
    if "sbg" in a:
        s = _mapping(src, "assumptions.sbg", a["sbg"])
        extra = sorted(set(s) - set(tiers))
        if extra:
            raise _err(src, "assumptions.sbg", f"names tiers {extra} that are not in fees", f"use the tiers {tiers}.")
        out["sbg"] = {}
        for t, ab in s.items():
            ab = _mapping(src, f"assumptions.sbg.{t}", ab, required=True)
            _unknown(src, f"assumptions.sbg.{t}", ab, {"alpha", "beta"})
            if set(ab) != {"alpha", "beta"}:
                raise _err(src, f"assumptions.sbg.{t}", "needs alpha and beta", "e.g. {alpha: 1.2, beta: 5.0}.")
            out["sbg"][t] = {k: _num(src, f"assumptions.sbg.{t}.{k}", v, 0.0, low_open=True) for k, v in ab.items()}
    # relative spread (on the log scale) of assumed sBG parameters in the Monte Carlo
    out["sbg_spread"] = _num(src, "assumptions.sbg_spread", a.get("sbg_spread", 0.2), 0.0)
    return out


def read_plan(source, months: int | None = None) -> Plan:
    """Read and check a plan: a YAML file path, or a dict with the same content. ``months`` (the
    notebook parameter) overrides the plan's horizon."""
    if isinstance(source, dict):
        src, doc = "the plan", source
    else:
        path = Path(source)
        src = str(path)
        if not path.is_file():
            raise DataError("plan file not found", source=src,
                            fix="give the path of a YAML plan (copy datasets/coffee_club/plan.yaml and edit it).")
        doc = read_yaml(path, keep_text=False)
    if not isinstance(doc, dict):
        raise DataError("the plan must be a YAML mapping (name:, fees:, channels:, phases:, modes:)", source=src,
                        fix="start from datasets/coffee_club/plan.yaml.")
    doc = {str(k): v for k, v in doc.items()}
    _unknown(src, "plan", doc, _PLAN_KEYS)
    for k in ("fees", "channels", "phases", "modes"):
        if k not in doc:
            raise _err(src, k, "is missing", "every plan has fees, channels, phases and modes (see datasets/coffee_club/plan.yaml).")
    horizon = _int(src, "months", months if months is not None else doc.get("months", 24))
    if horizon > 120:
        raise _err(src, "months", f"{horizon} months is beyond what the fitted models can say", "plan at most 120 months.")
    period = str(doc.get("renewal_period", "monthly")).strip().lower()
    if period not in ("monthly", "annual"):
        raise _err(src, "renewal_period", f"must be monthly or annual, got {period!r}",
                   "monthly: the fee is charged and renewed every month; annual: once a year.")
    fees = _mapping(src, "fees", doc["fees"], required=True)
    if not fees:
        raise _err(src, "fees", "is empty", "e.g. fees: {V1: 99, V2: 199, V3: 299} (yuan a year).")
    fees = {t: _num(src, f"fees.{t}", v, unit=" (yuan a year)") for t, v in fees.items()}
    tiers = list(fees)
    mix = _tier_numbers(src, "mix", doc.get("mix"), tiers)
    if mix:
        missing = [t for t in tiers if t not in mix]
        if missing:
            raise _err(src, "mix", f"gives no share for {missing}", "give every tier a share (0 for a tier not sold yet).")
        total = sum(mix.values())
        if total <= 0:
            raise _err(src, "mix", "gives every tier 0", "e.g. mix: {V1: 0.6, V2: 0.3, V3: 0.1}.")
        mix = {t: v / total for t, v in mix.items()}
    margin = _num(src, "margin", doc.get("margin", 0.6), 0.0, 1.0)
    ch_raw = _mapping(src, "channels", doc["channels"], required=True)
    if not ch_raw:
        raise _err(src, "channels", "is empty", "give at least one channel (see the channel keys).")
    channels = {k: _channel(src, k, v) for k, v in ch_raw.items()}
    phases, notes = _phases(src, doc["phases"], channels, horizon)
    for c in channels.values():
        if c.opens > horizon:
            notes.append(f"{c.key} opens in month {c.opens}, after the plan's {horizon} months")
        if not any(c.key in p.channels for p in phases):
            notes.append(f"{c.key} is in no phase, so it never runs")
    modes, start, to, at_members, at_month = _modes(src, doc["modes"], doc.get("mode_rule"))
    return Plan(name=str(doc.get("name", "membership plan")), months=horizon, renewal_period=period, fees=fees,
                mix=mix, margin=margin, channels=channels, phases=phases, modes=modes, start_mode=start,
                switch_to=to, switch_at_members=at_members, switch_at_month=at_month,
                assumptions=_assumptions(src, doc.get("assumptions"), tiers), source=src, notes=tuple(notes),
                name_zh=str(doc.get("name_zh") or "").strip())
