"""The membership plan (analyses.phases, data.plan): accounting identities, the sBG survival of a
single cohort, a zero-conversion plan, eligibility rules, the mode switch, the Monte Carlo bands,
and the projection of members already paying against a simulated world's known truth."""
from __future__ import annotations

import copy
import re

import numpy as np
import pandas as pd
import pytest

from superkit.analyses import phases
from superkit.core.errors import DataError, ParameterError
from superkit.data import load_tables
from superkit.data.plan import read_plan
from superkit.data.tables import Tables
from superkit.models.sbg import sbg_survival

END = "2025-12-31"
SBG = {"V1": {"alpha": 1.2, "beta": 5.0}, "V2": {"alpha": 1.0, "beta": 6.0}, "V3": {"alpha": 0.8, "beta": 8.0}}


@pytest.fixture(scope="module")
def coffee():
    return load_tables("", "", "", benefits_path="", observation_end=END)


@pytest.fixture(scope="module")
def coffee_run(coffee):
    return phases.run(coffee, observation_end=END, n_sims=400)


def base_plan(**over) -> dict:
    """A small plan: one external channel, one channel on the data, one phase, one mode."""
    doc = {
        "name": "test", "months": 12, "renewal_period": "monthly", "fees": {"V1": 120, "V2": 240, "V3": 360},
        "mix": {"V1": 0.5, "V2": 0.3, "V3": 0.2}, "margin": 0.5,
        "channels": {
            "alliances": {"reach_per_month": 1000, "conversion": 0.02, "conversion_range": [0.01, 0.03],
                          "cost_per_join": 10},
            "sms_email": {"eligible": {"min_repeat_purchases": 3}, "contacts_per_month": 200, "cost_per_contact": 0.1,
                          "conversion": 0.05, "conversion_range": [0.02, 0.08]},
        },
        "phases": {"startup": {"months": [1, 12], "channels": "all"}},
        "modes": {"simple": {"fixed_per_month": 1000, "per_member_per_month": 1.0}},
        "assumptions": {"causal_ratio": 1.25, "benefit_cost": {"V1": 60, "V2": 100, "V3": 150}},
    }
    doc.update(copy.deepcopy(over))
    return doc


def inputs_for(tables, doc, **kw):
    plan = read_plan(doc)
    kw.setdefault("sbg", SBG)
    return phases.resolve_inputs(tables, plan, END, **kw), plan


def check_identities(m: pd.DataFrame):
    prev = np.concatenate([[m["members_before"].iloc[0]], m["members"].to_numpy()[:-1]])
    assert np.allclose(m["members_before"], prev)
    assert np.allclose(m["members"], m["members_before"] + m["joins"] - m["lapses"], atol=1e-9)
    assert np.allclose(m["lapses"], m["renewals_due"] - m["renewals"], atol=1e-9)
    parts = m["fee_revenue"] + m["incremental_margin"] - m["benefit_cost"] - m["channel_cost"] - m["operating_cost"]
    assert np.allclose(m["profit"], parts, atol=1e-9)
    assert np.allclose(m["cumulative_profit"], m["profit"].cumsum(), atol=1e-6)
    assert (m["members"] >= -1e-9).all() and (m["lapses"] >= -1e-9).all()


# ----------------------------------------------------------------------------------------------
def test_the_bundled_plan_adds_up_every_month(coffee_run):
    m = coffee_run.monthly
    assert len(m) == 24 and list(m["phase"].unique()) == ["startup", "growth", "stable"]
    check_identities(m)
    # a monthly fee: every member renews or lapses every month, and pays the fee each month
    assert np.allclose(m["renewals_due"], m["members_before"])
    fee = (coffee_run.projection.members_by_tier * coffee_run.inputs.fees / 12).sum(axis=1).to_numpy()
    assert np.allclose(m["fee_revenue"], fee)
    # joins by channel add up to the month's joins; channels outside their phase bring none
    jbc = coffee_run.projection.joins_by_channel
    assert np.allclose(jbc.sum(axis=1), m["joins"])
    assert jbc.loc[1:9, ["alliances", "paid_ads", "online_shops"]].to_numpy().sum() == 0
    assert jbc.loc[10:18, "online_shops"].sum() == 0 and jbc.loc[10:, "alliances"].gt(0).all()
    assert coffee_run.inputs.sources["members at the start"].startswith("data: 187")


def test_the_annual_fee_renews_once_a_year(coffee):
    doc = base_plan(renewal_period="annual", months=30, phases={"all": {"months": [1, 30]}})
    inp, plan = inputs_for(coffee, doc, include_existing=False)
    p = phases.project(inp, 30)
    m = p.monthly
    check_identities(m)
    # joins of months 1..k renew at months 13..12+k: no renewal falls due in the first year
    assert (m.loc[m["month"] <= 12, "renewals_due"] == 0).all()
    assert np.allclose(m.loc[m["month"] == 13, "renewals_due"].iloc[0], m.loc[m["month"] == 1, "joins"].iloc[0])
    # the fee is paid at joining and at each renewal, a year at a time
    first = m[m["month"] <= 12]
    assert np.allclose(first["fee_revenue"], first["joins"] * (inp.fees * inp.mix).sum())
    j1 = m["joins"].iloc[0]
    renewed = sum(j1 * inp.mix[i] * sbg_survival(SBG[k]["alpha"], SBG[k]["beta"], 1) * inp.fees[i]
                  for i, k in enumerate(inp.tiers))
    assert np.isclose(m["fee_revenue"].iloc[12], m["joins"].iloc[12] * (inp.fees * inp.mix).sum() + renewed)
    # between renewals nobody lapses
    assert (m.loc[(m["month"] > 12) & (m["month"] != 24 + 1), "lapses"] >= 0).all()
    assert np.allclose(m.loc[m["month"] <= 12, "lapses"], 0)


