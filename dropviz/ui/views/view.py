"""The protocol every view follows: the window's staged drawing and offscreen export draw a run
through it alike (the list of views is registry.py).

Views are passive QWidgets: each draws what a RunInfo and a Snapshot hold, and keeps no state
another part needs. The baseline trained alongside is part of every snapshot; `set_compare` says
whether the window wants it shown, and under which label. The plots against steps also show the
window state's markers and pins (step_plot.py), which offscreen export has none of.
"""

from __future__ import annotations

from typing import Protocol

import pyqtgraph as pg

from dropviz.session.snapshot import RunInfo, Snapshot


class View(Protocol):
    def run_started(self, info: RunInfo) -> None:
        """A new run: lay out for its network and data; nothing of the last run stays drawn."""

    def draw(self, snapshot: Snapshot) -> None:
        """The run as it is after the snapshot's step."""

    def set_compare(self, label: str) -> None:
        """A baseline joined the run (its label, for the legends) or left ("")."""

    def plot_widget(self) -> pg.GraphicsView:
        """The widget whose scene is this view's plot, for exporting it."""

    def has_plot(self) -> bool:
        """Whether there is a plot to export now (the decision map needs 2-D data)."""
