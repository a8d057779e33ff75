"""The Monte-Carlo panel: computed on a job thread for the network as it is, drawn as computed."""

from __future__ import annotations

import csv
import time

import numpy as np
import pytest
from PyQt5.QtCore import Qt
from ui_helpers import TIMEOUT, press, wait_paused, wait_step


def _run_mc(qtbot, window, k_max: int, map_samples: int):
    window.analysis.menu.actions()[0].trigger()  # Analysis > Monte-Carlo dropout
    panel = window.analysis.mc
    assert window.analysis.currentWidget() is panel and panel.isVisible()
    panel.k_max.setValue(k_max)
    panel.map_samples.setValue(map_samples)
    panel.run_button.click()
    return panel


def test_mc_curve_and_map_of_the_current_network(make_window, qtbot, tmp_path):
    window = make_window()
    for _ in range(15):
        press(qtbot, window, Qt.Key_S)
    qtbot.waitUntil(lambda: window.last_snapshot.step == 15, timeout=TIMEOUT)
    snapshot = window.last_snapshot
    panel = _run_mc(qtbot, window, k_max=20, map_samples=6)
    qtbot.waitUntil(lambda: panel.result is not None, timeout=TIMEOUT)
    result = panel.result
    curve = result.curve

    assert result.step == 15 and result.run == "p=0.5 inverted"
    assert list(curve.ks) == list(range(1, 21))
    # The deterministic line is the test-time network the run evaluates: same error and loss.
    assert curve.deterministic_error == pytest.approx(1.0 - snapshot.evaluation.test_acc)
    assert curve.deterministic_loss == pytest.approx(snapshot.evaluation.test_loss)
    ks, error = panel.error_curve.getOriginalDataset()
    np.testing.assert_array_equal(ks, curve.ks)
    np.testing.assert_array_equal(error, curve.error)
    np.testing.assert_array_equal(panel.loss_curve.getOriginalDataset()[1], curve.loss)
    assert panel.error_line.value() == curve.deterministic_error
    assert panel.error_plot.getPlotItem().ctrl.logXCheck.isChecked(), "K on a log axis"

    spread = result.uncertainty
    np.testing.assert_array_equal(spread.xs, snapshot.grid.xs)  # the decision map's plane
    np.testing.assert_array_equal(spread.ys, snapshot.grid.ys)
    np.testing.assert_array_equal(panel.map_image.image, spread.std)
    assert spread.std.max() > 0, "with p = 0.5 the passes disagree somewhere"
    assert panel.progress.value() == panel.progress.maximum() == 26
    assert "the deterministic network" in panel.status.text()

    written = panel.export_to(tmp_path / "mc.csv")
    names = sorted(path.name for path in written)
    assert names == ["mc-error.png", "mc-error.svg", "mc-loss.png", "mc-loss.svg",
                     "mc-uncertainty.csv", "mc-uncertainty.png", "mc-uncertainty.svg", "mc.csv"]
    rows = list(csv.DictReader((tmp_path / "mc.csv").open()))
    assert [int(row["k"]) for row in rows] == list(range(1, 21))
    np.testing.assert_allclose([float(row["test_error"]) for row in rows], curve.error)
    assert (tmp_path / "mc-error.png").read_bytes()[:4] == b"\x89PNG"
    assert not list(tmp_path.glob("*.part")), "nothing half-written"

    press(qtbot, window, Qt.Key_S)
    qtbot.waitUntil(lambda: window.last_snapshot.step == 16, timeout=TIMEOUT)
    assert window.last_snapshot.evaluation.step == 16, "training goes on after the job"


def test_a_job_pauses_training_and_can_be_cancelled(make_window, qtbot):
    window = make_window()
    press(qtbot, window, Qt.Key_Space)
    wait_step(qtbot, window, 1)  # a snapshot taken while playing: the paused one comes after
    panel = _run_mc(qtbot, window, k_max=1000, map_samples=1000)
    wait_paused(qtbot, window)
    assert panel.is_running() and not panel.run_button.isEnabled()

    press(qtbot, window, Qt.Key_Space)
    qtbot.waitUntil(lambda: window.banner.text().startswith("Training waits"), timeout=TIMEOUT)
    assert "Monte-Carlo" in window.banner.text()
    window.controls.dropout.hidden_rate.spin.setValue(0.2)  # waits for the job to end
    stopped_at = window.last_snapshot.step

    panel.cancel_button.click()
    qtbot.waitUntil(lambda: not panel.is_running(), timeout=TIMEOUT)
    assert panel.result is None
    assert panel.status.text().startswith("Cancelled")
    assert not window.transport.is_playing()
    qtbot.waitUntil(lambda: window.last_snapshot.config.dropout.hidden == 0.2, timeout=TIMEOUT)
    assert window.last_snapshot.step == stopped_at, "the change waited; no step ran meanwhile"
    press(qtbot, window, Qt.Key_Space)
    qtbot.waitUntil(window.transport.is_playing, timeout=TIMEOUT)


def test_closing_during_a_job_ends_at_once_and_the_job_returns_the_network(
        make_window, qtbot, pool, monkeypatch):
    window = make_window()
    panel = _run_mc(qtbot, window, k_max=1000, map_samples=1000)
    qtbot.waitUntil(lambda: panel.progress.value() > 0, timeout=TIMEOUT)
    released = []
    release = pool.release
    monkeypatch.setattr(pool, "release", lambda network: (released.append(network),
                                                          release(network)))
    started = time.monotonic()
    window.close()
    assert time.monotonic() - started < 1.0
    assert window.handle.thread.isFinished()
    qtbot.waitUntil(lambda: len(released) == 1, timeout=TIMEOUT)  # by the job, once stopped
