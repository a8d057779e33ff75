"""The regularizers' own pictures, per hidden unit: how long each unit's incoming weight vector is
(max-norm's business), and, with batch norm, how far its training variance is from its test one.

Left: a histogram of every hidden unit's incoming weight norm, live, with the max-norm limit c as
a line: with the limit on, the units pile up against it. Right, only when the network has batch
norm: per unit of the first normalised layer, the running variance learnt in training divided by
the variance the layer meets at test time on the test set (Li et al. 2019). 1 is no shift; with
the dropout mask before the normalisation it sits well above 1 (measured: 1.9-2.5 on average at
p = 0.5, tests/model/test_batch_norm.py).

The view shows itself only while a run uses a weight penalty, max-norm or batch norm: the window's
bottom row has room for three plots on a 1024-pixel screen, not four, and without those settings
the norms are not what the run is about.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QWidget

from dropviz.model.results import RECURRENT_KINDS, NetworkLayout
from dropviz.model.unit_stats import unit_norms, variance_shift
from dropviz.session.snapshot import RunInfo, Snapshot
from dropviz.ui.style import GAP_COLOUR, TRAIN_COLOUR, plain_axes, set_title

BINS = 30
MAX_SHIFT_UNITS = 64  # bars beyond this would be thinner than a pixel in the view's width


def _norms(layout: NetworkLayout, weights: dict[str, np.ndarray]) -> np.ndarray:
    """Every hidden unit's incoming weight norm: a dense layer's column of W, a recurrent layer's
    gate unit's columns of Wx and Wh together, as max-norm limits them."""
    parts = list(unit_norms(layout, weights).values())
    for layer in layout.layers:
        if layer.kind in RECURRENT_KINDS:
            w_x, w_h = (weights[param.name] for param in layer.params[:2])
            parts.append(np.sqrt((w_x**2).sum(axis=0) + (w_h**2).sum(axis=0)))
    return np.concatenate(parts) if parts else np.empty(0)


class UnitsView(pg.GraphicsLayoutWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._norms_plot = self.addPlot(row=0, col=0)
        plain_axes(self._norms_plot)
        self._norms_plot.setMenuEnabled(False)
        self._norms_plot.setLabel("bottom", "|w| into a unit")
        fill = pg.mkColor(TRAIN_COLOUR)
        fill.setAlpha(90)
        self._histogram = pg.PlotCurveItem([0.0, 1.0], [0.0], stepMode="center", fillLevel=0, brush=fill,
                                           pen=pg.mkPen(TRAIN_COLOUR, width=1.5))
        self._norms_plot.addItem(self._histogram)
        self._limit = pg.InfiniteLine(angle=90, pen=pg.mkPen(GAP_COLOUR, width=2, style=Qt.DashLine))
        self._norms_plot.addItem(self._limit)
        self._shift_plot = self.addPlot(row=0, col=1)
        plain_axes(self._shift_plot)
        self._shift_plot.setMenuEnabled(False)
        self._shift_plot.setLabel("bottom", "unit of hidden1")
        self._shift_plot.addItem(pg.InfiniteLine(pos=1.0, angle=0, pen=pg.mkPen("#444444", width=1.2,
                                                                                style=Qt.DashLine)))
        self._shift_bars = pg.BarGraphItem(x=[], height=[], width=0.8, brush=GAP_COLOUR)
        self._shift_plot.addItem(self._shift_bars)
        set_title(self._shift_plot, "Variance shift", "train ÷ test; 1 = none")
        self._layout: NetworkLayout | None = None
        self.setVisible(False)
        self._X_test = np.empty((0, 0))
        self._title = ""
        self._heights = np.empty(0)
        self._counts = np.empty(0)
        self._wanted = False

    # --- the view protocol (view.py) ----------------------------------------------------------

    def run_started(self, info: RunInfo) -> None:
        self._layout = info.layout
        self._X_test = info.X_test
        self._shift_plot.setVisible(bool(info.layout.of_kind("batch_norm")))
        self._histogram.setData([0.0, 1.0], [0.0])
        self._shift_bars.setOpts(x=[], height=[])
        self._title = ""

    def draw(self, snapshot: Snapshot) -> None:
        if self._layout is None:
            return
        config = snapshot.config
        wanted = (config.max_norm is not None or config.l1 > 0 or config.l2 > 0
                  or bool(self._layout.of_kind("batch_norm")))
        if wanted != self._wanted:
            self._wanted = wanted
            self.setVisible(wanted)
        if not wanted:
            return
        norms = _norms(self._layout, snapshot.weights)
        norms = norms[np.isfinite(norms)]
        limit = snapshot.config.max_norm
        top = max(float(norms.max()) if norms.size else 1.0, limit or 0.0) * 1.05 or 1.0
        self._counts, edges = np.histogram(norms, bins=BINS, range=(0.0, top))
        self._histogram.setData(edges, self._counts)
        self._norms_plot.setYRange(0, max(int(self._counts.max()), 1) * 1.1, padding=0)
        self._limit.setVisible(limit is not None)
        if limit is not None:
            self._limit.setPos(limit)
        title = f"line: c = {limit:g}" if limit is not None else "max-norm off"
        if title != self._title:  # a new title re-lays out the view: only on a change
            self._title = title
            set_title(self._norms_plot, "Weight norms", title)
        if self._shift_plot.isVisible() and len(self._X_test):
            self._draw_shift(snapshot)

    def _draw_shift(self, snapshot: Snapshot) -> None:
        shift = variance_shift(self._layout, snapshot.weights, snapshot.config, self._X_test)
        running, test = next(iter(shift.values()))
        ratio = running / np.maximum(test, 1e-12)
        self._heights = np.where(np.isfinite(ratio), ratio, 0.0)[:MAX_SHIFT_UNITS]
        self._shift_bars.setOpts(x=np.arange(len(self._heights)), height=self._heights)

    def set_compare(self, label: str) -> None:
        """Only the run's units are drawn."""

    def plot_widget(self) -> pg.GraphicsView:
        return self

    def has_plot(self) -> bool:
        return self._layout is not None and self._wanted

    def wanted(self) -> bool:
        """Whether the run uses what this view is about (and the view is shown)."""
        return self._wanted

    # ---------------------------------------------------------------------------------------------

    def norm_counts(self) -> np.ndarray:
        """The histogram's counts as drawn: one per bin."""
        return self._counts

    def shift_ratios(self) -> np.ndarray:
        """Training ÷ test variance per shown unit of the first normalised layer."""
        return self._heights
