"""Benefit bundles: the catalog contract, the tier economics by hand, the optimiser against
exhaustive search, infeasible and degenerate catalogs explained, tier rules and points by hand."""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from superkit.analyses import benefits as bn
from superkit.core.errors import DataError, ParameterError
from superkit.data import load_tables
from superkit.data.contract import read_benefits
from superkit.data.tables import Tables
from superkit.models.tier_design import design_tiers, feasibility, tier_objective


def catalog_frame(**over):
    df = pd.DataFrame({
        "benefit_id": ["a", "b", "c", "d"],
        "name": ["member price", "free drink", "skip queue", "birthday"],
        "dimension": ["exclusive_price", "discount", "service", "customised"],
        "cost_per_member": ["0", "9", "4", "18"],
        "cost_share_of_spend": ["0.05", "0", "0", "0"],
        "perceived_value": ["90", "28", "30", "45"],
        "min_tier": ["", "", "V2", ""],
        "uptake": ["", "0.5", "", ""],
        "uses_per_year": ["", "12", "", ""],
    })
    for k, v in over.items():
        df[k] = v
    return df


# ------------------------------------------------------------------------------ the catalog contract
def test_catalog_reads_csv_and_yaml_alike(tmp_path):
    df = catalog_frame()
    df.to_csv(tmp_path / "b.csv", index=False)
    rows = [{k: v for k, v in r.items() if v != ""} for r in df.to_dict(orient="records")]
    import yaml

    (tmp_path / "b.yaml").write_text(yaml.safe_dump({"benefits": rows}, allow_unicode=True), encoding="utf-8")
    a, b = read_benefits(tmp_path / "b.csv"), read_benefits(tmp_path / "b.yaml")
    pd.testing.assert_frame_equal(a, b[a.columns])
    assert a["min_tier"].fillna("<missing>").tolist() == ["<missing>", "<missing>", "V2", "<missing>"]
    assert a["uptake"].tolist() == [1.0, 0.5, 1.0, 1.0]
    assert a["cost_share_of_spend"].tolist() == [0.05, 0, 0, 0]


def test_catalog_accepts_chinese_and_english_dimension_names_and_percent_shares():
    df = catalog_frame(dimension=["独家价格", "Discounts", "preferential services", "定制优惠"],
                       cost_share_of_spend=["5%", "0", "0", "0"], uptake=["", "50%", "", ""])
    out = read_benefits(df)
    assert out["dimension"].tolist() == ["exclusive_price", "discount", "service", "customised"]
    assert out["cost_share_of_spend"].iloc[0] == pytest.approx(0.05)
    assert out["uptake"].iloc[1] == pytest.approx(0.5)


@pytest.mark.parametrize("column, values, needle", [
    ("dimension", ["exclusive_price", "loyalty", "service", "customised"], "unknown benefit dimensions"),
    ("cost_share_of_spend", ["5", "0", "0", "0"], "shares outside 0..1"),
    ("cost_per_member", ["0", "-9", "4", "18"], "negative values"),
    ("benefit_id", ["a", "a", "c", "d"], "listed more than once"),
    ("name", ["x", "", "y", "z"], "missing names"),
    ("uptake", ["", "0", "", ""], "uptake of 0"),
    ("uses_per_year", ["", "-1", "", ""], "uses per year of 0 or less"),
    ("perceived_value", ["90", "lots", "30", "45"], "not numbers"),
])
def test_bad_catalogs_are_refused_with_the_column_and_the_fix(column, values, needle):
    with pytest.raises(DataError) as err:
        read_benefits(catalog_frame(**{column: values}))
    msg = str(err.value)
    assert needle in msg and f"column '{column}'" in msg and "Fix:" in msg


def test_catalog_missing_column_and_bad_yaml_are_explained(tmp_path):
    with pytest.raises(DataError, match="perceived_value"):
        read_benefits(catalog_frame().drop(columns="perceived_value"))
    (tmp_path / "x.yaml").write_text("benefits: {a: 1}\n", encoding="utf-8")
    with pytest.raises(DataError, match="does not hold a list of benefits"):
        read_benefits(tmp_path / "x.yaml")
    (tmp_path / "y.yaml").write_text("- benefit_id: a\n  name: [unclosed\n", encoding="utf-8")
    with pytest.raises(DataError, match="not valid YAML"):
        read_benefits(tmp_path / "y.yaml")


def test_a_gbk_catalog_is_read_with_its_chinese_names(tmp_path):
    f = tmp_path / "gbk.csv"
    f.write_bytes("benefit_id,name,dimension,cost_per_member,cost_share_of_spend,perceived_value\n"
                  "a,会员日,优惠折扣,0,0.01,100\n".encode("gbk"))
    df = read_benefits(f)
    assert df["name"].tolist() == ["会员日"] and df["dimension"].tolist() == ["discount"]
    assert any("GB18030" in n for n in df.attrs["notes"])
    y = tmp_path / "gbk.yaml"                       # a YAML catalog saved by Notepad on Chinese Windows
    y.write_bytes("- benefit_id: a\n  name: 会员日\n  dimension: 优惠折扣\n  cost_per_member: 0\n"
                  "  cost_share_of_spend: 1%\n  perceived_value: 100\n".encode("gbk"))
    assert read_benefits(y)["name"].tolist() == ["会员日"]
    f.write_bytes(f.read_bytes().decode("gbk").encode("utf-8-sig"))     # Excel's "CSV UTF-8" has a BOM
    assert read_benefits(f)["dimension"].tolist() == ["discount"]


