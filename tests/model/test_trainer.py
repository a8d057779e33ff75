"""The trainer: reproducibility, evaluation against numpy, live updates, and overfitting made real."""

from dataclasses import replace

import numpy as np
import numpy_mlp
import pytest
from weights_check import assert_same_weights

from dropviz.model.config import Config
from dropviz.model.errors import ConfigError
from dropviz.model.results import BatchMaskRecorder
from dropviz.model.trainer import BatchSampler, Trainer

SMALL = Config().with_overrides(["hidden_layers=[16,16]", "dataset.n_samples=120", "seed=4"])


def _run(trainer: Trainer, steps: int):
    results = [trainer.step() for _ in range(steps)]
    return [r.loss for r in results], [r.masks for r in results], trainer.network.weights()


def test_same_seed_and_config_repeat_bit_for_bit(trainers):
    first = _run(trainers(SMALL), 30)
    second = _run(trainers(SMALL), 30)
    assert first[0] == second[0]
    for masks_a, masks_b in zip(first[1], second[1], strict=True):
        for name in masks_a:
            np.testing.assert_array_equal(masks_a[name], masks_b[name])
    assert_same_weights(first[2], second[2])


def test_another_seed_gives_another_run(trainers):
    first = _run(trainers(SMALL), 5)
    other = _run(trainers(replace(SMALL, seed=5)), 5)
    assert first[0] != other[0]


@pytest.mark.parametrize("scaling", ["weight_scaling", "inverted", "none"])
def test_evaluation_and_inference_weights_match_a_plain_numpy_forward_pass(trainers, scaling):
    config = SMALL.with_overrides([f"scaling={scaling}", "dropout.input=0.2",
                                   "dropout.hidden=[0.5,0.3]"])
    trainer = trainers(config)
    _run(trainer, 40)
    evaluation = trainer.evaluate()
    weights = trainer.inference_weights()
    data = trainer.dataset
    for X, y, loss, accuracy in ((data.X_train, data.y_train, evaluation.train_loss, evaluation.train_acc),
                                 (data.X_test, data.y_test, evaluation.test_loss, evaluation.test_acc)):
        z = numpy_mlp.logits(weights, X, "relu")
        assert loss == pytest.approx(numpy_mlp.loss(z, y), rel=1e-4)
        assert accuracy == pytest.approx(np.mean(numpy_mlp.probabilities(z).argmax(axis=1) == y))
        np.testing.assert_allclose(trainer.predict_proba(X), numpy_mlp.probabilities(z), atol=2e-5)
    assert evaluation.gap == pytest.approx(evaluation.test_loss - evaluation.train_loss)


def test_live_settings_change_the_next_step(trainers):
    trainer = trainers(SMALL.with_overrides(["dropout.hidden=0.0"]))
    assert trainer.step().masks["hidden1"].all()
    trainer.update(SMALL.with_overrides(["dropout.hidden=0.9", "mask=per_batch", "batch_size=8"]))
    masks = trainer.step().masks
    assert masks["hidden1"].shape == (8, 16)
    assert masks["hidden1"].mean() < 0.5
    assert (masks["hidden1"] == masks["hidden1"][0]).all()


def test_changes_that_need_a_new_network_are_refused_by_update(trainers):
    trainer = trainers(SMALL)
    for change in (["hidden_layers=[8]"], ["activation=tanh"], ["dataset.name=circles"], ["seed=9"]):
        with pytest.raises(ConfigError, match="new network"):
            trainer.update(SMALL.with_overrides(change))


def test_batch_larger_than_the_training_set_uses_the_whole_set(trainers):
    trainer = trainers(SMALL.with_overrides(["batch_size=5000"]))
    n_train = len(trainer.dataset.y_train)
    assert trainer.effective_batch_size == n_train
    result = trainer.step()
    assert result.masks["input"].shape == (n_train, 2)
    assert result.epoch == pytest.approx(1.0)


def test_every_example_is_seen_once_per_epoch_in_a_new_order():
    sampler = BatchSampler(12, np.random.default_rng(0))
    epochs = [np.concatenate([sampler.next(4) for _ in range(3)]) for _ in range(2)]
    for epoch in epochs:
        assert sorted(epoch) == list(range(12))
    assert not np.array_equal(epochs[0], epochs[1])
    assert sampler.epoch == 2.0


def test_decision_grid_holds_the_test_time_probabilities_of_its_points(trainers):
    trainer = trainers(SMALL)
    _run(trainer, 20)
    grid = trainer.decision_grid(resolution=30)
    assert grid.probs.shape == (30, 30, 2)
    points = np.array([[grid.xs[3], grid.ys[17]], [grid.xs[29], grid.ys[0]]])
    expected = trainer.predict_proba(points)
    np.testing.assert_allclose(grid.probs[17, 3], expected[0], atol=1e-6)
    np.testing.assert_allclose(grid.probs[0, 29], expected[1], atol=1e-6)
    everything = np.vstack([trainer.dataset.X_train, trainer.dataset.X_test])
    assert grid.xs[0] < everything[:, 0].min() and grid.xs[-1] > everything[:, 0].max()


def test_decision_grid_needs_two_features(trainers):
    trainer = trainers(Config().with_overrides(["dataset.name=breast_cancer", "hidden_layers=[16,16]"]))
    with pytest.raises(ConfigError, match="two features"):
        trainer.decision_grid()


def test_mask_recorder_keeps_the_last_steps_of_one_batch_size(trainers):
    trainer = trainers(SMALL.with_overrides(["batch_size=8"]))
    recorder = BatchMaskRecorder(capacity=5)
    results = [trainer.step() for _ in range(7)]
    for result in results:
        recorder.add(result)
    arrays = recorder.arrays()
    assert arrays["hidden2"].shape == (5, 8, 16)
    np.testing.assert_array_equal(arrays["input"][-1], results[-1].masks["input"])
    trainer.update(SMALL.with_overrides(["batch_size=4"]))
    recorder.add(trainer.step())
    assert recorder.arrays()["hidden1"].shape == (1, 4, 16)


def test_overfitting_is_real_and_dropout_closes_the_gap(trainers):
    """A wide net memorises 60 noisy points; with p=0.5 the train/test gap is much smaller."""
    base = Config().with_overrides(["seed=0", "steps=1500"])
    gaps = {}
    for rate in (0.0, 0.5):
        trainer = trainers(base.with_overrides([f"dropout.hidden={rate}"]))
        _run(trainer, base.steps)
        evaluation = trainer.evaluate()
        gaps[rate] = evaluation.gap
        if rate == 0.0:
            assert evaluation.train_loss < 0.05
            assert evaluation.test_loss > 0.5
    assert gaps[0.5] < 0.6 * gaps[0.0]


def test_a_network_given_back_twice_is_lent_to_one_trainer_only(pool):
    first = Trainer(SMALL, pool)
    first.close()
    first.close()
    second, third = Trainer(SMALL, pool), Trainer(SMALL, pool)
    try:
        assert second.network is not third.network
    finally:
        second.close()
        third.close()
