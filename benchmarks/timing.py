"""What the benchmarks share: the median wall-clock time of repeated runs."""
from __future__ import annotations

import statistics
import time


def median_time(fn, repeat=3):
    """``(median seconds, last result)`` of ``repeat`` calls of ``fn``."""
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out
