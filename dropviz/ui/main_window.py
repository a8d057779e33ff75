"""The window: lays out the panels and views and passes data between them and the worker.

Data flows one way: the controls edit the window state, which sends each edit to the worker; the
worker sends run infos and snapshots back, and every view draws them through one protocol
(views/view.py), in the stages the list of views gives (views/registry.py). Views never talk to
each other, and nothing here touches the trainer.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PyQt5.QtCore import Qt
from PyQt5.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence, QResizeEvent
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
from dropviz.model.presets import Preset
from dropviz.session.changes import describe_live_change
from dropviz.session.compare import CompareSpec, preset_spec
from dropviz.session.run_record import RestoredWindow
from dropviz.session.snapshot import RunInfo, Snapshot, status_text
from dropviz.ui.analysis.tabs import AnalysisTabs
from dropviz.ui.banner import Banner
from dropviz.ui.file_actions import FileActions
from dropviz.ui.help_dialog import ShortcutsDialog
from dropviz.ui.lecture_mode import LectureMode
from dropviz.ui.panels.compare_controls import CompareControls
from dropviz.ui.panels.controls_panel import ControlsPanel
from dropviz.ui.panels.csv_dialog import LabelDialog
from dropviz.ui.panels.drawer import VIEWS_MIN_WIDTH, ControlsDrawer
from dropviz.ui.panels.pins_menu import PinsMenu
from dropviz.ui.panels.presets_menu import ExplanationPanel, PresetsMenu
from dropviz.ui.panels.transport import Transport
from dropviz.ui.record_dialog import Recorder
from dropviz.ui.setup_actions import SetupActions
from dropviz.ui.staged_drawing import StagedDrawing
from dropviz.ui.style import configure_pyqtgraph
from dropviz.ui.views.pinned_runs import PinnedRun
from dropviz.ui.views.registry import BOTTOM, TOP, VIEWS, make_views, stages
from dropviz.ui.views.step_plot import StepPlot
from dropviz.ui.window_state import WindowState
from dropviz.ui.worker.build import building_aside
from dropviz.ui.worker.worker import SPEEDS, WorkerHandle

if TYPE_CHECKING:  # the trainer loads PyTensor, which the window's thread need not wait for
    from dropviz.model.trainer import NetworkPool

NEWS_SECONDS = 8.0


class MainWindow(QMainWindow):
    def __init__(self, config: Config | None = None, pool: NetworkPool | None = None) -> None:
        super().__init__()
        configure_pyqtgraph()
        self.state = WindowState(config if config is not None else Config(), self)
        self.setWindowTitle("dropviz")
        self.setAcceptDrops(True)
        self.controls = ControlsPanel(self.state)
        self.transport = Transport()
        self.banner = Banner()
        self.views = views = make_views()
        self.step_plots = [view for view in views.values() if isinstance(view, StepPlot)]
        self.loss_view, self.accuracy_view, self.gap_view = (views["loss"], views["accuracy"],
                                                             views["gap"])
        self.mask_view, self.network_view = views["masks"], views["network"]
        self.decision_view = views["decision"]
        self.baseline_decision_view = views["baseline_decision"]
        self.pins = PinsMenu(self.state, self)
        self.compare = CompareControls(lambda: self.state.config, self)
        self.presets_menu = PresetsMenu(self)
        self.explanation = ExplanationPanel()
        self.analysis = AnalysisTabs(lambda: self.state.config)
        self.drawer = ControlsDrawer(self.controls)
        self.lecture = LectureMode(self, self.drawer)
        self.drawing = StagedDrawing(stages(views), self)
        self.drawing.sigStarted.connect(lambda _: self.handle.sigShown.emit())  # send the next
        self.drawing.sigDrawn.connect(self._on_drawn)
        self._layout()
        self._menus()
        self.handle = WorkerHandle(self.state.config, pool, self)
        self._connect()
        self.files = FileActions(self, self.state, views, self.handle, self.banner)
        self.files.install_menu(self.file_menu, self.quit_action)
        self.setups = SetupActions(self, self.state, self.handle, self.compare,
                                   self.presets_menu, self.explanation, self.banner)
        self.recorder = Recorder(self, lambda: self.state.config, self._compared, self.handle,
                                 self.banner)
        self.file_menu.insertActions(self.quit_action, [self.setups.copy_action,
                                                        self.setups.open_action,
                                                        self.recorder.action])
        self.file_menu.insertSeparator(self.quit_action)
        self.transport.addAction(self.recorder.action)
        self.handle.sigSpeed.emit(self.transport.steps_per_update())
        self.handle.start()

    @property
    def last_snapshot(self) -> Snapshot | None:
        """The snapshot every view shows."""
        return self.state.snapshot

    @property
    def run_info(self) -> RunInfo | None:
        return self.state.run_info

    @property
    def pinned_runs(self) -> list[PinnedRun]:
        return self.state.pins

    def _layout(self) -> None:
        self.transport.setObjectName("transport")  # saveState() names what it saves
        self.addToolBar(self.transport)
        self.transport.addSeparator()
        self.transport.addActions([self.compare.toggle_action, self.pins.pin_action])
        rows = {TOP: QSplitter(Qt.Horizontal), BOTTOM: QSplitter(Qt.Horizontal)}
        for entry in VIEWS:
            rows[entry.row].addWidget(self.views[entry.name])
        for row, splitter in rows.items():
            splitter.setSizes([entry.width for entry in VIEWS if entry.row == row])
        self.baseline_decision_view.hide()
        views = QSplitter(Qt.Vertical)
        views.addWidget(rows[TOP])
        views.addWidget(rows[BOTTOM])
        views.setSizes([560, 380])
        main = QSplitter(Qt.Horizontal)
        main.addWidget(self.drawer)
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
        worker, handle, state = self.handle.worker, self.handle, self.state
        self.transport.sigToggle.connect(handle.sigToggle)
        self.transport.sigStep.connect(handle.sigStep)
        self.transport.sigReset.connect(handle.sigReset)
        self.transport.sigSpeed.connect(handle.sigSpeed)
        state.sigEdited.connect(handle.sigConfig)
        for view in self.step_plots:
            state.sigMarkers.connect(view.show_markers)
            state.sigPins.connect(view.show_pins)
        state.sigPins.connect(self.lecture.refresh)  # after the plots drew the new pins
        self.banner.sigShowing.connect(self.explanation.hold)
        self.lecture.sigScale.connect(self._fit_panels)
        self.controls.sigOpenCsv.connect(self.ask_csv)
        self.controls.sigError.connect(self.show_error)
        handle.sigSnapshot.connect(self.drawing.draw)
        worker.sigBusy.connect(self._on_busy)
        worker.sigRunStarted.connect(self._on_run_started)
        worker.sigRestored.connect(self._on_restored)
        worker.sigPlaying.connect(self.transport.set_playing)
        worker.sigLiveChange.connect(self._on_live_change)
        worker.sigConfigInForce.connect(state.set_config)
        worker.sigDiverged.connect(lambda text: self.banner.show_message(text, "warning"))
        worker.sigError.connect(self.show_error)
        worker.sigNotice.connect(lambda text: self.banner.show_message(text, "info",
                                                                       seconds=NEWS_SECONDS))
        worker.sigNews.connect(self._on_news)
        worker.sigCompareChanged.connect(self._on_compare_changed)
        self.compare.sigSpec.connect(handle.sigCompare)
        self.presets_menu.sigChosen.connect(self.apply_preset)
        self.presets_menu.sigError.connect(self.show_error)
        self.analysis.connect_worker(handle)
        for panel in self.analysis.panels.values():
            panel.sigDrawn.connect(self.lecture.refresh)

    # --- from the worker --------------------------------------------------------------------

    def _on_busy(self, text: str) -> None:
        doing = text.split("...")[0]
        self.status.setText(doing + "...")
        if text.startswith(("Compiling", "Preparing")):  # a network new to this session
            self.banner.show_message(text, "info")
            self.setWindowTitle(f"dropviz · {doing.lower()}...")

    def _on_news(self, text: str) -> None:
        """News nobody asked for, e.g. the fast network took over: it never hides a problem."""
        if self.banner.kind() not in ("warning", "error"):
            self.banner.show_message(text, "info", seconds=NEWS_SECONDS)

    def _on_run_started(self, info: RunInfo) -> None:
        self.drawing.cancel()
        self.state.run_started(info)
        for view in self.views.values():
            view.run_started(info)
        self._make_room()
        self.controls.set_report(info.report)
        self.analysis.set_run(info)
        self.lecture.refresh()  # the mask view made new plots
        self.banner.clear("info")
        self.banner.clear("warning")
        if info.reason not in ("start", "reset"):
            self.banner.show_message(
                f"New run: {info.reason}. That needs a new network, so training starts again "
                "from step 0.", "info", seconds=NEWS_SECONDS)

    def _on_restored(self, restored: RestoredWindow) -> None:
        """What a snapshot does not bring: the controls, the markers and the speed."""
        self.state.restore(restored)
        self.handle.sigRestoredShown.emit()
        if restored.speed is not None:
            nearest = min(SPEEDS, key=lambda speed: abs(speed - restored.speed))
            self.transport.speed.setValue(SPEEDS.index(nearest))

    def _on_drawn(self, snapshot: Snapshot) -> None:
        """Every view shows `snapshot`."""
        self.state.drawn(snapshot)
        self.status.setText(status_text(snapshot))
        info = self.state.run_info
        name = info.dataset_name if info is not None else snapshot.config.dataset.name
        self.setWindowTitle(f"dropviz · {name} · step {snapshot.step}")

    def _on_live_change(self, step: int, old: Config, new: Config) -> None:
        text = describe_live_change(old, new)
        if text:
            self.state.live_change(step, text)

    def show_error(self, text: str) -> None:
        self.banner.show_message(text, "error")

    # --- compare, presets, help -------------------------------------------------------------

    def _on_compare_changed(self, label: str) -> None:
        """The worker's word on the baseline: its label when one joins, "" when it goes."""
        self.compare.show_active(label)
        for view in self.views.values():
            view.set_compare(label)
        self._make_room()
        self.lecture.refresh()

    def _compared(self) -> tuple[CompareSpec | None, str]:
        """The baseline training alongside and its label; (None, "") when none is."""
        label = self.compare.active_label
        return (self.compare.spec if label else None), label

    def _make_room(self) -> None:
        """While comparing 2-D data the baseline's map takes the thinned network's place: four
        views in a row would leave each too narrow to read. When the views have no room for
        three in a row, after the controls folded (a small projector in lecture mode), two
        views give way: the thinned network (the raster shows the same masks) and the accuracy
        (the loss and the gap tell the story), or the raster while two maps are compared."""
        info = self.state.run_info
        maps = (bool(self.compare.active_label) and info is not None and info.is_2d
                and not info.config.recurrent)  # a recurrent run shows its states, not a map
        drawer = self.drawer
        controls = self.controls.needed_width() if drawer.open else drawer.strip.width()
        narrow = self.width() - controls < VIEWS_MIN_WIDTH * self.lecture.scale
        self.baseline_decision_view.setVisible(maps)
        self.network_view.setVisible(not maps and not narrow)
        self.mask_view.setVisible(not (maps and narrow))
        self.accuracy_view.setVisible(not narrow)

    def apply_preset(self, preset: Preset) -> None:
        """A new run of the preset, with its compare run alongside, and its story shown."""
        try:
            spec = preset_spec(preset)
        except DropvizError as error:
            self.show_error(f"Preset {preset.title}: {error}")
            return
        self.state.set_config(preset.config)
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
        """Train on a CSV file; without `label`, a dialog asks for the label column and whether
        bad rows may be dropped (with a label, that stays as it is)."""
        try:
            columns = csv_columns(path)
        except DropvizError as error:
            self.show_error(str(error))
            return
        drop_bad_rows = self.state.config.dataset.drop_bad_rows
        if label is None:
            dialog = LabelDialog(path, columns, drop_bad_rows, self)
            if dialog.exec_() != QDialog.Accepted:
                return
            label, drop_bad_rows = dialog.label(), dialog.drop_bad_rows()
        self.controls.use_csv(str(Path(path).resolve()), label, drop_bad_rows)

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

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_panels()

    def _fit_panels(self) -> None:
        """The controls and the views to the window's width and the text's scale."""
        self.drawer.fit(self.width(), self.lecture.scale)
        self._make_room()
        self.explanation.fit()

    def is_busy(self) -> bool:
        """Training, or building a run: when a long garbage-collection pass would be felt."""
        return self.transport.is_playing() or building_aside()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.files.remember()
        self.recorder.discard()
        self.handle.shutdown()
        event.accept()
