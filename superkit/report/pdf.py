"""The report's pages printed to PDF by headless Chromium, for decks (``superkit report --pdf``).

Chromium prints what a client sees in the browser -- the fonts, the figures, the tables -- so the
PDF and the HTML page never disagree; no other PDF library renders this HTML (nbconvert's own PDF
route needs a TeX installation and drops the page's styles). Chromium is found at
``$SUPERKIT_CHROMIUM``, ``/usr/bin/chromium`` or on the PATH (``chromium``, ``chromium-browser``,
``google-chrome``); when none is installed the report says so before any notebook runs.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from superkit.core.errors import EngineError
from superkit.core.io import atomic_path

__all__ = ["CHROMIUM_FLAGS", "find_chromium", "print_pdf", "printable", "require_chromium"]

# headless, no sandbox (root in containers), and no calls home (this machine has no internet: without
# these flags Chromium keeps retrying its update and sync services)
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                  "--hide-scrollbars")
_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """The Chromium (or Chrome) binary to use, or None."""
    given = os.environ.get("SUPERKIT_CHROMIUM")
    if given:
        return given if Path(given).is_file() else None
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    return next((p for p in map(shutil.which, _NAMES) if p), None)


def require_chromium() -> str:
    """:func:`find_chromium`, or an EngineError saying how to install it."""
    found = find_chromium()
    if found is None:
        where = os.environ.get("SUPERKIT_CHROMIUM")
        raise EngineError(
            "PDF needs headless Chromium, and " + (f"SUPERKIT_CHROMIUM={where} is not a file" if where
                                                    else "none is installed")
            + ". Fix: install it (Debian/Ubuntu: sudo apt-get install chromium fonts-wqy-microhei; `make "
              "browser-deps` does this as root; macOS: install Google Chrome and set SUPERKIT_CHROMIUM to its "
              "binary), or run the report without --pdf and print the pages from a browser.")
    return found


_LOCAL_LINK = re.compile(r"<a\b([^>]*?)\s+href=(['\"])(?![A-Za-z][\w+.-]*:|#)[^'\"]*\2([^>]*)>(.*?)</a>", re.S | re.I)


def printable(html: str) -> str:
    """The page with its links to the report's own files made plain text: Chromium writes a link as
    the absolute path it resolved, which no reader of the PDF has (a deck travels without the folder)."""
    return _LOCAL_LINK.sub(r"<span\1\3>\4</span>", html)


def print_pdf(page: Path, target: Path, chromium: str | None = None, timeout: float = 180) -> Path:
    """Print the HTML ``page`` to ``target`` (A4, backgrounds, no header or footer lines; links to
    the report's own files as plain text: :func:`printable`). Written to a temporary name and moved
    into place; an EngineError with Chromium's last words if it fails."""
    binary = chromium or require_chromium()
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    page = Path(page).resolve()
    with tempfile.TemporaryDirectory(prefix="superkit-chromium-") as profile, atomic_path(target) as tmp:
        copy = Path(profile) / page.name      # the images are inside the page (base64), so it prints anywhere
        copy.write_text(printable(page.read_text(encoding="utf-8")), encoding="utf-8")
        cmd = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}/chromium", "--no-pdf-header-footer",
               "--run-all-compositor-stages-before-draw", "--virtual-time-budget=10000",
               f"--print-to-pdf={tmp}", copy.as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise EngineError(f"Chromium did not print {Path(page).name} within {timeout:g} s. Fix: run again; "
                              "on a very large page, open it in a browser and print it there.") from None
        ok = proc.returncode == 0 and Path(tmp).is_file() and Path(tmp).read_bytes()[:5] == b"%PDF-"
        if not ok:
            last = " ".join((proc.stderr or "").strip().splitlines()[-3:])
            raise EngineError(f"Chromium could not print {Path(page).name} (exit {proc.returncode}): {last}. "
                              "Fix: check that Chromium starts (chromium --headless --version), or run the report "
                              "without --pdf.")
    return target
