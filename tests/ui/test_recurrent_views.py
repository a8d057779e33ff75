"""The pictures of a recurrent run: the sequence mask image, the unrolled network, the hidden states.

One tiny RNN (hidden [8], waves) trains a few steps for every test of the module; the views draw
its snapshots as the window's would, and each picture is checked against the masks or the network.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from dropviz.model.config import Config, DatasetConfig, DropoutConfig
from dropviz.model.trainer import Trainer
from dropviz.session.run import Run
from dropviz.session.snapshot import SEQUENCE_ROW, Snapshot, with_states
from dropviz.ui.recording import FrameRenderer
from dropviz.ui.views.decision_view import DecisionView
from dropviz.ui.views.mask_view import MaskView
from dropviz.ui.views.network_view import NetworkView
from dropviz.ui.views.states_view import StatesView
from dropviz.ui.views.units_view import UnitsView
from dropviz.ui.views.unrolled_network import SHOWN_STEPS

TINY_RNN = Config(dataset=DatasetConfig(name="waves", n_samples=120, noise=0.3),
                  hidden_layers=(8,), model="rnn", batch_size=16, learning_rate=0.01,
                  dropout=DropoutConfig(input=0.2, hidden=0.5, recurrent=0.5, time_mask="tied"))


@pytest.fixture(scope="module")
def run(pool) -> Run:
    run = Run(Trainer(TINY_RNN, pool))
    yield run
    run.close()


def _snapshot(run: Run, time_mask: str) -> Snapshot:
    """One more step with the time mask given, as the worker publishes it."""
    run.trainer.update(replace(run.config, dropout=replace(run.config.dropout, time_mask=time_mask)))
    run.train(1)
    run.evaluate()
    return with_states(run.snapshot(), run.trainer)


def _striped(image: np.ndarray) -> bool:
    """Every unit's row the same at every time step."""
    return bool((image == image[:, :1]).all())


def test_the_sequence_image_is_stripes_for_tied_masks_and_noise_for_per_step(qtbot, run):
    view = MaskView()
    qtbot.addWidget(view)
    view.run_started(run.info("test"))
    tied = _snapshot(run, "tied")
    view.draw(tied)
    for name in ("recurrent1", "hidden1"):
        image = view.sequence_image(name)
        np.testing.assert_array_equal(image, tied.masks[name][0].T.astype(np.uint8))
        assert image.shape == (8, 16) and _striped(image) and 0 < image.mean() < 1
    per_step = _snapshot(run, "per_step")
    view.draw(per_step)
    image = view.sequence_image("recurrent1")
    np.testing.assert_array_equal(image, per_step.masks["recurrent1"][0].T.astype(np.uint8))
    assert not _striped(image)
    assert view.raster("recurrent1")[:, -1].tolist() == per_step.masks["recurrent1"][0, 0].tolist()
    np.testing.assert_array_equal(view.sequence_image("input"),
                                  per_step.masks["input"][0].T.astype(np.uint8))


def test_the_unrolled_network_greys_the_units_and_links_the_masks_drop(qtbot, run):
    view = NetworkView()
    qtbot.addWidget(view)
    view.run_started(run.info("test"))
    snapshot = _snapshot(run, "per_step")
    view.draw(snapshot)
    unrolled = view.unrolled
    assert unrolled is not None and unrolled.steps == list(range(16 - SHOWN_STEPS, 16))
    shown = unrolled.shown(1)
    for step in unrolled.steps:
        np.testing.assert_array_equal(unrolled.kept_nodes("hidden1", step),
                                      snapshot.masks["hidden1"][0, step, shown])
        np.testing.assert_array_equal(unrolled.kept_nodes("input", step),
                                      snapshot.masks["input"][0, step, :])
    for step in unrolled.steps[1:]:
        carried = unrolled.carried_links("recurrent1", step)
        dropped = ~snapshot.masks["recurrent1"][0, step, shown]
        assert dropped.any() and (~carried[dropped]).all() and carried[~dropped].all()


def test_the_state_trajectory_is_the_networks_test_time_state(qtbot, run):
    view = StatesView()
    qtbot.addWidget(view)
    decision = DecisionView()
    qtbot.addWidget(decision)
    info = run.info("test")
    view.run_started(info)
    decision.run_started(info)
    assert not view.isHidden() and decision.isHidden() and view.has_plot()
    snapshot = _snapshot(run, "tied")
    view.draw(snapshot)
    row = info.X_test[SEQUENCE_ROW:SEQUENCE_ROW + 1]
    expected = run.trainer.hidden_states(row)["recurrent1"][0]
    np.testing.assert_allclose(view.drawn("recurrent1"), expected[:, view.shown_units("recurrent1")],
                               rtol=0, atol=0)
    assert expected.shape == (16, 8) and np.abs(expected).max() < 1  # tanh states


def test_the_units_view_counts_each_recurrent_units_incoming_norm(qtbot, run):
    view = UnitsView()
    qtbot.addWidget(view)
    view.run_started(run.info("test"))
    run.trainer.update(replace(run.config, max_norm=0.5))
    snapshot = _snapshot(run, "tied")
    view.draw(snapshot)
    weights = snapshot.weights
    norms = np.sqrt((weights["Wx1"] ** 2).sum(axis=0) + (weights["Wh1"] ** 2).sum(axis=0))
    assert view.wanted() and view.norm_counts().sum() == 8 and norms.max() <= 0.5 + 1e-6
    top = max(float(norms.max()), 0.5) * 1.05
    np.testing.assert_array_equal(view.norm_counts(), np.histogram(norms, bins=30, range=(0, top))[0])
    run.trainer.update(replace(run.config, max_norm=None))


def test_a_recording_frame_shows_the_states_in_the_maps_place(qtbot, run):
    snapshot = _snapshot(run, "tied")
    renderer = FrameRenderer(run.info("test"))
    frame = renderer.frame(snapshot)
    states, decision = renderer.views["states"], renderer.views["decision"]
    assert decision.isHidden() and not states.isHidden() and frame.shape == (720, 1280, 3)
    shown = states.shown_units("recurrent1")
    np.testing.assert_array_equal(states.drawn("recurrent1"), snapshot.states["recurrent1"][:, shown])