def test_bundled_catalogs_are_valid_and_documented():
    from superkit.core.paths import DATASETS_DIR

    for name in ("coffee_club", "apparel_club"):
        t = load_tables(benefits_path=name)
        assert t.benefits is not None and len(t.benefits) >= 12
        assert set(t.benefits["dimension"]) == set(bn.DIMENSIONS)   # every dimension is on offer
        sheet = (DATASETS_DIR / name / "README.md").read_text(encoding="utf-8")
        assert "illustrative" in sheet.lower() and "benefit" in sheet.lower()
        for bid in t.benefits["benefit_id"]:
            assert f"`{bid}`" in sheet, (name, bid)                     # every benefit documented


# ------------------------------------------------------------------------------ per member-year
def test_uses_and_uptake_scale_cost_and_value():
    cat = bn.catalog_per_member_year(read_benefits(catalog_frame()), ["V1", "V2"])
    b = cat.set_index("benefit_id")
    assert b.loc["b", "fixed_cost"] == pytest.approx(9 * 12 * 0.5)       # per use x uses x uptake
    assert b.loc["b", "value"] == pytest.approx(28 * 12 * 0.5)
    assert b.loc["a", "spend_share"] == pytest.approx(0.05)
    assert b.loc["c", "min_tier_index"] == 1
    with pytest.raises(DataError, match="min_tier names tiers that are not in fees"):
        bn.catalog_per_member_year(read_benefits(catalog_frame()), ["Gold"])


def test_tier_economics_by_hand():
    cat = bn.catalog_per_member_year(read_benefits(catalog_frame()), ["V1", "V2"])
    holds = np.array([[1, 1], [0, 1], [0, 1], [1, 1]], dtype=bool)   # a, d in V1; all in V2
    S = np.array([600.0, 1200.0])
    e = bn.tier_economics(holds, cat, ["V1", "V2"], [99, 199], [0.7, 0.3], S, margin=0.6, causal_ratio=1.5)
    # V1: cost = 0.05*600 + 18 = 48; dS = 600*(1-1/1.5) = 200; profit = 99 + 0.6*200 - 48 = 171
    assert e.loc["V1", "cost"] == pytest.approx(48)
    assert e.loc["V1", "incremental_spend"] == pytest.approx(200)
    assert e.loc["V1", "profit"] == pytest.approx(171)
    assert e.loc["V1", "perceived_value"] == pytest.approx(135)
    # V2: cost = 0.05*1200 + 54 + 4 + 18 = 136; dS = 400; profit = 199 + 240 - 136 = 303
    assert e.loc["V2", "cost"] == pytest.approx(136)
    assert e.loc["V2", "profit"] == pytest.approx(303)
    # break-even: dS* = (cost - fee)/margin; V1 (48-99)/0.6 = -85 (the fee alone pays)
    assert e.loc["V1", "break_even_incremental_spend"] == pytest.approx(-85)
    ds, ratio = bn.break_even([300.0], [99.0], 0.5, [1000.0])
    assert ds[0] == pytest.approx(402) and ratio[0] == pytest.approx(1000 / 598)
    # at that ratio the profit is exactly zero
    e0 = bn.tier_economics(np.ones((4, 1), bool), cat, ["V1"], [99], [1], [1000.0], 0.5, float(ratio[0]))
    cost = e0.loc["V1", "cost"]
    ds2, r2 = bn.break_even([cost], [99], 0.5, [1000.0])
    e1 = bn.tier_economics(np.ones((4, 1), bool), cat, ["V1"], [99], [1], [1000.0], 0.5, float(r2[0]))
    assert e1.loc["V1", "profit"] == pytest.approx(0, abs=1e-9)
    _, never = bn.break_even([5000.0], [99.0], 0.5, [1000.0])
    assert np.isnan(never[0])                                         # no ratio can pay for it


# ------------------------------------------------------------------------------ the optimiser
def brute_force(cost, value, dim, fees, mix, base, min_tier, ratio, min_dims):
    """Every assignment of a lowest tier (or none) to every benefit; the best feasible objective."""
    B, T = cost.shape
    best, arg = None, None
    for combo in itertools.product(range(-1, T), repeat=B):
        low = np.array(combo)
        if ((low >= 0) & (low < min_tier)).any():
            continue
        holds = (low[:, None] >= 0) & (np.arange(T)[None, :] >= low[:, None])
        if any(value @ holds[:, t] < ratio * fees[t] - 1e-9 or len(set(dim[holds[:, t]])) < min_dims
               for t in range(T)):
            continue
        obj = tier_objective(holds, cost, value, fees, mix, base)[0]
        if best is None or obj > best + 1e-12:
            best, arg = obj, holds
    return best, arg


