"""Timing and machine facts shared by the benchmark sections.

Figures from a shared 2-core machine jump about when anything else runs, so every comparison is
interleaved (each repetition runs every contender once, in a rotating order) and reported as the
median with its spread, next to the load average at the time.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

PAUSE_SECONDS = 0.2  # longer than OpenBLAS's and libgomp's spinning after a call


@dataclass(frozen=True)
class Sample:
    """Repeated measurements of one quantity: rates (per second) or durations (ms)."""

    values: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def spread(self) -> float:
        """Half the range as a fraction of the median: what '±' means in the tables."""
        return (max(self.values) - min(self.values)) / 2 / self.median if self.median else 0.0

    def text(self, digits: int = 0) -> str:
        return f"{self.median:,.{digits}f} ±{100 * self.spread:.0f}%"


def rate(run: Callable[[], int], seconds: float) -> float:
    """Units per second of `run` (which returns how many units one call did) over `seconds`."""
    done = run()  # warm: a first call may compile or fault pages in
    start = time.perf_counter()
    done = 0
    while True:
        done += run()
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done / elapsed


def duration_ms(run: Callable[[], object], repeats: int) -> Sample:
    """Milliseconds per call of `run`, each call timed on its own after one warm call."""
    run()
    values = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        values.append(1000 * (time.perf_counter() - start))
    return Sample(tuple(values))


def interleaved(contenders: dict[str, Callable[[], int]], repetitions: int,
                seconds: float) -> dict[str, Sample]:
    """Rates of several contenders, measured in turn within each repetition, order rotated.

    A first round, not counted, warms every contender. Between two contenders the process pauses
    briefly: OpenBLAS and OpenMP keep their threads spinning for a while after a call, and they
    would take the cores from whoever runs next.
    """
    names = list(contenders)
    values: dict[str, list[float]] = {name: [] for name in names}
    for name in names:
        rate(contenders[name], seconds / 2)
    for repetition in range(repetitions):
        shift = repetition % len(names)
        for name in names[shift:] + names[:shift]:
            time.sleep(PAUSE_SECONDS)
            values[name].append(rate(contenders[name], seconds))
    return {name: Sample(tuple(v)) for name, v in values.items()}


def matmul_peak(repetitions: int) -> Sample:
    """GFLOP/s of numpy's float32 matrix product at a size where BLAS runs at its best."""
    rng = np.random.default_rng(0)
    n = 1536
    a = rng.random((n, n), dtype=np.float32)
    b = rng.random((n, n), dtype=np.float32)
    out = np.empty((n, n), dtype=np.float32)
    values = []
    np.matmul(a, b, out=out)
    for _ in range(repetitions):
        start = time.perf_counter()
        np.matmul(a, b, out=out)
        values.append(2 * n**3 / (time.perf_counter() - start) / 1e9)
    return Sample(tuple(values))


def wait_for_load_below(limit: float, timeout: float) -> None:
    """Wait until the 1-minute load average is below `limit`, or `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while os.getloadavg()[0] >= limit and time.monotonic() < deadline:
        time.sleep(5)


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f}"


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    model = "unknown"
    flags: set[str] = set()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                model = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
    memory = "unknown"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split()[1])
        memory = f"{kib / 2**20:.0f} GiB"
    return {
        "cpu": model,
        "cores": str(os.cpu_count()),
        "simd": ", ".join(f for f in ("avx2", "fma", "avx512f") if f in flags) or "none found",
        "memory": memory,
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }
