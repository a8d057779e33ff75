"""The one list of views. The window lays them out and draws them in stages from it; offscreen
export makes and draws the exported ones from it. A new view is one file (following view.py) and
one line here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from dropviz.session.snapshot import Snapshot
from dropviz.ui.views.decision_view import BaselineDecisionView, DecisionView
from dropviz.ui.views.gap_view import GapView
from dropviz.ui.views.loss_view import AccuracyView, LossView
from dropviz.ui.views.mask_view import MaskView
from dropviz.ui.views.network_view import NetworkView
from dropviz.ui.views.states_view import StatesView
from dropviz.ui.views.units_view import UnitsView
from dropviz.ui.views.view import View

TOP, BOTTOM = "top", "bottom"  # the window's two rows of views


@dataclass(frozen=True)
class ViewEntry:
    name: str  # the window's name for it, and its plot's file name on export
    make: Callable[[], View]
    stage: int  # the turn of the staged drawing that draws it: see staged_drawing.py
    row: str  # TOP or BOTTOM; left to right in the order of this list
    width: int = 420  # its share of the row at start, in pixels
    exported: bool = True  # written by Export run and by offscreen export


# Curves first: they are what a lecture watches. A stage's views are drawn in one turn.
VIEWS = (
    ViewEntry("decision", DecisionView, stage=2, row=TOP),
    ViewEntry("baseline_decision", BaselineDecisionView, stage=2, row=TOP, exported=False),
    ViewEntry("states", StatesView, stage=2, row=TOP),  # a recurrent run's, in the map's place
    ViewEntry("network", NetworkView, stage=2, row=TOP),
    ViewEntry("masks", MaskView, stage=1, row=TOP, width=460),
    ViewEntry("loss", LossView, stage=0, row=BOTTOM),
    ViewEntry("accuracy", AccuracyView, stage=0, row=BOTTOM),
    ViewEntry("gap", GapView, stage=0, row=BOTTOM),
    ViewEntry("units", UnitsView, stage=1, row=BOTTOM, width=440),
)

PLOT_NAMES = tuple(entry.name for entry in VIEWS if entry.exported)


def make_views(exported_only: bool = False) -> dict[str, View]:
    """A fresh view of every entry (only the exported ones with `exported_only`), by name."""
    return {entry.name: entry.make() for entry in VIEWS if entry.exported or not exported_only}


def stages(views: Mapping[str, View]) -> list[Callable[[Snapshot], None]]:
    """One drawing function per stage, in the stages' order, for the views given."""
    numbers = sorted({entry.stage for entry in VIEWS if entry.name in views})
    groups = [[views[entry.name] for entry in VIEWS if entry.stage == number
               and entry.name in views] for number in numbers]
    return [lambda snapshot, group=group: _draw_all(group, snapshot) for group in groups]


def _draw_all(views: list[View], snapshot: Snapshot) -> None:
    for view in views:
        view.draw(snapshot)
