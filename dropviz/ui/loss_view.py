"""Train and test curves against training steps: the loss, and the accuracy likewise.

Both are measured on the whole split with the test-time network (no dropout), so the two curves
are comparable and their gap is real overfitting, not dropout noise.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt5.QtWidgets import QWidget

from dropviz.ui.markers import Markers
from dropviz.ui.style import TEST_COLOUR, TRAIN_COLOUR, plain_axes, set_title

SERIES = (("train", TRAIN_COLOUR), ("test", TEST_COLOUR))
# The legend is in the subtitle, where it never covers a curve.
LEGEND = (f"<span style='color:{TRAIN_COLOUR}'><b>train</b></span> and "
          f"<span style='color:{TEST_COLOUR}'><b>test</b></span> split, test-time network")


class CurvesView(pg.PlotWidget):
    """Passive: the window sets the curves and adds markers; nothing here talks to other views."""

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
        self._curves = {}
        for key, (name, colour) in zip(keys, SERIES, strict=True):
            curve = plot.plot(name=name, pen=pg.mkPen(colour, width=2.5))
            curve.setClipToView(True)
            curve.setDownsampling(auto=True, method="peak")
            self._curves[key] = curve
        self.markers = Markers(plot, labelled=True)

    def set_curves(self, steps: np.ndarray, values: dict[str, np.ndarray]) -> None:
        for key, curve in self._curves.items():
            curve.setData(steps, values[key])

    def curve_data(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """All the points given, not only those in view."""
        return self._curves[key].getOriginalDataset()

    def reset(self) -> None:
        for curve in self._curves.values():
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