def test_a_single_cohort_follows_the_sbg_survival_curve(coffee):
    # one month of joins from an external channel, then no channel at all
    doc = base_plan(channels={"alliances": {"reach_per_month": 1000, "conversion": 0.05}},
                    phases={"launch": {"months": [1, 1], "channels": ["alliances"]},
                            "quiet": {"months": [2, 12], "channels": []}})
    inp, _ = inputs_for(coffee, doc, include_existing=False)
    p = phases.project(inp, 12)
    t = np.arange(12)
    expected = sum(50.0 * inp.mix[i] * sbg_survival(SBG[k]["alpha"], SBG[k]["beta"], t)
                   for i, k in enumerate(inp.tiers))
    assert np.allclose(p.monthly["members"], expected, rtol=1e-12)
    by_tier = p.members_by_tier["V2"].to_numpy()
    assert np.allclose(by_tier, 50.0 * 0.3 * sbg_survival(1.0, 6.0, t))


def test_members_already_paying_continue_from_their_tenure(coffee):
    members = pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "tier": ["V1"] * 4,
                            "joined_at": pd.to_datetime(["2025-12-20", "2025-12-20", "2025-09-15", "2025-09-15"]),
                            "ended_at": pd.NaT})
    t = Tables(transactions=coffee.transactions, members=members, events=coffee.events, sources=coffee.sources)
    doc = base_plan(channels={"alliances": {"reach_per_month": 100, "conversion": 0.0}})
    inp, _ = inputs_for(t, doc, member_spend={"V1": 500, "V2": 900, "V3": 1500})
    assert sorted(inp.existing["months"].tolist()) == [0, 3]
    p = phases.project(inp, 12)
    S = lambda k: sbg_survival(1.2, 5.0, np.asarray(k))  # noqa: E731
    k = np.arange(1, 13)
    expected = 2 * S(k) / S(0) + 2 * S(3 + k) / S(3)
    assert np.allclose(p.monthly["members"], expected)
    assert p.monthly["members_before"].iloc[0] == 4


def test_zero_conversion_gives_no_members_and_a_loss_of_the_fixed_costs(coffee):
    doc = base_plan()
    for c in doc["channels"].values():
        c["conversion"], c["conversion_range"] = 0.0, [0.0, 0.0]
    doc["channels"]["alliances"]["cost_per_month"] = 300
    doc["modes"]["simple"]["setup_cost"] = 5000
    inp, _ = inputs_for(coffee, doc, include_existing=False)
    p = phases.project(inp, 12)
    m = p.monthly
    assert (m["members"] == 0).all() and (m["joins"] == 0).all() and (m["fee_revenue"] == 0).all()
    sms_contacts = p.contacts_by_channel["sms_email"].to_numpy()
    assert (sms_contacts == 200).all()            # nobody joins, so the same 200 a month are reachable
    fixed = 1000 + 300 + 0.1 * sms_contacts
    fixed[0] += 5000
    assert np.allclose(m["profit"], -fixed)
    assert p.break_even_month is None


def test_eligibility_rules_are_respected(coffee_run):
    inp, sched = coffee_run.inputs, coffee_run.projection.schedule
    pool = inp.pool
    for (month, key), idx in sched.lists.items():
        sub = pool.iloc[idx]
        if key == "phone":
            assert (sub["prospect_rank"] <= 120).all()
        if key == "sms_email":
            assert (sub["repeat_purchases"] >= 3).all() and (sub["days_since_last"] <= 180).all()
        if key == "paid_ads":
            assert (sub["days_since_last"] >= 180).all() and (sub["p_alive"] >= 0.2).all()
        if key == "stores":
            assert sub["buys_in:store"].all()
        assert not sub["gate_member"].any()
    # a customer is phoned again only after recontact_months (6)
    phoned = {}
    for (month, key), idx in sorted(sched.lists.items()):
        if key == "phone":
            for i in idx:
                assert month - phoned.get(i, -99) >= 6
                phoned[i] = month
    # the phone list of month 1 is the top prospects, in 01's order
    lst = coffee_run.actions["phone"]
    ranks = pool.loc[lst["customer_id"], "prospect_rank"].to_numpy()
    assert (np.diff(ranks) > 0).all() and ranks[0] == 1 and len(lst) == 40
    assert lst["reason"].str.contains("potential super user #").all()
    ads = phases.action_lists(inp, sched, 10)["paid_ads"]
    assert ads["reason"].str.contains("dormant").all() and ads["p_alive"].is_monotonic_decreasing


def test_capacity_counts_expected_contacts_of_non_members(coffee):
    doc = base_plan(channels={"sms_email": {"eligible": {"min_repeat_purchases": 3}, "contacts_per_month": 200,
                                            "recontact_months": 1, "conversion": 0.5}})
    inp, _ = inputs_for(coffee, doc, include_existing=False)
    p = phases.project(inp, 12)
    c = p.contacts_by_channel["sms_email"].to_numpy()
    assert np.all(c <= 200 + 1e-9) and np.all(c > 195)
    # half of those contacted join, and joined customers are not counted again
    assert np.allclose(p.joins_by_channel["sms_email"], 0.5 * c)


