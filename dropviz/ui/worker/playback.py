"""The run as the worker plays it: frames of steps in chunks, and a snapshot after each frame.

The run and its baseline train in the session layer's loop (session/loop.py, in lockstep, see
session/lockstep.py); pacing.py says how many steps a call trains and when a snapshot and a new
decision map are due. A divergence, a non-finite loss in the last call or at an evaluation,
pauses the run with advice.
"""

from __future__ import annotations

import math
import time

from dropviz.model.results import StepResult
from dropviz.session.lockstep import Lockstep
from dropviz.session.loop import TrainingLoop
from dropviz.session.snapshot import Snapshot, with_states
from dropviz.ui.worker.build import prepare_train_steps_aside
from dropviz.ui.worker.owner import Owner
from dropviz.ui.worker.pacing import MAX_CHUNK, TICK_SECONDS, Pacer
from dropviz.ui.worker.preparing import LOOK_SECONDS, PreparingWatch


def divergence_message(snapshot: Snapshot, step: int) -> str:
    config = snapshot.config
    losses = (snapshot.batch_loss, snapshot.evaluation.train_loss)
    what = "NaN" if any(math.isnan(loss) for loss in losses) else "infinite"
    return (f"Training diverged at step {step}: the loss became {what}, so training "
            f"was paused. The learning rate {config.learning_rate:g} is too high for "
            f"{config.optimizer}: lower it (e.g. to {config.learning_rate / 10:g}) and press "
            "Reset (R).")


class Playback:
    """The run and its baseline (None while a new run is built), and whether and how they play."""

    def __init__(self, worker: Owner) -> None:
        self._worker = worker
        self.loop: TrainingLoop | None = None
        self.pace = Pacer()
        self.playing = False
        self._awaiting_ack = False  # a snapshot was sent that the window has not started drawing
        self.preparing = PreparingWatch(worker)
        self._shown_preparing = ""  # what the last snapshot said the networks prepare
        self._look_due = 0.0

    @property
    def pair(self) -> Lockstep | None:
        return self.loop.pair if self.loop is not None else None

    def take(self, pair: Lockstep | None) -> None:
        """Train `pair` from now on (None: nothing, while a new run is built)."""
        self.loop = TrainingLoop(pair, max_chunk=MAX_CHUNK) if pair is not None else None
        self.preparing.new_run()
        self._look_due = 0.0

    def play(self) -> None:
        self.playing = True
        self.pace.play(self.pair.step if self.pair is not None else 0)
        self._worker.sigPlaying.emit(True)

    def stop(self) -> bool:
        """Pause; True if it was playing (and the window has been told)."""
        was_playing = self.playing
        self.playing = False
        self.pace.frame_left = 0
        if was_playing:
            self._worker.sigPlaying.emit(False)
        return was_playing

    def shown(self) -> None:
        """The window has started drawing the last snapshot: the next may be sent."""
        self._awaiting_ack = False

    def tick(self) -> None:
        """Train for at most a tick, and send the snapshot of a frame once it is complete."""
        worker, pace, now = self._worker, self.pace, time.monotonic()
        if pace.frame_left == 0:
            wait = pace.frame_wait(now)
            if wait > 0:
                worker.schedule(wait)
                return
            if pace.training_sets_the_pace():
                self._prepare_chunks()
            pace.start_frame(now)
        deadline = now + TICK_SECONDS
        while pace.frame_left > 0:
            results = self.train(pace.chunk_size() if self.pair.multi_step_ready else 1)
            if self.pair.divergence is not None:
                self.publish(force_grid=True)
                return
            if len(results) > 1 or time.monotonic() >= deadline:
                break  # a chunk is a tick's worth on its own
        if pace.frame_left == 0 and not self._awaiting_ack and pace.may_publish(time.monotonic()):
            self.publish()
        worker.schedule(0)

    def watch(self) -> None:
        """Look at what the networks prepare every LOOK_SECONDS; a paused run sends a snapshot
        when that changed, and keeps looking while something is prepared or not yet shown.
        A playing run's own ticks come sooner, so this schedules nothing while it plays."""
        pair, watch, now = self.pair, self.preparing, time.monotonic()
        if pair is None:
            return
        looked = now >= self._look_due
        if looked:
            self._look_due = now + LOOK_SECONDS
            watch.look(pair)
        if self.playing:
            return
        if looked and watch.seen != self._shown_preparing and not self._awaiting_ack:
            self.publish()
        if watch.seen or watch.seen != self._shown_preparing:
            self._worker.schedule(self._look_due - now)

    def _prepare_chunks(self) -> None:
        """A frame's steps took longer than a frame: training, not the speed setting, sets the
        pace, so it is worth compiling the multi-step call (seconds; a thread does it meanwhile,
        and until it is ready the worker trains one step a call). Runs that never train that fast
        never pay for that compile, nor for its memory."""
        for run in (self.pair.run, self.pair.baseline):
            if run is not None:
                prepare_train_steps_aside(run.trainer)

    def train(self, count: int) -> list[StepResult]:
        """`count` steps of the run, and of the baseline in lockstep (the same minibatches)."""
        started, cpu_started = time.monotonic(), time.thread_time()
        results = self.loop.advance(count)
        self.pace.trained(len(results), time.monotonic() - started,
                          time.thread_time() - cpu_started)
        return results

    def publish(self, force_grid: bool = False) -> None:
        """Send a snapshot of the current step; a divergence pauses the run first."""
        started, pair = time.monotonic(), self.pair
        if pair.divergence is not None:
            self.stop()
        pair.evaluate()
        divergence = pair.divergence
        if divergence is not None:
            self.stop()
        now = time.monotonic()
        if force_grid or divergence is not None or pair.run.grid is None or self.pace.grid_due(now):
            pair.refresh_grids()
            self.pace.grid_made(now, time.monotonic() - now)
        self.pace.rate.update(pair.step)
        snapshot = with_states(pair.snapshot(self.pace.rate.value if self.playing else 0.0,
                                             self.playing), pair.run.trainer)
        self._shown_preparing = snapshot.preparing
        self._awaiting_ack = True
        self._worker.sigSnapshot.emit(snapshot)
        if self.playing:  # a one-off snapshot (a step, a pause, warm-up) sets no pace
            self.pace.published(started, time.monotonic() - started)
        if divergence is not None:
            self._worker.sigDiverged.emit(divergence_message(snapshot, divergence.step))
