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
    if result.log_x:  # the lines are drawn in log mode; error bars and ticks take log10(x)
        plot.setLogMode(x=True)
        ticks = sorted({float(x) for series in result.series for x in series.x})
        plot.getAxis("bottom").setTicks([[(np.log10(x), f"{x:g}") for x in ticks]])
    if result.x_ticks:
        plot.getAxis("bottom").setTicks([list(result.x_ticks)])
        plot.setXRange(-0.5, len(result.x_ticks) - 0.5)
    for series in result.series:
        colour = class_colour(series.colour)
        style = Qt.DashLine if series.dashed else Qt.SolidLine
        plot.plot(series.x, series.mean, name=series.label, symbol="o", symbolSize=6,
                  pen=pg.mkPen(colour, width=2.5, style=style), symbolBrush=colour)
        x = np.log10(series.x) if result.log_x else series.x
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
