"""Closing at any moment ends cleanly, divergence pauses with advice, errors reach the window."""

from __future__ import annotations

import time
from dataclasses import replace

from PyQt5.QtCore import Qt
from ui_helpers import SMALL, START_TIMEOUT, TIMEOUT, press, wait_paused, wait_step

from dropviz.model.trainer import NetworkPool
from dropviz.ui.main_window import MainWindow

# Plain SGD at this rate blows a ReLU network up within a few steps: the loss becomes NaN or inf.
DIVERGING = replace(SMALL, optimizer="sgd", learning_rate=100.0)


def test_closing_while_training_ends_within_a_second(make_window, qtbot):
    window = make_window()
    press(qtbot, window, Qt.Key_Space)
    wait_step(qtbot, window, 20)
    started = time.monotonic()
    window.close()
    assert time.monotonic() - started < 1.0
    assert window.handle.thread.isFinished()


def test_closing_while_compiling_ends_within_a_second(qtbot):
    # A pool of its own has no compiled network, so the worker starts by compiling.
    window = MainWindow(SMALL, pool=NetworkPool())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.banner.text().startswith("Compiling"), timeout=TIMEOUT)
    assert window.last_snapshot is None
    started = time.monotonic()
    window.close()
    assert time.monotonic() - started < 1.0
    assert window.handle.thread.isFinished()


def test_divergence_pauses_with_a_message(make_window, qtbot):
    window = make_window(DIVERGING)
    press(qtbot, window, Qt.Key_Space)
    qtbot.waitUntil(lambda: window.banner.kind() == "warning", timeout=START_TIMEOUT)
    text = window.banner.text()
    assert window.banner.isVisible()
    assert "diverged" in text and "lower it" in text and "learning rate 100" in text
    wait_step(qtbot, window, 1)  # the snapshot of the step that diverged
    stopped = wait_paused(qtbot, window)
    qtbot.wait(300)
    assert window.last_snapshot.step == stopped.step, "training stays paused"
    assert stopped.step < 100

    press(qtbot, window, Qt.Key_R)
    qtbot.waitUntil(lambda: window.last_snapshot.step == 0, timeout=TIMEOUT)
    assert not window.banner.isVisible(), "a new run clears the warning"


def test_a_file_that_cannot_be_read_is_reported_in_the_window(make_window, qtbot, tmp_path):
    window = make_window()
    window.open_csv(str(tmp_path / "missing.csv"), label="y")
    assert window.banner.kind() == "error"
    assert "missing.csv" in window.banner.text()


def test_a_bad_csv_leaves_the_run_going_and_the_controls_as_they_were(make_window, qtbot,
                                                                          tmp_path):
    path = tmp_path / "one_class.csv"
    path.write_text("a,b,label\n" + "".join(f"{i % 7},{i % 5},same\n" for i in range(30)))
    window = make_window()
    press(qtbot, window, Qt.Key_S)
    qtbot.waitUntil(lambda: window.last_snapshot.step == 1, timeout=TIMEOUT)
    window.open_csv(str(path), label="label")
    qtbot.waitUntil(lambda: window.banner.kind() == "error", timeout=TIMEOUT)
    assert "one_class.csv" in window.banner.text()
    assert window.controls.dataset.dataset.currentData() == "moons"
    assert window.controls.config.dataset.name == "moons"
    press(qtbot, window, Qt.Key_S)
    qtbot.waitUntil(lambda: window.last_snapshot.step == 2, timeout=TIMEOUT)
    assert window.last_snapshot.config.dataset.name == "moons", "the old run goes on"


def test_a_value_the_config_refuses_is_reported_and_undone(make_window, qtbot):
    window = make_window()
    box = window.controls.network.layers
    box.setText("16, 0")
    box.editingFinished.emit()
    assert window.banner.kind() == "error"
    assert "hidden_layers" in window.banner.text()
    assert box.text() == "16, 16"
