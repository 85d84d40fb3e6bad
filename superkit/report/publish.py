"""How notebooks publish their results: one JSON of headline numbers, PNG figures, tables.

Every notebook writes ``{output_dir}/{stem}.json`` and ``{output_dir}/figures/*.png``. Files are
written to a temporary name and moved into place (:mod:`superkit.core.io`), so a crash never leaves
half a file.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from superkit.core import i18n
from superkit.core.io import atomic_path, atomic_write_frame, atomic_write_text, to_jsonable
from superkit.core.paths import REPORTS_DIR

__all__ = ["atomic_write_frame", "resolve_output_dir", "results_table", "save_figure", "show_results", "write_results"]


def resolve_output_dir(output_dir: str | os.PathLike | None, stem: str) -> Path:
    """``output_dir`` as given, or ``<project>/reports/scratch/<stem>`` when empty."""
    path = Path(output_dir) if output_dir else REPORTS_DIR / "scratch" / stem
    (path / "figures").mkdir(parents=True, exist_ok=True)
    return path


def write_results(results: dict, output_dir: str | os.PathLike, stem: str) -> Path:
    """Write the notebook's headline results to ``{output_dir}/{stem}.json``."""
    return atomic_write_text(Path(output_dir) / f"{stem}.json",
                             json.dumps(to_jsonable(results), indent=2, ensure_ascii=False))


def save_figure(fig, output_dir: str | os.PathLike, name: str, dpi: int = 110) -> Path:
    """Save a matplotlib figure to ``{output_dir}/figures/{name}.png``."""
    path = Path(output_dir) / "figures" / f"{name}.png"
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format="png")
    return path


def results_table(results: dict, stem: str, lang: str = "en"):
    """The published numbers as a two-column table of labels and values (the catalogue's
    ``results`` of ``stem``, in its order): what the notebook's page shows and the index repeats."""
    import pandas as pd

    rows = i18n.labelled_rows(stem, results, lang)
    return pd.DataFrame(rows, columns=[i18n.text("common", "col_label", lang), i18n.text("common", "col_value", lang)])


def show_results(results: dict, stem: str, lang: str = "en"):
    """Display :func:`results_table` without its row numbers (the last output of every notebook)."""
    from IPython.display import display

    display(results_table(results, stem, lang).style.hide(axis="index"))
