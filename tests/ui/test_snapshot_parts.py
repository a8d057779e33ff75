"""The Qt-free pieces the worker and window rely on: mask recording, status line, change texts."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from dropviz.model.config import Config, DatasetConfig, DropoutConfig
from dropviz.model.results import Evaluation, StepResult
from dropviz.session.changes import describe_live_change, describe_restart
from dropviz.session.snapshot import MaskRaster, Snapshot, status_text


def _result(step: int, rng: np.random.Generator) -> StepResult:
    masks = {"input": rng.random((4, 2)) < 0.9, "hidden1": rng.random((4, 5)) < 0.5}
    return StepResult(step, step / 10, 0.5, masks)


def test_the_recorder_keeps_the_first_example_of_the_last_steps_in_order():
    rng = np.random.default_rng(0)
    recorder = MaskRaster({"input": 2, "hidden1": 5}, length=3)
    steps, recent = recorder.recent()
    assert steps.shape == (0,) and recent["hidden1"].shape == (5, 0)
    results = [_result(step, rng) for step in range(1, 6)]
    for result in results:
        recorder.record(result)
    steps, recent = recorder.recent()
    assert list(steps) == [3, 4, 5]
    for column, result in enumerate(results[2:]):
        np.testing.assert_array_equal(recent["hidden1"][:, column], result.masks["hidden1"][0])
        np.testing.assert_array_equal(recent["input"][:, column], result.masks["input"][0])
    recent["hidden1"][:] = False
    assert recorder.recent()[1]["hidden1"].any(), "callers get copies"


def test_the_recorder_read_between_steps_keeps_every_step_once_and_in_order():
    rng = np.random.default_rng(1)
    recorder = MaskRaster({"input": 2, "hidden1": 5}, length=4)
    results = [_result(step, rng) for step in range(1, 12)]
    recorder.record_all(results[:2])
    assert list(recorder.recent()[0]) == [1, 2]
    recorder.record_all(results[2:9])  # more than the raster holds, in one call
    recorder.record(results[9])
    assert list(recorder.recent()[0]) == [7, 8, 9, 10]
    recorder.record(results[10])
    steps, recent = recorder.recent()
    assert list(steps) == [8, 9, 10, 11]
    for column, result in enumerate(results[7:]):
        np.testing.assert_array_equal(recent["hidden1"][:, column], result.masks["hidden1"][0])
    assert recent["input"].dtype == bool and recent["input"].shape == (2, 4)


def test_status_line_reads_like_the_issue_asks():
    evaluation = Evaluation(1234, 12.34, 0.2104, 0.4812, 0.953, 0.8312)
    snapshot = Snapshot(step=1234, epoch=12.34, steps_per_second=812.4, playing=True,
                        config=Config(), batch_loss=0.3, evaluation=evaluation, masks={},
                        recent_steps=np.zeros(0), recent_masks={}, weights={}, grid=None,
                        curves=(np.zeros(0), {}))
    assert status_text(snapshot) == ("step 1234 · epoch 12.3 · 812 steps/s · train loss 0.21 "
                                     "acc 0.95 · test loss 0.481 acc 0.83")
    assert "· paused ·" in status_text(replace(snapshot, playing=False))


def test_change_descriptions():
    old = Config()
    live = replace(old, dropout=DropoutConfig(input=0.2, hidden=0.3), scaling="weight_scaling")
    assert describe_live_change(old, live) == "input p 0.2, hidden p 0.3, scaling weight scaling"
    assert describe_live_change(old, replace(old, learning_rate=0.5)) == "lr 0.5"
    layers = replace(old, hidden_layers=(16, 16), activation="tanh")
    assert describe_restart(old, layers) == (
        f"hidden layers {', '.join(map(str, old.hidden_layers))} → 16, 16; activation relu → tanh")
    digits = replace(old, dataset=DatasetConfig(name="digits", noise=0.9))
    assert describe_restart(old, digits) == "dataset moons → digits", "noise means nothing there"
    csv = replace(old, dataset=DatasetConfig(name="csv", csv_path="/data/my_file.csv",
                                             label_column="kind"))
    assert describe_restart(old, csv) == "dataset moons → my_file.csv"
    relabelled = replace(csv, dataset=replace(csv.dataset, label_column="size"))
    assert describe_restart(csv, relabelled) == "label column kind → size"
