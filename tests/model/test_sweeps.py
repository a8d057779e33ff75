"""Sweeps: every point equals a run trained on its own, the CSV reads back, cancel stops cleanly.

The sweeps here run their tasks in this process, one after another, on the session's pool: the
serial result that tests/session/test_sweep_cluster.py compares the Dask cluster's with.
"""

import csv
import io

import numpy as np
import numpy_mlp
import pytest

from dropviz.model.config import Config
from dropviz.model.data.datasets import load_dataset
from dropviz.model.errors import ConfigError
from dropviz.model.sweeps import Cancelled, subsample
from dropviz.model.trainer import NetworkPool, Trainer
from dropviz.session.loop import CHUNK_STEPS
from dropviz.session.sweep_cluster import Sweep
from dropviz.session.sweep_csv import SweepCsv
from dropviz.session.sweep_grid import SweepGrid
from dropviz.session.sweeps import activation_sparsity
from dropviz.sweep_cli import format_table

# The architecture of the 2-D presets, so the session pool compiles it once for all these tests.
TINY = Config().with_overrides(["hidden_layers=[64,64]", "steps=40", "seed=3", "dropout.input=0.1"])


class CountingPool:
    """The session pool, counting what is lent and given back."""

    def __init__(self, pool: NetworkPool) -> None:
        self.pool = pool
        self.lent = 0
        self.returned = 0

    def acquire(self, *args):
        self.lent += 1
        return self.pool.acquire(*args)

    def release(self, network) -> None:
        self.returned += 1
        self.pool.release(network)


def _sweep(config, specs, seeds=1, pool=None, **run):
    """A sweep trained here, one task after another (no cluster)."""
    return Sweep(SweepGrid.from_specs(config, specs, seeds)).run(None, pool=pool, **run)


def _alone(pool, overrides, dataset=None):
    """A run trained on its own, the way a user would start it, evaluated at its last step."""
    config = TINY.with_overrides(overrides)
    trainer = Trainer(config, pool, dataset)
    try:
        for _ in range(config.steps):
            trainer.step()
        return trainer.evaluate()
    finally:
        trainer.close()


def test_every_point_of_a_rate_sweep_is_the_run_trained_alone(pool):
    counting = CountingPool(pool)
    result = _sweep(TINY, ["dropout=0,0.5"], seeds=2, pool=counting)
    assert [(p.rate, p.seed) for p in result.points] == [(0.0, 3), (0.0, 4), (0.5, 3), (0.5, 4)]
    for point in result.points:
        alone = _alone(pool, [f"dropout.hidden={point.rate}", f"seed={point.seed}"])
        assert (point.train_loss, point.test_loss) == (alone.train_loss, alone.test_loss)
        assert point.train_error == pytest.approx(1 - alone.train_acc)
        assert point.test_error == pytest.approx(1 - alone.test_acc)
        assert point.steps == TINY.steps
        assert point.train_size == 60  # 200 samples at train fraction 0.3
    assert counting.lent == counting.returned == 4
    assert result.points[0].test_loss != result.points[2].test_loss


def test_csv_reads_back_as_the_points_and_the_summary_averages_the_seeds(pool):
    result = _sweep(TINY, ["dropout=0.2,0.6"], seeds=2, pool=pool)
    rows = list(csv.DictReader(io.StringIO(result.to_csv())))
    assert list(rows[0]) == ["rate", "seed", "train_size", "steps", "train_loss", "test_loss",
                             "train_error", "test_error", "status", "seconds", "point"]
    assert len(rows) == len(result.points)
    for row, point in zip(rows, result.points, strict=True):
        assert float(row["rate"]) == point.rate and int(row["seed"]) == point.seed
        assert int(row["train_size"]) == 60 and int(row["steps"]) == 40
        for name in ("train_loss", "test_loss", "train_error", "test_error"):
            assert float(row[name]) == getattr(point, name), "written exactly"
        assert row["status"] == "ok"
    summary = result.summary()
    assert [(s.rate, s.runs) for s in summary] == [(0.2, 2), (0.6, 2)]
    losses = [p.test_loss for p in result.points if p.rate == 0.6]
    assert summary[1].mean["test_loss"] == pytest.approx(np.mean(losses))
    assert summary[1].std["test_loss"] == pytest.approx(abs(losses[0] - losses[1]) / np.sqrt(2))


