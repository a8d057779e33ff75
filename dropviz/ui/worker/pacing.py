"""How the worker paces itself: frames of steps, chunks of a frame, snapshots and decision maps.

The worker trains in ticks of at most TICK_SECONDS, so a pause, a step or a settings change waits
at most one tick, and it publishes a snapshot after every `speed` steps (a frame) but no more often
than FRAME_SECONDS, and only once the window has started drawing the previous one: drawing never
slows training and snapshots never pile up. The numbers are measured (see BENCHMARKS.md and
benchmarks/window.py); nothing here knows Qt or the trainer, only the clock.
"""

from __future__ import annotations

import math
import time

FRAME_SECONDS = 1 / 30  # at most this many snapshots a second: a screen refresh is no faster
# The longest the worker trains before it looks at its queue again: a pause or a change waits at
# most this long, and a compiled call of this many seconds of steps costs ~1% in call overhead.
TICK_SECONDS = 0.05
GRID_SECONDS = 0.1  # the decision grid costs ~10 ms, so it is refreshed at most 10 times a second
# ... and less often when training sets the pace (the top speeds), where its time is training's.
GRID_SECONDS_AT_FULL_PACE = 0.8
# Snapshots and grids may take at most about this share of the worker's time while it plays: on a
# slow or busy machine they come less often, and training keeps its pace.
PUBLISH_SHARE = 0.25
MAX_PUBLISH_GAP = 0.5  # seconds: however slow, the views still move twice a second
MAX_GRID_GAP = 2.0
MAX_CHUNK = 1000  # steps in one compiled call at most: the most a frame can ask for
SPEEDS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)  # steps per screen update
DEFAULT_SPEED = 10


class StepRate:
    """Steps per second, measured over half-second windows so the number is readable."""

    WINDOW = 0.5

    def __init__(self) -> None:
        self.value = 0.0
        self._start = (time.monotonic(), 0)

    def restart(self, step: int) -> None:
        self.value = 0.0
        self._start = (time.monotonic(), step)

    def update(self, step: int) -> None:
        now = time.monotonic()
        elapsed = now - self._start[0]
        if elapsed >= self.WINDOW:
            self.value = (step - self._start[1]) / elapsed
            self._start = (now, step)


class Pacer:
    """The frame under way, the pace of training, and when the next snapshot and map are due."""

    def __init__(self) -> None:
        self.speed = DEFAULT_SPEED  # steps per frame
        self.frame_left = 0  # steps of the frame under way still to train
        self.rate = StepRate()
        self._frame_start = 0.0
        # CPU seconds the worker spent training in the current frame: not wall-clock time, which
        # includes waits for the interpreter lock while the GUI thread paints (a first paint made
        # ten single steps look slower than a frame, and so compiled the multi-step call for nothing)
        self._frame_training = 0.0
        self._step_seconds = math.inf  # the pace of the last chunks, see chunk_size
        self._publish_not_before = 0.0
        self._grid_due = 0.0

    def restart(self, step: int) -> None:
        """A new run, at `step`: nothing of the old run's pace applies."""
        self.rate.restart(step)
        self.frame_left = 0
        self._frame_training = 0.0
        self._step_seconds = math.inf

    def play(self, step: int) -> None:
        self.frame_left = 0
        self.rate.restart(step)

    def forget_pace(self) -> None:
        """A new batch size or a baseline changes the pace: measure it again."""
        self._step_seconds = math.inf

    def frame_wait(self, now: float) -> float:
        """Seconds until a new frame may start (0 or less: now)."""
        return self._frame_start + FRAME_SECONDS - now

    def start_frame(self, now: float) -> None:
        self._frame_start = now
        self.frame_left = self.speed
        self._frame_training = 0.0

    def training_sets_the_pace(self) -> bool:
        """The frame's steps took the worker longer than a frame (the top speeds)."""
        return self._frame_training > FRAME_SECONDS

    def chunk_size(self) -> int:
        """Steps for one compiled call: a tick's worth at the pace measured.

        One call of many steps costs little more than one of a single step for a small network,
        so training in chunks is what lets the window train as fast as the headless trainer.
        For the first call of a run or after a change, whose pace is not known yet, it is one step.
        """
        return max(1, min(self.frame_left, MAX_CHUNK, int(TICK_SECONDS / self._step_seconds)))

    def trained(self, count: int, seconds: float, cpu_seconds: float) -> None:
        """`count` steps of the frame took `seconds`, of which `cpu_seconds` on this thread."""
        self.frame_left = max(0, self.frame_left - count)
        self._frame_training += cpu_seconds
        pace = seconds / count
        self._step_seconds = pace if math.isinf(self._step_seconds) else (
            self._step_seconds + pace) / 2

    def may_publish(self, now: float) -> bool:
        return now >= self._publish_not_before

    def published(self, started: float, cost: float) -> None:
        """A snapshot of a playing run took `cost` seconds: the next waits to keep PUBLISH_SHARE."""
        self._publish_not_before = started + min(cost / PUBLISH_SHARE, MAX_PUBLISH_GAP)

    def grid_due(self, now: float) -> bool:
        """A new decision map is due: at most every GRID_SECONDS while playing, less often if it
        is slow to compute. Between refreshes the same one is sent again: its arrays are never
        written to."""
        return now >= self._grid_due

    def grid_made(self, started: float, cost: float) -> None:
        interval = GRID_SECONDS_AT_FULL_PACE if self.training_sets_the_pace() else GRID_SECONDS
        self._grid_due = started + min(max(interval, cost / PUBLISH_SHARE), MAX_GRID_GAP)