def random_case(rng, B, T):
    fees = np.sort(rng.choice([0.0, 49, 99, 199, 299], T))
    S = np.sort(rng.uniform(300, 2000, T))
    fixed = rng.gamma(1.0, 20.0, B) * (rng.random(B) < 0.8)
    share = rng.uniform(0, 0.05, B) * (rng.random(B) < 0.4)
    cost = fixed[:, None] + share[:, None] * S[None, :]
    value = np.round(rng.gamma(1.5, 40.0, B), 0) * (rng.random(B) < 0.9)
    dim = rng.integers(0, 6, B)
    min_tier = rng.integers(0, T, B) * (rng.random(B) < 0.3)
    mix = rng.dirichlet(np.ones(T))
    base = fees + rng.uniform(0, 200, T)
    return cost, value, dim, fees, mix, base, min_tier, float(rng.uniform(0, 2.5)), int(rng.integers(0, 4))


@pytest.mark.parametrize("seed", range(8))
def test_optimiser_finds_the_exhaustive_optimum_on_random_catalogs(seed):
    rng = np.random.default_rng(seed)
    n_feasible = 0
    for _ in range(25):
        B, T = int(rng.integers(2, 7)), int(rng.integers(1, 4))
        cost, value, dim, fees, mix, base, min_tier, ratio, mind = random_case(rng, B, T)
        d = design_tiers(cost, value, dim, fees, mix, base=base, min_tier=min_tier, value_ratio=ratio,
                         min_dimensions=mind)
        best, _ = brute_force(cost, value, dim, fees, mix, base, min_tier, ratio, mind)
        if best is None:
            assert d.status == "infeasible" and d.reason
            continue
        n_feasible += 1
        assert d.status == "optimal"
        assert d.objective == pytest.approx(best, rel=1e-9, abs=1e-9)
        # the solution itself obeys every rule
        h = d.holds
        assert (h[:, :-1] <= h[:, 1:]).all()                                   # nested
        assert all(value @ h[:, t] >= ratio * fees[t] - 1e-6 for t in range(T))
        assert all(len(set(dim[h[:, t]])) >= mind for t in range(T))
        assert not (h & (np.arange(T)[None, :] < min_tier[:, None])).any()
    assert n_feasible >= 5


def test_ties_go_to_the_design_members_value_most():
    # two free benefits and one costly one: the free ones are always held, the costly one only if needed
    cost = np.array([[0.0], [0.0], [10.0]])
    value = np.array([5.0, 7.0, 50.0])
    d = design_tiers(cost, value, np.array([0, 1, 2]), [10.0], [1.0], base=[10.0], value_ratio=1.0,
                     min_dimensions=0)
    assert d.holds[:, 0].tolist() == [True, True, False]
    d2 = design_tiers(cost, value, np.array([0, 1, 2]), [10.0], [1.0], base=[10.0], value_ratio=2.0,
                      min_dimensions=0)
    assert d2.holds[:, 0].tolist() == [True, True, True] and d2.objective == pytest.approx(0.0)


def test_infeasible_catalogs_say_which_rule_binds_and_by_how_much():
    value = np.array([100.0, 80.0, 50.0])
    dim = np.array([0, 0, 1])
    fees = np.array([99.0, 299.0])
    d = design_tiers(np.zeros((3, 2)), value, dim, fees, [0.5, 0.5], value_ratio=2.0, min_dimensions=3,
                     tier_names=["V1", "V3"])
    assert d.status == "infeasible" and np.isnan(d.objective)
    by = {(b["tier"], b["constraint"]): b for b in d.binding}
    # V3 needs 598 of value; all three give 230: 368 short; the largest feasible ratio is 230/299
    assert by[("V3", "value_ratio")]["short_by"] == pytest.approx(598 - 230)
    assert by[("V3", "value_ratio")]["max_value_ratio"] == pytest.approx(230 / 299)
    assert ("V1", "value_ratio") not in by                               # 230 >= 198: V1 meets it
    assert by[("V1", "min_dimensions")]["short_by"] == 1
    assert "V3: even with every benefit it may hold" in d.reason and "368 short" in d.reason
    assert "cover 2 of the six dimensions" in d.reason


def test_feasibility_is_exact_against_brute_force():
    rng = np.random.default_rng(42)
    for _ in range(60):
        B, T = int(rng.integers(1, 6)), int(rng.integers(1, 4))
        cost, value, dim, fees, mix, base, min_tier, ratio, mind = random_case(rng, B, T)
        ok, _, _ = feasibility(value, dim, min_tier, fees, ratio, mind)
        best, _ = brute_force(cost, value, dim, fees, mix, base, min_tier, ratio, mind)
        assert ok == (best is not None)


