"""Colours and sizes shared by the views, chosen to read well on a projector."""

from __future__ import annotations

import pyqtgraph as pg
from PyQt5.QtCore import Qt
from PyQt5.QtGui import QTextOption

BACKGROUND = "w"
FOREGROUND = "#222222"
TRAIN_COLOUR = "#1f6fb4"
TEST_COLOUR = "#d0461f"
GAP_COLOUR = "#7b3294"
MARKER_COLOUR = "#808080"
# Class colours: the first two match the diverging decision map (blue vs orange).
CLASS_COLOURS = ("#2c7bb6", "#f28e2b", "#2ca25f", "#d62728", "#8c6bb1",
                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
KEPT_COLOUR = (244, 236, 214)
DROPPED_COLOUR = (38, 42, 52)
NOT_YET_COLOUR = (214, 216, 220)  # a mask raster's ground where no step has been drawn yet
POSITIVE_WEIGHT = (230, 97, 1)
NEGATIVE_WEIGHT = (94, 60, 153)
TITLE_SIZE = "12pt"


def configure_pyqtgraph() -> None:
    """Light plots with antialiased lines: dark text on white projects best."""
    pg.setConfigOptions(background=BACKGROUND, foreground=FOREGROUND, antialias=True)


class TitleLabel(pg.LabelItem):
    """A plot's title that wraps at the plot's width rather than widening the plot.

    pyqtgraph's title is as wide as its text and the plot may not get narrower, so on a narrow
    screen or in lecture mode the view cut off the plot's right side, subtitle and axis included.
    This one lays its text out at the width the layout gives it, centred, in as many lines as
    that takes, and makes its row of the plot as tall as they are.
    """

    def __init__(self, plot: pg.PlotItem) -> None:
        self._plot: pg.PlotItem | None = None  # LabelItem's constructor lays out a first text
        super().__init__(" ")
        self._plot = plot
        self.item.document().setDefaultTextOption(QTextOption(Qt.AlignHCenter))

    def updateMin(self) -> None:
        """As wide as the layout likes, as tall as the text is at that width."""
        width = self.size().width()
        self.item.setTextWidth(-1)
        natural = self.item.document().idealWidth()
        # A text width, also when the text fits, centres each line under the widest.
        self.item.setTextWidth(min(natural, width) if width > 1 else natural)
        height = self.itemRect().height() if self.isVisible() else 0.0
        self.setMinimumSize(0, height)
        self.setMaximumHeight(height)
        self._sizeHint = {Qt.MinimumSize: (0, height), Qt.PreferredSize: (0, height),
                          Qt.MaximumSize: (-1, height), Qt.MinimumDescent: (0, 0)}
        if self._plot is not None and self._plot.layout.rowMinimumHeight(0) != height:
            self._plot.layout.setRowFixedHeight(0, height)
        self.updateGeometry()


def wrapping_title(plot: pg.PlotItem) -> TitleLabel:
    """The plot's title as a TitleLabel, put in place of pyqtgraph's the first time."""
    old = plot.titleLabel
    if isinstance(old, TitleLabel):
        return old
    plot.layout.removeItem(old)
    old.setParentItem(None)
    if old.scene() is not None:
        old.scene().removeItem(old)
    label = TitleLabel(plot)
    label.setParentItem(plot)
    plot.layout.addItem(label, 0, 1)
    plot.titleLabel = label
    return label


def set_title(plot: pg.PlotItem, heading: str, note: str = "", size: str | None = None) -> None:
    """A title with optional small lines under it that say how to read the plot; every line
    wraps at the plot's width (see TitleLabel). Without `size` a title keeps the size it has
    (TITLE_SIZE at first): lecture mode's larger one survives a new text."""
    text = heading if not note else (f"{heading}<br><span style='font-size:9pt; color:#555'>"
                                     f"{note}</span>")
    label = wrapping_title(plot)
    label.setVisible(True)
    label.setText(text, size=size or label.opts.get("size") or TITLE_SIZE)


def plain_axes(plot: pg.PlotItem) -> None:
    """No "(x0.001)" on the axes: steps and rates are read as they are."""
    for name in ("left", "bottom"):
        plot.getAxis(name).enableAutoSIPrefix(False)


def class_colour(index: int) -> str:
    return CLASS_COLOURS[index % len(CLASS_COLOURS)]