def test_the_mode_switches_when_the_rule_says(coffee):
    modes = {"simple": {"fixed_per_month": 1000, "per_member_per_month": 1.0, "capacity": 50},
             "standard": {"fixed_per_month": 3000, "per_member_per_month": 0.1, "setup_cost": 7000}}
    doc = base_plan(modes=modes, mode_rule={"start": "simple", "switch_to": "standard", "at_members": 30})
    inp, _ = inputs_for(coffee, doc, include_existing=False)
    p = phases.project(inp, 12)
    m = p.monthly
    first = int(m.loc[m["members"] >= 30, "month"].iloc[0])
    assert p.mode_switch_month == first + 1
    assert (m.loc[m["month"] <= first, "mode"] == "simple").all() and (m.loc[m["month"] > first, "mode"] == "standard").all()
    row = m[m["month"] == first + 1].iloc[0]
    assert np.isclose(row["operating_cost"], 3000 + 0.1 * row["members"] + 7000)
    later = m[m["month"] > first + 1]
    assert np.allclose(later["operating_cost"], 3000 + 0.1 * later["members"])
    early = m[m["month"] <= first]
    assert np.allclose(early["operating_cost"], 1000 + early["members"])
    # a fixed month
    doc["mode_rule"] = {"start": "simple", "switch_to": "standard", "at_month": 5}
    inp, _ = inputs_for(coffee, doc, include_existing=False)
    assert phases.project(inp, 12).mode_switch_month == 5
    cmp_ = phases.compare_modes(inp, phases.schedule_contacts(inp, 12), 12)
    simple = cmp_.set_index("mode").loc["simple only"]
    over = m.loc[m["members"] > 50, "month"]
    assert simple["months_over_capacity"] == len(over) > 0 and simple["first_month_over_capacity"] == over.iloc[0]


def test_monte_carlo_bands_contain_the_plan(coffee_run):
    m, mc = coffee_run.monthly, coffee_run.mc
    assert mc["n_sims"] == 400
    assert np.all(mc["members_low"] <= m["members"] + 1e-6) and np.all(m["members"] <= mc["members_high"] + 1e-6)
    assert np.all(mc["cumulative_profit_low"] <= m["cumulative_profit"] + 1e-6)
    assert np.all(m["cumulative_profit"] <= mc["cumulative_profit_high"] + 1e-6)
    assert np.all(mc["members_high"] > mc["members_low"])
    assert 0 <= mc["p_break_even"] <= 1
    assert np.all(np.diff(mc["p_break_even_by_month"]) >= -1e-12)
    # the draws respect the plan's ranges
    d = mc["draws"]
    for j, key in enumerate(coffee_run.inputs.channels):
        lo, hi = coffee_run.inputs.plan.channels[key].conversion_range
        assert d["conversion"][:, j].min() >= lo and d["conversion"][:, j].max() <= hi
    assert d["causal"].min() >= 1.0 and d["causal"].max() <= 1.6


def test_the_tornado_ranks_inputs_and_moves_profit_the_right_way(coffee_run):
    tor = coffee_run.tornado
    assert (np.diff(tor["swing"]) <= 1e-9).all()
    base = coffee_run.monthly["cumulative_profit"].iloc[-1]
    assert np.allclose(tor["base"], base)
    causal = tor[tor["input"] == "causal spend ratio"].iloc[0]
    assert causal["low"] < base < causal["high"]          # more spend uplift, more profit
    for _, r in tor[tor["input"].str.startswith("renewal")].iterrows():
        assert r["low"] <= base <= r["high"]               # better survival, more profit


def test_inputs_from_earlier_notebooks_win_over_fits_and_assumptions(coffee):
    t = copy.copy(coffee)
    t.results = {
        "03_renewal": {"group_by": "tier", "period_days": 30.0,
                       "cohorts": {k: {**v, "alpha_ci": [v["alpha"] * 0.8, v["alpha"] * 1.25],
                                       "beta_ci": [v["beta"] * 0.8, v["beta"] * 1.25], "n_members": 100,
                                       "log_cov": [[0.01, 0.008], [0.008, 0.01]]} for k, v in SBG.items()}},
        "04_spend_uplift": {"causal_ratio": 1.4, "causal_ratio_ci": [1.3, 1.5]},
        "05_benefit_bundles": {"status": "optimal", "tiers": {
            "V1": {"member_spend": 500.0, "benefits": ["skip_queue"]},
            "V2": {"member_spend": 1000.0, "benefits": ["skip_queue", "member_price"]},
            "V3": {"member_spend": 1500.0, "benefits": ["skip_queue", "member_price", "free_monthly_drink"]}}},
    }
    plan = read_plan(phases.default_plan_path())
    inp = phases.resolve_inputs(t, plan, END)
    assert inp.sources["renewal V1 (sBG)"].startswith("03_renewal in this report")
    assert inp.sbg["V1"]["alpha"] == 1.2 and inp.sbg["V1"]["log_cov"] is not None
    assert inp.causal["value"] == 1.4 and inp.sources["causal spend ratio"] == "04_spend_uplift in this report"
    assert list(inp.member_spend) == [500.0, 1000.0, 1500.0]
    assert inp.sources["benefit cost"].startswith("05_benefit_bundles in this report")
    cat = coffee.benefits.set_index("benefit_id")
    skip = cat.loc["skip_queue"]
    # V1 holds only skip_queue, in every phase whose list holds it (the startup list does)
    uses = skip["uses_per_year"] if pd.notna(skip.get("uses_per_year")) else 1.0
    uptake = skip["uptake"] if pd.notna(skip.get("uptake")) else 1.0
    assert np.isclose(inp.benefit_cost["startup"][0], skip["cost_per_member"] * uses * uptake)
    # member_price is not in the startup list: V2 costs more from the growth phase on
    assert inp.benefit_cost["growth"][1] > inp.benefit_cost["startup"][1]
    # a parameter wins over 04; 03 fitted on 365-day periods does not fit a monthly plan
    t.results["03_renewal"]["period_days"] = 365.0
    inp2 = phases.resolve_inputs(t, plan, END, causal_ratio=1.1)
    assert inp2.causal["value"] == 1.1 and inp2.sources["renewal V1 (sBG)"].startswith("fitted here")
    assert any("365-day periods" in n for n in inp2.notes)


