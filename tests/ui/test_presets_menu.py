"""Presets from the menu: the controls, the run, the baseline and the explanation follow."""

from __future__ import annotations

from PyQt5.QtCore import Qt
from ui_helpers import TIMEOUT, press

from dropviz.model.presets import load_presets


def test_the_menu_lists_every_preset_in_order(make_window):
    window = make_window()
    window.presets_menu.aboutToShow.emit()
    titles = [action.text() for action in window.presets_menu.actions()]
    assert titles == [preset.title for preset in load_presets()]
    assert len(titles) == 14


def test_choosing_a_preset_sets_the_controls_runs_it_with_its_baseline_and_explains(
        make_window, qtbot):
    window = make_window()
    preset = window.presets_menu.choose("02_dropout_closes_gap")
    controls = window.controls
    assert controls.config == preset.config
    assert controls.network.layers.text() == "64, 64"
    assert controls.dropout.hidden_rate.value() == 0.5
    assert controls.dataset.samples.value() == 200
    assert window.explanation.isVisible()
    assert "Preset: Dropout closes the gap" in window.explanation.title.text()
    assert window.explanation.text.text().startswith(preset.explanation)
    assert "compare run (no dropout)" in window.explanation.text.text()

    qtbot.waitUntil(lambda: window.last_snapshot.config == preset.config
                    and window.last_snapshot.baseline_config is not None, timeout=TIMEOUT)
    assert window.last_snapshot.baseline_config == preset.compare
    assert window.compare.active_label == "no dropout"
    assert "preset “Dropout closes the gap”" in window.banner.text()
    press(qtbot, window, Qt.Key_S)
    qtbot.waitUntil(lambda: window.last_snapshot.baseline_evaluation.step == 1, timeout=TIMEOUT)

    window.explanation.close_button.click()
    assert not window.explanation.isVisible()


def test_a_preset_without_a_compare_run_turns_the_baseline_off(make_window, qtbot):
    window = make_window()
    press(qtbot, window, Qt.Key_C)
    qtbot.waitUntil(lambda: window.compare.active_label == "no dropout", timeout=TIMEOUT)
    preset = window.presets_menu.choose("01_overfit_tiny")
    qtbot.waitUntil(lambda: window.last_snapshot.config == preset.config, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: not window.compare.toggle_action.isChecked(), timeout=TIMEOUT)
    assert window.last_snapshot.baseline_evaluation is None
    assert "Twenty training points" in window.explanation.text.text()
    assert "compare run" not in window.explanation.text.text()
