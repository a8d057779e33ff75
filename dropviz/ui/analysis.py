"""The Analysis dock: Monte-Carlo dropout and the sweeps, out of the way of the live views.

It opens from the Analysis menu, docked at the side or floating on its own. The panels send their
jobs to the worker, which reports back by the job's kind; this dock hands each report to the panel
of that kind.
"""

from __future__ import annotations

from collections.abc import Callable

from PyQt5.QtCore import Qt
from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import QDockWidget, QMenu, QTabWidget, QWidget

from dropviz.model.config import Config
from dropviz.ui.job_panel import JobPanel
from dropviz.ui.mc_panel import MonteCarloPanel
from dropviz.ui.snapshot import RunInfo
from dropviz.ui.sweep_panel import RateSweepPanel, SizeSweepPanel, SparsityPanel
from dropviz.ui.worker import WorkerHandle

DOCK_WIDTH = 560


class AnalysisDock(QDockWidget):
    def __init__(self, config: Callable[[], Config], parent: QWidget) -> None:
        super().__init__("Analysis", parent)
        self.setObjectName("analysis")  # saveState() names what it saves
        self.mc = MonteCarloPanel()
        self.rate_sweep = RateSweepPanel(config)
        self.size_sweep = SizeSweepPanel(config)
        self.sparsity = SparsityPanel(config)
        self.panels: dict[str, JobPanel] = {
            panel.kind: panel for panel in (self.mc, self.rate_sweep, self.size_sweep,
                                            self.sparsity)}
        self.tabs = QTabWidget()
        self.tabs.setMinimumWidth(DOCK_WIDTH)
        names = ("Monte-Carlo", "Rate sweep", "Size sweep", "Sparsity")
        for panel, name in zip(self.panels.values(), names, strict=True):
            self.tabs.addTab(panel, name)
        self.setWidget(self.tabs)
        self.menu = QMenu("&Analysis", parent)
        for panel, text, key in (
                (self.mc, "&Monte-Carlo dropout", "Ctrl+M"),
                (self.rate_sweep, "Dropout-&rate sweep", ""),
                (self.size_sweep, "Training-set &size sweep", ""),
                (self.sparsity, "Activation s&parsity", "")):
            action = self.menu.addAction(text)
            if key:
                action.setShortcut(QKeySequence(key))
            action.triggered.connect(lambda _=False, panel=panel: self.open(panel))
        self.menu.addSeparator()
        self.menu.addAction(self.toggleViewAction())
        self.toggleViewAction().setText("Show the analysis &panel")
        self.setAllowedAreas(Qt.LeftDockWidgetArea | Qt.RightDockWidgetArea
                             | Qt.BottomDockWidgetArea)

    def connect_worker(self, handle: WorkerHandle) -> None:
        worker = handle.worker
        for panel in self.panels.values():
            panel.sigRun.connect(handle.sigRunJob)
            panel.sigCancel.connect(handle.sigCancelJob)
        worker.sigJobProgress.connect(self._progress)
        worker.sigJobResult.connect(self._result)
        worker.sigJobStopped.connect(self._stopped)

    def _progress(self, kind: str, done: int, total: int) -> None:
        self.panels[kind].job_progress(done, total)

    def _result(self, kind: str, result: object) -> None:
        self.panels[kind].job_result(result)

    def _stopped(self, kind: str, message: str) -> None:
        self.panels[kind].job_stopped(message)

    def open(self, panel: JobPanel) -> None:
        self.show()
        self.raise_()
        self.tabs.setCurrentWidget(panel)

    def set_run(self, info: RunInfo) -> None:
        for panel in (self.mc, self.rate_sweep, self.size_sweep, self.sparsity):
            panel.set_run(info)
