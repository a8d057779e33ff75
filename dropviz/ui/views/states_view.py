"""A recurrent network's hidden state over the time steps of one test sequence, as it trains.

One plot per recurrent layer: each curve is one unit's test-time state (no dropout) after each time
step of the same test sequence, so the class watches the state settle into a trajectory that tells
the classes apart, and the output reads its last point. The worker computes the states with the
snapshot (`Snapshot.states`); this view only draws them. It shows itself only for a recurrent run,
in the place of the decision map, which needs 2-D data.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt5.QtWidgets import QWidget

from dropviz.model.results import RECURRENT_KINDS
from dropviz.session.snapshot import SEQUENCE_ROW, RunInfo, Snapshot
from dropviz.ui.style import plain_axes, set_title

MAX_CURVES = 12  # more lines than this read as one grey band


class StatesView(pg.GraphicsLayoutWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._curves: dict[str, list[pg.PlotDataItem]] = {}
        self._shown: dict[str, np.ndarray] = {}
        self._drawn: dict[str, np.ndarray] = {}
        self.setVisible(False)

    # --- the view protocol (view.py) ----------------------------------------------------------

    def run_started(self, info: RunInfo) -> None:
        self.clear()
        self._curves, self._shown, self._drawn = {}, {}, {}
        layers = [layer for layer in info.layout.layers if layer.kind in RECURRENT_KINDS]
        self.setVisible(bool(layers))
        if not layers:
            return
        steps = info.config.dataset.steps_per_row
        label = info.classes[int(info.y_test[SEQUENCE_ROW])] if len(info.y_test) else "?"
        for row, layer in enumerate(layers):
            plot = self.addPlot(row=row, col=0)
            plain_axes(plot)
            plot.setMenuEnabled(False)
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            plot.setXRange(1, steps, padding=0.02)
            plot.setYRange(-1.05, 1.05, padding=0)
            plot.setLabel("left", f"state of {layer.name}")
            if row == len(layers) - 1:
                plot.setLabel("bottom", "time step")
            shown = np.unique(np.linspace(0, layer.units - 1, min(layer.units, MAX_CURVES))
                              .round().astype(int))
            self._shown[layer.name] = shown
            self._curves[layer.name] = [
                plot.plot(pen=pg.mkPen(pg.intColor(index, len(shown), maxValue=200), width=1.6),
                          symbol="o", symbolSize=4, symbolPen=None,
                          symbolBrush=pg.intColor(index, len(shown), maxValue=200))
                for index in range(len(shown))]
            if row == 0:
                shown_note = (f"{len(shown)} of {layer.units} units" if len(shown) < layer.units
                              else f"each of its {layer.units} units")
                set_title(plot, "Hidden state over time",
                          f"test sequence {SEQUENCE_ROW + 1} (class {label}): {shown_note}, "
                          "no dropout")

    def draw(self, snapshot: Snapshot) -> None:
        for name, curves in self._curves.items():
            states = snapshot.states.get(name)
            if states is None:
                continue
            drawn = states[:, self._shown[name]]
            self._drawn[name] = drawn
            steps = np.arange(1, len(drawn) + 1)
            finite = np.where(np.isfinite(drawn), drawn, 0.0)
            for curve, values in zip(curves, finite.T, strict=True):
                curve.setData(steps, values)

    def set_compare(self, label: str) -> None:
        """Only the run's states are drawn."""

    def plot_widget(self) -> pg.GraphicsView:
        return self

    def has_plot(self) -> bool:
        return bool(self._curves)

    # ---------------------------------------------------------------------------------------------

    def drawn(self, name: str) -> np.ndarray:
        """The states drawn for a layer, (time, shown units)."""
        return self._drawn[name]

    def shown_units(self, name: str) -> np.ndarray:
        return self._shown[name]
