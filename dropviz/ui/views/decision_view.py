"""What the network predicts over the plane, with the data on top: only for 2-D data.

The colour is the predicted class and its strength the network's confidence, so for two classes
this is a diverging map of P(class 1) around the white boundary, and it reads the same way for three
or more classes. Training points are filled, test points hollow: test points on the wrong colour
are the errors that overfitting makes.

While a baseline trains alongside, a second map shows its predictions and each map's heading says
whose it is.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt5.QtCore import QRectF, Qt
from PyQt5.QtWidgets import QLabel, QStackedWidget, QWidget

from dropviz.model.results import DecisionGrid
from dropviz.session.compare import run_label
from dropviz.session.snapshot import RunInfo, Snapshot
from dropviz.ui.style import class_colour, plain_axes, set_title

STRENGTH = 0.8  # the most confident colour stays light enough for the points to stand out
UNKNOWN = 200  # grey where the probabilities are not numbers (a diverged network)
MAIN_HEADING = "Decision map"
NOTE = ("colour: predicted class, strength: confidence<br>points: train filled, test hollow; "
        "axes: standardised")
SHORT_NOTE = "points: train filled, test hollow"


def probability_image(probs: np.ndarray) -> np.ndarray:
    """(rows, cols, classes) probabilities -> (rows, cols, 3) uint8 colours."""
    classes = probs.shape[-1]
    palette = np.array([pg.mkColor(class_colour(k)).getRgb()[:3] for k in range(classes)], float)
    winner = np.nan_to_num(probs, nan=0.0).argmax(axis=-1)
    confidence = (probs.max(axis=-1) - 1.0 / classes) / (1.0 - 1.0 / classes)
    weight = (STRENGTH * np.clip(confidence, 0.0, 1.0))[..., None]
    rgb = 255.0 * (1.0 - weight) + palette[winner] * weight
    rgb[~np.isfinite(probs).all(axis=-1)] = UNKNOWN
    return rgb.round().astype(np.uint8)


def _scatter(filled: bool) -> pg.ScatterPlotItem:
    return pg.ScatterPlotItem(size=9 if filled else 10, pxMode=True, symbol="o")


class DecisionView(QStackedWidget):
    """The run's map; for data that is not 2-D, a message saying why there is none."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._plot_widget = pg.PlotWidget()
        plot = self._plot_widget.getPlotItem()
        set_title(plot, MAIN_HEADING, NOTE)
        plot.setLabel("bottom", "x1")  # short, to fit a small map in lecture mode; the note
        plot.setLabel("left", "x2")  # says the axes are standardised
        plot.setMenuEnabled(False)
        plot.setAspectLocked(True)
        plain_axes(plot)
        self._image = pg.ImageItem(axisOrder="row-major")
        self._train = _scatter(filled=True)
        self._test = _scatter(filled=False)
        plot.addItem(self._image)
        plot.addItem(self._train)
        plot.addItem(self._test)
        self._message = QLabel()
        self._message.setAlignment(Qt.AlignCenter)
        self._message.setWordWrap(True)
        self._message.setStyleSheet("font-size: 13pt; color: #444; padding: 30px;")
        self.addWidget(self._plot_widget)
        self.addWidget(self._message)
        self._grid: DecisionGrid | None = None
        self._compare = ""  # the baseline's label while one is shown
        self._heading = MAIN_HEADING

    # --- the view protocol (view.py) ----------------------------------------------------------

    def run_started(self, info: RunInfo) -> None:
        self._grid = None
        self._image.clear()
        self._show_for(info)
        if not info.is_2d:
            self._message.setText(
                f"The decision map needs 2-D data, so that every point of the plane is an input. "
                f"{info.dataset_name} has {info.n_features} features.\n\nChoose moons, circles, "
                "xor, spiral or blobs in the Dataset panel to see the network's decision "
                "boundary change as it trains.")
            self.setCurrentWidget(self._message)
            return
        self.setCurrentWidget(self._plot_widget)
        self._train.setData(*info.X_train.T, brush=[class_colour(k) for k in info.y_train],
                            pen=pg.mkPen("w", width=1))
        self._test.setData(*info.X_test.T, brush=pg.mkBrush(255, 255, 255, 230),
                           pen=[pg.mkPen(class_colour(k), width=2.2) for k in info.y_test])

    def _show_for(self, info: RunInfo) -> None:
        """A recurrent run's hidden states (states_view.py) take the map's place."""
        self.setVisible(not info.config.recurrent)

    def draw(self, snapshot: Snapshot) -> None:
        if self._compare and snapshot.baseline_evaluation is not None:
            self._set_heading(f"This run: {run_label(snapshot.config)}")
        self._set_grid(snapshot.grid)

    def set_compare(self, label: str) -> None:
        self._compare = label
        if not label:
            self._set_heading(MAIN_HEADING)

    def plot_widget(self) -> pg.GraphicsView:
        return self._plot_widget

    def has_plot(self) -> bool:
        return self.currentWidget() is self._plot_widget

    # ---------------------------------------------------------------------------------------------

    def _set_grid(self, grid: DecisionGrid | None) -> None:
        """A grid the view already shows is not redrawn: the worker resends it between updates."""
        if grid is None or grid is self._grid:
            return
        self._grid = grid
        self._image.setImage(probability_image(grid.probs), autoLevels=False, levels=(0, 255))
        dx = (grid.xs[-1] - grid.xs[0]) / (len(grid.xs) - 1)
        dy = (grid.ys[-1] - grid.ys[0]) / (len(grid.ys) - 1)
        self._image.setRect(QRectF(grid.xs[0] - dx / 2, grid.ys[0] - dy / 2,
                                   dx * len(grid.xs), dy * len(grid.ys)))

    def _set_heading(self, heading: str) -> None:
        """Two maps side by side say whose each is, with a shorter note to fit; only on a change,
        as a new title re-lays out the plot."""
        if heading != self._heading:
            self._heading = heading
            set_title(self._plot_widget.getPlotItem(), heading,
                      NOTE if heading == MAIN_HEADING else SHORT_NOTE)

    def message(self) -> str:
        return self._message.text()

    def image(self) -> np.ndarray | None:
        return self._image.image


class BaselineDecisionView(DecisionView):
    """The baseline's map, beside the run's while comparing 2-D data (the window shows it then)."""

    def _show_for(self, info: RunInfo) -> None:
        """The window decides when the baseline's map shows."""

    def draw(self, snapshot: Snapshot) -> None:
        if self._compare and snapshot.baseline_evaluation is not None:
            self._set_grid(snapshot.baseline_grid)

    def set_compare(self, label: str) -> None:
        self._compare = label
        if label:
            self._set_heading(f"Baseline: {label}")