def test_degenerate_catalogs():
    # one benefit, no value rule: held only if it costs nothing
    d = design_tiers(np.array([[3.0]]), [10.0], [0], [99.0], [1.0], base=[99.0], value_ratio=0, min_dimensions=0)
    assert d.status == "optimal" and not d.holds.any() and d.objective == pytest.approx(99)
    # a free tier (fee 0: no value rule) and a tier nobody buys (mix 0: its cost does not count)
    cost = np.array([[5.0, 5.0], [1.0, 1.0]])
    d = design_tiers(cost, [30.0, 10.0], [0, 1], [0.0, 20.0], [1.0, 0.0], value_ratio=2.0, min_dimensions=1)
    assert d.status == "optimal"
    assert d.holds.tolist() == [[False, True], [True, True]]     # the cheap one in tier 1; both reach 40
    assert d.objective == pytest.approx(-1.0)
    # forcing a benefit below its min_tier is refused with the fix
    with pytest.raises(ParameterError, match="min_tier"):
        design_tiers(cost, [30.0, 10.0], [0, 1], [0.0, 99.0], [1.0, 0.0], min_tier=[1, 0], forced=[0, -2])
    with pytest.raises(ParameterError, match="mix"):
        design_tiers(cost, [30.0, 10.0], [0, 1], [0.0, 99.0], [-1.0, 2.0])


# ------------------------------------------------------------------------------ inputs
def test_fees_mix_and_member_spend_parameters_are_checked():
    with pytest.raises(ParameterError, match="fall from one tier"):
        bn.tier_fees({"V1": 199, "V2": 99})
    with pytest.raises(ParameterError, match="must map each tier"):
        bn.tier_fees({})
    with pytest.raises(ParameterError, match="not in fees"):
        bn.resolve_mix(["V1", "V2"], {"Gold": 1.0}, None)
    w, src = bn.resolve_mix(["V1", "V2"], {"V1": 3, "V2": 1}, None)
    assert w.tolist() == [0.75, 0.25] and src == "parameter"
    w, src = bn.resolve_mix(["V1", "V2"], {}, None)
    assert w.tolist() == [0.5, 0.5] and "equal" in src
    with pytest.raises(DataError, match="no member spend for tier V1") as err:
        bn.resolve_member_spend(["V1"], {}, None)
    assert "member_spend" in str(err.value)


def test_member_spend_by_hand():
    tx = pd.DataFrame({"customer_id": ["m1", "m1", "m1", "m2", "n1"],
                       "timestamp": pd.to_datetime(["2025-01-10", "2025-03-01", "2025-06-01", "2025-02-01",
                                                    "2025-02-01"]),
                       "amount": [100.0, 50.0, 30.0, 20.0, 999.0]})
    mem = pd.DataFrame({"customer_id": ["m1", "m2"], "joined_at": pd.to_datetime(["2025-02-01", "2025-01-01"]),
                        "tier": ["V1", "V2"], "ended_at": pd.to_datetime([None, "2025-04-01"])})
    pm = bn.member_spend_table(tx, mem, observation_end="2025-12-31")
    m1, m2 = pm.set_index("customer_id").loc["m1"], pm.set_index("customer_id").loc["m2"]
    # m1: member 2025-02-01 .. 2025-12-31 inclusive = 334 days; spend while member 50 + 30
    assert m1["member_days"] == 334 and m1["spend"] == pytest.approx(80)
    assert m1["annual_spend"] == pytest.approx(80 / (334 / 365.25))
    # m2: window starts at the first transaction (2025-01-10) -> 81 days to 2025-04-01; spend 20
    assert m2["member_days"] == 81 and m2["spend"] == pytest.approx(20)
    S, src = bn.resolve_member_spend(["V1", "V2"], {"V2": 500}, pm)
    assert S[0] == pytest.approx(80 / (334 / 365.25)) and S[1] == 500
    assert src[0].startswith("data: 1 V1") and src[1] == "parameter"


def test_causal_ratio_comes_from_the_parameter_then_04_then_one_with_a_warning():
    t = Tables(results={"04_spend_uplift": {"causal_ratio": 1.42, "causal_ratio_ci": [1.34, 1.51]}})
    assert bn.resolve_causal_ratio(1.3, t)["source"] == "parameter"
    got = bn.resolve_causal_ratio(None, t)
    assert got["value"] == 1.42 and got["ci"] == [1.34, 1.51] and "04_spend_uplift" in got["source"]
    alone = bn.resolve_causal_ratio(None, Tables())
    assert alone["value"] == 1.0 and "assuming joining adds no spend" in alone["warning"]
    with pytest.raises(ParameterError, match="causal_ratio"):
        bn.resolve_causal_ratio(0, t)


# ------------------------------------------------------------------------------ tier rules, points
def per_member_frame():
    return pd.DataFrame({"customer_id": list("abcdef"), "tier": ["V1", "V1", "V1", "V2", "V2", "V2"],
                         "member_days": [365.25, 365.25, 30, 365.25, 365.25, 365.25],
                         "spend": [200.0, 12000.0, 5.0, 900.0, 1500.0, 15000.0],
                         "annual_spend": [200.0, 12000.0, 60.8, 900.0, 1500.0, 15000.0]})


