"""Figure labels never show boxes: Chinese only when a CJK font can draw it."""
from superkit.analyses.plotting import label, use_style


def test_label_keeps_chinese_only_with_a_cjk_font():
    assert label("gives feedback (提意见)", cjk_available=True) == "gives feedback (提意见)"
    assert label("gives feedback (提意见)", cjk_available=False) == "gives feedback"
    assert label("renewal（续费率） by tier", cjk_available=False) == "renewal by tier"
    assert label("plain English", cjk_available=False) == "plain English"
    assert label("超级用户", cjk_available=False) == ""


def test_use_style_puts_the_cjk_font_behind_the_default():
    import matplotlib as mpl

    font = use_style()
    if font is not None:
        assert list(mpl.rcParams["font.family"])[1] == font
    assert mpl.rcParams["axes.unicode_minus"] is False
