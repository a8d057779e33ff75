"""The first launch opens on the preset that tells dropout's story, with its run without dropout."""

from dropviz.model.presets import PRESETS_FOLDER, load_preset
from dropviz.ui.app import FIRST_PRESET, first_launch_setup


def test_the_first_launch_is_the_gap_preset_with_its_baseline():
    setup = first_launch_setup()
    preset = load_preset(PRESETS_FOLDER / f"{FIRST_PRESET}.json")
    assert setup.preset == FIRST_PRESET == preset.key
    assert setup.config == preset.config and setup.config.dropout.hidden == 0.5
    baseline = dict(setup.compare.settings)
    assert baseline["dropout"].hidden == 0.0


def test_without_the_preset_the_window_opens_on_the_defaults(monkeypatch, tmp_path):
    monkeypatch.setattr("dropviz.ui.app.PRESETS_FOLDER", tmp_path)
    assert first_launch_setup() is None
