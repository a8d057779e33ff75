"""The worker: the one thread that touches the Trainer, and so every PyTensor call.

Requests arrive as queued signals from the window (through `WorkerHandle`). The worker trains in
ticks of at most TICK_SECONDS driven by a single-shot QTimer, so a pause, a step or a settings
change waits at most one tick, and it publishes a `Snapshot` after every `speed` steps but no more
often than FRAME_SECONDS, and only once the window has drawn the previous one: drawing never slows
training and snapshots never pile up. Building a Trainer may compile for seconds; that runs on a
daemon thread (`RunBuild`) which the same timer polls, so neither the worker's loop nor closing the
window ever waits for a compiler.
"""

from __future__ import annotations

import functools
import math
import time
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from PyQt5.QtCore import QObject, QThread, QTimer, pyqtSignal, pyqtSlot

from dropviz.model.config import Config
from dropviz.model.errors import DropvizError
from dropviz.ui.build import RunBuild, compiling_message
from dropviz.ui.changes import describe_restart
from dropviz.ui.snapshot import MaskRecorder, Snapshot, run_info

if TYPE_CHECKING:  # the model's training modules are imported by the build thread, see RunBuild
    from dropviz.model.network import Architecture
    from dropviz.model.trainer import DecisionGrid, Evaluation, NetworkPool, StepResult, Trainer

FRAME_SECONDS = 1 / 30  # at most this many snapshots a second: a screen refresh is no faster
TICK_SECONDS = 0.02  # the longest the worker trains before it looks at its queue again
GRID_SECONDS = 0.1  # the decision grid costs ~10 ms, so it is refreshed at most 10 times a second
# Snapshots and grids may take at most about this share of the worker's time while it plays: on a
# slow or busy machine they come less often, and training keeps its pace.
PUBLISH_SHARE = 0.25
MAX_PUBLISH_GAP = 0.5  # seconds: however slow, the views still move twice a second
MAX_GRID_GAP = 2.0
POLL_MS = 20  # how often a running build is checked
SHUTDOWN_MS = 1000
SPEEDS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)  # steps per screen update
DEFAULT_SPEED = 10


def user_message(error: BaseException) -> str:
    """A DropvizError's message is written for the user; anything else is a bug worth naming."""
    if isinstance(error, DropvizError):
        return str(error)
    return f"Unexpected error: {type(error).__name__}: {error}"


class _StepRate:
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


def _reports_errors(method: Callable) -> Callable:
    """Any exception in a slot becomes a message in the window; the worker carries on."""

    @functools.wraps(method)
    def wrapper(self: Worker, *args: object) -> None:
        try:
            method(self, *args)
        except Exception as error:
            self._fail(error)

    return wrapper


