"""Vertical lines on a curve plot at the steps where a setting changed during training."""

from __future__ import annotations

import pyqtgraph as pg
from PyQt5.QtCore import Qt

from dropviz.ui.style import MARKER_COLOUR

MAX_MARKERS = 40  # older ones go: a marker is about a recent change


class Markers:
    """The markers of one plot; with `labelled`, each line carries its text."""

    def __init__(self, plot: pg.PlotItem, labelled: bool) -> None:
        self._plot = plot
        self._labelled = labelled
        self._lines: list[tuple[pg.InfiniteLine, str]] = []

    def add(self, step: float, text: str, merge: bool = False) -> None:
        """A new marker; with `merge` (or at the same step) the last marker takes the new text,
        so dragging a slider leaves one marker, not fifty."""
        if self._lines and (merge or self._lines[-1][0].value() == step):
            line, _ = self._lines[-1]
            self._lines[-1] = (line, text)
            label = getattr(line, "label", None)  # InfiniteLine has it only when labelled
            if label is not None:
                label.setFormat(text)
            return
        pen = pg.mkPen(MARKER_COLOUR, width=1.5, style=Qt.DashLine)
        label_opts = {"position": 0.92, "color": MARKER_COLOUR, "anchors": [(0, 0.5), (0, 0.5)],
                      "fill": (255, 255, 255, 200)}
        line = pg.InfiniteLine(pos=step, angle=90, pen=pen,
                               label=text if self._labelled else None, labelOpts=label_opts)
        line.setZValue(-5)
        self._plot.addItem(line, ignoreBounds=True)
        self._lines.append((line, text))
        if len(self._lines) > MAX_MARKERS:
            old, _ = self._lines.pop(0)
            self._plot.removeItem(old)

    def items(self) -> list[tuple[float, str]]:
        return [(line.value(), text) for line, text in self._lines]

    def clear(self) -> None:
        for line, _ in self._lines:
            self._plot.removeItem(line)
        self._lines.clear()
