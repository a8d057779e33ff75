"""Recurrent runs through the session layer, against runs trained on their own: a sweep over the
time mask, a lockstep compare with a no-dropout baseline, Monte-Carlo passes, and a headless run
from the command line.

The one-layer GRU of tests/model/test_recurrent.py ([6] on digits_rows): no compile of its own.
"""

import json
import subprocess
import sys

import numpy as np
import pytest
from alone import trained_alone

from dropviz.model.config import Config
from dropviz.model.errors import ConfigError
from dropviz.model.experiment import load_experiment
from dropviz.model.trainer import Trainer
from dropviz.session.compare import run_label
from dropviz.session.lockstep import Lockstep
from dropviz.session.loop import TrainingLoop
from dropviz.session.run import Run
from dropviz.session.run_record import restore_run, window_extra, write_experiment
from dropviz.session.sweep_cluster import Sweep
from dropviz.session.sweep_grid import SweepGrid, parse_axis
from dropviz.session.sweeps import activation_sparsity

GRU = Config().with_overrides(["model=gru", "dataset.name=digits_rows", "hidden_layers=[6]",
                               "dropout.input=0.2", "dropout.hidden=0.3", "dropout.recurrent=0.4",
                               "batch_size=16", "seed=3", "steps=15"])


def test_a_sweep_over_the_time_mask_equals_each_trainedtrained_alone(pool):
    grid = SweepGrid(GRU, (parse_axis("dropout.time_mask=per_step,tied"),), 1)
    result = Sweep(grid).run(None, pool=pool)
    assert [dict(p.labels)["dropout.time_mask"] for p in result.points] == ["per_step", "tied"]
    losses = []
    for point in result.points:
        mask = dict(point.labels)["dropout.time_mask"]
        alone = trained_alone(GRU.with_overrides([f"dropout.time_mask={mask}"]), pool, 15)
        assert point.status == "ok"
        assert (point.train_loss, point.test_loss) == pytest.approx(
            (alone.train_loss, alone.test_loss), rel=1e-6), mask
        losses.append(point.train_loss)
    assert losses[0] != losses[1]  # the time mask is live in the graph, not ignored


def test_a_recurrent_run_compares_in_lockstep_with_its_baseline(pool):
    run = Run(Trainer(GRU, pool))
    without = GRU.with_overrides(["dropout.input=0", "dropout.hidden=0", "dropout.recurrent=0"])
    pair = Lockstep(run, Run(Trainer(without, pool)))
    try:
        pair.train(12)
        pair.evaluate()
        snapshot = pair.snapshot()
    finally:
        run.close()
        pair.baseline.close()
    assert snapshot.step == 12
    for config, evaluation in ((GRU, snapshot.evaluation), (without, snapshot.baseline_evaluation)):
        assert evaluation.test_loss == pytest.approx(trained_alone(config, pool, 12).test_loss, rel=1e-6)


def test_monte_carlo_passes_vary_and_average_near_the_test_pass(pool):
    trainer = Trainer(GRU.with_overrides(["scaling=inverted"]), pool)
    try:
        trainer.run_steps(15)
        X = trainer.dataset.X_test[:40]
        mean, std = trainer.mc_predict(X, 30)
        single = trainer.predict_proba(X)
    finally:
        trainer.close()
    assert std.max() > 0.01  # the passes draw masks
    np.testing.assert_allclose(mean.sum(axis=1), 1.0, atol=1e-5)
    assert np.abs(mean - single).mean() < 0.1


def test_the_command_line_trains_a_gru_on_digit_rows(tmp_path):
    out = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, "main.py", "--headless", "--set", "model=gru", "--dataset", "digits_rows",
         "--set", "hidden_layers=[6]", "--set", "dropout.recurrent=0.4", "--set",
         "dropout.time_mask=tied", "--set", "batch_size=16", "--set", "seed=3", "--set",
         "dropout.input=0.2", "--set", "dropout.hidden=0.3", "--steps", "15", "--out", str(out)],
        capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    description = json.loads((out / "model.json").read_text())
    assert description["cell"] == "gru" and description["trained_with"]["time_mask"] == "tied"
    assert json.loads((out / "config.json").read_text())["model"] == "gru"


def test_a_recurrent_run_saved_from_the_window_opens_with_its_masks(pool, tmp_path):
    """The window's file keeps the last steps' masks, (steps, batch, time, units) for these layers."""
    run = Run(Trainer(GRU.with_overrides(["dropout.time_mask=tied"]), pool))
    try:
        loop = TrainingLoop(Lockstep(run), max_chunk=4)
        loop.advance(8)
        run.evaluate()
        path = tmp_path / "gru.dropviz"
        write_experiment(path, run.trainer, run.record,
                         window_extra(run.record, run.raster, run.last, 10, ()))
        opened = Run.restored(restore_run(path, load_experiment(path, pool)))
    finally:
        run.close()
    try:
        saved = run.record.batch_masks.arrays()
        restored = opened.record.batch_masks.arrays()
        assert restored["recurrent1"].shape[1:] == (16, 8, 6)
        for name, masks in saved.items():
            np.testing.assert_array_equal(restored[name], masks)
        assert opened.trainer.step().loss == run.trainer.step().loss
    finally:
        opened.close()


def test_a_recurrent_runs_label_names_its_state_rate_and_time_mask():
    assert run_label(GRU.with_overrides(["dropout.time_mask=tied"])) == \
        "p=0.3, input 0.2, state 0.4 tied inverted"
    assert run_label(GRU) == "p=0.3, input 0.2, state 0.4 per-step inverted"


def test_activation_sparsity_refuses_a_recurrent_model_by_name(pool):
    with pytest.raises(ConfigError, match="model: activation sparsity"):
        activation_sparsity(GRU, pool=pool)