class Worker(QObject):
    """Owns the Trainer on its own QThread; talks to the window by signals only."""

    sigBusy = pyqtSignal(str)  # a new run is being built; the text says what is happening
    sigRunStarted = pyqtSignal(object)  # RunInfo of a new run (step 0 follows as a snapshot)
    sigSnapshot = pyqtSignal(object)  # Snapshot
    sigPlaying = pyqtSignal(bool)
    sigLiveChange = pyqtSignal(int, object, object)  # step, old Config, new Config
    sigConfigInForce = pyqtSignal(object)  # a change was refused: the Config still in force
    sigDiverged = pyqtSignal(str)
    sigError = pyqtSignal(str)

    def __init__(self, config: Config, pool: NetworkPool | None = None) -> None:
        super().__init__()
        self._pool = pool  # made by the first build when None: see RunBuild
        self._config = config  # the config of the current run
        self._known: set[Architecture] = set()
        self._trainer: Trainer | None = None
        self._build: RunBuild | None = None
        self._build_reason = ""
        self._pending: Config | None = None  # a change that arrived while building
        self._playing = False
        self._speed = DEFAULT_SPEED
        self._frame_left = 0
        self._frame_start = 0.0
        self._awaiting_ack = False
        self._publish_not_before = 0.0
        self._last_result: StepResult | None = None
        self._recorder: MaskRecorder | None = None
        self._grid: DecisionGrid | None = None
        self._grid_due = 0.0
        self._rate = _StepRate()
        self._timer: QTimer | None = None

    # --- requests (queued slots) -----------------------------------------------------------

    @pyqtSlot()
    @_reports_errors
    def start(self) -> None:
        """Runs in the worker thread once it starts: the timer must live in this thread."""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._tick)
        self._start_build(self._config, "start")

    @pyqtSlot()
    @_reports_errors
    def play(self) -> None:
        if self._playing or (self._trainer is None and self._build is None):
            return
        self._playing = True
        self._frame_left = 0
        self._rate.restart(self._trainer.step_count if self._trainer else 0)
        self.sigPlaying.emit(True)
        self._schedule(0)

    @pyqtSlot()
    @_reports_errors
    def pause(self) -> None:
        if self._stop_playing() and self._trainer is not None:
            self._publish(force_grid=True)

    @pyqtSlot()
    @_reports_errors
    def toggle(self) -> None:
        """Space asks for this: only the worker knows whether divergence has just paused it."""
        if self._playing:
            self.pause()
        else:
            self.play()

    @pyqtSlot()
    @_reports_errors
    def step_once(self) -> None:
        """Exactly one training step, then a snapshot of it; pauses a playing run first."""
        if self._trainer is None:
            return
        self._stop_playing()
        self._train_one()
        self._publish(force_grid=True)

    @pyqtSlot()
    @_reports_errors
    def reset(self) -> None:
        if self._build is None:
            self._start_build(self._config, "reset")

    @pyqtSlot(int)
    @_reports_errors
    def set_speed(self, steps_per_update: int) -> None:
        self._speed = max(1, int(steps_per_update))

    @pyqtSlot(object)
    @_reports_errors
    def set_config(self, config: Config) -> None:
        """Live settings act between two steps; anything else starts a new run."""
        if self._build is not None:
            self._pending = config
            return
        if self._trainer is None:
            self._start_build(config, describe_restart(self._config, config) or "new settings")
            return
        current = self._trainer.config
        if config == current:
            return
        if current.needs_new_network(config):
            self._start_build(config, describe_restart(current, config) or "new settings")
            return
        step = self._trainer.step_count
        self._trainer.update(config)
        self._config = config
        self.sigLiveChange.emit(step, current, config)
        if not self._playing:  # e.g. a new scaling mode changes the test-time network now
            self._publish(force_grid=True)

    @pyqtSlot()
    def snapshot_shown(self) -> None:
        self._awaiting_ack = False

    @pyqtSlot()
    def stop(self) -> None:
        """End the thread's loop; a build still compiling finishes on its own and is discarded."""
        self._playing = False
        if self._timer is not None:
            self._timer.stop()
        if self._build is not None:
            self._build.cancel()
            self._build = None
        if self._trainer is not None:
            self._trainer.close()
            self._trainer = None
        QThread.currentThread().quit()

    # --- the loop ---------------------------------------------------------------------------

    def _schedule(self, seconds: float) -> None:
        if self._timer is not None:
            self._timer.start(max(0, round(seconds * 1000)))

    @pyqtSlot()
    @_reports_errors
    def _tick(self) -> None:
        if self._build is not None:
            self._poll_build()
            return
        if not self._playing or self._trainer is None:
            return
        now = time.monotonic()
        if self._frame_left == 0:
            wait = self._frame_start + FRAME_SECONDS - now
            if wait > 0:
                self._schedule(wait)
                return
            self._frame_start = now
            self._frame_left = self._speed
        deadline = now + TICK_SECONDS
        while self._frame_left > 0:
            result = self._train_one()
            self._frame_left -= 1
            if not math.isfinite(result.loss):
                self._publish(force_grid=True)
                return
            if time.monotonic() >= deadline:
                break
        if (self._frame_left == 0 and not self._awaiting_ack
                and time.monotonic() >= self._publish_not_before):
            self._publish()
        self._schedule(0)

    def _train_one(self) -> StepResult:
        result = self._trainer.step()
        self._recorder.record(result)
        self._last_result = result
        return result

    def _stop_playing(self) -> bool:
        """Pause; True if it was playing (and the window has been told)."""
        was_playing = self._playing
        self._playing = False
        self._frame_left = 0
        if was_playing:
            self.sigPlaying.emit(False)
        return was_playing

    def _publish(self, force_grid: bool = False) -> None:
        """Send a snapshot of the current step; a non-finite loss pauses the run first."""
        started = time.monotonic()
        diverged = self._last_result is not None and not math.isfinite(self._last_result.loss)
        if diverged:
            self._stop_playing()
        with np.errstate(all="ignore"):
            evaluation = self._trainer.evaluate()
        if not diverged and not evaluation.is_finite():
            diverged = True
            self._stop_playing()
        snapshot = self._snapshot(evaluation, force_grid or diverged)
        self._awaiting_ack = True
        self.sigSnapshot.emit(snapshot)
        if self._playing:  # a one-off snapshot (a step, a pause, warm-up) sets no pace
            cost = time.monotonic() - started
            self._publish_not_before = started + min(cost / PUBLISH_SHARE, MAX_PUBLISH_GAP)
        if diverged:
            self.sigDiverged.emit(self._divergence_message(snapshot))

    def _snapshot(self, evaluation: Evaluation, force_grid: bool) -> Snapshot:
        trainer = self._trainer
        self._rate.update(trainer.step_count)
        last = self._last_result
        steps, recent = self._recorder.recent()
        return Snapshot(
            step=trainer.step_count, epoch=evaluation.epoch,
            steps_per_second=self._rate.value if self._playing else 0.0,
            playing=self._playing, config=trainer.config,
            batch_loss=last.loss if last is not None else math.nan,
            evaluation=evaluation,
            masks={name: mask.copy() for name, mask in last.masks.items()} if last else {},
            recent_steps=steps, recent_masks=recent,
            weights=tuple(trainer.network.get_weights()),
            grid=self._decision_grid(force_grid),
        )

    def _decision_grid(self, force: bool) -> DecisionGrid | None:
        """Refreshed at most every GRID_SECONDS while playing, less often if it is slow to compute.

        Between refreshes the same object is sent again: its arrays are never written to.
        """
        if not self._trainer.dataset.is_2d:
            return None
        started = time.monotonic()
        if force or self._grid is None or started >= self._grid_due:
            with np.errstate(all="ignore"):
                self._grid = self._trainer.decision_grid()
            cost = time.monotonic() - started
            self._grid_due = started + min(max(GRID_SECONDS, cost / PUBLISH_SHARE), MAX_GRID_GAP)
        return self._grid

    def _divergence_message(self, snapshot: Snapshot) -> str:
        config = snapshot.config
        losses = (snapshot.batch_loss, snapshot.evaluation.train_loss)
        what = "NaN" if any(math.isnan(loss) for loss in losses) else "infinite"
        return (f"Training diverged at step {snapshot.step}: the loss became {what}, so training "
                f"was paused. The learning rate {config.learning_rate:g} is too high for "
                f"{config.optimizer}: lower it (e.g. to {config.learning_rate / 10:g}) and press "
                "Reset (R).")

    # --- building a run ---------------------------------------------------------------------

    def _start_build(self, config: Config, reason: str) -> None:
        old, self._trainer = self._trainer, None
        self._build = RunBuild(config, self._pool, old, self._known)
        self._build_reason = reason
        self.sigBusy.emit("Starting a new run...")
        self._schedule(0)

    def _poll_build(self) -> None:
        message = self._build.next_message()
        if message is None:
            self._schedule(POLL_MS / 1000)
            return
        if message[0] == "compiling":
            self.sigBusy.emit(compiling_message(message[1]))
            self._schedule(0)
            return
        self._build = None
        if message[0] == "failed":
            self._build_failed(message[1], message[2])
        else:
            self._run_started(message[1])

    def _build_failed(self, error: BaseException, old: Trainer | None) -> None:
        """The old run goes on if it still exists; the controls go back to its settings."""
        self._pending = None
        self._trainer = old
        self._fail(error)
        self.sigConfigInForce.emit(self._config)
        if old is not None:
            self._publish(force_grid=True)
            self._schedule(0)

    def _run_started(self, trainer: Trainer) -> None:
        self._trainer = trainer
        self._pool = trainer.pool
        self._config = trainer.config
        widths = dict(zip(trainer.layer_names, trainer.network.arch.widths[:-1], strict=True))
        self._recorder = MaskRecorder(widths)
        self._last_result = None
        self._grid = None
        self._rate.restart(0)
        self._frame_left = 0
        self.sigRunStarted.emit(run_info(trainer, self._build_reason))
        self._publish(force_grid=True)
        pending, self._pending = self._pending, None
        if pending is not None:
            self.set_config(pending)
        self._schedule(0)

    def _fail(self, error: BaseException) -> None:
        """Pause and tell the user: a loop that failed once would fail again at once."""
        self._stop_playing()
        if not isinstance(error, DropvizError):
            traceback.print_exception(error)
        self.sigError.emit(user_message(error))


