"""Configs and waits shared by the window tests."""

from __future__ import annotations

from PyQt5.QtCore import Qt

from dropviz.model.config import Config, DatasetConfig
from dropviz.session.snapshot import Snapshot
from dropviz.ui.main_window import MainWindow

# Small enough to compile and run fast; moons has 2 features, so every view is in use.
SMALL = Config(dataset=DatasetConfig(name="moons", n_samples=200, noise=0.3, train_fraction=0.3),
               hidden_layers=(16, 16), activation="relu", optimizer="adam", learning_rate=0.01,
               batch_size=32)
START_TIMEOUT = 120_000  # ms: the first window of a session compiles the network
TIMEOUT = 30_000


class Recorder:
    """Every snapshot the window received, in order."""

    def __init__(self, window: MainWindow) -> None:
        self.snapshots: list[Snapshot] = []
        window.handle.sigSnapshot.connect(self.snapshots.append)

    @property
    def last(self) -> Snapshot:
        return self.snapshots[-1]


def press(qtbot, window: MainWindow, key: int) -> None:
    """A key press as the user makes it, to whatever has the focus in the window."""
    qtbot.keyClick(window.focusWidget() or window, key)


def wait_step(qtbot, window: MainWindow, at_least: int) -> Snapshot:
    qtbot.waitUntil(lambda: window.last_snapshot.step >= at_least, timeout=TIMEOUT)
    return window.last_snapshot


def wait_paused(qtbot, window: MainWindow) -> Snapshot:
    """After a pause the worker sends one more snapshot, of the step it stopped at."""
    qtbot.waitUntil(lambda: not window.transport.is_playing()
                    and not window.last_snapshot.playing, timeout=TIMEOUT)
    return window.last_snapshot


def play_until(qtbot, window: MainWindow, at_least: int) -> Snapshot:
    """Press Space, train to at least step `at_least`, press Space again; the paused snapshot."""
    press(qtbot, window, Qt.Key_Space)
    wait_step(qtbot, window, at_least)
    press(qtbot, window, Qt.Key_Space)
    return wait_paused(qtbot, window)


def kept_fraction(snapshot: Snapshot, layer: str) -> float:
    return float(snapshot.masks[layer].mean())


def wait_news(qtbot, window: MainWindow, start: str) -> str:
    """The banner's text once it starts with `start`, or fail on an error banner."""
    def arrived() -> bool:
        assert window.banner.kind() != "error", window.banner.text()
        return window.banner.text().startswith(start)

    qtbot.waitUntil(arrived, timeout=TIMEOUT)
    return window.banner.text()


def choose(box, value: str) -> None:
    """Pick a combo entry as a user does: `activated` is what a click emits."""
    index = box.findData(value)
    box.setCurrentIndex(index)
    box.activated.emit(index)
