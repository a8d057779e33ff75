"""File > Export run, Save and Open experiment, Open Recent; each plot's own export; settings.

Writing reads the trainer, so the worker writes the model's files and the experiment on its thread
while the window stays usable, and answers with sigFilesWritten or sigFilesFailed; the plots are
then rendered here, because painting happens on the GUI thread only. The worker pauses the run
before it writes, so the files and the plots show the same step. Every question to the user is a
method of its own (`ask_...`, `confirm_replace`) that tests replace.

It is given what it uses (the window as a Qt main window, its state, the views, the worker's handle
and the banner), not the window's class: the window makes it, and nothing here imports the window.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from PyQt5.QtCore import QObject, Qt, QTimer
from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import (
    QAction,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
)

from dropviz.model.errors import ExportError
from dropviz.model.file_names import EXPERIMENT_FILE, EXPERIMENT_SUFFIX, RUN_FILES
from dropviz.model.input_files import check_regular_file
from dropviz.session.run_record import RestoredWindow
from dropviz.session.snapshot import RunInfo
from dropviz.ui.banner import Banner
from dropviz.ui.settings import (
    add_recent,
    last_folder,
    recent_experiments,
    remember_config,
    remember_folder,
    remember_window,
    remove_recent,
)
from dropviz.ui.views.pinned_runs import PINNED_CSV, PINNED_JSON, write_pinned
from dropviz.ui.views.plot_export import (
    WINDOW_FILE,
    graphics_view,
    plot_file_names,
    write_plots,
    write_view,
    write_window,
)
from dropviz.ui.views.registry import PLOT_NAMES
from dropviz.ui.views.view import View
from dropviz.ui.window_state import WindowState
from dropviz.ui.worker.worker import WorkerHandle

EXPERIMENT_FILTER = "dropviz experiments (*.dropviz);;All files (*)"
NEWS_SECONDS = 15.0


def export_file_names() -> list[str]:
    """Every file Export run writes, to ask before any of them is replaced."""
    return [*RUN_FILES, EXPERIMENT_FILE, *plot_file_names(), WINDOW_FILE, PINNED_CSV, PINNED_JSON]


class FileActions(QObject):
    """The window's file side: its menu actions, dialogs and answers from the worker."""

    def __init__(self, window: QMainWindow, state: WindowState, views: Mapping[str, View],
                 handle: WorkerHandle, banner: Banner) -> None:
        super().__init__(window)
        self.window = window
        self.state = state
        self.views = views
        self.handle = handle
        self.banner = banner
        self.current_path: Path | None = None  # the experiment this run was opened or saved as
        # The run's status line fills the status bar, so a message of the bar's own would not
        # show: files have a note and a progress bar of their own at its right end.
        self.note = QLabel()
        self.note.setMaximumWidth(700)  # a long path must not widen the window; the tip has all
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(200)
        self.progress.hide()
        window.statusBar().addPermanentWidget(self.note)
        window.statusBar().addPermanentWidget(self.progress)
        self._note_timer = QTimer(self)
        self._note_timer.setSingleShot(True)
        self._note_timer.timeout.connect(self.note.clear)
        self.export_action = self._action("&Export run...", QKeySequence("Ctrl+E"),
                                          "Write config, metrics, weights, data, masks, the "
                                          "experiment and every plot into one folder.",
                                          self.export_run)
        self.save_action = self._action("&Save experiment", QKeySequence("Ctrl+S"),
                                        "Save settings, weights, optimizer state and curves in "
                                        "one file; opening it continues training exactly.",
                                        self.save)
        self.save_as_action = self._action("Save experiment &as...", QKeySequence("Ctrl+Shift+S"),
                                           "Save the experiment under a new name.", self.save_as)
        self.open_action = self._action("&Open experiment...", QKeySequence("Ctrl+O"),
                                        "Open a saved experiment (a .dropviz file, or a folder "
                                        "with experiment.dropviz) where it stopped.",
                                        self.open)
        self.recent_menu = QMenu("Open &recent", window)
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self._install_plot_menus()
        worker = handle.worker
        worker.sigFilesWritten.connect(self._written)
        worker.sigFilesFailed.connect(self._failed)
        worker.sigRunStarted.connect(self._run_started)
        worker.sigRestored.connect(self._restored)

    def _action(self, text: str, keys: QKeySequence, tip: str,
                slot: Callable[[], None]) -> QAction:
        action = QAction(text, self.window)
        action.setShortcut(keys)
        action.setToolTip(tip)
        action.triggered.connect(slot)
        self.window.addAction(action)  # the shortcut works with the menu bar hidden too
        return action

    def install_menu(self, menu: QMenu, before: QAction) -> None:
        """The file actions go into the window's File menu, above `before`."""
        menu.setToolTipsVisible(True)
        menu.insertActions(before, [self.open_action])
        menu.insertMenu(before, self.recent_menu)
        menu.insertActions(before, [self.save_action, self.save_as_action])
        menu.insertSeparator(before)
        menu.insertActions(before, [self.export_action])
        menu.insertSeparator(before)

    def _install_plot_menus(self) -> None:
        """Right-click on a plot offers its own export; pyqtgraph's menus stay off."""
        for name in PLOT_NAMES:
            view = graphics_view(self.views, name)
            view.setContextMenuPolicy(Qt.ActionsContextMenu)
            for kind in ("png", "svg"):
                action = QAction(f"Export {kind.upper()}...", view)
                action.triggered.connect(lambda _=False, n=name, k=kind: self.export_plot(n, k))
                view.addAction(action)

    # --- questions (tests replace these) ------------------------------------------------------

    def ask_export_folder(self) -> Path | None:
        folder = QFileDialog.getExistingDirectory(self.window, "Export the run into a folder",
                                                  str(last_folder()))
        return Path(folder) if folder else None

    def ask_save_path(self) -> Path | None:
        """A name given without .dropviz gets it."""
        start = self.current_path or last_folder() / EXPERIMENT_FILE
        path, _ = QFileDialog.getSaveFileName(self.window, "Save the experiment", str(start),
                                              EXPERIMENT_FILTER)
        return self._with_suffix(path, EXPERIMENT_SUFFIX)

    def ask_open_path(self) -> Path | None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open an experiment",
                                              str(last_folder()), EXPERIMENT_FILTER)
        return Path(path) if path else None

    def ask_plot_path(self, name: str, kind: str) -> Path | None:
        path, _ = QFileDialog.getSaveFileName(
            self.window, f"Export the {name} plot as {kind.upper()}",
            str(last_folder() / f"{name}.{kind}"), f"{kind.upper()} images (*.{kind})")
        return self._with_suffix(path, f".{kind}")

    def _with_suffix(self, path: str, suffix: str) -> Path | None:
        """The dialog asked before replacing the name typed, not the one with `suffix` added."""
        if not path:
            return None
        chosen = Path(path)
        if chosen.suffix.lower() == suffix:
            return chosen
        named = chosen.with_name(chosen.name + suffix)
        if named.exists() and not self.confirm_replace(named.parent, [named.name]):
            return None
        return named

    def confirm_replace(self, folder: Path, names: list[str]) -> bool:
        shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
        answer = QMessageBox.question(
            self.window, "Replace files?",
            f"{folder} already holds {shown}.\n\nReplace {'it' if len(names) == 1 else 'them'}?",
            QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
        return answer == QMessageBox.Yes

    # --- requests -----------------------------------------------------------------------------

    def export_run(self) -> None:
        folder = self.ask_export_folder()
        if folder is None:
            return
        existing = [name for name in export_file_names() if (folder / name).exists()]
        if existing and not self.confirm_replace(folder, existing):
            return
        remember_folder(folder)
        self._begin(f"Exporting the run to {folder}...")
        self.handle.sigExportRun.emit(str(folder), list(self.state.markers))

    def save(self) -> None:
        """To the file this run was opened from or saved to; the first time, ask where."""
        if self.current_path is None:
            self.save_as()
        else:
            self.save_to(self.current_path)

    def save_as(self) -> None:
        path = self.ask_save_path()
        if path is not None:
            self.save_to(path)

    def save_to(self, path: Path) -> None:
        remember_folder(path.parent)
        self._begin(f"Saving the experiment to {path}...")
        self.handle.sigSaveExperiment.emit(str(path), list(self.state.markers))

    def open(self) -> None:
        path = self.ask_open_path()
        if path is not None:
            self.open_path(path)

    def open_path(self, path: str | Path) -> None:
        """A .dropviz file, or a folder holding experiment.dropviz (an export, or --out)."""
        path = Path(path)
        if path.is_dir():
            path = path / EXPERIMENT_FILE
        if not path.exists():
            text = f"{path} does not exist."
            if str(path.resolve()) in recent_experiments():
                remove_recent(path)
                text = f"{path} no longer exists, so it was removed from Open recent."
            self._error(text)
            return
        try:  # a FIFO would block the worker's read, and a device never end
            check_regular_file(path, "a dropviz experiment", ExportError)
        except ExportError as error:
            self._error(str(error))
            return
        remember_folder(path.parent)
        self.handle.sigOpenExperiment.emit(str(path))

    def export_plot(self, name: str, kind: str) -> None:
        path = self.ask_plot_path(name, kind)
        if path is None:
            return
        try:
            write_view(graphics_view(self.views, name), path)
        except ExportError as error:
            self._error(str(error))
            return
        remember_folder(path.parent)
        self.banner.show_message(f"Exported the {name} plot to {path}.", "info",
                                        seconds=NEWS_SECONDS)

    def remember(self) -> None:
        """On closing: the settings in force and the window's geometry, for the next session."""
        snapshot = self.state.snapshot
        remember_config(snapshot.config if snapshot is not None else self.state.config)
        remember_window(self.window)

    def _error(self, text: str) -> None:
        self.banner.show_message(text, "error")

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        paths = recent_experiments()
        for number, path in enumerate(paths, start=1):
            action = self.recent_menu.addAction(f"&{number} {Path(path).name}  ({Path(path).parent})")
            action.triggered.connect(lambda _=False, p=path: self.open_path(p))
        if not paths:
            self.recent_menu.addAction("No recent experiments").setEnabled(False)

    # --- answers from the worker --------------------------------------------------------------

    def _begin(self, text: str) -> None:
        """Until the worker answers: a busy bar, and no second write in the meantime."""
        for action in (self.export_action, self.save_action, self.save_as_action):
            action.setEnabled(False)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.show_note(text)

    def _end(self) -> None:
        for action in (self.export_action, self.save_action, self.save_as_action):
            action.setEnabled(True)
        self.progress.hide()
        self.show_note("")

    def show_note(self, text: str, seconds: float | None = None) -> None:
        """A line in the status bar; with `seconds` it goes by itself."""
        self._note_timer.stop()
        self.note.setText(text)
        self.note.setToolTip(text)
        if seconds is not None:
            self._note_timer.start(round(seconds * 1000))

    def _show_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.progress.repaint()  # rendering holds the event loop until the plots are written

    def _written(self, kind: str, path: str, paths: list[Path]) -> None:
        step = self.state.snapshot.step
        if kind == "save":
            self._end()
            self.current_path = Path(path)
            add_recent(path)
            self.banner.show_message(f"Saved the experiment at step {step} to {path}.",
                                            "info", seconds=NEWS_SECONDS)
            return
        folder = Path(path)
        try:
            plots = write_plots(self.views, folder, self._show_progress)
            plots += write_pinned(folder, self.state.pins)
            self._end()  # the bar is not part of the picture of the window
            write_window(self.window, folder / WINDOW_FILE)
        except ExportError as error:
            self._error(f"The model's files were written to {folder}, but the plots "
                                   f"were not: {error}")
            return
        finally:
            self._end()
        add_recent(folder / EXPERIMENT_FILE)
        self.banner.show_message(
            f"Exported the run at step {step} to {folder}: {len(paths)} model and experiment "
            f"files, {len(plots)} plot files and {WINDOW_FILE}.", "info", seconds=NEWS_SECONDS)

    def _failed(self, kind: str, message: str) -> None:
        self._end()
        what = "Export" if kind == "export" else "Saving"
        self._error(f"{what} failed: {message}")

    def _run_started(self, info: RunInfo) -> None:
        """A new run is not the experiment saved before: Save asks for a file again."""
        self.current_path = None

    def _restored(self, restored: RestoredWindow) -> None:
        """The window state takes the experiment's settings and markers (see the window); here
        it becomes the file Save writes to, and a recent one."""
        self.current_path = restored.path
        add_recent(restored.path)
        self.banner.show_message(
            f"Opened {restored.path.name} at step {restored.step}, paused where it was saved: "
            "press Space to continue training.", "info", seconds=NEWS_SECONDS)
