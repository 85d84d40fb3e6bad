"""Writing files so that a crash never leaves half a file, and values made JSON-safe.

Everything the kit writes (summaries, simulated worlds, notebook results, figures, reports) goes
through :func:`atomic_path`: a temporary file beside the target, moved into place only when the
write succeeded.
"""
from __future__ import annotations

import math
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np

__all__ = ["atomic_path", "atomic_write_frame", "atomic_write_text", "to_jsonable"]

# mkstemp makes private (0600) files; what the kit writes is meant to be read by others (a report is
# handed over), so files get the usual permissions of the user's umask (read once, at import).
_UMASK = os.umask(0)
os.umask(_UMASK)


def to_jsonable(obj):
    """Make numpy / pandas values JSON-safe (NaN and inf become null; dates become ISO text)."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [to_jsonable(v) for v in obj.tolist()]
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
        if os.path.exists(tmp):
            os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write UTF-8 text through a temporary file."""
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
    return Path(path)


def atomic_write_frame(df, path: str | os.PathLike, index: bool = True) -> Path:
    """Write a DataFrame to CSV or Parquet (by suffix) through a temporary file."""
    with atomic_path(path) as tmp:
        if Path(path).suffix.lower() in (".parquet", ".pq"):
            df.to_parquet(tmp, index=index)
        else:
            df.to_csv(tmp, index=index)
    return Path(path)
