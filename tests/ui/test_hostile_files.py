"""The window offered a FIFO, a device or a folder: a message in the window, never a frozen thread.

Issue 19, class 2: File > Open CSV on a FIFO froze the GUI thread until SIGKILL. The dialogs'
paths (Open CSV, Open experiment, a dropped file) now refuse anything but a regular file at once,
and the window stays responsive: a step still runs after each refusal.
"""

from __future__ import annotations

import os
import time

import pytest
from ui_helpers import TIMEOUT, wait_step


def wait_error(qtbot, window) -> str:
    qtbot.waitUntil(lambda: window.banner.kind() == "error", timeout=TIMEOUT)
    return window.banner.text()


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe.csv"
    os.mkfifo(path)
    return path


def test_open_csv_and_open_experiment_refuse_a_fifo_and_a_device(qtbot, make_window, fifo):
    window = make_window()
    for path, kind in ((fifo, "is a named pipe (FIFO)"), ("/dev/zero", "is a device")):
        started = time.perf_counter()
        window.open_csv(str(path), label="label")
        assert kind in wait_error(qtbot, window)
        assert "CSV file" in window.banner.text()
        window.banner.clear()
        window.files.open_path(path)
        assert kind in wait_error(qtbot, window)
        assert "not a dropviz experiment" in window.banner.text()
        window.banner.clear()
        assert time.perf_counter() - started < 5
    step = window.last_snapshot.step
    window.handle.sigStep.emit()
    wait_step(qtbot, window, step + 1)
