"""Colours and sizes shared by the views, chosen to read well on a projector."""

from __future__ import annotations

import pyqtgraph as pg

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
POSITIVE_WEIGHT = (230, 97, 1)
NEGATIVE_WEIGHT = (94, 60, 153)
TITLE_SIZE = "12pt"


def configure_pyqtgraph() -> None:
    """Light plots with antialiased lines: dark text on white projects best."""
    pg.setConfigOptions(background=BACKGROUND, foreground=FOREGROUND, antialias=True)


def set_title(plot: pg.PlotItem, heading: str, note: str = "") -> None:
    """A title with optional small lines under it that say how to read the plot.

    PlotItem gives its title a row of 30 pixels, which cuts off a second line: the row is made
    as tall as the text.
    """
    text = heading if not note else (f"{heading}<br><span style='font-size:9pt; color:#555'>"
                                     f"{note}</span>")
    plot.setTitle(text, size=TITLE_SIZE)
    height = plot.titleLabel.itemRect().height()
    plot.titleLabel.setMaximumHeight(height)
    plot.layout.setRowFixedHeight(0, height)


def plain_axes(plot: pg.PlotItem) -> None:
    """No "(x0.001)" on the axes: steps and rates are read as they are."""
    for name in ("left", "bottom"):
        plot.getAxis(name).enableAutoSIPrefix(False)


def class_colour(index: int) -> str:
    return CLASS_COLOURS[index % len(CLASS_COLOURS)]
