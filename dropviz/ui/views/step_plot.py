"""What the plots against training steps share: axes, markers, pinned runs and the legend line
that names the run and its baseline.

The window state owns the markers and pins; a plot shows the lists it is given. A baseline trained
alongside is drawn dashed in the run's colours, pinned runs faint behind the live lines.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PyQt5.QtCore import Qt
from PyQt5.QtGui import QPen
from PyQt5.QtWidgets import QWidget

from dropviz.session.compare import run_label
from dropviz.session.snapshot import Curves, RunInfo, Snapshot
from dropviz.ui.style import plain_axes, set_title
from dropviz.ui.views.markers import Markers
from dropviz.ui.views.pinned_runs import PinnedRun, PinOverlay


class StepPlot(pg.PlotWidget):
    """Subclasses draw the run's and the baseline's lines from the snapshot's curves."""

    def __init__(self, title: str, note: str, y_label: str, labelled_markers: bool,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        plot = self.getPlotItem()
        self._title, self._note = title, note
        set_title(plot, title, note)
        plot.setLabel("bottom", "step")
        plot.setLabel("left", y_label)
        plot.showGrid(x=True, y=True, alpha=0.2)
        plot.setMenuEnabled(False)
        plain_axes(plot)
        self.markers = Markers(plot, labelled=labelled_markers)
        self.pins = PinOverlay(plot, self._pin_lines)
        self._compare = ""  # the baseline's label while one is shown
        self._named = ("", "")  # the run and the baseline the subtitle names

    def _line(self, pen: QPen, **options: object) -> pg.PlotDataItem:
        """A line for long curves: drawn only where in view, and thinned to the screen's pixels."""
        line = self.getPlotItem().plot(pen=pen, **options)
        line.setClipToView(True)
        line.setDownsampling(auto=True, method="peak")
        return line

    # --- the view protocol (view.py) ----------------------------------------------------------

    def run_started(self, info: RunInfo) -> None:
        self._show_run(None)
        self._show_baseline(None)
        self.getPlotItem().enableAutoRange()

    def draw(self, snapshot: Snapshot) -> None:
        self._show_run(snapshot.curves)
        if snapshot.baseline_curves is not None and self._compare:
            self._name_runs(run_label(snapshot.config), self._compare)
            self._show_baseline(snapshot.baseline_curves)

    def set_compare(self, label: str) -> None:
        self._compare = label
        if not label:
            self._show_baseline(None)
            self._name_runs("", "")

    def plot_widget(self) -> pg.GraphicsView:
        return self

    def has_plot(self) -> bool:
        return True

    # --- overlays from the window state ---------------------------------------------------------

    def show_markers(self, markers: Sequence[tuple[float, str]]) -> None:
        self.markers.show(markers)

    def show_pins(self, pins: list[PinnedRun]) -> None:
        self.pins.set_pins(pins)

    # --- for subclasses -----------------------------------------------------------------------

    def _name_runs(self, run: str, baseline: str) -> None:
        """Say in the subtitle which line is which; only on a change, as a new title re-lays out
        the plot."""
        if (run, baseline) == self._named:
            return
        self._named = (run, baseline)
        note = self._note if not baseline else f"{self._note}<br>solid: {run}, dashed: {baseline}"
        set_title(self.getPlotItem(), self._title, note)

    def _show_run(self, curves: Curves | None) -> None:
        """The run's lines; None removes them."""
        raise NotImplementedError

    def _show_baseline(self, curves: Curves | None) -> None:
        """The baseline's dashed lines; None removes them."""
        raise NotImplementedError

    def _pin_lines(self, pin: PinnedRun) -> list[tuple[np.ndarray, np.ndarray, Qt.PenStyle]]:
        """A pin's lines as (x, y, style), the first one carrying the legend entry."""
        raise NotImplementedError
