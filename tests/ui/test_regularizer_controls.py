"""The regularizer lab's controls in the window: max-norm and L1 act live between two steps;
the kind of dropout and batch norm start a new run; other edits keep what they set."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from PyQt5.QtCore import Qt
from ui_helpers import SMALL, TIMEOUT, choose, press

from dropviz.model.config import DropoutConfig


def test_max_norm_and_l1_act_live_and_max_norm_limits_every_hidden_unit(make_window, qtbot):
    window = make_window()
    for _ in range(3):
        press(qtbot, window, Qt.Key_S)
    qtbot.waitUntil(lambda: window.last_snapshot.step == 3, timeout=TIMEOUT)
    panel = window.controls.regularizers
    units = window.views["units"]
    assert panel.max_norm.text() == "off" and window.last_snapshot.config.max_norm is None
    assert units.isHidden(), "no weight regularizer: the three curves keep the bottom row"
    panel.max_norm.setValue(0.4)
    qtbot.waitUntil(lambda: window.last_snapshot.config.max_norm == 0.4, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: not units.isHidden(), timeout=TIMEOUT)
    assert [text for _, text in window.loss_view.markers.items()] == ["max-norm 0.4"]
    panel.l1.setValue(0.001)
    qtbot.waitUntil(lambda: window.last_snapshot.config.l1 == 0.001, timeout=TIMEOUT)
    press(qtbot, window, Qt.Key_S)
    qtbot.waitUntil(lambda: window.last_snapshot.step == 4, timeout=TIMEOUT)
    weights = window.last_snapshot.weights
    for name in ("W1", "W2"):
        assert np.linalg.norm(weights[name], axis=0).max() <= 0.4 + 1e-5
    assert np.linalg.norm(weights["W3"], axis=0).max() > 0.4, "the output layer is not limited"
    assert units.norm_counts().sum() == 32  # two hidden layers of 16
    panel.max_norm.setValue(0.0)
    qtbot.waitUntil(lambda: window.last_snapshot.config.max_norm is None, timeout=TIMEOUT)
    assert not units.isHidden(), "L1 is still on"


def test_the_kind_restarts_and_survives_a_rate_edit(make_window, qtbot):
    window = make_window(replace(SMALL, dropout=DropoutConfig(hidden=0.5, kind="gaussian")))
    assert window.controls.regularizers.kind.currentData() == "gaussian"
    window.controls.dropout.hidden_rate.spin.setValue(0.3)
    qtbot.waitUntil(lambda: window.last_snapshot.config.dropout.hidden == 0.3, timeout=TIMEOUT)
    assert window.last_snapshot.config.dropout.kind == "gaussian", "a rate edit keeps the kind"
    press(qtbot, window, Qt.Key_S)
    qtbot.waitUntil(lambda: window.last_snapshot.step == 1, timeout=TIMEOUT)
    noise = window.last_snapshot.masks["hidden1"]
    assert noise.dtype == np.float32 and len(np.unique(noise)) > 2, "noise, not a 0/1 mask"
    # The raster shades it relative to 1-p, and the network view crosses out no unit.
    qtbot.waitUntil(lambda: window.mask_view.raster("hidden1") is not None, timeout=TIMEOUT)
    np.testing.assert_allclose(window.mask_view.raster("hidden1")[:, -1], noise[0] / 0.7,
                               rtol=1e-6)
    assert all(kept.all() for kept in window.network_view.kept_units())
    choose(window.controls.regularizers.kind, "bernoulli")
    qtbot.waitUntil(lambda: window.last_snapshot.config.dropout.kind == "bernoulli"
                    and window.last_snapshot.step == 0, timeout=TIMEOUT)
    assert window.last_snapshot.config.dropout.hidden == 0.3
