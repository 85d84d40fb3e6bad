"""Open the report's index.html in headless Chromium and check that its figures render.

Needs Debian's ``chromium`` (``make browser-deps`` installs it; ``make test`` depends on that).
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from superkit import report as rep

pytestmark = pytest.mark.browser

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
         "--disable-component-update", "--disable-sync", "--hide-scrollbars"]


def chromium() -> str:
    for cand in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if cand and Path(cand).exists():
            return cand
    pytest.skip("Chromium is not installed: run `make browser-deps` (apt-get install -y chromium)")


def run_chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120)


def screenshot(page: Path, tmp_path: Path, size: str = "1280,1400") -> Path:
    """A screenshot of ``page`` after its scripts ran (the figures loaded)."""
    shot = tmp_path / f"{page.stem}.png"
    proc = run_chromium([f"--screenshot={shot}", f"--window-size={size}", "--virtual-time-budget=5000",
                         page.as_uri()], tmp_path / "profile")
    assert proc.returncode == 0 and shot.exists(), proc.stderr[-2000:]
    return shot


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("browser") / "report"
    result = rep.build_report(None, out, only=["01_super_users"], progress=False)
    assert result.ok, [r.error for r in result.runs]
    return out


def test_index_figures_load_in_chromium(report_dir, tmp_path):
    proc = run_chromium(["--virtual-time-budget=5000", "--dump-dom", (report_dir / "index.html").as_uri()],
                        tmp_path / "profile")
    assert proc.returncode == 0, proc.stderr[-2000:]
    # index.html's own script counts <img class="figure"> elements with naturalWidth > 0.
    m = re.search(r'data-figures-loaded="(\d+)/(\d+)"', proc.stdout)
    assert m, "the page's load script did not run"
    loaded, total = int(m.group(1)), int(m.group(2))
    assert total >= 1 and loaded == total
    assert "Top 20% of customers bring" in proc.stdout or "top 20% of customers bring" in proc.stdout.lower()


def test_index_screenshot_is_not_blank(report_dir, tmp_path):
    from PIL import Image, ImageStat

    img = Image.open(screenshot(report_dir / "index.html", tmp_path)).convert("L")
    assert img.size == (1280, 1400)
    stat = ImageStat.Stat(img)
    assert stat.stddev[0] > 20                      # not a flat page
    # The Lorenz figure sits in the first card: its plot area has many dark (line/text) pixels.
    figure_band = img.crop((100, 330, 800, 900))
    dark = sum(figure_band.histogram()[:100])
    assert dark > 2000


# ------------------------------------------------------------------------------ the Chinese report, PDF
@pytest.fixture(scope="module")
def zh_report(tmp_path_factory) -> Path:
    chromium()   # skips when not installed
    out = tmp_path_factory.mktemp("browser_zh") / "report"
    result = rep.build_report(None, out, only=["01_super_users"], progress=False, lang="zh", pdf=True)
    assert result.ok, [r.error for r in result.runs]
    return out


def _glyph_crops(shot: Path, boxes):
    from PIL import Image

    img = Image.open(shot).convert("L")
    return [img.crop(b) for b in boxes]


def test_chinese_renders_as_glyphs_not_boxes(tmp_path):
    """Two different Chinese phrases in the report's own fonts (its CSS) render differently: with no
    CJK font both would be rows of identical 'tofu' boxes."""
    from PIL import ImageChops, ImageStat

    from superkit.report.html import CSS

    page = tmp_path / "glyphs.html"
    page.write_text("<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'><style>" + CSS
                    + "p{font-size:64px;margin:0;padding:20px;height:90px;line-height:90px}</style></head><body>"
                    "<p id='a'>超级用户分析</p><p id='b'>付费会员报告</p></body></html>", encoding="utf-8")
    shot = tmp_path / "glyphs.png"
    proc = run_chromium([f"--screenshot={shot}", "--window-size=800,300", page.as_uri()], tmp_path / "profile")
    assert proc.returncode == 0 and shot.exists(), proc.stderr[-2000:]
    a, b = _glyph_crops(shot, [(20, 20, 420, 110), (20, 150, 420, 240)])
    assert ImageStat.Stat(a).stddev[0] > 30 and ImageStat.Stat(b).stddev[0] > 30   # ink on both rows
    diff = ImageStat.Stat(ImageChops.difference(a, b)).mean[0]
    assert diff > 8, f"the two phrases render alike (mean difference {diff:.1f}): boxes, not glyphs"
    # each glyph of one phrase differs from its neighbour (six identical boxes would not)
    cells = [a.crop((i * 64, 0, (i + 1) * 64, 90)) for i in range(6)]
    assert min(ImageStat.Stat(ImageChops.difference(cells[i], cells[i + 1])).mean[0] for i in range(5)) > 4


def test_the_chinese_report_has_no_untranslated_label(zh_report):
    from i18n_check import english_words

    pages = [zh_report / "index.html", zh_report / "html" / "data_quality.html",
             zh_report / "html" / "01_super_users.html"]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "lang=\"zh-CN\"" in text or "lang='zh-CN'" in text
        words = english_words(text)
        assert not words, f"{page.name} shows English: {sorted(set(words))[:30]}"


def test_the_chinese_index_screenshot_shows_its_title_and_figure(zh_report, tmp_path):
    from PIL import Image, ImageStat

    img = Image.open(screenshot(zh_report / "index.html", tmp_path)).convert("L")
    header = img.crop((30, 20, 700, 70))           # the Chinese title, white on the dark header
    assert sum(header.histogram()[200:]) > 500
    assert ImageStat.Stat(img).stddev[0] > 20


def test_pdf_pages_print_and_page_one_has_content(zh_report):
    import pypdfium2 as pdfium
    from PIL import ImageStat

    pdf_dir = zh_report / "pdf"
    assert {p.name for p in pdf_dir.glob("*.pdf")} == {"index.pdf", "01_super_users.pdf", "data_quality.pdf"}
    index = (zh_report / "index.html").read_text(encoding="utf-8")
    assert "href='pdf/01_super_users.pdf'" in index and "href='pdf/index.pdf'" in index
    for name in ("index.pdf", "01_super_users.pdf"):
        doc = pdfium.PdfDocument(str(pdf_dir / name))
        page = doc[0]
        w, h = page.get_size()
        assert abs(w - 595) < 3 and abs(h - 842) < 3, f"{name} is not A4: {w:.0f} x {h:.0f} pt"
        img = page.render(scale=1).to_pil().convert("L")
        assert ImageStat.Stat(img).stddev[0] > 15, f"page 1 of {name} is blank"
        raw = (pdf_dir / name).read_bytes()
        assert b"/URI (file:" not in raw, f"{name} links files of the folder it was built in"
        text = page.get_textpage().get_text_range()
        assert re.search(r"[\u4e00-\u9fff]", text), f"page 1 of {name} has no Chinese text"
        doc.close()
