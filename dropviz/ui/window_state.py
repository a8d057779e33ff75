"""The window's state, kept in one place: the settings in force as the window knows them, the run
and the snapshot it shows, the live-change markers and the pinned runs.

Controls edit it, views and file actions read it, and nothing on the GUI thread keeps a copy of
its own. The worker owns the trainer's Config on its side of the thread; the two meet by signals
only: an edit goes to the worker (`sigEdited`), and what the worker puts in force instead (a
refused change, an opened experiment, a preset's run) is set here and shown (`sigConfig`).
"""

from __future__ import annotations

import math
import time

from PyQt5.QtCore import QObject, pyqtSignal

from dropviz.model.config import Config
from dropviz.session.run_record import RestoredWindow
from dropviz.session.snapshot import RunInfo, Snapshot
from dropviz.ui.views.pinned_runs import PinnedRun, pin_of

MERGE_MARKERS_SECONDS = 0.5  # changes closer than this (a slider drag) share one marker
MAX_MARKERS = 40  # older ones go: a marker is about a recent change

Marker = tuple[float, str]  # the step of a live change, and what changed


class WindowState(QObject):
    sigConfig = pyqtSignal(object)  # the Config to show: set or edited, also when unchanged
    sigEdited = pyqtSignal(object)  # a Config the user made, for the worker
    sigMarkers = pyqtSignal(object)  # the list of markers, after every change
    sigPins = pyqtSignal(object)  # the list of pinned runs, after every change

    def __init__(self, config: Config, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.config = config  # what the controls show and the worker was last told
        self.run_info: RunInfo | None = None
        self.snapshot: Snapshot | None = None  # the one every view shows
        self.markers: list[Marker] = []
        self.pins: list[PinnedRun] = []
        self._last_marker_time = -math.inf

    # --- the settings -------------------------------------------------------------------------

    def edit(self, config: Config) -> None:
        """The user's edit: sent on if it changes anything, shown either way (a widget that
        enables another, like the noise box for a generated set, follows the whole config)."""
        changed = config != self.config
        self.config = config
        if changed:
            self.sigEdited.emit(config)
        self.sigConfig.emit(config)

    def set_config(self, config: Config) -> None:
        """Settings the worker put in force (or is about to): shown, not sent back."""
        self.config = config
        self.sigConfig.emit(config)

    # --- the run ------------------------------------------------------------------------------

    def run_started(self, info: RunInfo) -> None:
        """A new run starts without markers: they were about the old one's curves."""
        self.run_info = info
        self._set_markers([])

    def drawn(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot

    def restore(self, restored: RestoredWindow) -> None:
        """An opened experiment's settings and markers, as they were when it was saved."""
        self.set_config(restored.config)
        markers: list[Marker] = []
        for step, text in restored.markers:
            _add_marker(markers, step, text, merge=False)
        self._set_markers(markers)

    # --- markers ------------------------------------------------------------------------------

    def live_change(self, step: int, text: str) -> None:
        """A marker at `step`; one close in time to the last takes its place, so dragging a
        slider leaves one marker, not fifty."""
        now = time.monotonic()
        merge = now - self._last_marker_time < MERGE_MARKERS_SECONDS
        self._last_marker_time = now
        markers = list(self.markers)
        _add_marker(markers, step, text, merge)
        self._set_markers(markers)

    def _set_markers(self, markers: list[Marker]) -> None:
        self.markers = markers
        self.sigMarkers.emit(list(markers))

    # --- pins ---------------------------------------------------------------------------------

    def pin(self) -> PinnedRun | None:
        """Pin the curves of the snapshot shown; None when there is nothing to pin yet."""
        if self.snapshot is None:
            return None
        pin = pin_of(self.snapshot.config, *self.snapshot.curves, self.pins)
        self._set_pins([*self.pins, pin])
        return pin

    def unpin(self, pin: PinnedRun) -> None:
        self._set_pins([known for known in self.pins if known is not pin])

    def clear_pins(self) -> None:
        self._set_pins([])

    def _set_pins(self, pins: list[PinnedRun]) -> None:
        self.pins = pins
        self.sigPins.emit(list(pins))


def _add_marker(markers: list[Marker], step: float, text: str, merge: bool) -> None:
    """With `merge`, or at the same step, the last marker takes the new text and keeps its step."""
    if markers and (merge or markers[-1][0] == step):
        markers[-1] = (markers[-1][0], text)
        return
    markers.append((float(step), text))
    del markers[:-MAX_MARKERS]