def test_the_projection_of_paying_members_matches_a_simulated_world():
    """Known truth: a world simulated to 2027 with monthly renewal; the members paying at the end of
    2025 are projected from the true sBG parameters and compared with who is still paying each month."""
    from superkit.data.simulate import simulate

    month = 365.25 / 12
    w = simulate(n_customers=12000, seed=11, start="2024-01-01", end="2027-12-31", period_days=month,
                 join_rate=0.004)
    end = pd.Timestamp(END)
    mem = w.members[w.members["joined_at"] <= end].copy()
    paying = mem[mem["ended_at"].isna() | (mem["ended_at"] > end)].copy()
    paying["ended_at"] = pd.NaT           # what the client sees at the end of 2025
    tx = w.transactions[w.transactions["timestamp"] <= end + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)]
    t = Tables(transactions=tx.reset_index(drop=True), members=paying.reset_index(drop=True),
               sources={"transactions": "simulated"})
    truth = {k: {"alpha": v["alpha"], "beta": v["beta"]} for k, v in w.truth["tiers"].items()}
    doc = base_plan(fees={k: v["fee"] for k, v in w.truth["tiers"].items()},
                    channels={"alliances": {"reach_per_month": 1, "conversion": 0.0}}, months=18,
                    phases={"all": {"months": [1, 18]}})
    inp, _ = inputs_for(t, doc, sbg=truth)
    p = phases.project(inp, 18)
    # actual: the simulator's own record of how many periods each of them pays (known truth)
    cust = w.customers.set_index("customer_id").loc[paying["customer_id"]]
    horizon_end = (end - pd.Timestamp("2024-01-01")).days + 1.0
    k0 = np.floor((horizon_end - cust["joined_day"].to_numpy()) / month)
    paid = cust["periods_paid"].to_numpy()
    assert (paid > k0).all()                      # all of them were paying at the end of 2025
    actual = [(paid > k0 + m).sum() for m in range(1, 19)]
    actual = np.array(actual, float)
    pred = p.monthly["members"].to_numpy()
    n = len(paying)
    assert n > 300
    # binomial noise of the count: within 4 standard errors each month
    se = np.sqrt(pred * (1 - pred / n)) + 1
    assert np.all(np.abs(actual - pred) <= 4 * se), np.c_[actual, pred]
    assert np.abs(actual - pred).max() / n < 0.03


# ----------------------------------------------------------------------------------------------
# the plan file
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("change, message", [
    (lambda d: d.update(chanels={}), "unknown keys ['chanels']"),
    (lambda d: d["channels"].update(wechat_group={"reach_per_month": 1, "conversion": 0.1}), "is not one of the channels"),
    (lambda d: d["channels"]["sms_email"].update(conversion=2), "write a share as 0.02 or 2%"),
    (lambda d: d["channels"]["sms_email"].update(conversion_range=[0.06, 0.08]), "does not contain the conversion"),
    (lambda d: d["channels"]["sms_email"]["eligible"].update(min_repeat=3), "unknown keys ['min_repeat']"),
    (lambda d: d["channels"]["sms_email"].pop("contacts_per_month"), "neither contacts_per_month nor reach_per_month"),
    (lambda d: d["channels"]["alliances"].update(contacts_per_month=5), "has reach_per_month and also"),
    (lambda d: d.update(phases={"a": {"months": [1, 5]}, "b": {"months": [7, 12]}}), "leaves a gap after"),
    (lambda d: d.update(phases={"a": {"months": [1, 6]}, "b": {"months": [6, 12]}}), "overlaps"),
    (lambda d: d.update(phases={"a": {"months": [2, 12]}}), "start the first phase in month 1"),
    (lambda d: d["phases"]["startup"].update(channels=["phone"]), "does not define"),
    (lambda d: d["phases"]["startup"].update(targets={"renewal": 90}), "write a share as 0.02 or 2%"),
    (lambda d: d.update(mode_rule={"switch_to": "simple"}), "switch_to"),
    (lambda d: d.update(mode_rule={"at_members": 10}), "gives when to switch but not switch_to"),
    (lambda d: d.update(renewal_period="weekly"), "monthly or annual"),
    (lambda d: d.update(mix={"V1": 1}), "gives no share for ['V2', 'V3']"),
    (lambda d: d.pop("fees"), "fees: is missing"),
    (lambda d: d["assumptions"].update(sbg={"V9": {"alpha": 1, "beta": 2}}), "not in fees"),
])
def test_bad_plans_are_refused_naming_the_key_and_the_fix(change, message):
    doc = base_plan()
    change(doc)
    with pytest.raises(DataError) as e:
        read_plan(doc)
    assert message in str(e.value)
    assert "fix" in str(e.value).lower() or "use" in str(e.value).lower()


