"""A run and its baseline in lockstep, and the snapshots they make, without Qt."""

import numpy as np
import pytest
from test_run_loop import BASE

from dropviz.model.experiment import load_experiment
from dropviz.session.lockstep import Lockstep
from dropviz.session.loop import TrainingLoop
from dropviz.session.run import Run
from dropviz.session.run_record import restore_run, window_extra, write_experiment

NO_DROPOUT = BASE.with_overrides(["dropout.input=0", "dropout.hidden=0"])


def _weights_equal(run_a, run_b) -> bool:
    weights_a, weights_b = run_a.trainer.network.weights(), run_b.trainer.network.weights()
    return all(np.array_equal(weights_a[name], weights_b[name]) for name in weights_a)


def test_a_baseline_sees_the_same_minibatches_as_its_run_step_for_step(runs):
    run, baseline = runs(BASE), runs(NO_DROPOUT)
    samplers = []

    def note(_results):
        samplers.append((run.trainer.sampler.state(), baseline.trainer.sampler.state()))

    TrainingLoop(Lockstep(run, baseline), eval_every=10, max_chunk=7).run(30, after_chunk=note)
    assert len(samplers) == 6  # 7, 3 | 7, 3 | 7, 3
    for (scalars_a, order_a), (scalars_b, order_b) in samplers:
        assert scalars_a == scalars_b
        np.testing.assert_array_equal(order_a, order_b)
    assert samplers[-1][0][0]["examples_seen"] == 300

    alone = runs(NO_DROPOUT)
    for _ in range(30):
        alone.train(1)
    assert _weights_equal(baseline, alone), "the baseline is the run it would be on its own"
    assert [e.step for e in baseline.record.evaluations] == [0, 10, 20, 30]
    assert baseline.record.evaluations[-1] == alone.trainer.evaluate()
    assert baseline.record.evaluations[-1] != run.record.evaluations[-1]
    assert baseline.record.batch_masks.arrays()["hidden1"].all(), "no dropout: every unit kept"
    assert not run.record.batch_masks.arrays()["hidden1"].all()


def test_a_baseline_of_the_same_settings_is_the_run_bit_for_bit(runs):
    run, twin = runs(BASE), runs(BASE)
    TrainingLoop(Lockstep(run, twin), eval_every=10, max_chunk=4).run(25)
    assert _weights_equal(run, twin)
    assert twin.record.evaluations == run.record.evaluations
    assert [e.step for e in run.record.evaluations] == [0, 10, 20, 25]


def test_a_snapshot_carries_both_runs_curves_as_their_records_hold_them(runs):
    run, baseline = runs(BASE), runs(NO_DROPOUT)
    pair = Lockstep(run, baseline)
    loop = TrainingLoop(pair, max_chunk=5)
    for _ in range(4):
        loop.advance(5)
        pair.evaluate()
    pair.refresh_grids()
    snapshot = pair.snapshot(steps_per_second=12.5, playing=True)

    assert (snapshot.step, snapshot.playing, snapshot.steps_per_second) == (20, True, 12.5)
    steps, columns = snapshot.curves
    assert steps.tolist() == [5, 10, 15, 20]
    assert columns["test_loss"].tolist() == [e.test_loss for e in run.record.evaluations]
    baseline_steps, baseline_columns = snapshot.baseline_curves
    assert baseline_steps.tolist() == [5, 10, 15, 20]
    assert baseline_columns["train_loss"].tolist() == [
        e.train_loss for e in baseline.record.evaluations]
    assert baseline_columns["train_loss"][-1] != columns["train_loss"][-1]
    assert snapshot.evaluation == run.trainer.evaluate()
    assert snapshot.baseline_evaluation == baseline.trainer.evaluate()
    assert snapshot.baseline_config == NO_DROPOUT and snapshot.config == BASE

    assert snapshot.batch_loss == run.last.loss
    np.testing.assert_array_equal(snapshot.recent_steps, np.arange(1, 21))
    np.testing.assert_array_equal(snapshot.masks["hidden1"], run.last.masks["hidden1"])
    assert snapshot.masks["hidden1"] is not run.last.masks["hidden1"]
    np.testing.assert_array_equal(snapshot.recent_masks["hidden2"][:, -1],
                                  run.last.masks["hidden2"][0])
    assert sorted(snapshot.weights) == ["W1", "W2", "W3", "b1", "b2", "b3"]
    np.testing.assert_array_equal(snapshot.weights["W2"], run.trainer.network.weights()["W2"])
    np.testing.assert_array_equal(snapshot.grid.probs, run.trainer.decision_grid().probs)
    np.testing.assert_array_equal(snapshot.baseline_grid.probs,
                                  baseline.trainer.decision_grid().probs)

    alone = Lockstep(run).snapshot()
    assert alone.baseline_curves is None and alone.baseline_evaluation is None
    loop.advance(1)
    with pytest.raises(ValueError, match="evaluation at that step"):
        pair.snapshot()


def test_an_opened_experiment_brings_its_curves_with_its_first_snapshot(runs, pool, tmp_path):
    run = runs(BASE)
    pair = Lockstep(run)
    loop = TrainingLoop(pair, max_chunk=4)
    for _ in range(5):
        loop.advance(4)
        pair.evaluate()
    path = tmp_path / "run.dropviz"
    write_experiment(path, run.trainer, run.record,
                     window_extra(run.record, run.raster, run.last, 10, ((8.0, "lr 0.1"),)))

    opened = Run.restored(restore_run(path, load_experiment(path, pool)))
    try:
        opened.evaluate()  # what the worker does first: the same step, evaluated again
        snapshot = opened.snapshot()
    finally:
        opened.close()
    steps, columns = snapshot.curves
    expected_steps, expected = run.record.curves.arrays()
    assert steps.tolist() == [4, 8, 12, 16, 20]
    np.testing.assert_array_equal(steps, expected_steps)
    for name, values in expected.items():
        np.testing.assert_array_equal(columns[name], values)
    np.testing.assert_array_equal(snapshot.recent_steps, np.arange(1, 21))
    assert snapshot.batch_loss == run.last.loss
    assert snapshot.evaluation == run.evaluation
