"""The window's exports: Export run and each plot's own menu, every file read back and checked.

The exported weights reproduce the test predictions through model.json's recipe written out in
numpy; a folder holding a run is replaced only when the user agrees; an exported folder opens again
like a saved experiment.
"""

from __future__ import annotations

import csv
import json
import shutil
import xml.etree.ElementTree as ET
from dataclasses import replace

import numpy as np
import pytest
from file_helpers import SHOWN_PLOTS, open_experiment, step, wait_error
from PyQt5.QtGui import QImage
from ui_helpers import TIMEOUT, Recorder, wait_news

from dropviz.model.export import load_inference_model
from dropviz.model.file_names import RUN_FILES
from dropviz.session.run_record import EXPERIMENT_FILE
from dropviz.ui.views.plot_export import PNG_SCALE, WINDOW_FILE, graphics_view


def test_export_writes_every_file_and_the_weights_reproduce_the_test_predictions(
        make_window, qtbot, tmp_path):
    window = make_window()
    recorder = Recorder(window)
    for scaling in ("weight_scaling", "inverted", "none"):
        window.state.edit(replace(window.controls.config, scaling=scaling))
        step(qtbot, window, 3)
        folder = tmp_path / scaling
        window.files.ask_export_folder = lambda folder=folder: folder
        window.banner.clear()
        qtbot.wait(50)  # the views grow into the banner's place before they are drawn
        sizes = {name: graphics_view(window.files.views, name).size() for name in SHOWN_PLOTS}
        window.files.export_run()
        text = wait_news(qtbot, window, "Exported the run")
        assert str(folder) in text
        snapshot = window.last_snapshot
        assert snapshot.config.scaling == scaling

        expected = {*RUN_FILES, EXPERIMENT_FILE, WINDOW_FILE,
                    *(f"{name}.{kind}" for name in SHOWN_PLOTS for kind in ("png", "svg"))}
        assert {p.name for p in folder.iterdir()} == expected, "no temporary file left behind"
        model = load_inference_model(folder)
        with np.load(folder / "data.npz", allow_pickle=False) as data:
            X_test, y_test = data["X_test"], data["y_test"]
        probs = numpy_forward(model.description, model.weights, X_test)
        loss = float(-np.mean(np.log(probs[np.arange(len(y_test)), y_test])))
        assert loss == pytest.approx(snapshot.evaluation.test_loss, rel=1e-5), scaling
        assert np.mean(probs.argmax(axis=1) == y_test) == snapshot.evaluation.test_acc

        with open(folder / "metrics.csv") as stream:
            rows = list(csv.DictReader(stream))
        evaluations = [s.evaluation for s in recorder.snapshots if s.evaluation.step > 0]
        assert [int(row["step"]) for row in rows] == sorted({0, *(e.step for e in evaluations)})
        assert float(rows[-1]["test_loss"]) == pytest.approx(snapshot.evaluation.test_loss)
        with np.load(folder / "masks.npz", allow_pickle=False) as masks:
            np.testing.assert_array_equal(masks["hidden1"][-1], snapshot.masks["hidden1"])

        for name, size in sizes.items():
            image = QImage(str(folder / f"{name}.png"))
            assert (image.width(), image.height()) == (size.width() * PNG_SCALE,
                                                       size.height() * PNG_SCALE), name
            root = ET.parse(folder / f"{name}.svg").getroot()
            assert root.tag == "{http://www.w3.org/2000/svg}svg"
            assert (root.get("width"), root.get("height")) == (f"{size.width()}px",
                                                               f"{size.height()}px")
        shot = QImage(str(folder / WINDOW_FILE))
        assert (shot.width(), shot.height()) == (window.width(), window.height())
        assert window.files.export_action.isEnabled(), "ready for the next export"


