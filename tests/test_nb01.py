"""notebooks/01_super_users.ipynb run through papermill; assertions on its published JSON."""
from __future__ import annotations

import pandas as pd
import pytest

from test_architecture import readme_keys
from superkit.analyses import super_users
from superkit.data import load_tables
from test_super_users import END, hand_made

STEM = "01_super_users"
KEYS = {"n_customers", "top20_revenue_share", "top10_revenue_share", "gini", "n_super_users",
        "super_user_revenue_share", "criteria_available", "headline", "key_figure"}


@pytest.fixture
def hand_made_files(tmp_path):
    tx, members, events = hand_made()
    paths = {}
    for name, df in (("transactions", tx.rename(columns={"customer_id": "member_no", "amount": "paid"})),
                     ("members", members), ("events", events)):
        paths[name] = tmp_path / f"{name}.csv"
        df.to_csv(paths[name], index=False)
    paths["margins"] = tmp_path / "margins.csv"          # the hand-made margins of test_super_users
    paths["margins"].write_text("category,margin\ncoffee,0.5\ntea,1.0\n", encoding="utf-8")
    return paths


def test_nb01_reproduces_hand_made_answers(run_notebook, hand_made_files, tmp_path):
    out = tmp_path / "out"
    res = run_notebook(STEM, transactions_path=str(hand_made_files["transactions"]),
                       members_path=str(hand_made_files["members"]),
                       events_path=str(hand_made_files["events"]),
                       column_mapping={"transactions": {"customer_id": "member_no", "amount": "paid"}},
                       margins_path=str(hand_made_files["margins"]),
                       observation_end=END, recency_days=90, min_criteria=2, output_dir=str(out))
    assert KEYS <= set(res)
    # profit (the measure of the 80/20 claim), worked out by hand in test_super_users
    assert res["top20_profit_share"] == pytest.approx(180 / 220)
    assert res["top10_profit_share"] == pytest.approx(100 / 220)
    assert res["gini_profit"] == pytest.approx(1380 / 2200)
    assert res["customers_for_80pct_profit"] == pytest.approx(0.195)
    assert res["super_user_profit_share"] == pytest.approx(100 / 220)
    assert res["margins"] == {"coffee": 0.5, "tea": 1.0}
    assert res["n_customers"] == 10
    assert res["top20_revenue_share"] == pytest.approx(0.80)
    assert res["top10_revenue_share"] == pytest.approx(0.40)
    assert res["gini"] == pytest.approx(0.60)
    assert res["criteria_available"] == list(super_users.CRITERIA)
    assert res["criteria_counts"] == {"frequency_recency": 2, "feedback": 4, "sharing": 3, "cross_purchase": 2}
    assert res["gates"] == {"paid": 10, "paid_again": 6, "member": 1}
    # Only c09 bought often and lately and meets a second criterion: 160 of 400 yuan.
    assert res["n_super_users"] == 1 and res["n_super_users_members"] == 1 and res["n_prospects"] == 0
    assert res["super_user_revenue_share"] == pytest.approx(0.40)
    listed = pd.read_csv(out / res["super_user_list"], index_col="customer_id")
    assert listed.index.tolist() == ["c09"]
    assert "bought on 4 days, last 30 days ago" in listed.loc["c09", "reason"]
    for fig in ("lorenz", "criteria", "gates"):
        assert (out / "figures" / f"{fig}.png").stat().st_size > 5000
    assert res["key_figure"] == "lorenz"


def test_nb01_switches_off_criteria_without_events_or_members(run_notebook, hand_made_files):
    res = run_notebook(STEM, transactions_path=str(hand_made_files["transactions"]),
                       members_path="none", events_path="",   # empty: never the bundled events
                       column_mapping={"transactions": {"customer_id": "member_no", "amount": "paid"}},
                       observation_end=END, recency_days=90, min_criteria=2)
    assert res["criteria_available"] == ["frequency_recency", "cross_purchase"]
    assert res["criteria_counts"]["feedback"] == 0 and res["criteria_counts"]["sharing"] == 0
    assert res["gates"]["member"] == 0
    assert res["n_super_users"] == 1 and res["n_prospects"] == 1     # c09, now not a member
    # a client's data without margins: never the sample's margins; profit cannot be measured, said so
    assert res["margins"] is None and res["top20_profit_share"] is None and res["gini_profit"] is None
    assert "cannot be measured" in res["reading_80_20"] and "cannot be measured" in res["headline"]


