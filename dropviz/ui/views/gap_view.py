"""Test loss minus train loss over time: above the zero line the network is overfitting."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QWidget

from dropviz.session.snapshot import Curves
from dropviz.ui.style import GAP_COLOUR
from dropviz.ui.views.pinned_runs import PinnedRun
from dropviz.ui.views.step_plot import StepPlot, set_curve

NOTE = "test loss minus train loss; above 0 = overfitting"


class GapView(StepPlot):
    """The gap is shaded against zero, so its size reads at a glance from across a room.

    A baseline's gap is a dashed line in the same colour, unshaded; pinned runs' gaps are faint.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Overfitting gap", NOTE, "gap", labelled_markers=False, parent=parent)
        zero = pg.InfiniteLine(pos=0, angle=0, pen=pg.mkPen("#444444", width=1.5, style=Qt.DashLine))
        self.getPlotItem().addItem(zero)  # in range: the gap's sign is what the plot is about
        fill = pg.mkColor(GAP_COLOUR)
        fill.setAlpha(60)
        self._curve = self._line(pg.mkPen(pg.mkColor(GAP_COLOUR), width=2.5), fillLevel=0.0,
                                 brush=fill)
        self._baseline = self._line(pg.mkPen(pg.mkColor(GAP_COLOUR), width=2.0,
                                             style=Qt.DashLine))

    @staticmethod
    def _pin_lines(pin: PinnedRun) -> list[tuple[np.ndarray, np.ndarray, Qt.PenStyle]]:
        return [(pin.steps, pin.gap, Qt.SolidLine)]

    def _show_run(self, curves: Curves | None) -> None:
        _set_gap(self._curve, curves)

    def _show_baseline(self, curves: Curves | None) -> None:
        _set_gap(self._baseline, curves)

    def gap_data(self) -> tuple[np.ndarray, np.ndarray]:
        return self._curve.getOriginalDataset()

    def baseline_gap_data(self) -> tuple[np.ndarray, np.ndarray]:
        return self._baseline.getOriginalDataset()


def _set_gap(line: pg.PlotDataItem, curves: Curves | None) -> None:
    if curves is None:
        line.setData([], [])
    else:
        steps, columns = curves
        set_curve(line, steps, columns["test_loss"] - columns["train_loss"])
