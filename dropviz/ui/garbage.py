"""Python's cycle collector, run on the GUI thread only, and never a full pass while training.

Python collects cycles in whichever thread is allocating when a collection is due. Qt objects in a
cycle (a closed window, a replaced plot item) were then destroyed on the build or compile thread,
which Qt does not allow: it crashed the process now and then. So automatic collection is off and a
GUI timer collects instead, as pyqtgraph's `GarbageCollector` does; unlike that one, the full pass
(200-270 ms once the compiled networks are loaded, a visible freeze) waits until the window is not
training. Training itself makes little cyclic garbage, so little waits.

Building a network is different: it makes hundreds of thousands of objects, most of which stay
with the compiled network, and a pass over them took 60-150 ms of the GUI thread, which also held
the interpreter lock the build needs (a start took 0.2-0.3 s longer). So a young generation that
large is frozen instead (`gc.freeze`, which traverses nothing), and what of it is garbage is
collected with the next full pass, which unfreezes it first.
"""

from __future__ import annotations

import gc
from collections.abc import Callable

from PyQt5.QtCore import QTimer

INTERVAL_MS = 1000
FREEZE_OVER = 50_000  # young objects: a build or a compile made them (training makes few)


class GuiGarbageCollector:
    """Keep it for as long as the application runs; `stop` gives collection back to Python."""

    def __init__(self, busy: Callable[[], bool] = lambda: False) -> None:
        self.busy = busy  # True while a full pass would freeze something the user watches
        self._thresholds = gc.get_threshold()
        gc.disable()
        self.timer = QTimer()
        self.timer.timeout.connect(self.check)
        self.timer.start(INTERVAL_MS)

    def check(self) -> None:
        young, middle, old = gc.get_count()
        if young > FREEZE_OVER:
            gc.freeze()
        elif young > self._thresholds[0]:
            gc.collect(0)
        if middle > self._thresholds[1]:
            gc.collect(1)
        if old > self._thresholds[2] and not self.busy():
            gc.unfreeze()
            gc.collect(2)

    def stop(self) -> None:
        self.timer.stop()
        gc.unfreeze()
        gc.enable()
