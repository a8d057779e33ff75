"""The worker's run: which config is in force, and the builds that start, reset and open runs.

A new run's Trainer is made by a `RunBuild` (an `ExperimentLoad` for an opened experiment) on a
daemon thread that the worker's tick polls. Meanwhile the old run, with its baseline, is set
aside: if the build fails while the old trainer still exists, that run goes on exactly as it was.
A settings change that arrives while a run or baseline is being built waits for it (`pending`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from dropviz.model.config import Config
from dropviz.model.graph.architecture import Architecture
from dropviz.session.changes import describe_restart
from dropviz.session.lockstep import Lockstep
from dropviz.session.run import Run
from dropviz.session.run_record import RestoredRun
from dropviz.ui.worker.build import DaemonTask, RunBuild, compiling_message
from dropviz.ui.worker.experiment_load import ExperimentLoad
from dropviz.ui.worker.owner import Owner

if TYPE_CHECKING:  # the trainer loads PyTensor (see build.py)
    from dropviz.model.trainer import NetworkPool, Trainer

POLL_MS = 20  # how often a running build is checked


class RunBuilds:
    """The config in force, the build under way (None: none), and the change waiting for it."""

    def __init__(self, worker: Owner, config: Config, pool: NetworkPool | None) -> None:
        self._worker = worker
        self.pool = pool  # made by the first build when None: see RunBuild
        self.config = config  # the config of the current run
        self.build: DaemonTask | None = None
        self.pending: Config | None = None  # a change that arrived while building
        # An opened experiment's settings are not in the window's controls yet: a change sent
        # meanwhile was made to the settings it replaced, see Worker.restored_shown.
        self.restored_unseen = False
        self._reason = ""
        self._known: set[Architecture] = set()
        self._aside: Lockstep | None = None  # the run the build replaces

    def start(self, config: Config, reason: str) -> None:
        self.build = RunBuild(config, self.pool, self._set_aside(), self._known)
        self._reason = reason
        self._worker.sigBusy.emit("Starting a new run...")
        self._worker.schedule(0)

    def open(self, path: str) -> None:
        """Load an experiment on a thread like a new run is built."""
        self.build = ExperimentLoad(path, self.pool, self._set_aside())
        self._reason = f"opened {Path(path).name}"
        self._worker.sigBusy.emit(f"Opening {Path(path).name}...")
        self._worker.schedule(0)

    def change(self, config: Config) -> None:
        """Live settings act between two steps, on the run only; anything else starts a new run."""
        worker, playback = self._worker, self._worker.playback
        if self.restored_unseen:
            return
        if self.build is not None or worker.baselines.build is not None:
            self.pending = config
            return
        if playback.pair is None:
            self.start(config, describe_restart(self.config, config) or "new settings")
            return
        run = playback.pair.run
        current = run.config
        if config == current:
            return
        if current.needs_new_network(config):
            self.start(config, describe_restart(current, config) or "new settings")
            return
        run.trainer.update(config)
        self.config = config
        playback.pace.forget_pace()  # a new batch size changes the pace: measure it again
        worker.sigLiveChange.emit(run.step, current, config)
        if not playback.playing:  # e.g. a new scaling mode changes the test-time network now
            playback.publish(force_grid=True)

    def apply_pending(self) -> None:
        """A build has ended: the change that waited for it goes in now."""
        pending, self.pending = self.pending, None
        if pending is not None:
            self._worker.set_config(pending)

    def poll(self) -> None:
        worker = self._worker
        message = self.build.next_message()
        if message is None:
            worker.schedule(POLL_MS / 1000)
            return
        if message[0] == "compiling":
            worker.sigBusy.emit(compiling_message(*message[1:]))
            worker.schedule(0)
            return
        self.build = None
        aside, self._aside = self._aside, None
        if message[0] == "failed":
            self._failed(message[1], message[2], aside)
        else:
            self._started(aside, *message[1:])

    def cancel(self) -> None:
        """On closing: a build still compiling finishes on its own and is discarded."""
        if self.build is not None:
            self.build.cancel()
            self.build = None
        self._worker.baselines.retire(self._aside)
        self._aside = None

    def _set_aside(self) -> Trainer | None:
        """The current run goes aside, its trainer to the build (see build.py)."""
        playback = self._worker.playback
        self._aside = playback.pair
        playback.take(None)
        return self._aside.run.trainer if self._aside is not None else None

    def _failed(self, error: BaseException, old: Trainer | None, aside: Lockstep | None) -> None:
        """The old run goes on if it still exists; the controls go back to its settings."""
        worker = self._worker
        self.pending = None
        if old is not None:
            worker.playback.take(aside)
        else:
            worker.baselines.retire(aside)
        worker.fail(error)
        worker.sigConfigInForce.emit(self.config)
        if old is not None:
            worker.playback.publish(force_grid=True)
            worker.schedule(0)

    def _started(self, aside: Lockstep | None, trainer: Trainer,
                 restored: RestoredRun | None = None) -> None:
        """A new run, or with `restored` an opened experiment, which goes on where it was saved."""
        worker, playback = self._worker, self._worker.playback
        worker.baselines.retire(aside)  # a baseline of the old run is in no snapshot of the new one
        self.pool = trainer.pool
        self.config = trainer.config
        run = Run.restored(restored) if restored is not None else Run(trainer)
        playback.take(Lockstep(run))
        playback.pace.restart(run.step)
        worker.sigRunStarted.emit(run.info(self._reason))
        if restored is not None:
            self.restored_unseen = True
            worker.sigRestored.emit(restored.window)
        playback.publish(force_grid=True)
        self.apply_pending()
        if self.build is None:
            worker.baselines.start()
        worker.schedule(0)
