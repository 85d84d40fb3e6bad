"""notebooks/02_clv_churn.ipynb through papermill; assertions on its published JSON."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from i18n_check import english_words, visible_text
from references import CDNOW_HOLDOUT_REPEAT_DAYS, FHL2005_BGNBD, FHL2005_PARETO_NBD
from test_architecture import readme_keys
from superkit import models
from superkit.core import i18n
from superkit.data import datasets, summary

STEM = "02_clv_churn"
NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / f"{STEM}.ipynb"
HAN = re.compile(r"[\u3400-\u9fff]")


def _catalogue_covers(res):
    """Every published key is labelled in the catalogue's results or listed in its hidden, not both."""
    cat = i18n.catalogue()[STEM]
    shown, hidden = set(cat["results"]), set(cat["hidden"])
    assert not shown & hidden
    assert set(res) == shown | hidden, (set(res) ^ (shown | hidden))


def _page(executed, target, lang):
    from superkit.report.html import notebook_page

    notebook_page(executed, target, "02", lang=lang)
    return target.read_text(encoding="utf-8")


def _check_common(res, out_dir):
    assert set(res["models"]) == {"bgnbd", "mbgnbd", "pareto_nbd"}
    assert list(res["models"]["bgnbd"]["params"]) == ["r", "alpha", "a", "b"]
    assert list(res["models"]["pareto_nbd"]["params"]) == ["r", "alpha", "s", "beta"]
    maes = {k: v["holdout"]["mae_per_customer"] for k, v in res["models"].items()}
    assert res["selected"] == min(maes, key=maes.get)
    assert set(res["gamma_gamma"]["params"]) == {"p", "q", "v"}
    lo, hi = res["clv_total_interval"]
    assert lo < res["clv_total"] < hi
    assert len(res["clv_by_decile"]) == 10
    assert sum(d["clv_total"] for d in res["clv_by_decile"]) == pytest.approx(res["clv_total"])
    scores = pd.read_csv(Path(out_dir) / res["scores_file"], index_col=0)
    assert len(scores) == res["n_customers"]
    assert scores["clv"].sum() == pytest.approx(res["clv_total"], rel=1e-5)
    for fig in ("period_and_holdout", "cumulative_tracking", "clv_by_decile",
                "palive_and_frequency_recency"):
        assert (Path(out_dir) / "figures" / f"{fig}.png").is_file()


def test_nb02_reproduces_published_cdnow_values(run_notebook, tmp_path):
    out = tmp_path / "cdnow"
    res = run_notebook(STEM, transactions_path="cdnow_sample", calibration_end="1997-09-30",
                       observation_end="1998-06-30", time_unit="W", n_boot=20,
                       output_dir=str(out))
    for k, v in FHL2005_BGNBD.items():
        assert res["models"]["bgnbd"]["params"][k] == pytest.approx(v, abs=2e-3), k
    for k, v in FHL2005_PARETO_NBD.items():
        assert res["models"]["pareto_nbd"]["params"][k] == pytest.approx(v, rel=3e-3), k
    # the 39-week holdout: BG/NBD under-forecasts CDNOW's repeat purchase days (1,882 actual)
    # by about 12%, as the cumulative tracking plot in FHL 2005 shows it falling behind late on
    h = res["models"]["bgnbd"]["holdout"]
    assert h["actual_total"] == CDNOW_HOLDOUT_REPEAT_DAYS
    assert -15 < h["total_error_pct"] < 0
    assert res["time_unit"] == "W" and res["horizon"] == pytest.approx(365.25 / 7)
    _check_common(res, out)