def test_tier_rules_by_hand():
    cat = bn.catalog_per_member_year(read_benefits(catalog_frame()), ["V1", "V2"])
    holds = np.array([[1, 1], [0, 1], [0, 1], [1, 1]], dtype=bool)
    r = bn.tier_rules(per_member_frame(), ["V1", "V2"], holds, cat, keep_tier_spend={"V2": 1000},
                      upgrade_spend=10000, min_member_days=90)
    v1, v2 = r["tiers"]["V1"], r["tiers"]["V2"]
    assert v1["n_members"] == 2                                   # the 30-day member is left out
    assert v1["n_upgrade"] == 1 and v1["share_upgrade"] == 0.5 and v1["upgrade_to"] == "V2"
    # V2 adds b (54 fixed) and c (4 fixed), no extra share of spend
    assert v1["upgrade_cost_per_member"] == pytest.approx(58)
    assert v2["n_keep"] == 2 and v2["share_keep"] == pytest.approx(2 / 3)
    assert "n_upgrade" not in v2                                  # no tier above the top
    grid = {row["threshold"]: row for row in r["keep_curve"]}
    assert grid[1000.0]["V2"] == pytest.approx(2 / 3) and grid[10000.0]["V1"] == 0.5


def test_points_by_hand():
    p = bn.points_economics(per_member_frame(), ["V1", "V2"], [1000.0, 2000.0], [99.0, 199.0],
                            points_per_yuan=1, yuan_per_point=0.01, breakage=0.3, fee_in_points={"V1": 50})
    v1 = p["tiers"]["V1"]
    assert v1["liability_per_member_year"] == pytest.approx(1000 * 0.01 * 0.7)
    assert v1["points_needed"] == pytest.approx(5000)
    assert v1["share_able_to_pay"] == pytest.approx(0.5)         # 12,000 yuan of spend earns 120 yuan
    assert v1["cash_fee_forgone_per_member"] == pytest.approx(25)
    assert v1["net_cost_per_member"] == pytest.approx(25 * 0.3)  # the breakage given up
    assert "fee_in_points" not in p["tiers"]["V2"]
    # the method's {"V1": 50} with other tier names, or more than the fee: a note, never a stop
    q = bn.points_economics(None, ["Silver"], [1000.0], [0.0], fee_in_points={"V1": 50, "Silver": 20})
    assert any("not in fees" in n for n in q["notes"]) and any("more than its fee" in n for n in q["notes"])
    assert "fee_in_points" not in q["tiers"]["Silver"]


# ------------------------------------------------------------------------------ the whole analysis
@pytest.fixture(scope="module")
def coffee():
    t = load_tables("", "", benefits_path="", choices_path="none", observation_end="2025-12-31")
    return bn.run(t, causal_ratio=1.42, perceived_value_from="catalog")


def test_run_on_coffee_club_adds_up(coffee):
    j = coffee.to_json()
    assert j["status"] == "optimal" and j["causal_ratio_source"] == "parameter"
    cat = coffee.catalog.set_index("benefit_id")
    total = 0.0
    for t, row in j["tiers"].items():
        held = cat.loc[row["benefits"]]
        cost = held["fixed_cost"].sum() + held["spend_share"].sum() * row["member_spend"]
        assert row["cost"] == pytest.approx(cost)
        assert row["perceived_value"] == pytest.approx(held["value"].sum())
        assert row["perceived_value"] >= 2.0 * row["fee"] - 1e-6
        assert len(row["dimensions"]) >= 3
        assert row["incremental_spend"] == pytest.approx(row["member_spend"] * (1 - 1 / 1.42))
        assert row["profit"] == pytest.approx(row["fee"] + 0.6 * row["incremental_spend"] - row["cost"])
        total += row["mix"] * row["profit"]
    assert j["objective"] == pytest.approx(total)
    tiers = list(j["tiers"])
    for lo, hi in zip(tiers, tiers[1:]):                       # nested
        assert set(j["tiers"][lo]["benefits"]) <= set(j["tiers"][hi]["benefits"])
    # member spend rises with the tier in the simulated club (tiers chosen by heaviness)
    spend = [j["tiers"][t]["member_spend"] for t in tiers]
    assert spend == sorted(spend)


def test_the_playbook_claims_of_step_5_hold_on_the_bundled_data(coffee):
    """Step 5 of the playbook says: at the method's 10,000 yuan nobody in the coffee club upgrades; the
    margin (+-10 points) and the causal ratio across 04's interval each move profit more than any single
    benefit's cost at +-50% (as in a report: 04's interval, the survey's values); the bundled survey
    finds the catalog's three worst guesses about two to three times too high."""
    from superkit.data import datasets

    assert all(v.get("n_upgrade", 0) == 0 for v in coffee.tier_rules["tiers"].values())
    assert coffee.upgrade_lines()[0].startswith("V1: 0 of ")
    t = load_tables("", "", benefits_path="", choices_path="", observation_end="2025-12-31")
    t.results = {"04_spend_uplift": {"causal_ratio": 1.422, "causal_ratio_ci": [1.341, 1.508]}}
    sw = bn.run(t).sensitivity["swings"]
    assert min(sw["margin"]["swing"], sw["causal_ratio"]["swing"]) > sw["benefit_cost"]["swing"]
    truth = datasets.truth("coffee_club")["survey"]["true_wtp"]
    guess = coffee.catalog.set_index("benefit_id")["catalog_value"]
    ratios = sorted(guess[b] / w for b, w in truth.items())
    assert 1.75 <= ratios[-3] and ratios[-1] <= 3.3          # the three worst guesses: about 2x to 3x


