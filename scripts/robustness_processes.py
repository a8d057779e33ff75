"""What the parts of scripts/robustness_report.py share: their sizes, and fresh processes.

A part that measures memory runs in a fresh process (the report script again, with a hidden
option), so the memory it reports is its own.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "robustness_report.py"


@dataclass(frozen=True)
class Mode:
    soak_steps: int
    sample_every: int
    fuzz_examples: int
    kill_trials: int
    fault_steps: int
    window_seconds: float = 60.0


FULL = Mode(soak_steps=200_000, sample_every=10_000, fuzz_examples=1500, kill_trials=12,
            fault_steps=20_000, window_seconds=120.0)
QUICK = Mode(soak_steps=20_000, sample_every=5_000, fuzz_examples=60, kill_trials=2,
             fault_steps=1_000, window_seconds=30.0)


def rss_mb(field: str = "VmRSS") -> float:
    """Resident memory as the kernel counts it (what a user sees in top), or its peak (VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status; this script needs Linux")


def reset_peak_rss() -> None:
    """Start VmHWM again from the current RSS, so a peak belongs to what follows, not to imports."""
    Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(*args: str, timeout: float = 3600) -> list[dict]:
    """Run this script in a fresh process and read the JSON lines it prints."""
    result = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True,
                            timeout=timeout, cwd=ROOT)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{result.stderr[-2000:]}")
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
