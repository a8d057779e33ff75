"""The compiled network against numpy: forward pass, loss, gradients, scaling modes and masks."""

import numpy as np
import numpy_mlp
import pytensor
import pytensor.tensor as pt
import pytest
from weights_check import assert_same_weights

from dropviz.model.graph.architecture import Architecture
from dropviz.model.graph.backend import compile_function
from dropviz.model.graph.dropout_controls import DropoutControls, apply_mask, draw_mask, scale_factors
from dropviz.model.graph.network import DropoutNetwork

RNG = np.random.default_rng(7)
X = RNG.normal(size=(40, 3)).astype(np.float32)
Y2 = (X[:, 0] + X[:, 1] > 0).astype(np.int32)
Y3 = np.digitize(X[:, 0], [-0.5, 0.5]).astype(np.int32)


def make_network(pool, n_classes=2, activation="relu", optimizer="sgd", apply="multiply"):
    y = Y2 if n_classes == 2 else Y3
    arch = Architecture(3, (6, 5), n_classes, activation, optimizer, apply)
    network = pool.acquire(arch, X, y)
    network.reset(seed=3)
    return network, y


@pytest.fixture
def lend(pool):
    """Networks from the session pool, given back after the test."""
    lent = []

    def acquire(**kwargs):
        network, y = make_network(pool, **kwargs)
        lent.append(network)
        return network, y

    yield acquire
    for network in lent:
        pool.release(network)


@pytest.mark.parametrize("scaling", ["weight_scaling", "inverted", "none"])
@pytest.mark.parametrize(("n_classes", "activation", "apply"),
                         [(2, "relu", "multiply"), (3, "tanh", "switch"), (2, "sigmoid", "switch")])
def test_step_loss_matches_numpy_with_returned_masks(lend, scaling, n_classes, activation, apply):
    network, y = lend(n_classes=n_classes, activation=activation, apply=apply)
    rates = (0.2, 0.5, 0.3)
    network.set_live(rates, scaling, "per_example", 0.05, 0.0)
    weights = network.weights()
    batch = np.arange(5, 25, dtype=np.int32)
    loss, masks = network.train_step(batch)
    scales = [scale_factors(rate, scaling)[0] for rate in rates]
    z = numpy_mlp.logits(weights, X[batch], activation, masks, scales)
    assert loss == pytest.approx(numpy_mlp.loss(z, y[batch]), rel=1e-5, abs=1e-6)
    assert [m.shape for m in masks] == [(20, 3), (20, 6), (20, 5)]


@pytest.mark.parametrize("scaling", ["weight_scaling", "inverted", "none"])
def test_test_time_prediction_matches_numpy(lend, scaling):
    network, _ = lend(n_classes=3, activation="relu")
    rates = (0.1, 0.5, 0.25)
    network.set_live(rates, scaling, "per_example", 0.05, 0.0)
    weights = network.weights()
    test_scales = [scale_factors(rate, scaling)[1] for rate in rates]
    ones = [np.ones(1)] * 3
    expected = numpy_mlp.probabilities(numpy_mlp.logits(weights, X, "relu", ones, test_scales))
    np.testing.assert_allclose(network.predict(X)[0], expected, rtol=1e-4, atol=1e-6)


def _numpy_objective(weights, x, y, masks, scales, activation, l2):
    z = numpy_mlp.logits(weights, x, activation, masks, scales)
    squares = (np.sum(w.astype(np.float64) ** 2) for name, w in weights.items() if name.startswith("W"))
    return numpy_mlp.loss(z, y) + l2 * sum(squares)


