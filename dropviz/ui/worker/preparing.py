"""What the run's networks prepare besides training, as the worker tells the window.

The window's pool starts a new network on a quick twin while its fast version compiles (about
10-50 s, see model/graph/quick_start.py); each snapshot carries what it is doing for the status
line. A playing run sends snapshots anyway, but a paused one sends them only on a change, so the
worker looks every LOOK_SECONDS (reading a property: microseconds) and, while paused, sends one
when the text has changed. When the fast network has taken over, or failed to, the user is told
once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dropviz.session.lockstep import Lockstep
from dropviz.ui.worker.owner import Owner

if TYPE_CHECKING:  # PyTensor: see build.py
    from dropviz.model.graph.network import DropoutNetwork
    from dropviz.model.graph.quick_start import QuickStartNetwork

    Network = DropoutNetwork | QuickStartNetwork

LOOK_SECONDS = 0.3
READY_NEWS = "The fast network is ready: training goes on at full speed, from the same weights."


def _networks(pair: Lockstep) -> list[Network]:
    runs = (pair.run, pair.baseline) if pair.baseline is not None else (pair.run,)
    return [run.trainer.network for run in runs]


class PreparingWatch:
    """What the networks prepared at the last look, so that each change is news once."""

    def __init__(self, worker: Owner) -> None:
        self._worker = worker
        self.seen = ""  # the text at the last look
        self._preparing: list[Network] = []  # the networks that were preparing then
        self._told: list[BaseException] = []  # failures the user has heard of, not twice

    def new_run(self) -> None:
        """A run that starts on a network already fast is no news."""
        self.seen = ""
        self._preparing = []

    def look(self, pair: Lockstep) -> None:
        """Read the text now into `seen`; tell the user if the fast networks took over since
        the last look (not a baseline that left meanwhile), or one failed to."""
        networks = _networks(pair)
        for network in networks:
            failure = getattr(network, "failure", None)
            if failure is not None and not any(failure is told for told in self._told):
                self._told.append(failure)
                self._worker.sigError.emit(
                    "The fast network could not be made, so training goes on on the quick "
                    f"start, more slowly: {failure}")
        self.seen = pair.preparing
        took_over = any(network is was for network in networks for was in self._preparing)
        self._preparing = [network for network in networks if network.preparing]
        if took_over and not self.seen:
            self._worker.sigNews.emit(READY_NEWS)
