"""Test loss minus train loss over time: above the zero line the network is overfitting."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QWidget

from dropviz.ui.markers import Markers
from dropviz.ui.style import GAP_COLOUR, plain_axes, set_title


class GapView(pg.PlotWidget):
    """The gap is shaded against zero, so its size reads at a glance from across a room."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        plot = self.getPlotItem()
        set_title(plot, "Overfitting gap", "test loss minus train loss; above 0 = overfitting")
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
        self.markers = Markers(plot, labelled=False)

    def set_gap(self, steps: np.ndarray, gap: np.ndarray) -> None:
        self._curve.setData(steps, gap)

    def gap_data(self) -> tuple[np.ndarray, np.ndarray]:
        return self._curve.getOriginalDataset()

    def reset(self) -> None:
        self._curve.setData([], [])
        self.markers.clear()
        self.getPlotItem().enableAutoRange()
