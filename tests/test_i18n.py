"""The catalogue of labels and texts (superkit/core/i18n.py, superkit/core/labels/*.yaml)."""
from __future__ import annotations

import pytest

from superkit.core import i18n
from superkit.core.errors import ParameterError
from test_architecture import ANALYSIS_OF, readme_keys


def test_every_entry_has_chinese_and_the_same_fields_in_both_languages():
    assert i18n.untranslated() == []


@pytest.mark.parametrize("stem", sorted(ANALYSIS_OF))
def test_every_published_key_is_labelled_or_hidden_once(stem):
    sec = i18n.catalogue()[stem]
    shown, hidden = set(sec["results"]), set(sec["hidden"])
    assert not shown & hidden, f"in both results and hidden: {sorted(shown & hidden)}"
    published = readme_keys(stem)
    assert shown | hidden == published, (f"not in the catalogue: {sorted(published - shown - hidden)}; "
                                         f"in the catalogue but not published: {sorted((shown | hidden) - published)}")


@pytest.mark.parametrize("stem", sorted(ANALYSIS_OF))
def test_every_notebook_has_a_headline_in_both_languages(stem):
    texts = i18n.catalogue()[stem]["texts"]
    assert any(k.startswith("headline") for k in texts), f"{stem}.yaml has no headline text"


def test_formats_write_numbers_as_a_reader_expects():
    v = i18n.value_text
    assert v({"format": "pct"}, 0.6849) == "68.5%"
    assert v({"format": "pct0"}, 0.6849, "zh") == "68%"
    assert v({"format": "int"}, 12345) == "12,345"
    assert v({"format": "money"}, 1032869.14) == "¥1,032,869"
    assert v({"format": "money"}, 1032869.14, "zh") == "¥103.3万"
    assert v({"format": "money"}, 2.5e8, "zh") == "¥2.50亿"
    assert v({"format": "money"}, 98765.0, "zh") == "¥98,765"
    assert v({"format": "money"}, -5268.4) == "-¥5,268" and v({"format": "money"}, -352700.0, "zh") == "-¥35.3万"
    assert v({"format": "money2"}, -12.345) == "-¥12.35"
    assert v({"format": "multiple"}, 5.24) == "5.2×" and v({"format": "multiple"}, 5.24, "zh") == "5.2 倍"
    assert v({"format": "days"}, 30) == "30 days" and v({"format": "months"}, 12, "zh") == "12 个月"
    assert v({"format": "years"}, 1) == "1 year" and v({"format": "years"}, 1.5) == "1.5 years"
    assert v({"format": "bool"}, True, "zh") == "是" and v({"format": "bool"}, False) == "no"
    assert v({"format": "pct"}, None) == "—" and v({"format": "pct"}, float("nan"), "zh") == "—"
    words = {"format": "list", "values": {"frequency": {"en": "frequency", "zh": "复购频次"}}}
    assert v(words, ["frequency", "other"], "zh") == "复购频次、other"
    assert v(words, [], "zh") == "无" and v(words, []) == "none"


def test_texts_are_filled_by_name_and_a_missing_field_is_an_error():
    assert i18n.text("report", "all_ran", "zh", n_ok=5, n=6) == "6 个分析中 5 个已完成。"
    assert i18n.text("report", "all_ran", n_ok=5, n=6) == "5 of 6 notebooks ran."
    with pytest.raises(ParameterError, match="cannot be filled"):
        i18n.text("report", "all_ran", "zh", n_ok=5)
    with pytest.raises(ParameterError, match="not in the texts of report.yaml"):
        i18n.text("report", "no_such_text")
    with pytest.raises(ParameterError, match="no catalogue file"):
        i18n.label("no_such_notebook", "x")


@pytest.mark.parametrize("given, lang", [("zh", "zh"), ("zh-CN", "zh"), ("中文", "zh"), ("EN", "en"), ("", "en")])
def test_languages_as_people_write_them(given, lang):
    assert i18n.check_language(given) == lang


def test_an_unknown_language_names_the_choices():
    with pytest.raises(ParameterError, match="use 'en'"):
        i18n.check_language("fr")


def test_labelled_rows_follow_the_catalogue_order_and_skip_what_is_not_published():
    first, *_ = i18n.catalogue()["quality"]["results"]
    rows = i18n.labelled_rows("quality", {"customers": 2000, "rows": 34090, "not_listed": 1, "orders": None}, "zh")
    assert rows == [("行数", "34,090"), ("顾客数", "2,000")]
    assert first == "rows"
