"""Compare with a baseline and pin runs: checked against headless trainers and the snapshots."""

from __future__ import annotations

import csv
import json
from dataclasses import replace

import numpy as np
import pytest
from PyQt5.QtCore import Qt
from ui_helpers import SMALL, TIMEOUT, play_until, press, wait_news
from weights_check import assert_same_weights

from dropviz.model.config import DropoutConfig
from dropviz.model.trainer import Trainer
from dropviz.session.compare import NO_DROPOUT, compare_config, run_label
from dropviz.ui.panels.compare_controls import BaselineDialog
from dropviz.ui.views.decision_view import probability_image


def _steps(qtbot, window, count: int) -> None:
    start = window.last_snapshot.step
    for _ in range(count):
        press(qtbot, window, Qt.Key_S)
    qtbot.waitUntil(lambda: window.last_snapshot.step == start + count, timeout=TIMEOUT)


def _compare_on(qtbot, window) -> None:
    press(qtbot, window, Qt.Key_C)
    qtbot.waitUntil(lambda: window.last_snapshot.baseline_evaluation is not None,
                    timeout=TIMEOUT)


def test_a_baseline_starts_from_the_same_weights_and_batches(pool):
    main = Trainer(SMALL, pool)
    baseline = Trainer(compare_config(SMALL, NO_DROPOUT), pool)
    try:
        assert baseline.config.dropout_rates == (0.0, 0.0, 0.0)
        assert main.network is not baseline.network
        assert_same_weights(main.network.weights(), baseline.network.weights())
        for _ in range(3):
            np.testing.assert_array_equal(main.sampler.next(32), baseline.sampler.next(32))
    finally:
        main.close()
        baseline.close()


def test_the_baseline_trains_in_lockstep_and_every_view_shows_it(make_window, qtbot, pool):
    window = make_window()
    _steps(qtbot, window, 2)
    _compare_on(qtbot, window)
    assert window.last_snapshot.step == 0, "a run past step 0 starts again, both together"
    assert "comparing with a baseline (no dropout)" in window.banner.text()
    assert window.compare.toggle_action.isChecked()
    _steps(qtbot, window, 3)
    snapshot = window.last_snapshot

    # Both runs as a headless trainer makes them: lockstep changes neither.
    for config, evaluation in ((SMALL, snapshot.evaluation),
                               (compare_config(SMALL, NO_DROPOUT), snapshot.baseline_evaluation)):
        trainer = Trainer(config, pool)
        try:
            for _ in range(3):
                trainer.step()
            assert trainer.evaluate() == evaluation
        finally:
            trainer.close()
    assert snapshot.baseline_config.dropout_rates == (0.0, 0.0, 0.0)
    assert snapshot.baseline_evaluation.step == snapshot.step == 3

    steps, test_loss = window.loss_view.baseline_data("test_loss")
    assert list(steps) == [0, 1, 2, 3]
    assert test_loss[-1] == snapshot.baseline_evaluation.test_loss
    _, train_acc = window.accuracy_view.baseline_data("train_acc")
    assert train_acc[-1] == snapshot.baseline_evaluation.train_acc
    gap_steps, gap = window.gap_view.baseline_gap_data()
    assert list(gap_steps) == [0, 1, 2, 3]
    assert np.isclose(gap[-1], snapshot.baseline_evaluation.gap)
    _, main_gap = window.gap_view.gap_data()
    assert np.isclose(main_gap[-1], snapshot.evaluation.gap), "both gaps are drawn"

    assert window.baseline_decision_view.isVisible()
    assert not window.network_view.isVisible(), "the second map takes its place"
    np.testing.assert_array_equal(window.baseline_decision_view.image(),
                                  probability_image(snapshot.baseline_grid.probs))
    assert not np.array_equal(snapshot.baseline_grid.probs, snapshot.grid.probs)
    title = window.loss_view.getPlotItem().titleLabel.text
    assert "solid: p=0.5 inverted, dashed: no dropout" in title


def test_live_changes_act_on_the_run_only_and_reset_restarts_both(make_window, qtbot):
    window = make_window()
    _compare_on(qtbot, window)
    assert window.last_snapshot.step == 0, "at step 0 the baseline joins without a new run"
    window.controls.dropout.hidden_rate.spin.setValue(0.2)
    qtbot.waitUntil(lambda: window.last_snapshot.config.dropout.hidden == 0.2, timeout=TIMEOUT)
    _steps(qtbot, window, 2)
    snapshot = window.last_snapshot
    assert snapshot.baseline_config.dropout.hidden == 0.0
    assert snapshot.baseline_evaluation.step == 2

    press(qtbot, window, Qt.Key_R)
    qtbot.waitUntil(lambda: window.last_snapshot.step == 0
                    and window.last_snapshot.baseline_evaluation is not None, timeout=TIMEOUT)
    steps, _ = window.loss_view.baseline_data("train_loss")
    assert list(steps) == [0]
    assert window.last_snapshot.baseline_config.dropout.hidden == 0.0


