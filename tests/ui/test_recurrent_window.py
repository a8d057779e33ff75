"""A recurrent run in the window: its controls, a live change of the time mask, the Monte-Carlo
panel and a baseline of the other time mask in lockstep, on the tiny RNN of test_recurrent_views.py."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from PyQt5.QtCore import Qt
from test_recurrent_views import TINY_RNN
from ui_helpers import START_TIMEOUT, TIMEOUT, choose, press

from dropviz.session.compare import NO_DROPOUT, compare_config
from dropviz.ui.panels.compare_controls import BaselineDialog


def test_a_recurrent_run_trains_and_its_time_mask_changes_live(make_window, qtbot):
    window = make_window(TINY_RNN)
    panel, network = window.controls.dropout, window.controls.network
    assert network.model.currentData() == "rnn" and not network.activation.isEnabled()
    assert panel.recurrent_rate.isEnabled() and panel.recurrent_rate.value() == 0.5
    assert panel.time_mask.currentData() == "tied"
    assert window.views["states"].isVisible() and not window.decision_view.isVisible()
    runs = []
    window.handle.worker.sigRunStarted.connect(runs.append)

    choose(panel.time_mask, "per_step")
    assert window.state.config.dropout.time_mask == "per_step"
    press(qtbot, window, Qt.Key_S)
    qtbot.waitUntil(lambda: window.last_snapshot.step == 1, timeout=TIMEOUT)
    snapshot = window.last_snapshot
    assert snapshot.config.dropout.time_mask == "per_step" and not runs, "live: no new run"
    masks = snapshot.masks["recurrent1"]
    assert masks.shape == (16, 16, 8)
    assert (masks[0] != masks[0, :1]).any(), "per step: the mask changes over time"
    assert snapshot.states["recurrent1"].shape == (16, 8)
    qtbot.waitUntil(lambda: window.mask_view.sequence_image("recurrent1") is not None,
                    timeout=TIMEOUT)
    np.testing.assert_array_equal(window.mask_view.sequence_image("recurrent1"),
                                  masks[0].T.astype(np.uint8))

    panel.recurrent_rate.spin.setValue(0.2)  # typed into the box
    assert window.state.config.dropout.recurrent == 0.2
    assert window.state.config.dropout_rates == (0.2, 0.2, 0.5)  # input, recurrent1, hidden1
    press(qtbot, window, Qt.Key_S)
    qtbot.waitUntil(lambda: window.last_snapshot.step == 2, timeout=TIMEOUT)
    assert window.last_snapshot.config.dropout.recurrent == 0.2 and not runs


def test_the_monte_carlo_panel_runs_and_the_sparsity_panel_says_why_not(make_window, qtbot):
    window = make_window(TINY_RNN)
    window.analysis.menu.actions()[0].trigger()  # Analysis > Monte-Carlo dropout
    panel = window.analysis.mc
    assert not panel.map_samples.isEnabled(), "no map of the plane for sequences"
    panel.k_max.setValue(4)
    panel.run_button.click()
    qtbot.waitUntil(lambda: panel.result is not None, timeout=TIMEOUT)
    curve = panel.result.curve
    assert list(curve.ks) == [1, 2, 3, 4]
    assert curve.deterministic_error == pytest.approx(1.0 - window.last_snapshot.evaluation.test_acc)
    sparsity = window.analysis.sparsity
    sparsity.run_button.click()
    assert sparsity.status.text().startswith("Activation sparsity is drawn for feed-forward")
    assert not sparsity.is_running()


def test_a_recurrent_baseline_trains_alongside_with_its_own_time_mask(make_window, qtbot):
    window = make_window(TINY_RNN)  # tied masks
    dialog = BaselineDialog(compare_config(TINY_RNN, NO_DROPOUT))
    qtbot.addWidget(dialog)
    assert dialog.time_mask.currentData() == "per_step" and dialog.recurrent_rate.value() == 0
    dialog.input_rate.set_value(0.2)
    dialog.hidden_rate.set_value(0.5)
    dialog.recurrent_rate.set_value(0.5)
    spec = dialog.spec(TINY_RNN)
    assert spec.label == "p=0.5, input 0.2, state 0.5 per-step inverted"
    window.compare.use(spec)
    qtbot.waitUntil(lambda: window.compare.active_label == spec.label, timeout=START_TIMEOUT)
    press(qtbot, window, Qt.Key_S)
    qtbot.waitUntil(lambda: window.last_snapshot.step == 1
                    and window.last_snapshot.baseline_evaluation is not None, timeout=TIMEOUT)
    snapshot = window.last_snapshot
    baseline = snapshot.baseline_config
    assert baseline.dropout == replace(TINY_RNN.dropout, time_mask="per_step")
    assert snapshot.baseline_evaluation.step == 1
    assert snapshot.baseline_evaluation.test_loss != snapshot.evaluation.test_loss


def test_choosing_a_recurrent_model_starts_a_new_run_and_its_views(make_window, qtbot):
    window = make_window(replace(TINY_RNN, model="mlp"))
    panel = window.controls.dropout
    assert not panel.recurrent_rate.isEnabled() and not panel.time_mask.isEnabled()
    assert window.network_view.unrolled is None and not window.views["states"].isVisible()
    choose(window.controls.network.model, "rnn")
    qtbot.waitUntil(lambda: window.run_info.config.model == "rnn"
                    and window.last_snapshot.config.model == "rnn", timeout=START_TIMEOUT)
    assert window.last_snapshot.step == 0 and window.run_info.config == TINY_RNN
    assert panel.recurrent_rate.isEnabled() and panel.time_mask.isEnabled()
    assert not window.controls.network.activation.isEnabled()
    assert window.network_view.unrolled is not None
    assert window.views["states"].isVisible() and not window.decision_view.isVisible()
