"""Monte-Carlo dropout: running means against the network's own averaging, and the test-time line."""

import numpy as np
import pytest

from dropviz.model.config import Config
from dropviz.model.errors import ConfigError
from dropviz.model.monte_carlo import mc_curve, uncertainty_map
from dropviz.model.sweeps import Cancelled
from dropviz.model.trainer import Trainer

# The architecture of the 2-D presets, so the session pool compiles it once for all these tests.
SMALL = Config().with_overrides(["hidden_layers=[64,64]", "dropout.hidden=0.5", "steps=150"])


@pytest.fixture
def trained(trainers):
    """Trainers from the session pool, trained for their steps and closed after the test."""
    def build(config: Config) -> Trainer:
        trainer = trainers(config)
        for _ in range(config.steps):
            trainer.step()
        return trainer

    return build


def _binary_cross_entropy(p_positive: np.ndarray, y: np.ndarray) -> float:
    """-[y log p + (1 - y) log(1 - p)], written from the formula; no probability here reaches 0."""
    p = p_positive.astype(np.float64)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def test_running_means_equal_the_mean_of_the_same_passes_drawn_at_once(trained):
    trainer = trained(SMALL)
    X, y = trainer.dataset.X_test, trainer.dataset.y_test
    start = trainer.network.rng_states()
    curve = mc_curve(trainer, X, y, ks=(1, 3, 10))
    np.testing.assert_array_equal(curve.ks, [1, 3, 10])
    for index, k in enumerate((1, 3, 10)):
        trainer.network.set_rng_states(start)  # the same k passes, averaged by the network itself
        mean, _ = trainer.mc_predict(X, k)
        assert curve.error[index] == pytest.approx(np.mean(mean.argmax(axis=1) != y))
        assert curve.loss[index] == pytest.approx(_binary_cross_entropy(mean[:, 1], y), rel=1e-5)


def test_passes_differ_so_the_curve_is_not_one_pass_repeated(trained):
    trainer = trained(SMALL)
    X = trainer.dataset.X_test
    first, _ = trainer.mc_predict(X, 1)
    second, _ = trainer.mc_predict(X, 1)
    assert np.abs(first - second).max() > 0.01


def test_deterministic_line_is_the_test_time_evaluation(trained):
    trainer = trained(SMALL)
    curve = mc_curve(trainer, trainer.dataset.X_test, trainer.dataset.y_test, ks=(1, 2))
    evaluation = trainer.evaluate()
    assert curve.deterministic_error == pytest.approx(1.0 - evaluation.test_acc)
    assert curve.deterministic_loss == pytest.approx(evaluation.test_loss, rel=1e-9)


def test_progress_counts_passes_and_cancel_stops_between_them(trained):
    trainer = trained(SMALL)
    X, y = trainer.dataset.X_test, trainer.dataset.y_test
    reports = []
    mc_curve(trainer, X, y, ks=(1, 5, 20), progress=lambda done, total: reports.append((done, total)))
    assert reports == [(k, 20) for k in range(1, 21)]  # 20 passes in all, not 1 + 5 + 20

    stopped = []
    with pytest.raises(Cancelled):
        mc_curve(trainer, X, y, ks=(1, 50), progress=lambda done, total: stopped.append(done),
                 cancelled=lambda: len(stopped) >= 4)
    assert stopped == [1, 2, 3, 4]


@pytest.mark.parametrize("ks", [(), (0, 5), (5, 2), (1, 1, 2), (1.5,)])
def test_sample_counts_must_be_increasing_integers(trained, ks):
    trainer = trained(SMALL.with_overrides(["steps=1"]))
    with pytest.raises(ConfigError, match="increasing integers"):
        mc_curve(trainer, trainer.dataset.X_test, trainer.dataset.y_test, ks=ks)


def test_uncertainty_map_is_the_spread_of_the_passes_over_the_decision_plane(trained):
    trainer = trained(SMALL)
    start = trainer.network.rng_states()
    result = uncertainty_map(trainer, samples=8, resolution=12)
    grid = trainer.decision_grid(12)
    np.testing.assert_array_equal(result.xs, grid.xs)
    np.testing.assert_array_equal(result.ys, grid.ys)
    assert result.std.shape == (12, 12)
    trainer.network.set_rng_states(start)
    gx, gy = np.meshgrid(grid.xs, grid.ys)
    _, std = trainer.mc_predict(np.column_stack([gx.ravel(), gy.ravel()]), 8)
    # two classes: p0 = 1 - p1, so both spread alike and the chosen class does not matter
    np.testing.assert_allclose(result.std, std[:, 1].reshape(12, 12), atol=1e-5)
    assert result.std.max() > 0.01


def test_uncertainty_map_is_zero_without_dropout(trained):
    trainer = trained(SMALL.with_overrides(["dropout.hidden=0.0", "dropout.input=0.0"]))
    result = uncertainty_map(trainer, samples=5, resolution=10)
    np.testing.assert_array_equal(result.std, np.zeros((10, 10)))
