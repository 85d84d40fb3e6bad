"""The playbook's answer keys, computed from the bundled data and seeded simulator worlds.

Each function computes one exercise's answers exactly as the exercise tells a student to get them
(the default report on the bundled data, a notebook's analysis with the parameters the exercise
names, or a ``superkit simulate`` world), in the order the answer key of both editions writes them
in bold. ``tests/test_playbook.py`` compares them. ``compute_keys(report_dir, work_dir)`` returns
``{exercise id: [values]}``; a value is a number (compared at the precision written) or a string
(compared with a ``code`` span). Run this file to print the keys when writing a chapter:
``.venv/bin/python tests/playbook_keys.py``.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from superkit.analyses import benefits, channels, clv, phases, renewal, super_users, uplift
from superkit.core.paths import DATASETS_DIR
from superkit.data import load_tables
from superkit.data.plan import read_plan

END = "2025-12-31"
BUNDLED = {"transactions_path": "coffee_club", "members_path": "coffee_club", "events_path": "coffee_club"}


def build_default_report(out: Path) -> Path:
    """``make report``'s run: every notebook with its defaults on the bundled data."""
    from superkit.report.run import build_report

    result = build_report(None, out, progress=False)
    failed = {r.stem: r.error for r in result.runs if not r.ok}
    if failed:
        raise RuntimeError(f"the default report failed: {failed}")
    return Path(out)


def simulate_world(out: Path, *args: str) -> Path:
    """``superkit simulate --out <out> <args>`` as a student types it."""
    if not (out / "truth.json").exists():
        subprocess.run([sys.executable, "-m", "superkit.cli", "simulate", "--out", str(out), *args],
                       check=True, capture_output=True)
    return out


def _world_tables(world: Path, **more):
    return load_tables(transactions_path=str(world / "transactions.csv"), members_path=str(world / "members.csv"), **more)


