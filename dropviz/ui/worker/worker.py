"""The worker: the one thread that touches the trainers, and so every PyTensor call.

Requests arrive as queued signals from the window (through `WorkerHandle`) and answers leave as
signals; this module is that Qt plumbing and the QTimer tick. What the worker does sits beside it:
playback.py trains the run and its baseline in the session layer's loop (dropviz/session/) at the
pace pacing.py sets, runs.py and baseline.py build runs and baselines on daemon threads (a compile
never blocks the worker or closing the window), jobs.py runs the analyses and files.py writes a
run's files.
"""

from __future__ import annotations

import functools
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING

from PyQt5.QtCore import QObject, QThread, QTimer, pyqtSignal, pyqtSlot

from dropviz.model.config import Config
from dropviz.model.errors import DropvizError
from dropviz.session.compare import CompareSpec
from dropviz.session.run_record import write_experiment, write_run_folder
from dropviz.session.snapshot import Snapshot
from dropviz.ui.worker.background_job import JobRequest
from dropviz.ui.worker.baseline import BaselineBuilds
from dropviz.ui.worker.files import write_files
from dropviz.ui.worker.jobs import Jobs, user_message
from dropviz.ui.worker.pacing import DEFAULT_SPEED, GRID_SECONDS_AT_FULL_PACE, SPEEDS
from dropviz.ui.worker.playback import Playback
from dropviz.ui.worker.runs import RunBuilds

if TYPE_CHECKING:  # the trainer loads PyTensor, which the window must not wait for at start-up
    from dropviz.model.trainer import NetworkPool

# The window imports these from here; pacing.py holds them with the numbers behind them.
__all__ = ["DEFAULT_SPEED", "GRID_SECONDS_AT_FULL_PACE", "SPEEDS", "Worker", "WorkerHandle"]

SHUTDOWN_MS = 1000


def _reports_errors(method: Callable) -> Callable:
    """Any exception in a slot becomes a message in the window; the worker carries on."""

    @functools.wraps(method)
    def wrapper(self: Worker, *args: object) -> None:
        try:
            method(self, *args)
        except Exception as error:
            self.fail(error)

    return wrapper


def _after_job(method: Callable) -> Callable:
    """While an analysis job runs, a request that would change the run waits for it to end."""

    @functools.wraps(method)
    def wrapper(self: Worker, *args: object) -> None:
        if self.jobs.job is not None:
            self.jobs.deferred.append(functools.partial(method, self, *args))
            return
        method(self, *args)

    return wrapper