def test_every_reason_is_a_re_optimised_profit_difference(coffee):
    r = coffee.reasons
    assert len(r) == len(coffee.catalog)
    stakes = r["profit_at_stake"].dropna()
    assert (stakes >= -1e-6).all()                             # the design is the best: any change costs
    held = r[r["lowest_tier"].notna()]
    assert held["reason"].str.startswith(("in from", "needed")).all()
    assert r[r["lowest_tier"].isna()]["reason"].str.startswith("left out").all()


def test_frontier_falls_as_the_value_rule_tightens_and_ends_where_feasibility_does(coffee):
    f = coffee.frontier
    feas = f[f["feasible"]]
    assert (np.diff(feas["objective"].to_numpy()) <= 1e-6).all()
    top = f.attrs["max_value_ratio"]
    assert feas["value_ratio"].max() == pytest.approx(top)
    assert not f[f["value_ratio"] > top + 1e-9]["feasible"].any()


def test_an_impossible_value_rule_gives_an_infeasible_result_with_the_reason():
    t = load_tables("", "", benefits_path="", choices_path="none", observation_end="2025-12-31")
    res = bn.run(t, causal_ratio=1.42, value_ratio=10, perceived_value_from="catalog")
    j = res.to_json()
    assert j["status"] == "infeasible" and j["objective"] is None and j["tiers"] == {}
    assert "value_ratio of at most" in j["reason"] and j["binding"]
    assert "No tier design meets the rules" in j["headline"]


# ------------------------------------------------------------------------------ found by a red-team pass
def test_a_tier_nobody_buys_yet_gets_the_cheapest_design_that_meets_the_rules():
    rng = np.random.default_rng(11)
    for _ in range(20):
        cost, value, dim, fees, mix, base, min_tier, ratio, mind = random_case(rng, 5, 3)
        mix = np.array([0.7, 0.3, 0.0])
        d = design_tiers(cost, value, dim, fees, mix, base=base, min_tier=min_tier, value_ratio=ratio,
                         min_dimensions=mind)
        best, _ = brute_force(cost, value, dim, fees, mix, base, min_tier, ratio, mind)
        if best is None:
            continue
        # among all designs with the best profit, the idle tier's cost is the lowest possible
        cheapest = None
        for combo in itertools.product(range(-1, 3), repeat=5):
            low = np.array(combo)
            if ((low >= 0) & (low < min_tier)).any():
                continue
            h = (low[:, None] >= 0) & (np.arange(3)[None, :] >= low[:, None])
            if any(value @ h[:, t] < ratio * fees[t] - 1e-9 or len(set(dim[h[:, t]])) < mind for t in range(3)):
                continue
            if tier_objective(h, cost, value, fees, mix, base)[0] < best - 1e-7:
                continue
            c3 = float((cost[:, 2] * h[:, 2]).sum())
            cheapest = c3 if cheapest is None else min(cheapest, c3)
        assert d.cost[2] == pytest.approx(cheapest, abs=1e-6)


def test_mix_must_name_every_tier_and_fees_every_tier_once():
    with pytest.raises(ParameterError, match=r"gives no share for \['V3'\]"):
        bn.resolve_mix(["V1", "V2", "V3"], {"V1": 0.7, "V2": 0.3}, None)
    with pytest.raises(ParameterError, match="names a tier twice"):
        bn.tier_fees({1: 99, "1": 199})


def test_the_headline_never_says_every_tier_pays_when_one_loses_money(tmp_path):
    f = tmp_path / "tiny.csv"
    pd.DataFrame({"benefit_id": ["x", "y", "z"], "name": ["x", "y", "z"],
                  "dimension": ["discount", "service", "customised"], "cost_per_member": [50, 50, 50],
                  "cost_share_of_spend": [0, 0, 0], "perceived_value": [100, 100, 100]}).to_csv(f, index=False)
    res = bn.run(load_tables(benefits_path=str(f)), member_spend={"V1": 50, "V2": 1000, "V3": 1000},
                 mix={"V1": 0.5, "V2": 0.3, "V3": 0.2}, value_ratio=1, causal_ratio=1.2)
    assert res.economics.loc["V1", "profit"] < 0
    assert "V1 lose money on every member" in res.headline and "V1 cannot break even at any causal ratio" in res.headline
    assert "Every tier's fee covers" not in res.headline
    lines = dict(zip(res.tiers, res.break_even_lines()))
    # V1: cost 150 (all three), fee 99 -> needs (150-99)/0.6 = 85 yuan; members spend 50: no ratio can
    assert lines["V1"].startswith("V1 (99 yuan): needs 85 yuan more a year, more than its members spend at all")
    assert "the fee covers its benefits" in lines["V3"]


def test_an_interval_04_could_not_compute_does_not_stop_05():
    t = load_tables("", "", benefits_path="", choices_path="none", observation_end="2025-12-31")
    t.results = {"04_spend_uplift": {"causal_ratio": 1.3, "causal_ratio_ci": [None, None]}}
    res = bn.run(t, perceived_value_from="catalog")
    assert res.causal["value"] == 1.3 and res.causal["ci"] is None
    assert any("without an interval" in n for n in res.notes)
    assert res.sensitivity["swings"]["causal_ratio"]["range"] == pytest.approx([1.1, 1.5])