def test_progress_reaches_the_total_and_cancel_returns_every_network(pool):
    reports = []
    _sweep(TINY, ["dropout=0,0.3"], pool=pool, progress=lambda d, t: reports.append((d, t)))
    assert reports[0] == (0, 80) and reports[-1] == (80, 80), "steps of both runs"
    assert [d for d, _ in reports] == sorted(d for d, _ in reports)
    assert (40, 80) in reports, "the first run's steps, as it trains"

    counting = CountingPool(pool)
    done = []
    with pytest.raises(Cancelled):
        _sweep(TINY, ["dropout=0,0.3,0.6"], pool=counting, on_point=done.append,
               cancelled=lambda: len(done) >= 2)
    assert len(done) == 2  # stopped between two runs
    assert counting.lent == counting.returned == 2


def test_subsamples_are_nested_rows_of_the_training_split_with_the_test_split_whole():
    data = load_dataset(TINY.dataset, 3)
    small, large = subsample(data, 10, 3), subsample(data, 30, 3)
    train_rows = {row.tobytes() for row in data.X_train}
    small_rows = {row.tobytes() for row in small.X_train}
    assert len(small_rows) == 10 and small_rows <= {row.tobytes() for row in large.X_train} <= train_rows
    np.testing.assert_array_equal(small.X_test, data.X_test)
    np.testing.assert_array_equal(small.y_test, data.y_test)
    with pytest.raises(ConfigError, match="from 1 to 60"):
        subsample(data, 61, 3)


def test_every_point_of_a_size_sweep_is_the_run_trained_alone_on_its_subset(pool):
    result = _sweep(TINY, ["size=15,60"], pool=pool)
    assert [(p.rate, p.train_size) for p in result.points] == [(0.0, 15), (0.0, 60), (0.5, 15), (0.5, 60)]
    data = load_dataset(TINY.dataset, TINY.seed)
    for point in result.points:
        alone = _alone(pool, [f"dropout.hidden={point.rate}"], subsample(data, point.train_size, 3))
        assert (point.train_loss, point.test_loss) == (alone.train_loss, alone.test_loss)
    assert "train_size" in result.to_csv().splitlines()[0]


def test_sparsity_fractions_and_histograms_match_a_direct_numpy_computation(pool):
    result = activation_sparsity(TINY, rates=(0.0, 0.5), bins=12, threshold=1e-3, pool=pool)
    assert result.layers == ("hidden1", "hidden2")
    n_test = len(load_dataset(TINY.dataset, TINY.seed).y_test)
    for r, rate in enumerate(result.rates):
        trainer = Trainer(TINY.with_overrides([f"dropout.hidden={rate}"]), pool)
        for _ in range(TINY.steps):
            trainer.step()
        weights, X = trainer.inference_weights(), trainer.dataset.X_test
        trainer.close()
        h = X.astype(np.float64)
        for layer in range(2):
            h = numpy_mlp.ACTIVATIONS["relu"](h @ weights[f"W{layer + 1}"] + weights[f"b{layer + 1}"])
            assert result.near_zero[r, layer] == pytest.approx(np.mean(np.abs(h) <= 1e-3))
            assert result.counts[r, layer].sum() == n_test * 64  # every activation in one bin
            expected, _ = np.histogram(h, result.edges[layer])
            assert np.abs(result.counts[r, layer] - expected).sum() <= 2  # float32 vs float64 at edges
    assert result.near_zero.min() > 0.1  # relu: many units are off for any one example
    rows = list(csv.DictReader(io.StringIO(result.to_csv())))
    assert len(rows) == 2 * 2 * 12
    assert sum(int(row["count"]) for row in rows if row["rate"] == "0.5" and row["layer"] == "hidden2") \
        == n_test * 64


