"""Notebook 06_membership_phases: the bundled plan on coffee_club, every published month adding up,
the action lists, and a client plan with an annual fee and a switch of management mode."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import yaml

from i18n_check import english_words
from superkit.analyses import phases
from test_architecture import readme_keys

CJK = re.compile(r"[\u3400-\u9fff]")

FIGURES = {"phase_chart", "joins_by_channel", "pnl", "kpis", "tornado", "modes"}


def test_nb06_defaults_publish_a_plan_that_adds_up(run_notebook, tmp_path):
    res = run_notebook("06_membership_phases", n_sims=300)
    assert set(res) == readme_keys("06_membership_phases")
    m = pd.DataFrame(res["monthly"])
    assert len(m) == res["months"] == 24 and list(m["month"]) == list(range(1, 25))
    assert np.allclose(m["members"], m["members"].shift(1, fill_value=res["members_start"]) + m["joins"] - m["lapses"])
    parts = m["fee_revenue"] + m["incremental_margin"] - m["benefit_cost"] - m["channel_cost"] - m["operating_cost"]
    assert np.allclose(m["profit"], parts) and np.allclose(m["cumulative_profit"], m["profit"].cumsum())
    assert abs(sum(res["joins_by_channel"].values()) - m["joins"].sum()) < 1e-6
    assert set(m["phase"]) == {"startup", "growth", "stable"} and set(m["mode"]) == {"simple"}
    assert res["mode_switch_month"] is None            # 10,000 members is far beyond this chain
    be = res["break_even_month"]
    assert be is None or (m.loc[m["month"] >= be, "cumulative_profit"] >= 0).all()
    # what the playbook says: the 187 members already paying carry the plan from month 1, the same
    # plan as a launch from zero breaks even later (or not at all)
    assert be == 1 and res["members_start"] == 187
    zb = res["from_zero"]["break_even_month"]
    assert zb is None or zb > 1
    mc = res["monte_carlo"]
    assert mc["n_sims"] == 300 and 0 <= mc["p_break_even"] <= 1
    assert np.all(np.array(mc["members_low"]) <= m["members"] + 1e-6)
    assert np.all(m["members"] <= np.array(mc["members_high"]) + 1e-6)
    # run alone: the causal ratio and the bundles are the plan's assumptions and say so
    assert "causal spend ratio" in res["assumed_inputs"] and res["causal_ratio"] == 1.3
    assert res["inputs"]["renewal V1 (sBG)"].startswith("fitted here")
    assert {r["kpi"] for r in res["kpis_by_phase"]} == {"penetration", "conversion", "renewal", "revenue_per_member"}
    assert all(r["status"] in ("green", "amber", "red") for r in res["kpis_by_phase"])
    out = tmp_path / "06_membership_phases"
    assert {p.stem for p in (out / "figures").glob("*.png")} == FIGURES
    # each channel's first list: month 1 for those that start at once, month 10 for the ads
    assert res["action_lists"] == {"phone": "actions_phone_month1.csv", "sms_email": "actions_sms_email_month1.csv",
                                   "stores": "actions_stores_month1.csv", "app": "actions_app_month1.csv",
                                   "paid_ads": "actions_paid_ads_month10.csv"}
    ads = pd.read_csv(out / res["action_lists"]["paid_ads"], dtype={"customer_id": str})
    assert (ads["month"] == 10).all() and ads["reason"].str.startswith("dormant: no purchase for").all()
    assert (ads["days_since_last"] >= 180).all() and (ads["p_alive"] >= 0.2).all()
    phone = pd.read_csv(out / res["action_lists"]["phone"], dtype={"customer_id": str})
    assert len(phone) == 40 and phone["reason"].str.startswith("potential super user #").all()
    assert list(phone["rank"]) == list(range(1, 41))
    assert res["tornado"] and res["tornado"][0]["swing"] >= res["tornado"][-1]["swing"]
    assert not CJK.search(res["headline"]) and res["headline"].startswith("Under this plan the membership goes from")


def test_nb06_in_chinese_publishes_a_chinese_headline_and_page(run_notebook, tmp_path):
    """language="zh": the headline, the CRM lists' reasons and the page a Chinese client reads are in
    Chinese; the published numbers are the same as in English."""
    from superkit.report.html import notebook_page

    res = run_notebook("06_membership_phases", n_sims=50, language="zh")
    assert set(res) == readme_keys("06_membership_phases")
    assert CJK.search(res["headline"]) and "盈亏平衡" in res["headline"] and not english_words(res["headline"])
    assert res["headline"].startswith(f"按此规划，付费会员在 {res['months']} 个月内从 {res['members_start']:,.0f} 人")
    out = tmp_path / "06_membership_phases"
    phone = pd.read_csv(out / res["action_lists"]["phone"], dtype={"customer_id": str})
    assert len(phone) == 40 and phone["reason"].str.startswith("潜在超级用户第").all()
    page = out / "page.html"
    notebook_page(out / "06_membership_phases.executed.ipynb", page, "06", lang="zh")
    html = page.read_text(encoding="utf-8")
    assert not english_words(html), sorted(set(english_words(html)))
    for word in ("创业期", "发展期", "稳定期", "渗透率", "转化率", "续费率", "单客产值", "简约型", "规划期末付费会员数"):
        assert word in html, word
    # analysts' text (the published keys, file paths) stays out of the page; the English cells too
    assert "Publishes" not in html and "plan file" not in html and "Under this plan" not in html


def test_nb06_runs_a_client_plan_with_an_annual_fee_and_a_mode_switch(run_notebook, tmp_path):
    from superkit.data.simulate import simulate

    w = simulate(3000, seed=21, period_days=365.25)
    w.transactions.to_csv(tmp_path / "orders.csv", index=False)
    w.members.to_csv(tmp_path / "members.csv", index=False)
    plan = yaml.safe_load(open(phases.default_plan_path(), encoding="utf-8"))
    plan.update(renewal_period="annual", months=30)
    plan["mode_rule"] = {"start": "simple", "switch_to": "standard", "at_members": 150}
    plan["assumptions"].pop("bundles")
    plan["assumptions"]["benefit_cost"] = {"V1": 60, "V2": 140, "V3": 260}
    # two years of an annual membership show at most one renewal: too little to fit, so assumed
    plan["assumptions"]["sbg"] = {k: {"alpha": v["alpha"], "beta": v["beta"]} for k, v in w.truth["tiers"].items()}
    (tmp_path / "plan.yaml").write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
    res = run_notebook("06_membership_phases", plan_path=str(tmp_path / "plan.yaml"),
                       transactions_path=str(tmp_path / "orders.csv"), members_path=str(tmp_path / "members.csv"),
                       events_path="none", benefits_path="none", contacts_path="none", months=30, n_sims=200,
                       causal_ratio=1.43)
    m = pd.DataFrame(res["monthly"])
    assert len(m) == 30 and res["renewal_period"] == "annual"
    assert res["inputs"]["benefit cost"] == "plan assumption (benefit_cost)"
    assert res["causal_ratio"] == 1.43 and "causal spend ratio" not in res["assumed_inputs"]
    sw = res["mode_switch_month"]
    before = np.r_[res["members_start"], m["members"].to_numpy()[:-1]]      # members at the start of each month
    assert sw == int(np.flatnonzero(before >= 150)[0]) + 1
    assert set(m.loc[m["month"] >= sw, "mode"]) == {"standard"} and set(m.loc[m["month"] < sw, "mode"]) <= {"simple"}
    # an annual fee: members lapse only at a renewal, a year after they joined
    assert np.allclose(m["members"], m["members"].shift(1, fill_value=res["members_start"]) + m["joins"] - m["lapses"])
    assert res["inputs"]["renewal V1 (sBG)"] == "plan assumption"
    assert any("renewal of V1 could not be fitted" in n for n in res["notes"])
