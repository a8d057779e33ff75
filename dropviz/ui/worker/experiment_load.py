"""Opening an experiment file on a daemon thread: reading, checking and compiling take seconds.

The worker polls it like a `RunBuild` (same messages, same `cancel`). The run that was going is
handed over and closed only once the file has loaded and passed every check, so a damaged or
mismatched file leaves it exactly as it was: it comes back with the message and goes on.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from dropviz.model.errors import DropvizError, ExportError
from dropviz.session.run_record import RestoredRun, restore_run
from dropviz.ui.worker.build import DaemonTask, window_pool

if TYPE_CHECKING:  # the trainer loads PyTensor: the load's thread imports it, see build.py
    from dropviz.model.trainer import NetworkPool, Trainer


class ExperimentLoad(DaemonTask):
    """Messages: ("ready", trainer, RestoredRun) or ("failed", error, the old trainer)."""

    def __init__(self, path: str | Path, pool: NetworkPool | None, old: Trainer | None) -> None:
        super().__init__()
        self.path = Path(path)
        self._pool = pool
        self._old = old
        self.start("dropviz-open")

    def _run(self) -> None:
        try:
            restored = self._load()
        except Exception as error:  # every failure must reach the window, and the old run stay
            self._put(("failed", _explained(error, self._old is not None), self._old))
            return
        if self._old is not None:
            self._old.close()
        self._put(("ready", restored.trainer, restored))

    def _load(self) -> RestoredRun:
        # Imported here, off the GUI thread: see build.py.
        from dropviz.model.experiment import load_experiment

        experiment = load_experiment(self.path, self._pool or window_pool())
        try:
            return restore_run(self.path, experiment)
        except Exception:
            experiment.trainer.close()
            raise


def _explained(error: BaseException, had_run: bool) -> BaseException:
    """The file's own message, plus what happened to the run: nothing."""
    if not isinstance(error, DropvizError):
        return error
    after = " Nothing was changed: the current run goes on." if had_run else ""
    return ExportError(f"Could not open the experiment: {error}.{after}")