def test_a_causal_ratio_below_one_stays_on_the_sensitivity_curve():
    t = load_tables("", "", benefits_path="", choices_path="none", observation_end="2025-12-31")
    res = bn.run(t, causal_ratio=0.85, perceived_value_from="catalog")
    grid = res.sensitivity["causal_ratio"]["causal_ratio"]
    assert grid.min() <= 0.85 <= grid.max()
    assert (res.economics["incremental_spend"] < 0).all()          # a membership that lowers spend


def test_a_coverage_rule_no_catalog_meets_is_named_as_the_cause():
    cat = catalog_frame()                                             # four of the six dimensions
    res = bn.run(Tables(benefits=read_benefits(cat)),
                 fees={"V1": 99, "V2": 199}, member_spend={"V1": 600, "V2": 1200}, mix={"V1": 0.5, "V2": 0.5},
                 min_dimensions=6, causal_ratio=1.2)
    assert res.status == "infeasible" and "cover 4 of the six dimensions" in res.design.reason
    assert res.frontier.attrs["max_value_ratio"] is None and not res.frontier["feasible"].any()


def test_members_outside_the_window_are_named_as_such():
    t = load_tables("", "", benefits_path="", choices_path="none")
    with pytest.raises(DataError, match="no day of membership inside the data's window"):
        bn.run(t, observation_end="2000-01-01", causal_ratio=1.2)


