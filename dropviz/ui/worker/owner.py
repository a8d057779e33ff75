"""What the worker's parts (playback, runs, baselines, jobs, files) use of the worker.

The parts call one another through the worker that holds them, so they name it by this protocol
rather than by its class: worker.py imports the parts, and a part importing worker.py back would
close a circle. Each part's own class is on the worker as the attribute below.
"""

from __future__ import annotations

from typing import Any, Protocol

from PyQt5.QtCore import pyqtBoundSignal


class Owner(Protocol):
    playback: Any  # playback.Playback: the run and its baseline, trained as they play
    runs: Any  # runs.RunBuilds: the config in force, and builds of runs
    baselines: Any  # baseline.BaselineBuilds: the baseline wanted, and its build
    jobs: Any  # jobs.Jobs: analyses, on a thread of their own

    sigBusy: pyqtBoundSignal
    sigRunStarted: pyqtBoundSignal
    sigSnapshot: pyqtBoundSignal
    sigPlaying: pyqtBoundSignal
    sigLiveChange: pyqtBoundSignal
    sigConfigInForce: pyqtBoundSignal
    sigDiverged: pyqtBoundSignal
    sigError: pyqtBoundSignal
    sigNotice: pyqtBoundSignal
    sigNews: pyqtBoundSignal
    sigCompareChanged: pyqtBoundSignal
    sigJobProgress: pyqtBoundSignal
    sigJobResult: pyqtBoundSignal
    sigJobStopped: pyqtBoundSignal
    sigRestored: pyqtBoundSignal
    sigFilesWritten: pyqtBoundSignal
    sigFilesFailed: pyqtBoundSignal

    def schedule(self, seconds: float) -> None:
        """Run the worker's tick after `seconds`."""

    def fail(self, error: BaseException) -> None:
        """Pause and tell the user."""

    def set_config(self, config: Any) -> None:
        """A change of settings, as the window sends it."""
