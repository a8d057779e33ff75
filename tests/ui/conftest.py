"""A small window for each test, built from the session's pool of compiled networks."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator

import pytest
from PyQt5.QtCore import QSettings
from ui_helpers import SMALL, START_TIMEOUT

from dropviz.model.config import Config
from dropviz.model.trainer import NetworkPool
from dropviz.ui.garbage import GuiGarbageCollector
from dropviz.ui.main_window import MainWindow


@pytest.fixture(autouse=True, scope="session")
def private_settings(tmp_path_factory) -> None:
    """The window remembers settings and recent files: never in the real user's settings."""
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope,
                      str(tmp_path_factory.mktemp("settings")))


@pytest.fixture(autouse=True, scope="module")
def garbage_collected_on_gui_thread(qapp) -> Iterator[None]:
    """As in the app (see dropviz/ui/garbage.py): the tests' closed windows are garbage that a
    build or compile thread would otherwise collect, and crash Qt.

    Unlike the app's, a test process holds every network the earlier files compiled: a full pass
    over them took 8-9 s at the end of a file late in a run of the suite on cold caches (0.6-0.9 s
    in a short one). So the full pass waits for the file's end, and what survives it is frozen:
    the next files' passes traverse only what they made.
    """
    collector = GuiGarbageCollector(busy=lambda: True)
    yield
    collector.timer.stop()
    gc.collect()
    gc.freeze()
    gc.enable()


@pytest.fixture
def make_window(qtbot, pool: NetworkPool) -> Iterator[Callable[..., MainWindow]]:
    """Open a window and wait for the first snapshot (step 0) of its run.

    The windows are held here until qtbot has closed them at teardown: qtbot holds only weak
    references, and a window that became garbage before (when the test returns) would be collected
    with its worker thread still running, which Qt answers by aborting the process.
    """
    made: list[MainWindow] = []

    def make(config: Config = SMALL, network_pool: NetworkPool | None = None) -> MainWindow:
        window = MainWindow(config, pool=network_pool or pool)
        made.append(window)
        qtbot.addWidget(window)
        window.resize(1400, 900)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        qtbot.waitUntil(lambda: window.last_snapshot is not None, timeout=START_TIMEOUT)
        return window

    yield make
    made.clear()  # qtbot's teardown, which ran before this, closed them