class Worker(QObject):
    """Owns the trainers on its own QThread; talks to the window by signals only."""

    sigBusy = pyqtSignal(str)  # a new run is being built; the text says what is happening
    sigRunStarted = pyqtSignal(object)  # RunInfo of a new run (step 0 follows as a snapshot)
    sigSnapshot = pyqtSignal(object)  # Snapshot
    sigPlaying = pyqtSignal(bool)
    sigLiveChange = pyqtSignal(int, object, object)  # step, old Config, new Config
    sigConfigInForce = pyqtSignal(object)  # a change was refused: the Config still in force
    sigDiverged = pyqtSignal(str)
    sigError = pyqtSignal(str)
    sigNotice = pyqtSignal(str)  # news for the user that is not a problem
    sigNews = pyqtSignal(str)  # news nobody asked for (a fast network ready): hides no problem
    sigCompareChanged = pyqtSignal(str)  # a baseline's label when it joins the run, "" when it goes
    sigJobProgress = pyqtSignal(str, int, int)  # job kind, done, total
    sigJobResult = pyqtSignal(str, object)  # job kind, result
    sigJobStopped = pyqtSignal(str, str)  # job kind, "" when cancelled, else what went wrong
    sigRestored = pyqtSignal(object)  # RestoredWindow of an opened experiment, after sigRunStarted
    sigFilesWritten = pyqtSignal(str, str, object)  # "export" or "save", the path, paths written
    sigFilesFailed = pyqtSignal(str, str)  # "export" or "save", the message

    def __init__(self, config: Config, pool: NetworkPool | None = None) -> None:
        super().__init__()
        self.playback = Playback(self)  # the run and its baseline, trained as they play
        self.runs = RunBuilds(self, config, pool)  # the config in force, and builds of runs
        self.baselines = BaselineBuilds(self)  # the baseline wanted, and its build
        self.jobs = Jobs(self)  # analyses, on a thread of their own
        self._timer: QTimer | None = None

    # --- requests (queued slots) -----------------------------------------------------------

    @pyqtSlot()
    @_reports_errors
    def start(self) -> None:
        """Runs in the worker thread once it starts: the timer must live in this thread."""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._tick)
        self.runs.start(self.runs.config, "start")

    @pyqtSlot()
    @_reports_errors
    def play(self) -> None:
        playback = self.playback
        if playback.playing or (playback.pair is None and self.runs.build is None) \
                or self.jobs.blocks():
            return
        playback.play()
        self.schedule(0)

    @pyqtSlot()
    @_reports_errors
    def pause(self) -> None:
        if self.playback.stop() and self.playback.pair is not None:
            self.playback.publish(force_grid=True)

    @pyqtSlot()
    @_reports_errors
    def toggle(self) -> None:
        """Space asks for this: only the worker knows whether divergence has just paused it."""
        if self.playback.playing:
            self.pause()
        else:
            self.play()

    @pyqtSlot()
    @_reports_errors
    def step_once(self) -> None:
        """Exactly one training step, then a snapshot of it; pauses a playing run first."""
        playback = self.playback
        if playback.pair is None or self.baselines.build is not None or self.jobs.blocks():
            return
        playback.stop()
        playback.train(1)
        playback.publish(force_grid=True)

    @pyqtSlot()
    @_after_job
    @_reports_errors
    def reset(self) -> None:
        """Both runs start again; while a baseline joins, the run is at step 0 already."""
        if self.runs.build is None and self.baselines.build is None:
            self.runs.start(self.runs.config, "reset")

    @pyqtSlot(int)
    @_reports_errors
    def set_speed(self, steps_per_update: int) -> None:
        self.playback.pace.speed = max(1, int(steps_per_update))

    @pyqtSlot(object)
    @_after_job
    @_reports_errors
    def set_config(self, config: Config) -> None:
        """Live settings act between two steps, on the run only; anything else starts a new run."""
        self.runs.change(config)

    @pyqtSlot()
    def snapshot_shown(self) -> None:
        self.playback.shown()

    @pyqtSlot()
    def restored_shown(self) -> None:
        """The controls show the opened experiment's settings: changes from now on are to them.

        Until then a change (say a new noise level, sent while the file loaded) is of the run the
        experiment replaced; applying it would train that old run again while the controls show
        the experiment's settings, and throw the experiment away.
        """
        self.runs.restored_unseen = False

    @pyqtSlot()
    def stop(self) -> None:
        """End the thread's loop; a build still compiling finishes on its own and is discarded."""
        self.playback.playing = False
        if self._timer is not None:
            self._timer.stop()
        self.runs.cancel()
        pair = self.playback.pair
        lent = self.jobs.stop(pair.run.trainer if pair is not None else None)
        self.baselines.close()
        if pair is not None and not lent:
            pair.run.close()
        self.playback.take(None)
        QThread.currentThread().quit()

    @pyqtSlot(str, object)
    @_after_job
    def export_run(self, folder: str, markers: object) -> None:
        """The model's files of the run and its experiment file, into `folder`."""
        write_files(self, "export", folder, write_run_folder, markers)

    @pyqtSlot(str, object)
    @_after_job
    def save_experiment(self, path: str, markers: object) -> None:
        """`markers` are the window's (step, text) pairs: only the window knows how it merged them."""
        write_files(self, "save", path, write_experiment, markers)

    @pyqtSlot(str)
    @_after_job
    @_reports_errors
    def open_experiment(self, path: str) -> None:
        """Loaded on a thread like a new run is built; a bad file brings the old run back as it was.

        A baseline is not saved with an experiment, so the comparison ends when one opens.
        """
        if self.runs.build is not None or self.baselines.build is not None:
            self.sigError.emit("A new run is being prepared: open the experiment once it has started.")
            return
        self.playback.stop()
        self.runs.open(path)

    @pyqtSlot(object)
    @_after_job
    @_reports_errors
    def set_compare(self, spec: CompareSpec | None) -> None:
        self.baselines.want(spec)

    @pyqtSlot(object, object, str)
    @_after_job
    @_reports_errors
    def start_run(self, config: Config, spec: CompareSpec | None, reason: str) -> None:
        """A new run of `config` with a baseline of `spec` (None: none), as a preset asks."""
        if self.runs.restored_unseen:  # the controls will show the experiment, not this preset
            return
        self.baselines.wanted = spec
        if self.runs.build is not None or self.baselines.build is not None:
            self.runs.pending = config
            return
        self.runs.start(config, reason)

    @pyqtSlot(object)
    @_reports_errors
    def run_job(self, request: JobRequest) -> None:
        self.jobs.run(request)

    @pyqtSlot()
    def cancel_job(self) -> None:
        self.jobs.cancel()

    # --- the loop ---------------------------------------------------------------------------

    def schedule(self, seconds: float) -> None:
        if self._timer is not None:
            self._timer.start(max(0, round(seconds * 1000)))

    @pyqtSlot()
    @_reports_errors
    def _tick(self) -> None:
        if self.jobs.job is not None:
            self.jobs.poll()
            return
        if self.baselines.build is not None:
            self.baselines.poll()
            return
        if self.runs.build is not None:
            self.runs.poll()
            return
        if self.playback.playing and self.playback.pair is not None:
            self.playback.tick()
        self.playback.watch()

    def fail(self, error: BaseException) -> None:
        """Pause and tell the user: a loop that failed once would fail again at once."""
        self.playback.stop()
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