class WorkerHandle(QObject):
    """The window's side of the worker: starts its thread, forwards requests, stops it on close.

    Snapshots pass through here so that the acknowledgement the worker waits for is sent only
    after the window's slots have taken the snapshot in.
    """

    sigPlay = pyqtSignal()
    sigPause = pyqtSignal()
    sigToggle = pyqtSignal()
    sigStep = pyqtSignal()
    sigReset = pyqtSignal()
    sigSpeed = pyqtSignal(int)
    sigConfig = pyqtSignal(object)
    sigShown = pyqtSignal()
    sigStop = pyqtSignal()
    sigSnapshot = pyqtSignal(object)  # in the GUI thread

    def __init__(self, config: Config, pool: NetworkPool | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = Worker(config, pool)
        self.thread = QThread()
        self.thread.setObjectName("dropviz-worker")
        self.worker.moveToThread(self.thread)
        for signal, slot in ((self.sigPlay, self.worker.play), (self.sigPause, self.worker.pause),
                             (self.sigToggle, self.worker.toggle),
                             (self.sigStep, self.worker.step_once),
                             (self.sigReset, self.worker.reset),
                             (self.sigSpeed, self.worker.set_speed),
                             (self.sigConfig, self.worker.set_config),
                             (self.sigShown, self.worker.snapshot_shown),
                             (self.sigStop, self.worker.stop)):
            signal.connect(slot)
        self.worker.sigSnapshot.connect(self._forward_snapshot)
        self.thread.started.connect(self.worker.start)

    def start(self) -> None:
        self.thread.start()

    @pyqtSlot(object)
    def _forward_snapshot(self, snapshot: Snapshot) -> None:
        self.sigSnapshot.emit(snapshot)
        self.sigShown.emit()

    def shutdown(self) -> bool:
        """Stop the worker and wait for its thread; True if it ended within SHUTDOWN_MS.

        The worker looks at its queue at least every TICK_SECONDS, so it normally ends at once.
        If a single huge step is still running, this waits for it: a step always ends, while
        terminating a thread that holds the interpreter lock would hang the whole process.
        """
        if not self.thread.isRunning():
            return True
        self.sigStop.emit()
        if self.thread.wait(SHUTDOWN_MS):
            return True
        self.thread.wait()
        return False
