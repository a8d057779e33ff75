"""Dropout settings act between two steps, without a reset, and the curves mark the moment."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from PyQt5.QtCore import Qt
from ui_helpers import SMALL, TIMEOUT, Recorder, choose, kept_fraction, press, wait_paused, wait_step

from dropviz.model.config import DropoutConfig


def test_hidden_rate_changes_live_while_playing(make_window, qtbot):
    window = make_window()
    press(qtbot, window, Qt.Key_S)
    qtbot.waitUntil(lambda: window.last_snapshot.step == 1, timeout=TIMEOUT)
    assert kept_fraction(window.last_snapshot, "hidden1") == pytest.approx(0.5, abs=0.1)

    press(qtbot, window, Qt.Key_Space)
    before = wait_step(qtbot, window, 10)
    recorder = Recorder(window)
    window.controls.dropout.hidden_rate.spin.setValue(0.1)
    qtbot.waitUntil(lambda: any(s.config.dropout.hidden == 0.1 and s.step > before.step + 5
                                for s in recorder.snapshots), timeout=TIMEOUT)
    press(qtbot, window, Qt.Key_Space)
    after = wait_paused(qtbot, window)

    assert after.step > before.step, "the run went on: no reset"
    for layer in ("hidden1", "hidden2"):
        assert kept_fraction(after, layer) == pytest.approx(0.9, abs=0.06)
    assert kept_fraction(after, "input") == 1.0
    markers = window.loss_view.markers.items()
    assert len(markers) == 1
    marker_step, text = markers[0]
    assert before.step <= marker_step < after.step
    assert "hidden p 0.1" in text
    assert [step for step, _ in window.gap_view.markers.items()] == [marker_step]
    # Masks drawn before the marker have the old rate, those after it the new one.
    recent = after.recent_masks["hidden1"]
    new_columns = recent[:, after.recent_steps > marker_step]
    assert new_columns.mean() == pytest.approx(0.9, abs=0.08)


def test_input_rate_and_mask_shape_change_live(make_window, qtbot):
    window = make_window()
    window.controls.dropout.input_rate.slider.setValue(10)  # ten steps of 0.05
    choose(window.controls.dropout.mask, "per_batch")
    press(qtbot, window, Qt.Key_S)
    qtbot.waitUntil(lambda: window.last_snapshot.step == 1, timeout=TIMEOUT)
    snapshot = window.last_snapshot
    assert snapshot.config.dropout.input == 0.5
    assert window.controls.dropout.input_rate.spin.value() == 0.5
    assert snapshot.config.mask == "per_batch"
    hidden = snapshot.masks["hidden1"]
    assert (hidden == hidden[0]).all(), "one mask for the whole batch"
    assert not window.mask_view.batch_visible()
    assert window.loss_view.markers.items()[0][0] == 0, "changed before the first step"


def test_scaling_mode_changes_the_test_time_network_at_once(make_window, qtbot):
    window = make_window()
    for _ in range(20):
        press(qtbot, window, Qt.Key_S)
    qtbot.waitUntil(lambda: window.last_snapshot.step == 20, timeout=TIMEOUT)
    inverted = window.last_snapshot

    choose(window.controls.dropout.scaling, "none")
    qtbot.waitUntil(lambda: window.last_snapshot.config.scaling == "none", timeout=TIMEOUT)
    unscaled = window.last_snapshot
    assert unscaled.step == 20, "a live change needs no step and no reset"
    # Trained with inverted dropout, the network expects hidden activations at full size at test
    # time; "none" gives them that too, so the change shows in the next steps' training instead.
    choose(window.controls.dropout.scaling, "weight_scaling")
    qtbot.waitUntil(lambda: window.last_snapshot.config.scaling == "weight_scaling",
                    timeout=TIMEOUT)
    weight_scaled = window.last_snapshot
    assert weight_scaled.step == 20
    assert weight_scaled.evaluation.train_loss != pytest.approx(inverted.evaluation.train_loss)
    np.testing.assert_array_equal(weight_scaled.weights["W1"], inverted.weights["W1"])
    texts = [text for _, text in window.loss_view.markers.items()]
    assert texts[-1] == "scaling weight scaling"


def test_per_layer_hidden_rates_survive_other_edits(make_window, qtbot):
    window = make_window(replace(SMALL, dropout=DropoutConfig(hidden=(0.3, 0.6))))
    assert window.controls.dropout.hidden_rate.value() == 0.3
    window.controls.network.learning_rate.setValue(0.02)
    qtbot.waitUntil(lambda: window.last_snapshot.config.learning_rate == 0.02, timeout=TIMEOUT)
    assert window.last_snapshot.config.dropout.hidden == (0.3, 0.6)
    window.controls.dropout.hidden_rate.spin.setValue(0.2)
    qtbot.waitUntil(lambda: window.last_snapshot.config.dropout.hidden == 0.2, timeout=TIMEOUT)