def numpy_forward(description: dict, weights: dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """model.json's recipe, written out: h = act(h @ W + b) for each layer, nothing else."""
    activations = {"relu": lambda h: np.maximum(h, 0.0), "tanh": np.tanh,
                   "sigmoid": lambda h: 1.0 / (1.0 + np.exp(-h))}
    h = X.astype(np.float64)
    for index, layer in enumerate(description["layers"]):
        h = h @ weights[layer["weight"]].astype(np.float64) + weights[layer["bias"]]
        if layer["activation"] == "softmax":
            e = np.exp(h - h.max(axis=1, keepdims=True))
            h = e / e.sum(axis=1, keepdims=True)
        elif layer["activation"] == "sigmoid" and index == len(description["layers"]) - 1:
            positive = activations["sigmoid"](h[:, 0])
            h = np.column_stack([1.0 - positive, positive])
        else:
            h = activations[layer["activation"]](h)
    return h


def test_a_folder_holding_a_run_is_replaced_only_when_the_user_agrees(make_window, qtbot,
                                                                         tmp_path):
    window = make_window()
    (tmp_path / "config.json").write_text("an earlier run")
    asked = []
    window.files.ask_export_folder = lambda: tmp_path
    window.files.confirm_replace = lambda folder, names: asked.append(names) or False
    window.files.export_run()
    qtbot.wait(300)
    assert asked == [["config.json"]]
    assert [p.name for p in tmp_path.iterdir()] == ["config.json"]
    assert (tmp_path / "config.json").read_text() == "an earlier run"

    window.files.confirm_replace = lambda folder, names: True
    window.files.export_run()
    wait_news(qtbot, window, "Exported the run")
    assert json.loads((tmp_path / "config.json").read_text())["dataset"]["name"] == "moons"


def test_writing_where_it_cannot_is_reported_and_the_window_stays_ready(make_window, qtbot,
                                                                           tmp_path):
    window = make_window()
    blocked = tmp_path / "a_file"
    blocked.write_text("not a folder")
    window.files.ask_export_folder = lambda: blocked
    window.files.export_run()
    text = wait_error(qtbot, window)
    assert text.startswith("Export failed") and "a_file" in text
    assert window.files.export_action.isEnabled() and window.files.progress.isHidden()
    window.files.ask_save_path = lambda: blocked / "run.dropviz"
    window.files.save_as()
    qtbot.waitUntil(lambda: window.banner.text().startswith("Saving failed"), timeout=TIMEOUT)


def test_each_plot_exports_from_its_own_menu(make_window, qtbot, tmp_path):
    window = make_window()
    step(qtbot, window, 2)
    window.banner.show_message("A message of one line, like those that follow.")
    for name in SHOWN_PLOTS:
        view = graphics_view(window.files.views, name)
        actions = {action.text(): action for action in view.actions()}
        assert list(actions) == ["Export PNG...", "Export SVG..."], name
        qtbot.wait(20)  # the last message's banner has taken its place above the views
        size = view.size()
        for kind in ("png", "svg"):
            target = tmp_path / f"my_{name}.{kind}"
            window.files.ask_plot_path = lambda n, k, target=target: target
            actions[f"Export {kind.upper()}..."].trigger()
            assert window.banner.text() == f"Exported the {name} plot to {target}."
        image = QImage(str(tmp_path / f"my_{name}.png"))
        assert (image.width(), image.height()) == (size.width() * PNG_SCALE,
                                                   size.height() * PNG_SCALE), name
        assert ET.parse(tmp_path / f"my_{name}.svg").getroot().tag.endswith("svg")


def test_exported_folders_open_again(make_window, qtbot, tmp_path):
    """Export run writes experiment.dropviz too, so its folder opens like a saved file."""
    window = make_window()
    step(qtbot, window, 2)
    window.files.ask_export_folder = lambda: tmp_path
    window.files.export_run()
    wait_news(qtbot, window, "Exported the run")
    shutil.copy(tmp_path / EXPERIMENT_FILE, tmp_path / "copy.dropviz")
    step(qtbot, window, 2)
    open_experiment(qtbot, window, tmp_path / "copy.dropviz")
    assert window.last_snapshot.step == 2
