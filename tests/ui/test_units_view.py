"""The units view from a real run: the weight-norm histogram with max-norm's line, and batch
norm's variance shift per unit, against the numbers computed here from the weights."""

from __future__ import annotations

import numpy as np
import pytest

from dropviz.model.config import Config
from dropviz.model.inference import batch_norm_inputs
from dropviz.model.trainer import Trainer
from dropviz.session.run import Run
from dropviz.session.snapshot import run_info
from dropviz.ui.views.units_view import BINS, UnitsView

# The [8, 8] batch-norm network of tests/model/test_batch_norm.py: compiled once for both.
BN = Config().with_overrides(["hidden_layers=[8,8]", "dataset.n_samples=80", "seed=2",
                              "dropout.hidden=0.5", "batch_norm=after_dropout",
                              "batch_size=16", "activation=tanh", "max_norm=0.8"])


@pytest.fixture
def run(pool):
    trainer = Trainer(BN, pool)
    made = Run(trainer)
    made.train(150)
    made.evaluate()
    yield made
    trainer.close()


def test_the_histogram_counts_every_hidden_unit_and_the_shift_is_the_first_layers(run, qtbot):
    view = UnitsView()
    qtbot.addWidget(view)
    view.run_started(run_info(run.trainer, "test"))
    snapshot = run.snapshot()
    view.draw(snapshot)
    counts = view.norm_counts()
    assert len(counts) == BINS and counts.sum() == 16  # two hidden layers of 8 units
    weights = snapshot.weights
    norms = np.concatenate([np.linalg.norm(weights[name], axis=0) for name in ("W1", "W2")])
    assert norms.max() <= 0.8 + 1e-5, "max-norm kept every hidden unit within c"
    assert view._limit.isVisible() and view._limit.value() == pytest.approx(0.8)
    scales = (1.0, 1.0, 1.0)  # inverted dropout: nothing at test time
    inputs = batch_norm_inputs(run.trainer.layout, weights, scales, run.trainer.dataset.X_test)
    expected = weights["bn_var1"] / inputs["batch_norm1"].var(axis=0)
    np.testing.assert_allclose(view.shift_ratios(), expected, rtol=1e-6)
    assert view.shift_ratios().mean() > 1.5  # the shift the mask before the normalisation makes