@pytest.mark.parametrize(("n_classes", "activation"), [(2, "tanh"), (3, "sigmoid")])
def test_gradients_agree_with_finite_differences(lend, n_classes, activation):
    """One sgd step with learning rate 1 moves each parameter by minus its gradient."""
    network, y = lend(n_classes=n_classes, activation=activation)
    rates, l2 = (0.2, 0.4, 0.4), 0.01
    network.set_live(rates, "inverted", "per_example", 1.0, l2)
    before = {name: w.astype(np.float64) for name, w in network.weights().items()}
    batch = np.arange(12, dtype=np.int32)
    _, masks = network.train_step(batch)
    gradients = {name: before[name] - after for name, after in network.weights().items()}
    scales = [scale_factors(rate, "inverted")[0] for rate in rates]
    eps = 1e-5
    for name, param in before.items():
        numeric = np.zeros_like(param)
        for position in np.ndindex(param.shape):
            shifted = {key: w.copy() for key, w in before.items()}
            shifted[name][position] += eps
            up = _numpy_objective(shifted, X[batch], y[batch], masks, scales, activation, l2)
            shifted[name][position] -= 2 * eps
            down = _numpy_objective(shifted, X[batch], y[batch], masks, scales, activation, l2)
            numeric[position] = (up - down) / (2 * eps)
        np.testing.assert_allclose(gradients[name], numeric, rtol=2e-3, atol=2e-5)


def _mean_training_activation(scaling: str, rate: float, rows: int) -> tuple[np.ndarray, float]:
    """Mean over many rows of one training-time dropout of a fixed activation, and its test value."""
    controls = DropoutControls.create(1)
    controls.set((rate,), scaling, "per_example")
    rng = pt.random.shared_rng(seed=11)
    h = pt.matrix("h", dtype="float32")
    next_rng, mask = draw_mask(rng, h.shape, controls.keep[0], controls.per_batch)
    dropped = apply_mask(h, mask, controls.train_scale[0], "multiply")
    fn = compile_function([h], [dropped.mean(axis=0), h[0] * controls.test_scale[0]],
                          {rng: next_rng})
    values = np.linspace(0.5, 2.0, 8, dtype=np.float32)
    train_mean, test_value = fn(np.tile(values, (rows, 1)))
    train_scale = scale_factors(rate, scaling)[0]
    tolerance = 5 * values * train_scale * np.sqrt(rate * (1 - rate) / rows)
    return train_mean - test_value, tolerance


@pytest.mark.parametrize("scaling", ["weight_scaling", "inverted"])
@pytest.mark.parametrize("rate", [0.2, 0.5, 0.8])
def test_compensating_modes_match_test_time_on_average(scaling, rate):
    difference, tolerance = _mean_training_activation(scaling, rate, 20000)
    assert np.all(np.abs(difference) < tolerance)


def test_no_compensation_misses_test_time_by_the_keep_factor():
    difference, tolerance = _mean_training_activation("none", 0.5, 20000)
    assert np.all(np.abs(difference) > 10 * tolerance)


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.9])
def test_dropped_fraction_is_the_rate(lend, rate):
    network, _ = lend()
    network.set_live((rate, rate, rate), "inverted", "per_example", 0.0, 0.0)
    kept = np.concatenate([network.train_step(np.arange(40, dtype=np.int32))[1][1].ravel()
                           for _ in range(50)])
    n = kept.size
    assert abs((1 - kept.mean()) - rate) < 5 * np.sqrt(rate * (1 - rate) / n)


def test_per_batch_masks_are_shared_by_all_rows_and_per_example_are_not(lend):
    network, _ = lend()
    network.set_live((0.5, 0.5, 0.5), "inverted", "per_batch", 0.0, 0.0)
    _, masks = network.train_step(np.arange(30, dtype=np.int32))
    for mask in masks:
        assert (mask == mask[0]).all()
    network.set_live((0.5, 0.5, 0.5), "inverted", "per_example", 0.0, 0.0)
    _, masks = network.train_step(np.arange(30, dtype=np.int32))
    assert not (masks[1] == masks[1][0]).all()


