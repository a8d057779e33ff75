"""Steps, saves and opens shared by the window's file tests (test_files.py, test_run_export.py)."""

from __future__ import annotations

from pathlib import Path

from ui_helpers import TIMEOUT, wait_news

from dropviz.session.run_record import EXPERIMENT_FILE
from dropviz.ui.main_window import MainWindow
from dropviz.ui.views.plot_export import PLOT_NAMES

# The units view is shown only for a run with a weight penalty, max-norm or batch norm: SMALL has
# none (tests/ui/test_regularizer_controls.py shows it coming and going). The hidden states are a
# recurrent run's only.
SHOWN_PLOTS = [name for name in PLOT_NAMES if name not in ("units", "states")]


def step(qtbot, window: MainWindow, times: int = 1) -> None:
    for _ in range(times):
        target = window.last_snapshot.step + 1
        window.handle.sigStep.emit()
        qtbot.waitUntil(lambda target=target: window.last_snapshot.step == target, timeout=TIMEOUT)


def wait_error(qtbot, window: MainWindow) -> str:
    qtbot.waitUntil(lambda: window.banner.kind() == "error", timeout=TIMEOUT)
    return window.banner.text()


def save(qtbot, window: MainWindow, path: Path) -> None:
    window.files.ask_save_path = lambda: path
    window.files.save_as()
    wait_news(qtbot, window, "Saved the experiment")


def open_experiment(qtbot, window: MainWindow, path: Path) -> None:
    """Opened, and its first snapshot shown (the news may come before it)."""
    window.banner.clear()
    before = window.last_snapshot
    window.files.open_path(path)
    wait_news(qtbot, window, f"Opened {(path / EXPERIMENT_FILE if path.is_dir() else path).name}")
    qtbot.waitUntil(lambda: window.last_snapshot is not before, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: window.last_snapshot.curves[0].size > 0, timeout=TIMEOUT)