def test_nb02_on_coffee_club_matches_the_library(run_notebook, tmp_path):
    out = tmp_path / "coffee"
    res = run_notebook(STEM, n_boot=10, output_dir=str(out))
    assert set(res) == readme_keys(STEM)  # exactly the keys notebooks/README.md lists
    _catalogue_covers(res)
    _check_common(res, out)
    # the English page: no Chinese-only cell, nothing for analysts (keys, file names, sources)
    text = visible_text(_page(tmp_path / STEM / f"{STEM}.executed.ipynb", tmp_path / "en.html", "en"))
    assert "Three models, judged on the holdout" in text and "三个模型，用留出期来评判" not in text
    for dev in ("Publishes", res["scores_file"], "Read from", "bundled coffee_club", "dtype"):
        assert dev not in text, dev
    assert res["headline"] in text and not HAN.search(res["headline"])
    tx = datasets.load("coffee_club")["transactions"]
    cal = summary.summarize(tx, "2025-12-31", calibration_end="2025-06-30", unit="D")
    m = models.BetaGeoModel().fit(cal["frequency"], cal["recency"], cal["T"])
    for k, v in m.params.items():
        assert res["models"]["bgnbd"]["params"][k] == pytest.approx(v, rel=1e-6)
    assert res["gamma_gamma"]["check"]["ok"] in (True, False)
    assert res["margin"] == 0.3 and res["horizon"] == pytest.approx(365.25)


def test_nb02_in_chinese_publishes_a_chinese_page(run_notebook, tmp_path):
    """language="zh": the headline and sentences in Chinese, money in 万, the same numbers, and a page
    with no English word a Chinese reader would have to translate."""
    out = tmp_path / "zh"
    res = run_notebook(STEM, language="zh", n_boot=10, output_dir=str(out))
    _catalogue_covers(res)
    _check_common(res, out)
    assert HAN.search(res["headline"]) and HAN.search(res["selection_reason"])
    money = i18n.catalogue()[STEM]["results"]["clv_total"]
    assert i18n.value_text(money, res["clv_total"], "zh") in res["headline"]   # e.g. ¥11.1万
    assert "万" in res["headline"]
    html = _page(tmp_path / STEM / f"{STEM}.executed.ipynb", tmp_path / "zh.html", "zh")
    assert english_words(html) == []
    text = visible_text(html)
    assert "三个模型，用留出期来评判" in text and res["headline"] in text
    for dev in ("Publishes", res["scores_file"], "dtype", "Three models"):
        assert dev not in text, dev
    for label, _ in i18n.labelled_rows(STEM, res, "zh"):   # the results table, labelled in Chinese
        assert label in text


def test_nb02_cells_come_in_language_pairs_with_numbered_sections():
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    cells = nb["cells"]
    tags = [c["metadata"].get("tags", []) for c in cells]
    assert "lang-en" in tags[0] and "lang-zh" in tags[1] and "analyst" in tags[2]
    for c in cells[:2]:   # the title cells link both editions of the playbook chapter
        src = "".join(c["source"])
        assert src.startswith("# ") and "playbook/en/05-value-and-churn.md" in src and "playbook/zh/05-value-and-churn.md" in src
    for lang in ("lang-en", "lang-zh"):
        titles = [line for c, t in zip(cells, tags) if lang in t for line in "".join(c["source"]).splitlines()
                  if line.startswith("## ")]
        assert [re.match(r"## (\d+)\. ", t).group(1) for t in titles] == [str(i) for i in range(1, len(titles) + 1)]
        assert len(titles) == 4
    for i, t in enumerate(tags):   # every English narrative cell is followed by its Chinese one
        if "lang-en" in t:
            assert "lang-zh" in tags[i + 1], i
    for c, t in zip(cells, tags):
        src = "".join(c["source"])
        if c["cell_type"] == "markdown" and "lang-zh" in t:
            assert HAN.search(src)
        if c["cell_type"] == "code" and "analyst" not in t:   # sentences on the page come from the catalogue
            for literal in re.findall(r'Markdown\(f?"([^"]*)"', src):
                assert not re.search(r"[A-Za-z]{3,}", re.sub(r"\{[^}]*\}", "", literal)), literal
            assert not re.search(r'set_title\(f?"', src), "figure titles come from the catalogue"
    assert "show_results(results, STEM, lang)" in "".join(cells[-1]["source"])
