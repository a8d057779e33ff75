"""Start the window: what `make run`, `main.py` and `dropviz` call."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from types import TracebackType

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QApplication

from dropviz.model.config import Config
from dropviz.ui.main_window import MainWindow
from dropviz.ui.settings import restore_window, stored_config

WINDOW_SIZE = (1600, 1000)


def run_app(config: Config | None = None) -> int:
    """Show the window on `config` (default: the last session's, else moons) until it closes."""
    if QApplication.instance() is None:
        # Before the application exists: sharp text on high-DPI screens and projectors.
        QApplication.setAttribute(Qt.AA_EnableHighDpiScaling, True)
        QApplication.setAttribute(Qt.AA_UseHighDpiPixmaps, True)
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("dropviz")
    note = ""
    if config is None:
        config, note = stored_config()
    window = MainWindow(config)
    sys.excepthook = _show_in(window)
    app.aboutToQuit.connect(window.handle.shutdown)
    screen = app.primaryScreen().availableGeometry()
    window.resize(min(WINDOW_SIZE[0], screen.width()), min(WINDOW_SIZE[1], screen.height()))
    restore_window(window)
    if note:
        window.files.show_note(note, seconds=30)
    window.show()
    window.raise_()
    window.activateWindow()
    return app.exec_()


def _show_in(window: MainWindow) -> Callable[..., None]:
    """Errors raised in the window's own code show in the window, not only on the console."""

    def hook(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
        traceback.print_exception(kind, error, trace)
        window.show_error(f"Unexpected error: {kind.__name__}: {error}")

    return hook
