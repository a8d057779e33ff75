"""The baseline's part of each snapshot, handed to the views: dashed curves and a second map.

The window keeps one curve history per run; the baseline's is cleared with the run's, because a
baseline always starts with its run, at step 0. The second map takes the place of the thinned
network while comparing 2-D data: four views in a row would leave each too narrow to read.
"""

from __future__ import annotations

from PyQt5.QtWidgets import QWidget

from dropviz.session.compare import run_label
from dropviz.session.history import DecimatedHistory
from dropviz.session.snapshot import RunInfo, Snapshot
from dropviz.ui.views.decision_view import DecisionView
from dropviz.ui.views.gap_view import GapView
from dropviz.ui.views.loss_view import CurvesView

MAIN_HEADING = "Decision map"


class BaselineViews:
    """Passive like the views: `run_started`, `set_label` (from the worker), `record` (every
    snapshot) and the two drawing stages."""

    def __init__(self, curves: list[CurvesView], gap: GapView, decision: DecisionView,
                 baseline_decision: DecisionView, makes_room: QWidget,
                 names: tuple[str, ...]) -> None:
        self.history = DecimatedHistory(names)
        self.label = ""  # the baseline's, "" while not comparing
        self._curves = curves
        self._gap = gap
        self._decision = decision
        self._baseline_decision = baseline_decision
        self._makes_room = makes_room
        self._run_label = ""
        self._is_2d = False
        baseline_decision.hide()

    def run_started(self, info: RunInfo) -> None:
        self.history.clear()
        self._is_2d = info.is_2d
        self._baseline_decision.reset()
        self._baseline_decision.set_run(info)
        self._clear_curves()
        self._show_map()

    def set_label(self, label: str) -> None:
        """The worker says a baseline joined (its label) or left ("")."""
        self.label = label
        self._run_label = ""
        if not label:
            self.history.clear()
            self._clear_curves()
            for view in (*self._curves, self._gap):
                view.set_compare("", "")
            self._decision.set_heading(MAIN_HEADING)
        else:
            self._baseline_decision.set_heading(f"Baseline: {label}", short=True)
        self._show_map()

    def record(self, snapshot: Snapshot) -> None:
        """Every snapshot's baseline joins its curves' history, drawn or not."""
        evaluation = snapshot.baseline_evaluation
        if evaluation is not None and self.label:
            self.history.append(snapshot.step, (evaluation.train_loss, evaluation.test_loss,
                                                evaluation.train_acc, evaluation.test_acc))

    def draw_curves(self, snapshot: Snapshot) -> None:
        """The baseline's curves, and both runs named in the subtitles."""
        if snapshot.baseline_evaluation is None or not self.label:
            return
        main = run_label(snapshot.config)
        if main != self._run_label:  # only on a change: a new title re-lays out the plot
            self._run_label = main
            for view in (*self._curves, self._gap):
                view.set_compare(main, self.label)
            self._decision.set_heading(f"This run: {main}", short=True)
        steps, columns = self.history.arrays()
        for view in self._curves:
            view.set_baseline(steps, columns)
        self._gap.set_baseline_gap(steps, columns["test_loss"] - columns["train_loss"])

    def draw_map(self, snapshot: Snapshot) -> None:
        if snapshot.baseline_evaluation is not None and self.label:
            self._baseline_decision.set_grid(snapshot.baseline_grid)

    def _clear_curves(self) -> None:
        for view in self._curves:
            view.set_baseline(None, None)
        self._gap.set_baseline_gap(None, None)

    def _show_map(self) -> None:
        comparing_maps = bool(self.label) and self._is_2d
        self._baseline_decision.setVisible(comparing_maps)
        self._makes_room.setVisible(not comparing_maps)