def test_plan_files_are_read_strictly(tmp_path):
    good = read_plan(phases.default_plan_path())
    assert good.months == 24 and len(good.channels) == 8 and [p.name for p in good.phases] == ["startup", "growth", "stable"]
    assert read_plan(phases.default_plan_path(), months=36).months == 36
    twice = tmp_path / "twice.yaml"
    twice.write_text("fees: {V1: 99}\nfees: {V1: 199}\n", encoding="utf-8")
    with pytest.raises(DataError, match="appears twice"):
        read_plan(twice)
    gbk = tmp_path / "gbk.yaml"            # a plan saved by Notepad on Chinese Windows is read, as a CSV is
    gbk.write_bytes("name: 会员计划\n".encode("gbk"))
    with pytest.raises(DataError, match="fees: is missing"):
        read_plan(gbk)
    gbk.write_bytes(b"name: \xff\xfe\xff\xfe\n")
    with pytest.raises(DataError, match="neither UTF-8 nor GB18030"):
        read_plan(gbk)
    with pytest.raises(DataError, match="plan file not found"):
        read_plan(tmp_path / "missing.yaml")
    # shares may be written as percentages; a phase shorter than the method's guide is noted
    doc = base_plan(phases={"startup": {"months": [1, 3]}, "growth": {"months": [4, 12]}})
    doc["channels"]["sms_email"].update(conversion="5%", conversion_range=["2%", "8%"])
    p = read_plan(doc)
    assert p.channels["sms_email"].conversion == pytest.approx(0.05)
    assert any("startup ends in month 3" in n for n in p.notes)


def test_run_refuses_bad_parameters(coffee):
    with pytest.raises(ParameterError):
        phases.run(coffee, months=0)
    with pytest.raises(ParameterError):
        phases.run(coffee, n_sims=0, observation_end=END)
    with pytest.raises(ParameterError, match="sbg"):
        phases.run(coffee, sbg={"V9": {"alpha": 1, "beta": 1}}, observation_end=END)


def test_conversions_measured_from_a_contacts_table_replace_the_plans():
    """A world whose past campaigns have a known true conversion: the plan's guesses give way to the
    measured conversions, whose intervals hold the realised truth; a channel with too few contacts
    keeps the plan's number and says so."""
    from superkit.data.simulate import simulate

    w = simulate(n_customers=12000, seed=4, contacts={
        "sms_email": {"target": "all", "monthly_share": 0.3, "conversion": 0.03, "cost": 0.05},
        "paid_ads": {"target": "random_half", "monthly_share": 0.002, "conversion": 0.02, "cost": 1.0}})
    t = Tables(transactions=w.transactions, members=w.members, contacts=w.contacts,
               sources={"transactions": "simulated"})
    doc = base_plan()
    doc["channels"]["paid_ads"] = {"eligible": {"dormant_days": 90}, "contacts_per_month": 50, "conversion": 0.05,
                                   "conversion_range": [0.01, 0.1]}
    inp, _ = inputs_for(t, doc)
    sms = inp.conversion["sms_email"]
    truth = w.truth["contacts"]["channels"]["sms_email"]["realised_conversion"]
    assert sms["kind"] == "measured" and sms["low"] <= truth <= sms["high"]
    assert inp.sources["conversion sms_email"].startswith("measured:")
    assert inp.cost_per_contact["sms_email"]["value"] == pytest.approx(0.05)
    n_ads = int((w.contacts["channel"] == "paid_ads").sum())
    assert n_ads < phases.MIN_MEASURED_CONTACTS
    assert inp.conversion["paid_ads"]["kind"] == "plan" and inp.conversion["paid_ads"]["value"] == 0.05
    assert any(n.startswith("paid_ads: only") for n in inp.notes)
    assert inp.conversion["alliances"]["kind"] == "plan"       # not in the contacts table
    # the Monte Carlo draws the measured conversion from its interval
    p = phases.project(inp, 12)
    mc = phases.monte_carlo(inp, p.schedule, 12, 300, seed=1)
    j = inp.channels.index("sms_email")
    d = mc["draws"]["conversion"][:, j]
    assert abs(np.median(d) - sms["value"]) < 0.25 * (sms["high"] - sms["low"])


# ----------------------------------------------------------------------------------------------
# after a red-team pass
# ----------------------------------------------------------------------------------------------
def test_the_plans_horizon_is_used_unless_months_is_given(coffee, tmp_path):
    import yaml

    doc = yaml.safe_load(open(phases.default_plan_path(), encoding="utf-8"))
    doc["months"] = 30
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    assert phases.run(coffee, plan_path=str(tmp_path / "p.yaml"), observation_end=END, n_sims=20).months == 30
    assert phases.run(coffee, plan_path=str(tmp_path / "p.yaml"), months=12, observation_end=END, n_sims=20).months == 12
    with pytest.raises(ParameterError, match="at least 20"):
        phases.run(coffee, observation_end=END, n_sims=5)


