"""What the parts of scripts/robustness_report.py share: their sizes, and fresh processes.

A part that measures memory runs in a fresh process (the report script again, with a hidden
option), so the memory it reports is its own.
"""

from __future__ import annotations

import resource
from dataclasses import dataclass
from pathlib import Path

from child_runs import json_lines_of

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


def reset_peak_rss() -> None:
    """Start VmHWM again from the current RSS, so a peak belongs to what follows, not to imports."""
    Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(*args: str, timeout: float = 3600) -> list[dict]:
    """Run the report script in a fresh process and read the JSON lines it prints."""
    return json_lines_of(SCRIPT, args, timeout)
