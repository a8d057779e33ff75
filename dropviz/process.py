"""Process-wide tuning that the app and the command line make, and a library import never does.

A wide layer's activations are 512 KiB arrays; above glibc's default threshold each one is a fresh
mmap whose pages the kernel zeroes on first touch, which was a fifth of a training step (BENCHMARKS.md).
Keeping freed blocks of up to 32 MiB (glibc's ceiling) on the heap avoids that, at the cost of up to
256 MiB of freed memory staying with the process: right for dropviz's own process, not for a user's
notebook that merely imports dropviz.
"""

from __future__ import annotations

import ctypes
import platform

# glibc's mallopt parameters and the values used.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024
_TRIM_THRESHOLD_BYTES = 256 * 1024 * 1024


def keep_freed_memory() -> None:
    """Stop glibc from unmapping and re-faulting a training step's large temporaries on every call."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return
    mallopt = ctypes.CDLL(None).mallopt
    mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_BYTES)
    mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD_BYTES)
