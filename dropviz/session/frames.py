"""A run as the frames of an animation: a snapshot every `every` steps, from step 0 to `steps`.

Recording for slides trains the setup again rather than capturing the window: the same seed gives
the same run step for step (see lockstep.py), and frames spaced evenly in steps make an animation
whose speed means something, whatever the window's speed or frame rate was. Each frame is an
evaluation (a point of the curves) and, for 2-D data, a new decision map; for a recurrent model, its
hidden states over a test sequence.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

from dropviz.model.errors import ConfigError
from dropviz.session.lockstep import Lockstep
from dropviz.session.loop import TrainingLoop
from dropviz.session.snapshot import Snapshot, with_states

MAX_FRAMES = 2000  # about 70 s at 30 frames a second: longer is a video, not an animation
DEFAULT_FRAMES = 100


def frame_count(steps: int, every: int) -> int:
    """Frames of a recording of `steps` steps: step 0, then one per `every` steps, and the last
    step if the spacing does not end on it."""
    return 1 + math.ceil(steps / every)


def default_every(steps: int) -> int:
    """Steps per frame for about DEFAULT_FRAMES frames."""
    return max(1, math.ceil(steps / DEFAULT_FRAMES))


def check_frames(steps: int, every: int) -> int:
    """The frame count; ConfigError for numbers that make no animation."""
    if steps < 1 or every < 1:
        raise ConfigError(f"a recording needs at least 1 step and 1 step per frame; got {steps} "
                          f"steps, {every} per frame")
    count = frame_count(steps, every)
    if count > MAX_FRAMES:
        raise ConfigError(f"{steps} steps at {every} per frame make {count} frames; at most "
                          f"{MAX_FRAMES}: choose at least {math.ceil(steps / (MAX_FRAMES - 1))} "
                          "steps per frame")
    return count


def frame_snapshots(pair: Lockstep, steps: int, every: int,
                    before_frame: Callable[[], None] | None = None) -> Iterator[Snapshot]:
    """Snapshots of the pair at its current step and every `every` steps after, `steps` in all.

    `before_frame` runs before each frame is trained and may raise to stop (a cancel).
    """
    check_frames(steps, every)
    last = pair.step + steps
    loop = TrainingLoop(pair)
    while True:
        pair.evaluate()
        pair.refresh_grids()
        yield with_states(pair.snapshot(), pair.run.trainer)
        if pair.step >= last:
            return
        if before_frame is not None:
            before_frame()
        target = min(pair.step + every, last)
        while pair.step < target:
            loop.advance(target - pair.step)