def test_bad_sweep_settings_fail_before_any_training(pool):
    counting = CountingPool(pool)
    with pytest.raises(ConfigError, match="is not a dropout rate"):
        _sweep(TINY, ["dropout=0,1.0"], pool=counting)
    with pytest.raises(ConfigError, match=r"dropout\.hidden"):
        _sweep(TINY, ["dropout.hidden=0,1.0"], pool=counting)
    with pytest.raises(ConfigError, match="seeds"):
        _sweep(TINY, ["dropout=0"], seeds=0, pool=counting)
    with pytest.raises(ConfigError, match="from 1 to 60"):
        _sweep(TINY, ["size=20,500"], pool=counting)
    assert counting.lent == 0


def test_the_table_and_the_csv_of_a_sweep(pool, tmp_path):
    grid = SweepGrid.from_specs(TINY, ["dropout=0,0.5"], seeds=2)
    sweep = Sweep(grid, SweepCsv(tmp_path / "sweep.csv", grid.extra_columns))
    table = format_table(sweep.run(None, pool=pool), TINY.steps, 2)
    lines = table.splitlines()
    assert lines[0] == "dropout sweep: 40 steps per run, 2 seeds (mean ± standard deviation)"
    assert lines[1].split() == ["rate", "train", "size", "train", "error", "test", "error", "train",
                                "loss", "test", "loss"]
    assert [line.split()[0] for line in lines[2:]] == ["0", "0.5"]
    rows = list(csv.DictReader(io.StringIO((tmp_path / "sweep.csv").read_text())))
    alone = _alone(pool, ["dropout.hidden=0.5", "seed=4"])
    assert float(rows[3]["test_loss"]) == alone.test_loss
    mean = np.mean([float(row["test_error"]) for row in rows[2:]])
    assert lines[3].split()[5] == f"{mean:.4f}"  # rate, size, train error, ±, its std, test error


def test_a_long_sweep_trains_in_chunks_with_the_points_of_single_steps(pool, monkeypatch):
    calls = []
    run_steps = Trainer.run_steps

    def counted(trainer, k):
        calls.append(k)
        return run_steps(trainer, k)

    monkeypatch.setattr(Trainer, "run_steps", counted)
    config = TINY.with_overrides(["steps=1000"])
    result = _sweep(config, ["dropout=0,0.5"], pool=pool)
    chunks = [CHUNK_STEPS] * (1000 // CHUNK_STEPS) + [1000 % CHUNK_STEPS]
    assert calls == chunks * 2, "1000 steps a run, in chunks of CHUNK_STEPS"
    monkeypatch.undo()
    for point in result.points:
        alone = _alone(pool, [f"dropout.hidden={point.rate}", "steps=1000"])
        assert (point.train_loss, point.test_loss) == (alone.train_loss, alone.test_loss)


def test_a_diverging_run_is_a_row_that_says_so_and_the_sweep_goes_on(pool, capfd):
    result = _sweep(TINY.with_overrides(["optimizer=sgd"]), ["learning_rate=1e-3,90"], pool=pool)
    fine, diverged = result.points
    assert fine.status == "ok" and np.isfinite(fine.test_loss)
    assert diverged.status == "diverged" and not np.isfinite(diverged.test_loss)
    assert "Warning" not in capfd.readouterr().err


def test_a_run_that_cannot_start_is_a_failed_row_and_the_sweep_goes_on(pool, tmp_path):
    config = TINY.with_overrides([f"dataset.csv_path={tmp_path / 'gone.csv'}"])
    result = _sweep(config, ["dataset.name=csv,moons"], pool=pool)
    missing, moons = result.points
    assert missing.status.startswith("failed: ") and "gone.csv" in missing.status
    assert "\n" not in missing.status, "one line in the CSV"
    assert np.isnan(missing.test_loss) and missing.labels == (("dataset.name", "csv"),)
    assert moons.status == "ok" and np.isfinite(moons.test_loss)
