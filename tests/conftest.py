"""Shared fixtures. Notebooks run through papermill into a temporary folder, never in place."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("PYTHONHASHSEED", "0")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


@pytest.fixture
def run_notebook(tmp_path):
    """Run ``notebooks/<stem>.ipynb`` with parameters; return its published JSON as a dict."""
    import papermill as pm

    def _run(stem: str, timeout: int = 600, **parameters) -> dict:
        out_dir = tmp_path / stem
        out_dir.mkdir(parents=True, exist_ok=True)
        parameters.setdefault("output_dir", str(out_dir))
        pm.execute_notebook(
            str(NOTEBOOKS / f"{stem}.ipynb"),
            str(out_dir / f"{stem}.executed.ipynb"),
            parameters=parameters,
            kernel_name="python3",
            execution_timeout=timeout,
            progress_bar=False,
            cwd=str(out_dir),
        )
        with open(Path(parameters["output_dir"]) / f"{stem}.json", encoding="utf-8") as fh:
            return json.load(fh)

    return _run
