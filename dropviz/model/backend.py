"""PyTensor settings shared by every compiled function: float32 throughout and one compile mode.

float32 halves memory traffic and is what the benchmarks compare against; it must be set before any
graph is built, so every module that builds graphs imports `pytensor` through here.
"""

from __future__ import annotations

import os

import numpy as np
import pytensor

pytensor.config.floatX = "float32"

FLOAT = np.float32
# NUMBA runs random draws compiled; the C backend falls back to Python for them (see BENCHMARKS.md).
COMPILE_MODE = os.environ.get("DROPVIZ_MODE", "NUMBA")


def compile_function(inputs: list, outputs: list, updates: dict | None = None) -> pytensor.compile.Function:
    """Compile with the project's mode; the one place where PyTensor compiles anything."""
    return pytensor.function(inputs, outputs, updates=updates, mode=COMPILE_MODE)
