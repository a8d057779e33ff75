"""The worker: the one thread that touches the Trainer, and so every PyTensor call.

Requests arrive as queued signals from the window (through `WorkerHandle`). The worker trains in
ticks of at most TICK_SECONDS driven by a single-shot QTimer, so a pause, a step or a settings
change waits at most one tick, and it publishes a `Snapshot` after every `speed` steps but no more
often than FRAME_SECONDS, and only once the window has started drawing the previous one: drawing
never slows training and snapshots never pile up. Building a Trainer may compile for seconds; that
runs on a daemon thread (`RunBuild`) which the same timer polls, so neither the worker's loop nor
closing the window ever waits for a compiler.
"""

from __future__ import annotations

import functools
import math
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PyQt5.QtCore import QObject, QThread, QTimer, pyqtSignal, pyqtSlot

from dropviz.model.config import Config
from dropviz.model.errors import DropvizError
from dropviz.session.changes import describe_restart
from dropviz.session.compare import CompareSpec, compare_config
from dropviz.session.run_record import (
    RestoredRun,
    RunRecord,
    window_extra,
    write_experiment,
    write_run_folder,
)
from dropviz.session.snapshot import MaskRaster, Snapshot, run_info
from dropviz.ui.worker.background_job import BackgroundJob, JobRequest
from dropviz.ui.worker.build import RunBuild, compiling_message, prepare_train_steps_aside
from dropviz.ui.worker.experiment_load import ExperimentLoad

if TYPE_CHECKING:  # the model's training modules are imported by the build thread, see RunBuild
    from dropviz.model.graph.network import Architecture
    from dropviz.model.results import DecisionGrid, Evaluation, StepResult
    from dropviz.model.trainer import NetworkPool, Trainer

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
POLL_MS = 20  # how often a running build is checked
SHUTDOWN_MS = 1000
JOB_STOP_SECONDS = 0.5  # a cancelled job stops at its next check, between two steps or passes
MAX_CHUNK = 1000  # steps in one compiled call at most: the most a frame can ask for
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


