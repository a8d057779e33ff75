"""What the robustness and window soak scripts share: the memory of this process, and running a
script again in a fresh process (a part that measures memory then reports its own)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rss_mb(field: str = "VmRSS") -> float:
    """Resident memory as the kernel counts it (what a user sees in top), or its peak (VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status; this script needs Linux")


def json_lines_of(script: Path, args: tuple[str, ...], timeout: float) -> list[dict]:
    """Run `script` with `args` in a fresh process and read the JSON lines it prints; a failure
    raises RuntimeError with the end of its errors."""
    result = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True,
                            timeout=timeout, cwd=ROOT)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
