"""Notebook 05_benefit_bundles: the bundled coffee_club catalog, a client catalog of 60 benefits,
a catalog-only run (the apparel catalog) and an impossible value rule."""
from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd

from i18n_check import english_words
from test_architecture import readme_keys

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]
STEM = "05_benefit_bundles"
CJK = re.compile(r"[\u3400-\u9fff]")

FIGURES = {"bundle_matrix", "tier_economics", "value_frontier", "sensitivity", "keep_tier", "survey_wtp"}


def test_nb05_defaults_publish_a_design_with_survey_values(run_notebook, tmp_path):
    res = run_notebook("05_benefit_bundles")
    assert set(res) == readme_keys("05_benefit_bundles")
    assert res["status"] == "optimal" and set(res["tiers"]) == {"V1", "V2", "V3"}
    # run alone: no causal ratio from 04, so 1.0 with the warning in the notes
    assert res["causal_ratio"] == 1.0 and res["causal_ratio_source"] == "assumed 1.0"
    assert any("assuming joining adds no spend" in n for n in res["notes"])
    for t, row in res["tiers"].items():
        assert row["incremental_spend"] == 0.0
        assert abs(row["profit"] - (row["fee"] - row["cost"])) < 1e-9
        assert row["perceived_value"] >= 2 * row["fee"] - 1e-6 and len(row["dimensions"]) >= 3
    assert res["survey"]["n_respondents"] == 200 and len(res["survey"]["applied_to"]) == 8
    figures = {p.stem for p in (tmp_path / "05_benefit_bundles" / "figures").glob("*.png")}
    assert figures == FIGURES
    # the English page keeps the English cells only, and shows no developer text
    from superkit.report.html import notebook_page

    executed = tmp_path / STEM / f"{STEM}.executed.ipynb"
    notebook_page(executed, tmp_path / "en.html", "05", lang="en")
    html = (tmp_path / "en.html").read_text(encoding="utf-8")
    assert "Benefit bundles and tiers" in html and "对应手册" not in html
    assert "**Publishes**" not in html and "Publishes" not in html and "read_from" not in html


def test_nb05_runs_a_client_catalog_of_60_benefits(run_notebook, tmp_path):
    rng = np.random.default_rng(5)
    n = 60
    dims = ["exclusive_price", "discount", "exclusive_product", "service", "spend_discount", "customised"]
    pd.DataFrame({"benefit_id": [f"b{i:02d}" for i in range(n)], "name": [f"benefit {i}" for i in range(n)],
                  "dimension": rng.choice(dims, n), "cost_per_member": rng.gamma(1.2, 15, n).round(1),
                  "cost_share_of_spend": np.where(rng.random(n) < 0.3, rng.uniform(0, 0.05, n), 0).round(3),
                  "perceived_value": rng.gamma(1.5, 30, n).round(1),
                  "min_tier": rng.choice(["", "", "", "V2", "V3"], n)}).to_csv(tmp_path / "cat.csv", index=False)
    res = run_notebook("05_benefit_bundles", benefits_path=str(tmp_path / "cat.csv"),
                       transactions_path="coffee_club", members_path="coffee_club", choices_path="none",
                       causal_ratio=1.42)
    assert res["n_benefits"] == 60 and res["status"] == "optimal"
    assert res["causal_ratio_source"] == "parameter" and res["survey"] is None
    assert len(res["reasons"]) == 60


def test_nb05_runs_on_a_catalog_alone_with_member_spend_given(run_notebook):
    res = run_notebook("05_benefit_bundles", benefits_path="apparel_club", transactions_path="none",
                       members_path="none", choices_path="none",
                       member_spend={"V1": 3000, "V2": 6000, "V3": 12000}, mix={"V1": 0.6, "V2": 0.3, "V3": 0.1},
                       causal_ratio=1.3)
    assert res["status"] == "optimal" and res["tier_rules"] is None
    assert res["tiers"]["V3"]["member_spend"] == 12000 and res["tiers"]["V3"]["member_spend_source"] == "parameter"
    assert res["mix_source"] == "parameter"


def test_nb05_explains_an_impossible_value_rule_and_still_runs(run_notebook):
    res = run_notebook("05_benefit_bundles", value_ratio=10.0, choices_path="none")
    assert res["status"] == "infeasible" and "value_ratio of at most" in res["reason"]
    assert res["headline"].startswith("No tier design meets the rules")