def test_turning_compare_off_gives_the_network_back(make_window, qtbot, pool, monkeypatch):
    window = make_window()
    _compare_on(qtbot, window)
    _steps(qtbot, window, 1)
    released = []
    release = pool.release
    monkeypatch.setattr(pool, "release", lambda network: (released.append(network),
                                                          release(network)))
    press(qtbot, window, Qt.Key_C)
    qtbot.waitUntil(lambda: not window.compare.toggle_action.isChecked(), timeout=TIMEOUT)
    assert len(released) == 1, "the baseline's network went back to the pool"
    _steps(qtbot, window, 1)
    assert window.last_snapshot.step == 2, "the run itself goes on"
    assert window.last_snapshot.baseline_evaluation is None
    steps, _ = window.loss_view.baseline_data("test_loss")
    assert steps is None or steps.size == 0, "no dashed curves"
    assert not window.baseline_decision_view.isVisible()
    assert window.network_view.isVisible()
    assert "dashed" not in window.loss_view.getPlotItem().titleLabel.text


def test_pinned_runs_stay_as_labelled_overlays_until_removed(make_window, qtbot):
    window = make_window()
    play_until(qtbot, window, 30)
    press(qtbot, window, Qt.Key_P)
    assert len(window.pinned_runs) == 1
    pin = window.pinned_runs[0]
    assert pin.label == "p=0.5 inverted (pinned)"
    steps, columns = window.last_snapshot.curves
    np.testing.assert_array_equal(pin.steps, steps)
    np.testing.assert_array_equal(pin.columns["test_loss"], columns["test_loss"])

    window.controls.dropout.hidden_rate.spin.setValue(0.2)
    press(qtbot, window, Qt.Key_R)
    qtbot.waitUntil(lambda: window.last_snapshot.step == 0
                    and window.last_snapshot.config.dropout.hidden == 0.2, timeout=TIMEOUT)
    _steps(qtbot, window, 2)
    press(qtbot, window, Qt.Key_P)
    assert [p.label for p in window.pinned_runs] == ["p=0.5 inverted (pinned)",
                                                     "p=0.2 inverted (pinned)"]
    # Each pin draws test (with the legend entry) and train on the curve views, its gap there.
    drawn = window.loss_view.pins.curves()
    assert len(drawn) == 4
    np.testing.assert_array_equal(drawn[0][1], pin.columns["test_loss"])
    np.testing.assert_array_equal(drawn[1][1], pin.columns["train_loss"])
    np.testing.assert_array_equal(window.gap_view.pins.curves()[0][1], pin.gap)
    assert window.accuracy_view.pins.labels() == [p.label for p in window.pinned_runs]
    assert window.loss_view.pins.legend.isVisible()
    assert len(window.loss_view.curve_data("test_loss")[0]) == 3, "the live run is apart"

    window.pins.menu.aboutToShow.emit()
    remove = [a for a in window.pins.menu.actions() if a.text() == f"Remove {pin.label}"]
    remove[0].trigger()
    assert [p.label for p in window.pinned_runs] == ["p=0.2 inverted (pinned)"]
    assert len(window.loss_view.pins.curves()) == 2
    window.pins.clear_action.trigger()
    assert window.pinned_runs == []
    assert not window.loss_view.pins.legend.isVisible()


@pytest.mark.parametrize(("dropout", "scaling", "text"), [
    (DropoutConfig(hidden=0.5), "inverted", "p=0.5 inverted"),
    (DropoutConfig(input=0.2, hidden=(0.3, 0.6)), "none", "p=0.3/0.6, input 0.2 no scaling"),
])
def test_run_labels(dropout, scaling, text):
    config = replace(SMALL, dropout=dropout, scaling=scaling)
    assert run_label(config) == text


def test_the_baseline_dialog_makes_the_spec_it_shows(qtbot):
    dialog = BaselineDialog(compare_config(SMALL, NO_DROPOUT))
    qtbot.addWidget(dialog)
    assert dialog.hidden_rate.value() == 0.0 and dialog.scaling.currentData() == "inverted"
    assert dialog.spec(SMALL).label == "no dropout"
    dialog.hidden_rate.set_value(0.2)
    dialog.scaling.setCurrentIndex(dialog.scaling.findData("weight_scaling"))
    spec = dialog.spec(SMALL)
    assert spec.label == "p=0.2 weight scaling"
    baseline = compare_config(SMALL, spec)
    assert baseline.dropout == DropoutConfig(input=0.0, hidden=0.2)
    assert baseline.scaling == "weight_scaling" and baseline.mask == SMALL.mask
    assert not SMALL.needs_new_network(baseline), "same graph: same initial weights"


def test_pinned_runs_are_exported_with_the_run(make_window, qtbot, tmp_path):
    window = make_window()
    _steps(qtbot, window, 3)
    press(qtbot, window, Qt.Key_P)
    pin = window.pinned_runs[0]
    window.files.ask_export_folder = lambda: tmp_path
    window.files.export_run()
    wait_news(qtbot, window, "Exported the run")
    with open(tmp_path / "pinned_runs.csv") as stream:
        rows = list(csv.DictReader(stream))
    assert [row["label"] for row in rows] == [pin.label] * len(pin.steps)
    assert [float(row["step"]) for row in rows] == list(pin.steps)
    np.testing.assert_allclose([float(row["test_loss"]) for row in rows], pin.columns["test_loss"],
                               rtol=1e-8)
    np.testing.assert_allclose([float(row["gap"]) for row in rows], pin.gap, rtol=1e-7, atol=1e-9)
    settings = json.loads((tmp_path / "pinned_runs.json").read_text())
    assert settings == [{"label": pin.label, "config": pin.config.to_dict()}]