def test_members_without_tiers_take_the_tier_of_their_fee(coffee):
    members = coffee.members.drop(columns=["tier"])
    t = Tables(transactions=coffee.transactions, members=members, events=coffee.events, benefits=coffee.benefits,
               sources=coffee.sources)
    inp, _ = inputs_for(t, base_plan(fees={"V1": 99, "V2": 199, "V3": 299}))
    by_tier = inp.existing.groupby("tier")["n"].sum().to_dict()
    assert by_tier == {"V1": 82, "V2": 68, "V3": 37}
    assert any("read from the fee" in n for n in inp.notes)
    t.members = members.drop(columns=["fee"])
    inp, _ = inputs_for(t, base_plan(fees={"V1": 99, "V2": 199, "V3": 299}))
    assert inp.existing["tier"].unique().tolist() == ["V1"] and any("counted in V1" in n for n in inp.notes)


def test_phase_benefit_lists_that_miss_the_bundles_are_noted(coffee):
    plan = read_plan(phases.default_plan_path())
    doc = yaml_plan()
    doc["phases"]["startup"]["benefits"] = ["member_price"]     # in the catalog, in no bundle
    inp = phases.resolve_inputs(coffee, read_plan(doc), END)
    assert (inp.benefit_cost["startup"] == 0).all()
    assert any("member_price, which no tier's bundle holds" in n for n in inp.notes)
    assert any("startup offers none of the bundles' benefits" in n for n in inp.notes)
    assert any("may be overstated" in n for n in inp.notes)
    assert plan.phases[0].benefits is not None


def yaml_plan() -> dict:
    import yaml

    return yaml.safe_load(open(phases.default_plan_path(), encoding="utf-8"))


def test_eligibility_no_one_can_meet_is_refused_or_noted(coffee):
    doc = yaml_plan()
    doc["channels"]["stores"]["eligible"]["buys_in"] = ["shop"]
    with pytest.raises(DataError, match=r"buys_in names \['shop'\].*use the transactions' channels"):
        phases.resolve_inputs(coffee, read_plan(doc), END)
    doc = yaml_plan()
    doc["channels"]["phone"]["eligible"] = {"top_prospects": 120, "min_p_alive": 0.99, "max_p_alive": 0.5}
    with pytest.raises(DataError, match="min_p_alive 0.99 is above max_p_alive 0.5"):
        read_plan(doc)
    doc["channels"]["phone"]["eligible"] = {"top_prospects": 120, "dormant_days": 700}
    inp = phases.resolve_inputs(coffee, read_plan(doc), END)
    assert any(n.startswith("no customer meets phone's eligibility") for n in inp.notes)


def test_a_customer_gets_one_message_a_month(coffee_run):
    sched = coffee_run.projection.schedule
    for m in range(1, 25):
        seen = np.concatenate([sched.lists.get((m, k), np.array([], int)) for k in phases.OUTBOUND])
        assert len(seen) == len(np.unique(seen)), m
    lists = coffee_run.actions
    assert not set(lists["phone"]["customer_id"]) & set(lists["sms_email"]["customer_id"])
    assert len(lists["sms_email"]) == 400           # nobody was messaged before, so the cap is the list


def test_mode_rules_count_capacity_and_set_up_costs_as_they_run(coffee):
    modes = {"simple": {"fixed_per_month": 1000, "per_member_per_month": 1.0, "capacity": 150, "setup_cost": 500},
             "standard": {"fixed_per_month": 3000, "per_member_per_month": 0.1, "setup_cost": 7000}}
    doc = base_plan(modes=modes, mode_rule={"start": "simple", "switch_to": "standard", "at_month": 7})
    inp, _ = inputs_for(coffee, doc)                 # 187 members paying from the start: over 150
    cmp_ = phases.compare_modes(inp, phases.schedule_contacts(inp, 12), 12).set_index("mode")
    assert cmp_.loc["plan's rule", "months_over_capacity"] == 6          # simple runs months 1-6
    assert cmp_.loc["standard only", "months_over_capacity"] == 0
    doc["mode_rule"] = {"start": "simple", "switch_to": "standard", "at_month": 1}
    inp, _ = inputs_for(coffee, doc)
    m = phases.project(inp, 12).monthly
    assert np.isclose(m["operating_cost"].iloc[0], 3000 + 0.1 * m["members"].iloc[0] + 7000)   # no simple set-up
    doc["mode_rule"] = {"start": "simple", "switch_to": "standard", "at_members": 100}
    inp, _ = inputs_for(coffee, doc)
    p = phases.project(inp, 12)
    assert p.mode_switch_month == 1 and (p.monthly["mode"] == "standard").all()


def test_missing_inputs_of_a_membership_without_members_come_in_one_message(coffee):
    t = Tables(transactions=coffee.transactions, events=coffee.events, benefits=coffee.benefits,
               sources={"transactions": "client"})
    with pytest.raises(DataError) as e:
        phases.resolve_inputs(t, read_plan(phases.default_plan_path()), END)
    msg = str(e.value)
    assert "no renewal model" in msg and "no member spend" in msg and "assumptions" in msg
    doc = yaml_plan()
    doc["renewal_period"] = "annual"
    with pytest.raises(DataError, match="could not be fitted"):
        phases.resolve_inputs(coffee, read_plan(doc), END)


def test_the_tornado_uses_exact_percentiles_of_the_plans_ranges(coffee_run):
    from scipy import stats

    tor = coffee_run.tornado.set_index("input")
    lo, hi = stats.triang(c=(1.3 - 1.0) / 0.6, loc=1.0, scale=0.6).ppf([0.1, 0.9])
    assert tor.loc["causal spend ratio", "low_value"] == f"{lo:.2f}"
    assert tor.loc["causal spend ratio", "high_value"] == f"{hi:.2f}"
    assert tor.loc["renewal V1", "low_value"].startswith("24-renewal survival")


