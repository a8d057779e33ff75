"""The views show what the trainer did: compared with the snapshots the window received."""

from __future__ import annotations

import numpy as np
from PyQt5.QtCore import Qt
from ui_helpers import play_until, press

from dropviz.session.snapshot import RECENT_STEPS
from dropviz.ui.views.network_view import MAX_SHOWN, shown_units


def test_mask_grid_shows_the_masks_the_trainer_drew(make_window, qtbot):
    window = make_window()
    snapshot = play_until(qtbot, window, RECENT_STEPS + 20)

    np.testing.assert_array_equal(snapshot.recent_steps,
                                  np.arange(snapshot.step - RECENT_STEPS + 1, snapshot.step + 1))
    for layer in ("input", "hidden1", "hidden2"):
        raster = window.mask_view.raster(layer)
        expected = snapshot.recent_masks[layer]
        assert raster.shape == expected.shape == (expected.shape[0], RECENT_STEPS)
        np.testing.assert_array_equal(raster, expected.astype(np.uint8))
        np.testing.assert_array_equal(raster[:, -1], snapshot.masks[layer][0],
                                      err_msg="the newest column is the current step")
        np.testing.assert_array_equal(window.mask_view.batch_image(layer),
                                      snapshot.masks[layer].astype(np.uint8))
    hidden = window.mask_view.raster("hidden1")
    assert 0.35 < hidden.mean() < 0.65, "p = 0.5: about half dark"
    assert window.mask_view.batch_visible()


def test_mask_grid_follows_single_steps(make_window, qtbot):
    window = make_window()
    for step in (1, 2):
        press(qtbot, window, Qt.Key_S)
        qtbot.waitUntil(lambda step=step: window.last_snapshot.step == step, timeout=10_000)
        snapshot = window.last_snapshot
        raster = window.mask_view.raster("hidden2")
        assert raster.shape == (16, step)
        np.testing.assert_array_equal(raster[:, -1], snapshot.masks["hidden2"][0])


def test_thinned_network_drops_the_units_of_the_first_example(make_window, qtbot):
    window = make_window()
    assert all(kept.all() for kept in window.network_view.kept_units()), "step 0: full network"
    full_links = window.network_view.link_count()
    assert full_links == 2 * 16 + 16 * 16 + 16 * 1

    press(qtbot, window, Qt.Key_S)
    qtbot.waitUntil(lambda: window.last_snapshot.step == 1, timeout=10_000)
    snapshot = window.last_snapshot
    kept = window.network_view.kept_units()
    for layer, name in enumerate(("input", "hidden1", "hidden2")):
        np.testing.assert_array_equal(kept[layer], snapshot.masks[name][0])
    assert kept[-1].all(), "the output layer has no dropout"
    k0, k1, k2 = (int(k.sum()) for k in kept[:3])
    assert window.network_view.link_count() == k0 * k1 + k1 * k2 + k2 * 1


def test_wide_layers_show_an_even_subset():
    chosen = shown_units(128)
    assert len(chosen) == MAX_SHOWN
    assert chosen[0] == 0 and chosen[-1] == 127
    assert np.all(np.diff(chosen) > 0)
    assert list(shown_units(5)) == [0, 1, 2, 3, 4]


def test_decision_map_shows_the_grid_of_the_snapshot(make_window, qtbot):
    window = make_window()
    press(qtbot, window, Qt.Key_S)
    qtbot.waitUntil(lambda: window.last_snapshot.step == 1, timeout=10_000)
    grid = window.last_snapshot.grid
    image = window.decision_view.image()
    assert window.decision_view.has_plot()
    assert image.shape == (len(grid.ys), len(grid.xs), 3)
    # Where class 1 is more likely the map leans to its colour (orange: more red than blue).
    confident = grid.probs[..., 1] > 0.9
    if confident.any():
        pixels = image[confident].astype(int)
        assert (pixels[:, 0] > pixels[:, 2]).all()


def test_curves_and_gap_agree_with_the_evaluations(make_window, qtbot):
    window = make_window()
    for step in range(1, 4):
        press(qtbot, window, Qt.Key_S)
        qtbot.waitUntil(lambda step=step: window.last_snapshot.step == step, timeout=10_000)
    snapshot = window.last_snapshot
    steps, test_loss = window.loss_view.curve_data("test_loss")
    assert list(steps) == [0, 1, 2, 3]
    assert test_loss[-1] == snapshot.evaluation.test_loss
    gap_steps, gap = window.gap_view.gap_data()
    assert list(gap_steps) == [0, 1, 2, 3]
    assert np.isclose(gap[-1], snapshot.evaluation.gap)
    _, accuracy = window.accuracy_view.curve_data("train_acc")
    assert accuracy[-1] == snapshot.evaluation.train_acc
