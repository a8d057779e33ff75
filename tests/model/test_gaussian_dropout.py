"""Gaussian dropout against numpy: the loss of a step with its noise, the noise's moments, the
test-time pass, many steps in one call, export and saved experiments.

One network of test_network.py's shape (3 inputs, hidden [6, 5]) and one [8, 8] trainer, both of
the gaussian kind: two compiles, shared by every test here.
"""


import numpy as np
import numpy_mlp
import pytest
from run_checks import assert_export_reproduces_predictions, assert_resumes_bit_for_bit
from weights_check import assert_same_weights

from dropviz.model.config import Config
from dropviz.model.export import write_run
from dropviz.model.graph.architecture import Architecture
from dropviz.model.graph.dropout_controls import scale_factors

RNG = np.random.default_rng(7)
X = RNG.normal(size=(40, 3)).astype(np.float32)
Y = (X[:, 0] + X[:, 1] > 0).astype(np.int32)
RATES = (0.2, 0.5, 0.3)
SMALL = Config().with_overrides(["hidden_layers=[8,8]", "dataset.n_samples=80", "seed=2",
                                 "dropout.input=0.2", "dropout.hidden=[0.5,0.3]",
                                 "dropout.kind=gaussian", "batch_size=16"])


@pytest.fixture
def network(pool):
    arch = Architecture(3, (6, 5), 2, "tanh", "sgd", dropout_kind="gaussian")
    lent = pool.acquire(arch, X, Y)
    lent.reset(seed=3)
    yield lent
    pool.release(lent)


@pytest.mark.parametrize("scaling", ["weight_scaling", "inverted", "none"])
def test_step_loss_matches_numpy_with_the_returned_noise(network, scaling):
    network.set_live(RATES, scaling, "per_example", 0.05, 0.0)
    weights = network.weights()
    batch = np.arange(5, 25, dtype=np.int32)
    loss, noise = network.train_step(batch)
    assert [(n.dtype, n.shape) for n in noise] == [(np.float32, (20, 3)), (np.float32, (20, 6)),
                                                   (np.float32, (20, 5))]
    scales = [scale_factors(rate, scaling)[0] for rate in RATES]
    z = numpy_mlp.logits(weights, X[batch], "tanh", noise, scales)
    assert loss == pytest.approx(numpy_mlp.loss(z, Y[batch]), rel=1e-5, abs=1e-6)


def test_the_noise_has_the_keep_masks_mean_and_variance(network):
    network.set_live(RATES, "inverted", "per_example", 0.0, 0.0)
    draws = [network.train_step(np.arange(40, dtype=np.int32))[1] for _ in range(60)]
    for layer, rate in enumerate(RATES):
        values = np.concatenate([step[layer].ravel() for step in draws]).astype(np.float64)
        keep = 1.0 - rate
        assert abs(values.mean() - keep) < 5 * np.sqrt(rate * keep / len(values))
        assert values.var() == pytest.approx(rate * keep, rel=0.05)


def test_per_batch_noise_is_one_row_for_all_and_rate_zero_is_no_noise(network):
    network.set_live(RATES, "inverted", "per_batch", 0.0, 0.0)
    for layer in network.train_step(np.arange(10, dtype=np.int32))[1]:
        assert np.all(layer == layer[0]) and np.unique(layer[0]).size == layer.shape[1]
    network.set_live((0.0, 0.0, 0.0), "inverted", "per_example", 0.0, 0.0)
    assert all(np.all(layer == 1.0) for layer in network.train_step(np.arange(10, dtype=np.int32))[1])


@pytest.mark.parametrize("scaling", ["weight_scaling", "inverted"])
def test_test_time_is_the_scaling_modes_factor(network, scaling):
    network.set_live(RATES, scaling, "per_example", 0.05, 0.0)
    test_scales = [scale_factors(rate, scaling)[1] for rate in RATES]
    ones = [np.ones(1)] * 3
    expected = numpy_mlp.probabilities(numpy_mlp.logits(network.weights(), X, "tanh", ones,
                                                        test_scales))
    np.testing.assert_allclose(network.predict(X)[0], expected, rtol=1e-4, atol=1e-6)


def test_many_steps_in_one_call_equal_single_steps(trainers, compiled_chunks):
    one, many = trainers(SMALL), compiled_chunks(SMALL)
    singles = [one.step() for _ in range(15)]
    multi = many.run_steps(15)
    assert [r.loss for r in singles] == [r.loss for r in multi]
    for single, batch in zip(singles, multi, strict=True):
        for name, noise in single.masks.items():
            np.testing.assert_array_equal(noise, batch.masks[name], err_msg=name)
    assert_same_weights(one.network.weights(), many.network.weights())


def test_exported_model_gives_the_apps_probabilities(trainers, tmp_path):
    trainer = trainers(SMALL.with_overrides(["scaling=weight_scaling"]))
    trainer.run_steps(30)
    write_run(tmp_path, trainer, [trainer.evaluate()], {})
    assert_export_reproduces_predictions(trainer, tmp_path)


def test_a_saved_run_continues_bit_for_bit(pool, trainers, tmp_path):
    trainer = trainers(SMALL)
    trainer.run_steps(20)
    config = assert_resumes_bit_for_bit(trainer, pool, tmp_path)
    assert config.dropout.kind == "gaussian"
