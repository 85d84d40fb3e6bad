"""How notebooks publish their results: one JSON of headline numbers and PNG figures.

Every notebook writes ``{output_dir}/{stem}.json`` and ``{output_dir}/figures/*.png``. Files are
written to a temporary name and moved into place, so a crash never leaves half a file.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from superkit.paths import ROOT


def resolve_output_dir(output_dir: str | os.PathLike | None, stem: str) -> Path:
    """``output_dir`` as given, or ``<project>/reports/scratch/<stem>`` when empty."""
    path = Path(output_dir) if output_dir else ROOT / "reports" / "scratch" / stem
    (path / "figures").mkdir(parents=True, exist_ok=True)
    return path


def _clean(obj):
    """Make numpy / pandas values JSON-safe (NaN and inf become null)."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [_clean(v) for v in obj.tolist()]
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        x = float(obj)
        return None if math.isnan(x) or math.isinf(x) else x
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    return obj


@contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temporary path beside ``path``; move it into place only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
    return Path(path)


def atomic_write_frame(df, path: str | os.PathLike, index: bool = True) -> Path:
    """Write a DataFrame to CSV or Parquet (by suffix) via a temporary file."""
    with atomic_path(path) as tmp:
        if Path(path).suffix.lower() in (".parquet", ".pq"):
            df.to_parquet(tmp, index=index)
        else:
            df.to_csv(tmp, index=index)
    return Path(path)


def write_results(results: dict, output_dir: str | os.PathLike, stem: str) -> Path:
    """Write the notebook's headline results to ``{output_dir}/{stem}.json``."""
    return atomic_write_text(Path(output_dir) / f"{stem}.json",
                             json.dumps(_clean(results), indent=2, ensure_ascii=False))


def save_figure(fig, output_dir: str | os.PathLike, name: str, dpi: int = 110) -> Path:
    """Save a matplotlib figure to ``{output_dir}/figures/{name}.png``."""
    path = Path(output_dir) / "figures" / f"{name}.png"
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format="png")
    return path
