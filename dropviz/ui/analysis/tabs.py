"""The analysis tabs: Monte-Carlo dropout and the sweeps, beside the live views, not on them.

The window's central area is a tab widget: "Training" holds the controls and the live views, and
each analysis has a tab of its own, with the window's whole width for its plots; training waits
while an analysis runs anyway. The panels send their jobs to the worker, which reports back by
the job's kind; the tabs hand each report to the panel of that kind.
"""

from __future__ import annotations

from collections.abc import Callable

from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import QMenu, QTabWidget, QWidget

from dropviz.model.config import Config
from dropviz.session.snapshot import RunInfo
from dropviz.ui.analysis.job_panel import JobPanel
from dropviz.ui.analysis.mc_panel import MonteCarloPanel
from dropviz.ui.analysis.sweep_panel import RateSweepPanel, SizeSweepPanel, SparsityPanel
from dropviz.ui.worker.worker import WorkerHandle


class AnalysisTabs(QTabWidget):
    """The central tabs; the window puts its training views in with `set_training`."""

    def __init__(self, config: Callable[[], Config], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDocumentMode(True)
        self.mc = MonteCarloPanel()
        self.rate_sweep = RateSweepPanel(config)
        self.size_sweep = SizeSweepPanel(config)
        self.sparsity = SparsityPanel(config)
        self.panels: dict[str, JobPanel] = {
            panel.kind: panel for panel in (self.mc, self.rate_sweep, self.size_sweep,
                                            self.sparsity)}
        self.menu = QMenu("&Analysis", self)  # inside the window: F1 finds its shortcuts
        for panel, tab, text, key in (
                (self.mc, "Monte-Carlo", "&Monte-Carlo dropout", "Ctrl+M"),
                (self.rate_sweep, "Rate sweep", "Dropout-&rate sweep", ""),
                (self.size_sweep, "Size sweep", "Training-set &size sweep", ""),
                (self.sparsity, "Sparsity", "Activation s&parsity", "")):
            self.addTab(panel, tab)
            action = self.menu.addAction(text)
            action.setToolTip(f"Open the {tab} tab.")
            if key:
                action.setShortcut(QKeySequence(key))
            action.triggered.connect(lambda _=False, panel=panel: self.open(panel))
        self.menu.addSeparator()
        self.training_action = self.menu.addAction("Back to &training")
        self.training_action.setShortcut(QKeySequence("Ctrl+T"))
        self.training_action.setToolTip("The live views again (Ctrl+T).")
        self.training_action.triggered.connect(lambda: self.setCurrentIndex(0))

    def set_training(self, views: QWidget) -> None:
        self.insertTab(0, views, "Training")
        self.setCurrentIndex(0)

    def connect_worker(self, handle: WorkerHandle) -> None:
        worker = handle.worker
        for panel in self.panels.values():
            panel.sigRun.connect(handle.sigRunJob)
            panel.sigCancel.connect(handle.sigCancelJob)
        worker.sigJobProgress.connect(self._progress)
        worker.sigJobResult.connect(self._result)
        worker.sigJobStopped.connect(self._stopped)

    # Jobs of other kinds (a recording) are not the panels' business.

    def _progress(self, kind: str, done: int, total: int) -> None:
        if kind in self.panels:
            self.panels[kind].job_progress(done, total)

    def _result(self, kind: str, result: object) -> None:
        if kind in self.panels:
            self.panels[kind].job_result(result)

    def _stopped(self, kind: str, message: str) -> None:
        if kind in self.panels:
            self.panels[kind].job_stopped(message)

    def open(self, panel: JobPanel) -> None:
        self.setCurrentWidget(panel)

    def set_run(self, info: RunInfo) -> None:
        for panel in (self.mc, self.rate_sweep, self.size_sweep, self.sparsity):
            panel.set_run(info)
