"""The window's files: save and open an experiment, the File menu, recent files and settings.

Round trips are checked exactly: an opened experiment continues with the losses an uninterrupted
run has, and shows the curves, markers and masks that were on screen when it was saved. Exports are
in test_run_export.py.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from file_helpers import open_experiment, save, step, wait_error
from PyQt5.QtCore import QMimeData, QPointF, QSettings, Qt, QUrl
from PyQt5.QtGui import QDropEvent
from PyQt5.QtWidgets import QFileDialog, QMainWindow
from ui_helpers import SMALL, TIMEOUT, Recorder, wait_news, wait_step

from dropviz.model.experiment import save_experiment
from dropviz.model.trainer import Trainer
from dropviz.session.history import DecimatedHistory
from dropviz.session.run_record import CURVES, EXPERIMENT_FILE
from dropviz.ui.main_window import MainWindow
from dropviz.ui.settings import (
    RECENT_LIMIT,
    add_recent,
    recent_experiments,
    remember_config,
    restore_window,
    stored_config,
)


@pytest.fixture
def fresh_settings(tmp_path: Path) -> Path:
    """Settings of this test alone."""
    folder = tmp_path / "settings"
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(folder))
    return folder


def screen(window: MainWindow) -> dict:
    """What the window shows that an opened experiment must show again, as plain arrays."""
    curves = {key: window.loss_view.curve_data(key) for key in ("train_loss", "test_loss")}
    curves.update({key: window.accuracy_view.curve_data(key) for key in ("train_acc", "test_acc")})
    curves["gap"] = window.gap_view.gap_data()
    names = window.run_info.layer_names
    return {
        "curves": {key: np.vstack(value) for key, value in curves.items()},
        "markers": window.loss_view.markers.items(),
        "raster": {name: window.mask_view.raster(name).copy() for name in names},
        "batch": {name: window.mask_view.batch_image(name).copy() for name in names},
        "kept": window.network_view.kept_units(),
        "decision": window.decision_view.image().copy(),
        "config": window.controls.config,
        "speed": window.transport.steps_per_update(),
    }


def assert_same_screen(before: dict, after: dict) -> None:
    for key in ("curves", "raster", "batch"):
        assert before[key].keys() == after[key].keys()
        for name in before[key]:
            np.testing.assert_array_equal(before[key][name], after[key][name], err_msg=name)
    for a, b in zip(before["kept"], after["kept"], strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(before["decision"], after["decision"])
    assert before["markers"] == after["markers"]
    assert before["config"] == after["config"]
    assert before["speed"] == after["speed"]


def test_an_opened_experiment_shows_the_same_and_continues_exactly(make_window, qtbot, tmp_path):
    window = make_window()
    window.transport.speed.setValue(5)
    step(qtbot, window, 4)
    live = replace(window.controls.config, learning_rate=0.02)
    window.state.edit(live)  # a live change: a marker on the curves
    qtbot.waitUntil(lambda: len(window.loss_view.markers.items()) == 1, timeout=TIMEOUT)
    step(qtbot, window, 3)
    path = tmp_path / "run.dropviz"
    save(qtbot, window, path)
    saved_step = window.last_snapshot.step
    before = screen(window)
    curves_before = window.last_snapshot.curves

    recorder = Recorder(window)
    step(qtbot, window, 5)
    uninterrupted = [(s.step, s.batch_loss, s.evaluation) for s in recorder.snapshots]

    window.transport.speed.setValue(0)
    open_experiment(qtbot, window, path)
    assert window.last_snapshot.step == saved_step
    assert not window.last_snapshot.playing, "an opened experiment waits, paused"
    assert_same_screen(before, screen(window))
    steps, columns = window.last_snapshot.curves
    np.testing.assert_array_equal(steps, curves_before[0])
    for key, value in curves_before[1].items():
        np.testing.assert_array_equal(columns[key], value, err_msg=key)
    assert window.files.current_path == path
    assert recent_experiments()[0] == str(path.resolve())

    recorder = Recorder(window)
    step(qtbot, window, 5)
    continued = [(s.step, s.batch_loss, s.evaluation) for s in recorder.snapshots]
    assert continued == uninterrupted, "the same losses, bit for bit"


def _damage(source: Path, target: Path, change) -> Path:
    with np.load(source, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    change(arrays)
    with open(target, "wb") as stream:
        np.savez(stream, **arrays)
    return target


def test_damaged_and_mismatched_experiments_are_refused_and_the_run_goes_on(make_window, qtbot,
                                                                              tmp_path):
    window = make_window()
    step(qtbot, window, 3)
    good = tmp_path / "good.dropviz"
    save(qtbot, window, good)
    truncated = tmp_path / "truncated.dropviz"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    cases = {
        truncated: "truncated.dropviz is damaged or not a dropviz experiment",
        _damage(good, tmp_path / "shape.dropviz",
                lambda a: a.__setitem__("param__W1", np.zeros((2, 5), np.float32))):
            "weight W1 is float32 (2, 5); the settings need float32 (2, 16)",
        _damage(good, tmp_path / "curves.dropviz",
                lambda a: a.__setitem__("extra__curves__rows", np.zeros((3, 2)))):
            "curves.dropviz: the saved window state is damaged (curve rows are float64 (3, 2)",
        _damage(good, tmp_path / "masks.dropviz",
                lambda a: a.__setitem__("extra__raster__hidden1", np.zeros((5, 4), np.int64))):
            "raster__hidden1 is int64 (5, 4), not bool (16, 3)",
        _damage(good, tmp_path / "pickle.dropviz",
                lambda a: a.__setitem__("extra__speed", np.array([{"x": 1}], dtype=object))):
            "holds Python objects, which are never loaded",
    }
    curves = window.loss_view.curve_data("test_loss")
    for path, message in cases.items():
        window.banner.clear()
        window.files.open_path(path)
        text = wait_error(qtbot, window)
        assert message in text, text
        assert text.endswith("Nothing was changed: the current run goes on."), text
        assert window.last_snapshot.step == 3 and window.last_snapshot.config == SMALL
        np.testing.assert_array_equal(window.loss_view.curve_data("test_loss"), curves)
    assert recent_experiments()[0] == str(good.resolve()), "no refused file becomes recent"
    step(qtbot, window, 1)
    assert window.last_snapshot.step == 4, "the run goes on"


def test_an_experiment_from_the_headless_trainer_opens_by_drag_and_drop(make_window, qtbot, pool,
                                                                         tmp_path):
    trainer = Trainer(replace(SMALL, seed=7), pool)
    history = [trainer.evaluate()]
    for _ in range(4):
        trainer.step()
        history.append(trainer.evaluate())
    (tmp_path / "out").mkdir()
    save_experiment(tmp_path / "out" / EXPERIMENT_FILE, trainer, history)
    trainer.close()

    window = make_window()
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(tmp_path / "out"))])  # a folder, as --out writes it
    window.dropEvent(QDropEvent(QPointF(10, 10), Qt.CopyAction, data, Qt.LeftButton,
                                Qt.NoModifier))
    wait_news(qtbot, window, f"Opened {EXPERIMENT_FILE}")
    wait_step(qtbot, window, 4)  # the views draw the opened run a moment after the news
    assert window.last_snapshot.step == 4
    assert window.controls.config.seed == 7
    steps, test_loss = window.loss_view.curve_data("test_loss")
    assert list(steps) == [0, 1, 2, 3, 4]
    np.testing.assert_array_equal(test_loss, [e.test_loss for e in history])


def test_the_file_menu_has_its_actions_and_shortcuts(make_window):
    window = make_window()
    shown = [(action.text(), action.shortcut().toString()) for action in window.file_menu.actions()
             if not action.isSeparator()]
    assert shown[:-1] == [("Open &CSV...", "Ctrl+Shift+O"), ("&Open experiment...", "Ctrl+O"),
                          ("Open &recent", ""), ("&Save experiment", "Ctrl+S"),
                          ("Save experiment &as...", "Ctrl+Shift+S"), ("&Export run...", "Ctrl+E"),
                          ("Cop&y setup", "Ctrl+Shift+C"), ("Open set&up...", "Ctrl+Shift+V"),
                          ("Record...", "Ctrl+Shift+R")]
    assert shown[-1][0] == "&Quit"


def test_a_name_without_its_suffix_gets_it_and_is_replaced_only_when_agreed(make_window, tmp_path,
                                                                             monkeypatch):
    window = make_window()
    (tmp_path / "run.dropviz").write_bytes(b"saved before")
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *args: (str(tmp_path / "run"), ""))  # the dialog checked "run"
    answers = []
    window.files.confirm_replace = lambda folder, names: answers.append(names) or False
    assert window.files.ask_save_path() is None
    window.files.confirm_replace = lambda folder, names: True
    assert window.files.ask_save_path() == tmp_path / "run.dropviz"
    assert answers == [["run.dropviz"]]
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *args: (str(tmp_path / "new_loss"), ""))
    assert window.files.ask_plot_path("loss", "svg") == tmp_path / "new_loss.svg"


def test_open_recent_lists_five_and_drops_files_that_are_gone(make_window, qtbot, tmp_path,
                                                               fresh_settings):
    paths = [tmp_path / f"run{k}.dropviz" for k in range(7)]
    for path in paths:
        path.write_bytes(b"")
        add_recent(path)
    assert recent_experiments() == [str(p.resolve()) for p in reversed(paths)][:RECENT_LIMIT]
    window = make_window()
    window.files.recent_menu.aboutToShow.emit()
    entries = window.files.recent_menu.actions()
    assert [action.text().split()[1] for action in entries] == [
        p.name for p in reversed(paths)][:RECENT_LIMIT]

    paths[-1].unlink()
    entries[0].trigger()
    assert "run6.dropviz no longer exists" in wait_error(qtbot, window)
    assert str(paths[-1].resolve()) not in recent_experiments()


def test_the_settings_and_geometry_of_the_last_session_come_back(make_window, qtbot,
                                                                   fresh_settings, tmp_path):
    assert stored_config() == (None, "")
    window = make_window()
    live = replace(SMALL, learning_rate=0.03)
    window.handle.sigConfig.emit(live)
    qtbot.waitUntil(lambda: window.last_snapshot.config == live, timeout=TIMEOUT)
    window.resize(765, 543)  # inside the offscreen screen (800x600): a restored size is clamped to it
    window.close()
    assert stored_config() == (live, "")

    other = QMainWindow()
    qtbot.addWidget(other)
    restore_window(other)
    assert (other.width(), other.height()) == (765, 543)

    QSettings(QSettings.IniFormat, QSettings.UserScope, "dropviz", "dropviz").setValue(
        "config", '{"hidden_layers": [0]}')
    config, note = stored_config()
    assert config is None and "hidden_layers" in note and "defaults" in note
    csv_config = SMALL.with_overrides(["dataset.name=csv", f"dataset.csv_path={tmp_path}/x.csv"])
    remember_config(csv_config)
    config, note = stored_config()
    assert config is None and "x.csv" in note


def test_curve_history_continues_exactly_from_its_state():
    """Decimated curves taken apart and put back merge on exactly as if never interrupted."""
    whole, first = DecimatedHistory(CURVES, capacity=8), DecimatedHistory(CURVES, capacity=8)
    rng = np.random.default_rng(0)
    points = [(step, tuple(rng.random(4))) for step in range(37)]
    for point in points[:23]:
        whole.append(*point)
        first.append(*point)
    second = DecimatedHistory(CURVES, capacity=8)
    second.restore(first.state())
    for point in points[23:]:
        whole.append(*point)
        second.append(*point)
    for a, b in zip(whole.arrays()[1].values(), second.arrays()[1].values(), strict=True):
        np.testing.assert_array_equal(a, b)
    damaged = first.state() | {"stride_pending": np.array([3, 1], dtype=np.int64)}
    with pytest.raises(ValueError, match="stride of 3"):
        second.restore(damaged)