def _after_job(method: Callable) -> Callable:
    """While an analysis job runs, a request that would change the run waits for it to end."""

    @functools.wraps(method)
    def wrapper(self: Worker, *args: object) -> None:
        if self._job is not None:
            self._deferred.append(functools.partial(method, self, *args))
            return
        method(self, *args)

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
    sigNotice = pyqtSignal(str)  # news for the user that is not a problem
    sigCompareChanged = pyqtSignal(str)  # a baseline's label when it joins the run, "" when it goes
    sigJobProgress = pyqtSignal(str, int, int)  # job kind, done, total
    sigJobResult = pyqtSignal(str, object)  # job kind, result
    sigJobStopped = pyqtSignal(str, str)  # job kind, "" when cancelled, else what went wrong
    sigRestored = pyqtSignal(object)  # RestoredWindow of an opened experiment, after sigRunStarted
    sigFilesWritten = pyqtSignal(str, str, object)  # "export" or "save", the path, paths written
    sigFilesFailed = pyqtSignal(str, str)  # "export" or "save", the message

    def __init__(self, config: Config, pool: NetworkPool | None = None) -> None:
        super().__init__()
        self._pool = pool  # made by the first build when None: see RunBuild
        self._config = config  # the config of the current run
        self._known: set[Architecture] = set()
        self._trainer: Trainer | None = None
        self._build: RunBuild | None = None
        self._build_reason = ""
        self._pending: Config | None = None  # a change that arrived while building
        # An opened experiment's settings are not in the window's controls yet: a change sent
        # meanwhile was made to the settings it replaced, see restored_shown.
        self._restored_unseen = False
        self._playing = False
        self._speed = DEFAULT_SPEED
        self._frame_left = 0
        self._frame_start = 0.0
        self._awaiting_ack = False
        self._publish_not_before = 0.0
        self._last_result: StepResult | None = None
        self._recorder: MaskRaster | None = None
        self._grid: DecisionGrid | None = None
        self._grid_due = 0.0
        self._rate = _StepRate()
        self._step_seconds = math.inf  # the pace of the last chunks, see _chunk_size
        # CPU seconds the worker spent training in the current frame: not wall-clock time, which
        # includes waits for the interpreter lock while the GUI thread paints (a first paint made
        # ten single steps look slower than a frame, and so compiled the multi-step call for nothing)
        self._frame_training = 0.0
        self._timer: QTimer | None = None
        self._compare: CompareSpec | None = None  # the baseline wanted, see compare.py
        self._baseline: Trainer | None = None  # trained in lockstep with the run
        self._baseline_build: RunBuild | None = None
        self._spare_baseline: Trainer | None = None  # out of use, kept to reuse its network
        self._baseline_spec: CompareSpec | None = None  # of the baseline built or being built
        self._baseline_grid: DecisionGrid | None = None
        self._known_pairs: set[Architecture] = set()  # shapes compiled twice, for a baseline
        self._job: BackgroundJob | None = None
        self._deferred: list[Callable[[], None]] = []  # requests waiting for the job to end
        self._record: RunRecord | None = None  # what the files of the run need, see run_record

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
        if self._playing or (self._trainer is None and self._build is None) or self._job_blocks():
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
        if self._trainer is None or self._baseline_build is not None or self._job_blocks():
            return
        self._stop_playing()
        self._train(1)
        self._publish(force_grid=True)

    @pyqtSlot()
    @_after_job
    @_reports_errors
    def reset(self) -> None:
        """Both runs start again; while a baseline joins, the run is at step 0 already."""
        if self._build is None and self._baseline_build is None:
            self._start_build(self._config, "reset")

    @pyqtSlot(int)
    @_reports_errors
    def set_speed(self, steps_per_update: int) -> None:
        self._speed = max(1, int(steps_per_update))

    @pyqtSlot(object)
    @_after_job
    @_reports_errors
    def set_config(self, config: Config) -> None:
        """Live settings act between two steps, on the run only; anything else starts a new run."""
        if self._restored_unseen:
            return
        if self._build is not None or self._baseline_build is not None:
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
        self._step_seconds = math.inf  # a new batch size changes the pace: measure it again
        self.sigLiveChange.emit(step, current, config)
        if not self._playing:  # e.g. a new scaling mode changes the test-time network now
            self._publish(force_grid=True)

    @pyqtSlot()
    def snapshot_shown(self) -> None:
        self._awaiting_ack = False

    @pyqtSlot()
    def restored_shown(self) -> None:
        """The controls show the opened experiment's settings: changes from now on are to them.

        Until then a change (say a new noise level, sent while the file loaded) is of the run the
        experiment replaced; applying it would train that old run again while the controls show
        the experiment's settings, and throw the experiment away.
        """
        self._restored_unseen = False

    @pyqtSlot()
    def stop(self) -> None:
        """End the thread's loop; a build still compiling finishes on its own and is discarded."""
        self._playing = False
        if self._timer is not None:
            self._timer.stop()
        if self._build is not None:
            self._build.cancel()
            self._build = None
        self._stop_baseline_and_job()
        if self._trainer is not None:
            self._trainer.close()
            self._trainer = None
        QThread.currentThread().quit()

    # --- files: run_record.py writes them, experiment_load.py opens them ---------------------

    @pyqtSlot(str, object)
    @_after_job
    def export_run(self, folder: str, markers: object) -> None:
        """The model's files of the run and its experiment file, into `folder`."""
        self._write_files("export", folder, write_run_folder, markers)

    @pyqtSlot(str, object)
    @_after_job
    def save_experiment(self, path: str, markers: object) -> None:
        """`markers` are the window's (step, text) pairs: only the window knows how it merged them."""
        self._write_files("save", path, write_experiment, markers)

    @pyqtSlot(str)
    @_after_job
    @_reports_errors
    def open_experiment(self, path: str) -> None:
        """Loaded on a thread like a new run is built; a bad file brings the old run back as it was.

        A baseline is not saved with an experiment, so the comparison ends when one opens.
        """
        if self._build is not None or self._baseline_build is not None:
            self.sigError.emit("A new run is being prepared: open the experiment once it has started.")
            return
        self._stop_playing()
        old, self._trainer = self._trainer, None
        self._build = ExperimentLoad(path, self._pool, old)
        self._build_reason = f"opened {Path(path).name}"
        self.sigBusy.emit(f"Opening {Path(path).name}...")
        self._schedule(0)

    def _write_files(self, kind: str, path: str, write: Callable[..., list[Path]],
                     markers: object) -> None:
        """Paused first, so the files, and the plots the window renders next, show one step."""
        if self._trainer is None:
            self.sigFilesFailed.emit(kind, "There is no run to write yet: wait until it has started.")
            return
        try:
            if self._stop_playing():
                self._publish(force_grid=True)
            extra = window_extra(self._record, self._recorder, self._last_result, self._speed,
                                 markers)
            paths = write(path, self._trainer, self._record, extra)
        except Exception as error:  # the window waits for one answer or the other
            if not isinstance(error, DropvizError):
                traceback.print_exception(error)
            self.sigFilesFailed.emit(kind, user_message(error))
            return
        self.sigFilesWritten.emit(kind, path, paths)

    # --- the loop ---------------------------------------------------------------------------

    def _schedule(self, seconds: float) -> None:
        if self._timer is not None:
            self._timer.start(max(0, round(seconds * 1000)))

    @pyqtSlot()
    @_reports_errors
    def _tick(self) -> None:
        if self._job is not None:
            self._poll_job()
            return
        if self._baseline_build is not None:
            self._poll_baseline_build()
            return
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
            if self._training_sets_the_pace():
                self._prepare_chunks()
            self._frame_start = now
            self._frame_left = self._speed
            self._frame_training = 0.0
        deadline = now + TICK_SECONDS
        while self._frame_left > 0:
            results = self._train(self._chunk_size())
            self._frame_left -= len(results)
            diverged_at = next((r.step for r in results if not math.isfinite(r.loss)), None)
            if diverged_at is not None:
                self._publish(force_grid=True, diverged_at=diverged_at)
                return
            if len(results) > 1 or time.monotonic() >= deadline:
                break  # a chunk is a tick's worth on its own
        if (self._frame_left == 0 and not self._awaiting_ack
                and time.monotonic() >= self._publish_not_before):
            self._publish()
        self._schedule(0)

    def _training_sets_the_pace(self) -> bool:
        """The frame's steps took the worker longer than a frame (the top speeds)."""
        return self._frame_training > FRAME_SECONDS

    def _prepare_chunks(self) -> None:
        """A frame's steps took longer than a frame: training, not the speed setting, sets the
        pace, so it is worth compiling the multi-step call (seconds; a thread does it meanwhile).
        Runs that never train that fast never pay for that compile, nor for its memory."""
        for trainer in (self._trainer, self._baseline):
            if trainer is not None:
                prepare_train_steps_aside(trainer)

    def _chunk_size(self) -> int:
        """Steps for one compiled call: a tick's worth at the pace measured.

        One call of many steps costs little more than one of a single step for a small network,
        so training in chunks is what lets the window train as fast as the headless trainer.
        Until the multi-step call is compiled (see `_prepare_chunks`), and for the first call of a
        run or after a change, whose pace is not known yet, it is one step.
        """
        if not (self._trainer.network.train_steps_ready
                and (self._baseline is None or self._baseline.network.train_steps_ready)):
            return 1
        return max(1, min(self._frame_left, MAX_CHUNK, int(TICK_SECONDS / self._step_seconds)))

    def _train(self, count: int) -> list[StepResult]:
        """`count` steps of the run, and of the baseline in lockstep (the same minibatches)."""
        started, cpu_started = time.monotonic(), time.thread_time()
        if count == 1:
            results = [self._trainer.step()]
            if self._baseline is not None:
                self._baseline.step()
        else:
            results = self._trainer.run_steps(count)
            if self._baseline is not None:
                self._baseline.run_steps(count)
        elapsed = time.monotonic() - started
        self._frame_training += time.thread_time() - cpu_started
        pace = elapsed / count
        self._step_seconds = pace if math.isinf(self._step_seconds) else (
            self._step_seconds + pace) / 2
        self._recorder.record_all(results)
        self._record.stepped(results)
        self._last_result = results[-1]
        return results

    def _stop_playing(self) -> bool:
        """Pause; True if it was playing (and the window has been told)."""
        was_playing = self._playing
        self._playing = False
        self._frame_left = 0
        if was_playing:
            self.sigPlaying.emit(False)
        return was_playing

    def _publish(self, force_grid: bool = False, diverged_at: int | None = None) -> None:
        """Send a snapshot of the current step; a non-finite loss (first seen at the step
        `diverged_at` of the last chunk) pauses the run first."""
        started = time.monotonic()
        diverged = diverged_at is not None or (
            self._last_result is not None and not math.isfinite(self._last_result.loss))
        if diverged:
            self._stop_playing()
        with np.errstate(all="ignore"):
            evaluation = self._trainer.evaluate()
        if not diverged and not evaluation.is_finite():
            diverged = True
            self._stop_playing()
        self._record.published(evaluation)
        snapshot = self._snapshot(evaluation, force_grid or diverged)
        self._awaiting_ack = True
        self.sigSnapshot.emit(snapshot)
        if self._playing:  # a one-off snapshot (a step, a pause, warm-up) sets no pace
            cost = time.monotonic() - started
            self._publish_not_before = started + min(cost / PUBLISH_SHARE, MAX_PUBLISH_GAP)
        if diverged:
            self.sigDiverged.emit(self._divergence_message(snapshot, diverged_at))

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
            weights=trainer.network.weights(),
            grid=self._decision_grid(force_grid),
            **self._baseline_parts(),
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
                if self._baseline is not None:
                    self._baseline_grid = self._baseline.decision_grid()
            cost = time.monotonic() - started
            interval = GRID_SECONDS_AT_FULL_PACE if self._training_sets_the_pace() else GRID_SECONDS
            self._grid_due = started + min(max(interval, cost / PUBLISH_SHARE), MAX_GRID_GAP)
        return self._grid

    def _divergence_message(self, snapshot: Snapshot, step: int | None) -> str:
        config = snapshot.config
        losses = (snapshot.batch_loss, snapshot.evaluation.train_loss)
        what = "NaN" if any(math.isnan(loss) for loss in losses) else "infinite"
        return (f"Training diverged at step {step or snapshot.step}: the loss became {what}, so training "
                f"was paused. The learning rate {config.learning_rate:g} is too high for "
                f"{config.optimizer}: lower it (e.g. to {config.learning_rate / 10:g}) and press "
                "Reset (R).")

    # --- compare with a baseline (compare.py) -----------------------------------------------

    @pyqtSlot(object)
    @_after_job
    @_reports_errors
    def set_compare(self, spec: CompareSpec | None) -> None:
        """Train a baseline alongside, or stop; a baseline joins at step 0, so a run further on
        starts again, both from the same initial weights."""
        self._compare = spec
        if self._trainer is None or self._build is not None or self._baseline_build is not None:
            return  # the run or baseline being built takes the spec in when it is ready
        if spec is None:
            if self._baseline is not None:
                self._start_baseline()
                if not self._playing:
                    self._publish(force_grid=True)
        elif self._trainer.step_count == 0 and self._baseline is None:
            self._start_baseline()
        else:
            self._start_build(self._config, f"comparing with a baseline ({spec.label}) "
                                            "trained alongside")

    @pyqtSlot(object, object, str)
    @_after_job
    @_reports_errors
    def start_run(self, config: Config, spec: CompareSpec | None, reason: str) -> None:
        """A new run of `config` with a baseline of `spec` (None: none), as a preset asks."""
        if self._restored_unseen:  # the controls will show the experiment, not this preset
            return
        self._compare = spec
        if self._build is not None or self._baseline_build is not None:
            self._pending = config
            return
        self._start_build(config, reason)

    def _retire_baseline(self) -> None:
        if self._baseline is not None:
            if self._spare_baseline is not None:
                self._spare_baseline.close()
            self._spare_baseline, self._baseline = self._baseline, None
        self._baseline_grid = None

    def _start_baseline(self) -> None:
        """Make the baseline match the wanted spec; the old one's network is reused if it can be."""
        self._retire_baseline()
        old, self._spare_baseline = self._spare_baseline, None
        spec = self._compare
        if spec is not None and self._trainer.step_count > 0:
            self._compare = spec = None
            self.sigNotice.emit("The comparison is off: a baseline can only start together with "
                                "the run, and this run is past step 0. Turn it on again to "
                                "restart both.")
        if spec is None:
            if old is not None:
                old.close()
                self.sigCompareChanged.emit("")
            return
        try:
            config = compare_config(self._config, spec)
        except DropvizError as error:
            self._compare = None
            if old is not None:
                old.close()
            self.sigCompareChanged.emit("")
            self._fail(error)
            return
        self._baseline_spec = spec
        self._baseline_build = RunBuild(config, self._pool, old, self._known_pairs)
        self._schedule(0)

    def _poll_baseline_build(self) -> None:
        message = self._baseline_build.next_message()
        if message is None:
            self._schedule(POLL_MS / 1000)
            return
        if message[0] == "compiling":  # a second copy of the run's network: no news worth a banner
            self.sigBusy.emit("Building the baseline... its network is compiled once.")
            self._schedule(0)
            return
        self._baseline_build = None
        if message[0] == "failed":
            if message[2] is not None:
                message[2].close()
            self._compare = None
            self.sigCompareChanged.emit("")
            self._fail(message[1])
        else:
            self._baseline = message[1]
            self._step_seconds = math.inf
            if self._compare == self._baseline_spec:
                self.sigCompareChanged.emit(self._compare.label)
                self._publish(force_grid=True)
            else:  # the wish changed while it was being built
                self._start_baseline()
        pending, self._pending = self._pending, None
        if pending is not None:
            self.set_config(pending)
        self._schedule(0)

    def _baseline_parts(self) -> dict:
        """The baseline's fields of a snapshot: its evaluation now and its latest grid."""
        baseline = self._baseline
        if baseline is None:
            return {}
        with np.errstate(all="ignore"):
            evaluation = baseline.evaluate()
        return {"baseline_config": baseline.config, "baseline_evaluation": evaluation,
                "baseline_grid": self._baseline_grid}

    # --- analysis jobs (background_job.py) --------------------------------------------------

    @pyqtSlot(object)
    @_reports_errors
    def run_job(self, request: JobRequest) -> None:
        """Pause, then run the job on its own thread; one at a time, and not while building."""
        if self._job is not None:
            self.sigJobStopped.emit(request.kind, f"Wait until {self._job.request.title} has "
                                                  "finished, or cancel it.")
            return
        if self._trainer is None or self._build is not None or self._baseline_build is not None:
            self.sigJobStopped.emit(request.kind, "A new run is being prepared: try again once "
                                                  "it has started.")
            return
        if self._stop_playing():
            self._publish(force_grid=True)
        self._job = BackgroundJob(request, self._trainer if request.needs_trainer else None,
                                  self._pool)
        self._schedule(0)

    @pyqtSlot()
    def cancel_job(self) -> None:
        if self._job is not None:
            self._job.cancel()

    def _job_blocks(self) -> bool:
        """True, and the user told why, when a job holds training back."""
        if self._job is None:
            return False
        self.sigNotice.emit(f"Training waits while {self._job.request.title} runs: cancel it "
                            "to train now.")
        return True

    def _poll_job(self) -> None:
        job, progress, end = self._job, None, None
        for message in job.messages():
            if message[0] == "progress":
                progress = message
            else:
                end = message
        kind = job.request.kind
        if progress is not None:
            self.sigJobProgress.emit(kind, progress[1], progress[2])
        if end is None:
            self._schedule(POLL_MS / 1000)
            return
        self._job = None
        if end[0] == "done":
            self.sigJobResult.emit(kind, end[1])
        elif end[0] == "cancelled":
            self.sigJobStopped.emit(kind, "")
        else:
            if not isinstance(end[1], DropvizError):
                traceback.print_exception(end[1])
            self.sigJobStopped.emit(kind, user_message(end[1]))
        deferred, self._deferred = self._deferred, []
        for call in deferred:
            call()
        self._schedule(0)

    def _stop_baseline_and_job(self) -> None:
        """On closing: a job still using the trainer takes it back to the pool when it stops.

        Closing waits (briefly) for the job to stop: the program exits next, and a job still in
        compiled code or BLAS, which run without the interpreter lock, while the process tears
        down its libraries crashed it (a segmentation fault about one exit in ten).
        """
        if self._job is not None:
            lent = self._job.trainer
            self._job.cancel(lent.close if lent is not None else None)
            self._job.wait(JOB_STOP_SECONDS)
            if lent is self._trainer:
                self._trainer = None
            self._job = None
        if self._baseline_build is not None:
            self._baseline_build.cancel()
            self._baseline_build = None
        self._retire_baseline()
        if self._spare_baseline is not None:
            self._spare_baseline.close()
            self._spare_baseline = None

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
            self._run_started(*message[1:])

    def _build_failed(self, error: BaseException, old: Trainer | None) -> None:
        """The old run goes on if it still exists; the controls go back to its settings."""
        self._pending = None
        self._trainer = old
        self._fail(error)
        self.sigConfigInForce.emit(self._config)
        if old is not None:
            self._publish(force_grid=True)
            self._schedule(0)

    def _run_started(self, trainer: Trainer, restored: RestoredRun | None = None) -> None:
        """A new run, or with `restored` an opened experiment, which goes on where it was saved."""
        self._trainer = trainer
        self._retire_baseline()  # a baseline of the old run is in no snapshot of the new one
        self._pool = trainer.pool
        self._config = trainer.config
        self._recorder = MaskRaster(trainer.layout.noise_units())
        self._record = RunRecord()
        self._last_result = None
        if restored is not None:
            self._recorder, self._record = restored.raster, restored.record
            self._last_result = restored.last
        self._grid = None
        self._rate.restart(trainer.step_count)
        self._frame_left = 0
        self._frame_training = 0.0
        self._step_seconds = math.inf
        self.sigRunStarted.emit(run_info(trainer, self._build_reason))
        if restored is not None:
            self._restored_unseen = True
            self.sigRestored.emit(restored.window)
        self._publish(force_grid=True)
        pending, self._pending = self._pending, None
        if pending is not None:
            self.set_config(pending)
        if self._build is None:
            self._start_baseline()
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
    sigCompare = pyqtSignal(object)  # CompareSpec or None
    sigStartRun = pyqtSignal(object, object, str)  # Config, CompareSpec or None, reason
    sigRunJob = pyqtSignal(object)  # JobRequest
    sigCancelJob = pyqtSignal()
    sigExportRun = pyqtSignal(str, object)  # folder, the markers as (step, text) pairs
    sigSaveExperiment = pyqtSignal(str, object)  # path, the markers
    sigOpenExperiment = pyqtSignal(str)
    sigRestoredShown = pyqtSignal()  # the controls show an opened experiment's settings

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
                             (self.sigCompare, self.worker.set_compare),
                             (self.sigStartRun, self.worker.start_run),
                             (self.sigRunJob, self.worker.run_job),
                             (self.sigCancelJob, self.worker.cancel_job),
                             (self.sigShown, self.worker.snapshot_shown),
                             (self.sigExportRun, self.worker.export_run),
                             (self.sigSaveExperiment, self.worker.save_experiment),
                             (self.sigOpenExperiment, self.worker.open_experiment),
                             (self.sigRestoredShown, self.worker.restored_shown),
                             (self.sigStop, self.worker.stop)):
            signal.connect(slot)
        self.worker.sigSnapshot.connect(self._forward_snapshot)
        self.thread.started.connect(self.worker.start)

    def start(self) -> None:
        self.thread.start()

    @pyqtSlot(object)
    def _forward_snapshot(self, snapshot: Snapshot) -> None:
        """The window answers with sigShown once it starts drawing it (staged_drawing.py)."""
        self.sigSnapshot.emit(snapshot)

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
