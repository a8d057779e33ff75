"""The training loop without Qt: chunks train exactly as single steps, evaluations come at their
cadence, and a divergence is caught at the step it happened."""

import math

import numpy as np
import pytest

from dropviz.model.config import Config
from dropviz.session.lockstep import Lockstep
from dropviz.session.loop import TrainingLoop

# 36 training examples in batches of 10: an epoch ends inside most chunks.
BASE = Config().with_overrides(["hidden_layers=[12,7]", "dataset.n_samples=120", "seed=6",
                                "dropout.input=0.2", "dropout.hidden=[0.5,0.3]", "batch_size=10"])
# Plain SGD at this rate blows this ReLU network up after a few steps.
DIVERGING = BASE.with_overrides(["hidden_layers=[16,16]", "dataset.n_samples=200", "batch_size=32",
                                 "dropout.input=0", "dropout.hidden=0.5", "optimizer=sgd",
                                 "learning_rate=100"])


class Stop(Exception):
    pass


def _assert_same_results(expected, got):
    assert [r.step for r in got] == [r.step for r in expected]
    assert [r.epoch for r in got] == [r.epoch for r in expected]
    assert [r.loss for r in got] == [r.loss for r in expected]
    for a, b in zip(expected, got, strict=True):
        for name in a.masks:
            np.testing.assert_array_equal(a.masks[name], b.masks[name])


def _assert_same_state(run_a, run_b):
    weights_a, weights_b = run_a.trainer.network.weights(), run_b.trainer.network.weights()
    assert weights_a.keys() == weights_b.keys()
    for name in weights_a:
        np.testing.assert_array_equal(weights_a[name], weights_b[name])
    state_a = run_a.trainer.network.optimizer_state()
    state_b = run_b.trainer.network.optimizer_state()
    for name in state_a:
        np.testing.assert_array_equal(state_a[name], state_b[name])


def test_chunks_train_exactly_as_single_steps(runs):
    single = runs(BASE)
    expected = [single.train(1)[0] for _ in range(23)]
    chunked = runs(BASE)
    got, sizes = [], []

    def keep(results):
        got.extend(results)
        sizes.append(len(results))

    TrainingLoop(Lockstep(chunked), max_chunk=8).run(23, after_chunk=keep)
    assert sizes == [8, 8, 7]
    _assert_same_results(expected, got)
    _assert_same_state(single, chunked)
    assert chunked.step == single.step == 23 and chunked.last.step == 23
    steps_a, raster_a = single.raster.recent()
    steps_b, raster_b = chunked.raster.recent()
    np.testing.assert_array_equal(steps_b, np.arange(1, 24))
    np.testing.assert_array_equal(steps_a, steps_b)
    for name in raster_a:
        np.testing.assert_array_equal(raster_a[name], raster_b[name])
    masks_a, masks_b = single.record.batch_masks.arrays(), chunked.record.batch_masks.arrays()
    assert masks_b["hidden1"].shape == (23, 10, 12)
    for name in masks_a:
        np.testing.assert_array_equal(masks_a[name], masks_b[name])


def test_evaluations_come_at_the_cadence_and_at_the_last_step(runs):
    run = runs(BASE)
    loop = TrainingLoop(Lockstep(run), eval_every=20, max_chunk=8)
    sizes = []
    loop.run(50, after_chunk=lambda results: sizes.append(len(results)))
    assert sizes == [8, 8, 4, 8, 8, 4, 8, 2], "no chunk runs past an evaluation"
    assert [e.step for e in run.record.evaluations] == [0, 20, 40, 50]
    loop.run(15)
    assert [e.step for e in run.record.evaluations] == [0, 20, 40, 50, 60, 65], \
        "step 50 is evaluated once, not again when the loop goes on from it"

    reference = runs(BASE)
    expected = []
    for step in range(66):
        if step in (0, 20, 40, 50, 60, 65):
            expected.append(reference.trainer.evaluate())
        if step < 65:
            reference.train(1)
    assert run.record.evaluations == expected
    steps, columns = run.record.curves.arrays()
    assert steps.tolist() == [0, 20, 40, 50, 60, 65]
    assert columns["test_loss"].tolist() == [e.test_loss for e in expected]
    assert columns["train_acc"].tolist() == [e.train_acc for e in expected]
    assert run.evaluation == expected[-1]


def test_a_divergence_is_caught_at_the_step_it_happened(runs):
    reference = runs(DIVERGING)
    first = None
    while first is None and reference.step < 200:
        result = reference.train(1)[0]
        if not math.isfinite(result.loss):
            first = result
    assert first is not None and 1 < first.step < 50, "the run diverges after a few finite steps"
    assert reference.divergence.step == first.step

    run = runs(DIVERGING)
    loop = TrainingLoop(Lockstep(run), eval_every=50, max_chunk=4)

    def stop(_results):
        if run.divergence is not None:
            raise Stop

    with pytest.raises(Stop):
        loop.run(200, after_chunk=stop)
    assert run.divergence.step == first.step
    assert str(run.divergence.loss) == str(first.loss)  # nan or inf, as the step had it
    assert run.step == math.ceil(first.step / 4) * 4, "the chunk it happened in ran to its end"


def test_a_non_finite_evaluation_is_a_divergence_at_its_step(runs):
    run = runs(BASE)
    run.train(3)
    assert math.isfinite(run.evaluate().train_loss) and run.divergence is None
    weights = run.trainer.network.weights()
    weights["W2"][0, 0] = np.inf
    run.trainer.network.set_weights(weights)
    evaluation = run.evaluate()
    assert math.isnan(evaluation.train_loss) and math.isnan(evaluation.test_loss)
    assert run.divergence.step == 3 and math.isnan(run.divergence.loss)
    assert run.record.evaluations[-1] is evaluation, "re-evaluated at step 3: the row is replaced"
    assert len(run.record.evaluations) == 1
