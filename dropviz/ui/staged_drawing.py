"""A snapshot drawn into the views one group at a time, each group in its own turn of the event loop.

Every plot is a scene of its own, and Qt repaints each one in an event of its own; a snapshot
drawn in one go queued all of them back to back, and Qt sent them all before it looked at a key
press or a timer again: 35-55 ms at the top speed. Drawn a group a turn, the window answers in
between. A round draws the same snapshot into every group, so the views never disagree once it
ends; snapshots that arrive meanwhile are not queued: the next round draws the newest. The window
asks for the next snapshot when a round starts, so the worker makes it while the round draws.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PyQt5.QtCore import QObject, QTimer, pyqtSignal

from dropviz.session.snapshot import Snapshot

Stage = Callable[[Snapshot], None]


class StagedDrawing(QObject):
    sigStarted = pyqtSignal(object)  # a round takes this snapshot; a newer one may come meanwhile
    sigDrawn = pyqtSignal(object)  # the snapshot every view now shows

    def __init__(self, stages: Sequence[Stage], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._stages = tuple(stages)
        self._newest: Snapshot | None = None
        self._round: Snapshot | None = None  # what the round in progress draws
        self._next_stage = 0
        self._turn = QTimer(self)
        self._turn.setSingleShot(True)
        self._turn.setInterval(0)
        self._turn.timeout.connect(self._run_stage)

    def draw(self, snapshot: Snapshot) -> None:
        """Start a round now, or leave `snapshot` for the next one if a round is in progress."""
        self._newest = snapshot
        if self._round is None and not self._turn.isActive():
            self._run_stage()

    def is_idle(self) -> bool:
        """Every view shows the newest snapshot."""
        return self._round is None and not self._turn.isActive()

    def cancel(self) -> None:
        """A new run: what is left to draw belongs to the old one."""
        self._turn.stop()
        self._newest = self._round = None
        self._next_stage = 0

    def _run_stage(self) -> None:
        """One stage; a stage that raises (shown as an error) still leaves the others to run, or
        the window would stop acknowledging snapshots and the worker stop sending them."""
        if self._round is None:
            if self._newest is None:
                return
            self._round = self._newest
            self.sigStarted.emit(self._round)
        stage = self._stages[self._next_stage]
        self._next_stage += 1
        try:
            stage(self._round)
        finally:
            if self._next_stage < len(self._stages):
                self._turn.start()
            else:
                self._end_round()

    def _end_round(self) -> None:
        drawn, self._round, self._next_stage = self._round, None, 0
        if self._newest is not drawn:
            self._turn.start()
        self.sigDrawn.emit(drawn)