def test_yaml_values_stay_as_written_and_a_key_given_twice_is_refused(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("- {benefit_id: 007, name: yes, dimension: 积分, cost_per_member: 010, "
                 "cost_share_of_spend: 5%, perceived_value: '1,200', min_tier: ~}\n", encoding="utf-8")
    row = read_benefits(f).iloc[0]
    assert row["benefit_id"] == "007" and row["name"] == "yes" and row["cost_per_member"] == 10
    assert row["dimension"] == "spend_discount" and pd.isna(row["min_tier"]) and row["perceived_value"] == 1200
    f.write_text("- benefit_id: a\n  name: x\n  name: y\n  dimension: discount\n  cost_per_member: 1\n"
                 "  cost_share_of_spend: 0\n  perceived_value: 2\n", encoding="utf-8")
    with pytest.raises(DataError, match="the key 'name' appears twice"):
        read_benefits(f)


# ------------------------------------------------------------------------------ languages and labels
_CJK = __import__("re").compile(r"[\u3400-\u9fff]")


def _zh_words(text: str) -> list[str]:
    """English words a Chinese reader would meet in ``text`` (code spans, which name parameters for the
    analyst, set aside)."""
    import re
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from i18n_check import english_words

    return english_words("<p>" + re.sub(r"`[^`]*`", "", text) + "</p>")


def test_the_method_s_six_dimensions_and_yearly_fees():
    # Yan Tao's six benefit dimensions, with the method's own Chinese names, and V1/V2/V3 at 99/199/299 a year
    from superkit.data.spec import BENEFIT_DIMENSIONS

    assert [zh for _, zh in BENEFIT_DIMENSIONS.values()] == ["独家价格", "优惠折扣", "独家产品", "优惠服务", "消费折扣", "定制优惠"]
    assert bn.METHOD_FEES == {"V1": 99.0, "V2": 199.0, "V3": 299.0} and bn.METHOD_UPGRADE_SPEND == 10000
    import inspect

    assert inspect.signature(bn.run).parameters["fees"].default == bn.METHOD_FEES
    from superkit.core import i18n

    assert "year" in i18n.label("05_benefit_bundles", "value_ratio", "en")
    assert "年费" in i18n.label("05_benefit_bundles", "value_ratio", "zh")


def test_the_catalogue_covers_every_published_key_once(coffee):
    from superkit.core import i18n

    sec = i18n.catalogue()["05_benefit_bundles"]
    keys = set(coffee.to_json()) | {"key_figure"}
    shown, hidden = set(sec["results"]), set(sec["hidden"])
    assert not shown & hidden
    assert keys == shown | hidden, (keys - shown - hidden, (shown | hidden) - keys)
    assert not [b for b in i18n.untranslated() if b.startswith("05_benefit_bundles")]
    rows = i18n.labelled_rows("05_benefit_bundles", coffee.to_json(lang="zh"), "zh")
    assert len(rows) == len(shown) and all(_CJK.search(label) for label, _ in rows)
    assert dict(rows)["因果倍数来源"] == "参数设定" and dict(rows)["分级方案"].startswith("已找到")


def test_the_chinese_headline_and_page_texts_hold_no_english(coffee):
    zh = coffee.headline_text("zh")
    assert _CJK.search(zh) and not _zh_words(zh)
    e = coffee.economics
    assert f"V1（年费 99 元）：{int(e.loc['V1', 'n_benefits'])} 项权益" in zh      # the same numbers as in English
    assert f"V1 (99 yuan): {int(e.loc['V1', 'n_benefits'])} benefits" in coffee.headline
    assert coffee.to_json(lang="zh")["headline"] == zh and coffee.to_json()["headline"] == coffee.headline
    texts = [coffee.inputs_text("zh"), *coffee.reason_lines("zh"), *coffee.break_even_lines("zh"),
             *coffee.upgrade_lines("zh")]
    for table in (coffee.tier_bundles("zh"), coffee.economics_table("zh"), coffee.keep_table("zh"),
                  coffee.points_table("zh")):
        texts += [str(table.index.name or ""), *map(str, table.columns), *map(str, table.index),
                  *map(str, table.to_numpy().ravel())]
    bad = {t: _zh_words(t) for t in texts if _zh_words(t)}
    assert not bad
    # benefit names come from the catalog's name_zh column
    assert "会员专享季节限定豆" in coffee.tier_bundles("zh").iloc[0, 1]
    assert len(coffee.reason_lines("zh")) == len(coffee.catalog)


def test_notes_and_reasons_are_english_in_the_json_and_said_again_in_chinese():
    import copy
    import pickle

    t = load_tables("", "", benefits_path="", choices_path="none", observation_end="2025-12-31")
    res = bn.run(t, perceived_value_from="catalog", fees={"V1": 99, "V2": 199, "V3": 299, "V4": 399},
                 member_spend={"V4": 2500}, fee_in_points={"V1": 50, "V9": 5})
    j = res.to_json()
    assert any(n.startswith("no causal ratio was given") for n in j["notes"])
    assert any(n.startswith("V4 has a share of 0 (data: members per tier)") for n in j["notes"])
    assert j["causal_ratio_source"] == "assumed 1.0" and j["tiers"]["V4"]["member_spend_source"] == "parameter"
    zh = [bn.say(n, "zh") for n in res.notes]
    assert all(_CJK.search(n) for n in zh) and "V4 的会员占比为 0（数据中各等级的会员数）" in " ".join(zh)
    assert bn.say("plain text", "zh") == "plain text"
    for n in res.notes:                                         # copies keep the sentence, in both languages
        for c in (copy.deepcopy(n), pickle.loads(pickle.dumps(n))):
            assert c == n and bn.say(c, "zh") == bn.say(n, "zh")
    reason = res.reasons.attrs["said"][0]
    assert reason == res.reasons["reason"].iloc[0] and _CJK.search(bn.say(reason, "zh"))


def test_an_infeasible_design_says_why_in_chinese_with_the_model_s_numbers():
    t = load_tables("", "", benefits_path="", choices_path="none", observation_end="2025-12-31")
    res = bn.run(t, value_ratio=10.0, perceived_value_from="catalog")
    b = res.design.binding
    assert res.status == "infeasible" and b
    zh = res.headline_text("zh")
    assert zh.startswith("没有任何分级方案能满足规则") and not _zh_words(zh)
    for entry in b:                                             # every failing tier, with its shortfall
        assert f"{entry['tier']}：" in zh and f"还差 {entry['short_by']:,.0f} 元" in zh
    assert res.reason_text("en") == res.design.reason and res.headline.startswith("No tier design meets")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_figures_draw_in_the_language_asked(coffee, lang):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from superkit.analyses import plotting

    if lang == "zh" and plotting.cjk_font() is None:
        pytest.skip("no CJK font installed: figures fall back to English")
    plotting.use_style()
    r = coffee
    _, axes = plt.subplots(2, 4, figsize=(20, 8))
    a = axes.ravel()
    plotting.tier_economics(r.economics, r.value_ratio, ax=a[0], lang=lang)
    plotting.bundle_matrix(r.catalog, r.tiers, ax=a[1], lang=lang)
    plotting.value_frontier(r.frontier, r.value_ratio, ax=a[2], lang=lang)
    plotting.tier_sensitivity(r.sensitivity, r.tiers, r.margin, r.causal, axes=a[3:6], lang=lang)
    plotting.keep_tier_curve(r.per_member, r.tiers, 10000, {"V2": 1000}, 90, ax=a[6], lang=lang)
    st = pd.DataFrame({"name": ["Free delivery"], "name_zh": ["免配送费"], "catalog value": [10.0],
                       "survey WTP": [12.0], "95% low": [8.0], "95% high": [16.0]})
    plotting.wtp_comparison(st, ax=a[7], lang=lang)
    words = []
    for ax in a:
        words += [ax.get_xlabel(), ax.get_ylabel()] + [t.get_text() for t in ax.texts]
        if ax.get_legend():
            words += [t.get_text() for t in ax.get_legend().get_texts()]
    words = [w for w in words if w.strip() and w not in r.tiers          # tier names and numbers are the same
             and not w.strip().lstrip("+-").replace(",", "").replace(".", "").isdigit()]
    names = [t.get_text() for t in a[7].get_yticklabels()] + [t.get_text() for t in a[5].get_yticklabels()]
    plt.close("all")
    if lang == "zh":
        assert all(_CJK.search(w) for w in words), [w for w in words if not _CJK.search(w)]
        assert "免配送费" in names and all(_CJK.search(n) for n in names)
    else:
        assert not any(_CJK.search(w) for w in words if "(" not in w), words
        assert "Free delivery" in names
