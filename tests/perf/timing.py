"""Timing helpers for the benchmarks: median of runs, min / median / max, and peak memory of a run in a fresh
process."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable


def median_seconds(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


_PROBE = """
import resource
try:  # VmHWM belongs to the new process image; ru_maxrss can carry the forking parent's peak over exec
    with open("/proc/self/status") as status:
        print(next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")))
except OSError:
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def spread(values: list[float]) -> tuple[float, float, float]:
    """(min, median, max) of the runs' values."""
    return min(values), statistics.median(values), max(values)


def peak_rss_mib(code: str) -> float:
    """Peak resident memory (MiB) of `code` run in a fresh interpreter."""
    output = subprocess.run([sys.executable, "-c", code + "\n" + _PROBE], capture_output=True, text=True,
                            check=True).stdout
    return int(output.strip().splitlines()[-1]) / 1024
