"""Vertical lines on a curve plot at the steps where a setting changed during training.

The window state keeps the markers (and merges those of a slider drag); a plot shows its list.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyqtgraph as pg
from PyQt5.QtCore import Qt

from dropviz.ui.style import MARKER_COLOUR


class Markers:
    """The marker lines of one plot; with `labelled`, each line carries its text."""

    def __init__(self, plot: pg.PlotItem, labelled: bool) -> None:
        self._plot = plot
        self._labelled = labelled
        self._lines: list[tuple[pg.InfiniteLine, str]] = []

    def show(self, markers: Sequence[tuple[float, str]]) -> None:
        """Show exactly `markers`, (step, text) each; lines already there are moved and
        relabelled rather than made again, since a slider drag changes the last one many times."""
        for index, (step, text) in enumerate(markers):
            if index == len(self._lines):
                self._lines.append((self._new_line(step, text), text))
                continue
            line, shown = self._lines[index]
            if line.value() != step:
                line.setValue(step)
            if text != shown:
                self._lines[index] = (line, text)
                if self._labelled:
                    line.label.setFormat(text)
        for line, _ in self._lines[len(markers):]:
            self._plot.removeItem(line)
        del self._lines[len(markers):]

    def _new_line(self, step: float, text: str) -> pg.InfiniteLine:
        pen = pg.mkPen(MARKER_COLOUR, width=1.5, style=Qt.DashLine)
        label_opts = {"position": 0.92, "color": MARKER_COLOUR, "anchors": [(0, 0.5), (0, 0.5)],
                      "fill": (255, 255, 255, 200)}
        line = pg.InfiniteLine(pos=step, angle=90, pen=pen,
                               label=text if self._labelled else None, labelOpts=label_opts)
        line.setZValue(-5)
        self._plot.addItem(line, ignoreBounds=True)
        return line

    def items(self) -> list[tuple[float, str]]:
        return [(line.value(), text) for line, text in self._lines]