def test_live_changes_act_at_the_next_step_without_compiling(lend, monkeypatch):
    network, _ = lend()
    batch = np.arange(30, dtype=np.int32)
    network.set_live((0.0, 0.0, 0.0), "weight_scaling", "per_example", 0.1, 0.0)
    network.train_step(batch)
    compiles = []
    real_function = pytensor.function
    monkeypatch.setattr(pytensor, "function", lambda *a, **k: compiles.append(a) or real_function(*a, **k))

    assert all(mask.all() for mask in network.train_step(batch)[1])
    network.set_live((0.0, 0.6, 0.6), "weight_scaling", "per_example", 0.1, 0.0)
    kept = network.train_step(batch)[1][1]
    assert 0.2 < kept.mean() < 0.6

    before_scaling = network.predict(X)[1]
    network.set_live((0.0, 0.6, 0.6), "inverted", "per_example", 0.1, 0.0)
    assert not np.allclose(network.predict(X)[1], before_scaling)

    network.set_live((0.0, 0.0, 0.0), "inverted", "per_example", 0.1, 0.0)
    start = network.weights()
    network.train_step(batch)
    small = network.weights()["W1"] - start["W1"]
    network.set_weights(start)
    network.set_live((0.0, 0.0, 0.0), "inverted", "per_example", 0.3, 0.0)
    network.train_step(batch)
    large = network.weights()["W1"] - start["W1"]
    np.testing.assert_allclose(large, 3 * small, rtol=1e-3, atol=1e-6)
    assert compiles == []


def test_reset_with_the_same_seed_repeats_weights_losses_and_masks(lend):
    network, _ = lend(optimizer="adam")
    network.set_live((0.2, 0.5, 0.5), "inverted", "per_example", 0.01, 0.0)
    runs = []
    for _ in range(2):
        network.reset(seed=5)
        steps = [network.train_step(np.arange(i, i + 10, dtype=np.int32)) for i in range(5)]
        runs.append((steps, network.weights()))
    for (loss_a, masks_a), (loss_b, masks_b) in zip(runs[0][0], runs[1][0], strict=True):
        assert loss_a == loss_b
        for a, b in zip(masks_a, masks_b, strict=True):
            np.testing.assert_array_equal(a, b)
    assert_same_weights(runs[0][1], runs[1][1])


def test_monte_carlo_mean_approaches_weight_scaling_prediction(lend):
    network, _ = lend(n_classes=2, optimizer="adam")
    network.set_live((0.0, 0.5, 0.5), "weight_scaling", "per_example", 0.02, 0.0)
    for i in range(200):
        network.train_step(np.arange(i % 20, i % 20 + 20, dtype=np.int32))
    deterministic = network.predict(X)[0]
    mean, std = network.mc_predict(X, 400)
    assert std.max() > 0.01
    agree = (mean.argmax(axis=1) == deterministic.argmax(axis=1)).mean()
    assert agree > 0.9


def test_monte_carlo_sampling_leaves_the_training_stream_alone(lend):
    network, _ = lend()
    network.set_live((0.2, 0.5, 0.5), "inverted", "per_example", 0.01, 0.0)
    batch = np.arange(20, dtype=np.int32)
    network.reset(seed=9)
    plain = network.train_step(batch)
    network.reset(seed=9)
    network.mc_predict(X, 3)
    after_sampling = network.train_step(batch)
    assert plain[0] == after_sampling[0]
    for a, b in zip(plain[1], after_sampling[1], strict=True):
        np.testing.assert_array_equal(a, b)


def test_architecture_needs_two_classes():
    with pytest.raises(ValueError):
        Architecture(3, (4,), 1, "relu", "sgd")


def test_set_data_checks_the_width(lend):
    network, _ = lend()
    with pytest.raises(ValueError, match="features"):
        network.set_data(np.zeros((5, 4), np.float32), np.zeros(5, np.int32))


def test_new_network_compiles_its_own_state():
    arch = Architecture(3, (4,), 2, "relu", "momentum")
    network = DropoutNetwork(arch, X, Y2)
    assert sorted(network.optimizer_state()) == ["W1_velocity", "W2_velocity", "b1_velocity",
                                                 "b2_velocity"]
