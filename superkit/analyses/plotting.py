"""Figures that read well in Chinese and English, on any machine.

Matplotlib's default font has no Chinese glyphs, so "复购频次" comes out as empty boxes. A CJK font is
added to the fallback list when one is installed (PingFang / Heiti on macOS, Microsoft YaHei / SimHei
on Windows, Noto Sans CJK / Source Han Sans / WenQuanYi on Linux); when none is, :func:`label` keeps
the English part of "English (中文)" labels, so a figure never shows boxes.
"""
from __future__ import annotations

import re
from functools import lru_cache

CJK_FONTS = (
    "PingFang SC", "Hiragino Sans GB", "Heiti SC", "STHeiti",         # macOS
    "Microsoft YaHei", "SimHei", "DengXian",                          # Windows
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
    "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Droid Sans Fallback",  # Linux
    "Arial Unicode MS",
)
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
_PAREN = re.compile(r"\s*[(（][^()（）]*[\u3400-\u9fff][^()（）]*[)）]")


_CJK_FILES = re.compile(r"wqy|NotoSans(Mono)?CJK|NotoSansSC|SourceHanSans|msyh|simhei|PingFang|STHeiti|"
                        r"Hiragino Sans GB|DroidSansFallback|Deng", re.I)


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The name of an installed font with Chinese glyphs, or None."""
    from matplotlib import font_manager

    fm = font_manager.fontManager

    def known():
        installed = {f.name for f in fm.ttflist}
        return next((name for name in CJK_FONTS if name in installed), None)

    found = known()
    if found is None:
        # matplotlib's font cache does not see fonts installed after it was built: look on disk
        for path in font_manager.findSystemFonts():
            if _CJK_FILES.search(path.rsplit("/", 1)[-1]):
                try:
                    fm.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue
        found = known()
    return found


def use_style() -> str | None:
    """Put an installed CJK font behind matplotlib's default font (glyph fallback); return its name."""
    import matplotlib as mpl

    font = cjk_font()
    if font is not None:
        # glyph fallback works across an explicit family list (a generic family resolves to one font)
        first = mpl.rcParams["font.sans-serif"][0]
        mpl.rcParams["font.family"] = [first, font]
    mpl.rcParams["axes.unicode_minus"] = False
    return font


def label(text: str, cjk_available: bool | None = None) -> str:
    """``"gives feedback (提意见)"`` as it is when Chinese can be drawn, else ``"gives feedback"``."""
    ok = cjk_font() is not None if cjk_available is None else cjk_available
    if ok or not _CJK.search(text):
        return text
    out = _PAREN.sub("", text)
    return _CJK.sub("", out).strip() if _CJK.search(out) else out.strip()
