"""Curve history with bounded memory, so an hour of training draws as fast as the first minute.

Points arrive once per snapshot. When the store is full, neighbouring pairs merge into their mean
and from then on each stored point stands for twice as many snapshots: the curve keeps its shape
over the whole run with at most `capacity` points, whatever the run's length.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class DecimatedHistory:
    """Rows of (step, value, value, ...), merged pairwise when full."""

    def __init__(self, names: Sequence[str], capacity: int = 2000) -> None:
        if capacity < 4 or capacity % 2:
            raise ValueError("capacity must be an even number of at least 4")
        self.names = tuple(names)
        self.capacity = capacity
        self._rows = np.empty((capacity, 1 + len(self.names)), dtype=np.float64)
        self._count = 0
        self._stride = 1  # raw points per stored row
        self._pending_sum = np.zeros(1 + len(self.names))
        self._pending_n = 0
        self._last_raw: np.ndarray | None = None

    def __len__(self) -> int:
        return self._count + (1 if self._pending_n else 0)

    @property
    def stride(self) -> int:
        """How many appended points each stored row now stands for."""
        return self._stride

    def append(self, step: float, values: Sequence[float]) -> None:
        """Add a point; a point at the same step as the last one replaces it (a re-evaluation)."""
        raw = np.array([step, *values], dtype=np.float64)
        if self._last_raw is not None and self._pending_n and raw[0] == self._last_raw[0]:
            self._pending_sum += raw - self._last_raw
        else:
            if self._pending_n == self._stride:
                self._flush()
            self._pending_sum += raw
            self._pending_n += 1
        self._last_raw = raw

    def _flush(self) -> None:
        if self._count == self.capacity:
            pairs = self._rows.reshape(self.capacity // 2, 2, -1)
            self._rows[: self.capacity // 2] = pairs.mean(axis=1)
            self._count = self.capacity // 2
            self._stride *= 2
        self._rows[self._count] = self._pending_sum / self._pending_n
        self._count += 1
        self._pending_sum[:] = 0.0
        self._pending_n = 0

    def arrays(self) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Fresh copies of the steps and of each named column, the newest partial row included."""
        rows = self._rows[: self._count]
        if self._pending_n:
            rows = np.vstack([rows, self._pending_sum / self._pending_n])
        rows = rows.copy()
        return rows[:, 0], {name: rows[:, k + 1] for k, name in enumerate(self.names)}

    def state(self) -> dict[str, np.ndarray]:
        """Copies of everything inside, so an experiment file can continue the curve exactly."""
        return {
            "rows": self._rows[: self._count].copy(),
            "stride_pending": np.array([self._stride, self._pending_n], dtype=np.int64),
            "pending_sum": self._pending_sum.copy(),
            "last_raw": (self._last_raw.copy() if self._last_raw is not None
                         else np.empty(0, dtype=np.float64)),
        }

    def restore(self, state: dict[str, np.ndarray]) -> None:
        """Take a `state()`, checked whole first: a damaged one raises ValueError, changing nothing."""
        width = 1 + len(self.names)
        rows, counts = state["rows"], state["stride_pending"]
        pending_sum, last_raw = state["pending_sum"], state["last_raw"]
        if rows.dtype != np.float64 or rows.ndim != 2 or rows.shape[1] != width:
            raise ValueError(f"curve rows are {rows.dtype} {rows.shape}, not float64 (n, {width})")
        if len(rows) > self.capacity:
            raise ValueError(f"{len(rows)} curve rows are more than the {self.capacity} kept")
        if counts.dtype != np.int64 or counts.shape != (2,):
            raise ValueError("the curve's stride and pending count are not two integers")
        stride, pending_n = (int(value) for value in counts)
        if stride < 1 or stride & (stride - 1) or not 0 <= pending_n <= stride:
            raise ValueError(f"a curve stride of {stride} with {pending_n} pending points is "
                             "impossible")
        for name, value, shapes in (("pending_sum", pending_sum, [(width,)]),
                                    ("last_raw", last_raw, [(width,), (0,)])):
            if value.dtype != np.float64 or value.shape not in shapes:
                raise ValueError(f"curve {name} is {value.dtype} {value.shape}")
        if (pending_n > 0) != (last_raw.size > 0):
            raise ValueError("the curve's last point and its pending count disagree")
        self.clear()
        self._rows[: len(rows)] = rows
        self._count = len(rows)
        self._stride, self._pending_n = stride, pending_n
        self._pending_sum[:] = pending_sum
        self._last_raw = last_raw.copy() if last_raw.size else None

    def clear(self) -> None:
        self._count = 0
        self._stride = 1
        self._pending_sum[:] = 0.0
        self._pending_n = 0
        self._last_raw = None