def test_nb05_survives_what_a_red_team_tried(run_notebook, tmp_path):
    """A tier not sold yet, no member long enough for the tier rules, and a survey whose columns match
    no benefit id: the notebook runs, says so, and designs on the catalog's values."""
    from superkit.data import datasets

    ch = pd.read_csv(datasets.path("coffee_club", "choices"))
    ch.rename(columns={c: f"Q_{c}" for c in ch.columns[6:]}).to_csv(tmp_path / "survey.csv", index=False)
    res = run_notebook("05_benefit_bundles", choices_path=str(tmp_path / "survey.csv"),
                       transactions_path="coffee_club", members_path="coffee_club", benefits_path="coffee_club",
                       fees={"V1": 99, "V2": 199, "V3": 299, "V4": 399}, member_spend={"V4": 2500},
                       min_member_days=100000, causal_ratio=1.4)
    assert res["status"] == "optimal" and res["survey"]["applied_to"] == []
    assert any("not benefit ids of the catalog" in n for n in res["notes"])
    assert any("V4 has a share of 0" in n for n in res["notes"])
    assert res["tiers"]["V4"]["mix"] == 0 and res["tiers"]["V4"]["perceived_value"] >= 2 * 399 - 1e-6
    assert all(v["n_members"] == 0 for v in res["tier_rules"]["tiers"].values())


def test_nb05_in_chinese_publishes_a_chinese_headline_and_a_chinese_page(run_notebook, tmp_path):
    from superkit.report.html import notebook_page

    res = run_notebook(STEM, language="zh")
    assert set(res) == readme_keys(STEM) and res["status"] == "optimal"
    assert res["headline"].startswith("最优分级方案") and CJK.search(res["headline"])
    assert "V1（年费 99 元）" in res["headline"] and not english_words(f"<p>{res['headline']}</p>")
    # the keys and numbers are the language's own: notes stay English in the JSON for the analyst
    assert any("assuming joining adds no spend" in n for n in res["notes"])
    executed = tmp_path / STEM / f"{STEM}.executed.ipynb"
    notebook_page(executed, tmp_path / "zh.html", "05", lang="zh")
    html = (tmp_path / "zh.html").read_text(encoding="utf-8")
    assert english_words(html) == []
    assert "对应手册" in html and "Playbook" not in html and "权益目录中的权益数" in html
    assert "会员专享季节限定豆" in html                       # benefit names from the catalog's name_zh


def test_nb05_cells_come_in_language_pairs_with_numbered_sections():
    nb = json.loads((ROOT / "notebooks" / f"{STEM}.ipynb").read_text(encoding="utf-8"))
    cells = nb["cells"]
    tags = [c["metadata"].get("tags", []) for c in cells]
    src = ["".join(c["source"]) for c in cells]
    assert tags[0] == ["lang-en"] and tags[1] == ["lang-zh"] and tags[2] == ["analyst"]
    assert src[0].startswith("# ") and src[1].startswith("# ")
    for s in src[:2]:
        assert "playbook/en/08-benefits-and-tiers.md" in s and "playbook/zh/08-benefits-and-tiers.md" in s
    narrative = [i for i, c in enumerate(cells) if c["cell_type"] == "markdown" and i > 2]
    assert all(tags[i] in (["lang-en"], ["lang-zh"]) for i in narrative)
    en = [i for i in narrative if tags[i] == ["lang-en"]]
    assert all(tags[i + 1] == ["lang-zh"] for i in en) and len(en) * 2 == len(narrative)
    heads = [re.match(r"## (\d+)\. ", src[i]) for i in en if src[i].startswith("## ")]
    assert [int(h.group(1)) for h in heads] == list(range(1, len(heads) + 1))
    zh_heads = [re.match(r"## (\d+)\. ", src[i + 1]) for i in en if src[i].startswith("## ")]
    assert all(z and z.group(1) == h.group(1) for z, h in zip(zh_heads, heads))
    assert 'language: str = "en"' in src[3] and "lang = i18n.check_language(language)" in src[4]
    assert src[-1].rstrip().endswith("show_results(results, STEM, lang)") and "to_json(lang=lang" in src[-1]
