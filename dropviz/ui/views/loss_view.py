"""Train and test curves against training steps: the loss (cross-entropy), and the accuracy.

Both are measured on the whole split with the test-time network (no dropout), so the two curves
are comparable and their gap is real overfitting, not dropout noise.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QWidget

from dropviz.session.snapshot import Curves
from dropviz.ui.style import TEST_COLOUR, TRAIN_COLOUR
from dropviz.ui.views.pinned_runs import PinnedRun
from dropviz.ui.views.step_plot import StepPlot, set_curve

SERIES = (("train", TRAIN_COLOUR), ("test", TEST_COLOUR))
# The legend is in the subtitle, where it never covers a curve.
LEGEND = (f"<span style='color:{TRAIN_COLOUR}'><b>train</b></span> and "
          f"<span style='color:{TEST_COLOUR}'><b>test</b></span> split, test-time network")


class CurvesView(StepPlot):
    """The train and test curve of one measure: solid for the run, dashed for its baseline."""

    def __init__(self, title: str, y_label: str, keys: tuple[str, str],
                 parent: QWidget | None = None) -> None:
        super().__init__(title, LEGEND, y_label, labelled_markers=True, parent=parent)
        self.keys = keys
        self._curves = {}
        self._baseline = {}
        for key, (name, colour) in zip(keys, SERIES, strict=True):
            self._curves[key] = self._line(pg.mkPen(colour, width=2.5), name=name)
            self._baseline[key] = self._line(pg.mkPen(colour, width=2.0, style=Qt.DashLine))

    def _pin_lines(self, pin: PinnedRun) -> list[tuple[np.ndarray, np.ndarray, Qt.PenStyle]]:
        """Test solid (it carries the legend entry), train dotted."""
        train, test = self.keys
        return [(pin.steps, pin.columns[test], Qt.SolidLine),
                (pin.steps, pin.columns[train], Qt.DotLine)]

    def _show_run(self, curves: Curves | None) -> None:
        _set_lines(self._curves, curves)

    def _show_baseline(self, curves: Curves | None) -> None:
        _set_lines(self._baseline, curves)

    def curve_data(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """All the points given, not only those in view."""
        return self._curves[key].getOriginalDataset()

    def baseline_data(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        return self._baseline[key].getOriginalDataset()


def _set_lines(lines: dict[str, pg.PlotDataItem], curves: Curves | None) -> None:
    for key, line in lines.items():
        if curves is None:
            line.setData([], [])
        else:
            set_curve(line, curves[0], curves[1][key])


class LossView(CurvesView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Loss", "loss", ("train_loss", "test_loss"), parent)


class AccuracyView(CurvesView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Accuracy", "accuracy", ("train_acc", "test_acc"), parent)
