"""Copy setup and Open setup in the window: what one window copies, another opens exactly."""

from __future__ import annotations

from dataclasses import replace

from PyQt5.QtWidgets import QApplication
from ui_helpers import SMALL, TIMEOUT

from dropviz.model.config import DatasetConfig
from dropviz.session.compare import NO_DROPOUT
from dropviz.session.setup_string import Setup, decode_setup, encode_setup


def test_a_copied_setup_opens_in_another_window_exactly(make_window, qtbot):
    first = make_window()
    preset = first.presets_menu.choose("02_dropout_closes_gap")
    qtbot.waitUntil(lambda: first.compare.active_label == "no dropout", timeout=TIMEOUT)
    text = first.setups.copy()
    assert text == QApplication.clipboard().text()
    assert first.banner.text().startswith(f"Copied the setup: {text}")
    assert decode_setup(text) == Setup(preset.config, preset.key, first.compare.spec)

    second = make_window()
    assert second.setups.open_text(f"  {text}\n")
    assert second.controls.config == preset.config
    assert second.explanation.isVisible() or second.banner.isVisible()
    assert second.explanation.preset_key == preset.key
    qtbot.waitUntil(lambda: second.last_snapshot.config == preset.config
                    and second.last_snapshot.baseline_config == preset.compare, timeout=TIMEOUT)
    assert second.compare.active_label == "no dropout"
    assert second.setups.copy() == text


def test_a_setup_without_a_baseline_stops_comparing(make_window, qtbot):
    window = make_window()
    window.compare.use(NO_DROPOUT)
    qtbot.waitUntil(lambda: window.compare.active_label == "no dropout", timeout=TIMEOUT)
    config = replace(SMALL, seed=7)
    assert window.setups.open_text(encode_setup(Setup(config)))
    qtbot.waitUntil(lambda: window.last_snapshot.config == config, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: not window.compare.active_label, timeout=TIMEOUT)
    assert window.explanation.preset_key is None


def test_a_bad_or_changed_setup_is_refused_and_the_run_goes_on(make_window):
    window = make_window()
    before = window.state.config
    text = encode_setup(Setup(replace(SMALL, seed=9)))
    changed = text[:-2] + ("A" if text[-2] != "A" else "B") + text[-1]
    for bad, reason in (("hello", "not a dropviz setup"), (changed, "checksum"), ("", "empty")):
        assert not window.setups.open_text(bad)
        assert window.banner.kind() == "error" and reason in window.banner.text()
        assert "The run shown goes on" in window.banner.text()
        assert window.state.config == before


def test_a_run_on_a_csv_file_has_no_setup_to_copy(make_window):
    window = make_window()
    csv = DatasetConfig(name="csv", csv_path="/somewhere/data.csv")
    window.state.set_config(replace(SMALL, dataset=csv))
    QApplication.clipboard().setText("untouched")
    assert window.setups.copy() is None
    assert window.banner.kind() == "error" and "CSV file" in window.banner.text()
    assert QApplication.clipboard().text() == "untouched"


def test_a_preset_this_version_lacks_still_opens_its_settings(make_window, qtbot):
    window = make_window()
    config = replace(SMALL, seed=11)
    window.setups.open(Setup(config, "99_from_the_future"))
    qtbot.waitUntil(lambda: window.last_snapshot.config == config, timeout=TIMEOUT)
    assert window.explanation.preset_key is None


def test_open_setup_offers_what_the_clipboard_holds(make_window, monkeypatch):
    window = make_window()
    text = encode_setup(Setup(replace(SMALL, seed=5)))
    QApplication.clipboard().setText(text)
    offered = []

    def answer(_parent, _title, _label, _mode, default):
        offered.append(default)
        return default, True

    monkeypatch.setattr("dropviz.ui.setup_actions.QInputDialog.getText", answer)
    window.setups.open_action.trigger()
    assert offered == [text]
    assert window.state.config == replace(SMALL, seed=5)
