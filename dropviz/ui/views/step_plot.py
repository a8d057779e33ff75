"""What the plots against training steps share: axes, markers, pinned runs and the legend line
that names the run and its baseline.

The window state owns the markers and pins; a plot shows the lists it is given. A baseline trained
alongside is drawn dashed in the run's colours, pinned runs faint behind the live lines.

The first frame, step 0 before any training, is what a class sees first: one evaluation, which a
line cannot draw. Each curve shows it as a point, and the step axis runs from 0 to FIRST_STEPS
until training passes them (pyqtgraph's automatic range around a single point was -0.4 to 0.4,
which looked broken); the values' axis fits the points as it always does.
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

FIRST_STEPS = 100  # the step axis spans at least these, as the mask raster does
POINT_SIZE = 9


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
        self._steps_framed = False  # the step axis is held at 0..FIRST_STEPS, see _frame_steps

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
        self._steps_framed = False
        self.getPlotItem().enableAutoRange()

    def draw(self, snapshot: Snapshot) -> None:
        self._frame_steps(snapshot.curves[0])
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

    def _frame_steps(self, steps: np.ndarray) -> None:
        """Hold the step axis at 0..FIRST_STEPS while the run is younger; then follow the curves
        again, unless the user has moved the view meanwhile."""
        view = self.getPlotItem().getViewBox()
        last = float(steps[-1]) if steps.size else 0.0
        if last < FIRST_STEPS:
            if self._steps_framed or view.autoRangeEnabled()[0]:
                view.setXRange(-FIRST_STEPS * 0.03, FIRST_STEPS, padding=0)
                self._steps_framed = True
        elif self._steps_framed:
            self._steps_framed = False
            view.enableAutoRange(axis=pg.ViewBox.XAxis)

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


def set_curve(line: pg.PlotDataItem, x: np.ndarray, y: np.ndarray) -> None:
    """A curve's points; a curve of one point (step 0) shows it as a dot in the line's colour."""
    symbol = "o" if len(x) == 1 else None
    if line.opts["symbol"] != symbol:
        colour = pg.mkPen(line.opts["pen"]).color()
        line.setSymbol(symbol)
        line.setSymbolSize(POINT_SIZE)
        line.setSymbolPen(colour)
        line.setSymbolBrush(colour if pg.mkPen(line.opts["pen"]).style() == Qt.SolidLine else "w")
    line.setData(x, y)