def test_nb01_defaults_on_coffee_club_agree_with_the_package(run_notebook):
    res = run_notebook(STEM)
    assert set(res) == readme_keys(STEM)  # exactly the keys notebooks/README.md lists
    ours = super_users.run(load_tables("", "", ""), "2025-12-31")   # the package's defaults
    assert res["n_customers"] == len(ours.scores.table)
    assert res["top20_revenue_share"] == pytest.approx(ours.concentration.top20_share)
    assert res["gini"] == pytest.approx(ours.concentration.gini)
    assert res["n_super_users"] == len(ours.listed.table) > 0
    assert 0 < res["top10_revenue_share"] < res["top20_revenue_share"] < 1
    assert res["criteria_available"] == list(super_users.CRITERIA)
    assert res["n_super_users_members"] + res["n_prospects"] == res["n_super_users"]
    # the bundled data come with (illustrative) margins: the default report reads the claim on profit
    assert res["top20_profit_share"] == pytest.approx(ours.profit.top20_share)
    assert 0 < res["top10_profit_share"] < res["top20_profit_share"] < 1
    assert res["total_profit"] < res["total_revenue"]
    assert res["reading_80_20"].startswith("The method's 80/20 claim") and "gross profit" in res["headline"]


def test_nb01_in_chinese_publishes_chinese_and_its_page_has_no_english(run_notebook, tmp_path):
    import re
    import sys
    from pathlib import Path

    import nbformat

    from superkit.core import i18n
    from superkit.report.html import notebook_page

    sys.path.insert(0, str(Path(__file__).parent))
    from i18n_check import english_words

    res = run_notebook(STEM, language="zh")
    cjk = re.compile(r"[\u4e00-\u9fff]")
    assert cjk.search(res["headline"]) and "毛利" in res["headline"]
    assert "二八定律" in res["reading_80_20"]
    assert res["headline"] == super_users.run(load_tables("", "", ""), "2025-12-31").headline_text("zh")
    sec = i18n.catalogue()[STEM]
    assert set(res) == set(sec["results"]) | set(sec["hidden"])          # every key labelled or hidden
    executed = tmp_path / STEM / f"{STEM}.executed.ipynb"
    page = tmp_path / "report" / "html" / f"{STEM}.html"
    page.parent.mkdir(parents=True)
    notebook_page(executed, page, "t", lang="zh")
    html = page.read_text(encoding="utf-8")
    assert english_words(html) == []
    for phrase in ("前 20% 顾客的毛利占比", "潜在超级用户名单", "上榜理由", "所用毛利率", "咖啡"):
        assert phrase in html, phrase
    assert "Series" not in html and "dtype" not in html and "read from" not in html
    # the figures' titles in Chinese (a CJK font is installed here, or the figures stay English)
    nb = nbformat.read(str(executed), as_version=4)
    sources = "".join(c.source for c in nb.cells if c.cell_type == "code")
    assert 'i18n.text(STEM, "lorenz_title_profit"' in sources and "lang=lang" in sources


def test_nb01_english_page_keeps_developer_text_out(run_notebook, tmp_path):
    import sys
    from pathlib import Path

    from superkit.report.html import notebook_page

    sys.path.insert(0, str(Path(__file__).parent))
    from i18n_check import visible_text

    run_notebook(STEM)
    executed = tmp_path / STEM / f"{STEM}.executed.ipynb"
    page = tmp_path / "report" / "html" / f"{STEM}.html"
    page.parent.mkdir(parents=True)
    notebook_page(executed, page, "t", lang="en")
    html = visible_text(page.read_text(encoding="utf-8"))
    for dev in ("01_super_users.json", "Publishes", "margins_path", "LIST_COLUMNS", "read from", "dtype"):
        assert dev not in html, dev
    assert "is about profit" in html and "Top 20% of customers' share of gross profit" in html