def compute_keys(report_dir: Path, work_dir: Path) -> dict:
    """Every exercise's answers (see the module docstring)."""
    res = json.loads((Path(report_dir) / "results.json").read_text(encoding="utf-8"))
    outputs = Path(report_dir) / "outputs"
    work = Path(work_dir)
    k: dict = {}
    coffee = load_tables(**BUNDLED)
    tx, mem, ev = coffee.transactions, coffee.members, coffee.events
    end = pd.Timestamp(END)

    # 1 Why super users
    paying = int(((mem["ended_at"].isna()) | (mem["ended_at"] > end)).sum())
    k["1.1"] = [tx["customer_id"].nunique(), mem["customer_id"].nunique(), paying]
    first = tx.groupby("customer_id")["timestamp"].min()
    ordered = tx.sort_values(["customer_id", "timestamp"])
    repeat = ordered.groupby("customer_id").cumcount() > 0
    k["1.2"] = [int((first.dt.year == 2025).sum()), ordered.loc[repeat, "amount"].sum() / ordered["amount"].sum()]

    # 2 Find them (01)
    r01 = res["01_super_users"]
    k["2.1"] = [r01["n_super_users"], r01["n_prospects"], r01["n_super_users_members"]]
    listed = pd.read_csv(outputs / "01_super_users" / r01["super_user_list"], dtype={"customer_id": str})
    prospects = listed[listed["status"] == "prospect"]
    others = {c.removeprefix("meets_"): int(prospects[c].sum()) for c in listed.columns
              if c.startswith("meets_") and c != "meets_frequency_recency"}
    best = max(others, key=others.get)
    k["2.2"] = [best, others[best], len(prospects), others["feedback"], others["sharing"]]
    gates = r01["gates"]
    k["2.3"] = [gates["paid_again"], gates["paid_again"] / gates["paid"], gates["member"], gates["member"] / gates["paid"]]
    five = super_users.run(coffee, observation_end=END, min_repeat_purchases=5).to_json()
    k["2.4"] = [five["n_super_users"], five["n_prospects"], listed["purchase_days"].median(),
                int((listed["purchase_days"] - 1 < 5).sum())]

    # 3 Reach them (06's channels)
    r06 = res["06_membership_phases"]
    joins = r06["joins_by_channel"]
    k["3.1"] = [len(pd.read_csv(outputs / "06_membership_phases" / r06["action_lists"]["phone"])),
                len(pd.read_csv(outputs / "06_membership_phases" / r06["action_lists"]["sms_email"])),
                joins["phone"], joins["sms_email"]]
    top = max(joins, key=joins.get)
    k["3.2"] = [top, joins[top]]
    world = simulate_world(work / "contacts_world", "--contacts")
    truth = json.loads((world / "truth.json").read_text(encoding="utf-8"))
    conv = phases.run(_world_tables(world, contacts_path=str(world / "contacts.csv"), benefits_path="coffee_club"),
                      n_sims=20).to_json()["conversion"]
    true = {c: v["realised_conversion"] for c, v in truth["contacts"]["channels"].items()}
    assert conv["sms_email"]["kind"] == conv["app"]["kind"] == "measured" and conv["phone"]["kind"] == "plan"
    k["3.3"] = [conv["sms_email"]["value"], conv["sms_email"]["low"], conv["sms_email"]["high"], true["sms_email"],
                conv["app"]["value"], true["app"]]

    # 4 The three supers
    bought = tx.groupby("customer_id")["category"].agg(lambda s: (s == "coffee").any())
    k["4.1"] = [bought.mean(), tx.loc[tx["category"] == "coffee", "amount"].sum() / tx["amount"].sum()]
    complaints = ev[ev["kind"] == "complaint"]
    k["4.2"] = [complaints["customer_id"].nunique(), 1000 * len(complaints) / len(tx), len(complaints), len(tx)]
    visits = tx.groupby(["customer_id", "store"]).size().rename("n").reset_index()
    main = visits.sort_values(["customer_id", "n", "store"]).groupby("customer_id").tail(1).set_index("customer_id")["store"]
    share = main.index.isin(set(mem["customer_id"])).astype(float)
    by_store = pd.Series(share, index=main.index).groupby(main).mean()
    k["4.3"] = [by_store.idxmax(), by_store.max(), by_store.idxmin(), by_store.min()]

    # 5 Value and silent churn (02)
    r02 = res["02_clv_churn"]
    holdout = r02["models"][r02["selected"]]["holdout"]
    k["5.1"] = [r02["selected"], holdout["mae_per_customer"], holdout["actual_total"] / r02["n_customers"]]
    k["5.2"] = [r02["clv_total"], *r02["clv_total_interval"]]
    scores = pd.read_csv(outputs / "02_clv_churn" / r02["scores_file"], dtype={"customer_id": str})
    regular = scores[scores["frequency"] >= 3]
    slipping = regular[regular["p_alive"] < 0.5]
    k["5.3"] = [len(regular), len(slipping), slipping["clv"].sum() / scores["clv"].sum()]
    cdnow = clv.run(load_tables(transactions_path="cdnow_sample"), calibration_end="1997-09-30",
                    observation_end="1998-06-30", time_unit="W").to_json()
    p = cdnow["models"]["bgnbd"]["params"]
    mae = {m: cdnow["models"][m]["holdout"]["mae_per_customer"] for m in ("pareto_nbd", "bgnbd")}
    k["5.4"] = [p["r"], p["alpha"], p["a"], p["b"], p["a"] / (p["a"] + p["b"]), mae["pareto_nbd"], mae["bgnbd"]]

    # 6 Renewal (03)
    r03 = res["03_renewal"]
    het = r03["heterogeneity"]
    k["6.1"] = [het["mean_theta_at_join"], het["mean_theta_after_fit_periods"],
                r03["cohorts"]["V1"]["projected_renewal_rate"][0], r03["cohorts"]["V1"]["projected_renewal_rate"][11],
                1 - het["mean_theta_after_fit_periods"]]
    fh_tables = load_tables(cohorts_path="fader_hardie_2007")
    fh = renewal.run(fh_tables, fit_periods=7, period_days=365).to_json()["cohorts"]
    reg, high = fh["regular"], fh["high_end"]
    k["6.2"] = [reg["alpha"], reg["beta"], high["alpha"], high["beta"],
                reg["projected_survival"][12], reg["actual_survival"][12],
                high["projected_survival"][12], high["actual_survival"][12],
                high["alpha"] + high["beta"], high["alpha"] / (high["alpha"] + high["beta"]),
                reg["alpha"] + reg["beta"], reg["alpha"] / (reg["alpha"] + reg["beta"]),
                high["expected_lifetime"], reg["expected_lifetime"],
                high["discounted_expected_lifetime"], reg["discounted_expected_lifetime"]]
    value = {tier: r03["cohorts"][tier]["discounted_expected_value"] for tier in ("V1", "V2", "V3")}
    v1 = r03["cohorts"]["V1"]
    k["6.3"] = [value["V3"], value["V1"], value["V2"], v1["discounted_expected_lifetime"], v1["fee_per_period"],
                *r03["cohorts"]["V3"]["discounted_expected_value_ci"]]
    yearly = renewal.run(load_tables(cohorts_path="coffee_club_yearly"), period="year", fit_periods=5).to_json()
    y1, y3 = yearly["cohorts"]["V1"], yearly["cohorts"]["V3"]
    yearly_truth = json.loads((DATASETS_DIR / "coffee_club_yearly" / "truth.json").read_text(encoding="utf-8"))
    k["6.4"] = [y1["second_year_renewal"], *y1["second_year_renewal_ci"], y1["renewal_by_year"][1], y1["renewal_by_year"][3],
                yearly_truth["cohorts"]["V1"]["second_year_renewal"], y3["second_year_renewal"], *y3["second_year_renewal_ci"]]

    # 7 Test the claims (04, 01)
    r04 = res["04_spend_uplift"]
    coffee_truth = json.loads((DATASETS_DIR / "coffee_club" / "truth.json").read_text(encoding="utf-8"))
    k["7.1"] = [r04["naive_ratio"], r04["pre_join_ratio"], r04["causal_ratio"], *r04["causal_ratio_ci"], r04["verdict"],
                r04["selection_share"], r04["causal_share"], r04["causal_ratio"] - 1, coffee_truth["true_causal_ratio"]]
    lift = r04["implied_sales_lift_per_point"]
    share = r04["member_share"]
    k["7.2"] = [share, lift["causal"], *lift["causal_ci"], lift["naive"], lift["ratio_needed_for_20pct"],
                share * r04["naive_ratio"] + 1 - share]
    k["7.3"] = [r01["top20_revenue_share"], r01["customers_for_80pct_revenue"], r01["top10_revenue_share"],
                r01["top10_spend_multiple"]]
    null = uplift.run(_world_tables(simulate_world(work / "null_world", "--selection", "2", "--uplift-frequency", "1",
                                                   "--uplift-spend", "1")), observation_end=END).to_json()
    real = uplift.run(_world_tables(simulate_world(work / "uplift_world", "--selection", "2", "--uplift-frequency",
                                                   "1.5", "--uplift-spend", "1")), observation_end=END).to_json()
    k["7.4"] = [null["naive_ratio"], null["causal_ratio"], *null["causal_ratio_ci"], real["causal_ratio"],
                *real["causal_ratio_ci"]]

    # 8 Benefits and tiers (05)
    r05 = res["05_benefit_bundles"]
    v1 = r05["tiers"]["V1"]
    k["8.1"] = [len(v1["benefits"]), len(v1["dimensions"]), v1["profit"], v1["incremental_margin"], v1["cost"],
                len(r05["tiers"]["V3"]["dimensions"]), v1["perceived_value"]]
    bundled05 = {"transactions_path": "coffee_club", "members_path": "coffee_club", "benefits_path": "coffee_club",
                 "choices_path": "coffee_club"}
    alone = benefits.run(load_tables(**bundled05), observation_end=END).to_json()
    k["8.2"] = [alone["tiers"]["V1"]["incremental_margin"], alone["objective"], r05["objective"]]
    strict = benefits.run(load_tables(**bundled05), observation_end=END, value_ratio=3).to_json()
    k["8.3"] = [r05["max_value_ratio"], strict["status"]]
    keep = next(row for row in r05["tier_rules"]["keep_curve"] if row["threshold"] == 250.0)
    rules, points = r05["tier_rules"]["tiers"]["V1"], r05["points"]["tiers"]["V1"]
    k["8.4"] = [keep["V1"], rules["median_annual_spend"], rules["top10_annual_spend"], rules["n_upgrade"],
                points["points_needed"], points["points_per_member_year"]]
    apparel = dict(member_spend={"V1": 3000, "V2": 6000, "V3": 12000}, causal_ratio=1.3)
    app = benefits.run(load_tables(benefits_path="apparel_club", transactions_path="none", members_path="none",
                                   choices_path="none"), **apparel).to_json()
    ratio = next(v for v in np.round(np.arange(0.0, 8.01, 0.5), 1)
                 if benefits.run(load_tables(benefits_path="apparel_club", transactions_path="none",
                                             members_path="none", choices_path="none"),
                                 value_ratio=float(v), **apparel).to_json()["lowest_tier"]["styling_sessions"])
    cost, value = re.search(r"costs ([\d.]+) in V3 for ([\d.]+) of value", app["reasons"]["styling_sessions"]).groups()
    k["8.5"] = [app["lowest_tier"]["styling_sessions"] or "null", float(cost), float(value), float(ratio)]

    # 9 Plan the phases (06)
    mc = r06["monte_carlo"]
    k["9.1"] = [r06["members_start"], r06["members_end"], r06["break_even_month"], r06["profit_total"],
                mc["profit_total_low"], mc["profit_total_high"], mc["p_break_even"]]
    k["9.2"] = [r06["from_zero"]["break_even_month"], r06["from_zero"]["members_end"], r06["from_zero"]["profit_total"]]
    lever = r06["tornado"][0]
    k["9.3"] = [lever["input"], lever["low"], lever["high"]]
    startup = [row for row in r06["kpis_by_phase"] if row["phase"] == "startup" and row["status"] != "green"]
    k["9.4"] = [v for row in startup for v in (row["kpi"], row["value"], row["target"])]

    # 10 Run it
    modes = {row["mode"]: row for row in r06["modes"]}
    k["10.1"] = [modes["simple only"]["profit"], modes["standard only"]["profit"],
                 modes["simple only"]["profit"] - modes["standard only"]["profit"]]
    last = r06["monthly"][-1]
    stable = next(p for p in read_plan(phases.default_plan_path()).phases if p.name == "stable").targets
    k["10.2"] = [last["penetration"], last["conversion"], last["renewal_rate"], last["revenue_per_member"],
                 stable["penetration"], stable["conversion"], stable["renewal"], stable["revenue_per_member"]]
    latest = tx.groupby("customer_id")["timestamp"].max()
    recent_complaints = complaints[complaints["timestamp"] > end - pd.Timedelta(days=90)]
    k["10.3"] = [int(((end - latest).dt.days >= 180).sum()), int((latest >= end.replace(day=1)).sum()),
                 recent_complaints["customer_id"].nunique()]
    return k


if __name__ == "__main__":  # print the keys; an argument names a default report already built
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        report = Path(sys.argv[1]) if len(sys.argv) > 1 else build_default_report(Path(tmp) / "report")
        for key, values in compute_keys(report, Path(tmp)).items():
            print(key, values)
