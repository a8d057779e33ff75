"""Numerical faults: each has a defined behaviour and a message, and no NaN is passed on silently.

A learner will drag the learning rate and the dropout rate to their ends and load a tiny CSV; what
happens then must be what these tests pin down: divergence stops the run with a message and nothing
is written, the largest rate trains on the bias alone without NaN, and a dataset too small to have a
class on both sides of the split is refused with a message that says so.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from dropviz.cli import main as cli
from dropviz.model.config import Config, DatasetConfig
from dropviz.model.data.datasets import load_dataset
from dropviz.model.errors import ConfigError, DatasetError, ExportError
from dropviz.model.experiment import save_experiment
from dropviz.model.export import write_run
from dropviz.model.trainer import Trainer, cross_entropy

# The test modules' usual small network, so the session pool compiles it once for all of them.
SMALL = Config().with_overrides(["hidden_layers=[16,16]", "dataset.n_samples=120", "seed=4"])
SMALL_ARGS = ["--set", "hidden_layers=[16,16]", "--set", "dataset.n_samples=120"]
DIVERGING = ["optimizer=sgd", "learning_rate=100"]
MAX_RATE = float(np.nextafter(1.0, 0.0))  # Config allows rates in [0, 1)


def first_non_finite_step(trainer: Trainer, limit: int) -> int | None:
    for _ in range(limit):
        result = trainer.step()
        if not math.isfinite(result.loss):
            return result.step
    return None


# --- divergence ------------------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("seed", [2, 7])
def test_a_huge_learning_rate_gives_a_non_finite_loss_within_a_few_steps(pool, tmp_path, seed):
    """Not every seed diverges at lr 100 (some only saturate, every relu dead); these do, at once."""
    trainer = Trainer(SMALL.with_overrides([*DIVERGING, f"seed={seed}"]), pool)
    try:
        step = first_non_finite_step(trainer, 50)
        assert step is not None and step <= 20
        assert not trainer.evaluate().is_finite()
    finally:
        trainer.close()


def test_weights_made_infinite_by_divergence_are_neither_saved_nor_exported(pool, tmp_path):
    trainer = Trainer(SMALL.with_overrides([*DIVERGING, "seed=0"]), pool)
    try:
        assert first_non_finite_step(trainer, 50) is not None
        assert not all(np.isfinite(w).all() for w in trainer.network.weights().values())
        with pytest.raises(ExportError, match=r"cannot write .*diverged\.dropviz: weight W\d holds "
                                              r"non-finite values .* training diverged"):
            save_experiment(tmp_path / "diverged.dropviz", trainer, [])
        with pytest.raises(ExportError, match=r"cannot write .*run: weight W\d holds non-finite"):
            write_run(tmp_path / "run", trainer, [], {})
    finally:
        trainer.close()
    assert list(tmp_path.iterdir()) == []


def test_the_evaluation_after_a_non_finite_step_is_not_finite(pool):
    """The curves come from evaluate(); after divergence they must not keep drawing numbers."""
    trainer = Trainer(SMALL.with_overrides([*DIVERGING, "seed=0"]), pool)
    try:
        assert first_non_finite_step(trainer, 50) is not None
        assert not trainer.evaluate().is_finite()
    finally:
        trainer.close()


def test_the_cli_stops_a_diverging_run_with_status_1_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "run"
    args = [*SMALL_ARGS, "--set", "optimizer=sgd", "--set", "learning_rate=100", "--steps", "300",
            "--out", str(out)]
    assert cli.main(args) == cli.EXIT_DIVERGED
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("dropviz: training diverged at step ")
    assert "(loss nan); try a lower learning_rate" in captured.err
    assert not out.exists() or list(out.iterdir()) == []


# --- the largest dropout rate ----------------------------------------------------------------

def test_the_largest_rate_is_just_below_one():
    assert Config().with_overrides([f"dropout.hidden={MAX_RATE!r}"]).dropout.hidden == MAX_RATE
    with pytest.raises(ConfigError, match=r"dropout.hidden: 1.0 is not allowed; expected a number "
                                          r"from 0.0, below 1.0"):
        Config().with_overrides(["dropout.hidden=1.0"])


@pytest.mark.parametrize("scaling", ["inverted", "weight_scaling", "none"])
def test_rate_099_on_every_layer_trains_with_finite_losses(pool, scaling):
    """Inverted scaling multiplies the few kept units by 100; the loss stays finite regardless."""
    config = SMALL.with_overrides(["dropout.input=0.99", "dropout.hidden=0.99",
                                   f"scaling={scaling}"])
    trainer = Trainer(config, pool)
    try:
        rows_fully_dropped = 0
        for _ in range(300):
            result = trainer.step()
            assert math.isfinite(result.loss)
            rows_fully_dropped += int((~result.masks["hidden2"].any(axis=1)).sum())
        assert rows_fully_dropped > 0
        assert trainer.evaluate().is_finite()
    finally:
        trainer.close()


def test_when_every_unit_is_dropped_the_output_is_the_bias(pool):
    """At the largest rate no unit survives: the logits are the output bias, the loss is the
    cross-entropy of that bias, and the last weight matrix gets no gradient."""
    config = SMALL.with_overrides([f"dropout.input={MAX_RATE!r}", f"dropout.hidden={MAX_RATE!r}",
                                   "batch_size=1000"])
    trainer = Trainer(config, pool)
    try:
        y = trainer.dataset.y_train
        for _ in range(20):
            W3, b3 = (trainer.network.weights()[name].copy() for name in ("W3", "b3"))
            result = trainer.step()
            assert not any(mask.any() for mask in result.masks.values())
            bias_logits = np.tile(b3, (len(y), 1))
            assert result.loss == pytest.approx(cross_entropy(bias_logits, y).mean(), rel=1e-5)
            np.testing.assert_array_equal(trainer.network.weights()["W3"], W3)
        assert trainer.evaluate().is_finite()
    finally:
        trainer.close()


# --- batch size and tiny datasets ------------------------------------------------------------

def test_a_batch_larger_than_the_training_set_uses_the_whole_set_in_the_cli(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main([*SMALL_ARGS, "--set", "batch_size=65536", "--steps", "20", "--out",
                     str(out)]) == 0
    assert "step 20 " in capsys.readouterr().out
    with np.load(out / "masks.npz") as masks, np.load(out / "data.npz") as data:
        assert masks["hidden1"].shape == (20, len(data["y_train"]), 16)


def write_csv(folder: Path, labels: str) -> Path:
    path = folder / "tiny.csv"
    rows = "".join(f"{k + 0.5},{(k * 7) % 5 + 0.25},{label}\n" for k, label in enumerate(labels))
    path.write_text("x1,x2,label\n" + rows)
    return path


def test_a_class_with_a_single_row_is_refused_because_it_cannot_be_on_both_sides(tmp_path):
    path = write_csv(tmp_path, "aab")
    with pytest.raises(DatasetError) as caught:
        load_dataset(DatasetConfig(name="csv", csv_path=str(path), train_fraction=0.5), seed=0)
    assert str(caught.value) == (
        "class 'b' has 1 row: with train fraction 0.5 every class needs at least 2 rows so that "
        "it appears in both the training and the test split")


def test_ten_generated_points_at_the_smallest_train_fraction_are_refused():
    with pytest.raises(DatasetError, match=r"class '0' has 5 rows: with train fraction 0.05 every "
                                           r"class needs at least 20 rows"):
        load_dataset(DatasetConfig(n_samples=10, train_fraction=0.05), seed=0)


def test_the_smallest_dataset_that_loads_has_one_training_row_per_class_and_trains(pool, tmp_path):
    """No training set of a single example can be made: each of at least two classes needs a row
    on both sides. The smallest, one row per class, trains with the whole set as its batch."""
    path = write_csv(tmp_path, "abab")
    config = SMALL.with_overrides(["dataset.name=csv", f"dataset.csv_path={path}",
                                   "dataset.train_fraction=0.5"])
    trainer = Trainer(config, pool)
    try:
        assert sorted(trainer.dataset.y_train) == [0, 1]
        assert trainer.effective_batch_size == 2
        for _ in range(30):
            assert math.isfinite(trainer.step().loss)
        assert trainer.evaluate().is_finite()
    finally:
        trainer.close()
