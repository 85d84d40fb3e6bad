"""What the benchmarks share: the median wall-clock time of repeated runs, and a command's time and
peak memory (the whole process tree: a report and its kernels, a JVM)."""
from __future__ import annotations

import os
import statistics
import subprocess
import threading
import time


def median_time(fn, repeat=3):
    """``(median seconds, last result)`` of ``repeat`` calls of ``fn``."""
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants (read from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += rss.get(p, 0)
        stack.extend(children.get(p, []))
    return total


def run_measured(cmd: list[str], every: float = 0.2) -> dict:
    """Run ``cmd``; ``{"seconds", "peak_bytes" (of its process tree, sampled every ``every`` s),
    "output" (stdout and stderr), "returncode"}``."""
    peak = 0
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    done = threading.Event()

    def sample():
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(proc.pid))
            time.sleep(every)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = proc.communicate()[0]
    seconds = time.perf_counter() - t
    done.set()
    sampler.join()
    return {"seconds": seconds, "peak_bytes": peak, "output": output, "returncode": proc.returncode}