def test_the_datasheet_restates_the_templates_numbers():
    """The coffee_club datasheet's table of the plan quotes each channel's conversion and range as the
    plan file has them (a plan edited without its datasheet fails here)."""
    from superkit.core.paths import DATASETS_DIR

    sheet = (DATASETS_DIR / "coffee_club" / "README.md").read_text(encoding="utf-8")
    rows = {"phone": "| phone |", "sms_email": "| SMS / e-mail |", "stores": "| stores |", "app": "| app |",
            "own_media": "| own media |", "paid_ads": "| paid ads |", "alliances": "| alliances |",
            "online_shops": "| online shops |"}
    plan = read_plan(phases.default_plan_path())
    pct = lambda x: f"{x * 100:g}"  # noqa: E731
    for key, start in rows.items():
        row = next(line for line in sheet.splitlines() if line.startswith(start))
        ch = plan.channels[key]
        lo, hi = ch.conversion_range
        assert f"{pct(ch.conversion)}%" in row and f"({pct(lo)}–{pct(hi)}%)" in row, (key, row)
        volume = ch.reach_per_month if ch.external else ch.contacts_per_month
        if volume is not None:
            assert f"{volume:,.0f}" in row, (key, row)
    assert f"simple: {plan.modes['simple'].fixed_per_month:,.0f} yuan a month" in sheet
    assert f"switch at {plan.switch_at_members:,.0f} members" in sheet


# --------------------------------------------------------------------- languages and labels (issue 14)
CJK = re.compile(r"[\u3400-\u9fff]")


def test_the_method_phases_keep_their_months_and_chinese_names():
    """The method (Yan Tao, article 003): startup 创业期 in the first 6-12 months, growth 发展期 to
    month 12-18, stable 稳定期 to month 18-24; a plan's phase may name itself in Chinese."""
    from superkit.data.plan import METHOD_MODES, METHOD_PHASES

    assert METHOD_PHASES == {"startup": ("创业期", (6, 12)), "growth": ("发展期", (12, 18)),
                             "stable": ("稳定期", (18, 24))}
    assert METHOD_MODES == {"simple": "简约型", "standard": "标准型"}
    plan = read_plan(phases.default_plan_path())
    assert [p.title("zh") for p in plan.phases] == ["创业期", "发展期", "稳定期"]
    assert [p.title("en") for p in plan.phases] == ["startup", "growth", "stable"]
    assert CJK.search(plan.title("zh")) and not CJK.search(plan.title("en"))
    own = read_plan(base_plan(name_zh="测试规划", phases={"pilot": {"months": [1, 12], "name_zh": "试点期"}}))
    assert own.title("zh") == "测试规划" and own.phases[0].title("zh") == "试点期" and own.phases[0].title() == "pilot"
    assert read_plan(base_plan(phases={"pilot": {"months": [1, 12]}})).phases[0].title("zh") == "pilot"


def test_every_published_key_is_labelled_or_hidden(coffee_run):
    from superkit.core import i18n

    cat = i18n.catalogue()[phases.STEM]
    shown, hidden = set(cat["results"]), set(cat["hidden"])
    assert not shown & hidden
    published = coffee_run.to_json()
    assert set(published) | {"key_figure"} == shown | hidden
    assert [b for b in i18n.untranslated() if b.startswith(phases.STEM)] == []
    rows = dict(i18n.labelled_rows(phases.STEM, published, "zh"))
    assert rows["规划期末付费会员数"] == f"{coffee_run.monthly['members'].iloc[-1]:,.0f}"
    assert rows["会费收取与续费周期"] == "按月" and rows["规划月数"] == "24 个月"


def test_the_chinese_headline_states_the_english_numbers(coffee_run):
    en, zh = coffee_run.headline_text("en"), coffee_run.headline_text("zh")
    assert en == coffee_run.headline == coffee_run.to_json()["headline"] and not CJK.search(en)
    assert coffee_run.to_json(lang="zh")["headline"] == zh
    assert "付费会员" in zh and "盈亏平衡" in zh and "因果消费倍数" in zh
    money = [coffee_run.mc["profit_total_low"], coffee_run.mc["profit_total_high"], *coffee_run.tornado.iloc[0][["low", "high"]]]
    if max(abs(v) for v in money) < 1e5:      # below 100,000 yuan both write the same digits (no 万)
        assert sorted(re.findall(r"\d+(?:,\d{3})*", en)) == sorted(re.findall(r"\d+(?:,\d{3})*", zh))


def test_sources_notes_levers_and_modes_read_in_chinese(coffee_run):
    from i18n_check import english_words

    t = coffee_run.sources_table("zh")
    assert list(t.columns) == ["输入", "来源", "实测或假设"] and len(t) == len(coffee_run.inputs.sources)
    assert not english_words(" ".join(map(str, t.to_numpy().ravel())))
    assert (t["实测或假设"] == "假设").sum() == len(coffee_run.to_json()["assumed_inputs"])
    assert coffee_run.notes_text("zh") and all(CJK.search(n) and not n.startswith("（英文原文）")
                                               for n in coffee_run.notes_text("zh"))
    assert coffee_run.notes_text("en") == list(coffee_run.inputs.notes)
    levers = [coffee_run.lever_range(r, "zh") for _, r in coffee_run.tornado.iterrows()]
    assert not english_words(" ".join(levers)) and any("续费" in x for x in levers)
    assert [phases.mode_label(m, "zh") for m in coffee_run.modes["mode"]] == ["按规划的规则", "始终简约型", "始终标准型"]
    assert phases.money_text(-5268.4) == "-¥5,268" and phases.money_text(352700, "zh") == "¥35.3万"


