"""The window: lays out the panels and views and passes data between them and the worker.

Data flows one way: the controls send a Config to the worker, the worker sends snapshots back, and
the window hands each view the part it shows. Views never talk to each other, and nothing here
touches the trainer.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PyQt5.QtCore import Qt
from PyQt5.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PyQt5.QtWidgets import (
    QAction,
    QDialog,
    QFileDialog,
    QLabel,
    QMainWindow,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from dropviz.model.config import Config
from dropviz.model.data.csv_loader import csv_columns
from dropviz.model.errors import DropvizError
from dropviz.model.file_names import EXPERIMENT_SUFFIX
from dropviz.session.changes import describe_live_change
from dropviz.session.compare import preset_spec
from dropviz.session.history import DecimatedHistory
from dropviz.session.snapshot import RunInfo, Snapshot, status_text
from dropviz.ui.analysis.tabs import AnalysisTabs
from dropviz.ui.banner import Banner
from dropviz.ui.file_actions import FileActions
from dropviz.ui.help_dialog import ShortcutsDialog
from dropviz.ui.lecture_mode import LectureMode
from dropviz.ui.panels.compare_controls import CompareControls
from dropviz.ui.panels.controls_panel import ControlsPanel
from dropviz.ui.panels.csv_dialog import LabelDialog
from dropviz.ui.panels.presets_menu import ExplanationPanel, PresetsMenu
from dropviz.ui.panels.transport import Transport
from dropviz.ui.staged_drawing import StagedDrawing
from dropviz.ui.style import configure_pyqtgraph
from dropviz.ui.views.baseline_views import BaselineViews
from dropviz.ui.views.decision_view import DecisionView
from dropviz.ui.views.gap_view import GapView
from dropviz.ui.views.loss_view import AccuracyView, LossView
from dropviz.ui.views.mask_view import MaskView
from dropviz.ui.views.network_view import NetworkView
from dropviz.ui.views.pinned_runs import PinnedRuns
from dropviz.ui.worker.build import building_aside
from dropviz.ui.worker.worker import WorkerHandle

if TYPE_CHECKING:
    import numpy as np

    from dropviz.model.presets import Preset
    from dropviz.model.trainer import NetworkPool

MERGE_MARKERS_SECONDS = 0.5  # changes closer than this (a slider drag) share one marker
NEWS_SECONDS = 8.0


class MainWindow(QMainWindow):
    def __init__(self, config: Config | None = None, pool: NetworkPool | None = None) -> None:
        super().__init__()
        configure_pyqtgraph()
        config = config if config is not None else Config()
        self.setWindowTitle("dropviz")
        self.setAcceptDrops(True)
        self.controls = ControlsPanel(config)
        self.transport = Transport()
        self.banner = Banner()
        self.loss_view, self.accuracy_view, self.gap_view = LossView(), AccuracyView(), GapView()
        self.mask_view, self.network_view = MaskView(), NetworkView()
        self.decision_view = DecisionView()
        self.baseline_decision_view = DecisionView()
        self.history = DecimatedHistory(("train_loss", "test_loss", "train_acc", "test_acc"))
        self.baseline_views = BaselineViews([self.loss_view, self.accuracy_view], self.gap_view,
                                            self.decision_view, self.baseline_decision_view,
                                            self.network_view, self.history.names)
        self.pins = PinnedRuns(self._pin_source, [self.loss_view.pins, self.accuracy_view.pins,
                                                  self.gap_view.pins], self)
        self.pinned_runs = self.pins.runs  # PinnedRun objects: label, config, steps, columns
        self.compare = CompareControls(lambda: self.controls.config, self)
        self.presets_menu = PresetsMenu(self)
        self.explanation = ExplanationPanel()
        self.analysis = AnalysisTabs(lambda: self.controls.config)
        self.lecture = LectureMode(self, self.controls)
        self.last_snapshot: Snapshot | None = None  # the one every view shows
        self.drawing = StagedDrawing((self._draw_curves, self._draw_masks,
                                      self._draw_network_and_maps), self)
        self.drawing.sigStarted.connect(lambda _: self.handle.sigShown.emit())  # send the next
        self.drawing.sigDrawn.connect(self._on_drawn)
        self.run_info: RunInfo | None = None
        self._last_marker_time = -math.inf
        self._layout()
        self._menus()
        self.handle = WorkerHandle(config, pool, self)
        self._connect()
        self.files = FileActions(self)
        self.handle.sigSpeed.emit(self.transport.steps_per_update())
        self.handle.start()

    def _layout(self) -> None:
        self.transport.setObjectName("transport")  # saveState() names what it saves
        self.addToolBar(self.transport)
        self.transport.addSeparator()
        self.transport.addActions([self.compare.toggle_action, self.pins.pin_action])
        top = QSplitter(Qt.Horizontal)
        for view in (self.decision_view, self.baseline_decision_view, self.network_view,
                     self.mask_view):
            top.addWidget(view)
        top.setSizes([420, 420, 420, 460])
        bottom = QSplitter(Qt.Horizontal)
        for view in (self.loss_view, self.accuracy_view, self.gap_view):
            bottom.addWidget(view)
        views = QSplitter(Qt.Vertical)
        views.addWidget(top)
        views.addWidget(bottom)
        views.setSizes([560, 380])
        main = QSplitter(Qt.Horizontal)
        main.addWidget(self.controls)
        main.addWidget(views)
        main.setStretchFactor(1, 1)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.banner)
        layout.addWidget(self.explanation)
        self.analysis.set_training(main)
        layout.addWidget(self.analysis, 1)
        self.setCentralWidget(central)
        self.status = QLabel("Starting...")
        self.statusBar().addPermanentWidget(self.status, 1)

    def _menus(self) -> None:
        self.file_menu = file_menu = self.menuBar().addMenu("&File")
        open_csv = QAction("Open &CSV...", self)
        open_csv.setShortcut(QKeySequence("Ctrl+Shift+O"))  # Ctrl+O opens an experiment
        open_csv.setToolTip("Train on your own CSV file (you can also drop it on the window).")
        open_csv.triggered.connect(self.ask_csv)
        self.quit_action = quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addActions([open_csv, quit_action])  # FileActions adds its actions in between
        run_menu = self.menuBar().addMenu("&Run")
        run_menu.addActions([self.transport.play_action, self.transport.step_action,
                             self.transport.reset_action])
        compare_menu = self.menuBar().addMenu("&Compare")
        compare_menu.addActions([self.compare.toggle_action, self.compare.settings_action])
        compare_menu.addSeparator()
        compare_menu.addMenu(self.pins.menu)
        self.menuBar().addMenu(self.presets_menu)
        self.menuBar().addMenu(self.analysis.menu)
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addActions([self.lecture.toggle_action, self.lecture.controls_action])
        help_menu = self.menuBar().addMenu("&Help")
        shortcuts = help_menu.addAction("&Keyboard shortcuts")
        shortcuts.setShortcut(QKeySequence.HelpContents)
        shortcuts.setToolTip("List every keyboard shortcut (F1).")
        shortcuts.triggered.connect(self.show_shortcuts)

    def _connect(self) -> None:
        worker, handle = self.handle.worker, self.handle
        self.transport.sigToggle.connect(handle.sigToggle)
        self.transport.sigStep.connect(handle.sigStep)
        self.transport.sigReset.connect(handle.sigReset)
        self.transport.sigSpeed.connect(handle.sigSpeed)
        self.controls.sigConfigChanged.connect(handle.sigConfig)
        self.controls.sigOpenCsv.connect(self.ask_csv)
        self.controls.sigError.connect(self.show_error)
        handle.sigSnapshot.connect(self._on_snapshot)
        worker.sigBusy.connect(self._on_busy)
        worker.sigRunStarted.connect(self._on_run_started)
        worker.sigPlaying.connect(self.transport.set_playing)
        worker.sigLiveChange.connect(self._on_live_change)
        worker.sigConfigInForce.connect(self.controls.show_config)
        worker.sigDiverged.connect(lambda text: self.banner.show_message(text, "warning"))
        worker.sigError.connect(self.show_error)
        worker.sigNotice.connect(lambda text: self.banner.show_message(text, "info",
                                                                       seconds=NEWS_SECONDS))
        worker.sigCompareChanged.connect(self._on_compare_changed)
        self.compare.sigSpec.connect(handle.sigCompare)
        self.presets_menu.sigChosen.connect(self.apply_preset)
        self.presets_menu.sigError.connect(self.show_error)
        self.analysis.connect_worker(handle)
        self.pins.sigChanged.connect(self.lecture.refresh)
        for panel in self.analysis.panels.values():
            panel.sigDrawn.connect(self.lecture.refresh)

    # --- from the worker --------------------------------------------------------------------

    def _on_busy(self, text: str) -> None:
        self.status.setText(text.split("...")[0] + "...")
        if text.startswith("Compiling"):
            self.banner.show_message(text, "info")
            self.setWindowTitle("dropviz · compiling...")

    def _on_run_started(self, info: RunInfo) -> None:
        self.run_info = info
        self.drawing.cancel()
        self.history.clear()
        for view in (self.loss_view, self.accuracy_view, self.gap_view, self.mask_view,
                     self.decision_view):
            view.reset()
        names = info.layer_names
        self.mask_view.set_layers(names, info.widths[: len(names)])
        self.network_view.set_architecture(info.layout)
        self.decision_view.set_run(info)
        self.controls.set_report(info.report)
        self.baseline_views.run_started(info)
        self.analysis.set_run(info)
        self.lecture.refresh()  # the mask view made new plots
        self.banner.clear("info")
        self.banner.clear("warning")
        if info.reason not in ("start", "reset"):
            self.banner.show_message(
                f"New run: {info.reason}. That needs a new network, so training starts again "
                "from step 0.", "info", seconds=NEWS_SECONDS)

    def _on_snapshot(self, snapshot: Snapshot) -> None:
        """Every snapshot joins the curves' history; the views draw the newest, in stages."""
        ev = snapshot.evaluation
        self.history.append(snapshot.step, (ev.train_loss, ev.test_loss, ev.train_acc,
                                            ev.test_acc))
        self.baseline_views.record(snapshot)
        self.drawing.draw(snapshot)

    def _draw_curves(self, snapshot: Snapshot) -> None:
        steps, columns = self.history.arrays()
        self.loss_view.set_curves(steps, columns)
        self.accuracy_view.set_curves(steps, columns)
        self.gap_view.set_gap(steps, columns["test_loss"] - columns["train_loss"])
        self.baseline_views.draw_curves(snapshot)

    def _draw_masks(self, snapshot: Snapshot) -> None:
        config = snapshot.config
        rates = dict(zip(config.dropout_layer_names, config.dropout_rates, strict=True))
        self.mask_view.set_masks(snapshot.step, snapshot.recent_steps, snapshot.recent_masks,
                                 snapshot.masks, rates, config.mask == "per_example")

    def _draw_network_and_maps(self, snapshot: Snapshot) -> None:
        self.network_view.set_state(snapshot.weights, snapshot.masks)
        self.decision_view.set_grid(snapshot.grid)
        self.baseline_views.draw_map(snapshot)

    def _on_drawn(self, snapshot: Snapshot) -> None:
        """Every view shows `snapshot`."""
        self.last_snapshot = snapshot
        self.status.setText(status_text(snapshot))
        name = self.run_info.dataset_name if self.run_info else snapshot.config.dataset.name
        self.setWindowTitle(f"dropviz · {name} · step {snapshot.step}")

    def _on_live_change(self, step: int, old: Config, new: Config) -> None:
        text = describe_live_change(old, new)
        if not text:
            return
        now = time.monotonic()
        merge = now - self._last_marker_time < MERGE_MARKERS_SECONDS
        self._last_marker_time = now
        for view in (self.loss_view, self.accuracy_view, self.gap_view):
            view.markers.add(step, text, merge=merge)

    def show_error(self, text: str) -> None:
        self.banner.show_message(text, "error")

    # --- compare, pins, presets, help -------------------------------------------------------

    def _on_compare_changed(self, label: str) -> None:
        """The worker's word on the baseline: its label when one joins, "" when it goes."""
        self.compare.show_active(label)
        self.baseline_views.set_label(label)
        self.lecture.refresh()

    def _pin_source(self) -> tuple[Config, np.ndarray, dict[str, np.ndarray]] | None:
        if self.last_snapshot is None:
            return None
        steps, columns = self.history.arrays()
        return self.last_snapshot.config, steps, columns

    def apply_preset(self, preset: Preset) -> None:
        """A new run of the preset, with its compare run alongside, and its story shown."""
        try:
            spec = preset_spec(preset)
        except DropvizError as error:
            self.show_error(f"Preset {preset.title}: {error}")
            return
        self.controls.show_config(preset.config)
        if spec is not None:
            self.compare.spec = spec
        self.handle.sigStartRun.emit(preset.config, spec, f"preset “{preset.title}”")
        self.explanation.show_preset(preset, spec.label if spec else "")

    def show_shortcuts(self) -> None:
        self.shortcuts_dialog = ShortcutsDialog(self)
        self.shortcuts_dialog.show()

    # --- CSV files --------------------------------------------------------------------------

    def ask_csv(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a CSV file", "",
                                              "CSV files (*.csv *.tsv *.txt);;All files (*)")
        if path:
            self.open_csv(path)

    def open_csv(self, path: str, label: str | None = None) -> None:
        """Train on a CSV file; without `label`, a dialog asks for the label column."""
        try:
            columns = csv_columns(path)
        except DropvizError as error:
            self.show_error(str(error))
            return
        if label is None:
            dialog = LabelDialog(path, columns, self)
            if dialog.exec_() != QDialog.Accepted:
                return
            label = dialog.label()
        self.controls.use_csv(str(Path(path).resolve()), label)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        files = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if files:
            event.acceptProposedAction()
            if files[0].endswith(EXPERIMENT_SUFFIX) or Path(files[0]).is_dir():
                self.files.open_path(files[0])
            else:
                self.open_csv(files[0])

    def is_busy(self) -> bool:
        """Training, or building a run: when a long garbage-collection pass would be felt."""
        return self.transport.is_playing() or building_aside()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.files.remember()
        self.handle.shutdown()
        event.accept()
