"""The one place that knows where things live, so no path depends on the working directory."""
from __future__ import annotations

from pathlib import Path

__all__ = ["DATASETS_DIR", "NOTEBOOKS_DIR", "PACKAGE_DIR", "REPORTS_DIR", "ROOT"]

PACKAGE_DIR = Path(__file__).resolve().parents[1]
ROOT = PACKAGE_DIR.parent
DATASETS_DIR = ROOT / "datasets"
NOTEBOOKS_DIR = ROOT / "notebooks"
REPORTS_DIR = ROOT / "reports"
