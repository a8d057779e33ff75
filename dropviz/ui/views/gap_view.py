"""Test loss minus train loss over time: above the zero line the network is overfitting."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QWidget

from dropviz.ui.style import GAP_COLOUR, plain_axes, set_title
from dropviz.ui.views.markers import Markers
from dropviz.ui.views.pinned_runs import PinnedRun, PinOverlay

NOTE = "test loss minus train loss; above 0 = overfitting"


class GapView(pg.PlotWidget):
    """The gap is shaded against zero, so its size reads at a glance from across a room.

    A baseline's gap is a dashed line in the same colour, unshaded; pinned runs' gaps are faint.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        plot = self.getPlotItem()
        set_title(plot, "Overfitting gap", NOTE)
        plot.setLabel("bottom", "step")
        plot.setLabel("left", "gap")
        plot.showGrid(x=True, y=True, alpha=0.2)
        plot.setMenuEnabled(False)
        plain_axes(plot)
        zero = pg.InfiniteLine(pos=0, angle=0, pen=pg.mkPen("#444444", width=1.5, style=Qt.DashLine))
        plot.addItem(zero, ignoreBounds=True)
        colour = pg.mkColor(GAP_COLOUR)
        fill = pg.mkColor(GAP_COLOUR)
        fill.setAlpha(60)
        self._curve = plot.plot(pen=pg.mkPen(colour, width=2.5), fillLevel=0.0, brush=fill)
        self._curve.setClipToView(True)
        self._curve.setDownsampling(auto=True, method="peak")
        self._baseline = plot.plot(pen=pg.mkPen(colour, width=2.0, style=Qt.DashLine))
        self._baseline.setClipToView(True)
        self._baseline.setDownsampling(auto=True, method="peak")
        self.markers = Markers(plot, labelled=False)
        self.pins = PinOverlay(plot, self._pin_lines)

    @staticmethod
    def _pin_lines(pin: PinnedRun) -> list[tuple[np.ndarray, np.ndarray, Qt.PenStyle]]:
        return [(pin.steps, pin.gap, Qt.SolidLine)]

    def set_compare(self, run: str, baseline: str) -> None:
        """Say in the subtitle which line is which; an empty `baseline` when not comparing."""
        note = NOTE if not baseline else f"{NOTE}<br>solid: {run}, dashed: {baseline}"
        set_title(self.getPlotItem(), "Overfitting gap", note)

    def set_baseline_gap(self, steps: np.ndarray | None, gap: np.ndarray | None) -> None:
        """The baseline's gap; None removes it."""
        self._baseline.setData([] if steps is None else steps, [] if gap is None else gap)

    def baseline_gap_data(self) -> tuple[np.ndarray, np.ndarray]:
        return self._baseline.getOriginalDataset()

    def set_gap(self, steps: np.ndarray, gap: np.ndarray) -> None:
        self._curve.setData(steps, gap)

    def gap_data(self) -> tuple[np.ndarray, np.ndarray]:
        return self._curve.getOriginalDataset()

    def reset(self) -> None:
        self._curve.setData([], [])
        self._baseline.setData([], [])
        self.markers.clear()
        self.getPlotItem().enableAutoRange()
