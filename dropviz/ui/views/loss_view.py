"""Train and test curves against training steps: the loss, and the accuracy likewise.

Both are measured on the whole split with the test-time network (no dropout), so the two curves
are comparable and their gap is real overfitting, not dropout noise.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QWidget

from dropviz.ui.style import TEST_COLOUR, TRAIN_COLOUR, plain_axes, set_title
from dropviz.ui.views.markers import Markers
from dropviz.ui.views.pinned_runs import PinnedRun, PinOverlay

SERIES = (("train", TRAIN_COLOUR), ("test", TEST_COLOUR))
# The legend is in the subtitle, where it never covers a curve.
LEGEND = (f"<span style='color:{TRAIN_COLOUR}'><b>train</b></span> and "
          f"<span style='color:{TEST_COLOUR}'><b>test</b></span> split, test-time network")


class CurvesView(pg.PlotWidget):
    """Passive: the window sets the curves and adds markers; nothing here talks to other views.

    A baseline trained alongside is drawn dashed in the same colours; pinned runs are faint.
    """

    def __init__(self, title: str, y_label: str, keys: tuple[str, str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        plot = self.getPlotItem()
        set_title(plot, title, LEGEND)
        plot.setLabel("bottom", "step")
        plot.setLabel("left", y_label)
        plot.showGrid(x=True, y=True, alpha=0.2)
        plot.setMenuEnabled(False)
        plain_axes(plot)
        self.keys = keys
        self._title = title
        self._curves = {}
        self._baseline = {}
        for key, (name, colour) in zip(keys, SERIES, strict=True):
            curve = plot.plot(name=name, pen=pg.mkPen(colour, width=2.5))
            curve.setClipToView(True)
            curve.setDownsampling(auto=True, method="peak")
            self._curves[key] = curve
            baseline = plot.plot(pen=pg.mkPen(colour, width=2.0, style=Qt.DashLine))
            baseline.setClipToView(True)
            baseline.setDownsampling(auto=True, method="peak")
            self._baseline[key] = baseline
        self.markers = Markers(plot, labelled=True)
        self.pins = PinOverlay(plot, self._pin_lines)

    def _pin_lines(self, pin: PinnedRun) -> list[tuple[np.ndarray, np.ndarray, Qt.PenStyle]]:
        """Test solid (it carries the legend entry), train dotted."""
        train, test = self.keys
        return [(pin.steps, pin.columns[test], Qt.SolidLine),
                (pin.steps, pin.columns[train], Qt.DotLine)]

    def set_compare(self, run: str, baseline: str) -> None:
        """Say in the subtitle which line is which; an empty `baseline` when not comparing."""
        note = LEGEND if not baseline else f"{LEGEND}<br>solid: {run}, dashed: {baseline}"
        set_title(self.getPlotItem(), self._title, note)

    def set_baseline(self, steps: np.ndarray | None,
                     values: dict[str, np.ndarray] | None) -> None:
        """The baseline's curves; None removes them."""
        for key, curve in self._baseline.items():
            if values is None:
                curve.setData([], [])
            else:
                curve.setData(steps, values[key])

    def baseline_data(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        return self._baseline[key].getOriginalDataset()

    def set_curves(self, steps: np.ndarray, values: dict[str, np.ndarray]) -> None:
        for key, curve in self._curves.items():
            curve.setData(steps, values[key])

    def curve_data(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """All the points given, not only those in view."""
        return self._curves[key].getOriginalDataset()

    def reset(self) -> None:
        for curve in (*self._curves.values(), *self._baseline.values()):
            curve.setData([], [])
        self.markers.clear()
        self.getPlotItem().enableAutoRange()


class LossView(CurvesView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Loss", "cross-entropy",
                         ("train_loss", "test_loss"), parent)


class AccuracyView(CurvesView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Accuracy", "fraction correct",
                         ("train_acc", "test_acc"), parent)
