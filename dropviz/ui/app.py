"""Start the window: what `make run`, `main.py` and `dropviz` call."""

from __future__ import annotations

import gc
import signal
import socket
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType

from PyQt5.QtCore import QSocketNotifier, Qt, QTimer
from PyQt5.QtGui import QIcon
from PyQt5.QtWidgets import QApplication

from dropviz.logs import log_unexpected, start_window_log, stop_window_log
from dropviz.model.config import Config
from dropviz.model.errors import DropvizError
from dropviz.model.presets import PRESETS_FOLDER, load_preset
from dropviz.resources import icon_path
from dropviz.session.compare import preset_spec
from dropviz.session.setup_string import Setup
from dropviz.ui.garbage import GuiGarbageCollector
from dropviz.ui.main_window import MainWindow
from dropviz.ui.settings import restore_window, stored_config

WINDOW_SIZE = (1600, 1000)
# The first launch opens on the story: 64-64 on moons with dropout beside the same net without.
# Measured over 5 seeds after a minute of training (18,000 steps), its gap with dropout is 0.48 of
# the one without, where the old first settings (256-256, no second run to see it by) showed 0.92
# (docs/figures.md, "The first launch"); the preset's claim test checks it at step 1000.
FIRST_PRESET = "02_dropout_closes_gap"
CLOSING_SIGNALS = (signal.SIGINT, signal.SIGTERM)  # Ctrl+C in the terminal; logout, kill


def first_launch_setup() -> Setup | None:
    """The preset that tells dropout's story, with its baseline; None if it cannot be read (the
    window then opens on the defaults, as it would without presets)."""
    try:
        preset = load_preset(PRESETS_FOLDER / f"{FIRST_PRESET}.json")
    except DropvizError:
        return None
    return Setup(preset.config, preset.key, preset_spec(preset))


def run_app(config: Config | None = None, setup: Setup | None = None) -> int:
    """Show the window on `config` (default: the last session's, else moons) or on a setup
    (`dropviz --setup`) until it closes."""
    if QApplication.instance() is None:
        # Before the application exists: sharp text on high-DPI screens and projectors.
        QApplication.setAttribute(Qt.AA_EnableHighDpiScaling, True)
        QApplication.setAttribute(Qt.AA_UseHighDpiPixmaps, True)
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("dropviz")
    app.setDesktopFileName("dropviz")  # Wayland matches the window to dropviz.desktop by this
    app.setWindowIcon(QIcon(str(icon_path())))
    start_window_log()
    collector = GuiGarbageCollector()
    note = ""
    if setup is None and config is None:
        config, note = stored_config()
        if config is None and not note:
            setup = first_launch_setup()
    if setup is not None:
        config = setup.config
    window = MainWindow(config)
    collector.busy = window.is_busy
    sys.excepthook = _show_in(window)
    app.aboutToQuit.connect(window.handle.shutdown)
    screen = app.primaryScreen().availableGeometry()
    window.resize(min(WINDOW_SIZE[0], screen.width()), min(WINDOW_SIZE[1], screen.height()))
    restore_window(window)
    if note:
        window.files.show_note(note, seconds=30)
    if setup is not None:
        window.setups.open(setup)
    window.show()
    window.raise_()
    window.activateWindow()
    with _closing_on_signals(window):
        code = app.exec_()
    collector.stop()
    stop_window_log()
    # The process ends next, and its last collection would go through every object of the
    # compiled networks, which the exit frees anyway: 1.2-2.8 s from a signal to the exit with a
    # quick start's twins beside the fast networks, 0.25-0.4 s frozen (measured on 2 busy cores).
    gc.freeze()
    return code


@contextmanager
def _closing_on_signals(window: MainWindow) -> Iterator[None]:
    """SIGINT and SIGTERM close the window as Quit does: settings remembered, a write finished.

    Python's defaults do neither: SIGTERM ends the process in the middle of whatever it is
    writing, and SIGINT raises KeyboardInterrupt in whichever slot runs next, which the window
    shows as an unexpected error and carries on. Python runs a handler only between two bytecodes
    of the main thread, which may idle in Qt's loop for minutes, so the signal also wakes the loop
    through a socket; the handler then leaves the closing to the loop, not to whatever code it
    interrupted.
    """
    reader, writer = socket.socketpair()
    for end in (reader, writer):
        end.setblocking(False)
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Read)
    notifier.activated.connect(lambda: reader.recv(64))  # Python runs the handler meanwhile
    previous = {number: signal.signal(number, lambda *_: QTimer.singleShot(0, window.close))
                for number in CLOSING_SIGNALS}
    wakeup = signal.set_wakeup_fd(writer.fileno())
    try:
        yield
    finally:
        signal.set_wakeup_fd(wakeup)
        for number, handler in previous.items():
            signal.signal(number, handler)
        notifier.setEnabled(False)
        reader.close()
        writer.close()


def _show_in(window: MainWindow) -> Callable[..., None]:
    """Errors raised in the window's own code show in the window and go to the log file, not only
    to the console (which a window started from a desktop menu does not have)."""

    def hook(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
        traceback.print_exception(kind, error, trace)
        log_unexpected(kind, error, trace)
        window.show_error(f"Unexpected error: {kind.__name__}: {error}")

    return hook