def test_the_plans_own_notes_read_in_chinese():
    from i18n_check import english_words

    doc = base_plan(phases={"startup": {"months": [1, 4], "channels": ["alliances"]},
                            "growth": {"months": [5, 10], "channels": ["alliances"]},
                            "stable": {"months": [11, 11], "channels": ["alliances"]}})
    doc["channels"]["alliances"]["opens"] = 13
    plan = read_plan(doc)
    assert len(plan.notes) == 5           # phases end early, startup and growth too short, a late and an idle channel
    for note in plan.notes:
        zh = phases.note_label(note, "zh", plan)
        assert not zh.startswith("（英文原文）") and not english_words(zh), (note, zh)
    assert phases.note_label("something new", "zh").startswith("（英文原文）")


def test_the_action_lists_give_the_same_reasons_in_chinese(coffee_run):
    from i18n_check import english_words

    sched = coffee_run.projection.schedule
    en = phases.action_lists(coffee_run.inputs, sched)
    zh = phases.action_lists(coffee_run.inputs, sched, lang="zh")
    assert set(en) == set(zh) == {"phone", "sms_email", "stores", "app", "paid_ads"}
    for k in en:
        assert en[k].drop(columns="reason").equals(zh[k].drop(columns="reason"))
        for a, b in zip(en[k]["reason"], zh[k]["reason"]):
            assert sorted(re.findall(r"\d+", a)) == sorted(re.findall(r"\d+", b)), (a, b)
            assert CJK.search(b) and not english_words(b), b
    assert zh["phone"]["reason"].str.startswith("潜在超级用户第 1 名").iloc[0]


def test_the_figures_draw_their_words_in_chinese(coffee_run):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from i18n_check import english_words

    from superkit.analyses import plotting

    if plotting.figure_language("zh") != "zh":
        pytest.skip("no CJK font installed: the figures are drawn in English")
    r, m, mc = coffee_run, coffee_run.monthly, coffee_run.mc

    def words(fig):
        texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
        texts += [c.get_text().get_text() for ax in fig.axes for tab in ax.tables for c in tab.get_celld().values()]
        return [t for t in texts if t.strip()]

    drawn = {}
    for lang in ("en", "zh"):
        figs = []
        fig, axes = plt.subplots(2, 1)
        plotting.phase_chart(m, r.inputs.plan.phases, r.channel_months(), {"low": mc["members_low"],
                             "high": mc["members_high"]}, r.projection.mode_switch_month, axes=axes, lang=lang)
        figs.append(fig)
        fig, ax = plt.subplots()
        figs.append(plotting.joins_by_channel(r.projection.joins_by_channel, ax=ax, lang=lang).figure)
        fig, axes = plt.subplots(1, 2)
        plotting.plan_pnl(m, {"low": mc["cumulative_profit_low"], "high": mc["cumulative_profit_high"]},
                          r.projection.break_even_month, axes=axes, lang=lang)
        figs.append(fig)
        fig, ax = plt.subplots()
        figs.append(plotting.plan_tornado(r.tornado, float(m["cumulative_profit"].iloc[-1]), ax=ax, lang=lang).figure)
        fig, ax = plt.subplots()
        figs.append(plotting.kpi_lights(r.kpis, ax=ax, phases=r.inputs.plan.phases, lang=lang).figure)
        fig, ax = plt.subplots()
        figs.append(plotting.mode_comparison(r.modes, ax=ax, lang=lang).figure)
        drawn[lang] = [words(f) for f in figs]
        plt.close("all")
    for texts in drawn["zh"]:
        assert any(CJK.search(t) for t in texts) and not english_words(" ".join(texts)), texts
    en = " ".join(t for texts in drawn["en"] for t in texts)
    assert "startup" in en and "month of the plan" in en and "创业期" not in en
    zh = " ".join(t for texts in drawn["zh"] for t in texts)
    assert all(w in zh for w in ("创业期", "发展期", "稳定期", "渗透率", "单客产值", "简约型", "电话"))


def test_the_notes_of_the_inputs_read_in_chinese(coffee):
    """The notes resolve_inputs writes (members without tiers, phase benefit lists off the bundles)
    are in the catalogue: none is shown in English on a Chinese page."""
    doc = yaml_plan()
    doc["phases"]["startup"]["benefits"] = ["member_price"]
    notes = list(phases.resolve_inputs(coffee, read_plan(doc), END).notes)
    members = coffee.members.drop(columns=["tier", "fee"])
    t = Tables(transactions=coffee.transactions, members=members, events=coffee.events, benefits=coffee.benefits,
               sources=coffee.sources)
    notes += inputs_for(t, base_plan(fees={"V1": 99, "V2": 199, "V3": 299}))[0].notes
    assert len(notes) >= 4
    for note in notes:
        zh = phases.note_label(note, "zh", read_plan(doc))
        assert CJK.search(zh) and not zh.startswith("（英文原文）"), (note, zh)
    assert any(n.startswith("创业期不提供") for n in (phases.note_label(x, "zh") for x in notes))
