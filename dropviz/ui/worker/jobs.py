"""The worker's analysis jobs (background_job.py): one at a time, and nothing else meanwhile.

While a job runs the worker trains nothing and starts no run: a request that would change the run
waits in `deferred` until the job ends, and pressing play says why nothing happens.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING

from dropviz.model.errors import DropvizError
from dropviz.ui.worker.background_job import BackgroundJob, JobRequest
from dropviz.ui.worker.owner import Owner
from dropviz.ui.worker.runs import POLL_MS

if TYPE_CHECKING:  # the trainer loads PyTensor (see build.py)
    from dropviz.model.trainer import NetworkPool, Trainer

JOB_STOP_SECONDS = 0.5  # a cancelled job stops at its next check, between two steps or passes


def user_message(error: BaseException) -> str:
    """A DropvizError's message is written for the user; anything else is a bug worth naming."""
    if isinstance(error, DropvizError):
        return str(error)
    return f"Unexpected error: {type(error).__name__}: {error}"


class Jobs:
    """The job under way (None: none) and the requests waiting for it to end."""

    def __init__(self, worker: Owner) -> None:
        self._worker = worker
        self.job: BackgroundJob | None = None
        self.deferred: list[Callable[[], None]] = []
        self._pool: NetworkPool | None = None

    def _jobs_pool(self) -> NetworkPool:
        """The runs' pool, unless it quick-starts (the window's own): then the jobs' own, whose
        networks do not (a job wants the fast network's numbers and speed, not a first step within
        a second) and compile in a child process (see compile_aside.py), so that the window stays
        responsive meanwhile."""
        runs_pool = self._worker.runs.pool
        if not runs_pool.quick_start:
            return runs_pool
        if self._pool is None:
            from dropviz.model.trainer import NetworkPool

            self._pool = NetworkPool(aside=True)
        return self._pool

    def run(self, request: JobRequest) -> None:
        """Pause, then run the job on its own thread; one at a time, and not while building."""
        worker, playback = self._worker, self._worker.playback
        if self.job is not None:
            worker.sigJobStopped.emit(request.kind, f"Wait until {self.job.request.title} has "
                                                    "finished, or cancel it.")
            return
        if playback.pair is None or worker.runs.build is not None \
                or worker.baselines.build is not None:
            worker.sigJobStopped.emit(request.kind, "A new run is being prepared: try again once "
                                                    "it has started.")
            return
        if playback.stop():
            playback.publish(force_grid=True)
        trainer = playback.pair.run.trainer if request.needs_trainer else None
        self.job = BackgroundJob(request, trainer, self._jobs_pool())
        worker.schedule(0)

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def blocks(self) -> bool:
        """True, and the user told why, when a job holds training back."""
        if self.job is None:
            return False
        self._worker.sigNotice.emit(f"Training waits while {self.job.request.title} runs: cancel "
                                    "it to train now.")
        return True

    def poll(self) -> None:
        worker = self._worker
        job, progress, end = self.job, None, None
        for message in job.messages():
            if message[0] == "progress":
                progress = message
            else:
                end = message
        kind = job.request.kind
        if progress is not None:
            worker.sigJobProgress.emit(kind, progress[1], progress[2])
        if end is None:
            worker.schedule(POLL_MS / 1000)
            return
        self.job = None
        if end[0] == "done":
            worker.sigJobResult.emit(kind, end[1])
        elif end[0] == "cancelled":
            worker.sigJobStopped.emit(kind, "")
        else:
            if not isinstance(end[1], DropvizError):
                traceback.print_exception(end[1])
            worker.sigJobStopped.emit(kind, user_message(end[1]))
        deferred, self.deferred = self.deferred, []
        for call in deferred:
            call()
        worker.schedule(0)

    def stop(self, trainer: Trainer | None) -> bool:
        """On closing; True if the job had `trainer`, which it closes once it stops.

        Closing waits (briefly) for the job to stop: the program exits next, and a job still in
        compiled code or BLAS, which run without the interpreter lock, while the process tears
        down its libraries crashed it (a segmentation fault about one exit in ten).
        """
        if self.job is None:
            return False
        lent = self.job.trainer
        self.job.cancel(lent.close if lent is not None else None)
        self.job.wait(JOB_STOP_SECONDS)
        self.job = None
        return lent is not None and lent is trainer
