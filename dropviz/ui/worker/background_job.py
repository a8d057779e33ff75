"""Long analyses (Monte-Carlo curves, sweeps) on a daemon thread that the worker owns and polls.

A job may run for a minute and may compile a network first, so it never runs on the worker's own
thread: the worker keeps answering (pause, cancel, close) and polls the job's queue like a build.
While a job runs the worker trains nothing and starts no run, so a job may use the current trainer
(a Monte-Carlo curve of the network as it is) or the worker's pool of compiled networks (a sweep)
without anyone else touching them. Cancelling is cooperative: model code polls `cancelled()`
between two steps or passes and raises `sweeps.Cancelled`.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dropviz.model.sweeps import Cancelled, CancelledFn, ProgressFn

if TYPE_CHECKING:  # it loads PyTensor: the job's thread imports it
    from dropviz.model.trainer import NetworkPool, Trainer

# work(trainer or None, pool, progress, cancelled) -> result; runs on the job's thread.
JobWork = Callable[["Trainer | None", "NetworkPool", "ProgressFn", "CancelledFn"], object]


@dataclass(frozen=True)
class JobRequest:
    """What the window asks the worker to run."""

    kind: str  # names the panel that shows the result, e.g. "mc" or "rate_sweep"
    title: str  # for messages: "the Monte-Carlo analysis"
    work: JobWork
    needs_trainer: bool  # True: gets the current trainer, which nobody else touches meanwhile


class BackgroundJob:
    """One job on a daemon thread.

    Messages, polled with `messages()`: ("progress", done, total) now and then, and at the end one
    of ("done", result), ("cancelled",) or ("failed", error).
    """

    def __init__(self, request: JobRequest, trainer: Trainer | None, pool: NetworkPool) -> None:
        self.request = request
        self.trainer = trainer
        self._pool = pool
        self._messages: queue.Queue[tuple] = queue.Queue()
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._finished = False
        self._cleanup: Callable[[], None] | None = None
        self._thread = threading.Thread(target=self._run, name=f"dropviz-{request.kind}",
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            result = self.request.work(self.trainer, self._pool, self._progress,
                                       self._cancel.is_set)
            message: tuple = ("done", result)
        except Cancelled:
            message = ("cancelled",)
        except Exception as error:  # every failure must reach the window
            message = ("failed", error)
        self._messages.put(message)
        with self._lock:
            self._finished = True
            cleanup, self._cleanup = self._cleanup, None
        if cleanup is not None:
            cleanup()

    def _progress(self, done: int, total: int) -> None:
        self._messages.put(("progress", done, total))

    def messages(self) -> list[tuple]:
        """Every message that arrived since the last call, oldest first."""
        found = []
        while True:
            try:
                found.append(self._messages.get_nowait())
            except queue.Empty:
                return found

    def wait(self, seconds: float) -> bool:
        """Wait at most `seconds` for the job's thread to end; True if it has."""
        self._thread.join(seconds)
        return not self._thread.is_alive()

    def cancel(self, cleanup: Callable[[], None] | None = None) -> None:
        """Ask the job to stop at its next check; `cleanup` runs once it has stopped.

        The cleanup runs on the job's thread when the job is still going, else here and now:
        closing the window hands the lent trainer back this way without waiting for the job.
        """
        self._cancel.set()
        if cleanup is None:
            return
        with self._lock:
            if not self._finished:
                self._cleanup = cleanup
                return
        cleanup()
