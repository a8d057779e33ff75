"""A paper figure (session/figures.py) drawn offscreen and written as PNG and SVG.

Each line is the mean over seeds with error bars of one standard deviation; dashed lines are the
reference (no dropout, train error, weight scaling's one pass). Drawn with the window's style and
written by its plot export, so a figure looks like the analysis tabs' results.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QApplication

from dropviz.session.figures import FigureResult
from dropviz.ui.style import class_colour, configure_pyqtgraph, plain_axes, set_title
from dropviz.ui.views.plot_export import FORMATS, OFFSCREEN_SIZE, offscreen_application, write_view


def figure_widget(result: FigureResult) -> pg.PlotWidget:
    """The figure's lines, error bars and legend on one plot."""
    widget = pg.PlotWidget()
    plot = widget.getPlotItem()
    set_title(plot, result.title, "mean over seeds, bars one standard deviation")
    plot.setLabel("bottom", result.x_label + (" (log scale)" if result.log_x else ""))
    plot.setLabel("left", result.y_label)
    plot.showGrid(x=True, y=True, alpha=0.2)
    plot.setMenuEnabled(False)
    plain_axes(plot)
    plot.addLegend(offset=(-10, 10))
    if result.log_x:
        plot.setLogMode(x=True)
    # Lines come in pairs of solid and dashed that share a colour (fig9: test and train error).
    solid = 0
    for series in result.series:
        colour = class_colour(max(solid - 1, 0) if series.dashed else solid)
        solid += not series.dashed
        style = Qt.DashLine if series.dashed else Qt.SolidLine
        x = np.log10(series.x) if result.log_x else series.x
        plot.plot(x, series.mean, name=series.label, symbol="o", symbolSize=6,
                  pen=pg.mkPen(colour, width=2.5, style=style), symbolBrush=colour)
        plot.addItem(pg.ErrorBarItem(x=x, y=series.mean, height=2 * series.std,
                                     pen=pg.mkPen(colour, width=1.5), beam=0.015))
    return widget


def write_figure(result: FigureResult, folder: str | Path) -> list[Path]:
    """NAME.png and NAME.svg of the figure in `folder`; needs no display."""
    offscreen_application()
    configure_pyqtgraph()
    widget = figure_widget(result)
    widget.setAttribute(Qt.WA_DontShowOnScreen)  # laid out and painted, never on a screen
    widget.resize(*OFFSCREEN_SIZE)
    widget.show()
    QApplication.processEvents()
    try:
        return [write_view(widget, Path(folder) / f"{result.name}.{kind}") for kind in FORMATS]
    finally:
        widget.close()
        widget.deleteLater()
