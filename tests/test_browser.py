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

    shot = tmp_path / "index.png"
    proc = run_chromium([f"--screenshot={shot}", "--window-size=1280,1400", "--virtual-time-budget=5000",
                         (report_dir / "index.html").as_uri()], tmp_path / "profile")
    assert proc.returncode == 0 and shot.exists(), proc.stderr[-2000:]
    img = Image.open(shot).convert("L")
    assert img.size == (1280, 1400)
    stat = ImageStat.Stat(img)
    assert stat.stddev[0] > 20                      # not a flat page
    # The Lorenz figure sits in the first card: its plot area has many dark (line/text) pixels.
    figure_band = img.crop((100, 330, 800, 900))
    dark = sum(figure_band.histogram()[:100])
    assert dark > 2000
