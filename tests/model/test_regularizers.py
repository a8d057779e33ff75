"""L1 and max-norm against numpy: one sgd step in closed form, the limit after many steps, live.

The networks are those of test_network.py (3 inputs, hidden [6, 5]) and a [8, 8] trainer, so a
full run compiles nothing new for them.
"""

import numpy as np
import pytest
from weights_check import assert_same_weights

from dropviz.model.config import Config
from dropviz.model.graph.architecture import Architecture

RNG = np.random.default_rng(7)
X = RNG.normal(size=(40, 3)).astype(np.float32)
Y = (X[:, 0] + X[:, 1] > 0).astype(np.int32)
BATCH = np.arange(4, 24, dtype=np.int32)
SMALL = Config().with_overrides(["hidden_layers=[8,8]", "dataset.n_samples=80", "seed=2",
                                 "optimizer=momentum", "learning_rate=0.5", "dropout.input=0.2",
                                 "dropout.hidden=0.5", "steps=40"])


@pytest.fixture
def network(pool):
    """An sgd network with no dropout, so two steps from the same weights see the same batch."""
    arch = Architecture(3, (6, 5), 2, "tanh", "sgd")
    lent = pool.acquire(arch, X, Y)
    lent.reset(seed=3)
    yield lent
    pool.release(lent)


def _step_from(network, start, **live) -> dict[str, np.ndarray]:
    """The weights after one sgd step from `start` with the given live settings."""
    network.set_weights(start)
    network.set_live((0.0, 0.0, 0.0), "inverted", "per_example", 0.1, 0.0, **live)
    network.train_step(BATCH)
    return {name: value.astype(np.float64) for name, value in network.weights().items()}


def test_an_l1_step_adds_rate_times_l1_times_the_sign_of_each_weight(network):
    start = network.weights()
    plain = _step_from(network, start)
    with_l1 = _step_from(network, start, l1=0.05)
    for name, value in start.items():
        expected = -0.1 * 0.05 * np.sign(value) if name.startswith("W") else np.zeros(value.shape)
        np.testing.assert_allclose(with_l1[name] - plain[name], expected, atol=2e-6, err_msg=name)


def test_a_max_norm_step_rescales_each_long_hidden_column_to_the_limit(network):
    start = network.weights()
    plain = _step_from(network, start)
    limit = 0.8
    limited = _step_from(network, start, max_norm=limit)
    hidden = np.concatenate([np.linalg.norm(plain[name], axis=0) for name in ("W1", "W2")])
    assert (hidden > limit).any() and (hidden < limit).any(), "the check needs both cases"
    assert np.linalg.norm(plain["W3"], axis=0).max() > limit, "the output layer is left alone"
    for name, value in plain.items():
        expected = value
        if name in ("W1", "W2"):  # hidden units' incoming weights; W3 feeds the output
            expected = value * np.minimum(1.0, limit / np.linalg.norm(value, axis=0))
        np.testing.assert_allclose(limited[name], expected, rtol=1e-5, atol=1e-7, err_msg=name)


def _hidden_column_norms(trainer) -> list[np.ndarray]:
    weights = trainer.network.weights()
    return [np.linalg.norm(weights[layer.params[0].name].astype(np.float64), axis=0)
            for layer in trainer.layout.of_kind("dense")[:-1]]


@pytest.mark.parametrize("many", [False, True], ids=["step", "run_steps"])
def test_every_hidden_column_stays_within_the_limit(trainers, compiled_chunks, many):
    trainer = (compiled_chunks if many else trainers)(SMALL.with_overrides(["max_norm=0.8"]))
    for _ in range(3):
        if many:
            trainer.run_steps(10)
        else:
            for _ in range(10):
                trainer.step()
        norms = np.concatenate(_hidden_column_norms(trainer))
        assert norms.max() <= 0.8 * (1 + 1e-5)
    assert norms.max() > 0.79, "the limit was reached, so it acted"


def test_max_norm_and_l1_are_live_and_the_same_steps_either_way(trainers, compiled_chunks):
    """Steps and run_steps agree with a limit and L1 set between two calls, with no new network."""
    one, many = trainers(SMALL), compiled_chunks(SMALL)
    changed = SMALL.with_overrides(["max_norm=0.7", "l1=0.001"])
    assert not SMALL.needs_new_network(changed)
    for trainer in (one, many):
        trainer.update(changed)
    singles = [one.step() for _ in range(12)]
    multi = many.run_steps(12)
    assert [r.loss for r in singles] == [r.loss for r in multi]
    assert_same_weights(one.network.weights(), many.network.weights())
    assert np.concatenate(_hidden_column_norms(one)).max() <= 0.7 * (1 + 1e-5)


def test_a_limit_never_reached_leaves_training_bit_for_bit_as_without(trainers):
    free, loose = trainers(SMALL), trainers(SMALL.with_overrides(["max_norm=1000"]))
    for trainer in (free, loose):
        trainer.run_steps(20)
    assert_same_weights(free.network.weights(), loose.network.weights())
