"""DropConnect against numpy: a step's loss with the weight masks drawn again from the same stream,
the recorded fraction of weights kept, the test-time pass, many steps in one call, export and
saved experiments.

The weight masks are not returned (a (batch, fan_in, fan_out) block a step would flood the
window), so the checks rebuild them: the uniform numbers come from the training rng's state
before the step, drawn in the layers' order as the graph draws them.

One network of test_network.py's shape (3 inputs, hidden [6, 5]) and one [8, 8] trainer, both of
the dropconnect kind: two compiles, shared by every test here.
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

RNG = np.random.default_rng(11)
X = RNG.normal(size=(40, 3)).astype(np.float32)
Y = (X[:, 0] - X[:, 2] > 0).astype(np.int32)
RATES = (0.2, 0.5, 0.3)
SMALL = Config().with_overrides(["hidden_layers=[8,8]", "dataset.n_samples=80", "seed=2",
                                 "dropout.input=0.2", "dropout.hidden=[0.5,0.3]",
                                 "dropout.kind=dropconnect", "batch_size=16"])


@pytest.fixture
def network(pool):
    arch = Architecture(3, (6, 5), 2, "tanh", "sgd", dropout_kind="dropconnect")
    lent = pool.acquire(arch, X, Y)
    lent.reset(seed=3)
    yield lent
    pool.release(lent)


def _weight_masks(network, rows: int, per_batch: bool) -> list[np.ndarray]:
    """The step's keep-masks over each W, (rows, fan_in, fan_out), from the rng as it is now."""
    generator = np.random.default_rng()
    generator.bit_generator.state = network.rng_states()["train"]
    masks = []
    for index, keep in enumerate(1.0 - np.float32(r) for r in RATES):
        fan_in, fan_out = network.weights()[f"W{index + 1}"].shape
        uniform = generator.random((rows, fan_in, fan_out)).astype(np.float32)
        if per_batch:
            uniform = np.broadcast_to(uniform[0], uniform.shape)
        masks.append(uniform < np.float32(keep))
    return masks


def _logits(weights, x, masks, scales):
    h = np.asarray(x, dtype=np.float64)
    for index, (mask, scale) in enumerate(zip(masks, scales, strict=True)):
        weight = np.asarray(weights[f"W{index + 1}"], np.float64)
        h = np.einsum("bi,bio->bo", h, weight[None] * mask) * scale + weights[f"b{index + 1}"]
        if index < len(masks) - 1:
            h = np.tanh(h)
    return h


@pytest.mark.parametrize(("scaling", "mask"), [("weight_scaling", "per_example"),
                                               ("inverted", "per_example"),
                                               ("inverted", "per_batch"), ("none", "per_example")])
def test_step_loss_matches_numpy_with_the_same_weight_masks(network, scaling, mask):
    network.set_live(RATES, scaling, mask, 0.05, 0.0)
    batch = np.arange(5, 25, dtype=np.int32)
    masks = _weight_masks(network, len(batch), mask == "per_batch")
    weights = network.weights()
    loss, noise = network.train_step(batch)
    scales = [scale_factors(rate, scaling)[0] for rate in RATES]
    z = _logits(weights, X[batch], masks, scales)
    assert loss == pytest.approx(numpy_mlp.loss(z, Y[batch]), rel=1e-5, abs=1e-6)
    # The noise of each layer is each of its units' fraction of outgoing weights kept.
    assert [(n.dtype, n.shape) for n in noise] == [(np.float32, (20, 3)), (np.float32, (20, 6)),
                                                   (np.float32, (20, 5))]
    for recorded, drawn in zip(noise, masks, strict=True):
        np.testing.assert_allclose(recorded, drawn.mean(axis=2), rtol=1e-6)


def test_the_kept_fraction_is_one_minus_the_rate_and_rate_zero_keeps_all(network):
    network.set_live(RATES, "inverted", "per_example", 0.0, 0.0)
    draws = [network.train_step(np.arange(40, dtype=np.int32))[1] for _ in range(20)]
    for layer, rate in enumerate(RATES):
        fractions = np.concatenate([step[layer].ravel() for step in draws])
        assert fractions.mean() == pytest.approx(1.0 - rate, abs=0.02)
        assert fractions.std() > 0.0  # each unit's share varies: weights drop one by one
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
    results = trainer.run_steps(30)
    kept = {name: np.stack([r.masks[name] for r in results]) for name in results[0].masks}
    write_run(tmp_path, trainer, [trainer.evaluate()], kept)
    with np.load(tmp_path / "masks.npz", allow_pickle=False) as masks:  # shares, not bytes
        for name, value in kept.items():
            assert masks[name].dtype == np.float32
            np.testing.assert_array_equal(masks[name], value)
    assert_export_reproduces_predictions(trainer, tmp_path)


def test_a_saved_run_continues_bit_for_bit(pool, trainers, tmp_path):
    trainer = trainers(SMALL)
    trainer.run_steps(20)
    config = assert_resumes_bit_for_bit(trainer, pool, tmp_path)
    assert config.dropout.kind == "dropconnect"
