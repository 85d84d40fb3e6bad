"""One comparison for "the same published numbers" on two paths (staged vs in memory, Spark vs DuckDB)."""
from __future__ import annotations

import json

import pytest


def assert_same_numbers(x, y, rel: float = 1e-9, path: str = "") -> None:
    """``x`` and ``y`` (published JSON, nested dicts and lists) have the same keys, texts and counts,
    and their real numbers agree to ``rel``; ``path`` names where they differ."""
    x, y = json.loads(json.dumps(x, default=str)), json.loads(json.dumps(y, default=str))
    if isinstance(x, dict):
        assert isinstance(y, dict) and x.keys() == y.keys(), path
        for k in x:
            assert_same_numbers(x[k], y[k], rel, f"{path}.{k}")
    elif isinstance(x, list):
        assert isinstance(y, list) and len(x) == len(y), path
        for i, (u, v) in enumerate(zip(x, y)):
            assert_same_numbers(u, v, rel, f"{path}[{i}]")
    elif isinstance(x, float):
        assert x == pytest.approx(y, rel=rel, abs=1e-12), path
    else:
        assert x == y, path
